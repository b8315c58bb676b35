"""Creating tensors: from values (``tensor``, ``scalar``, ``tensor1d`` ..), filled (``zeros``,
``ones``, ``fill``, ``*_like``), and variables.

>>> import layerflow as lf
>>> lf.tensor([1, 2, 3, 4], shape=[2, 2]).array_sync()
[[1, 2], [3, 4]]
>>> lf.zeros([2]).array_sync(), lf.fill([2], 7, 'int32').array_sync()
([0.0, 0.0], [7, 7])
"""

from __future__ import annotations

import numpy as np

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.engine.convert import to_array
from layerflow.engine.tensor import Tensor, Variable, checked, make_variable, wrap
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, run

__all__ = ["tensor", "scalar", "tensor1d", "tensor2d", "tensor3d", "tensor4d", "tensor5d",
           "tensor6d", "zeros", "ones", "fill", "zeros_like", "ones_like", "variable"]


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


def zeros_like(x, dtype=None) -> Tensor:
    """Zeros with the shape (and dtype) of ``x``.

    >>> import layerflow as lf
    >>> lf.zeros_like(lf.tensor([1, 2])).array_sync()
    [0, 0]
    """
    return _fill_like(x, 0, dtype, "zeros_like")


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
