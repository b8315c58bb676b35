"""Train steps split over CPU devices (jax): same numbers as the one-program step, fallbacks."""

from __future__ import annotations

import time

import numpy as np
import pytest

import layerflow as lf
from layerflow.models.data_parallel import TRIALS, WARMUP, ReplicatedTrainStep, replica_devices


@pytest.fixture
def devices(jax_backend):
    import jax

    if len(jax.devices()) < 2 or jax.default_backend() != "cpu":
        pytest.skip("needs two or more CPU devices (one CPU device per core, jax on CPU)")
    return jax.devices()


def _sequences(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6, 3)).astype(np.float32)
    labels = rng.integers(0, 4, n)
    return x, np.eye(4, dtype=np.float32)[labels], labels


def _recurrent_model(*extra, loss="categorical_crossentropy", metrics=("accuracy",)):
    lf.set_seed(3)
    model = lf.sequential([lf.layers.LSTM(8, input_shape=[6, 3]), *extra,
                           lf.layers.Dense(4, activation="softmax")])
    model.compile(optimizer=lf.optimizers.Adam(0.01), loss=loss, metrics=list(metrics))
    return model


def _fit_both(monkeypatch, make, fit_kwargs):
    """Weights and history of the same training with the split step and with one program."""
    x, y, _ = _sequences()
    results = []
    for split in ("1", "0"):
        monkeypatch.setenv("LAYERFLOW_DATA_PARALLEL", split)
        model = make()
        history = model.fit(x, y, epochs=3, verbose=0, shuffle=False, **fit_kwargs)
        step = model._trainer()._steps["train"]
        results.append((model.get_weights(), history.history, step))
    return results


@pytest.mark.parametrize("extra,fit_kwargs", [
    ((), {"batch_size": 16}),  # 100 = 6 batches of 16 and one of 4 (run as one program)
    ((), {"batch_size": 20, "sample_weight": np.linspace(0.5, 2.0, 100).astype(np.float32)}),
    # NOTE: a weight penalty joins each part's loss once; the parts' mean keeps it once
    (("l2",), {"batch_size": 20}),
])
def test_split_step_trains_as_the_one_program_step(devices, monkeypatch, extra, fit_kwargs):
    def make():
        return _recurrent_model(*[lf.layers.Dense(5, kernel_regularizer=r) for r in extra])

    (split_w, split_h, split_step), (one_w, one_h, one_step) = _fit_both(
        monkeypatch, make, fit_kwargs)
    assert isinstance(split_step, ReplicatedTrainStep) and split_step.enabled
    assert not isinstance(one_step, ReplicatedTrainStep)
    for a, b in zip(split_w, one_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in one_h:
        np.testing.assert_allclose(split_h[key], one_h[key], rtol=1e-5, atol=1e-6)


def test_model_that_assigns_variables_falls_back_to_one_program(devices, monkeypatch):
    make = lambda: _recurrent_model(lf.layers.BatchNormalization())  # noqa: E731
    (split_w, split_h, split_step), (one_w, one_h, _) = _fit_both(
        monkeypatch, make, {"batch_size": 20})
    assert isinstance(split_step, ReplicatedTrainStep) and not split_step.enabled
    for a, b in zip(split_w, one_w):
        np.testing.assert_array_equal(a, b)
    assert split_h == one_h


def test_only_models_with_a_layer_that_leaves_cores_idle_split(devices):
    dense = lf.sequential([lf.layers.Dense(4, input_shape=[3]), lf.layers.Dense(2)])
    dense.compile(optimizer="sgd", loss="mse")
    assert replica_devices(dense._trainer()) == []
    conv = lf.sequential([lf.layers.Conv2D(2, 3, input_shape=[6, 6, 1]), lf.layers.Flatten(),
                          lf.layers.Dense(2)])
    conv.compile(optimizer="sgd", loss="mse")
    assert replica_devices(conv._trainer()) == devices
    inner = lf.sequential([lf.layers.Bidirectional(lf.layers.GRU(3), input_shape=[4, 2]),
                           lf.layers.Dense(2)])
    inner.compile(optimizer="sgd", loss="mse")
    assert replica_devices(inner._trainer()) == devices


def test_only_models_whose_losses_are_batch_means_split(devices):
    assert replica_devices(_recurrent_model()._trainer()) == devices
    summed = _recurrent_model(loss=lf.losses.CategoricalCrossentropy(reduction="sum"))
    assert replica_devices(summed._trainer()) == []
    custom = _recurrent_model(loss=lambda y, p: lf.sum(lf.square(y - p)))
    assert replica_devices(custom._trainer()) == []
    regularized = _recurrent_model(lf.layers.Dense(5, activity_regularizer="l2"))
    assert replica_devices(regularized._trainer()) == []


@pytest.mark.parametrize("split_seconds,expected", [(0.0, "split"), (0.02, "single")])
def test_step_times_both_programs_and_keeps_the_faster(devices, split_seconds, expected):
    model = _recurrent_model()
    step = ReplicatedTrainStep(model._trainer(), devices, single=None)
    ran = []

    def fake(mode, seconds):
        def run(batches):
            ran.append(mode)
            time.sleep(seconds)
            return {"loss": lf.tensor(1.0)}
        return run

    step._run_split = fake("split", split_seconds)
    step.single = fake("single", 0.02 - split_seconds)
    for _ in range(2 * (WARMUP + TRIALS) + 2):
        step([None])
    trials = ["split", "single"] * TRIALS
    assert ran[:-2] == ["split"] * WARMUP + ["single"] * WARMUP + trials
    assert [len(step._times[m]) for m in ("split", "single")] == [TRIALS, TRIALS]
    assert step.choice == expected and ran[-2:] == [expected, expected]


def test_split_step_with_dropout_trains_and_draws_per_part(devices, monkeypatch):
    monkeypatch.setenv("LAYERFLOW_DATA_PARALLEL", "1")
    x, y, labels = _sequences(n=256)
    model = _recurrent_model(lf.layers.Dropout(0.2))
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    assert model._trainer()._steps["train"].enabled
    assert all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_numpy_backend_has_no_replica_devices():
    previous = lf.get_backend()
    lf.set_backend("numpy")
    try:
        assert replica_devices(_recurrent_model()._trainer()) == []
    finally:
        lf.set_backend(previous)


def test_split_step_with_two_outputs_and_a_gru(devices, monkeypatch):
    x, y, labels = _sequences()
    target = x[:, -1, :1] * 2.0

    def make():
        lf.set_seed(5)
        inputs = lf.input(shape=[6, 3])
        hidden = lf.layers.GRU(8)(inputs)
        outputs = [lf.layers.Dense(4, activation="softmax", name="label")(hidden),
                   lf.layers.Dense(1, name="value")(hidden)]
        model = lf.model(inputs=inputs, outputs=outputs)
        model.compile(optimizer="adam", loss=["categorical_crossentropy", "mse"],
                      loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]])
        return model

    results = []
    for split in ("1", "0"):
        monkeypatch.setenv("LAYERFLOW_DATA_PARALLEL", split)
        model = make()
        history = model.fit(x, [y, target], batch_size=20, epochs=2, verbose=0,
                            shuffle=False)
        results.append((model.get_weights(), history.history,
                        model._trainer()._steps["train"]))
    (split_w, split_h, split_step), (one_w, one_h, _) = results
    assert isinstance(split_step, ReplicatedTrainStep) and split_step.enabled
    assert set(split_h) == set(one_h) and "value_loss" in one_h
    for key in one_h:
        np.testing.assert_allclose(split_h[key], one_h[key], rtol=1e-5, atol=1e-6)
    for a, b in zip(split_w, one_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_is_timed_after_the_split_step_chose(devices, monkeypatch):
    monkeypatch.setenv("LAYERFLOW_DATA_PARALLEL", "1")
    calls = 2 * (WARMUP + TRIALS) + 2
    x, y, _ = _sequences(n=16 * calls)
    model = _recurrent_model()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # one batch per call
    trainer = model._trainer()
    step = trainer._steps["train"]
    assert step.choice in ("split", "single")
    # NOTE: the split step's own calls come first; grouping times the last two (of three)
    assert trainer.grouping.measuring and len(trainer.grouping._times) == 2
