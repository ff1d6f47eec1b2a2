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
    with pytest.raises(ImportError, match=r"pip install 'scratchnn\[cli\]'"):
        require_pandas()


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
    with pytest.raises(ValueError, match="no data rows"):
        list(iter_table(no_rows))
    no_columns = tmp_path / "no_columns.parquet"
    pandas.DataFrame(index=range(3)).to_parquet(no_columns, index=False)
    with pytest.raises(ValueError, match="is empty"):
        read_table(no_columns)


def test_missing_pyarrow_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"Parquet files need pyarrow: pip install"):
        read_table(tmp_path / "t.parquet")
    with pytest.raises(ImportError, match=r"pip install 'scratchnn\[cli\]'"):
        check_output_format(tmp_path / "p.parquet", "--out")


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
