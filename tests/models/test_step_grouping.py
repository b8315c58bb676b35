"""steps_per_execution: validation, how batches are grouped, and "auto" on the jax backend
(grouped training gives the same weights as one step per call; callbacks with batch hooks
keep one step per call)."""

import numpy as np
import pytest

import layerflow as lf
from layerflow.models import step_grouping
from layerflow.models.step_grouping import StepGrouping, full_groups


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "fast", None])
def test_bad_setting_is_a_clear_error(bad):
    with pytest.raises(lf.errors.InvalidArgumentError, match="steps_per_execution"):
        StepGrouping(bad)
    model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    with pytest.raises(lf.errors.InvalidArgumentError, match="steps_per_execution"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=bad)


def test_groups_take_only_full_batches_and_follow_the_size_asked():
    assert [list(g) for g in full_groups(10, 9, lambda: 4)] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8], [9]]
    assert [list(g) for g in full_groups(3, 3, lambda: 1)] == [[0], [1], [2]]
    # steps_per_epoch below the data's batches: never a group past the last step
    assert [list(g) for g in full_groups(10, 50, lambda: 4)] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8], [9]]
    sizes = iter([1, 1, 3, 3, 3])
    assert [list(g) for g in full_groups(6, 6, lambda: next(sizes))] == [
        [0], [1], [2, 3, 4], [5]]


def test_auto_picks_enough_steps_to_fill_a_call():
    grouping = StepGrouping("auto")
    assert grouping.size(True, None) == 1  # nothing measured yet
    for seconds in (0.05, 0.004, 0.002):  # the fastest counts
        grouping.observe(seconds)
    assert grouping.tuned == 5 and grouping.size(True, None) == 5
    assert grouping.size(False, None) == 1  # eager steps are never grouped
    slow = StepGrouping("auto")
    for _ in range(3):
        slow.observe(0.5)
    assert slow.tuned == 1


def _data(n=400):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    return x, (x @ rng.normal(size=(6, 2))).astype(np.float32)


def _trained(steps_per_execution, callbacks=None):
    lf.set_seed(3)
    model = lf.sequential([lf.layers.Dense(8, activation="relu", input_shape=[6]),
                           lf.layers.Dense(2)])
    model.compile(optimizer=lf.optimizers.Adam(0.01), loss="mse", metrics=["mae"],
                  steps_per_execution=steps_per_execution)
    x, y = _data()
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=callbacks)
    return model, history


def test_auto_grouping_trains_as_single_steps(jax_backend, monkeypatch):
    monkeypatch.setattr(step_grouping, "TARGET_SECONDS", 60.0)  # always group MAX_STEPS
    grouped, grouped_history = _trained("auto")
    assert grouped._trainer().grouping.tuned == step_grouping.MAX_STEPS
    single, single_history = _trained(1)
    for got, want in zip(grouped.get_weights(), single.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grouped_history.history["loss"], single_history.history["loss"],
                               rtol=1e-6)
    np.testing.assert_allclose(grouped_history.history["mae"], single_history.history["mae"],
                               rtol=1e-6)


def test_a_batch_hook_keeps_one_step_per_call(jax_backend, monkeypatch):
    monkeypatch.setattr(step_grouping, "TARGET_SECONDS", 60.0)
    losses = []

    class Record(lf.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            losses.append(logs["loss"])

    model, _ = _trained("auto", callbacks=[Record()])
    assert len(losses) == 2 * 25
    assert len(set(losses)) == len(losses)  # every batch saw its own step's logs
    assert model._trainer().steps_per_call(None) == 1  # never measured: never grouped


def test_fit_dataset_groups_as_fit_does(jax_backend, monkeypatch):
    from layerflow.models.dataset_training import fit_dataset

    monkeypatch.setattr(step_grouping, "TARGET_SECONDS", 60.0)
    x, y = _data(200)  # 12 full batches of 16 and a short one of 8
    weights = []
    for setting in ("auto", 1):
        lf.set_seed(3)
        model = lf.sequential([lf.layers.Dense(8, activation="relu", input_shape=[6]),
                               lf.layers.Dense(2)])
        model.compile(optimizer=lf.optimizers.Adam(0.01), loss="mse",
                      steps_per_execution=setting)
        ds = lf.data.from_numpy(x, y).shuffle(50, seed=1).batch(16)
        fit_dataset(model, ds, epochs=3, verbose=0)
        weights.append(model.get_weights())
        if setting == "auto":
            assert model._trainer().grouping.tuned == step_grouping.MAX_STEPS
    for got, want in zip(*weights):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_steps_per_epoch_is_kept_when_grouping(jax_backend, monkeypatch):
    monkeypatch.setattr(step_grouping, "TARGET_SECONDS", 60.0)
    lf.set_seed(3)
    model = lf.sequential([lf.layers.Dense(2, input_shape=[6])])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # measures: groups of MAX_STEPS
    before = int(model.optimizer.iterations.numpy())
    model.fit(x, y, batch_size=16, epochs=2, steps_per_epoch=10, verbose=0)
    assert int(model.optimizer.iterations.numpy()) - before == 20
