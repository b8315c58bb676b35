"""regularizers.py against Keras 3: penalty values, names, configs, errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

import layerflow as lf
from layerflow import regularizers as R
from layerflow import serialization
from layerflow.errors import InvalidArgumentError, ShapeError

os.environ.setdefault("KERAS_BACKEND", "jax")

W = np.array([[0.5, -1.25, 2.0], [-0.75, 0.1, -3.0], [1.5, 0.0, -0.2], [0.3, 0.9, -1.1]],
             np.float32)


def _keras():
    import keras

    return keras


@pytest.mark.parametrize("name,kwargs", [
    ("L1", {}), ("L1", {"l1": 0.3}), ("L2", {}), ("L2", {"l2": 0.7}), ("L1L2", {}),
    ("L1L2", {"l1": 0.01}), ("L1L2", {"l2": 0.02}), ("L1L2", {"l1": 0.1, "l2": 0.2}),
    ("OrthogonalRegularizer", {}), ("OrthogonalRegularizer", {"factor": 0.5,
                                                              "mode": "columns"}),
])
def test_matches_keras(backend, name, kwargs):
    keras = _keras()
    # NOTE: a Keras tensor, not NumPy: keras.utils.normalize mishandles axis=0 on arrays.
    want = float(getattr(keras.regularizers, name)(**kwargs)(keras.ops.convert_to_tensor(W)))
    got = getattr(R, name)(**kwargs)(lf.tensor(W))
    assert got.shape == () and got.dtype == "float32"
    np.testing.assert_allclose(got.item(), want, rtol=1e-6, atol=1e-6)


def test_variable_and_float64(backend):
    v = lf.variable(lf.tensor(W))
    np.testing.assert_allclose(R.L2(0.5)(v).item(), 0.5 * float((W.astype(np.float64) ** 2)
                                                               .sum()), rtol=1e-6)
    assert R.L1()(lf.tensor(W, dtype="float64")).dtype == "float64"


def test_orthogonal_zero_row_has_finite_gradient(backend):
    w = lf.tensor(np.array([[0.0, 0.0], [1.0, 2.0], [2.0, -1.0]], np.float32))
    keras = _keras()
    want = float(keras.regularizers.OrthogonalRegularizer()(keras.ops.convert_to_tensor(w.numpy())))
    np.testing.assert_allclose(R.OrthogonalRegularizer()(w).item(), want, atol=1e-6)
    g = lf.grad(lambda t: R.OrthogonalRegularizer()(t))(w)
    assert np.isfinite(g.numpy()).all()


def test_gradient(backend):
    g = lf.grad(lambda w: R.L1L2(l1=0.1, l2=0.2)(w))(lf.tensor(W))
    np.testing.assert_allclose(g.numpy(), 0.1 * np.sign(W) + 0.4 * W, atol=1e-6)


@pytest.mark.parametrize("spelling,cls", [
    ("l1", R.L1), ("L1", R.L1), ("l2", R.L2), ("L2", R.L2), ("l1l2", R.L1L2),
    ("L1L2", R.L1L2), ("l1_l2", R.L1L2), ("orthogonal_regularizer", R.OrthogonalRegularizer),
    ("OrthogonalRegularizer", R.OrthogonalRegularizer),
    ("orthogonalRegularizer", R.OrthogonalRegularizer),
])
def test_get_every_spelling(spelling, cls):
    assert type(R.get(spelling)) is cls
    assert type(R.get({"class_name": spelling, "config": {}})) is cls


def test_get_objects_and_callables():
    assert R.get(None) is None
    reg = R.L2(0.1)
    assert R.get(reg) is reg
    assert type(R.get(R.L1)) is R.L1
    fn = lambda x: lf.sum(x)  # noqa: E731
    assert R.get(fn) is fn
    with pytest.raises(InvalidArgumentError):
        R.get(1.5)


def test_factories():
    assert R.l1() == R.L1(0.01) and R.l2(0.3) == R.L2(0.3)
    assert R.l1l2() == R.L1L2(0.01, 0.01)  # TF.js factory defaults
    assert R.l1l2({"l1": 0.2}) == R.L1L2(0.2, 0.01)
    assert R.l1({"l1": 0.2}) == R.L1(0.2)
    assert R.l1_l2(l1=0.1) == R.L1L2(0.1, 0.01)
    assert R.orthogonal_regularizer(0.1, "columns") == R.OrthogonalRegularizer(0.1, "columns")


@pytest.mark.parametrize("name,kwargs", [
    ("L1", {"l1": 0.25}), ("L2", {"l2": 0.5}), ("L1L2", {"l1": 0.25, "l2": 0.5}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
])
def test_config_round_trip_and_keras_keys(name, kwargs):
    ours = getattr(R, name)(**kwargs)
    config = ours.get_config()
    assert type(ours).from_config(config) == ours
    assert R.get(R.serialize(ours)) == ours
    keras_obj = getattr(_keras().regularizers, name)(**kwargs)
    assert config == keras_obj.get_config()
    assert R.get(_keras().regularizers.serialize(keras_obj)) == ours


def test_tfjs_config():
    assert R.get({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.001}}) == R.L1L2(0, 0.001)


def test_bad_arguments():
    with pytest.raises(serialization.UnknownNameError, match="l1") as info:
        R.get("l3")
    assert "Known:" in str(info.value)
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        R.L2(-0.1)
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        R.L1(float("nan"))
    with pytest.raises(InvalidArgumentError, match="rows"):
        R.OrthogonalRegularizer(mode="diagonal")
    with pytest.raises(ShapeError, match="rank 2"):
        R.OrthogonalRegularizer()(lf.ones([2, 2, 2]))
    with pytest.raises(InvalidArgumentError, match="config keys"):
        R.get({"class_name": "L2", "config": {"l3": 1}})


def test_dense_layer_losses(backend):
    from layerflow.layers.core import Dense

    layer = Dense(2, kernel_initializer="ones", kernel_regularizer="l2")
    layer(lf.ones([1, 3]))
    np.testing.assert_allclose([float(x.item()) for x in layer.losses], [0.01 * 6], rtol=1e-6)


def test_custom_regularizer_registration(backend):
    class Sum(R.Regularizer):
        def __call__(self, x):
            return lf.sum(x)

    serialization.register_class(Sum, package="TestReg")
    assert type(R.get({"class_name": "Sum", "config": {}})) is Sum
    assert R.get("TestReg>Sum")(lf.tensor([1.0, 2.0])).item() == 3.0
