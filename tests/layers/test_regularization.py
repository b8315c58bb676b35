"""Noise layers: identity at inference (checked against Keras 3), statistics in training,
seeded reproducibility, compiled steps: SpatialDropout1D, GaussianNoise, GaussianDropout,
AlphaDropout."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.regularization import (
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
)
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape

CASES = [("SpatialDropout1D", SpatialDropout1D, {"rate": 0.3}),
         ("GaussianNoise", GaussianNoise, {"stddev": 0.5}),
         ("GaussianDropout", GaussianDropout, {"rate": 0.3}),
         ("AlphaDropout", AlphaDropout, {"rate": 0.3})]
# NOTE: Keras 3's SpatialDropout get_config writes rate, seed, name and dtype only (no
# `trainable`); layerflow writes the base keys of every layer.
OURS_ONLY = {"SpatialDropout1D": {"trainable"}}

SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


@pytest.mark.parametrize("name,cls,kwargs", CASES)
def test_inference_is_identity_and_matches_keras(backend, rng, name, cls, kwargs):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    ours, theirs = cls(**kwargs), getattr(keras().layers, name)(**kwargs)
    check_layer(ours, theirs, x, training=False)
    np.testing.assert_array_equal(ours(lf.tensor(x)).numpy(), x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs, ours_only=OURS_ONLY.get(name, ()))
    check_symbolic_shape(cls(**kwargs), getattr(keras().layers, name)(**kwargs), (3, 4))
    symbolic = cls(**kwargs)(lf_input(shape=[3, 4]), training=True)
    assert symbolic.shape == (None, 3, 4)


@pytest.mark.parametrize("name,cls,kwargs", CASES)
def test_seeded_layers_are_reproducible(backend, name, cls, kwargs):
    x = lf.ones([4, 8, 6])
    a, b = cls(**kwargs, seed=11), cls(**kwargs, seed=11)
    ya, yb = a(x, training=True).numpy(), b(x, training=True).numpy()
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(ya, a(x, training=True).numpy())
    assert not np.array_equal(ya, x.numpy())


@pytest.mark.parametrize("name,cls,kwargs", CASES)
def test_compiled_training_step(backend, name, cls, kwargs):
    layer = cls(**kwargs, seed=2)
    step = lf.compile(lambda t: layer(t, training=True))
    y1, y2 = step(lf.ones([4, 8, 6])).numpy(), step(lf.ones([4, 8, 6])).numpy()
    assert y1.shape == (4, 8, 6) and not np.array_equal(y1, y2)


def test_spatial_dropout1d_statistics(backend):
    rate = 0.4
    y = SpatialDropout1D(rate)(lf.ones([100, 5, 60]), training=True).numpy()
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))  # whole channels
    assert abs(np.mean(y[:, 0, :] == 0) - rate) < 0.03
    np.testing.assert_allclose(y[y != 0], 1 / (1 - rate), rtol=1e-6)


def test_spatial_dropout1d_rank_and_arguments(backend):
    with pytest.raises(ShapeError, match=r"sd: expected input of rank 3.*\(None, 4\)"):
        SpatialDropout1D(0.5, name="sd")(lf_input(shape=[4]))
    for bad in [1.0, -0.5]:
        with pytest.raises(InvalidArgumentError, match="rate"):
            SpatialDropout1D(bad)


def test_gaussian_noise_statistics(backend, rng):
    x = rng.normal(size=(200, 100)).astype(np.float32)
    noise = GaussianNoise(0.3)(lf.tensor(x), training=True).numpy() - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.3) < 0.01
    for bad in [-0.1, "a"]:
        with pytest.raises(InvalidArgumentError, match="GaussianNoise: stddev"):
            GaussianNoise(bad)


def test_gaussian_dropout_statistics(backend):
    rate = 0.2
    y = GaussianDropout(rate)(lf.ones([200, 100]), training=True).numpy()
    assert abs(y.mean() - 1) < 0.01 and abs(y.std() - np.sqrt(rate / (1 - rate))) < 0.01
    for bad in [1.0, -0.1]:
        with pytest.raises(InvalidArgumentError, match="GaussianDropout: rate"):
            GaussianDropout(bad)


def test_alpha_dropout_statistics(backend, rng):
    rate = 0.3
    x = rng.normal(size=(200, 100)).astype(np.float32)
    y = AlphaDropout(rate)(lf.tensor(x), training=True).numpy()
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-5)
    assert abs(dropped.mean() - rate) < 0.02
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1) < 0.03  # mean 0 / variance 1 are kept


def test_alpha_dropout_noise_shape_and_arguments(backend):
    y = AlphaDropout(0.5, noise_shape=(None, 1), seed=1)(lf.ones([50, 4]), training=True).numpy()
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))
    for kwargs in [{"rate": 1.0}, {"rate": 0.5, "noise_shape": 3},
                   {"rate": 0.5, "seed": "s"}]:
        with pytest.raises(InvalidArgumentError, match="AlphaDropout"):
            AlphaDropout(**kwargs)
