"""Image kernels (NHWC), shared by NumPy and jax.numpy (``xp``).

Coordinates follow TF.js's CPU kernels exactly. Sampling positions that depend only on static
sizes are computed once in NumPy (float64, as JavaScript numbers) and gathered with ``xp.take``;
the backward kernels of the resizes apply the transposed interpolation matrices.
"""

from __future__ import annotations

import numpy as np


# -- resize: static sampling tables -----------------------------------------------------------
def _ratio(in_size: int, out_size: int, align_corners: bool) -> float:
    if align_corners and out_size > 1:
        return (in_size - 1) / (out_size - 1)
    return in_size / out_size


def bilinear_table(in_size: int, out_size: int, align_corners: bool, half_pixel: bool):
    """(low index, high index, fraction) per output position, as TF.js's resizeBilinear."""
    ratio = _ratio(in_size, out_size, align_corners)
    pos = np.arange(out_size, dtype=np.float64)
    src = ratio * (pos + 0.5) - 0.5 if half_pixel else ratio * pos
    low = np.maximum(0.0, np.floor(src))
    frac = src - low
    high = np.minimum(in_size - 1.0, np.ceil(src))
    return low.astype(np.int64), high.astype(np.int64), frac


def nearest_table(in_size: int, out_size: int, align_corners: bool, half_pixel: bool):
    """Source index per output position, as TF.js's resizeNearestNeighbor."""
    ratio = _ratio(in_size, out_size, align_corners)
    pos = np.arange(out_size, dtype=np.float64)
    src = ratio * (pos + 0.5) if half_pixel else ratio * pos
    near = np.floor(src + 0.5) if align_corners else np.floor(src)
    near = np.minimum(in_size - 1.0, near)
    if half_pixel:
        near = np.maximum(0.0, near)
    return near.astype(np.int64)


def bilinear_matrix(in_size, out_size, align_corners, half_pixel) -> np.ndarray:
    low, high, frac = bilinear_table(in_size, out_size, align_corners, half_pixel)
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(m, (rows, low), 1.0 - frac)
    np.add.at(m, (rows, high), frac)
    return m


def nearest_matrix(in_size, out_size, align_corners, half_pixel) -> np.ndarray:
    m = np.zeros((out_size, in_size))
    m[np.arange(out_size), nearest_table(in_size, out_size, align_corners, half_pixel)] = 1.0
    return m


# -- shared helpers -----------------------------------------------------------------------
def _round_half_up(xp, v):
    """JavaScript's Math.round."""
    return xp.floor(v + 0.5)


def _read(xp, image, b, y, x, fill):
    """image[b, y, x, :] where (y, x) is inside the image, else ``fill`` (y, x: float ints)."""
    h, w = image.shape[1], image.shape[2]
    inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    yi = xp.clip(y, 0, h - 1).astype(np.int32)
    xi = xp.clip(x, 0, w - 1).astype(np.int32)
    vals = image[b, yi, xi]
    return xp.where(inside[..., None], vals, xp.asarray(fill, dtype=vals.dtype))


def _map_coord(xp, c, size: int, mode: str):
    """TF.js's mapCoord for transform's fill modes."""
    if mode == "nearest":
        return xp.clip(c, 0, size - 1)
    if mode == "constant":
        return c
    if size <= 1:
        return xp.zeros_like(c)
    if mode == "reflect":
        sz2 = 2.0 * size
        neg = c < 0
        cn = xp.where(c < sz2, sz2 * xp.trunc(-c / sz2) + c, c)
        cn = xp.where(cn < -size, cn + sz2, -cn - 1)
        cp = c - sz2 * xp.trunc(c / sz2)
        cp = xp.where(cp >= size, sz2 - cp - 1, cp)
        out = xp.where(neg, cn, xp.where(c > size - 1, cp, c))
    else:  # wrap
        sz = size - 1.0
        cn = c + size * (xp.trunc(-c / sz) + 1)
        cp = c - size * xp.trunc(c / sz)
        out = xp.where(c < 0, cn, xp.where(c > size - 1, cp, c))
    return xp.clip(out, 0, size - 1)


def kernels(xp) -> dict:
    def resize_bilinear(x, size, align_corners, half_pixel_centers):
        _, h, w, _ = x.shape
        y0, y1, fy = bilinear_table(h, size[0], align_corners, half_pixel_centers)
        x0, x1, fx = bilinear_table(w, size[1], align_corners, half_pixel_centers)
        fy = xp.asarray(fy[None, :, None, None], dtype=x.dtype)
        fx = xp.asarray(fx[None, None, :, None], dtype=x.dtype)
        top, bottom = xp.take(x, y0, axis=1), xp.take(x, y1, axis=1)
        rows = top + (bottom - top) * fy
        left, right = xp.take(rows, x0, axis=2), xp.take(rows, x1, axis=2)
        return (left + (right - left) * fx).astype(x.dtype)

    def resize_bilinear_grad(dy, in_size, align_corners, half_pixel_centers):
        my = bilinear_matrix(in_size[0], dy.shape[1], align_corners, half_pixel_centers)
        mx = bilinear_matrix(in_size[1], dy.shape[2], align_corners, half_pixel_centers)
        my, mx = xp.asarray(my, dtype=dy.dtype), xp.asarray(mx, dtype=dy.dtype)
        return xp.einsum("oh,nopc,pw->nhwc", my, dy, mx).astype(dy.dtype)

    def resize_nearest_neighbor(x, size, align_corners, half_pixel_centers):
        _, h, w, _ = x.shape
        iy = nearest_table(h, size[0], align_corners, half_pixel_centers)
        ix = nearest_table(w, size[1], align_corners, half_pixel_centers)
        return xp.take(xp.take(x, iy, axis=1), ix, axis=2)

    def resize_nearest_neighbor_grad(dy, in_size, align_corners, half_pixel_centers):
        my = nearest_matrix(in_size[0], dy.shape[1], align_corners, half_pixel_centers)
        mx = nearest_matrix(in_size[1], dy.shape[2], align_corners, half_pixel_centers)
        my, mx = xp.asarray(my, dtype=dy.dtype), xp.asarray(mx, dtype=dy.dtype)
        return xp.einsum("oh,nopc,pw->nhwc", my, dy, mx).astype(dy.dtype)

    def crop_and_resize(image, boxes, box_ind, crop_size, method, extrapolation_value):
        batch, h, w, _ = image.shape
        ch, cw = crop_size
        image = image.astype(np.float32)
        boxes = boxes.astype(np.float64)
        y1, x1, y2, x2 = (boxes[:, i:i + 1] for i in range(4))
        ys = xp.arange(ch, dtype=np.float64)[None, :]
        xs = xp.arange(cw, dtype=np.float64)[None, :]
        if ch > 1:
            yin = y1 * (h - 1) + ys * ((y2 - y1) * (h - 1) / (ch - 1))
        else:
            yin = xp.broadcast_to(0.5 * (y1 + y2) * (h - 1), (boxes.shape[0], ch))
        if cw > 1:
            xin = x1 * (w - 1) + xs * ((x2 - x1) * (w - 1) / (cw - 1))
        else:
            xin = xp.broadcast_to(0.5 * (x1 + x2) * (w - 1), (boxes.shape[0], cw))
        valid_b = (box_ind >= 0) & (box_ind < batch)
        b = xp.clip(box_ind, 0, batch - 1)[:, None, None]
        yv, xv = yin[:, :, None], xin[:, None, :]
        inside = (yv >= 0) & (yv <= h - 1) & (xv >= 0) & (xv <= w - 1)

        def at(yy, xx):
            yi = xp.clip(yy, 0, h - 1).astype(np.int32)
            xi = xp.clip(xx, 0, w - 1).astype(np.int32)
            return image[b, yi, xi]

        if method == "bilinear":
            top, left = xp.floor(yv), xp.floor(xv)
            bottom, right = xp.ceil(yv), xp.ceil(xv)
            ylerp = (yv - top)[..., None].astype(np.float32)
            xlerp = (xv - left)[..., None].astype(np.float32)
            tl, tr = at(top, left), at(top, right)
            bl, br = at(bottom, left), at(bottom, right)
            t = tl + (tr - tl) * xlerp
            bo = bl + (br - bl) * xlerp
            vals = t + (bo - t) * ylerp
        else:
            vals = at(_round_half_up(xp, yv), _round_half_up(xp, xv))
        out = xp.where(inside[..., None], vals, np.float32(extrapolation_value))
        out = xp.where(valid_b[:, None, None, None], out, np.float32(0))
        return out.astype(np.float32)

    def flip_left_right(x):
        return xp.flip(x, axis=2)

    def rotate_with_offset(image, radians, fill_value, center):
        batch, h, w, c = image.shape
        cx, cy = w * center[0], h * center[1]
        sin, cos = np.sin(radians), np.cos(radians)
        yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                             indexing="ij")
        sx = np.floor((xx - cx) * cos - (yy - cy) * sin + cx + 0.5)
        sy = np.floor((xx - cx) * sin + (yy - cy) * cos + cy + 0.5)
        if isinstance(fill_value, tuple):
            fill = [255.0 if k == 3 else fill_value[k] for k in range(c)]
        else:
            fill = [fill_value] * c
        fill = np.asarray(fill, dtype=np.float64).astype(image.dtype)
        b = xp.arange(batch)[:, None, None]
        return _read(xp, image, b, xp.asarray(sy)[None], xp.asarray(sx)[None],
                     xp.asarray(fill)).astype(image.dtype)

    def transform(image, transforms, interpolation, fill_mode, fill_value, output_shape):
        batch, h, w, _ = image.shape
        oh, ow = output_shape
        t = xp.broadcast_to(transforms.astype(np.float64), (batch, 8))
        oy = xp.arange(oh, dtype=np.float64)[None, :, None]
        ox = xp.arange(ow, dtype=np.float64)[None, None, :]
        a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i, None, None] for i in range(8))
        proj = c0 * ox + c1 * oy + 1.0
        safe = xp.where(proj == 0, 1.0, proj)
        xin = _map_coord(xp, (a0 * ox + a1 * oy + a2) / safe, w, fill_mode)
        yin = _map_coord(xp, (b0 * ox + b1 * oy + b2) / safe, h, fill_mode)
        b = xp.arange(batch)[:, None, None]
        img = image.astype(np.float64)
        if interpolation == "nearest":
            vals = _read(xp, img, b, _round_half_up(xp, yin), _round_half_up(xp, xin),
                         fill_value)
        else:
            y0, x0 = xp.floor(yin), xp.floor(xin)
            y1, x1 = y0 + 1, x0 + 1
            wx0, wx1 = (x1 - xin)[..., None], (xin - x0)[..., None]
            top = wx0 * _read(xp, img, b, y0, x0, fill_value) \
                + wx1 * _read(xp, img, b, y0, x1, fill_value)
            bot = wx0 * _read(xp, img, b, y1, x0, fill_value) \
                + wx1 * _read(xp, img, b, y1, x1, fill_value)
            vals = (y1 - yin)[..., None] * top + (yin - y0)[..., None] * bot
        vals = xp.where((proj == 0)[..., None], float(fill_value), vals)
        return vals.astype(image.dtype)

    def threshold(image, thresh, inverted):
        if image.shape[-1] == 3:
            img = image.astype(np.float32)
            gray = (img[..., 0:1] * np.float32(0.2989) + img[..., 1:2] * np.float32(0.587)
                    + img[..., 2:3] * np.float32(0.114))
        else:
            gray = image
        cond = gray <= thresh if inverted else gray > thresh
        return (cond.astype(np.int32) * 255).astype(np.int32)

    return {
        "resize_bilinear": resize_bilinear,
        "resize_bilinear_grad": resize_bilinear_grad,
        "resize_nearest_neighbor": resize_nearest_neighbor,
        "resize_nearest_neighbor_grad": resize_nearest_neighbor_grad,
        "crop_and_resize": crop_and_resize,
        "flip_left_right": flip_left_right,
        "rotate_with_offset": rotate_with_offset,
        "transform": transform,
        "threshold": threshold,
    }
