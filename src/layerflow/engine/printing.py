"""Text forms of a tensor, in TF.js's format (``tensor.print()``, ``toString()``).

Numbers show up to 7 decimals with trailing zeros dropped, columns are padded to the widest
value, and an axis longer than 20 shows its first and last 3 entries around ``...``.

>>> import layerflow as lf
>>> lf.tensor([[1, 2], [3, 40]]).print()
Tensor
    [[1, 2 ],
     [3, 40]]
"""

from __future__ import annotations

import math

import numpy as np

LIMIT = 20
EDGE = 3
DIGITS = 7


def _number(value, dtype: str) -> str:
    if dtype == "bool":
        return "true" if value else "false"
    if dtype == "string":
        text = value.decode() if isinstance(value, bytes) else str(value)
        return f"'{text}'"
    if dtype == "complex64":
        return f"{_float(value.real)} + {_float(value.imag)}j"
    if dtype == "int32":
        return str(int(value))
    return _float(float(value))


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = f"{round(value, DIGITS):.{DIGITS}f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0" if text == "" else "-0"
    return text


def _column_widths(array: np.ndarray, dtype: str) -> list[int]:
    if array.ndim < 2:
        return [0] * (array.shape[-1] if array.ndim else 1)
    rows = array.reshape(-1, array.shape[-1])
    widths = [0] * array.shape[-1]
    for row in rows:
        for j, value in enumerate(row):
            widths[j] = max(widths[j], len(_number(value, dtype)))
    return widths


def _lines(array: np.ndarray, dtype: str, widths: list[int], is_last: bool = True) -> list[str]:
    rank = array.ndim
    if rank == 0:
        return [_number(array.item() if dtype != "string" else array[()], dtype)]
    size = array.shape[0]
    if rank == 1:
        cells = [_number(v, dtype).ljust(widths[i]) for i, v in enumerate(array)]
        if size > LIMIT:
            cells = cells[:EDGE] + ["..."] + cells[size - EDGE:]
        return ["[" + ", ".join(cells) + "]"]
    lines: list[str] = []
    rows = list(range(size)) if size <= LIMIT else list(range(EDGE)) + [None] + list(
        range(size - EDGE, size))
    for i in rows:
        if i is None:
            lines.append("...")
            continue
        lines.extend(_lines(array[i], dtype, widths, is_last=(i == size - 1)))
    sep = "," if rank == 2 else ""
    lines[0] = "[" + lines[0] + sep
    for i in range(1, len(lines) - 1):
        lines[i] = " " + lines[i] + sep
    tail = ",\n" + "\n" * (rank - 2)
    lines[-1] = " " + lines[-1] + "]" + ("" if is_last else tail)
    return lines


def format_values(tensor) -> str:
    """The values block of ``tensor``, indented by 4 spaces as TF.js prints it."""
    array = tensor.numpy()
    text = "\n".join(_lines(array, tensor.dtype, _column_widths(array, tensor.dtype)))
    # NOTE: TF.js indents each row but not the blank line between blocks of rank >= 3.
    return "\n".join("    " + line if line else "" for line in text.split("\n"))


def format_tensor(tensor, verbose: bool = False) -> str:
    """The whole text TF.js's ``toString(verbose)`` gives."""
    lines = ["Tensor"]
    if verbose:
        lines += [f"  dtype: {tensor.dtype}", f"  rank: {tensor.rank}",
                  f"  shape: [{','.join(str(d) for d in tensor.shape)}]", "  values:"]
    lines.append(format_values(tensor))
    return "\n".join(lines)
