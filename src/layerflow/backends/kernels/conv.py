"""Convolution kernels, channels-last with 1, 2 or 3 spatial dims.

Layouts: ``x`` is ``(N, *spatial, C)``, the filter ``w`` is ``(*k, C // groups, C_out)``. Every
kernel takes ``strides``, ``dilations`` (tuples), ``pads`` (a tuple of ``(before, after)`` per
spatial dim, never negative) and ``groups``. Three kernels close under differentiation:
``conv_nd`` (forward), ``conv_backprop_input`` (its adjoint in ``x``, also conv-transpose) and
``conv_backprop_filter`` (its adjoint in ``w``).

NumPy: im2col with ``sliding_window_view`` on the padded input and one batched ``matmul`` per
call (col2im for the input gradient loops over filter taps only, never over pixels). jax:
:mod:`layerflow.backends.kernels.conv_jax` (``lax.conv_general_dilated``, or on CPU a faster
formulation where one was measured).
"""

from __future__ import annotations

import math

import numpy as np


def kernels(xp) -> dict:
    return {
        "conv_layout_permute": lambda x, perm: xp.transpose(x, perm),
        "dilation2d": lambda x, f, strides, dilations, pads: _dilation2d(
            xp, x, f, strides, dilations, pads),
        "dilation2d_backprop_input": lambda x, f, dy, strides, dilations, pads: _dilation2d_bp(
            xp, x, f, dy, True, strides, dilations, pads),
        "dilation2d_backprop_filter": lambda x, f, dy, strides, dilations, pads: _dilation2d_bp(
            xp, x, f, dy, False, strides, dilations, pads),
    }


# -- helpers shared by both array namespaces -------------------------------------------------
def tap_slices(kshape, out_spatial, strides, dilations):
    """For each filter tap (row-major), the slices of the padded input that tap reads."""
    result = []
    for kk in np.ndindex(*kshape):
        sl = tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                   for k, d, s, o in zip(kk, dilations, strides, out_spatial))
        result.append((slice(None),) + sl + (slice(None),))
    return result


def slice_add(xp, a, sl, v):
    """``a[sl] += v`` for NumPy (in place) and jax (functional)."""
    if xp is np:
        a[sl] += v
        return a
    return a.at[sl].add(v)


def pad_spatial(xp, x, pads, value):
    if not any(p for pair in pads for p in pair):
        return x
    return xp.pad(x, ((0, 0),) + tuple(tuple(p) for p in pads) + ((0, 0),),
                  constant_values=value)


def out_spatial(padded, kshape, strides, dilations):
    return tuple((p - (k - 1) * d - 1) // s + 1
                 for p, k, s, d in zip(padded, kshape, strides, dilations))


def crop(xp, a, pads, spatial):
    sl = tuple(slice(pb, pb + n) for (pb, _), n in zip(pads, spatial))
    return a[(slice(None),) + sl + (slice(None),)]


# -- NumPy convolution ------------------------------------------------------------------------
def _np_cols(x, kshape, strides, dilations, pads, groups):
    """im2col: ``(groups, N * prod(out), prod(k) * C // groups)`` and the output spatial shape."""
    n = len(kshape)
    xpad = pad_spatial(np, x, pads, 0)
    eff = tuple((k - 1) * d + 1 for k, d in zip(kshape, dilations))
    win = np.lib.stride_tricks.sliding_window_view(xpad, eff, axis=tuple(range(1, n + 1)))
    index = ((slice(None),) + tuple(slice(None, None, s) for s in strides) + (slice(None),)
             + tuple(slice(None, None, d) for d in dilations))
    win = win[index]  # (N, *out, C, *k)
    batch, outs, channels = win.shape[0], win.shape[1:n + 1], win.shape[n + 1]
    cg = channels // groups
    win = win.reshape((batch,) + outs + (groups, cg) + tuple(kshape))
    perm = (n + 1,) + tuple(range(n + 1)) + tuple(range(n + 3, 2 * n + 3)) + (n + 2,)
    cols = win.transpose(perm).reshape(groups, batch * math.prod(outs), math.prod(kshape) * cg)
    return cols, outs


def _np_filter_matrix(w, groups):
    """``(*k, cg, C_out)`` -> ``(groups, prod(k) * cg, C_out // groups)``."""
    n = w.ndim - 2
    kshape, cg, cout = w.shape[:n], w.shape[n], w.shape[n + 1]
    wg = w.reshape(kshape + (cg, groups, cout // groups))
    perm = (n + 1,) + tuple(range(n)) + (n, n + 2)
    return wg.transpose(perm).reshape(groups, math.prod(kshape) * cg, cout // groups)


def _np_conv(x, w, strides, dilations, pads, groups):
    n = w.ndim - 2
    cols, outs = _np_cols(x, w.shape[:n], strides, dilations, pads, groups)
    out = np.matmul(cols, _np_filter_matrix(w, groups))  # (groups, M, og)
    cout = w.shape[-1]
    out = out.transpose(1, 0, 2).reshape((x.shape[0],) + outs + (cout,))
    return out.astype(x.dtype, copy=False)


def _np_backprop_filter(x, dy, w_shape, strides, dilations, pads, groups):
    n = len(w_shape) - 2
    kshape, cg, cout = tuple(w_shape[:n]), w_shape[n], w_shape[n + 1]
    cols, _ = _np_cols(x, kshape, strides, dilations, pads, groups)
    og = cout // groups
    dyg = dy.reshape(-1, groups, og).transpose(1, 0, 2)
    dw = np.matmul(cols.transpose(0, 2, 1), dyg)  # (groups, prod(k) * cg, og)
    dw = dw.reshape((groups,) + kshape + (cg, og))
    dw = dw.transpose(tuple(range(1, n + 2)) + (0, n + 2)).reshape(kshape + (cg, cout))
    return dw.astype(x.dtype, copy=False)


def _np_backprop_input(dy, w, x_shape, strides, dilations, pads, groups):
    n = w.ndim - 2
    kshape, cg = w.shape[:n], w.shape[n]
    spatial = tuple(x_shape[1:n + 1])
    padded = tuple(s + pb + pa for s, (pb, pa) in zip(spatial, pads))
    outs = dy.shape[1:n + 1]
    og = w.shape[-1] // groups
    dyg = dy.reshape(-1, groups, og).transpose(1, 0, 2)  # (groups, M, og)
    wm = _np_filter_matrix(w, groups)  # (groups, prod(k) * cg, og)
    cols = np.matmul(dyg, wm.transpose(0, 2, 1))  # (groups, M, prod(k) * cg)
    cols = cols.reshape((groups, -1, math.prod(kshape), cg)).transpose(2, 1, 0, 3)
    dxp = np.zeros((x_shape[0],) + padded + (x_shape[-1],), dtype=dy.dtype)
    for tap, sl in enumerate(tap_slices(kshape, outs, strides, dilations)):
        dxp[sl] += cols[tap].reshape((x_shape[0],) + outs + (groups * cg,))
    return crop(np, dxp, pads, spatial)


def numpy_kernels() -> dict:
    return {
        "conv_nd": _np_conv,
        "conv_backprop_input": _np_backprop_input,
        "conv_backprop_filter": _np_backprop_filter,
    }


# -- jax convolution: conv_jax.py ------------------------------------------------------------
def jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp

    from layerflow.backends.kernels.conv_jax import jax_conv_kernels

    table = {
        **jax_conv_kernels(),
        **{k: v for k, v in kernels(jnp).items() if k.startswith("dilation2d")},
    }
    static = ("strides", "dilations", "pads", "groups", "x_shape", "w_shape")
    return {name: _jit(jax, fn, static) for name, fn in table.items()}


# -- dilation2d (grayscale morphological dilation), both namespaces ---------------------------
def _dilation2d_stack(xp, x, f, strides, dilations, pads):
    kshape = f.shape[:2]
    lowest = -np.inf
    xpad = pad_spatial(xp, x, pads, lowest)
    outs = out_spatial(xpad.shape[1:3], kshape, strides, dilations)
    slices = tap_slices(kshape, outs, strides, dilations)
    taps = f.reshape((-1, f.shape[-1]))
    stack = xp.stack([xpad[sl] + taps[i] for i, sl in enumerate(slices)], axis=0)
    return stack, slices, xpad.shape


def _dilation2d(xp, x, f, strides, dilations, pads):
    stack, _, _ = _dilation2d_stack(xp, x, f, strides, dilations, pads)
    return xp.max(stack, axis=0).astype(x.dtype)


def _dilation2d_bp(xp, x, f, dy, wrt_input, strides, dilations, pads):
    stack, slices, padded = _dilation2d_stack(xp, x, f, strides, dilations, pads)
    arg = xp.argmax(stack, axis=0)  # first maximum on ties, as TF
    zero = xp.zeros_like(dy)
    if wrt_input:
        dxp = xp.zeros(padded, dtype=dy.dtype)
        for tap, sl in enumerate(slices):
            dxp = slice_add(xp, dxp, sl, xp.where(arg == tap, dy, zero))
        return crop(xp, dxp, pads, x.shape[1:3])
    grads = [xp.sum(xp.where(arg == tap, dy, zero), axis=(0, 1, 2)) for tap in range(len(slices))]
    return xp.stack(grads, axis=0).reshape(f.shape).astype(dy.dtype)


def _jit(jax, fn, static):
    """``jax.jit`` of a kernel, its attributes (those of ``static`` it takes) static."""
    import inspect

    names = [n for n in inspect.signature(fn).parameters if n in static]
    return jax.jit(fn, static_argnames=names)
