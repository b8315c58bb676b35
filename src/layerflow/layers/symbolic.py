"""The symbolic side of layers: KerasTensor, Node, ``lf.input`` and InputLayer.

Applying a layer to a :class:`KerasTensor` records a :class:`Node` (the layer, its input tensors,
its output tensors and the call's keyword arguments) and returns new KerasTensors whose
``node`` points back to it. A functional model walks these nodes back from its outputs to its
inputs. Shapes come from the ops' shape rules, run on symbolic values.

>>> import layerflow as lf
>>> x = lf.input(shape=[3], name='features')
>>> x.shape, x.dtype, x.name
((None, 3), 'float32', 'features')
"""

from __future__ import annotations

from layerflow.engine.symbolic import SymbolicTensor
from layerflow.errors import InvalidArgumentError


class KerasTensor(SymbolicTensor):
    """A symbolic tensor that remembers the layer call (node) that produced it."""

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0) -> None:
        super().__init__(shape, dtype, name)
        self.node = node
        self.index = index

    @property
    def source_layer(self):
        """The layer whose call produced this tensor."""
        return None if self.node is None else self.node.layer

    def __repr__(self) -> str:
        layer = self.source_layer
        origin = f" from {layer.name}" if layer is not None else ""
        return f"<KerasTensor shape={self.shape} dtype={self.dtype}{origin}>"


class Node:
    """One call of a layer on symbolic inputs."""

    def __init__(self, layer, inputs: list, outputs: list, kwargs: dict, structure) -> None:
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.kwargs = kwargs
        self.structure = structure  # how call() received its inputs: 'single' | 'list' | 'dict'
        self.keys = None

    @property
    def parent_nodes(self) -> list:
        return [t.node for t in self.inputs if t.node is not None]


def input(shape=None, batch_size=None, dtype="float32", name=None, batch_shape=None,  # noqa: A001
          sparse=False):
    """A symbolic input for building models (TF.js ``tf.input``, Keras ``keras.Input``).

    Args:
        shape: the shape of one sample, without the batch dimension.
        batch_size: a fixed batch size, or None.
        dtype: the input's dtype.
        name: the input's name (unique names are made when None).
        batch_shape: the full shape including the batch dimension (instead of shape).
    """
    from layerflow.layers.input_layer import InputLayer as _InputLayer

    if shape is None and batch_shape is None:
        raise InvalidArgumentError("input: give shape (per sample) or batch_shape")
    layer = _InputLayer(input_shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                        batch_input_shape=batch_shape, sparse=sparse)
    return layer.output
