"""Embedding: integer ids to dense vectors (Keras/TF.js ``Embedding``).

>>> import layerflow as lf
>>> from layerflow.layers.embeddings import Embedding
>>> layer = Embedding(10, 3, embeddings_initializer='ones')
>>> layer(lf.tensor([[1, 2]], dtype='int32')).shape
(1, 2, 3)
"""

from __future__ import annotations

from layerflow import regularizers
from layerflow.errors import InvalidArgumentError
from layerflow.layers.base import Layer
from layerflow.ops import elementwise as _elementwise
from layerflow.ops import logical as _logical
from layerflow.ops import slicing as _slicing


def _positive_int(cls_name: str, name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(f"{cls_name}: {name} must be a positive integer, got "
                                   f"{value!r}")
    return value


class Embedding(Layer):
    """Looks up row ``i`` of an ``(input_dim, output_dim)`` matrix for each integer id ``i``.

    Args:
        input_dim: vocabulary size (ids are in ``[0, input_dim)``).
        output_dim: size of each vector.
        embeddings_initializer: initializer of the matrix; ``'uniform'`` is Keras's
            ``RandomUniform(-0.05, 0.05)``.
        embeddings_regularizer: penalty on the matrix, in ``losses``.
        embeddings_constraint: applied to the matrix after each optimizer update.
        mask_zero: id 0 is padding: the layer's mask (see :meth:`compute_mask`) is ``ids != 0``,
            so later layers skip those positions (``input_dim`` must then count id 0).
        activity_regularizer: penalty on the output, in ``losses``.

    >>> import layerflow as lf
    >>> from layerflow.layers.embeddings import Embedding
    >>> layer = Embedding(5, 2, mask_zero=True)
    >>> layer.compute_mask(lf.tensor([[0, 3]], dtype='int32')).array_sync()
    [[False, True]]
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 activity_regularizer=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.input_dim = _positive_int("Embedding", "input_dim", input_dim)
        self.output_dim = _positive_int("Embedding", "output_dim", output_dim)
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = embeddings_regularizer
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = self.mask_zero

    def build(self, input_shape) -> None:
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim), None,
                                          self.embeddings_initializer,
                                          self.embeddings_regularizer, True,
                                          self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        ids = inputs if inputs.dtype == "int32" else _elementwise.cast(inputs, "int32")
        return _slicing.gather(self.embeddings, ids)

    def get_config(self) -> dict:
        # NOTE: overridden because the base config drops `input_dim` (a base-layer shape
        # argument of other layers); here it is the vocabulary size.
        config = super().get_config()
        config["input_dim"] = self.input_dim
        return config

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return _logical.not_equal(inputs, 0)
