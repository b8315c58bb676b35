"""Elementwise ops against NumPy, and their gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad, check_second_order

BINARY = [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide)]


@pytest.mark.parametrize("name,ref", BINARY)
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 5)), ((), (2,))])
def test_binary_forward_and_grad(backend, rng, name, ref, shapes):
    a = rng.uniform(0.5, 2.0, shapes[0]).astype(np.float32)
    b = rng.uniform(0.5, 2.0, shapes[1]).astype(np.float32)
    op = getattr(lf, name)
    check_forward(op, lambda x, y: ref(x.astype(np.float64), y).astype(np.float32), [a, b],
                  dtype="float32")
    check_grad(op, [a, b])


@pytest.mark.parametrize("name,ref,low", [("exp", np.exp, -2), ("log", np.log, 0.5),
                                          ("square", np.square, -2), ("sqrt", np.sqrt, 0.5),
                                          ("neg", np.negative, -2)])
def test_unary_forward_and_grad(backend, rng, name, ref, low):
    x = rng.uniform(low, 2.0, (3, 4)).astype(np.float32)
    op = getattr(lf, name)
    check_forward(op, lambda v: ref(v.astype(np.float64)).astype(np.float32), [x],
                  dtype="float32")
    check_grad(op, [x])


def test_second_order(backend):
    check_second_order(lambda x: x * x * x, [0.5, -1.5, 2.0])


def test_int_division_floors_as_tfjs(backend):
    assert lf.div(lf.tensor([7, -7]), 2).array_sync() == [3, -4]


def test_python_scalars_take_tensor_dtype(backend):
    assert (lf.tensor([1.0], dtype="float16") + 1).dtype == "float16"
    assert (lf.tensor([1]) + 1.5).dtype == "float32"
    assert (2 - lf.tensor([1.0])).array_sync() == [1.0]


def test_broadcast_error_names_op_and_shapes(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        lf.add(lf.zeros([2, 3]), lf.zeros([4]))


# -- more arithmetic ---------------------------------------------------------------------------
def _f64(ref):
    return lambda *xs: ref(*[x.astype(np.float64) for x in xs]).astype(np.float32)


MORE_BINARY = [
    ("maximum", np.maximum), ("minimum", np.minimum),
    ("squared_difference", lambda a, b: np.square(a - b)),
    ("pow", np.power), ("mod", np.mod), ("div_no_nan", np.divide),
]


@pytest.mark.parametrize("name,ref", MORE_BINARY)
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((3, 1), (1, 2))])
def test_more_binary_forward_and_grad(backend, rng, name, ref, shapes):
    a = rng.uniform(0.5, 2.0, shapes[0]).astype(np.float32)
    b = rng.uniform(0.5, 2.0, shapes[1]).astype(np.float32)
    if name in ("maximum", "minimum"):
        b = b + 0.05 * np.sign(b - 1.25).astype(np.float32)  # no ties near a's values
    if name == "mod":
        a = a * 3.7
    op = getattr(lf, name)
    check_forward(op, _f64(ref), [a, b], dtype="float32")
    check_grad(op, [a, b])


def test_add_n(backend, rng):
    xs = [rng.normal(size=(2, 3)).astype(np.float32) for _ in range(3)]
    check_forward(lambda *t: lf.add_n(list(t)), lambda *x: _f64(lambda *y: sum(y))(*x), xs,
                  dtype="float32")
    check_grad(lambda *t: lf.add_n(list(t)), xs)
    assert lf.add_n([lf.tensor([1, 2])]).array_sync() == [1, 2]
    assert lf.add_n((lf.tensor([1]), lf.tensor([2]))).dtype == "int32"


def test_add_n_errors(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match="add_n: expected a non-empty"):
        lf.add_n([])
    with pytest.raises(lf.errors.ShapeError, match=r"add_n: .*\(2,\).*\(3,\)"):
        lf.add_n([lf.zeros([2]), lf.zeros([3])])
    with pytest.raises(lf.errors.DTypeError, match="add_n: .*float32.*int32"):
        lf.add_n([lf.zeros([2]), lf.zeros([2], "int32")])


def test_floor_div_and_mod_follow_python_signs(backend):
    a = np.array([7, -7, 7, -7], np.int32)
    b = np.array([2, 2, -2, -2], np.int32)
    check_forward(lf.floor_div, np.floor_divide, [a, b], dtype="int32")
    check_forward(lf.mod, np.mod, [a, b], dtype="int32")
    fa, fb = a.astype(np.float32) + 0.5, b.astype(np.float32)
    check_forward(lf.floor_div, _f64(np.floor_divide), [fa, fb], dtype="float32")
    check_forward(lf.mod, _f64(np.mod), [fa, fb], dtype="float32")
    assert lf.mod(lf.tensor([-1.5]), 1.0).array_sync() == [0.5]


def test_floor_div_gradient_is_zero(backend):
    g = lf.grad(lambda x: lf.sum(lf.floor_div(x, 2.0)))(lf.tensor([1.5, 2.5]))
    assert g.array_sync() == [0.0, 0.0]


def test_pow_dtypes(backend):
    out = lf.pow(lf.tensor([2, 3, -2]), lf.tensor([3, 2, 3]))
    assert out.dtype == "int32" and out.array_sync() == [8, 9, -8]
    assert lf.pow(lf.tensor([2, 4]), -1).array_sync() == [0, 0]
    assert lf.pow(lf.tensor([2]), 0.5).dtype == "float32"
    assert lf.pow(lf.tensor([True]), lf.tensor([True])).dtype == "int32"
    assert np.isnan(lf.pow(lf.tensor([-8.0]), 1 / 3).numpy()[0])


def test_pow_grad_negative_base_integer_exponent(backend):
    # d/db is 0 where the base is <= 0 (TF.js), d/da is exact.
    check_grad(lambda a: lf.pow(a, 3.0), [[-1.5, 0.7, 2.0]])
    g = lf.grads(lambda a, b: lf.sum(lf.pow(a, b)))([lf.tensor([-2.0]), lf.tensor([2.0])])
    assert g[0].array_sync() == [-4.0] and g[1].array_sync() == [0.0]


def test_maximum_minimum_ties_and_bool(backend):
    a, b = lf.tensor([1.0, 2.0]), lf.tensor([1.0, 3.0])
    ga, gb = lf.grads(lambda x, y: lf.sum(lf.maximum(x, y)))([a, b])
    assert ga.array_sync() == [1.0, 0.0] and gb.array_sync() == [0.0, 1.0]
    ga, gb = lf.grads(lambda x, y: lf.sum(lf.minimum(x, y)))([a, b])
    assert ga.array_sync() == [1.0, 1.0] and gb.array_sync() == [0.0, 0.0]
    out = lf.maximum(lf.tensor([True, False]), lf.tensor([False, False]))
    assert out.dtype == "int32" and out.array_sync() == [1, 0]
    assert lf.minimum(lf.tensor([1, 5]), 3.5).dtype == "float32"


def test_div_no_nan(backend):
    out = lf.div_no_nan(lf.tensor([1.0, 2.0, 0.0]), lf.tensor([2.0, 0.0, 0.0]))
    assert out.array_sync() == [0.5, 0.0, 0.0]
    assert lf.div_no_nan(lf.tensor([7, 1]), lf.tensor([2, 0])).array_sync() == [3, 0]
    g = lf.grads(lambda x, y: lf.sum(lf.div_no_nan(x, y)))([lf.tensor([1.0, 2.0]),
                                                          lf.tensor([2.0, 0.0])])
    assert g[0].array_sync() == [0.5, 0.0] and g[1].array_sync() == [-0.25, 0.0]


def test_int_and_bool_division_dtypes(backend):
    assert lf.div(lf.tensor([True]), lf.tensor([True])).dtype == "int32"
    assert lf.floor_div(lf.tensor([7]), lf.tensor([2])).dtype == "int32"
    assert lf.squared_difference(lf.tensor([1]), lf.tensor([4])).array_sync() == [9]


def test_python_operators(backend):
    t = lf.tensor([1.0, 2.0, 3.0])
    assert (t ** 2).array_sync() == [1.0, 4.0, 9.0]
    assert (2 ** t).array_sync() == [2.0, 4.0, 8.0]
    assert (t % 2).array_sync() == [1.0, 0.0, 1.0]
    assert (7 % t).array_sync() == [0.0, 1.0, 1.0]
    assert (t // 2).array_sync() == [0.0, 1.0, 1.0]
    assert (7 // t).array_sync() == [7.0, 3.0, 2.0]
    assert t.pow(2).array_sync() == [1.0, 4.0, 9.0]
    assert t.maximum(2).array_sync() == [2.0, 2.0, 3.0]
    assert t.minimum(2).array_sync() == [1.0, 2.0, 2.0]
    assert t.mod(2).array_sync() == [1.0, 0.0, 1.0]
    assert t.floor_div(2).array_sync() == [0.0, 1.0, 1.0]
    assert t.squared_difference(1).array_sync() == [0.0, 1.0, 4.0]
    assert t.div_no_nan(0).array_sync() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "mod", "floor_div",
                                  "maximum", "minimum", "squared_difference", "div_no_nan"])
def test_string_input_is_rejected(backend, name):
    s = lf.tensor(["a", "b"])
    with pytest.raises(lf.errors.DTypeError, match=name):
        getattr(lf, name)(s, s)


@pytest.mark.parametrize("name", ["maximum", "mod", "pow", "floor_div"])
def test_binary_shape_error(backend, name):
    with pytest.raises(lf.errors.ShapeError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
        getattr(lf, name)(lf.zeros([2, 3]), lf.zeros([4]))


def test_symbolic_shapes(backend):
    x = lf.SymbolicTensor((None, 3), "float32")
    assert lf.pow(x, lf.zeros([1, 3])).shape == (None, 3)
    assert lf.maximum(x, lf.zeros([4, 1, 1])).shape == (4, None, 3)
    out = lf.add_n([x, x])
    assert out.shape == (None, 3) and out.dtype == "float32"
    assert lf.mod(lf.SymbolicTensor((None, 3), "int32"), 2).dtype == "int32"


def test_second_order_pow(backend):
    check_second_order(lambda x: lf.pow(x, 3.0), [0.5, 1.5, 2.0])


# -- broadcasting property ---------------------------------------------------------------------
@st.composite
def _broadcast_pair(draw):
    rank = draw(st.integers(0, 3))
    shape = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    a = [d if draw(st.booleans()) else 1 for d in shape]
    b = [d if draw(st.booleans()) else 1 for d in shape]
    a = a[draw(st.integers(0, len(a))):]
    b = b[draw(st.integers(0, len(b))):]
    return tuple(a), tuple(b)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=_broadcast_pair(),
       name=st.sampled_from(["add", "sub", "mul", "maximum", "minimum", "squared_difference"]))
def test_broadcasting_matches_numpy(backend, shapes, name):
    refs = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum,
            "minimum": np.minimum, "squared_difference": lambda a, b: np.square(a - b)}
    rng = np.random.default_rng(len(shapes[0]) * 7 + len(shapes[1]))
    a = rng.normal(size=shapes[0]).astype(np.float32)
    b = rng.normal(size=shapes[1]).astype(np.float32)
    check_forward(getattr(lf, name), _f64(refs[name]), [a, b], dtype="float32")
