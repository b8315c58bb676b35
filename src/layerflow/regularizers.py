"""Weight regularizers: penalties added to a layer's ``losses`` (Keras 3 classes, TF.js names).

A regularizer is called as ``reg(weight) -> scalar Tensor`` and has a Keras-style
``get_config``. Names resolve in any spelling through :mod:`layerflow.serialization` (kind
``'regularizer'``): ``'l2'``, ``'L2'``, TF.js's ``'l1l2'`` / class ``'L1L2'``, Keras's
``'l1_l2'``.

Defaults are Keras 3's: ``L1(l1=0.01)``, ``L2(l2=0.01)``, ``L1L2(l1=0.0, l2=0.0)`` (TF.js's
``L1L2`` class defaults both to 0.01; its ``l1``/``l2`` factories match Keras).

>>> import layerflow as lf
>>> from layerflow import regularizers
>>> round(regularizers.get('l2')(lf.tensor([1.0, 2.0])).item(), 6)
0.05
"""

from __future__ import annotations

import math

from layerflow import serialization
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.ops import elementwise as _e
from layerflow.ops import math as _m
from layerflow.ops import reduction as _r

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1l2",
           "l1_l2", "orthogonal_regularizer", "get", "serialize", "deserialize"]

KIND = "regularizer"


def _factor(value, arg: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or math.isinf(value) or math.isnan(value) or value < 0:
        raise InvalidArgumentError(f"{name}: {arg} must be a non-negative finite number, got "
                                   f"{value!r}")
    return float(value)


def _weights(x, name: str):
    from layerflow.engine import dtypes
    from layerflow.ops._define import as_tensor

    x = as_tensor(x, "x", name)
    return x if dtypes.is_float(x.dtype) else _e.cast(x, "float32")


class Regularizer(serialization.Configurable):
    """Base class: ``__call__(x) -> scalar tensor`` and a config of the constructor arguments."""

    _registry_kind = KIND

    def __call__(self, x):
        from layerflow.ops.creation import scalar

        return scalar(0.0)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    >>> import layerflow as lf
    >>> L1L2(l1=1.0, l2=1.0)(lf.tensor([1.0, -2.0])).item()
    8.0
    """

    def __init__(self, l1=0.0, l2=0.0) -> None:
        self.l1 = _factor(0.0 if l1 is None else l1, "l1", "L1L2")
        self.l2 = _factor(0.0 if l2 is None else l2, "l2", "L1L2")

    def __call__(self, x):
        from layerflow.ops.creation import scalar

        x = _weights(x, "L1L2")
        total = scalar(0.0, x.dtype)
        if self.l1:
            total = _e.add(total, _e.mul(_r.sum(_m.abs(x)), self.l1))
        if self.l2:
            total = _e.add(total, _e.mul(_r.sum(_e.square(x)), self.l2))
        return total

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    >>> import layerflow as lf
    >>> L1(0.5)(lf.tensor([1.0, -2.0])).item()
    1.5
    """

    def __init__(self, l1=0.01) -> None:
        self.l1 = _factor(0.01 if l1 is None else l1, "l1", "L1")

    def __call__(self, x):
        return _e.mul(_r.sum(_m.abs(_weights(x, "L1"))), self.l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``.

    >>> import layerflow as lf
    >>> L2(0.5)(lf.tensor([1.0, -2.0])).item()
    2.5
    """

    def __init__(self, l2=0.01) -> None:
        self.l2 = _factor(0.01 if l2 is None else l2, "l2", "L2")

    def __call__(self, x):
        return _e.mul(_r.sum(_e.square(_weights(x, "L2"))), self.l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalizes non-orthogonal rows (or columns) of a 2D weight (Keras 3).

    ``factor * 0.5 * sum(|offdiag(N N^T)|) / (n (n - 1) / 2)`` where ``N`` holds the
    L2-normalized rows (``mode='rows'``) or columns (``'columns'``).

    >>> import layerflow as lf
    >>> OrthogonalRegularizer()(lf.tensor([[1.0, 0.0], [0.0, 1.0]])).item()
    0.0
    """

    def __init__(self, factor=0.01, mode="rows") -> None:
        self.factor = _factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise InvalidArgumentError(f"OrthogonalRegularizer: mode must be 'rows' or "
                                       f"'columns', got {mode!r}")
        self.mode = mode

    def __call__(self, x):
        from layerflow.ops.creation import eye
        from layerflow.ops.matrices import mat_mul
        from layerflow.ops.shape import transpose

        x = _weights(x, "OrthogonalRegularizer")
        if len(x.shape) != 2:
            raise ShapeError(f"OrthogonalRegularizer: weights must have rank 2, got shape "
                             f"{tuple(x.shape)}")
        axis = 1 if self.mode == "rows" else 0
        # NOTE: Keras's ops.normalize(): x / max(norm, 1e-7), written so that a zero row has
        # a finite gradient.
        norms = _e.sqrt(_e.maximum(_r.sum(_e.square(x), axis=axis, keepdims=True), 1e-14))
        unit = _e.div(x, norms)
        if self.mode == "rows":
            product, size = mat_mul(unit, transpose(unit)), x.shape[0]
        else:
            product, size = mat_mul(transpose(unit), unit), x.shape[1]
        off = _e.mul(product, _e.sub(1.0, eye(size, dtype=x.dtype)))
        pairs = size * (size - 1.0) / 2.0
        return _e.div(_e.mul(_r.sum(_m.abs(off)), self.factor * 0.5), pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


# -- factories, registry, resolver -------------------------------------------------------------
def l1(l1=0.01):  # noqa: E741 - Keras's and TF.js's name
    """An :class:`L1` regularizer (TF.js ``tf.regularizers.l1({l1})``)."""
    if isinstance(l1, dict):
        return L1.from_config(l1)
    return L1(l1)


def l2(l2=0.01):
    """An :class:`L2` regularizer (TF.js ``tf.regularizers.l2({l2})``)."""
    if isinstance(l2, dict):
        return L2.from_config(l2)
    return L2(l2)


def l1l2(l1=0.01, l2=0.01):  # noqa: E741
    """An :class:`L1L2` regularizer with TF.js's factory defaults (0.01 each).

    >>> l1l2()
    L1L2(l1=0.01, l2=0.01)
    """
    if isinstance(l1, dict):
        return L1L2.from_config({"l1": 0.01, "l2": 0.01, **l1})
    return L1L2(l1, l2)


def l1_l2(l1=0.01, l2=0.01):  # noqa: E741
    """Keras 2's ``l1_l2`` function: an :class:`L1L2` with 0.01 defaults."""
    return L1L2(l1, l2)


def orthogonal_regularizer(factor=0.01, mode="rows"):
    """An :class:`OrthogonalRegularizer`."""
    return OrthogonalRegularizer(factor, mode)


_CLASSES = (L1, L2, L1L2, OrthogonalRegularizer)
for _cls in _CLASSES:
    serialization.register(KIND, serialization.to_snake_case(_cls.__name__), _cls,
                           aliases=(_cls.__name__,))
# NOTE: 'l1_l2' squashes to 'l1l2', the same entry as the class L1L2 (Keras 3 does the same).


def serialize(regularizer) -> dict | None:
    """``{"class_name": ..., "config": ...}`` of a regularizer (None stays None).

    >>> serialize(L2(0.1))
    {'class_name': 'L2', 'config': {'l2': 0.1}}
    """
    return serialization.serialize_object(KIND, regularizer, get)


def deserialize(config, custom_objects: dict | None = None):
    """A regularizer from a name or a ``{"class_name", "config"}`` dict."""
    return get(config, custom_objects)


def get(identifier, custom_objects: dict | None = None):
    """Resolve a regularizer: None, a name in any spelling, a config dict, an object, a callable.

    Raises:
        UnknownNameError: the name is not registered (the message lists those that are).

    >>> get('l1'), get({'class_name': 'L1L2', 'config': {'l1': 0.1, 'l2': 0.2}})
    (L1(l1=0.01), L1L2(l1=0.1, l2=0.2))
    """
    return serialization.resolve(KIND, identifier, custom_objects,
                                 "a Regularizer or a callable x -> scalar")
