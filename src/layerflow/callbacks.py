"""Callbacks: hooks into ``fit`` (TF.js and Keras ``Callback``), History and the progress bar.

A callback overrides any of ``on_train_begin/end``, ``on_epoch_begin/end``,
``on_batch_begin/end`` (also ``on_train_batch_begin/end``); ``self.model`` is set before
training starts and ``self.model.stop_training = True`` ends it.

>>> import layerflow as lf
>>> class Count(lf.callbacks.Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         print(epoch, sorted(logs))
"""

from __future__ import annotations

import sys
import time


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
    """Records the logs of each epoch: ``history.history['loss']`` (returned by ``fit``)."""

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


class ProgbarLogger(Callback):
    """``verbose=1``: a per-batch bar with ETA and metrics (tqdm where installed);
    ``verbose=2``: one line per epoch."""

    def __init__(self, verbose: int = 1, stream=None) -> None:
        super().__init__()
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self._bar = None
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()
        epochs = self.params.get("epochs", "?")
        if self.verbose == 1:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=self.params.get("steps"), desc=f"Epoch {epoch + 1}/"
                                 f"{epochs}", unit="batch", file=self.stream, leave=True,
                                 dynamic_ncols=True)
            else:
                print(f"Epoch {epoch + 1}/{epochs}", file=self.stream)

    def on_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.4f}" for k, v in (logs or {}).items()},
                                  refresh=False)
            self._bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        text = " - ".join(f"{k}: {v:.4f}" for k, v in (logs or {}).items())
        seconds = time.perf_counter() - self._start
        if self._bar is not None:
            self._bar.set_postfix({k: f"{v:.4f}" for k, v in (logs or {}).items()})
            self._bar.close()
            self._bar = None
        elif self.verbose == 1:
            print(f"{seconds:.1f}s - {text}", file=self.stream)
        if self.verbose == 2:
            epochs = self.params.get("epochs", "?")
            print(f"Epoch {epoch + 1}/{epochs} - {seconds:.1f}s - {text}", file=self.stream)


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


def make_callback_list(callbacks, model, verbose: int, epochs: int, steps: int):
    """(History, CallbackList) for one ``fit`` call: user callbacks, then History, then the
    progress logger."""
    from layerflow.errors import InvalidArgumentError

    user = list(callbacks or [])
    for cb in user:
        if not isinstance(cb, Callback):
            raise InvalidArgumentError(f"callbacks must be lf.callbacks.Callback objects, got "
                                       f"{type(cb).__name__}")
    history = History()
    items = user + [history]
    if verbose:
        items.append(ProgbarLogger(verbose))
    return history, CallbackList(items, model, {"epochs": epochs, "steps": steps,
                                                "verbose": verbose})
