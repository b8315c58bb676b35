"""LSTM and GRU layers run their sequence as one lstm_sequence / gru_sequence op where the cell
allows it: same outputs, states and gradients as the step-by-step loop (itself checked against
Keras in test_recurrent.py, whose default LSTM and GRU cases now take this path), eager and
compiled."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.layers import recurrent_fused
from layerflow.layers.recurrent_layers import GRU, LSTM, GRUCell, LSTMCell

CASES = {
    "last": {},
    "sequences_and_state": {"return_sequences": True, "return_state": True},
    "backwards_no_bias": {"go_backwards": True, "use_bias": False, "return_sequences": True},
    "backwards_state": {"go_backwards": True, "return_state": True},
}


def _outputs_and_grads(layer, x, initial_state=None):
    with lf.GradientTape() as tape:
        tape.watch(x)
        out = layer(x, initial_state=initial_state) if initial_state else layer(x)
        outs = out if isinstance(out, list) else [out]
        loss = lf.add_n([lf.sum(lf.mul(lf.square(o), float(i + 1))) for i, o in enumerate(outs)])
    return [*outs, *tape.gradient(loss, [x, *layer.trainable_weights])]


def _fused_and_looped(layer, run, monkeypatch):
    """``run()`` once through the fused op (asserted) and once with the step loop forced."""
    calls = []
    real = recurrent_fused.run_fused
    monkeypatch.setattr(recurrent_fused, "run_fused", lambda *a: calls.append(1) or real(*a))
    fused = run()
    assert calls, "the layer did not run as one lstm_sequence op"
    monkeypatch.setattr(recurrent_fused, "can_fuse", lambda *a: False)
    looped = run()
    assert len(fused) == len(looped)
    return fused, looped


def _assert_close(got, want):
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("kind", [LSTM, GRU])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fused_equals_the_step_loop(backend, rng, case, kind, monkeypatch):
    layer = kind(4, **CASES[case])
    x = lf.tensor(rng.normal(size=(3, 6, 5)).astype(np.float32))
    layer(x)
    _assert_close(*_fused_and_looped(layer, lambda: _outputs_and_grads(layer, x), monkeypatch))


@pytest.mark.parametrize("kind,states", [(LSTM, 2), (GRU, 1)])
def test_fused_with_initial_state(backend, rng, kind, states, monkeypatch):
    layer = kind(3, return_sequences=True, return_state=True)
    x = lf.tensor(rng.normal(size=(2, 4, 3)).astype(np.float32))
    state = [lf.tensor(rng.normal(size=(2, 3)).astype(np.float32)) for _ in range(states)]
    layer(x)
    _assert_close(*_fused_and_looped(layer, lambda: _outputs_and_grads(layer, x, state),
                                     monkeypatch))


@pytest.mark.parametrize("kind", [LSTM, GRU])
def test_fused_in_a_compiled_step(jax_backend, rng, kind, monkeypatch):
    layer = kind(4, return_sequences=True, return_state=True)
    x = lf.tensor(rng.normal(size=(3, 6, 5)).astype(np.float32))
    layer(x)
    eager = _outputs_and_grads(layer, x)

    def compiled():
        return lf.compile(lambda v: _outputs_and_grads(layer, v), variables=layer.weights)(x)

    fused, looped = _fused_and_looped(layer, compiled, monkeypatch)
    _assert_close(fused, eager)
    _assert_close(looped, eager)


@pytest.mark.parametrize("kind", [LSTM, GRU])
def test_stateful_fused_layer_keeps_its_states(backend, rng, kind, monkeypatch):
    x = lf.tensor(rng.normal(size=(2, 3, 4)).astype(np.float32))
    layer = kind(3, stateful=True, return_sequences=True)
    layer(x)

    def run():
        layer.reset_states()
        first = layer(x)
        return [first, layer(x), *(lf.tensor(s.numpy()) for s in layer.states)]

    fused, looped = _fused_and_looped(layer, run, monkeypatch)
    _assert_close(fused, looped)
    assert not np.allclose(fused[0].numpy(), fused[1].numpy())  # NOTE: the state carried on


@pytest.mark.parametrize("kind", [LSTM, GRU])
def test_fit_trains_the_same_as_the_step_loop(backend, rng, kind, monkeypatch):
    x = rng.normal(size=(16, 5, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)

    model = lf.sequential([lf.input(shape=[5, 3]), kind(4), lf.layers.Dense(2)])
    start = model.get_weights()

    def run():
        model.set_weights(start)
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        return [lf.tensor(w) for w in model.get_weights()]

    _assert_close(*_fused_and_looped(None, run, monkeypatch))


@pytest.mark.parametrize("why", ["dropout", "recurrent_dropout", "mask", "activation",
                                 "subclass", "gru_reset_before", "stacked"])
def test_the_step_loop_where_the_op_does_not_apply(backend, rng, why, monkeypatch):
    class MyCell(LSTMCell):
        pass

    layer = {"dropout": lambda: LSTM(3, dropout=0.5, seed=1),
             "recurrent_dropout": lambda: GRU(3, recurrent_dropout=0.5, seed=1),
             "mask": lambda: GRU(3),
             "activation": lambda: LSTM(3, recurrent_activation="hard_sigmoid"),
             "subclass": lambda: lf.layers.RNN(MyCell(3)),
             "gru_reset_before": lambda: GRU(3, reset_after=False),
             "stacked": lambda: lf.layers.RNN([GRUCell(3), LSTMCell(3)])}[why]()
    x = lf.tensor(rng.normal(size=(2, 4, 3)).astype(np.float32))
    kwargs = {"training": True} if "dropout" in why else {}
    if why == "mask":
        kwargs["mask"] = lf.tensor(np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool))
    calls = []
    real = recurrent_fused.run_fused
    monkeypatch.setattr(recurrent_fused, "run_fused", lambda *a: calls.append(1) or real(*a))
    layer(x, **kwargs)
    assert not calls
    # NOTE: the same layer without training (dropout off) or mask takes the op
    layer(x)
    assert calls == ([1] if why in ("dropout", "recurrent_dropout", "mask") else [])
