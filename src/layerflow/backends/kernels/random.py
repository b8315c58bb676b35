"""Random kernels.

Eagerly, both backends draw with NumPy's ``Generator(Philox(key))`` (the jax backend then moves
the array to the device), so one seed gives bitwise-identical values on numpy and jax. While a
function is traced for compilation the op passes ``jax_key`` instead and the jax kernels draw
with ``jax.random``. Every kernel takes ``shape`` (or ``logits``), ``dtype`` (a NumPy dtype),
``key`` (the Philox key, an int) and ``jax_key`` (a jax PRNG key or None), then its parameters.
"""

from __future__ import annotations

import numpy as np

TRUNCATE = 2.0  # truncated_normal resamples values beyond this many standard deviations


def _gen(key: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=key))


def _finish(values: np.ndarray, dtype) -> np.ndarray:
    """Float64 samples in ``dtype``; integer dtypes round (TF.js ``Math.round``)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        values = np.floor(values + 0.5)
    return values.astype(dtype)


def _np_normal(shape, dtype, key, mean, stddev):
    return _finish(_gen(key).standard_normal(shape) * stddev + mean, dtype)


def _np_truncated_normal(shape, dtype, key, mean, stddev):
    gen = _gen(key)
    z = gen.standard_normal(shape)
    bad = np.abs(z) > TRUNCATE
    while bad.any():
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > TRUNCATE
    return _finish(z * stddev + mean, dtype)


def _np_uniform(shape, dtype, key, minval, maxval):
    dtype = np.dtype(dtype)
    gen = _gen(key)
    if dtype.kind in "iu":
        return gen.integers(minval, maxval, size=shape, dtype=np.int64).astype(dtype)
    values = (minval + (maxval - minval) * gen.random(shape)).astype(dtype)
    # NOTE: rounding to a narrow float may reach maxval; keep the range half-open.
    top = np.nextafter(np.asarray(maxval, dtype=dtype), np.asarray(minval, dtype=dtype))
    return np.minimum(values, top)


def _np_gamma(shape, dtype, key, alpha, beta):
    return _finish(_gen(key).standard_gamma(alpha, size=shape) / beta, dtype)


def _np_multinomial(logits, dtype, key, num_samples, normalized):
    logits = np.asarray(logits, dtype=np.float64)
    rows = logits.reshape(-1, logits.shape[-1])
    if normalized:
        probs = np.clip(rows, 0.0, None)
    else:
        shifted = rows - rows.max(axis=-1, keepdims=True)
        probs = np.exp(shifted)
    cdf = np.cumsum(probs, axis=-1)
    cdf /= cdf[:, -1:]
    u = _gen(key).random((rows.shape[0], num_samples))
    out = np.stack([np.searchsorted(cdf[b], u[b], side="right") for b in range(rows.shape[0])])
    out = np.minimum(out, rows.shape[-1] - 1).astype(dtype)
    return out.reshape(logits.shape[:-1] + (num_samples,))


def kernels(xp) -> dict:
    return {}


def numpy_kernels() -> dict:
    return {
        "random_normal": lambda shape, dtype, key, jax_key, mean, stddev:
            _np_normal(shape, dtype, key, mean, stddev),
        "truncated_normal": lambda shape, dtype, key, jax_key, mean, stddev:
            _np_truncated_normal(shape, dtype, key, mean, stddev),
        "random_uniform": lambda shape, dtype, key, jax_key, minval, maxval:
            _np_uniform(shape, dtype, key, minval, maxval),
        "random_gamma": lambda shape, dtype, key, jax_key, alpha, beta:
            _np_gamma(shape, dtype, key, alpha, beta),
        "multinomial": lambda logits, dtype, key, jax_key, num_samples, normalized:
            _np_multinomial(logits, dtype, key, num_samples, normalized),
    }


def jax_kernels() -> dict:
    import jax
    import jax.numpy as jnp

    def sample_dtype(dtype):
        dtype = np.dtype(dtype)
        return jnp.float32 if dtype.kind in "iu" else dtype

    def finish(values, dtype):
        dtype = np.dtype(dtype)
        if dtype.kind in "iu":
            values = jnp.floor(values + 0.5)
        return values.astype(dtype)

    def normal(shape, dtype, key, jax_key, mean, stddev):
        if jax_key is None:
            return jnp.asarray(_np_normal(shape, dtype, key, mean, stddev))
        z = jax.random.normal(jax_key, shape, dtype=sample_dtype(dtype))
        return finish(z * stddev + mean, dtype)

    def truncated_normal(shape, dtype, key, jax_key, mean, stddev):
        if jax_key is None:
            return jnp.asarray(_np_truncated_normal(shape, dtype, key, mean, stddev))
        z = jax.random.truncated_normal(jax_key, -TRUNCATE, TRUNCATE, shape,
                                        dtype=sample_dtype(dtype))
        return finish(z * stddev + mean, dtype)

    def uniform(shape, dtype, key, jax_key, minval, maxval):
        if jax_key is None:
            return jnp.asarray(_np_uniform(shape, dtype, key, minval, maxval))
        if np.dtype(dtype).kind in "iu":
            return jax.random.randint(jax_key, shape, minval, maxval, dtype=dtype)
        return jax.random.uniform(jax_key, shape, dtype=dtype, minval=minval, maxval=maxval)

    def gamma(shape, dtype, key, jax_key, alpha, beta):
        if jax_key is None:
            return jnp.asarray(_np_gamma(shape, dtype, key, alpha, beta))
        g = jax.random.gamma(jax_key, alpha, shape, dtype=sample_dtype(dtype))
        return finish(g / beta, dtype)

    def multinomial(logits, dtype, key, jax_key, num_samples, normalized):
        if jax_key is None:
            return jnp.asarray(_np_multinomial(np.asarray(logits), dtype, key, num_samples,
                                               normalized))
        rows = logits.reshape(-1, logits.shape[-1]).astype(jnp.float64)
        if normalized:
            rows = jnp.log(jnp.clip(rows, 0.0, None))
        out = jax.random.categorical(jax_key, rows, axis=-1, shape=(num_samples, rows.shape[0]))
        return out.T.astype(dtype).reshape(logits.shape[:-1] + (num_samples,))

    return {"random_normal": normal, "truncated_normal": truncated_normal,
            "random_uniform": uniform, "random_gamma": gamma, "multinomial": multinomial}
