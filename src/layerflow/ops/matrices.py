"""Matrices: mat_mul (``@``), dot, outer_product, norm, euclidean_norm, einsum.

``mat_mul`` multiplies the last two axes and broadcasts the leading (batch) axes as NumPy's
``matmul`` and TF.js do; both inputs need rank 2 or more (as TF.js). ``transpose`` itself lives
in the shape family.

>>> import layerflow as lf
>>> (lf.tensor([[1, 2]]) @ lf.tensor([[3], [4]])).array_sync()
[[11]]
"""

from __future__ import annotations

import numpy as np

from layerflow.engine import dtypes
from layerflow.engine.tape import partial_grad
from layerflow.errors import DTypeError, InvalidArgumentError, ShapeError
from layerflow.ops._define import (
    as_tensor,
    binary_inputs,
    broadcast_shapes,
    chainable,
    normalize_axes,
    run,
    unbroadcast,
)

__all__ = ["mat_mul", "matmul", "dot", "outer_product", "norm", "euclidean_norm", "einsum"]


# -- private helper ops (abs, max/min, swap of the last two axes) ---------------------------
def float_input(x, name: str, op: str):
    """``x`` as a float tensor (int32/bool become float32, as TF.js's float-math kernels)."""
    x = as_tensor(x, name, op)
    if x.dtype == "string" or x.dtype == "complex64":
        raise DTypeError(f"{op}: expected a real numeric tensor, got dtype {x.dtype}")
    if not dtypes.is_float(x.dtype):
        from layerflow.ops.elementwise import cast

        x = cast(x, "float32")
    return x


def swap_last(x):
    """``x`` with its last two axes swapped (a private transpose; grad = swap of dy)."""
    shape = x.shape[:-2] + (x.shape[-1], x.shape[-2])
    return run("linalg_swap", (x,), shape, x.dtype, grad=_swap_grad)


def _swap_grad(dy, inputs, out, attrs):
    return (swap_last(dy),)


def _abs(x):
    return run("linalg_abs", (x,), x.shape, x.dtype, grad=_abs_grad)


def _abs_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import mul

    sign = run("linalg_sign", inputs, inputs[0].shape, inputs[0].dtype)
    return (mul(dy, sign),)


def _extreme(x, axis: int, kernel: str):
    shape = tuple(d for i, d in enumerate(x.shape) if i != axis)
    return run(kernel, (x,), shape, x.dtype, {"axis": axis, "keepdims": False},
               grad=_extreme_grad)


def _extreme_grad(dy, inputs, out, attrs):
    from layerflow.ops.elementwise import mul
    from layerflow.ops.shape import reshape

    (x,) = inputs
    axis = attrs["axis"]
    kept = tuple(1 if i == axis else d for i, d in enumerate(x.shape))
    mask = run("linalg_eq_mask", (x, reshape(out, kept)), x.shape, x.dtype)
    return (mul(reshape(dy, kept), mask),)


# -- mat_mul -------------------------------------------------------------------------------
def matmul_shape(a_shape, b_shape, transpose_a, transpose_b, op="mat_mul"):
    """The output shape of a batched (broadcasting) matrix product, or a ShapeError."""
    if len(a_shape) < 2 or len(b_shape) < 2:
        raise ShapeError(f"{op}: inputs must have rank at least 2, got shapes {tuple(a_shape)} "
                         f"and {tuple(b_shape)}")
    m, k1 = (a_shape[-1], a_shape[-2]) if transpose_a else (a_shape[-2], a_shape[-1])
    k2, n = (b_shape[-1], b_shape[-2]) if transpose_b else (b_shape[-2], b_shape[-1])
    if k1 is not None and k2 is not None and k1 != k2:
        raise ShapeError(f"{op}: inner dimensions of {tuple(a_shape)} and {tuple(b_shape)} do "
                         f"not match ({k1} != {k2}; transpose_a={transpose_a}, "
                         f"transpose_b={transpose_b})")
    try:
        batch = broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2]), op)
    except ShapeError:
        raise ShapeError(f"{op}: batch dimensions of {tuple(a_shape)} and {tuple(b_shape)} "
                         "cannot be broadcast together") from None
    return batch + (m, n)


@chainable("mat_mul", "matmul", "__matmul__")
def mat_mul(a, b, transpose_a: bool = False, transpose_b: bool = False):
    """The matrix product ``a @ b`` over the last two axes; leading axes broadcast.

    Args:
        a, b: tensors of rank >= 2 (same dtype after TF.js promotion; int32 allowed).
        transpose_a, transpose_b: use the transpose of the last two axes of ``a`` / ``b``.

    Raises:
        ShapeError: inner dimensions differ, batch dimensions do not broadcast, or rank < 2.

    >>> import layerflow as lf
    >>> lf.mat_mul(lf.tensor([[1, 2], [3, 4]]), lf.tensor([[1, 0], [0, 1]])).array_sync()
    [[1, 2], [3, 4]]
    >>> lf.mat_mul(lf.ones([2, 3]), lf.ones([2, 3]), transpose_b=True).shape
    (2, 2)
    """
    a, b = binary_inputs(a, b, "mat_mul")
    if a.dtype in ("string", "complex64"):
        raise DTypeError(f"mat_mul: expected real numeric tensors, got dtype {a.dtype}")
    if a.dtype == "bool":
        from layerflow.ops.elementwise import cast

        a, b = cast(a, "int32"), cast(b, "int32")
    transpose_a, transpose_b = bool(transpose_a), bool(transpose_b)
    shape = matmul_shape(a.shape, b.shape, transpose_a, transpose_b)
    return run("mat_mul", (a, b), shape, a.dtype,
               {"transpose_a": transpose_a, "transpose_b": transpose_b,
                "dtype": dtypes.to_numpy(a.dtype)}, grad=_mat_mul_grad)


matmul = mat_mul


@partial_grad
def _mat_mul_grad(dy, inputs, out, attrs, needs=(True, True)):
    # NOTE: each side is a full matmul; skip the one nobody asked for (a model's input batch).
    a, b = inputs
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    da = db = None
    if needs[0]:
        if not ta:
            da = mat_mul(dy, b, False, not tb)
        else:
            da = mat_mul(b, dy, tb, True)
        da = unbroadcast(da, a.shape)
    if needs[1]:
        if not tb:
            db = mat_mul(a, dy, not ta, False)
        else:
            db = mat_mul(dy, a, True, ta)
        db = unbroadcast(db, b.shape)
    return da, db


def _rmatmul(self, other):
    return mat_mul(other, self)


chainable("__rmatmul__")(_rmatmul)


# -- dot, outer_product ------------------------------------------------------------------------
@chainable()
def dot(t1, t2):
    """TF.js ``dot``: the product of two rank-1 or rank-2 tensors (vector.vector is a scalar).

    >>> import layerflow as lf
    >>> lf.dot(lf.tensor([1, 2]), lf.tensor([3, 4])).item()
    11
    >>> lf.dot(lf.tensor([[1, 2], [3, 4]]), lf.tensor([1, 1])).array_sync()
    [3, 7]
    """
    from layerflow.ops.shape import reshape

    t1, t2 = binary_inputs(t1, t2, "dot", names=("t1", "t2"))
    if t1.rank not in (1, 2) or t2.rank not in (1, 2):
        raise ShapeError(f"dot: inputs must be rank 1 or 2, got shapes {t1.shape} and "
                         f"{t2.shape}")
    k1 = t1.shape[-1]
    k2 = t2.shape[0]
    if k1 is not None and k2 is not None and k1 != k2:
        raise ShapeError(f"dot: inner dimensions of {t1.shape} and {t2.shape} do not match "
                         f"({k1} != {k2})")
    a = reshape(t1, (1, -1)) if t1.rank == 1 else t1
    b = reshape(t2, (-1, 1)) if t2.rank == 1 else t2
    out = mat_mul(a, b)
    out_shape = (t1.shape[:1] if t1.rank == 2 else ()) + (t2.shape[1:] if t2.rank == 2 else ())
    return reshape(out, tuple(-1 if d is None else d for d in out_shape))


def outer_product(v1, v2):
    """The outer product of two rank-1 tensors: ``result[i, j] = v1[i] * v2[j]``.

    >>> import layerflow as lf
    >>> lf.outer_product(lf.tensor([1, 2]), lf.tensor([3, 4, 5])).array_sync()
    [[3, 4, 5], [6, 8, 10]]
    """
    from layerflow.ops.shape import reshape

    v1, v2 = binary_inputs(v1, v2, "outer_product", names=("v1", "v2"))
    if v1.rank != 1 or v2.rank != 1:
        raise ShapeError(f"outer_product: inputs must be rank 1, got shapes {v1.shape} and "
                         f"{v2.shape}")
    return mat_mul(reshape(v1, (-1, 1)), reshape(v2, (1, -1)))


# -- norms -------------------------------------------------------------------------------------
_INF = float("inf")


def _ord_name(ord_):
    if isinstance(ord_, str):
        return ord_
    if isinstance(ord_, bool) or not isinstance(ord_, (int, float, np.integer, np.floating)):
        return None
    v = float(ord_)
    return v if v in (1.0, 2.0, -2.0, _INF, -_INF) else None


@chainable()
def norm(x, ord="euclidean", axis=None, keepdims: bool = False):  # noqa: A002 (TF.js's name)
    """Vector or matrix norm (TF.js ``norm``).

    Args:
        x: the input; int32/bool become float32.
        ord: vector norms ``'euclidean'`` (= 2), ``1``, ``inf``, ``-inf``; matrix norms (with a
            two-axis ``axis``) ``'fro'`` (= ``'euclidean'``), ``1``, ``inf``, ``-inf``, ``2``,
            ``-2`` (largest / smallest singular value).
        axis: None (the norm of all elements as one vector), an int (vector norms), or two ints
            (matrix norms).
        keepdims: keep reduced axes as size 1.

    >>> import layerflow as lf
    >>> lf.norm(lf.tensor([3.0, -4.0])).item()
    5.0
    >>> lf.norm(lf.tensor([[1.0, -2.0], [3.0, 4.0]]), 1, axis=[0, 1]).item()
    6.0
    """
    x = float_input(x, "x", "norm")
    kind = _ord_name(ord)
    if isinstance(ord, str) and ord not in ("euclidean", "fro"):
        kind = None
    if x.rank == 0:
        if kind is None:
            raise InvalidArgumentError(f"norm: invalid ord value {ord!r}")
        return _abs(x)
    if axis is None:
        axes = tuple(range(x.rank))
        vector = True
        if kind == "fro":  # NOTE: TF.js rejects it; the norm of all elements is what it means
            kind = "euclidean"
    else:
        axes = normalize_axes(axis, x.rank, "norm")
        if isinstance(axis, (list, tuple)):
            axis_list = [a % x.rank for a in axis]
        else:
            axis_list = [axes[0]]
        vector = len(axes) == 1
        if len(axes) > 2:
            raise InvalidArgumentError(f"norm: axis must be an int or two ints, got {axis!r} "
                                       f"for shape {x.shape}")
    if kind is None or (vector and kind in ("fro", -2.0)):
        raise InvalidArgumentError(f"norm: invalid ord value {ord!r} for a "
                                   f"{'vector' if vector else 'matrix'} norm")
    if vector:
        out = _vector_norm(x, axes, kind)
    else:
        out = _matrix_norm(x, axis_list, kind)
    if keepdims:
        from layerflow.ops.shape import reshape

        out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return out


def _flat_vector(x, axes):
    """``x`` with ``axes`` merged into one last axis (only called with all axes or one)."""
    from layerflow.ops.shape import reshape

    if len(axes) == x.rank and x.rank != 1:
        return reshape(x, (-1,)), 0
    return x, axes[0]


def _vector_norm(x, axes, kind):
    from layerflow.ops.elementwise import sqrt, square
    from layerflow.ops.reduction import sum as reduce_sum

    if kind in ("euclidean", 2.0):
        return sqrt(reduce_sum(square(x), axis=list(axes)))
    v, ax = _flat_vector(x, axes)
    if kind == 1.0:
        return reduce_sum(_abs(v), axis=ax)
    return _extreme(_abs(v), ax, "linalg_max" if kind == _INF else "linalg_min")


def _matrix_norm(x, axis_list, kind):
    from layerflow.ops.elementwise import sqrt, square
    from layerflow.ops.reduction import sum as reduce_sum

    row, col = axis_list
    if row == col:
        raise InvalidArgumentError(f"norm: repeated axis in {axis_list}")
    if kind in ("fro", "euclidean"):
        return sqrt(reduce_sum(square(x), axis=[row, col]))
    if kind in (2.0, -2.0):
        from layerflow.ops import linalg
        from layerflow.ops.shape import reshape

        perm_x = _move_to_end(x, row, col)
        s = linalg.svd(perm_x, compute_uv=False)
        k = s.shape[-1]
        s = reshape(s, s.shape[:-1] + (k,))
        return _extreme(s, s.rank - 1, "linalg_max" if kind == 2.0 else "linalg_min")
    if kind == 1.0:
        summed = reduce_sum(_abs(x), axis=row)
        return _extreme(summed, col - 1 if col > row else col, "linalg_max")
    summed = reduce_sum(_abs(x), axis=col)
    return _extreme(summed, row - 1 if row > col else row,
                    "linalg_max" if kind == _INF else "linalg_min")


def _move_to_end(x, row, col):
    """``x`` with axes ``row``, ``col`` moved last (an einsum permutation)."""
    letters = "abcdefghijklmnopqrstuvwxyz"[:x.rank]
    rest = "".join(c for i, c in enumerate(letters) if i not in (row, col))
    if letters == rest + letters[row] + letters[col]:
        return x
    return einsum(f"{letters}->{rest}{letters[row]}{letters[col]}", x)


@chainable()
def euclidean_norm(x, axis=None, keepdims: bool = False):
    """The Euclidean norm ``sqrt(sum(x ** 2))`` over ``axis`` (None = all axes).

    >>> import layerflow as lf
    >>> lf.euclidean_norm(lf.tensor([[3.0, 4.0], [0.0, 0.0]]), axis=1).array_sync()
    [5.0, 0.0]
    """
    from layerflow.ops.elementwise import sqrt, square
    from layerflow.ops.reduction import sum as reduce_sum

    x = float_input(x, "x", "euclidean_norm")
    axes = normalize_axes(axis, x.rank, "euclidean_norm")
    return sqrt(reduce_sum(square(x), axis=list(axes), keepdims=keepdims))


# -- einsum ------------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse_einsum(equation: str, shapes: list, op: str = "einsum"):
    """Expand ``equation`` against ``shapes`` into explicit subscripts (no ellipsis).

    Returns ``(input_subscripts, output_subscripts, sizes)``; raises InvalidArgumentError for a
    malformed equation and ShapeError for inconsistent dimensions.
    """
    if not isinstance(equation, str):
        raise InvalidArgumentError(f"{op}: equation must be a string, got {equation!r}")
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise InvalidArgumentError(f"{op}: equation {equation!r} has more than one '->'")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise InvalidArgumentError(f"{op}: equation {equation!r} has {len(terms)} operand(s) "
                                   f"but {len(shapes)} tensor(s) were given")
    for term in terms + ([rhs] if arrow else []):
        body = term.replace("...", "")
        bad = [c for c in body if c not in _LETTERS]
        if bad or term.count("...") > 1:
            raise InvalidArgumentError(f"{op}: malformed term {term!r} in equation "
                                       f"{equation!r}")
    used = set(eq) & set(_LETTERS)
    fresh = iter(c for c in _LETTERS if c not in used)
    ell_rank = 0
    for term, shape in zip(terms, shapes):
        n = len(term.replace("...", ""))
        if "..." in term:
            if n > len(shape):
                raise ShapeError(f"{op}: term {term!r} has more subscripts than the rank of "
                                 f"its tensor {tuple(shape)} in {equation!r}")
            ell_rank = max(ell_rank, len(shape) - n)
        elif n != len(shape):
            raise ShapeError(f"{op}: term {term!r} has {n} subscript(s) but its tensor has "
                             f"shape {tuple(shape)} in {equation!r}")
    ell_letters = [next(fresh) for _ in range(ell_rank)]
    # sizes of the broadcast ellipsis dims
    ell_sizes = [1] * ell_rank
    for term, shape in zip(terms, shapes):
        if "..." in term:
            k = len(shape) - len(term.replace("...", ""))
            start = term.index("...")
            dims = shape[start:start + k]
            for j, d in enumerate(dims):
                pos = ell_rank - k + j
                if d is None or d == 1:
                    continue
                if ell_sizes[pos] not in (1, None) and ell_sizes[pos] != d:
                    raise ShapeError(f"{op}: ellipsis dimensions of {[tuple(s) for s in shapes]}"
                                     f" cannot be broadcast in {equation!r}")
                ell_sizes[pos] = d
            if any(d is None for d in dims):
                for j, d in enumerate(dims):
                    if d is None and ell_sizes[ell_rank - k + j] == 1:
                        ell_sizes[ell_rank - k + j] = None
    inputs = []
    sizes: dict = {}
    for term, shape in zip(terms, shapes):
        subs = []
        if "..." in term:
            k = len(shape) - len(term.replace("...", ""))
            start = term.index("...")
            for j in range(k):
                pos = ell_rank - k + j
                d = shape[start + j]
                if d == 1 and ell_sizes[pos] != 1:
                    subs_letter = next(fresh)  # a broadcast size-1 dim: its own letter
                else:
                    subs_letter = ell_letters[pos]
                subs.append(subs_letter)
            expanded = term[:start] + "".join(subs) + term[start + 3:]
        else:
            expanded = term
        for c, d in zip(expanded, shape):
            known = sizes.get(c)
            if known is not None and d is not None and known != d:
                raise ShapeError(f"{op}: subscript {c!r} has size {known} and {d} in "
                                 f"{equation!r} with shapes {[tuple(s) for s in shapes]}")
            if known is None:
                sizes[c] = d
        inputs.append(expanded)
    if arrow:
        out = rhs.replace("...", "".join(ell_letters))
        for c in rhs.replace("...", ""):
            if c not in lhs:
                raise InvalidArgumentError(f"{op}: output subscript {c!r} does not appear in "
                                           f"the inputs of {equation!r}")
        if len(set(out)) != len(out):
            raise InvalidArgumentError(f"{op}: repeated output subscript in {equation!r}")
    else:
        counts: dict = {}
        for c in lhs:
            if c in _LETTERS:
                counts[c] = counts.get(c, 0) + 1
        out = "".join(ell_letters) + "".join(sorted(c for c, k in counts.items() if k == 1))
    for c in ell_letters:
        sizes.setdefault(c, 1)
    return inputs, out, sizes


def einsum(equation: str, *tensors):
    """Einstein summation, as ``numpy.einsum`` (explicit ``->`` or implicit output; ``...``).

    Raises:
        InvalidArgumentError: a malformed equation or the wrong number of tensors.
        ShapeError: a subscript with two different sizes, or a term that does not fit its rank.

    >>> import layerflow as lf
    >>> lf.einsum('ij,jk->ik', lf.tensor([[1, 2]]), lf.tensor([[3], [4]])).array_sync()
    [[11]]
    >>> lf.einsum('ii->', lf.tensor([[1.0, 2.0], [3.0, 4.0]])).item()
    5.0
    """
    if not tensors:
        raise InvalidArgumentError("einsum: expected at least one tensor")
    ts = [as_tensor(t, f"tensors[{i}]", "einsum") for i, t in enumerate(tensors)]
    dtype = ts[0].dtype
    for t in ts[1:]:
        dtype = dtypes.upcast(dtype, t.dtype) if t.dtype != dtype else dtype
    if dtype in ("string", "complex64"):
        raise DTypeError(f"einsum: expected real numeric tensors, got dtype {dtype}")
    if dtype == "bool":
        dtype = "int32"
    from layerflow.ops.elementwise import cast

    ts = [t if t.dtype == dtype else cast(t, dtype) for t in ts]
    subs, out, sizes = parse_einsum(equation, [t.shape for t in ts])
    shape = tuple(sizes[c] for c in out)
    canonical = ",".join(subs) + "->" + out
    return run("einsum", tuple(ts), shape, dtype,
               {"equation": canonical, "dtype": dtypes.to_numpy(dtype)}, grad=_einsum_grad)


def _einsum_grad(dy, inputs, out, attrs):
    lhs, rhs = attrs["equation"].split("->")
    subs = lhs.split(",")
    grads = []
    for i, x in enumerate(inputs):
        if not dtypes.is_float(x.dtype):
            grads.append(None)
            continue
        grads.append(_einsum_operand_grad(dy, rhs, subs, inputs, i))
    return tuple(grads)


def _einsum_operand_grad(dy, rhs, subs, inputs, i):
    """d(out)/d(inputs[i]) contracted with ``dy``: an einsum of dy with the other operands."""
    from layerflow.ops.creation import ones

    x = inputs[i]
    target = subs[i]
    used = set("".join(subs)) | set(rhs)
    fresh = iter(c for c in _LETTERS if c not in used)
    terms = [rhs]
    operands = [dy]
    for j, (s, t) in enumerate(zip(subs, inputs)):
        if j != i:
            terms.append(s)
            operands.append(t)
    # repeated subscripts in the target (a diagonal): rename and tie with an identity matrix
    renamed = []
    seen: dict = {}
    for c, d in zip(target, x.shape):
        if c in seen:
            new = next(fresh)
            terms.append(c + new)
            operands.append(_eye(d, x.dtype))
            renamed.append(new)
        else:
            seen[c] = d
            renamed.append(c)
    available = set("".join(terms))
    for c, d in seen.items():
        if c not in available:  # summed only inside this operand: broadcast with ones
            terms.append(c)
            operands.append(ones((d,), x.dtype))
    return einsum(",".join(terms) + "->" + "".join(renamed), *operands)


def _eye(n: int, dtype: str):
    from layerflow.ops.creation import tensor

    return tensor(np.eye(n), dtype=dtype)
