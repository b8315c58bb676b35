"""Creation ops against NumPy: eye, linspace, range, one_hot, diag, clone, buffer."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad


@pytest.mark.parametrize("args,kwargs", [((3,), {}), ((2, 4), {}), ((3, 2), {"dtype": "int32"}),
                                         ((2,), {"batch_shape": [3]}),
                                         ((2, 3), {"batch_shape": (2, 1)})])
def test_eye(backend, args, kwargs):
    dtype = kwargs.get("dtype", "float32")
    got = lf.eye(*args, **kwargs)
    want = np.eye(*args, dtype=dtype)
    want = np.broadcast_to(want, tuple(kwargs.get("batch_shape", ())) + want.shape)
    check_forward(lambda: got, lambda: want, [], dtype=dtype)


def test_eye_bad_input(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match="eye: num_rows must be >= 0"):
        lf.eye(-1)
    with pytest.raises(lf.errors.DTypeError, match="eye: unknown dtype 'foo'; expected one of"):
        lf.eye(2, dtype="foo")


@pytest.mark.parametrize("start,stop,num", [(0, 1, 5), (-3.5, 2, 7), (4, 1, 4), (2, 9, 1)])
def test_linspace(backend, start, stop, num):
    check_forward(lambda: lf.linspace(start, stop, num),
                  lambda: np.linspace(start, stop, num).astype(np.float32), [], dtype="float32")


def test_linspace_bad_num(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match="linspace: .*positive.*got 0"):
        lf.linspace(0, 1, 0)


@pytest.mark.parametrize("args,want", [
    ((0, 5), np.arange(0, 5)), ((5,), np.arange(5)), ((1, 2, 0.25), np.arange(1, 2, 0.25)),
    ((10, 0, -3), np.arange(10, 0, -3)), ((2, 2), np.arange(2, 2)), ((0, 5, -1), np.zeros(0)),
    ((5, 0, 2), np.zeros(0)), ((-1.5, 3.2, 1.1), np.arange(-1.5, 3.2, 1.1))])
def test_range(backend, args, want):
    check_forward(lambda: lf.range(*args), lambda: want.astype(np.float32), [], dtype="float32")


def test_range_tfjs_rules(backend):
    # TF.js: step 1 with stop < start counts down; dtype int32 on request.
    assert lf.range(3, 0).array_sync() == [3.0, 2.0, 1.0]
    got = lf.range(0, 7, 2, dtype="int32")
    assert got.dtype == "int32" and got.array_sync() == [0, 2, 4, 6]
    with pytest.raises(lf.errors.InvalidArgumentError, match="range: cannot have a step of zero"):
        lf.range(0, 3, 0)
    with pytest.raises(lf.errors.DTypeError, match="range: dtype must be one of"):
        lf.range(0, 3, dtype="bool")


def _np_one_hot(indices, depth, on=1, off=0, dtype=np.int32):
    indices = np.asarray(indices)
    out = np.full(indices.shape + (depth,), off, dtype=dtype)
    for pos in np.ndindex(indices.shape):
        if 0 <= indices[pos] < depth:
            out[pos + (indices[pos],)] = on
    return out


@pytest.mark.parametrize("indices", [[0, 1, 2], [[1, 0], [3, 2]], [3, -1, 7, 0], 2])
def test_one_hot(backend, indices):
    idx = np.asarray(indices, dtype=np.int32)
    check_forward(lambda i: lf.one_hot(i, 4), lambda i: _np_one_hot(i, 4), [idx], dtype="int32")


def test_one_hot_values_and_dtype(backend):
    got = lf.one_hot(lf.tensor([1, 5]), 3, on_value=2.5, off_value=-1, dtype="float32")
    check_forward(lambda: got, lambda: _np_one_hot([1, 5], 3, 2.5, -1, np.float32), [],
                  dtype="float32")


def test_chained_methods(backend):
    assert lf.tensor([0, 2]).one_hot(3).array_sync() == [[1, 0, 0], [0, 0, 1]]
    assert lf.tensor([1.5, 2.0]).zeros_like().array_sync() == [0.0, 0.0]
    assert lf.tensor([[3]]).ones_like().array_sync() == [[1]]


def test_one_hot_bad_input(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match="one_hot: depth must be .*got 1"):
        lf.one_hot([0], 1)
    with pytest.raises(lf.errors.DTypeError, match="one_hot: indices must be an int32 tensor"):
        lf.one_hot(lf.tensor([0.0]), 3)


def test_one_hot_symbolic_shape():
    x = lf.SymbolicTensor((None, 3), "int32")
    out = lf.one_hot(x, 5)
    assert out.shape == (None, 3, 5) and out.dtype == "int32"


@pytest.mark.parametrize("shape", [(3,), (2, 2), (1, 2, 2)])
def test_diag(backend, rng, shape):
    x = rng.uniform(-2, 2, shape).astype(np.float32)

    def ref(v):
        return np.diag(v.reshape(-1)).reshape(v.shape + v.shape)

    check_forward(lf.diag, ref, [x], dtype="float32")
    check_grad(lf.diag, [x])


def test_diag_int(backend):
    got = lf.diag(lf.tensor([1, 2, 3]))
    assert got.dtype == "int32"
    assert got.array_sync() == np.diag([1, 2, 3]).tolist()


def test_diag_second_order(backend):
    # d/dx of the gradient of diag (diag_part's gradient is diag)
    x = lf.tensor([1.0, 2.0], dtype="float64")
    w = lf.tensor([[1.0, 2.0], [3.0, 4.0]], dtype="float64")
    g = lf.grad(lambda t: lf.sum(lf.mul(lf.diag(lf.mul(t, t)), w)))(x)
    np.testing.assert_allclose(g.numpy(), [2.0, 16.0])


def test_diag_bad_input(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"diag: input must have rank >= 1, got shape"):
        lf.diag(lf.scalar(1.0))


def test_diag_symbolic_shape():
    out = lf.diag(lf.SymbolicTensor((None, 2), "float32"))
    assert out.shape == (None, 2, None, 2)


def test_clone(backend):
    x = lf.tensor([[1.0, 2.0]])
    y = lf.clone(x)
    assert y is not x and y.array_sync() == [[1.0, 2.0]] and y.dtype == "float32"
    g = lf.grad(lambda t: lf.sum(lf.clone(t)))(x)
    assert g.array_sync() == [[1.0, 1.0]]


def test_shapes_as_int_tuple_list(backend):
    assert lf.zeros(3).shape == (3,)
    assert lf.ones((2, 1)).shape == (2, 1)
    assert lf.buffer(4).shape == (4,)
    assert lf.random_uniform((2, 3), seed=1).shape == (2, 3)


def test_buffer_set_get_to_tensor(backend):
    b = lf.buffer([2, 3, 4], "int32")
    assert b.shape == (2, 3, 4) and b.dtype == "int32" and b.strides == (12, 4)
    assert b.rank == 3 and b.size == 24
    b.set(7, 1, 2, 3)
    b.set(-2, 0, 0, 1)
    assert b.get(1, 2, 3) == 7 and b.get(0, 0, 1) == -2 and b.get(0, 0, 0) == 0
    assert b.loc_to_index([1, 2, 3]) == 23
    assert b.index_to_loc(23) == [1, 2, 3]
    assert b.index_to_loc(5) == [0, 1, 1]
    want = np.zeros((2, 3, 4), np.int32)
    want[1, 2, 3], want[0, 0, 1] = 7, -2
    t = b.to_tensor()
    assert t.dtype == "int32"
    np.testing.assert_array_equal(t.numpy(), want)
    assert b.values.shape == (24,)


def test_buffer_values_and_errors(backend):
    b = lf.buffer([2, 2], values=[1, 2, 3, 4])
    assert b.dtype == "float32" and b.get(1, 0) == 3.0
    assert b.to_tensor().array_sync() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(lf.errors.ShapeError, match="buffer: 3 values do not match the size 4"):
        lf.buffer([2, 2], values=[1, 2, 3])
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"number of provided coordinates"):
        b.set(1.0, 0)
    with pytest.raises(lf.errors.InvalidArgumentError, match=r"out of range element at \[2, 0\]"):
        b.get(2, 0)
    s = lf.buffer([])
    s.set(3.5)
    assert s.get() == 3.5 and s.to_tensor().shape == ()


def test_print(backend, capsys):
    lf.print(lf.tensor([1, 2]))
    out = capsys.readouterr().out
    assert "1" in out and "2" in out
