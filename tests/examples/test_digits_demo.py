"""The README's demo trains the digits CNN to about 97% test accuracy and predicts."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "digits_demo.py"


def test_digits_demo_reaches_high_accuracy(capsys, tmp_path):
    pytest.importorskip("sklearn")
    main = runpy.run_path(str(DEMO), run_name="example")["main"]
    accuracy = main(["--epochs", "10", "--verbose", "0", "--save-dir", str(tmp_path / "m")])
    assert accuracy > 0.95
    out = capsys.readouterr().out
    assert "test accuracy" in out and "predictions match" in out and "predicted:" in out
    assert (tmp_path / "m" / "model.json").is_file()
