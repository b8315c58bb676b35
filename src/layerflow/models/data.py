"""Turning fit/evaluate/predict inputs into batches.

Inputs may be layerflow tensors, NumPy arrays, nested lists, or lists/dicts of those (one per
model input or output; dicts keyed by input/output names). They are held as NumPy arrays on
the host and sliced into batches; each batch becomes tensors on the active backend.

>>> import numpy as np
>>> data = ArrayData(x=[np.zeros((5, 2))], y=[np.ones((5, 1))], sample_weight=None)
>>> [len(b[0][0]) for b in data.batches(batch_size=2, order=np.arange(5))]
[2, 2, 1]
"""

from __future__ import annotations

import numpy as np

from layerflow.engine.tensor import Tensor
from layerflow.errors import InvalidArgumentError, LayerflowError


class DataError(LayerflowError, ValueError):
    """Training or prediction data that cannot be used (empty, mismatched lengths ...)."""


def to_numpy_list(value, names: list[str], what: str) -> list[np.ndarray] | None:
    """A list of arrays, one per name (``value`` is one array, a list, or a dict by name)."""
    if value is None:
        return None
    if isinstance(value, dict):
        missing = [n for n in names if n not in value]
        unknown = [k for k in value if k not in names]
        if missing or unknown:
            raise DataError(f"{what}: expected keys {names}, got {sorted(value)}"
                            + (f" (missing {missing})" if missing else "")
                            + (f" (unknown {unknown})" if unknown else ""))
        items = [value[n] for n in names]
    elif isinstance(value, (list, tuple)) and len(names) > 1 and len(value) == len(names) and \
            all(_is_array_like(v) for v in value):
        items = list(value)
    else:
        items = [value]
    if len(items) != len(names):
        raise DataError(f"{what}: the model has {len(names)} {what.split()[0]}s ({names}), "
                        f"got {len(items)} arrays")
    return [_as_array(v, what) for v in items]


def _is_array_like(value) -> bool:
    return isinstance(value, (Tensor, np.ndarray)) or (
        isinstance(value, list) and value and isinstance(value[0], (list, tuple, float, int)))


def _as_array(value, what: str) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise DataError(f"{what}: could not make an array (ragged lists?)")
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    elif array.dtype == np.int64:
        array = array.astype(np.int32)
    return array


class ArrayData:
    """In-memory inputs, targets and sample weights, checked for equal lengths."""

    def __init__(self, x: list, y: list | None, sample_weight: np.ndarray | None) -> None:
        self.x, self.y, self.sample_weight = x, y, sample_weight
        lengths = {f"x[{i}]": len(a) if a.ndim else 0 for i, a in enumerate(x)}
        for i, a in enumerate(y or []):
            lengths[f"y[{i}]"] = len(a) if a.ndim else 0
        if sample_weight is not None:
            lengths["sample_weight"] = len(sample_weight)
        sizes = set(lengths.values())
        if len(sizes) > 1:
            detail = ", ".join(f"{k} has {v} samples" for k, v in lengths.items())
            raise DataError(f"all arrays must have the same number of samples: {detail}")
        self.size = sizes.pop() if sizes else 0
        if self.size == 0:
            raise DataError("the data is empty (0 samples)")

    def split(self, fraction: float):
        """(train, validation): the last ``fraction`` of samples held out, as Keras does."""
        if not 0.0 < fraction < 1.0:
            raise InvalidArgumentError(f"validation_split must be in (0, 1), got {fraction}")
        cut = int(self.size * (1.0 - fraction))
        if cut == 0 or cut == self.size:
            raise DataError(f"validation_split={fraction} of {self.size} samples leaves an "
                            "empty training or validation set")

        def take(arrays, part):
            return None if arrays is None else [part(a) for a in arrays]

        head, tail = (lambda a: a[:cut]), (lambda a: a[cut:])
        sw = self.sample_weight
        return (ArrayData(take(self.x, head), take(self.y, head),
                          None if sw is None else sw[:cut]),
                ArrayData(take(self.x, tail), take(self.y, tail),
                          None if sw is None else sw[cut:]))

    def num_batches(self, batch_size: int) -> int:
        return -(-self.size // batch_size)

    def batches(self, batch_size: int, order: np.ndarray):
        """Yield (x list, y list or None, sample_weight or None) per batch, as NumPy."""
        for start in range(0, self.size, batch_size):
            index = order[start:start + batch_size]
            contiguous = index[-1] - index[0] == len(index) - 1 and \
                index[0] == start and bool(np.all(np.diff(index) == 1))
            part = slice(start, start + batch_size) if contiguous else index
            yield ([a[part] for a in self.x],
                   None if self.y is None else [a[part] for a in self.y],
                   None if self.sample_weight is None else self.sample_weight[part])
