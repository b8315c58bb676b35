"""BatchNormalization and LayerNormalization against Keras 3: inference and training outputs,
gradients, the moving statistics after a training call, masks, compiled steps, errors."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, NotSupportedError, ShapeError
from layerflow.layers.normalization import BatchNormalization, LayerNormalization
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer


def _x(rng, *shape):
    return (rng.normal(size=shape) * 2 + 0.5).astype(np.float32)


def _randomize(layer, x, rng):
    """Build ``layer`` on ``x`` and give it random weights (variances positive)."""
    layer(lf.tensor(x))
    layer.set_weights([rng.uniform(0.5, 1.5, size=w.shape).astype(np.float32)
                       if "variance" in w.name else
                       rng.normal(size=w.shape).astype(np.float32) for w in layer.weights])


BN_CASES = [({}, (6, 3)), ({"axis": 1}, (4, 3, 2, 2)), ({"axis": 2}, (4, 3, 5)),
            ({"center": False}, (5, 3)), ({"scale": False, "epsilon": 0.1}, (5, 4)),
            ({"center": False, "scale": False, "momentum": 0.5}, (5, 2, 3))]


@pytest.mark.parametrize("kwargs,shape", BN_CASES)
@pytest.mark.parametrize("training", [False, True])
def test_batch_norm_matches_keras(backend, rng, kwargs, shape, training):
    x = _x(rng, *shape)
    ours, theirs = BatchNormalization(**kwargs), keras().layers.BatchNormalization(**kwargs)
    _randomize(ours, x, rng)
    check_layer(ours, theirs, x, training=training)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)
    check_symbolic_shape(BatchNormalization(**kwargs), keras().layers.BatchNormalization(**kwargs),
                         shape[1:])


@pytest.mark.parametrize("kwargs,shape", BN_CASES)
def test_batch_norm_moving_statistics_match_keras(backend, rng, kwargs, shape):
    ours, theirs = BatchNormalization(**kwargs), keras().layers.BatchNormalization(**kwargs)
    x = _x(rng, *shape)
    _randomize(ours, x, rng)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    for _ in range(2):
        xs = _x(rng, *shape)
        got = ours(lf.tensor(xs), training=True).numpy()
        want = np.asarray(theirs(xs, training=True))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(ours.moving_mean.numpy(), np.asarray(theirs.moving_mean),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.moving_variance.numpy(),
                                   np.asarray(theirs.moving_variance), rtol=1e-5, atol=1e-6)
    inference = ours(lf.tensor(x)).numpy()
    np.testing.assert_allclose(inference, np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)


def test_batch_norm_weight_order(backend):
    layer = BatchNormalization(name="bn")
    layer(lf.ones([2, 3]))
    assert [w.name for w in layer.weights] == ["bn/gamma", "bn/beta", "bn/moving_mean",
                                               "bn/moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["bn/gamma", "bn/beta"]


def test_batch_norm_masked_training_matches_keras(backend, rng):
    x = _x(rng, 3, 4, 2)
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]], bool)
    ours, theirs = BatchNormalization(momentum=0.5), keras().layers.BatchNormalization(momentum=0.5)
    _randomize(ours, x, rng)
    theirs(x)
    theirs.set_weights(ours.get_weights())
    got = ours(lf.tensor(x), training=True, mask=lf.tensor(mask)).numpy()
    want = np.asarray(theirs(x, training=True, mask=mask))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.moving_mean.numpy(), np.asarray(theirs.moving_mean),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.moving_variance.numpy(), np.asarray(theirs.moving_variance),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ShapeError, match="one dimension less"):
        ours(lf.tensor(x), training=True, mask=lf.tensor(mask[:, :, None]))


def test_frozen_batch_norm_uses_moving_statistics(backend, rng):
    x = _x(rng, 5, 3)
    layer = BatchNormalization()
    _randomize(layer, x, rng)
    before = layer.get_weights()
    inference = layer(lf.tensor(x)).numpy()
    layer.trainable = False
    np.testing.assert_allclose(layer(lf.tensor(x), training=True).numpy(), inference)
    for a, b in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_updates_inside_compiled_step(backend, rng):
    x = _x(rng, 8, 3)
    eager, compiled = BatchNormalization(momentum=0.8), BatchNormalization(momentum=0.8)
    eager(lf.tensor(x))
    compiled(lf.tensor(x))
    step = lf.compile(lambda t: compiled(t, training=True), variables=compiled.weights)
    for _ in range(3):
        want = eager(lf.tensor(x), training=True).numpy()
        got = step(lf.tensor(x)).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(compiled.moving_mean.numpy(), eager.moving_mean.numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(compiled.moving_variance.numpy(), eager.moving_variance.numpy(),
                               rtol=1e-5)
    assert not np.allclose(compiled.moving_mean.numpy(), 0)


def test_batch_norm_errors(backend):
    for kwargs in [{"momentum": 1.5}, {"epsilon": -1.0}, {"axis": 1.0}]:
        with pytest.raises(InvalidArgumentError, match="BatchNormalization"):
            BatchNormalization(**kwargs)
    with pytest.raises(NotSupportedError, match="renorm"):
        BatchNormalization(renorm=True)
    with pytest.raises(ShapeError, match=r"bn_a: axis 3 is out of range .*\(None, 4\)"):
        BatchNormalization(axis=3, name="bn_a")(lf_input(shape=[4]))
    with pytest.raises(ShapeError, match=r"bn_b: the size of axis -1 must be known"):
        BatchNormalization(name="bn_b")(lf_input(shape=[None]))
    layer = BatchNormalization(name="bn_c")
    layer(lf.ones([2, 3]))
    with pytest.raises(ShapeError, match=r"bn_c: built for inputs of rank 2 with 3 features"):
        layer(lf.ones([2, 4]))


# -- LayerNormalization ----------------------------------------------------------------------------
LN_CASES = [({}, (3, 5)), ({"axis": [1, 2]}, (2, 3, 4)), ({"axis": 1}, (2, 3, 4)),
            ({"axis": -2, "epsilon": 0.1}, (2, 3, 4)), ({"center": False}, (3, 4)),
            ({"scale": False}, (3, 4)), ({"axis": (2, 1)}, (2, 3, 2, 2))]


@pytest.mark.parametrize("kwargs,shape", LN_CASES)
def test_layer_norm_matches_keras(backend, rng, kwargs, shape):
    x = _x(rng, *shape)
    ours, theirs = LayerNormalization(**kwargs), keras().layers.LayerNormalization(**kwargs)
    _randomize(ours, x, rng)
    check_layer(ours, keras_ref_layer(theirs), x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)
    check_symbolic_shape(LayerNormalization(**kwargs),
                         keras().layers.LayerNormalization(**kwargs), shape[1:])


@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`:UserWarning")
def test_layer_norm_rms_scaling_matches_keras(backend, rng):
    x = _x(rng, 3, 4)
    ours = LayerNormalization(rms_scaling=True)
    theirs = keras().layers.LayerNormalization(rms_scaling=True)
    _randomize(ours, x, rng)
    assert len(ours.weights) == 1
    check_layer(ours, keras_ref_layer(theirs), x)


def test_layer_norm_errors(backend):
    for kwargs in [{"axis": 1.5}, {"axis": []}, {"epsilon": -1}]:
        with pytest.raises(InvalidArgumentError, match="LayerNormalization"):
            LayerNormalization(**kwargs)
    with pytest.raises(ShapeError, match=r"ln_a: axis 2 is out of range .*\(None, 4\)"):
        LayerNormalization(axis=2, name="ln_a")(lf_input(shape=[4]))
    with pytest.raises(ShapeError, match=r"ln_b: the normalized axes \[1\] must have known"):
        LayerNormalization(name="ln_b")(lf_input(shape=[None]))
    layer = LayerNormalization(name="ln_c")
    layer(lf.ones([2, 3]))
    with pytest.raises(ShapeError, match=r"ln_c: built for inputs of rank 2"):
        layer(lf.ones([2, 4]))
