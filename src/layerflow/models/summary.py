"""``model.summary()``: the Keras table of layers, output shapes and parameter counts.

Plain-text (Keras 2 / TF.js style): Sequential models get three columns; functional models a
fourth, "Connected to". ``line_length`` and ``positions`` (fractions or absolute column ends)
size the columns, ``print_fn`` receives each line, ``expand_nested`` lists the layers of nested
models under them.

>>> import layerflow as lf
>>> m = lf.sequential([lf.layers.Dense(2, input_shape=[3], name='d')], name='s')
>>> m.summary()
Model: "s"
_________________________________________________________________
 Layer (type)                Output Shape              Param #
=================================================================
 d (Dense)                   (None, 2)                 8
=================================================================
Total params: 8 (32.00 Byte)
Trainable params: 8 (32.00 Byte)
Non-trainable params: 0 (0.00 Byte)
_________________________________________________________________
"""

from __future__ import annotations

import numpy as np


def _shape_text(layer) -> str:
    try:
        shape = layer.output_shape
    except Exception:  # NOTE: a layer not called symbolically has no known output shape
        return "?"
    if isinstance(shape, list):
        return ", ".join(_one(s) for s in shape)
    return _one(shape)


def _one(shape) -> str:
    items = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _params(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _bytes(weights) -> float:
    return float(sum(w.numpy().nbytes for w in weights))


def _size_text(n: float) -> str:
    for unit in ("Byte", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


def _connections(layer, model) -> list[str]:
    if model._graph is None:
        return [""]
    graph_nodes = {id(n) for n in model._graph.nodes}
    found = []
    for node in layer.inbound_nodes:
        if id(node) not in graph_nodes:
            continue
        for t in node.inputs:
            source = t.node.layer
            index = [n for n in source.inbound_nodes if id(n) in graph_nodes].index(t.node)
            found.append(f"{source.name}[{index}][{t.index}]")
    return found or [""]


def _row(fields, ends) -> str:
    line, start = "", 0
    for field, end in zip(fields, ends):
        cell = (" " + str(field)) if start == 0 else str(field)
        width = end - start
        line += cell[: width - 1].ljust(width) if len(cell) >= width else cell.ljust(width)
        start = end
    return line.rstrip()


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False) -> None:
    """Print (or pass to ``print_fn``) the summary table of ``model``."""
    print_fn = print_fn or print
    functional = model._graph is not None and type(model).__name__ != "Sequential"
    line_length = line_length or (98 if functional else 65)
    positions = positions or ([0.33, 0.55, 0.67, 1.0] if functional else [0.45, 0.85, 1.0])
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional
                                                             else [])
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(_row(headers, positions))
    print_fn("=" * line_length)

    def emit(layer, prefix=""):
        try:
            params = layer.count_params()
        except Exception:  # NOTE: an unbuilt layer has no weights yet
            params = 0
        fields = [f"{prefix}{layer.name} ({layer.class_name})", _shape_text(layer), params]
        if functional:
            connections = _connections(layer, model)
            print_fn(_row(fields + [connections[0]], positions))
            for extra in connections[1:]:
                print_fn(_row(["", "", "", extra], positions))
        else:
            print_fn(_row(fields, positions))
        if expand_nested and hasattr(layer, "layers") and layer is not model:
            for inner in layer.layers:
                emit(inner, prefix + "  ")

    for layer in model.layers:
        emit(layer)
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    print_fn("=" * line_length)
    total = trainable + non_trainable
    print_fn(f"Total params: {_params(total)} ({_size_text(_bytes(total))})")
    print_fn(f"Trainable params: {_params(trainable)} ({_size_text(_bytes(trainable))})")
    print_fn(f"Non-trainable params: {_params(non_trainable)} "
             f"({_size_text(_bytes(non_trainable))})")
    print_fn("_" * line_length)
