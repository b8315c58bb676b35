"""Optimizers (``lf.optimizers``): Keras 3's classes, TF.js's methods, one registry.

The classes are Keras 3's (names, arguments, defaults, update rules, configs); each also has
TF.js's ``minimize``, ``compute_gradients``, ``get_weights``/``set_weights`` and ``dispose``.
``lf.train`` holds TF.js's factories (``lf.train.adam(0.01)``), which return these classes.
:func:`get` resolves an optimizer name in any spelling (``'adam'``, ``'Adam'``, ``'RMSProp'``),
a ``{"class_name", "config"}`` dict (Keras or TF.js keys), or passes an instance through.

>>> import layerflow as lf
>>> opt = lf.optimizers.get('rmsprop')
>>> type(opt).__name__, opt.get_config()['rho']
('RMSprop', 0.9)
"""

from __future__ import annotations

from layerflow import serialization
from layerflow.optimizers import schedules as schedules
from layerflow.optimizers.adagrad import Adadelta as Adadelta
from layerflow.optimizers.adagrad import Adagrad as Adagrad
from layerflow.optimizers.adam import Adam as Adam
from layerflow.optimizers.adam import Adamax as Adamax
from layerflow.optimizers.adam import AdamW as AdamW
from layerflow.optimizers.adam import Nadam as Nadam
from layerflow.optimizers.base import Optimizer as Optimizer
from layerflow.optimizers.rmsprop import RMSprop as RMSprop
from layerflow.optimizers.sgd import SGD as SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adamax", "Nadam", "Adagrad",
           "Adadelta", "schedules", "get", "serialize", "deserialize"]


def _momentum(learning_rate=0.01, momentum=0.9, use_nesterov=False, **config):
    """TF.js's ``MomentumOptimizer`` as a Keras :class:`SGD` (registered as 'momentum')."""
    return SGD(learning_rate=learning_rate, momentum=momentum, nesterov=use_nesterov, **config)


def _register() -> None:
    for name, cls, aliases in (("sgd", SGD, ("SGDOptimizer",)),
                               ("adam", Adam, ("AdamOptimizer",)),
                               ("rmsprop", RMSprop, ("RMSPropOptimizer",)),
                               ("adagrad", Adagrad, ("AdagradOptimizer",)),
                               ("adadelta", Adadelta, ("AdadeltaOptimizer",)),
                               ("adamax", Adamax, ("AdamaxOptimizer",)),
                               ("adamw", AdamW, ()),
                               ("nadam", Nadam, ())):
        serialization.register("optimizer", name, cls, aliases=(cls.__name__, *aliases))
    serialization.register("optimizer", "momentum", _momentum_from_config,
                           aliases=("MomentumOptimizer",))


def _momentum_from_config(**config):
    keys = {"learningRate": "learning_rate", "useNesterov": "use_nesterov",
            "nesterov": "use_nesterov"}
    return _momentum(**{keys.get(k, k): v for k, v in config.items()})


_register()


def get(identifier, custom_objects=None) -> Optimizer:
    """An optimizer from a name, a config dict, or an instance (returned as it is).

    Args:
        identifier: ``'adam'`` (any spelling; a new instance with default arguments),
            ``{"class_name": "Adam", "config": {...}}``, or an :class:`Optimizer`.
        custom_objects: extra ``{name: class}`` to resolve.

    Raises:
        UnknownNameError: the name is not a registered optimizer (the message lists them).

    >>> import layerflow as lf
    >>> type(lf.optimizers.get('Adam')).__name__
    'Adam'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return serialization.deserialize("optimizer", identifier, custom_objects)
    found = serialization.lookup("optimizer", identifier, custom_objects)
    return found()


def serialize(optimizer: Optimizer) -> dict:
    """Keras 3's form: ``{"module", "class_name", "config", "registered_name"}``."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None) -> Optimizer:
    """An optimizer from :func:`serialize`'s dict (same as :func:`get`)."""
    return get(config, custom_objects)
