"""Core layers against Keras 3: Dense, Activation, Dropout, Flatten, Reshape, Permute,
RepeatVector, Masking."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.base import Layer
from layerflow.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from layerflow.layers.symbolic import input as lf_input
from layerflow.models.model import model as lf_model
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer


def _x(rng, *shape):
    return rng.normal(size=shape).astype(np.float32)


def _full_check(lf_layer, keras_layer, x, **kwargs):
    check_layer(lf_layer, keras_ref_layer(keras_layer), x, **kwargs)
    check_config_round_trip(lf_layer, x)
    check_config_keys(lf_layer, keras_layer)


# -- Dense ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"units": 3}, {"units": 2, "activation": "tanh"},
                                    {"units": 4, "use_bias": False, "activation": "relu"}])
def test_dense_matches_keras(backend, rng, kwargs):
    _full_check(Dense(**kwargs), keras().layers.Dense(**kwargs), _x(rng, 4, 5))
    check_layer(Dense(**kwargs), keras().layers.Dense(**kwargs), _x(rng, 2, 3, 5))
    check_symbolic_shape(Dense(**kwargs), keras().layers.Dense(**kwargs), (3, 5))


# -- Activation ------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "tanh", "softmax", "sigmoid", "linear"])
def test_activation_matches_keras(backend, rng, activation):
    _full_check(Activation(activation), keras().layers.Activation(activation), _x(rng, 3, 4))
    check_symbolic_shape(Activation(activation), keras().layers.Activation(activation), (2, 4))


def test_activation_bad_name(backend):
    with pytest.raises(lf.errors.LayerflowError, match="nope"):
        Activation("nope")


# -- Dropout ---------------------------------------------------------------------------------------
def test_dropout_inference_is_identity_and_matches_keras(backend, rng):
    x = _x(rng, 3, 4)
    _full_check(Dropout(0.5), keras().layers.Dropout(0.5), x)
    np.testing.assert_array_equal(Dropout(0.5)(lf.tensor(x)).numpy(), x)
    np.testing.assert_array_equal(Dropout(0.5)(lf.tensor(x), training=False).numpy(), x)
    check_config_keys(Dropout(0.2, noise_shape=(None, 1), seed=1),
                      keras().layers.Dropout(0.2, noise_shape=(None, 1), seed=1))
    check_symbolic_shape(Dropout(0.3), keras().layers.Dropout(0.3), (2, 4))


@pytest.mark.parametrize("rate", [0.25, 0.6])
def test_dropout_training_statistics(backend, rate):
    x = np.full((200, 100), 2.0, np.float32)
    y = Dropout(rate)(lf.tensor(x), training=True).numpy()
    dropped = np.mean(y == 0)
    assert abs(dropped - rate) < 0.02
    np.testing.assert_allclose(y[y != 0], 2.0 / (1 - rate), rtol=1e-6)
    assert abs(y.mean() - 2.0) < 0.1  # expectation is kept


def test_dropout_seeded_is_reproducible(backend):
    x = lf.ones([8, 16])
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    first_a, first_b = a(x, training=True).numpy(), b(x, training=True).numpy()
    np.testing.assert_array_equal(first_a, first_b)
    second_a, second_b = a(x, training=True).numpy(), b(x, training=True).numpy()
    np.testing.assert_array_equal(second_a, second_b)
    assert not np.array_equal(first_a, second_a)  # a new mask per call
    lf.set_seed(3)
    c = Dropout(0.5)(x, training=True).numpy()
    lf.set_seed(3)
    np.testing.assert_array_equal(Dropout(0.5)(x, training=True).numpy(), c)


def test_dropout_noise_shape(backend):
    y = Dropout(0.5, noise_shape=(None, 1, 6), seed=2)(lf.ones([4, 5, 6]), training=True).numpy()
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
    assert 0 < np.mean(y == 0) < 1
    with pytest.raises(ShapeError, match="noise_shape"):
        Dropout(0.5, noise_shape=(None, 2, 6))(lf.ones([4, 5, 6]), training=True)


def test_dropout_in_compiled_step(backend):
    layer = Dropout(0.5, seed=1)
    step = lf.compile(lambda x: layer(x, training=True))
    y1, y2 = step(lf.ones([64])).numpy(), step(lf.ones([64])).numpy()
    for y in (y1, y2):
        assert set(np.unique(y)) <= {0.0, 2.0} and 0 < np.mean(y == 0) < 1
    assert not np.array_equal(y1, y2)


def test_dropout_gradient_masks_like_output(backend):
    x = lf.tensor(np.arange(1, 41, dtype=np.float32))
    layer = Dropout(0.5, seed=4)
    with lf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        total = lf.sum(y)
    g = tape.gradient(total, x).numpy()
    np.testing.assert_allclose(g, (y.numpy() != 0) * 2.0)


@pytest.mark.parametrize("kwargs", [{"rate": 1.0}, {"rate": -0.1}, {"rate": "a"},
                                    {"rate": 0.5, "seed": 1.5},
                                    {"rate": 0.5, "noise_shape": (0, 1)}])
def test_dropout_bad_arguments(backend, kwargs):
    with pytest.raises(InvalidArgumentError, match="Dropout"):
        Dropout(**kwargs)


# -- Flatten ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_flatten_matches_keras(backend, rng, data_format):
    x = _x(rng, 2, 3, 4, 5)
    _full_check(Flatten(data_format), keras().layers.Flatten(data_format), x)
    check_symbolic_shape(Flatten(data_format), keras().layers.Flatten(data_format), (3, 4, 5))
    check_layer(Flatten(), keras_ref_layer(keras().layers.Flatten()), _x(rng, 2, 3))


def test_flatten_bad_arguments(backend):
    with pytest.raises(InvalidArgumentError, match="data_format"):
        Flatten("nhwc")
    with pytest.raises(ShapeError, match=r"flatten.*rank >= 1"):
        Flatten(name="flatten_bad")(lf.scalar(1.0))


# -- Reshape ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", [(3, 2), (-1, 2), (2, 1, 3)])
def test_reshape_matches_keras(backend, rng, target):
    x = _x(rng, 2, 6)
    _full_check(Reshape(target), keras().layers.Reshape(target), x)
    check_symbolic_shape(Reshape(target), keras().layers.Reshape(target), (6,))


def test_reshape_bad_arguments_and_shapes(backend):
    for bad in [(0, 2), (-1, -1), "ab", (2.0,)]:
        with pytest.raises(InvalidArgumentError, match="Reshape"):
            Reshape(bad)
    with pytest.raises(ShapeError, match=r"reshape_bad: cannot reshape input shape \(None, 6\)"):
        Reshape((4,), name="reshape_bad")(lf_input(shape=[6]))
    with pytest.raises(ShapeError, match="cannot reshape"):
        Reshape((-1, 4))(lf.ones([2, 6]))


# -- Permute ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dims,shape", [((2, 1), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5))])
def test_permute_matches_keras(backend, rng, dims, shape):
    _full_check(Permute(dims), keras().layers.Permute(dims), _x(rng, *shape))
    check_symbolic_shape(Permute(dims), keras().layers.Permute(dims), shape[1:])


def test_permute_bad_arguments_and_shapes(backend):
    for bad in [(1, 3), (0, 1), 2]:
        with pytest.raises(InvalidArgumentError, match="Permute"):
            Permute(bad)
    with pytest.raises(ShapeError, match=r"permute_bad: expected input of rank 3.*\(None, 4\)"):
        Permute((2, 1), name="permute_bad")(lf_input(shape=[4]))


# -- RepeatVector ----------------------------------------------------------------------------------
def test_repeat_vector_matches_keras(backend, rng):
    _full_check(RepeatVector(3), keras().layers.RepeatVector(3), _x(rng, 2, 4))
    check_symbolic_shape(RepeatVector(3), keras().layers.RepeatVector(3), (4,))


def test_repeat_vector_bad_arguments_and_shapes(backend):
    for bad in [0, -1, 2.0, True]:
        with pytest.raises(InvalidArgumentError, match="RepeatVector"):
            RepeatVector(bad)
    with pytest.raises(ShapeError, match=r"rv: expected input of rank 2.*\(None, 2, 3\)"):
        RepeatVector(2, name="rv")(lf_input(shape=[2, 3]))


# -- Masking ---------------------------------------------------------------------------------------
def _padded(rng):
    x = _x(rng, 2, 4, 3)
    x[0, 2:] = 0.0
    x[1, 0] = 0.0
    x[1, 1, 0] = 0.0  # one zero feature does not mask the step
    return x


@pytest.mark.parametrize("mask_value", [0.0, 1.5])
def test_masking_matches_keras(backend, rng, mask_value):
    x = _padded(rng)
    x[x == 0.0] = mask_value
    ours, theirs = Masking(mask_value), keras().layers.Masking(mask_value)
    _full_check(ours, theirs, x)
    np.testing.assert_array_equal(ours.compute_mask(lf.tensor(x)).numpy(),
                                  np.asarray(theirs.compute_mask(x, None)))
    check_symbolic_shape(Masking(mask_value), keras().layers.Masking(mask_value), (4, 3))


class _MaskRecorder(Layer):
    """Test layer: records the mask it is called with."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = None

    def call(self, inputs, mask=None):
        self.seen = mask
        return inputs


def test_masking_mask_reaches_later_layers(backend, rng):
    x = _padded(rng)
    inp = lf_input(shape=[4, 3])
    recorder = _MaskRecorder()
    out = recorder(Activation("linear")(Masking()(inp)))
    lf_model(inputs=inp, outputs=out)(lf.tensor(x))
    np.testing.assert_array_equal(recorder.seen.numpy(), np.any(x != 0, axis=-1))
