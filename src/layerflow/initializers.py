"""Weight initializers: Keras 3 classes, TF.js factories, one resolver (``get``).

Each initializer is an object called as ``init(shape, dtype='float32') -> Tensor``, with
``get_config()`` / ``from_config()`` in Keras 3's form. Classes carry Keras's names and defaults
(``GlorotUniform``, ``VarianceScaling(scale=1.0, mode='fan_in', ...)``); the lowercase functions
are TF.js's factories (``tf.initializers.glorotNormal({seed})``) and return instances. Names
resolve in any spelling through :mod:`layerflow.serialization` (kind ``'initializer'``).

Seeds: an initializer built with ``seed=s`` returns the same values on every call (as a Keras 3
initializer given an integer seed, and TF.js's seeded initializers); without a seed, each call
draws the next values of the global sequence that ``lf.set_seed`` controls.

>>> import layerflow as lf
>>> from layerflow import initializers
>>> initializers.get('glorotUniform')
GlorotUniform(seed=None, input_axes=None, output_axes=None)
>>> initializers.constant(value=2.0)([2]).array_sync()
[2.0, 2.0]
"""

from __future__ import annotations

import numpy as np

from layerflow import serialization
from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform",
           "TruncatedNormal", "Identity", "VarianceScaling", "GlorotUniform", "GlorotNormal",
           "HeNormal", "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal", "zeros",
           "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
           "identity", "variance_scaling", "glorot_uniform", "glorot_normal", "he_normal",
           "he_uniform", "lecun_normal", "lecun_uniform", "orthogonal", "compute_fans", "get",
           "serialize", "deserialize"]

KIND = "initializer"
# NOTE: the stddev of a standard normal truncated to [-2, 2]; dividing by it gives the
# truncated draw the variance asked for (Keras and TF2 use this constant).
TRUNCATED_STDDEV = 0.87962566103423978


# -- helpers -----------------------------------------------------------------------------------
def _shape(shape, name: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ShapeError(f"{name}: shape must be a sequence of integers, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise ShapeError(f"{name}: shape must not have negative dimensions, got {shape}")
    return shape


def _dtype(dtype, name: str, float_only: bool = False) -> str:
    dtype = dtypes.canonical("float32" if dtype is None else dtype)
    if float_only and not dtypes.is_float(dtype):
        raise DTypeError(f"{name}: draws floating-point values; dtype must be float16, "
                         f"bfloat16, float32 or float64, got {dtype!r}")
    return dtype


def _seed(seed, name: str):
    if isinstance(seed, dict):  # a Keras 3 SeedGenerator config: {"config": {"seed": s}}
        seed = (seed.get("config") or {}).get("seed")
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise InvalidArgumentError(f"{name}: seed must be an integer or None, got {seed!r}")
    return int(seed)


def _number(value, arg: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"{name}: {arg} must be a number, got {value!r}")
    return value


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)`` of a weight shape.

    Rank 2 ``(in, out)``; rank 1 and scalars use the size for both; conv kernels
    ``(*spatial, in_channels, out_channels)`` multiply the channels by the receptive field size.

    >>> compute_fans((3, 3, 4, 8))
    (36, 72)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return int(np.prod([shape[a] for a in input_axes])), \
            int(np.prod([shape[a] for a in output_axes]))
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = int(np.prod(shape[:-2]))
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


# -- base --------------------------------------------------------------------------------------
class Initializer(serialization.Configurable):
    """Base class: ``__call__(shape, dtype) -> Tensor`` plus a Keras-style config (equality
    and repr by config, as regularizers and constraints).

    Subclasses list their constructor arguments in ``get_config``; ``from_config`` rebuilds
    the object (accepting TF.js's camelCase keys too). Register a subclass with
    ``lf.serialization.register_class(MyInit)`` to name it in configs.
    """

    _registry_kind = KIND

    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    @classmethod
    def from_config(cls, config: dict):
        """A new initializer from ``get_config()``'s output (Keras or TF.js spelling)."""
        # NOTE: Keras 2 / TF1 configs may carry a dtype, which is the caller's business here.
        config = {k: v for k, v in (config or {}).items() if k != "dtype"}
        return super().from_config(config)

    def clone(self):
        """A new initializer with the same config."""
        return type(self).from_config(self.get_config())


class Zeros(Initializer):
    """All zeros.

    >>> Zeros()([2], 'int32').array_sync()
    [0, 0]
    """

    def __call__(self, shape, dtype="float32"):
        from layerflow.ops.creation import zeros

        return zeros(_shape(shape, "Zeros"), _dtype(dtype, "Zeros"))


class Ones(Initializer):
    """All ones.

    >>> Ones()([2]).array_sync()
    [1.0, 1.0]
    """

    def __call__(self, shape, dtype="float32"):
        from layerflow.ops.creation import ones

        return ones(_shape(shape, "Ones"), _dtype(dtype, "Ones"))


class Constant(Initializer):
    """Every element equal to ``value`` (a number, or an array broadcast to the shape).

    >>> Constant(0.5)([1, 2]).array_sync()
    [[0.5, 0.5]]
    """

    def __init__(self, value=0.0) -> None:
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if not isinstance(value, (int, float, list, tuple, np.integer, np.floating)) \
                or isinstance(value, bool):
            raise InvalidArgumentError(f"Constant: value must be a number or a nested list of "
                                       f"numbers, got {value!r}")
        self.value = value.item() if isinstance(value, (np.integer, np.floating)) else value

    def __call__(self, shape, dtype="float32"):
        from layerflow.engine.memory import tidy
        from layerflow.ops.creation import fill, tensor
        from layerflow.ops.shape import broadcast_to

        shape, dtype = _shape(shape, "Constant"), _dtype(dtype, "Constant")
        if isinstance(self.value, (int, float)):
            return fill(shape, self.value, dtype)
        return tidy(lambda: broadcast_to(tensor(np.asarray(self.value), dtype=dtype), shape))

    def get_config(self) -> dict:
        return {"value": list(self.value) if isinstance(self.value, tuple) else self.value}


class Identity(Initializer):
    """``gain`` times the identity matrix (2D shapes only; TF.js ``identity``).

    >>> Identity(gain=2.0)([2, 2]).array_sync()
    [[2.0, 0.0], [0.0, 2.0]]
    """

    def __init__(self, gain=1.0) -> None:
        self.gain = _number(gain, "gain", "Identity")

    def __call__(self, shape, dtype="float32"):
        from layerflow.engine.memory import tidy
        from layerflow.ops.creation import eye
        from layerflow.ops.elementwise import cast, mul

        shape, dtype = _shape(shape, "Identity"), _dtype(dtype, "Identity")
        if len(shape) != 2:
            raise ShapeError(f"Identity: the identity initializer needs a 2D shape, got {shape}")
        return tidy(lambda: cast(mul(eye(shape[0], shape[1], dtype="float32"), self.gain),
                                 dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


# -- random ------------------------------------------------------------------------------------
class _RandomInitializer(Initializer):
    """Holds the seed: an int gives the same values each call, None the global sequence."""

    def __init__(self, seed=None) -> None:
        self.seed = _seed(seed, type(self).__name__)

    def get_config(self) -> dict:
        return {"seed": self.seed}


class RandomNormal(_RandomInitializer):
    """Normal samples with ``mean`` and ``stddev``.

    >>> RandomNormal(seed=1)([2, 3]).shape
    (2, 3)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None) -> None:
        self.mean = _number(mean, "mean", "RandomNormal")
        self.stddev = _number(stddev, "stddev", "RandomNormal")
        super().__init__(seed)

    def __call__(self, shape, dtype="float32"):
        from layerflow.ops.random import random_normal

        return random_normal(_shape(shape, "RandomNormal"), self.mean, self.stddev,
                             _dtype(dtype, "RandomNormal", True), self.seed)

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_RandomInitializer):
    """Normal samples redrawn when more than two ``stddev`` from ``mean``.

    >>> x = TruncatedNormal(stddev=1.0, seed=0)([100]).numpy()
    >>> bool(abs(x).max() <= 2)
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None) -> None:
        self.mean = _number(mean, "mean", "TruncatedNormal")
        self.stddev = _number(stddev, "stddev", "TruncatedNormal")
        super().__init__(seed)

    def __call__(self, shape, dtype="float32"):
        from layerflow.ops.random import truncated_normal

        return truncated_normal(_shape(shape, "TruncatedNormal"), self.mean, self.stddev,
                                _dtype(dtype, "TruncatedNormal", True), self.seed)

    def get_config(self) -> dict:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_RandomInitializer):
    """Uniform samples in ``[minval, maxval)``.

    >>> x = RandomUniform(0.0, 1.0, seed=0)([50]).numpy()
    >>> bool((x >= 0).all() and (x < 1).all())
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None) -> None:
        self.minval = _number(minval, "minval", "RandomUniform")
        self.maxval = _number(maxval, "maxval", "RandomUniform")
        super().__init__(seed)

    def __call__(self, shape, dtype="float32"):
        from layerflow.ops.random import random_uniform

        return random_uniform(_shape(shape, "RandomUniform"), self.minval, self.maxval,
                              _dtype(dtype, "RandomUniform", True), self.seed)

    def get_config(self) -> dict:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


# NOTE: imported here, after the base classes it builds on are defined (it imports them).
from layerflow.initializers_scaling import (  # noqa: E402
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    VarianceScaling,
)

# -- registry, factories, resolver -------------------------------------------------------------
_CLASSES = (Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, Identity,
            VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal,
            LecunUniform, Orthogonal)
_ALIASES = {Zeros: ("zero",), Ones: ("one",), RandomNormal: ("normal",),
            RandomUniform: ("uniform",), Identity: ("IdentityInitializer",),
            Orthogonal: ("OrthogonalInitializer",)}
for _cls in _CLASSES:
    serialization.register(KIND, serialization.to_snake_case(_cls.__name__), _cls,
                           aliases=(_cls.__name__, *_ALIASES.get(_cls, ())))


def _factory(cls, name: str):
    def make(*args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], dict):
            return cls.from_config(args[0])  # TF.js style: glorot_normal({"seed": 1})
        return cls(*args, **kwargs)

    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"A new :class:`{cls.__name__}` (TF.js ``tf.initializers."
                    f"{name.split('_')[0]}{''.join(w.title() for w in name.split('_')[1:])}``)."
                    f"\n\n    Takes {cls.__name__}'s arguments, or one dict of them.\n")
    make._initializer_class = cls
    return make


zeros = _factory(Zeros, "zeros")
ones = _factory(Ones, "ones")
constant = _factory(Constant, "constant")
random_normal = _factory(RandomNormal, "random_normal")
random_uniform = _factory(RandomUniform, "random_uniform")
truncated_normal = _factory(TruncatedNormal, "truncated_normal")
identity = _factory(Identity, "identity")
variance_scaling = _factory(VarianceScaling, "variance_scaling")
glorot_uniform = _factory(GlorotUniform, "glorot_uniform")
glorot_normal = _factory(GlorotNormal, "glorot_normal")
he_normal = _factory(HeNormal, "he_normal")
he_uniform = _factory(HeUniform, "he_uniform")
lecun_normal = _factory(LecunNormal, "lecun_normal")
lecun_uniform = _factory(LecunUniform, "lecun_uniform")
orthogonal = _factory(Orthogonal, "orthogonal")


def serialize(initializer) -> dict | None:
    """``{"class_name": ..., "config": ...}`` of an initializer (None stays None).

    >>> serialize(Constant(1.0))
    {'class_name': 'Constant', 'config': {'value': 1.0}}
    """
    if initializer is None:
        return None
    if isinstance(initializer, str):
        initializer = get(initializer)
    if not isinstance(initializer, Initializer):
        raise InvalidArgumentError(f"initializers.serialize: cannot serialize {initializer!r}; "
                                   "only Initializer objects have a config")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config, custom_objects: dict | None = None):
    """An initializer from a name or a ``{"class_name", "config"}`` dict (Keras or TF.js)."""
    return get(config, custom_objects)


def get(identifier, custom_objects: dict | None = None):
    """Resolve an initializer: None, a name, a config dict, an object, a class or a callable.

    Strings resolve in any spelling (``'glorot_uniform'``, ``'GlorotUniform'``,
    ``'glorotUniform'``) to a new default instance. A NumPy array or tensor becomes an
    initializer that returns it (the shape must match).

    Raises:
        UnknownNameError: the name is not registered (the message lists those that are).

    >>> get('he_normal')
    HeNormal(seed=None, input_axes=None, output_axes=None)
    >>> get({'class_name': 'RandomUniform', 'config': {'minval': 0, 'maxval': 1, 'seed': 3}})
    RandomUniform(seed=3, minval=0, maxval=1)
    >>> get(None) is None
    True
    """
    from layerflow.engine.tensor import Tensor

    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = serialization.deserialize(KIND, identifier, custom_objects)
    elif isinstance(identifier, str):
        found = serialization.lookup(KIND, identifier, custom_objects)
    elif isinstance(identifier, (np.ndarray, Tensor)):
        return _from_value(identifier)
    else:
        found = identifier
    cls = getattr(found, "_initializer_class", None)
    if cls is not None:  # one of the lowercase factories, passed uncalled
        return cls()
    if isinstance(found, type):
        return found()
    if callable(found):
        return found
    raise InvalidArgumentError(f"cannot interpret {identifier!r} as an initializer: expected "
                               "a name, a config dict, an Initializer or a callable "
                               "(shape, dtype) -> tensor")


def _from_value(value):
    array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)

    def initialize(shape, dtype="float32"):
        from layerflow.ops.creation import tensor

        shape = _shape(shape, "initializer")
        if shape != tuple(array.shape):
            raise ShapeError(f"initializer: a value initializer has shape {array.shape}, asked "
                             f"for shape {shape}")
        return tensor(array, dtype=_dtype(dtype, "initializer"))

    return initialize
