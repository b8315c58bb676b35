"""One registry for everything that is named in configs and option strings.

Layers, activations, initializers, regularizers, constraints, losses, metrics and optimizers are
registered here under a *kind*. A name resolves whatever its spelling: TF.js camelCase
(``'glorotNormal'``), canonical snake_case (``'glorot_normal'``) and Keras class names
(``'GlorotNormal'``) all find the same entry, because lookups compare names with case and
underscores removed.

Resolution never imports anything named in a config: an unknown name is an error that lists the
names that exist and says how to register a custom class.

>>> from layerflow import serialization
>>> serialization.squash('glorotNormal') == serialization.squash('GlorotNormal')
True
>>> serialization.to_snake_case('SimpleRNN'), serialization.to_snake_case('Conv2D')
('simple_rnn', 'conv2d')
"""

from __future__ import annotations

import difflib
import re

from layerflow.errors import LayerflowError

_REGISTRY: dict[str, dict[str, object]] = {}
_CANONICAL: dict[str, dict[str, str]] = {}


class UnknownNameError(LayerflowError, ValueError):
    """A name in a config or option string is not registered."""


def squash(name: str) -> str:
    """A spelling-insensitive key: lowercase, no underscores."""
    return name.replace("_", "").lower()


def to_snake_case(name: str) -> str:
    """Keras's class-name to snake_case rule (``BatchNormalization`` -> ``batch_normalization``)."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def register(kind: str, name: str, obj, aliases=()) -> None:
    """Register ``obj`` as ``name`` (and ``aliases``) of ``kind``."""
    table = _REGISTRY.setdefault(kind, {})
    canon = _CANONICAL.setdefault(kind, {})
    for key in (name, *aliases):
        table[squash(key)] = obj
        canon.setdefault(squash(key), name)


def lookup(kind: str, name: str, custom_objects: dict | None = None):
    """The object registered as ``name`` of ``kind``, or an :class:`UnknownNameError`."""
    if custom_objects:
        for key, value in custom_objects.items():
            if squash(key) == squash(name):
                return value
    if not isinstance(name, str):
        raise UnknownNameError(f"unknown {kind} {name!r}: expected a name")
    found = _REGISTRY.get(kind, {}).get(squash(name))
    if found is None:
        raise UnknownNameError(_unknown_message(kind, name))
    return found


def names(kind: str) -> list[str]:
    """The canonical names registered for ``kind``."""
    return sorted(set(_CANONICAL.get(kind, {}).values()))


def _unknown_message(kind: str, name: str) -> str:
    valid = names(kind)
    close = difflib.get_close_matches(name, valid, n=3)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    listing = ", ".join(valid) if len(valid) <= 60 else ", ".join(valid[:60]) + ", ..."
    text = f"unknown {kind} {name!r}.{hint} Known: {listing}."
    if kind == "layer":
        text += (" A custom class must be registered before loading: "
                 "lf.serialization.register_class(MyLayer), or passed in custom_objects.")
    return text


def register_class(cls=None, package: str = "Custom", name: str | None = None):
    """Register a custom layer (or other) class so configs and files can name it.

    Usable as ``register_class(MyLayer)`` or as a decorator ``@register_class(package='p')``.
    The class is found by ``name`` (default: its ``__name__``) and by ``'package>name'``.
    """

    def decorate(klass):
        key = name or klass.__name__
        kind = getattr(klass, "_registry_kind", "layer")
        register(kind, key, klass, aliases=(f"{package}>{key}",))
        klass._registered_name = f"{package}>{key}"
        return klass

    return decorate if cls is None else decorate(cls)


def serialize(obj):
    """``{"class_name": ..., "config": ...}`` for an object with ``get_config``; names pass."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    config = obj.get_config() if hasattr(obj, "get_config") else None
    class_name = getattr(obj, "class_name", None) or type(obj).__name__
    return {"class_name": class_name, "config": config}


def deserialize(kind: str, spec, custom_objects: dict | None = None):
    """An object from a name or a ``{"class_name", "config"}`` dict, through the registry."""
    if isinstance(spec, dict):
        if "class_name" not in spec:
            raise UnknownNameError(f"{kind} config must have a 'class_name', got keys "
                                   f"{sorted(spec)}")
        cls = lookup(kind, spec["class_name"], custom_objects)
        config = spec.get("config") or {}
        if not isinstance(config, dict):
            raise UnknownNameError(f"{kind} {spec['class_name']!r}: config must be a dict")
        if hasattr(cls, "from_config"):
            return cls.from_config(config)
        return cls(**config)
    return lookup(kind, spec, custom_objects)


def resolve(kind: str, identifier, custom_objects=None, expected: str = "an object"):
    """The shared ``get`` of the small object kinds: None stays None; a name (any spelling) or a
    ``{"class_name", "config"}`` dict resolves through the registry (a class is instantiated with
    its defaults); an object or callable passes through."""
    from layerflow.errors import InvalidArgumentError

    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(kind, identifier, custom_objects)
    elif isinstance(identifier, str):
        found = lookup(kind, identifier, custom_objects)
    else:
        found = identifier
    if isinstance(found, type):
        return found()
    if callable(found):
        return found
    raise InvalidArgumentError(f"cannot interpret {identifier!r} as a {kind}: expected a name, "
                               f"a config dict, {expected}")


def serialize_object(kind: str, obj, get):
    """The shared ``serialize`` of the small object kinds (names are resolved with ``get``)."""
    from layerflow.errors import InvalidArgumentError

    if obj is None:
        return None
    if isinstance(obj, str):
        obj = get(obj)
    if not hasattr(obj, "get_config"):
        raise InvalidArgumentError(f"cannot serialize {obj!r} as a {kind}; only objects with a "
                                   "config can be written to files")
    return serialize(obj)


class Configurable:
    """Base of the small objects configs name (regularizers, constraints): equality and repr by
    config, and ``from_config`` accepting Keras's snake_case and TF.js's camelCase keys."""

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        """A new object from ``get_config()``'s output (Keras or TF.js spelling)."""
        from layerflow.errors import InvalidArgumentError

        config = {to_snake_case(k): v for k, v in (config or {}).items()}
        try:
            return cls(**config)
        except TypeError as err:
            raise InvalidArgumentError(f"{cls.__name__}.from_config: {err}; config keys were "
                                       f"{sorted(config)}") from None

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
