"""The jax backend: XLA on CPU, GPU or TPU; kernels in ``jax.numpy``/``jax.lax``; ``compile``.

Loading it turns on ``jax_enable_x64`` so that ``float64`` tensors (used by gradient checks)
exist; float32 stays the default because every layerflow kernel passes its dtype explicitly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from layerflow.backends.base import Backend

jax.config.update("jax_enable_x64", True)


class JaxBackend(Backend):
    """Kernels on ``jax.Array``; ``dispose`` deletes the device buffer."""

    name = "jax"
    xp = jnp
    frees_memory = True

    def from_numpy(self, array: np.ndarray):
        if array.dtype == object:
            return array
        return jnp.asarray(array)

    def to_numpy(self, data) -> np.ndarray:
        return np.asarray(data)

    def is_native(self, value) -> bool:
        return isinstance(value, jax.Array)

    def free(self, data) -> None:
        delete = getattr(data, "delete", None)
        if delete is not None and isinstance(data, jax.Array):
            try:
                delete()
            except Exception:  # NOTE: already deleted, or a tracer: nothing to free
                pass

    def block(self, data) -> None:
        if isinstance(data, jax.Array):
            data.block_until_ready()

    def compile(self, fn, **options):
        """``jax.jit`` of ``fn`` (a pure function of pytrees of arrays)."""
        return jax.jit(fn, **options)

    traces_functions = True

    def scan(self, body, carry, xs):
        # NOTE: unroll=1: unrolling 2, 5 or 10 steps per iteration ran an LSTM slower on CPU.
        return jax.lax.scan(body, carry, xs)

    def vjp(self, fn, primals):
        return jax.vjp(fn, *primals)
