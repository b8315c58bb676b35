"""Spatial reshaping layers for images: ZeroPadding2D, UpSampling2D, Cropping2D.

All take ``(batch, rows, cols, channels)`` inputs (``data_format='channels_first'``:
``(batch, channels, rows, cols)``).

>>> import layerflow as lf
>>> from layerflow.layers.reshaping import ZeroPadding2D
>>> ZeroPadding2D(1)(lf.ones([1, 2, 2, 1])).shape
(1, 4, 4, 1)
"""

from __future__ import annotations

from layerflow.errors import InvalidArgumentError, ShapeError
from layerflow.layers.base import Layer
from layerflow.layers.core import _check_rank, _data_format
from layerflow.ops import image as _image
from layerflow.ops import joining as _joining
from layerflow.ops import shape as _shape
from layerflow.ops import slicing as _slicing


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _pairs(cls_name: str, name: str, value) -> tuple:
    """Keras's normalisation: ``n``, ``(rows, cols)`` or ``((top, bottom), (left, right))``."""
    if _is_count(value):
        return ((value, value), (value, value))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        if all(_is_count(v) for v in value):
            return ((value[0], value[0]), (value[1], value[1]))
        if all(isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_count(u) for u in v)
               for v in value):
            return (tuple(value[0]), tuple(value[1]))
    raise InvalidArgumentError(f"{cls_name}: {name} must be a non-negative int, a pair of them, "
                               f"or a pair of (before, after) pairs, got {value!r}")


def _spatial_axes(data_format: str) -> tuple:
    return (2, 3) if data_format == "channels_first" else (1, 2)


class ZeroPadding2D(Layer):
    """Pads rows and columns of images with zeros.

    Args:
        padding: ``n`` (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import layerflow as lf
    >>> from layerflow.layers.reshaping import ZeroPadding2D
    >>> ZeroPadding2D(((1, 0), (0, 2)))(lf.ones([1, 1, 1, 1])).reshape([2, 3]).array_sync()
    [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.padding = _pairs("ZeroPadding2D", "padding", padding)
        self.data_format = _data_format("ZeroPadding2D", data_format)

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, rank=4)

    def call(self, inputs):
        paddings = [[0, 0]] * 4
        rows, cols = _spatial_axes(self.data_format)
        paddings[rows], paddings[cols] = list(self.padding[0]), list(self.padding[1])
        return _shape.pad(inputs, paddings)


class UpSampling2D(Layer):
    """Repeats rows and columns of images ``size`` times (``'nearest'``) or interpolates them
    (``'bilinear'``, as Keras: half-pixel centres; TF.js's bilinear differs).

    Args:
        size: an int or ``(rows, cols)`` upsampling factors.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` or ``'bilinear'``.

    >>> import layerflow as lf
    >>> from layerflow.layers.reshaping import UpSampling2D
    >>> UpSampling2D((1, 2))(lf.tensor([[[[1.0], [2.0]]]])).reshape([4]).array_sync()
    [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest",
                 **kwargs) -> None:
        super().__init__(**kwargs)
        pair = (size, size) if isinstance(size, int) and not isinstance(size, bool) else size
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(
                _is_count(s) and s > 0 for s in pair):
            raise InvalidArgumentError(f"UpSampling2D: size must be a positive int or a pair of "
                                       f"them, got {size!r}")
        if interpolation not in ("nearest", "bilinear"):
            raise InvalidArgumentError(f"UpSampling2D: interpolation must be 'nearest' or "
                                       f"'bilinear', got {interpolation!r}")
        self.size = tuple(pair)
        self.data_format = _data_format("UpSampling2D", data_format)
        self.interpolation = interpolation

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, rank=4)
        rows, cols = _spatial_axes(self.data_format)
        if inputs.shape[rows] is None or inputs.shape[cols] is None:
            raise ShapeError(f"{self.name}: rows and columns of the input must be known, got "
                             f"shape {tuple(inputs.shape)}")

    def call(self, inputs):
        x = inputs
        if self.data_format == "channels_first":
            x = _shape.transpose(x, (0, 2, 3, 1))
        _, h, w, c = x.shape
        sh, sw = self.size
        if self.interpolation == "bilinear":
            x = _image.resize_bilinear(x, [h * sh, w * sw], half_pixel_centers=True)
        else:
            x = _shape.reshape(x, (-1, h, 1, w, 1, c))
            x = _joining.tile(x, (1, 1, sh, 1, sw, 1))
            x = _shape.reshape(x, (-1, h * sh, w * sw, c))
        if self.data_format == "channels_first":
            x = _shape.transpose(x, (0, 3, 1, 2))
        return x


class Cropping2D(Layer):
    """Crops rows and columns off the borders of images.

    Args:
        cropping: ``n`` (all sides), ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import layerflow as lf
    >>> from layerflow.layers.reshaping import Cropping2D
    >>> Cropping2D(((1, 0), (0, 1)))(lf.ones([1, 3, 3, 2])).shape
    (1, 2, 2, 2)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cropping = _pairs("Cropping2D", "cropping", cropping)
        self.data_format = _data_format("Cropping2D", data_format)

    def _check_input_spec(self, inputs) -> None:
        _check_rank(self, inputs, rank=4)
        for axis, (before, after) in zip(_spatial_axes(self.data_format), self.cropping):
            size = inputs.shape[axis]
            if size is None and after:
                raise ShapeError(f"{self.name}: cropping the end of an axis of unknown size is "
                                 f"not supported, got input shape {tuple(inputs.shape)}")
            if size is not None and before + after >= size:
                raise ShapeError(f"{self.name}: cropping {self.cropping} leaves nothing of "
                                 f"input shape {tuple(inputs.shape)}")

    def call(self, inputs):
        begin, size = [0, 0, 0, 0], [-1, -1, -1, -1]
        for axis, (before, after) in zip(_spatial_axes(self.data_format), self.cropping):
            begin[axis] = before
            dim = inputs.shape[axis]
            size[axis] = -1 if dim is None else dim - before - after
        return _slicing.slice(inputs, begin, size)


# NOTE: configs hold the normalized values, as Keras 3 writes them; TF.js needs them so (it
# reads UpSampling2D's size as a pair and would compute NaN shapes from a single int).
def _normalized_config(layer, **values) -> dict:
    config = Layer.get_config(layer)
    config.update(values)
    config["data_format"] = layer.data_format
    return config


ZeroPadding2D.get_config = lambda self: _normalized_config(
    self, padding=[list(p) for p in self.padding])
UpSampling2D.get_config = lambda self: _normalized_config(self, size=list(self.size))
Cropping2D.get_config = lambda self: _normalized_config(
    self, cropping=[list(c) for c in self.cropping])
