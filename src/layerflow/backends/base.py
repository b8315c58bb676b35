"""The Backend protocol: where arrays live and kernels run.

A backend is a name, a table of kernels and a few conversions. A kernel is only numerics: a
function named like its op that takes backend arrays and keyword attributes and returns an array
of the dtype the op's rule declared. Kernels check nothing; ops check before calling them.

Kernels are written once per op family in ``backends/kernels/<family>.py`` against an array
namespace ``xp`` (``numpy`` or ``jax.numpy``), which is enough for most of them; a family adds
``numpy_kernels()`` / ``jax_kernels()`` where the two differ (convolution, scatter, random).
Both backends must offer the same kernel names; a test checks it.
"""

from __future__ import annotations

import importlib

import numpy as np

from layerflow.backends.kernels import FAMILIES


class Backend:
    """A backend: ``name``, ``kernels`` (name -> function), conversions to and from NumPy."""

    name = "base"
    xp = np
    frees_memory = False  # True where free() releases memory GC would not release soon

    def __init__(self) -> None:
        self.kernels: dict = {}
        for family in FAMILIES:
            module = importlib.import_module(f"layerflow.backends.kernels.{family}")
            shared = getattr(module, "kernels", None)
            if shared is not None:
                self.kernels.update(shared(self.xp))
            specific = getattr(module, f"{self.name}_kernels", None)
            if specific is not None:
                self.kernels.update(specific())

    def from_numpy(self, array: np.ndarray):
        """Put a NumPy array on this backend (strings stay NumPy object arrays)."""
        raise NotImplementedError

    def to_numpy(self, data) -> np.ndarray:
        """A NumPy array with the values of ``data``."""
        raise NotImplementedError

    def is_native(self, value) -> bool:
        """True if ``value`` is an array of this backend."""
        raise NotImplementedError

    def free(self, data) -> None:
        """Release the memory of ``data`` now, where the backend can."""

    def block(self, data) -> None:
        """Wait until ``data`` is computed (asynchronous backends)."""

    def replica_devices(self) -> list:
        """Devices a training step may split its batch over (the host's CPU cores on jax);
        empty where there is one device or the backend has no device placement."""
        return []

    def put(self, data, device):
        """``data`` copied to ``device`` (one of :meth:`replica_devices`)."""
        raise NotImplementedError

    def placed_like(self, data, like):
        """``data``, placed as ``like`` is (a new value replacing a variable's ``like``)."""
        return data

    def compile(self, fn, **options):
        """Compile a pure function of arrays; backends that cannot compile raise."""
        from layerflow.errors import BackendError

        raise BackendError(f"the {self.name} backend cannot compile functions; use 'jax'")

    # NOTE: loops and vector-Jacobian products of whole functions exist only where a tracer
    # can see a function (jax); ops/scan.py runs a Python loop elsewhere.
    traces_functions = False

    def scan(self, body, carry, xs):
        """``lax.scan(body, carry, xs)``: ``body(carry, x) -> (carry, y)`` over ``xs``'s axis 0."""
        from layerflow.errors import BackendError

        raise BackendError(f"the {self.name} backend cannot trace a loop body; use 'jax'")

    def vjp(self, fn, primals):
        """``(fn(*primals), vjp_fn)`` where ``vjp_fn(cotangents)`` returns one per primal."""
        from layerflow.errors import BackendError

        raise BackendError(f"the {self.name} backend cannot differentiate a function; "
                           "use 'jax'")

    def __repr__(self) -> str:
        return f"<layerflow backend {self.name!r}>"
