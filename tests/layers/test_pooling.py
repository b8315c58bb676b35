"""Pooling layers against Keras 3: Max/AveragePooling1D/2D/3D, GlobalMax/GlobalAverage
Pooling1D/2D (keepdims, channels_first, GlobalAveragePooling1D's mask)."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers import pooling
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer

CASES = [
    ("MaxPooling1D", dict(), (6, 2)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (7, 2)),
    ("MaxPooling1D", dict(pool_size=2, strides=1, data_format="channels_first"), (2, 5)),
    ("MaxPooling2D", dict(), (4, 5, 2)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (5, 6, 2)),
    ("MaxPooling2D", dict(pool_size=(2, 3), strides=(1, 2), data_format="channels_first"),
     (2, 4, 5)),
    ("MaxPooling3D", dict(), (4, 4, 3, 2)),
    ("MaxPooling3D", dict(pool_size=2, strides=1, padding="same",
                          data_format="channels_first"), (2, 3, 3, 2)),
    ("AveragePooling1D", dict(pool_size=2), (6, 2)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (6, 2)),
    ("AveragePooling2D", dict(pool_size=2), (4, 5, 2)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (5, 5, 2)),
    ("AveragePooling2D", dict(pool_size=(2, 2), strides=1, padding="same",
                              data_format="channels_first"), (2, 3, 4)),
    ("AveragePooling3D", dict(pool_size=2, strides=(1, 2, 1), padding="same"), (3, 4, 3, 2)),
    ("GlobalMaxPooling1D", dict(), (5, 3)),
    ("GlobalMaxPooling1D", dict(keepdims=True, data_format="channels_first"), (3, 5)),
    ("GlobalMaxPooling2D", dict(), (4, 3, 2)),
    ("GlobalMaxPooling2D", dict(keepdims=True, data_format="channels_first"), (2, 4, 3)),
    ("GlobalAveragePooling1D", dict(), (5, 3)),
    ("GlobalAveragePooling1D", dict(keepdims=True, data_format="channels_first"), (3, 5)),
    ("GlobalAveragePooling2D", dict(), (4, 3, 2)),
    ("GlobalAveragePooling2D", dict(keepdims=True, data_format="channels_first"), (2, 4, 3)),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _x(rng, shape):
    return rng.normal(size=(2,) + tuple(shape)).astype(np.float32)


@pytest.mark.parametrize("name, kwargs, sample", CASES, ids=IDS)
def test_matches_keras(backend, rng, name, kwargs, sample):
    """Outputs and input gradients as Keras 3's; config round trip and keys."""
    x = _x(rng, sample)
    ours, theirs = getattr(pooling, name)(**kwargs), getattr(keras().layers, name)(**kwargs)
    check_layer(ours, keras_ref_layer(theirs), x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)
    assert ours.get_config() == {**theirs.get_config(), "dtype": "float32",
                                 "name": ours.name} | _lists(theirs.get_config())


def _lists(config):
    return {k: list(v) for k, v in config.items() if isinstance(v, tuple)}


@pytest.mark.parametrize("name, kwargs, sample", CASES, ids=IDS)
def test_symbolic_shape_matches_keras(backend, name, kwargs, sample):
    check_symbolic_shape(getattr(pooling, name)(**kwargs),
                         getattr(keras().layers, name)(**kwargs), sample)


def test_max_pooling_ties_route_gradient_once(backend):
    """Equal values in a window: the gradient goes to one of them (TF's first maximum)."""
    x = lf.ones([1, 2, 2, 1])
    g = lf.grad(lambda t: lf.sum(pooling.MaxPooling2D()(t)))(x)
    assert float(lf.sum(g).item()) == 1.0


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling1d_mask(backend, rng, data_format, keepdims):
    x = _x(rng, (5, 3))
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 2, 1))
    mask = np.array([[True, True, False, True, False], [True, False, False, False, False]])
    layer = pooling.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    got = layer(lf.tensor(x), mask=lf.tensor(mask)).numpy()
    want = keras().layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)(
        x, mask=mask)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-6, atol=1e-6)
    assert layer.supports_masking and layer.compute_mask(lf.tensor(x), lf.tensor(mask)) is None


def test_global_average_pooling1d_mask_gradient(backend, rng):
    """Masked steps get no gradient; the others 1 / (number of kept steps)."""
    x = lf.tensor(_x(rng, (4, 2)))
    mask = lf.tensor(np.array([[True, False, True, False], [True, True, True, True]]))
    layer = pooling.GlobalAveragePooling1D()
    g = lf.grad(lambda t: lf.sum(layer(t, mask=mask)))(x).numpy()
    want = np.array([[0.5, 0, 0.5, 0], [0.25] * 4], np.float32)[:, :, None].repeat(2, axis=2)
    np.testing.assert_allclose(g, want, rtol=1e-6)


def test_global_average_pooling1d_bad_mask(backend):
    with pytest.raises(ShapeError, match="gap.*mask"):
        pooling.GlobalAveragePooling1D(name="gap")(lf.zeros([2, 5, 3]),
                                                   mask=lf.ones([2, 4], "bool"))


def test_strides_default_to_pool_size(backend):
    layer = pooling.MaxPooling2D((2, 3))
    assert layer.strides == (2, 3)
    assert layer.get_config()["strides"] == [2, 3]


def test_average_pooling_requires_pool_size(backend):
    with pytest.raises(InvalidArgumentError, match="pool_size"):
        pooling.AveragePooling2D()


@pytest.mark.parametrize("make, match", [
    (lambda: pooling.MaxPooling2D(0), "pool_size"),
    (lambda: pooling.MaxPooling2D((2, 2, 2)), "pool_size"),
    (lambda: pooling.MaxPooling1D(2, strides=0), "strides"),
    (lambda: pooling.AveragePooling2D(2, padding="causal"), "padding"),
    (lambda: pooling.AveragePooling3D(2, data_format="NDHWC"), "data_format"),
    (lambda: pooling.GlobalMaxPooling2D(data_format="first"), "data_format"),
    (lambda: pooling.GlobalAveragePooling1D(bogus=1), "bogus"),
])
def test_bad_arguments(backend, make, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make()


@pytest.mark.parametrize("layer, shape, match", [
    (lambda: pooling.MaxPooling2D(name="mp"), (1, 4, 4), "mp.*rank 4"),
    (lambda: pooling.AveragePooling1D(2, name="ap"), (1, 4, 4, 1), "ap.*rank 3"),
    (lambda: pooling.MaxPooling3D(name="m3"), (1, 4, 4, 1), "m3.*rank 5"),
    (lambda: pooling.MaxPooling2D(3, name="small"), (1, 2, 4, 1), "small.*larger"),
    (lambda: pooling.GlobalMaxPooling1D(name="g1"), (2, 3), "g1.*rank 3"),
    (lambda: pooling.GlobalAveragePooling2D(name="g2"), (2, 3, 3), "g2.*rank 4"),
])
def test_bad_input_shapes(backend, layer, shape, match):
    with pytest.raises(ShapeError, match=match):
        layer()(lf.zeros(list(shape)))


def test_bad_symbolic_input(backend):
    with pytest.raises(ShapeError, match="larger"):
        pooling.MaxPooling2D(4)(lf_input(shape=[3, 8, 1]))
    assert pooling.MaxPooling2D(2)(lf_input(shape=[None, 8, 1])).shape == (None, None, 4, 1)
