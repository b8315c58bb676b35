"""Where datasets come from: arrays, generators, functions, iterables, text files and URLs.

``array(items)`` yields the items as they are (numbers stay numbers, NumPy rows stay NumPy;
``batch`` turns them into tensors). A NumPy array is split along axis 0, a pandas DataFrame
into one ``{column: value}`` dict per row. ``generator(fn)`` calls ``fn`` again for every pass,
so the dataset can be iterated many times; a generator *object* can only run once, so passing
one is an error (``from_iterable`` takes it, for one pass). Paths may be plain, ``file://``
URLs or ``http(s)://`` URLs (read with ``urllib`` and a timeout).

>>> import numpy as np, layerflow as lf
>>> lf.data.array(np.arange(6).reshape(3, 2)).batch(2).to_numpy()[0].tolist()
[[0, 1], [2, 3]]
>>> def count():
...     yield from range(3)
>>> lf.data.generator(count).to_array()
[0, 1, 2]
"""

from __future__ import annotations

import builtins
import io
import types
import urllib.parse
import urllib.request
from contextlib import contextmanager

import numpy as np

from layerflow.data.dataset import Dataset
from layerflow.data.rows import array_rows
from layerflow.data.structure import DatasetError
from layerflow.engine.tensor import Tensor

URL_TIMEOUT_S = 30.0


def array(items) -> Dataset:
    """A dataset of the items of a list (or the rows of a NumPy array / DataFrame).

    Args:
        items: a list or tuple of elements (numbers, strings, tensors, arrays, nested
            dicts/lists), a NumPy array or tensor (split along axis 0), or a DataFrame.

    >>> import layerflow as lf
    >>> lf.data.array([{'x': 1}, {'x': 2}]).to_array()
    [{'x': 1}, {'x': 2}]
    """
    if _is_dataframe(items):
        return from_pandas(items)
    if isinstance(items, Tensor):
        items = items.numpy()
    if isinstance(items, np.ndarray):
        if items.ndim == 0:
            raise DatasetError("array: expected a list or an array with at least one axis, "
                               "got a 0-d array")
        rows = items
        return Dataset(lambda: (rows[i] for i in range(len(rows))), len(rows))
    if not isinstance(items, (list, tuple)):
        raise DatasetError(f"array: expected a list, tuple, NumPy array or DataFrame, got "
                           f"{type(items).__name__}")
    items = list(items)
    return Dataset(lambda: builtins.iter(items), len(items))


def from_numpy(x, y=None) -> Dataset:
    """Rows of ``x`` (and of ``y``: elements ``(x_row, y_row)``), split along axis 0.

    ``x``/``y`` may also be dicts (or lists) of arrays with the same number of rows; the
    elements are then dicts (tuples) of rows.

    >>> import numpy as np, layerflow as lf
    >>> ds = lf.data.from_numpy(np.zeros((5, 2)), np.ones((5, 1))).batch(2)
    >>> [(xs.shape, ys.shape) for xs, ys in ds]
    [((2, 2), (2, 1)), ((2, 2), (2, 1)), ((1, 2), (1, 1))]
    """
    arrays = [x] if y is None else [x, y]
    flat = []
    for part in arrays:
        flat.extend(part.values() if isinstance(part, dict) else
                    part if isinstance(part, (list, tuple)) else [part])
    flat = [np.asarray(a.numpy() if isinstance(a, Tensor) else a) for a in flat]
    lengths = {len(a) for a in flat if a.ndim}
    if len(lengths) != 1 or any(a.ndim == 0 for a in flat):
        raise DatasetError(f"from_numpy: every array needs the same number of rows (axis 0), "
                           f"got shapes {[a.shape for a in flat]}")
    n = lengths.pop()
    # NOTE: converted once here, not per row: rows are then plain indexing.
    xs, ys = _as_arrays(x), None if y is None else _as_arrays(y)

    def row(part, i):
        if isinstance(part, dict):
            return {k: v[i] for k, v in part.items()}
        if isinstance(part, tuple):
            return tuple(v[i] for v in part)
        return part[i]

    def run():
        for i in range(n):
            yield row(xs, i) if ys is None else (row(xs, i), row(ys, i))

    return Dataset(run, n, rows=array_rows(xs, ys, n))


def _as_arrays(part):
    """``part`` (an array, tensor, or dict/list of them) with NumPy arrays as leaves."""
    if isinstance(part, dict):
        return {k: _as_array(v) for k, v in part.items()}
    if isinstance(part, (list, tuple)):
        return tuple(_as_array(v) for v in part)
    return _as_array(part)


def _as_array(a):
    return np.asarray(a.numpy() if isinstance(a, Tensor) else a)


def _is_dataframe(value) -> bool:
    return hasattr(value, "columns") and hasattr(value, "iloc") and hasattr(value, "to_numpy")


def from_pandas(df) -> Dataset:
    """One ``{column: value}`` dict per row of a pandas DataFrame (columns as NumPy arrays).

    >>> import layerflow as lf
    >>> try:
    ...     import pandas as pd
    ... except ImportError:
    ...     pd = None
    >>> pd is None or lf.data.from_pandas(pd.DataFrame({'a': [1, 2]})).size == 2
    True
    """
    if not _is_dataframe(df):
        raise DatasetError(f"from_pandas: expected a pandas DataFrame, got {type(df).__name__}")
    columns = {str(c): df[c].to_numpy() for c in df.columns}
    n = len(df)

    def run():
        for i in range(n):
            yield {k: v[i] for k, v in columns.items()}

    return Dataset(run, n)


def generator(fn) -> Dataset:
    """A dataset whose every pass calls ``fn()`` for a fresh iterator (TF.js ``generator``).

    Args:
        fn: a function of no arguments returning an iterator, e.g. a generator function.

    Raises:
        DatasetError: ``fn`` is a generator object or another one-shot iterator.
    """
    if isinstance(fn, types.GeneratorType) or (
            not callable(fn) and hasattr(fn, "__next__")):
        raise DatasetError(
            "generator: expected a function returning a fresh iterator (e.g. a generator "
            "function, `def gen(): yield ...`, passed without calling it), got a generator "
            "object, which can be iterated only once; pass the function, or use "
            "lf.data.from_iterable(it) for a single pass")
    if not callable(fn):
        raise DatasetError(f"generator: expected a function returning an iterator, got "
                           f"{type(fn).__name__}")

    def run():
        it = fn()
        if isinstance(it, (list, tuple)) or not hasattr(it, "__iter__"):
            raise DatasetError(f"generator: the function must return an iterator, got "
                               f"{type(it).__name__}")
        return builtins.iter(it)

    return Dataset(run, None)


def func(f) -> Dataset:
    """A dataset from a function returning ``{'value': v, 'done': bool}`` or ``(v, done)``.

    ``f`` is called until it reports done (TF.js ``tf.data.func``); every pass calls it anew.

    >>> import layerflow as lf
    >>> state = {'i': 0}
    >>> def step():
    ...     state['i'] += 1
    ...     return {'value': state['i'], 'done': state['i'] > 3}
    >>> lf.data.func(step).to_array()
    [1, 2, 3]
    """
    if not callable(f):
        raise DatasetError(f"func: expected a function, got {type(f).__name__}")

    def run():
        while True:
            result = f()
            if isinstance(result, dict) and "done" in result:
                value, done = result.get("value"), result["done"]
            elif isinstance(result, tuple) and len(result) == 2:
                value, done = result
            else:
                raise DatasetError("func: f must return {'value': v, 'done': bool} or "
                                   f"(value, done), got {type(result).__name__}")
            if done:
                return
            yield value

    return Dataset(run, None)


def from_iterable(iterable) -> Dataset:
    """A dataset over a Python iterable; a one-shot iterator (generator object) runs once.

    >>> import layerflow as lf
    >>> lf.data.from_iterable(range(3)).batch(3).to_numpy()[0].tolist()
    [0, 1, 2]
    """
    try:
        builtins.iter(iterable)
    except TypeError:
        raise DatasetError(f"from_iterable: expected an iterable, got "
                           f"{type(iterable).__name__}") from None
    one_shot = builtins.iter(iterable) is iterable
    used = []

    def run():
        if one_shot:
            if used:
                raise DatasetError(
                    "from_iterable: this iterator (a generator object?) was already consumed "
                    "and cannot be iterated again; pass a function returning a fresh "
                    "iterator to lf.data.generator(fn), or set batches_per_epoch / "
                    "steps_per_epoch so one pass spans all epochs")
            used.append(True)
        return builtins.iter(iterable)

    size = len(iterable) if hasattr(iterable, "__len__") and not one_shot else None
    return Dataset(run, size)


# -- text sources ---------------------------------------------------------------------------
def _path_of(source: str) -> str:
    if source.startswith("file://"):
        parsed = urllib.parse.urlparse(source)
        return urllib.request.url2pathname(parsed.netloc + parsed.path)
    return source


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


@contextmanager
def open_text(source, timeout: float = URL_TIMEOUT_S):
    """A text stream (UTF-8, newlines kept as in the file) for a path or URL."""
    if not isinstance(source, str):
        source = str(source)  # NOTE: pathlib.Path
    if is_url(source):
        try:
            response = urllib.request.urlopen(source, timeout=timeout)
        except OSError as err:
            raise DatasetError(f"could not read {source}: {err}") from None
        with response:
            yield io.TextIOWrapper(response, encoding="utf-8", newline="")
        return
    try:
        stream = builtins.open(_path_of(source), encoding="utf-8", newline="")
    except OSError as err:
        raise DatasetError(f"could not open {source}: {err}") from None
    with stream:
        yield stream


def text_line(source, timeout: float = URL_TIMEOUT_S) -> Dataset:
    """One string per line of a text file or URL, without its line ending.

    >>> import layerflow as lf, tempfile, os, pathlib
    >>> path = os.path.join(tempfile.mkdtemp(), 'a.txt')
    >>> _ = pathlib.Path(path).write_text('one\\ntwo\\n')
    >>> lf.data.text_line(path).to_array()
    ['one', 'two']
    """
    def run():
        with open_text(source, timeout) as stream:
            for line in stream:
                yield line.rstrip("\r\n")

    return Dataset(run, None)
