"""``lf.data.csv``: rows of a CSV file or URL as elements (TF.js ``CSVDataset``).

Each row becomes a dict ``{column: value}``; when some columns are configured with
``is_label=True`` it becomes ``{'xs': {features}, 'ys': {labels}}``. Values are parsed as TF.js
does: a column configured with ``dtype`` ``'float32'``/``'int32'`` must hold numbers
(``int32`` rounds down); ``'bool'`` reads ``'1'``/``'true'`` as true; ``'string'`` keeps the
text; an unconfigured column gives a float where the text is a number, else the string.
An empty value takes the column's ``default``, is an error when the column is ``required`` or a
label, and is ``None`` otherwise. Quoting follows Python's ``csv`` module (``"a, b"`` is one
field, ``""`` an escaped quote); ``delim_whitespace=True`` splits on runs of blanks, without
quoting. Blank lines are skipped.

Decisions written down here: numbers without a dtype come back as Python floats (TF.js numbers
batch to ``float32``); ``'bool'`` columns give Python bools (TF.js gives 1/0); a row with too
many or too few fields is an error naming the file and line (TF.js leaves the gap undefined).

>>> import layerflow as lf, tempfile, os, pathlib
>>> path = os.path.join(tempfile.mkdtemp(), 'd.csv')
>>> _ = pathlib.Path(path).write_text('a,b,label\\n1,x,0\\n2,"y, z",1\\n')
>>> ds = lf.data.csv(path, column_configs={'label': {'is_label': True, 'dtype': 'int32'}})
>>> ds.column_names()
['a', 'b', 'label']
>>> ds.to_array()[1]
{'xs': {'a': 2.0, 'b': 'y, z'}, 'ys': {'label': 1}}
"""

from __future__ import annotations

import csv as _csv
import math
import re

from layerflow.data.dataset import Dataset
from layerflow.data.sources import URL_TIMEOUT_S, open_text
from layerflow.data.structure import DatasetError
from layerflow.errors import InvalidArgumentError

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|Infinity|inf)\s*$",
                     re.IGNORECASE)
_CONFIG_KEYS = {"required", "dtype", "default", "is_label"}
_DTYPES = {"float32", "int32", "bool", "string"}
_CAMEL = {"isLabel": "is_label"}


class CSVDataset(Dataset):
    """The dataset ``lf.data.csv`` returns; ``column_names()`` lists every column."""

    def __init__(self, source, has_header: bool = True, column_names=None,
                 column_configs=None, configured_columns_only: bool = False,
                 delimiter: str = ",", delim_whitespace: bool = False,
                 timeout: float = URL_TIMEOUT_S) -> None:
        super().__init__(self._rows, None)
        self.source = str(source)
        self.has_header = bool(has_header)
        self.delimiter = delimiter
        self.delim_whitespace = bool(delim_whitespace)
        self.configured_columns_only = bool(configured_columns_only)
        self.timeout = timeout
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise InvalidArgumentError(f"csv: delimiter must be one character, got "
                                       f"{delimiter!r}")
        self.column_configs = _check_configs(column_configs)
        if column_names is not None:
            column_names = [str(c) for c in column_names]
        self._given_names = column_names
        self._names = None
        if self.configured_columns_only and not self.column_configs:
            raise InvalidArgumentError("csv: configured_columns_only=True needs column_configs")

    def column_names(self) -> list[str]:
        """Every column's name, from ``column_names`` or the header line."""
        if self._names is None:
            header = None
            if self.has_header:
                with open_text(self.source, self.timeout) as stream:
                    rows = self._split(stream)
                    header = next(((n, r) for n, r in rows if r), (0, None))[1]
            self._names = self._validate_names(header)
        return list(self._names)

    def _validate_names(self, header) -> list[str]:
        names = self._given_names
        if names is None and header is None:
            raise DatasetError(f"csv {self.source}: column names must be given "
                               "(column_names=[...]) when the file has no header line")
        if names is not None and header is not None and len(header) != len(names):
            raise DatasetError(f"csv {self.source}: column_names has {len(names)} names "
                               f"{names}, but the header line has {len(header)} {header}")
        names = names if names is not None else [h.strip() for h in header]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise DatasetError(f"csv {self.source}: duplicate column names {duplicates}")
        missing = [k for k in self.column_configs if k not in names]
        if missing:
            raise DatasetError(f"csv {self.source}: column_configs names columns {missing} "
                               f"that are not in the file's columns {names}")
        return names

    def _split(self, stream):
        """(line number, fields) for every row; line numbers count from 1."""
        if self.delim_whitespace:
            for number, line in enumerate(stream, start=1):
                yield number, line.split()
            return
        reader = _csv.reader(stream, delimiter=self.delimiter)
        start = 1
        for row in reader:
            yield start, row
            start = reader.line_num + 1

    def _rows(self):
        names = self.column_names()
        with open_text(self.source, self.timeout) as stream:
            header_seen = not self.has_header
            for number, fields in self._split(stream):
                if not fields or fields == [""] and len(names) > 1:
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                yield self._element(fields, names, number)

    def _element(self, fields: list, names: list, line: int):
        if len(fields) != len(names):
            raise DatasetError(f"csv {self.source}: line {line} has {len(fields)} fields, "
                               f"expected {len(names)} (columns {names})")
        features, labels = {}, {}
        for name, text in zip(names, fields):
            config = self.column_configs.get(name)
            if config is None and self.configured_columns_only:
                continue
            value = self._parse(text, name, config or {}, line)
            (labels if config and config.get("is_label") else features)[name] = value
        return {"xs": features, "ys": labels} if labels else features

    def _parse(self, text: str, name: str, config: dict, line: int):
        where = f"csv {self.source}: line {line}, column {name!r}"
        if text == "":
            if config.get("default") is not None:
                return config["default"]
            if config.get("required") or config.get("is_label"):
                raise DatasetError(f"{where}: the value is missing but the column is "
                                   "required")
            return None
        dtype = config.get("dtype")
        if dtype == "string":
            return text
        if dtype == "bool":
            return text.strip() == "1" or text.strip().lower() == "true"
        number = _number(text)
        if dtype in ("float32", "int32") and number is None:
            raise DatasetError(f"{where}: cannot parse {text!r} as a number ({dtype})")
        if number is None:
            return text
        if dtype == "int32":
            return int(math.floor(number)) if math.isfinite(number) else number
        return number


def _number(text: str):
    if not _NUMBER.match(text):
        return None
    return float(text.strip().replace("Infinity", "inf").replace("infinity", "inf"))


def _check_configs(configs) -> dict:
    if configs is None:
        return {}
    if not isinstance(configs, dict):
        raise InvalidArgumentError(f"csv: column_configs must be a dict {{column: config}}, "
                                   f"got {type(configs).__name__}")
    checked = {}
    for column, config in configs.items():
        config = {_CAMEL.get(k, k): v for k, v in dict(config).items()}
        unknown = sorted(set(config) - _CONFIG_KEYS)
        if unknown:
            raise InvalidArgumentError(f"csv: column_configs[{column!r}] has unknown keys "
                                       f"{unknown}; expected some of {sorted(_CONFIG_KEYS)}")
        if config.get("dtype") is not None and config["dtype"] not in _DTYPES:
            raise InvalidArgumentError(f"csv: column_configs[{column!r}]['dtype'] must be one "
                                       f"of {sorted(_DTYPES)}, got {config['dtype']!r}")
        checked[str(column)] = config
    return checked


def csv(source, has_header: bool = True, column_names=None, column_configs=None,
        configured_columns_only: bool = False, delimiter: str = ",",
        delim_whitespace: bool = False, timeout: float = URL_TIMEOUT_S) -> CSVDataset:
    """A dataset of the rows of a CSV file (a path, ``file://`` or ``http(s)://`` URL).

    Args:
        source: where the CSV text is.
        has_header: the first row names the columns (and is not data).
        column_names: the column names (needed when there is no header; overrides it).
        column_configs: ``{column: {'required', 'dtype', 'default', 'is_label'}}``.
        configured_columns_only: keep only the columns in ``column_configs``.
        delimiter: the one-character field separator.
        delim_whitespace: split fields on runs of spaces and tabs instead.
        timeout: seconds to wait for a URL.

    >>> import layerflow as lf, tempfile, os, pathlib
    >>> path = os.path.join(tempfile.mkdtemp(), 'e.csv')
    >>> _ = pathlib.Path(path).write_text('1;2\\n3;4\\n')
    >>> lf.data.csv(path, has_header=False, column_names=['p', 'q'], delimiter=';').to_array()
    [{'p': 1.0, 'q': 2.0}, {'p': 3.0, 'q': 4.0}]
    """
    return CSVDataset(source, has_header, column_names, column_configs,
                      configured_columns_only, delimiter, delim_whitespace, timeout)
