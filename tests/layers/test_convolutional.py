"""Convolution layers against Keras 3: Conv1D (causal), Conv2D, Conv3D (groups, strides,
dilation, channels_first), DepthwiseConv2D, SeparableConv2D."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv3D,
    DepthwiseConv2D,
    SeparableConv2D,
)
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer

LAYERS = {"Conv1D": Conv1D, "Conv2D": Conv2D, "Conv3D": Conv3D,
          "DepthwiseConv2D": DepthwiseConv2D, "SeparableConv2D": SeparableConv2D}

# (class name, constructor arguments, one sample's shape): each is checked against Keras 3.
CASES = [
    ("Conv1D", dict(filters=2, kernel_size=3), (7, 3)),
    ("Conv1D", dict(filters=2, kernel_size=3, padding="causal"), (7, 3)),
    ("Conv1D", dict(filters=3, kernel_size=2, padding="causal", dilation_rate=2,
                    activation="relu"), (6, 2)),
    ("Conv1D", dict(filters=2, kernel_size=3, strides=2, padding="same",
                    data_format="channels_first"), (3, 7)),
    ("Conv1D", dict(filters=4, kernel_size=2, groups=2), (5, 4)),
    ("Conv2D", dict(filters=3, kernel_size=3), (5, 6, 2)),
    ("Conv2D", dict(filters=2, kernel_size=(3, 2), strides=2, padding="same"), (5, 6, 3)),
    ("Conv2D", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same",
                    use_bias=False), (6, 5, 2)),
    ("Conv2D", dict(filters=4, kernel_size=2, data_format="channels_first",
                    activation="tanh"), (3, 4, 5)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=3, padding="same"), (4, 4, 3)),
    ("Conv3D", dict(filters=2, kernel_size=2), (3, 4, 3, 2)),
    ("Conv3D", dict(filters=2, kernel_size=(2, 3, 2), strides=(1, 2, 2), padding="same",
                    data_format="channels_first"), (2, 3, 4, 5)),
    ("Conv3D", dict(filters=4, kernel_size=2, groups=2, use_bias=False), (3, 3, 3, 4)),
    ("DepthwiseConv2D", dict(kernel_size=3), (5, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=2, depth_multiplier=2, strides=2, padding="same"),
     (5, 4, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2, data_format="channels_first",
                             activation="relu", use_bias=False), (2, 6, 6)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3), (5, 5, 2)),
    ("SeparableConv2D", dict(filters=4, kernel_size=2, depth_multiplier=2, strides=2,
                             padding="same", activation="sigmoid"), (5, 4, 3)),
    ("SeparableConv2D", dict(filters=2, kernel_size=3, dilation_rate=2, padding="same",
                             data_format="channels_first", use_bias=False), (2, 5, 5)),
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
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.name for w in theirs.weights]


@pytest.mark.parametrize("name, kwargs, sample", CASES, ids=IDS)
def test_symbolic_shape_matches_keras(backend, name, kwargs, sample):
    check_symbolic_shape(LAYERS[name](**kwargs), getattr(keras().layers, name)(**kwargs), sample)


def test_symbolic_unknown_spatial_dims(backend):
    """Unknown spatial sizes stay unknown; the channels must be known."""
    y = Conv2D(3, 3, strides=2, padding="same")(lf_input(shape=[None, None, 2]))
    assert y.shape == (None, None, None, 3)
    with pytest.raises(ShapeError, match="channel"):
        Conv2D(3, 3)(lf_input(shape=[4, 4, None]))


def test_config_is_keras_normalised(backend):
    config = Conv2D(2, 3, strides=2, name="c").get_config()
    assert config["kernel_size"] == [3, 3] and config["strides"] == [2, 2]
    assert config["dilation_rate"] == [1, 1] and config["data_format"] == "channels_last"
    assert config["activation"] == "linear"


@pytest.mark.parametrize("name", ["Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D",
                                  "SeparableConv2D"])
def test_loads_keras_config(backend, rng, name):
    """A config written by Keras 3 (DTypePolicy, initializer dicts) builds the same layer."""
    kwargs = {"kernel_size": 2} if name == "DepthwiseConv2D" else {"filters": 2,
                                                                    "kernel_size": 2}
    theirs = getattr(keras().layers, name)(activation="relu", **kwargs)
    ours = LAYERS[name].from_config(theirs.get_config())
    sample = {"Conv1D": (4, 2), "Conv3D": (3, 3, 3, 2)}.get(name, (3, 4, 2))
    check_layer(ours, keras_ref_layer(theirs), _x(rng, sample))


def test_regularizers_and_constraints(backend, rng):
    layer = Conv2D(2, 2, kernel_regularizer="l2", bias_regularizer="l1",
                   activity_regularizer="l2", kernel_constraint="non_neg")
    layer(lf.tensor(_x(rng, (3, 3, 1))))
    assert len(layer.losses) == 3
    assert layer.kernel._constraint is not None
    config = layer.get_config()
    assert config["kernel_regularizer"] is not None and config["kernel_constraint"] is not None


def test_depthwise_kernel_alias(backend):
    layer = DepthwiseConv2D(2)
    layer.build((1, 3, 3, 2))
    assert layer.depthwise_kernel is layer.kernel
    assert layer.kernel.name.endswith("/kernel")


def test_separable_weight_order(backend):
    layer = SeparableConv2D(4, 3, depth_multiplier=2)
    layer.build((1, 5, 5, 3))
    names = [w.name.split("/")[-1] for w in layer.weights]
    assert names == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]


def test_causal_output_ignores_the_future(backend, rng):
    x = _x(rng, (6, 2))
    layer = Conv1D(3, 3, padding="causal", dilation_rate=2)
    before = layer(lf.tensor(x)).numpy()
    x[:, 4:] = 100.0
    after = layer(lf.tensor(x)).numpy()
    np.testing.assert_array_equal(before[:, :4], after[:, :4])


@pytest.mark.parametrize("make, match", [
    (lambda: Conv2D(0, 3), "filters"),
    (lambda: Conv2D(2.5, 3), "filters"),
    (lambda: Conv2D(2, 0), "kernel_size"),
    (lambda: Conv2D(2, (3, 3, 3)), "kernel_size"),
    (lambda: Conv2D(2, 3, strides=0), "strides"),
    (lambda: Conv2D(2, 3, padding="full"), "padding"),
    (lambda: Conv2D(2, 3, padding="causal"), "padding"),
    (lambda: Conv2D(2, 3, data_format="NHWC"), "data_format"),
    (lambda: Conv2D(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: Conv2D(3, 3, groups=2), "groups"),
    (lambda: Conv2D(2, 3, groups=0), "groups"),
    (lambda: Conv1D(2, 3, dilation_rate=-1), "dilation_rate"),
    (lambda: Conv2D(2, 3, activation="nope"), "nope"),
    (lambda: Conv2D(2, 3, unknown_arg=1), "unknown_arg"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier"),
    (lambda: SeparableConv2D(-1, 3), "filters"),
    (lambda: SeparableConv2D(2, 3, depth_multiplier=0), "depth_multiplier"),
])
def test_bad_arguments(backend, make, match):
    with pytest.raises(lf.errors.LayerflowError, match=match):
        make()


def test_bad_arguments_are_invalid_argument_errors(backend):
    with pytest.raises(InvalidArgumentError):
        Conv2D(2, 3, padding="full")


@pytest.mark.parametrize("layer, shape, match", [
    (lambda: Conv2D(2, 3, name="c2"), (1, 5, 5), "c2.*rank 4"),
    (lambda: Conv1D(2, 3, name="c1"), (1, 5, 5, 1), "c1.*rank 3"),
    (lambda: Conv3D(2, 3, name="c3"), (1, 5, 5, 1), "c3.*rank 5"),
    (lambda: DepthwiseConv2D(3, name="dw"), (5, 5), "dw.*rank 4"),
    (lambda: Conv2D(2, 4, name="big"), (1, 3, 5, 1), "big.*larger"),
    (lambda: Conv1D(2, 3, dilation_rate=3, name="dil"), (1, 6, 1), "dil.*larger"),
    (lambda: Conv2D(4, 2, groups=2, name="g"), (1, 3, 3, 3), "g.*divisible"),
    (lambda: SeparableConv2D(2, 3, name="sep"), (1, 2, 2, 1), "sep.*larger"),
])
def test_bad_input_shapes(backend, layer, shape, match):
    with pytest.raises(ShapeError, match=match):
        layer()(lf.zeros(list(shape)))


def test_channel_count_checked_after_build(backend):
    layer = Conv2D(2, 2, name="cc")
    layer(lf.zeros([1, 3, 3, 2]))
    with pytest.raises(ShapeError, match="cc.*2 input channels"):
        layer(lf.zeros([1, 3, 3, 3]))
    with pytest.raises(ShapeError, match="cc"):
        layer(lf_input(shape=[3, 3, 4]))


def test_bad_symbolic_input(backend):
    with pytest.raises(ShapeError, match="larger"):
        Conv2D(2, 5, name="s")(lf_input(shape=[3, 3, 1]))
