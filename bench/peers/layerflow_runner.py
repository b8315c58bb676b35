"""layerflow runner: the bench's workloads on one backend (``config["backend"]``).

Run by ``bench/run.py`` as ``python bench/peers/layerflow_runner.py --config CONFIG.json``;
see ``bench/common.py`` for the protocol.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import common  # noqa: E402
import numpy as np  # noqa: E402
import workloads  # noqa: E402

BACKEND = {"name": "numpy"}


def _lf():
    import layerflow as lf

    lf.set_backend(BACKEND["name"])
    return lf


def framework() -> str:
    """The row label, e.g. ``layerflow jax``."""
    return f"layerflow {BACKEND['name']}"


def build(name: str):
    """The compiled model of workload ``name`` (W1, W2 or W3)."""
    lf = _lf()
    lf.set_seed(workloads.SEED)
    L = lf.layers
    if name == "W1":
        layers = [L.Dense(256, activation="relu", input_shape=[784]),
                  L.Dense(256, activation="relu"), L.Dense(10, activation="softmax")]
    elif name == "W2":
        layers = [L.Conv2D(32, 3, activation="relu", input_shape=[28, 28, 1]),
                  L.MaxPooling2D(2), L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Flatten(), L.Dense(128, activation="relu"),
                  L.Dense(10, activation="softmax")]
    else:
        layers = [L.LSTM(128, input_shape=[50, 32]), L.Dense(10, activation="softmax")]
    model = lf.sequential(layers)
    model.compile(optimizer=lf.optimizers.Adam(learning_rate=1e-3),
                  loss="categorical_crossentropy")
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


def _fit_dataset(config: dict) -> list:
    """W1 trained from an ``lf.data`` pipeline (rows, shuffle, batch, prefetch), with epochs
    alternated with W1's ``fit`` on in-memory arrays (a second model): the note's ratio pairs
    epochs run next to each other, so the machine's drift does not move it."""
    import statistics

    lf = _lf()
    x, y = workloads.load(config["data_dir"], "W1")
    n = config["sizes"]["W1"]["samples"]
    batch = workloads.SHAPES["W1"]["batch"]
    x, y = x[:n], y[:n]
    warm = common.warm_count(n, batch)

    def pipeline(xs, ys):
        return lf.data.from_numpy(xs, ys).shuffle(4 * batch).batch(batch).prefetch(4)

    on_data, on_arrays = build("W1"), build("W1")
    on_data.fit_dataset(pipeline(x[:warm], y[:warm]), epochs=1, verbose=0)
    on_arrays.fit(x[:warm], y[:warm], batch_size=batch, epochs=1, verbose=0)
    values, ratios = [], []
    for _ in range(config["sizes"]["repeats"]):
        arrays = common.train_throughput(
            lambda: on_arrays.fit(x, y, batch_size=batch, epochs=1, verbose=0),
            lambda: None, n, 1)[0]
        values += common.train_throughput(
            lambda: on_data.fit_dataset(pipeline(x, y), epochs=1, verbose=0),
            lambda: None, n, 1)
        ratios.append(values[-1] / arrays)
    note = f"{statistics.median(ratios):.2f}x of fit on arrays (alternate epochs)"
    return [common.row("D1 fit_dataset W1", framework(), "samples/s", True, values, note)]


def _predict(config: dict) -> list:
    x, _ = workloads.load(config["data_dir"], "W1")
    model = build("W1")
    calls, repeats = config["sizes"]["p1_calls"], config["sizes"]["repeats"]
    one, big = x[:1], x[:1024]
    rows = [common.row("P1 predict b1", framework(), "us", False,
                       common.latency_us(lambda: model.predict(one), calls, repeats)),
            common.row("P1 model(x) b1", framework(), "us", False,
                       common.latency_us(lambda: model(one).numpy(), calls, repeats)),
            common.row("P1 predict b1024", framework(), "us", False,
                       common.latency_us(lambda: model.predict(big, batch_size=1024),
                                         max(calls // 20, 5), repeats))]
    return rows


def _eager(config: dict) -> list:
    lf = _lf()
    from eager_ops import _block

    sizes = config["sizes"]
    rng = np.random.default_rng(workloads.SEED)
    small = [lf.tensor(rng.random((10, 10), dtype=np.float32)) for _ in range(2)]
    big = [lf.tensor(rng.random((1024, 1024), dtype=np.float32)) for _ in range(2)]
    return [common.row("E1 add 10x10", framework(), "us", False, common.block_time_us(
                lambda: _block(lf.add(*small)), sizes["e1_small"], sizes["repeats"])),
            common.row("E1 matmul 1024", framework(), "us", False, common.block_time_us(
                lambda: _block(lf.mat_mul(*big)), sizes["e1_big"], sizes["repeats"]))]


def _load(config: dict) -> list:
    lf = _lf()
    if not hasattr(lf, "load_layers_model"):
        return [common.skipped("L1 load 20MB", framework(), "not available")]
    L = lf.layers
    model = lf.sequential([L.Dense(2048, activation="relu", input_shape=[784]),
                           L.Dense(2048, activation="relu"), L.Dense(10)])
    with tempfile.TemporaryDirectory() as tmp:
        model.save("file://" + tmp)
        values = []
        for _ in range(config["sizes"]["repeats"] + 1):
            start = time.perf_counter()
            loaded = lf.load_layers_model("file://" + os.path.join(tmp, "model.json"))
            values.append((time.perf_counter() - start) * 1e3)
            del loaded
    return [common.row("L1 load 20MB", framework(), "ms", False, values[1:])]


def _memory(config: dict) -> list:
    x, y = workloads.load(config["data_dir"], "W1")
    n = config["sizes"]["mem_samples"]
    model = build("W1")
    model.fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0)
    return [common.row("MEM peak RSS W1", framework(), "MiB", False, [common.peak_rss_mb()])]


def run_workload(name: str, config: dict) -> list:
    """Rows of workload ``name`` on this runner's backend."""
    BACKEND["name"] = config.get("backend", "numpy")
    if name in ("W1", "W2", "W3"):
        return _train(name, config)
    return {"P1": _predict, "E1": _eager, "L1": _load, "MEM": _memory,
            "D1": _fit_dataset}[name](config)


if __name__ == "__main__":
    common.main(framework, run_workload)
