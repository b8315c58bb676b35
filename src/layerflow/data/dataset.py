"""Dataset: a lazy, re-iterable sequence of elements (TF.js ``tf.data.Dataset``).

A dataset holds a function that opens a fresh iterator, and its ``size``. Nothing runs until
it is iterated; each iteration starts again from the source. Transformations (``map``,
``filter``, ``batch``, ``shuffle``, ``prefetch``, ``repeat``, ``take``, ``skip``,
``concatenate``) return new datasets and leave this one unchanged.

``size`` is an int, ``float('inf')`` or ``None`` (unknown), worked out for each
transformation as TF.js does (``filter`` makes a finite size unknown; ``repeat()`` makes a
known size infinite; ``batch`` divides, rounding up when the small last batch is kept).

Decisions written down here:

- Iteration is synchronous: ``for x in ds`` and ``ds.iterator().next()`` (which returns an
  :class:`IteratorResult` ``(value, done)`` as TF.js's ``next()`` resolves to).
- Elements are not disposed by the pipeline (TF.js's ``map`` disposes input tensors it did not
  return): Python frees a tensor when its last reference goes, and disposing would break
  tensors that a generator shares between elements. ``map`` runs ``f`` inside ``lf.tidy``, so
  the intermediates ``f`` makes are freed at once.
- ``repeat()`` of a dataset that yields nothing in a full pass stops instead of looping forever.

>>> import layerflow as lf
>>> ds = lf.data.array([1, 2, 3, 4, 5]).filter(lambda x: x % 2 == 1).map(lambda x: x * 10)
>>> ds.to_array()
[10, 30, 50]
>>> lf.data.array([1, 2, 3]).repeat(2).batch(4).size
2
"""

from __future__ import annotations

import math
from typing import NamedTuple

from layerflow.data.structure import DatasetError, to_numpy
from layerflow.errors import InvalidArgumentError

INFINITE = math.inf


class IteratorResult(NamedTuple):
    """What ``iterator().next()`` returns: the element, or ``done=True`` at the end."""

    value: object
    done: bool


class DatasetIterator:
    """One pass over a dataset: ``next()`` (TF.js) or Python's ``next(it)``.

    >>> import layerflow as lf
    >>> it = lf.data.array([7]).iterator()
    >>> it.next(), it.next()
    (IteratorResult(value=7, done=False), IteratorResult(value=None, done=True))
    """

    def __init__(self, source) -> None:
        self._source = source
        self._done = False

    def next(self) -> IteratorResult:
        """The next element as ``IteratorResult(value, done=False)``, then ``(None, True)``."""
        if self._done:
            return IteratorResult(None, True)
        try:
            value = next(self._source)
        except StopIteration:
            self.close()
            return IteratorResult(None, True)
        return IteratorResult(value, False)

    def __next__(self):
        result = self.next()
        if result.done:
            raise StopIteration
        return result.value

    def __iter__(self):
        return self

    def close(self) -> None:
        """Stop this pass early (stops a prefetch thread, closes files)."""
        self._done = True
        close = getattr(self._source, "close", None)
        self._source = iter(())
        if close is not None:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class Dataset:
    """A lazy, re-iterable sequence of elements; make one with ``lf.data.array`` & co.

    Args:
        iterator_fn: a function of no arguments returning a fresh Python iterator.
        size: the number of elements: an int, ``float('inf')``, or None when unknown.

    >>> import layerflow as lf
    >>> ds = lf.data.Dataset(lambda: iter(range(3)), size=3)
    >>> list(ds), list(ds), ds.size
    ([0, 1, 2], [0, 1, 2], 3)
    """

    def __init__(self, iterator_fn, size=None, rows=None) -> None:
        if not callable(iterator_fn):
            raise InvalidArgumentError("Dataset: iterator_fn must be a function returning a "
                                       f"fresh iterator, got {type(iterator_fn).__name__}")
        self._iterator_fn = iterator_fn
        self._size = _check_size(size)
        # NOTE: a RowPlan (data/rows.py) when the elements are rows of in-memory arrays.
        self._row_plan = rows
        # NOTE: (host iterator function, tensorize) when the elements are made on the host
        # first and become tensors after: a prefetch thread then holds ENGINE.lock only for
        # the second stage (data/prefetch.py).
        self._host_stages = None

    @property
    def size(self):
        """Number of elements: an int, ``float('inf')``, or None when unknown."""
        return self._size

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self._size})"

    # -- iteration ---------------------------------------------------------------------------
    def _open(self):
        source = self._iterator_fn()
        try:
            return iter(source)
        except TypeError:
            raise DatasetError(f"Dataset: the iterator function returned "
                               f"{type(source).__name__}, which is not iterable") from None

    def iterator(self) -> DatasetIterator:
        """A fresh pass over the elements (TF.js ``dataset.iterator()``)."""
        return DatasetIterator(self._open())

    def __iter__(self):
        return self.iterator()

    def for_each(self, f) -> None:
        """Call ``f(element)`` on every element (TF.js ``forEachAsync``).

        >>> import layerflow as lf
        >>> lf.data.array([1, 2]).for_each(print)
        1
        2
        """
        with self.iterator() as it:
            for element in it:
                f(element)

    def to_array(self) -> list:
        """Every element in a list (TF.js ``toArray``); an infinite dataset is an error."""
        if self._size == INFINITE:
            raise DatasetError("to_array: the dataset is infinite (size inf); use take(n) "
                               "first")
        with self.iterator() as it:
            return list(it)

    def to_numpy(self) -> list:
        """Every element, with tensors as NumPy arrays (for inspection).

        >>> import layerflow as lf
        >>> lf.data.array([[1, 2], [3, 4]]).batch(2).to_numpy()[0].tolist()
        [[1, 2], [3, 4]]
        """
        return [to_numpy(e) for e in self.to_array()]

    # -- transformations (data/transforms.py, data/prefetch.py) -------------------------------
    def map(self, f) -> Dataset:
        """Apply ``f`` to each element, inside ``lf.tidy`` (the tensors it returns are kept)."""
        from layerflow.data import transforms

        return transforms.map_dataset(self, f)

    def filter(self, predicate) -> Dataset:
        """Keep the elements for which ``predicate(element)`` is true."""
        from layerflow.data import transforms

        return transforms.filter_dataset(self, predicate)

    def batch(self, batch_size: int, small_last_batch: bool = True) -> Dataset:
        """Group ``batch_size`` consecutive elements, stacking their leaves into tensors.

        >>> import layerflow as lf
        >>> [b.shape for b in lf.data.array([1, 2, 3]).batch(2)]
        [(2,), (1,)]
        """
        from layerflow.data import transforms

        return transforms.batch_dataset(self, batch_size, small_last_batch)

    def shuffle(self, buffer_size: int, seed=None, reshuffle_each_iteration: bool = True):
        """Randomly shuffle with a buffer of ``buffer_size`` elements (seeded: reproducible).

        >>> import layerflow as lf
        >>> sorted(lf.data.array([1, 2, 3, 4]).shuffle(10, seed=1).to_array())
        [1, 2, 3, 4]
        """
        from layerflow.data import transforms

        return transforms.shuffle_dataset(self, buffer_size, seed, reshuffle_each_iteration)

    def prefetch(self, buffer_size: int) -> Dataset:
        """Produce up to ``buffer_size`` elements ahead in a background thread."""
        from layerflow.data import prefetch

        return prefetch.prefetch_dataset(self, buffer_size)

    def repeat(self, count: int | None = None) -> Dataset:
        """Repeat the elements ``count`` times (forever when ``count`` is None)."""
        from layerflow.data import transforms

        return transforms.repeat_dataset(self, count)

    def take(self, count: int) -> Dataset:
        """The first ``count`` elements (all of them when ``count`` is None or negative)."""
        from layerflow.data import transforms

        return transforms.take_dataset(self, count)

    def skip(self, count: int) -> Dataset:
        """All but the first ``count`` elements (none when ``count`` is None or negative)."""
        from layerflow.data import transforms

        return transforms.skip_dataset(self, count)

    def concatenate(self, other: Dataset) -> Dataset:
        """This dataset's elements, then ``other``'s."""
        from layerflow.data import transforms

        return transforms.concatenate_dataset(self, other)


def _check_size(size):
    if size is None or size == INFINITE:
        return size
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidArgumentError(f"Dataset: size must be a non-negative int, inf or None, "
                                   f"got {size!r}")
    return size
