"""The command line on real tables: any delimiter, compression, Parquet, missing values, text and
id columns, joinable predictions, chunked reading; and outputs that cannot destroy inputs."""

import bz2
import gzip
import io
import os
import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from cli_run import one_line_error, refusal, run, write
from scratchnn.cli import load_model
from scratchnn.datasets import make_moons
from tolerances import assert_float32_close, assert_labels_agree

pandas = pytest.importorskip("pandas")




def csv_text(header, rows, sep=","):
    return "\n".join(sep.join(str(c) for c in row) for row in [header, *rows]) + "\n"


# --------------------------------------------------------------------------- one dataset, many files


@pytest.fixture(scope="module")
def moons(tmp_path_factory):
    """Moons with an id column, a text column that matters, and a model trained on them."""
    folder = tmp_path_factory.mktemp("moons")
    X, y = make_moons(n_samples=300, noise=0.1, seed=3)
    # A text column that carries part of the signal: the sign of the second feature.
    side = np.where(X[:, 1] > 0.25, "up", "down")
    rows = [[f"r{i:04d}", f"{a:.6f}", f"{b:.6f}", s, ["no", "yes"][k]]
            for i, ((a, b), s, k) in enumerate(zip(X, side, y))]
    header = ["row_key", "u", "v", "side", "answer"]
    data = write(folder / "moons.csv", csv_text(header, rows))
    model = folder / "moons.npz"
    status, out, err = run(["train", data, "--target", "answer", "--id", "row_key", "--out",
                            model, "--hidden", 16, 16, "--epochs", 80, "--quiet"])
    assert status == 0, err
    return {"folder": folder, "data": data, "model": model, "header": header, "rows": rows,
            "y": y, "out": out, "err": err}


def predictions(model, data, *options):
    status, out, err = run(["predict", model, data, "--proba", *options])
    assert status == 0, err
    return pandas.read_csv(io.StringIO(out), dtype={"row_key": str})


def test_predict_writes_ids_then_predicted_target_then_probabilities(moons):
    frame = predictions(moons["model"], moons["data"])
    assert list(frame.columns) == ["row_key", "predicted_answer", "proba_no", "proba_yes"]
    assert list(frame["row_key"]) == [row[0] for row in moons["rows"]]  # leading zeros kept
    # proba_no is 1 - proba_yes rounded to float32, and both went through CSV text: three
    # roundings, each at most half a float32 unit below 1 (2**-25), under 2**-23 in all.
    np.testing.assert_allclose(frame["proba_no"] + frame["proba_yes"], 1.0, rtol=0,
                               atol=2 ** -23)
    accuracy = np.mean(frame["predicted_answer"] == np.array(["no", "yes"])[moons["y"]])
    assert accuracy >= 0.95


def test_the_id_column_is_not_a_feature(moons):
    _, metadata, bundle = load_model(str(moons["model"]))
    assert bundle.id_columns == ["row_key"]
    assert "row_key" not in bundle.column_names
    assert bundle.feature_names == ["u", "v", "side=down", "side=up"]


def _variants(moons, folder):
    """The moons table written as spreadsheets and exports write it, with the options to read."""
    header, rows = moons["header"], moons["rows"]
    plain = csv_text(header, rows)
    comma_decimal = csv_text(header, [[c.replace(".", ",") for c in row] for row in rows], ";")
    quoted = "\n".join(",".join(f'"{c}"' for c in row) for row in [header, *rows]) + "\n"
    yield "bom-crlf", write(folder / "bom.csv", "\ufeff" + plain, "\r\n"), []
    yield "quoted", write(folder / "quoted.csv", quoted), []
    yield "semicolon-decimal-comma", write(folder / "semi.csv", comma_decimal), ["--decimal", ","]
    yield "tsv", write(folder / "data.tsv", csv_text(header, rows, "\t")), []
    yield "pipe", write(folder / "pipe.txt", csv_text(header, rows, "|")), []
    yield "forced-sep", write(folder / "forced.txt", csv_text(header, rows, ";")), ["--sep", ";"]
    (folder / "data.csv.gz").write_bytes(gzip.compress(plain.encode()))
    yield "gzip", folder / "data.csv.gz", []
    (folder / "data.csv.bz2").write_bytes(bz2.compress(plain.encode()))
    yield "bz2", folder / "data.csv.bz2", []
    with zipfile.ZipFile(folder / "data.zip", "w") as archive:
        archive.writestr("data.csv", plain)
    yield "zip", folder / "data.zip", []
    no_header = write(folder / "noheader.csv", csv_text(header, rows).split("\n", 1)[1])
    yield "no-header", no_header, ["--no-header"]
    pytest.importorskip("pyarrow")
    frame = pandas.read_csv(io.StringIO(plain), dtype={"row_key": str})
    frame.to_parquet(folder / "data.parquet")
    yield "parquet", folder / "data.parquet", []


def test_every_spelling_of_the_table_gives_the_same_predictions(moons, tmp_path):
    expected = predictions(moons["model"], moons["data"])
    for name, path, options in _variants(moons, tmp_path):
        if name == "no-header":
            # Columns named by position: a model trained on such a file reads them.
            model = tmp_path / "positional.npz"
            status, _, err = run(["train", path, "--target", 5, "--id", 1, "--no-header",
                                  "--out", model, "--hidden", 16, 16, "--epochs", 80, "--quiet"])
            assert status == 0, err
            got = predictions(model, path, "--no-header")
            assert list(got.columns) == ["1", "predicted_5", "proba_no", "proba_yes"]
            np.testing.assert_allclose(got["proba_yes"], expected["proba_yes"], atol=1e-12,
                                       err_msg=name)
            continue
        got = predictions(moons["model"], path, *options)
        assert list(got["row_key"]) == list(expected["row_key"]), name
        assert list(got["predicted_answer"]) == list(expected["predicted_answer"]), name
        np.testing.assert_allclose(got["proba_yes"], expected["proba_yes"], atol=1e-12,
                                   err_msg=name)


def test_predict_and_evaluate_read_in_chunks_with_the_same_result(moons, monkeypatch):
    from scratchnn import tables

    whole = predictions(moons["model"], moons["data"])
    report = run(["evaluate", moons["model"], moons["data"]])
    monkeypatch.setattr(tables, "CHUNK_ROWS", 7)
    chunked = predictions(moons["model"], moons["data"])
    chunked_report = run(["evaluate", moons["model"], moons["data"]])
    # The same rows in the same order, and the same labels. The float32 probabilities come from
    # matrix products of another shape, which BLAS may round otherwise (3e-8 apart on an AMD
    # EPYC): equal to float32 rounding, and a label may differ only on a near tie.
    assert list(chunked["row_key"]) == list(whole["row_key"])
    near_ties = assert_labels_agree(chunked["predicted_answer"], whole["predicted_answer"],
                                    whole[["proba_no", "proba_yes"]], ["no", "yes"])
    for column in ("proba_no", "proba_yes"):
        assert_float32_close(chunked[column], whole[column], err_msg=column)
    # evaluate's report counts labels: the same text when no label was a near tie.
    assert "(300 rows" in report[1] and "(300 rows" in chunked_report[1]
    if not near_ties.any():
        assert chunked_report == report


@pytest.mark.parametrize("ext", [".csv", ".tsv", ".parquet"])
def test_predict_output_format_follows_the_extension(moons, tmp_path, ext):
    if ext == ".parquet":
        pytest.importorskip("pyarrow")
    out = tmp_path / f"pred{ext}"
    status, stdout, err = run(["predict", moons["model"], moons["data"], "--out", out,
                               "--keep-columns"])
    assert status == 0, err
    assert f"saved {out} (300 rows)" in stdout
    if ext == ".parquet":
        frame = pandas.read_parquet(out)
    else:
        frame = pandas.read_csv(out, sep="\t" if ext == ".tsv" else ",", dtype=str)
    assert list(frame.columns) == moons["header"] + ["predicted_answer"]
    assert list(frame["row_key"]) == [row[0] for row in moons["rows"]]


def test_unknown_output_format_is_refused_before_reading(moons, tmp_path):
    err = one_line_error(["predict", moons["model"], tmp_path / "missing.csv", "--out",
                          tmp_path / "pred.xlsx"])
    assert "--out" in err and "'.xlsx'" in err and ".parquet" in err


def test_extra_columns_at_predict_time_are_noted_not_refused(moons, tmp_path):
    header, rows = moons["header"], moons["rows"]
    data = write(tmp_path / "extra.csv", csv_text(header + ["id"], [r + [i] for i, r in
                                                                     enumerate(rows)]))
    status, out, err = run(["predict", moons["model"], data])
    assert status == 0
    assert err.startswith("scratchnn: note: ") and "['id']" in err
    assert out.count("\n") == 301


# --------------------------------------------------------------------------- missing values and text


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    """Numbers with every NA spelling pandas knows, a text column, a model of them."""
    folder = tmp_path_factory.mktemp("messy")
    rng = np.random.default_rng(0)
    m = 400
    colour = rng.choice(["red", "green", "blue"], size=m)
    x = rng.standard_normal(m)
    y = np.where(colour == "red", "a", np.where(x > 0, "b", "c"))
    spellings = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "<NA>", "n/a", "-nan"]
    rows = []
    for i in range(m):
        cell = spellings[i % len(spellings)] if i % 7 == 0 else f"{x[i]:.5f}"
        noise = f"{rng.standard_normal():.3f}"
        rows.append([cell, noise, colour[i], y[i]])
    data = write(folder / "messy.csv", csv_text(["x", "noise", "colour", "label"], rows))
    model = folder / "messy.npz"
    status, out, err = run(["train", data, "--target", "label", "--out", model, "--epochs", 60,
                            "--quiet"])
    assert status == 0, err
    return {"folder": folder, "data": data, "model": model, "x": x, "rows": rows, "out": out}


def test_missing_numbers_are_imputed_with_the_training_median(messy):
    network, metadata, bundle = load_model(str(messy["model"]))
    x_column = bundle.columns[0]
    assert x_column.kind == "numeric" and x_column.fill is not None
    # The median of the present training values: between the data's quartiles.
    assert np.quantile(messy["x"], 0.25) < x_column.fill < np.quantile(messy["x"], 0.75)
    assert metadata["training"]["impute"] == "median"
    assert float(re.search(r"validation accuracy: ([0-9.]+)", messy["out"]).group(1)) >= 0.85


def test_text_columns_are_one_hot_encoded_and_info_lists_each_treatment(messy):
    _, _, bundle = load_model(str(messy["model"]))
    assert bundle.feature_names == ["x", "noise", "colour=blue", "colour=green", "colour=red"]
    status, out, _ = run(["info", messy["model"]])
    assert status == 0
    columns = out.split("Columns:")[1]
    assert re.search(r"x: numeric, missing -> -?[0-9.]+", columns)
    assert "colour: text, one-hot over 3 categories: blue, green, red" in columns
    assert "label: target, 3 labels" in columns


def test_unseen_categories_encode_as_zeros_and_are_counted(messy, tmp_path):
    rows = [["0.5", "0", "purple", "a"], ["0.5", "0", "red", "a"], ["-1", "0", "pink", "c"]]
    data = write(tmp_path / "new.csv", csv_text(["x", "noise", "colour", "label"], rows))
    status, out, err = run(["predict", messy["model"], data])
    assert status == 0
    assert "scratchnn: warning:" in err and "'colour': 2" in err
    assert out.splitlines()[2] == "a"  # the known category still decides


def test_impute_error_refuses_missing_values_naming_the_line(messy, tmp_path):
    err = refusal(["train", messy["data"], "--target", "label", "--out",
                   tmp_path / "m.npz", "--impute", "error"])
    assert "column 'x': missing (empty or NA) on line 2 and --impute error" in err
    assert "(--impute median or --ignore x)" in err


@pytest.mark.parametrize("impute", ["mean", "most_frequent"])
def test_other_imputations(messy, tmp_path, impute):
    model = tmp_path / "m.npz"
    status, _, err = run(["train", messy["data"], "--target", "label", "--out", model,
                          "--impute", impute, "--epochs", 2, "--quiet"])
    assert status == 0, err
    _, _, bundle = load_model(str(model))
    assert bundle.columns[0].fill is not None and bundle.training["impute"] == impute


def test_a_word_in_a_numeric_column_is_an_error_with_a_hint(tmp_path):
    rows = [[str(i), "x" if i % 2 else "y"] for i in range(20)]
    rows[6][0] = "wine 0, batch"
    data = write(tmp_path / "d.csv", '"a",label\n' + "\n".join(f'"{a}",{b}' for a, b in rows))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz"])
    assert ("column 'a': 1 cell(s) are not numbers ('wine 0, batch'; first on line 8) among 19 "
            "numbers") in err
    assert "(--na-values 'wine 0, batch' or --ignore a)" in err


def test_too_many_categories_are_refused_suggesting_ignore(tmp_path):
    # 105 distinct values in the whole column, at most 100 in the training rows: counted over
    # the whole column, so that the decision does not depend on the split.
    rows = [[f"name{i % 105}", i % 2] for i in range(150)]
    data = write(tmp_path / "d.csv", csv_text(["name", "label"], rows))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                   "--val-split", "0.4"])
    assert "column 'name': text with 105 distinct values, too many" in err
    assert "(--ignore name)" in err


def test_ignore_leaves_a_column_out(tmp_path):
    rows = [[f"name{i}", i % 3, i % 2] for i in range(150)]
    data = write(tmp_path / "d.csv", csv_text(["name", "x", "label"], rows))
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "label", "--ignore", "name", "--out", model,
                          "--epochs", 1, "--quiet"])
    assert status == 0, err
    _, metadata, bundle = load_model(str(model))
    assert bundle.column_names == ["x"] and metadata["training"]["ignored_columns"] == ["name"]


# --------------------------------------------------------------------------- traps and targets


def test_an_id_column_used_as_a_feature_gets_a_warning_naming_the_flags(tmp_path):
    rows = [[i, f"{np.sin(i):.3f}", i % 2] for i in range(40)]
    data = write(tmp_path / "d.csv", csv_text(["id", "x", "label"], rows))
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet"])
    assert status == 0
    assert "scratchnn: warning:" in err and "column 'id': looks like a row id" in err
    assert "--id id" in err and "--ignore id" in err
    # An unnamed column of row numbers (a saved pandas index) is caught by its values.
    data = write(tmp_path / "e.csv", csv_text(["n", "x", "label"], rows))
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet"])
    assert ("column 'n': looks like a row id (its values are distinct whole numbers on every "
            "training row)") in err
    status, _, err = run(["train", data, "--target", "label", "--id", "n", "--out",
                          tmp_path / "m.npz", "--epochs", 1, "--quiet"])
    assert status == 0 and "warning" not in err


def test_a_continuous_target_trains_a_regression(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[f"{a:.3f}", f"{1000 * b:.1f}"] for a, b in rng.random((45, 2))]
    data = write(tmp_path / "d.csv", csv_text(["x", "proline"], rows))
    status, out, err = run(["train", data, "--target", "proline", "--out", tmp_path / "m.npz",
                            "--epochs", 2, "--quiet"])
    assert status == 0, err
    assert "RMSE" in out and "accuracy" not in out
    status, out, _ = run(["info", tmp_path / "m.npz"])
    assert status == 0 and "Task: regression of 'proline'" in out


def test_a_class_with_one_training_row_gets_a_warning(tmp_path):
    rows = [[i % 5, "a" if i % 2 else "b"] for i in range(30)] + [[9, "rare"]]
    data = write(tmp_path / "d.csv", csv_text(["x", "label"], rows))
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--val-split", 0, "--epochs", 1, "--quiet"])
    assert status == 0
    assert "warning" in err and "['rare']" in err and "fewer than 2" in err


def test_missing_columns_name_at_most_ten_and_the_files_columns(tmp_path):
    rng = np.random.default_rng(0)
    names = [f"pixel{k}" for k in range(64)]
    rows = [[f"{v:.2f}" for v in rng.random(64)] + [i % 2] for i in range(20)]
    data = write(tmp_path / "wide.csv", csv_text(names + ["label"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "label", "--out", model, "--epochs", 1,
                "--quiet"])[0] == 0
    other = write(tmp_path / "other.csv", csv_text(["a", "b"], [[1, 2]]))
    err = one_line_error(["predict", model, other])
    assert "'pixel9', ... and 54 more" in err and "'pixel10'" not in err
    assert "the file has ['a', 'b']" in err


def test_divergence_names_the_lr_flag(tmp_path):
    X, y = make_moons(n_samples=100, noise=0.1, seed=0)
    data = write(tmp_path / "d.csv", csv_text(["u", "v", "label"],
                                              [[a, b, k] for (a, b), k in zip(X, y)]))
    err = one_line_error(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--lr", "1e300", "--optimizer", "gd", "--quiet"])
    assert "--lr" in err and "learning_rate" not in err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("content", [os.urandom(2000), b"", b"\x00\x01\x02" * 10])
def test_files_that_are_not_tables_give_one_line(tmp_path, content, moons):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    err = one_line_error(["train", path, "--target", "y", "--out", tmp_path / "m.npz"])
    assert str(path) in err
    err = one_line_error(["predict", moons["model"], path])
    assert str(path) in err


def test_a_truncated_model_gives_one_line(moons, tmp_path):
    truncated = tmp_path / "t.npz"
    truncated.write_bytes(moons["model"].read_bytes()[:500])
    assert str(truncated) in one_line_error(["predict", truncated, moons["data"]])


# --------------------------------------------------------------------------- the hold-out


def test_early_stopping_keeps_the_best_validation_epoch(tmp_path):
    X, y = make_moons(n_samples=120, noise=0.35, seed=2)
    data = write(tmp_path / "d.csv", csv_text(["u", "v", "label"],
                                              [[a, b, k] for (a, b), k in zip(X, y)]))
    model = tmp_path / "m.npz"
    status, out, err = run(["train", data, "--target", "label", "--out", model, "--hidden", 64,
                            64, "--epochs", 400, "--lr", 0.03, "--patience", 5, "--quiet"])
    assert status == 0, err
    _, metadata, _ = load_model(str(model))
    training, val_costs = metadata["training"], metadata["val_costs"]
    assert training["epochs_run"] < 400 and "early stopping" in out
    assert training["best_epoch"] == int(np.argmin(val_costs)) + 1
    assert training["epochs_run"] == training["best_epoch"] + 5
    assert training["validation_accuracy"] == metadata["val_accuracy"][training["best_epoch"] - 1]


def test_class_weight_balanced_helps_the_rare_class(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 2))
    y = (X[:, 0] + 0.5 * rng.standard_normal(400) > 1.3).astype(int)  # about 10% positive
    data = write(tmp_path / "d.csv", csv_text(["u", "v", "label"],
                                              [[f"{a:.4f}", f"{b:.4f}", k]
                                               for (a, b), k in zip(X, y)]))
    recalls = {}
    for weight in ("none", "balanced"):
        model = tmp_path / f"{weight}.npz"
        assert run(["train", data, "--target", "label", "--out", model, "--class-weight", weight,
                    "--epochs", 30, "--no-early-stopping", "--quiet"])[0] == 0
        _, out, _ = run(["evaluate", model, data])
        recalls[weight] = float(re.search(r"^1\s+[0-9.]+\s+([0-9.]+)", out, re.M).group(1))
    assert recalls["balanced"] > recalls["none"]


# --------------------------------------------------------------------------- outputs (issue 13)


def test_outputs_that_are_inputs_are_refused(moons, tmp_path):
    data = tmp_path / "d.csv"
    data.write_bytes(moons["data"].read_bytes())
    model = tmp_path / "m.npz"
    model.write_bytes(moons["model"].read_bytes())
    link = tmp_path / "link.csv"
    link.symlink_to(data)
    before = data.read_bytes(), model.read_bytes()
    os.chdir(tmp_path)
    for argv in (["train", data, "--target", "answer", "--out", data],
                 ["train", "./d.csv", "--target", "answer", "--out", link],
                 ["train", data, "--target", "answer", "--out", model, "--plot", data],
                 ["predict", model, data, "--out", "./d.csv"],
                 ["predict", model, data, "--out", model],
                 ["predict", model, link, "--out", data],
                 ["evaluate", model, data, "--plot", model],
                 ["export", model, "./m.npz"]):
        err = one_line_error(argv)
        assert "is the same file as" in err, argv
    assert (data.read_bytes(), model.read_bytes()) == before


@pytest.mark.parametrize("make_out", [
    lambda tmp: tmp,                          # an existing folder
    lambda tmp: str(tmp / "newdir") + "/",    # a folder name
])
def test_out_folder_is_refused_before_training(moons, tmp_path, make_out):
    err = one_line_error(["train", moons["data"], "--target", "answer", "--out", make_out(tmp_path),
                          "--epochs", 1000])
    assert "--out" in err and "is a folder" in err
    assert list(tmp_path.iterdir()) == []


def test_plot_format_is_checked_before_training(moons, tmp_path):
    pytest.importorskip("matplotlib")
    model = tmp_path / "m.npz"
    err = one_line_error(["train", moons["data"], "--target", "answer", "--out", model,
                          "--plot", tmp_path / "curves.xyz"])
    assert "--plot" in err and "'xyz'" in err
    assert not model.exists()


def test_predict_out_is_written_atomically(moons, tmp_path):
    """Under a file-size limit the write fails: the old file stays whole, the error names it."""
    out = tmp_path / "pred.csv"
    out.write_text("the previous predictions\n")
    script = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))\n"
        "from scratchnn.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script, "predict", str(moons["model"]),
                             str(moons["data"]), "--proba", "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"scratchnn: error: --out {out}: could not write it")
    assert result.stderr.count("\n") == 1
    assert out.read_text() == "the previous predictions\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.csv"]


def test_names_from_a_file_are_printed_with_control_characters_escaped(tmp_path):
    evil = "\x1b]0;pwned\x07"
    rows = [[f"{v:.3f}", f"{evil}a" if v > 0.5 else "b\x1b[31m"]
            for v in np.random.default_rng(0).random(40)]
    data = write(tmp_path / "d.csv", csv_text([f"x{evil}", "label"], rows))
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "label", "--out", model, "--epochs", 2,
                          "--quiet"])
    assert status == 0, err
    for argv in (["info", model], ["evaluate", model, data]):
        status, out, _ = run(argv)
        assert status == 0
        assert "\x1b" not in out and "\x07" not in out
        assert "\\x1b]0;pwned\\x07" in out


def test_ctrl_c_during_train_saves_nothing_and_exits_130(moons, tmp_path, monkeypatch, default_ctrl_c):
    import signal

    from scratchnn.network import ClassifierNN
    from scratchnn.training import ValidationData

    calls = []
    evaluate = ValidationData.evaluate

    def interrupt_in_epoch_3(self, model):
        calls.append(1)
        if len(calls) == 3:
            signal.raise_signal(signal.SIGINT)  # a real Ctrl-C, deferred to the epoch's end
        return evaluate(self, model)

    # The validation rows are scored at the end of every epoch, inside the training loop.
    monkeypatch.setattr(ValidationData, "evaluate", interrupt_in_epoch_3)
    model, checkpoint = tmp_path / "m.npz", tmp_path / "ckpt.npz"
    status, out, err = run(["train", moons["data"], "--target", "answer", "--id", "row_key",
                            "--out", model, "--epochs", 50, "--checkpoint", checkpoint, "--quiet"])
    assert status == 130
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("scratchnn: interrupted after 3 complete epoch(s); no model saved")
    assert f"the last checkpoint (epoch 3) is {checkpoint}" in err
    assert not model.exists()
    restored = ClassifierNN.load(checkpoint)
    assert len(restored.costs) == 3
    calls.clear()
    status, _, err = run(["train", moons["data"], "--target", "answer", "--id", "row_key",
                          "--out", model, "--epochs", 50, "--quiet"])
    assert status == 130 and err.count("\n") == 1 and "checkpoint" not in err
    assert not model.exists()


def test_without_pandas_the_table_commands_name_the_extra(moons, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    err = one_line_error(["predict", moons["model"], moons["data"]])
    assert "pip install 'scratchnn[cli]'" in err


# --------------------------------------------------------------------------- more edges


def test_train_argument_conflicts(moons, tmp_path):
    base = ["train", moons["data"], "--target", "answer", "--id", "row_key"]
    err = one_line_error(base + ["--out", tmp_path / "m.npz", "--checkpoint", tmp_path / "m.npz"])
    assert "--checkpoint" in err and "same file as --out" in err
    err = one_line_error(["train", moons["data"], "--target", "answer", "--ignore", "answer",
                          "--out", tmp_path / "m.npz"])
    assert "cannot also be an --id or --ignore column" in err
    err = one_line_error(base + ["--out", tmp_path / "m.npz", "--id", "nope"])
    assert "no column 'nope' (--id)" in err
    two = write(tmp_path / "two.csv", "x,y\n1,a\n2,b\n")
    err = one_line_error(["train", two, "--target", "y", "--out", tmp_path / "m.npz",
                          "--val-split", "0.9"])
    assert "too few to hold out" in err
    status, _, err = run(["train", moons["data"], "--target", "answer", "--out",
                          tmp_path / "m.npz", "--sep", "ab"])
    assert status == 2 and "argument --sep: expected one character" in err
    assert not (tmp_path / "m.npz").exists()


def test_many_text_labels_are_classes(tmp_path):
    rows = [[i % 12, f"class{i % 12}"] for i in range(60)]
    data = write(tmp_path / "d.csv", csv_text(["x", "label"], rows))
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--epochs", 1, "--quiet"])
    assert status == 0, err


@pytest.mark.parametrize(("rows", "match"), [
    ([["1", "a"], ["inf", "b"], ["2", "a"]], "column 'x': 'inf' on line 3: infinite"),
    ([["", "a"], ["", "b"], ["", "a"]], "column 'x': no value in the training rows"),
])
def test_numeric_column_errors_at_train_time(tmp_path, rows, match):
    data = write(tmp_path / "d.csv", csv_text(["x", "label"], rows))
    err = refusal(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                   "--val-split", 0])
    assert re.search(match, err)


def test_distinct_text_on_every_row_looks_like_an_id(tmp_path):
    rows = [[f"name{i}", f"{np.cos(i):.3f}", i % 2] for i in range(30)]
    data = write(tmp_path / "d.csv", csv_text(["who", "x", "label"], rows))
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--val-split", 0, "--epochs", 1, "--quiet"])
    assert status == 0 and "column 'who': looks like a row id (its values are distinct text" in err


def test_values_beyond_the_float_range_once_centred(tmp_path):
    rows = [["-1e308", f"{i % 3}", i % 2] for i in range(20)]
    data = write(tmp_path / "d.csv", csv_text(["big", "x", "label"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "label", "--out", model, "--epochs", 1,
                "--quiet"])[0] == 0
    new = write(tmp_path / "new.csv", csv_text(["big", "x"], [["1e308", "1"]]))
    assert "too large to standardize" in one_line_error(["predict", model, new])


def test_evaluate_errors_and_notes(messy, tmp_path):
    rows = [["0.5", "0", "purple", "a", "extra"], ["0.5", "0", "red", "", "extra"]]
    header = ["x", "noise", "colour", "label", "comment"]
    data = write(tmp_path / "d.csv", csv_text(header, rows))
    err = one_line_error(["evaluate", messy["model"], data])
    assert "the label column 'label' is empty on 1 row(s) (the first on line 3)" in err
    assert "--drop-missing-target" in err
    status, out, err = run(["evaluate", messy["model"], data, "--drop-missing-target"])
    assert status == 0 and "(1 rows" in out and "left out 1 row(s)" in err
    err = one_line_error(["evaluate", messy["model"], data, "--target", "nope"])
    assert "no target column 'nope' (--target)" in err
    data = write(tmp_path / "d.csv", csv_text(header, rows[:1]))
    status, out, err = run(["evaluate", messy["model"], data])
    assert status == 0 and "(1 rows" in out
    assert "scratchnn: note:" in err and "['comment']" in err and "'colour': 1" in err


def test_predict_notes_a_missing_id_column(moons, tmp_path):
    header, rows = moons["header"][1:], [row[1:] for row in moons["rows"][:3]]
    data = write(tmp_path / "d.csv", csv_text(header, rows))
    status, out, err = run(["predict", moons["model"], data])
    assert status == 0 and out.splitlines()[0] == "predicted_answer"
    assert "no id column(s) ['row_key'] to copy" in err


def test_predict_write_failure_names_the_file(moons, tmp_path, monkeypatch):
    import errno

    from scratchnn import tables

    def full_disk(frames, f, fmt):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tables, "write_table", full_disk)
    out = tmp_path / "p.csv"
    err = one_line_error(["predict", moons["model"], moons["data"], "--out", out])
    assert f"--out {out}: could not write it (No space left on device)" in err
    assert list(tmp_path.iterdir()) == []


def test_predict_missing_data_file_is_named(moons, tmp_path):
    missing = tmp_path / "missing.csv"
    err = one_line_error(["predict", moons["model"], missing, "--out", tmp_path / "p.csv"])
    assert str(missing) in err and "--out" not in err


def test_export_runs_the_whole_bundle_on_raw_columns(messy, tmp_path):
    """Imputation, one-hot (unseen categories too), standardization and the network in one
    graph: onnxruntime on the raw table agrees with predict --proba."""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    path = tmp_path / "m.onnx"
    old_umask = os.umask(0o022)
    try:
        status, out, err = run(["export", messy["model"], path])
    finally:
        os.umask(old_umask)
    assert status == 0, err
    assert path.stat().st_mode & 0o777 == 0o644  # follows the umask, like model files
    rows = messy["rows"][:60] + [["", "0.1", "purple", "a"], ["1.5", "", "", "b"]]
    data = write(tmp_path / "d.csv", csv_text(["x", "noise", "colour", "label"], rows))
    expected = predictions(messy["model"], data)
    frame = pandas.read_csv(data, dtype={"colour": str})
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x", "noise", "colour"]
    feed = {name: frame[[name]].to_numpy(np.float32) for name in ("x", "noise")}
    feed["colour"] = frame[["colour"]].fillna("").to_numpy(object)
    labels, proba = session.run(None, feed)
    expected_proba = expected[["proba_a", "proba_b", "proba_c"]]
    np.testing.assert_allclose(proba, expected_proba, atol=1e-5)
    # onnxruntime's float32 kernels round otherwise than NumPy's: a label may differ only on a
    # near tie, closer than twice the 1e-5 each probability may move.
    assert_labels_agree(labels, expected["predicted_label"], expected_proba, ["a", "b", "c"],
                        margin=3e-5)


def test_export_of_a_binary_bundle_gives_two_probability_columns(moons, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    path = tmp_path / "m.onnx"
    assert run(["export", moons["model"], path])[0] == 0
    expected = predictions(moons["model"], moons["data"])
    frame = pandas.read_csv(moons["data"])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"u": frame[["u"]].to_numpy(np.float32),
                                       "v": frame[["v"]].to_numpy(np.float32),
                                       "side": frame[["side"]].to_numpy(object)})
    assert proba.shape == (300, 2)
    expected_proba = expected[["proba_no", "proba_yes"]]
    np.testing.assert_allclose(proba, expected_proba, atol=1e-5)
    assert_labels_agree(labels, expected["predicted_answer"], expected_proba, ["no", "yes"],
                        margin=3e-5)


def test_export_refuses_a_column_named_like_a_graph_value(tmp_path):
    pytest.importorskip("onnx")
    rows = [[i % 3, i % 2] for i in range(20)]
    data = write(tmp_path / "d.csv", csv_text(["features", "label"], rows))
    model = tmp_path / "m.npz"
    assert run(["train", data, "--target", "label", "--out", model, "--epochs", 1,
                "--quiet"])[0] == 0
    err = one_line_error(["export", model, tmp_path / "m.onnx"])
    assert "['features'] have the name of a value inside the ONNX graph" in err


def test_interrupt_outside_training_exits_130(moons, tmp_path, monkeypatch):
    from scratchnn import tables

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tables, "read_table", interrupted)
    status, _, err = run(["train", moons["data"], "--target", "answer", "--out",
                          tmp_path / "m.npz"])
    assert status == 130 and err == "scratchnn: interrupted; nothing was written\n"


def test_interrupt_before_the_first_checkpoint(moons, tmp_path, monkeypatch, default_ctrl_c):
    import signal

    from scratchnn.training import ValidationData

    evaluate = ValidationData.evaluate

    def interrupt(self, model):
        signal.raise_signal(signal.SIGINT)
        return evaluate(self, model)

    monkeypatch.setattr(ValidationData, "evaluate", interrupt)
    checkpoint = tmp_path / "ckpt.npz"
    status, _, err = run(["train", moons["data"], "--target", "answer", "--id", "row_key",
                          "--out", tmp_path / "m.npz", "--checkpoint", checkpoint,
                          "--checkpoint-every", 5, "--quiet"])
    assert status == 130
    assert f"no checkpoint was written yet to {checkpoint}" in err


# --------------------------------------------------------------------------- model files


def _resave(moons, tmp_path, change):
    from scratchnn.io import load_with_metadata, save

    network, metadata = load_with_metadata(moons["model"])
    change(metadata)
    path = tmp_path / "changed.npz"
    save(network, path, metadata=metadata)
    return path


@pytest.mark.parametrize(("change", "match"), [
    (lambda m: m.update(cli_format=5), "cli_format 5 is not one of 1 to 4"),
    (lambda m: m.update(cli_format=True), "cli_format True is not one of 1 to 4"),
    (lambda m: m.update(task="ranking"), "task must be one of ['classification', 'regression']"),
    (lambda m: m.update(feature_names=["u"]), "feature_names must be 4 distinct names"),
    (lambda m: m.update(columns=[1]), "a column must be a dict with a name"),
    (lambda m: m["columns"][0].update(fill=True), "fill must be a finite number"),
    (lambda m: m["columns"][2].update(categories=["a", "a"]), "categories must be distinct"),
    (lambda m: m["columns"][0].update(kind="image"), "kind must be 'numeric', 'text' or 'date'"),
    (lambda m: m["columns"][0].update(kind="date", format=3), "format must be a date format"),
    (lambda m: m.update(reading={"decimal": ";"}), "reading must be a dict"),
    (lambda m: m.update(reading={"colour": 1}), "reading must be a dict"),
    (lambda m: m["columns"].reverse(), "columns do not match its feature_names"),
    (lambda m: m.update(id_columns="row_key"), "id_columns must be a list of names"),
    (lambda m: m.update(label_names=["no"]), "label_names must be 2 distinct names"),
    (lambda m: m.update(target=3), "no target name"),
    (lambda m: m.update(feature_mean=m["feature_mean"][:2]), "feature_mean must be a float array"),
    (lambda m: m.update(feature_scale=-m["feature_scale"]), "feature_scale must be > 0"),
])
def test_invalid_bundles_are_refused(moons, tmp_path, change, match):
    path = _resave(moons, tmp_path, change)
    err = one_line_error(["predict", path, moons["data"]])
    assert "is not a model written by `scratchnn train`" in err and match in err


def test_format_1_files_still_load_with_numeric_columns(tmp_path):
    from scratchnn import ClassifierNN
    from scratchnn.io import save

    network = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)
    path = tmp_path / "old.npz"
    save(network, path, metadata={
        "cli_format": 1, "feature_names": ["a", "b"], "target": "y", "label_names": ["n", "p"],
        "training": {}, "feature_mean": np.zeros(2), "feature_scale": np.ones(2)})
    data = write(tmp_path / "d.csv", csv_text(["a", "b"], [[1, 2], [3, ""]]))
    err = one_line_error(["predict", path, data])
    assert "line 3: column 'b' is missing" in err and "--impute error" in err
    data = write(tmp_path / "d.csv", csv_text(["a", "b"], [[1, 2]]))
    status, out, _ = run(["predict", path, data])
    assert status == 0 and out.splitlines()[0] == "predicted_y"


def test_export_of_a_format_1_bundle_and_without_onnx(tmp_path, monkeypatch):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from scratchnn import ClassifierNN
    from scratchnn.io import save

    network = ClassifierNN([2, 3, 3], ["relu", "softmax"], seed=0)
    path = tmp_path / "old.npz"
    save(network, path, metadata={
        "cli_format": 1, "feature_names": ["a", "b"], "target": "y",
        "label_names": ["p", "q", "r"], "training": {}, "feature_mean": np.ones(2),
        "feature_scale": np.full(2, 2.0)})
    assert run(["export", path, tmp_path / "old.onnx"])[0] == 0
    session = ort.InferenceSession(str(tmp_path / "old.onnx"), providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"a": np.array([[3.0], [np.nan]], np.float32),
                                       "b": np.array([[1.0], [1.0]], np.float32)})
    expected = network.predict_proba(np.array([[1.0], [0.0]]))[:, 0]
    np.testing.assert_allclose(proba[0], expected, atol=1e-6)
    assert np.all(np.isnan(proba[1]))  # trained with missing values an error: NaN stays NaN
    monkeypatch.setitem(sys.modules, "onnx", None)
    err = one_line_error(["export", path, tmp_path / "again.onnx"])
    assert "pip install 'scratchnn[onnx]'" in err


def test_swapped_arguments_and_random_bytes_as_a_model_give_one_line(moons, tmp_path):
    noise = tmp_path / "noise.npz"
    noise.write_bytes(os.urandom(3000))
    for argv in (["evaluate", moons["data"], moons["model"]],
                 ["predict", noise, moons["data"]],
                 ["info", noise]):
        err = one_line_error(argv)
        assert str(argv[1]) in err


def test_save_model_and_load_model_round_trip(moons, tmp_path):
    from scratchnn.cli import save_model

    _, _, bundle = load_model(str(moons["model"]))
    bundle.label_names = ["no\x1b[2J", "yes"]  # a name from someone else's file
    save_model(tmp_path / "copy.npz", bundle)
    _, _, again = load_model(str(tmp_path / "copy.npz"))
    assert again.columns == bundle.columns and again.id_columns == ["row_key"]
    np.testing.assert_array_equal(again.scale, bundle.scale)
    status, out, _ = run(["info", tmp_path / "copy.npz"])
    assert status == 0 and "no\\x1b[2J" in out and "\x1b" not in out


def test_train_and_evaluate_on_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    X, y = make_moons(n_samples=200, noise=0.1, seed=5)
    frame = pandas.DataFrame({"id": np.arange(200), "u": X[:, 0], "v": X[:, 1],
                              "kind": np.where(X[:, 0] > 0.5, "east", "west"), "label": y})
    frame.loc[::17, "u"] = np.nan
    frame.to_parquet(tmp_path / "d.parquet")
    model = tmp_path / "m.npz"
    status, out, err = run(["train", tmp_path / "d.parquet", "--target", "label", "--id", "id",
                            "--out", model, "--epochs", 100, "--quiet"])
    assert status == 0, err
    _, _, bundle = load_model(str(model))
    assert bundle.label_names == ["0", "1"] and bundle.column_names == ["u", "v", "kind"]
    status, out, _ = run(["evaluate", model, tmp_path / "d.parquet"])
    assert status == 0
    assert float(re.search(r"accuracy: ([0-9.]+)", out).group(1)) >= 0.9
    bad = frame.astype({"u": str})  # a text column in the Parquet file
    bad.loc[3, "u"] = "oops"
    bad.to_parquet(tmp_path / "bad.parquet")
    assert "row 4: column 'u' is 'oops', not a number" in one_line_error(
        ["predict", model, tmp_path / "bad.parquet"])


def test_train_dtype_sets_the_precision_of_the_network_and_info_shows_it(moons, tmp_path):
    trained = {}
    for dtype in ("float32", "float64"):
        model = tmp_path / f"{dtype}.npz"
        status, _, err = run(["train", moons["data"], "--target", "answer", "--id", "row_key",
                              "--out", model, "--hidden", 8, "--epochs", 20, "--quiet",
                              "--dtype", dtype])
        assert status == 0, err
        network, metadata, _ = load_model(model)
        assert network.compute_dtype == np.dtype(dtype)
        assert metadata["training"]["dtype"] == dtype
        trained[dtype] = predictions(model, moons["data"])
    # The same split, standardization and seed: the labels agree but for a rare borderline row.
    agree = np.mean(trained["float32"]["predicted_answer"] == trained["float64"]["predicted_answer"])
    assert agree >= 0.98
    assert "float128" in run(["train", moons["data"], "--target", "answer", "--out",
                              tmp_path / "x.npz", "--dtype", "float128"])[2]
