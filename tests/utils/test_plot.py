"""plot_model / model_to_dot: the DOT text always; rendering when Graphviz's dot is installed."""

from __future__ import annotations

import os
import re
import shutil

import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError
from layerflow.utils import GraphvizNotFoundError, PlotError, model_to_dot, plot_model
from layerflow.utils import plot as plot_module

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def _edges(dot: str) -> list[tuple[str, str]]:
    return re.findall(r'^\s*"([^"]+)" -> "([^"]+)"', dot, flags=re.M)


def _nodes(dot: str) -> list[str]:
    return re.findall(r'^\s*"([^"]+)" \[label=', dot, flags=re.M)


def _branchy():
    x = lf.input(shape=[3], name="x")
    a = lf.layers.Dense(4, activation="relu", name="a")(x)
    b = lf.layers.Dense(4, name="b")(x)
    s = lf.layers.Add(name="add")([a, b])
    return lf.model(inputs=x, outputs=lf.layers.Dense(1, name="out")(s), name="branchy")


def test_sequential_is_a_chain_with_shapes(backend):
    model = lf.sequential([lf.layers.Dense(3, input_shape=[2], name="first"),
                           lf.layers.Dense(1, name="second")], name="seq")
    dot = model_to_dot(model, show_shapes=True)
    assert dot.startswith('digraph "seq" {') and dot.rstrip().endswith("}")
    assert _nodes(dot) == ["first", "second"]
    assert _edges(dot) == [("first", "second")]
    assert "<b>first</b> (Dense)" in dot
    assert "Input shape: <b>(None, 2)</b>" in dot and "Output shape: <b>(None, 3)</b>" in dot
    assert "Output shape: <b>(None, 1)</b>" in dot
    plain = model_to_dot(model)
    assert "shape:" not in plain and 'rankdir="TB"' in plain and "dpi=200" in plain


def test_functional_nodes_edges_and_labels(backend):
    model = _branchy()
    dot = model_to_dot(model, show_shapes=True, show_dtype=True, show_layer_activations=True,
                       rankdir="LR", dpi=96)
    assert _nodes(dot) == ["x", "a", "b", "add", "out"]
    assert sorted(_edges(dot)) == [("a", "add"), ("add", "out"), ("b", "add"), ("x", "a"),
                                   ("x", "b")]
    assert "Input shape: <b>[(None, 4), (None, 4)]</b>" in dot
    assert "<b>x</b> (InputLayer)" in dot and "Output dtype: <b>float32</b>" in dot
    assert "Activation: <b>relu</b>" in dot and "Activation: <b>linear</b>" in dot
    assert 'rankdir="LR"' in dot and "dpi=96" in dot
    names_off = model_to_dot(model, show_layer_names=False)
    assert "<b>Dense</b>" in names_off and "<b>a</b>" not in names_off


def test_nested_models_collapsed_or_expanded(backend):
    inner = _branchy()
    y = lf.input(shape=[3], name="y")
    outer = lf.model(inputs=y, outputs=lf.layers.Dense(2, name="head")(inner(y)), name="outer")
    collapsed = model_to_dot(outer)
    assert _nodes(collapsed) == ["y", "branchy", "head"]
    assert _edges(collapsed) == [("y", "branchy"), ("branchy", "head")]
    expanded = model_to_dot(outer, expand_nested=True)
    assert 'subgraph "cluster_branchy" {' in expanded
    assert _nodes(expanded) == ["y", "branchy/x", "branchy/a", "branchy/b", "branchy/add",
                                "branchy/out", "head"]
    edges = _edges(expanded)
    assert ("y", "branchy/x") in edges and ("branchy/out", "head") in edges
    assert ("branchy/x", "branchy/a") in edges and len(edges) == 7
    seq = lf.sequential([lf.layers.Dense(2, input_shape=[3], name="s1"),
                         lf.layers.Dense(2, name="s2")], name="inner_seq")
    z = lf.input(shape=[3], name="z")
    wrap = lf.model(inputs=z, outputs=lf.layers.Dense(1, name="h")(seq(z)))
    assert _edges(model_to_dot(wrap, expand_nested=True)) == [
        ("inner_seq/s1", "inner_seq/s2"), ("z", "inner_seq/s1"), ("inner_seq/s2", "h")]


def test_shared_layer_is_one_node_and_subclassed_model_one_box(backend):
    shared = lf.layers.Dense(2, name="shared")
    a, b = lf.input(shape=[2], name="in_a"), lf.input(shape=[2], name="in_b")
    merged = lf.layers.Concatenate(name="cat")([shared(a), shared(b)])
    dot = model_to_dot(lf.model(inputs=[a, b], outputs=merged), show_shapes=True)
    assert _nodes(dot).count("shared") == 1
    assert sorted(_edges(dot)) == [("in_a", "shared"), ("in_b", "shared"), ("shared", "cat")]
    assert "Output shape: <b>?</b>" in dot  # NOTE: two calls, as Keras: no single shape

    class Net(lf.Model):
        def __init__(self):
            super().__init__()
            self.dense = lf.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    net = Net()
    net(lf.ones([1, 2]))
    assert _nodes(model_to_dot(net)) == [net.name] and _edges(model_to_dot(net)) == []


def test_bad_arguments(backend):
    with pytest.raises(InvalidArgumentError, match="rankdir"):
        model_to_dot(_branchy(), rankdir="up")


def test_missing_dot_says_to_install_graphviz(backend, tmp_path, monkeypatch):
    monkeypatch.setattr(plot_module, "_import_graphviz", lambda: None)
    monkeypatch.setattr(plot_module.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as info:
        plot_model(_branchy(), to_file=tmp_path / "m.png")
    assert isinstance(info.value, ImportError) and isinstance(info.value, lf.LayerflowError)
    assert os.listdir(tmp_path) == []


@needs_dot
@pytest.mark.parametrize("name,magic", [("m.png", b"\x89PNG"), ("m.svg", b"<?xml"),
                                        ("m.pdf", b"%PDF"), ("noext", b"\x89PNG")])
def test_render_to_file_formats(backend, tmp_path, name, magic):
    path = tmp_path / name
    result = plot_model(_branchy(), to_file=path, show_shapes=True, show_dtype=True,
                        expand_nested=True, show_layer_activations=True, show_trainable=True)
    assert path.read_bytes().startswith(magic)
    assert os.listdir(tmp_path) == [name]  # no temporary file left behind
    if name.endswith(".pdf"):
        assert result is None


@needs_dot
def test_rendered_svg_shows_layers_and_shapes(backend, tmp_path):
    path = tmp_path / "m.svg"
    plot_model(_branchy(), to_file=str(path), show_shapes=True)
    svg = path.read_text()
    for text in ("x", "add", "out", "(InputLayer)", "(None, 4)", "Output shape"):
        assert text in svg
    assert svg.count('class="edge"') == 5


@needs_dot
def test_unknown_format_is_a_plot_error(backend, tmp_path, monkeypatch):
    monkeypatch.setattr(plot_module, "_import_graphviz", lambda: None)
    with pytest.raises(PlotError, match="xyz"):
        plot_model(_branchy(), to_file=tmp_path / "m.xyz")
    assert os.listdir(tmp_path) == []
