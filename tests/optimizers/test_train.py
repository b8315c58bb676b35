"""``lf.train`` factories: TF.js arguments and defaults, returning the Keras-rule classes."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow import optimizers, train
from tests.optimizers._keras import close, problem, run_ours


def test_factories_make_the_matching_classes():
    assert type(train.sgd(0.1)) is optimizers.SGD
    m = train.momentum(0.1, 0.9, use_nesterov=True)
    assert type(m) is optimizers.SGD and (m.momentum, m.nesterov) == (0.9, True)
    r = train.rmsprop(0.01, decay=0.8, momentum=0.2, centered=True)
    assert type(r) is optimizers.RMSprop
    assert (r.rho, r.momentum, r.epsilon, r.centered) == (0.8, 0.2, 1e-7, True)
    a = train.adam()
    assert type(a) is optimizers.Adam and (a.beta_1, a.beta_2, a.epsilon) == (0.9, 0.999, 1e-7)
    assert float(a.learning_rate) == pytest.approx(0.001)
    assert train.adam(0.1, 0.5, 0.6, 1e-3).get_config()["beta_1"] == 0.5
    d = train.adadelta()
    assert type(d) is optimizers.Adadelta and (d.rho, d.epsilon) == (0.95, 1e-7)
    x = train.adamax()
    assert type(x) is optimizers.Adamax and float(x.learning_rate) == pytest.approx(0.002)
    g = train.adagrad(0.1)
    assert type(g) is optimizers.Adagrad and g.initial_accumulator_value == 0.1


@pytest.mark.parametrize("factory, cls, kwargs", [
    (lambda: train.momentum(0.05, 0.9), "SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    (lambda: train.rmsprop(0.01, 0.8), "RMSprop", {"learning_rate": 0.01, "rho": 0.8}),
    (lambda: train.adam(0.02), "Adam", {"learning_rate": 0.02}),
    (lambda: train.adagrad(0.1, 0.2), "Adagrad",
     {"learning_rate": 0.1, "initial_accumulator_value": 0.2}),
])
def test_factory_steps_equal_the_class(backend, factory, cls, kwargs):
    init, grads = problem(steps=5)
    got, _ = run_ours(factory(), init, grads)
    want, _ = run_ours(getattr(optimizers, cls)(**kwargs), init, grads)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_momentum_equals_tfjs_rule_at_fixed_lr(backend):
    # TF.js: accum = momentum * accum + g; var -= lr * accum (the same numbers, see sgd.py).
    init, grads = problem(steps=6)
    got, _ = run_ours(train.momentum(0.05, 0.9), init, grads)
    for name_index, name in enumerate(init):
        var, accum = init[name].astype(np.float64), 0.0
        for step in grads:
            accum = 0.9 * accum + step[name]
            var = var - 0.05 * accum
        close(got[name_index], var, f"momentum {name}")


def test_adamax_decay_is_inverse_time(backend):
    # TF.js: lr_t = lr / (1 + decay * iteration) with iteration counted from 0.
    w = lf.variable(lf.tensor([0.0]), name="w")
    opt = train.adamax(0.002, decay=0.5)
    lrs = []
    for _ in range(3):
        lrs.append(opt.learning_rate.item())
        opt.apply_gradients([(lf.tensor([1.0]), w)])
    np.testing.assert_allclose(lrs, [0.002, 0.002 / 1.5, 0.002 / 2.0], rtol=1e-6)
