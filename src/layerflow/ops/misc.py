"""TF.js's remaining ops, all composites of other ops: dropout, moving_average, the basic LSTM
cell helpers, sparse_to_dense and where_async.

>>> import layerflow as lf
>>> lf.moving_average(lf.tensor([0.0]), lf.tensor([1.0]), 0.5, zero_debias=False).array_sync()
[0.5]
"""

from __future__ import annotations

from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, is_symbolic

__all__ = ["dropout", "moving_average", "basic_lstm_cell", "multi_rnn_cell", "sparse_to_dense",
           "where_async"]


def dropout(x, rate, noise_shape=None, seed=None):
    """Zero a ``rate`` fraction of ``x`` at random and scale the rest by ``1 / (1 - rate)``.

    Args:
        x: a float tensor.
        rate: the probability of dropping each element, in ``[0, 1)``.
        noise_shape: the shape of the random keep-mask (broadcast against ``x``).
        seed: a seed for reproducible masks.

    >>> import layerflow as lf
    >>> lf.dropout(lf.ones([4]), 0.0).array_sync()
    [1.0, 1.0, 1.0, 1.0]
    """
    from layerflow.ops.elementwise import cast, div, mul
    from layerflow.ops.logical import greater_equal
    from layerflow.ops.random import random_uniform

    x = as_tensor(x, "x", "dropout")
    if not dtypes.is_float(x.dtype):
        raise DTypeError(f"dropout: expected a float tensor, got dtype {x.dtype}")
    if not 0 <= rate < 1:
        raise InvalidArgumentError(f"dropout: rate must be in [0, 1), got {rate}")
    if rate == 0:
        return mul(x, 1.0)
    shape = x.shape if noise_shape is None else tuple(noise_shape)
    keep = greater_equal(random_uniform(shape, 0.0, 1.0, x.dtype, seed=seed), rate)
    return div(mul(x, cast(keep, x.dtype)), 1.0 - rate)


def moving_average(v, x, decay, step=None, zero_debias: bool = True):
    """``v + (x - v) * (1 - decay)``; with ``zero_debias`` divided by ``1 - decay ** step``.

    >>> import layerflow as lf
    >>> lf.moving_average(lf.tensor([0.0]), lf.tensor([1.0]), 0.5, step=1).array_sync()
    [1.0]
    """
    from layerflow.ops.elementwise import add, div, mul, sub

    v = as_tensor(v, "v", "moving_average")
    x = as_tensor(x, "x", "moving_average")
    if v.shape != x.shape:
        raise ShapeError(f"moving_average: v has shape {v.shape} but x has shape {x.shape}")
    decay = float(decay.item()) if hasattr(decay, "item") else float(decay)
    update = mul(sub(x, v), 1.0 - decay)
    if zero_debias:
        if step is None:
            raise InvalidArgumentError("moving_average: zero_debias needs step")
        step = float(step.item()) if hasattr(step, "item") else float(step)
        update = div(update, 1.0 - decay ** step)
    return add(v, update)


def basic_lstm_cell(forget_bias, lstm_kernel, lstm_bias, data, c, h):
    """One step of TF.js's basic LSTM cell; returns ``[new_c, new_h]``.

    Gates come from ``concat([data, h], 1) @ lstm_kernel + lstm_bias`` split into i, j, f, o.
    """
    from layerflow.ops.elementwise import add, mul
    from layerflow.ops.joining import concat
    from layerflow.ops.math import sigmoid, tanh
    from layerflow.ops.matrices import mat_mul
    from layerflow.ops.slicing import slice as slice_op

    data = as_tensor(data, "data", "basic_lstm_cell")
    h = as_tensor(h, "h", "basic_lstm_cell")
    kernel = as_tensor(lstm_kernel, "lstm_kernel", "basic_lstm_cell")
    res = add(mat_mul(concat([data, h], 1), kernel), lstm_bias)
    batch, width = res.shape[0], res.shape[1]
    if width % 4:
        raise ShapeError(f"basic_lstm_cell: kernel width {width} is not a multiple of 4")
    cols = width // 4
    i, j, f, o = (slice_op(res, [0, cols * k], [batch, cols]) for k in range(4))
    new_c = add(mul(sigmoid(i), tanh(j)), mul(c, sigmoid(add(forget_bias, f))))
    new_h = mul(tanh(new_c), sigmoid(o))
    return [new_c, new_h]


def multi_rnn_cell(lstm_cells, data, c, h):
    """Run ``lstm_cells`` (functions ``(data, c, h) -> [c, h]``) in sequence; ``[cs, hs]``."""
    if len(c) != len(lstm_cells) or len(h) != len(lstm_cells):
        raise InvalidArgumentError(f"multi_rnn_cell: {len(lstm_cells)} cells need as many c and "
                                   f"h states, got {len(c)} and {len(h)}")
    x, new_c, new_h = data, [], []
    for cell, ci, hi in zip(lstm_cells, c, h):
        out_c, out_h = cell(x, ci, hi)
        new_c.append(out_c)
        new_h.append(out_h)
        x = out_h
    return [new_c, new_h]


def sparse_to_dense(sparse_indices, sparse_values, output_shape, default_value=0):
    """A dense tensor of ``output_shape`` with ``sparse_values`` at ``sparse_indices``.

    >>> import layerflow as lf
    >>> lf.sparse_to_dense(lf.tensor([1, 3]), lf.tensor([5.0, 6.0]), [4]).array_sync()
    [0.0, 5.0, 0.0, 6.0]
    """
    from layerflow.ops.creation import fill
    from layerflow.ops.shape import expand_dims
    from layerflow.ops.slicing import tensor_scatter_update

    indices = as_tensor(sparse_indices, "sparse_indices", "sparse_to_dense")
    values = as_tensor(sparse_values, "sparse_values", "sparse_to_dense")
    shape = tuple(int(d) for d in output_shape)
    if indices.dtype != "int32":
        raise DTypeError(f"sparse_to_dense: sparse_indices must be int32, got {indices.dtype}")
    if indices.rank <= 1:
        indices = expand_dims(indices, -1) if indices.rank == 1 else expand_dims(
            expand_dims(indices, 0), 0)
    count = indices.shape[0]
    if values.rank == 0:
        from layerflow.ops.shape import broadcast_to

        values = broadcast_to(values, (count,))
    dense = fill(shape, default_value, values.dtype)
    return tensor_scatter_update(dense, indices, values)


def where_async(condition):
    """The coordinates of the true elements of ``condition`` (int32, shape [n, rank]).

    TF.js's ``whereAsync``; eager only, since the output size depends on the values.

    >>> import layerflow as lf
    >>> lf.where_async(lf.tensor([[True, False], [False, True]])).array_sync()
    [[0, 0], [1, 1]]
    """
    import numpy as np

    from layerflow.ops.creation import tensor

    condition = as_tensor(condition, "condition", "where_async")
    if is_symbolic(condition):
        raise InvalidArgumentError("where_async: the output size depends on the values, so it "
                                   "cannot run on symbolic tensors")
    if condition.dtype != "bool":
        raise DTypeError(f"where_async: condition must be bool, got {condition.dtype}")
    coords = np.argwhere(condition.numpy()).astype(np.int32)
    return tensor(coords.reshape(-1, condition.rank), dtype="int32")
