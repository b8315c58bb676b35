"""Activation layers against Keras 3 (ReLU, LeakyReLU, ELU, PReLU, Softmax) and, for
ThresholdedReLU (TF.js; not in Keras 3), against its NumPy formula."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.activations import (
    ELU,
    LeakyReLU,
    PReLU,
    ReLU,
    Softmax,
    ThresholdedReLU,
)
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer


def _x(rng, *shape):
    # NOTE: away from the kinks (0, thresholds, max values) so gradients are well defined.
    x = rng.normal(size=shape).astype(np.float32) * 2
    return np.where(np.abs(x) < 0.05, 0.3, x).astype(np.float32)


def _full_check(ours, theirs, x):
    check_layer(ours, keras_ref_layer(theirs), x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 1.0}, {"negative_slope": 0.1},
                                    {"threshold": 0.5}, {"max_value": 6.0},
                                    {"max_value": 2.5, "negative_slope": 0.2, "threshold": 0.7}])
def test_relu_matches_keras(backend, rng, kwargs):
    _full_check(ReLU(**kwargs), keras().layers.ReLU(**kwargs), _x(rng, 3, 4))
    check_symbolic_shape(ReLU(**kwargs), keras().layers.ReLU(**kwargs), (2, 4))


@pytest.mark.parametrize("kwargs", [{"max_value": -1.0}, {"negative_slope": -0.1},
                                    {"threshold": -1}, {"negative_slope": None}])
def test_relu_bad_arguments(backend, kwargs):
    with pytest.raises(InvalidArgumentError, match="ReLU"):
        ReLU(**kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"negative_slope": 0.05}])
def test_leaky_relu_matches_keras(backend, rng, kwargs):
    _full_check(LeakyReLU(**kwargs), keras().layers.LeakyReLU(**kwargs), _x(rng, 3, 4))
    check_symbolic_shape(LeakyReLU(**kwargs), keras().layers.LeakyReLU(**kwargs), (4,))


def test_leaky_relu_accepts_alpha(backend, rng):
    layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    config = layer.get_config()
    assert "alpha" not in config and config["negative_slope"] == 0.1
    check_layer(layer, keras_ref_layer(keras().layers.LeakyReLU(negative_slope=0.1)),
                _x(rng, 2, 3))
    with pytest.raises(InvalidArgumentError, match="LeakyReLU"):
        LeakyReLU(-0.5)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_matches_keras(backend, rng, alpha):
    _full_check(ELU(alpha), keras().layers.ELU(alpha), _x(rng, 3, 4))
    check_symbolic_shape(ELU(alpha), keras().layers.ELU(alpha), (4,))
    with pytest.raises(InvalidArgumentError, match="ELU"):
        ELU("a")


@pytest.mark.parametrize("kwargs,shape", [({}, (2, 3)), ({"shared_axes": [1, 2]}, (2, 3, 4, 2)),
                                          ({"shared_axes": 1}, (2, 3, 4)),
                                          ({"alpha_initializer": "random_uniform"}, (2, 3, 4))])
def test_prelu_matches_keras(backend, rng, kwargs, shape):
    _full_check(PReLU(**kwargs), keras().layers.PReLU(**kwargs), _x(rng, *shape))
    check_symbolic_shape(PReLU(**kwargs), keras().layers.PReLU(**kwargs), shape[1:])


def test_prelu_weight_shape_and_errors(backend):
    layer = PReLU(shared_axes=[1, 2], name="pr")
    layer(lf.ones([1, 3, 4, 5]))
    assert [w.shape for w in layer.weights] == [(1, 1, 5)]
    with pytest.raises(ShapeError, match=r"pr: built for slopes of shape \(1, 1, 5\)"):
        layer(lf.ones([1, 3, 4, 6]))
    with pytest.raises(ShapeError, match=r"pr2: shared axis 3 is out of range"):
        PReLU(shared_axes=[3], name="pr2")(lf_input(shape=[4]))
    with pytest.raises(ShapeError, match=r"pr3: .*must be known"):
        PReLU(name="pr3")(lf_input(shape=[None, 4]))
    with pytest.raises(InvalidArgumentError, match="shared_axes"):
        PReLU(shared_axes=[0])


@pytest.mark.parametrize("axis,shape", [(-1, (2, 5)), (1, (2, 3, 4)), ([1, 2], (2, 3, 4))])
def test_softmax_matches_keras(backend, rng, axis, shape):
    _full_check(Softmax(axis), keras().layers.Softmax(axis), _x(rng, *shape))
    check_symbolic_shape(Softmax(axis), keras().layers.Softmax(axis), shape[1:])


def test_softmax_mask_matches_keras(backend, rng):
    x = _x(rng, 2, 4)
    mask = np.array([[True, True, False, True], [False, False, False, False]])
    ours = Softmax()(lf.tensor(x), mask=lf.tensor(mask)).numpy()
    theirs = np.asarray(keras().layers.Softmax()(x, mask=mask))
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert ours[0, 2] == 0 and np.all(ours[1] == 0)


def test_softmax_bad_axis(backend):
    with pytest.raises(InvalidArgumentError, match="Softmax: axis"):
        Softmax(1.5)
    with pytest.raises(ShapeError, match=r"sm: axis 2 is out of range .*\(None, 3\)"):
        Softmax(2, name="sm")(lf_input(shape=[3]))


# -- ThresholdedReLU (TF.js; Keras 3 dropped it): checked against x * (x > theta) ----------
@pytest.mark.parametrize("theta", [0.0, 1.0, 0.25])
def test_thresholded_relu_formula_and_gradient(backend, rng, theta):
    x = _x(rng, 3, 5)
    layer = ThresholdedReLU(theta)
    xt = lf.tensor(x)
    with lf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        total = lf.sum(y)
    np.testing.assert_allclose(y.numpy(), x * (x > theta))
    np.testing.assert_allclose(tape.gradient(total, xt).numpy(), (x > theta).astype(np.float32))
    check_config_round_trip(layer, x)
    assert set(layer.get_config()) == {"name", "trainable", "dtype", "theta"}
    assert lf_input(shape=[2, 5]).shape == ThresholdedReLU()(lf_input(shape=[2, 5])).shape
    with pytest.raises(InvalidArgumentError, match="ThresholdedReLU: theta"):
        ThresholdedReLU(-1.0)
