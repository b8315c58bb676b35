"""The jax backend: XLA on CPU, GPU or TPU; kernels in ``jax.numpy``/``jax.lax``; ``compile``.

Loading it turns on ``jax_enable_x64`` so that ``float64`` tensors (used by gradient checks)
exist; float32 stays the default because every layerflow kernel passes its dtype explicitly.

It also gives XLA one CPU device per core (up to four) when jax has not computed anything yet
and neither ``XLA_FLAGS`` nor ``jax_num_cpu_devices`` chose a count: a training step may split
its batch over them where that is faster (``models/data_parallel.py``). Everything else runs
on the first device as before. ``LAYERFLOW_DATA_PARALLEL=0`` keeps one device.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from layerflow.backends.base import Backend

jax.config.update("jax_enable_x64", True)

MAX_CPU_DEVICES = 4  # NOTE: more parts make each part's matmuls too small to pay off


def _one_cpu_device_per_core() -> None:
    if (os.environ.get("LAYERFLOW_DATA_PARALLEL", "1") == "0"
            or "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", "")
            or jax.config.jax_num_cpu_devices != -1):
        return
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1)
    if cores < 2:
        return
    try:
        jax.config.update("jax_num_cpu_devices", min(cores, MAX_CPU_DEVICES))
    except RuntimeError:  # NOTE: jax has already computed: its devices are fixed
        pass


_one_cpu_device_per_core()


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

    def replica_devices(self) -> list:
        if os.environ.get("LAYERFLOW_DATA_PARALLEL", "1") == "0" or jax.default_backend() != "cpu":
            return []
        devices = jax.devices()
        return devices if len(devices) > 1 else []

    def put(self, data, device):
        return jax.device_put(data, device)

    def placed_like(self, data, like):
        # NOTE: once a split train step has run, the variables hold arrays committed to a
        # device; a value assigned eagerly (a metric's reset at each epoch) would come in
        # uncommitted, and jit compiles the step again for the other placement (0.6 s on
        # W1's first epoch after the warm-up)
        if (isinstance(like, jax.Array) and isinstance(data, jax.Array) and like.committed
                and not data.committed):
            return jax.device_put(data, like.sharding, may_alias=False)
        return data

    def compile(self, fn, **options):
        """``jax.jit`` of ``fn`` (a pure function of pytrees of arrays)."""
        return jax.jit(fn, **options)

    traces_functions = True

    def scan(self, body, carry, xs):
        # NOTE: unroll=1: unrolling 2, 5 or 10 steps per iteration ran an LSTM slower on CPU.
        return jax.lax.scan(body, carry, xs)

    def vjp(self, fn, primals):
        return jax.vjp(fn, *primals)
