"""The Layers API: ``lf.layers.Dense(...)`` (classes) and ``lf.layers.dense(...)`` (factories).

>>> import layerflow as lf
>>> lf.layers.dense(units=1, input_shape=[1]).units
1
"""

from layerflow.layers.base import Layer as Layer
from layerflow.layers.core import Dense as Dense
from layerflow.layers.factories import *  # noqa: F403
from layerflow.layers.input_layer import InputLayer as InputLayer
from layerflow.layers.symbolic import KerasTensor as KerasTensor
from layerflow.layers.symbolic import input as input  # noqa: A004
