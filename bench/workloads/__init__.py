"""The bench's workloads: shapes, sizes and synthetic data shared by every peer.

Only NumPy is imported here, so the PyTorch runner (in its own venv) can import it too. The
data is written once by ``bench/run.py`` as raw little-endian float32 files (``<name>.bin``
plus ``meta.json`` with the shapes) so that every peer, Node included, trains on the same
numbers; it comes from ``numpy.random.default_rng(SEED)``.

>>> from workloads import SIZES
>>> SIZES["full"]["W1"]["samples"]
60000
"""

from __future__ import annotations

import json
import os

import numpy as np

SEED = 0

#: Per workload: input shape per sample (NHWC for images), classes, batch size.
SHAPES = {
    "W1": {"x": (784,), "classes": 10, "batch": 128},
    "W2": {"x": (28, 28, 1), "classes": 10, "batch": 128},
    "W3": {"x": (50, 32), "classes": 10, "batch": 64},
}

#: Sample counts per timed epoch, repeats and call counts for a full and a --quick run.
SIZES = {
    "full": {"W1": {"samples": 60000}, "W2": {"samples": 10000}, "W3": {"samples": 5000},
             "repeats": 3, "p1_calls": 1000, "e1_small": 20000, "e1_big": 5,
             "mem_samples": 60000},
    "quick": {"W1": {"samples": 2048}, "W2": {"samples": 512}, "W3": {"samples": 256},
              "repeats": 3, "p1_calls": 100, "e1_small": 2000, "e1_big": 2,
              "mem_samples": 2048},
}

#: Forward multiply-adds x 2 per sample of the W1 MLP; training costs about 3x forward.
W1_FORWARD_FLOP = 2 * (784 * 256 + 256 * 256 + 256 * 10)
W1_TRAIN_FLOP = 3 * W1_FORWARD_FLOP


def make_data(directory: str, quick: bool) -> dict:
    """Write every workload's x/y as raw float32 into ``directory``; return the metadata."""
    rng = np.random.default_rng(SEED)
    sizes = SIZES["quick" if quick else "full"]
    meta = {"quick": quick, "arrays": {}}
    for name, shape in SHAPES.items():
        n = max(sizes[name]["samples"], 1024 if name == "W1" else 0)
        x = rng.standard_normal((n,) + shape["x"], dtype=np.float32)
        labels = rng.integers(0, shape["classes"], size=n)
        y = np.eye(shape["classes"], dtype=np.float32)[labels]
        for suffix, array in (("x", x), ("y", y)):
            key = f"{name}_{suffix}"
            array.astype("<f4").tofile(os.path.join(directory, key + ".bin"))
            meta["arrays"][key] = list(array.shape)
    meta["sizes"] = sizes
    meta["shapes"] = {k: {"x": list(v["x"]), "classes": v["classes"], "batch": v["batch"]}
                      for k, v in SHAPES.items()}
    with open(os.path.join(directory, "meta.json"), "w") as f:
        json.dump(meta, f)
    return meta


def load(directory: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) arrays of workload ``name`` from a directory written by :func:`make_data`."""
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    out = []
    for suffix in ("x", "y"):
        key = f"{name}_{suffix}"
        array = np.fromfile(os.path.join(directory, key + ".bin"), dtype="<f4")
        out.append(array.reshape(meta["arrays"][key]))
    return out[0], out[1]
