"""grad, grads, value_and_grad(s), variable_grads, custom_grad, stop_gradient, GradientTape."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_second_order


def test_grad_with_dy(backend):
    g = lf.grad(lambda x: lf.mul(x, x))(lf.tensor([1.0, 2.0]), lf.tensor([10.0, 100.0]))
    assert g.array_sync() == [20.0, 400.0]


def test_grads_and_value_and_grads(backend):
    value, (da, db) = lf.value_and_grads(lambda a, b: lf.sum(lf.mul(a, b)))(
        [lf.tensor([1.0, 2.0]), lf.tensor([3.0, 4.0])])
    assert value.item() == 11.0
    assert da.array_sync() == [3.0, 4.0] and db.array_sync() == [1.0, 2.0]
    vg = lf.value_and_grad(lambda x: lf.sum(lf.exp(x)))(lf.tensor([0.0]))
    assert vg.value.item() == 1.0 and vg.grad.array_sync() == [1.0]


def test_grad_of_unconnected_input_is_a_clear_error(backend):
    with pytest.raises(lf.errors.GradientError, match="does not depend"):
        lf.grads(lambda a, b: lf.square(a))([lf.tensor(1.0), lf.tensor(2.0)])


def test_variable_grads_defaults_to_trainable_variables(backend):
    w = lf.variable(lf.tensor([1.0, 2.0]), name="vg_w")
    frozen = lf.variable(lf.tensor([5.0]), trainable=False, name="vg_frozen")
    value, grads = lf.variable_grads(lambda: lf.sum(lf.mul(lf.mul(w, w), frozen)))
    assert value.item() == 25.0
    assert grads["vg_w"].array_sync() == [10.0, 20.0]
    assert "vg_frozen" not in grads


def test_gradient_tape_nested_sources_persistent(backend):
    x = lf.tensor(3.0)
    w = lf.variable(lf.tensor(2.0))
    with lf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = lf.mul(lf.mul(x, x), w)
    got = tape.gradient(y, {"x": x, "rest": [w]})
    assert got["x"].item() == 12.0 and got["rest"][0].item() == 9.0
    assert tape.gradient(y, x).item() == 12.0  # persistent: second call works
    assert tape.watched_variables() == [w]


def test_non_persistent_tape_can_be_used_once(backend):
    x = lf.tensor(1.0)
    with lf.GradientTape() as tape:
        tape.watch(x)
        y = lf.square(x)
    tape.gradient(y, x)
    with pytest.raises(lf.errors.GradientError, match="persistent"):
        tape.gradient(y, x)


def test_watch_accessed_variables_false(backend):
    w = lf.variable(lf.tensor(2.0))
    with lf.GradientTape(watch_accessed_variables=False) as tape:
        y = lf.square(w)
    assert tape.gradient(y, w) is None
    with lf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = lf.square(w)
    assert tape.gradient(y, w).item() == 4.0


def test_unconnected_gradients_zero(backend):
    x, z = lf.tensor(1.0), lf.tensor(5.0)
    with lf.GradientTape() as tape:
        tape.watch([x, z])
        y = lf.square(x)
    dx, dz = tape.gradient(y, [x, z], unconnected_gradients="zero")
    assert dx.item() == 2.0 and dz.item() == 0.0


def test_stop_gradient_and_custom_grad(backend):
    assert lf.grad(lambda x: lf.mul(x, lf.stop_gradient(x)))(lf.tensor(3.0)).item() == 3.0

    @lf.custom_grad
    def f(x):
        return lf.square(x), lambda dy: lf.mul(dy, 100.0)

    assert lf.grad(f)(lf.tensor(3.0)).item() == 100.0
    assert f(lf.tensor(3.0)).item() == 9.0


def test_second_order_on_both_backends(backend):
    check_second_order(lambda x: lf.mul(lf.exp(x), lf.square(x)), np.array([0.3, -0.7]))


def test_nested_gradient_tapes(backend):
    x = lf.tensor(2.0)
    with lf.GradientTape() as outer:
        outer.watch(x)
        with lf.GradientTape() as inner:
            inner.watch(x)
            y = lf.mul(lf.mul(x, x), x)
        dy = inner.gradient(y, x)
    assert dy.item() == 12.0
    assert outer.gradient(dy, x).item() == 12.0


def test_grad_leaves_no_tensors(backend):
    x = lf.tensor([1.0, 2.0])
    f = lf.grad(lambda v: lf.sum(lf.exp(lf.square(v))))
    f(x).dispose()
    before = lf.memory().num_tensors
    for _ in range(50):
        f(x).dispose()
    assert lf.memory().num_tensors == before


def test_output_gradients_seed_the_targets_in_order(backend):
    x = lf.tensor(2.0)
    with lf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        first, second, third = lf.mul(x, 3.0), lf.mul(x, 5.0), lf.mul(x, 7.0)
    seeds = [lf.tensor(1.0), lf.tensor(0.0), lf.tensor(10.0)]
    assert tape.gradient([first, second, third], x, output_gradients=seeds).item() == 73.0
    assert tape.gradient((first, [second]), x,
                         output_gradients=[lf.tensor(0.0), lf.tensor(1.0)]).item() == 5.0
