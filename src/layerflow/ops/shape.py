"""Transformations of shape: reshape, broadcast_to, and the rest of TF.js's family.

>>> import layerflow as lf
>>> lf.reshape(lf.tensor([1, 2, 3, 4]), [2, -1]).shape
(2, 2)
"""

from __future__ import annotations

import math

import numpy as np

from layerflow.engine.symbolic import SymbolicTensor
from layerflow.engine.tensor import Tensor
from layerflow.errors import DTypeError, InvalidArgumentError, NotSupportedError, ShapeError
from layerflow.ops._define import (
    as_tensor,
    broadcast_shapes,
    chainable,
    normalize_axis,
    run,
    unbroadcast,
)

__all__ = ["reshape", "broadcast_to", "squeeze", "expand_dims", "transpose", "pad", "mirror_pad",
           "broadcast_args", "space_to_batch_nd", "batch_to_space_nd", "depth_to_space",
           "ensure_shape", "setdiff1d"]


def infer_reshape(shape_in: tuple, shape, op: str = "reshape") -> tuple:
    """The target shape with one ``-1`` filled in; an error if the sizes differ."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(d) if d is not None else -1 for d in shape)
    unknown = [i for i, d in enumerate(shape) if d == -1]
    if len(unknown) > 1:
        raise InvalidArgumentError(f"{op}: at most one dimension may be -1, got {shape}")
    if any(d < -1 for d in shape):
        raise InvalidArgumentError(f"{op}: negative dimension in {shape}")
    if any(d is None for d in shape_in):
        known = math.prod(d for d in shape if d != -1)
        return tuple(None if d == -1 else d for d in shape) if unknown else shape
    size = math.prod(shape_in)
    known = math.prod(d for d in shape if d != -1)
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"{op}: cannot reshape a tensor of shape {shape_in} ({size} "
                             f"elements) to {shape}")
        return tuple(size // known if d == -1 else d for d in shape)
    if known != size:
        raise ShapeError(f"{op}: cannot reshape a tensor of shape {shape_in} ({size} elements) "
                         f"to {shape} ({known} elements)")
    return shape


@chainable()
def reshape(x, shape):
    """``x`` with a new shape of the same size; one dimension may be ``-1``.

    >>> import layerflow as lf
    >>> lf.reshape(lf.tensor([1, 2, 3, 4, 5, 6]), [3, 2]).array_sync()
    [[1, 2], [3, 4], [5, 6]]
    """
    x = as_tensor(x, "x", "reshape")
    new_shape = infer_reshape(x.shape, shape)
    if new_shape == x.shape and not x._symbolic:
        return run("identity", (x,), new_shape, x.dtype, grad=_reshape_grad)
    return run("reshape", (x,), new_shape, x.dtype, {"shape": new_shape}, grad=_reshape_grad)


def _reshape_grad(dy, inputs, out, attrs):
    return (reshape(dy, inputs[0].shape),)


@chainable()
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (NumPy rules).

    >>> import layerflow as lf
    >>> lf.broadcast_to(lf.tensor([1, 2]), [2, 2]).array_sync()
    [[1, 2], [1, 2]]
    """
    x = as_tensor(x, "x", "broadcast_to")
    shape = tuple(int(d) for d in shape)
    if len(shape) < x.rank or broadcast_shapes(x.shape, shape, "broadcast_to") != shape:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    if shape == x.shape:
        return run("identity", (x,), shape, x.dtype, grad=_broadcast_grad)
    return run("broadcast_to", (x,), shape, x.dtype, {"shape": shape}, grad=_broadcast_grad)


def _broadcast_grad(dy, inputs, out, attrs):
    return (unbroadcast(dy, inputs[0].shape),)


# -- helpers ----------------------------------------------------------------------------------
def int_list(value, op: str, what: str) -> list:
    """``value`` (an int, a list, an array or a tensor) as a list of Python ints."""
    if isinstance(value, (Tensor, np.ndarray)):
        value = np.asarray(value).tolist()
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [int(value)]
    try:
        out = [int(v) for v in value]
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: {what} must be a list of integers, got {value!r}") \
            from None
    if any(isinstance(v, bool) or int(v) != v for v in value):
        raise InvalidArgumentError(f"{op}: {what} must be a list of integers, got {value!r}")
    return out


def pairs(value, rank: int, op: str, what: str = "paddings", shape=None) -> tuple:
    """``[[before, after], ...]`` with one non-negative pair per dimension."""
    if isinstance(value, (Tensor, np.ndarray)):
        value = np.asarray(value).tolist()
    try:
        out = tuple((int(p[0]), int(p[1])) for p in value if len(p) == 2)
        ok = len(out) == len(value)
    except (TypeError, ValueError, IndexError):
        ok = False
    if not ok:
        raise InvalidArgumentError(f"{op}: {what} must be a list of [before, after] pairs, got "
                                   f"{value!r}")
    if len(out) != rank:
        got = f"a tensor of shape {shape}" if shape is not None else f"rank {rank}"
        raise InvalidArgumentError(f"{op}: {what} must have one [before, after] pair per "
                                   f"dimension ({rank}), got {len(out)} pairs for {got}")
    if any(a < 0 or b < 0 for a, b in out):
        raise InvalidArgumentError(f"{op}: {what} must be non-negative, got {value!r}")
    return out


def _axis(axis, rank: int, op: str) -> int:
    if rank == 0:
        raise InvalidArgumentError(f"{op}: axis {axis!r} is out of range for a scalar (rank 0)")
    return normalize_axis(axis, rank, op)


def reshape_to(x, shape: tuple):
    """``x`` reshaped to ``shape`` (may hold None on symbolic input); no checks."""
    shape = tuple(shape)
    if shape == x.shape and not x._symbolic:
        return run("identity", (x,), shape, x.dtype, grad=_reshape_grad)
    return run("reshape", (x,), shape, x.dtype, {"shape": shape}, grad=_reshape_grad)


def _symbolic_out(x, shape, dtype=None):
    return SymbolicTensor(shape, dtype or x.dtype)


def _mul_dim(a, b):
    return None if a is None or b is None else a * b


# -- transformations ----------------------------------------------------------------------------
@chainable()
def squeeze(x, axis=None):
    """``x`` without its size-1 dimensions (only those in ``axis`` when given).

    >>> import layerflow as lf
    >>> lf.squeeze(lf.zeros([1, 3, 1]), axis=[0]).shape
    (3, 1)
    """
    x = as_tensor(x, "x", "squeeze")
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = tuple(_axis(a, x.rank, "squeeze")
                     for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
        for a in axes:
            if x.shape[a] not in (1, None):
                raise ShapeError(f"squeeze: cannot squeeze axis {a} of size {x.shape[a]} "
                                 f"(shape {x.shape}); only size-1 axes can be squeezed")
    return reshape_to(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


@chainable()
def expand_dims(x, axis=0):
    """``x`` with a new size-1 dimension inserted at ``axis``.

    >>> import layerflow as lf
    >>> lf.expand_dims(lf.tensor([1, 2]), 1).shape
    (2, 1)
    """
    x = as_tensor(x, "x", "expand_dims")
    r = x.rank
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
            or not -(r + 1) <= axis <= r:
        raise InvalidArgumentError(f"expand_dims: axis {axis!r} must be an integer in "
                                   f"[{-(r + 1)}, {r}] for shape {x.shape}")
    axis = int(axis) if axis >= 0 else int(axis) + r + 1
    return reshape_to(x, x.shape[:axis] + (1,) + x.shape[axis:])


@chainable()
def transpose(x, perm=None):
    """``x`` with its dimensions permuted by ``perm`` (reversed when None).

    >>> import layerflow as lf
    >>> lf.transpose(lf.tensor([[1, 2, 3], [4, 5, 6]])).array_sync()
    [[1, 4], [2, 5], [3, 6]]
    """
    x = as_tensor(x, "x", "transpose")
    r = x.rank
    if perm is None:
        perm = tuple(range(r - 1, -1, -1))
    else:
        perm = int_list(perm, "transpose", "perm")
        if len(perm) != r or sorted(p % max(r, 1) if -r <= p < r else -1 for p in perm) \
                != list(range(r)):
            raise InvalidArgumentError(f"transpose: perm {perm} is not a permutation of the "
                                       f"{r} dimensions of a tensor of shape {x.shape}")
        perm = tuple(p % r for p in perm)
    shape = tuple(x.shape[p] for p in perm)
    if perm == tuple(range(r)):
        return run("identity", (x,), shape, x.dtype, grad=_transpose_grad_identity)
    return run("transpose", (x,), shape, x.dtype, {"perm": perm}, grad=_transpose_grad)


def _transpose_grad_identity(dy, inputs, out, attrs):
    return (dy,)


def _transpose_grad(dy, inputs, out, attrs):
    perm = attrs["perm"]
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p] = i
    return (transpose(dy, inverse),)


def _transpose_prop(self):
    return transpose(self)


def _flatten(self):
    """``self`` reshaped to one dimension."""
    return reshape(self, [-1])


chainable("T")(property(_transpose_prop))
chainable("flatten")(_flatten)


@chainable()
def pad(x, paddings, constant_value=0):
    """``x`` padded with ``constant_value``; ``paddings`` is ``[[before, after], ...]`` per dim.

    >>> import layerflow as lf
    >>> lf.pad(lf.tensor([1, 2]), [[1, 2]]).array_sync()
    [0, 1, 2, 0, 0]
    """
    x = as_tensor(x, "x", "pad")
    if x.dtype == "string":
        raise DTypeError("pad: expected a numeric tensor, got dtype string")
    pads = pairs(paddings, x.rank, "pad", shape=x.shape)
    if isinstance(constant_value, (Tensor, np.ndarray, np.generic)):
        constant_value = np.asarray(constant_value).item()
    shape = tuple(None if d is None else d + a + b for d, (a, b) in zip(x.shape, pads))
    return run("pad", (x,), shape, x.dtype, {"paddings": pads, "constant_value": constant_value},
               grad=_pad_grad)


def _pad_grad(dy, inputs, out, attrs):
    from layerflow.ops.slicing import slice as slice_op

    (x,) = inputs
    return (slice_op(dy, [a for a, _ in attrs["paddings"]], list(x.shape)),)


@chainable()
def mirror_pad(x, paddings, mode="reflect"):
    """``x`` padded with its own mirrored values (``mode`` 'reflect' or 'symmetric').

    >>> import layerflow as lf
    >>> lf.mirror_pad(lf.tensor([1, 2, 3]), [[2, 1]]).array_sync()
    [3, 2, 1, 2, 3, 2]
    >>> lf.mirror_pad(lf.tensor([1, 2, 3]), [[2, 1]], 'symmetric').array_sync()
    [2, 1, 1, 2, 3, 3]
    """
    x = as_tensor(x, "x", "mirror_pad")
    if mode not in ("reflect", "symmetric"):
        raise InvalidArgumentError(f"mirror_pad: mode must be 'reflect' or 'symmetric', got "
                                   f"{mode!r}")
    pads = pairs(paddings, x.rank, "mirror_pad", shape=x.shape)
    shift = 1 if mode == "reflect" else 0
    for i, (d, (a, b)) in enumerate(zip(x.shape, pads)):
        if d is not None and (a > d - shift or b > d - shift):
            raise InvalidArgumentError(
                f"mirror_pad: paddings {list(pads[i])} of axis {i} must be at most "
                f"{d - shift} in {mode} mode for shape {x.shape}")
    shape = tuple(None if d is None else d + a + b for d, (a, b) in zip(x.shape, pads))
    return run("mirror_pad", (x,), shape, x.dtype, {"paddings": pads, "mode": mode},
               grad=_mirror_pad_grad)


def _mirror_pad_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import add
    from layerflow.ops.joining import reverse
    from layerflow.ops.slicing import slice as slice_op

    (x,) = inputs
    shift = 1 if attrs["mode"] == "reflect" else 0
    g = dy
    for axis, (before, after) in enumerate(attrs["paddings"]):
        if before == 0 and after == 0:
            continue
        n = x.shape[axis]
        begin = [0] * x.rank
        size = [-1] * x.rank

        def part(start, length, g=g, begin=begin, size=size, axis=axis):
            b, s = list(begin), list(size)
            b[axis], s[axis] = start, length
            return slice_op(g, b, s)

        def placed(t, lo, hi, axis=axis):
            p = [[0, 0] for _ in range(x.rank)]
            p[axis] = [lo, hi]
            return pad(t, p)

        mid = part(before, n)
        if before:
            mid = add(mid, placed(reverse(part(0, before), axis), shift, n - before - shift))
        if after:
            mid = add(mid, placed(reverse(part(before + n, after), axis),
                                  n - after - shift, shift))
        g = mid
    return (g,)


def broadcast_args(s0, s1):
    """The broadcast of two shapes given as 1-D int32 tensors.

    >>> import layerflow as lf
    >>> lf.broadcast_args(lf.tensor([2, 1]), lf.tensor([3])).array_sync()
    [2, 3]
    """
    from layerflow.ops.creation import tensor

    s0 = as_tensor(s0, "s0", "broadcast_args", "int32")
    s1 = as_tensor(s1, "s1", "broadcast_args", "int32")
    for name, s in (("s0", s0), ("s1", s1)):
        if s.rank != 1 or s.dtype != "int32":
            raise InvalidArgumentError(f"broadcast_args: {name} must be a 1-D int32 tensor, got "
                                       f"shape {s.shape} dtype {s.dtype}")
    if s0._symbolic or s1._symbolic:
        n = None if None in (s0.shape[0], s1.shape[0]) else max(s0.shape[0], s1.shape[0])
        return SymbolicTensor((n,), "int32")
    from layerflow.ops.slicing import needs_values

    out = broadcast_shapes(tuple(needs_values(s0, "broadcast_args").tolist()),
                           tuple(needs_values(s1, "broadcast_args").tolist()),
                           "broadcast_args")
    return tensor(list(out), dtype="int32") if out else tensor(np.zeros((0,), np.int32))


@chainable()
def space_to_batch_nd(x, block_shape, paddings):
    """Zero-pad the spatial dims (1..M) of ``x`` and move ``block_shape`` blocks into the batch.

    >>> import layerflow as lf
    >>> x = lf.tensor([1, 2, 3, 4], shape=[1, 2, 2, 1])
    >>> lf.space_to_batch_nd(x, [2, 2], [[0, 0], [0, 0]]).shape
    (4, 1, 1, 1)
    """
    x = as_tensor(x, "x", "space_to_batch_nd")
    block = int_list(block_shape, "space_to_batch_nd", "block_shape")
    m = len(block)
    if x.rank < m + 1:
        raise ShapeError(f"space_to_batch_nd: x must have rank at least {m + 1} for block_shape "
                         f"{block}, got shape {x.shape}")
    if any(b < 1 for b in block):
        raise InvalidArgumentError(f"space_to_batch_nd: block_shape must be positive, got {block}")
    pads = pairs(paddings, m, "space_to_batch_nd", shape=x.shape)
    spatial = []
    for i, (b, (p0, p1)) in enumerate(zip(block, pads)):
        d = x.shape[i + 1]
        if d is not None and (d + p0 + p1) % b:
            raise ShapeError(f"space_to_batch_nd: padded dimension {i + 1} ({d} + {p0} + {p1}) "
                             f"of shape {x.shape} must be divisible by block_shape[{i}] = {b}")
        spatial.append(None if d is None else (d + p0 + p1) // b)
    rest = x.shape[m + 1:]
    out_shape = (_mul_dim(x.shape[0], math.prod(block)),) + tuple(spatial) + rest
    if x._symbolic:
        return _symbolic_out(x, out_shape)
    padded = pad(x, [[0, 0]] + [list(p) for p in pads] + [[0, 0]] * len(rest))
    split_shape = [x.shape[0]]
    for s, b in zip(spatial, block):
        split_shape += [s, b]
    t = reshape(padded, split_shape + list(rest))
    perm = ([2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
            + list(range(1 + 2 * m, 1 + 2 * m + len(rest))))
    return reshape(transpose(t, perm), out_shape)


@chainable()
def batch_to_space_nd(x, block_shape, crops):
    """Move blocks of the batch back into the spatial dims (1..M), then crop.

    >>> import layerflow as lf
    >>> x = lf.tensor([1, 2, 3, 4], shape=[4, 1, 1, 1])
    >>> lf.batch_to_space_nd(x, [2, 2], [[0, 0], [0, 0]]).reshape([-1]).array_sync()
    [1, 2, 3, 4]
    """
    x = as_tensor(x, "x", "batch_to_space_nd")
    block = int_list(block_shape, "batch_to_space_nd", "block_shape")
    m = len(block)
    if x.rank < m + 1:
        raise ShapeError(f"batch_to_space_nd: x must have rank at least {m + 1} for block_shape "
                         f"{block}, got shape {x.shape}")
    if any(b < 1 for b in block):
        raise InvalidArgumentError(f"batch_to_space_nd: block_shape must be positive, got {block}")
    cr = pairs(crops, m, "batch_to_space_nd", "crops", shape=x.shape)
    prod = math.prod(block)
    if x.shape[0] is not None and x.shape[0] % prod:
        raise ShapeError(f"batch_to_space_nd: batch dimension {x.shape[0]} of shape {x.shape} "
                         f"must be divisible by prod(block_shape) = {prod}")
    batch = None if x.shape[0] is None else x.shape[0] // prod
    spatial = []
    for i, (b, (c0, c1)) in enumerate(zip(block, cr)):
        d = x.shape[i + 1]
        if d is not None and c0 + c1 > d * b:
            raise InvalidArgumentError(f"batch_to_space_nd: crops {list(cr[i])} exceed the size "
                                       f"{d * b} of spatial dimension {i + 1}")
        spatial.append(None if d is None else d * b - c0 - c1)
    rest = x.shape[m + 1:]
    out_shape = (batch,) + tuple(spatial) + rest
    if x._symbolic:
        return _symbolic_out(x, out_shape)
    t = reshape(x, block + [batch] + list(x.shape[1:]))
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += list(range(2 * m + 1, 2 * m + 1 + len(rest)))
    t = transpose(t, perm)
    t = reshape(t, [batch] + [x.shape[i + 1] * b for i, b in enumerate(block)] + list(rest))
    if any(c0 or c1 for c0, c1 in cr):
        from layerflow.ops.slicing import slice as slice_op

        t = slice_op(t, [0] + [c0 for c0, _ in cr] + [0] * len(rest),
                     [-1] + [s for s in spatial] + [-1] * len(rest))
    return t


@chainable()
def depth_to_space(x, block_size, data_format="NHWC"):
    """Move channel blocks of a 4-D tensor into ``block_size`` x ``block_size`` spatial tiles.

    >>> import layerflow as lf
    >>> lf.depth_to_space(lf.tensor([1, 2, 3, 4], shape=[1, 1, 1, 4]), 2).array_sync()
    [[[[1], [2]], [[3], [4]]]]
    """
    x = as_tensor(x, "x", "depth_to_space")
    if x.rank != 4:
        raise ShapeError(f"depth_to_space: expected a rank-4 tensor, got shape {x.shape}")
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)) \
            or block_size < 2:
        raise InvalidArgumentError(f"depth_to_space: block_size must be an integer > 1, got "
                                   f"{block_size!r}")
    if data_format not in ("NHWC", "NCHW"):
        raise InvalidArgumentError(f"depth_to_space: data_format must be 'NHWC' or 'NCHW', got "
                                   f"{data_format!r}")
    bs = int(block_size)
    if data_format == "NHWC":
        b, h, w, c = x.shape
    else:
        b, c, h, w = x.shape
    if c is not None and c % (bs * bs):
        raise ShapeError(f"depth_to_space: channels {c} of shape {x.shape} must be divisible by "
                         f"block_size ** 2 = {bs * bs}")
    c2 = None if c is None else c // (bs * bs)
    h2, w2 = _mul_dim(h, bs), _mul_dim(w, bs)
    out_shape = (b, h2, w2, c2) if data_format == "NHWC" else (b, c2, h2, w2)
    if x._symbolic:
        return _symbolic_out(x, out_shape)
    if data_format == "NHWC":
        t = transpose(reshape(x, [b, h, w, bs, bs, c2]), [0, 1, 3, 2, 4, 5])
    else:
        t = transpose(reshape(x, [b, bs, bs, c2, h, w]), [0, 3, 4, 1, 5, 2])
    return reshape(t, out_shape)


def ensure_shape(x, shape):
    """``x`` unchanged, after checking its shape is compatible with ``shape`` (None = any).

    >>> import layerflow as lf
    >>> lf.ensure_shape(lf.zeros([2, 3]), [None, 3]).shape
    (2, 3)
    """
    x = as_tensor(x, "x", "ensure_shape")
    want = tuple(None if d is None or d == -1 else int(d) for d in shape)
    if len(want) != x.rank or any(w is not None and d is not None and w != d
                                  for w, d in zip(want, x.shape)):
        raise ShapeError(f"ensure_shape: shape {x.shape} is not compatible with {want}")
    out_shape = tuple(d if d is not None else w for d, w in zip(x.shape, want))
    return run("identity", (x,), out_shape, x.dtype, grad=_transpose_grad_identity)


def setdiff1d(x, y):
    """The values of 1-D ``x`` not in ``y`` and their indices in ``x`` (TF.js setdiff1dAsync).

    >>> import layerflow as lf
    >>> values, indices = lf.setdiff1d([1, 2, 3, 4, 5], [2, 4])
    >>> values.array_sync(), indices.array_sync()
    ([1, 3, 5], [0, 2, 4])
    """
    from layerflow.ops.creation import tensor

    x = as_tensor(x, "x", "setdiff1d")
    y = as_tensor(y, "y", "setdiff1d", x.dtype)
    if x.dtype != y.dtype:
        raise DTypeError(f"setdiff1d: x and y must have the same dtype, got {x.dtype} and "
                         f"{y.dtype}")
    if x.rank != 1 or y.rank != 1:
        raise ShapeError(f"setdiff1d: x and y must be 1-D, got shapes {x.shape} and {y.shape}")
    if x._symbolic or y._symbolic:
        raise NotSupportedError("setdiff1d: the output size depends on the values, so it needs "
                                "eager (non-symbolic) inputs")
    from layerflow.ops.slicing import needs_values

    xs, ys = needs_values(x, "setdiff1d"), needs_values(y, "setdiff1d")
    keep = ~np.isin(xs, ys)
    return [tensor(xs[keep], dtype=x.dtype),
            tensor(np.nonzero(keep)[0].astype(np.int32), dtype="int32")]
