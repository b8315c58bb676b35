"""A whole LSTM or GRU sequence in one kernel forward and one backward (``lstm_sequence``,
``gru_sequence``; the GRU's contract is at its section below).

``lstm_sequence(x, h0, c0, kernel, recurrent_kernel[, bias], return_sequences)`` runs an LSTM
with the default activations over ``x`` (``(batch, time, features)``) from the states
``h0, c0`` and returns ``(y, h_T, c_T, hs, cs, i, f, g, o)``: ``y`` is every step's ``h``
(``(batch, time, units)``) or the last one; the rest, each ``(time, batch, units)``, are saved
for ``lstm_sequence_grad``: ``cs`` every step's ``c``, ``i, f, g, o`` its gates after their
activations, and ``hs`` every step's ``h`` (NumPy) or the ``h`` it started from (jax: the
recurrent kernel's gradient multiplies by that). Each backend's gradient kernel reads what
its own forward saved.

``lstm_sequence_grad(x, h0, c0, kernel, recurrent_kernel, hs, cs, i, f, g, o, dy, dh_T, dc_T,
return_sequences, need_dx, has_bias)`` is back-propagation through time: one loop, from the
last step to the first, carries ``dh`` and ``dc`` and keeps every step's ``dz`` (the gradient of
the gates' pre-activations); the weight and input gradients are then one large matmul each
(``dW = x^T dz``, ``dU = h_prev^T dz``, ``dx = dz W^T``) instead of one small matmul per step.
It returns ``(dx, dh0, dc0, dW, dU[, db])``, without ``dx`` when ``need_dx`` is false.

Why one kernel (measured on W3 of ``bench/``, LSTM 128 over 50 steps, batch 64, 2 CPU cores):

- jax: the time loop traced from the cell's ops and differentiated by jax stacked twelve arrays
  per step for its backward pass and ran two weight-gradient matmuls inside the backward loop;
  XLA CPU also runs slowly an elementwise fusion that reads column blocks of a dynamically
  sliced array, which is what the gate arithmetic on a stacked ``(time, batch, 4n)`` array
  becomes. Here the forward stacks each gate on its own (splitting a stacked ``(time, batch,
  4n)`` array after the loop cost about 0.4 ms per call at batch 32), the backward loop reads
  them, and only ``dz @ recurrent_kernel^T`` stays in the loop.
- NumPy: one op per step instead of about eight (two matmuls, ``lstm_gates``, adds, slices),
  and the input projection ``x @ kernel + bias`` is one matmul for all steps.
"""

from __future__ import annotations

import numpy as np

from layerflow.backends.kernels.recurrent import (
    np_gates_grad_into,
    np_gates_into,
    np_sigmoid_into,
)


def _jax_outer(dy, dh, return_sequences: bool):
    """``(outer, dh)`` for a backward loop: ``outer`` is ``[dy]`` time-major when ``y`` holds
    every step, else empty, and then ``y``'s gradient joins ``dh``: ``y`` is ``h_T`` itself."""
    import jax.numpy as jnp

    if return_sequences:
        return [jnp.swapaxes(dy, 0, 1)], dh
    return [], dh + dy


def _jax_loop_inputs(acts, n: int, dy, dh, return_sequences: bool):
    """What the GRU's backward loop scans besides its state: ``(gates, outer, dh)``.

    ``gates`` are ``acts``'s four ``(time, batch, n)`` blocks, split once outside the loop: XLA
    CPU ran the loop's fusions over column blocks of a sliced ``(batch, 4n)`` step 5x slower.
    ``outer`` and ``dh`` are :func:`_jax_outer`'s.
    """
    gates = [acts[..., k * n:(k + 1) * n] for k in range(4)]
    return (gates, *_jax_outer(dy, dh, return_sequences))


def _jax_column_sums(flat):
    """``flat.sum(axis=0)`` as a matrix-vector product: XLA CPU's reduction over the
    ``(time * batch)`` rows took about 0.3 ms for an LSTM 128 on 32 x 50 steps, the product
    about 0.1 ms."""
    import jax.numpy as jnp

    return jnp.ones((flat.shape[0],), flat.dtype) @ flat


def _grads(dx, states: tuple, d_kernel, d_recurrent, d_bias) -> tuple:
    """A gradient kernel's outputs in order: ``dx`` (unless None), the initial states', the
    kernels' and the bias's (unless None)."""
    return tuple(g for g in (dx, *states, d_kernel, d_recurrent, d_bias) if g is not None)


def _jax_weight_grads(x, h_prev, d_in, d_rec, kernel, need_dx: bool):
    """``(dx or None, d_kernel, d_recurrent_kernel)`` after a backward loop, as large matmuls.

    ``d_in`` and ``d_rec`` are the gradients of every step's ``x_t @ kernel`` and
    ``h_prev @ recurrent_kernel`` as ``(time * batch, width)``; ``h_prev`` is
    ``(time, batch, units)``.
    """
    import jax.numpy as jnp

    batch, steps = x.shape[0], x.shape[1]
    x_t = jnp.swapaxes(x, 0, 1).reshape(steps * batch, -1)
    dx = jnp.swapaxes((d_in @ kernel.T).reshape(steps, batch, -1), 0, 1) if need_dx else None
    return dx, x_t.T @ d_in, h_prev.reshape(steps * batch, -1).T @ d_rec


def _np_weight_grads(x, h0, hs, d_in, d_rec, kernel, need_dx: bool):
    """As :func:`_jax_weight_grads` with time-major ``(time, batch, width)`` ``d_in`` and
    ``d_rec``; ``h_prev`` is ``h0`` then ``hs[:-1]``, taken in two matmuls, not concatenated."""
    steps, batch = hs.shape[0], hs.shape[1]
    d_in_flat = d_in.reshape(steps * batch, -1)
    x_t = np.swapaxes(x, 0, 1).reshape(steps * batch, -1)
    d_rk = np.matmul(h0.T, d_rec[0])
    if steps > 1:
        d_rk += np.matmul(hs[:-1].reshape((steps - 1) * batch, -1).T,
                          d_rec[1:].reshape((steps - 1) * batch, -1))
    dx = None
    if need_dx:
        dx = np.matmul(d_in_flat, kernel.T).reshape(steps, batch, -1)
        dx = np.ascontiguousarray(np.swapaxes(dx, 0, 1))
    return dx, np.matmul(x_t.T, d_in_flat), d_rk


def _np_joined(blocks):
    """The ``(..., k * n)`` array whose column blocks are ``blocks``: their shared buffer when
    they are consecutive views of one (what the forward kernel returns), else a copy."""
    base, n = blocks[0].base, blocks[0].shape[-1]
    width = n * blocks[0].itemsize
    if (isinstance(base, np.ndarray) and base.shape == blocks[0].shape[:-1] + (len(blocks) * n,)
            and base.flags.c_contiguous
            and all(b.base is base and b.strides == base.strides
                    and b.ctypes.data == base.ctypes.data + k * width
                    for k, b in enumerate(blocks))):
        return base
    return np.concatenate(blocks, axis=-1)


def jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp

    def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, return_sequences=True):
        n = recurrent_kernel.shape[0]

        def step(carry, x_t):
            h, c = carry
            z = x_t @ kernel + h @ recurrent_kernel
            if bias is not None:
                z = z + bias
            i, f = jax.nn.sigmoid(z[:, :n]), jax.nn.sigmoid(z[:, n:2 * n])
            g, o = jnp.tanh(z[:, 2 * n:3 * n]), jax.nn.sigmoid(z[:, 3 * n:])
            c_new = f * c + i * g
            h_new = o * jnp.tanh(c_new)
            # NOTE: the step's input state h, not h_new: the recurrent kernel's gradient
            # multiplies by it, with no concatenation of h0 before the matmul
            return (h_new, c_new), (h, c_new, i, f, g, o)

        (h, c), (h_prev, cs, *gates) = jax.lax.scan(step, (h0, c0), jnp.swapaxes(x, 0, 1))
        if return_sequences:
            y = jnp.swapaxes(jnp.concatenate([h_prev[1:], h[None]], axis=0), 0, 1)
        else:
            y = h
        return (y, h, c, h_prev, cs, *gates)

    def lstm_sequence_grad(x, h0, c0, kernel, recurrent_kernel, h_prev, cs, i, f, g, o, dy,
                           dh, dc, return_sequences, need_dx, has_bias):
        steps, batch, n = h_prev.shape
        outer, dh = _jax_outer(dy, dh, return_sequences)
        c_prev = jnp.concatenate([c0[None], cs[:-1]], axis=0)
        rk_t = recurrent_kernel.T

        def step(carry, xs):
            dh, dc = carry
            if return_sequences:
                dh = dh + xs[0]
            i, f, g, o, c, cp = xs[-6:]
            tc = jnp.tanh(c)
            dct = dc + (dh * o) * (1 - tc * tc)
            dz = jnp.concatenate([(dct * g) * (i * (1 - i)), (dct * cp) * (f * (1 - f)),
                                  (dct * i) * (1 - g * g), (dh * tc) * (o * (1 - o))], axis=-1)
            return (dz @ rk_t, dct * f), dz

        (dh0, dc0), dz = jax.lax.scan(step, (dh, dc), (*outer, i, f, g, o, cs, c_prev),
                                      reverse=True)
        flat = dz.reshape(steps * batch, 4 * n)
        dx, d_k, d_rk = _jax_weight_grads(x, h_prev, flat, flat, kernel, need_dx)
        db = _jax_column_sums(flat) if has_bias else None
        return tuple(grad.astype(x.dtype) for grad in _grads(dx, (dh0, dc0), d_k, d_rk, db))

    # NOTE: jitted, so an eager call compiles once per shape (a bare lax.scan outside a trace
    # compiles its new loop body on every call); inside lf.compile they are inlined.
    return {"lstm_sequence": jax.jit(lstm_sequence, static_argnames=("return_sequences",)),
            "lstm_sequence_grad": jax.jit(lstm_sequence_grad, static_argnames=(
                "return_sequences", "need_dx", "has_bias")), **gru_jax_kernels()}


def numpy_kernels() -> dict:
    def lstm_sequence(x, h0, c0, kernel, recurrent_kernel, bias=None, return_sequences=True):
        batch, steps, _ = x.shape
        n = recurrent_kernel.shape[0]
        dtype = x.dtype
        # NOTE: time-major, so each step's slice of every array is contiguous.
        projected = np.matmul(np.swapaxes(x, 0, 1).reshape(steps * batch, -1), kernel)
        if bias is not None:
            np.add(projected, bias, out=projected)
        projected = projected.reshape(steps, batch, 4 * n)
        hs = np.empty((steps, batch, n), dtype)
        cs = np.empty((steps, batch, n), dtype)
        acts = np.empty((steps, batch, 4 * n), dtype)
        z = np.empty((batch, 4 * n), dtype)
        h, c = h0, c0
        for t in range(steps):
            np.matmul(h, recurrent_kernel, out=z)
            np.add(z, projected[t], out=z)
            np_gates_into(z, c, acts[t], cs[t], hs[t])
            h, c = hs[t], cs[t]
        y = np.ascontiguousarray(np.swapaxes(hs, 0, 1)) if return_sequences else hs[-1].copy()
        # NOTE: the gates go out as four views of one buffer, which the gradient kernel reads
        return (y, hs[-1].copy(), cs[-1].copy(), hs, cs,
                *(acts[..., k * n:(k + 1) * n] for k in range(4)))

    def lstm_sequence_grad(x, h0, c0, kernel, recurrent_kernel, hs, cs, i, f, g, o, dy, dh, dc,
                           return_sequences, need_dx, has_bias):
        steps, batch, n = hs.shape
        dtype = x.dtype
        acts = _np_joined((i, f, g, o))
        dh, dc = np.array(dh, dtype), np.array(dc, dtype)
        if not return_sequences:
            np.add(dh, dy, out=dh)
        dhs = np.swapaxes(dy, 0, 1) if return_sequences else None
        rk_t = np.ascontiguousarray(recurrent_kernel.T)
        dz = np.empty_like(acts)
        tc, up = np.empty((batch, n), dtype), np.empty((batch, 4 * n), dtype)
        for t in range(steps - 1, -1, -1):
            if dhs is not None:
                np.add(dh, dhs[t], out=dh)
            np_gates_grad_into(acts[t], cs[t - 1] if t else c0, cs[t], dh, dc, dz[t], dc, tc,
                               up)
            np.matmul(dz[t], rk_t, out=dh)
        dx, d_k, d_rk = _np_weight_grads(x, h0, hs, dz, dz, kernel, need_dx)
        db = dz.sum(axis=(0, 1)) if has_bias else None
        return _grads(dx, (dh, dc), d_k, d_rk, db)

    return {"lstm_sequence": lstm_sequence, "lstm_sequence_grad": lstm_sequence_grad,
            **gru_numpy_kernels()}


# -- GRU (reset_after=True, Keras 3's default) ---------------------------------------------
# gru_sequence(x, h0, kernel, recurrent_kernel[, bias (2, 3n)], return_sequences) ->
# (y, h_T, hs, acts): each step, with gates z, r, h in that order along the kernels' last axis,
# ``p = x_t @ kernel + bias[0]``, ``q = h @ recurrent_kernel + bias[1]``,
# ``z = sigmoid(p_z + q_z)``, ``r = sigmoid(p_r + q_r)``, ``a = tanh(p_h + r * q_h)``,
# ``h = z * h + (1 - z) * a``; ``acts`` keeps ``[z, r, a, q_h]`` per step.
# gru_sequence_grad(x, h0, kernel, recurrent_kernel, hs, acts, dy, dh_T, return_sequences,
# need_dx, has_bias) -> (dx, dh0, dW, dU[, db (2, 3n)]), without dx when need_dx is false.


def gru_jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp

    def gru_sequence(x, h0, kernel, recurrent_kernel, bias=None, return_sequences=True):
        n = recurrent_kernel.shape[0]

        def step(h, x_t):
            p, q = x_t @ kernel, h @ recurrent_kernel
            if bias is not None:
                p, q = p + bias[0], q + bias[1]
            z = jax.nn.sigmoid(p[:, :n] + q[:, :n])
            r = jax.nn.sigmoid(p[:, n:2 * n] + q[:, n:2 * n])
            a = jnp.tanh(p[:, 2 * n:] + r * q[:, 2 * n:])
            h = z * h + (1 - z) * a
            return h, (h, jnp.concatenate([z, r, a, q[:, 2 * n:]], axis=-1))

        h, (hs, acts) = jax.lax.scan(step, h0, jnp.swapaxes(x, 0, 1))
        return (jnp.swapaxes(hs, 0, 1) if return_sequences else h), h, hs, acts

    def gru_sequence_grad(x, h0, kernel, recurrent_kernel, hs, acts, dy, dh,
                          return_sequences, need_dx, has_bias):
        steps, batch, n = hs.shape
        gates, outer, dh = _jax_loop_inputs(acts, n, dy, dh, return_sequences)
        h_prev = jnp.concatenate([h0[None], hs[:-1]], axis=0)
        rk_t = recurrent_kernel.T

        def step(dh, xs):
            if return_sequences:
                dh = dh + xs[0]
            z, r, a, q_h, hp = xs[-5:]
            da = (dh * (1 - z)) * (1 - a * a)
            dz = (dh * (hp - a)) * (z * (1 - z))
            dr = (da * q_h) * (r * (1 - r))
            dq = jnp.concatenate([dz, dr, da * r], axis=-1)
            return dh * z + dq @ rk_t, (jnp.concatenate([dz, dr, da], axis=-1), dq)

        dh0, (dp, dq) = jax.lax.scan(step, dh, (*outer, *gates, h_prev), reverse=True)
        dp, dq = dp.reshape(steps * batch, 3 * n), dq.reshape(steps * batch, 3 * n)
        dx, d_k, d_rk = _jax_weight_grads(x, h_prev, dp, dq, kernel, need_dx)
        db = jnp.stack([_jax_column_sums(dp), _jax_column_sums(dq)]) if has_bias else None
        return tuple(g.astype(x.dtype) for g in _grads(dx, (dh0,), d_k, d_rk, db))

    return {"gru_sequence": jax.jit(gru_sequence, static_argnames=("return_sequences",)),
            "gru_sequence_grad": jax.jit(gru_sequence_grad, static_argnames=(
                "return_sequences", "need_dx", "has_bias"))}


def gru_numpy_kernels() -> dict:
    def gru_sequence(x, h0, kernel, recurrent_kernel, bias=None, return_sequences=True):
        batch, steps, _ = x.shape
        n = recurrent_kernel.shape[0]
        dtype = x.dtype
        p_all = np.matmul(np.swapaxes(x, 0, 1).reshape(steps * batch, -1), kernel)
        if bias is not None:
            np.add(p_all, bias[0], out=p_all)
        p_all = p_all.reshape(steps, batch, 3 * n)
        hs = np.empty((steps, batch, n), dtype)
        acts = np.empty((steps, batch, 4 * n), dtype)
        q = np.empty((batch, 3 * n), dtype)
        keep = np.empty((batch, n), dtype)
        h = h0
        for t in range(steps):
            np.matmul(h, recurrent_kernel, out=q)
            if bias is not None:
                np.add(q, bias[1], out=q)
            act, p = acts[t], p_all[t]
            zr, a, q_h = act[:, :2 * n], act[:, 2 * n:3 * n], act[:, 3 * n:]
            np.add(p[:, :2 * n], q[:, :2 * n], out=zr)
            np_sigmoid_into(zr, zr)
            z, r = zr[:, :n], zr[:, n:]
            np.copyto(q_h, q[:, 2 * n:])
            np.multiply(r, q_h, out=a)
            np.add(a, p[:, 2 * n:], out=a)
            np.tanh(a, out=a)
            h_new = hs[t]
            np.multiply(z, h, out=h_new)
            np.subtract(1, z, out=keep)
            np.multiply(keep, a, out=keep)
            np.add(h_new, keep, out=h_new)
            h = h_new
        y = np.ascontiguousarray(np.swapaxes(hs, 0, 1)) if return_sequences else hs[-1].copy()
        return y, hs[-1].copy(), hs, acts

    def gru_sequence_grad(x, h0, kernel, recurrent_kernel, hs, acts, dy, dh,
                          return_sequences, need_dx, has_bias):
        steps, batch, n = hs.shape
        dtype = x.dtype
        dh = np.array(dh, dtype)
        if not return_sequences:
            np.add(dh, dy, out=dh)
        dhs = np.swapaxes(dy, 0, 1) if return_sequences else None
        rk_t = np.ascontiguousarray(recurrent_kernel.T)
        dp_all = np.empty((steps, batch, 3 * n), dtype)
        dq_all = np.empty((steps, batch, 3 * n), dtype)
        one_minus, direct = np.empty((batch, n), dtype), np.empty((batch, n), dtype)
        for t in range(steps - 1, -1, -1):
            if dhs is not None:
                np.add(dh, dhs[t], out=dh)
            act, dp, dq = acts[t], dp_all[t], dq_all[t]
            z, r, a, q_h = (act[:, k * n:(k + 1) * n] for k in range(4))
            dz, dr, da = (dp[:, k * n:(k + 1) * n] for k in range(3))
            h_prev = hs[t - 1] if t else h0
            np.subtract(1, z, out=one_minus)
            # da = dh * (1 - z) * (1 - a^2): the candidate's pre-activation
            np.multiply(a, a, out=da)
            np.subtract(1, da, out=da)
            np.multiply(da, one_minus, out=da)
            np.multiply(da, dh, out=da)
            # dz = dh * (h_prev - a) * z * (1 - z)
            np.subtract(h_prev, a, out=dz)
            np.multiply(dz, dh, out=dz)
            np.multiply(dz, z, out=dz)
            np.multiply(dz, one_minus, out=dz)
            # dr = da * q_h * r * (1 - r)
            np.subtract(1, r, out=one_minus)
            np.multiply(da, q_h, out=dr)
            np.multiply(dr, r, out=dr)
            np.multiply(dr, one_minus, out=dr)
            dq[:, :2 * n] = dp[:, :2 * n]
            np.multiply(da, r, out=dq[:, 2 * n:])
            np.multiply(dh, z, out=direct)
            np.matmul(dq, rk_t, out=dh)
            np.add(dh, direct, out=dh)
        dx, d_k, d_rk = _np_weight_grads(x, h0, hs, dp_all, dq_all, kernel, need_dx)
        db = np.stack([dp_all.sum(axis=(0, 1)), dq_all.sum(axis=(0, 1))]) if has_bias else None
        return _grads(dx, (dh,), d_k, d_rk, db)

    return {"gru_sequence": gru_sequence, "gru_sequence_grad": gru_sequence_grad}
