"""Errors raised while reading and writing model artifacts.

All of them derive from :class:`layerflow.errors.LayerflowError` and from the builtin type a
Python user would catch: a malformed file is a ``ValueError``, a failed read or write an
``OSError``, an unsupported dtype a ``TypeError``. Loaders never let ``KeyError``,
``RecursionError``, ``UnicodeDecodeError`` or ``MemoryError`` escape for bad input; they raise one
of these instead.

>>> from layerflow.io.errors import ManifestError, ModelFormatError
>>> issubclass(ManifestError, ModelFormatError) and issubclass(ManifestError, ValueError)
True
"""

from __future__ import annotations

from layerflow.errors import DTypeError, InvalidArgumentError, LayerflowError


class ModelIOError(LayerflowError):
    """Root of every error of ``layerflow.io``."""


class ModelFormatError(ModelIOError, ValueError):
    """A model file (model.json and its fields) is malformed: bad JSON, too deep, too large, or a
    field of the wrong type."""


class ManifestError(ModelFormatError):
    """The weights manifest (weight specs) is malformed or describes impossible sizes."""


class WeightsDTypeError(ManifestError, DTypeError):
    """A weight has a dtype (or quantization dtype) that the TF.js weights format cannot hold."""


class QuantizationError(ModelIOError, ValueError):
    """Values cannot be quantized as asked (NaN or Inf values, float16 overflow)."""


class PathTraversalError(ModelIOError, ValueError):
    """A weight path in a manifest would leave the model's folder (or is not a plain relative
    path). Raised before any file is opened."""


class TruncatedWeightsError(ModelIOError, ValueError):
    """A weight file holds fewer (or more) bytes than its manifest describes."""


class WeightsTooLargeError(ManifestError):
    """The weights would exceed the configured size cap (see ``set_max_weight_bytes``)."""


class ModelNotFoundError(ModelIOError, FileNotFoundError):
    """No model.json at the given path or URL."""


class ModelSaveError(ModelIOError, OSError):
    """Saving failed; the previous model at the destination (if any) is left untouched."""


class HTTPRequestError(ModelIOError, OSError):
    """An HTTP request for a model file failed (status, timeout, connection, size)."""


class HandlerError(ModelIOError, InvalidArgumentError):
    """No IO handler (or more than one) matches a URL, or a handler cannot save/load."""


__all__ = [
    "ModelIOError", "ModelFormatError", "ManifestError", "WeightsDTypeError", "QuantizationError",
    "PathTraversalError", "TruncatedWeightsError", "WeightsTooLargeError", "ModelNotFoundError",
    "ModelSaveError", "HTTPRequestError", "HandlerError",
]
