"""lstm_gates: forward against NumPy, its fused gradient and its second order against finite
differences, on both backends; the LSTM cell uses it and matches the unfused cell."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import DTypeError, ShapeError
from layerflow.ops.recurrent import lstm_gates
from tests._support.opcheck import check_forward, check_grad, check_second_order


def _sigmoid(x):
    e = np.exp(-np.abs(x))  # NOTE: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _np_lstm_gates(z, c_prev):
    z, c_prev = z.astype(np.float64), c_prev.astype(np.float64)
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    c = _sigmoid(zf) * c_prev + _sigmoid(zi) * np.tanh(zg)
    return [_sigmoid(zo) * np.tanh(c), c]


@pytest.mark.parametrize("lead", [(3,), (2, 3), ()])
def test_lstm_gates_forward(backend, rng, lead):
    z = (rng.normal(size=lead + (20,)) * 3).astype(np.float32)
    c = rng.normal(size=lead + (5,)).astype(np.float32)
    check_forward(lstm_gates, _np_lstm_gates, [z, c], dtype="float32")


def test_lstm_gates_forward_saturates_without_nan(backend):
    # NOTE: exp(-x) overflows for x < -88 in float32: the sigmoid must come out 0, not NaN.
    z = np.array([[-1e4, 1e4, -200.0, 200.0, -90.0, 90.0, 0.0, 50.0]], np.float32)
    c = np.array([[2.0, -3.0]], np.float32)
    check_forward(lstm_gates, _np_lstm_gates, [z, c], dtype="float32")


def test_lstm_gates_forward_float64(backend, rng):
    z, c = rng.normal(size=(2, 8)), rng.normal(size=(2, 2))
    h, c_new = lstm_gates(lf.tensor(z, dtype="float64"), lf.tensor(c, dtype="float64"))
    want = _np_lstm_gates(z, c)
    assert h.dtype == c_new.dtype == "float64"
    np.testing.assert_allclose(h.numpy(), want[0], rtol=1e-12)
    np.testing.assert_allclose(c_new.numpy(), want[1], rtol=1e-12)


def test_lstm_gates_grad(backend, rng):
    check_grad(lstm_gates, [rng.normal(size=(2, 12)) * 2, rng.normal(size=(2, 3))])


def test_lstm_gates_grad_of_h_or_c_alone(backend, rng):
    z, c = rng.normal(size=(2, 8)), rng.normal(size=(2, 2))
    check_grad(lambda a, b: lstm_gates(a, b)[0], [z, c])
    check_grad(lambda a, b: lstm_gates(a, b)[1], [z, c])


def test_lstm_gates_runs_the_fused_gradient_kernel(backend, rng):
    z = lf.tensor(rng.normal(size=(2, 8)).astype(np.float32))
    c = lf.tensor(rng.normal(size=(2, 2)).astype(np.float32))
    with lf.GradientTape() as tape:
        tape.watch([z, c])
        info = lf.profile(lambda: lstm_gates(z, c))
        loss = lf.add(lf.sum(info.result[0]), lf.sum(info.result[1]))
    assert info.kernels == ["lstm_gates"], info.kernels
    grads = lf.profile(lambda: tape.gradient(loss, [z, c]))
    assert "lstm_gates_grad" in grads.kernels, grads.kernels
    assert "sigmoid" not in grads.kernels, grads.kernels


def test_lstm_gates_second_order(backend, rng):
    check_second_order(lambda u: lstm_gates(u, lf.tensor([[0.3, -0.8]], dtype="float64"))[0],
                       rng.normal(size=(1, 8)))

    def grads_of(z, c):  # both first-order gradients, differentiated in z and c_prev
        def loss(a, b):
            h, c_new = lstm_gates(a, b)
            return lf.add(lf.sum(lf.square(h)), lf.sum(lf.mul(c_new, 0.7)))

        return lf.grads(loss)([z, c])

    check_grad(grads_of, [rng.normal(size=(2, 8)), rng.normal(size=(2, 2))])


def test_lstm_gates_symbolic_shapes():
    h, c = lstm_gates(lf.input(shape=[12]), lf.input(shape=[3]))
    assert h.shape == (None, 3) and c.shape == (None, 3)


def test_lstm_gates_errors():
    with pytest.raises(ShapeError, match=r"lstm_gates: .*z \(2, 10\) and c_prev \(2, 3\)"):
        lstm_gates(lf.zeros([2, 10]), lf.zeros([2, 3]))
    with pytest.raises(ShapeError, match="lstm_gates"):
        lstm_gates(lf.zeros([2, 12]), lf.zeros([4, 3]))
    with pytest.raises(ShapeError, match="lstm_gates"):
        lstm_gates(lf.zeros([2, 12]), lf.zeros([3]))
    with pytest.raises(DTypeError, match="lstm_gates"):
        lstm_gates(lf.tensor(["a"] * 4), lf.tensor(["b"]))


def test_lstm_gates_int_inputs_compute_in_float32():
    h, c = lstm_gates(lf.tensor([[0, 0, 0, 0]], dtype="int32"), lf.tensor([[1]], dtype="int32"))
    assert h.dtype == c.dtype == "float32"
    assert c.array_sync() == [[0.5]]


def _cell_step(cell, x, h, c):
    """One step's outputs and the gradients of a loss w.r.t. the inputs and weights."""
    x, h, c = (lf.tensor(a) for a in (x, h, c))
    with lf.GradientTape(persistent=True) as tape:
        tape.watch([x, h, c])
        out, (h_new, c_new) = cell(x, [h, c])
        loss = lf.add(lf.sum(lf.square(out)), lf.sum(lf.mul(c_new, 0.5)))
    sources = [x, h, c, *cell.trainable_weights]
    return [out.numpy(), c_new.numpy()] + [g.numpy() for g in tape.gradient(loss, sources)]


def test_lstm_cell_fused_step_matches_the_unfused_step(backend, rng):
    """The default activations take lstm_gates; the same activations by another function
    (so the cell cannot tell) take the elementwise ops: same numbers."""
    fused = lf.layers.LSTMCell(4)
    plain = lf.layers.LSTMCell(4, activation=lambda t: lf.tanh(t),
                               recurrent_activation=lambda t: lf.sigmoid(t))
    x, h, c = (rng.normal(size=s).astype(np.float32) for s in ((3, 5), (3, 4), (3, 4)))
    fused.build((None, 5))
    plain.build((None, 5))
    plain.set_weights(fused.get_weights())
    info = lf.profile(lambda: fused(lf.tensor(x), [lf.tensor(h), lf.tensor(c)]))
    assert "lstm_gates" in info.kernels and "sigmoid" not in info.kernels, info.kernels
    for got, want in zip(_cell_step(fused, x, h, c), _cell_step(plain, x, h, c)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
