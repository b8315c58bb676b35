"""TF.js's optimizer factories (``lf.train.*``), returning the Keras-rule classes.

Each factory takes TF.js's arguments (snake_case) and defaults and returns the matching class of
:mod:`layerflow.optimizers`, so ``lf.train.adam(0.01)`` equals
``lf.optimizers.Adam(learning_rate=0.01)``. Differences from TF.js, written down here:

- ``epsilon=None`` means 1e-7 (TF.js's float32 ``backend.epsilon()``).
- ``adam``: the update is Keras's (epsilon beside the uncorrected ``v``); TF.js divides the
  bias-corrected moments, which ends about 1e-5 apart after ten steps.
- ``momentum``: Keras's SGD momentum (``m = momentum * m - lr * g``); equal to TF.js's
  ``accum = momentum * accum + g, var -= lr * accum`` while the learning rate is fixed.
- ``adamax``: TF.js's default learning rate is 0.002 (Keras's is 0.001) and is kept here;
  TF.js's ``decay`` (``lr / (1 + decay * iteration)``) becomes an ``InverseTimeDecay`` schedule.
- ``rmsprop``: TF.js's ``decay`` is Keras's ``rho``. ``sgd``, ``adagrad`` and ``adadelta``
  have the same rules in both.

>>> import layerflow as lf
>>> opt = lf.train.sgd(0.1)
>>> type(opt).__name__, round(float(opt.learning_rate), 4)
('SGD', 0.1)
"""

from __future__ import annotations

from layerflow.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, RMSprop
from layerflow.optimizers.schedules import InverseTimeDecay

__all__ = ["sgd", "momentum", "rmsprop", "adam", "adadelta", "adamax", "adagrad"]

_EPSILON = 1e-7


def _eps(epsilon):
    return _EPSILON if epsilon is None else epsilon


def sgd(learning_rate) -> SGD:
    """Plain gradient descent (TF.js ``tf.train.sgd``).

    >>> import layerflow as lf
    >>> lf.train.sgd(0.5).get_config()['momentum']
    0.0
    """
    return SGD(learning_rate=learning_rate)


def momentum(learning_rate, momentum, use_nesterov: bool = False) -> SGD:
    """Gradient descent with momentum (TF.js ``tf.train.momentum``); an :class:`SGD`.

    >>> import layerflow as lf
    >>> lf.train.momentum(0.1, 0.9, use_nesterov=True).get_config()['nesterov']
    True
    """
    return SGD(learning_rate=learning_rate, momentum=momentum, nesterov=use_nesterov)


def rmsprop(learning_rate, decay: float = 0.9, momentum: float = 0.0, epsilon=None,
            centered: bool = False) -> RMSprop:
    """RMSprop (TF.js ``tf.train.rmsprop``); ``decay`` is Keras's ``rho``.

    >>> import layerflow as lf
    >>> lf.train.rmsprop(0.01, decay=0.8).get_config()['rho']
    0.8
    """
    return RMSprop(learning_rate=learning_rate, rho=decay, momentum=momentum,
                   epsilon=_eps(epsilon), centered=centered)


def adam(learning_rate=0.001, beta1: float = 0.9, beta2: float = 0.999, epsilon=None) -> Adam:
    """Adam (TF.js ``tf.train.adam``) with Keras's update rule (see the module notes).

    >>> import layerflow as lf
    >>> lf.train.adam(0.01).get_config()['beta_2']
    0.999
    """
    return Adam(learning_rate=learning_rate, beta_1=beta1, beta_2=beta2, epsilon=_eps(epsilon))


def adadelta(learning_rate=0.001, rho: float = 0.95, epsilon=None) -> Adadelta:
    """Adadelta (TF.js ``tf.train.adadelta``).

    >>> import layerflow as lf
    >>> lf.train.adadelta().get_config()['rho']
    0.95
    """
    return Adadelta(learning_rate=learning_rate, rho=rho, epsilon=_eps(epsilon))


def adamax(learning_rate=0.002, beta1: float = 0.9, beta2: float = 0.999, epsilon=None,
           decay: float = 0.0) -> Adamax:
    """Adamax (TF.js ``tf.train.adamax``; default learning rate 0.002 as TF.js).

    A ``decay`` > 0 makes the learning rate ``learning_rate / (1 + decay * iterations)``.

    >>> import layerflow as lf
    >>> round(lf.train.adamax().get_config()['learning_rate'], 6)
    0.002
    """
    lr = learning_rate
    if decay:
        lr = InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)
    return Adamax(learning_rate=lr, beta_1=beta1, beta_2=beta2, epsilon=_eps(epsilon))


def adagrad(learning_rate, initial_accumulator_value: float = 0.1) -> Adagrad:
    """Adagrad (TF.js ``tf.train.adagrad``).

    >>> import layerflow as lf
    >>> lf.train.adagrad(0.1).get_config()['initial_accumulator_value']
    0.1
    """
    return Adagrad(learning_rate=learning_rate,
                   initial_accumulator_value=initial_accumulator_value)
