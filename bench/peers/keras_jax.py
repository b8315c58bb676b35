"""Keras 3 on JAX runner (``KERAS_BACKEND=jax``): the bench's workloads, same protocol as
``layerflow_runner.py`` (see ``bench/common.py``)."""

from __future__ import annotations

import os
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import common  # noqa: E402
import numpy as np  # noqa: E402
import workloads  # noqa: E402


def framework() -> str:
    """The row label, e.g. ``keras 3.15.1 jax``."""
    import keras

    return f"keras {keras.__version__} jax"


def build(name: str):
    """The compiled Keras model of workload ``name`` (W1, W2 or W3)."""
    import keras
    from keras import layers as L

    keras.utils.set_random_seed(workloads.SEED)
    if name == "W1":
        stack = [keras.Input((784,)), L.Dense(256, activation="relu"),
                 L.Dense(256, activation="relu"), L.Dense(10, activation="softmax")]
    elif name == "W2":
        stack = [keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                 L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                 L.Flatten(), L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")]
    else:
        stack = [keras.Input((50, 32)), L.LSTM(128), L.Dense(10, activation="softmax")]
    model = keras.Sequential(stack)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    return model


def _train(name: str, config: dict) -> list:
    x, y = workloads.load(config["data_dir"], name)
    n = config["sizes"][name]["samples"]
    batch = workloads.SHAPES[name]["batch"]
    x, y = x[:n], y[:n]
    model = build(name)
    warm = common.warm_count(n, batch)
    values = common.train_throughput(
        lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True),
        lambda: model.fit(x[:warm], y[:warm], batch_size=batch, epochs=1, verbose=0),
        n, config["sizes"]["repeats"])
    return [common.row(name, framework(), "samples/s", True, values)]


def _predict(config: dict) -> list:
    x, _ = workloads.load(config["data_dir"], "W1")
    model = build("W1")
    calls, repeats = config["sizes"]["p1_calls"], config["sizes"]["repeats"]
    one, big = x[:1], x[:1024]
    return [common.row("P1 predict b1", framework(), "us", False, common.latency_us(
                lambda: model.predict(one, verbose=0), calls, repeats)),
            common.row("P1 model(x) b1", framework(), "us", False, common.latency_us(
                lambda: np.asarray(model(one)), calls, repeats)),
            common.row("P1 predict b1024", framework(), "us", False, common.latency_us(
                lambda: model.predict(big, batch_size=1024, verbose=0),
                max(calls // 20, 5), repeats))]


def _eager(config: dict) -> list:
    import jax.numpy as jnp
    from keras import ops

    sizes = config["sizes"]
    rng = np.random.default_rng(workloads.SEED)
    small = [rng.random((10, 10), dtype=np.float32) for _ in range(2)]
    big = [rng.random((1024, 1024), dtype=np.float32) for _ in range(2)]
    js, jb = [jnp.asarray(a) for a in small], [jnp.asarray(a) for a in big]
    rows = []
    for label, fn_small, fn_big in (
            ("numpy (raw)", lambda: np.add(*small), lambda: np.matmul(*big)),
            ("jax (raw)", lambda: jnp.add(*js).block_until_ready(),
             lambda: jnp.matmul(*jb).block_until_ready()),
            (framework() + " ops", lambda: ops.add(*js).block_until_ready(),
             lambda: ops.matmul(*jb).block_until_ready())):
        rows.append(common.row("E1 add 10x10", label, "us", False, common.block_time_us(
            fn_small, sizes["e1_small"], sizes["repeats"])))
        rows.append(common.row("E1 matmul 1024", label, "us", False, common.block_time_us(
            fn_big, sizes["e1_big"], sizes["repeats"])))
    return rows


def _load(config: dict) -> list:
    import keras
    from keras import layers as L

    model = keras.Sequential([keras.Input((784,)), L.Dense(2048, activation="relu"),
                              L.Dense(2048, activation="relu"), L.Dense(10)])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        values = []
        for _ in range(config["sizes"]["repeats"] + 1):
            start = time.perf_counter()
            keras.saving.load_model(path)
            values.append((time.perf_counter() - start) * 1e3)
    return [common.row("L1 load 20MB", framework(), "ms", False, values[1:],
                       note=".keras file")]


def _memory(config: dict) -> list:
    x, y = workloads.load(config["data_dir"], "W1")
    n = config["sizes"]["mem_samples"]
    build("W1").fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0)
    return [common.row("MEM peak RSS W1", framework(), "MiB", False, [common.peak_rss_mb()])]


def run_workload(name: str, config: dict) -> list:
    """Rows of workload ``name`` on Keras/JAX."""
    if name in ("W1", "W2", "W3"):
        return _train(name, config)
    return {"P1": _predict, "E1": _eager, "L1": _load, "MEM": _memory}[name](config)


if __name__ == "__main__":
    common.main(framework, run_workload)
