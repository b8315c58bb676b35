"""Recurrent-cell kernels: an LSTM step's gates in one call forward and one backward.

``lstm_gates(z, c_prev) -> (h, c, act)`` takes the pre-activations ``z`` (``(..., 4n)``, gates
``i, f, g, o`` in Keras's order) and computes ``i, f, o = sigmoid``, ``g = tanh``,
``c = f * c_prev + i * g`` and ``h = o * tanh(c)``; ``act`` is ``[i, f, g, o]`` (``(..., 4n)``),
saved for ``lstm_gates_grad(act, c_prev, c, dh, dc) -> (dz, dc_prev)``, which then evaluates
one transcendental function (``tanh(c)``) instead of five. Both follow the unfused ops'
formulas (sigmoid's gradient ``s * (1 - s)``, tanh's ``1 - t^2``), so the numbers agree with
the composite to float32 rounding.

jax: ``jax.numpy`` with ``jax.nn.sigmoid`` (the ``sigmoid`` kernel's), fused by XLA and
differentiable by jax (``ops.scan`` takes the vjp of a traced step). NumPy: in-place ``out=``
arithmetic on the few arrays each kernel allocates; the inputs are tensors' buffers and are
never written.
"""

from __future__ import annotations

import numpy as np


def _blocks(a, n: int, count: int) -> list:
    return [a[..., k * n:(k + 1) * n] for k in range(count)]


def jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp

    def lstm_gates(z, c_prev):
        n = z.shape[-1] // 4
        zi, zf, zg, zo = _blocks(z, n, 4)
        i, f, o = jax.nn.sigmoid(zi), jax.nn.sigmoid(zf), jax.nn.sigmoid(zo)
        g = jnp.tanh(zg)
        c = f * c_prev + i * g
        h = o * jnp.tanh(c)
        act = jnp.concatenate([i, f, g, o], axis=-1)
        return h.astype(z.dtype), c.astype(z.dtype), act.astype(z.dtype)

    def lstm_gates_grad(act, c_prev, c, dh, dc):
        n = act.shape[-1] // 4
        i, f, g, o = _blocks(act, n, 4)
        tc = jnp.tanh(c)
        dct = dc + (dh * o) * (1 - tc * tc)
        dz = jnp.concatenate([(dct * g) * (i * (1 - i)), (dct * c_prev) * (f * (1 - f)),
                              (dct * i) * (1 - g * g), (dh * tc) * (o * (1 - o))], axis=-1)
        return dz.astype(act.dtype), (dct * f).astype(act.dtype)

    return {"lstm_gates": lstm_gates, "lstm_gates_grad": lstm_gates_grad}


def np_sigmoid_into(v, out) -> None:
    """``out = sigmoid(v)`` as ``1 / (1 + exp(-v))`` (``out`` may be ``v``).

    For v < -88 (float32) exp overflows to inf and the result is exactly 0, never NaN;
    elsewhere it is within float32 rounding of the sigmoid kernel's exp(-logaddexp(0, -v)),
    without its log.
    """
    np.negative(v, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.reciprocal(out, out=out)


def np_gates_into(z, c_prev, act, c, h) -> None:
    """An LSTM step's gates from ``z`` into ``act`` ``[i, f, g, o]``, ``c`` and ``h``."""
    n = z.shape[-1] // 4
    # NOTE: the sigmoid over all four blocks at once (contiguous: strided blocks cost twice as
    # much per element), then tanh overwrites g.
    np_sigmoid_into(z, act)
    i, f, g, o = _blocks(act, n, 4)
    np.tanh(z[..., 2 * n:3 * n], out=g)
    np.multiply(f, c_prev, out=c)
    np.multiply(i, g, out=h)
    np.add(c, h, out=c)
    np.tanh(c, out=h)
    np.multiply(o, h, out=h)


def np_gates_grad_into(act, c_prev, c, dh, dc, dz, dc_prev, tc, up) -> None:
    """``dz`` and ``dc_prev`` of one LSTM step; ``tc`` ``(..., n)`` and ``up`` ``(..., 4n)``
    are scratch. ``dc_prev`` may be ``dc``."""
    n = act.shape[-1] // 4
    i, f, g, o = _blocks(act, n, 4)
    np.tanh(c, out=tc)
    ui, uf, ug, uo = _blocks(up, n, 4)
    np.multiply(dh, tc, out=uo)
    # dc_total = dc + dh * o * (1 - tanh(c)^2): the two paths into c (ui is scratch here)
    np.multiply(tc, tc, out=ui)
    np.subtract(1, ui, out=ui)
    np.multiply(ui, o, out=ui)
    np.multiply(ui, dh, out=ui)
    np.add(ui, dc, out=ui)
    dct = ug
    np.copyto(dct, ui)
    # the local derivatives: s * (1 - s) for the sigmoid blocks, 1 - g^2 for g
    np.subtract(1, act, out=dz)
    np.multiply(dz, act, out=dz)
    dg = dz[..., 2 * n:3 * n]
    np.multiply(g, g, out=dg)
    np.subtract(1, dg, out=dg)
    # times what reaches each gate: dct * g, dct * c_prev, dct * i, dh * tanh(c)
    np.multiply(dct, c_prev, out=uf)
    np.multiply(dct, f, out=dc_prev)
    np.multiply(dct, g, out=ui)
    np.multiply(dct, i, out=ug)
    np.multiply(up, dz, out=dz)


def numpy_kernels() -> dict:
    def lstm_gates(z, c_prev):
        act = np.empty_like(z)
        c = np.empty(c_prev.shape, z.dtype)
        h = np.empty(c_prev.shape, z.dtype)
        np_gates_into(z, c_prev, act, c, h)
        return h, c, act

    def lstm_gates_grad(act, c_prev, c, dh, dc):
        dz = np.empty_like(act)
        dc_prev = np.empty(c.shape, act.dtype)
        np_gates_grad_into(act, c_prev, c, dh, dc, dz, dc_prev, np.empty_like(dc_prev),
                            np.empty_like(dz))
        return dz, dc_prev

    return {"lstm_gates": lstm_gates, "lstm_gates_grad": lstm_gates_grad}
