"""The lowercase factories, one line each: ``dense = factory(Dense)`` (TF.js's names).

A factory has its class's docstring and signature, so ``help(lf.layers.dense)`` shows the same
arguments as ``help(lf.layers.Dense)``.

>>> import layerflow as lf
>>> lf.layers.dense.__doc__ == lf.layers.Dense.__doc__
True
"""

from __future__ import annotations

import functools
import inspect

from layerflow.layers.core import Dense
from layerflow.layers.input_layer import InputLayer


def factory(cls):
    """A function that makes ``cls(**kwargs)``, carrying ``cls``'s docs and signature."""

    @functools.wraps(cls, assigned=("__doc__",), updated=())
    def make(*args, **kwargs):
        return cls(*args, **kwargs)

    make.__signature__ = inspect.signature(cls)
    make.__name__ = make.__qualname__ = cls.__name__[0].lower() + cls.__name__[1:]
    make.layer_class = cls
    return make


dense = factory(Dense)
input_layer = factory(InputLayer)

__all__ = ["dense", "input_layer"]
