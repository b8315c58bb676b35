"""Normalization ops against NumPy/SciPy; gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad, check_second_order

F32 = np.float32


def _bn_ref(x, mean, var, offset=None, scale=None, eps=0.001):
    out = (x.astype(np.float64) - mean) / np.sqrt(var.astype(np.float64) + eps)
    if scale is not None:
        out = out * scale
    if offset is not None:
        out = out + offset
    return out.astype(F32)


@pytest.mark.parametrize("pshape", [(4,), (1, 1, 4), (2, 3, 4), ()])
def test_batch_norm_forward(backend, rng, pshape):
    x = rng.normal(size=(2, 3, 4)).astype(F32)
    mean = rng.normal(size=pshape).astype(F32)
    var = rng.uniform(0.5, 2.0, pshape).astype(F32)
    offset = rng.normal(size=pshape).astype(F32)
    scale = rng.uniform(0.5, 2.0, pshape).astype(F32)
    check_forward(lf.batch_norm, _bn_ref, [x, mean, var, offset, scale], dtype="float32")
    check_forward(lambda a, b, c: lf.batch_norm(a, b, c, variance_epsilon=0.1),
                  lambda a, b, c: _bn_ref(a, b, c, eps=0.1), [x, mean, var], dtype="float32")


def test_batch_norm_ranked_and_chained(backend):
    x = lf.tensor([[1.0, 2.0], [3.0, 4.0]])
    got = lf.batch_norm2d(x, [1.0, 2.0], [1.0, 1.0], variance_epsilon=0.0)
    assert got.array_sync() == [[0.0, 0.0], [2.0, 2.0]]
    assert x.batch_norm([0.0, 0.0], [4.0, 4.0], None, [2.0, 2.0], 0.0).array_sync() == \
        [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(lf.errors.ShapeError, match=r"batch_norm4d: x must have rank 4"):
        lf.batch_norm4d(x, [0.0], [1.0])
    assert lf.batch_norm3d(lf.ones([1, 1, 2]), [0.0], [1.0], variance_epsilon=0.0).shape == \
        (1, 1, 2)


def test_batch_norm_grads(backend, rng):
    x = rng.normal(size=(3, 4))
    mean, var = rng.normal(size=(4,)), rng.uniform(0.5, 2.0, (4,))
    offset, scale = rng.normal(size=(4,)), rng.uniform(0.5, 2.0, (4,))
    check_grad(lf.batch_norm, [x, mean, var, offset, scale])
    check_grad(lambda a, b, c: lf.batch_norm(a, b, c), [x, mean[None], var[None]])


def test_batch_norm_errors(backend):
    with pytest.raises(lf.errors.ShapeError,
                       match=r"batch_norm: mean of shape \(3,\) does not broadcast to x's shape "
                             r"\(2, 4\)"):
        lf.batch_norm(lf.ones([2, 4]), lf.ones([3]), lf.ones([4]))
    with pytest.raises(lf.errors.ShapeError, match=r"batch_norm: scale of shape \(3, 2, 4\)"):
        lf.batch_norm(lf.ones([2, 4]), lf.ones([4]), lf.ones([4]), None, lf.ones([3, 2, 4]))


@pytest.mark.parametrize("axes,keepdims", [(None, False), (0, False), ([0, 2], True), (-1, True)])
def test_moments(backend, rng, axes, keepdims):
    x = rng.normal(size=(2, 3, 4)).astype(F32)
    np_axes = tuple(axes) if isinstance(axes, list) else axes

    def ref(v):
        v = v.astype(np.float64)
        return (np.mean(v, axis=np_axes, keepdims=keepdims).astype(F32),
                np.var(v, axis=np_axes, keepdims=keepdims).astype(F32))

    got = check_forward(lambda t: lf.moments(t, axes, keepdims), ref, [x], dtype="float32")
    assert isinstance(got, lf.Moments) and got.mean is got[0] and got.variance is got[1]
    check_grad(lambda t: lf.moments(t, axes, keepdims), [x[:, :2, :3].astype(np.float64)])
    assert lf.moments(lf.tensor([1, 3]), keep_dims=True).mean.shape == (1,)
    assert lf.moments(lf.ones([2, 3]), axis=1).variance.shape == (2,)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(backend, rng, axis):
    x = (rng.normal(size=(3, 4)) * 3).astype(F32)
    check_forward(lambda t: lf.softmax(t, axis),
                  lambda v: scipy.special.softmax(v.astype(np.float64), axis).astype(F32), [x],
                  dtype="float32")
    check_forward(lambda t: lf.log_softmax(t, axis),
                  lambda v: scipy.special.log_softmax(v.astype(np.float64), axis).astype(F32),
                  [x], dtype="float32")
    check_grad(lambda t: lf.softmax(t, axis), [x.astype(np.float64)])
    check_grad(lambda t: lf.log_softmax(t, axis), [x.astype(np.float64)])


def test_softmax_stable_and_chained(backend):
    big = lf.tensor([1000.0, 1000.0, -1000.0])
    np.testing.assert_allclose(big.softmax().numpy(), [0.5, 0.5, 0.0], atol=1e-7)
    half = -np.log(2)
    np.testing.assert_allclose(big.log_softmax().numpy(), [half, half, -2000.0 + half],
                               rtol=1e-6)
    assert lf.softmax(lf.tensor([1, 2])).dtype == "float32"
    check_second_order(lambda t: lf.softmax(t) * lf.tensor([1.0, 2.0, 3.0]), [0.1, -0.4, 0.8])
    check_second_order(lambda t: lf.log_softmax(t) * lf.tensor([1.0, 2.0, 3.0]),
                       [0.1, -0.4, 0.8])


def test_softmax_errors(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match="softmax: axis 2 is out of range for rank 2"):
        lf.softmax(lf.ones([2, 2]), 2)
    with pytest.raises(lf.errors.ShapeError, match="log_softmax: logits must have rank >= 1"):
        lf.log_softmax(lf.tensor(1.0))


def _lrn_ref(x, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5):
    x = x.astype(np.float64)
    sq = x ** 2
    depth = x.shape[-1]
    s = np.stack([sq[..., max(0, d - depth_radius):d + depth_radius + 1].sum(-1)
                  for d in range(depth)], axis=-1)
    return (x / (bias + alpha * s) ** beta).astype(F32)


@pytest.mark.parametrize("params", [{}, dict(depth_radius=1, bias=2.0, alpha=0.5, beta=0.75),
                                    dict(depth_radius=0, bias=1.0, alpha=2.0, beta=1.0),
                                    dict(depth_radius=9)])
def test_local_response_normalization(backend, rng, params):
    x = rng.normal(size=(2, 3, 2, 5)).astype(F32)
    check_forward(lambda t: lf.local_response_normalization(t, **params),
                  lambda v: _lrn_ref(v, **params), [x], dtype="float32")
    check_forward(lambda t: t.local_response_normalization(**params),
                  lambda v: _lrn_ref(v, **params), [x[0]], dtype="float32")
    check_grad(lambda t: lf.local_response_normalization(t, **params),
               [x[:1, :1, :2].astype(np.float64)])


def test_lrn_errors(backend):
    with pytest.raises(lf.errors.ShapeError,
                       match=r"local_response_normalization: x must have rank 4 \(or 3\), got "
                             r"shape \(2, 2\)"):
        lf.local_response_normalization(lf.ones([2, 2]))
    with pytest.raises(lf.errors.InvalidArgumentError, match="depth_radius must be a non-neg"):
        lf.local_response_normalization(lf.ones([1, 1, 1, 2]), 1.5)


def test_symbolic_shapes(backend):
    x = lf.SymbolicTensor((None, 3, 4))
    assert lf.softmax(x).shape == (None, 3, 4)
    assert lf.log_softmax(x, 1).shape == (None, 3, 4)
    m = lf.moments(x, [0, 1])
    assert m.mean.shape == (4,) and m.variance.shape == (4,)
    m = lf.moments(lf.SymbolicTensor((None, None, 4)), 2)
    assert m.mean.shape == (None, None) and m.variance.shape == (None, None)
    assert lf.batch_norm(x, lf.SymbolicTensor((4,)), lf.ones([4])).shape == (None, 3, 4)
    assert lf.local_response_normalization(lf.SymbolicTensor((None, 2, 2, 3))).shape == \
        (None, 2, 2, 3)
