"""Reduction and scan kernels, shared by NumPy and jax.numpy (``xp``)."""

from __future__ import annotations


def kernels(xp) -> dict:
    def reduce_sum(x, axis, keepdims, dtype):
        return xp.asarray(xp.sum(x, axis=axis, keepdims=keepdims, dtype=dtype))

    def reduce_prod(x, axis, keepdims, dtype):
        return xp.asarray(xp.prod(x, axis=axis, keepdims=keepdims, dtype=dtype))

    def reduce_max(x, axis, keepdims):
        return xp.asarray(xp.max(x, axis=axis, keepdims=keepdims))

    def reduce_min(x, axis, keepdims):
        return xp.asarray(xp.min(x, axis=axis, keepdims=keepdims))

    def reduce_all(x, axis, keepdims):
        return xp.asarray(xp.all(x, axis=axis, keepdims=keepdims))

    def reduce_any(x, axis, keepdims):
        return xp.asarray(xp.any(x, axis=axis, keepdims=keepdims))

    def arg_max(x, axis):
        return xp.asarray(xp.argmax(x, axis=axis)).astype(xp.int32)

    def arg_min(x, axis):
        return xp.asarray(xp.argmin(x, axis=axis)).astype(xp.int32)

    def log_sum_exp(x, axis, keepdims):
        if x.size == 0:
            return xp.asarray(xp.log(xp.sum(xp.exp(x), axis=axis, keepdims=keepdims)))
        m = xp.max(x, axis=axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
        s = xp.sum(xp.exp(x - m), axis=axis, keepdims=True)
        out = xp.log(s) + m
        if not keepdims:
            out = xp.squeeze(out, axis=axis)
        return xp.asarray(out).astype(x.dtype)

    def equal_mask(x, y):
        return xp.equal(x, y).astype(x.dtype)

    def scan(fn, identity):
        def kernel(x, axis, exclusive, reverse, dtype):
            x = x.astype(dtype)
            if reverse:
                x = xp.flip(x, axis)
            y = fn(x, axis=axis, dtype=dtype)
            if exclusive and x.shape[axis] > 0:
                index = [slice(None)] * x.ndim
                index[axis] = slice(0, -1)
                pad_shape = list(x.shape)
                pad_shape[axis] = 1
                first = xp.full(pad_shape, identity, dtype=dtype)
                y = xp.concatenate([first, y[tuple(index)]], axis=axis)
            if reverse:
                y = xp.flip(y, axis)
            return xp.asarray(y).astype(dtype)

        return kernel

    return {
        "sum": reduce_sum,
        "prod": reduce_prod,
        "max": reduce_max,
        "min": reduce_min,
        "all": reduce_all,
        "any": reduce_any,
        "arg_max": arg_max,
        "arg_min": arg_min,
        "log_sum_exp": log_sum_exp,
        "reduction_equal_mask": equal_mask,
        "cumsum": scan(xp.cumsum, 0),
        "cumprod": scan(xp.cumprod, 1),
    }


def _bincount_parts(xp, x, weights, size, binary_output, dtype):
    """Flat bin index per element (rows * size where out of range) and its weight."""
    rows = x.shape[0]
    valid = (x >= 0) & (x < size)
    flat = xp.where(valid, x + (xp.arange(rows, dtype=x.dtype) * size)[:, None], rows * size)
    if weights.size == 0 or binary_output:
        w = xp.ones(x.shape, dtype=dtype)
    else:
        w = weights.astype(dtype)
    return flat.reshape(-1), w.reshape(-1), rows


def numpy_kernels() -> dict:
    import numpy as np

    def bincount(x, weights, size, binary_output, dtype):
        flat, w, rows = _bincount_parts(np, x, weights, size, binary_output, dtype)
        out = np.zeros(rows * size + 1, dtype=dtype)
        np.add.at(out, flat, w)
        out = out[:-1].reshape(rows, size)
        if binary_output:
            out = (out > 0).astype(dtype)
        return out

    return {"bincount": bincount}


def jax_kernels() -> dict:
    import jax.numpy as jnp

    def bincount(x, weights, size, binary_output, dtype):
        flat, w, rows = _bincount_parts(jnp, x, weights, size, binary_output, dtype)
        out = jnp.zeros(rows * size + 1, dtype=dtype).at[flat].add(w)
        out = out[:-1].reshape(rows, size)
        if binary_output:
            out = (out > 0).astype(dtype)
        return out

    return {"bincount": bincount}
