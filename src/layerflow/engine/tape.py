"""Recording ops and back-propagating through them.

A :class:`Tape` records every op whose inputs it watches (directly, or through an earlier
recorded op, or as a trainable variable it saw accessed). Each record keeps the op's inputs,
outputs, attributes and gradient function; the gradient function is written with ops, so:

- it runs on any backend, and
- while one tape back-propagates (paused), an outer tape records the backward ops, which is how
  gradients of gradients work.

Back-propagation visits only the ops on a path from a source to a target, and a gradient function
marked with :func:`partial_grad` is told which of its inputs need a gradient, so it can skip the
others (a Dense layer's first ``mat_mul`` then computes no gradient for the input batch, as
PyTorch skips inputs that do not require grad).

Tensors a tape saved are protected from ``tidy`` until the tape is released (``_tape_refs``):
tidy marks them pending and the tape disposes them when it lets go, as TF.js keeps the tensors
it saved for the backward pass.

>>> import layerflow as lf
>>> x = lf.tensor(3.0)
>>> with lf.GradientTape() as tape:
...     tape.watch(x)
...     y = x * x
>>> tape.gradient(y, x).item()
6.0
"""

from __future__ import annotations

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.errors import DisposedError, GradientError


def partial_grad(fn):
    """Mark gradient function ``fn`` as taking ``needs``: ``fn(dy, inputs, out, attrs, needs)``.

    ``needs`` holds one bool per input, True where that input's gradient is wanted; ``fn`` may
    return None for the others (worth it where a gradient costs real work, e.g. a ``mat_mul``).
    """
    fn.takes_needs = True
    return fn


class Node:
    """One recorded op."""

    __slots__ = ("inputs", "outputs", "grad", "attrs", "name")

    def __init__(self, name, inputs, outputs, grad, attrs) -> None:
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.grad = grad
        self.attrs = attrs


class Tape:
    """The engine's record of watched computation."""

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self.nodes: list[Node] = []
        self.watched: set[int] = set()
        self.accessed: list = []
        self.recording = True
        self.released = False
        self._held: list = []

    def watch(self, tensor) -> None:
        self.watched.add(tensor.id)
        if tensor._is_variable and all(v is not tensor for v in self.accessed):
            self.accessed.append(tensor)

    def _hold(self, tensors) -> None:
        for t in tensors:
            t._tape_refs += 1
        self._held.extend(tensors)

    def release(self) -> None:
        """Forget the record; dispose the saved tensors tidy wanted gone."""
        held, self._held = self._held, []
        self.nodes = []
        self.released = True
        for t in held:
            t._tape_refs -= 1
            if t._tape_refs == 0 and t._pending:
                t._pending = False
                t.dispose()

    def __del__(self):
        try:
            if self._held:
                self.release()
        except Exception:  # NOTE: interpreter shutdown
            pass


def record(name, inputs, outputs, grad, attrs) -> None:
    """Record an op on every active tape that watches one of its inputs."""
    for tape in ENGINE.tapes:
        if not tape.recording:
            continue
        watched = tape.watched
        hit = False
        for t in inputs:
            if t.id in watched:
                hit = True
            elif t._is_variable and tape.watch_accessed_variables and t.trainable:
                tape.watch(t)
                hit = True
        if hit:
            tape.nodes.append(Node(name, inputs, outputs, grad, attrs))
            for out in outputs:
                watched.add(out.id)
            tape._hold(inputs)
            tape._hold(outputs)


def backprop(tape: Tape, targets, sources, output_gradients=None) -> list:
    """Gradients of the sum of ``targets`` with respect to each of ``sources`` (None if none).

    Runs with ``tape`` paused, so outer tapes record the backward ops (higher order).
    """
    from layerflow.ops import _define

    if tape.released:
        raise GradientError(
            "this GradientTape was already used: a non-persistent tape can compute gradients "
            "once; use GradientTape(persistent=True) to call gradient() more than once")
    grads: dict[int, object] = {}
    for i, target in enumerate(targets):
        seed = None if output_gradients is None else output_gradients[i]
        if seed is None:
            seed = _define.ones_like_tensor(target)
        else:
            seed = _define.as_tensor(seed, "output_gradients")
        _accumulate(grads, target.id, seed)
    needed = _needed(tape.nodes, sources)
    was_recording = tape.recording
    tape.recording = False
    try:
        for node in reversed(tape.nodes):
            outputs = node.outputs
            if len(outputs) == 1:
                dy = grads.get(outputs[0].id)
                if dy is None:
                    continue
            else:
                dys = [grads.get(out.id) for out in outputs]
                if all(d is None for d in dys):
                    continue
                dy = [_define.zeros_like_tensor(o) if d is None else d
                      for o, d in zip(outputs, dys)]
            inputs = node.inputs
            needs = tuple(t.id in needed for t in inputs)
            if True not in needs:
                continue  # NOTE: no source depends on this op's inputs: nothing to pass on
            for t in inputs:
                if t._data is None and not t._symbolic:
                    raise DisposedError(
                        f"gradient of {node.name}: its input {t.id} was disposed before the "
                        "gradient was computed (keep it, or compute the gradient inside tidy)")
            out = outputs[0] if len(outputs) == 1 else outputs
            grad = node.grad
            if getattr(grad, "takes_needs", False):
                in_grads = grad(dy, inputs, out, node.attrs, needs)
            else:
                in_grads = grad(dy, inputs, out, node.attrs)
            for t, g, need in zip(inputs, in_grads, needs):
                if g is None or not need or not dtypes.is_floating_or_complex(t.dtype):
                    continue
                if g.shape != t.shape:
                    raise GradientError(
                        f"gradient of {node.name} gave shape {g.shape} for an input of shape "
                        f"{t.shape} (a bug in its gradient rule)")
                _accumulate(grads, t.id, g)
    finally:
        tape.recording = was_recording
    return [grads.get(s.id) for s in sources]


def _needed(nodes: list, sources) -> set:
    """Ids of the sources and of every recorded tensor computed from one of them."""
    needed = {s.id for s in sources}
    for node in nodes:
        for t in node.inputs:
            if t.id in needed:
                needed.update(out.id for out in node.outputs)
                break
    return needed


def _accumulate(grads: dict, key: int, g) -> None:
    from layerflow.ops import _define

    previous = grads.get(key)
    grads[key] = g if previous is None else _define.add_tensors(previous, g)
