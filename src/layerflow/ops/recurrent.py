"""Recurrent-cell ops: an LSTM step's gate arithmetic as one op (``lstm_gates``).

An LSTM step written with elementwise ops records about a dozen ops and twice as many in its
gradient, per time step; on the numpy backend their per-op overhead was most of a training
step. ``lstm_gates`` is the part after the matmuls as one kernel, and its gradient is one
kernel too. Not exported at the top level (``lf.*``): it serves
:class:`~layerflow.layers.recurrent_layers.LSTMCell`; import it from here.

Second order: the forward kernel also returns the gate activations (a third output the op does
not hand out, saved for the gradient kernel). When a tape records the backward pass (a gradient
of a gradient), the gradient is instead computed with elementwise ops from ``z`` and ``c_prev``,
so the outer tape differentiates it like any composite; otherwise the fused
``lstm_gates_grad`` kernel runs, with no gradient of its own, since nothing records it.

>>> import layerflow as lf
>>> from layerflow.ops.recurrent import lstm_gates
>>> h, c = lstm_gates(lf.zeros([1, 8]), lf.ones([1, 2]))
>>> c.array_sync()
[[0.5, 0.5]]
"""

from __future__ import annotations

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.errors import DTypeError, ShapeError
from layerflow.ops._define import binary_inputs, run_multi

__all__ = ["lstm_gates"]


def _merge(a, b):
    return a if b is None else b


def lstm_gates(z, c_prev):
    """An LSTM step's gates from pre-activations: ``(h, c)``.

    With ``z`` split along its last axis into ``z_i, z_f, z_g, z_o`` (Keras's gate order):
    ``c = sigmoid(z_f) * c_prev + sigmoid(z_i) * tanh(z_g)`` and
    ``h = sigmoid(z_o) * tanh(c)``, as one op with a one-kernel gradient.

    Args:
        z: ``(..., 4 * units)``, ``inputs @ kernel + h_prev @ recurrent_kernel + bias``.
        c_prev: ``(..., units)``, the previous cell state.

    Returns:
        ``(h, c)``, each shaped like ``c_prev``.

    Raises:
        ShapeError: ``z``'s last axis is not four times ``c_prev``'s, or the leading axes
            differ.

    >>> import layerflow as lf
    >>> h, c = lstm_gates(lf.zeros([1, 4]), lf.ones([1, 1]))
    >>> c.array_sync(), round(h.item(), 5)
    ([[0.5]], 0.23106)
    """
    op = "lstm_gates"
    z, c_prev = binary_inputs(z, c_prev, op, ("z", "c_prev"))
    if z.dtype == "string" or z.dtype.startswith("complex"):
        raise DTypeError(f"{op}: z and c_prev must be real numbers, got dtype {z.dtype}")
    if not dtypes.is_float(z.dtype):
        from layerflow.ops.elementwise import cast

        z, c_prev = cast(z, "float32"), cast(c_prev, "float32")
    zs, cs = tuple(z.shape), tuple(c_prev.shape)
    units, width = (cs[-1] if cs else None), (zs[-1] if zs else None)
    if (len(zs) != len(cs) or not zs
            or any(a is not None and b is not None and a != b for a, b in zip(zs[:-1], cs[:-1]))
            or (units is not None and width is not None and width != 4 * units)):
        raise ShapeError(f"{op}: expected z of shape (..., 4 * units) and c_prev of shape "
                         f"(..., units) with the same leading axes, got z {zs} and c_prev {cs}")
    if units is None and width is not None:
        units = width // 4
    if width is None and units is not None:
        width = 4 * units
    lead = tuple(_merge(a, b) for a, b in zip(zs[:-1], cs[:-1]))
    shape = (*lead, units)
    saved = (*lead, width)
    h, c, _ = run_multi(op, (z, c_prev), [(shape, z.dtype), (shape, z.dtype),
                                          (saved, z.dtype)], grad=_lstm_gates_grad)
    return h, c


def _lstm_gates_grad(dys, inputs, outs, attrs):
    # NOTE: dys[2] (for the saved gate activations) is zeros: the op never hands them out.
    dh, dc = dys[0], dys[1]
    z, c_prev = inputs
    if any(tape.recording for tape in ENGINE.tapes):
        return _composite_grad(z, c_prev, dh, dc)
    dz, dc_prev = run_multi("lstm_gates_grad", (outs[2], c_prev, outs[1], dh, dc),
                            [(z.shape, z.dtype), (c_prev.shape, z.dtype)])
    return dz, dc_prev


def _composite_grad(z, c_prev, dh, dc):
    """What ``lstm_gates_grad`` computes, with ops from ``z`` (differentiable again)."""
    from layerflow.ops.elementwise import add, mul, square, sub
    from layerflow.ops.joining import concat, split
    from layerflow.ops.math import sigmoid, tanh

    zi, zf, zg, zo = split(z, 4, -1)
    i, f, g, o = sigmoid(zi), sigmoid(zf), tanh(zg), sigmoid(zo)
    tc = tanh(add(mul(f, c_prev), mul(i, g)))
    dct = add(dc, mul(mul(dh, o), sub(1, square(tc))))
    dz = concat([mul(mul(dct, g), mul(i, sub(1, i))),
                 mul(mul(dct, c_prev), mul(f, sub(1, f))),
                 mul(mul(dct, i), sub(1, square(g))),
                 mul(mul(dh, tc), mul(o, sub(1, o)))], -1)
    return dz, mul(dct, f)
