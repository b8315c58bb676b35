"""The lf.linalg namespace against numpy.linalg, and gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad

F32 = dict(rtol=1e-4, atol=1e-5)  # NOTE: LAPACK in float32 vs float64 reference


def _well_conditioned(rng, shape):
    n = shape[-1]
    return (rng.uniform(-0.5, 0.5, shape) + 2 * np.eye(n)).astype(np.float32)


def _spd(rng, shape):
    x = rng.uniform(-1, 1, shape)
    n = shape[-1]
    return (x @ np.swapaxes(x, -1, -2) + n * np.eye(n)).astype(np.float32)


def _sym_part(t):
    from layerflow.ops.matrices import swap_last

    return lf.mul(lf.add(t, swap_last(t)), 0.5)


# -- qr --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)])
@pytest.mark.parametrize("full", [False, True])
def test_qr_forward(backend, rng, shape, full):
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    q, r = lf.linalg.qr(lf.tensor(x), full_matrices=full)
    q_ref, r_ref = np.linalg.qr(x.astype(np.float64), mode="complete" if full else "reduced")
    assert q.shape == q_ref.shape and r.shape == r_ref.shape
    assert q.dtype == r.dtype == "float32"
    np.testing.assert_allclose(np.abs(r.numpy()), np.abs(r_ref), **F32)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), x, **F32)
    np.testing.assert_allclose(np.triu(r.numpy()), r.numpy(), atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 3), (3, 2), (2, 2, 2)])
def test_qr_grad(backend, rng, shape):
    x = rng.uniform(-1, 1, shape) + np.eye(shape[-2], shape[-1])
    check_grad(lambda t: lf.linalg.qr(t), [x])


def test_qr_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"qr: expected a tensor of rank >= 2"):
        lf.linalg.qr(lf.zeros([3]))


# -- gram_schmidt ------------------------------------------------------------------------------
def test_gram_schmidt(backend, rng):
    x = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    y = lf.linalg.gram_schmidt(lf.tensor(x)).numpy()
    assert y.shape == (3, 4)
    np.testing.assert_allclose(y @ y.T, np.eye(3), atol=1e-5)
    q, _ = np.linalg.qr(x.T.astype(np.float64))
    np.testing.assert_allclose(np.abs(y), np.abs(q.T), **F32)
    ys = lf.linalg.gram_schmidt([lf.tensor(v) for v in x])
    assert isinstance(ys, list) and len(ys) == 3
    np.testing.assert_allclose(np.stack([v.numpy() for v in ys]), y, atol=1e-6)
    check_grad(lambda t: lf.linalg.gram_schmidt(t), [rng.uniform(-1, 1, (2, 3))])
    with pytest.raises(lf.errors.ShapeError, match="gram_schmidt"):
        lf.linalg.gram_schmidt(lf.zeros([2, 2, 2]))


# -- band_part -------------------------------------------------------------------------------
def _ref_band(a, lo, up):
    m, n = a.shape[-2:]
    i, j = np.arange(m)[:, None], np.arange(n)[None, :]
    keep = ((lo < 0) | (i - j <= lo)) & ((up < 0) | (j - i <= up))
    return np.where(keep, a, 0).astype(a.dtype)


@pytest.mark.parametrize("lo,up", [(0, 0), (-1, 0), (0, -1), (1, 2), (-1, -1), (2, 0)])
def test_band_part(backend, rng, lo, up):
    a = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    check_forward(lambda t: lf.linalg.band_part(t, lo, up), lambda v: _ref_band(v, lo, up),
                  [a], dtype="float32")
    check_grad(lambda t: lf.linalg.band_part(t, lo, up), [a[0]])
    ints = np.arange(9, dtype=np.int32).reshape(3, 3)
    check_forward(lambda t: lf.linalg.band_part(t, lo, up), lambda v: _ref_band(v, lo, up),
                  [ints], dtype="int32")


def test_band_part_errors(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"band_part: num_lower \(5\)"):
        lf.linalg.band_part(lf.zeros([3, 3]), 5, 0)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"band_part: num_upper must be an"):
        lf.linalg.band_part(lf.zeros([3, 3]), 0, 1.5)
    with pytest.raises(lf.errors.ShapeError, match=r"band_part: expected a tensor of rank"):
        lf.linalg.band_part(lf.zeros([3]), 0, 0)


# -- inv, det, slogdet -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
def test_inv(backend, rng, shape):
    a = _well_conditioned(rng, shape)
    check_forward(lf.linalg.inv, lambda v: np.linalg.inv(v.astype(np.float64)), [a],
                  dtype="float32", **F32)
    check_grad(lf.linalg.inv, [a])


def test_inv_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"inv: expected square matrices .*\(2, 3\)"):
        lf.linalg.inv(lf.zeros([2, 3]))
    with pytest.raises(lf.errors.ShapeError, match=r"inv: expected a tensor of rank >= 2"):
        lf.linalg.inv(lf.zeros([3]))


@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
def test_det_slogdet(backend, rng, shape):
    a = _well_conditioned(rng, shape)
    a[..., 0, :] *= -1  # a negative determinant
    check_forward(lf.linalg.det, lambda v: np.linalg.det(v.astype(np.float64)), [a],
                  dtype="float32", **F32)
    check_grad(lf.linalg.det, [a])
    check_forward(lf.linalg.slogdet, lambda v: tuple(np.linalg.slogdet(v.astype(np.float64))),
                  [a], dtype="float32", **F32)
    check_grad(lambda t: lf.linalg.slogdet(t)[1], [a])
    with pytest.raises(lf.errors.ShapeError, match="det: expected square"):
        lf.linalg.det(lf.zeros([2, 3]))


def test_int_input_becomes_float32(backend):
    got = lf.linalg.det(lf.tensor([[2, 0], [0, 3]]))
    assert got.dtype == "float32" and got.item() == pytest.approx(6.0)


# -- solve -------------------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb", [((3, 3), (3, 2)), ((3, 3), (3,)), ((2, 3, 3), (2, 3, 1)),
                                   ((2, 2, 2), (2, 1)), ((2, 2), (3, 2, 1))])
def test_solve(backend, rng, sa, sb):
    a = _well_conditioned(rng, sa)
    b = rng.uniform(-1, 1, sb).astype(np.float32)

    def ref(x, y):
        x = x.astype(np.float64)
        if y.ndim == 1:
            return np.linalg.solve(x, y[:, None])[:, 0]
        batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        return np.linalg.solve(np.broadcast_to(x, batch + x.shape[-2:]),
                               np.broadcast_to(y, batch + y.shape[-2:]))

    check_forward(lf.linalg.solve, ref, [a, b], dtype="float32", **F32)
    check_grad(lf.linalg.solve, [a, b])


def test_solve_errors(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"solve: a of shape \(3, 3\) and b of shape"):
        lf.linalg.solve(lf.eye(3), lf.zeros([2, 1]))
    with pytest.raises(lf.errors.ShapeError, match="solve: expected square"):
        lf.linalg.solve(lf.zeros([2, 3]), lf.zeros([2, 1]))


# -- cholesky ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
def test_cholesky(backend, rng, shape):
    a = _spd(rng, shape)
    check_forward(lf.linalg.cholesky, lambda v: np.linalg.cholesky(v.astype(np.float64)), [a],
                  dtype="float32", **F32)
    up = lf.linalg.cholesky(lf.tensor(a), upper=True).numpy()
    np.testing.assert_allclose(np.swapaxes(up, -1, -2) @ up, a, **F32)
    check_grad(lambda t: lf.linalg.cholesky(lf.add(_sym_part(t), lf.tensor(
        shape[-1] * np.eye(shape[-1]), dtype=t.dtype))), [rng.uniform(-1, 1, shape)])


# -- svd, eigh -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 2), (2, 4), (2, 3, 3)])
@pytest.mark.parametrize("full", [True, False])
def test_svd(backend, rng, shape, full):
    x = rng.uniform(-1, 1, shape).astype(np.float32)
    u, s, vh = lf.linalg.svd(lf.tensor(x), full_matrices=full)
    u_ref, s_ref, vh_ref = np.linalg.svd(x.astype(np.float64), full_matrices=full)
    assert (u.shape, s.shape, vh.shape) == (u_ref.shape, s_ref.shape, vh_ref.shape)
    np.testing.assert_allclose(s.numpy(), s_ref, **F32)
    k = s_ref.shape[-1]
    recon = (u.numpy()[..., :k] * s.numpy()[..., None, :]) @ vh.numpy()[..., :k, :]
    np.testing.assert_allclose(recon, x, **F32)
    check_forward(lambda t: lf.linalg.svd(t, compute_uv=False),
                  lambda v: np.linalg.svd(v.astype(np.float64), compute_uv=False), [x],
                  dtype="float32", **F32)
    check_grad(lambda t: lf.linalg.svd(t, compute_uv=False), [x])


def test_eigh(backend, rng):
    a = _spd(rng, (2, 3, 3))
    w, v = lf.linalg.eigh(lf.tensor(a))
    w_ref = np.linalg.eigvalsh(a.astype(np.float64))
    np.testing.assert_allclose(w.numpy(), w_ref, **F32)
    np.testing.assert_allclose(a @ v.numpy(), v.numpy() * w.numpy()[..., None, :], **F32)
    check_grad(lambda t: lf.linalg.eigh(lf.add(_sym_part(t), lf.tensor(
        np.diag([1.0, 2.0, 4.0]), dtype=t.dtype)))[0], [rng.uniform(-0.3, 0.3, (3, 3))])


def test_namespace():
    assert lf.linalg.matmul is lf.mat_mul
    for name in lf.linalg.__all__:
        assert callable(getattr(lf.linalg, name))


def test_low_precision_decompositions(backend):
    a = lf.tensor([[4.0, 2.0], [2.0, 5.0]], dtype="float16")
    for out in [lf.linalg.inv(a), lf.linalg.det(a), lf.linalg.cholesky(a), *lf.linalg.qr(a),
                *lf.linalg.svd(a), *lf.linalg.eigh(a), lf.linalg.solve(a, a)]:
        assert out.dtype == "float16" and out.numpy().dtype == np.float16
    assert lf.linalg.det(a).item() == pytest.approx(16.0, rel=1e-3)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("sa,sb", [((3, 3), (3, 2)), ((3, 3), (3,)), ((2, 2, 2), (2, 1))])
def test_solve_triangular(backend, rng, lower, sa, sb):
    a = _well_conditioned(rng, sa)
    b = rng.uniform(-1, 1, sb).astype(np.float32)

    def ref(x, y):
        x = np.tril(x) if lower else np.triu(x)
        x = x.astype(np.float64)
        if y.ndim == 1:
            return np.linalg.solve(x, y[:, None])[:, 0]
        return np.linalg.solve(x, np.broadcast_to(y, x.shape[:-2] + y.shape[-2:]))

    check_forward(lambda x, y: lf.linalg.solve_triangular(x, y, lower=lower), ref, [a, b],
                  dtype="float32", **F32)
    check_grad(lambda x, y: lf.linalg.solve_triangular(x, y, lower=lower), [a, b])
