"""Per-sample loss and metric functions (``lf.metrics.mean_squared_error(y_true, y_pred)``...).

These are TF.js's ``tf.metrics.*`` and Keras 3's ``keras.metrics.*`` / ``keras.losses.*``
functions: each takes ``(y_true, y_pred)`` and returns one value per sample (the last axis
reduced), unreduced over the batch. The Keras loss classes of :mod:`layerflow.losses` and the
metric classes of :mod:`layerflow.metrics` are built on them. (``lf.losses.mean_squared_error``
is TF.js's *reduced* functional loss, a different function; see :mod:`layerflow.ops.losses`.)

Formulas, epsilons (1e-7) and clipping are Keras 3's; all are written with layerflow ops, so
they differentiate and run inside ``lf.compile``.

>>> import layerflow as lf
>>> from layerflow import metrics_functions as F
>>> F.mean_squared_error([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]).array_sync()
[0.5, 0.5]
"""

from __future__ import annotations

import math

from layerflow.engine import dtypes
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.ops import elementwise as E
from layerflow.ops import logical as L
from layerflow.ops import math as M
from layerflow.ops import reduction as R
from layerflow.ops import shape as S
from layerflow.ops._define import as_tensor, normalize_axis

__all__ = ["EPSILON", "squeeze_or_expand_to_same_rank", "l2_normalize", "mean_squared_error",
           "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle",
           "MSLE", "huber", "log_cosh", "logcosh", "hinge", "squared_hinge",
           "categorical_hinge", "kl_divergence", "kld", "kullback_leibler_divergence",
           "poisson", "cosine_similarity", "cosine_proximity", "cosine",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "binary_focal_crossentropy", "categorical_focal_crossentropy", "accuracy",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "precision",
           "recall", "r2_score", "function_by_name"]

EPSILON = 1e-7  # NOTE: keras.backend.epsilon() and TF.js's epsilon()


# -- input handling ---------------------------------------------------------------------------
def _float(x, name: str, op: str):
    t = as_tensor(x, name, op)
    return t if dtypes.is_float(t.dtype) else E.cast(t, "float32")


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1: bool = True):
    """Keras's rule: when the ranks differ by one and the longer one ends in 1, squeeze that
    axis (or, for a rank-1 partner, expand it instead).

    >>> import layerflow as lf
    >>> a, b = squeeze_or_expand_to_same_rank(lf.zeros([3]), lf.zeros([3, 1]))
    >>> a.shape, b.shape
    ((3, 1), (3, 1))
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = S.expand_dims(x2, -1)
        else:
            x1 = S.squeeze(x1, [-1])
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = S.expand_dims(x1, -1)
        else:
            x2 = S.squeeze(x2, [-1])
    return x1, x2


def _same_shape(a, b, op: str, names=("y_true", "y_pred")) -> None:
    if len(a.shape) != len(b.shape) or any(
            x != y and x is not None and y is not None for x, y in zip(a.shape, b.shape)):
        raise ShapeError(f"{op}: {names[0]} shape {tuple(a.shape)} and {names[1]} shape "
                         f"{tuple(b.shape)} must match")


def _pair(y_true, y_pred, op: str):
    """``y_pred`` as floats, ``y_true`` in its dtype, ranks aligned, shapes checked."""
    y_pred = _float(y_pred, "y_pred", op)
    y_true = as_tensor(y_true, "y_true", op)
    if y_true.dtype != y_pred.dtype:
        y_true = E.cast(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _same_shape(y_true, y_pred, op)
    return y_true, y_pred


def l2_normalize(x, axis: int = -1):
    """``x * min(rsqrt(sum(x^2, axis)), 1 / eps)`` (Keras's ``normalize``).

    >>> import layerflow as lf
    >>> [round(v, 5) for v in l2_normalize(lf.tensor([3.0, 4.0])).array_sync()]
    [0.6, 0.8]
    """
    x = _float(x, "x", "l2_normalize")
    square_sum = R.sum(E.square(x), axis=axis, keepdims=True)
    return E.mul(x, E.minimum(M.rsqrt(square_sum), 1.0 / EPSILON))


# -- regression --------------------------------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred)^2, -1)`` per sample (TF.js ``tf.metrics.meanSquaredError``).

    >>> mean_squared_error([1.0, 2.0], [2.0, 4.0]).item()
    2.5
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error")
    return R.mean(E.square(E.sub(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|, -1)`` per sample.

    >>> mean_absolute_error([[1.0, 2.0]], [[2.0, 4.0]]).array_sync()
    [1.5]
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    return R.mean(M.abs(E.sub(y_true, y_pred)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 mean(|(y_true - y_pred) / max(|y_true|, eps)|, -1)`` per sample.

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]]).array_sync()
    [25.0]
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_percentage_error")
    diff = M.abs(E.div(E.sub(y_true, y_pred), E.maximum(M.abs(y_true), EPSILON)))
    return E.mul(R.mean(diff, axis=-1), 100.0)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, -1)`` per sample.

    >>> round(mean_squared_logarithmic_error([[0.0]], [[math.e - 1]]).item(), 5)
    1.0
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_logarithmic_error")
    first = E.log(E.add(E.maximum(y_pred, EPSILON), 1.0))
    second = E.log(E.add(E.maximum(y_true, EPSILON), 1.0))
    return R.mean(E.square(E.sub(first, second)), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


def huber(y_true, y_pred, delta: float = 1.0):
    """Huber loss per sample: ``0.5 e^2`` for ``|e| <= delta``, else ``delta |e| - 0.5
    delta^2``, averaged over the last axis.

    >>> huber([[0.0, 0.0]], [[0.5, 3.0]]).array_sync()
    [1.3125]
    """
    y_true, y_pred = _pair(y_true, y_pred, "huber")
    error = E.sub(y_pred, y_true)
    abs_error = M.abs(error)
    quadratic = E.mul(E.square(error), 0.5)
    linear = E.sub(E.mul(abs_error, delta), 0.5 * delta * delta)
    return R.mean(L.where(L.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), -1)``, computed stably as ``x + softplus(-2x) -
    log 2``.

    >>> round(log_cosh([[0.0]], [[1.0]]).item(), 5)
    0.43378
    """
    y_true, y_pred = _pair(y_true, y_pred, "log_cosh")
    x = E.sub(y_pred, y_true)
    return R.mean(E.sub(E.add(x, M.softplus(E.mul(x, -2.0))), math.log(2.0)), axis=-1)


logcosh = log_cosh


# -- hinge ---------------------------------------------------------------------------------------
def _hinge_labels(y_true):
    """Labels that are all 0 or 1 become -1 / 1 (Keras); other labels pass unchanged."""
    binary = R.all(L.logical_or(L.equal(y_true, 0.0), L.equal(y_true, 1.0)))
    return L.where(binary, E.sub(E.mul(y_true, 2.0), 1.0), y_true)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true y_pred, 0), -1)``; 0/1 labels are first mapped to -1/1.

    >>> hinge([[1.0, 0.0]], [[0.5, -0.5]]).array_sync()
    [0.5]
    """
    y_true, y_pred = _pair(y_true, y_pred, "hinge")
    return R.mean(E.maximum(E.sub(1.0, E.mul(_hinge_labels(y_true), y_pred)), 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true y_pred, 0)^2, -1)``; 0/1 labels are first mapped to -1/1.

    >>> squared_hinge([[1.0, 0.0]], [[0.5, -0.5]]).array_sync()
    [0.25]
    """
    y_true, y_pred = _pair(y_true, y_pred, "squared_hinge")
    margin = E.maximum(E.sub(1.0, E.mul(_hinge_labels(y_true), y_pred)), 0.0)
    return R.mean(E.square(margin), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) y_pred) - sum(y_true y_pred) + 1, 0)`` over the last axis.

    >>> round(categorical_hinge([[0.0, 1.0]], [[0.3, 0.6]]).item(), 5)
    0.7
    """
    y_true, y_pred = _pair(y_true, y_pred, "categorical_hinge")
    pos = R.sum(E.mul(y_true, y_pred), axis=-1)
    neg = R.max(E.mul(E.sub(1.0, y_true), y_pred), axis=-1)
    return E.maximum(E.add(E.sub(neg, pos), 1.0), 0.0)


# -- probabilistic -------------------------------------------------------------------------------
def kl_divergence(y_true, y_pred):
    """``sum(y_true log(y_true / y_pred), -1)`` with both clipped to ``[eps, 1]``.

    >>> round(kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]).item(), 5)
    0.14384
    """
    y_true, y_pred = _pair(y_true, y_pred, "kl_divergence")
    y_true = M.clip_by_value(y_true, EPSILON, 1.0)
    y_pred = M.clip_by_value(y_pred, EPSILON, 1.0)
    return R.sum(E.mul(y_true, E.log(E.div(y_true, y_pred))), axis=-1)


kld = kullback_leibler_divergence = kl_divergence


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true log(y_pred + eps), -1)``.

    >>> poisson([[1.0]], [[1.0]]).array_sync()
    [0.9999998807907104]
    """
    y_true, y_pred = _pair(y_true, y_pred, "poisson")
    return R.mean(E.sub(y_pred, E.mul(y_true, E.log(E.add(y_pred, EPSILON)))), axis=-1)


def cosine_similarity(y_true, y_pred, axis: int = -1):
    """Cosine similarity of the L2-normalised inputs along ``axis`` (Keras's metric function;
    1 for the same direction).

    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]]).array_sync()
    [1.0]
    """
    y_true, y_pred = _pair(y_true, y_pred, "cosine_similarity")
    return R.sum(E.mul(l2_normalize(y_true, axis), l2_normalize(y_pred, axis)), axis=axis)


def cosine_proximity(y_true, y_pred, axis: int = -1):
    """Minus the cosine similarity (TF.js ``cosineProximity``, Keras's ``cosine_similarity``
    loss function): -1 for the same direction.

    >>> cosine_proximity([[1.0, 0.0]], [[2.0, 0.0]]).array_sync()
    [-1.0]
    """
    return E.neg(cosine_similarity(y_true, y_pred, axis))


cosine = cosine_proximity


def _smooth(y_true, label_smoothing, classes):
    return E.add(E.mul(y_true, 1.0 - label_smoothing), label_smoothing / classes)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1):
    """Binary crossentropy averaged over ``axis``; probabilities are clipped to ``[eps, 1 -
    eps]``; logits go through ``log_sigmoid``.

    >>> round(binary_crossentropy([[1.0]], [[0.5]]).item(), 5)
    0.69315
    """
    y_true, y_pred = _pair(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, 2.0)
    return R.mean(_bce(y_true, y_pred, from_logits), axis=axis)


def _bce(y_true, y_pred, from_logits: bool):
    if from_logits:
        pos = E.mul(y_true, M.log_sigmoid(y_pred))
        neg = E.mul(E.sub(1.0, y_true), M.log_sigmoid(E.neg(y_pred)))
        return E.neg(E.add(pos, neg))
    p = M.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)
    return E.neg(E.add(E.mul(y_true, E.log(p)), E.mul(E.sub(1.0, y_true), E.log(E.sub(1.0, p)))))


def _log_probs(y_pred, from_logits: bool, axis: int):
    from layerflow.ops.normalization import log_softmax

    if from_logits:
        return log_softmax(y_pred, axis=axis)
    p = E.div(y_pred, R.sum(y_pred, axis=axis, keepdims=True))
    return E.log(M.clip_by_value(p, EPSILON, 1.0 - EPSILON))


def _check_axis(axis, op: str) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise InvalidArgumentError(f"{op}: axis must be an int, got {axis!r}")


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1):
    """``-sum(y_true log(p), axis)`` for one-hot ``y_true``; probabilities are renormalised
    and clipped to ``[eps, 1 - eps]`` (Keras).

    >>> round(categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).item(), 5)
    0.69315
    """
    op = "categorical_crossentropy"
    _check_axis(axis, op)
    y_true, y_pred = _pair(y_true, y_pred, op)
    if len(y_pred.shape) < 1:
        raise ShapeError(f"{op}: y_pred must be at least rank 1, got shape {y_pred.shape}")
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, float(y_true.shape[-1]))
    return E.neg(R.sum(E.mul(y_true, _log_probs(y_pred, from_logits, axis)), axis=axis))


def _sparse_inputs(y_true, y_pred, axis: int, op: str):
    y_pred = _float(y_pred, "y_pred", op)
    y_true = as_tensor(y_true, "y_true", op)
    rank = len(y_pred.shape)
    if rank < 1:
        raise ShapeError(f"{op}: y_pred must be at least rank 1, got shape {y_pred.shape}")
    axis = normalize_axis(axis, rank, op)
    if len(y_true.shape) == rank and y_true.shape[axis] == 1:
        y_true = S.squeeze(y_true, [axis])
    expected = tuple(d for i, d in enumerate(y_pred.shape) if i != axis)
    if len(y_true.shape) != len(expected) or any(
            a != b and a is not None and b is not None for a, b in zip(y_true.shape, expected)):
        raise ShapeError(f"{op}: y_true shape {tuple(y_true.shape)} must equal y_pred shape "
                         f"{tuple(y_pred.shape)} without its class axis {axis}")
    return y_true, y_pred, axis


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class=None, axis: int = -1):
    """Categorical crossentropy with integer class labels ``y_true``; entries labelled
    ``ignore_class`` give 0.

    >>> round(sparse_categorical_crossentropy([1], [[0.5, 0.5]]).item(), 5)
    0.69315
    """
    return _sparse_ce_and_mask(y_true, y_pred, from_logits, ignore_class, axis)[0]


def _sparse_ce_and_mask(y_true, y_pred, from_logits, ignore_class, axis):
    from layerflow.ops.creation import one_hot

    op = "sparse_categorical_crossentropy"
    _check_axis(axis, op)
    y_true, y_pred, axis = _sparse_inputs(y_true, y_pred, axis, op)
    valid = None
    if ignore_class is not None:
        valid = L.not_equal(E.cast(y_true, y_pred.dtype), float(ignore_class))
        y_true = L.where(valid, E.cast(y_true, y_pred.dtype), 0.0)
        y_pred = L.where(S.expand_dims(valid, axis), y_pred, 0.0)
    log_probs = _log_probs(y_pred, from_logits, axis)
    rank = len(y_pred.shape)
    if axis != rank - 1:
        perm = [i for i in range(rank) if i != axis] + [axis]
        log_probs = S.transpose(log_probs, perm)
    target = one_hot(E.cast(y_true, "int32"), y_pred.shape[axis], dtype=y_pred.dtype)
    result = E.neg(R.sum(E.mul(target, log_probs), axis=-1))
    if valid is not None:
        result = L.where(valid, result, 0.0)
    return result, valid


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1):
    """Binary crossentropy scaled by ``(1 - p_t)^gamma`` (and by ``alpha`` / ``1 - alpha``
    with class balancing), averaged over ``axis``.

    >>> round(binary_focal_crossentropy([[1.0]], [[0.5]]).item(), 5)
    0.17329
    """
    y_true, y_pred = _pair(y_true, y_pred, "binary_focal_crossentropy")
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, 2.0)
    if from_logits:
        y_pred = M.sigmoid(y_pred)
    bce = _bce(y_true, y_pred, False)
    p_t = E.add(E.mul(y_true, y_pred), E.mul(E.sub(1.0, y_true), E.sub(1.0, y_pred)))
    focal = E.mul(E.pow(E.sub(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        weight = E.add(E.mul(y_true, alpha), E.mul(E.sub(1.0, y_true), 1.0 - alpha))
        focal = E.mul(weight, focal)
    return R.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1):
    """``sum(alpha (1 - p)^gamma (-y_true log p), axis)`` with renormalised, clipped ``p``.

    >>> round(categorical_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]]).item(), 5)
    0.04332
    """
    from layerflow.ops.normalization import softmax

    op = "categorical_focal_crossentropy"
    _check_axis(axis, op)
    y_true, y_pred = _pair(y_true, y_pred, op)
    if label_smoothing:
        y_true = _smooth(y_true, label_smoothing, float(y_true.shape[-1]))
    if from_logits:
        y_pred = softmax(y_pred, axis)
    p = E.div(y_pred, R.sum(y_pred, axis=axis, keepdims=True))
    p = M.clip_by_value(p, EPSILON, 1.0 - EPSILON)
    cce = E.mul(E.neg(y_true), E.log(p))
    weight = E.mul(E.pow(E.sub(1.0, p), gamma), alpha)
    return R.sum(E.mul(weight, cce), axis=axis)


# -- accuracy --------------------------------------------------------------------------------------
def _matches(a, b):
    return E.cast(L.equal(a, b), "float32")


def accuracy(y_true, y_pred):
    """1.0 where ``y_true == y_pred`` elementwise (Keras's ``Accuracy``), else 0.0.

    >>> accuracy([1.0, 2.0], [1.0, 3.0]).array_sync()
    [1.0, 0.0]
    """
    y_true, y_pred = _pair(y_true, y_pred, "accuracy")
    return _matches(y_true, y_pred)


def _binary_matches(y_true, y_pred, threshold: float = 0.5):
    y_true, y_pred = _pair(y_true, y_pred, "binary_accuracy")
    return _matches(y_true, E.cast(L.greater(y_pred, threshold), y_true.dtype))


def binary_accuracy(y_true, y_pred, threshold: float = 0.5):
    """Share of entries where ``y_pred > threshold`` equals the 0/1 label, over the last axis
    (TF.js ``tf.metrics.binaryAccuracy``).

    >>> binary_accuracy([[1.0, 1.0, 0.0, 0.0]], [[0.2, 0.6, 0.4, 0.7]]).array_sync()
    [0.5]
    """
    return R.mean(_binary_matches(y_true, y_pred, threshold), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` over the last axis.

    >>> categorical_accuracy([[0.0, 1.0], [1.0, 0.0]], [[0.2, 0.8], [0.3, 0.7]]).array_sync()
    [1.0, 0.0]
    """
    y_true, y_pred = _pair(y_true, y_pred, "categorical_accuracy")
    return _matches(R.arg_max(y_true, -1), R.arg_max(y_pred, -1))


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the integer label equals ``argmax(y_pred)``.

    >>> sparse_categorical_accuracy([1, 0], [[0.2, 0.8], [0.3, 0.7]]).array_sync()
    [1.0, 0.0]
    """
    op = "sparse_categorical_accuracy"
    y_true, y_pred, _ = _sparse_inputs(y_true, y_pred, -1, op)
    return _matches(E.cast(y_true, "float32"), E.cast(R.arg_max(y_pred, -1), "float32"))


def _top_k(targets, y_pred, k: int):
    from layerflow.ops.evaluation import in_top_k

    shape = targets.shape
    if len(y_pred.shape) > 2:
        y_pred = S.reshape(y_pred, [-1, y_pred.shape[-1]])
        targets = S.reshape(targets, [-1])
    hits = E.cast(in_top_k(y_pred, E.cast(targets, "int32"), min(k, y_pred.shape[-1])),
                  "float32")
    return S.reshape(hits, shape) if hits.shape != shape else hits


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the one-hot label's class is among the ``k`` largest predictions.

    >>> top_k_categorical_accuracy([[0.0, 1.0, 0.0]], [[0.5, 0.2, 0.3]], k=2).array_sync()
    [0.0]
    """
    y_true, y_pred = _pair(y_true, y_pred, "top_k_categorical_accuracy")
    return _top_k(R.arg_max(y_true, -1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5):
    """1.0 where the integer label is among the ``k`` largest predictions.

    >>> sparse_top_k_categorical_accuracy([2], [[0.5, 0.2, 0.3]], k=2).array_sync()
    [1.0]
    """
    y_true, y_pred, _ = _sparse_inputs(y_true, y_pred, -1, "sparse_top_k_categorical_accuracy")
    return _top_k(y_true, y_pred, k)


# -- TF.js's batch-level metric functions -----------------------------------------------------
def _count(cond):
    return R.sum(E.cast(cond, "float32"))


def _ratio(num, den):
    return L.where(L.greater(den, 0.0), E.div_no_nan(num, den), 0.0)


def precision(y_true, y_pred):
    """TF.js ``tf.metrics.precision``: true positives / predicted positives over the batch,
    for 0/1 labels and 0/1 predictions (0 when nothing is predicted positive).

    >>> precision([[0.0, 1.0, 1.0]], [[1.0, 1.0, 0.0]]).item()
    0.5
    """
    y_true, y_pred = _pair(y_true, y_pred, "precision")
    tp = _count(L.logical_and(L.equal(y_true, 1.0), L.equal(y_pred, 1.0)))
    fp = _count(L.logical_and(L.equal(y_true, 0.0), L.equal(y_pred, 1.0)))
    return _ratio(tp, E.add(tp, fp))


def recall(y_true, y_pred):
    """TF.js ``tf.metrics.recall``: true positives / actual positives over the batch.

    >>> recall([[0.0, 1.0, 1.0]], [[1.0, 1.0, 0.0]]).item()
    0.5
    """
    y_true, y_pred = _pair(y_true, y_pred, "recall")
    tp = _count(L.logical_and(L.equal(y_true, 1.0), L.equal(y_pred, 1.0)))
    fn = _count(L.logical_and(L.equal(y_true, 1.0), L.equal(y_pred, 0.0)))
    return _ratio(tp, E.add(tp, fn))


def r2_score(y_true, y_pred):
    """TF.js ``tf.metrics.r2Score``: ``1 - SS_res / SS_tot`` over the whole batch.

    >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]).item()
    0.5
    """
    y_true, y_pred = _pair(y_true, y_pred, "r2_score")
    residual = R.sum(E.square(E.sub(y_true, y_pred)))
    total = R.sum(E.square(E.sub(y_true, R.mean(y_true))))
    return E.sub(1.0, E.div(residual, total))


def function_by_name(name: str):
    """The per-sample function of this module called ``name`` (any spelling), for configs.

    >>> function_by_name('meanSquaredError').__name__
    'mean_squared_error'
    """
    from layerflow.serialization import UnknownNameError, squash

    table = {squash(n): globals()[n] for n in __all__
             if n not in ("EPSILON", "squeeze_or_expand_to_same_rank", "l2_normalize",
                          "function_by_name")}
    found = table.get(squash(str(name)))
    if found is None:
        known = sorted({f.__name__ for f in table.values()})
        raise UnknownNameError(f"unknown metric or loss function {name!r}. Known: "
                               f"{', '.join(known)}.")
    return found
