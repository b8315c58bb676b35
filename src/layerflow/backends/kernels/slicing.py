"""Slicing, gathering, scattering and joining kernels."""

from __future__ import annotations

import numpy as np


def _slices(spec):
    return tuple(slice(*s) for s in spec)


def _nd_index(xp, indices):
    return tuple(xp.moveaxis(indices, -1, 0))


def kernels(xp) -> dict:
    def gather_nd(x, indices):
        k = indices.shape[-1]
        if k == 0:
            return xp.broadcast_to(x, indices.shape[:-1] + x.shape)
        return x[_nd_index(xp, indices)]

    return {
        "strided_slice": lambda x, spec: x[_slices(spec)],
        "gather": lambda x, indices, axis: xp.take(x, indices, axis=axis),
        "gather_nd": gather_nd,
        "concat": lambda *xs, axis: xp.concatenate(xs, axis=axis),
        "tile": lambda x, reps: xp.tile(x, reps),
        "reverse": lambda x, axes: xp.flip(x, axis=axes),
    }


def numpy_kernels() -> dict:
    def strided_slice_grad(dy, spec, shape):
        out = np.zeros(shape, dtype=dy.dtype)
        out[_slices(spec)] = dy
        return out

    def scatter_nd(indices, updates, shape):
        out = np.zeros(shape, dtype=updates.dtype)
        if indices.shape[-1] == 0:
            return out + updates.sum(axis=tuple(range(indices.ndim - 1)), dtype=updates.dtype)
        np.add.at(out, _nd_index(np, indices), updates)
        return out

    def tensor_scatter_update(tensor, indices, updates):
        out = np.array(tensor, copy=True)
        if indices.shape[-1] == 0:
            out[...] = updates.reshape((-1,) + tensor.shape)[-1] if updates.size else out
            return out
        out[_nd_index(np, indices)] = updates
        return out

    return {"strided_slice_grad": strided_slice_grad, "scatter_nd": scatter_nd,
            "tensor_scatter_update": tensor_scatter_update}


def jax_kernels() -> dict:
    import jax.numpy as jnp

    def strided_slice_grad(dy, spec, shape):
        return jnp.zeros(shape, dtype=dy.dtype).at[_slices(spec)].set(dy)

    def scatter_nd(indices, updates, shape):
        out = jnp.zeros(shape, dtype=updates.dtype)
        if indices.shape[-1] == 0:
            return out + updates.sum(axis=tuple(range(indices.ndim - 1)), dtype=updates.dtype)
        return out.at[_nd_index(jnp, indices)].add(updates)

    def tensor_scatter_update(tensor, indices, updates):
        if indices.shape[-1] == 0:
            if updates.size == 0:
                return tensor
            return jnp.broadcast_to(updates.reshape((-1,) + tensor.shape)[-1], tensor.shape)
        return tensor.at[_nd_index(jnp, indices)].set(updates)

    return {"strided_slice_grad": strided_slice_grad, "scatter_nd": scatter_nd,
            "tensor_scatter_update": tensor_scatter_update}
