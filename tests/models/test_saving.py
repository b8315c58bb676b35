"""model.save / lf.load_layers_model: round trips, name matching, custom classes, safety."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import layerflow as lf
from layerflow.models.saving import WeightsMismatchError, assign_weights


def _model():
    return lf.sequential([lf.layers.Dense(3, activation="relu", input_shape=[2], name="h"),
                          lf.layers.Dense(1, name="out")], name="small")


def test_round_trip_with_metadata_and_quantization(backend, tmp_path):
    model = _model()
    model.set_user_defined_metadata({"author": "test", "n": [1, 2]})
    model.save(str(tmp_path / "m"), quantize="float16")
    again = lf.load_layers_model(f"file://{tmp_path / 'm' / 'model.json'}")
    assert again.get_user_defined_metadata() == {"author": "test", "n": [1, 2]}
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=2e-3, atol=2e-3)


def test_keras3_and_cell_names_match(backend):
    model = lf.sequential([lf.layers.LSTM(2, input_shape=[3, 1], name="rec"),
                           lf.layers.Dense(1, name="out")])
    values = [np.full(w.shape, i + 1.0, np.float32) for i, w in enumerate(model.weights)]
    saved = {"rec/kernel": values[0], "rec/recurrent_kernel": values[1], "rec/bias": values[2],
             "layers/out/vars/0": values[3], "layers/out/vars/1": values[4]}
    assert assign_weights(model, saved) == []
    for got, want in zip(model.get_weights(), values):
        np.testing.assert_array_equal(got, want)


def test_strict_and_lenient_loading(backend):
    model = _model()
    partial = {"h/kernel": np.ones((2, 3), np.float32), "extra/w": np.ones(1, np.float32)}
    with pytest.raises(WeightsMismatchError, match="strict=False"):
        assign_weights(model, partial)
    with pytest.warns(UserWarning, match="loaded 1 of 4"):
        unused = assign_weights(model, partial, strict=False)
    assert unused == ["extra/w"]
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), np.ones((2, 3)))
    with pytest.raises(WeightsMismatchError, match="shape"):
        assign_weights(model, {"h/kernel": np.ones((3, 3), np.float32)}, strict=False)


def _custom_class(name: str):
    def __init__(self, factor=2.0, **kwargs):
        lf.layers.Layer.__init__(self, **kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    # NOTE: a new class name per test run: registrations are process-wide.
    return type(name, (lf.layers.Layer,), {"__init__": __init__, "call": call})


def test_lenient_load_initializes_weights_the_file_lacks(backend, tmp_path):
    """Loading skips the initializers of weights the file sets; the others still run."""
    model = lf.sequential([lf.layers.Dense(3, input_shape=[2], name="h",
                                           kernel_initializer="ones", bias_initializer="ones")])
    model.save(str(tmp_path / "m"))
    manifest_path = tmp_path / "m" / "model.json"
    doc = json.loads(manifest_path.read_text())
    (group,) = doc["weightsManifest"]
    kernel_spec = [w for w in group["weights"] if w["name"] == "h/kernel"]
    group["weights"] = kernel_spec  # the kernel comes first in the shard: the bias is dropped
    manifest_path.write_text(json.dumps(doc))
    shard = tmp_path / "m" / group["paths"][0]
    shard.write_bytes(shard.read_bytes()[:2 * 3 * 4])
    model.layers[0].kernel.assign(np.full((2, 3), 5.0, np.float32))
    with pytest.warns(UserWarning, match="not set"):
        again = lf.load_layers_model(f"file://{manifest_path}", strict=False)
    np.testing.assert_array_equal(again.layers[0].kernel.numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(again.layers[0].bias.numpy(), np.ones(3))


def test_custom_layers_need_registration(backend, tmp_path):
    name = f"Scaled{backend.title()}"
    scaled = _custom_class(name)
    model = lf.sequential([lf.layers.Dense(2, input_shape=[2]), scaled(3.0, name="scaled")])
    model.save(str(tmp_path / "m"))
    with pytest.raises(lf.errors.LayerflowError, match=f"unknown layer '{name}'.*register_class"):
        lf.load_layers_model(str(tmp_path / "m"))
    loaded = lf.load_layers_model(str(tmp_path / "m"), custom_objects={name: scaled})
    assert loaded.layers[1].factor == 3.0
    lf.serialization.register_class(scaled, package="Test")
    assert lf.load_layers_model(str(tmp_path / "m")).layers[1].factor == 3.0


@pytest.mark.parametrize("class_name", ["os.system", "builtins.eval", "__class__",
                                        "importlib.import_module", "subprocess.Popen"])
def test_loading_never_imports_or_runs_what_a_file_names(backend, tmp_path, class_name):
    model = _model()
    model.save(str(tmp_path / "m"))
    path = tmp_path / "m" / "model.json"
    doc = json.loads(path.read_text())
    doc["modelTopology"]["config"]["layers"][0]["class_name"] = class_name
    path.write_text(json.dumps(doc))
    modules_before = set(sys.modules)
    events = []

    def hook(event, args):
        if event in ("import", "exec", "compile", "subprocess.Popen", "os.system"):
            events.append((event, args[0] if args else None))

    sys.addaudithook(hook)
    with pytest.raises(lf.errors.LayerflowError, match="unknown layer"):
        lf.load_layers_model(str(path))
    assert set(sys.modules) == modules_before
    assert [e for e in events if e[0] != "compile"] == []
