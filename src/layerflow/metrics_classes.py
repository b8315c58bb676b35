"""Stateful metrics: the :class:`Metric` base, ``Mean``/``Sum`` and the mean-of-a-function
metrics (accuracies, regression errors, crossentropies), with Keras 3's names and formulas.

A metric keeps its state in non-trainable :class:`~layerflow.Variable` objects (``metric.
variables``) and changes it only with ``Variable.assign`` of op results, so ``update_state``
runs eagerly or inside ``lf.compile(step, variables=metric.variables)`` alike.

>>> import layerflow as lf
>>> m = Mean()
>>> m.update_state([1.0, 2.0, 3.0])
>>> m.update_state(lf.tensor(9.0), sample_weight=3)
>>> m.result().item()
5.5
"""

from __future__ import annotations

from layerflow import metrics_functions as F
from layerflow import serialization
from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.errors import InvalidArgumentError
from layerflow.ops import elementwise as E
from layerflow.ops import reduction as R
from layerflow.ops import shape as S
from layerflow.ops._define import as_tensor

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
           "CosineSimilarity", "LogCoshError", "Hinge", "SquaredHinge", "CategoricalHinge",
           "KLDivergence", "Poisson", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy"]

KIND = "metric"


class Metric:
    """Base of stateful metrics: ``update_state(...)`` accumulates, ``result()`` reads,
    ``reset_state()`` zeroes the variables.

    Subclasses create their state with :meth:`add_variable` in ``__init__`` (or in
    :meth:`build`, where the shapes depend on the data: then ``built`` is False until then).

    >>> import layerflow as lf
    >>> class Count(Metric):
    ...     def __init__(self, name='count', dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.n = self.add_variable((), 'n')
    ...     def update_state(self, values):
    ...         self.n.assign(self.n + lf.cast(lf.tensor(values).size, 'float32'))
    ...     def result(self):
    ...         return self.n
    >>> c = Count(); c.update_state([1, 2]); c.result().item()
    2.0
    """

    _registry_kind = KIND

    def __init__(self, name=None, dtype=None) -> None:
        self.name = name or serialization.to_snake_case(type(self).__name__)
        self.dtype = dtypes.canonical(dtype or "float32")
        self._variables: list = []
        self.built = True

    def add_variable(self, shape, name: str, dtype=None):
        """A zero-initialised, non-trainable variable tracked in :attr:`variables`."""
        from layerflow.ops.creation import variable, zeros

        if ENGINE.trace_depth:
            raise InvalidArgumentError(
                f"{self.name}: its variables depend on the data's shapes and cannot be made "
                "inside lf.compile; call metric.build(y_true_shape, y_pred_shape) (or one "
                "eager update_state) before compiling")
        v = variable(zeros(list(shape), dtype or self.dtype), trainable=False,
                     name=f"{self.name}/{name}")
        self._variables.append(v)
        return v

    @property
    def variables(self) -> list:
        """The state variables (non-trainable)."""
        return list(self._variables)

    def build(self, y_true_shape=None, y_pred_shape=None) -> None:
        """Create data-dependent variables (a no-op for most metrics)."""
        self.built = True

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__}.update_state is not implemented")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__}.result is not implemented")

    def reset_state(self) -> None:
        """Zero every variable."""
        from layerflow.ops.creation import zeros

        for v in self._variables:
            v.assign(zeros(list(v.shape), v.dtype))

    def __call__(self, *args, **kwargs):
        """``update_state(...)`` then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def _add(self, var, value) -> None:
        var.assign(E.add(var, E.cast(value, var.dtype)))

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _float(x, name: str, dtype: str):
    t = as_tensor(x, name, "metric", dtype if isinstance(x, (int, float)) else None)
    return t if t.dtype == dtype else E.cast(t, dtype)


def _samplewise(values, sample_weight, reduce_fn, dtype: str):
    """Keras's ``reduce_to_samplewise_values``: per-sample values (weighted) and weights."""
    values = _float(values, "values", dtype)
    if sample_weight is not None:
        sample_weight = _float(sample_weight, "sample_weight", dtype)
        values, sample_weight = F.squeeze_or_expand_to_same_rank(values, sample_weight)
        w_rank, v_rank = len(sample_weight.shape), len(values.shape)
        if v_rank > w_rank:
            values = reduce_fn(values, axis=list(range(w_rank, v_rank)))
        sample_weight = S.broadcast_to(sample_weight, values.shape)
        values = E.mul(values, sample_weight)
        if w_rank > 1:
            sample_weight = reduce_fn(sample_weight, axis=list(range(1, w_rank)))
    if len(values.shape) > 1:
        values = reduce_fn(values, axis=list(range(1, len(values.shape))))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of all values seen.

    >>> m = Sum(); m.update_state([1.0, 2.0]); m.update_state([3.0], sample_weight=[2.0])
    >>> m.result().item()
    9.0
    """

    def __init__(self, name="sum", dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "total")

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = _samplewise(values, sample_weight, R.sum, self.dtype)
        self._add(self.total, R.sum(values))

    def result(self):
        return E.add(self.total, 0.0)


class Mean(Metric):
    """The (weighted) mean of all values seen: ``sum(w v) / sum(w)``.

    ``sample_weight`` may be a Python number (the trainer passes the batch size with each
    batch's mean loss).

    >>> m = Mean(); m.update_state([1.0, 3.0]); m.update_state(6.0, sample_weight=2)
    >>> m.result().item()
    4.0
    """

    def __init__(self, name="mean", dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "total")
        self.count = self.add_variable((), "count")

    def update_state(self, values, sample_weight=None) -> None:
        values, sample_weight = _samplewise(values, sample_weight, R.mean, self.dtype)
        self._add(self.total, R.sum(values))
        if sample_weight is not None:
            count = R.sum(sample_weight)
        elif len(values.shape) >= 1:
            count = as_tensor(float(values.shape[0]), "count", "Mean", self.dtype)
        else:
            count = as_tensor(1.0, "count", "Mean", self.dtype)
        self._add(self.count, count)

    def result(self):
        return E.div_no_nan(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The mean of a per-sample function ``fn(y_true, y_pred, **kwargs)`` over all samples.

    Args:
        fn: the function, or the name of one of :mod:`layerflow.metrics_functions`.
        name: default: the function's name.

    >>> from layerflow import metrics_functions as F
    >>> m = MeanMetricWrapper(F.mean_absolute_error)
    >>> m.update_state([[1.0, 2.0]], [[2.0, 4.0]]); m.name, m.result().item()
    ('mean_absolute_error', 1.5)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs) -> None:
        fn = fn if callable(fn) else F.function_by_name(fn)
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        for key, value in kwargs.items():
            setattr(self, key, value)

    def _values(self, y_true, y_pred, sample_weight):
        return self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        values, sample_weight = self._values(y_true, y_pred, sample_weight)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", repr(self._fn))
        config.update(self._fn_kwargs)
        return config


# -- accuracy ----------------------------------------------------------------------------------
class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly.

    >>> m = Accuracy(); m.update_state([1, 2, 3, 4], [0, 2, 3, 4]); m.result().item()
    0.75
    """

    def __init__(self, name="accuracy", dtype=None) -> None:
        super().__init__(F.accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches the 0/1 label.

    >>> m = BinaryAccuracy(); m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result().item()
    0.75
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5) -> None:
        super().__init__(F._binary_matches, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` equals ``argmax(y_true)`` (one-hot labels).

    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result().item()
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None) -> None:
        super().__init__(F.categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` equals the integer label.

    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]); m.result().item()
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None) -> None:
        super().__init__(F.sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the ``k`` top predictions.

    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result().item()
    0.5
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None) -> None:
        super().__init__(F.top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` top predictions.

    >>> m = SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]); m.result().item()
    0.5
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None) -> None:
        super().__init__(F.sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


# -- regression ---------------------------------------------------------------------------------
class MeanSquaredError(MeanMetricWrapper):
    """Mean squared error over all samples seen.

    >>> m = MeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result().item()
    0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None) -> None:
        super().__init__(F.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean absolute error over all samples seen.

    >>> m = MeanAbsoluteError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result().item()
    0.25
    """

    def __init__(self, name="mean_absolute_error", dtype=None) -> None:
        super().__init__(F.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean absolute percentage error over all samples seen.

    >>> m = MeanAbsolutePercentageError(); m.update_state([[2.0]], [[1.0]]); m.result().item()
    50.0
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None) -> None:
        super().__init__(F.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Mean squared logarithmic error over all samples seen.

    >>> m = MeanSquaredLogarithmicError(); m.update_state([[1.0]], [[1.0]]); m.result().item()
    0.0
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None) -> None:
        super().__init__(F.mean_squared_logarithmic_error, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the (weighted) mean of squared errors.

    >>> m = RootMeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result().item()
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = F._pair(y_true, y_pred, self.name)
        super().update_state(E.square(E.sub(y_pred, y_true)), sample_weight=sample_weight)

    def result(self):
        return E.sqrt(super().result())


class CosineSimilarity(MeanMetricWrapper):
    """Mean cosine similarity of ``y_true`` and ``y_pred`` along ``axis``.

    >>> m = CosineSimilarity(); m.update_state([[0.0, 1.0]], [[0.0, 2.0]]); m.result().item()
    1.0
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1) -> None:
        super().__init__(F.cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(MeanMetricWrapper):
    """Mean of ``log(cosh(error))``.

    >>> m = LogCoshError(); m.update_state([[0.0]], [[0.0]]); m.result().item()
    0.0
    """

    def __init__(self, name="logcosh", dtype=None) -> None:
        super().__init__(F.log_cosh, name=name, dtype=dtype)


# -- hinge and probabilistic -------------------------------------------------------------
class Hinge(MeanMetricWrapper):
    """Mean hinge loss.

    >>> m = Hinge(); m.update_state([[1.0, 0.0]], [[0.5, -0.5]]); m.result().item()
    0.5
    """

    def __init__(self, name="hinge", dtype=None) -> None:
        super().__init__(F.hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Mean squared hinge loss.

    >>> m = SquaredHinge(); m.update_state([[1.0, 0.0]], [[0.5, -0.5]]); m.result().item()
    0.25
    """

    def __init__(self, name="squared_hinge", dtype=None) -> None:
        super().__init__(F.squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Mean categorical hinge loss.

    >>> m = CategoricalHinge(); m.update_state([[0.0, 1.0]], [[0.0, 1.0]]); m.result().item()
    0.0
    """

    def __init__(self, name="categorical_hinge", dtype=None) -> None:
        super().__init__(F.categorical_hinge, name=name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """Mean Kullback-Leibler divergence.

    >>> m = KLDivergence(); m.update_state([[0.5, 0.5]], [[0.5, 0.5]]); m.result().item()
    0.0
    """

    def __init__(self, name="kl_divergence", dtype=None) -> None:
        super().__init__(F.kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Mean Poisson loss.

    >>> m = Poisson(); m.update_state([[0.0]], [[1.0]]); m.result().item()
    1.0
    """

    def __init__(self, name="poisson", dtype=None) -> None:
        super().__init__(F.poisson, name=name, dtype=dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """Mean binary crossentropy.

    >>> m = BinaryCrossentropy(); m.update_state([[1.0]], [[0.5]]); round(m.result().item(), 5)
    0.69315
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0) -> None:
        super().__init__(F.binary_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Mean categorical crossentropy.

    >>> m = CategoricalCrossentropy(); m.update_state([[0, 1]], [[0.5, 0.5]])
    >>> round(m.result().item(), 5)
    0.69315
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1) -> None:
        super().__init__(F.categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Mean sparse categorical crossentropy.

    >>> m = SparseCategoricalCrossentropy(); m.update_state([1], [[0.5, 0.5]])
    >>> round(m.result().item(), 5)
    0.69315
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1) -> None:
        super().__init__(F.sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def _values(self, y_true, y_pred, sample_weight):
        values, mask = F._sparse_ce_and_mask(y_true, y_pred, self.from_logits,
                                             self.ignore_class, self.axis)
        if mask is not None and sample_weight is not None:
            # NOTE: Keras folds the ignore_class mask in only when weights are given.
            sample_weight = _float(sample_weight, "sample_weight", self.dtype)
            mask, sample_weight = F.squeeze_or_expand_to_same_rank(
                E.cast(mask, self.dtype), sample_weight)
            sample_weight = E.mul(sample_weight, mask)
        return values, sample_weight
