"""Nested elements: what is a leaf, how leaves of many elements stack into one batch.

A dataset element is a leaf or a structure of leaves. Dicts and tuples are structures (a tuple
is how Python spells TF.js's ``[xs, ys]``). Tensors, NumPy arrays, numbers, booleans, strings
and ``None`` are leaves. A list is a leaf when it holds only numbers, booleans, strings or such
lists (TF.js tensorifies arrays: ``[[1, 2], [3, 4]]`` batches to one ``[2, 2]`` tensor);
a list that holds tensors, arrays, dicts or tuples is a structure.

>>> import numpy as np
>>> batch_elements([{'a': 1.0, 'b': (1, 'x')}, {'a': 2.0, 'b': (2, 'y')}])['b'][1].array_sync()
['x', 'y']
"""

from __future__ import annotations

import numpy as np

from layerflow.engine.tensor import Tensor
from layerflow.errors import LayerflowError

_PLAIN = (int, float, bool, complex, str, bytes, np.generic)


class DatasetError(LayerflowError, ValueError):
    """A dataset's elements cannot be used as asked (ragged batch, bad structure, ...)."""


def is_structure(value) -> bool:
    """True for dicts, tuples and lists that hold more than plain values."""
    if isinstance(value, (dict, tuple)):
        return True
    if isinstance(value, list):
        return not _plain_list(value)
    return False


def _plain_list(value: list) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        for v in item:
            if isinstance(v, list):
                stack.append(v)
            elif not isinstance(v, _PLAIN):
                return False
    return True


def map_leaves(fn, value):
    """``value`` with ``fn`` applied to every leaf (same structure)."""
    if isinstance(value, dict):
        return {k: map_leaves(fn, v) for k, v in value.items()}
    if is_structure(value):
        items = [map_leaves(fn, v) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    return fn(value)


def to_numpy(value):
    """``value`` with every tensor leaf as a NumPy array (numbers and strings unchanged)."""
    return map_leaves(lambda v: v.numpy() if isinstance(v, Tensor) else v, value)


def batch_elements(rows: list, where: str = "batch"):
    """One element whose leaves stack the matching leaves of ``rows`` along a new axis 0.

    Tensor leaves are joined with ``lf.stack``; other leaves (numbers, arrays, plain lists,
    strings) become one tensor.

    Raises:
        DatasetError: the rows differ in structure or a leaf's shape differs, or a leaf is None.
    """
    return _batch(rows, where, "")


def _batch(rows: list, where: str, path: str):
    first = rows[0]
    if isinstance(first, dict):
        keys = list(first)
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or set(row) != set(keys):
                got = sorted(row) if isinstance(row, dict) else type(row).__name__
                raise DatasetError(f"{where}: element {i} of the batch{_at(path)} has keys "
                                   f"{got}, element 0 has {sorted(keys)}")
        return {k: _batch([row[k] for row in rows], where, f"{path}[{k!r}]") for k in keys}
    if is_structure(first):
        for i, row in enumerate(rows):
            if not is_structure(row) or len(row) != len(first):
                raise DatasetError(f"{where}: element {i} of the batch{_at(path)} is "
                                   f"{_describe(row)}, element 0 is {_describe(first)}")
        parts = [_batch([row[j] for row in rows], where, f"{path}[{j}]")
                 for j in range(len(first))]
        return tuple(parts) if isinstance(first, tuple) else parts
    return _stack_leaves(rows, where, path)


def _stack_leaves(rows: list, where: str, path: str) -> Tensor:
    from layerflow.engine.convert import to_array, to_tensor
    from layerflow.ops.joining import stack

    if all(type(r) is np.ndarray and r.dtype != object for r in rows):
        # NOTE: the common case (rows of NumPy arrays): no per-row checks or conversions.
        _same_shapes([r.shape for r in rows], where, path)
        array, dtype = to_array(np.stack(rows), where=where)
        return to_tensor(array, dtype)
    for i, row in enumerate(rows):
        if row is None:
            raise DatasetError(f"{where}: element {i} of the batch{_at(path)} is None (a "
                               "missing value?); give a default or filter such elements out")
        if is_structure(row):
            raise DatasetError(f"{where}: element {i} of the batch{_at(path)} is "
                               f"{_describe(row)}, element 0 is {_describe(rows[0])}")
    if any(isinstance(r, Tensor) for r in rows):
        tensors = [to_tensor(r) for r in rows]
        _same_shapes([t.shape for t in tensors], where, path)
        return stack(tensors)
    arrays = [np.asarray(r, dtype=object) if isinstance(r, (str, bytes)) else np.asarray(r)
              for r in rows]
    _same_shapes([a.shape for a in arrays], where, path)
    # NOTE: to_array infers dtypes as TF.js does (float64 -> float32, int64 -> int32); a NumPy
    # array handed to to_tensor directly would keep float64 on the numpy backend.
    array, dtype = to_array(np.stack(arrays), where=where)
    return to_tensor(array, dtype)


def _same_shapes(shapes: list, where: str, path: str) -> None:
    for i, shape in enumerate(shapes):
        if tuple(shape) != tuple(shapes[0]):
            raise DatasetError(f"{where}: element {i} of the batch{_at(path)} has shape "
                               f"{tuple(shape)}, element 0 has {tuple(shapes[0])}; "
                               "elements of one batch must have the same shape")


def _at(path: str) -> str:
    return f" at {path}" if path else ""


def _describe(value) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    return type(value).__name__
