"""lf.compile: a few steps of gradient descent, compiled on jax, equal the eager result."""

from __future__ import annotations

import numpy as np

import layerflow as lf


def _train(step_fn, steps, w, b, x, y):
    losses = []
    for _ in range(steps):
        losses.append(step_fn(x, y).item())
    return losses, w.numpy(), b.numpy()


def _make(seed):
    rng = np.random.default_rng(seed)
    x = lf.tensor(rng.normal(size=(16, 3)).astype(np.float32))
    y = lf.tensor(rng.normal(size=(16, 1)).astype(np.float32))
    w = lf.variable(lf.tensor(rng.normal(size=(3, 1)).astype(np.float32)))
    b = lf.variable(lf.zeros([1]))

    def step(x, y):
        with lf.GradientTape() as tape:
            pred = lf.add(lf.sum(lf.mul(lf.reshape(x, [16, 3, 1]), w), axis=1), b)
            loss = lf.mean(lf.square(lf.sub(pred, y)))
        dw, db = tape.gradient(loss, [w, b])
        w.assign(lf.sub(w, lf.mul(dw, 0.1)))
        b.assign(lf.sub(b, lf.mul(db, 0.1)))
        return loss

    return step, w, b, x, y


def test_compiled_gradient_descent_equals_eager(backend):
    step, w, b, x, y = _make(0)
    eager = _train(step, 5, w, b, x, y)
    step, w, b, x, y = _make(0)
    compiled = _train(lf.compile(step, variables=[w, b]), 5, w, b, x, y)
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-6)
    np.testing.assert_allclose(compiled[1], eager[1], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(compiled[2], eager[2], rtol=1e-6, atol=1e-7)
    assert eager[0][-1] < eager[0][0]


def test_compiled_function_returns_nested_tensors(backend):
    f = lf.compile(lambda a, b: {"sum": lf.add(a, b), "parts": [a, lf.mul(b, 2)]})
    out = f(lf.tensor([1.0]), lf.tensor([2.0]))
    assert out["sum"].array_sync() == [3.0]
    assert out["parts"][1].array_sync() == [4.0]
    assert out["sum"].dtype == "float32"


def test_compiled_call_leaves_no_tensors_behind(backend):
    v = lf.variable(lf.ones([4]))
    f = lf.compile(lambda x: lf.sum(lf.mul(v, x)), variables=[v])
    x = lf.ones([4])
    f(x).dispose()
    before = lf.memory().num_tensors
    for _ in range(20):
        f(x).dispose()
    assert lf.memory().num_tensors == before


def test_numpy_arrays_are_inputs_not_static_values(backend):
    traces = []

    def double(x):
        traces.append(1)
        return lf.mul(x, 2.0)

    f = lf.compile(double)
    a = np.zeros(2000, np.float32)
    b = a.copy()
    b[1000] = 5.0  # NOTE: arrays whose repr is the same: a static value would reuse a's trace
    assert f(a).numpy()[1000] == 0.0
    assert f(b).numpy()[1000] == 10.0
    x64 = np.array([1.5, -2.0])
    assert f(x64).array_sync() == [3.0, -4.0]
    assert f(x64).dtype == lf.tensor(x64).dtype  # converted as the backend converts arrays
    if backend == "jax":
        assert len(traces) == 2  # one per shape
        assert f(lf.tensor([1.0, 2.0])).array_sync() == [2.0, 4.0]
        assert len(traces) == 2  # a float32 tensor of that shape shares the array's trace


def _reader_and_writer():
    """Two variables and a step that reads one and assigns the other."""
    read, written = lf.variable(lf.tensor([1.0, 2.0])), lf.variable(lf.tensor([0.0, 0.0]))

    def step(x):
        written.assign(lf.add(written, lf.mul(read, x)))
        return lf.sum(read)

    return read, written, step


def test_variables_the_function_does_not_assign_keep_their_buffers(backend):
    read, written, step = _reader_and_writer()

    f = lf.compile(step, variables=[read, written])
    buffer = read._data
    for _ in range(3):
        assert f(lf.tensor([1.0, 10.0])).item() == 3.0
    assert read._data is buffer
    assert read.array_sync() == [1.0, 2.0]
    assert written.array_sync() == [3.0, 60.0]


def test_repeated_calls_with_one_signature_trace_once(jax_backend):
    traces = []

    def fn(x, scale, options):
        traces.append(1)
        return {"y": lf.mul(x, scale), "n": lf.tensor(len(options["names"]))}

    f = lf.compile(fn)
    for i in range(4):
        out = f(lf.tensor([float(i)]), 3.0, {"names": ["a", "b"]})
        assert out["y"].array_sync() == [3.0 * i] and out["n"].item() == 2
    assert len(traces) == 1
    assert f(lf.tensor([1.0]), 4.0, {"names": ["a"]})["y"].array_sync() == [4.0]
    assert len(traces) == 2  # a plain value that changes retraces


def test_donated_variables_survive_calls_that_leave_them_alone(jax_backend):
    read, written, step = _reader_and_writer()

    # NOTE: argument 1 of the compiled program holds the variables' values.
    f = lf.compile(step, variables=[read, written], donate_argnums=(1,))
    for _ in range(3):
        assert f(lf.tensor([1.0, 10.0])).item() == 3.0
    assert read.array_sync() == [1.0, 2.0]
    assert written.array_sync() == [3.0, 60.0]


def test_with_values_runs_on_given_values_and_assigns_nothing(jax_backend):
    import jax.numpy as jnp

    read, written, step = _reader_and_writer()

    f = lf.compile(step, variables=[read, written])
    values = [jnp.asarray([5.0, 7.0], jnp.float32), jnp.asarray([1.0, 1.0], jnp.float32)]
    out, new_values = f.with_values(values, lf.tensor([2.0, 3.0]))
    assert out.item() == 12.0
    assert new_values[0] is None  # read was left alone
    np.testing.assert_array_equal(np.asarray(new_values[1]), [11.0, 22.0])
    assert read.array_sync() == [1.0, 2.0] and written.array_sync() == [0.0, 0.0]
