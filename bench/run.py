"""Run the bench: every workload on layerflow (numpy and jax) and on each installed peer.

    python bench/run.py                 # full run (tens of minutes on 2 cores)
    python bench/run.py --quick         # small sizes, about two minutes
    python bench/run.py --quick --only layerflow   # layerflow rows only (the CI smoke test)

Peers: Keras 3 on JAX (this interpreter, ``KERAS_BACKEND=jax``), PyTorch CPU
(``bench/envs/torch``), TensorFlow.js pure-JS CPU (``node`` with ``bench/tfjs/node_modules``);
``bench/setup_peers.sh`` installs them, a missing one is skipped. Every framework runs in its
own subprocess, one after the other, on the same synthetic float32 data (written once, fixed
seed; see ``workloads``). Each row is repeated (``--repeats``, at least 3): the table shows the
median, min and max, and for each peer row the speed ratio of layerflow-jax and
layerflow-numpy to that peer: **ratio > 1 means layerflow is faster** (for samples/s,
layerflow/peer; for times, peer/layerflow; for memory, peer/layerflow, so > 1 means layerflow
uses less). The header gives the machine's float32 GEMM peak measured here with NumPy, and
W1's achieved FLOP/s as a fraction of it. ``--json PATH`` also writes the raw rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import workloads  # noqa: E402

ALL = ["W1", "D1", "W2", "W3", "P1", "E1", "L1", "MEM"]
LF_JAX, LF_NP = "layerflow jax", "layerflow numpy"
# NOTE: D1 (fit_dataset on an lf.data pipeline) is compared with layerflow's own W1 fit.
LAYERFLOW_ONLY = ("D1",)


def _env() -> dict:
    """The runners' environment: OPENBLAS_CORETYPE/L2_SIZE unset (they slow a current
    numpy; see the env notes), Keras on JAX, layerflow's src importable."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["KERAS_BACKEND"] = "jax"
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(ROOT, "src"), HERE] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                            else []))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _frameworks(only: str | None) -> list[tuple[str, list[str], dict]]:
    """(label, command prefix, extra config) for each framework to run."""
    out = [(LF_NP, [sys.executable, os.path.join(HERE, "peers", "layerflow_runner.py")],
            {"backend": "numpy"})]
    try:
        import jax  # noqa: F401

        out.append((LF_JAX, [sys.executable, os.path.join(HERE, "peers", "layerflow_runner.py")],
                    {"backend": "jax"}))
    except ImportError:
        print("layerflow jax: skipped (jax not installed)")
    if only == "layerflow":
        return out
    env = _env()
    probe = subprocess.run([sys.executable, "-c", "import keras"], env=env,
                           capture_output=True)
    if probe.returncode == 0:
        out.append(("keras", [sys.executable, os.path.join(HERE, "peers", "keras_jax.py")], {}))
    else:
        print("keras (jax): skipped (not importable; pip install keras jax)")
    torch_python = os.path.join(HERE, "envs", "torch", "bin", "python")
    if os.path.exists(torch_python):
        out.append(("torch", [torch_python, os.path.join(HERE, "peers", "torch_cpu.py")], {}))
    else:
        print("torch: skipped (run bench/setup_peers.sh)")
    node = shutil.which("node")
    if node and os.path.isdir(os.path.join(HERE, "tfjs", "node_modules", "@tensorflow", "tfjs")):
        out.append(("tfjs", [node, os.path.join(HERE, "peers", "tfjs", "runner.js")], {}))
    else:
        print("tfjs: skipped (needs node and bench/setup_peers.sh)")
    return out


def _run(label, command, extra, names, meta, data_dir, timeout) -> list[dict]:
    """Run one framework's runner on ``names``; its rows (or one skipped row on failure)."""
    out = os.path.join(data_dir, f"out-{label.replace(' ', '_')}-{names[0]}.json")
    config = dict(extra, data_dir=data_dir, workloads=names, sizes=meta["sizes"], out=out,
                  quick=meta["quick"], slow_peers=meta.get("slow_peers", False))
    config_path = out[:-5] + ".config.json"
    with open(config_path, "w") as f:
        json.dump(config, f)
    start = time.perf_counter()
    try:
        done = subprocess.run(command + ["--config", config_path], env=_env(), timeout=timeout,
                              capture_output=True, text=True)
        failed = done.returncode != 0
        detail = (done.stderr or "").strip().splitlines()[-1:] if failed else []
    except subprocess.TimeoutExpired:
        failed, detail = True, [f"timed out after {timeout} s"]
    rows = []
    if os.path.exists(out):
        with open(out) as f:
            rows = json.load(f)
    if failed and not rows:
        rows = [{"workload": names[0], "framework": label, "unit": "", "higher_better": True,
                 "values": [], "note": "failed: " + " ".join(detail)[:80]}]
    print(f"  {label:<16} {','.join(names):<22} {time.perf_counter() - start:7.1f} s",
          flush=True)
    return rows


def gemm_peak_flops(n: int = 2048, repeats: int = 5) -> float:
    """The best float32 FLOP/s of an ``n x n`` np.matmul in this process (2 n^3 per call)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    np.matmul(a, b)
    best = min(_timed(lambda: np.matmul(a, b)) for _ in range(repeats))
    return 2.0 * n ** 3 / best


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info

        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return ", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                         f"{i.get('num_threads')} threads" for i in info) or "unknown"
    except ImportError:
        return "unknown (no threadpoolctl)"


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _ratio(lf_row, peer_row) -> str:
    if not lf_row or not lf_row["values"] or not peer_row["values"]:
        return "-"
    lf_med, peer_med = (statistics.median(lf_row["values"]),
                        statistics.median(peer_row["values"]))
    ratio = lf_med / peer_med if peer_row["higher_better"] else peer_med / lf_med
    return f"{ratio:.2f}x"


def table(rows: list[dict], peak: float) -> str:
    """The results as a text table (see the module docs for the ratio's direction)."""
    lines = [f"{'workload':<18} {'framework':<22} {'unit':<9} {'median':>10} {'min':>10} "
             f"{'max':>10} {'jax/peer':>9} {'np/peer':>9}  note"]
    lines.append("-" * len(lines[0]))
    order = []
    for r in rows:
        if r["workload"] not in order:
            order.append(r["workload"])
    for workload in order:
        group = [r for r in rows if r["workload"] == workload]
        by = {r["framework"]: r for r in group}
        for r in group:
            vals = r["values"]
            is_lf = r["framework"].startswith("layerflow")
            note = r["note"]
            if workload == "W1" and vals and peak:
                frac = statistics.median(vals) * workloads.W1_TRAIN_FLOP / peak
                note = (note + "; " if note else "") + f"{frac:.1%} of GEMM peak"
            w1 = [o for o in rows if o["workload"] == "W1" and o["framework"] == r["framework"]]
            if workload.startswith("D1") and not note and vals and w1 and w1[0]["values"]:
                share = statistics.median(vals) / statistics.median(w1[0]["values"])
                note = (note + "; " if note else "") + f"{share:.2f}x of W1 fit on arrays"
            if vals:
                cells = (f"{_fmt(statistics.median(vals)):>10} {_fmt(min(vals)):>10} "
                         f"{_fmt(max(vals)):>10}")
            else:
                cells = f"{'':>10} {'':>10} {'':>10}"
            ratios = ("" if is_lf else _ratio(by.get(LF_JAX), r),
                      "" if is_lf else _ratio(by.get(LF_NP), r))
            lines.append(f"{workload:<18} {r['framework']:<22} {r['unit']:<9} {cells} "
                         f"{ratios[0]:>9} {ratios[1]:>9}  {note}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (about 2 minutes)")
    parser.add_argument("--only", help="run only this framework family (e.g. layerflow)")
    parser.add_argument("--workloads", default=",".join(ALL),
                        help=f"comma-separated subset of {','.join(ALL)}")
    parser.add_argument("--repeats", type=int, help="repeats per row (>= 3)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per runner call")
    parser.add_argument("--slow-peers", action="store_true",
                        help="also run rows that take minutes (TF.js pure-JS conv, W2)")
    parser.add_argument("--json", help="also write the raw rows here")
    args = parser.parse_args(argv)
    names = [n.strip().upper() for n in args.workloads.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {ALL}")
    data_dir = tempfile.mkdtemp(prefix="layerflow-bench-")
    try:
        meta = workloads.make_data(data_dir, args.quick)
        meta["slow_peers"] = args.slow_peers
        if args.repeats:
            meta["sizes"]["repeats"] = max(3, args.repeats)
        peak = gemm_peak_flops()
        print(f"machine: {platform.machine()} {os.cpu_count()} cores, python "
              f"{platform.python_version()}, numpy {np.__version__} ({_blas()})")
        print(f"float32 GEMM peak (np.matmul 2048, best of 5): {peak / 1e9:.1f} GFLOP/s; "
              f"W1 training counted as {workloads.W1_TRAIN_FLOP / 1e6:.2f} MFLOP/sample")
        print(f"sizes: {json.dumps({k: v for k, v in meta['sizes'].items()})}")
        print("running (each framework in its own process):", flush=True)
        rows = []
        timed = [n for n in names if n != "MEM"]
        for label, command, extra in _frameworks(args.only):
            mine = [n for n in timed if n not in LAYERFLOW_ONLY or label.startswith("layerflow")]
            if mine:
                rows += _run(label, command, extra, mine, meta, data_dir, args.timeout)
            if "MEM" in names:
                rows += _run(label, command, extra, ["MEM"], meta, data_dir, args.timeout)
        rows.sort(key=lambda r: names.index(r["workload"].split()[0])
                  if r["workload"].split()[0] in names else len(names))
        print()
        print(table(rows, peak))
        print("\nratio > 1: layerflow faster (or smaller, for memory) than that peer; "
              "jax/peer uses layerflow jax, np/peer layerflow numpy; medians.")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"peak_flops": peak, "rows": rows}, f, indent=1)
        failed = [r for r in rows if r["framework"].startswith("layerflow")
                  and r["note"].startswith("failed")]
        return 1 if failed else 0
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
