"""Keep freed memory for reuse while training (glibc's malloc, Linux).

glibc hands every block above its mmap threshold (at most 32 MB) to the kernel when it is
freed, and maps fresh pages for the next one, which the kernel faults in and zeroes again.
Training allocates the same large blocks on every step: XLA CPU allocates each program's
temporary buffer per call, and NumPy allocates im2col patch matrices and activations. On the
bench's CNN (W2) that page-fault traffic was a quarter of a jax train step (47 -> 36 ms per
step, median of three interleaved runs each) and a third of a numpy one; on the LSTM (W3)
about 10%.

So the first train, test or predict step made by a model's trainer (``models/trainer.py``)
asks glibc, once per process, to serve every block from its heap (``M_MMAP_MAX = 0``) and
to keep the heap's freed top for reuse (``M_TRIM_THRESHOLD`` at its maximum). The process
then keeps its peak heap size until it exits, as a training process does anyway.
``LAYERFLOW_KEEP_FREED_MEMORY=0`` in the environment leaves malloc as it is; elsewhere than
glibc (macOS, Windows, musl) nothing changes.

>>> isinstance(keep_freed_memory(), bool)
True
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_MAX = -4
_INT_MAX = 2**31 - 1

_state: dict = {}


def keep_freed_memory() -> bool:
    """Apply the setting once per process; whether it is in effect."""
    if "on" not in _state:
        _state["on"] = _apply()
    return _state["on"]


def _apply() -> bool:
    if os.environ.get("LAYERFLOW_KEEP_FREED_MEMORY", "1").strip() == "0":
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: musl's mallopt does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _INT_MAX))
