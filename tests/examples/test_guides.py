"""The guides' examples (examples/*.py) run and give the guides' results."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(name: str) -> dict:
    return runpy.run_path(str(EXAMPLES / name), run_name="example")


def test_quickstart_predicts_about_9(backend):
    assert abs(_run("quickstart.py")["main"]() - 9.0) < 0.1


def test_subclassed_linear_matches_plain_gradient_descent(backend):
    model, _ = _run("subclassed_linear.py")["main"]()
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y = np.array([[10.0], [20.0]])
    a, b = np.zeros((3, 1)), np.zeros(1)
    for _ in range(100):  # the reference: the same 100 SGD steps written out in NumPy
        err = x @ a + b - y
        a -= 0.01 * (2 / err.size) * x.T @ err
        b -= 0.01 * (2 / err.size) * err.sum(axis=0)
    np.testing.assert_allclose(model.variables[0].numpy(), a, rtol=1e-5)
    np.testing.assert_allclose(model.variables[1].numpy(), b, rtol=1e-5)


def test_layers_for_keras_users(backend):
    results = _run("layers_for_keras_users.py")["main"]()
    assert results["dense_units"] == 1
    assert results["symbolic_shape"] == (None, 8) and results["eager_shape"] == (2, 12)
    assert abs(results["sgd_lr"] - 0.2) < 1e-7
    assert results["bn_weights"] == 4
    assert np.isfinite(results["rnn_loss"])


def test_functional_api_guide(backend):
    history = _run("functional_api.py")["main"]()
    assert len(history.history["loss"]) == 3
