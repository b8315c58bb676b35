"""Merge layers: combine a list of tensors (Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot), as Keras 3 and TF.js.

Shapes are checked when the layer is applied, symbolic inputs included, and an error names the
layers that produced the inputs:

>>> import layerflow as lf
>>> from layerflow.layers.merge import Add
>>> Add()([lf.tensor([[1.0, 2.0]]), lf.tensor([[3.0, 4.0]])]).array_sync()
[[4.0, 6.0]]
"""

from __future__ import annotations

from layerflow.engine.symbolic import SymbolicTensor
from layerflow.engine.tensor import Tensor
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.base import Layer
from layerflow.ops import creation as _creation
from layerflow.ops import elementwise as _elementwise
from layerflow.ops import joining as _joining
from layerflow.ops import logical as _logical
from layerflow.ops import math as _math
from layerflow.ops import matrices as _matrices
from layerflow.ops import reduction as _reduction
from layerflow.ops import shape as _shape


def _describe(inputs) -> str:
    parts = []
    for i, t in enumerate(inputs):
        layer = getattr(t, "source_layer", None)
        label = layer.name if layer is not None else f"input {i}"
        parts.append(f"{label} {tuple(t.shape)}")
    return ", ".join(parts)


def _as_list(layer, inputs, count=None) -> list:
    if not isinstance(inputs, (list, tuple)) or not all(
            isinstance(t, (Tensor, SymbolicTensor)) for t in inputs):
        raise InvalidArgumentError(f"{layer.name}: a merge layer is called on a list of tensors, "
                                   f"got {type(inputs).__name__}")
    if count is not None and len(inputs) != count:
        raise InvalidArgumentError(f"{layer.name}: expects exactly {count} inputs, got "
                                   f"{len(inputs)}")
    if not inputs:
        raise InvalidArgumentError(f"{layer.name}: a merge layer needs at least one input")
    return list(inputs)


def _elementwise_shape(shape1, shape2):
    """Keras's broadcast rule for the sample shapes (batch excluded); None when incompatible."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            return None
        else:
            out.append(i)
    return tuple(out)


class _Merge(Layer):
    """Elementwise merge of a list of tensors of broadcast-compatible shapes."""

    _count = None

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check_input_spec(self, inputs) -> None:
        inputs = _as_list(self, inputs, self._count)
        batches = {t.shape[0] for t in inputs if t.shape} - {None}
        shape = ()
        ok = len(batches) <= 1
        for t in inputs:
            if not ok:
                break
            shape = _elementwise_shape(shape, tuple(t.shape[1:]))
            ok = shape is not None
        if not ok:
            raise ShapeError(f"{self.name}: inputs have incompatible shapes: {_describe(inputs)}")

    def call(self, inputs):
        inputs = list(inputs)
        rank = max(t.rank for t in inputs)
        expanded = []
        for t in inputs:
            for _ in range(rank - t.rank):
                t = _shape.expand_dims(t, 1)
            expanded.append(t)
        return self._merge(expanded)

    def _merge(self, inputs):
        raise NotImplementedError

    def compute_mask(self, inputs, mask=None):
        # NOTE: Keras 3: a position is kept when any input keeps it (logical or).
        if mask is None or not isinstance(mask, (list, tuple)):
            return None
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = _logical.logical_or(out, m)
        return out


class Add(_Merge):
    """Sum of the inputs (elementwise).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Add
    >>> Add()([lf.ones([1, 2]), lf.ones([1, 2])]).array_sync()
    [[2.0, 2.0]]
    """

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = _elementwise.add(out, t)
        return out


class Subtract(_Merge):
    """First input minus the second (exactly two inputs).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Subtract
    >>> Subtract()([lf.ones([1, 2]), lf.ones([1, 2])]).array_sync()
    [[0.0, 0.0]]
    """

    _count = 2

    def _merge(self, inputs):
        return _elementwise.sub(inputs[0], inputs[1])


class Multiply(_Merge):
    """Product of the inputs (elementwise).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Multiply
    >>> Multiply()([lf.tensor([[2.0]]), lf.tensor([[3.0]])]).array_sync()
    [[6.0]]
    """

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = _elementwise.mul(out, t)
        return out


class Average(_Merge):
    """Mean of the inputs (elementwise).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Average
    >>> Average()([lf.tensor([[2.0]]), lf.tensor([[4.0]])]).array_sync()
    [[3.0]]
    """

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = _elementwise.add(out, t)
        return _elementwise.div(out, float(len(inputs)))


class Maximum(_Merge):
    """Largest of the inputs (elementwise).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Maximum
    >>> Maximum()([lf.tensor([[2.0, 5.0]]), lf.tensor([[4.0, 1.0]])]).array_sync()
    [[4.0, 5.0]]
    """

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = _elementwise.maximum(out, t)
        return out


class Minimum(_Merge):
    """Smallest of the inputs (elementwise).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Minimum
    >>> Minimum()([lf.tensor([[2.0, 5.0]]), lf.tensor([[4.0, 1.0]])]).array_sync()
    [[2.0, 1.0]]
    """

    def _merge(self, inputs):
        out = inputs[0]
        for t in inputs[1:]:
            out = _elementwise.minimum(out, t)
        return out


class Concatenate(Layer):
    """Joins the inputs along ``axis``; their other dimensions must match.

    Args:
        axis: the axis to join along (default the last).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Concatenate
    >>> Concatenate()([lf.ones([1, 2]), lf.zeros([1, 1])]).array_sync()
    [[1.0, 1.0, 0.0]]
    """

    def __init__(self, axis=-1, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise InvalidArgumentError(f"Concatenate: axis must be an integer, got {axis!r}")
        self.axis = axis
        self.supports_masking = True

    def _check_input_spec(self, inputs) -> None:
        inputs = _as_list(self, inputs)
        ranks = {t.rank for t in inputs}
        rank = ranks.pop() if len(ranks) == 1 else None
        ok = rank is not None and -rank <= self.axis < rank
        if ok:
            axis = self.axis % rank
            for d in range(rank):
                sizes = {t.shape[d] for t in inputs} - {None}
                if d != axis and len(sizes) > 1:
                    ok = False
        if not ok:
            raise ShapeError(f"{self.name}: inputs must have the same rank and matching shapes "
                             f"except along axis {self.axis}, got {_describe(inputs)}")

    def call(self, inputs):
        return _joining.concat(list(inputs), self.axis)

    def compute_mask(self, inputs, mask=None):
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        masks = []
        for t, m in zip(inputs, mask):
            if m is None:
                m = _elementwise.cast(_creation.ones_like(t), "bool")
            elif m.rank < t.rank:
                m = _logical.logical_or(_shape.expand_dims(m, -1),
                                        _elementwise.cast(_creation.zeros_like(t), "bool"))
            masks.append(m)
        return _reduction.any(_joining.concat(masks, self.axis), axis=-1)


class Dot(Layer):
    """Batched dot product of two inputs along ``axes`` (Keras ``batch_dot``).

    Args:
        axes: an axis for both inputs, or ``(axis_of_x, axis_of_y)``; not the batch axis 0.
        normalize: L2-normalize both inputs along the axes first (cosine similarity).

    >>> import layerflow as lf
    >>> from layerflow.layers.merge import Dot
    >>> Dot(axes=1)([lf.tensor([[1.0, 2.0]]), lf.tensor([[3.0, 4.0]])]).array_sync()
    [[11.0]]
    """

    def __init__(self, axes, normalize=False, **kwargs) -> None:
        super().__init__(**kwargs)
        pair = axes if isinstance(axes, (list, tuple)) else (axes,)
        if len(pair) not in (1, 2) or (len(pair) == 1 and isinstance(axes, (list, tuple))) \
                or not all(isinstance(a, int) and not isinstance(a, bool) for a in pair):
            raise InvalidArgumentError(f"Dot: axes must be an integer or a list of 2 integers, "
                                       f"got {axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)
        self.supports_masking = True

    def _axes(self, inputs) -> list:
        pair = list(self.axes) if isinstance(self.axes, (list, tuple)) else [self.axes] * 2
        return [a % t.rank if a < 0 else a for a, t in zip(pair, inputs)]

    def _check_input_spec(self, inputs) -> None:
        inputs = _as_list(self, inputs, 2)
        x, y = inputs
        ok = x.rank >= 2 and y.rank >= 2
        if ok:
            a0, a1 = self._axes(inputs)
            ok = 0 < a0 < x.rank and 0 < a1 < y.rank
            ok = ok and (x.shape[a0] is None or y.shape[a1] is None or x.shape[a0] == y.shape[a1])
            ok = ok and (x.shape[0] is None or y.shape[0] is None or x.shape[0] == y.shape[0])
        if not ok:
            raise ShapeError(f"{self.name}: cannot take the dot product along axes {self.axes} "
                             f"of inputs {_describe(inputs)} (ranks >= 2, matching batch and "
                             f"axis sizes, axis 0 excluded)")

    def call(self, inputs):
        x, y = inputs
        a0, a1 = self._axes([x, y])
        if self.normalize:
            x, y = _l2_normalize(x, a0), _l2_normalize(y, a1)
        return _batch_dot(x, y, a0, a1)

    def compute_mask(self, inputs, mask=None):
        return None


def _l2_normalize(x, axis):
    # NOTE: Keras's ops.normalize: x * min(rsqrt(sum(x^2)), 1 / epsilon), epsilon 1e-7.
    inv = _math.rsqrt(_reduction.sum(_elementwise.square(x), axis=axis, keepdims=True))
    return _elementwise.mul(x, _elementwise.minimum(inv, 1e7))


def _batch_dot(x, y, a0, a1):
    """Keras's ``batch_dot``: contract ``x`` axis ``a0`` with ``y`` axis ``a1`` per sample."""
    x_rank, y_rank = x.rank, y.rank
    if x_rank == 2:
        x, a0 = _shape.expand_dims(x, 1), a0 + 1
    if y_rank == 2:
        y = _shape.expand_dims(y, 2)
    # x: (b, ..., k) with the contracted axis last; y: (b, k, ...) with it second.
    x = _shape.transpose(x, [d for d in range(x.rank) if d != a0] + [a0])
    y = _shape.transpose(y, [0, a1] + [d for d in range(1, y.rank) if d != a1])
    x_mid, y_tail = x.shape[1:-1], y.shape[2:]
    batch = x.shape[0] if x.shape[0] is not None else y.shape[0]
    lead = -1 if batch is None else batch
    if x.rank > 3:
        x = _shape.reshape(x, (lead, _prod(x_mid), x.shape[-1]))
    if y.rank > 3:
        y = _shape.reshape(y, (lead, y.shape[1], _prod(y_tail)))
    out = _matrices.mat_mul(x, y)
    if len(x_mid) > 1 or len(y_tail) > 1:
        out = _shape.reshape(out, (lead,) + tuple(x_mid) + tuple(y_tail))
    if x_rank == 2:
        out = _shape.squeeze(out, [1])
    elif y_rank == 2:
        out = _shape.squeeze(out, [out.rank - 1])
    return out


def _prod(dims) -> int:
    total = 1
    for d in dims:
        if d is None:
            raise ShapeError(f"dot: sample dimensions must be known, got {tuple(dims)}")
        total *= d
    return total
