"""examples/core_concepts.py prints the values of TF.js's "Core concepts" guide."""

from __future__ import annotations

import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "core_concepts.py"


def test_core_concepts_prints_the_guides_values(backend, capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "[[1 , 2 , 3 ],\n     [10, 20, 30]]" in out
    assert "[0, 1, 0, 1, 0]" in out
    assert "[[1, 4 ],\n     [9, 16]]" in out
    assert "[[6 , 8 ],\n     [10, 12]]" in out
    assert out.count("[[36 , 64 ],\n     [100, 144]]") == 2
    assert "Tensor\n    24\n" in out
    assert "Tensor\n    3.5\n" in out
