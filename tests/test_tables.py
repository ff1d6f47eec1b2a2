"""scratchnn.tables: delimiter detection, one-line errors naming the file, output formats."""

import gzip
import re

import pytest

from scratchnn.tables import (
    TableOptions,
    check_output_format,
    detect_separator,
    iter_table,
    read_table,
    require_pandas,
)

pytest.importorskip("pandas")


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "decimal", "sep"), [
    ("a,b,c\n1,2,3\n", ".", ","),
    ("a;b;c\n1,5;2,5;x\n", ",", ";"),
    ("a;b\n1,5;2\n3,5;4\n", ".", ";"),      # a tie between ',' and ';' goes to ';'
    ('a,"b;c"\n1,"x;y"\n', ".", ","),       # delimiters inside quotes do not count
    ("a|b\n1|2\n", ".", "|"),
    ("a\tb\n1\t2\n", ".", "\t"),
    ("single\n1\n2\n", ".", ","),
])
def test_detect_separator(tmp_path, text, decimal, sep):
    assert detect_separator(write(tmp_path / "t.txt", text), decimal) == sep


def test_detect_separator_in_compressed_files_and_by_extension(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"a;b\n1;2\n"))
    assert detect_separator(path) == ";"
    assert detect_separator(write(tmp_path / "t.tsv", "a,b\n")) == "\t"


def test_read_table_names_columns_by_position_without_a_header(tmp_path):
    frame = read_table(write(tmp_path / "t.csv", "1,x\n2,y\n"), TableOptions(header=False))
    assert list(frame.columns) == ["1", "2"] and len(frame) == 2
    assert TableOptions(header=False).locate("t.csv", 0) == "line 1"
    assert TableOptions().locate("t.csv", 0) == "line 2"
    assert TableOptions().locate("t.parquet", 0) == "row 1"


@pytest.mark.parametrize(("text", "match"), [
    ("", "is empty: expected a header row naming the columns"),
    ("a,b\n", "has a header but no data rows"),
    ("a,b\n1,2,3\n", "a row has more fields than the header"),
    ('a,b\n1,"unclosed\n', "could not be read as a table"),
])
def test_bad_tables_are_one_line_errors_naming_the_file(tmp_path, text, match):
    path = write(tmp_path / "t.csv", text)
    with pytest.raises(ValueError, match=match) as info:
        read_table(path)
    assert str(path) in str(info.value)
    with pytest.raises(ValueError, match=match):
        list(iter_table(path))


def test_not_utf8(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        read_table(path)


def test_missing_file_keeps_its_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(FileNotFoundError):
        list(iter_table(tmp_path / "nope.csv"))


def test_iter_table_chunks_keep_counting_rows(tmp_path):
    path = write(tmp_path / "t.csv", "a\n" + "".join(f"{i}\n" for i in range(10)))
    chunks = list(iter_table(path, chunk_rows=4))
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert list(chunks[2].index) == [8, 9]


def test_parquet_chunks_and_text_columns(tmp_path):
    pytest.importorskip("pyarrow")
    pandas = require_pandas()
    path = tmp_path / "t.parquet"
    pandas.DataFrame({"id": [1, 2, 3], "x": [0.5, None, 1.5]}).to_parquet(path)
    chunks = list(iter_table(path, dtype={"id": str}, chunk_rows=2))
    assert [list(c["id"]) for c in chunks] == [["1", "2"], ["3"]]
    assert list(chunks[1].index) == [2]
    five = tmp_path / "five.parquet"
    pandas.DataFrame({"x": range(5)}).to_parquet(five)
    chunks = list(iter_table(five, chunk_rows=2))
    assert [list(c.index) for c in chunks] == [[0, 1], [2, 3], [4]]
    assert [list(c["x"]) for c in chunks] == [[0, 1], [2, 3], [4]]
    assert read_table(path)["x"].isna().sum() == 1


def test_output_formats():
    assert check_output_format("p.csv", "--out") == ".csv"
    assert check_output_format("p", "--out") == ".csv"
    assert check_output_format("p.TSV", "--out") == ".tsv"
    with pytest.raises(ValueError, match=r"--out p.json: unknown table format '.json'"):
        check_output_format("p.json", "--out")


def test_missing_pandas_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError) as info:
        require_pandas()
    assert str(info.value) == "reading tables needs pandas: pip install 'scratchnn[cli]'"


def test_empty_zip_and_a_long_first_block(tmp_path):
    import zipfile

    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(ValueError, match="empty zip archive"):
        detect_separator(empty)
    # More than the 64 KiB sniffed: the cut-off last line does not spoil the detection.
    big = write(tmp_path / "big.txt", "a;b\n" + "1;2\n" * 40000)
    assert detect_separator(big) == ";"


def test_parquet_without_rows_or_columns(tmp_path):
    pytest.importorskip("pyarrow")
    pandas = require_pandas()
    no_rows = tmp_path / "no_rows.parquet"
    pandas.DataFrame({"a": pandas.Series([], dtype=float)}).to_parquet(no_rows)
    with pytest.raises(ValueError) as info:
        list(iter_table(no_rows))
    assert str(info.value) == f"{no_rows} has a header but no data rows"
    no_columns = tmp_path / "no_columns.parquet"
    pandas.DataFrame(index=range(3)).to_parquet(no_columns, index=False)
    with pytest.raises(ValueError, match="is empty"):
        read_table(no_columns)


def test_missing_pyarrow_names_the_extra(tmp_path, monkeypatch):
    import sys

    from scratchnn.tables import header_names

    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "t.parquet"
    message = f"{path}: Parquet files need pyarrow: pip install 'scratchnn[cli]'"
    with pytest.raises(ImportError) as info:
        read_table(path)
    assert str(info.value) == message
    with pytest.raises(ImportError) as info:
        header_names(path, TableOptions())
    assert str(info.value) == message
    with pytest.raises(ImportError) as info:  # no header to read: the reading itself asks
        read_table(path, TableOptions(header=False))
    assert str(info.value) == message
    with pytest.raises(ImportError) as info:
        check_output_format(tmp_path / "p.parquet", "--out")
    assert str(info.value) == f"{tmp_path / 'p.parquet'}: Parquet files need pyarrow: pip install 'scratchnn[cli]'"


def test_read_table_in_chunks_gives_the_whole_file_read(tmp_path, monkeypatch):
    # Chunks of 3 rows: 'mixed' is numbers in the first chunk and text later, 'late' is empty in
    # the first chunk, 'n' is integers in one chunk and has a missing value in another.
    pandas = require_pandas()
    from scratchnn import tables

    lines = ["n,mixed,late,t,x"]
    for k in range(8):
        mixed = "1.50" if k < 3 else ("a" if k % 2 else "2")
        late = "" if k < 3 else f"w{k % 2}"
        n = "" if k == 4 else str(k)
        lines.append(f"{n},{mixed},{late},{' cat ' if k % 3 else 'dog'},{k / 4}")
    path = write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    whole = read_table(path)
    monkeypatch.setattr(tables, "CHUNK_ROWS", 3)
    chunked = read_table(path)
    pandas.testing.assert_frame_equal(chunked, whole)
    assert list(chunked["mixed"][:3]) == ["1.50"] * 3  # spelled as in the file, like whole
    assert chunked["n"].dtype.kind == "f" and chunked["x"].dtype.kind == "f"


@pytest.mark.parametrize("header", ["a,a ,b,a", "a,a,b,a"])
def test_duplicate_names_are_refused_with_their_positions(tmp_path, header):
    path = write(tmp_path / "t.csv", header + "\n1,2,x,3\n")
    message = "the header names a column more than once: 'a' (columns 1, 2, 4)"
    with pytest.raises(ValueError, match=re.escape(message)):
        read_table(path)
    with pytest.raises(ValueError, match=re.escape(message)):
        next(iter_table(path))


def test_fit_inputs_matches_encode_then_standardize_in_rows_of_the_given_order():
    import numpy as np

    from scratchnn.bundle import Bundle
    from scratchnn.columns import ColumnSettings, fit_columns
    from scratchnn.preprocessing import Standardizer

    pandas = require_pandas()
    rng = np.random.default_rng(3)
    m = 400
    x = rng.normal(5.0, 3.0, m)
    x[rng.random(m) < 0.1] = np.nan
    frame = pandas.DataFrame({
        "x": x, "k": rng.integers(0, 4, m).astype(float) * 1e6,
        "t": pandas.Series(rng.choice([" a", "b ", "c", None], m), dtype="str"),
        "label": rng.choice(["p", "q"], m)})
    order = rng.permutation(m)
    n_fit = 300
    treatments, problems, _ = fit_columns(frame, ["x", "k", "t"], np.sort(order[:n_fit]),
                                          ColumnSettings(), "f", str)
    assert problems == []
    reference = Bundle(None, treatments, [], [], "label", ["p", "q"], {})
    encoded, _ = reference.encode(frame, "f", str)
    expected = Standardizer().fit(encoded[order[:n_fit]])

    bundle = Bundle(None, treatments, [], [], "label", ["p", "q"], {})
    table = dict(frame.items())
    X = bundle.fit_inputs(table, order, n_fit, "f", str)
    assert X.dtype == np.float32 and X.flags.c_contiguous and X.shape == (m, 2 + 3)
    np.testing.assert_allclose(bundle.mean, expected.mean_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(bundle.scale, expected.scale_, rtol=1e-12)
    np.testing.assert_allclose(X, expected.transform(encoded[order]), rtol=1e-6, atol=1e-6)
    assert list(table) == ["label"]  # each feature column left the table once encoded


def test_fit_inputs_refuses_values_beyond_float32_once_standardized():
    import numpy as np

    from scratchnn.bundle import Bundle, ColumnTreatment

    pandas = require_pandas()
    frame = pandas.DataFrame({"x": [0.0, 1.0, 1e300]})
    bundle = Bundle(None, [ColumnTreatment("x", "numeric", 0.0)], [], [], "y", ["a", "b"], {})
    with pytest.raises(ValueError, match="f: column 'x' holds values too large to standardize"):
        bundle.fit_inputs(dict(frame.items()), np.arange(3), 2, "f", str)


def test_a_text_column_encodes_one_hot_counting_unseen_and_missing_cells():
    import numpy as np

    from scratchnn.columns import ColumnTreatment

    pandas = require_pandas()
    column = ColumnTreatment("c", "text", categories=("NA", "b", "c"))
    series = pandas.Series([" b", "c", "zz", None, "", "NA", "None"], dtype="str")
    X, n_unseen, n_missing = column.encode(series, "f", str)
    np.testing.assert_array_equal(X, [[0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 0],
                                      [0, 0, 0], [0, 0, 0]])
    assert (n_unseen, n_missing) == (1, 4)  # 'NA' and 'None' are missing spellings
    X, n_unseen, n_missing = column.encode(series, "f", str, na_strings=())
    assert X[5].tolist() == [1, 0, 0] and (n_unseen, n_missing) == (2, 2)


# --------------------------------------------------------------------------- options, one by one


def test_table_options_defaults_and_locate():
    options = TableOptions()
    assert (options.sep, options.decimal, options.header, options.na_values) == (
        None, ".", True, ())
    assert options.locate("t.csv", 0) == "line 2"
    assert options.locate("t.csv.gz", 7) == "line 9"
    assert TableOptions(header=False).locate("t.csv", 7) == "line 8"
    import numpy as np

    assert options.locate("T.PARQUET", np.int64(4)) == "row 5"
    assert options.locate("t.pq", 0) == "row 1"
    assert options.locate("t.parquet.csv", 0) == "line 2"


@pytest.mark.parametrize(("text", "decimal", "sep"), [
    ("a;b\n1;2\n3,4,5,6\n", ".", ","),          # the last line counts too: no delimiter fits
    ("a;b,c,d\n1;2,3,4\n", ".", ","),           # the most fields wins
    ("a;b,c\n1;2,5\n", ".", ";"),               # a tie: ';' before ','
    ("a\tb;c\n1\t2;3\n", ".", "\t"),            # a tie: tab first
    ("a|b;c\n1|2;3\n", ".", ";"),               # a tie: ';' before '|'
    ("a|b,c\n1|2,3\n", ".", "|"),               # a tie: '|' before ','
    ("a,b\n1,2\n", ",", ","),                   # ',' when nothing else fits, even as decimal mark
    ("a;b,c,d\n1;2,3,4\n", ",", ";"),           # the decimal mark only when nothing else fits
    ("single\n1\n", ",", ";"),
    ('"a;b",c\n"1;2",3\n', ".", ","),           # quoted delimiters are not delimiters
    ('a;"b"";c"\n1;"x"";y"\n', ".", ";"),       # doubled quotes inside quotes
    ("a;b\n\n  \n1;2\n", ".", ";"),             # blank lines do not count
    ("\ufeffa;b\n1;2\n", ".", ";"),
    ("\ufeff\na;b\n1;2\n", ".", ";"),          # a byte-order mark, then a blank line
])
def test_detect_separator_rules(tmp_path, text, decimal, sep):
    assert detect_separator(write(tmp_path / "t.txt", text), decimal) == sep


def test_detect_separator_reads_twenty_lines(tmp_path):
    lines = ["a;b"] + ["1;2"] * 19 + ["1;2;3"] * 5
    assert detect_separator(write(tmp_path / "t.txt", "\n".join(lines) + "\n")) == ";"
    lines = ["a;b"] + ["1;2"] * 18 + ["1;2;3"] * 5
    assert detect_separator(write(tmp_path / "u.txt", "\n".join(lines) + "\n")) == ","


def test_detect_separator_drops_only_the_line_cut_off_at_64_kib(tmp_path):
    import zipfile

    long = "x" * 70000 + ";2\n"  # its ';' beyond the 64 KiB read
    # The cut-off second line is left out: the header alone decides.
    assert detect_separator(write(tmp_path / "a.txt", "a;b\n" + long)) == ";"
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "a;b\n" + long + "1;2;3\n")
    assert detect_separator(path) == ";"
    # The whole lines before it count: here no delimiter splits them alike.
    assert detect_separator(write(tmp_path / "b.txt", "a;b\n1;2;3\n" + long)) == ","
    assert detect_separator(write(tmp_path / "c.txt", "a;b\n" + "1;2;3\n" * 20000)) == ","


def test_detect_separator_of_a_long_line_and_bad_bytes(tmp_path):
    # One header line longer than the 64 KiB read: cut off, but the only line there is.
    header = ";".join(f"column{k:05d}" for k in range(7000))
    assert detect_separator(write(tmp_path / "t.txt", header + "\n1;2\n")) == ";"
    path = tmp_path / "b.txt"
    path.write_bytes(b"a;b\n\xff;1\n")
    assert detect_separator(path) == ";"


@pytest.mark.parametrize("name", ["t.tsv", "T.TSV", "t.tsv.gz", "t.tsv.bz2", "t.tsv.xz", "t.tab"])
def test_tsv_names_are_tab_separated(tmp_path, name):
    assert detect_separator(tmp_path / name) == "\t"  # not even opened


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zip", ".GZ"])
def test_compressed_tables(tmp_path, suffix):
    import bz2
    import lzma
    import zipfile

    text = "\ufeffa;b\n1;x\n2;y\n"
    path = tmp_path / f"t.csv{suffix}"
    data = text.encode("utf-8")
    if suffix.lower() == ".gz":
        path.write_bytes(gzip.compress(data))
    elif suffix == ".bz2":
        path.write_bytes(bz2.compress(data))
    elif suffix == ".xz":
        path.write_bytes(lzma.compress(data))
    else:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("first.csv", data)
    assert detect_separator(path) == ";"
    if suffix == ".GZ":
        return  # pandas infers compression from the lower-case extension only
    frame = read_table(path)
    assert list(frame.columns) == ["a", "b"] and frame["b"].tolist() == ["x", "y"]
    assert frame["a"].tolist() == [1, 2]
    from scratchnn.tables import header_names

    assert header_names(path, TableOptions()) == ["a", "b"]


def test_empty_zip_archive_is_refused_by_name(tmp_path):
    import zipfile

    path = tmp_path / "t.zip"
    zipfile.ZipFile(path, "w").close()
    with pytest.raises(ValueError) as info:
        read_table(path, TableOptions(sep=","))
    assert str(info.value) == f"{path} is an empty zip archive"


def test_cells_as_read(tmp_path):
    path = write(tmp_path / "t.csv", "\ufeffa, b,c,d\n007, x,NA,\n1.5,y ,?,None\n")
    frame = read_table(path)
    assert list(frame.columns) == ["a", "b", "c", "d"]
    assert frame["a"].tolist() == [7.0, 1.5]
    assert frame["b"].tolist() == ["x", "y "]  # spaces after the delimiter skipped
    assert frame["c"].tolist() == ["NA", "?"]
    assert frame["d"].isna().tolist() == [True, False] and frame["d"][1] == "None"
    frame = read_table(path, TableOptions(na_values=("?",)))
    assert frame["c"].isna().tolist() == [False, True]
    frame = read_table(path, dtype={"a": str, "zz": str})
    assert frame["a"].tolist() == ["007", "1.5"]
    verbatim = read_table(path, verbatim=True)
    assert verbatim["a"].tolist() == ["007", "1.5"]
    assert verbatim["b"].tolist() == [" x", "y "]
    assert verbatim["d"].tolist() == ["", "None"]
    frame = read_table(write(tmp_path / "d.csv", "a;b\n1,5;2\n"), TableOptions(decimal=","))
    assert frame["a"].tolist() == [1.5] and frame["b"].tolist() == [2]
    # One column of decimal-comma numbers: the comma is no delimiter then.
    frame = read_table(write(tmp_path / "o.csv", "x\n1,5\n2,5\n"), TableOptions(decimal=","))
    assert list(frame.columns) == ["x"] and frame["x"].tolist() == [1.5, 2.5]
    frame = read_table(write(tmp_path / "s.csv", "a;b\n1;2\n"), TableOptions(sep=","))
    assert list(frame.columns) == ["a;b"] and frame["a;b"].tolist() == ["1;2"]


def test_a_row_with_an_extra_field_is_refused_not_taken_as_an_index(tmp_path):
    path = write(tmp_path / "t.csv", "a,b\nr1,1,2\nr2,3,4\n")
    with pytest.raises(ValueError) as info:
        read_table(path)
    assert str(info.value) == (f"{path}: a row has more fields than the header (a delimiter "
                               f"inside an unquoted field, or the wrong --sep?)")


def test_header_names_and_check_header(tmp_path):
    from scratchnn.tables import check_header, header_names

    path = write(tmp_path / "t.csv", ' a ,"b,c",d\n1,2,3\n')
    assert header_names(path, TableOptions()) == ["a", "b,c", "d"]
    assert header_names(path, TableOptions(header=False)) is None
    assert read_table(path, TableOptions(header=False)).columns.tolist() == ["1", "2", "3"]
    check_header(path, TableOptions())
    check_header(write(tmp_path / "e.csv", ""), TableOptions())  # nothing to check
    names = ",".join(f"n{k},n{k}" for k in range(12))
    path = write(tmp_path / "d.csv", "x,y,x," + names + "\n" + ",".join(["1"] * 27) + "\n")
    with pytest.raises(ValueError) as info:
        check_header(path, TableOptions())
    shown = ["'x' (columns 1, 3)"] + [f"'n{k}' (columns {4 + 2 * k}, {5 + 2 * k})"
                                      for k in range(9)]
    assert str(info.value) == (f"{path}: the header names a column more than once: "
                               f"{'; '.join(shown)}; give each column its own name")
    check_header(path, TableOptions(header=False))


def test_parquet_header_names(tmp_path):
    pytest.importorskip("pyarrow")
    from scratchnn.tables import header_names

    pandas = require_pandas()
    path = tmp_path / "t.PQ"
    pandas.DataFrame({" a ": [1], "b": ["x"]}).to_parquet(path)
    assert header_names(path, TableOptions()) == ["a", "b"]
    frame = read_table(path)
    assert frame.columns.tolist() == ["a", "b"] and frame["a"].tolist() == [1]
    frame = read_table(path, TableOptions(header=False))
    assert frame.columns.tolist() == ["1", "2"]
    assert TableOptions().locate(path, 0) == "row 1"


@pytest.mark.parametrize(("name", "content", "what", "fix"), [
    ("t.xlsx", b"PK\x03\x04rest", "a spreadsheet workbook (zip)", "save it as CSV (or Parquet) first"),
    ("t.ODS", b"PK\x03\x04rest", "a spreadsheet workbook (zip)", "save it as CSV (or Parquet) first"),
    ("t.csv", b"\xd0\xcf\x11\xe0rest", "an Excel 97-2003 workbook (.xls)",
     "save it as CSV (or Parquet) first"),
    ("t.csv", b"PAR1rest", "a Parquet file", "name it .parquet"),
    ("t.txt", b"\x93NUMPYrest", "a NumPy .npy array", "save it as CSV (or Parquet) first"),
    ("t.csv", b"\x89HDFrest", "an HDF5 file", "save it as CSV (or Parquet) first"),
    ("t.json", b"a,b\n1,2\n", "a JSON file", "save it as CSV (or Parquet) first"),
    ("t.JSONL", b"a,b\n1,2\n", "a JSON file", "save it as CSV (or Parquet) first"),
    ("t.ndjson", b"a,b\n1,2\n", "a JSON file", "save it as CSV (or Parquet) first"),
    ("t.geojson", b"a,b\n1,2\n", "a JSON file", "save it as CSV (or Parquet) first"),
    ("t.txt", b'  {"a": 1}', "a JSON file", "save it as CSV (or Parquet) first"),
    ("t", b"[1, 2]", "a JSON file", "save it as CSV (or Parquet) first"),
    ("t.feather", b"a,b\n1,2\n", "a .feather file", "save it as CSV (or Parquet) first"),
    ("t.xls", b"a,b\n1,2\n", "a .xls file", "save it as CSV (or Parquet) first"),
    ("t.xlsx", b"a,b\n1,2\n", "a .xlsx file", "save it as CSV (or Parquet) first"),
    ("t.PKL", b"a,b\n1,2\n", "a .pkl file", "save it as CSV (or Parquet) first"),
    ("t.npz", b"a,b\n1,2\n", "a .npz file", "save it as CSV (or Parquet) first"),
    ("t.h5", b"a,b\n1,2\n", "a .h5 file", "save it as CSV (or Parquet) first"),
    *[(f"t{ext}", b"a,b\n1,2\n", f"a {ext} file", "save it as CSV (or Parquet) first")
      for ext in (".xlsm", ".ods", ".pickle", ".npy", ".hdf5", ".sav", ".dta")],
])
def test_files_that_are_not_tables_are_refused_saying_what_they_look_like(tmp_path, name, content,
                                                                          what, fix):
    path = tmp_path / name
    path.write_bytes(content)
    message = (f"{path} looks like {what}, not a table scratchnn reads (CSV-like text or "
               f"Parquet): {fix}")
    with pytest.raises(ValueError) as info:
        read_table(path)
    assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        next(iter_table(path))
    assert str(info.value) == message


@pytest.mark.parametrize(("name", "content"), [
    ("t.csv", b"PK\x03\x04,b\n1,2\n"),      # zip's magic in a text file named .csv
    ("t.csv", b"[a],b\n1,2\n"),             # a bracket in a CSV's header
    ("t.tsv", b"{a}\tb\n1\t2\n"),
])
def test_text_tables_that_start_like_other_files_are_read(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    frame = read_table(path)
    assert frame.shape == (1, 2) and frame.iloc[0, 1] == 2


def test_errors_name_the_file_in_one_line(tmp_path):
    from scratchnn.tables import _fail

    assert str(_fail("p.csv", ValueError(""))) == "p.csv could not be read as a table: ValueError"
    assert str(_fail("p.csv", OSError("a\n  b\tc "))) == "p.csv could not be read as a table: a b c"
    path = tmp_path / "t.csv.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError) as info:
        read_table(path)
    assert str(info.value).startswith(f"{path} could not be read as a table: ")
    assert "\n" not in str(info.value) and "Traceback" not in str(info.value)
    with pytest.raises(ValueError) as info:
        read_table(write(tmp_path / "e.csv", "\n\n"))
    assert str(info.value) == f"{tmp_path / 'e.csv'} is empty: expected a header row naming the columns"
    with pytest.raises(ValueError) as info:
        read_table(write(tmp_path / "h.csv", "a,b\n"))
    assert str(info.value) == f"{tmp_path / 'h.csv'} has a header but no data rows"
    path = tmp_path / "u.csv"
    path.write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(ValueError) as info:
        read_table(path)
    assert str(info.value) == f"{path} is not a UTF-8 text file (invalid start byte)"


def test_a_directory_keeps_its_os_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        read_table(tmp_path / ".", TableOptions(sep=","))
    folder = tmp_path / "d.parquet"
    folder.mkdir()
    with pytest.raises((IsADirectoryError, ValueError)):
        read_table(folder)


def test_iter_table_default_chunks_and_parquet_kept_verbatim(tmp_path, monkeypatch):
    from scratchnn import tables

    pandas = require_pandas()
    path = write(tmp_path / "t.csv", "a\n" + "".join(f"{i}\n" for i in range(7)))
    monkeypatch.setattr(tables, "CHUNK_ROWS", 3)
    assert [len(c) for c in iter_table(path)] == [3, 3, 1]
    assert [len(c) for c in iter_table(path, chunk_rows=5)] == [5, 2]
    assert list(pandas.concat(list(iter_table(path))).index) == list(range(7))
    pytest.importorskip("pyarrow")
    parquet = tmp_path / "t.parquet"
    pandas.DataFrame({"id": [1, 2, None], "t": ["a", None, "c"]}).to_parquet(parquet)
    chunks = list(iter_table(parquet, dtype={"id": str, "t": str, "absent": str}))
    assert [len(c) for c in chunks] == [3]
    assert chunks[0]["id"][:2].tolist() == ["1.0", "2.0"] and chunks[0]["id"].isna()[2]
    assert chunks[0]["t"][::2].tolist() == ["a", "c"] and chunks[0]["t"].isna()[1]
    kept = next(iter_table(parquet, dtype={"id": str}, verbatim=True))
    assert kept["id"].dtype.kind == "f"
    frame = read_table(parquet, dtype={"id": str})
    assert frame["id"][:2].tolist() == ["1.0", "2.0"] and frame["id"].isna()[2]


def test_read_table_joins_chunks_of_each_kind(tmp_path, monkeypatch):
    import numpy as np

    from scratchnn import tables

    pandas = require_pandas()
    lines = ["i,f,b,t,e"]
    for k in range(6):
        lines.append(f"{k},{k if k < 3 else k + 0.5},{'True' if k % 2 else 'False'},"
                     f"{'abc'[k % 3]},{'' if k < 3 else 'z'}")
    path = write(tmp_path / "t.csv", "\n".join(lines) + "\n")
    whole = read_table(path)
    monkeypatch.setattr(tables, "CHUNK_ROWS", 3)
    chunked = read_table(path)
    pandas.testing.assert_frame_equal(chunked, whole)
    assert chunked["i"].dtype == np.int64
    assert chunked["f"].tolist() == [0.0, 1.0, 2.0, 3.5, 4.5, 5.5]
    assert chunked["b"].tolist() == [False, True, False, True, False, True]
    assert chunked["e"].isna().tolist() == [True] * 3 + [False] * 3
    assert list(chunked.index) == list(range(6)) and isinstance(chunked.index, pandas.RangeIndex)
    one = read_table(path, TableOptions(), None)
    pandas.testing.assert_frame_equal(one, whole)


def test_write_table(tmp_path):
    import io

    pandas = require_pandas()
    from scratchnn.tables import write_table

    frames = [pandas.DataFrame({"a": [1, 2], "b": ["x,y", "z"]}),
              pandas.DataFrame({"a": [3], "b": ["w"]})]
    f = io.BytesIO()
    assert write_table(iter(frames), f, ".csv") == 3
    assert f.getvalue() == b'a,b\n1,"x,y"\n2,z\n3,w\n'
    f = io.BytesIO()
    assert write_table(frames, f, ".tsv") == 3
    assert f.getvalue() == b"a\tb\n1\tx,y\n2\tz\n3\tw\n"
    assert not f.closed
    pytest.importorskip("pyarrow")
    path = tmp_path / "t.parquet"
    with open(path, "wb") as f:
        assert write_table(iter(frames), f, ".parquet") == 3
    import pyarrow.parquet

    assert pyarrow.parquet.read_schema(path).names == ["a", "b"]  # no index column
    back = pandas.read_parquet(path)
    assert back["a"].tolist() == [1, 2, 3] and back["b"].tolist() == ["x,y", "z", "w"]
    assert list(back.columns) == ["a", "b"]


def test_output_format_messages():
    with pytest.raises(ValueError) as info:
        check_output_format("p.json", "--out")
    assert str(info.value) == ("--out p.json: unknown table format '.json'; use a file name ending "
                               "in .csv, .tsv, .parquet")
    assert check_output_format("dir.d/p.PARQUET", "--out") == ".parquet"


def test_release_freed_memory_releases_pyarrows_pool_only_once_loaded(monkeypatch):
    import sys

    from scratchnn.tables import release_freed_memory

    released = []

    class Pool:
        def release_unused(self):
            released.append(True)

    class Arrow:
        def default_memory_pool(self):
            return Pool()

    monkeypatch.setitem(sys.modules, "pyarrow", Arrow())
    release_freed_memory()
    assert released == [True]
    monkeypatch.delitem(sys.modules, "pyarrow")
    release_freed_memory()  # pyarrow not loaded: nothing to release, nothing imported
    assert released == [True] and "pyarrow" not in sys.modules


def test_read_table_in_chunks_is_pandas_reading_the_whole_file(tmp_path, monkeypatch):
    # Chunks of 2 rows: 'iuf' is unsigned (a value above int64's range), then float, then int;
    # 'mixed' and 'bi' change kind between chunks and are read again as text. The reference is
    # pandas.read_csv on the whole file with the options read_table documents.
    from scratchnn import tables

    pandas = require_pandas()
    rows = ["1;1;1.50;True;a", "2;18446744073709551615;1.50;False;b", "3;1.5;a;1;c",
            "4;2;2;0;d", "5;3; x;True;e"]
    path = write(tmp_path / "t.csv", "i;iuf;mixed;bi;t\n" + "\n".join(rows) + "\n")
    monkeypatch.setattr(tables, "CHUNK_ROWS", 2)
    expected = pandas.read_csv(path, sep=";", keep_default_na=False, na_values=[""],
                               skipinitialspace=True, low_memory=False, index_col=False)
    frame = read_table(path)
    pandas.testing.assert_frame_equal(frame, expected)
    assert frame["iuf"].dtype.kind == "f" and frame["mixed"].tolist()[:3] == ["1.50", "1.50", "a"]
    assert frame["bi"].tolist() == ["True", "False", "1", "0", "True"]
    # True/False with an empty cell in one chunk: read again as text too, spelled as in the file
    # (a whole-file read would make Python bools of them).
    path = write(tmp_path / "f.csv", "flag,x\nTrue,1\nFalse,2\nTrue,3\n,4\nFalse,5\n")
    flag = read_table(path)["flag"]
    assert flag[[0, 1, 2, 4]].tolist() == ["True", "False", "True", "False"] and flag.isna()[3]


def test_output_tables_are_utf8_whatever_the_locale(tmp_path):
    # In an ASCII locale (no UTF-8 mode, no locale coercion) text files would default to ASCII.
    import io
    import os
    import subprocess
    import sys

    from scratchnn.splitting import write_part
    from scratchnn.tables import write_table

    pandas = require_pandas()
    frame = pandas.DataFrame({"a": ["é", "ß"]})
    f = io.BytesIO()
    write_table([frame], f, ".tsv")  # the same calls in this process, for reference
    write_part(frame, tmp_path / "here.csv", ".csv", header=False)
    code = ("import io, sys, pandas\n"
            "from scratchnn.splitting import write_part\n"
            "from scratchnn.tables import write_table\n"
            "frame = pandas.DataFrame({'a': ['\\xe9', '\\xdf']})\n"  # é, ß
            "f = io.BytesIO()\n"
            "write_table([frame], f, '.tsv')\n"
            "sys.stdout.write(f.getvalue().hex())\n"
            "write_part(frame, sys.argv[1], '.csv', header=False)\n")
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0",
               PYTHONIOENCODING="ascii", PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "there.csv")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert bytes.fromhex(done.stdout) == f.getvalue() == "a\né\nß\n".encode()
    assert (tmp_path / "there.csv").read_bytes() == (tmp_path / "here.csv").read_bytes() == (
        "é\nß\n".encode())
