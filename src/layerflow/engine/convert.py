"""Turning Python values, NumPy arrays and backend arrays into tensors, as TF.js converts them.

Floats become ``float32``, integers ``int32``, booleans ``bool``, strings ``string`` and
complex numbers ``complex64``, unless a dtype is given. Ragged nested lists are an error.

>>> from layerflow.engine.convert import to_tensor
>>> to_tensor([1.5, 2]).dtype, to_tensor(3).dtype, to_tensor([True]).dtype
('float32', 'int32', 'bool')
"""

from __future__ import annotations

import numpy as np

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.engine.tensor import Tensor, checked, wrap
from layerflow.errors import DTypeError, ShapeError

_SCALARS = (int, float, bool, complex)


def to_array(value, dtype: str | None = None, where: str = "tensor") -> tuple[np.ndarray, str]:
    """A NumPy array and its layerflow dtype from any value users may pass.

    Args:
        value: a number, a (nested) list or tuple, a NumPy array or a backend array.
        dtype: the dtype to give it, or None to infer it as TF.js does.
        where: what to name in error messages (``"add: input 'b'"``).
    """
    if isinstance(value, np.ndarray):
        array = value
    elif isinstance(value, (bytes, str)):
        array = np.asarray(value, dtype=object)
    elif isinstance(value, _SCALARS) or isinstance(value, np.generic):
        array = np.asarray(value)
    else:
        try:
            array = np.asarray(value)
        except ValueError as err:
            raise ShapeError(
                f"{where}: nested lists must be rectangular (all rows the same length); {err}"
            ) from None
        except TypeError as err:
            raise DTypeError(
                f"{where}: cannot make a tensor from {type(value).__name__}: {err}") from None
    if array.dtype.kind in "US":
        array = array.astype(object)
    if array.dtype == object:
        _check_strings(array, where)
    if dtype is None:
        try:
            dtype = dtypes.from_numpy(array.dtype)
        except DTypeError as err:
            raise DTypeError(f"{where}: {err}") from None
    else:
        dtype = dtypes.canonical(dtype)
    if dtype == "string":
        if array.dtype != object:
            array = array.astype(str).astype(object)
        return array, dtype
    if array.dtype == object:
        raise DTypeError(f"{where}: cannot convert strings to dtype {dtype}")
    target = dtypes.to_numpy(dtype)
    if array.dtype != target:
        array = array.astype(target)
    return array, dtype


def _check_strings(array: np.ndarray, where: str) -> None:
    for item in array.flat:
        if not isinstance(item, (str, bytes)):
            if isinstance(item, (list, tuple)):
                raise ShapeError(f"{where}: nested lists must be rectangular (all rows the same "
                                 "length)")
            raise DTypeError(f"{where}: cannot mix strings with {type(item).__name__} values")


def to_tensor(value, dtype: str | None = None, where: str = "tensor") -> Tensor:
    """``value`` as a Tensor; tensors pass through unchanged (dtype is then not applied)."""
    if isinstance(value, Tensor):
        checked(value)
        return value
    backend = ENGINE.get_backend()
    if backend.is_native(value):
        name = dtypes.exact_from_numpy(value.dtype) if dtype is None else dtypes.canonical(dtype)
        if str(value.dtype) != str(dtypes.to_numpy(name)):
            value = value.astype(dtypes.to_numpy(name))
        return wrap(value, name)
    array, name = to_array(value, dtype, where)
    return wrap(backend.from_numpy(array), name)


def is_tensor_like(value) -> bool:
    """True for values an op would accept as a tensor input."""
    return isinstance(value, (Tensor, np.ndarray, list, tuple, *_SCALARS, np.generic))
