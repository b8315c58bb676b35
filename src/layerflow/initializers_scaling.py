"""The fan-scaled initializers (``VarianceScaling`` and its Glorot, He and LeCun forms) and
``Orthogonal``; :mod:`layerflow.initializers` re-exports them and resolves their names.

>>> from layerflow.initializers import GlorotUniform
>>> GlorotUniform(seed=1)([3, 2]).shape
(3, 2)
"""

from __future__ import annotations

import math

import numpy as np

from layerflow import serialization
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.initializers import (
    TRUNCATED_STDDEV,
    _dtype,
    _number,
    _RandomInitializer,
    _shape,
    compute_fans,
)

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(_RandomInitializer):
    """Samples scaled to the weight's fans (Keras 3 rules).

    ``n`` is ``fan_in``, ``fan_out`` or their mean (``mode``); ``truncated_normal`` draws with
    stddev ``sqrt(scale / n) / 0.8796...``, ``untruncated_normal`` with ``sqrt(scale / n)``,
    ``uniform`` within ``+-sqrt(3 * scale / n)``. ``'normal'`` means ``'truncated_normal'``
    (as in Keras; TF.js's ``'normal'`` omits the 0.8796 correction).

    Raises:
        InvalidArgumentError: ``scale <= 0``, or an unknown ``mode`` or ``distribution``.

    >>> x = VarianceScaling(mode='fan_avg', distribution='uniform', seed=0)([4, 2]).numpy()
    >>> bool(abs(x).max() <= (3 / 3) ** 0.5)
    True
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None) -> None:
        name = type(self).__name__
        scale = _number(scale, "scale", name)
        if not scale > 0:
            raise InvalidArgumentError(f"{name}: scale must be positive, got {scale!r}")
        if mode not in _MODES:
            raise InvalidArgumentError(f"{name}: mode must be one of {', '.join(_MODES)}; got "
                                       f"{mode!r}")
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in _DISTRIBUTIONS:
            raise InvalidArgumentError(f"{name}: distribution must be one of "
                                       f"{', '.join(_DISTRIBUTIONS)} (or 'normal'); got "
                                       f"{distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, dist
        self.input_axes = list(input_axes) if input_axes is not None else None
        self.output_axes = list(output_axes) if output_axes is not None else None
        super().__init__(seed)

    def __call__(self, shape, dtype="float32"):
        from layerflow.ops.random import random_normal, random_uniform, truncated_normal

        name = type(self).__name__
        shape, dtype = _shape(shape, name), _dtype(dtype, name, True)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / TRUNCATED_STDDEV
            return truncated_normal(shape, 0.0, stddev, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return random_normal(shape, 0.0, math.sqrt(scale), dtype, self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_uniform(shape, -limit, limit, dtype, self.seed)

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed scale/mode/distribution; only the seed (and axes) vary."""

    _fixed: tuple = (1.0, "fan_avg", "uniform")

    def __init__(self, seed=None, input_axes=None, output_axes=None) -> None:
        scale, mode, distribution = self._fixed
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict:
        return {"seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}

    @classmethod
    def from_config(cls, config: dict):
        # NOTE: TF.js writes these classes with VarianceScaling's keys (scale, mode,
        # distribution); they are fixed by the class, so they are dropped here.
        config = {serialization.to_snake_case(k): v for k, v in (config or {}).items()}
        for key in ("scale", "mode", "distribution"):
            config.pop(key, None)
        return super().from_config(config)


class GlorotUniform(_FixedVarianceScaling):
    """Uniform within ``+-sqrt(6 / (fan_in + fan_out))`` (Xavier uniform).

    >>> x = GlorotUniform(seed=0)([3, 3, 4, 8]).numpy()
    >>> bool(abs(x).max() <= (6 / (36 + 72)) ** 0.5)
    True
    """

    _fixed = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))`` (Xavier normal).

    >>> GlorotNormal(seed=0)([2, 2]).dtype
    'float32'
    """

    _fixed = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / fan_in)``.

    >>> HeNormal(seed=0)([2, 2]).shape
    (2, 2)
    """

    _fixed = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform within ``+-sqrt(6 / fan_in)``.

    >>> HeUniform(seed=0)([2, 2]).shape
    (2, 2)
    """

    _fixed = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(1 / fan_in)``.

    >>> LecunNormal(seed=0)([2, 2]).shape
    (2, 2)
    """

    _fixed = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform within ``+-sqrt(3 / fan_in)``.

    >>> LecunUniform(seed=0)([2, 2]).shape
    (2, 2)
    """

    _fixed = (1.0, "fan_in", "uniform")


class Orthogonal(_RandomInitializer):
    """An orthogonal matrix (times ``gain``) from the QR of a normal matrix, signs corrected.

    Shapes of rank > 2 are flattened to ``(prod(shape[:-1]), shape[-1])``; the rows (or the
    columns, whichever are fewer) are orthonormal.

    >>> import numpy as np
    >>> q = Orthogonal(seed=0)([4, 4]).numpy()
    >>> bool(np.allclose(q.T @ q, np.eye(4), atol=1e-5))
    True
    """

    def __init__(self, gain=1.0, seed=None) -> None:
        self.gain = _number(gain, "gain", "Orthogonal")
        super().__init__(seed)

    def __call__(self, shape, dtype="float32"):
        from layerflow.engine.memory import tidy

        shape, dtype = _shape(shape, "Orthogonal"), _dtype(dtype, "Orthogonal", True)
        if len(shape) < 2:
            raise ShapeError(f"Orthogonal: the shape must have rank 2 or more, got {shape}")
        return tidy(lambda: self._draw(shape, dtype))

    def _draw(self, shape, dtype):
        from layerflow.ops.creation import eye
        from layerflow.ops.elementwise import cast, mul
        from layerflow.ops.linalg import qr
        from layerflow.ops.math import sign
        from layerflow.ops.random import random_normal
        from layerflow.ops.reduction import sum as reduce_sum
        from layerflow.ops.shape import reshape, transpose

        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        work = "float64" if dtype == "float64" else "float32"
        a = random_normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, work, self.seed)
        q, r = qr(a)
        diag = reduce_sum(mul(r, eye(r.shape[0], r.shape[1], dtype=work)), axis=0)
        q = mul(q, sign(diag))
        if rows < cols:
            q = transpose(q)
        return cast(mul(reshape(q, shape), self.gain), dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "gain": self.gain}
