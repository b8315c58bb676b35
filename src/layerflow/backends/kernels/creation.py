"""Creation kernels, shared by NumPy and jax.numpy (``xp``)."""

from __future__ import annotations


def kernels(xp) -> dict:
    return {
        "fill": lambda shape, value, dtype: xp.full(shape, value, dtype=dtype),
        "fill_like": lambda x, value, dtype: xp.full(x.shape, value, dtype=dtype),
    }
