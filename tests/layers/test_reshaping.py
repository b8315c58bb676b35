"""Image reshaping layers against Keras 3: ZeroPadding2D, UpSampling2D, Cropping2D."""

from __future__ import annotations

import numpy as np
import pytest

import layerflow as lf
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from layerflow.layers.symbolic import input as lf_input
from tests._support.keras_ref import check_config_round_trip, check_layer, keras
from tests.layers._layer_checks import check_config_keys, check_symbolic_shape, keras_ref_layer

FORMATS = ["channels_last", "channels_first"]


def _x(rng, *shape):
    return rng.normal(size=shape).astype(np.float32)


def _full_check(ours, theirs, x):
    check_layer(ours, keras_ref_layer(theirs), x)
    check_config_round_trip(ours, x)
    check_config_keys(ours, theirs)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("padding", [1, (2, 0), ((1, 0), (0, 2))])
def test_zero_padding2d_matches_keras(backend, rng, data_format, padding):
    kw = {"padding": padding, "data_format": data_format}
    _full_check(ZeroPadding2D(**kw), keras().layers.ZeroPadding2D(**kw), _x(rng, 2, 3, 4, 2))
    check_symbolic_shape(ZeroPadding2D(**kw), keras().layers.ZeroPadding2D(**kw), (3, 4, 2))


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("size", [2, (1, 3), (3, 2)])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_up_sampling2d_matches_keras(backend, rng, data_format, size, interpolation):
    kw = {"size": size, "data_format": data_format, "interpolation": interpolation}
    _full_check(UpSampling2D(**kw), keras().layers.UpSampling2D(**kw), _x(rng, 2, 3, 4, 2))
    check_symbolic_shape(UpSampling2D(**kw), keras().layers.UpSampling2D(**kw), (3, 4, 2))


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("cropping", [1, (1, 0), ((0, 1), (2, 1))])
def test_cropping2d_matches_keras(backend, rng, data_format, cropping):
    kw = {"cropping": cropping, "data_format": data_format}
    _full_check(Cropping2D(**kw), keras().layers.Cropping2D(**kw), _x(rng, 2, 4, 5, 4))
    check_symbolic_shape(Cropping2D(**kw), keras().layers.Cropping2D(**kw), (4, 5, 4))


@pytest.mark.parametrize("cls,arg", [(ZeroPadding2D, "padding"), (Cropping2D, "cropping")])
def test_padding_and_cropping_bad_arguments(backend, cls, arg):
    for bad in [-1, (1, 2, 3), ((1, 2), (3,)), 1.5, ((1, -1), (0, 0))]:
        with pytest.raises(InvalidArgumentError, match=f"{cls.__name__}: {arg}"):
            cls(bad)
    with pytest.raises(InvalidArgumentError, match="data_format"):
        cls(data_format="nchw")


def test_up_sampling2d_bad_arguments(backend):
    for bad in [0, (2, 0), (2,), 1.5]:
        with pytest.raises(InvalidArgumentError, match="UpSampling2D: size"):
            UpSampling2D(bad)
    with pytest.raises(InvalidArgumentError, match="interpolation"):
        UpSampling2D(interpolation="area")


@pytest.mark.parametrize("layer", [ZeroPadding2D(name="zp"), UpSampling2D(name="zp"),
                                   Cropping2D(name="zp")])
def test_rank_is_checked_at_definition(backend, layer):
    with pytest.raises(ShapeError, match=r"zp: expected input of rank 4.*\(None, 4, 3\)"):
        layer(lf_input(shape=[4, 3]))


def test_cropping_too_much_fails(backend):
    with pytest.raises(ShapeError, match=r"crop: cropping .* leaves nothing .*\(None, 2, 5, 1\)"):
        Cropping2D(((1, 1), (0, 0)), name="crop")(lf_input(shape=[2, 5, 1]))
    with pytest.raises(ShapeError, match="leaves nothing"):
        Cropping2D(((0, 0), (3, 3)))(lf.ones([1, 4, 5, 1]))


def test_up_sampling2d_nearest_repeats(backend):
    x = lf.tensor(np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1))
    y = UpSampling2D((2, 1))(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[0, 1], [0, 1], [2, 3], [2, 3]])
