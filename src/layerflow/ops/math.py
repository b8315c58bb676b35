"""Basic math: trigonometry, rounding, erf, tests of values, activations (part of the
elementwise family; re-exported by ``ops/elementwise.py``).

Float-math ops accept int32/bool input and give float32, as TF.js's kernels do; ``abs``,
``sign``, ``relu``, ``relu6`` and ``step`` keep int32.

>>> import layerflow as lf
>>> lf.relu(lf.tensor([-1.0, 2.0])).array_sync(), lf.abs(lf.tensor([-3])).array_sync()
([0.0, 2.0], [3])
"""

from __future__ import annotations

import builtins
import math as _pymath

from layerflow.engine import dtypes
from layerflow.errors import InvalidArgumentError
from layerflow.ops._define import as_tensor, chainable, run, unbroadcast
from layerflow.ops.elementwise import (
    add,
    cast,
    check_numeric,
    div,
    exp,
    float_binary,
    float_input,
    float_unary,
    mul,
    neg,
    numeric_unary,
    sqrt,
    square,
    sub,
    zero_grad,
)

__all__ = ["abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "atan2", "ceil", "floor",
           "round", "sign", "clip_by_value", "cos", "cosh", "sin", "sinh", "tan", "tanh",
           "expm1", "log1p", "rsqrt", "reciprocal", "erf", "is_finite", "is_inf", "is_nan",
           "step", "sigmoid", "log_sigmoid", "relu", "relu6", "elu", "selu", "leaky_relu",
           "prelu", "softplus", "gelu", "silu", "swish", "mish", "hard_sigmoid", "softsign",
           "hard_swish", "hard_silu"]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _mask(condition, like):
    """A bool tensor as 0/1 in ``like``'s dtype."""
    return cast(condition, like.dtype)


def _cmp(name):
    from layerflow.ops import logical

    return getattr(logical, name)


# -- abs, rounding, sign ---------------------------------------------------------------------
@chainable("abs", "__abs__")
def abs(x):  # noqa: A001  (TF.js's name)
    """``|x|`` elementwise (complex64 gives float32 magnitudes).

    >>> import layerflow as lf
    >>> lf.abs(lf.tensor([-1.5, 2.0])).array_sync()
    [1.5, 2.0]
    """
    x = as_tensor(x, "x", "abs")
    check_numeric(x, "abs")
    if x.dtype == "complex64":
        return run("abs", (x,), x.shape, "float32", grad=_complex_abs_grad)
    return numeric_unary("abs", x, _abs_grad)


def _abs_grad(dy, inputs, out, attrs):
    return (mul(dy, sign(inputs[0])),)


def _complex_abs_grad(dy, inputs, out, attrs):
    (x,) = inputs
    from layerflow.ops.logical import where

    safe = where(_cmp("equal")(out, 0), 1, out)
    scale = div(dy, safe)
    return (mul(x, complex(scale, mul(scale, 0))),)


def _float_fn(kernel: str, doc_example: str, grad, complex_ok: bool = False):
    def op(x):
        return float_unary(kernel, x, grad, complex_ok=complex_ok)

    op.__name__ = op.__qualname__ = kernel
    op.__doc__ = doc_example
    return chainable(kernel)(op)


ceil = _float_fn("ceil", """Smallest integer value not less than ``x``, elementwise.

    >>> import layerflow as lf
    >>> lf.ceil(lf.tensor([1.2, -1.2])).array_sync()
    [2.0, -1.0]
    """, zero_grad)

floor = _float_fn("floor", """Largest integer value not greater than ``x``, elementwise.

    >>> import layerflow as lf
    >>> lf.floor(lf.tensor([1.7, -1.2])).array_sync()
    [1.0, -2.0]
    """, zero_grad)

round = _float_fn("round", """``x`` rounded to the nearest integer, halves to even (TF.js).

    >>> import layerflow as lf
    >>> lf.round(lf.tensor([0.5, 1.5, 2.5, -0.5, 1.7])).array_sync()
    [0.0, 2.0, 2.0, -0.0, 2.0]
    """, zero_grad)  # noqa: A001


@chainable()
def sign(x):
    """-1, 0 or 1 with the sign of ``x`` (int32 stays int32).

    >>> import layerflow as lf
    >>> lf.sign(lf.tensor([-2, 0, 3])).array_sync()
    [-1, 0, 1]
    """
    return numeric_unary("sign", x, zero_grad, complex_ok=False)


@chainable()
def clip_by_value(x, clip_value_min, clip_value_max):
    """``x`` clipped to ``[clip_value_min, clip_value_max]`` (numbers); keeps ``x``'s dtype.

    >>> import layerflow as lf
    >>> lf.clip_by_value(lf.tensor([-2.0, 0.5, 3.0]), -1, 1).array_sync()
    [-1.0, 0.5, 1.0]
    """
    x = as_tensor(x, "x", "clip_by_value")
    check_numeric(x, "clip_by_value", complex_ok=False)
    lo = _number(clip_value_min, "clip_value_min")
    hi = _number(clip_value_max, "clip_value_max")
    if not lo <= hi:
        raise InvalidArgumentError(f"clip_by_value: clip_value_min ({lo}) must be <= "
                                   f"clip_value_max ({hi})")
    if x.dtype == "bool":
        x = cast(x, "int32")
    return run("clip_by_value", (x,), x.shape, x.dtype, {"lo": lo, "hi": hi},
               grad=_clip_grad)


def _number(value, name):
    if hasattr(value, "shape") and hasattr(value, "dtype") and not getattr(value, "_symbolic",
                                                                           False):
        if value.size != 1:
            raise InvalidArgumentError(f"clip_by_value: {name} must be a number, got a tensor "
                                       f"of shape {value.shape}")
        value = value.item()
    if isinstance(value, builtins.complex) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"clip_by_value: {name} must be a number, got "
                                       f"{value!r}") from None
    return value


def _clip_grad(dy, inputs, out, attrs):
    (x,) = inputs
    inside = _cmp("logical_and")(_cmp("greater_equal")(x, attrs["lo"]),
                                 _cmp("less_equal")(x, attrs["hi"]))
    return (mul(dy, _mask(inside, dy)),)


# -- trigonometry and friends ----------------------------------------------------------------
def _one_minus_sq(x):
    return sub(1, square(x))


cos = _float_fn("cos", """Cosine elementwise.

    >>> import layerflow as lf
    >>> lf.cos(lf.tensor([0.0])).array_sync()
    [1.0]
    """, lambda dy, inputs, out, attrs: (neg(mul(dy, sin(inputs[0]))),), complex_ok=True)

sin = _float_fn("sin", """Sine elementwise.

    >>> import layerflow as lf
    >>> lf.sin(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (mul(dy, cos(inputs[0])),), complex_ok=True)

tan = _float_fn("tan", """Tangent elementwise.

    >>> import layerflow as lf
    >>> lf.tan(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (div(dy, square(cos(inputs[0]))),))

cosh = _float_fn("cosh", """Hyperbolic cosine elementwise.

    >>> import layerflow as lf
    >>> lf.cosh(lf.tensor([0.0])).array_sync()
    [1.0]
    """, lambda dy, inputs, out, attrs: (mul(dy, sinh(inputs[0])),))

sinh = _float_fn("sinh", """Hyperbolic sine elementwise.

    >>> import layerflow as lf
    >>> lf.sinh(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (mul(dy, cosh(inputs[0])),))

tanh = _float_fn("tanh", """Hyperbolic tangent elementwise.

    >>> import layerflow as lf
    >>> lf.tanh(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (mul(dy, _one_minus_sq(out)),), complex_ok=True)

acos = _float_fn("acos", """Arc cosine elementwise.

    >>> import layerflow as lf
    >>> lf.acos(lf.tensor([1.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (neg(div(dy, sqrt(_one_minus_sq(inputs[0])))),))

asin = _float_fn("asin", """Arc sine elementwise.

    >>> import layerflow as lf
    >>> lf.asin(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (div(dy, sqrt(_one_minus_sq(inputs[0]))),))

atan = _float_fn("atan", """Arc tangent elementwise.

    >>> import layerflow as lf
    >>> lf.atan(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (div(dy, add(square(inputs[0]), 1)),))

acosh = _float_fn("acosh", """Inverse hyperbolic cosine elementwise.

    >>> import layerflow as lf
    >>> lf.acosh(lf.tensor([1.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (div(dy, sqrt(sub(square(inputs[0]), 1))),))

asinh = _float_fn("asinh", """Inverse hyperbolic sine elementwise.

    >>> import layerflow as lf
    >>> lf.asinh(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (div(dy, sqrt(add(square(inputs[0]), 1))),))

atanh = _float_fn("atanh", """Inverse hyperbolic tangent elementwise.

    >>> import layerflow as lf
    >>> lf.atanh(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (div(dy, _one_minus_sq(inputs[0])),))

expm1 = _float_fn("expm1", """``exp(x) - 1`` elementwise, accurate near 0.

    >>> import layerflow as lf
    >>> lf.expm1(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (mul(dy, exp(inputs[0])),))

log1p = _float_fn("log1p", """``log(1 + x)`` elementwise, accurate near 0.

    >>> import layerflow as lf
    >>> lf.log1p(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (div(dy, add(inputs[0], 1)),))

rsqrt = _float_fn("rsqrt", """``1 / sqrt(x)`` elementwise.

    >>> import layerflow as lf
    >>> lf.rsqrt(lf.tensor([4.0])).array_sync()
    [0.5]
    """, lambda dy, inputs, out, attrs: (mul(dy, mul(mul(out, square(out)), -0.5)),))

reciprocal = _float_fn("reciprocal", """``1 / x`` elementwise.

    >>> import layerflow as lf
    >>> lf.reciprocal(lf.tensor([4.0])).array_sync()
    [0.25]
    """, lambda dy, inputs, out, attrs: (neg(mul(dy, square(out))),), complex_ok=True)

erf = _float_fn("erf", """The Gauss error function elementwise.

    >>> import layerflow as lf
    >>> lf.erf(lf.tensor([0.0])).array_sync()
    [0.0]
    """, lambda dy, inputs, out, attrs: (
        mul(dy, mul(exp(neg(square(inputs[0]))), 2 / _pymath.sqrt(_pymath.pi))),))


@chainable()
def atan2(a, b):
    """The angle of the point ``(b, a)``: ``atan(a / b)`` in the right quadrant.

    >>> import layerflow as lf
    >>> lf.atan2(lf.tensor([0.0]), lf.tensor([1.0])).array_sync()
    [0.0]
    """
    return float_binary("atan2", a, b, _atan2_grad)


def _atan2_grad(dy, inputs, out, attrs):
    a, b = inputs
    d = add(square(a), square(b))
    return unbroadcast(div(mul(dy, b), d), a.shape), unbroadcast(neg(div(mul(dy, a), d)), b.shape)


# -- tests of values -------------------------------------------------------------------------
def _is(kernel, x):
    x = as_tensor(x, "x", kernel)
    check_numeric(x, kernel, complex_ok=False)
    return run(kernel, (x,), x.shape, "bool")


@chainable()
def is_finite(x):
    """True where ``x`` is neither infinite nor NaN.

    >>> import layerflow as lf
    >>> lf.is_finite(lf.tensor([1.0, float('inf'), float('nan')])).array_sync()
    [True, False, False]
    """
    return _is("is_finite", x)


@chainable()
def is_inf(x):
    """True where ``x`` is +inf or -inf.

    >>> import layerflow as lf
    >>> lf.is_inf(lf.tensor([1.0, float('-inf')])).array_sync()
    [False, True]
    """
    return _is("is_inf", x)


@chainable()
def is_nan(x):
    """True where ``x`` is NaN.

    >>> import layerflow as lf
    >>> lf.is_nan(lf.tensor([1.0, float('nan')])).array_sync()
    [False, True]
    """
    return _is("is_nan", x)


# -- activations -----------------------------------------------------------------------------
@chainable()
def step(x, alpha=0.0):
    """1 where ``x > 0``, else ``alpha`` (NaN stays NaN); keeps ``x``'s dtype.

    >>> import layerflow as lf
    >>> lf.step(lf.tensor([-1.0, 2.0]), 0.5).array_sync()
    [0.5, 1.0]
    """
    return numeric_unary("step", x, zero_grad, attrs={"alpha": float(alpha)},
                         complex_ok=False)


@chainable()
def relu(x):
    """``max(x, 0)`` elementwise (int32 stays int32).

    >>> import layerflow as lf
    >>> lf.relu(lf.tensor([-1, 2])).array_sync()
    [0, 2]
    """
    return numeric_unary("relu", x, _relu_grad, complex_ok=False)


def _relu_grad(dy, inputs, out, attrs):
    return (mul(dy, _mask(_cmp("greater")(inputs[0], 0), dy)),)


@chainable()
def relu6(x):
    """``min(max(x, 0), 6)`` elementwise.

    >>> import layerflow as lf
    >>> lf.relu6(lf.tensor([-1.0, 3.0, 8.0])).array_sync()
    [0.0, 3.0, 6.0]
    """
    return numeric_unary("relu6", x, _relu6_grad, complex_ok=False)


def _relu6_grad(dy, inputs, out, attrs):
    (x,) = inputs
    inside = _cmp("logical_and")(_cmp("greater")(x, 0), _cmp("less_equal")(x, 6))
    return (mul(dy, _mask(inside, dy)),)


@chainable()
def sigmoid(x):
    """``1 / (1 + exp(-x))`` elementwise.

    >>> import layerflow as lf
    >>> lf.sigmoid(lf.tensor([0.0])).array_sync()
    [0.5]
    """
    return float_unary("sigmoid", x, _sigmoid_grad, complex_ok=False)


def _sigmoid_grad(dy, inputs, out, attrs):
    return (mul(dy, mul(out, sub(1, out))),)


@chainable()
def log_sigmoid(x):
    """``log(sigmoid(x))`` elementwise, computed stably.

    >>> import layerflow as lf
    >>> print(f"{lf.log_sigmoid(lf.tensor(0.0)).item():.5f}")
    -0.69315
    """
    return float_unary("log_sigmoid", x, _log_sigmoid_grad, complex_ok=False)


def _log_sigmoid_grad(dy, inputs, out, attrs):
    return (mul(dy, sigmoid(neg(inputs[0]))),)


@chainable()
def softplus(x):
    """``log(1 + exp(x))`` elementwise, computed stably.

    >>> import layerflow as lf
    >>> print(f"{lf.softplus(lf.tensor(0.0)).item():.5f}")
    0.69315
    """
    return float_unary("softplus", x, _softplus_grad, complex_ok=False)


def _softplus_grad(dy, inputs, out, attrs):
    return (mul(dy, sigmoid(inputs[0])),)


@chainable()
def elu(x, alpha=1.0):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)`` (TF.js uses ``alpha = 1``).

    >>> import layerflow as lf
    >>> lf.elu(lf.tensor([0.0, 2.0])).array_sync()
    [0.0, 2.0]
    """
    return float_unary("elu", x, _elu_grad, attrs={"alpha": float(alpha)}, complex_ok=False)


def _elu_grad(dy, inputs, out, attrs):
    from layerflow.ops.logical import where

    (x,) = inputs
    return (mul(dy, where(_cmp("greater")(x, 0), 1, add(out, attrs["alpha"]))),)


@chainable()
def selu(x):
    """Scaled ELU: ``scale * (x if x > 0 else alpha * (exp(x) - 1))`` with the SELU constants.

    >>> import layerflow as lf
    >>> lf.selu(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    return float_unary("selu", x, _selu_grad, complex_ok=False)


def _selu_grad(dy, inputs, out, attrs):
    from layerflow.ops.logical import where

    (x,) = inputs
    slope = where(_cmp("greater")(x, 0), SELU_SCALE, add(out, SELU_SCALE * SELU_ALPHA))
    return (mul(dy, slope),)


@chainable()
def leaky_relu(x, alpha=0.2):
    """``x`` where ``x > 0``, else ``alpha * x``.

    >>> import layerflow as lf
    >>> lf.leaky_relu(lf.tensor([-1.0, 2.0]), 0.5).array_sync()
    [-0.5, 2.0]
    """
    return float_unary("leaky_relu", x, _leaky_relu_grad, attrs={"alpha": float(alpha)},
                       complex_ok=False)


def _leaky_relu_grad(dy, inputs, out, attrs):
    from layerflow.ops.logical import where

    return (mul(dy, where(_cmp("greater")(inputs[0], 0), 1, attrs["alpha"])),)


@chainable()
def prelu(x, alpha):
    """Leaky ReLU with a learned slope tensor ``alpha`` (broadcast against ``x``).

    >>> import layerflow as lf
    >>> lf.prelu(lf.tensor([-2.0, 2.0]), lf.tensor([0.25])).array_sync()
    [-0.5, 2.0]
    """
    from layerflow.ops._define import binary_inputs, broadcast_shapes
    from layerflow.ops.logical import where

    x, alpha = binary_inputs(x, alpha, "prelu", ("x", "alpha"))
    check_numeric(x, "prelu", complex_ok=False)
    broadcast_shapes(x.shape, alpha.shape, "prelu")
    if not dtypes.is_float(x.dtype):
        x, alpha = cast(x, "float32"), cast(alpha, "float32")
    return where(_cmp("greater")(x, 0), x, mul(alpha, x))


# -- Keras extras (composites) ---------------------------------------------------------------
def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * Phi(x)``; ``approximate=True`` uses the tanh form.

    >>> import layerflow as lf
    >>> lf.gelu(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    x = float_input(x, "gelu")
    if approximate:
        c = _pymath.sqrt(2 / _pymath.pi)
        inner = mul(add(x, mul(mul(x, square(x)), 0.044715)), c)
        return mul(mul(x, 0.5), add(tanh(inner), 1))
    return mul(mul(x, 0.5), add(erf(mul(x, 1 / _pymath.sqrt(2))), 1))


def silu(x):
    """``x * sigmoid(x)`` (also called swish).

    >>> import layerflow as lf
    >>> lf.silu(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    x = float_input(x, "silu")
    return mul(x, sigmoid(x))


swish = silu


def mish(x):
    """``x * tanh(softplus(x))``.

    >>> import layerflow as lf
    >>> lf.mish(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    x = float_input(x, "mish")
    return mul(x, tanh(softplus(x)))


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid: ``relu6(x + 3) / 6``.

    >>> import layerflow as lf
    >>> lf.hard_sigmoid(lf.tensor([-4.0, 0.0, 4.0])).array_sync()
    [0.0, 0.5, 1.0]
    """
    x = float_input(x, "hard_sigmoid")
    return div(relu6(add(x, 3)), 6)


def softsign(x):
    """``x / (1 + |x|)``.

    >>> import layerflow as lf
    >>> lf.softsign(lf.tensor([1.0, -3.0])).array_sync()
    [0.5, -0.75]
    """
    x = float_input(x, "softsign")
    return div(x, add(abs(x), 1))


def hard_swish(x):
    """``x * relu6(x + 3) / 6`` (also called hard_silu).

    >>> import layerflow as lf
    >>> lf.hard_swish(lf.tensor([-4.0, 0.0, 4.0])).array_sync()
    [-0.0, 0.0, 4.0]
    """
    x = float_input(x, "hard_swish")
    return mul(x, hard_sigmoid(x))


hard_silu = hard_swish
