"""InputLayer: the layer behind ``lf.input`` and a Sequential model's first shape.

>>> import layerflow as lf
>>> layer = lf.layers.InputLayer(input_shape=[4], name='in')
>>> layer.output.shape
(None, 4)
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError
from layerflow.layers.base import Layer, unique_name
from layerflow.layers.symbolic import KerasTensor, Node


class InputLayer(Layer):
    """The entry point of a model's graph; holds no weights and passes its input through."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, sparse=False, batch_shape=None, **kwargs) -> None:
        if batch_shape is not None and batch_input_shape is None:
            batch_input_shape = batch_shape  # Keras 3 spelling
        if input_shape is None and batch_input_shape is None:
            raise InvalidArgumentError(
                "InputLayer: give input_shape (per sample) or batch_input_shape; TF.js and Keras "
                "need one of them to know the model's input")
        super().__init__(name=name if name is not None else unique_name("input"), dtype=dtype,
                         input_shape=input_shape, batch_input_shape=batch_input_shape,
                         batch_size=batch_size, **kwargs)
        self.sparse = bool(sparse)
        self.built = True
        tensor = KerasTensor(self.batch_input_shape, self.dtype, name=self.name)
        node = Node(self, [], [tensor], {}, "single")
        tensor.node, tensor.index = node, 0
        self.inbound_nodes.append(node)

    def get_config(self) -> dict:
        return {"batch_input_shape": list(self.batch_input_shape), "dtype": self.dtype,
                "sparse": self.sparse, "name": self.name}
