"""Optimizer-update kernels: Adam's rule in three calls per variable instead of ~18 ops.

Each kernel computes what the optimizer's ops would, in the same order, so the numbers are the
same: ``kernels(xp)`` for jax (XLA fuses it anyway); ``numpy_kernels()`` with in-place ``out=``
arithmetic on the one array each kernel returns, which it allocated itself (the inputs are
tensors' buffers and are never written).

The update is split so the optimizer can assign each new slot before the next kernel allocates:
the old buffer is then free for the next allocation. Allocating all three new arrays first makes
the heap grow by three variables' worth and shrink back every step, and glibc hands that memory
to the OS and faults it back in (page faults cost more than the arithmetic for a Dense kernel).
"""

from __future__ import annotations

import threading

import numpy as np


def _adam_alpha(xp, lr, iterations, beta_1, beta_2, dtype):
    """Keras 3's ``lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)`` with ``t = iterations + 1``."""
    one = xp.asarray(1, dtype)
    step = (iterations + 1).astype(dtype)
    beta_1_power = xp.power(xp.asarray(beta_1, dtype), step)
    beta_2_power = xp.power(xp.asarray(beta_2, dtype), step)
    return lr.astype(dtype) * xp.sqrt(one - beta_2_power) / (one - beta_1_power)


def kernels(xp) -> dict:
    def adam_momentum(m, g, beta_1):
        return m + (g - m) * xp.asarray(1 - beta_1, m.dtype)

    def adam_velocity(v, g, beta_2):
        return v + (xp.square(g) - v) * xp.asarray(1 - beta_2, v.dtype)

    def adam_step(var, m, v, lr, iterations, beta_1, beta_2, epsilon):
        alpha = _adam_alpha(xp, lr, iterations, beta_1, beta_2, var.dtype)
        return var - (m * alpha) / (xp.sqrt(v) + xp.asarray(epsilon, var.dtype))

    return {"adam_momentum": adam_momentum, "adam_velocity": adam_velocity,
            "adam_step": adam_step}


_SCRATCH = threading.local()


def _scratch(like: np.ndarray) -> np.ndarray:
    """A temporary shaped like ``like``, from one per-thread buffer of the largest size seen.

    Only the kernel that asked uses it, and only until it returns (never held by a tensor).
    """
    buffer = getattr(_SCRATCH, "buffer", None)
    if buffer is None or buffer.nbytes < like.nbytes:
        buffer = _SCRATCH.buffer = np.empty(like.nbytes, np.uint8)
    return buffer[:like.nbytes].view(like.dtype).reshape(like.shape)


def numpy_kernels() -> dict:
    def adam_momentum(m, g, beta_1):
        # NOTE: m + (g - m) * (1 - beta_1) in the fresh array; a + b == b + a bit for bit, so
        # adding m last gives the op path's numbers.
        out = np.subtract(g, m)
        np.multiply(out, m.dtype.type(1 - beta_1), out=out)
        return np.add(m, out, out=out)

    def adam_velocity(v, g, beta_2):
        with np.errstate(all="ignore"):  # NOTE: as the square kernel: inf is a result
            out = np.square(g)
            np.subtract(out, v, out=out)
            np.multiply(out, v.dtype.type(1 - beta_2), out=out)
            return np.add(v, out, out=out)

    def adam_step(var, m, v, lr, iterations, beta_1, beta_2, epsilon):
        with np.errstate(all="ignore"):
            alpha = _adam_alpha(np, lr, iterations, beta_1, beta_2, var.dtype)
            denominator = np.sqrt(v, out=_scratch(v))
            np.add(denominator, var.dtype.type(epsilon), out=denominator)
            out = np.multiply(m, alpha)
            np.divide(out, denominator, out=out)
            return np.subtract(var, out, out=out)

    return {"adam_momentum": adam_momentum, "adam_velocity": adam_velocity,
            "adam_step": adam_step}
