"""ops.scan: a loop over axis 0 as one op (lax.scan in compiled jax programs).

References: the eager loop against a NumPy loop; the compiled scan (one op, gradient by its
vjp) against the eager loop (ordinary ops and tapes), values and first and second gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.ops.scan import scan


def _rnn_step(w):
    def step(carry, x):
        h = lf.tanh(lf.mat_mul(carry[0], w) + x[0])
        return [h], [h, lf.sum(h, 1)]

    return step


def _numpy_loop(w, xs, h):
    outs = []
    for x in xs:
        h = np.tanh(h @ w + x)
        outs.append(h)
    return h, np.stack(outs)


def test_eager_loop_matches_numpy(backend, rng):
    w = rng.normal(size=(3, 3)).astype(np.float32)
    xs = rng.normal(size=(5, 2, 3)).astype(np.float32)
    (h,), (hs, sums) = scan(_rnn_step(lf.tensor(w)), [lf.zeros([2, 3])], [lf.tensor(xs)])
    ref_h, ref_hs = _numpy_loop(w, xs, np.zeros((2, 3), np.float32))
    np.testing.assert_allclose(h.numpy(), ref_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hs.numpy(), ref_hs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sums.numpy(), ref_hs.sum(2), rtol=1e-5, atol=1e-5)


def _loss_and_grads(w, xs, h0):
    with lf.GradientTape() as tape:
        tape.watch(xs)
        tape.watch(h0)
        (h,), (hs, _) = scan(_rnn_step(w), [h0], [xs], [w])
        loss = lf.sum(h) + lf.sum(lf.square(hs))
    return [loss, *tape.gradient(loss, [w, xs, h0])]


def test_compiled_scan_equals_eager_values_and_gradients(jax_backend, rng):
    w = lf.variable(lf.tensor(rng.normal(size=(3, 3)).astype(np.float32)))
    xs = lf.tensor(rng.normal(size=(6, 2, 3)).astype(np.float32))
    h0 = lf.tensor(rng.normal(size=(2, 3)).astype(np.float32))
    eager = _loss_and_grads(w, xs, h0)
    compiled = lf.compile(lambda xs, h0: _loss_and_grads(w, xs, h0), variables=[w])(xs, h0)
    for a, b in zip(eager, compiled):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-5)


def test_compiled_scan_second_order_equals_eager(jax_backend, rng):
    w = lf.variable(lf.tensor(rng.normal(size=(3, 3)).astype(np.float32) * 0.5))
    xs = lf.tensor(rng.normal(size=(4, 2, 3)).astype(np.float32))

    def grad_of_grad_norm(xs):
        with lf.GradientTape() as outer:
            with lf.GradientTape() as inner:
                (h,), _ = scan(_rnn_step(w), [lf.zeros([2, 3])], [xs], [w])
                loss = lf.sum(lf.square(h))
            g = inner.gradient(loss, w)
            norm = lf.sum(lf.square(g))
        return outer.gradient(norm, w)

    eager = grad_of_grad_norm(xs).numpy()
    compiled = lf.compile(grad_of_grad_norm, variables=[w])(xs).numpy()
    np.testing.assert_allclose(compiled, eager, rtol=1e-4, atol=1e-5)


def test_compiled_scan_is_one_loop(jax_backend, rng):
    """Compiled on jax, the step is traced once however many steps there are."""
    calls = []
    w = lf.tensor(rng.normal(size=(3, 3)).astype(np.float32))
    step = _rnn_step(w)

    def counting(carry, x):
        calls.append(1)
        return step(carry, x)

    run = lf.compile(lambda xs: scan(counting, [lf.zeros([2, 3])], [xs], [w])[0][0])
    run(lf.ones([20, 2, 3]))
    assert len(calls) == 1


def test_bad_inputs_get_clear_errors(backend):
    step = _rnn_step(lf.eye(3))
    with pytest.raises(lf.errors.InvalidArgumentError, match="xs must hold"):
        scan(step, [lf.zeros([2, 3])], [])
    with pytest.raises(lf.errors.ShapeError, match="same non-zero leading length"):
        scan(step, [lf.zeros([2, 3])], [lf.zeros([4, 2, 3]), lf.zeros([5, 2, 3])])
    with pytest.raises(lf.errors.InvalidArgumentError, match="carry must hold tensors"):
        scan(step, [np.zeros((2, 3))], [lf.zeros([4, 2, 3])])

    def widening(carry, x):
        return [lf.concat([carry[0], x[0]], 1)], []

    with pytest.raises(lf.errors.ShapeError, match="changed carry 0"):
        scan(widening, [lf.zeros([2, 3])], [lf.zeros([4, 2, 3])])
