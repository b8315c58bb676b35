"""Segment ops: sums and maxima of the rows of ``x`` grouped by ``segment_ids``.

``unsorted_segment_sum`` is TF.js's op; ``segment_sum`` / ``segment_max`` follow Keras 3
(``num_segments`` inferred from the ids when None; empty segments of ``segment_max`` hold the
lowest value: ``-inf`` for floats). Ids must lie in ``[0, num_segments)``.

>>> import layerflow as lf
>>> lf.unsorted_segment_sum(lf.tensor([1, 2, 3, 4]), lf.tensor([0, 1, 0, 1]), 2).array_sync()
[4, 6]
"""

from __future__ import annotations

import numpy as np

from layerflow.errors import DTypeError, InvalidArgumentError, NotSupportedError, ShapeError
from layerflow.ops._define import as_tensor, chainable, run

__all__ = ["unsorted_segment_sum", "segment_sum", "segment_max"]


def _inputs(x, segment_ids, num_segments, op: str):
    from layerflow.ops.elementwise import cast
    from layerflow.ops.slicing import IndexOutOfRangeError, concrete, needs_values

    x = as_tensor(x, "x", op)
    if x.dtype == "string":
        raise DTypeError(f"{op}: expected a numeric tensor, got dtype string")
    if x.dtype == "bool":
        x = cast(x, "int32")
    ids = as_tensor(segment_ids, "segment_ids", op, "int32")
    if ids.dtype != "int32":
        raise DTypeError(f"{op}: segment_ids must be int32, got dtype {ids.dtype}")
    if ids.rank > x.rank or any(None not in (a, b) and a != b
                                for a, b in zip(ids.shape, x.shape)):
        raise ShapeError(f"{op}: segment_ids shape {ids.shape} must be a prefix of x shape "
                         f"{x.shape}")
    if num_segments is None:
        if ids._symbolic:
            raise NotSupportedError(f"{op}: num_segments is needed for symbolic inputs")
        values = needs_values(ids, op)
        num_segments = int(values.max()) + 1 if values.size else 0
    if isinstance(num_segments, bool) or not isinstance(num_segments, (int, np.integer)) \
            or num_segments < 0:
        raise InvalidArgumentError(f"{op}: num_segments must be a non-negative integer, got "
                                   f"{num_segments!r}")
    num_segments = int(num_segments)
    values = concrete(ids)
    if values is not None:
        bad = values[(values < 0) | (values >= num_segments)]
        if bad.size:
            raise IndexOutOfRangeError(f"{op}: segment_ids must be in [0, {num_segments}), got "
                                       f"{int(bad.flat[0])}")
    return x, ids, num_segments, (num_segments,) + x.shape[ids.rank:]


@chainable()
def unsorted_segment_sum(x, segment_ids, num_segments):
    """Sum of the slices of ``x`` sharing each segment id (output has ``num_segments`` rows).

    >>> import layerflow as lf
    >>> x = lf.tensor([[1, 2], [3, 4], [5, 6]])
    >>> lf.unsorted_segment_sum(x, lf.tensor([1, 0, 1]), 2).array_sync()
    [[3, 4], [6, 8]]
    """
    x, ids, n, shape = _inputs(x, segment_ids, num_segments, "unsorted_segment_sum")
    return run("unsorted_segment_sum", (x, ids), shape, x.dtype, {"num_segments": n},
               grad=_segment_sum_grad)


def _segment_sum_grad(dy, inputs, out, attrs):
    from layerflow.ops.slicing import gather

    _, ids = inputs
    return gather(dy, ids), None


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002  (Keras)
    """Keras ``segment_sum``: ``unsorted_segment_sum`` with ``num_segments`` optional.

    >>> import layerflow as lf
    >>> lf.segment_sum(lf.tensor([1.0, 2.0, 3.0]), lf.tensor([0, 0, 1])).array_sync()
    [3.0, 3.0]
    """
    x, ids, n, shape = _inputs(data, segment_ids, num_segments, "segment_sum")
    return run("unsorted_segment_sum", (x, ids), shape, x.dtype, {"num_segments": n},
               grad=_segment_sum_grad)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002  (Keras)
    """Keras ``segment_max``: the maximum of the slices in each segment.

    >>> import layerflow as lf
    >>> lf.segment_max(lf.tensor([1.0, 5.0, 3.0]), lf.tensor([0, 0, 1])).array_sync()
    [5.0, 3.0]
    """
    x, ids, n, shape = _inputs(data, segment_ids, num_segments, "segment_max")
    return run("unsorted_segment_max", (x, ids), shape, x.dtype, {"num_segments": n},
               grad=_segment_max_grad)


def _equal_mask(a, b):
    """1 where ``a == b``, else 0, in ``a``'s dtype (no gradient)."""
    return run("segment_equal_mask", (a, b), a.shape, a.dtype)


def _segment_max_grad(dy, inputs, out, attrs):
    from layerflow.ops.creation import zeros_like
    from layerflow.ops.elementwise import add, div, mul
    from layerflow.ops.slicing import gather

    x, ids = inputs
    n = attrs["num_segments"]
    selected = _equal_mask(x, gather(out, ids))
    count = run("unsorted_segment_sum", (selected, ids), out.shape, x.dtype,
                {"num_segments": n})
    # NOTE: empty segments have count 0; count 1 there instead (their share is never gathered).
    count = add(count, _equal_mask(count, zeros_like(count)))
    share = div(dy, count)
    return mul(selected, gather(share, ids)), None
