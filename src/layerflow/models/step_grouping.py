"""How many train steps one call of the train step runs (``compile(steps_per_execution=...)``).

A compiled train step called once per batch pays Python's and the runtime's cost per call
(about 0.3 ms on CPU); for a small model that is a sixth of the step. With
``steps_per_execution=K`` the trainer passes K batches to one call and ``lf.compile`` makes
one XLA program of the K steps (``Trainer._train_steps``), so the cost is paid once per K
steps. The numbers are those of K single steps (bit for bit on the bench models).

``steps_per_execution="auto"`` (the default) picks K by measurement on the compiled (jax)
path: a few single steps of the first ``fit`` are timed (the fastest counts), and K is the
number of steps that fills about :data:`TARGET_SECONDS`, at most :data:`MAX_STEPS` (1 for a
model whose step is already long, where grouping only costs compile time). It groups only
when no callback hooks into single batches (a user's ``on_batch_end`` sees every batch as
in Keras); the progress bar then advances a group at a time, as Keras's does with
``steps_per_execution``.
Only groups of K full-size batches are made: the last, smaller batch runs alone, so a fit
compiles at most three programs (K steps, one step, the short last batch).

>>> grouping = StepGrouping("auto")
>>> for seconds in (0.0021, 0.0019, 0.0020):
...     grouping.observe(seconds)
>>> grouping.tuned
5
>>> StepGrouping(3).tuned
3
"""

from __future__ import annotations

import time

from layerflow.errors import InvalidArgumentError

TARGET_SECONDS = 0.01  # one call long enough that the per-call cost is a few percent of it
MAX_STEPS = 8  # more unrolled steps only lengthen compilation
TIMED_CALLS = 3  # single steps timed (after the first two calls, which may compile)


class StepGrouping:
    """The ``steps_per_execution`` setting of a compiled model, and what ``"auto"`` chose."""

    def __init__(self, setting="auto") -> None:
        if setting != "auto" and (isinstance(setting, bool) or not isinstance(setting, int)
                                  or setting < 1):
            raise InvalidArgumentError("compile: steps_per_execution must be a positive int "
                                       f"or 'auto', got {setting!r}")
        self.setting = setting
        self.tuned = None if setting == "auto" else setting
        self._times: list[float] = []

    @property
    def measuring(self) -> bool:
        return self.tuned is None

    def size(self, compiled: bool, callbacks) -> int:
        """Steps per call now. ``compiled``: whether the train step is an XLA program;
        ``callbacks``: the fit's CallbackList (or None)."""
        if self.setting != "auto":
            return self.setting
        if not compiled or self.tuned is None or (
                callbacks is not None and callbacks.hooks_single_batches):
            return 1
        return self.tuned

    def observe(self, seconds: float) -> None:
        """Record the wall time of one single (synchronized) step; decide after a few."""
        self._times.append(seconds)
        if len(self._times) >= TIMED_CALLS:
            step = min(self._times)  # the least disturbed by other work on the machine
            self.tuned = max(1, min(MAX_STEPS, int(TARGET_SECONDS / max(step, 1e-6))))

    def timed(self, call, sync):
        """Run ``call()``, wait for its result with ``sync(result)`` and record the time."""
        start = time.perf_counter()
        result = call()
        sync(result)
        self.observe(time.perf_counter() - start)
        return result


def full_groups(num_batches: int, full_batches: int, size):
    """Split batch indices ``0..num_batches-1`` into calls: groups of ``size()`` (asked
    before each call: "auto" may decide mid-epoch) while that many full-size batches are
    left among the first ``full_batches``, otherwise one batch per call.

    >>> [list(g) for g in full_groups(7, 6, lambda: 4)]
    [[0, 1, 2, 3], [4], [5], [6]]
    >>> [list(g) for g in full_groups(6, 100, lambda: 4)]  # steps_per_epoch=6 of 100 batches
    [[0, 1, 2, 3], [4], [5]]
    """
    index, groupable = 0, min(num_batches, full_batches)
    while index < num_batches:
        count = size()
        if count < 2 or index + count > groupable:
            count = 1
        yield range(index, index + count)
        index += count
