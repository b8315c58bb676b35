"""Keras-style loss classes (layerflow.losses) against Keras 3, plus get/config/errors."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import layerflow as lf
from layerflow import serialization

RTOL = 1e-5
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]


def L():  # noqa: N802  (the module under test, imported as layerflow.losses)
    return importlib.import_module("layerflow.losses")


def keras():
    import keras as _keras

    return _keras


def _data(kind: str, seed: int = 0, batch: int = 6, classes: int = 4):
    rng = np.random.default_rng(seed)
    f = np.float32
    if kind == "reg":
        return (rng.normal(size=(batch, classes)).astype(f),
                rng.normal(size=(batch, classes)).astype(f))
    if kind == "pos":
        return (rng.uniform(0.1, 2, (batch, classes)).astype(f),
                rng.uniform(0.1, 2, (batch, classes)).astype(f))
    if kind == "dist":
        a, b = rng.uniform(0.05, 1, (2, batch, classes)).astype(f)
        return a / a.sum(-1, keepdims=True), b / b.sum(-1, keepdims=True)
    if kind == "bin":
        return (rng.integers(0, 2, (batch, classes)).astype(f),
                rng.uniform(0.05, 0.95, (batch, classes)).astype(f))
    if kind == "bin_logits":
        return (rng.integers(0, 2, (batch, classes)).astype(f),
                rng.normal(size=(batch, classes)).astype(f) * 2)
    if kind == "hinge_pm":
        return (rng.choice([-1.0, 1.0], (batch, classes)).astype(f),
                rng.normal(size=(batch, classes)).astype(f))
    if kind == "cat":
        y = np.eye(classes, dtype=f)[rng.integers(0, classes, batch)]
        p = rng.uniform(0.05, 1, (batch, classes)).astype(f)
        return y, p / p.sum(-1, keepdims=True)
    if kind == "cat_logits":
        return (np.eye(classes, dtype=f)[rng.integers(0, classes, batch)],
                rng.normal(size=(batch, classes)).astype(f) * 2)
    if kind == "sparse":
        p = rng.uniform(0.05, 1, (batch, classes)).astype(f)
        return rng.integers(0, classes, batch).astype(np.int32), p / p.sum(-1, keepdims=True)
    if kind == "sparse_logits":
        return (rng.integers(0, classes, batch).astype(np.int32),
                rng.normal(size=(batch, classes)).astype(f) * 2)
    raise KeyError(kind)


# (class name, kwargs, data kind)
CASES = [
    ("MeanSquaredError", {}, "reg"),
    ("MeanAbsoluteError", {}, "reg"),
    ("MeanAbsolutePercentageError", {}, "pos"),
    ("MeanSquaredLogarithmicError", {}, "pos"),
    ("Hinge", {}, "bin_logits"),
    ("Hinge", {}, "hinge_pm"),
    ("SquaredHinge", {}, "bin_logits"),
    ("SquaredHinge", {}, "hinge_pm"),
    ("CategoricalHinge", {}, "cat_logits"),
    ("LogCosh", {}, "reg"),
    ("CategoricalCrossentropy", {}, "cat"),
    ("CategoricalCrossentropy", {"from_logits": True}, "cat_logits"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.2}, "cat"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "cat_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": 1},
     "sparse_logits"),
    ("BinaryCrossentropy", {}, "bin"),
    ("BinaryCrossentropy", {"from_logits": True}, "bin_logits"),
    ("BinaryCrossentropy", {"label_smoothing": 0.1}, "bin"),
    ("BinaryFocalCrossentropy", {}, "bin"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5},
     "bin"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "bin_logits"),
    ("CategoricalFocalCrossentropy", {}, "cat"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": 0.5, "gamma": 1.0,
                                      "label_smoothing": 0.1}, "cat_logits"),
    ("KLDivergence", {}, "dist"),
    ("Poisson", {}, "pos"),
    ("CosineSimilarity", {}, "reg"),
    ("CosineSimilarity", {"axis": 0}, "reg"),
    ("Huber", {}, "reg"),
    ("Huber", {"delta": 0.5}, "reg"),
]


def _close(got, want, what: str) -> None:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != Keras {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 1.0)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale, err_msg=what)


@pytest.mark.parametrize("name,kwargs,kind", CASES,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_loss_matches_keras(backend, name, kwargs, kind):
    y_true, y_pred = _data(kind)
    weights = np.random.default_rng(5).uniform(0, 2, y_pred.shape[0]).astype(np.float32)
    for reduction in REDUCTIONS:
        ours = getattr(L(), name)(reduction=reduction, **kwargs)
        ref = getattr(keras().losses, name)(reduction=reduction, **kwargs)
        # NOTE: with axis=0 the per-sample values are per column: batch weights don't fit.
        for sw in (None,) if kwargs.get("axis") == 0 else (None, weights):
            got = ours(lf.tensor(y_true), lf.tensor(y_pred), sample_weight=sw)
            want = ref(y_true, y_pred, sample_weight=sw)
            _close(got.numpy(), want, f"{name}{kwargs} {reduction} sw={sw is not None}")


def test_sample_weight_broadcasting_matches_keras(backend):
    rng = np.random.default_rng(1)
    y_true = rng.normal(size=(3, 5, 2)).astype(np.float32)
    y_pred = rng.normal(size=(3, 5, 2)).astype(np.float32)
    for sw in (rng.uniform(size=(3, 5)), rng.uniform(size=(3, 5, 1)), rng.uniform(size=(1, 5)),
               np.float32(2.0)):
        sw = np.asarray(sw, np.float32)
        for reduction in ("sum_over_batch_size", "none"):
            got = L().MeanSquaredError(reduction=reduction)(y_true, y_pred, sample_weight=sw)
            want = keras().losses.MeanSquaredError(reduction=reduction)(y_true, y_pred,
                                                                        sample_weight=sw)
            _close(got.numpy(), want, f"sw shape {sw.shape} {reduction}")
    # rank-1 targets against (batch, 1) predictions
    got = L().BinaryCrossentropy()(np.array([0.0, 1.0, 1.0]), np.array([[0.2], [0.7], [0.4]]))
    want = keras().losses.BinaryCrossentropy()(np.array([0.0, 1.0, 1.0], np.float32),
                                               np.array([[0.2], [0.7], [0.4]], np.float32))
    _close(got.numpy(), want, "rank-1 targets")


@pytest.mark.parametrize("name,kwargs,kind", [
    ("MeanSquaredError", {}, "reg"), ("Huber", {"delta": 0.5}, "reg"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "cat_logits"),
    ("CategoricalCrossentropy", {}, "cat"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("BinaryCrossentropy", {}, "bin"), ("BinaryCrossentropy", {"from_logits": True}, "bin_logits"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True}, "bin"),
    ("KLDivergence", {}, "dist"), ("LogCosh", {}, "reg"), ("CosineSimilarity", {}, "reg"),
])
def test_loss_gradient_matches_jax_grad_of_keras(backend, name, kwargs, kind):
    import jax
    import jax.numpy as jnp

    y_true, y_pred = _data(kind, seed=3)
    weights = np.random.default_rng(4).uniform(0.5, 1.5, y_pred.shape[0]).astype(np.float32)
    ours = getattr(L(), name)(**kwargs)
    ref = getattr(keras().losses, name)(**kwargs)
    got = lf.grad(lambda p: ours(lf.tensor(y_true), p, sample_weight=weights))(
        lf.tensor(y_pred))
    want = jax.grad(lambda p: ref(jnp.asarray(y_true), p, sample_weight=weights))(
        jnp.asarray(y_pred))
    _close(got.numpy(), np.asarray(want), f"d{name}/dy_pred")


def test_tfjs_functional_losses_still_reachable(backend):
    losses = L()
    from layerflow.ops import losses as functional

    for name in functional.__all__:
        assert getattr(losses, name) is getattr(functional, name)
    got = losses.mean_squared_error(lf.tensor([1.0, 2.0]), lf.tensor([2.0, 4.0]),
                                    reduction=losses.Reduction.SUM)
    assert got.item() == 5.0
    assert losses.absolute_difference([0.0, 1.0], lf.tensor([1.0, 1.0])).item() == 0.5


TFJS_NAMES = {
    "meanSquaredError": "MeanSquaredError", "meanAbsoluteError": "MeanAbsoluteError",
    "meanAbsolutePercentageError": "MeanAbsolutePercentageError",
    "meanSquaredLogarithmicError": "MeanSquaredLogarithmicError",
    "squaredHinge": "SquaredHinge", "hinge": "Hinge", "categoricalHinge": "CategoricalHinge",
    "logcosh": "LogCosh", "categoricalCrossentropy": "CategoricalCrossentropy",
    "sparseCategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "binaryCrossentropy": "BinaryCrossentropy",
    "kullbackLeiblerDivergence": "KLDivergence", "poisson": "Poisson",
    "cosineProximity": "CosineSimilarity",
}
KERAS_NAMES = {
    "mse": "MeanSquaredError", "mae": "MeanAbsoluteError", "mape": "MeanAbsolutePercentageError",
    "msle": "MeanSquaredLogarithmicError", "kld": "KLDivergence", "huber": "Huber",
    "binary_focal_crossentropy": "BinaryFocalCrossentropy",
    "categorical_focal_crossentropy": "CategoricalFocalCrossentropy", "log_cosh": "LogCosh",
    "kl_divergence": "KLDivergence", "cosine_similarity": "CosineSimilarity", "bce": (
        "BinaryCrossentropy"), "MSE": "MeanSquaredError", "BinaryCrossentropy": (
        "BinaryCrossentropy"), "mean_squared_error": "MeanSquaredError",
}


def test_get_every_spelling():
    losses = L()
    for name, cls in {**TFJS_NAMES, **KERAS_NAMES}.items():
        got = losses.get(name)
        assert type(got).__name__ == cls, name
        assert losses.get(name) is not got  # a new instance each time
    mse = losses.MeanSquaredError()
    assert losses.get(mse) is mse
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    assert losses.get(None) is None
    restored = losses.get({"class_name": "Huber", "config": {"delta": 0.3, "name": "h"}})
    assert isinstance(restored, losses.Huber) and restored.delta == 0.3


def test_get_function_wraps_in_loss_function_wrapper(backend):
    losses = L()

    def my_loss(y_true, y_pred):
        return lf.mean(lf.abs(lf.sub(y_true, y_pred)), -1)

    wrapped = losses.get(my_loss)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "my_loss"
    assert wrapped([[1.0, 2.0], [0.0, 0.0]], [[2.0, 4.0], [0.0, 0.0]]).item() == 0.75
    ce = losses.get("crossentropy")
    y_true, y_pred = _data("sparse")
    _close(ce(y_true, y_pred).numpy(),
           keras().losses.SparseCategoricalCrossentropy()(y_true, y_pred), "auto ce")


def test_unknown_loss_lists_valid_names():
    with pytest.raises(serialization.UnknownNameError) as info:
        L().get("meanSquaredErr")
    message = str(info.value)
    assert "mean_squared_error" in message and "categorical_crossentropy" in message
    with pytest.raises(lf.errors.InvalidArgumentError, match="reduction"):
        L().MeanSquaredError(reduction="avg")


def test_shape_mismatch_is_a_shape_error(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"\(2, 3\).*\(2, 4\)"):
        L().MeanSquaredError()(lf.zeros([2, 3]), lf.zeros([2, 4]))
    with pytest.raises(lf.errors.ShapeError, match=r"\(3,\).*\(2, 4\)"):
        L().SparseCategoricalCrossentropy()(lf.zeros([3]), lf.zeros([2, 4]))


def test_config_keys_and_round_trip():
    losses = L()
    for name, kwargs, _ in CASES:
        ours = getattr(losses, name)(**kwargs)
        ref = getattr(keras().losses, name)(**kwargs)
        config = ours.get_config()
        keras_config = ref.get_config()
        # NOTE: Keras drops some arguments from its configs (Huber's delta, CosineSimilarity's
        # and SparseCategoricalCrossentropy's axis); ours keeps them so configs round-trip.
        assert set(keras_config) <= set(config), name
        assert set(config) - set(keras_config) <= {"delta", "axis"}, name
        for key, value in keras_config.items():
            assert config[key] == value, (name, key)
        clone = type(ours).from_config(config)
        assert clone.get_config() == config
        assert losses.deserialize(losses.serialize(ours)).get_config() == config


@pytest.mark.parametrize("shape", [(6, 4), (2, 3, 5)])
def test_categorical_crossentropy_fused_matches_keras(backend, shape):
    # The default CategoricalCrossentropy runs as one op (and one gradient kernel); values and
    # gradients against Keras, with one probability saturated so the clip is active.
    rng = np.random.default_rng(2)
    y_true = np.eye(shape[-1], dtype=np.float32)[rng.integers(0, shape[-1], shape[:-1])]
    y_pred = rng.uniform(0.05, 1, shape).astype(np.float32)
    y_pred[0, ..., 0] = 1e9
    for reduction in ("sum_over_batch_size", "mean"):
        ours = L().CategoricalCrossentropy(reduction=reduction)
        ref = keras().losses.CategoricalCrossentropy(reduction=reduction)
        _check_fused_cce(ours, ref, y_true, y_pred, f"{shape} {reduction}")


def _check_fused_cce(ours, ref, y_true, y_pred, what):
    import jax
    import jax.numpy as jnp

    p = lf.tensor(y_pred)
    with lf.GradientTape() as tape:
        tape.watch(p)
        info = lf.profile(lambda: ours(lf.tensor(y_true), p))
    assert info.kernels == ["categorical_crossentropy_mean"], info.kernels
    grad = lf.profile(lambda: tape.gradient(info.result, p))
    assert grad.kernels[-1] == "categorical_crossentropy_mean_grad", grad.kernels
    _close(info.result.numpy(), ref(y_true, y_pred), what)
    want = jax.grad(lambda q: ref(jnp.asarray(y_true), q))(jnp.asarray(y_pred))
    _close(grad.result.numpy(), np.asarray(want), f"d/dy_pred {what}")


def test_categorical_crossentropy_fused_gradients_of_y_true_and_second_order(backend):
    # Where the fused gradient kernel cannot serve (y_true's gradient, a tape recording the
    # backward pass), the op differentiates the composite it stands for.
    from tests._support.opcheck import check_grad, check_second_order

    rng = np.random.default_rng(4)
    y_true = rng.uniform(0.1, 1, (3, 4))
    y_pred = rng.uniform(0.1, 1, (3, 4))
    loss = L().CategoricalCrossentropy(dtype="float64")
    check_grad(lambda t, p: loss(t, p), [y_true, y_pred])
    check_second_order(lambda p: loss(lf.tensor(y_true, dtype="float64"), p), y_pred)
