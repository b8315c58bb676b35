"""Reductions, scans and bincounts against NumPy; gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad, check_second_order

F32 = np.float32


def _f64(fn):
    return lambda x, **kw: np.asarray(fn(x.astype(np.float64), **kw)).astype(F32)


# -- forward ---------------------------------------------------------------------------------
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ([0, 2], False),
                                           (-1, True), ([], False)])
@pytest.mark.parametrize("name,ref", [("sum", np.sum), ("prod", np.prod), ("max", np.max),
                                      ("min", np.min), ("mean", np.mean)])
def test_float_reductions_forward(backend, rng, name, ref, axis, keepdims):
    x = rng.uniform(0.5, 1.5, (2, 3, 4)).astype(F32)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    check_forward(lambda t: getattr(lf, name)(t, axis=axis, keepdims=keepdims),
                  lambda v: _f64(ref)(v, axis=np_axis, keepdims=keepdims), [x], dtype="float32")


def test_int_and_bool_dtypes(backend):
    x = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    check_forward(lambda t: lf.prod(t, axis=1), lambda v: np.prod(v, axis=1), [x],
                  dtype="int32")
    check_forward(lambda t: lf.max(t, axis=0), lambda v: np.max(v, axis=0), [x], dtype="int32")
    check_forward(lambda t: lf.min(t), lambda v: np.min(v), [x], dtype="int32")
    b = np.array([[True, False], [True, True]])
    check_forward(lambda t: lf.prod(t, axis=0), lambda v: np.prod(v, axis=0).astype(np.int32),
                  [b], dtype="int32")
    check_forward(lambda t: lf.max(t, axis=1), lambda v: np.max(v, axis=1), [b], dtype="bool")
    assert lf.mean(lf.tensor(x)).dtype == "float32"


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, True), (1, False), ([0, 1], True)])
def test_all_any(backend, axis, keepdims):
    b = np.array([[True, False, True], [True, True, True]])
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    check_forward(lambda t: lf.all(t, axis=axis, keepdims=keepdims),
                  lambda v: np.all(v, axis=np_axis, keepdims=keepdims), [b], dtype="bool")
    check_forward(lambda t: lf.any(t, axis=axis, keepdims=keepdims),
                  lambda v: np.any(v, axis=np_axis, keepdims=keepdims), [b], dtype="bool")
    ints = np.array([[0, 2, 0], [1, 1, 3]], dtype=np.int32)
    check_forward(lambda t: lf.all(t, axis=axis, keepdims=keepdims),
                  lambda v: np.all(v != 0, axis=np_axis, keepdims=keepdims), [ints],
                  dtype="bool")


def test_keep_dims_alias_and_chaining(backend):
    x = lf.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert lf.max(x, 1, keep_dims=True).shape == (2, 1)
    assert lf.sum(x, keep_dims=True).shape == (1, 1)
    assert x.max().item() == 7.0 and x.min().item() == 1.0
    assert x.prod().item() == 70.0
    assert x.arg_max(1).array_sync() == [1, 0] and x.arg_min(0).array_sync() == [0, 1]
    assert lf.tensor([True, False]).any().item() is True
    assert lf.tensor([True, False]).all().item() is False
    assert x.cumsum(1).array_sync() == [[1.0, 6.0], [7.0, 9.0]]
    assert x.cumprod(0).array_sync() == [[1.0, 5.0], [7.0, 10.0]]
    np.testing.assert_allclose(x.log_sum_exp().item(), np.log(np.exp([1, 5, 7, 2]).sum()),
                               rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_arg_max_min(backend, rng, axis):
    x = rng.normal(size=(3, 4)).astype(F32)
    check_forward(lambda t: lf.arg_max(t, axis), lambda v: np.argmax(v, axis).astype(np.int32),
                  [x], dtype="int32")
    check_forward(lambda t: lf.arg_min(t, axis), lambda v: np.argmin(v, axis).astype(np.int32),
                  [x], dtype="int32")
    assert lf.argmax is lf.arg_max and lf.argmin is lf.arg_min


def test_arg_max_ties_take_first(backend):
    assert lf.arg_max(lf.tensor([1, 3, 3, 0])).item() == 1
    assert lf.arg_min(lf.tensor([[2, 0], [0, 5]]), 0).array_sync() == [1, 0]
    assert lf.arg_max(lf.tensor(4.0)).item() == 0


def test_log_sum_exp_stable(backend, rng):
    x = rng.normal(size=(3, 4)).astype(F32) * 50
    ref = lambda v, axis=None, keepdims=False: np.log(  # noqa: E731
        np.sum(np.exp(v - v.max()), axis=axis, keepdims=keepdims)) + v.max()
    check_forward(lambda t: lf.log_sum_exp(t, axis=1), lambda v: _f64(ref)(v, axis=1), [x],
                  dtype="float32")
    check_forward(lambda t: lf.logsumexp(t, keepdims=True),
                  lambda v: _f64(ref)(v, keepdims=True), [x], dtype="float32")
    big = lf.log_sum_exp(lf.tensor([1e4, 1e4]))
    np.testing.assert_allclose(big.item(), 1e4 + np.log(2), rtol=1e-6)
    assert lf.log_sum_exp(lf.tensor([1, 2])).dtype == "float32"


def test_variance_std(backend, rng):
    x = rng.normal(size=(3, 4)).astype(F32)
    check_forward(lambda t: lf.variance(t, axis=0), lambda v: _f64(np.var)(v, axis=0), [x],
                  dtype="float32")
    check_forward(lambda t: lf.var(t, keepdims=True), lambda v: _f64(np.var)(v, keepdims=True),
                  [x], dtype="float32")
    check_forward(lambda t: lf.std(t, axis=[0, 1]), lambda v: _f64(np.std)(v), [x],
                  dtype="float32")


def _np_scan(fn, identity):
    def ref(v, axis=0, exclusive=False, reverse=False):
        v = np.flip(v, axis) if reverse else v
        out = fn(v, axis=axis)
        if exclusive:
            first = np.full_like(np.take(out, [0], axis=axis), identity)
            out = np.concatenate([first, np.delete(out, -1, axis=axis)], axis=axis)
        return np.flip(out, axis) if reverse else out

    return ref


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scans_forward(backend, rng, axis, exclusive, reverse):
    x = rng.uniform(0.5, 1.5, (3, 4)).astype(F32)
    kw = dict(axis=axis, exclusive=exclusive, reverse=reverse)
    check_forward(lambda t: lf.cumsum(t, **kw), lambda v: _f64(_np_scan(np.cumsum, 0))(v, **kw),
                  [x], dtype="float32")
    check_forward(lambda t: lf.cumprod(t, **kw),
                  lambda v: _f64(_np_scan(np.cumprod, 1))(v, **kw), [x], dtype="float32")
    ints = rng.integers(-3, 4, (3, 4)).astype(np.int32)
    check_forward(lambda t: lf.cumsum(t, **kw),
                  lambda v: _np_scan(np.cumsum, 0)(v, **kw).astype(np.int32), [ints],
                  dtype="int32")


def test_bincount(backend):
    x = np.array([1, 1, 4, 2, 9, 0], dtype=np.int32)
    w = np.array([0.5, 1.0, 2.0, 3.0, 4.0, 1.5], dtype=F32)
    got = lf.bincount(lf.tensor(x), lf.tensor(w), 5)
    ref = np.bincount(x[x < 5], weights=w[x < 5], minlength=5).astype(F32)
    np.testing.assert_allclose(got.numpy(), ref)
    assert got.dtype == "float32"
    counts = lf.bincount(lf.tensor(x), None, 3)
    assert counts.dtype == "int32" and counts.array_sync() == [1, 2, 1]
    empty = lf.bincount(lf.tensor(x), lf.tensor([], dtype="float32"), 3)
    assert empty.dtype == "float32" and empty.array_sync() == [1.0, 2.0, 1.0]


def test_dense_bincount(backend):
    x = np.array([[1, 1, 3], [0, 2, 2]], dtype=np.int32)
    w = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    got = lf.dense_bincount(lf.tensor(x), lf.tensor(w), 4)
    assert got.dtype == "int32"
    assert got.array_sync() == [[0, 3, 0, 3], [4, 0, 11, 0]]
    binary = lf.dense_bincount(lf.tensor(x), None, 4, binary_output=True)
    assert binary.array_sync() == [[0, 1, 0, 1], [1, 0, 1, 0]]
    flat = lf.dense_bincount(lf.tensor([3, 3, 0]), lf.tensor([1.0, 1.0, 1.0]), 4, True)
    assert flat.array_sync() == [1.0, 0.0, 0.0, 1.0]


# -- gradients ------------------------------------------------------------------------------
@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ([0, 2], True), (-1, True)])
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "log_sum_exp",
                                  "variance", "std"])
def test_reduction_grads(backend, rng, name, axis, keepdims):
    x = rng.permutation(np.linspace(0.5, 1.7, 12)).reshape(2, 3, 2)
    op = getattr(lf, name)
    check_grad(lambda t: op(t, axis=axis, keepdims=keepdims), [x])


def test_prod_grad_with_zeros(backend):
    check_grad(lambda t: lf.prod(t, axis=1), [[[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]]])
    check_grad(lambda t: lf.prod(t), [[[1.0, 0.0], [0.5, 2.0]]])


def test_max_grad_goes_to_all_ties(backend):
    g = lf.grad(lambda t: lf.max(t))(lf.tensor([1.0, 3.0, 3.0]))
    assert g.array_sync() == [0.0, 1.0, 1.0]


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_grads(backend, rng, exclusive, reverse):
    x = rng.uniform(0.5, 1.5, (3, 4))
    kw = dict(exclusive=exclusive, reverse=reverse)
    check_grad(lambda t: lf.cumsum(t, 1, **kw), [x])
    check_grad(lambda t: lf.cumprod(t, 1, **kw), [x])
    check_grad(lambda t: lf.cumprod(t, 0, **kw), [x])


def test_second_order(backend):
    check_second_order(lambda t: lf.log_sum_exp(t), [0.5, -1.0, 2.0])
    check_second_order(lambda t: lf.prod(t * t), [0.5, -1.0, 2.0])
    check_second_order(lambda t: lf.cumprod(t), [0.5, -1.0, 2.0])


# -- random shapes --------------------------------------------------------------------------
@st.composite
def _case(draw):
    rank = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    if draw(st.booleans()) or rank == 0:
        axis = None
    else:
        axis = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank,
                             unique_by=lambda a: a % rank))
    return shape, axis, draw(st.booleans()), draw(st.integers(0, 2 ** 31 - 1))


@pytest.mark.parametrize("name,ref", [("sum", np.sum), ("prod", np.prod), ("max", np.max),
                                      ("min", np.min), ("all", np.all), ("any", np.any),
                                      ("log_sum_exp", None)])
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_case())
def test_random_reductions(backend, name, ref, case):
    shape, axis, keepdims, seed = case
    rng = np.random.default_rng(seed)
    np_axis = None if axis is None else tuple(a % len(shape) for a in axis)
    if name in ("all", "any"):
        x = rng.integers(0, 2, shape).astype(bool)
        want = ref(x, axis=np_axis, keepdims=keepdims)
    else:
        x = rng.uniform(0.5, 1.5, shape).astype(F32)
        if ref is None:
            want = np.log(np.sum(np.exp(x.astype(np.float64)), axis=np_axis, keepdims=keepdims))
        else:
            want = ref(x.astype(np.float64), axis=np_axis, keepdims=keepdims)
        want = np.asarray(want).astype(F32)
    got = getattr(lf, name)(lf.tensor(x), axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


# -- errors and symbolic --------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "all", "any", "log_sum_exp",
                                  "arg_max", "arg_min", "cumsum", "cumprod"])
def test_axis_out_of_range(backend, name):
    with pytest.raises(lf.errors.InvalidArgumentError, match=f"{name}: axis 2 is out of range "
                                                             "for rank 2"):
        getattr(lf, name)(lf.ones([2, 3]), 2)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "all", "any", "log_sum_exp"])
def test_repeated_axis(backend, name):
    with pytest.raises(lf.errors.InvalidArgumentError, match=f"{name}: repeated axis"):
        getattr(lf, name)(lf.ones([2, 3]), [1, -1])


def test_bad_inputs(backend):
    with pytest.raises(lf.errors.DTypeError, match="max: expected a numeric tensor"):
        lf.max(lf.tensor(["a", "b"]))
    with pytest.raises(lf.errors.InvalidArgumentError, match="arg_max: axis must be a single"):
        lf.arg_max(lf.ones([2, 2]), [0, 1])
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"max: cannot reduce over axis 0"):
        lf.max(lf.zeros([0, 2]), 0)
    with pytest.raises(lf.errors.ShapeError, match="cumsum: expected a tensor of rank >= 1"):
        lf.cumsum(lf.tensor(1.0))
    with pytest.raises(lf.errors.DTypeError, match="bincount: x must be int32"):
        lf.bincount(lf.tensor([1.0]), None, 2)
    with pytest.raises(lf.errors.ShapeError, match=r"bincount: weights must have the shape"):
        lf.bincount(lf.tensor([1, 2]), lf.tensor([1.0]), 3)
    with pytest.raises(lf.errors.ShapeError, match="bincount: x must have rank 1"):
        lf.bincount(lf.tensor([[1, 2]]), None, 3)
    with pytest.raises(lf.errors.InvalidArgumentError, match="dense_bincount: size must be"):
        lf.dense_bincount(lf.tensor([1, 2]), None, -1)


def test_symbolic_shapes(backend):
    x = lf.SymbolicTensor((None, 3, 4))
    assert lf.max(x, axis=1).shape == (None, 4)
    assert lf.prod(x, axis=[0, 2], keepdims=True).shape == (1, 3, 1)
    assert lf.arg_max(x, 2).shape == (None, 3) and lf.arg_max(x, 2).dtype == "int32"
    assert lf.all(x, 0).dtype == "bool"
    assert lf.log_sum_exp(x, -1).shape == (None, 3)
    assert lf.cumsum(x, 1).shape == (None, 3, 4)
    assert lf.variance(x, 1).shape == (None, 4)
    assert lf.dense_bincount(lf.SymbolicTensor((None, 5), "int32"), None, 7).shape == (None, 7)
