"""Elementwise ops: arithmetic, basic math, comparisons and logic, cast.

Binary ops broadcast as NumPy and TF.js do and promote dtypes with TF.js's ``upcastType``;
their gradients sum back over the broadcast axes (:func:`unbroadcast`). Float-math unary ops
(``exp``, ``log``, ``sin`` ...) accept int32/bool input and give float32, as TF.js's kernels do.

>>> import layerflow as lf
>>> (lf.tensor([1, 2]) + 1).array_sync(), lf.exp(lf.tensor([0.0])).array_sync()
([2, 3], [1.0])
"""

from __future__ import annotations

from layerflow.engine import dtypes
from layerflow.engine.tensor import Tensor
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import (
    as_tensor,
    binary_inputs,
    broadcast_shapes,
    chainable,
    run,
    unbroadcast,
)

# NOTE: the family is split in three modules: this one (arithmetic, cast, complex/real/imag,
# exp/log/sqrt/square), ops/math.py (basic math, activations) and ops/logical.py (comparisons,
# logic, where).
# Their names are re-exported from here, loaded lazily by __getattr__ below so that either
# module may be imported first without an import cycle.
_MATH = ("abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "atan2", "ceil", "floor",
         "round", "sign", "clip_by_value", "cos", "cosh", "sin", "sinh", "tan", "tanh", "expm1",
         "log1p", "rsqrt", "reciprocal", "erf", "is_finite", "is_inf", "is_nan", "step",
         "sigmoid", "log_sigmoid", "relu", "relu6", "elu", "selu", "leaky_relu", "prelu",
         "softplus", "gelu", "silu", "swish", "mish", "hard_sigmoid", "softsign", "hard_swish",
         "hard_silu")
_LOGICAL = ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
            "logical_and", "logical_or", "logical_not", "logical_xor", "bitwise_and", "where")

__all__ = ["add", "sub", "mul", "div", "neg", "cast", "exp", "log", "square", "sqrt",  # noqa: F822
           "add_n", "floor_div", "mod", "pow", "maximum", "minimum", "squared_difference",
           "div_no_nan", "complex", "real", "imag", *_MATH, *_LOGICAL]


def __getattr__(name: str):
    if name in _MATH:
        from layerflow.ops import math as module
    elif name in _LOGICAL:
        from layerflow.ops import logical as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)


# -- helpers -------------------------------------------------------------------------------
def binary(kernel: str, a, b, grad, op: str | None = None):
    """Run a broadcasting binary op after converting and promoting its inputs."""
    # NOTE: fast path for the common eager case (two tensors, one dtype): skips conversion.
    if type(a) is Tensor and type(b) is Tensor and a.dtype == b.dtype and a.dtype != "string" \
            and a._data is not None and b._data is not None:
        shape = a.shape if a.shape == b.shape else broadcast_shapes(a.shape, b.shape, op or kernel)
        return run(kernel, (a, b), shape, a.dtype, None, grad)
    op = op or kernel
    a, b = binary_inputs(a, b, op)
    check_numeric(a, op)
    shape = broadcast_shapes(a.shape, b.shape, op)
    return run(kernel, (a, b), shape, a.dtype, grad=grad)


def check_numeric(x, op: str, name: str = "x", complex_ok: bool = True) -> None:
    """Raise a DTypeError naming ``op`` unless ``x`` is numeric (or bool)."""
    if x.dtype == "string" or (not complex_ok and x.dtype == "complex64"):
        raise DTypeError(f"{op}: expected a {'numeric' if complex_ok else 'real'} tensor for "
                         f"'{name}', got dtype {x.dtype}")


def float_input(x, op: str, name: str = "x", complex_ok: bool = False):
    """``x`` as a float tensor for float math (int32/bool become float32); strings raise."""
    x = as_tensor(x, name, op)
    check_numeric(x, op, name, complex_ok)
    if not dtypes.is_floating_or_complex(x.dtype):
        x = cast(x, "float32")
    return x


def float_binary(kernel: str, a, b, grad, op: str | None = None):
    """A binary float-math op: promoted inputs, int32/bool made float32, real dtypes only."""
    op = op or kernel
    a, b = binary_inputs(a, b, op)
    check_numeric(a, op, "a", complex_ok=False)
    if not dtypes.is_float(a.dtype):
        a, b = cast(a, "float32"), cast(b, "float32")
    shape = broadcast_shapes(a.shape, b.shape, op)
    return run(kernel, (a, b), shape, a.dtype, grad=grad)


def float_unary(kernel: str, x, grad, op: str | None = None, attrs: dict | None = None,
                complex_ok: bool = True):
    """Run a float-math unary op; int32/bool input is cast to float32 first (as TF.js)."""
    op = op or kernel
    x = as_tensor(x, "x", op)
    check_numeric(x, op, complex_ok=complex_ok)
    if not dtypes.is_floating_or_complex(x.dtype):
        x = cast(x, "float32")
    return run(kernel, (x,), x.shape, x.dtype, attrs, grad=grad)


def numeric_unary(kernel: str, x, grad, op: str | None = None, attrs: dict | None = None,
                  complex_ok: bool = True):
    """Run a unary op defined on every numeric dtype (neg, abs, square ...); bool becomes int32."""
    op = op or kernel
    x = as_tensor(x, "x", op)
    check_numeric(x, op, complex_ok=complex_ok)
    if x.dtype == "bool":
        x = cast(x, "int32")
    return run(kernel, (x,), x.shape, x.dtype, attrs, grad=grad)


def zero_grad(dy, inputs, out, attrs):
    """The gradient of a piecewise-constant op (floor, sign ...): zeros for every input."""
    from layerflow.ops.creation import zeros_like

    return tuple(zeros_like(t) for t in inputs)


# -- arithmetic ------------------------------------------------------------------------------
@chainable("add", "__add__")
def add(a, b):
    """``a + b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.add(lf.tensor([1, 2]), lf.tensor([10, 20])).array_sync()
    [11, 22]
    """
    return binary("add", a, b, _add_grad)


def _add_grad(dy, inputs, out, attrs):
    a, b = inputs
    return unbroadcast(dy, a.shape), unbroadcast(dy, b.shape)


@chainable("sub", "__sub__")
def sub(a, b):
    """``a - b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.sub(lf.tensor([10, 20]), 1).array_sync()
    [9, 19]
    """
    a, b = binary_inputs(a, b, "sub")
    if a.dtype == "bool":  # NOTE: bool - bool has no bool result; compute it in int32
        a, b = cast(a, "int32"), cast(b, "int32")
    return binary("sub", a, b, _sub_grad)


def _sub_grad(dy, inputs, out, attrs):
    a, b = inputs
    return unbroadcast(dy, a.shape), unbroadcast(neg(dy), b.shape)


@chainable("mul", "__mul__")
def mul(a, b):
    """``a * b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.mul(lf.tensor([1.0, 2.0]), 3).array_sync()
    [3.0, 6.0]
    """
    return binary("mul", a, b, _mul_grad)


def _mul_grad(dy, inputs, out, attrs):
    a, b = inputs
    return unbroadcast(mul(dy, b), a.shape), unbroadcast(mul(dy, a), b.shape)


@chainable("div", "__truediv__")
def div(a, b):
    """``a / b`` elementwise. Two int32 inputs divide with floor, as TF.js's ``div`` does.

    >>> import layerflow as lf
    >>> lf.div(lf.tensor([1.0, 3.0]), 2).array_sync(), lf.div(lf.tensor([7]), 2).array_sync()
    ([0.5, 1.5], [3])
    """
    a, b = binary_inputs(a, b, "div")
    check_numeric(a, "div", "a")
    shape = broadcast_shapes(a.shape, b.shape, "div")
    if a.dtype in ("int32", "bool"):
        a, b = _int32(a), _int32(b)
        return run("floor_div", (a, b), shape, "int32")
    return run("div", (a, b), shape, a.dtype, grad=_div_grad)


def _div_grad(dy, inputs, out, attrs):
    a, b = inputs
    return (unbroadcast(div(dy, b), a.shape),
            unbroadcast(neg(div(mul(dy, a), mul(b, b))), b.shape))


@chainable("neg", "__neg__")
def neg(x):
    """``-x`` elementwise.

    >>> import layerflow as lf
    >>> lf.neg(lf.tensor([1, -2])).array_sync()
    [-1, 2]
    """
    return numeric_unary("neg", x, _neg_grad)


def _neg_grad(dy, inputs, out, attrs):
    return (neg(dy),)


@chainable("cast")
def cast(x, dtype):
    """``x`` converted to ``dtype`` (floats to int32 truncate toward zero, as TF.js).

    >>> import layerflow as lf
    >>> lf.cast(lf.tensor([1.7, -1.7]), 'int32').array_sync()
    [1, -1]
    """
    x = as_tensor(x, "x", "cast")
    dtype = dtypes.canonical(dtype)
    if (x.dtype == "string") != (dtype == "string"):
        raise DTypeError(f"cast: cannot cast dtype {x.dtype} to {dtype}")
    if dtype == x.dtype:
        return run("identity", (x,), x.shape, dtype, grad=_cast_grad)
    return run("cast", (x,), x.shape, dtype, {"dtype": dtypes.to_numpy(dtype)}, grad=_cast_grad)


def _cast_grad(dy, inputs, out, attrs):
    (x,) = inputs
    if not dtypes.is_floating_or_complex(x.dtype):
        return (None,)
    return (cast(dy, x.dtype),)


# -- basic math --------------------------------------------------------------------------------
@chainable()
def exp(x):
    """``e ** x`` elementwise.

    >>> import layerflow as lf
    >>> round(lf.exp(lf.tensor(1.0)).item(), 5)
    2.71828
    """
    return float_unary("exp", x, _exp_grad)


def _exp_grad(dy, inputs, out, attrs):
    return (mul(dy, out),)


@chainable()
def log(x):
    """Natural logarithm elementwise.

    >>> import layerflow as lf
    >>> lf.log(lf.tensor([1.0])).array_sync()
    [0.0]
    """
    return float_unary("log", x, _log_grad)


def _log_grad(dy, inputs, out, attrs):
    return (div(dy, inputs[0]),)


@chainable()
def square(x):
    """``x * x`` elementwise.

    >>> import layerflow as lf
    >>> lf.square(lf.tensor([2, 3])).array_sync()
    [4, 9]
    """
    return numeric_unary("square", x, _square_grad)


def _square_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (mul(dy, mul(x, 2)),)


@chainable()
def sqrt(x):
    """Square root elementwise.

    >>> import layerflow as lf
    >>> lf.sqrt(lf.tensor([4.0, 9.0])).array_sync()
    [2.0, 3.0]
    """
    return float_unary("sqrt", x, _sqrt_grad)


def _sqrt_grad(dy, inputs, out, attrs):
    return (div(dy, mul(out, 2)),)


# -- more arithmetic ---------------------------------------------------------------------------
def _int32(x):
    return cast(x, "int32") if x.dtype == "bool" else x


def add_n(tensors):
    """The sum of a list of tensors of the same shape and dtype (TF.js ``addN``).

    >>> import layerflow as lf
    >>> lf.add_n([lf.tensor([1, 2]), lf.tensor([3, 4]), lf.tensor([5, 6])]).array_sync()
    [9, 12]
    """
    if isinstance(tensors, (str, bytes)) or not hasattr(tensors, "__len__") or \
            getattr(tensors, "_symbolic", None) is not None:
        raise InvalidArgumentError("add_n: expected a list of tensors")
    if len(tensors) == 0:
        raise InvalidArgumentError("add_n: expected a non-empty list of tensors, got 0")
    ts = [as_tensor(t, f"tensors[{i}]", "add_n") for i, t in enumerate(tensors)]
    first = ts[0]
    for i, t in enumerate(ts):
        check_numeric(t, "add_n", f"tensors[{i}]")
        if t.dtype != first.dtype:
            raise DTypeError(f"add_n: all tensors must have the same dtype, got {first.dtype} "
                             f"(tensors[0]) and {t.dtype} (tensors[{i}])")
        if len(t.shape) != len(first.shape) or any(
                x is not None and y is not None and x != y for x, y in zip(t.shape, first.shape)):
            raise ShapeError(f"add_n: all tensors must have the same shape, got {first.shape} "
                             f"(tensors[0]) and {t.shape} (tensors[{i}])")
    if len(ts) == 1:
        return run("identity", (first,), first.shape, first.dtype, grad=_add_n_grad)
    shape = tuple(next((d for d in dims if d is not None), None)
                  for dims in zip(*(t.shape for t in ts)))
    return run("add_n", tuple(ts), shape, first.dtype, grad=_add_n_grad)


def _add_n_grad(dy, inputs, out, attrs):
    return tuple(dy for _ in inputs)


@chainable("floor_div", "__floordiv__")
def floor_div(a, b):
    """``floor(a / b)`` elementwise, with broadcasting; int32 inputs stay int32.

    >>> import layerflow as lf
    >>> lf.floor_div(lf.tensor([7, -7]), 2).array_sync()
    [3, -4]
    """
    a, b = binary_inputs(a, b, "floor_div")
    check_numeric(a, "floor_div", "a", complex_ok=False)
    a, b = _int32(a), _int32(b)
    shape = broadcast_shapes(a.shape, b.shape, "floor_div")
    return run("floor_div", (a, b), shape, a.dtype, grad=zero_grad)


@chainable("mod", "__mod__")
def mod(a, b):
    """Floor remainder ``a - floor(a / b) * b``: the result has the sign of ``b`` (as TF.js and
    Python's ``%``).

    >>> import layerflow as lf
    >>> lf.mod(lf.tensor([5, -5]), 3).array_sync()
    [2, 1]
    """
    a, b = binary_inputs(a, b, "mod")
    check_numeric(a, "mod", "a", complex_ok=False)
    a, b = _int32(a), _int32(b)
    shape = broadcast_shapes(a.shape, b.shape, "mod")
    return run("mod", (a, b), shape, a.dtype, grad=_mod_grad)


def _mod_grad(dy, inputs, out, attrs):
    a, b = inputs
    from layerflow.ops.math import floor

    return (unbroadcast(dy, a.shape),
            unbroadcast(mul(dy, neg(floor(div(a, b)))), b.shape))


@chainable("pow", "__pow__")
def pow(base, exp):  # noqa: A001  (TF.js's name)
    """``base ** exp`` elementwise, with broadcasting; int32 ** int32 stays int32.

    >>> import layerflow as lf
    >>> lf.pow(lf.tensor([2, 3]), 2).array_sync(), lf.pow(lf.tensor([4.0]), 0.5).array_sync()
    ([4, 9], [2.0])
    """
    a, b = binary_inputs(base, exp, "pow", ("base", "exp"))
    check_numeric(a, "pow", "base")
    a, b = _int32(a), _int32(b)
    shape = broadcast_shapes(a.shape, b.shape, "pow")
    return run("pow", (a, b), shape, a.dtype, grad=_pow_grad)


def _pow_grad(dy, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like
    from layerflow.ops.logical import greater, where

    a, b = inputs
    da = mul(dy, mul(b, pow(a, sub(b, 1))))
    positive = greater(a, 0)
    safe_a = where(positive, a, 1)
    log_a = where(positive, log(safe_a), zeros_like(a))
    db = mul(dy, mul(out, log_a))
    return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


def _minmax(kernel, a, b, grad):
    a, b = binary_inputs(a, b, kernel)
    check_numeric(a, kernel, "a", complex_ok=False)
    a, b = _int32(a), _int32(b)
    shape = broadcast_shapes(a.shape, b.shape, kernel)
    return run(kernel, (a, b), shape, a.dtype, grad=grad)


@chainable()
def maximum(a, b):
    """The larger of ``a`` and ``b`` elementwise (bool inputs give int32, as TF.js).

    Where ``a == b`` the gradient goes to ``a`` (TF.js's rule).

    >>> import layerflow as lf
    >>> lf.maximum(lf.tensor([1, 5]), lf.tensor([3, 2])).array_sync()
    [3, 5]
    """
    return _minmax("maximum", a, b, _maximum_grad)


def _maximum_grad(dy, inputs, out, attrs):
    from layerflow.ops.logical import greater_equal

    a, b = inputs
    mask = cast(greater_equal(a, b), dy.dtype)
    return (unbroadcast(mul(dy, mask), a.shape),
            unbroadcast(mul(dy, sub(1, mask)), b.shape))


@chainable()
def minimum(a, b):
    """The smaller of ``a`` and ``b`` elementwise (bool inputs give int32, as TF.js).

    Where ``a == b`` the gradient goes to ``a`` (TF.js's rule).

    >>> import layerflow as lf
    >>> lf.minimum(lf.tensor([1, 5]), lf.tensor([3, 2])).array_sync()
    [1, 2]
    """
    return _minmax("minimum", a, b, _minimum_grad)


def _minimum_grad(dy, inputs, out, attrs):
    from layerflow.ops.logical import less_equal

    a, b = inputs
    mask = cast(less_equal(a, b), dy.dtype)
    return (unbroadcast(mul(dy, mask), a.shape),
            unbroadcast(mul(dy, sub(1, mask)), b.shape))


@chainable()
def squared_difference(a, b):
    """``(a - b) ** 2`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.squared_difference(lf.tensor([1, 4]), lf.tensor([3, 1])).array_sync()
    [4, 9]
    """
    a, b = binary_inputs(a, b, "squared_difference")
    check_numeric(a, "squared_difference", "a")
    a, b = _int32(a), _int32(b)
    shape = broadcast_shapes(a.shape, b.shape, "squared_difference")
    return run("squared_difference", (a, b), shape, a.dtype, grad=_squared_difference_grad)


def _squared_difference_grad(dy, inputs, out, attrs):
    a, b = inputs
    g = mul(dy, mul(sub(a, b), 2))
    return unbroadcast(g, a.shape), unbroadcast(neg(g), b.shape)


@chainable()
def div_no_nan(a, b):
    """``a / b``, but 0 where ``b`` is 0 (int32 inputs divide with floor, as ``div``).

    >>> import layerflow as lf
    >>> lf.div_no_nan(lf.tensor([1.0, 2.0]), lf.tensor([2.0, 0.0])).array_sync()
    [0.5, 0.0]
    """
    a, b = binary_inputs(a, b, "div_no_nan")
    check_numeric(a, "div_no_nan", "a", complex_ok=False)
    shape = broadcast_shapes(a.shape, b.shape, "div_no_nan")
    if a.dtype in ("int32", "bool"):
        from layerflow.ops.logical import equal, where

        a, b = _int32(a), _int32(b)
        zero = equal(b, 0)
        return where(zero, 0, div(a, where(zero, 1, b)))
    return run("div_no_nan", (a, b), shape, a.dtype, grad=_div_no_nan_grad)


def _div_no_nan_grad(dy, inputs, out, attrs):
    a, b = inputs
    da = div_no_nan(dy, b)
    db = neg(div_no_nan(mul(dy, a), mul(b, b)))
    return unbroadcast(da, a.shape), unbroadcast(db, b.shape)


# -- complex numbers -------------------------------------------------------------------------
def complex(real, imag):  # noqa: A001  (TF.js's name)
    """A complex64 tensor from real and imaginary parts of the same shape.

    >>> import layerflow as lf
    >>> lf.complex(lf.tensor([1.0]), lf.tensor([2.0])).array_sync()
    [(1+2j)]
    """
    re = as_tensor(real, "real", "complex", "float32")
    im = as_tensor(imag, "imag", "complex", "float32")
    for name, t in (("real", re), ("imag", im)):
        if t.dtype == "string" or t.dtype == "complex64":
            raise DTypeError(f"complex: expected a real numeric tensor for '{name}', got dtype "
                             f"{t.dtype}")
    if len(re.shape) != len(im.shape) or any(
            a is not None and b is not None and a != b for a, b in zip(re.shape, im.shape)):
        raise ShapeError(f"complex: real and imag must have the same shape, got {re.shape} and "
                         f"{im.shape}")
    re, im = cast(re, "float32"), cast(im, "float32")
    shape = tuple(a if a is not None else b for a, b in zip(re.shape, im.shape))
    return run("complex", (re, im), shape, "complex64", grad=_complex_grad)


def _complex_grad(dy, inputs, out, attrs):
    return real(dy), imag(dy)


def real(x):
    """The real part of a complex tensor (float32); a real tensor is returned as is.

    >>> import layerflow as lf
    >>> lf.real(lf.complex([1.0], [2.0])).array_sync()
    [1.0]
    """
    x = as_tensor(x, "x", "real")
    check_numeric(x, "real")
    dtype = "float32" if x.dtype == "complex64" else x.dtype
    return run("real", (x,), x.shape, dtype, grad=_real_grad)


def _real_grad(dy, inputs, out, attrs):
    if inputs[0].dtype != "complex64":
        return (dy,)
    return (complex(dy, mul(dy, 0)),)


def imag(x):
    """The imaginary part of a complex tensor (float32); zeros for a real tensor.

    >>> import layerflow as lf
    >>> lf.imag(lf.complex([1.0], [2.0])).array_sync()
    [2.0]
    """
    x = as_tensor(x, "x", "imag")
    check_numeric(x, "imag")
    dtype = "float32" if x.dtype == "complex64" else x.dtype
    return run("imag", (x,), x.shape, dtype, grad=_imag_grad)


def _imag_grad(dy, inputs, out, attrs):
    if inputs[0].dtype != "complex64":
        return (mul(dy, 0),)
    return (complex(mul(dy, 0), dy),)


# NOTE: reflected operators (2 - t, 2 / t ...) put the Python value first.
def _reflected(op):
    def reflected(self, other):
        return op(other, self)

    return reflected


for _name, _op in (("__radd__", add), ("__rsub__", sub), ("__rmul__", mul),
                   ("__rtruediv__", div), ("__rfloordiv__", floor_div), ("__rmod__", mod),
                   ("__rpow__", pow)):
    chainable(_name)(_reflected(_op))
