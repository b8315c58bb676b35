"""Elementwise kernels, shared by NumPy and jax.numpy (``xp``).

Every kernel returns exactly the dtype its op declared: kernels that mix an array with a Python
number, or compute in a wider dtype, cast back with ``.astype``. On NumPy, every kernel runs
under ``np.errstate(all="ignore")``: ``log(0) = -inf`` and ``1 / 0 = inf`` are results (as in
TF.js), not warnings.
"""

from __future__ import annotations

import functools
import math

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def kernels(xp) -> dict:
    def add_n(*xs):
        return functools.reduce(xp.add, xs)

    def power(a, b):
        if a.dtype.kind in "iub":
            # NOTE: as TF.js, int ** negative int truncates (2 ** -1 = 0) instead of failing.
            wide = xp.power(a.astype(np.float64), b.astype(np.float64))
            return xp.trunc(wide).astype(a.dtype)
        return xp.power(a, b)

    def div_no_nan(a, b):
        zero = b == 0
        safe = xp.where(zero, xp.ones_like(b), b)
        return xp.where(zero, xp.zeros_like(a), a / safe).astype(a.dtype)

    def clip(x, lo, hi):
        return xp.minimum(xp.maximum(x, lo), hi).astype(x.dtype)

    def step(x, alpha):
        out = xp.where(x > 0, xp.ones_like(x), xp.full_like(x, alpha))
        if x.dtype.kind in "fc":
            out = xp.where(xp.isnan(x), x, out)
        return out.astype(x.dtype)

    def elu(x, alpha):
        return xp.where(x > 0, x, alpha * xp.expm1(x)).astype(x.dtype)

    def selu(x):
        return (SELU_SCALE * xp.where(x > 0, x, SELU_ALPHA * xp.expm1(x))).astype(x.dtype)

    def leaky_relu(x, alpha):
        return xp.where(x > 0, x, alpha * x).astype(x.dtype)

    def sigmoid(x):
        return xp.exp(-xp.logaddexp(0, -x)).astype(x.dtype)

    def real(x):
        return xp.real(x).astype(np.float32 if x.dtype.kind == "c" else x.dtype)

    def imag(x):
        return xp.imag(x).astype(np.float32 if x.dtype.kind == "c" else x.dtype)

    return {
        "identity": lambda x: x,
        "add": xp.add,
        "sub": xp.subtract,
        "mul": xp.multiply,
        "div": xp.true_divide,
        "floor_div": xp.floor_divide,
        "neg": xp.negative,
        "cast": lambda x, dtype: x.astype(dtype),
        "exp": xp.exp,
        "log": xp.log,
        "square": xp.square,
        "sqrt": xp.sqrt,
        # arithmetic
        "add_n": add_n,
        "mod": xp.mod,
        "pow": power,
        "maximum": xp.maximum,
        "minimum": xp.minimum,
        "squared_difference": lambda a, b: xp.square(a - b),
        "div_no_nan": div_no_nan,
        # basic math
        "abs": xp.abs,
        "acos": xp.arccos,
        "acosh": xp.arccosh,
        "asin": xp.arcsin,
        "asinh": xp.arcsinh,
        "atan": xp.arctan,
        "atanh": xp.arctanh,
        "atan2": xp.arctan2,
        "ceil": xp.ceil,
        "floor": xp.floor,
        "round": xp.round,
        "sign": xp.sign,
        "clip_by_value": clip,
        "cos": xp.cos,
        "cosh": xp.cosh,
        "sin": xp.sin,
        "sinh": xp.sinh,
        "tan": xp.tan,
        "tanh": xp.tanh,
        "expm1": xp.expm1,
        "log1p": xp.log1p,
        "rsqrt": lambda x: (1 / xp.sqrt(x)).astype(x.dtype),
        "reciprocal": lambda x: (1 / x).astype(x.dtype),
        "is_finite": xp.isfinite,
        "is_inf": xp.isinf,
        "is_nan": xp.isnan,
        "step": step,
        "sigmoid": sigmoid,
        "log_sigmoid": lambda x: (-xp.logaddexp(0, -x)).astype(x.dtype),
        "softplus": lambda x: xp.logaddexp(0, x).astype(x.dtype),
        "relu": lambda x: xp.maximum(x, 0).astype(x.dtype),
        "relu6": lambda x: xp.minimum(xp.maximum(x, 0), 6).astype(x.dtype),
        "elu": elu,
        "selu": selu,
        "leaky_relu": leaky_relu,
        # complex
        "real": real,
        "imag": imag,
        # comparisons and logic
        "equal": xp.equal,
        "not_equal": xp.not_equal,
        "greater": xp.greater,
        "greater_equal": xp.greater_equal,
        "less": xp.less,
        "less_equal": xp.less_equal,
        "logical_and": xp.logical_and,
        "logical_or": xp.logical_or,
        "logical_not": xp.logical_not,
        "logical_xor": xp.logical_xor,
        "bitwise_and": xp.bitwise_and,
        "where": xp.where,
    }


# -- NumPy -------------------------------------------------------------------------------------
_SQRT_PI = math.sqrt(math.pi)
_ERF_SERIES_TERMS = 60
_ERF_CF_DEPTH = 60
_ERF_SPLIT = 2.5


def _erf_np(x: np.ndarray) -> np.ndarray:
    """erf with NumPy only, to float64 accuracy (~1e-15), vectorised.

    |x| < 2.5: erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)) (all terms
    positive, no cancellation). |x| >= 2.5: erfc(|x|) from its continued fraction
    exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), erf = sign(x)(1 - erfc).
    """
    dtype = x.dtype
    v = np.asarray(x, dtype=np.float64)
    a = np.abs(v)
    small = np.minimum(a, _ERF_SPLIT)
    x2 = small * small
    term = small.copy()
    total = small.copy()
    for n in range(1, _ERF_SERIES_TERMS):
        term = term * (2.0 * x2 / (2 * n + 1))
        total = total + term
    series = 2.0 / _SQRT_PI * np.exp(-x2) * total
    big = np.maximum(a, _ERF_SPLIT)
    t = big.copy()
    for k in range(_ERF_CF_DEPTH, 0, -1):
        t = big + (k / 2.0) / t
    erfc = np.exp(-big * big) / _SQRT_PI / t
    out = np.where(a < _ERF_SPLIT, series, 1.0 - erfc)
    out = np.where(np.isnan(v), v, np.sign(v) * out)
    return out.astype(dtype)


def _complex_np(re, im):
    out = np.empty(np.broadcast_shapes(re.shape, im.shape), dtype=np.complex64)
    out.real = re
    out.imag = im
    return out


def _quiet(fn):
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return wrapped


def numpy_kernels() -> dict:
    table = kernels(np)
    table["erf"] = _erf_np
    table["complex"] = _complex_np
    # NOTE: these override the shared table, which the backend loaded first. np.errstate costs
    # about a microsecond per call, so the cheapest, hottest kernels (which cannot divide by
    # zero or leave a function's domain) skip it.
    return {name: fn if name in _NO_ERRSTATE else _quiet(fn) for name, fn in table.items()}


_NO_ERRSTATE = frozenset({
    "identity", "add", "sub", "mul", "neg", "cast", "relu", "maximum", "minimum", "abs", "sign",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
    "logical_or", "logical_not", "logical_xor", "where", "floor", "ceil", "round",
})


# -- jax -----------------------------------------------------------------------------------------
def jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp

    def complex_(re, im):
        re, im = jnp.broadcast_arrays(re.astype(jnp.float32), im.astype(jnp.float32))
        return jax.lax.complex(re, im)

    return {
        "erf": lambda x: jax.lax.erf(x).astype(x.dtype),
        "complex": complex_,
        "sigmoid": lambda x: jax.nn.sigmoid(x).astype(x.dtype),
        "rsqrt": lambda x: jax.lax.rsqrt(x).astype(x.dtype),
    }
