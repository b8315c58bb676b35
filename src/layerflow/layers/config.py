"""Recording a layer's constructor arguments: the one place a layer's config comes from.

``Layer.__init_subclass__`` wraps each subclass's ``__init__`` with :func:`recording_init`; the
outermost call (the most-derived class) binds its arguments to its signature and stores them on
the instance as ``_init_args``. ``get_config`` serializes them, so a layer's config is exactly
its constructor's arguments, written once.

>>> class A:
...     def __init__(self, units, activation=None, **kwargs):
...         pass
>>> A.__init__ = recording_init(A.__init__)
>>> a = A(3, name='x')
>>> a._init_args
{'units': 3, 'activation': None, 'name': 'x'}
"""

from __future__ import annotations

import functools
import inspect


def recording_init(init):
    """Wrap ``init`` so the first (most-derived) call records its bound arguments."""
    if getattr(init, "_records_config", False):
        return init
    signature = inspect.signature(init)

    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        if "_init_args" not in self.__dict__:
            try:
                bound = signature.bind(self, *args, **kwargs)
            except TypeError as err:
                from layerflow.errors import InvalidArgumentError

                raise InvalidArgumentError(f"{type(self).__name__}: {err}") from None
            bound.apply_defaults()
            recorded = {}
            for name, value in list(bound.arguments.items())[1:]:
                kind = signature.parameters[name].kind
                if kind is inspect.Parameter.VAR_KEYWORD:
                    recorded.update(value)
                elif kind is not inspect.Parameter.VAR_POSITIONAL:
                    recorded[name] = value
            self.__dict__["_init_args"] = recorded
        init(self, *args, **kwargs)

    wrapper._records_config = True
    return wrapper
