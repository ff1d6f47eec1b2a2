"""Example CSV tables for the command line, so the documentation's command-line examples run.

``scratchnn datasets NAME OUT.csv [--test TEST.csv] [--new NEW.csv]`` (or
:func:`write_example_tables`) writes one of the example datasets as a CSV file with a header
row: the feature columns, then the label column. With ``--test``, a seeded share of the rows is
held out into a second file (labels included, for ``scratchnn evaluate``); with ``--new``, those
held-out rows are written once more without the label column (for ``scratchnn predict``).

========  =========================================================  =============
name      columns                                                    rows
========  =========================================================  =============
iris      sepal_length, sepal_width, petal_length, petal_width,      150
          species (setosa, versicolor, virginica)
moons     x1, x2, label (0, 1)                                       1000
circles   x1, x2, label (0, 1)                                       1000
spiral    x1, x2, label (0, 1, 2)                                    900
========  =========================================================  =============

iris is Fisher's data from scikit-learn's bundled copy (the ``sklearn`` extra, no download); the
others come from :mod:`scratchnn.datasets`.
"""

import csv
import io
import os

import numpy as np

from .datasets import make_circles, make_moons, make_spiral, train_test_split
from .fileio import atomic_write
from .validation import check_float, check_int

__all__ = ["EXAMPLE_TABLES", "example_table", "write_example_tables"]

EXAMPLE_TABLES = ("iris", "moons", "circles", "spiral")
"""The names :func:`example_table` knows."""


def example_table(name, seed=0):
    """One example dataset as ``(header, rows)``: column names and one list of values per row.

    Parameters
    ----------
    name : {'iris', 'moons', 'circles', 'spiral'}
    seed : int, default 0
        Seed of the generated datasets (iris is fixed data).

    Returns
    -------
    header : list of str
        The feature columns, then the label column (``species`` or ``label``).
    rows : list of list
        Features as floats, the label as a string (iris) or an int.
    """
    if name not in EXAMPLE_TABLES:
        raise ValueError(f"name must be one of {list(EXAMPLE_TABLES)}, got {name!r}")
    seed = check_int(seed, "seed", minimum=0)
    if name == "iris":
        try:
            from sklearn.datasets import load_iris
        except ImportError as exc:
            raise ImportError("the iris table comes from scikit-learn's bundled copy: "
                              "pip install 'scratchnn[sklearn]'") from exc
        iris = load_iris()
        header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
        labels = [str(iris.target_names[k]) for k in iris.target]
        return header, [[*map(float, x), label] for x, label in zip(iris.data, labels)]
    make = {"moons": make_moons, "circles": make_circles, "spiral": make_spiral}[name]
    X, y = make(seed=seed)
    return ["x1", "x2", "label"], [[float(a), float(b), int(k)] for (a, b), k in zip(X, y)]


def _write(path, header, rows):
    with atomic_write(path) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([f"{v:.6g}" if isinstance(v, float) else v for v in row]
                         for row in rows)
        text.flush()
        text.detach()  # atomic_write closes the file itself


def write_example_tables(name, path, test=None, new=None, test_size=0.3, seed=0):
    """Write example dataset ``name`` as CSV to ``path``, optionally split into train/test/new.

    Parameters
    ----------
    name : {'iris', 'moons', 'circles', 'spiral'}
    path : str or os.PathLike
        The table, or with ``test`` or ``new`` its training part.
    test : str or os.PathLike, optional
        Where to write the held-out rows, label column included.
    new : str or os.PathLike, optional
        Where to write the held-out rows without the label column.
    test_size : float in (0, 1), default 0.3
        The share of rows held out when ``test`` or ``new`` is given.
    seed : int, default 0
        Seed of the data (except iris) and of the split.

    Returns
    -------
    dict of str to int
        The number of rows written to each path.
    """
    paths = {"path": path, "test": test, "new": new}
    for option, value in paths.items():
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"{option} must be a path or None, got {value!r}")
    test_size = check_float(test_size, "test_size", low=0.0, high=1.0, low_open=True,
                            high_open=True)
    header, rows = example_table(name, seed)
    written = {}
    if test is None and new is None:
        _write(path, header, rows)
        return {os.fspath(path): len(rows)}
    index = np.arange(len(rows))
    train_index, test_index, _, _ = train_test_split(index.reshape(-1, 1), index,
                                                     test_size=test_size, seed=seed)
    train_rows = [rows[i] for i in train_index.ravel()]
    test_rows = [rows[i] for i in test_index.ravel()]
    _write(path, header, train_rows)
    written[os.fspath(path)] = len(train_rows)
    if test is not None:
        _write(test, header, test_rows)
        written[os.fspath(test)] = len(test_rows)
    if new is not None:
        _write(new, header[:-1], [row[:-1] for row in test_rows])
        written[os.fspath(new)] = len(test_rows)
    return written
