"""Transposed convolutions (the gradient of a convolution with respect to its input).

``filter`` is ``[*window, out_channels, in_channels]`` (TF.js's layout: the filter of the
forward convolution that maps ``output_shape`` to ``x``'s shape); ``output_shape`` is the shape
of the result and must be one that the forward convolution maps onto ``x``'s spatial shape.
Re-exported by ``ops/conv.py``.

>>> import layerflow as lf
>>> lf.conv2d_transpose(lf.ones([1, 2, 2, 1]), lf.ones([2, 2, 1, 1]), [1, 3, 3, 1], 1,
...                     'valid').reshape([-1]).array_sync()
[1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.ops._conv_util import (
    add_batch,
    channels_first,
    check_rank,
    conv_backprop_input,
    drop_batch,
    float_pair,
    int_tuple,
    parse_pad,
    resolve,
    to_first,
    to_last,
)
from layerflow.ops._define import chainable

__all__ = ["conv1d_transpose", "conv2d_transpose", "conv3d_transpose"]


def _conv_transpose(op, x, filter, output_shape, n, strides, pad, data_format, dilations):
    x, w = float_pair(x, filter, ("x", "filter"), op)
    check_rank(x, (n + 1, n + 2), "x", op)
    check_rank(w, (n + 2,), "filter", op)
    first = channels_first(data_format, n, op)
    strides = int_tuple(strides, n, "strides", op)
    dilations = int_tuple(dilations, n, "dilations", op)
    pad = parse_pad(pad, n, first, op)
    try:
        out_shape = tuple(None if d is None else int(d) for d in output_shape)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: output_shape must be a list of ints, got "
                                   f"{output_shape!r}") from None
    if len(out_shape) != x.rank:
        raise ShapeError(f"{op}: output_shape {out_shape} must have the rank of x (shape "
                         f"{x.shape})")
    x, added = add_batch(x, n + 2)
    if added:
        out_shape = (1,) + out_shape
    if first:
        out_shape = (out_shape[0],) + out_shape[2:] + (out_shape[1],)
    xl = to_last(x, first)
    if xl.shape[-1] is not None and xl.shape[-1] != w.shape[n + 1]:
        raise ShapeError(f"{op}: depth of input ({xl.shape[-1]}, x shape {x.shape}) must match "
                         f"the last dimension of the filter ({w.shape[n + 1]}, filter shape "
                         f"{w.shape})")
    if out_shape[-1] != w.shape[n]:
        raise ShapeError(f"{op}: depth of output ({out_shape[-1]}, output_shape "
                         f"{tuple(output_shape)}) must match the filter's dimension {n} "
                         f"({w.shape[n]}, filter shape {w.shape})")
    if None not in (xl.shape[0], out_shape[0]) and xl.shape[0] != out_shape[0]:
        raise ShapeError(f"{op}: batch of output_shape {tuple(output_shape)} differs from x's "
                         f"(shape {x.shape})")
    pads, outs = resolve(out_shape[1:n + 1], w.shape[:n], strides, dilations, pad, op,
                         out_shape)
    for got, want in zip(outs, xl.shape[1:n + 1]):
        if None not in (got, want) and got != want:
            raise ShapeError(f"{op}: a convolution of output_shape {tuple(output_shape)} with "
                             f"the filter (shape {w.shape}), strides {strides} and this pad "
                             f"gives spatial shape {outs}, not x's (shape {x.shape})")
    y = conv_backprop_input(xl, w, out_shape, strides, dilations, pads, 1)
    return drop_batch(to_first(y, first), added)


def conv1d_transpose(x, filter, output_shape, stride, pad, data_format="NWC",  # noqa: A002
                     dilation=1):
    """Transposed 1-D convolution (Keras's ``conv_transpose`` in 1-D); ``filter`` is
    ``[k, out, in]``.

    >>> import layerflow as lf
    >>> lf.conv1d_transpose(lf.ones([1, 2, 1]), lf.ones([2, 1, 1]), [1, 3, 1], 1,
    ...                     'valid').reshape([-1]).array_sync()
    [1.0, 2.0, 1.0]
    """
    return _conv_transpose("conv1d_transpose", x, filter, output_shape, 1, stride, pad,
                           data_format, dilation)


@chainable()
def conv2d_transpose(x, filter, output_shape, strides, pad, dim_rounding_mode=None,  # noqa: A002
                     data_format="NHWC", dilations=1):
    """Transposed 2-D convolution; ``filter`` is ``[fh, fw, out, in]``.

    >>> import layerflow as lf
    >>> lf.conv2d_transpose(lf.ones([1, 2, 2, 3]), lf.ones([3, 3, 4, 3]), [1, 4, 4, 4], 2,
    ...                     'same').shape
    (1, 4, 4, 4)
    """
    return _conv_transpose("conv2d_transpose", x, filter, output_shape, 2, strides, pad,
                           data_format, dilations)


def conv3d_transpose(x, filter, output_shape, strides, pad, data_format="NDHWC",  # noqa: A002
                     dilations=1):
    """Transposed 3-D convolution; ``filter`` is ``[fd, fh, fw, out, in]``.

    >>> import layerflow as lf
    >>> lf.conv3d_transpose(lf.ones([1, 1, 1, 1, 1]), lf.ones([2, 2, 2, 1, 1]),
    ...                     [1, 2, 2, 2, 1], 1, 'valid').shape
    (1, 2, 2, 2, 1)
    """
    return _conv_transpose("conv3d_transpose", x, filter, output_shape, 3, strides, pad,
                           data_format, dilations)
