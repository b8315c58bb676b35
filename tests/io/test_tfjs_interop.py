"""layerflow's weights and model files against real TensorFlow.js (Node, pure JS)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import layerflow.io as lfio

RNG = np.random.default_rng(0)
ARRAYS = {
    "f32": RNG.normal(size=(3, 4)).astype("float32"),
    "f32_scalar": np.float32(-2.5),
    "f32_empty": np.zeros((0, 3), "float32"),
    "f32_special": np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45], "float32"),
    "i32": np.array([[0, -1, 2**31 - 1, -(2**31)]], "int32"),
    "b": np.array([True, False, True]),
    "c64": (RNG.normal(size=5) + 1j * RNG.normal(size=5)).astype("complex64"),
    "s": np.array([["", "héllo"], ["日本語", "a" * 300]], dtype=object),
    "f64": RNG.normal(size=7),  # stored as float32
    "i64": np.arange(6, dtype="int64").reshape(2, 3),  # stored as int32
    "f16": RNG.normal(size=(2, 2)).astype("float16"),  # stored as float16-quantized float32
}


def _tfjs_decode(tfjs, tmp_path, specs, data):
    (tmp_path / "specs.json").write_text(json.dumps(specs))
    (tmp_path / "data.bin").write_bytes(data)
    tfjs.run("decode_weights.js", tmp_path / "specs.json", tmp_path / "data.bin",
             tmp_path / "out.json")
    out = tfjs.read_json(tmp_path / "out.json")
    return {name: tfjs.to_array(e) for name, e in out.items()}


def _expected(arr):
    arr = np.asarray(arr)
    if arr.dtype == np.float64 or arr.dtype == np.float16:
        return arr.astype("float32")
    if arr.dtype == np.int64:
        return arr.astype("int32")
    return arr


def test_every_dtype_decodes_in_tfjs(tfjs, tmp_path):
    specs, data, bounds = lfio.encode_weights(ARRAYS)
    assert all(b == 0.0 for b in bounds.values())
    got = _tfjs_decode(tfjs, tmp_path, specs, data)
    assert list(got) == list(ARRAYS)
    for name, arr in ARRAYS.items():
        want = _expected(arr)
        assert got[name].shape == want.shape, name
        if want.dtype == object:
            assert got[name].tolist() == want.tolist()
        else:
            np.testing.assert_array_equal(got[name], want, err_msg=name)
            assert got[name].tobytes() == want.tobytes(), name  # bit-exact, NaN and -0.0 too


@pytest.mark.parametrize("quantize", ["uint8", "uint16", "float16",
                                      {"uint8": "w*", "float16": ["b*"]}])
def test_quantized_weights_decode_in_tfjs_within_bound(tfjs, tmp_path, quantize):
    arrays = {
        "w1": RNG.normal(size=(20, 30)).astype("float32") * 3,
        "w_const": np.full((4,), 0.7, "float32"),
        "b1": RNG.uniform(-1e-3, 1e-3, size=50).astype("float32"),
        "n": np.array([1, 2, 3], "int32"),  # never quantized
        "flag": np.array([True]),
    }
    specs, data, bounds = lfio.encode_weights(arrays, quantize=quantize)
    got = _tfjs_decode(tfjs, tmp_path, specs, data)
    mine = lfio.decode_weights(specs, data)
    for name, arr in arrays.items():
        assert got[name].dtype == arr.dtype
        np.testing.assert_array_equal(got[name], mine[name])  # same arithmetic as TF.js
        err = float(np.max(np.abs(got[name].astype(np.float64) - arr.astype(np.float64))))
        assert err <= bounds[name], (name, err, bounds[name])
    assert "quantization" not in specs[3] and "quantization" not in specs[4]
    if quantize == "uint8":
        assert len(data) == 600 + 4 + 50 + 12 + 1
        assert bounds["w1"] > 0


def test_int32_quantized_spec_matches_tfjs_rounding(tfjs, tmp_path):
    # TF.js also reads uint8/uint16-quantized int32 weights: Math.round(q * scale + min).
    specs = [{"name": "k", "shape": [6], "dtype": "int32",
              "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.25}}]
    data = bytes([0, 1, 2, 3, 5, 255])
    got = _tfjs_decode(tfjs, tmp_path, specs, data)["k"]
    np.testing.assert_array_equal(lfio.decode_weights(specs, data)["k"], got)


def test_weights_encoded_by_tfjs_decode_in_layerflow(tfjs, tmp_path):
    arrays = {k: v for k, v in ARRAYS.items() if k not in ("f64", "i64", "f16")}
    entries = [tfjs.from_array(name, arr) for name, arr in arrays.items()]
    (tmp_path / "in.json").write_text(json.dumps(entries))
    tfjs.run("encode_weights.js", tmp_path / "in.json", tmp_path / "specs.json",
             tmp_path / "data.bin")
    specs = json.loads((tmp_path / "specs.json").read_text())
    data = (tmp_path / "data.bin").read_bytes()
    mine_specs, mine_data, _ = lfio.encode_weights(arrays)
    assert specs == mine_specs
    assert data == mine_data  # byte-identical encoding
    got = lfio.decode_weights(specs, data)
    for name, arr in arrays.items():
        if arr.dtype == object:
            assert got[name].tolist() == arr.tolist()
        else:
            assert got[name].tobytes() == np.asarray(arr).tobytes(), name


def test_model_saved_by_tfjs_loads_and_layerflow_save_loads_in_tfjs(tfjs, tmp_path):
    src = tmp_path / "from_tfjs"
    tfjs.run("model.js", "make", src)
    art = lfio.load_artifacts(f"file://{src}/model.json")
    assert art.format == "layers-model" and art.model_topology["class_name"] == "Sequential"
    assert art.weights_manifest[0]["paths"] == ["weights.bin"]
    names = [s["name"] for s in art.weight_specs]
    assert names == ["dense_Dense1/kernel", "dense_Dense1/bias", "dense_Dense2/kernel",
                     "dense_Dense2/bias"]
    predict = tfjs.read_json(src / "predict.json")
    (tmp_path / "x.json").write_text(json.dumps(predict["x"]))
    y_ref = tfjs.to_array(predict["y"])

    # Saved again by layerflow, sharded into 32-byte files: TF.js reads the same model back.
    out = tmp_path / "by_layerflow"
    res = lfio.save_artifacts(art, out, shard_size_bytes=32)
    assert res.files[1:] == [f"group1-shard{i}of4.bin" for i in range(1, 5)]
    tfjs.run("model.js", "load", out / "model.json", tmp_path / "x.json", tmp_path / "o.json")
    o = tfjs.read_json(tmp_path / "o.json")
    np.testing.assert_array_equal(tfjs.to_array(o["y"]), y_ref)
    for name, arr in art.weights.items():
        np.testing.assert_array_equal(tfjs.to_array(o["weights"][name]), arr)

    # Quantized: TF.js loads it, the weights are within the reported bounds.
    _, _, bounds = lfio.encode_weights(art.weights, quantize="uint8")
    q = tmp_path / "quantized"
    lfio.save_artifacts(art, q, quantize="uint8")
    tfjs.run("model.js", "load", q / "model.json", tmp_path / "x.json", tmp_path / "q.json")
    oq = tfjs.read_json(tmp_path / "q.json")
    for name, arr in art.weights.items():
        err = np.max(np.abs(tfjs.to_array(oq["weights"][name]) - arr), initial=0.0)
        assert err <= bounds[name]
    np.testing.assert_allclose(tfjs.to_array(oq["y"]), y_ref, atol=0.05)
