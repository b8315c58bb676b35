"""Recurrent layers against Keras 3: SimpleRNN, GRU, LSTM, their cells, RNN, StackedRNNCells."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, LayerflowError, ShapeError
from layerflow.layers.core import Dense, Masking
from layerflow.layers.recurrent import RNN, StackedRNNCells
from layerflow.layers.recurrent_layers import GRU, LSTM, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from layerflow.layers.symbolic import input as lf_input
from layerflow.models.model import model as lf_model
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape

LAYERS = {"SimpleRNN": SimpleRNN, "GRU": GRU, "LSTM": LSTM}
CELLS = {"SimpleRNNCell": SimpleRNNCell, "GRUCell": GRUCell, "LSTMCell": LSTMCell}
# NOTE: Keras's SimpleRNN accepts `seed` but leaves it out of get_config; we keep it so a
# seeded layer's dropout round-trips.
OURS_ONLY = {"SimpleRNN": ("seed",)}


def _x(rng, *shape):
    return rng.normal(size=shape).astype(np.float32)


def _pair(name, **kwargs):
    return LAYERS[name](**kwargs), getattr(keras().layers, name)(**kwargs)


def _mask():
    # post-padding, pre-padding and a hole in the middle
    return np.array([[True, True, True, False, False], [False, True, False, True, True]])


LAYER_CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"return_sequences": True, "activation": "relu"}),
    ("SimpleRNN", {"go_backwards": True, "use_bias": False, "return_state": True}),
    ("GRU", {}),
    ("GRU", {"reset_after": False, "return_sequences": True}),
    ("GRU", {"reset_after": False, "go_backwards": True, "return_state": True}),
    ("GRU", {"use_bias": False, "recurrent_activation": "hard_sigmoid", "unroll": True}),
    ("GRU", {"return_sequences": True, "return_state": True, "go_backwards": True}),
    ("LSTM", {}),
    ("LSTM", {"return_sequences": True, "return_state": True}),
    ("LSTM", {"go_backwards": True, "activation": "relu", "unit_forget_bias": False,
              "bias_initializer": "random_normal"}),
    ("LSTM", {"use_bias": False, "return_sequences": True, "go_backwards": True}),
]


@pytest.mark.parametrize("name,kwargs", LAYER_CASES)
def test_layer_matches_keras(backend, rng, name, kwargs):
    ours, theirs = _pair(name, units=3, **kwargs)
    x = _x(rng, 2, 5, 4)
    check_layer(ours, theirs, x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs, ours_only=OURS_ONLY.get(name, ()))


@pytest.mark.parametrize("name,kwargs", LAYER_CASES[::2])
def test_layer_symbolic_shape_matches_keras(backend, name, kwargs):
    for shape in [(5, 4), (None, 4)]:
        ours, theirs = _pair(name, units=3, **kwargs)
        x = lf_input(shape=list(shape))
        got = ours(x)
        want = theirs.compute_output_shape((None,) + shape)
        if kwargs.get("return_state"):
            assert [tuple(t.shape) for t in got] == [tuple(s) for s in want]
        else:
            assert tuple(got.shape) == tuple(want)


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "GRUCell", "LSTMCell"])
@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True, "go_backwards": True}])
def test_rnn_over_cell_matches_keras(backend, rng, cell, kwargs):
    ours = RNN(CELLS[cell](3), **kwargs)
    theirs = keras().layers.RNN(getattr(keras().layers, cell)(3), **kwargs)
    x = _x(rng, 2, 4, 3)
    check_layer(ours, theirs, x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)
    check_config_keys(ours.cell, theirs.cell)
    check_symbolic_shape(RNN(CELLS[cell](3), **kwargs),
                         keras().layers.RNN(getattr(keras().layers, cell)(3), **kwargs), (4, 3))


def test_cell_step_matches_keras(backend, rng):
    k = keras()
    x, h, c = _x(rng, 2, 3), _x(rng, 2, 4), _x(rng, 2, 4)
    for ours, theirs, states in [(SimpleRNNCell(4), k.layers.SimpleRNNCell(4), [h]),
                                 (GRUCell(4, reset_after=False), k.layers.GRUCell(
                                     4, reset_after=False), [h]),
                                 (LSTMCell(4), k.layers.LSTMCell(4), [h, c])]:
        out, new = ours(lf.tensor(x), [lf.tensor(s) for s in states])
        theirs(x, states)
        theirs.set_weights(ours.get_weights())
        want, want_new = theirs(x, states)
        np.testing.assert_allclose(out.numpy(), np.asarray(want), rtol=1e-5, atol=1e-6)
        for a, b in zip(new, want_new):
            np.testing.assert_allclose(a.numpy(), np.asarray(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"return_sequences": True}])
def test_stacked_cells_match_keras(backend, rng, kwargs):
    k = keras()
    ours = RNN([SimpleRNNCell(3), LSTMCell(2), GRUCell(3)], **kwargs)
    theirs = k.layers.RNN([k.layers.SimpleRNNCell(3), k.layers.LSTMCell(2),
                           k.layers.GRUCell(3)], **kwargs)
    x = _x(rng, 2, 4, 3)
    check_layer(ours, theirs, x)
    check_config_round_trip(ours, x)
    assert isinstance(ours.cell, StackedRNNCells)
    check_config_keys(ours.cell, theirs.cell)
    out = RNN(StackedRNNCells([SimpleRNNCell(3), LSTMCell(2)]), return_state=True)(lf.tensor(x))
    assert [t.shape for t in out] == [(2, 2), (2, 3), (2, 2), (2, 2)]  # flat states


# -- masking ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,kwargs", [
    ("SimpleRNN", {"return_sequences": True}), ("GRU", {"go_backwards": True}),
    ("GRU", {"reset_after": False, "return_sequences": True, "zero_output_for_mask": True}),
    ("LSTM", {"return_sequences": True, "return_state": True}),
    ("LSTM", {"return_sequences": True, "go_backwards": True, "zero_output_for_mask": True}),
])
def test_masked_call_matches_keras(backend, rng, name, kwargs):
    ours, theirs = _pair(name, units=3, **kwargs)
    x, mask = _x(rng, 2, 5, 4), _mask()
    got = ours(lf.tensor(x), mask=lf.tensor(mask))
    theirs(x)
    theirs.set_weights(ours.get_weights())
    want = theirs(x, mask=mask)
    gots, wants = (got, want) if isinstance(got, list) else ([got], [want])
    for g, w in zip(gots, wants):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(_flat_mask(ours.compute_mask(None, lf.tensor(mask))),
                                  _flat_mask(theirs.compute_mask(None, mask)))


def _flat_mask(mask):
    """The output's mask (the first entry when the layer also returns states) as an array."""
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if mask is None:
        return None
    return mask.numpy() if hasattr(mask, "numpy") else np.asarray(mask)


@pytest.mark.parametrize("name", ["SimpleRNN", "GRU", "LSTM"])
def test_masking_layer_in_front_matches_keras(backend, rng, name):
    k = keras()
    x = _x(rng, 2, 5, 4)
    x[0, 3:] = 0.0
    x[1, :2] = 0.0
    inp = lf_input(shape=[5, 4])
    rnn = LAYERS[name](3, return_sequences=True)
    ours = lf_model(inputs=inp, outputs=Dense(2)(rnn(Masking()(inp))))
    kin = k.Input((5, 4))
    theirs = k.Model(kin, k.layers.Dense(2)(getattr(k.layers, name)(3, return_sequences=True)(
        k.layers.Masking()(kin))))
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours(lf.tensor(x)).numpy(), np.asarray(theirs(x)), rtol=1e-5,
                               atol=1e-6)


def test_mask_gradients_skip_masked_steps(backend, rng):
    layer = GRU(3)
    x, mask = lf.tensor(_x(rng, 2, 5, 4)), lf.tensor(_mask())
    with lf.GradientTape() as tape:
        tape.watch(x)
        total = lf.sum(layer(x, mask=mask))
    g = tape.gradient(total, x).numpy()
    assert np.all(g[~_mask()] == 0) and np.all(np.any(g[_mask()] != 0, axis=-1))


# -- initial state, stateful, dropout -----------------------------------------------------------
@pytest.mark.parametrize("name", ["SimpleRNN", "GRU", "LSTM"])
def test_initial_state_matches_keras(backend, rng, name):
    ours, theirs = _pair(name, units=3, return_sequences=True)
    x = _x(rng, 2, 4, 2)
    states = [_x(rng, 2, 3) for _ in range(2 if name == "LSTM" else 1)]
    got = ours(lf.tensor(x), initial_state=[lf.tensor(s) for s in states])
    theirs(x)
    theirs.set_weights(ours.get_weights())
    want = theirs(x, initial_state=states)
    np.testing.assert_allclose(got.numpy(), np.asarray(want), rtol=1e-5, atol=1e-6)
    inputs = [lf_input(shape=[4, 2])] + [lf_input(shape=[3]) for _ in states]
    model = lf_model(inputs=inputs, outputs=ours(inputs[0], initial_state=inputs[1:]))
    out = model([lf.tensor(x)] + [lf.tensor(s) for s in states])
    np.testing.assert_allclose(out.numpy(), np.asarray(want), rtol=1e-5, atol=1e-6)
    with pytest.raises(ShapeError, match="initial state"):
        ours(lf.tensor(x), initial_state=[lf.zeros([2, 5]) for _ in states])
    with pytest.raises(InvalidArgumentError, match="initial states"):
        ours(lf.tensor(x), initial_state=[lf.zeros([2, 3])] * 3)


def test_stateful_matches_keras(backend, rng):
    k = keras()
    ours = LSTM(3, stateful=True, return_sequences=True)
    theirs = k.layers.LSTM(3, stateful=True, return_sequences=True)
    x1, x2 = _x(rng, 2, 4, 2), _x(rng, 2, 4, 2)
    ours(lf.tensor(x1))
    theirs(x1)
    theirs.set_weights(ours.get_weights())
    ours.reset_states()
    theirs.reset_state()
    assert len(ours.weights) == 3 and [s.shape for s in ours.states] == [(2, 3), (2, 3)]
    for x in (x1, x2):
        np.testing.assert_allclose(ours(lf.tensor(x)).numpy(), np.asarray(theirs(x)),
                                   rtol=1e-5, atol=1e-6)
    ours.reset_states()
    theirs.reset_state()
    np.testing.assert_allclose(ours(lf.tensor(x2)).numpy(), np.asarray(theirs(x2)),
                               rtol=1e-5, atol=1e-6)
    ours.reset_states([np.ones((2, 3), np.float32)] * 2)
    np.testing.assert_array_equal(ours.states[0].numpy(), np.ones((2, 3)))
    with pytest.raises(ShapeError, match="batch size"):
        ours(lf.ones([3, 4, 2]))
    with pytest.raises(ShapeError, match="fixed batch size"):
        GRU(3, stateful=True)(lf_input(shape=[4, 2]))
    with pytest.raises(LayerflowError, match="stateful"):
        GRU(3).reset_states()


@pytest.mark.parametrize("name", ["SimpleRNN", "GRU", "LSTM"])
def test_dropout_only_in_training_and_seeded(backend, rng, name):
    x = lf.tensor(_x(rng, 2, 4, 3))
    layer = LAYERS[name](3, dropout=0.5, recurrent_dropout=0.3, seed=3)
    plain = LAYERS[name](3)
    y0 = layer(x).numpy()
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(y0, plain(x).numpy(), rtol=1e-6)  # inference: no dropout
    y1 = layer(x, training=True).numpy()
    assert not np.allclose(y1, y0)
    twin = LAYERS[name](3, dropout=0.5, recurrent_dropout=0.3, seed=3)
    twin(x)
    twin.set_weights(layer.get_weights())
    twin(x, training=True)  # same sequence of masks as `layer`
    np.testing.assert_allclose(twin(x, training=True).numpy(),
                               layer(x, training=True).numpy(), rtol=1e-6)


def test_dropout_in_compiled_step(backend, rng):
    layer = LSTM(3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    x = lf.tensor(_x(rng, 2, 4, 3))
    layer(x)
    step = lf.compile(lambda v: layer(v, training=True), variables=layer.weights)
    a, b = step(x).numpy(), step(x).numpy()
    assert a.shape == (2, 4, 3) and not np.allclose(a, b)


def test_dropout_gradients(backend, rng):
    layer = GRU(3, dropout=0.4, recurrent_dropout=0.4, seed=1)
    x = lf.tensor(_x(rng, 2, 4, 3))
    with lf.GradientTape() as tape:
        total = lf.sum(layer(x, training=True))
    grads = tape.gradient(total, layer.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) for g in grads)


# -- construction, names, configs, errors -------------------------------------------------------
def test_tfjs_guide_simple_rnn(backend):
    layer = SimpleRNN(units=20, recurrent_initializer="GlorotNormal", input_shape=[80, 4])
    assert layer.batch_input_shape == (None, 80, 4)
    assert layer(lf.ones([1, 80, 4])).shape == (1, 20)
    for spelling in ("glorotNormal", "glorot_normal", "GlorotNormal"):
        assert SimpleRNN(2, recurrent_initializer=spelling).recurrent_initializer is not None


def test_weights_names_order_and_properties(backend):
    layer = LSTM(3, name="enc")
    layer(lf.ones([1, 2, 4]))
    assert [w.name for w in layer.weights] == ["enc/lstm_cell/kernel",
                                               "enc/lstm_cell/recurrent_kernel",
                                               "enc/lstm_cell/bias"]
    assert [w.shape for w in layer.weights] == [(4, 12), (3, 12), (12,)]
    np.testing.assert_array_equal(layer.weights[2].numpy()[3:6], np.ones(3))  # forget gate
    assert layer.units == 3 and layer.unit_forget_bias and layer.dropout == 0.0
    gru = GRU(2, reset_after=False)
    gru(lf.ones([1, 2, 4]))
    assert [w.shape for w in gru.weights] == [(4, 6), (2, 6), (6,)]
    assert GRU(2).get_config()["activation"] == "tanh"


def test_rnn_config_with_cell_round_trips(backend):
    layer = RNN([GRUCell(2, reset_after=False), LSTMCell(3)], go_backwards=True)
    clone = RNN.from_config(layer.get_config())
    assert isinstance(clone.cell, StackedRNNCells) and clone.go_backwards
    assert [type(c).__name__ for c in clone.cell.cells] == ["GRUCell", "LSTMCell"]
    assert clone.cell.cells[0].reset_after is False


def test_keras2_config_keys_accepted(backend):
    layer = GRU(2, implementation=1, use_cudnn=False, time_major=False)
    assert "use_cudnn" not in layer.get_config()


@pytest.mark.parametrize("kwargs,match", [
    ({"units": 0}, "units"), ({"units": -1}, "units"), ({"units": 2.5}, "units"),
    ({"units": 2, "dropout": 1.0}, "dropout"), ({"units": 2, "recurrent_dropout": -0.1},
                                                "recurrent_dropout"),
    ({"units": 2, "seed": 1.5}, "seed"), ({"units": 2, "activation": "nope"}, "nope"),
    ({"units": 2, "kernel_initializer": "nope"}, "nope"), ({"units": 2, "bogus": 1}, "bogus"),
])
@pytest.mark.parametrize("name", ["SimpleRNN", "GRU", "LSTM"])
def test_bad_arguments(backend, name, kwargs, match):
    with pytest.raises(LayerflowError, match=match):
        LAYERS[name](**kwargs)


def test_bad_shapes(backend):
    with pytest.raises(ShapeError, match=r"gru_bad.*\(None, 4\)"):
        GRU(2, name="gru_bad")(lf_input(shape=[4]))
    layer = LSTM(2)
    layer(lf.ones([1, 3, 4]))
    with pytest.raises(ShapeError, match="expected inputs"):
        layer(lf.ones([1, 3, 5]))
    with pytest.raises(ShapeError, match="mask"):
        SimpleRNN(2)(lf.ones([2, 3, 4]), mask=lf.ones([2, 4], "bool"))
    with pytest.raises(ShapeError, match="features"):
        SimpleRNNCell(2).build((None, None))
    with pytest.raises(InvalidArgumentError, match="cell"):
        RNN(object())
    with pytest.raises(InvalidArgumentError, match="cells"):
        StackedRNNCells([])


def test_stateful_in_compiled_step_with_state_variables(backend):
    layer = LSTM(3, stateful=True)
    x = lf.ones([2, 4, 2])
    eager = [layer(x).numpy(), layer(x).numpy()]
    layer.reset_states()
    # NOTE: the states are not weights (as Keras); a compiled step must be given them.
    step = lf.compile(lambda v: layer(v), variables=layer.weights + layer.states)
    for want in eager:
        np.testing.assert_allclose(step(x).numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["SimpleRNN", "GRU", "LSTM"])
def test_fit_in_sequential(backend, rng, name):
    from layerflow.models.sequential import Sequential

    model = Sequential([LAYERS[name](units=4, recurrent_initializer="GlorotNormal",
                                     input_shape=[5, 3]), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.uniform(size=(16, 5, 3)).astype(np.float32)
    y = x.sum(axis=(1, 2))[:, None]
    losses = model.fit(x, y, epochs=4, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
