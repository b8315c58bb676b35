"""The NumPy LSTM kernels hand the gates to the gradient kernel as views of one buffer."""

from __future__ import annotations

import numpy as np

from layerflow.backends.kernels.recurrent_sequence import _np_joined, numpy_kernels


def test_gradient_kernel_reads_the_forward_gates_without_a_copy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    h0 = np.zeros((2, 5), np.float32)
    kernel = rng.standard_normal((4, 20)).astype(np.float32)
    recurrent = rng.standard_normal((5, 20)).astype(np.float32)
    outs = numpy_kernels()["lstm_sequence"](x, h0, h0, kernel, recurrent)
    gates = outs[5:]
    assert len(gates) == 4 and all(g.shape == (3, 2, 5) for g in gates)
    joined = _np_joined(gates)
    assert joined is gates[0].base
    np.testing.assert_array_equal(joined[..., 5:10], gates[1])


def test_joining_separate_blocks_copies_them():
    a = np.arange(24.0).reshape(3, 8)
    blocks = [a[:, :4].copy(), a[:, 4:].copy()]
    np.testing.assert_array_equal(_np_joined(blocks), a)
    # NOTE: views of one buffer out of order are not its column blocks
    swapped = [a[:, 4:], a[:, :4]]
    np.testing.assert_array_equal(_np_joined(swapped), np.concatenate(swapped, axis=-1))
