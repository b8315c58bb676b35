"""Reductions (sum, mean, prod, max, min, all, any, arg_max, arg_min, log_sum_exp, variance,
std), bincounts, and scans (cumsum, cumprod).

``axis`` is an int, a list of ints or None (all axes); ``keepdims`` keeps reduced axes as 1
(TF.js's ``keep_dims`` spelling is accepted too). Summing or multiplying bool or int32 gives
int32 (TF.js); ``mean``, ``log_sum_exp``, ``variance`` and ``std`` of integers give float32;
``max``/``min`` keep the dtype; ``all``/``any`` give bool (non-bool input counts as ``!= 0``).

>>> import layerflow as lf
>>> lf.sum(lf.tensor([[1, 2], [3, 4]]), axis=0).array_sync()
[4, 6]
>>> lf.tensor([[1, 5], [7, 2]]).max(axis=1).array_sync()
[5, 7]
"""

from __future__ import annotations

import builtins

from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, chainable, normalize_axes, normalize_axis, run

__all__ = ["sum", "mean", "prod", "max", "min", "all", "any", "arg_max", "arg_min",
           "argmax", "argmin", "log_sum_exp", "logsumexp", "variance", "var", "std",
           "cumsum", "cumprod", "bincount", "dense_bincount"]


def reduced_shape(shape: tuple, axes: tuple, keepdims: bool) -> tuple:
    """The shape left after reducing ``axes``."""
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def expand_reduced(g, shape: tuple, axes: tuple):
    """Reshape a reduced gradient so it broadcasts against the input ``shape``."""
    from layerflow.ops.shape import reshape

    return reshape(g, tuple(1 if i in axes else d for i, d in enumerate(shape)))


def _keep(keepdims, keep_dims) -> bool:
    """``keepdims``, or TF.js's ``keep_dims`` spelling when that one is given."""
    return bool(keepdims if keep_dims is None else keep_dims)


def _numeric(x, op: str):
    if x.dtype == "string":
        raise DTypeError(f"{op}: expected a numeric tensor, got dtype string")


def _nonempty(x, axes: tuple, op: str):
    for a in axes:
        if x.shape[a] == 0:
            raise InvalidArgumentError(f"{op}: cannot reduce over axis {a} of size 0 "
                                       f"(input shape {x.shape})")


def _to_float(x):
    from layerflow.ops.elementwise import cast

    return x if dtypes.is_floating_or_complex(x.dtype) else cast(x, "float32")


def _kept_axes(g, x, attrs):
    """``g`` (an output-shaped tensor) reshaped to broadcast against the input ``x``."""
    return g if attrs["keepdims"] else expand_reduced(g, x.shape, attrs["axis"])


# -- sum, mean, prod ---------------------------------------------------------------------------
@chainable()
def sum(x, axis=None, keepdims: bool = False, *, keep_dims=None):  # noqa: A001  (TF.js's name)
    """Sum of elements over ``axis``.

    >>> import layerflow as lf
    >>> lf.sum(lf.tensor([1.0, 2.0, 3.0])).item()
    6.0
    """
    keepdims = _keep(keepdims, keep_dims)
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
    return (broadcast_to(_kept_axes(dy, x, attrs), x.shape),)


@chainable()
def mean(x, axis=None, keepdims: bool = False, *, keep_dims=None):
    """Mean of elements over ``axis`` (integers give float32).

    >>> import layerflow as lf
    >>> lf.mean(lf.tensor([1, 2, 3, 4])).item()
    2.5
    """
    from layerflow.ops.elementwise import div

    keepdims = _keep(keepdims, keep_dims)
    x = as_tensor(x, "x", "mean")
    _numeric(x, "mean")
    x = _to_float(x)
    axes = normalize_axes(axis, x.rank, "mean")
    count = 1
    for a in axes:
        count *= x.shape[a] if x.shape[a] is not None else 1
    total = sum(x, axis=axes, keepdims=keepdims)
    return div(total, builtins.max(count, 1)) if count != 1 else total


@chainable()
def prod(x, axis=None, keepdims: bool = False, *, keep_dims=None):
    """Product of elements over ``axis`` (bool and int32 give int32).

    The gradient is exact with zeros in ``x`` (products of the other elements, as TF.js).

    >>> import layerflow as lf
    >>> lf.prod(lf.tensor([[1, 2], [3, 4]]), axis=1).array_sync()
    [2, 12]
    """
    keepdims = _keep(keepdims, keep_dims)
    x = as_tensor(x, "x", "prod")
    _numeric(x, "prod")
    axes = normalize_axes(axis, x.rank, "prod")
    dtype = "int32" if x.dtype == "bool" else x.dtype
    shape = reduced_shape(x.shape, axes, keepdims)
    return run("prod", (x,), shape, dtype,
               {"axis": axes, "keepdims": keepdims, "dtype": dtypes.to_numpy(dtype)},
               grad=_prod_grad)


def _prod_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (_prod_grad_along(_kept_axes(dy, x, attrs), x, attrs["axis"]),)


def _prod_grad_along(dy, x, axes):
    """d(prod(x, axes) . dy)/dx, one axis at a time (products of the others: zero-safe)."""
    from layerflow.ops.elementwise import mul

    if not axes:
        return mul(dy, 1)
    first, rest = axes[0], axes[1:]
    others = mul(cumprod(x, first, exclusive=True), cumprod(x, first, exclusive=True,
                                                             reverse=True))
    if rest:
        dy = _prod_grad_along(dy, prod(x, axis=first, keepdims=True), rest)
    return mul(dy, others)


# -- max, min ---------------------------------------------------------------------------------
def _extremum(kernel: str, x, axis, keepdims):
    x = as_tensor(x, "x", kernel)
    _numeric(x, kernel)
    axes = normalize_axes(axis, x.rank, kernel)
    _nonempty(x, axes, kernel)
    shape = reduced_shape(x.shape, axes, keepdims)
    return run(kernel, (x,), shape, x.dtype, {"axis": axes, "keepdims": keepdims},
               grad=_extremum_grad)


def _extremum_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import mul

    (x,) = inputs
    mask = run("reduction_equal_mask", (x, _kept_axes(out, x, attrs)), x.shape, x.dtype)
    return (mul(_kept_axes(dy, x, attrs), mask),)


@chainable()
def max(x, axis=None, keepdims: bool = False, *, keep_dims=None):  # noqa: A001
    """Largest element over ``axis`` (same dtype).

    The gradient goes to every position equal to the maximum (as TF.js).

    >>> import layerflow as lf
    >>> lf.max(lf.tensor([[1, 5], [7, 2]]), axis=0).array_sync()
    [7, 5]
    """
    return _extremum("max", x, axis, _keep(keepdims, keep_dims))


@chainable()
def min(x, axis=None, keepdims: bool = False, *, keep_dims=None):  # noqa: A001
    """Smallest element over ``axis`` (same dtype).

    >>> import layerflow as lf
    >>> lf.min(lf.tensor([[1, 5], [7, 2]]), axis=1).array_sync()
    [1, 2]
    """
    return _extremum("min", x, axis, _keep(keepdims, keep_dims))


# -- all, any ----------------------------------------------------------------------------------
def _logical(kernel: str, x, axis, keepdims):
    from layerflow.ops.elementwise import cast

    x = as_tensor(x, "x", kernel)
    _numeric(x, kernel)
    if x.dtype != "bool":
        x = cast(x, "bool")
    axes = normalize_axes(axis, x.rank, kernel)
    shape = reduced_shape(x.shape, axes, keepdims)
    return run(kernel, (x,), shape, "bool", {"axis": axes, "keepdims": keepdims})


@chainable()
def all(x, axis=None, keepdims: bool = False, *, keep_dims=None):  # noqa: A001
    """Logical AND over ``axis`` (bool out; numeric input counts as ``x != 0``).

    >>> import layerflow as lf
    >>> lf.all(lf.tensor([[True, False], [True, True]]), axis=1).array_sync()
    [False, True]
    """
    return _logical("all", x, axis, _keep(keepdims, keep_dims))


@chainable()
def any(x, axis=None, keepdims: bool = False, *, keep_dims=None):  # noqa: A001
    """Logical OR over ``axis`` (bool out; numeric input counts as ``x != 0``).

    >>> import layerflow as lf
    >>> lf.any(lf.tensor([[True, False], [False, False]]), axis=1).array_sync()
    [True, False]
    """
    return _logical("any", x, axis, _keep(keepdims, keep_dims))


# -- arg_max, arg_min ----------------------------------------------------------------------
def _arg(kernel: str, x, axis):
    x = as_tensor(x, "x", kernel)
    _numeric(x, kernel)
    if isinstance(axis, (list, tuple)):
        raise InvalidArgumentError(f"{kernel}: axis must be a single integer, got {axis!r}")
    a = normalize_axis(axis, x.rank, kernel)
    if x.rank == 0:
        return run(kernel, (x,), (), "int32", {"axis": None})
    _nonempty(x, (a,), kernel)
    shape = reduced_shape(x.shape, (a,), False)
    return run(kernel, (x,), shape, "int32", {"axis": a})


@chainable()
def arg_max(x, axis: int = 0):
    """Index of the largest element along ``axis`` (int32; first one on ties).

    >>> import layerflow as lf
    >>> lf.arg_max(lf.tensor([[1, 5], [7, 2]]), axis=1).array_sync()
    [1, 0]
    """
    return _arg("arg_max", x, axis)


@chainable()
def arg_min(x, axis: int = 0):
    """Index of the smallest element along ``axis`` (int32; first one on ties).

    >>> import layerflow as lf
    >>> lf.arg_min(lf.tensor([[1, 5], [7, 2]])).array_sync()
    [0, 1]
    """
    return _arg("arg_min", x, axis)


argmax = arg_max
argmin = arg_min


# -- log_sum_exp, variance, std ------------------------------------------------------------
@chainable()
def log_sum_exp(x, axis=None, keepdims: bool = False, *, keep_dims=None):
    """``log(sum(exp(x)))`` over ``axis``, computed stably (integers give float32).

    Its gradient is the softmax of ``x`` over ``axis``.

    >>> import layerflow as lf
    >>> round(lf.log_sum_exp(lf.tensor([1000.0, 1000.0])).item(), 2)
    1000.69
    """
    keepdims = _keep(keepdims, keep_dims)
    x = as_tensor(x, "x", "log_sum_exp")
    _numeric(x, "log_sum_exp")
    x = _to_float(x)
    axes = normalize_axes(axis, x.rank, "log_sum_exp")
    shape = reduced_shape(x.shape, axes, keepdims)
    return run("log_sum_exp", (x,), shape, x.dtype, {"axis": axes, "keepdims": keepdims},
               grad=_log_sum_exp_grad)


def _log_sum_exp_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import exp, mul, sub

    (x,) = inputs
    softmax = exp(sub(x, _kept_axes(out, x, attrs)))
    return (mul(_kept_axes(dy, x, attrs), softmax),)


logsumexp = log_sum_exp


def variance(x, axis=None, keepdims: bool = False, *, keep_dims=None):
    """Population variance over ``axis`` (``mean((x - mean(x)) ** 2)``; integers give float32).

    >>> import layerflow as lf
    >>> lf.variance(lf.tensor([1.0, 2.0, 3.0, 4.0])).item()
    1.25
    """
    from layerflow.ops.elementwise import square, sub

    keepdims = _keep(keepdims, keep_dims)
    x = as_tensor(x, "x", "variance")
    _numeric(x, "variance")
    x = _to_float(x)
    axes = normalize_axes(axis, x.rank, "variance")
    centered = sub(x, mean(x, axis=axes, keepdims=True))
    return mean(square(centered), axis=axes, keepdims=keepdims)


var = variance


def std(x, axis=None, keepdims: bool = False, *, keep_dims=None):
    """Population standard deviation over ``axis`` (``sqrt(variance)``).

    >>> import layerflow as lf
    >>> lf.std(lf.tensor([1.0, 3.0])).item()
    1.0
    """
    from layerflow.ops.elementwise import sqrt

    return sqrt(variance(x, axis, keepdims, keep_dims=keep_dims))


# -- scans -----------------------------------------------------------------------------------
def _scan(kernel: str, x, axis, exclusive, reverse):
    x = as_tensor(x, "x", kernel)
    _numeric(x, kernel)
    if x.rank == 0:
        raise ShapeError(f"{kernel}: expected a tensor of rank >= 1, got a scalar")
    if isinstance(axis, (list, tuple)):
        raise InvalidArgumentError(f"{kernel}: axis must be a single integer, got {axis!r}")
    a = normalize_axis(axis, x.rank, kernel)
    dtype = "int32" if x.dtype == "bool" else x.dtype
    grad = _cumsum_grad if kernel == "cumsum" else _cumprod_grad
    return run(kernel, (x,), x.shape, dtype,
               {"axis": a, "exclusive": bool(exclusive), "reverse": bool(reverse),
                "dtype": dtypes.to_numpy(dtype)}, grad=grad)


@chainable()
def cumsum(x, axis: int = 0, exclusive: bool = False, reverse: bool = False):
    """Cumulative sum along ``axis``; ``exclusive`` leaves out the current element, ``reverse``
    runs from the end.

    >>> import layerflow as lf
    >>> lf.cumsum(lf.tensor([1, 2, 3])).array_sync()
    [1, 3, 6]
    >>> lf.cumsum(lf.tensor([1, 2, 3]), exclusive=True, reverse=True).array_sync()
    [5, 3, 0]
    """
    return _scan("cumsum", x, axis, exclusive, reverse)


def _cumsum_grad(dy, inputs, out, attrs):
    return (cumsum(dy, attrs["axis"], attrs["exclusive"], not attrs["reverse"]),)


@chainable()
def cumprod(x, axis: int = 0, exclusive: bool = False, reverse: bool = False):
    """Cumulative product along ``axis`` (arguments as :func:`cumsum`).

    Its gradient divides by ``x``, so it is undefined where ``x`` is 0.

    >>> import layerflow as lf
    >>> lf.cumprod(lf.tensor([1, 2, 3])).array_sync()
    [1, 2, 6]
    >>> lf.cumprod(lf.tensor([1, 2, 3]), exclusive=True).array_sync()
    [1, 1, 2]
    """
    return _scan("cumprod", x, axis, exclusive, reverse)


def _cumprod_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import div, mul

    (x,) = inputs
    total = cumsum(mul(dy, out), attrs["axis"], attrs["exclusive"], not attrs["reverse"])
    return (div(total, x),)


# -- bincount ------------------------------------------------------------------------------
def _bincount(op: str, x, weights, size, binary_output, ranks):
    from layerflow.ops.shape import reshape

    x = as_tensor(x, "x", op)
    if x.dtype != "int32":
        raise DTypeError(f"{op}: x must be int32, got dtype {x.dtype}")
    if x.rank not in ranks:
        raise ShapeError(f"{op}: x must have rank {' or '.join(map(str, ranks))}, got shape "
                         f"{x.shape}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidArgumentError(f"{op}: size must be a non-negative integer, got {size!r}")
    if weights is None:
        weights = as_tensor([], "weights", op, "int32")
    weights = as_tensor(weights, "weights", op)
    if weights.dtype not in ("int32", "float32", "float64", "float16", "bfloat16"):
        raise DTypeError(f"{op}: weights must be int32 or float, got dtype {weights.dtype}")
    if weights.shape != (0,) and weights.shape != x.shape:
        raise ShapeError(f"{op}: weights must have the shape of x {x.shape} or be empty, got "
                         f"shape {weights.shape}")
    dtype = weights.dtype
    rows = x.shape[0] if x.rank == 2 else 1
    x2 = reshape(x, (rows, -1)) if x.rank == 1 and not x._symbolic else x
    w2 = weights if weights.shape == (0,) or weights.rank == 2 else reshape(weights, (1, -1))
    if x._symbolic or weights._symbolic:
        return run(op, (x, weights), (x.shape[0], size) if x.rank == 2 else (size,), dtype)
    out = run("bincount", (x2, w2), (rows, size), dtype,
              {"size": size, "binary_output": bool(binary_output),
               "dtype": dtypes.to_numpy(dtype)})
    return out if x.rank == 2 else reshape(out, (size,))


def bincount(x, weights=None, size: int = 0):
    """Counts of each value of the int32 vector ``x`` in ``[0, size)`` (others are ignored),
    each counted with its weight when ``weights`` (same shape as ``x``) is given.

    The output has ``weights``' dtype (int32 when ``weights`` is None or empty int32).

    >>> import layerflow as lf
    >>> lf.bincount(lf.tensor([1, 1, 3]), None, 4).array_sync()
    [0, 2, 0, 1]
    """
    return _bincount("bincount", x, weights, size, False, (1,))


def dense_bincount(x, weights=None, size: int = 0, binary_output: bool = False):
    """:func:`bincount` of a vector, or of each row of a matrix ``x`` (output ``[rows, size]``);
    ``binary_output`` gives 1 where a value occurs instead of its count.

    >>> import layerflow as lf
    >>> lf.dense_bincount(lf.tensor([[1, 1], [0, 2]]), None, 3, True).array_sync()
    [[0, 1, 0], [1, 0, 1]]
    """
    return _bincount("dense_bincount", x, weights, size, binary_output, (1, 2))
