"""A whole LSTM or GRU sequence as one op (``lstm_sequence``, ``gru_sequence``), with
back-propagation through time as one gradient kernel.

:class:`~layerflow.layers.recurrent_layers.LSTM` and ``GRU`` run them when their cell is the
built-in one with the default activations (and, for GRU, ``reset_after=True``), no dropout is
active and no mask is given (``layers/recurrent_fused.py``); other RNNs loop over their cell
step by step. The kernels (``backends/kernels/recurrent_sequence.py``) keep the time loop
inside one call, forward and backward, and compute the weight gradients as one large matmul
each after the backward loop. A training step of the bench's W3 (LSTM 128 over 50 steps,
batch 64) went from about 38 to 31 ms on NumPy and from about 27 to 23 ms on jax; the same model
with GRU 128, from 75 to 23 ms on NumPy and from 19 to 17 ms on jax. Not exported at the top
level (``lf.*``): import them from here.

Second order: when a tape records the backward pass (a gradient of a gradient), the gradient is
computed instead by recomputing the sequence with ordinary ops (``reference_lstm_sequence``,
``reference_gru_sequence``: ``scan`` over the step) under a tape of its own and
back-propagating through that, so the outer tape differentiates it like any composite.

>>> import layerflow as lf
>>> from layerflow.ops.recurrent_sequence import lstm_sequence
>>> x, h0, c0 = lf.ones([1, 3, 2]), lf.zeros([1, 1]), lf.ones([1, 1])
>>> y, h, c = lstm_sequence(x, h0, c0, lf.zeros([2, 4]), lf.zeros([1, 4]))
>>> y.shape, c.array_sync()  # each step keeps half of c: the forget gate is sigmoid(0)
((1, 3, 1), [[0.125]])
"""

from __future__ import annotations

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.engine.tape import partial_grad
from layerflow.errors import DTypeError, ShapeError
from layerflow.ops._define import as_tensor, run_multi

__all__ = ["gru_sequence", "lstm_sequence"]


def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, return_sequences=True):
    """Run an LSTM (``tanh`` and ``sigmoid`` activations, Keras's gate order ``i, f, g, o``)
    over ``x``: ``(y, h, c)``.

    Each step computes ``z = x_t @ kernel + h @ recurrent_kernel + bias`` and then
    :func:`~layerflow.ops.recurrent.lstm_gates`.

    Args:
        x: ``(batch, time, features)``, at least one step.
        h0, c0: ``(batch, units)``, the initial states.
        kernel: ``(features, 4 * units)``.
        recurrent_kernel: ``(units, 4 * units)``.
        bias: ``(4 * units,)`` or None.
        return_sequences: ``y`` holds every step's ``h`` (``(batch, time, units)``) if true,
            else the last one (``(batch, units)``).

    Returns:
        ``(y, h, c)``: the outputs and the final states.

    Raises:
        ShapeError: a shape does not fit the others (the message names both).
        DTypeError: the inputs are not all of one floating-point dtype.

    >>> import layerflow as lf
    >>> y, h, c = lstm_sequence(lf.ones([2, 4, 3]), lf.zeros([2, 5]), lf.zeros([2, 5]),
    ...                         lf.zeros([3, 20]), lf.zeros([5, 20]), lf.zeros([20]),
    ...                         return_sequences=False)
    >>> y.shape, h.shape
    ((2, 5), (2, 5))
    """
    inputs = _inputs("lstm_sequence", [x, h0, c0, kernel, recurrent_kernel], bias, _LSTM, 4)
    outs = _run("lstm_sequence", inputs, 2, (1, 1, 1, 1), return_sequences)
    return outs[0], outs[1], outs[2]


def gru_sequence(x, h0, kernel, recurrent_kernel, bias=None, return_sequences=True):
    """Run a GRU with ``reset_after=True`` (Keras 3's default; ``tanh`` and ``sigmoid``
    activations, gates ``z, r, h`` in that order) over ``x``: ``(y, h)``.

    Each step computes ``p = x_t @ kernel + bias[0]``, ``q = h @ recurrent_kernel + bias[1]``,
    ``z = sigmoid(p_z + q_z)``, ``r = sigmoid(p_r + q_r)``, ``a = tanh(p_h + r * q_h)`` and
    ``h = z * h + (1 - z) * a``.

    Args:
        x: ``(batch, time, features)``, at least one step.
        h0: ``(batch, units)``, the initial state.
        kernel: ``(features, 3 * units)``.
        recurrent_kernel: ``(units, 3 * units)``.
        bias: ``(2, 3 * units)`` (input and recurrent biases) or None.
        return_sequences: as :func:`lstm_sequence`.

    Returns:
        ``(y, h)``: the outputs and the final state.

    Raises:
        ShapeError, DTypeError: as :func:`lstm_sequence`.

    >>> import layerflow as lf
    >>> y, h = gru_sequence(lf.ones([1, 2, 3]), lf.ones([1, 1]), lf.zeros([3, 3]),
    ...                     lf.zeros([1, 3]))
    >>> y.array_sync()  # z = 0.5 and a = 0: each step halves h
    [[[0.5], [0.25]]]
    """
    inputs = _inputs("gru_sequence", [x, h0, kernel, recurrent_kernel], bias, _GRU, 3)
    outs = _run("gru_sequence", inputs, 1, (4,), return_sequences)
    return outs[0], outs[1]


_LSTM = ("x", "h0", "c0", "kernel", "recurrent_kernel", "bias")
_GRU = ("x", "h0", "kernel", "recurrent_kernel", "bias")


def _inputs(op: str, given: list, bias, names: tuple, gates: int) -> list:
    """The inputs as tensors, after checking their dtypes and shapes."""
    given = given + ([] if bias is None else [bias])
    inputs = [as_tensor(t, name, op) for t, name in zip(given, names)]
    if len({t.dtype for t in inputs}) != 1 or not dtypes.is_float(inputs[0].dtype):
        raise DTypeError(f"{op}: all inputs must have one floating-point dtype, got "
                         + ", ".join(f"{n} {t.dtype}" for n, t in zip(names, inputs)))
    shapes = {name: tuple(t.shape) for name, t in zip(names, inputs)}
    x, k, rk = shapes["x"], shapes["kernel"], shapes["recurrent_kernel"]
    states = [shapes[n] for n in names if n in ("h0", "c0")]
    units = rk[0] if len(rk) == 2 else None

    def fits(a, b):
        return a is None or b is None or a == b

    good = (len(x) == 3 and x[1] != 0 and len(k) == 2 and len(rk) == 2
            and fits(rk[1], None if units is None else gates * units) and fits(k[1], rk[1])
            and fits(k[0], x[2])
            and all(len(s) == 2 and fits(s[1], units) and fits(s[0], x[0]) and s == states[0]
                    for s in states))
    bias_shape = f"({gates} * units,)" if gates == 4 else f"(2, {gates} * units)"
    if "bias" in shapes:
        b = shapes["bias"]
        good = good and (len(b) == 1 and fits(b[0], k[1]) if gates == 4
                         else len(b) == 2 and b[0] == 2 and fits(b[1], k[1]))
    if not good:
        state_names = " and ".join(n for n in names if n in ("h0", "c0"))
        raise ShapeError(f"{op}: expected x (batch, time, features) with time >= 1, "
                         f"{state_names} (batch, units), kernel (features, {gates} * units), "
                         f"recurrent_kernel (units, {gates} * units) and bias {bias_shape}, "
                         "got " + ", ".join(f"{n} {s}" for n, s in shapes.items()))
    return inputs


def _run(op: str, inputs: list, n_states: int, saved_widths: tuple, return_sequences) -> list:
    """Run ``op``: its outputs are ``y``, the final states, then what its gradient kernel
    needs (every step's states and arrays ``saved_widths`` times ``units`` wide)."""
    x, units = inputs[0], inputs[1].shape[1]
    batch, steps, dtype = x.shape[0], x.shape[1], x.dtype
    y_shape = (batch, steps, units) if return_sequences else (batch, units)
    specs = [(y_shape, dtype)] + [((batch, units), dtype)] * n_states
    specs += [((steps, batch, units), dtype)] * n_states
    specs += [((steps, batch, width * units), dtype) for width in saved_widths]
    return run_multi(op, tuple(inputs), specs, {"return_sequences": bool(return_sequences)},
                     grad=_sequence_grad)


@partial_grad
def _sequence_grad(dys, inputs, outs, attrs, needs):
    # NOTE: only y and the final states reach the seeds; the saved outputs' are zeros.
    lstm = len(outs) == 9  # NOTE: y, h, c, then hs, cs and the four gates; a GRU has 4
    n_states = 2 if lstm else 1
    seeds = list(dys[:1 + n_states])
    if any(tape.recording for tape in ENGINE.tapes):
        return _composite_grad(inputs, seeds, attrs["return_sequences"], lstm)
    has_bias = len(inputs) == (6 if lstm else 5)
    x = inputs[0]
    specs = [(t.shape, t.dtype) for t in inputs[1:]]
    if needs[0]:
        specs.insert(0, (x.shape, x.dtype))
    attrs = {**attrs, "need_dx": bool(needs[0]), "has_bias": has_bias}
    n_in = 3 + n_states
    grads = run_multi(("lstm" if lstm else "gru") + "_sequence_grad",
                      (*inputs[:n_in], *outs[1 + n_states:], *seeds), specs, attrs)
    return tuple(grads) if needs[0] else (None, *grads)


def _composite_grad(inputs: list, seeds: list, return_sequences: bool, lstm: bool) -> tuple:
    """What the gradient kernel computes, from ops an outer tape records."""
    from layerflow.autodiff import GradientTape

    reference = reference_lstm_sequence if lstm else reference_gru_sequence
    n_in = 5 if lstm else 4
    with GradientTape(watch_accessed_variables=False) as tape:
        for t in inputs:
            tape.watch(t)
        outs = reference(*inputs[:n_in], inputs[n_in] if len(inputs) > n_in else None,
                         return_sequences)
    return tuple(tape.gradient(list(outs), list(inputs), output_gradients=seeds))


def reference_lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None,
                            return_sequences=True):
    """:func:`lstm_sequence` computed step by step with ordinary ops (``scan`` over
    ``lstm_gates``): what the fused kernels must equal, and its second-order gradient."""
    from layerflow.ops.elementwise import add
    from layerflow.ops.matrices import mat_mul
    from layerflow.ops.recurrent import lstm_gates
    from layerflow.ops.scan import scan
    from layerflow.ops.shape import transpose

    consts = [kernel, recurrent_kernel] + ([] if bias is None else [bias])

    def step(carry, x_t):
        z = add(mat_mul(x_t[0], kernel), mat_mul(carry[0], recurrent_kernel))
        if bias is not None:
            z = add(z, bias)
        h, c = lstm_gates(z, carry[1])
        return [h, c], [h]

    (h, c), (hs,) = scan(step, [h0, c0], [transpose(x, [1, 0, 2])], consts)
    return (transpose(hs, [1, 0, 2]) if return_sequences else h), h, c


def reference_gru_sequence(x, h0, kernel, recurrent_kernel, bias=None, return_sequences=True):
    """:func:`gru_sequence` computed step by step with ordinary ops (``scan``)."""
    from layerflow.ops.elementwise import add, mul, sub
    from layerflow.ops.joining import split
    from layerflow.ops.math import sigmoid, tanh
    from layerflow.ops.matrices import mat_mul
    from layerflow.ops.scan import scan
    from layerflow.ops.shape import transpose

    consts = [kernel, recurrent_kernel] + ([] if bias is None else [bias])

    def step(carry, x_t):
        h = carry[0]
        p, q = mat_mul(x_t[0], kernel), mat_mul(h, recurrent_kernel)
        if bias is not None:
            p, q = add(p, bias[0]), add(q, bias[1])
        (p_z, p_r, p_h), (q_z, q_r, q_h) = split(p, 3, 1), split(q, 3, 1)
        z, r = sigmoid(add(p_z, q_z)), sigmoid(add(p_r, q_r))
        a = tanh(add(p_h, mul(r, q_h)))
        h = add(mul(z, h), mul(sub(1, z), a))
        return [h], [h]

    (h,), (hs,) = scan(step, [h0], [transpose(x, [1, 0, 2])], consts)
    return (transpose(hs, [1, 0, 2]) if return_sequences else h), h
