"""The ``lf.linalg`` namespace: TF.js's qr, gram_schmidt, band_part, and Keras-style inv, det,
slogdet, solve, cholesky, svd, eigh (all batched over leading axes).

Int32/bool inputs become float32. Gradients are written with ops; they assume well-conditioned
inputs (and symmetric ones for ``cholesky`` / ``eigh``).

>>> import layerflow as lf
>>> lf.linalg.det(lf.tensor([[2.0, 0.0], [0.0, 3.0]])).item()
6.0
"""

from __future__ import annotations

import numpy as np

from layerflow.engine.tensor import Tensor
from layerflow.errors import InvalidArgumentError, NotSupportedError, ShapeError
from layerflow.ops._define import as_tensor, run, run_multi, unbroadcast
from layerflow.ops.matrices import float_input, mat_mul, matmul, swap_last

__all__ = ["qr", "gram_schmidt", "band_part", "inv", "det", "slogdet", "solve",
           "solve_triangular", "cholesky", "svd", "eigh", "matmul"]


def _matrix_input(x, name: str, op: str, square: bool = False):
    x = float_input(x, name, op)
    if x.rank < 2:
        raise ShapeError(f"{op}: expected a tensor of rank >= 2, got shape {x.shape}")
    m, n = x.shape[-2:]
    if square and m is not None and n is not None and m != n:
        raise ShapeError(f"{op}: expected square matrices in the last two axes, got shape "
                         f"{x.shape}")
    return x


def _eye(n: int, dtype: str):
    from layerflow.ops.creation import tensor

    return tensor(np.eye(n), dtype=dtype)


# -- qr, gram_schmidt ----------------------------------------------------------------------
def qr(x, full_matrices: bool = False):
    """QR decomposition of the last two axes: ``x = q @ r``, ``q`` orthonormal columns, ``r``
    upper triangular. Returns ``[q, r]`` (TF.js ``linalg.qr``).

    With ``full_matrices=False`` (default) ``q`` is ``(.., m, k)`` and ``r`` ``(.., k, n)``,
    ``k = min(m, n)``; with True, ``q`` is ``(.., m, m)`` and ``r`` ``(.., m, n)``. The gradient
    exists when ``m >= n`` (reduced) or ``m == n``.

    >>> import layerflow as lf
    >>> q, r = lf.linalg.qr(lf.tensor([[3.0, 0.0], [4.0, 5.0]]))
    >>> [[round(abs(v), 4) for v in row] for row in r.array_sync()]
    [[5.0, 4.0], [0.0, 3.0]]
    """
    x = _matrix_input(x, "x", "qr")
    m, n = x.shape[-2:]
    full_matrices = bool(full_matrices)
    if full_matrices:
        k = m
    else:
        k = None if m is None or n is None else min(m, n)
    batch = x.shape[:-2]
    q, r = run_multi("qr", (x,), [(batch + (m, k), x.dtype), (batch + (k, n), x.dtype)],
                     {"full_matrices": full_matrices}, grad=_qr_grad)
    return [q, r]


def _qr_grad(dys, inputs, outs, attrs):
    from layerflow.ops.elementwise import add, sub

    (x,) = inputs
    q, r = outs
    dq, dr = dys
    m, n = x.shape[-2:]
    if m < n or (attrs["full_matrices"] and m != n):
        raise NotSupportedError(f"qr: the gradient needs rows >= columns (and square matrices "
                                f"with full_matrices=True), got shape {x.shape}")
    qdq = mat_mul(q, dq, transpose_a=True)
    qdq_ = sub(qdq, swap_last(qdq))
    rdr = mat_mul(r, dr, transpose_b=True)
    rdr_ = sub(rdr, swap_last(rdr))
    low = band_part(add(qdq_, rdr_), -1, 0)
    grad_a = mat_mul(q, add(dr, _right_solve_rt(low, r)))
    grad_b = _right_solve_rt(sub(dq, mat_mul(q, qdq)), r)
    return (add(grad_a, grad_b),)


def _right_solve_rt(x, r):
    """``x @ inv(r).T`` for square ``r``, as ``solve(r, x.T).T``."""
    return swap_last(solve(r, swap_last(x)))


def gram_schmidt(xs):
    """Orthonormalise vectors with the (modified) Gram-Schmidt process (TF.js).

    Args:
        xs: a 2-D tensor whose rows are the vectors, or a list of 1-D tensors of one shape.

    Returns:
        the orthonormal rows as a 2-D tensor, or a list of 1-D tensors for a list input.

    >>> import layerflow as lf
    >>> y = lf.linalg.gram_schmidt(lf.tensor([[1.0, 1.0], [1.0, 0.0]]))
    >>> [[round(v, 4) for v in row] for row in y.array_sync()]
    [[0.7071, 0.7071], [0.7071, -0.7071]]
    """
    from layerflow.ops.creation import tensor
    from layerflow.ops.elementwise import add, div, mul, sqrt, sub
    from layerflow.ops.reduction import sum as reduce_sum
    from layerflow.ops.shape import reshape

    as_list = isinstance(xs, (list, tuple))
    if as_list:
        if not xs:
            raise InvalidArgumentError("gram_schmidt: expected at least one vector")
        vectors = [float_input(v, f"xs[{i}]", "gram_schmidt") for i, v in enumerate(xs)]
        dim = vectors[0].shape
        for v in vectors:
            if v.rank != 1 or v.shape != dim:
                raise ShapeError(f"gram_schmidt: vectors must be rank 1 and of one shape, got "
                                 f"{[u.shape for u in vectors]}")
    else:
        xs = float_input(xs, "xs", "gram_schmidt")
        if xs.rank != 2:
            raise ShapeError(f"gram_schmidt: expected a 2-D tensor (rows are vectors), got "
                             f"shape {xs.shape}")
        count = xs.shape[0]
        vectors = []
        for i in range(count):
            pick = tensor(np.eye(count)[i:i + 1], dtype=xs.dtype)
            vectors.append(reshape(mat_mul(pick, xs), (xs.shape[1],)))
    ys = []
    for x in vectors:
        for y in ys:
            x = sub(x, mul(reduce_sum(mul(y, x)), y))
        ys.append(div(x, sqrt(reduce_sum(mul(x, x)))))
    if as_list:
        return ys
    count = len(ys)
    out = None
    for i, y in enumerate(ys):
        e = tensor(np.eye(count)[:, i:i + 1], dtype=y.dtype)
        term = mat_mul(e, reshape(y, (1, -1)))
        out = term if out is None else add(out, term)
    return out


# -- band_part -------------------------------------------------------------------------------
def _band_arg(value, name: str, limit):
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise InvalidArgumentError(f"band_part: {name} must be an integer, got {value!r}")
    if limit is not None and value > limit:
        raise InvalidArgumentError(f"band_part: {name} ({value}) must not be greater than "
                                   f"the number of {'rows' if name == 'num_lower' else 'columns'}"
                                   f" ({limit})")
    return int(value) if value >= 0 else -1


def band_part(a, num_lower, num_upper):
    """Keep a band around the diagonal of the last two axes: ``num_lower`` subdiagonals and
    ``num_upper`` superdiagonals (a negative count keeps the whole triangle); zero the rest.

    >>> import layerflow as lf
    >>> lf.linalg.band_part(lf.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]), 0, -1).array_sync()
    [[1, 2, 3], [0, 5, 6], [0, 0, 9]]
    """
    a = as_tensor(a, "a", "band_part")
    if a.rank < 2:
        raise ShapeError(f"band_part: expected a tensor of rank >= 2, got shape {a.shape}")
    m, n = a.shape[-2:]
    lo = _band_arg(num_lower, "num_lower", m)
    up = _band_arg(num_upper, "num_upper", n)
    return run("band_part", (a,), a.shape, a.dtype, {"num_lower": lo, "num_upper": up},
               grad=_band_part_grad)


def _band_part_grad(dy, inputs, out, attrs):
    return (band_part(dy, attrs["num_lower"], attrs["num_upper"]),)


# -- inv, det, slogdet, solve ----------------------------------------------------------------
def inv(a):
    """The inverse of each square matrix in the last two axes.

    >>> import layerflow as lf
    >>> lf.linalg.inv(lf.tensor([[2.0, 0.0], [0.0, 4.0]])).array_sync()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    a = _matrix_input(a, "a", "inv", square=True)
    return run("inv", (a,), a.shape, a.dtype, grad=_inv_grad)


def _inv_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import neg

    # d(A^-1) = -A^-T dy A^-T
    return (neg(mat_mul(out, mat_mul(dy, out, transpose_b=True), transpose_a=True)),)


def det(a):
    """The determinant of each square matrix in the last two axes.

    >>> import layerflow as lf
    >>> lf.linalg.det(lf.tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    -2.0
    """
    a = _matrix_input(a, "a", "det", square=True)
    return run("det", (a,), a.shape[:-2], a.dtype, grad=_det_grad)


def _det_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import mul
    from layerflow.ops.shape import reshape

    (a,) = inputs
    scale = reshape(mul(dy, out), out.shape + (1, 1))
    return (mul(scale, swap_last(inv(a))),)


def slogdet(a):
    """Sign and log of the absolute determinant: ``(sign, logabsdet)``.

    >>> import layerflow as lf
    >>> sign, logdet = lf.linalg.slogdet(lf.tensor([[-2.0, 0.0], [0.0, 1.0]]))
    >>> sign.item(), round(logdet.item(), 4)
    (-1.0, 0.6931)
    """
    a = _matrix_input(a, "a", "slogdet", square=True)
    batch = a.shape[:-2]
    sign, logdet = run_multi("slogdet", (a,), [(batch, a.dtype), (batch, a.dtype)],
                             grad=_slogdet_grad)
    return sign, logdet


def _slogdet_grad(dys, inputs, outs, attrs):
    from layerflow.ops.elementwise import mul
    from layerflow.ops.shape import reshape

    (a,) = inputs
    dlog = dys[1]
    if dlog is None:
        from layerflow.ops.creation import zeros_like

        return (zeros_like(a),)
    return (mul(reshape(dlog, dlog.shape + (1, 1)), swap_last(inv(a))),)


def solve(a, b):
    """Solve ``a @ x = b`` for ``x``; ``b`` is ``(.., m, k)`` or a vector ``(m,)``; batch
    axes broadcast.

    >>> import layerflow as lf
    >>> lf.linalg.solve(lf.tensor([[2.0, 0.0], [0.0, 4.0]]), lf.tensor([2.0, 2.0])).array_sync()
    [1.0, 0.5]
    """
    from layerflow.ops._define import broadcast_shapes
    from layerflow.ops.elementwise import cast
    from layerflow.ops.shape import reshape

    a = _matrix_input(a, "a", "solve", square=True)
    b = float_input(b, "b", "solve")
    if b.dtype != a.dtype:
        from layerflow.engine import dtypes

        dtype = dtypes.upcast(a.dtype, b.dtype)
        a, b = cast(a, dtype), cast(b, dtype)
    m = a.shape[-1]
    if b.rank == 1:
        if m is not None and b.shape[0] is not None and b.shape[0] != m:
            raise ShapeError(f"solve: a of shape {a.shape} and b of shape {b.shape} do not "
                             "match")
        if a.rank != 2:
            raise ShapeError(f"solve: a vector b needs a 2-D a, got shapes {a.shape} and "
                             f"{b.shape}")
        x = solve(a, reshape(b, (-1, 1)))
        return reshape(x, (-1,))
    if b.rank < 2 or (m is not None and b.shape[-2] is not None and b.shape[-2] != m):
        raise ShapeError(f"solve: a of shape {a.shape} and b of shape {b.shape} do not match "
                         "(b must be (..., m, k) or (m,))")
    try:
        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], "solve")
    except ShapeError:
        raise ShapeError(f"solve: batch dimensions of {a.shape} and {b.shape} cannot be "
                         "broadcast together") from None
    return run("solve", (a, b), batch + b.shape[-2:], a.dtype, grad=_solve_grad)


def _solve_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import neg

    a, b = inputs
    db = solve(swap_last(a), dy)
    da = neg(mat_mul(db, out, transpose_b=True))
    return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


def solve_triangular(a, b, lower: bool = False):
    """Solve ``a @ x = b`` with ``a`` triangular (only its ``lower`` or upper triangle is read).

    >>> import layerflow as lf
    >>> a = lf.tensor([[2.0, 0.0], [1.0, 1.0]])
    >>> lf.linalg.solve_triangular(a, lf.tensor([[2.0], [3.0]]), lower=True).array_sync()
    [[1.0], [2.0]]
    """
    from layerflow.ops.elementwise import cast
    from layerflow.ops.shape import reshape

    a = _matrix_input(a, "a", "solve_triangular", square=True)
    b = float_input(b, "b", "solve_triangular")
    if b.dtype != a.dtype:
        from layerflow.engine import dtypes

        dtype = dtypes.upcast(a.dtype, b.dtype)
        a, b = cast(a, dtype), cast(b, dtype)
    if b.rank == 1 and a.rank == 2:
        return reshape(solve_triangular(a, reshape(b, (-1, 1)), lower), (-1,))
    m = a.shape[-1]
    if b.rank < 2 or (m is not None and b.shape[-2] is not None and b.shape[-2] != m):
        raise ShapeError(f"solve_triangular: a of shape {a.shape} and b of shape {b.shape} do "
                         "not match (b must be (..., m, k) or (m,))")
    try:
        from layerflow.ops._define import broadcast_shapes

        batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], "solve_triangular")
    except ShapeError:
        raise ShapeError(f"solve_triangular: batch dimensions of {a.shape} and {b.shape} "
                         "cannot be broadcast together") from None
    return run("solve_triangular", (a, b), batch + b.shape[-2:], a.dtype,
               {"lower": bool(lower)}, grad=_solve_triangular_grad)


def _solve_triangular_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import neg

    a, b = inputs
    lower = attrs["lower"]
    db = solve_triangular(swap_last(a), dy, lower=not lower)
    da = neg(mat_mul(db, out, transpose_b=True))
    da = band_part(da, -1, 0) if lower else band_part(da, 0, -1)
    return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


# -- cholesky, svd, eigh ---------------------------------------------------------------------
def cholesky(x, upper: bool = False):
    """The Cholesky factor of symmetric positive definite matrices: lower ``l`` with
    ``x = l @ l.T`` (or upper ``u = l.T`` with ``upper=True``).

    >>> import layerflow as lf
    >>> lf.linalg.cholesky(lf.tensor([[4.0, 2.0], [2.0, 5.0]])).array_sync()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    x = _matrix_input(x, "x", "cholesky", square=True)
    low = run("cholesky", (x,), x.shape, x.dtype, grad=_cholesky_grad)
    return swap_last(low) if upper else low


def _cholesky_grad(dy, inputs, out, attrs):
    from layerflow.ops.creation import tensor
    from layerflow.ops.elementwise import add, mul

    n = out.shape[-1]
    l_inv = inv(out)
    middle = mat_mul(out, dy, transpose_a=True)
    weights = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    middle = mul(middle, tensor(weights, dtype=out.dtype))  # tril with the diagonal halved
    g = mat_mul(mat_mul(l_inv, middle, transpose_a=True), l_inv)
    return (mul(add(g, swap_last(g)), 0.5),)


def svd(x, full_matrices: bool = True, compute_uv: bool = True):
    """Singular value decomposition ``x = u @ diag(s) @ vh`` (as ``keras.ops.svd``).

    Returns ``(u, s, vh)``, or only ``s`` with ``compute_uv=False`` (which has a gradient).

    >>> import layerflow as lf
    >>> lf.linalg.svd(lf.tensor([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False).array_sync()
    [4.0, 3.0]
    """
    x = _matrix_input(x, "x", "svd")
    m, n = x.shape[-2:]
    k = None if m is None or n is None else min(m, n)
    batch = x.shape[:-2]
    attrs = {"full_matrices": bool(full_matrices), "compute_uv": bool(compute_uv)}
    if not compute_uv:
        (s,) = run_multi("svd", (x,), [(batch + (k,), x.dtype)], attrs, grad=_svd_grad)
        return s
    ku, kv = (m, n) if full_matrices else (k, k)
    u, s, vh = run_multi("svd", (x,), [(batch + (m, ku), x.dtype), (batch + (k,), x.dtype),
                                       (batch + (kv, n), x.dtype)], attrs)
    return u, s, vh


def _svd_grad(dys, inputs, outs, attrs):
    from layerflow.ops.elementwise import mul
    from layerflow.ops.shape import reshape

    (x,) = inputs
    ds = dys[0] if isinstance(dys, (list, tuple)) else dys
    u, _, vh = svd(x, full_matrices=False)
    scaled = mul(u, reshape(ds, ds.shape[:-1] + (1, ds.shape[-1])))
    return (mat_mul(scaled, vh),)


def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices: ``(w, v)``, with
    ``x @ v = v * w``. Only the lower triangle is read.

    >>> import layerflow as lf
    >>> w, v = lf.linalg.eigh(lf.tensor([[2.0, 0.0], [0.0, 1.0]]))
    >>> w.array_sync()
    [1.0, 2.0]
    """
    x = _matrix_input(x, "x", "eigh", square=True)
    w, v = run_multi("eigh", (x,), [(x.shape[:-1], x.dtype), (x.shape, x.dtype)],
                     grad=_eigh_grad)
    return w, v


def _eigh_grad(dys, inputs, outs, attrs):
    from layerflow.ops.creation import tensor
    from layerflow.ops.elementwise import add, div, mul, sub
    from layerflow.ops.shape import reshape

    dw, dv = dys
    w, v = outs
    n = w.shape[-1]
    eye = tensor(np.eye(n), dtype=w.dtype)
    row = reshape(w, w.shape[:-1] + (1, n))
    col = reshape(w, w.shape[:-1] + (n, 1))
    # f[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it
    f = mul(div(1.0, add(sub(row, col), eye)), tensor(1 - np.eye(n), dtype=w.dtype))
    inner = add(mul(reshape(dw, dw.shape[:-1] + (1, n)), eye),
                mul(f, mat_mul(v, dv, transpose_a=True)))
    g = mat_mul(v, mat_mul(inner, v, transpose_b=True))
    # the kernel reads only the lower triangle: fold the upper part onto it
    g = band_part(add(g, swap_last(g)), -1, 0)
    weights = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    return (mul(g, tensor(weights, dtype=w.dtype)),)
