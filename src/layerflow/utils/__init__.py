"""``lf.utils``: helpers around models (Keras ``keras.utils``): ``plot_model``, ``model_to_dot``.

>>> import layerflow as lf
>>> from layerflow import utils
>>> m = lf.sequential([lf.layers.Dense(1, input_shape=[2], name='out')])
>>> '<b>out</b> (Dense)' in utils.model_to_dot(m)
True
"""

from layerflow.utils.plot import GraphvizNotFoundError as GraphvizNotFoundError
from layerflow.utils.plot import PlotError as PlotError
from layerflow.utils.plot import model_to_dot as model_to_dot
from layerflow.utils.plot import plot_model as plot_model

__all__ = ["GraphvizNotFoundError", "PlotError", "model_to_dot", "plot_model"]
