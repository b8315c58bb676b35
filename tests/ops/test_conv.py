"""Convolution ops against naive NumPy loops (and jax.lax in float64), gradients against finite
differences, TF.js's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerflow as lf
from layerflow.engine.symbolic import SymbolicTensor
from tests._support.opcheck import check_forward, check_grad, check_second_order


# -- naive references (tiny shapes only) ----------------------------------------------------
def tf_pads(spatial, kshape, strides, dilations, pad):
    if pad == "valid":
        return [(0, 0)] * len(spatial)
    if pad == "same":
        result = []
        for n, k, s, d in zip(spatial, kshape, strides, dilations):
            total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
            result.append((total // 2, total - total // 2))
        return result
    return list(pad)


def naive_conv(x, w, strides, pad, dilations, groups=1):
    """x (N, *S, C), w (*K, C // groups, O): direct loops in float64."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    n = x.ndim - 2
    kshape = w.shape[:n]
    pads = tf_pads(x.shape[1:n + 1], kshape, strides, dilations, pad)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    cg, cout = w.shape[n], w.shape[-1]
    og = cout // groups
    outs = [(xp.shape[1 + i] - (kshape[i] - 1) * dilations[i] - 1) // strides[i] + 1
            for i in range(n)]
    y = np.zeros((x.shape[0], *outs, cout))
    for o in np.ndindex(*outs):
        for kk in np.ndindex(*kshape):
            pos = tuple(o[i] * strides[i] + kk[i] * dilations[i] for i in range(n))
            v = xp[(slice(None),) + pos]
            for g in range(groups):
                y[(slice(None),) + o + (slice(g * og, (g + 1) * og),)] += (
                    v[:, g * cg:(g + 1) * cg] @ w[kk][:, g * og:(g + 1) * og])
    return y


def naive_depthwise(x, f, strides, pad, dilations):
    """x (N, H, W, C), f (kh, kw, C, M) -> channel c * M + m."""
    chans, mult = f.shape[2], f.shape[3]
    outs = [naive_conv(x[..., c:c + 1], f[:, :, c:c + 1, :], strides, pad, dilations)
            for c in range(chans)]
    return np.concatenate(outs, axis=-1).reshape(outs[0].shape[:-1] + (chans * mult,))


def naive_conv_transpose(x, w, out_shape, strides, pad, dilations):
    """x (N, *S, Cin), w (*K, Cout, Cin): scatter each input position through the filter."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    n = x.ndim - 2
    kshape = w.shape[:n]
    pads = tf_pads(out_shape[1:n + 1], kshape, strides, dilations, pad)
    padded = [out_shape[1 + i] + pads[i][0] + pads[i][1] for i in range(n)]
    y = np.zeros((out_shape[0], *padded, out_shape[-1]))
    for o in np.ndindex(*x.shape[1:n + 1]):
        for kk in np.ndindex(*kshape):
            pos = tuple(o[i] * strides[i] + kk[i] * dilations[i] for i in range(n))
            y[(slice(None),) + pos] += x[(slice(None),) + o] @ w[kk].T
    crop = tuple(slice(p[0], p[0] + out_shape[1 + i]) for i, p in enumerate(pads))
    return y[(slice(None),) + crop]


def naive_dilation2d(x, f, strides, pad, dilations):
    x, f = x.astype(np.float64), f.astype(np.float64)
    pads = tf_pads(x.shape[1:3], f.shape[:2], strides, dilations, pad)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=-np.inf)
    outs = [(xp.shape[1 + i] - (f.shape[i] - 1) * dilations[i] - 1) // strides[i] + 1
            for i in range(2)]
    y = np.full((x.shape[0], *outs, x.shape[-1]), -np.inf)
    for o in np.ndindex(*outs):
        for kk in np.ndindex(*f.shape[:2]):
            pos = tuple(o[i] * strides[i] + kk[i] * dilations[i] for i in range(2))
            y[(slice(None),) + o] = np.maximum(y[(slice(None),) + o],
                                               xp[(slice(None),) + pos] + f[kk])
    return y


def f32(fn):
    return lambda *a, **k: fn(*a, **k).astype(np.float32)


def pair(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


# -- forward ----------------------------------------------------------------------------------
CONV2D_CASES = [
    ((2, 5, 6, 3), (3, 3, 3, 4), 1, "valid", 1),
    ((2, 5, 6, 3), (3, 3, 3, 4), 1, "same", 1),
    ((1, 7, 6, 2), (3, 2, 2, 3), 2, "same", 1),
    ((1, 7, 6, 2), (3, 2, 2, 3), (2, 3), "valid", 1),
    ((1, 7, 7, 2), (3, 3, 2, 2), 1, "same", 2),
    ((1, 8, 7, 1), (2, 3, 1, 2), 1, "valid", (2, 1)),
    ((1, 5, 5, 2), (2, 2, 2, 3), 2, [[0, 0], [1, 2], [0, 1], [0, 0]], 1),
    ((1, 4, 4, 1), (3, 3, 1, 1), 1, 1, 1),
]


@pytest.mark.parametrize("xs,ws,strides,pad,dil", CONV2D_CASES)
def test_conv2d_forward(backend, rng, xs, ws, strides, pad, dil):
    x = rng.normal(size=xs).astype(np.float32)
    w = rng.normal(size=ws).astype(np.float32)
    pad_ref = [(1, 1), (1, 1)] if pad == 1 else (pad[1:3] if isinstance(pad, list) else pad)
    ref = f32(lambda a, b: naive_conv(a, b, pair(strides, 2), pad_ref, pair(dil, 2)))
    check_forward(lambda a, b: lf.conv2d(a, b, strides, pad, dilations=dil), ref, [x, w],
                  dtype="float32", rtol=1e-4, atol=1e-5)


def test_conv2d_nchw_and_unbatched(backend, rng):
    x = rng.normal(size=(2, 3, 5, 4)).astype(np.float32)
    w = rng.normal(size=(3, 2, 3, 2)).astype(np.float32)
    want = naive_conv(x.transpose(0, 2, 3, 1), w, (2, 1), "same", (1, 1)).transpose(0, 3, 1, 2)
    got = lf.conv2d(lf.tensor(x), lf.tensor(w), (2, 1), "same", data_format="NCHW")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    xh = x[0].transpose(1, 2, 0)
    got = lf.conv2d(lf.tensor(xh), lf.tensor(w), 1, "valid")
    np.testing.assert_allclose(got.numpy(), naive_conv(xh[None], w, (1, 1), "valid", (1, 1))[0],
                               rtol=1e-4, atol=1e-5)
    assert got.rank == 3


def test_conv2d_numpy_kernel_matches_lax(rng):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = rng.normal(size=(2, 11, 9, 5))
    w = rng.normal(size=(3, 4, 5, 6))
    for strides, pad, dil in [((2, 2), "same", (1, 1)), ((1, 1), "valid", (2, 2))]:
        pads = tf_pads(x.shape[1:3], w.shape[:2], strides, dil, pad)
        want = jax.lax.conv_general_dilated(x, w, strides, pads, rhs_dilation=dil,
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))
        previous = lf.get_backend()
        lf.set_backend("numpy")
        try:
            got = lf.conv2d(lf.tensor(x, dtype="float64"), lf.tensor(w, dtype="float64"),
                            strides, pad, dilations=dil)
        finally:
            lf.set_backend(previous)
        np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride,pad,dil", [(1, "valid", 1), (2, "same", 1), (1, "same", 2)])
def test_conv1d_forward(backend, rng, stride, pad, dil):
    x = rng.normal(size=(2, 7, 3)).astype(np.float32)
    w = rng.normal(size=(3, 3, 2)).astype(np.float32)
    ref = f32(lambda a, b: naive_conv(a, b, (stride,), pad, (dil,)))
    check_forward(lambda a, b: lf.conv1d(a, b, stride, pad, dilation=dil), ref, [x, w],
                  dtype="float32", rtol=1e-4, atol=1e-5)
    got = lf.conv1d(lf.tensor(x.transpose(0, 2, 1)), lf.tensor(w), stride, pad, "NCW", dil)
    np.testing.assert_allclose(got.numpy().transpose(0, 2, 1), ref(x, w), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("strides,pad,dil", [(1, "valid", 1), (2, "same", 1), (1, "same", 2)])
def test_conv3d_forward(backend, rng, strides, pad, dil):
    x = rng.normal(size=(1, 4, 5, 4, 2)).astype(np.float32)
    w = rng.normal(size=(2, 3, 2, 2, 3)).astype(np.float32)
    ref = f32(lambda a, b: naive_conv(a, b, (strides,) * 3, pad, (dil,) * 3))
    check_forward(lambda a, b: lf.conv3d(a, b, strides, pad, dilations=dil), ref, [x, w],
                  dtype="float32", rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("strides,pad,dil,mult", [(1, "valid", 1, 1), (2, "same", 1, 2),
                                                  (1, "same", 2, 3)])
def test_depthwise_conv2d_forward(backend, rng, strides, pad, dil, mult):
    x = rng.normal(size=(2, 6, 5, 3)).astype(np.float32)
    f = rng.normal(size=(3, 2, 3, mult)).astype(np.float32)
    ref = f32(lambda a, b: naive_depthwise(a, b, (strides,) * 2, pad, (dil,) * 2))
    check_forward(lambda a, b: lf.depthwise_conv2d(a, b, strides, pad, dilations=dil), ref,
                  [x, f], dtype="float32", rtol=1e-4, atol=1e-5)
    got = lf.depthwise_conv2d(lf.tensor(x.transpose(0, 3, 1, 2)), lf.tensor(f), strides, pad,
                              "NCHW", dil)
    np.testing.assert_allclose(got.numpy().transpose(0, 2, 3, 1), ref(x, f), rtol=1e-4,
                               atol=1e-5)


def test_separable_conv2d_forward(backend, rng):
    x = rng.normal(size=(1, 5, 5, 2)).astype(np.float32)
    dw = rng.normal(size=(3, 3, 2, 2)).astype(np.float32)
    pw = rng.normal(size=(1, 1, 4, 3)).astype(np.float32)
    ref = f32(lambda a, b, c: naive_conv(naive_depthwise(a, b, (2, 2), "same", (1, 1)), c,
                                         (1, 1), "valid", (1, 1)))
    check_forward(lambda a, b, c: lf.separable_conv2d(a, b, c, 2, "same"), ref, [x, dw, pw],
                  dtype="float32", rtol=1e-4, atol=1e-5)


TRANSPOSE_CASES = [
    ((1, 3, 3, 2), (3, 3, 4, 2), (1, 5, 5, 4), 1, "valid"),
    ((1, 2, 3, 2), (3, 3, 3, 2), (1, 4, 6, 3), 2, "same"),
    ((1, 2, 3, 2), (3, 3, 3, 2), (1, 3, 5, 3), 2, "same"),
    ((2, 2, 2, 1), (2, 2, 2, 1), (2, 5, 5, 2), 2, "valid"),
]


@pytest.mark.parametrize("xs,ws,out,strides,pad", TRANSPOSE_CASES)
def test_conv2d_transpose_forward(backend, rng, xs, ws, out, strides, pad):
    x = rng.normal(size=xs).astype(np.float32)
    w = rng.normal(size=ws).astype(np.float32)
    ref = f32(lambda a, b: naive_conv_transpose(a, b, out, (strides,) * 2, pad, (1, 1)))
    check_forward(lambda a, b: lf.conv2d_transpose(a, b, out, strides, pad), ref, [x, w],
                  dtype="float32", rtol=1e-4, atol=1e-5)


def test_conv1d_and_conv3d_transpose_forward(backend, rng):
    x = rng.normal(size=(1, 3, 2)).astype(np.float32)
    w = rng.normal(size=(3, 4, 2)).astype(np.float32)
    ref = f32(lambda a, b: naive_conv_transpose(a, b, (1, 6, 4), (2,), "same", (1,)))
    check_forward(lambda a, b: lf.conv1d_transpose(a, b, [1, 6, 4], 2, "same"), ref, [x, w],
                  dtype="float32", rtol=1e-4, atol=1e-5)
    x = rng.normal(size=(1, 2, 2, 2, 1)).astype(np.float32)
    w = rng.normal(size=(2, 2, 2, 2, 1)).astype(np.float32)
    ref = f32(lambda a, b: naive_conv_transpose(a, b, (1, 4, 4, 4, 2), (2,) * 3, "valid",
                                                (1,) * 3))
    check_forward(lambda a, b: lf.conv3d_transpose(a, b, [1, 4, 4, 4, 2], 2, "valid"), ref,
                  [x, w], dtype="float32", rtol=1e-4, atol=1e-5)


def test_conv2d_transpose_is_adjoint_of_conv2d(backend, rng):
    x = rng.normal(size=(1, 6, 5, 2))
    w = rng.normal(size=(3, 3, 2, 3))
    y = lf.conv2d(lf.tensor(x), lf.tensor(w), 2, "same")
    dy = rng.normal(size=y.shape)
    dx = lf.conv2d_transpose(lf.tensor(dy), lf.tensor(w), x.shape, 2, "same")
    np.testing.assert_allclose(np.sum(y.numpy() * dy), np.sum(x * dx.numpy()), rtol=1e-4)


@pytest.mark.parametrize("strides,pad,dil", [(1, "valid", 1), (2, "same", 1), (1, "same", 2)])
def test_dilation2d_forward(backend, rng, strides, pad, dil):
    x = rng.normal(size=(2, 5, 6, 2)).astype(np.float32)
    f = rng.normal(size=(2, 3, 2)).astype(np.float32)
    ref = f32(lambda a, b: naive_dilation2d(a, b, (strides,) * 2, pad, (dil,) * 2))
    check_forward(lambda a, b: lf.dilation2d(a, b, strides, pad, dil), ref, [x, f],
                  dtype="float32")


def test_int_input_gives_float32(backend):
    y = lf.conv2d(lf.ones([1, 3, 3, 1], "int32"), lf.ones([2, 2, 1, 1]), 1, "valid")
    assert y.dtype == "float32"
    assert y.reshape([-1]).array_sync() == [4.0] * 4


def test_chained_methods(backend, rng):
    x = lf.tensor(rng.normal(size=(1, 4, 4, 2)).astype(np.float32))
    w = lf.tensor(rng.normal(size=(2, 2, 2, 3)).astype(np.float32))
    np.testing.assert_allclose(x.conv2d(w, 1, "same").numpy(),
                               lf.conv2d(x, w, 1, "same").numpy())
    assert x.depthwise_conv2d(lf.ones([2, 2, 2, 1]), 1, "valid").shape == (1, 3, 3, 2)
    assert x.separable_conv2d(lf.ones([2, 2, 2, 1]), lf.ones([1, 1, 2, 4]), 1,
                              "valid").shape == (1, 3, 3, 4)
    assert x.conv2d_transpose(lf.ones([2, 2, 5, 2]), [1, 8, 8, 5], 2, "same").shape == \
        (1, 8, 8, 5)
    assert lf.ones([1, 5, 2]).conv1d(lf.ones([2, 2, 3]), 1, "valid").shape == (1, 4, 3)


def test_symbolic_shapes():
    x = SymbolicTensor((None, 8, 8, 3))
    assert lf.conv2d(x, lf.ones([3, 3, 3, 5]), 2, "same").shape == (None, 4, 4, 5)
    assert lf.conv2d(x, lf.ones([3, 3, 3, 5]), 1, "valid").shape == (None, 6, 6, 5)
    y = lf.conv2d(SymbolicTensor((None, None, 7, 3)), lf.ones([3, 3, 3, 5]), 2, "same")
    assert y.shape == (None, None, 4, 5)
    assert lf.depthwise_conv2d(x, lf.ones([3, 3, 3, 2]), 1, "same").shape == (None, 8, 8, 6)
    assert lf.conv2d(SymbolicTensor((None, 3, 8, 8)), lf.ones([3, 3, 3, 5]), 1, "same",
                     "NCHW").shape == (None, 5, 8, 8)
    assert lf.conv2d_transpose(SymbolicTensor((None, 4, 4, 2)), lf.ones([3, 3, 5, 2]),
                               [None, 8, 8, 5], 2, "same").shape == (None, 8, 8, 5)


# -- gradients --------------------------------------------------------------------------------
@pytest.mark.parametrize("strides,pad,dil", [(1, "valid", 1), (2, "same", 1), (1, "same", 2)])
def test_conv2d_grad(backend, rng, strides, pad, dil):
    x = rng.normal(size=(1, 4, 4, 2))
    w = rng.normal(size=(2, 2, 2, 2))
    check_grad(lambda a, b: lf.conv2d(a, b, strides, pad, dilations=dil), [x, w])


def test_conv2d_nchw_grad(backend, rng):
    x = rng.normal(size=(1, 2, 3, 4))
    w = rng.normal(size=(2, 2, 2, 2))
    check_grad(lambda a, b: lf.conv2d(a, b, 2, "same", "NCHW"), [x, w])


def test_conv1d_and_conv3d_grad(backend, rng):
    check_grad(lambda a, b: lf.conv1d(a, b, 2, "same"),
               [rng.normal(size=(2, 5, 2)), rng.normal(size=(3, 2, 2))])
    check_grad(lambda a, b: lf.conv3d(a, b, 1, "same"),
               [rng.normal(size=(1, 2, 3, 2, 2)), rng.normal(size=(2, 2, 1, 2, 2))])


def test_depthwise_and_separable_grad(backend, rng):
    check_grad(lambda a, b: lf.depthwise_conv2d(a, b, 2, "same"),
               [rng.normal(size=(1, 3, 3, 2)), rng.normal(size=(2, 2, 2, 2))])
    check_grad(lambda a, b, c: lf.separable_conv2d(a, b, c, 1, "valid"),
               [rng.normal(size=(1, 3, 3, 2)), rng.normal(size=(2, 2, 2, 1)),
                rng.normal(size=(1, 1, 2, 2))])


def test_conv_transpose_grad(backend, rng):
    check_grad(lambda a, b: lf.conv2d_transpose(a, b, [1, 4, 3, 2], 2, "same"),
               [rng.normal(size=(1, 2, 2, 3)), rng.normal(size=(2, 2, 2, 3))])
    check_grad(lambda a, b: lf.conv1d_transpose(a, b, [2, 5, 2], 2, "valid"),
               [rng.normal(size=(2, 2, 2)), rng.normal(size=(3, 2, 2))])
    check_grad(lambda a, b: lf.conv3d_transpose(a, b, [1, 3, 2, 2, 1], 1, "valid"),
               [rng.normal(size=(1, 2, 1, 1, 2)), rng.normal(size=(2, 2, 2, 1, 2))])


def test_dilation2d_grad(backend):
    x = np.arange(18, dtype=np.float64).reshape(1, 3, 3, 2) * np.array([1.0, -0.7]) / 7
    x = x + np.array([0.0, 0.05]) * np.sin(np.arange(18)).reshape(1, 3, 3, 2)
    f = np.array([[[0.1, 0.3], [-0.2, 0.05]], [[0.33, -0.4], [0.0, 0.21]]])
    check_grad(lambda a, b: lf.dilation2d(a, b, 1, "same"), [x, f])


def test_conv_second_order(backend, rng):
    w = lf.tensor(rng.normal(size=(2, 2, 1, 2)), dtype="float64")
    check_second_order(lambda u: lf.square(lf.conv2d(u, w, 2, "same")),
                       rng.normal(size=(1, 3, 3, 1)))

    def grad_x(a, b):  # the input gradient, differentiated in input and filter
        return lf.grad(lambda u: lf.sum(lf.square(lf.conv2d(u, b, 1, "same"))))(a)

    check_grad(grad_x, [rng.normal(size=(1, 3, 2, 1)), rng.normal(size=(2, 2, 1, 2))])

    def grad_w(a, b):
        return lf.grad(lambda v: lf.sum(lf.square(lf.conv2d(a, v, 2, "valid"))))(b)

    check_grad(grad_w, [rng.normal(size=(1, 3, 3, 1)), rng.normal(size=(2, 2, 1, 2))])


# -- errors -----------------------------------------------------------------------------------
def test_channel_mismatch_names_both_shapes(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"conv2d: .*\(1, 4, 4, 3\).*\(2, 2, 2, 5\)"):
        lf.conv2d(lf.zeros([1, 4, 4, 3]), lf.zeros([2, 2, 2, 5]), 1, "same")
    with pytest.raises(lf.errors.ShapeError, match=r"depthwise_conv2d: .*\(2, 2, 2, 1\)"):
        lf.depthwise_conv2d(lf.zeros([1, 4, 4, 3]), lf.zeros([2, 2, 2, 1]), 1, "same")
    with pytest.raises(lf.errors.ShapeError, match=r"conv2d_transpose: .*\(2, 2, 5, 2\)"):
        lf.conv2d_transpose(lf.zeros([1, 4, 4, 3]), lf.zeros([2, 2, 5, 2]), [1, 8, 8, 5], 2,
                            "same")
    with pytest.raises(lf.errors.ShapeError, match="dilation2d: .*same depth"):
        lf.dilation2d(lf.zeros([1, 4, 4, 3]), lf.zeros([2, 2, 2]), 1, "same")


def test_rank_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"conv2d: x must be of rank 3 or 4, got "
                                                   r"rank 2"):
        lf.conv2d(lf.zeros([4, 4]), lf.zeros([2, 2, 1, 1]), 1, "same")
    with pytest.raises(lf.errors.ShapeError, match=r"conv1d: filter must be of rank 3"):
        lf.conv1d(lf.zeros([1, 4, 1]), lf.zeros([2, 1]), 1, "same")
    with pytest.raises(lf.errors.ShapeError, match=r"conv3d: x must be of rank 4 or 5"):
        lf.conv3d(lf.zeros([1, 4, 1]), lf.zeros([2, 2, 2, 1, 1]), 1, "same")


def test_strides_and_dilations_both_above_one(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match="conv2d: either strides or dilations must be 1"):
        lf.conv2d(lf.zeros([1, 8, 8, 1]), lf.zeros([2, 2, 1, 1]), 2, "same", dilations=2)
    with pytest.raises(lf.errors.InvalidArgumentError, match="depthwise_conv2d: either"):
        lf.depthwise_conv2d(lf.zeros([1, 8, 8, 1]), lf.zeros([2, 2, 1, 1]), 2, "same",
                            dilations=2)


def test_bad_arguments(backend):
    x, w = lf.zeros([1, 4, 4, 1]), lf.zeros([2, 2, 1, 1])
    with pytest.raises(lf.errors.InvalidArgumentError, match="conv2d: pad must be"):
        lf.conv2d(x, w, 1, "full")
    with pytest.raises(lf.errors.InvalidArgumentError, match="conv2d: data_format"):
        lf.conv2d(x, w, 1, "same", "HWC")
    with pytest.raises(lf.errors.InvalidArgumentError, match="conv2d: strides"):
        lf.conv2d(x, w, 0, "same")
    with pytest.raises(lf.errors.ShapeError, match="conv2d: the filter .* larger"):
        lf.conv2d(x, lf.zeros([5, 5, 1, 1]), 1, "valid")
    with pytest.raises(lf.errors.ShapeError, match="conv2d_transpose: a convolution of "
                                                   "output_shape"):
        lf.conv2d_transpose(x, w, [1, 5, 5, 1], 2, "same")
