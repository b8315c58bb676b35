"""Fixtures for the io tests: ``tfjs`` runs the scripts in ``tests/io/tfjs`` on real TensorFlow.js.

``npm install`` runs once (``tests/io/tfjs/node_modules``, git-ignored); the tests skip only when
``node`` or ``npm`` is missing.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

TFJS_DIR = Path(__file__).parent / "tfjs"
_NP = {"float32": "<f4", "int32": "<i4", "bool": "u1", "complex64": "<c8"}


class TFJS:
    """Runs a script of tests/io/tfjs with node and reads what it wrote."""

    def __init__(self, node: str):
        self.node = node

    def run(self, script: str, *args) -> None:
        proc = subprocess.run([self.node, str(TFJS_DIR / script), *map(str, args)],
                              capture_output=True, text=True, timeout=120, cwd=TFJS_DIR)
        if proc.returncode != 0:
            raise AssertionError(f"node {script} failed:\n{proc.stderr[-4000:]}")

    @staticmethod
    def to_array(entry: dict) -> np.ndarray:
        """A tensor written by common.js tensorToJSON, as NumPy."""
        if entry["dtype"] == "string":
            vals = [base64.b64decode(s).decode("utf-8", "surrogateescape")
                    for s in entry["strings"]]
            return np.array(vals, dtype=object).reshape(entry["shape"])
        raw = base64.b64decode(entry["b64"])
        arr = np.frombuffer(raw, dtype=_NP[entry["dtype"]]).reshape(entry["shape"])
        return arr.astype(bool) if entry["dtype"] == "bool" else arr

    @staticmethod
    def from_array(name: str, arr: np.ndarray) -> dict:
        """The input format of encode_weights.js for one array."""
        arr = np.asarray(arr)
        if arr.dtype.kind in "OUS":
            strings = [base64.b64encode(str(v).encode("utf-8", "surrogateescape")).decode()
                       for v in arr.reshape(-1)]
            return {"name": name, "dtype": "string", "shape": list(arr.shape), "strings": strings}
        dtype = {"f": "float32", "i": "int32", "b": "bool", "c": "complex64"}[arr.dtype.kind]
        raw = np.ascontiguousarray(arr, dtype=_NP[dtype]).tobytes()
        return {"name": name, "dtype": dtype, "shape": list(arr.shape),
                "b64": base64.b64encode(raw).decode()}

    @staticmethod
    def read_json(path) -> dict:
        return json.loads(Path(path).read_text())


@pytest.fixture(scope="session")
def tfjs():
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm are not installed")
    if not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        env = {**os.environ, "npm_config_audit": "false", "npm_config_fund": "false"}
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
                              cwd=TFJS_DIR, capture_output=True, text=True, timeout=600, env=env)
        if proc.returncode != 0:
            raise AssertionError(f"npm install failed:\n{proc.stderr[-4000:]}")
    return TFJS(node)
