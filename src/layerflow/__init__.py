"""layerflow: the TensorFlow.js system for Python.

>>> import layerflow as lf
>>> lf.square(lf.tensor([1.0, 2.0])).array_sync()
[1.0, 4.0]
"""

# NOTE: import the backends package before binding the function lf.backends(): importing a
# subpackage later would otherwise overwrite that name with the module.
import layerflow.backends as _backends_package  # noqa: F401

# The Layers API, training building blocks and models (the tfjs-layers half).
from layerflow import activations as activations  # noqa: E402
from layerflow import callbacks as callbacks  # noqa: E402
from layerflow import constraints as constraints  # noqa: E402
from layerflow import data as data  # noqa: E402
from layerflow import errors as errors
from layerflow import initializers as initializers  # noqa: E402
from layerflow import io as io  # noqa: E402
from layerflow import layers as layers  # noqa: E402
from layerflow import losses as losses  # noqa: E402
from layerflow import metrics as metrics  # noqa: E402
from layerflow import models as models  # noqa: E402
from layerflow import optimizers as optimizers  # noqa: E402
from layerflow import regularizers as regularizers  # noqa: E402
from layerflow import serialization as serialization  # noqa: E402
from layerflow import train as train  # noqa: E402
from layerflow import utils as utils  # noqa: E402
from layerflow.autodiff import GradientTape as GradientTape
from layerflow.autodiff import custom_grad as custom_grad
from layerflow.autodiff import grad as grad
from layerflow.autodiff import grads as grads
from layerflow.autodiff import stop_gradient as stop_gradient
from layerflow.autodiff import value_and_grad as value_and_grad
from layerflow.autodiff import value_and_grads as value_and_grads
from layerflow.autodiff import variable_grads as variable_grads
from layerflow.engine.backend_select import backends as backends
from layerflow.engine.backend_select import get_backend as get_backend
from layerflow.engine.backend_select import set_backend as set_backend
from layerflow.engine.backend_select import set_seed as set_seed
from layerflow.engine.compile import compile as compile
from layerflow.engine.memory import dispose as dispose
from layerflow.engine.memory import dispose_variables as dispose_variables
from layerflow.engine.memory import keep as keep
from layerflow.engine.memory import memory as memory
from layerflow.engine.memory import profile as profile
from layerflow.engine.memory import tidy as tidy
from layerflow.engine.memory import time as time
from layerflow.engine.symbolic import SymbolicTensor as SymbolicTensor
from layerflow.engine.tensor import Tensor as Tensor
from layerflow.engine.tensor import Variable as Variable
from layerflow.errors import LayerflowError as LayerflowError
from layerflow.layers.symbolic import input as input  # noqa: E402,A004
from layerflow.models import Model as Model  # noqa: E402
from layerflow.models import Sequential as Sequential  # noqa: E402
from layerflow.models import load_layers_model as load_layers_model  # noqa: E402
from layerflow.models import load_model as load_model  # noqa: E402
from layerflow.models import model as model  # noqa: E402
from layerflow.models import sequential as sequential  # noqa: E402

# NOTE: each op family lists its public names in __all__; these imports re-export them and
# attach the chainable Tensor methods. tests/test_namespace.py snapshots the result.
from layerflow.ops import image as image  # noqa: E402
from layerflow.ops import linalg as linalg  # noqa: E402
from layerflow.ops import signal as signal  # noqa: E402
from layerflow.ops import spectral as spectral  # noqa: E402
from layerflow.ops.conv import *  # noqa: E402,F403
from layerflow.ops.creation import *  # noqa: E402,F403
from layerflow.ops.elementwise import *  # noqa: E402,F403
from layerflow.ops.evaluation import *  # noqa: E402,F403
from layerflow.ops.joining import *  # noqa: E402,F403
from layerflow.ops.matrices import *  # noqa: E402,F403
from layerflow.ops.misc import *  # noqa: E402,F403
from layerflow.ops.normalization import *  # noqa: E402,F403
from layerflow.ops.pooling import *  # noqa: E402,F403
from layerflow.ops.random import *  # noqa: E402,F403
from layerflow.ops.reduction import *  # noqa: E402,F403
from layerflow.ops.segment import *  # noqa: E402,F403
from layerflow.ops.shape import *  # noqa: E402,F403
from layerflow.ops.slicing import *  # noqa: E402,F403
from layerflow.ops.spectral import *  # noqa: E402,F403

__version__ = "0.1.0"
