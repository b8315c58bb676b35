"""SymbolicTensor: a shape and a dtype, no values; what ops return on symbolic inputs.

When a layer is applied to the output of ``lf.input(...)``, its ops see symbolic tensors and
run only their shape and dtype rules, which is how a model's graph and its shapes are inferred
(and checked) before any data exists. Unknown dimensions (the batch) are ``None``. The layers
room subclasses this class to remember which layer made a tensor.

>>> from layerflow.engine.symbolic import SymbolicTensor
>>> SymbolicTensor((None, 3), 'float32').rank
2
"""

from __future__ import annotations

import itertools

from layerflow.engine import dtypes

_ids = itertools.count()


class SymbolicTensor:
    """A placeholder with a (possibly partly unknown) shape and a dtype."""

    _symbolic = True
    _is_variable = False
    __array_priority__ = 100
    __array_ufunc__ = None  # NOTE: `ndarray + tensor` defers to Tensor.__radd__, not NumPy

    def __init__(self, shape, dtype: str = "float32", name: str | None = None) -> None:
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtypes.canonical(dtype)
        self.name = name
        self.id = next(_ids)

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        name = f" name={self.name!r}" if self.name else ""
        return f"<SymbolicTensor shape={self.shape} dtype={self.dtype}{name}>"

    __hash__ = object.__hash__
