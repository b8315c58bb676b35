"""constraints.py against Keras 3: projected weights, names, configs, errors."""

from __future__ import annotations

import os

import numpy as np
import pytest

import layerflow as lf
from layerflow import constraints as C
from layerflow import serialization
from layerflow.errors import InvalidArgumentError

os.environ.setdefault("KERAS_BACKEND", "jax")

W = np.array([[0.5, -1.25, 2.0], [-0.75, 0.1, -3.0], [1.5, 0.0, -0.2], [0.3, 0.9, -1.1]],
             np.float32)
K = np.linspace(-2, 2, 3 * 3 * 2 * 4, dtype=np.float32).reshape(3, 3, 2, 4)
ZERO_COL = np.array([[0.0, 1.0], [0.0, 2.0]], np.float32)


def _keras():
    import keras

    return keras


CASES = [
    ("MaxNorm", {}), ("MaxNorm", {"max_value": 1.0}), ("MaxNorm", {"axis": 1}),
    ("MaxNorm", {"max_value": 0.5, "axis": [0, 1, 2]}), ("NonNeg", {}), ("UnitNorm", {}),
    ("UnitNorm", {"axis": 1}), ("UnitNorm", {"axis": [0, 1, 2]}), ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5}),
    ("MinMaxNorm", {"min_value": 2.5, "max_value": 3.0, "axis": 1}),
    ("MinMaxNorm", {"min_value": 0.1, "max_value": 1.0, "axis": [0, 1, 2]}),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_keras(backend, name, kwargs):
    keras = _keras()
    axis = kwargs.get("axis", 0)
    for w in ([K] if isinstance(axis, list) else [W, ZERO_COL]):
        want = np.asarray(getattr(keras.constraints, name)(**kwargs)(w))
        got = getattr(C, name)(**kwargs)(lf.tensor(w))
        assert got.dtype == "float32" and got.shape == w.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6, err_msg=name)


def test_norm_properties(backend):
    out = C.MaxNorm(1.0)(lf.tensor(W)).numpy()
    assert (np.linalg.norm(out, axis=0) <= 1.0 + 1e-6).all()
    unit = C.UnitNorm()(lf.tensor(W)).numpy()
    np.testing.assert_allclose(np.linalg.norm(unit, axis=0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(C.UnitNorm()(lf.tensor(ZERO_COL)).numpy()[:, 0], 0.0)
    v = lf.variable(lf.tensor(W))
    assert C.NonNeg()(v).numpy().min() == 0.0


@pytest.mark.parametrize("spelling,cls", [
    ("max_norm", C.MaxNorm), ("MaxNorm", C.MaxNorm), ("maxNorm", C.MaxNorm),
    ("min_max_norm", C.MinMaxNorm), ("MinMaxNorm", C.MinMaxNorm), ("minMaxNorm", C.MinMaxNorm),
    ("non_neg", C.NonNeg), ("NonNeg", C.NonNeg), ("nonNeg", C.NonNeg),
    ("unit_norm", C.UnitNorm), ("UnitNorm", C.UnitNorm), ("unitNorm", C.UnitNorm),
])
def test_get_every_spelling(spelling, cls):
    assert type(C.get(spelling)) is cls
    assert type(C.get({"class_name": spelling, "config": {}})) is cls


def test_get_objects_and_callables():
    assert C.get(None) is None
    c = C.MaxNorm(3)
    assert C.get(c) is c
    assert type(C.get(C.NonNeg)) is C.NonNeg
    fn = lambda w: w  # noqa: E731
    assert C.get(fn) is fn
    with pytest.raises(InvalidArgumentError):
        C.get(2)


def test_factories():
    assert C.max_norm(3, 1) == C.MaxNorm(3, 1)
    assert C.max_norm({"maxValue": 3, "axis": 1}) == C.MaxNorm(3, 1)  # TF.js camelCase args
    assert C.min_max_norm({"minValue": 0.5}) == C.MinMaxNorm(0.5)
    assert C.unit_norm({"axis": 1}) == C.UnitNorm(1)
    assert C.non_neg() == C.NonNeg()


@pytest.mark.parametrize("name,kwargs", [
    ("MaxNorm", {"max_value": 3, "axis": 1}), ("NonNeg", {}), ("UnitNorm", {"axis": [0, 1]}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 2.0, "rate": 0.3, "axis": 1}),
])
def test_config_round_trip_and_keras_keys(name, kwargs):
    ours = getattr(C, name)(**kwargs)
    config = ours.get_config()
    assert type(ours).from_config(config) == ours
    assert C.get(C.serialize(ours)) == ours
    keras_obj = getattr(_keras().constraints, name)(**kwargs)
    assert config == keras_obj.get_config()
    assert C.get(_keras().constraints.serialize(keras_obj)) == ours


def test_tfjs_config():
    tfjs = {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}
    assert C.get(tfjs) == C.MaxNorm(2, 0)
    camel = {"class_name": "MinMaxNorm", "config": {"minValue": 0, "maxValue": 1, "rate": 1,
                                                    "axis": 0}}
    assert C.get(camel) == C.MinMaxNorm()


def test_bad_arguments():
    with pytest.raises(serialization.UnknownNameError, match="max_norm") as info:
        C.get("maxNrom")
    assert "Did you mean" in str(info.value)
    with pytest.raises(InvalidArgumentError, match="axis"):
        C.MaxNorm(axis="rows")
    with pytest.raises(InvalidArgumentError, match="max_value"):
        C.MinMaxNorm(min_value=2.0, max_value=1.0)
    with pytest.raises(InvalidArgumentError, match="config keys"):
        C.get({"class_name": "NonNeg", "config": {"axis": 0}})


def test_custom_constraint_registration(backend):
    class Clip1(C.Constraint):
        def __call__(self, w):
            return lf.clip_by_value(w, -1, 1)

    serialization.register_class(Clip1, package="TestCon")
    assert type(C.get({"class_name": "Clip1", "config": {}})) is Clip1
    assert C.get("TestCon>Clip1")(lf.tensor([-3.0, 0.5])).array_sync() == [-1.0, 0.5]
