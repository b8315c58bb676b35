"""Comparisons, logic and ``where`` (part of the elementwise family; re-exported by
``ops/elementwise.py``).

Comparisons promote their inputs as the arithmetic ops do and give bool; the logical ops take
bool tensors only (Python bools and lists of them convert to bool), as TF.js's do.

>>> import layerflow as lf
>>> (lf.tensor([1, 2, 3]) > 1).array_sync()
[False, True, True]
"""

from __future__ import annotations

from layerflow.engine.symbolic import SymbolicTensor
from layerflow.engine.tensor import Tensor
from layerflow.errors import DTypeError, ShapeError
from layerflow.ops._define import (
    as_tensor,
    binary_inputs,
    broadcast_shapes,
    chainable,
    run,
    unbroadcast,
)
from layerflow.ops.elementwise import check_numeric

__all__ = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
           "logical_and", "logical_or", "logical_not", "logical_xor", "bitwise_and", "where"]


# -- comparisons -----------------------------------------------------------------------------
def _compare(kernel: str, a, b):
    a, b = binary_inputs(a, b, kernel)
    check_numeric(a, kernel, "a")
    if a.dtype == "complex64" and kernel not in ("equal", "not_equal"):
        raise DTypeError(f"{kernel}: complex64 tensors cannot be ordered")
    shape = broadcast_shapes(a.shape, b.shape, kernel)
    return run(kernel, (a, b), shape, "bool")


@chainable()
def equal(a, b):
    """True where ``a == b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.equal(lf.tensor([1, 2]), 2).array_sync()
    [False, True]
    """
    return _compare("equal", a, b)


@chainable()
def not_equal(a, b):
    """True where ``a != b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.not_equal(lf.tensor([1, 2]), 2).array_sync()
    [True, False]
    """
    return _compare("not_equal", a, b)


@chainable("greater", "__gt__")
def greater(a, b):
    """True where ``a > b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.greater(lf.tensor([1, 2, 3]), 2).array_sync()
    [False, False, True]
    """
    return _compare("greater", a, b)


@chainable("greater_equal", "__ge__")
def greater_equal(a, b):
    """True where ``a >= b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.greater_equal(lf.tensor([1, 2, 3]), 2).array_sync()
    [False, True, True]
    """
    return _compare("greater_equal", a, b)


@chainable("less", "__lt__")
def less(a, b):
    """True where ``a < b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.less(lf.tensor([1, 2, 3]), 2).array_sync()
    [True, False, False]
    """
    return _compare("less", a, b)


@chainable("less_equal", "__le__")
def less_equal(a, b):
    """True where ``a <= b`` elementwise, with broadcasting.

    >>> import layerflow as lf
    >>> lf.less_equal(lf.tensor([1, 2, 3]), 2).array_sync()
    [True, True, False]
    """
    return _compare("less_equal", a, b)


_COMPARABLE = (Tensor, SymbolicTensor, int, float, bool, complex, list, tuple)


def _eq(self, other):
    # NOTE: `t == None` and `t == "text"` are plain False, so `in`/`index` on lists keep working
    # for unrelated objects; tensors and numbers compare elementwise (NumPy / TF2).
    if not isinstance(other, _COMPARABLE) and not hasattr(other, "__array__"):
        return NotImplemented
    return equal(self, other)


def _ne(self, other):
    if not isinstance(other, _COMPARABLE) and not hasattr(other, "__array__"):
        return NotImplemented
    return not_equal(self, other)


chainable("__eq__")(_eq)
chainable("__ne__")(_ne)


# -- logic -----------------------------------------------------------------------------------
def _bool_input(x, name: str, op: str):
    x = as_tensor(x, name, op, "bool")
    if x.dtype != "bool":
        raise DTypeError(f"{op}: '{name}' must be a bool tensor, got dtype {x.dtype}")
    return x


def _logical(kernel: str, a, b):
    a = _bool_input(a, "a", kernel)
    b = _bool_input(b, "b", kernel)
    shape = broadcast_shapes(a.shape, b.shape, kernel)
    return run(kernel, (a, b), shape, "bool")


@chainable("logical_and", "__and__")
def logical_and(a, b):
    """``a AND b`` elementwise for bool tensors, with broadcasting.

    >>> import layerflow as lf
    >>> lf.logical_and(lf.tensor([True, True]), lf.tensor([True, False])).array_sync()
    [True, False]
    """
    return _logical("logical_and", a, b)


@chainable("logical_or", "__or__")
def logical_or(a, b):
    """``a OR b`` elementwise for bool tensors, with broadcasting.

    >>> import layerflow as lf
    >>> lf.logical_or(lf.tensor([False, False]), lf.tensor([True, False])).array_sync()
    [True, False]
    """
    return _logical("logical_or", a, b)


@chainable("logical_xor", "__xor__")
def logical_xor(a, b):
    """``a XOR b`` elementwise for bool tensors, with broadcasting.

    >>> import layerflow as lf
    >>> lf.logical_xor(lf.tensor([True, True]), lf.tensor([True, False])).array_sync()
    [False, True]
    """
    return _logical("logical_xor", a, b)


@chainable("logical_not", "__invert__")
def logical_not(x):
    """``NOT x`` elementwise for a bool tensor.

    >>> import layerflow as lf
    >>> lf.logical_not(lf.tensor([True, False])).array_sync()
    [False, True]
    """
    x = _bool_input(x, "x", "logical_not")
    return run("logical_not", (x,), x.shape, "bool")


def _rand(self, other):
    return logical_and(other, self)


def _ror(self, other):
    return logical_or(other, self)


def _rxor(self, other):
    return logical_xor(other, self)


for _name, _fn in (("__rand__", _rand), ("__ror__", _ror), ("__rxor__", _rxor)):
    chainable(_name)(_fn)


def bitwise_and(x, y):
    """Bitwise AND of two int32 tensors, with broadcasting.

    >>> import layerflow as lf
    >>> lf.bitwise_and(lf.tensor([12, 5]), lf.tensor([10, 3])).array_sync()
    [8, 1]
    """
    x = as_tensor(x, "x", "bitwise_and", "int32")
    y = as_tensor(y, "y", "bitwise_and", "int32")
    if x.dtype != "int32" or y.dtype != "int32":
        raise DTypeError(f"bitwise_and: x and y must be int32 tensors, got dtypes {x.dtype} and "
                         f"{y.dtype}")
    shape = broadcast_shapes(x.shape, y.shape, "bitwise_and")
    return run("bitwise_and", (x, y), shape, "int32")


# -- where -----------------------------------------------------------------------------------
def where(condition, a, b):
    """Elements of ``a`` where ``condition`` is true, else of ``b``; all three broadcast.

    Args:
        condition: a bool tensor.
        a, b: values (promoted to one dtype as the arithmetic ops do).

    >>> import layerflow as lf
    >>> lf.where(lf.tensor([True, False]), lf.tensor([1, 2]), lf.tensor([10, 20])).array_sync()
    [1, 20]
    """
    cond = _bool_input(condition, "condition", "where")
    a, b = binary_inputs(a, b, "where")
    ab = broadcast_shapes(a.shape, b.shape, "where")
    try:
        shape = broadcast_shapes(cond.shape, ab, "where")
    except ShapeError:
        raise ShapeError(f"where: condition of shape {cond.shape} cannot be broadcast with a of "
                         f"shape {a.shape} and b of shape {b.shape}") from None
    return run("where", (cond, a, b), shape, a.dtype, grad=_where_grad)


def _where_grad(dy, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like

    cond, a, b = inputs
    zero = zeros_like(dy)
    return (None, unbroadcast(where(cond, dy, zero), a.shape),
            unbroadcast(where(cond, zero, dy), b.shape))
