"""Comparisons, logic and where (ops/logical.py) against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad

COMPARISONS = [("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
               ("greater_equal", np.greater_equal), ("less", np.less),
               ("less_equal", np.less_equal)]


@pytest.mark.parametrize("name,ref", COMPARISONS)
def test_comparisons(backend, name, ref):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], np.float32)
    b = np.array([2.0, 2.0, 2.0], np.float32)
    op = getattr(lf, name)
    check_forward(op, ref, [a, b], dtype="bool")
    check_forward(op, ref, [a.astype(np.int32), b.astype(np.int32)], dtype="bool")
    # int32 next to float32 promotes, Python numbers take the tensor's dtype
    assert op(lf.tensor([1, 2, 3]), lf.tensor([1.5])).array_sync() == \
        ref(np.array([1, 2, 3]), 1.5).tolist()
    assert op(lf.tensor([1, 2, 3]), 2).array_sync() == ref(np.array([1, 2, 3]), 2).tolist()
    assert getattr(lf.tensor(a), name)(lf.tensor(b)).dtype == "bool"


def test_comparison_operators(backend):
    t = lf.tensor([1, 2, 3])
    assert (t < 2).array_sync() == [True, False, False]
    assert (t <= 2).array_sync() == [True, True, False]
    assert (t > 2).array_sync() == [False, False, True]
    assert (t >= 2).array_sync() == [False, True, True]
    assert (t == 2).array_sync() == [False, True, False]
    assert (t != 2).array_sync() == [True, False, True]
    assert (2 < t).array_sync() == [False, False, True]
    assert (t == lf.tensor([1, 0, 3])).dtype == "bool"


def test_eq_keeps_identity_hash_and_unrelated_objects(backend):
    t = lf.tensor([1.0, 2.0])
    assert hash(t) == object.__hash__(t)
    assert {t: 1}[t] == 1
    assert (t == None) is False  # noqa: E711
    assert (t != None) is True  # noqa: E711
    assert (t == "x") is False
    assert t in [t]


LOGICAL = [("logical_and", np.logical_and), ("logical_or", np.logical_or),
           ("logical_xor", np.logical_xor)]


@pytest.mark.parametrize("name,ref", LOGICAL)
def test_logical_binary(backend, name, ref):
    a = np.array([[True, True], [False, False]])
    b = np.array([True, False])
    check_forward(getattr(lf, name), ref, [a, b], dtype="bool")
    assert getattr(lf, name)(lf.tensor([True]), [False]).dtype == "bool"


def test_logical_not_and_operators(backend):
    a, b = lf.tensor([True, True, False]), lf.tensor([True, False, False])
    check_forward(lf.logical_not, np.logical_not, [np.array([True, False])], dtype="bool")
    assert (~a).array_sync() == [False, False, True]
    assert (a & b).array_sync() == [True, False, False]
    assert (a | b).array_sync() == [True, True, False]
    assert (a ^ b).array_sync() == [False, True, False]
    assert (True & b).array_sync() == [True, False, False]
    assert a.logical_and(b).array_sync() == [True, False, False]
    assert a.logical_or(b).array_sync() == [True, True, False]
    assert a.logical_xor(b).array_sync() == [False, True, False]
    assert a.logical_not().array_sync() == [False, False, True]


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_requires_bool(backend, name):
    with pytest.raises(lf.errors.DTypeError, match=f"{name}: 'a' must be a bool tensor, got "
                                                   "dtype int32"):
        getattr(lf, name)(lf.tensor([1, 0]), lf.tensor([True, False]))
    with pytest.raises(lf.errors.ShapeError, match=rf"{name}: shapes \(2,\) and \(3,\)"):
        getattr(lf, name)(lf.tensor([True, False]), lf.tensor([True, False, True]))
    with pytest.raises(lf.errors.DTypeError, match="logical_not: 'x' must be a bool tensor"):
        lf.logical_not(lf.tensor([1.0]))


def test_bitwise_and(backend):
    a = np.array([12, 5, -1], np.int32)
    b = np.array([10, 3, 7], np.int32)
    check_forward(lf.bitwise_and, np.bitwise_and, [a, b], dtype="int32")
    with pytest.raises(lf.errors.DTypeError, match="bitwise_and: x and y must be int32"):
        lf.bitwise_and(lf.tensor([1.0]), lf.tensor([1]))


def test_where_forward_broadcasts_all_three(backend, rng):
    cond = np.array([[True], [False]])
    a = rng.normal(size=(3,)).astype(np.float32)
    b = rng.normal(size=(2, 1)).astype(np.float32)
    check_forward(lf.where, np.where, [cond, a, b], dtype="float32")
    out = lf.where(lf.tensor([True, False]), lf.tensor([1, 2]), lf.tensor([0.5, 0.5]))
    assert out.dtype == "float32" and out.array_sync() == [1.0, 0.5]
    assert lf.where(lf.tensor([True, False]), 1, 0).array_sync() == [1, 0]


def test_where_grad(backend, rng):
    cond = lf.tensor([[True, False, True], [False, False, True]])
    a = rng.normal(size=(2, 3))
    b = rng.normal(size=(3,))
    check_grad(lambda x, y: lf.where(cond, x, y), [a, b])


def test_where_errors(backend):
    with pytest.raises(lf.errors.DTypeError, match="where: 'condition' must be a bool tensor"):
        lf.where(lf.tensor([1, 0]), lf.tensor([1.0, 2.0]), lf.tensor([3.0, 4.0]))
    with pytest.raises(lf.errors.ShapeError, match=r"where: condition of shape \(3,\)"):
        lf.where(lf.tensor([True, False, True]), lf.zeros([2]), lf.zeros([2]))
    with pytest.raises(lf.errors.ShapeError, match=r"where: shapes \(2,\) and \(3,\)"):
        lf.where(lf.tensor([True, False]), lf.zeros([2]), lf.zeros([3]))


@pytest.mark.parametrize("name", ["equal", "greater", "less_equal"])
def test_comparison_errors(backend, name):
    with pytest.raises(lf.errors.DTypeError, match=f"{name}: .*string"):
        getattr(lf, name)(lf.tensor(["a"]), lf.tensor(["b"]))
    with pytest.raises(lf.errors.ShapeError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
        getattr(lf, name)(lf.zeros([2, 3]), lf.zeros([4]))


def test_symbolic_shapes(backend):
    x = lf.SymbolicTensor((None, 3), "float32")
    c = lf.greater(x, 0)
    assert c.shape == (None, 3) and c.dtype == "bool"
    assert lf.logical_not(c).shape == (None, 3)
    assert lf.logical_and(c, lf.SymbolicTensor((4, 1, 3), "bool")).shape == (4, None, 3)
    w = lf.where(c, x, lf.zeros([3]))
    assert w.shape == (None, 3) and w.dtype == "float32"
