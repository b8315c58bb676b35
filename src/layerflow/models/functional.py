"""The functional graph: the DAG of layer calls between a model's inputs and outputs.

Built from symbolic tensors (``lf.input`` and the layers applied to them), it orders the nodes
topologically once, checks that every output can be computed from the inputs, and runs the
layers in that order on concrete tensors, passing masks along as TF.js and Keras do.

>>> import layerflow as lf
>>> x = lf.input(shape=[2])
>>> y = lf.layers.Dense(3)(x)
>>> graph = FunctionalGraph([x], [y])
>>> [layer.class_name for layer in graph.layers]
['InputLayer', 'Dense']
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError, LayerflowError, ShapeError
from layerflow.layers.symbolic import KerasTensor


class GraphError(LayerflowError, ValueError):
    """The graph between the given inputs and outputs is not a valid model."""


class FunctionalGraph:
    """Nodes in execution order, with the model's input and output tensors."""

    def __init__(self, inputs: list, outputs: list) -> None:
        for t in list(inputs) + list(outputs):
            if not isinstance(t, KerasTensor):
                raise InvalidArgumentError(
                    "model: inputs and outputs must be symbolic tensors from lf.input(...) and "
                    f"layers applied to them, got {type(t).__name__}")
        for t in inputs:
            if t.node is None or t.node.inputs:
                raise GraphError(f"model: input {t.name or t} must come straight from "
                                 "lf.input(...) (an InputLayer)")
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.nodes = self._order()
        self.layers = _unique([node.layer for node in self.nodes])
        names = [layer.name for layer in self.layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise GraphError(f"model: layer names must be unique, repeated: {duplicates}")

    def _order(self) -> list:
        ordered, state = [], {}
        input_ids = {id(t) for t in self.inputs}

        def visit(node, via):
            key = id(node)
            if state.get(key) == "done":
                return
            if state.get(key) == "active":
                raise GraphError("model: the graph has a cycle")
            state[key] = "active"
            for t in node.inputs:
                if id(t) in input_ids:
                    visit(t.node, node)
                    continue
                if t.node is None:
                    raise GraphError(f"model: tensor {t} has no producing layer")
                if not t.node.inputs and id(t) not in input_ids:
                    raise GraphError(
                        f"Graph disconnected: cannot obtain the value of input "
                        f"{t.node.layer.name!r} needed by layer {node.layer.name!r}; give it in "
                        "the model's inputs")
                visit(t.node, node)
            state[key] = "done"
            ordered.append(node)

        for out in self.outputs:
            if not out.node.inputs and id(out) not in input_ids:
                raise GraphError(f"Graph disconnected: output {out} comes from input "
                                 f"{out.node.layer.name!r}, which is not among the inputs")
            visit(out.node, None)
        # NOTE: inputs first, in the model's input order (as Keras lists layers); inputs no output
        # uses still belong to the model.
        input_nodes = [t.node for t in self.inputs]
        input_ids = {id(n) for n in input_nodes}
        return _unique(input_nodes) + [n for n in ordered if id(n) not in input_ids]

    def run(self, inputs: list, training=None, masks=None) -> list:
        """Compute the outputs from concrete input tensors (one per model input)."""
        if len(inputs) != len(self.inputs):
            raise InvalidArgumentError(f"model expects {len(self.inputs)} inputs, got "
                                       f"{len(inputs)}")
        values = {id(t): v for t, v in zip(self.inputs, inputs)}
        mask_of = {id(t): m for t, m in zip(self.inputs, masks or [None] * len(inputs))}
        for t, v in zip(self.inputs, inputs):
            _check_input(t, v)
        for node in self.nodes:
            if not node.inputs:
                continue
            args = [values[id(t)] for t in node.inputs]
            arg_masks = [mask_of.get(id(t)) for t in node.inputs]
            layer_input = args[0] if node.structure == "single" else args
            layer_mask = arg_masks[0] if node.structure == "single" else arg_masks
            layer = node.layer
            kwargs = dict(node.kwargs)
            if training is not None and layer._call_has_training:
                kwargs["training"] = training
            if layer._call_has_mask and any(m is not None for m in arg_masks):
                kwargs["mask"] = layer_mask
            out = layer(layer_input, **kwargs)
            outs = out if isinstance(out, (list, tuple)) else [out]
            out_mask = layer.compute_mask(layer_input, layer_mask)
            out_masks = out_mask if isinstance(out_mask, (list, tuple)) else [out_mask] * len(outs)
            for t, v, m in zip(node.outputs, outs, out_masks):
                values[id(t)] = v
                mask_of[id(t)] = m
        return [values[id(t)] for t in self.outputs]


def _check_input(spec: KerasTensor, value) -> None:
    shape = getattr(value, "shape", None)
    if shape is None:
        return
    expected = spec.shape
    if len(shape) != len(expected) or any(
            e is not None and e != g for e, g in zip(expected, shape)):
        raise ShapeError(f"model input {spec.name!r}: expected shape "
                         f"{_fmt(expected)}, got {tuple(shape)}")


def _fmt(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _unique(items):
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out
