"""``scan``: a step function run over the leading axis of tensors, as one op.

``scan(step, carry, xs, consts)`` computes ::

    for t in range(T):
        carry, ys_t = step(carry, [x[t] for x in xs])
    return carry, [stack of each ys_t over t]

with ``carry`` and ``xs`` flat lists of tensors (every ``x`` with ``T`` rows) and ``step``
returning ``(new_carry, ys)``, two lists of tensors (``new_carry`` shaped like ``carry``).

Inside ``lf.compile`` on the jax backend the loop is a single ``lax.scan``: the step is traced
once whatever ``T`` is, so compile time and program size do not grow with the sequence (an
unrolled 50-step LSTM took about 50 s to compile). Its gradient is the backend's
vector-Jacobian product of the whole loop, recorded as an op in turn, so gradients of gradients
work. Elsewhere (numpy backend, eager jax) the loop runs in Python on ordinary ops and tapes.

``consts`` lists the other tensors the step reads (weights, variables): while the step is
traced each of them holds the traced value, which is how gradients reach them; a tensor the
step reads but ``consts`` does not list is a constant to the gradient. The step is traced once
for all steps (and again for gradients), so it must not draw random numbers: draw them before
and read them as ``consts``.

>>> import layerflow as lf
>>> from layerflow.ops.scan import scan
>>> def running_sum(carry, x):
...     total = carry[0] + x[0]
...     return [total], [total]
>>> final, (sums,) = scan(running_sum, [lf.zeros([2])], [lf.tensor([[1., 2.], [3., 4.]])])
>>> final[0].array_sync(), sums.array_sync()
([4.0, 6.0], [[1.0, 2.0], [4.0, 6.0]])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.engine.tape import record
from layerflow.engine.tensor import Tensor, checked, wrap
from layerflow.errors import InvalidArgumentError, ShapeError


def scan(step, carry, xs, consts=()):
    """Run ``step`` over axis 0 of ``xs`` (see the module docs); returns ``(carry, ys)``."""
    carry, xs, consts = list(carry), list(xs), list(consts)
    for name, group in (("carry", carry), ("xs", xs), ("consts", consts)):
        for t in group:
            if not isinstance(t, Tensor):
                raise InvalidArgumentError(
                    f"scan: {name} must hold tensors, got {type(t).__name__}")
    if not xs:
        raise InvalidArgumentError("scan: xs must hold at least one tensor to loop over")
    lengths = {x.shape[0] if x.shape else None for x in xs}
    if len(lengths) != 1 or None in lengths or 0 in lengths:
        raise ShapeError(f"scan: every tensor of xs needs the same non-zero leading length, "
                         f"got shapes {[x.shape for x in xs]}")
    backend = ENGINE.get_backend()
    if not (ENGINE.tracing and backend.traces_functions):
        return _python_scan(step, carry, xs, lengths.pop())
    fn = _scan_function(step, consts, carry, xs)
    outs = _run_function("scan", fn, [*consts, *carry, *xs])
    return outs[:len(carry)], outs[len(carry):]


def _python_scan(step, carry, xs, steps: int):
    from layerflow.ops.joining import stack, unstack

    rows = [unstack(x, 0) for x in xs]
    ys_per_step = []
    for t in range(steps):
        new, ys = step(carry, [r[t] for r in rows])
        carry = _checked_carry(carry, list(new))
        ys_per_step.append(list(ys))
    count = len(ys_per_step[0])
    return carry, [stack([ys[i] for ys in ys_per_step], 0) for i in range(count)]


def _checked_carry(old: list, new: list) -> list:
    if len(new) != len(old) or any(not isinstance(n, Tensor) for n in new):
        raise InvalidArgumentError(f"scan: step must return a carry of {len(old)} tensors, "
                                   f"got {new!r}")
    for i, (a, b) in enumerate(zip(old, new)):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise ShapeError(f"scan: step changed carry {i} from shape {a.shape} {a.dtype} to "
                             f"shape {b.shape} {b.dtype}; it must keep them")
    return new


@contextmanager
def _bound(tensors: list, arrays) -> Iterator[None]:
    """Tensors read ``arrays`` and no tape records, while a step is traced."""
    saved = [t._data for t in tensors]
    saved_tapes, ENGINE.tapes = ENGINE.tapes, []
    for t, a in zip(tensors, arrays):
        t._data = a
    try:
        yield
    finally:
        ENGINE.tapes = saved_tapes
        for t, a in zip(tensors, saved):
            t._data = a


def _scan_function(step, consts: list, carry: list, xs: list):
    """The pure array function of ``(*consts, *carry, *xs)`` that one ``lax.scan`` computes."""
    backend = ENGINE.backend
    n_consts, n_carry = len(consts), len(carry)
    carry_dtypes = [c.dtype for c in carry]
    x_dtypes = [x.dtype for x in xs]

    def fn(*arrays):
        const_arrays = arrays[:n_consts]

        def body(c, x):
            with _bound(consts, const_arrays):
                old = [wrap(a, d) for a, d in zip(c, carry_dtypes)]
                new, ys = step(old, [wrap(a, d) for a, d in zip(x, x_dtypes)])
                new = _checked_carry(old, list(new))
                return [checked(t) for t in new], [checked(y) for y in ys]

        final, ys = backend.scan(body, list(arrays[n_consts:n_consts + n_carry]),
                                 list(arrays[n_consts + n_carry:]))
        return [*final, *ys]

    return fn


# -- a pure array function as one recorded op ----------------------------------------------
def _run_function(name: str, fn, inputs: list, value=None) -> list:
    """Run ``fn(*arrays) -> [arrays]`` on ``inputs`` as one op whose gradient is its vjp.

    ``value`` is the result when the caller already has it. When a tape is recording, the
    forward runs through the backend's ``vjp`` so the backward pass reuses its intermediates.
    """
    arrays = [checked(t) for t in inputs]
    # NOTE: only inputs a tape follows get gradients: the loop's data usually needs none.
    diff = [i for i, t in enumerate(inputs)
            if dtypes.is_floating_or_complex(t.dtype) and _followed(t)]
    vjp_fn = None
    if ENGINE.tapes and diff:
        if value is None:
            value, vjp_fn = ENGINE.backend.vjp(_of_diff(fn, arrays, diff),
                                               [arrays[i] for i in diff])
    elif value is None:
        value = fn(*arrays)
    outs = [wrap(a, dtypes.exact_from_numpy(a.dtype)) for a in value]
    if ENGINE.tapes and diff:
        record(name, tuple(inputs), tuple(outs), _function_grad,
               {"fn": fn, "diff": diff, "vjp": vjp_fn, "name": name})
    return outs


def _followed(t) -> bool:
    """True if a recording tape watches ``t`` (or will, as an accessed trainable variable)."""
    for tape in ENGINE.tapes:
        if tape.recording and (t.id in tape.watched or (
                t._is_variable and t.trainable and tape.watch_accessed_variables)):
            return True
    return False


def _of_diff(fn, arrays: list, diff: list):
    """``fn`` as a function of its differentiable inputs only (the others held fixed)."""

    def partial(*values):
        full = list(arrays)
        for i, v in zip(diff, values):
            full[i] = v
        return fn(*full)

    return partial


def _function_grad(dy, inputs, outs, attrs):
    fn, diff = attrs["fn"], attrs["diff"]
    dys = list(dy) if isinstance(dy, (list, tuple)) else [dy]
    n = len(inputs)
    backend = ENGINE.backend

    def grad_fn(*arrays):
        _, vjp = backend.vjp(_of_diff(fn, list(arrays[:n]), diff),
                             [arrays[i] for i in diff])
        return list(vjp(list(arrays[n:])))

    vjp = attrs["vjp"]
    if vjp is None:
        _, vjp = backend.vjp(_of_diff(fn, [checked(t) for t in inputs], diff),
                             [checked(inputs[i]) for i in diff])
    value = list(vjp([checked(d) for d in dys]))
    grads = _run_function(attrs["name"] + "_grad", grad_fn, [*inputs, *dys], value)
    result = [None] * n
    for i, g in zip(diff, grads):
        result[i] = g
    return tuple(result)


__all__ = ["scan"]
