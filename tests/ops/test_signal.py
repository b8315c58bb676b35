"""Signal ops against NumPy references of TF.js's definitions; gradients by finite differences
(frame) and against the float64 NumPy Jacobian (stft, whose output is complex64)."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.ops.spectral import imag_part, real_part
from tests._support.opcheck import check_forward, check_grad, check_second_order


def ref_frame(x, length, step, pad_end=False, pad_value=0):
    """TF.js's frame loop, over the innermost axis."""
    n = x.shape[-1]
    frames, start = [], 0
    while start + length <= n:
        frames.append(x[..., start:start + length])
        start += step
    if pad_end:
        while start < n:
            part = x[..., start:]
            pad = np.full(part.shape[:-1] + (start + length - n,), pad_value, dtype=x.dtype)
            frames.append(np.concatenate([part, pad], axis=-1))
            start += step
    if not frames:
        return np.zeros(x.shape[:-1] + (0, length), dtype=x.dtype)
    return np.stack(frames, axis=-2)


@pytest.mark.parametrize("length,step", [(3, 2), (4, 4), (2, 3), (7, 1), (12, 2)])
@pytest.mark.parametrize("pad_end", [False, True])
def test_frame_forward(backend, rng, length, step, pad_end):
    x = rng.uniform(-1, 1, (10,)).astype(np.float32)
    check_forward(lambda t: lf.signal.frame(t, length, step, pad_end, -2.5),
                  lambda a: ref_frame(a, length, step, pad_end, -2.5), [x], dtype="float32")
    xi = rng.integers(-9, 9, (2, 7)).astype(np.int32)
    check_forward(lambda t: lf.signal.frame(t, length, step, pad_end, 4),
                  lambda a: ref_frame(a, length, step, pad_end, 4), [xi], dtype="int32")


@pytest.mark.parametrize("length,step,pad_end", [(3, 2, False), (3, 2, True), (2, 3, True),
                                                 (4, 1, False)])
def test_frame_gradient(backend, rng, length, step, pad_end):
    x = rng.uniform(-1, 1, (2, 7))
    check_grad(lambda t: lf.signal.frame(t, length, step, pad_end, 1.5), [x])
    check_second_order(lambda t: lf.square(lf.signal.frame(t, length, step, pad_end)),
                       rng.uniform(-1, 1, (6,)))


def test_frame_bad_input(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match="frame: frame_length .* 0"):
        lf.signal.frame(lf.zeros([5]), 0, 1)
    with pytest.raises(lf.errors.InvalidArgumentError, match="frame: frame_step .* -1"):
        lf.signal.frame(lf.zeros([5]), 2, -1)
    with pytest.raises(lf.errors.ShapeError, match=r"frame: .*\(\)"):
        lf.signal.frame(lf.tensor(1.0), 2, 1)


def test_frame_symbolic(backend):
    from layerflow.engine.symbolic import SymbolicTensor

    assert lf.signal.frame(SymbolicTensor((None, 10), "float32"), 4, 2).shape == (None, 4, 4)
    assert lf.signal.frame(SymbolicTensor((None,), "float32"), 4, 2).shape == (None, 4)


@pytest.mark.parametrize("length", [1, 2, 5, 8, 9])
def test_windows(backend, length):
    # TF.js: periodic for even lengths, symmetric for odd ones
    def expect(np_window):
        if length == 1:
            return np.ones(1, dtype=np.float32)
        w = np_window(length + 1)[:-1] if length % 2 == 0 else np_window(length)
        return w.astype(np.float32)

    got = lf.signal.hann_window(length)
    assert got.dtype == "float32"
    np.testing.assert_allclose(got.numpy(), expect(np.hanning), atol=1e-6)
    np.testing.assert_allclose(lf.signal.hamming_window(length).numpy(), expect(np.hamming),
                               atol=1e-6)
    with pytest.raises(lf.errors.InvalidArgumentError, match="hann_window: window_length"):
        lf.signal.hann_window(0)


def ref_stft(x, length, step, fft_length, window):
    frames = ref_frame(x, length, step)
    return np.fft.rfft(frames * window, n=fft_length)


@pytest.mark.parametrize("length,step,fft_length", [(4, 2, None), (5, 3, None), (4, 2, 6)])
def test_stft_forward(backend, rng, length, step, fft_length):
    x = rng.uniform(-1, 1, (16,)).astype(np.float32)
    n_fft = fft_length or 1 << (length - 1).bit_length()
    window = lf.signal.hann_window(length).numpy().astype(np.float64)
    check_forward(lambda t: lf.signal.stft(t, length, step, fft_length),
                  lambda a: ref_stft(a.astype(np.float64), length, step, n_fft, window)
                  .astype(np.complex64), [x], dtype="complex64")
    window = lf.signal.hamming_window(length).numpy().astype(np.float64)
    check_forward(lambda t: lf.signal.stft(t, length, step, fft_length,
                                           lf.signal.hamming_window),
                  lambda a: ref_stft(a.astype(np.float64), length, step, n_fft, window)
                  .astype(np.complex64), [x], dtype="complex64")


def test_stft_gradient(backend, rng):
    # stft is linear in the signal: its exact Jacobian is the NumPy reference on unit vectors
    x = rng.uniform(-1, 1, (9,)).astype(np.float32)
    window = lf.signal.hann_window(4).numpy().astype(np.float64)
    y = ref_stft(x.astype(np.float64), 4, 2, 4, window)
    wr = rng.uniform(0.5, 1.5, y.shape)
    wi = rng.uniform(0.5, 1.5, y.shape)

    def loss(t):
        out = lf.signal.stft(t, 4, 2)
        return lf.add(lf.sum(lf.mul(real_part(out), lf.tensor(wr, dtype="float32"))),
                      lf.sum(lf.mul(imag_part(out), lf.tensor(wi, dtype="float32"))))

    numeric = np.array([np.sum(ref_stft(e, 4, 2, 4, window).real * wr)
                        + np.sum(ref_stft(e, 4, 2, 4, window).imag * wi) for e in np.eye(9)])
    got = lf.grad(loss)(lf.tensor(x)).numpy()
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-5)
