"""The engine's state: the only global state in layerflow.

One :data:`ENGINE` holds the active backend, the stack of recording tapes, the stack of tidy
scopes, the memory counts, the random-seed state and the trace depth (how many compiled
functions are being traced right now).

Decisions written down here:

- ``memory().num_tensors`` counts tensors that are neither disposed nor garbage collected.
  TF.js frees memory only on ``dispose``; Python also frees it when the last reference goes,
  so layerflow counts that as a release too. ``tidy``/``dispose`` free memory *now*, which is
  what matters for device memory on the jax backend.
- A data buffer shared by two tensors (``clone``, or a kernel that returns its input) is counted
  once and freed when its last tensor lets go of it.
- While a function is traced for compilation (:meth:`Engine.tracing`), tensors hold tracers, not
  memory: they are neither counted nor put in tidy scopes.
"""

from __future__ import annotations

import itertools
import os
import threading
import weakref
from contextlib import contextmanager

from layerflow.errors import BackendError

_BACKEND_NAMES = ("numpy", "jax")


class Engine:
    """Process-wide engine state. Use the functions of ``layerflow`` rather than this directly."""

    def __init__(self) -> None:
        self.backend = None
        self.kernels: dict | None = None
        self.free = None
        self.tapes: list = []
        self.scopes: list[list] = []
        self.num_tensors = 0
        self.num_bytes = 0
        self.buffers: dict[int, int] = {}
        self.trace_depth = 0
        self.profile_log: list | None = None
        self.ids = itertools.count()
        self.variables: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.seed: int | None = None
        self.seed_counter = 0
        self.trace_keys: list = []
        self.name_counts: dict[str, int] = {}  # unique layer/model names (dense, dense_1 ...)
        self.lock = threading.RLock()

    # -- backend ---------------------------------------------------------------------------
    def get_backend(self):
        if self.backend is None:
            name = os.environ.get("LAYERFLOW_BACKEND") or default_backend_name()
            self.set_backend(name)
        return self.backend

    def set_backend(self, name: str) -> None:
        from layerflow.backends import load_backend

        self.backend = load_backend(name)
        self.kernels = self.backend.kernels
        # NOTE: None when freeing is a no-op (numpy), so the hot path skips the call.
        self.free = self.backend.free if self.backend.frees_memory else None

    # -- memory accounting -----------------------------------------------------------------
    # NOTE: track/release run for every tensor; Tensor's wrap/__del__ inline the same steps.
    def track(self, tensor, data) -> None:
        """Count a new tensor and put it in the innermost tidy scope."""
        key = id(data)
        count = self.buffers.get(key)
        if count is None:
            self.buffers[key] = 1
            self.num_bytes += nbytes(data)
        else:
            self.buffers[key] = count + 1
        self.num_tensors += 1
        if self.scopes:
            self.scopes[-1].append(tensor)

    def release(self, data) -> None:
        """Forget one tensor's hold on ``data``; free the buffer when it was the last."""
        key = id(data)
        count = self.buffers.get(key)
        if count is None:
            return
        self.num_tensors -= 1
        if count > 1:
            self.buffers[key] = count - 1
            return
        del self.buffers[key]
        self.num_bytes -= nbytes(data)
        if self.free is not None:
            self.free(data)

    @property
    def tracing(self) -> bool:
        return self.trace_depth > 0

    @contextmanager
    def trace_scope(self, rng_key=None):
        """Run code whose tensors hold tracers (a function being compiled)."""
        self.trace_depth += 1
        self.trace_keys.append(rng_key)
        saved_scopes, self.scopes = self.scopes, []
        try:
            yield
        finally:
            self.scopes = saved_scopes
            self.trace_keys.pop()
            self.trace_depth -= 1

    # -- randomness ------------------------------------------------------------------------
    def set_seed(self, seed: int) -> None:
        self.seed = int(seed)
        self.seed_counter = 0

    def next_seed(self) -> tuple[int, int]:
        """A fresh (seed, counter) pair for an op that was given no seed."""
        if self.seed is None:
            self.seed = int.from_bytes(os.urandom(4), "little")
        self.seed_counter += 1
        return self.seed, self.seed_counter


def nbytes(data) -> int:
    """Bytes held by a backend array (strings: their UTF-8 bytes, as TF.js counts them)."""
    try:
        if data.dtype.hasobject:
            return sum(len(s.encode() if isinstance(s, str) else s) for s in data.flat)
        return data.nbytes
    except Exception:  # NOTE: a tracer or a deleted buffer holds no memory we can count
        return 0


def default_backend_name() -> str:
    """The best backend installed: jax where it imports, else numpy (as TF.js picks its best)."""
    try:
        import jax  # noqa: F401
    except Exception:
        return "numpy"
    return "jax"


def backend_names() -> tuple[str, ...]:
    return _BACKEND_NAMES


def check_backend_name(name: str) -> str:
    if name not in _BACKEND_NAMES:
        raise BackendError(f"unknown backend {name!r}; expected one of {', '.join(_BACKEND_NAMES)}")
    return name


ENGINE = Engine()
