"""Image ops (``lf.image``): resizing, cropping, flips, rotations, projective transforms, colour
conversion, thresholding and non-max suppression, as TF.js's ``tf.image.*``.

Images are NHWC (``[batch, height, width, channels]``); the resizes also take one HWC image.
The two resizes differentiate with respect to the image (their backward kernels apply the
transposed interpolation); the samplers TF.js gives no gradient (``crop_and_resize``,
``rotate_with_offset``, ``transform``) raise :class:`NotSupportedError` when differentiated.

>>> import layerflow as lf
>>> lf.image.resize_nearest_neighbor(lf.tensor([[[1.0], [2.0]]]), [1, 4]).shape
(1, 4, 1)
"""

from __future__ import annotations

import math

import numpy as np

from layerflow.engine import dtypes
from layerflow.errors import DTypeError, InvalidArgumentError, NotSupportedError, ShapeError
from layerflow.ops._define import as_tensor, chainable, is_symbolic, run

__all__ = ["resize_bilinear", "resize_nearest_neighbor", "crop_and_resize", "flip_left_right",
           "rotate_with_offset", "transform", "grayscale_to_rgb", "rgb_to_grayscale",
           "threshold", "non_max_suppression", "non_max_suppression_with_score",
           "non_max_suppression_padded"]


# -- helpers -------------------------------------------------------------------------------
def _size_pair(size, name: str, op: str) -> tuple[int, int]:
    try:
        pair = tuple(int(s) for s in size)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{op}: {name} must be [height, width], got {size!r}") \
            from None
    if len(pair) != 2 or any(s <= 0 for s in pair):
        raise InvalidArgumentError(f"{op}: {name} must be two positive integers "
                                   f"[height, width], got {size!r}")
    return pair


def _no_grad(op: str):
    def grad(dy, inputs, out, attrs):
        raise NotSupportedError(f"{op}: no gradient is defined (TF.js defines none either)")

    return grad


def _rank4(x, op: str, name: str = "image"):
    if x.rank != 4:
        raise ShapeError(f"{op}: {name} must be rank 4 [batch, height, width, channels], got "
                         f"shape {x.shape}")


# -- resizing ----------------------------------------------------------------------------------
def _resize(kernel: str, images, size, align_corners, half_pixel_centers, grad):
    from layerflow.ops.elementwise import cast
    from layerflow.ops.shape import reshape

    x = as_tensor(images, "images", kernel)
    if x.rank not in (3, 4):
        raise ShapeError(f"{kernel}: images must be rank 3 or 4 (HWC or NHWC), got shape "
                         f"{x.shape}")
    size = _size_pair(size, "size", kernel)
    if align_corners and half_pixel_centers:
        raise InvalidArgumentError(f"{kernel}: half_pixel_centers and align_corners cannot "
                                   "both be true")
    if x.dtype in ("string", "complex64"):
        raise DTypeError(f"{kernel}: expected a real numeric tensor, got dtype {x.dtype}")
    dtype = x.dtype
    if kernel == "resize_bilinear" and not dtypes.is_floating_or_complex(dtype):
        x, dtype = cast(x, "float32"), "float32"
    elif dtype == "bool":
        x, dtype = cast(x, "int32"), "int32"
    squeeze = x.rank == 3
    if squeeze:
        x = reshape(x, (1,) + x.shape)
    out_shape = (x.shape[0], size[0], size[1], x.shape[3])
    attrs = {"size": size, "align_corners": bool(align_corners),
             "half_pixel_centers": bool(half_pixel_centers)}
    out = run(kernel, (x,), out_shape, dtype, attrs, grad=grad)
    return reshape(out, out_shape[1:]) if squeeze else out


def resize_bilinear(images, size, align_corners: bool = False, half_pixel_centers: bool = False):
    """Resize images with bilinear interpolation (TF.js ``tf.image.resizeBilinear``).

    Args:
        images: ``[batch, h, w, c]`` or ``[h, w, c]``; integers give float32.
        size: ``[new_height, new_width]``.
        align_corners: align the corner pixels of input and output.
        half_pixel_centers: sample at pixel centres (TF2's convention).

    >>> import layerflow as lf
    >>> lf.image.resize_bilinear(lf.tensor([[[0.0], [2.0]]]), [1, 4]).reshape([4]).array_sync()
    [0.0, 1.0, 2.0, 2.0]
    """
    return _resize("resize_bilinear", images, size, align_corners, half_pixel_centers,
                   _resize_bilinear_grad)


def _resize_bilinear_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (_resize_backward("resize_bilinear_grad", dy, x.shape, attrs),)


def _resize_backward(kernel: str, dy, in_shape, attrs):
    """The adjoint of a resize (a private op; its own gradient is the forward resize)."""
    grad_attrs = {"in_size": (in_shape[1], in_shape[2]), "align_corners": attrs["align_corners"],
                  "half_pixel_centers": attrs["half_pixel_centers"]}
    forward = kernel[:-len("_grad")]

    def grad_of_grad(ddx, inputs, out, a):
        size = (inputs[0].shape[1], inputs[0].shape[2])
        return (run(forward, (ddx,), inputs[0].shape, ddx.dtype,
                    {"size": size, "align_corners": a["align_corners"],
                     "half_pixel_centers": a["half_pixel_centers"]},
                    grad=_resize_bilinear_grad if forward == "resize_bilinear"
                    else _resize_nearest_grad),)

    return run(kernel, (dy,), tuple(in_shape), dy.dtype, grad_attrs, grad=grad_of_grad)


def resize_nearest_neighbor(images, size, align_corners: bool = False,
                            half_pixel_centers: bool = False):
    """Resize images taking the nearest pixel (TF.js ``tf.image.resizeNearestNeighbor``).

    The dtype is kept. Arguments as :func:`resize_bilinear`.

    >>> import layerflow as lf
    >>> lf.image.resize_nearest_neighbor(lf.tensor([[[1], [2]]]), [1, 4]).reshape([4]).array_sync()
    [1, 1, 2, 2]
    """
    return _resize("resize_nearest_neighbor", images, size, align_corners, half_pixel_centers,
                   _resize_nearest_grad)


def _resize_nearest_grad(dy, inputs, out, attrs):
    (x,) = inputs
    return (_resize_backward("resize_nearest_neighbor_grad", dy, x.shape, attrs),)


# -- cropping and sampling ---------------------------------------------------------------------
def crop_and_resize(image, boxes, box_ind, crop_size, method: str = "bilinear",
                    extrapolation_value: float = 0):
    """Crop boxes out of a batch of images and resize each crop (TF.js ``cropAndResize``).

    Args:
        image: ``[batch, h, w, c]``.
        boxes: ``[num_boxes, 4]`` normalised ``[y1, x1, y2, x2]``.
        box_ind: ``[num_boxes]`` int32, the image each box is cut from.
        crop_size: ``[crop_height, crop_width]``.
        method: ``'bilinear'`` or ``'nearest'``.
        extrapolation_value: value for samples outside the image.

    Returns:
        float32 ``[num_boxes, crop_height, crop_width, c]``.

    >>> import layerflow as lf
    >>> img = lf.tensor([[[[1.0], [2.0]], [[3.0], [4.0]]]])
    >>> lf.image.crop_and_resize(img, [[0, 0, 1, 1]], [0], [2, 2]).reshape([4]).array_sync()
    [1.0, 2.0, 3.0, 4.0]
    """
    op = "crop_and_resize"
    image = as_tensor(image, "image", op)
    boxes = as_tensor(boxes, "boxes", op, "float32")
    box_ind = as_tensor(box_ind, "box_ind", op, "int32")
    _rank4(image, op)
    if boxes.rank != 2 or boxes.shape[1] not in (4, None):
        raise ShapeError(f"{op}: boxes must have shape [num_boxes, 4], got {boxes.shape}")
    if box_ind.rank != 1 or (None not in (box_ind.shape[0], boxes.shape[0])
                             and box_ind.shape[0] != boxes.shape[0]):
        raise ShapeError(f"{op}: box_ind must have shape [num_boxes] = [{boxes.shape[0]}], "
                         f"got {box_ind.shape}")
    if box_ind.dtype != "int32":
        raise DTypeError(f"{op}: box_ind must be int32, got {box_ind.dtype}")
    crop_size = _size_pair(crop_size, "crop_size", op)
    if method not in ("bilinear", "nearest"):
        raise InvalidArgumentError(f"{op}: method must be 'bilinear' or 'nearest', got "
                                   f"{method!r}")
    if image.dtype in ("string", "complex64") or boxes.dtype in ("string", "complex64"):
        raise DTypeError(f"{op}: expected real numeric image and boxes, got {image.dtype} and "
                         f"{boxes.dtype}")
    out_shape = (boxes.shape[0], crop_size[0], crop_size[1], image.shape[3])
    return run(op, (image, boxes, box_ind), out_shape, "float32",
               {"crop_size": crop_size, "method": method,
                "extrapolation_value": float(extrapolation_value)}, grad=_no_grad(op))


def flip_left_right(image):
    """Mirror a batch of images horizontally (TF.js ``tf.image.flipLeftRight``).

    >>> import layerflow as lf
    >>> lf.image.flip_left_right(lf.tensor([[[[1], [2], [3]]]])).reshape([3]).array_sync()
    [3, 2, 1]
    """
    image = as_tensor(image, "image", "flip_left_right")
    _rank4(image, "flip_left_right")
    return run("flip_left_right", (image,), image.shape, image.dtype, grad=_flip_grad)


def _flip_grad(dy, inputs, out, attrs):
    return (flip_left_right(dy),)


def rotate_with_offset(image, radians: float, fill_value=0, center=0.5):
    """Rotate images by ``radians`` about ``center`` (TF.js ``tf.image.rotateWithOffset``).

    Each output pixel takes the input pixel its rotated position rounds to, or ``fill_value``
    (a number, or ``[r, g, b]``: a 4th channel is then filled with 255) when outside.

    Args:
        center: a fraction of the width/height, or ``[x_fraction, y_fraction]``.

    >>> import layerflow as lf
    >>> img = lf.tensor([[[[1.0], [2.0], [3.0]]]])
    >>> out = lf.image.rotate_with_offset(img, 3.141592653589793, center=[1 / 3, 0])
    >>> out.reshape([3]).array_sync()
    [3.0, 2.0, 1.0]
    """
    op = "rotate_with_offset"
    image = as_tensor(image, "image", op)
    _rank4(image, op)
    if image.dtype in ("string", "complex64", "bool"):
        raise DTypeError(f"{op}: expected a real numeric image, got dtype {image.dtype}")
    if isinstance(center, (int, float)):
        center = (float(center), float(center))
    else:
        center = tuple(float(c) for c in center)
        if len(center) != 2:
            raise InvalidArgumentError(f"{op}: center must be a number or [x, y], got "
                                       f"{center!r}")
    if isinstance(fill_value, (int, float)):
        fill = float(fill_value)
    else:
        fill = tuple(float(v) for v in fill_value)
        if len(fill) != 3:
            raise InvalidArgumentError(f"{op}: fill_value must be a number or [r, g, b], got "
                                       f"{fill_value!r}")
    return run(op, (image,), image.shape, image.dtype,
               {"radians": float(radians), "fill_value": fill, "center": center},
               grad=_no_grad(op))


_FILL_MODES = ("constant", "reflect", "wrap", "nearest")


def transform(image, transforms, interpolation: str = "nearest", fill_mode: str = "constant",
              fill_value: float = 0, output_shape=None):
    """Apply projective transforms to images (TF.js ``tf.image.transform``).

    Args:
        image: ``[batch, h, w, c]``.
        transforms: ``[1, 8]`` or ``[batch, 8]`` rows ``[a0, a1, a2, b0, b1, b2, c0, c1]``
            mapping output ``(x, y)`` to input ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) /
            k)`` with ``k = c0 x + c1 y + 1``.
        interpolation: ``'nearest'`` or ``'bilinear'``.
        fill_mode: ``'constant'``, ``'reflect'``, ``'wrap'`` or ``'nearest'``.
        fill_value: value outside the image for ``'constant'``.
        output_shape: ``[out_height, out_width]`` (default: the input's).

    >>> import layerflow as lf
    >>> img = lf.tensor([[[[1.0], [2.0], [3.0]]]])
    >>> shift = [[1, 0, 1, 0, 1, 0, 0, 0]]
    >>> lf.image.transform(img, shift).reshape([3]).array_sync()
    [2.0, 3.0, 0.0]
    """
    op = "transform"
    image = as_tensor(image, "image", op)
    transforms = as_tensor(transforms, "transforms", op, "float32")
    _rank4(image, op)
    if transforms.rank != 2 or transforms.shape[1] not in (8, None) or \
            transforms.shape[0] not in (1, image.shape[0], None):
        raise ShapeError(f"{op}: transforms must have shape [1, 8] or [batch, 8] with batch "
                         f"{image.shape[0]}, got {transforms.shape}")
    if interpolation not in ("nearest", "bilinear"):
        raise InvalidArgumentError(f"{op}: interpolation must be 'nearest' or 'bilinear', got "
                                   f"{interpolation!r}")
    if fill_mode not in _FILL_MODES:
        raise InvalidArgumentError(f"{op}: fill_mode must be one of {_FILL_MODES}, got "
                                   f"{fill_mode!r}")
    if image.dtype in ("string", "complex64", "bool"):
        raise DTypeError(f"{op}: expected a real numeric image, got dtype {image.dtype}")
    if output_shape is None:
        output_shape = (image.shape[1], image.shape[2])
        if None in output_shape:
            raise ShapeError(f"{op}: output_shape is needed when the image size is unknown "
                             f"(image shape {image.shape})")
    output_shape = _size_pair(output_shape, "output_shape", op)
    shape = (image.shape[0],) + output_shape + (image.shape[3],)
    return run(op, (image, transforms), shape, image.dtype,
               {"interpolation": interpolation, "fill_mode": fill_mode,
                "fill_value": float(fill_value), "output_shape": output_shape},
               grad=_no_grad(op))


# -- colour ------------------------------------------------------------------------------------
def grayscale_to_rgb(image):
    """Repeat a one-channel image into three channels (TF.js ``tf.image.grayscaleToRGB``).

    >>> import layerflow as lf
    >>> lf.image.grayscale_to_rgb(lf.tensor([[0.5]])).array_sync()
    [[0.5, 0.5, 0.5]]
    """
    from layerflow.ops.shape import broadcast_to

    op = "grayscale_to_rgb"
    image = as_tensor(image, "image", op)
    if image.rank < 2:
        raise ShapeError(f"{op}: image must be at least rank 2, got shape {image.shape}")
    if image.shape[-1] not in (1, None):
        raise ShapeError(f"{op}: the last dimension of image must be 1, got shape "
                         f"{image.shape}")
    if is_symbolic(image):
        from layerflow.engine.symbolic import SymbolicTensor

        return SymbolicTensor(image.shape[:-1] + (3,), image.dtype)
    return broadcast_to(image, image.shape[:-1] + (3,))


def rgb_to_grayscale(image):
    """Luma of RGB images, ``0.2989 r + 0.587 g + 0.114 b`` with the last axis kept as 1,
    cast back to the input dtype (TF.js ``tf.image.rgbToGrayscale``).

    >>> import layerflow as lf
    >>> lf.image.rgb_to_grayscale(lf.tensor([[100, 100, 100]])).array_sync()
    [[99]]
    """
    from layerflow.ops.elementwise import cast, mul
    from layerflow.ops.reduction import sum as reduce_sum

    op = "rgb_to_grayscale"
    image = as_tensor(image, "image", op)
    if image.rank < 2:
        raise ShapeError(f"{op}: image must be at least rank 2, got shape {image.shape}")
    if image.shape[-1] not in (3, None):
        raise ShapeError(f"{op}: the last dimension of image must be 3, got shape "
                         f"{image.shape}")
    if image.dtype in ("string", "complex64"):
        raise DTypeError(f"{op}: expected a real numeric image, got dtype {image.dtype}")
    if is_symbolic(image):
        from layerflow.engine.symbolic import SymbolicTensor

        return SymbolicTensor(image.shape[:-1] + (1,), image.dtype)
    dtype = image.dtype
    work = dtype if dtype in ("float32", "float64") else "float32"
    weights = as_tensor(np.array([0.2989, 0.5870, 0.1140]), "weights", op, work)
    gray = reduce_sum(mul(cast(image, work), cast(weights, work)), axis=-1, keepdims=True)
    return cast(gray, dtype)


def threshold(image, method: str = "binary", inverted: bool = False,
              thresh_value: float = 0.5):
    """Binarise an ``[h, w, 1 or 3]`` image to int32 0/255 (TF.js ``tf.image.threshold``).

    Pixels (as grey ``0.2989 r + 0.587 g + 0.114 b`` for RGB) above ``thresh_value * 255``
    become 255 (at most, when ``inverted``). ``method='otsu'`` picks the threshold with Otsu's
    method on the 256-bin histogram instead; that choice is computed eagerly in NumPy.

    >>> import layerflow as lf
    >>> lf.image.threshold(lf.tensor([[[10.0]], [[200.0]]])).reshape([2]).array_sync()
    [0, 255]
    """
    op = "threshold"
    image = as_tensor(image, "image", op)
    if image.rank != 3:
        raise ShapeError(f"{op}: image must be rank 3 [h, w, c], got shape {image.shape}")
    if image.shape[2] not in (1, 3, None):
        raise ShapeError(f"{op}: image must have 1 or 3 channels, got shape {image.shape}")
    if image.dtype not in ("int32", "float32"):
        raise DTypeError(f"{op}: image must be int32 or float32, got {image.dtype}")
    if method not in ("binary", "otsu"):
        raise InvalidArgumentError(f"{op}: method must be 'binary' or 'otsu', got {method!r}")
    thresh = float(thresh_value) * 255.0
    if method == "otsu" and not is_symbolic(image):
        thresh = _otsu_threshold(image.numpy())
    return run(op, (image,), image.shape[:2] + (1,), "int32",
               {"thresh": thresh, "inverted": bool(inverted)})


def _otsu_threshold(img: np.ndarray) -> float:
    """Otsu's threshold as TF.js computes it (first strict maximum of between-class variance)."""
    if img.shape[-1] == 3:
        f = img.astype(np.float32)
        gray = (f[..., 0] * np.float32(0.2989) + f[..., 1] * np.float32(0.587)
                + f[..., 2] * np.float32(0.114))
    else:
        gray = img[..., 0]
    values = np.round(gray.astype(np.float64)).astype(np.int64).ravel()
    hist = np.bincount(values[(values >= 0) & (values < 256)], minlength=256)[:256]
    hist = hist.astype(np.float64)
    total = img.shape[0] * img.shape[1]
    bins = np.arange(256, dtype=np.float64)
    best, best_var = -1.0, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(255):
            first, second = hist[:i + 1], hist[i + 1:]
            w_f, w_b = first.sum() / total, second.sum() / total
            m_f = (first * bins[:i + 1]).sum() / first.sum()
            m_b = (second * bins[i + 1:]).sum() / second.sum()
            var = w_f * w_b * (m_f - m_b) * (m_f - m_b)
            if var > best_var:
                best_var, best = var, float(i)
    return best


# -- non-max suppression -----------------------------------------------------------------------
def _nms_inputs(boxes, scores, max_output_size, iou_threshold, op):
    boxes = as_tensor(boxes, "boxes", op, "float32")
    scores = as_tensor(scores, "scores", op, "float32")
    if boxes.rank != 2 or boxes.shape[1] != 4:
        raise ShapeError(f"{op}: boxes must have shape [num_boxes, 4], got {boxes.shape}")
    if scores.rank != 1 or scores.shape[0] != boxes.shape[0]:
        raise ShapeError(f"{op}: scores must have shape [num_boxes] = [{boxes.shape[0]}], "
                         f"got {scores.shape}")
    if not 0 <= iou_threshold <= 1:
        raise InvalidArgumentError(f"{op}: iou_threshold must be in [0, 1], got "
                                   f"{iou_threshold}")
    if int(max_output_size) < 0:
        raise InvalidArgumentError(f"{op}: max_output_size must be >= 0, got "
                                   f"{max_output_size}")
    if is_symbolic(boxes, scores):
        raise NotSupportedError(f"{op}: runs eagerly and needs concrete boxes and scores")
    return boxes.numpy().astype(np.float64), scores.numpy().astype(np.float64)


def _iou(boxes: np.ndarray, i: int, j: int) -> float:
    bi, bj = boxes[i], boxes[j]
    ymin_i, xmin_i = min(bi[0], bi[2]), min(bi[1], bi[3])
    ymax_i, xmax_i = max(bi[0], bi[2]), max(bi[1], bi[3])
    ymin_j, xmin_j = min(bj[0], bj[2]), min(bj[1], bj[3])
    ymax_j, xmax_j = max(bj[0], bj[2]), max(bj[1], bj[3])
    area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i)
    area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j)
    if area_i <= 0 or area_j <= 0:
        return 0.0
    inter = (max(min(ymax_i, ymax_j) - max(ymin_i, ymin_j), 0.0)
             * max(min(xmax_i, xmax_j) - max(xmin_i, xmin_j), 0.0))
    return inter / (area_i + area_j - inter)


def _nms(boxes, scores, max_output_size, iou_threshold, score_threshold, soft_nms_sigma=0.0):
    """TF.js's nonMaxSuppressionImpl (greedy, optionally soft) on NumPy arrays."""
    max_output_size = min(int(max_output_size), boxes.shape[0])
    # candidates: [score, box_index, suppress_begin]; the best is the highest score, ties to the
    # lowest index.
    cands = [[float(scores[i]), i, 0] for i in range(len(scores))
             if scores[i] > score_threshold]
    scale = -0.5 / soft_nms_sigma if soft_nms_sigma > 0 else 0.0
    selected, selected_scores = [], []
    while len(selected) < max_output_size and cands:
        best = max(range(len(cands)), key=lambda k: (cands[k][0], -cands[k][1]))
        cand = cands.pop(best)
        original, index, begin = cand
        if original < score_threshold:
            break
        ignore = False
        for j in range(len(selected) - 1, begin - 1, -1):
            iou = _iou(boxes, index, selected[j])
            if iou >= iou_threshold:
                ignore = True
                break
            cand[0] *= math.exp(scale * iou * iou) if iou <= iou_threshold else 0.0
            if cand[0] <= score_threshold:
                break
        cand[2] = len(selected)
        if not ignore:
            if cand[0] == original:
                selected.append(index)
                selected_scores.append(cand[0])
            elif cand[0] > score_threshold:
                cands.append(cand)
    return selected, selected_scores


def non_max_suppression(boxes, scores, max_output_size: int, iou_threshold: float = 0.5,
                        score_threshold: float = -math.inf):
    """Greedily select boxes by descending score, dropping those overlapping a selected box
    by IoU >= ``iou_threshold`` (TF.js ``tf.image.nonMaxSuppression``).

    Computed eagerly in NumPy on every backend. Returns int32 indices into ``boxes``.

    >>> import layerflow as lf
    >>> boxes = [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]]
    >>> lf.image.non_max_suppression(boxes, [0.9, 0.8, 0.7], 3).array_sync()
    [0, 2]
    """
    from layerflow.ops.creation import tensor

    b, s = _nms_inputs(boxes, scores, max_output_size, iou_threshold, "non_max_suppression")
    selected, _ = _nms(b, s, max_output_size, iou_threshold, score_threshold)
    return tensor(np.asarray(selected, dtype=np.int32))


def non_max_suppression_with_score(boxes, scores, max_output_size: int,
                                   iou_threshold: float = 0.5,
                                   score_threshold: float = -math.inf,
                                   soft_nms_sigma: float = 0.0):
    """Soft-NMS (TF.js ``tf.image.nonMaxSuppressionWithScore``): overlapping boxes get their
    score scaled by ``exp(-0.5 iou^2 / soft_nms_sigma)`` instead of being dropped.

    Computed eagerly in NumPy. Returns ``(selected_indices, selected_scores)`` (int32,
    float32).

    >>> import layerflow as lf
    >>> idx, sc = lf.image.non_max_suppression_with_score([[0, 0, 1, 1]], [0.5], 1)
    >>> idx.array_sync(), sc.array_sync()
    ([0], [0.5])
    """
    from layerflow.ops.creation import tensor

    op = "non_max_suppression_with_score"
    b, s = _nms_inputs(boxes, scores, max_output_size, iou_threshold, op)
    selected, sel_scores = _nms(b, s, max_output_size, iou_threshold, score_threshold,
                                float(soft_nms_sigma))
    return (tensor(np.asarray(selected, dtype=np.int32)),
            tensor(np.asarray(sel_scores, dtype=np.float32)))


def non_max_suppression_padded(boxes, scores, max_output_size: int, iou_threshold: float = 0.5,
                               score_threshold: float = -math.inf,
                               pad_to_max_output_size: bool = False):
    """:func:`non_max_suppression`, optionally padded with zeros to ``max_output_size``
    (TF.js ``tf.image.nonMaxSuppressionPadded``).

    Computed eagerly in NumPy. Returns ``(selected_indices, valid_outputs)``: int32 indices and
    an int32 scalar counting the real ones.

    >>> import layerflow as lf
    >>> boxes = [[0, 0, 1, 1], [0, 0, 1, 1.1]]
    >>> idx, n = lf.image.non_max_suppression_padded(boxes, [0.9, 0.8], 2,
    ...                                              pad_to_max_output_size=True)
    >>> idx.array_sync(), n.item()
    ([0, 0], 1)
    """
    from layerflow.ops.creation import tensor

    op = "non_max_suppression_padded"
    b, s = _nms_inputs(boxes, scores, max_output_size, iou_threshold, op)
    max_output_size = min(int(max_output_size), b.shape[0])
    selected, _ = _nms(b, s, max_output_size, iou_threshold, score_threshold)
    valid = len(selected)
    if pad_to_max_output_size and valid < max_output_size:
        selected = selected + [0] * (max_output_size - valid)
    return (tensor(np.asarray(selected, dtype=np.int32)),
            tensor(np.asarray(valid, dtype=np.int32)))


chainable("resize_bilinear")(resize_bilinear)
chainable("resize_nearest_neighbor")(resize_nearest_neighbor)
