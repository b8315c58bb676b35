"""Random ops: statistics on 10k samples, seeded reproducibility (per call, per set_seed
sequence, across backends, in a new process, inside compiled functions) and bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import layerflow as lf
from layerflow.engine.context import ENGINE

N = 10_000


def _z_ok(sample, mean, std, n=N, z=5.0):
    """The sample mean is within ``z`` standard errors of ``mean``."""
    return abs(float(np.mean(sample)) - mean) <= z * std / np.sqrt(n)


def test_random_normal_stats(backend):
    x = lf.random_normal([100, 100], mean=2.0, stddev=3.0, seed=11)
    assert x.shape == (100, 100) and x.dtype == "float32" and x.numpy().dtype == np.float32
    v = x.numpy().astype(np.float64)
    assert _z_ok(v, 2.0, 3.0)
    assert abs(v.std() - 3.0) < 0.1


def test_random_normal_dtypes(backend):
    assert lf.random_normal([4], dtype="float64", seed=1).numpy().dtype == np.float64
    x = lf.random_normal([1000], mean=10, stddev=2, dtype="int32", seed=1)
    assert x.dtype == "int32" and x.numpy().dtype == np.int32
    assert abs(x.numpy().mean() - 10) < 0.5
    assert lf.random_normal([2], dtype="bfloat16", seed=1).dtype == "bfloat16"


def test_random_standard_normal_stats(backend):
    v = lf.random_standard_normal([N], seed=3).numpy().astype(np.float64)
    assert _z_ok(v, 0.0, 1.0) and abs(v.std() - 1.0) < 0.03


def test_truncated_normal_within_two_stddev(backend):
    v = lf.truncated_normal([N], mean=1.0, stddev=0.5, seed=5).numpy().astype(np.float64)
    assert v.min() >= 1.0 - 2 * 0.5 and v.max() <= 1.0 + 2 * 0.5
    # the standard normal truncated at +-2 has stddev 0.8796
    assert _z_ok(v, 1.0, 0.5 * 0.88)
    assert abs(v.std() - 0.5 * 0.8796) < 0.015


def test_random_uniform_stats(backend):
    v = lf.random_uniform([N], minval=-1.0, maxval=3.0, seed=2).numpy()
    assert v.dtype == np.float32
    assert v.min() >= -1.0 and v.max() < 3.0
    assert _z_ok(v.astype(np.float64), 1.0, 4 / np.sqrt(12))
    assert abs(v.std() - 4 / np.sqrt(12)) < 0.03


def test_random_uniform_int32_dtype(backend):
    x = lf.random_uniform([N], minval=-2, maxval=3, dtype="int32", seed=4)
    assert x.dtype == "int32" and x.numpy().dtype == np.int32
    values, counts = np.unique(x.numpy(), return_counts=True)
    assert values.tolist() == [-2, -1, 0, 1, 2]
    assert (np.abs(counts / N - 0.2) < 0.02).all()


def test_random_uniform_int(backend):
    x = lf.random_uniform_int([50, 200], 3, 10, seed=9)
    assert x.dtype == "int32" and x.shape == (50, 200)
    v = x.numpy()
    assert v.min() == 3 and v.max() == 9
    counts = np.bincount(v.reshape(-1) - 3)
    assert (np.abs(counts / N - 1 / 7) < 0.02).all()


def test_random_gamma_stats(backend):
    alpha, beta = 3.0, 2.0
    v = lf.random_gamma([N], alpha, beta, seed=6).numpy().astype(np.float64)
    assert v.min() > 0
    std = np.sqrt(alpha) / beta
    assert _z_ok(v, alpha / beta, std)
    assert abs(v.std() - std) < 0.05


def test_multinomial_frequencies_from_logits(backend):
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    x = lf.multinomial(lf.tensor(np.log(probs), dtype="float32"), N, seed=8)
    assert x.dtype == "int32" and x.shape == (2, N)
    for row, p in zip(x.numpy(), probs):
        freq = np.bincount(row, minlength=3) / N
        np.testing.assert_allclose(freq, p, atol=0.02)


def test_multinomial_normalized_and_1d(backend):
    probs = np.array([0.0, 0.3, 0.0, 0.7], dtype=np.float32)
    x = lf.multinomial(lf.tensor(probs), N, seed=1, normalized=True)
    assert x.shape == (N,)
    freq = np.bincount(x.numpy(), minlength=4) / N
    assert freq[0] == 0 and freq[2] == 0
    np.testing.assert_allclose(freq, probs, atol=0.02)


def test_multinomial_symbolic_shape():
    out = lf.multinomial(lf.SymbolicTensor((None, 5), "float32"), 3)
    assert out.shape == (None, 3) and out.dtype == "int32"


def test_rand_with_python_callable(backend):
    counter = iter(range(100))
    x = lf.rand([2, 3], lambda: next(counter))
    assert x.dtype == "float32" and x.array_sync() == [[0, 1, 2], [3, 4, 5]]


# -- reproducibility -----------------------------------------------------------------------
SEEDED = [
    lambda seed: lf.random_normal([5], seed=seed),
    lambda seed: lf.random_standard_normal([5], seed=seed),
    lambda seed: lf.truncated_normal([5], seed=seed),
    lambda seed: lf.random_uniform([5], seed=seed),
    lambda seed: lf.random_uniform_int([5], 0, 100, seed=seed),
    lambda seed: lf.random_gamma([5], 1.5, seed=seed),
    lambda seed: lf.multinomial(lf.tensor([[0.0, 1.0, 2.0]]), 8, seed=seed),
]


@pytest.mark.parametrize("index", range(len(SEEDED)))
def test_same_seed_same_values(backend, index):
    op = SEEDED[index]
    np.testing.assert_array_equal(op(42).numpy(), op(42).numpy())
    assert not np.array_equal(op(42).numpy(), op(43).numpy())
    np.testing.assert_array_equal(op(0).numpy(), op(0).numpy())


def test_set_seed_sequence(backend):
    lf.set_seed(1)
    a1, b1 = lf.random_normal([4]).numpy(), lf.random_uniform([4]).numpy()
    lf.set_seed(1)
    a2, b2 = lf.random_normal([4]).numpy(), lf.random_uniform([4]).numpy()
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(a1, lf.random_normal([4]).numpy())
    lf.set_seed(2)
    assert not np.array_equal(a1, lf.random_normal([4]).numpy())


def _draw_all():
    lf.set_seed(123)
    out = [lf.random_normal([3]).numpy(), lf.truncated_normal([3]).numpy(),
           lf.random_uniform([3]).numpy(), lf.random_uniform_int([3], 0, 9).numpy(),
           lf.random_gamma([3], 0.5).numpy(),
           lf.multinomial(lf.tensor([1.0, 2.0, 3.0]), 4).numpy()]
    out += [op(5).numpy() for op in SEEDED]
    return out


def test_values_equal_across_backends():
    if "jax" not in lf.backends():
        pytest.skip("jax is not installed")
    previous = lf.get_backend()
    try:
        lf.set_backend("numpy")
        on_numpy = _draw_all()
        lf.set_backend("jax")
        on_jax = _draw_all()
    finally:
        lf.set_backend(previous)
    for a, b in zip(on_numpy, on_jax):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_reproducible_in_new_process(backend):
    code = (f"import layerflow as lf; lf.set_backend({backend!r}); lf.set_seed(7); "
            "print([lf.random_normal([4]).numpy().tolist(), "
            "lf.random_uniform_int([4], 0, 1000).numpy().tolist()])")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, timeout=300).stdout for _ in range(2)]
    lf.set_seed(7)
    here = str([lf.random_normal([4]).numpy().tolist(),
                lf.random_uniform_int([4], 0, 1000).numpy().tolist()])
    assert runs[0] == runs[1]
    assert runs[0].strip() == here


def test_compiled_random_ops():
    if "jax" not in lf.backends():
        pytest.skip("jax is not installed")
    previous = lf.get_backend()
    lf.set_backend("jax")
    try:
        def draw(x):
            return (x + lf.random_normal([3]) + lf.random_uniform([3])
                    + lf.cast(lf.multinomial(lf.tensor([[0.0, 0.0]]), 3), "float32"))

        fn = lf.compile(draw)
        lf.set_seed(3)
        a, b = fn(lf.zeros([3])).numpy(), fn(lf.zeros([3])).numpy()
        assert not np.array_equal(a, b)
        lf.set_seed(3)
        np.testing.assert_array_equal(a, fn(lf.zeros([3])).numpy())
        seeded = lf.compile(lambda x: x + lf.random_normal([3], seed=1))
        np.testing.assert_array_equal(seeded(lf.zeros([3])).numpy(),
                                      seeded(lf.zeros([3])).numpy())
        with ENGINE.trace_scope(None):
            with pytest.raises(lf.errors.InvalidArgumentError, match="needs an rng key"):
                lf.random_normal([2])
    finally:
        lf.set_backend(previous)


# -- bad input -------------------------------------------------------------------------------
def test_bad_shape(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match="random_normal: shape must hold non-negative integers"):
        lf.random_normal([2, -1])


@pytest.mark.parametrize("op", [lambda d: lf.random_normal([2], dtype=d),
                                lambda d: lf.random_uniform([2], dtype=d),
                                lambda d: lf.truncated_normal([2], dtype=d),
                                lambda d: lf.random_gamma([2], 1.0, dtype=d)])
def test_bad_dtype(backend, op):
    with pytest.raises(lf.errors.DTypeError, match="unknown dtype 'flot32'; expected one of "
                                                   "float32, int32"):
        op("flot32")
    with pytest.raises(lf.errors.DTypeError, match="dtype must be one of float32, int32"):
        op("string")


def test_bad_bounds(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match="random_uniform: minval must be less than maxval"):
        lf.random_uniform([2], 1.0, 1.0)
    with pytest.raises(lf.errors.InvalidArgumentError, match="random_uniform_int: need integers"):
        lf.random_uniform_int([2], 5, 3)
    with pytest.raises(lf.errors.InvalidArgumentError, match="random_gamma: alpha and beta"):
        lf.random_gamma([2], 0.0)


def test_bad_multinomial(backend):
    with pytest.raises(lf.errors.InvalidArgumentError,
                       match="multinomial: num_samples must be a positive integer, got 0"):
        lf.multinomial(lf.tensor([0.0, 1.0]), 0)
    with pytest.raises(lf.errors.InvalidArgumentError, match="at least 2 outcomes"):
        lf.multinomial(lf.tensor([[1.0]]), 2)
    with pytest.raises(lf.errors.ShapeError, match=r"rank 1 or 2, got shape \(1, 1, 2\)"):
        lf.multinomial(lf.zeros([1, 1, 2]), 2)


def test_bad_seed(backend):
    with pytest.raises(lf.errors.InvalidArgumentError, match="random_normal: seed must be"):
        lf.random_normal([2], seed=1.5)
