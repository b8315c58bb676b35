"""Spectral ops (``lf.spectral``, also top level): FFTs over the innermost axis, as TF.js's
``tf.spectral.*``.

``fft``/``ifft`` map complex64 to complex64, ``rfft`` real to complex64 (``n // 2 + 1`` bins),
``irfft`` complex64 to float32 (``2 * (n - 1)`` samples). All four are linear; each gradient is
its adjoint (a complex input's gradient is ``dL/d(real) + i dL/d(imag)``, as in TensorFlow).

>>> import layerflow as lf
>>> lf.rfft(lf.tensor([1.0, 1.0, 1.0, 1.0])).shape
(3,)
"""

from __future__ import annotations

from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, run

__all__ = ["fft", "ifft", "rfft", "irfft"]


def _complex_input(x, op: str):
    from layerflow.ops.elementwise import cast

    x = as_tensor(x, "input", op)
    if x.rank < 1:
        raise ShapeError(f"{op}: input must be at least rank 1, got shape {x.shape}")
    if x.dtype != "complex64":
        if x.dtype == "string":
            raise DTypeError(f"{op}: expected a complex64 tensor, got dtype string")
        x = cast(x, "complex64")
    return x


def fft(input):  # noqa: A002  (TF.js's argument name)
    """Discrete Fourier transform over the innermost axis (TF.js ``tf.spectral.fft``).

    >>> import layerflow as lf
    >>> lf.fft(lf.tensor([1.0, 0.0]).cast('complex64')).numpy().tolist()
    [(1+0j), (1+0j)]
    """
    x = _complex_input(input, "fft")
    return run("fft", (x,), x.shape, "complex64", grad=_fft_grad)


def _fft_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import mul

    n = inputs[0].shape[-1]
    return (mul(ifft(dy), n),)


def ifft(input):  # noqa: A002
    """Inverse discrete Fourier transform over the innermost axis (TF.js
    ``tf.spectral.ifft``).

    >>> import layerflow as lf
    >>> lf.ifft(lf.tensor([2.0, 0.0]).cast('complex64')).numpy().tolist()
    [(1+0j), (1+0j)]
    """
    x = _complex_input(input, "ifft")
    return run("ifft", (x,), x.shape, "complex64", grad=_ifft_grad)


def _ifft_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import div

    n = inputs[0].shape[-1]
    return (div(fft(dy), n),)


def rfft(input, fft_length: int | None = None):  # noqa: A002
    """Fourier transform of a real signal over the innermost axis, keeping the ``n // 2 + 1``
    non-negative frequencies (TF.js ``tf.spectral.rfft``).

    Args:
        fft_length: the innermost length is truncated or zero-padded to this (default: kept).

    >>> import layerflow as lf
    >>> lf.rfft(lf.tensor([1.0, 2.0, 3.0, 4.0])).numpy().tolist()
    [(10+0j), (-2+2j), (-2+0j)]
    """
    from layerflow.ops.elementwise import cast

    x = as_tensor(input, "input", "rfft")
    if x.rank < 1:
        raise ShapeError(f"rfft: input must be at least rank 1, got shape {x.shape}")
    if x.dtype in ("complex64", "string"):
        raise DTypeError(f"rfft: expected a real tensor, got dtype {x.dtype}")
    if not dtypes.is_floating_or_complex(x.dtype):
        x = cast(x, "float32")
    if fft_length is None:
        fft_length = x.shape[-1]
        if fft_length is None:
            raise ShapeError("rfft: fft_length is needed when the innermost dimension is "
                             f"unknown (shape {x.shape})")
    if isinstance(fft_length, bool) or int(fft_length) <= 0:
        raise InvalidArgumentError(f"rfft: fft_length must be a positive integer, got "
                                   f"{fft_length!r}")
    fft_length = int(fft_length)
    shape = x.shape[:-1] + (fft_length // 2 + 1,)
    return run("rfft", (x,), shape, "complex64", {"fft_length": fft_length}, grad=_rfft_grad)


def _rfft_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (_rfft_adjoint(dy, attrs["fft_length"], x.shape[-1], x.dtype),)


def _rfft_adjoint(g, fft_length: int, in_length: int, dtype: str):
    """The adjoint of rfft (a private op whose own adjoint is rfft)."""
    shape = g.shape[:-1] + (in_length,)
    return run("rfft_grad", (g,), shape, dtype,
               {"fft_length": fft_length, "in_length": in_length,
                "dtype": dtypes.to_numpy(dtype)}, grad=_rfft_adjoint_grad)


def _rfft_adjoint_grad(dy, inputs, out, attrs):
    return (rfft(dy, attrs["fft_length"]),)


def irfft(input):  # noqa: A002
    """Inverse of :func:`rfft` over the innermost axis: ``n`` bins give ``2 * (n - 1)`` real
    samples (TF.js ``tf.spectral.irfft``).

    >>> import layerflow as lf
    >>> lf.irfft(lf.rfft(lf.tensor([1.0, 2.0, 3.0, 4.0]))).array_sync()
    [1.0, 2.0, 3.0, 4.0]
    """
    z = _complex_input(input, "irfft")
    k = z.shape[-1]
    if k is not None and k < 2:
        raise ShapeError(f"irfft: the innermost dimension must be at least 2, got shape "
                         f"{z.shape}")
    n = None if k is None else 2 * (k - 1)
    return run("irfft", (z,), z.shape[:-1] + (n,), "float32", {"n": n}, grad=_irfft_grad)


def _irfft_grad(dy, inputs, out, attrs):
    return (_irfft_adjoint(dy, inputs[0].shape[-1]),)


def _irfft_adjoint(g, k: int):
    """The adjoint of irfft (a private op whose own adjoint is irfft)."""
    return run("irfft_grad", (g,), g.shape[:-1] + (k,), "complex64", {"k": k},
               grad=_irfft_adjoint_grad)


def _irfft_adjoint_grad(dy, inputs, out, attrs):
    return (irfft(dy),)


# -- private complex helpers (the public lf.complex / lf.real / lf.imag live in elementwise) -----
def complex_from_parts(real, imag):
    """complex64 from float real and imaginary parts (differentiable)."""
    re = as_tensor(real, "real", "complex")
    im = as_tensor(imag, "imag", "complex")
    if re.shape != im.shape:
        raise ShapeError(f"complex: real shape {re.shape} and imag shape {im.shape} must match")
    return run("spectral_complex", (re, im), re.shape, "complex64", grad=_complex_grad)


def _complex_grad(dy, inputs, out, attrs):
    re, im = inputs
    return real_part(dy, re.dtype), imag_part(dy, im.dtype)


def real_part(z, dtype: str = "float32"):
    """The real part of complex64 ``z`` as ``dtype`` (differentiable)."""
    z = as_tensor(z, "input", "real")
    return run("spectral_real", (z,), z.shape, dtype, {"dtype": dtypes.to_numpy(dtype)},
               grad=_real_grad)


def _real_grad(dy, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like

    return (complex_from_parts(dy, zeros_like(dy)),)


def imag_part(z, dtype: str = "float32"):
    """The imaginary part of complex64 ``z`` as ``dtype`` (differentiable)."""
    z = as_tensor(z, "input", "imag")
    return run("spectral_imag", (z,), z.shape, dtype, {"dtype": dtypes.to_numpy(dtype)},
               grad=_imag_grad)


def _imag_grad(dy, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like

    return (complex_from_parts(zeros_like(dy), dy),)
