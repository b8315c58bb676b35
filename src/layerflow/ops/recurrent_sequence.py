"""A whole LSTM sequence as one op (``lstm_sequence``), with back-propagation through time as
one gradient kernel.

:class:`~layerflow.layers.recurrent_layers.LSTM` runs it when its cell is the built-in
``LSTMCell`` with the default activations, no dropout is active and no mask is given; other
LSTMs loop over their cell step by step. The kernels (``backends/kernels/
recurrent_sequence.py``) keep the time loop inside one call, forward and backward, and
compute the weight gradients as one large matmul each after the backward loop; on the bench's
W3 (LSTM 128 over 50 steps) that made a training step about 2x faster on NumPy and 1.3x on jax.
Not exported at the top level (``lf.*``): import it from here.

Second order: when a tape records the backward pass (a gradient of a gradient), the gradient is
computed instead by recomputing the sequence with ordinary ops (``scan`` over ``lstm_gates``)
under a tape of its own and back-propagating through that, so the outer tape differentiates it
like any composite.

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

__all__ = ["lstm_sequence"]

_NAMES = ("x", "h0", "c0", "kernel", "recurrent_kernel", "bias")


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
    op = "lstm_sequence"
    given = [x, h0, c0, kernel, recurrent_kernel] + ([] if bias is None else [bias])
    inputs = [as_tensor(t, name, op) for t, name in zip(given, _NAMES)]
    _check(op, inputs)
    x, h0 = inputs[0], inputs[1]
    batch, steps = x.shape[0], x.shape[1]
    units = inputs[4].shape[0]
    dtype = x.dtype
    y_shape = (batch, steps, units) if return_sequences else (batch, units)
    specs = [(y_shape, dtype), ((batch, units), dtype), ((batch, units), dtype),
             ((steps, batch, units), dtype), ((steps, batch, units), dtype),
             ((steps, batch, 4 * units), dtype)]
    outs = run_multi(op, tuple(inputs), specs, {"return_sequences": bool(return_sequences)},
                     grad=_lstm_sequence_grad)
    return outs[0], outs[1], outs[2]


def _check(op: str, inputs: list) -> None:
    shapes = {name: tuple(t.shape) for name, t in zip(_NAMES, inputs)}
    kinds = {t.dtype for t in inputs}
    if len(kinds) != 1 or not dtypes.is_float(inputs[0].dtype):
        raise DTypeError(f"{op}: all inputs must have one floating-point dtype, got "
                         + ", ".join(f"{n} {t.dtype}" for n, t in zip(_NAMES, inputs)))
    x, h0, c0, k, rk = (shapes[n] for n in _NAMES[:5])
    units = rk[0] if len(rk) == 2 else None

    def fits(a, b):
        return a is None or b is None or a == b

    good = (len(x) == 3 and x[1] != 0 and len(k) == 2 and len(rk) == 2
            and fits(rk[1], None if units is None else 4 * units) and fits(k[1], rk[1])
            and fits(k[0], x[2]) and len(h0) == 2 and h0 == c0 and fits(h0[1], units)
            and fits(h0[0], x[0]))
    if "bias" in shapes:
        good = good and len(shapes["bias"]) == 1 and fits(shapes["bias"][0], k[1])
    if not good:
        raise ShapeError(f"{op}: expected x (batch, time, features) with time >= 1, h0 and c0 "
                         "(batch, units), kernel (features, 4 * units), recurrent_kernel "
                         "(units, 4 * units) and bias (4 * units,), got "
                         + ", ".join(f"{n} {s}" for n, s in shapes.items()))


@partial_grad
def _lstm_sequence_grad(dys, inputs, outs, attrs, needs):
    # NOTE: dys[3:] (for the saved hs, cs and gates) are zeros: the op never hands them out.
    seeds = list(dys[:3])
    if any(tape.recording for tape in ENGINE.tapes):
        return _composite_grad(inputs, seeds, attrs["return_sequences"])
    has_bias = len(inputs) == 6
    x = inputs[0]
    specs = [(t.shape, t.dtype) for t in inputs[1:]]
    if needs[0]:
        specs.insert(0, (x.shape, x.dtype))
    attrs = {**attrs, "need_dx": bool(needs[0]), "has_bias": has_bias}
    grads = run_multi("lstm_sequence_grad", (*inputs[:5], *outs[3:], *seeds), specs, attrs)
    return tuple(grads) if needs[0] else (None, *grads)


def _composite_grad(inputs: list, seeds: list, return_sequences: bool) -> tuple:
    """What ``lstm_sequence_grad`` computes, from ops an outer tape records."""
    from layerflow.autodiff import GradientTape

    with GradientTape(watch_accessed_variables=False) as tape:
        for t in inputs:
            tape.watch(t)
        outs = reference_lstm_sequence(*inputs[:5], inputs[5] if len(inputs) == 6 else None,
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
