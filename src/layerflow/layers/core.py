"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector.

>>> import layerflow as lf
>>> layer = lf.layers.Dense(2, kernel_initializer='ones', name='d')
>>> layer(lf.ones([1, 3])).array_sync()
[[3.0, 3.0]]
"""

from __future__ import annotations

from layerflow import activations
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.base import Layer


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` over the last axis (Keras ``Dense``).

    Args:
        units: output size (> 0).
        activation: activation name or function; None is linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: initializers (names, objects or callables).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties in ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer update.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise InvalidArgumentError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        from layerflow import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.supports_masking = True

    def build(self, input_shape) -> None:
        last = input_shape[-1] if input_shape else None
        if last is None:
            raise ShapeError(f"{self.name}: the last dimension of the input must be known, got "
                             f"{tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (last, self.units), None,
                                      self.kernel_initializer, self.kernel_regularizer, True,
                                      self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), None, self.bias_initializer,
                                        self.bias_regularizer, True, self.bias_constraint)
        self.input_dim = last
        self.built = True

    def _check_input_spec(self, inputs) -> None:
        if self.built and getattr(inputs, "shape", None) is not None:
            last = inputs.shape[-1] if inputs.shape else None
            if last is not None and last != self.input_dim:
                raise ShapeError(f"{self.name}: expected input last dim {self.input_dim}, got "
                                 f"shape {tuple(inputs.shape)}")

    def call(self, inputs):
        from layerflow.ops.matrices import mat_mul
        from layerflow.ops.shape import reshape

        x = inputs
        if x.rank > 2:
            lead = x.shape[:-1]
            y = mat_mul(reshape(x, (-1, x.shape[-1])), self.kernel)
            y = reshape(y, tuple(-1 if d is None else d for d in lead) + (self.units,))
        else:
            y = mat_mul(x, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def get_config(self) -> dict:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
