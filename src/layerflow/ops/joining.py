"""Joining and splitting (part of the slicing family, re-exported by :mod:`slicing`): concat,
stack, unstack, split, tile, reverse, meshgrid.

>>> import layerflow as lf
>>> lf.concat([lf.tensor([1]), lf.tensor([2, 3])]).array_sync()
[1, 2, 3]
"""

from __future__ import annotations

import numpy as np

from layerflow.engine.symbolic import SymbolicTensor
from layerflow.engine.tensor import Tensor
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import (
    as_tensor,
    chainable,
    normalize_axes,
    normalize_axis,
    run,
    run_multi,
)
from layerflow.ops.slicing import strided

__all__ = ["concat", "concat1d", "concat2d", "concat3d", "concat4d", "stack", "unstack",
           "split", "tile", "reverse", "reverse1d", "reverse2d", "reverse3d", "reverse4d",
           "meshgrid"]


def _tensor_list(tensors, op: str) -> list:
    if isinstance(tensors, (Tensor, SymbolicTensor)) or not isinstance(tensors, (list, tuple)):
        raise InvalidArgumentError(f"{op}: expected a list of tensors, got "
                                   f"{type(tensors).__name__}")
    if not tensors:
        raise InvalidArgumentError(f"{op}: expected at least one tensor, got an empty list")
    first = next((t for t in tensors if isinstance(t, (Tensor, SymbolicTensor))), None)
    dtype = first.dtype if first is not None else None
    out = [as_tensor(t, f"tensors[{i}]", op, dtype) for i, t in enumerate(tensors)]
    for i, t in enumerate(out):
        if t.dtype != out[0].dtype:
            raise DTypeError(f"{op}: all tensors must have the same dtype, got tensors[0] "
                             f"{out[0].dtype} and tensors[{i}] {t.dtype}")
    return out


def _axis_slice(x, axis: int, start: int, stop: int):
    spec = tuple((start, stop, 1) if i == axis else (0, d, 1) for i, d in enumerate(x.shape))
    return strided(x, spec)


def concat(tensors, axis=0):
    """Join ``tensors`` along ``axis``; all other dimensions must match.

    >>> import layerflow as lf
    >>> lf.concat([lf.tensor([[1], [2]]), lf.tensor([[3], [4]])], axis=1).array_sync()
    [[1, 3], [2, 4]]
    """
    if isinstance(tensors, (Tensor, SymbolicTensor)):
        tensors = [tensors]
    ts = _tensor_list(tensors, "concat")
    r = ts[0].rank
    if r == 0:
        raise ShapeError("concat: cannot concatenate scalars (rank 0); use stack")
    axis = normalize_axis(axis, r, "concat")
    size = 0
    for i, t in enumerate(ts):
        if t.rank != r or any(j != axis and None not in (a, b) and a != b
                              for j, (a, b) in enumerate(zip(t.shape, ts[0].shape))):
            raise ShapeError(f"concat: tensors[0] has shape {ts[0].shape} and tensors[{i}] has "
                             f"shape {t.shape}; they must match except on axis {axis}")
        size = None if size is None or t.shape[axis] is None else size + t.shape[axis]
    shape = list(ts[0].shape)
    for t in ts[1:]:
        shape = [a if a is not None else b for a, b in zip(shape, t.shape)]
    shape[axis] = size
    if len(ts) == 1 and not ts[0]._symbolic:
        return run("identity", (ts[0],), ts[0].shape, ts[0].dtype, grad=_pass_grad)
    return run("concat", tuple(ts), tuple(shape), ts[0].dtype, {"axis": axis},
               grad=_concat_grad)


def _pass_grad(dy, inputs, out, attrs):
    return (dy,)


def _concat_grad(dy, inputs, out, attrs):
    axis = attrs["axis"]
    grads, start = [], 0
    for t in inputs:
        n = t.shape[axis]
        grads.append(_axis_slice(dy, axis, start, start + n))
        start += n
    return tuple(grads)


def _concat_nd(rank: int):
    def fn(tensors, axis=0):
        ts = _tensor_list(tensors, f"concat{rank}d")
        for i, t in enumerate(ts):
            if t.rank != rank:
                raise ShapeError(f"concat{rank}d: tensors[{i}] must have rank {rank}, got shape "
                                 f"{t.shape}")
        return concat(ts, axis)

    fn.__name__ = fn.__qualname__ = f"concat{rank}d"
    fn.__doc__ = f"""``concat`` of rank-{rank} tensors (TF.js ``concat{rank}d``).

    >>> import layerflow as lf
    >>> lf.concat{rank}d([lf.zeros([1] * {rank}), lf.zeros([1] * {rank})]).shape[0]
    2
    """
    return fn


concat1d = _concat_nd(1)
concat2d = _concat_nd(2)
concat3d = _concat_nd(3)
concat4d = _concat_nd(4)


def stack(tensors, axis=0):
    """Join same-shaped ``tensors`` along a new axis.

    >>> import layerflow as lf
    >>> lf.stack([lf.tensor([1, 2]), lf.tensor([3, 4])], axis=1).array_sync()
    [[1, 3], [2, 4]]
    """
    from layerflow.ops.shape import expand_dims

    ts = _tensor_list(tensors, "stack")
    for i, t in enumerate(ts):
        if t.rank != ts[0].rank or any(None not in (a, b) and a != b
                                       for a, b in zip(t.shape, ts[0].shape)):
            raise ShapeError(f"stack: all tensors must have the same shape, got tensors[0] "
                             f"shape {ts[0].shape} and tensors[{i}] shape {t.shape}")
    r = ts[0].rank
    if isinstance(axis, bool) or not -(r + 1) <= int(axis) <= r:
        raise InvalidArgumentError(f"stack: axis {axis} is out of range for {r + 1} dimensions")
    axis = int(axis) % (r + 1)
    return concat([expand_dims(t, axis) for t in ts], axis)


def _with_others(self, others):
    if isinstance(others, (list, tuple)):
        return [self, *others]
    return [self, others]


@chainable("concat")
def _concat_method(self, x, axis=0):
    """TF.js ``t.concat(x, axis)``: ``concat([t, *x], axis)`` (``x`` a tensor or a list)."""
    return concat(_with_others(self, x), axis)


@chainable("stack")
def _stack_method(self, x, axis=0):
    """TF.js ``t.stack(x, axis)``: ``stack([t, *x], axis)`` (``x`` a tensor or a list)."""
    return stack(_with_others(self, x), axis)


@chainable()
def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a list (each without that axis).

    >>> import layerflow as lf
    >>> [t.array_sync() for t in lf.unstack(lf.tensor([[1, 2], [3, 4]]))]
    [[1, 2], [3, 4]]
    """
    x = as_tensor(x, "x", "unstack")
    if x.rank == 0:
        raise ShapeError("unstack: cannot unstack a scalar (rank 0)")
    axis = normalize_axis(axis, x.rank, "unstack")
    n = x.shape[axis]
    if n is None:
        raise ShapeError(f"unstack: axis {axis} of shape {x.shape} must be known")
    if n == 0:
        return []
    shape = x.shape[:axis] + x.shape[axis + 1:]
    # NOTE: one op with n outputs, so the gradient is one stack; n slicing ops would each
    # make a zero tensor of x's full shape in the backward pass (quadratic in n).
    return run_multi("unstack", (x,), [(shape, x.dtype)] * n, {"axis": axis},
                     grad=_unstack_grad)


def _unstack_grad(dy, inputs, outs, attrs):
    return (stack(dy, attrs["axis"]),)


@chainable()
def split(x, num_or_size_splits, axis=0):
    """Split ``x`` along ``axis`` into equal parts (an int) or parts of given sizes (one -1).

    >>> import layerflow as lf
    >>> [t.array_sync() for t in lf.split(lf.tensor([1, 2, 3, 4, 5]), [2, -1])]
    [[1, 2], [3, 4, 5]]
    """
    from layerflow.ops.shape import int_list

    x = as_tensor(x, "x", "split")
    if x.rank == 0:
        raise ShapeError("split: cannot split a scalar (rank 0)")
    axis = normalize_axis(axis, x.rank, "split")
    n = x.shape[axis]
    if n is None:
        raise ShapeError(f"split: axis {axis} of shape {x.shape} must be known")
    if isinstance(num_or_size_splits, (int, np.integer)) \
            and not isinstance(num_or_size_splits, bool):
        k = int(num_or_size_splits)
        if k <= 0 or n % k:
            raise InvalidArgumentError(f"split: number of splits {k} must evenly divide axis "
                                       f"{axis} of size {n} (shape {x.shape})")
        sizes = [n // k] * k
    else:
        sizes = int_list(num_or_size_splits, "split", "num_or_size_splits")
        unknown = [i for i, s in enumerate(sizes) if s == -1]
        if len(unknown) > 1 or any(s < -1 for s in sizes):
            raise InvalidArgumentError(f"split: sizes {sizes} may hold at most one -1 and no "
                                       "other negative value")
        known = sum(s for s in sizes if s != -1)
        if unknown and known <= n:
            sizes[unknown[0]] = n - known
        if sum(sizes) != n or (unknown and known > n):
            raise InvalidArgumentError(f"split: sizes {list(num_or_size_splits)} must sum to "
                                       f"the size {n} of axis {axis} (shape {x.shape})")
    specs, indices, start = [], [], 0
    for size in sizes:
        shape = list(x.shape)
        shape[axis] = size
        specs.append((tuple(shape), x.dtype))
        start += size
        indices.append(start)
    # NOTE: one op (gradient: one concat), as unstack.
    return run_multi("split", (x,), specs, {"indices": tuple(indices[:-1]), "axis": axis},
                     grad=_split_grad)


def _split_grad(dy, inputs, outs, attrs):
    return (concat(dy, attrs["axis"]),)


@chainable()
def tile(x, reps):
    """``x`` repeated ``reps[i]`` times along each axis ``i``.

    >>> import layerflow as lf
    >>> lf.tile(lf.tensor([1, 2]), [2]).array_sync()
    [1, 2, 1, 2]
    """
    from layerflow.ops.shape import int_list

    x = as_tensor(x, "x", "tile")
    reps = int_list(reps, "tile", "reps")
    if len(reps) != x.rank:
        raise InvalidArgumentError(f"tile: reps {reps} must have one entry per dimension of "
                                   f"shape {x.shape}")
    if any(r < 0 for r in reps):
        raise InvalidArgumentError(f"tile: reps must be non-negative, got {reps}")
    shape = tuple(None if d is None else d * r for d, r in zip(x.shape, reps))
    return run("tile", (x,), shape, x.dtype, {"reps": tuple(reps)}, grad=_tile_grad)


def _tile_grad(dy, inputs, out, attrs):
    from layerflow.ops.reduction import sum as reduce_sum
    from layerflow.ops.shape import reshape

    (x,) = inputs
    inter = []
    for r, d in zip(attrs["reps"], x.shape):
        inter += [r, d]
    g = reduce_sum(reshape(dy, inter), axis=list(range(0, 2 * x.rank, 2)))
    return (reshape(g, x.shape),)


@chainable()
def reverse(x, axis=None):
    """``x`` with the order of elements reversed along ``axis`` (all axes when None).

    >>> import layerflow as lf
    >>> lf.reverse(lf.tensor([[1, 2], [3, 4]]), 1).array_sync()
    [[2, 1], [4, 3]]
    """
    x = as_tensor(x, "x", "reverse")
    if x.rank == 0:
        return run("identity", (x,), x.shape, x.dtype, grad=_pass_grad)
    axes = normalize_axes(axis, x.rank, "reverse")
    if not axes:
        return run("identity", (x,), x.shape, x.dtype, grad=_pass_grad)
    return run("reverse", (x,), x.shape, x.dtype, {"axes": axes}, grad=_reverse_grad)


def _reverse_grad(dy, inputs, out, attrs):
    return (reverse(dy, list(attrs["axes"])),)


def _reverse_nd(rank: int):
    def fn(x, axis=None):
        x = as_tensor(x, "x", f"reverse{rank}d")
        if x.rank != rank:
            raise ShapeError(f"reverse{rank}d: expected a rank-{rank} tensor, got shape "
                             f"{x.shape}")
        return reverse(x, axis)

    fn.__name__ = fn.__qualname__ = f"reverse{rank}d"
    fn.__doc__ = f"""``reverse`` of a rank-{rank} tensor (TF.js ``reverse{rank}d``).

    >>> import layerflow as lf
    >>> lf.reverse{rank}d(lf.zeros([2] * {rank})).shape[0]
    2
    """
    return fn


reverse1d = _reverse_nd(1)
reverse2d = _reverse_nd(2)
reverse3d = _reverse_nd(3)
reverse4d = _reverse_nd(4)


def meshgrid(x, y=None, indexing="xy"):
    """Coordinate grids from 1-D ``x`` and ``y`` ('xy': shape (len(y), len(x)); 'ij': the
    transpose).

    >>> import layerflow as lf
    >>> X, Y = lf.meshgrid([1, 2, 3], [4, 5])
    >>> X.array_sync(), Y.array_sync()
    ([[1, 2, 3], [1, 2, 3]], [[4, 4, 4], [5, 5, 5]])
    """
    from layerflow.ops.shape import broadcast_to, reshape

    if indexing not in ("xy", "ij"):
        raise InvalidArgumentError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    x = as_tensor(x, "x", "meshgrid")
    x = reshape(x, [-1]) if x.rank != 1 else x
    if y is None:
        return [x]
    y = as_tensor(y, "y", "meshgrid", x.dtype)
    y = reshape(y, [-1]) if y.rank != 1 else y
    nx, ny = x.shape[0], y.shape[0]
    if x._symbolic or y._symbolic:
        shape = (ny, nx) if indexing == "xy" else (nx, ny)
        return [SymbolicTensor(shape, x.dtype), SymbolicTensor(shape, y.dtype)]
    if indexing == "xy":
        return [broadcast_to(reshape(x, [1, nx]), [ny, nx]),
                broadcast_to(reshape(y, [ny, 1]), [ny, nx])]
    return [broadcast_to(reshape(x, [nx, 1]), [nx, ny]),
            broadcast_to(reshape(y, [1, ny]), [nx, ny])]
