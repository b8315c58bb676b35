"""URL schemes -> IO handlers, and the two entry points ``save_artifacts`` / ``load_artifacts``.

As in TF.js (``io/router_registry.ts``), a router is a function ``router(url, options) ->
handler or None``; every registered router is asked, and exactly one must answer. Built in:
``file://...`` and plain paths (:class:`FileHandler`), ``http://`` and ``https://``
(:class:`HTTPHandler`). ``options`` holds the keyword options of the call (``shard_size_bytes``,
``weight_path_prefix``, ``timeout``); a router uses those it knows.

A string with a one-letter scheme (``C:\\models\\m``) is a Windows path, not a URL.

>>> get_load_handlers("https://example.com/m/model.json")
[HTTPHandler('https://example.com/m/model.json')]
>>> get_save_handlers("file:///tmp/m")
[FileHandler('/tmp/m')]
"""

from __future__ import annotations

import contextlib
import copy
import os
import re

from layerflow.io.artifacts import ModelArtifacts, SaveResult
from layerflow.io.errors import HandlerError
from layerflow.io.handlers import FileHandler, HTTPHandler
from layerflow.io.safety import weight_bytes_limit

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")
_save_routers: list = []
_load_routers: list = []


def scheme_of(url) -> str | None:
    """The URL's scheme, or ``None`` for a plain path.

    >>> scheme_of("https://x/model.json"), scheme_of("models/m"), scheme_of("C:\\\\m")
    ('https', None, None)
    """
    if isinstance(url, os.PathLike):
        return None
    m = _SCHEME.match(url) if isinstance(url, str) else None
    return m.group(1).lower() if m else None


def file_router(url, options: dict):
    """Route ``file://`` URLs and plain paths to :class:`FileHandler`."""
    if not isinstance(url, (str, os.PathLike)) or scheme_of(url) not in (None, "file"):
        return None
    return FileHandler(url, **{k: options[k] for k in ("shard_size_bytes", "weight_path_prefix")
                               if options.get(k) is not None})


def http_router(url, options: dict):
    """Route ``http://`` and ``https://`` URLs to :class:`HTTPHandler`."""
    if scheme_of(url) not in ("http", "https"):
        return None
    return HTTPHandler(url, **{k: options[k] for k in ("weight_path_prefix", "timeout", "headers",
                                                         "method") if options.get(k) is not None})


def register_save_router(router) -> None:
    """Add a save router ``router(url, options) -> handler | None`` (``tf.io.registerSaveRouter``).

    >>> class Null:
    ...     def save(self, artifacts):
    ...         return None
    >>> r = lambda url, options: Null() if str(url).startswith("null://") else None
    >>> register_save_router(r)
    >>> type(get_save_handlers("null://x")[0]).__name__
    'Null'
    >>> _save_routers.remove(r)
    """
    if not callable(router):
        raise HandlerError(f"a router must be callable, got {router!r}")
    _save_routers.append(router)


def register_load_router(router) -> None:
    """Add a load router ``router(url, options) -> handler | None`` (``tf.io.registerLoadRouter``).

    >>> r = lambda url, options: None
    >>> register_load_router(r); _load_routers.remove(r)
    """
    if not callable(router):
        raise HandlerError(f"a router must be callable, got {router!r}")
    _load_routers.append(router)


def _handlers(routers, url, options) -> list:
    return [h for h in (r(url, dict(options)) for r in routers) if h is not None]


def get_save_handlers(url, **options) -> list:
    """Every registered router's save handler for ``url``."""
    return _handlers(_save_routers, url, options)


def get_load_handlers(url, **options) -> list:
    """Every registered router's load handler for ``url``."""
    return _handlers(_load_routers, url, options)


def _one(url, handlers: list, kind: str):
    if not handlers:
        raise HandlerError(f"no {kind} handler for {url!r}; use a path, file://, http(s):// or "
                           f"register one with register_{kind}_router")
    if len(handlers) > 1:
        raise HandlerError(f"{len(handlers)} {kind} handlers match {url!r}: {handlers}")
    return handlers[0]


def save_artifacts(artifacts: ModelArtifacts, url_or_handler, *, shard_size_bytes=None,
                   quantize=None, **options) -> SaveResult:
    """Save artifacts to a URL, a path, or a handler object (anything with ``save``).

    ``artifacts`` may hold encoded weights (``weight_specs`` + ``weight_data``) or plain arrays
    (``weights``). ``quantize`` (``'uint8'``, ``'uint16'``, ``'float16'`` or ``{dtype: [glob,
    ...]}``) quantizes float weights; ``shard_size_bytes`` sets the shard size of file saves
    (default 4 MiB).

    >>> import tempfile
    >>> folder = tempfile.mkdtemp() + "/m"
    >>> a = ModelArtifacts(model_topology={}, weights={"w": [0.0, 0.5, 1.0]})
    >>> save_artifacts(a, folder, quantize="uint8").model_artifacts_info.weight_data_bytes
    3
    >>> load_artifacts(folder).weights["w"].tolist()
    [0.0, 0.501960813999176, 1.0]
    """
    art = artifacts.encoded(quantize)
    if hasattr(url_or_handler, "save"):
        handler = url_or_handler
        if shard_size_bytes is not None:
            if not hasattr(handler, "shard_size_bytes"):
                raise HandlerError(f"{handler!r} has no shard_size_bytes option")
            handler = copy.copy(handler)
            handler.shard_size_bytes = shard_size_bytes
    else:
        handler = _one(url_or_handler, get_save_handlers(
            url_or_handler, shard_size_bytes=shard_size_bytes, **options), "save")
        if not callable(getattr(handler, "save", None)):
            raise HandlerError(f"{handler!r} cannot save")
    return handler.save(art)


def load_artifacts(url_or_handler, *, weight_path_prefix=None, timeout=30.0, max_bytes=None,
                   **options) -> ModelArtifacts:
    """Load artifacts from a URL, a path, or a handler object (anything with ``load``).

    The result has ``weights`` (``{name: np.ndarray}``, decoded) besides ``weight_specs``,
    ``weight_data`` and ``weights_manifest``. ``max_bytes`` caps the weight bytes of this load
    (default: :func:`layerflow.io.get_max_weight_bytes`, 16 GiB).

    >>> from layerflow.io.handlers import from_memory
    >>> load_artifacts(from_memory({}, [], b"")).weights
    {}
    """
    if hasattr(url_or_handler, "load"):
        handler = url_or_handler
    else:
        handler = _one(url_or_handler, get_load_handlers(
            url_or_handler, weight_path_prefix=weight_path_prefix, timeout=timeout, **options),
            "load")
        if not callable(getattr(handler, "load", None)):
            raise HandlerError(f"{handler!r} cannot load")
    limit = weight_bytes_limit(max_bytes) if max_bytes is not None else contextlib.nullcontext()
    with limit:
        art = handler.load()
        if not isinstance(art, ModelArtifacts):
            raise HandlerError(f"{handler!r}.load() returned {type(art).__name__}, "
                               "not ModelArtifacts")
        return art.decoded()


register_save_router(file_router)
register_load_router(file_router)
register_save_router(http_router)
register_load_router(http_router)

__all__ = [
    "register_save_router", "register_load_router", "get_save_handlers", "get_load_handlers",
    "save_artifacts", "load_artifacts", "scheme_of", "file_router", "http_router",
]
