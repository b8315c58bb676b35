"""Creating tensors: from values (``tensor``, ``scalar``, ``tensor1d`` ..), filled (``zeros``,
``ones``, ``fill``, ``*_like``), and variables.

>>> import layerflow as lf
>>> lf.tensor([1, 2, 3, 4], shape=[2, 2]).array_sync()
[[1, 2], [3, 4]]
>>> lf.zeros([2]).array_sync(), lf.fill([2], 7, 'int32').array_sync()
([0.0, 0.0], [7, 7])
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.engine.convert import to_array
from layerflow.engine.tensor import Tensor, Variable, checked, make_variable, wrap
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, chainable, identity, run

__all__ = ["tensor", "scalar", "tensor1d", "tensor2d", "tensor3d", "tensor4d", "tensor5d",
           "tensor6d", "zeros", "ones", "fill", "zeros_like", "ones_like", "variable", "eye",
           "linspace", "range", "one_hot", "clone", "diag", "buffer", "TensorBuffer", "print"]


def check_shape(shape, op: str) -> tuple[int, ...]:
    """A shape argument as a tuple of non-negative ints, or a clear error."""
    if isinstance(shape, Tensor):
        shape = shape.array_sync()
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        out = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: shape must be a list of integers, got {shape!r}") \
            from None
    if any(d < 0 for d in out) or any(isinstance(d, bool) for d in shape):
        raise InvalidArgumentError(f"{op}: shape must hold non-negative integers, got {shape!r}")
    return out


def tensor(values, shape=None, dtype=None) -> Tensor:
    """A tensor from numbers, nested lists, a NumPy array, or another tensor.

    Args:
        values: the values; with ``shape``, a flat list is reshaped to it.
        shape: optional shape.
        dtype: optional dtype; inferred as TF.js infers it when None.

    Raises:
        ShapeError: ragged lists, or values that do not fill ``shape``.

    >>> import layerflow as lf
    >>> lf.tensor([[1.0, 2.0]]).shape
    (1, 2)
    """
    if isinstance(values, Tensor):
        values = values.numpy()
        if dtype is None:
            dtype = dtypes.exact_from_numpy(values.dtype)
    backend = ENGINE.get_backend()
    if backend.is_native(values) and dtype is None:
        dtype = dtypes.exact_from_numpy(values.dtype)
        values = backend.to_numpy(values)
    array, name = to_array(values, dtype, where="tensor")
    if shape is not None:
        shape = check_shape(shape, "tensor")
        size = int(np.prod(shape, dtype=object)) if shape else 1
        if array.size == 1 and size != 1 and array.ndim == 0:
            array = np.full(shape, array, dtype=array.dtype)
        elif array.size != size:
            raise ShapeError(f"tensor: {array.size} values cannot fill shape {shape} "
                             f"({size} values)")
        else:
            array = array.reshape(shape)
    return wrap(backend.from_numpy(np.array(array, copy=True) if array is values else array),
                name)


def scalar(value, dtype=None) -> Tensor:
    """A rank-0 tensor.

    >>> import layerflow as lf
    >>> lf.scalar(3.14).shape
    ()
    """
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim):
        raise ShapeError("scalar: expected a single value, got a list or array")
    return tensor(value, dtype=dtype)


def _ranked(rank: int):
    def make(values, shape=None, dtype=None) -> Tensor:
        t = tensor(values, shape, dtype)
        if t.rank != rank:
            raise ShapeError(f"tensor{rank}d: expected rank {rank} values, got shape {t.shape}")
        return t

    make.__name__ = f"tensor{rank}d"
    make.__qualname__ = make.__name__
    example = "[" * rank + "1" + "]" * rank
    make.__doc__ = f"""A rank-{rank} tensor (``tensor`` that checks the rank).

    >>> import layerflow as lf
    >>> lf.tensor{rank}d({example}).rank
    {rank}
    """
    return make


tensor1d = _ranked(1)
tensor2d = _ranked(2)
tensor3d = _ranked(3)
tensor4d = _ranked(4)
tensor5d = _ranked(5)
tensor6d = _ranked(6)


def fill(shape, value, dtype=None) -> Tensor:
    """A tensor of ``shape`` filled with ``value``.

    >>> import layerflow as lf
    >>> lf.fill([2, 2], 4.0).array_sync()
    [[4.0, 4.0], [4.0, 4.0]]
    """
    shape = check_shape(shape, "fill")
    if dtype is None:
        dtype = "string" if isinstance(value, str) else dtypes.from_numpy(np.asarray(value).dtype)
    dtype = dtypes.canonical(dtype)
    if dtype == "string":
        return tensor(np.full(shape, value, dtype=object), dtype="string")
    return run("fill", (), shape, dtype,
               {"shape": shape, "value": value, "dtype": dtypes.to_numpy(dtype)})


def zeros(shape, dtype="float32") -> Tensor:
    """A tensor of zeros.

    >>> import layerflow as lf
    >>> lf.zeros([2, 3]).shape
    (2, 3)
    """
    return fill(shape, 0, dtype)


def ones(shape, dtype="float32") -> Tensor:
    """A tensor of ones.

    >>> import layerflow as lf
    >>> lf.ones([2], 'int32').array_sync()
    [1, 1]
    """
    return fill(shape, 1, dtype)


def _fill_like(x, value, dtype, op):
    x = as_tensor(x, "x", op)
    dtype = x.dtype if dtype is None else dtypes.canonical(dtype)
    if dtype == "string":
        return tensor(np.full(x.shape, "" if value == 0 else str(value), dtype=object))
    return run("fill_like", (x,), x.shape, dtype, {"value": value,
                                                    "dtype": dtypes.to_numpy(dtype)})


@chainable("zeros_like")
def zeros_like(x, dtype=None) -> Tensor:
    """Zeros with the shape (and dtype) of ``x``.

    >>> import layerflow as lf
    >>> lf.zeros_like(lf.tensor([1, 2])).array_sync()
    [0, 0]
    """
    return _fill_like(x, 0, dtype, "zeros_like")


@chainable("ones_like")
def ones_like(x, dtype=None) -> Tensor:
    """Ones with the shape (and dtype) of ``x``.

    >>> import layerflow as lf
    >>> lf.ones_like(lf.tensor([1.5])).array_sync()
    [1.0]
    """
    return _fill_like(x, 1, dtype, "ones_like")


def variable(initial_value, trainable: bool = True, name: str | None = None,
             dtype=None) -> Variable:
    """A :class:`Variable` holding a copy of ``initial_value`` (TF.js ``tf.variable``).

    >>> import layerflow as lf
    >>> v = lf.variable(lf.zeros([2]), name='w')
    >>> v.name, v.trainable, v.shape
    ('w', True, (2,))
    """
    from layerflow.ops.elementwise import cast

    value = as_tensor(initial_value, "initial_value", "variable")
    if dtype is not None and dtypes.canonical(dtype) != value.dtype:
        value = cast(value, dtype)
    backend = ENGINE.get_backend()
    data = checked(value)
    if isinstance(data, np.ndarray):
        data = data.copy()
    return make_variable(backend.from_numpy(data) if isinstance(data, np.ndarray) else data,
                         value.dtype, name if name is not None else f"variable_{value.id}",
                         trainable)


# -- helpers for the ops below ----------------------------------------------------------------
def check_dtype(dtype, op: str, allowed=None) -> str:
    """``dtype`` as a layerflow name, or a DTypeError naming ``op`` and the dtypes it accepts."""
    try:
        name = dtypes.canonical(dtype)
    except DTypeError as err:
        raise DTypeError(f"{op}: {err}") from None
    if allowed is not None and name not in allowed:
        raise DTypeError(f"{op}: dtype must be one of {', '.join(allowed)}, got {name}")
    return name


def _int_arg(value, name: str, op: str, minimum: int = 0) -> int:
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)) \
            or value != int(value):
        raise InvalidArgumentError(f"{op}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidArgumentError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(value)


def _number(value, name: str, op: str) -> float:
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"{op}: {name} must be a number, got {value!r}")
    return value


_NUMERIC_DTYPES = ("float32", "int32", "bool", "float16", "bfloat16", "float64")


# -- more creation ops ---------------------------------------------------------------------
def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32") -> Tensor:
    """An identity matrix (or a batch of them) of shape ``batch_shape + [num_rows, num_columns]``.

    >>> import layerflow as lf
    >>> lf.eye(2).array_sync(), lf.eye(2, 3, dtype='int32').array_sync()
    ([[1.0, 0.0], [0.0, 1.0]], [[1, 0, 0], [0, 1, 0]])
    """
    num_rows = _int_arg(num_rows, "num_rows", "eye")
    num_columns = num_rows if num_columns is None else _int_arg(num_columns, "num_columns", "eye")
    batch = () if batch_shape is None else check_shape(batch_shape, "eye")
    dtype = check_dtype(dtype, "eye", _NUMERIC_DTYPES + ("complex64",))
    shape = batch + (num_rows, num_columns)
    return run("eye", (), shape, dtype, {"num_rows": num_rows, "num_columns": num_columns,
                                         "batch_shape": batch, "dtype": dtypes.to_numpy(dtype)})


def linspace(start, stop, num) -> Tensor:
    """``num`` evenly spaced float32 values from ``start`` to ``stop``, both included.

    >>> import layerflow as lf
    >>> lf.linspace(0, 1, 5).array_sync()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    start = _number(start, "start", "linspace")
    stop = _number(stop, "stop", "linspace")
    if isinstance(num, bool) or not isinstance(num, (int, np.integer, float)) or num != int(num) \
            or num <= 0:
        raise InvalidArgumentError(f"linspace: the number of values num must be a positive "
                                   f"integer, got {num!r}")
    num = int(num)
    return run("linspace", (), (num,), "float32",
               {"start": float(start), "stop": float(stop), "num": num})


def range(start, stop=None, step=1, dtype="float32") -> Tensor:  # noqa: A001
    """Values from ``start`` (included) to ``stop`` (excluded) by ``step``, as TF.js ``range``.

    With one argument, counts from 0 to ``start``. As in TF.js, ``step=1`` with ``stop < start``
    counts down by 1, and an empty range gives shape ``(0,)``.

    >>> import layerflow as lf
    >>> lf.range(0, 5, 2).array_sync(), lf.range(3, 0, dtype='int32').array_sync()
    ([0.0, 2.0, 4.0], [3, 2, 1])
    """
    if stop is None:
        start, stop = 0, start
    start = _number(start, "start", "range")
    stop = _number(stop, "stop", "range")
    step = _number(step, "step", "range")
    dtype = check_dtype(dtype, "range", ("float32", "int32", "float16", "bfloat16", "float64"))
    if step == 0:
        raise InvalidArgumentError("range: cannot have a step of zero")
    if start == stop or (start < stop and step < 0) or (stop < start and 0 < step != 1):
        num = 0
    else:
        num = abs(math.ceil((stop - start) / step))
        if stop < start and step == 1:
            step = -1
    return run("range", (), (num,), dtype, {"start": start, "step": step, "num": num,
                                           "dtype": dtypes.to_numpy(dtype)})


@chainable("one_hot")
def one_hot(indices, depth, on_value=1, off_value=0, dtype="int32") -> Tensor:
    """A one-hot tensor of shape ``indices.shape + [depth]``.

    Locations named by ``indices`` take ``on_value``, all others ``off_value``; an index outside
    ``[0, depth)`` gives a row of ``off_value`` (as TF.js).

    >>> import layerflow as lf
    >>> lf.one_hot(lf.tensor([0, 2, 5]), 3).array_sync()
    [[1, 0, 0], [0, 0, 1], [0, 0, 0]]
    """
    indices = as_tensor(indices, "indices", "one_hot", "int32")
    if indices.dtype != "int32":
        raise DTypeError(f"one_hot: indices must be an int32 tensor, got dtype {indices.dtype}")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise InvalidArgumentError(f"one_hot: depth must be an integer >= 2, got {depth!r}")
    depth = int(depth)
    dtype = check_dtype(dtype, "one_hot", _NUMERIC_DTYPES)
    on_value = _number(on_value, "on_value", "one_hot")
    off_value = _number(off_value, "off_value", "one_hot")
    return run("one_hot", (indices,), tuple(indices.shape) + (depth,), dtype,
               {"depth": depth, "on_value": on_value, "off_value": off_value,
                "dtype": dtypes.to_numpy(dtype)})


def clone(x) -> Tensor:
    """A new tensor with the values of ``x`` (TF.js ``clone``; shares the buffer).

    >>> import layerflow as lf
    >>> lf.clone(lf.tensor([1, 2])).array_sync()
    [1, 2]
    """
    return identity(as_tensor(x, "x", "clone"), "clone")


def diag(x) -> Tensor:
    """A tensor with ``x`` on its diagonal: shape ``x.shape + x.shape``, zeros elsewhere.

    >>> import layerflow as lf
    >>> lf.diag(lf.tensor([1, 2])).array_sync()
    [[1, 0], [0, 2]]
    """
    x = as_tensor(x, "x", "diag")
    if x.dtype == "string":
        raise DTypeError("diag: expected a numeric tensor, got dtype string")
    if x.rank < 1:
        raise ShapeError(f"diag: input must have rank >= 1, got shape {x.shape}")
    return run("diag", (x,), tuple(x.shape) + tuple(x.shape), x.dtype, grad=_diag_grad)


def _diag_grad(dy, inputs, out, attrs):
    return (_diag_part(dy),)


def _diag_part(x) -> Tensor:
    """The inverse of :func:`diag`: from shape ``s + s`` the diagonal of shape ``s``."""
    half = tuple(x.shape[: x.rank // 2])
    return run("diag_part", (x,), half, x.dtype, grad=_diag_part_grad)


def _diag_part_grad(dy, inputs, out, attrs):
    return (diag(dy),)


def print(x, verbose: bool = False) -> None:  # noqa: A001
    """Print a tensor as TF.js ``tf.print`` does (``verbose`` adds dtype and shape).

    >>> import layerflow as lf
    >>> lf.print(lf.tensor([1, 2]))  # doctest: +SKIP
    Tensor
        [1, 2]
    """
    as_tensor(x, "x", "print").print(verbose)


# -- TensorBuffer ---------------------------------------------------------------------------
class TensorBuffer:
    """A mutable NumPy-backed buffer to fill element by element, then turn into a tensor.

    ``values`` is the flat NumPy array (row-major); ``strides`` are TF.js's (one per dimension
    but the last, in elements).

    >>> import layerflow as lf
    >>> b = lf.buffer([2, 2], 'int32')
    >>> b.set(5, 0, 1)
    >>> b.get(0, 1), b.to_tensor().array_sync()
    (5, [[0, 5], [0, 0]])
    """

    def __init__(self, shape, dtype="float32", values=None) -> None:
        self.shape = check_shape(shape, "buffer")
        self.dtype = check_dtype(dtype, "buffer")
        self.size = math.prod(self.shape)
        if values is None:
            if self.dtype == "string":
                self.values = np.full(self.size, "", dtype=object)
            else:
                self.values = np.zeros(self.size, dtype=dtypes.to_numpy(self.dtype))
        else:
            if isinstance(values, Tensor):
                values = values.numpy()
            array, _ = to_array(values, self.dtype, where="buffer: values")
            array = np.array(array, copy=True).reshape(-1)
            if array.size != self.size:
                raise ShapeError(f"buffer: {array.size} values do not match the size "
                                 f"{self.size} of shape {self.shape}")
            self.values = array
        strides = [0] * builtins.max(self.rank - 1, 0)
        if self.rank >= 2:
            strides[-1] = self.shape[-1]
        for i in builtins.range(self.rank - 3, -1, -1):
            strides[i] = strides[i + 1] * self.shape[i + 1]
        self.strides = tuple(strides)

    @property
    def rank(self) -> int:
        return len(self.shape)

    def _index(self, locs, what: str) -> int:
        if self.rank == 0 and locs in ((), (0,)):
            return 0
        if len(locs) != self.rank:
            raise InvalidArgumentError(f"buffer.{what}: the number of provided coordinates "
                                       f"({len(locs)}) must match the rank ({self.rank})")
        for i, loc in enumerate(locs):
            if isinstance(loc, bool) or not isinstance(loc, (int, np.integer)) \
                    or not 0 <= loc < self.shape[i]:
                raise InvalidArgumentError(f"buffer.{what}: requested out of range element at "
                                           f"{list(locs)}; buffer shape={list(self.shape)}")
        return self.loc_to_index(locs)

    def set(self, value, *locs) -> None:
        """Set the element at ``locs`` (one int per dimension) to ``value``."""
        self.values[self._index(locs, "set")] = value

    def get(self, *locs):
        """The element at ``locs`` as a Python value."""
        value = self.values[self._index(locs, "get")]
        return value.item() if isinstance(value, np.generic) else value

    def loc_to_index(self, locs) -> int:
        """The flat index of the element at ``locs``."""
        locs = list(locs)
        if not locs:
            return 0
        index = int(locs[-1])
        for stride, loc in zip(self.strides, locs[:-1]):
            index += stride * int(loc)
        return index

    def index_to_loc(self, index: int) -> list[int]:
        """The coordinates of the element at flat ``index``."""
        if self.rank == 0:
            return []
        if self.rank == 1:
            return [int(index)]
        locs = []
        for stride in self.strides:
            locs.append(int(index) // stride)
            index = int(index) % stride
        locs.append(int(index))
        return locs

    def to_tensor(self) -> Tensor:
        """A tensor with a copy of the buffer's values."""
        return tensor(self.values.copy(), shape=self.shape, dtype=self.dtype)

    def __repr__(self) -> str:
        return f"<TensorBuffer shape={self.shape} dtype={self.dtype}>"


def buffer(shape, dtype="float32", values=None) -> TensorBuffer:
    """A :class:`TensorBuffer` of ``shape``, zero-filled unless ``values`` (flat) are given.

    >>> import layerflow as lf
    >>> b = lf.buffer([3])
    >>> b.set(2.5, 1)
    >>> b.to_tensor().array_sync()
    [0.0, 2.5, 0.0]
    """
    return TensorBuffer(shape, dtype, values)
