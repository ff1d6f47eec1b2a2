"""What each column of a table is, for the command line: numbers, categories, dates or row ids.

``scratchnn train`` decides once, on the training table, how each feature column reaches the
network, and stores the decision (:class:`ColumnTreatment`) in the model file, so that
``evaluate``, ``predict`` and ``export`` treat new tables the same way:

- **numeric**: numbers (``1.5``, ``-2``, ``1e3``; ``1,5`` once the decimal comma is known), a
  missing one imputed with a value learned on the training rows;
- **text**: categories, one-hot encoded over those seen in training (a missing or unseen one is
  all zeros); a numeric code column becomes one with ``--categorical``;
- **date**: dates and times in one of :data:`DATE_FORMATS` (ISO ``2024-03-01``, ``01/03/2024``,
  ``01.03.2024``, with or without a time), turned into three numbers: the days since 1970-01-01
  (fractional with a time), the month (1 to 12) and the day of the week (0 for Monday).

:func:`fit_columns` makes that decision for every feature column at once and returns every
column it cannot use (:class:`ColumnProblem`: free text, too many categories, a word among
numbers, no value at all), each with its reason and the options that fix it, so that one run
tells the user everything. :func:`looks_like_id` flags a column that identifies rows (by its
name, or by values distinct on every training row, whatever their order), and
:func:`decimal_comma_columns` finds numbers written with a decimal comma.

Missing cells: an empty cell is always missing. The spellings pandas takes as missing
(:data:`NA_STRINGS`: ``NA``, ``N/A``, ``null``, ``None``, ...) are missing in numeric and date
columns; in a text column they are missing too (a warning says how many there were), unless
``--keep-na-strings`` makes them categories (a region coded ``NA`` for North America).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

import numpy as np

from .preprocessing import OneHotEncoder, fill_value
from .tables import require_pandas

__all__ = ["ColumnTreatment", "ColumnProblem", "ColumnSettings", "NA_STRINGS", "MAX_CATEGORIES",
           "DATE_FORMATS", "DATE_INPUTS", "fit_columns", "looks_like_id", "text_values",
           "decimal_comma_columns", "count_na_strings", "shell_option", "format_names",
           "input_collisions", "column_warnings", "numbers", "date_inputs", "date_format"]

MAX_CATEGORIES = 100
"""A text column with more distinct values is refused: one-hot encoding it would not generalize."""

NA_STRINGS = frozenset({
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
    "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
"""The spellings of a missing value pandas knows (``pandas.read_csv``'s default ``na_values``),
besides the empty cell. Tables are read with only empty cells (and ``--na-values``) missing;
these are then applied per column, as the module docstring says."""

DATE_FORMATS = ("ISO8601", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d",
                "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")
"""The date formats a text column is tried against, in this order (``ISO8601``: pandas's
``2024-03-01``, ``2024-03-01 14:30``, ``2024-03-01T14:30:00Z``, ...). When a day-first and a
month-first format both read every value (no day above 12), the first in this list wins and
``train`` says so; ``--date-format`` chooses."""

DATE_INPUTS = ("days", "month", "weekday")
"""The network inputs of a date column, named ``column:days`` etc."""

_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}.*)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d+|\d*,\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")


def format_names(names, limit=10):
    """``['a', 'b', ...]`` with at most ``limit`` names, then how many more there are."""
    names = list(names)
    shown = ", ".join(repr(name) for name in names[:limit])
    more = f", ... and {len(names) - limit} more" if len(names) > limit else ""
    return f"[{shown}{more}]"


def shell_option(option, value):
    """``--ignore 'Unnamed: 0'``: an option and its value quoted for a POSIX shell."""
    return f"{option} {shlex.quote(str(value))}"


# --------------------------------------------------------------------------- cells


def text_values(series, na_strings=NA_STRINGS):
    """The cells of a column as stripped strings, None where missing.

    Missing: a cell pandas read as missing, a blank one, or one spelled as in ``na_strings``
    (stripped); pass an empty set to keep ``NA`` and the like as text.
    """
    present = series.notna().to_numpy()
    values = np.array(series.astype(str).str.strip(), dtype=object)  # a writable copy
    values[~present] = None
    values[values == ""] = None
    if na_strings:
        values[np.isin(values, list(na_strings))] = None
    return values


def count_na_strings(series):
    """``{spelling: count}`` of the cells of a text column spelled like a missing value."""
    values = text_values(series, na_strings=())
    spelled = values[np.isin(values, list(NA_STRINGS))]
    names, counts = np.unique(spelled.astype(str), return_counts=True)
    return dict(zip(names.tolist(), counts.tolist()))


def numbers(series, decimal="."):
    """``(x, bad)``: a column as float64, NaN where missing, and where a cell is not a number.

    A missing cell is empty, NA in pandas, or one of :data:`NA_STRINGS`; with ``decimal=","`` a
    text cell ``1,5`` is the number 1.5.
    """
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub":  # plain NumPy numbers: no pandas
        x = np.array(series.to_numpy(), dtype=np.float64)
        return x, np.zeros(len(x), dtype=bool)
    pandas = require_pandas()
    if pandas.api.types.is_bool_dtype(dtype):
        series = series.astype("float64")
    if pandas.api.types.is_numeric_dtype(series.dtype):
        x = series.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        return x, np.zeros(len(x), dtype=bool)
    values = pandas.Series(text_values(series), dtype=object)
    present = values.notna().to_numpy()
    if decimal != ".":
        values = values.str.replace(decimal, ".", regex=False)
    x = pandas.to_numeric(values, errors="coerce").astype("float64").to_numpy(
        dtype=np.float64, na_value=np.nan, copy=True)
    return x, present & np.isnan(x)


def _dates(values, fmt):
    """Days since 1970-01-01 (float, NaN where missing or not in format ``fmt``) of the
    strings ``values`` (None where missing)."""
    pandas = require_pandas()
    with np.errstate(all="ignore"):
        parsed = pandas.to_datetime(pandas.Series(values, dtype=object), format=fmt,
                                    errors="coerce", utc=True)
    # Microseconds: pandas >= 3 keeps a date outside 1677-2262 at a coarser resolution, which a
    # cast to nanoseconds would silently wrap around (3000-01-01 read as 1830-11-23).
    us = parsed.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    days = us.astype(np.int64) / 86_400e6
    days[np.isnat(us)] = np.nan
    return days


def date_inputs(days):
    """The three inputs of a date column from its days since 1970-01-01 (no NaN): ``(m, 3)``
    columns days, month (1 to 12) and weekday (0 for Monday; 1970-01-01 was a Thursday)."""
    whole = np.floor(days).astype("datetime64[D]")
    month = whole.astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (np.floor(days) + 3) % 7
    return np.column_stack([days, month.astype(np.float64), weekday])


def date_format(values, formats=DATE_FORMATS):
    """The first of ``formats`` that reads every value of ``values`` (strings, None where
    missing) as a date, with the others that also do; ``(None, [])`` when none does."""
    present = [v for v in values if v is not None]
    sample = present[:1000]
    if not present or not all(_DATE_LIKE.match(v) for v in sample):
        return None, []
    # Each format on a sample first, then the few that read it on every value.
    fits = [fmt for fmt in formats if not np.any(np.isnan(_dates(sample, fmt)))]
    fits = [fmt for fmt in fits if not np.any(np.isnan(_dates(present, fmt)))]
    return (fits[0], fits[1:]) if fits else (None, [])


def decimal_comma_columns(frame, names):
    """The columns among ``names`` whose cells are all numbers written with a decimal comma.

    A column qualifies when pandas read it as text, every present cell is a number with at most
    one ``,`` as its decimal mark (``18,7``, ``-0,5``, ``3``), at least one has a comma, and the
    commas are not all thousands separators (``1,234``, which could be either).
    """
    pandas = require_pandas()
    found = []
    for name in names:
        series = frame[name]
        if pandas.api.types.is_numeric_dtype(series.dtype) or pandas.api.types.is_bool_dtype(
                series.dtype):
            continue
        values = [v for v in text_values(series) if v is not None]
        with_comma = [v for v in values if "," in v]
        if (with_comma and all(_DECIMAL_COMMA.match(v) for v in values)
                and not all(_THOUSANDS.match(v) for v in with_comma)):
            found.append(name)
    return found


# --------------------------------------------------------------------------- treatments


@dataclass(frozen=True)
class ColumnTreatment:
    """What happens to one feature column before the network sees it.

    Attributes
    ----------
    name : str
    kind : {'numeric', 'text', 'date'}
    fill : float or None
        Numeric columns: the value a missing entry becomes; date columns: the days since
        1970-01-01 a missing date becomes; None makes a missing entry an error.
    categories : tuple of str
        Text columns: one network input per category, 1 for the row's category; a missing or
        unseen value is all zeros.
    format : str or None
        Date columns: the format their values are read with (see :data:`DATE_FORMATS`).
    """

    name: str
    kind: str
    fill: float | None = None
    categories: tuple = ()
    format: str | None = None

    @property
    def input_names(self):
        """The names of the network inputs this column becomes."""
        if self.kind == "numeric":
            return [self.name]
        if self.kind == "date":
            return [f"{self.name}:{part}" for part in DATE_INPUTS]
        return [f"{self.name}={category}" for category in self.categories]

    def to_json(self):
        if self.kind == "numeric":
            return {"name": self.name, "kind": "numeric", "fill": self.fill}
        if self.kind == "date":
            return {"name": self.name, "kind": "date", "format": self.format, "fill": self.fill}
        return {"name": self.name, "kind": "text", "categories": list(self.categories)}

    @classmethod
    def from_json(cls, value):
        """Rebuild from :meth:`to_json`; ValueError if ``value`` is not such a dict."""
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise ValueError("a column must be a dict with a name")
        kind = value.get("kind")
        if kind in ("numeric", "date"):
            fill = value.get("fill")
            if fill is not None and (isinstance(fill, bool) or not isinstance(fill, (int, float))
                                     or not np.isfinite(fill)):
                raise ValueError(f"column {value['name']!r}: fill must be a finite number or null")
            fill = None if fill is None else float(fill)
            if kind == "numeric":
                return cls(value["name"], "numeric", fill)
            fmt = value.get("format")
            if fmt not in DATE_FORMATS and not (isinstance(fmt, str) and "%" in fmt):
                raise ValueError(f"column {value['name']!r}: format must be a date format")
            return cls(value["name"], "date", fill, format=fmt)
        if kind == "text":
            categories = value.get("categories")
            if not (isinstance(categories, list) and categories
                    and all(isinstance(c, str) for c in categories)
                    and len(set(categories)) == len(categories)):
                raise ValueError(f"column {value['name']!r}: categories must be distinct strings")
            return cls(value["name"], "text", categories=tuple(categories))
        raise ValueError(f"column {value['name']!r}: kind must be 'numeric', 'text' or 'date'")

    def describe(self):
        """One line for ``info``."""
        if self.kind == "text":
            n = len(self.categories)
            shown = ", ".join(self.categories[:10])
            more = f", ... ({n} in all)" if n > 10 else ""
            return f"text, one-hot over {n} categor{'y' if n == 1 else 'ies'}: {shown}{more}"
        missing = ("missing is an error" if self.fill is None
                   else f"missing -> {self.fill_value()}")
        if self.kind == "date":
            return (f"date ({self.format}) -> days since 1970-01-01, month, weekday; {missing}")
        return f"numeric, {missing}"

    def fill_value(self):
        """What a missing cell becomes, as the user reads it: a number, a date (``2023-11-19``,
        with its time when it has one), or None (text: no category; or an error)."""
        if self.kind == "text" or self.fill is None:
            return None
        if self.kind == "date":
            when = np.datetime64(int(round(self.fill * 86400)), "s")
            return str(when).replace("T", " ").removesuffix(" 00:00:00")
        return f"{self.fill:.6g}"

    def encode(self, series, path, locate, na_strings=NA_STRINGS, decimal="."):
        """The network inputs of this column: ``(X, n_unseen, n_missing)``, ``X`` ``(m, k)``.

        ``n_unseen`` counts the cells of a text column holding a category not seen in training,
        ``n_missing`` the missing cells (imputed, or all zeros for text).

        Raises
        ------
        ValueError
            Naming the file, line and column of the first cell that is not a number (or a date
            in :attr:`format`), is infinite, or is missing when :attr:`fill` is None.
        """
        if self.kind == "text":
            codes, n_unseen, n_missing = self.codes(series, na_strings)
            X = (codes[:, None] == np.arange(len(self.categories))).astype(np.float64)
            return X, n_unseen, n_missing
        if self.kind == "date":
            days, n_missing = self.days(series, path, locate)
            return date_inputs(days), 0, n_missing
        x, n_missing = self.numbers(series, path, locate, decimal)
        return x.reshape(-1, 1), 0, n_missing

    def numbers(self, series, path, locate, decimal="."):
        """A numeric column as float64 ``(m,)`` with missing values imputed, and how many
        were missing: ``(x, n_missing)``; raises as :meth:`encode`."""
        x, bad = numbers(series, decimal)
        for mask, what in ((bad, "is {!r}, not a number"),
                           (np.isinf(x), "is {!r}; infinite values are not supported")):
            if np.any(mask):
                k = int(np.argmax(mask))
                cell = str(series.iloc[k]).strip()
                hint = ""
                if mask is bad and decimal == "." and _DECIMAL_COMMA.match(cell):
                    hint = " (numbers written with a decimal comma need --decimal ,)"
                raise ValueError(f"{path}, {locate(series.index[k])}: column {self.name!r} "
                                 + what.format(cell) + hint)
        return self._impute(x, series, path, locate)

    def days(self, series, path, locate):
        """A date column as days since 1970-01-01 ``(m,)``, missing ones imputed, and how many
        were missing: ``(days, n_missing)``; raises as :meth:`encode`."""
        values = text_values(series)
        days = _dates(values, self.format)
        bad = (values != None) & np.isnan(days)  # noqa: E711
        if np.any(bad):
            k = int(np.argmax(bad))
            raise ValueError(f"{path}, {locate(series.index[k])}: column {self.name!r} is "
                             f"{values[k]!r}, not a date in the format {self.format} the model "
                             f"was trained on")
        return self._impute(days, series, path, locate)

    def _impute(self, x, series, path, locate):
        missing = np.isnan(x)
        n_missing = int(np.count_nonzero(missing))
        if n_missing:
            if self.fill is None:
                k = int(np.argmax(missing))
                raise ValueError(
                    f"{path}, {locate(series.index[k])}: column {self.name!r} is missing (empty "
                    f"or NA) and the model was trained with --impute error")
            x[missing] = self.fill
        return x, n_missing

    def codes(self, series, na_strings=NA_STRINGS):
        """A text column as category indices: ``(codes, n_unseen, n_missing)``.

        ``codes`` ``(m,)`` holds each cell's index in :attr:`categories`, -1 where the cell is
        missing or holds a category not seen in training; ``n_unseen`` counts the latter,
        ``n_missing`` the former. Vectorized with pandas's string methods: no Python string per
        cell.
        """
        pandas = require_pandas()
        stripped = series.astype("string").str.strip().fillna("")
        missing = (stripped == "").to_numpy(dtype=bool)
        if na_strings:
            missing |= stripped.isin(list(na_strings)).to_numpy(dtype=bool)
        codes = pandas.Index(list(self.categories), dtype="string").get_indexer(stripped)
        codes = codes.astype(np.int64)
        codes[missing] = -1
        n_unseen = int(np.count_nonzero((codes == -1) & ~missing))
        return codes, n_unseen, int(np.count_nonzero(missing))


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class ColumnProblem:
    """A column ``train`` cannot use as it is: the reason, and the options that fix it.

    Attributes
    ----------
    column : str or None
        None for a problem of the table as a whole (the target, the decimal mark).
    reason : str
    fixes : tuple of str
        Options, shell-quoted, each of which fixes it (the first goes into the suggested
        command line); empty when only the file can be fixed.
    """

    column: str | None
    reason: str
    fixes: tuple = ()

    def line(self):
        """One line of the combined message."""
        where = "" if self.column is None else f"column {self.column!r}: "
        fix = f" ({' or '.join(self.fixes)})" if self.fixes else ""
        return f"{where}{self.reason}{fix}"


@dataclass(frozen=True)
class ColumnSettings:
    """The command line's choices that decide how columns are treated.

    Attributes
    ----------
    impute : {'median', 'mean', 'most_frequent', 'error'}
    categorical : frozenset of str
        Columns one-hot encoded whatever they hold (``--categorical``).
    keep_na_strings : bool
        ``NA`` and the other :data:`NA_STRINGS` are categories of text columns, not missing.
    date_format : str or None
        Tried before :data:`DATE_FORMATS` (``--date-format``).
    decimal : str
        The decimal mark numbers are written with.
    """

    impute: str = "median"
    categorical: frozenset = field(default_factory=frozenset)
    keep_na_strings: bool = False
    date_format: str | None = None
    decimal: str = "."

    @property
    def na_strings(self):
        """The spellings that are missing in a text column."""
        return frozenset() if self.keep_na_strings else NA_STRINGS


def fit_columns(frame, names, train_rows, settings, path, locate):
    """Choose and fit the treatment of every feature column on the training rows.

    A column pandas read as numbers is numeric, unless ``--categorical`` names it; a column of
    text whose values are all dates is a date column; any other text column is one-hot encoded
    (categories learned on the training rows), unless most of its cells are numbers (a stray
    word among numbers is a problem naming its line).

    Parameters
    ----------
    frame : pandas.DataFrame
        The whole table.
    names : list of str
        The feature columns.
    train_rows : ndarray of int
        The rows the imputed values and the categories are learned from.
    settings : ColumnSettings
    path : str
        The file, for messages.
    locate : callable
        Row index to ``"line N"``.

    Returns
    -------
    treatments : list of ColumnTreatment
        One per usable column, in the order of ``names``.
    problems : list of ColumnProblem
        Every column that cannot be used: free text or too many categories (over
        :data:`MAX_CATEGORIES` distinct values in the whole column), a word among numbers, an
        infinite value, no value in the training rows.
    notes : list of str
        What was decided that the user may want to know (a date format chosen among several).
    """
    treatments, problems, notes = [], [], []
    na_strings = settings.na_strings
    for name in names:
        series = frame[name]
        ignore = shell_option("--ignore", name)
        held = _unreadable(series)
        if held is not None:
            problems.append(ColumnProblem(
                name, f"holds {held}; scratchnn reads numbers, text and dates", (ignore,)))
            continue
        if name in settings.categorical:
            treatment = _fit_text(name, series, train_rows, na_strings, problems, ignore,
                                  categorical=True)
            if treatment is not None:
                treatments.append(treatment)
            continue
        x, bad = numbers(series, settings.decimal)
        n_numbers = int(np.sum(~np.isnan(x)))
        n_present = n_numbers + int(np.sum(bad))
        if np.any(bad) and n_numbers < n_present / 2:
            values = text_values(series)
            formats = ((settings.date_format,) if settings.date_format else ()) + DATE_FORMATS
            fmt, others = date_format(values, formats)
            if fmt is not None:
                treatment = _fit_date(name, values, fmt, train_rows, settings, problems, ignore,
                                      path, locate, series)
                if treatment is not None:
                    treatments.append(treatment)
                    if others and not settings.date_format:
                        notes.append(f"column {name!r} is read as dates in the format {fmt}; "
                                     f"{', '.join(others)} also fits every value (choose with "
                                     f"{shell_option('--date-format', others[0])})")
                continue
            present = [v for v in values if v is not None]
            if present and all(_DATE_LIKE.match(v) for v in present):
                problems.append(ColumnProblem(
                    name, f"looks like dates, but no known format reads every value (e.g. "
                    f"{present[0]!r}): give the format with --date-format (strftime, such as "
                    f"%d/%m/%y), read them as categories, or leave the column out",
                    (shell_option("--date-format", "%d/%m/%y"),
                     shell_option("--categorical", name), ignore)))
                continue
            treatment = _fit_text(name, series, train_rows, na_strings, problems, ignore)
            if treatment is not None:
                treatments.append(treatment)
            continue
        if np.any(bad):
            words = list(dict.fromkeys(str(series.iloc[k]).strip() for k in np.flatnonzero(bad)))
            k = int(np.argmax(bad))
            shown = ", ".join(repr(w) for w in words[:5]) + (" ..." if len(words) > 5 else "")
            fixes = (ignore,)
            if len(words) <= 3:
                fixes = (" ".join(shell_option("--na-values", w) for w in words), ignore)
            problems.append(ColumnProblem(
                name, f"{int(np.sum(bad))} cell(s) are not numbers ({shown}; first on "
                f"{locate(series.index[k])}) among {n_numbers} numbers: fix the cells, read "
                f"them as missing", fixes))
            continue
        if np.any(np.isinf(x)):
            k = int(np.argmax(np.isinf(x)))
            problems.append(ColumnProblem(
                name, f"{str(series.iloc[k]).strip()!r} on {locate(series.index[k])}: infinite "
                f"values are not supported", (ignore,)))
            continue
        treatment = _fit_fill(name, "numeric", x, train_rows, settings, problems, ignore, path,
                              locate, series)
        if treatment is not None:
            treatments.append(treatment)
    return treatments, problems, notes


def _unreadable(series, sample=100):
    """What a column of Python objects holds that is no feature (Parquet's binary, list and
    struct columns), or None."""
    if not (isinstance(series.dtype, np.dtype) and series.dtype.kind == "O"):
        return None
    for value in series.dropna().head(sample):
        if isinstance(value, (bytes, bytearray, memoryview)):
            return "binary data (bytes)"
        if isinstance(value, (list, tuple, np.ndarray)):
            return "lists"
        if isinstance(value, dict):
            return "structs (key-value records)"
    return None


def _fit_fill(name, kind, x, train_rows, settings, problems, ignore, path, locate, series,
              fmt=None):
    fill = fill_value(x[train_rows], settings.impute)
    if fill is None and settings.impute != "error":
        problems.append(ColumnProblem(name, "no value in the training rows", (ignore,)))
        return None
    if settings.impute == "error" and np.any(np.isnan(x)):
        k = int(np.argmax(np.isnan(x)))
        problems.append(ColumnProblem(
            name, f"missing (empty or NA) on {locate(series.index[k])} and --impute error",
            ("--impute median", ignore)))
        return None
    return ColumnTreatment(name, kind, fill, format=fmt)


def _fit_date(name, values, fmt, train_rows, settings, problems, ignore, path, locate, series):
    days = _dates(values, fmt)
    return _fit_fill(name, "date", days, train_rows, settings, problems, ignore, path, locate,
                     series, fmt)


def _fit_text(name, series, train_rows, na_strings, problems, ignore, categorical=False):
    values = text_values(series, na_strings)
    present = values[values != None]  # noqa: E711
    n_distinct = len(set(present))
    if n_distinct > MAX_CATEGORIES:
        what = "codes" if categorical else "text"
        if n_distinct == len(present):
            problems.append(ColumnProblem(
                name, f"{what} distinct on every row ({n_distinct} values): free text or a row "
                f"id", (ignore, shell_option("--id", name))))
        else:
            problems.append(ColumnProblem(
                name, f"{what} with {n_distinct} distinct values, too many to one-hot encode "
                f"(at most {MAX_CATEGORIES})", (ignore,)))
        return None
    categories = OneHotEncoder().fit(values[train_rows]).categories_
    if not categories:
        problems.append(ColumnProblem(name, "no value in the training rows", (ignore,)))
        return None
    return ColumnTreatment(name, "text", categories=tuple(categories))


def input_collisions(treatments):
    """A :class:`ColumnProblem` for each network input that two columns would both become once
    encoded (a column ``a`` holding ``b=c`` and a column ``a=b`` holding ``c`` both give
    ``a=b=c``): the model could be saved but never loaded."""
    owners = {}
    for treatment in treatments:
        for name in treatment.input_names:
            owners.setdefault(name, []).append(treatment.name)
    return [ColumnProblem(None, f"columns {format_names(names)} both become the network input "
                          f"{name!r} once encoded; rename one",
                          (shell_option("--ignore", names[-1]),))
            for name, names in owners.items() if len(names) > 1]


def column_warnings(frame, treatments, train_rows, settings, refused=()):
    """What ``train`` warns about the columns it uses: ``(ids, others)``, lists of
    :class:`ColumnProblem` whose fixes are the options to pass.

    ``ids``: the columns that look like row ids (:func:`looks_like_id`, on the training rows),
    but those in ``refused``; ``others``: the text columns holding spellings of a missing value
    (:data:`NA_STRINGS`) read as missing, unless ``settings.keep_na_strings``.
    """
    ids, others = [], []
    for treatment in treatments:
        name, series = treatment.name, frame[treatment.name]
        if treatment.kind == "text" and not settings.keep_na_strings:
            spelled = count_na_strings(series)
            if spelled:
                shown = ", ".join(f"{k!r} ({n} rows)" for k, n in spelled.items())
                others.append(ColumnProblem(
                    name, f"holds {shown}, read as missing; if they are categories (NA for North "
                    f"America), keep them", ("--keep-na-strings",)))
        why = looks_like_id(name, series, train_rows)
        if why and name not in refused:
            ids.append(ColumnProblem(
                name, f"looks like a row id ({why}) and is used as a feature; a model that "
                f"learns row ids fails on new rows: copy it to predictions instead, or leave it "
                f"out", (shell_option("--id", name), shell_option("--ignore", name))))
    return ids, others


_ID_NAMES = {"", "id", "index", "row", "rowid", "row_id", "row id", "idx", "rownames", "row.names"}


def looks_like_id(name, series, rows=None):
    """Why column ``name`` looks like a row id rather than a feature, or None.

    A name like ``id``, ``ID``, ``index``, ``rownames`` or ``Unnamed: 0`` (a saved R or pandas
    row name), or, on at least 10 of the rows ``rows`` (all by default), values that are whole
    numbers or text and distinct on every row, in whatever order: a shuffled or split file
    keeps its row numbers but not their order.
    """
    lowered = name.strip().lower()
    if lowered in _ID_NAMES or lowered.endswith("_id") or lowered.startswith("unnamed:"):
        return f"its name, {name!r}, is that of a row id"
    if (len(series) if rows is None else len(rows)) < 10:
        return None
    x, bad = numbers(series)
    if rows is not None:
        x, bad = x[rows], bad[rows]
    if not np.any(bad):
        if np.all(np.isfinite(x)) and np.all(x == np.round(x)) and len(np.unique(x)) == len(x):
            return "its values are distinct whole numbers on every training row"
        return None
    values = text_values(series if rows is None else series.iloc[rows])
    if all(v is not None for v in values) and len(set(values)) == len(values):
        return "its values are distinct text on every training row"
    return None
