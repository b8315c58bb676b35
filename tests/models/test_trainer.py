"""Built-in training: parity with Keras 3, eager == compiled, reproducibility, no leaks, errors."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import layerflow as lf


def _data(n=160, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.1).astype(np.float32)
    return x, y


def _initial_weights(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, 4)).astype(np.float32) * 0.5, np.zeros(4, np.float32),
            rng.normal(size=(4, 1)).astype(np.float32) * 0.5, np.zeros(1, np.float32)]


def _lf_model(optimizer, **compile_kwargs):
    model = lf.sequential([lf.layers.Dense(4, activation="relu", input_shape=[3]),
                           lf.layers.Dense(1)])
    model.set_weights(_initial_weights())
    model.compile(optimizer=optimizer, loss="mse", **compile_kwargs)
    return model


@pytest.mark.parametrize("name,make_lf,make_keras", [
    ("sgd", lambda: lf.optimizers.SGD(0.05, momentum=0.9),
     lambda k: k.optimizers.SGD(0.05, momentum=0.9)),
    ("adam", lambda: lf.optimizers.Adam(0.01), lambda k: k.optimizers.Adam(0.01)),
    ("rmsprop", lambda: lf.optimizers.RMSprop(0.01), lambda k: k.optimizers.RMSprop(0.01)),
])
def test_twenty_steps_match_keras(backend, name, make_lf, make_keras):
    import keras

    x, y = _data()
    model = _lf_model(make_lf())
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    reference = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                                  keras.layers.Dense(1)])
    reference.set_weights(_initial_weights())
    reference.compile(optimizer=make_keras(keras), loss="mse")
    want = reference.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for got, ref in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], want.history["loss"], rtol=1e-5)


def test_eager_and_compiled_training_give_the_same_weights():
    pytest.importorskip("jax")
    lf.set_backend("jax")
    x, y = _data()
    results = []
    for eager in (True, False):
        model = _lf_model(lf.optimizers.Adam(0.01), run_eagerly=eager,
                          metrics=["mae"], steps_per_execution=1 if eager else 4)
        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for eager_w, compiled_w in zip(*results):
        np.testing.assert_allclose(compiled_w, eager_w, rtol=1e-5, atol=1e-6)


_REPRO = textwrap.dedent("""
    import sys, numpy as np, layerflow as lf
    lf.set_backend(sys.argv[1]); lf.set_seed(123)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = lf.sequential([lf.layers.Dense(8, activation='relu', input_shape=[3]),
                           lf.layers.Dropout(0.3), lf.layers.Dense(1)])
    model.compile(optimizer='adam', loss='mse')
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    print(np.concatenate([w.ravel() for w in model.get_weights()]).tobytes().hex())
""")


def test_same_seed_gives_bitwise_identical_training_in_new_processes(backend):
    runs = [subprocess.run([sys.executable, "-c", _REPRO, backend], capture_output=True,
                           text=True, env={**os.environ}, timeout=300) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    assert runs[0].stdout == runs[1].stdout


def test_fit_predict_evaluate_do_not_leak(backend):
    x, y = _data(32)
    model = _lf_model("sgd")
    model.fit(x, y, epochs=1, verbose=0)
    model.predict(x)
    model.evaluate(x, y, verbose=0)
    gc.collect()  # NOTE: garbage from earlier tests would otherwise be freed mid-measurement
    before = lf.memory().num_tensors
    for _ in range(20):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for _ in range(1000):
        model.predict(x[:4])
        model.evaluate(x[:4], y[:4], verbose=0)
    gc.collect()
    assert lf.memory().num_tensors == before


def test_dispose_frees_every_variable(backend):
    model = _lf_model("adam")
    x, y = _data(16)
    model.fit(x, y, epochs=1, verbose=0)
    variables = model.weights + model.optimizer.variables
    model.dispose()
    assert all(v.is_disposed for v in variables)


def test_multi_output_fit_with_dicts_and_loss_weights(backend):
    inp = lf.input(shape=[3], name="features")
    a = lf.layers.Dense(1, name="reg")(inp)
    b = lf.layers.Dense(2, activation="softmax", name="cls")(inp)
    model = lf.model(inputs=inp, outputs=[a, b])
    model.compile(optimizer="adam", loss={"reg": "mse", "cls": "categoricalCrossentropy"},
                  loss_weights={"reg": 1.0, "cls": 0.5}, metrics={"cls": ["acc"]})
    x, y = _data(32)
    labels = np.eye(2, dtype=np.float32)[(x[:, 0] > 0).astype(int)]
    history = model.fit({"features": x}, {"reg": y, "cls": labels}, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "reg_loss", "cls_loss", "cls_acc"}
    total = history.history["reg_loss"][-1] + 0.5 * history.history["cls_loss"][-1]
    assert abs(history.history["loss"][-1] - total) < 1e-4


def test_unknown_names_list_the_valid_ones(backend):
    model = _lf_model("sgd")
    with pytest.raises(lf.errors.LayerflowError, match="mean_squared_error"):
        model.compile(optimizer="sgd", loss="mean_squared_eror")
    with pytest.raises(lf.errors.LayerflowError, match="adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(lf.errors.LayerflowError, match="accuracy"):
        model.compile(optimizer="sgd", loss="mse", metrics=["acuracy"])
    with pytest.raises(lf.errors.LayerflowError, match="relu"):
        lf.layers.Dense(2, activation="rleu")
    with pytest.raises(lf.errors.LayerflowError, match="glorot_uniform"):
        lf.layers.Dense(2, kernel_initializer="glorot_unifrom")(lf.ones([1, 2]))


def test_wrong_inputs_are_clear_errors(backend):
    a, b = lf.input(shape=[2], name="a"), lf.input(shape=[2], name="b")
    model = lf.model(inputs=[a, b], outputs=lf.layers.add([a, b]))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(lf.errors.LayerflowError, match="a.*b"):
        model.fit({"a": np.zeros((4, 2))}, np.zeros((4, 2)), verbose=0)
    with pytest.raises(lf.errors.LayerflowError, match="2"):
        model.predict(np.zeros((4, 2)))


def _reference_predict(x):
    """The model of _lf_model computed with NumPy from _initial_weights."""
    w1, b1, w2, b2 = _initial_weights()
    return np.maximum(x.astype(np.float32) @ w1 + b1, 0.0) @ w2 + b2


@pytest.mark.parametrize("batch_size", [None, 7, 64])
def test_predict_in_one_batch_or_many_gives_the_model_outputs(backend, batch_size):
    x, _ = _data(20)
    model = _lf_model("sgd")
    out = model.predict(x, batch_size=batch_size)
    assert out.shape == (20, 1) and out.dtype == np.float32 and out.flags.writeable
    np.testing.assert_allclose(out, _reference_predict(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x[:1]), _reference_predict(x[:1]), rtol=1e-5,
                               atol=1e-6)


def test_predict_converts_float64_and_integer_inputs_as_lf_tensor_does(backend):
    model = _lf_model("sgd")
    x64 = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(model.predict(x64), _reference_predict(x64), rtol=1e-5,
                               atol=1e-6)
    ints = np.array([[1, 0, 2], [3, 1, 0]], np.uint8)
    np.testing.assert_allclose(model.predict(ints), _reference_predict(ints),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x64[:1]), _reference_predict(x64[:1]),
                               rtol=1e-5, atol=1e-6)


def test_predict_after_switching_backend_runs_eagerly():
    pytest.importorskip("jax")
    x, _ = _data(8)
    previous = lf.get_backend()
    try:
        lf.set_backend("jax")
        model = _lf_model("sgd")
        model.predict(x)
        lf.set_backend("numpy")
        np.testing.assert_allclose(model.predict(x), _reference_predict(x), rtol=1e-5,
                                   atol=1e-6)
    finally:
        lf.set_backend(previous)


def test_donated_training_leaves_tensors_sharing_a_weight_intact(jax_backend):
    """The compiled train step donates the variables' buffers; a tensor that shares one
    (a clone) or a NumPy copy taken before must keep the values it had."""
    model = lf.sequential([lf.layers.Dense(4, input_shape=[3]), lf.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 3), np.float32), rng.random((64, 2), np.float32)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    before = model.weights[0].numpy().copy()
    held = model.weights[0].numpy()
    shared = model.weights[0].clone()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    np.testing.assert_array_equal(shared.numpy(), before)
    np.testing.assert_array_equal(held, before)
    assert not np.array_equal(model.weights[0].numpy(), before)
