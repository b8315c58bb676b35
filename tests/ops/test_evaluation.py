"""Evaluation ops against NumPy; topk's gradient against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad

F32 = np.float32


def _np_topk(x, k):
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, order, -1), order.astype(np.int32)


@pytest.mark.parametrize("shape,k", [((5,), 3), ((3, 6), 1), ((2, 3, 4), 4), ((4,), 0)])
def test_topk_forward(backend, rng, shape, k):
    x = rng.normal(size=shape).astype(F32)
    got = check_forward(lambda t: lf.topk(t, k), lambda v: _np_topk(v, k), [x])
    assert isinstance(got, lf.TopK)
    assert got.values.dtype == "float32" and got.indices.dtype == "int32"
    ints = rng.integers(-5, 5, shape).astype(np.int32)
    check_forward(lambda t: lf.topk(t, k), lambda v: _np_topk(v, k), [ints])


def test_topk_ties_lower_index_first(backend):
    r = lf.tensor([[3, 1, 3, 3, 2]]).topk(3)
    assert r.values.array_sync() == [[3, 3, 3]] and r.indices.array_sync() == [[0, 2, 3]]
    r = lf.topk(lf.tensor([1.0, 2.0, 2.0, 1.0]), 4, sorted=False)
    assert r.indices.array_sync() == [1, 2, 0, 3]


def test_topk_grad(backend, rng):
    x = rng.permutation(np.linspace(-1, 1, 12)).reshape(3, 4)
    check_grad(lambda t: lf.topk(t, 2).values, [x])
    check_grad(lambda t: lf.topk(t, 3).values * lf.topk(t, 3).values, [x])
    g = lf.grad(lambda t: lf.sum(lf.topk(t, 2).values))(lf.tensor([1.0, 5.0, 3.0]))
    assert g.array_sync() == [0.0, 1.0, 1.0]


def test_topk_errors(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match=r"topk: k \(5\) must be <= the last dimension \(4\)"):
        lf.topk(lf.ones([2, 4]), 5)
    with pytest.raises(lf.errors.InvalidArgumentError, match="topk: k must be an integer >= 0"):
        lf.topk(lf.ones([2, 4]), -1)
    with pytest.raises(lf.errors.ShapeError, match="topk: x must have rank >= 1"):
        lf.topk(lf.tensor(1.0))


def _np_unique(x, axis=0):
    moved = np.moveaxis(x, axis, 0)
    values, indices, seen = [], [], []
    for row in moved:
        for j, s in enumerate(seen):
            if np.array_equal(s, row):
                indices.append(j)
                break
        else:
            seen.append(row)
            values.append(row)
            indices.append(len(seen) - 1)
    return np.moveaxis(np.stack(values), 0, axis), np.asarray(indices, dtype=np.int32)


def test_unique_1d(backend):
    x = np.array([5, 1, 5, 3, 1, 1, 7], dtype=np.int32)
    got = check_forward(lf.unique, _np_unique, [x])
    assert isinstance(got, lf.Unique) and got.indices.dtype == "int32"
    assert got.values.dtype == "int32"
    f = np.array([0.5, -1.0, 0.5, 2.0], dtype=F32)
    check_forward(lf.unique, _np_unique, [f], dtype=None)
    assert lf.tensor([2.0, 2.0]).unique().values.array_sync() == [2.0]


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unique_axis(backend, axis):
    x = np.array([[1, 0, 1, 0], [2, 3, 2, 3], [1, 0, 1, 0]], dtype=np.int32)
    check_forward(lambda t: lf.unique(t, axis), lambda v: _np_unique(v, axis), [x])


def test_unique_strings(backend):
    got = lf.unique(lf.tensor(["b", "a", "b", "c"]))
    assert got.values.array_sync() == ["b", "a", "c"]
    assert got.indices.array_sync() == [0, 1, 0, 2]


def test_unique_errors(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match="unique: axis 1 is out of range for rank 1"):
        lf.unique(lf.tensor([1, 2]), 1)
    with pytest.raises(lf.errors.ShapeError, match="unique: x must have rank >= 1"):
        lf.unique(lf.tensor(1))


@pytest.mark.parametrize("side", ["left", "right"])
def test_search_sorted(backend, rng, side):
    seq = np.sort(rng.integers(0, 10, (3, 8)), axis=-1).astype(F32)
    vals = rng.integers(-1, 11, (3, 5)).astype(F32)

    def ref(s, v):
        return np.stack([np.searchsorted(s[i], v[i], side=side) for i in range(3)]).astype(
            np.int32)

    check_forward(lambda s, v: lf.search_sorted(s, v, side), ref, [seq, vals], dtype="int32")
    bound = lf.lower_bound if side == "left" else lf.upper_bound
    check_forward(bound, ref, [seq, vals], dtype="int32")
    one = check_forward(lambda s, v: lf.search_sorted(s, v, side),
                        lambda s, v: np.searchsorted(s, v, side=side).astype(np.int32),
                        [seq[0], vals[0]], dtype="int32")
    assert one.shape == (5,)
    deep = np.sort(rng.normal(size=(2, 2, 4)), -1).astype(F32)
    dvals = rng.normal(size=(2, 2, 3)).astype(F32)
    check_forward(lambda s, v: lf.search_sorted(s, v, side),
                  lambda s, v: np.stack([np.searchsorted(a, b, side=side) for a, b in zip(
                      s.reshape(4, 4), v.reshape(4, 3))]).reshape(2, 2, 3).astype(np.int32),
                  [deep, dvals], dtype="int32")


def test_search_sorted_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match="search_sorted: sorted_sequence and values "
                                                   "must have the same rank"):
        lf.search_sorted(lf.ones([2, 3]), lf.ones([3]))
    with pytest.raises(lf.errors.ShapeError, match="search_sorted: leading dimensions"):
        lf.search_sorted(lf.ones([2, 3]), lf.ones([3, 3]))
    with pytest.raises(lf.errors.InvalidArgumentError, match="search_sorted: side must be"):
        lf.search_sorted([1.0], [1.0], "middle")


def _np_in_top_k(p, t, k):
    order = np.argsort(-p.astype(np.float64), axis=-1, kind="stable")[..., :k]
    return np.any(order == t[..., None], axis=-1)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_in_top_k(backend, rng, k):
    p = rng.integers(0, 3, (6, 4)).astype(F32)
    t = rng.integers(0, 4, (6,)).astype(np.int32)
    check_forward(lambda a, b: lf.in_top_k(a, b, k), lambda a, b: _np_in_top_k(a, b, k), [p, t],
                  dtype="bool")
    assert lf.in_top_k(lf.tensor([[1.0, 1.0]]), [1], 1).array_sync() == [False]
    assert lf.in_top_k(lf.tensor([[1.0, 1.0]]), [0], 1).array_sync() == [True]


def test_in_top_k_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"in_top_k: targets shape \(3,\) must equal"):
        lf.in_top_k(lf.ones([2, 4]), lf.tensor([0, 1, 2]))
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"in_top_k: k \(5\) must be <="):
        lf.in_top_k(lf.ones([2, 4]), lf.tensor([0, 1]), 5)
    with pytest.raises(lf.errors.DTypeError, match="in_top_k: targets must be int32"):
        lf.in_top_k(lf.ones([2, 4]), lf.tensor([0.0, 1.0]))


def test_confusion_matrix(backend, rng):
    labels = rng.integers(0, 4, 20).astype(np.int32)
    preds = rng.integers(0, 4, 20).astype(np.int32)

    def ref(a, b):
        out = np.zeros((4, 4), dtype=np.int32)
        np.add.at(out, (a, b), 1)
        return out

    check_forward(lambda a, b: lf.confusion_matrix(a, b, 4), ref, [labels, preds],
                  dtype="int32")
    assert lf.confusion_matrix([0, 5], [1, 1], 2).array_sync() == [[0, 1], [0, 0]]


def test_confusion_matrix_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"confusion_matrix: labels \(2,\) and "
                                                   r"predictions \(3,\) must have the same"):
        lf.confusion_matrix([0, 1], [0, 1, 1], 2)
    with pytest.raises(lf.errors.InvalidArgumentError, match="confusion_matrix: num_classes"):
        lf.confusion_matrix([0, 1], [0, 1], 0)
    with pytest.raises(lf.errors.DTypeError, match="confusion_matrix: labels must be int32"):
        lf.confusion_matrix(lf.tensor([0.0]), [0], 2)
    with pytest.raises(lf.errors.ShapeError, match="confusion_matrix: labels must have rank 1"):
        lf.confusion_matrix([[0]], [[0]], 2)


def test_symbolic_shapes(backend):
    x = lf.SymbolicTensor((None, 6))
    r = lf.topk(x, 3)
    assert r.values.shape == (None, 3) and r.indices.dtype == "int32"
    u = lf.unique(lf.SymbolicTensor((5,), "int32"))
    assert u.values.shape == (None,) and u.indices.shape == (5,)
    assert lf.search_sorted(x, lf.SymbolicTensor((None, 2))).shape == (None, 2)
    assert lf.in_top_k(x, lf.SymbolicTensor((None,), "int32")).dtype == "bool"
    cm = lf.confusion_matrix(lf.SymbolicTensor((None,), "int32"),
                             lf.SymbolicTensor((None,), "int32"), 3)
    assert cm.shape == (3, 3)
