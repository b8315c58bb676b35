"""encode_weights / decode_weights: dtypes, conversions, quantization, strings, errors, shards."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow.io as lfio
from layerflow.errors import InvalidArgumentError, LayerflowError
from layerflow.io.weights import expected_shard_sizes


def _round_trip(arrays, **kw):
    specs, data, bounds = lfio.encode_weights(arrays, **kw)
    return specs, data, bounds, lfio.decode_weights(specs, data)


def test_layout_is_back_to_back_little_endian():
    specs, data, _, _ = _round_trip([("a", np.array([1], "int32")), ("b", np.array([True])),
                                     ("c", np.array([1 + 2j], "complex64")),
                                     ("s", np.array(["hé"], dtype=object))])
    assert data == (b"\x01\x00\x00\x00" + b"\x01" + np.array([1, 2], "<f4").tobytes()
                    + b"\x03\x00\x00\x00" + "hé".encode())
    assert [s["dtype"] for s in specs] == ["int32", "bool", "complex64", "string"]


@pytest.mark.parametrize("arr, dtype", [
    (np.arange(3, dtype="float64"), "float32"), (np.arange(3, dtype="int64"), "int32"),
    (np.arange(3, dtype="uint8"), "int32"), (np.arange(3, dtype="int16"), "int32"),
    (np.array([1 + 1j]), "complex64"), (np.array(["a", "b"]), "string"),
    (np.array([b"a", b"\xff"]), "string"), ([1.5, 2.0], "float32"), (3, "int32"), (True, "bool"),
])
def test_conversions(arr, dtype):
    specs, _, _, got = _round_trip({"w": arr})
    assert specs[0]["dtype"] == dtype
    if dtype == "string":
        want = [v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v
                for v in np.asarray(arr).tolist()]
        assert got["w"].tolist() == want
    else:
        np.testing.assert_array_equal(got["w"], np.asarray(arr))


def test_float16_is_stored_exactly_as_float16_quantized_float32():
    x = np.array([0.1, -65504, 6e-8, np.inf, np.nan], "float16")
    specs, data, bounds, got = _round_trip({"h": x})
    assert specs == [{"name": "h", "shape": [5], "dtype": "float32",
                      "quantization": {"dtype": "float16"}}]
    assert len(data) == 10 and bounds["h"] == 0.0 and got["h"].dtype == np.float32
    np.testing.assert_array_equal(got["h"], x.astype("float32"))


def test_non_utf8_strings_round_trip_bytes():
    specs, data, _, got = _round_trip({"s": np.array([b"\xff\xfe", b"ok"], dtype=object)})
    specs2, data2, _ = lfio.encode_weights({"s": got["s"]})
    assert data2 == data


@pytest.mark.parametrize("qd, nbytes", [("uint8", 1), ("uint16", 2), ("float16", 2)])
def test_quantization_bounds(qd, nbytes):
    rng = np.random.default_rng(3)
    for scale in (1e-6, 1.0, 1e4):
        x = (rng.normal(size=1000) * scale).astype("float32")
        specs, data, bounds, got = _round_trip({"x": x, "i": np.arange(3)}, quantize=qd)
        assert len(data) == 1000 * nbytes + 12
        err = np.max(np.abs(got["x"].astype(np.float64) - x))
        assert 0 < err <= bounds["x"]
        assert bounds["i"] == 0.0 and "quantization" not in specs[1]


def test_uint8_constant_and_empty():
    specs, data, bounds, got = _round_trip({"c": np.full(4, -3.5, "float32"),
                                            "e": np.zeros((0,), "float32")}, quantize="uint8")
    np.testing.assert_array_equal(got["c"], np.full(4, -3.5))
    assert got["e"].shape == (0,)


def test_quantize_patterns():
    arrays = {"dense/kernel": np.ones(4, "float32"), "dense/bias": np.ones(4, "float32"),
              "conv/kernel": np.ones(4, "float32")}
    specs, _, _ = lfio.encode_weights(arrays, quantize={"uint8": "*/kernel",
                                                        "float16": ["dense/bias"]})
    q = {s["name"]: s.get("quantization", {}).get("dtype") for s in specs}
    assert q == {"dense/kernel": "uint8", "dense/bias": "float16", "conv/kernel": "uint8"}
    with pytest.raises(InvalidArgumentError, match="more than one"):
        lfio.encode_weights(arrays, quantize={"uint8": "*", "float16": "dense/*"})
    with pytest.raises(InvalidArgumentError):
        lfio.encode_weights(arrays, quantize="int4")
    with pytest.raises(InvalidArgumentError):
        lfio.encode_weights(arrays, quantize={"uint8": 3})


@pytest.mark.parametrize("arrays, quantize, err", [
    ({"x": np.array([np.nan], "float32")}, "uint8", lfio.QuantizationError),
    ({"x": np.array([1e5], "float32")}, "float16", lfio.QuantizationError),
    ({"x": np.array([1e300])}, None, lfio.QuantizationError),
    ({"x": np.array([2**40])}, None, lfio.WeightsDTypeError),
    ({"x": np.array([None], dtype=object)}, None, lfio.WeightsDTypeError),
    ({"x": np.array(["2020"], dtype="datetime64[D]")}, None, lfio.WeightsDTypeError),
    ([("x", 1), ("x", 2)], None, InvalidArgumentError),
    ([(1, 1)], None, InvalidArgumentError),
    (5, None, InvalidArgumentError),
])
def test_encode_errors(arrays, quantize, err):
    with pytest.raises(err):
        lfio.encode_weights(arrays, quantize=quantize)


@pytest.mark.parametrize("spec", [
    {"name": "w", "shape": [1], "dtype": "float16"},
    {"name": "w", "shape": [1], "dtype": "bool", "quantization": {"dtype": "uint8", "scale": 1,
                                                                 "min": 0}},
    {"name": "w", "shape": [1], "dtype": "int32", "quantization": {"dtype": "float16"}},
    {"name": "w", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint8",
                                                                    "scale": True, "min": 0}},
    {"name": "w", "shape": [1], "dtype": "float32", "quantization": "uint8"},
    {"name": "w", "shape": [1], "dtype": "float32", "group": 3},
    {"shape": [1], "dtype": "float32"}, "w", None,
])
def test_bad_specs(spec):
    with pytest.raises(lfio.ManifestError):
        lfio.decode_weights([spec], b"\x00" * 4)


def test_decode_checks_sizes_both_ways():
    spec = [{"name": "w", "shape": [2], "dtype": "float32"}]
    with pytest.raises(lfio.TruncatedWeightsError, match="expected 8 bytes, got 7"):
        lfio.decode_weights(spec, b"\x00" * 7)
    with pytest.raises(lfio.ManifestError, match="describes 8 bytes but there are 9"):
        lfio.decode_weights(spec, b"\x00" * 9)
    with pytest.raises(lfio.ManifestError, match="twice"):
        lfio.decode_weights(spec + spec, b"\x00" * 16)


def test_int32_dequantization_out_of_range():
    spec = [{"name": "w", "shape": [1], "dtype": "int32",
             "quantization": {"dtype": "uint8", "scale": 1e300, "min": 0}}]
    with pytest.raises(lfio.ManifestError, match="int32"):
        lfio.decode_weights(spec, b"\xff")


def test_errors_are_layerflow_errors():
    for cls in (lfio.ManifestError, lfio.PathTraversalError, lfio.TruncatedWeightsError,
                lfio.ModelFormatError, lfio.WeightsDTypeError, lfio.ModelSaveError):
        assert issubclass(cls, LayerflowError)
    assert issubclass(lfio.WeightsDTypeError, TypeError)
    assert issubclass(lfio.ModelSaveError, OSError)


def test_shards():
    assert lfio.shard_names(3, group=2)[-1] == "group2-shard3of3.bin"
    assert lfio.split_shards(b"", 4) == []
    with pytest.raises(InvalidArgumentError):
        lfio.split_shards(b"x", 0)
    manifest, files = lfio.build_weights_manifest([], b"")
    assert manifest == [{"paths": [], "weights": []}] and files == []


@pytest.mark.parametrize("total, sizes, want", [
    (9192, [4096, 4096, 1000], [4096, 4096, 1000]),
    (9192, [100, 4096, 1000], [4096, 4096, 1000]),
    (9192, [4096, 4096, 3], [4096, 4096, 1000]),
    (9192, [4096, 17, 1000], [4096, 4096, 1000]),
    (5120, [1000, 1024], [4096, 1024]),
    (10, [10], [10]),
    (0, [], []),
])
def test_expected_shard_sizes(total, sizes, want):
    assert expected_shard_sizes(total, sizes) == want
