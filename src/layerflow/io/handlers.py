"""IO handlers: where artifacts are saved to and loaded from (files, HTTP, memory, callbacks).

A handler is any object with ``save(artifacts) -> SaveResult`` and/or ``load() ->
ModelArtifacts``, as in TF.js. The built-in ones:

- :class:`FileHandler` -- a folder with ``model.json`` and the converter's shard files
  ``group1-shard{i}of{N}.bin`` (4 MiB each by default). Saving is atomic: the files are written
  into a sibling temporary folder, fsynced, and the folder is renamed into place, so a crash
  leaves the old model or the new one, never a mix. An interrupted save's leftovers
  (``.<name>.lf-tmp-*``, ``.<name>.lf-old-*``) are cleaned up by the next save, which restores the
  old model if the swap was cut between its two renames. Because the whole folder is replaced,
  saving refuses a folder holding anything but a saved model.
- :class:`HTTPHandler` -- loads ``model.json`` with ``urllib`` (timeouts, size caps, only
  http/https, redirects included), then each shard from the same folder URL (or
  ``weight_path_prefix``), keeping the model.json URL's query string, as TF.js does. Saves by
  POSTing a multipart form with ``model.json`` and ``model.weights.bin``, as TF.js does.
- :func:`from_memory` and :func:`with_save_handler`.

Loading checks every weight path (:mod:`layerflow.io.safety`) and every shard's size against the
manifest before any shard is opened or any array allocated.

>>> import tempfile, numpy as np
>>> from layerflow.io.artifacts import ModelArtifacts
>>> folder = tempfile.mkdtemp() + "/model"
>>> a = ModelArtifacts(model_topology={"class_name": "Sequential"}, weights={"w": np.ones(3)})
>>> FileHandler(folder).save(a).files
['model.json', 'group1-shard1of1.bin']
>>> FileHandler("file://" + folder + "/model.json").load().weights["w"]
array([1., 1., 1.], dtype=float32)
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.client import HTTPException

from layerflow.errors import InvalidArgumentError
from layerflow.io.artifacts import ModelArtifacts, SaveResult, artifacts_info
from layerflow.io.errors import (
    HandlerError,
    HTTPRequestError,
    ModelFormatError,
    ModelIOError,
    ModelNotFoundError,
    ModelSaveError,
    PathTraversalError,
)
from layerflow.io.model_json import (
    MAX_JSON_BYTES,
    artifacts_from_model_json,
    dump_model_json,
    model_json_from_artifacts,
    parse_model_json,
)
from layerflow.io.safety import (
    check_size,
    check_weight_path,
    get_max_weight_bytes,
    read_regular_file,
    resolve_weight_path,
    truncated,
)
from layerflow.io.weights import (
    DEFAULT_SHARD_SIZE_BYTES,
    build_weights_manifest,
    decode_weights,
    expected_shard_sizes,
    validate_specs,
)

MODEL_JSON = "model.json"
STALE_SECONDS = 3600
_MODEL_FILE = re.compile(r"^(group\d+-shard\d+of\d+\.bin|weights\.bin|model\.weights\.bin)$")


# ----------------------------------------------------------------------------- shared loading

def check_group_sizes(paths: list[str], sizes: list[int], specs: list, where: str) -> None:
    """Compare a manifest group's shard sizes with what its specs need; name the bad file.

    >>> from layerflow.io.errors import TruncatedWeightsError
    >>> try:
    ...     check_group_sizes(["a.bin", "b.bin"], [8, 2],
    ...                       [{"name": "w", "shape": [3], "dtype": "float32"}], "group 1")
    ... except TruncatedWeightsError as e:
    ...     print(e)
    b.bin: expected 4 bytes, got 2; the file may be truncated
    """
    fixed, strings = validate_specs(specs, where)
    found = sum(sizes)
    label = ", ".join(paths) if paths else where
    if strings:
        if found < fixed + 4 * strings:
            raise truncated(label, fixed + 4 * strings, found)
        return
    if found == fixed:
        return
    guess = expected_shard_sizes(fixed, sizes)
    if guess:
        for path, size, want in zip(paths, sizes, guess):
            if size != want:
                raise truncated(path, want, size)
    raise truncated(label, fixed, found)


def decode_groups(manifest: list, datas: list[bytes]) -> tuple[bytes, dict]:
    """Decode each group's bytes; return (all bytes joined, ``{name: array}``)."""
    weights: dict = {}
    for group, data in zip(manifest, datas):
        weights.update(decode_weights(group["weights"], data,
                                      source=", ".join(group["paths"]) or "weight data"))
    return b"".join(datas), weights


def _load_from_doc(art: ModelArtifacts, read_group) -> ModelArtifacts:
    manifest = art.weights_manifest or []
    datas = [read_group(g, group) for g, group in enumerate(manifest)]
    art.weight_data, art.weights = decode_groups(manifest, datas)
    art.weight_specs = art.weight_specs or []
    return art


# ----------------------------------------------------------------------------- files

def strip_file_scheme(url: str | os.PathLike) -> str:
    """A local path from ``file://...`` or a plain path.

    >>> strip_file_scheme("file:///tmp/m/model.json")
    '/tmp/m/model.json'
    """
    s = os.fspath(url)
    if isinstance(s, bytes):
        s = os.fsdecode(s)
    return s[len("file://"):] if s.startswith("file://") else s


def _write_file(path: str, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: str) -> None:
    if os.name == "nt":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if os.name == "nt" or pid == os.getpid():
        return pid == os.getpid()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def cleanup_stale(folder: str) -> list[str]:
    """Remove leftovers of interrupted saves of ``folder``; restore its old copy if missing.

    Leftovers are ``.<name>.lf-tmp-<pid>-<hex>`` and ``.<name>.lf-old-<pid>-<hex>`` beside the
    folder whose process is gone or which are older than an hour. Returns what was removed.

    >>> import tempfile
    >>> cleanup_stale(tempfile.mkdtemp() + "/model")
    []
    """
    parent, name = os.path.split(os.path.abspath(folder))
    pattern = re.compile(r"^\." + re.escape(name) + r"\.lf-(tmp|old)-(\d+)-[0-9a-f]+$")
    removed = []
    try:
        entries = sorted(os.listdir(parent))
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry)
        if not m:
            continue
        path = os.path.join(parent, entry)
        try:
            age = time.time() - os.lstat(path).st_mtime
        except OSError:
            continue
        if _pid_alive(int(m.group(2))) and age < STALE_SECONDS:
            continue
        if m.group(1) == "old" and not os.path.lexists(folder):
            os.rename(path, folder)  # the swap was cut after moving the old model away
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(entry)
    return removed


def _check_replaceable(folder: str, json_name: str) -> None:
    if not os.path.lexists(folder):
        return
    if os.path.islink(folder) or not os.path.isdir(folder):
        raise ModelSaveError(f"{folder} exists and is not a folder; refusing to replace it")
    allowed = {json_name}
    with contextlib.suppress(ModelIOError, OSError):
        doc = parse_model_json(read_regular_file(os.path.join(folder, json_name),
                                                 cap=MAX_JSON_BYTES))
        for group in doc.get("weightsManifest") or []:
            for p in group.get("paths", []):
                allowed.add(check_weight_path(p))
    foreign = [e for e in sorted(os.listdir(folder)) if e not in allowed
               and not _MODEL_FILE.match(e)]
    if foreign:
        raise ModelSaveError(
            f"{folder} holds files that are not part of a saved model ({foreign[:5]}); saving "
            "replaces the whole folder atomically, so save to a new or empty folder")


def _swap_into_place(tmp: str, folder: str, old: str) -> None:
    moved = False
    try:
        if os.path.lexists(folder):
            os.rename(folder, old)
            moved = True
        os.rename(tmp, folder)
    except BaseException:
        if moved and not os.path.lexists(folder):
            os.rename(old, folder)
        raise
    _fsync_dir(os.path.dirname(folder))


class FileHandler:
    """Save to / load from a local folder (``file://dir``, ``file://dir/model.json`` or a path).

    ``weight_path_prefix`` (load only) is a folder to read the shards from instead of the
    model.json's folder; shard paths must stay inside it.
    """

    def __init__(self, path: str | os.PathLike, *,
                 shard_size_bytes: int = DEFAULT_SHARD_SIZE_BYTES,
                 weight_path_prefix: str | None = None):
        local = strip_file_scheme(path)
        if not local:
            raise InvalidArgumentError("FileHandler needs a non-empty path")
        self.path = local
        self.shard_size_bytes = shard_size_bytes
        self.weight_path_prefix = weight_path_prefix

    def __repr__(self) -> str:
        return f"FileHandler({self.path!r})"

    def _save_target(self) -> tuple[str, str]:
        p = os.path.abspath(self.path)
        if p.endswith(".json"):
            return os.path.dirname(p), os.path.basename(p)
        return p, MODEL_JSON

    def save(self, artifacts: ModelArtifacts) -> SaveResult:
        """Write ``model.json`` and shards atomically into the folder."""
        art = artifacts.encoded()
        manifest, files = build_weights_manifest(art.weight_specs, art.weight_data,
                                                 self.shard_size_bytes)
        folder, json_name = self._save_target()
        files = [(json_name, dump_model_json(model_json_from_artifacts(art, manifest)))] + files
        parent, name = os.path.split(folder)
        token = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        tmp = os.path.join(parent, f".{name}.lf-tmp-{token}")
        old = os.path.join(parent, f".{name}.lf-old-{token}")
        try:
            os.makedirs(parent, exist_ok=True)
            cleanup_stale(folder)
            _check_replaceable(folder, json_name)
            os.mkdir(tmp)
            for fname, data in files:
                _write_file(os.path.join(tmp, fname), data)
            _fsync_dir(tmp)
            _swap_into_place(tmp, folder, old)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(e, ModelIOError):
                raise
            raise ModelSaveError(f"saving to {folder} failed: {e}; the previous model (if any) "
                                 "is unchanged") from e
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return SaveResult(artifacts_info(art), path=folder, files=[f for f, _ in files])

    def _json_path(self) -> str:
        p = os.path.abspath(self.path)
        return os.path.join(p, MODEL_JSON) if os.path.isdir(p) else p

    def load(self) -> ModelArtifacts:
        """Read ``model.json`` and its shards (paths and sizes checked before any shard opens)."""
        json_path = self._json_path()
        if not os.path.isfile(json_path):
            raise ModelNotFoundError(f"no model.json at {json_path}")
        if os.path.getsize(json_path) > MAX_JSON_BYTES:
            raise ModelFormatError(
                f"{json_path}: {os.path.getsize(json_path)} bytes; the limit is {MAX_JSON_BYTES}")
        jbytes = read_regular_file(json_path, cap=MAX_JSON_BYTES)
        root = self.weight_path_prefix or os.path.dirname(json_path)
        art = artifacts_from_model_json(parse_model_json(jbytes, source=json_path),
                                        source=json_path)
        manifest = art.weights_manifest or []
        # Every path of every group is confined and sized before the first shard is opened.
        plan, budget = [], 0
        for g, group in enumerate(manifest):
            reals = [resolve_weight_path(root, p) for p in group["paths"]]
            sizes = []
            for p, real in zip(group["paths"], reals):
                try:
                    st = os.stat(real)
                except OSError as e:
                    raise ModelNotFoundError(f"{p}: weight file not found ({real})") from e
                if not stat.S_ISREG(st.st_mode):
                    raise PathTraversalError(f"{p}: {real} is not a regular file")
                sizes.append(st.st_size)
            check_group_sizes(group["paths"], sizes, group["weights"], f"weightsManifest[{g}]")
            budget += sum(sizes)
            check_size(budget, "weight files")
            plan.append((reals, sizes))

        def read_group(g, group):
            reals, sizes = plan[g]
            return b"".join(read_regular_file(r, expected=s, label=p)
                            for r, s, p in zip(reals, sizes, group["paths"]))

        return _load_from_doc(art, read_group)


# ----------------------------------------------------------------------------- http

def _opener() -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()  # http(s) only: no file://, ftp:// or data:
    for h in (urllib.request.ProxyHandler(), urllib.request.UnknownHandler(),
              urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
              urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPRedirectHandler(),
              urllib.request.HTTPErrorProcessor()):
        opener.add_handler(h)
    return opener


def _http(request: urllib.request.Request, *, cap: int, timeout: float) -> tuple[int, bytes]:
    url = request.full_url
    try:
        with _opener().open(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > cap:
                raise HTTPRequestError(f"{url}: {length} bytes; the limit is {cap}")
            body = resp.read(cap + 1)
            if len(body) > cap:
                raise HTTPRequestError(f"{url}: more than {cap} bytes")
            return resp.status, body
    except urllib.error.HTTPError as e:
        raise HTTPRequestError(f"{request.get_method()} {url} failed: HTTP {e.code} "
                               f"{e.reason}") from None
    except (urllib.error.URLError, HTTPException, TimeoutError, OSError) as e:
        if isinstance(e, ModelIOError):
            raise
        raise HTTPRequestError(f"{request.get_method()} {url} failed: {e}") from e


def _check_http_url(url: str, what: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HandlerError(f"{what} must be an http:// or https:// URL, got {url!r}")
    return parts


class HTTPHandler:
    """Load from / save to an HTTP(S) URL, as TF.js's ``tf.io.http``."""

    def __init__(self, url: str, *, method: str = "POST", headers: dict | None = None,
                 timeout: float = 30.0, weight_path_prefix: str | None = None):
        _check_http_url(url, "the model URL")
        if weight_path_prefix is not None:
            _check_http_url(weight_path_prefix, "weight_path_prefix")
        self.url, self.method, self.timeout = url, method, timeout
        self.headers = dict(headers or {})
        self.weight_path_prefix = weight_path_prefix

    def __repr__(self) -> str:
        return f"HTTPHandler({self.url!r})"

    def weight_urls(self, paths: list[str]) -> list[str]:
        """Shard URLs: prefix (model.json's folder or ``weight_path_prefix``) + path + query.

        >>> HTTPHandler("https://h/m/model.json?v=2").weight_urls(["./a.bin"])
        ['https://h/m/a.bin?v=2']
        """
        base, sep, query = self.url.partition("?")
        prefix = self.weight_path_prefix or base[:base.rindex("/") + 1]
        suffix = sep + query
        return [prefix + check_weight_path(p) + suffix for p in paths]

    def load(self) -> ModelArtifacts:
        """GET model.json, then its shards; every path checked before the first shard GET."""
        req = urllib.request.Request(self.url, headers=self.headers)
        _, jbytes = _http(req, cap=MAX_JSON_BYTES, timeout=self.timeout)
        art = artifacts_from_model_json(parse_model_json(jbytes, source=self.url),
                                        source=self.url)
        manifest = art.weights_manifest or []
        urls = [self.weight_urls(group["paths"]) for group in manifest]
        fetched = [0]

        def read_group(g, group):
            parts = []
            for u in urls[g]:
                cap = get_max_weight_bytes() - fetched[0]
                _, body = _http(urllib.request.Request(u, headers=self.headers),
                                cap=max(cap, 0), timeout=self.timeout)
                fetched[0] += len(body)
                parts.append(body)
            check_group_sizes(group["paths"], [len(p) for p in parts], group["weights"],
                              f"weightsManifest[{g}]")
            return b"".join(parts)

        return _load_from_doc(art, read_group)

    def save(self, artifacts: ModelArtifacts) -> SaveResult:
        """POST a multipart form: ``model.json`` (paths ``['./model.weights.bin']``) and
        ``model.weights.bin``."""
        art = artifacts.encoded()
        manifest = [{"paths": ["./model.weights.bin"], "weights": art.weight_specs}]
        jbytes = dump_model_json(model_json_from_artifacts(art, manifest))
        boundary = "----layerflow" + uuid.uuid4().hex
        body = b"".join([
            _part(boundary, "model.json", "application/json", jbytes),
            _part(boundary, "model.weights.bin", "application/octet-stream", art.weight_data),
            f"--{boundary}--\r\n".encode(),
        ])
        headers = {**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        req = urllib.request.Request(self.url, data=body, headers=headers, method=self.method)
        status, reply = _http(req, cap=MAX_JSON_BYTES, timeout=self.timeout)
        return SaveResult(artifacts_info(art), path=self.url,
                          files=["model.json", "model.weights.bin"], responses=[(status, reply)])


def _part(boundary: str, name: str, content_type: str, data: bytes) -> bytes:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
            f"filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n")
    return head.encode() + data + b"\r\n"


# ----------------------------------------------------------------------------- memory, callbacks

class MemoryHandler:
    """Loads artifacts held in memory (see :func:`from_memory`)."""

    def __init__(self, artifacts: ModelArtifacts):
        self.artifacts = artifacts

    def load(self) -> ModelArtifacts:
        art = self.artifacts.encoded()
        validate_specs(art.weight_specs)
        return ModelArtifacts(**{**art.__dict__, "weights": None}).decoded()


def from_memory(model_topology=None, weight_specs=None, weight_data=None, training_config=None,
                **fields) -> MemoryHandler:
    """A load handler for in-memory artifacts (``tf.io.fromMemory``).

    The first argument may be a whole :class:`ModelArtifacts` instead of a topology.

    >>> h = from_memory({"class_name": "Sequential"},
    ...                 [{"name": "w", "shape": [1], "dtype": "int32"}], b"\\x05\\x00\\x00\\x00")
    >>> h.load().weights
    {'w': array([5], dtype=int32)}
    """
    if isinstance(model_topology, ModelArtifacts):
        return MemoryHandler(model_topology)
    if isinstance(weight_data, (bytearray, memoryview)):
        weight_data = bytes(weight_data)
    return MemoryHandler(ModelArtifacts(model_topology=model_topology, weight_specs=weight_specs,
                                        weight_data=weight_data, training_config=training_config,
                                        **fields))


class CallbackSaveHandler:
    """Saves by calling a function with the artifacts (see :func:`with_save_handler`)."""

    def __init__(self, fn):
        if not callable(fn):
            raise InvalidArgumentError(f"with_save_handler needs a callable, got {fn!r}")
        self.fn = fn

    def save(self, artifacts: ModelArtifacts) -> SaveResult:
        art = artifacts.encoded()
        result = self.fn(art)
        return result if isinstance(result, SaveResult) else SaveResult(artifacts_info(art))


def with_save_handler(fn) -> CallbackSaveHandler:
    """A save handler that passes the (encoded) artifacts to ``fn`` (``tf.io.withSaveHandler``).

    >>> seen = []
    >>> h = with_save_handler(seen.append)
    >>> h.save(ModelArtifacts(model_topology={}, weights={"b": [True]})).files
    []
    >>> seen[0].weight_data
    b'\\x01'
    """
    return CallbackSaveHandler(fn)


__all__ = [
    "FileHandler", "HTTPHandler", "MemoryHandler", "CallbackSaveHandler", "from_memory",
    "with_save_handler", "cleanup_stale", "check_group_sizes", "strip_file_scheme",
]
