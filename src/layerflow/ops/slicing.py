"""Slicing and indexing: slice, strided_slice, ``Tensor.__getitem__``, gather, gather_nd,
scatter_nd, tensor_scatter_update, boolean_mask. Joining ops (concat, stack, split, tile ...)
live in :mod:`layerflow.ops.joining` and are re-exported here.

Slices are computed by one kernel (``strided_slice``, a basic NumPy slice); its gradient
scatters ``dy`` back into zeros (``strided_slice_grad``), whose own gradient is the slice again.

>>> import layerflow as lf
>>> t = lf.tensor([[1, 2, 3], [4, 5, 6]])
>>> t[1, ::-1].array_sync(), t[:, [0, 2]].array_sync()
([6, 5, 4], [[1, 3], [4, 6]])
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from layerflow.engine.symbolic import SymbolicTensor
from layerflow.engine.tensor import Tensor
from layerflow.errors import (
    DTypeError,
    InvalidArgumentError,
    LayerflowError,
    NotSupportedError,
    ShapeError,
)
from layerflow.ops._define import as_tensor, chainable, normalize_axis, run

__all__ = ["slice", "slice1d", "slice2d", "slice3d", "slice4d", "strided_slice", "gather",
           "gather_nd", "scatter_nd", "tensor_scatter_update", "boolean_mask"]


class IndexOutOfRangeError(LayerflowError, IndexError):
    """An index is outside the dimension it indexes."""


def concrete(t):
    """``t``'s values as a NumPy array, or None while tracing (``lf.compile``) or symbolic."""
    if t._symbolic:
        return None
    try:
        return t.numpy()
    except Exception:  # NOTE: a jax tracer has no values; value checks are skipped then
        return None


def needs_values(t, op: str):
    """``t``'s values, or a NotSupportedError for ops whose output size depends on them."""
    values = concrete(t)
    if values is None:
        raise NotSupportedError(f"{op}: the output size depends on the input values, so it "
                                "needs eager inputs (not symbolic, not inside lf.compile)")
    return values


# -- the slice kernel and its gradient -------------------------------------------------------
def _spec_len(s, d):
    if d is None:
        return None
    return len(range(*builtins.slice(*s).indices(d)))


def strided(x, spec: tuple):
    """``x[slices]`` for normalized ``spec`` = ((start, stop, step), ...) one per dimension."""
    spec = tuple(spec)
    shape = tuple(_spec_len(s, d) for s, d in zip(spec, x.shape))
    if not x._symbolic and all(s == (0, d, 1) for s, d in zip(spec, x.shape)):
        return run("identity", (x,), shape, x.dtype, grad=_identity_grad)
    return run("strided_slice", (x,), shape, x.dtype, {"spec": spec}, grad=_strided_grad)


def _identity_grad(dy, inputs, out, attrs):
    return (dy,)


def _strided_grad(dy, inputs, out, attrs):
    return (_strided_scatter(dy, attrs["spec"], inputs[0].shape),)


def _strided_scatter(dy, spec, shape):
    return run("strided_slice_grad", (dy,), tuple(shape), dy.dtype,
               {"spec": spec, "shape": tuple(shape)}, grad=_scatter_back_grad)


def _scatter_back_grad(dy, inputs, out, attrs):
    return (strided(dy, attrs["spec"]),)


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _basic_index(x, items: list, op: str):
    """Basic NumPy indexing of ``x`` by ``items`` (ints, slices, None, at most one Ellipsis)."""
    n_ellipsis = sum(1 for it in items if it is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError(f"{op}: an index can only have a single ellipsis ('...')")
    consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    if consumed > x.rank:
        raise IndexOutOfRangeError(f"{op}: too many indices ({consumed}) for a tensor of shape "
                                   f"{x.shape}")
    if n_ellipsis:
        at = items.index(Ellipsis)
        items = items[:at] + [builtins.slice(None)] * (x.rank - consumed) + items[at + 1:]
    else:
        items = items + [builtins.slice(None)] * (x.rank - consumed)
    spec, out_shape, dim = [], [], 0
    for it in items:
        if it is None:
            out_shape.append(1)
            continue
        d = x.shape[dim]
        if isinstance(it, builtins.slice):
            step = 1 if it.step is None else int(it.step)
            if step == 0:
                raise InvalidArgumentError(f"{op}: slice step cannot be zero")
            if d is None:
                spec.append((it.start, it.stop, step))
                out_shape.append(None)
            else:
                start, stop, step = it.indices(d)
                if not len(range(start, stop, step)):
                    start, stop, step = 0, 0, 1
                elif step < 0 and stop < 0:
                    stop = None
                spec.append((start, stop, step))
                out_shape.append(_spec_len((start, stop, step), d))
        else:
            i = int(it)
            if d is not None:
                if not -d <= i < d:
                    raise IndexOutOfRangeError(f"{op}: index {i} is out of range for axis {dim} "
                                               f"with size {d} (shape {x.shape})")
                i %= d
            spec.append((i, i + 1, 1))
        dim += 1
    if x._symbolic:
        return SymbolicTensor(tuple(out_shape), x.dtype)
    from layerflow.ops.shape import reshape_to

    y = strided(x, tuple(spec))
    return y if y.shape == tuple(out_shape) else reshape_to(y, tuple(out_shape))


# -- slice and strided_slice -------------------------------------------------------------------
@chainable()
def slice(x, begin, size=None):  # noqa: A001  (TF.js's name)
    """The block of ``x`` starting at ``begin`` of ``size`` (-1: to the end of that axis).

    >>> import layerflow as lf
    >>> lf.slice(lf.tensor([[1, 2, 3], [4, 5, 6]]), [0, 1], [2, -1]).array_sync()
    [[2, 3], [5, 6]]
    """
    from layerflow.ops.shape import int_list

    x = as_tensor(x, "x", "slice")
    r = x.rank
    begin = int_list(begin, "slice", "begin")
    if len(begin) == 1 and r > 1:
        begin = begin + [0] * (r - 1)
    size = [-1] * r if size is None else int_list(size, "slice", "size")
    if len(size) < r:
        size = size + [-1] * (r - len(size))
    begin = begin + [0] * (r - len(begin))
    if len(begin) != r or len(size) != r:
        raise InvalidArgumentError(f"slice: begin {begin} and size {size} must have one entry "
                                   f"per dimension of shape {x.shape}")
    spec = []
    for i, (b, s, d) in enumerate(zip(begin, size, x.shape)):
        if b < 0 or s < -1 or (d is not None and (b > d or (s != -1 and b + s > d))):
            raise InvalidArgumentError(f"slice: begin {begin} and size {size} are out of bounds "
                                       f"for shape {x.shape} (axis {i})")
        if d is None:
            spec.append((b, None if s == -1 else b + s, 1))
        else:
            spec.append((b, d if s == -1 else b + s, 1))
    if x._symbolic:
        return SymbolicTensor(tuple(None if d is None and s == -1 else (d - b if s == -1 else s)
                                    for b, s, d in zip(begin, size, x.shape)), x.dtype)
    return strided(x, tuple(spec))


def _slice_nd(rank: int):
    def fn(x, begin, size=None):
        x = as_tensor(x, "x", f"slice{rank}d")
        if x.rank != rank:
            raise ShapeError(f"slice{rank}d: expected a rank-{rank} tensor, got shape {x.shape}")
        return slice(x, begin, size)

    fn.__name__ = fn.__qualname__ = f"slice{rank}d"
    fn.__doc__ = f"""``slice`` of a rank-{rank} tensor (TF.js ``slice{rank}d``).

    >>> import layerflow as lf
    >>> lf.slice{rank}d(lf.zeros([3] * {rank}), [1] * {rank}, [2] * {rank}).shape[0]
    2
    """
    return fn


slice1d = _slice_nd(1)
slice2d = _slice_nd(2)
slice3d = _slice_nd(3)
slice4d = _slice_nd(4)


@chainable()
def strided_slice(x, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0):
    """A strided slice of ``x``, as TF.js's ``stridedSlice`` (masks are bit fields).

    >>> import layerflow as lf
    >>> t = lf.tensor([[1, 2, 3], [4, 5, 6]])
    >>> lf.strided_slice(t, [0, 2], [2, 0], [1, -1]).array_sync()
    [[3, 2], [6, 5]]
    """
    from layerflow.ops.shape import int_list

    x = as_tensor(x, "x", "strided_slice")
    begin = int_list(begin, "strided_slice", "begin")
    end = int_list(end, "strided_slice", "end")
    strides = [1] * len(begin) if strides is None else int_list(strides, "strided_slice",
                                                                "strides")
    if not len(begin) == len(end) == len(strides):
        raise InvalidArgumentError(f"strided_slice: begin {begin}, end {end} and strides "
                                   f"{strides} must have the same length")
    items = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if ellipsis_mask & bit:
            items.append(Ellipsis)
        elif new_axis_mask & bit:
            items.append(None)
        elif shrink_axis_mask & bit:
            items.append(b)
        else:
            if s == 0:
                raise InvalidArgumentError("strided_slice: strides cannot be zero")
            items.append(builtins.slice(None if begin_mask & bit else b,
                                        None if end_mask & bit else e, s))
    return _basic_index(x, items, "strided_slice")


# -- __getitem__ ------------------------------------------------------------------------------
def _is_bool_mask(it) -> bool:
    if isinstance(it, (Tensor, SymbolicTensor)):
        return it.dtype == "bool"
    if isinstance(it, np.ndarray):
        return it.dtype == np.bool_
    if isinstance(it, list):
        return np.asarray(it).dtype == np.bool_
    return False


def _is_array_index(it) -> bool:
    if isinstance(it, (Tensor, SymbolicTensor)):
        return it.rank > 0 or it.dtype == "int32"
    return isinstance(it, (list, np.ndarray))


def _getitem(self, key):
    """NumPy-style indexing: ints, slices (any step), None, ``...``, one int array, a bool mask.

    >>> import layerflow as lf
    >>> lf.tensor([[1, 2], [3, 4]])[..., None].shape
    (2, 2, 1)
    """
    if not isinstance(key, tuple):
        key = (key,)
    items = []
    for it in key:
        if isinstance(it, (Tensor, SymbolicTensor)) and it.rank == 0 and it.dtype == "int32":
            value = concrete(it)
            it = int(value) if value is not None else it
        elif isinstance(it, np.ndarray) and it.ndim == 0 and it.dtype.kind in "iu":
            it = int(it)
        items.append(it)
    masks = [i for i, it in enumerate(items) if _is_bool_mask(it)]
    if masks:
        if len(items) != 1:
            raise NotSupportedError("__getitem__: a boolean mask must be the only index")
        return boolean_mask(self, items[0])
    arrays = [i for i, it in enumerate(items) if _is_array_index(it)]
    for it in items:
        if not (it is None or it is Ellipsis or isinstance(it, builtins.slice) or _is_int(it)
                or _is_array_index(it)):
            raise InvalidArgumentError(f"__getitem__: unsupported index {it!r}")
    if not arrays:
        return _basic_index(self, items, "__getitem__")
    if len(arrays) > 1:
        raise NotSupportedError("__getitem__: only one integer-array index is supported")
    at = arrays[0]
    index = items[at]
    basic = items[:at] + [builtins.slice(None)] + items[at + 1:]
    # NOTE: the output axis of the gathered dim = dims the basic items before it produce.
    before = basic[:at]
    if Ellipsis in before:
        consumed = sum(1 for it in basic if it is not None and it is not Ellipsis)
        skipped = self.rank - consumed
        axis = sum(1 for it in before if it is None or isinstance(it, builtins.slice)) + skipped
    else:
        axis = sum(1 for it in before if it is None or isinstance(it, builtins.slice))
    y = _basic_index(self, basic, "__getitem__")
    n = y.shape[axis]
    if not isinstance(index, (Tensor, SymbolicTensor)):
        index = np.asarray(index)
        if index.dtype.kind not in "iu" and index.size:
            raise InvalidArgumentError(f"__getitem__: array indices must be integers, got "
                                       f"dtype {index.dtype}")
        index = index.astype(np.int64)
        if n is not None:
            bad = index[(index < -n) | (index >= n)]
            if bad.size:
                raise IndexOutOfRangeError(f"__getitem__: index {int(bad[0])} is out of range "
                                           f"for an axis of size {n}")
            index = np.where(index < 0, index + n, index)
        from layerflow.ops.creation import tensor

        index = tensor(index.astype(np.int32), dtype="int32")
    elif n is not None and concrete(index) is not None:
        values = concrete(index)
        if ((values < -n) | (values >= n)).any():
            bad = values[(values < -n) | (values >= n)]
            raise IndexOutOfRangeError(f"__getitem__: index {int(bad[0])} is out of range for "
                                       f"an axis of size {n}")
        if (values < 0).any():
            from layerflow.ops.creation import tensor

            index = tensor(np.where(values < 0, values + n, values).astype(np.int32))
    out = gather(y, index, axis)
    ints = [i for i, it in enumerate(items) if _is_int(it)]
    advanced = sorted(ints + [at])
    if ints and advanced != list(range(advanced[0], advanced[-1] + 1)):
        from layerflow.ops.shape import transpose

        q = index.rank
        perm = list(range(axis, axis + q)) + [i for i in range(out.rank)
                                              if not axis <= i < axis + q]
        out = transpose(out, perm)
    return out


chainable("__getitem__")(_getitem)


# -- gather and friends ------------------------------------------------------------------------
def _indices(indices, op: str, name: str = "indices"):
    if not isinstance(indices, (Tensor, SymbolicTensor)):
        kind = np.asarray(indices).dtype.kind
        if kind not in "iu" and np.size(indices):
            raise DTypeError(f"{op}: {name} must be integers, got {indices!r}")
    t = as_tensor(indices, name, op, "int32")
    if t.dtype != "int32":
        raise DTypeError(f"{op}: {name} must be int32, got dtype {t.dtype}")
    return t


def _check_range(indices, n, op: str, what: str):
    values = None if n is None else concrete(indices)
    if values is None:
        return
    bad = values[(values < 0) | (values >= n)]
    if bad.size:
        raise IndexOutOfRangeError(f"{op}: {what} must be in [0, {n}), got {int(bad.flat[0])}")


@chainable()
def gather(x, indices, axis=0, batch_dims=0):
    """Slices of ``x`` along ``axis`` at ``indices`` (int32).

    >>> import layerflow as lf
    >>> lf.gather(lf.tensor([[1, 2], [3, 4], [5, 6]]), lf.tensor([2, 0])).array_sync()
    [[5, 6], [1, 2]]
    """
    x = as_tensor(x, "x", "gather")
    indices = _indices(indices, "gather")
    axis = normalize_axis(axis, x.rank, "gather") if x.rank else \
        _bad_axis("gather", axis, x.shape)
    b = int(batch_dims)
    if b < 0:
        b += indices.rank
    if not 0 <= b <= min(axis, indices.rank):
        raise InvalidArgumentError(f"gather: batch_dims {batch_dims} must be in [0, "
                                   f"min(axis={axis}, indices rank={indices.rank})]")
    for i in range(b):
        if None not in (x.shape[i], indices.shape[i]) and x.shape[i] != indices.shape[i]:
            raise ShapeError(f"gather: batch dimension {i} differs: x shape {x.shape}, "
                             f"indices shape {indices.shape}")
    out_shape = x.shape[:axis] + indices.shape[b:] + x.shape[axis + 1:]
    _check_range(indices, x.shape[axis], "gather", f"indices for axis {axis} of shape "
                 f"{x.shape}")
    if x._symbolic or indices._symbolic:
        return SymbolicTensor(out_shape, x.dtype)
    if b == 0:
        return run("gather", (x, indices), out_shape, x.dtype, {"axis": axis},
                   grad=_gather_grad)
    return _batched_gather(x, indices, axis, b)


def _bad_axis(op, axis, shape):
    raise InvalidArgumentError(f"{op}: axis {axis} is out of range for shape {shape}")


def _batched_gather(x, indices, axis, b):
    from layerflow.ops.creation import tensor
    from layerflow.ops.elementwise import add
    from layerflow.ops.shape import reshape, transpose

    r, q = x.rank, indices.rank
    n = x.shape[axis]
    bshape = list(x.shape[:b])
    bprod = math.prod(bshape)
    xt = transpose(x, list(range(b)) + [axis] + list(range(b, axis)) + list(range(axis + 1, r)))
    flat = reshape(xt, [bprod * n] + list(xt.shape[b + 1:]))
    offsets = tensor((np.arange(bprod, dtype=np.int32) * n).reshape(bshape + [1] * (q - b)),
                     dtype="int32")
    g = gather(flat, add(indices, offsets), 0)
    g = reshape(g, bshape + list(g.shape[1:]))
    ni, nm = q - b, axis - b
    perm = (list(range(b)) + list(range(b + ni, b + ni + nm)) + list(range(b, b + ni))
            + list(range(b + ni + nm, g.rank)))
    return transpose(g, perm)


def _gather_grad(dy, inputs, out, attrs):
    from layerflow.ops.segment import unsorted_segment_sum
    from layerflow.ops.shape import transpose

    x, indices = inputs
    a, q = attrs["axis"], indices.rank
    perm = list(range(a, a + q)) + list(range(a)) + list(range(a + q, dy.rank))
    seg = unsorted_segment_sum(transpose(dy, perm), indices, x.shape[a])
    back = list(range(1, a + 1)) + [0] + list(range(a + 1, x.rank))
    return transpose(seg, back), None


def _nd_rule(x_shape, indices, op):
    if indices.rank < 1:
        raise ShapeError(f"{op}: indices must have rank >= 1, got shape {indices.shape}")
    k = indices.shape[-1]
    if k is None or k > len(x_shape):
        raise ShapeError(f"{op}: the last dimension of indices ({k}) must be known and at most "
                         f"the rank of shape {tuple(x_shape)}")
    values = None if None in x_shape else concrete(indices)
    if values is not None:
        values = values.reshape(-1, k)
        bad = (values < 0) | (values >= np.asarray(x_shape[:k], dtype=np.int64))
        if bad.any():
            row = values[bad.any(axis=1)][0].tolist()
            raise IndexOutOfRangeError(f"{op}: index {row} is out of range for shape "
                                       f"{tuple(x_shape)}")
    return k


def gather_nd(x, indices):
    """Slices of ``x`` at the multi-indices in the last axis of ``indices``.

    >>> import layerflow as lf
    >>> lf.gather_nd(lf.tensor([[1, 2], [3, 4]]), lf.tensor([[1, 0], [0, 1]])).array_sync()
    [3, 2]
    """
    x = as_tensor(x, "x", "gather_nd")
    indices = _indices(indices, "gather_nd")
    k = _nd_rule(x.shape, indices, "gather_nd")
    out_shape = indices.shape[:-1] + x.shape[k:]
    return run("gather_nd", (x, indices), out_shape, x.dtype, grad=_gather_nd_grad)


def _gather_nd_grad(dy, inputs, out, attrs):
    x, indices = inputs
    return scatter_nd(indices, dy, x.shape), None


def _updates_rule(indices, updates, shape, k, op):
    want = indices.shape[:-1] + tuple(shape[k:])
    if len(want) != updates.rank or any(None not in (a, b) and a != b
                                        for a, b in zip(want, updates.shape)):
        raise ShapeError(f"{op}: updates must have shape {want} (indices {indices.shape}, "
                         f"shape {tuple(shape)}), got {updates.shape}")


def scatter_nd(indices, updates, shape):
    """A zero tensor of ``shape`` with ``updates`` added at ``indices`` (duplicates add).

    >>> import layerflow as lf
    >>> lf.scatter_nd(lf.tensor([[1], [3], [1]]), lf.tensor([5, 6, 7]), [4]).array_sync()
    [0, 12, 0, 6]
    """
    from layerflow.ops.creation import check_shape

    indices = _indices(indices, "scatter_nd")
    updates = as_tensor(updates, "updates", "scatter_nd")
    shape = check_shape(shape, "scatter_nd")
    k = _nd_rule(shape, indices, "scatter_nd")
    _updates_rule(indices, updates, shape, k, "scatter_nd")
    return run("scatter_nd", (indices, updates), shape, updates.dtype, {"shape": shape},
               grad=_scatter_nd_grad)


def _scatter_nd_grad(dy, inputs, out, attrs):
    indices, _ = inputs
    return None, gather_nd(dy, indices)


def tensor_scatter_update(tensor, indices, updates):
    """``tensor`` with the slices at ``indices`` replaced by ``updates``.

    >>> import layerflow as lf
    >>> t = lf.tensor([1, 2, 3, 4])
    >>> lf.tensor_scatter_update(t, lf.tensor([[0], [2]]), lf.tensor([9, 8])).array_sync()
    [9, 2, 8, 4]
    """
    tensor = as_tensor(tensor, "tensor", "tensor_scatter_update")
    indices = _indices(indices, "tensor_scatter_update")
    updates = as_tensor(updates, "updates", "tensor_scatter_update", tensor.dtype)
    if updates.dtype != tensor.dtype:
        raise DTypeError(f"tensor_scatter_update: updates dtype {updates.dtype} differs from "
                         f"tensor dtype {tensor.dtype}")
    k = _nd_rule(tensor.shape, indices, "tensor_scatter_update")
    _updates_rule(indices, updates, tensor.shape, k, "tensor_scatter_update")
    return run("tensor_scatter_update", (tensor, indices, updates), tensor.shape, tensor.dtype,
               grad=_tensor_scatter_update_grad)


def _tensor_scatter_update_grad(dy, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like

    _, indices, updates = inputs
    return (tensor_scatter_update(dy, indices, zeros_like(updates)), None,
            gather_nd(dy, indices))


def boolean_mask(tensor, mask, axis=0):
    """The slices of ``tensor`` where ``mask`` is true (eager only: the size depends on values).

    >>> import layerflow as lf
    >>> lf.boolean_mask(lf.tensor([1, 2, 3]), lf.tensor([True, False, True])).array_sync()
    [1, 3]
    """
    from layerflow.ops.creation import tensor as make
    from layerflow.ops.shape import reshape

    tensor = as_tensor(tensor, "tensor", "boolean_mask")
    mask = as_tensor(mask, "mask", "boolean_mask", "bool")
    if mask.dtype != "bool":
        raise DTypeError(f"boolean_mask: mask must be bool, got dtype {mask.dtype}")
    k = mask.rank
    axis = int(axis) + tensor.rank if int(axis) < 0 else int(axis)
    if k == 0 or axis + k > tensor.rank:
        raise ShapeError(f"boolean_mask: mask of shape {mask.shape} does not fit tensor of "
                         f"shape {tensor.shape} at axis {axis}")
    part = tensor.shape[axis:axis + k]
    if any(None not in (a, b) and a != b for a, b in zip(part, mask.shape)):
        raise ShapeError(f"boolean_mask: mask shape {mask.shape} does not match tensor shape "
                         f"{tensor.shape} at axis {axis}")
    if tensor._symbolic:
        raise NotSupportedError("boolean_mask: the output size depends on the mask's values, so "
                                "it needs eager (non-symbolic) inputs")
    index = np.nonzero(needs_values(mask, "boolean_mask").reshape(-1))[0].astype(np.int32)
    flat = reshape(tensor, list(tensor.shape[:axis]) + [math.prod(part)]
                   + list(tensor.shape[axis + k:]))
    return gather(flat, make(index, dtype="int32"), axis)
