"""Keeping model loading inside the model's folder and inside a memory budget.

A weights manifest names its shard files by relative path. A hostile model.json can name
``../../etc/passwd`` (TF.js's Node loader joins the paths unchecked, tfjs PR #8709), so every
entry goes through :func:`check_weight_path` (syntax) and :func:`resolve_weight_path` (the real
path, symlinks followed, must stay under the real path of the model's folder) before anything is
opened. Rules for an entry: a non-empty relative path with ``/`` separators; no ``..``
component, no empty component, no leading ``/`` or ``\\``, no backslash, no colon (schemes, drive
letters, Windows streams), no NUL or control character, no ``~`` at the start, and no
percent-encoded ``.``, ``/``, ``\\``, ``%``, ``:`` or NUL. ``./x.bin`` is allowed (TF.js's HTTP
saver writes it).

The size cap bounds the bytes that a load may read for weights (default 16 GiB). It is a process
setting, like TF.js's env flags: :func:`set_max_weight_bytes` changes it, and
:func:`weight_bytes_limit` changes it for a ``with`` block.

>>> check_weight_path("./group1-shard1of1.bin")
'group1-shard1of1.bin'
>>> check_weight_path("../secret.bin")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
layerflow.io.errors.PathTraversalError: weight path '../secret.bin' has a '..' component; ...
"""

from __future__ import annotations

import contextlib
import os
import re
import stat

from layerflow.errors import InvalidArgumentError
from layerflow.io.errors import (
    ModelNotFoundError,
    PathTraversalError,
    TruncatedWeightsError,
    WeightsTooLargeError,
)

DEFAULT_MAX_WEIGHT_BYTES = 16 * 1024**3
MAX_PATH_CHARS = 4096
_max_weight_bytes = DEFAULT_MAX_WEIGHT_BYTES

# %2e '.', %2f '/', %5c '\', %25 '%', %3a ':', %00 NUL (any case).
_BAD_PERCENT = re.compile(r"%(2e|2f|5c|25|3a|00)", re.IGNORECASE)


def get_max_weight_bytes() -> int:
    """The cap on the bytes of weights one load may read.

    >>> get_max_weight_bytes() == 16 * 1024**3
    True
    """
    return _max_weight_bytes


def set_max_weight_bytes(n: int) -> int:
    """Set the cap on the bytes of weights one load may read; returns the previous cap.

    >>> old = set_max_weight_bytes(1024)
    >>> get_max_weight_bytes()
    1024
    >>> _ = set_max_weight_bytes(old)
    """
    global _max_weight_bytes
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise InvalidArgumentError(f"max_weight_bytes must be a positive int, got {n!r}")
    old, _max_weight_bytes = _max_weight_bytes, n
    return old


@contextlib.contextmanager
def weight_bytes_limit(n: int):
    """Use ``n`` as the weight size cap inside a ``with`` block.

    >>> with weight_bytes_limit(10):
    ...     get_max_weight_bytes()
    10
    """
    old = set_max_weight_bytes(n)
    try:
        yield n
    finally:
        set_max_weight_bytes(old)


def check_size(nbytes: int, what: str, cap: int | None = None) -> None:
    """Raise :class:`WeightsTooLargeError` when ``nbytes`` exceeds the cap.

    >>> check_size(10, "weights", cap=100)
    >>> check_size(1000, "weights", cap=100)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    layerflow.io.errors.WeightsTooLargeError: weights: 1000 bytes exceed the limit of 100 bytes ...
    """
    cap = _max_weight_bytes if cap is None else cap
    if nbytes > cap:
        raise WeightsTooLargeError(
            f"{what}: {nbytes} bytes exceed the limit of {cap} bytes "
            "(see layerflow.io.set_max_weight_bytes)")


def check_weight_path(entry: object) -> str:
    """Check a manifest path entry's syntax and return it normalised (``./`` parts dropped).

    >>> check_weight_path("sub/w.bin")
    'sub/w.bin'
    >>> check_weight_path("C:\\\\x.bin")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    layerflow.io.errors.PathTraversalError: weight path 'C:\\\\x.bin' contains a backslash; ...
    """
    if not isinstance(entry, str):
        raise PathTraversalError(f"weight path {entry!r} is not a string")
    rel = "weight paths must be relative, '/'-separated paths inside the model's folder"
    if not entry:
        raise PathTraversalError(f"weight path is empty; {rel}")
    if len(entry) > MAX_PATH_CHARS:
        raise PathTraversalError(f"weight path is {len(entry)} characters long; {rel}")
    if any(ord(c) < 32 or ord(c) == 127 for c in entry):
        raise PathTraversalError(f"weight path {entry!r} contains a control character; {rel}")
    if "\\" in entry:
        raise PathTraversalError(f"weight path {entry!r} contains a backslash; {rel}")
    if ":" in entry:
        raise PathTraversalError(
            f"weight path {entry!r} contains ':' (a scheme or drive letter); {rel}")
    if entry.startswith("/"):
        raise PathTraversalError(f"weight path {entry!r} is absolute; {rel}")
    if entry.startswith("~"):
        raise PathTraversalError(f"weight path {entry!r} starts with '~'; {rel}")
    if _BAD_PERCENT.search(entry):
        raise PathTraversalError(
            f"weight path {entry!r} contains a percent-encoded '.', '/', '\\', '%', ':' or NUL;"
            f" {rel}")
    parts = entry.split("/")
    if ".." in parts:
        raise PathTraversalError(
            f"weight path {entry!r} has a '..' component; weight paths must stay inside the "
            "model's folder")
    kept = [p for p in parts if p != "."]
    if not kept or "" in kept:
        raise PathTraversalError(f"weight path {entry!r} has an empty component; {rel}")
    return "/".join(kept)


def resolve_weight_path(model_dir: str | os.PathLike, entry: object) -> str:
    """Return the real path of a manifest entry, checked to lie inside ``model_dir``.

    Symlinks are followed (one pointing inside the folder is fine, one leading out is not). Only
    ``os.path`` string work and ``lstat`` happen here: no file is opened.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> resolve_weight_path(d, "w.bin") == os.path.join(os.path.realpath(d), "w.bin")
    True
    """
    rel = check_weight_path(entry)
    root = os.path.realpath(os.fspath(model_dir))
    real = os.path.realpath(os.path.join(root, *rel.split("/")))
    try:
        inside = os.path.commonpath([root, real]) == root and real != root
    except ValueError:  # different drives on Windows
        inside = False
    if not inside:
        raise PathTraversalError(
            f"weight path {entry!r} resolves to {real!r}, outside the model's folder {root!r} "
            "(a symlink leading out?)")
    return real


def read_regular_file(path: str, *, expected: int | None = None, cap: int | None = None,
                      label: str | None = None) -> bytes:
    """Read a whole regular file, refusing devices, FIFOs and files over the cap.

    The size comes from ``fstat`` of the opened file, so nothing larger than the cap is ever
    allocated. With ``expected`` the size must match exactly (else
    :class:`TruncatedWeightsError`, naming the file and both sizes).

    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "w.bin")
    >>> with open(p, "wb") as f:
    ...     _ = f.write(b"abcd")
    >>> read_regular_file(p, expected=4)
    b'abcd'
    """
    label = label or os.path.basename(path)
    # O_NONBLOCK: opening a FIFO must not wait for a writer (regular files ignore the flag).
    flags = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_NONBLOCK", 0))
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as e:
        raise ModelNotFoundError(f"{label}: file not found ({path})") from e
    except OSError as e:
        raise ModelNotFoundError(f"{label}: cannot open {path}: {e.strerror}") from e
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise PathTraversalError(f"{label}: {path} is not a regular file")
        size = st.st_size
        if expected is not None and size != expected:
            raise truncated(label, expected, size)
        check_size(size, label, cap)
        data = f.read(size + 1)
    if len(data) != size:  # changed under us
        raise truncated(label, size, len(data))
    return data


def truncated(label: str, expected: int, actual: int) -> TruncatedWeightsError:
    """The error for a weight file of the wrong size.

    >>> print(truncated("group1-shard1of2.bin", 4194304, 1048576))
    group1-shard1of2.bin: expected 4194304 bytes, got 1048576; the file may be truncated
    """
    if actual < expected:
        return TruncatedWeightsError(
            f"{label}: expected {expected} bytes, got {actual}; the file may be truncated")
    return TruncatedWeightsError(
        f"{label}: expected {expected} bytes, got {actual}; the file has trailing bytes that "
        "the weights manifest does not describe (corrupt or mismatched file?)")


__all__ = [
    "DEFAULT_MAX_WEIGHT_BYTES", "get_max_weight_bytes", "set_max_weight_bytes",
    "weight_bytes_limit", "check_size", "check_weight_path", "resolve_weight_path",
    "read_regular_file", "truncated",
]
