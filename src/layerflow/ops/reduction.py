"""Reductions: sum, mean, and the rest of TF.js's reduction family.

``axis`` is an int, a list of ints or None (all axes); ``keepdims`` keeps reduced axes as 1.
Summing bool or int32 gives int32 (TF.js); ``mean`` of integers gives float32.

>>> import layerflow as lf
>>> lf.sum(lf.tensor([[1, 2], [3, 4]]), axis=0).array_sync()
[4, 6]
"""

from __future__ import annotations

import builtins

from layerflow.engine import dtypes
from layerflow.errors import DTypeError
from layerflow.ops._define import as_tensor, chainable, normalize_axes, run

__all__ = ["sum", "mean"]


def reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    """The shape left after reducing ``axes``."""
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def expand_reduced(g, shape: tuple, axes: tuple):
    """Reshape a reduced gradient so it broadcasts against the input ``shape``."""
    from layerflow.ops.shape import reshape

    return reshape(g, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _numeric(x, op: str):
    if x.dtype == "string":
        raise DTypeError(f"{op}: expected a numeric tensor, got dtype string")


@chainable()
def sum(x, axis=None, keepdims: bool = False):  # noqa: A001  (TF.js's name)
    """Sum of elements over ``axis``.

    >>> import layerflow as lf
    >>> lf.sum(lf.tensor([1.0, 2.0, 3.0])).item()
    6.0
    """
    x = as_tensor(x, "x", "sum")
    _numeric(x, "sum")
    axes = normalize_axes(axis, x.rank, "sum")
    dtype = "int32" if x.dtype == "bool" else x.dtype
    shape = reduced_shape(x.shape, axes, keepdims)
    return run("sum", (x,), shape, dtype,
               {"axis": axes, "keepdims": keepdims, "dtype": dtypes.to_numpy(dtype)},
               grad=_sum_grad)


def _sum_grad(dy, inputs, out, attrs):
    from layerflow.ops.shape import broadcast_to

    (x,) = inputs
    g = dy if attrs["keepdims"] else expand_reduced(dy, x.shape, attrs["axis"])
    return (broadcast_to(g, x.shape),)


@chainable()
def mean(x, axis=None, keepdims: bool = False):
    """Mean of elements over ``axis`` (integers give float32).

    >>> import layerflow as lf
    >>> lf.mean(lf.tensor([1, 2, 3, 4])).item()
    2.5
    """
    from layerflow.ops.elementwise import cast, div

    x = as_tensor(x, "x", "mean")
    _numeric(x, "mean")
    if not dtypes.is_floating_or_complex(x.dtype):
        x = cast(x, "float32")
    axes = normalize_axes(axis, x.rank, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a] if x.shape[a] is not None else 1
    total = sum(x, axis=axes, keepdims=keepdims)
    return div(total, builtins.max(count, 1)) if count != 1 else total
