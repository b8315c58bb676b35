"""Normalization kernels (softmax, log_softmax, the LRN window sum), shared by NumPy and
jax.numpy (``xp``)."""

from __future__ import annotations


def kernels(xp) -> dict:
    def softmax(x, axis):
        m = xp.max(x, axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
        e = xp.exp(x - m)
        return (e / xp.sum(e, axis=axis, keepdims=True)).astype(x.dtype)

    def log_softmax(x, axis):
        m = xp.max(x, axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
        shifted = x - m
        return (shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))
                ).astype(x.dtype)

    def lrn_window_sum(x, radius):
        # sum over the last axis of x[..., d - radius : d + radius + 1] (zeros outside)
        depth = x.shape[-1]
        r = min(radius, max(depth - 1, 0))
        pad = [(0, 0)] * (x.ndim - 1) + [(r, r)]
        padded = xp.pad(x, pad)
        out = padded[..., 0:depth]
        for k in range(1, 2 * r + 1):
            out = out + padded[..., k:k + depth]
        return out.astype(x.dtype)

    return {
        "softmax": softmax,
        "log_softmax": log_softmax,
        "lrn_window_sum": lrn_window_sum,
    }
