"""Dataset sources: array, from_numpy, from_pandas, generator, func, from_iterable, text_line,
zip, and reading http URLs from a local server."""

from __future__ import annotations

import http.server
import threading

import numpy as np
import pytest

import layerflow as lf
import layerflow.data  # noqa: F401  (binds lf.data until the namespace exports it)
from layerflow.data import DatasetError


def test_array_of_numbers_dicts_and_tensors(backend):
    assert lf.data.array([1, 2.5, "a"]).to_array() == [1, 2.5, "a"]
    assert lf.data.array([{"a": [1]}, {"a": [2]}]).size == 2
    t = lf.tensor([1, 2])
    assert lf.data.array([t]).to_array()[0] is t


def test_array_splits_numpy_and_tensors_along_axis0(backend):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    rows = lf.data.array(x).to_array()
    assert len(rows) == 4 and all(np.array_equal(r, x[i]) for i, r in enumerate(rows))
    assert lf.data.array(lf.tensor(x)).size == 4
    with pytest.raises(DatasetError):
        lf.data.array(np.float32(1.0))
    with pytest.raises(DatasetError):
        lf.data.array(5)


def test_from_numpy_pairs_and_dicts(backend):
    x, y = np.zeros((5, 2)), np.arange(5)
    elements = lf.data.from_numpy(x, y).to_array()
    assert len(elements) == 5 and elements[3][1] == 3
    ds = lf.data.from_numpy({"a": x, "b": y}).batch(5)
    batch = ds.to_array()[0]
    assert batch["a"].shape == (5, 2) and batch["a"].dtype == "float32"
    assert batch["b"].dtype == "int32"
    with pytest.raises(DatasetError, match="same number of rows"):
        lf.data.from_numpy(np.zeros((3, 1)), np.zeros((4, 1)))


def test_from_pandas():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    assert lf.data.from_pandas(df).to_array() == [{"a": 1.0, "b": "x"}, {"a": 2.0, "b": "y"}]
    assert lf.data.array(df).size == 2


def test_generator_calls_fn_for_every_pass():
    calls = []

    def gen():
        calls.append(1)
        yield from range(3)

    ds = lf.data.generator(gen)
    assert ds.to_array() == [0, 1, 2] and ds.to_array() == [0, 1, 2]
    assert len(calls) == 2 and ds.size is None


def test_generator_object_is_an_error_that_explains():
    def gen():
        yield 1

    with pytest.raises(DatasetError, match="generator object.*only once"):
        lf.data.generator(gen())
    with pytest.raises(DatasetError, match="must return an iterator"):
        lf.data.generator(lambda: 3).to_array()


def test_func_dict_and_tuple_forms():
    state = {"i": 0}

    def step():
        state["i"] += 1
        return state["i"], state["i"] > 2

    assert lf.data.func(step).to_array() == [1, 2]
    with pytest.raises(DatasetError, match="value"):
        lf.data.func(lambda: 3).to_array()


def test_from_iterable_reiterable_and_one_shot():
    assert lf.data.from_iterable([1, 2]).to_array() == [1, 2]
    assert lf.data.from_iterable(range(4)).size == 4
    once = lf.data.from_iterable(x for x in range(3))
    assert once.size is None and once.to_array() == [0, 1, 2]
    with pytest.raises(DatasetError, match="already consumed"):
        once.to_array()


def test_text_line_plain_and_file_url(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"one\r\ntwo\nthree")
    assert lf.data.text_line(str(path)).to_array() == ["one", "two", "three"]
    assert lf.data.text_line(path.as_uri()).to_array() == ["one", "two", "three"]
    with pytest.raises(DatasetError, match="could not open"):
        lf.data.text_line(str(tmp_path / "missing.txt")).to_array()


def test_zip_lists_dicts_and_nesting():
    a, b = lf.data.array([1, 2, 3]), lf.data.array(["x", "y"])
    assert lf.data.zip([a, b]).to_array() == [[1, "x"], [2, "y"]]
    ds = lf.data.zip({"a": a, "n": (b, a)})
    assert ds.to_array() == [{"a": 1, "n": ("x", 1)}, {"a": 2, "n": ("y", 2)}]
    assert ds.size == 2
    assert lf.data.zip([a, a.repeat()]).size == 3
    assert lf.data.zip([a, lf.data.generator(lambda: iter([1]))]).size is None
    with pytest.raises(DatasetError, match="Dataset"):
        lf.data.zip([a, 3])
    with pytest.raises(DatasetError):
        lf.data.zip(a)


def test_zip_of_dicts_batches(backend):
    xs = lf.data.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    ys = lf.data.array([1.0, 0.0, 1.0])
    batch = lf.data.zip({"xs": xs, "ys": ys}).batch(3).to_array()[0]
    assert batch["xs"].array_sync() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    assert batch["ys"].array_sync() == [1.0, 0.0, 1.0]


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b"a,b\n1,2\n3,4\n"

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path != "/d.csv":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def test_http_sources_read_from_a_local_server(server):
    assert lf.data.text_line(f"{server}/d.csv").to_array() == ["a,b", "1,2", "3,4"]
    ds = lf.data.csv(f"{server}/d.csv", timeout=10)
    assert ds.column_names() == ["a", "b"]
    assert ds.to_array() == [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}]
    with pytest.raises(DatasetError, match="could not read"):
        lf.data.text_line(f"{server}/missing", timeout=10).to_array()
