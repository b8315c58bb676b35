"""Convolution layers: Conv1D (with ``'causal'`` padding), Conv2D, Conv3D, DepthwiseConv2D and
SeparableConv2D; the transposed ones live in ``layers/convolutional_transpose.py``.

Arguments, defaults, weight names and weight order are Keras 3's; the arithmetic is TF.js's
(``'same'`` pads as TF: the output has ``ceil(in / stride)`` positions, the extra padding goes
after). ``data_format=None`` means ``'channels_last'``. ``strides > 1`` together with
``dilation_rate > 1`` is refused, as in Keras and TF.js. ``groups > 1`` splits the channels into
groups, each convolved with its own ``filters // groups`` filters (Keras's grouped convolution).

>>> import layerflow as lf
>>> from layerflow.layers.convolutional import Conv2D
>>> Conv2D(4, 3, padding='same', kernel_initializer='ones')(lf.ones([1, 5, 5, 2])).shape
(1, 5, 5, 4)
"""

from __future__ import annotations

from layerflow import activations
from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.base import Layer

# the ops' data_format names, by (spatial rank, channels_first)
_OP_FORMATS = {(1, False): "NWC", (1, True): "NCW", (2, False): "NHWC", (2, True): "NCHW",
               (3, False): "NDHWC", (3, True): "NCDHW"}


# -- argument checks (shared with layers/pooling.py and layers/convolutional_transpose.py) ---------
def int_tuple(value, n: int, name: str, layer: str, allow_zero: bool = False) -> tuple:
    """An int or ``n`` ints (all > 0, or >= 0 with ``allow_zero``) as a tuple of ``n`` ints."""
    items = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        result = tuple(items)
        ok = len(result) == n and all(isinstance(v, int) and not isinstance(v, bool)
                                      for v in result)
    except TypeError:
        ok = False
    least = 0 if allow_zero else 1
    if not ok or any(v < least for v in result):
        what = "non-negative" if allow_zero else "positive"
        raise InvalidArgumentError(f"{layer}: {name} must be a {what} int or a tuple of {n} "
                                   f"{what} ints, got {value!r}")
    return result


def data_format_of(value, layer: str) -> str:
    """``'channels_last'`` (also for None) or ``'channels_first'``; anything else is an error."""
    if value is None:
        return "channels_last"
    if not isinstance(value, str) or value.lower() not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(f"{layer}: data_format must be 'channels_last' or "
                                   f"'channels_first', got {value!r}")
    return value.lower()


def padding_of(value, layer: str, allowed=("valid", "same")) -> str:
    """The padding mode, lower-cased, one of ``allowed``."""
    if not isinstance(value, str) or value.lower() not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        raise InvalidArgumentError(f"{layer}: padding must be one of {names}, got {value!r}")
    return value.lower()


def positive_int(value, name: str, layer: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidArgumentError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return value


def check_input_rank(layer, inputs, rank: int) -> None:
    """A ShapeError naming the layer when ``inputs`` is not of rank ``rank``."""
    shape = getattr(inputs, "shape", None)
    if shape is not None and len(shape) != rank:
        raise ShapeError(f"{layer.name} ({type(layer).__name__}): expected input of rank {rank} "
                         f"(batch, {rank - 2} spatial dims and channels), got shape "
                         f"{tuple(shape)}")


def conv_output_size(size, k, stride, dilation, padding):
    """Keras's (and TF's) output length of a convolution or pooling along one axis."""
    if size is None:
        return None
    extent = (k - 1) * dilation + 1
    if padding == "same":
        return -(-size // stride)
    return (size - extent) // stride + 1


# -- the shared base -------------------------------------------------------------------------------
class _BaseConv(Layer):
    """What every convolution layer shares: input checks, channel axis, bias and activation."""

    _leaves_cores_idle = True  # NOTE: W2's convolutions used about one core of two

    _rank = 2

    def _setup(self, kernel_size, strides, padding, data_format, dilation_rate, activation,
               use_bias, activity_regularizer, paddings=("valid", "same")) -> None:
        from layerflow import regularizers

        layer = type(self).__name__
        n = self._rank
        self.kernel_size = int_tuple(kernel_size, n, "kernel_size", layer)
        self.strides = int_tuple(strides, n, "strides", layer)
        self.dilation_rate = int_tuple(dilation_rate, n, "dilation_rate", layer)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise InvalidArgumentError(f"{layer}: strides > 1 cannot be combined with "
                                       f"dilation_rate > 1, got strides={self.strides} and "
                                       f"dilation_rate={self.dilation_rate}")
        self.padding = padding_of(padding, layer, paddings)
        self.data_format = data_format_of(data_format, layer)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.input_channels = None

    @property
    def _first(self) -> bool:
        return self.data_format == "channels_first"

    @property
    def _op_format(self) -> str:
        return _OP_FORMATS[(self._rank, self._first)]

    def _channels(self, input_shape) -> int:
        """The input's channel count, which must be known; also checks the rank."""
        shape = tuple(input_shape)
        if len(shape) != self._rank + 2:
            raise ShapeError(f"{self.name} ({type(self).__name__}): expected input of rank "
                             f"{self._rank + 2}, got shape {shape}")
        channels = shape[1] if self._first else shape[-1]
        if channels is None:
            raise ShapeError(f"{self.name}: the channel dimension of the input must be known "
                             f"({self.data_format}), got shape {shape}")
        return channels

    def _spatial(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        return shape[2:] if self._first else shape[1:-1]

    def _check_output_size(self, input_shape) -> None:
        """A ShapeError naming the layer when the window does not fit the input."""
        for size, k, s, d in zip(self._spatial(input_shape), self.kernel_size, self.strides,
                                 self.dilation_rate):
            out = conv_output_size(size, k, s, d, "same" if self.padding == "same" else "valid")
            if self.padding == "causal" and size is not None:
                out = (size - 1) // s + 1
            if out is not None and out <= 0:
                raise ShapeError(f"{self.name}: the window (kernel_size {self.kernel_size}, "
                                 f"dilation_rate {self.dilation_rate}) is larger than the input "
                                 f"(shape {tuple(input_shape)}) with padding '{self.padding}'")

    def _check_input_spec(self, inputs) -> None:
        check_input_rank(self, inputs, self._rank + 2)
        shape = getattr(inputs, "shape", None)
        if shape is not None:
            self._check_output_size(shape)
        if self.built and shape is not None:
            channels = shape[1] if self._first else shape[-1]
            if channels is not None and channels != self.input_channels:
                raise ShapeError(f"{self.name}: expected {self.input_channels} input channels "
                                 f"({self.data_format}), got shape {tuple(shape)}")

    def _bias_and_activation(self, y):
        if self.use_bias:
            bias = self.bias
            if self._first:
                from layerflow.ops.shape import reshape

                bias = reshape(bias, (bias.shape[0],) + (1,) * self._rank)
            y = y + bias
        return self.activation(y)

    def get_config(self) -> dict:
        # NOTE: written normalised (tuples as lists, the data_format resolved), as Keras writes
        # them, so files carry the same values whichever spelling the constructor got.
        config = super().get_config()
        config.update(kernel_size=list(self.kernel_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format,
                      dilation_rate=list(self.dilation_rate),
                      activation=activations.serialize(self.activation))
        return config


class _Conv(_BaseConv):
    """Base of Conv1D/2D/3D: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        filters: number of output channels (> 0, divisible by ``groups``).
        kernel_size: window size, an int or one int per spatial dimension.
        strides: step of the window (int or tuple); > 1 excludes ``dilation_rate`` > 1.
        padding: ``'valid'`` or ``'same'`` (Conv1D also ``'causal'``).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the window's taps (int or tuple).
        groups: split the input channels into this many groups, each with its own filters.
        activation: activation name or function; None is linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: initializers (names, objects or callables).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties in ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer update.
    """

    _paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs) -> None:
        super().__init__(**kwargs)
        layer = type(self).__name__
        self.filters = positive_int(filters, "filters", layer)
        self.groups = positive_int(groups, "groups", layer)
        if filters % groups:
            raise InvalidArgumentError(f"{layer}: filters ({filters}) must be divisible by "
                                       f"groups ({groups})")
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, activity_regularizer, self._paddings)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape) -> None:
        channels = self._channels(input_shape)
        if channels % self.groups:
            raise ShapeError(f"{self.name}: the input's {channels} channels must be divisible "
                             f"by groups ({self.groups}), got shape {tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels // self.groups,
                                                                    self.filters),
                                      None, self.kernel_initializer, self.kernel_regularizer,
                                      True, self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), None, self.bias_initializer,
                                        self.bias_regularizer, True, self.bias_constraint)
        self.input_channels = channels
        self.built = True

    def _conv(self, x, kernel, pad):
        from layerflow.ops import conv

        fn = {1: conv.conv1d, 2: conv.conv2d, 3: conv.conv3d}[self._rank]
        return fn(x, kernel, self.strides, pad, self._op_format, self.dilation_rate)

    def _pad(self):
        return self.padding

    def call(self, inputs):
        pad = self._pad()
        if self.groups == 1:
            y = self._conv(inputs, self.kernel, pad)
        else:
            from layerflow.ops.joining import concat, split

            # NOTE: grouped convolution by feature splitting: group g sees input channels
            # [g*C/G, (g+1)*C/G) and owns filters [g*F/G, (g+1)*F/G), as Keras's
            # feature_group_count.
            axis = 1 if self._first else self._rank + 1
            xs = split(inputs, self.groups, axis)
            ks = split(self.kernel, self.groups, self._rank + 1)
            y = concat([self._conv(x, k, pad) for x, k in zip(xs, ks)], axis)
        return self._bias_and_activation(y)


class Conv1D(_Conv):
    """1-D convolution over ``(batch, steps, channels)`` (Keras ``Conv1D``).

    ``padding='causal'`` pads ``dilation_rate * (kernel_size - 1)`` zeros before the steps
    only, so output step ``t`` sees no input after ``t``.

    Args: as :class:`Conv2D` (one spatial dimension).

    >>> import layerflow as lf
    >>> layer = Conv1D(1, 2, padding='causal', kernel_initializer='ones', use_bias=False)
    >>> layer(lf.tensor([[[1.], [2.], [3.]]])).reshape([-1]).array_sync()
    [1.0, 3.0, 5.0]
    """

    _rank = 1
    _paddings = ("valid", "same", "causal")

    def _pad(self):
        if self.padding == "causal":
            return [(self.dilation_rate[0] * (self.kernel_size[0] - 1), 0)]
        return self.padding


class Conv2D(_Conv):
    """2-D convolution over images ``(batch, height, width, channels)`` (Keras ``Conv2D``).

    Args:
        filters: number of output channels (> 0, divisible by ``groups``).
        kernel_size: window size, an int or two ints.
        strides: step of the window (int or two ints); > 1 excludes ``dilation_rate`` > 1.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the window's taps (int or two ints).
        groups: split the input channels into this many groups, each with its own filters.
        activation: activation name or function; None is linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: initializers (names, objects or callables).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties in ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer update.

    Weights: ``kernel`` ``(*kernel_size, channels // groups, filters)``, then ``bias``.

    >>> import layerflow as lf
    >>> Conv2D(3, 2, strides=2)(lf.ones([1, 4, 4, 2])).shape
    (1, 2, 2, 3)
    """

    _rank = 2


class Conv3D(_Conv):
    """3-D convolution over volumes ``(batch, depth, height, width, channels)`` (Keras ``Conv3D``).

    Args: as :class:`Conv2D` (three spatial dimensions).

    >>> import layerflow as lf
    >>> Conv3D(2, 2)(lf.ones([1, 3, 3, 3, 1])).shape
    (1, 2, 2, 2, 2)
    """

    _rank = 3


class DepthwiseConv2D(_BaseConv):
    """Depthwise 2-D convolution: each input channel convolved with its own
    ``depth_multiplier`` filters (Keras ``DepthwiseConv2D``).

    Args:
        kernel_size: window size, an int or two ints.
        strides: step of the window (int or two ints); > 1 excludes ``dilation_rate`` > 1.
        padding: ``'valid'`` or ``'same'``.
        depth_multiplier: output channels per input channel (> 0).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the window's taps.
        activation: activation name or function; None is linear.
        use_bias: add a bias vector (``channels * depth_multiplier``).
        depthwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties in ``losses``.
        depthwise_constraint, bias_constraint: applied after each optimizer update.

    Weights: ``kernel`` ``(*kernel_size, channels, depth_multiplier)`` (Keras 3's name; TF.js
    calls it ``depthwise_kernel``, also available as that attribute), then ``bias``. Output
    channel ``c * depth_multiplier + m`` comes from input channel ``c``.

    >>> import layerflow as lf
    >>> DepthwiseConv2D(3, depth_multiplier=2)(lf.ones([1, 4, 4, 3])).shape
    (1, 2, 2, 6)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier",
                                             type(self).__name__)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, activity_regularizer)
        self.depthwise_initializer = depthwise_initializer
        self.bias_initializer = bias_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.bias_regularizer = bias_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape) -> None:
        channels = self._channels(input_shape)
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels,
                                                                    self.depth_multiplier),
                                      None, self.depthwise_initializer,
                                      self.depthwise_regularizer, True,
                                      self.depthwise_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (channels * self.depth_multiplier,), None,
                                        self.bias_initializer, self.bias_regularizer, True,
                                        self.bias_constraint)
        self.input_channels = channels
        self.built = True

    @property
    def depthwise_kernel(self):
        """The depthwise kernel (TF.js's name for :attr:`kernel`)."""
        return self.kernel

    def call(self, inputs):
        from layerflow.ops.conv import depthwise_conv2d

        y = depthwise_conv2d(inputs, self.kernel, self.strides, self.padding, self._op_format,
                             self.dilation_rate)
        return self._bias_and_activation(y)


class SeparableConv2D(_BaseConv):
    """Depthwise 2-D convolution, then a 1x1 convolution mixing the channels
    (Keras ``SeparableConv2D``).

    Args:
        filters: number of output channels (> 0).
        kernel_size: window size of the depthwise step, an int or two ints.
        strides: step of the window; > 1 excludes ``dilation_rate`` > 1.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the depthwise window's taps.
        depth_multiplier: depthwise output channels per input channel (> 0).
        activation: activation name or function; None is linear.
        use_bias: add a bias vector (``filters``).
        depthwise_initializer, pointwise_initializer, bias_initializer: initializers.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer:
            penalties in ``losses``.
        depthwise_constraint, pointwise_constraint, bias_constraint: applied after each
            optimizer update.

    Weights, in order: ``depthwise_kernel`` ``(*kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, 1, channels * depth_multiplier, filters)``, ``bias``.

    >>> import layerflow as lf
    >>> SeparableConv2D(5, 3, padding='same')(lf.ones([1, 4, 4, 2])).shape
    (1, 4, 4, 5)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        layer = type(self).__name__
        self.filters = positive_int(filters, "filters", layer)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", layer)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, activity_regularizer)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.bias_initializer = bias_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.bias_regularizer = bias_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.bias_constraint = bias_constraint

    def build(self, input_shape) -> None:
        channels = self._channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier), None,
            self.depthwise_initializer, self.depthwise_regularizer, True,
            self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters), None,
            self.pointwise_initializer, self.pointwise_regularizer, True,
            self.pointwise_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), None, self.bias_initializer,
                                        self.bias_regularizer, True, self.bias_constraint)
        self.input_channels = channels
        self.built = True

    def call(self, inputs):
        from layerflow.ops.conv import separable_conv2d

        y = separable_conv2d(inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides,
                             self.padding, self.dilation_rate, self._op_format)
        return self._bias_and_activation(y)
