"""Loss kernels: Keras's categorical crossentropy of probabilities, averaged, in one call.

``categorical_crossentropy_mean`` is ``losses.CategoricalCrossentropy``'s default reduction of
``metrics_functions.categorical_crossentropy`` (probabilities renormalised along the last axis,
clipped to ``[lo, hi]``, ``-sum(t * log(p))``, then the sum over the batch divided by the
number of values), step for step as those ops' kernels compute it, so the numbers are the same;
``categorical_crossentropy_mean_grad`` is what the ops' gradients compute for ``y_pred``, in the
same order. Shared by NumPy and jax.numpy (``xp``); NumPy runs them under ``errstate``.
"""

from __future__ import annotations

import numpy as np


def kernels(xp) -> dict:
    def probabilities(y, lo, hi):
        total = xp.sum(y, axis=(y.ndim - 1,), keepdims=True, dtype=y.dtype)
        q = y / total
        return total, q, xp.minimum(xp.maximum(q, lo), hi).astype(y.dtype)

    def categorical_crossentropy_mean(t, y, lo, hi):
        _, _, p = probabilities(y, lo, hi)
        values = -xp.sum(t * xp.log(p), axis=(y.ndim - 1,), dtype=y.dtype)
        total = xp.sum(values, axis=tuple(range(values.ndim)), dtype=y.dtype)
        return xp.asarray(total / xp.asarray(values.size, y.dtype))

    def categorical_crossentropy_mean_grad(t, y, dy, lo, hi):
        # NOTE: the chain the composite's gradients run: div_no_nan, sum, neg, sum, mul, log,
        # clip (mask), div (both inputs), sum(keepdims); the two paths into y add up last.
        total, q, p = probabilities(y, lo, hi)
        size = xp.asarray(t.size // t.shape[-1], y.dtype)
        d_p = (-(dy / size) * t) / p
        inside = (q >= xp.asarray(lo, y.dtype)) & (q <= xp.asarray(hi, y.dtype))
        d_q = d_p * inside.astype(y.dtype)
        d_total = xp.sum(-((d_q * y) / (total * total)), axis=(y.ndim - 1,), dtype=y.dtype)
        return (d_q / total + d_total[..., None]).astype(y.dtype)

    return {"categorical_crossentropy_mean": categorical_crossentropy_mean,
            "categorical_crossentropy_mean_grad": categorical_crossentropy_mean_grad}


def numpy_kernels() -> dict:
    table = kernels(np)

    def quiet(fn):
        def run(*args, **kwargs):
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)

        return run

    return {name: quiet(fn) for name, fn in table.items()}
