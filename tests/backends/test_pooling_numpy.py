"""NumPy's max-pool gradient for windows that tile the input (strides == window) against the
general kernel (taps stacked, argmax): bit for bit, with ties, NaN, padding and a ragged edge."""

from __future__ import annotations

import numpy as np
import pytest

from layerflow.backends.kernels.pooling import kernels, numpy_kernels

GENERAL = kernels(np)["max_pool_grad"]
TILED = numpy_kernels()["max_pool_grad"]

CASES = [  # window, spatial, pads
    ((2, 2), (6, 6), ((0, 0), (0, 0))),
    ((2, 2), (7, 5), ((0, 0), (0, 0))),  # NOTE: VALID drops the last row / column
    ((3, 2), (7, 5), ((1, 1), (0, 1))),  # SAME-like padding
    ((2,), (9,), ((1, 0),)),
    ((2, 1, 3), (4, 3, 6), ((0, 1), (0, 0), (1, 1))),
    ((1, 1), (3, 4), ((0, 0), (0, 0))),
]


@pytest.mark.parametrize("zero_pad", [False, True])
@pytest.mark.parametrize("window,spatial,pads", CASES)
def test_tiled_max_pool_grad_equals_the_general_kernel(window, spatial, pads, zero_pad):
    rng = np.random.default_rng(len(spatial) + sum(window))
    x = rng.integers(-2, 3, size=(2, *spatial, 3)).astype(np.float32)  # NOTE: many ties
    x.flat[rng.integers(0, x.size, 3)] = np.nan
    outs = tuple((s + a + b - k) // k + 1 for s, k, (a, b) in zip(spatial, window, pads))
    dy = rng.normal(size=(2, *outs, 3)).astype(np.float32)
    ones = (1,) * len(window)
    want = GENERAL(x, dy, window, window, ones, pads, zero_pad)
    got = TILED(x, dy, window, window, ones, pads, zero_pad)
    assert got.shape == want.shape == x.shape
    np.testing.assert_array_equal(got, want)


def test_overlapping_windows_keep_the_general_kernel():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    dy = np.ones((1, 3, 3, 1), np.float32)
    args = ((2, 2), (1, 1), (1, 1), ((0, 0), (0, 0)), False)
    np.testing.assert_array_equal(TILED(x, dy, *args), GENERAL(x, dy, *args))
