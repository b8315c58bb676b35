"""Keras 3's built-in training callbacks (re-exported by ``lf.callbacks``).

Same names, arguments and decisions as Keras 3: ``EarlyStopping``, ``ReduceLROnPlateau`` and
``ModelCheckpoint`` watch one logged quantity (``monitor``) and count epochs without
improvement; ``LearningRateScheduler`` sets the optimizer's rate each epoch; ``TerminateOnNaN``
stops on a non-finite loss; ``CSVLogger`` writes one row per epoch. ``early_stopping`` is
TF.js's factory (``tf.callbacks.earlyStopping``).

>>> import numpy as np, layerflow as lf
>>> lf.set_seed(0)
>>> model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
>>> model.compile(optimizer='sgd', loss='mse')
>>> stop = EarlyStopping(monitor='loss', patience=0, min_delta=10.0)
>>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=5, verbose=0, callbacks=[stop])
>>> len(history.history['loss']), stop.stopped_epoch
(2, 1)
"""

from __future__ import annotations

import csv
import inspect
import math
import os
import warnings

import numpy as np

from layerflow.callbacks import Callback
from layerflow.errors import InvalidArgumentError, LayerflowError, NotSupportedError


class NonFiniteLossError(LayerflowError, RuntimeError):
    """``TerminateOnNaN(raise_error=True)`` saw a NaN or infinite loss."""


def _to_float(value) -> float:
    if hasattr(value, "numpy"):
        value = value.numpy()
    return float(np.asarray(value))


# NOTE: Keras 3 reads the direction from the compiled metric objects; layerflow's metrics have
# no direction attribute, so 'auto' decides from the (Keras / TF.js) metric name instead.
_UP = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "true_positives",
       "true_negatives", "cosine_similarity", "cosine_proximity", "pearson", "concordance",
       "specificity", "sensitivity")
_DOWN = ("loss", "error", "crossentropy", "hinge", "divergence", "poisson", "logcosh",
         "log_cosh", "false_positives", "false_negatives", "mse", "mae", "mape", "msle", "kld",
         "huber")


def _metric_direction(monitor: str) -> str | None:
    """'min', 'max' or None for a metric name such as 'val_accuracy' (auto mode)."""
    name = monitor.removeprefix("val_").lower()
    if name == "loss" or name.endswith("_loss"):
        return "min"
    for word in _UP:
        if word in name:
            return "max"
    for word in _DOWN:
        if word in name:
            return "min"
    return None


class _MonitorCallback(Callback):
    """Base of callbacks that watch ``logs[monitor]`` (Keras ``MonitorCallback``)."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0) -> None:
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise InvalidArgumentError(f"{type(self).__name__}: mode must be 'auto', 'min' or "
                                       f"'max', got {mode!r}")
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self) -> None:
        mode = self.mode if self.mode != "auto" else _metric_direction(self.monitor)
        if mode is None:
            raise InvalidArgumentError(
                f"{type(self).__name__} callback received monitor={self.monitor!r}, but cannot "
                "tell whether that metric should be maximized or minimized. Pass mode='max' to "
                "monitor the highest value, or mode='min' for the lowest.")
        self.monitor_op = np.less if mode == "min" else np.greater
        if mode == "min":
            self.min_delta *= -1

    def _is_improvement(self, monitor_value, reference_value) -> bool:
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))


class EarlyStopping(_MonitorCallback):
    """Stop training when ``monitor`` has stopped improving (Keras 3 ``EarlyStopping``).

    Args:
        monitor: the logged quantity to watch (``'val_loss'``; ``'loss'`` without validation).
        min_delta: a change smaller than this is no improvement.
        patience: epochs without improvement after which training stops.
        verbose: 1 prints a message when stopping / restoring.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (from the metric's name).
        baseline: training stops if the quantity does not improve on this value.
        restore_best_weights: at the end of training, set the weights of the best epoch
            (also when training ran to its last epoch, as Keras 3 does).
        start_from_epoch: epochs to wait before watching at all (warm-up).

    >>> es = EarlyStopping(monitor='loss', patience=1)
    >>> es.model = type('M', (), {'stop_training': False})()
    >>> es.on_train_begin()
    >>> for epoch, loss in enumerate([3.0, 2.0, 2.5]):
    ...     es.on_epoch_end(epoch, {'loss': loss})
    >>> es.stopped_epoch, es.best, es.model.stop_training
    (2, 2.0, True)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _weights(self) -> list:
        return [np.array(w, copy=True) for w in self.model.get_weights()]

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = _monitor_value(self, logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self._weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def _monitor_value(callback, logs, what: str):
    logs = logs or {}
    value = logs.get(callback.monitor)
    if value is None:
        warnings.warn(f"{what} conditioned on metric `{callback.monitor}` which is not "
                      f"available. Available metrics are: {','.join(logs)}", stacklevel=3)
    return value


def early_stopping(args: dict | None = None, **kwargs) -> EarlyStopping:
    """TF.js's ``tf.callbacks.earlyStopping(args)``: an :class:`EarlyStopping`.

    Takes TF.js's camelCase keys (``minDelta``, ``restoreBestWeights``) in a dict or as
    keywords, or the snake_case names.

    >>> es = early_stopping({'monitor': 'loss', 'minDelta': 0.01, 'patience': 2})
    >>> es.monitor, es.min_delta, es.patience
    ('loss', 0.01, 2)
    """
    from layerflow.serialization import to_snake_case

    merged = {**(args or {}), **kwargs}
    allowed = set(inspect.signature(EarlyStopping).parameters)
    options = {}
    for key, value in merged.items():
        name = to_snake_case(key)
        if name not in allowed:
            raise InvalidArgumentError(f"early_stopping: unknown argument {key!r}; expected "
                                       f"one of {sorted(allowed)}")
        options[name] = value
    return EarlyStopping(**options)


class ReduceLROnPlateau(_MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving (Keras 3).

    Args:
        monitor: the logged quantity to watch.
        factor: ``new_lr = lr * factor`` (must be < 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message on each reduction.
        mode: ``'min'``, ``'max'`` or ``'auto'``.
        min_delta: a change smaller than this is no improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.

    Logs the current rate as ``logs['learning_rate']``.

    >>> cb = ReduceLROnPlateau(monitor='loss', factor=0.5, patience=1)
    >>> opt = type('Opt', (), {'learning_rate': 1.0})()
    >>> cb.model = type('M', (), {'optimizer': opt})()
    >>> cb.on_train_begin()
    >>> for epoch, loss in enumerate([1.0, 1.0, 1.0]):
    ...     cb.on_epoch_end(epoch, {'loss': loss})
    >>> opt.learning_rate
    0.25
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise InvalidArgumentError(f"ReduceLROnPlateau does not support a factor >= 1.0, "
                                       f"got factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = _to_float(optimizer.learning_rate)
        current = _monitor_value(self, logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, optimizer, epoch: int) -> bool:
        old_lr = _to_float(optimizer.learning_rate)
        if old_lr <= np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of each epoch (Keras 3).

    Args:
        schedule: ``schedule(epoch, lr) -> new lr`` (0-based epoch, current rate as a float);
            a one-argument ``schedule(epoch)`` also works.
        verbose: 1 prints the new rate each epoch.

    Logs the rate as ``logs['learning_rate']``.

    >>> cb = LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    >>> opt = type('Opt', (), {'learning_rate': 0.1})()
    >>> cb.model = type('M', (), {'optimizer': opt})()
    >>> cb.on_epoch_begin(0); cb.on_epoch_begin(1)
    >>> opt.learning_rate
    0.025
    """

    def __init__(self, schedule, verbose=0) -> None:
        super().__init__()
        if not callable(schedule):
            raise InvalidArgumentError(f"LearningRateScheduler: schedule must be callable, got "
                                       f"{type(schedule).__name__}")
        self.schedule = schedule
        self.verbose = verbose

    def _takes_lr(self) -> bool:
        try:
            params = inspect.signature(self.schedule).parameters.values()
        except (TypeError, ValueError):  # NOTE: some builtins have no signature
            return True
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
        return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise InvalidArgumentError("LearningRateScheduler: the optimizer must have a "
                                       "learning_rate attribute")
        lr = _to_float(optimizer.learning_rate)
        new_lr = self.schedule(epoch, lr) if self._takes_lr() else self.schedule(epoch)
        if hasattr(new_lr, "numpy"):
            new_lr = new_lr.numpy()
        if isinstance(new_lr, (bool, np.bool_)) or not isinstance(
                new_lr, (int, float, np.integer, np.floating, np.ndarray)) or np.size(new_lr) != 1:
            raise InvalidArgumentError(f"LearningRateScheduler: the schedule must return a "
                                       f"float, got {new_lr!r}")
        new_lr = float(np.asarray(new_lr))
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{new_lr}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _to_float(self.model.optimizer.learning_rate)


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite (Keras 3 ``TerminateOnNaN``).

    Args:
        raise_error: raise :class:`NonFiniteLossError` (naming the epoch and batch) instead
            of stopping quietly.

    >>> cb = TerminateOnNaN()
    >>> cb.model = type('M', (), {'stop_training': False})()
    >>> cb.on_batch_end(3, {'loss': float('nan')})
    Epoch 1, batch 3: invalid loss nan, terminating training
    >>> cb.model.stop_training
    True
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = _to_float(loss)
        if math.isfinite(loss):
            return
        where = f"epoch {self._epoch + 1} (of fit's epochs, 1-based), batch {batch} (0-based)"
        if self.raise_error:
            raise NonFiniteLossError(f"TerminateOnNaN: NaN or Inf loss ({loss}) at {where}; "
                                     "training terminated")
        print(f"Epoch {self._epoch + 1}, batch {batch}: invalid loss {loss}, terminating "
              "training")
        self.model.stop_training = True


class CSVLogger(Callback):
    """Write each epoch's logs as a CSV row (Keras 3 ``CSVLogger``, same file bytes).

    Columns: ``epoch`` (0-based) then the sorted log keys; when the first epoch has no
    ``val_`` keys, ``val_`` columns are still added (``NA``), as Keras does.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: append to an existing file (no second header) instead of overwriting.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'log.csv')
    >>> cb = CSVLogger(path)
    >>> cb.on_train_begin(); cb.on_epoch_end(0, {'loss': 0.5}); cb.on_train_end()
    >>> with open(path, newline='') as f:
    ...     f.read()
    'epoch,loss,val_loss\\r\\n0,0.5,NA\\r\\n'
    """

    def __init__(self, filename, separator=",", append=False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        mode = "w"
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        self._close()
        # NOTE: Keras opens in text mode without newline=''; rows end in '\r\n' either way
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self.writer is None:
            class _Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=_Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f'"[{", ".join(map(str, value))}]"'
    return value


class ModelCheckpoint(_MonitorCallback):
    """Save the model (or its weights) every epoch or every ``save_freq`` batches (Keras 3).

    Args:
        filepath: where to save; may hold ``{epoch}`` (1-based), ``{batch}`` and log keys,
            formatted as ``filepath.format(epoch=epoch + 1, **logs)``
            (``'ckpt-{epoch:02d}-{val_loss:.2f}.keras'``).
        monitor: the logged quantity for ``save_best_only``.
        verbose: 1 prints a message per save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: ``'min'``, ``'max'`` or ``'auto'``.
        save_freq: ``'epoch'`` or a number of batches.
        initial_value_threshold: the best value to beat at the start (resumed runs).

    Saving is ``model.save`` / ``model.save_weights`` (atomic there); weights holding NaN or
    Inf are never saved, so a good checkpoint is not overwritten by a diverged one.

    >>> saved = []
    >>> cb = ModelCheckpoint('ckpt-{epoch:02d}-{loss:.1f}.keras', monitor='loss',
    ...                      save_best_only=True)
    >>> cb.model = type('M', (), {'save': lambda self, p: saved.append(p),
    ...                           'get_weights': lambda self: []})()
    >>> for epoch, loss in enumerate([0.5, 0.7, 0.25]):
    ...     cb.on_epoch_end(epoch, {'loss': loss})
    >>> saved
    ['ckpt-01-0.5.keras', 'ckpt-03-0.2.keras']
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (not isinstance(save_freq, (int, np.integer))
                                     or isinstance(save_freq, bool) or save_freq <= 0):
            raise InvalidArgumentError(f"ModelCheckpoint: unrecognized save_freq {save_freq!r}; "
                                       "expected 'epoch' or a positive number of batches")
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch: batches are 0-based
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save(self, epoch: int, logs: dict, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if np.ndim(current) > 0:
            warnings.warn(f"Can save best model only when `monitor` is a scalar value. "
                          f"Received: {current}. Falling back to `save_best_only=False`.",
                          stacklevel=3)
            return True
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _file_path(self, epoch: int, batch, logs: dict) -> str:
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise InvalidArgumentError(f"ModelCheckpoint: failed to format the filepath "
                                       f"{self.filepath!r} with epoch and the logs "
                                       f"{sorted(logs)}: {e!r}") from e

    def _save_model(self, epoch: int, batch, logs) -> None:
        logs = logs or {}
        filepath = self._file_path(epoch, batch, logs)
        if not self._should_save(epoch, logs, filepath):
            return
        if not all(np.all(np.isfinite(w)) for w in self.model.get_weights()):
            warnings.warn(f"ModelCheckpoint: the weights hold NaN or Inf at epoch {epoch + 1}; "
                          f"not saving {filepath}", stacklevel=3)
            return
        # NOTE: a save is a folder (model.json + shards) that model.save replaces atomically,
        # so an existing checkpoint folder is simply overwritten; URLs go to model.save as is.
        if "://" not in filepath and os.path.dirname(filepath):
            os.makedirs(os.path.dirname(filepath), exist_ok=True)
        what = "save_weights" if self.save_weights_only else "save"
        save = getattr(self.model, what, None)
        if save is None:
            raise NotSupportedError(f"ModelCheckpoint: saving is not available: the model has "
                                    f"no {what}() method (model saving is not implemented yet)")
        try:
            save(filepath)
        except (AttributeError, NotImplementedError) as e:
            raise NotSupportedError(f"ModelCheckpoint: saving is not available: "
                                    f"model.{what}({filepath!r}) is not implemented: {e}") from e
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")
