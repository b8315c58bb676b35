"""Models: functional, Sequential and subclassed; configs; summaries.

>>> import layerflow as lf
>>> isinstance(lf.sequential(), lf.Model)
True
"""

from layerflow.models.model import Functional as Functional
from layerflow.models.model import Model as Model
from layerflow.models.model import model as model
from layerflow.models.saving import load_layers_model as load_layers_model
from layerflow.models.saving import load_layers_model as load_model  # noqa: F401  (TF.js alias)
from layerflow.models.sequential import Sequential as Sequential
from layerflow.models.sequential import sequential as sequential
from layerflow.models.topology import clone_model as clone_model
from layerflow.models.topology import model_from_config as model_from_config
from layerflow.models.topology import model_from_json as model_from_json
