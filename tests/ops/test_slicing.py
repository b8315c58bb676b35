"""Slicing, indexing, gathering, scattering and joining against NumPy; gradients; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerflow as lf
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.ops.slicing import IndexOutOfRangeError
from tests._support.opcheck import check_forward, check_grad, check_second_order


# -- slice / strided_slice -------------------------------------------------------------------
def test_slice(backend, rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    check_forward(lambda t: lf.slice(t, [1, 1], [2, -1]), lambda a: a[1:3, 1:], [x],
                  dtype="float32")
    check_forward(lambda t: t.slice([1]), lambda a: a[1:], [x])
    check_forward(lambda t: lf.slice(t, 1, 1), lambda a: a[1:2], [x])
    check_grad(lambda t: lf.slice(t, [0, 1], [2, 2]), [x])
    with pytest.raises(lf.errors.InvalidArgumentError, match="slice: begin"):
        lf.slice(lf.tensor(x), [2, 0], [2, 1])


@pytest.mark.parametrize("args,ref", [
    (dict(begin=[0, 2], end=[3, 0], strides=[1, -1]), lambda a: a[0:3, 2:0:-1]),
    (dict(begin=[1, 0], end=[0, 4], strides=[1, 2], begin_mask=1, end_mask=1),
     lambda a: a[:, 0:4:2]),
    (dict(begin=[1, 0], end=[2, 3], shrink_axis_mask=1), lambda a: a[1, 0:3]),
    (dict(begin=[0, 0, 1], end=[0, 0, 3], ellipsis_mask=1, new_axis_mask=2),
     lambda a: a[..., None, 1:3]),
    (dict(begin=[-1], end=[-4], strides=[-1]), lambda a: a[-1:-4:-1]),
])
def test_strided_slice(backend, rng, args, ref):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    check_forward(lambda t: lf.strided_slice(t, **args), ref, [x], dtype="float32")
    check_grad(lambda t: t.strided_slice(**args), [x])


def test_slice_second_order(backend):
    def f(t):
        return lf.sum(lf.square(t[::-2]))

    g = lf.grad(lambda t: lf.sum(lf.mul(lf.grad(f)(t), t)))(lf.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g.numpy(), [4.0, 0.0, 12.0])


# -- __getitem__ ------------------------------------------------------------------------------
def test_getitem_basic(backend):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = lf.tensor(a)
    for key in [0, -1, (0, 1), np.s_[:, 1], np.s_[..., None], np.s_[None, 1, ..., ::-1],
                np.s_[1, 1:, ::-2], np.s_[..., 2], (), np.s_[-5:10:3, ::-1, -2::-2],
                np.s_[:, -4::-1], np.s_[-3:-1:-1]]:
        got = t[key]
        np.testing.assert_array_equal(got.numpy(), a[key], err_msg=str(key))
        assert got.shape == a[key].shape


def test_getitem_arrays_and_masks(backend):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = lf.tensor(a)
    for key in [[1, 0], (slice(None), [2, 0, -1]), (Ellipsis, [3, 3]), (0, slice(None), [1, 2]),
                (slice(None), 0, [1, 2]), (1, [[0, 1], [2, 2]]), np.array([1]),
                (slice(None), lf.tensor([2, 1]))]:
        k_np = tuple(np.asarray(k) if isinstance(k, lf.Tensor) else k for k in key) \
            if isinstance(key, tuple) else key
        got = t[key]
        np.testing.assert_array_equal(got.numpy(), a[k_np], err_msg=str(key))
    mask = a[:, :, 0] > 5
    np.testing.assert_array_equal(t[lf.tensor(mask)].numpy(), a[mask])
    np.testing.assert_array_equal(t[mask[:, 0]].numpy(), a[mask[:, 0]])
    check_grad(lambda u: u[:, [2, 0, 2]], [a[:, :, :2]])


def test_getitem_errors(backend):
    t = lf.zeros([2, 3])
    with pytest.raises(IndexOutOfRangeError, match=r"index 2 is out of range for axis 0"):
        t[2]
    with pytest.raises(IndexError):
        t[0, -4]
    with pytest.raises(lf.errors.LayerflowError):
        t[0, 0, 0]
    with pytest.raises(IndexOutOfRangeError, match="index 3"):
        t[:, [0, 3]]
    assert [r.shape for r in t] == [(3,), (3,)]
    with pytest.raises(lf.errors.NotSupportedError):
        SymbolicTensor((None, 3))[SymbolicTensor((None,), "bool")]


@st.composite
def _shapes_and_keys(draw):
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    key = []
    k = draw(st.integers(0, len(shape)))
    where = draw(st.sampled_from(["none", "after", "before"]))
    dims = shape[len(shape) - k:] if where == "before" else shape[:k]
    for d in dims:
        kind = draw(st.sampled_from(["int", "slice", "none"]))
        if kind == "int":
            key.append(draw(st.integers(-d, d - 1)))
        elif kind == "none":
            key.append(None)
            key.append(slice(None))
        else:
            bound = st.one_of(st.none(), st.integers(-d - 2, d + 2))
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0)))
            key.append(slice(draw(bound), draw(bound), step))
    if where == "after":
        key.append(Ellipsis)
    elif where == "before":
        key.insert(0, Ellipsis)
    return shape, tuple(key)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape_key=_shapes_and_keys())
def test_getitem_matches_numpy(backend, shape_key):
    shape, key = shape_key
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    got = lf.tensor(a)[key]
    assert got.shape == a[key].shape
    np.testing.assert_array_equal(got.numpy(), a[key])


# -- gather / scatter ---------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather(backend, rng, axis):
    x = rng.normal(size=(3, 4, 2)).astype(np.float32)
    idx = np.array([[1, 0], [1, 1]], np.int32)
    check_forward(lambda t: lf.gather(t, lf.tensor(idx), axis),
                  lambda a: np.take(a, idx, axis=axis), [x], dtype="float32")
    check_grad(lambda t: t.gather(lf.tensor(idx), axis), [x[:2, :2]])
    check_grad(lambda t: lf.gather(t, lf.tensor(1), axis), [x[:2, :2]])


def test_gather_batch_dims(backend, rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    idx = np.array([[0, 3], [2, 2]], np.int32)
    want = np.stack([np.take(x[i], idx[i], axis=1) for i in range(2)])
    check_forward(lambda t: lf.gather(t, lf.tensor(idx), axis=2, batch_dims=1), lambda a: want,
                  [x])
    check_grad(lambda t: lf.gather(t, lf.tensor(idx), axis=2, batch_dims=1), [x[:, :2]])


def test_gather_errors(backend):
    with pytest.raises(IndexOutOfRangeError, match=r"gather: indices .* must be in \[0, 3\)"):
        lf.gather(lf.zeros([3, 2]), lf.tensor([0, 3]))
    with pytest.raises(lf.errors.DTypeError, match="gather: indices must be int32"):
        lf.gather(lf.zeros([3]), lf.tensor([0.0]))
    with pytest.raises(lf.errors.InvalidArgumentError, match="gather: axis 2"):
        lf.gather(lf.zeros([3, 2]), lf.tensor([0]), 2)
    assert lf.gather(SymbolicTensor((None, 5)), lf.tensor([[0, 1]]), 1).shape == (None, 1, 2)


def test_gather_nd_scatter_nd(backend, rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    idx = np.array([[2, 1], [0, 3], [2, 1]], np.int32)
    check_forward(lambda t: lf.gather_nd(t, lf.tensor(idx)), lambda a: a[idx[:, 0], idx[:, 1]],
                  [x], dtype="float32")
    check_forward(lambda t: lf.gather_nd(t, lf.tensor([[1]])), lambda a: a[[1]], [x])
    check_grad(lambda t: lf.gather_nd(t, lf.tensor(idx)), [x])
    upd = rng.normal(size=(3, 2)).astype(np.float32)
    rows = np.array([[1], [3], [1]], np.int32)

    def ref(u):
        out = np.zeros((5, 2), np.float64)
        np.add.at(out, rows[:, 0], u)
        return out.astype(np.float32)

    check_forward(lambda u: lf.scatter_nd(lf.tensor(rows), u, [5, 2]), ref, [upd],
                  dtype="float32")
    check_grad(lambda u: lf.scatter_nd(lf.tensor(rows), u, [5, 2]), [upd])
    with pytest.raises(IndexOutOfRangeError, match=r"scatter_nd: index \[5\]"):
        lf.scatter_nd(lf.tensor([[5]]), lf.tensor([1.0]), [5])
    with pytest.raises(lf.errors.ShapeError, match="scatter_nd: updates must have shape"):
        lf.scatter_nd(lf.tensor([[1]]), lf.tensor([1.0, 2.0]), [5])


def test_tensor_scatter_update(backend, rng):
    x = rng.normal(size=(4, 2)).astype(np.float32)
    upd = rng.normal(size=(2, 2)).astype(np.float32)
    idx = lf.tensor([[3], [0]])

    def ref(a, u):
        out = a.copy()
        out[[3, 0]] = u
        return out

    check_forward(lambda a, u: lf.tensor_scatter_update(a, idx, u), ref, [x, upd],
                  dtype="float32")
    check_grad(lambda a, u: lf.tensor_scatter_update(a, idx, u), [x, upd])


def test_boolean_mask(backend, rng):
    x = rng.normal(size=(2, 3, 2)).astype(np.float32)
    mask = np.array([[True, False, True], [False, False, True]])
    check_forward(lambda t: lf.boolean_mask(t, lf.tensor(mask)), lambda a: a[mask], [x])
    check_forward(lambda t: lf.boolean_mask(t, lf.tensor([True, False]), axis=2),
                  lambda a: a[:, :, [True, False]], [x])
    check_grad(lambda t: lf.boolean_mask(t, lf.tensor(mask)), [x])
    with pytest.raises(lf.errors.NotSupportedError, match="boolean_mask"):
        lf.boolean_mask(SymbolicTensor((None, 3)), lf.tensor([True, False, True]), axis=1)
    with pytest.raises(lf.errors.ShapeError, match="boolean_mask: mask shape"):
        lf.boolean_mask(lf.tensor(x), lf.tensor([True, False, True]))


# -- joining ------------------------------------------------------------------------------------
def test_concat(backend, rng):
    a = rng.normal(size=(2, 3)).astype(np.float32)
    b = rng.normal(size=(2, 1)).astype(np.float32)
    check_forward(lambda u, v: lf.concat([u, v], 1), lambda u, v: np.concatenate([u, v], 1),
                  [a, b], dtype="float32")
    check_forward(lambda u, v: u.concat([v, v], -1), lambda u, v: np.concatenate([u, v, v], 1),
                  [a, b])
    check_forward(lambda u: lf.concat2d([u, u], 0), lambda u: np.concatenate([u, u]), [a])
    assert lf.concat1d([lf.tensor([1]), lf.tensor([2])]).array_sync() == [1, 2]
    check_grad(lambda u, v: lf.concat([u, v, u], axis=1), [a, b])
    with pytest.raises(lf.errors.ShapeError,
                       match=r"concat: tensors\[0\] has shape \(2, 3\) and tensors\[1\] has "
                             r"shape \(2, 1\)"):
        lf.concat([lf.tensor(a), lf.tensor(b)], 0)
    with pytest.raises(lf.errors.DTypeError, match="concat"):
        lf.concat([lf.tensor([1]), lf.tensor([1.0])])
    assert lf.concat([SymbolicTensor((None, 3)), SymbolicTensor((None, 2))], 1).shape == \
        (None, 5)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_stack_unstack(backend, rng, axis):
    a, b = rng.normal(size=(2, 2, 3)).astype(np.float32)
    check_forward(lambda u, v: lf.stack([u, v], axis), lambda u, v: np.stack([u, v], axis),
                  [a, b], dtype="float32")
    check_grad(lambda u, v: lf.stack([u, v], axis), [a, b])
    check_forward(lambda u: lf.unstack(u, axis),
                  lambda u: [np.take(u, i, axis) for i in range(u.shape[axis])], [a])
    check_grad(lambda u: u.unstack(axis), [a])
    with pytest.raises(lf.errors.ShapeError, match=r"stack: all tensors must have the same"):
        lf.stack([lf.tensor(a), lf.tensor(a[:1])])


def test_split(backend, rng):
    x = rng.normal(size=(2, 6)).astype(np.float32)
    check_forward(lambda t: lf.split(t, 3, 1), lambda a: np.split(a, 3, 1), [x])
    check_forward(lambda t: t.split([1, -1, 2], axis=1), lambda a: np.split(a, [1, 4], 1), [x])
    check_grad(lambda t: lf.split(t, [2, 4], 1), [x])
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"split: sizes \[2, 3\] must sum"):
        lf.split(lf.tensor(x), [2, 3], 1)
    with pytest.raises(lf.errors.InvalidArgumentError, match="evenly divide"):
        lf.split(lf.tensor(x), 4, 1)


def test_tile_reverse(backend, rng):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    check_forward(lambda t: lf.tile(t, [2, 3]), lambda a: np.tile(a, (2, 3)), [x],
                  dtype="float32")
    check_forward(lambda t: t.tile([1, 2]), lambda a: np.tile(a, (1, 2)), [x.astype(np.int32)],
                  dtype="int32")
    check_grad(lambda t: lf.tile(t, [2, 2]), [x])
    check_forward(lf.reverse, lambda a: a[::-1, ::-1], [x])
    check_forward(lambda t: t.reverse(-1), lambda a: a[:, ::-1], [x])
    check_grad(lambda t: lf.reverse(t, [0]), [x])
    with pytest.raises(lf.errors.InvalidArgumentError, match="tile: reps"):
        lf.tile(lf.tensor(x), [2])
    with pytest.raises(lf.errors.InvalidArgumentError, match="reverse: axis 2"):
        lf.reverse(lf.tensor(x), 2)


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(backend, indexing):
    x = np.array([1.0, 2.0, 3.0], np.float32)
    y = np.array([4.0, 5.0], np.float32)
    check_forward(lambda u, v: lf.meshgrid(u, v, indexing=indexing),
                  lambda u, v: np.meshgrid(u, v, indexing=indexing), [x, y], dtype="float32")
    check_grad(lambda u, v: lf.meshgrid(u, v, indexing=indexing), [x, y])


def test_symbolic_slicing():
    s = SymbolicTensor((None, 4, 3))
    assert s[:, 1:3].shape == (None, 2, 3)
    assert s[..., 0].shape == (None, 4)
    assert s[:, None, ::-1].shape == (None, 1, 4, 3)
    assert lf.slice(s, [0, 1], [-1, 2]).shape == (None, 2, 3)
    assert lf.strided_slice(s, [0, 0], [0, 2], begin_mask=1, end_mask=1).shape == (None, 2, 3)
    assert [t.shape for t in lf.split(s, [1, 3], 1)] == [(None, 1, 3), (None, 3, 3)]
    assert [t.shape for t in lf.unstack(s, 2)] == [(None, 4)] * 3
    assert lf.tile(s, [2, 1, 2]).shape == (None, 4, 6)
    assert lf.reverse(s, 1).shape == (None, 4, 3)
    assert lf.stack([s, s], 1).shape == (None, 2, 4, 3)
    assert lf.gather_nd(s, lf.tensor([[0, 1]])).shape == (1, 3)


def test_rank_aliases(backend):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(lf.slice2d(lf.tensor(x), [0, 1], [1, 2]).numpy(), x[:1, 1:])
    np.testing.assert_array_equal(lf.reverse2d(lf.tensor(x), 1).numpy(), x[:, ::-1])
    np.testing.assert_array_equal(lf.slice1d(lf.tensor([1, 2, 3]), 1, 2).numpy(), [2, 3])
    with pytest.raises(lf.errors.ShapeError, match="slice1d: expected a rank-1 tensor"):
        lf.slice1d(lf.tensor(x), 0, 1)


@pytest.mark.parametrize("fn", [
    lambda t: lf.gather(t, lf.tensor([2, 0, 2])) * t,
    lambda t: lf.concat([t, t[::-1]]) * lf.tile(t, [2]),
    lambda t: lf.concat(lf.split(t, [1, 2])[::-1] + [t[:1]]) * lf.concat([t, t[:1]]),
    lambda t: lf.stack(lf.unstack(t)[::-1]) * lf.mirror_pad(t, [[1, 1]])[1:4],
])
def test_second_order(backend, fn):
    check_second_order(fn, [0.5, -1.5, 2.0])


def test_compiled_slicing(backend):
    if backend != "jax":
        pytest.skip("lf.compile needs jax")
    x = lf.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])

    def f(x, i):
        loss = lf.sum(lf.square(lf.gather(x[:, ::-1], i, 1)))
        return [x[1, ::2], lf.gather(x, i, 1), x[:, i], lf.grad(
            lambda u: lf.sum(lf.square(lf.gather(u[:, ::-1], i, 1))))(x), loss]

    eager = f(x, lf.tensor([1, 0]))
    compiled = lf.compile(f)(x, lf.tensor([1, 0]))
    for a, b in zip(eager, compiled):
        np.testing.assert_allclose(a.numpy(), b.numpy())


def test_index_argument_kinds(backend):
    x = lf.tensor([[1, 2], [3, 4], [5, 6]])
    assert lf.gather(x, 1).array_sync() == [3, 4]
    assert [t.shape for t in lf.split(x, np.int64(3))] == [(1, 2)] * 3
    with pytest.raises(lf.errors.DTypeError, match="gather: indices must be integers"):
        lf.gather(x, [0.5])
