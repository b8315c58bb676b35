"""Model configs: the Keras/TF.js topology JSON, written and read.

Written in the form TensorFlow.js and Keras both read (Keras 2 style, as ``tensorflowjs``
writes): a Sequential model lists its layers with the first one carrying
``batch_input_shape``; a functional model lists every layer with its ``inbound_nodes`` as
``[[layer_name, node_index, tensor_index, kwargs], ...]`` and names its ``input_layers`` and
``output_layers``. Reading also accepts Keras 3's forms (``batch_shape``, ``inbound_nodes`` as
``{"args": [...], "kwargs": {...}}``). Classes resolve only through the registry.

>>> import layerflow as lf
>>> m = lf.sequential([lf.layers.Dense(2, input_shape=[3], name='d')])
>>> config = m.get_config()
>>> config['layers'][0]['config']['batch_input_shape']
[None, 3]
>>> lf.models.model_from_json(m.to_json()).layers[0].name
'd'
"""

from __future__ import annotations

import json

from layerflow import serialization
from layerflow.errors import InvalidArgumentError, LayerflowError

KERAS_VERSION = "2.15.0"  # the topology dialect written (what tensorflowjs converters emit)


class ModelFormatError(LayerflowError, ValueError):
    """A model config is malformed."""


def layer_entry(layer) -> dict:
    """``{"class_name", "config"}`` of one layer (models nest their own configs)."""
    name = getattr(layer, "_registered_name", None) or layer.class_name
    return {"class_name": name, "config": layer.get_config()}


def sequential_config(model) -> dict:
    layers = [layer_entry(layer) for layer in model.layers]
    if layers and model._input_layer is not None and \
            "batch_input_shape" not in layers[0]["config"]:
        layers[0]["config"]["batch_input_shape"] = list(model._input_layer.batch_input_shape)
    return {"name": model.name, "layers": layers}


def _node_indices(model) -> dict:
    """node id -> the node's index among that layer's nodes in this model.

    A nested model counts from 1: in Keras 2 and TF.js a model's node 0 is the one linking its
    own inputs to its outputs, so its first call inside another model is node 1.
    """
    from layerflow.models.model import Model

    graph_nodes = {id(n) for n in model._graph.nodes}
    index = {}
    for layer in model._graph.layers:
        own = [n for n in layer.inbound_nodes if id(n) in graph_nodes]
        first = 1 if isinstance(layer, Model) else 0
        for i, node in enumerate(own):
            index[id(node)] = first + i
    return index


def functional_config(model) -> dict:
    node_index = _node_indices(model)
    nodes_of: dict[int, list] = {}
    for node in model._graph.nodes:
        nodes_of.setdefault(id(node.layer), []).append(node)
    layers = []
    for layer in model._graph.layers:
        inbound = []
        for node in nodes_of.get(id(layer), []):
            if not node.inputs:
                continue
            inbound.append([[t.node.layer.name, node_index[id(t.node)], t.index,
                             _json_kwargs(node.kwargs)] for t in node.inputs])
        entry = layer_entry(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound
        layers.append(entry)

    def refs(tensors):
        return [[t.node.layer.name, node_index[id(t.node)], t.index] for t in tensors]

    return {"name": model.name, "layers": layers, "input_layers": refs(model.inputs),
            "output_layers": refs(model.outputs)}


def _json_kwargs(kwargs: dict) -> dict:
    return {k: v for k, v in kwargs.items() if isinstance(v, (bool, int, float, str, type(None)))}


def model_to_dict(model) -> dict:
    """The whole topology document: class name, config, versions."""
    return {"class_name": model.class_name, "config": model.get_config(),
            "keras_version": KERAS_VERSION, "backend": "layerflow"}


def deserialize_layer(entry, custom_objects=None):
    """A layer (or nested model) from ``{"class_name", "config"}``; registry only."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ModelFormatError(f"layer entry must be an object with 'class_name', got {entry!r}")
    class_name = entry["class_name"]
    config = entry.get("config")
    if not isinstance(config, dict):
        raise ModelFormatError(f"layer {class_name!r}: 'config' must be an object")
    cls = serialization.lookup("layer", class_name, custom_objects)
    config = _normalize_layer_config(dict(config))
    if hasattr(cls, "from_config"):
        try:
            if "custom_objects" in cls.from_config.__code__.co_varnames:
                return cls.from_config(config, custom_objects=custom_objects)
            return cls.from_config(config)
        except LayerflowError:
            raise
        except TypeError as err:
            raise ModelFormatError(f"layer {class_name!r}: bad config: {err}") from None
    return cls(**config)


def _normalize_layer_config(config: dict) -> dict:
    """Keras 3 spellings mapped to the ones layerflow's constructors take."""
    if "batch_shape" in config and "batch_input_shape" not in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    config.pop("build_config", None)
    config.pop("module", None)
    config.pop("registered_name", None)
    return config


def sequential_from_config(config, custom_objects=None):
    from layerflow.models.sequential import Sequential

    if isinstance(config, list):  # very old Keras: a bare list of layers
        config = {"layers": config}
    layers = config.get("layers")
    if not isinstance(layers, list):
        raise ModelFormatError("Sequential config must have a list of 'layers'")
    model = Sequential(name=config.get("name"))
    for entry in layers:
        model.add(deserialize_layer(entry, custom_objects))
    return model


def _inbound_refs(node) -> list:
    """[(layer_name, node_index, tensor_index, kwargs)] from either dialect."""
    if isinstance(node, dict):  # Keras 3
        refs = []
        for arg in _flatten_args(node.get("args", [])):
            history = arg["config"]["keras_history"]
            refs.append((history[0], history[1], history[2], {}))
        return refs
    return [(ref[0], ref[1], ref[2], ref[3] if len(ref) > 3 else {}) for ref in node]


def _flatten_args(args) -> list:
    found = []
    for arg in args if isinstance(args, list) else [args]:
        if isinstance(arg, list):
            found.extend(_flatten_args(arg))
        elif isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            found.append(arg)
    return found


def functional_from_config(config, custom_objects=None):
    from layerflow.models.model import Model

    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ModelFormatError("functional model config must have a list of 'layers'")
    layers, pending = {}, []
    for entry in entries:
        layer = deserialize_layer(entry, custom_objects)
        name = entry.get("name", layer.name)
        layers[name] = layer
        for node in entry.get("inbound_nodes", []):
            pending.append((layer, _inbound_refs(node)))
    from layerflow.layers.input_layer import InputLayer

    outputs: dict[tuple[str, int], list] = {}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            outputs[(name, 0)] = [layer.output]
    from layerflow.models.model import Model as _Model

    made = {name: 1 if isinstance(layer, _Model) else 0 for name, layer in layers.items()}
    progress = True
    while pending and progress:
        progress = False
        for item in list(pending):
            layer, refs = item
            if not all((r[0], r[1]) in outputs for r in refs):
                continue
            args = [outputs[(r[0], r[1])][r[2]] for r in refs]
            kwargs = refs[0][3] if refs else {}
            out = layer(args[0] if len(args) == 1 else args, **kwargs)
            outs = out if isinstance(out, (list, tuple)) else [out]
            outputs[(layer.name, made[layer.name])] = list(outs)
            made[layer.name] += 1
            pending.remove(item)
            progress = True
    if pending:
        missing = sorted({r[0] for _, refs in pending for r in refs})
        raise ModelFormatError(f"functional config: cannot connect layers; unresolved inputs "
                               f"from {missing}")

    def resolve(refs):
        try:
            return [outputs[(r[0], r[1])][r[2]] for r in refs]
        except (KeyError, IndexError):
            raise ModelFormatError(f"functional config: unknown tensor reference in {refs}") \
                from None

    inputs = resolve(config.get("input_layers", []))
    outs = resolve(config.get("output_layers", []))
    return Model(inputs=inputs if len(inputs) > 1 else inputs[0],
                 outputs=outs if len(outs) > 1 else outs[0], name=config.get("name"))


def model_from_json(json_string: str, custom_objects=None):
    """A model (new weights) from :meth:`Model.to_json` output or a Keras/TF.js topology."""
    try:
        document = json.loads(json_string)
    except (json.JSONDecodeError, RecursionError) as err:
        raise ModelFormatError(f"model_from_json: not valid JSON: {err}") from None
    return model_from_config(document, custom_objects)


def model_from_config(document: dict, custom_objects=None):
    if not isinstance(document, dict) or "class_name" not in document:
        raise ModelFormatError("model config must be an object with 'class_name' and 'config'")
    if "model_config" in document:
        document = document["model_config"]
    return deserialize_layer(document, custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same topology and fresh weights (Keras ``clone_model``)."""
    if input_tensors is not None:
        raise InvalidArgumentError("clone_model: input_tensors is not supported; clone, then "
                                   "call the clone on new inputs")
    if clone_function is not None:
        from layerflow.models.sequential import Sequential

        if not isinstance(model, Sequential):
            raise InvalidArgumentError("clone_model: clone_function is supported for "
                                       "Sequential models")
        clone = Sequential(name=model.name)
        if model._input_layer is not None:
            clone.add(type(model._input_layer).from_config(model._input_layer.get_config()))
        for layer in model.layers:
            clone.add(clone_function(layer))
        return clone
    return deserialize_layer(layer_entry(model))
