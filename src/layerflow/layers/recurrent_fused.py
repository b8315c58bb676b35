"""An LSTM or GRU layer's whole sequence as one op, where its cell allows it.

:func:`~layerflow.ops.recurrent_sequence.lstm_sequence` and ``gru_sequence`` compute what the
built-in ``LSTMCell`` and ``GRUCell`` compute step by step, as one kernel forward and one
backward. An RNN takes that path when nothing needs the step-by-step loop: the cell is exactly
``LSTMCell``, or ``GRUCell`` with ``reset_after=True`` (a subclass may change its step), with
the default ``tanh`` and ``sigmoid`` activations; no dropout is active; no mask is given; and
the inputs are a concrete float sequence of the cell's dtype. ``go_backwards`` reverses the
inputs first, as the loop does. ``unroll`` does not matter here: the op has no loop to unroll
(as Keras's cuDNN path ignores it).
"""

from __future__ import annotations

from layerflow import activations
from layerflow.engine.dtypes import is_float
from layerflow.engine.symbolic import SymbolicTensor


def can_fuse(rnn, x, mask, training) -> bool:
    """True when ``rnn`` may run over ``x`` as one ``lstm_sequence`` or ``gru_sequence`` op."""
    from layerflow.layers.recurrent_layers import GRUCell, LSTMCell

    cell = rnn.cell
    if type(cell) not in (LSTMCell, GRUCell) or mask is not None or isinstance(
            x, SymbolicTensor):
        return False
    if type(cell) is GRUCell and not cell.reset_after:
        return False
    if cell.activation is not activations.tanh or (
            cell.recurrent_activation is not activations.sigmoid):
        return False
    if training and (cell.dropout or cell.recurrent_dropout):
        return False
    return len(x.shape) == 3 and is_float(x.dtype) and x.dtype == cell.kernel.dtype


def run_fused(rnn, x, states: list):
    """``(output, final states)`` of ``rnn`` over ``x`` from ``states`` (``[h, c]`` or
    ``[h]``)."""
    import layerflow as ops
    from layerflow.ops.recurrent_sequence import gru_sequence, lstm_sequence

    cell = rnn.cell
    if rnn.go_backwards:
        x = ops.reverse(x, 1)
    weights = (cell.kernel, cell.recurrent_kernel, cell.bias, rnn.return_sequences)
    if len(states) == 2:
        y, h, c = lstm_sequence(x, states[0], states[1], *weights)
        return y, [h, c]
    y, h = gru_sequence(x, states[0], *weights)
    return y, [h]
