"""Layer: the Keras layer contract, with TF.js's eager ``apply``.

A layer stores its arguments in ``__init__`` (they are its config; see ``layers/config.py``),
creates weights in ``build(input_shape)`` with :meth:`Layer.add_weight`, and computes in
``call(inputs, training=None, mask=None)`` with ops only. Calling it (``layer(x)`` or
``layer.apply(x)``) builds it on first use, then:

- on symbolic inputs (from ``lf.input``) runs ``call`` on symbolic values, so the ops' shape
  rules infer (and check) the output shape, and records a :class:`~layerflow.layers.symbolic.Node`;
- on tensors, arrays or lists computes now (eager).

>>> import layerflow as lf
>>> class Scale(lf.layers.Layer):
...     def __init__(self, factor=2.0, **kwargs):
...         super().__init__(**kwargs)
...         self.factor = factor
...     def call(self, inputs):
...         return inputs * self.factor
>>> Scale(3.0)(lf.tensor([1.0, 2.0])).array_sync()
[3.0, 6.0]
>>> Scale(3.0, name='s').get_config()['factor']
3.0
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect

import numpy as np

from layerflow.engine.context import ENGINE
from layerflow.engine.convert import to_tensor
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.engine.tensor import Tensor, Variable
from layerflow.errors import InvalidArgumentError, LayerflowError, ShapeError
from layerflow.layers.config import recording_init
from layerflow.layers.symbolic import KerasTensor, Node
from layerflow.serialization import register, serialize, to_snake_case

_BASE_KEYS = ("name", "trainable", "dtype", "input_shape", "batch_input_shape", "batch_size",
              "input_dim")


_DEFERRED_INIT: contextvars.ContextVar = contextvars.ContextVar("deferred_init", default=None)


@contextlib.contextmanager
def deferred_initialization():
    """Within it, new weights start as zeros and the list it yields collects each one with
    its initializer, ``[(variable, initializer)]``: for models whose weights a file is
    about to set (the loader initializes those the file lacks)."""
    pending: list = []
    token = _DEFERRED_INIT.set(pending)
    try:
        yield pending
    finally:
        _DEFERRED_INIT.reset(token)


class Layer:
    """Base class of every layer (Keras ``Layer``, TF.js ``tf.layers.Layer``)."""

    _registry_kind = "layer"
    # NOTE: True where XLA on CPU runs the layer's kernels on fewer cores than the host has
    # (convolutions, recurrent loops): only then may a train step split its batch over the
    # cores (models/data_parallel.py); a dense model's matmuls already use them all
    _leaves_cores_idle = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = recording_init(cls.__dict__["__init__"])
        signature = inspect.signature(cls.call)
        cls._call_has_training = "training" in signature.parameters
        cls._call_has_mask = "mask" in signature.parameters
        # NOTE: layerflow's own classes are allow-listed for loading; user classes must be
        # registered explicitly (serialization.register_class), so a file cannot name them.
        if cls.__module__.startswith("layerflow.") and not cls.__name__.startswith("_"):
            register("layer", cls.__name__, cls)

    def __init__(self, trainable: bool = True, name: str | None = None, dtype=None,
                 input_shape=None, batch_input_shape=None, batch_size=None, input_dim=None,
                 **kwargs) -> None:
        kwargs.pop("input_length", None)  # Keras 2 Embedding argument, accepted and ignored
        for legacy in ("weights", "autocast"):
            kwargs.pop(legacy, None)
        if kwargs:
            raise InvalidArgumentError(
                f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")
        from layerflow.engine import dtypes

        self.__dict__["_layers"] = []
        self.name = name if name is not None else unique_name(to_snake_case(type(self).__name__))
        self.dtype = "float32" if dtype is None else dtypes.canonical(_policy_dtype(dtype))
        self._trainable = bool(trainable)
        self._trainable_weights: list[Variable] = []
        self._non_trainable_weights: list[Variable] = []
        self._weight_regularizers: list = []
        self._activity_losses: list = []
        self.activity_regularizer = None
        self.built = False
        self.supports_masking = False
        self.input_spec = None
        self.inbound_nodes: list[Node] = []
        self.batch_input_shape = _batch_input_shape(input_shape, batch_input_shape,
                                                    batch_size, input_dim)

    # -- tracking -----------------------------------------------------------------------------
    def __setattr__(self, name, value):
        layers = self.__dict__.get("_layers")
        if layers is not None and not name.startswith("__"):
            for item in (value if isinstance(value, (list, tuple)) else (value,)):
                if isinstance(item, Layer) and item is not self and all(
                        item is not known for known in layers):
                    layers.append(item)
                elif isinstance(item, Variable) and name != "_data":
                    self._track_variable(item)
        object.__setattr__(self, name, value)

    def _track_variable(self, variable: Variable) -> None:
        bucket = self._trainable_weights if variable.trainable else self._non_trainable_weights
        if all(v is not variable for v in self._trainable_weights + self._non_trainable_weights):
            bucket.append(variable)

    @property
    def trainable(self) -> bool:
        """Whether the layer's weights are trained (False freezes them and its sublayers)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def layers(self) -> list:
        """Sublayers tracked by attribute assignment."""
        return list(self._layers)

    # -- weights ------------------------------------------------------------------------------
    def add_weight(self, name=None, shape=None, dtype=None, initializer=None, regularizer=None,
                   trainable=True, constraint=None):
        """Create a weight variable named ``<layer>/<name>`` (call from ``build``).

        Args:
            name: the weight's name within the layer (``kernel``, ``bias`` ...).
            shape: its shape.
            initializer: name, object or callable ``(shape, dtype) -> tensor``; default
                ``glorot_uniform`` for floats, ``zeros`` otherwise.
            regularizer: adds a penalty to ``layer.losses``.
            constraint: applied to the value after each optimizer update.
        """
        from layerflow import constraints, initializers, regularizers
        from layerflow.engine import dtypes
        from layerflow.engine.memory import no_tracking
        from layerflow.ops.creation import variable

        if shape is None:
            shape = ()
        shape = tuple(int(d) for d in shape)
        dtype = dtypes.canonical(dtype) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if dtypes.is_float(dtype) else "zeros"
        init = initializers.get(initializer)
        name = name or f"weight_{len(self._trainable_weights) + len(self._non_trainable_weights)}"
        with no_tracking():
            deferred = _DEFERRED_INIT.get()
            if deferred is not None:
                # NOTE: a model being loaded gets its values from the file: zeros cost nothing
                # (calloc), running the initializers cost half of a load's time.
                deferred.append((shape, dtype, init))
                init = initializers.get("zeros")
            value = init(shape, dtype)
            var = variable(value, trainable=trainable, name=f"{self.name}/{name}", dtype=dtype)
            if deferred is not None:
                deferred[-1] = (var, deferred[-1][2])
        if isinstance(value, Tensor) and value is not var:
            value.dispose()
        var._constraint = constraints.get(constraint) if constraint is not None else None
        (self._trainable_weights if trainable else self._non_trainable_weights).append(var)
        if regularizer is not None:
            self._weight_regularizers.append((var, regularizers.get(regularizer)))
        return var

    def _all_layers(self) -> list:
        return self._layers

    @property
    def trainable_weights(self) -> list:
        """Weights the optimizer updates (empty when ``trainable`` is False)."""
        if not self.trainable:
            return []
        found = list(self._trainable_weights)
        for layer in self._all_layers():
            found.extend(layer.trainable_weights)
        return _unique(found)

    @property
    def non_trainable_weights(self) -> list:
        """Weights the optimizer leaves alone (moving statistics, frozen weights)."""
        found = list(self._non_trainable_weights)
        if not self.trainable:
            found = list(self._trainable_weights) + found
        for layer in self._all_layers():
            found.extend(layer.non_trainable_weights)
        return _unique(found)

    @property
    def weights(self) -> list:
        """All weights: trainable first, then non-trainable (Keras and TF.js order)."""
        return _unique(self.trainable_weights + self.non_trainable_weights)

    @property
    def variables(self) -> list:
        """Same as :attr:`weights` (TF2's name)."""
        return self.weights

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list:
        return self.non_trainable_weights

    @property
    def state_variables(self) -> list:
        """Variables a call may assign that are not weights (a stateful RNN's states), here and
        in sublayers: a compiled step must carry them too."""
        found = [v for v in (self.__dict__.get("states") or []) if isinstance(v, Variable)]
        for layer in self._all_layers():
            found.extend(layer.state_variables)
        return _unique(found)

    def get_weights(self) -> list[np.ndarray]:
        """The weights' values as NumPy arrays."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Set every weight from arrays, in :attr:`weights` order; shapes must match."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise InvalidArgumentError(
                f"{self.name}: set_weights expected {len(own)} arrays "
                f"({[w.name for w in own]}), got {len(weights)}")
        for var, value in zip(own, weights):
            value = np.asarray(value.numpy() if isinstance(value, Tensor) else value)
            if tuple(value.shape) != var.shape:
                raise ShapeError(f"{self.name}: weight {var.name} has shape {var.shape}, "
                                 f"got an array of shape {tuple(value.shape)}")
            var.assign(value)

    def count_params(self) -> int:
        """Number of scalars in all weights."""
        if not self.built and not self.weights:
            raise LayerflowError(f"{self.name}: count_params() needs a built layer; call it on "
                                 "data or build(input_shape) first")
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    @property
    def losses(self) -> list:
        """Regularization penalties: weight regularizers now, and the last call's activity."""
        found = []
        for var, reg in self._weight_regularizers:
            if var._data is not None:
                found.append(reg(var))
        found.extend(self._activity_losses)
        for layer in self._all_layers():
            found.extend(layer.losses)
        return found

    # -- building and calling ----------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape``; the base class creates none."""
        self.built = True

    def _maybe_build(self, inputs) -> None:
        if self.built:
            return
        shapes = _map_structure(lambda t: t.shape, inputs)
        self.build(shapes)
        self.built = True

    def call(self, inputs, *args, **kwargs):
        """The computation, written with ops. The base class returns its input."""
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        inputs = _convert_inputs(inputs, self.dtype)
        symbolic = any(isinstance(t, SymbolicTensor) for t in _flatten(inputs))
        if not self._call_has_training:
            kwargs.pop("training", None)
        if not self._call_has_mask:
            kwargs.pop("mask", None)
        self._check_input_spec(inputs)
        self._maybe_build(inputs)
        if symbolic:
            return self._call_symbolic(inputs, args, kwargs)
        outputs = self.call(inputs, *args, **kwargs)
        self._record_activity(outputs)
        return outputs

    def apply(self, inputs, *args, **kwargs):
        """Same as calling the layer (TF.js ``layer.apply``)."""
        return self(inputs, *args, **kwargs)

    def _call_symbolic(self, inputs, args, kwargs):
        try:
            raw = self.call(inputs, *args, **kwargs)
        except LayerflowError as err:
            raise type(err)(f"{self.name} ({type(self).__name__}): {err}") from None
        flat_in = [t for t in _flatten(inputs) if isinstance(t, SymbolicTensor)]
        outputs = _map_structure(lambda t: KerasTensor(t.shape, t.dtype), raw)
        flat_out = _flatten(outputs)
        node = Node(self, flat_in, flat_out, dict(kwargs), _structure(inputs))
        for i, out in enumerate(flat_out):
            out.node, out.index = node, i
        self.inbound_nodes.append(node)
        return outputs

    def _check_input_spec(self, inputs) -> None:
        """Layers with a fixed input rank or last dim say so here (hook for subclasses)."""

    def _record_activity(self, outputs) -> None:
        if self.activity_regularizer is None:
            return
        self._activity_losses = [self.activity_regularizer(t) for t in _flatten(outputs)
                                 if isinstance(t, Tensor)]

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape``, found by running ``call`` symbolically."""
        inputs = _map_structure(lambda s: SymbolicTensor(s, self.dtype), input_shape,
                                leaf=lambda s: isinstance(s, tuple) and all(
                                    d is None or isinstance(d, int) for d in s))
        self._maybe_build(inputs)
        outputs = self.call(inputs)
        return _map_structure(lambda t: t.shape, outputs)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: passed through when the layer supports masking."""
        if not self.supports_masking:
            return None
        return mask

    # -- symbolic graph helpers -----------------------------------------------------------------
    @property
    def output(self):
        """The output of this layer's only symbolic call."""
        if len(self.inbound_nodes) != 1:
            raise LayerflowError(f"{self.name}: output is defined when the layer was called "
                                 f"once on symbolic inputs; it was called "
                                 f"{len(self.inbound_nodes)} times")
        outs = self.inbound_nodes[0].outputs
        return outs[0] if len(outs) == 1 else list(outs)

    @property
    def input(self):
        """The input of this layer's only symbolic call."""
        if len(self.inbound_nodes) != 1:
            raise LayerflowError(f"{self.name}: input is defined when the layer was called once"
                                 f" on symbolic inputs; it was called "
                                 f"{len(self.inbound_nodes)} times")
        ins = self.inbound_nodes[0].inputs
        return ins[0] if len(ins) == 1 else list(ins)

    @property
    def output_shape(self):
        out = self.output
        return [t.shape for t in out] if isinstance(out, list) else out.shape

    # -- config -----------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments (activations etc. serialized), plus name/trainable/dtype."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        own = _own_parameters(type(self))
        for key, value in self.__dict__.get("_init_args", {}).items():
            if key in _BASE_KEYS and key not in own:
                continue
            config[key] = _serialize_arg(key, value)
        return config

    @classmethod
    def from_config(cls, config: dict):
        """A new layer from :meth:`get_config`'s output."""
        return cls(**config)

    @property
    def class_name(self) -> str:
        return type(self).__name__

    def dispose(self) -> None:
        """Dispose every weight this layer (and its sublayers) owns."""
        for w in self.weights:
            w.dispose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


# -- helpers --------------------------------------------------------------------------------
def unique_name(prefix: str) -> str:
    """``prefix``, then ``prefix_1``, ``prefix_2`` ... (Keras naming), per process."""
    counts = ENGINE.name_counts
    n = counts.get(prefix, 0)
    counts[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"


def _policy_dtype(dtype):
    if isinstance(dtype, dict):  # Keras 3 DTypePolicy config
        return dtype.get("config", {}).get("name", "float32")
    return dtype


def _own_parameters(cls) -> frozenset:
    """Names a class's own ``__init__`` declares (so ``Embedding(input_dim)`` keeps its
    ``input_dim`` while the base's ``input_dim`` shortcut stays out of configs)."""
    cached = cls.__dict__.get("_own_parameter_names")
    if cached is None:
        cached = frozenset(inspect.signature(cls.__init__).parameters)
        cls._own_parameter_names = cached
    return cached


_OBJECT_KINDS = {"_initializer": "initializers", "_regularizer": "regularizers",
                 "_constraint": "constraints"}


def _serialize_arg(key: str, value):
    """A constructor argument for the config: initializers, regularizers and constraints are
    written as ``{"class_name", "config"}`` whatever form was given, as Keras and TF.js write
    them; activations as their names."""
    import importlib

    for suffix, module in _OBJECT_KINDS.items():
        if key.endswith(suffix) and value is not None:
            resolver = importlib.import_module(f"layerflow.{module}")
            return resolver.serialize(resolver.get(value))
    if (key == "activation" or key.endswith("_activation")) and value is not None:
        from layerflow import activations

        return activations.serialize(activations.get(value))
    return serialize_value(value)


def serialize_value(value):
    """A config value as JSON-ready data (objects with get_config become class_name/config)."""
    if isinstance(value, tuple):
        return [serialize_value(v) for v in value]
    if isinstance(value, list):
        return [serialize_value(v) for v in value]
    if isinstance(value, dict):
        return {k: serialize_value(v) for k, v in value.items()}
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if hasattr(value, "get_config") or hasattr(value, "serialize_name"):
        if hasattr(value, "serialize_name"):
            return value.serialize_name()
        return serialize(value)
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return value


def _batch_input_shape(input_shape, batch_input_shape, batch_size, input_dim):
    if batch_input_shape is not None:
        return tuple(None if d is None else int(d) for d in batch_input_shape)
    if input_shape is None and input_dim is not None:
        input_shape = (input_dim,)
    if input_shape is None:
        return None
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    return (batch_size,) + tuple(None if d is None else int(d) for d in input_shape)


def _unique(items: list) -> list:
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def _flatten(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flatten(item)]
    return [structure]


def _structure(inputs) -> str:
    if isinstance(inputs, dict):
        return "dict"
    if isinstance(inputs, (list, tuple)):
        return "list"
    return "single"


def _map_structure(fn, structure, leaf=None):
    if leaf is not None and leaf(structure):
        return fn(structure)
    if isinstance(structure, list):
        return [_map_structure(fn, s, leaf) for s in structure]
    if isinstance(structure, tuple) and leaf is None:
        return tuple(_map_structure(fn, s, leaf) for s in structure)
    if isinstance(structure, tuple):
        return tuple(_map_structure(fn, s, leaf) for s in structure)
    if isinstance(structure, dict):
        return {k: _map_structure(fn, v, leaf) for k, v in structure.items()}
    return fn(structure)


def _convert_inputs(inputs, dtype):
    """Arrays and lists become tensors (float inputs in the layer's dtype)."""
    if isinstance(inputs, (Tensor, SymbolicTensor)):
        return inputs
    if isinstance(inputs, np.ndarray):
        return to_tensor(inputs, dtype if inputs.dtype.kind == "f" else None)
    if isinstance(inputs, dict):
        return {k: _convert_inputs(v, dtype) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        nested = all(isinstance(v, (Tensor, SymbolicTensor, np.ndarray, dict, list, tuple))
                     for v in inputs)
        numbers = all(isinstance(v, (list, tuple)) and v and isinstance(v[0], (int, float))
                      for v in inputs)
        if inputs and nested and not numbers:
            return [_convert_inputs(v, dtype) for v in inputs]
        return to_tensor(inputs, None)
    return to_tensor(inputs, None)
