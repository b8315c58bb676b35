"""Weight constraints, applied to a weight after each optimizer update (Keras 3, TF.js names).

A constraint is called as ``c(w) -> Tensor`` (the projected weight) and has a Keras-style
``get_config``. Names resolve in any spelling through :mod:`layerflow.serialization` (kind
``'constraint'``): Keras ``'max_norm'`` / ``'MaxNorm'``, TF.js ``'maxNorm'``.

Norm constraints divide by ``norm + 1e-7`` (Keras's and TF.js's epsilon), so a zero column
stays zero.

>>> import layerflow as lf
>>> from layerflow import constraints
>>> constraints.get('nonNeg')(lf.tensor([-1.0, 2.0])).array_sync()
[0.0, 2.0]
"""

from __future__ import annotations

from layerflow import serialization
from layerflow.errors import InvalidArgumentError
from layerflow.ops import elementwise as _e
from layerflow.ops import math as _m
from layerflow.ops import reduction as _r

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm",
           "min_max_norm", "non_neg", "unit_norm", "get", "serialize", "deserialize"]

KIND = "constraint"
EPSILON = 1e-7


def _weights(w, name: str):
    from layerflow.engine import dtypes
    from layerflow.ops._define import as_tensor

    w = as_tensor(w, "w", name)
    return w if dtypes.is_float(w.dtype) else _e.cast(w, "float32")


def _norms(w, axis):
    axis = list(axis) if isinstance(axis, (list, tuple)) else axis
    return _e.sqrt(_r.sum(_e.square(w), axis=axis, keepdims=True))


def _axis(axis, name: str):
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise InvalidArgumentError(f"{name}: axis must be an integer or a list of integers, "
                                       f"got {axis!r}")
        return list(axis)
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise InvalidArgumentError(f"{name}: axis must be an integer or a list of integers, got "
                                   f"{axis!r}")
    return axis


def _number(value, arg: str, name: str):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{name}: {arg} must be a number, got {value!r}")
    return value


class Constraint(serialization.Configurable):
    """Base class: ``__call__(w) -> w`` (the identity) and a config of the arguments."""

    _registry_kind = KIND

    def __call__(self, w):
        return w


class MaxNorm(Constraint):
    """Rescale slices along ``axis`` whose L2 norm exceeds ``max_value``.

    ``w * clip(norm, 0, max_value) / (eps + norm)``; ``axis=0`` constrains each column of a
    Dense kernel, ``axis=[0, 1, 2]`` each filter of a Conv2D kernel.

    >>> import layerflow as lf
    >>> [round(v, 4) for v in MaxNorm(1.0)(lf.tensor([[3.0], [4.0]])).numpy().ravel().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, max_value=2, axis=0) -> None:
        self.max_value = _number(max_value, "max_value", "MaxNorm")
        self.axis = _axis(axis, "MaxNorm")

    def __call__(self, w):
        w = _weights(w, "MaxNorm")
        norms = _norms(w, self.axis)
        desired = _m.clip_by_value(norms, 0, self.max_value)
        return _e.mul(w, _e.div(desired, _e.add(norms, EPSILON)))

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


class MinMaxNorm(Constraint):
    """Move slice norms into ``[min_value, max_value]`` at ``rate`` (1 = all the way).

    ``desired = rate * clip(norm, min_value, max_value) + (1 - rate) * norm``, then
    ``w * desired / (eps + norm)``.

    >>> import layerflow as lf
    >>> out = MinMaxNorm(0.0, 1.0)(lf.tensor([[3.0], [4.0]]))
    >>> [round(v, 4) for v in out.numpy().ravel().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0) -> None:
        self.min_value = _number(min_value, "min_value", "MinMaxNorm")
        self.max_value = _number(max_value, "max_value", "MinMaxNorm")
        self.rate = _number(rate, "rate", "MinMaxNorm")
        if min_value > max_value:
            raise InvalidArgumentError(f"MinMaxNorm: min_value ({min_value}) must not exceed "
                                       f"max_value ({max_value})")
        self.axis = _axis(axis, "MinMaxNorm")

    def __call__(self, w):
        w = _weights(w, "MinMaxNorm")
        norms = _norms(w, self.axis)
        clipped = _m.clip_by_value(norms, self.min_value, self.max_value)
        desired = _e.add(_e.mul(clipped, self.rate), _e.mul(norms, 1 - self.rate))
        return _e.mul(w, _e.div(desired, _e.add(norms, EPSILON)))

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


class NonNeg(Constraint):
    """Negative weights become 0.

    >>> import layerflow as lf
    >>> NonNeg()(lf.tensor([-1.0, 2.0])).array_sync()
    [0.0, 2.0]
    """

    def __call__(self, w):
        return _e.maximum(_weights(w, "NonNeg"), 0.0)


class UnitNorm(Constraint):
    """Slices along ``axis`` rescaled to unit L2 norm: ``w / (eps + norm)``.

    >>> import layerflow as lf
    >>> [round(v, 4) for v in UnitNorm()(lf.tensor([[3.0], [4.0]])).numpy().ravel().tolist()]
    [0.6, 0.8]
    """

    def __init__(self, axis=0) -> None:
        self.axis = _axis(axis, "UnitNorm")

    def __call__(self, w):
        w = _weights(w, "UnitNorm")
        return _e.div(w, _e.add(_norms(w, self.axis), EPSILON))

    def get_config(self) -> dict:
        return {"axis": self.axis}


# -- factories, registry, resolver -------------------------------------------------------------
def max_norm(max_value=2, axis=0):
    """A :class:`MaxNorm` (TF.js ``tf.constraints.maxNorm({maxValue, axis})``)."""
    if isinstance(max_value, dict):
        return MaxNorm.from_config(max_value)
    return MaxNorm(max_value, axis)


def min_max_norm(min_value=0.0, max_value=1.0, rate=1.0, axis=0):
    """A :class:`MinMaxNorm` (TF.js ``tf.constraints.minMaxNorm(...)``)."""
    if isinstance(min_value, dict):
        return MinMaxNorm.from_config(min_value)
    return MinMaxNorm(min_value, max_value, rate, axis)


def non_neg():
    """A :class:`NonNeg` (TF.js ``tf.constraints.nonNeg()``)."""
    return NonNeg()


def unit_norm(axis=0):
    """A :class:`UnitNorm` (TF.js ``tf.constraints.unitNorm({axis})``)."""
    if isinstance(axis, dict):
        return UnitNorm.from_config(axis)
    return UnitNorm(axis)


_CLASSES = (MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
for _cls in _CLASSES:
    serialization.register(KIND, serialization.to_snake_case(_cls.__name__), _cls,
                           aliases=(_cls.__name__,))


def serialize(constraint) -> dict | None:
    """``{"class_name": ..., "config": ...}`` of a constraint (None stays None).

    >>> serialize(UnitNorm(axis=1))
    {'class_name': 'UnitNorm', 'config': {'axis': 1}}
    """
    return serialization.serialize_object(KIND, constraint, get)


def deserialize(config, custom_objects: dict | None = None):
    """A constraint from a name or a ``{"class_name", "config"}`` dict."""
    return get(config, custom_objects)


def get(identifier, custom_objects: dict | None = None):
    """Resolve a constraint: None, a name in any spelling, a config dict, an object, a callable.

    Raises:
        UnknownNameError: the name is not registered (the message lists those that are).

    >>> get('maxNorm'), get({'class_name': 'UnitNorm', 'config': {'axis': 1}})
    (MaxNorm(max_value=2, axis=0), UnitNorm(axis=1))
    """
    return serialization.resolve(KIND, identifier, custom_objects,
                                 "a Constraint or a callable w -> w")
