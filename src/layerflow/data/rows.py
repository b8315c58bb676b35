"""Row plans: ``from_numpy(...).shuffle(...).batch(b)`` batches by gathering rows in bulk.

A dataset made by ``from_numpy`` yields rows of in-memory arrays, and ``shuffle``, ``take``,
``skip`` and ``repeat`` only reorder or select those rows. Such a dataset carries a
:class:`RowPlan`: an iterator of row numbers (the same transformations applied to
``0, 1, 2, ...``, drawing the same random numbers) and a ``gather`` that makes a batch from
row numbers with one NumPy fancy-index per leaf. ``batch`` uses the plan when there is one:
the same batches in the same order as stacking the rows one by one, at a fraction of the
cost (W1's 128 rows of 784 floats: 0.08 ms instead of about 1 ms, most of it Python per row;
that time is taken from the training step when the pipeline runs in a prefetch thread). The
batch is gathered on the host first and made tensors after (:func:`tensorize`), so a prefetch
thread holds the engine's lock only for the second part.

>>> import numpy as np, layerflow as lf
>>> x = np.arange(10, dtype=np.float32).reshape(5, 2)
>>> ds = lf.data.from_numpy(x, np.arange(5)).shuffle(5, seed=0).batch(2)
>>> fast = [b[1].array_sync() for b in ds]
>>> slow = [b[1].array_sync() for b in lf.data.from_numpy(x, np.arange(5)).map(
...     lambda e: e).shuffle(5, seed=0).batch(2)]  # map drops the plan: rows one by one
>>> fast == slow
True
"""

from __future__ import annotations

import numpy as np

from layerflow.data.structure import map_leaves


class RowPlan:
    """How a dataset's elements are rows of in-memory arrays.

    Args:
        indices: a function returning a fresh iterator of the row numbers, in element order.
        gather: a function of an int array of row numbers returning one batch on the host:
            the element structure with each leaf the stacked rows as a :class:`Prepared`.
    """

    def __init__(self, indices, gather) -> None:
        self.indices = indices
        self.gather = gather

    def then(self, reorder) -> RowPlan:
        """The plan of a transformation that only reorders or selects elements: ``reorder``
        takes the upstream iterator (here of row numbers) and returns the new one."""
        return RowPlan(lambda: reorder(self.indices()), self.gather)


class Prepared:
    """A batch leaf on the host: a NumPy array already in its TF.js dtype, and that dtype."""

    __slots__ = ("array", "dtype")

    def __init__(self, array: np.ndarray, dtype: str) -> None:
        self.array, self.dtype = array, dtype


def tensorize(batch):
    """The batch element with each :class:`Prepared` leaf made a tensor (engine work)."""
    from layerflow.engine.convert import to_tensor

    return map_leaves(lambda leaf: to_tensor(leaf.array, leaf.dtype), batch)


def host_arrays(batch):
    """The batch element with each :class:`Prepared` leaf as its NumPy array."""
    return map_leaves(lambda leaf: leaf.array, batch)


class Finishing:
    """Iterator of ``finish(element)`` for each element of ``source`` (a host stage);
    closing it closes ``source`` (a prefetch thread stops with it)."""

    def __init__(self, source, finish) -> None:
        self.source, self.finish = source, finish

    def __iter__(self):
        return self

    def __next__(self):
        return self.finish(next(self.source))

    def close(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            close()


def array_rows(xs, ys, n: int):
    """The plan of ``from_numpy``'s elements (``xs`` or ``(xs, ys)``, each an array, a tuple
    or a dict of arrays with ``n`` rows), or None when a leaf is not numeric (strings and
    objects batch one row at a time, with their own conversions)."""
    parts = [xs] if ys is None else [xs, ys]
    leaves = [a for part in parts for a in _leaves(part)]
    if any(a.dtype.kind not in "biuf" for a in leaves):
        return None

    def gather(index: np.ndarray):
        # NOTE: fancy indexing copies: a batch never shares memory with the user's arrays.
        picked = [_pick(part, index) for part in parts]
        return picked[0] if ys is None else tuple(picked)

    return RowPlan(lambda: iter(range(n)), gather)


def _leaves(part) -> list:
    if isinstance(part, dict):
        return list(part.values())
    return list(part) if isinstance(part, tuple) else [part]


def _pick(part, index):
    if isinstance(part, dict):
        return {k: _prepared(v[index]) for k, v in part.items()}
    if isinstance(part, tuple):
        return tuple(_prepared(v[index]) for v in part)
    return _prepared(part[index])


def _prepared(array: np.ndarray) -> Prepared:
    from layerflow.engine.convert import to_array

    # NOTE: as batch_elements: TF.js's dtype rules (float64 -> float32, int64 -> int32).
    return Prepared(*to_array(array, where="batch"))
