"""Pooling ops against naive NumPy loops (and jax.lax.reduce_window in float64), gradients
against finite differences, TF.js's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerflow as lf
from layerflow.engine.symbolic import SymbolicTensor
from tests._support.opcheck import check_forward, check_grad


def tf_pads(spatial, window, strides, dilations, pad):
    if pad == "valid":
        return [(0, 0)] * len(spatial)
    if pad == "same":
        result = []
        for n, k, s, d in zip(spatial, window, strides, dilations):
            total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
            result.append((total // 2, total - total // 2))
        return result
    return list(pad)


def naive_pool(x, kind, window, strides, pad, dilations=None, zero_pad=False):
    """x (N, *S, C): loops over output positions, skipping padding (or counting zeros)."""
    x = x.astype(np.float64)
    n = x.ndim - 2
    dilations = dilations or (1,) * n
    pads = tf_pads(x.shape[1:n + 1], window, strides, dilations, pad)
    padded = [x.shape[1 + i] + sum(pads[i]) for i in range(n)]
    outs = [(padded[i] - (window[i] - 1) * dilations[i] - 1) // strides[i] + 1
            for i in range(n)]
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for o in np.ndindex(*outs):
        values = []
        for kk in np.ndindex(*window):
            pos = [o[i] * strides[i] + kk[i] * dilations[i] - pads[i][0] for i in range(n)]
            if all(0 <= p < x.shape[1 + i] for i, p in enumerate(pos)):
                values.append(x[(slice(None),) + tuple(pos)])
            elif zero_pad:
                values.append(np.zeros((x.shape[0], x.shape[-1])))
        stack = np.stack(values)
        y[(slice(None),) + o] = stack.max(0) if kind == "max" else stack.mean(0)
    return y


def f32(fn):
    return lambda *a, **k: fn(*a, **k).astype(np.float32)


CASES_2D = [((2, 5, 6, 3), 2, 2, "valid"), ((2, 5, 6, 3), 3, 2, "same"),
            ((1, 5, 5, 2), (2, 3), (1, 2), "same"), ((1, 6, 5, 1), 3, 1, "valid"),
            ((1, 4, 4, 1), 2, 2, [[0, 0], [1, 1], [0, 1], [0, 0]])]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape,size,strides,pad", CASES_2D)
def test_pool2d_forward(backend, rng, kind, shape, size, strides, pad):
    x = rng.normal(size=shape).astype(np.float32)
    window = (size,) * 2 if isinstance(size, int) else size
    st = (strides,) * 2 if isinstance(strides, int) else strides
    pad_ref = pad[1:3] if isinstance(pad, list) else pad
    op = lf.max_pool if kind == "max" else lf.avg_pool
    check_forward(lambda a: op(a, size, strides, pad),
                  f32(lambda a: naive_pool(a, kind, window, st, pad_ref)), [x], dtype="float32")


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_nchw_unbatched_1d_3d(backend, rng, kind):
    x = rng.normal(size=(2, 3, 5, 4)).astype(np.float32)
    op = lf.max_pool if kind == "max" else lf.avg_pool
    want = naive_pool(x.transpose(0, 2, 3, 1), kind, (2, 2), (2, 2), "same")
    got = op(lf.tensor(x), 2, 2, "same", data_format="NCHW")
    np.testing.assert_allclose(got.numpy(), want.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-6)
    got = op(lf.tensor(x[0]), 3, 1, "same")
    np.testing.assert_allclose(got.numpy(), naive_pool(x[:1], kind, (3, 3), (1, 1), "same")[0],
                               rtol=1e-5, atol=1e-6)
    op1 = lf.max_pool1d if kind == "max" else lf.avg_pool1d
    x1 = rng.normal(size=(2, 7, 3)).astype(np.float32)
    check_forward(lambda a: op1(a, 3, 2, "same"),
                  f32(lambda a: naive_pool(a, kind, (3,), (2,), "same")), [x1], dtype="float32")
    op3 = lf.max_pool3d if kind == "max" else lf.avg_pool3d
    x3 = rng.normal(size=(1, 4, 5, 3, 2)).astype(np.float32)
    check_forward(lambda a: op3(a, 2, (1, 2, 2), "same"),
                  f32(lambda a: naive_pool(a, kind, (2, 2, 2), (1, 2, 2), "same")), [x3],
                  dtype="float32")
    got = op3(lf.tensor(x3.transpose(0, 4, 1, 2, 3)), 2, 1, "valid", data_format="NCDHW")
    np.testing.assert_allclose(got.numpy().transpose(0, 2, 3, 4, 1),
                               naive_pool(x3, kind, (2,) * 3, (1,) * 3, "valid"), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("pad", ["valid", "same"])
def test_pool_with_dilations(backend, rng, kind, pad):
    x = rng.normal(size=(1, 7, 6, 2)).astype(np.float32)
    # NOTE: TF.js pads 'same' with zeros that are pooled (space_to_batch)
    pad_ref = [(2, 2), (1, 2)] if pad == "same" else "valid"
    want = naive_pool(x, kind, (3, 2), (1, 1), pad_ref, (2, 3), zero_pad=True)
    got = lf.pool(lf.tensor(x), (3, 2), kind, pad, (2, 3), 1)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    got = lf.pool(lf.tensor(x), (3, 2), kind, "same", 1, 2)
    want = naive_pool(x, kind, (3, 2), (2, 2), "same")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def test_numpy_kernels_match_reduce_window(rng):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = rng.normal(size=(2, 9, 8, 3))
    pads = tf_pads((9, 8), (3, 2), (2, 3), (1, 1), "same")
    full = [(0, 0)] + pads + [(0, 0)]
    want_max = jax.lax.reduce_window(x, -np.inf, jax.lax.max, (1, 3, 2, 1), (1, 2, 3, 1), full)
    want_sum = jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 3, 2, 1), (1, 2, 3, 1), full)
    want_cnt = jax.lax.reduce_window(np.ones_like(x), 0.0, jax.lax.add, (1, 3, 2, 1),
                                     (1, 2, 3, 1), full)
    previous = lf.get_backend()
    lf.set_backend("numpy")
    try:
        t = lf.tensor(x, dtype="float64")
        got_max = lf.max_pool(t, (3, 2), (2, 3), "same").numpy()
        got_avg = lf.avg_pool(t, (3, 2), (2, 3), "same").numpy()
    finally:
        lf.set_backend(previous)
    np.testing.assert_allclose(got_max, np.asarray(want_max), rtol=1e-12)
    np.testing.assert_allclose(got_avg, np.asarray(want_sum / want_cnt), rtol=1e-12)


def test_max_pool_with_argmax(backend, rng):
    x = rng.normal(size=(2, 5, 4, 3)).astype(np.float32)
    result, indexes = lf.max_pool_with_argmax(lf.tensor(x), 2, 2, "same")
    np.testing.assert_allclose(result.numpy(), naive_pool(x, "max", (2, 2), (2, 2), "same"))
    assert indexes.dtype == "int32"
    flat = x.reshape(2, -1)
    for b in range(2):
        np.testing.assert_array_equal(flat[b][indexes.numpy()[b]], result.numpy()[b])
    _, with_batch = lf.max_pool_with_argmax(lf.tensor(x), 2, 2, "same", True)
    np.testing.assert_array_equal(with_batch.numpy()[1], indexes.numpy()[1] + 5 * 4 * 3)
    np.testing.assert_array_equal(x.reshape(-1)[with_batch.numpy()], result.numpy())


def test_dtypes(backend):
    x = lf.tensor([[1, 5], [2, 3]], dtype="int32").reshape([1, 2, 2, 1])
    m = lf.max_pool(x, 2, 1, "valid")
    assert m.dtype == "int32" and m.item() == 5
    a = lf.avg_pool(x, 2, 1, "valid")  # TF.js's avgPool casts back to the input dtype
    assert a.dtype == "int32" and a.item() == 2
    assert lf.avg_pool(lf.ones([1, 2, 2, 1], "float64"), 2, 1, "same").dtype == "float64"


def test_chained_and_symbolic(backend):
    x = lf.tensor(np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1))
    assert x.max_pool(2, 2, "valid").reshape([-1]).array_sync() == [5.0, 7.0, 13.0, 15.0]
    assert x.avg_pool(2, 2, "valid").reshape([-1]).array_sync() == [2.5, 4.5, 10.5, 12.5]
    assert x.pool([2, 2], "max", "valid", 1, 2).shape == (1, 2, 2, 1)
    s = SymbolicTensor((None, 7, None, 3))
    assert lf.max_pool(s, 2, 2, "same").shape == (None, 4, None, 3)
    assert lf.avg_pool(s, 3, 1, "valid").shape == (None, 5, None, 3)
    assert lf.max_pool3d(SymbolicTensor((None, 4, 4, 4, 2)), 2, 2, "valid").shape == \
        (None, 2, 2, 2, 2)


# -- gradients --------------------------------------------------------------------------------
def distinct(shape, seed=0):
    """Distinct values, well separated (max pool is smooth away from ties)."""
    n = math.prod(shape)
    return np.random.default_rng(seed).permutation(n).reshape(shape) / n * 4 - 2


@pytest.mark.parametrize("size,strides,pad", [(2, 2, "valid"), (3, 2, "same"), (2, 1, "same")])
def test_max_and_avg_pool_grad(backend, size, strides, pad):
    x = distinct((1, 4, 5, 1))
    check_grad(lambda a: lf.max_pool(a, size, strides, pad), [x])
    check_grad(lambda a: lf.avg_pool(a, size, strides, pad), [x])


def test_pool_1d_3d_dilated_grad(backend):
    x = distinct((2, 5, 2))
    check_grad(lambda a: lf.max_pool1d(a, 2, 2, "same"), [x])
    check_grad(lambda a: lf.avg_pool1d(a, 3, 1, "same"), [x])
    x = distinct((1, 3, 3, 2, 1))
    check_grad(lambda a: lf.max_pool3d(a, 2, 1, "same"), [x])
    check_grad(lambda a: lf.avg_pool3d(a, 2, (2, 1, 1), "valid"), [x])
    x = distinct((1, 5, 4, 1))
    for kind in ("max", "avg"):
        check_grad(lambda a, kind=kind: lf.pool(a, (2, 2), kind, "same", 2), [x])
    check_grad(lambda a: lf.max_pool(a, 2, 2, "same", data_format="NCHW"),
               [distinct((1, 2, 3, 3))])


def test_max_pool_grad_ties_go_to_first(backend):
    x = lf.tensor([[1.0, 1.0], [0.0, 1.0]], dtype="float64").reshape([1, 2, 2, 1])
    g = lf.grad(lambda t: lf.sum(lf.max_pool(t, 2, 2, "valid")))(x)
    assert g.reshape([-1]).array_sync() == [1.0, 0.0, 0.0, 0.0]


def test_pool_second_order(backend):
    def grad_max(a, dy):  # d(max_pool)/dx . dy, differentiated in dy (and constant in x)
        return lf.grads(lambda u: lf.sum(lf.mul(lf.max_pool(u, 2, 1, "same"), dy)))([a])[0]

    x = distinct((1, 3, 3, 1))
    check_grad(grad_max, [x, np.random.default_rng(1).normal(size=(1, 3, 3, 1))])

    def grad_avg(a):
        return lf.grad(lambda u: lf.sum(lf.square(lf.avg_pool(u, 2, 1, "same"))))(a)

    check_grad(grad_avg, [distinct((1, 3, 3, 1))])

    def grad_grad_max(a, g):  # max_pool_select, differentiated again
        inner = lf.grad(lambda u: lf.sum(lf.square(lf.max_pool(u, 2, 2, "valid"))))
        return lf.mul(inner(a), g)

    check_grad(grad_grad_max, [distinct((1, 4, 4, 1)),
                               np.random.default_rng(2).normal(size=(1, 4, 4, 1))])


# -- errors -----------------------------------------------------------------------------------
def test_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"max_pool: x must be of rank 3 or 4, got "
                                                   r"rank 2 \(shape \(4, 4\)\)"):
        lf.max_pool(lf.zeros([4, 4]), 2, 2, "valid")
    with pytest.raises(lf.errors.ShapeError, match=r"avg_pool3d: x must be of rank 4 or 5"):
        lf.avg_pool3d(lf.zeros([1, 4, 4]), 2, 2, "valid")
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match="pool: either strides or dilations must be 1"):
        lf.pool(lf.zeros([1, 8, 8, 1]), 2, "max", "same", 2, 2)
    with pytest.raises(lf.errors.InvalidArgumentError, match="pool: pooling_type"):
        lf.pool(lf.zeros([1, 8, 8, 1]), 2, "min", "same")
    with pytest.raises(lf.errors.ShapeError, match="max_pool: the filter .* larger"):
        lf.max_pool(lf.zeros([1, 2, 2, 1]), 3, 1, "valid")
    with pytest.raises(lf.errors.InvalidArgumentError, match="avg_pool: filter_size"):
        lf.avg_pool(lf.zeros([1, 4, 4, 1]), [2, 2, 2], 1, "valid")
    with pytest.raises(lf.errors.DTypeError, match="max_pool: x must be a real numeric"):
        lf.max_pool(lf.tensor([[[[True]]]]), 1, 1, "valid")
    with pytest.raises(lf.errors.ShapeError, match="max_pool_with_argmax: x must be of rank 4"):
        lf.max_pool_with_argmax(lf.zeros([4, 4, 1]), 2, 2, "valid")
