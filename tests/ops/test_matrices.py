"""Matrix ops (mat_mul, dot, outer_product, norm, euclidean_norm, einsum) against NumPy, and
their gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad


def _ref_matmul(a, b, transpose_a=False, transpose_b=False):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a.astype(np.float64), b).astype(np.float32)


MATMUL_SHAPES = [((2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 2)),
                 ((1, 2, 3), (4, 3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES)
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_mat_mul_forward_and_grad(backend, rng, shapes, ta, tb):
    sa, sb = shapes
    if ta:
        sa = sa[:-2] + (sa[-1], sa[-2])
    if tb:
        sb = sb[:-2] + (sb[-1], sb[-2])
    a = rng.uniform(-1, 1, sa).astype(np.float32)
    b = rng.uniform(-1, 1, sb).astype(np.float32)
    check_forward(lf.mat_mul, _ref_matmul, [a, b], dtype="float32", transpose_a=ta,
                  transpose_b=tb)
    if a.size + b.size <= 48:
        check_grad(lf.mat_mul, [a, b], transpose_a=ta, transpose_b=tb)


def test_mat_mul_small_grad_broadcast(backend, rng):
    a = rng.uniform(-1, 1, (2, 1, 2, 2))
    b = rng.uniform(-1, 1, (3, 2, 2))
    check_grad(lf.mat_mul, [a, b])
    check_grad(lambda x, y: lf.mat_mul(x, y, transpose_a=True, transpose_b=True), [a, b])


def test_mat_mul_int_and_operator(backend):
    a = np.array([[1, 2], [3, 4]], dtype=np.int32)
    b = np.array([[5], [6]], dtype=np.int32)
    got = check_forward(lf.mat_mul, np.matmul, [a, b], dtype="int32")
    assert got.array_sync() == [[17], [39]]
    ta, tb = lf.tensor(a), lf.tensor(b)
    assert (ta @ tb).array_sync() == [[17], [39]]
    assert ta.mat_mul(tb).array_sync() == [[17], [39]]
    assert ta.matmul(tb).dtype == "int32"
    assert lf.matmul is lf.mat_mul
    assert lf.tensor([[1.0, 2.0]]).__rmatmul__(lf.tensor([[1.0], [2.0]])).shape == (2, 2)


def test_mat_mul_float64(backend, rng):
    a = rng.uniform(-1, 1, (3, 4))
    b = rng.uniform(-1, 1, (4, 2))
    got = lf.mat_mul(lf.tensor(a, dtype="float64"), lf.tensor(b, dtype="float64"))
    assert got.dtype == "float64"
    np.testing.assert_allclose(got.numpy(), a @ b, rtol=1e-12)


def test_mat_mul_errors(backend):
    with pytest.raises(lf.errors.ShapeError,
                       match=r"mat_mul: inner dimensions of \(2, 3\) and \(4, 5\) do not match"):
        lf.mat_mul(lf.zeros([2, 3]), lf.zeros([4, 5]))
    with pytest.raises(lf.errors.ShapeError, match=r"mat_mul: .*rank at least 2"):
        lf.mat_mul(lf.zeros([3]), lf.zeros([3, 2]))
    with pytest.raises(lf.errors.ShapeError, match=r"mat_mul: batch dimensions"):
        lf.mat_mul(lf.zeros([2, 2, 3]), lf.zeros([3, 3, 2]))


def test_mat_mul_symbolic_shape():
    from layerflow.engine.symbolic import SymbolicTensor

    x = SymbolicTensor((None, 3), "float32")
    w = lf.zeros([3, 5])
    assert lf.mat_mul(x, w).shape == (None, 5)
    with pytest.raises(lf.errors.ShapeError, match="mat_mul"):
        lf.mat_mul(x, lf.zeros([4, 5]))


def test_dot(backend, rng):
    v = rng.uniform(-1, 1, (3,)).astype(np.float32)
    w = rng.uniform(-1, 1, (3,)).astype(np.float32)
    m = rng.uniform(-1, 1, (2, 3)).astype(np.float32)
    n = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
    ref = lambda x, y: np.dot(x.astype(np.float64), y).astype(np.float32)  # noqa: E731
    for x, y in [(v, w), (m, v), (v, n), (m, n)]:
        check_forward(lf.dot, ref, [x, y], dtype="float32")
    check_grad(lf.dot, [m, v])
    check_grad(lf.dot, [v, n])
    check_grad(lf.dot, [v, w])
    assert lf.tensor(v).dot(lf.tensor(w)).shape == ()
    with pytest.raises(lf.errors.ShapeError, match=r"dot: inputs must be rank 1 or 2"):
        lf.dot(lf.zeros([2, 2, 2]), lf.zeros([2]))
    with pytest.raises(lf.errors.ShapeError, match=r"dot: inner dimensions"):
        lf.dot(lf.zeros([2, 3]), lf.zeros([2]))


def test_outer_product(backend, rng):
    v = rng.uniform(-1, 1, (3,)).astype(np.float32)
    w = rng.uniform(-1, 1, (4,)).astype(np.float32)
    check_forward(lf.outer_product,
                  lambda x, y: np.outer(x.astype(np.float64), y).astype(np.float32), [v, w],
                  dtype="float32")
    check_grad(lf.outer_product, [v, w])
    with pytest.raises(lf.errors.ShapeError, match="outer_product"):
        lf.outer_product(lf.zeros([2, 2]), lf.zeros([2]))


NORM_CASES = [
    ("euclidean", None, (2, 3)), (2, None, (5,)), (1, None, (5,)), (np.inf, None, (5,)),
    (-np.inf, None, (5,)), ("euclidean", 1, (2, 3)), (1, 0, (2, 3)), (np.inf, -1, (2, 3)),
    ("fro", (0, 1), (3, 4)), (1, (0, 1), (3, 4)), (np.inf, (0, 1), (3, 4)),
    (-np.inf, (0, 1), (3, 4)), (1, (2, 1), (2, 3, 4)), (np.inf, (1, 2), (2, 3, 4)),
    ("euclidean", (0, 1), (3, 4)), (2, (0, 1), (3, 4)), (-2, (0, 1), (3, 4)),
]


def _ref_norm(x, ord, axis, keepdims=False):
    x = x.astype(np.float64)
    if ord == "euclidean":
        ord = "fro" if isinstance(axis, tuple) else None
    if axis is None:
        x = x.reshape(-1)
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims).astype(np.float32)


@pytest.mark.parametrize("ord,axis,shape", NORM_CASES)
def test_norm_forward_and_grad(backend, rng, ord, axis, shape):
    # distinct magnitudes keep max/min and abs away from ties and kinks
    size = int(np.prod(shape))
    values = rng.permutation(np.linspace(0.3, 2.0, size)) * rng.choice([-1, 1], size)
    x = values.reshape(shape).astype(np.float32)
    lf_axis = list(axis) if isinstance(axis, tuple) else axis
    check_forward(lambda t: lf.norm(t, ord, lf_axis), lambda a: _ref_norm(a, ord, axis), [x],
                  dtype="float32")
    check_forward(lambda t: lf.norm(t, ord, lf_axis, keepdims=True),
                  lambda a: _ref_norm(a, ord, axis, keepdims=True) if axis is not None
                  else _ref_norm(a, ord, axis).reshape((1,) * a.ndim), [x], dtype="float32")
    if ord not in (2, -2) or axis is None or not isinstance(axis, tuple):
        check_grad(lambda t: lf.norm(t, ord, lf_axis), [x])


def test_norm_svd_grad(backend, rng):
    x = rng.uniform(-1, 1, (3, 2))
    check_grad(lambda t: lf.norm(t, 2, [0, 1]), [x])


def test_norm_misc(backend):
    x = lf.tensor([[3, -4]])
    assert lf.norm(x).dtype == "float32"
    assert lf.norm(x).item() == 5.0
    assert x.norm().item() == 5.0
    assert lf.norm(lf.tensor(-2.0)).item() == 2.0
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"norm: invalid ord value 3"):
        lf.norm(lf.tensor([1.0, 2.0]), 3)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"norm: invalid ord value 'fro'"):
        lf.norm(lf.tensor([[1.0, 2.0]]), "fro", axis=1)
    with pytest.raises(lf.errors.InvalidArgumentError, match="norm: axis"):
        lf.norm(lf.zeros([2, 2, 2]), axis=[0, 1, 2])


def test_euclidean_norm(backend, rng):
    x = rng.uniform(-1, 1, (2, 3, 2)).astype(np.float32)
    for axis, keepdims in [(None, False), (1, True), ((0, 2), False)]:
        lf_axis = list(axis) if isinstance(axis, tuple) else axis
        got = lf.euclidean_norm(lf.tensor(x), lf_axis, keepdims)
        want = np.sqrt(np.sum(x.astype(np.float64) ** 2, axis=axis, keepdims=keepdims))
        assert got.dtype == "float32" and got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    check_grad(lambda t: lf.euclidean_norm(t, axis=[0, 2]), [x])
    assert lf.tensor(x).euclidean_norm().shape == ()


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 2)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(4,), (4,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij,j", [(2, 3), (3,)]),
    ("ijk,k->ij", [(2, 2, 3), (3,)]),
    ("ij,ik->j", [(2, 3), (2, 2)]),
    ("ij,jk,kl->il", [(2, 2), (2, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
    ("...i,...i->...", [(2, 1, 3), (2, 3)]),
    ("bi,bj->bij", [(2, 3), (2, 2)]),
]


@pytest.mark.parametrize("equation,shapes", EINSUM_CASES)
def test_einsum_forward_and_grad(backend, rng, equation, shapes):
    xs = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
    check_forward(lambda *t: lf.einsum(equation, *t),
                  lambda *a: np.einsum(equation, *[v.astype(np.float64) for v in a])
                  .astype(np.float32), xs, dtype="float32")
    check_grad(lambda *t: lf.einsum(equation, *t), xs)


def test_einsum_int(backend):
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    got = check_forward(lambda t: lf.einsum("ij->j", t), lambda v: np.einsum("ij->j", v), [a],
                        dtype="int32")
    assert got.array_sync() == [3, 5, 7]


def test_einsum_errors(backend):
    a, b = lf.zeros([2, 3]), lf.zeros([4, 5])
    with pytest.raises(lf.errors.ShapeError, match=r"einsum: subscript 'j' has size 3 and 4"):
        lf.einsum("ij,jk->ik", a, b)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"einsum: .*2 operand"):
        lf.einsum("ij,jk->ik", a)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"einsum: malformed term"):
        lf.einsum("i1,jk->ik", a, b)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"einsum: output subscript 'z'"):
        lf.einsum("ij->z", a)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"einsum: .*more than one"):
        lf.einsum("ij->j->i", a)
    with pytest.raises(lf.errors.ShapeError, match=r"einsum: term 'ijk' has 3 subscript"):
        lf.einsum("ijk->i", a)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"einsum: repeated output"):
        lf.einsum("ij->ii", a)


def test_mat_mul_second_order(backend):
    from tests._support.opcheck import check_second_order

    check_second_order(lambda x: lf.mat_mul(x, x, transpose_b=True), [[0.5, -1.0], [2.0, 0.3]])


def test_low_precision(backend, rng):
    a = rng.uniform(-1, 1, (2, 3)).astype(np.float16)
    b = rng.uniform(-1, 1, (3, 2)).astype(np.float16)
    got = lf.mat_mul(lf.tensor(a), lf.tensor(b))
    assert got.dtype == "float16" and got.numpy().dtype == np.float16
    np.testing.assert_allclose(got.numpy(), a.astype(np.float64) @ b, rtol=1e-2, atol=1e-2)
    e = lf.einsum("ij,jk->ik", lf.tensor(a), lf.tensor(b))
    assert e.dtype == "float16" and e.numpy().dtype == np.float16


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_mat_mul_gradient_of_one_input_runs_one_matmul(backend, rng, ta, tb):
    # A Dense layer's input batch needs no gradient: only the kernel's matmul should run.
    a = rng.uniform(-1, 1, (3, 2) if ta else (2, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, (4, 3) if tb else (3, 4)).astype(np.float32)
    w = rng.uniform(0.5, 1.5, (2, 4))
    ta_, tb_ = (a.T if ta else a), (b.T if tb else b)
    for source, want in ((0, w @ tb_.T), (1, ta_.T @ w)):
        x, y = lf.tensor(a), lf.tensor(b)
        with lf.GradientTape() as tape:
            tape.watch([x, y][source])
            out = lf.sum(lf.mul(lf.mat_mul(x, y, ta, tb), lf.tensor(w.astype(np.float32))))
        info = lf.profile(lambda tape=tape, out=out, t=[x, y][source]: tape.gradient(out, t))
        assert info.kernels.count("mat_mul") == 1, info.kernels
        want = want.T if (ta, tb)[source] else want
        np.testing.assert_allclose(info.result.numpy(), want, rtol=1e-5, atol=1e-6)


def test_mat_mul_skipped_gradient_still_differentiates_twice(backend, rng):
    # The inner tape wants only w (so x's matmul is skipped); the outer one differentiates
    # sum(dL/dw) = sum(x^T @ ones) with respect to x: ones(x.shape) * w's column count.
    x = lf.tensor(rng.uniform(-1, 1, (2, 3)).astype(np.float32))
    w = lf.tensor(rng.uniform(-1, 1, (3, 4)).astype(np.float32))
    with lf.GradientTape() as outer:
        outer.watch(x)
        with lf.GradientTape() as inner:
            inner.watch(w)
            loss = lf.sum(lf.mat_mul(x, w))
        total = lf.sum(inner.gradient(loss, w))
    np.testing.assert_allclose(outer.gradient(total, x).numpy(), np.full((2, 3), 4.0))
