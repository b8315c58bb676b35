"""Metrics (``lf.metrics``): TF.js's per-sample functions and Keras 3's stateful classes.

- the lowercase functions (``binary_accuracy(y_true, y_pred)``, ``mean_squared_error``,
  ``precision``...) are TF.js's ``tf.metrics.*`` and Keras's per-sample functions: they compute
  now and return one value per sample (:mod:`layerflow.metrics_functions`);
- the classes (``BinaryAccuracy()``, ``AUC()``, ``Precision()``...) are Keras 3's stateful
  metrics: ``update_state`` accumulates into non-trainable variables, ``result()`` reads them
  and ``reset_state()`` zeroes them (:mod:`layerflow.metrics_classes`,
  :mod:`layerflow.metrics_confusion`);
- :func:`get` resolves what ``compile(metrics=[...])`` accepts: names in TF.js or Keras
  spelling, classes, instances, functions and config dicts. ``'accuracy'``/``'acc'`` and
  ``'crossentropy'``/``'ce'`` follow the compiled loss (binary, sparse categorical or
  categorical crossentropy); for other losses they choose by the data's shapes, as Keras 3.
  A metric made from a string is named as the string was written (Keras).

>>> import layerflow as lf
>>> from layerflow.losses import SparseCategoricalCrossentropy
>>> from layerflow.metrics import binary_accuracy, get
>>> m = get('acc', loss=SparseCategoricalCrossentropy())
>>> type(m).__name__, m.name
('SparseCategoricalAccuracy', 'acc')
>>> binary_accuracy([[1.0, 0.0]], [[0.7, 0.6]]).array_sync()
[0.5]
"""

from __future__ import annotations

import inspect

from layerflow import serialization
from layerflow.errors import InvalidArgumentError
from layerflow.metrics_classes import *  # noqa: F403
from layerflow.metrics_classes import KIND, MeanMetricWrapper, Metric
from layerflow.metrics_classes import __all__ as _classes_all
from layerflow.metrics_confusion import *  # noqa: F403
from layerflow.metrics_confusion import __all__ as _confusion_all
from layerflow.metrics_functions import *  # noqa: F403
from layerflow.metrics_functions import __all__ as _functions_all

__all__ = list(_functions_all) + list(_classes_all) + list(_confusion_all) + [
    "get", "serialize", "deserialize"]

_CLASSES = [globals()[n] for n in list(_classes_all) + list(_confusion_all)]
_ALIASES = {"MeanSquaredError": ("mse",), "MeanAbsoluteError": ("mae",),
            "MeanAbsolutePercentageError": ("mape",),
            "MeanSquaredLogarithmicError": ("msle",), "BinaryCrossentropy": ("bce",),
            "KLDivergence": ("kld", "kullback_leibler_divergence"),
            "LogCoshError": ("logcosh", "log_cosh")}
_registered: set = set()
for _cls in _CLASSES:
    _names = (serialization.to_snake_case(_cls.__name__), _cls.__name__,
              *_ALIASES.get(_cls.__name__, ()))
    serialization.register(KIND, _names[0], _cls, aliases=_names[1:])
    _registered.update(serialization.squash(n) for n in _names)
for _name in _functions_all:
    _fn = globals()[_name]
    if callable(_fn) and _name not in ("squeeze_or_expand_to_same_rank", "l2_normalize",
                                       "function_by_name") \
            and serialization.squash(_name) not in _registered:
        serialization.register(KIND, _fn.__name__, _fn, aliases=(_name,))
        _registered.add(serialization.squash(_name))


def _family(loss) -> str | None:
    """'binary', 'sparse' or 'categorical' for the crossentropy losses, else None."""
    from layerflow import metrics_functions as F
    from layerflow.losses import get as get_loss

    if loss is None:
        return None
    if isinstance(loss, str):
        try:
            loss = get_loss(loss)
        except serialization.UnknownNameError:
            return None
    fn = getattr(loss, "fn", None)
    if fn in (F.binary_crossentropy, F.binary_focal_crossentropy):
        return "binary"
    if fn is F.sparse_categorical_crossentropy:
        return "sparse"
    if fn in (F.categorical_crossentropy, F.categorical_focal_crossentropy):
        return "categorical"
    return None


def _auto_accuracy(y_true, y_pred):
    """Binary, sparse categorical or categorical accuracy, chosen by the shapes (Keras 3)."""
    from layerflow import metrics_functions as F
    from layerflow.losses import _by_shapes

    return _by_shapes(y_true, y_pred, F._binary_matches, F.sparse_categorical_accuracy,
                      F.categorical_accuracy)


def _auto_crossentropy(y_true, y_pred):
    from layerflow.losses import _auto_crossentropy as auto

    return auto(y_true, y_pred)


def _special(identifier: str, loss):
    """The metric for 'accuracy'/'acc' or 'crossentropy'/'ce', following the loss."""
    family = _family(loss)
    if identifier.lower() in ("accuracy", "acc"):
        table = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy,  # noqa: F405
                 "categorical": CategoricalAccuracy}  # noqa: F405
        if family is None:
            return MeanMetricWrapper(_auto_accuracy, name=identifier)
        return table[family](name=identifier)
    table = {"binary": BinaryCrossentropy,  # noqa: F405
             "sparse": SparseCategoricalCrossentropy,  # noqa: F405
             "categorical": CategoricalCrossentropy}  # noqa: F405
    if family is None:
        return MeanMetricWrapper(_auto_crossentropy, name=identifier)
    return table[family](name=identifier, from_logits=bool(getattr(loss, "from_logits", False)))


def get(identifier, loss=None, custom_objects: dict | None = None):
    """A :class:`Metric` from a name, class, instance, function or config dict.

    Args:
        identifier: what ``compile(metrics=[...])`` got.
        loss: the compiled loss of that output (picks the accuracy / crossentropy kind).

    >>> get('binaryAccuracy').name
    'binaryAccuracy'
    >>> type(get('mse')).__name__
    'MeanSquaredError'
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if inspect.isclass(identifier):
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in ("accuracy", "acc", "crossentropy", "ce"):
            return _special(identifier, loss)
        found = serialization.lookup(KIND, identifier, custom_objects)
        if inspect.isclass(found):
            return found(name=identifier)
        return found if isinstance(found, Metric) else MeanMetricWrapper(found, name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise InvalidArgumentError(f"could not interpret metric {identifier!r}: expected a name, "
                               "a Metric, a class, a function or a config dict")


def serialize(metric) -> dict:
    """``{"class_name": ..., "config": ...}`` of a metric.

    >>> serialize(BinaryAccuracy(threshold=0.7))['config']['threshold']
    0.7
    """
    return serialization.serialize(metric)


def deserialize(config, custom_objects: dict | None = None):
    """A metric from :func:`serialize`'s dict (or a name).

    >>> deserialize({'class_name': 'AUC', 'config': {'curve': 'PR'}}).curve
    'PR'
    """
    if isinstance(config, dict):
        return serialization.deserialize(KIND, config, custom_objects)
    return get(config, custom_objects=custom_objects)
