"""Basic math ops (ops/math.py) against NumPy/SciPy, and their gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad, check_second_order

# Values away from every kink (0, +-3, 6) and inside every domain used below.
SIGNED = np.array([[-2.7, -1.3, -0.4], [0.3, 1.1, 2.6]], np.float32)
WIDE = np.array([[-4.5, -2.1, -0.6], [0.7, 3.4, 7.2]], np.float32)


def _f64(ref):
    return lambda *xs: np.asarray(ref(*[np.asarray(x, np.float64) for x in xs])).astype(
        np.float32)


def _gelu(x):
    return 0.5 * x * (1 + special.erf(x / np.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def _selu(x):
    return 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))


def _relu6(x):
    return np.clip(x, 0, 6)


UNARY = [
    ("abs", np.abs, SIGNED),
    ("acos", np.arccos, SIGNED / 3),
    ("asin", np.arcsin, SIGNED / 3),
    ("atan", np.arctan, SIGNED),
    ("acosh", np.arccosh, np.abs(SIGNED) + 1.2),
    ("asinh", np.arcsinh, SIGNED),
    ("atanh", np.arctanh, SIGNED / 3),
    ("cos", np.cos, SIGNED),
    ("sin", np.sin, SIGNED),
    ("tan", np.tan, SIGNED / 2),
    ("cosh", np.cosh, SIGNED),
    ("sinh", np.sinh, SIGNED),
    ("tanh", np.tanh, SIGNED),
    ("expm1", np.expm1, SIGNED),
    ("log1p", np.log1p, np.abs(SIGNED) - 0.2),
    ("rsqrt", lambda x: 1 / np.sqrt(x), np.abs(SIGNED)),
    ("reciprocal", np.reciprocal, SIGNED),
    ("erf", special.erf, SIGNED),
    ("sigmoid", special.expit, WIDE),
    ("log_sigmoid", lambda x: -np.logaddexp(0, -x), WIDE),
    ("softplus", lambda x: np.logaddexp(0, x), WIDE),
    ("relu", lambda x: np.maximum(x, 0), SIGNED),
    ("relu6", _relu6, WIDE),
    ("elu", lambda x: np.where(x > 0, x, np.expm1(x)), SIGNED),
    ("selu", _selu, SIGNED),
    ("leaky_relu", lambda x: np.where(x > 0, x, 0.2 * x), SIGNED),
    ("gelu", _gelu, WIDE),
    ("silu", lambda x: x * special.expit(x), WIDE),
    ("swish", lambda x: x * special.expit(x), WIDE),
    ("mish", lambda x: x * np.tanh(np.logaddexp(0, x)), WIDE),
    ("hard_sigmoid", lambda x: _relu6(x + 3) / 6, WIDE),
    ("softsign", lambda x: x / (1 + np.abs(x)), WIDE),
    ("hard_swish", lambda x: x * _relu6(x + 3) / 6, WIDE),
    ("hard_silu", lambda x: x * _relu6(x + 3) / 6, WIDE),
]


@pytest.mark.parametrize("name,ref,x", UNARY, ids=[u[0] for u in UNARY])
def test_unary_forward_and_grad(backend, name, ref, x):
    op = getattr(lf, name)
    check_forward(op, _f64(ref), [x], dtype="float32")
    check_grad(op, [x])


def test_gelu_approximate(backend):
    check_forward(lambda t: lf.gelu(t, approximate=True), _f64(_gelu_tanh), [WIDE],
                  dtype="float32")
    check_grad(lambda t: lf.gelu(t, approximate=True), [WIDE])


def test_elu_and_leaky_relu_alpha(backend):
    check_forward(lambda t: lf.elu(t, 0.5), _f64(lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
                  [SIGNED], dtype="float32")
    check_grad(lambda t: lf.elu(t, 0.5), [SIGNED])
    check_forward(lambda t: lf.leaky_relu(t, 0.1), _f64(lambda x: np.where(x > 0, x, 0.1 * x)),
                  [SIGNED], dtype="float32")
    check_grad(lambda t: lf.leaky_relu(t, alpha=0.1), [SIGNED])


def test_erf_float64_precision(backend):
    x = np.linspace(-6, 6, 241)
    got = lf.erf(lf.tensor(x, dtype="float64"))
    assert got.dtype == "float64"
    np.testing.assert_allclose(got.numpy(), [math.erf(v) for v in x], rtol=1e-13, atol=1e-15)
    assert lf.erf(lf.tensor([np.inf, -np.inf])).array_sync() == [1.0, -1.0]


def test_sigmoid_family_extremes(backend):
    x = lf.tensor([-100.0, 100.0])
    np.testing.assert_allclose(lf.sigmoid(x).numpy(), [0.0, 1.0], atol=1e-30)
    np.testing.assert_allclose(lf.log_sigmoid(x).numpy(), [-100.0, 0.0], atol=1e-30)
    np.testing.assert_allclose(lf.softplus(x).numpy(), [0.0, 100.0], atol=1e-30)


@pytest.mark.parametrize("name,ref", [("ceil", np.ceil), ("floor", np.floor),
                                      ("round", np.round), ("sign", np.sign)])
def test_piecewise_constant(backend, name, ref):
    x = np.array([-2.5, -1.5, -0.5, -0.2, 0.0, 0.5, 1.5, 1.7, 2.5], np.float32)
    op = getattr(lf, name)
    check_forward(op, _f64(ref), [x], dtype="float32")
    g = lf.grad(lambda t: lf.sum(op(t)))(lf.tensor(x))
    assert g.array_sync() == [0.0] * 9


def test_round_is_half_to_even(backend):
    assert lf.round(lf.tensor([0.5, 1.5, 2.5, -2.5, 3.5])).array_sync() == \
        [0.0, 2.0, 2.0, -2.0, 4.0]


def test_atan2(backend, rng):
    a = rng.uniform(-2, 2, (2, 3)).astype(np.float32)
    b = rng.uniform(-2, 2, (3,)).astype(np.float32)
    check_forward(lf.atan2, _f64(np.arctan2), [a, b], dtype="float32")
    check_grad(lf.atan2, [a, b])
    assert lf.atan2(lf.tensor([1]), lf.tensor([1])).dtype == "float32"


def test_clip_by_value(backend):
    x = np.array([[-2.0, -0.5, 0.2], [0.9, 1.4, 3.0]], np.float32)
    check_forward(lambda t: lf.clip_by_value(t, -1, 1), _f64(lambda v: np.clip(v, -1, 1)), [x],
                  dtype="float32")
    check_grad(lambda t: lf.clip_by_value(t, -1, 1), [x])
    out = lf.clip_by_value(lf.tensor([-5, 2, 9]), 0, 4)
    assert out.dtype == "int32" and out.array_sync() == [0, 2, 4]
    assert lf.tensor([0.5, 2.0]).clip_by_value(0, 1).array_sync() == [0.5, 1.0]
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match=r"clip_by_value: clip_value_min \(2\) must be <= clip_value_max"):
        lf.clip_by_value(lf.tensor([1.0]), 2, 1)


def test_value_tests(backend):
    x = np.array([1.0, np.inf, -np.inf, np.nan, 0.0], np.float32)
    check_forward(lf.is_finite, np.isfinite, [x], dtype="bool")
    check_forward(lf.is_inf, np.isinf, [x], dtype="bool")
    check_forward(lf.is_nan, np.isnan, [x], dtype="bool")
    assert lf.is_nan(lf.tensor([1, 2])).array_sync() == [False, False]


def test_step(backend):
    x = np.array([-1.0, 0.0, 2.0, np.nan], np.float32)
    out = lf.step(lf.tensor(x), 0.3).numpy()
    np.testing.assert_allclose(out, np.array([0.3, 0.3, 1.0, np.nan], np.float32))
    assert lf.step(lf.tensor([-2, 3])).array_sync() == [0, 1]
    assert lf.step(lf.tensor([-2, 3])).dtype == "int32"


def test_prelu(backend, rng):
    alpha = np.array([0.1, 0.2, 0.3], np.float32)
    check_forward(lf.prelu, _f64(lambda x, a: np.where(x > 0, x, a * x)), [SIGNED, alpha],
                  dtype="float32")
    check_grad(lf.prelu, [SIGNED, alpha])


def test_int_input_dtypes(backend):
    i = lf.tensor([-2, 0, 3])
    assert lf.sin(i).dtype == "float32"
    assert lf.sigmoid(lf.tensor([True])).dtype == "float32"
    assert lf.gelu(i).dtype == "float32"
    assert lf.floor(i).dtype == "float32"
    assert lf.abs(i).dtype == "int32" and lf.abs(i).array_sync() == [2, 0, 3]
    assert lf.relu(i).dtype == "int32" and lf.relu(i).array_sync() == [0, 0, 3]
    assert lf.sign(i).dtype == "int32"
    assert lf.relu6(lf.tensor([7, -1])).array_sync() == [6, 0]
    assert lf.sin(lf.tensor([1.0], dtype="float64")).dtype == "float64"


def test_complex_real_imag(backend):
    re = np.array([1.0, -2.0, 0.5], np.float32)
    im = np.array([3.0, 0.0, -1.5], np.float32)
    c = check_forward(lf.complex, lambda r, i: (r + 1j * i).astype(np.complex64), [re, im],
                      dtype="complex64")
    check_forward(lambda t: lf.real(t), np.real, [c.numpy()], dtype="float32")
    check_forward(lambda t: lf.imag(t), np.imag, [c.numpy()], dtype="float32")
    check_forward(lambda t: lf.abs(t), lambda v: np.abs(v.astype(np.complex128)).astype(np.float32),
                  [c.numpy()], dtype="float32")
    assert lf.real(lf.tensor([2.0])).array_sync() == [2.0]
    assert lf.imag(lf.tensor([2.0])).array_sync() == [0.0]
    # NOTE: complex64 holds float32 parts, too coarse for float64 finite differences.
    ga, gb = lf.grads(lambda a, b: lf.sum(lf.add(lf.mul(lf.real(lf.complex(a, b)), 2.0),
                                                 lf.mul(lf.imag(lf.complex(a, b)), 3.0))))(
        [lf.tensor(re), lf.tensor(im)])
    assert ga.array_sync() == [2.0] * 3 and gb.array_sync() == [3.0] * 3
    with pytest.raises(lf.errors.ShapeError, match=r"complex: .*\(2,\) and \(3,\)"):
        lf.complex(lf.zeros([2]), lf.zeros([3]))


def test_chained_methods(backend):
    t = lf.tensor([-1.0, 0.5])
    assert t.abs().array_sync() == [1.0, 0.5]
    assert abs(t).array_sync() == [1.0, 0.5]
    assert t.relu().array_sync() == [0.0, 0.5]
    assert t.sigmoid().dtype == "float32"
    assert t.leaky_relu(0.5).array_sync() == [-0.5, 0.5]
    assert t.step().array_sync() == [0.0, 1.0]
    assert t.floor().array_sync() == [-1.0, 0.0]
    assert t.prelu(lf.tensor([0.5])).array_sync() == [-0.5, 0.5]
    for name in ("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "cos",
                 "cosh", "elu", "erf", "expm1", "is_finite", "is_inf", "is_nan", "log1p",
                 "log_sigmoid", "reciprocal", "relu6", "round", "rsqrt", "selu", "sign", "sin",
                 "sinh", "softplus", "tan", "tanh"):
        assert callable(getattr(t, name)), name


@pytest.mark.parametrize("name", ["sin", "abs", "relu", "erf", "sigmoid", "gelu", "floor",
                                  "is_nan", "sign", "softsign"])
def test_string_input_is_rejected(backend, name):
    with pytest.raises(lf.errors.DTypeError, match=f"{name}: .*string"):
        getattr(lf, name)(lf.tensor(["a"]))


@pytest.mark.parametrize("name", ["erf", "floor", "relu", "sigmoid", "atan"])
def test_complex_input_is_rejected_where_undefined(backend, name):
    with pytest.raises(lf.errors.DTypeError, match=f"{name}: .*complex64"):
        getattr(lf, name)(lf.complex([1.0], [1.0]))


def test_symbolic_shapes(backend):
    x = lf.SymbolicTensor((None, 3), "float32")
    for op in (lf.sin, lf.relu, lf.gelu, lf.mish, lf.hard_swish, lf.erf, lf.is_nan):
        assert op(x).shape == (None, 3)
    assert lf.is_nan(x).dtype == "bool"
    assert lf.atan2(x, lf.zeros([2, 1, 1])).shape == (2, None, 3)
    assert lf.clip_by_value(x, 0, 1).shape == (None, 3)
    assert lf.prelu(x, lf.zeros([3])).shape == (None, 3)
    assert lf.complex(x, x).dtype == "complex64"


def test_second_order(backend):
    check_second_order(lf.tanh, [0.5, -1.5, 2.0])
    check_second_order(lf.sigmoid, [0.5, -1.5, 2.0])
    check_second_order(lf.erf, [0.5, -1.5, 1.0])
