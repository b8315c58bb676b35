"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Permute, RepeatVector.

>>> import layerflow as lf
>>> layer = lf.layers.Dense(2, kernel_initializer='ones', name='d')
>>> layer(lf.ones([1, 3])).array_sync()
[[3.0, 3.0]]
"""

from __future__ import annotations

from layerflow import activations
from layerflow.engine.context import ENGINE
from layerflow.engine.symbolic import SymbolicTensor
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.base import Layer
from layerflow.ops import elementwise as _elementwise
from layerflow.ops import joining as _joining
from layerflow.ops import logical as _logical
from layerflow.ops import matrices as _matrices
from layerflow.ops import random as _random
from layerflow.ops import reduction as _reduction
from layerflow.ops import shape as _shape


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` over the last axis (Keras ``Dense``).

    Args:
        units: output size (> 0).
        activation: activation name or function; None is linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: initializers (names, objects or callables).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties in ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer update.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise InvalidArgumentError(f"Dense: units must be a positive integer, got {units!r}")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        from layerflow import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.supports_masking = True

    def build(self, input_shape) -> None:
        last = input_shape[-1] if input_shape else None
        if last is None:
            raise ShapeError(f"{self.name}: the last dimension of the input must be known, got "
                             f"{tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (last, self.units), None,
                                      self.kernel_initializer, self.kernel_regularizer, True,
                                      self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), None, self.bias_initializer,
                                        self.bias_regularizer, True, self.bias_constraint)
        self.input_dim = last
        self.built = True

    def _check_input_spec(self, inputs) -> None:
        if self.built and getattr(inputs, "shape", None) is not None:
            last = inputs.shape[-1] if inputs.shape else None
            if last is not None and last != self.input_dim:
                raise ShapeError(f"{self.name}: expected input last dim {self.input_dim}, got "
                                 f"shape {tuple(inputs.shape)}")

    def call(self, inputs):
        x = inputs
        if x.rank > 2:
            lead = x.shape[:-1]
            y = _matrices.mat_mul(_shape.reshape(x, (-1, x.shape[-1])), self.kernel)
            y = _shape.reshape(y, tuple(-1 if d is None else d for d in lead) + (self.units,))
        else:
            y = _matrices.mat_mul(x, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def get_config(self) -> dict:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


# -- shared helpers (used by the other layer families too) -----------------------------------------
def _shape_of(inputs) -> tuple:
    return tuple(inputs.shape)


def _check_rank(layer, inputs, rank=None, min_rank=None) -> None:
    """Raise a ShapeError naming ``layer`` when ``inputs`` has the wrong rank."""
    shape = getattr(inputs, "shape", None)
    if shape is None:
        return
    if rank is not None and len(shape) != rank:
        raise ShapeError(f"{layer.name}: expected input of rank {rank} (batch included), got "
                         f"shape {tuple(shape)}")
    if min_rank is not None and len(shape) < min_rank:
        raise ShapeError(f"{layer.name}: expected input of rank >= {min_rank} (batch included), "
                         f"got shape {tuple(shape)}")


def _check_rate(cls_name: str, rate, upper_open: bool = True) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not (
            0 <= rate < 1 if upper_open else 0 <= rate <= 1):
        raise InvalidArgumentError(f"{cls_name}: rate must be a number in [0, 1), got {rate!r}")
    return float(rate)


def _check_seed(cls_name: str, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgumentError(f"{cls_name}: seed must be an integer or None, got {seed!r}")
    return seed


def _draw_seed(layer):
    """The seed of a layer's next random draw.

    Without a layer seed: None, so the op takes the next value of the global ``lf.set_seed``
    sequence. With one: ``seed`` on the first call, then a new derived seed per call (as Keras's
    SeedGenerator), so a layer made with the same seed repeats the same sequence of masks.
    Inside ``lf.compile`` the traced call's key is used (one per compiled call).
    """
    if layer.seed is None or ENGINE.trace_depth > 0:
        return None
    count = layer.__dict__.get("_draws", 0)
    object.__setattr__(layer, "_draws", count + 1)
    return int(layer.seed) + count * 2 ** 32


def _is_symbolic(inputs) -> bool:
    return isinstance(inputs, SymbolicTensor)


class Activation(Layer):
    """Applies an activation function to its input (Keras/TF.js ``Activation``).

    Args:
        activation: activation name (``'relu'``, ``'softmax'`` ...) or function.

    >>> import layerflow as lf
    >>> lf.layers.core.Activation('relu')(lf.tensor([-1.0, 2.0])).array_sync()
    [0.0, 2.0]
    """

    def __init__(self, activation, **kwargs) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """In training, zeroes a ``rate`` fraction of the inputs and scales the rest by
    ``1 / (1 - rate)``; at inference returns the input unchanged.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the keep/drop mask, broadcast over the input (None entries take
            the input's size), e.g. ``(batch, 1, features)`` to drop the same features at every
            timestep.
        seed: makes the sequence of masks reproducible (otherwise ``lf.set_seed``'s sequence).

    >>> import layerflow as lf
    >>> layer = lf.layers.core.Dropout(0.5, seed=1)
    >>> layer(lf.ones([4])).array_sync()
    [1.0, 1.0, 1.0, 1.0]
    >>> sorted(set(layer(lf.ones([100]), training=True).array_sync()))
    [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = _check_rate("Dropout", rate)
        if noise_shape is not None:
            if not isinstance(noise_shape, (list, tuple)) or not all(
                    d is None or (isinstance(d, int) and d > 0) for d in noise_shape):
                raise InvalidArgumentError(f"Dropout: noise_shape must be a list of positive "
                                           f"ints or None entries, got {noise_shape!r}")
            noise_shape = tuple(noise_shape)
        self.noise_shape = noise_shape
        self.seed = _check_seed("Dropout", seed)
        self.supports_masking = True

    def _check_input_spec(self, inputs) -> None:
        shape = getattr(inputs, "shape", None)
        if self.noise_shape is None or shape is None:
            return
        ok = len(shape) == len(self.noise_shape) and all(
            n is None or s is None or n in (1, s) for n, s in zip(self.noise_shape, shape))
        if not ok:
            raise ShapeError(f"{self.name}: noise_shape {self.noise_shape} does not broadcast "
                             f"to the input shape {tuple(shape)}")

    def call(self, inputs, training=None):
        if not training or self.rate == 0 or _is_symbolic(inputs):
            return inputs
        return _dropout(inputs, self.rate, self.noise_shape, _draw_seed(self))


def _dropout(inputs, rate, noise_shape, seed):
    shape = tuple(inputs.shape)
    if noise_shape is not None:
        shape = tuple(s if n is None else n for n, s in zip(noise_shape, shape))
    keep = _logical.greater_equal(_random.random_uniform(shape, seed=seed), rate)
    return inputs * (1.0 / (1.0 - rate)) * _cast(keep, inputs.dtype)


def _cast(x, dtype):
    return _elementwise.cast(x, dtype)


class Flatten(Layer):
    """Flattens each sample to one dimension: ``(batch, d1, d2, ...) -> (batch, d1*d2*...)``.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``; with
            ``'channels_first'`` the channels axis is moved last first, so the order of the
            values matches a channels-last model's.

    >>> import layerflow as lf
    >>> lf.layers.core.Flatten()(lf.zeros([2, 3, 4])).shape
    (2, 12)
    """

    def __init__(self, data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_format = _data_format("Flatten", data_format)
        self.supports_masking = True

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, min_rank=1)

    def call(self, inputs):

        x = inputs
        if self.data_format == "channels_first" and x.rank > 2:
            x = _shape.transpose(x, (0,) + tuple(range(2, x.rank)) + (1,))
        rest = x.shape[1:]
        if all(d is not None for d in rest):
            size = 1
            for d in rest:
                size *= d
            return _shape.reshape(x, (-1, size))
        if x.shape[0] is not None:
            return _shape.reshape(x, (x.shape[0], -1))
        raise ShapeError(f"{self.name}: cannot flatten a shape with an unknown batch and "
                         f"unknown sample dimensions: {tuple(x.shape)}")

    def compute_mask(self, inputs, mask=None):
        return None


def _data_format(cls_name: str, data_format) -> str:
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(f"{cls_name}: data_format must be 'channels_last' or "
                                   f"'channels_first', got {data_format!r}")
    return data_format


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch dimension is kept).

    Args:
        target_shape: the new shape of one sample; one entry may be -1 (inferred).

    >>> import layerflow as lf
    >>> lf.layers.core.Reshape((3, 2))(lf.zeros([1, 6])).shape
    (1, 3, 2)
    """

    def __init__(self, target_shape, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(target_shape, (list, tuple)) or not all(
                isinstance(d, int) and not isinstance(d, bool) and (d > 0 or d == -1)
                for d in target_shape) or list(target_shape).count(-1) > 1:
            raise InvalidArgumentError(f"Reshape: target_shape must be a list of positive ints "
                                       f"with at most one -1, got {target_shape!r}")
        self.target_shape = tuple(target_shape)

    def _resolve(self, shape) -> tuple:
        rest = shape[1:]
        known = 1
        for d in self.target_shape:
            known *= d if d != -1 else 1
        if any(d is None for d in rest):
            return self.target_shape
        total = 1
        for d in rest:
            total *= d
        if -1 in self.target_shape:
            if total % known:
                raise ShapeError(f"{self.name}: cannot reshape input shape {tuple(shape)} to "
                                 f"target_shape {self.target_shape}")
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if total != known:
            raise ShapeError(f"{self.name}: cannot reshape input shape {tuple(shape)} "
                             f"({total} values per sample) to target_shape {self.target_shape} "
                             f"({known} values)")
        return self.target_shape

    def _check_input_spec(self, inputs) -> None:
        if getattr(inputs, "shape", None) is not None:
            self._resolve(inputs.shape)

    def call(self, inputs):

        target = self._resolve(inputs.shape)
        batch = inputs.shape[0]
        if -1 in target:
            if batch is None:
                raise ShapeError(f"{self.name}: cannot infer -1 in target_shape {target} with "
                                 f"unknown sample dimensions in {tuple(inputs.shape)}")
            return _shape.reshape(inputs, (batch,) + target)
        return _shape.reshape(inputs, (-1,) + target)


class Permute(Layer):
    """Permutes the non-batch axes of each sample.

    Args:
        dims: a permutation of ``1..n`` (1-based; the batch axis 0 stays first).

    >>> import layerflow as lf
    >>> lf.layers.core.Permute((2, 1))(lf.zeros([1, 3, 4])).shape
    (1, 4, 3)
    """

    def __init__(self, dims, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(dims, (list, tuple)) or sorted(dims) != list(range(1, len(dims) + 1)):
            raise InvalidArgumentError(f"Permute: dims must be a permutation of 1..{len(dims)} "
                                       f"(1-based, the batch axis is not included), got "
                                       f"{dims!r}" if isinstance(dims, (list, tuple)) else
                                       f"Permute: dims must be a list of ints, got {dims!r}")
        self.dims = tuple(dims)

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, rank=len(self.dims) + 1)

    def call(self, inputs):

        return _shape.transpose(inputs, (0,) + self.dims)


class RepeatVector(Layer):
    """Repeats each sample ``n`` times: ``(batch, features) -> (batch, n, features)``.

    Args:
        n: number of repetitions (> 0).

    >>> import layerflow as lf
    >>> lf.layers.core.RepeatVector(2)(lf.tensor([[1.0, 2.0]])).array_sync()
    [[[1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise InvalidArgumentError(f"RepeatVector: n must be a positive integer, got {n!r}")
        self.n = n

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, rank=2)

    def call(self, inputs):

        return _joining.tile(_shape.expand_dims(inputs, 1), (1, self.n, 1))


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``: they are zeroed, and later
    layers that support masking (RNNs, pooling, merges ...) skip them.

    Args:
        mask_value: the padding value.

    >>> import layerflow as lf
    >>> layer = lf.layers.core.Masking(0.0)
    >>> x = lf.tensor([[[1.0], [0.0]]])
    >>> layer.compute_mask(x).array_sync()
    [[True, False]]
    """

    def __init__(self, mask_value=0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs, keepdims):
        keep = _logical.not_equal(inputs, self.mask_value)
        return _reduction.any(keep, axis=-1, keepdims=keepdims)

    def call(self, inputs):
        return inputs * _cast(self._keep(inputs, True), inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs, False)
