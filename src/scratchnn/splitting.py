"""Hold out a test set from a table on disk, copying every cell as it is: ``scratchnn split``.

:func:`read_cells`
    a text table with every cell as the text it has in the file (``007`` stays ``007``, ``NA``
    stays ``NA``, `` x`` keeps its space, ``1,5`` its decimal comma); a Parquet file as it is;
:func:`held_out_count`
    how many rows a ``test_size`` holds out: a fraction (a float) or a count (an int);
:func:`split_indices`
    a seeded random split of the row numbers, optionally stratified by a column of classes;
:func:`class_column`
    the classes of a stratify column, refusing a missing value;
:func:`write_part`
    one part written atomically, in the format of its file name's extension.

Reading and writing go through pandas (``pip install 'scratchnn[cli]'``), with the delimiter
detection and output formats of :mod:`scratchnn.tables`; the split itself needs NumPy only.
"""

from __future__ import annotations

import io
import math
import numbers
import os

import numpy as np

from .columns import NA_STRINGS
from .fileio import atomic_write
from .tables import TableOptions, read_table, write_table
from .validation import check_float, check_int

__all__ = ["read_cells", "held_out_count", "split_indices", "class_column",
           "write_part"]


_PARQUET = (".parquet", ".pq")


def _rows(n):
    return f"{n} row" if n == 1 else f"{n} rows"


def _is_parquet(path):
    return os.fspath(path).lower().endswith(_PARQUET)


def read_cells(path, options=None):
    """Read a table keeping every cell of a text file verbatim, as a string.

    Unlike :func:`scratchnn.tables.read_table`'s default, which reads numbers as numbers and
    strips the spaces after each delimiter, nothing here is interpreted: a cell is the text
    between its delimiters (quotes removed, as CSV quoting means); this is
    ``read_table(path, options, verbatim=True)``. A Parquet file is read as it is (its columns
    keep their types).

    Parameters
    ----------
    path : str or os.PathLike
        A text table (``.csv``, ``.tsv``, ``.txt``, ..., optionally ``.gz``, ``.bz2``, ``.xz``,
        ``.zip``) or a ``.parquet`` file.
    options : TableOptions, optional
        The delimiter (None: detected), the decimal mark (only for that detection: a decimal
        comma rules out the comma) and whether the first line is a header. Without a header the
        columns are named ``"1"``, ``"2"``, ...

    Returns
    -------
    pandas.DataFrame of shape (m, n_columns)
        Indexed ``0 .. m - 1``, so :meth:`TableOptions.locate` finds a row's line.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        If the file cannot be opened.
    ValueError
        Naming the file if it is not a table, has no columns or no data rows, or names a column
        twice.
    TypeError
        If ``options`` is not a :class:`~scratchnn.tables.TableOptions`.
    """
    options = TableOptions() if options is None else options
    if not isinstance(options, TableOptions):
        raise TypeError(f"options must be a TableOptions, got {options!r}")
    return read_table(os.fspath(path), options, verbatim=True)


def held_out_count(test_size, n_rows, name="test_size"):
    """The number of rows ``test_size`` holds out of ``n_rows``.

    Parameters
    ----------
    test_size : float in (0, 1) or int >= 1
        A float is the fraction of the rows, rounded up: ``ceil(test_size * n_rows)``, as
        :func:`scratchnn.datasets.train_test_split` and scikit-learn do. An int is a count of
        rows.
    n_rows : int >= 1
    name : str, default 'test_size'
        How messages name ``test_size`` (the command line passes ``--test-size``).

    Returns
    -------
    int
        In ``[1, n_rows - 1]``.

    Raises
    ------
    TypeError
        If ``test_size`` is not a real number (a bool is not one).
    ValueError
        If it is out of range, or would leave no row for training.
    """
    n_rows = check_int(n_rows, "n_rows", minimum=1)
    if isinstance(test_size, (bool, np.bool_)) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"{name} must be a fraction in (0, 1) or a count of rows, got "
                        f"{test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = check_int(test_size, name, minimum=1)
    else:
        test_size = check_float(test_size, name, low=0.0, high=1.0, low_open=True,
                                high_open=True)
        n_test = math.ceil(test_size * n_rows)
    if n_test > n_rows - 1:
        raise ValueError(f"{name} {test_size} holds out {n_test} of {_rows(n_rows)}, leaving "
                         f"{max(n_rows - n_test, 0)} for training; both parts need at least one")
    return n_test


def _allocate(counts, n_test, name, classes_name):
    """Test rows per class: ``n_test`` shared in proportion to ``counts``, each in [1, count-1].

    The largest-remainder (Hamilton) method: each class gets the floor of its quota
    ``n_test * count / m``, then the rows still to place go one each to the classes with the
    largest remainders (the first class on a tie), as scikit-learn's ``StratifiedShuffleSplit``
    shares them (which breaks ties at random). A class whose quota is below one still gets one
    row, taken from the class most over its quota, so every class appears in both parts.
    """
    n_classes, m = len(counts), int(counts.sum())
    if n_test < n_classes or m - n_test < n_classes:
        part, rows = ("test", n_test) if n_test < n_classes else ("training", m - n_test)
        raise ValueError(f"{name} leaves {_rows(rows)} for {part}, fewer than the {n_classes} "
                         f"classes of {classes_name}: each class needs a row in both parts")
    quota = n_test * counts / m
    take = np.clip(np.floor(quota).astype(np.int64), 1, counts - 1)
    while (short := n_test - int(take.sum())) != 0:
        if short > 0:  # below quota the most, with room for one more
            take[np.argmax(np.where(take < counts - 1, quota - take, -np.inf))] += 1
        else:  # above quota the most, with a row to spare
            take[np.argmin(np.where(take > 1, quota - take, np.inf))] -= 1
    return take


def split_indices(n_rows, test_size, seed=0, classes=None, *, test_size_name="test_size",
                  classes_name="classes"):
    r"""Split row numbers ``0, ..., n_rows - 1`` at random into a training and a test part.

    Parameters
    ----------
    n_rows : int >= 2
    test_size : float in (0, 1) or int >= 1
        The fraction of rows, rounded up, or the count of rows to hold out (:func:`held_out_count`).
    seed : int >= 0 or numpy.random.Generator, default 0
        Seed of ``np.random.default_rng``; the same seed gives the same split.
    classes : array_like of shape (n_rows,), optional
        A class per row (no missing values) to stratify by: each class is split in proportion to
        its size (largest remainders; see Notes) and appears in both parts.
    test_size_name, classes_name : str
        How messages name the arguments (the command line passes its options).

    Returns
    -------
    train : ndarray of shape (n_rows - n_test,), int64
    test : ndarray of shape (n_test,), int64
        Row numbers in increasing order, so each part keeps the table's order.

    Raises
    ------
    TypeError, ValueError
        For a bad ``test_size`` or ``seed``, ``classes`` of the wrong length, a class of one row
        (it cannot be in both parts), or fewer test or training rows than classes.

    Notes
    -----
    One permutation ``order = default_rng(seed).permutation(n_rows)`` decides: without classes
    the first ``n_test`` rows of ``order`` are the test part, the same rows
    :func:`scratchnn.datasets.train_test_split` holds out with that seed. With classes, class
    :math:`c` of :math:`m_c` rows gets :math:`t_c` test rows, its first :math:`t_c` in
    ``order``, where the :math:`t_c` sum to ``n_test`` (the unstratified count) and are the
    floors of the quotas :math:`n_{test}\, m_c / m` plus one for the classes with the largest
    remainders (the first in sorted class order on a tie), each at least 1 and at most
    :math:`m_c - 1`.
    """
    n_test = held_out_count(test_size, n_rows, test_size_name)
    if not isinstance(seed, np.random.Generator):
        seed = check_int(seed, "seed", minimum=0)
    order = np.random.default_rng(seed).permutation(n_rows)
    if classes is None:
        test = order[:n_test]
    else:
        classes = np.asarray(classes, dtype=object)
        if classes.shape != (n_rows,):
            raise ValueError(f"{classes_name} must have one class per row, shape ({n_rows},), "
                             f"got {classes.shape}")
        names, codes, counts = np.unique(classes.astype(str), return_inverse=True,
                                         return_counts=True)
        if np.any(counts == 1):
            lonely = names[counts == 1]
            raise ValueError(f"{classes_name}: class {str(lonely[0])!r} has only one row"
                             + (f" (and {len(lonely) - 1} more classes)" if len(lonely) > 1
                                else "")
                             + "; a class needs at least 2 rows to appear in both parts")
        take = _allocate(counts, n_test, f"{test_size_name} {test_size}", classes_name)
        ranked = codes[order]
        # Each row's rank among the rows of its class, in the order of the permutation.
        rank = np.empty(n_rows, dtype=np.int64)
        for code in range(len(names)):
            where = np.flatnonzero(ranked == code)
            rank[where] = np.arange(where.size)
        test = order[rank < take[ranked]]
    held_out = np.zeros(n_rows, dtype=bool)
    held_out[test] = True
    return np.flatnonzero(~held_out), np.flatnonzero(held_out)


def class_column(frame, name, path, options=None, option="stratify"):
    """The classes of column ``name`` of ``frame`` (from :func:`read_cells`), for stratifying.

    Classes are the cells stripped of surrounding spaces, as ``scratchnn train`` reads its
    target. Column names are matched stripped too.

    Parameters
    ----------
    frame : pandas.DataFrame
    name : str
    path : str
        The file ``frame`` was read from, for messages (and whether it is Parquet).
    options : TableOptions, optional
        To locate a row's line for messages (default: a header row).
    option : str, default 'stratify'
        How messages name the argument.

    Returns
    -------
    ndarray of shape (m,), object
        One str per row.

    Raises
    ------
    ValueError
        If there is no such column (or two), or a cell is missing: empty, or in a text file one
        of :data:`scratchnn.columns.NA_STRINGS` (``NA``, ``NaN``, ``null``, ...), as ``train``
        reads its target, naming its line.
    """
    path = os.fspath(path)
    options = TableOptions() if options is None else options
    names = [str(column).strip() for column in frame.columns]
    matches = [k for k, column in enumerate(names) if column == str(name).strip()]
    if len(matches) != 1:
        shown = ", ".join(repr(column) for column in names[:20]) + (", ..." if len(names) > 20
                                                                     else "")
        why = "no column" if not matches else "more than one column"
        raise ValueError(f"{path}: {why} named {name!r} ({option}); the columns are {shown}")
    column = frame.iloc[:, matches[0]]
    present = column.notna().to_numpy()
    labels = np.array(column.astype(str).str.strip(), dtype=object)
    missing = ~present | (labels == "")
    if not _is_parquet(path):
        missing |= np.isin(labels, list(NA_STRINGS))
    if np.any(missing):
        first = int(np.flatnonzero(missing)[0])
        cell = "empty" if not present[first] or labels[first] == "" else f"{labels[first]!r}"
        raise ValueError(f"{path}, {options.locate(path, first)}: column {name!r} ({option}) is "
                         f"{cell}, a missing value ({_rows(int(missing.sum()))} in all); every "
                         f"row needs a class to stratify by")
    return labels


def write_part(frame, path, fmt, header=True):
    """Write ``frame`` atomically to ``path`` as ``fmt`` (``.csv``, ``.tsv`` or ``.parquet``).

    Parameters
    ----------
    frame : pandas.DataFrame of shape (m, n_columns)
    path : str or os.PathLike
        Written through :func:`scratchnn.fileio.atomic_write`: a failure leaves an earlier file
        whole.
    fmt : {'.csv', '.tsv', '.parquet'}
        From :func:`scratchnn.tables.check_output_format`.
    header : bool, default True
        Whether a text file starts with the column names; without, it has data rows only, like
        the headerless table it came from (Parquet always names its columns).

    Returns
    -------
    int
        The number of rows written, ``m``.

    Notes
    -----
    Text is written by :func:`scratchnn.tables.write_table` when there is a header:
    comma- or tab-separated, cells quoted where they need it.
    """
    with atomic_write(path, suffix=fmt) as f:
        if header or fmt == ".parquet":
            return write_table([frame], f, fmt)
        text = io.TextIOWrapper(f, encoding="utf-8", newline="")
        try:
            frame.to_csv(text, sep="\t" if fmt == ".tsv" else ",", index=False, header=False,
                         lineterminator="\n")
            text.flush()
        finally:
            text.detach()  # atomic_write closes f
    return len(frame)
