"""The one error hierarchy of layerflow.

Every error layerflow raises on purpose derives from :class:`LayerflowError`. Where Python users
expect a builtin type (a bad shape is a ``ValueError``, a bad dtype a ``TypeError``), the
layerflow error subclasses that builtin too, so ``except ValueError`` keeps working.

>>> import layerflow as lf
>>> try:
...     lf.add(lf.zeros([2, 3]), lf.zeros([4]))
... except lf.errors.ShapeError as e:
...     print(type(e).__name__)
ShapeError
"""

from __future__ import annotations


class LayerflowError(Exception):
    """Root of every error layerflow raises on purpose."""


class ShapeError(LayerflowError, ValueError):
    """A tensor's shape does not fit what an op or layer expects."""


class DTypeError(LayerflowError, TypeError):
    """A dtype is unknown or not accepted by an op."""


class InvalidArgumentError(LayerflowError, ValueError):
    """An argument's value is out of range or of the wrong kind."""


class DisposedError(LayerflowError, RuntimeError):
    """A tensor or variable was used after ``dispose()``."""


class BackendError(LayerflowError, RuntimeError):
    """A backend is unknown, not installed, or cannot run what was asked."""


class GradientError(LayerflowError, ValueError):
    """A gradient cannot be computed (no path from the sources to the target, no gradient rule)."""


class NotSupportedError(LayerflowError, NotImplementedError):
    """The operation exists but not for these arguments on this backend."""
