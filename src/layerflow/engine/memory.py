"""Memory management as TF.js has it: ``tidy``, ``keep``, ``dispose``, ``memory``, ``profile``.

``tidy(fn)`` runs ``fn`` and disposes every tensor made inside except those it returns (in any
nested list, tuple or dict) and those passed to :func:`keep`. As a context manager
(``with lf.tidy(): ...``) nothing is returned, so keep what must survive.

>>> import layerflow as lf
>>> before = lf.memory().num_tensors
>>> y = lf.tidy(lambda: lf.square(lf.tensor([1.0, 2.0])).sum())
>>> lf.memory().num_tensors - before
1
"""

from __future__ import annotations

import time as _time
from contextlib import contextmanager
from dataclasses import dataclass, field

from layerflow.engine.context import ENGINE
from layerflow.engine.tensor import Tensor


@dataclass(frozen=True)
class MemoryInfo:
    """What :func:`memory` reports (TF.js ``tf.memory()``)."""

    num_tensors: int
    num_data_buffers: int
    num_bytes: int
    unreliable: bool = False
    reasons: tuple = ()


def memory() -> MemoryInfo:
    """Counts of live tensors, distinct data buffers and their bytes.

    >>> import layerflow as lf
    >>> isinstance(lf.memory().num_tensors, int)
    True
    """
    return MemoryInfo(ENGINE.num_tensors, len(ENGINE.buffers), ENGINE.num_bytes)


def tensors_in(result) -> list:
    """Every Tensor inside ``result`` (nested lists, tuples, dicts)."""
    found: list = []
    stack = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


class _Tidy:
    """``tidy`` as a context manager."""

    def __enter__(self):
        ENGINE.scopes.append([])
        return self

    def __exit__(self, *exc):
        _end_scope(ENGINE.scopes.pop(), ())
        return False


def _end_scope(scope: list, results) -> None:
    keep_ids = {t.id for t in results}
    parent = ENGINE.scopes[-1] if ENGINE.scopes else None
    for t in scope:
        if t.id in keep_ids:
            if parent is not None:
                parent.append(t)
            continue
        if t._kept or t._data is None:
            continue
        if t._tape_refs:
            t._pending = True
            continue
        t.dispose()


def tidy(fn=None, *args, **kwargs):
    """Run ``fn`` and dispose the tensors it made, except what it returns.

    Args:
        fn: a function of no arguments (TF.js also accepts a name first: ``tidy('name', fn)``).

    Returns:
        What ``fn`` returned; or, called with no function, a context manager.

    >>> import layerflow as lf
    >>> with lf.tidy():
    ...     kept = lf.keep(lf.ones([2]) * 2)
    >>> kept.array_sync()
    [2.0, 2.0]
    """
    if fn is None:
        return _Tidy()
    if isinstance(fn, str) and args and callable(args[0]):
        fn, args = args[0], args[1:]
    ENGINE.scopes.append([])
    try:
        result = fn(*args, **kwargs)
    except BaseException:
        _end_scope(ENGINE.scopes.pop(), ())
        raise
    _end_scope(ENGINE.scopes.pop(), tensors_in(result))
    return result


def keep(tensor):
    """Mark ``tensor`` so no enclosing ``tidy`` disposes it; returns it."""
    tensor._kept = True
    return tensor


def dispose(container) -> None:
    """Dispose a tensor or every tensor in a nested list/tuple/dict (or a layer/model)."""
    if hasattr(container, "dispose") and not isinstance(container, Tensor):
        container.dispose()
        return
    for t in tensors_in(container):
        t.dispose()


def dispose_variables() -> None:
    """Dispose every variable that still exists (TF.js ``disposeVariables``)."""
    for v in list(ENGINE.variables.values()):
        v.dispose()
    ENGINE.variables.clear()


@dataclass
class ProfileInfo:
    """What :func:`profile` reports."""

    new_tensors: int
    new_bytes: int
    peak_bytes: int
    kernels: list = field(default_factory=list)
    result: object = None


def profile(fn) -> ProfileInfo:
    """Run ``fn`` and report the tensors and bytes it left, and the kernels it ran.

    >>> import layerflow as lf
    >>> a = lf.tensor([1.0])
    >>> info = lf.profile(lambda: a + a)
    >>> info.new_tensors, info.new_bytes, info.kernels
    (1, 4, ['add'])
    """
    tensors0, bytes0 = ENGINE.num_tensors, ENGINE.num_bytes
    saved, ENGINE.profile_log = ENGINE.profile_log, []
    try:
        result = fn()
        kernels = ENGINE.profile_log
    finally:
        ENGINE.profile_log = saved
    new_bytes = ENGINE.num_bytes - bytes0
    return ProfileInfo(ENGINE.num_tensors - tensors0, new_bytes, max(new_bytes, 0), kernels,
                       result)


@dataclass
class TimingInfo:
    """What :func:`time` reports, in milliseconds (TF.js ``tf.time``)."""

    wall_ms: float
    kernel_ms: float


def time(fn) -> TimingInfo:
    """Run ``fn`` and time it, waiting for the backend to finish the result.

    >>> import layerflow as lf
    >>> lf.time(lambda: lf.ones([8, 8]) @ lf.ones([8, 8])).wall_ms >= 0
    True
    """
    backend = ENGINE.get_backend()
    start = _time.perf_counter()
    result = fn()
    for t in tensors_in(result):
        if t._data is not None:
            backend.block(t._data)
    elapsed = (_time.perf_counter() - start) * 1000.0
    return TimingInfo(elapsed, elapsed)


@contextmanager
def no_tracking():
    """Run code whose new tensors go in no tidy scope (used for long-lived state)."""
    saved, ENGINE.scopes = ENGINE.scopes, []
    try:
        yield
    finally:
        ENGINE.scopes = saved
