"""Model: a layer with inputs, outputs and (in models/trainer.py) training.

Two ways to make one, as in Keras and TF.js:

- functional: ``lf.model(inputs=x, outputs=y)`` or ``lf.Model(inputs=x, outputs=y)`` runs the
  graph of layer calls between symbolic ``x`` and ``y`` (:class:`FunctionalGraph`);
- subclassing: ``class M(lf.Model)`` with ``__init__`` (sublayers assigned as attributes are
  tracked) and ``call``.

Both are the same class; a functional model simply has a graph. (``Functional`` is a name for
files: Keras 3 writes ``class_name: "Functional"``, TF.js ``"Model"``.)

>>> import layerflow as lf
>>> x = lf.input(shape=[3])
>>> model = lf.model(inputs=x, outputs=lf.layers.Dense(2, name='out')(x))
>>> model.predict(lf.ones([4, 3])).shape
(4, 2)
"""

from __future__ import annotations

import json

from layerflow.errors import InvalidArgumentError, LayerflowError
from layerflow.layers.base import Layer, _flatten, unique_name
from layerflow.models.functional import FunctionalGraph


class Model(Layer):
    """A model (Keras ``Model``, TF.js ``LayersModel``)."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs) -> None:
        super().__init__(name=name if name is not None else unique_name(
            "model" if inputs is not None or type(self) in (Model, Functional)
            else _snake(type(self).__name__)), trainable=trainable, **kwargs)
        self._graph = None
        self._input_structure = None
        self._output_structure = None
        self.trainer = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise InvalidArgumentError("model: give both inputs and outputs")
            self._set_graph(inputs, outputs)

    def _set_graph(self, inputs, outputs) -> None:
        self._input_structure = inputs
        self._output_structure = outputs
        flat_in = _flatten(inputs) if not isinstance(inputs, dict) else list(inputs.values())
        flat_out = _flatten(outputs) if not isinstance(outputs, dict) else list(outputs.values())
        self._graph = FunctionalGraph(flat_in, flat_out)
        self.built = True

    # -- structure --------------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """The model's layers (functional: every layer of the graph, InputLayers included)."""
        if self._graph is not None:
            return list(self._graph.layers)
        return list(self._layers)

    def _all_layers(self) -> list:
        return self.layers

    @property
    def inputs(self) -> list:
        return list(self._graph.inputs) if self._graph is not None else []

    @property
    def outputs(self) -> list:
        return list(self._graph.outputs) if self._graph is not None else []

    @property
    def input_names(self) -> list[str]:
        return [t.node.layer.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        if isinstance(self._output_structure, dict):
            return list(self._output_structure)
        return [t.node.layer.name for t in self.outputs]

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name or by index in :attr:`layers`."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise InvalidArgumentError(f"{self.name}: no layer at index {index}; the model "
                                           f"has {len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise InvalidArgumentError(f"{self.name}: no layer named {name!r}; layers: "
                                   f"{[layer.name for layer in self.layers]}")

    # -- computing --------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        if self._graph is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclassed model must define call(inputs)")
        flat = _model_inputs(self, inputs)
        outs = self._graph.run(flat, training=training,
                               masks=mask if isinstance(mask, list) else None)
        return _pack(self._output_structure, outs)

    # -- training (models/trainer.py) ------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                run_eagerly=False, jit_compile="auto", steps_per_execution="auto", **kwargs):
        """Set the optimizer, loss(es) and metrics (strings, functions or objects).

        On the jax backend the train step is one XLA program (``jit_compile``; off with
        ``run_eagerly=True``). ``steps_per_execution``: batches per call of that program; the
        default ``"auto"`` measures a few steps and groups short ones (``models/step_grouping``),
        an int fixes it (Keras's meaning).
        """
        self._trainer().compile(optimizer, loss, metrics, loss_weights, run_eagerly,
                                jit_compile, steps_per_execution, **kwargs)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_freq=1):
        """Train for ``epochs`` epochs; returns a ``History``.

        ``x`` may be arrays, tensors, lists or dicts of them (with ``y``), or an
        ``lf.data.Dataset`` / generator of batches (then see :meth:`fit_dataset`).
        """
        from layerflow.models.dataset_training import fit_from_fit_args, is_dataset_like

        if is_dataset_like(x):
            return fit_from_fit_args(self, x, y, batch_size, epochs, verbose, callbacks,
                                     validation_split, validation_data, shuffle, class_weight,
                                     sample_weight, initial_epoch, steps_per_epoch,
                                     validation_steps, validation_freq)
        return self._trainer().fit(x, y, batch_size, epochs, verbose, callbacks,
                                   validation_split, validation_data, shuffle, class_weight,
                                   sample_weight, initial_epoch, steps_per_epoch,
                                   validation_steps, validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss (and metrics) on ``x``, ``y`` (or on a Dataset of batches)."""
        from layerflow.models.dataset_training import evaluate_from_evaluate_args, is_dataset_like

        if is_dataset_like(x):
            return evaluate_from_evaluate_args(self, x, y, batch_size, verbose, sample_weight,
                                               steps, callbacks, return_dict)
        return self._trainer().evaluate(x, y, batch_size, verbose, sample_weight, steps,
                                        callbacks, return_dict)

    def fit_dataset(self, dataset, epochs=1, batches_per_epoch=None, validation_data=None,
                    validation_batches=None, callbacks=None, class_weight=None, initial_epoch=0,
                    verbose=1):
        """Train on an ``lf.data.Dataset`` of batches (TF.js ``fitDataset``)."""
        from layerflow.models.dataset_training import fit_dataset

        return fit_dataset(self, dataset, epochs, batches_per_epoch, validation_data,
                           validation_batches, callbacks, class_weight, initial_epoch, verbose)

    def evaluate_dataset(self, dataset, batches=None, return_dict=False):
        """The loss (and metrics) over a Dataset of batches (TF.js ``evaluateDataset``)."""
        from layerflow.models.dataset_training import evaluate_dataset

        return evaluate_dataset(self, dataset, batches, return_dict)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Outputs for ``x`` as NumPy arrays, computed in batches."""
        return self._trainer().predict(x, batch_size=batch_size, verbose=verbose, steps=steps,
                                       callbacks=callbacks)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One training step on one batch; returns the loss (and metrics)."""
        return self._trainer().train_on_batch(x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch, without training."""
        return self._trainer().test_on_batch(x, y, sample_weight, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch."""
        return self._trainer().predict_on_batch(x)

    @property
    def optimizer(self):
        return self._trainer().optimizer

    @property
    def stop_training(self) -> bool:
        """Set to True (from a callback) to end ``fit`` after the current batch."""
        return self._trainer().stop_training

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        self._trainer().stop_training = bool(value)

    def _trainer(self):
        if self.trainer is None:
            from layerflow.models.trainer import Trainer

            self.trainer = Trainer(self)
        return self.trainer

    # -- config -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        if self._graph is None:
            return {"name": self.name, "trainable": self.trainable,
                    **{k: v for k, v in self.__dict__.get("_init_args", {}).items()
                       if k not in ("name", "trainable")}}
        from layerflow.models.topology import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from layerflow.models.topology import functional_from_config

            return functional_from_config(config, custom_objects)
        return cls(**config)

    @property
    def class_name(self) -> str:
        if self._graph is not None and type(self) in (Model, Functional):
            return "Functional"
        return type(self).__name__

    def to_json(self, **kwargs) -> str:
        """The model's topology as Keras/TF.js JSON (``{"class_name", "config"}``)."""
        from layerflow.models.topology import model_to_dict

        return json.dumps(model_to_dict(self), **kwargs)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False):
        """Print a Keras-style table of layers, output shapes and parameter counts."""
        from layerflow.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    # -- files (models/saving.py) ---------------------------------------------------------------
    def save(self, url_or_handler, include_optimizer: bool = False, quantize=None,
             shard_size_bytes: int | None = None):
        """Save in the TF.js layers format: ``'dir'``, ``'file://dir'``, ``'http(s)://...'``
        (POST) or a handler. ``quantize``: ``'uint8'``, ``'uint16'``, ``'float16'`` or a dict
        of weight-name patterns per dtype. The write is atomic."""
        from layerflow.models.saving import save_model

        return save_model(self, url_or_handler, include_optimizer, quantize, shard_size_bytes)

    def set_user_defined_metadata(self, metadata: dict) -> None:
        """JSON-serializable data saved with the model (TF.js ``setUserDefinedMetadata``)."""
        import json

        try:
            json.dumps(metadata)
        except (TypeError, ValueError) as err:
            raise InvalidArgumentError(f"user-defined metadata must be JSON: {err}") from None
        self._user_defined_metadata = metadata

    def get_user_defined_metadata(self):
        """The metadata set or loaded with the model, or None."""
        return getattr(self, "_user_defined_metadata", None)

    def dispose(self) -> dict:
        """Dispose every variable the model owns; returns TF.js's counts."""
        weights = self.weights
        for w in weights:
            w.dispose()
        if self.trainer is not None:
            self.trainer.dispose()
        return {"refCountAfterDispose": 0, "numDisposedVariables": len(weights)}


class Functional(Model):
    """The class name files use for functional models; behaves exactly like :class:`Model`."""


def model(inputs=None, outputs=None, name=None) -> Model:
    """A functional model from symbolic ``inputs`` to ``outputs`` (TF.js ``tf.model``).

    >>> import layerflow as lf
    >>> x = lf.input(shape=[4])
    >>> m = lf.model(inputs=x, outputs=lf.layers.Dense(1)(x))
    >>> len(m.layers)
    2
    """
    return Model(inputs=inputs, outputs=outputs, name=name)


def _snake(name: str) -> str:
    from layerflow.serialization import to_snake_case

    return to_snake_case(name)


def _model_inputs(model: Model, inputs) -> list:
    """Concrete inputs in the order of ``model.inputs`` (dicts keyed by input name)."""
    structure = model._input_structure
    specs = model.inputs
    if isinstance(inputs, dict):
        names = model.input_names if not isinstance(structure, dict) else list(structure)
        missing = [n for n in names if n not in inputs]
        if missing:
            raise InvalidArgumentError(f"{model.name}: missing inputs {missing}; expected "
                                       f"{names}, got {sorted(inputs)}")
        return [inputs[n] for n in names]
    flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(flat) != len(specs):
        raise InvalidArgumentError(f"{model.name}: expected {len(specs)} inputs "
                                   f"({model.input_names}), got {len(flat)}")
    return flat


def _pack(structure, outs: list):
    if isinstance(structure, dict):
        return dict(zip(structure, outs))
    if isinstance(structure, (list, tuple)):
        return list(outs)
    return outs[0]


__all__ = ["Model", "Functional", "model", "LayerflowError"]
