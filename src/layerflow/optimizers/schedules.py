"""Learning-rate schedules (Keras 3 ``keras.optimizers.schedules``).

A schedule maps a step (a number or an int32 tensor, typically ``optimizer.iterations``) to a
float32 learning-rate tensor. The formulas are Keras 3's, written with layerflow ops so they
trace under ``lf.compile``; Keras's ``cond`` branches become a ``where`` of both branches.
An optimizer given a schedule evaluates it from ``iterations`` at every step.

>>> import layerflow as lf
>>> schedule = lf.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> round(schedule(10).item(), 6), round(schedule(20).item(), 6)
(0.05, 0.025)
"""

from __future__ import annotations

import math

from layerflow import serialization
from layerflow.errors import InvalidArgumentError, NotSupportedError
from layerflow.ops import _define
from layerflow.ops.creation import scalar
from layerflow.ops.elementwise import add, cast, div, log, minimum, mul, pow, sub
from layerflow.ops.logical import equal, greater, less, less_equal, logical_and, where
from layerflow.ops.math import ceil, cos, floor

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]


class LearningRateSchedule:
    """Base class: ``schedule(step)`` gives the learning rate at ``step``.

    Subclasses define ``__call__(step)`` with ops and ``get_config()`` (their constructor
    arguments).
    """

    _registry_kind = "learning_rate_schedule"

    def __call__(self, step):
        raise NotSupportedError(f"{type(self).__name__} must define __call__(step)")

    def get_config(self) -> dict:
        raise NotSupportedError(f"{type(self).__name__} must define get_config()")

    @classmethod
    def from_config(cls, config: dict):
        """Rebuild from :meth:`get_config`."""
        return cls(**config)

    @property
    def class_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.get_config()}>"


def _float_step(step, who: str):
    return cast(_define.as_tensor(step, "step", who), "float32")


def _check_positive(value, arg: str, who: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidArgumentError(f"{who}: {arg} must be > 0, got {value!r}")


def _init_rate_decay(schedule, owner, initial_learning_rate, decay_steps, decay_rate,
                     staircase, name) -> None:
    """The arguments ExponentialDecay and InverseTimeDecay share."""
    _check_positive(decay_steps, "decay_steps", owner)
    schedule.initial_learning_rate = initial_learning_rate
    schedule.decay_steps = decay_steps
    schedule.decay_rate = decay_rate
    schedule.staircase = staircase
    schedule.name = name


def _progress(schedule, step):
    """``step / decay_steps``, floored when the schedule is a staircase."""
    p = div(_float_step(step, schedule.name), float(schedule.decay_steps))
    return floor(p) if schedule.staircase else p


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ^ (step / decay_steps)`` (floored if staircase).

    >>> import layerflow as lf
    >>> s = lf.optimizers.schedules.ExponentialDecay(1.0, 2, 0.5, staircase=True)
    >>> s(3).item()
    0.5
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay") -> None:
        _init_rate_decay(self, "ExponentialDecay", initial_learning_rate, decay_steps, decay_rate,
                         staircase, name)

    def __call__(self, step):
        p = _progress(self, step)
        return mul(scalar(self.initial_learning_rate, "float32"),
                   pow(scalar(self.decay_rate, "float32"), p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``.

    >>> import layerflow as lf
    >>> s = lf.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [round(s(n).item(), 3) for n in (0, 10, 11, 21)]
    [1.0, 1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise InvalidArgumentError(
                f"PiecewiseConstantDecay: boundaries must have one entry less than values, got "
                f"{len(boundaries)} boundaries and {len(values)} values")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _define.as_tensor(step, "step", self.name)
        bounds = [_define.as_tensor(b, "boundary", self.name) for b in self.boundaries]
        bounds = [b if b.dtype == step.dtype else cast(b, step.dtype) for b in bounds]
        values = [_define.as_tensor(v, "value", self.name) for v in self.values]
        dtype = values[0].dtype
        result = mul(cast(less_equal(step, bounds[0]), dtype), values[0])
        result = add(result, mul(cast(greater(step, bounds[-1]), dtype), values[-1]))
        for low, high, value in zip(bounds[:-1], bounds[1:], values[1:-1]):
            inside = logical_and(greater(step, low), less_equal(step, high))
            result = add(result, mul(cast(inside, dtype), value))
        return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate``.

    >>> import layerflow as lf
    >>> s = lf.optimizers.schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0)
    >>> round(s(5).item(), 4), round(s(50).item(), 4)
    (0.5, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay") -> None:
        _check_positive(decay_steps, "decay_steps", "PolynomialDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        initial = scalar(self.initial_learning_rate, "float32")
        end = scalar(self.end_learning_rate, "float32")
        step = _float_step(step, self.name)
        decay_steps = scalar(float(self.decay_steps), "float32")
        if self.cycle:
            multiplier = where(equal(step, 0), 1.0, ceil(div(step, float(self.decay_steps))))
            decay_steps = mul(decay_steps, multiplier)
        else:
            step = minimum(step, decay_steps)
        p = div(step, decay_steps)
        return add(mul(sub(initial, end), pow(sub(1, p), float(self.power))), end)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored if staircase).

    >>> import layerflow as lf
    >>> lf.optimizers.schedules.InverseTimeDecay(1.0, 1, 1.0)(3).item()
    0.25
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay") -> None:
        _init_rate_decay(self, "InverseTimeDecay", initial_learning_rate, decay_steps, decay_rate,
                         staircase, name)

    def __call__(self, step):
        p = _progress(self, step)
        denominator = add(1.0, mul(scalar(self.decay_rate, "float32"), p))
        return div(scalar(self.initial_learning_rate, "float32"), denominator)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup to ``warmup_target`` first.

    >>> import layerflow as lf
    >>> s = lf.optimizers.schedules.CosineDecay(1.0, 10)
    >>> round(s(5).item(), 4), round(s(10).item(), 4)
    (0.5, 0.0)
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0) -> None:
        _check_positive(decay_steps, "decay_steps", "CosineDecay")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, decay_steps, decay_from):
        fraction = div(step, decay_steps)
        cosine = mul(0.5, add(1.0, cos(mul(scalar(math.pi, "float32"), fraction))))
        decayed = add(mul(1 - self.alpha, cosine), self.alpha)
        return mul(decay_from, decayed)

    def __call__(self, step):
        initial = scalar(self.initial_learning_rate, "float32")
        decay_steps = scalar(float(self.decay_steps), "float32")
        step = _float_step(step, self.name)
        if self.warmup_target is None:
            return self._decay(minimum(step, decay_steps), decay_steps, initial)
        target = scalar(self.warmup_target, "float32")
        warmup_steps = scalar(float(self.warmup_steps), "float32")
        step = minimum(step, add(decay_steps, warmup_steps))
        warm = add(mul(sub(target, initial), div(step, warmup_steps)), initial)
        decayed = self._decay(sub(step, warmup_steps), decay_steps, target)
        return where(less(step, warmup_steps), warm, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR); period ``t_mul`` times longer each restart.

    >>> import layerflow as lf
    >>> s = lf.optimizers.schedules.CosineDecayRestarts(1.0, 10)
    >>> round(s(5).item(), 4), round(s(10).item(), 4)
    (0.5, 1.0)
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay") -> None:
        _check_positive(first_decay_steps, "first_decay_steps", "CosineDecayRestarts")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        initial = scalar(self.initial_learning_rate, "float32")
        t_mul = scalar(float(self.t_mul), "float32")
        m_mul = scalar(float(self.m_mul), "float32")
        alpha = scalar(float(self.alpha), "float32")
        fraction = div(_float_step(step, self.name), float(self.first_decay_steps))
        if self.t_mul == 1.0:
            i_restart = floor(fraction)
            fraction = sub(fraction, i_restart)
        else:
            i_restart = floor(div(log(sub(1.0, mul(fraction, sub(1.0, t_mul)))), log(t_mul)))
            sum_r = div(sub(1.0, pow(t_mul, i_restart)), sub(1.0, t_mul))
            fraction = div(sub(fraction, sum_r), pow(t_mul, i_restart))
        m_fac = pow(m_mul, i_restart)
        cosine = mul(mul(0.5, m_fac),
                     add(1.0, cos(mul(scalar(math.pi, "float32"), fraction))))
        decayed = add(mul(sub(1, alpha), cosine), alpha)
        return mul(initial, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


def serialize(schedule: LearningRateSchedule) -> dict:
    """The Keras 3 form ``{"module", "class_name", "config", "registered_name"}``."""
    return {"module": "keras.optimizers.schedules", "class_name": type(schedule).__name__,
            "config": schedule.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None) -> LearningRateSchedule:
    """A schedule from :func:`serialize`'s dict (or a name with the default config)."""
    return serialization.deserialize("learning_rate_schedule", config, custom_objects)


for _cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
             CosineDecay, CosineDecayRestarts):
    serialization.register("learning_rate_schedule", _cls.__name__, _cls)
serialization.register("learning_rate_schedule", "CosineDecayRestarts", CosineDecayRestarts,
                       aliases=("SGDRDecay",))
