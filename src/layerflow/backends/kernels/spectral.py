"""Spectral and signal kernels, shared by NumPy and jax.numpy (``xp``).

FFTs run over the innermost axis; outputs are cast to complex64 / float32 (or kept at the real
input's float dtype for the backward kernels). ``frame_overlap_add`` (the adjoint of framing)
scatters with ``np.add.at`` on NumPy and ``.at[].add`` on jax.
"""

from __future__ import annotations

import numpy as np


def _fit(xp, x, n: int):
    """Truncate or zero-pad the innermost axis of ``x`` to ``n``."""
    m = x.shape[-1]
    if m == n:
        return x
    if m > n:
        return x[..., :n]
    pad = [(0, 0)] * (x.ndim - 1) + [(0, n - m)]
    return xp.pad(x, pad)


def frame_indices(n: int, frame_length: int, frame_step: int, pad_end: bool) -> np.ndarray:
    """Start + offset per frame (index ``n`` means the pad value), as TF.js's frame."""
    if pad_end:
        count = -(-n // frame_step) if n > 0 else 0
    else:
        count = (n - frame_length) // frame_step + 1 if n >= frame_length else 0
    idx = np.arange(count)[:, None] * frame_step + np.arange(frame_length)[None, :]
    return np.minimum(idx, n).astype(np.int64)


def kernels(xp) -> dict:
    def fft(x):
        return xp.fft.fft(x, axis=-1).astype(np.complex64)

    def ifft(x):
        return xp.fft.ifft(x, axis=-1).astype(np.complex64)

    def rfft(x, fft_length):
        return xp.fft.rfft(_fit(xp, x, fft_length), axis=-1).astype(np.complex64)

    def rfft_grad(g, fft_length, in_length, dtype):
        # adjoint of rfft: Re(F_r^H g), then undo the truncation / padding.
        full = xp.fft.ifft(g, n=fft_length, axis=-1) * fft_length
        return _fit(xp, xp.real(full), in_length).astype(dtype)

    def irfft(z, n):
        return xp.fft.irfft(z, n=n, axis=-1).astype(np.float32)

    def irfft_grad(g, k):
        n = g.shape[-1]
        c = np.full(k, 2.0)
        c[0] = 1.0
        if n % 2 == 0:
            c[-1] = 1.0
        spec = xp.fft.rfft(g, axis=-1)
        return (spec * xp.asarray(c / n)).astype(np.complex64)

    def complex_parts(re, im):
        return (re + 1j * im).astype(np.complex64)

    def real_part(z, dtype):
        return xp.real(z).astype(dtype)

    def imag_part(z, dtype):
        return xp.imag(z).astype(dtype)

    def frame(x, frame_length, frame_step, pad_end, pad_value):
        n = x.shape[-1]
        idx = frame_indices(n, frame_length, frame_step, pad_end)
        pad = xp.full(x.shape[:-1] + (1,), pad_value, dtype=x.dtype)
        return xp.take(xp.concatenate([x, pad], axis=-1), idx, axis=-1)

    return {"fft": fft, "ifft": ifft, "rfft": rfft, "rfft_grad": rfft_grad, "irfft": irfft,
            "irfft_grad": irfft_grad, "spectral_complex": complex_parts,
            "spectral_real": real_part, "spectral_imag": imag_part, "frame": frame}


def numpy_kernels() -> dict:
    def frame_overlap_add(g, n, frame_step, pad_end):
        frames, length = g.shape[-2], g.shape[-1]
        idx = frame_indices(n, length, frame_step, pad_end)[:frames]
        out = np.zeros(g.shape[:-2] + (n + 1,), dtype=g.dtype)
        np.add.at(out, (..., idx), g)
        return out[..., :n]

    return {"frame_overlap_add": frame_overlap_add}


def jax_kernels() -> dict:
    import jax.numpy as jnp

    def frame_overlap_add(g, n, frame_step, pad_end):
        frames, length = g.shape[-2], g.shape[-1]
        idx = frame_indices(n, length, frame_step, pad_end)[:frames]
        out = jnp.zeros(g.shape[:-2] + (n + 1,), dtype=g.dtype)
        out = out.at[..., idx].add(g)
        return out[..., :n]

    return {"frame_overlap_add": frame_overlap_add}
