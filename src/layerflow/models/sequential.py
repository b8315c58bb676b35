"""Sequential: a plain stack of layers, each feeding the next (Keras/TF.js ``sequential``).

When the first layer knows its input shape (``input_shape=`` or an InputLayer) the model builds
its graph as layers are added, so shapes are checked at once and ``summary()`` works before any
data; otherwise it builds on the first call, from the data's shape.

>>> import layerflow as lf
>>> model = lf.sequential()
>>> model.add(lf.layers.Dense(units=4, input_shape=[2]))
>>> model.add(lf.layers.Dense(units=1))
>>> [layer.name for layer in model.layers] == [model.layers[0].name, model.layers[1].name]
True
>>> model.output_shape
(None, 1)
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError
from layerflow.layers.base import Layer, unique_name
from layerflow.layers.input_layer import InputLayer
from layerflow.layers.symbolic import KerasTensor
from layerflow.models.model import Model


class Sequential(Model):
    """A linear stack of layers."""

    def __init__(self, layers=None, name=None, trainable=True, **kwargs) -> None:
        super().__init__(name=name if name is not None else unique_name("sequential"),
                         trainable=trainable, **kwargs)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        self._made_nodes: list = []  # (layer, node) this model's graph added; undone on rebuild
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list:
        """The stacked layers (the InputLayer is not listed, as in Keras and TF.js)."""
        return list(self._stack)

    def _all_layers(self) -> list:
        return list(self._stack)

    def add(self, layer: Layer) -> None:
        """Append a layer; checks shapes at once when the input shape is known."""
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise InvalidArgumentError(f"{self.name}: add() expects a layer, got "
                                       f"{type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise InvalidArgumentError(f"{self.name}: an InputLayer must come first")
            self._input_layer = layer
            self._rebuild()
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise InvalidArgumentError(f"{self.name}: all layers must have unique names; "
                                       f"{layer.name!r} is already in the model")
        if not self._stack and self._input_layer is None and layer.batch_input_shape is not None:
            self._input_layer = InputLayer(batch_input_shape=layer.batch_input_shape,
                                           dtype=layer.dtype,
                                           name=unique_name(f"{layer.name}_input"))
        self._stack.append(layer)
        self._rebuild()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise InvalidArgumentError(f"{self.name}: pop() on a model with no layers")
        layer = self._stack.pop()
        self._rebuild()
        return layer

    def _rebuild(self) -> None:
        # NOTE: each rebuild re-applies the stack; the nodes of the previous graph are removed
        # first so every layer keeps one node per model (layer.output stays defined).
        for layer, node in self._made_nodes:
            layer.inbound_nodes = [n for n in layer.inbound_nodes if n is not node]
        self._made_nodes = []
        if self._input_layer is None:
            self._graph = None
            return
        x = self._input_layer.output
        inputs = x
        for layer in self._stack:
            x = layer(x)
            self._made_nodes.append((layer, layer.inbound_nodes[-1]))
        self._set_graph(inputs, x)

    def build(self, input_shape=None) -> None:
        """Build from an input shape (with batch dim) when no layer gave one."""
        if self._graph is None and input_shape is not None:
            self._input_layer = InputLayer(batch_input_shape=tuple(input_shape),
                                           name=unique_name(f"{self.name}_input"))
            self._rebuild()
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if self._graph is None:
            self.build((None,) + tuple(inputs.shape[1:]))
        x = inputs
        for layer in self._stack:
            kwargs = {}
            if training is not None and layer._call_has_training:
                kwargs["training"] = training
            if mask is not None and layer._call_has_mask:
                kwargs["mask"] = mask
            next_mask = layer.compute_mask(x, mask)
            x = layer(x, **kwargs)
            mask = next_mask
        return x

    def _maybe_build(self, inputs) -> None:
        if self._graph is None and hasattr(inputs, "shape"):
            self.build((None,) + tuple(inputs.shape[1:]))
        self.built = True

    def get_config(self) -> dict:
        from layerflow.models.topology import sequential_config

        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from layerflow.models.topology import sequential_from_config

        return sequential_from_config(config, custom_objects)


def sequential(layers=None, name=None) -> Sequential:
    """A :class:`Sequential` model (TF.js ``tf.sequential({layers})``)."""
    return Sequential(layers=layers, name=name)
