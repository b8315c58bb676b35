"""Transposed convolution layers: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

A transposed convolution maps each input position to a ``kernel_size`` patch of the output,
``strides`` apart (the gradient of a convolution with respect to its input). The output size
follows Keras 3, per spatial axis, with ``k = (kernel_size - 1) * dilation_rate + 1``:

- ``'valid'``: ``(in - 1) * strides + k + output_padding``, where ``output_padding`` defaults
  to ``max(k, strides) - k``;
- ``'same'``: ``in * strides``, or with ``output_padding``
  ``(in - 1) * strides + k % 2 + output_padding``.

The kernel is ``(*kernel_size, filters, channels)`` (Keras's and TF.js's layout).

>>> import layerflow as lf
>>> from layerflow.layers.convolutional_transpose import Conv2DTranspose
>>> Conv2DTranspose(3, 3, strides=2, padding='same')(lf.ones([1, 4, 4, 2])).shape
(1, 8, 8, 3)
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.convolutional import _BaseConv, int_tuple, positive_int


def transpose_pads(k: int, stride: int, dilation: int, padding: str, output_padding):
    """Keras's ``(left, right)`` padding of the stride-dilated input (as ``jax.lax``'s
    ``conv_transpose``) for one axis."""
    k = (k - 1) * dilation + 1
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + extra
    if output_padding is None:
        total = stride + k - 2
    else:
        total = k + k % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, k - 1)
    return left, total - left


class _ConvTranspose(_BaseConv):
    """Base of the transposed convolutions.

    Args:
        filters: number of output channels (> 0).
        kernel_size: window size, an int or one int per spatial dimension.
        strides: upsampling step (int or tuple); > 1 excludes ``dilation_rate`` > 1.
        padding: ``'valid'`` or ``'same'`` (see the module's output size rules).
        output_padding: extra length added at the end of each spatial axis (each less than
            its stride), or None for Keras's default.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the kernel's taps.
        activation: activation name or function; None is linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: initializers (names, objects or callables).
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties in ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer update.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs) -> None:
        super().__init__(**kwargs)
        layer = type(self).__name__
        self.filters = positive_int(filters, "filters", layer)
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, activity_regularizer)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = int_tuple(output_padding, self._rank, "output_padding",
                                            layer, allow_zero=True)
            for i, (extra, s) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= s:
                    raise InvalidArgumentError(
                        f"{layer}: output_padding must be less than strides on every axis; "
                        f"axis {i} has output_padding {extra} and strides {s}")
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    def _plan(self, spatial):
        """Per axis: (output size, explicit pads of the adjoint convolution, zeros to append).

        The transposed convolution is the adjoint of a convolution with pads ``(p0, p1)``,
        ``p0 = k - 1 - left``, ``p1 = k - 1 - right``; a negative ``p1`` means trailing output
        positions no window reaches: they are computed as appended zeros."""
        plan = []
        for i, size in enumerate(spatial):
            k, s, d = self.kernel_size[i], self.strides[i], self.dilation_rate[i]
            extra = None if self.output_padding is None else self.output_padding[i]
            left, right = transpose_pads(k, s, d, self.padding, extra)
            k_eff = (k - 1) * d + 1
            p0, p1 = k_eff - 1 - left, k_eff - 1 - right
            out = None if size is None else (size - 1) * s + 1 + left + right - (k_eff - 1)
            plan.append((out, (p0, max(p1, 0)), max(-p1, 0)))
        return plan

    def _check_output_size(self, input_shape) -> None:
        for out, _, _ in self._plan(self._spatial(input_shape)):
            if out is not None and out <= 0:
                raise ShapeError(f"{self.name}: kernel_size {self.kernel_size}, strides "
                                 f"{self.strides} and output_padding {self.output_padding} "
                                 f"give an empty output for input shape "
                                 f"{tuple(input_shape)}")

    def build(self, input_shape) -> None:
        channels = self._channels(input_shape)
        self.kernel = self.add_weight("kernel", self.kernel_size + (self.filters, channels),
                                      None, self.kernel_initializer, self.kernel_regularizer,
                                      True, self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), None, self.bias_initializer,
                                        self.bias_regularizer, True, self.bias_constraint)
        self.input_channels = channels
        self.built = True

    def call(self, inputs):
        from layerflow.ops import conv_transpose as ct
        from layerflow.ops.shape import pad as pad_op

        n = self._rank
        plan = self._plan(self._spatial(inputs.shape))
        core = [None if out is None else out - zeros for out, _, zeros in plan]
        batch = inputs.shape[0]
        out_shape = ([batch, self.filters] + core) if self._first else (
            [batch] + core + [self.filters])
        pads = [p for _, p, _ in plan]
        if n == 1:
            y = ct.conv1d_transpose(inputs, self.kernel, out_shape, self.strides, pads,
                                    self._op_format, self.dilation_rate)
        elif n == 2:
            y = ct.conv2d_transpose(inputs, self.kernel, out_shape, self.strides, pads,
                                    data_format=self._op_format, dilations=self.dilation_rate)
        else:
            y = ct.conv3d_transpose(inputs, self.kernel, out_shape, self.strides, pads,
                                    self._op_format, self.dilation_rate)
        zeros = [z for _, _, z in plan]
        if any(zeros):
            spatial = [(0, z) for z in zeros]
            paddings = ([(0, 0), (0, 0)] + spatial) if self._first else (
                [(0, 0)] + spatial + [(0, 0)])
            y = pad_op(y, paddings)
        return self._bias_and_activation(y)

    def get_config(self) -> dict:
        config = super().get_config()
        config["output_padding"] = (None if self.output_padding is None
                                    else list(self.output_padding))
        return config


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution over ``(batch, steps, channels)`` (Keras ``Conv1DTranspose``).

    Args: as :class:`Conv2DTranspose` (one spatial dimension).

    >>> import layerflow as lf
    >>> layer = Conv1DTranspose(1, 2, kernel_initializer='ones', use_bias=False)
    >>> layer(lf.tensor([[[1.], [2.]]])).reshape([-1]).array_sync()
    [1.0, 3.0, 2.0]
    """

    _rank = 1


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution (Keras ``Conv2DTranspose``), e.g. to upsample images.

    Args:
        filters: number of output channels (> 0).
        kernel_size: window size, an int or two ints.
        strides: upsampling step (int or two ints); > 1 excludes ``dilation_rate`` > 1.
        padding: ``'valid'`` or ``'same'`` (output sizes in the module docstring).
        output_padding: extra length at the end of each spatial axis (less than its stride),
            or None for Keras's default.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the kernel's taps.
        activation: activation name or function; None is linear.
        use_bias: add a bias vector.
        kernel_initializer, bias_initializer: initializers.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties in ``losses``.
        kernel_constraint, bias_constraint: applied after each optimizer update.

    Weights: ``kernel`` ``(*kernel_size, filters, channels)``, then ``bias``.

    >>> import layerflow as lf
    >>> Conv2DTranspose(2, 3)(lf.ones([1, 4, 4, 1])).shape
    (1, 6, 6, 2)
    """

    _rank = 2


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution over volumes (Keras ``Conv3DTranspose``).

    Args: as :class:`Conv2DTranspose` (three spatial dimensions; note Keras's argument order,
    ``data_format`` before ``output_padding``).

    >>> import layerflow as lf
    >>> Conv3DTranspose(1, 2, strides=2)(lf.ones([1, 2, 2, 2, 1])).shape
    (1, 4, 4, 4, 1)
    """

    _rank = 3

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs) -> None:
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)
