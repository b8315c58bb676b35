"""Pooling: max_pool, avg_pool (1-, 2- and 3-D), max_pool_with_argmax and pool.

As TF.js: ``pad`` is ``'valid'``, ``'same'`` (TF's rule, extra padding after), a number or
explicit pairs; padding never wins a max and is left out of an average's count. Input is
channels-last (``data_format`` also takes channels-first, transposed in and out); a
rank-one-short ``x`` (no batch axis) is accepted. ``dim_rounding_mode`` is accepted and ignored.
``avg_pool`` of int32 averages in float32 and casts back (TF.js's ``avgPool``). Gradients:
max pooling routes ``dy`` to each window's first maximum (as TF), average pooling spreads it
evenly; both can be differentiated again.

>>> import layerflow as lf
>>> x = lf.tensor([[1., 2.], [3., 4.]]).reshape([1, 2, 2, 1])
>>> lf.max_pool(x, 2, 2, 'valid').item(), lf.avg_pool(x, 2, 2, 'valid').item()
(4.0, 2.5)
"""

from __future__ import annotations

from layerflow.errors import DTypeError, InvalidArgumentError
from layerflow.ops._conv_util import (
    add_batch,
    channels_first,
    check_rank,
    drop_batch,
    int_tuple,
    parse_pad,
    resolve,
    strides_or_dilations_one,
    to_first,
    to_last,
)
from layerflow.ops._define import as_tensor, chainable, run, run_multi

__all__ = ["max_pool", "avg_pool", "max_pool1d", "avg_pool1d", "max_pool3d", "avg_pool3d",
           "max_pool_with_argmax", "pool"]


def _pool(op, kind, x, n, filter_size, strides, pad, data_format, dilations=1, base_pad=False):
    """Check TF.js's rules for an ``n``-d pooling, then run it channels-last."""
    from layerflow.ops.elementwise import cast

    x = as_tensor(x, "x", op)
    if x.dtype in ("string", "bool") or x.dtype.startswith("complex"):
        raise DTypeError(f"{op}: x must be a real numeric tensor, got dtype {x.dtype}")
    check_rank(x, (n + 1, n + 2), "x", op)
    first = channels_first(data_format, n, op)
    window = int_tuple(filter_size, n, "filter_size", op)
    strides = int_tuple(strides, n, "strides", op)
    dilations = int_tuple(dilations, n, "dilations", op)
    strides_or_dilations_one(strides, dilations, op)
    pad = parse_pad(pad, n, first, op)
    zero_pad = False
    if base_pad and pad == "same" and any(d > 1 for d in dilations):
        # NOTE: TF.js's pool() pools dilated windows through space_to_batch, whose 'same'
        # padding is zeros that take part in the pooling (total // 2 of them first).
        totals = [(k - 1) * d for k, d in zip(window, dilations)]
        pad = tuple((t // 2, t - t // 2) for t in totals)
        zero_pad = True
    x, added = add_batch(x, n + 2)
    xl = to_last(x, first)
    out_dtype = xl.dtype
    if kind == "avg" and xl.dtype == "int32":
        xl = cast(xl, "float32")
    pads, outs = resolve(xl.shape[1:n + 1], window, strides, dilations, pad, op, x.shape)
    attrs = {"window": window, "strides": strides, "dilations": dilations, "pads": pads,
             "zero_pad": zero_pad}
    shape = (xl.shape[0],) + outs + (xl.shape[-1],)
    grad = _max_grad if kind == "max" else _avg_grad
    y = run(f"{kind}_pool_nd", (xl,), shape, xl.dtype, attrs, grad=grad)
    if y.dtype != out_dtype:
        y = cast(y, out_dtype)
    return drop_batch(to_first(y, first), added)


def _max_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (run("max_pool_grad", (x, dy), x.shape, dy.dtype, attrs, grad=_max_pool_grad_grad),)


def _max_pool_grad_grad(g, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like

    x, dy = inputs
    return (zeros_like(x),
            run("max_pool_select", (x, g), dy.shape, g.dtype, attrs, grad=_select_grad))


def _select_grad(h, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like

    x, g = inputs
    return (zeros_like(x),
            run("max_pool_grad", (x, h), x.shape, h.dtype, attrs, grad=_max_pool_grad_grad))


def _avg_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (run("avg_pool_grad", (dy,), x.shape, dy.dtype, {**attrs, "x_shape": x.shape},
                grad=_avg_pool_grad_grad),)


def _avg_pool_grad_grad(g, inputs, out, attrs):
    attrs = {k: v for k, v in attrs.items() if k != "x_shape"}
    return (run("avg_pool_nd", (g,), inputs[0].shape, g.dtype, attrs, grad=_avg_grad),)


@chainable()
def max_pool(x, filter_size, strides, pad, dim_rounding_mode=None, data_format="NHWC"):
    """2-D max pooling of ``x`` ``[batch, h, w, channels]``.

    >>> import layerflow as lf
    >>> x = lf.tensor([1., 5., 2., 3.]).reshape([1, 2, 2, 1])
    >>> lf.max_pool(x, 2, 1, 'same').reshape([-1]).array_sync()
    [5.0, 5.0, 3.0, 3.0]
    """
    return _pool("max_pool", "max", x, 2, filter_size, strides, pad, data_format)


@chainable()
def avg_pool(x, filter_size, strides, pad, dim_rounding_mode=None, data_format="NHWC"):
    """2-D average pooling; with padding, each window averages only its non-padding elements.

    >>> import layerflow as lf
    >>> x = lf.tensor([1., 5., 2., 3.]).reshape([1, 2, 2, 1])
    >>> lf.avg_pool(x, 2, 1, 'same').reshape([-1]).array_sync()
    [2.75, 4.0, 2.5, 3.0]
    """
    return _pool("avg_pool", "avg", x, 2, filter_size, strides, pad, data_format)


def max_pool1d(x, filter_size, strides, pad, data_format="NWC"):
    """1-D max pooling of ``x`` ``[batch, width, channels]``.

    >>> import layerflow as lf
    >>> lf.max_pool1d(lf.tensor([[[1.], [3.], [2.]]]), 2, 1, 'valid').reshape([-1]).array_sync()
    [3.0, 3.0]
    """
    return _pool("max_pool1d", "max", x, 1, filter_size, strides, pad, data_format)


def avg_pool1d(x, filter_size, strides, pad, data_format="NWC"):
    """1-D average pooling of ``x`` ``[batch, width, channels]``.

    >>> import layerflow as lf
    >>> lf.avg_pool1d(lf.tensor([[[1.], [3.], [2.]]]), 2, 1, 'valid').reshape([-1]).array_sync()
    [2.0, 2.5]
    """
    return _pool("avg_pool1d", "avg", x, 1, filter_size, strides, pad, data_format)


def max_pool3d(x, filter_size=1, strides=1, pad="valid", dim_rounding_mode=None,
               data_format="NDHWC"):
    """3-D max pooling of ``x`` ``[batch, d, h, w, channels]``.

    >>> import layerflow as lf
    >>> lf.max_pool3d(lf.tensor([1., 2., 3., 4., 5., 6., 7., 8.]).reshape([1, 2, 2, 2, 1]),
    ...               2, 1, 'valid').item()
    8.0
    """
    return _pool("max_pool3d", "max", x, 3, filter_size, strides, pad, data_format)


def avg_pool3d(x, filter_size=1, strides=1, pad="valid", dim_rounding_mode=None,
               data_format="NDHWC"):
    """3-D average pooling of ``x`` ``[batch, d, h, w, channels]``.

    >>> import layerflow as lf
    >>> lf.avg_pool3d(lf.tensor([1., 2., 3., 4., 5., 6., 7., 8.]).reshape([1, 2, 2, 2, 1]),
    ...               2, 1, 'valid').item()
    4.5
    """
    return _pool("avg_pool3d", "avg", x, 3, filter_size, strides, pad, data_format)


@chainable()
def pool(input, window_shape, pooling_type, pad, dilations=1, strides=1,  # noqa: A002
         dim_rounding_mode=None):
    """2-D ``'max'`` or ``'avg'`` pooling with optional dilated windows (TF.js's ``pool``).

    With ``dilations > 1`` and ``'same'``, TF.js pads with zeros that take part in the pooling
    (it pools through ``space_to_batch``); so does this.

    >>> import layerflow as lf
    >>> x = lf.tensor([1., 5., 2., 3.]).reshape([1, 4, 1, 1])
    >>> lf.pool(x, [2, 1], 'max', 'valid', [2, 1]).reshape([-1]).array_sync()
    [2.0, 5.0]
    """
    if pooling_type not in ("max", "avg"):
        raise InvalidArgumentError(f"pool: pooling_type must be 'max' or 'avg', got "
                                   f"{pooling_type!r}")
    return _pool("pool", pooling_type, input, 2, window_shape, strides, pad, "NHWC", dilations,
                 base_pad=True)


def max_pool_with_argmax(x, filter_size, strides, pad, include_batch_in_index=False):
    """2-D max pooling and the flat index of each maximum, ``(result, indexes)``.

    An index is ``(y * width + x) * channels + c`` (plus ``b * height * width * channels`` with
    ``include_batch_in_index``), int32, as TF.js's ``maxPoolWithArgmax`` (which returns them as
    ``{result, indexes}``). No gradient.

    >>> import layerflow as lf
    >>> x = lf.tensor([1., 5., 2., 3.]).reshape([1, 2, 2, 1])
    >>> result, indexes = lf.max_pool_with_argmax(x, 2, 2, 'valid')
    >>> result.item(), indexes.item()
    (5.0, 1)
    """
    op = "max_pool_with_argmax"
    x = as_tensor(x, "x", op)
    if x.dtype in ("string", "bool") or x.dtype.startswith("complex"):
        raise DTypeError(f"{op}: x must be a real numeric tensor, got dtype {x.dtype}")
    check_rank(x, (4,), "x", op)
    window = int_tuple(filter_size, 2, "filter_size", op)
    strides = int_tuple(strides, 2, "strides", op)
    pad = parse_pad(pad, 2, False, op)
    pads, outs = resolve(x.shape[1:3], window, strides, (1, 1), pad, op, x.shape)
    shape = (x.shape[0],) + outs + (x.shape[-1],)
    attrs = {"window": window, "strides": strides, "pads": pads,
             "include_batch": bool(include_batch_in_index)}
    result, indexes = run_multi(op, (x,), [(shape, x.dtype), (shape, "int32")], attrs)
    return result, indexes
