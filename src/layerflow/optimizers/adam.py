"""The Adam family: Adam, AdamW, Adamax, Nadam (Keras 3 update rules).

Adam follows Keras 3, not TF.js: Keras steps ``var -= alpha * m / (sqrt(v) + eps)`` with
``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)`` (epsilon beside the raw ``v``); TF.js steps
``var -= lr * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected ``m_hat``, ``v_hat``. Ten
identical steps end about 1e-5 apart. AdamW is Adam with a required decoupled
``weight_decay``. Adamax matches TF.js's rule (TF.js's ``decay`` argument is a learning-rate
schedule here: ``lf.train.adamax`` turns it into an ``InverseTimeDecay``). Nadam keeps a running
product of the momentum schedule in one more variable (``u_product``), as Keras does.

>>> import layerflow as lf
>>> w = lf.variable(lf.tensor([1.0]), name='w_adam')
>>> lf.optimizers.Adam(learning_rate=0.1).apply_gradients([(lf.tensor([2.0]), w)])
>>> round(w.item(), 4)
0.9
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError
from layerflow.ops._define import as_tensor, run
from layerflow.ops.creation import scalar
from layerflow.ops.elementwise import add, cast, div, maximum, mul, pow, sqrt, square, sub
from layerflow.ops.math import abs
from layerflow.optimizers.base import Optimizer, _is_number

# NOTE: Adam's rule as three kernels per variable (backends/kernels/optimizer.py): the same
# numbers as the ops of update_step, without a dozen full-size temporaries and ~18 op calls.
_FUSED_DTYPES = ("float32", "float64")


def _check_betas(cls: str, beta_1, beta_2, epsilon) -> None:
    for arg, value in (("beta_1", beta_1), ("beta_2", beta_2)):
        if not _is_number(value) or not 0 <= value < 1:
            raise InvalidArgumentError(f"{cls}: {arg} must be a number in [0, 1), got {value!r}")
    if not _is_number(epsilon) or epsilon < 0:
        raise InvalidArgumentError(f"{cls}: epsilon must be a number >= 0, got {epsilon!r}")


class _AdamBase(Optimizer):
    """Shared constructor of the Adam family (beta_1, beta_2, epsilon and the base args)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
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
        _check_betas(type(self).__name__, beta_1, beta_2, epsilon)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _local_step(self, dtype: str, offset: int = 1):
        return cast(add(self.iterations, offset), dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


class Adam(_AdamBase):
    """Adam (Keras 3 ``Adam``; TF.js ``adam`` with Keras's epsilon placement).

    Args:
        learning_rate: a float, a schedule or a callable.
        beta_1: decay of the first-moment average.
        beta_2: decay of the second-moment average.
        epsilon: added to ``sqrt(v)``.
        amsgrad: use the maximum of past second moments (AMSGrad).
        **kwargs: the base arguments (``weight_decay``, ``clipnorm`` ...).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)
        self.amsgrad = bool(amsgrad)

    def _create_slots(self, var_list, first):
        self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self.add_optimizer_variables(var_list, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        if not self.amsgrad and dtype in _FUSED_DTYPES:
            self._fused_update(gradient, variable, learning_rate)
            return
        lr = cast(learning_rate, dtype)
        step = self._local_step(dtype)
        beta_1_power = pow(scalar(self.beta_1, dtype), step)
        beta_2_power = pow(scalar(self.beta_2, dtype), step)
        m = self._slot("momentum", variable)
        v = self._slot("velocity", variable)
        alpha = div(mul(lr, sqrt(sub(1, beta_2_power))), sub(1, beta_1_power))
        m.assign(add(m, mul(sub(gradient, m), 1 - self.beta_1)))
        v.assign(add(v, mul(sub(square(gradient), v), 1 - self.beta_2)))
        if self.amsgrad:
            v_hat = self._slot("velocity_hat", variable)
            v_hat.assign(maximum(v_hat, v))
            v = v_hat
        variable.assign(sub(variable, div(mul(m, alpha), add(sqrt(v), self.epsilon))))

    def _fused_update(self, gradient, variable, learning_rate):
        # NOTE: each slot is assigned before the next kernel allocates, so the buffer it frees
        # is reused at once (see backends/kernels/optimizer.py).
        shape, dtype = variable.shape, variable.dtype
        m = self._slot("momentum", variable)
        v = self._slot("velocity", variable)
        m.assign(run("adam_momentum", (m, gradient), shape, dtype, {"beta_1": self.beta_1}))
        v.assign(run("adam_velocity", (v, gradient), shape, dtype, {"beta_2": self.beta_2}))
        lr = as_tensor(learning_rate, "learning_rate", self.name)
        variable.assign(run("adam_step", (variable, m, v, lr, self.iterations), shape, dtype,
                            {"beta_1": self.beta_1, "beta_2": self.beta_2,
                             "epsilon": self.epsilon}))

    def get_config(self):
        config = super().get_config()
        config["amsgrad"] = self.amsgrad
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras 3 ``AdamW``); ``weight_decay`` is required."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs) -> None:
        if weight_decay is None:
            raise InvalidArgumentError("AdamW: weight_decay must be a float, got None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name,
                         **kwargs)


class Adamax(_AdamBase):
    """Adamax, Adam with the infinity norm (Keras 3 ``Adamax``; TF.js ``adamax``).

    ``m = b1 * m + (1 - b1) * g; u = max(b2 * u, |g|); var -= lr * m / ((1 - b1^t) * (u +
    eps))``.
    """

    def _create_slots(self, var_list, first):
        self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = cast(learning_rate, dtype)
        beta_1_power = pow(scalar(self.beta_1, dtype), self._local_step(dtype))
        m = self._slot("momentum", variable)
        u = self._slot("norm", variable)
        m.assign(add(m, mul(sub(gradient, m), 1 - self.beta_1)))
        u.assign(maximum(mul(self.beta_2, u), abs(gradient)))
        variable.assign(sub(variable, div(mul(lr, m),
                                          mul(sub(1, beta_1_power), add(u, self.epsilon)))))


    @classmethod
    def _from_tfjs_config(cls, config):
        # NOTE: TF.js's Adamax `decay` divides the learning rate by (1 + decay * iteration).
        from layerflow.optimizers.schedules import InverseTimeDecay

        config = super()._from_tfjs_config(config)
        decay = config.pop("decay", 0.0)
        if decay:
            config["learning_rate"] = InverseTimeDecay(config["learning_rate"], 1, decay)
        return config


class Nadam(_AdamBase):
    """Nadam, Adam with Nesterov momentum (Keras 3 ``Nadam``; not in TF.js)."""

    def _create_slots(self, var_list, first):
        self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        if first:
            # NOTE: Keras 3 leaves this variable unnamed ('<optimizer>/variable_<n>'); same place.
            self._u_product = self.add_variable((), 1.0, var_list[0].dtype, "u_product")

    def _update_all(self, grads, variables, learning_rate):
        dtype = self._u_product.dtype
        step = cast(add(self.iterations, 1), dtype)
        u_t = mul(self.beta_1, sub(1.0, mul(0.5, pow(scalar(0.96, dtype), step))))
        self._u_product.assign(mul(self._u_product, u_t))
        super()._update_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        lr = cast(learning_rate, dtype)
        local_step = self._local_step(dtype)
        next_step = self._local_step(dtype, 2)
        decay = scalar(0.96, dtype)
        beta_1 = scalar(self.beta_1, dtype)
        beta_2 = scalar(self.beta_2, dtype)
        u_t = mul(beta_1, sub(1.0, mul(0.5, pow(decay, local_step))))
        u_t_1 = mul(beta_1, sub(1.0, mul(0.5, pow(decay, next_step))))
        u_product_t = cast(self._u_product, dtype)
        u_product_t_1 = mul(u_product_t, u_t_1)
        beta_2_power = pow(beta_2, local_step)
        m = self._slot("momentum", variable)
        v = self._slot("velocity", variable)
        m.assign(add(m, mul(sub(gradient, m), sub(1, beta_1))))
        v.assign(add(v, mul(sub(square(gradient), v), sub(1, beta_2))))
        m_hat = add(div(mul(u_t_1, m), sub(1, u_product_t_1)),
                    div(mul(sub(1, u_t), gradient), sub(1, u_product_t)))
        v_hat = div(v, sub(1, beta_2_power))
        variable.assign(sub(variable, div(mul(m_hat, lr), add(sqrt(v_hat), self.epsilon))))
