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
from layerflow.layers.base import deferred_initialization
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

    topology = _tfjs_dialect(model_to_dict(model))
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
        trainer.optimizer.build(model.trainable_weights)
        for name, value in optimizer_weights(trainer.optimizer, model).items():
            spec, data, _ = encode_weights({name: value}, None, group="optimizer")
            specs += spec
            chunks.append(data)
    return ModelArtifacts(model_topology=topology, format="layers-model",
                          generated_by=GENERATED_BY, converted_by=None,
                          training_config=training_config,
                          user_defined_metadata=getattr(model, "_user_defined_metadata", None),
                          weight_specs=specs, weight_data=b"".join(chunks))


# Keras optimizer -> (TF.js class name, TF.js config keys from ours, our slot kinds in TF.js's
# order, TF.js's slot suffixes). TF.js lays optimizer weights out as [iter, every variable's
# first slot, every variable's second slot, ...].
_TFJS_OPTIMIZERS = {
    "SGD": ("SGD", {"learning_rate": "learning_rate"}, (), ()),
    "Momentum": ("Momentum", {"learning_rate": "learning_rate", "momentum": "momentum",
                              "nesterov": "use_nesterov"}, ("momentum",), ("momentum",)),
    "Adam": ("Adam", {"learning_rate": "learning_rate", "beta_1": "beta1", "beta_2": "beta2",
                      "epsilon": "epsilon"}, ("momentum", "velocity"), ("m", "v")),
    "Adamax": ("Adamax", {"learning_rate": "learning_rate", "beta_1": "beta1",
                          "beta_2": "beta2", "epsilon": "epsilon"},
               ("momentum", "norm"), ("m", "v")),
    "RMSprop": ("RMSProp", {"learning_rate": "learning_rate", "rho": "decay",
                            "momentum": "momentum", "epsilon": "epsilon",
                            "centered": "centered"},
                ("velocity", "momentum", "average_gradient"), ("rms", "momentum", "mg")),
    "Adagrad": ("Adagrad", {"learning_rate": "learning_rate",
                            "initial_accumulator_value": "initial_accumulator_value"},
                ("accumulator",), ("accumulator",)),
    "Adadelta": ("Adadelta", {"learning_rate": "learning_rate", "rho": "rho",
                              "epsilon": "epsilon"},
                 ("accumulated_grad", "accumulated_delta_var"), ("accum_grad", "accum_var")),
}


def _tfjs_kind(optimizer) -> str | None:
    kind = type(optimizer).__name__
    if kind == "SGD" and optimizer.get_config().get("momentum"):
        kind = "Momentum"
    return kind if kind in _TFJS_OPTIMIZERS else None


def _tfjs_dialect(entry):
    """The topology with the few keys TF.js reads under Keras 2's names added (every layer,
    nested ones too): LeakyReLU's ``negative_slope`` is TF.js's ``alpha``."""
    if isinstance(entry, list):
        return [_tfjs_dialect(item) for item in entry]
    if not isinstance(entry, dict):
        return entry
    entry = {key: _tfjs_dialect(value) for key, value in entry.items()}
    config = entry.get("config")
    if entry.get("class_name") == "LeakyReLU" and isinstance(config, dict):
        config.setdefault("alpha", config.get("negative_slope"))
    return entry


def training_config_of(trainer) -> dict:
    """TF.js's ``trainingConfig``: the optimizer config, loss and metrics names.

    Optimizers TF.js has are written under TF.js's class names and config keys, so TF.js can
    resume training; the others (AdamW, Nadam) keep Keras's form (layerflow reads both).
    """
    from layerflow import serialization

    optimizer = trainer.optimizer
    config = optimizer.get_config()
    kind = _tfjs_kind(optimizer)
    if kind is not None:
        class_name, keys, _, _ = _TFJS_OPTIMIZERS[kind]
        config = {theirs: _plain(config[ours]) for ours, theirs in keys.items() if ours in config}
    else:
        class_name = type(optimizer).__name__
    losses = [serialization.to_snake_case(type(loss).__name__) if loss is not None else None
              for loss in trainer.spec.losses]
    metrics = [m.name for items in trainer.spec.metrics for m in items]
    found = {"optimizer_config": {"class_name": class_name, "config": config},
             "loss": losses[0] if len(losses) == 1 else losses, "metrics": metrics}
    if any(w != 1.0 for w in trainer.spec.loss_weights):  # NOTE: TF.js refuses loss_weights
        found["loss_weights"] = trainer.spec.loss_weights
    return found


def _plain(value):
    return float(value) if isinstance(value, (np.floating, float)) else value


def _slot(optimizer, variable, kind: str):
    """Our slot variable of ``kind`` for ``variable`` (None if the optimizer has none)."""
    name = f"{optimizer.name}/{variable.name.replace('/', '_')}_{kind}"
    for v in optimizer.variables:
        if v.name == name:
            return v
    return None


def optimizer_weights(optimizer, model) -> dict:
    """The optimizer's state by name, in TF.js's layout where TF.js has the optimizer
    (``iter``, then ``<weight>/<slot>`` grouped by slot), else every variable in order."""
    kind = _tfjs_kind(optimizer)
    if kind is None:
        names = unique_weight_names(optimizer.variables)
        return {f"optimizer/{n}": v.numpy() for n, v in zip(names, optimizer.variables)}
    _, _, kinds, suffixes = _TFJS_OPTIMIZERS[kind]
    trainable = model.trainable_weights
    names = file_weight_names(model, trainable)
    found = {"iter": np.asarray(int(optimizer.iterations.numpy()), dtype=np.int32)}
    for ours, theirs in zip(kinds, suffixes):
        if ours == "average_gradient" and not optimizer.get_config().get("centered"):
            continue
        for var, name in zip(trainable, names):
            slot = _slot(optimizer, var, ours)
            # NOTE: TF.js's RMSProp keeps momentum slots even at momentum 0: write zeros.
            value = slot.numpy() if slot is not None else np.zeros(var.shape, np.float32)
            found[f"{name}/{theirs}"] = _momentum_to_tfjs(optimizer, kind, value)
    return found


# NOTE: Keras's SGD momentum slot holds m = momentum*m - lr*g (the step itself); TF.js's holds
# accum = momentum*accum + g and steps by -lr*accum. With a fixed learning rate m = -lr*accum.
def _momentum_to_tfjs(optimizer, kind: str, value):
    if kind != "Momentum":
        return value
    return (-value / float(optimizer.learning_rate)).astype(value.dtype)


def _momentum_from_tfjs(optimizer, kind: str, value):
    if kind != "Momentum":
        return value
    return (-np.asarray(value) * float(optimizer.learning_rate)).astype(np.float32)


def _set_optimizer_weights(model, optimizer, values: dict) -> str | None:
    """Restore the optimizer from saved values; returns a problem description or None."""
    kind = _tfjs_kind(optimizer)
    optimizer.build(model.trainable_weights)
    if kind is None or "iter" not in values:
        names = [f"optimizer/{n}" for n in unique_weight_names(optimizer.variables)]
        ordered = [values.get(n) for n in names]
        if any(v is None for v in ordered):
            return f"expected {names}, got {sorted(values)}"
        optimizer.set_weights(ordered)
        return None
    _, _, kinds, suffixes = _TFJS_OPTIMIZERS[kind]
    trainable = model.trainable_weights
    names = file_weight_names(model, trainable)
    assignments = [(optimizer.iterations, np.asarray(values["iter"]).astype(np.int32))]
    for ours, theirs in zip(kinds, suffixes):
        for var, name in zip(trainable, names):
            slot = _slot(optimizer, var, ours)
            value = values.get(f"{name}/{theirs}")
            if slot is None:
                continue
            if value is None:
                return f"no {theirs} slot for {name} in the file"
            assignments.append((slot, _momentum_from_tfjs(optimizer, kind, value)))
    for var, value in assignments:
        var.assign(np.asarray(value, dtype=var.numpy().dtype).reshape(var.shape))
    return None


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
    weights = artifacts.weights or {}
    with deferred_initialization() as pending:
        model = model_from_config(_pythonic(topology), custom_objects)
    specs = {s["name"]: s for s in (artifacts.weight_specs or [])}
    model_weights = {n: v for n, v in weights.items()
                     if specs.get(n, {}).get("group") != "optimizer"}
    assigned: set = set()
    assign_weights(model, model_weights, strict=strict, assigned=assigned)
    for var, init in pending:
        if id(var) not in assigned:  # NOTE: strict=False and not in the file
            var.assign(init(var.shape, var.dtype))
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


def assign_weights(model, saved: dict, strict: bool = True,
                   assigned: set | None = None) -> list[str]:
    """Set ``model``'s weights from ``saved`` ({name: array}); returns the names left unused
    (and adds the ids of the variables it set to ``assigned`` when given).

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
        if assigned is not None:
            assigned.add(id(var))
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
        problem = _set_optimizer_weights(model, model.optimizer, optimizer_values)
        if problem is not None:
            message = f"optimizer weights in the file do not fit: {problem}"
            if strict:
                raise WeightsMismatchError(message)
            warnings.warn(message, stacklevel=3)
