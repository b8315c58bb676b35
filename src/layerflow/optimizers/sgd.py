"""SGD, with optional momentum and Nesterov momentum (Keras 3 ``keras.optimizers.SGD``).

Keras's rule: ``m = momentum * m - lr * g; var += m`` (Nesterov: ``var += momentum * m - lr *
g``). TF.js's ``MomentumOptimizer`` keeps ``accum = momentum * accum + g`` and steps
``var -= lr * accum``: the same numbers while the learning rate is fixed (``m = -lr * accum``),
different once it changes. layerflow follows Keras; ``lf.train.momentum`` returns this class.

>>> import layerflow as lf
>>> w = lf.variable(lf.tensor([1.0]), name='w_sgd')
>>> opt = lf.optimizers.SGD(learning_rate=0.1, momentum=0.9)
>>> for _ in range(2):
...     opt.apply_gradients([(lf.tensor([1.0]), w)])
>>> round(w.item(), 4)
0.71
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError
from layerflow.ops.elementwise import add, cast, mul, sub
from layerflow.optimizers.base import Optimizer, _is_number


class SGD(Optimizer):
    """Gradient descent with momentum (Keras 3 ``SGD``; TF.js ``sgd`` and ``momentum``).

    Args:
        learning_rate: a float, a schedule or a callable.
        momentum: float in [0, 1]; 0 is plain gradient descent (no slot variables).
        nesterov: use Nesterov momentum.
        **kwargs: the base arguments (``weight_decay``, ``clipnorm`` ...).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None,
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
        if not _is_number(momentum) or not 0 <= momentum <= 1:
            raise InvalidArgumentError(f"SGD: momentum must be a float in [0, 1], got "
                                       f"{momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _create_slots(self, var_list, first):
        if self.momentum != 0:
            self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        lr = cast(learning_rate, variable.dtype)
        if self.momentum == 0:
            variable.assign(sub(variable, mul(gradient, lr)))
            return
        m = self._slot("momentum", variable)
        m.assign(sub(mul(m, self.momentum), mul(gradient, lr)))
        if self.nesterov:
            variable.assign(add(variable, sub(mul(m, self.momentum), mul(gradient, lr))))
        else:
            variable.assign(add(variable, m))

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
