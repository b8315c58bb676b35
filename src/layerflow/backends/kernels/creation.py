"""Creation kernels, shared by NumPy and jax.numpy (``xp``)."""

from __future__ import annotations

import math


def kernels(xp) -> dict:
    def eye(num_rows, num_columns, batch_shape, dtype):
        base = xp.eye(num_rows, num_columns, dtype=dtype)
        if not batch_shape:
            return base
        return xp.array(xp.broadcast_to(base, tuple(batch_shape) + (num_rows, num_columns)))

    def linspace(start, stop, num):
        return xp.linspace(start, stop, num, dtype=xp.float64).astype(xp.float32)

    def range_(start, step, num, dtype):
        return (start + xp.arange(num, dtype=xp.float64) * step).astype(dtype)

    def one_hot(indices, depth, on_value, off_value, dtype):
        hit = indices[..., None] == xp.arange(depth, dtype=indices.dtype)
        on = xp.asarray(on_value).astype(dtype)
        off = xp.asarray(off_value).astype(dtype)
        return xp.where(hit, on, off).astype(dtype)

    def diag(x):
        return xp.diag(x.reshape(-1)).reshape(x.shape + x.shape)

    def diag_part(x):
        half = x.shape[: x.ndim // 2]
        n = math.prod(half)
        return xp.diagonal(x.reshape(n, n)).reshape(half)

    return {
        "fill": lambda shape, value, dtype: xp.full(shape, value, dtype=dtype),
        "fill_like": lambda x, value, dtype: xp.full(x.shape, value, dtype=dtype),
        "eye": eye,
        "linspace": linspace,
        "range": range_,
        "one_hot": one_hot,
        "diag": diag,
        "diag_part": diag_part,
    }
