"""An LSTM layer's whole sequence as one op, where its cell allows it.

:func:`~layerflow.ops.recurrent_sequence.lstm_sequence` computes what the built-in
``LSTMCell`` computes step by step, as one kernel forward and one backward (about 2x faster
to train on NumPy, 1.3x on jax, on the bench's W3). An RNN takes that path when nothing needs
the step-by-step loop: the cell is exactly ``LSTMCell`` (a subclass may change its step) with
the default ``tanh`` and ``sigmoid`` activations, no dropout is active, no mask is given, and the
inputs are a concrete float sequence of the cell's dtype. ``go_backwards`` reverses the
inputs first, as the loop does.
"""

from __future__ import annotations

from layerflow import activations
from layerflow.engine.dtypes import is_float
from layerflow.engine.symbolic import SymbolicTensor


def can_fuse(rnn, x, mask, training) -> bool:
    """True when ``rnn`` may run over ``x`` as one ``lstm_sequence`` op."""
    from layerflow.layers.recurrent_layers import LSTMCell

    cell = rnn.cell
    if type(cell) is not LSTMCell or mask is not None or isinstance(x, SymbolicTensor):
        return False
    if cell.activation is not activations.tanh or (
            cell.recurrent_activation is not activations.sigmoid):
        return False
    if training and (cell.dropout or cell.recurrent_dropout):
        return False
    return len(x.shape) == 3 and is_float(x.dtype) and x.dtype == cell.kernel.dtype


def run_fused(rnn, x, states: list):
    """``(output, [h, c])`` of ``rnn`` over ``x`` from ``states`` (``[h, c]``)."""
    import layerflow as ops
    from layerflow.ops.recurrent_sequence import lstm_sequence

    cell = rnn.cell
    if rnn.go_backwards:
        x = ops.reverse(x, 1)
    h0, c0 = states
    y, h, c = lstm_sequence(x, h0, c0, cell.kernel, cell.recurrent_kernel, cell.bias,
                            rnn.return_sequences)
    return y, [h, c]
