"""File (atomic save), HTTP, memory and callback handlers; routers; model.json fields."""

from __future__ import annotations

import email.parser
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

import layerflow.io as lfio
from layerflow.io import handlers as handlers_mod

TOPOLOGY = {"class_name": "Sequential", "config": {"name": "s", "layers": []},
            "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js"}


def _art(**weights):
    weights = weights or {"dense/kernel": np.arange(6, dtype="float32").reshape(2, 3),
                          "dense/bias": np.zeros(3, "float32")}
    return lfio.ModelArtifacts(model_topology=TOPOLOGY, weights=weights,
                               generated_by="layerflow test", training_config={"loss": "mse"},
                               user_defined_metadata={"a": [1, 2]})


def _same(folder, art):
    got = lfio.load_artifacts(folder)
    assert got.model_topology == art.model_topology
    assert set(got.weights) == set(art.weights)
    for k, v in art.weights.items():
        np.testing.assert_array_equal(got.weights[k], v)
    return got


# ----------------------------------------------------------------------------- files

def test_file_round_trip_and_model_json_fields(tmp_path):
    folder = tmp_path / "m"
    res = lfio.save_artifacts(_art(), f"file://{folder}")
    assert res.path == str(folder) and res.files == ["model.json", "group1-shard1of1.bin"]
    doc = json.loads((folder / "model.json").read_text())
    assert list(doc) == ["modelTopology", "format", "generatedBy", "convertedBy",
                         "weightsManifest", "trainingConfig", "userDefinedMetadata"]
    assert doc["format"] == "layers-model" and doc["convertedBy"] is None
    assert doc["weightsManifest"] == [{"paths": ["group1-shard1of1.bin"], "weights": [
        {"name": "dense/kernel", "shape": [2, 3], "dtype": "float32"},
        {"name": "dense/bias", "shape": [3], "dtype": "float32"}]}]
    for url in (str(folder), f"file://{folder}", f"{folder}/model.json", folder):
        got = _same(url, _art())
    assert got.training_config == {"loss": "mse"} and got.user_defined_metadata == {"a": [1, 2]}
    assert got.weight_data == (folder / "group1-shard1of1.bin").read_bytes()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]


def test_default_shard_size_is_4_mib(tmp_path):
    big = {"w": np.zeros(1024 * 1024 + 10, "float32")}
    res = lfio.save_artifacts(_art(**big), tmp_path / "m")
    assert res.files[1:] == ["group1-shard1of2.bin", "group1-shard2of2.bin"]
    assert (tmp_path / "m" / "group1-shard1of2.bin").stat().st_size == 4 * 1024 * 1024
    assert (tmp_path / "m" / "group1-shard2of2.bin").stat().st_size == 40


def test_overwrite_replaces_shards(tmp_path):
    folder = tmp_path / "m"
    lfio.save_artifacts(_art(), folder, shard_size_bytes=8)
    assert len(list(folder.glob("*.bin"))) == 5  # 36 bytes
    lfio.save_artifacts(_art(w=np.ones(2)), folder)
    assert sorted(os.listdir(folder)) == ["group1-shard1of1.bin", "model.json"]
    _same(folder, _art(w=np.ones(2, "float32")))


def test_save_refuses_folder_with_other_files(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(lfio.ModelSaveError, match="notes.txt"):
        lfio.save_artifacts(_art(), folder)
    assert (folder / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("crash_at", range(4))
def test_crash_mid_save_leaves_old_model(tmp_path, monkeypatch, crash_at):
    folder = tmp_path / "m"
    old = _art(w=np.full(5, 1.0, "float32"))
    lfio.save_artifacts(old, folder, shard_size_bytes=8)
    before = {p: (folder / p).read_bytes() for p in os.listdir(folder)}
    real_write = handlers_mod._write_file
    calls = []

    def crashing_write(path, data):
        calls.append(path)
        if len(calls) > crash_at:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(handlers_mod, "_write_file", crashing_write)
    with pytest.raises(lfio.ModelSaveError, match="No space left"):
        lfio.save_artifacts(_art(w=np.full(7, 2.0, "float32")), folder, shard_size_bytes=8)
    assert {p: (folder / p).read_bytes() for p in os.listdir(folder)} == before
    assert sorted(os.listdir(tmp_path)) == ["m"]  # temp folder removed
    _same(folder, _art(w=np.full(5, 1.0, "float32")))


def test_crash_during_swap_restores_old(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    lfio.save_artifacts(_art(w=np.ones(3, "float32")), folder)
    real_rename = os.rename

    def rename(src, dst):
        if os.path.basename(str(src)).startswith(".m.lf-tmp-"):
            raise KeyboardInterrupt  # killed between moving the old model away and the new in
        real_rename(src, dst)

    monkeypatch.setattr(handlers_mod.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        lfio.save_artifacts(_art(w=np.zeros(3, "float32")), folder)
    monkeypatch.undo()
    _same(folder, _art(w=np.ones(3, "float32")))
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_stale_leftovers_are_cleaned_and_old_model_restored(tmp_path):
    folder = tmp_path / "m"
    lfio.save_artifacts(_art(w=np.ones(3, "float32")), folder)
    dead_pid = 2**22 + 12345  # above the default pid_max: never alive
    os.rename(folder, tmp_path / f".m.lf-old-{dead_pid}-abc123")  # a swap killed half-way
    (tmp_path / f".m.lf-tmp-{dead_pid}-def456").mkdir()  # and a half-written new copy
    (tmp_path / f".m.lf-tmp-{dead_pid}-def456" / "model.json").write_text("{")
    assert sorted(handlers_mod.cleanup_stale(str(folder))) == [f".m.lf-tmp-{dead_pid}-def456"]
    _same(folder, _art(w=np.ones(3, "float32")))
    (tmp_path / f".m.lf-tmp-{dead_pid}-0aa").mkdir()
    lfio.save_artifacts(_art(w=np.zeros(3, "float32")), folder)
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_missing_model_and_missing_shard(tmp_path):
    with pytest.raises(lfio.ModelNotFoundError):
        lfio.load_artifacts(tmp_path / "nope")
    lfio.save_artifacts(_art(), tmp_path / "m")
    (tmp_path / "m" / "group1-shard1of1.bin").unlink()
    with pytest.raises(lfio.ModelNotFoundError, match="group1-shard1of1.bin"):
        lfio.load_artifacts(tmp_path / "m")
    assert isinstance(lfio.ModelNotFoundError("x"), FileNotFoundError)


def test_weight_path_prefix_for_files(tmp_path):
    lfio.save_artifacts(_art(), tmp_path / "m")
    os.mkdir(tmp_path / "shards")
    os.rename(tmp_path / "m" / "group1-shard1of1.bin", tmp_path / "shards" / "group1-shard1of1.bin")
    got = lfio.load_artifacts(tmp_path / "m", weight_path_prefix=str(tmp_path / "shards"))
    assert got.weights["dense/bias"].shape == (3,)


def test_multiple_groups_and_optimizer_group(tmp_path):
    s1, d1, _ = lfio.encode_weights({"k": np.ones(2, "float32")}, group="model")
    s2, d2, _ = lfio.encode_weights({"k/m": np.full(2, 3, "float32"), "iter": np.int32(4)},
                                    group="optimizer")
    folder = tmp_path / "m"
    folder.mkdir()
    doc = {"modelTopology": TOPOLOGY, "weightsManifest": [
        {"paths": ["a.bin"], "weights": s1}, {"paths": ["b1.bin", "b2.bin"], "weights": s2}]}
    (folder / "model.json").write_text(json.dumps(doc))
    (folder / "a.bin").write_bytes(d1)
    (folder / "b1.bin").write_bytes(d2[:5])
    (folder / "b2.bin").write_bytes(d2[5:])
    got = lfio.load_artifacts(folder)
    assert [s["group"] for s in got.weight_specs] == ["model", "optimizer", "optimizer"]
    assert got.weights["iter"] == 4 and got.weight_data == d1 + d2
    # Saving again keeps the groups (one manifest group, specs carry "group").
    lfio.save_artifacts(got, tmp_path / "again")
    assert [s["group"] for s in lfio.load_artifacts(tmp_path / "again").weight_specs] == [
        "model", "optimizer", "optimizer"]


# ----------------------------------------------------------------------------- http

class _Server:
    def __init__(self, root: Path):
        self.root, self.posts, self.gets = root, [], []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.gets.append(self.path)
                rel = self.path.split("?")[0].lstrip("/")
                p = outer.root / rel
                if not p.is_file():
                    self.send_response(404)
                    self.end_headers()
                    return
                body = p.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers["Content-Length"])
                raw = self.rfile.read(n)
                head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
                msg = email.parser.BytesParser().parsebytes(head + raw)
                outer.posts.append({part.get_param("name", header="content-disposition"):
                                    part.get_payload(decode=True) for part in msg.get_payload()})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_http_load_save(tmp_path):
    lfio.save_artifacts(_art(), tmp_path / "models" / "m", shard_size_bytes=8)
    with _Server(tmp_path) as srv:
        got = lfio.load_artifacts(f"{srv.url}/models/m/model.json?v=3", timeout=5)
        np.testing.assert_array_equal(got.weights["dense/kernel"], _art().weights["dense/kernel"])
        assert srv.gets[0] == "/models/m/model.json?v=3"
        assert srv.gets[1:] == [f"/models/m/group1-shard{i}of5.bin?v=3" for i in range(1, 6)]

        res = lfio.save_artifacts(_art(), f"{srv.url}/upload")
        assert res.responses == [(200, b"ok")]
        post = srv.posts[0]
        doc = json.loads(post["model.json"])
        assert doc["weightsManifest"][0]["paths"] == ["./model.weights.bin"]
        assert len(post["model.weights.bin"]) == 36
        # What was posted loads again (TF.js writes './' paths; they are fine).
        (tmp_path / "posted").mkdir()
        (tmp_path / "posted" / "model.json").write_bytes(post["model.json"])
        (tmp_path / "posted" / "model.weights.bin").write_bytes(post["model.weights.bin"])
        _same(tmp_path / "posted", _art())

        with pytest.raises(lfio.HTTPRequestError, match="404"):
            lfio.load_artifacts(f"{srv.url}/nothing/model.json", timeout=5)
        got = lfio.load_artifacts(f"{srv.url}/models/m/model.json", timeout=5,
                                  weight_path_prefix=f"{srv.url}/models/m/")
        assert got.weights["dense/bias"].shape == (3,)


def test_http_traversal_and_truncation(tmp_path):
    lfio.save_artifacts(_art(), tmp_path / "m")
    (tmp_path / "secret.bin").write_bytes(b"S" * 36)
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    doc["weightsManifest"][0]["paths"] = ["../secret.bin"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
    with _Server(tmp_path) as srv:
        with pytest.raises(lfio.PathTraversalError):
            lfio.load_artifacts(f"{srv.url}/m/model.json", timeout=5)
        assert srv.gets == ["/m/model.json"]
        doc["weightsManifest"][0]["paths"] = ["cut.bin"]
        (tmp_path / "m" / "model.json").write_text(json.dumps(doc))
        (tmp_path / "m" / "cut.bin").write_bytes(b"x" * 10)
        with pytest.raises(lfio.TruncatedWeightsError, match="cut.bin: expected 36 bytes, got 10"):
            lfio.load_artifacts(f"{srv.url}/m/model.json", timeout=5)


def test_http_connection_refused_and_bad_scheme():
    with pytest.raises(lfio.HTTPRequestError):
        lfio.load_artifacts("http://127.0.0.1:1/model.json", timeout=2)
    with pytest.raises(lfio.HandlerError):
        lfio.HTTPHandler("ftp://x/model.json")
    with pytest.raises(lfio.HandlerError):
        lfio.load_artifacts("s3://bucket/model.json")


# ----------------------------------------------------------------------------- memory, routers

def test_from_memory_and_with_save_handler():
    saved = []
    res = lfio.save_artifacts(_art(), lfio.with_save_handler(saved.append), quantize="float16")
    assert res.model_artifacts_info.weight_data_bytes == 18
    art = saved[0]
    assert art.weight_specs[0]["quantization"] == {"dtype": "float16"}
    got = lfio.load_artifacts(lfio.from_memory(art.model_topology, art.weight_specs,
                                               art.weight_data))
    np.testing.assert_array_equal(got.weights["dense/kernel"], _art().weights["dense/kernel"])
    assert lfio.load_artifacts(lfio.from_memory(art)).weights.keys() == got.weights.keys()
    with pytest.raises(lfio.TruncatedWeightsError):
        lfio.load_artifacts(lfio.from_memory(TOPOLOGY, art.weight_specs, art.weight_data[:-1]))


def test_custom_routers():
    store = {}

    class Mem:
        def __init__(self, key):
            self.key = key

        def save(self, artifacts):
            store[self.key] = artifacts

        def load(self):
            return store[self.key]

    def router(url, options):
        return Mem(url[len("mem://"):]) if str(url).startswith("mem://") else None

    lfio.register_save_router(router)
    lfio.register_load_router(router)
    try:
        lfio.save_artifacts(_art(), "mem://a")
        assert lfio.load_artifacts("mem://a").weights["dense/bias"].tolist() == [0, 0, 0]
        assert len(lfio.get_load_handlers("mem://a")) == 1
        assert lfio.get_save_handlers("mem://a")[0].key == "a"
        lfio.register_load_router(router)
        with pytest.raises(lfio.HandlerError, match="2 load handlers"):
            lfio.load_artifacts("mem://a")
    finally:
        from layerflow.io import router as router_mod
        while router in router_mod._load_routers:
            router_mod._load_routers.remove(router)
        router_mod._save_routers.remove(router)


def test_shard_size_option_with_handler_object(tmp_path):
    res = lfio.save_artifacts(_art(), lfio.FileHandler(tmp_path / "m"), shard_size_bytes=12)
    assert len(res.files) == 4
    with pytest.raises(lfio.HandlerError):
        lfio.save_artifacts(_art(), lfio.with_save_handler(lambda a: None), shard_size_bytes=12)


def test_model_json_nan_is_refused_on_save(tmp_path):
    art = _art()
    art.user_defined_metadata = {"x": float("nan")}
    with pytest.raises(lfio.ModelFormatError):
        lfio.save_artifacts(art, tmp_path / "m")
    assert not (tmp_path / "m").exists()


_SAVER = """
import sys, numpy as np, layerflow.io as lfio
folder = sys.argv[1]
i = 0
while True:
    i += 1
    w = np.full(300_000, float(i % 2), "float32")
    lfio.save_artifacts(lfio.ModelArtifacts(model_topology={"v": i % 2}, weights={"w": w}),
                        folder, shard_size_bytes=100_000)
    print(i, flush=True)
"""


def test_sigkill_during_saves_leaves_old_or_new(tmp_path):
    import random
    import subprocess
    import sys
    import time

    folder = tmp_path / "m"
    rnd = random.Random(0)
    for _ in range(8):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(folder)],
                                stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # one save done
        time.sleep(rnd.uniform(0.0, 0.2))
        proc.kill()
        proc.wait()
        proc.stdout.close()
        handlers_mod.cleanup_stale(str(folder))  # what the next save does first
        art = lfio.load_artifacts(folder)
        v = art.model_topology["v"]
        np.testing.assert_array_equal(art.weights["w"], np.full(300_000, float(v)))
    lfio.save_artifacts(_art(), folder)
    assert sorted(os.listdir(tmp_path)) == ["m"]
