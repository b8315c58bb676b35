"""Segment kernels: scatter-add / scatter-max of rows into segments."""

from __future__ import annotations

import numpy as np


def _lowest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def kernels(xp) -> dict:
    return {
        "segment_equal_mask": lambda a, b: (a == b).astype(a.dtype),
    }


def numpy_kernels() -> dict:
    def unsorted_segment_sum(x, ids, num_segments):
        out = np.zeros((num_segments,) + x.shape[ids.ndim:], dtype=x.dtype)
        np.add.at(out, ids, x)
        return out

    def unsorted_segment_max(x, ids, num_segments):
        out = np.full((num_segments,) + x.shape[ids.ndim:], _lowest(x.dtype), dtype=x.dtype)
        np.maximum.at(out, ids, x)
        return out

    return {"unsorted_segment_sum": unsorted_segment_sum,
            "unsorted_segment_max": unsorted_segment_max}


def jax_kernels() -> dict:
    import jax.numpy as jnp

    def unsorted_segment_sum(x, ids, num_segments):
        out = jnp.zeros((num_segments,) + x.shape[ids.ndim:], dtype=x.dtype)
        return out.at[ids].add(x)

    def unsorted_segment_max(x, ids, num_segments):
        out = jnp.full((num_segments,) + x.shape[ids.ndim:], _lowest(x.dtype), dtype=x.dtype)
        return out.at[ids].max(x)

    return {"unsorted_segment_sum": unsorted_segment_sum,
            "unsorted_segment_max": unsorted_segment_max}
