"""Tensors and variables: metadata, conversion as TF.js converts, errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf


def test_metadata_and_reading(backend):
    t = lf.tensor([[1, 2, 3], [4, 5, 6]])
    assert (t.shape, t.dtype, t.rank, t.size) == ((2, 3), "int32", 2, 6)
    assert t.array_sync() == [[1, 2, 3], [4, 5, 6]]
    assert t.data_sync().tolist() == [1, 2, 3, 4, 5, 6]
    assert np.asarray(t).dtype == np.int32
    assert isinstance(t.id, int) and "Tensor" in repr(t)


@pytest.mark.parametrize("value,dtype", [
    (1.5, "float32"), (3, "int32"), (True, "bool"), ([1.0, 2], "float32"),
    (np.float64(2.0), "float32"), (np.arange(3, dtype=np.int64), "int32"),
    (np.zeros(2, np.float16), "float16"), (["a", "b"], "string"), (1 + 2j, "complex64"),
])
def test_conversion_follows_tfjs(backend, value, dtype):
    assert lf.tensor(value).dtype == dtype


def test_explicit_dtypes(backend):
    assert lf.tensor([1, 2], dtype="float64").numpy().dtype == np.float64
    assert lf.tensor([1.7], dtype="int32").array_sync() == [1]
    assert lf.tensor([0, 1], dtype="bool").array_sync() == [False, True]


def test_bfloat16_where_available(backend):
    pytest.importorskip("ml_dtypes")
    t = lf.tensor([1.5, 2.0], dtype="bfloat16")
    assert t.dtype == "bfloat16" and t.array_sync() == [1.5, 2.0]


def test_ragged_lists_are_a_shape_error(backend):
    with pytest.raises(lf.errors.ShapeError, match="rectangular"):
        lf.tensor([[1, 2], [3]])


def test_unknown_dtype_lists_valid_ones(backend):
    with pytest.raises(lf.errors.DTypeError, match="float32, int32"):
        lf.tensor([1], dtype="float13")
    with pytest.raises(TypeError):  # also a TypeError, as Python users expect
        lf.zeros([2], dtype="nope")


def test_shape_argument_and_mismatch(backend):
    assert lf.tensor([1, 2, 3, 4], shape=[2, 2]).shape == (2, 2)
    with pytest.raises(lf.errors.ShapeError, match="cannot fill shape"):
        lf.tensor([1, 2, 3], shape=[2, 2])


def test_variable_assign_checks_shape_and_dtype(backend):
    v = lf.variable(lf.zeros([2]), name="v1")
    v.assign(lf.tensor([1.0, 2.0]))
    assert v.array_sync() == [1.0, 2.0]
    with pytest.raises(lf.errors.ShapeError, match=r"cannot assign shape \(3,\)"):
        v.assign(lf.zeros([3]))
    with pytest.raises(lf.errors.DTypeError, match="int32"):
        v.assign(lf.tensor([1, 2]))


def test_tensor_is_immutable_to_ops(backend):
    a = lf.tensor([1.0])
    b = lf.add(a, 1)
    assert a.array_sync() == [1.0] and b.array_sync() == [2.0]


def test_print_and_to_string(backend, capsys):
    lf.tensor([1.5, 2.0]).print()
    assert capsys.readouterr().out == "Tensor\n    [1.5, 2]\n"
    text = lf.tensor([[True, False]]).to_string(verbose=True)
    assert text.splitlines()[1:4] == ["  dtype: bool", "  rank: 2", "  shape: [1,2]"]


def test_backend_names(backend):
    assert set(lf.backends()) == {"numpy", "jax"}
    with pytest.raises(lf.errors.BackendError, match="unknown backend"):
        lf.set_backend("webgl")
