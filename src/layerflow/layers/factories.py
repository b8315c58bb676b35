"""The lowercase factories, one line each: ``dense = factory(Dense)`` (TF.js's names).

A factory has its class's docstring and signature, so ``help(lf.layers.dense)`` shows the same
arguments as ``help(lf.layers.Dense)``. Merge factories also accept a list of tensors and apply
a default layer to it at once, as TF.js's (and Keras's functional) ``concatenate([a, b])`` do.

>>> import layerflow as lf
>>> lf.layers.dense.__doc__ == lf.layers.Dense.__doc__
True
>>> lf.layers.add([lf.ones([1, 2]), lf.ones([1, 2])]).array_sync()
[[2.0, 2.0]]
"""

from __future__ import annotations

import functools
import inspect

from layerflow.layers import activations as _act
from layerflow.layers import convolutional as _conv
from layerflow.layers import convolutional_transpose as _convt
from layerflow.layers import core as _core
from layerflow.layers import embeddings as _emb
from layerflow.layers import merge as _merge
from layerflow.layers import normalization as _norm
from layerflow.layers import pooling as _pool
from layerflow.layers import recurrent as _rnn
from layerflow.layers import recurrent_layers as _rnn_layers
from layerflow.layers import regularization as _reg
from layerflow.layers import reshaping as _reshape
from layerflow.layers import wrappers as _wrap
from layerflow.layers.input_layer import InputLayer


def factory(cls, name: str | None = None):
    """A function that makes ``cls(**kwargs)``, carrying ``cls``'s docs and signature."""

    @functools.wraps(cls, assigned=("__doc__",), updated=())
    def make(*args, **kwargs):
        return cls(*args, **kwargs)

    make.__signature__ = inspect.signature(cls)
    make.__name__ = make.__qualname__ = name or cls.__name__.lower()
    make.layer_class = cls
    return make


def merge_factory(cls, name: str):
    """Like :func:`factory`; a list of tensors as first argument is merged at once."""

    @functools.wraps(cls, assigned=("__doc__",), updated=())
    def make(*args, **kwargs):
        if args and isinstance(args[0], (list, tuple)):
            inputs, rest = args[0], args[1:]
            return cls(*rest, **kwargs)(list(inputs))
        return cls(*args, **kwargs)

    make.__signature__ = inspect.signature(cls)
    make.__name__ = make.__qualname__ = name
    make.layer_class = cls
    return make


# Inputs and core
input_layer = factory(InputLayer, "input_layer")
dense = factory(_core.Dense, "dense")
activation = factory(_core.Activation, "activation")
dropout = factory(_core.Dropout, "dropout")
flatten = factory(_core.Flatten, "flatten")
reshape = factory(_core.Reshape, "reshape")
permute = factory(_core.Permute, "permute")
repeat_vector = factory(_core.RepeatVector, "repeat_vector")
masking = factory(_core.Masking, "masking")
embedding = factory(_emb.Embedding, "embedding")
spatial_dropout1d = factory(_reg.SpatialDropout1D, "spatial_dropout1d")
gaussian_noise = factory(_reg.GaussianNoise, "gaussian_noise")
gaussian_dropout = factory(_reg.GaussianDropout, "gaussian_dropout")
alpha_dropout = factory(_reg.AlphaDropout, "alpha_dropout")

# Convolution and pooling
conv1d = factory(_conv.Conv1D, "conv1d")
conv2d = factory(_conv.Conv2D, "conv2d")
conv3d = factory(_conv.Conv3D, "conv3d")
depthwise_conv2d = factory(_conv.DepthwiseConv2D, "depthwise_conv2d")
separable_conv2d = factory(_conv.SeparableConv2D, "separable_conv2d")
conv1d_transpose = factory(_convt.Conv1DTranspose, "conv1d_transpose")
conv2d_transpose = factory(_convt.Conv2DTranspose, "conv2d_transpose")
conv3d_transpose = factory(_convt.Conv3DTranspose, "conv3d_transpose")
max_pooling1d = factory(_pool.MaxPooling1D, "max_pooling1d")
max_pooling2d = factory(_pool.MaxPooling2D, "max_pooling2d")
max_pooling3d = factory(_pool.MaxPooling3D, "max_pooling3d")
average_pooling1d = factory(_pool.AveragePooling1D, "average_pooling1d")
average_pooling2d = factory(_pool.AveragePooling2D, "average_pooling2d")
average_pooling3d = factory(_pool.AveragePooling3D, "average_pooling3d")
global_max_pooling1d = factory(_pool.GlobalMaxPooling1D, "global_max_pooling1d")
global_max_pooling2d = factory(_pool.GlobalMaxPooling2D, "global_max_pooling2d")
global_average_pooling1d = factory(_pool.GlobalAveragePooling1D, "global_average_pooling1d")
global_average_pooling2d = factory(_pool.GlobalAveragePooling2D, "global_average_pooling2d")
# TF.js's aliases
max_pool1d, max_pool2d = max_pooling1d, max_pooling2d
avg_pool1d, avg_pool2d, avg_pool3d = average_pooling1d, average_pooling2d, average_pooling3d
avg_pooling1d, avg_pooling2d = average_pooling1d, average_pooling2d
avg_pooling3d = average_pooling3d
global_max_pool1d, global_max_pool2d = global_max_pooling1d, global_max_pooling2d

# Padding, cropping, upsampling
zero_padding2d = factory(_reshape.ZeroPadding2D, "zero_padding2d")
up_sampling2d = factory(_reshape.UpSampling2D, "up_sampling2d")
cropping2d = factory(_reshape.Cropping2D, "cropping2d")

# Normalization
batch_normalization = factory(_norm.BatchNormalization, "batch_normalization")
layer_normalization = factory(_norm.LayerNormalization, "layer_normalization")

# Merge (a list of tensors merges at once)
add = merge_factory(_merge.Add, "add")
subtract = merge_factory(_merge.Subtract, "subtract")
multiply = merge_factory(_merge.Multiply, "multiply")
average = merge_factory(_merge.Average, "average")
maximum = merge_factory(_merge.Maximum, "maximum")
minimum = merge_factory(_merge.Minimum, "minimum")
concatenate = merge_factory(_merge.Concatenate, "concatenate")
dot = merge_factory(_merge.Dot, "dot")

# Advanced activations
re_lu = factory(_act.ReLU, "re_lu")
relu = re_lu
leaky_re_lu = factory(_act.LeakyReLU, "leaky_re_lu")
leaky_relu = leaky_re_lu
elu = factory(_act.ELU, "elu")
prelu = factory(_act.PReLU, "prelu")
softmax = factory(_act.Softmax, "softmax")
thresholded_re_lu = factory(_act.ThresholdedReLU, "thresholded_re_lu")
thresholded_relu = thresholded_re_lu

# Recurrent and wrappers
rnn = factory(_rnn.RNN, "rnn")
stacked_rnn_cells = factory(_rnn.StackedRNNCells, "stacked_rnn_cells")
simple_rnn = factory(_rnn_layers.SimpleRNN, "simple_rnn")
simple_rnn_cell = factory(_rnn_layers.SimpleRNNCell, "simple_rnn_cell")
gru = factory(_rnn_layers.GRU, "gru")
gru_cell = factory(_rnn_layers.GRUCell, "gru_cell")
lstm = factory(_rnn_layers.LSTM, "lstm")
lstm_cell = factory(_rnn_layers.LSTMCell, "lstm_cell")
bidirectional = factory(_wrap.Bidirectional, "bidirectional")
time_distributed = factory(_wrap.TimeDistributed, "time_distributed")

__all__ = [name for name, value in list(globals().items())
           if callable(value) and hasattr(value, "layer_class")]
