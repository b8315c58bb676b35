"""What ``compile`` resolves: one loss per output, metrics per output, the loss weights.

``LossSpec`` turns the ``loss=``, ``loss_weights=`` and ``metrics=`` arguments (strings in TF.js
or Keras spelling, functions, objects, lists or dicts keyed by output name) into per-output
loss objects and metric objects, names the logs as Keras 3 does (``loss``, ``<output>_loss``,
``<metric>`` or ``<output>_<metric>``) and computes the total loss of a batch.
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError


def _per_output(value, names: list[str], what: str) -> list:
    """``value`` for each output: one shared, a list in output order, or a dict by name."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise InvalidArgumentError(f"compile: {what} keys {unknown} are not outputs "
                                       f"{names}")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)) and (len(names) > 1 or (
            len(value) == 1 and what != "metrics")):
        if len(value) != len(names):
            raise InvalidArgumentError(f"compile: {what} has {len(value)} entries for "
                                       f"{len(names)} outputs {names}")
        return list(value)
    return [value] * len(names)


class LossSpec:
    """Losses, loss weights and metrics of a compiled model."""

    def __init__(self, loss, loss_weights, metrics, output_names: list[str]) -> None:
        from layerflow import losses as losses_module
        from layerflow import metrics as metrics_module

        self.output_names = list(output_names)
        self.losses = [None if item is None else losses_module.get(item)
                       for item in _per_output(loss, self.output_names, "loss")]
        if loss is not None and all(item is None for item in self.losses):
            raise InvalidArgumentError("compile: no loss for any output")
        weights = _per_output(loss_weights if loss_weights is not None else 1.0,
                              self.output_names, "loss_weights")
        self.loss_weights = [1.0 if w is None else float(w) for w in weights]
        self.loss_tracker = metrics_module.Mean(name="loss")
        multi = len(self.output_names) > 1
        self.output_loss_trackers = [metrics_module.Mean(name=f"{n}_loss") if multi else None
                                     for n in self.output_names]
        if isinstance(metrics, (list, tuple)) and len(self.output_names) > 1 and metrics and \
                all(isinstance(m, (list, tuple)) for m in metrics):
            per_output = list(metrics)
        elif isinstance(metrics, dict):
            per_output = _per_output(metrics, self.output_names, "metrics")
        else:
            per_output = [metrics] * len(self.output_names)
        self.metrics: list[list] = []
        for i, (name, items) in enumerate(zip(self.output_names, per_output)):
            if items is None:
                self.metrics.append([])
                continue
            items = items if isinstance(items, (list, tuple)) else [items]
            made = []
            for item in items:
                metric = metrics_module.get(item, loss=self.losses[i])
                if multi:
                    metric.name = f"{name}_{metric.name}"
                made.append(metric)
            self.metrics.append(made)

    @property
    def all_metrics(self) -> list:
        found = [self.loss_tracker]
        found += [t for t in self.output_loss_trackers if t is not None]
        for items in self.metrics:
            found.extend(items)
        return found

    @property
    def variables(self) -> list:
        return [v for metric in self.all_metrics for v in metric.variables]

    def total_loss(self, y_true: list, y_pred: list, sample_weight, regularization: list):
        """The weighted sum of the output losses plus regularization, and the per-output ones."""
        from layerflow.ops.elementwise import add, mul

        total, parts = None, []
        for loss, weight, yt, yp in zip(self.losses, self.loss_weights, y_true, y_pred):
            if loss is None or yt is None:
                parts.append(None)
                continue
            value = loss(yt, yp, sample_weight=sample_weight)
            parts.append(value)
            weighted = value if weight == 1.0 else mul(value, weight)
            total = weighted if total is None else add(total, weighted)
        if total is None:
            raise InvalidArgumentError("no loss to minimize: compile(loss=...) and pass y")
        for penalty in regularization:
            total = add(total, penalty)
        return total, parts

    def update_metrics(self, y_true, y_pred, sample_weight, total, parts, batch_size) -> None:
        self.loss_tracker.update_state(total, sample_weight=batch_size)
        for tracker, part in zip(self.output_loss_trackers, parts):
            if tracker is not None and part is not None:
                tracker.update_state(part, sample_weight=batch_size)
        for items, yt, yp in zip(self.metrics, y_true, y_pred):
            for metric in items:
                metric.update_state(yt, yp, sample_weight=sample_weight)

    def results(self) -> dict:
        return {m.name: m.result() for m in self.all_metrics}

    def reset(self) -> None:
        for m in self.all_metrics:
            m.reset_state()
