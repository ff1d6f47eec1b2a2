"""`scratchnn split`: a seeded hold-out of a table's rows into two files, every cell copied as it
is, optionally stratified; and the refusals, each one line naming the option (scratchnn.splitting
underneath)."""

import csv
import math
from collections import Counter

import numpy as np
import pytest

from cli_run import one_line_error, run, write
from scratchnn.columns import NA_STRINGS
from scratchnn.datasets import train_test_split
from scratchnn.splitting import held_out_count, split_indices
from scratchnn.tables import TableOptions

pandas = pytest.importorskip("pandas")



def read(path, sep=","):
    """The cells of a text table exactly as written, one list per line (csv: no interpretation)."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f, delimiter=sep))


def id_table(tmp_path, m, labels=None):
    """A table of ``m`` rows whose ids ``r000, r001, ...`` increase down the file."""
    labels = labels if labels is not None else ["x"] * m
    rows = [[f"r{i:03d}", str(i * 7 % 11), label] for i, label in enumerate(labels)]
    text = "id,value,label\n" + "".join(",".join(row) + "\n" for row in rows)
    return write(tmp_path / "data.csv", text), rows


def split(tmp_path, data, *options, train="train.csv", test="test.csv"):
    status, out, err = run(["split", data, "--out-train", tmp_path / train,
                            "--out-test", tmp_path / test, *options])
    assert status == 0, err
    return out, tmp_path / train, tmp_path / test


def ids(path):
    return [row[0] for row in read(path)[1:]]


# --------------------------------------------------------------------------- sizes and order


@pytest.mark.parametrize(("m", "test_size", "n_test"), [
    (10, "0.2", 2),
    (10, "0.32", 4),   # 3.2 rounded up
    (10, "0.31", 4),   # 3.1 rounded up, not to the nearest
    (7, "0.3", 3),     # 2.1 rounded up
    (10, "3", 3),      # an integer is a count of rows
    (10, "9", 9),
])
def test_test_size_holds_out_ceil_of_the_fraction_or_a_count(tmp_path, m, test_size, n_test):
    data, rows = id_table(tmp_path, m)
    out, train, test = split(tmp_path, data, "--test-size", test_size)
    assert out == f"saved {train} ({m - n_test} rows)\nsaved {test} ({n_test} rows)\n"
    assert read(train)[0] == read(test)[0] == ["id", "value", "label"]
    train_ids, test_ids = ids(train), ids(test)
    assert len(test_ids) == n_test and len(train_ids) == m - n_test
    # Every row in exactly one part, each part in the order of the file.
    assert sorted(train_ids + test_ids) == [row[0] for row in rows]
    assert train_ids == sorted(train_ids) and test_ids == sorted(test_ids)


def test_same_seed_same_split_another_seed_another_split(tmp_path):
    data, _ = id_table(tmp_path, 100)
    _, train, test = split(tmp_path, data, "--test-size", "0.25", "--seed", "5")
    first = (train.read_bytes(), test.read_bytes())
    _, train, test = split(tmp_path, data, "--test-size", "0.25", "--seed", "5")
    assert (train.read_bytes(), test.read_bytes()) == first
    _, train, test = split(tmp_path, data, "--test-size", "0.25", "--seed", "6")
    assert test.read_bytes() != first[1]
    assert len(ids(test)) == 25


def test_the_held_out_rows_are_those_of_datasets_train_test_split(tmp_path):
    # The same seed holds out the same rows as the library's own split (of the row numbers).
    data, rows = id_table(tmp_path, 40)
    _, _, test = split(tmp_path, data, "--test-size", "0.3", "--seed", "11")
    index = np.arange(40)
    _, held_out, _, _ = train_test_split(index, index, test_size=0.3, seed=11)
    assert ids(test) == [rows[i][0] for i in sorted(held_out)]


# --------------------------------------------------------------------------- stratification


def class_counts(path, column=2):
    return Counter(row[column] for row in read(path)[1:])


@pytest.mark.parametrize(("sizes", "test_size", "expected_test"), [
    # quotas 10, 6, 4: exact
    ({"a": 50, "b": 30, "c": 20}, "0.2", {"a": 10, "b": 6, "c": 4}),
    # 6 test rows; quotas 6*7/15 = 2.8, 2.0, 1.2: floors 2, 2, 1 and the one left over goes to
    # the largest remainder (a's 0.8)
    ({"a": 7, "b": 5, "c": 3}, "0.4", {"a": 3, "b": 2, "c": 1}),
    # 2 test rows; quotas 1.8 and 0.2: b still gets one, so it is in both parts
    ({"a": 18, "b": 2}, "0.1", {"a": 1, "b": 1}),
    # a count works the same way: quotas 4.5, 4.5 -> 4 + 4, the last to the first class
    ({"a": 10, "b": 10}, "9", {"a": 5, "b": 4}),
])
def test_stratify_splits_each_class_in_proportion(tmp_path, sizes, test_size, expected_test):
    labels = [label for label, n in sizes.items() for _ in range(n)]
    labels = [labels[i] for i in np.random.default_rng(0).permutation(len(labels))]  # interleaved
    data, _ = id_table(tmp_path, len(labels), labels)
    for seed in ("0", "1"):
        _, train, test = split(tmp_path, data, "--test-size", test_size, "--stratify", "label",
                               "--seed", seed)
        assert class_counts(test) == expected_test
        assert class_counts(train) == {c: sizes[c] - expected_test[c] for c in sizes}
        assert ids(train) == sorted(ids(train)) and ids(test) == sorted(ids(test))


def test_stratified_splits_differ_by_seed_and_match_for_a_seed(tmp_path):
    data, _ = id_table(tmp_path, 60, ["a", "b", "c"] * 20)
    _, _, test = split(tmp_path, data, "--test-size", "0.5", "--stratify", "label", "--seed", "3")
    first = ids(test)
    _, _, test = split(tmp_path, data, "--test-size", "0.5", "--stratify", "label", "--seed", "3")
    assert ids(test) == first
    _, _, test = split(tmp_path, data, "--test-size", "0.5", "--stratify", "label", "--seed", "4")
    assert ids(test) != first


def test_stratify_classes_are_cells_stripped_of_spaces_and_names_too(tmp_path):
    # " a" and "a" are one class, as `train --target` reads them; the header's " label" matches.
    data = write(tmp_path / "data.csv", "id, label\n1,a\n2, a\n3,b\n4,b \n")
    _, train, test = split(tmp_path, data, "--test-size", "2", "--stratify", "label")
    assert sorted(row[1].strip() for row in read(test)[1:]) == ["a", "b"]
    assert sorted(row[1].strip() for row in read(train)[1:]) == ["a", "b"]


# --------------------------------------------------------------------------- cells verbatim


TRICKY = ("id;code;amount;flag;note\n"
          "1;007;1,5;TRUE;NA\n"
          "2;0010;-0,25;FALSE; x\n"
          "3;1e3;2;true;x \n"
          "4;;3,0;;\"q;r\"\n"
          "5;NaN;4,75;null;\"say \"\"hi\"\"\"\n"
          "6;00;5;0;N/A\n")


def test_cells_are_copied_verbatim(tmp_path):
    data = write(tmp_path / "data.csv", TRICKY)
    _, train, test = split(tmp_path, data, "--test-size", "0.5", "--sep", ";", "--decimal", ",")
    original = read(data, sep=";")
    train_rows, test_rows = read(train), read(test)
    assert train_rows[0] == test_rows[0] == original[0]
    assert sorted(train_rows[1:] + test_rows[1:]) == sorted(original[1:])
    assert len(test_rows) - 1 == 3
    every = {cell for row in train_rows[1:] + test_rows[1:] for cell in row}
    assert {"007", "0010", "1,5", "-0,25", "TRUE", "true", "NA", " x", "x ", "", "q;r", "1e3",
            "NaN", "null", 'say "hi"', "N/A", "00"} <= every


def test_a_split_decimal_comma_file_trains_with_decimal_comma(tmp_path):
    # The parts are comma-separated, the decimal commas quoted: `--decimal ,` still reads them.
    rows = [f"{i};{i % 2 * 3 + 0.5:.1f};{'ab'[i % 2]}".replace(".", ",") for i in range(40)]
    data = write(tmp_path / "data.csv", "id;x;label\n" + "\n".join(rows) + "\n")
    _, train, _ = split(tmp_path, data, "--test-size", "0.25", "--sep", ";")
    assert '"3,5"' in train.read_text()
    status, _, err = run(["train", train, "--target", "label", "--ignore", "id", "--decimal", ",",
                          "--epochs", "2", "--quiet", "--out", tmp_path / "m.npz"])
    assert status == 0, err


def test_tsv_output_and_a_file_without_header(tmp_path):
    data = write(tmp_path / "data.txt", "007\tNA\ta\n008\t x\tb\n009\t\ta\n010\tTRUE\tb\n")
    _, train, test = split(tmp_path, data, "--test-size", "0.5", "--no-header", "--stratify",
                           "3", train="train.tsv", test="test.tsv")
    train_rows, test_rows = read(train, "\t"), read(test, "\t")  # no header line added
    assert sorted(train_rows + test_rows) == sorted(read(data, "\t"))
    assert sorted(row[2] for row in test_rows) == ["a", "b"]


def test_parquet_output_keeps_the_text(tmp_path):
    pytest.importorskip("pyarrow")
    data = write(tmp_path / "data.csv", TRICKY)
    _, train, test = split(tmp_path, data, "--test-size", "2", "--sep", ";",
                           train="train.parquet", test="test.parquet")
    frame = pandas.concat([pandas.read_parquet(train), pandas.read_parquet(test)])
    assert list(frame.columns) == ["id", "code", "amount", "flag", "note"]
    assert sorted(frame["code"]) == sorted(["007", "0010", "1e3", "", "NaN", "00"])
    assert sorted(frame["note"]) == sorted(["NA", " x", "x ", "q;r", 'say "hi"', "N/A"])


def test_a_parquet_input_is_split_too(tmp_path):
    pytest.importorskip("pyarrow")
    source = pandas.DataFrame({"id": [f"r{i}" for i in range(10)], "x": np.arange(10.0),
                               "label": ["a", "b"] * 5})
    source.to_parquet(tmp_path / "data.parquet", index=False)
    _, train, test = split(tmp_path, tmp_path / "data.parquet", "--test-size", "0.4",
                           "--stratify", "label", train="train.parquet", test="test.parquet")
    a, b = pandas.read_parquet(train), pandas.read_parquet(test)
    assert len(b) == 4 and sorted(b["label"]) == ["a", "a", "b", "b"]
    both = pandas.concat([a, b]).sort_values("x").reset_index(drop=True)
    pandas.testing.assert_frame_equal(both, source)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("cell", "shown"), [("", "is empty"), ("NA", "is 'NA'"),
                                             (" null ", "is 'null'")])
def test_stratify_refuses_a_missing_class_naming_its_line(tmp_path, cell, shown):
    data = write(tmp_path / "data.csv", f"id,label\n1,a\n2,b\n3,{cell}\n4,a\n5,b\n")
    err = one_line_error(["split", data, "--test-size", "0.4", "--stratify", "label",
                          "--out-train", tmp_path / "a.csv", "--out-test", tmp_path / "b.csv"])
    assert f"line 4: column 'label' (--stratify) {shown}, a missing value" in err
    assert not (tmp_path / "a.csv").exists() and not (tmp_path / "b.csv").exists()


def test_stratify_refuses_a_class_of_one_row_naming_it(tmp_path):
    data, _ = id_table(tmp_path, 7, ["a", "b", "a", "rare", "b", "a", "b"])
    err = one_line_error(["split", data, "--test-size", "0.3", "--stratify", "label",
                          "--out-train", tmp_path / "a.csv", "--out-test", tmp_path / "b.csv"])
    assert "column 'label' (--stratify): class 'rare' has only one row" in err
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize(("test_size", "message"), [
    ("0.1", "--test-size 0.1 leaves 1 row for test, fewer than the 3 classes"),
    ("7", "--test-size 7 leaves 2 rows for training, fewer than the 3 classes"),
])
def test_stratify_refuses_fewer_rows_in_a_part_than_classes(tmp_path, test_size, message):
    data, _ = id_table(tmp_path, 9, ["a", "b", "c"] * 3)
    err = one_line_error(["split", data, "--test-size", test_size, "--stratify", "label",
                          "--out-train", tmp_path / "a.csv", "--out-test", tmp_path / "b.csv"])
    assert message in err


def test_stratify_refuses_an_unknown_column(tmp_path):
    data, _ = id_table(tmp_path, 6)
    err = one_line_error(["split", data, "--test-size", "0.5", "--stratify", "colour",
                          "--out-train", tmp_path / "a.csv", "--out-test", tmp_path / "b.csv"])
    assert "no column named 'colour' (--stratify); the columns are 'id', 'value', 'label'" in err


@pytest.mark.parametrize(("test_size", "message"), [
    ("10", "--test-size 10 holds out 10 of 10 rows, leaving 0 for training"),
    ("12", "--test-size 12 holds out 12 of 10 rows"),
    ("0.95", "--test-size 0.95 holds out 10 of 10 rows"),  # 9.5 rounded up
])
def test_a_test_size_leaving_no_training_row_is_refused(tmp_path, test_size, message):
    data, _ = id_table(tmp_path, 10)
    err = one_line_error(["split", data, "--test-size", test_size,
                          "--out-train", tmp_path / "a.csv", "--out-test", tmp_path / "b.csv"])
    assert message in err


@pytest.mark.parametrize("test_size", ["0", "1.0", "-1", "-0.2", "1.5", "abc", "nan"])
def test_a_test_size_out_of_range_is_a_usage_error(tmp_path, test_size):
    data, _ = id_table(tmp_path, 10)
    status, _, err = run(["split", data, "--test-size", test_size,
                          "--out-train", tmp_path / "a.csv", "--out-test", tmp_path / "b.csv"])
    assert status == 2 and "argument --test-size" in err


def test_options_are_required(tmp_path):
    data, _ = id_table(tmp_path, 10)
    status, _, err = run(["split", data, "--test-size", "0.2", "--out-train", tmp_path / "a.csv"])
    assert status == 2 and "--out-test" in err
    status, _, err = run(["split", data, "--out-train", tmp_path / "a.csv",
                          "--out-test", tmp_path / "b.csv"])
    assert status == 2 and "--test-size" in err


def test_outputs_are_checked_before_any_work(tmp_path):
    data, _ = id_table(tmp_path, 10)
    before = data.read_bytes()

    def refused(train, test):
        return one_line_error(["split", data, "--test-size", "0.2", "--out-train", train,
                               "--out-test", test])

    assert "--out-train" in refused(data, tmp_path / "b.csv") and "same file as DATA" in refused(
        data, tmp_path / "b.csv")
    assert "--out-test" in refused(tmp_path / "a.csv", tmp_path / "." / "data.csv")
    # Two new files of one name: nothing exists yet, and still refused.
    assert "--out-test" in refused(tmp_path / "a.csv", tmp_path / "sub" / ".." / "a.csv")
    assert "does not exist" in refused(tmp_path / "nowhere" / "a.csv", tmp_path / "b.csv")
    assert "is a folder" in refused(tmp_path / "a.csv", tmp_path)
    assert "unknown table format '.xlsx'" in refused(tmp_path / "a.csv", tmp_path / "b.xlsx")
    assert "--out-train" in refused(tmp_path / "a.json", tmp_path / "b.csv")
    assert data.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_a_table_that_is_not_one_is_refused(tmp_path):
    outputs = ["--out-train", tmp_path / "a.csv", "--out-test", tmp_path / "b.csv"]
    err = one_line_error(["split", tmp_path / "missing.csv", "--test-size", "0.2", *outputs])
    assert "missing.csv" in err
    write(tmp_path / "empty.csv", "")
    assert "is empty" in one_line_error(["split", tmp_path / "empty.csv", "--test-size", "0.2",
                                         *outputs])
    write(tmp_path / "header.csv", "a,b\n")
    assert "no data rows" in one_line_error(["split", tmp_path / "header.csv", "--test-size",
                                             "0.2", *outputs])
    write(tmp_path / "ragged.csv", "a,b\n1,2\n3,4,5\n")
    assert "ragged.csv could not be read" in one_line_error(
        ["split", tmp_path / "ragged.csv", "--test-size", "0.2", *outputs])
    (tmp_path / "binary.csv").write_bytes(b"a,b\n\xff\xfe,\x81\n")
    assert "not a UTF-8 text file" in one_line_error(
        ["split", tmp_path / "binary.csv", "--test-size", "0.2", *outputs])


def test_help_describes_the_command():
    status, out, _ = run(["--help"])
    assert status == 0 and "split" in out
    status, out, _ = run(["split", "--help"])
    assert status == 0
    text = " ".join(out.split())
    for words in ("--test-size SIZE", "--out-train FILE", "--out-test FILE", "--stratify COLUMN",
                  "--seed SEED", "--sep CHAR", "--no-header", "ceil(0.2 x rows)", "007 stays 007",
                  ".parquet"):
        assert words in text, words


# --------------------------------------------------------------------------- the library


def test_missing_spellings_are_pandas_defaults():
    parsers = pytest.importorskip("pandas._libs.parsers")
    assert NA_STRINGS | {""} == set(parsers.STR_NA_VALUES)


@pytest.mark.parametrize(("m", "test_size"), [(10, 0.32), (10, 0.35), (10, 0.31), (13, 0.5),
                                               (1000, 0.001), (3, 1)])
def test_held_out_count_rounds_up(m, test_size):
    expected = test_size if isinstance(test_size, int) else math.ceil(test_size * m)
    assert held_out_count(test_size, m) == expected


@pytest.mark.parametrize(("args", "error", "match"), [
    ((True, 10), TypeError, "test_size must be a fraction"),
    (("0.2", 10), TypeError, "test_size must be a fraction"),
    ((0, 10), ValueError, "test_size must be >= 1"),
    ((1.0, 10), ValueError, r"test_size must be in \(0, 1\)"),
    ((0.5, 1), ValueError, "leaving 0 for training"),
    ((0.5, 0), ValueError, "n_rows must be >= 1"),
])
def test_held_out_count_refuses_bad_arguments(args, error, match):
    with pytest.raises(error, match=match):
        held_out_count(*args)


def test_split_indices_checks_classes_and_seed():
    with pytest.raises(ValueError, match=r"one class per row, shape \(4,\)"):
        split_indices(4, 0.5, classes=["a", "b", "a"])
    with pytest.raises(TypeError, match="seed"):
        split_indices(4, 0.5, seed=1.5)
    train, test = split_indices(6, 0.5, seed=np.random.default_rng(2), classes=list("aabbcc"))
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(6))
    assert sorted("aabbcc"[i] for i in test) == ["a", "b", "c"]


def test_held_out_count_messages_whole():
    from fractions import Fraction

    assert held_out_count(np.int64(3), 10) == 3 and held_out_count(9, 10) == 9
    assert held_out_count(np.float64(0.25), 10) == 3 and held_out_count(Fraction(1, 3), 9) == 3
    assert held_out_count(0.5, 2) == 1
    with pytest.raises(ValueError) as info:
        held_out_count(0.95, 10)
    assert str(info.value) == ("test_size 0.95 holds out 10 of 10 rows, leaving 0 for training; "
                               "both parts need at least one")
    with pytest.raises(ValueError) as info:
        held_out_count(15, 10, name="--test-size")
    assert str(info.value) == ("--test-size 15 holds out 15 of 10 rows, leaving 0 for training; "
                               "both parts need at least one")
    with pytest.raises(ValueError) as info:
        held_out_count(1, 1)
    assert str(info.value) == ("test_size 1 holds out 1 of 1 row, leaving 0 for training; "
                               "both parts need at least one")
    for bad in (True, np.bool_(False), "0.2", None, 1j):
        with pytest.raises(TypeError) as info:
            held_out_count(bad, 10, name="--test-size")
        assert str(info.value) == (f"--test-size must be a fraction in (0, 1) or a count of "
                                   f"rows, got {bad!r}")
    with pytest.raises(ValueError, match=r"^--test-size must be in \(0, 1\), got 0$"):
        held_out_count(0.0, 10, name="--test-size")
    with pytest.raises(ValueError, match=r"^--test-size must be >= 1, got 0$"):
        held_out_count(0, 10, name="--test-size")
    with pytest.raises(TypeError, match="^n_rows must be an integer"):
        held_out_count(1, 2.0)


def hamilton(counts, n_test):
    """Largest remainders by hand, for the cases below (no class below its quota of one)."""
    m = sum(counts)
    quotas = [n_test * c / m for c in counts]
    take = [int(q) for q in quotas]
    for k in sorted(range(len(counts)), key=lambda k: (-(quotas[k] - take[k]), k)):
        if sum(take) == n_test:
            break
        take[k] += 1
    return take


@pytest.mark.parametrize(("counts", "n_test", "expected"), [
    ([7, 3], 5, [4, 1]),          # remainders 0.5 and 0.5: the first class on a tie
    ([3, 7], 5, [2, 3]),
    ([6, 4], 5, [3, 2]),          # quotas exact
    ([5, 3, 2], 3, [1, 1, 1]),    # every class at least one
    ([8, 2, 2], 3, [1, 1, 1]),    # the small classes' one row is taken from the big one
    ([2, 8, 2], 3, [1, 1, 1]),    # ... wherever the big one is
    ([2, 9, 3, 2, 12], 7, [1, 2, 1, 1, 2]),          # from the class most above its quota
    ([13, 2, 2, 2, 4, 14], 6, [1, 1, 1, 1, 1, 1]),   # one row at a time
    ([10, 2], 10, [9, 1]),        # at most count - 1 per class
    ([2, 10], 10, [1, 9]),
    ([2, 2, 2], 3, [1, 1, 1]),
    ([9, 5, 6], 7, hamilton([9, 5, 6], 7)),
    ([20, 13, 7], 11, hamilton([20, 13, 7], 11)),
    ([4, 4, 4, 4, 4], 7, [2, 2, 1, 1, 1]),
])
def test_stratified_counts_per_class(counts, n_test, expected):
    from scratchnn.splitting import _allocate

    assert sum(expected) == n_test
    take = _allocate(np.array(counts), n_test, "test_size x", "classes")
    assert take.tolist() == expected and take.dtype.kind == "i"
    classes = np.repeat([f"c{k}" for k in range(len(counts))], counts)
    order = np.random.default_rng(5).permutation(classes.size)
    shuffled = classes[order]  # the rows of each class are spread over the file
    train, test = split_indices(classes.size, n_test, seed=7, classes=shuffled)
    held = Counter(shuffled[test].tolist())
    assert [held[f"c{k}"] for k in range(len(counts))] == expected
    # Each class's test rows are its first in the seed's permutation.
    permutation = np.random.default_rng(7).permutation(classes.size)
    chosen = []
    for k, n in enumerate(expected):
        chosen += [i for i in permutation if shuffled[i] == f"c{k}"][:n]
    assert test.tolist() == sorted(chosen)
    assert train.tolist() == sorted(set(range(classes.size)) - set(chosen))


def test_stratified_refusals_whole():
    with pytest.raises(ValueError) as info:
        split_indices(6, 2, classes=list("aabbcc"))
    assert str(info.value) == ("test_size 2 leaves 2 rows for test, fewer than the 3 classes of "
                               "classes: each class needs a row in both parts")
    with pytest.raises(ValueError) as info:
        split_indices(7, 5, classes=list("aabbccc"), test_size_name="--test-size",
                      classes_name="column 'y'")
    assert str(info.value) == ("--test-size 5 leaves 2 rows for training, fewer than the 3 "
                               "classes of column 'y': each class needs a row in both parts")
    with pytest.raises(ValueError) as info:
        split_indices(4, 0.5, classes=["a", "a", "b", 1], classes_name="y")
    assert str(info.value) == ("y: class '1' has only one row (and 1 more classes); a class needs "
                               "at least 2 rows to appear in both parts")
    with pytest.raises(ValueError) as info:
        split_indices(5, 0.5, classes=["a", "a", "b", "c", "c"])
    assert str(info.value) == ("classes: class 'b' has only one row; a class needs at least 2 rows "
                               "to appear in both parts")
    with pytest.raises(ValueError) as info:
        split_indices(4, 0.5, classes=["a", "b", "a"], classes_name="y")
    assert str(info.value) == "y must have one class per row, shape (4,), got (3,)"
    with pytest.raises(ValueError, match="^seed must be >= 0"):
        split_indices(4, 0.5, seed=-1)
    with pytest.raises(ValueError, match=r"^--test-size 4 holds out"):
        split_indices(4, 4, test_size_name="--test-size")


def test_split_indices_without_classes_is_the_seeds_permutation():
    for n, test_size, seed in ((10, 0.3, 0), (7, 2, 11), (50, 0.5, 3)):
        n_test = held_out_count(test_size, n)
        train, test = split_indices(n, test_size, seed)
        assert test.dtype == train.dtype == np.int64
        expected = np.sort(np.random.default_rng(seed).permutation(n)[:n_test])
        assert test.tolist() == expected.tolist()
        assert train.tolist() == sorted(set(range(n)) - set(expected.tolist()))
    train, test = split_indices(10, 0.3)
    assert (train.tolist(), test.tolist()) == tuple(
        x.tolist() for x in split_indices(10, 0.3, seed=0))
    # Classes compare as text: 1 and "1" are one class.
    train, test = split_indices(4, 2, seed=1, classes=[1, "1", 2, "2"])
    assert sorted(["1", "1", "2", "2"][i] for i in test) == ["1", "2"]


def test_read_cells_and_options(tmp_path):
    from scratchnn.splitting import read_cells
    from scratchnn.tables import TableOptions

    path = write(tmp_path / "t.txt", "id;x\n007; a \n008;NA\n")
    frame = read_cells(path)
    assert frame["id"].tolist() == ["007", "008"] and frame["x"].tolist() == [" a ", "NA"]
    frame = read_cells(str(path), TableOptions(header=False))
    assert list(frame.columns) == ["1", "2"] and frame["1"].tolist() == ["id", "007", "008"]
    with pytest.raises(TypeError) as info:
        read_cells(path, {"sep": ";"})
    assert str(info.value) == "options must be a TableOptions, got {'sep': ';'}"


def test_class_column(tmp_path):
    from scratchnn.splitting import class_column

    frame = pandas.DataFrame({" y ": [" a", "b ", "a", "b"], "x": ["1", "2", "3", "4"]})
    labels = class_column(frame, "y", "t.csv")
    assert labels.dtype == object and labels.tolist() == ["a", "b", "a", "b"]
    assert class_column(frame, " x", "t.csv").tolist() == ["1", "2", "3", "4"]
    with pytest.raises(ValueError) as info:
        class_column(frame, "z", "t.csv", option="--stratify")
    assert str(info.value) == "t.csv: no column named 'z' (--stratify); the columns are 'y', 'x'"
    twice = pandas.DataFrame([["a", "b"]], columns=["y", "y "])
    with pytest.raises(ValueError) as info:
        class_column(twice, "y", "t.csv")
    assert str(info.value) == ("t.csv: more than one column named 'y' (stratify); the columns "
                               "are 'y', 'y'")
    wide = pandas.DataFrame([list(range(21))], columns=[f"c{k}" for k in range(21)])
    with pytest.raises(ValueError) as info:
        class_column(wide, "z", "t.csv")
    assert str(info.value).endswith(", ".join(f"'c{k}'" for k in range(20)) + ", ...")
    twenty = pandas.DataFrame([list(range(20))], columns=[f"c{k}" for k in range(20)])
    with pytest.raises(ValueError) as info:
        class_column(twenty, "z", "t.csv")
    assert str(info.value).endswith(", ".join(f"'c{k}'" for k in range(20)))


@pytest.mark.parametrize(("cells", "path", "options", "message"), [
    (["a", " ", "b", "NA"], "t.csv", None,
     "t.csv, line 3: column 'y' (stratify) is empty, a missing value (2 rows in all); every row "
     "needs a class to stratify by"),
    (["a", None, "b", "a"], "t.csv", None,
     "t.csv, line 3: column 'y' (stratify) is empty, a missing value (1 row in all); every row "
     "needs a class to stratify by"),
    (["a", "b", " NaN ", "a"], "t.csv", TableOptions(header=False),
     "t.csv, line 3: column 'y' (stratify) is 'NaN', a missing value (1 row in all); every row "
     "needs a class to stratify by"),
    (["a", "b", None, "a"], "t.PARQUET", None,
     "t.PARQUET, row 3: column 'y' (stratify) is empty, a missing value (1 row in all); every "
     "row needs a class to stratify by"),
])
def test_class_column_refuses_missing_classes(cells, path, options, message):
    from scratchnn.splitting import class_column

    frame = pandas.DataFrame({"y": pandas.Series(cells, dtype=object)})
    with pytest.raises(ValueError) as info:
        class_column(frame, "y", path, options)
    assert str(info.value) == message


def test_class_column_of_parquet_keeps_na_spellings():
    from scratchnn.splitting import class_column

    frame = pandas.DataFrame({"y": ["NA", "null", "NA", "null"]})
    assert class_column(frame, "y", "t.pq").tolist() == ["NA", "null", "NA", "null"]


@pytest.mark.parametrize(("fmt", "header", "expected"), [
    (".csv", True, b'a,b\n1,"x,y"\n2, z\n'),
    (".csv", False, b'1,"x,y"\n2, z\n'),
    (".tsv", True, b"a\tb\n1\tx,y\n2\t z\n"),
    (".tsv", False, b"1\tx,y\n2\t z\n"),
])
def test_write_part_text(tmp_path, fmt, header, expected):
    from scratchnn.splitting import write_part

    frame = pandas.DataFrame({"a": ["1", "2"], "b": ["x,y", " z"]})
    path = tmp_path / f"part{fmt}"
    assert write_part(frame, path, fmt, header=header) == 2
    assert path.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_write_part_writes_a_header_by_default(tmp_path):
    from scratchnn.splitting import write_part

    path = tmp_path / "part.csv"
    assert write_part(pandas.DataFrame({"a": ["1"], "b": ["x"]}), path, ".csv") == 1
    assert path.read_bytes() == b"a,b\n1,x\n"


def test_write_part_parquet_always_names_its_columns(tmp_path):
    pytest.importorskip("pyarrow")
    from scratchnn.splitting import write_part

    frame = pandas.DataFrame({"a": ["1", "2", "3"], "b": [0.5, None, 2.0]})
    for header in (True, False):
        path = tmp_path / f"p{header}.parquet"
        assert write_part(frame, path, ".parquet", header=header) == 3
        pandas.testing.assert_frame_equal(pandas.read_parquet(path), frame)
