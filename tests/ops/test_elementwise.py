"""Elementwise ops against NumPy, and their gradients against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad, check_second_order

BINARY = [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("div", np.divide)]


@pytest.mark.parametrize("name,ref", BINARY)
@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 5)), ((), (2,))])
def test_binary_forward_and_grad(backend, rng, name, ref, shapes):
    a = rng.uniform(0.5, 2.0, shapes[0]).astype(np.float32)
    b = rng.uniform(0.5, 2.0, shapes[1]).astype(np.float32)
    op = getattr(lf, name)
    check_forward(op, lambda x, y: ref(x.astype(np.float64), y).astype(np.float32), [a, b],
                  dtype="float32")
    check_grad(op, [a, b])


@pytest.mark.parametrize("name,ref,low", [("exp", np.exp, -2), ("log", np.log, 0.5),
                                          ("square", np.square, -2), ("sqrt", np.sqrt, 0.5),
                                          ("neg", np.negative, -2)])
def test_unary_forward_and_grad(backend, rng, name, ref, low):
    x = rng.uniform(low, 2.0, (3, 4)).astype(np.float32)
    op = getattr(lf, name)
    check_forward(op, lambda v: ref(v.astype(np.float64)).astype(np.float32), [x],
                  dtype="float32")
    check_grad(op, [x])


def test_second_order(backend):
    check_second_order(lambda x: x * x * x, [0.5, -1.5, 2.0])


def test_int_division_floors_as_tfjs(backend):
    assert lf.div(lf.tensor([7, -7]), 2).array_sync() == [3, -4]


def test_python_scalars_take_tensor_dtype(backend):
    assert (lf.tensor([1.0], dtype="float16") + 1).dtype == "float16"
    assert (lf.tensor([1]) + 1.5).dtype == "float32"
    assert (2 - lf.tensor([1.0])).array_sync() == [1.0]


def test_broadcast_error_names_op_and_shapes(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        lf.add(lf.zeros([2, 3]), lf.zeros([4]))
