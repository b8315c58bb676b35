"""Helpers shared by the Python runners: timing, result rows, peak memory, the run protocol.

A runner is started as ``python RUNNER --config CONFIG.json`` where the config names the data
directory, the workloads to run, the sizes (see ``workloads.SIZES``) and an output file; it
writes a JSON list of rows, each ``{"workload", "framework", "unit", "higher_better",
"values", "note"}``. ``values`` holds one number per repeat.

>>> row("W1", "x", "samples/s", True, [1.0, 2.0])["values"]
[1.0, 2.0]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def row(workload: str, framework: str, unit: str, higher_better: bool, values: list,
        note: str = "") -> dict:
    """One result row (``values``: one measurement per repeat)."""
    return {"workload": workload, "framework": framework, "unit": unit,
            "higher_better": higher_better, "values": [float(v) for v in values], "note": note}


def skipped(workload: str, framework: str, why: str) -> dict:
    """A row that says the workload did not run and why."""
    return {"workload": workload, "framework": framework, "unit": "", "higher_better": True,
            "values": [], "note": f"skipped: {why}"}


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB.

    Linux's ``VmHWM`` (in ``/proc/self/status``, KiB) where there is one: ``ru_maxrss`` keeps
    the peak of the process before ``exec``, here ``run.py``'s, which made the data (about
    396 MiB), so every runner below that read the same number.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def train_throughput(fit_epoch, warm_up, samples: int, repeats: int) -> list[float]:
    """Samples per second of ``fit_epoch()`` (one epoch of ``samples``), after ``warm_up()``."""
    warm_up()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit_epoch()
        out.append(samples / (time.perf_counter() - start))
    return out


def warm_count(samples: int, batch: int) -> int:
    """Samples for a warm-up epoch that meets every batch shape of the timed epoch, and is
    long enough (32 full batches) for a framework that tunes itself on its first batches to
    finish before the timing: layerflow's split step times its two step programs on 12
    calls, then ``steps_per_execution="auto"`` times 5 single steps and compiles its grouped
    program (with 16 batches that compile fell into the first timed epoch)."""
    return min(samples, 32 * batch + samples % batch)


def latency_us(fn, calls: int, repeats: int) -> list[float]:
    """Per repeat, the median microseconds of ``calls`` single calls of ``fn``."""
    for _ in range(min(calls, 20)):
        fn()
    out = []
    for _ in range(repeats):
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        out.append(statistics.median(times) * 1e6)
    return out


def block_time_us(fn, number: int, repeats: int) -> list[float]:
    """Per repeat, the mean microseconds per call over ``number`` back-to-back calls."""
    fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        out.append((time.perf_counter() - start) / number * 1e6)
    return out


def main(framework_name, run_workload) -> None:
    """Runner entry point: reads the config, runs each workload, writes the rows.

    ``run_workload(name, config)`` returns a list of rows; an exception becomes a skipped
    row naming the error, so one broken workload does not hide the others.
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config) as f:
        config = json.load(f)
    rows = []
    for name in config["workloads"]:
        try:
            rows.extend(run_workload(name, config))
        except Exception as error:  # noqa: BLE001  (reported in the table, not fatal)
            traceback.print_exc()
            rows.append(skipped(name, framework_name(), f"{type(error).__name__}: {error}"))
        with open(config["out"], "w") as f:
            json.dump(rows, f)
