"""lstm_sequence: forward against a float64 NumPy LSTM, its BPTT gradient kernel and its second
order against finite differences, and equal to the step-by-step reference, on both
backends."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import DTypeError, ShapeError
from layerflow.ops.recurrent_sequence import (
    gru_sequence,
    lstm_sequence,
    reference_gru_sequence,
    reference_lstm_sequence,
)
from tests._support.opcheck import check_forward, check_grad, check_second_order


def _sigmoid(x):
    e = np.exp(-np.abs(x))  # NOTE: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _np_lstm(x, h, c, kernel, recurrent_kernel, bias=None, return_sequences=True):
    x, h, c = (a.astype(np.float64) for a in (x, h, c))
    ys = []
    for t in range(x.shape[1]):
        z = x[:, t] @ kernel + h @ recurrent_kernel + (0 if bias is None else bias)
        zi, zf, zg, zo = np.split(z, 4, axis=-1)
        c = _sigmoid(zf) * c + _sigmoid(zi) * np.tanh(zg)
        h = _sigmoid(zo) * np.tanh(c)
        ys.append(h)
    return [np.stack(ys, 1) if return_sequences else h, h, c]


def _inputs(rng, batch=3, steps=4, features=5, units=2, bias=True, scale=1.0):
    shapes = [(batch, steps, features), (batch, units), (batch, units),
              (features, 4 * units), (units, 4 * units)] + ([(4 * units,)] if bias else [])
    return [(rng.normal(size=s) * scale).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_forward(backend, rng, return_sequences, bias):
    check_forward(lambda *a: lstm_sequence(*a[:5], a[5] if bias else None,
                                           return_sequences=return_sequences),
                  lambda *a: _np_lstm(*a[:5], a[5] if bias else None, return_sequences),
                  _inputs(rng, bias=bias), dtype="float32")


def test_forward_saturates_without_nan(backend, rng):
    # NOTE: pre-activations far beyond exp's float32 range: gates must saturate to 0 or 1.
    check_forward(lstm_sequence, _np_lstm, _inputs(rng, scale=60.0), dtype="float32")


def test_one_step_and_float64(backend, rng):
    arrays = [a.astype(np.float64) for a in _inputs(rng, steps=1)]
    y, h, c = lstm_sequence(*[lf.tensor(a, dtype="float64") for a in arrays])
    want = _np_lstm(*arrays)
    assert y.dtype == h.dtype == c.dtype == "float64"
    for got, expected in zip((y, h, c), want):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("return_sequences", [True, False])
def test_grad(backend, rng, return_sequences):
    check_grad(lambda *a: lstm_sequence(*a, return_sequences=return_sequences),
               _inputs(rng, batch=2, steps=3, features=3))


def test_grad_without_bias_and_of_one_output(backend, rng):
    arrays = _inputs(rng, batch=2, steps=3, features=2, bias=False)
    check_grad(lambda *a: lstm_sequence(*a)[2], arrays)
    check_grad(lambda *a: lstm_sequence(*a, return_sequences=False)[0], arrays)


def test_fused_gradient_equals_the_reference(backend, rng):
    """The BPTT kernel against the step-by-step ops' gradient, also when the input needs none
    (the kernel then skips dx)."""
    tensors = [lf.tensor(a) for a in _inputs(rng, batch=4, steps=6, features=3, units=3)]
    for return_sequences in (True, False):
        for sources in (tensors, tensors[3:]):
            got, want = (_loss_grads(fn, tensors, sources, return_sequences)
                         for fn in (lstm_sequence, reference_lstm_sequence))
            for a, b in zip(got, want):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def _loss_grads(fn, tensors, sources, return_sequences):
    with lf.GradientTape() as tape:
        tape.watch(sources)
        y, h, c = fn(*tensors, return_sequences=return_sequences)
        loss = lf.add_n([lf.sum(lf.square(y)), lf.sum(lf.mul(h, 0.3)), lf.sum(lf.mul(c, -0.7))])
    return tape.gradient(loss, sources)


def test_runs_the_fused_gradient_kernel(backend, rng):
    tensors = [lf.tensor(a) for a in _inputs(rng)]
    with lf.GradientTape() as tape:
        tape.watch(tensors)
        info = lf.profile(lambda: lstm_sequence(*tensors))
        loss = lf.sum(info.result[0])
    assert info.kernels == ["lstm_sequence"], info.kernels
    grads = lf.profile(lambda: tape.gradient(loss, tensors))
    assert "lstm_sequence_grad" in grads.kernels, grads.kernels
    assert "lstm_gates_grad" not in grads.kernels, grads.kernels


def test_second_order(backend, rng):
    x, h, c, k, rk, b = _inputs(rng, batch=1, steps=2, features=2, units=1)
    fixed = [lf.tensor(a, dtype="float64") for a in (h, c, k, rk, b)]
    check_second_order(lambda u: lstm_sequence(u, *fixed)[0], x)

    def grads_of(*args):  # every first-order gradient, differentiated again
        return lf.grads(lambda *a: lf.sum(lf.square(lstm_sequence(*a)[0])))(list(args))

    check_grad(grads_of, _inputs(rng, batch=1, steps=2, features=2, units=1))


def test_symbolic_shapes():
    y, h, c = lstm_sequence(lf.input(shape=[7, 3]), lf.input(shape=[2]), lf.input(shape=[2]),
                            lf.zeros([3, 8]), lf.zeros([2, 8]))
    assert y.shape == (None, 7, 2) and h.shape == c.shape == (None, 2)


def test_errors(rng):
    x, h, c, k, rk, b = (lf.tensor(a) for a in _inputs(rng))
    with pytest.raises(ShapeError, match=r"lstm_sequence: expected x .*got x \(4, 5\)"):
        lstm_sequence(x[0], h, c, k, rk, b)
    with pytest.raises(ShapeError, match=r"recurrent_kernel \(2, 4\)"):
        lstm_sequence(x, h, c, k, rk[:, :4], b)
    with pytest.raises(ShapeError, match=r"bias \(6,\)"):
        lstm_sequence(x, h, c, k, rk, b[:6])
    with pytest.raises(ShapeError, match=r"h0 \(2, 2\)"):
        lstm_sequence(x, h[:2], c[:2], k, rk, b)
    with pytest.raises(ShapeError, match="time >= 1"):
        lstm_sequence(x[:, :0], h, c, k, rk, b)
    with pytest.raises(DTypeError, match="x float64, h0 float32"):
        lstm_sequence(lf.cast(x, "float64"), h, c, k, rk, b)
    with pytest.raises(DTypeError, match="one floating-point dtype"):
        lstm_sequence(*(lf.cast(t, "int32") for t in (x, h, c, k, rk, b)))


# -- gru_sequence ----------------------------------------------------------------------------
def _np_gru(x, h, kernel, recurrent_kernel, bias=None, return_sequences=True):
    x, h = x.astype(np.float64), h.astype(np.float64)
    ys = []
    for t in range(x.shape[1]):
        p, q = x[:, t] @ kernel, h @ recurrent_kernel
        if bias is not None:
            p, q = p + bias[0], q + bias[1]
        (p_z, p_r, p_h), (q_z, q_r, q_h) = np.split(p, 3, -1), np.split(q, 3, -1)
        z, r = _sigmoid(p_z + q_z), _sigmoid(p_r + q_r)
        h = z * h + (1 - z) * np.tanh(p_h + r * q_h)
        ys.append(h)
    return [np.stack(ys, 1) if return_sequences else h, h]


def _gru_inputs(rng, batch=3, steps=4, features=5, units=2, bias=True, scale=1.0):
    shapes = [(batch, steps, features), (batch, units), (features, 3 * units),
              (units, 3 * units)] + ([(2, 3 * units)] if bias else [])
    return [(rng.normal(size=s) * scale).astype(np.float32) for s in shapes]


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_forward(backend, rng, return_sequences, bias):
    check_forward(lambda *a: gru_sequence(*a[:4], a[4] if bias else None,
                                          return_sequences=return_sequences),
                  lambda *a: _np_gru(*a[:4], a[4] if bias else None, return_sequences),
                  _gru_inputs(rng, bias=bias), dtype="float32")


def test_gru_forward_saturates_without_nan(backend, rng):
    check_forward(gru_sequence, _np_gru, _gru_inputs(rng, scale=60.0), dtype="float32")


@pytest.mark.parametrize("return_sequences", [True, False])
def test_gru_grad(backend, rng, return_sequences):
    check_grad(lambda *a: gru_sequence(*a, return_sequences=return_sequences),
               _gru_inputs(rng, batch=2, steps=3, features=3))
    check_grad(lambda *a: gru_sequence(*a, return_sequences=return_sequences)[1],
               _gru_inputs(rng, batch=2, steps=2, features=2, bias=False))


def test_gru_fused_gradient_equals_the_reference(backend, rng):
    tensors = [lf.tensor(a) for a in _gru_inputs(rng, batch=4, steps=6, features=3, units=3)]
    for return_sequences in (True, False):
        for sources in (tensors, tensors[2:]):
            got, want = (_gru_loss_grads(fn, tensors, sources, return_sequences)
                         for fn in (gru_sequence, reference_gru_sequence))
            for a, b in zip(got, want):
                np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


def _gru_loss_grads(fn, tensors, sources, return_sequences):
    with lf.GradientTape() as tape:
        tape.watch(sources)
        y, h = fn(*tensors, return_sequences=return_sequences)
        loss = lf.add(lf.sum(lf.square(y)), lf.sum(lf.mul(h, -0.4)))
    return tape.gradient(loss, sources)


def test_gru_runs_the_fused_gradient_kernel(backend, rng):
    tensors = [lf.tensor(a) for a in _gru_inputs(rng)]
    with lf.GradientTape() as tape:
        tape.watch(tensors)
        info = lf.profile(lambda: gru_sequence(*tensors))
        loss = lf.sum(info.result[0])
    assert info.kernels == ["gru_sequence"], info.kernels
    grads = lf.profile(lambda: tape.gradient(loss, tensors))
    assert "gru_sequence_grad" in grads.kernels and "sigmoid" not in grads.kernels


def test_gru_second_order(backend, rng):
    def grads_of(*args):
        return lf.grads(lambda *a: lf.sum(lf.square(gru_sequence(*a)[0])))(list(args))

    check_grad(grads_of, _gru_inputs(rng, batch=1, steps=2, features=2, units=1))


def test_gru_errors(rng):
    x, h, k, rk, b = (lf.tensor(a) for a in _gru_inputs(rng))
    with pytest.raises(ShapeError, match=r"gru_sequence: .*bias \(2, 3 \* units\).*bias \(6,\)"):
        gru_sequence(x, h, k, rk, b[0])
    with pytest.raises(ShapeError, match=r"recurrent_kernel \(units, 3 \* units\)"):
        gru_sequence(x, h, k[:, :4], rk[:, :4], b)
    with pytest.raises(DTypeError, match="gru_sequence"):
        gru_sequence(x, lf.cast(h, "float64"), k, rk, b)
