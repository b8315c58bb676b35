"""Reduction kernels, shared by NumPy and jax.numpy (``xp``)."""

from __future__ import annotations


def kernels(xp) -> dict:
    def reduce_sum(x, axis, keepdims, dtype):
        return xp.asarray(xp.sum(x, axis=axis, keepdims=keepdims, dtype=dtype))

    return {
        "sum": reduce_sum,
    }
