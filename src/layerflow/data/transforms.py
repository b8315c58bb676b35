"""The transformations of a Dataset: map, filter, batch, shuffle, repeat, take, skip, concatenate.

Each returns a new :class:`~layerflow.data.dataset.Dataset` whose iterator pulls from a fresh
iterator of its upstream, and whose ``size`` follows TF.js's rules (``tfjs-data/src/dataset.ts``).

``shuffle`` is TF.js's buffer shuffle: fill a buffer of ``buffer_size`` elements, hand out a
random one and put the next upstream element in its place. It draws from a NumPy generator
seeded from ``seed`` (or, without one, from the ``lf.set_seed`` sequence when ``shuffle`` is
called), and from how many passes came before when ``reshuffle_each_iteration`` is true, so
the same pipeline built again gives the same orders.

>>> import layerflow as lf
>>> lf.data.array(list(range(7))).skip(2).take(3).to_array()
[2, 3, 4]
>>> lf.data.array([1, 2]).concatenate(lf.data.array([3])).repeat(2).size
6
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from layerflow.data.dataset import INFINITE, Dataset
from layerflow.data.rows import tensorize
from layerflow.data.structure import DatasetError, batch_elements
from layerflow.engine.memory import tidy
from layerflow.errors import InvalidArgumentError


def _count(value, what: str, allow_none: bool = False, minimum: int = 0):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
            minimum is not None and value < minimum):
        bound = "a positive" if minimum == 1 else "a non-negative"
        raise InvalidArgumentError(f"{what} must be {bound} int, got {value!r}")
    return int(value)


def _callable(f, what: str) -> None:
    if not callable(f):
        raise InvalidArgumentError(f"{what} must be a function, got {type(f).__name__}")


# -- map / filter ---------------------------------------------------------------------------
def map_dataset(ds: Dataset, f) -> Dataset:
    """``ds.map(f)``: ``f`` runs inside ``lf.tidy``; the tensors it returns survive."""
    _callable(f, "map: f")

    def run():
        for element in ds._open():
            yield tidy(f, element)

    return Dataset(run, ds.size)


def filter_dataset(ds: Dataset, predicate) -> Dataset:
    """``ds.filter(predicate)``: size becomes unknown unless infinite."""
    _callable(predicate, "filter: predicate")

    def run():
        for element in ds._open():
            keep = tidy(lambda e=element: _truth(predicate(e)))
            if keep:
                yield element

    return Dataset(run, INFINITE if ds.size == INFINITE else None)


def _truth(value) -> bool:
    # NOTE: a predicate may return a scalar tensor (TF.js predicates often do).
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    return bool(value)


# -- batch ----------------------------------------------------------------------------------
def batch_dataset(ds: Dataset, batch_size: int, small_last_batch: bool = True) -> Dataset:
    """``ds.batch(batch_size, small_last_batch)``: leaves stacked along a new axis 0."""
    batch_size = _count(batch_size, "batch: batch_size", minimum=1)
    size = ds.size
    if size is not None and size != INFINITE:
        size = math.ceil(size / batch_size) if small_last_batch else size // batch_size

    def run():
        source = ds._open()
        index = 0
        while True:
            rows = list(itertools.islice(source, batch_size))
            if not rows or (len(rows) < batch_size and not small_last_batch):
                return
            yield batch_elements(rows, where=f"batch: batch {index}")
            index += 1

    if ds._row_plan is None:
        return Dataset(run, size)

    def gathered():
        # NOTE: rows of in-memory arrays (data/rows.py): the same batches, gathered in bulk.
        source = ds._row_plan.indices()
        while True:
            index = list(itertools.islice(source, batch_size))
            if not index or (len(index) < batch_size and not small_last_batch):
                return
            yield ds._row_plan.gather(np.asarray(index, dtype=np.intp))

    batches = Dataset(lambda: map(tensorize, gathered()), size)
    batches._host_stages = (gathered, tensorize)
    return batches


# -- shuffle --------------------------------------------------------------------------------
def shuffle_dataset(ds: Dataset, buffer_size: int, seed=None,
                    reshuffle_each_iteration: bool = True) -> Dataset:
    """``ds.shuffle(buffer_size, seed, reshuffle_each_iteration)``."""
    buffer_size = _count(buffer_size, "shuffle: buffer_size", minimum=1)
    if seed is None:
        from layerflow.engine.context import ENGINE

        entropy = list(ENGINE.next_seed())
    else:
        entropy = [_count(seed, "shuffle: seed")]
    passes = itertools.count()

    def reorder(source):
        key = entropy + [next(passes)] if reshuffle_each_iteration else entropy
        return _shuffled(source, buffer_size, np.random.default_rng(key))

    return Dataset(lambda: reorder(ds._open()), ds.size, rows=_then(ds, reorder))


def _then(ds: Dataset, reorder):
    """The row plan of a transformation that only reorders/selects ``ds``'s elements."""
    return None if ds._row_plan is None else ds._row_plan.then(reorder)


def _shuffled(source, buffer_size: int, rng: np.random.Generator):
    buffer = list(itertools.islice(source, buffer_size))
    draws: list = []
    while buffer:
        if len(buffer) == buffer_size:
            # NOTE: while the buffer is full every draw has the same range: drawing 256 at a
            # time costs one generator call instead of 256 (about 5 us each).
            if not draws:
                draws = rng.integers(buffer_size, size=256).tolist()[::-1]
            index = draws.pop()
        else:
            index = int(rng.integers(len(buffer)))
        chosen = buffer[index]
        refill = next(source, _END)
        if refill is _END:
            buffer[index] = buffer[-1]
            buffer.pop()
        else:
            buffer[index] = refill
        yield chosen


_END = object()


# -- repeat / take / skip / concatenate ------------------------------------------------------
def repeat_dataset(ds: Dataset, count=None) -> Dataset:
    """``ds.repeat(count)``: forever when ``count`` is None."""
    count = _count(count, "repeat: count", allow_none=True)
    if count == 0:
        size = 0
    elif ds.size is None:
        size = None
    elif count is None:
        size = 0 if ds.size == 0 else INFINITE
    else:
        size = ds.size * count

    def repeated(open_pass):
        passes = itertools.count() if count is None else range(count)
        for _ in passes:
            produced = False
            for element in open_pass():
                produced = True
                yield element
            if not produced:
                return  # NOTE: an empty pass would repeat forever; stop instead.

    rows = None if ds._row_plan is None else type(ds._row_plan)(
        lambda: repeated(ds._row_plan.indices), ds._row_plan.gather)
    return Dataset(lambda: repeated(ds._open), size, rows=rows)


def take_dataset(ds: Dataset, count) -> Dataset:
    """``ds.take(count)``: the first ``count`` elements (all when None or negative)."""
    if count is not None:
        _count(count, "take: count", minimum=None)
    if count is None or count < 0:
        return Dataset(ds._open, ds.size, rows=ds._row_plan)
    count = int(count)
    size = None if ds.size is None else min(ds.size, count)

    def reorder(source):
        return itertools.islice(source, count)

    return Dataset(lambda: reorder(ds._open()), size, rows=_then(ds, reorder))


def skip_dataset(ds: Dataset, count) -> Dataset:
    """``ds.skip(count)``: drop the first ``count`` elements (all when None or negative)."""
    if count is not None:
        _count(count, "skip: count", minimum=None)
    if count is None or count < 0:
        return Dataset(lambda: iter(()), 0 if ds.size is not None else None)
    count = int(count)
    size = None if ds.size is None else max(ds.size - count, 0)

    def reorder(source):
        return itertools.islice(source, count, None)

    return Dataset(lambda: reorder(ds._open()), size, rows=_then(ds, reorder))


def concatenate_dataset(ds: Dataset, other: Dataset) -> Dataset:
    """``ds.concatenate(other)``."""
    if not isinstance(other, Dataset):
        raise DatasetError(f"concatenate: expected a Dataset, got {type(other).__name__}")
    if INFINITE in (ds.size, other.size):
        size = INFINITE
    elif ds.size is None or other.size is None:
        size = None
    else:
        size = ds.size + other.size

    def run():
        yield from ds._open()
        yield from other._open()

    return Dataset(run, size)
