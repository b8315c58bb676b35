"""Stateful metrics and per-sample metric functions (layerflow.metrics) against Keras 3."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import layerflow as lf
from layerflow import serialization
from tests.test_losses import _close, _data


def M():  # noqa: N802  (the module under test)
    return importlib.import_module("layerflow.metrics")


def keras():
    import keras as _keras

    return _keras


def _batches(kind: str, sizes=(4, 6, 5)):
    out = []
    for i, size in enumerate(sizes):
        y_true, y_pred = _data(kind, seed=10 + i, batch=size)
        rng = np.random.default_rng(20 + i)
        sw = None if i == 0 else rng.uniform(0, 2, size).astype(np.float32)
        out.append((y_true, y_pred, sw))
    return out


def _compare(ours, ref, batches, what: str) -> None:
    for y_true, y_pred, sw in batches:
        ours.update_state(y_true, y_pred, sample_weight=sw)
        ref.update_state(y_true, y_pred, sample_weight=sw)
    _close(ours.result().numpy(), np.asarray(ref.result()), what)
    ours.reset_state()
    ref.reset_state()
    y_true, y_pred, sw = batches[-1]
    ours.update_state(y_true, y_pred, sample_weight=sw)
    ref.update_state(y_true, y_pred, sample_weight=sw)
    _close(ours.result().numpy(), np.asarray(ref.result()), f"{what} after reset_state")


# (class name, kwargs, data kind)
CASES = [
    ("BinaryAccuracy", {}, "bin"),
    ("BinaryAccuracy", {"threshold": 0.7}, "bin"),
    ("CategoricalAccuracy", {}, "cat"),
    ("SparseCategoricalAccuracy", {}, "sparse"),
    ("TopKCategoricalAccuracy", {"k": 2}, "cat"),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, "sparse"),
    ("Precision", {}, "bin"),
    ("Precision", {"thresholds": [0.3, 0.6]}, "bin"),
    ("Precision", {"top_k": 2}, "bin"),
    ("Precision", {"class_id": 1}, "bin"),
    ("Recall", {}, "bin"),
    ("Recall", {"thresholds": [0.2, 0.5, 0.9]}, "bin"),
    ("Recall", {"top_k": 1, "class_id": 2}, "bin"),
    ("TruePositives", {}, "bin"), ("FalsePositives", {"thresholds": [0.2, 0.8]}, "bin"),
    ("TrueNegatives", {}, "bin"), ("FalseNegatives", {}, "bin"),
    ("AUC", {}, "bin"),
    ("AUC", {"curve": "PR"}, "bin"),
    ("AUC", {"curve": "PR", "summation_method": "minoring"}, "bin"),
    ("AUC", {"summation_method": "majoring", "num_thresholds": 50}, "bin"),
    ("AUC", {"curve": "PRGAIN"}, "bin"),
    ("AUC", {"from_logits": True}, "bin_logits"),
    ("AUC", {"thresholds": [0.1, 0.4, 0.5, 0.8]}, "bin"),
    ("AUC", {"multi_label": True, "num_labels": 4}, "bin"),
    ("AUC", {"label_weights": [0.5, 1.0, 2.0, 1.0]}, "bin"),
    ("F1Score", {}, "bin"),
    ("F1Score", {"average": "micro", "threshold": 0.5}, "bin"),
    ("F1Score", {"average": "macro"}, "bin"),
    ("F1Score", {"average": "weighted", "threshold": 0.4}, "bin"),
    ("FBetaScore", {"beta": 2.0, "average": "macro", "threshold": 0.5}, "bin"),
    ("MeanSquaredError", {}, "reg"), ("MeanAbsoluteError", {}, "reg"),
    ("RootMeanSquaredError", {}, "reg"), ("MeanAbsolutePercentageError", {}, "pos"),
    ("MeanSquaredLogarithmicError", {}, "pos"),
    ("R2Score", {}, "reg"), ("R2Score", {"class_aggregation": None}, "reg"),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, "reg"),
    ("R2Score", {"num_regressors": 2}, "reg"),
    ("BinaryCrossentropy", {}, "bin"),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, "bin_logits"),
    ("CategoricalCrossentropy", {}, "cat"),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, "cat_logits"),
    ("SparseCategoricalCrossentropy", {}, "sparse"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "sparse_logits"),
    ("CosineSimilarity", {}, "reg"), ("LogCoshError", {}, "reg"), ("Hinge", {}, "bin_logits"),
    ("SquaredHinge", {}, "hinge_pm"), ("CategoricalHinge", {}, "cat_logits"),
    ("KLDivergence", {}, "dist"), ("Poisson", {}, "pos"),
]


@pytest.mark.parametrize("name,kwargs,kind", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_metric_matches_keras(backend, name, kwargs, kind):
    _compare(getattr(M(), name)(**kwargs), getattr(keras().metrics, name)(**kwargs),
             _batches(kind), f"{name}{kwargs}")


def test_accuracy_and_rank1_inputs_match_keras(backend):
    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, 3, 5), rng.integers(0, 3, 5), None),
               (rng.integers(0, 3, 4), rng.integers(0, 3, 4), rng.uniform(size=4))]
    _compare(M().Accuracy(), keras().metrics.Accuracy(), batches, "Accuracy")
    sparse = [(y.reshape(-1, 1), p, w) for y, p, w in _batches("sparse")]
    _compare(M().SparseCategoricalAccuracy(), keras().metrics.SparseCategoricalAccuracy(),
             sparse, "SparseCategoricalAccuracy (batch, 1) labels")
    binary = [(y[:, 0], p[:, :1], w) for y, p, w in _batches("bin")]
    _compare(M().BinaryAccuracy(), keras().metrics.BinaryAccuracy(), binary,
             "BinaryAccuracy rank-1 labels")
    _compare(M().AUC(), keras().metrics.AUC(), binary, "AUC rank-1 labels")


@pytest.mark.parametrize("cls", ["Mean", "Sum"])
def test_mean_and_sum_match_keras(backend, cls):
    rng = np.random.default_rng(2)
    ours, ref = getattr(M(), cls)(), getattr(keras().metrics, cls)()
    feeds = [(rng.normal(size=5), None), (rng.normal(size=(4, 3)), rng.uniform(size=4)),
             (rng.normal(size=(2, 3)), rng.uniform(size=(2, 3))), (np.float32(1.5), 3),
             (rng.normal(size=3), 2.0)]
    for values, sw in feeds:
        values = np.asarray(values, np.float32)
        ours.update_state(values, sample_weight=sw)
        ref.update_state(values, sample_weight=sw)
    _close(ours.result().numpy(), np.asarray(ref.result()), cls)
    ours.reset_state()
    assert ours.result().item() == 0.0
    assert all(not v.trainable for v in ours.variables)


def test_trainer_style_loss_tracking(backend):
    tracker = M().Mean(name="loss")
    tracker.update_state(lf.tensor(2.0), sample_weight=4)
    tracker.update_state(lf.tensor(5.0), sample_weight=2)
    assert tracker.result().item() == 3.0 and tracker.name == "loss"


def _compiled_matches_eager(make, batches, what):
    eager, compiled_metric = make(), make()

    def step(y_true, y_pred, sw):
        compiled_metric.update_state(y_true, y_pred, sample_weight=sw)
        return compiled_metric.result()

    compiled = lf.compile(step, variables=compiled_metric.variables)
    for y_true, y_pred, sw in batches:
        eager.update_state(y_true, y_pred, sample_weight=sw)
        got = compiled(lf.tensor(y_true), lf.tensor(y_pred),
                       None if sw is None else lf.tensor(sw))
        _close(got.numpy(), eager.result().numpy(), what)
    _close(compiled_metric.result().numpy(), eager.result().numpy(), what)


@pytest.mark.parametrize("name,kwargs,kind", [
    ("BinaryAccuracy", {}, "bin"), ("SparseCategoricalAccuracy", {}, "sparse"),
    ("AUC", {"curve": "PR"}, "bin"), ("Precision", {"top_k": 2}, "bin"),
    ("RootMeanSquaredError", {}, "reg"), ("CategoricalCrossentropy", {}, "cat"),
])
def test_update_inside_lf_compile_equals_eager(name, kwargs, kind):
    previous = lf.get_backend()
    lf.set_backend("jax")
    try:
        batches = _batches(kind, sizes=(5, 5, 5))
        _compiled_matches_eager(lambda: getattr(M(), name)(**kwargs), batches, name)
        mean = M().Mean(name="loss")
        compiled = lf.compile(lambda v: (mean.update_state(v, sample_weight=8), mean.result())[1],
                              variables=mean.variables)
        compiled(lf.tensor(1.0))
        assert compiled(lf.tensor(4.0)).item() == 2.5
    finally:
        lf.set_backend(previous)


def test_data_dependent_variables_need_an_eager_build():
    previous = lf.get_backend()
    lf.set_backend("jax")
    try:
        metric = M().F1Score()
        step = lf.compile(lambda yt, yp: metric.update_state(yt, yp), variables=metric.variables)
        with pytest.raises(lf.errors.InvalidArgumentError, match="build"):
            step(lf.ones([2, 3]), lf.ones([2, 3]))
        metric = M().F1Score(average="macro", threshold=0.5)
        metric.build((None, 3), (None, 3))
        _compiled_matches_eager(lambda: _built(M().F1Score(average="macro", threshold=0.5)),
                                _batches("bin", (5, 5)), "F1Score")
    finally:
        lf.set_backend(previous)


def _built(metric):
    metric.build((None, 4), (None, 4))
    return metric


def test_get_accuracy_follows_the_loss():
    metrics, losses = M(), importlib.import_module("layerflow.losses")
    for loss, cls in [(losses.SparseCategoricalCrossentropy(), "SparseCategoricalAccuracy"),
                      (losses.BinaryCrossentropy(), "BinaryAccuracy"),
                      (losses.BinaryFocalCrossentropy(), "BinaryAccuracy"),
                      (losses.CategoricalCrossentropy(), "CategoricalAccuracy"),
                      ("binaryCrossentropy", "BinaryAccuracy"),
                      ("sparse_categorical_crossentropy", "SparseCategoricalAccuracy")]:
        for spelling in ("accuracy", "acc"):
            metric = metrics.get(spelling, loss=loss)
            assert type(metric).__name__ == cls and metric.name == spelling
    ce = metrics.get("ce", loss=losses.BinaryCrossentropy(from_logits=True))
    assert type(ce).__name__ == "BinaryCrossentropy" and ce.name == "ce" and ce.from_logits
    assert type(metrics.get("crossentropy", loss="categoricalCrossentropy")).__name__ == (
        "CategoricalCrossentropy")


def test_get_accuracy_without_a_crossentropy_loss_uses_shapes(backend):
    metric = M().get("accuracy", loss=importlib.import_module("layerflow.losses").Huber())
    assert metric.name == "accuracy"
    metric.update_state([[1.0], [0.0]], [[0.8], [0.7]])  # one column: binary
    assert metric.result().item() == 0.5
    metric.reset_state()
    metric.update_state([1, 2], [[0.1, 0.8, 0.1], [0.1, 0.2, 0.7]])  # sparse labels
    assert metric.result().item() == 1.0


TFJS_NAMES = {"binaryAccuracy": "BinaryAccuracy", "categoricalAccuracy": "CategoricalAccuracy",
              "sparseCategoricalAccuracy": "SparseCategoricalAccuracy",
              "precision": "Precision", "recall": "Recall",
              "categoricalCrossentropy": "CategoricalCrossentropy",
              "sparseCategoricalCrossentropy": "SparseCategoricalCrossentropy",
              "binaryCrossentropy": "BinaryCrossentropy", "mse": "MeanSquaredError",
              "MSE": "MeanSquaredError", "mae": "MeanAbsoluteError",
              "MAE": "MeanAbsoluteError", "mape": "MeanAbsolutePercentageError",
              "MAPE": "MeanAbsolutePercentageError", "meanSquaredError": "MeanSquaredError",
              "r2Score": "R2Score"}
KERAS_NAMES = {"msle": "MeanSquaredLogarithmicError", "auc": "AUC", "AUC": "AUC",
               "f1_score": "F1Score", "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
               "root_mean_squared_error": "RootMeanSquaredError", "kld": "KLDivergence",
               "logcosh": "LogCoshError", "cosine_similarity": "CosineSimilarity",
               "BinaryAccuracy": "BinaryAccuracy", "bce": "BinaryCrossentropy"}


def test_get_every_spelling_names_the_metric_as_written():
    metrics = M()
    for name, cls in {**TFJS_NAMES, **KERAS_NAMES}.items():
        metric = metrics.get(name)
        assert type(metric).__name__ == cls and metric.name == name, name
    cosine = metrics.get("cosine")  # TF.js: cosineProximity, the negative similarity
    assert isinstance(cosine, metrics.MeanMetricWrapper) and cosine.name == "cosine"
    huber = metrics.get("huber")
    assert isinstance(huber, metrics.MeanMetricWrapper) and huber.name == "huber"
    instance = metrics.AUC()
    assert metrics.get(instance) is instance
    assert type(metrics.get(metrics.Recall)).__name__ == "Recall"
    restored = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}})
    assert restored.threshold == 0.3


def test_get_function_makes_mean_metric_wrapper(backend):
    def my_error(y_true, y_pred):
        return lf.mean(lf.abs(lf.sub(y_true, y_pred)), -1)

    metric = M().get(my_error)
    assert isinstance(metric, M().MeanMetricWrapper) and metric.name == "my_error"
    metric.update_state([[1.0, 2.0]], [[2.0, 4.0]])
    assert metric.result().item() == 1.5


def test_unknown_metric_lists_valid_names():
    with pytest.raises(serialization.UnknownNameError) as info:
        M().get("binaryAccurcy")
    assert "binary_accuracy" in str(info.value) and "auc" in str(info.value)


def test_shape_mismatch_is_a_shape_error(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"\(2, 3\).*\(2, 4\)"):
        M().MeanSquaredError().update_state(lf.zeros([2, 3]), lf.zeros([2, 4]))
    with pytest.raises(lf.errors.ShapeError, match=r"\(2, 3\).*\(2, 4\)"):
        M().AUC().update_state(lf.zeros([2, 3]), lf.zeros([2, 4]))
    with pytest.raises(lf.errors.ShapeError, match=r"\(3,\).*\(2, 4\)"):
        M().SparseCategoricalAccuracy().update_state(lf.zeros([3]), lf.zeros([2, 4]))


def test_config_keys_and_round_trip():
    metrics = M()
    for name, kwargs, _ in CASES:
        ours = getattr(metrics, name)(**kwargs)
        ref = getattr(keras().metrics, name)(**kwargs)
        config, keras_config = ours.get_config(), ref.get_config()
        # NOTE: Keras's CosineSimilarity config drops axis; ours keeps it.
        assert set(keras_config) <= set(config) <= set(keras_config) | {"axis"}, name
        for key in keras_config:
            if key not in ("name", "label_weights"):
                assert config[key] == keras_config[key], (name, key)
        clone = type(ours).from_config(config)
        assert clone.get_config() == config
        assert metrics.deserialize(metrics.serialize(ours)).get_config() == config


def test_per_sample_functions(backend):
    metrics = M()
    y_true, y_pred = _data("cat", seed=7)
    for name in ("categorical_accuracy", "categorical_crossentropy", "mean_squared_error",
                 "mean_absolute_error", "kl_divergence", "poisson", "categorical_hinge",
                 "top_k_categorical_accuracy"):
        _close(getattr(metrics, name)(y_true, y_pred).numpy(),
               np.asarray(getattr(keras().metrics, name)(y_true, y_pred)), name)
    # TF.js's batch-level functions
    assert metrics.precision([1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]).item() == (
        pytest.approx(2 / 3))
    assert metrics.recall([1.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 1.0]).item() == (
        pytest.approx(2 / 3))
    assert metrics.r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]).item() == 0.5
    assert metrics.mse is metrics.MSE is metrics.mean_squared_error
    assert metrics.cosine_proximity([[1.0, 0.0]], [[1.0, 0.0]]).item() == -1.0
