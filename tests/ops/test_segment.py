"""Segment ops against NumPy references, their gradients, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.ops.slicing import IndexOutOfRangeError
from tests._support.opcheck import check_forward, check_grad


def _np_segment(x, ids, n, fn, init):
    out = np.full((n,) + x.shape[ids.ndim:], init, dtype=np.float64)
    for index in np.ndindex(ids.shape):
        out[ids[index]] = fn(out[ids[index]], x[index])
    return out


def test_unsorted_segment_sum(backend, rng):
    x = rng.normal(size=(5, 2)).astype(np.float32)
    ids = np.array([2, 0, 2, 3, 0], np.int32)
    want = _np_segment(x, ids, 4, np.add, 0.0).astype(np.float32)
    check_forward(lambda t: lf.unsorted_segment_sum(t, lf.tensor(ids), 4), lambda a: want, [x],
                  dtype="float32")
    check_forward(lambda t: t.unsorted_segment_sum(lf.tensor(ids), 4), lambda a: want, [x])
    check_grad(lambda t: lf.unsorted_segment_sum(t, lf.tensor(ids), 4), [x])
    got = lf.unsorted_segment_sum(lf.tensor([1, 2, 3]), lf.tensor([0, 0, 1]), 2)
    assert got.dtype == "int32" and got.array_sync() == [3, 3]


def test_segment_ids_2d(backend, rng):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    ids = np.array([[0, 1, 0], [1, 1, 2]], np.int32)
    want = _np_segment(x, ids, 3, np.add, 0.0).astype(np.float32)
    check_forward(lambda t: lf.unsorted_segment_sum(t, lf.tensor(ids), 3), lambda a: want, [x])
    check_grad(lambda t: lf.unsorted_segment_sum(t, lf.tensor(ids), 3), [x])


def test_keras_segment_sum_max(backend, rng):
    x = rng.normal(size=(6, 2)).astype(np.float32)
    ids = np.array([0, 0, 1, 3, 3, 3], np.int32)
    want_sum = _np_segment(x, ids, 4, np.add, 0.0).astype(np.float32)
    check_forward(lambda t: lf.segment_sum(t, lf.tensor(ids)), lambda a: want_sum, [x])
    want_max = _np_segment(x, ids, 5, np.maximum, -np.inf).astype(np.float32)
    check_forward(lambda t: lf.segment_max(t, lf.tensor(ids), num_segments=5),
                  lambda a: want_max, [x], dtype="float32")
    full = lf.tensor([0, 0, 1, 2, 2, 3])  # NOTE: no empty segment (-inf) in the gradcheck
    check_grad(lambda t: lf.segment_max(t, full, num_segments=4), [x])
    check_grad(lambda t: lf.segment_sum(t, lf.tensor(ids), 4), [x])
    ints = lf.segment_max(lf.tensor([3, 1, 4]), lf.tensor([1, 1, 0]))
    assert ints.dtype == "int32" and ints.array_sync() == [4, 3]


def test_segment_max_ties_split_gradient(backend):
    g = lf.grad(lambda t: lf.sum(lf.segment_max(t, lf.tensor([0, 0, 0]))))(
        lf.tensor([2.0, 2.0, 1.0]))
    np.testing.assert_allclose(g.numpy(), [0.5, 0.5, 0.0])


def test_segment_errors(backend):
    with pytest.raises(IndexOutOfRangeError, match=r"unsorted_segment_sum: segment_ids must be "
                                                   r"in \[0, 2\), got 2"):
        lf.unsorted_segment_sum(lf.zeros([3]), lf.tensor([0, 1, 2]), 2)
    with pytest.raises(lf.errors.ShapeError, match=r"segment_ids shape \(2,\) must be a prefix"):
        lf.unsorted_segment_sum(lf.zeros([3]), lf.tensor([0, 1]), 2)
    with pytest.raises(lf.errors.DTypeError, match="segment_ids must be int32"):
        lf.unsorted_segment_sum(lf.zeros([2]), lf.tensor([0.0, 1.0]), 2)
    with pytest.raises(lf.errors.InvalidArgumentError, match="num_segments"):
        lf.unsorted_segment_sum(lf.zeros([2]), lf.tensor([0, 1]), -1)


def test_segment_symbolic():
    out = lf.unsorted_segment_sum(SymbolicTensor((None, 3)), SymbolicTensor((None,), "int32"), 4)
    assert out.shape == (4, 3)
    with pytest.raises(lf.errors.NotSupportedError):
        lf.segment_sum(SymbolicTensor((None, 3)), SymbolicTensor((None,), "int32"))
