"""One helper per kind of check: an op's forward against NumPy, its gradient against central
finite differences in float64.

Tolerances are fixed here, for every op (never loosened per op):

- forward, float32: ``rtol=1e-5, atol=1e-6`` against the NumPy reference computed in float64
  then cast (so the reference itself is exact to float32 rounding);
- gradients, float64: central differences with ``eps=1e-6``, ``atol=1e-5, rtol=1e-3``
  (torch.autograd.gradcheck's defaults).

Usage::

    check_forward(lf.exp, np.exp, [x])                 # x: NumPy arrays
    check_grad(lf.exp, [x])                            # float64 gradcheck on the active backend
"""

from __future__ import annotations

import numpy as np

import layerflow as lf
from layerflow.engine import dtypes

FWD_RTOL, FWD_ATOL = 1e-5, 1e-6
GRAD_EPS, GRAD_RTOL, GRAD_ATOL = 1e-6, 1e-3, 1e-5


def check_forward(lf_fn, np_fn, inputs, dtype=None, rtol=FWD_RTOL, atol=FWD_ATOL, **kwargs):
    """``lf_fn(*tensors, **kwargs)`` equals ``np_fn(*arrays, **kwargs)`` in values, shape and
    (when ``dtype`` is given) dtype. Returns the layerflow result."""
    tensors = [lf.tensor(x) if isinstance(x, np.ndarray) else x for x in inputs]
    got = lf_fn(*tensors, **kwargs)
    want = np_fn(*inputs, **kwargs)
    _compare(got, want, dtype, rtol, atol)
    return got


def _compare(got, want, dtype, rtol, atol):
    if isinstance(got, (list, tuple)):
        assert len(got) == len(want), f"expected {len(want)} outputs, got {len(got)}"
        for g, w in zip(got, want):
            _compare(g, w, dtype, rtol, atol)
        return
    assert isinstance(got, lf.Tensor), f"expected a Tensor, got {type(got)}"
    want = np.asarray(want)
    assert got.shape == want.shape, f"shape {got.shape} != reference {want.shape}"
    if dtype is not None:
        assert got.dtype == dtype, f"dtype {got.dtype} != {dtype}"
    array = got.numpy()
    stored = dtypes.to_numpy(got.dtype)
    assert array.dtype == stored, f"{got.dtype} tensor stores {array.dtype}, not {stored}"
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(array, want, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(array, want)


def check_grad(lf_fn, inputs, wrt=None, eps=GRAD_EPS, rtol=GRAD_RTOL, atol=GRAD_ATOL,
               seed=0, **kwargs):
    """The gradient of ``lf_fn`` with respect to its float inputs matches finite differences.

    The scalar checked is ``sum(lf_fn(*x) * w)`` with a fixed random ``w``, so every output
    element counts with a different weight. Inputs are cast to float64.
    """
    arrays = [np.asarray(x, dtype=np.float64) for x in inputs]
    wrt = range(len(arrays)) if wrt is None else wrt
    tensors = [lf.tensor(a, dtype="float64") for a in arrays]
    out = lf_fn(*tensors, **kwargs)
    outs = out if isinstance(out, (list, tuple)) else [out]
    weights = [np.random.default_rng(seed + i).uniform(0.5, 1.5, size=o.shape)
               for i, o in enumerate(outs)]

    def objective(*xs):
        result = lf_fn(*xs, **kwargs)
        results = result if isinstance(result, (list, tuple)) else [result]
        total = None
        for r, w in zip(results, weights):
            term = lf.sum(lf.mul(r, lf.tensor(w, dtype="float64")))
            total = term if total is None else lf.add(total, term)
        return total

    def scalar(*xs_np):
        return float(objective(*[lf.tensor(x, dtype="float64") for x in xs_np]).item())

    analytic = lf.grads(objective)(tensors)
    for i in wrt:
        numeric = np.zeros_like(arrays[i])
        for index in np.ndindex(arrays[i].shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[i][index] += eps
            minus[i][index] -= eps
            numeric[index] = (scalar(*plus) - scalar(*minus)) / (2 * eps)
        np.testing.assert_allclose(analytic[i].numpy(), numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")


def check_second_order(lf_fn, x, eps=GRAD_EPS, rtol=GRAD_RTOL, atol=GRAD_ATOL):
    """d/dx sum(grad(f)(x)) matches finite differences of sum(grad(f)(x)) (one input)."""
    x = np.asarray(x, dtype=np.float64)

    def first(t):
        return lf.sum(lf.grad(lambda u: lf.sum(lf_fn(u)))(t))

    analytic = lf.grad(first)(lf.tensor(x, dtype="float64")).numpy()
    numeric = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (first(lf.tensor(plus, dtype="float64")).item()
                          - first(lf.tensor(minus, dtype="float64")).item()) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol)
