"""Each learning-rate schedule against Keras 3's, at several steps; configs; tracing."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.optimizers import schedules
from tests.optimizers._keras import close, keras

STEPS = [0, 1, 3, 5, 10, 11, 17, 30, 64, 100]

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.6,
                          "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 10, 30], "values": [1.0, 0.5, 0.1, 0.01]}),
    ("PiecewiseConstantDecay", {"boundaries": [10], "values": [3, 1]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 20}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 20,
                         "end_learning_rate": 0.01, "power": 2.0, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5,
                          "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "alpha": 0.2}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 30, "warmup_target": 0.2,
                     "warmup_steps": 10}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 6}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 6,
                             "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 5,
                             "t_mul": 1.5, "m_mul": 0.8}),
]


def _case_id(case) -> str:
    name, config = case
    return name + "".join(f"-{k}" for k in config if k not in ("initial_learning_rate",))


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matches_keras(backend, case):
    name, config = case
    ours = getattr(schedules, name)(**config)
    ref = getattr(keras().optimizers.schedules, name)(**config)
    for step in STEPS:
        got = ours(step)
        want = np.asarray(ref(step))
        integer = all(isinstance(v, int) for v in config.get("values", [0.0]))
        assert got.shape == () and got.dtype == ("int32" if integer else "float32"), name
        close(got.numpy(), want, f"{name} at step {step}")
        close(ours(lf.tensor(step, dtype="int32")).numpy(), want, f"{name} at int32 step {step}")
    assert ours.get_config() == ref.get_config()
    again = schedules.deserialize(schedules.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert keras().optimizers.schedules.deserialize(schedules.serialize(ours)).get_config() \
        == ref.get_config()


@pytest.mark.parametrize("case", CASES[::3], ids=[_case_id(c) for c in CASES[::3]])
def test_traces_under_compile(backend, case):
    name, config = case
    ours = getattr(schedules, name)(**config)
    compiled = lf.compile(lambda step: ours(step))
    for step in (0, 7, 31):
        np.testing.assert_allclose(compiled(lf.tensor(step, dtype="int32")).numpy(),
                                   ours(step).numpy(), rtol=1e-6)


def test_bad_arguments():
    with pytest.raises(lf.errors.InvalidArgumentError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(lf.errors.InvalidArgumentError, match="one entry less"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 2.0])
    with pytest.raises(lf.serialization.UnknownNameError, match="ExponentialDecay"):
        schedules.deserialize({"class_name": "ExpDecay", "config": {}})
