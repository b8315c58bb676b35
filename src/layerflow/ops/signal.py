"""Signal ops (``lf.signal``): framing, windows and the short-time Fourier transform, as
TF.js's ``tf.signal.*``.

>>> import layerflow as lf
>>> lf.signal.frame(lf.tensor([1, 2, 3, 4, 5]), 2, 2).array_sync()
[[1, 2], [3, 4]]
"""

from __future__ import annotations

import math

import numpy as np

from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, run

__all__ = ["frame", "hann_window", "hamming_window", "stft"]


def _positive_int(value, name: str, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise InvalidArgumentError(f"{op}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _frame_count(n: int, frame_length: int, frame_step: int, pad_end: bool) -> int:
    if pad_end:
        return -(-n // frame_step) if n > 0 else 0
    return (n - frame_length) // frame_step + 1 if n >= frame_length else 0


def frame(signal, frame_length: int, frame_step: int, pad_end: bool = False, pad_value=0):
    """Overlapping frames of the innermost axis (TF.js ``tf.signal.frame``).

    Frames start every ``frame_step`` samples; with ``pad_end`` frames that run past the end
    are kept and filled with ``pad_value``. A ``[..., n]`` signal gives
    ``[..., frames, frame_length]`` (TF.js takes 1-D signals; more leading axes are allowed).

    >>> import layerflow as lf
    >>> lf.signal.frame(lf.tensor([1, 2, 3]), 2, 2, pad_end=True, pad_value=9).array_sync()
    [[1, 2], [3, 9]]
    """
    op = "frame"
    x = as_tensor(signal, "signal", op)
    if x.rank < 1:
        raise ShapeError(f"{op}: signal must be at least rank 1, got shape {x.shape}")
    if x.dtype == "string":
        raise DTypeError(f"{op}: expected a numeric signal, got dtype string")
    frame_length = _positive_int(frame_length, "frame_length", op)
    frame_step = _positive_int(frame_step, "frame_step", op)
    n = x.shape[-1]
    count = None if n is None else _frame_count(n, frame_length, frame_step, bool(pad_end))
    shape = x.shape[:-1] + (count, frame_length)
    return run(op, (x,), shape, x.dtype,
               {"frame_length": frame_length, "frame_step": frame_step,
                "pad_end": bool(pad_end), "pad_value": pad_value}, grad=_frame_grad)


def _frame_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (_overlap_add(dy, x.shape[-1], attrs["frame_step"], attrs["pad_end"]),)


def _overlap_add(g, n: int, frame_step: int, pad_end: bool):
    """The adjoint of :func:`frame` (a private op whose own adjoint is ``frame``)."""
    return run("frame_overlap_add", (g,), g.shape[:-2] + (n,), g.dtype,
               {"n": n, "frame_step": frame_step, "pad_end": pad_end}, grad=_overlap_add_grad)


def _overlap_add_grad(dy, inputs, out, attrs):
    (g,) = inputs
    framed = frame(dy, g.shape[-1], attrs["frame_step"], attrs["pad_end"], 0)
    return (framed,)


def _cosine_window(window_length, a: float, b: float, op: str):
    from layerflow.ops.creation import tensor

    n = _positive_int(window_length, "window_length", op)
    if n == 1:
        return tensor(np.ones(1, dtype=np.float32))
    even = 1 - n % 2
    i = np.arange(n, dtype=np.float64)
    values = a - b * np.cos(2.0 * math.pi * i / (n + even - 1))
    return tensor(values.astype(np.float32))


def hann_window(window_length: int):
    """Hann window, ``0.5 - 0.5 cos(2 pi i / N)``, float32 (TF.js ``tf.signal.hannWindow``).

    As TF.js: periodic (``N = length``) for even lengths, symmetric (``N = length - 1``) for
    odd ones; length 1 gives ``[1]``.

    >>> import layerflow as lf
    >>> lf.signal.hann_window(4).array_sync()
    [0.0, 0.5, 1.0, 0.5]
    """
    return _cosine_window(window_length, 0.5, 0.5, "hann_window")


def hamming_window(window_length: int):
    """Hamming window, ``0.54 - 0.46 cos(2 pi i / N)``, float32 (TF.js
    ``tf.signal.hammingWindow``); ``N`` as :func:`hann_window`.

    >>> import layerflow as lf
    >>> [round(v, 2) for v in lf.signal.hamming_window(4).array_sync()]
    [0.08, 0.54, 1.0, 0.54]
    """
    return _cosine_window(window_length, 0.54, 0.46, "hamming_window")


def stft(signal, frame_length: int, frame_step: int, fft_length: int | None = None,
         window_fn=hann_window):
    """Short-time Fourier transform (TF.js ``tf.signal.stft``): frames of the signal, times
    ``window_fn(frame_length)``, then :func:`~layerflow.ops.spectral.rfft` of ``fft_length``
    (default: the smallest power of two >= ``frame_length``).

    Returns complex64 ``[..., frames, fft_length // 2 + 1]``.

    >>> import layerflow as lf
    >>> lf.signal.stft(lf.ones([8]), 4, 2).shape
    (3, 3)
    """
    from layerflow.ops.elementwise import cast, mul
    from layerflow.ops.spectral import rfft

    op = "stft"
    frame_length = _positive_int(frame_length, "frame_length", op)
    if fft_length is None:
        fft_length = 1 << (frame_length - 1).bit_length()
    fft_length = _positive_int(fft_length, "fft_length", op)
    framed = frame(signal, frame_length, frame_step)
    if not dtypes.is_floating_or_complex(framed.dtype):
        framed = cast(framed, "float32")
    window = window_fn(frame_length)
    if window.dtype != framed.dtype:
        window = cast(window, framed.dtype)
    return rfft(mul(framed, window), fft_length)
