"""Image ops against scalar NumPy references of TF.js's CPU kernels (and jax.image.resize where
the semantics match), gradients against finite differences, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerflow as lf
from tests._support.opcheck import check_forward, check_grad, check_second_order

FLAGS = [(False, False), (True, False), (False, True)]


# -- scalar references, written from TF.js's CPU kernels ------------------------------------------
def _ratio(i, o, align):
    return (i - 1) / (o - 1) if align and o > 1 else i / o


def ref_bilinear(x, size, align, half):
    n, h, w, c = x.shape
    oh, ow = size
    ry, rx = _ratio(h, oh, align), _ratio(w, ow, align)
    out = np.zeros((n, oh, ow, c))
    for r in range(oh):
        fy = ry * (r + 0.5) - 0.5 if half else ry * r
        top = max(0, math.floor(fy))
        bot = min(h - 1, math.ceil(fy))
        ly = fy - top
        for col in range(ow):
            fx = rx * (col + 0.5) - 0.5 if half else rx * col
            left = max(0, math.floor(fx))
            right = min(w - 1, math.ceil(fx))
            lx = fx - left
            tl, tr = x[:, top, left], x[:, top, right]
            bl, br = x[:, bot, left], x[:, bot, right]
            t = tl + (tr - tl) * lx
            b = bl + (br - bl) * lx
            out[:, r, col] = t + (b - t) * ly
    return out


def ref_nearest(x, size, align, half):
    n, h, w, c = x.shape
    oh, ow = size
    ry, rx = _ratio(h, oh, align), _ratio(w, ow, align)
    out = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for r in range(oh):
        fy = ry * (r + 0.5) if half else ry * r
        sy = min(h - 1, math.floor(fy + 0.5) if align else math.floor(fy))
        if half:
            sy = max(0, sy)
        for col in range(ow):
            fx = rx * (col + 0.5) if half else rx * col
            sx = min(w - 1, math.floor(fx + 0.5) if align else math.floor(fx))
            if half:
                sx = max(0, sx)
            out[:, r, col] = x[:, sy, sx]
    return out


@pytest.mark.parametrize("align,half", FLAGS)
@pytest.mark.parametrize("size", [(5, 7), (2, 3), (1, 1), (4, 4)])
def test_resize_bilinear_forward(backend, rng, align, half, size):
    x = rng.uniform(-1, 1, (2, 3, 4, 2)).astype(np.float32)
    check_forward(lambda t: lf.image.resize_bilinear(t, size, align, half),
                  lambda a: ref_bilinear(a.astype(np.float64), size, align, half)
                  .astype(np.float32), [x], dtype="float32")


def test_resize_bilinear_matches_jax_half_pixel_upsampling(backend, rng):
    import jax

    x = rng.uniform(-1, 1, (1, 3, 4, 2)).astype(np.float32)
    want = np.asarray(jax.image.resize(x.astype(np.float64), (1, 6, 9, 2), "linear",
                                       antialias=False))
    got = lf.image.resize_bilinear(lf.tensor(x), [6, 9], half_pixel_centers=True)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("align,half", FLAGS)
@pytest.mark.parametrize("size", [(5, 7), (2, 3), (1, 1)])
def test_resize_nearest_forward(backend, rng, align, half, size):
    x = rng.integers(-50, 50, (2, 3, 4, 2)).astype(np.int32)
    got = check_forward(lambda t: lf.image.resize_nearest_neighbor(t, size, align, half),
                        lambda a: ref_nearest(a, size, align, half), [x], dtype="int32")
    assert got.dtype == "int32"


def test_resize_rank3_and_int_bilinear(backend):
    x = np.arange(6, dtype=np.int32).reshape(2, 3, 1)
    out = lf.image.resize_bilinear(lf.tensor(x), [4, 6])
    assert out.shape == (4, 6, 1) and out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), ref_bilinear(x[None].astype(np.float64), (4, 6),
                                                         False, False)[0], rtol=1e-6)
    assert lf.tensor(x.astype(np.float32)).resize_nearest_neighbor([2, 3]).shape == (2, 3, 1)


@pytest.mark.parametrize("align,half", FLAGS)
def test_resize_gradients(backend, rng, align, half):
    x = rng.uniform(-1, 1, (1, 2, 3, 2))
    check_grad(lambda t: lf.image.resize_bilinear(t, [3, 4], align, half), [x])
    check_grad(lambda t: lf.image.resize_bilinear(t, [1, 2], align, half), [x])
    check_grad(lambda t: lf.image.resize_nearest_neighbor(t, [3, 5], align, half), [x])


@pytest.mark.parametrize("name", ["resize_bilinear", "resize_nearest_neighbor"])
def test_resize_second_order(backend, rng, name):
    op = getattr(lf.image, name)
    w = lf.tensor(rng.uniform(0.5, 1.5, (1, 3, 3, 1)), dtype="float64")
    check_second_order(lambda u: lf.mul(lf.square(op(u, [3, 3])), w),
                       rng.uniform(-1, 1, (1, 2, 2, 1)))


def test_resize_bad_input(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"resize_bilinear: .*rank 3 or 4.*\(2, 2\)"):
        lf.image.resize_bilinear(lf.zeros([2, 2]), [3, 3])
    with pytest.raises(lf.errors.InvalidArgumentError, match="resize_nearest_neighbor: size"):
        lf.image.resize_nearest_neighbor(lf.zeros([1, 2, 2, 1]), [3])
    with pytest.raises(lf.errors.InvalidArgumentError, match="align_corners"):
        lf.image.resize_bilinear(lf.zeros([1, 2, 2, 1]), [3, 3], True, True)


def test_resize_symbolic_shape(backend):
    from layerflow.engine.symbolic import SymbolicTensor

    out = lf.image.resize_bilinear(SymbolicTensor((None, None, None, 3), "float32"), [5, 6])
    assert out.shape == (None, 5, 6, 3)


# -- crop_and_resize -------------------------------------------------------------------------------
def ref_crop_and_resize(image, boxes, box_ind, crop, method, extrap):
    b_, h, w, c = image.shape
    ch, cw = crop
    out = np.zeros((len(boxes), ch, cw, c))
    for b in range(len(boxes)):
        y1, x1, y2, x2 = boxes[b]
        bi = box_ind[b]
        if bi < 0 or bi >= b_:
            continue
        hs = (y2 - y1) * (h - 1) / (ch - 1) if ch > 1 else 0
        ws = (x2 - x1) * (w - 1) / (cw - 1) if cw > 1 else 0
        for y in range(ch):
            yin = y1 * (h - 1) + y * hs if ch > 1 else 0.5 * (y1 + y2) * (h - 1)
            if yin < 0 or yin > h - 1:
                out[b, y] = extrap
                continue
            for x in range(cw):
                xin = x1 * (w - 1) + x * ws if cw > 1 else 0.5 * (x1 + x2) * (w - 1)
                if xin < 0 or xin > w - 1:
                    out[b, y, x] = extrap
                    continue
                if method == "bilinear":
                    t, bo = math.floor(yin), math.ceil(yin)
                    le, r = math.floor(xin), math.ceil(xin)
                    yl, xl = yin - t, xin - le
                    top = image[bi, t, le] + (image[bi, t, r] - image[bi, t, le]) * xl
                    bot = image[bi, bo, le] + (image[bi, bo, r] - image[bi, bo, le]) * xl
                    out[b, y, x] = top + (bot - top) * yl
                else:
                    out[b, y, x] = image[bi, math.floor(yin + 0.5), math.floor(xin + 0.5)]
    return out


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize("crop", [(3, 4), (1, 1), (2, 1)])
def test_crop_and_resize_forward(backend, rng, method, crop):
    image = rng.uniform(-1, 1, (2, 4, 5, 3)).astype(np.float32)
    boxes = np.array([[0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9], [-0.2, -0.1, 1.3, 0.5],
                      [0.9, 0.8, 0.1, 0.2]], dtype=np.float32)
    box_ind = np.array([0, 1, 1, 0], dtype=np.int32)
    check_forward(lambda i, b, k: lf.image.crop_and_resize(i, b, k, crop, method, -3.0),
                  lambda i, b, k: ref_crop_and_resize(i.astype(np.float64), b.astype(np.float64),
                                                      k, crop, method, -3.0)
                  .astype(np.float32), [image, boxes, box_ind], dtype="float32")


def test_crop_and_resize_bad_input(backend):
    image = lf.zeros([1, 4, 4, 1])
    with pytest.raises(lf.errors.ShapeError, match=r"crop_and_resize: boxes .*\(2, 3\)"):
        lf.image.crop_and_resize(image, lf.zeros([2, 3]), [0, 0], [2, 2])
    with pytest.raises(lf.errors.ShapeError, match=r"box_ind .*\(3,\)"):
        lf.image.crop_and_resize(image, lf.zeros([2, 4]), [0, 0, 0], [2, 2])
    with pytest.raises(lf.errors.InvalidArgumentError, match="method"):
        lf.image.crop_and_resize(image, lf.zeros([2, 4]), [0, 0], [2, 2], method="cubic")
    with pytest.raises(lf.errors.ShapeError, match="rank 4"):
        lf.image.crop_and_resize(lf.zeros([4, 4, 1]), lf.zeros([2, 4]), [0, 0], [2, 2])


# -- flips, rotation, transform ------------------------------------------------------------------
def test_flip_left_right(backend, rng):
    x = rng.uniform(-1, 1, (2, 3, 4, 2)).astype(np.float32)
    check_forward(lf.image.flip_left_right, lambda a: a[:, :, ::-1], [x], dtype="float32")
    check_grad(lf.image.flip_left_right, [rng.uniform(-1, 1, (1, 2, 3, 2))])
    with pytest.raises(lf.errors.ShapeError, match=r"flip_left_right: .*\(3, 4, 2\)"):
        lf.image.flip_left_right(lf.zeros([3, 4, 2]))


def ref_rotate(image, radians, fill, center):
    n, h, w, c = image.shape
    cx_f, cy_f = (center, center) if np.isscalar(center) else center
    cx, cy = w * cx_f, h * cy_f
    out = np.zeros_like(image)
    s, co = math.sin(radians), math.cos(radians)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                sx = math.floor((x - cx) * co - (y - cy) * s + cx + 0.5)
                sy = math.floor((x - cx) * s + (y - cy) * co + cy + 0.5)
                for ch in range(c):
                    v = fill if np.isscalar(fill) else (255 if ch == 3 else fill[ch])
                    if 0 <= sx < w and 0 <= sy < h:
                        v = image[b, sy, sx, ch]
                    out[b, y, x, ch] = v
    return out


@pytest.mark.parametrize("radians,fill,center", [(0.7, 0, 0.5), (-2.0, 9, (0.3, 0.6)),
                                                 (1.2, (1, 2, 3), 0.5)])
def test_rotate_with_offset(backend, rng, radians, fill, center):
    channels = 4 if isinstance(fill, tuple) else 2
    x = rng.uniform(-1, 1, (2, 5, 6, channels)).astype(np.float32)
    check_forward(lambda t: lf.image.rotate_with_offset(t, radians, fill, center),
                  lambda a: ref_rotate(a, radians, fill, center), [x], dtype="float32")


def _map_coord(c, size, mode):
    if mode == "nearest":
        return min(max(c, 0), size - 1)
    if mode == "constant":
        return c
    if c < 0:
        if size <= 1:
            c = 0
        elif mode == "reflect":
            sz2 = 2 * size
            if c < sz2:
                c = sz2 * math.trunc(-c / sz2) + c
            c = c + sz2 if c < -size else -c - 1
        else:
            c += size * (math.trunc(-c / (size - 1)) + 1)
    elif c > size - 1:
        if size <= 1:
            c = 0
        elif mode == "reflect":
            sz2 = 2 * size
            c -= sz2 * math.trunc(c / sz2)
            if c >= size:
                c = sz2 - c - 1
        else:
            c -= size * math.trunc(c / (size - 1))
    return min(max(c, 0), size - 1)


def ref_transform(image, transforms, interp, mode, fill, out_shape):
    n, h, w, c = image.shape
    oh, ow = out_shape
    out = np.zeros((n, oh, ow, c))

    def read(b, y, x, ch):
        return image[b, y, x, ch] if 0 <= y < h and 0 <= x < w else fill

    for b in range(n):
        t = transforms[0] if len(transforms) == 1 else transforms[b]
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    k = t[6] * ox + t[7] * oy + 1
                    if k == 0:
                        out[b, oy, ox, ch] = fill
                        continue
                    x = _map_coord((t[0] * ox + t[1] * oy + t[2]) / k, w, mode)
                    y = _map_coord((t[3] * ox + t[4] * oy + t[5]) / k, h, mode)
                    if interp == "nearest":
                        v = read(b, math.floor(y + 0.5), math.floor(x + 0.5), ch)
                    else:
                        y0, x0 = math.floor(y), math.floor(x)
                        top = (x0 + 1 - x) * read(b, y0, x0, ch) + (x - x0) * read(b, y0, x0 + 1,
                                                                                   ch)
                        bot = (x0 + 1 - x) * read(b, y0 + 1, x0, ch) \
                            + (x - x0) * read(b, y0 + 1, x0 + 1, ch)
                        v = (y0 + 1 - y) * top + (y - y0) * bot
                    out[b, oy, ox, ch] = v
    return out


@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
@pytest.mark.parametrize("mode", ["constant", "reflect", "wrap", "nearest"])
def test_transform(backend, rng, interp, mode):
    image = rng.uniform(-1, 1, (2, 4, 5, 2)).astype(np.float32)
    transforms = np.array([[1.1, 0.3, -1.7, -0.2, 0.9, 2.3, 0.01, -0.02],
                           [0.5, -0.4, 3.1, 0.7, 1.2, -4.2, 0.0, 0.0]], dtype=np.float32)
    check_forward(lambda i, t: lf.image.transform(i, t, interp, mode, 0.5, [6, 3]),
                  lambda i, t: ref_transform(i.astype(np.float64), t.astype(np.float64), interp,
                                             mode, 0.5, (6, 3)).astype(np.float32),
                  [image, transforms], dtype="float32")


def test_transform_bad_input(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"transform: transforms .*\(1, 6\)"):
        lf.image.transform(lf.zeros([1, 2, 2, 1]), lf.zeros([1, 6]))
    with pytest.raises(lf.errors.InvalidArgumentError, match="fill_mode"):
        lf.image.transform(lf.zeros([1, 2, 2, 1]), lf.zeros([1, 8]), fill_mode="mirror")


def test_samplers_have_no_gradient(backend):
    x = lf.tensor(np.ones((1, 2, 2, 1)), dtype="float64")
    with pytest.raises(lf.errors.NotSupportedError, match="crop_and_resize"):
        lf.grad(lambda t: lf.sum(lf.image.crop_and_resize(t, [[0, 0, 1, 1]], [0], [2, 2])))(x)


# -- colour ----------------------------------------------------------------------------------------
def test_grayscale_and_rgb(backend, rng):
    x = rng.uniform(0, 1, (2, 3, 1)).astype(np.float32)
    check_forward(lf.image.grayscale_to_rgb, lambda a: np.repeat(a, 3, axis=-1), [x],
                  dtype="float32")
    check_grad(lf.image.grayscale_to_rgb, [rng.uniform(0, 1, (2, 1))])
    rgb = rng.uniform(0, 1, (2, 2, 3)).astype(np.float32)
    w = np.array([0.2989, 0.5870, 0.1140])
    check_forward(lf.image.rgb_to_grayscale, lambda a: (a.astype(np.float64) @ w)[..., None]
                  .astype(np.float32), [rgb], dtype="float32")
    check_grad(lf.image.rgb_to_grayscale, [rng.uniform(0, 1, (2, 3))])
    ints = np.array([[10, 200, 30], [255, 255, 255]], dtype=np.int32)
    check_forward(lf.image.rgb_to_grayscale,
                  lambda a: np.trunc(a.astype(np.float32) @ w.astype(np.float32))[..., None]
                  .astype(np.int32), [ints], dtype="int32")
    with pytest.raises(lf.errors.ShapeError, match=r"rgb_to_grayscale: .*\(2, 4\)"):
        lf.image.rgb_to_grayscale(lf.zeros([2, 4]))
    with pytest.raises(lf.errors.ShapeError, match=r"grayscale_to_rgb: .*\(2, 2\)"):
        lf.image.grayscale_to_rgb(lf.zeros([2, 2]))


def ref_otsu(gray):
    hist = np.bincount(np.round(gray).astype(int).ravel(), minlength=256)[:256].astype(float)
    total = gray.size
    best, best_var = -1, 0.0
    for i in range(255):
        a, b = hist[:i + 1], hist[i + 1:]
        if a.sum() == 0 or b.sum() == 0:
            continue
        ma = (a * np.arange(i + 1)).sum() / a.sum()
        mb = (b * np.arange(i + 1, 256)).sum() / b.sum()
        var = a.sum() / total * b.sum() / total * (ma - mb) ** 2
        if var > best_var:
            best, best_var = i, var
    return best


@pytest.mark.parametrize("method", ["binary", "otsu"])
@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("channels", [1, 3])
def test_threshold(backend, rng, method, inverted, channels):
    img = rng.integers(0, 256, (5, 6, channels)).astype(np.float32)
    img[:2] = rng.integers(0, 60, (2, 6, channels))
    if channels == 3:
        gray = (img[..., 0] * np.float32(0.2989) + img[..., 1] * np.float32(0.587)
                + img[..., 2] * np.float32(0.114))
    else:
        gray = img[..., 0]
    thresh = 0.3 * 255 if method == "binary" else ref_otsu(gray.astype(np.float64))
    want = ((gray <= thresh) if inverted else (gray > thresh)).astype(np.int32)[..., None] * 255
    got = lf.image.threshold(lf.tensor(img), method, inverted, 0.3)
    assert got.dtype == "int32"
    np.testing.assert_array_equal(got.numpy(), want)


def test_threshold_bad_input(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"threshold: .*\(2, 2\)"):
        lf.image.threshold(lf.zeros([2, 2]))
    with pytest.raises(lf.errors.InvalidArgumentError, match="otsu"):
        lf.image.threshold(lf.zeros([2, 2, 1]), method="mean")


# -- non-max suppression ----------------------------------------------------------------------
def _boxes():
    return np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11],
                     [0, 10.1, 1, 11.1], [0, 100, 1, 101]], dtype=np.float32)


def test_non_max_suppression(backend):
    scores = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], dtype=np.float32)
    got = lf.image.non_max_suppression(lf.tensor(_boxes()), lf.tensor(scores), 3, 0.5)
    assert got.dtype == "int32" and got.array_sync() == [3, 0, 5]
    got = lf.image.non_max_suppression(_boxes(), scores, 6, 0.5, score_threshold=0.4)
    assert got.array_sync() == [3, 0]
    tied = lf.image.non_max_suppression([[0, 0, 1, 1], [0, 0, 1, 1]], [0.5, 0.5], 2)
    assert tied.array_sync() == [0]


def test_non_max_suppression_with_score(backend):
    scores = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], dtype=np.float32)
    idx, sc = lf.image.non_max_suppression_with_score(_boxes(), scores, 6, 1.0, 0.0,
                                                      soft_nms_sigma=0.5)
    assert idx.dtype == "int32" and sc.dtype == "float32"
    # soft NMS by hand: overlapping boxes decay by exp(-iou^2), in score order
    b = _boxes().astype(np.float64)

    def iou(i, j):
        yi = max(0, min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0]))
        xi = max(0, min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1]))
        inter = yi * xi
        return inter / (2 - inter)

    live = {i: float(s) for i, s in enumerate(scores)}
    want_idx, want_sc = [], []
    while live:
        i = max(live, key=lambda k: (live[k], -k))
        want_idx.append(i)
        want_sc.append(live.pop(i))
        for j in list(live):
            live[j] *= math.exp(-iou(i, j) ** 2)
            if live[j] <= 0.0:
                live.pop(j)
    assert idx.array_sync() == want_idx
    np.testing.assert_allclose(sc.numpy(), want_sc, rtol=1e-6)


def test_non_max_suppression_padded(backend):
    scores = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], dtype=np.float32)
    idx, valid = lf.image.non_max_suppression_padded(_boxes(), scores, 5, 0.5, 0.4, True)
    assert idx.array_sync() == [3, 0, 0, 0, 0] and valid.item() == 2 and valid.dtype == "int32"
    idx, valid = lf.image.non_max_suppression_padded(_boxes(), scores, 5, 0.5, 0.4)
    assert idx.array_sync() == [3, 0] and valid.item() == 2


def test_non_max_suppression_bad_input(backend):
    with pytest.raises(lf.errors.ShapeError, match=r"non_max_suppression: boxes .*\(2, 3\)"):
        lf.image.non_max_suppression(lf.zeros([2, 3]), lf.zeros([2]), 2)
    with pytest.raises(lf.errors.ShapeError, match=r"scores .*\(3,\)"):
        lf.image.non_max_suppression(lf.zeros([2, 4]), lf.zeros([3]), 2)
    with pytest.raises(lf.errors.InvalidArgumentError, match="iou_threshold"):
        lf.image.non_max_suppression(lf.zeros([2, 4]), lf.zeros([2]), 2, iou_threshold=1.5)


def test_resize_tfjs_test_vectors(backend):
    # expected values from TF.js's own resize tests
    x = lf.tensor([2.0, 2.0, 4.0, 4.0], shape=[2, 2, 1])
    flat = [9]
    assert x.resize_nearest_neighbor([3, 3], False).reshape(flat).array_sync() == \
        [2, 2, 2, 2, 2, 2, 4, 4, 4]
    assert x.resize_nearest_neighbor([3, 3], True).reshape(flat).array_sync() == \
        [2, 2, 2, 4, 4, 4, 4, 4, 4]
    np.testing.assert_allclose(x.resize_bilinear([3, 3], False).reshape(flat).numpy(),
                               [2, 2, 2, 10 / 3, 10 / 3, 10 / 3, 4, 4, 4], rtol=1e-6)
    np.testing.assert_allclose(x.resize_bilinear([3, 3], True).reshape(flat).numpy(),
                               [2, 2, 2, 3, 3, 3, 4, 4, 4], rtol=1e-6)
