"""jax convolution kernels: the XLA formulation that runs fastest, chosen per call.

Same contract as :mod:`layerflow.backends.kernels.conv`. ``lax.conv_general_dilated`` (and its
vjp) is the reference; on XLA CPU it is slow for few channels per group, for grouped
convolutions and for most filter gradients, so on the CPU platform three other formulations
take over (on GPU/TPU everything stays ``lax``):

* **tap sum** (forward with ``C_in / groups <= 4``; input gradient with
  ``C_out / groups <= 4``, as the forward of the transposed problem): one broadcast
  multiply-add per filter tap and input channel, which XLA fuses into a single loop.
* **patch GEMM** (filter gradient, ``groups == 1`` and ``C_in <= 8``): the im2col patch matrix
  ``(N * prod(out), prod(k) * C_in)``, built one spatial dim at a time with ``jnp.stack``, and one
  dot with ``dy``.
* **tap dots** (filter gradient with ``C_in / groups >= 32``, or grouped and not depthwise): one
  dot ``x_tap^T @ dy`` per filter tap, no patch matrix.

Measured (jax 0.10.2, XLA CPU, 2 cores; ms per jitted call, min of 5; 3x3 filters):

=====================================  =======  =====================
case (x -> filter)                      lax      chosen
=====================================  =======  =====================
fwd 128x28x28x1 -> 1x32                 2.5      tap sum 0.77
fwd 128x28x28x3 -> 3x32                 14.6     tap sum 3.8
fwd depthwise 64x28x28x32               46-62    tap sum 2.0
dx depthwise 64x28x28x32, stride 2      103      tap sum 2.7
dw 128x28x28x1 -> 1x32                  6.5      patch GEMM 2.1
dw 128x28x28x3 -> 3x32                  15.2     patch GEMM 5.7
dw 128x13x13x32 -> 32x64 (W2 conv 2)    17.8     tap dots 9.5
dw 64x32x32x32 -> 32x64, stride 2       16.1     tap dots 10.9
dw 64x16x16x64 -> 16x64, 4 groups       430      tap dots 28
=====================================  =======  =====================

Where the rules leave ``lax``, it measured as fast or faster: the forward with 8 or more
channels per group (the tap sum is 1.5x slower at 8, summing per-tap dots 3-10x slower and
materializing patches 2x slower, as XLA CPU builds large patch tensors slowly), filter
gradients with 9 to 31 channels (a 5x5 filter on 16 channels: lax 10.8, tap dots 35.6) and
depthwise filter gradients (lax 13, tap dots 47). ``Precision.HIGHEST`` costs nothing on CPU
(float32 is exact there) and keeps float32 accuracy elsewhere.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from layerflow.backends.kernels.conv import out_spatial, pad_spatial, tap_slices

_DIMS = {1: ("NWC", "WIO", "NWC"), 2: ("NHWC", "HWIO", "NHWC"), 3: ("NDHWC", "DHWIO", "NDHWC")}
_HIGHEST = lax.Precision.HIGHEST
TAP_SUM_MAX_CHANNELS = 4  # per group, forward (input channels) and input gradient (output)
PATCH_GEMM_MAX_CHANNELS = 8  # input channels, filter gradient without groups
TAP_DOTS_MIN_CHANNELS = 32  # input channels per group, filter gradient


def _on_cpu() -> bool:
    return jax.default_backend() == "cpu"


# -- forward ----------------------------------------------------------------------------------
def conv(x, w, strides, dilations, pads, groups):
    if _on_cpu() and w.shape[-2] <= TAP_SUM_MAX_CHANNELS:
        return tap_sum_conv(x, w, strides, dilations, pads, groups)
    return lax_conv(x, w, strides, dilations, pads, groups)


def lax_conv(x, w, strides, dilations, pads, groups):
    n = w.ndim - 2
    dims = lax.conv_dimension_numbers(x.shape, w.shape, _DIMS[n])
    return lax.conv_general_dilated(
        x, w, tuple(strides), [tuple(p) for p in pads], rhs_dilation=tuple(dilations),
        dimension_numbers=dims, feature_group_count=groups, precision=_HIGHEST)


def tap_sum_conv(x, w, strides, dilations, pads, groups):
    """``sum over taps t, channels c of x_tap[..., g, c] * w[t, c, g, :]``: elementwise only."""
    n = w.ndim - 2
    kshape, cg, cout = w.shape[:n], w.shape[n], w.shape[n + 1]
    xpad = pad_spatial(jnp, x, pads, 0)
    outs = out_spatial(xpad.shape[1:n + 1], kshape, strides, dilations)
    taps = w.reshape((-1, cg, groups, cout // groups))
    total = None
    for t, sl in enumerate(tap_slices(kshape, outs, strides, dilations)):
        xt = xpad[sl].reshape(x.shape[:1] + outs + (groups, cg))
        for c in range(cg):
            term = xt[..., c:c + 1] * taps[t, c]
            total = term if total is None else total + term
    return total.reshape(x.shape[:1] + outs + (cout,)).astype(x.dtype)


# -- input gradient ---------------------------------------------------------------------------
def backprop_input(dy, w, x_shape, strides, dilations, pads, groups):
    if _on_cpu() and w.shape[-1] // groups <= TAP_SUM_MAX_CHANNELS:
        dy_padded, w_transposed, attrs = transposed_problem(
            dy, w, x_shape, strides, dilations, pads, groups)
        return tap_sum_conv(dy_padded, w_transposed, **attrs)
    x0 = jnp.zeros(tuple(x_shape), dy.dtype)
    _, vjp = jax.vjp(lambda x: lax_conv(x, w, strides, dilations, pads, groups), x0)
    return vjp(dy)[0]


def transposed_problem(dy, w, x_shape, strides, dilations, pads, groups):
    """The input gradient as a stride-1 forward conv: ``dy`` spread by the strides and padded
    (negative pads crop), the filter flipped with its in and out channels swapped per group."""
    n = w.ndim - 2
    kshape, cg, cout = w.shape[:n], w.shape[n], w.shape[n + 1]
    config = [(0, 0, 0)]
    for k, d, s, (pb, pa), size, o in zip(kshape, dilations, strides, pads, x_shape[1:n + 1],
                                          dy.shape[1:n + 1]):
        reach = (k - 1) * d
        unread = size + pb + pa - ((o - 1) * s + 1 + reach)  # padded input past the last window
        config.append((reach - pb, reach - pa + unread, s - 1))
    config.append((0, 0, 0))
    dy_padded = lax.pad(dy, jnp.zeros((), dy.dtype), config)
    flipped = jnp.flip(w, tuple(range(n))).reshape(kshape + (cg, groups, cout // groups))
    w_transposed = jnp.swapaxes(flipped, n, n + 2).reshape(kshape + (cout // groups, groups * cg))
    attrs = {"strides": (1,) * n, "dilations": tuple(dilations), "pads": ((0, 0),) * n,
             "groups": groups}
    return dy_padded, w_transposed, attrs


# -- filter gradient --------------------------------------------------------------------------
def backprop_filter(x, dy, w_shape, strides, dilations, pads, groups):
    cg = w_shape[-2]
    if not _on_cpu():
        fn = lax_filter_grad
    elif groups == 1 and cg <= PATCH_GEMM_MAX_CHANNELS:
        fn = patch_gemm_filter_grad
    elif cg == 1:  # depthwise
        fn = lax_filter_grad
    elif groups > 1 or cg >= TAP_DOTS_MIN_CHANNELS:
        fn = tap_dots_filter_grad
    else:
        fn = lax_filter_grad
    return fn(x, dy, tuple(w_shape), strides, dilations, pads, groups)


def lax_filter_grad(x, dy, w_shape, strides, dilations, pads, groups):
    w0 = jnp.zeros(w_shape, x.dtype)
    _, vjp = jax.vjp(lambda w: lax_conv(x, w, strides, dilations, pads, groups), w0)
    return vjp(dy)[0]


def tap_dots_filter_grad(x, dy, w_shape, strides, dilations, pads, groups):
    """``dw[t] = x_tap^T @ dy`` per tap (per group: a batched dot)."""
    n = len(w_shape) - 2
    cg, cout = w_shape[n], w_shape[n + 1]
    xpad = pad_spatial(jnp, x, pads, 0)
    dyg = dy.reshape((-1, groups, cout // groups))
    taps = [jnp.einsum("mgc,mgo->cgo", xpad[sl].reshape((-1, groups, cg)), dyg,
                       precision=_HIGHEST)
            for sl in tap_slices(w_shape[:n], dy.shape[1:n + 1], strides, dilations)]
    return jnp.stack(taps).reshape(w_shape)


def patch_gemm_filter_grad(x, dy, w_shape, strides, dilations, pads, groups):
    """``patches^T @ dy``, the patches ``(N * prod(out), prod(k) * C_in)`` (``groups == 1``)."""
    n = len(w_shape) - 2
    xpad = pad_spatial(jnp, x, pads, 0)
    cols = patches(xpad, w_shape[:n], dy.shape[1:n + 1], strides, dilations)
    rows = math.prod(cols.shape[:n + 1])
    dw = jnp.dot(cols.reshape(rows, -1).T, dy.reshape(rows, -1), precision=_HIGHEST)
    return dw.reshape(w_shape)


def patches(xpad, kshape, outs, strides, dilations):
    """``(N, *outs, *kshape, C)``: the taps of each spatial dim stacked in turn, last dim first
    (one ``jnp.stack`` of ``k`` slices per dim; 3x faster in XLA CPU than one of ``prod(k)``)."""
    n = len(kshape)
    cols = xpad
    for d in reversed(range(n)):
        span = strides[d] * (outs[d] - 1) + 1
        taps = [lax.slice_in_dim(cols, k * dilations[d], k * dilations[d] + span, strides[d],
                                 axis=1 + d) for k in range(kshape[d])]
        cols = jnp.stack(taps, axis=n + 1)
    return cols


def jax_conv_kernels() -> dict:
    return {"conv_nd": conv, "conv_backprop_input": backprop_input,
            "conv_backprop_filter": backprop_filter}

