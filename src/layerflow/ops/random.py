"""Random ops: normal, truncated normal, uniform, gamma, multinomial (TF.js's random family).

Reproducibility: eager random values are drawn with NumPy's ``Generator(Philox(key))`` on every
backend, so the same seed gives bitwise-identical values on numpy and jax. ``seed=`` makes one
call deterministic (as TF.js's seeded ops; ``seed=0`` is a seed too, unlike TF.js). Without a
seed each op takes the next ``(seed, counter)`` pair of the engine, so ``lf.set_seed(s)`` makes
the whole later sequence of random ops reproducible, in a new process too. Inside a function
compiled with ``lf.compile`` the ops draw with ``jax.random`` from the key of the call.
Random ops have no gradients (as in TF.js).

>>> import layerflow as lf
>>> a = lf.random_normal([2, 3], seed=7)
>>> b = lf.random_normal([2, 3], seed=7)
>>> a.shape, a.array_sync() == b.array_sync()
((2, 3), True)
"""

from __future__ import annotations

import math

import numpy as np

from layerflow.engine import dtypes
from layerflow.engine.context import ENGINE
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import as_tensor, cast_tensor, run
from layerflow.ops.creation import check_dtype, check_shape, tensor

__all__ = ["random_normal", "random_standard_normal", "truncated_normal", "random_uniform",
           "random_uniform_int", "random_gamma", "multinomial", "rand"]

_REAL = ("float32", "int32", "float16", "bfloat16", "float64")
_KEY_MOD = 2 ** 64


# -- the seed/key helper -------------------------------------------------------------------
def rng_attrs(seed, op: str) -> dict:
    """The ``key`` / ``jax_key`` attributes a random kernel draws with.

    Eagerly: ``key`` is the Philox key, from ``seed`` or else from the engine's next
    ``(seed, counter)`` pair. While tracing for compilation: ``jax_key`` is a jax PRNG key, from
    ``seed`` or else split off the key of the traced call (stored back, one split per op).
    """
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer, float)) \
                or seed != int(seed):
            raise InvalidArgumentError(f"{op}: seed must be an integer, got {seed!r}")
        key = int(seed) % _KEY_MOD
    else:
        key = None
    if ENGINE.trace_depth > 0:
        import jax

        if key is not None:
            return {"key": key, "jax_key": jax.random.PRNGKey(key % 2 ** 63)}
        trace_key = ENGINE.trace_keys[-1] if ENGINE.trace_keys else None
        if trace_key is None:
            raise InvalidArgumentError(
                f"{op}: a compiled function that draws random numbers needs an rng key; "
                "compile it with lf.compile (which passes one per call) or give the op a seed")
        trace_key, sub = jax.random.split(trace_key)
        ENGINE.trace_keys[-1] = trace_key
        return {"key": 0, "jax_key": sub}
    if key is None:
        base, counter = ENGINE.next_seed()
        # NOTE: counter >= 1 puts engine keys above every explicit seed's key.
        key = (int(base) % _KEY_MOD) + counter * _KEY_MOD
    return {"key": key, "jax_key": None}


def _number(value, name: str, op: str) -> float:
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or math.isnan(value):
        raise InvalidArgumentError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)


def _draw(kernel: str, op: str, shape, dtype, seed, allowed, **params):
    shape = check_shape(shape, op)
    dtype = check_dtype(dtype, op, allowed)
    attrs = {"shape": shape, "dtype": dtypes.to_numpy(dtype), **rng_attrs(seed, op), **params}
    return run(kernel, (), shape, dtype, attrs)


# -- ops -------------------------------------------------------------------------------------
def random_normal(shape, mean=0, stddev=1, dtype="float32", seed=None):
    """Samples from a normal distribution (int32 dtype rounds them, as TF.js).

    >>> import layerflow as lf
    >>> lf.random_normal([2, 2], mean=5, seed=1).shape
    (2, 2)
    """
    mean = _number(mean, "mean", "random_normal")
    stddev = _number(stddev, "stddev", "random_normal")
    return _draw("random_normal", "random_normal", shape, dtype, seed, _REAL, mean=mean,
                 stddev=stddev)


def random_standard_normal(shape, dtype="float32", seed=None):
    """Samples from the standard normal distribution (mean 0, stddev 1).

    >>> import layerflow as lf
    >>> lf.random_standard_normal([3], seed=1).dtype
    'float32'
    """
    return _draw("random_normal", "random_standard_normal", shape, dtype, seed, _REAL,
                 mean=0.0, stddev=1.0)


def truncated_normal(shape, mean=0, stddev=1, dtype="float32", seed=None):
    """Normal samples, redrawn while more than 2 standard deviations from the mean.

    >>> import layerflow as lf
    >>> x = lf.truncated_normal([100], seed=3).numpy()
    >>> bool(abs(x).max() <= 2)
    True
    """
    mean = _number(mean, "mean", "truncated_normal")
    stddev = _number(stddev, "stddev", "truncated_normal")
    return _draw("truncated_normal", "truncated_normal", shape, dtype, seed, _REAL, mean=mean,
                 stddev=stddev)


def random_uniform(shape, minval=0, maxval=1, dtype="float32", seed=None):
    """Uniform samples in ``[minval, maxval)``; with int32 dtype, integers in that range.

    >>> import layerflow as lf
    >>> x = lf.random_uniform([50], 2, 3, seed=0).numpy()
    >>> bool((x >= 2).all() and (x < 3).all())
    True
    """
    return _uniform("random_uniform", shape, minval, maxval, dtype, seed)


def random_uniform_int(shape, minval, maxval, seed=None):
    """Uniform int32 samples in ``[minval, maxval)``.

    >>> import layerflow as lf
    >>> x = lf.random_uniform_int([50], 0, 3, seed=0)
    >>> x.dtype, sorted(set(x.numpy().tolist()))
    ('int32', [0, 1, 2])
    """
    return _uniform("random_uniform_int", shape, minval, maxval, "int32", seed)


def _uniform(op, shape, minval, maxval, dtype, seed):
    minval = _number(minval, "minval", op)
    maxval = _number(maxval, "maxval", op)
    dtype = check_dtype(dtype, op, _REAL)
    if dtype == "int32":
        minval, maxval = math.ceil(minval), math.ceil(maxval)
        if not -2 ** 31 <= minval < maxval <= 2 ** 31:
            raise InvalidArgumentError(
                f"{op}: need integers minval < maxval within int32, got minval={minval}, "
                f"maxval={maxval}")
    elif not minval < maxval:
        raise InvalidArgumentError(
            f"{op}: minval must be less than maxval, got minval={minval}, maxval={maxval}")
    return _draw("random_uniform", op, shape, dtype, seed, _REAL, minval=minval, maxval=maxval)


def random_gamma(shape, alpha, beta=1, dtype="float32", seed=None):
    """Samples from a gamma distribution of shape ``alpha`` and rate ``beta`` (TF.js).

    >>> import layerflow as lf
    >>> lf.random_gamma([2], alpha=2.0, seed=1).shape
    (2,)
    """
    alpha = _number(alpha, "alpha", "random_gamma")
    beta = _number(beta, "beta", "random_gamma")
    if alpha <= 0 or beta <= 0:
        raise InvalidArgumentError(
            f"random_gamma: alpha and beta must be positive, got alpha={alpha}, beta={beta}")
    return _draw("random_gamma", "random_gamma", shape, dtype, seed, _REAL, alpha=alpha,
                 beta=beta)


def multinomial(logits, num_samples, seed=None, normalized=False):
    """Draw ``num_samples`` int32 outcome indices per row of ``logits``.

    Args:
        logits: shape ``[n]`` or ``[batch, n]``: unnormalised log-probabilities, or
            probabilities when ``normalized`` is True.
        num_samples: samples per row; the result has shape ``[num_samples]`` or
            ``[batch, num_samples]``.

    >>> import layerflow as lf
    >>> lf.multinomial(lf.tensor([0.0, 1.0, 0.0]), 5, seed=1, normalized=True).array_sync()
    [1, 1, 1, 1, 1]
    """
    logits = as_tensor(logits, "logits", "multinomial")
    if logits.dtype in ("string", "bool", "complex64"):
        raise DTypeError(f"multinomial: logits must be a real tensor, got dtype {logits.dtype}")
    if logits.rank not in (1, 2):
        raise ShapeError(f"multinomial: logits must have rank 1 or 2, got shape {logits.shape}")
    outcomes = logits.shape[-1]
    if outcomes is not None and outcomes < 2:
        raise InvalidArgumentError(
            f"multinomial: need at least 2 outcomes, got logits of shape {logits.shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples <= 0:
        raise InvalidArgumentError(
            f"multinomial: num_samples must be a positive integer, got {num_samples!r}")
    num_samples = int(num_samples)
    if logits.dtype == "int32":
        logits = cast_tensor(logits, "float32")
    shape = tuple(logits.shape[:-1]) + (num_samples,)
    if logits._symbolic:
        return run("multinomial", (logits,), shape, "int32")
    attrs = {"dtype": np.dtype("int32"), **rng_attrs(seed, "multinomial"),
             "num_samples": num_samples, "normalized": bool(normalized)}
    return run("multinomial", (logits,), shape, "int32", attrs)


def rand(shape, rand_function, dtype="float32"):
    """A tensor whose values each come from calling ``rand_function()`` (TF.js ``rand``).

    >>> import layerflow as lf
    >>> lf.rand([2], lambda: 3, 'int32').array_sync()
    [3, 3]
    """
    shape = check_shape(shape, "rand")
    dtype = check_dtype(dtype, "rand")
    if not callable(rand_function):
        raise InvalidArgumentError(f"rand: rand_function must be callable, got "
                                   f"{type(rand_function).__name__}")
    values = [rand_function() for _ in range(math.prod(shape))]
    return tensor(values, shape=shape, dtype=dtype)
