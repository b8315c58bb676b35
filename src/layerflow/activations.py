"""Activation functions by name: Keras 3's set plus TF.js's names, and the resolver ``get``.

Each activation is a function ``f(x, **options) -> Tensor`` written with layerflow ops, so it
runs on every backend, on symbolic inputs, and under gradient tapes. Layers take an activation
as a name (``'relu'``, TF.js ``'hardSigmoid'``, Keras ``'hard_sigmoid'``: all resolve through
:mod:`layerflow.serialization`, kind ``'activation'``), a function, or None (linear), and write
it back with :func:`serialize` as the name string Keras and TF.js files hold.

Where Keras 3 and TF.js differ: ``hard_sigmoid`` is Keras 3's ``relu6(x + 3) / 6`` (TF.js and
Keras 2 use ``0.2 * x + 0.5``); ``gelu`` is exact and ``gelu_new`` (TF.js) the tanh form.

>>> import layerflow as lf
>>> from layerflow import activations
>>> activations.get('hardSigmoid')(lf.tensor([0.0, 6.0])).array_sync()
[0.5, 1.0]
>>> activations.serialize(activations.get('swish'))
'silu'
"""

from __future__ import annotations

from layerflow import serialization
from layerflow.errors import InvalidArgumentError
from layerflow.ops import elementwise as _e
from layerflow.ops import logical as _l
from layerflow.ops import math as _m
from layerflow.ops import normalization as _n
from layerflow.ops import reduction as _r

__all__ = ["linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "softplus",
           "softsign", "sigmoid", "hard_sigmoid", "log_sigmoid", "sparse_sigmoid", "tanh",
           "hard_tanh", "tanh_shrink", "softmax", "log_softmax", "sparsemax", "exponential",
           "silu", "swish", "gelu", "gelu_new", "mish", "hard_silu", "hard_swish", "glu",
           "squareplus", "sparse_plus", "soft_shrink", "hard_shrink", "threshold", "get",
           "serialize", "deserialize"]

KIND = "activation"


def linear(x):
    """The identity: returns ``x`` unchanged.

    >>> linear(3.0)
    3.0
    """
    return x


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``; Keras 3 options: a slope below ``threshold``, a ceiling ``max_value``.

    >>> import layerflow as lf
    >>> relu(lf.tensor([-10.0, -5.0, 0.0, 5.0, 10.0]), max_value=5.0).array_sync()
    [0.0, 0.0, 0.0, 5.0, 5.0]
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return _m.relu(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return _m.leaky_relu(x, negative_slope)
    x = _float(x)
    # NOTE: Keras 3's ReLU.static_call, step for step (threshold and slope interact as there).
    negative = _m.relu(_e.add(_e.neg(x), threshold)) if negative_slope != 0.0 else None
    if threshold != 0.0:
        y = _l.where(_l.greater(x, threshold), x, 0.0)
    else:
        y = _m.relu(x)
    if max_value is not None:
        y = _m.clip_by_value(y, 0.0, max_value)
    if negative is not None:
        y = _e.sub(y, _e.mul(negative, negative_slope))
    return y


def relu6(x):
    """``min(max(x, 0), 6)``.

    >>> import layerflow as lf
    >>> relu6(lf.tensor([-1.0, 8.0])).array_sync()
    [0.0, 6.0]
    """
    return _m.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    """``x`` where positive, else ``negative_slope * x``.

    >>> import layerflow as lf
    >>> leaky_relu(lf.tensor([-1.0, 2.0]), 0.5).array_sync()
    [-0.5, 2.0]
    """
    return _m.leaky_relu(x, negative_slope)


def elu(x, alpha=1.0):
    """``x`` where positive, else ``alpha * (exp(x) - 1)``.

    >>> import layerflow as lf
    >>> elu(lf.tensor([0.0, 2.0])).array_sync()
    [0.0, 2.0]
    """
    return _m.elu(x, alpha)


def selu(x):
    """Scaled ELU with the self-normalizing constants (alpha 1.6733, scale 1.0507).

    >>> import layerflow as lf
    >>> selu(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    return _m.selu(x)


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``.

    >>> import layerflow as lf
    >>> celu(lf.tensor([0.0, 1.0])).array_sync()
    [0.0, 1.0]
    """
    x = _float(x)
    return _e.add(_m.relu(x), _e.mul(_m.expm1(_e.div(_e.minimum(x, 0.0), alpha)), alpha))


def softplus(x):
    """``log(1 + exp(x))``.

    >>> import layerflow as lf
    >>> round(softplus(lf.tensor(0.0)).item(), 4)
    0.6931
    """
    return _m.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``.

    >>> import layerflow as lf
    >>> softsign(lf.tensor([1.0])).array_sync()
    [0.5]
    """
    return _m.softsign(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``.

    >>> import layerflow as lf
    >>> sigmoid(lf.tensor([0.0])).array_sync()
    [0.5]
    """
    return _m.sigmoid(x)


def hard_sigmoid(x):
    """Keras 3's piecewise-linear sigmoid ``relu6(x + 3) / 6``.

    >>> import layerflow as lf
    >>> hard_sigmoid(lf.tensor([-4.0, 0.0, 4.0])).array_sync()
    [0.0, 0.5, 1.0]
    """
    return _m.hard_sigmoid(x)


def log_sigmoid(x):
    """``log(sigmoid(x))``, computed stably.

    >>> import layerflow as lf
    >>> round(log_sigmoid(lf.tensor(0.0)).item(), 4)
    -0.6931
    """
    return _m.log_sigmoid(x)


def sparse_sigmoid(x):
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` between.

    >>> import layerflow as lf
    >>> sparse_sigmoid(lf.tensor([-2.0, 0.0, 2.0])).array_sync()
    [0.0, 0.5, 1.0]
    """
    x = _float(x)
    return _m.clip_by_value(_e.mul(_e.add(x, 1.0), 0.5), 0.0, 1.0)


def tanh(x):
    """Hyperbolic tangent.

    >>> import layerflow as lf
    >>> tanh(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    return _m.tanh(x)


def hard_tanh(x):
    """``x`` clipped to ``[-1, 1]``.

    >>> import layerflow as lf
    >>> hard_tanh(lf.tensor([-3.0, 0.5, 3.0])).array_sync()
    [-1.0, 0.5, 1.0]
    """
    return _m.clip_by_value(_float(x), -1.0, 1.0)


def tanh_shrink(x):
    """``x - tanh(x)``.

    >>> import layerflow as lf
    >>> tanh_shrink(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    x = _float(x)
    return _e.sub(x, _m.tanh(x))


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``.

    >>> import layerflow as lf
    >>> softmax(lf.tensor([0.0, 0.0])).array_sync()
    [0.5, 0.5]
    """
    return _n.softmax(x, axis)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``.

    >>> import layerflow as lf
    >>> [round(v, 4) for v in log_softmax(lf.tensor([0.0, 0.0])).array_sync()]
    [-0.6931, -0.6931]
    """
    return _n.log_softmax(x, axis)


def sparsemax(x, axis=-1):
    """The Euclidean projection of ``x`` onto the simplex along ``axis`` (Martins, 2016).

    NOTE: Keras 3.15's ``sparsemax`` sums the cumulative sums over the support when it
    computes the threshold, so its outputs need not sum to 1; this is the published formula.

    >>> import layerflow as lf
    >>> [round(v, 4) for v in sparsemax(lf.tensor([1.0, 1.2, 1.4])).array_sync()]
    [0.1333, 0.3333, 0.5333]
    """
    from layerflow.ops.creation import range as arange
    from layerflow.ops.evaluation import topk
    from layerflow.ops.shape import transpose

    x = _float(x)
    rank = len(x.shape)
    axis = axis % rank if rank else 0
    perm = [i for i in range(rank) if i != axis] + [axis]
    moved = transpose(x, perm) if axis != rank - 1 else x
    n = moved.shape[-1]
    ordered = topk(moved, n).values
    cumulative = _r.cumsum(ordered, axis=-1)
    ranks = arange(1, n + 1, dtype=x.dtype)
    support = _e.cast(_l.greater(ordered, _e.div(_e.sub(cumulative, 1.0), ranks)), x.dtype)
    k = _r.sum(support, axis=-1, keepdims=True)
    tau = _e.div(_e.sub(_r.sum(_e.mul(ordered, support), axis=-1, keepdims=True), 1.0), k)
    out = _m.relu(_e.sub(moved, tau))
    if axis == rank - 1:
        return out
    inverse = [perm.index(i) for i in range(rank)]
    return transpose(out, inverse)


def exponential(x):
    """``exp(x)``.

    >>> import layerflow as lf
    >>> exponential(lf.tensor([0.0])).array_sync()
    [1.0]
    """
    return _e.exp(_float(x))


def silu(x):
    """``x * sigmoid(x)`` (swish).

    >>> import layerflow as lf
    >>> silu(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    return _m.silu(x)


swish = silu


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)``; ``approximate=True`` is the tanh form.

    >>> import layerflow as lf
    >>> round(gelu(lf.tensor(1.0)).item(), 4)
    0.8413
    """
    return _m.gelu(x, approximate)


def gelu_new(x):
    """TF.js's ``gelu_new``: the tanh approximation of :func:`gelu`.

    >>> import layerflow as lf
    >>> round(gelu_new(lf.tensor(1.0)).item(), 4)
    0.8412
    """
    return _m.gelu(x, True)


def mish(x):
    """``x * tanh(softplus(x))``.

    >>> import layerflow as lf
    >>> mish(lf.tensor([0.0])).array_sync()
    [0.0]
    """
    return _m.mish(x)


def hard_silu(x):
    """``x * relu6(x + 3) / 6`` (hard swish).

    >>> import layerflow as lf
    >>> hard_silu(lf.tensor([4.0])).array_sync()
    [4.0]
    """
    return _m.hard_swish(x)


hard_swish = hard_silu


def glu(x, axis=-1):
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``, return ``a * sigmoid(b)``.

    >>> import layerflow as lf
    >>> glu(lf.tensor([2.0, 0.0])).array_sync()
    [1.0]
    """
    from layerflow.ops.joining import split

    x = _float(x)
    size = x.shape[axis]
    if size is not None and size % 2:
        raise InvalidArgumentError(f"glu: axis {axis} must have an even size, got shape "
                                   f"{tuple(x.shape)}")
    a, b = split(x, 2, axis)
    return _e.mul(a, _m.sigmoid(b))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.

    >>> import layerflow as lf
    >>> squareplus(lf.tensor([0.0])).array_sync()
    [1.0]
    """
    x = _float(x)
    return _e.mul(_e.add(x, _e.sqrt(_e.add(_e.square(x), b))), 0.5)


def sparse_plus(x):
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between.

    >>> import layerflow as lf
    >>> sparse_plus(lf.tensor([-2.0, 0.0, 2.0])).array_sync()
    [0.0, 0.25, 2.0]
    """
    x = _float(x)
    middle = _e.mul(_e.square(_e.add(x, 1.0)), 0.25)
    upper = _l.where(_l.greater_equal(x, 1.0), x, middle)
    return _l.where(_l.less_equal(x, -1.0), 0.0, upper)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0.

    >>> import layerflow as lf
    >>> soft_shrink(lf.tensor([-2.0, 0.2, 2.0])).array_sync()
    [-1.5, 0.0, 1.5]
    """
    x = _float(x)
    below = _l.where(_l.less(x, -threshold), _e.add(x, threshold), 0.0)
    return _l.where(_l.greater(x, threshold), _e.sub(x, threshold), below)


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0.

    >>> import layerflow as lf
    >>> hard_shrink(lf.tensor([-2.0, 0.2, 2.0])).array_sync()
    [-2.0, 0.0, 2.0]
    """
    x = _float(x)
    return _l.where(_l.greater(_m.abs(x), threshold), x, 0.0)


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``.

    >>> import layerflow as lf
    >>> threshold(lf.tensor([0.0, 2.0]), 1.0, -1.0).array_sync()
    [-1.0, 2.0]
    """
    x = _float(x)
    return _l.where(_l.greater(x, threshold), x, default_value)


def _float(x):
    """``x`` as a float tensor (ints become float32, as float-math ops do)."""
    from layerflow.engine import dtypes
    from layerflow.ops._define import as_tensor

    x = as_tensor(x, "x", "activation")
    return x if dtypes.is_float(x.dtype) else _e.cast(x, "float32")


# -- registry and resolver ---------------------------------------------------------------------
_FUNCTIONS = (linear, relu, relu6, leaky_relu, elu, selu, celu, softplus, softsign, sigmoid,
              hard_sigmoid, log_sigmoid, sparse_sigmoid, tanh, hard_tanh, tanh_shrink, softmax,
              log_softmax, sparsemax, exponential, silu, gelu, gelu_new, mish, hard_silu, glu,
              squareplus, sparse_plus, soft_shrink, hard_shrink, threshold)
_ALIASES = {silu: ("swish",), hard_silu: ("hard_swish",)}
_NAMES = {fn: fn.__name__ for fn in _FUNCTIONS}
for _fn in _FUNCTIONS:
    serialization.register(KIND, _fn.__name__, _fn, aliases=_ALIASES.get(_fn, ()))


def get(identifier, custom_objects: dict | None = None):
    """Resolve an activation: None (linear), a name in any spelling, a config, or a callable.

    Raises:
        UnknownNameError: the name is not registered (the message lists those that are).

    >>> get(None) is linear, get('LeakyReLU') is leaky_relu, get('hard_swish') is hard_silu
    (True, True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        # NOTE: Keras 3 writes a plain function as {"class_name": "function", "config": "relu"}.
        config = identifier.get("config")
        name = config if isinstance(config, str) else identifier.get("class_name")
        if not isinstance(name, str):
            raise InvalidArgumentError(f"cannot interpret activation config {identifier!r}")
        identifier = name
    if isinstance(identifier, str):
        return serialization.lookup(KIND, identifier, custom_objects)
    if callable(identifier):
        return identifier
    raise InvalidArgumentError(f"cannot interpret {identifier!r} as an activation: expected a "
                               "name, a function or None")


def deserialize(name, custom_objects: dict | None = None):
    """The activation function registered as ``name`` (same as :func:`get`)."""
    return get(name, custom_objects)


def serialize(activation) -> str | dict:
    """The name Keras and TF.js files store for an activation (``'relu'``).

    Objects with ``get_config`` (activation layers, custom classes) become a
    ``{"class_name", "config"}`` dict; other functions must be registered under their
    ``__name__`` with ``serialization.register('activation', name, fn)``.

    >>> serialize(relu), serialize(None)
    ('relu', 'linear')
    """
    if activation is None:
        return "linear"
    if isinstance(activation, str):
        return _NAMES.get(get(activation), activation)
    try:
        if activation in _NAMES:
            return _NAMES[activation]
    except TypeError:  # an unhashable callable object
        pass
    if hasattr(activation, "get_config"):
        return serialization.serialize(activation)
    name = getattr(activation, "__name__", None)
    if name is not None:
        try:
            if serialization.lookup(KIND, name) is activation:
                return name
        except serialization.UnknownNameError:
            pass
    raise InvalidArgumentError(
        f"cannot serialize activation {activation!r}: it is not a registered activation. "
        "Register it with lf.serialization.register('activation', name, fn) first.")

