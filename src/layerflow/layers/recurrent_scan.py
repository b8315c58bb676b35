"""The RNN time loop as one ``scan`` op, for programs compiled on the jax backend.

:class:`~layerflow.layers.recurrent.RNN` loops over time steps in Python, which inside
``lf.compile`` unrolls the sequence into the program: fine for a few steps, slow to compile
for long sequences (50 LSTM steps took about 50 s). While tracing on jax, an RNN over a
built-in cell runs the loop as :func:`~layerflow.ops.scan.scan` instead (Keras's jax backend
uses ``lax.scan`` the same way): the step is traced once. ``unroll=True`` keeps the Python loop.

Only the built-in cells take this path: they draw their dropout masks once per sequence, which
happens here before the loop (a step whose result XLA drops), whereas a user's cell might draw
random numbers in every step, which a traced-once step would repeat.
"""

from __future__ import annotations

from layerflow.engine.context import ENGINE
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.layers.base import _flatten
from layerflow.layers.recurrent import StackedRNNCells, _pack, _state_list, is_builtin_cell


def _cells(cell) -> list:
    return list(cell.cells) if isinstance(cell, StackedRNNCells) else [cell]


def can_scan(rnn, x) -> bool:
    """True when ``rnn`` should run its loop as one scan op on ``x``."""
    if rnn.unroll or not ENGINE.tracing or isinstance(x, SymbolicTensor):
        return False
    if not ENGINE.get_backend().traces_functions:
        return False
    return all(is_builtin_cell(c) for c in _cells(rnn.cell))


def run_scanned(rnn, x, states: list, step_mask, prev, kwargs: dict):
    """Run ``rnn``'s cell over ``x``; returns ``(outputs or last output, final flat states)``.

    ``states`` are nested as the cell's ``state_size``; ``step_mask`` is ``(batch, time)``
    bool or None; ``prev`` is the output a masked first step repeats.
    """
    import layerflow as ops
    from layerflow.ops.scan import scan

    cell, sizes = rnn.cell, rnn.state_size
    time_major = [1, 0, *range(2, len(x.shape))]
    xs = [ops.transpose(x, time_major)]
    if step_mask is not None:
        xs.append(ops.expand_dims(ops.transpose(step_mask, [1, 0]), -1))
    if rnn.go_backwards:
        xs = [ops.reverse(a, 0) for a in xs]
    cells = _cells(cell)
    consts = [w for c in cells for w in c.weights]
    zero_masked = rnn.zero_output_for_mask
    dropout = kwargs.get("training") and any(c.dropout or c.recurrent_dropout for c in cells)
    getattr(cell, "_start_sequence", lambda: None)()
    try:
        if dropout:
            # NOTE: draws the dropout masks (cached per sequence) outside the traced step.
            cell.call(x[:, 0], states, **kwargs)
        caches = [c.__dict__.get("_mask_cache") for c in cells]

        def step(carry, x_t):
            for c, cache in zip(cells, caches):
                c.__dict__["_mask_cache"] = cache  # the same masks in every trace of the step
            old = _pack(carry[:-1], sizes)
            out, new = cell.call(x_t[0], old, **kwargs)
            new = _flatten(_state_list(new))
            if step_mask is not None:
                m = x_t[1]
                out = ops.where(m, out, ops.zeros_like(out) if zero_masked else carry[-1])
                new = [ops.where(m, n, s) for n, s in zip(new, carry[:-1])]
            return [*new, out], ([out] if rnn.return_sequences else [])

        carry, ys = scan(step, [*_flatten(states), prev], xs, consts)
    finally:
        getattr(cell, "_end_sequence", lambda: None)()
    output = ops.transpose(ys[0], [1, 0, 2]) if rnn.return_sequences else carry[-1]
    return output, carry[:-1]

