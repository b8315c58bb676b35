"""Training and evaluating on datasets: ``model.fit_dataset`` / ``model.evaluate_dataset``.

TF.js's rules (``tfjs-layers/src/engine/training_dataset.ts``): every element is one
*already batched* batch, ``{'xs': x, 'ys': y}`` or ``(x, y)`` or ``(x, y, sample_weight)``,
where ``x``/``y`` is a tensor or array, a list (one per input/output), or a dict keyed by the
model's input/output names. Without ``batches_per_epoch`` each epoch opens a fresh iterator and
ends when it is exhausted; with it, one iterator runs across epochs, and when it runs dry
training stops with a warning (use ``dataset.repeat()``). Validation runs after each epoch, on a
dataset (``evaluate_dataset`` with ``validation_batches``) or on ``(x, y)`` arrays
(``model.evaluate``). Each batch runs the trainer's step (compiled on the jax backend).

>>> import numpy as np, layerflow as lf, layerflow.data
>>> lf.set_seed(0)
>>> model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
>>> model.compile(optimizer='sgd', loss='mse')
>>> x = np.random.default_rng(0).normal(size=(64, 2)).astype('float32')
>>> ds = lf.data.from_numpy(x, x.sum(axis=1, keepdims=True)).batch(16)
>>> history = fit_dataset(model, ds, epochs=5, verbose=0)
>>> history.history['loss'][-1] < history.history['loss'][0]
True
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np

from layerflow.engine.context import ENGINE
from layerflow.engine.memory import dispose, tidy
from layerflow.engine.tensor import Tensor
from layerflow.errors import InvalidArgumentError
from layerflow.models.data import DataError
from layerflow.models.trainer import _floats


def fit_dataset(model, dataset, epochs=1, batches_per_epoch=None, validation_data=None,
                validation_batches=None, callbacks=None, class_weight=None, initial_epoch=0,
                verbose=1):
    """Train ``model`` on a Dataset of batches; returns a ``History`` (TF.js ``fitDataset``).

    Args:
        model: a compiled model.
        dataset: a ``lf.data.Dataset`` whose elements are batches (see the module docstring).
        epochs: the epoch index to stop at (training runs ``initial_epoch .. epochs - 1``).
        batches_per_epoch: batches per epoch, drawn from one iterator that spans all epochs.
        validation_data: a Dataset of batches, or ``(x, y)`` / ``(x, y, sample_weight)``.
        validation_batches: how many batches of a validation Dataset to use (all if None).
        callbacks: ``lf.callbacks.Callback`` objects.
        class_weight: ``{class index: weight}``, multiplied into the sample weights.
        initial_epoch: the epoch to start at (to resume training).
        verbose: 0 silent, 1 progress bar, 2 one line per epoch.

    Raises:
        DataError: the dataset is empty, or an element is not a batch the model can take.
    """
    from layerflow.callbacks import make_callback_list

    trainer = model._trainer()
    trainer._require_compiled("fit_dataset")
    _check_dataset(dataset, "fit_dataset")
    epochs = _int(epochs, "epochs", 0)
    initial_epoch = _int(initial_epoch, "initial_epoch", 0)
    if batches_per_epoch is not None:
        batches_per_epoch = _int(batches_per_epoch, "batches_per_epoch", 1)
    _check_validation(validation_data)
    verbose = 1 if verbose == "auto" else verbose
    steps = batches_per_epoch if batches_per_epoch is not None else _known(dataset.size)
    history, cb = make_callback_list(callbacks, model, verbose, epochs, steps)
    trainer.stop_training = False
    run = _StepRunner(trainer, "train")
    unpack = _Unpacker(trainer, "fit_dataset")
    shared = _batches(dataset, trainer) if batches_per_epoch is not None else None
    index_base = 0
    cb.on_train_begin()
    try:
        for epoch in range(initial_epoch, epochs):
            trainer.spec.reset()
            cb.on_epoch_begin(epoch)
            it = shared if shared is not None else _batches(dataset, trainer)
            try:
                logs, done, ended = _run_epoch(trainer, run, unpack, it, cb, batches_per_epoch,
                                               index_base, class_weight)
            finally:
                if shared is None:
                    it.close()
            index_base += done
            if done == 0 and epoch == initial_epoch:
                raise DataError("fit_dataset: the dataset produced no batches in the first "
                                "epoch (is it empty, or filtered/skipped to nothing?)")
            if ended and batches_per_epoch is not None:
                _warn_exhausted(batches_per_epoch, epochs - initial_epoch, index_base)
                if done:
                    cb.on_epoch_end(epoch, dict(logs))
                break
            epoch_logs = dict(logs)
            if validation_data is not None:
                val_logs = _validate(model, validation_data, validation_batches)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            if trainer.stop_training:
                break
    finally:
        if shared is not None:
            shared.close()
    cb.on_train_end()
    return history


def _run_epoch(trainer, run, unpack, it, cb, batches_per_epoch, index_base, class_weight):
    """Train on batches from ``it``: (last logs, batches done, whether ``it`` ran out)."""
    logs, done, ended, pending, calls = {}, 0, False, None, 0
    while not ended and (batches_per_epoch is None or done < batches_per_epoch):
        per_call = trainer.steps_per_call(cb) if hasattr(trainer, "steps_per_call") else 1
        want = per_call if batches_per_epoch is None else min(per_call,
                                                              batches_per_epoch - done)
        group = []
        while len(group) < want:
            result = it.next()
            if result.done:
                ended = True
                break
            # NOTE: engine work holds ENGINE.lock: a prefetch thread may be making tensors.
            with ENGINE.lock:
                group.append(unpack(result.value, index_base + done + len(group),
                                    class_weight))
        if not group:
            break
        for part in _calls(group, per_call):
            for i in range(len(part)):
                cb.on_batch_begin(done + i)
            with ENGINE.lock:
                out = _call(trainer, lambda p=part: tidy(lambda: run(p)), cb, calls)
                calls += 1
                # NOTE: as fit: without a callback reading batch logs the loss stays on the
                # device (no host round trip per batch); the last logs are read at the end.
                if pending is not None:
                    dispose(pending)
                pending = out
                if cb.wants_batch_logs:
                    logs = _floats(out)
            for i in range(len(part)):
                cb.on_batch_end(done + i, logs)
            done += len(part)
        del group, part  # NOTE: drop the batch tensors before pulling the next ones
        if trainer.stop_training:
            break
    if pending is not None:
        with ENGINE.lock:
            logs = _floats(pending)
            dispose(pending)
    return logs, done, ended


def _batches(dataset, trainer):
    """One pass over ``dataset``'s batches. Batches gathered on the host (data/rows.py) go
    into a compiled step as NumPy arrays, as ``fit``'s do: making jax arrays of them first
    cost more than the step's own input transfer (W1 from a pipeline: 0.8x of ``fit``)."""
    from layerflow.data.dataset import DatasetIterator
    from layerflow.data.rows import Finishing, host_arrays

    stages = dataset._host_stages
    if stages is None or not trainer._use_compiler():
        return dataset.iterator()
    return DatasetIterator(Finishing(stages[0](), host_arrays))


def _calls(group: list, per_call: int) -> list:
    """The train-step calls for ``group``: all of it in one call when it is ``per_call``
    batches of one size, else one batch per call (as fit: a short last batch or a short
    group would compile programs of their own)."""
    if len(group) > 1 and (len(group) < per_call or len({_rows(b) for b in group}) > 1):
        return [[b] for b in group]
    return [group]


def _rows(batch) -> tuple:
    xs, ys, _ = batch
    return tuple(t.shape[0] if t.ndim else None for t in xs + ys)


def _call(trainer, run, cb, calls: int):
    call_step = getattr(trainer, "call_step", None)
    return run() if call_step is None else call_step(run, cb, calls)


def evaluate_dataset(model, dataset, batches=None, return_dict=False):
    """The loss and metrics of ``model`` over a Dataset of batches (TF.js ``evaluateDataset``).

    Args:
        model: a compiled model.
        dataset: a ``lf.data.Dataset`` of batches ``{'xs', 'ys'}`` or ``(x, y[, w])``.
        batches: evaluate only the first ``batches`` batches (all if None).
        return_dict: return ``{name: value}`` rather than a float or a list of floats.

    >>> import numpy as np, layerflow as lf, layerflow.data
    >>> model = lf.sequential([lf.layers.Dense(1, input_shape=[2], kernel_initializer='zeros')])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> ds = lf.data.array([(np.ones((4, 2)), np.full((4, 1), 2.0))])
    >>> evaluate_dataset(model, ds)
    4.0
    """
    logs = _evaluate_logs(model, dataset, batches, "evaluate_dataset")
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _evaluate_logs(model, dataset, batches, what: str) -> dict:
    trainer = model._trainer()
    trainer._require_compiled(what)
    _check_dataset(dataset, what)
    if batches is not None:
        batches = _int(batches, "batches", 1)
    run = _StepRunner(trainer, "test")
    unpack = _Unpacker(trainer, what)
    trainer.spec.reset()
    logs, done = {}, 0
    with dataset.iterator() as it:
        while batches is None or done < batches:
            result = it.next()
            if result.done:
                if batches is not None:
                    warnings.warn(f"{what}: the dataset ran out of data after {done} batches, "
                                  f"before the {batches} batches asked for; use "
                                  "dataset.repeat() or fewer batches", stacklevel=3)
                break
            with ENGINE.lock:  # NOTE: see _run_epoch
                batch = unpack(result.value, done, None)
                logs = tidy(lambda b=batch: _floats(run([b])))
            del batch
            done += 1
    if done == 0:
        raise DataError(f"{what}: the dataset produced no batches")
    return logs


def _validate(model, validation_data, validation_batches) -> dict:
    from layerflow.data.dataset import Dataset

    if isinstance(validation_data, Dataset):
        return _evaluate_logs(model, validation_data, validation_batches,
                              "fit_dataset validation")
    return model.evaluate(*validation_data, verbose=0, return_dict=True)


# -- checks -----------------------------------------------------------------------------------
def _check_dataset(dataset, what: str) -> None:
    from layerflow.data.dataset import Dataset

    if not isinstance(dataset, Dataset):
        raise DataError(f"{what}: expected a lf.data.Dataset, got {type(dataset).__name__}; "
                        "use lf.data.array / generator / from_numpy, or as_dataset(...)")


def _check_validation(validation_data) -> None:
    from layerflow.data.dataset import Dataset

    if validation_data is None or isinstance(validation_data, Dataset):
        return
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        raise DataError("fit_dataset: validation_data must be a Dataset of batches or "
                        f"(x, y) / (x, y, sample_weight), got {type(validation_data).__name__}")


def _int(value, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidArgumentError(f"fit_dataset: {what} must be an int >= {minimum}, got "
                                   f"{value!r}")
    return int(value)


def _known(size):
    return size if isinstance(size, int) else None


def _warn_exhausted(batches_per_epoch: int, epochs: int, done: int) -> None:
    warnings.warn(
        f"fit_dataset: batches_per_epoch={batches_per_epoch}, but the dataset iterator ran out "
        f"of data after {done} batches; interrupting training. Make sure the dataset can "
        f"give at least batches_per_epoch * epochs = {batches_per_epoch * epochs} batches: "
        "you may need dataset.repeat().", stacklevel=3)


class _StepRunner:
    """The trainer's step for ``kind``, made on the first batch (after the metrics that need
    the targets' shapes are built); runs a group of batches in one call where the trainer's
    train step takes groups (``steps_per_execution``)."""

    def __init__(self, trainer, kind: str) -> None:
        self.trainer, self.kind, self.fn = trainer, kind, None

    def __call__(self, batches: list):
        if self.fn is None:
            build = getattr(self.trainer, "_build_metrics", None)
            if build is not None:
                build(SimpleNamespace(y=batches[0][1]))
            self.fn = self.trainer._step(self.kind)
        if self.kind == "train" and hasattr(self.trainer, "_train_steps"):
            return self.fn(batches)
        logs = None
        for x, y, sample_weight in batches:
            logs = self.fn(x, y, sample_weight)
        return logs


class _Unpacker:
    """Turns one dataset element into the (x list, y list, sample_weight) a step takes."""

    def __init__(self, trainer, what: str) -> None:
        self.what = what
        self.input_names = trainer._input_names()
        self.output_names = trainer._output_names()
        model = trainer.model
        graph = getattr(model, "_graph", None)
        self.input_shapes = [tuple(t.shape) for t in model.inputs] if graph is not None else []
        self.keep_arrays = trainer._use_compiler() if hasattr(trainer, "_use_compiler") else False

    def __call__(self, element, index: int, class_weight):
        where = f"{self.what}: element {index}"
        if isinstance(element, dict):
            extra = sorted(set(element) - {"xs", "ys", "sample_weight"})
            if "xs" not in element or "ys" not in element or extra:
                raise DataError(f"{where}: expected a dict with keys 'xs' and 'ys' (and "
                                f"optionally 'sample_weight'), got keys {sorted(element)}")
            x, y, sw = element["xs"], element["ys"], element.get("sample_weight")
        elif isinstance(element, (tuple, list)) and len(element) in (2, 3):
            x, y = element[0], element[1]
            sw = element[2] if len(element) == 3 else None
        else:
            raise DataError(f"{where}: expected a batch {{'xs': ..., 'ys': ...}} or a tuple "
                            f"(xs, ys) / (xs, ys, sample_weight), got "
                            f"{_describe(element)}")
        xs = self._tensors(x, self.input_names, f"{where}: xs", "input")
        ys = self._tensors(y, self.output_names, f"{where}: ys", "output")
        self._check_shapes(xs, ys, where)
        sw = None if sw is None else _to_tensor(sw, f"{where}: sample_weight", np.float32)
        if class_weight is not None:
            from layerflow.engine.convert import to_tensor
            from layerflow.models.trainer import _class_weights

            weights = _class_weights(np.asarray(ys[0]), class_weight,
                                     None if sw is None else np.asarray(sw))
            sw = to_tensor(weights)
        return xs, ys, sw

    def _tensors(self, value, names: list, where: str, kind: str) -> list:
        if isinstance(value, dict):
            if set(value) != set(names):
                raise DataError(f"{where}: expected keys {names} (the model's {kind} names), "
                                f"got {sorted(value)}")
            items = [value[n] for n in names]
        elif isinstance(value, (list, tuple)) and len(names) > 1:
            if len(value) != len(names):
                raise DataError(f"{where}: the model has {len(names)} {kind}s {names}, got "
                                f"{len(value)} values")
            items = list(value)
        else:
            if len(names) > 1:
                raise DataError(f"{where}: the model has {len(names)} {kind}s {names}; give a "
                                f"dict keyed by those names or a list, got {_describe(value)}")
            items = [value]
        return [self._leaf(v, f"{where}[{n!r}]") for v, n in zip(items, names)]

    def _leaf(self, value, where: str):
        if self.keep_arrays and type(value) is np.ndarray and value.dtype in _AS_IS:
            # NOTE: a compiled step takes NumPy arrays as they are (as fit's batches); these
            # dtypes are the ones to_tensor would keep.
            return value
        return _to_tensor(value, where)

    def _check_shapes(self, xs: list, ys: list, where: str) -> None:
        for name, t, shape in zip(self.input_names, xs, self.input_shapes):
            if t.ndim != len(shape) or any(
                    s is not None and s != d for s, d in zip(shape[1:], t.shape[1:])):
                hint = (" (elements must be batches: use dataset.batch(batch_size))"
                        if t.ndim == len(shape) - 1 else "")
                raise DataError(f"{where}: input {name!r} expects shape {shape} (rank "
                                f"{len(shape)}), got shape {t.shape}{hint}")
        sizes = {t.shape[0] if t.ndim else None for t in xs + ys}
        if len(sizes) > 1:
            raise DataError(f"{where}: xs and ys must hold the same number of samples, got "
                            f"shapes {[t.shape for t in xs]} and {[t.shape for t in ys]}")


_AS_IS = (np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.bool_))


def _to_tensor(value, where: str, dtype=None) -> Tensor:
    from layerflow.engine.convert import to_array, to_tensor

    if isinstance(value, Tensor):
        return value
    if value is None:
        raise DataError(f"{where}: the value is None")
    array = np.asarray(value)
    if array.dtype == object:
        raise DataError(f"{where}: could not make an array of {type(value).__name__}")
    if dtype is not None:
        array = array.astype(dtype)
    # NOTE: as fit does: float64 -> float32, int64 -> int32 (to_array infers as TF.js does).
    array, name = to_array(array, where=where)
    return to_tensor(array, name)


def _describe(value) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, Tensor):
        return f"a tensor of shape {value.shape}"
    return f"a {type(value).__name__}"


# -- Model.fit / Model.evaluate given a Dataset or a generator -------------------------------
def is_dataset_like(x) -> bool:
    """True for what ``Model.fit`` hands to :func:`fit_dataset`: a Dataset, a generator object
    or another iterator (not arrays, tensors, lists or dicts)."""
    from layerflow.data.dataset import Dataset

    if isinstance(x, Dataset):
        return True
    if isinstance(x, (Tensor, np.ndarray, list, tuple, dict, str, bytes)):
        return False
    return hasattr(x, "__next__") and hasattr(x, "__iter__")


def as_dataset(x):
    """A Dataset from a Dataset (itself), a generator function, or an iterator (one pass)."""
    from layerflow.data import sources
    from layerflow.data.dataset import Dataset

    if isinstance(x, Dataset):
        return x
    if callable(x) and not hasattr(x, "__next__"):
        return sources.generator(x)
    return sources.from_iterable(x)


def fit_from_fit_args(model, x, y=None, batch_size=None, epochs=1, verbose="auto",
                      callbacks=None, validation_split=0.0, validation_data=None, shuffle=True,
                      class_weight=None, sample_weight=None, initial_epoch=0,
                      steps_per_epoch=None, validation_steps=None, validation_freq=1):
    """``Model.fit``'s arguments, with ``x`` a Dataset or generator, run as ``fit_dataset``.

    ``steps_per_epoch`` becomes ``batches_per_epoch`` and ``validation_steps``
    ``validation_batches``; ``shuffle`` is left to the dataset (``dataset.shuffle``).
    """
    del shuffle
    given = {"y": y is not None, "sample_weight": sample_weight is not None,
             "batch_size": batch_size is not None, "validation_split": bool(validation_split)}
    for name, is_given in given.items():
        if is_given:
            raise DataError(f"fit: {name} cannot be given when x is a Dataset or generator "
                            "(its elements are already batches of (xs, ys[, sample_weight]))")
    if validation_freq != 1:
        raise InvalidArgumentError("fit: validation_freq other than 1 is not supported with "
                                   "a Dataset or generator")
    if validation_data is not None and is_dataset_like(validation_data):
        validation_data = as_dataset(validation_data)
    return fit_dataset(model, as_dataset(x), epochs=epochs,
                       batches_per_epoch=steps_per_epoch, validation_data=validation_data,
                       validation_batches=validation_steps, callbacks=callbacks,
                       class_weight=class_weight, initial_epoch=initial_epoch, verbose=verbose)


def evaluate_from_evaluate_args(model, x, y=None, batch_size=None, verbose="auto",
                                sample_weight=None, steps=None, callbacks=None,
                                return_dict=False):
    """``Model.evaluate``'s arguments, with ``x`` a Dataset or generator."""
    del verbose, callbacks
    for name, value in (("y", y), ("sample_weight", sample_weight), ("batch_size", batch_size)):
        if value is not None:
            raise DataError(f"evaluate: {name} cannot be given when x is a Dataset or "
                            "generator (its elements are already batches)")
    return evaluate_dataset(model, as_dataset(x), batches=steps, return_dict=return_dict)
