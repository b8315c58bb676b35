"""tidy / keep / dispose / memory, and leak tests."""

from __future__ import annotations

import pytest

import layerflow as lf


def test_tidy_disposes_intermediates_and_keeps_result(backend):
    a = lf.tensor([1.0, 2.0])
    before = lf.memory()
    result = lf.tidy(lambda: {"y": lf.sum(lf.square(lf.add(a, 1)))})
    after = lf.memory()
    assert after.num_tensors == before.num_tensors + 1
    assert result["y"].item() == 13.0


def test_tidy_context_manager_and_keep(backend):
    with lf.tidy():
        kept = lf.keep(lf.mul(lf.ones([3]), 2))
        dropped = lf.add(kept, 1)
    assert kept.array_sync() == [2.0, 2.0, 2.0]
    assert dropped.is_disposed


def test_nested_tidy_moves_result_to_parent(backend):
    def outer():
        inner = lf.tidy(lambda: lf.add(lf.ones([2]), 1))
        return lf.mul(inner, 3)

    before = lf.memory().num_tensors
    out = lf.tidy(outer)
    assert out.array_sync() == [6.0, 6.0]
    assert lf.memory().num_tensors == before + 1


def test_thousand_iterations_under_tidy_leave_memory_unchanged(backend):
    x = lf.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = lf.variable(lf.ones([2, 2]))

    def step():
        with lf.GradientTape() as tape:
            loss = lf.sum(lf.square(lf.mul(x, w)))
        w.assign(lf.sub(w, lf.mul(tape.gradient(loss, w), 0.001)))

    lf.tidy(step)
    before = lf.memory()
    for _ in range(1000):
        lf.tidy(step)
    after = lf.memory()
    assert (after.num_tensors, after.num_bytes, after.num_data_buffers) == (
        before.num_tensors, before.num_bytes, before.num_data_buffers)


def test_disposed_tensor_raises_clear_error(backend):
    t = lf.tensor([1.0])
    t.dispose()
    assert t.is_disposed
    with pytest.raises(lf.errors.DisposedError, match="disposed"):
        lf.add(t, 1)
    with pytest.raises(lf.errors.DisposedError):
        t.numpy()


def test_dispose_nested_structure_and_counts(backend):
    before = lf.memory().num_tensors
    items = {"a": lf.ones([2]), "b": [lf.zeros([3]), (lf.ones([1]),)]}
    assert lf.memory().num_tensors == before + 3
    lf.dispose(items)
    assert lf.memory().num_tensors == before


def test_clone_shares_one_buffer(backend):
    t = lf.tensor([1.0, 2.0])
    before = lf.memory()
    c = t.clone()
    after = lf.memory()
    assert after.num_tensors == before.num_tensors + 1
    assert after.num_data_buffers == before.num_data_buffers
    t.dispose()
    assert c.array_sync() == [1.0, 2.0]


def test_dispose_variables(backend):
    v = lf.variable(lf.ones([2]))
    lf.dispose_variables()
    assert v.is_disposed


def test_profile_reports_kernels_and_new_tensors(backend):
    a = lf.tensor([1.0])
    info = lf.profile(lambda: [lf.add(a, a), lf.mul(a, a)])
    assert info.kernels == ["add", "mul"]
    assert info.new_tensors == 2
    assert info.new_bytes == 8


def test_time_reports_milliseconds(backend):
    info = lf.time(lambda: lf.square(lf.ones([16])))
    assert info.wall_ms >= 0


def test_tensors_saved_by_a_tape_survive_inner_tidy(backend):
    x = lf.tensor(2.0)

    def f(v):
        inner = lf.tidy(lambda: lf.mul(v, v))  # v*v saved by the tape, then tidied
        return lf.mul(inner, v)

    assert lf.grad(f)(x).item() == 12.0


def test_jax_dispose_frees_device_buffer():
    pytest.importorskip("jax")
    previous = lf.get_backend()
    lf.set_backend("jax")
    try:
        t = lf.ones([4])
        data = t._data
        t.dispose()
        assert data.is_deleted()
    finally:
        lf.set_backend(previous)
