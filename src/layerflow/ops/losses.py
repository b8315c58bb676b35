"""Functional losses (``lf.losses``), as TF.js's ``tf.losses.*``: elementwise losses reduced by
:func:`compute_weighted_loss` under a :class:`Reduction` (default ``SUM_BY_NONZERO_WEIGHTS``:
the weighted sum divided by the number of non-zero weights).

All are composites of other ops, so they differentiate with respect to labels, predictions and
weights. (TF.js's softmax cross-entropy gives the labels a hand-written gradient,
``dy * (labels - softmax)``; here the labels get the true gradient, ``-dy * log_softmax``.)

>>> import layerflow as lf
>>> lf.losses.mean_squared_error(lf.tensor([1.0, 2.0]), lf.tensor([2.0, 4.0])).item()
2.5
"""

from __future__ import annotations

import enum

from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, binary_inputs, shape_size

__all__ = ["Reduction", "compute_weighted_loss", "absolute_difference", "cosine_distance",
           "hinge_loss", "huber_loss", "log_loss", "mean_squared_error",
           "sigmoid_cross_entropy", "softmax_cross_entropy"]


class Reduction(enum.IntEnum):
    """How a loss is reduced (TF.js ``tf.losses.Reduction``)."""

    NONE = 0
    MEAN = 1
    SUM = 2
    SUM_BY_NONZERO_WEIGHTS = 3


def _reduction(reduction, op: str) -> Reduction:
    if isinstance(reduction, str):
        try:
            return Reduction[reduction.upper()]
        except KeyError:
            pass
    else:
        try:
            return Reduction(reduction)
        except ValueError:
            pass
    raise InvalidArgumentError(f"{op}: unknown reduction {reduction!r}; expected one of "
                               f"{[r.name for r in Reduction]}")


def _compatible(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x == y or x is None or y is None for x, y in zip(a, b))


def _pair(labels, predictions, op: str, names=("labels", "predictions")):
    """Both inputs as tensors of one dtype, with shapes that must match (TF.js)."""
    a, b = binary_inputs(labels, predictions, op, names)
    if not _compatible(a.shape, b.shape):
        raise ShapeError(f"{op}: {names[0]} shape {a.shape} and {names[1]} shape {b.shape} "
                         "must match")
    return a, b


def compute_weighted_loss(losses, weights=None, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Weight ``losses`` and reduce them (TF.js ``tf.losses.computeWeightedLoss``).

    Args:
        losses: the per-element losses.
        weights: optional, broadcastable to ``losses``.
        reduction: ``NONE`` (weighted losses), ``SUM``, ``MEAN`` (weighted sum / sum of the
            weights, divided again by how many times the weights broadcast), or
            ``SUM_BY_NONZERO_WEIGHTS`` (weighted sum / count of non-zero weights; without
            weights, the mean).

    >>> import layerflow as lf
    >>> lf.losses.compute_weighted_loss(lf.tensor([1.0, 2.0, 3.0]), [1.0, 0.0, 1.0]).item()
    2.0
    """
    from layerflow.ops.creation import ones_like
    from layerflow.ops.elementwise import cast, div, mul, not_equal
    from layerflow.ops.reduction import mean
    from layerflow.ops.reduction import sum as reduce_sum

    op = "compute_weighted_loss"
    reduction = _reduction(reduction, op)
    losses = as_tensor(losses, "losses", op)
    if weights is None:
        weighted = losses
    else:
        losses, weights = binary_inputs(losses, weights, op, ("losses", "weights"))
        weighted = mul(losses, weights)
    if reduction == Reduction.NONE:
        return weighted
    if reduction == Reduction.SUM:
        return reduce_sum(weighted)
    if reduction == Reduction.MEAN:
        if weights is None:
            return mean(weighted)
        result = div(reduce_sum(weighted), reduce_sum(weights))
        n_losses, n_weights = shape_size(losses.shape), shape_size(weights.shape)
        if n_losses is not None and n_weights and n_losses > n_weights:
            return div(result, n_losses / n_weights)
        return result
    if weights is None:
        size = shape_size(losses.shape)
        return div(reduce_sum(weighted), size if size else 1)
    nonzero = cast(reduce_sum(not_equal(mul(weights, ones_like(losses)), 0)), weighted.dtype)
    return div(reduce_sum(weighted), nonzero)


def absolute_difference(labels, predictions, weights=None,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """``|labels - predictions|``, weighted and reduced (TF.js
    ``tf.losses.absoluteDifference``).

    >>> import layerflow as lf
    >>> lf.losses.absolute_difference(lf.tensor([1.0, 2.0]), lf.tensor([2.0, 4.0])).item()
    1.5
    """
    from layerflow.ops.elementwise import abs as absolute
    from layerflow.ops.elementwise import sub

    a, b = _pair(labels, predictions, "absolute_difference")
    return compute_weighted_loss(absolute(sub(a, b)), weights, reduction)


def cosine_distance(labels, predictions, axis: int, weights=None,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """``1 - sum(labels * predictions, axis)`` (inputs assumed unit-normalised), weighted and
    reduced (TF.js ``tf.losses.cosineDistance``).

    >>> import layerflow as lf
    >>> lf.losses.cosine_distance(lf.tensor([[1.0, 0.0]]), lf.tensor([[0.0, 1.0]]), 1).item()
    1.0
    """
    from layerflow.ops.elementwise import mul, sub
    from layerflow.ops.reduction import sum as reduce_sum

    a, b = _pair(labels, predictions, "cosine_distance")
    losses = sub(1, reduce_sum(mul(a, b), axis=axis, keepdims=True))
    return compute_weighted_loss(losses, weights, reduction)


def hinge_loss(labels, predictions, weights=None, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """``relu(1 - (2 labels - 1) predictions)`` for 0/1 labels, weighted and reduced (TF.js
    ``tf.losses.hingeLoss``).

    >>> import layerflow as lf
    >>> lf.losses.hinge_loss(lf.tensor([1.0, 0.0]), lf.tensor([0.5, 0.5])).item()
    1.0
    """
    from layerflow.ops.elementwise import mul, relu, sub

    a, b = _pair(labels, predictions, "hinge_loss")
    signs = sub(mul(a, 2), 1)
    return compute_weighted_loss(relu(sub(1, mul(signs, b))), weights, reduction)


def huber_loss(labels, predictions, weights=None, delta: float = 1.0,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Huber loss: ``0.5 e^2`` for ``|e| <= delta``, ``delta (|e| - 0.5 delta)`` beyond, with
    ``e = predictions - labels`` (TF.js ``tf.losses.huberLoss``).

    >>> import layerflow as lf
    >>> lf.losses.huber_loss(lf.tensor([0.0, 0.0]), lf.tensor([0.5, 3.0])).item()
    1.3125
    """
    from layerflow.ops.elementwise import abs as absolute
    from layerflow.ops.elementwise import add, minimum, mul, square, sub

    a, b = _pair(labels, predictions, "huber_loss")
    error = absolute(sub(b, a))
    quadratic = minimum(error, delta)
    linear = sub(error, quadratic)
    losses = add(mul(square(quadratic), 0.5), mul(linear, delta))
    return compute_weighted_loss(losses, weights, reduction)


def log_loss(labels, predictions, weights=None, epsilon: float = 1e-7,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Binary log loss ``-l log(p + eps) - (1 - l) log(1 - p + eps)`` (TF.js
    ``tf.losses.logLoss``).

    >>> import layerflow as lf
    >>> round(lf.losses.log_loss(lf.tensor([1.0]), lf.tensor([0.5])).item(), 4)
    0.6931
    """
    from layerflow.ops.elementwise import add, log, mul, neg, sub

    a, b = _pair(labels, predictions, "log_loss")
    first = neg(mul(a, log(add(b, epsilon))))
    second = mul(sub(1, a), log(add(sub(1, b), epsilon)))
    return compute_weighted_loss(sub(first, second), weights, reduction)


def mean_squared_error(labels, predictions, weights=None,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """``(labels - predictions)^2``, weighted and reduced (TF.js
    ``tf.losses.meanSquaredError``).

    >>> import layerflow as lf
    >>> lf.losses.mean_squared_error([0.0, 0.0], lf.tensor([1.0, 3.0]), reduction='sum').item()
    10.0
    """
    from layerflow.ops.elementwise import square, sub

    a, b = _pair(labels, predictions, "mean_squared_error")
    return compute_weighted_loss(square(sub(a, b)), weights, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=None, label_smoothing: float = 0,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Sigmoid cross-entropy of logits, computed stably as
    ``relu(x) - x z + log1p(exp(-|x|))`` (TF.js ``tf.losses.sigmoidCrossEntropy``).

    Args:
        label_smoothing: labels become ``z (1 - s) + 0.5 s``.

    >>> import layerflow as lf
    >>> round(lf.losses.sigmoid_cross_entropy(lf.tensor([1.0]), lf.tensor([0.0])).item(), 4)
    0.6931
    """
    from layerflow.ops.elementwise import abs as absolute
    from layerflow.ops.elementwise import add, exp, log1p, mul, neg, relu, sub

    z, x = _pair(multi_class_labels, logits, "sigmoid_cross_entropy",
                 ("multi_class_labels", "logits"))
    if label_smoothing > 0:
        z = add(mul(z, 1 - label_smoothing), 0.5 * label_smoothing)
    losses = add(sub(relu(x), mul(x, z)), log1p(exp(neg(absolute(x)))))
    return compute_weighted_loss(losses, weights, reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=None, label_smoothing: float = 0,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Softmax cross-entropy over the last axis, ``-sum(labels * log_softmax(logits), -1)``
    (TF.js ``tf.losses.softmaxCrossEntropy``).

    Args:
        label_smoothing: labels become ``y (1 - s) + s / num_classes``.

    >>> import layerflow as lf
    >>> round(lf.losses.softmax_cross_entropy(lf.tensor([[1.0, 0.0]]),
    ...                                       lf.tensor([[0.0, 0.0]])).item(), 4)
    0.6931
    """
    from layerflow.ops.elementwise import add, mul, neg, sub
    from layerflow.ops.reduction import log_sum_exp
    from layerflow.ops.reduction import sum as reduce_sum

    op = "softmax_cross_entropy"
    y, x = _pair(onehot_labels, logits, op, ("onehot_labels", "logits"))
    if x.rank < 1:
        raise ShapeError(f"{op}: logits must be at least rank 1, got shape {x.shape}")
    if label_smoothing > 0:
        classes = x.shape[-1]
        if classes is None:
            raise ShapeError(f"{op}: label_smoothing needs a known number of classes, got "
                             f"logits shape {x.shape}")
        y = add(mul(y, 1 - label_smoothing), label_smoothing / classes)
    log_probs = sub(x, log_sum_exp(x, axis=-1, keepdims=True))
    losses = neg(reduce_sum(mul(y, log_probs), axis=-1))
    return compute_weighted_loss(losses, weights, reduction)
