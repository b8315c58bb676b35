"""Matrix and linalg kernels (``ops/matrices.py`` and ``ops/linalg.py``), shared by NumPy and
jax.numpy (``xp``).

Decompositions run in float32 at least (NumPy's LAPACK has no float16) and cast back to the
declared ``dtype``.
"""

from __future__ import annotations

import numpy as np

_LOW = ("float16", "bfloat16")


def _up(x):
    """``x`` in a dtype LAPACK accepts (float16/bfloat16 computed in float32)."""
    return x.astype(np.float32) if str(x.dtype) in _LOW else x


def kernels(xp) -> dict:
    def mat_mul(a, b, transpose_a=False, transpose_b=False, dtype=None):
        if transpose_a:
            a = xp.swapaxes(a, -1, -2)
        if transpose_b:
            b = xp.swapaxes(b, -1, -2)
        out = xp.matmul(a, b)
        return out if dtype is None or out.dtype == dtype else out.astype(dtype)

    def einsum(*arrays, equation, dtype):
        out = xp.einsum(equation, *arrays, optimize=len(arrays) > 1)
        return out if out.dtype == dtype else out.astype(dtype)

    def band_part(a, num_lower, num_upper):
        m, n = a.shape[-2], a.shape[-1]
        i = np.arange(m)[:, None]
        j = np.arange(n)[None, :]
        keep = np.ones((m, n), dtype=bool)
        if num_lower >= 0:
            keep &= (i - j) <= num_lower
        if num_upper >= 0:
            keep &= (j - i) <= num_upper
        return xp.where(xp.asarray(keep), a, xp.zeros((), dtype=a.dtype))

    def eq_mask(x, y):
        return (x == y).astype(x.dtype)

    def reduce_max(x, axis, keepdims):
        return xp.max(x, axis=axis, keepdims=keepdims)

    def reduce_min(x, axis, keepdims):
        return xp.min(x, axis=axis, keepdims=keepdims)

    def qr(x, full_matrices):
        q, r = xp.linalg.qr(_up(x), mode="complete" if full_matrices else "reduced")
        return q.astype(x.dtype), r.astype(x.dtype)

    def inv(a):
        return xp.linalg.inv(_up(a)).astype(a.dtype)

    def det(a):
        return xp.linalg.det(_up(a)).astype(a.dtype)

    def slogdet(a):
        sign, logdet = xp.linalg.slogdet(_up(a))
        return sign.astype(a.dtype), logdet.astype(a.dtype)

    def solve(a, b):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(_up(a), batch + a.shape[-2:])
        b_up = xp.broadcast_to(_up(b), batch + b.shape[-2:])
        return xp.linalg.solve(a, b_up).astype(b.dtype)

    def solve_triangular(a, b, lower):
        a = xp.tril(a) if lower else xp.triu(a)
        return solve(a, b)

    def cholesky(a):
        return xp.linalg.cholesky(_up(a)).astype(a.dtype)

    def svd(x, full_matrices, compute_uv):
        if not compute_uv:
            return (xp.linalg.svd(_up(x), compute_uv=False).astype(x.dtype),)
        u, s, vh = xp.linalg.svd(_up(x), full_matrices=full_matrices)
        return u.astype(x.dtype), s.astype(x.dtype), vh.astype(x.dtype)

    def eigh(x):
        w, v = xp.linalg.eigh(_up(x))
        return w.astype(x.dtype), v.astype(x.dtype)

    return {
        "mat_mul": mat_mul,
        "einsum": einsum,
        "band_part": band_part,
        "linalg_swap": lambda x: xp.swapaxes(x, -1, -2),
        "linalg_abs": xp.abs,
        "linalg_sign": xp.sign,
        "linalg_eq_mask": eq_mask,
        "linalg_max": reduce_max,
        "linalg_min": reduce_min,
        "qr": qr,
        "inv": inv,
        "det": det,
        "slogdet": slogdet,
        "solve": solve,
        "solve_triangular": solve_triangular,
        "cholesky": cholesky,
        "svd": svd,
        "eigh": eigh,
    }


def numpy_kernels() -> dict:
    def mat_mul(a, b, transpose_a=False, transpose_b=False, dtype=None):
        # NOTE: the training hot path: plain np.matmul on (possibly transposed) views -> BLAS.
        if transpose_a:
            a = a.swapaxes(-1, -2)
        if transpose_b:
            b = b.swapaxes(-1, -2)
        out = np.matmul(a, b)
        return out if dtype is None or out.dtype == dtype else out.astype(dtype)

    return {"mat_mul": mat_mul}


def jax_kernels() -> dict:
    import jax.numpy as jnp

    def eigh(x):
        # NOTE: read only the lower triangle, as NumPy/LAPACK do (jax symmetrises by default)
        w, v = jnp.linalg.eigh(_up(x), UPLO="L", symmetrize_input=False)
        return w.astype(x.dtype), v.astype(x.dtype)

    def solve_triangular(a, b, lower):
        from jax.scipy.linalg import solve_triangular as triangular

        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a_up = jnp.broadcast_to(_up(a), batch + a.shape[-2:])
        b_up = jnp.broadcast_to(_up(b), batch + b.shape[-2:])
        return triangular(a_up, b_up, lower=lower).astype(b.dtype)

    return {"eigh": eigh, "solve_triangular": solve_triangular}
