"""Optimizer updates inside ``lf.compile`` (jax): the same numbers as eager, and as Keras."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow import optimizers
from tests.optimizers._keras import (
    SHAPES,
    close,
    lf_variables,
    make_pair,
    problem,
    run_keras,
    run_ours,
)

EXP = ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5})
CASES = [
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"centered": True, "momentum": 0.2}),
    ("Adam", {"amsgrad": True, "clipnorm": 0.5}),
    ("AdamW", {"global_clipnorm": 1.0}),
    ("Adamax", {"clipvalue": 0.5}),
    ("Nadam", {"learning_rate": EXP}),
    ("Adagrad", {"weight_decay": 0.01}),
    ("Adadelta", {"learning_rate": 1.0, "use_ema": True, "ema_overwrite_frequency": 4}),
    ("Adam", {"gradient_accumulation_steps": 3}),
]


def _compiled_run(opt, init, grads):
    variables = lf_variables(init)
    opt.build(variables)

    def step(*gs):
        opt.apply_gradients(zip(gs, variables))
        return opt.iterations

    compiled = lf.compile(step, variables=variables + opt.variables)
    for g in grads:
        compiled(*[lf.tensor(g[name]) for name in SHAPES])
    return [v.numpy() for v in variables], opt


@pytest.mark.parametrize("case", CASES, ids=[c[0] + "-" + "-".join(c[1]) for c in CASES])
def test_compiled_equals_eager_and_keras(jax_backend, case):
    class_name, config = case
    init, grads = problem()
    eager_opt, ref = make_pair(class_name, config)
    compiled_opt, _ = make_pair(class_name, config)
    eager, eager_opt = run_ours(eager_opt, init, grads)
    compiled, compiled_opt = _compiled_run(compiled_opt, init, grads)
    want, ref = run_keras(ref, init, grads)
    for name, c, e, w in zip(SHAPES, compiled, eager, want):
        close(c, e, f"{class_name}: compiled vs eager {name}")
        close(c, w, f"{class_name}: compiled vs Keras {name}")
    for v, c, e in zip(compiled_opt.variables, compiled_opt.get_weights(),
                       eager_opt.get_weights()):
        close(c, e, f"{class_name}: state {v.name}")
    assert int(compiled_opt.iterations) == len(grads) // config.get(
        "gradient_accumulation_steps", 1)


def test_compiled_tape_step_and_learning_rate_change(jax_backend):
    rng = np.random.default_rng(1)
    x = lf.tensor(rng.normal(size=(8, 3)).astype(np.float32))
    y = lf.tensor(rng.normal(size=(8, 1)).astype(np.float32))

    def make():
        w = lf.variable(lf.tensor(rng.normal(size=(3, 1)).astype(np.float32) * 0 + 0.5),
                        name="w")
        b = lf.variable(lf.zeros([1]), name="b")
        opt = optimizers.Adam(0.05)
        opt.build([w, b])
        return w, b, opt

    def step_fn(w, b, opt):
        def step(x, y):
            with lf.GradientTape() as tape:
                loss = lf.mean(lf.square(lf.mat_mul(x, w) + b - y))
            grads = tape.gradient(loss, [w, b])
            opt.apply_gradients(zip(grads, [w, b]))
            return loss
        return step

    w1, b1, opt1 = make()
    w2, b2, opt2 = make()
    eager = step_fn(w1, b1, opt1)
    compiled = lf.compile(step_fn(w2, b2, opt2), variables=[w2, b2] + opt2.variables)
    for i in range(10):
        if i == 5:
            # NOTE: a callback changing the learning rate must not need a recompile.
            opt1.learning_rate = 0.01
            opt2.learning_rate = 0.01
        close(compiled(x, y).numpy(), eager(x, y).numpy(), f"loss at step {i}")
    close(w2.numpy(), w1.numpy(), "w")
    close(b2.numpy(), b1.numpy(), "b")
    opt2.learning_rate = 0.0
    before = w2.numpy()
    compiled(x, y)
    np.testing.assert_array_equal(w2.numpy(), before)


def test_unbuilt_optimizer_in_compiled_step_says_build_first(jax_backend):
    w = lf.variable(lf.ones([2]), name="w")
    opt = optimizers.Adam()
    compiled = lf.compile(lambda g: opt.apply_gradients([(g, w)]), variables=[w] + opt.variables)
    with pytest.raises(lf.errors.InvalidArgumentError, match="build"):
        compiled(lf.ones([2]))
