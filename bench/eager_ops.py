"""E1: eager per-op cost on each backend, beside raw NumPy, raw jax.numpy and PyTorch.

Run: ``.venv/bin/python bench/eager_ops.py`` (PyTorch rows appear when torch is installed).
Each row is timed in ``--repeats`` rounds; the table shows the median, min and max microseconds
per call and, for layerflow rows, the difference to and ratio with the raw library on the same
backend, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import numpy as np

import layerflow as lf


def _time(fn, number: int, repeats: int) -> list[float]:
    fn()  # warm-up (compiles on jax)
    return [t / number * 1e6 for t in timeit.repeat(fn, number=number, repeat=repeats)]


def _cases(small_n: int, big_n: int):
    rng = np.random.default_rng(0)
    small = (rng.random((10, 10), dtype=np.float32), rng.random((10, 10), dtype=np.float32))
    big = (rng.random((1024, 1024), dtype=np.float32), rng.random((1024, 1024), dtype=np.float32))
    rows = []

    rows.append(("add 10x10", "numpy (raw)", lambda: np.add(*small), small_n))
    rows.append(("matmul 1024", "numpy (raw)", lambda: np.matmul(*big), big_n))
    lf.set_backend("numpy")
    a, b = lf.tensor(small[0]), lf.tensor(small[1])
    c, d = lf.tensor(big[0]), lf.tensor(big[1])
    rows.append(("add 10x10", "layerflow numpy", lambda: lf.add(a, b), small_n))
    rows.append(("matmul 1024", "layerflow numpy", lambda: lf.mat_mul(c, d), big_n))
    try:
        import jax.numpy as jnp
    except ImportError:
        jnp = None
    if jnp is not None:
        js = [jnp.asarray(x) for x in small]
        jb = [jnp.asarray(x) for x in big]
        rows.append(("add 10x10", "jax (raw)",
                     lambda: jnp.add(*js).block_until_ready(), small_n))
        rows.append(("matmul 1024", "jax (raw)",
                     lambda: jnp.matmul(*jb).block_until_ready(), big_n))
        lf.set_backend("jax")
        ja, jb_ = lf.tensor(small[0]), lf.tensor(small[1])
        jc, jd = lf.tensor(big[0]), lf.tensor(big[1])
        rows.append(("add 10x10", "layerflow jax",
                     lambda: _block(lf.add(ja, jb_)), small_n))
        rows.append(("matmul 1024", "layerflow jax",
                     lambda: _block(lf.mat_mul(jc, jd)), big_n))
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        ts = [torch.from_numpy(x) for x in small]
        tb = [torch.from_numpy(x) for x in big]
        rows.append(("add 10x10", "torch (raw)", lambda: torch.add(*ts), small_n))
        rows.append(("matmul 1024", "torch (raw)", lambda: torch.matmul(*tb), big_n))
    return rows


def _block(t):
    data = t._data
    if hasattr(data, "block_until_ready"):
        data.block_until_ready()
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--small-n", type=int, default=20000)
    parser.add_argument("--big-n", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for workload, who, fn, number in _cases(args.small_n, args.big_n):
        # NOTE: an op runs on the active backend; each layerflow row times its own backend.
        if who.startswith("layerflow"):
            lf.set_backend(who.split()[-1])
        times = _time(fn, number, args.repeats)
        results[(workload, who)] = times
    print(f"{'workload':<13} {'implementation':<17} {'median us':>11} {'min':>10} {'max':>10}"
          f" {'vs raw':>22}")
    for (workload, who), times in results.items():
        med = statistics.median(times)
        note = ""
        raw_key = (workload, "numpy (raw)" if "numpy" in who else "jax (raw)")
        if who.startswith("layerflow") and raw_key in results:
            raw = statistics.median(results[raw_key])
            note = f"+{med - raw:8.2f} us  x{med / raw:5.2f}"
        print(f"{workload:<13} {who:<17} {med:11.2f} {min(times):10.2f} {max(times):10.2f}"
              f" {note:>22}")


if __name__ == "__main__":
    main()
