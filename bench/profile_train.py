"""Profile layerflow's training loop on one workload: where the time per step goes.

    .venv/bin/python bench/profile_train.py W1 --backend jax [--samples N] [--top 25]

Builds the bench's model (``peers/layerflow_runner.build``), warms up (compiles), then times
one epoch plain and one under cProfile, and prints the per-step time, the number of steps, and
the top functions by cumulative and by own time (the profiled epoch runs slower
than the plain one: compare shares, not absolute times).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))

import numpy as np  # noqa: E402
import workloads  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["W1", "W2", "W3"])
    parser.add_argument("--backend", default="jax", choices=["jax", "numpy"])
    parser.add_argument("--samples", type=int)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    import layerflow_runner as runner

    runner.BACKEND["name"] = args.backend
    shape = workloads.SHAPES[args.workload]
    n = args.samples or workloads.SIZES["quick"][args.workload]["samples"] * 2
    batch = shape["batch"]
    n -= n % batch
    rng = np.random.default_rng(workloads.SEED)
    x = rng.standard_normal((n,) + shape["x"], dtype=np.float32)
    y = np.eye(shape["classes"], dtype=np.float32)[rng.integers(0, shape["classes"], n)]
    model = runner.build(args.workload)
    start = time.perf_counter()
    model.fit(x[:batch], y[:batch], batch_size=batch, epochs=1, verbose=0)
    print(f"first step (build + compile): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    steps = n // batch
    per = (time.perf_counter() - start) / steps
    print(f"{args.workload} {args.backend}: {steps} steps, {per * 1e3:.2f} ms/step, "
          f"{batch / per:,.0f} samples/s")
    profiler = cProfile.Profile()
    profiler.enable()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    profiler.disable()
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(args.top)
        text = out.getvalue()
        print(f"--- top by {key} (per epoch of {steps} steps)")
        print(text[text.index("ncalls"):] if "ncalls" in text else text)


if __name__ == "__main__":
    main()
