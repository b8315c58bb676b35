"""Row plans (data/rows.py): batches gathered in bulk from ``from_numpy`` rows are the batches
that stacking the rows one by one gives, through shuffle/take/skip/repeat, pass after pass."""

import numpy as np
import pytest

import layerflow as lf
from layerflow.data.structure import to_numpy

PIPELINES = {
    "batch": lambda ds: ds.batch(4),
    "shuffle": lambda ds: ds.shuffle(7, seed=3).batch(4),
    "shuffle_big_buffer": lambda ds: ds.shuffle(100, seed=1).batch(5),
    "skip_take": lambda ds: ds.skip(3).take(11).batch(3),
    "repeat_shuffle": lambda ds: ds.shuffle(6, seed=2).repeat(3).batch(8),
    "take_all_negative": lambda ds: ds.take(-1).batch(6, small_last_batch=False),
    "repeat_then_shuffle": lambda ds: ds.repeat(2).shuffle(9, seed=5).batch(7),
    "prefetch": lambda ds: ds.shuffle(10, seed=4).batch(4).prefetch(2),
}


def _sources():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(23, 3, 2))  # float64 -> float32, as TF.js
    y = np.arange(23)  # one-dimensional int64 -> int32
    return {
        "pair": lambda: lf.data.from_numpy(x, y),
        "x_only": lambda: lf.data.from_numpy(x.astype(np.float32)),
        "dicts": lambda: lf.data.from_numpy({"a": x, "b": y > 10}, {"out": y}),
        "tuples": lambda: lf.data.from_numpy((x, y), y.astype(np.float32)),
    }


def _one_by_one(ds):
    return ds.map(lambda e: e)  # map has no row plan: rows are stacked one at a time


def _passes(ds, count=2):
    return [to_numpy(b) for _ in range(count) for b in ds]


def _equal(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _equal(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b):
            _equal(u, v)
    else:
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("source", ["pair", "x_only", "dicts", "tuples"])
@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_gathered_batches_are_the_stacked_batches(backend, source, pipeline):
    make = _sources()[source]
    fast = PIPELINES[pipeline](make())
    assert make()._row_plan is not None
    slow = PIPELINES[pipeline](_one_by_one(make()))
    assert fast.size == slow.size
    got, want = _passes(fast), _passes(slow)
    assert len(got) == len(want) > 0
    for a, b in zip(got, want):
        _equal(a, b)


def test_string_rows_keep_the_row_by_row_path(backend):
    ds = lf.data.from_numpy(np.array(["a", "bb", "c"]), np.arange(3))
    assert ds._row_plan is None
    assert [b[0].array_sync() for b in ds.batch(2)] == [["a", "bb"], ["c"]]


def test_a_batch_does_not_share_memory_with_the_source(backend):
    x = np.arange(8, dtype=np.float32).reshape(4, 2)
    batch = next(iter(lf.data.from_numpy(x).batch(4)))
    x[:] = -1
    np.testing.assert_array_equal(batch.numpy(), np.arange(8).reshape(4, 2))


def test_prefetched_host_batches_stop_with_the_pass(backend):
    x = np.zeros((1000, 2), np.float32)
    ds = lf.data.from_numpy(x).batch(10).prefetch(3)
    assert ds._host_stages is not None  # the thread gathers on the host, no engine work
    it = ds.iterator()
    assert it.next().value.shape == (10, 2)
    it.close()  # stops the producer thread
    assert len(list(ds)) == 100
