"""fit_dataset / evaluate_dataset: training, TF.js epoch rules, validation, leaks, bad input."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import layerflow as lf
import layerflow.data  # noqa: F401  (binds lf.data until the namespace exports it)
from layerflow.models.data import DataError
from layerflow.models.dataset_training import (
    evaluate_dataset,
    fit_dataset,
    fit_from_fit_args,
    is_dataset_like,
)


def _model():
    lf.set_seed(0)
    model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _data(n=64):
    x = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32)
    return x, (x @ np.array([[1.5], [-2.0]], np.float32) + 0.5)


def _batches(n=64, batch=16, form="dict"):
    x, y = _data(n)
    if form == "dict":
        return lf.data.zip({"xs": lf.data.array(x), "ys": lf.data.array(y)}).batch(batch)
    return lf.data.from_numpy(x, y).batch(batch)


@pytest.mark.parametrize("form", ["dict", "tuple"])
def test_fit_dataset_trains_and_loss_decreases(backend, form):
    model = _model()
    history = fit_dataset(model, _batches(form=form), epochs=8, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 8 and history.epoch == list(range(8))
    assert losses[-1] < 0.5 * losses[0]


def test_fit_dataset_counts_batches_and_opens_fresh_iterators():
    model, passes, seen = _model(), [], []
    x, y = _data(40)

    def gen():
        passes.append(1)
        for i in range(0, 40, 10):
            yield x[i:i + 10], y[i:i + 10]

    class Count(lf.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    fit_dataset(model, lf.data.generator(gen), epochs=3, callbacks=[Count()], verbose=0)
    assert len(passes) == 3 and seen == [0, 1, 2, 3] * 3


def test_batches_per_epoch_shares_one_iterator_and_warns_when_dry():
    model, passes = _model(), []
    x, y = _data(50)

    def gen():
        passes.append(1)
        for i in range(0, 50, 10):
            yield {"xs": x[i:i + 10], "ys": y[i:i + 10]}

    with pytest.warns(UserWarning, match=r"ran out of data after 5 batches.*repeat\(\)"):
        history = fit_dataset(model, lf.data.generator(gen), epochs=4, batches_per_epoch=2,
                              verbose=0)
    assert len(passes) == 1
    assert len(history.history["loss"]) == 3  # epochs 0, 1 full; epoch 2 had one batch


def test_batches_per_epoch_with_repeat_runs_all_epochs():
    model = _model()
    history = fit_dataset(model, _batches().repeat(), epochs=3, batches_per_epoch=7, verbose=0)
    assert history.epoch == [0, 1, 2]


def test_validation_from_dataset_and_arrays(backend):
    model = _model()
    x, y = _data(32)
    history = fit_dataset(model, _batches(), epochs=2, verbose=0,
                          validation_data=_batches(32, 8), validation_batches=2)
    assert set(history.history) == {"loss", "val_loss"} and len(history.history["val_loss"]) == 2
    history = fit_dataset(model, _batches(), epochs=1, verbose=0, validation_data=(x, y))
    assert history.history["val_loss"][0] == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-5)


def test_evaluate_dataset_matches_evaluate(backend):
    model = _model()
    x, y = _data(48)
    expected = model.evaluate(x, y, batch_size=16, verbose=0)
    assert evaluate_dataset(model, lf.data.from_numpy(x, y).batch(16)) == pytest.approx(
        expected, rel=1e-5)
    assert evaluate_dataset(model, lf.data.from_numpy(x, y).batch(16), return_dict=True).keys() \
        == {"loss"}
    with pytest.warns(UserWarning, match="ran out of data"):
        evaluate_dataset(model, lf.data.from_numpy(x, y).batch(16), batches=5)


def test_multi_input_dict_elements(backend):
    lf.set_seed(0)
    a, b = lf.input(shape=[2], name="a"), lf.input(shape=[3], name="b")
    out = lf.layers.Dense(1, name="out")(lf.layers.Concatenate()([a, b]))
    model = lf.model(inputs=[a, b], outputs=out)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(32, 2)), rng.normal(size=(32, 3))
    y = xa.sum(axis=1, keepdims=True) - xb.sum(axis=1, keepdims=True)
    ds = lf.data.zip({"xs": {"a": lf.data.array(xa), "b": lf.data.array(xb)},
                      "ys": lf.data.array(y)}).batch(8)
    history = fit_dataset(model, ds, epochs=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    bad = lf.data.array([{"xs": {"a": xa[:4]}, "ys": y[:4]}])
    with pytest.raises(DataError, match=r"element 0: xs: expected keys \['a', 'b'\]"):
        fit_dataset(model, bad, verbose=0)


def test_class_weight_and_sample_weight_elements():
    model = _model()
    x, y = _data(16)
    weights = np.ones(16, np.float32)
    ds = lf.data.array([(x, y, weights)])
    assert fit_dataset(model, ds, verbose=0).history["loss"][0] > 0
    labels = (y > 0).astype(np.float32)
    history = fit_dataset(model, lf.data.array([(x, labels)]), class_weight={0: 1.0, 1: 2.0},
                          verbose=0)
    assert history.history["loss"][0] > 0


def test_no_leaks_over_epochs_with_map(backend):
    model = _model()
    x, y = _data(64)
    ds = lf.data.from_numpy(x, y).map(
        lambda e: (lf.tensor(e[0]) * 2.0 - lf.tensor(e[0]), lf.tensor(e[1]) + 0.0)).batch(16)
    fit_dataset(model, ds, epochs=1, verbose=0)  # warm-up: builds the step (and compiles)
    gc.collect()  # NOTE: earlier tests' garbage cycles must not be counted as freed here
    before = lf.memory().num_tensors
    fit_dataset(model, ds, epochs=20, verbose=0)
    gc.collect()
    assert lf.memory().num_tensors == before


def test_model_fit_adapter_maps_keras_arguments():
    model = _model()
    x, y = _data(32)

    def gen():
        while True:
            yield x[:8], y[:8]

    assert is_dataset_like(gen()) and is_dataset_like(_batches())
    assert not is_dataset_like(x) and not is_dataset_like([x])
    history = fit_from_fit_args(model, gen(), epochs=3, steps_per_epoch=2, verbose=0,
                                validation_data=(x, y))
    assert history.epoch == [0, 1, 2] and "val_loss" in history.history
    with pytest.raises(DataError, match="y cannot be given"):
        fit_from_fit_args(model, _batches(), y, verbose=0)


# -- bad input -------------------------------------------------------------------------------
def test_empty_dataset_is_a_clear_error():
    model = _model()
    with pytest.raises(DataError, match="no batches"):
        fit_dataset(model, lf.data.array([]), verbose=0)
    with pytest.raises(DataError, match="no batches"):
        fit_dataset(model, _batches().filter(lambda e: False), verbose=0)
    with pytest.raises(DataError, match="no batches"):
        evaluate_dataset(model, lf.data.array([]))


@pytest.mark.parametrize("element,match", [
    ({"x": np.zeros((2, 2)), "y": np.zeros((2, 1))},
     r"element 0: expected a dict with keys 'xs' and 'ys'.*got keys \['x', 'y'\]"),
    (np.zeros((2, 2)), r"element 0: expected a batch .*'xs'.*got a ndarray"),
    ((np.zeros((2, 2)),), r"element 0: expected a batch"),
])
def test_wrong_structure_names_index_and_keys(element, match):
    with pytest.raises(DataError, match=match):
        fit_dataset(_model(), lf.data.array([element]), verbose=0)


def test_wrong_structure_later_element_names_its_index():
    good = (np.zeros((2, 2)), np.zeros((2, 1)))
    with pytest.raises(DataError, match="element 2"):
        fit_dataset(_model(), lf.data.array([good, good, {"xs": good[0]}]), verbose=0)


def test_unbatched_elements_are_a_rank_error():
    x, y = _data(8)
    with pytest.raises(DataError, match=r"input '\w+' expects shape \(None, 2\).*got "
                                        r"shape \(2,\).*dataset\.batch"):
        fit_dataset(_model(), lf.data.from_numpy(x, y), verbose=0)
    with pytest.raises(DataError, match="same number of samples"):
        fit_dataset(_model(), lf.data.array([(x[:4], y[:3])]), verbose=0)


def test_bad_arguments():
    model = _model()
    with pytest.raises(DataError, match="expected a lf.data.Dataset"):
        fit_dataset(model, [1, 2], verbose=0)
    with pytest.raises(lf.errors.InvalidArgumentError, match="batches_per_epoch"):
        fit_dataset(model, _batches(), batches_per_epoch=0, verbose=0)
    with pytest.raises(DataError, match="validation_data"):
        fit_dataset(model, _batches(), validation_data=3, verbose=0)
    uncompiled = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    with pytest.raises(lf.errors.LayerflowError, match="compiled"):
        fit_dataset(uncompiled, _batches(), verbose=0)


def test_steps_per_execution_groups_batches_and_callbacks_see_each(backend):
    lf.set_seed(0)
    model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    seen = []

    class Count(lf.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    history = fit_dataset(model, _batches(80, 16), epochs=2, callbacks=[Count()], verbose=0)
    assert seen == [0, 1, 2, 3, 4] * 2
    assert history.history["loss"][1] < history.history["loss"][0]


def test_prefetched_tensor_pipeline_trains_safely(backend):
    # NOTE: map and batch make tensors in the prefetch thread while steps run (and, on jax,
    # are traced); ENGINE.lock keeps the engine's scopes apart.
    model = _model()
    x, y = _data(512)
    ds = lf.data.from_numpy(x, y).map(
        lambda e: (lf.tensor(e[0]) * 1.0, lf.tensor(e[1]) + 0.0)).batch(16).prefetch(4)
    history = fit_dataset(model, ds, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert evaluate_dataset(model, ds) == pytest.approx(model.evaluate(x, y, verbose=0,
                                                                       batch_size=16), rel=1e-4)


def test_compiled_fit_dataset_takes_host_batches_as_arrays(jax_backend):
    # NOTE: from_numpy(...).shuffle().batch().prefetch() hands fit_dataset NumPy batches for
    # the compiled step; the weights are those of the same batches made as tensors.
    x, y = _data(256)
    weights = []
    for host in (True, False):
        lf.set_seed(0)
        model = _model()
        ds = lf.data.from_numpy(x, y)
        ds = (ds if host else ds.map(lambda e: e)).shuffle(64, seed=2).batch(16).prefetch(2)
        assert (ds._host_stages is not None) == host
        fit_dataset(model, ds, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for got, want in zip(*weights):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
