"""Adagrad and Adadelta (Keras 3 update rules; TF.js ``adagrad`` and ``adadelta`` agree).

Adagrad: ``acc += g^2; var -= lr * g / sqrt(acc + eps)``, the accumulator starting at
``initial_accumulator_value``. Adadelta: ``acc_g = rho * acc_g + (1 - rho) * g^2;
delta = -sqrt(acc_d + eps) / sqrt(acc_g + eps) * g; acc_d = rho * acc_d + (1 - rho) * delta^2;
var += lr * delta``.

>>> import layerflow as lf
>>> w = lf.variable(lf.tensor([1.0]), name='w_adagrad')
>>> lf.optimizers.Adagrad(learning_rate=0.1).apply_gradients([(lf.tensor([1.0]), w)])
>>> round(w.item(), 4)
0.9047
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError
from layerflow.ops.elementwise import add, cast, div, mul, neg, sqrt, square, sub
from layerflow.optimizers.base import Optimizer, _is_number


class Adagrad(Optimizer):
    """Adagrad.

    Args:
        learning_rate: a float, a schedule or a callable.
        initial_accumulator_value: starting value of the accumulators (>= 0).
        epsilon: added inside the square root.
        **kwargs: the base arguments (``weight_decay``, ``clipnorm`` ...).
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, name=None,
                 **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        for arg, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("epsilon", epsilon)):
            if not _is_number(value) or value < 0:
                raise InvalidArgumentError(f"Adagrad: {arg} must be a number >= 0, got "
                                           f"{value!r}")
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _create_slots(self, var_list, first):
        self.add_optimizer_variables(var_list, "accumulator", self.initial_accumulator_value)

    def update_step(self, gradient, variable, learning_rate):
        lr = cast(learning_rate, variable.dtype)
        accumulator = self._slot("accumulator", variable)
        accumulator.assign(add(accumulator, square(gradient)))
        variable.assign(sub(variable, div(mul(lr, gradient),
                                          sqrt(add(accumulator, self.epsilon)))))

    def get_config(self):
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


class Adadelta(Optimizer):
    """Adadelta.

    Args:
        learning_rate: a float, a schedule or a callable (Keras's default 0.001; the paper
            uses 1.0).
        rho: decay rate of both accumulators.
        epsilon: added inside the square roots.
        **kwargs: the base arguments (``weight_decay``, ``clipnorm`` ...).
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, use_ema=False,
                 ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        for arg, value in (("rho", rho), ("epsilon", epsilon)):
            if not _is_number(value) or value < 0:
                raise InvalidArgumentError(f"Adadelta: {arg} must be a number >= 0, got "
                                           f"{value!r}")
        self.rho = rho
        self.epsilon = epsilon

    def _create_slots(self, var_list, first):
        self.add_optimizer_variables(var_list, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient, variable, learning_rate):
        lr = cast(learning_rate, variable.dtype)
        rho = self.rho
        acc_grad = self._slot("accumulated_grad", variable)
        acc_delta = self._slot("accumulated_delta_var", variable)
        acc_grad.assign(add(mul(acc_grad, rho), mul(1 - rho, square(gradient))))
        rms_delta = sqrt(add(acc_delta, self.epsilon))
        delta = neg(div(mul(rms_delta, gradient), sqrt(add(acc_grad, self.epsilon))))
        acc_delta.assign(add(mul(rho, acc_delta), mul(1 - rho, square(delta))))
        variable.assign(add(variable, mul(lr, delta)))

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
