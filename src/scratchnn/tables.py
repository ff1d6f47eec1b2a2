"""Tables on disk for the command line: CSV-like text (any delimiter, compressed or not) and Parquet.

Reading is pandas's (``pip install 'scratchnn[cli]'``; pyarrow for Parquet), not a parser of our
own; this module only chooses pandas's options and turns its failures into one-line
``ValueError`` messages that name the file.

:func:`read_table`
    the whole file as a ``pandas.DataFrame``;
:func:`iter_table`
    the same in chunks of rows, so that ``predict`` and ``evaluate`` use memory that does not grow
    with the number of rows;
:func:`check_output_format` and :func:`write_table`
    the output format follows the file's extension (``.csv``, ``.tsv``, ``.parquet``).

The delimiter of a text file is detected from its first lines (comma, semicolon, tab or pipe,
whichever splits every line into the same number of fields, the most fields winning) unless
:attr:`TableOptions.sep` forces one; ``.tsv`` files are tab-separated. Each
:class:`pandas.DataFrame` keeps pandas's default row index, counting data rows from 0 across
chunks, which :meth:`TableOptions.locate` turns into a line of the file for error messages.
"""

from __future__ import annotations

import bz2
import contextlib
import csv
import ctypes
import gzip
import io
import lzma
import os
import warnings
import zipfile
from dataclasses import dataclass

import numpy as np

__all__ = ["TableOptions", "require_pandas", "read_table", "iter_table", "check_output_format",
           "write_table", "OUTPUT_FORMATS", "release_freed_memory", "detect_separator",
           "check_header", "header_names"]

CHUNK_ROWS = 100_000
"""Rows per chunk of :func:`iter_table`: a few tens of MB for 50 numeric columns."""

_SEPARATORS = ("\t", ";", "|", ",")  # in order of preference when two split the lines alike
_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
OUTPUT_FORMATS = (".csv", ".tsv", ".parquet")


def require_pandas():
    """Import and return pandas, or fail with one line naming the extra that provides it."""
    try:
        import pandas
    except ImportError:
        raise ImportError("reading tables needs pandas: pip install 'scratchnn[cli]'") from None
    return pandas


def _require_pyarrow(path):
    try:
        import pyarrow.parquet
    except ImportError:
        raise ImportError(f"{path}: Parquet files need pyarrow: pip install 'scratchnn[cli]'"
                          ) from None
    return pyarrow.parquet


@dataclass(frozen=True)
class TableOptions:
    """How to read a text table; the command line's ``--sep``, ``--decimal`` and ``--no-header``.

    Attributes
    ----------
    sep : str or None
        The delimiter; None detects it.
    decimal : str
        The decimal mark of numbers (``","`` for ``1,5``).
    header : bool
        Whether the first line names the columns; without one the columns are named by position,
        ``"1"``, ``"2"``, ...
    na_values : tuple of str
        Cells read as missing besides empty ones (``--na-values``). Other spellings of a missing
        value (``NA``, ``null``, ...) are read as text, for :mod:`scratchnn.columns` to decide
        per column.
    """

    sep: str | None = None
    decimal: str = "."
    header: bool = True
    na_values: tuple = ()

    def locate(self, path, index):
        """Where data row ``index`` (from 0) is, for messages: ``line N`` of a text file.

        The line counts the header and assumes no blank lines or line breaks inside quoted
        fields before it; a Parquet file has rows, not lines.
        """
        if _is_parquet(path):
            return f"row {int(index) + 1}"
        return f"line {int(index) + 1 + int(self.header)}"


def _is_parquet(path):
    return os.fspath(path).lower().endswith((".parquet", ".pq"))


@contextlib.contextmanager
def _open_binary(path):
    """A (possibly compressed) text table opened for reading bytes; an archive's first member."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if not names:
                raise ValueError(f"{path} is an empty zip archive")
            with archive.open(names[0]) as f:
                yield f
        return
    with _COMPRESSED.get(ext, open)(path, "rb") as f:
        yield f


@contextlib.contextmanager
def _open_text(path):
    """The same as :func:`_open_binary`, as UTF-8 text (a byte-order mark skipped)."""
    with _open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig",
                                                     newline="") as f:
        yield f


def _first_lines(path, n_lines=20, n_bytes=1 << 16):
    """The first lines of a (possibly compressed) text file, decoded as UTF-8."""
    path = os.fspath(path)
    with _open_binary(path) as f:
        raw = f.read(n_bytes)
    text = raw.decode("utf-8-sig", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(raw) == n_bytes and len(lines) > 1:
        lines = lines[:-1]  # the last one may be cut off
    return lines[:n_lines]


def _count_outside_quotes(line, sep):
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            count += 1
    return count


def detect_separator(path, decimal="."):
    """The delimiter that splits each of the first lines into the same number (> 1) of fields.

    Among such delimiters the one giving the most fields wins; on a tie, tab, semicolon, pipe,
    then comma. When ``","`` is the decimal mark it is the delimiter only if no other qualifies
    (a comma-separated file with its decimal-comma numbers quoted). Returns ``","`` (``";"``
    when ``","`` is the decimal mark) when none qualifies (a one-column file).
    """
    if os.fspath(path).lower().endswith((".tsv", ".tsv.gz", ".tsv.bz2", ".tsv.xz", ".tab")):
        return "\t"
    lines = _first_lines(path)
    best, best_count = ";" if decimal == "," else ",", 0
    for sep in _SEPARATORS:
        if sep == decimal and best_count:
            continue
        counts = {_count_outside_quotes(line, sep) for line in lines}
        if len(counts) == 1 and (count := counts.pop()) > best_count:
            best, best_count = sep, count
    return best


def _read_csv_kwargs(path, options, dtype, verbatim=False):
    sep = options.sep if options.sep is not None else detect_separator(path, options.decimal)
    kwargs = {
        "sep": sep,
        "decimal": options.decimal,
        "encoding": "utf-8-sig",  # skips the byte-order mark spreadsheet programs write
        "skipinitialspace": not verbatim,
        "dtype": str if verbatim else dtype,
        "compression": "infer",
        # Never take the first column as the index, even when the rows have one more field
        # than the header (pandas's convention for a saved index): such rows are refused.
        "index_col": False,
        # Only empty cells (and --na-values) are missing here; "NA", "None" and the like stay
        # text, for scratchnn.columns to decide per column.
        "keep_default_na": False,
        "na_values": ["", *options.na_values],
    }
    if verbatim:  # every cell as the exact string in the file
        kwargs.update(na_filter=False, na_values=None)
    if not options.header:
        kwargs["header"] = None
    return kwargs


_NOT_TABLES = (
    (b"PK\x03\x04", (".xlsx", ".xlsm", ".ods"), "a spreadsheet workbook (zip)"),
    (b"\xd0\xcf\x11\xe0", (), "an Excel 97-2003 workbook (.xls)"),
    (b"PAR1", (), "a Parquet file"),
    (b"\x93NUMPY", (), "a NumPy .npy array"),
    (b"\x89HDF", (), "an HDF5 file"),
)


def _check_kind(path):
    """Refuse a file that is not a text table or Parquet, saying what it looks like."""
    ext = os.path.splitext(path)[1].lower()
    if _is_parquet(path) or ext in _COMPRESSED or ext == ".zip":
        return
    with open(path, "rb") as f:
        start = f.read(64)
    what = None
    for magic, extensions, name in _NOT_TABLES:
        if start.startswith(magic) and (not extensions or ext in extensions or magic != b"PK\x03\x04"):
            what = name
            break
    if what is None and (ext in (".json", ".jsonl", ".ndjson", ".geojson")
                         or start.lstrip()[:1] in (b"{", b"[") and ext not in (".csv", ".tsv")):
        what = "a JSON file"
    if what is None and ext in (".xlsx", ".xls", ".xlsm", ".ods", ".feather", ".pkl", ".pickle",
                                ".npz", ".npy", ".h5", ".hdf5", ".sav", ".dta"):
        what = f"a {ext} file"
    if what is not None:
        fix = ("name it .parquet" if what == "a Parquet file"
               else "save it as CSV (or Parquet) first")
        raise ValueError(f"{path} looks like {what}, not a table scratchnn reads (CSV-like text "
                         f"or Parquet): {fix}")


def header_names(path, options):
    """The column names of a table as its first row spells them (stripped), before pandas
    renames duplicates (``x``, ``x.1``); ``None`` without a header row."""
    if not options.header:
        return None
    if _is_parquet(path):
        return [str(name).strip() for name in _require_pyarrow(path).read_schema(path).names]
    kwargs = _read_csv_kwargs(path, options, None, verbatim=True)
    # One row, all text and no column types to infer: the csv module's reader (the same quoting
    # rules) is much faster than pandas's on a header of thousands of names.
    with _open_text(path) as f:
        first = next(csv.reader(f, delimiter=kwargs["sep"]), [])
    return [name.strip() for name in first]


def check_header(path, options):
    """Refuse a table whose header names a column twice (after stripping spaces), with the
    positions of each repeated name."""
    names = header_names(path, options)
    if not names:
        return
    positions = {}
    for k, name in enumerate(names, 1):
        positions.setdefault(name, []).append(k)
    repeated = [f"{name!r} (columns {', '.join(map(str, where))})"
                for name, where in positions.items() if len(where) > 1]
    if repeated:
        raise ValueError(f"{path}: the header names a column more than once: "
                         f"{'; '.join(repeated[:10])}; give each column its own name")


def _name_by_position(frame, options):
    if not options.header:
        frame.columns = [str(k) for k in range(1, frame.shape[1] + 1)]
    else:
        frame.columns = [str(name).strip() for name in frame.columns]
    return frame


def _fail(path, exc):
    """A one-line ValueError for whatever pandas or the decompressor raised on a bad file."""
    if isinstance(exc, require_pandas().errors.ParserWarning):
        return ValueError(f"{path}: a row has more fields than the header (a delimiter inside an "
                          f"unquoted field, or the wrong --sep?)")
    if isinstance(exc, UnicodeDecodeError):
        return ValueError(f"{path} is not a UTF-8 text file ({exc.reason})")
    if isinstance(exc, require_pandas().errors.EmptyDataError):
        return ValueError(f"{path} is empty: expected a header row naming the columns")
    why = " ".join(str(exc).split()) or type(exc).__name__
    return ValueError(f"{path} could not be read as a table: {why}")


def _parse_errors():
    pandas = require_pandas()
    return (pandas.errors.ParserError, pandas.errors.EmptyDataError, pandas.errors.ParserWarning,
            UnicodeDecodeError, csv.Error,
            zipfile.BadZipFile, EOFError, gzip.BadGzipFile, lzma.LZMAError, OSError)


def _check_frame(path, frame):
    if frame.shape[1] == 0:
        raise ValueError(f"{path} is empty: expected a header row naming the columns")
    if frame.shape[0] == 0:
        raise ValueError(f"{path} has a header but no data rows")
    return frame


def _reraise(path, exc):
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
        raise exc
    raise _fail(path, exc) from None


def read_table(path, options=TableOptions(), dtype=None, verbatim=False):
    """Read a whole table.

    Parameters
    ----------
    path : str
        A text table (``.csv``, ``.tsv``, ``.txt``, ..., optionally ``.gz``, ``.bz2``, ``.xz``,
        ``.zip``) or a ``.parquet`` file.
    options : TableOptions
    dtype : dict of str to type, optional
        Columns to read as given (``str`` for ids, text and labels).
    verbatim : bool, default False
        Every cell of a text table as the exact string in the file, as :func:`iter_table`.

    Returns
    -------
    pandas.DataFrame
        Column names as strings, stripped of surrounding spaces.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        If the file cannot be opened.
    ValueError
        Naming the file if it is not a table pandas can read, has no columns or no data rows.
    ImportError
        Without pandas (or pyarrow, for Parquet), naming the ``cli`` extra.
    """
    require_pandas()
    path = os.fspath(path)
    try:
        # Parquet too, row group by row group, so that the file is never held twice (whole and
        # as a frame).
        return _gather_columns(path, options, dtype, verbatim)
    except _parse_errors() + (ValueError,) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(path):
            raise
        _reraise(path, exc)


def _gather_columns(path, options, dtype, verbatim=False):
    """A table read chunk by chunk (:func:`iter_table`; Parquet by record batches) and put
    together column by column.

    ``pandas.read_csv`` on the whole file holds its tokens and the finished frame at once, about
    three times the frame; here the peak is the frame plus one chunk. Each column keeps its own
    array (no 2-D block is consolidated, so nothing is copied twice). A column that pandas reads
    as numbers in some chunks and as text in others is read again as text, as a whole-file read
    would have it (its cells spelled as in the file).
    """
    pandas = require_pandas()
    names, pieces, index_start, rows = None, None, None, 0
    for chunk in iter_table(path, options, dtype, verbatim=verbatim):
        if names is None:
            names, pieces = list(chunk.columns), [[] for _ in chunk.columns]
            index_start = chunk.index[0]
        for k in range(len(names)):
            series = chunk.iloc[:, k]
            # A NumPy column is a view of the chunk's 2-D block: copy it, so the block goes with
            # the chunk.
            pieces[k].append(series.to_numpy(copy=True) if isinstance(series.dtype, np.dtype)
                             else series.array)
        rows += len(chunk)
        del chunk, series
        release_freed_memory()  # the parser's buffers, between the columns kept so far
    index = pandas.RangeIndex(index_start, index_start + rows)
    columns, mixed = {}, []  # the names are distinct: iter_table refuses a repeated one
    for k, name in enumerate(names):
        parts, pieces[k] = pieces[k], None
        numpy = [isinstance(part, np.ndarray) for part in parts]
        kinds = {part.dtype.kind for part in parts if isinstance(part, np.ndarray)}
        if all(numpy) and (len(kinds) == 1 or kinds <= set("iuf")) or not any(numpy) and len(
                {str(part.dtype) for part in parts}) == 1:
            columns[name] = pandas.Series(_join(parts), index=index, name=name, copy=False)
        else:
            mixed.append(k)
            columns[name] = None
        del parts
        release_freed_memory()  # the column's pieces, between the pieces of other columns
    if mixed:
        kwargs = _read_csv_kwargs(path, options, None)
        kwargs["dtype"] = str
        again = pandas.read_csv(path, low_memory=False, usecols=mixed, **kwargs)
        for j, k in enumerate(mixed):
            columns[names[k]] = again.iloc[:, j].set_axis(index).rename(names[k])
        del again
    release_freed_memory()  # the chunks' memory, kept by the C allocator otherwise
    return _check_frame(path, pandas.DataFrame(columns, index=index, copy=False))


def release_freed_memory():
    """Give memory freed by the program back to the system, where the C library allows.

    glibc keeps freed blocks of up to 32 MB (the chunks of a table, the columns of a frame) for
    reuse instead of returning them, so a process that has read a big table stays that large
    while it builds the next big array. ``malloc_trim`` returns them (elsewhere nothing is done),
    and pyarrow's memory pool, which holds the text columns, releases what it keeps.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
    import sys
    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()


def _join(parts):
    if isinstance(parts[0], np.ndarray):
        return parts[0] if len(parts) == 1 else np.concatenate(parts)
    pandas = require_pandas()
    return pandas.concat([pandas.Series(part, copy=False) for part in parts],
                         ignore_index=True).array


def _only_present(dtype):
    # read_csv ignores dtype entries for columns that are not in the file; passing them is safe,
    # but a copy keeps the caller's dict unchanged.
    return dict(dtype) if dtype else None


def _text_columns(frame, dtype):
    """Parquet keeps its own column types: turn the columns meant as text into text."""
    for name in dtype or {}:
        if name in frame.columns:
            column = frame[name]
            frame[name] = column.astype(str).where(column.notna(), None)
    return frame


def iter_table(path, options=TableOptions(), dtype=None, chunk_rows=None, verbatim=False):
    """Yield a table in chunks of at most ``chunk_rows`` rows (:data:`CHUNK_ROWS` by default).

    Each chunk is a ``pandas.DataFrame`` as :func:`read_table` returns, with the row index
    continuing across chunks. Raises as :func:`read_table`, possibly after some chunks.

    With ``verbatim``, every cell of a text table is the exact string in the file (spaces,
    leading zeros, ``NA`` and empty cells kept, nothing converted), for columns copied to an
    output; a Parquet table keeps its own column types.
    """
    pandas = require_pandas()
    path = os.fspath(path)
    chunk_rows = chunk_rows or CHUNK_ROWS
    first = True
    try:
        _check_kind(path)
        check_header(path, options)
        if _is_parquet(path):
            parquet = _require_pyarrow(path)
            start = 0
            table = parquet.ParquetFile(path)
            if not table.schema_arrow.names:
                raise ValueError(f"{path} is empty: expected a header row naming the columns")
            for batch in table.iter_batches(batch_size=chunk_rows):
                frame = batch.to_pandas()
                frame.index = pandas.RangeIndex(start, start + len(frame))
                start += len(frame)
                first = False
                if not verbatim:
                    frame = _text_columns(frame, dtype)
                yield _check_frame(path, _name_by_position(frame, options))
        else:
            kwargs = _read_csv_kwargs(path, options, _only_present(dtype), verbatim)
            with pandas.read_csv(path, chunksize=chunk_rows, **kwargs) as reader:
                while True:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error", pandas.errors.ParserWarning)
                        frame = next(reader, None)
                    if frame is None:
                        break
                    first = False
                    yield _check_frame(path, _name_by_position(frame, options))
    except _parse_errors() + (ValueError,) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(path):
            raise
        _reraise(path, exc)
    if first:
        raise ValueError(f"{path} has a header but no data rows")


def check_output_format(path, option):
    """The format of an output table from its extension; ``.csv`` when it has none.

    Raises
    ------
    ValueError
        For an extension other than ``.csv``, ``.tsv`` and ``.parquet``, naming the option.
    """
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext == "":
        return ".csv"
    if ext not in OUTPUT_FORMATS:
        raise ValueError(f"{option} {path}: unknown table format {ext!r}; use a file name ending "
                         f"in {', '.join(OUTPUT_FORMATS)}")
    if ext == ".parquet":
        _require_pyarrow(path)
    return ext


def write_table(frames, f, fmt):
    """Write data frames one after the other as one table into binary file ``f``.

    CSV and TSV are written chunk by chunk (one header); Parquet gathers the chunks first.
    Returns the number of rows written.
    """
    rows = 0
    if fmt == ".parquet":
        pandas = require_pandas()
        frames = list(frames)
        table = pandas.concat(frames, ignore_index=True)
        table.to_parquet(f, index=False)
        return len(table)
    text = io.TextIOWrapper(f, encoding="utf-8", newline="")
    try:
        for k, frame in enumerate(frames):
            frame.to_csv(text, sep="\t" if fmt == ".tsv" else ",", index=False, header=k == 0,
                         lineterminator="\n")
            rows += len(frame)
        text.flush()
    finally:
        text.detach()  # the caller closes f
    return rows
