"""dropout, moving_average, basic_lstm_cell, multi_rnn_cell, sparse_to_dense, where_async."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_dropout_statistics_and_seed(backend):
    x = lf.ones([20000])
    y = lf.dropout(x, 0.25, seed=3).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(y, lf.dropout(x, 0.25, seed=3).numpy())
    with pytest.raises(lf.errors.InvalidArgumentError, match="rate"):
        lf.dropout(x, 1.0)


def test_moving_average_matches_tfjs_formula(backend):
    v, x = np.array([1.0, 2.0], np.float32), np.array([3.0, 0.0], np.float32)
    got = lf.moving_average(lf.tensor(v), lf.tensor(x), 0.6, step=2).numpy()
    want = v + (x - v) * (1 - 0.6) / (1 - 0.6 ** 2)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_basic_lstm_cell_matches_numpy(backend, rng):
    data = rng.normal(size=(2, 3)).astype(np.float32)
    c = rng.normal(size=(2, 4)).astype(np.float32)
    h = rng.normal(size=(2, 4)).astype(np.float32)
    kernel = rng.normal(size=(7, 16)).astype(np.float32)
    bias = rng.normal(size=(16,)).astype(np.float32)
    new_c, new_h = lf.basic_lstm_cell(1.0, lf.tensor(kernel), lf.tensor(bias), lf.tensor(data),
                                      lf.tensor(c), lf.tensor(h))
    res = np.concatenate([data, h], 1) @ kernel + bias
    i, j, f, o = np.split(res, 4, axis=1)
    want_c = _sigmoid(i) * np.tanh(j) + c * _sigmoid(1.0 + f)
    np.testing.assert_allclose(new_c.numpy(), want_c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_h.numpy(), np.tanh(want_c) * _sigmoid(o), rtol=1e-5,
                               atol=1e-6)
    cs, hs = lf.multi_rnn_cell([lambda d, ci, hi: [ci, hi]] * 2, lf.tensor(data), [c, c], [h, h])
    assert len(cs) == 2 and len(hs) == 2


def test_sparse_to_dense_and_where_async(backend):
    dense = lf.sparse_to_dense(lf.tensor([[0, 1], [2, 0]]), lf.tensor([7, 8]), [3, 2], -1)
    assert dense.array_sync() == [[-1, 7], [-1, -1], [8, -1]]
    mask = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(lf.where_async(lf.tensor(mask)).numpy(), np.argwhere(mask))
    with pytest.raises(lf.errors.DTypeError, match="bool"):
        lf.where_async(lf.tensor([1, 0]))
