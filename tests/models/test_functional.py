"""Functional models: graphs with several inputs/outputs, shared layers, nesting, configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import layerflow as lf


def test_multi_input_multi_output_graph(backend):
    a = lf.input(shape=[3], name="a")
    b = lf.input(shape=[2], name="b")
    shared = lf.layers.Dense(4, name="shared", kernel_initializer="ones")
    ha, hb = shared(lf.layers.Dense(3, name="pa")(a)), shared(lf.layers.Dense(3, name="pb")(b))
    out1 = lf.layers.Dense(1, name="out1")(ha)
    out2 = lf.layers.Dense(2, name="out2")(hb)
    model = lf.model(inputs=[a, b], outputs=[out1, out2])
    assert model.input_names == ["a", "b"] and model.output_names == ["out1", "out2"]
    y1, y2 = model([lf.ones([5, 3]), lf.ones([5, 2])])
    assert y1.shape == (5, 1) and y2.shape == (5, 2)
    by_name = model({"a": lf.ones([5, 3]), "b": lf.ones([5, 2])})
    np.testing.assert_allclose(by_name[0].numpy(), y1.numpy())
    assert [layer.name for layer in model.layers].count("shared") == 1


def test_incompatible_shapes_fail_at_definition(backend):
    x = lf.input(shape=[4])
    late = lf.layers.Dense(2, name="late")
    late(lf.layers.Dense(3, name="d3")(x))  # builds `late` for inputs of last dim 3
    with pytest.raises(lf.errors.ShapeError, match=r"late.*expected input last dim 3.*5"):
        late(lf.layers.Dense(5, name="d5")(x))


def test_model_input_shape_is_checked(backend):
    x = lf.input(shape=[4])
    model = lf.model(inputs=x, outputs=lf.layers.Dense(1)(x))
    with pytest.raises(lf.errors.ShapeError, match=r"expected shape \(None, 4\), got \(5, 3\)"):
        model(lf.ones([5, 3]))


def test_graph_disconnected_is_a_clear_error(backend):
    a, b = lf.input(shape=[2]), lf.input(shape=[2])
    y = lf.layers.Dense(1)(b)
    with pytest.raises(lf.errors.LayerflowError, match="disconnected"):
        lf.model(inputs=a, outputs=y)


def test_nested_model_and_intermediate_outputs(backend):
    x = lf.input(shape=[3])
    h = lf.layers.Dense(4, name="block1")(x)
    y = lf.layers.Dense(2, name="block2")(h)
    base = lf.model(inputs=x, outputs=y, name="base")
    feature = lf.model(inputs=base.inputs, outputs=base.get_layer("block1").output)
    assert feature(lf.ones([2, 3])).shape == (2, 4)
    z = lf.input(shape=[3])
    outer = lf.model(inputs=z, outputs=lf.layers.Dense(1, name="head")(base(z)))
    assert outer(lf.ones([2, 3])).shape == (2, 1)
    assert len(outer.weights) == 6


def test_config_json_round_trip_and_clone(backend):
    a = lf.input(shape=[3], name="in_a")
    b = lf.input(shape=[3], name="in_b")
    d = lf.layers.Dense(2, activation="relu", name="dense_x")
    out = lf.layers.Dense(1, name="head_x")(d(a))
    model = lf.model(inputs=[a, b], outputs=[out, d(b)], name="twin")
    config = json.loads(model.to_json())
    assert config["class_name"] == "Functional"
    assert config["config"]["input_layers"] == [["in_a", 0, 0], ["in_b", 0, 0]]
    assert config["config"]["output_layers"] == [["head_x", 0, 0], ["dense_x", 1, 0]]
    again = lf.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    x = [lf.ones([2, 3]), lf.ones([2, 3]) * 2]
    for u, v in zip(model(x), again(x)):
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    clone = lf.models.clone_model(model)
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
