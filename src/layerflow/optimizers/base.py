"""The optimizer base class: Keras 3's ``Optimizer`` contract with TF.js's methods.

Every piece of optimizer state is a non-trainable layerflow :class:`~layerflow.Variable`:
``iterations`` (int32 scalar), the learning rate (float32 scalar, unless a schedule or a
callable gives it), and per-weight *slot* variables made on first use by :meth:`build`.
``optimizer.variables`` lists them in Keras 3's order (iteration, learning_rate, then the slots
in the order they were made), so a train step that updates them can be compiled with
``lf.compile(step, variables=model_vars + optimizer.variables)``. Build the optimizer on the
model's variables *before* compiling (``optimizer.build(vars)``): slots cannot be made while a
step is being traced.

Updates are written with layerflow ops and ``Variable.assign`` only, so they run eagerly on the
numpy backend and traced on jax. Decisions written down here:

- The update rules, clipping (``clipnorm`` per gradient, ``global_clipnorm``, ``clipvalue``),
  decoupled ``weight_decay`` (``var -= var * wd * lr`` before the update), ``use_ema`` and
  ``gradient_accumulation_steps`` follow Keras 3 (including its JAX backend), not TF.js: TF.js's
  Adam puts epsilon beside the bias-corrected ``v_hat``, Keras beside the raw ``v``.
- ``build`` is incremental: variables an optimizer has not seen get slots on their first
  update (TF.js behaviour); Keras would raise instead. Slots are keyed by variable identity.
- Slot names follow Keras 3: ``<optimizer>/<variable name, '/' -> '_'>_<slot>``.
- ``get_weights``/``set_weights`` use the order of ``variables`` (iterations first, as TF.js).

>>> import layerflow as lf
>>> from layerflow.optimizers import SGD
>>> w = lf.variable(lf.tensor([1.0, 2.0]), name='w')
>>> opt = SGD(learning_rate=0.1)
>>> opt.apply_gradients([(lf.tensor([1.0, 1.0]), w)])
>>> [round(x, 4) for x in w.array_sync()], int(opt.iterations)
([0.9, 1.9], 1)
"""

from __future__ import annotations

import re
import warnings

from layerflow.engine.context import ENGINE
from layerflow.engine.memory import no_tracking, tidy
from layerflow.engine.tensor import Tensor
from layerflow.errors import (
    DTypeError,
    GradientError,
    InvalidArgumentError,
    NotSupportedError,
    ShapeError,
)
from layerflow.ops import _define
from layerflow.ops.creation import fill, scalar, variable, zeros_like
from layerflow.ops.elementwise import (
    add,
    cast,
    div,
    floor_div,
    mod,
    mul,
    sub,
)
from layerflow.ops.logical import equal, not_equal, where
from layerflow.ops.math import clip_by_value
from layerflow.optimizers.clipping import clip_by_global_norm, clip_by_norm

_TFJS_KEYS = {"learningRate": "learning_rate", "beta1": "beta_1", "beta2": "beta_2",
              "useNesterov": "nesterov", "initialAccumulatorValue": "initial_accumulator_value",
              "use_nesterov": "nesterov"}
# NOTE: keys only TF.js configs have; model.json stores them snake_cased (learning_rate,
# beta1, use_nesterov ...), so a camelCase learningRate is not the only sign.
_TFJS_MARKERS = ("learningRate", "beta1", "beta2", "useNesterov", "use_nesterov", "decay",
                 "initialAccumulatorValue")


class Optimizer:
    """Base class of the optimizers (Keras 3 ``keras.optimizers.Optimizer``).

    Subclasses define ``__init__`` (Keras names and defaults), ``_create_slots(var_list)``
    (``add_optimizer_variables`` only), ``update_step(gradient, variable, learning_rate)``
    (ops and ``assign`` only) and ``get_config``.

    Args:
        learning_rate: a float, a :class:`~layerflow.optimizers.schedules.LearningRateSchedule`
            (evaluated from ``iterations`` each step), or a callable of no arguments.
        weight_decay: decoupled weight decay factor (``var -= var * wd * lr`` each step).
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global norm.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: that average's momentum.
        ema_overwrite_frequency: every this many steps, overwrite the weights with the average.
        loss_scale_factor: gradients are divided by this (the loss was multiplied by it).
        gradient_accumulation_steps: update only every this many steps, with the mean gradient.
        name: the optimizer's name (prefix of its variables' names).
    """

    _registry_kind = "optimizer"

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs) -> None:
        cls = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn(f"{cls}: argument `decay` is no longer supported and is ignored",
                          stacklevel=2)
        if kwargs:
            raise InvalidArgumentError(f"{cls}: unknown argument(s) {sorted(kwargs)}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise InvalidArgumentError(
                f"{cls}: only one of clipnorm, clipvalue and global_clipnorm can be set, got "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm),
                           ("weight_decay", weight_decay)):
            if value is not None and (not _is_number(value) or value < 0):
                raise InvalidArgumentError(f"{cls}: {arg} must be a number >= 0, got {value!r}")
        if not 0 <= ema_momentum <= 1:
            raise InvalidArgumentError(f"{cls}: ema_momentum must be in [0, 1], got "
                                       f"{ema_momentum}")
        if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
            raise InvalidArgumentError(f"{cls}: ema_overwrite_frequency must be an integer >= 1 "
                                       f"or None, got {ema_overwrite_frequency!r}")
        if gradient_accumulation_steps is not None and (
                not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 2):
            raise InvalidArgumentError(f"{cls}: gradient_accumulation_steps must be an integer "
                                       f">= 2, got {gradient_accumulation_steps!r}")
        self.name = name if name is not None else _unique_name(_snake(cls))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables: list = []
        self._trainable_variables: list = []
        self._index: dict[int, int] = {}
        self._slots: dict[str, list] = {}
        self._exclude_ids: set = set()
        self._exclude_pattern = None
        self._iterations = self._new_variable(scalar(0, "int32"), "iteration")
        self._lr_variable = None
        self._learning_rate = None
        self._set_learning_rate(learning_rate, initial=True)

    # -- state ------------------------------------------------------------------------------
    @property
    def variables(self) -> list:
        """Every optimizer variable, in a fixed order (iterations, learning rate, slots)."""
        return list(self._variables)

    @property
    def iterations(self):
        """The step counter (int32 variable; in update steps when accumulating gradients)."""
        if self.gradient_accumulation_steps:
            return floor_div(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    @property
    def learning_rate(self):
        """The current learning rate as a float32 scalar tensor (the variable when fixed)."""
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self._set_learning_rate(value, initial=False)

    def _set_learning_rate(self, value, initial: bool) -> None:
        from layerflow.optimizers.schedules import LearningRateSchedule

        cls = type(self).__name__
        if isinstance(value, LearningRateSchedule) or (callable(value)
                                                        and not isinstance(value, Tensor)):
            self._learning_rate = value
            if self._lr_variable is not None:
                self._variables.remove(self._lr_variable)
                self._lr_variable = None
            return
        if not initial and self._lr_variable is None:
            raise InvalidArgumentError(
                f"{cls}: this optimizer's learning rate comes from a schedule or a callable, so "
                "it cannot be set to a number; make the optimizer with a float learning_rate")
        if isinstance(value, Tensor):
            if value.size != 1:
                raise ShapeError(f"{cls}: learning_rate must be a scalar, got shape "
                                 f"{value.shape}")
            if not ENGINE.trace_depth and value.item() < 0:
                raise InvalidArgumentError(f"{cls}: learning_rate must be >= 0, got "
                                           f"{value.item()}")
            value = cast(value.reshape(()), "float32")
        elif not _is_number(value) or value < 0:
            raise InvalidArgumentError(f"{cls}: learning_rate must be a number >= 0, a "
                                       f"LearningRateSchedule or a callable, got {value!r}")
        if self._lr_variable is None:
            self._lr_variable = self._new_variable(scalar(float(value), "float32"),
                                                   "learning_rate")
            self._learning_rate = self._lr_variable
        else:
            self._lr_variable.assign(value if isinstance(value, Tensor)
                                     else scalar(float(value), "float32"))

    def _current_learning_rate(self):
        lr = self._learning_rate
        if lr is self._lr_variable:
            return lr
        from layerflow.optimizers.schedules import LearningRateSchedule

        value = lr(self._iterations) if isinstance(lr, LearningRateSchedule) else lr()
        value = _define.as_tensor(value, "learning_rate", self.name)
        return value if value.dtype == "float32" else cast(value, "float32")

    def _new_variable(self, value, name: str):
        """Make one optimizer variable named ``<optimizer>/<name>`` and track it."""
        if ENGINE.trace_depth:
            raise InvalidArgumentError(
                f"{self.name}: cannot create optimizer variable {name!r} while a step is being "
                "compiled; call optimizer.build(variables) before lf.compile(...)")
        with no_tracking():
            v = variable(value, trainable=False, name=f"{self.name}/{name}")
        if isinstance(value, Tensor) and value is not v:
            value.dispose()
        self._variables.append(v)
        return v

    def add_variable(self, shape, initializer=0.0, dtype="float32", name=None):
        """Add an optimizer variable of ``shape`` filled with ``initializer`` (a number)."""
        value = fill(tuple(shape), float(initializer), dtype) if shape else scalar(
            float(initializer), dtype)
        return self._new_variable(value, name or f"variable_{len(self._variables)}")

    def add_variable_from_reference(self, reference_variable, name=None, initializer=0.0):
        """Add a slot shaped like ``reference_variable`` (Keras naming ``<var>_<name>``)."""
        ref = str(reference_variable.name).replace("/", "_").replace(":", "_")
        return self.add_variable(reference_variable.shape, initializer, reference_variable.dtype,
                                 f"{ref}_{name or 'var'}")

    def add_optimizer_variables(self, var_list, names, initializer=0.0) -> None:
        """Add slots named ``names`` for each variable, interleaved per variable as Keras."""
        names = [names] if isinstance(names, str) else list(names)
        for v in var_list:
            for slot in names:
                self._slots.setdefault(slot, []).append(
                    self.add_variable_from_reference(v, slot, initializer))

    def _slot(self, slot: str, var):
        return self._slots[slot][self._index[id(var)]]

    def build(self, var_list) -> None:
        """Create the slots for the variables of ``var_list`` this optimizer has not seen."""
        var_list = list(var_list)
        _check_variables(var_list, self.name)
        new = []
        for v in var_list:
            if id(v) not in self._index and all(v is not n for n in new):
                new.append(v)
        if not new:
            self.built = True
            return
        if ENGINE.trace_depth:
            raise InvalidArgumentError(
                f"{self.name}: variable {new[0].name!r} was never seen by this optimizer and its "
                "slots cannot be made while a step is being compiled; call "
                "optimizer.build(variables) before lf.compile(...)")
        first = not self._trainable_variables
        for v in new:
            self._index[id(v)] = len(self._trainable_variables)
            self._trainable_variables.append(v)
        if self.use_ema:
            self.add_optimizer_variables(new, "average")
        if self.gradient_accumulation_steps:
            self.add_optimizer_variables(new, "gradient_accumulator")
        self._create_slots(new, first)
        self.built = True

    def _create_slots(self, var_list: list, first: bool) -> None:
        """Subclass hook: add the slot variables of ``var_list`` (``first``: first build)."""

    # -- applying gradients -----------------------------------------------------------------
    def apply_gradients(self, grads_and_vars) -> None:
        """Apply ``(gradient, variable)`` pairs; pairs with a None gradient are skipped.

        >>> import layerflow as lf
        >>> w = lf.variable(lf.tensor(1.0), name='w_apply')
        >>> lf.optimizers.SGD(0.5).apply_gradients(zip([lf.tensor(2.0)], [w]))
        >>> w.item()
        0.0
        """
        pairs = list(grads_and_vars)
        for pair in pairs:
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise InvalidArgumentError(f"{self.name}: apply_gradients expects (gradient, "
                                           f"variable) pairs, got {type(pair).__name__}")
        self.apply([p[0] for p in pairs], [p[1] for p in pairs])

    def apply(self, grads, trainable_variables=None) -> None:
        """Apply ``grads`` to ``trainable_variables`` (default: the variables built on)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise InvalidArgumentError(
                    f"{self.name}: without trainable_variables the optimizer must be built "
                    "first: call optimizer.build(variables)")
            trainable_variables = self._trainable_variables
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise InvalidArgumentError(f"{self.name}: got {len(grads)} gradients for "
                                       f"{len(variables)} variables")
        _check_variables(variables, self.name)
        grads = [None if g is None else self._check_grad(g, v) for g, v in zip(grads, variables)]
        self.build(variables)
        kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            raise GradientError(f"{self.name}: no gradients provided for any variable "
                                f"({', '.join(repr(v.name) for v in variables)})")
        saved = [t.recording for t in ENGINE.tapes]
        for t in ENGINE.tapes:
            t.recording = False
        try:
            tidy(lambda: self._apply_now([g for g, _ in kept], [v for _, v in kept]))
        finally:
            for t, was in zip(ENGINE.tapes, saved):
                t.recording = was

    def _check_grad(self, grad, var):
        g = _define.as_tensor(grad, f"gradient of {var.name}", self.name)
        if g.shape != var.shape:
            raise ShapeError(f"{self.name}: gradient for variable {var.name!r} has shape "
                             f"{g.shape}, but the variable has shape {var.shape}")
        if g.dtype != var.dtype:
            if g.dtype in ("string", "bool", "complex64"):
                raise DTypeError(f"{self.name}: gradient for variable {var.name!r} has dtype "
                                 f"{g.dtype}; expected {var.dtype}")
            g = cast(g, var.dtype)
        return g

    def _apply_now(self, grads: list, variables: list) -> None:
        if self.loss_scale_factor is not None:
            grads = [div(g, self.loss_scale_factor) for g in grads]
        if self.gradient_accumulation_steps:
            self._accumulate_and_update(grads, variables)
        else:
            grads = self._clip_gradients(grads)
            self._apply_weight_decay(variables)
            self._update_all(grads, variables, self._current_learning_rate())
        if self.use_ema:
            self._update_moving_averages()
        for v in variables:
            constraint = getattr(v, "_constraint", None)
            if constraint is not None:
                v.assign(constraint(v))
        self._iterations.assign(add(self._iterations, 1))

    def _update_all(self, grads: list, variables: list, learning_rate) -> None:
        """Run ``update_step`` on each pair (Nadam also updates shared state first)."""
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    def update_step(self, gradient, variable, learning_rate) -> None:
        """Update one variable from its gradient (written by each subclass)."""
        raise NotSupportedError(f"{type(self).__name__} does not define update_step")

    def _accumulate_and_update(self, grads: list, variables: list) -> None:
        # NOTE: as Keras's JAX backend: compute the update every step, keep it only on update
        # steps (a select instead of a cond, so the step traces into one program).
        steps = self.gradient_accumulation_steps
        is_update = equal(mod(add(self._iterations, 1), steps), 0)
        accs = [self._slot("gradient_accumulator", v) for v in variables]
        new_accs = [where(is_update, zeros_like(a), add(g, a)) for g, a in zip(grads, accs)]
        grads = [where(is_update, div(add(g, a), steps), g) for g, a in zip(grads, accs)]
        before_vars = [_define.identity(v) for v in variables]
        before_state = [_define.identity(v) for v in self._variables]
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables)
        self._update_all(grads, variables, self._current_learning_rate())
        for v, old in zip(variables, before_vars):
            v.assign(where(is_update, v, old))
        for v, old in zip(list(self._variables), before_state):
            v.assign(where(is_update, v, old))
        for a, new in zip(accs, new_accs):
            a.assign(new)

    def _update_moving_averages(self) -> None:
        iterations = self.iterations
        for v in self._trainable_variables:
            average = self._slot("average", v)
            momentum = mul(cast(not_equal(iterations, 0), v.dtype), self.ema_momentum)
            average.assign(add(mul(momentum, average), mul(sub(1, momentum), v)))
        if self.ema_overwrite_frequency:
            overwrite = equal(mod(add(iterations, 1), self.ema_overwrite_frequency), 0)
            for v in self._trainable_variables:
                v.assign(where(overwrite, self._slot("average", v), v))

    def finalize_variable_values(self, var_list) -> None:
        """With ``use_ema``, overwrite the variables with their moving averages (Keras)."""
        if self.use_ema:
            for v in var_list:
                v.assign(self._slot("average", v))

    def _clip_gradients(self, grads: list) -> list:
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return [clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exclude variables (or those whose name matches a word of ``var_names``) from decay."""
        self._exclude_ids = {id(v) for v in (var_list or [])}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, var) -> bool:
        if id(var) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return pattern is None or re.search(pattern, str(var.name)) is None

    def _apply_weight_decay(self, variables: list) -> None:
        if self.weight_decay is None:
            return
        lr = self._current_learning_rate()
        for v in variables:
            if self._use_weight_decay(v):
                rate = mul(cast(lr, v.dtype), self.weight_decay)
                v.assign(sub(v, mul(v, rate)))

    # -- TF.js methods ----------------------------------------------------------------------
    def compute_gradients(self, f, var_list=None):
        """``(value, grads)`` of the scalar ``f()``: grads maps variable names to gradients.

        >>> import layerflow as lf
        >>> w = lf.variable(lf.tensor(3.0), name='w_cg')
        >>> value, grads = lf.optimizers.SGD().compute_gradients(lambda: w * w, [w])
        >>> value.item(), grads['w_cg'].item()
        (9.0, 6.0)
        """
        from layerflow.autodiff import variable_grads

        return variable_grads(f, var_list)

    def minimize(self, f, return_cost: bool = False, var_list=None):
        """Take one step that lowers the scalar ``f()`` (TF.js ``minimize``).

        Args:
            f: a function of no arguments returning a scalar loss tensor.
            return_cost: return the loss value (else None).
            var_list: variables to train (default: every trainable variable).

        >>> import layerflow as lf
        >>> x = lf.variable(lf.tensor(2.0), name='x_min')
        >>> opt = lf.optimizers.SGD(0.25)
        >>> opt.minimize(lambda: x * x, return_cost=True, var_list=[x]).item(), x.item()
        (4.0, 1.0)
        """
        from layerflow.autodiff import GradientTape

        if var_list is None:
            var_list = [v for v in ENGINE.variables.values()
                        if v.trainable and v._data is not None]
        var_list = list(var_list)
        _check_variables(var_list, self.name)

        def step():
            tape = GradientTape(watch_accessed_variables=False)
            with tape:
                tape.watch(var_list)
                cost = f()
            if not isinstance(cost, Tensor) or cost.rank != 0:
                raise GradientError(f"{self.name}.minimize: f must return a scalar tensor, got "
                                    f"{getattr(cost, 'shape', type(cost).__name__)}")
            grads = tape.gradient(cost, var_list)
            pairs = [(g, v) for g, v in zip(grads, var_list) if g is not None]
            if not pairs:
                raise GradientError(f"{self.name}.minimize: the loss does not depend on any of "
                                    "the variables")
            self.apply_gradients(pairs)
            return cost

        cost = tidy(step)
        if return_cost:
            return cost
        cost.dispose()
        return None

    def get_weights(self) -> list:
        """The values of :attr:`variables` as NumPy arrays (iterations first)."""
        return [v.numpy() for v in self._variables]

    def set_weights(self, weights) -> None:
        """Set :attr:`variables` from arrays (or TF.js ``{'name', 'tensor'}`` entries)."""
        weights = [w["tensor"] if isinstance(w, dict) else w for w in weights]
        if len(weights) != len(self._variables):
            hint = "" if self.built else " (build the optimizer on its variables first)"
            raise InvalidArgumentError(f"{self.name}: set_weights got {len(weights)} arrays, "
                                       f"but the optimizer has {len(self._variables)} "
                                       f"variables{hint}")
        for v, w in zip(self._variables, weights):
            value = w if isinstance(w, Tensor) else _define.as_tensor(w, v.name, self.name,
                                                                      v.dtype)
            if tuple(value.shape) != v.shape:
                raise ShapeError(f"{self.name}: weight for {v.name!r} has shape {value.shape}, "
                                 f"expected {v.shape}")
            v.assign(value if value.dtype == v.dtype else cast(value, v.dtype))

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` when that is set, else ``loss``."""
        return loss if self.loss_scale_factor is None else mul(loss, self.loss_scale_factor)

    def dispose(self) -> None:
        """Dispose every optimizer variable (the optimizer cannot be used afterwards)."""
        for v in self._variables:
            v.dispose()

    # -- config -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments, with Keras 3's keys."""
        from layerflow.optimizers import schedules

        lr = self._learning_rate
        if lr is self._lr_variable:
            lr = float(lr.item())
        elif isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif hasattr(lr, "get_config"):
            lr = {"class_name": type(lr).__name__, "config": lr.get_config()}
        else:
            raise NotSupportedError(f"{self.name}: a callable learning rate without get_config "
                                    "cannot be serialized")
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuild from :meth:`get_config` (TF.js camelCase configs are accepted too)."""
        from layerflow.optimizers import schedules

        config = dict(config)
        if any(key in config for key in _TFJS_MARKERS):
            config = cls._from_tfjs_config(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    @classmethod
    def _from_tfjs_config(cls, config: dict) -> dict:
        """A TF.js ``getConfig()`` (camelCase keys) as this class's arguments."""
        return {_TFJS_KEYS.get(k, k): v for k, v in config.items()}

    @property
    def class_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


# -- helpers ------------------------------------------------------------------------------------
def _check_variables(var_list: list, who: str) -> None:
    for v in var_list:
        if not getattr(v, "_is_variable", False):
            raise InvalidArgumentError(f"{who}: expected lf.Variable objects, got "
                                       f"{type(v).__name__}")


def _is_number(value) -> bool:
    import numbers

    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _snake(name: str) -> str:
    from layerflow.serialization import to_snake_case

    return to_snake_case(name)


def _unique_name(prefix: str) -> str:
    """``prefix``, then ``prefix_1`` ... (Keras's auto_name), shared with layer names."""
    counts = ENGINE.name_counts
    n = counts.get(prefix, 0)
    counts[prefix] = n + 1
    return prefix if n == 0 else f"{prefix}_{n}"
