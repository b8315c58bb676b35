"""Activation layers: ReLU, LeakyReLU, ELU, PReLU, Softmax, ThresholdedReLU.

(The activation *functions* live in :mod:`layerflow.activations`; the ``Activation`` layer that
applies one by name is in :mod:`layerflow.layers.core`.)

>>> import layerflow as lf
>>> from layerflow.layers.activations import ReLU
>>> ReLU(max_value=1.0)(lf.tensor([-1.0, 0.5, 3.0])).array_sync()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

from layerflow import activations
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.base import Layer
from layerflow.layers.core import _check_rank
from layerflow.ops import elementwise as _elementwise
from layerflow.ops import logical as _logical
from layerflow.ops import math as _math
from layerflow.ops import reduction as _reduction

_LARGE_NEGATIVE = -1e9  # Keras's masked-logit value for float32


def _non_negative(cls_name: str, name: str, value, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidArgumentError(f"{cls_name}: {name} must be a non-negative number, got "
                                   f"{value!r}")
    return float(value)


class ReLU(Layer):
    """Rectified linear unit with Keras 3's options (TF.js's ``reLU`` has ``max_value`` only).

    ``f(x) = min(x, max_value)`` for ``x > threshold``, else ``negative_slope * (x - threshold)``.

    Args:
        max_value: upper bound of the output (None: unbounded); >= 0.
        negative_slope: slope below the threshold; >= 0.
        threshold: the value below which the slope applies; >= 0.

    >>> import layerflow as lf
    >>> from layerflow.layers.activations import ReLU
    >>> ReLU(negative_slope=0.5)(lf.tensor([-2.0, 2.0])).array_sync()
    [-1.0, 2.0]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_value = _non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the slope for negative inputs (>= 0). TF.js and Keras 2 call it
            ``alpha``, which is accepted too.

    >>> import layerflow as lf
    >>> from layerflow.layers.activations import LeakyReLU
    >>> LeakyReLU(alpha=0.5)(lf.tensor([-2.0, 2.0])).array_sync()
    [-1.0, 2.0]
    """

    def __init__(self, negative_slope=0.3, **kwargs) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)
        self.supports_masking = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict:
        # NOTE: overridden because the legacy `alpha` argument is folded into negative_slope.
        config = super().get_config()
        config.pop("alpha", None)
        config["negative_slope"] = self.negative_slope
        return config


class ELU(Layer):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: scale of the negative part.

    >>> import layerflow as lf
    >>> from layerflow.layers.activations import ELU
    >>> ELU()(lf.tensor([0.0, 2.0])).array_sync()
    [0.0, 2.0]
    """

    def __init__(self, alpha=1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
            raise InvalidArgumentError(f"ELU: alpha must be a number, got {alpha!r}")
        self.alpha = float(alpha)
        self.supports_masking = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)


class PReLU(Layer):
    """Leaky ReLU with a learned slope per input element: ``relu(x) - alpha * relu(-x)``.

    Args:
        alpha_initializer: initializer of the slopes (default zeros).
        alpha_regularizer: penalty on the slopes, in ``losses``.
        alpha_constraint: applied to the slopes after each optimizer update.
        shared_axes: axes (1-based, batch excluded) sharing one slope, e.g. ``[1, 2]`` for one
            slope per channel of ``(batch, rows, cols, channels)`` images.

    >>> import layerflow as lf
    >>> from layerflow.layers.activations import PReLU
    >>> layer = PReLU(alpha_initializer='ones', shared_axes=[1])
    >>> layer(lf.tensor([[-2.0, 2.0]])).array_sync(), layer.get_weights()[0].shape
    ([[-2.0, 2.0]], (1,))
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = alpha_regularizer
        self.alpha_constraint = alpha_constraint
        axes = shared_axes
        if axes is not None and not isinstance(axes, (list, tuple)):
            axes = [axes]
        if axes is not None and not all(isinstance(a, int) and not isinstance(a, bool)
                                        and a >= 1 for a in axes):
            raise InvalidArgumentError(f"PReLU: shared_axes must be axes >= 1 (the batch axis 0 "
                                       f"is always shared), got {shared_axes!r}")
        self.shared_axes = None if axes is None else list(axes)
        self.supports_masking = True

    def _param_shape(self, input_shape) -> tuple:
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ShapeError(f"{self.name}: shared axis {axis} is out of range for input "
                                 f"shape {tuple(input_shape)}")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ShapeError(f"{self.name}: the input dimensions that are not shared must be "
                             f"known, got shape {tuple(input_shape)} with shared_axes "
                             f"{self.shared_axes}")
        return tuple(shape)

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, min_rank=2)
        shape = self._param_shape(inputs.shape)
        if self.built and shape != self.alpha.shape:
            raise ShapeError(f"{self.name}: built for slopes of shape {self.alpha.shape}, got "
                             f"input shape {tuple(inputs.shape)}")

    def build(self, input_shape) -> None:
        self.alpha = self.add_weight("alpha", self._param_shape(input_shape), None,
                                     self.alpha_initializer, self.alpha_regularizer, True,
                                     self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        negative = _elementwise.mul(self.alpha, _math.relu(_elementwise.neg(inputs)))
        return _elementwise.sub(_math.relu(inputs), negative)


class Softmax(Layer):
    """Softmax along ``axis``; masked positions (mask False) get probability 0.

    Args:
        axis: an axis or a list of axes to normalize over.

    >>> import layerflow as lf
    >>> from layerflow.layers.activations import Softmax
    >>> Softmax()(lf.tensor([[0.0, 0.0]])).array_sync()
    [[0.5, 0.5]]
    """

    def __init__(self, axis=-1, **kwargs) -> None:
        super().__init__(**kwargs)
        axes = axis if isinstance(axis, (list, tuple)) else [axis]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise InvalidArgumentError(f"Softmax: axis must be an int or a list of ints, got "
                                       f"{axis!r}")
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.supports_masking = True

    def _check_input_spec(self, inputs) -> None:
        rank = len(inputs.shape)
        for a in self.axis if isinstance(self.axis, list) else [self.axis]:
            if not -rank <= a < rank:
                raise ShapeError(f"{self.name}: axis {a} is out of range for input shape "
                                 f"{tuple(inputs.shape)}")

    def call(self, inputs, mask=None):
        x = inputs
        if mask is not None:
            keep = mask if mask.dtype == "bool" else _logical.greater(mask, 0.5)
            x = _logical.where(keep, x, _LARGE_NEGATIVE)
        if isinstance(self.axis, list) and len(self.axis) > 1:
            lse = _reduction.log_sum_exp(x, axis=self.axis, keepdims=True)
            out = _elementwise.exp(_elementwise.sub(x, lse))
        else:
            axis = self.axis[0] if isinstance(self.axis, list) else self.axis
            out = activations.softmax(x, axis=axis)
        if mask is not None:
            out = _logical.where(keep, out, 0.0)
        return out


class ThresholdedReLU(Layer):
    """``x`` where ``x > theta``, else 0 (TF.js and Keras 2; Keras 3 has no such layer).

    Args:
        theta: the threshold (>= 0).

    >>> import layerflow as lf
    >>> from layerflow.layers.activations import ThresholdedReLU
    >>> ThresholdedReLU(theta=1.0)(lf.tensor([0.5, 1.0, 2.0])).array_sync()
    [0.0, 0.0, 2.0]
    """

    def __init__(self, theta=1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.theta = _non_negative("ThresholdedReLU", "theta", theta)
        self.supports_masking = True

    def call(self, inputs):
        keep = _elementwise.cast(_logical.greater(inputs, self.theta), inputs.dtype)
        return _elementwise.mul(inputs, keep)
