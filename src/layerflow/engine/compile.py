"""Compiling a function of tensors into one XLA program (jax backend), or running it eagerly.

``lf.compile(fn, variables=[...])`` returns a function with ``fn``'s signature. On the jax
backend the first call traces ``fn`` through layerflow's ops *and its tape* (so gradients are
compiled too) and ``jax.jit`` compiles the result; later calls with the same shapes run the
compiled program. On the numpy backend it runs ``fn`` as it is, so both give the same numbers.

The function must be pure in tensors: its inputs are its arguments (nested lists, tuples and
dicts of tensors or arrays, which become tensors as ``lf.tensor`` makes them; other values are
static and retrace when they change) plus the ``variables`` it names, whose values are passed
in and whose assigned values are written back after each call. Random ops inside draw from a
key the caller's ``lf.set_seed`` sequence provides, one per call.

>>> import layerflow as lf
>>> w = lf.variable(lf.tensor([1.0, 2.0]))
>>> def step(x):
...     with lf.GradientTape() as tape:
...         loss = lf.sum(lf.square(w * x))
...     w.assign(w - 0.1 * tape.gradient(loss, w))
...     return loss
>>> compiled = lf.compile(step, variables=[w])
>>> round(compiled(lf.tensor([1.0, 1.0])).item(), 4), [round(v, 4) for v in w.array_sync()]
(5.0, [0.8, 1.6])
"""

from __future__ import annotations

import numpy as np

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.engine.tensor import Tensor, checked, wrap
from layerflow.errors import InvalidArgumentError


def compile(fn, variables=None, **jit_options):  # noqa: A001  (lf.compile, as jax.jit)
    """Compile ``fn`` on the jax backend (eager elsewhere); see the module docs.

    Args:
        fn: a function of tensors returning a tensor or nested lists/tuples/dicts of tensors.
        variables: variables ``fn`` reads or assigns.
        **jit_options: passed to ``jax.jit`` (e.g. ``donate_argnums``).
    """
    variables = list(variables or [])
    for v in variables:
        if not getattr(v, "_is_variable", False):
            raise InvalidArgumentError(
                f"compile: variables must be lf.Variable objects, got {type(v).__name__}")
    # NOTE: outputs leave the program flat; "rebuild" (filled while tracing, per input
    # signature) restores their nesting with dict keys in the order fn wrote them (jax sorts).
    state = {"jitted": None, "backend": None, "rebuild": {}}
    # NOTE: a donated variable buffer must come back even when fn left it alone.
    donates = bool(jit_options.get("donate_argnums") or jit_options.get("donate_argnames"))

    def jitted(backend):
        if state["backend"] is not backend:
            state["jitted"] = backend.compile(_traced(fn, variables, donates),
                                             static_argnums=(3,), **jit_options)
            state["backend"] = backend
        return state["jitted"]

    def run(backend, values, args, kwargs):
        """The program's (outputs, new variable values or None) for ``values``."""
        program = jitted(backend)
        # NOTE: Tensor is no pytree node, so it is a leaf without an is_leaf callback per node.
        leaves, treedef = _tree_flatten((args, kwargs))
        arrays, static = [], []
        for leaf in leaves:
            if isinstance(leaf, Tensor):
                arrays.append(checked(leaf))
                static.append(leaf.dtype)
                continue
            array = _input_array(leaf, backend)
            if array is None:
                arrays.append(None)
                static.append(leaf)
            else:
                arrays.append(array[0])
                static.append(array[1])
        # NOTE: the key is derived inside the program from two integers: making it here would
        # cost two device dispatches per call.
        seed, counter = ENGINE.next_seed()
        seeds = np.array((seed & _MASK32, counter & _MASK32), dtype=np.uint32)
        static_key = _Static(treedef, tuple(static), state["rebuild"])
        out, new_values = program(arrays, values, seeds, static_key)
        tensors = [wrap(a, _dtype_name(a.dtype)) for a in out]
        return state["rebuild"][static_key](tensors), new_values

    def call(*args, **kwargs):
        backend = ENGINE.get_backend()
        if backend.name != "jax":
            return fn(*args, **kwargs)
        if donates:
            _own_buffers(variables)
        out, new_values = run(backend, [checked(v) for v in variables], args, kwargs)
        # NOTE: a variable the program left alone comes back as None: returning it would copy
        # its buffer on every call (a predict step would copy all the weights).
        for v, value in zip(variables, new_values):
            if value is not None and value is not v._data:
                v._set_data(value)
        return out

    def call_with_values(values, *args, **kwargs):
        """Run the program on ``values`` (arrays, one per variable: copies on another device,
        say) instead of the variables' own; returns ``(outputs, new values)``, a new value
        None where the program left the variable alone, and assigns nothing (jax only)."""
        return run(ENGINE.get_backend(), list(values), args, kwargs)

    call.with_values = call_with_values
    call.__name__ = getattr(fn, "__name__", "compiled")
    call.__doc__ = getattr(fn, "__doc__", None)
    return call


_MASK32 = 2**32 - 1
_DTYPE_NAMES: dict = {}  # NumPy dtype of an output -> its layerflow dtype
_INPUT_DTYPES: dict = {}  # NumPy dtype of an input array -> (layerflow dtype, NumPy dtype)


def _own_buffers(variables: list) -> None:
    """Give each variable a buffer no other tensor holds, before its buffer is donated (the
    program may overwrite a donated buffer; another tensor sharing it must keep its values)."""
    buffers = ENGINE.buffers
    seen: set = set()
    for v in variables:
        key = id(v._data)
        if buffers.get(key, 1) > 1 or key in seen:
            import jax.numpy as jnp

            v._set_data(jnp.array(v._data, copy=True))
        seen.add(id(v._data))


def _tree_flatten(tree):
    import jax

    return jax.tree_util.tree_flatten(tree)


def _dtype_name(np_dtype) -> str:
    name = _DTYPE_NAMES.get(np_dtype)
    if name is None:
        name = _DTYPE_NAMES[np_dtype] = dtypes.exact_from_numpy(np_dtype)
    return name


def _input_array(leaf, backend):
    """(array, layerflow dtype) for a NumPy or backend array argument, converted as
    ``lf.tensor`` converts it; None for other values (and strings), which are static."""
    if isinstance(leaf, np.ndarray):
        entry = _INPUT_DTYPES.get(leaf.dtype)
        if entry is None:
            if leaf.dtype.kind not in "biufc":
                return None
            name = dtypes.from_numpy(leaf.dtype)
            entry = _INPUT_DTYPES[leaf.dtype] = (name, dtypes.to_numpy(name))
        name, target = entry
        return (leaf if leaf.dtype == target else leaf.astype(target)), name
    if backend.is_native(leaf):
        name = _dtype_name(leaf.dtype)
        target = dtypes.to_numpy(name)
        return (leaf if leaf.dtype == target else leaf.astype(target)), name
    return None


class _Static:
    """The non-array part of a call (tree structure, dtypes, plain values): hashed by jit."""

    __slots__ = ("treedef", "static", "rebuilds", "_key", "_hash")

    def __init__(self, treedef, static, rebuilds: dict) -> None:
        self.treedef = treedef
        self.static = static
        self.rebuilds = rebuilds
        # NOTE: computed once: jit hashes the key on every call, and the rebuild lookup again.
        self._key = (treedef, tuple(_hashable(s) for s in static))
        self._hash = hash(self._key)

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return self is other or (isinstance(other, _Static) and self._key == other._key)


def _hashable(value):
    if type(value) is str:
        return value
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


def _traced(fn, variables, all_variables: bool = False):
    """The pure array function ``jax.jit`` compiles: it runs ``fn`` on tensors of tracers.

    It returns the variables' new values, None for those ``fn`` did not assign unless
    ``all_variables``."""
    import jax

    def pure(arrays, values, seeds, static: _Static):
        key = jax.random.fold_in(jax.random.PRNGKey(seeds[0]), seeds[1])
        with ENGINE.trace_scope(key):
            leaves = [wrap(a, s) if a is not None else s for a, s in zip(arrays, static.static)]
            args, kwargs = jax.tree_util.tree_unflatten(static.treedef, leaves)
            saved = [v._data for v in variables]
            for v, value in zip(variables, values):
                v._data = value
            try:
                out = fn(*args, **kwargs)
                new_values = [None if v._data is value and not all_variables else v._data
                              for v, value in zip(variables, values)]
            finally:
                for v, value in zip(variables, saved):
                    v._data = value
            leaves, rebuild = flatten_ordered(out)
            static.rebuilds[static] = rebuild
            out_arrays = [checked(t) for t in leaves]
        return out_arrays, new_values

    return pure


def flatten_ordered(structure):
    """Tensor leaves of nested lists/tuples/dicts, and a function that rebuilds the nesting
    (dict keys keep their order)."""
    if isinstance(structure, Tensor):
        return [structure], lambda leaves: leaves[0]
    if isinstance(structure, (list, tuple, dict)):
        keys = list(structure) if isinstance(structure, dict) else None
        items = list(structure.values()) if keys is not None else list(structure)
        parts = [flatten_ordered(item) for item in items]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, start = [], 0
            for (_, sub), n in zip(parts, sizes):
                out.append(sub(leaves[start:start + n]))
                start += n
            if keys is not None:
                return dict(zip(keys, out))
            return tuple(out) if isinstance(structure, tuple) else out

        return [leaf for p in parts for leaf in p[0]], rebuild
    raise InvalidArgumentError(f"compile: fn must return tensors (in lists, tuples or dicts), "
                               f"got {type(structure).__name__}")
