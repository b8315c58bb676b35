"""tf.losses against NumPy references written from TF.js's definitions, for every reduction,
with and without weights; gradients by finite differences; mismatched shapes."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad

R = lf.losses.Reduction
REDUCTIONS = [R.NONE, R.SUM, R.MEAN, R.SUM_BY_NONZERO_WEIGHTS]


def ref_reduce(losses, weights, reduction):
    """TF.js's computeWeightedLoss."""
    weighted = losses if weights is None else losses * weights
    if reduction == R.NONE:
        return weighted
    if reduction == R.SUM:
        return np.sum(weighted)
    if reduction == R.MEAN:
        if weights is None:
            return np.mean(weighted)
        result = np.sum(weighted) / np.sum(weights)
        factor = losses.size / np.size(weights)
        return result / factor if factor > 1 else result
    if weights is None:
        return np.sum(weighted) / losses.size
    return np.sum(weighted) / np.count_nonzero(weights * np.ones(losses.shape))


def _softplus_tail(x):
    return np.log1p(np.exp(-np.abs(x)))


def _log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


ELEMENTWISE = {
    "absolute_difference": lambda y, p, **k: np.abs(y - p),
    "mean_squared_error": lambda y, p, **k: (y - p) ** 2,
    "hinge_loss": lambda y, p, **k: np.maximum(0.0, 1 - (2 * y - 1) * p),
    "huber_loss": lambda y, p, delta=1.0: np.where(np.abs(p - y) <= delta,
                                                   0.5 * (p - y) ** 2,
                                                   delta * (np.abs(p - y) - 0.5 * delta)),
    "log_loss": lambda y, p, epsilon=1e-7: -y * np.log(p + epsilon)
    - (1 - y) * np.log(1 - p + epsilon),
    "sigmoid_cross_entropy": lambda z, x, label_smoothing=0: (
        np.maximum(x, 0) - x * (z * (1 - label_smoothing) + 0.5 * label_smoothing)
        + _softplus_tail(x)),
}


def _inputs(rng, name, shape):
    if name == "log_loss":
        return rng.uniform(0, 1, shape), rng.uniform(0.1, 0.9, shape)
    if name == "hinge_loss":
        return (rng.uniform(0, 1, shape) > 0.5).astype(np.float64), rng.uniform(-2, 2, shape)
    if name == "sigmoid_cross_entropy":
        return rng.uniform(0, 1, shape), rng.uniform(-3, 3, shape)
    labels = rng.uniform(-2, 2, shape)
    return labels, labels + rng.choice([-1, 1], shape) * rng.uniform(0.2, 2.5, shape)


def _away_from_kinks(name, y, p, kwargs):
    if name == "hinge_loss":
        return np.all(np.abs(1 - (2 * y - 1) * p) > 0.05)
    if name == "huber_loss":
        return np.all(np.abs(np.abs(p - y) - kwargs.get("delta", 1.0)) > 0.05)
    return True


CASES = [("absolute_difference", {}), ("mean_squared_error", {}), ("hinge_loss", {}),
         ("huber_loss", {}), ("huber_loss", {"delta": 0.7}), ("log_loss", {}),
         ("log_loss", {"epsilon": 0.1}), ("sigmoid_cross_entropy", {}),
         ("sigmoid_cross_entropy", {"label_smoothing": 0.2})]


@pytest.mark.parametrize("name,kwargs", CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", [None, "full", "broadcast", "zeros"])
def test_elementwise_losses(backend, rng, name, kwargs, reduction, weights):
    y, p = _inputs(rng, name, (3, 4))
    w = {None: None, "full": rng.uniform(0.5, 1.5, (3, 4)),
         "broadcast": np.array([[1.0], [0.0], [2.0]]),
         "zeros": np.array([0.0, 1.5, 0.0, 2.0])}[weights]
    op = getattr(lf.losses, name)

    def lf_fn(a, b, *ws):
        return op(a, b, *ws, reduction=reduction, **kwargs)

    def np_fn(a, b, *ws):
        losses = ELEMENTWISE[name](a.astype(np.float64), b.astype(np.float64), **kwargs)
        return np.asarray(ref_reduce(losses, ws[0] if ws else None, reduction)) \
            .astype(np.float32)

    inputs = [y.astype(np.float32), p.astype(np.float32)]
    if w is not None:
        inputs.append(w.astype(np.float32))
    check_forward(lf_fn, np_fn, inputs, dtype="float32")
    if reduction in (R.MEAN, R.SUM_BY_NONZERO_WEIGHTS) and weights in (None, "broadcast"):
        y2, p2 = _inputs(rng, name, (2, 3))
        if _away_from_kinks(name, y2, p2, kwargs):
            grad_inputs = [y2, p2] if w is None else [y2, p2, np.array([[1.0], [0.5]])]
            check_grad(lf_fn, grad_inputs)


def ref_cosine(y, p, axis):
    return 1 - np.sum(y * p, axis=axis, keepdims=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cosine_distance(backend, rng, reduction, axis):
    y = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    p = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    shape = (1, 4) if axis == 0 else (3, 1)
    w = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    check_forward(lambda a, b, c: lf.losses.cosine_distance(a, b, axis, c, reduction),
                  lambda a, b, c: np.asarray(ref_reduce(ref_cosine(a.astype(np.float64), b,
                                                                   axis), c, reduction))
                  .astype(np.float32), [y, p, w], dtype="float32")
    check_grad(lambda a, b: lf.losses.cosine_distance(a, b, axis, reduction=reduction),
               [rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (2, 3))])


def ref_softmax_ce(y, x, smoothing):
    if smoothing > 0:
        y = y * (1 - smoothing) + smoothing / x.shape[-1]
    return -np.sum(y * _log_softmax(x), axis=-1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0, 0.1])
def test_softmax_cross_entropy(backend, rng, reduction, smoothing):
    labels = np.eye(4)[rng.integers(0, 4, 5)].astype(np.float32)
    logits = rng.uniform(-3, 3, (5, 4)).astype(np.float32)
    w = rng.uniform(0, 2, (5,)).astype(np.float32)
    w[1] = 0
    check_forward(lambda a, b, c: lf.losses.softmax_cross_entropy(a, b, c, smoothing,
                                                                  reduction),
                  lambda a, b, c: np.asarray(ref_reduce(ref_softmax_ce(
                      a.astype(np.float64), b.astype(np.float64), smoothing), c, reduction))
                  .astype(np.float32), [labels, logits, w], dtype="float32")
    big = lf.losses.softmax_cross_entropy(lf.tensor([[0.0, 1.0]]), lf.tensor([[1000.0, 0.0]]))
    assert np.isfinite(big.item()) and abs(big.item() - 1000.0) < 1e-3
    check_grad(lambda a, b: lf.losses.softmax_cross_entropy(a, b, label_smoothing=smoothing,
                                                            reduction=reduction),
               [rng.uniform(0, 1, (2, 3)), rng.uniform(-2, 2, (2, 3))])


def test_reduction_names_and_default(backend):
    y, p = lf.tensor([1.0, 2.0]), lf.tensor([2.0, 4.0])
    assert lf.losses.absolute_difference(y, p, reduction="sum").item() == 3.0
    assert lf.losses.absolute_difference(y, p, reduction=R.NONE).array_sync() == [1.0, 2.0]
    assert lf.losses.compute_weighted_loss(lf.tensor([1.0, 2.0])).item() == 1.5
    with pytest.raises(lf.errors.InvalidArgumentError, match="compute_weighted_loss: unknown"):
        lf.losses.compute_weighted_loss(lf.tensor([1.0]), reduction="avg")


@pytest.mark.parametrize("name", ["absolute_difference", "mean_squared_error", "hinge_loss",
                                  "huber_loss", "log_loss", "sigmoid_cross_entropy",
                                  "softmax_cross_entropy"])
def test_mismatched_shapes(backend, name):
    with pytest.raises(lf.errors.ShapeError, match=rf"{name}: .*\(2, 3\).*\(3, 2\)"):
        getattr(lf.losses, name)(lf.zeros([2, 3]), lf.zeros([3, 2]))
    with pytest.raises(lf.errors.ShapeError, match=r"cosine_distance: .*\(2,\).*\(3,\)"):
        lf.losses.cosine_distance(lf.zeros([2]), lf.zeros([3]), 0)


def test_symbolic_losses(backend):
    from layerflow.engine.symbolic import SymbolicTensor

    y = SymbolicTensor((None, 3), "float32")
    assert lf.losses.mean_squared_error(y, y, reduction=R.NONE).shape == (None, 3)
    assert lf.losses.softmax_cross_entropy(y, y, reduction=R.SUM).shape == ()
