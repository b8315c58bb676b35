"""Each optimizer against Keras 3: same weights and state after the same gradient steps."""

from __future__ import annotations

import re

import numpy as np
import pytest

import layerflow as lf
from layerflow import optimizers, train
from tests.optimizers._keras import SHAPES, close, keras, make_pair, problem, run_keras, run_ours

EXP = ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5})
COS = ("CosineDecay", {"initial_learning_rate": 0.05, "decay_steps": 10,
                       "warmup_target": 0.1, "warmup_steps": 4})

CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5}),
    ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "momentum": 0.3, "rho": 0.8}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True, "learning_rate": 0.05}),
    ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adam", {"clipnorm": 0.5}),
    ("SGD", {"clipvalue": 0.1, "momentum": 0.5}),
    ("RMSprop", {"global_clipnorm": 1.0}),
    ("SGD", {"weight_decay": 0.05}),
    ("Adam", {"weight_decay": 0.1, "clipnorm": 1.0}),
    ("Adam", {"use_ema": True}),
    ("SGD", {"use_ema": True, "ema_overwrite_frequency": 3, "ema_momentum": 0.5}),
    ("SGD", {"gradient_accumulation_steps": 3, "momentum": 0.9}),
    ("Adam", {"gradient_accumulation_steps": 2}),
    ("Adam", {"loss_scale_factor": 4.0}),
    ("Adam", {"learning_rate": EXP}),
    ("SGD", {"learning_rate": COS, "momentum": 0.9}),
    ("Nadam", {"learning_rate": EXP, "weight_decay": 0.01}),
]


def _case_id(case) -> str:
    name, config = case
    return name + "".join(f"-{k}" for k in config)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_matches_keras(backend, case):
    class_name, config = case
    init, grads = problem()
    ours, ref = make_pair(class_name, config)
    got, ours = run_ours(ours, init, grads)
    want, ref = run_keras(ref, init, grads)
    for name, g, w in zip(SHAPES, got, want):
        close(g, w, f"{class_name} {config}: weight {name}")
    # NOTE: the state too: same variables, same order, same names, same values.
    # Keras leaves Nadam's u_product unnamed: 'opt/variable_<n>'.
    keras_names = [re.sub(r"^opt/variable(_\d+)?$", "opt/u_product", v.path)
                   for v in ref.variables]
    assert [v.name for v in ours.variables] == keras_names
    for v, g, w in zip(ours.variables, ours.get_weights(), ref.variables):
        close(g, np.asarray(w.numpy()), f"{class_name} {config}: state {v.name}")
    assert int(ours.iterations) == int(np.asarray(ref.iterations))


@pytest.mark.parametrize("class_name", ["SGD", "RMSprop", "Adam", "AdamW", "Adamax", "Nadam",
                                        "Adagrad", "Adadelta"])
def test_config_matches_keras(class_name):
    ours, ref = make_pair(class_name, {})
    mine, theirs = ours.get_config(), ref.get_config()
    assert sorted(mine) == sorted(theirs)
    for key, value in theirs.items():
        if isinstance(value, float):
            assert mine[key] == pytest.approx(value), key
        else:
            assert mine[key] == value, key
    again = type(ours).from_config(mine)
    assert again.get_config() == mine


def test_config_with_schedule_round_trips():
    opt = optimizers.Adam(learning_rate=optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
    config = opt.get_config()
    ref = keras().optimizers.Adam(
        learning_rate=keras().optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))
    assert config["learning_rate"]["class_name"] == "ExponentialDecay"
    assert config["learning_rate"]["config"] == ref.get_config()["learning_rate"]["config"]
    again = optimizers.Adam.from_config(config)
    assert again.get_config()["learning_rate"] == config["learning_rate"]
    assert [v.name.split("/")[-1] for v in again.variables] == ["iteration"]


def test_keras_config_loads():
    ref = keras().optimizers.RMSprop(learning_rate=0.02, rho=0.8, centered=True)
    spec = keras().optimizers.serialize(ref)
    opt = optimizers.get(spec)
    assert isinstance(opt, optimizers.RMSprop)
    assert opt.rho == 0.8 and opt.centered
    assert opt.get_config()["learning_rate"] == pytest.approx(0.02)


def test_tfjs_config_loads():
    opt = optimizers.get({"class_name": "Adam", "config": {"learningRate": 0.01, "beta1": 0.8,
                                                           "beta2": 0.99, "epsilon": 1e-6}})
    assert (opt.beta_1, opt.beta_2, opt.epsilon) == (0.8, 0.99, 1e-6)
    momentum = optimizers.get({"class_name": "Momentum",
                               "config": {"learningRate": 0.1, "momentum": 0.5,
                                          "useNesterov": True}})
    assert isinstance(momentum, optimizers.SGD)
    assert (momentum.momentum, momentum.nesterov) == (0.5, True)


@pytest.mark.parametrize("name, cls", [("sgd", "SGD"), ("Adam", "Adam"), ("RMSProp", "RMSprop"),
                                       ("rmsprop", "RMSprop"), ("adagrad", "Adagrad"),
                                       ("adadelta", "Adadelta"), ("ADAMAX", "Adamax"),
                                       ("adam_w", "AdamW"), ("nadam", "Nadam"),
                                       ("momentum", "SGD")])
def test_get_by_name(name, cls):
    opt = optimizers.get(name)
    assert type(opt).__name__ == cls
    assert optimizers.get(opt) is opt


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(lf.serialization.UnknownNameError, match="adam.*sgd|sgd.*adam") as info:
        optimizers.get("adamm")
    assert "Did you mean" in str(info.value)


@pytest.mark.parametrize("bad", [-0.1, "fast", None, True])
def test_bad_learning_rate(bad):
    with pytest.raises(lf.errors.InvalidArgumentError, match="learning_rate"):
        optimizers.SGD(learning_rate=bad)


def test_bad_arguments():
    with pytest.raises(lf.errors.InvalidArgumentError, match="only one of"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(lf.errors.InvalidArgumentError, match="beta_1"):
        optimizers.Adam(beta_1=1.5)
    with pytest.raises(lf.errors.InvalidArgumentError, match="momentum"):
        optimizers.SGD(momentum=-1.0)
    with pytest.raises(lf.errors.InvalidArgumentError, match="unknown argument"):
        optimizers.SGD(lr=0.1)
    with pytest.raises(lf.errors.InvalidArgumentError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_mismatched_gradient_shape_names_the_variable(backend):
    w = lf.variable(lf.zeros([2, 3]), name="dense/kernel")
    opt = optimizers.Adam()
    with pytest.raises(lf.errors.ShapeError, match=r"'dense/kernel'.*\(3, 2\).*\(2, 3\)"):
        opt.apply_gradients([(lf.zeros([3, 2]), w)])
    with pytest.raises(lf.errors.InvalidArgumentError, match="Variable"):
        opt.apply_gradients([(lf.zeros([2]), lf.zeros([2]))])
    with pytest.raises(lf.errors.InvalidArgumentError, match="2 gradients for 1"):
        opt.apply([lf.zeros([2, 3]), lf.zeros([2, 3])], [w])
    with pytest.raises(lf.errors.GradientError, match="no gradients"):
        opt.apply_gradients([(None, w)])


def test_none_gradients_are_skipped(backend):
    a = lf.variable(lf.ones([2]), name="a")
    b = lf.variable(lf.ones([2]), name="b")
    opt = optimizers.SGD(0.5)
    opt.apply_gradients([(lf.ones([2]), a), (None, b)])
    assert a.array_sync() == [0.5, 0.5] and b.array_sync() == [1.0, 1.0]


def test_learning_rate_is_a_settable_variable(backend):
    w = lf.variable(lf.tensor([1.0]), name="w")
    opt = optimizers.SGD(0.1)
    lr_var = opt.learning_rate
    assert lr_var in opt.variables and lr_var.dtype == "float32" and not lr_var.trainable
    opt.learning_rate = 0.5
    assert opt.learning_rate is lr_var and opt.learning_rate.item() == 0.5
    opt.apply_gradients([(lf.tensor([1.0]), w)])
    assert w.item() == pytest.approx(0.5)
    with pytest.raises(lf.errors.InvalidArgumentError):
        opt.learning_rate = -1.0
    scheduled = optimizers.SGD(optimizers.schedules.InverseTimeDecay(1.0, 1, 1.0))
    with pytest.raises(lf.errors.InvalidArgumentError, match="schedule"):
        scheduled.learning_rate = 0.1


def test_schedule_follows_iterations(backend):
    w = lf.variable(lf.tensor([0.0]), name="w")
    opt = optimizers.SGD(optimizers.schedules.InverseTimeDecay(1.0, 1, 1.0))
    for _ in range(3):
        opt.apply_gradients([(lf.tensor([-1.0]), w)])
    assert w.item() == pytest.approx(1.0 + 1 / 2 + 1 / 3, rel=1e-6)
    assert opt.learning_rate.item() == pytest.approx(0.25)


def test_constraint_applied_after_update(backend):
    w = lf.variable(lf.tensor([1.0, -1.0]), name="w")
    w._constraint = lambda x: lf.maximum(x, 0.0)
    optimizers.SGD(1.0).apply_gradients([(lf.tensor([0.5, 0.5]), w)])
    assert w.array_sync() == [0.5, 0.0]


def test_get_set_weights_round_trip(backend):
    init, grads = problem(steps=3)
    opt, _ = make_pair("Adam", {"amsgrad": True})
    _, opt = run_ours(opt, init, grads)
    saved = opt.get_weights()
    assert int(saved[0]) == 3 and saved[0].dtype == np.int32
    assert len(saved) == 2 + 3 * len(SHAPES)
    fresh = optimizers.Adam(amsgrad=True, name="opt")
    variables = [lf.variable(lf.tensor(init[n]), name=n) for n in SHAPES]
    fresh.build(variables)
    fresh.set_weights(saved)
    for a, b in zip(fresh.get_weights(), saved):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(lf.errors.InvalidArgumentError, match="set_weights got 1"):
        fresh.set_weights(saved[:1])
    with pytest.raises(lf.errors.ShapeError):
        fresh.set_weights([saved[0], saved[1], *[np.zeros(5)] * (len(saved) - 2)])


def test_minimize_converges_on_a_quadratic(backend):
    target = np.array([1.0, -2.0, 3.0], np.float32)
    for opt in (optimizers.SGD(0.1), optimizers.Adam(0.1), optimizers.RMSprop(0.05),
                train.momentum(0.05, 0.9), optimizers.Adagrad(0.5), optimizers.Nadam(0.1)):
        x = lf.variable(lf.zeros([3]), name="x")
        cost = None
        for _ in range(300):
            cost = opt.minimize(lambda x=x: lf.sum(lf.square(x - target)), return_cost=True,
                                var_list=[x])
        assert cost.item() < 1e-3, type(opt).__name__
        np.testing.assert_allclose(x.numpy(), target, atol=0.05)
        assert opt.minimize(lambda x=x: lf.sum(lf.square(x - target)), var_list=[x]) is None


def test_minimize_default_var_list_and_memory(backend):
    x = lf.variable(lf.tensor([2.0]), name="x_default")
    opt = optimizers.Adam(0.1)
    opt.minimize(lambda: lf.sum(lf.square(x)))
    before = lf.memory().num_tensors
    for _ in range(5):
        opt.minimize(lambda: lf.sum(lf.square(x)))
    assert lf.memory().num_tensors == before
    value, grads = opt.compute_gradients(lambda: lf.sum(lf.square(x)), [x])
    assert set(grads) == {"x_default"}


def test_slots_are_lazy_and_incremental(backend):
    a = lf.variable(lf.ones([2]), name="a")
    b = lf.variable(lf.ones([3]), name="b")
    opt = optimizers.SGD(0.1, momentum=0.9, name="m")
    assert [v.name for v in opt.variables] == ["m/iteration", "m/learning_rate"]
    opt.apply_gradients([(lf.ones([2]), a)])
    opt.apply_gradients([(lf.ones([3]), b), (lf.ones([2]), a)])
    assert [v.name for v in opt.variables][2:] == ["m/a_momentum", "m/b_momentum"]
    assert all(not v.trainable for v in opt.variables)
    opt.dispose()
    assert all(v.is_disposed for v in opt.variables)


@pytest.mark.parametrize("class_name, config", [
    ("Adam", {"use_ema": True, "gradient_accumulation_steps": 2, "clipnorm": 1.0}),
    ("Nadam", {"weight_decay": 0.1, "global_clipnorm": 1.0}),
])
def test_eager_steps_do_not_leak(backend, class_name, config):
    init, grads = problem(steps=4)
    opt, _ = make_pair(class_name, config)
    variables = [lf.variable(lf.tensor(init[n]), name=n) for n in SHAPES]
    gs = [[lf.tensor(step[n]) for n in SHAPES] for step in grads]
    opt.apply_gradients(zip(gs[0], variables))
    before = lf.memory()
    for step in gs[1:]:
        opt.apply_gradients(zip(step, variables))
    after = lf.memory()
    assert (after.num_tensors, after.num_bytes) == (before.num_tensors, before.num_bytes)


def test_tfjs_configs_with_decay():
    rms = optimizers.get({"class_name": "RMSProp",
                          "config": {"learningRate": 0.01, "decay": 0.8, "momentum": 0.1,
                                     "epsilon": 1e-6, "centered": True}})
    assert (rms.rho, rms.momentum, rms.epsilon, rms.centered) == (0.8, 0.1, 1e-6, True)
    adamax = optimizers.get({"class_name": "Adamax",
                             "config": {"learningRate": 0.002, "beta1": 0.9, "beta2": 0.999,
                                        "epsilon": 1e-7, "decay": 0.5}})
    assert adamax.get_config()["learning_rate"]["class_name"] == "InverseTimeDecay"
    assert adamax.learning_rate.item() == pytest.approx(0.002)
    sgd = optimizers.get({"class_name": "SGD", "config": {"learningRate": 0.3}})
    assert float(sgd.learning_rate) == pytest.approx(0.3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adam_update_kernels_follow_keras_rule(backend, dtype):
    # Adam runs its rule as three kernels per variable; the reference is Keras 3's rule
    # written out in NumPy in the variable's dtype, op for op.
    f = np.dtype(dtype).type
    lr, beta_1, beta_2, eps = 0.01, 0.8, 0.95, 1e-4
    rng = np.random.default_rng(7)
    var = rng.normal(size=(5, 3)).astype(dtype)
    grads = [rng.normal(size=(5, 3)).astype(dtype) for _ in range(6)]
    w = lf.variable(lf.tensor(var, dtype=dtype), name="w")
    opt = optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=eps)
    m = v = np.zeros_like(var)
    for t, g in enumerate(grads, 1):
        info = lf.profile(lambda g=g: opt.apply_gradients([(lf.tensor(g, dtype=dtype), w)]))
        assert info.kernels.count("adam_step") == 1, info.kernels
        alpha = (f(np.float32(lr)) * np.sqrt(f(1) - np.power(f(beta_2), f(t)))
                 / (f(1) - np.power(f(beta_1), f(t))))
        m = m + (g - m) * f(1 - beta_1)
        v = v + (np.square(g) - v) * f(1 - beta_2)
        var = var - (m * alpha) / (np.sqrt(v) + f(eps))
    got = [w.numpy()] + opt.get_weights()[2:]
    for name, array, want in zip(("variable", "momentum", "velocity"), got, (var, m, v)):
        assert array.dtype == want.dtype, name
        if backend == "numpy":  # NOTE: the same ufuncs in the same order: bit for bit
            np.testing.assert_array_equal(array, want, err_msg=name)
        else:
            np.testing.assert_allclose(array, want, rtol=1e-6, err_msg=name)


def test_adam_update_kernels_leave_their_inputs_alone():
    # Tensors are immutable: the numpy kernels write only into arrays they allocated.
    from layerflow.backends import load_backend

    backend_kernels = load_backend("numpy").kernels
    rng = np.random.default_rng(3)
    var, m, g = (rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3))
    v = np.abs(rng.normal(size=(4, 3))).astype(np.float32)
    args = {"adam_momentum": ((m, g), {"beta_1": 0.9}),
            "adam_velocity": ((v, g), {"beta_2": 0.999}),
            "adam_step": ((var, m, v, np.asarray(0.1, np.float32), np.asarray(4, np.int32)),
                          {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7})}
    for name, (inputs, attrs) in args.items():
        copies = [a.copy() for a in inputs]
        out = backend_kernels[name](*inputs, **attrs)
        for before, after in zip(copies, inputs):
            np.testing.assert_array_equal(before, after, err_msg=name)
        assert not any(np.shares_memory(out, a) for a in inputs), name
