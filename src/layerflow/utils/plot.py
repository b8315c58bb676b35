"""``plot_model`` and ``model_to_dot``: a model's layers and connections as a Graphviz picture.

``model_to_dot`` writes the DOT source (one node per layer, an HTML-table label as Keras 3
draws it, one edge per connection of the functional graph; a Sequential model is a chain).
``plot_model`` renders it with Graphviz's ``dot`` program to the format of the file's
extension (png, svg, pdf ...), through the ``graphviz`` Python package when it is installed.

>>> import layerflow as lf
>>> x = lf.input(shape=[3], name='x')
>>> m = lf.model(inputs=x, outputs=lf.layers.Dense(2, name='d')(x))
>>> print([line for line in model_to_dot(m).splitlines() if '->' in line][0])
  "x" -> "d" [penwidth=2];
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import uuid

from layerflow.errors import InvalidArgumentError, LayerflowError


class GraphvizNotFoundError(LayerflowError, ImportError):
    """Graphviz's ``dot`` program is not installed (needed to render a plot)."""


class PlotError(LayerflowError, RuntimeError):
    """Graphviz could not render the model's graph."""


_OPTION_NAMES = ("show_shapes", "show_dtype", "show_layer_names", "show_layer_activations",
                 "show_trainable")


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_graph_model(layer) -> bool:
    from layerflow.models.model import Model

    return isinstance(layer, Model) and layer._graph is not None


def _is_sequential(model) -> bool:
    from layerflow.models.sequential import Sequential

    return isinstance(model, Sequential)


def _shape_text(tensors: list) -> str:
    shapes = [str(tuple(t.shape)) for t in tensors]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def _activation_name(layer) -> str:
    from layerflow import activations

    try:
        name = activations.serialize(layer.activation)
    except Exception:  # NOTE: an unregistered custom activation; show its Python name
        name = None
    if isinstance(name, str):
        return name
    return getattr(layer.activation, "__name__", type(layer.activation).__name__)


def _label(layer, nodes: list, options: dict) -> str:
    """The Keras 3 HTML-table label of one layer (``nodes``: its calls in this graph)."""
    class_name = layer.class_name if hasattr(layer, "class_name") else type(layer).__name__
    name = html.escape(layer.name, quote=False)
    cols = []
    if options["show_shapes"]:
        known = len(nodes) == 1
        if class_name != "InputLayer":
            text = _shape_text(nodes[0].inputs) if known and nodes[0].inputs else "?"
            cols.append(f"Input shape: <b>{html.escape(text, quote=False)}</b>")
        text = _shape_text(nodes[0].outputs) if known else "?"
        cols.append(f"Output shape: <b>{html.escape(text, quote=False)}</b>")
    if options["show_dtype"]:
        dtypes = [str(t.dtype) for t in nodes[0].outputs] if len(nodes) == 1 else []
        text = (dtypes[0] if len(dtypes) == 1 else "[" + ", ".join(dtypes) + "]") if dtypes \
            else "?"
        cols.append(f"Output dtype: <b>{text}</b>")
    cells = [f'<td bgcolor="white"><font point-size="14">{c}</font></td>' for c in cols]
    if options["show_trainable"] and layer.weights:
        color, text = ("forestgreen", "Trainable") if layer.trainable else ("firebrick",
                                                                             "Non-trainable")
        cells.append(f'<td bgcolor="{color}"><font point-size="14" color="white">'
                     f"<b>{text}</b></font></td>")
    span = max(1, len(cells))
    rows = ['<table border="0" cellborder="1" bgcolor="black" cellpadding="10">']
    title = f"<b>{name}</b> ({class_name})" if options["show_layer_names"] \
        else f"<b>{class_name}</b>"
    rows.append(f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" '
                f'color="white">{title}</font></td></tr>')
    if options["show_layer_activations"] and getattr(layer, "activation", None) is not None:
        rows.append(f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">'
                    f"Activation: <b>{html.escape(_activation_name(layer), quote=False)}</b>"
                    "</font></td></tr>")
    if cells:
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "<" + "".join(rows) + "</table>>"


class _Dot:
    """Collects DOT statements; ``lines`` are indented by nesting depth."""

    def __init__(self, options: dict, expand_nested: bool) -> None:
        self.options = options
        self.expand_nested = expand_nested
        self.lines: list[str] = []
        self.edges: set = set()

    def node(self, node_id: str, layer, nodes: list, indent: str) -> None:
        self.lines.append(f"{indent}{_quote(node_id)} [label={_label(layer, nodes, self.options)}"
                          "];")

    def edge(self, source: str, target: str, indent: str) -> None:
        if (source, target) not in self.edges:
            self.edges.add((source, target))
            self.lines.append(f"{indent}{_quote(source)} -> {_quote(target)} [penwidth=2];")

    # -- nested models: where an edge into / out of a model really starts or ends ---------
    def source_of(self, layer, prefix: str, index: int) -> str:
        while self.expand_nested and _is_graph_model(layer):
            prefix += layer.name + "/"
            tensor = layer.outputs[index]
            layer, index = tensor.node.layer, tensor.index
        return prefix + layer.name

    def target_of(self, layer, prefix: str, index: int) -> str:
        while self.expand_nested and _is_graph_model(layer):
            prefix += layer.name + "/"
            if _is_sequential(layer):
                layer = layer.layers[0]
            else:
                layer = layer.inputs[index].node.layer
            index = 0
        return prefix + layer.name

    def add_model(self, model, prefix: str, indent: str) -> None:
        graph = model._graph
        layers = model.layers
        calls = {}
        if graph is not None:
            for node in graph.nodes:
                calls.setdefault(id(node.layer), []).append(node)
        elif not _is_sequential(model):
            self.node(prefix + model.name, model, [], indent)
            return
        for layer in layers:
            if self.expand_nested and _is_graph_model(layer):
                self.lines.append(f"{indent}subgraph {_quote('cluster_' + prefix + layer.name)} {{")
                self.lines.append(f'{indent}  label={_quote(layer.name)}; style="dashed"; '
                                  'labeljust="l";')
                self.add_model(layer, prefix + layer.name + "/", indent + "  ")
                self.lines.append(f"{indent}}}")
            else:
                self.node(prefix + layer.name, layer, calls.get(id(layer), []), indent)
        if _is_sequential(model):
            for first, second in zip(layers, layers[1:]):
                self.edge(self.source_of(first, prefix, 0), self.target_of(second, prefix, 0),
                          indent)
            return
        for node in graph.nodes:
            for position, tensor in enumerate(node.inputs):
                source = self.source_of(tensor.node.layer, prefix, tensor.index)
                self.edge(source, self.target_of(node.layer, prefix, position), indent)


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho") -> str:
    """The Graphviz DOT source of ``model``'s graph (Keras ``model_to_dot``, as text).

    Args:
        model: a functional, Sequential or subclassed model (the last drawn as one box).
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: title each box ``name (ClassName)`` rather than ``ClassName``.
        rankdir: ``'TB'`` (top to bottom) or ``'LR'`` (left to right).
        expand_nested: draw the layers of nested models inside a dashed box.
        dpi: the picture's resolution.
        subgraph: return a ``subgraph cluster_<name> {...}`` block instead of a digraph.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: mark layers with weights trainable / non-trainable.
        splines: how edges are drawn (``'ortho'``, ``'spline'``, ``'line'`` ...).

    Returns:
        The DOT text.

    >>> import layerflow as lf
    >>> m = lf.sequential([lf.layers.Dense(1, input_shape=[2], name='a'),
    ...                    lf.layers.Dense(1, name='b')])
    >>> '"a" -> "b"' in model_to_dot(m)
    True
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise InvalidArgumentError(f"model_to_dot: rankdir must be 'TB', 'LR', 'BT' or 'RL', "
                                   f"got {rankdir!r}")
    if not getattr(model, "built", False) and not getattr(model, "layers", None):
        raise InvalidArgumentError(f"model_to_dot: {model.name} has not been built yet; give "
                                   "its first layer an input_shape or call it on data first")
    options = dict(zip(_OPTION_NAMES, (show_shapes, show_dtype, show_layer_names,
                                       show_layer_activations, show_trainable)))
    dot = _Dot(options, expand_nested)
    dot.add_model(model, "", "  ")
    if subgraph:
        head = [f"subgraph {_quote('cluster_' + model.name)} {{",
                f'  label={_quote(model.name)}; style="dashed"; labeljust="l";']
    else:
        head = [f"digraph {_quote(model.name)} {{",
                f"  graph [rankdir={_quote(rankdir)}, concentrate=true, dpi={int(dpi)}, "
                f"splines={_quote(splines)}, fontname=\"Helvetica\"];",
                '  node [shape="plaintext", fontname="Helvetica", margin=0];']
    return "\n".join(head + dot.lines + ["}"]) + "\n"


def _import_graphviz():
    try:
        import graphviz
    except ImportError:
        return None
    return graphviz


_MISSING = ("plot_model needs Graphviz's `dot` program, which was not found on PATH; install "
            "Graphviz (Debian/Ubuntu: `apt-get install graphviz`, macOS: `brew install "
            "graphviz`, see https://graphviz.org/download/)")


def render_dot(source: str, fmt: str) -> bytes:
    """Render DOT ``source`` to ``fmt`` ('png', 'svg', 'pdf' ...) with Graphviz; the bytes."""
    if not re.fullmatch(r"[a-z0-9_:]+", fmt):
        raise InvalidArgumentError(f"plot_model: bad output format {fmt!r}")
    graphviz = _import_graphviz()
    if graphviz is not None:
        try:
            return graphviz.Source(source).pipe(format=fmt)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFoundError(_MISSING) from e
        except (graphviz.CalledProcessError, ValueError) as e:
            raise PlotError(f"plot_model: Graphviz could not render format {fmt!r}: "
                            f"{getattr(e, 'stderr', None) or e}") from e
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(_MISSING)
    try:
        done = subprocess.run([dot, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PlotError(f"plot_model: running {dot} failed: {e}") from e
    if done.returncode != 0:
        raise PlotError(f"plot_model: Graphviz could not render format {fmt!r}: "
                        f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=True, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho"):
    """Draw ``model``'s graph to ``to_file`` with Graphviz (Keras ``plot_model``).

    The format comes from the extension (``.png``, ``.svg``, ``.pdf``; png without one). The
    other arguments are :func:`model_to_dot`'s. The file is written whole or not at all.

    Returns:
        An ``IPython.display.Image`` when IPython is installed and the file is not a PDF
        (so notebooks show it), else None.

    Raises:
        GraphvizNotFoundError: Graphviz's ``dot`` is not installed.
        PlotError: Graphviz failed.

    >>> import os, tempfile, shutil, layerflow as lf
    >>> m = lf.sequential([lf.layers.Dense(1, input_shape=[2])])
    >>> path = os.path.join(tempfile.mkdtemp(), 'model.svg')
    >>> if shutil.which('dot'):
    ...     _ = plot_model(m, to_file=path, show_shapes=True)
    ...     with open(path) as f:
    ...         assert '<svg' in f.read()
    """
    source = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                          show_layer_names=show_layer_names, rankdir=rankdir,
                          expand_nested=expand_nested, dpi=dpi,
                          show_layer_activations=show_layer_activations,
                          show_trainable=show_trainable, splines=splines)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    data = render_dot(source, extension)
    _write_atomic(to_file, data)
    if extension == "pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    return display.Image(filename=to_file)


def _write_atomic(path: str, data: bytes) -> None:
    # NOTE: a sibling temporary file then os.replace, so a reader never sees half a picture
    tmp = os.path.join(os.path.dirname(os.path.abspath(path)),
                       f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-{os.path.basename(path)}")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
