"""lf.data.csv against Python's csv module: quoting, missing values, defaults, configs, errors."""

from __future__ import annotations

import csv
import io

import pytest

import layerflow as lf
import layerflow.data  # noqa: F401  (binds lf.data until the namespace exports it)
from layerflow.data import DatasetError
from layerflow.errors import InvalidArgumentError

TEXT = ('name,size,note,flag\n'
        'a,1.5,"hello, world",true\n'
        'b,2,"she said ""hi""",0\n'
        '"c\nd",-3e2,plain,1\n')


def _write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text, newline="")
    return str(path)


def _number_or_text(text):
    try:
        return float(text)
    except ValueError:
        return text


def test_rows_match_python_csv_module(tmp_path):
    path = _write(tmp_path, TEXT)
    expected_rows = list(csv.reader(io.StringIO(TEXT, newline="")))
    header, rows = expected_rows[0], expected_rows[1:]
    expected = [{h: _number_or_text(v) for h, v in zip(header, row)} for row in rows]
    ds = lf.data.csv(path)
    assert ds.column_names() == header
    assert ds.to_array() == expected
    assert ds.to_array() == expected  # re-iterable


def test_column_configs_dtypes_and_labels(tmp_path):
    path = _write(tmp_path, TEXT)
    ds = lf.data.csv(path, column_configs={
        "size": {"dtype": "int32"}, "flag": {"dtype": "bool", "is_label": True},
        "note": {"dtype": "string"}})
    first = ds.to_array()[0]
    assert first == {"xs": {"name": "a", "size": 1, "note": "hello, world"},
                     "ys": {"flag": True}}
    flags = [e["ys"]["flag"] for e in ds]
    assert flags == [True, False, True]
    assert [e["xs"]["size"] for e in ds] == [1, 2, -300]


def test_configured_columns_only_and_camel_case_keys(tmp_path):
    path = _write(tmp_path, TEXT)
    ds = lf.data.csv(path, configured_columns_only=True,
                     column_configs={"size": {}, "flag": {"isLabel": True, "dtype": "bool"}})
    assert ds.to_array()[1] == {"xs": {"size": 2.0}, "ys": {"flag": False}}
    assert ds.column_names() == ["name", "size", "note", "flag"]


def test_missing_values_defaults_and_required(tmp_path):
    path = _write(tmp_path, "a,b,c\n1,,3\n,5,\n")
    assert lf.data.csv(path).to_array() == [{"a": 1.0, "b": None, "c": 3.0},
                                           {"a": None, "b": 5.0, "c": None}]
    ds = lf.data.csv(path, column_configs={"b": {"default": 0.0}, "a": {"default": -1}})
    assert [e["b"] for e in ds] == [0.0, 5.0] and [e["a"] for e in ds] == [1.0, -1]
    with pytest.raises(DatasetError, match=r"d\.csv: line 3, column 'c'.*required"):
        lf.data.csv(path, column_configs={"c": {"required": True}}).to_array()


def test_no_header_column_names_delimiters(tmp_path):
    path = _write(tmp_path, "1;2\n3;4\n")
    ds = lf.data.csv(path, has_header=False, column_names=["p", "q"], delimiter=";")
    assert ds.to_array() == [{"p": 1.0, "q": 2.0}, {"p": 3.0, "q": 4.0}]
    path = _write(tmp_path, "x  y\n1 \t 2\n", name="w.csv")
    assert lf.data.csv(path, delim_whitespace=True).to_array() == [{"x": 1.0, "y": 2.0}]
    with pytest.raises(DatasetError, match="column names must be given"):
        lf.data.csv(_write(tmp_path, "1,2\n", "n.csv"), has_header=False).to_array()


def test_batches_into_tensors(backend, tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,0\n3,4,1\n5,6,1\n")
    ds = lf.data.csv(path, column_configs={"y": {"is_label": True, "dtype": "int32"}})
    batch = ds.batch(2).to_array()[0]
    assert batch["xs"]["a"].dtype == "float32" and batch["ys"]["y"].dtype == "int32"
    assert batch["xs"]["b"].array_sync() == [2.0, 4.0]


@pytest.mark.parametrize("text,match", [
    ("a,b\n1,2\n3,4,5\n", r"line 3 has 3 fields, expected 2"),
    ("a,b\n1,2\n3\n", r"line 3 has 1 fields, expected 2"),
])
def test_wrong_field_counts_name_file_and_line(tmp_path, text, match):
    path = _write(tmp_path, text)
    with pytest.raises(DatasetError, match=match) as info:
        lf.data.csv(path).to_array()
    assert "d.csv" in str(info.value)


def test_unparsable_number_names_file_line_and_column(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n3,oops\n")
    assert lf.data.csv(path).to_array()[1] == {"a": 3.0, "b": "oops"}  # no dtype: kept
    with pytest.raises(DatasetError, match=r"d\.csv: line 3, column 'b'.*'oops'.*float32"):
        lf.data.csv(path, column_configs={"b": {"dtype": "float32"}}).to_array()


def test_config_errors(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DatasetError, match=r"\['zz'\].*not in the file's columns"):
        lf.data.csv(path, column_configs={"zz": {"required": True}}).to_array()
    with pytest.raises(DatasetError, match="header line has 2"):
        lf.data.csv(path, column_names=["a", "b", "c"]).to_array()
    with pytest.raises(DatasetError, match="duplicate"):
        lf.data.csv(_write(tmp_path, "a,a\n1,2\n", "dup.csv")).to_array()
    with pytest.raises(InvalidArgumentError, match="unknown keys"):
        lf.data.csv(path, column_configs={"a": {"kind": 1}})
    with pytest.raises(InvalidArgumentError, match="dtype"):
        lf.data.csv(path, column_configs={"a": {"dtype": "int64"}})
    with pytest.raises(InvalidArgumentError, match="delimiter"):
        lf.data.csv(path, delimiter=";;")
