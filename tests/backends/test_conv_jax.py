"""The jax convolution kernels (every formulation conv_jax picks from) against NumPy's."""

from __future__ import annotations

import numpy as np
import pytest

from layerflow.backends.kernels.conv import numpy_kernels

jax = pytest.importorskip("jax")

from layerflow.backends.kernels import conv_jax  # noqa: E402

# (x shape, filter shape, strides, dilations, pads): groups = C_in / filter's in-channels
CASES = {
    "1ch": ((4, 9, 8, 1), (3, 3, 1, 5), (1, 1), (1, 1), ((0, 0), (0, 0))),
    "3ch strided": ((3, 11, 10, 3), (3, 2, 3, 4), (2, 3), (1, 1), ((1, 2), (0, 1))),
    "dilated padded": ((2, 12, 9, 6), (3, 3, 6, 7), (1, 2), (2, 1), ((2, 0), (1, 3))),
    "depthwise": ((2, 8, 9, 6), (3, 3, 1, 12), (2, 1), (1, 2), ((1, 1), (2, 0))),
    "grouped": ((2, 7, 8, 6), (2, 3, 2, 9), (1, 2), (1, 1), ((0, 1), (1, 1))),
    "wide": ((2, 7, 6, 32), (3, 3, 32, 8), (1, 1), (1, 1), ((1, 1), (0, 0))),
    "wide grouped": ((2, 6, 7, 64), (2, 2, 32, 4), (2, 1), (1, 2), ((0, 0), (1, 1))),
    "1d": ((3, 17, 2), (4, 2, 3), (3,), (2,), ((1, 2),)),
    "3d": ((2, 5, 6, 5, 3), (2, 3, 2, 3, 2), (1, 2, 1), (2, 1, 1), ((0, 1), (1, 0), (1, 1))),
}


def _case(name, seed=0):
    x_shape, w_shape, strides, dilations, pads = CASES[name]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    attrs = {"strides": strides, "dilations": dilations, "pads": pads,
             "groups": x_shape[-1] // w_shape[-2]}
    dy_shape = numpy_kernels()["conv_nd"](x, w, **attrs).shape
    dy = rng.standard_normal(dy_shape).astype(np.float32)
    return x, w, dy, attrs


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5,
                               atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("name", sorted(CASES))
def test_jax_backend_kernels_match_numpy(name, jax_backend):
    from layerflow.backends import load_backend

    x, w, dy, attrs = _case(name)
    ref, kernels = numpy_kernels(), load_backend("jax").kernels
    _close(kernels["conv_nd"](x, w, **attrs), ref["conv_nd"](x, w, **attrs))
    _close(kernels["conv_backprop_input"](dy, w, x.shape, **attrs),
           ref["conv_backprop_input"](dy, w, x.shape, **attrs))
    _close(kernels["conv_backprop_filter"](x, dy, w.shape, **attrs),
           ref["conv_backprop_filter"](x, dy, w.shape, **attrs))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_formulation_matches_numpy(name):
    """Each formulation on every case, whether or not the CPU rules would pick it."""
    x, w, dy, attrs = _case(name, seed=1)
    ref = numpy_kernels()
    expected = ref["conv_nd"](x, w, **attrs)
    for fn in (conv_jax.lax_conv, conv_jax.tap_sum_conv):
        _close(fn(x, w, **attrs), expected)
    dy_padded, w_transposed, transposed = conv_jax.transposed_problem(dy, w, x.shape, **attrs)
    _close(conv_jax.tap_sum_conv(dy_padded, w_transposed, **transposed),
           ref["conv_backprop_input"](dy, w, x.shape, **attrs))
    expected = ref["conv_backprop_filter"](x, dy, w.shape, **attrs)
    fns = [conv_jax.lax_filter_grad, conv_jax.tap_dots_filter_grad]
    if attrs["groups"] == 1:
        fns.append(conv_jax.patch_gemm_filter_grad)
    for fn in fns:
        _close(fn(x, dy, w.shape, **attrs), expected)
