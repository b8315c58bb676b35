"""The TF.js weights format: named arrays <-> (weight specs, one flat byte buffer).

This is ``tf.io.encodeWeights`` / ``tf.io.decodeWeights`` plus the converter's quantization and
sharding (REFERENCE section 4b). A weight spec is the JSON object of the manifest:
``{"name", "shape", "dtype", "quantization"?, "group"?}``. Weights are laid out back to back in
spec order, little-endian, C order, no padding:

======== =========================================== ============================
dtype    bytes per element                            decoded as
======== =========================================== ============================
float32  4                                           ``float32``
int32    4                                           ``int32``
bool     1 (0 or 1)                                  ``bool``
complex64 8 (re, im as float32)                      ``complex64``
string   per element: uint32 LE byte length + UTF-8  ``object`` array of ``str``
======== =========================================== ============================

Quantization (storage only; a quantized float32 weight decodes to float32 again):
``uint8``/``uint16`` store ``q`` with ``value = q * scale + min`` (int32 weights: rounded half up
as JavaScript's ``Math.round``), ``float16`` stores IEEE half floats of float32 weights.

Decisions (TF.js has no float16/float64/int64 weight dtype):

- float64 is stored as float32 and int64/uint/int8/int16 as int32 (the converter's casts); an
  integer outside the int32 range or a finite float that overflows float32 is an error, not a
  silent wrap.
- a float16 (or bfloat16) array is stored as float32 with ``float16`` quantization when nothing
  else is asked: exact, and half the bytes. It decodes as float32.
- only float weights are quantized (as the converter does); ``quantize`` is ``None``, one of
  ``'uint8'``, ``'uint16'``, ``'float16'``, or a dict mapping those to weight-name glob patterns
  (``{'uint8': ['dense*/kernel'], 'float16': '*'}``); a name matched by two dtypes is an error.
- ``uint8``/``uint16`` use min/max affine quantization; the reported bound is
  ``scale / 2`` plus float32 rounding of the result. ``float16``'s bound is
  ``max|x| * 2**-11 + 2**-25``.
- decoded strings are ``str``; bytes that are not UTF-8 come back through ``surrogateescape``,
  so re-encoding gives the same bytes.
- sizes are computed with Python ints and checked against the bytes present (and the size cap)
  before anything is allocated; bytes left over after the last weight are an error.

>>> import numpy as np
>>> specs, data, bounds = encode_weights({"w": np.ones((2, 2), "float32"), "n": np.int32(7)})
>>> specs
[{'name': 'w', 'shape': [2, 2], 'dtype': 'float32'}, {'name': 'n', 'shape': [], 'dtype': 'int32'}]
>>> len(data), bounds
(20, {'w': 0.0, 'n': 0.0})
>>> {k: v.tolist() for k, v in decode_weights(specs, data).items()}
{'w': [[1.0, 1.0], [1.0, 1.0]], 'n': 7}
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping

import numpy as np

from layerflow.errors import InvalidArgumentError
from layerflow.io.errors import (
    ManifestError,
    QuantizationError,
    TruncatedWeightsError,
    WeightsDTypeError,
)
from layerflow.io.safety import check_size

DTYPE_SIZES = {"float32": 4, "int32": 4, "bool": 1, "complex64": 8}
TFJS_DTYPES = ("float32", "int32", "bool", "complex64", "string")
QUANTIZATION_SIZES = {"uint8": 1, "uint16": 2, "float16": 2}
QUANTIZATION_DTYPES = tuple(QUANTIZATION_SIZES)
DEFAULT_SHARD_SIZE_BYTES = 4 * 1024 * 1024
MAX_RANK = 64
_NP = {"float32": "<f4", "int32": "<i4", "bool": "u1", "complex64": "<c8",
       "uint8": "u1", "uint16": "<u2", "float16": "<f2"}
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


# ----------------------------------------------------------------------------- specs and sizes

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def validate_spec(spec: object, where: str = "weight spec") -> dict:
    """Check one weight spec's fields and types; return it (unchanged) or raise ManifestError.

    >>> validate_spec({"name": "k", "shape": [2, 3], "dtype": "float32"})["shape"]
    [2, 3]
    >>> validate_spec({"name": "k", "shape": [-1, 4], "dtype": "float32"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    layerflow.io.errors.ManifestError: weight spec 'k': shape [-1, 4] must be a list of ...
    """
    if not isinstance(spec, Mapping):
        raise ManifestError(f"{where}: expected an object, got {type(spec).__name__}")
    name = spec.get("name")
    if not isinstance(name, str):
        raise ManifestError(f"{where}: 'name' must be a string, got {name!r:.80}")
    where = f"weight spec {name!r:.200}"
    shape = spec.get("shape")
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or not all(_is_int(d) and d >= 0 for d in shape)):
        raise ManifestError(
            f"{where}: shape {shape!r:.200} must be a list of non-negative ints"
            f" (at most {MAX_RANK} of them)")
    dtype = spec.get("dtype")
    if not isinstance(dtype, str) or dtype not in TFJS_DTYPES:
        raise WeightsDTypeError(
            f"{where}: dtype {dtype!r:.80} is not a TF.js weight dtype {list(TFJS_DTYPES)}")
    if "group" in spec and spec["group"] is not None and not isinstance(spec["group"], str):
        raise ManifestError(f"{where}: 'group' must be a string")
    if "quantization" in spec:
        _validate_quantization(spec["quantization"], dtype, where)
    return spec


def _validate_quantization(q: object, dtype: str, where: str) -> None:
    if not isinstance(q, Mapping):
        raise ManifestError(f"{where}: 'quantization' must be an object")
    qd = q.get("dtype")
    if not isinstance(qd, str) or qd not in QUANTIZATION_SIZES:
        raise WeightsDTypeError(
            f"{where}: quantization dtype {qd!r:.80} is not one of {list(QUANTIZATION_DTYPES)}")
    if qd == "float16":
        if dtype != "float32":
            raise WeightsDTypeError(
                f"{where}: float16 quantization holds float32 weights only, not {dtype}")
        return
    if dtype not in ("float32", "int32"):
        raise WeightsDTypeError(f"{where}: {qd} quantization holds float32 or int32, not {dtype}")
    for key in ("scale", "min"):
        if not _is_number(q.get(key)):
            raise ManifestError(
                f"{where}: {qd} quantization needs a finite number '{key}', got "
                f"{q.get(key)!r:.80}")


def num_elements(shape: list[int]) -> int:
    """Exact element count (Python ints: never overflows to 0 as ``np.prod`` can).

    >>> num_elements([2**32, 2**32])
    18446744073709551616
    >>> num_elements([])
    1
    """
    return math.prod(shape)


def weight_byte_size(spec: Mapping) -> int | None:
    """Bytes a (validated) spec occupies; ``None`` for strings (their size is in the data).

    >>> weight_byte_size({"name": "k", "shape": [3], "dtype": "float32",
    ...                   "quantization": {"dtype": "uint8", "scale": 1.0, "min": 0.0}})
    3
    """
    if "quantization" in spec:
        return num_elements(spec["shape"]) * QUANTIZATION_SIZES[spec["quantization"]["dtype"]]
    if spec["dtype"] == "string":
        return None
    return num_elements(spec["shape"]) * DTYPE_SIZES[spec["dtype"]]


def validate_specs(specs: object, where: str = "weights manifest") -> tuple[int, int]:
    """Validate a list of specs; return (fixed bytes, number of string elements).

    Strings take at least 4 bytes each, so ``fixed + 4 * strings`` is a lower bound on the data.
    Duplicate names are rejected (which weight would be meant is ambiguous).

    >>> validate_specs([{"name": "a", "shape": [2], "dtype": "int32"},
    ...                 {"name": "s", "shape": [3], "dtype": "string"}])
    (8, 3)
    """
    if not isinstance(specs, list):
        raise ManifestError(f"{where}: weights must be a list, got {type(specs).__name__}")
    fixed = strings = 0
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        validate_spec(spec, f"{where}: weights[{i}]")
        if spec["name"] in seen:
            raise ManifestError(f"{where}: weight name {spec['name']!r:.200} appears twice")
        seen.add(spec["name"])
        size = weight_byte_size(spec)
        if size is None:
            strings += num_elements(spec["shape"])
        else:
            fixed += size
        check_size(fixed + 4 * strings, where)
    return fixed, strings


# ----------------------------------------------------------------------------- decoding

def decode_weights(specs: list, data: bytes | bytearray | memoryview, *,
                   source: str = "weight data", max_bytes: int | None = None) -> dict:
    """Decode a flat buffer into ``{name: np.ndarray}`` (the reverse of :func:`encode_weights`).

    Every spec is checked, and the bytes it needs are compared with the bytes present, before
    any array is made. Too few bytes raise :class:`TruncatedWeightsError`, bytes left over a
    :class:`ManifestError`.

    >>> decode_weights([{"name": "b", "shape": [2], "dtype": "bool"}], b"\\x01\\x00")["b"]
    array([ True, False])
    >>> bomb = [{"name": "x", "shape": [1000000, 1000000], "dtype": "float32"}]
    >>> decode_weights(bomb, b"8 bytes!")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    layerflow.io.errors.WeightsTooLargeError: weights manifest: 4000000000000 bytes exceed ...
    """
    fixed, strings = validate_specs(specs)
    check_size(fixed + 4 * strings, "weights manifest", max_bytes)
    buf = memoryview(data).cast("B")
    total = len(buf)
    if fixed + 4 * strings > total:
        raise TruncatedWeightsError(
            f"{source}: expected {'at least ' if strings else ''}{fixed + 4 * strings} bytes, "
            f"got {total}; the file may be truncated")
    out: dict[str, np.ndarray] = {}
    offset = 0
    for spec in specs:
        if spec["dtype"] == "string" and "quantization" not in spec:
            out[spec["name"]], offset = _decode_strings(spec, buf, offset, source)
            continue
        size = weight_byte_size(spec)
        if offset + size > total:
            raise TruncatedWeightsError(
                f"{source}: weight {spec['name']!r} needs bytes {offset}..{offset + size}, "
                f"got {total}; the file may be truncated")
        out[spec["name"]] = _decode_fixed(spec, buf[offset:offset + size])
        offset += size
    if offset != total:
        raise ManifestError(
            f"{source}: the weights manifest describes {offset} bytes but there are {total}; "
            "the weights do not match this manifest")
    return out


def _decode_fixed(spec: Mapping, raw: memoryview) -> np.ndarray:
    shape = tuple(spec["shape"])
    q = spec.get("quantization")
    if q is None:
        arr = np.frombuffer(raw, dtype=_NP[spec["dtype"]])
        if spec["dtype"] == "bool":
            return (arr != 0).reshape(shape)
        return arr.astype(spec["dtype"]).reshape(shape)
    qarr = np.frombuffer(raw, dtype=_NP[q["dtype"]])
    if q["dtype"] == "float16":
        return qarr.astype(np.float32).reshape(shape)
    # JavaScript computes v * scale + min in doubles, then stores into a Float32Array
    # (overflow gives Inf there too).
    with np.errstate(over="ignore", invalid="ignore"):
        values = qarr.astype(np.float64) * float(q["scale"]) + float(q["min"])
        if spec["dtype"] == "float32":
            return values.astype(np.float32).reshape(shape)
        values = np.floor(values + 0.5)
    if values.size and (values.min() < _INT32_MIN or values.max() > _INT32_MAX):
        raise ManifestError(f"weight spec {spec['name']!r}: dequantized values leave int32 range")
    return values.astype(np.int32).reshape(shape)


def _decode_strings(spec: Mapping, buf: memoryview, offset: int, source: str):
    count = num_elements(spec["shape"])
    total = len(buf)
    if offset + 4 * count > total:
        raise TruncatedWeightsError(
            f"{source}: string weight {spec['name']!r} needs at least {4 * count} bytes at "
            f"offset {offset}, got {total - offset}; the file may be truncated")
    values = np.empty(count, dtype=object)
    for i in range(count):
        if offset + 4 > total:
            raise TruncatedWeightsError(
                f"{source}: string weight {spec['name']!r} element {i} is cut at offset "
                f"{offset}; the file may be truncated")
        n = int.from_bytes(buf[offset:offset + 4], "little")
        offset += 4
        if offset + n > total:
            raise TruncatedWeightsError(
                f"{source}: string weight {spec['name']!r} element {i} needs {n} bytes at "
                f"offset {offset}, got {total - offset}; the file may be truncated")
        values[i] = bytes(buf[offset:offset + n]).decode("utf-8", "surrogateescape")
        offset += n
    return values.reshape(tuple(spec["shape"])), offset


# ----------------------------------------------------------------------------- encoding

def _as_items(named_arrays) -> list[tuple[str, object]]:
    if isinstance(named_arrays, Mapping):
        items = list(named_arrays.items())
    elif isinstance(named_arrays, Iterable):
        items = []
        for item in named_arrays:
            if isinstance(item, Mapping) and "name" in item:
                items.append((item["name"], item.get("tensor", item.get("array"))))
            else:
                try:
                    name, value = item
                except (TypeError, ValueError) as e:
                    raise InvalidArgumentError(
                        "named_arrays must be a dict or (name, array) pairs") from e
                items.append((name, value))
    else:
        raise InvalidArgumentError(
            f"named_arrays must be a dict or (name, array) pairs, got {type(named_arrays)}")
    for name, _ in items:
        if not isinstance(name, str):
            raise InvalidArgumentError(f"weight names must be strings, got {name!r}")
    return items


def _quantization_for(name: str, quantize) -> str | None:
    if quantize is None:
        return None
    if isinstance(quantize, str):
        return quantize
    hits = []
    for qdtype, patterns in quantize.items():
        pats = [patterns] if isinstance(patterns, str) else list(patterns)
        if any(fnmatch.fnmatchcase(name, p) for p in pats):
            hits.append(qdtype)
    if len(hits) > 1:
        raise InvalidArgumentError(f"weight {name!r} matches more than one quantization: {hits}")
    return hits[0] if hits else None


def _check_quantize(quantize) -> None:
    if quantize is None:
        return
    if isinstance(quantize, str):
        keys = [quantize]
    elif isinstance(quantize, Mapping):
        keys = list(quantize)
        for v in quantize.values():
            if not (isinstance(v, str) or (isinstance(v, Iterable)
                                           and all(isinstance(p, str) for p in v))):
                raise InvalidArgumentError(
                    f"quantize patterns must be a glob string or a list of them, got {v!r}")
    else:
        raise InvalidArgumentError(f"quantize must be None, a dtype string or a dict, "
                                   f"got {quantize!r}")
    for k in keys:
        if k not in QUANTIZATION_SIZES:
            raise InvalidArgumentError(
                f"unknown quantization dtype {k!r}; expected one of {list(QUANTIZATION_DTYPES)}")


def _to_tfjs(name: str, value) -> tuple[np.ndarray, str, bool]:
    """(array in the stored dtype, TF.js dtype, was half precision)."""
    arr = np.asarray(value)
    kind, dname = arr.dtype.kind, arr.dtype.name
    if dname == "bfloat16" or dname == "float16":
        return arr.astype(np.float32), "float32", True
    if kind == "f":
        with np.errstate(over="ignore"):
            out = arr.astype(np.float32)
        if dname != "float32" and np.any(np.isinf(out) & np.isfinite(arr)):
            raise QuantizationError(f"weight {name!r}: {dname} values overflow float32")
        return out, "float32", False
    if kind in "iu":
        if arr.size and (int(arr.min()) < _INT32_MIN or int(arr.max()) > _INT32_MAX):
            raise WeightsDTypeError(
                f"weight {name!r}: {dname} values leave the int32 range that TF.js stores")
        return arr.astype(np.int32), "int32", False
    if kind == "b":
        return arr, "bool", False
    if kind == "c":
        return arr.astype(np.complex64), "complex64", False
    if kind in "USO":
        flat = arr.reshape(-1)
        for v in flat:
            if not isinstance(v, (str, bytes, np.str_, np.bytes_)):
                raise WeightsDTypeError(
                    f"weight {name!r}: object arrays may hold only str or bytes, found "
                    f"{type(v).__name__}")
        return arr, "string", False
    raise WeightsDTypeError(f"weight {name!r}: dtype {arr.dtype} has no TF.js weight dtype")


def _quantize(name: str, x: np.ndarray, qdtype: str) -> tuple[bytes, dict, float]:
    if qdtype == "float16":
        with np.errstate(over="ignore"):
            h = x.astype("<f2")
        if np.any(np.isinf(h) & np.isfinite(x)):
            raise QuantizationError(f"weight {name!r}: values beyond ±65504 overflow float16")
        finite = np.abs(x[np.isfinite(x)])
        top = float(finite.max()) if finite.size else 0.0
        return h.tobytes(), {"dtype": "float16"}, top * 2.0**-11 + 2.0**-25
    x64 = x.astype(np.float64)
    if x64.size and not np.all(np.isfinite(x64)):
        raise QuantizationError(f"weight {name!r}: NaN or Inf values cannot be {qdtype}-quantized")
    qmax = 255 if qdtype == "uint8" else 65535
    lo = float(x64.min()) if x64.size else 0.0
    hi = float(x64.max()) if x64.size else 0.0
    if hi == lo:
        scale, q = 1.0, np.zeros(x64.shape, _NP[qdtype])
    else:
        scale = (hi - lo) / qmax
        q = np.clip(np.rint((x64 - lo) / scale), 0, qmax).astype(_NP[qdtype])
    bound = 0.0 if hi == lo else scale / 2 * (1 + 1e-9)
    bound += max(abs(lo), abs(hi)) * 2.0**-24
    return q.tobytes(), {"dtype": qdtype, "scale": scale, "min": lo}, bound


def _encode_strings(arr: np.ndarray) -> bytes:
    parts = []
    for v in arr.reshape(-1):
        b = bytes(v) if isinstance(v, (bytes, np.bytes_)) else str(v).encode(
            "utf-8", "surrogateescape")
        parts += [len(b).to_bytes(4, "little"), b]
    return b"".join(parts)


def encode_weights(named_arrays, quantize=None, *, group: str | None = None):
    """Encode named arrays as TF.js weight specs and one flat buffer.

    Args:
        named_arrays: a dict ``{name: array}``, ``(name, array)`` pairs, or TF.js-style
            ``{"name": ..., "tensor": ...}`` dicts; arrays are anything ``np.asarray`` takes.
        quantize: ``None``, ``'uint8'``, ``'uint16'``, ``'float16'`` or a dict mapping those to
            weight-name glob patterns. Only float weights are quantized.
        group: written as each spec's ``group`` (``'model'`` or ``'optimizer'``) when given.

    Returns:
        ``(specs, data, error_bounds)``; ``error_bounds[name]`` bounds ``|decoded - original|``
        (0.0 for weights stored exactly). Encodings concatenate: specs ``a + b`` describe
        ``data_a + data_b``.

    >>> import numpy as np
    >>> specs, data, b = encode_weights({"k": np.linspace(-1, 1, 5)}, quantize="uint8")
    >>> specs[0]["quantization"]["dtype"], len(data), b["k"] < 0.004
    ('uint8', 5, True)
    """
    _check_quantize(quantize)
    specs, chunks, bounds = [], [], {}
    seen: set[str] = set()
    for name, value in _as_items(named_arrays):
        if name in seen:
            raise InvalidArgumentError(f"weight name {name!r} appears twice")
        seen.add(name)
        arr, dtype, half = _to_tfjs(name, value)
        spec: dict = {"name": name, "shape": [int(d) for d in arr.shape], "dtype": dtype}
        qdtype = _quantization_for(name, quantize) if dtype == "float32" else None
        if qdtype is None and half:
            qdtype = "float16"  # exact for half-precision input
        bound = 0.0
        if qdtype is not None:
            raw, spec["quantization"], bound = _quantize(name, arr, qdtype)
            if half and qdtype == "float16":
                bound = 0.0
        elif dtype == "string":
            raw = _encode_strings(arr)
        else:
            raw = np.ascontiguousarray(arr, dtype=_NP[dtype]).tobytes()
        if group is not None:
            spec["group"] = group
        specs.append(spec)
        chunks.append(raw)
        bounds[name] = bound
    return specs, b"".join(chunks), bounds


# ----------------------------------------------------------------------------- shards

def shard_names(num_shards: int, group: int = 1) -> list[str]:
    """The converter's shard file names.

    >>> shard_names(2)
    ['group1-shard1of2.bin', 'group1-shard2of2.bin']
    """
    return [f"group{group}-shard{i}of{num_shards}.bin" for i in range(1, num_shards + 1)]


def split_shards(data: bytes, shard_size_bytes: int = DEFAULT_SHARD_SIZE_BYTES) -> list[bytes]:
    """Split a buffer blindly into shards of ``shard_size_bytes`` (the last may be short).

    >>> [len(s) for s in split_shards(b"x" * 10, 4)]
    [4, 4, 2]
    """
    if isinstance(shard_size_bytes, bool) or not isinstance(shard_size_bytes, int) \
            or shard_size_bytes <= 0:
        raise InvalidArgumentError(
            f"shard_size_bytes must be a positive int, got {shard_size_bytes!r}")
    mv = memoryview(data)
    return [bytes(mv[i:i + shard_size_bytes]) for i in range(0, len(mv), shard_size_bytes)]


def build_weights_manifest(specs: list, data: bytes,
                           shard_size_bytes: int = DEFAULT_SHARD_SIZE_BYTES):
    """One manifest group for ``specs`` and its shard files.

    Returns ``(weights_manifest, [(file_name, bytes), ...])``.

    >>> manifest, files = build_weights_manifest(
    ...     [{"name": "w", "shape": [3], "dtype": "float32"}], bytes(12), shard_size_bytes=8)
    >>> manifest[0]["paths"], [len(b) for _, b in files]
    (['group1-shard1of2.bin', 'group1-shard2of2.bin'], [8, 4])
    """
    shards = split_shards(data, shard_size_bytes)
    names = shard_names(len(shards))
    return [{"paths": names, "weights": list(specs)}], list(zip(names, shards))


def expected_shard_sizes(total: int, sizes: list[int]) -> list[int] | None:
    """Guess each shard's intended size from the group total and the sizes found.

    Writers split blindly: every shard but the last has the same size ``S``. Two readings of
    the sizes found are tried: the last shard is intact (``S = (total - last) / (n - 1)``), or
    the first ``n - 1`` shards are (``S`` = their largest size). When both fit, the one whose
    ``S`` is a multiple of 1024 wins (shard sizes are set in KiB or MiB), then the second.
    ``None`` when neither fits.

    >>> expected_shard_sizes(12, [8, 3])
    [8, 4]
    >>> expected_shard_sizes(5 * 1024, [1000, 1024])
    [4096, 1024]
    """
    n = len(sizes)
    if n == 0:
        return None if total else []
    if n == 1:
        return [total]

    def fits(s: int) -> list[int] | None:
        last = total - (n - 1) * s
        return [s] * (n - 1) + [last] if s > 0 and 0 < last <= s else None

    a = fits((total - sizes[-1]) // (n - 1)) if (total - sizes[-1]) % (n - 1) == 0 else None
    b = fits(max(sizes[:-1]))
    if a and a[0] < max(sizes[:-1]):
        a = None
    if a and b and a != b:
        if a[0] % 1024 == 0 and b[0] % 1024:
            return a
        return b
    return b or a
