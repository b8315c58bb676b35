"""Losses (``lf.losses``): TF.js's functional losses and Keras 3's loss classes.

Two families share this namespace, as STYLE.md says lowercase and capitalised names differ:

- the lowercase functions are TF.js's ``tf.losses.*`` (``mean_squared_error(labels,
  predictions, weights=None, reduction=...)``), reduced at once with a :class:`Reduction`
  (:mod:`layerflow.ops.losses`, re-exported here unchanged);
- the classes are Keras 3's (``MeanSquaredError(reduction='sum_over_batch_size')``): objects
  called as ``loss(y_true, y_pred, sample_weight=None)`` that compute a per-sample value with a
  function of :mod:`layerflow.metrics_functions`, weight it, and reduce it. ``compile(loss=...)``
  resolves its argument with :func:`get`, which accepts TF.js's compile strings
  (``'meanSquaredError'``, ``'kullbackLeiblerDivergence'``...), Keras's (``'mse'``,
  ``'huber'``...), class names, classes, instances, functions and config dicts.

Reductions (Keras 3): ``'sum_over_batch_size'`` and ``'mean'`` divide the sum of the weighted
per-sample values by how many there are; ``'sum'`` sums; ``'mean_with_sample_weight'`` divides
by the sum of the weights; ``'none'`` / ``None`` return the weighted values.

>>> import layerflow as lf
>>> from layerflow.losses import MeanSquaredError, get
>>> MeanSquaredError()(lf.tensor([[0.0, 1.0]]), lf.tensor([[1.0, 1.0]])).item()
0.5
>>> get('meanAbsoluteError')
MeanAbsoluteError(name='mean_absolute_error', reduction='sum_over_batch_size')
"""

from __future__ import annotations

import inspect

from layerflow import metrics_functions as F
from layerflow import serialization
from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE as _ENGINE
from layerflow.engine.tape import partial_grad as _partial_grad
from layerflow.errors import InvalidArgumentError
from layerflow.ops import elementwise as E
from layerflow.ops import logical as L
from layerflow.ops import reduction as R
from layerflow.ops._define import as_tensor, shape_size
from layerflow.ops._define import run as _run
from layerflow.ops.losses import *  # noqa: F403  (TF.js's tf.losses.*, re-exported)
from layerflow.ops.losses import __all__ as _functional_all

KIND = "loss"
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

__all__ = list(_functional_all) + [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Hinge", "SquaredHinge",
    "CategoricalHinge", "LogCosh", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy",
    "KLDivergence", "Poisson", "CosineSimilarity", "Huber", "reduce_weighted_values", "get",
    "serialize", "deserialize"]


# -- reduction ------------------------------------------------------------------------------------
def _standardize_reduction(reduction, where: str = "Loss"):
    if reduction not in REDUCTIONS:
        raise InvalidArgumentError(f"{where}: unknown reduction {reduction!r}; expected one of "
                                   f"{list(REDUCTIONS)}")
    return reduction


def _size(x):
    size = shape_size(x.shape)
    if size is not None:
        return float(size)
    from layerflow.ops.creation import ones_like

    return R.sum(ones_like(x))


def _apply_mask(sample_weight, mask, dtype: str, reduction):
    """Fold a mask into the sample weights (Keras): for the means, valid entries weigh
    ``total / valid`` so the mean runs over the valid entries only."""
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        valid = R.sum(E.cast(mask, dtype))
        scale = E.div_no_nan(E.cast(as_tensor(_size(mask)), dtype), valid)
        float_mask = L.where(mask, scale, 0.0)
    else:
        float_mask = E.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = F.squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return E.mul(sample_weight, float_mask)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype: str = "float32"):
    """Weight per-sample ``values`` by ``sample_weight`` (ranks aligned as Keras does) and
    reduce them.

    >>> reduce_weighted_values([1.0, 2.0, 3.0], [1.0, 0.0, 1.0]).item()
    1.3333333730697632
    """
    reduction = _standardize_reduction(reduction, "reduce_weighted_values")
    values = as_tensor(values, "values", "reduce_weighted_values")
    if values.dtype != dtype:
        values = E.cast(values, dtype)
    if sample_weight is not None:
        sample_weight = as_tensor(sample_weight, "sample_weight", "reduce_weighted_values")
        if sample_weight.dtype != dtype:
            sample_weight = E.cast(sample_weight, dtype)
    sample_weight = _apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = F.squeeze_or_expand_to_same_rank(values, sample_weight)
        values = E.mul(values, sample_weight)
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = R.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return E.div_no_nan(total, R.sum(sample_weight))
    return E.div_no_nan(total, E.cast(as_tensor(_size(values)), dtype))


# -- the base classes ----------------------------------------------------------------------------
class Loss:
    """Base of the Keras-style losses: ``__call__`` computes :meth:`call`'s per-sample values,
    weights and reduces them.

    Args:
        name: the loss's name (default: the class name in snake_case).
        reduction: ``'sum_over_batch_size'`` (default), ``'sum'``, ``'mean'``,
            ``'mean_with_sample_weight'``, ``'none'`` or ``None``.
        dtype: the dtype of the computation (default ``'float32'``).

    >>> import layerflow as lf
    >>> class Diff(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return lf.sub(y_pred, y_true)
    >>> Diff(reduction='sum')([1.0, 2.0], [2.0, 4.0]).item()
    3.0
    """

    _registry_kind = KIND

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None) -> None:
        self.name = name or serialization.to_snake_case(type(self).__name__)
        self.reduction = _standardize_reduction(reduction, type(self).__name__)
        self.dtype = dtypes.canonical(dtype or "float32")

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = as_tensor(y_pred, "y_pred", self.name)
        y_true = as_tensor(y_true, "y_true", self.name)
        if y_pred.dtype != self.dtype:
            y_pred = E.cast(y_pred, self.dtype)
        if y_true.dtype != self.dtype:
            y_true = E.cast(y_true, self.dtype)
        values, mask = self._call_with_mask(y_true, y_pred)
        return reduce_weighted_values(values, sample_weight, mask, self.reduction, self.dtype)

    def _call_with_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        """The per-sample loss values; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__}.call is not implemented")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _function(fn):
    """A per-sample function from a function or its registered name."""
    if callable(fn):
        return fn
    if str(fn).lower() in ("crossentropy", "ce"):
        return _auto_crossentropy
    return F.function_by_name(fn)


class LossFunctionWrapper(Loss):
    """A :class:`Loss` made from a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    >>> import layerflow as lf
    >>> from layerflow import metrics_functions as F
    >>> LossFunctionWrapper(F.mean_absolute_error)([[1.0, 2.0]], [[2.0, 4.0]]).item()
    1.5
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None,
                 **kwargs) -> None:
        fn = _function(fn)
        if name is None and type(self) is LossFunctionWrapper:
            name = getattr(fn, "__name__", None)
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        for key, value in kwargs.items():
            setattr(self, key, value)

    def call(self, y_true, y_pred):
        y_true, y_pred = F.squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = getattr(self.fn, "__name__", repr(self.fn))
        config.update(self._fn_kwargs)
        return config


# -- Keras's loss classes ------------------------------------------------------------------------
class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (Keras ``MeanSquaredError``; TF.js ``'meanSquaredError'``).

    >>> MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]).item()
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error",
                 dtype=None) -> None:
        super().__init__(F.mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors.

    >>> MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 1.0]]).item()
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error",
                 dtype=None) -> None:
        super().__init__(F.mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error.

    >>> MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 4.0]]).item()
    25.0
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None) -> None:
        super().__init__(F.mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error.

    >>> MeanSquaredLogarithmicError()([[1.0]], [[1.0]]).item()
    0.0
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None) -> None:
        super().__init__(F.mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Minus the cosine similarity along ``axis`` (TF.js ``'cosineProximity'``).

    >>> CosineSimilarity()([[1.0, 0.0]], [[3.0, 0.0]]).item()
    -1.0
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None) -> None:
        super().__init__(F.cosine_proximity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic within ``delta``, linear beyond.

    >>> Huber()([[0.0, 0.0]], [[0.5, 3.0]]).item()
    1.3125
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None) -> None:
        super().__init__(F.huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Mean of ``log(cosh(error))``.

    >>> round(LogCosh()([[0.0]], [[1.0]]).item(), 5)
    0.43378
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None) -> None:
        super().__init__(F.log_cosh, reduction=reduction, name=name, dtype=dtype)


class Hinge(LossFunctionWrapper):
    """Hinge loss; 0/1 labels become -1/1.

    >>> Hinge()([[1.0, 0.0]], [[0.5, -0.5]]).item()
    0.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None) -> None:
        super().__init__(F.hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss; 0/1 labels become -1/1.

    >>> SquaredHinge()([[1.0, 0.0]], [[0.5, -0.5]]).item()
    0.25
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge",
                 dtype=None) -> None:
        super().__init__(F.squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss.

    >>> round(CategoricalHinge()([[0.0, 1.0]], [[0.3, 0.6]]).item(), 5)
    0.7
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge",
                 dtype=None) -> None:
        super().__init__(F.categorical_hinge, reduction=reduction, name=name, dtype=dtype)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence (TF.js ``'kullbackLeiblerDivergence'``).

    >>> round(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]]).item(), 5)
    0.14384
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence",
                 dtype=None) -> None:
        super().__init__(F.kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss ``mean(y_pred - y_true log(y_pred + eps))``.

    >>> round(Poisson()([[1.0]], [[1.0]]).item(), 5)
    1.0
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None) -> None:
        super().__init__(F.poisson, reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy of probabilities (or logits with ``from_logits=True``).

    >>> round(BinaryCrossentropy()([[1.0]], [[0.5]]).item(), 5)
    0.69315
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy",
                 dtype=None) -> None:
        super().__init__(F.binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal crossentropy (down-weights easy examples by ``(1 - p_t)^gamma``).

    >>> round(BinaryFocalCrossentropy()([[1.0]], [[0.5]]).item(), 5)
    0.17329
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None) -> None:
        super().__init__(F.binary_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, apply_class_balancing=apply_class_balancing, alpha=alpha,
                         gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy of one-hot labels and class probabilities (or logits).

    >>> round(CategoricalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]]).item(), 5)
    0.69315
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy",
                 dtype=None) -> None:
        super().__init__(F.categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)

    def __call__(self, y_true, y_pred, sample_weight=None):
        # NOTE: the training default (probabilities, last axis, mean over the batch) as one op
        # with one gradient kernel instead of ~40 small ops; same numbers (see _cce_mean).
        if (sample_weight is None and not self.from_logits and not self.label_smoothing
                and self.reduction in ("sum_over_batch_size", "mean")
                and dtypes.is_float(self.dtype)):
            y_pred = as_tensor(y_pred, "y_pred", self.name)
            y_true = as_tensor(y_true, "y_true", self.name)
            shape = y_pred.shape
            if (not y_pred._symbolic and not y_true._symbolic and y_true.shape == shape
                    and len(shape) >= 2 and self.axis in (-1, len(shape) - 1)
                    and shape_size(shape)):
                if y_pred.dtype != self.dtype:
                    y_pred = E.cast(y_pred, self.dtype)
                if y_true.dtype != self.dtype:
                    y_true = E.cast(y_true, self.dtype)
                return _cce_mean(y_true, y_pred)
        return super().__call__(y_true, y_pred, sample_weight)


_CCE_ATTRS = {"lo": F.EPSILON, "hi": 1.0 - F.EPSILON}


def _cce_mean(y_true, y_pred):
    """``reduce_weighted_values(categorical_crossentropy(y_true, y_pred))`` as one op."""
    return _run("categorical_crossentropy_mean", (y_true, y_pred), (), y_pred.dtype,
                _CCE_ATTRS, grad=_cce_mean_grad)


@_partial_grad
def _cce_mean_grad(dy, inputs, out, attrs, needs=(True, True)):
    y_true, y_pred = inputs
    if needs[0] or any(tape.recording for tape in _ENGINE.tapes):
        # NOTE: the kernel gives no gradient for y_true and cannot be differentiated again:
        # there (rare), differentiate the composite the fused op stands for.
        from layerflow.autodiff import GradientTape

        with GradientTape(watch_accessed_variables=False) as tape:
            tape.watch([y_true, y_pred])
            value = reduce_weighted_values(F.categorical_crossentropy(y_true, y_pred),
                                           dtype=y_pred.dtype)
        return tuple(tape.gradient(value, [y_true, y_pred], output_gradients=[dy]))
    return None, _run("categorical_crossentropy_mean_grad", (y_true, y_pred, dy),
                      y_pred.shape, y_pred.dtype, attrs)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal crossentropy.

    >>> round(CategoricalFocalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]]).item(), 5)
    0.04332
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size",
                 name="categorical_focal_crossentropy", dtype=None) -> None:
        super().__init__(F.categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy of integer labels and class probabilities (or logits); entries labelled
    ``ignore_class`` are left out of the loss and of the mean.

    >>> round(SparseCategoricalCrossentropy()([1], [[0.5, 0.5]]).item(), 5)
    0.69315
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None) -> None:
        super().__init__(F.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)

    def _call_with_mask(self, y_true, y_pred):
        y_true, y_pred = F.squeeze_or_expand_to_same_rank(y_true, y_pred)
        return F._sparse_ce_and_mask(y_true, y_pred, self.from_logits, self.ignore_class,
                                     self.axis)


# -- resolution ---------------------------------------------------------------------------------
def _auto_crossentropy(y_true, y_pred):
    """``'crossentropy'`` / ``'ce'``: binary, sparse or categorical by the shapes (Keras 3)."""
    return _by_shapes(y_true, y_pred, F.binary_crossentropy,
                      F.sparse_categorical_crossentropy, F.categorical_crossentropy)


def _by_shapes(y_true, y_pred, binary, sparse, categorical):
    y_true = as_tensor(y_true, "y_true", "crossentropy")
    y_pred = as_tensor(y_pred, "y_pred", "crossentropy")
    last_pred = y_pred.shape[-1] if y_pred.shape else 1
    last_true = y_true.shape[-1] if y_true.shape else 1
    if last_pred == 1:
        return binary(y_true, y_pred)
    if len(y_true.shape) < len(y_pred.shape) or (last_true == 1 and last_pred > 1):
        return sparse(y_true, y_pred)
    return categorical(y_true, y_pred)


_CLASSES = [Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, Huber,
            LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
            BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
            CategoricalFocalCrossentropy, SparseCategoricalCrossentropy]
_ALIASES = {MeanSquaredError: ("mse",), MeanAbsoluteError: ("mae",),
            MeanAbsolutePercentageError: ("mape",), MeanSquaredLogarithmicError: ("msle",),
            KLDivergence: ("kld", "kullback_leibler_divergence"),
            CosineSimilarity: ("cosine_proximity", "cosine"), LogCosh: ("logcosh",),
            Huber: ("huber_loss",), BinaryCrossentropy: ("bce",)}
for _cls in _CLASSES:
    serialization.register(KIND, serialization.to_snake_case(_cls.__name__), _cls,
                           aliases=(_cls.__name__, *_ALIASES.get(_cls, ())))


def get(identifier, custom_objects: dict | None = None):
    """A :class:`Loss` from a name (TF.js or Keras spelling), class, instance, function or
    config dict (what ``compile(loss=...)`` accepts).

    >>> get('categoricalCrossentropy').name
    'categorical_crossentropy'
    >>> get(MeanSquaredError).reduction
    'sum_over_batch_size'
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if inspect.isclass(identifier):
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in ("crossentropy", "ce"):
            return LossFunctionWrapper(_auto_crossentropy, name=identifier)
        found = serialization.lookup(KIND, identifier, custom_objects)
        if inspect.isclass(found):
            return found()
        return found if isinstance(found, Loss) else LossFunctionWrapper(found, name=identifier)
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise InvalidArgumentError(f"could not interpret loss {identifier!r}: expected a name, a "
                               "Loss, a class, a function or a config dict")


def serialize(loss) -> dict:
    """``{"class_name": ..., "config": ...}`` of a loss.

    >>> serialize(Huber())['config']['delta']
    1.0
    """
    return serialization.serialize(loss)


def deserialize(config, custom_objects: dict | None = None):
    """A loss from :func:`serialize`'s dict (or a name).

    >>> deserialize({'class_name': 'Huber', 'config': {'delta': 2.0}}).delta
    2.0
    """
    return get(serialization.deserialize(KIND, config, custom_objects))
