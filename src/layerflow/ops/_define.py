"""The machinery every op uses: convert inputs, run the shape rule, then the kernel or not.

An op is a plain function in its family module (``ops/elementwise.py`` ...). It

1. converts its inputs with :func:`as_tensor` / :func:`binary_inputs`,
2. runs its shape and dtype rule, which raises a clear error naming the op and the shapes,
3. calls :func:`run` with the kernel name, the inputs, the output shape and dtype, its attributes
   and its gradient function. :func:`run` returns a ``SymbolicTensor`` when an input is
   symbolic (only the rule ran), else runs the active backend's kernel, wraps the array in a
   tensor and records the op on the active tapes.

A gradient function is ``grad(dy, inputs, out, attrs) -> tuple`` with one gradient (or None) per
input, written with ops so it runs on every backend and can be differentiated again. One marked
with ``engine.tape.partial_grad`` also gets ``needs`` (which inputs want a gradient) and may skip
the rest.

>>> import layerflow as lf
>>> from layerflow.ops._define import broadcast_shapes
>>> broadcast_shapes((2, 1, 3), (4, 1), 'add')
(2, 4, 3)
"""

from __future__ import annotations

import math

import numpy as np

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.engine.convert import to_tensor
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.engine.tape import record
from layerflow.engine.tensor import Tensor, Variable, wrap
from layerflow.errors import (
    DisposedError,
    DTypeError,
    InvalidArgumentError,
    LayerflowError,
    NotSupportedError,
    ShapeError,
)

_PY_NUMBERS = (int, float, bool, complex)


class KernelError(LayerflowError, RuntimeError):
    """A kernel failed on inputs its op's rule accepted (a layerflow bug; please report it)."""


# -- running ------------------------------------------------------------------------------
def run(kernel: str, inputs: tuple, shape, dtype: str, attrs: dict | None = None, grad=None):
    """Run ``kernel`` on ``inputs`` (or only return a symbolic result), then record it."""
    args = []
    for t in inputs:
        if t._symbolic:
            return SymbolicTensor(shape, dtype)
        data = t._data
        if data is None:
            _data(t, kernel)
        args.append(data)
    engine = ENGINE
    kernels = engine.kernels
    if kernels is None:
        kernels = engine.get_backend().kernels
    fn = kernels.get(kernel)
    if fn is None:
        raise NotSupportedError(f"{kernel}: no kernel on the {engine.backend.name} backend")
    try:
        data = fn(*args, **attrs) if attrs else fn(*args)
    except LayerflowError:
        raise
    except Exception as err:
        raise KernelError(f"{kernel} failed on inputs {[t.shape for t in inputs]}: {err}") from err
    out = wrap(data, dtype)
    if engine.profile_log is not None:
        engine.profile_log.append(kernel)
    if engine.tapes and grad is not None:
        record(kernel, inputs, (out,), grad, attrs)
    return out


def run_multi(kernel: str, inputs: tuple, specs: list, attrs: dict | None = None, grad=None):
    """Like :func:`run` for a kernel with several outputs; ``specs`` is [(shape, dtype), ...]."""
    for t in inputs:
        if t._symbolic:
            return [SymbolicTensor(s, d) for s, d in specs]
    engine = ENGINE
    backend = engine.backend or engine.get_backend()
    fn = backend.kernels.get(kernel)
    if fn is None:
        raise NotSupportedError(f"{kernel}: no kernel on the {backend.name} backend")
    args = [_data(t, kernel) for t in inputs]
    try:
        datas = fn(*args, **attrs) if attrs else fn(*args)
    except LayerflowError:
        raise
    except Exception as err:
        raise KernelError(f"{kernel} failed on inputs {[t.shape for t in inputs]}: {err}") from err
    outs = tuple(wrap(d, spec[1]) for d, spec in zip(datas, specs))
    if engine.profile_log is not None:
        engine.profile_log.append(kernel)
    if engine.tapes and grad is not None:
        record(kernel, inputs, outs, grad, attrs)
    return list(outs)


def _data(t, kernel):
    data = t._data
    if data is None:
        raise DisposedError(f"{kernel}: input tensor {t.id} (shape {t.shape}) was disposed")
    return data


def is_symbolic(*tensors) -> bool:
    """True if any of ``tensors`` is symbolic (a graph is being built)."""
    return any(getattr(t, "_symbolic", False) for t in tensors)


# -- converting inputs ----------------------------------------------------------------------
def as_tensor(x, name: str = "x", op: str = "op", dtype: str | None = None):
    """``x`` as a Tensor (or SymbolicTensor). ``dtype`` applies only to non-tensor values."""
    if type(x) is Tensor or type(x) is Variable:
        if x._data is None:
            raise DisposedError(f"{op}: input '{name}' (tensor {x.id}) was disposed")
        return x
    if isinstance(x, (Tensor, SymbolicTensor)):
        if not x._symbolic and x._data is None:
            raise DisposedError(f"{op}: input '{name}' (tensor {x.id}) was disposed")
        return x
    return to_tensor(x, dtype, where=f"{op}: input '{name}'")


def binary_inputs(a, b, op: str, names=("a", "b")):
    """Two inputs of a binary op, converted and promoted to one dtype as TF.js does.

    A Python number next to a tensor takes the tensor's dtype (an int next to floats becomes a
    float; a float next to int32 makes both float32, as TF.js's ``upcastType``).
    """
    a_is = isinstance(a, (Tensor, SymbolicTensor))
    b_is = isinstance(b, (Tensor, SymbolicTensor))
    if a_is and not b_is:
        b = as_tensor(b, names[1], op, _weak_dtype(b, a.dtype))
    elif b_is and not a_is:
        a = as_tensor(a, names[0], op, _weak_dtype(a, b.dtype))
    a = as_tensor(a, names[0], op)
    b = as_tensor(b, names[1], op)
    if a.dtype != b.dtype:
        try:
            dtype = dtypes.upcast(a.dtype, b.dtype)
        except DTypeError:
            raise DTypeError(f"{op}: cannot combine {names[0]} of dtype {a.dtype} with "
                             f"{names[1]} of dtype {b.dtype}") from None
        if a.dtype != dtype:
            a = cast_tensor(a, dtype)
        if b.dtype != dtype:
            b = cast_tensor(b, dtype)
    return a, b


def _weak_dtype(value, other: str) -> str | None:
    """The dtype a Python number (or list of them) adopts next to a tensor of dtype ``other``."""
    if isinstance(value, bool):
        return other if other != "string" else None
    if isinstance(value, int):
        return other if other in dtypes.NUMERIC else None
    if isinstance(value, float):
        if dtypes.is_floating_or_complex(other):
            return other
        return "float32"
    if isinstance(value, complex):
        return "complex64"
    if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
        return None
    inferred = dtypes.from_numpy(np.asarray(value).dtype) if value else other
    return other if inferred == other or (inferred == "int32" and other in dtypes.FLOATS) \
        else None


def cast_tensor(x, dtype: str):
    """``x`` cast to ``dtype`` (the ``cast`` op)."""
    from layerflow.ops.elementwise import cast

    return cast(x, dtype)


# -- shape helpers --------------------------------------------------------------------------
def broadcast_shapes(a: tuple, b: tuple, op: str) -> tuple:
    """The NumPy broadcast of two shapes (``None`` = unknown), or a ShapeError naming ``op``."""
    if a == b:
        return a
    n = max(len(a), len(b))
    a_full = (1,) * (n - len(a)) + tuple(a)
    b_full = (1,) * (n - len(b)) + tuple(b)
    out = []
    for da, db in zip(a_full, b_full):
        if da == db:
            out.append(da)
        elif da == 1:
            out.append(db)
        elif db == 1:
            out.append(da)
        elif da is None:
            out.append(db)
        elif db is None:
            out.append(da)
        else:
            raise ShapeError(f"{op}: shapes {tuple(a)} and {tuple(b)} cannot be broadcast "
                             "together")
    return tuple(out)


def normalize_axis(axis: int, rank: int, op: str) -> int:
    """``axis`` in ``[0, rank)`` (negative counts from the end), or an error naming ``op``."""
    if isinstance(axis, Tensor):
        axis = int(axis.item())
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise InvalidArgumentError(f"{op}: axis must be an integer, got {axis!r}")
    if not -rank <= axis < max(rank, 1):
        raise InvalidArgumentError(f"{op}: axis {axis} is out of range for rank {rank}")
    return int(axis) % max(rank, 1)


def normalize_axes(axis, rank: int, op: str) -> tuple[int, ...]:
    """A sorted tuple of axes; ``None`` means all of them."""
    if axis is None:
        return tuple(range(rank))
    if isinstance(axis, (list, tuple)):
        axes = tuple(normalize_axis(a, rank, op) for a in axis)
    else:
        axes = (normalize_axis(axis, rank, op),)
    if len(set(axes)) != len(axes):
        raise InvalidArgumentError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(axes))


def shape_size(shape) -> int | None:
    """Number of elements, or None when a dimension is unknown."""
    if any(d is None for d in shape):
        return None
    return math.prod(shape)


# -- helpers gradients share -----------------------------------------------------------------
def unbroadcast(g, shape: tuple):
    """Sum ``g`` down to ``shape`` (undo broadcasting in a gradient)."""
    if g.shape == tuple(shape):
        return g
    from layerflow.ops.reduction import sum as reduce_sum
    from layerflow.ops.shape import reshape

    extra = len(g.shape) - len(shape)
    axes = list(range(extra))
    for i, d in enumerate(shape):
        if d == 1 and g.shape[extra + i] != 1:
            axes.append(extra + i)
    if axes:
        g = reduce_sum(g, axis=axes, keepdims=False)
    # NOTE: a bias's gradient is already in shape after the sum; skip the no-op reshape.
    return g if g.shape == tuple(shape) else reshape(g, shape)


def ones_like_tensor(x):
    from layerflow.ops.creation import ones_like

    return ones_like(x)


def zeros_like_tensor(x):
    from layerflow.ops.creation import zeros_like

    return zeros_like(x)


def add_tensors(a, b):
    from layerflow.ops.elementwise import add

    return add(a, b)


def identity(x, name: str = "identity"):
    """A new tensor with ``x``'s values (shares the buffer; gradient passes straight through)."""
    x = as_tensor(x, "x", name)
    return run("identity", (x,), x.shape, x.dtype, grad=_identity_grad)


def _identity_grad(dy, inputs, out, attrs):
    return (dy,)


# -- attaching chainable methods --------------------------------------------------------------
def chainable(*names: str):
    """Attach the decorated op as ``Tensor.<name>`` (and on SymbolicTensor) for each name.

    TF.js chains ops on tensors (``x.square().sum()``); so does layerflow, each op declaring its
    own methods next to its definition.
    """

    def attach(fn):
        for name in names or (fn.__name__,):
            setattr(Tensor, name, fn)
            setattr(SymbolicTensor, name, fn)
        return fn

    return attach
