"""Evaluation kernels: topk (and its scatter/gather gradient helpers), unique, search_sorted,
in_top_k, confusion_matrix."""

from __future__ import annotations

import numpy as np


def kernels(xp) -> dict:
    def gather_last(x, indices):
        return xp.take_along_axis(x, indices, axis=-1)

    def in_top_k(predictions, targets, k):
        # position of the target in a stable descending sort: ties go to the lower index
        depth = predictions.shape[-1]
        valid = (targets >= 0) & (targets < depth)
        safe = xp.where(valid, targets, 0)
        value = xp.take_along_axis(predictions, safe[..., None], axis=-1)
        index = xp.arange(depth)
        ahead = (predictions > value) | ((predictions == value) & (index < safe[..., None]))
        position = xp.sum(ahead, axis=-1)
        return valid & (position < k)

    return {
        "topk_gather_last": gather_last,
        "in_top_k": in_top_k,
    }


def _unique(x, axis):
    x = np.asarray(x)
    moved = np.moveaxis(x, axis, 0)
    n = moved.shape[0]
    rows = moved.reshape(n, -1)
    if x.dtype == object or rows.shape[1] == 0:
        seen: dict = {}
        inverse = np.empty(n, dtype=np.int32)
        first = []
        for i in range(n):
            key = tuple(rows[i])
            j = seen.get(key)
            if j is None:
                j = seen[key] = len(first)
                first.append(i)
            inverse[i] = j
        values = moved[np.asarray(first, dtype=np.int64)]
    else:
        _, first_index, inv = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        order = np.argsort(first_index, kind="stable")
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        inverse = rank[np.asarray(inv).reshape(-1)]
        values = moved[first_index[order]]
    return np.moveaxis(values, 0, axis), inverse.astype(np.int32)


def _topk_numpy(x, k):
    key = x.astype(np.float64) if x.dtype.kind in "biu" else x
    order = np.argsort(-key, axis=-1, kind="stable")[..., :k].astype(np.int32)
    return np.take_along_axis(x, order, axis=-1), order


def numpy_kernels() -> dict:
    def topk(x, k, sorted):  # noqa: A002  (TF.js's name)
        return _topk_numpy(x, k)

    def topk_scatter(dy, indices, depth):
        lead = dy.shape[:-1]
        rows = int(np.prod(lead, dtype=np.int64))
        out = np.zeros((rows, depth), dtype=dy.dtype)
        k = dy.shape[-1]
        np.add.at(out, (np.arange(rows)[:, None], indices.reshape(rows, k)), dy.reshape(rows, k))
        return out.reshape(lead + (depth,))

    def unique(x, axis):
        return _unique(x, axis)

    def search_sorted(sorted_sequence, values, side):
        out = np.empty(values.shape, dtype=np.int32)
        for i in range(sorted_sequence.shape[0]):
            out[i] = np.searchsorted(sorted_sequence[i], values[i], side=side)
        return out

    def confusion_matrix(labels, predictions, num_classes):
        valid = (labels >= 0) & (labels < num_classes) & (predictions >= 0) \
            & (predictions < num_classes)
        flat = labels[valid].astype(np.int64) * num_classes + predictions[valid]
        counts = np.bincount(flat, minlength=num_classes * num_classes)
        return counts.astype(np.int32).reshape(num_classes, num_classes)

    return {"topk": topk, "topk_scatter": topk_scatter, "unique": unique,
            "search_sorted": search_sorted, "confusion_matrix": confusion_matrix}


def jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp

    def topk(x, k, sorted):  # noqa: A002  (TF.js's name)
        key = x.astype(jnp.int32) if x.dtype == jnp.bool_ else x
        _, indices = jax.lax.top_k(key, k)
        indices = indices.astype(jnp.int32)
        return jnp.take_along_axis(x, indices, axis=-1), indices

    def topk_scatter(dy, indices, depth):
        lead = dy.shape[:-1]
        rows = int(np.prod(lead, dtype=np.int64))
        k = dy.shape[-1]
        out = jnp.zeros((rows, depth), dtype=dy.dtype)
        out = out.at[jnp.arange(rows)[:, None], indices.reshape(rows, k)].add(
            dy.reshape(rows, k))
        return out.reshape(lead + (depth,))

    def unique(x, axis):
        values, indices = _unique(np.asarray(x), axis)
        if values.dtype != object:
            values = jnp.asarray(values)
        return values, jnp.asarray(indices)

    def search_sorted(sorted_sequence, values, side):
        fn = jax.vmap(lambda s, v: jnp.searchsorted(s, v, side=side))
        return fn(sorted_sequence, values).astype(jnp.int32)

    def confusion_matrix(labels, predictions, num_classes):
        valid = (labels >= 0) & (labels < num_classes) & (predictions >= 0) \
            & (predictions < num_classes)
        flat = jnp.where(valid, labels * num_classes + predictions, num_classes * num_classes)
        out = jnp.zeros(num_classes * num_classes + 1, dtype=jnp.int32).at[flat].add(1)
        return out[:-1].reshape(num_classes, num_classes)

    return {"topk": topk, "topk_scatter": topk_scatter, "unique": unique,
            "search_sorted": search_sorted, "confusion_matrix": confusion_matrix}
