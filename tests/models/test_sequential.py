"""Sequential models: add/pop/get_layer, deferred build, config, summary, training."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf


def test_add_pop_get_layer(backend):
    model = lf.sequential()
    model.add(lf.layers.dense(units=4, input_shape=[2], name="first"))
    model.add(lf.layers.dense(units=1, name="second"))
    assert model.output_shape == (None, 1)
    assert model.get_layer("second") is model.layers[1]
    assert model.get_layer(index=0).name == "first"
    assert model.pop().name == "second"
    assert model.output_shape == (None, 4)


def test_deferred_build_from_data(backend):
    model = lf.Sequential([lf.layers.Dense(3), lf.layers.Dense(1)])
    assert model(lf.ones([2, 5])).shape == (2, 1)
    assert model.layers[0].kernel.shape == (5, 3)


def test_quickstart_learns_y_equals_2x_minus_1(backend):
    lf.set_seed(1)
    model = lf.sequential()
    model.add(lf.layers.dense(units=1, input_shape=[1]))
    model.compile(optimizer="sgd", loss="mean_squared_error")
    xs = np.array([[1], [2], [3], [4]], dtype=np.float32)
    ys = np.array([[1], [3], [5], [7]], dtype=np.float32)
    history = model.fit(xs, ys, epochs=1000, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert abs(float(model.predict(np.array([[5.0]]))[0, 0]) - 9.0) < 0.1


def test_summary_prints_keras_table(backend):
    model = lf.sequential([lf.layers.Dense(2, input_shape=[3], name="d")], name="s")
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[0] == 'Model: "s"'
    assert any(line.startswith(" d (Dense)") and "(None, 2)" in line for line in lines)
    assert "Total params: 8 (32.00 Byte)" in lines


def test_fit_before_compile_and_bad_data(backend):
    model = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    with pytest.raises(lf.errors.LayerflowError, match="compiled"):
        model.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(lf.errors.LayerflowError, match="x\\[0\\] has 5 samples, y\\[0\\] has 4"):
        model.fit(np.zeros((5, 2)), np.zeros((4, 1)), verbose=0)
    with pytest.raises(lf.errors.LayerflowError, match="empty"):
        model.fit(np.zeros((0, 2)), np.zeros((0, 1)), verbose=0)
    with pytest.raises(lf.errors.LayerflowError, match="validation_split"):
        model.fit(np.zeros((4, 2)), np.zeros((4, 1)), validation_split=1.5, verbose=0)
