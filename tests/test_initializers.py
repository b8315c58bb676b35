"""initializers.py against Keras 3: exact values, statistics, fan rules, names and configs."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import layerflow as lf
from layerflow import initializers as I
from layerflow import serialization
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError

os.environ.setdefault("KERAS_BACKEND", "jax")

CLASSES = ["Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "Identity", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeNormal",
           "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal"]
CONV = (3, 3, 4, 8)  # fan_in 36, fan_out 72


def _keras():
    import keras

    return keras


# -- deterministic ones, exactly as Keras ---------------------------------------------------
@pytest.mark.parametrize("name,kwargs,shape", [
    ("Zeros", {}, (2, 3)), ("Ones", {}, (4,)), ("Constant", {"value": 0.25}, (2, 2)),
    ("Constant", {"value": -3}, (3,)), ("Identity", {}, (3, 3)),
    ("Identity", {"gain": 2.5}, (2, 4)), ("Identity", {"gain": 0.5}, (4, 2)),
])
def test_deterministic_match_keras(backend, name, kwargs, shape):
    want = np.asarray(getattr(_keras().initializers, name)(**kwargs)(shape, "float32"))
    got = getattr(I, name)(**kwargs)(shape)
    assert got.dtype == "float32" and got.shape == shape
    np.testing.assert_array_equal(got.numpy(), want)


def test_dtypes(backend):
    assert I.Zeros()([2], "int32").dtype == "int32"
    assert I.Ones()([2], "float64").numpy().dtype == np.float64
    assert I.Constant(2)([2], "int32").array_sync() == [2, 2]
    assert I.GlorotUniform(seed=1)([2, 2], "float64").dtype == "float64"
    assert I.RandomNormal()([2], None).dtype == "float32"
    assert I.Identity()([2, 2], "int32").array_sync() == [[1, 0], [0, 1]]
    with pytest.raises(DTypeError, match="floating"):
        I.RandomNormal()([2], "int32")


def test_constant_array_value_broadcasts(backend):
    got = I.Constant([1.0, 2.0])([2, 2]).array_sync()
    assert got == [[1.0, 2.0], [1.0, 2.0]]
    assert I.Constant(np.array([1.0, 2.0])).get_config() == {"value": [1.0, 2.0]}


# -- statistics and fan rules ---------------------------------------------------------------
def test_compute_fans_matches_keras():
    from keras.src.initializers.random_initializers import compute_fans

    for shape in [(), (5,), (3, 7), CONV, (2, 3, 5, 4, 6)]:
        assert I.compute_fans(shape) == compute_fans(shape), shape
    assert I.compute_fans(CONV, [0, 1, 2], [3]) == compute_fans(CONV, [0, 1, 2], [3])


@pytest.mark.parametrize("name,limit", [
    ("GlorotUniform", math.sqrt(6 / (36 + 72))), ("HeUniform", math.sqrt(6 / 36)),
    ("LecunUniform", math.sqrt(3 / 36)),
])
def test_uniform_fan_rules_on_conv_kernel(backend, name, limit):
    # limit is Keras's rule for CONV: receptive field 9, fan_in 9*4, fan_out 9*8
    x = getattr(I, name)(seed=3)(CONV).numpy()
    assert np.abs(x).max() <= limit
    assert np.abs(x).max() > 0.95 * limit
    np.testing.assert_allclose(x.std(), limit / math.sqrt(3), rtol=0.1)
    # Keras draws within the same limit
    k = np.asarray(getattr(_keras().initializers, name)(seed=3)(CONV))
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.9 * limit


@pytest.mark.parametrize("name,stddev_of_n", [
    ("GlorotNormal", lambda fi, fo: math.sqrt(2 / (fi + fo))),
    ("HeNormal", lambda fi, fo: math.sqrt(2 / fi)),
    ("LecunNormal", lambda fi, fo: math.sqrt(1 / fi)),
])
def test_truncated_normal_fan_rules(backend, name, stddev_of_n):
    shape = (5, 5, 16, 32)
    fan_in, fan_out = I.compute_fans(shape)
    target = stddev_of_n(fan_in, fan_out)  # the corrected draw has this std
    x = getattr(I, name)(seed=11)(shape).numpy()
    np.testing.assert_allclose(x.std(), target, rtol=0.04)
    assert abs(x.mean()) < 0.1 * target
    assert np.abs(x).max() <= 2 * target / 0.87962566103423978 + 1e-6
    k = np.asarray(getattr(_keras().initializers, name)(seed=11)(shape))
    np.testing.assert_allclose(x.std(), k.std(), rtol=0.05)


@pytest.mark.parametrize("mode,distribution", [
    ("fan_in", "truncated_normal"), ("fan_out", "untruncated_normal"), ("fan_avg", "uniform"),
    ("fan_out", "normal"),
])
def test_variance_scaling_std_matches_keras(backend, mode, distribution):
    shape = (64, 96)
    ours = I.VarianceScaling(2.0, mode, distribution, seed=5)(shape).numpy()
    keras = np.asarray(_keras().initializers.VarianceScaling(2.0, mode, distribution,
                                                              seed=5)(shape))
    np.testing.assert_allclose(ours.std(), keras.std(), rtol=0.05)
    assert abs(ours.mean()) < 0.01


def test_random_normal_uniform_truncated_stats(backend):
    x = I.RandomNormal(mean=1.0, stddev=0.5, seed=0)([200, 100]).numpy()
    np.testing.assert_allclose([x.mean(), x.std()], [1.0, 0.5], rtol=0.02)
    u = I.RandomUniform(-2.0, 3.0, seed=0)([20000]).numpy()
    assert u.min() >= -2.0 and u.max() < 3.0
    np.testing.assert_allclose(u.mean(), 0.5, atol=0.05)
    t = I.TruncatedNormal(mean=0.0, stddev=1.0, seed=0)([20000]).numpy()
    assert np.abs(t).max() <= 2.0
    np.testing.assert_allclose(t.std(), 0.87962566103423978, rtol=0.02)
    assert I.RandomNormal()([1000]).numpy().std() < 0.06  # default stddev 0.05
    # Keras accepts a negative stddev; so do we (the draw is mirrored)
    assert I.RandomNormal(stddev=-1.0, seed=0)([10]).shape == (10,)


@pytest.mark.parametrize("shape", [(6, 6), (8, 3), (3, 8), (3, 3, 4, 8)])
def test_orthogonal(backend, shape):
    q = I.Orthogonal(gain=1.0, seed=2)(shape).numpy().astype(np.float64)
    assert q.shape == shape
    flat = q.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, np.eye(flat.shape[1]), atol=1e-5)
    else:
        np.testing.assert_allclose(flat @ flat.T, np.eye(flat.shape[0]), atol=1e-5)
    g = I.Orthogonal(gain=3.0, seed=2)(shape).numpy()
    np.testing.assert_allclose(g, 3.0 * q, rtol=1e-5, atol=1e-6)


def test_orthogonal_sign_correction_gives_positive_r_diagonal(backend):
    q = I.Orthogonal(seed=4)((5, 5)).numpy().astype(np.float64)
    a = lf.random_normal((5, 5), seed=4).numpy().astype(np.float64)
    # q spans a's columns with R = q^T a upper triangular with a positive diagonal
    r = q.T @ a
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-4)
    assert (np.diag(r) > 0).all()


# -- seeds ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["RandomNormal", "RandomUniform", "TruncatedNormal",
                                  "VarianceScaling", "GlorotUniform", "HeNormal",
                                  "Orthogonal"])
def test_seeded_reproducible(backend, name):
    a = getattr(I, name)(seed=42)([4, 5]).numpy()
    b = getattr(I, name)(seed=42)([4, 5]).numpy()
    init = getattr(I, name)(seed=42)
    c, d = init([4, 5]).numpy(), init([4, 5]).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(c, d)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, getattr(I, name)(seed=43)([4, 5]).numpy())


def test_seeded_same_on_both_backends():
    previous = lf.get_backend()
    try:
        values = []
        for name in ["numpy", "jax"]:
            lf.set_backend(name)
            values.append(I.GlorotNormal(seed=9)([3, 4]).numpy())
    finally:
        lf.set_backend(previous)
    np.testing.assert_array_equal(values[0], values[1])


def test_unseeded_follows_global_seed(backend):
    init = I.RandomNormal()
    lf.set_seed(123)
    a1, a2 = init([5]).numpy(), init([5]).numpy()
    lf.set_seed(123)
    b1, b2 = init([5]).numpy(), init([5]).numpy()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.array_equal(a1, a2)


def test_bad_seed():
    with pytest.raises(InvalidArgumentError, match="seed"):
        I.RandomNormal(seed="x")
    with pytest.raises(InvalidArgumentError, match="seed"):
        I.GlorotUniform(seed=1.5)


# -- names, get, configs --------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSES)
def test_get_every_spelling(name):
    cls = getattr(I, name)
    snake = serialization.to_snake_case(name)
    camel = snake.split("_")[0] + "".join(w.title() for w in snake.split("_")[1:])
    for spelling in {name, snake, camel}:
        got = I.get(spelling)
        assert type(got) is cls, spelling
    assert type(I.get({"class_name": name, "config": {}})) is cls
    assert type(I.get(cls)) is cls
    instance = cls()
    assert I.get(instance) is instance
    factory = getattr(I, snake)
    assert type(factory()) is cls
    assert type(I.get(factory)) is cls


def test_tfjs_and_keras_aliases():
    assert type(I.get("leCunNormal")) is I.LecunNormal  # TF.js registry name
    assert type(I.get("LeCunUniform")) is I.LecunUniform  # TF.js class name
    assert type(I.get("normal")) is I.RandomNormal
    assert type(I.get("uniform")) is I.RandomUniform
    assert type(I.get("zero")) is I.Zeros and type(I.get("one")) is I.Ones
    assert type(I.get("IdentityInitializer")) is I.Identity
    assert type(I.get("OrthogonalInitializer")) is I.Orthogonal


def test_tfjs_factories_take_a_config_dict():
    assert I.glorot_normal({"seed": 3}) == I.GlorotNormal(seed=3)
    assert I.constant({"value": 2.0}) == I.Constant(2.0)
    assert I.random_uniform(minval=0.0, maxval=1.0) == I.RandomUniform(0.0, 1.0)
    assert I.variance_scaling(scale=2.0, mode="fan_out") == I.VarianceScaling(2.0, "fan_out")


def test_tfjs_config_forms():
    # TF.js writes GlorotUniform with VarianceScaling's keys, and camelCase when unconverted.
    tfjs = {"class_name": "GlorotUniform",
            "config": {"scale": 1, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
    assert I.get(tfjs) == I.GlorotUniform()
    vs = {"class_name": "VarianceScaling",
          "config": {"scale": 2, "mode": "fan_in", "distribution": "normal", "seed": 1}}
    assert I.get(vs).distribution == "truncated_normal"
    assert I.get({"class_name": "RandomNormal", "config": {"mean": 0, "stddev": 1, "seed": 2,
                                                           "dtype": "float32"}}).seed == 2


def test_get_callables_and_values(backend):
    fn = lambda shape, dtype="float32": lf.ones(shape, dtype)  # noqa: E731
    assert I.get(fn) is fn
    assert I.get(None) is None
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    init = I.get(arr)
    np.testing.assert_array_equal(init((2, 3)).numpy(), arr)
    with pytest.raises(ShapeError):
        init((3, 2))


@pytest.mark.parametrize("name", CLASSES)
def test_config_round_trip_and_keras_keys(name):
    cls = getattr(I, name)
    kwargs = {"Constant": {"value": 1.5}, "RandomNormal": {"mean": 1.0, "seed": 3},
              "VarianceScaling": {"scale": 2.0, "mode": "fan_out", "seed": 1},
              "Orthogonal": {"gain": 2.0, "seed": 5}, "Identity": {"gain": 2.0}}.get(name, {})
    ours = cls(**kwargs)
    config = ours.get_config()
    again = cls.from_config(config)
    assert again == ours and again.get_config() == config
    assert I.get(I.serialize(ours)) == ours
    keras_config = getattr(_keras().initializers, name)(**kwargs).get_config()
    if name == "Identity":
        # NOTE: Keras 3.15's Identity.get_config() drops gain; TF.js's keeps it, so do we.
        assert set(config) == set(keras_config) | {"gain"}
    else:
        assert set(config) == set(keras_config)
        assert config == keras_config


def test_keras_configs_load():
    keras = _keras()
    for name in CLASSES:
        config = keras.initializers.serialize(getattr(keras.initializers, name)())
        assert type(I.get(config)) is getattr(I, name)


def test_bad_arguments():
    with pytest.raises(serialization.UnknownNameError, match="glorot_uniform") as info:
        I.get("glorot_unifrom")
    assert "Known:" in str(info.value)
    with pytest.raises(InvalidArgumentError, match="fan_in, fan_out, fan_avg"):
        I.VarianceScaling(mode="fan_sum")
    with pytest.raises(InvalidArgumentError, match="distribution"):
        I.VarianceScaling(distribution="laplace")
    with pytest.raises(InvalidArgumentError, match="positive"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(ShapeError, match="2D"):
        I.Identity()([2, 2, 2])
    with pytest.raises(ShapeError, match="rank 2"):
        I.Orthogonal()([3])
    with pytest.raises(InvalidArgumentError, match="config keys"):
        I.get({"class_name": "Zeros", "config": {"bogus": 1}})
    with pytest.raises(InvalidArgumentError):
        I.get(3.5)


def test_dense_layer_uses_them(backend):
    from layerflow.layers.core import Dense

    layer = Dense(3, kernel_initializer=I.Constant(0.5), bias_initializer="ones")
    out = layer(lf.ones([1, 2]))
    assert out.array_sync() == [[2.0, 2.0, 2.0]]
    layer = Dense(4, kernel_initializer="heNormal")
    layer.build((None, 8))
    assert layer.kernel.shape == (8, 4)


def test_custom_initializer_registration(backend):
    class HalfOnes(I.Initializer):
        def __call__(self, shape, dtype="float32"):
            return lf.mul(lf.ones(shape, dtype), 0.5)

    serialization.register_class(HalfOnes, package="TestInit")
    config = I.serialize(HalfOnes())
    assert config == {"class_name": "HalfOnes", "config": {}}
    assert I.get(config)([2]).array_sync() == [0.5, 0.5]
    assert type(I.get("TestInit>HalfOnes")) is HalfOnes


def test_keras_seed_generator_config():
    seed = {"module": "keras.random", "class_name": "SeedGenerator", "config": {"seed": 7},
            "registered_name": None}
    assert I.RandomNormal(seed=seed).seed == 7
