"""Pooling kernels, channels-last with 1, 2 or 3 spatial dims.

Attributes: ``window``, ``strides``, ``dilations`` (tuples), ``pads`` (``(before, after)`` per
spatial dim) and ``zero_pad``: False (TF's usual rule: padding is ignored, i.e. -inf for max and
left out of the average's count) or True (padding counts as zeros; TF.js's ``pool`` with
dilations and 'same'). Forward: ``sliding_window_view`` on NumPy, ``lax.reduce_window`` on jax.
Gradients (shared, both namespaces) stack the window taps (a loop over window taps, not pixels):
``max_pool_grad`` routes ``dy`` to the first maximum of each window (as TF), ``avg_pool_grad``
spreads ``dy / count``; ``max_pool_select`` (the gradient of ``max_pool_grad``) gathers at the
maxima.
"""

from __future__ import annotations

import math

import numpy as np

from layerflow.backends.kernels.conv import (
    _jit,
    crop,
    out_spatial,
    pad_spatial,
    slice_add,
    tap_slices,
)


def _lowest(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f" or dtype.kind == "V":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def valid_counts(spatial, window, strides, dilations, pads) -> np.ndarray:
    """How many non-padding elements each output window covers, shape ``out`` (float64)."""
    counts = None
    for i, (size, k, s, d, (pb, pa)) in enumerate(zip(spatial, window, strides, dilations, pads)):
        outs = (size + pb + pa - (k - 1) * d - 1) // s + 1
        pos = np.arange(outs)[:, None] * s + np.arange(k)[None, :] * d - pb
        c = ((pos >= 0) & (pos < size)).sum(axis=1).astype(np.float64)
        shape = [1] * len(spatial)
        shape[i] = outs
        c = c.reshape(shape)
        counts = c if counts is None else counts * c
    return counts


def _counts(xp, x_shape, window, strides, dilations, pads, zero_pad, dtype):
    n = len(window)
    if zero_pad or not any(p for pair in pads for p in pair):
        return math.prod(window)
    c = valid_counts(x_shape[1:n + 1], window, strides, dilations, pads)
    return xp.asarray(c[None, ..., None].astype(dtype))


def _stack(xp, x, window, strides, dilations, pads, fill):
    """The window taps of padded ``x``, stacked on a new axis 0: ``(prod(window), N, *out, C)``."""
    xpad = pad_spatial(xp, x, pads, fill)
    n = len(window)
    outs = out_spatial(xpad.shape[1:n + 1], window, strides, dilations)
    slices = tap_slices(window, outs, strides, dilations)
    return xp.stack([xpad[sl] for sl in slices], axis=0), slices, xpad.shape


def kernels(xp) -> dict:
    def max_pool_grad(x, dy, window, strides, dilations, pads, zero_pad):
        fill = 0 if zero_pad else _lowest(x.dtype)
        stack, slices, padded = _stack(xp, x, window, strides, dilations, pads, fill)
        arg = xp.argmax(stack, axis=0)
        zero = xp.zeros_like(dy)
        dxp = xp.zeros(padded, dtype=dy.dtype)
        for tap, sl in enumerate(slices):
            dxp = slice_add(xp, dxp, sl, xp.where(arg == tap, dy, zero))
        return crop(xp, dxp, pads, x.shape[1:len(window) + 1])

    def max_pool_select(x, g, window, strides, dilations, pads, zero_pad):
        fill = 0 if zero_pad else _lowest(x.dtype)
        stack, _, _ = _stack(xp, x, window, strides, dilations, pads, fill)
        arg = xp.argmax(stack, axis=0)
        gstack, _, _ = _stack(xp, g, window, strides, dilations, pads, 0)
        return xp.take_along_axis(gstack, arg[None], axis=0)[0]

    def avg_pool_grad(dy, x_shape, window, strides, dilations, pads, zero_pad):
        n = len(window)
        counts = _counts(xp, x_shape, window, strides, dilations, pads, zero_pad, dy.dtype)
        share = (dy / counts).astype(dy.dtype)
        padded = (x_shape[0],) + tuple(s + pb + pa for s, (pb, pa) in
                                       zip(x_shape[1:n + 1], pads)) + (x_shape[-1],)
        dxp = xp.zeros(padded, dtype=dy.dtype)
        for sl in tap_slices(window, dy.shape[1:n + 1], strides, dilations):
            dxp = slice_add(xp, dxp, sl, share)
        return crop(xp, dxp, pads, x_shape[1:n + 1])

    def max_pool_with_argmax(x, window, strides, pads, include_batch):
        stack, _, _ = _stack(xp, x, window, strides, (1, 1), pads, _lowest(x.dtype))
        arg = xp.argmax(stack, axis=0)
        result = xp.take_along_axis(stack, arg[None], axis=0)[0]
        batch, height, width, channels = x.shape
        _, oh, ow, _ = arg.shape
        ky, kx = arg // window[1], arg % window[1]
        rows = xp.arange(oh).reshape(1, oh, 1, 1) * strides[0] + ky - pads[0][0]
        cols = xp.arange(ow).reshape(1, 1, ow, 1) * strides[1] + kx - pads[1][0]
        index = (rows * width + cols) * channels + xp.arange(channels).reshape(1, 1, 1, -1)
        if include_batch:
            index = index + xp.arange(batch).reshape(-1, 1, 1, 1) * (height * width * channels)
        return result, index.astype(np.int32)

    return {
        "max_pool_grad": max_pool_grad,
        "max_pool_select": max_pool_select,
        "avg_pool_grad": avg_pool_grad,
        "max_pool_with_argmax": max_pool_with_argmax,
    }


# -- forward ---------------------------------------------------------------------------------
def _np_windows(x, window, strides, dilations, pads, fill):
    n = len(window)
    xpad = pad_spatial(np, x, pads, fill)
    eff = tuple((k - 1) * d + 1 for k, d in zip(window, dilations))
    win = np.lib.stride_tricks.sliding_window_view(xpad, eff, axis=tuple(range(1, n + 1)))
    index = ((slice(None),) + tuple(slice(None, None, s) for s in strides) + (slice(None),)
             + tuple(slice(None, None, d) for d in dilations))
    return win[index]  # (N, *out, C, *window)


def numpy_kernels() -> dict:
    def max_pool_nd(x, window, strides, dilations, pads, zero_pad):
        fill = 0 if zero_pad else _lowest(x.dtype)
        win = _np_windows(x, window, strides, dilations, pads, fill)
        return win.max(axis=tuple(range(-len(window), 0)))

    def avg_pool_nd(x, window, strides, dilations, pads, zero_pad):
        win = _np_windows(x, window, strides, dilations, pads, 0)
        total = win.sum(axis=tuple(range(-len(window), 0)), dtype=x.dtype)
        counts = _counts(np, x.shape, window, strides, dilations, pads, zero_pad, x.dtype)
        return (total / counts).astype(x.dtype)

    generic_max_pool_grad = kernels(np)["max_pool_grad"]

    def max_pool_grad(x, dy, window, strides, dilations, pads, zero_pad):
        if tuple(strides) != tuple(window) or any(d != 1 for d in dilations):
            return generic_max_pool_grad(x, dy, window, strides, dilations, pads, zero_pad)
        return _np_tiled_max_pool_grad(x, dy, window, pads, 0 if zero_pad else _lowest(x.dtype))

    return {"max_pool_nd": max_pool_nd, "avg_pool_nd": avg_pool_nd,
            "max_pool_grad": max_pool_grad}


def _np_tiled_max_pool_grad(x, dy, window, pads, fill):
    """``max_pool_grad`` when the windows tile the input (strides == window, no dilation).

    The windows are then a reshape of the (padded, cropped) input, ``(N, o1, k1, o2, k2, ...,
    C)``, so each tap is a strided view: the maxima are a running ``np.maximum`` over the taps,
    each tap's share of ``dy`` is where it equals the maximum and no earlier tap did (the first
    maximum, as argmax), written straight into that tap's view of ``dx``. No stacked copy of the
    taps and no argmax over a strided axis (on W2's first pooling layer: 36 -> 9 ms).
    """
    n = len(window)
    xpad = pad_spatial(np, x, pads, fill)
    outs = dy.shape[1:n + 1]
    region = (slice(None),) + tuple(slice(0, o * k) for o, k in zip(outs, window))
    tiled_shape = (x.shape[0],) + sum(((o, k) for o, k in zip(outs, window)), ()) + (
        x.shape[-1],)
    tiled = xpad[region].reshape(tiled_shape)
    # NOTE: one index per tap: every output axis whole, that tap's offset in each window axis
    indexes = [(slice(None),) + sum(((slice(None), t) for t in tap), ())
               for tap in np.ndindex(*window)]
    taps = [tiled[index] for index in indexes]
    # NOTE: np.maximum propagates NaN, and a NaN tap equals a NaN maximum below, so the first
    # NaN of a window takes its gradient, as argmax picks it.
    best = np.array(taps[0]) if len(taps) == 1 else np.maximum(taps[0], taps[1])
    for view in taps[2:]:
        np.maximum(best, view, out=best)
    nan_best = np.isnan(best) if np.issubdtype(best.dtype, np.floating) else None
    if nan_best is not None and not nan_best.any():
        nan_best = None
    dx_tiled = np.empty(tiled_shape, dy.dtype)
    taken = None
    for view, index in zip(taps, indexes):
        share = view == best
        if nan_best is not None:
            share |= np.isnan(view) & nan_best
        if taken is None:
            taken = share.copy()
        else:
            np.greater(share, taken, out=share)  # NOTE: share and not taken, for bools
            taken |= share
        np.multiply(dy, share, out=dx_tiled[index])
    if dx_tiled.size == xpad.size:  # NOTE: the windows cover the padded input
        dxp = dx_tiled.reshape(xpad.shape)
    else:
        dxp = np.zeros(xpad.shape, dy.dtype)
        dxp[region] = dx_tiled.reshape(dxp[region].shape)
    return crop(np, dxp, pads, x.shape[1:n + 1])


def jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp
    from jax import lax

    def _reduce(x, init, fn, window, strides, dilations, pads):
        return lax.reduce_window(x, jnp.asarray(init, x.dtype), fn, (1,) + tuple(window) + (1,),
                                 (1,) + tuple(strides) + (1,),
                                 ((0, 0),) + tuple(tuple(p) for p in pads) + ((0, 0),),
                                 window_dilation=(1,) + tuple(dilations) + (1,))

    def max_pool_nd(x, window, strides, dilations, pads, zero_pad):
        if zero_pad:
            x = pad_spatial(jnp, x, pads, 0)
            pads = ((0, 0),) * len(window)
        return _reduce(x, _lowest(x.dtype), lax.max, window, strides, dilations, pads)

    def avg_pool_nd(x, window, strides, dilations, pads, zero_pad):
        total = _reduce(x, 0, lax.add, window, strides, dilations, pads)
        counts = _counts(jnp, x.shape, window, strides, dilations, pads, zero_pad, x.dtype)
        return (total / counts).astype(x.dtype)

    table = {"max_pool_nd": max_pool_nd, "avg_pool_nd": avg_pool_nd, **kernels(jnp)}
    # NOTE: compiled once per static configuration (the tap loops would dispatch op by op)
    return {name: _jit(jax, fn, _STATIC) for name, fn in table.items()}


_STATIC = ("window", "strides", "dilations", "pads", "zero_pad", "x_shape", "include_batch")
