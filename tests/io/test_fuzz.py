"""Mutation fuzzing of a saved model (model.json and shards): only layerflow errors escape.

Seeded and fast (a few hundred cases); the contract of RELIABILITY bar item 2: ``load_artifacts``
either loads or raises a ``LayerflowError`` subclass, within seconds, reading nothing outside the
model's folder.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import layerflow.io as lfio
from layerflow.errors import LayerflowError

_ROOT: list = []


def _audit(event, args):
    if event == "open" and _ROOT and isinstance(args[0], (str, bytes)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if not path.startswith(_ROOT[0]):
            _ROOT.append(path)


sys.addaudithook(_audit)

VALUES = [None, True, False, 0, -1, 1.5, 2**31, 2**70, -(2**70), "", "x", "../x.bin",
          "float32", "string", "uint8", [], {}, [None], [-1], [2**32, 2**32], {"dtype": "uint8"},
          [[[[[]]]]], "\x00", 1e308, "/etc/passwd"]


def _seed(folder: Path) -> None:
    rng = np.random.default_rng(0)
    arrays = {
        "dense/kernel": rng.normal(size=(8, 4)).astype("float32"),
        "dense/bias": rng.normal(size=4).astype("float32"),
        "ids": np.arange(5, dtype="int32"), "mask": np.array([True, False]),
        "vocab": np.array(["a", "bé", ""], dtype=object),
        "c": np.array([1 + 2j], "complex64"),
    }
    specs, data, _ = lfio.encode_weights(arrays, quantize={"uint8": "dense/kernel"})
    art = lfio.ModelArtifacts(model_topology={"class_name": "Sequential", "config": {
        "layers": [{"class_name": "Dense", "config": {"units": 4}}]}},
        weight_specs=specs, weight_data=data, training_config={"loss": "mse"})
    lfio.save_artifacts(art, folder, shard_size_bytes=24)


def _nodes(obj, path=()):
    yield path
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _nodes(v, (*path, i))


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def _mutate_json(rnd: random.Random, text: str) -> str:
    kind = rnd.randrange(4)
    if kind == 0:  # structural: replace a node
        doc = json.loads(text)
        paths = [p for p in _nodes(doc) if p]
        for _ in range(rnd.randint(1, 3)):
            _set(doc, rnd.choice(paths), rnd.choice(VALUES))
            paths = [p for p in _nodes(doc) if p]
        return json.dumps(doc)
    if kind == 1:  # delete a key
        doc = json.loads(text)
        dict_paths = [p for p in _nodes(doc) if p and isinstance(p[-1], str)]
        path = rnd.choice(dict_paths)
        parent = doc
        for p in path[:-1]:
            parent = parent[p]
        del parent[path[-1]]
        return json.dumps(doc)
    chars = list(text)
    for _ in range(rnd.randint(1, 4)):
        i = rnd.randrange(len(chars))
        if kind == 2:
            chars[i] = rnd.choice('{}[]",:0123456789-.eE\\ntrufals \x00é')
        else:
            del chars[i]
    return "".join(chars)


def _mutate_shard(rnd: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    kind = rnd.randrange(3)
    if kind == 0 and b:
        return bytes(b[:rnd.randrange(len(b))])
    if kind == 1:
        return bytes(b) + bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 9)))
    for _ in range(rnd.randint(1, 8)):
        if b:
            b[rnd.randrange(len(b))] = rnd.randrange(256)
    return bytes(b)


@pytest.mark.parametrize("seed", range(int(os.environ.get("LAYERFLOW_FUZZ_SEEDS", "4"))))
def test_fuzz_model_files(tmp_path, seed):
    seed_dir = tmp_path / "seed"
    _seed(seed_dir)
    files = {p.name: p.read_bytes() for p in seed_dir.iterdir()}
    shards = sorted(n for n in files if n.endswith(".bin"))
    assert len(shards) > 2
    (tmp_path / "secret.bin").write_bytes(b"S" * 64)
    rnd = random.Random(seed)
    outcomes = {"loaded": 0}
    for case in range(75):
        work = tmp_path / f"case{case}"
        shutil.copytree(seed_dir, work)
        if rnd.random() < 0.6:
            (work / "model.json").write_text(_mutate_json(rnd, files["model.json"].decode()))
        else:
            name = rnd.choice(shards)
            (work / name).write_bytes(_mutate_shard(rnd, files[name]))
        _ROOT[:] = [os.path.realpath(work)]
        t0 = time.perf_counter()
        try:
            art = lfio.load_artifacts(work)
            outcomes["loaded"] += 1
            assert isinstance(art.weights, dict)
        except LayerflowError as e:
            outcomes[type(e).__name__] = outcomes.get(type(e).__name__, 0) + 1
        finally:
            outside, _ROOT[:] = _ROOT[1:], []
        assert time.perf_counter() - t0 < 5.0
        assert outside == [], f"case {case} opened {outside}"
        shutil.rmtree(work)
    assert len(outcomes) >= 3, outcomes  # the mutations reach several error paths
