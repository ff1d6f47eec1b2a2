"""The command line against hostile or huge inputs: outputs safe to open, every output path
distinct, work bounded by the table's size, nothing half-written left by a signal."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cli_run import refusal, run, table, write
from scratchnn.cli import load_model

pandas = pytest.importorskip("pandas")
SRC = Path(__file__).resolve().parents[1] / "src"




@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A model whose labels, id cells and column names carry terminal escapes and formulas."""
    folder = tmp_path_factory.mktemp("hostile")
    rows = [[f"=HYPERLINK(\"http://x\";\"{i}\")", f"{np.sin(i):.3f}",
             "\x1b]0;owned\x07yes" if np.sin(i) > 0 else "-no"] for i in range(60)]
    data = write(folder / "d.csv", table(["key", "x", "label"], rows))
    model = folder / "m.npz"
    status, _, err = run(["train", data, "--target", "label", "--id", "key", "--out", model,
                          "--epochs", 40, "--lr", "0.05", "--val-split", 0, "--quiet"])
    assert status == 0, err
    return {"folder": folder, "data": data, "model": model}


class _Terminal:
    """A stdout that says it is a terminal and keeps what is written."""

    def __init__(self):
        self.parts = []

    def isatty(self):
        return True

    def write(self, text):
        self.parts.append(text)
        return len(text)

    def flush(self):
        pass


def test_item_4_predict_to_a_terminal_escapes_control_characters(hostile, monkeypatch):
    from scratchnn.cli import main

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["predict", str(hostile["model"]), str(hostile["data"])]) == 0
    shown = "".join(terminal.parts)
    assert "\x1b" not in shown and "\x07" not in shown
    assert "\\x1b]0;owned\\x07yes" in shown
    # Into a pipe or a file the cells stay as they are: the data, not a screen.
    status, out, _ = run(["predict", hostile["model"], hostile["data"]])
    assert status == 0 and "\x1b]0;owned\x07yes" in out


def test_item_23_formulas_are_neutralized_on_request_only(hostile):
    out = hostile["folder"] / "p.csv"
    status, _, err = run(["predict", hostile["model"], hostile["data"], "--out", out,
                          "--escape-formulas"])
    assert status == 0, err
    frame = pandas.read_csv(out, dtype=str, keep_default_na=False)
    assert all(key.startswith("'=HYPERLINK(") for key in frame["key"])
    assert set(frame["predicted_label"]) <= {"'-no", "\x1b]0;owned\x07yes"}
    assert "'-no" in set(frame["predicted_label"])
    from scratchnn.cli.predict import _escape_formula

    assert [_escape_formula(c) for c in ["-1.5", "+3", "@SUM(A1)", "\tx", "\rx", "a=b", "=1"]] \
        == ["-1.5", "+3", "'@SUM(A1)", "'\tx", "'\rx", "a=b", "'=1"]
    # Without the flag the cells are copied verbatim.
    status, _, _ = run(["predict", hostile["model"], hostile["data"], "--out", out])
    frame = pandas.read_csv(out, dtype=str, keep_default_na=False)
    assert frame["key"][0] == '=HYPERLINK("http://x";"0")'


@pytest.mark.parametrize("outputs", [
    ["--plot", "p.png", "--checkpoint", "p.png"],
    ["--checkpoint", "m.npz"],
    ["--plot", "m.npz"],
    ["--plot", "sub/../p.png", "--checkpoint", "p.png"],
])
def test_item_6_every_output_path_differs_from_every_other(tmp_path, outputs, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "d.csv", table(["x", "y"], [[i, i % 2] for i in range(20)]))
    status, _, err = run(["train", "d.csv", "--target", "y", "--out", "m.npz", *outputs])
    assert status == 1 and "is the same file as" in err, err
    assert not (tmp_path / "m.npz").exists() and not (tmp_path / "p.png").exists()


def test_item_9_encoding_a_table_is_linear_in_its_columns(monkeypatch):
    """fit_inputs takes each column once from a dict: no DataFrame column is deleted one by one
    (a frame's deletion costs time in its number of columns, so the whole grows with its square)."""
    from scratchnn.bundle import Bundle
    from scratchnn.columns import ColumnTreatment

    deleted = []
    monkeypatch.setattr(pandas.DataFrame, "__delitem__",
                        lambda self, key: deleted.append(key))
    monkeypatch.setattr(pandas.DataFrame, "pop", lambda self, key: deleted.append(key))
    n = 50
    frame = pandas.DataFrame({f"c{j}": np.arange(4.0) * j for j in range(n)})
    bundle = Bundle(None, [ColumnTreatment(f"c{j}", "numeric", 0.0) for j in range(n)], [], [],
                    "y", ["a", "b"], {})
    table = dict(frame.items())
    X = bundle.fit_inputs(table, np.arange(4), 4, "f", str)
    assert deleted == [] and table == {} and X.shape == (4, n)


def test_item_10_a_cap_on_target_classes(tmp_path):
    rows = [[i % 7, f"label{i}"] for i in range(1500)]
    data = write(tmp_path / "d.csv", table(["x", "y"], rows))
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz"])
    assert "the target 'y' holds 1500 distinct labels in 1500 rows, more than --max-classes " \
        "1000" in err and "(--max-classes 1500)" in err
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                   "--max-classes", "10"])
    assert "more than --max-classes 10" in err


def test_item_11_parquet_is_read_by_record_batches(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    import pyarrow.parquet

    from scratchnn import tables

    frame = pandas.DataFrame({"x": np.arange(1000.0), "t": [f"v{i % 3}" for i in range(1000)]})
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, row_group_size=100)
    sizes = []
    original = pyarrow.parquet.ParquetFile.iter_batches

    def iter_batches(self, *args, **kwargs):
        sizes.append(kwargs.get("batch_size"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pyarrow.parquet.ParquetFile, "iter_batches", iter_batches)
    monkeypatch.setattr(pandas, "read_parquet", lambda *a, **k: pytest.fail("read whole"))
    monkeypatch.setattr(tables, "CHUNK_ROWS", 128)
    read = tables.read_table(path)
    assert sizes == [128]
    assert list(read["x"]) == list(frame["x"]) and list(read["t"]) == list(frame["t"])


def _python(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen([sys.executable, "-m", "scratchnn", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_item_12_a_signal_leaves_no_temporary_file(tmp_path, signum):
    rng = np.random.default_rng(0)
    rows = [[f"r{i}", f"{v:.3f}", "ab"[i % 2]] for i, v in enumerate(rng.normal(size=60))]
    train_data = write(tmp_path / "d.csv", table(["key", "x", "y"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", train_data, "--target", "y", "--id", "key", "--out", model,
                "--epochs", 1, "--quiet"])[0] == 0
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("key,x\n")
        for k in range(40):
            f.write("".join(f"r{k}_{i},{i % 97 / 10}\n" for i in range(20_000)))
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    process = _python("predict", model, big, "--keep-columns", "--out", out_folder / "p.csv")
    deadline = time.monotonic() + 60
    while not list(out_folder.iterdir()) and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("predict finished before the signal came")
    assert process.returncode == 128 + signum, err
    assert f"stopped by {signal.Signals(signum).name}" in err
    assert list(out_folder.iterdir()) == []


def test_item_16_export_refuses_statistics_a_float32_graph_cannot_hold(tmp_path):
    pytest.importorskip("onnx")
    from scratchnn.io import load_with_metadata, save

    rows = [[f"{np.sin(i):.3f}", "ab"[i % 2]] for i in range(30)]
    data = write(tmp_path / "d.csv", table(["x", "y"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "y", "--out", model, "--epochs", 1,
                "--quiet"])[0] == 0
    for change in (lambda m: m["feature_scale"].__setitem__(0, 1e-300),
                   lambda m: m["feature_mean"].__setitem__(0, 1e300),
                   lambda m: m["columns"][0].update(fill=1e308)):
        network, metadata = load_with_metadata(model)
        change(metadata)
        bad = tmp_path / "bad.npz"
        save(network, bad, metadata=metadata)
        status, _, err = run(["export", bad, tmp_path / "m.onnx"])
        assert status == 1 and "column 'x': its imputed value or standardization" in err, err
        assert not (tmp_path / "m.onnx").exists()
    _, _, bundle = load_model(str(model))
    bundle.check_float32()  # a trained model's own statistics pass


def test_item_31_binary_list_and_struct_columns_are_refused_by_name(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pandas.DataFrame({
        "blob": [bytes([255, i % 7]) for i in range(30)],
        "tags": [[i % 3, 1] for i in range(30)],
        "meta": [{"a": i % 2} for i in range(30)],
        "x": np.linspace(0, 1, 30), "y": ["a", "b"] * 15})
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    err = refusal(["train", path, "--target", "y", "--out", tmp_path / "m.npz"])
    assert "column 'blob': holds binary data (bytes)" in err
    assert "column 'tags': holds lists" in err
    assert "column 'meta': holds structs" in err
    assert "run instead:" in err and "--ignore blob --ignore tags --ignore meta" in err


def test_item_12_a_signal_in_process_unwinds_and_names_itself(monkeypatch, tmp_path, capsys):
    """The handler main installs turns SIGTERM into an exception that unwinds the command (its
    files' context managers clean up) and is reported with status 128 + 15."""
    from scratchnn import cli
    from scratchnn.cli import model

    def stopped(args):
        signal.raise_signal(signal.SIGTERM)
        pytest.fail("the signal did not interrupt the command")

    monkeypatch.setattr(model, "_run_info", stopped)
    assert cli.main(["info", str(tmp_path / "m.npz")]) == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back


def test_verbatim_copies_refuse_rows_read_differently(tmp_path):
    rows = [[f"r{i}", f"{np.sin(i):.3f}", "ab"[i % 2]] for i in range(30)]
    data = write(tmp_path / "d.csv", table(["key", "x", "y"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "y", "--id", "key", "--out", model, "--epochs", 1,
                "--quiet"])[0] == 0
    # A quoted field after a space spans two lines only when the space is skipped.
    odd = write(tmp_path / "odd.csv", 'key,x\nr1, "0.5\n0.6"\nr2,0.1\n')
    status, _, err = run(["predict", model, odd])
    assert status == 1 and "could not be read the same way twice to copy them verbatim" in err


def test_a_refusal_without_fixes_suggests_no_command():
    import argparse

    from scratchnn.cli.train import TableRefused, _suggested_command
    from scratchnn.columns import ColumnProblem

    problems = [ColumnProblem("x", "cannot be helped")]
    args = argparse.Namespace(argv=["train", "d.csv"])
    assert _suggested_command(args, problems) is None
    assert str(TableRefused("d.csv", problems, None)) == (
        "d.csv: 1 problem(s) to fix before training:\n  - column 'x': cannot be helped")


def test_nullable_numbers_booleans_and_dates_with_impute_error(tmp_path):
    pytest.importorskip("pyarrow")
    frame = pandas.DataFrame({
        "n": pandas.array([1, None, 3, 4] * 10, dtype="Int64"),
        "flag": pandas.array([True, False, None, True] * 10, dtype="boolean"),
        "y": ["a", "b"] * 20})
    path = tmp_path / "d.parquet"
    frame.to_parquet(path)
    model = tmp_path / "m.npz"
    status, _, err = run(["train", path, "--target", "y", "--out", model, "--epochs", 1,
                          "--quiet"])
    assert status == 0, err
    _, _, bundle = load_model(str(model))
    assert [(c.name, c.kind) for c in bundle.columns] == [("n", "numeric"), ("flag", "numeric")]
    assert bundle.columns[0].fill == 3.0 and bundle.columns[1].fill == 1.0
    rows = [[f"2024-01-{1 + i % 28:02d}", "ab"[i % 2]] for i in range(30)]
    data = write(tmp_path / "dates.csv", table(["when", "y"], rows))
    status, _, err = run(["train", data, "--target", "y", "--out", model, "--epochs", 1,
                          "--quiet", "--impute", "error"])
    assert status == 0, err
    status, out, _ = run(["info", model])
    assert "when: date (ISO8601) -> days since 1970-01-01, month, weekday; missing is an error" \
        in out
    status, out, _ = run(["train", data, "--target", "y", "--out", model, "--epochs", 1,
                          "--quiet"])
    status, out, _ = run(["info", model])
    assert "weekday; missing -> 2024-01-" in out


def test_object_text_columns_are_readable_and_a_text_column_needs_training_values(tmp_path):
    from scratchnn.columns import ColumnSettings, _unreadable, fit_columns

    assert _unreadable(pandas.Series(["a", None, "b"], dtype=object)) is None
    assert _unreadable(pandas.Series([1.0, 2.0])) is None
    frame = pandas.DataFrame({"t": pandas.Series([None, None, "a", "b"], dtype="str")})
    treatments, problems, _ = fit_columns(frame, ["t"], np.array([0, 1]), ColumnSettings(),
                                          "f", str)
    assert treatments == [] and [p.line() for p in problems] == [
        "column 't': no value in the training rows (--ignore t)"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("d.zip", None, "is an empty zip archive"),
    ("d.xlsx", "a,b\n1,2\n", "looks like a .xlsx file"),
])
def test_more_files_that_are_not_tables(tmp_path, name, content, message):
    import zipfile

    path = tmp_path / name
    if content is None:
        zipfile.ZipFile(path, "w").close()
    else:
        path.write_text(content)
    status, _, err = run(["train", path, "--target", "a", "--out", tmp_path / "m.npz"])
    assert status == 1 and message in err, err


@pytest.mark.parametrize("option", ["--lr", "--l2", "--clipnorm", "--weight-decay"])
def test_item_26_a_400_digit_number_is_a_usage_error_naming_the_option(tmp_path, option):
    status, _, err = run(["train", tmp_path / "d.csv", "--target", "y", "--out",
                          tmp_path / "m.npz", option, "1" + "0" * 400])
    assert status == 2 and f"argument {option}: expected a finite number" in err
    assert "Traceback" not in err and "OverflowError" not in err
