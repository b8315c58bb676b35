"""Evaluation: topk, unique, search_sorted (lower_bound, upper_bound), in_top_k,
confusion_matrix.

>>> import layerflow as lf
>>> lf.topk(lf.tensor([1, 4, 3]), 2).values.array_sync()
[4, 3]
"""

from __future__ import annotations

from collections import namedtuple

from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import (
    as_tensor,
    binary_inputs,
    chainable,
    normalize_axis,
    run,
    run_multi,
)

__all__ = ["topk", "TopK", "unique", "Unique", "search_sorted", "lower_bound", "upper_bound",
           "in_top_k", "confusion_matrix"]

TopK = namedtuple("TopK", ["values", "indices"])
TopK.__doc__ = "What :func:`topk` returns: ``(values, indices)``."
Unique = namedtuple("Unique", ["values", "indices"])
Unique.__doc__ = "What :func:`unique` returns: ``(values, indices)``."


def _int_arg(value, name: str, op: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgumentError(f"{op}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


# -- topk ------------------------------------------------------------------------------------
@chainable()
def topk(x, k: int = 1, sorted: bool = True) -> TopK:  # noqa: A002  (TF.js's name)
    """The ``k`` largest entries along the last axis and their int32 indices.

    Equal values keep their order (the lower index first), as TF.js; the result is always
    sorted (largest first). The gradient flows to the selected entries.

    >>> import layerflow as lf
    >>> r = lf.topk(lf.tensor([[1, 5, 5, 2]]), k=2)
    >>> r.values.array_sync(), r.indices.array_sync()
    ([[5, 5]], [[1, 2]])
    """
    x = as_tensor(x, "x", "topk")
    if x.dtype in ("string", "complex64"):
        raise DTypeError(f"topk: expected a real numeric tensor, got dtype {x.dtype}")
    if x.rank == 0:
        raise ShapeError("topk: x must have rank >= 1, got a scalar")
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise InvalidArgumentError(f"topk: k must be an integer >= 0, got {k!r}")
    depth = x.shape[-1]
    if depth is not None and k > depth:
        raise InvalidArgumentError(f"topk: k ({k}) must be <= the last dimension ({depth}) of "
                                   f"x, shape {x.shape}")
    shape = x.shape[:-1] + (k,)
    values, indices = run_multi("topk", (x,), [(shape, x.dtype), (shape, "int32")],
                                {"k": k, "sorted": bool(sorted)}, grad=_topk_grad)
    return TopK(values, indices)


def _topk_grad(dys, inputs, outs, attrs):
    (x,) = inputs
    return (_scatter_last(dys[0], outs[1], x.shape[-1]),)


def _scatter_last(g, indices, depth):
    """Zeros of last dimension ``depth`` with ``g`` added at ``indices`` (last axis)."""
    return run("topk_scatter", (g, indices), g.shape[:-1] + (depth,), g.dtype, {"depth": depth},
               grad=_scatter_grad)


def _scatter_grad(dy, inputs, out, attrs):
    g, indices = inputs
    return _gather_last(dy, indices), None


def _gather_last(x, indices):
    return run("topk_gather_last", (x, indices), indices.shape, x.dtype, grad=_gather_grad)


def _gather_grad(dy, inputs, out, attrs):
    x, indices = inputs
    return _scatter_last(dy, indices, x.shape[-1]), None


# -- unique ----------------------------------------------------------------------------------
@chainable()
def unique(x, axis: int = 0) -> Unique:
    """The distinct slices of ``x`` along ``axis`` in order of first appearance, and for each
    slice of ``x`` the int32 index of its value in ``values``.

    >>> import layerflow as lf
    >>> r = lf.unique(lf.tensor([4, 1, 4, 2, 1]))
    >>> r.values.array_sync(), r.indices.array_sync()
    ([4, 1, 2], [0, 1, 0, 2, 1])
    """
    x = as_tensor(x, "x", "unique")
    if x.dtype == "complex64":
        raise DTypeError("unique: complex64 is not supported")
    if x.rank == 0:
        raise ShapeError("unique: x must have rank >= 1, got a scalar")
    a = normalize_axis(axis, x.rank, "unique")
    values_shape = tuple(None if i == a else d for i, d in enumerate(x.shape))
    values, indices = run_multi("unique", (x,), [(values_shape, x.dtype),
                                                 ((x.shape[a],), "int32")], {"axis": a})
    return Unique(values, indices)


# -- search_sorted ---------------------------------------------------------------------------
def search_sorted(sorted_sequence, values, side: str = "left"):
    """For each of ``values``, the int32 index where it would be inserted into the sorted last
    axis of ``sorted_sequence`` to keep it sorted (``side='left'``: before equal entries,
    ``'right'``: after). Leading dimensions of the two inputs must match.

    >>> import layerflow as lf
    >>> lf.search_sorted([1, 3, 3, 5], [3, 4], 'right').array_sync()
    [3, 3]
    """
    op = "search_sorted"
    if side not in ("left", "right"):
        raise InvalidArgumentError(f"{op}: side must be 'left' or 'right', got {side!r}")
    seq, vals = binary_inputs(sorted_sequence, values, op, ("sorted_sequence", "values"))
    if seq.dtype in ("string", "complex64", "bool"):
        raise DTypeError(f"{op}: expected real numeric inputs, got dtype {seq.dtype}")
    if seq.rank < 1:
        raise ShapeError(f"{op}: sorted_sequence must have rank >= 1, got a scalar")
    if vals.rank != seq.rank:
        raise ShapeError(f"{op}: sorted_sequence and values must have the same rank, got shapes "
                         f"{seq.shape} and {vals.shape}")
    for ds, dv in zip(seq.shape[:-1], vals.shape[:-1]):
        if ds is not None and dv is not None and ds != dv:
            raise ShapeError(f"{op}: leading dimensions of sorted_sequence {seq.shape} and "
                             f"values {vals.shape} must match")
    if seq._symbolic or vals._symbolic:
        return run(op, (seq, vals), vals.shape, "int32", {"side": side})
    from layerflow.ops.shape import reshape

    rows = 1
    for d in seq.shape[:-1]:
        rows *= d
    seq2 = reshape(seq, (rows, seq.shape[-1]))
    vals2 = reshape(vals, (rows, vals.shape[-1]))
    out = run(op, (seq2, vals2), vals2.shape, "int32", {"side": side})
    return reshape(out, vals.shape)


def lower_bound(sorted_sequence, values):
    """:func:`search_sorted` with ``side='left'``: the first index ``i`` with
    ``sorted_sequence[i] >= value``.

    >>> import layerflow as lf
    >>> lf.lower_bound([1, 3, 3, 5], [3, 6]).array_sync()
    [1, 4]
    """
    return search_sorted(sorted_sequence, values, "left")


def upper_bound(sorted_sequence, values):
    """:func:`search_sorted` with ``side='right'``: the first index ``i`` with
    ``sorted_sequence[i] > value``.

    >>> import layerflow as lf
    >>> lf.upper_bound([1, 3, 3, 5], [3, 0]).array_sync()
    [3, 0]
    """
    return search_sorted(sorted_sequence, values, "right")


# -- in_top_k, confusion_matrix --------------------------------------------------------------
def in_top_k(predictions, targets, k: int = 1):
    """Whether each target index is among the ``k`` largest predictions of its row (bool).

    Ties are broken as TF.js: an equal prediction at a lower index ranks first.

    >>> import layerflow as lf
    >>> lf.in_top_k(lf.tensor([[0.1, 0.8, 0.1], [0.5, 0.2, 0.3]]), [1, 2], 1).array_sync()
    [True, False]
    """
    op = "in_top_k"
    predictions = as_tensor(predictions, "predictions", op)
    targets = as_tensor(targets, "targets", op, "int32")
    if predictions.dtype in ("string", "complex64", "bool"):
        raise DTypeError(f"{op}: predictions must be a real numeric tensor, got dtype "
                         f"{predictions.dtype}")
    if targets.dtype != "int32":
        raise DTypeError(f"{op}: targets must be int32, got dtype {targets.dtype}")
    if predictions.rank < 1:
        raise ShapeError(f"{op}: predictions must have rank >= 1, got a scalar")
    if targets.rank != predictions.rank - 1 or any(
            a is not None and b is not None and a != b
            for a, b in zip(targets.shape, predictions.shape[:-1])):
        raise ShapeError(f"{op}: targets shape {targets.shape} must equal predictions shape "
                         f"{predictions.shape} without its last dimension")
    k = _int_arg(k, "k", op)
    depth = predictions.shape[-1]
    if depth is not None and k > depth:
        raise InvalidArgumentError(f"{op}: k ({k}) must be <= the last dimension ({depth}) of "
                                   f"predictions")
    return run(op, (predictions, targets), targets.shape, "bool", {"k": k})


def confusion_matrix(labels, predictions, num_classes: int):
    """The int32 ``[num_classes, num_classes]`` matrix counting each (label, prediction) pair:
    row = true label, column = prediction. Out-of-range entries are ignored.

    >>> import layerflow as lf
    >>> lf.confusion_matrix([0, 1, 1], [0, 1, 0], 2).array_sync()
    [[1, 0], [1, 1]]
    """
    op = "confusion_matrix"
    labels = as_tensor(labels, "labels", op, "int32")
    predictions = as_tensor(predictions, "predictions", op, "int32")
    num_classes = _int_arg(num_classes, "num_classes", op, 1)
    for name, t in (("labels", labels), ("predictions", predictions)):
        if t.dtype != "int32":
            raise DTypeError(f"{op}: {name} must be int32, got dtype {t.dtype}")
        if t.rank != 1:
            raise ShapeError(f"{op}: {name} must have rank 1, got shape {t.shape}")
    if None not in (labels.shape[0], predictions.shape[0]) and \
            labels.shape != predictions.shape:
        raise ShapeError(f"{op}: labels {labels.shape} and predictions {predictions.shape} must "
                         "have the same shape")
    return run(op, (labels, predictions), (num_classes, num_classes), "int32",
               {"num_classes": num_classes})
