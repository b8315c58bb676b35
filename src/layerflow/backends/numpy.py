"""The NumPy backend: the default when jax is not installed; always available, CPU."""

from __future__ import annotations

import numpy as np

from layerflow.backends.base import Backend


class NumpyBackend(Backend):
    """Kernels on NumPy arrays."""

    name = "numpy"
    xp = np

    def from_numpy(self, array: np.ndarray):
        return array

    def to_numpy(self, data) -> np.ndarray:
        return np.asarray(data)

    def is_native(self, value) -> bool:
        return isinstance(value, np.ndarray)
