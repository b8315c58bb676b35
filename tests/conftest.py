"""Shared fixtures: ``backend`` runs a test once per backend (numpy, jax)."""

from __future__ import annotations

import importlib.util
import os

# NOTE: Keras (the reference in tests) defaults to the TensorFlow backend, which is not installed.
os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

import layerflow as lf

BACKENDS = ["numpy"] + (["jax"] if importlib.util.find_spec("jax") else [])
if "jax" in BACKENDS:
    # NOTE: loaded before any test computes with jax (Keras references do), so that XLA gets
    # one CPU device per core as in a user's process (models/data_parallel.py splits over them).
    importlib.import_module("layerflow.backends.jax")


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test on each installed backend; restores the previous backend afterwards."""
    previous = lf.get_backend()
    lf.set_backend(request.param)
    try:
        yield request.param
    finally:
        lf.set_backend(previous)


@pytest.fixture
def jax_backend():
    """Run the test on the jax backend (skipped without jax); restores the previous one."""
    pytest.importorskip("jax")
    previous = lf.get_backend()
    lf.set_backend("jax")
    try:
        yield
    finally:
        lf.set_backend(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
