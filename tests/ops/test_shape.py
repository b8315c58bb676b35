"""Shape transformations against NumPy, their gradients, symbolic shapes and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.engine.symbolic import SymbolicTensor
from tests._support.opcheck import check_forward, check_grad


def test_reshape_and_broadcast_to(backend, rng):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    check_forward(lambda t: lf.reshape(t, [3, -1]), lambda a: a.reshape(3, -1), [x])
    check_forward(lambda t: lf.broadcast_to(t, [4, 2, 3]), lambda a: np.broadcast_to(a, (4, 2, 3)),
                  [x])
    check_grad(lambda t: lf.broadcast_to(t, [2, 2, 3]), [x])


def test_squeeze_expand_dims(backend, rng):
    x = rng.normal(size=(1, 3, 1)).astype(np.float32)
    check_forward(lf.squeeze, np.squeeze, [x], dtype="float32")
    check_forward(lambda t: lf.squeeze(t, axis=[-1]), lambda a: np.squeeze(a, -1), [x])
    check_forward(lambda t: lf.expand_dims(t, -1), lambda a: np.expand_dims(a, -1), [x])
    check_forward(lambda t: t.expand_dims(1), lambda a: np.expand_dims(a, 1), [x])
    check_grad(lambda t: lf.squeeze(lf.expand_dims(t, 2)), [x])
    with pytest.raises(lf.errors.ShapeError, match=r"squeeze: cannot squeeze axis 1 of size 3"):
        lf.squeeze(lf.tensor(x), axis=1)
    with pytest.raises(lf.errors.InvalidArgumentError, match="expand_dims: axis 4"):
        lf.expand_dims(lf.tensor(x), 4)


@pytest.mark.parametrize("perm", [None, [1, 0, 2], [2, 0, 1], [-1, 0, 1]])
def test_transpose(backend, rng, perm):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    check_forward(lambda t: lf.transpose(t, perm), lambda a: np.transpose(a, perm), [x],
                  dtype="float32")
    check_grad(lambda t: lf.transpose(t, perm), [x[:, :2, :2]])


def test_transpose_props_and_errors(backend):
    t = lf.tensor([[1, 2, 3]])
    assert t.T.array_sync() == [[1], [2], [3]]
    assert t.transpose().shape == (3, 1)
    assert t.flatten().array_sync() == [1, 2, 3]
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"transpose: perm \[0, 0\]"):
        lf.transpose(t, [0, 0])


@pytest.mark.parametrize("paddings", [[[1, 2], [0, 1]], [[0, 0], [2, 0]]])
def test_pad(backend, rng, paddings):
    x = rng.normal(size=(2, 3)).astype(np.float32)
    check_forward(lambda t: lf.pad(t, paddings, 1.5),
                  lambda a: np.pad(a, paddings, constant_values=1.5), [x], dtype="float32")
    check_forward(lambda t: t.pad(paddings), lambda a: np.pad(a, paddings),
                  [x.astype(np.int32)], dtype="int32")
    check_grad(lambda t: lf.pad(t, paddings), [x])


def test_pad_errors(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match=r"pad: paddings must have one \[before, after\] pair per dimension "
                             r"\(2\), got 1 pairs"):
        lf.pad(lf.zeros([2, 3]), [[1, 1]])
    with pytest.raises(lf.errors.InvalidArgumentError, match="non-negative"):
        lf.pad(lf.zeros([2]), [[-1, 1]])


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
@pytest.mark.parametrize("paddings", [[[1, 2], [2, 1]], [[0, 0], [2, 2]], [[2, 0], [0, 0]]])
def test_mirror_pad(backend, rng, mode, paddings):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    check_forward(lambda t: lf.mirror_pad(t, paddings, mode),
                  lambda a: np.pad(a, paddings, mode=mode), [x], dtype="float32")
    check_grad(lambda t: t.mirror_pad(paddings, mode), [x])


def test_mirror_pad_errors(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match="mirror_pad: paddings"):
        lf.mirror_pad(lf.zeros([3]), [[3, 0]], "reflect")
    lf.mirror_pad(lf.zeros([3]), [[3, 0]], "symmetric")
    with pytest.raises(lf.errors.InvalidArgumentError, match="mode"):
        lf.mirror_pad(lf.zeros([3]), [[1, 0]], "edge")


def test_broadcast_args(backend):
    out = lf.broadcast_args(lf.tensor([2, 1, 3]), lf.tensor([4, 1]))
    assert out.dtype == "int32" and out.array_sync() == [2, 4, 3]
    with pytest.raises(lf.errors.ShapeError, match="broadcast_args"):
        lf.broadcast_args(lf.tensor([2]), lf.tensor([3]))


def _np_space_to_batch(x, block, pads):
    """Reference from TF's documented definition (loops)."""
    m = len(block)
    padded = np.pad(x, [[0, 0]] + list(pads) + [[0, 0]] * (x.ndim - 1 - m))
    b = x.shape[0]
    prod = int(np.prod(block))
    out_sp = [padded.shape[i + 1] // block[i] for i in range(m)]
    out = np.zeros((b * prod, *out_sp, *x.shape[m + 1:]), x.dtype)
    for ob in range(b * prod):
        n, off = ob % b, ob // b
        offs = np.unravel_index(off, block)
        for pos in np.ndindex(*out_sp):
            src = tuple(p * blk + o for p, blk, o in zip(pos, block, offs))
            out[(ob, *pos)] = padded[(n, *src)]
    return out


def test_space_to_batch_and_back(backend, rng):
    x = rng.normal(size=(2, 4, 3, 2)).astype(np.float32)
    block, pads = [2, 3], [[0, 0], [1, 2]]
    y = check_forward(lambda t: lf.space_to_batch_nd(t, block, pads),
                      lambda a: _np_space_to_batch(a, block, pads), [x], dtype="float32")
    back = lf.batch_to_space_nd(y, block, pads)
    np.testing.assert_array_equal(back.numpy(), x)
    check_grad(lambda t: lf.space_to_batch_nd(t, [2], [[1, 1]]), [x[:1, :2, :2, :1]])
    check_grad(lambda t: t.batch_to_space_nd([2], [[0, 1]]), [x[:2, :2, :2, :1]])
    with pytest.raises(lf.errors.ShapeError, match="divisible"):
        lf.space_to_batch_nd(lf.zeros([1, 3, 1]), [2], [[0, 0]])
    with pytest.raises(lf.errors.ShapeError, match="divisible"):
        lf.batch_to_space_nd(lf.zeros([3, 1, 1]), [2], [[0, 0]])


def _np_depth_to_space(x, bs):
    b, h, w, c = x.shape
    out = np.zeros((b, h * bs, w * bs, c // (bs * bs)), x.dtype)
    for n, i, j, k in np.ndindex(*out.shape):
        out[n, i, j, k] = x[n, i // bs, j // bs, ((i % bs) * bs + j % bs) * (c // bs // bs) + k]
    return out


def test_depth_to_space(backend, rng):
    x = rng.normal(size=(1, 2, 3, 8)).astype(np.float32)
    check_forward(lambda t: lf.depth_to_space(t, 2), lambda a: _np_depth_to_space(a, 2), [x],
                  dtype="float32")
    nchw = np.transpose(x, (0, 3, 1, 2))
    check_forward(lambda t: t.depth_to_space(2, "NCHW"),
                  lambda a: np.transpose(_np_depth_to_space(x, 2), (0, 3, 1, 2)), [nchw])
    check_grad(lambda t: lf.depth_to_space(t, 2), [x[:, :1, :2, :4]])
    with pytest.raises(lf.errors.ShapeError, match="depth_to_space: channels 8"):
        lf.depth_to_space(lf.zeros([1, 1, 1, 8]), 3)


def test_ensure_shape_and_setdiff(backend):
    assert lf.ensure_shape(lf.zeros([2, 3]), [None, 3]).shape == (2, 3)
    with pytest.raises(lf.errors.ShapeError, match=r"ensure_shape: shape \(2, 3\)"):
        lf.ensure_shape(lf.zeros([2, 3]), [2, 4])
    values, idx = lf.setdiff1d(lf.tensor([7, 1, 5, 1, 9]), lf.tensor([1, 9]))
    assert values.array_sync() == [7, 5] and idx.array_sync() == [0, 2]
    assert idx.dtype == "int32"
    with pytest.raises(lf.errors.NotSupportedError):
        lf.setdiff1d(SymbolicTensor((None,), "int32"), lf.tensor([1]))


def test_symbolic_shapes():
    s = SymbolicTensor((None, 1, 4), "float32")
    assert lf.squeeze(s).shape == (None, 4)
    assert lf.expand_dims(s, 1).shape == (None, 1, 1, 4)
    assert lf.transpose(s).shape == (4, 1, None)
    assert lf.pad(s, [[0, 0], [1, 1], [2, 2]]).shape == (None, 3, 8)
    assert lf.mirror_pad(s, [[0, 0], [0, 0], [1, 1]]).shape == (None, 1, 6)
    img = SymbolicTensor((None, 2, 2, 8))
    assert lf.depth_to_space(img, 2).shape == (None, 4, 4, 2)
    assert lf.space_to_batch_nd(img, [2, 2], [[0, 0], [0, 0]]).shape == (None, 1, 1, 8)
    assert lf.batch_to_space_nd(img, [1, 2], [[0, 0], [0, 1]]).shape == (None, 2, 3, 8)
    assert lf.ensure_shape(s, [3, 1, 4]).shape == (3, 1, 4)
