"""Fast, in-process tests of the command line's ``evaluate``, ``predict``, ``info``, ``export``,
``datasets``, ``split``, ``demo`` and ``playground`` on tables of a few rows: exact output
formats, notes and warnings, refusals and exit statuses. One tiny model is trained once per module
(3 epochs); no subprocess, so that ``make mutate`` can run these for every mutant of the command
line's modules."""

import csv
import io
import sys

import numpy as np
import pytest

from cli_run import one_line_error, run, table, write
from scratchnn import ClassifierNN
from scratchnn.cli import load_model
from scratchnn.columns import format_names
from tolerances import assert_float32_close

# Labels 2 and 10: their text order (10 before 2) is not their order in the model.
HEADER = ["id", "x", "color", "y"]
ROWS = [["007", "0.10", "red", 2], ["008", "0.9", "blue", 10], ["009", "0.2", "red", 2],
        ["010", "0.8", "blue", 10], ["011", "0.15", "red", 2], ["012", "0.85", "blue", 10],
        ["013", "0.3", "red", 2], ["014", "0.7", "blue", 10]]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model trained on ROWS (``--id id``, 3 epochs), and the table."""
    folder = tmp_path_factory.mktemp("cli-commands")
    data = write(folder / "train.csv", table(HEADER, ROWS))
    model = folder / "model.npz"
    status, out, err = run(["train", data, "--target", "y", "--id", "id", "--out", model,
                            "--epochs", "3", "--hidden", "3", "--val-split", "0", "--quiet"])
    assert status == 0, err
    return model, data


def _expected_proba(model, rows, columns=("x", "color")):
    """The model's probabilities of the rows, straight from the bundle (2 x m)."""
    import pandas

    _, _, bundle = load_model(model)
    frame = pandas.DataFrame([[float(r[1]), r[2]] for r in rows], columns=list(columns))
    X, _, _ = bundle.inputs(frame, "t", str)
    return bundle.predict_proba(X), bundle


def _csv(text):
    return list(csv.reader(io.StringIO(text)))


# --------------------------------------------------------------------------- predict


def test_predict_writes_ids_labels_and_probabilities_in_label_order(trained):
    model, data = trained
    status, out, err = run(["predict", model, data, "--proba"])
    assert (status, err) == (0, "")
    lines = _csv(out)
    assert lines[0] == ["id", "predicted_y", "proba_2", "proba_10"]
    assert [line[0] for line in lines[1:]] == [row[0] for row in ROWS]  # "007" kept verbatim
    proba, bundle = _expected_proba(model, ROWS)
    assert bundle.label_names == ["2", "10"]
    got = np.array([[float(p) for p in line[2:]] for line in lines[1:]]).T
    assert_float32_close(got, proba)
    assert [line[1] for line in lines[1:]] == [["2", "10"][k] for k in np.argmax(proba, axis=0)]
    assert out.endswith("\n") and "\r" not in out


def test_predict_without_proba_writes_the_labels_only(trained):
    model, data = trained
    status, out, _ = run(["predict", model, data])
    lines = _csv(out)
    assert status == 0 and lines[0] == ["id", "predicted_y"]
    assert len(lines) == len(ROWS) + 1 and all(len(line) == 2 for line in lines)


def test_predict_keep_columns_copies_every_column_verbatim_first(trained, tmp_path):
    model, _ = trained
    data = write(tmp_path / "new.csv", table(["x", "id", "color", "note"],
                                             [["0.10", "007", "red", " a "],
                                              ["0.90", "008", "blue", "TRUE"]]))
    status, out, err = run(["predict", model, data, "--keep-columns"])
    assert status == 0
    assert _csv(out) == [["x", "id", "color", "note", "predicted_y"],
                         ["0.10", "007", "red", " a ", _csv(run(["predict", model, data])[1])[1][1]],
                         ["0.90", "008", "blue", "TRUE", _csv(run(["predict", model, data])[1])[2][1]]]
    assert err == (f"scratchnn: note: {data}: ignoring column(s) {format_names(['note'])}, which "
                   f"the model does not read\n")


def test_predict_notes_an_absent_id_column(trained, tmp_path):
    model, _ = trained
    data = write(tmp_path / "new.csv", table(["x", "color"], [["0.1", "red"], ["0.9", "blue"]]))
    status, out, err = run(["predict", model, data])
    assert status == 0
    assert _csv(out)[0] == ["predicted_y"]
    assert err == f"scratchnn: note: {data}: no id column(s) {format_names(['id'])} to copy\n"


def test_predict_refuses_a_table_without_a_feature_column(trained, tmp_path):
    model, _ = trained
    data = write(tmp_path / "new.csv", table(["id", "x"], [["1", "0.1"]]))
    err = one_line_error(["predict", model, data])
    assert "'color'" in err and str(data) in err


def test_predict_reads_in_chunks_with_one_header_and_counts_over_all_chunks(trained, tmp_path,
                                                                           monkeypatch):
    import scratchnn.tables

    model, data = trained
    whole = run(["predict", model, data, "--proba"])[1]
    rows = [list(r) for r in ROWS]
    rows[1][2], rows[6][2], rows[7][2] = "green", "green", "pink"  # unseen, in three chunks
    rows[0][1], rows[5][1] = "", ""  # missing, in two chunks
    odd = write(tmp_path / "odd.csv", table(HEADER, rows))
    whole_odd = run(["predict", model, odd])
    monkeypatch.setattr(scratchnn.tables, "CHUNK_ROWS", 3)
    assert run(["predict", model, data, "--proba"])[1] == whole
    status, out, err = run(["predict", model, odd])
    assert (status, out, err) == whole_odd
    assert out.count("predicted_y") == 1
    assert err == (
        f"scratchnn: warning: {odd}: cells holding a category not seen in training were encoded "
        f"as all zeros ('color': 3)\n"
        f"scratchnn: warning: {odd}: missing cells were filled as in training (numbers and dates "
        f"with the training value, text as no category): 'x': 2 of 8\n")


def test_predict_warns_of_a_column_empty_on_every_row_and_strict_refuses_it(trained, tmp_path):
    model, _ = trained
    _, _, bundle = load_model(model)
    fill = next(c for c in bundle.columns if c.name == "x").fill_value()
    data = write(tmp_path / "new.csv", table(["id", "x", "color"],
                                             [["1", "", "red"], ["2", "", ""]]))
    status, out, err = run(["predict", model, data])
    assert status == 0 and len(_csv(out)) == 3
    assert err == (
        f"scratchnn: warning: {data}: missing cells were filled as in training (numbers and "
        f"dates with the training value, text as no category): 'color': 1 of 2\n"
        f"scratchnn: warning: {data}: feature column 'x' is empty on every row (filled with the "
        f"training value {fill}), so the predictions rest on the other columns alone; pass "
        f"--strict to refuse such a table\n")
    text = write(tmp_path / "text.csv", table(["x", "color"], [["0.1", ""], ["0.2", ""]]))
    err = run(["predict", model, text])[2]
    assert ("feature column 'color' is empty on every row (encoded as no category), so the "
            "predictions rest on the other columns alone") in err
    assert one_line_error(["predict", model, data, "--strict"]) == (
        f"scratchnn: error: {data}: feature column(s) {format_names(['x'])} are empty on every "
        f"row (--strict); "
        f"the model needs their values\n")
    status, _, err = run(["predict", model, text, "--strict", "--out", tmp_path / "p.csv"])
    assert status == 1 and f"{format_names(['color'])} are empty on every row (--strict)" in err
    assert not (tmp_path / "p.csv").exists()


def test_predict_out_writes_the_file_and_says_so(trained, tmp_path):
    model, data = trained
    out_path = tmp_path / "pred.csv"
    status, out, err = run(["predict", model, data, "--proba", "--out", out_path])
    assert (status, out, err) == (0, f"saved {out_path} ({len(ROWS)} rows)\n", "")
    assert out_path.read_text() == run(["predict", model, data, "--proba"])[1]
    parquet = tmp_path / "pred.parquet"
    assert run(["predict", model, data, "--out", parquet])[0] == 0
    import pandas

    frame = pandas.read_parquet(parquet)
    assert list(frame.columns) == ["id", "predicted_y"] and len(frame) == len(ROWS)
    tsv = tmp_path / "pred.tsv"
    assert run(["predict", model, data, "--out", tsv])[0] == 0
    assert tsv.read_text().splitlines()[0] == "id\tpredicted_y"


def test_predict_out_refusals(trained, tmp_path):
    model, data = trained
    assert one_line_error(["predict", model, data, "--out", data]) == (
        f"scratchnn: error: --out {data} is the same file as DATA {data}; refusing to overwrite "
        f"it\n")
    assert "same file as MODEL" in one_line_error(["predict", model, data, "--out", model])
    assert "--out" in one_line_error(["predict", model, data, "--out", tmp_path / "p.xlsx"])


def test_predict_out_failing_to_write_is_one_line(trained, tmp_path, monkeypatch):
    import scratchnn.tables

    model, data = trained

    def failing(frames, f, fmt):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scratchnn.tables, "write_table", failing)
    out_path = tmp_path / "p.csv"
    assert one_line_error(["predict", model, data, "--out", out_path]) == (
        f"scratchnn: error: --out {out_path}: could not write it (No space left on device); "
        f"nothing was written there\n")

    def reading_fails(frames, f, fmt):
        raise OSError(5, "Input/output error", str(data))

    monkeypatch.setattr(scratchnn.tables, "write_table", reading_fails)
    assert one_line_error(["predict", model, data, "--out", out_path]) == (
        f"scratchnn: error: [Errno 5] Input/output error: '{data}'\n")

    def no_strerror(frames, f, fmt):
        raise OSError("odd")

    monkeypatch.setattr(scratchnn.tables, "write_table", no_strerror)
    assert one_line_error(["predict", model, data, "--out", out_path]) == (
        f"scratchnn: error: --out {out_path}: could not write it (odd); nothing was written "
        f"there\n")
    assert not out_path.exists()


def test_predict_escape_formulas_neutralizes_formula_cells_only(trained, tmp_path):
    model, _ = trained
    cells = ["=1+2", "+x", "-x", "@SUM(A1)", "\tx", "-5", "+1.5", "plain", "a=b"]
    rows = [[cell, "0.5", "red"] for cell in cells]
    data = write(tmp_path / "new.csv", table(["id", "x", "color"], rows))
    status, out, _ = run(["predict", model, data, "--escape-formulas"])
    assert status == 0
    assert [line[0] for line in _csv(out)[1:]] == [
        "'=1+2", "'+x", "'-x", "'@SUM(A1)", "'\tx", "-5", "+1.5", "plain", "a=b"]
    assert [line[0] for line in _csv(run(["predict", model, data])[1])[1:]] == cells
    renamed = write(tmp_path / "named.csv", table(["x", "color", "=cmd"], [["0.5", "red", "-y"]]))
    status, out, _ = run(["predict", model, renamed, "--keep-columns", "--escape-formulas"])
    assert _csv(out) == [["x", "color", "'=cmd", "predicted_y"], ["0.5", "red", "'-y", out.split(
        "\n")[1].split(",")[-1]]]


def test_predict_escape_formulas_leaves_numbers_and_flags_alone(tmp_path):
    import pandas

    from scratchnn.cli import predict

    frame = pandas.DataFrame({"n": [-1, 2], "b": [True, False], "t": ["-a", None],
                              "=h": ["ok", "=x"]})
    escaped = predict._escape_formulas(frame)
    assert list(escaped.columns) == ["n", "b", "t", "'=h"]
    assert escaped["n"].tolist() == [-1, 2] and escaped["b"].tolist() == [True, False]
    assert escaped["t"].tolist()[0] == "'-a" and escaped["t"].isna().tolist() == [False, True] and escaped["'=h"].tolist() == ["ok", "'=x"]
    assert predict._escape_formula("\rx") == "'\rx"
    assert predict._escape_formula("-1e5") == "-1e5"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_predict_to_a_terminal_shows_control_characters_escaped(trained, tmp_path, monkeypatch):
    model, _ = trained
    data = write(tmp_path / "new.csv", table(["id", "x", "color"], [["\x1b[2Jx", "0.5", "red"]]))
    assert _csv(run(["predict", model, data])[1])[1][0] == "\x1b[2Jx"  # a file: verbatim
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    from scratchnn.cli import main

    assert main(["predict", str(model), str(data)]) == 0
    assert _csv(terminal.getvalue())[1][0] == "\\x1b[2Jx"


def test_predict_copies_ids_that_cannot_be_read_twice_the_same_way(trained, tmp_path,
                                                                  monkeypatch):
    import scratchnn.tables

    model, data = trained
    real = scratchnn.tables.iter_table

    def shorter_copy(path, options, dtype=None, verbatim=False):
        for chunk in real(path, options, dtype, verbatim=verbatim):
            yield chunk.iloc[:-1] if verbatim else chunk

    monkeypatch.setattr(scratchnn.tables, "iter_table", shorter_copy)
    assert one_line_error(["predict", model, data]) == (
        f"scratchnn: error: {data}: the rows could not be read the same way twice to copy them "
        f"verbatim (a quoted field after a space?); run without --keep-columns and --id\n")

    def no_copy(path, options, dtype=None, verbatim=False):
        return iter(()) if verbatim else real(path, options, dtype)

    monkeypatch.setattr(scratchnn.tables, "iter_table", no_copy)
    assert "could not be read the same way twice" in one_line_error(["predict", model, data])


# --------------------------------------------------------------------------- evaluate


def _predicted(model, data):
    return [line[1] for line in _csv(run(["predict", model, data])[1])[1:]]


def test_evaluate_reports_accuracy_per_class_scores_and_the_confusion_matrix(trained):
    from scratchnn.metrics import classification_report

    model, data = trained
    status, out, err = run(["evaluate", model, data])
    assert (status, err) == (0, "")
    predicted = _predicted(model, data)
    labels = ["2", "10"]
    matrix = np.zeros((2, 2), dtype=np.int64)
    for row, guess in zip(ROWS, predicted):
        matrix[labels.index(str(row[3])), labels.index(guess)] += 1
    assert out == (f"{model} on {data} ({len(ROWS)} rows, target 'y')\n"
                   f"{classification_report(matrix, labels)}\n")


def test_evaluate_counts_over_chunks_as_over_the_whole_file(trained, monkeypatch):
    import scratchnn.tables

    model, data = trained
    whole = run(["evaluate", model, data])
    monkeypatch.setattr(scratchnn.tables, "CHUNK_ROWS", 3)
    assert run(["evaluate", model, data]) == whole


def test_evaluate_scores_another_target_column(trained, tmp_path):
    model, _ = trained
    rows = [[*row[:3], row[3], 2] for row in ROWS]  # "truth" says 2 everywhere
    data = write(tmp_path / "t.csv", table([*HEADER, "truth"], rows))
    status, out, err = run(["evaluate", model, data, "--target", "truth"])
    n_two = _predicted(model, data).count("2")
    assert status == 0 and f"({len(ROWS)} rows, target 'truth')" in out
    assert f"accuracy: {n_two / len(ROWS):.3f} ({n_two} of {len(ROWS)})" in out
    assert err == ""  # the model's own target column is not "ignored"


def test_evaluate_refuses_a_table_without_the_target(trained, tmp_path):
    model, _ = trained
    data = write(tmp_path / "t.csv", table(["x", "color"], [["0.1", "red"]]))
    assert one_line_error(["evaluate", model, data]) == (
        f"scratchnn: error: {data}: no target column 'y' (--target); the columns are "
        f"{format_names(['x', 'color'])}\n")


def test_evaluate_refuses_or_drops_rows_without_a_label(trained, tmp_path, monkeypatch):
    import scratchnn.tables

    model, _ = trained
    rows = [list(r) for r in ROWS]
    rows[4][3], rows[6][3] = "", ""
    data = write(tmp_path / "t.csv", table(HEADER, rows))
    message = (f"scratchnn: error: {data}: the label column 'y' is empty on 2 row(s) (the first "
               f"on line 6); fill them, or leave those rows out with --drop-missing-target\n")
    assert one_line_error(["evaluate", model, data]) == message
    status, out, err = run(["evaluate", model, data, "--drop-missing-target"])
    assert status == 0 and "(6 rows, target 'y')" in out
    assert err == (f"scratchnn: note: {data}: left out 2 row(s) whose label is empty "
                   f"(--drop-missing-target)\n")
    monkeypatch.setattr(scratchnn.tables, "CHUNK_ROWS", 5)  # the first in the second chunk
    rows[4][3] = 2
    data = write(tmp_path / "t.csv", table(HEADER, rows))
    assert "empty on 1 row(s) (the first on line 8)" in one_line_error(["evaluate", model, data])
    assert run(["evaluate", model, data, "--drop-missing-target"])[1] == \
        run(["evaluate", model, write(tmp_path / "s.csv", table(HEADER, rows[:6] + rows[7:]))]
            )[1].replace(str(tmp_path / "s.csv"), str(data))


def test_evaluate_counts_unseen_labels_as_wrong_with_their_own_row(trained, tmp_path,
                                                                  monkeypatch):
    from scratchnn.metrics import classification_report

    model, _ = trained
    rows = [list(r) for r in ROWS]
    rows[0][3], rows[3][3], rows[5][3] = "7", "7", "ten"
    data = write(tmp_path / "t.csv", table(HEADER, rows))
    predicted = _predicted(model, data)
    labels = ["2", "10", "7", "ten"]
    matrix = np.zeros((4, 4), dtype=np.int64)
    for row, guess in zip(rows, predicted):
        matrix[labels.index(str(row[3])), labels.index(guess)] += 1
    status, out, err = run(["evaluate", model, data])
    assert status == 0
    assert out == (f"{model} on {data} (8 rows, target 'y')\n"
                   f"{classification_report(matrix, labels)}\n")
    assert err == (f"scratchnn: warning: {data}: label(s) the model was not trained on, each "
                   f"counted as a wrong prediction ('7': 2, 'ten': 1 rows)\n")
    import scratchnn.tables

    monkeypatch.setattr(scratchnn.tables, "CHUNK_ROWS", 3)  # new labels met chunk by chunk
    assert run(["evaluate", model, data]) == (status, out, err)


def test_evaluate_strict_and_the_warnings_of_predict(trained, tmp_path):
    model, _ = trained
    rows = [[r[0], "", r[2], r[3]] for r in ROWS]
    data = write(tmp_path / "t.csv", table(HEADER, rows))
    status, _, err = run(["evaluate", model, data])
    assert status == 0 and "feature column 'x' is empty on every row" in err
    assert one_line_error(["evaluate", model, data, "--strict"]).endswith(
        f"feature column(s) {format_names(['x'])} are empty on every row (--strict); the model "
        f"needs their values\n")


def test_evaluate_plot_saves_the_confusion_matrix(trained, tmp_path, monkeypatch):
    import scratchnn.plotting

    model, data = trained
    calls = []
    monkeypatch.setattr(scratchnn.plotting, "plot_confusion_matrix",
                        lambda *args, **kwargs: calls.append((args, kwargs)))
    pytest.importorskip("matplotlib")
    plot = tmp_path / "cm.png"
    status, out, _ = run(["evaluate", model, data, "--plot", plot])
    assert status == 0 and out.endswith(f"saved {plot}\n")
    (matrix, labels, path), kwargs = calls[0]
    assert labels == ["2", "10"] and path == str(plot) and matrix.sum() == len(ROWS)
    accuracy = np.trace(matrix) / len(ROWS)
    assert kwargs == {"title": f"train.csv: accuracy {accuracy:.3f}"}
    assert one_line_error(["evaluate", model, data, "--plot", data]) == (
        f"scratchnn: error: --plot {data} is the same file as DATA {data}; refusing to overwrite "
        f"it\n")


# --------------------------------------------------------------------------- info, export


def test_info_summarizes_the_model_and_its_columns(trained):
    from scratchnn.summary import summary

    model, _ = trained
    network, metadata, bundle = load_model(model)
    status, out, _ = run(["info", model])
    assert status == 0
    expected = summary(network, metadata, title=f"Model: ClassifierNN ({model})")
    expected += "\n\nTask: classification of 'y' (2 labels)"  # y is 2 or 10 in ROWS
    expected += "\n\nColumns:\n" + "\n".join(f"  {line}" for line in bundle.describe())
    assert out == expected + "\n"


def test_info_of_a_plain_network_file_has_no_columns(tmp_path):
    path = tmp_path / "net.npz"
    ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0).save(path)
    status, out, _ = run(["info", path])
    assert status == 0 and f"Model: ClassifierNN ({path})" in out and "Columns:" not in out


def test_export_writes_onnx_for_a_bundle_and_for_a_plain_network(trained, tmp_path, monkeypatch):
    import scratchnn.bundle
    import scratchnn.export

    model, _ = trained
    seen = []
    monkeypatch.setattr(scratchnn.bundle.Bundle, "to_onnx",
                        lambda self, path: seen.append(("bundle", path)))
    monkeypatch.setattr(scratchnn.export, "to_onnx",
                        lambda network, path: seen.append((type(network).__name__, path)))
    onnx = tmp_path / "m.onnx"
    assert run(["export", model, onnx]) == (0, f"saved {onnx}\n", "")
    plain = tmp_path / "net.npz"
    ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0).save(plain)
    assert run(["export", plain, onnx]) == (0, f"saved {onnx}\n", "")
    assert seen == [("bundle", str(onnx)), ("ClassifierNN", str(onnx))]
    assert one_line_error(["export", model, model]) == (
        f"scratchnn: error: MODEL.onnx {model} is the same file as MODEL.npz {model}; refusing "
        f"to overwrite it\n")


# --------------------------------------------------------------------------- datasets, split


def test_datasets_writes_the_files_and_names_them(tmp_path, monkeypatch):
    import scratchnn.example_tables

    calls = []

    def fake(name, out, test=None, new=None, test_size=0.3, seed=0):
        calls.append((name, out, test, new, test_size, seed))
        return {out: 7, test: 3}

    monkeypatch.setattr(scratchnn.example_tables, "write_example_tables", fake)
    status, out, _ = run(["datasets", "moons", "a.csv", "--test", "b.csv"])
    assert (status, out) == (0, "saved a.csv (7 rows)\nsaved b.csv (3 rows)\n")
    assert run(["datasets", "spiral", "a.csv", "--new", "n.csv", "--test-size", "0.5",
                "--seed", "4"])[0] == 0
    assert calls == [("moons", "a.csv", "b.csv", None, 0.3, 0),
                     ("spiral", "a.csv", None, "n.csv", 0.5, 4)]
    for bad in ("0", "1", "x"):
        status, _, err = run(["datasets", "moons", "a.csv", "--test-size", bad])
        assert status == 2 and "argument --test-size" in err
    assert run(["datasets", "nope", "a.csv"])[0] == 2
    assert run(["datasets", "moons", "a.csv", "--seed", "-1"])[0] == 2


def test_split_test_size_is_a_count_or_a_fraction():
    import argparse

    from scratchnn.cli.data import _test_size

    assert _test_size("3") == 3 and type(_test_size("3")) is int
    assert _test_size("1") == 1
    assert _test_size("0.25") == 0.25
    for text, message in [
        ("0", "a count of rows must be >= 1, got 0"),
        ("-2", "a count of rows must be >= 1, got -2"),
        ("1.5", "expected a fraction in (0, 1) such as 0.2, or a whole number of rows such as "
                "30, got '1.5'"),
        ("0.0", "expected a fraction in (0, 1) such as 0.2, or a whole number of rows such as "
                "30, got '0.0'"),
        ("abc", "expected a fraction in (0, 1) such as 0.2, or a whole number of rows such as "
                "30, got 'abc'"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError) as excinfo:
            _test_size(text)
        assert str(excinfo.value) == message
    assert _test_size.__name__ == "test size"


def test_split_writes_both_parts_verbatim(tmp_path):
    data = write(tmp_path / "d.csv", table(HEADER, ROWS))
    train, test = tmp_path / "a.csv", tmp_path / "b.csv"
    status, out, err = run(["split", data, "--test-size", "0.25", "--out-train", train,
                            "--out-test", test, "--seed", "3"])
    assert (status, err) == (0, "")
    assert out == f"saved {train} (6 rows)\nsaved {test} (2 rows)\n"
    got = _csv(train.read_text()) + _csv(test.read_text())[1:]
    assert got[0] == HEADER
    assert sorted(map(tuple, got[1:])) == sorted(tuple(map(str, r)) for r in ROWS)
    other = tmp_path / "c.csv"
    run(["split", data, "--test-size", "2", "--out-train", other, "--out-test", test, "--seed",
         "4"])
    assert other.read_text() != train.read_text()  # the seed is used


def test_split_stratified_and_without_header(tmp_path):
    data = write(tmp_path / "d.csv", table(HEADER, ROWS))
    train, test = tmp_path / "a.csv", tmp_path / "b.csv"
    status, _, _ = run(["split", data, "--test-size", "2", "--out-train", train, "--out-test",
                        test, "--stratify", "y"])
    assert status == 0
    assert sorted(line[3] for line in _csv(test.read_text())[1:]) == ["10", "2"]
    assert "'nope' (--stratify)" in one_line_error(
        ["split", data, "--test-size", "2", "--out-train", train, "--out-test", test,
         "--stratify", "nope"])
    bare = write(tmp_path / "bare.csv", "1,2\n3,4\n5,6\n")
    assert run(["split", bare, "--test-size", "1", "--out-train", train, "--out-test", test,
                "--no-header", "--seed", "1"])[0] == 0
    assert len(train.read_text().splitlines()) + len(test.read_text().splitlines()) == 3


def test_split_refuses_outputs_that_clash(tmp_path):
    data = write(tmp_path / "d.csv", table(HEADER, ROWS))
    a = tmp_path / "a.csv"
    assert one_line_error(["split", data, "--test-size", "2", "--out-train", data,
                           "--out-test", a]) == (
        f"scratchnn: error: --out-train {data} is the same file as DATA {data}; refusing to "
        f"overwrite it\n")
    assert one_line_error(["split", data, "--test-size", "2", "--out-train", a,
                           "--out-test", a]) == (
        f"scratchnn: error: --out-test {a} is the same file as --out-train {a}; refusing to "
        f"overwrite it\n")
    assert "--out-test" in one_line_error(["split", data, "--test-size", "2", "--out-train", a,
                                           "--out-test", tmp_path / "b.xlsx"])
    assert "--out-train" in one_line_error(["split", data, "--test-size", "2", "--out-train",
                                            tmp_path / "b.xlsx", "--out-test", a])
    assert "--test-size" in one_line_error(["split", data, "--test-size", "9", "--out-train", a,
                                            "--out-test", tmp_path / "b.csv"])


def test_split_failing_to_write_is_one_line(tmp_path, monkeypatch):
    import scratchnn.splitting

    data = write(tmp_path / "d.csv", table(HEADER, ROWS))

    def failing(frame, path, fmt, header):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scratchnn.splitting, "write_part", failing)
    a = tmp_path / "a.csv"
    assert one_line_error(["split", data, "--test-size", "2", "--out-train", a, "--out-test",
                           tmp_path / "b.csv"]) == (
        f"scratchnn: error: {a}: could not write it (No space left on device)\n")
    monkeypatch.setattr(scratchnn.splitting, "write_part",
                        lambda frame, path, fmt, header: (_ for _ in ()).throw(OSError("odd")))
    assert one_line_error(["split", data, "--test-size", "2", "--out-train", a, "--out-test",
                           tmp_path / "b.csv"]) == f"scratchnn: error: {a}: could not write it (odd)\n"


def test_split_options_are_required(tmp_path):
    for argv in (["split", "d.csv", "--out-train", "a", "--out-test", "b"],
                 ["split", "d.csv", "--test-size", "2", "--out-test", "b"],
                 ["split", "d.csv", "--test-size", "2", "--out-train", "a"],
                 ["split", "d.csv", "--test-size", "2", "--out-train", "a", "--out-test", "b",
                  "--seed", "-1"]):
        assert run(argv)[0] == 2


# --------------------------------------------------------------------------- demo, playground


@pytest.fixture
def demos(monkeypatch):
    import scratchnn.demo

    calls = []
    for name in ("moons", "circles", "spiral", "iris", "optimizers"):
        def fake(name=name, **kwargs):
            calls.append((name, kwargs))

        monkeypatch.setattr(scratchnn.demo, f"run_{name}_demo", fake)
    return calls


def test_demo_runs_the_named_demo_with_its_options(demos):
    assert run(["demo"]) == (0, "", "")
    assert run(["demo", "spiral", "--out-dir", "o", "--seed", "3", "--quiet"])[0] == 0
    for name in ("circles", "iris", "optimizers", "moons"):
        assert run(["demo", name])[0] == 0
    assert demos == [
        ("moons", {"out_dir": "demo-output", "seed": 0, "print_cost": True}),
        ("spiral", {"out_dir": "o", "seed": 3, "print_cost": False}),
        ("circles", {"out_dir": "demo-output", "seed": 0, "print_cost": True}),
        ("iris", {"out_dir": "demo-output", "seed": 0, "print_cost": True}),
        ("optimizers", {"out_dir": "demo-output", "seed": 0, "print_cost": True}),
        ("moons", {"out_dir": "demo-output", "seed": 0, "print_cost": True}),
    ]


@pytest.mark.parametrize("argv", [["demo", "spirals"], ["demo", "--seed", "-1"],
                                  ["demo", "--seed", "x"]])
def test_demo_usage_errors(demos, argv):
    status, _, err = run(argv)
    assert status == 2 and "usage: scratchnn demo" in err and not demos


@pytest.fixture
def served(monkeypatch):
    import scratchnn.playground

    calls = []

    def fake(host, port, open_browser=True):
        calls.append((host, port, open_browser))
        return 0

    monkeypatch.setattr(scratchnn.playground, "serve", fake)
    return calls


def test_playground_serves_with_its_options(served):
    assert run(["playground"]) == (0, "", "")
    assert run(["playground", "--port", "8123", "--host", "::1", "--no-browser"])[0] == 0
    assert run(["playground", "--port", "65535"])[0] == 0
    assert served == [("127.0.0.1", 0, True), ("::1", 8123, False), ("127.0.0.1", 65535, True)]


@pytest.mark.parametrize("port", ["65536", "-1"])
def test_playground_refuses_a_port_out_of_range(served, port):
    assert one_line_error(["playground", "--port", port]) == (
        f"scratchnn: error: --port must be in 0..65535 (0: a free port), got {port}\n")
    assert served == []
    assert run(["playground", "--port", "x"])[0] == 2


# --------------------------------------------------------------------------- survivors of mutmut


def test_save_model_writes_a_file_load_model_reads(trained, tmp_path):
    from scratchnn.cli import save_model

    model, _ = trained
    network, _, bundle = load_model(model)
    copy = tmp_path / "copy.npz"
    save_model(copy, bundle)
    again, _, loaded = load_model(copy)
    assert loaded.label_names == bundle.label_names and loaded.target == bundle.target
    np.testing.assert_array_equal(again.theta, network.theta)


@pytest.mark.parametrize("text", ["nan", "1.0", "1e0", "inf"])
def test_split_test_size_refuses_a_fraction_that_is_not_in_the_open_interval(text):
    import argparse

    from scratchnn.cli.data import _test_size

    with pytest.raises(argparse.ArgumentTypeError, match="expected a fraction in"):
        _test_size(text)


def test_split_refusals_name_the_option_exactly(tmp_path):
    data = write(tmp_path / "d.csv", table(HEADER, ROWS))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for option, path in (("--out-train", tmp_path / "x.xlsx"), ("--out-test", tmp_path / "y.xlsx")):
        argv = ["split", data, "--test-size", "2", "--out-train", a, "--out-test", b]
        argv[argv.index(option) + 1] = path
        assert one_line_error(argv).startswith(
            f"scratchnn: error: {option} {path}: unknown table format '.xlsx'; ")
    assert one_line_error(["split", data, "--test-size", "9", "--out-train", a, "--out-test",
                           b]).startswith("scratchnn: error: --test-size 9 ")
    rows = [list(r) for r in ROWS] + [["099", "0.5", "red", 7]]
    lonely = write(tmp_path / "l.csv", table(HEADER, rows))
    assert one_line_error(["split", lonely, "--test-size", "2", "--out-train", a, "--out-test",
                           b, "--stratify", "y"]).startswith(
        "scratchnn: error: column 'y' (--stratify): class '7' has only one row")


def test_split_stratify_locates_a_missing_class_by_the_options_reading(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[2][3] = ""
    bare = write(tmp_path / "d.csv", table(HEADER, rows).split("\n", 1)[1])  # no header
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    err = one_line_error(["split", bare, "--test-size", "2", "--out-train", a, "--out-test", b,
                          "--stratify", "4", "--no-header"])
    assert "line 3" in err  # without a header row, the third row is on line 3


def test_split_writes_each_part_in_its_own_format(tmp_path):
    import pandas

    data = write(tmp_path / "d.csv", table(HEADER, ROWS))
    train, test = tmp_path / "a.tsv", tmp_path / "b.parquet"
    assert run(["split", data, "--test-size", "3", "--out-train", train, "--out-test",
                test])[0] == 0
    assert train.read_text().split("\n")[0] == "\t".join(HEADER)
    assert len(pandas.read_parquet(test)) == 3


def test_the_command_lines_exceptions_survive_pickling():
    import pickle

    from scratchnn.cli import _Terminated
    from scratchnn.cli.train import Interrupted

    exc = pickle.loads(pickle.dumps(Interrupted(4, "ck.npz", 2)))
    assert (exc.epochs, exc.checkpoint, exc.every) == (4, "ck.npz", 2)
    assert pickle.loads(pickle.dumps(_Terminated(15))).signum == 15


def test_escaping_and_terminal_output_leave_the_probabilities_as_written(trained, monkeypatch):
    model, data = trained
    plain = run(["predict", model, data, "--proba"])[1]
    assert run(["predict", model, data, "--proba", "--escape-formulas"])[1] == plain
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    from scratchnn.cli import main

    assert main(["predict", str(model), str(data), "--proba"]) == 0
    assert terminal.getvalue() == plain


def test_evaluate_plot_may_not_overwrite_the_model(trained):
    model, data = trained
    assert one_line_error(["evaluate", model, data, "--plot", model]) == (
        f"scratchnn: error: --plot {model} is the same file as MODEL {model}; refusing to "
        f"overwrite it\n")


def test_evaluate_and_predict_read_a_table_as_the_model_was_trained(tmp_path):
    text = table(HEADER, ROWS, sep=";").split("\n", 1)[1]  # ";" and no header
    data = write(tmp_path / "bare.txt", text)
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "4", "--id", "1", "--no-header", "--sep", ";",
                "--out", model, "--epochs", "2", "--val-split", "0", "--quiet"])[0] == 0
    status, out, err = run(["evaluate", model, data])
    assert (status, err) == (0, "") and f"({len(ROWS)} rows, target '4')" in out
    status, out, err = run(["predict", model, data])
    assert (status, err) == (0, "")
    assert _csv(out)[0] == ["1", "predicted_4"] and _csv(out)[1][0] == "007"


def test_evaluate_notes_warnings_and_errors_name_the_file(trained, tmp_path, monkeypatch):
    import scratchnn.tables

    model, _ = trained
    rows = [[*r, "n"] for r in ROWS]
    rows[1][1] = ""
    data = write(tmp_path / "t.csv", table([*HEADER, "extra"], rows))
    status, _, err = run(["evaluate", model, data])
    assert status == 0
    assert err == (
        f"scratchnn: note: {data}: ignoring column(s) {format_names(['extra'])}, which the model "
        f"does not read\n"
        f"scratchnn: warning: {data}: missing cells were filled as in training (numbers and "
        f"dates with the training value, text as no category): 'x': 1 of 8\n")
    rows[5][1] = "abc"
    bad = write(tmp_path / "bad.csv", table([*HEADER, "extra"], rows))
    err = one_line_error(["evaluate", model, bad])
    assert err.startswith(f"scratchnn: error: {bad}, line 7: column 'x' is 'abc', not a number")
    empty = write(tmp_path / "e.csv", table(HEADER, [[r[0], "", r[2], r[3]] for r in ROWS]))
    assert one_line_error(["evaluate", model, empty, "--strict"]) == (
        f"scratchnn: error: {empty}: feature column(s) {format_names(['x'])} are empty on every "
        f"row (--strict); the model needs their values\n")
    rows = [list(r) for r in ROWS]
    rows[1][3], rows[6][3] = "", ""
    gaps = write(tmp_path / "g.csv", table(HEADER, rows))
    monkeypatch.setattr(scratchnn.tables, "CHUNK_ROWS", 5)  # one empty label in each chunk
    assert "is empty on 2 row(s) (the first on line 3)" in one_line_error(
        ["evaluate", model, gaps])


def test_evaluate_compares_labels_by_their_spelling(trained, tmp_path):
    model, _ = trained
    rows = [[*r, "02" if r[3] == 2 else r[3]] for r in ROWS]
    data = write(tmp_path / "t.csv", table([*HEADER, "truth"], rows))
    for target in ("y", "truth"):  # "02" is not the label "2", in the model's column or another
        status, _, err = run(["evaluate", model, data, "--target", target])
        assert status == 0 and ("'02': 4" in err) is (target == "truth")


def test_predict_reads_code_columns_as_text_and_names_bad_cells(tmp_path):
    rows = [[["01", "1", "2"][k % 3], r[1], r[3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "codes.csv", table(["code", "x", "y"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "y", "--categorical", "code", "--out", model,
                "--epochs", "3", "--hidden", "3", "--val-split", "0", "--quiet"])[0] == 0
    import pandas

    _, _, bundle = load_model(model)
    frame = pandas.DataFrame({"code": [r[0] for r in rows], "x": [float(r[1]) for r in rows]})
    X, _, _ = bundle.inputs(frame, "t", str)
    status, out, _ = run(["predict", model, data, "--proba"])
    assert status == 0
    got = np.array([[float(p) for p in line[1:]] for line in _csv(out)[1:]]).T
    assert_float32_close(got, bundle.predict_proba(X))  # "01" and "1" are two categories
    rows[5][1] = "abc"
    bad = write(tmp_path / "bad.csv", table(["code", "x", "y"], rows))
    assert one_line_error(["predict", model, bad]) == (
        f"scratchnn: error: {bad}, line 7: column 'x' is 'abc', not a number\n")
    assert one_line_error(["predict", model, data, "--out", tmp_path / "p.xlsx"]).startswith(
        f"scratchnn: error: --out {tmp_path / 'p.xlsx'}: unknown table format '.xlsx'; ")


def test_tally_joins_the_counts_of_several_columns(capsys):
    from scratchnn.cli.predict import _Tally

    class Bundle:
        columns = []

    tally = _Tally()
    tally.add(2, {"a": 1}, {"c": 1})
    tally.add(3, {"a": 1, "b": 2}, {"c": 1, "d": 2})
    assert (tally.rows, tally.unseen, tally.missing) == (5, {"a": 2, "b": 2}, {"c": 2, "d": 2})
    assert tally.empty_columns() == []
    tally.report(Bundle, "t.csv")
    assert capsys.readouterr().err == (
        "scratchnn: warning: t.csv: cells holding a category not seen in training were encoded "
        "as all zeros ('a': 2, 'b': 2)\n"
        "scratchnn: warning: t.csv: missing cells were filled as in training (numbers and dates "
        "with the training value, text as no category): 'c': 2 of 5, 'd': 2 of 5\n")


def test_evaluate_and_predict_read_numeric_columns_as_numbers_not_text(tmp_path):
    # pandas reads a column of True/False as booleans, which train took as the numbers 1 and 0;
    # read as text, the same cells would be 'True', not a number.
    rows = [[r[1], ["True", "False"][k % 2], r[3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "flags.csv", table(["x", "flag", "y"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "y", "--out", model, "--epochs", "2", "--hidden", "2",
                "--val-split", "0", "--quiet"])[0] == 0
    assert [(c.name, c.kind) for c in load_model(model)[2].columns] == [
        ("x", "numeric"), ("flag", "numeric")]
    status, out, err = run(["predict", model, data])
    assert (status, err) == (0, "") and len(_csv(out)) == len(ROWS) + 1
    status, out, err = run(["evaluate", model, data])
    assert (status, err) == (0, "") and f"({len(ROWS)} rows, target 'y')" in out


# --------------------------------------------------------------------------- evaluate, regression

# Twelve distinct fractional numbers in each target: a regression by the rule of --task auto.
REGRESSION_HEADER = ["x", "color", "a", "b"]
REGRESSION_ROWS = [[f"{k / 11:.3f}", ["red", "blue"][k % 2], f"{(k * 5) % 12 / 4 + 1:.2f}",
                    f"{100 + 3 * k + (k % 3) / 2:.1f}"] for k in range(12)]


@pytest.fixture(scope="module")
def regressions(tmp_path_factory):
    """Two regression models trained on REGRESSION_ROWS (3 epochs) from ``x`` and ``color``: of
    ``a``, and of ``a`` and ``b``; and the table."""
    folder = tmp_path_factory.mktemp("cli-regressions")
    data = write(folder / "r.csv", table(REGRESSION_HEADER, REGRESSION_ROWS))
    models = {}
    for targets in (["a"], ["a", "b"]):
        model = folder / f"{'_'.join(targets)}.npz"
        options = [option for name in targets for option in ("--target", name)]
        if targets == ["a"]:
            options += ["--ignore", "b"]  # both models read x and color only
        status, _, err = run(["train", data, *options, "--out", model, "--epochs", "3",
                              "--hidden", "3", "--val-split", "0", "--quiet"])
        assert status == 0, err
        models[tuple(targets)] = model
    return models, data


def _regression_scores(model, rows, targets, columns=("x", "color")):
    """``{target: (rmse, mae, r2)}`` of the model on ``rows`` (REGRESSION_HEADER's columns,
    the features named ``columns`` in the model), from its predictions and NumPy's formulas."""
    import pandas

    _, _, bundle = load_model(model)
    frame = pandas.DataFrame([[float(r[0]), r[1]] for r in rows], columns=list(columns))
    X, _, _ = bundle.inputs(frame, "t", str)
    P = bundle.predict_values(X)
    scores = {}
    for name, p in zip(targets, P):
        y = np.array([float(r[REGRESSION_HEADER.index(name)]) for r in rows])
        spread = np.sum((y - y.mean()) ** 2)
        r2 = 1 - np.sum((y - p) ** 2) / spread if spread > 0 else np.nan
        scores[name] = (np.sqrt(np.mean((y - p) ** 2)), np.mean(np.abs(y - p)), r2)
    return scores


def _regression_report(out, n_lines):
    """evaluate's table of a regression: checks its header and columns (the names padded to the
    widest, the numbers right-aligned in 12, 12 and 8 characters) and returns
    ``{target: (rmse, mae, r2)}`` (``r2`` None where it prints n/a)."""
    lines = out.rstrip("\n").split("\n")[1:]
    assert len(lines) == n_lines, out
    width = max(len(line.split()[0]) for line in lines if not line.startswith("("))
    assert lines[0] == "target".ljust(width) + "          RMSE           MAE        R2"
    printed = {}
    for line in lines[1:]:
        if line.startswith("("):
            continue
        name, rmse, mae, r2 = line.split()
        assert line == f"{name.ljust(width)}  {rmse:>12}  {mae:>12}  {r2:>8}"
        assert r2 == "n/a" or len(r2.split(".")[1]) == 4  # R2 with 4 decimals
        printed[name] = (float(rmse), float(mae), None if r2 == "n/a" else float(r2))
    return printed


def _assert_scores(printed, expected):
    assert list(printed) == list(expected)
    for name, (rmse, mae, r2) in expected.items():
        np.testing.assert_allclose(printed[name][:2], [rmse, mae], rtol=5e-6)  # %.6g printed
        assert printed[name][2] == pytest.approx(r2, abs=5e-5)


def test_evaluate_of_a_regression_prints_rmse_mae_and_r2_of_its_target(regressions):
    models, data = regressions
    model = models[("a",)]
    status, out, err = run(["evaluate", model, data])
    assert status == 0
    assert err == (f"scratchnn: note: {data}: ignoring column(s) {format_names(['b'])}, which "
                   f"the model does not read\n")
    assert out.startswith(f"{model} on {data} (12 rows, target 'a')\n")
    printed = _regression_report(out, 2)
    _assert_scores(printed, _regression_scores(model, REGRESSION_ROWS, ["a"]))
    assert printed["a"][0] != pytest.approx(printed["a"][1])  # RMSE and MAE, not one twice


def test_evaluate_of_several_targets_adds_their_mean(regressions, monkeypatch):
    import scratchnn.tables

    models, data = regressions
    model = models[("a", "b")]
    status, out, err = run(["evaluate", model, data])
    assert (status, err) == (0, "")
    assert out.startswith(f"{model} on {data} (12 rows, targets ['a', 'b'])\n")
    expected = _regression_scores(model, REGRESSION_ROWS, ["a", "b"])
    expected["mean"] = tuple(np.mean([expected[name][i] for name in "ab"]) for i in range(3))
    _assert_scores(_regression_report(out, 4), expected)
    monkeypatch.setattr(scratchnn.tables, "CHUNK_ROWS", 5)  # the scores merged over chunks
    chunked = run(["evaluate", model, data])
    assert chunked[0] == 0
    _assert_scores(_regression_report(chunked[1], 4), expected)


def test_evaluate_of_a_regression_on_a_constant_target_prints_r2_as_na(regressions, tmp_path):
    models, _ = regressions
    model = models[("a", "b")]
    rows = [[*r[:3], "7.5"] for r in REGRESSION_ROWS]  # b constant: R2 undefined
    data = write(tmp_path / "c.csv", table(REGRESSION_HEADER, rows))
    status, out, err = run(["evaluate", model, data])
    assert (status, err) == (0, "")
    printed = _regression_report(out, 5)
    assert printed["b"][2] is None and printed["a"][2] is not None
    assert out.endswith("\n(R2 n/a: the target is constant on these rows)\n")
    expected = _regression_scores(model, rows, ["a", "b"])
    assert printed["b"][:2] == pytest.approx(expected["b"][:2], rel=5e-6)
    assert printed["mean"][2] is None  # the mean of an undefined R2
    status, out, _ = run(["evaluate", models[("a",)], data])  # a varies: no note
    assert status == 0 and "n/a" not in out


def test_evaluate_of_a_regression_scores_other_columns_named_by_target(regressions, tmp_path):
    models, _ = regressions
    model = models[("a", "b")]
    rows = [[*r[:2], r[3], r[2]] for r in REGRESSION_ROWS]  # the columns swapped
    # A name longer than "target" widens the first column of the table.
    data = write(tmp_path / "s.csv", table(["x", "color", "u", "measured"], rows))
    status, out, err = run(["evaluate", model, data, "--target", "measured", "--target", "u"])
    assert (status, err) == (0, "")
    assert out.startswith(f"{model} on {data} (12 rows, targets ['measured', 'u'])\n")
    printed = _regression_report(out, 4)
    assert out.split("\n")[1].startswith("target    ")
    expected = _regression_scores(model, REGRESSION_ROWS, ["a", "b"])
    _assert_scores({"measured": printed["measured"], "u": printed["u"]},
                   {"measured": expected["a"], "u": expected["b"]})
    assert one_line_error(["evaluate", model, data, "--target", "u"]) == (
        f"scratchnn: error: --target is given 1 time(s); {model} predicts 2 target(s) "
        f"{format_names(['a', 'b'])}, one --target each, in that order\n")


def test_evaluate_of_a_regression_refusals(regressions, tmp_path):
    models, data = regressions
    model = models[("a", "b")]
    assert one_line_error(["evaluate", model, data, "--plot", tmp_path / "c.png"]) == (
        f"scratchnn: error: --plot draws a confusion matrix, which only a classifier has; "
        f"{model} is a regression of {format_names(['a', 'b'])}\n")
    absent = write(tmp_path / "n.csv", table(REGRESSION_HEADER[:3],
                                              [r[:3] for r in REGRESSION_ROWS]))
    assert one_line_error(["evaluate", model, absent]) == (
        f"scratchnn: error: {absent}: no target column(s) {format_names(['b'])} (--target); the "
        f"columns are {format_names(REGRESSION_HEADER[:3])}\n")
    empty = write(tmp_path / "e.csv", table(REGRESSION_HEADER,
                                             [[*r[:2], "", r[3]] for r in REGRESSION_ROWS]))
    assert one_line_error(["evaluate", model, empty, "--drop-missing-target"]) == (
        f"scratchnn: error: {empty}: no row with a target value to evaluate on\n")


def test_evaluate_of_a_regression_refuses_or_drops_rows_without_a_target(regressions, tmp_path,
                                                                         monkeypatch):
    import scratchnn.tables

    models, _ = regressions
    model = models[("a", "b")]
    rows = [list(r) for r in REGRESSION_ROWS]
    rows[4][2], rows[6][3], rows[9][2] = "", "NA", ""
    data = write(tmp_path / "g.csv", table(REGRESSION_HEADER, rows))
    message = (f"scratchnn: error: {data}: the target {format_names(['a', 'b'])} is empty on 3 "
               f"row(s) (the first on line 6); fill them, or leave those rows out with "
               f"--drop-missing-target\n")
    assert one_line_error(["evaluate", model, data]) == message
    with monkeypatch.context() as patch:
        patch.setattr(scratchnn.tables, "CHUNK_ROWS", 5)  # counted over two chunks
        assert one_line_error(["evaluate", model, data]) == message
    status, out, err = run(["evaluate", model, data, "--drop-missing-target"])
    assert status == 0
    assert err == (f"scratchnn: note: {data}: left out 3 row(s) whose target is empty "
                   f"(--drop-missing-target)\n")
    kept = [r for k, r in enumerate(REGRESSION_ROWS) if k not in (4, 6, 9)]
    assert out.startswith(f"{model} on {data} (9 rows, targets ['a', 'b'])\n")
    expected = _regression_scores(model, kept, ["a", "b"])
    expected["mean"] = tuple(np.mean([expected[name][i] for name in "ab"]) for i in range(3))
    _assert_scores(_regression_report(out, 4), expected)
    monkeypatch.setattr(scratchnn.tables, "CHUNK_ROWS", 5)  # the first in the second chunk
    rows[4][2] = REGRESSION_ROWS[4][2]
    data = write(tmp_path / "g.csv", table(REGRESSION_HEADER, rows))
    assert "is empty on 2 row(s) (the first on line 8);" in one_line_error(
        ["evaluate", model, data])


def test_evaluate_of_a_regression_notes_and_warns_of_its_columns(regressions, tmp_path):
    models, _ = regressions
    model = models[("a",)]
    rows = [[*r, "n"] for r in REGRESSION_ROWS]
    rows[1][0] = ""
    data = write(tmp_path / "t.csv", table([*REGRESSION_HEADER, "extra"], rows))
    status, out, err = run(["evaluate", model, data])
    assert status == 0 and out.startswith(f"{model} on {data} (12 rows, target 'a')\n")
    # b is neither a feature nor the target of this model: ignored like "extra".
    assert err == (
        f"scratchnn: note: {data}: ignoring column(s) {format_names(['b', 'extra'])}, which the "
        f"model does not read\n"
        f"scratchnn: warning: {data}: missing cells were filled as in training (numbers and "
        f"dates with the training value, text as no category): 'x': 1 of 12\n")
    empty = write(tmp_path / "e.csv", table(REGRESSION_HEADER,
                                             [["", *r[1:]] for r in REGRESSION_ROWS]))
    assert one_line_error(["evaluate", model, empty, "--strict"]) == (
        f"scratchnn: error: {empty}: feature column(s) {format_names(['x'])} are empty on every "
        f"row (--strict); the model needs their values\n")


def test_info_of_a_regression_names_its_targets(regressions):
    from scratchnn.summary import summary

    models, _ = regressions
    model = models[("a", "b")]
    network, metadata, bundle = load_model(model)
    status, out, _ = run(["info", model])
    assert status == 0
    expected = summary(network, metadata, title=f"Model: RegressorNN ({model})")
    expected += "\n\nTask: regression of 'a', 'b'"
    expected += "\n\nColumns:\n" + "\n".join(f"  {line}" for line in bundle.describe())
    assert out == expected + "\n"


def test_regression_scores_merge_chunks_as_numpy_scores_all_the_rows():
    """RMSE, MAE and R2 accumulated over chunks (empty ones, one row, several) equal NumPy's
    two-pass formulas on all the rows at once, each target on its own, for targets far from 0
    with a small spread (the sum of squared deviations below 1)."""
    import warnings

    from scratchnn.cli.regression import RegressionScores

    rng = np.random.default_rng(3)
    Y = np.array([[1000.0], [-50.0]]) + rng.normal(0, 0.01, (2, 23))
    P = Y + rng.normal(0.002, 0.01, (2, 23))
    scores = RegressionScores(2)
    for start, stop in ((0, 0), (0, 1), (1, 8), (8, 8), (8, 23)):
        scores.add(Y[:, start:stop], P[:, start:stop])
    assert scores.m == 23
    spread = np.sum((Y - Y.mean(axis=1, keepdims=True)) ** 2, axis=1)
    assert np.all(spread < 1)
    np.testing.assert_allclose(scores.rmse(), np.sqrt(np.mean((Y - P) ** 2, axis=1)), rtol=1e-9)
    np.testing.assert_allclose(scores.mae(), np.mean(np.abs(Y - P), axis=1), rtol=1e-9)
    np.testing.assert_allclose(scores.r2(), 1 - np.sum((Y - P) ** 2, axis=1) / spread,
                               rtol=1e-7)
    # A constant target: R2 undefined (NaN), without a warning, even if predicted exactly.
    constant = RegressionScores(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        constant.add(np.array([[2.0, 2.0], [1.0, 3.0]]), np.array([[2.0, 2.0], [1.0, 2.0]]))
        r2 = constant.r2()
    assert np.isnan(r2[0]) and r2[1] == 1 - 1 / 2


def test_evaluate_of_a_classifier_takes_one_target(trained):
    model, data = trained
    assert one_line_error(["evaluate", model, data, "--target", "y", "--target", "x"]) == (
        f"scratchnn: error: --target is given 2 times; {model} is a classifier of one target "
        f"('y')\n")


def test_predict_of_a_regression_writes_each_targets_value(regressions, tmp_path):
    import pandas

    models, data = regressions
    model = models[("a", "b")]
    status, out, err = run(["predict", model, data])
    assert (status, err) == (0, "")
    lines = _csv(out)
    assert lines[0] == ["predicted_a", "predicted_b"] and len(lines) == len(REGRESSION_ROWS) + 1
    _, _, bundle = load_model(model)
    frame = pandas.DataFrame([[float(r[0]), r[1]] for r in REGRESSION_ROWS],
                             columns=["x", "color"])
    X, _, _ = bundle.inputs(frame, "t", str)
    got = np.array([[float(v) for v in line] for line in lines[1:]]).T
    np.testing.assert_allclose(got, bundle.predict_values(X), rtol=1e-6)
    assert one_line_error(["predict", model, data, "--proba"]) == (
        f"scratchnn: error: --proba: {model} is a regression of {format_names(['a', 'b'])}, "
        f"which predicts values, not class probabilities\n")


def test_evaluate_of_a_regression_names_the_file_and_line_of_a_bad_cell(regressions, tmp_path):
    models, _ = regressions
    model = models[("a", "b")]
    rows = [list(r) for r in REGRESSION_ROWS]
    rows[3][0] = "abc"
    data = write(tmp_path / "x.csv", table(REGRESSION_HEADER, rows))
    assert one_line_error(["evaluate", model, data]) == (
        f"scratchnn: error: {data}, line 5: column 'x' is 'abc', not a number\n")
    rows = [list(r) for r in REGRESSION_ROWS]
    rows[5][2] = "cheap"
    data = write(tmp_path / "y.csv", table(REGRESSION_HEADER, rows))
    assert one_line_error(["evaluate", model, data]) == (
        f"scratchnn: error: {data}, line 7: the target 'a' is 'cheap', not a number\n")


def test_evaluate_of_a_regression_reads_the_targets_as_text(regressions, tmp_path):
    # pandas would read True/False as booleans, the numbers 1 and 0; read as text (as train
    # reads a target), they are no numbers: in the model's target column or another one named.
    models, _ = regressions
    model = models[("a", "b")]
    rows = [[*r[:2], ["True", "False"][k % 2], r[3]] for k, r in enumerate(REGRESSION_ROWS)]
    data = write(tmp_path / "f.csv", table(REGRESSION_HEADER, rows))
    assert one_line_error(["evaluate", model, data]) == (
        f"scratchnn: error: {data}, line 2: the target 'a' is 'True', not a number\n")
    rows = [[*r, ["True", "False"][k % 2]] for k, r in enumerate(REGRESSION_ROWS)]
    data = write(tmp_path / "g.csv", table([*REGRESSION_HEADER, "flag"], rows))
    assert one_line_error(["evaluate", model, data, "--target", "a", "--target", "flag"]) == (
        f"scratchnn: error: {data}, line 2: the target 'flag' is 'True', not a number\n")


def test_evaluate_of_a_regression_reads_the_table_as_the_model_was_trained(tmp_path):
    # No header, ";" between cells and decimal commas: evaluate reads the table as train did.
    rows = [[c.replace(".", ",") for c in r] for r in REGRESSION_ROWS]
    data = write(tmp_path / "r.txt", table(REGRESSION_HEADER, rows, sep=";").split("\n", 1)[1])
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "3", "--target", "4", "--no-header",
                          "--sep", ";", "--decimal", ",", "--out", model, "--epochs", "2",
                          "--val-split", "0", "--quiet"])
    assert status == 0, err
    status, out, err = run(["evaluate", model, data])
    assert (status, err) == (0, "")
    assert out.startswith(f"{model} on {data} (12 rows, targets ['3', '4'])\n")
    expected = _regression_scores(model, REGRESSION_ROWS, ["a", "b"], columns=["1", "2"])
    expected = {"3": expected["a"], "4": expected["b"],
                "mean": tuple(np.mean([expected[name][i] for name in "ab"]) for i in range(3))}
    _assert_scores(_regression_report(out, 4), expected)


def test_predict_and_evaluate_refuse_a_plain_network_file(tmp_path):
    path = tmp_path / "net.npz"
    ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0).save(path)
    data = write(tmp_path / "d.csv", table(["x", "z", "y"], [["1", "2", "a"]]))
    for command in ("predict", "evaluate"):
        assert one_line_error([command, path, data]) == (
            f"scratchnn: error: {path} is not a model written by `scratchnn train`: it holds a "
            f"network but no feature names, standardization or label names (save a model with "
            f"`scratchnn train` to use it on tables)\n")
