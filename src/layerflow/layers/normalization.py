"""Normalization layers: BatchNormalization and LayerNormalization (Keras 3 defaults).

>>> import layerflow as lf
>>> from layerflow.layers.normalization import LayerNormalization
>>> y = LayerNormalization(epsilon=0.0)(lf.tensor([[1.0, 3.0]]))
>>> [round(v, 4) for v in y.array_sync()[0]]
[-1.0, 1.0]
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError, NotSupportedError, ShapeError
from layerflow.layers.base import Layer
from layerflow.layers.core import _is_symbolic
from layerflow.ops import elementwise as _elementwise
from layerflow.ops import logical as _logical
from layerflow.ops import math as _math
from layerflow.ops import normalization as _normalization
from layerflow.ops import reduction as _reduction
from layerflow.ops import shape as _shape

_KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), used by the masked moments


def _axis_int(cls_name: str, axis) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise InvalidArgumentError(f"{cls_name}: axis must be an integer, got {axis!r}")


def _check_epsilon(cls_name: str, epsilon) -> float:
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon < 0:
        raise InvalidArgumentError(f"{cls_name}: epsilon must be a non-negative number, got "
                                   f"{epsilon!r}")
    return float(epsilon)


def _broadcast(v, rank: int, axes: list):
    """``v`` (the sizes of ``axes``) reshaped to broadcast against a rank-``rank`` input."""
    if v is None or axes == [rank - 1]:
        return v
    shape = [1] * rank
    for a, d in zip(axes, v.shape):
        shape[a] = d
    return _shape.reshape(v, shape)


def _normalize(x, mean, variance, gamma, beta, epsilon):
    # NOTE: Keras's formula: x * inv + (beta - mean * inv), inv = rsqrt(var + eps) * gamma.
    inv = _math.rsqrt(_elementwise.add(variance, epsilon))
    if gamma is not None:
        inv = _elementwise.mul(inv, gamma)
    res = _elementwise.neg(_elementwise.mul(mean, inv))
    if beta is not None:
        res = _elementwise.add(res, beta)
    return _elementwise.add(_elementwise.mul(x, inv), res)


class BatchNormalization(Layer):
    """Normalizes each feature (along ``axis``) by batch statistics in training and by
    moving averages of them at inference; then scales by ``gamma`` and shifts by ``beta``.

    In training (``training=True`` and the layer trainable) the moving statistics are updated
    with ``moving = moving * momentum + batch * (1 - momentum)`` (batch variance: population
    variance); a frozen layer (``trainable=False``) always runs in inference mode, as Keras.
    Weights: ``[gamma, beta, moving_mean, moving_variance]``.

    Args:
        axis: the feature axis (``-1``; ``1`` for channels-first images).
        momentum: momentum of the moving averages.
        epsilon: added to the variance before the square root.
        center, scale: learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
            moving_variance_initializer: initializers.
        beta_regularizer, gamma_regularizer: penalties in ``losses``.
        beta_constraint, gamma_constraint: applied after each optimizer update.
        synchronized: Keras's cross-device flag; accepted (one device: no effect).
        renorm, renorm_clipping, renorm_momentum: Keras's batch renormalization; only
            ``renorm=False`` is supported.

    >>> import layerflow as lf
    >>> from layerflow.layers.normalization import BatchNormalization
    >>> layer = BatchNormalization(momentum=0.5, epsilon=0.0)
    >>> layer(lf.tensor([[1.0], [3.0]]), training=True).array_sync()
    [[-1.0], [1.0]]
    >>> layer.moving_mean.array_sync(), layer.moving_variance.array_sync()
    ([1.0], [1.0])
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, **kwargs) -> None:
        super().__init__(**kwargs)
        _axis_int("BatchNormalization", axis)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0 <= momentum <= 1:
            raise InvalidArgumentError(f"BatchNormalization: momentum must be in [0, 1], got "
                                       f"{momentum!r}")
        if renorm:
            raise NotSupportedError("BatchNormalization: renorm=True (batch renormalization) "
                                    "is not supported")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon("BatchNormalization", epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.synchronized = bool(synchronized)
        self.supports_masking = True

    def _feature_axis(self, shape) -> int:
        rank = len(shape)
        if not -rank <= self.axis < rank:
            raise ShapeError(f"{self.name}: axis {self.axis} is out of range for input shape "
                             f"{tuple(shape)}")
        return self.axis % rank

    def _check_input_spec(self, inputs) -> None:
        shape = tuple(inputs.shape)
        axis = self._feature_axis(shape)
        if shape[axis] is None:
            raise ShapeError(f"{self.name}: the size of axis {self.axis} must be known, got "
                             f"input shape {shape}")
        if self.built and (len(shape) != self._rank or shape[axis] != self._features):
            raise ShapeError(f"{self.name}: built for inputs of rank {self._rank} with "
                             f"{self._features} features on axis {self.axis}, got shape {shape}")

    def build(self, input_shape) -> None:
        axis = self._feature_axis(input_shape)
        dim = (input_shape[axis],)
        self._rank, self._features = len(input_shape), input_shape[axis]
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight("gamma", dim, None, self.gamma_initializer,
                                         self.gamma_regularizer, True, self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight("beta", dim, None, self.beta_initializer,
                                        self.beta_regularizer, True, self.beta_constraint)
        self.moving_mean = self.add_weight("moving_mean", dim, None,
                                           self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", dim, None,
                                               self.moving_variance_initializer,
                                               trainable=False)
        self.built = True

    def call(self, inputs, training=None, mask=None):
        rank = inputs.rank
        axis = self._feature_axis(inputs.shape)
        if training and self.trainable:
            reduce = [d for d in range(rank) if d != axis]
            mean, variance = self._moments(inputs, mask, reduce)
            if not _is_symbolic(inputs):
                m = self.momentum
                self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
                self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        b = [axis]
        return _normalize(inputs, _broadcast(mean, rank, b), _broadcast(variance, rank, b),
                          _broadcast(self.gamma, rank, b), _broadcast(self.beta, rank, b),
                          self.epsilon)

    def _moments(self, inputs, mask, reduce):
        if mask is None:
            moments = _normalization.moments(inputs, reduce)
            return moments.mean, moments.variance
        if mask.rank != inputs.rank - 1:
            raise ShapeError(f"{self.name}: the mask must have one dimension less than the "
                             f"inputs, got mask shape {mask.shape} for inputs {inputs.shape}")
        # NOTE: Keras's masked moments: masked positions are left out of mean and variance.
        keep = _shape.broadcast_to(_shape.expand_dims(_elementwise.cast(mask, "bool"), -1),
                                   inputs.shape)
        weights = _elementwise.cast(keep, inputs.dtype)
        total = _reduction.sum(_logical.where(keep, inputs, 0.0), reduce, keepdims=True)
        count = _elementwise.add(_reduction.sum(weights, reduce, keepdims=True), _KERAS_EPSILON)
        mean = _elementwise.div(total, count)
        diff = _logical.where(keep, _elementwise.sub(inputs, mean), 0.0)
        variance = _elementwise.div(
            _reduction.sum(_elementwise.square(diff), reduce, keepdims=True), count)
        size = (inputs.shape[self._feature_axis(inputs.shape)],)
        return _shape.reshape(mean, size), _shape.reshape(variance, size)


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (its own mean and variance), then scales by
    ``gamma`` and shifts by ``beta`` (learned, one per normalized element).

    Args:
        axis: an axis or a list of axes to normalize over (default the last).
        epsilon: added to the variance before the square root.
        center, scale: learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer: initializers.
        beta_regularizer, gamma_regularizer: penalties in ``losses``.
        beta_constraint, gamma_constraint: applied after each optimizer update.
        rms_scaling: Keras 3's deprecated option: only scale by ``gamma / sqrt(var + eps)``
            (no centering, no beta).

    >>> import layerflow as lf
    >>> from layerflow.layers.normalization import LayerNormalization
    >>> layer = LayerNormalization(axis=[1, 2], name='ln')
    >>> layer(lf.zeros([2, 3, 4])).shape, [w.name for w in layer.weights]
    ((2, 3, 4), ['ln/gamma', 'ln/beta'])
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 rms_scaling=False, **kwargs) -> None:
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes:
            raise InvalidArgumentError("LayerNormalization: axis must not be empty")
        for a in axes:
            _axis_int("LayerNormalization", a)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = _check_epsilon("LayerNormalization", epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.rms_scaling = bool(rms_scaling)
        self.supports_masking = True

    def _axes(self, shape) -> list:
        rank = len(shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -rank <= a < rank:
                raise ShapeError(f"{self.name}: axis {a} is out of range for input shape "
                                 f"{tuple(shape)}")
        axes = sorted({a % rank for a in axes})
        if any(shape[a] is None for a in axes):
            raise ShapeError(f"{self.name}: the normalized axes {axes} must have known sizes, "
                             f"got input shape {tuple(shape)}")
        return axes

    def _check_input_spec(self, inputs) -> None:
        shape = tuple(inputs.shape)
        axes = self._axes(shape)
        if self.built and (len(shape) != self._rank
                           or tuple(shape[a] for a in axes) != self._param_shape):
            raise ShapeError(f"{self.name}: built for inputs of rank {self._rank} normalized "
                             f"over sizes {self._param_shape}, got shape {shape}")

    def build(self, input_shape) -> None:
        axes = self._axes(input_shape)
        shape = tuple(input_shape[a] for a in axes)
        self._rank, self._param_shape = len(input_shape), shape
        self.gamma = self.beta = None
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight("gamma", shape, None, self.gamma_initializer,
                                         self.gamma_regularizer, True, self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight("beta", shape, None, self.beta_initializer,
                                        self.beta_regularizer, True, self.beta_constraint)
        self.built = True

    def call(self, inputs):
        rank = inputs.rank
        axes = self._axes(inputs.shape)
        gamma, beta = _broadcast(self.gamma, rank, axes), _broadcast(self.beta, rank, axes)
        moments = _normalization.moments(inputs, axes, keepdims=True)
        if self.rms_scaling:
            out = _elementwise.mul(inputs, _math.rsqrt(
                _elementwise.add(moments.variance, self.epsilon)))
            return out if gamma is None else _elementwise.mul(out, gamma)
        return _normalize(inputs, moments.mean, moments.variance, gamma, beta, self.epsilon)
