"""Over the whole layer registry: configs are the constructor's arguments and round-trip, and
every TF.js factory exists."""

from __future__ import annotations

import inspect

import pytest

import layerflow as lf
from layerflow.layers.base import _BASE_KEYS

# Minimal constructor arguments for each exported class (the rest take defaults).
ARGS = {
    "Dense": {"units": 2}, "Activation": {"activation": "relu"}, "Dropout": {"rate": 0.5},
    "SpatialDropout1D": {"rate": 0.5}, "GaussianNoise": {"stddev": 0.1},
    "GaussianDropout": {"rate": 0.1}, "AlphaDropout": {"rate": 0.1},
    "Reshape": {"target_shape": [2, 2]}, "Permute": {"dims": [2, 1]},
    "RepeatVector": {"n": 2}, "Dot": {"axes": 1}, "Embedding": {"input_dim": 5, "output_dim": 2},
    "Conv1D": {"filters": 2, "kernel_size": 3}, "Conv2D": {"filters": 2, "kernel_size": 3},
    "Conv3D": {"filters": 2, "kernel_size": 3}, "DepthwiseConv2D": {"kernel_size": 3},
    "SeparableConv2D": {"filters": 2, "kernel_size": 3},
    "Conv1DTranspose": {"filters": 2, "kernel_size": 3},
    "Conv2DTranspose": {"filters": 2, "kernel_size": 3},
    "Conv3DTranspose": {"filters": 2, "kernel_size": 3},
    "AveragePooling1D": {"pool_size": 2}, "AveragePooling2D": {"pool_size": 2},
    "AveragePooling3D": {"pool_size": 2},
    "SimpleRNN": {"units": 2}, "GRU": {"units": 2}, "LSTM": {"units": 2},
    "SimpleRNNCell": {"units": 2}, "GRUCell": {"units": 2}, "LSTMCell": {"units": 2},
}
SKIP = {"Layer", "InputLayer", "RNN", "StackedRNNCells", "Bidirectional", "TimeDistributed",
        "KerasTensor"}


def _classes():
    return sorted(name for name, value in vars(lf.layers).items()
                  if inspect.isclass(value) and issubclass(value, lf.layers.Layer)
                  and name not in SKIP)


@pytest.mark.parametrize("name", _classes())
def test_config_is_the_constructor_arguments_and_round_trips(name):
    cls = getattr(lf.layers, name)
    layer = cls(**ARGS.get(name, {}), name=f"reg_{name.lower()}")
    config = layer.get_config()
    params = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    extra = set(config) - params - set(_BASE_KEYS)
    assert not extra, f"{name}: config keys that are not constructor arguments: {extra}"
    again = cls.from_config(config)
    assert again.get_config() == config
    assert lf.serialization.lookup("layer", name) is cls


# TF.js's tf.layers factory names (REFERENCE.md section 1a), in layerflow's snake_case.
TFJS_FACTORIES = (
    "input_layer dense activation dropout spatial_dropout1d flatten reshape permute "
    "repeat_vector embedding masking conv1d conv2d conv2d_transpose conv3d conv3d_transpose "
    "separable_conv2d depthwise_conv2d cropping2d up_sampling2d zero_padding2d "
    "average_pooling1d average_pooling2d average_pooling3d avg_pool1d avg_pool2d avg_pool3d "
    "avg_pooling1d avg_pooling2d avg_pooling3d max_pooling1d max_pooling2d max_pooling3d "
    "max_pool1d max_pool2d global_average_pooling1d global_average_pooling2d "
    "global_max_pooling1d global_max_pooling2d global_max_pool1d global_max_pool2d "
    "simple_rnn simple_rnn_cell gru gru_cell lstm lstm_cell rnn stacked_rnn_cells "
    "batch_normalization layer_normalization add average concatenate maximum minimum multiply "
    "dot elu re_lu leaky_re_lu prelu softmax thresholded_re_lu gaussian_noise "
    "gaussian_dropout alpha_dropout bidirectional time_distributed"
).split()


def test_every_tfjs_factory_exists_and_makes_its_class():
    missing = [n for n in TFJS_FACTORIES if not hasattr(lf.layers, n)]
    assert missing == []
    for name in TFJS_FACTORIES:
        factory = getattr(lf.layers, name)
        assert factory.__doc__ == factory.layer_class.__doc__
        assert inspect.signature(factory) == inspect.signature(factory.layer_class)
