"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, GlobalMaxPooling1D/2D and
GlobalAveragePooling1D/2D.

Arguments and defaults are Keras 3's (``strides=None`` means ``pool_size``;
``data_format=None`` means ``'channels_last'``); the arithmetic is TF.js's: ``'same'`` pads as
TF (the extra padding goes after), padding never wins a max and is left out of an average's
count. :class:`GlobalAveragePooling1D` takes a mask (padded steps are left out of the mean).

>>> import layerflow as lf
>>> from layerflow.layers.pooling import MaxPooling2D
>>> x = lf.tensor([1., 2., 3., 4.]).reshape([1, 2, 2, 1])
>>> MaxPooling2D()(x).reshape([-1]).array_sync()
[4.0]
"""

from __future__ import annotations

from layerflow.errors import ShapeError
from layerflow.layers.base import Layer
from layerflow.layers.convolutional import (
    _OP_FORMATS,
    check_input_rank,
    conv_output_size,
    data_format_of,
    int_tuple,
    padding_of,
)


class _Pooling(Layer):
    """Base of the windowed poolings.

    Args:
        pool_size: window size, an int or one int per spatial dimension.
        strides: step of the window; None means ``pool_size``.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    _rank = 2
    _mode = "max"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        layer = type(self).__name__
        self.pool_size = int_tuple(pool_size, self._rank, "pool_size", layer)
        self.strides = self.pool_size if strides is None else int_tuple(
            strides, self._rank, "strides", layer)
        self.padding = padding_of(padding, layer)
        self.data_format = data_format_of(data_format, layer)

    def _check_input_spec(self, inputs) -> None:
        check_input_rank(self, inputs, self._rank + 2)
        shape = tuple(inputs.shape)
        spatial = shape[2:] if self.data_format == "channels_first" else shape[1:-1]
        for size, k, s in zip(spatial, self.pool_size, self.strides):
            out = conv_output_size(size, k, s, 1, self.padding)
            if out is not None and out <= 0:
                raise ShapeError(f"{self.name}: pool_size {self.pool_size} is larger than the "
                                 f"input (shape {shape}) with padding 'valid'")

    def call(self, inputs):
        from layerflow.ops import pooling

        fns = {("max", 1): pooling.max_pool1d, ("max", 2): pooling.max_pool,
               ("max", 3): pooling.max_pool3d, ("avg", 1): pooling.avg_pool1d,
               ("avg", 2): pooling.avg_pool, ("avg", 3): pooling.avg_pool3d}
        fn = fns[(self._mode, self._rank)]
        fmt = _OP_FORMATS[(self._rank, self.data_format == "channels_first")]
        return fn(inputs, self.pool_size, self.strides, self.padding, data_format=fmt)

    def get_config(self) -> dict:
        # NOTE: written normalised (strides resolved from pool_size, tuples as lists), as
        # Keras writes them.
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format)
        return config


class MaxPooling1D(_Pooling):
    """1-D max pooling over ``(batch, steps, channels)`` (Keras ``MaxPooling1D``).

    Args: as :class:`MaxPooling2D` (one spatial dimension; ``pool_size`` defaults to 2).

    >>> import layerflow as lf
    >>> MaxPooling1D(2)(lf.tensor([[[1.], [3.], [2.], [0.]]])).reshape([-1]).array_sync()
    [3.0, 2.0]
    """

    _rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_Pooling):
    """2-D max pooling over images (Keras ``MaxPooling2D``).

    Args:
        pool_size: window size, an int or two ints (default 2x2).
        strides: step of the window; None means ``pool_size``.
        padding: ``'valid'`` or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import layerflow as lf
    >>> MaxPooling2D(2, strides=1, padding='same')(lf.ones([1, 3, 3, 2])).shape
    (1, 3, 3, 2)
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_Pooling):
    """3-D max pooling over volumes (Keras ``MaxPooling3D``).

    Args: as :class:`MaxPooling2D` (three spatial dimensions; default window 2x2x2).

    >>> import layerflow as lf
    >>> MaxPooling3D()(lf.ones([1, 4, 4, 4, 1])).shape
    (1, 2, 2, 2, 1)
    """

    _rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs) -> None:
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_Pooling):
    """1-D average pooling over ``(batch, steps, channels)`` (Keras ``AveragePooling1D``).

    Args: as :class:`AveragePooling2D` (one spatial dimension).

    >>> import layerflow as lf
    >>> AveragePooling1D(2)(lf.tensor([[[1.], [3.], [2.], [0.]]])).reshape([-1]).array_sync()
    [2.0, 1.0]
    """

    _rank = 1
    _mode = "avg"


class AveragePooling2D(_Pooling):
    """2-D average pooling over images (Keras ``AveragePooling2D``).

    Args:
        pool_size: window size, an int or two ints (required, as in Keras 3).
        strides: step of the window; None means ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (padding is left out of each window's count).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import layerflow as lf
    >>> x = lf.tensor([1., 2., 3., 4.]).reshape([1, 2, 2, 1])
    >>> AveragePooling2D(2)(x).item()
    2.5
    """

    _mode = "avg"


class AveragePooling3D(_Pooling):
    """3-D average pooling over volumes (Keras ``AveragePooling3D``).

    Args: as :class:`AveragePooling2D` (three spatial dimensions).

    >>> import layerflow as lf
    >>> AveragePooling3D(2)(lf.ones([1, 4, 4, 4, 1])).shape
    (1, 2, 2, 2, 1)
    """

    _rank = 3
    _mode = "avg"


# -- global pooling ---------------------------------------------------------------------------
class _GlobalPooling(Layer):
    """Base of the global poolings: reduce every spatial axis.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with length 1.
    """

    _rank = 2

    def __init__(self, data_format=None, keepdims=False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data_format = data_format_of(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    @property
    def _axes(self) -> list:
        start = 2 if self.data_format == "channels_first" else 1
        return list(range(start, start + self._rank))

    def _check_input_spec(self, inputs) -> None:
        check_input_rank(self, inputs, self._rank + 2)

    def get_config(self) -> dict:
        config = super().get_config()
        config["data_format"] = self.data_format  # NOTE: None written resolved, as Keras
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    """Maximum over the steps of ``(batch, steps, channels)`` (Keras ``GlobalMaxPooling1D``).

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the steps axis with length 1.

    >>> import layerflow as lf
    >>> GlobalMaxPooling1D()(lf.tensor([[[1., 5.], [3., 2.]]])).array_sync()
    [[3.0, 5.0]]
    """

    _rank = 1

    def call(self, inputs):
        from layerflow.ops.reduction import max as reduce_max

        return reduce_max(inputs, self._axes, self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling):
    """Maximum over height and width (Keras ``GlobalMaxPooling2D``).

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with length 1.

    >>> import layerflow as lf
    >>> GlobalMaxPooling2D(keepdims=True)(lf.ones([2, 3, 3, 4])).shape
    (2, 1, 1, 4)
    """

    def call(self, inputs):
        from layerflow.ops.reduction import max as reduce_max

        return reduce_max(inputs, self._axes, self.keepdims)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of ``(batch, steps, channels)`` (Keras ``GlobalAveragePooling1D``).

    With a mask ``(batch, steps)`` (from an Embedding with ``mask_zero`` or a Masking layer),
    masked steps are left out of the mean; the output carries no mask.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the steps axis with length 1.

    >>> import layerflow as lf
    >>> x = lf.tensor([[[1.], [3.], [8.]]])
    >>> GlobalAveragePooling1D()(x, mask=lf.tensor([[True, True, False]])).array_sync()
    [[2.0]]
    """

    _rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs) -> None:
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        from layerflow.ops.elementwise import cast
        from layerflow.ops.logical import where
        from layerflow.ops.reduction import mean
        from layerflow.ops.reduction import sum as reduce_sum
        from layerflow.ops.shape import expand_dims

        axis = self._axes[0]
        if mask is None:
            return mean(inputs, axis, self.keepdims)
        steps = inputs.shape[axis]
        if len(mask.shape) != 2 or (None not in (steps, mask.shape[1])
                                    and mask.shape[1] != steps):
            raise ShapeError(f"{self.name}: the mask must be (batch, steps) = "
                             f"({inputs.shape[0]}, {steps}) for input shape {inputs.shape}, "
                             f"got mask shape {tuple(mask.shape)}")
        keep = expand_dims(cast(mask, "bool"), 2 if axis == 1 else 1)
        total = reduce_sum(where(keep, inputs, 0.0), axis, self.keepdims)
        return total / reduce_sum(cast(keep, inputs.dtype), axis, self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width (Keras ``GlobalAveragePooling2D``).

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: keep the spatial axes with length 1.

    >>> import layerflow as lf
    >>> GlobalAveragePooling2D(data_format='channels_first')(lf.ones([2, 4, 3, 3])).shape
    (2, 4)
    """

    def call(self, inputs):
        from layerflow.ops.reduction import mean

        return mean(inputs, self._axes, self.keepdims)
