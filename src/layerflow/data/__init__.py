"""``lf.data``: lazy dataset pipelines (TF.js ``tf.data``).

>>> import layerflow as lf
>>> lf.data.array([1, 2, 3, 4]).map(lambda x: x * x).batch(2).to_numpy()[1].tolist()
[9, 16]
"""

from layerflow.data.csv_dataset import CSVDataset as CSVDataset
from layerflow.data.csv_dataset import csv as csv
from layerflow.data.dataset import Dataset as Dataset
from layerflow.data.dataset import DatasetIterator as DatasetIterator
from layerflow.data.dataset import IteratorResult as IteratorResult
from layerflow.data.sources import array as array
from layerflow.data.sources import from_iterable as from_iterable
from layerflow.data.sources import from_numpy as from_numpy
from layerflow.data.sources import from_pandas as from_pandas
from layerflow.data.sources import func as func
from layerflow.data.sources import generator as generator
from layerflow.data.sources import text_line as text_line
from layerflow.data.structure import DatasetError as DatasetError
from layerflow.data.zip_dataset import zip as zip  # noqa: A004

__all__ = [
    "CSVDataset",
    "Dataset",
    "DatasetError",
    "DatasetIterator",
    "IteratorResult",
    "array",
    "csv",
    "from_iterable",
    "from_numpy",
    "from_pandas",
    "func",
    "generator",
    "text_line",
    "zip",
]
