"""Transformations and iteration of lf.data.Dataset against plain Python results."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerflow as lf
import layerflow.data  # noqa: F401  (binds lf.data until the namespace exports it)
from layerflow.data import Dataset, DatasetError, IteratorResult
from layerflow.errors import InvalidArgumentError

INF = math.inf


def test_dataset_is_lazy_and_reiterable():
    calls = []

    def make():
        calls.append(1)
        return iter([1, 2, 3])

    ds = Dataset(make, size=3).map(lambda x: x + 1)
    assert calls == []
    assert list(ds) == [2, 3, 4]
    assert list(ds) == [2, 3, 4]
    assert len(calls) == 2


def test_iterator_next_returns_iterator_results():
    it = lf.data.array([1, 2]).iterator()
    assert it.next() == IteratorResult(1, False)
    assert next(it) == 2
    assert it.next() == IteratorResult(None, True)
    assert it.next().done
    with pytest.raises(StopIteration):
        next(it)


def test_map_filter_match_python():
    items = list(range(20))
    ds = lf.data.array(items).map(lambda x: x * 3).filter(lambda x: x % 2 == 0)
    assert ds.to_array() == [x * 3 for x in items if (x * 3) % 2 == 0]
    assert ds.size is None


def test_map_runs_in_tidy_and_keeps_results(backend):
    ds = lf.data.array([1.0, 2.0, 3.0]).map(lambda x: lf.square(lf.tensor(x) + 1.0))
    before = lf.memory().num_tensors
    out = ds.to_array()
    # NOTE: only the 3 returned tensors survive; the intermediates were disposed by tidy.
    assert lf.memory().num_tensors - before == 3
    assert [t.item() for t in out] == [4.0, 9.0, 16.0]


def test_filter_accepts_tensor_predicates(backend):
    ds = lf.data.array([1, 2, 3, 4]).filter(lambda x: lf.tensor(x).greater(2))
    assert ds.to_array() == [3, 4]


@pytest.mark.parametrize("n,size,small,expected", [
    (10, 3, True, [3, 3, 3, 1]), (10, 3, False, [3, 3, 3]), (9, 3, True, [3, 3, 3]),
    (2, 5, True, [2]), (2, 5, False, []), (0, 2, True, [])])
def test_batch_sizes_and_short_last_batch(backend, n, size, small, expected):
    ds = lf.data.array(list(range(n))).batch(size, small_last_batch=small)
    batches = ds.to_array()
    assert [b.shape[0] for b in batches] == expected
    assert ds.size == len(expected)
    flat = [v for b in batches for v in b.array_sync()]
    assert flat == list(range(n))[:len(flat)]


def test_batch_stacks_nested_structures(backend):
    rows = [{"x": np.full((2,), i, np.float32), "y": (float(i), [i, i + 1]), "s": f"r{i}"}
            for i in range(5)]
    batch = lf.data.array(rows).batch(5).to_array()[0]
    assert batch["x"].shape == (5, 2) and batch["x"].dtype == "float32"
    np.testing.assert_array_equal(batch["x"].numpy(), np.stack([r["x"] for r in rows]))
    assert isinstance(batch["y"], tuple)
    assert batch["y"][0].dtype == "float32"
    assert batch["y"][1].array_sync() == [[i, i + 1] for i in range(5)]
    assert batch["s"].array_sync() == [f"r{i}" for i in range(5)]


def test_batch_stacks_tensors_with_lf_stack(backend):
    ts = [lf.tensor([i, i]) for i in range(3)]
    out = lf.data.array(ts).batch(3).to_array()[0]
    assert out.array_sync() == [[0, 0], [1, 1], [2, 2]]


def test_batch_errors_name_the_element():
    with pytest.raises(DatasetError, match="element 1 .* shape"):
        lf.data.array([np.zeros(2), np.zeros(3)]).batch(2).to_array()
    with pytest.raises(DatasetError, match="element 1 .* keys"):
        lf.data.array([{"a": 1}, {"b": 1}]).batch(2).to_array()
    with pytest.raises(DatasetError, match="None"):
        lf.data.array([{"a": 1}, {"a": None}]).batch(2).to_array()
    with pytest.raises(InvalidArgumentError, match="batch_size"):
        lf.data.array([1]).batch(0)


def test_shuffle_is_a_permutation_and_seeded_shuffles_repeat():
    items = list(range(50))
    ds = lf.data.array(items).shuffle(10, seed=7)
    first, second = ds.to_array(), ds.to_array()
    assert sorted(first) == items and sorted(second) == items
    assert first != items
    assert first != second  # reshuffled each iteration
    again = lf.data.array(items).shuffle(10, seed=7)
    assert again.to_array() == first and again.to_array() == second
    fixed = lf.data.array(items).shuffle(10, seed=7, reshuffle_each_iteration=False)
    assert fixed.to_array() == fixed.to_array()
    assert ds.size == 50


def test_shuffle_buffer_limits_displacement():
    # NOTE: with a buffer of b, element i cannot come out before position i - b + 1.
    out = lf.data.array(list(range(100))).shuffle(5, seed=3).to_array()
    assert all(pos >= value - 4 for pos, value in enumerate(out))


def test_shuffle_without_seed_follows_set_seed():
    lf.set_seed(11)
    a = lf.data.array(list(range(30))).shuffle(30).to_array()
    lf.set_seed(11)
    b = lf.data.array(list(range(30))).shuffle(30).to_array()
    assert a == b and sorted(a) == list(range(30))


@pytest.mark.parametrize("n,count", [(3, 0), (3, 1), (3, 4), (0, 3)])
def test_repeat_arithmetic(n, count):
    ds = lf.data.array(list(range(n))).repeat(count)
    assert ds.to_array() == list(range(n)) * count
    assert ds.size == n * count


def test_repeat_forever_and_sizes():
    ds = lf.data.array([1, 2]).repeat()
    assert ds.size == INF
    assert ds.take(5).to_array() == [1, 2, 1, 2, 1]
    assert ds.take(5).size == 5
    assert lf.data.generator(lambda: iter([1])).repeat(3).size is None
    assert lf.data.array([]).repeat().to_array() == []  # an empty pass stops
    with pytest.raises(DatasetError, match="infinite"):
        ds.to_array()


@pytest.mark.parametrize("n,k", [(5, 0), (5, 2), (5, 5), (5, 9)])
def test_take_skip_arithmetic(n, k):
    items = list(range(n))
    assert lf.data.array(items).take(k).to_array() == items[:k]
    assert lf.data.array(items).skip(k).to_array() == items[k:]
    assert lf.data.array(items).take(k).size == len(items[:k])
    assert lf.data.array(items).skip(k).size == len(items[k:])


def test_take_skip_none_or_negative_follow_tfjs_docs():
    assert lf.data.array([1, 2]).take(-1).to_array() == [1, 2]
    assert lf.data.array([1, 2]).skip(-1).to_array() == []
    assert lf.data.array([1, 2]).skip(None).size == 0
    assert lf.data.array([1, 2]).repeat().skip(3).size == INF


def test_concatenate_and_sizes():
    a, b = lf.data.array([1, 2]), lf.data.array([3])
    assert a.concatenate(b).to_array() == [1, 2, 3]
    assert a.concatenate(b).size == 3
    assert a.concatenate(b.repeat()).size == INF
    assert a.concatenate(b.filter(bool)).size is None
    assert a.filter(bool).size is None and a.repeat().filter(bool).size == INF
    assert a.map(str).size == 2
    with pytest.raises(DatasetError):
        a.concatenate([3])


def test_batch_size_rules():
    ds = lf.data.array(list(range(10)))
    assert ds.batch(3).size == 4 and ds.batch(3, small_last_batch=False).size == 3
    assert ds.repeat().batch(3).size == INF
    assert ds.filter(bool).batch(3).size is None


def test_for_each_to_numpy(backend):
    seen = []
    lf.data.array([1, 2, 3]).for_each(seen.append)
    assert seen == [1, 2, 3]
    out = lf.data.array([{"a": [1.0, 2.0]}, {"a": [3.0, 4.0]}]).batch(2).to_numpy()
    assert isinstance(out[0]["a"], np.ndarray)
    np.testing.assert_array_equal(out[0]["a"], [[1, 2], [3, 4]])


def test_breaking_out_closes_sources():
    closed = []

    def gen():
        try:
            yield from range(100)
        finally:
            closed.append(True)

    ds = lf.data.generator(gen).map(lambda x: x)
    with ds.iterator() as it:
        assert next(it) == 0
    assert closed == [True]


def test_bad_arguments():
    with pytest.raises(InvalidArgumentError):
        lf.data.array([1]).shuffle(0)
    with pytest.raises(InvalidArgumentError):
        lf.data.array([1]).map(3)
    with pytest.raises(InvalidArgumentError):
        lf.data.array([1]).repeat(-2)
    with pytest.raises(InvalidArgumentError):
        Dataset(lambda: iter(()), size=-1)
