"""Dtype names, conversion from Python/NumPy values, and the promotion rule.

layerflow names dtypes with TensorFlow.js's strings: ``float32`` (the default for floats),
``int32`` (the default for integers), ``bool``, ``complex64`` and ``string``, plus ``float16``,
``bfloat16`` and ``float64``. Values from Python and NumPy convert as TF.js converts typed
arrays: any float becomes ``float32``, any integer ``int32``, unless a dtype is asked for.

Binary ops promote their inputs as TF.js's ``upcastType`` does (bool < int32 < floats <
complex64); ``float16`` with ``bfloat16`` meets at ``float32``. ``string`` mixes with nothing.

>>> from layerflow.engine import dtypes
>>> dtypes.canonical('Float32'), dtypes.canonical(float), dtypes.upcast('int32', 'float32')
('float32', 'float32', 'float32')
"""

from __future__ import annotations

import numpy as np

from layerflow.errors import DTypeError

DTYPES = ("float32", "int32", "bool", "complex64", "string", "float16", "bfloat16", "float64")
FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})
INTS = frozenset({"int32"})
NUMERIC = FLOATS | INTS | {"complex64"}

# NOTE: the order TF.js upcasts in; float16/bfloat16 share a rank and meet at float32.
_RANK = {"bool": 0, "int32": 1, "float16": 2, "bfloat16": 2, "float32": 3, "float64": 4,
         "complex64": 5}

_ALIASES = {
    "float": "float32", "float32": "float32", "single": "float32",
    "int": "int32", "int32": "int32", "integer": "int32",
    "bool": "bool", "boolean": "bool",
    "complex64": "complex64", "complex": "complex64",
    "string": "string", "str": "string", "object": "string",
    "float16": "float16", "half": "float16",
    "bfloat16": "bfloat16",
    "float64": "float64", "double": "float64",
}
_PY_TYPES = {float: "float32", int: "int32", bool: "bool", complex: "complex64", str: "string",
             bytes: "string"}

_bfloat16 = None


def _bfloat16_type():
    """ml_dtypes' bfloat16 (it ships with jax); plain NumPy has no bfloat16."""
    global _bfloat16
    if _bfloat16 is None:
        try:
            import ml_dtypes
        except ImportError as err:
            raise DTypeError(
                "bfloat16 needs the ml_dtypes package (installed with layerflow[jax])") from err
        _bfloat16 = np.dtype(ml_dtypes.bfloat16)
    return _bfloat16


_NP = {"float32": np.dtype("float32"), "int32": np.dtype("int32"), "bool": np.dtype("bool"),
       "complex64": np.dtype("complex64"), "string": np.dtype(object),
       "float16": np.dtype("float16"), "float64": np.dtype("float64")}

# Exact NumPy dtype -> layerflow name, for arrays kernels return.
_FROM_NP_EXACT = {v: k for k, v in _NP.items()}
# Any NumPy dtype -> the name TF.js conversion gives it (used for user input).
_FROM_NP_KIND = {"f": "float32", "i": "int32", "u": "int32", "b": "bool", "c": "complex64",
                 "U": "string", "S": "string", "O": "string"}


def canonical(dtype) -> str:
    """Return the layerflow name of ``dtype`` (a string, Python type or NumPy dtype).

    Raises:
        DTypeError: the dtype is not one layerflow knows, with the list of those it does.
    """
    if isinstance(dtype, str):
        name = _ALIASES.get(dtype.lower())
        if name is not None:
            return name
    elif isinstance(dtype, type) and dtype in _PY_TYPES:
        return _PY_TYPES[dtype]
    else:
        try:
            np_dtype = np.dtype(dtype)
        except TypeError:
            np_dtype = None
        if np_dtype is not None:
            if np_dtype in _FROM_NP_EXACT:
                return _FROM_NP_EXACT[np_dtype]
            if np_dtype.name == "bfloat16":
                return "bfloat16"
    raise DTypeError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")


def to_numpy(name: str) -> np.dtype:
    """The NumPy dtype that stores layerflow dtype ``name``."""
    if name == "bfloat16":
        return _bfloat16_type()
    return _NP[name]


def from_numpy(np_dtype) -> str:
    """The layerflow dtype TF.js would give an array of ``np_dtype`` (float64 -> float32, ...)."""
    np_dtype = np.dtype(np_dtype)
    if np_dtype == _NP["float16"]:
        return "float16"
    if np_dtype.name == "bfloat16":
        return "bfloat16"
    kind = _FROM_NP_KIND.get(np_dtype.kind)
    if kind is None:
        raise DTypeError(f"cannot convert NumPy dtype {np_dtype} to a layerflow dtype")
    return kind


def exact_from_numpy(np_dtype) -> str:
    """The layerflow dtype an array of ``np_dtype`` holds exactly (float64 stays float64)."""
    np_dtype = np.dtype(np_dtype)
    name = _FROM_NP_EXACT.get(np_dtype)
    if name is not None:
        return name
    if np_dtype.name == "bfloat16":
        return "bfloat16"
    return from_numpy(np_dtype)


def upcast(a: str, b: str) -> str:
    """The dtype two inputs of a binary op are promoted to (TF.js ``upcastType``)."""
    if a == b:
        return a
    if a == "string" or b == "string":
        raise DTypeError(f"cannot combine dtypes {a} and {b}")
    ra, rb = _RANK[a], _RANK[b]
    if ra == rb:  # float16 with bfloat16
        return "float32"
    return a if ra > rb else b


def is_float(name: str) -> bool:
    """True for float16, bfloat16, float32 and float64."""
    return name in FLOATS


def is_floating_or_complex(name: str) -> bool:
    """True for the dtypes gradients flow through."""
    return name in FLOATS or name == "complex64"


def itemsize(name: str) -> int:
    """Bytes per element (strings count their UTF-8 bytes separately)."""
    return {"float32": 4, "int32": 4, "bool": 1, "complex64": 8, "string": 0, "float16": 2,
            "bfloat16": 2, "float64": 8}[name]
