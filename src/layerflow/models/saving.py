"""Models to TF.js layers-model artifacts and back: ``model.save`` and ``load_layers_model``.

Saving writes what TF.js's ``LayersModel.save`` writes: the topology (``model.to_json()``'s
document), the weights under their variable names (``<layer>/<weight>``, made unique as TF.js's
``getUniqueTensorName`` does), and with ``include_optimizer=True`` the training config and the
optimizer's weights (group ``optimizer``). Loading rebuilds the model from the topology through
the class registry (never importing anything a file names) and matches weights by name as TF.js
does, plus two fallbacks TF.js gets wrong or lacks:

- ``layer/cell/kernel`` <-> ``layer/kernel`` (TF >= 2.2 names vs TF.js names, both ways);
- Keras 3 ``.../vars/N`` names, mapped to the N-th weight of that layer.

>>> import tempfile, numpy as np, layerflow as lf
>>> model = lf.sequential([lf.layers.Dense(2, input_shape=[3], name='d')])
>>> folder = tempfile.mkdtemp() + '/m'
>>> _ = model.save(folder)
>>> again = lf.load_layers_model(folder)
>>> [w.name for w in again.weights]
['d/kernel', 'd/bias']
>>> bool(np.allclose(again.predict(np.ones((1, 3))), model.predict(np.ones((1, 3)))))
True
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from layerflow.errors import InvalidArgumentError, LayerflowError
from layerflow.models.topology import ModelFormatError, model_from_config, model_to_dict

GENERATED_BY = "layerflow 0.1.0"


class WeightsMismatchError(LayerflowError, ValueError):
    """Saved weights do not fit the model (missing, unexpected, or of another shape)."""


# NOTE: Keras 3 renamed a few weights; files keep the names TF.js (and Keras 2) use.
_FILE_NAMES = {("DepthwiseConv2D", "kernel"): "depthwise_kernel"}


def _owners(model) -> dict:
    """id(variable) -> the class name of the layer that created it."""
    found, stack = {}, [model]
    while stack:
        layer = stack.pop()
        for v in layer._trainable_weights + layer._non_trainable_weights:
            found.setdefault(id(v), type(layer).__name__)
        stack.extend(layer._all_layers())
    return found


def file_weight_names(model, variables) -> list[str]:
    """The names ``variables`` are saved under: TF.js's names, made unique."""
    owners = _owners(model)
    names = []
    for v in variables:
        head, _, last = v.name.rpartition("/")
        renamed = _FILE_NAMES.get((owners.get(id(v)), last))
        names.append(f"{head}/{renamed}" if renamed and head else v.name)
    return unique_weight_names(names)


def unique_weight_names(variables) -> list[str]:
    """Names (of variables, or strings) made unique with ``_1``, ``_2`` ... as TF.js does."""
    seen: dict[str, int] = {}
    names = []
    for v in variables:
        name = v if isinstance(v, str) else v.name
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def model_artifacts(model, include_optimizer: bool = False, quantize=None):
    """The :class:`~layerflow.io.ModelArtifacts` of ``model``, weights encoded (``quantize``
    applies to the model's float weights, never to the optimizer's)."""
    from layerflow.io import ModelArtifacts
    from layerflow.io.weights import encode_weights

    topology = model_to_dict(model)
    specs, chunks = [], []
    for name, value in zip(file_weight_names(model, model.weights), model.get_weights()):
        spec, data, _ = encode_weights({name: value}, quantize)
        specs += spec
        chunks.append(data)
    training_config = None
    if include_optimizer:
        trainer = model.trainer
        if trainer is None or not trainer.compiled:
            raise InvalidArgumentError("save(include_optimizer=True): the model is not compiled")
        training_config = training_config_of(trainer)
        for name, value in optimizer_weights(trainer.optimizer).items():
            spec, data, _ = encode_weights({name: value}, None, group="optimizer")
            specs += spec
            chunks.append(data)
    return ModelArtifacts(model_topology=topology, format="layers-model",
                          generated_by=GENERATED_BY, converted_by=None,
                          training_config=training_config,
                          user_defined_metadata=getattr(model, "_user_defined_metadata", None),
                          weight_specs=specs, weight_data=b"".join(chunks))


def training_config_of(trainer) -> dict:
    """TF.js's ``trainingConfig``: the optimizer config, loss and metrics names."""
    from layerflow import serialization

    optimizer = trainer.optimizer
    losses = [serialization.to_snake_case(type(loss).__name__) if loss is not None else None
              for loss in trainer.spec.losses]
    metrics = [m.name for items in trainer.spec.metrics for m in items]
    return {"optimizer_config": {"class_name": type(optimizer).__name__,
                                 "config": optimizer.get_config()},
            "loss": losses[0] if len(losses) == 1 else losses,
            "metrics": metrics, "loss_weights": trainer.spec.loss_weights}


def optimizer_weights(optimizer) -> dict:
    """The optimizer's variables by name (iterations first, as TF.js's ``getWeights``)."""
    names = unique_weight_names(optimizer.variables)
    return {f"optimizer/{n}": v.numpy() for n, v in zip(names, optimizer.variables)}


def save_model(model, url_or_handler, include_optimizer: bool = False, quantize=None,
               shard_size_bytes: int | None = None):
    """Save ``model`` in the TF.js layers format (see the module docs); returns SaveResult."""
    from layerflow.io import save_artifacts

    artifacts = model_artifacts(model, include_optimizer, quantize)
    return save_artifacts(artifacts, url_or_handler, shard_size_bytes=shard_size_bytes)


def load_layers_model(url_or_handler, strict: bool = True, custom_objects=None,
                      weight_path_prefix=None, compile: bool = True):  # noqa: A002
    """A model from TF.js layers-model files (``model.json`` + shards), a folder, a URL or a
    handler; ``strict=False`` loads the weights that match and warns about the rest.

    Keras files load too: ``.keras`` and ``.h5`` paths are recognised by their extension once
    the Keras formats are available; until then they are a clear error.
    """
    from layerflow.io import load_artifacts

    path = str(url_or_handler) if not hasattr(url_or_handler, "load") else ""
    if path.endswith((".keras", ".h5", ".hdf5")):
        raise InvalidArgumentError(
            f"load_layers_model: {path!r} is a Keras file; reading Keras files is not "
            "available yet, only TF.js layers models (model.json + shards)")
    artifacts = load_artifacts(url_or_handler, weight_path_prefix=weight_path_prefix)
    topology = artifacts.model_topology
    if not isinstance(topology, dict):
        raise ModelFormatError("model.json: modelTopology must be an object")
    if "model_config" in topology:  # converted from Keras by tensorflowjs
        topology = topology["model_config"]
    model = model_from_config(_pythonic(topology), custom_objects)
    weights = artifacts.weights or {}
    specs = {s["name"]: s for s in (artifacts.weight_specs or [])}
    model_weights = {n: v for n, v in weights.items()
                     if specs.get(n, {}).get("group") != "optimizer"}
    assign_weights(model, model_weights, strict=strict)
    model._user_defined_metadata = artifacts.user_defined_metadata
    if compile and artifacts.training_config:
        _restore_training(model, artifacts.training_config,
                          {n: v for n, v in weights.items() if n not in model_weights}, strict)
    return model


def _pythonic(topology: dict) -> dict:
    """TF.js writes snake_case keys already; accept camelCase ones from hand-made files."""
    return topology


def _candidates(name: str) -> list[str]:
    """The names a saved weight may match: itself and, for ``a/cell/kernel``, ``a/kernel``."""
    tokens = name.split("/")
    found = [name]
    if len(tokens) >= 3:
        found.append("/".join(tokens[:-2] + tokens[-1:]))
    return found


_KERAS3_VARS = re.compile(r"^(?:layers/)?(?P<path>.+)/vars/(?P<index>\d+)$")


def assign_weights(model, saved: dict, strict: bool = True) -> list[str]:
    """Set ``model``'s weights from ``saved`` ({name: array}); returns the names left unused.

    Matching: exact name; then each side with its second-to-last token dropped; then Keras 3
    ``<layer>/vars/<i>`` names by the layer's i-th weight.
    """
    variables = model.weights
    own_names = unique_weight_names(variables) + file_weight_names(model, variables)
    variables = variables + variables
    index: dict[str, object] = {}
    for name, var in zip(own_names, variables):
        for key in _candidates(name):
            index.setdefault(key, var)
    by_layer = _weights_by_layer(model)
    targets: list[tuple[object, str, np.ndarray]] = []
    unused = []
    for name, value in saved.items():
        var = None
        for key in _candidates(name):
            var = index.get(key)
            if var is not None:
                break
        if var is None:
            match = _KERAS3_VARS.match(name)
            if match and match["path"].split("/")[-1] in by_layer:
                layer_weights = by_layer[match["path"].split("/")[-1]]
                i = int(match["index"])
                var = layer_weights[i] if i < len(layer_weights) else None
        if var is None or any(var is t[0] for t in targets):
            unused.append(name)
            continue
        targets.append((var, name, value))
    variables = model.weights
    missing = [v.name for v in variables if all(v is not t[0] for t in targets)]
    problems = []
    for var, name, value in targets:
        if tuple(value.shape) != var.shape:
            problems.append(f"{name}: file has shape {tuple(value.shape)}, the model's "
                            f"{var.name} has shape {var.shape}")
    if problems:
        raise WeightsMismatchError("weights do not fit the model: " + "; ".join(problems))
    if (missing or unused) and strict:
        raise WeightsMismatchError(
            f"weights do not match the model (strict=True): {len(missing)} of {len(variables)} "
            f"model weights have no value in the file {missing[:10]}, and {len(unused)} saved "
            f"weights have no target {unused[:10]}; load with strict=False to take what matches")
    if missing or unused:
        warnings.warn(f"loaded {len(targets)} of {len(variables)} weights; not set: {missing}; "
                      f"unused in the file: {unused}", stacklevel=3)
    for var, _, value in targets:
        var.assign(np.asarray(value, dtype=var.numpy().dtype))
    return unused


def _weights_by_layer(model) -> dict:
    found = {}
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        found.setdefault(layer.name, layer.weights)
        stack.extend(getattr(layer, "layers", []))
    return found


def _restore_training(model, training_config: dict, optimizer_values: dict,
                      strict: bool) -> None:
    """Compile ``model`` as ``trainingConfig`` says and restore the optimizer's state."""
    from layerflow import optimizers

    config = training_config.get("optimizer_config")
    optimizer = optimizers.get(config) if config else "rmsprop"
    loss = training_config.get("loss")
    metrics = training_config.get("metrics") or None
    try:
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics,
                      loss_weights=training_config.get("loss_weights"))
    except LayerflowError as err:
        if strict:
            raise
        warnings.warn(f"could not restore the training config: {err}", stacklevel=3)
        return
    if optimizer_values:
        opt = model.optimizer
        opt.build(model.trainable_weights)
        names = [f"optimizer/{n}" for n in unique_weight_names(opt.variables)]
        values = [optimizer_values.get(n) for n in names]
        if any(v is None for v in values):
            message = (f"optimizer weights in the file do not match "
                       f"{type(opt).__name__}: expected {names}, got {sorted(optimizer_values)}")
            if strict:
                raise WeightsMismatchError(message)
            warnings.warn(message, stacklevel=3)
            return
        opt.set_weights(values)
