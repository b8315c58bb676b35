"""Built-in training: compile, fit, evaluate, predict and the *_on_batch calls.

The train step is one function of (batch) that reads and assigns only variables: the model's
weights, the optimizer's state and the metrics' state. On the jax backend it goes through
``lf.compile(step, variables=...)``, so XLA compiles the forward pass, the tape's backward pass,
the optimizer update and the metric updates into one program per input signature; on the numpy
backend (or with ``run_eagerly=True``) the same function runs eagerly. Both give the same
numbers. Randomness inside (dropout) comes from ``lf.set_seed``'s sequence.

>>> import numpy as np, layerflow as lf
>>> lf.set_seed(0)
>>> model = lf.sequential([lf.layers.Dense(1, input_shape=[1])])
>>> model.compile(optimizer=lf.optimizers.SGD(0.1), loss='mean_squared_error')
>>> xs = np.array([[1.0], [2.0], [3.0], [4.0]]); ys = 2 * xs - 1
>>> history = model.fit(xs, ys, epochs=200, verbose=0)
>>> round(float(model.predict(np.array([[5.0]]))[0, 0]), 1)
9.0
"""

from __future__ import annotations

import numpy as np

from layerflow.engine.allocator import keep_freed_memory
from layerflow.engine.context import ENGINE
from layerflow.engine.convert import to_tensor
from layerflow.engine.memory import dispose, tidy
from layerflow.engine.tensor import Tensor
from layerflow.errors import InvalidArgumentError, LayerflowError
from layerflow.models.data import ArrayData, DataError, to_numpy_list
from layerflow.models.data_parallel import ReplicatedTrainStep, replica_devices
from layerflow.models.step_grouping import StepGrouping, full_groups


class NotCompiledError(LayerflowError, RuntimeError):
    """fit/evaluate called before compile."""


class Trainer:
    """The training machinery of one model (composition, not inheritance)."""

    def __init__(self, model) -> None:
        self.model = model
        self.optimizer = None
        self.spec = None
        self.compiled = False
        self.run_eagerly = False
        self.jit_compile = "auto"
        self.grouping = StepGrouping(1)
        self._steps: dict = {}
        self._compiled: set = set()  # the kinds whose step in _steps went through lf.compile
        self.stop_training = False

    # -- compile -----------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                run_eagerly=False, jit_compile="auto", steps_per_execution="auto",
                weighted_metrics=None) -> None:
        from layerflow import optimizers
        from layerflow.models.compile_utils import LossSpec

        self.optimizer = optimizers.get(optimizer)
        self.spec = LossSpec(loss, loss_weights, metrics, self._output_names())
        self.run_eagerly = bool(run_eagerly)
        self.jit_compile = jit_compile
        self.grouping = StepGrouping(steps_per_execution)
        self._steps = {}
        self._compiled = set()
        self.compiled = True

    def _output_names(self) -> list[str]:
        names = self.model.output_names if self.model._graph is not None else []
        return names or ["output"]

    def _input_names(self) -> list[str]:
        names = self.model.input_names if self.model._graph is not None else []
        return names or ["input"]

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise NotCompiledError(f"{what}: the model must be compiled first: "
                                   "model.compile(optimizer=..., loss=...)")

    # -- the steps ---------------------------------------------------------------------------
    def _use_compiler(self) -> bool:
        return (ENGINE.get_backend().name == "jax" and not self.run_eagerly
                and self.jit_compile is not False)

    def _state_variables(self) -> list:
        return (self.model.weights + self.model.state_variables + self.optimizer.variables
                + self.spec.variables)

    def _call_model(self, x: list, training: bool):
        inputs = x[0] if len(x) == 1 else x
        out = self.model(inputs, training=training)
        return list(out.values()) if isinstance(out, dict) else (
            list(out) if isinstance(out, (list, tuple)) else [out])

    def _train_steps(self, batches):
        """Several train steps in one call (``steps_per_execution``); the last step's logs."""
        logs = None
        for x, y, sample_weight in batches:
            logs = self._train_step(x, y, sample_weight)
        return logs

    @property
    def steps_per_execution(self):
        """The setting given to ``compile`` (an int or ``"auto"``)."""
        return self.grouping.setting

    def steps_per_call(self, callbacks) -> int:
        """How many train steps the next call of the train step runs (see step_grouping)."""
        return self.grouping.size("train" in self._compiled and self._use_compiler(),
                                  callbacks)

    def call_step(self, run, callbacks, calls: int):
        """``run()``, one call of the train step (``calls`` made before it in this fit).
        While "auto" steps_per_execution is measuring, a single compiled step is timed (after
        the first two calls, which may compile); see step_grouping."""
        # NOTE: a split step times itself first (data_parallel); grouping measures after.
        choosing = getattr(self._steps.get("train"), "choosing", False)
        if (calls >= 2 and self.grouping.measuring and "train" in self._compiled
                and self._use_compiler() and not callbacks.hooks_single_batches
                and not choosing):
            return self.grouping.timed(run, _floats)
        return run()

    def _groups(self, data: ArrayData, batch_size: int, order, steps: int, callbacks):
        """(index of first batch, [batches]) per call of the train step."""
        batches = data.batches(batch_size, order)
        full = data.size // batch_size
        for indices in full_groups(min(steps, data.num_batches(batch_size)), full,
                                   lambda: self.steps_per_call(callbacks)):
            yield indices[0], [next(batches) for _ in indices]

    def _train_step(self, x, y, sample_weight):
        from layerflow.autodiff import GradientTape

        trainable = self.model.trainable_weights
        with GradientTape() as tape:
            y_pred = self._call_model(x, training=True)
            total, parts = self.spec.total_loss(y, y_pred, sample_weight, self.model.losses)
        grads = tape.gradient(total, trainable)
        self.optimizer.apply_gradients(zip(grads, trainable))
        self.spec.update_metrics(y, y_pred, sample_weight, total, parts, x[0].shape[0])
        return self.spec.results()

    def _test_step(self, x, y, sample_weight):
        y_pred = self._call_model(x, training=False)
        total, parts = self.spec.total_loss(y, y_pred, sample_weight, self.model.losses)
        self.spec.update_metrics(y, y_pred, sample_weight, total, parts, x[0].shape[0])
        return self.spec.results()

    def _predict_step(self, x):
        return self._call_model(x, training=False)

    def _build_metrics(self, data: ArrayData) -> None:
        """Create the metrics' data-dependent variables (F1, R2 ...) from the targets' shapes
        before a step is compiled: variables cannot be made inside a compiled program."""
        for items, y in zip(self.spec.metrics, data.y or []):
            for metric in items:
                if not getattr(metric, "built", True):
                    shape = (None,) + tuple(y.shape[1:])
                    metric.build(shape, shape)

    def _step(self, kind: str):
        """The eager or compiled step function for ``kind`` ('train', 'test', 'predict')."""
        step = self._steps.get(kind)
        if step is not None:
            return step
        keep_freed_memory()  # NOTE: steps allocate the same big blocks again and again
        fn = {"train": self._train_steps, "test": self._test_step,
              "predict": self._predict_step}[kind]
        if kind == "train":
            self.optimizer.build(self.model.trainable_weights)
        if self._use_compiler():
            from layerflow.engine.compile import compile as lf_compile

            variables = (self.model.weights + self.model.state_variables if kind == "predict"
                         else self._state_variables())
            # NOTE: a train step donates the variables' buffers (argument 1 of the compiled
            # program): XLA writes the new weights and optimizer slots in place (about 10% of
            # a W1 step on CPU), as Keras's jax trainer does.
            options = {"donate_argnums": (1,)} if kind == "train" else {}
            fn = lf_compile(fn, variables=variables, **options)
            self._compiled.add(kind)
            devices = replica_devices(self) if kind == "train" else []
            if devices:
                fn = ReplicatedTrainStep(self, devices, fn)
        self._steps[kind] = fn
        return fn

    # -- data ------------------------------------------------------------------------------------
    def _array_data(self, x, y, sample_weight, class_weight=None) -> ArrayData:
        xs = to_numpy_list(x, self._input_names(), "input x")
        if xs is None:
            raise DataError("x is required")
        ys = to_numpy_list(y, self._output_names(), "target y")
        sw = None if sample_weight is None else np.asarray(
            sample_weight.numpy() if isinstance(sample_weight, Tensor) else sample_weight,
            dtype=np.float32)
        if class_weight is not None:
            if ys is None:
                raise DataError("class_weight needs targets y")
            sw = _class_weights(ys[0], class_weight, sw)
        return ArrayData(xs, ys, sw)

    @staticmethod
    def _tensors(batch):
        x, y, sw = batch
        return ([to_tensor(a) for a in x], None if y is None else [to_tensor(a) for a in y],
                None if sw is None else to_tensor(sw))

    # -- fit ---------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_freq=1):
        from layerflow.callbacks import make_callback_list

        self._require_compiled("fit")
        batch_size = _batch_size(batch_size)
        data = self._array_data(x, y, sample_weight, class_weight)
        if data.y is None:
            raise DataError("fit: targets y are required")
        val = None
        if validation_data is not None:
            val = self._validation_data(validation_data)
        elif validation_split:
            data, val = data.split(validation_split)
        verbose = 1 if verbose == "auto" else verbose
        steps = data.num_batches(batch_size) if steps_per_epoch is None else int(steps_per_epoch)
        history, cb = make_callback_list(callbacks, self.model, verbose, epochs, steps)
        self.stop_training = False
        self._build_metrics(data)
        rng = np.random.default_rng(ENGINE.next_seed())
        step = self._step("train")
        cb.on_train_begin()
        try:
            self._fit_epochs(data, val, step, cb, rng, batch_size, steps, epochs, initial_epoch,
                             shuffle, validation_steps, validation_freq)
        finally:
            cb.on_train_end()
        return history

    def _fit_epochs(self, data, val, step, cb, rng, batch_size, steps, epochs, initial_epoch,
                    shuffle, validation_steps, validation_freq) -> None:
        feed = self._batch_feeder("train")
        calls = 0
        for epoch in range(initial_epoch, epochs):
            self.spec.reset()
            cb.on_epoch_begin(epoch)
            order = rng.permutation(data.size) if shuffle else np.arange(data.size)
            logs, pending = {}, None
            sync_every_batch = cb.wants_batch_logs
            for first, group in self._groups(data, batch_size, order, steps, cb):
                for index in range(first, first + len(group)):
                    cb.on_batch_begin(index)
                out = self.call_step(lambda g=group: tidy(lambda: step([feed(b) for b in g])),
                                     cb, calls)
                calls += 1
                # NOTE: without a callback reading batch logs, the loss stays on the device and
                # the next compiled step is queued at once; the logs are read at epoch end.
                if pending is not None:
                    dispose(pending)
                pending = out
                if sync_every_batch:
                    logs = _floats(out)
                for index in range(first, first + len(group)):
                    cb.on_batch_end(index, logs)
                if self.stop_training:
                    break
            if pending is not None:
                logs = _floats(pending)
                dispose(pending)
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_data(val, batch_size, validation_steps)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break

    def _validation_data(self, validation_data) -> ArrayData:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise DataError("validation_data must be (x_val, y_val) or (x_val, y_val, "
                            "sample_weight)")
        x_val, y_val, *rest = validation_data
        return self._array_data(x_val, y_val, rest[0] if rest else None)

    # -- evaluate / predict -----------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        self._require_compiled("evaluate")
        data = self._array_data(x, y, sample_weight)
        if data.y is None:
            raise DataError("evaluate: targets y are required")
        logs = self._evaluate_data(data, _batch_size(batch_size), steps)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_data(self, data: ArrayData, batch_size: int, steps=None) -> dict:
        self._build_metrics(data)
        step = self._step("test")
        feed = self._batch_feeder("test")
        self.spec.reset()
        logs = {}
        for index, batch in enumerate(data.batches(batch_size, np.arange(data.size))):
            if steps is not None and index >= steps:
                break
            logs = tidy(lambda b=batch: _floats(step(*feed(b))))
        return logs

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        xs = to_numpy_list(x, self._input_names(), "input x")
        data = ArrayData(xs, None, None)
        batch_size = _batch_size(batch_size)
        step = self._step("predict")
        feed = self._feeder("predict")
        # NOTE: data that fits one batch is that batch: no index order, slicing or generator.
        batches = [(xs, None, None)] if data.size <= batch_size else data.batches(
            batch_size, np.arange(data.size))
        chunks = None
        for index, batch in enumerate(batches):
            if steps is not None and index >= steps:
                break
            outs = tidy(lambda b=batch: [t.numpy() for t in step(feed(b[0]))])
            chunks = [[o] for o in outs] if chunks is None else [
                c + [o] for c, o in zip(chunks, outs)]
        results = [np.concatenate(c, axis=0) for c in chunks]
        return results[0] if len(results) == 1 else results

    def _batch_feeder(self, kind: str):
        """The function that turns a batch ``(x, y, sample_weight)`` of NumPy arrays into the
        step's arguments (as :meth:`_feeder`: NumPy arrays straight into a compiled step)."""
        feed = self._feeder(kind)
        if feed is _to_tensors:
            return self._tensors
        return lambda b: (feed(b[0]), None if b[1] is None else feed(b[1]),
                          None if b[2] is None else feed([b[2]])[0])

    def _feeder(self, kind: str):
        """The function that turns a batch's NumPy inputs into the step's arguments."""
        if kind in self._compiled and self._use_compiler():
            # NOTE: lf.compile takes NumPy arrays as inputs and hands them to the program as
            # they are, which costs less than making device arrays first; strings cannot go
            # into a program, so they stay tensors.
            return lambda xs: [a if a.dtype.kind in "biufc" else to_tensor(a) for a in xs]
        return _to_tensors

    # -- single batches ------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        self._require_compiled("train_on_batch")
        data = self._array_data(x, y, sample_weight, class_weight)
        self._build_metrics(data)
        self.spec.reset()
        batch = next(data.batches(data.size, np.arange(data.size)))
        logs = tidy(lambda: _floats(self._step("train")([self._tensors(batch)])))
        return _logs_out(logs, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        data = self._array_data(x, y, sample_weight)
        self.spec.reset()
        batch = next(data.batches(data.size, np.arange(data.size)))
        logs = tidy(lambda: _floats(self._step("test")(*self._tensors(batch))))
        return _logs_out(logs, return_dict)

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=None if x is None else _first_len(x))

    def dispose(self) -> None:
        if self.optimizer is not None:
            self.optimizer.dispose()


def _to_tensors(arrays: list) -> list:
    return [to_tensor(a) for a in arrays]


def _first_len(x) -> int:
    if isinstance(x, dict):
        x = next(iter(x.values()))
    if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape"):
        x = x[0]
    return max(len(x), 1)


def _batch_size(batch_size) -> int:
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise InvalidArgumentError(f"batch_size must be a positive integer, got {batch_size!r}")
    return int(batch_size)


def _floats(logs: dict) -> dict:
    """Log values as Python floats (per-class metrics such as F1Score stay NumPy arrays)."""
    out = {}
    for key, value in logs.items():
        array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
        out[key] = float(array) if array.size == 1 else array
    return out


def _logs_out(logs: dict, return_dict: bool):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _class_weights(y: np.ndarray, class_weight: dict, sample_weight):
    labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[
        :, 0].round().astype(int)
    weights = np.array([float(class_weight.get(int(c), 1.0)) for c in labels], np.float32)
    return weights if sample_weight is None else weights * sample_weight
