"""Where a compiled jax training step spends its time, per XLA operation.

    .venv/bin/python bench/profile_xla.py W3 [--batches 16] [--top 30]

``bench/profile_train.py`` (cProfile) sees Python; inside a compiled step it only sees one
call. This traces one epoch with ``jax.profiler`` (a Perfetto trace, no extra dependency),
then prints each XLA operation's time per training step and its calls per step, so a loop
body's operations show 50 calls for 50 time steps. Names are those of the optimized HLO
(``ynn_fusion`` is a dot run by YNNPACK; ``*_fusion`` an elementwise kernel; ``while.N`` a
loop, which contains the operations of its body); dump the HLO to map them back::

    XLA_FLAGS="--xla_dump_to=/tmp/hlo --xla_dump_hlo_as_text" \
        .venv/bin/python bench/profile_xla.py W3

The traced epoch runs slower than a plain one: compare shares, not absolute times.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))

import numpy as np  # noqa: E402
import workloads  # noqa: E402

# NOTE: the executor's own spans and Python frames, not XLA operations
_NOT_OPS = ("$", "end:", "ThunkExecutor", "Pjit", "PjRt", "Slinky", "CommonPjRt", "H2D",
            "DevicePut", "Handle inputs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["W1", "W2", "W3"])
    parser.add_argument("--batches", type=int, default=16)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    import jax
    import layerflow_runner as runner

    runner.BACKEND["name"] = "jax"
    shape = workloads.SHAPES[args.workload]
    batch = shape["batch"]
    n = batch * args.batches
    rng = np.random.default_rng(workloads.SEED)
    x = rng.standard_normal((n,) + shape["x"], dtype=np.float32)
    y = np.eye(shape["classes"], dtype=np.float32)[rng.integers(0, shape["classes"], n)]
    model = runner.build(args.workload)
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0)  # NOTE: compiles
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    per = (time.perf_counter() - start) / args.batches
    print(f"{args.workload} jax: {per * 1e3:.2f} ms/step untraced")
    with tempfile.TemporaryDirectory() as folder:
        with jax.profiler.trace(folder, create_perfetto_trace=True):
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        path = glob.glob(os.path.join(folder, "**", "*.trace.json.gz"), recursive=True)[0]
        with gzip.open(path) as f:
            events = [e for e in json.load(f)["traceEvents"] if e.get("ph") == "X"]
    spent, calls = collections.Counter(), collections.Counter()
    for e in events:
        if not e["name"].startswith(_NOT_OPS):
            spent[e["name"]] += e["dur"]
            calls[e["name"]] += 1
    loops = sum(v for k, v in spent.items() if k.startswith("while"))
    total = sum(spent.values()) - loops
    print(f"XLA operations: {total / args.batches / 1e3:.2f} ms/step outside `while` spans "
          f"(traced)\n{'us/step':>9} {'calls/step':>10}  operation")
    for name, us in spent.most_common(args.top):
        print(f"{us / args.batches:9.0f} {calls[name] / args.batches:10.1f}  {name}")


if __name__ == "__main__":
    main()
