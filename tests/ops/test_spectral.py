"""FFTs against np.fft; gradients (complex64, so no float64 gradcheck exists) against the
float64 Jacobian of the NumPy reference, which is exact for these linear maps."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.ops.spectral import complex_from_parts, imag_part, real_part
from tests._support.opcheck import check_forward

# NOTE: complex64 carries float32 precision; these bound float32 rounding of an 8-point FFT.
RTOL, ATOL = 1e-5, 1e-5


def _c64(rng, shape):
    return (rng.uniform(-1, 1, shape) + 1j * rng.uniform(-1, 1, shape)).astype(np.complex64)


def linear_grad_check(lf_fn, np_fn, x, complex_in, rng):
    """d/dx of L = sum(Re(f(x)) wr + Im(f(x)) wi) for f linear, against NumPy in float64.

    For complex inputs the gradient is dL/d(real) + i dL/d(imag) (TensorFlow's convention),
    checked here as the gradients of the real and imaginary parts."""
    y = np_fn(x.astype(np.complex128 if complex_in else np.float64))
    wr = rng.uniform(0.5, 1.5, y.shape)
    wi = rng.uniform(0.5, 1.5, y.shape)

    def loss_np(v):
        out = np_fn(v)
        return float(np.sum(out.real * wr) + np.sum(out.imag * wi))

    def loss_lf(*parts):
        z = complex_from_parts(*parts) if complex_in else parts[0]
        out = lf_fn(z)
        if out.dtype == "complex64":
            return lf.add(lf.sum(lf.mul(real_part(out), lf.tensor(wr, dtype="float32"))),
                          lf.sum(lf.mul(imag_part(out), lf.tensor(wi, dtype="float32"))))
        return lf.sum(lf.mul(out, lf.tensor(wr, dtype="float32")))

    base = np.zeros(x.shape, dtype=np.complex128 if complex_in else np.float64)
    numeric_re = np.zeros(x.shape)
    numeric_im = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        e = base.copy()
        e[idx] = 1.0
        numeric_re[idx] = loss_np(e)  # linear: L(e_j) is the derivative
        if complex_in:
            e[idx] = 1j
            numeric_im[idx] = loss_np(e)
    if complex_in:
        gre, gim = lf.grads(loss_lf)([lf.tensor(x.real.astype(np.float32)),
                                      lf.tensor(x.imag.astype(np.float32))])
        np.testing.assert_allclose(gre.numpy(), numeric_re, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(gim.numpy(), numeric_im, rtol=RTOL, atol=ATOL)
    else:
        (g,) = lf.grads(loss_lf)([lf.tensor(x.astype(np.float32))])
        np.testing.assert_allclose(g.numpy(), numeric_re, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape", [(8,), (2, 3, 5)])
def test_fft_ifft_forward(backend, rng, shape):
    x = _c64(rng, shape)
    check_forward(lf.fft, lambda a: np.fft.fft(a.astype(np.complex128)).astype(np.complex64),
                  [x], dtype="complex64")
    check_forward(lf.ifft, lambda a: np.fft.ifft(a.astype(np.complex128)).astype(np.complex64),
                  [x], dtype="complex64")
    assert lf.spectral.fft is lf.fft


@pytest.mark.parametrize("shape,fft_length", [((8,), None), ((2, 6), None), ((2, 6), 4),
                                              ((3, 5), 8), ((7,), None)])
def test_rfft_forward(backend, rng, shape, fft_length):
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    got = check_forward(lambda t: lf.rfft(t, fft_length),
                        lambda a: np.fft.rfft(a.astype(np.float64), n=fft_length or shape[-1])
                        .astype(np.complex64), [x], dtype="complex64")
    assert got.shape[-1] == (fft_length or shape[-1]) // 2 + 1


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4)])
def test_irfft_forward(backend, rng, shape):
    z = _c64(rng, shape)
    n = 2 * (shape[-1] - 1)
    check_forward(lf.irfft, lambda a: np.fft.irfft(a.astype(np.complex128), n=n)
                  .astype(np.float32), [z], dtype="float32")


def test_fft_gradients(backend, rng):
    x = _c64(rng, (2, 4))
    linear_grad_check(lf.fft, np.fft.fft, x, True, rng)
    linear_grad_check(lf.ifft, np.fft.ifft, x, True, rng)


@pytest.mark.parametrize("n,fft_length", [(6, None), (5, None), (6, 4), (5, 8)])
def test_rfft_gradient(backend, rng, n, fft_length):
    x = rng.uniform(-1, 1, (2, n))
    linear_grad_check(lambda t: lf.rfft(t, fft_length),
                      lambda v: np.fft.rfft(v, n=fft_length or n), x, False, rng)


@pytest.mark.parametrize("k", [2, 4, 5])
def test_irfft_gradient(backend, rng, k):
    z = _c64(rng, (2, k))
    linear_grad_check(lf.irfft, lambda v: np.fft.irfft(v, n=2 * (k - 1)), z, True, rng)


def test_second_order_through_rfft(backend, rng):
    # d/dx sum(grad of sum(|rfft(x)|^2)) = d/dx sum(2 n x-ish): compare with NumPy's Jacobian.
    x = rng.uniform(-1, 1, (6,)).astype(np.float32)

    def energy(t):
        y = lf.rfft(t)
        return lf.sum(lf.add(lf.square(real_part(y)), lf.square(imag_part(y))))

    def first(t):
        return lf.sum(lf.grad(energy)(t))

    got = lf.grad(first)(lf.tensor(x)).numpy()
    f = np.fft.rfft(np.eye(6), axis=-1)  # row j: rfft of e_j
    hessian = 2 * (f.real @ f.real.T + f.imag @ f.imag.T)
    np.testing.assert_allclose(got, hessian.sum(axis=0), rtol=RTOL, atol=ATOL)


def test_second_order_through_irfft(backend, rng):
    x = rng.uniform(-1, 1, (4,)).astype(np.float32)
    y = rng.uniform(-1, 1, (4,)).astype(np.float32)

    def energy(re, im):
        return lf.sum(lf.square(lf.irfft(complex_from_parts(re, im))))

    def first(re):
        return lf.sum(lf.grads(energy)([re, lf.tensor(y)])[0])

    got = lf.grad(first)(lf.tensor(x)).numpy()
    jac = np.fft.irfft(np.eye(4), n=6, axis=-1)  # d out / d re(z_j), rows j
    hessian = 2 * jac @ jac.T
    np.testing.assert_allclose(got, hessian.sum(axis=0), rtol=RTOL, atol=ATOL)


def test_spectral_bad_input(backend):
    with pytest.raises(lf.errors.DTypeError, match="rfft: expected a real tensor"):
        lf.rfft(lf.tensor([1.0, 2.0]).cast("complex64"))
    with pytest.raises(lf.errors.ShapeError, match=r"fft: .*rank 1.*\(\)"):
        lf.fft(lf.tensor(1.0).cast("complex64"))
    with pytest.raises(lf.errors.ShapeError, match=r"irfft: .*at least 2.*\(3, 1\)"):
        lf.irfft(lf.zeros([3, 1]).cast("complex64"))
    with pytest.raises(lf.errors.InvalidArgumentError, match="rfft: fft_length"):
        lf.rfft(lf.zeros([4]), 0)


def test_symbolic_shapes(backend):
    from layerflow.engine.symbolic import SymbolicTensor

    assert lf.rfft(SymbolicTensor((None, 8), "float32")).shape == (None, 5)
    assert lf.irfft(SymbolicTensor((None, 5), "complex64")).shape == (None, 8)
    assert lf.fft(SymbolicTensor((None, 3), "complex64")).dtype == "complex64"
