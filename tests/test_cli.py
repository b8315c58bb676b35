"""The layerflow command line: summary and predict on a saved model."""

from __future__ import annotations

import numpy as np

import layerflow as lf
from layerflow.cli import main


def _saved(tmp_path):
    model = lf.sequential([lf.layers.Dense(2, input_shape=[3], name="cli_dense")], name="cli")
    model.save(str(tmp_path / "m"))
    return model


def test_summary_prints_the_table(tmp_path, capsys):
    _saved(tmp_path)
    assert main(["summary", str(tmp_path / "m" / "model.json")]) == 0
    out = capsys.readouterr().out
    assert 'Model: "cli"' in out and "cli_dense (Dense)" in out


def test_predict_prints_and_saves(tmp_path, capsys):
    model = _saved(tmp_path)
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    assert main(["predict", str(tmp_path / "m"), str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model.predict(x), rtol=1e-6)
    assert main(["predict", str(tmp_path / "m"), str(tmp_path / "x.npy")]) == 0
    assert capsys.readouterr().out.count("[") >= 4


def test_missing_model_is_a_clean_error(tmp_path, capsys):
    assert main(["summary", str(tmp_path / "nope")]) == 1
    assert "layerflow: error:" in capsys.readouterr().err
