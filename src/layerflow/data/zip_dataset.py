"""``lf.data.zip``: combine datasets element by element (TF.js ``tf.data.zip``).

Takes a list, tuple or dict of datasets (nested structures too); each element has the same
structure, holding one element of each dataset. It ends with the shortest dataset, and its
``size`` is the smallest size (unknown if any size is unknown).

>>> import layerflow as lf
>>> ds = lf.data.zip({'a': lf.data.array([1, 2, 3]), 'b': lf.data.array(['x', 'y'])})
>>> ds.to_array(), ds.size
([{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}], 2)
"""

from __future__ import annotations

import builtins

from layerflow.data.dataset import Dataset
from layerflow.data.structure import DatasetError

_END = object()


def _leaves(structure, path: str = "datasets") -> list:
    if isinstance(structure, Dataset):
        return [structure]
    if isinstance(structure, dict):
        return [d for k, v in structure.items() for d in _leaves(v, f"{path}[{k!r}]")]
    if isinstance(structure, (list, tuple)):
        return [d for i, v in enumerate(structure) for d in _leaves(v, f"{path}[{i}]")]
    raise DatasetError(f"zip: {path} is a {type(structure).__name__}; expected a Dataset or a "
                       "list/tuple/dict of Datasets")


def _rebuild(structure, values):
    if isinstance(structure, Dataset):
        return next(values)
    if isinstance(structure, dict):
        return {k: _rebuild(v, values) for k, v in structure.items()}
    items = [_rebuild(v, values) for v in structure]
    return tuple(items) if isinstance(structure, tuple) else items


def zip(datasets) -> Dataset:  # noqa: A001 - TF.js's name
    """A dataset of structures holding one element from each of ``datasets``.

    Args:
        datasets: a list, tuple or dict (possibly nested) of Datasets.
    """
    if isinstance(datasets, Dataset):
        raise DatasetError("zip: expected a list, tuple or dict of Datasets, got one Dataset")
    leaves = _leaves(datasets)
    if not leaves:
        raise DatasetError("zip: no datasets given")
    sizes = [d.size for d in leaves]
    size = None if any(s is None for s in sizes) else min(sizes)

    def run():
        sources = [d._open() for d in leaves]
        while True:
            values = [next(s, _END) for s in sources]
            if any(v is _END for v in values):
                return
            yield _rebuild(datasets, builtins.iter(values))

    return Dataset(run, size)
