"""Tensor (immutable values) and Variable (mutable by ``assign``).

A :class:`Tensor` wraps one backend array (a NumPy array, or a ``jax.Array``) with its layerflow
dtype name. It never changes; every op makes a new tensor. Its methods (``t.add(u)``, ``t + u``,
``t.reshape(...)``) are attached by the op modules, as TF.js's chained ops are, so each op is
written once, in ``layerflow/ops``.

>>> import layerflow as lf
>>> t = lf.tensor([[1, 2], [3, 4]])
>>> t.shape, t.dtype, t.rank, t.size
((2, 2), 'int32', 2, 4)
>>> t.array_sync()
[[1, 2], [3, 4]]
"""

from __future__ import annotations

import math

import numpy as np

from layerflow.engine.context import ENGINE, nbytes
from layerflow.errors import DisposedError, DTypeError, ShapeError


class Tensor:
    """An immutable n-dimensional array with a dtype, living on the active backend.

    Make tensors with :func:`layerflow.tensor` and the other creation ops, not with this class.
    """

    __slots__ = ("_data", "shape", "dtype", "id", "name", "_kept", "_tape_refs", "_pending",
                 "__weakref__")
    _symbolic = False
    _is_variable = False
    # NOTE: NumPy must defer to our operators (`ndarray + Tensor` -> Tensor.__radd__).
    __array_priority__ = 100
    __array_ufunc__ = None  # NOTE: `ndarray + tensor` defers to Tensor.__radd__, not NumPy

    def __init__(self, *args, **kwargs):
        raise TypeError("make tensors with lf.tensor(...) or another creation op")

    # -- identity and metadata ------------------------------------------------------------
    @property
    def rank(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def ndim(self) -> int:
        """Number of dimensions (NumPy's name for ``rank``)."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    @property
    def is_disposed(self) -> bool:
        """True once ``dispose()`` has run."""
        return self._data is None

    # -- reading values -------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (a copy where the backend needs one)."""
        return ENGINE.get_backend().to_numpy(checked(self))

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def data_sync(self) -> np.ndarray:
        """The values, flat, as a 1-D NumPy array (TF.js ``dataSync``)."""
        return self.numpy().reshape(-1)

    def array_sync(self):
        """The values as nested Python lists (TF.js ``arraySync``); a scalar gives a number."""
        array = self.numpy()
        if self.dtype == "string":
            return _decode_strings(array).tolist()
        return array.tolist()

    def data(self):
        """Same as :meth:`data_sync` (TF.js ``data()`` is the async form)."""
        return self.data_sync()

    def array(self):
        """Same as :meth:`array_sync`."""
        return self.array_sync()

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ShapeError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def to_string(self, verbose: bool = False) -> str:
        """The text TF.js ``toString()`` gives."""
        from layerflow.engine.printing import format_tensor

        return format_tensor(self, verbose)

    def print(self, verbose: bool = False) -> None:
        """Print the tensor as TF.js ``print()`` does."""
        print(self.to_string(verbose))

    def __repr__(self) -> str:
        if self._data is None:
            return f"<Tensor {self.id} disposed shape={self.shape} dtype={self.dtype}>"
        from layerflow.engine.printing import format_values

        return f"<Tensor shape={self.shape} dtype={self.dtype}\n{format_values(self)}>"

    def __str__(self) -> str:
        return self.to_string()

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a scalar tensor")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a scalar tensor")
        for i in range(self.shape[0]):
            yield self[i]

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; "
                "use lf.any() or lf.all()")
        return bool(self.numpy().reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype != "int32" or self.size != 1:
            raise TypeError("only an int32 scalar tensor can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__

    # -- memory -----------------------------------------------------------------------------
    def dispose(self) -> None:
        """Free this tensor's memory now. Using it afterwards raises ``DisposedError``."""
        data = self._data
        if data is None:
            return
        self._data = None
        ENGINE.release(data)

    def __del__(self):
        # NOTE: ENGINE.release inlined: this runs once per tensor, on the eager hot path.
        try:
            data = self._data
            if data is None:
                return
            engine = ENGINE
            buffers = engine.buffers
            key = id(data)
            count = buffers.get(key)
            if count is None:
                return
            engine.num_tensors -= 1
            if count > 1:
                buffers[key] = count - 1
                return
            del buffers[key]
            engine.num_bytes -= data.nbytes if self.dtype != "string" else nbytes(data)
            if engine.free is not None:
                engine.free(data)
        except Exception:  # NOTE: unset slots, or interpreter shutdown tearing the engine down
            pass

    def clone(self) -> Tensor:
        """A new tensor with the same values (sharing the buffer, as TF.js ``clone`` does)."""
        from layerflow.ops import _define

        return _define.identity(self)


class Variable(Tensor):
    """A tensor whose value can be replaced with :meth:`assign` (TF.js ``tf.variable``).

    >>> import layerflow as lf
    >>> v = lf.variable(lf.tensor([1.0, 2.0]))
    >>> v.assign(lf.tensor([3.0, 4.0]))
    >>> v.array_sync()
    [3.0, 4.0]
    """

    __slots__ = ("trainable", "_constraint")
    _is_variable = True

    def assign(self, value) -> None:
        """Replace the value. Shape and dtype must equal the variable's.

        Python numbers, lists and NumPy arrays are converted to the variable's dtype first;
        a tensor must already have it.
        """
        from layerflow.engine.convert import to_tensor

        new = to_tensor(value, dtype=None if isinstance(value, Tensor) else self.dtype)
        if new.shape != self.shape:
            raise ShapeError(
                f"variable {self.name!r}: cannot assign shape {new.shape} to shape {self.shape}")
        if new.dtype != self.dtype:
            raise DTypeError(
                f"variable {self.name!r}: cannot assign dtype {new.dtype} to dtype {self.dtype}")
        data = checked(new)
        if self._data is not None and not ENGINE.trace_depth:
            data = ENGINE.get_backend().placed_like(data, self._data)
        self._set_data(data)

    def _set_data(self, data) -> None:
        """Swap the backend array (used by assign and by compiled steps)."""
        if self._data is None:
            raise DisposedError(f"variable {self.name!r} was disposed")
        engine = ENGINE
        if engine.trace_depth:
            # NOTE: while tracing, the real buffer must survive: the trace only borrows the slot.
            self._data = data
            return
        old, buffers = self._data, engine.buffers
        if (buffers.get(id(old)) == 1 and id(data) not in buffers and self.dtype != "string"
                and data is not old):
            # NOTE: the common swap (a compiled step's new value): one buffer of the same
            # shape and dtype replaces the variable's own, so the counts stay; measuring
            # bytes of a jax array twice per variable and step cost more than the step's
            # Python work.
            del buffers[id(old)]
            buffers[id(data)] = 1
            self._data = data
            if engine.free is not None:
                engine.free(old)
            return
        engine.release(old)
        self._data = data
        _account(self, data, scoped=False)

    def __repr__(self) -> str:
        return f"<Variable {self.name!r} shape={self.shape} dtype={self.dtype}>"


def _account(tensor: Tensor, data, scoped: bool) -> None:
    engine = ENGINE
    if engine.trace_depth:
        return
    if scoped:
        engine.track(tensor, data)
        return
    saved, engine.scopes = engine.scopes, []
    try:
        engine.track(tensor, data)
    finally:
        engine.scopes = saved


_new = Tensor.__new__
_ids = ENGINE.ids


def wrap(data, dtype: str) -> Tensor:
    """Make a tensor from a backend array the caller owns; count it and scope it (hot path)."""
    t = _new(Tensor)
    t._data = data
    t.shape = data.shape
    t.dtype = dtype
    t.id = next(_ids)
    t.name = None
    t._kept = False
    t._tape_refs = 0
    t._pending = False
    engine = ENGINE
    if not engine.trace_depth:
        # NOTE: ENGINE.track inlined (hot path).
        buffers = engine.buffers
        key = id(data)
        count = buffers.get(key)
        if count is None:
            buffers[key] = 1
            engine.num_bytes += data.nbytes if dtype != "string" else nbytes(data)
        else:
            buffers[key] = count + 1
        engine.num_tensors += 1
        if engine.scopes:
            engine.scopes[-1].append(t)
    return t


def make_variable(data, dtype: str, name: str | None, trainable: bool) -> Variable:
    """Make a variable holding ``data``; variables are never put in tidy scopes."""
    v = Variable.__new__(Variable)
    v._data = data
    v.shape = tuple(data.shape)
    v.dtype = dtype
    v.id = next(ENGINE.ids)
    v.name = name
    v._kept = True
    v._tape_refs = 0
    v._pending = False
    v.trainable = bool(trainable)
    v._constraint = None
    _account(v, data, scoped=False)
    ENGINE.variables[v.id] = v
    return v


def checked(t: Tensor):
    """The backend array of ``t``; a clear error if ``t`` was disposed."""
    data = t._data
    if data is None:
        kind = "variable" if t._is_variable else "tensor"
        raise DisposedError(f"{kind} {t.name or t.id} ({_describe(t)}) was disposed")
    return data


def _describe(t: Tensor) -> str:
    return f"shape {t.shape}, dtype {t.dtype}"


def _decode_strings(array: np.ndarray) -> np.ndarray:
    out = np.empty(array.shape, dtype=object)
    for index, value in np.ndenumerate(array):
        out[index] = value.decode() if isinstance(value, bytes) else value
    return out
