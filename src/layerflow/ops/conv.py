"""Convolutions: conv1d, conv2d, conv3d, depthwise and separable conv2d, their transposes
(``ops/conv_transpose.py``, re-exported here) and morphological dilation2d.

As TF.js: ``pad`` is ``'valid'``, ``'same'`` (TF's rule: the output has ``ceil(in / stride)``
positions, the extra padding goes after), a number, or explicit pairs, one per input dimension;
``data_format`` defaults to channels-last (``'NHWC'``); channels-first (``'NCHW'``) input is
transposed in and out. Filters are ``[*window, in_channels, out_channels]``. A rank-one-short
``x`` (no batch axis) is accepted and gives an output without batch axis. ``strides > 1`` with
``dilations > 1`` is an error, as in TF.js. ``dim_rounding_mode`` is accepted and ignored
(integer padding only). Gradients reach input and filter to every order.

>>> import layerflow as lf
>>> x = lf.ones([1, 3, 3, 1])
>>> lf.conv2d(x, lf.ones([2, 2, 1, 1]), 1, 'valid').reshape([-1]).array_sync()
[4.0, 4.0, 4.0, 4.0]
"""

from __future__ import annotations

from layerflow.errors import NotSupportedError, ShapeError
from layerflow.ops._conv_util import (
    add_batch,
    channels_first,
    check_rank,
    conv_nd,
    drop_batch,
    float_input,
    float_pair,
    int_tuple,
    parse_pad,
    resolve,
    strides_or_dilations_one,
    to_first,
    to_last,
)
from layerflow.ops._define import chainable, run
from layerflow.ops.conv_transpose import conv1d_transpose, conv2d_transpose, conv3d_transpose

__all__ = ["conv1d", "conv2d", "conv3d", "depthwise_conv2d", "separable_conv2d", "dilation2d",
           "conv1d_transpose", "conv2d_transpose", "conv3d_transpose"]


def _conv(op, x, filter, n, strides, pad, data_format, dilations, depthwise=False):
    """Check TF.js's rules for an ``n``-d convolution, then run it channels-last."""
    x, w = float_pair(x, filter, ("x", "filter"), op)
    check_rank(x, (n + 1, n + 2), "x", op)
    check_rank(w, (n + 2,), "filter", op)
    first = channels_first(data_format, n, op)
    strides = int_tuple(strides, n, "strides", op)
    dilations = int_tuple(dilations, n, "dilations", op)
    strides_or_dilations_one(strides, dilations, op)
    pad = parse_pad(pad, n, first, op)
    x, added = add_batch(x, n + 2)
    depth = x.shape[1] if first else x.shape[-1]
    if depth is not None and w.shape[n] is not None and depth != w.shape[n]:
        raise ShapeError(f"{op}: depth of input ({depth}, x shape {x.shape}) must match the "
                         f"input depth of the filter ({w.shape[n]}, filter shape {w.shape})")
    groups = 1
    if depthwise:
        from layerflow.ops.shape import reshape

        groups = w.shape[n]
        w = reshape(w, tuple(w.shape[:n]) + (1, w.shape[n] * w.shape[n + 1]))
    xl = to_last(x, first)
    pads, outs = resolve(xl.shape[1:n + 1], w.shape[:n], strides, dilations, pad, op, x.shape)
    y = conv_nd(xl, w, strides, dilations, pads, groups, outs)
    return drop_batch(to_first(y, first), added)


@chainable()
def conv1d(x, filter, stride, pad, data_format="NWC", dilation=1, dim_rounding_mode=None):  # noqa: A002
    """1-D convolution of ``x`` ``[batch, width, in]`` with ``filter`` ``[k, in, out]``.

    >>> import layerflow as lf
    >>> lf.conv1d(lf.tensor([[[1.], [2.], [3.]]]), lf.ones([2, 1, 1]), 1, 'valid').array_sync()
    [[[3.0], [5.0]]]
    """
    return _conv("conv1d", x, filter, 1, stride, pad, data_format, dilation)


@chainable()
def conv2d(x, filter, strides, pad, data_format="NHWC", dilations=1,  # noqa: A002
           dim_rounding_mode=None):
    """2-D convolution of ``x`` ``[batch, h, w, in]`` with ``filter`` ``[fh, fw, in, out]``.

    >>> import layerflow as lf
    >>> lf.conv2d(lf.ones([1, 4, 4, 2]), lf.ones([3, 3, 2, 5]), 2, 'same').shape
    (1, 2, 2, 5)
    """
    return _conv("conv2d", x, filter, 2, strides, pad, data_format, dilations)


def conv3d(x, filter, strides, pad, data_format="NDHWC", dilations=1):  # noqa: A002
    """3-D convolution of ``x`` ``[batch, d, h, w, in]`` with ``filter`` ``[fd, fh, fw, in, out]``.

    >>> import layerflow as lf
    >>> lf.conv3d(lf.ones([1, 2, 2, 2, 1]), lf.ones([2, 2, 2, 1, 1]), 1, 'valid').item()
    8.0
    """
    return _conv("conv3d", x, filter, 3, strides, pad, data_format, dilations)


@chainable()
def depthwise_conv2d(x, filter, strides, pad, data_format="NHWC", dilations=1,  # noqa: A002
                     dim_rounding_mode=None):
    """Depthwise 2-D convolution: each input channel ``c`` is convolved with
    ``filter[:, :, c, :]`` (``[fh, fw, in, multiplier]``), giving ``in * multiplier`` channels
    (output channel ``c * multiplier + m``).

    >>> import layerflow as lf
    >>> lf.depthwise_conv2d(lf.ones([1, 3, 3, 2]), lf.ones([2, 2, 2, 3]), 1, 'valid').shape
    (1, 2, 2, 6)
    """
    return _conv("depthwise_conv2d", x, filter, 2, strides, pad, data_format, dilations,
                 depthwise=True)


@chainable()
def separable_conv2d(x, depthwise_filter, pointwise_filter, strides, pad, dilation=1,
                     data_format="NHWC"):
    """A depthwise convolution followed by a 1x1 convolution mixing the channels.

    ``pointwise_filter`` is ``[1, 1, in * multiplier, out]``.

    >>> import layerflow as lf
    >>> y = lf.separable_conv2d(lf.ones([1, 3, 3, 2]), lf.ones([2, 2, 2, 1]),
    ...                         lf.ones([1, 1, 2, 4]), 1, 'valid')
    >>> y.shape, y.reshape([-1]).array_sync()[0]
    ((1, 2, 2, 4), 8.0)
    """
    op = "separable_conv2d"
    dw = float_input(depthwise_filter, "depthwise_filter", op)
    pw = float_input(pointwise_filter, "pointwise_filter", op)
    check_rank(dw, (4,), "depthwise_filter", op)
    check_rank(pw, (4,), "pointwise_filter", op)
    if tuple(pw.shape[:2]) != (1, 1):
        raise ShapeError(f"{op}: the pointwise filter must be 1x1, got shape {pw.shape}")
    if pw.shape[2] != dw.shape[2] * dw.shape[3]:
        raise ShapeError(f"{op}: the pointwise filter's input depth ({pw.shape[2]}, shape "
                         f"{pw.shape}) must be in_channels * channel_multiplier = "
                         f"{dw.shape[2] * dw.shape[3]} (depthwise filter shape {dw.shape})")
    y = _conv(op, x, dw, 2, strides, pad, data_format, dilation, depthwise=True)
    return _conv(op, y, pw, 2, 1, "valid", data_format, 1)


# -- dilation2d ---------------------------------------------------------------------------------
def dilation2d(x, filter, strides, pad, dilations=1, data_format="NHWC"):  # noqa: A002
    """Grayscale morphological dilation: ``max`` over the window of ``x + filter``.

    ``x`` is ``[batch, h, w, depth]``, ``filter`` ``[fh, fw, depth]``; padding counts as -inf.
    The gradient (to ``x`` and ``filter``) routes ``dy`` to the first maximum, as TF.

    >>> import layerflow as lf
    >>> x = lf.tensor([[[[1.], [5.], [2.]]]])
    >>> lf.dilation2d(x, lf.tensor([[[0.], [1.]]]), 1, 'valid').reshape([-1]).array_sync()
    [6.0, 5.0]
    """
    op = "dilation2d"
    x, f = float_pair(x, filter, ("x", "filter"), op)
    check_rank(x, (3, 4), "x", op)
    check_rank(f, (3,), "filter", op)
    first = channels_first(data_format, 2, op)
    strides = int_tuple(strides, 2, "strides", op)
    dilations = int_tuple(dilations, 2, "dilations", op)
    pad = parse_pad(pad, 2, first, op)
    x, added = add_batch(x, 4)
    depth = x.shape[1] if first else x.shape[-1]
    if depth is not None and depth != f.shape[2]:
        raise ShapeError(f"{op}: input and filter must have the same depth: x shape {x.shape}, "
                         f"filter shape {f.shape}")
    xl = to_last(x, first)
    pads, outs = resolve(xl.shape[1:3], f.shape[:2], strides, dilations, pad, op, x.shape)
    attrs = {"strides": strides, "dilations": dilations, "pads": pads}
    y = run("dilation2d", (xl, f), (xl.shape[0],) + outs + (depth,), xl.dtype, attrs,
            grad=_dilation2d_grad)
    return drop_batch(to_first(y, first), added)


def _dilation2d_grad(dy, inputs, out, attrs):
    x, f = inputs
    return (run("dilation2d_backprop_input", (x, f, dy), x.shape, x.dtype, attrs,
                grad=_no_third_order),
            run("dilation2d_backprop_filter", (x, f, dy), f.shape, f.dtype, attrs,
                grad=_no_third_order))


def _no_third_order(dy, inputs, out, attrs):
    raise NotSupportedError("dilation2d: gradients of its gradient are not supported")
