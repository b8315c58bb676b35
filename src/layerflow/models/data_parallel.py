"""Training steps split over the host's CPU cores (jax backend), where that is faster.

XLA on CPU leaves cores idle in some programs: an LSTM's per-time-step matmuls (64x128 by
128x512 for an LSTM 128 on a batch of 64) are too small for its threads and its time loop
leaves nothing to run beside them, and its convolutions used about one core of two here. So
on a machine with several cores (the jax backend makes one CPU device per core, up to four)
the train step can split each batch into equal parts, one per device:

1. each device runs the forward and backward pass on its part: one compiled program,
   dispatched to every device without waiting, on copies of the weights;
2. the first device averages the parts' gradients, applies the optimizer, and updates the loss
   and metrics on the whole batch's predictions: a second compiled program.

Whether that pays depends on the model: an MLP's large matmuls already use every core, and
the extra dispatches made W1's step twice as slow, while the CNN and the LSTM of the bench
ran 1.3x faster. So only models with a layer that leaves cores idle (``Layer.
_leaves_cores_idle``: convolutions, recurrent layers) may split, and the step measures: after
calls of each that compile, it times ``TRIALS`` calls of the split step and of the
one-program step, waiting for each, and keeps the faster for the rest of training.

The result is the one-program step's up to float rounding: every loss the step may use
averages over the batch with a fixed denominator (``sum_over_batch_size``), so the mean of the
parts' gradients is the whole batch's gradient, and the metrics see the whole batch. Dropout
draws its own masks in each part.

The parts talk through the host, not through XLA collectives: on a 2-core machine the
in-process all-reduce of jax 0.10 took about a millisecond and aborted the process when
steps were queued asynchronously.

The step keeps the one program, for good, when the model assigns variables while training
(BatchNormalization's moving statistics, a stateful RNN: the parts would disagree), and for a
call whose batch does not split evenly or holds strings.
"""

from __future__ import annotations

import time

import numpy as np

from layerflow.engine.context import ENGINE
from layerflow.engine.tensor import wrap

MIN_PART = 8  # NOTE: smaller parts leave each device too little work for the extra dispatches
# NOTE: the first call of each step compiles it, and the second may compile again: the
# weights come back from the first committed to a device, which jit keys on (a 1 s "trial").
WARMUP = 2
TRIALS = 4  # timed calls of each step before choosing


def replica_devices(trainer) -> list:
    """The devices the train step of ``trainer`` may split its batches over ([] for one
    program): only when a layer leaves cores idle on one device (a convolution or a recurrent
    layer: a dense model's matmuls use every core, and its split step lost 2x, so it is not
    even compiled for timing), every loss is a built-in mean over the batch, and no layer has
    an activity regularizer (a sum over the batch, which the parts' mean would halve)."""
    from layerflow.losses import LossFunctionWrapper

    devices = ENGINE.get_backend().replica_devices()
    if len(devices) < 2:
        return []
    layers = list(_walk(trainer.model))
    if not any(layer._leaves_cores_idle for layer in layers):
        return []
    if any(getattr(layer, "activity_regularizer", None) is not None for layer in layers):
        return []
    for loss in trainer.spec.losses:
        if loss is None:
            continue
        if (loss.reduction != "sum_over_batch_size"
                or getattr(loss, "ignore_class", None) is not None
                or (isinstance(loss, LossFunctionWrapper)
                    and not getattr(loss.fn, "__module__", "").startswith("layerflow."))):
            return []
    return devices


def _walk(layer):
    stack, seen = [layer], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(item._all_layers())


class ReplicatedTrainStep:
    """``step(batches) -> logs`` as the trainer's compiled train step, each batch split over
    ``devices`` (see the module docs); ``single`` is the one-program step it measures itself
    against and falls back to. ``choice`` is None while measuring, then "split" or "single".
    """

    def __init__(self, trainer, devices: list, single) -> None:
        from layerflow.engine.compile import compile as lf_compile

        self.trainer = trainer
        self.devices = list(devices)
        self.single = single
        self.enabled = True
        self.choice = None
        self._calls = 0
        self._times: dict = {"split": [], "single": []}
        model = trainer.model
        self._local_variables = model.weights + model.state_variables
        self._kept: dict = {}  # which gradients and loss parts exist (found while tracing)
        self._local = lf_compile(self._local_pass, variables=self._local_variables)
        # NOTE: the update donates the variables' buffers as the one-program step does.
        self._update = lf_compile(self._apply, variables=trainer._state_variables(),
                                  donate_argnums=(1,))

    def __call__(self, batches):
        if not self.enabled or self.choice == "single":
            return self.single(batches)
        if self.choice == "split":
            return self._run_split(batches)
        index, self._calls = self._calls, self._calls + 1
        if index < 2 * WARMUP:
            return (self._run_split if index < WARMUP else self.single)(batches)
        # NOTE: the trials alternate, so a busy spell of the machine slows both alike
        trial = index - 2 * WARMUP
        mode = "split" if trial % 2 == 0 else "single"
        run = self._run_split if mode == "split" else self.single
        self._wait(v._data for v in self._local_variables)
        start = time.perf_counter()
        logs = run(batches)
        self._wait(t._data for t in logs.values())
        self._times[mode].append((time.perf_counter() - start) / len(batches))
        if trial == 2 * TRIALS - 1:
            # NOTE: the fastest trial counts: a busy machine only ever slows a trial down
            faster = min(self._times["split"]) < min(self._times["single"])
            self.choice = "split" if faster else "single"
        return logs

    @property
    def choosing(self) -> bool:
        """True while the step is still timing the split and the one-program step."""
        return self.enabled and self.choice is None

    @staticmethod
    def _wait(arrays) -> None:
        backend = ENGINE.get_backend()
        for array in arrays:
            backend.block(array)

    def _run_split(self, batches):
        logs = None
        for batch in batches:
            parts = self._split(batch) if self.enabled else None
            logs = self.single([batch]) if parts is None else self._step(batch, parts)
        return logs

    def _split(self, batch):
        """Each device's slice of ``batch``'s arrays, or None when it does not split evenly."""
        x, y, sample_weight = batch
        arrays = list(x) + list(y) + ([] if sample_weight is None else [sample_weight])
        if not all(isinstance(a, np.ndarray) for a in arrays):
            return None
        n = len(self.devices)
        size = len(arrays[0])
        if size % n or size // n < MIN_PART or any(len(a) != size for a in arrays):
            return None
        part = size // n
        return [[a[i * part:(i + 1) * part] for a in arrays] for i in range(n)]

    def _step(self, batch, parts):
        backend = ENGINE.get_backend()
        x, y, sample_weight = batch
        nx, ny = len(x), len(y)
        values = [v._data for v in self._local_variables]
        results = []
        for device, arrays in zip(self.devices, parts):
            # NOTE: one transfer call for all the weights; the parts' NumPy arrays go to the
            # weights' device inside the compiled call (an explicit put per array cost about
            # 0.1 ms of Python each, while the other device waited for its dispatch)
            weights = values if device is self.devices[0] else backend.put(values, device)
            out, assigned = self._local.with_values(
                weights, arrays[:nx], arrays[nx:nx + ny],
                arrays[nx + ny] if sample_weight is not None else None)
            if any(value is not None for value in assigned):
                self.enabled = False  # NOTE: the model assigns variables while training
                return self.single([batch])
            results.append(out)
        first = self.devices[0]
        moved = [results[0]] + [_to_device(out, first, backend) for out in results[1:]]
        grads, y_pred, totals, losses = (list(z) for z in zip(*moved))
        return self._update(grads, list(y), y_pred, sample_weight, totals, losses)

    def _local_pass(self, x, y, sample_weight):
        """One part's gradients, predictions, total loss and per-output losses."""
        from layerflow.autodiff import GradientTape

        trainer = self.trainer
        trainable = trainer.model.trainable_weights
        with GradientTape() as tape:
            y_pred = trainer._call_model(x, training=True)
            total, parts = trainer.spec.total_loss(y, y_pred, sample_weight,
                                                   trainer.model.losses)
        grads = tape.gradient(total, trainable)
        self._kept["grads"] = [g is not None for g in grads]
        self._kept["parts"] = [p is not None for p in parts]
        return ([g for g in grads if g is not None], y_pred, total,
                [p for p in parts if p is not None])

    def _apply(self, grads, y, y_pred, sample_weight, totals, losses):
        """Average the parts' gradients and losses, step the optimizer, update the metrics."""
        from layerflow.ops.elementwise import add_n, mul
        from layerflow.ops.joining import concat

        trainer = self.trainer
        scale = 1.0 / len(grads)
        mean = [mul(add_n(list(g)), scale) for g in zip(*grads)]
        trainable = [w for w, kept in zip(trainer.model.trainable_weights, self._kept["grads"])
                     if kept]
        trainer.optimizer.apply_gradients(zip(mean, trainable))
        whole = [concat(list(p), axis=0) for p in zip(*y_pred)]
        total = mul(add_n(list(totals)), scale)
        means = iter([mul(add_n(list(p)), scale) for p in zip(*losses)])
        parts = [next(means) if kept else None for kept in self._kept["parts"]]
        trainer.spec.update_metrics(y, whole, sample_weight, total, parts, y[0].shape[0])
        return trainer.spec.results()


def _to_device(structure, device, backend):
    """``structure`` (lists of tensors) with every tensor copied to ``device``, in one
    transfer call."""
    from layerflow.engine.compile import flatten_ordered

    tensors, rebuild = flatten_ordered(structure)
    moved = backend.put([t._data for t in tensors], device)
    return rebuild([wrap(array, t.dtype) for array, t in zip(moved, tensors)])
