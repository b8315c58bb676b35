"""The Layers API: ``lf.layers.Dense(...)`` (classes) and ``lf.layers.dense(...)`` (factories).

Lowercase means a *layer* here (``lf.layers.add()`` returns an ``Add`` layer, or merges a list
of tensors at once), while ``lf.add(a, b)`` is the op that adds two tensors now, as in TF.js.

>>> import layerflow as lf
>>> lf.layers.dense(units=1, input_shape=[1]).units
1
"""

from layerflow.layers.activations import ELU as ELU
from layerflow.layers.activations import LeakyReLU as LeakyReLU
from layerflow.layers.activations import PReLU as PReLU
from layerflow.layers.activations import ReLU as ReLU
from layerflow.layers.activations import Softmax as Softmax
from layerflow.layers.activations import ThresholdedReLU as ThresholdedReLU
from layerflow.layers.base import Layer as Layer
from layerflow.layers.convolutional import Conv1D as Conv1D
from layerflow.layers.convolutional import Conv2D as Conv2D
from layerflow.layers.convolutional import Conv3D as Conv3D
from layerflow.layers.convolutional import DepthwiseConv2D as DepthwiseConv2D
from layerflow.layers.convolutional import SeparableConv2D as SeparableConv2D
from layerflow.layers.convolutional_transpose import Conv1DTranspose as Conv1DTranspose
from layerflow.layers.convolutional_transpose import Conv2DTranspose as Conv2DTranspose
from layerflow.layers.convolutional_transpose import Conv3DTranspose as Conv3DTranspose
from layerflow.layers.core import Activation as Activation
from layerflow.layers.core import Dense as Dense
from layerflow.layers.core import Dropout as Dropout
from layerflow.layers.core import Flatten as Flatten
from layerflow.layers.core import Masking as Masking
from layerflow.layers.core import Permute as Permute
from layerflow.layers.core import RepeatVector as RepeatVector
from layerflow.layers.core import Reshape as Reshape
from layerflow.layers.embeddings import Embedding as Embedding
from layerflow.layers.factories import *  # noqa: F403
from layerflow.layers.input_layer import InputLayer as InputLayer
from layerflow.layers.merge import Add as Add
from layerflow.layers.merge import Average as Average
from layerflow.layers.merge import Concatenate as Concatenate
from layerflow.layers.merge import Dot as Dot
from layerflow.layers.merge import Maximum as Maximum
from layerflow.layers.merge import Minimum as Minimum
from layerflow.layers.merge import Multiply as Multiply
from layerflow.layers.merge import Subtract as Subtract
from layerflow.layers.normalization import BatchNormalization as BatchNormalization
from layerflow.layers.normalization import LayerNormalization as LayerNormalization
from layerflow.layers.pooling import AveragePooling1D as AveragePooling1D
from layerflow.layers.pooling import AveragePooling2D as AveragePooling2D
from layerflow.layers.pooling import AveragePooling3D as AveragePooling3D
from layerflow.layers.pooling import GlobalAveragePooling1D as GlobalAveragePooling1D
from layerflow.layers.pooling import GlobalAveragePooling2D as GlobalAveragePooling2D
from layerflow.layers.pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from layerflow.layers.pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from layerflow.layers.pooling import MaxPooling1D as MaxPooling1D
from layerflow.layers.pooling import MaxPooling2D as MaxPooling2D
from layerflow.layers.pooling import MaxPooling3D as MaxPooling3D
from layerflow.layers.recurrent import RNN as RNN
from layerflow.layers.recurrent import StackedRNNCells as StackedRNNCells
from layerflow.layers.recurrent_layers import GRU as GRU
from layerflow.layers.recurrent_layers import LSTM as LSTM
from layerflow.layers.recurrent_layers import GRUCell as GRUCell
from layerflow.layers.recurrent_layers import LSTMCell as LSTMCell
from layerflow.layers.recurrent_layers import SimpleRNN as SimpleRNN
from layerflow.layers.recurrent_layers import SimpleRNNCell as SimpleRNNCell
from layerflow.layers.regularization import AlphaDropout as AlphaDropout
from layerflow.layers.regularization import GaussianDropout as GaussianDropout
from layerflow.layers.regularization import GaussianNoise as GaussianNoise
from layerflow.layers.regularization import SpatialDropout1D as SpatialDropout1D
from layerflow.layers.reshaping import Cropping2D as Cropping2D
from layerflow.layers.reshaping import UpSampling2D as UpSampling2D
from layerflow.layers.reshaping import ZeroPadding2D as ZeroPadding2D
from layerflow.layers.symbolic import KerasTensor as KerasTensor
from layerflow.layers.symbolic import input as input  # noqa: A004
from layerflow.layers.wrappers import Bidirectional as Bidirectional
from layerflow.layers.wrappers import TimeDistributed as TimeDistributed
