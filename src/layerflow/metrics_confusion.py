"""Confusion-matrix metrics (Precision, Recall, AUC, TP/FP/TN/FN), F-scores and R2Score, with
Keras 3's names, defaults and formulas.

Counts are accumulated per threshold by comparing the predictions with every threshold at once
(``pred > threshold``), all with ops, so the updates compile.

>>> m = Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> round(m.result().item(), 5)
0.66667
"""

from __future__ import annotations

from layerflow import metrics_functions as F
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.metrics_classes import Metric, _float
from layerflow.ops import elementwise as E
from layerflow.ops import logical as L
from layerflow.ops import math as M
from layerflow.ops import reduction as R
from layerflow.ops import shape as S
from layerflow.ops import slicing as SL
from layerflow.ops._define import as_tensor

__all__ = ["Precision", "Recall", "TruePositives", "FalsePositives", "TrueNegatives",
           "FalseNegatives", "AUC", "FBetaScore", "F1Score", "R2Score"]

NEG_INF = -1e10
_KEYS = ("tp", "fp", "tn", "fn")


def _thresholds(thresholds, default: float, where: str) -> list:
    values = [default] if thresholds is None else (
        list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds])
    if thresholds is not None:
        bad = [t for t in values if t is None or t < 0 or t > 1]
        if bad:
            raise InvalidArgumentError(f"{where}: threshold values must be in [0, 1], got {bad}")
    return [float(t) for t in values]


def _filter_top_k(x, k: int):
    from layerflow.ops.creation import one_hot
    from layerflow.ops.evaluation import topk

    indices = topk(x, k).indices
    mask = R.sum(one_hot(indices, x.shape[-1], dtype=x.dtype), axis=-2)
    return E.add(E.mul(x, mask), E.mul(E.sub(1.0, mask), NEG_INF))


def update_confusion_matrix(variables: dict, y_true, y_pred, thresholds, top_k=None,
                            class_id=None, sample_weight=None, multi_label=False,
                            label_weights=None, where: str = "metric") -> None:
    """Add the weighted true/false positive/negative counts at each threshold to
    ``variables`` (a dict with keys among ``'tp', 'fp', 'tn', 'fn'``)."""
    dtype = next(iter(variables.values())).dtype
    y_true = _float(y_true, "y_true", dtype)
    y_pred = _float(y_pred, "y_pred", dtype)
    y_pred, y_true = F.squeeze_or_expand_to_same_rank(y_pred, y_true)
    F._same_shape(y_true, y_pred, where)
    if sample_weight is not None:
        sample_weight = S.expand_dims(_float(sample_weight, "sample_weight", dtype), -1)
        _, sample_weight = F.squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                            expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if len(y_pred.shape) < 2:
            raise ShapeError(f"{where}: class_id needs y_pred of shape (samples, classes), "
                             f"got {y_pred.shape}")
        axis = len(y_pred.shape) - 1
        y_true = SL.gather(y_true, [class_id], axis=axis)
        y_pred = SL.gather(y_pred, [class_id], axis=axis)
    weights = None
    if sample_weight is not None:
        weights = S.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        lw = S.broadcast_to(S.expand_dims(as_tensor(label_weights, "label_weights", where,
                                                    dtype), 0), y_pred.shape)
        weights = lw if weights is None else E.mul(weights, lw)
    thr = as_tensor(list(thresholds), "thresholds", where, dtype)
    if multi_label:
        preds, labels = S.expand_dims(y_pred, 0), S.expand_dims(y_true, 0)
        thr = S.reshape(thr, [-1, 1, 1])
        weights = None if weights is None else S.expand_dims(weights, 0)
    else:
        preds, labels = S.reshape(y_pred, [1, -1]), S.reshape(y_true, [1, -1])
        thr = S.reshape(thr, [-1, 1])
        weights = None if weights is None else S.reshape(weights, [1, -1])
    pred_pos = L.greater(preds, thr)
    label_pos = L.not_equal(labels, 0.0)
    conditions = {"tp": (label_pos, pred_pos), "fp": (L.logical_not(label_pos), pred_pos),
                  "tn": (L.logical_not(label_pos), L.logical_not(pred_pos)),
                  "fn": (label_pos, L.logical_not(pred_pos))}
    for key, var in variables.items():
        label, pred = conditions[key]
        hit = E.cast(L.logical_and(label, pred), dtype)
        if weights is not None:
            hit = E.mul(hit, weights)
        var.assign(E.add(var, R.sum(hit, axis=1)))


class _Confusion(Metric):
    """Counts at thresholds; ``_counts`` names the variables, ``result`` combines them."""

    _counts: tuple = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None,
                 dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _thresholds(thresholds, default, self.name)
        n = len(self.thresholds)
        self._vars = {key: self.add_variable((n,), name) for key, name in self._counts}

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        update_confusion_matrix(self._vars, y_true, y_pred, self.thresholds, self.top_k,
                                self.class_id, sample_weight, where=self.name)

    def _single(self, value):
        return SL.gather(value, 0) if len(self.thresholds) == 1 else value

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_Confusion):
    """``tp / (tp + fp)`` at each threshold (default 0.5), optionally for the ``top_k``
    predictions or one ``class_id``.

    >>> m = Precision(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(m.result().item(), 4)
    0.6667
    """

    _counts = (("tp", "true_positives"), ("fp", "false_positives"))

    def result(self):
        tp, fp = self._vars["tp"], self._vars["fp"]
        return self._single(E.div_no_nan(tp, E.add(tp, fp)))


class Recall(_Confusion):
    """``tp / (tp + fn)`` at each threshold (default 0.5).

    >>> m = Recall(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(m.result().item(), 4)
    0.6667
    """

    _counts = (("tp", "true_positives"), ("fn", "false_negatives"))

    def result(self):
        tp, fn = self._vars["tp"], self._vars["fn"]
        return self._single(E.div_no_nan(tp, E.add(tp, fn)))


class _Count(_Confusion):
    def __init__(self, thresholds=None, name=None, dtype=None) -> None:
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)

    def result(self):
        return self._single(E.add(self._vars[self._counts[0][0]], 0.0))

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_Count):
    """Weighted count of true positives.

    >>> m = TruePositives(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result().item()
    2.0
    """

    _counts = (("tp", "accumulator"),)


class FalsePositives(_Count):
    """Weighted count of false positives.

    >>> m = FalsePositives(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result().item()
    1.0
    """

    _counts = (("fp", "accumulator"),)


class TrueNegatives(_Count):
    """Weighted count of true negatives.

    >>> m = TrueNegatives(); m.update_state([0, 1, 0, 1], [0, 0, 1, 1]); m.result().item()
    1.0
    """

    _counts = (("tn", "accumulator"),)


class FalseNegatives(_Count):
    """Weighted count of false negatives.

    >>> m = FalseNegatives(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result().item()
    1.0
    """

    _counts = (("fn", "accumulator"),)


class AUC(Metric):
    """Area under the ROC or PR curve, a Riemann sum over ``num_thresholds`` thresholds.

    Args:
        curve: ``'ROC'``, ``'PR'`` or ``'PRGAIN'``.
        summation_method: ``'interpolation'`` (PR: Davis & Goadrich's interpolation),
            ``'minoring'`` or ``'majoring'``.
        multi_label: one curve per label (then ``num_labels`` is required, so the variables
            exist before compiling), averaged (weighted by ``label_weights``).

    >>> m = AUC(num_thresholds=3); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> round(m.result().item(), 4)
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False) -> None:
        super().__init__(name=name, dtype=dtype)
        curves = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
        methods = ("interpolation", "majoring", "minoring")
        if str(curve).lower() not in curves:
            raise InvalidArgumentError(f"{self.name}: curve must be one of "
                                       f"{list(curves.values())}, got {curve!r}")
        if str(summation_method).lower() not in methods:
            raise InvalidArgumentError(f"{self.name}: summation_method must be one of "
                                       f"{list(methods)}, got {summation_method!r}")
        self.curve = curves[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_thresholds(thresholds, 0.5, self.name))
        else:
            if num_thresholds <= 1:
                raise InvalidArgumentError(f"{self.name}: num_thresholds must be > 1, got "
                                           f"{num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        self._thresholds = [0.0 - F.EPSILON] + inner + [1.0 + F.EPSILON]
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = label_weights
        self._from_logits = from_logits
        if multi_label and not num_labels:
            raise InvalidArgumentError(f"{self.name}: multi_label=True needs num_labels")
        if num_labels and not multi_label:
            raise InvalidArgumentError(f"{self.name}: num_labels is only for multi_label=True")
        shape = (self.num_thresholds, num_labels) if multi_label else (self.num_thresholds,)
        self._vars = {key: self.add_variable(shape, name) for key, name in (
            ("tp", "true_positives"), ("fp", "false_positives"), ("tn", "true_negatives"),
            ("fn", "false_negatives"))}

    @property
    def thresholds(self) -> list:
        return list(self._thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self._from_logits:
            y_pred = M.sigmoid(_float(y_pred, "y_pred", self.dtype))
        update_confusion_matrix(self._vars, y_true, y_pred, self._thresholds,
                                sample_weight=sample_weight, multi_label=self.multi_label,
                                label_weights=None if self.multi_label else self.label_weights,
                                where=self.name)

    def _by_label(self, terms):
        if not self.multi_label:
            return R.sum(terms)
        by_label = R.sum(terms, axis=0)
        if self.label_weights is None:
            return R.mean(by_label)
        weights = as_tensor(self.label_weights, "label_weights", self.name, self.dtype)
        return E.div_no_nan(R.sum(E.mul(by_label, weights)), R.sum(weights))

    def _interpolate_pr(self):
        tp, fp, fn = self._vars["tp"], self._vars["fp"], self._vars["fn"]
        dtp = E.sub(_head(tp), _tail(tp))
        p = E.add(tp, fp)
        dp = E.sub(_head(p), _tail(p))
        slope = E.div_no_nan(dtp, E.maximum(dp, 0.0))
        intercept = E.sub(_tail(tp), E.mul(slope, _tail(p)))
        both = L.logical_and(L.greater(_head(p), 0.0), L.greater(_tail(p), 0.0))
        ratio = L.where(both, E.div_no_nan(_head(p), E.maximum(_tail(p), 0.0)), 1.0)
        terms = E.div_no_nan(E.mul(slope, E.add(dtp, E.mul(intercept, E.log(ratio)))),
                             E.maximum(E.add(_tail(tp), _tail(fn)), 0.0))
        return self._by_label(terms)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr()
        tp, fp, tn, fn = (self._vars[k] for k in _KEYS)
        recall = E.div_no_nan(tp, E.add(tp, fn))
        if self.curve == "ROC":
            x, y = E.div_no_nan(fp, E.add(fp, tn)), recall
        elif self.curve == "PR":
            x, y = recall, E.div_no_nan(tp, E.add(tp, fp))
        else:
            scale = E.div_no_nan(E.add(tp, fn), E.add(tn, fp))
            no_tp = L.equal(tp, 0.0)
            x = E.maximum(L.where(no_tp, 0.0, E.sub(1.0, E.mul(scale, E.div_no_nan(fn, tp)))),
                          0.0)
            y = L.where(no_tp, 1.0, E.sub(1.0, E.mul(scale, E.div_no_nan(fp, tp))))
        if self.summation_method == "interpolation":
            heights = E.div(E.add(_head(y), _tail(y)), 2.0)
        elif self.summation_method == "minoring":
            heights = E.minimum(_head(y), _tail(y))
        else:
            heights = E.maximum(_head(y), _tail(y))
        return self._by_label(E.mul(E.sub(_head(x), _tail(x)), heights))

    def get_config(self) -> dict:
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "multi_label": self.multi_label, "num_labels": self.num_labels,
                  "label_weights": self.label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config


def _head(x):
    size = [x.shape[0] - 1] + [-1] * (len(x.shape) - 1)
    return SL.slice(x, [0] * len(x.shape), size)


def _tail(x):
    return SL.slice(x, [1] + [0] * (len(x.shape) - 1))


class FBetaScore(Metric):
    """F-beta score per class (``average=None``) or averaged (``'micro'``, ``'macro'``,
    ``'weighted'``). Predictions above ``threshold`` are positive; with ``threshold=None``,
    each row's largest prediction is.

    Its variables have one entry per class: they are made by :meth:`build` (called by the
    first ``update_state``), which must run eagerly before the metric is used in
    ``lf.compile``.

    >>> m = FBetaScore(beta=2.0, threshold=0.5, average='micro')
    >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.8], [0.1, 0.7]]); round(m.result().item(), 4)
    0.9091
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score",
                 dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise InvalidArgumentError(f"{self.name}: average must be None, 'micro', 'macro' "
                                       f"or 'weighted', got {average!r}")
        if not isinstance(beta, float) or beta <= 0.0:
            raise InvalidArgumentError(f"{self.name}: beta must be a float > 0, got {beta!r}")
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise InvalidArgumentError(f"{self.name}: threshold must be a float in (0, 1], "
                                       f"got {threshold!r}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self.built = False

    def build(self, y_true_shape=None, y_pred_shape=None) -> None:
        if self.built:
            return
        if y_pred_shape is None or len(y_pred_shape) != 2 or y_pred_shape[-1] is None:
            raise ShapeError(f"{self.name}: expects 2D inputs (batch_size, output_dim) with a "
                             f"known output_dim, got y_true shape {y_true_shape} and y_pred "
                             f"shape {y_pred_shape}")
        shape = (y_pred_shape[-1],) if self.average != "micro" else ()
        for name in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, name, self.add_variable(shape, name))
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true = _float(y_true, "y_true", self.dtype)
        y_pred = _float(y_pred, "y_pred", self.dtype)
        if len(y_true.shape) != 2:
            raise ShapeError(f"{self.name}: expects 2D inputs, got y_true shape "
                             f"{y_true.shape} and y_pred shape {y_pred.shape}")
        F._same_shape(y_true, y_pred, self.name)
        self.build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            top = R.max(y_pred, axis=-1, keepdims=True)
            pred = L.logical_and(L.greater_equal(y_pred, top), L.greater(M.abs(y_pred), 1e-9))
        else:
            pred = L.greater(y_pred, self.threshold)
        pred = E.cast(pred, self.dtype)
        if sample_weight is not None:
            sample_weight = S.expand_dims(_float(sample_weight, "sample_weight", self.dtype), 1)

        def weighted_sum(value):
            if sample_weight is not None:
                value = E.mul(value, sample_weight)
            return R.sum(value, axis=self.axis)

        self._add(self.true_positives, weighted_sum(E.mul(pred, y_true)))
        self._add(self.false_positives, weighted_sum(E.mul(pred, E.sub(1.0, y_true))))
        self._add(self.false_negatives, weighted_sum(E.mul(E.sub(1.0, pred), y_true)))
        self._add(self.intermediate_weights, weighted_sum(y_true))

    def result(self):
        if not self.built:
            return as_tensor(0.0, "result", self.name, self.dtype)
        eps, b2 = F.EPSILON, self.beta ** 2
        tp = self.true_positives
        precision = E.div(tp, E.add(E.add(tp, self.false_positives), eps))
        recall = E.div(tp, E.add(E.add(tp, self.false_negatives), eps))
        mean = E.div(E.mul(precision, recall), E.add(E.add(E.mul(precision, b2), recall), eps))
        score = E.mul(mean, 1.0 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights
            return R.sum(E.mul(score, E.div(w, E.add(R.sum(w), eps))))
        if self.average is not None:
            return R.mean(score)
        return score

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score (:class:`FBetaScore` with ``beta=1``).

    >>> m = F1Score(threshold=0.5, average='macro')
    >>> m.update_state([[1, 0], [0, 1]], [[0.9, 0.8], [0.1, 0.7]]); round(m.result().item(), 4)
    0.8333
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config


class R2Score(Metric):
    """Coefficient of determination over all samples seen, per output column, aggregated by
    ``class_aggregation`` (``'uniform_average'``, ``'variance_weighted_average'`` or None).

    Its per-column variables are made by :meth:`build` (called by the first eager
    ``update_state``).

    >>> m = R2Score(); m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]])
    >>> m.result().item()
    0.5
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise InvalidArgumentError(f"{self.name}: class_aggregation must be None, "
                                       "'uniform_average' or 'variance_weighted_average', got "
                                       f"{class_aggregation!r}")
        if num_regressors < 0:
            raise InvalidArgumentError(f"{self.name}: num_regressors must be >= 0, got "
                                       f"{num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "num_samples")
        self.built = False

    def build(self, y_true_shape=None, y_pred_shape=None) -> None:
        if self.built:
            return
        if y_pred_shape is None or len(y_pred_shape) != 2 or y_pred_shape[-1] is None:
            raise ShapeError(f"{self.name}: expects 2D inputs (batch_size, output_dim), got "
                             f"y_true shape {y_true_shape} and y_pred shape {y_pred_shape}")
        n = y_pred_shape[-1]
        self.squared_sum = self.add_variable((n,), "squared_sum")
        self.sum = self.add_variable((n,), "sum")
        self.total_mse = self.add_variable((n,), "residual")
        self.count = self.add_variable((n,), "count")
        self.built = True

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = F._pair(_float(y_true, "y_true", self.dtype),
                                 _float(y_pred, "y_pred", self.dtype), self.name)
        self.build(y_true.shape, y_pred.shape)
        weight = _float(1.0 if sample_weight is None else sample_weight, "sample_weight",
                        self.dtype)
        if len(weight.shape) == 1:
            weight = S.expand_dims(weight, 1)
        weight = S.broadcast_to(weight, y_true.shape)
        weighted = E.mul(y_true, weight)
        self._add(self.sum, R.sum(weighted, axis=0))
        self._add(self.squared_sum, R.sum(E.mul(y_true, weighted), axis=0))
        self._add(self.total_mse, R.sum(E.mul(E.square(E.sub(y_true, y_pred)), weight), axis=0))
        self._add(self.count, R.sum(weight, axis=0))
        self._add(self.num_samples, float(y_true.shape[0] * y_true.shape[1]))

    def result(self):
        if not self.built:
            return as_tensor(0.0, "result", self.name, self.dtype)
        mean = E.div(self.sum, self.count)
        total = E.sub(self.squared_sum, E.mul(self.sum, mean))
        raw = E.sub(1.0, E.div(self.total_mse, total))
        raw = L.where(M.is_inf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = R.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = E.div(R.sum(E.mul(total, raw)), R.sum(total))
        else:
            score = raw
        if self.num_regressors:
            # NOTE: Keras falls back to plain R2 when n - 1 <= p; chosen here with ops.
            n, p = self.num_samples, float(self.num_regressors)
            adjusted = E.sub(1.0, E.div(E.mul(E.sub(1.0, score), E.sub(n, 1.0)),
                                        E.sub(E.sub(n, p), 1.0)))
            score = L.where(L.greater(E.sub(n, 1.0), p), adjusted, score)
        return score

    def get_config(self) -> dict:
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
