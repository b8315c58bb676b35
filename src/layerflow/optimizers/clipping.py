"""Gradient clipping as Keras 3 applies it (``clipnorm``, ``global_clipnorm``).

Written with layerflow ops, so it runs on both backends and traces under ``lf.compile``.

>>> import layerflow as lf
>>> round(global_norm([lf.tensor([3.0]), None, lf.tensor([4.0])]).item(), 4)
5.0
"""

from __future__ import annotations

from layerflow.ops.elementwise import add, cast, div, maximum, minimum, mul, sqrt, square, sub
from layerflow.ops.joining import stack
from layerflow.ops.logical import greater, where
from layerflow.ops.reduction import sum as reduce_sum


def clip_by_norm(values, clipnorm: float):
    """``values`` scaled down so that their L2 norm is at most ``clipnorm``.

    >>> import layerflow as lf
    >>> clip_by_norm(lf.tensor([3.0, 4.0]), 1.0).array_sync()
    [0.6000000238418579, 0.800000011920929]
    """
    l2sum = reduce_sum(square(values), None, keepdims=True)
    positive = greater(l2sum, 0)
    # NOTE: the two-sided where keeps the gradient of sqrt finite at zero (as Keras does).
    l2norm = where(positive, sqrt(where(positive, l2sum, 1.0)), l2sum)
    return div(mul(values, clipnorm), maximum(l2norm, clipnorm))


def global_norm(values: list):
    """The L2 norm of all of ``values`` together (None entries skipped)."""
    return sqrt(reduce_sum(stack([reduce_sum(square(v)) for v in values if v is not None])))


def clip_by_global_norm(values: list, clip_norm: float) -> list:
    """``values`` scaled together so that their global norm is at most ``clip_norm``.

    >>> import layerflow as lf
    >>> [t.array_sync() for t in clip_by_global_norm([lf.tensor([3.0]), lf.tensor([4.0])], 1.0)]
    [[0.6000000238418579], [0.800000011920929]]
    """
    norm = global_norm(values)
    scale = mul(minimum(div(1.0, norm), 1.0 / clip_norm), clip_norm)
    # NOTE: adding (norm - norm) turns the scale into NaN when the norm is not finite (Keras).
    scale = add(scale, sub(norm, norm))
    return [None if v is None else mul(v, cast(scale, v.dtype)) for v in values]
