"""engine/allocator.py: after keep_freed_memory() a big block comes from the heap, and the heap
keeps it when it is freed (ready for the next step); LAYERFLOW_KEEP_FREED_MEMORY=0 leaves
glibc as it is."""

import os
import subprocess
import sys
import textwrap

import pytest

from layerflow.engine import allocator

_PROBE = textwrap.dedent("""
    import ctypes
    import numpy as np
    from layerflow.engine.allocator import keep_freed_memory

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
            "uordblks", "fordblks", "keepcost")]

    mallinfo2 = ctypes.CDLL(None).mallinfo2
    mallinfo2.restype = MallInfo2
    on = keep_freed_memory()
    block = np.ones(64 * 2**20 // 8)  # 64 MB, above any mmap threshold
    mapped = mallinfo2().hblkhd  # bytes in blocks glibc mapped on their own
    del block
    print(on, mapped, mallinfo2().arena)  # arena: the heap's size, kept or given back
""")


def _run(env_value):
    env = dict(os.environ, LAYERFLOW_KEEP_FREED_MEMORY=env_value)
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    return out[0] == "True", int(out[1]), int(out[2])


def _glibc() -> bool:
    import ctypes

    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return False
    # NOTE: mallinfo2 (glibc 2.33+) reports where blocks live.
    return sys.platform.startswith("linux") and hasattr(libc, "mallinfo2")


@pytest.mark.skipif(not _glibc(), reason="the setting is glibc's")
def test_big_blocks_come_from_the_heap_and_stay_for_reuse():
    block = 64 * 2**20
    on, kept_mapped, kept_heap = _run("1")
    off, fresh_mapped, fresh_heap = _run("0")
    assert on and not off
    assert fresh_mapped >= block and fresh_heap < block  # mapped apart, unmapped when freed
    assert kept_mapped < block <= kept_heap  # from the heap, which keeps it


def test_the_environment_turns_it_off(monkeypatch):
    monkeypatch.setenv("LAYERFLOW_KEEP_FREED_MEMORY", "0")
    assert allocator._apply() is False
