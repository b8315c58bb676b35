"""Models saved by layerflow load in real TensorFlow.js (Node) and predict the same; models
saved by TF.js load in layerflow and predict the same."""

from __future__ import annotations

import json

import numpy as np
import pytest

import layerflow as lf
from tests.io.conftest import TFJS, TFJS_DIR  # noqa: F401  (the Node runner of tests/io)


@pytest.fixture(scope="module")
def node():
    import shutil
    import subprocess

    node_bin, npm = shutil.which("node"), shutil.which("npm")
    if node_bin is None or npm is None:
        pytest.skip("node/npm are not installed")
    if not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=TFJS_DIR, check=True, capture_output=True, timeout=600)
    return TFJS(node_bin)


def _models():
    rng = np.random.default_rng(0)
    seq = lf.sequential([lf.layers.Dense(5, activation="relu", input_shape=[6]),
                         lf.layers.Dropout(0.2), lf.layers.BatchNormalization(),
                         lf.layers.Dense(3, activation="softmax")], name="seq")
    x_seq = rng.normal(size=(4, 6)).astype(np.float32)

    img = lf.input(shape=[8, 8, 2], name="img")
    h = lf.layers.Conv2D(4, 3, padding="same", activation="relu")(img)
    h = lf.layers.MaxPooling2D(2)(h)
    h = lf.layers.DepthwiseConv2D(3, padding="same")(h)
    h = lf.layers.SeparableConv2D(3, 3)(h)
    h = lf.layers.Conv2DTranspose(2, 3, strides=2)(h)
    h = lf.layers.GlobalAveragePooling2D()(h)
    vec = lf.input(shape=[4], name="vec")
    merged = lf.layers.concatenate([h, lf.layers.Dense(2)(vec)])
    out = lf.layers.Dense(1)(lf.layers.add([merged, lf.layers.Dense(4)(merged)]))
    functional = lf.model(inputs=[img, vec], outputs=out, name="func")
    x_func = [rng.normal(size=(2, 8, 8, 2)).astype(np.float32),
              rng.normal(size=(2, 4)).astype(np.float32)]

    rnn = lf.sequential([lf.layers.Embedding(10, 4, input_shape=[5]),
                         lf.layers.LSTM(3, return_sequences=True),
                         lf.layers.Bidirectional(lf.layers.GRU(2, reset_after=False)),
                         lf.layers.Dense(2)], name="rnn")
    x_rnn = rng.integers(0, 10, size=(3, 5)).astype(np.float32)
    seq1d = lf.sequential([
        lf.layers.Conv1D(4, 3, padding="same", input_shape=[10, 3]),
        lf.layers.LeakyReLU(negative_slope=0.1), lf.layers.AveragePooling1D(2),
        lf.layers.SpatialDropout1D(0.1), lf.layers.MaxPooling1D(1),
        lf.layers.SimpleRNN(4, return_sequences=True),
        lf.layers.TimeDistributed(lf.layers.Dense(3)), lf.layers.LayerNormalization(),
        lf.layers.GlobalMaxPooling1D(), lf.layers.RepeatVector(2), lf.layers.Permute([2, 1]),
        lf.layers.GlobalAveragePooling1D(), lf.layers.PReLU(), lf.layers.ELU(),
        lf.layers.Dense(3), lf.layers.Softmax()], name="seq1d")
    x_seq1d = rng.normal(size=(2, 10, 3)).astype(np.float32)

    inner_in = lf.input(shape=[6, 6, 1])
    t = lf.layers.ZeroPadding2D(1)(inner_in)
    t = lf.layers.Cropping2D(1)(t)
    t = lf.layers.UpSampling2D(2)(t)
    t = lf.layers.AveragePooling2D(2)(t)
    t = lf.layers.Dense(1)(lf.layers.Flatten()(t))
    inner = lf.model(inputs=inner_in, outputs=lf.layers.Activation("sigmoid")(t), name="inner")
    outer_in = lf.input(shape=[6, 6, 1])
    u = inner(outer_in)
    u = lf.layers.add([u, lf.layers.GlobalMaxPooling2D()(outer_in)])
    v = lf.layers.Reshape([1])(u)
    w = lf.layers.Dense(1)(v)
    mixed = [lf.layers.average([v, w]), lf.layers.maximum([v, w]), lf.layers.minimum([v, w]),
             lf.layers.multiply([v, w]), lf.layers.dot([v, w], axes=1)]
    h = lf.layers.concatenate(mixed)
    h = lf.layers.ReLU()(lf.layers.ThresholdedReLU(theta=0.1)(h))
    nested = lf.model(inputs=outer_in, outputs=lf.layers.Masking(0.0)(h), name="nested")
    x_nested = rng.normal(size=(2, 6, 6, 1)).astype(np.float32)
    vol = lf.sequential([
        lf.layers.Conv3D(2, 2, padding="same", input_shape=[4, 4, 4, 1]),
        lf.layers.MaxPooling3D(2), lf.layers.Conv3DTranspose(2, 2, strides=2),
        lf.layers.AveragePooling3D(2), lf.layers.GaussianNoise(0.1),
        lf.layers.GaussianDropout(0.1), lf.layers.AlphaDropout(0.1), lf.layers.Flatten(),
        lf.layers.Dense(2)], name="vol")
    x_vol = rng.normal(size=(2, 4, 4, 4, 1)).astype(np.float32)
    return [("sequential", seq, x_seq), ("functional", functional, x_func),
            ("recurrent", rnn, x_rnn), ("sequential_1d", seq1d, x_seq1d),
            ("nested", nested, x_nested), ("volumes_noise", vol, x_vol)]


def _write_inputs(path, x):
    xs = x if isinstance(x, list) else [x]
    path.write_text(json.dumps([TFJS.from_array(f"x{i}", a) for i, a in enumerate(xs)]))


@pytest.mark.parametrize("quantize", [None, "float16", "uint8"])
def test_layerflow_models_load_in_tfjs(node, tmp_path, quantize):
    for kind, model, x in _models():
        folder = tmp_path / f"{kind}_{quantize}"
        model.save(str(folder), quantize=quantize)
        _write_inputs(tmp_path / "x.json", x)
        node.run("predict_model.js", folder / "model.json", tmp_path / "x.json",
                 tmp_path / "out.json")
        got = TFJS.to_array(TFJS.read_json(tmp_path / "out.json")["y"])
        want = model.predict(x)
        tol = {None: 1e-5, "float16": 2e-2, "uint8": 1e-1}[quantize]
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * max(1, np.abs(want).max()),
                                   err_msg=f"{kind} ({quantize})")


def test_tfjs_models_load_in_layerflow(node, tmp_path):
    node.run("model.js", "make", tmp_path / "m")
    model = lf.load_layers_model(str(tmp_path / "m" / "model.json"))
    expected = TFJS.read_json(tmp_path / "m" / "predict.json")
    x, y = TFJS.to_array(expected["x"]), TFJS.to_array(expected["y"])
    np.testing.assert_allclose(model.predict(x), y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer,tol", [
    (lambda: lf.optimizers.SGD(0.05), 1e-6),
    (lambda: lf.optimizers.SGD(0.05, momentum=0.9), 1e-5),
    (lambda: lf.optimizers.Adam(0.01), 1e-5),  # TF.js puts Adam's epsilon elsewhere (~1e-7)
    (lambda: lf.optimizers.RMSprop(0.01), 1e-5),
])
def test_training_resumes_across_tfjs(node, tmp_path, optimizer, tol):
    """layerflow trains and saves with the optimizer; TF.js loads, trains one step and saves;
    layerflow loads that and has what its own step from the same file gives."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-1.0], [2.0]], np.float32)).astype(np.float32)
    model = lf.sequential([lf.layers.Dense(4, activation="tanh", input_shape=[3]),
                           lf.layers.Dense(1)])
    model.compile(optimizer=optimizer(), loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    model.save(str(tmp_path / "start"), include_optimizer=True)
    _write_inputs(tmp_path / "x.json", x)
    _write_inputs(tmp_path / "y.json", y)
    node.run("train_step.js", tmp_path / "start" / "model.json", tmp_path / "x.json",
             tmp_path / "y.json", tmp_path / "after")
    from_tfjs = lf.load_layers_model(str(tmp_path / "after"))
    ours = lf.load_layers_model(str(tmp_path / "start"))
    ours.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(from_tfjs.get_weights(), ours.get_weights()):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert int(from_tfjs.optimizer.iterations.numpy()) == int(ours.optimizer.iterations.numpy())
    for got, want in zip(from_tfjs.optimizer.get_weights(), ours.optimizer.get_weights()):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
