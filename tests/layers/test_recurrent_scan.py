"""RNN layers compiled on jax run their time loop as one scan op: same values and gradients
as the eager Python loop (the reference, itself checked against Keras in test_recurrent.py)."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.layers import recurrent_scan
from layerflow.layers.recurrent import RNN
from layerflow.layers.recurrent_layers import GRU, LSTM, LSTMCell, SimpleRNN, SimpleRNNCell

pytest.importorskip("jax")

MASK = np.array([[1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 1, 1]], bool)

# NOTE: an LSTM or GRU (reset_after=True) with the default activations and no mask runs as one
# lstm_sequence / gru_sequence op instead (test_recurrent_fused.py), so those here take another
# activation.
LAYERS = {
    "lstm": lambda: LSTM(5, recurrent_activation="hard_sigmoid"),
    "gru_sequences": lambda: GRU(5, return_sequences=True, activation="relu"),
    "simple_backwards_state": lambda: SimpleRNN(5, go_backwards=True, return_state=True),
    "gru_v1_all": lambda: GRU(5, reset_after=False, return_sequences=True, return_state=True,
                              go_backwards=True),
    "stacked": lambda: RNN([SimpleRNNCell(3), LSTMCell(5)], return_sequences=True,
                           return_state=True),
    "lstm_zero_masked": lambda: LSTM(5, activation="relu", return_sequences=True,
                                     zero_output_for_mask=True),
}


def _outputs_and_grads(layer, x, mask):
    with lf.GradientTape() as tape:
        out = layer(x, mask=mask) if mask is not None else layer(x)
        outs = out if isinstance(out, list) else [out]
        loss = lf.add_n([lf.sum(lf.square(o)) for o in outs])
    return [*outs, *tape.gradient(loss, layer.trainable_weights)]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_scanned_layer_equals_python_loop(jax_backend, rng, kind, masked, monkeypatch):
    layer = LAYERS[kind]()
    x = lf.tensor(rng.normal(size=(3, 6, 4)).astype(np.float32))
    mask = lf.tensor(MASK) if masked else None
    layer(x)
    eager = _outputs_and_grads(layer, x, mask)
    scanned = []
    real = recurrent_scan.run_scanned
    monkeypatch.setattr(recurrent_scan, "run_scanned",
                        lambda *a: scanned.append(1) or real(*a))
    compiled = lf.compile(lambda x, m: _outputs_and_grads(layer, x, m),
                          variables=layer.weights)(x, mask)
    assert scanned, "the compiled layer did not use the scan"
    assert len(compiled) == len(eager)
    for a, b in zip(eager, compiled):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=2e-6)


def test_unroll_keeps_the_python_loop(jax_backend, monkeypatch):
    layer = LSTM(4, unroll=True, recurrent_activation="hard_sigmoid")
    monkeypatch.setattr(recurrent_scan, "run_scanned",
                        lambda *a: pytest.fail("unroll=True must not scan"))
    out = lf.compile(layer)(lf.ones([2, 3, 5]))
    assert out.shape == (2, 4)


def test_stateful_scanned_layer_keeps_its_states(jax_backend, rng):
    x = lf.tensor(rng.normal(size=(2, 4, 3)).astype(np.float32))
    eager = LSTM(3, stateful=True, activation="relu")
    eager(x)
    compiled_layer = LSTM(3, stateful=True, activation="relu")
    compiled_layer(x)
    compiled_layer.set_weights(eager.get_weights())
    eager.reset_states()
    compiled_layer.reset_states()
    run = lf.compile(compiled_layer, variables=compiled_layer.weights + compiled_layer.states)
    for _ in range(2):
        a, b = eager(x), run(x)
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6)
    for s_eager, s_compiled in zip(eager.states, compiled_layer.states):
        np.testing.assert_allclose(s_compiled.numpy(), s_eager.numpy(), rtol=1e-5, atol=1e-6)


def test_dropout_masks_are_drawn_once_outside_the_scan(jax_backend, rng):
    """Training with dropout compiles, trains, and differs from inference."""
    lf.set_seed(1)
    layer = GRU(6, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    x = lf.tensor(rng.normal(size=(4, 5, 3)).astype(np.float32))
    layer(x)

    def train(x):
        with lf.GradientTape() as tape:
            loss = lf.sum(lf.square(layer(x, training=True)))
        return loss, tape.gradient(loss, layer.trainable_weights)

    loss, grads = lf.compile(train, variables=layer.weights)(x)
    inference = lf.sum(lf.square(layer(x))).item()
    assert np.isfinite(loss.item()) and loss.item() != pytest.approx(inference)
    assert all(np.isfinite(g.numpy()).all() and np.abs(g.numpy()).sum() > 0 for g in grads)
