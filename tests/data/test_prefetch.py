"""prefetch: same elements, real overlap of producer and consumer, errors, thread shutdown."""

from __future__ import annotations

import threading
import time

import pytest

import layerflow as lf
import layerflow.data  # noqa: F401  (binds lf.data until the namespace exports it)

N, DELAY = 8, 0.05


def _slow_source():
    for i in range(N):
        time.sleep(DELAY)
        yield i


def _prefetch_threads() -> int:
    return sum(t.name == "layerflow-prefetch" and t.is_alive() for t in threading.enumerate())


def _consume(ds) -> float:
    start = time.perf_counter()
    out = []
    for element in ds:
        time.sleep(DELAY)
        out.append(element)
    assert out == list(range(N))
    return time.perf_counter() - start


def test_prefetch_keeps_elements_and_size():
    ds = lf.data.array(list(range(10))).prefetch(3)
    assert ds.to_array() == list(range(10)) and ds.to_array() == list(range(10))
    assert ds.size == 10
    assert lf.data.array([1]).repeat().prefetch(1).size == float("inf")


def test_prefetch_overlaps_producer_and_consumer():
    serial = N * 2 * DELAY  # 0.8 s: produce then consume, one after the other
    overlapped = _consume(lf.data.generator(_slow_source).prefetch(2))
    # NOTE: ideal is about N * DELAY + DELAY = 0.45 s; generous bound for a busy machine.
    assert overlapped < 0.8 * serial, overlapped
    assert _consume(lf.data.generator(_slow_source)) >= serial * 0.95


def test_prefetch_reraises_producer_errors_in_the_consumer():
    def broken():
        yield 1
        yield 2
        raise RuntimeError("bad record")

    it = lf.data.generator(broken).prefetch(4).iterator()
    assert next(it) == 1 and next(it) == 2
    with pytest.raises(RuntimeError, match="bad record"):
        next(it)
    assert it.next().done


def test_prefetch_thread_stops_when_iteration_stops():
    before = _prefetch_threads()
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    ds = lf.data.generator(endless).prefetch(2)
    for element in ds:
        if element == 5:
            break
    assert closed.wait(5.0)
    deadline = time.monotonic() + 5.0
    while _prefetch_threads() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _prefetch_threads() == before


def test_prefetch_iterator_close_and_map_after_prefetch(backend):
    ds = lf.data.array([1.0, 2.0, 3.0]).prefetch(1).map(lambda x: lf.tensor(x) * 2)
    assert [t.item() for t in ds] == [2.0, 4.0, 6.0]
    it = lf.data.array(list(range(100))).prefetch(1).iterator()
    assert next(it) == 0
    it.close()
    assert it.next().done


def test_prefetch_rejects_bad_buffer_sizes():
    with pytest.raises(lf.errors.InvalidArgumentError):
        lf.data.array([1]).prefetch(0)
