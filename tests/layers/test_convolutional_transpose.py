"""Transposed convolution layers against Keras 3: Conv1DTranspose, Conv2DTranspose,
Conv3DTranspose (Keras's output size rules, output_padding, dilation, channels_first)."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.convolutional_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer

LAYERS = {"Conv1DTranspose": Conv1DTranspose, "Conv2DTranspose": Conv2DTranspose,
          "Conv3DTranspose": Conv3DTranspose}

CASES = [
    ("Conv1DTranspose", dict(filters=2, kernel_size=3), (4, 3)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                             data_format="channels_first"), (3, 4)),
    ("Conv1DTranspose", dict(filters=1, kernel_size=2, dilation_rate=2, activation="relu"),
     (5, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3), (3, 4, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2), (3, 4, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (3, 3, 2)),
    # strides larger than the kernel: 'valid' pads the output to (in - 1) * s + s
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=3), (3, 2, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                             output_padding=1), (3, 4, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1,
                             use_bias=False), (3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=4, strides=3, padding="same",
                             output_padding=(2, 0)), (2, 3, 2)),
    # 1x1 kernel, stride 2, 'same': the last output row and column are reached by no window
    ("Conv2DTranspose", dict(filters=2, kernel_size=1, strides=2, padding="same"), (3, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same",
                             output_padding=1), (2, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same",
                             activation="tanh"), (4, 4, 2)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=(2, 3), strides=(2, 1),
                             data_format="channels_first"), (2, 3, 4)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2, padding="same"),
     (2, 3, 2, 2)),
    ("Conv3DTranspose", dict(filters=1, kernel_size=(2, 3, 2), strides=(1, 2, 1),
                             output_padding=(0, 1, 0), data_format="channels_first"),
     (2, 2, 3, 2)),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _x(rng, shape):
    return rng.normal(size=(2,) + tuple(shape)).astype(np.float32)


@pytest.mark.parametrize("name, kwargs, sample", CASES, ids=IDS)
def test_matches_keras(backend, rng, name, kwargs, sample):
    """Outputs, input and weight gradients as Keras 3's; config round trip and keys."""
    x = _x(rng, sample)
    ours, theirs = LAYERS[name](**kwargs), getattr(keras().layers, name)(**kwargs)
    check_layer(ours, keras_ref_layer(theirs), x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]


@pytest.mark.parametrize("name, kwargs, sample", CASES, ids=IDS)
def test_symbolic_shape_matches_keras(backend, name, kwargs, sample):
    check_symbolic_shape(LAYERS[name](**kwargs), getattr(keras().layers, name)(**kwargs), sample)


def test_symbolic_unknown_spatial_dims(backend):
    y = Conv2DTranspose(3, 3, strides=2, padding="same")(lf_input(shape=[None, 4, 2]))
    assert y.shape == (None, None, 8, 3)


def test_conv3d_transpose_keeps_keras_argument_order(backend):
    layer = Conv3DTranspose(2, 2, (2, 2, 2), "valid", "channels_first", (1, 1, 1))
    assert layer.data_format == "channels_first" and layer.output_padding == (1, 1, 1)


def test_config(backend):
    config = Conv2DTranspose(2, 3, strides=2, output_padding=1).get_config()
    assert config["output_padding"] == [1, 1] and config["kernel_size"] == [3, 3]
    assert Conv2DTranspose(2, 3).get_config()["output_padding"] is None


@pytest.mark.parametrize("make, match", [
    (lambda: Conv2DTranspose(0, 3), "filters"),
    (lambda: Conv2DTranspose(2, 0), "kernel_size"),
    (lambda: Conv2DTranspose(2, 3, padding="causal"), "padding"),
    (lambda: Conv1DTranspose(2, 3, data_format="NWC"), "data_format"),
    (lambda: Conv2DTranspose(2, 3, strides=2, output_padding=2), "output_padding"),
    (lambda: Conv2DTranspose(2, 3, output_padding=-1), "output_padding"),
    (lambda: Conv2DTranspose(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: Conv3DTranspose(2, (2, 2)), "kernel_size"),
])
def test_bad_arguments(backend, make, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make()


@pytest.mark.parametrize("layer, shape, match", [
    (lambda: Conv2DTranspose(2, 3, name="t2"), (1, 5, 5), "t2.*rank 4"),
    (lambda: Conv1DTranspose(2, 3, name="t1"), (1, 5, 5, 2), "t1.*rank 3"),
    (lambda: Conv3DTranspose(2, 3, name="t3"), (1, 5, 5, 2), "t3.*rank 5"),
    # 'same' with an even kernel and output_padding 0 gives an empty axis for a length-1 input
    (lambda: Conv1DTranspose(2, 2, strides=2, padding="same", output_padding=0, name="e"),
     (1, 1, 2), "e.*empty"),
])
def test_bad_input_shapes(backend, layer, shape, match):
    with pytest.raises(ShapeError, match=match):
        layer()(lf.zeros(list(shape)))


def test_channel_count_checked_after_build(backend):
    layer = Conv2DTranspose(2, 2, name="tc")
    layer(lf.zeros([1, 3, 3, 2]))
    with pytest.raises(ShapeError, match="tc.*2 input channels"):
        layer(lf.zeros([1, 3, 3, 1]))
