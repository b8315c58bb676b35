"""A value assigned to a variable keeps the variable's device placement (jax backend)."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import layerflow as lf  # noqa: E402
from layerflow.backends import load_backend  # noqa: E402


def test_placed_like_commits_a_copy_to_the_committed_device():
    backend = load_backend("jax")
    device = jax.devices()[-1]
    like = jax.device_put(np.zeros(3, np.float32), device)
    data = jax.numpy.ones(3, np.float32)
    placed = backend.placed_like(data, like)
    assert placed.committed and placed.devices() == {device}
    data.delete()  # NOTE: a copy, not an alias: the assigned value outlives its source
    np.testing.assert_array_equal(np.asarray(placed), np.ones(3, np.float32))


def test_placed_like_leaves_uncommitted_placement_alone():
    backend = load_backend("jax")
    data = jax.numpy.ones(2)
    assert backend.placed_like(data, jax.numpy.zeros(2)) is data


def test_assign_keeps_a_committed_variable_committed(jax_backend):
    v = lf.variable(lf.zeros([2]))
    device = jax.devices()[0]
    v._set_data(jax.device_put(v._data, device))
    v.assign(lf.ones([2]))  # NOTE: an eager value, as a metric's reset assigns
    assert v._data.committed and v._data.devices() == {device}
    np.testing.assert_array_equal(v.array_sync(), [1.0, 1.0])
