"""scratchnn.columns, called directly: cells, numbers, dates, treatments, the problems
``fit_columns`` finds, and the warnings about ids and spellings of a missing value.

Expected values are worked out by hand (or with the standard library's calendar), and messages
are compared whole, so that a changed word or option fails."""

import datetime

import numpy as np
import pytest

from scratchnn.columns import (
    DATE_FORMATS,
    MAX_CATEGORIES,
    NA_STRINGS,
    ColumnProblem,
    ColumnSettings,
    ColumnTreatment,
    _dates,
    _unreadable,
    column_warnings,
    count_na_strings,
    date_format,
    date_inputs,
    decimal_comma_columns,
    fit_columns,
    format_names,
    input_collisions,
    looks_like_id,
    numbers,
    shell_option,
    text_values,
)

pandas = pytest.importorskip("pandas")


def locate(index):
    """As the command line's: data row 0 is line 2 of a file with a header."""
    return f"line {int(index) + 2}"


def day(text):
    """Days since 1970-01-01 of an ISO date, by the standard library."""
    return (datetime.date.fromisoformat(text) - datetime.date(1970, 1, 1)).days


def obj(values, index=None):
    return pandas.Series(values, dtype=object, index=index)


# --------------------------------------------------------------------------- small helpers


def test_format_names_shows_at_most_limit_names_then_how_many_more():
    assert format_names(iter("abc")) == "['a', 'b', 'c']"
    assert format_names([]) == "[]"
    ten = [f"c{k}" for k in range(10)]
    assert format_names(ten) == "[" + ", ".join(repr(n) for n in ten) + "]"
    assert format_names(ten + ["x", "y"]) == ("[" + ", ".join(repr(n) for n in ten)
                                              + ", ... and 2 more]")
    assert format_names("abcd", limit=2) == "['a', 'b', ... and 2 more]"


def test_shell_option_quotes_for_a_posix_shell():
    assert shell_option("--ignore", "Unnamed: 0") == "--ignore 'Unnamed: 0'"
    assert shell_option("--ignore", "x") == "--ignore x"
    assert shell_option("--seed", 3) == "--seed 3"
    assert shell_option("--id", "it's") == "--id 'it'\"'\"'s'"


def test_settings_defaults_and_their_missing_spellings():
    settings = ColumnSettings()
    assert (settings.impute, settings.categorical, settings.keep_na_strings,
            settings.date_format, settings.decimal) == ("median", frozenset(), False, None, ".")
    assert settings.na_strings == NA_STRINGS and "NA" in settings.na_strings
    assert ColumnSettings(keep_na_strings=True).na_strings == frozenset()


def test_problem_lines():
    assert ColumnProblem(None, "the target is empty").line() == "the target is empty"
    assert ColumnProblem("a", "is bad").line() == "column 'a': is bad"
    assert ColumnProblem("a", "is bad", ("--x 1", "--y")).line() == "column 'a': is bad (--x 1 or --y)"
    assert ColumnProblem(None, "r", ("--z",)).line() == "r (--z)"
    assert ColumnProblem("a", "r").fixes == ()


# --------------------------------------------------------------------------- cells


def test_text_values_are_stripped_with_missing_cells_none():
    series = obj(["  a ", None, "", "   ", "NA", " null ", "b", np.nan, 3])
    assert text_values(series).tolist() == ["a", None, None, None, None, None, "b", None, "3"]
    kept = text_values(series, na_strings=())
    assert kept.tolist() == ["a", None, None, None, "NA", "null", "b", None, "3"]
    assert text_values(series, na_strings={"b"}).tolist()[4:7] == ["NA", "null", None]
    assert text_values(series).dtype == object


def test_count_na_strings_counts_each_spelling():
    series = obj(["NA", "x", " NA", "null", None, "None", "", "na"])
    assert count_na_strings(series) == {"NA": 2, "None": 1, "null": 1}
    assert count_na_strings(obj(["a", None, ""])) == {}


def test_numbers_of_numpy_columns():
    for series in (pandas.Series([1.5, np.nan, -2.0]), pandas.Series([1, 0, -2]),
                   pandas.Series([1, 0, 2], dtype=np.uint8), pandas.Series([True, False, True])):
        x, bad = numbers(series)
        assert x.dtype == np.float64 and bad.dtype == bool and not bad.any()
        np.testing.assert_array_equal(x, np.array(series, dtype=np.float64))


def test_numbers_of_pandas_nullable_columns():
    x, bad = numbers(pandas.Series([1, None, 3], dtype="Int64"))
    np.testing.assert_array_equal(x, [1.0, np.nan, 3.0])
    assert x.dtype == np.float64 and bad.tolist() == [False] * 3
    x, bad = numbers(pandas.Series([True, None, False], dtype="boolean"))
    np.testing.assert_array_equal(x, [1.0, np.nan, 0.0])
    assert bad.tolist() == [False] * 3
    x, bad = numbers(pandas.Series([0.5, None], dtype="Float64"))
    np.testing.assert_array_equal(x, [0.5, np.nan])


def test_numbers_of_text():
    x, bad = numbers(obj([" 1.5", "x", None, "", "NA", "2", "1e3", "-inf", "1,5"]))
    np.testing.assert_array_equal(x, [1.5, np.nan, np.nan, np.nan, np.nan, 2.0, 1000.0,
                                      -np.inf, np.nan])
    assert bad.tolist() == [False, True, False, False, False, False, False, False, True]
    x, bad = numbers(obj(["1,5", "-0,25", "3", "x,5", None]), decimal=",")
    np.testing.assert_array_equal(x, [1.5, -0.25, 3.0, np.nan, np.nan])
    assert bad.tolist() == [False, False, False, True, False]
    x, bad = numbers(pandas.Series(["4", "y"], dtype="string"))
    np.testing.assert_array_equal(x, [4.0, np.nan])
    assert bad.tolist() == [False, True]


# --------------------------------------------------------------------------- dates


def test_date_inputs_by_the_calendar():
    stamps = [datetime.datetime(2024, 3, 1, 18, 0), datetime.datetime(1969, 12, 31, 12, 0),
              datetime.datetime(1970, 1, 1), datetime.datetime(2000, 12, 31, 23, 59),
              datetime.datetime(1900, 1, 1)]
    epoch = datetime.datetime(1970, 1, 1)
    days = np.array([(s - epoch).total_seconds() / 86400 for s in stamps])
    X = date_inputs(days)
    assert X.shape == (5, 3) and X.dtype == np.float64
    np.testing.assert_array_equal(X[:, 0], days)
    assert X[:, 1].tolist() == [s.month for s in stamps]
    assert X[:, 2].tolist() == [s.weekday() for s in stamps]


@pytest.mark.parametrize(("text", "fmt", "expected"), [
    ("2024-03-01", "ISO8601", day("2024-03-01")),
    ("2024-03-01 18:00", "ISO8601", day("2024-03-01") + 0.75),
    ("2024-03-01T12:00:00+12:00", "ISO8601", day("2024-03-01")),  # read as UTC
    ("2024-03-01T06:00:00Z", "ISO8601", day("2024-03-01") + 0.25),
    ("01/03/2024", "%d/%m/%Y", day("2024-03-01")),
    ("01/03/2024", "%m/%d/%Y", day("2024-01-03")),
    ("01.03.2024 06:00", "%d.%m.%Y %H:%M", day("2024-03-01") + 0.25),
    ("1969-12-31", "ISO8601", -1.0),
])
def test_dates_are_days_since_1970(text, fmt, expected):
    days = _dates([text, None, "nonsense"], fmt)
    assert days[0] == expected and np.isnan(days[1]) and np.isnan(days[2])


def test_dates_with_different_offsets_are_read_in_utc():
    texts = ["2024-03-01T12:00:00+12:00", "2024-03-01T00:00:00Z", "2024-03-01 06:00",
             "2024-02-29T20:00:00-04:00"]
    assert _dates(texts, "ISO8601").tolist() == [day("2024-03-01"), day("2024-03-01"),
                                                 day("2024-03-01") + 0.25, day("2024-03-01")]


def test_dates_outside_the_nanosecond_range_keep_their_day():
    # 1677-09-21 to 2262-04-11 is all datetime64[ns] holds; years beyond are dates all the same.
    texts = ["3000-01-01", "0001-01-01", "1600-02-29 12:00", "9999-12-31"]
    days = _dates(texts, "ISO8601")
    assert days.tolist() == [day("3000-01-01"), day("0001-01-01"), day("1600-02-29") + 0.5,
                             day("9999-12-31")]
    assert _dates(["31/12/2999"], "%d/%m/%Y").tolist() == [day("2999-12-31")]
    X = date_inputs(days)
    assert X[:, 1].tolist() == [1, 1, 2, 12]
    assert X[:, 2].tolist() == [datetime.date.fromisoformat(t[:10]).weekday() for t in texts]


def test_date_format_takes_the_first_that_reads_every_value():
    assert date_format(["2024-03-01", None, "2024-12-31"]) == ("ISO8601", [])
    assert date_format(["01/02/2024", None, "03/04/2024"]) == ("%d/%m/%Y", ["%m/%d/%Y"])
    assert date_format(["01/02/2024", "13/04/2024"]) == ("%d/%m/%Y", [])
    assert date_format(["01/02/2024", "04/13/2024"]) == ("%m/%d/%Y", [])
    assert date_format(["01.02.2024 10:30"]) == ("%d.%m.%Y %H:%M", [])
    assert date_format(["01/02/2024"], formats=("%m/%d/%Y",)) == ("%m/%d/%Y", [])
    assert date_format(["13/13/2024"]) == (None, [])
    assert date_format(["2024-03-01", "tomorrow"]) == (None, [])
    assert date_format([None, None]) == (None, [])
    assert date_format([]) == (None, [])
    # The sample (the first 1000 values) decides the candidates; every value must fit.
    late = ["01/02/2024"] * 1000 + ["13/02/2024"]
    assert date_format(late) == ("%d/%m/%Y", [])
    late = ["01/02/2024"] * 1000 + ["02/13/2024"]
    assert date_format(late) == ("%m/%d/%Y", [])


def test_decimal_comma_columns():
    frame = pandas.DataFrame({
        "a": obj(["1,5", "-0,5", "3", None, ""]),
        "thousands": obj(["1,234", "-5,678", "12,345,678", "1", None]),
        "mixed": obj(["1,234", "0,5", "2", "3", "4"]),
        "float": [1.5, 2.0, 3.0, 4.0, 5.0],
        "bool": [True, False, True, True, False],
        "plain": obj(["1", "2", "3", "4", "5"]),
        "word": obj(["1,5", "x", "3", "4", "5"]),
        "exp": obj(["1,5e3", "+1,5E-3", ",5", "2", "3"]),
        "two": obj(["1,2,3", "4", "5", "6", "7"]),
        "trailing": obj(["1,", "4", "5", "6", "7"]),
        "dot": obj(["1,5", "2.5", "5", "6", "7"]),
        "empty": obj([None] * 5),
    })
    assert decimal_comma_columns(frame, list(frame.columns)) == ["a", "mixed", "exp"]
    assert decimal_comma_columns(frame, ["exp", "a"]) == ["exp", "a"]
    assert decimal_comma_columns(frame, []) == []


# --------------------------------------------------------------------------- treatments


def test_input_names():
    assert ColumnTreatment("x", "numeric", 1.0).input_names == ["x"]
    assert ColumnTreatment("d", "date", 0.0, format="ISO8601").input_names == [
        "d:days", "d:month", "d:weekday"]
    assert ColumnTreatment("t", "text", categories=("a", "b")).input_names == ["t=a", "t=b"]


@pytest.mark.parametrize("treatment", [
    ColumnTreatment("x", "numeric", 1.5),
    ColumnTreatment("x", "numeric", None),
    ColumnTreatment("d", "date", 19783.25, format="%d/%m/%Y"),
    ColumnTreatment("d", "date", None, format="ISO8601"),
    ColumnTreatment("t", "text", categories=("b", "a")),
])
def test_json_round_trip(treatment):
    assert ColumnTreatment.from_json(treatment.to_json()) == treatment


def test_to_json():
    assert ColumnTreatment("x", "numeric", 1.5).to_json() == {
        "name": "x", "kind": "numeric", "fill": 1.5}
    assert ColumnTreatment("d", "date", 2.0, format="ISO8601").to_json() == {
        "name": "d", "kind": "date", "format": "ISO8601", "fill": 2.0}
    assert ColumnTreatment("t", "text", categories=("a",)).to_json() == {
        "name": "t", "kind": "text", "categories": ["a"]}


def test_from_json_reads_numbers_as_float():
    treatment = ColumnTreatment.from_json({"name": "x", "kind": "numeric", "fill": 2})
    assert treatment.fill == 2.0 and isinstance(treatment.fill, float)
    treatment = ColumnTreatment.from_json({"name": "d", "kind": "date", "fill": 3,
                                           "format": "%Y"})
    assert treatment == ColumnTreatment("d", "date", 3.0, format="%Y")
    assert isinstance(treatment.fill, float)
    assert ColumnTreatment.from_json({"name": "x", "kind": "numeric"}).fill is None


@pytest.mark.parametrize(("value", "message"), [
    ("x", "a column must be a dict with a name"),
    ({"kind": "numeric"}, "a column must be a dict with a name"),
    ({"name": 1, "kind": "numeric"}, "a column must be a dict with a name"),
    ({"name": "a", "kind": "numeric", "fill": True}, "column 'a': fill must be a finite number or null"),
    ({"name": "a", "kind": "numeric", "fill": "1"}, "column 'a': fill must be a finite number or null"),
    ({"name": "a", "kind": "date", "fill": float("inf"), "format": "ISO8601"},
     "column 'a': fill must be a finite number or null"),
    ({"name": "a", "kind": "numeric", "fill": float("nan")},
     "column 'a': fill must be a finite number or null"),
    ({"name": "a", "kind": "date", "fill": 1.0}, "column 'a': format must be a date format"),
    ({"name": "a", "kind": "date", "fill": 1.0, "format": "Y-m-d"},
     "column 'a': format must be a date format"),
    ({"name": "a", "kind": "date", "fill": 1.0, "format": ["%Y"]},
     "column 'a': format must be a date format"),
    ({"name": "a", "kind": "text"}, "column 'a': categories must be distinct strings"),
    ({"name": "a", "kind": "text", "categories": []}, "column 'a': categories must be distinct strings"),
    ({"name": "a", "kind": "text", "categories": "ab"},
     "column 'a': categories must be distinct strings"),
    ({"name": "a", "kind": "text", "categories": ["a", 1]},
     "column 'a': categories must be distinct strings"),
    ({"name": "a", "kind": "text", "categories": ["a", "a"]},
     "column 'a': categories must be distinct strings"),
    ({"name": "a", "kind": "TEXT", "categories": ["a"]},
     "column 'a': kind must be 'numeric', 'text' or 'date'"),
    ({"name": "a"}, "column 'a': kind must be 'numeric', 'text' or 'date'"),
])
def test_from_json_refuses(value, message):
    with pytest.raises(ValueError) as info:
        ColumnTreatment.from_json(value)
    assert str(info.value) == message


def test_from_json_takes_every_known_date_format():
    for fmt in DATE_FORMATS:
        assert ColumnTreatment.from_json({"name": "d", "kind": "date", "fill": None,
                                          "format": fmt}).format == fmt


def test_describe():
    assert ColumnTreatment("t", "text", categories=("a",)).describe() == (
        "text, one-hot over 1 category: a")
    ten = tuple(f"c{k}" for k in range(10))
    assert ColumnTreatment("t", "text", categories=ten).describe() == (
        "text, one-hot over 10 categories: " + ", ".join(ten))
    assert ColumnTreatment("t", "text", categories=ten + ("x",)).describe() == (
        "text, one-hot over 11 categories: " + ", ".join(ten) + ", ... (11 in all)")
    assert ColumnTreatment("t", "text", categories=ten + ("x", "y")).describe() == (
        "text, one-hot over 12 categories: " + ", ".join(ten) + ", ... (12 in all)")
    assert ColumnTreatment("x", "numeric", None).describe() == "numeric, missing is an error"
    assert ColumnTreatment("x", "numeric", 1234567.0).describe() == "numeric, missing -> 1.23457e+06"
    assert ColumnTreatment("x", "numeric", -0.5).describe() == "numeric, missing -> -0.5"
    head = "date (ISO8601) -> days since 1970-01-01, month, weekday; "
    date = ColumnTreatment("d", "date", day("2024-03-01"), format="ISO8601")
    assert date.describe() == head + "missing -> 2024-03-01"
    date = ColumnTreatment("d", "date", day("2024-03-01") + 0.75, format="ISO8601")
    assert date.describe() == head + "missing -> 2024-03-01 18:00:00"
    date = ColumnTreatment("d", "date", -0.5, format="ISO8601")
    assert date.describe() == head + "missing -> 1969-12-31 12:00:00"
    date = ColumnTreatment("d", "date", None, format="%d/%m/%Y")
    assert date.describe() == ("date (%d/%m/%Y) -> days since 1970-01-01, month, weekday; "
                               "missing is an error")


def test_encode_numbers_imputes_and_counts_missing_cells():
    column = ColumnTreatment("x", "numeric", 2.0)
    X, n_unseen, n_missing = column.encode(pandas.Series([1.0, np.nan, 3.0]), "f", locate)
    np.testing.assert_array_equal(X, [[1.0], [2.0], [3.0]])
    assert (n_unseen, n_missing) == (0, 1)
    X, _, n_missing = column.encode(obj(["1,5", "", "NA", "-2"]), "f", locate, decimal=",")
    np.testing.assert_array_equal(X, [[1.5], [2.0], [2.0], [-2.0]])
    assert n_missing == 2


@pytest.mark.parametrize("dtype", ["Int64", "Float64", "boolean", "float64[pyarrow]"])
def test_encode_imputes_columns_of_pandas_types_leaving_them_as_they_were(dtype):
    if dtype.endswith("[pyarrow]"):
        pytest.importorskip("pyarrow")
    series = pandas.Series([1, None, 0], dtype=dtype)
    X, n_unseen, n_missing = ColumnTreatment("x", "numeric", 0.5).encode(series, "f", locate)
    np.testing.assert_array_equal(X, [[1.0], [0.5], [0.0]])
    assert X.dtype == np.float64 and (n_unseen, n_missing) == (0, 1)
    assert series.isna().tolist() == [False, True, False]


@pytest.mark.parametrize(("cells", "decimal", "message"), [
    (["1", " x "], ".", "f, line 12: column 'a' is 'x', not a number"),
    (["1", "1,5"], ".", "f, line 12: column 'a' is '1,5', not a number (numbers written with a "
                        "decimal comma need --decimal ,)"),
    (["1", "-2,25e3"], ".", "f, line 12: column 'a' is '-2,25e3', not a number (numbers written "
                            "with a decimal comma need --decimal ,)"),
    (["1,5", "x,5"], ",", "f, line 12: column 'a' is 'x,5', not a number"),
    (["1", "inf "], ".", "f, line 12: column 'a' is 'inf'; infinite values are not supported"),
    (["1", "x", "-inf"], ".", "f, line 12: column 'a' is 'x', not a number"),
    (["-inf", "x"], ".", "f, line 12: column 'a' is 'x', not a number"),
    (["1", None], ".", "f, line 12: column 'a' is missing (empty or NA) and the model was "
                       "trained with --impute error"),
])
def test_encode_refuses_a_cell_naming_its_line(cells, decimal, message):
    column = ColumnTreatment("a", "numeric", None)
    with pytest.raises(ValueError) as info:
        column.encode(obj(cells, index=[9, 10, 11][:len(cells)]), "f", locate, decimal=decimal)
    assert str(info.value) == message


def test_the_decimal_comma_hint_comes_with_the_default_decimal_mark():
    column = ColumnTreatment("a", "numeric", 0.0)
    hint = ("f, line 3: column 'a' is '2,5', not a number (numbers written with a decimal comma "
            "need --decimal ,)")
    with pytest.raises(ValueError) as info:
        column.encode(obj(["1", "2,5"]), "f", locate)
    assert str(info.value) == hint
    with pytest.raises(ValueError) as info:
        column.numbers(obj(["1", "2,5"]), "f", locate)
    assert str(info.value) == hint


def test_encode_refuses_an_infinite_float():
    column = ColumnTreatment("a", "numeric", 0.0)
    with pytest.raises(ValueError) as info:
        column.encode(pandas.Series([1.0, -np.inf], index=[5, 6]), "f", locate)
    assert str(info.value) == "f, line 8: column 'a' is '-inf'; infinite values are not supported"


def test_encode_dates():
    column = ColumnTreatment("d", "date", 0.0, format="ISO8601")
    X, n_unseen, n_missing = column.encode(obj(["2024-03-01", None, "1970-01-02 06:00", "NA"]),
                                           "f", locate)
    # 2024-03-01 was a Friday (4), 1970-01-01 a Thursday (3).
    np.testing.assert_array_equal(X, [[day("2024-03-01"), 3, 4], [0, 1, 3], [1.25, 1, 4],
                                      [0, 1, 3]])
    assert (n_unseen, n_missing) == (0, 2)
    days, n_missing = column.days(obj(["1970-01-03"]), "f", locate)
    assert days.tolist() == [2.0] and n_missing == 0


def test_encode_refuses_a_date_in_another_format_or_missing():
    column = ColumnTreatment("d", "date", 0.0, format="ISO8601")
    with pytest.raises(ValueError) as info:
        column.encode(obj(["2024-03-01", "01/03/2024"], index=[3, 4]), "f", locate)
    assert str(info.value) == ("f, line 6: column 'd' is '01/03/2024', not a date in the format "
                               "ISO8601 the model was trained on")
    column = ColumnTreatment("d", "date", None, format="%d/%m/%Y")
    with pytest.raises(ValueError) as info:
        column.encode(obj(["01/03/2024", ""], index=[3, 4]), "f", locate)
    assert str(info.value) == ("f, line 6: column 'd' is missing (empty or NA) and the model was "
                               "trained with --impute error")


def test_codes_of_a_text_column():
    column = ColumnTreatment("c", "text", categories=("1", "2", "b"))
    codes, n_unseen, n_missing = column.codes(obj([1, 2, " b ", "z", None, np.nan, "null", ""]))
    assert codes.dtype == np.int64
    assert codes.tolist() == [0, 1, 2, -1, -1, -1, -1, -1]
    assert (n_unseen, n_missing) == (1, 4)
    codes, n_unseen, n_missing = column.codes(obj(["null", "2"]), na_strings=())
    assert codes.tolist() == [-1, 1] and (n_unseen, n_missing) == (1, 0)
    X, n_unseen, n_missing = column.encode(pandas.Series(["b", "1", "q"], dtype="string"),
                                           "f", locate)
    np.testing.assert_array_equal(X, [[0, 0, 1], [1, 0, 0], [0, 0, 0]])
    assert X.dtype == np.float64 and (n_unseen, n_missing) == (1, 0)


# --------------------------------------------------------------------------- fitting


def fit(columns, train_rows=None, **settings):
    frame = pandas.DataFrame(columns)
    rows = np.arange(len(frame)) if train_rows is None else np.asarray(train_rows)
    return fit_columns(frame, list(frame.columns), rows, ColumnSettings(**settings), "f", locate)


def test_fit_numbers_learns_the_fill_on_the_training_rows():
    treatments, problems, notes = fit({"x": [1.0, np.nan, 3.0, 10.0]}, [0, 1, 2])
    assert treatments == [ColumnTreatment("x", "numeric", 2.0)]
    assert problems == [] and notes == []
    treatments, _, _ = fit({"x": [1.0, np.nan, 3.0, 10.0]}, impute="mean")
    assert treatments[0].kind == "numeric" and treatments[0].fill == pytest.approx(14 / 3)
    treatments, _, _ = fit({"x": obj(["1", "", "3", "3", "NA"])}, impute="most_frequent")
    assert treatments == [ColumnTreatment("x", "numeric", 3.0)]
    treatments, _, _ = fit({"x": obj(["a,5", "b,5", "2,5"])}, decimal=",")
    assert treatments == [ColumnTreatment("x", "text", categories=("2,5", "a,5", "b,5"))]
    treatments, problems, _ = fit({"x": obj(["1,5", "2,5", "9"])}, decimal=",")
    assert treatments == [ColumnTreatment("x", "numeric", 2.5)] and problems == []


def test_fit_numbers_with_impute_error():
    treatments, problems, _ = fit({"x": [1.0, 2.0]}, impute="error")
    assert treatments == [ColumnTreatment("x", "numeric", None)] and problems == []
    treatments, problems, _ = fit({"x": [1.0, 2.0, np.nan], "y": [1.0, 2.0, 3.0]},
                                  impute="error")
    assert treatments == [ColumnTreatment("y", "numeric", None)]
    assert [p.line() for p in problems] == [
        "column 'x': missing (empty or NA) on line 4 and --impute error (--impute median or "
        "--ignore x)"]
    # Missing outside the training rows is refused too: --impute error imputes nowhere.
    _, problems, _ = fit({"x": [1.0, 2.0, np.nan]}, [0, 1], impute="error")
    assert [p.column for p in problems] == ["x"]


def test_fit_a_column_without_a_value_in_the_training_rows():
    treatments, problems, _ = fit({"x": [np.nan, np.nan, 5.0], "t": obj([None, "", "a"]),
                                   "y": [1.0, 2.0, 3.0]}, [0, 1])
    assert treatments == [ColumnTreatment("y", "numeric", 1.5)]
    assert problems == [ColumnProblem("x", "no value in the training rows", ("--ignore x",)),
                        ColumnProblem("t", "no value in the training rows", ("--ignore t",))]


def test_fit_text_learns_the_categories_on_the_training_rows():
    treatments, problems, _ = fit({"t": obj(["b", " a", None, "NA", "c"])}, [0, 1, 2, 3])
    assert treatments == [ColumnTreatment("t", "text", categories=("a", "b"))]
    assert problems == []
    treatments, _, _ = fit({"t": obj(["b", " a", None, "NA", "c"])}, [0, 1, 2, 3],
                           keep_na_strings=True)
    assert treatments == [ColumnTreatment("t", "text", categories=("NA", "a", "b"))]


def test_fit_categorical_codes():
    treatments, problems, _ = fit({"k": [3, 1, 3, 2], "x": [1.0, 2.0, 3.0, 4.0]}, [0, 1, 2],
                                  categorical=frozenset({"k"}))
    assert treatments == [ColumnTreatment("k", "text", categories=("1", "3")),
                          ColumnTreatment("x", "numeric", 2.0)]
    assert problems == []
    # A categorical column of NA spellings: missing unless kept.
    _, problems, _ = fit({"k": obj(["NA", "NA"])}, categorical=frozenset({"k"}))
    assert problems == [ColumnProblem("k", "no value in the training rows", ("--ignore k",))]
    treatments, _, _ = fit({"k": obj(["NA", "NA"])}, categorical=frozenset({"k"}),
                           keep_na_strings=True)
    assert treatments == [ColumnTreatment("k", "text", categories=("NA",))]


def test_fit_refuses_too_many_categories():
    many = MAX_CATEGORIES + 1
    frame = pandas.DataFrame({"codes": np.arange(many + 1) % many,
                              "id": obj([f"r{k}" for k in range(many)] + [None]),
                              "words": obj([f"w{k}" for k in range(many)] + ["w0"]),
                              "hundred": obj([f"h{k % 100}" for k in range(many + 1)]),
                              "last": np.ones(many + 1)})
    settings = ColumnSettings(categorical=frozenset({"codes"}))
    treatments, problems, _ = fit_columns(frame, list(frame.columns), np.arange(many + 1),
                                          settings, "f", locate)
    assert [p.line() for p in problems] == [
        f"column 'codes': codes with {many} distinct values, too many to one-hot encode (at "
        f"most 100) (--ignore codes)",
        f"column 'id': text distinct on every row ({many} values): free text or a row id "
        f"(--ignore id or --id id)",
        f"column 'words': text with {many} distinct values, too many to one-hot encode (at "
        f"most 100) (--ignore words)",
    ]
    assert [t.name for t in treatments] == ["hundred", "last"]
    assert len(treatments[0].categories) == 100
    frame = pandas.DataFrame({"codes": np.arange(many)})
    _, problems, _ = fit_columns(frame, ["codes"], np.arange(many), settings, "f", locate)
    assert [p.line() for p in problems] == [
        f"column 'codes': codes distinct on every row ({many} values): free text or a row id "
        f"(--ignore codes or --id codes)"]


def test_fit_dates():
    column = obj(["2024-03-01", "2024-03-03", None, "2024-03-09"])
    treatments, problems, notes = fit({"d": column, "x": [1.0, 2.0, 3.0, 4.0]}, [0, 1, 2])
    assert treatments == [ColumnTreatment("d", "date", day("2024-03-02"), format="ISO8601"),
                          ColumnTreatment("x", "numeric", 2.0)]
    assert problems == [] and notes == []
    # Day-first and month-first both read every value: the first wins, and a note says so.
    column = obj(["01/02/2024", "03/02/2024", "05/02/2024"])
    treatments, problems, notes = fit({"d": column})
    assert treatments == [ColumnTreatment("d", "date", day("2024-02-03"), format="%d/%m/%Y")]
    assert notes == ["column 'd' is read as dates in the format %d/%m/%Y; %m/%d/%Y also fits "
                     "every value (choose with --date-format %m/%d/%Y)"]
    treatments, _, notes = fit({"d": column}, date_format="%m/%d/%Y")
    assert treatments == [ColumnTreatment("d", "date", day("2024-03-02"), format="%m/%d/%Y")]
    assert notes == []
    treatments, _, notes = fit({"d": column}, date_format="%d-%m-%Y")  # reads nothing
    assert treatments[0].format == "%d/%m/%Y" and notes == []


def test_fit_dates_that_cannot_be_used():
    treatments, problems, _ = fit({"d": obj(["2024-03-01", None, "2024-03-09"]),
                                   "x": [1.0, 2.0, 3.0]}, impute="error")
    assert treatments == [ColumnTreatment("x", "numeric", None)]
    assert [p.line() for p in problems] == [
        "column 'd': missing (empty or NA) on line 3 and --impute error (--impute median or "
        "--ignore d)"]
    treatments, problems, _ = fit({"d": obj(["13/13/2024", "14/14/2024", "x"]),
                                   "x": [1.0, 2.0, 3.0]})
    assert treatments == [ColumnTreatment("d", "text", categories=("13/13/2024", "14/14/2024",
                                                                   "x")),
                          ColumnTreatment("x", "numeric", 2.0)]
    treatments, problems, _ = fit({"d": obj(["13/13/2024", "14/14/2024", None]),
                                   "x": [1.0, 2.0, 3.0]})
    assert treatments == [ColumnTreatment("x", "numeric", 2.0)]
    assert [p.line() for p in problems] == [
        "column 'd': looks like dates, but no known format reads every value (e.g. "
        "'13/13/2024'): give the format with --date-format (strftime, such as %d/%m/%y), read "
        "them as categories, or leave the column out (--date-format %d/%m/%y or --categorical d "
        "or --ignore d)"]
    _, problems, _ = fit({"d": obj(["13/13/2024", "2024-03-01"])}, [0])
    assert problems[0].column == "d" and problems[0].reason.startswith("looks like dates")
    treatments, problems, _ = fit({"d": obj(["1/1/24", "2/2/24"])}, date_format="%d/%m/%y")
    assert treatments == [ColumnTreatment("d", "date", day("2024-01-17"),
                                          format="%d/%m/%y")]


def test_fit_words_among_numbers():
    treatments, problems, _ = fit({"c": obj(["1", "2", " x", "3", "x", "y"]),
                                   "z": [1.0] * 6})
    assert treatments == [ColumnTreatment("z", "numeric", 1.0)]
    assert [p.line() for p in problems] == [
        "column 'c': 3 cell(s) are not numbers ('x', 'y'; first on line 4) among 3 numbers: fix "
        "the cells, read them as missing (--na-values x --na-values y or --ignore c)"]
    # As many words as numbers is still a column of numbers; more words make it text.
    _, problems, _ = fit({"c": obj(["1", "2", "x", "y"])})
    assert problems[0].reason.startswith("2 cell(s) are not numbers ('x', 'y'; first on line 4)")
    treatments, problems, _ = fit({"c": obj(["1", "x", "y"])})
    assert treatments == [ColumnTreatment("c", "text", categories=("1", "x", "y"))]
    assert problems == []


def test_fit_many_words_among_numbers():
    numbers_ = [str(k) for k in range(10)]
    _, problems, _ = fit({"c": obj(numbers_ + ["a", "b", "c"])})
    assert problems[0].fixes == ("--na-values a --na-values b --na-values c", "--ignore c")
    _, problems, _ = fit({"c": obj(numbers_ + ["a", "b", "c", "d b"])})
    assert problems[0].fixes == ("--ignore c",)
    assert "('a', 'b', 'c', 'd b'; first" in problems[0].reason
    _, problems, _ = fit({"c": obj(numbers_ + list("abcde"))})
    assert "('a', 'b', 'c', 'd', 'e'; first on line 12)" in problems[0].reason
    _, problems, _ = fit({"c": obj(numbers_ + list("abcdef"))})
    assert problems[0].reason == (
        "6 cell(s) are not numbers ('a', 'b', 'c', 'd', 'e' ...; first on line 12) among 10 "
        "numbers: fix the cells, read them as missing")


def test_fit_infinite_values():
    treatments, problems, _ = fit({"x": [1.0, np.inf, 2.0], "t": obj(["1", "2", " -inf"]),
                                   "y": [0.0, 1.0, 2.0]})
    assert treatments == [ColumnTreatment("y", "numeric", 1.0)]
    assert problems == [
        ColumnProblem("x", "'inf' on line 3: infinite values are not supported", ("--ignore x",)),
        ColumnProblem("t", "'-inf' on line 4: infinite values are not supported",
                      ("--ignore t",))]


def test_fit_refuses_columns_of_python_objects():
    frame = {"b": obj([None, b"x", b"y"]), "l": obj([[1], [2], None]),
             "s": obj([{"a": 1}, None, {"a": 2}]), "x": [1.0, 2.0, 3.0]}
    treatments, problems, _ = fit(frame)
    assert treatments == [ColumnTreatment("x", "numeric", 2.0)]
    assert [p.line() for p in problems] == [
        "column 'b': holds binary data (bytes); scratchnn reads numbers, text and dates "
        "(--ignore b)",
        "column 'l': holds lists; scratchnn reads numbers, text and dates (--ignore l)",
        "column 's': holds structs (key-value records); scratchnn reads numbers, text and dates "
        "(--ignore s)"]


def test_unreadable_looks_at_the_first_hundred_values():
    assert _unreadable(obj([bytearray(b"x")])) == "binary data (bytes)"
    assert _unreadable(obj([memoryview(b"x")])) == "binary data (bytes)"
    assert _unreadable(obj([(1, 2)])) == "lists"
    assert _unreadable(obj([np.arange(2), None])) == "lists"
    assert _unreadable(obj(["a", 1, 2.5, None])) is None
    assert _unreadable(pandas.Series([1.0, 2.0])) is None
    assert _unreadable(pandas.Series(["a", "b"], dtype="string")) is None
    late = obj(["a"] * 100 + [b"x"])
    assert _unreadable(late) is None and _unreadable(late, sample=101) == "binary data (bytes)"
    assert _unreadable(obj([None] * 100 + [b"x"])) == "binary data (bytes)"  # missing skipped


# --------------------------------------------------------------------------- warnings


def test_input_collisions():
    a = ColumnTreatment("a", "text", categories=("b=c", "d"))
    ab = ColumnTreatment("a=b", "text", categories=("c",))
    days = ColumnTreatment("x:days", "numeric", 0.0)
    x = ColumnTreatment("x", "date", 0.0, format="ISO8601")
    assert input_collisions([a, x]) == []
    assert input_collisions([a, ab, days, x]) == [
        ColumnProblem(None, "columns ['a', 'a=b'] both become the network input 'a=b=c' once "
                            "encoded; rename one", ("--ignore a=b",)),
        ColumnProblem(None, "columns ['x:days', 'x'] both become the network input 'x:days' "
                            "once encoded; rename one", ("--ignore x",)),
    ]
    # Three columns, one input: the last of them is the one to leave out.
    abc = ColumnTreatment("a=b=c", "numeric", 0.0)
    assert input_collisions([a, ab, abc]) == [
        ColumnProblem(None, "columns ['a', 'a=b', 'a=b=c'] both become the network input 'a=b=c' "
                            "once encoded; rename one", ("--ignore a=b=c",))]
    y = ColumnTreatment("y z", "numeric", 0.0)
    assert input_collisions([y, y, y])[0].fixes == ("--ignore 'y z'",)
    assert input_collisions([y, y, y])[0].reason.startswith("columns ['y z', 'y z', 'y z'] both")


def test_column_warnings_about_na_spellings():
    frame = pandas.DataFrame({"t": obj(["NA", "a", "null", " NA", None]),
                              "x": obj(["NA", "1", "2", "3", "4"]),
                              "u": obj(["a", "b", "a", "b", "a"])})
    treatments = [ColumnTreatment("t", "text", categories=("a",)),
                  ColumnTreatment("x", "numeric", 1.0),
                  ColumnTreatment("u", "text", categories=("a", "b"))]
    ids, others = column_warnings(frame, treatments, np.arange(5), ColumnSettings())
    assert ids == []
    assert others == [ColumnProblem(
        "t", "holds 'NA' (2 rows), 'null' (1 rows), read as missing; if they are categories (NA "
        "for North America), keep them", ("--keep-na-strings",))]
    ids, others = column_warnings(frame, treatments, np.arange(5),
                                  ColumnSettings(keep_na_strings=True))
    assert ids == [] and others == []


def test_column_warnings_about_ids():
    frame = pandas.DataFrame({"id": [1.0, 2.0, 3.0], "n": np.arange(12.0)[:3],
                              "Unnamed: 0": [0, 1, 2]})
    treatments = [ColumnTreatment(name, "numeric", 0.0) for name in frame.columns]
    ids, others = column_warnings(frame, treatments, np.arange(3), ColumnSettings())
    assert others == []
    assert ids == [
        ColumnProblem("id", "looks like a row id (its name, 'id', is that of a row id) and is used "
                      "as a feature; a model that learns row ids fails on new rows: copy it to "
                      "predictions instead, or leave it out", ("--id id", "--ignore id")),
        ColumnProblem("Unnamed: 0", "looks like a row id (its name, 'Unnamed: 0', is that of a "
                      "row id) and is used as a feature; a model that learns row ids fails on "
                      "new rows: copy it to predictions instead, or leave it out",
                      ("--id 'Unnamed: 0'", "--ignore 'Unnamed: 0'"))]
    ids, _ = column_warnings(frame, treatments, np.arange(3), ColumnSettings(),
                             refused=("id", "Unnamed: 0"))
    assert ids == []
    # On the training rows: 10 distinct whole numbers there are an id, whatever the others hold.
    frame = pandas.DataFrame({"n": [5.0, 3.0, 9.0, 0.0, 1.0, 2.0, 4.0, 8.0, 7.0, 6.0, 5.0, 5.0]})
    treatments = [ColumnTreatment("n", "numeric", 0.0)]
    ids, _ = column_warnings(frame, treatments, np.arange(10), ColumnSettings())
    assert [p.reason.split(" and is used")[0] for p in ids] == [
        "looks like a row id (its values are distinct whole numbers on every training row)"]
    ids, _ = column_warnings(frame, treatments, np.arange(12), ColumnSettings())
    assert ids == []


@pytest.mark.parametrize("name", ["id", "ID", " Index ", "row", "rowid", "row_id", "row id", "idx",
                                  "rownames", "row.names", "", "customer_id", "CUSTOMER_ID",
                                  "Unnamed: 0", "unnamed: 3"])
def test_looks_like_id_by_name(name):
    assert looks_like_id(name, pandas.Series([1.0, 1.0])) == (
        f"its name, {name!r}, is that of a row id")


@pytest.mark.parametrize("name", ["width", "ids", "identity", "rows", "id_number", "x_idx"])
def test_not_an_id_by_name(name):
    assert looks_like_id(name, pandas.Series([1.0, 1.0])) is None


def test_looks_like_id_by_values():
    whole = "its values are distinct whole numbers on every training row"
    text = "its values are distinct text on every training row"
    shuffled = pandas.Series([3.0, 0.0, 9.0, 1.0, 8.0, 2.0, 7.0, 4.0, 6.0, 5.0])
    assert looks_like_id("n", shuffled) == whole
    assert looks_like_id("n", shuffled[:9]) is None  # fewer than 10 rows
    assert looks_like_id("n", shuffled.astype(np.int64) - 100) == whole
    assert looks_like_id("n", obj([str(int(v)) for v in shuffled])) == whole
    assert looks_like_id("n", pandas.concat([shuffled, shuffled[:1]])) is None
    assert looks_like_id("n", shuffled + 0.5) is None
    assert looks_like_id("n", pandas.concat([shuffled, pandas.Series([np.nan])])) is None
    assert looks_like_id("n", pandas.concat([shuffled, pandas.Series([np.inf])])) is None
    words = obj([f"w{k}" for k in range(10)])
    assert looks_like_id("t", words) == text
    assert looks_like_id("t", words[:9]) is None
    assert looks_like_id("t", obj(list(words) + ["w0"])) is None
    assert looks_like_id("t", obj(list(words) + [None])) is None
    assert looks_like_id("t", obj(list(words) + ["NA"])) is None
    # Only the given rows count, and at least 10 of them are needed.
    series = obj([f"w{k}" for k in range(10)] + ["w0", "w1"])
    assert looks_like_id("t", series, np.arange(10)) == text
    assert looks_like_id("t", series, np.r_[0:9, 10]) is None
    assert looks_like_id("t", series, np.arange(9)) is None
    assert looks_like_id("n", pandas.Series(list(shuffled) + [3.0]), np.arange(10)) == whole
    assert looks_like_id("n", pandas.Series(list(shuffled) + [3.0]), np.r_[0:9, 10]) is None
    assert looks_like_id("n", pandas.Series(list(shuffled) + [3.0]), np.arange(9)) is None
    mixed = obj([str(k) for k in range(9)] + ["x", "x"])
    assert looks_like_id("t", mixed, np.arange(10)) == text
    assert looks_like_id("t", mixed, np.arange(1, 11)) is None
