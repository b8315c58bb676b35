"""Automatic differentiation: TF.js's ``grad`` family and TF2's ``GradientTape``.

Every op records itself on the active tapes with a gradient written in ops, so gradients run on
both backends and can be differentiated again (``grad(grad(f))``).

>>> import layerflow as lf
>>> f = lambda x: x * x * x
>>> lf.grad(f)(lf.tensor(2.0)).item(), lf.grad(lf.grad(f))(lf.tensor(2.0)).item()
(12.0, 12.0)
"""

from __future__ import annotations

from collections import namedtuple
from contextlib import contextmanager

from layerflow.engine.context import ENGINE
from layerflow.engine.memory import tensors_in, tidy
from layerflow.engine.tape import Node, Tape, backprop
from layerflow.engine.tensor import Tensor
from layerflow.errors import GradientError, InvalidArgumentError
from layerflow.ops._define import as_tensor, run

__all__ = ["grad", "grads", "value_and_grad", "value_and_grads", "variable_grads",
           "custom_grad", "stop_gradient", "GradientTape"]

ValueAndGrad = namedtuple("ValueAndGrad", ["value", "grad"])
ValueAndGrads = namedtuple("ValueAndGrads", ["value", "grads"])


@contextmanager
def _recording(tape: Tape):
    ENGINE.tapes.append(tape)
    try:
        yield tape
    finally:
        ENGINE.tapes.remove(tape)


def _value_and_grads(f, args: list, dy, who: str):
    """Run ``f(*args)`` on a tape and back-propagate from its result to ``args``."""
    args = [as_tensor(a, f"x{i}", who) for i, a in enumerate(args)]
    tape = Tape()
    for a in args:
        tape.watch(a)

    def compute():
        with _recording(tape):
            y = f(*args)
        if not isinstance(y, Tensor):
            raise GradientError(f"{who}: f must return a tensor, got {type(y).__name__}")
        seed = None if dy is None else [as_tensor(dy, "dy", who)]
        if seed is not None and seed[0].shape != y.shape:
            raise GradientError(f"{who}: dy has shape {seed[0].shape}, but f returned shape "
                                f"{y.shape}")
        found = backprop(tape, [y], args, seed)
        return y, found

    try:
        y, found = tidy(compute)
    finally:
        tape.release()
    for a, g in zip(args, found):
        if g is None:
            raise GradientError(
                f"{who}: cannot compute the gradient of y=f(x) with respect to an input of "
                f"shape {a.shape}: y does not depend on it (make sure f uses every input)")
    return y, found


def grad(f):
    """``f``'s gradient function: ``grad(f)(x, dy=None)`` is d(sum(f(x) * dy))/dx.

    >>> import layerflow as lf
    >>> lf.grad(lambda x: lf.square(x))(lf.tensor([1.0, 3.0])).array_sync()
    [2.0, 6.0]
    """

    def gradient(x, dy=None):
        return _value_and_grads(f, [x], dy, "grad")[1][0]

    return gradient


def grads(f):
    """Gradients of ``f`` with respect to each of its inputs: ``grads(f)([a, b], dy=None)``.

    >>> import layerflow as lf
    >>> da, db = lf.grads(lambda a, b: a * b)([lf.tensor(2.0), lf.tensor(5.0)])
    >>> da.item(), db.item()
    (5.0, 2.0)
    """

    def gradients(args, dy=None):
        return _value_and_grads(f, list(args), dy, "grads")[1]

    return gradients


def value_and_grad(f):
    """Like :func:`grad`, also returning ``f(x)``: ``(value, grad)`` with attribute names.

    >>> import layerflow as lf
    >>> value, g = lf.value_and_grad(lambda x: x * x)(lf.tensor(3.0))
    >>> value.item(), g.item()
    (9.0, 6.0)
    """

    def compute(x, dy=None):
        y, found = _value_and_grads(f, [x], dy, "value_and_grad")
        return ValueAndGrad(y, found[0])

    return compute


def value_and_grads(f):
    """Like :func:`grads`, also returning ``f(*args)``: ``(value, grads)``.

    >>> import layerflow as lf
    >>> value, (da, db) = lf.value_and_grads(lambda a, b: a * b)([lf.tensor(2.0), lf.tensor(4.0)])
    >>> value.item(), da.item(), db.item()
    (8.0, 4.0, 2.0)
    """

    def compute(args, dy=None):
        y, found = _value_and_grads(f, list(args), dy, "value_and_grads")
        return ValueAndGrads(y, found)

    return compute


def variable_grads(f, var_list=None) -> ValueAndGrads:
    """Gradients of the scalar ``f()`` with respect to variables (all trainable ones if None).

    Returns ``(value, grads)`` where ``grads`` maps each variable's name to its gradient;
    variables ``f`` does not use are left out, as TF.js does.

    >>> import layerflow as lf
    >>> w = lf.variable(lf.tensor(3.0), name='w_doc')
    >>> value, g = lf.variable_grads(lambda: w * w, [w])
    >>> g['w_doc'].item()
    6.0
    """
    if var_list is None:
        var_list = [v for v in ENGINE.variables.values() if v.trainable and v._data is not None]
    var_list = list(var_list)
    for v in var_list:
        if not getattr(v, "_is_variable", False):
            raise InvalidArgumentError("variable_grads: var_list must hold variables, got "
                                       f"{type(v).__name__}")
    tape = Tape(watch_accessed_variables=False)
    for v in var_list:
        tape.watch(v)

    def compute():
        with _recording(tape):
            y = f()
        if not isinstance(y, Tensor) or y.rank != 0:
            raise GradientError("variable_grads: f must return a scalar tensor, got "
                                f"{getattr(y, 'shape', type(y).__name__)}")
        return y, backprop(tape, [y], var_list)

    try:
        y, found = tidy(compute)
    finally:
        tape.release()
    named = {v.name: g for v, g in zip(var_list, found) if g is not None}
    return ValueAndGrads(y, named)


def stop_gradient(x):
    """``x`` with no gradient flowing back through it.

    >>> import layerflow as lf
    >>> lf.grad(lambda x: x * lf.stop_gradient(x))(lf.tensor(3.0)).item()
    3.0
    """
    x = as_tensor(x, "x", "stop_gradient")
    return run("identity", (x,), x.shape, x.dtype)


def custom_grad(f):
    """Give ``f`` its own gradient. ``f(*inputs)`` returns ``(value, grad_fn)``.

    ``grad_fn(dy)`` returns one gradient per input (a tensor if there is one input). TF.js's
    form is accepted too: a dict ``{'value': ..., 'grad_func': fn}``.

    >>> import layerflow as lf
    >>> @lf.custom_grad
    ... def clipped(x):
    ...     return x * 1.0, lambda dy: lf.mul(dy, 0.5)
    >>> lf.grad(clipped)(lf.tensor(2.0)).item()
    0.5
    """

    def wrapped(*inputs):
        inputs = tuple(as_tensor(x, f"x{i}", "custom_grad") for i, x in enumerate(inputs))
        saved = [t.recording for t in ENGINE.tapes]
        for t in ENGINE.tapes:
            t.recording = False
        try:
            result = f(*inputs)
        finally:
            for t, was in zip(ENGINE.tapes, saved):
                t.recording = was
        if isinstance(result, dict):
            value = result["value"]
            grad_fn = result.get("grad_func") or result.get("gradFunc")
        else:
            value, grad_fn = result
        if not isinstance(value, Tensor) or not callable(grad_fn):
            raise GradientError("custom_grad: f must return (value tensor, grad function)")
        out = run("identity", (value,), value.shape, value.dtype)

        def node_grad(dy, node_inputs, node_out, attrs):
            got = grad_fn(dy)
            got = [got] if isinstance(got, Tensor) else list(got)
            if len(got) != len(node_inputs):
                raise GradientError(f"custom_grad: grad function returned {len(got)} "
                                    f"gradients for {len(node_inputs)} inputs")
            return [None if g is None else as_tensor(g, "grad", "custom_grad") for g in got]

        _record_custom(inputs, out, node_grad)
        return out

    wrapped.__name__ = getattr(f, "__name__", "custom_grad")
    wrapped.__doc__ = getattr(f, "__doc__", None)
    return wrapped


def _record_custom(inputs, out, grad_fn) -> None:
    for tape in ENGINE.tapes:
        if not tape.recording:
            continue
        if any(t.id in tape.watched or (t._is_variable and tape.watch_accessed_variables
                                        and t.trainable) for t in inputs):
            for t in inputs:
                if t._is_variable and tape.watch_accessed_variables and t.trainable:
                    tape.watch(t)
            tape.nodes.append(Node("custom_grad", inputs, (out,), grad_fn, None))
            tape.watched.add(out.id)
            tape._hold(inputs)
            tape._hold((out,))


class GradientTape:
    """Record ops to differentiate them afterwards (TF2's ``tf.GradientTape``).

    Trainable variables used inside are watched automatically
    (``watch_accessed_variables=True``); other tensors need :meth:`watch`.

    >>> import layerflow as lf
    >>> w = lf.variable(lf.tensor([1.0, 2.0]))
    >>> with lf.GradientTape() as tape:
    ...     loss = lf.sum(w * w)
    >>> tape.gradient(loss, w).array_sync()
    [2.0, 4.0]
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._tape = Tape(persistent, watch_accessed_variables)
        self._active = False

    def __enter__(self) -> GradientTape:
        if self._tape.released:
            raise GradientError("GradientTape: this tape was already used; make a new one")
        ENGINE.tapes.append(self._tape)
        self._active = True
        return self

    def __exit__(self, *exc) -> bool:
        if self._tape in ENGINE.tapes:
            ENGINE.tapes.remove(self._tape)
        self._active = False
        return False

    def watch(self, tensor) -> None:
        """Watch a tensor (or every tensor in a nested list/tuple/dict)."""
        for t in tensors_in(tensor):
            self._tape.watch(t)

    def watched_variables(self) -> list:
        """The variables this tape watched, in the order it first saw them."""
        return list(self._tape.accessed)

    @contextmanager
    def stop_recording(self):
        """Ops inside this block are not recorded."""
        was, self._tape.recording = self._tape.recording, False
        try:
            yield
        finally:
            self._tape.recording = was

    def reset(self) -> None:
        """Forget everything recorded so far."""
        self._tape.release()
        self._tape.released = False
        self._tape.watched.clear()
        self._tape.accessed.clear()

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients: str = "none"):
        """d(target)/d(sources); ``sources`` may be a tensor or a nested list/tuple/dict.

        Args:
            target: a tensor or a list of tensors (their gradients add up).
            sources: what to differentiate with respect to.
            output_gradients: optional seed gradients, one per target.
            unconnected_gradients: ``'none'`` (None for unused sources) or ``'zero'``.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise InvalidArgumentError("gradient: unconnected_gradients must be 'none' or "
                                       f"'zero', got {unconnected_gradients!r}")
        # NOTE: in order, so output_gradients[i] seeds the i-th target (tensors_in is not).
        targets = _flatten(target)[0]
        flat, rebuild = _flatten(sources)
        seeds = None
        if output_gradients is not None:
            seeds = ([output_gradients] if isinstance(output_gradients, Tensor)
                     else list(output_gradients))

        def compute():
            found = backprop(self._tape, targets, flat, seeds)
            if unconnected_gradients == "zero":
                from layerflow.ops.creation import zeros_like

                found = [zeros_like(s) if g is None else g for s, g in zip(flat, found)]
            return found

        found = tidy(compute)
        if not self._tape.persistent:
            self._tape.release()
        return rebuild(found)

    def __del__(self):
        try:
            self._tape.release()
        except Exception:  # NOTE: interpreter shutdown
            pass


def _flatten(structure):
    """Flatten nested lists/tuples/dicts of tensors; return the leaves and a rebuild function."""
    if isinstance(structure, Tensor):
        return [structure], lambda leaves: leaves[0]
    if isinstance(structure, dict):
        keys = list(structure)
        parts = [_flatten(structure[k]) for k in keys]
    elif isinstance(structure, (list, tuple)):
        keys = None
        parts = [_flatten(item) for item in structure]
    else:
        raise InvalidArgumentError("gradient: sources must be tensors or nested lists/dicts of "
                                   f"tensors, got {type(structure).__name__}")
    leaves = [leaf for part in parts for leaf in part[0]]
    sizes = [len(part[0]) for part in parts]

    def rebuild(values):
        out, start = [], 0
        for (_, sub), n in zip(parts, sizes):
            out.append(sub(values[start:start + n]))
            start += n
        if keys is not None:
            return dict(zip(keys, out))
        return type(structure)(out) if isinstance(structure, tuple) else out

    return leaves, rebuild
