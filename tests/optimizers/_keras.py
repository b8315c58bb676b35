"""Running the same gradient sequence through Keras 3 (jax backend) and layerflow."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

import layerflow as lf  # noqa: E402
from layerflow import optimizers  # noqa: E402
from layerflow.optimizers import schedules  # noqa: E402

RTOL = 1e-5
STEPS = 20
SHAPES = {"kernel": (3, 4), "bias": (4,)}


def keras():
    import keras as _keras

    return _keras


def close(got, want, what: str, rtol: float = RTOL) -> None:
    """Equal to ``rtol`` relative to the reference's scale (at least 1)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != Keras {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def problem(seed: int = 0, steps: int = STEPS):
    """Initial weights and a gradient sequence, as fixed NumPy float32 arrays."""
    rng = np.random.default_rng(seed)
    init = {k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()}
    grads = [{k: rng.normal(size=s).astype(np.float32) for k, s in SHAPES.items()}
             for _ in range(steps)]
    return init, grads


def make_lr(spec):
    """(layerflow, keras) learning rates from a float or ``(ScheduleName, kwargs)``."""
    if not isinstance(spec, tuple):
        return spec, spec
    name, kwargs = spec
    return getattr(schedules, name)(**kwargs), getattr(keras().optimizers.schedules,
                                                       name)(**kwargs)


def make_pair(class_name: str, config: dict):
    """The same optimizer in layerflow and in Keras, both named 'opt'."""
    config = dict(config)
    ours_lr, keras_lr = make_lr(config.pop("learning_rate", 0.01))
    ours = getattr(optimizers, class_name)(learning_rate=ours_lr, name="opt", **config)
    ref = getattr(keras().optimizers, class_name)(learning_rate=keras_lr, name="opt", **config)
    return ours, ref


def run_keras(ref, init, grads):
    k = keras()
    variables = [k.Variable(init[name], name=name) for name in SHAPES]
    for step in grads:
        ref.apply_gradients([(step[name], v) for name, v in zip(SHAPES, variables)])
    return [np.asarray(v.numpy()) for v in variables], ref


def lf_variables(init):
    return [lf.variable(lf.tensor(init[name]), name=name) for name in SHAPES]


def run_ours(opt, init, grads):
    variables = lf_variables(init)
    for step in grads:
        opt.apply_gradients([(lf.tensor(step[name]), v) for name, v in zip(SHAPES, variables)])
    return [v.numpy() for v in variables], opt
