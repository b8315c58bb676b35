"""activations.py against Keras 3 (jax backend): values, names, get/serialize."""

from __future__ import annotations

import os

import numpy as np
import pytest

import layerflow as lf
from layerflow import activations, serialization
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.errors import InvalidArgumentError

os.environ.setdefault("KERAS_BACKEND", "jax")

X = np.array([[-7.5, -3.0, -1.7, -1.0, -0.45, -0.1, 0.0],
              [0.1, 0.3, 0.8, 1.0, 2.2, 3.0, 6.5]], np.float32)
TOL = 1e-6

# (name, kwargs): every Keras 3 activation except sparsemax (see test_sparsemax).
CASES = [
    ("linear", {}), ("relu", {}), ("relu", {"negative_slope": 0.1}),
    ("relu", {"max_value": 5.0}), ("relu", {"threshold": 1.0}),
    ("relu", {"negative_slope": 0.1, "max_value": 5.0, "threshold": 1.0}),
    ("relu", {"max_value": 6}), ("relu6", {}), ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.3}), ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}),
    ("celu", {}), ("celu", {"alpha": 2.0}), ("softplus", {}), ("softsign", {}),
    ("sigmoid", {}), ("hard_sigmoid", {}), ("log_sigmoid", {}), ("sparse_sigmoid", {}),
    ("tanh", {}), ("hard_tanh", {}), ("tanh_shrink", {}), ("softmax", {}),
    ("softmax", {"axis": 0}), ("log_softmax", {}), ("log_softmax", {"axis": 0}),
    ("exponential", {}), ("silu", {}), ("swish", {}), ("gelu", {}),
    ("gelu", {"approximate": True}), ("mish", {}), ("hard_silu", {}), ("hard_swish", {}),
    ("glu", {}), ("glu", {"axis": 0}), ("squareplus", {}), ("squareplus", {"b": 1}),
    ("sparse_plus", {}), ("soft_shrink", {}), ("soft_shrink", {"threshold": 1.0}),
    ("hard_shrink", {}), ("hard_shrink", {"threshold": 1.0}),
    ("threshold", {"threshold": 0.5, "default_value": -1.0}),
]


def _keras():
    import keras

    return keras


def _input(name):
    # glu halves the axis: give it an even last axis.
    return X[:, :6] if name == "glu" else X


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_matches_keras(backend, name, kwargs):
    keras = _keras()
    x = _input(name)
    want = np.asarray(getattr(keras.activations, name)(x, **kwargs))
    got = activations.get(name)(lf.tensor(x), **kwargs)
    got = got.numpy() if isinstance(got, lf.Tensor) else np.asarray(got)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL, err_msg=name)


def test_every_keras_activation_is_registered():
    keras_names = set(_keras().activations.__dict__) & set(
        __import__("keras.src.activations", fromlist=["x"]).ALL_OBJECTS_DICT)
    for name in keras_names:
        assert activations.get(name) is not None


def test_sparsemax_is_the_simplex_projection(backend):
    # NOTE: Keras 3.15's sparsemax gives [0, 0, 0] for [1, 1.2, 1.4]; we follow the paper.
    x = np.array([[1.0, 1.2, 1.4], [3.0, 1.0, 0.5], [0.0, 0.0, 0.0]], np.float32)
    z = np.sort(x, axis=-1)[:, ::-1]
    cums = np.cumsum(z, axis=-1)
    ks = np.arange(1, 4)
    support = z - (cums - 1) / ks > 0
    k = support.sum(-1, keepdims=True)
    tau = (np.take_along_axis(cums, k - 1, -1) - 1) / k
    want = np.maximum(x - tau, 0)
    got = activations.sparsemax(lf.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(got.sum(-1), 1.0, atol=1e-6)
    got0 = activations.sparsemax(lf.tensor(x.T), axis=0).numpy()
    np.testing.assert_allclose(got0, want.T, atol=1e-6)
    # where the support is one element, Keras agrees
    one = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.testing.assert_allclose(activations.sparsemax(lf.tensor(one)).numpy(),
                               np.asarray(_keras().activations.sparsemax(one)), atol=1e-6)


def test_gelu_new_is_tfjs_tanh_form(backend):
    x = lf.tensor(X)
    want = 0.5 * X * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(activations.get("gelu_new")(x).numpy(), want, atol=1e-6)


@pytest.mark.parametrize("spelling,fn", [
    ("relu", activations.relu), ("ReLU", activations.relu), ("hardSigmoid",
                                                               activations.hard_sigmoid),
    ("hard_sigmoid", activations.hard_sigmoid), ("HardSigmoid", activations.hard_sigmoid),
    ("logSoftmax", activations.log_softmax), ("LogSoftmax", activations.log_softmax),
    ("swish", activations.silu), ("Swish", activations.silu), ("hardSwish",
                                                                activations.hard_silu),
    ("leakyRelu", activations.leaky_relu), ("gelu_new", activations.gelu_new),
    ("geluNew", activations.gelu_new), ("relu6", activations.relu6),
    ("softplus", activations.softplus), ("linear", activations.linear),
])
def test_get_every_spelling(spelling, fn):
    assert activations.get(spelling) is fn


def test_tfjs_activation_names_all_resolve():
    tfjs = ["elu", "hardSigmoid", "linear", "relu", "relu6", "selu", "sigmoid", "softmax",
            "softplus", "softsign", "tanh", "swish", "mish", "gelu", "gelu_new"]
    for name in tfjs:
        assert callable(activations.get(name))


def test_get_none_callable_and_config_dicts():
    assert activations.get(None) is activations.linear
    fn = lambda x: x  # noqa: E731
    assert activations.get(fn) is fn
    keras_fn = {"module": "keras.activations", "class_name": "function", "config": "relu",
                "registered_name": "function"}
    assert activations.get(keras_fn) is activations.relu
    assert activations.get({"class_name": "tanh", "config": {}}) is activations.tanh


def test_serialize_names():
    for name in ["relu", "elu", "softmax", "hard_sigmoid", "gelu", "linear", "sigmoid"]:
        assert activations.serialize(activations.get(name)) == name
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    assert activations.serialize(None) == "linear"
    assert activations.serialize("hardSigmoid") == "hard_sigmoid"
    # Keras writes the same names
    keras = _keras()
    for name in ["relu", "elu", "softmax", "hard_sigmoid", "gelu", "silu", "mish"]:
        assert keras.activations.serialize(keras.activations.get(name)) == \
            activations.serialize(activations.get(name))


def test_serialize_custom_function_needs_registration():
    def my_act(x):
        return x

    with pytest.raises(InvalidArgumentError, match="register"):
        activations.serialize(my_act)
    serialization.register("activation", "my_act_for_test", my_act)
    my_act.__name__ = "my_act_for_test"
    assert activations.serialize(my_act) == "my_act_for_test"
    assert activations.get("myActForTest") is my_act


def test_unknown_name_lists_valid_names():
    with pytest.raises(serialization.UnknownNameError, match="relu6") as info:
        activations.get("relux")
    assert "Did you mean" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidArgumentError):
        activations.get(3)


def test_int_input_and_symbolic(backend):
    assert activations.relu(lf.tensor([-1, 2])).dtype == "int32"
    assert activations.elu(lf.tensor([-1, 2])).dtype == "float32"
    assert activations.hard_tanh(lf.tensor([-3, 2])).array_sync() == [-1.0, 1.0]
    sym = SymbolicTensor((None, 4))
    for name in ["relu", "gelu", "mish", "softmax", "sparse_plus", "threshold"]:
        kwargs = {"threshold": 0.0, "default_value": 0.0} if name == "threshold" else {}
        out = activations.get(name)(sym, **kwargs)
        assert tuple(out.shape) == (None, 4), name


def test_gradients_flow(backend):
    x = lf.tensor(np.array([-1.3, -0.2, 0.4, 2.1], np.float32))
    for name in ["relu", "elu", "mish", "gelu", "sparse_plus", "soft_shrink", "celu"]:
        fn = activations.get(name)
        g = lf.grad(lambda t, f=fn: lf.sum(f(t)))(x)
        assert g.shape == (4,) and np.all(np.isfinite(g.numpy())), name
    g = lf.grad(lambda t: lf.sum(activations.relu(t, negative_slope=0.1, threshold=1.0)))(x)
    np.testing.assert_allclose(g.numpy(), [0.1, 0.1, 0.1, 1.0], atol=1e-6)
