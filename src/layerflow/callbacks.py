"""Callbacks: hooks into ``fit`` (TF.js and Keras ``Callback``), History and the progress bar.

A callback overrides any of ``on_train_begin/end``, ``on_epoch_begin/end``,
``on_batch_begin/end`` (also ``on_train_batch_begin/end``); ``self.model`` is set before
training starts and ``self.model.stop_training = True`` ends it. ``fit`` also takes TF.js's
plain hooks, a dict such as ``{'on_epoch_end': fn}`` (or ``{'onEpochEnd': fn}``).

The built-in callbacks of Keras 3 (``EarlyStopping``, ``ModelCheckpoint``,
``LearningRateScheduler``, ``ReduceLROnPlateau``, ``TerminateOnNaN``, ``CSVLogger``) live in
``callbacks_training.py`` and are re-exported here, with TF.js's ``early_stopping`` factory.

>>> import numpy as np, layerflow as lf
>>> class Count(lf.callbacks.Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         print(epoch, sorted(logs))
>>> model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
>>> model.compile(optimizer='sgd', loss='mse')
>>> _ = model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=2, verbose=0, callbacks=[Count()])
0 ['loss']
1 ['loss']
"""

from __future__ import annotations

import sys
import time

import numpy as np

from layerflow.errors import InvalidArgumentError

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin",
          "on_batch_end", "on_train_batch_begin", "on_train_batch_end")


class Callback:
    """Base class: every hook does nothing."""

    def __init__(self) -> None:
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...


class History(Callback):
    """Records the logs of each epoch: ``history.history['loss']`` (returned by ``fit``).

    >>> h = History()
    >>> h.on_train_begin(); h.on_epoch_end(0, {'loss': 0.5}); h.on_epoch_end(1, {'loss': 0.25})
    >>> h.epoch, h.history
    ([0, 1], {'loss': [0.5, 0.25]})
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _format_value(value) -> str:
    array = np.asarray(value)
    if array.size == 1:
        return f"{float(array):.4f}"
    return np.array2string(array, precision=4, separator=", ")


class ProgbarLogger(Callback):
    """Prints progress: ``verbose=1`` a per-batch tqdm bar with ETA and the running metrics,
    ``verbose=2`` one line per epoch.

    Args:
        verbose: 1 or 2; ``None`` (the default, as Keras) takes ``fit``'s ``verbose``.
        stream: where to write (default ``sys.stdout``).
        interval: the least seconds between two redraws of the bar.

    Without tqdm installed, ``verbose=1`` prints a line per epoch as well.

    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgbarLogger(verbose=2, stream=out)
    >>> bar.set_params({'epochs': 3, 'steps': 2})
    >>> bar.on_epoch_begin(0); bar.on_epoch_end(0, {'loss': 0.5})
    >>> out.getvalue().startswith('Epoch 1/3 - ') and out.getvalue().endswith('loss: 0.5000\\n')
    True
    """

    def __init__(self, verbose: int | None = None, stream=None, interval: float = 0.1) -> None:
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self.interval = interval
        self._bar = None
        self._start = 0.0

    def _verbose(self) -> int:
        verbose = self.params.get("verbose", 1) if self.verbose is None else self.verbose
        return 1 if verbose == "auto" else int(verbose)

    def _stream(self):
        return self.stream if self.stream is not None else sys.stdout

    def _tqdm(self):
        try:
            if self.stream is None:
                from tqdm.auto import tqdm
            else:  # NOTE: the notebook widget would ignore the given stream
                from tqdm import tqdm
        except ImportError:
            return None
        return tqdm

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        epochs = self.params.get("epochs", "?")
        if self._verbose() != 1:
            return
        tqdm = self._tqdm()
        if tqdm is None:
            print(f"Epoch {epoch + 1}/{epochs}", file=self._stream())
            return
        self._close()
        self._bar = tqdm(total=self.params.get("steps"), desc=f"Epoch {epoch + 1}/{epochs}",
                         unit="batch", file=self._stream(), leave=True, dynamic_ncols=True,
                         mininterval=self.interval)

    def on_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.set_postfix({k: _format_value(v) for k, v in (logs or {}).items()},
                                  refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        text = " - ".join(f"{k}: {_format_value(v)}" for k, v in (logs or {}).items())
        seconds = time.perf_counter() - self._start
        verbose = self._verbose()
        if self._bar is not None:
            self._bar.set_postfix({k: _format_value(v) for k, v in (logs or {}).items()})
            self._close()
        elif verbose == 1:
            print(f"{seconds:.1f}s - {text}", file=self._stream())
        if verbose == 2:
            epochs = self.params.get("epochs", "?")
            print(f"Epoch {epoch + 1}/{epochs} - {seconds:.1f}s - {text}", file=self._stream())

    def on_train_end(self, logs=None):
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class LambdaCallback(Callback):
    """A callback made of plain functions (Keras ``LambdaCallback``, TF.js ``CustomCallback``).

    Each argument is called as the hook of the same name: ``on_epoch_*(epoch, logs)``,
    ``on_batch_*(batch, logs)`` and ``on_train_batch_*(batch, logs)``, ``on_train_*(logs)``.

    >>> seen = []
    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs['loss'])))
    >>> cb.on_epoch_end(0, {'loss': 1.0}); cb.on_batch_end(0, {'loss': 1.0})
    >>> seen
    [(0, 1.0)]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None) -> None:
        super().__init__()
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_batch_begin": on_batch_begin, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        for name, fn in hooks.items():
            if fn is None:
                continue
            if not callable(fn):
                raise InvalidArgumentError(f"LambdaCallback: {name} must be callable, got "
                                           f"{type(fn).__name__}")
            setattr(self, name, fn)


# TF.js CustomCallbackArgs keys -> hook names; onYield(epoch, batch, logs) runs at batch end
_TFJS_HOOKS = {"onTrainBegin": "on_train_begin", "onTrainEnd": "on_train_end",
               "onEpochBegin": "on_epoch_begin", "onEpochEnd": "on_epoch_end",
               "onBatchBegin": "on_batch_begin", "onBatchEnd": "on_batch_end"}


def _from_hooks(hooks: dict) -> LambdaCallback:
    """A LambdaCallback from TF.js-style hooks (``{'onEpochEnd': fn}`` or snake_case keys)."""
    args, on_yield = {}, None
    for key, fn in hooks.items():
        name = _TFJS_HOOKS.get(key, key)
        if name in ("onYield", "on_yield"):
            on_yield = fn
            continue
        if name not in _HOOKS:
            raise InvalidArgumentError(
                f"callbacks: unknown hook {key!r} in a dict of hooks; known: "
                f"{sorted(_HOOKS + tuple(_TFJS_HOOKS) + ('onYield',))}")
        args[name] = fn
    callback = LambdaCallback(**args)
    if on_yield is not None:
        if not callable(on_yield):
            raise InvalidArgumentError("callbacks: onYield must be callable")
        _add_yield(callback, on_yield)
    return callback


def _add_yield(callback: LambdaCallback, on_yield) -> None:
    """TF.js ``onYield(epoch, batch, logs)``: called after every batch here (no event loop)."""
    state = {"epoch": 0}
    epoch_begin, batch_end = callback.on_epoch_begin, callback.on_batch_end

    def on_epoch_begin(epoch, logs=None):
        state["epoch"] = epoch
        epoch_begin(epoch, logs)

    def on_batch_end(batch, logs=None):
        batch_end(batch, logs)
        on_yield(state["epoch"], batch, logs)

    callback.on_epoch_begin = on_epoch_begin
    callback.on_batch_end = on_batch_end


def _wants_batch_logs(cb) -> bool:
    """Whether ``cb`` reads the logs of each batch (fit then syncs every batch to give them;
    otherwise the compiled steps run ahead and logs are read at the end of the epoch)."""
    if isinstance(cb, ProgbarLogger):
        return cb.verbose == 1 or (cb.verbose is None and cb.params.get("verbose") == 1)
    for hook in ("on_batch_end", "on_train_batch_end"):
        if hook in cb.__dict__ or getattr(type(cb), hook) is not getattr(Callback, hook):
            return True
    return False


_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")


def _hooks_single_batches(cb) -> bool:
    """Whether ``cb`` (other than the built-in History and progress bar) has a batch hook:
    then every batch gets its own train-step call, as it would in Keras."""
    if isinstance(cb, (History, ProgbarLogger)):
        return False
    return any(hook in cb.__dict__ or getattr(type(cb), hook) is not getattr(Callback, hook)
               for hook in _BATCH_HOOKS)


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks: list, model, params: dict) -> None:
        self.callbacks = callbacks
        for cb in callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def _each(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None):
        self._each("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._each("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._each("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._each("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        self._each("on_batch_begin", batch, logs)
        self._each("on_train_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._each("on_batch_end", batch, logs)
        self._each("on_train_batch_end", batch, logs)

    @property
    def wants_batch_logs(self) -> bool:
        return any(_wants_batch_logs(cb) for cb in self.callbacks)

    @property
    def hooks_single_batches(self) -> bool:
        return any(_hooks_single_batches(cb) for cb in self.callbacks)


def make_callback_list(callbacks, model, verbose: int, epochs: int, steps: int):
    """(History, CallbackList) for one ``fit`` call.

    ``callbacks`` is a list (or one) of ``Callback`` objects or TF.js-style dicts of hooks.
    A History and a ProgbarLogger are added after them unless the list has its own (as Keras).

    >>> history, cbs = make_callback_list([{'onEpochEnd': print}], None, 0, 1, 1)
    >>> [type(cb).__name__ for cb in cbs.callbacks]
    ['LambdaCallback', 'History']
    """
    if callbacks is None:
        callbacks = []
    elif isinstance(callbacks, (Callback, dict)):
        callbacks = [callbacks]
    elif not isinstance(callbacks, (list, tuple)):
        raise InvalidArgumentError(f"callbacks must be a list of lf.callbacks.Callback objects "
                                   f"or dicts of hooks, got {type(callbacks).__name__}")
    items = []
    for cb in callbacks:
        if isinstance(cb, dict):
            cb = _from_hooks(cb)
        if not isinstance(cb, Callback):
            raise InvalidArgumentError(
                f"callbacks must be lf.callbacks.Callback objects or dicts of hooks such as "
                f"{{'on_epoch_end': fn}}, got {type(cb).__name__}")
        items.append(cb)
    history = next((cb for cb in items if isinstance(cb, History)), None)
    if history is None:
        history = History()
        items.append(history)
    if verbose and not any(isinstance(cb, ProgbarLogger) for cb in items):
        items.append(ProgbarLogger(verbose))
    return history, CallbackList(items, model, {"epochs": epochs, "steps": steps,
                                                "verbose": verbose})


# NOTE: below the base classes on purpose: callbacks_training imports Callback from here.
from layerflow.callbacks_training import CSVLogger as CSVLogger  # noqa: E402
from layerflow.callbacks_training import EarlyStopping as EarlyStopping  # noqa: E402
from layerflow.callbacks_training import LearningRateScheduler as LearningRateScheduler  # noqa
from layerflow.callbacks_training import ModelCheckpoint as ModelCheckpoint  # noqa: E402
from layerflow.callbacks_training import NonFiniteLossError as NonFiniteLossError  # noqa: E402
from layerflow.callbacks_training import ReduceLROnPlateau as ReduceLROnPlateau  # noqa: E402
from layerflow.callbacks_training import TerminateOnNaN as TerminateOnNaN  # noqa: E402
from layerflow.callbacks_training import early_stopping as early_stopping  # noqa: E402

__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "NonFiniteLossError", "ProgbarLogger",
           "ReduceLROnPlateau", "TerminateOnNaN", "early_stopping", "make_callback_list"]
