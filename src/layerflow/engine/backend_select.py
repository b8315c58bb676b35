"""Choosing the backend and seeding randomness (TF.js ``setBackend``/``getBackend``).

>>> import layerflow as lf
>>> lf.get_backend() in lf.backends()
True
"""

from __future__ import annotations

from layerflow.engine.context import ENGINE, backend_names, check_backend_name


def set_backend(name: str) -> None:
    """Make ``name`` ('numpy' or 'jax') the backend new tensors live on.

    Tensors made before keep their arrays; mixing tensors of two backends in one op is an error
    of the kernel, so switch backends between computations, not in the middle of one.
    """
    ENGINE.set_backend(check_backend_name(name))


def get_backend() -> str:
    """The name of the active backend (chosen on first use: ``LAYERFLOW_BACKEND``, else the
    best installed: jax, else numpy)."""
    return ENGINE.get_backend().name


def backends() -> tuple[str, ...]:
    """The names of the backends layerflow has."""
    return backend_names()


def set_seed(seed: int) -> None:
    """Make every later random op (and initializer, dropout, shuffle) reproducible.

    >>> import layerflow as lf
    >>> lf.set_seed(1); a = lf.random_normal([3]).array_sync()
    >>> lf.set_seed(1); b = lf.random_normal([3]).array_sync()
    >>> a == b
    True
    """
    ENGINE.set_seed(seed)
