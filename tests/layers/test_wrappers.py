"""Wrappers against Keras 3: Bidirectional and TimeDistributed."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, LayerflowError, ShapeError
from layerflow.layers.convolutional import Conv1D
from layerflow.layers.core import Dense, Dropout, Masking
from layerflow.layers.recurrent import RNN
from layerflow.layers.recurrent_layers import GRU, LSTM, GRUCell, SimpleRNN
from layerflow.layers.symbolic import input as lf_input
from layerflow.layers.wrappers import Bidirectional, TimeDistributed
from layerflow.models.model import model as lf_model
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape

RNNS = {"SimpleRNN": SimpleRNN, "GRU": GRU, "LSTM": LSTM}


def _x(rng, *shape):
    return rng.normal(size=shape).astype(np.float32)


def _bidi(name, merge_mode="concat", **kwargs):
    ours = Bidirectional(RNNS[name](3, **kwargs), merge_mode=merge_mode)
    theirs = keras().layers.Bidirectional(getattr(keras().layers, name)(3, **kwargs),
                                          merge_mode=merge_mode)
    return ours, theirs


def _close(got, want):
    gots, wants = (got, want) if isinstance(got, (list, tuple)) else ([got], [want])
    assert len(gots) == len(wants)
    for g, w in zip(gots, wants):
        np.testing.assert_allclose(g.numpy(), np.asarray(w), rtol=1e-5, atol=1e-6)


# -- Bidirectional --------------------------------------------------------------------------------
BIDI_CASES = [
    ("LSTM", "concat", {}), ("LSTM", "sum", {"return_sequences": True}),
    ("GRU", "mul", {"return_sequences": True}), ("GRU", "ave", {"reset_after": False}),
    ("SimpleRNN", None, {"return_sequences": True}),
    ("LSTM", "concat", {"return_sequences": True, "return_state": True}),
    ("GRU", None, {"return_state": True}),
]


@pytest.mark.parametrize("name,merge_mode,kwargs", BIDI_CASES)
def test_bidirectional_matches_keras(backend, rng, name, merge_mode, kwargs):
    ours, theirs = _bidi(name, merge_mode, **kwargs)
    x = _x(rng, 2, 4, 3)
    check_layer(ours, theirs, x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)
    for steps in (4, None):
        ours_t, theirs_t = _bidi(name, merge_mode, **kwargs)
        got = ours_t(lf_input(shape=[steps, 3]))
        want = theirs_t.compute_output_shape((None, steps, 3))
        if isinstance(got, list):
            assert [tuple(t.shape) for t in got] == [tuple(s) for s in want]
        else:
            assert tuple(got.shape) == tuple(want)


def test_bidirectional_names_and_weight_order(backend):
    layer = Bidirectional(LSTM(2, name="enc"), name="bi")
    layer(lf.ones([1, 3, 4]))
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_enc", "backward_enc")
    assert [w.name for w in layer.weights] == [
        f"bi/{d}_enc/lstm_cell/{w}" for d in ("forward", "backward")
        for w in ("kernel", "recurrent_kernel", "bias")]
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    config = layer.get_config()
    assert config["layer"]["config"]["name"] == "enc"  # unprefixed, as TF.js reads it
    assert config["backward_layer"]["config"]["go_backwards"] is True


@pytest.mark.parametrize("name,kwargs", [("GRU", {"return_sequences": True}),
                                         ("LSTM", {}),
                                         ("SimpleRNN", {"return_sequences": True,
                                                        "return_state": True})])
def test_bidirectional_masked_matches_keras(backend, rng, name, kwargs):
    ours, theirs = _bidi(name, **kwargs)
    x = _x(rng, 2, 5, 3)
    mask = np.array([[True, True, True, False, False], [False, True, True, True, True]])
    got = ours(lf.tensor(x), mask=lf.tensor(mask))
    theirs(x)
    theirs.set_weights(ours.get_weights())
    _close(got, theirs(x, mask=mask))


def test_bidirectional_masking_layer_in_model_matches_keras(backend, rng):
    k = keras()
    x = _x(rng, 2, 5, 3)
    x[0, 3:] = 0.0
    inp = lf_input(shape=[5, 3])
    ours = lf_model(inputs=inp, outputs=Bidirectional(GRU(2, return_sequences=True))(
        Masking()(inp)))
    kin = k.Input((5, 3))
    theirs = k.Model(kin, k.layers.Bidirectional(k.layers.GRU(2, return_sequences=True))(
        k.layers.Masking()(kin)))
    theirs.set_weights(ours.get_weights())
    _close(ours(lf.tensor(x)), theirs(x))


def test_bidirectional_initial_state_matches_keras(backend, rng):
    ours, theirs = _bidi("LSTM", return_sequences=True)
    x = _x(rng, 2, 4, 3)
    states = [_x(rng, 2, 3) for _ in range(4)]
    got = ours(lf.tensor(x), initial_state=[lf.tensor(s) for s in states])
    theirs(x)
    theirs.set_weights(ours.get_weights())
    _close(got, theirs(x, initial_state=states))
    with pytest.raises(InvalidArgumentError, match="backward"):
        ours(lf.tensor(x), initial_state=[lf.tensor(s) for s in states[:3]])


def test_bidirectional_custom_backward_layer_matches_keras(backend, rng):
    k = keras()
    ours = Bidirectional(GRU(3), backward_layer=GRU(3, go_backwards=True, reset_after=False))
    theirs = k.layers.Bidirectional(k.layers.GRU(3), backward_layer=k.layers.GRU(
        3, go_backwards=True, reset_after=False))
    x = _x(rng, 2, 4, 3)
    check_layer(ours, theirs, x)
    check_config_round_trip(ours, x)


def test_bidirectional_over_rnn_cell_and_stateful(backend, rng):
    layer = Bidirectional(RNN(GRUCell(2), stateful=True, return_sequences=True))
    x = lf.tensor(_x(rng, 2, 3, 4))
    first = layer(x).numpy()
    assert len(layer.weights) == 6 and len(layer.states) == 2
    assert not np.allclose(layer(x).numpy(), first)  # the states carried over
    layer.reset_states()
    np.testing.assert_allclose(layer(x).numpy(), first, rtol=1e-6)
    with pytest.raises(LayerflowError, match="stateful"):
        Bidirectional(GRU(2)).reset_states()


def test_bidirectional_training_dropout(backend, rng):
    layer = Bidirectional(LSTM(3, dropout=0.5, seed=2))
    x = lf.tensor(_x(rng, 2, 4, 3))
    assert not np.allclose(layer(x).numpy(), layer(x, training=True).numpy())


def test_bidirectional_bad_arguments(backend):
    with pytest.raises(InvalidArgumentError, match="RNN"):
        Bidirectional(Dense(2))
    with pytest.raises(InvalidArgumentError, match="merge_mode"):
        Bidirectional(GRU(2), merge_mode="max")
    with pytest.raises(InvalidArgumentError, match="go_backwards"):
        Bidirectional(GRU(2), backward_layer=GRU(2))
    with pytest.raises(InvalidArgumentError, match="return_sequences"):
        Bidirectional(GRU(2), backward_layer=GRU(2, go_backwards=True, return_sequences=True))
    with pytest.raises(ShapeError, match=r"bi_bad.*\(None, 3\)"):
        Bidirectional(GRU(2), name="bi_bad")(lf_input(shape=[3]))


# -- TimeDistributed -------------------------------------------------------------------------------
@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Dense(3), (2, 4, 5)),
    (lambda m: m.Dense(2, activation="tanh"), (2, 3, 2, 4)),
    (lambda m: m.Conv1D(2, 2), (2, 3, 5, 2)),
])
def test_time_distributed_matches_keras(backend, rng, make, shape):
    import layerflow.layers.convolutional as conv
    import layerflow.layers.core as core

    class Ours:
        Dense, Conv1D = core.Dense, conv.Conv1D

    ours, theirs = TimeDistributed(make(Ours)), keras().layers.TimeDistributed(
        make(keras().layers))
    x = _x(rng, *shape)
    check_layer(ours, theirs, x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)
    check_symbolic_shape(TimeDistributed(make(Ours)),
                         keras().layers.TimeDistributed(make(keras().layers)), shape[1:])
    got = TimeDistributed(make(Ours))(lf_input(shape=[None, *shape[2:]]))
    want = keras().layers.TimeDistributed(make(keras().layers)).compute_output_shape(
        (None, None, *shape[2:]))
    assert tuple(got.shape) == tuple(want)


def test_time_distributed_training_passes_through(backend):
    layer = TimeDistributed(Dropout(0.5, seed=1))
    x = lf.ones([2, 3, 8])
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and np.any(y == 0)


def test_time_distributed_mask_passes_through_to_rnn(backend, rng):
    k = keras()
    x = _x(rng, 2, 5, 3)
    x[1, :2] = 0.0
    inp = lf_input(shape=[5, 3])
    td = TimeDistributed(Dense(4))
    ours = lf_model(inputs=inp, outputs=LSTM(2)(td(Masking()(inp))))
    kin = k.Input((5, 3))
    theirs = k.Model(kin, k.layers.LSTM(2)(k.layers.TimeDistributed(k.layers.Dense(4))(
        k.layers.Masking()(kin))))
    theirs.set_weights(ours.get_weights())
    _close(ours(lf.tensor(x)), theirs(x))
    mask = lf.tensor(np.any(x != 0, axis=-1))
    np.testing.assert_array_equal(td.compute_mask(lf.tensor(x), mask).numpy(), mask.numpy())


def test_time_distributed_bad_arguments_and_shapes(backend):
    with pytest.raises(InvalidArgumentError, match="Layer"):
        TimeDistributed("dense")
    with pytest.raises(ShapeError, match=r"td_bad.*\(None, 4\)"):
        TimeDistributed(Dense(2), name="td_bad")(lf_input(shape=[4]))
    layer = TimeDistributed(Conv1D(2, 2))
    layer(lf.ones([1, 3, 5, 2]))
    with pytest.raises(ShapeError, match="rank"):
        layer(lf.ones([1, 3, 5]))
