"""What the conv and pooling families share: argument parsing, TF's padding rule, the layout
permutation, and the three core convolution ops (forward, input adjoint, filter adjoint).

The core ops work channels-last with 1 to 3 spatial dims; the public ops (``conv2d`` ...) in
``ops/conv.py`` and ``ops/conv_transpose.py`` check TF.js's rules, move NCHW input to
channels-last and call them. Each core op's gradient is another core op, so every order of
derivative exists (convolution is bilinear).

>>> from layerflow.ops._conv_util import same_pads
>>> same_pads((5, 6), (3, 3), (2, 2), (1, 1))
((1, 1), (0, 1))
"""

from __future__ import annotations

import math

from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, run

LAYOUTS = {
    1: {"NWC": False, "NCW": True},
    2: {"NHWC": False, "NCHW": True, "channelsLast": False, "channelsFirst": True},
    3: {"NDHWC": False, "NCDHW": True, "channelsLast": False, "channelsFirst": True},
}


# -- arguments ---------------------------------------------------------------------------------
def int_tuple(value, n: int, name: str, op: str) -> tuple:
    """An int or a sequence of ``n`` ints (all >= 1) as a tuple of ``n`` ints."""
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{op}: {name} must be an int or {n} ints, got {value!r}")
    if isinstance(value, int):
        value = (value,) * n
    try:
        result = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: {name} must be an int or {n} ints, got {value!r}") \
            from None
    if len(result) != n or any(v < 1 for v in result):
        raise InvalidArgumentError(f"{op}: {name} must be an int or {n} positive ints, got "
                                   f"{value!r}")
    return result


def channels_first(data_format: str, n: int, op: str) -> bool:
    """True for NCHW-like ``data_format``; an error for an unknown one."""
    layouts = LAYOUTS[n]
    if data_format not in layouts:
        raise InvalidArgumentError(f"{op}: data_format must be one of {sorted(layouts)}, got "
                                   f"{data_format!r}")
    return layouts[data_format]


def parse_pad(pad, n: int, first: bool, op: str):
    """``'same'``, ``'valid'`` or explicit ``((before, after),) * n`` for the spatial dims.

    Accepts TF.js's forms: a string, a number (the same on every side), or explicit padding with
    one pair per dimension of the input (batch and channel pairs must be zero); also ``n`` pairs.
    """
    if isinstance(pad, str):
        if pad.lower() not in ("same", "valid"):
            raise InvalidArgumentError(f"{op}: pad must be 'same', 'valid', a number or explicit "
                                       f"pairs, got {pad!r}")
        return pad.lower()
    if isinstance(pad, (int, float)) and not isinstance(pad, bool):
        if pad < 0 or int(pad) != pad:
            raise InvalidArgumentError(f"{op}: pad must be a non-negative integer, got {pad!r}")
        return ((int(pad), int(pad)),) * n
    try:
        pairs = [tuple(int(v) for v in pair) for pair in pad]
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: pad must be 'same', 'valid', a number or explicit "
                                   f"pairs, got {pad!r}") from None
    if any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise InvalidArgumentError(f"{op}: explicit pad must be non-negative (before, after) "
                                   f"pairs, got {pad!r}")
    if len(pairs) == n + 2:
        spatial = pairs[2:] if first else pairs[1:-1]
        others = pairs[:2] if first else [pairs[0], pairs[-1]]
        if any(p != (0, 0) for p in others):
            raise InvalidArgumentError(f"{op}: explicit pad of the batch and channel dimensions "
                                       f"must be zero, got {pad!r}")
        pairs = spatial
    if len(pairs) != n:
        raise InvalidArgumentError(f"{op}: explicit pad needs {n + 2} (or {n}) pairs, got "
                                   f"{pad!r}")
    return tuple(pairs)


def same_pads(spatial, kshape, strides, dilations) -> tuple:
    """TF's 'same' padding: total = max((ceil(in/s)-1)*s + (k-1)*d + 1 - in, 0), before =
    total // 2.

    ``None`` where the input size is unknown."""
    pads = []
    for size, k, s, d in zip(spatial, kshape, strides, dilations):
        if size is None:
            pads.append(None)
            continue
        total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def resolve(spatial, kshape, strides, dilations, pad, op: str, in_shape=None):
    """The explicit pads and the output spatial sizes (``None`` where unknown)."""
    if pad == "same":
        pads = same_pads(spatial, kshape, strides, dilations)
    elif pad == "valid":
        pads = ((0, 0),) * len(spatial)
    else:
        pads = pad
    outs = []
    for size, k, s, d, p in zip(spatial, kshape, strides, dilations, pads):
        if size is None or k is None:
            outs.append(None)
            continue
        extent = size + p[0] + p[1] - (k - 1) * d - 1
        if extent < 0:
            raise ShapeError(f"{op}: the filter (window {tuple(kshape)}, dilations "
                             f"{tuple(dilations)}) is larger than the padded input (shape "
                             f"{tuple(in_shape) if in_shape else tuple(spatial)})")
        outs.append(extent // s + 1)
    if any(p is None for p in pads):
        pads = None  # NOTE: only symbolic tensors get here; their kernels never run
    return pads, tuple(outs)


def strides_or_dilations_one(strides, dilations, op: str):
    """TF.js's rule: strides > 1 and dilations > 1 may not be combined."""
    if any(s > 1 for s in strides) and any(d > 1 for d in dilations):
        raise InvalidArgumentError(f"{op}: either strides or dilations must be 1, got strides "
                                   f"{strides} and dilations {dilations}")


def float_input(x, name: str, op: str):
    """``x`` as a float tensor (int32 becomes float32, as TF.js kernels)."""
    x = as_tensor(x, name, op)
    if x.dtype == "string" or x.dtype.startswith("complex"):
        raise DTypeError(f"{op}: {name} must be a real numeric tensor, got dtype {x.dtype}")
    if not dtypes.is_floating_or_complex(x.dtype):
        from layerflow.ops.elementwise import cast

        x = cast(x, "float32")
    return x


def float_pair(x, w, names, op: str):
    """Two float inputs promoted to one dtype."""
    from layerflow.ops.elementwise import cast

    x = float_input(x, names[0], op)
    w = float_input(w, names[1], op)
    if x.dtype != w.dtype:
        dtype = dtypes.upcast(x.dtype, w.dtype)
        x = cast(x, dtype) if x.dtype != dtype else x
        w = cast(w, dtype) if w.dtype != dtype else w
    return x, w


def check_rank(x, ranks, name: str, op: str):
    if x.rank not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ShapeError(f"{op}: {name} must be of rank {want}, got rank {x.rank} (shape "
                         f"{x.shape})")


# -- layout ---------------------------------------------------------------------------------
def permute(x, perm):
    """``x`` with axes permuted (private helper op; its gradient is the inverse permutation)."""
    perm = tuple(perm)
    if perm == tuple(range(len(perm))):
        return x
    shape = tuple(x.shape[p] for p in perm)
    return run("conv_layout_permute", (x,), shape, x.dtype, {"perm": perm}, grad=_permute_grad)


def _permute_grad(dy, inputs, out, attrs):
    perm = attrs["perm"]
    inverse = tuple(sorted(range(len(perm)), key=lambda i: perm[i]))
    return (permute(dy, inverse),)


def to_last(x, first: bool):
    """NC... -> N...C when ``first``."""
    if not first:
        return x
    return permute(x, (0,) + tuple(range(2, x.rank)) + (1,))


def to_first(x, first: bool):
    """N...C -> NC... when ``first``."""
    if not first:
        return x
    return permute(x, (0, x.rank - 1) + tuple(range(1, x.rank - 1)))


def add_batch(x, rank: int):
    """``(x, True)`` with a batch axis of 1 added when ``x`` is one rank short."""
    from layerflow.ops.shape import reshape

    if x.rank == rank - 1:
        return reshape(x, (1,) + tuple(-1 if d is None else d for d in x.shape)), True
    return x, False


def drop_batch(y, added: bool):
    from layerflow.ops.shape import reshape

    if not added:
        return y
    return reshape(y, tuple(-1 if d is None else d for d in y.shape[1:]))


# -- the three core convolution ops -----------------------------------------------------------
def conv_nd(x, w, strides, dilations, pads, groups, outs=None):
    """Channels-last grouped convolution; ``pads`` explicit. No checks (callers check).

    ``outs`` (the output spatial sizes) is given by callers that resolved them already."""
    n = x.rank - 2
    if outs is None:
        _, outs = resolve(x.shape[1:n + 1], w.shape[:n], strides, dilations, pads, "conv")
    shape = (x.shape[0],) + outs + (w.shape[-1],)
    attrs = {"strides": strides, "dilations": dilations, "pads": pads, "groups": groups}
    return run("conv_nd", (x, w), shape, x.dtype, attrs, grad=_conv_nd_grad)


def _conv_nd_grad(dy, inputs, out, attrs):
    x, w = inputs
    return (conv_backprop_input(dy, w, x.shape, **attrs),
            conv_backprop_filter(x, dy, w.shape, **attrs))


def conv_backprop_input(dy, w, x_shape, strides, dilations, pads, groups):
    """The adjoint of :func:`conv_nd` in ``x`` (also the transposed convolution)."""
    attrs = {"x_shape": tuple(x_shape), "strides": strides, "dilations": dilations,
             "pads": pads, "groups": groups}
    return run("conv_backprop_input", (dy, w), tuple(x_shape), dy.dtype, attrs,
               grad=_backprop_input_grad)


def _backprop_input_grad(g, inputs, out, attrs):
    dy, w = inputs
    attrs = {k: v for k, v in attrs.items() if k != "x_shape"}
    return conv_nd(g, w, **attrs), conv_backprop_filter(g, dy, w.shape, **attrs)


def conv_backprop_filter(x, dy, w_shape, strides, dilations, pads, groups):
    """The adjoint of :func:`conv_nd` in the filter."""
    attrs = {"w_shape": tuple(w_shape), "strides": strides, "dilations": dilations,
             "pads": pads, "groups": groups}
    return run("conv_backprop_filter", (x, dy), tuple(w_shape), x.dtype, attrs,
               grad=_backprop_filter_grad)


def _backprop_filter_grad(g, inputs, out, attrs):
    x, dy = inputs
    attrs = {k: v for k, v in attrs.items() if k != "w_shape"}
    return conv_backprop_input(dy, g, x.shape, **attrs), conv_nd(x, g, **attrs)
