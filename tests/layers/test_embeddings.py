"""Embedding against Keras 3: lookups, the gradient of the table, mask_zero, config."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError
from layerflow.layers.embeddings import Embedding
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape


def _ids(rng, *shape, high=6):
    return rng.integers(0, high, size=shape).astype(np.int32)


@pytest.mark.parametrize("shape", [(3,), (2, 4), (2, 3, 2)])
def test_embedding_matches_keras(backend, rng, shape):
    ids = _ids(rng, *shape)
    ours, theirs = Embedding(6, 3), keras().layers.Embedding(6, 3)
    check_layer(ours, theirs, ids, int_input=True)
    check_config_round_trip(ours, ids)
    check_config_keys(ours, theirs)
    check_symbolic_shape(Embedding(6, 3), keras().layers.Embedding(6, 3), shape[1:])


def test_embedding_default_initializer_is_keras_uniform(backend):
    layer = Embedding(50, 40)
    layer.build((None, 2))
    table = layer.get_weights()[0]
    assert table.shape == (50, 40) and table.min() >= -0.05 and table.max() <= 0.05
    assert table.std() > 0.02  # spread over [-0.05, 0.05], not constant
    written = layer.get_config()["embeddings_initializer"]
    keras_written = keras().layers.Embedding(50, 40).get_config()["embeddings_initializer"]
    assert written == "uniform" or (written["class_name"] == keras_written["class_name"]
                                    and written["config"] == keras_written["config"])


def test_embedding_gradient_is_scatter_add(backend, rng):
    ids = np.array([[1, 2, 1], [0, 1, 5]], np.int32)
    layer = Embedding(6, 2)
    w = rng.normal(size=(2, 3, 2)).astype(np.float32)
    with lf.GradientTape() as tape:
        loss = lf.sum(lf.mul(layer(lf.tensor(ids)), lf.tensor(w)))
    grad = tape.gradient(loss, layer.embeddings)
    grad = grad.numpy() if hasattr(grad, "numpy") else lf.tensor(grad).numpy()
    want = np.zeros((6, 2), np.float32)
    np.add.at(want, ids.reshape(-1), w.reshape(-1, 2))
    np.testing.assert_allclose(grad, want, rtol=1e-6)


def test_embedding_float_ids_are_cast(backend):
    layer = Embedding(4, 2, embeddings_initializer="ones")
    out = layer(lf.tensor([[1.0, 3.0]]))
    assert out.shape == (1, 2, 2) and out.dtype == "float32"


def test_embedding_mask_zero(backend, rng):
    ids = np.array([[0, 2, 3], [4, 0, 0]], np.int32)
    ours, theirs = Embedding(5, 2, mask_zero=True), keras().layers.Embedding(5, 2, mask_zero=True)
    check_layer(ours, theirs, ids, int_input=True)
    np.testing.assert_array_equal(ours.compute_mask(lf.tensor(ids)).numpy(),
                                  np.asarray(theirs.compute_mask(ids)))
    assert Embedding(5, 2).compute_mask(lf.tensor(ids)) is None
    check_config_round_trip(ours, ids)


def test_embedding_mask_reaches_model_layers(backend):
    from layerflow.layers.base import Layer
    from layerflow.models.model import model as lf_model

    class Recorder(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True
            self.seen = None

        def call(self, inputs, mask=None):
            self.seen = mask
            return inputs

    inp = lf_input(shape=[3], dtype="int32")
    recorder = Recorder()
    m = lf_model(inputs=inp, outputs=recorder(Embedding(5, 2, mask_zero=True)(inp)))
    m(lf.tensor([[0, 1, 2]], dtype="int32"))
    np.testing.assert_array_equal(recorder.seen.numpy(), [[False, True, True]])


@pytest.mark.parametrize("kwargs", [{"input_dim": 0, "output_dim": 2},
                                    {"input_dim": 3, "output_dim": -1},
                                    {"input_dim": 2.5, "output_dim": 2}])
def test_embedding_bad_arguments(backend, kwargs):
    with pytest.raises(InvalidArgumentError, match="Embedding"):
        Embedding(**kwargs)


def test_embedding_regularizer_and_constraint(backend):
    layer = Embedding(3, 2, embeddings_initializer="ones", embeddings_regularizer="l2",
                      embeddings_constraint="non_neg")
    layer(lf.tensor([[1]], dtype="int32"))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0].numpy(), 0.01 * 6, rtol=1e-6)
    config = layer.get_config()
    clone = Embedding.from_config(config)
    assert clone.get_config()["embeddings_regularizer"] == config["embeddings_regularizer"]
