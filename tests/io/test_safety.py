"""Hostile model files: path traversal (T6), manifest bombs (T7), truncation (T13), JSON (T14)."""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import layerflow.io as lfio
from layerflow.errors import LayerflowError
from layerflow.io.weights import DTYPE_SIZES, validate_specs

_OPENS: list | None = None


def _audit(event, args):
    # os.fdopen of an already opened descriptor reports an int: not a new open.
    if event == "open" and _OPENS is not None and isinstance(args[0], (str, bytes)):
        _OPENS.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


class record_opens:
    def __enter__(self):
        global _OPENS
        _OPENS = []
        return _OPENS

    def __exit__(self, *exc):
        global _OPENS
        _OPENS = None


def _save(folder, arrays=None, **kw):
    arrays = arrays if arrays is not None else {"w": np.arange(6, dtype="float32")}
    lfio.save_artifacts(lfio.ModelArtifacts(model_topology={"class_name": "Sequential"},
                                            weights=arrays), folder, **kw)
    return folder


def _edit_json(folder, fn):
    p = os.path.join(folder, "model.json")
    with open(p) as f:
        doc = json.load(f)
    fn(doc)
    with open(p, "w") as f:
        json.dump(doc, f)


TRAVERSALS = [
    "../secret.bin", "/etc/passwd", "..\\secret.bin", "C:\\secret.bin", "C:secret.bin",
    "file:///etc/passwd", "http://127.0.0.1:1/x.bin", "sub/../../secret.bin",
    "x%2F..%2F..%2Fsecret.bin", "%2e%2e/secret.bin", "\\\\server\\share\\x.bin",
    "\\secret.bin", "group1-shard1of1.bin\x00.png", "./../secret.bin", "..", "",
    "//etc/passwd", "link_out.bin", "linkdir/secret.bin", "%252e%252e/secret.bin",
    "~/secret.bin", "sub//x.bin", "sub/..", "x/%2E%2E/%2e%2E/secret.bin",
]


@pytest.fixture
def hostile_dir(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.bin").write_bytes(b"S" * 24)
    folder = _save(str(tmp_path / "m"))
    os.symlink(outside / "secret.bin", os.path.join(folder, "link_out.bin"))
    os.symlink(outside, os.path.join(folder, "linkdir"))
    os.mkdir(os.path.join(folder, "sub"))
    return folder


@pytest.mark.parametrize("entry", TRAVERSALS)
def test_weight_path_traversal_rejected_before_any_open(hostile_dir, entry):
    def point(doc):
        doc["weightsManifest"][0]["paths"] = [entry]

    _edit_json(hostile_dir, point)
    with record_opens() as opens, pytest.raises(lfio.PathTraversalError):
        lfio.load_artifacts(hostile_dir)
    assert opens == [os.path.join(hostile_dir, "model.json")], opens


def test_twenty_traversal_variants_are_listed():
    assert len(TRAVERSALS) >= 20


def test_symlink_inside_the_folder_is_fine(tmp_path):
    folder = _save(str(tmp_path / "m"))
    os.rename(os.path.join(folder, "group1-shard1of1.bin"), os.path.join(folder, "real.bin"))
    os.symlink("real.bin", os.path.join(folder, "group1-shard1of1.bin"))
    assert lfio.load_artifacts(folder).weights["w"].tolist() == list(range(6))


@pytest.mark.parametrize("shape", [[1e6, 1e6], [1000000, 1000000], [2**32, 2**32], [-1, 4],
                                   [2.5], [True], "12", [[2]], None, [2] * 65,
                                   [2**62, 2**62, 0]])
def test_manifest_bombs_fail_fast(tmp_path, shape):
    folder = _save(str(tmp_path / "m"))
    (tmp_path / "m" / "group1-shard1of1.bin").write_bytes(b"8 bytes!")

    def bomb(doc):
        doc["weightsManifest"][0]["weights"][0]["shape"] = shape

    _edit_json(folder, bomb)
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(lfio.ManifestError if shape != [2**62, 2**62, 0]
                           else lfio.TruncatedWeightsError):
            lfio.load_artifacts(folder)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 50 * 1024**2


def test_size_cap_is_configurable(tmp_path):
    folder = _save(str(tmp_path / "m"), {"w": np.zeros(1000, "float32")})
    with pytest.raises(lfio.WeightsTooLargeError):
        lfio.load_artifacts(folder, max_bytes=1000)
    with lfio.weight_bytes_limit(3999), pytest.raises(lfio.WeightsTooLargeError):
        lfio.load_artifacts(folder)
    assert lfio.load_artifacts(folder, max_bytes=4000).weights["w"].shape == (1000,)


@given(st.lists(st.one_of(st.integers(-3, 2**40), st.sampled_from([2**32, 2**64, 0, 1])),
                max_size=6),
       st.sampled_from(["float32", "int32", "bool", "complex64"]))
@settings(max_examples=300, deadline=None)
def test_size_accounting_is_exact_or_rejected(shape, dtype):
    spec = {"name": "w", "shape": shape, "dtype": dtype}
    ref = DTYPE_SIZES[dtype]
    for d in shape:
        ref *= d
    try:
        fixed, strings = validate_specs([spec])
    except lfio.ManifestError:
        assert any(d < 0 for d in shape) or ref > lfio.get_max_weight_bytes()
        return
    assert strings == 0 and fixed == ref and fixed <= lfio.get_max_weight_bytes()


def _sharded(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {"a": rng.normal(size=1000).astype("float32"),
              "b": rng.normal(size=1298).astype("float32")}  # 9192 bytes -> 4096, 4096, 1000
    folder = _save(str(tmp_path / "m"), arrays, shard_size_bytes=4096)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".bin"))
    assert names == [f"group1-shard{i}of3.bin" for i in (1, 2, 3)]
    return folder, {n: os.path.getsize(os.path.join(folder, n)) for n in names}


def test_truncated_shards_name_file_expected_and_actual(tmp_path):
    folder, sizes = _sharded(tmp_path)
    originals = {n: Path(folder, n).read_bytes() for n in sizes}
    for name, size in sizes.items():
        for cut in np.linspace(0, size - 1, 10).astype(int):
            with open(os.path.join(folder, name), "wb") as f:
                f.write(originals[name][:cut])
            with pytest.raises(lfio.TruncatedWeightsError) as e:
                lfio.load_artifacts(folder)
            assert str(e.value) == (f"{name}: expected {size} bytes, got {cut}; "
                                    "the file may be truncated")
        with open(os.path.join(folder, name), "wb") as f:
            f.write(originals[name])
    assert lfio.load_artifacts(folder).weights["a"].shape == (1000,)


def test_trailing_bytes_are_rejected(tmp_path):
    folder, sizes = _sharded(tmp_path)
    with open(os.path.join(folder, "group1-shard3of3.bin"), "ab") as f:
        f.write(b"xx")
    with pytest.raises(lfio.TruncatedWeightsError, match="got 1002"):
        lfio.load_artifacts(folder)


def test_truncated_string_weights(tmp_path):
    folder = _save(str(tmp_path / "m"), {"s": np.array(["abc", "défg"], dtype=object)})
    p = os.path.join(folder, "group1-shard1of1.bin")
    data = Path(p).read_bytes()
    for cut in range(len(data)):
        with open(p, "wb") as f:
            f.write(data[:cut])
        with pytest.raises(lfio.TruncatedWeightsError):
            lfio.load_artifacts(folder)


@pytest.mark.parametrize("text", [
    "[" * 100000 + "]" * 100000, '{"a":' * 100000 + "1" + "}" * 100000, "", "null", "[]",
    '"x"', "{", '{"modelTopology": NaN}', "\xff", '{"modelTopology": "x"}',
    '{"modelTopology": {}, "weightsManifest": {}}', '{"modelTopology": null}',
    '{"modelTopology": {}, "format": 3}', '{"modelTopology": {}, "trainingConfig": []}',
    '{"modelTopology": {}, "weightsManifest": [null]}',
    '{"modelTopology": {}, "weightsManifest": [{"paths": [], "weights": {}}]}',
    '{"modelTopology": {}, "weightsManifest": [{"paths": [1], "weights": []}]}',
    '{"modelTopology": {}, "weightsManifest": [{"paths": [], "weights": [{"name": 1}]}]}',
    '{"modelTopology": {}, "weightsManifest": [{"paths": [], "weights": '
    '[{"name": "w", "shape": [1], "dtype": "float64"}]}]}',
    '{"modelTopology": {}, "weightsManifest": [{"paths": [], "weights": '
    '[{"name": "w", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint8"}}]}]}',
])
def test_bad_model_json_is_a_model_format_error(tmp_path, text):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.json").write_text(text, encoding="latin-1")
    t0 = time.perf_counter()
    with pytest.raises(lfio.ModelFormatError):
        lfio.load_artifacts(str(folder))
    assert time.perf_counter() - t0 < 1.0


def test_huge_model_json_is_refused_before_reading(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    with open(folder / "model.json", "wb") as f:
        f.truncate(65 * 1024 * 1024)
    with record_opens() as opens, pytest.raises(lfio.ModelFormatError, match="limit"):
        lfio.load_artifacts(str(folder))
    assert opens == []


def test_special_files_are_not_read(tmp_path):
    folder = _save(str(tmp_path / "m"), {"w": np.zeros(0, "float32")})
    os.mkfifo(os.path.join(folder, "fifo.bin"))

    def point(doc):
        doc["weightsManifest"][0]["paths"] = ["fifo.bin"]

    _edit_json(folder, point)
    with record_opens() as opens, pytest.raises(LayerflowError, match="not a regular file"):
        lfio.load_artifacts(folder)
    assert not any(o.endswith("fifo.bin") for o in opens)
