"""Backends: numpy (always there) and jax (XLA). See :mod:`layerflow.backends.base`."""

from __future__ import annotations

from layerflow.errors import BackendError

_LOADED: dict = {}


def load_backend(name: str):
    """The backend instance called ``name`` (made once)."""
    backend = _LOADED.get(name)
    if backend is not None:
        return backend
    if name == "numpy":
        from layerflow.backends.numpy import NumpyBackend

        backend = NumpyBackend()
    elif name == "jax":
        try:
            from layerflow.backends.jax import JaxBackend
        except ImportError as err:
            raise BackendError(
                "the jax backend needs jax: pip install 'layerflow[jax]'") from err
        backend = JaxBackend()
    else:
        raise BackendError(f"unknown backend {name!r}; expected one of numpy, jax")
    _LOADED[name] = backend
    return backend
