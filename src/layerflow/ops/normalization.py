"""Normalization: batch_norm (and its 2d/3d/4d forms), moments, softmax, log_softmax,
local_response_normalization.

Integer input is cast to float32 first (these are float-math ops, as TF.js's kernels).

>>> import layerflow as lf
>>> lf.softmax(lf.tensor([0.0, 0.0])).array_sync()
[0.5, 0.5]
"""

from __future__ import annotations

from collections import namedtuple

from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import (
    as_tensor,
    broadcast_shapes,
    chainable,
    normalize_axes,
    normalize_axis,
    run,
)

__all__ = ["batch_norm", "batch_norm2d", "batch_norm3d", "batch_norm4d", "moments", "Moments",
           "softmax", "log_softmax", "local_response_normalization"]

Moments = namedtuple("Moments", ["mean", "variance"])
Moments.__doc__ = "What :func:`moments` returns: ``(mean, variance)``."


def _float_input(x, name: str, op: str, dtype: str | None = None):
    from layerflow.ops.elementwise import cast

    x = as_tensor(x, name, op, dtype)
    if x.dtype in ("string", "complex64"):
        raise DTypeError(f"{op}: {name} must be a real numeric tensor, got dtype {x.dtype}")
    target = dtype or (x.dtype if dtypes.is_float(x.dtype) else "float32")
    return x if x.dtype == target else cast(x, target)


# -- batch_norm --------------------------------------------------------------------------------
@chainable("batch_norm")
def batch_norm(x, mean, variance, offset=None, scale=None, variance_epsilon: float = 0.001):
    """``(x - mean) / sqrt(variance + variance_epsilon) * scale + offset``.

    ``mean``, ``variance``, ``offset`` and ``scale`` broadcast against ``x`` (rank 1 along its
    last axis, as TF.js, or any shape that broadcasts to ``x``'s); gradients reach every input.

    >>> import layerflow as lf
    >>> lf.batch_norm(lf.tensor([1.0, 3.0]), lf.tensor([1.0]), lf.tensor([1.0]),
    ...               variance_epsilon=0.0).array_sync()
    [0.0, 2.0]
    """
    from layerflow.ops.elementwise import add, div, mul, sqrt, sub

    op = "batch_norm"
    x = _float_input(x, "x", op)
    params = {"mean": mean, "variance": variance, "offset": offset, "scale": scale}
    for name, value in params.items():
        if value is None:
            continue
        t = _float_input(value, name, op, x.dtype)
        try:
            fits = t.rank <= x.rank and broadcast_shapes(x.shape, t.shape, op) == x.shape
        except ShapeError:
            fits = False
        if not fits:
            raise ShapeError(f"{op}: {name} of shape {t.shape} does not broadcast to x's shape "
                             f"{x.shape}")
        params[name] = t
    if not isinstance(variance_epsilon, (int, float)) or variance_epsilon < 0:
        raise InvalidArgumentError(f"{op}: variance_epsilon must be a non-negative number, got "
                                   f"{variance_epsilon!r}")
    out = div(sub(x, params["mean"]), sqrt(add(params["variance"], float(variance_epsilon))))
    if params["scale"] is not None:
        out = mul(out, params["scale"])
    if params["offset"] is not None:
        out = add(out, params["offset"])
    return out


def _ranked_batch_norm(rank: int):
    def fn(x, mean, variance, offset=None, scale=None, variance_epsilon: float = 0.001):
        x = as_tensor(x, "x", f"batch_norm{rank}d")
        if x.rank != rank:
            raise ShapeError(f"batch_norm{rank}d: x must have rank {rank}, got shape {x.shape}")
        return batch_norm(x, mean, variance, offset, scale, variance_epsilon)

    fn.__name__ = fn.__qualname__ = f"batch_norm{rank}d"
    example = "[" * rank + "2.0" + "]" * rank
    fn.__doc__ = f""":func:`batch_norm` that checks ``x`` has rank {rank}.

    >>> import layerflow as lf
    >>> lf.batch_norm{rank}d(lf.tensor({example}), [1.0], [4.0], variance_epsilon=0.0).item()
    0.5
    """
    return fn


batch_norm2d = _ranked_batch_norm(2)
batch_norm3d = _ranked_batch_norm(3)
batch_norm4d = _ranked_batch_norm(4)


# -- moments -----------------------------------------------------------------------------------
def moments(x, axes=None, keepdims: bool = False, *, keep_dims=None, axis=None) -> Moments:
    """Mean and (population) variance of ``x`` over ``axes`` (None: all), as ``Moments``.

    TF.js's spellings ``axis`` and ``keep_dims`` are accepted as keywords.

    >>> import layerflow as lf
    >>> m = lf.moments(lf.tensor([[1.0, 2.0], [3.0, 6.0]]), axes=0)
    >>> m.mean.array_sync(), m.variance.array_sync()
    ([2.0, 4.0], [1.0, 4.0])
    """
    from layerflow.ops.elementwise import square, sub
    from layerflow.ops.reduction import mean as reduce_mean
    from layerflow.ops.shape import reshape

    keepdims = bool(keepdims if keep_dims is None else keep_dims)
    axes = axis if axes is None else axes
    x = _float_input(x, "x", "moments")
    axes = normalize_axes(axes, x.rank, "moments")
    kept = reduce_mean(x, axis=axes, keepdims=True)
    if keepdims:
        m = kept
    elif x._symbolic:
        m = reduce_mean(x, axis=axes, keepdims=False)
    else:
        m = reshape(kept, tuple(d for i, d in enumerate(x.shape) if i not in axes))
    v = reduce_mean(square(sub(x, kept)), axis=axes, keepdims=keepdims)
    return Moments(m, v)


# -- softmax, log_softmax ----------------------------------------------------------------------
def _softmax_like(kernel: str, logits, axis, grad):
    x = _float_input(logits, "logits", kernel)
    if x.rank == 0:
        raise ShapeError(f"{kernel}: logits must have rank >= 1, got a scalar")
    a = normalize_axis(axis, x.rank, kernel)
    return run(kernel, (x,), x.shape, x.dtype, {"axis": a}, grad=grad)


@chainable()
def softmax(logits, dim: int = -1):
    """``exp(logits) / sum(exp(logits))`` along ``dim``, computed stably.

    TF.js supports only the last axis; any axis works here.

    >>> import layerflow as lf
    >>> [round(v, 4) for v in lf.softmax(lf.tensor([1.0, 2.0, 3.0])).array_sync()]
    [0.09, 0.2447, 0.6652]
    """
    return _softmax_like("softmax", logits, dim, _softmax_grad)


def _softmax_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import mul, sub
    from layerflow.ops.reduction import sum as reduce_sum

    inner = reduce_sum(mul(dy, out), axis=attrs["axis"], keepdims=True)
    return (mul(out, sub(dy, inner)),)


@chainable()
def log_softmax(logits, axis: int = -1):
    """``logits - log_sum_exp(logits)`` along ``axis``, computed stably.

    >>> import layerflow as lf
    >>> [round(v, 4) for v in lf.log_softmax(lf.tensor([0.0, 0.0])).array_sync()]
    [-0.6931, -0.6931]
    """
    return _softmax_like("log_softmax", logits, axis, _log_softmax_grad)


def _log_softmax_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import exp, mul, sub
    from layerflow.ops.reduction import sum as reduce_sum

    total = reduce_sum(dy, axis=attrs["axis"], keepdims=True)
    return (sub(dy, mul(exp(out), total)),)


# -- local response normalization ------------------------------------------------------------
@chainable()
def local_response_normalization(x, depth_radius: int = 5, bias: float = 1, alpha: float = 1,
                                 beta: float = 0.5):
    """``x / (bias + alpha * sum(x[..., d - r : d + r + 1] ** 2)) ** beta`` over channels
    (``r = depth_radius``) of a rank-4 NHWC (or rank-3 HWC) tensor.

    >>> import layerflow as lf
    >>> lf.local_response_normalization(lf.tensor([[[[1.0, 1.0]]]]), 1, 2.0, 1.0, 1.0
    ...                                 ).array_sync()
    [[[[0.25, 0.25]]]]
    """
    from layerflow.ops.elementwise import add, exp, log, mul, square

    op = "local_response_normalization"
    x = _float_input(x, "x", op)
    if x.rank not in (3, 4):
        raise ShapeError(f"{op}: x must have rank 4 (or 3), got shape {x.shape}")
    if isinstance(depth_radius, bool) or not isinstance(depth_radius, int) or depth_radius < 0:
        raise InvalidArgumentError(f"{op}: depth_radius must be a non-negative integer, got "
                                   f"{depth_radius!r}")
    window = run("lrn_window_sum", (square(x),), x.shape, x.dtype, {"radius": depth_radius},
                 grad=_window_grad)
    base = add(mul(window, float(alpha)), float(bias))
    return mul(x, exp(mul(log(base), -float(beta))))


def _window_grad(dy, inputs, out, attrs):
    # NOTE: the window sum is symmetric (a banded matrix along channels): its own adjoint.
    return (run("lrn_window_sum", (dy,), dy.shape, dy.dtype, attrs, grad=_window_grad),)
