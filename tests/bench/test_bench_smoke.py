"""Smoke test of the bench: ``bench/run.py --quick --only layerflow`` runs every workload on
layerflow's backends and prints the table (the peers are not needed)."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_bench_quick_layerflow_only(tmp_path):
    out = tmp_path / "rows.json"
    done = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "run.py"), "--quick", "--only",
         "layerflow", "--json", str(out)],
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
    for workload in ("W1", "W2", "W3", "P1 predict b1", "E1 add 10x10", "MEM peak RSS W1"):
        assert any(r["workload"] == workload and r["values"] for r in rows), workload
