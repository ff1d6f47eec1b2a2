"""Tests for the scratchnn command line: train, evaluate, predict, info, export and the demos
end to end, exit statuses and one-line errors, entry points."""

import contextlib
import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.cli import load_model, main
from scratchnn.datasets import make_moons, make_spiral
from tolerances import assert_labels_agree

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run `scratchnn demo --quiet` once (it trains for 200 epochs) for the tests below."""
    pytest.importorskip("matplotlib")
    out_dir = tmp_path_factory.mktemp("demo") / "nested" / "out"  # parents are created too
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["demo", "--out-dir", str(out_dir), "--quiet"])
    return status, stdout.getvalue(), out_dir


def _printed_accuracy(stdout, which):
    match = re.search(rf"^{which} accuracy: ([0-9.]+)$", stdout, re.MULTILINE)
    assert match, f"no '{which} accuracy' line in the demo output"
    return float(match.group(1))


# --------------------------------------------------------------------------- demo


def test_demo_succeeds(demo_run):
    status, _, _ = demo_run
    assert status == 0


@pytest.mark.parametrize("name", ["moons_costs.png", "moons_decision_boundary.png"])
def test_demo_saves_png_files(demo_run, name):
    _, stdout, out_dir = demo_run
    path = out_dir / name
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert str(path) in stdout  # the user is told where it went


def test_demo_reaches_the_accuracy_floor(demo_run):
    _, stdout, _ = demo_run
    assert _printed_accuracy(stdout, "test") >= 0.97
    assert _printed_accuracy(stdout, "train") >= 0.97


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("argv", [
    ["bogus"],
    [],
    ["demo", "spirals"],
    ["demo", "--seed", "abc"],
    ["demo", "--no-such-option"],
])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    assert "usage: scratchnn" in capsys.readouterr().err


def test_unusable_out_dir_is_a_one_line_error(tmp_path, capsys):
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("in the way")
    status = main(["demo", "--out-dir", str(not_a_dir / "out"), "--quiet"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("scratchnn: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_seed_value_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", "--out-dir", str(tmp_path), "--seed", "-1", "--quiet"])
    assert excinfo.value.code == 2
    assert "argument --seed: must be in [0, inf), got -1" in capsys.readouterr().err


# --------------------------------------------------------------------------- entry points


def test_help_exits_0(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--help"])
    assert excinfo.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_version(capsys):
    from scratchnn import __version__

    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out.strip() == f"scratchnn {__version__}"


def test_python_dash_m_help():
    result = subprocess.run(
        [sys.executable, "-m", "scratchnn", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "usage: scratchnn" in result.stdout
    assert "demo" in result.stdout


def test_console_script_help():
    script = Path(sys.executable).parent / "scratchnn"
    if not script.exists():
        pytest.skip("scratchnn console script not installed next to this Python")
    result = subprocess.run([str(script), "demo", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "--out-dir" in result.stdout


def test_seed_import_path_still_works():
    from classifier_nn import ClassifierNN
    from scratchnn import ClassifierNN as Canonical

    assert ClassifierNN is Canonical


# --------------------------------------------------------------------------- CSV fixtures

COLOURS = ["red", "green", "blue"]


def run(argv):
    """Run the command line in-process; return (status, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main([str(a) for a in argv])
    return status, stdout.getvalue(), stderr.getvalue()


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv_rows(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture(scope="module")
def spiral(tmp_path_factory):
    """A 3-class CSV with string labels, the target between the features, and a model of it."""
    folder = tmp_path_factory.mktemp("spiral")
    X, y = make_spiral(n_samples=300, n_classes=3, noise=0.1, seed=0)
    # Features on very different scales: standardization has work to do.
    X = X * [100.0, 0.01] + [1000.0, -5.0]
    data = write_csv(folder / "spiral.csv", ["x1", "colour", "x2"],
                     [[repr(float(a)), COLOURS[k], repr(float(b))] for (a, b), k in zip(X, y)])
    model = folder / "spiral.npz"
    status, out, err = run(["train", data, "--target", "colour", "--out", model, "--hidden", 32,
                            32, "--epochs", 150, "--batch-size", 32, "--lr", 0.01, "--seed", 0,
                            "--no-early-stopping"])
    assert status == 0, err
    return {"data": data, "model": model, "X": X, "y": y, "out": out, "err": err,
            "folder": folder}


@pytest.fixture(scope="module")
def moons(tmp_path_factory):
    """A binary CSV (labels 'no'/'yes') and a model trained with batch norm and dropout."""
    folder = tmp_path_factory.mktemp("moons")
    X, y = make_moons(n_samples=300, noise=0.1, seed=1)
    data = write_csv(folder / "moons.csv", ["u", "v", "answer"],
                     [[repr(float(a)), repr(float(b)), ["no", "yes"][k]]
                      for (a, b), k in zip(X, y)])
    model = folder / "moons.npz"
    curves = folder / "curves.png"
    status, out, err = run(["train", data, "--target", "answer", "--out", model, "--hidden", 16,
                            16, "--epochs", 60, "--batch-norm", "--dropout", 0.1, "--l2", 0.01,
                            "--optimizer", "adam", "--activation", "tanh", "--plot", curves,
                            "--quiet"])
    assert status == 0, err
    return {"data": data, "model": model, "X": X, "y": y, "out": out, "err": err,
            "curves": curves, "folder": folder}


# --------------------------------------------------------------------------- train


def test_train_reports_accuracy_and_saves_one_model_file(spiral):
    out = spiral["out"]
    train = float(re.search(r"^train accuracy: ([0-9.]+) \(240 rows\)$", out, re.M).group(1))
    val = float(re.search(r"^validation accuracy: ([0-9.]+) \(60 rows\)$", out, re.M).group(1))
    assert train >= 0.9 and val >= 0.85
    assert f"saved {spiral['model']}" in out
    network, metadata, model = load_model(str(spiral["model"]))
    assert network.layer_dims == [2, 32, 32, 3]
    assert network.activations == ["relu", "relu", "softmax"]
    assert model.feature_names == ["x1", "x2"]
    assert model.target == "colour"
    assert model.label_names == ["blue", "green", "red"]
    # The standardization is that of the 240 training rows: near the data's own statistics.
    np.testing.assert_allclose(model.mean, spiral["X"].mean(axis=0), rtol=0.05)
    np.testing.assert_allclose(model.scale, spiral["X"].std(axis=0), rtol=0.1)
    assert metadata["training"]["epochs"] == 150
    assert metadata["training"]["optimizer"] == "adam"
    assert len(metadata["costs"]) == 150
    assert metadata["costs"][-1] < metadata["costs"][0]


def test_train_progress_bar_shows_epoch_cost_and_validation_accuracy(spiral):
    err = spiral["err"]
    assert "150/150" in err and "cost=" in err and "val_acc=" in err


def test_train_records_validation_history_per_epoch(spiral):
    _, metadata, _ = load_model(str(spiral["model"]))
    assert metadata["val_costs"].shape == metadata["val_accuracy"].shape == (150,)
    assert metadata["val_accuracy"][-1] == pytest.approx(
        metadata["training"]["validation_accuracy"])


def test_train_binary_with_batch_norm_dropout_and_plot(moons):
    network, metadata, model = load_model(str(moons["model"]))
    assert network.layer_dims == [2, 16, 16, 1] and network.batch_norm
    assert network.activations == ["tanh", "tanh", "sigmoid"]
    assert model.label_names == ["no", "yes"]
    assert metadata["training"]["dropout"] == 0.1 and metadata["training"]["l2"] == 0.01
    assert moons["err"] == ""  # --quiet: no progress bar
    assert moons["curves"].read_bytes()[:8] == PNG_MAGIC
    assert f"saved {moons['curves']}" in moons["out"]


def test_train_without_validation_split(tmp_path, moons):
    status, out, _ = run(["train", moons["data"], "--target", "answer", "--out",
                          tmp_path / "m.npz", "--val-split", 0, "--epochs", 3, "--quiet"])
    assert status == 0
    assert "validation accuracy" not in out
    assert "(300 rows)" in out


def test_train_is_reproducible(tmp_path, moons):
    for name in ("a.npz", "b.npz"):
        assert run(["train", moons["data"], "--target", "answer", "--out", tmp_path / name,
                    "--epochs", 5, "--dropout", 0.2, "--seed", 3, "--quiet"])[0] == 0
    a, b = ClassifierNN.load(tmp_path / "a.npz"), ClassifierNN.load(tmp_path / "b.npz")
    for name in a.parameters:
        np.testing.assert_array_equal(a.parameters[name], b.parameters[name])


# --------------------------------------------------------------------------- evaluate


def test_evaluate_prints_accuracy_report_and_confusion_matrix(spiral):
    status, out, _ = run(["evaluate", spiral["model"], spiral["data"], "--target", "colour"])
    assert status == 0
    network, _, model = load_model(str(spiral["model"]))
    X = ((spiral["X"] - model.mean) / model.scale).T
    predicted = network.predict(X)[0]
    truth = np.array([model.label_names.index(COLOURS[k]) for k in spiral["y"]])
    accuracy = np.mean(predicted == truth)
    assert f"accuracy: {accuracy:.3f} ({int(np.sum(predicted == truth))} of 300)" in out
    for label in model.label_names:
        assert re.search(rf"^{label}\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}\s+[01]\.\d{{3}}\s+100$", out,
                         re.M)
    # The matrix rows: true label, then the counts of each prediction.
    rows = out.split("confusion matrix")[1].splitlines()[2:]
    counts = np.array([[int(n) for n in row.split()[1:]] for row in rows])
    assert counts.sum() == 300 and np.trace(counts) == int(np.sum(predicted == truth))


def test_evaluate_defaults_to_the_trained_target_and_plots(tmp_path, moons):
    plot = tmp_path / "confusion.png"
    status, out, _ = run(["evaluate", moons["model"], moons["data"], "--plot", plot])
    assert status == 0
    assert "target 'answer'" in out and "macro avg" in out
    assert plot.read_bytes()[:8] == PNG_MAGIC


def test_evaluate_scores_an_unseen_label_as_wrong_on_its_own_row(tmp_path, moons):
    data = write_csv(tmp_path / "d.csv", ["u", "v", "answer"], [[0.1, 0.2, "no"],
                                                                 [0.3, 0.4, "maybe"]])
    status, out, err = run(["evaluate", moons["model"], data])
    assert status == 0, err
    assert "label(s) the model was not trained on, each counted as a wrong prediction " \
        "('maybe': 1 rows)" in err
    # Its own row in the report, with a support of 1 and nothing right; the accuracy counts it.
    assert re.search(r"^maybe +0\.000 +0\.000 +0\.000 +1$", out, re.M), out
    assert re.search(r"^accuracy: 0\.\d+ \([01] of 2\)$", out, re.M), out


# --------------------------------------------------------------------------- predict


def test_predict_writes_one_label_per_row_in_order(spiral):
    status, out, _ = run(["predict", spiral["model"], spiral["data"]])
    assert status == 0
    rows = read_csv_rows(out)
    assert rows[0] == ["predicted_colour"]
    assert len(rows) == 301
    network, _, model = load_model(str(spiral["model"]))
    expected = network.predict(((spiral["X"] - model.mean) / model.scale).T)[0]
    assert [row[0] for row in rows[1:]] == [model.label_names[k] for k in expected]


def test_predict_proba_columns_sum_to_one_and_agree_with_the_label(tmp_path, spiral):
    out_path = tmp_path / "pred.csv"
    status, out, _ = run(["predict", spiral["model"], spiral["data"], "--proba", "--out",
                          out_path])
    assert status == 0 and f"saved {out_path} (300 rows)" in out
    rows = read_csv_rows(out_path.read_text())
    assert rows[0] == ["predicted_colour", "proba_blue", "proba_green", "proba_red"]
    proba = np.array([[float(p) for p in row[1:]] for row in rows[1:]])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    labels = np.array(["blue", "green", "red"])[proba.argmax(axis=1)]
    assert list(labels) == [row[0] for row in rows[1:]]


def test_predict_binary_gives_both_class_probabilities(moons):
    status, out, _ = run(["predict", moons["model"], moons["data"], "--proba"])
    assert status == 0
    rows = read_csv_rows(out)
    assert rows[0] == ["predicted_answer", "proba_no", "proba_yes"]
    accuracy = np.mean([row[0] == ["no", "yes"][k] for row, k in zip(rows[1:], moons["y"])])
    assert accuracy >= 0.95
    for row in rows[1:]:
        assert float(row[1]) + float(row[2]) == pytest.approx(1.0, abs=1e-5)
        assert row[0] == ("yes" if float(row[2]) > 0.5 else "no")


def test_predict_matches_columns_by_name(tmp_path, spiral):
    # Same data, columns reordered and the target left out: the same predictions.
    X = spiral["X"]
    data = write_csv(tmp_path / "reordered.csv", ["x2", "x1"],
                     [[repr(float(b)), repr(float(a))] for a, b in X])
    _, expected, _ = run(["predict", spiral["model"], spiral["data"]])
    status, out, _ = run(["predict", spiral["model"], data])
    assert status == 0
    assert out == expected


@pytest.mark.parametrize(("header", "row", "match"), [
    (["x1"], [1.0], r"missing feature column\(s\) \['x2'\]; the file has \['x1'\]"),
    (["x1", "x2"], [1.0, "abc"], r"line 2: column 'x2' is 'abc', not a number"),
    (["x1", "x2"], [1.0, "inf"], r"line 2: column 'x2' is 'inf'; infinite values"),
])
def test_predict_column_errors_name_file_and_column(tmp_path, spiral, header, row, match):
    data = write_csv(tmp_path / "bad.csv", header, [row])
    status, out, err = run(["predict", spiral["model"], data])
    assert status == 1 and out == ""
    assert err.startswith(f"scratchnn: error: {data}")
    assert re.search(match, err)
    assert err.count("\n") == 1 and "Traceback" not in err


# --------------------------------------------------------------------------- info


def test_info_summarizes_layers_parameters_and_training(moons):
    status, out, _ = run(["info", moons["model"]])
    assert status == 0
    network = ClassifierNN.load(moons["model"])
    # W (32), gamma and beta (32) and the running mean and variance (32), as Keras counts them
    assert re.search(r"^dense_1\s+\(None, 16\)\s+tanh\s+96\s", out, re.M)
    assert re.search(r"^dense_3 \(output\)\s+\(None, 1\)\s+sigmoid\s+17\s", out, re.M)
    assert f"Trainable params: {network.n_parameters:,}" in out
    assert "Non-trainable params: 64 (batch-norm running statistics)" in out
    assert f"Total params: {network.n_parameters + 64:,}" in out
    for text in ("features", "u, v", "labels", "no, yes", "optimizer", "adam", "dropout", "0.1",
                 "batch norm", "yes", "target column", "answer"):
        assert text in out


def test_info_on_a_plain_model_file(tmp_path):
    nn = ClassifierNN([4, 3, 2], ["relu", "softmax"], seed=0)
    nn.save(tmp_path / "plain.npz")
    status, out, _ = run(["info", tmp_path / "plain.npz"])
    assert status == 0
    assert f"Total params: {nn.n_parameters}" in out
    assert "Training:" not in out


# --------------------------------------------------------------------------- export


def test_export_includes_the_standardization(tmp_path, spiral):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    path = tmp_path / "spiral.onnx"
    status, out, _ = run(["export", spiral["model"], path])
    assert status == 0 and f"saved {path}" in out
    network, _, model = load_model(str(spiral["model"]))
    raw = spiral["X"][:50]
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, got = session.run(None, {"x1": raw[:, :1].astype(np.float32),
                                     "x2": raw[:, 1:].astype(np.float32)})
    expected = network.predict_proba(((raw - model.mean) / model.scale).T).T
    # float32 input: the features near 1000 are rounded to ~6e-5 before standardizing.
    assert np.max(np.abs(got - expected)) <= 1e-4
    # So a label may differ from NumPy's only where two probabilities are that close.
    assert_labels_agree(labels, [model.label_names[k] for k in expected.argmax(axis=1)],
                        expected, model.label_names, margin=2e-4)


def test_export_of_a_plain_model_file(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    nn.save(tmp_path / "plain.npz")
    assert run(["export", tmp_path / "plain.npz", tmp_path / "plain.onnx"])[0] == 0
    X = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    session = ort.InferenceSession(str(tmp_path / "plain.onnx"),
                                   providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": X})[0],
                               nn.predict_proba(X.T.astype(np.float64)).T, atol=1e-5)


# --------------------------------------------------------------------------- data and model errors


def one_line_error(argv):
    status, _, err = run(argv)
    assert status == 1
    assert err.startswith("scratchnn: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_train_data_errors_name_the_file_and_column(tmp_path):
    out = tmp_path / "m.npz"
    missing = tmp_path / "missing.csv"
    assert str(missing) in one_line_error(["train", missing, "--target", "y", "--out", out])
    data = write_csv(tmp_path / "d.csv", ["a", "b"], [[1, "x"], [2, "y"]])
    err = one_line_error(["train", data, "--target", "c", "--out", out])
    assert "no column 'c' (--target)" in err and "['a', 'b']" in err
    mixed = write_csv(tmp_path / "mixed.csv", ["a", "b"], [[1, "x"], [2, "3"], [3, "4"]])
    status, _, err = run(["train", mixed, "--target", "a", "--out", out])
    assert status == 1 and "column 'b': 1 cell(s) are not numbers ('x'; first on line 2)" in err
    single = write_csv(tmp_path / "single.csv", ["a", "y"], [[1, "x"], [2, "x"]])
    assert "holds one label only ('x')" in one_line_error(
        ["train", single, "--target", "y", "--out", out])
    only_target = write_csv(tmp_path / "t.csv", ["y"], [["x"], ["z"]])
    assert "no feature columns" in one_line_error(
        ["train", only_target, "--target", "y", "--out", out])
    empty_label = write_csv(tmp_path / "e.csv", ["a", "y"], [[1, "x"], [2, " "], [3, "z"]])
    status, _, err = run(["train", empty_label, "--target", "y", "--out", out])
    assert status == 1 and "the target 'y' is empty on 1 row(s) (the first on line 3)" in err
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,y\n1,x\n2,z,5\n")
    assert "line 3, saw 3" in one_line_error(["train", ragged, "--target", "y", "--out", out])
    assert not out.exists()


def test_train_output_folder_must_exist_before_training(tmp_path, moons):
    out = tmp_path / "no" / "such" / "m.npz"
    err = one_line_error(["train", moons["data"], "--target", "answer", "--out", out])
    assert "--out" in err and "does not exist" in err


def test_model_file_errors(tmp_path, spiral):
    not_model = tmp_path / "model.npz"
    not_model.write_text("hello")
    assert "is not a scratchnn model file" in one_line_error(
        ["predict", not_model, spiral["data"]])
    assert "nope.npz" in one_line_error(["info", tmp_path / "nope.npz"])
    plain = tmp_path / "plain.npz"
    ClassifierNN([2, 3, 3], ["relu", "softmax"], seed=0).save(plain)
    err = one_line_error(["predict", plain, spiral["data"]])
    assert "not a model written by `scratchnn train`" in err and str(plain) in err
    assert "scratchnn train" in one_line_error(["evaluate", plain, spiral["data"]])


@pytest.mark.parametrize("argv", [
    ["train", "d.csv", "--out", "m.npz"],                       # no --target
    ["train", "d.csv", "--target", "y"],                        # no --out
    ["train", "d.csv", "--target", "y", "--out", "m", "--epochs", "0"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--epochs", "2.5"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--lr", "0"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--lr", "nan"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--l2", "-1"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--dropout", "1"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--val-split", "1.5"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--hidden", "0"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--hidden"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--activation", "swish"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--optimizer", "sgd"],
    ["train", "d.csv", "--target", "y", "--out", "m", "--batch-size", "-4"],
    ["evaluate", "m.npz"],
    ["predict", "m.npz"],
    ["predict", "m.npz", "d.csv", "--bogus"],
    ["info"],
    ["export", "m.npz"],
])
def test_csv_command_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert "usage: scratchnn" in err


def test_usage_error_names_the_option(capsys):
    with pytest.raises(SystemExit):
        main(["train", "d.csv", "--target", "y", "--out", "m", "--dropout", "1"])
    assert "argument --dropout: must be in [0, 1), got 1" in capsys.readouterr().err


def test_console_script_runs_a_csv_command(spiral):
    result = subprocess.run([sys.executable, "-m", "scratchnn", "info", str(spiral["model"])],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert "dense_3 (output)" in result.stdout
    result = subprocess.run([sys.executable, "-m", "scratchnn", "predict", "missing.npz",
                             str(spiral["data"])], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("scratchnn: error: ") and "missing.npz" in result.stderr


# --------------------------------------------------------------------------- other demos


@pytest.mark.parametrize(("name", "files", "floor"), [
    ("circles", ["circles_costs.png", "circles_decision_boundary.png"], 0.95),
    ("spiral", ["spiral_costs.png", "spiral_decision_boundary.png"], 0.95),
    ("iris", ["iris_costs.png", "iris_confusion_matrix.png"], 0.9),
])
def test_demos_train_and_save_their_pictures(tmp_path, name, files, floor):
    pytest.importorskip("matplotlib")
    if name == "iris":
        pytest.importorskip("sklearn")
    status, out, _ = run(["demo", name, "--out-dir", tmp_path, "--quiet"])
    assert status == 0
    assert _printed_accuracy(out, "test") >= floor
    for file in files:
        assert (tmp_path / file).read_bytes()[:8] == PNG_MAGIC
        assert str(tmp_path / file) in out


def test_optimizers_demo_writes_png_and_animated_gif(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    status, out, _ = run(["demo", "optimizers", "--out-dir", tmp_path])
    assert status == 0
    for name in ("gd", "momentum", "rmsprop", "adam"):
        assert re.search(rf"^\s*{name}: final cost 0\.\d+$", out, re.M)
    assert (tmp_path / "optimizers.png").read_bytes()[:8] == PNG_MAGIC
    with Image.open(tmp_path / "optimizers.gif") as gif:
        assert gif.format == "GIF" and gif.is_animated and gif.n_frames > 10
