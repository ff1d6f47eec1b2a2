"""The command line on tables as messy as real exports: decimal commas, ``NA``-coded categories,
shuffled row numbers, dates, empty cells and targets, free text, duplicate names. Nothing is
misread silently: each is read right and said, or refused with the option that fixes it, all
refusals at once."""

import io
import re

import numpy as np
import pytest

from cli_run import refusal, run, suggested_command, table, write
from scratchnn.bundle import Bundle
from scratchnn.cli import load_model

pandas = pytest.importorskip("pandas")




def train(*argv):
    status, out, err = run(["train", *argv, "--quiet"])
    assert status == 0, err
    return out, err


def messy_rows(n=240, seed=0):
    """Rows of a shop's export: a shuffled unique key, a decimal-comma measurement, a region
    coded NA for North America, a signup date, two free-text columns and the label, which
    depends on the measurement and the region."""
    rng = np.random.default_rng(seed)
    rows = []
    for key in rng.permutation(n):
        region = ["NA", "EU", "ASIA"][rng.integers(3)]
        size = rng.normal(18, 3)
        label = "yes" if (size - 18) / 3 + (region == "NA") * 1.5 + rng.normal(0, 0.3) > 0.5 \
            else "no"
        day = np.datetime64("2023-01-01") + rng.integers(0, 700)
        rows.append([str(5000 + key), f"{size:.1f}".replace(".", ","), region, str(day),
                     f"comment {rng.integers(10**6)}", f"ticket {rng.integers(10**6)}", label])
    return ["key", "size", "region", "signup", "comment", "note", "bought"], rows


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shop")
    header, rows = messy_rows()
    rows[3][-1] = ""  # two rows without a label
    rows[10][-1] = ""
    rows[5][3] = ""  # a missing date
    return {"folder": folder, "header": header, "rows": rows,
            "data": write(folder / "shop.csv", table(header, rows, ";"))}


# --------------------------------------------------------------------------- everything at once


def test_one_train_names_every_problem_and_a_command_that_works(shop):
    folder = shop["folder"]
    model = folder / "m.npz"
    err = refusal(["train", shop["data"], "--target", "bought", "--out", model, "--epochs", 30])
    assert err.startswith(f"scratchnn: error: {shop['data']}: 3 problem(s) to fix before "
                          f"training:\n")
    assert "the target 'bought' is empty on 2 row(s) (the first on line 5) " \
        "(--drop-missing-target)" in err
    for name in ("comment", "note"):
        assert f"column {name!r}: text distinct on every row (238 values): free text or a row " \
            f"id (--ignore {name} or --id {name})" in err
    # The warnings come with the refusal: the shuffled key, the NA-coded region.
    assert "(a warning) column 'key': looks like a row id (its values are distinct whole " \
        "numbers on every training row)" in err
    assert "(a warning) column 'region': holds 'NA' (" in err and "(--keep-na-strings)" in err
    argv = suggested_command(err)
    assert argv == [
        "train", str(shop["data"]), "--target", "bought", "--out", str(model), "--epochs", "30", "--drop-missing-target", "--ignore",
        "comment", "--ignore", "note", "--id", "key"]
    assert not model.exists()

    status, out, err = run(argv + ["--keep-na-strings", "--quiet"])
    assert status == 0, err
    assert "left out 2 row(s) whose target 'bought' is empty" in err
    assert "column(s) ['size'] hold numbers written with a decimal comma; read so" in err
    assert "column 'signup' holds dates (ISO8601)" in err
    assert "warning" not in err
    _, _, bundle = load_model(str(model))
    kinds = {column.name: column.kind for column in bundle.columns}
    assert kinds == {"size": "numeric", "region": "text", "signup": "date"}
    assert bundle.columns[1].categories == ("ASIA", "EU", "NA")
    assert bundle.reading == {"sep": None, "decimal": ",", "header": True, "na_values": [],
                              "keep_na_strings": True}
    assert bundle.training["dropped_rows_missing_target"] == 2
    assert float(out.split("validation accuracy: ")[1].split()[0]) >= 0.85


def test_predict_on_the_messy_table_joins_back_by_the_key(shop):
    folder = shop["folder"]
    model = folder / "joined.npz"
    train(shop["data"], "--target", "bought", "--out", model, "--epochs", 30,
          "--drop-missing-target", "--ignore", "comment", "--ignore", "note", "--id", "key",
          "--keep-na-strings")
    header, rows = messy_rows(n=120, seed=1)
    new = write(folder / "new.csv", table(header[:-1], [r[:-1] for r in rows], ";"))
    status, out, err = run(["predict", model, new, "--proba"])
    assert status == 0, err
    frame = pandas.read_csv(io.StringIO(out), dtype={"key": str})
    assert list(frame.columns) == ["key", "predicted_bought", "proba_no", "proba_yes"]
    truth = {r[0]: r[-1] for r in rows}
    joined = frame.assign(bought=frame["key"].map(truth))
    assert joined["bought"].notna().all()
    assert np.mean(joined["predicted_bought"] == joined["bought"]) >= 0.85
    assert "unseen" not in err and "not seen in training" not in err  # dates are numbers


# --------------------------------------------------------------------------- 1. decimal commas


def test_decimal_commas_are_read_as_numbers_and_remembered(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, 200)
    rows = [[f"{v:.2f}".replace(".", ","), int(v > 0)] for v in x]
    data = write(tmp_path / "d.csv", table(["x", "label"], rows, ";"))
    model = tmp_path / "m.npz"
    _, err = train(data, "--target", "label", "--out", model, "--epochs", 20)
    assert "column(s) ['x'] hold numbers written with a decimal comma; read so" in err
    _, _, bundle = load_model(str(model))
    assert bundle.columns[0].kind == "numeric" and bundle.reading["decimal"] == ","
    new = write(tmp_path / "new.csv", table(["row", "x"], [[1, "1,5"], [2, "-2,25"]], ";"))
    status, out, err = run(["predict", model, new])
    assert status == 0, err
    assert out.splitlines()[1:] == ["1", "0"]
    one_column = write(tmp_path / "one.csv", table(["x"], [["1,5"], ["-2,25"]]))
    assert run(["predict", model, one_column])[1] == out  # "," is not its delimiter
    # Told otherwise, the new table is read with a decimal point: "1,5" is then not a number,
    # and the message names the option.
    status, _, err = run(["predict", model, new, "--decimal", "."])
    assert status == 1 and "column 'x' is '1,5', not a number (numbers written with a decimal " \
        "comma need --decimal ,)" in err


def test_decimal_commas_beside_decimal_points_are_refused(tmp_path):
    rows = [[f"{i / 7:.2f}".replace(".", ","), f"{i / 3:.2f}", i % 2] for i in range(30)]
    data = write(tmp_path / "d.csv", table(["a", "b", "label"], rows, ";"))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz"])
    assert "column(s) ['a'] hold numbers written with a decimal comma and ['b'] with a decimal " \
        "point" in err


def test_thousands_separators_and_comma_files_are_not_decimal_commas(tmp_path):
    from scratchnn.columns import decimal_comma_columns

    frame = pandas.DataFrame({"thousands": ["1,234", "12,500", "3"], "decimal": ["1,5", "2", "3"],
                              "words": ["1,5", "a", "3"], "number": [1.5, 2.0, 3.0]},
                             dtype=object).astype({"number": float})
    assert decimal_comma_columns(frame, list(frame.columns)) == ["decimal"]


# --------------------------------------------------------------------------- 2. verbatim copies


KEPT = [["00000", "TRUE", "NA", " x", "1.0"], ["02139", "False", "None", "y ", "2"],
        ["10001", "true", "", "z", "3"]]


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zips")
    rows = [[*KEPT[i % 3], f"{np.sin(i):.3f}", "ab"[i % 2]] for i in range(60)]
    header = ["zip", "flag", "note", "pad", "code", "x", "label"]
    data = write(folder / "d.csv", table(header, rows))
    model = folder / "m.npz"
    train(data, "--target", "label", "--out", model, "--epochs", 2, "--id", "zip",
          "--ignore", "flag", "--ignore", "note", "--ignore", "pad", "--ignore", "code")
    return {"folder": folder, "data": data, "model": model, "rows": rows, "header": header}


@pytest.mark.parametrize("ext", [".csv", ".tsv"])
def test_kept_and_id_columns_are_copied_byte_for_byte(zips, ext):
    out = zips["folder"] / f"pred{ext}"
    status, _, err = run(["predict", zips["model"], zips["data"], "--keep-columns", "--out", out])
    assert status == 0, err
    sep = "\t" if ext == ".tsv" else ","
    lines = out.read_text().splitlines()
    assert lines[0] == sep.join(zips["header"] + ["predicted_label"])
    for line, row in zip(lines[1:], zips["rows"]):
        cells = line.split(sep) if ext == ".tsv" else next(iter(
            __import__("csv").reader([line])))
        assert cells[:7] == row
    status, out, _ = run(["predict", zips["model"], zips["data"]])
    assert [line.split(",")[0] for line in out.splitlines()[1:4]] == ["00000", "02139", "10001"]


def test_kept_parquet_columns_keep_their_types(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pandas.DataFrame({"zip": ["00000", "02139"] * 15, "count": [1, 2] * 15,
                              "flag": [True, False] * 15, "x": np.linspace(-1, 1, 30),
                              "label": ["a", "b", "b", "a", "a", "b"] * 5})
    data = tmp_path / "d.parquet"
    frame.to_parquet(data)
    model = tmp_path / "m.npz"
    train(data, "--target", "label", "--out", model, "--epochs", 2, "--id", "zip", "--ignore",
          "count", "--ignore", "flag")
    out = tmp_path / "p.parquet"
    assert run(["predict", model, data, "--keep-columns", "--out", out])[0] == 0
    back = pandas.read_parquet(out)
    assert list(back["zip"][:2]) == ["00000", "02139"]
    assert back["count"].dtype.kind == "i" and back["flag"].dtype == bool


# --------------------------------------------------------------------------- 3. NA spellings


def test_na_spelled_categories_are_warned_about_kept_on_request_and_remembered(tmp_path):
    rows = [[["NA", "EU", "None"][i % 3], f"{np.cos(i):.2f}", "yes" if i % 3 == 0 else "no"]
            for i in range(90)]
    data = write(tmp_path / "d.csv", table(["region", "x", "label"], rows))
    model = tmp_path / "m.npz"
    _, err = train(data, "--target", "label", "--out", model, "--epochs", 2)
    assert "column 'region': holds 'NA' (30 rows), 'None' (30 rows), read as missing; if they " \
        "are categories (NA for North America), keep them (--keep-na-strings)" in err
    _, _, bundle = load_model(str(model))
    assert bundle.columns[0].categories == ("EU",)

    _, err = train(data, "--target", "label", "--out", model, "--epochs", 40,
                   "--keep-na-strings", "--lr", "0.05")
    assert "read as missing" not in err
    _, _, bundle = load_model(str(model))
    assert bundle.columns[0].categories == ("EU", "NA", "None")
    # predict reads 'NA' as the category, as in training: it decides the label.
    new = write(tmp_path / "new.csv", table(["region", "x"], [["NA", "0.5"], ["EU", "0.5"]]))
    status, out, err = run(["predict", model, new])
    assert status == 0 and out.splitlines()[1:] == ["yes", "no"], err


def test_na_values_name_other_spellings_of_missing(tmp_path):
    rows = [["?" if i % 10 == 0 else str(i % 7), "ab"[i % 2]] for i in range(40)]
    data = write(tmp_path / "d.csv", table(["x", "label"], rows))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz"])
    assert "(--na-values '?' or --ignore x)" in err
    model = tmp_path / "m.npz"
    train(*suggested_command(err)[1:], "--epochs", 1)
    _, _, bundle = load_model(str(model))
    assert bundle.columns[0].kind == "numeric" and bundle.reading["na_values"] == ["?"]
    from scratchnn.cli.train import _split

    x = np.array([np.nan if r[0] == "?" else float(r[0]) for r in rows])
    fit = x[_split(40, 0.2, 0, "d.csv")[0]]
    assert bundle.columns[0].fill == np.median(fit[~np.isnan(fit)])


# --------------------------------------------------------------------------- 4. ids by content


def test_ids_are_found_by_content_whatever_their_order(tmp_path):
    rng = np.random.default_rng(0)
    keys = rng.permutation(60) * 3 + 11
    rows = [[k, f"{np.sin(i):.3f}", i % 2] for i, k in enumerate(keys)]
    data = write(tmp_path / "d.csv", table(["Unnamed: 0", "x", "label"], rows))
    _, err = train(data, "--target", "label", "--out", tmp_path / "m.npz", "--epochs", 1)
    # The option is quoted for the shell, so that it pastes.
    assert "pass --id 'Unnamed: 0'" not in err and "(--id 'Unnamed: 0' or --ignore " \
        "'Unnamed: 0')" in err
    data = write(tmp_path / "e.csv", table(["customer", "x", "label"], rows))
    _, err = train(data, "--target", "label", "--out", tmp_path / "m.npz", "--epochs", 1)
    assert "column 'customer': looks like a row id (its values are distinct whole numbers on " \
        "every training row)" in err


def test_a_sorted_integer_feature_with_ties_is_not_an_id(tmp_path):
    from scratchnn.columns import looks_like_id

    counts = pandas.Series(np.repeat(np.arange(30), 2))
    assert looks_like_id("visits", counts) is None
    assert looks_like_id("visits", pandas.Series(np.arange(60))) is not None
    # Distinct on the training rows is what counts: ties among the others do not matter.
    assert looks_like_id("visits", counts, rows=np.arange(0, 60, 2)) is not None
    assert looks_like_id("visits", pandas.Series(np.linspace(0, 1, 60))) is None  # measurements
    rows = [[v, i % 2] for i, v in enumerate(np.repeat(np.arange(30), 2))]
    data = write(tmp_path / "d.csv", table(["visits", "label"], rows))
    _, err = train(data, "--target", "label", "--out", tmp_path / "m.npz", "--epochs", 1)
    assert "row id" not in err


# --------------------------------------------------------------------------- 5. missing at predict


def test_missing_cells_at_predict_time_are_counted_and_an_empty_column_named(zips, tmp_path):
    rows = [[r[0], "" if i % 3 == 0 else r[5]] for i, r in enumerate(zips["rows"][:30])]
    new = write(tmp_path / "new.csv", table(["zip", "x"], rows))
    status, _, err = run(["predict", zips["model"], new])
    assert status == 0
    assert "missing cells were filled as in training (numbers and dates with the training " \
        "value, text as no category): 'x': 10 of 30" in err
    empty = write(tmp_path / "empty.csv", table(["zip", "x"], [[r[0], ""] for r in rows]))
    status, out, err = run(["predict", zips["model"], empty])
    assert status == 0 and len(out.splitlines()) == 31
    assert "feature column 'x' is empty on every row (filled with the training value" in err
    out_path = tmp_path / "p.csv"
    status, _, err = run(["predict", zips["model"], empty, "--strict", "--out", out_path])
    assert status == 1 and "feature column(s) ['x'] are empty on every row (--strict)" in err
    assert not out_path.exists()


# --------------------------------------------------------------------------- 6. dates


def test_dates_become_days_month_and_weekday(tmp_path):
    start = np.datetime64("2024-01-01")
    rows = [[f"{(start + i).astype(object):%d/%m/%Y}", "ab"[int((start + i).astype(object).weekday()
                                                              >= 5)]]
            for i in range(0, 300, 3)]
    data = write(tmp_path / "d.csv", table(["when", "label"], rows))
    model = tmp_path / "m.npz"
    _, err = train(data, "--target", "label", "--out", model, "--epochs", 60, "--lr", "0.05",
                   "--val-split", 0)
    assert "column 'when' holds dates (%d/%m/%Y)" in err
    _, _, bundle = load_model(str(model))
    assert bundle.feature_names == ["when:days", "when:month", "when:weekday"]
    new = write(tmp_path / "new.csv", table(["when"], [["06/07/2025"], ["07/07/2025"], [""]]))
    status, out, err = run(["predict", model, new])
    assert status == 0, err
    assert out.splitlines()[1:3] == ["b", "a"]  # a Sunday, a Monday: days never seen
    bad = write(tmp_path / "bad.csv", table(["when"], [["2025-07-06"]]))
    status, _, err = run(["predict", model, bad])
    assert status == 1 and "line 2: column 'when' is '2025-07-06', not a date in the format " \
        "%d/%m/%Y" in err


def test_date_inputs_against_the_calendar():
    from scratchnn.columns import date_inputs

    days = np.array([0.0, 19723.5, -1.0])  # 1970-01-01 (Thu), 2024-01-01 noon (Mon), 1969-12-31
    np.testing.assert_array_equal(date_inputs(days), [[0, 1, 3], [19723.5, 1, 0], [-1, 12, 2]])


def test_an_ambiguous_day_month_order_is_said_and_chosen_with_date_format(tmp_path):
    rows = [[f"0{1 + i % 9}/0{1 + i % 7}/2024", i % 2] for i in range(40)]
    data = write(tmp_path / "d.csv", table(["when", "label"], rows))
    model = tmp_path / "m.npz"
    _, err = train(data, "--target", "label", "--out", model, "--epochs", 1)
    assert "column 'when' is read as dates in the format %d/%m/%Y; %m/%d/%Y also fits every " \
        "value (choose with --date-format %m/%d/%Y)" in err
    train(data, "--target", "label", "--out", model, "--epochs", 1, "--date-format", "%m/%d/%Y")
    _, _, bundle = load_model(str(model))
    assert bundle.columns[0].format == "%m/%d/%Y"


# --------------------------------------------------------------------------- 7. missing targets


def test_missing_targets_are_counted_and_dropped_on_request(tmp_path):
    rows = [[i % 5, "" if i % 10 == 3 else "ab"[i % 2]] for i in range(50)]
    data = write(tmp_path / "d.csv", table(["x", "label"], rows))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz"])
    assert "the target 'label' is empty on 5 row(s) (the first on line 5)" in err
    out, err = train(data, "--target", "label", "--out", tmp_path / "m.npz", "--epochs", 1,
                     "--drop-missing-target", "--val-split", "0.2")
    assert "left out 5 row(s)" in err and "(36 rows)" in out and "(9 rows)" in out


# --------------------------------------------------------------------------- 9. smaller ones


def test_duplicate_header_names_are_refused_with_positions(tmp_path):
    data = write(tmp_path / "d.csv", "u,v,u,label\n1,2,3,a\n")
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz"])
    assert status == 1
    assert "the header names a column more than once: 'u' (columns 1, 3)" in err


def test_a_continuous_integer_target_is_regressed_unless_classification_is_asked(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[f"{rng.normal():.2f}", age] for age in rng.integers(18, 89, 344)]
    data = write(tmp_path / "d.csv", table(["x", "age"], rows))
    status, out, err = run(["train", data, "--target", "age", "--out", tmp_path / "m.npz",
                            "--epochs", 1, "--quiet"])
    assert status == 0, err
    assert Bundle.load(tmp_path / "m.npz")[2].task == "regression" and "R2" in out
    status, _, err = run(["train", data, "--target", "age", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet", "--task", "classification"])
    assert status == 0, err
    assert "the target 'age' looks continuous (71 distinct numbers in 344 rows)" in err
    assert "trained as 71 classes, as --task classification asks" in err
    assert len(Bundle.load(tmp_path / "m.npz")[2].label_names) == 71
    # A few numeric classes are classes.
    rows = [[f"{rng.normal():.2f}", k % 12] for k in range(200)]
    data = write(tmp_path / "e.csv", table(["x", "grade"], rows))
    train(data, "--target", "grade", "--out", tmp_path / "m.npz", "--epochs", 1)
    assert Bundle.load(tmp_path / "m.npz")[2].task == "classification"


@pytest.mark.parametrize(("name", "content", "what"), [
    ("d.json", '[{"a": 1}]', "a JSON file"),
    ("d.txt", '{"a": 1}', "a JSON file"),
    ("d.xlsx", "PK\x03\x04rest", "a spreadsheet workbook (zip)"),
    ("d.xls", "\xd0\xcf\x11\xe0rest", "an Excel 97-2003 workbook (.xls)"),
    ("d.csv", "PAR1rest", "a Parquet file"),
])
def test_files_that_are_not_tables_say_what_they_look_like(tmp_path, name, content, what):
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    status, _, err = run(["train", path, "--target", "a", "--out", tmp_path / "m.npz"])
    assert status == 1 and f"{path} looks like {what}, not a table" in err


def test_an_empty_file_is_named_once(tmp_path):
    path = write(tmp_path / "empty.csv", "")
    status, _, err = run(["train", path, "--target", "a", "--out", tmp_path / "m.npz"])
    assert status == 1 and err.count(str(path)) == 1, err


def test_categorical_codes_and_category_counts(tmp_path):
    rows = [[[3, 17, 42][i % 3], "ab"[i % 2], "only"] for i in range(60)]
    data = write(tmp_path / "d.csv", table(["code", "label", "one"], rows))
    model = tmp_path / "m.npz"
    train(data, "--target", "label", "--out", model, "--epochs", 1, "--categorical", "code")
    _, _, bundle = load_model(str(model))
    assert bundle.feature_names == ["code=17", "code=3", "code=42", "one=only"]
    status, out, _ = run(["info", model])
    assert "one-hot over 1 category: only" in out and "one-hot over 3 categories" in out
    status, _, err = run(["train", data, "--target", "label", "--out", model, "--categorical",
                          "label"])
    assert status == 1 and "--categorical label is not a feature column" in err


def test_inputs_that_collide_once_encoded_are_refused(tmp_path):
    rows = [["b=c" if i % 2 else "d", "c" if i % 3 else "e", i % 2] for i in range(30)]
    data = write(tmp_path / "d.csv", table(["a", "a=b", "label"], rows))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz"])
    assert "columns ['a', 'a=b'] both become the network input 'a=b=c'" in err


# --------------------------------------------------------------------------- planted bugs


def test_probability_columns_follow_the_label_order_not_the_text_order(tmp_path):
    rows = [[f"{v:.2f}", 2 if v < 0 else 10] for v in np.linspace(-1, 1, 40)]
    data = write(tmp_path / "d.csv", table(["x", "size"], rows))
    model = tmp_path / "m.npz"
    train(data, "--target", "size", "--out", model, "--epochs", 60, "--lr", "0.05",
          "--val-split", 0)
    new = write(tmp_path / "new.csv", table(["x"], [["-0.9"], ["0.9"]]))
    status, out, _ = run(["predict", model, new, "--proba"])
    frame = pandas.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["predicted_size", "proba_2", "proba_10"]
    assert list(frame["predicted_size"]) == [2, 10]
    assert frame["proba_2"][0] > 0.5 and frame["proba_10"][1] > 0.5


def test_imputation_and_standardization_come_from_the_training_rows_only(tmp_path):
    from scratchnn.cli.train import _split

    m = 50
    x = np.arange(m, dtype=float) ** 2
    x[::7] = np.nan
    rows = [["" if np.isnan(v) else f"{v:g}", i % 2] for i, v in enumerate(x)]
    data = write(tmp_path / "d.csv", table(["x", "label"], rows))
    model = tmp_path / "m.npz"
    train(data, "--target", "label", "--out", model, "--epochs", 1, "--val-split", "0.3",
          "--seed", "4")
    train_rows, val_rows = _split(m, 0.3, 4, "d.csv")
    fit = x[train_rows]
    expected_fill = float(np.median(fit[~np.isnan(fit)]))
    assert expected_fill != float(np.nanmedian(x))  # the test can tell the two apart
    _, _, bundle = load_model(str(model))
    assert bundle.columns[0].fill == expected_fill
    filled = np.where(np.isnan(fit), expected_fill, fit)
    np.testing.assert_allclose(bundle.mean, [filled.mean()], rtol=1e-12)
    np.testing.assert_allclose(bundle.scale, [filled.std()], rtol=1e-12)


# --------------------------------------------------------------------------- the defaults


def test_each_interface_names_the_others_defaults_as_they_are():
    """train --help names NNClassifier's defaults and NNClassifier's docstring the command
    line's; both must be the real ones."""
    import re

    from scratchnn.cli import build_parser
    from scratchnn.cli.train import _fill_defaults
    from scratchnn.sklearn import NNClassifier

    parser = build_parser()
    train_parser = parser._subparsers._group_actions[0].choices["train"]
    # The options left out get their defaults when train runs (the command line's own, or a
    # --preset's): those of a command line without options.
    args = parser.parse_args(["train", "table.csv", "--target", "y", "--out", "model.npz"])
    _fill_defaults(args)
    defaults = vars(args)
    estimator = NNClassifier().get_params()
    described = " ".join(train_parser.description.split())
    assert (f"hidden layers of {defaults['hidden'][0]} and {defaults['hidden'][1]} units, --lr "
            f"{defaults['lr']:g}, --batch-size {defaults['batch_size']}, {defaults['dtype']}, "
            f"early stopping on a {defaults['val_split']:.0%} validation split") in described
    from scratchnn.presets import PRESETS

    assert (f"(({estimator['hidden_layer_sizes'][0]},), {estimator['learning_rate']:g}, "
            f"'{estimator['batch_size']}', float64, no early stopping below "
            f"{PRESETS[estimator['preset']].min_rows_to_keep_best:,} rows)") in described
    assert estimator["early_stopping"] is False
    doc = " ".join(NNClassifier.__doc__.split())
    assert re.search(rf"hidden layers of {defaults['hidden'][0]} and {defaults['hidden'][1]} "
                     rf"units, a learning rate of {defaults['lr']:g}, mini-batches of "
                     rf"{defaults['batch_size']}, {defaults['dtype']}, and early stopping on a "
                     rf"{defaults['val_split']:.0%} validation split", doc)


def test_the_onnx_graph_computes_a_dates_inputs_as_predict_does(tmp_path):
    """Days from before 1970 to 2100, leap days, fractional days and a missing date: the graph's
    month and weekday (float64 arithmetic from the days) agree with NumPy's calendar."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from scratchnn.bundle import Bundle
    from scratchnn.columns import ColumnTreatment, date_inputs
    from scratchnn.network import ClassifierNN

    days = np.concatenate([np.arange(-800.0, 47500.0, 37.25), [11016.0, 11017.0, np.nan]])
    filled = np.where(np.isnan(days), 19000.5, days)
    inputs = date_inputs(filled)
    mean, scale = inputs.mean(axis=0), inputs.std(axis=0)
    network = ClassifierNN([3, 5, 3], ["tanh", "softmax"], seed=1, dtype="float64")
    bundle = Bundle(network, [ColumnTreatment("when", "date", 19000.5, format="ISO8601")],
                    mean, scale, "y", ["a", "b", "c"], {})
    model = bundle.to_onnx(tmp_path / "m.onnx")
    # The date's three inputs, read from inside the graph as an extra output.
    from onnx import TensorProto, helper

    model.graph.output.append(helper.make_tensor_value_info("date_0", TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString())
    _, proba, date = session.run(None, {"when": days.reshape(-1, 1)})
    np.testing.assert_array_equal(date[:, 1:], inputs[:, 1:])  # months and weekdays, exactly
    np.testing.assert_allclose(date[:, 0], inputs[:, 0], rtol=2**-23)  # days, in float32
    assert [tuple(row) for row in inputs[-3:-1, 1:]] == [(2, 1), (3, 2)]  # 2000-02-29 a Tuesday
    expected = bundle.predict_proba(((inputs - mean) / scale).T).T
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)


def test_dates_in_an_unknown_format_are_refused_as_dates(tmp_path):
    start = np.datetime64("2020-01-01")
    rows = [[f"{(start + 3 * i).astype(object):%d/%m/%y}", i % 2] for i in range(150)]
    data = write(tmp_path / "d.csv", table(["when", "label"], rows))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz"])
    assert "column 'when': looks like dates, but no known format reads every value (e.g. " \
        "'01/01/20')" in err
    train(*suggested_command(err)[1:], "--epochs", 1)
    _, _, bundle = load_model(str(tmp_path / "m.npz"))
    assert bundle.columns[0].kind == "date" and bundle.columns[0].format == "%d/%m/%y"


def test_a_headerless_table_is_remembered_and_header_undoes_it(tmp_path):
    rows = [[f"{v:.2f}", "ab"[int(v > 0)]] for v in np.linspace(-1, 1, 40)]
    data = write(tmp_path / "d.txt", "\n".join(f"{a}|{b}" for a, b in rows) + "\n")
    model = tmp_path / "m.npz"
    train(data, "--target", "2", "--out", model, "--epochs", 40, "--lr", "0.05", "--no-header",
          "--val-split", 0)
    _, _, bundle = load_model(str(model))
    assert bundle.reading["header"] is False and bundle.reading["sep"] is None
    new = write(tmp_path / "new.txt", "-0.9|x\n0.9|y\n")
    status, out, err = run(["predict", model, new])
    assert status == 0 and out.splitlines() == ["predicted_2", "a", "b"], err
    status, out, err = run(["evaluate", model, data])
    assert status == 0 and "(40 rows" in out, err
    named = write(tmp_path / "named.txt", "1|2\n-0.9|a\n0.9|b\n")
    status, out, err = run(["predict", model, named, "--header"])
    assert status == 0 and out.splitlines() == ["predicted_2", "a", "b"], err


def test_an_empty_date_column_names_the_training_date_it_is_filled_with(tmp_path):
    rows = [[f"2024-01-{1 + i % 28:02d}", f"{np.sin(i):.2f}", "ab"[i % 2]] for i in range(40)]
    data = write(tmp_path / "d.csv", table(["when", "x", "y"], rows))
    model = tmp_path / "m.npz"
    train(data, "--target", "y", "--out", model, "--epochs", 1)
    _, _, bundle = load_model(str(model))
    date = bundle.columns[0].fill_value()
    assert re.fullmatch(r"2024-01-\d\d( \d\d:\d\d:\d\d)?", date)
    new = write(tmp_path / "new.csv", table(["when", "x"], [["", "0.5"], ["", "0.1"]]))
    status, _, err = run(["predict", model, new])
    assert status == 0 and f"feature column 'when' is empty on every row (filled with the " \
        f"training value {date})" in err
    assert bundle.columns[1].fill_value() == f"{bundle.columns[1].fill:.6g}"
