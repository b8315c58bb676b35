"""Both backends offer the same kernel names."""

from __future__ import annotations

import pytest

from layerflow.backends import load_backend


def test_backends_offer_the_same_kernels():
    pytest.importorskip("jax")
    numpy_names = set(load_backend("numpy").kernels)
    jax_names = set(load_backend("jax").kernels)
    assert numpy_names - jax_names == set(), "kernels only numpy has"
    assert jax_names - numpy_names == set(), "kernels only jax has"
