"""Merge layers against Keras 3: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot; definition-time shape errors naming the input layers; masks."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.core import Dense
from layerflow.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
)
from layerflow.layers.symbolic import input as lf_input
from layerflow.models.model import model as lf_model
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer

ELEMENTWISE = {"Add": Add, "Subtract": Subtract, "Multiply": Multiply, "Average": Average,
               "Maximum": Maximum, "Minimum": Minimum}


def _xs(rng, *shapes):
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


def _full_check(ours, theirs, xs, **kwargs):
    check_layer(ours, keras_ref_layer(theirs), xs, **kwargs)
    check_config_round_trip(ours, xs)
    check_config_keys(ours, theirs)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shapes", [[(2, 3), (2, 3)], [(2, 3), (2, 3), (2, 3)],
                                    [(2, 1, 3), (2, 4, 3)], [(2, 3), (2, 4, 3)]])
def test_elementwise_merge_matches_keras(backend, rng, name, shapes):
    if name == "Subtract" and len(shapes) != 2:
        pytest.skip("Subtract takes exactly two inputs")
    xs = _xs(rng, *shapes)
    _full_check(ELEMENTWISE[name](), getattr(keras().layers, name)(), xs)
    check_symbolic_shape(ELEMENTWISE[name](), getattr(keras().layers, name)(),
                         [s[1:] for s in shapes])


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_incompatible_shapes_name_the_input_layers(backend, name):
    x = lf_input(shape=[4])
    a, b = Dense(3, name="dense_a")(x), Dense(5, name="dense_b")(x)
    layer = ELEMENTWISE[name](name="merge_x")
    with pytest.raises(ShapeError, match=r"^merge_x: inputs have incompatible shapes: "
                                         r"dense_a \(None, 3\), dense_b \(None, 5\)$"):
        layer([a, b])
    with pytest.raises(ShapeError, match=r"input 0 \(2, 3\), input 1 \(2, 5\)"):
        ELEMENTWISE[name]()([lf.ones([2, 3]), lf.ones([2, 5])])


def test_different_batch_sizes_fail(backend):
    with pytest.raises(ShapeError, match="incompatible"):
        Add()([lf.ones([2, 3]), lf.ones([3, 3])])


def test_merge_bad_calls(backend):
    with pytest.raises(InvalidArgumentError, match="list of tensors"):
        Add()(lf.ones([2, 3]))
    with pytest.raises(InvalidArgumentError, match="exactly 2 inputs"):
        Subtract()([lf.ones([1, 2])] * 3)
    with pytest.raises(InvalidArgumentError, match="add_empty: a merge layer"):
        Add(name="add_empty")([])


def test_elementwise_merge_masks_are_or(backend):
    m1 = lf.tensor([[True, False, False]])
    m2 = lf.tensor([[False, False, True]])
    xs = [lf.ones([1, 3, 2]), lf.ones([1, 3, 2])]
    ours = Add().compute_mask(xs, [m1, m2]).numpy()
    theirs = keras().layers.Add().compute_mask([np.ones((1, 3, 2))] * 2,
                                               [m1.numpy(), m2.numpy()])
    np.testing.assert_array_equal(ours, np.asarray(theirs))
    assert Add().compute_mask(xs, [m1, None]) is None
    assert Add().compute_mask(xs, None) is None


# -- Concatenate -----------------------------------------------------------------------------------
@pytest.mark.parametrize("axis,shapes", [(-1, [(2, 3), (2, 4)]), (1, [(2, 1, 3), (2, 2, 3)]),
                                         (-2, [(2, 2, 3), (2, 4, 3), (2, 1, 3)])])
def test_concatenate_matches_keras(backend, rng, axis, shapes):
    xs = _xs(rng, *shapes)
    _full_check(Concatenate(axis), keras().layers.Concatenate(axis), xs)
    check_symbolic_shape(Concatenate(axis), keras().layers.Concatenate(axis),
                         [s[1:] for s in shapes])


def test_concatenate_bad_shapes_and_arguments(backend):
    x = lf_input(shape=[4])
    a, b = Dense(3, name="da")(x), lf.layers.core.RepeatVector(2, name="rep")(x)
    with pytest.raises(ShapeError, match=r"cat: .*da \(None, 3\), rep \(None, 2, 4\)"):
        Concatenate(name="cat")([a, b])
    with pytest.raises(ShapeError, match="except along axis 1"):
        Concatenate(axis=1)([lf.ones([2, 3]), lf.ones([2, 3, 1])])
    with pytest.raises(ShapeError, match="except along axis -1"):
        Concatenate()([lf.ones([2, 3, 1]), lf.ones([2, 2, 1])])
    with pytest.raises(InvalidArgumentError, match="axis"):
        Concatenate(axis=1.5)


def test_concatenate_masks_match_keras(backend):
    xs = [np.ones((1, 3, 2), np.float32), np.ones((1, 3, 4), np.float32)]
    m1 = np.array([[True, False, True]])
    ours = Concatenate().compute_mask([lf.tensor(x) for x in xs], [lf.tensor(m1), None])
    theirs = keras().layers.Concatenate().compute_mask(xs, [m1, None])
    np.testing.assert_array_equal(ours.numpy(), np.asarray(theirs))
    assert Concatenate().compute_mask([lf.tensor(x) for x in xs], [None, None]) is None


# -- Dot -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("axes,shapes", [(1, [(2, 3), (2, 3)]), (-1, [(2, 3, 4), (2, 5, 4)]),
                                         ((1, 2), [(2, 3, 4), (2, 5, 3)]),
                                         ((2, 1), [(2, 3, 4), (2, 4)]),
                                         ((1, 1), [(2, 3), (2, 3, 2)]),
                                         ((3, 1), [(2, 2, 3, 4), (2, 4, 2, 3)])])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_keras(backend, rng, axes, shapes, normalize):
    xs = _xs(rng, *shapes)
    _full_check(Dot(axes, normalize=normalize), keras().layers.Dot(axes, normalize=normalize), xs)
    check_symbolic_shape(Dot(axes, normalize=normalize),
                         keras().layers.Dot(axes, normalize=normalize), [s[1:] for s in shapes])


def test_dot_bad_arguments_and_shapes(backend):
    for bad in [(1, 2, 3), "a", (1.0, 2), [1]]:
        with pytest.raises(InvalidArgumentError, match="Dot: axes"):
            Dot(bad)
    x = lf_input(shape=[4])
    a, b = Dense(3, name="d3")(x), Dense(5, name="d5")(x)
    with pytest.raises(ShapeError, match=r"dot_x: .*axes 1 of inputs d3 \(None, 3\), "
                                         r"d5 \(None, 5\)"):
        Dot(1, name="dot_x")([a, b])
    with pytest.raises(ShapeError, match="axis 0 excluded"):
        Dot(0)([lf.ones([2, 3]), lf.ones([2, 3])])
    with pytest.raises(InvalidArgumentError, match="exactly 2"):
        Dot(1)([lf.ones([2, 3])] * 3)


def test_merge_in_functional_model(backend, rng):
    x1, x2 = lf_input(shape=[3]), lf_input(shape=[3])
    out = Dot(1)([Add()([x1, x2]), Subtract()([x1, x2])])
    model = lf_model(inputs=[x1, x2], outputs=out)
    a, b = _xs(rng, (2, 3), (2, 3))
    got = model([lf.tensor(a), lf.tensor(b)]).numpy()
    np.testing.assert_allclose(got, np.sum((a + b) * (a - b), axis=1, keepdims=True), rtol=1e-5)
