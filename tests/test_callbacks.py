"""Callbacks: each built-in in a real ``fit``, and the decisions of EarlyStopping,
ReduceLROnPlateau, ModelCheckpoint and CSVLogger against Keras 3's driven with the same logs."""

from __future__ import annotations

import io
import math
import os
import re

import numpy as np
import pytest

import layerflow as lf
from layerflow.callbacks import (
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    NonFiniteLossError,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
    early_stopping,
)
from layerflow.errors import InvalidArgumentError, NotSupportedError

os.environ.setdefault("KERAS_BACKEND", "jax")


def _keras():
    import keras

    return keras


def _data(n=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0]], np.float32) + 0.5).astype(np.float32)
    return x, y


def _model(lr=0.05):
    lf.set_seed(1)
    model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    model.compile(optimizer=lf.optimizers.SGD(lr), loss="mse")
    return model


def _lr(model) -> float:
    return float(np.asarray(model.optimizer.learning_rate.numpy()))


class _Dummy:
    """A stand-in model for driving callbacks by hand (ours and Keras's)."""

    def __init__(self, lr=1.0):
        self.stop_training = False
        self.epoch = 0
        self.restored = None
        self.optimizer = type("Opt", (), {})()
        self.optimizer.learning_rate = lr

    def get_weights(self):
        return [np.array([float(self.epoch)])]

    def set_weights(self, weights):
        self.restored = float(weights[0][0])


# -- EarlyStopping ---------------------------------------------------------------------------
def test_early_stopping_in_fit_stops_and_restores_best_weights(backend):
    x, y = _data()
    model = _model()
    recorded = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: recorded.append(model.get_weights()))
    stop = EarlyStopping(monitor="loss", min_delta=0.05, patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=100, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[record, stop])
    losses = history.history["loss"]
    # the reference decisions: Keras 3's EarlyStopping on the same losses
    keras = _keras()
    ref = keras.callbacks.EarlyStopping(monitor="loss", min_delta=0.05, patience=2,
                                        restore_best_weights=True)
    dummy = _Dummy()
    ref.set_model(dummy)
    ref.on_train_begin()
    for epoch, loss in enumerate(losses):
        dummy.epoch = epoch
        ref.on_epoch_end(epoch, {"loss": loss})
    ref.on_train_end()
    assert dummy.stop_training and len(losses) < 100
    assert stop.stopped_epoch == ref.stopped_epoch == len(losses) - 1
    assert stop.best_epoch == ref.best_epoch == dummy.restored
    assert stop.best_epoch < len(losses) - 1
    for got, want in zip(model.get_weights(), recorded[stop.best_epoch]):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(model.get_weights()[0], recorded[-1][0])


def test_early_stopping_restores_best_even_without_stopping(backend):
    x, y = _data()
    model = _model(lr=0.3)
    recorded = []
    record = LambdaCallback(on_epoch_end=lambda epoch, logs: recorded.append(model.get_weights()))
    # NOTE: a huge patience: training runs to the end and Keras 3 still restores the best
    stop = EarlyStopping(monitor="loss", patience=100, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, batch_size=2, verbose=0, callbacks=[record, stop])
    best = int(np.argmin(history.history["loss"]))
    assert stop.best_epoch == best
    np.testing.assert_array_equal(model.get_weights()[0], recorded[best][0])


ES_LOGS = [
    [1.0, 0.9, 0.95, 0.97, 0.85, 0.84, 0.9, 0.91, 0.92, 0.93],
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    [2.0, 1.0, 0.5, 0.25, 0.2, 0.19, 0.185, 0.184, 0.1839, 0.18385],
    [0.1, 0.3, 0.2, 0.4, 0.5, 0.45, 0.7, 0.2, 0.8, 0.81],
]
ES_ARGS = [
    {}, {"patience": 2}, {"patience": 1, "min_delta": 0.02}, {"patience": 3, "baseline": 0.6},
    {"patience": 2, "start_from_epoch": 3}, {"patience": 2, "mode": "max"},
    {"patience": 1, "mode": "max", "min_delta": -0.05},
    {"patience": 2, "restore_best_weights": True},
    {"patience": 2, "baseline": 0.3, "restore_best_weights": True},
]


@pytest.mark.parametrize("args", ES_ARGS, ids=[str(a) for a in ES_ARGS])
@pytest.mark.parametrize("series", range(len(ES_LOGS)))
def test_early_stopping_decisions_match_keras(args, series):
    keras = _keras()
    ours = EarlyStopping(monitor="val_loss", **args)
    ref = keras.callbacks.EarlyStopping(monitor="val_loss", **args)
    mine, theirs = _Dummy(), _Dummy()
    ours.set_model(mine)
    ref.set_model(theirs)
    ours.on_train_begin()
    ref.on_train_begin()
    for epoch, value in enumerate(ES_LOGS[series]):
        mine.epoch = theirs.epoch = epoch
        ours.on_epoch_end(epoch, {"loss": 1.0, "val_loss": value})
        ref.on_epoch_end(epoch, {"loss": 1.0, "val_loss": value})
        assert mine.stop_training == theirs.stop_training, epoch
        assert (ours.wait, ours.best, ours.stopped_epoch) == (ref.wait, ref.best,
                                                              ref.stopped_epoch), epoch
    ours.on_train_end()
    ref.on_train_end()
    assert ours.best_epoch == ref.best_epoch
    assert mine.restored == theirs.restored


def test_monitor_auto_mode_from_metric_name():
    for monitor, op in [("val_loss", np.less), ("loss", np.less), ("val_accuracy", np.greater),
                        ("acc", np.greater), ("val_mean_squared_error", np.less),
                        ("auc", np.greater), ("dense_1_loss", np.less)]:
        cb = EarlyStopping(monitor=monitor)
        cb._set_monitor_op()
        assert cb.monitor_op is op, monitor
    cb = EarlyStopping(monitor="val_thing")
    cb.set_model(_Dummy())
    with pytest.raises(InvalidArgumentError, match="mode='max'"):
        cb.on_epoch_end(0, {"val_thing": 1.0})
    with pytest.raises(InvalidArgumentError, match="mode must be"):
        EarlyStopping(mode="maximum")


def test_early_stopping_warns_on_missing_monitor():
    cb = EarlyStopping(monitor="val_loss")
    cb.set_model(_Dummy())
    cb.on_train_begin()
    with pytest.warns(UserWarning, match="val_loss.*not available.*loss"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_early_stopping_factory_takes_tfjs_arguments():
    es = early_stopping({"monitor": "val_acc", "minDelta": 0.1, "patience": 3,
                         "restoreBestWeights": True, "mode": "max"})
    assert isinstance(es, EarlyStopping)
    assert (es.monitor, es.min_delta, es.patience, es.restore_best_weights, es.mode) == (
        "val_acc", 0.1, 3, True, "max")
    assert early_stopping().monitor == "val_loss"
    assert early_stopping(patience=2, start_from_epoch=1).start_from_epoch == 1
    with pytest.raises(InvalidArgumentError, match="unknown argument 'patiense'"):
        early_stopping(patiense=2)


# -- ReduceLROnPlateau --------------------------------------------------------------------------
RLR_ARGS = [
    {"patience": 1}, {"patience": 2, "factor": 0.5}, {"patience": 1, "cooldown": 2},
    {"patience": 1, "factor": 0.5, "min_lr": 0.3}, {"patience": 0, "factor": 0.5},
    {"patience": 2, "mode": "max", "min_delta": 0.0}, {"patience": 1, "min_delta": 0.1},
]


@pytest.mark.parametrize("args", RLR_ARGS, ids=[str(a) for a in RLR_ARGS])
@pytest.mark.parametrize("series", range(len(ES_LOGS)))
def test_reduce_lr_on_plateau_decisions_match_keras(args, series):
    keras = _keras()
    ours = ReduceLROnPlateau(monitor="val_loss", **args)
    ref = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **args)
    mine, theirs = _Dummy(lr=1.0), _Dummy(lr=1.0)
    ours.set_model(mine)
    ref.set_model(theirs)
    ours.on_train_begin()
    ref.on_train_begin()
    for epoch, value in enumerate(ES_LOGS[series]):
        logs_ours, logs_ref = {"val_loss": value}, {"val_loss": value}
        ours.on_epoch_end(epoch, logs_ours)
        ref.on_epoch_end(epoch, logs_ref)
        assert logs_ours == logs_ref
        assert mine.optimizer.learning_rate == pytest.approx(theirs.optimizer.learning_rate)
        assert (ours.wait, ours.cooldown_counter, ours.best) == (ref.wait, ref.cooldown_counter,
                                                                 ref.best)


def test_reduce_lr_on_plateau_in_fit(backend):
    x, y = _data()
    model = _model(lr=0.1)
    # NOTE: min_delta larger than any change: no epoch after the first counts as better
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_delta=100.0)
    history = model.fit(x, y, epochs=6, batch_size=4, verbose=0, callbacks=[cb])
    np.testing.assert_allclose(history.history["learning_rate"],
                               [0.1, 0.1, 0.1, 0.05, 0.05, 0.025], rtol=1e-6)
    assert _lr(model) == pytest.approx(0.025, rel=1e-6)
    with pytest.raises(InvalidArgumentError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.5)


# -- LearningRateScheduler --------------------------------------------------------------------
def test_learning_rate_scheduler_sets_lr_each_epoch(backend):
    x, y = _data()
    model = _model()
    seen = []
    probe = LambdaCallback(on_batch_begin=lambda batch, logs: seen.append(_lr(model)))
    sched = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[sched, probe])
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.05, 0.025], rtol=1e-6)


def test_learning_rate_scheduler_one_argument_and_zero_rate_freezes_weights(backend):
    x, y = _data()
    model = _model()
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 0.0)])
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_learning_rate_scheduler_gets_current_lr_and_checks_result(backend, capsys):
    x, y = _data()
    model = _model(lr=0.2)
    got = []

    def schedule(epoch, lr):
        got.append(round(lr, 6))
        return lr / 2

    model.fit(x, y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(schedule, verbose=1)])
    assert got == [0.2, 0.1, 0.05]
    out = capsys.readouterr().out
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.025" in out
    with pytest.raises(InvalidArgumentError, match="must return a float"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: "fast")])
    with pytest.raises(InvalidArgumentError, match="callable"):
        LearningRateScheduler(0.1)


# -- TerminateOnNaN -----------------------------------------------------------------------------
def _nan_data():
    x, y = _data()
    x[4, 0] = np.nan  # NOTE: batch 2 of 4 with batch_size=2 and no shuffling
    return x, y


def test_terminate_on_nan_stops_training(backend, capsys):
    x, y = _nan_data()
    model = _model()
    batches = []
    count = LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch))
    history = model.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0,
                        callbacks=[TerminateOnNaN(), count])
    assert batches == [0, 1, 2]
    assert len(history.history["loss"]) == 1 and math.isnan(history.history["loss"][0])
    assert "Epoch 1, batch 2: invalid loss nan" in capsys.readouterr().out


def test_terminate_on_nan_raise_error_names_epoch_and_batch(backend):
    x, y = _data()
    model = _model()
    # NOTE: NaN weights from the start of the second epoch make its first loss NaN
    nan_later = LambdaCallback(on_epoch_begin=lambda epoch, logs: epoch == 1 and model.set_weights(
        [np.full((2, 1), np.nan, np.float32), np.zeros(1, np.float32)]))
    with pytest.raises(NonFiniteLossError, match=r"epoch 2 .*batch 0") as info:
        model.fit(x, y, epochs=3, batch_size=2, shuffle=False, verbose=0,
                  callbacks=[nan_later, TerminateOnNaN(raise_error=True)])
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, lf.LayerflowError)


# -- CSVLogger ------------------------------------------------------------------------------------
def test_csv_logger_file_content(backend, tmp_path):
    x, y = _data()
    model = _model()
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0, validation_split=0.25,
                        callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        lines = f.read().split("\r\n")
    assert lines[0] == "epoch,loss,val_loss" and lines[-1] == ""
    for epoch, line in enumerate(lines[1:-1]):
        assert line == (f"{epoch},{history.history['loss'][epoch]!r},"
                        f"{history.history['val_loss'][epoch]!r}")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_split=0.25,
              callbacks=[CSVLogger(path, append=True, separator=";")])
    with open(path, newline="") as f:
        rows = f.read().split("\r\n")[1:-1]
    assert len(rows) == 5 and rows[3].startswith("0;") and rows[4].startswith("1;")


def test_csv_logger_bytes_match_keras(tmp_path):
    keras = _keras()
    logs = [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.125, "accuracy": 0.75},
            {"loss": 1 / 3, "accuracy": 0.1, "val_loss": 2.0}]
    outputs = []
    for name, cls in (("ours", CSVLogger), ("keras", keras.callbacks.CSVLogger)):
        path = str(tmp_path / f"{name}.csv")
        for append in (False, True):
            cb = cls(path, separator=",", append=append)
            cb.on_train_begin()
            for epoch, entry in enumerate(logs):
                cb.on_epoch_end(epoch, dict(entry))
            cb.on_train_end()
        with open(path, "rb") as f:
            outputs.append(f.read())
    assert outputs[0] == outputs[1]


# -- LambdaCallback, dict hooks, History --------------------------------------------------------
def test_lambda_callback_hooks_in_order_with_arguments(backend):
    x, y = _data(n=4)
    model = _model()
    events = []

    def log(name):
        return lambda *args: events.append((name,) + tuple(
            sorted(a) if isinstance(a, dict) else a for a in args))

    cb = LambdaCallback(on_train_begin=log("train_begin"), on_epoch_begin=log("epoch_begin"),
                        on_batch_begin=log("batch_begin"), on_batch_end=log("batch_end"),
                        on_epoch_end=log("epoch_end"), on_train_end=log("train_end"),
                        on_train_batch_end=log("train_batch_end"))
    model.fit(x, y, epochs=2, batch_size=2, shuffle=False, verbose=0, callbacks=[cb])
    per_epoch = lambda e: [("epoch_begin", e, None),  # noqa: E731
                           ("batch_begin", 0, None), ("batch_end", 0, ["loss"]),
                           ("train_batch_end", 0, ["loss"]), ("batch_begin", 1, None),
                           ("batch_end", 1, ["loss"]), ("train_batch_end", 1, ["loss"]),
                           ("epoch_end", e, ["loss"])]
    assert events == [("train_begin", None)] + per_epoch(0) + per_epoch(1) + [("train_end", None)]
    with pytest.raises(InvalidArgumentError, match="on_epoch_end must be callable"):
        LambdaCallback(on_epoch_end=3)


def test_dict_hooks_tfjs_style(backend):
    x, y = _data(n=4)
    model = _model()
    events = []
    hooks = {"onEpochEnd": lambda epoch, logs: events.append(("epoch", epoch, logs["loss"])),
             "on_train_begin": lambda logs: events.append(("begin",)),
             "onYield": lambda epoch, batch, logs: events.append(("yield", epoch, batch))}
    history = model.fit(x, y, epochs=2, batch_size=2, verbose=0, callbacks=[hooks])
    assert events[0] == ("begin",)
    assert [e[:3] for e in events[1:]] == [("yield", 0, 0), ("yield", 0, 1),
                                           ("epoch", 0, history.history["loss"][0]),
                                           ("yield", 1, 0), ("yield", 1, 1),
                                           ("epoch", 1, history.history["loss"][1])]
    model.fit(x, y, epochs=1, verbose=0, callbacks={"onEpochEnd": lambda e, logs: events.append(e)})
    assert events[-1] == 0
    with pytest.raises(InvalidArgumentError, match="unknown hook 'onEpochEnds'"):
        model.fit(x, y, verbose=0, callbacks=[{"onEpochEnds": print}])
    for bad in (["not a callback"], 5, [print]):
        with pytest.raises(InvalidArgumentError, match="callbacks must be"):
            model.fit(x, y, verbose=0, callbacks=bad)


def test_history_records_epochs_and_user_history_is_returned(backend):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25)
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2] and sorted(history.history) == ["loss", "val_loss"]
    assert all(isinstance(v, float) for v in history.history["loss"])
    mine = History()
    assert model.fit(x, y, epochs=2, verbose=0, callbacks=[mine]) is mine
    assert mine.epoch == [0, 1] and len(mine.history["loss"]) == 2


# -- ProgbarLogger --------------------------------------------------------------------------------
def test_progbar_verbose_1_shows_batches_eta_and_metrics(backend):
    x, y = _data(n=12)
    model = _model()
    out = io.StringIO()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, validation_split=0.25,
              callbacks=[ProgbarLogger(verbose=1, stream=out, interval=0)])
    text = out.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert re.search(r"3/3 \[\d\d:\d\d<\d\d:\d\d", text)  # steps done/total, elapsed<ETA
    assert re.search(r"loss=\d+\.\d{4}", text) and re.search(r"val_loss=\d+\.\d{4}", text)
    assert re.search(r"1/3 \[", text)  # a per-batch update


def test_progbar_verbose_2_one_line_per_epoch(backend):
    x, y = _data()
    model = _model()
    out = io.StringIO()
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0,
                        callbacks=[ProgbarLogger(verbose=2, stream=out)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines):
        assert re.fullmatch(rf"Epoch {epoch + 1}/3 - \d+\.\ds - loss: \d+\.\d{{4}}", line)
        assert line.endswith(f"loss: {history.history['loss'][epoch]:.4f}")


def test_fit_verbose_prints_progress_and_verbose_0_is_silent(backend, capsys):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ProgbarLogger(stream=io.StringIO())])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# -- ModelCheckpoint ------------------------------------------------------------------------------
class _Saver(_Dummy):
    def __init__(self):
        super().__init__()
        self.saved = []
        self.weights = [np.ones(2)]

    def get_weights(self):
        return self.weights

    def save(self, path, **kwargs):
        self.saved.append(("model", path))

    def save_weights(self, path, **kwargs):
        self.saved.append(("weights", path))


def test_model_checkpoint_formats_paths_and_saves_best(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _Saver()
    cb = ModelCheckpoint("run/{epoch:02d}-{val_loss:.2f}.keras", save_best_only=True)
    cb.set_model(model)
    for epoch, value in enumerate([0.5, 0.6, 0.25, 0.25]):
        cb.on_epoch_begin(epoch)
        cb.on_epoch_end(epoch, {"loss": 1.0, "val_loss": value})
    assert model.saved == [("model", "run/01-0.50.keras"), ("model", "run/03-0.25.keras")]
    os.rmdir("run")
    weights = ModelCheckpoint("w-{epoch}-{batch}.weights.h5", save_weights_only=True,
                              save_freq=2)
    weights.set_model(model)
    model.saved = []
    for epoch in range(2):
        weights.on_epoch_begin(epoch)
        for batch in range(3):
            weights.on_train_batch_end(batch, {"loss": 1.0})
        weights.on_epoch_end(epoch, {"loss": 1.0})
    assert model.saved == [("weights", "w-1-2.weights.h5"), ("weights", "w-2-1.weights.h5"),
                           ("weights", "w-2-3.weights.h5")]
    with pytest.raises(InvalidArgumentError, match="failed to format"):
        ModelCheckpoint("{nope}.keras")._file_path(0, None, {"loss": 1.0})
    with pytest.raises(InvalidArgumentError, match="save_freq"):
        ModelCheckpoint("x.keras", save_freq="batch")
    url = ModelCheckpoint("file://ckpt/{epoch}", monitor="loss")
    url.set_model(model)
    url.on_epoch_end(0, {"loss": 1.0})
    assert model.saved[-1] == ("model", "file://ckpt/1") and os.listdir(".") == []


def test_model_checkpoint_decisions_match_keras(tmp_path):
    keras = _keras()
    values = [0.5, 0.6, 0.4, 0.4, 0.39, 0.7, 0.1]
    for args in ({"save_best_only": True}, {"save_best_only": True, "mode": "max"},
                 {"save_best_only": True, "initial_value_threshold": 0.45},
                 {"save_best_only": False}):
        saved = {}
        for name, cls in (("ours", ModelCheckpoint), ("keras", keras.callbacks.ModelCheckpoint)):
            model = _Saver()
            cb = cls(str(tmp_path / "m-{epoch}.keras"), monitor="val_loss", **args)
            cb.set_model(model)
            for epoch, value in enumerate(values):
                cb.on_epoch_begin(epoch)
                cb.on_epoch_end(epoch, {"val_loss": value})
            saved[name] = model.saved
        assert saved["ours"] == saved["keras"], args


def test_model_checkpoint_refuses_non_finite_weights():
    model = _Saver()
    model.weights = [np.array([1.0, np.nan])]
    cb = ModelCheckpoint("m.keras", monitor="loss")
    cb.set_model(model)
    with pytest.warns(UserWarning, match="NaN or Inf"):
        cb.on_epoch_end(0, {"loss": 1.0})
    assert model.saved == []


def test_model_checkpoint_says_when_saving_is_not_available():
    class NoSave(_Dummy):
        pass

    class Stub(_Dummy):
        def save(self, path):
            raise NotImplementedError("saving comes later")

    for model in (NoSave(), Stub()):
        cb = ModelCheckpoint("m.keras", monitor="loss")
        cb.set_model(model)
        with pytest.raises(NotSupportedError, match="saving is not available"):
            cb.on_epoch_end(0, {"loss": 1.0})


def test_model_checkpoint_in_fit(backend, tmp_path, monkeypatch):
    x, y = _data()
    model = _model()
    saved = []
    if not hasattr(model, "save"):  # NOTE: model saving lands separately
        monkeypatch.setattr(type(model), "save", lambda self, path: saved.append(path),
                            raising=False)
    cb = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.keras"), monitor="loss")
    history = model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[cb])
    names = [f"ckpt-{e + 1:02d}-{loss:.3f}.keras" for e, loss in
             enumerate(history.history["loss"])]
    if saved:
        assert [os.path.basename(p) for p in saved] == names
    else:
        assert sorted(os.listdir(tmp_path)) == names


def test_model_checkpoint_overwrites_one_folder_and_it_loads(backend, tmp_path):
    model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).random((20, 2)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    folder = str(tmp_path / "ckpt")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[lf.callbacks.ModelCheckpoint(folder)])
    np.testing.assert_allclose(lf.load_layers_model(folder).predict(x), model.predict(x),
                               rtol=1e-6)
