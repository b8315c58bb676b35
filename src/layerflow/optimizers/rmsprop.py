"""RMSprop (Keras 3 ``keras.optimizers.RMSprop``; TF.js ``rmsprop``, same rule).

``v = rho * v + (1 - rho) * g^2``; centered: ``a = rho * a + (1 - rho) * g`` and the
denominator is ``sqrt(v - a^2 + eps)``, else ``sqrt(v + eps)``; ``inc = lr * g / denom``;
with momentum ``m = momentum * m + inc; var -= m``, else ``var -= inc``.

>>> import layerflow as lf
>>> w = lf.variable(lf.tensor([1.0]), name='w_rms')
>>> lf.optimizers.RMSprop(learning_rate=0.1).apply_gradients([(lf.tensor([1.0]), w)])
>>> round(w.item(), 4)
0.6838
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError
from layerflow.ops.elementwise import add, cast, div, mul, sqrt, square, sub
from layerflow.optimizers.base import Optimizer, _is_number


class RMSprop(Optimizer):
    """RMSprop.

    Args:
        learning_rate: a float, a schedule or a callable.
        rho: discount factor of the squared-gradient average (TF.js ``decay``).
        momentum: momentum (0: none, no momentum slots).
        epsilon: added inside the square root.
        centered: normalise by the estimated variance of the gradient.
        **kwargs: the base arguments (``weight_decay``, ``clipnorm`` ...).
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        for arg, value in (("rho", rho), ("momentum", momentum), ("epsilon", epsilon)):
            if not _is_number(value) or value < 0:
                raise InvalidArgumentError(f"RMSprop: {arg} must be a number >= 0, got "
                                           f"{value!r}")
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = bool(centered)

    def _create_slots(self, var_list, first):
        # NOTE: Keras makes the three kinds in three passes (not interleaved); same order here.
        self.add_optimizer_variables(var_list, "velocity")
        if self.momentum > 0:
            self.add_optimizer_variables(var_list, "momentum")
        if self.centered:
            self.add_optimizer_variables(var_list, "average_gradient")

    def update_step(self, gradient, variable, learning_rate):
        lr = cast(learning_rate, variable.dtype)
        rho = self.rho
        velocity = self._slot("velocity", variable)
        velocity.assign(add(mul(rho, velocity), mul(1 - rho, square(gradient))))
        if self.centered:
            average = self._slot("average_gradient", variable)
            average.assign(add(mul(rho, average), mul(1 - rho, gradient)))
            denominator = add(sub(velocity, square(average)), self.epsilon)
        else:
            denominator = add(velocity, self.epsilon)
        increment = div(mul(lr, gradient), sqrt(denominator))
        if self.momentum > 0:
            momentum = self._slot("momentum", variable)
            momentum.assign(add(mul(self.momentum, momentum), increment))
            variable.assign(sub(variable, momentum))
        else:
            variable.assign(sub(variable, increment))

    @classmethod
    def _from_tfjs_config(cls, config):
        # NOTE: TF.js's RMSProp calls rho `decay`.
        config = super()._from_tfjs_config(config)
        if "decay" in config:
            config["rho"] = config.pop("decay")
        return config

    def get_config(self):
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config
