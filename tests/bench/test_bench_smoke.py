"""Smoke test of the bench: ``bench/run.py --quick --only layerflow`` runs the cheap workloads
on layerflow's backends and prints the table (the peers are not needed). W2/W3 are left to the
real bench runs: compiling them alone would take minutes of CI time."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bench_quick_layerflow_only(tmp_path):
    out = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "run.py"), "--quick", "--only",
         "layerflow", "--workloads", "W1,P1,E1", "--repeats", "3", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "GEMM peak" in done.stdout
    import json

    rows = json.loads(out.read_text())["rows"]
    frameworks = {r["framework"] for r in rows}
    assert "layerflow numpy" in frameworks
    for r in rows:
        assert r["framework"].startswith("layerflow"), r
        assert not r["note"].startswith("failed"), r
        if not r["note"].startswith("skipped"):
            assert len(r["values"]) >= 1 and all(v > 0 for v in r["values"]), r
    for workload in ("W1", "P1 predict b1", "E1 add 10x10"):
        assert any(r["workload"] == workload and r["values"] for r in rows), workload
