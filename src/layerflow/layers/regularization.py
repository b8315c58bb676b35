"""Noise layers active only in training: SpatialDropout1D, GaussianNoise, GaussianDropout,
AlphaDropout (``Dropout`` itself is in :mod:`layerflow.layers.core`). At inference (the default,
``training`` not True) each returns its input unchanged.

Randomness: with ``seed`` a layer repeats the same sequence of draws (a layer made again with
that seed draws the same values); without one it follows ``lf.set_seed``'s global sequence.

>>> import layerflow as lf
>>> from layerflow.layers.regularization import GaussianNoise
>>> GaussianNoise(0.1)(lf.ones([2])).array_sync()
[1.0, 1.0]
"""

from __future__ import annotations

import math

from layerflow.errors import InvalidArgumentError
from layerflow.layers.base import Layer
from layerflow.layers.core import (
    Dropout,
    _check_rank,
    _check_rate,
    _check_seed,
    _draw_seed,
    _dropout,
    _is_symbolic,
)
from layerflow.ops import elementwise as _elementwise
from layerflow.ops import logical as _logical
from layerflow.ops import random as _random


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels of ``(batch, steps, channels)`` inputs: a dropped
    channel is zero at every step (the kept ones are scaled by ``1 / (1 - rate)``).

    Args:
        rate: fraction of the channels to drop, in [0, 1).
        seed: makes the sequence of masks reproducible.

    >>> import layerflow as lf
    >>> from layerflow.layers.regularization import SpatialDropout1D
    >>> y = SpatialDropout1D(0.5, seed=3)(lf.ones([1, 4, 8]), training=True).numpy()
    >>> bool((y == y[:, :1, :]).all())
    True
    """

    def __init__(self, rate, seed=None, **kwargs) -> None:
        super().__init__(rate, seed=seed, **kwargs)

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, rank=3)

    def call(self, inputs, training=None):
        if not training or self.rate == 0 or _is_symbolic(inputs):
            return inputs
        return _dropout(inputs, self.rate, (None, 1, None), _draw_seed(self))


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training.

    Args:
        stddev: standard deviation of the noise (>= 0).
        seed: makes the sequence of draws reproducible.
    """

    def __init__(self, stddev, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise InvalidArgumentError(f"GaussianNoise: stddev must be a non-negative number, "
                                       f"got {stddev!r}")
        self.stddev = float(stddev)
        self.seed = _check_seed("GaussianNoise", seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0 or _is_symbolic(inputs):
            return inputs
        noise = _random.random_normal(inputs.shape, 0.0, self.stddev, inputs.dtype,
                                      seed=_draw_seed(self))
        return _elementwise.add(inputs, noise)


class GaussianDropout(Layer):
    """Multiplies the inputs by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training.

    Args:
        rate: the equivalent dropout rate, in [0, 1).
        seed: makes the sequence of draws reproducible.

    >>> import layerflow as lf
    >>> from layerflow.layers.regularization import GaussianDropout
    >>> GaussianDropout(0.2)(lf.ones([2])).array_sync()
    [1.0, 1.0]
    """

    def __init__(self, rate, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = _check_rate("GaussianDropout", rate)
        self.seed = _check_seed("GaussianDropout", seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0 or _is_symbolic(inputs):
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = _random.random_normal(inputs.shape, 1.0, stddev, inputs.dtype,
                                      seed=_draw_seed(self))
        return _elementwise.mul(inputs, noise)


# SELU's constants: dropped units are set to SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of SELU activations: dropped units take
    SELU's saturation value ``-alpha * scale``, then an affine map restores the moments.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the keep/drop mask (None entries take the input's size).
        seed: makes the sequence of masks reproducible.

    >>> import layerflow as lf
    >>> from layerflow.layers.regularization import AlphaDropout
    >>> AlphaDropout(0.2)(lf.ones([2])).array_sync()
    [1.0, 1.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = _check_rate("AlphaDropout", rate)
        if noise_shape is not None and (not isinstance(noise_shape, (list, tuple)) or not all(
                d is None or (isinstance(d, int) and d > 0) for d in noise_shape)):
            raise InvalidArgumentError(f"AlphaDropout: noise_shape must be a list of positive "
                                       f"ints or None entries, got {noise_shape!r}")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = _check_seed("AlphaDropout", seed)
        self.supports_masking = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0 or _is_symbolic(inputs):
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(s if n is None else n for n, s in zip(self.noise_shape, shape))
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        draw = _random.random_uniform(shape, seed=_draw_seed(self))
        kept = _elementwise.cast(_logical.greater_equal(draw, self.rate), inputs.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = _elementwise.add(_elementwise.mul(inputs, kept), alpha_p * (1.0 - kept))
        return _elementwise.add(_elementwise.mul(x, a), b)
