"""Transformations of shape: reshape, broadcast_to, and the rest of TF.js's family.

>>> import layerflow as lf
>>> lf.reshape(lf.tensor([1, 2, 3, 4]), [2, -1]).shape
(2, 2)
"""

from __future__ import annotations

import math

from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, broadcast_shapes, chainable, run, unbroadcast

__all__ = ["reshape", "broadcast_to"]


def infer_reshape(shape_in: tuple, shape, op: str = "reshape") -> tuple:
    """The target shape with one ``-1`` filled in; an error if the sizes differ."""
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(d) if d is not None else -1 for d in shape)
    unknown = [i for i, d in enumerate(shape) if d == -1]
    if len(unknown) > 1:
        raise InvalidArgumentError(f"{op}: at most one dimension may be -1, got {shape}")
    if any(d < -1 for d in shape):
        raise InvalidArgumentError(f"{op}: negative dimension in {shape}")
    if any(d is None for d in shape_in):
        known = math.prod(d for d in shape if d != -1)
        return tuple(None if d == -1 else d for d in shape) if unknown else shape
    size = math.prod(shape_in)
    known = math.prod(d for d in shape if d != -1)
    if unknown:
        if known == 0 or size % known:
            raise ShapeError(f"{op}: cannot reshape a tensor of shape {shape_in} ({size} "
                             f"elements) to {shape}")
        return tuple(size // known if d == -1 else d for d in shape)
    if known != size:
        raise ShapeError(f"{op}: cannot reshape a tensor of shape {shape_in} ({size} elements) "
                         f"to {shape} ({known} elements)")
    return shape


@chainable()
def reshape(x, shape):
    """``x`` with a new shape of the same size; one dimension may be ``-1``.

    >>> import layerflow as lf
    >>> lf.reshape(lf.tensor([1, 2, 3, 4, 5, 6]), [3, 2]).array_sync()
    [[1, 2], [3, 4], [5, 6]]
    """
    x = as_tensor(x, "x", "reshape")
    new_shape = infer_reshape(x.shape, shape)
    if new_shape == x.shape and not x._symbolic:
        return run("identity", (x,), new_shape, x.dtype, grad=_reshape_grad)
    return run("reshape", (x,), new_shape, x.dtype, {"shape": new_shape}, grad=_reshape_grad)


def _reshape_grad(dy, inputs, out, attrs):
    return (reshape(dy, inputs[0].shape),)


@chainable()
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape`` (NumPy rules).

    >>> import layerflow as lf
    >>> lf.broadcast_to(lf.tensor([1, 2]), [2, 2]).array_sync()
    [[1, 2], [1, 2]]
    """
    x = as_tensor(x, "x", "broadcast_to")
    shape = tuple(int(d) for d in shape)
    if len(shape) < x.rank or broadcast_shapes(x.shape, shape, "broadcast_to") != shape:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    if shape == x.shape:
        return run("identity", (x,), shape, x.dtype, grad=_broadcast_grad)
    return run("broadcast_to", (x,), shape, x.dtype, {"shape": shape}, grad=_broadcast_grad)


def _broadcast_grad(dy, inputs, out, attrs):
    return (unbroadcast(dy, inputs[0].shape),)
