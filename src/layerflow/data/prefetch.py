"""``dataset.prefetch(n)``: produce up to ``n`` elements ahead, in a background thread.

Each pass starts one daemon thread that pulls from a fresh upstream iterator into a queue of
at most ``n`` elements, so producing (reading files, parsing, a slow generator) overlaps with
the consumer's work. An exception in the producer is handed through the queue and raised in
the consumer, at the element where it happened. When the pass ends early (``break``,
``iterator().close()``, the iterator being garbage collected) the thread is told to stop, closes
its upstream iterator and exits; it never blocks on a full queue for good.

NOTE: the engine's tidy scopes, tape stack and trace state are process-wide
(``engine/context.py``), so two threads making tensors at once would mix them. The producer
pulls each element while holding ``ENGINE.lock``, and ``fit_dataset``/``evaluate_dataset`` hold
it while they make tensors and run a step: their engine work never interleaves. A producer thus
overlaps with the consumer's host work (callbacks, logging, waiting), and with a step only while
it does not itself hold the lock. Put ``prefetch`` last (as TF.js advises): stages after it run
in the consumer without the lock. A loop of your own that makes tensors while a prefetched
pipeline makes tensors too should hold ``ENGINE.lock`` around that work. Pipelines that stay on
the host (generators, files, CSV parsing, NumPy) are safe to prefetch anywhere.

>>> import layerflow as lf
>>> ds = lf.data.array([1, 2, 3]).prefetch(2)
>>> ds.to_array(), ds.size
([1, 2, 3], 3)
"""

from __future__ import annotations

import queue
import threading

from layerflow.data.dataset import Dataset
from layerflow.data.rows import Finishing
from layerflow.data.transforms import _count
from layerflow.engine.context import ENGINE

_POLL_S = 0.05  # how often a blocked producer looks for a stop request


class _End:
    pass


_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch_dataset(ds: Dataset, buffer_size: int) -> Dataset:
    """``ds.prefetch(buffer_size)``: same elements and size, produced ahead in a thread."""
    buffer_size = _count(buffer_size, "prefetch: buffer_size", minimum=1)
    if ds._host_stages is None:
        return Dataset(lambda: PrefetchIterator(ds, buffer_size), ds.size)
    # NOTE: a dataset made on the host first (gathered batches, data/rows.py): the thread
    # prefetches the host stage; each element becomes tensors as the consumer takes it, and
    # a compiled fit_dataset takes the host batches as they are.
    host, finish = ds._host_stages
    host_ds = Dataset(host, ds.size)

    def ahead():
        return PrefetchIterator(host_ds, buffer_size)

    prefetched = Dataset(lambda: Finishing(ahead(), finish), ds.size)
    prefetched._host_stages = (ahead, finish)
    return prefetched


class _Channel:
    """What the producer thread and the consumer share (the thread never holds the iterator,
    so dropping the iterator stops the thread)."""

    def __init__(self, buffer_size: int) -> None:
        self.queue: queue.Queue = queue.Queue(maxsize=buffer_size)
        self.stop = threading.Event()

    def put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False


def _produce(ds: Dataset, channel: _Channel) -> None:
    source = None
    # NOTE: upstream stages may make tensors; ENGINE.lock keeps that apart from the
    # consumer's engine work that holds the lock too (fit_dataset's steps). A host stage
    # needs no lock for the engine's sake, but takes it all the same: an eager (numpy)
    # step holds it, and NumPy work beside BLAS's threads slowed such steps by a third.
    lock = ENGINE.lock
    try:
        with lock:
            source = ds._open()
        while True:
            with lock:
                element = next(source, _END)
            if element is _END or not channel.put(element):
                break
        if element is _END:
            channel.put(_End())
    except BaseException as error:  # NOTE: handed to the consumer and raised there
        channel.put(_Failed(error))
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # NOTE: closing is best effort once the pass is over
                pass


class PrefetchIterator:
    """One pass of a prefetched dataset: a producer thread and a bounded queue."""

    def __init__(self, ds: Dataset, buffer_size: int) -> None:
        self._channel = _Channel(buffer_size)
        self._finished = False
        self._thread = threading.Thread(target=_produce, args=(ds, self._channel),
                                        daemon=True, name="layerflow-prefetch")
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._finished:
            raise StopIteration
        item = self._channel.queue.get()
        if isinstance(item, _End):
            self._finish()
            raise StopIteration
        if isinstance(item, _Failed):
            self._finish()
            raise item.error
        return item

    def _finish(self) -> None:
        self._finished = True
        self._thread.join()

    def close(self) -> None:
        """Stop the producer thread and wait (briefly) for it to exit."""
        if self._finished:
            return
        self._finished = True
        self._channel.stop.set()
        while True:  # NOTE: free queue slots so a blocked put sees the stop request at once
            try:
                self._channel.queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join(timeout=5.0)

    def __del__(self):
        try:
            self.close()
        except Exception:  # NOTE: interpreter shutdown
            pass
