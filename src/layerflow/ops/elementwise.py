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
from layerflow.errors import DTypeError
from layerflow.ops._define import (as_tensor, binary_inputs, broadcast_shapes, chainable, run,
                                   unbroadcast)

__all__ = ["add", "sub", "mul", "div", "neg", "cast", "exp", "log", "square", "sqrt"]


# -- helpers -------------------------------------------------------------------------------
def binary(kernel: str, a, b, grad, op: str | None = None):
    """Run a broadcasting binary op after converting and promoting its inputs."""
    op = op or kernel
    a, b = binary_inputs(a, b, op)
    shape = broadcast_shapes(a.shape, b.shape, op)
    return run(kernel, (a, b), shape, a.dtype, grad=grad)


def float_unary(kernel: str, x, grad, op: str | None = None):
    """Run a float-math unary op; int32/bool input is cast to float32 first (as TF.js)."""
    op = op or kernel
    x = as_tensor(x, "x", op)
    if not dtypes.is_floating_or_complex(x.dtype):
        if x.dtype == "string":
            raise DTypeError(f"{op}: expected a numeric tensor, got dtype string")
        x = cast(x, "float32")
    return run(kernel, (x,), x.shape, x.dtype, grad=grad)


def numeric_unary(kernel: str, x, grad, op: str | None = None):
    """Run a unary op defined on every numeric dtype (neg, abs, square ...); bool becomes int32."""
    op = op or kernel
    x = as_tensor(x, "x", op)
    if x.dtype == "string":
        raise DTypeError(f"{op}: expected a numeric tensor, got dtype string")
    if x.dtype == "bool":
        x = cast(x, "int32")
    return run(kernel, (x,), x.shape, x.dtype, grad=grad)


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
    shape = broadcast_shapes(a.shape, b.shape, "div")
    if a.dtype in ("int32", "bool"):
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


# NOTE: reflected operators (2 - t, 2 / t ...) put the Python value first.
def _radd(self, other):
    return add(other, self)


def _rsub(self, other):
    return sub(other, self)


def _rmul(self, other):
    return mul(other, self)


def _rtruediv(self, other):
    return div(other, self)


for _name, _fn in (("__radd__", _radd), ("__rsub__", _rsub), ("__rmul__", _rmul),
                   ("__rtruediv__", _rtruediv)):
    chainable(_name)(_fn)
