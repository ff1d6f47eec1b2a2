"""Fast, in-process tests of ``scratchnn train`` on tables of a few rows: what it hands the
training loop for each option, what it prints and stores, every refusal with its message. Most
tests replace ``ClassifierNN.train`` by a recorder that plays a scripted history through the
command's callbacks (no training), so that ``make mutate`` can run them for every mutant of
``scratchnn.cli.train``."""

import csv
import io
import shlex
import warnings

import numpy as np
import pytest

import scratchnn.network
from cli_run import one_line_error, refusal, run, table, write
from scratchnn.cli import load_model, train
from scratchnn.columns import ColumnProblem, format_names

HEADER = ["id", "x", "color", "y"]
ROWS = [[f"{k:03d}", f"{(k * 37) % 10 / 10:.1f}", ["red", "blue"][k % 2], ["a", "b"][k % 2]]
        for k in range(10)]


@pytest.fixture
def data(tmp_path):
    return write(tmp_path / "d.csv", table(HEADER, ROWS))


class Recorder:
    """Replaces ``ClassifierNN.train``: records its arguments and plays ``history`` (one
    ``(loss, val_loss, val_accuracy)`` per epoch) through the callbacks, stopping when one asks."""

    def __init__(self, history=None, warn=(), raise_after=None, metric="val_accuracy"):
        self.calls, self.history, self.warn, self.raise_after = [], history, warn, raise_after
        self.metric = metric  # the validation score in the logs: a regression's is val_r2

    def __call__(self, network, X, Y, **kwargs):
        self.calls.append((network, X, Y, kwargs))
        callbacks = kwargs["callbacks"]
        for callback in callbacks:
            callback.on_train_begin(network)
        history = self.history or [(1.0 / k, 1.0 / k, 0.5) for k in range(1, 4)]
        logs = {}
        for epoch, (loss, val_loss, val_accuracy) in enumerate(history, start=1):
            if self.raise_after is not None and epoch > self.raise_after[0]:
                raise self.raise_after[1]
            logs = {"loss": loss}
            if kwargs["validation_data"] is not None:
                logs.update({"val_loss": val_loss, self.metric: val_accuracy})
            stop = [bool(callback.on_epoch_end(epoch, logs)) for callback in callbacks]
            if any(stop) or epoch == kwargs["num_epochs"]:
                break
        for category, message in self.warn:
            warnings.warn(message, category)
        for callback in callbacks:
            callback.on_train_end(logs)
        return network

    @property
    def kwargs(self):
        return self.calls[-1][3]


@pytest.fixture
def recorder(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(scratchnn.network.ClassifierNN, "train",
                        lambda network, X, Y, **kwargs: rec(network, X, Y, **kwargs))
    return rec


def _train(data, tmp_path, *options):
    model = tmp_path / "m.npz"
    status, out, err = run(["train", data, "--target", "y", "--out", model, "--quiet", *options])
    return status, out, err, model


# --------------------------------------------------------------------------- what the loop gets


def test_train_hands_the_loop_the_default_settings(data, tmp_path, recorder):
    status, out, err, model = _train(data, tmp_path, "--id", "id")
    assert status == 0, err
    network, X, Y, kwargs = recorder.calls[0]
    # 10 rows, 20% validation (ceil): 8 training rows; x and the two colors are the inputs.
    assert X.shape == (3, 8) and X.dtype == np.float32 and Y.shape == (1, 8)
    assert kwargs["validation_data"][0].shape == (3, 2)
    assert kwargs["validation_data"][1].shape == (1, 2)
    assert network.layer_dims == [3, 25, 15, 1]
    assert network.activations == ["relu", "relu", "sigmoid"]
    assert network.batch_norm is False and network.seed == 0
    assert {key: kwargs[key] for key in (
        "loss", "num_epochs", "learning_rate", "batch_size", "lambd", "keep_prob", "optimizer",
        "print_cost", "lr_schedule", "clipnorm", "weight_decay", "label_smoothing",
        "sample_weight", "checkpoint", "checkpoint_every")} == {
        "loss": "BinaryCrossEntropy", "num_epochs": 100, "learning_rate": 0.01,
        "batch_size": 64, "lambd": 0.0, "keep_prob": None, "optimizer": "adam",
        "print_cost": False, "lr_schedule": None, "clipnorm": None, "weight_decay": None,
        "label_smoothing": 0.0, "sample_weight": None, "checkpoint": None,
        "checkpoint_every": 1}
    _, _, bundle = load_model(model)
    assert bundle.label_names == ["a", "b"]
    # Y holds each row's label index, the rows in file order within each part.
    train_rows, val_rows = train._split(10, 0.2, 0, "d")
    labels = np.array([row[3] for row in ROWS])
    assert Y.ravel().tolist() == [["a", "b"].index(v) for v in labels[train_rows]]
    assert kwargs["validation_data"][1].ravel().tolist() == [
        ["a", "b"].index(v) for v in labels[val_rows]]


def test_train_hands_the_loop_every_option(data, tmp_path, recorder):
    checkpoint = tmp_path / "ck.npz"
    status, _, err, _ = _train(
        data, tmp_path, "--hidden", "4", "3", "2", "--activation", "tanh", "--optimizer",
        "momentum", "--epochs", "7", "--batch-size", "5", "--lr", "0.3", "--lr-schedule",
        "step:2:0.5", "--clipnorm", "2.5", "--weight-decay", "0.1", "--label-smoothing", "0.2",
        "--l2", "0.05", "--dropout", "0.25", "--batch-norm", "--dtype", "float64",
        "--val-split", "0.3", "--seed", "5", "--checkpoint", checkpoint, "--checkpoint-every",
        "3", "--patience", "4", "--id", "id", "--threads", "2")
    assert status == 0, err
    network, X, _, kwargs = recorder.calls[0]
    assert X.shape == (3, 7) and X.dtype == np.float64
    assert kwargs["validation_data"][0].shape == (3, 3)
    assert network.layer_dims == [3, 4, 3, 2, 1]
    assert network.activations == ["tanh", "tanh", "tanh", "sigmoid"]
    assert network.batch_norm is True and network.seed == 5
    assert kwargs["keep_prob"] == [1.0, 0.75, 0.75, 0.75]
    assert (kwargs["num_epochs"], kwargs["batch_size"], kwargs["learning_rate"], kwargs["lambd"],
            kwargs["optimizer"], kwargs["clipnorm"], kwargs["weight_decay"],
            kwargs["label_smoothing"], kwargs["checkpoint"], kwargs["checkpoint_every"],
            kwargs["n_threads"]) == (7, 5, 0.3, 0.05, "momentum", 2.5, 0.1, 0.2, str(checkpoint), 3, 2)
    from scratchnn.schedules import StepDecay

    assert repr(kwargs["lr_schedule"]) == repr(StepDecay(2, 0.5))


def test_train_without_validation_and_with_three_classes(tmp_path, recorder):
    rows = [[r[1], r[2], "abc"[k % 3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.csv", table(["x", "color", "y"], rows))
    status, out, err, model = _train(data, tmp_path, "--val-split", "0", "--hidden", "4")
    assert status == 0, err
    network, X, _, kwargs = recorder.calls[0]
    assert X.shape == (3, 10) and kwargs["validation_data"] is None
    assert kwargs["loss"] == "SparseCategoricalCrossEntropy"
    assert network.layer_dims == [3, 4, 3]
    assert network.activations == ["relu", "softmax"]
    assert "validation accuracy" not in out
    _, _, bundle = load_model(model)
    assert bundle.training["validation_rows"] == 0
    assert bundle.training["validation_accuracy"] is None
    assert bundle.training["early_stopping"] is None
    assert bundle.training["loss"] == "SparseCategoricalCrossEntropy"
    assert list(bundle.history) == ["costs"]


def test_cosine_schedule_runs_over_the_epochs_after_its_warmup(data, tmp_path, recorder):
    from scratchnn.schedules import CosineDecay

    assert _train(data, tmp_path, "--lr-schedule", "cosine:2", "--epochs", "6")[0] == 0
    assert repr(recorder.kwargs["lr_schedule"]) == repr(CosineDecay(6, warmup_epochs=2))
    assert _train(data, tmp_path, "--lr-schedule", "cosine", "--epochs", "5")[0] == 0
    assert repr(recorder.kwargs["lr_schedule"]) == repr(CosineDecay(5, warmup_epochs=0))
    for warmup in ("5", "9"):
        assert one_line_error(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                               "--lr-schedule", f"cosine:{warmup}", "--epochs", "5"]) == (
            f"scratchnn: error: --lr-schedule cosine:{warmup} needs 0 <= warmup epochs < "
            f"--epochs (5)\n")


def test_balanced_class_weights_average_one_per_row(tmp_path, recorder):
    rows = [[r[1], r[2], "a" if k < 7 else "b"] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.csv", table(["x", "color", "y"], rows))
    assert _train(data, tmp_path, "--class-weight", "balanced", "--val-split", "0")[0] == 0
    weights = recorder.kwargs["sample_weight"]
    # scikit-learn's "balanced": n_samples / (n_classes * rows of the class): 10/14, 10/6.
    assert weights == pytest.approx([10 / 14] * 7 + [10 / 6] * 3)
    assert _train(data, tmp_path, "--val-split", "0")[0] == 0
    assert recorder.kwargs["sample_weight"] is None


def test_balanced_weights_ignore_a_class_without_training_rows(tmp_path, recorder):
    # Label "c" has one row, which the validation split takes: weights over the 2 classes left.
    rows = [[r[1], r[2], "a" if k < 6 else "b"] for k, r in enumerate(ROWS)]
    train_rows, val_rows = train._split(11, 0.2, 0, "d")
    rows.insert(int(val_rows[0]), ["0.5", "red", "c"])
    data = write(tmp_path / "d.csv", table(["x", "color", "y"], rows))
    status, _, err, _ = _train(data, tmp_path, "--class-weight", "balanced")
    assert status == 0, err
    labels = np.array([row[2] for row in rows])[train_rows]
    counts = {label: int(np.sum(labels == label)) for label in ("a", "b")}
    expected = [len(labels) / (2 * counts[label]) for label in labels]
    assert recorder.kwargs["sample_weight"] == pytest.approx(expected)
    assert f"label(s) {format_names(['c'])} of 'y' have fewer than 2 training rows" in err


# --------------------------------------------------------------------------- what it prints


def test_train_prints_accuracies_the_kept_epoch_and_the_file(data, tmp_path, recorder):
    recorder.history = [(0.9, 0.8, 0.5), (0.7, 0.6, 0.5), (0.6, 0.7, 0.5)]
    status, out, err, model = _train(data, tmp_path, "--epochs", "3", "--id", "id")
    assert (status, err) == (0, "")
    _, _, bundle = load_model(model)
    t = bundle.training
    assert out == (f"train accuracy: {t['train_accuracy']:.4f} (8 rows)\n"
                   f"validation accuracy: {t['validation_accuracy']:.4f} (2 rows)\n"
                   f"kept epoch 2 of 3, the lowest validation cost\n"
                   f"saved {model}\n")
    assert (t["epochs_run"], t["best_epoch"], t["early_stopping"]) == (3, 2, 10)
    assert t["final_cost"] == pytest.approx(0.6)
    np.testing.assert_array_equal(bundle.history["costs"], [0.9, 0.7, 0.6])
    np.testing.assert_array_equal(bundle.history["val_costs"], [0.8, 0.6, 0.7])
    np.testing.assert_array_equal(bundle.history["val_accuracy"], [0.5, 0.5, 0.5])


def test_train_reports_early_stopping(data, tmp_path, recorder):
    recorder.history = [(0.9, 0.8, 0.5), (0.7, 0.6, 0.5), (0.6, 0.7, 0.5), (0.5, 0.7, 0.5),
                        (0.4, 0.5, 0.5)]
    status, out, _, model = _train(data, tmp_path, "--patience", "2", "--epochs", "9")
    assert status == 0
    assert ("early stopping: no lower validation cost for 2 epochs; kept epoch 2 of 4\n"
            in out)
    assert "kept epoch 2 of 4, the lowest" not in out
    _, _, bundle = load_model(model)
    assert (bundle.training["epochs_run"], bundle.training["best_epoch"]) == (4, 2)


def test_train_says_nothing_of_epochs_when_the_last_is_kept(data, tmp_path, recorder):
    recorder.history = [(0.9, 0.8, 0.5), (0.7, 0.6, 0.5)]
    status, out, _, model = _train(data, tmp_path, "--epochs", "2")
    assert "epoch" not in out
    recorder.history = [(0.9, 0.8, 0.5), (0.7, 0.6, 0.5), (0.6, 0.7, 0.5)]
    status, out, _, model = _train(data, tmp_path, "--epochs", "3", "--no-early-stopping")
    assert "epoch" not in out
    _, _, bundle = load_model(model)
    assert (bundle.training["early_stopping"], bundle.training["best_epoch"]) == (None, 3)
    assert len(recorder.kwargs["callbacks"]) == 1  # the progress bar's only


def test_train_plot_saves_the_cost_curves(data, tmp_path, recorder, monkeypatch):
    pytest.importorskip("matplotlib")
    import scratchnn.plotting

    calls = []
    monkeypatch.setattr(scratchnn.plotting, "plot_costs",
                        lambda *args, **kwargs: calls.append((args, kwargs)))
    recorder.history = [(0.9, 0.8, 0.5), (0.7, 0.6, 0.5)]
    plot = tmp_path / "c.png"
    status, out, _, model = _train(data, tmp_path, "--epochs", "2", "--plot", plot)
    assert status == 0 and out.endswith(f"saved {model}\nsaved {plot}\n")
    (costs, path), kwargs = calls[0]
    assert costs == [0.9, 0.7] and path == str(plot)
    assert kwargs["title"] == "d.csv: cost per epoch"
    np.testing.assert_array_equal(kwargs["val_costs"], [0.8, 0.6])
    assert "same file as --out" in one_line_error(
        ["train", data, "--target", "y", "--out", plot, "--plot", plot])


def test_progress_bar_shows_cost_and_validation_accuracy(data, tmp_path, recorder):
    recorder.history = [(0.91234, 0.8, 0.625), (0.7, 0.6, 0.75)]
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", "2"])
    assert status == 0
    assert "training" in err and "2/2" in err and "cost=0.7000" in err and "val_acc=0.750" in err
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--epochs", "2", "--val-split", "0"])
    assert "cost=0.7000" in err and "val_acc" not in err


def test_training_problems_are_printed_after_saving_other_warnings_pass(data, tmp_path,
                                                                       recorder):
    from scratchnn.diagnostics import Problem, TrainingProblemWarning

    problem = Problem("layer 1 is mostly dead", "dead")
    recorder.warn = [(TrainingProblemWarning, problem),
                     (TrainingProblemWarning, "plain text"),
                     (UserWarning, "something else")]
    with pytest.warns(UserWarning, match="something else"):
        status, out, err, model = _train(data, tmp_path, "--epochs", "2", "--id", "id")
    assert status == 0
    assert err == (f"scratchnn: warning: {problem.advice('cli')}\n"
                   f"scratchnn: warning: plain text\n")
    assert problem.advice("cli") != str(problem)


def test_training_interrupted_by_ctrl_c_saves_nothing(data, tmp_path, recorder):
    recorder.raise_after = (2, KeyboardInterrupt())
    recorder.history = [(0.9, 0.8, 0.5)] * 5
    status, out, err, model = _train(data, tmp_path, "--epochs", "5")
    assert status == 130 and not model.exists()
    assert err == "scratchnn: interrupted after 2 complete epoch(s); no model saved\n"


# Thirty distinct fractional targets: a regression by the rule of --task auto.
REGRESSION = [[f"{k / 30:.3f}", f"{(k * 7) % 30 / 3:.2f}"] for k in range(30)]


@pytest.fixture
def regression_recorder(monkeypatch):
    import scratchnn.regressor

    rec = Recorder(metric="val_r2")
    monkeypatch.setattr(scratchnn.regressor.RegressorNN, "train",
                        lambda network, X, Y, **kwargs: rec(network, X, Y, **kwargs))
    return rec


def test_a_regression_shows_and_keeps_its_validation_r2(tmp_path, regression_recorder):
    regression_recorder.history = [(0.9, 0.8, 0.25), (0.7, 0.6, 0.5), (0.5, 0.4, 0.75)]
    data = write(tmp_path / "r.csv", table(["x", "y"], REGRESSION))
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "y", "--out", model, "--epochs", "3"])
    assert status == 0 and regression_recorder.calls
    assert regression_recorder.calls[0][2].dtype == np.float32  # the targets, as the inputs
    assert regression_recorder.kwargs["validation_data"][1].dtype == np.float32
    assert "cost=0.5000, val_r2=0.750" in err  # the progress bar's last state
    history = load_model(model)[2].history
    assert history["val_r2"].tolist() == [0.25, 0.5, 0.75]
    assert history["val_costs"].tolist() == [0.8, 0.6, 0.4]


def test_an_interrupted_regression_names_the_regressors_load(tmp_path, regression_recorder):
    regression_recorder.raise_after = (2, KeyboardInterrupt())
    regression_recorder.history = [(0.9, 0.8, 0.5)] * 5
    data = write(tmp_path / "r.csv", table(["x", "y"], REGRESSION))
    checkpoint = write(tmp_path / "ck.npz", "")  # as if the loop had written it
    status, _, err, model = _train(data, tmp_path, "--epochs", "5", "--checkpoint", checkpoint)
    assert status == 130 and not model.exists()
    assert err == (f"scratchnn: interrupted after 2 complete epoch(s); no model saved; the last "
                   f"checkpoint (epoch 2) is {checkpoint}, RegressorNN.load reads it\n")


def test_training_that_diverges_says_which_epoch_and_a_lower_rate(data, tmp_path, recorder):
    from scratchnn.training import DivergenceError

    recorder.raise_after = (3, DivergenceError("nan"))
    recorder.history = [(0.9, 0.8, 0.5)] * 5
    status, _, err, model = _train(data, tmp_path, "--epochs", "5", "--lr", "0.5")
    assert status == 1 and not model.exists()
    assert err == ("scratchnn: error: training diverged in epoch 4: the numbers overflowed to "
                   "NaN or infinity. The features are already standardized, so try a lower --lr "
                   "than 0.5 (e.g. 0.05)\n")


def test_interrupted_message_names_the_last_checkpoint(tmp_path):
    checkpoint = tmp_path / "ck.npz"
    assert train.Interrupted(5, None, 2).message() == (
        "interrupted after 5 complete epoch(s); no model saved")
    assert train.Interrupted(5, str(checkpoint), 2).message() == (
        f"interrupted after 5 complete epoch(s); no model saved; no checkpoint was written yet "
        f"to {checkpoint}")
    checkpoint.write_bytes(b"x")
    assert train.Interrupted(5, str(checkpoint), 2).message() == (
        f"interrupted after 5 complete epoch(s); no model saved; the last checkpoint (epoch 4) "
        f"is {checkpoint}, ClassifierNN.load reads it")
    assert train.Interrupted(1, str(checkpoint), 2).message().endswith(
        f"no checkpoint was written yet to {checkpoint}")
    exc = train.Interrupted(3, None, 1)
    assert (exc.epochs, exc.checkpoint, exc.every) == (3, None, 1)


# --------------------------------------------------------------------------- what it stores


def test_the_model_records_the_training_settings(data, tmp_path, recorder):
    status, _, err, model = _train(
        data, tmp_path, "--ignore", "id", "--categorical", "x", "--impute", "mean", "--task",
        "classification", "--lr", "0.02", "--batch-size", "4", "--l2", "0.1", "--dropout",
        "0.5", "--epochs", "3", "--seed", "2", "--class-weight", "balanced", "--clipnorm", "1",
        "--label-smoothing", "0.1", "--weight-decay", "0.2", "--lr-schedule", "exponential:0.5")
    assert status == 0, err
    _, _, bundle = load_model(model)
    t = dict(bundle.training)
    network = recorder.calls[0][0]
    X_val, Y_val = recorder.kwargs["validation_data"]
    X_train, Y_train = recorder.calls[0][1], recorder.calls[0][2]
    assert t.pop("train_accuracy") == network.accuracy(X_train, Y_train)
    assert t.pop("validation_accuracy") == network.accuracy(X_val, Y_val)
    from scratchnn.schedules import ExponentialDecay

    assert t == {
        "data": "d.csv", "training_rows": 8, "validation_rows": 2, "impute": "mean",
        "ignored_columns": ["id"], "categorical_columns": ["x"], "task": "classification",
        "dropped_rows_missing_target": 0, "loss": "BinaryCrossEntropy",
        "class_weight": "balanced", "optimizer": "adam",
        "lr_schedule": repr(ExponentialDecay(0.5)), "clipnorm": 1.0, "weight_decay": 0.2,
        "label_smoothing": 0.1, "epochs": 3, "epochs_run": 3, "early_stopping": 10,
        "best_epoch": 3, "batch_size": 4, "learning_rate": 0.02, "l2": 0.1, "dropout": 0.5,
        "batch_norm": False, "dtype": "float32", "seed": 2, "preset": None,
        "final_cost": pytest.approx(1 / 3)}
    assert bundle.target == "y" and bundle.id_columns == []
    assert [c.name for c in bundle.columns] == ["x", "color"]


def test_the_model_remembers_how_the_table_was_read(tmp_path, recorder):
    rows = [[r[1], r[2] if k else "NA", r[3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.txt", table(["x", "color", "y"], rows, sep=";"))
    status, _, err, model = _train(data, tmp_path, "--sep", ";", "--na-values", "?",
                                   "--keep-na-strings")
    assert status == 0, err
    _, _, bundle = load_model(model)
    assert bundle.reading == {"sep": ";", "decimal": ".", "header": True, "na_values": ["?"],
                              "keep_na_strings": True}
    status, _, err, model = _train(data, tmp_path)
    _, _, bundle = load_model(model)
    assert bundle.reading == {"sep": None, "decimal": ".", "header": True, "na_values": [],
                              "keep_na_strings": False}


def test_decimal_commas_are_read_as_numbers_and_remembered(tmp_path, recorder):
    rows = [[r[1].replace(".", ","), r[2], r[3]] for r in ROWS]
    data = write(tmp_path / "d.csv", table(["x", "color", "y"], rows, sep=";"))
    status, _, err, model = _train(data, tmp_path)
    assert status == 0
    assert err == (f"scratchnn: note: {data}: column(s) {format_names(['x'])} hold numbers "
                   f"written with a decimal comma; read so (as --decimal , does; the model reads "
                   f"new tables the same way)\n")
    _, _, bundle = load_model(model)
    assert bundle.reading["decimal"] == ","
    assert next(c for c in bundle.columns if c.name == "x").kind == "numeric"
    # Given --decimal, nothing is detected: "0,5" stays text (a category).
    status, _, err, model = _train(data, tmp_path, "--decimal", ".", "--task", "classification")
    assert "decimal comma" not in err


def test_decimal_commas_beside_decimal_points_are_a_problem(tmp_path, recorder):
    rows = [[r[1].replace(".", ","), f"{float(r[1]) + 0.25}", r[3]] for r in ROWS]
    data = write(tmp_path / "d.csv", table(["x", "z", "y"], rows, sep=";"))
    model = tmp_path / "m.npz"
    err = refusal(["train", data, "--target", "y", "--out", model])
    assert (f"column(s) {format_names(['x'])} hold numbers written with a decimal comma and "
            f"{format_names(['z'])} with a decimal point; write them all one way, or read one "
            f"kind as text (--ignore x)") in err
    # A comma-separated file has no decimal commas to detect; whole numbers are no decimal point.
    rows = [[r[1].replace(".", ","), str(k), r[3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "e.csv", table(["x", "z", "y"], rows, sep=";"))
    status, _, err, _ = _train(data, tmp_path, "--val-split", "0")
    assert status == 0 and "decimal comma; read so" in err


def test_decimal_commas_not_looked_for_with_a_comma_delimiter(tmp_path, recorder):
    rows = [[f'"{r[1].replace(".", ",")}"', r[2], r[3]] for r in ROWS]
    data = write(tmp_path / "d.csv", table(["x", "color", "y"], rows))
    status, _, err, model = _train(data, tmp_path, "--task", "classification")
    assert "decimal comma" not in err
    assert load_model(model)[2].reading["decimal"] == "."


def test_decimal_commas_not_looked_for_when_sep_names_a_comma(tmp_path, recorder):
    # A comma-separated file named .tsv: the name alone would make the delimiter a tab, but
    # --sep , says otherwise, so its quoted "0,5" cells are not decimal commas.
    rows = [[f'"{r[1].replace(".", ",")}"', r[2], r[3]] for r in ROWS]
    data = write(tmp_path / "d.tsv", table(["x", "color", "y"], rows))
    status, _, err, model = _train(data, tmp_path, "--sep", ",", "--task", "classification")
    assert status == 0 and "decimal comma" not in err
    _, _, bundle = load_model(model)
    assert bundle.reading["decimal"] == "."
    assert next(c for c in bundle.columns if c.name == "x").kind == "text"


# --------------------------------------------------------------------------- refusals


def test_named_columns_must_exist(data, tmp_path):
    model = tmp_path / "m.npz"
    columns = format_names(HEADER)
    for option in ("--target", "--id", "--ignore", "--categorical"):
        argv = ["train", data, "--target", "y", "--out", model, option, "nope"]
        if option == "--target":
            argv = ["train", data, "--target", "nope", "--out", model]
        assert one_line_error(argv) == (
            f"scratchnn: error: {data}: no column 'nope' ({option}); the columns are "
            f"{columns}\n")


def test_the_target_cannot_be_an_id_or_ignored_nor_the_only_column(data, tmp_path):
    model = tmp_path / "m.npz"
    for option in ("--id", "--ignore"):
        assert one_line_error(["train", data, "--target", "y", "--out", model, option, "y"]) \
            == "scratchnn: error: --target y cannot also be an --id or --ignore column\n"
    only = write(tmp_path / "t.csv", table(["y"], [["a"], ["b"]]))
    assert one_line_error(["train", only, "--target", "y", "--out", model]) == (
        f"scratchnn: error: {only}: no feature columns besides the target 'y'\n")
    argv = ["train", data, "--target", "y", "--out", model, "--id", "id", "--ignore", "x",
            "--ignore", "color"]
    assert one_line_error(argv) == (
        f"scratchnn: error: {data}: no feature columns besides the target 'y' and the "
        f"--id/--ignore columns\n")
    assert one_line_error(argv[:-2] + ["--id", "color"]).endswith(
        "and the --id/--ignore columns\n")
    assert one_line_error(["train", data, "--target", "y", "--out", model, "--ignore", "id",
                           "--ignore", "x", "--ignore", "color"]).endswith(
        "and the --id/--ignore columns\n")
    assert one_line_error(["train", data, "--target", "y", "--out", model, "--ignore", "x",
                           "--categorical", "x"]) == (
        "scratchnn: error: --categorical x is not a feature column (it is the target, an --id "
        "or an --ignore column)\n")
    assert "--categorical y is not" in one_line_error(
        ["train", data, "--target", "y", "--out", model, "--categorical", "y"])
    assert "--categorical id is not" in one_line_error(
        ["train", data, "--target", "y", "--out", model, "--id", "id", "--categorical", "id"])


def test_lbfgs_refuses_the_stochastic_options_all_named(data, tmp_path):
    model = tmp_path / "m.npz"
    base = ["train", data, "--target", "y", "--out", model, "--optimizer", "lbfgs"]
    assert one_line_error(base + ["--dropout", "0.1", "--lr-schedule", "cosine", "--clipnorm",
                                  "1", "--weight-decay", "0.1"]) == (
        "scratchnn: error: --optimizer lbfgs minimizes one deterministic full-batch cost and "
        "cannot be combined with --dropout, --lr-schedule, --clipnorm, --weight-decay\n")
    for option, value in (("--dropout", "0.1"), ("--lr-schedule", "step:2"),
                          ("--clipnorm", "1"), ("--weight-decay", "0.1")):
        assert one_line_error(base + [option, value]).endswith(
            f"cannot be combined with {option}\n")


def test_lbfgs_trains_with_zero_weight_decay(data, tmp_path, recorder):
    pytest.importorskip("scipy")
    status, _, err, _ = _train(data, tmp_path, "--optimizer", "lbfgs", "--weight-decay", "0",
                               "--dropout", "0")
    assert status == 0, err
    assert recorder.kwargs["optimizer"] == "lbfgs"


def test_output_paths_are_checked_before_reading(tmp_path):
    missing = tmp_path / "missing.csv"  # never read: the outputs are refused first
    for argv, message in [
        (["--out", tmp_path / "no" / "m.npz"], "--out"),
        (["--out", tmp_path / "m.npz", "--checkpoint", tmp_path / "m.npz"],
         "--checkpoint"),
        (["--out", tmp_path / "m.npz", "--checkpoint", missing], "--checkpoint"),
    ]:
        err = one_line_error(["train", missing, "--target", "y", *argv])
        assert err.startswith(f"scratchnn: error: {message} ")


def test_missing_targets_refused_with_a_count_or_dropped(tmp_path, recorder):
    rows = [list(r) for r in ROWS]
    rows[3][3], rows[7][3] = "", ""
    data = write(tmp_path / "d.csv", table(HEADER, rows))
    model = tmp_path / "m.npz"
    err = refusal(["train", data, "--target", "y", "--out", model, "--id", "id"])
    assert ("  - the target 'y' is empty on 2 row(s) (the first on line 5) "
            "(--drop-missing-target)\n") in err
    assert train_argv(err) == ["train", str(data), "--target", "y", "--out", str(model),
                               "--id", "id", "--drop-missing-target"]
    status, out, err, model = _train(data, tmp_path, "--id", "id", "--drop-missing-target",
                                     "--val-split", "0")
    assert status == 0
    assert err == (f"scratchnn: note: {data}: left out 2 row(s) whose target 'y' is empty "
                   f"(--drop-missing-target)\n")
    assert "(8 rows)" in out
    assert recorder.calls[0][1].shape == (3, 8)
    assert load_model(model)[2].training["dropped_rows_missing_target"] == 2


def train_argv(err):
    lines = err.rstrip("\n").split("\n")
    assert lines[-2] == "run instead:"
    return shlex.split(lines[-1])[1:]


def test_one_label_only_is_an_error(tmp_path):
    data = write(tmp_path / "d.csv", table(["x", "y"], [["1", "a"], ["2", "a"]]))
    assert one_line_error(["train", data, "--target", "y", "--out", tmp_path / "m.npz"]) == (
        f"scratchnn: error: {data}: column 'y' holds one label only ('a'); a classifier needs "
        f"at least two\n")


def test_the_task_follows_the_rule_for_continuous_numbers():
    """The rule of docs/command-line.md's Continuous targets, as ``train`` applies it
    (``scratchnn.cli.regression.decide_task``) to a target read as text."""
    import argparse

    import pandas

    from scratchnn.cli.regression import decide_task

    def decide(labels, task="auto"):
        args = argparse.Namespace(task=task, targets=["y"], data="d", decimal=None)
        frame = pandas.DataFrame({"y": pandas.Series(labels, dtype=object)})
        return decide_task(args, frame, ".", lambda i: f"line {i + 2}")

    def classes(labels, task="auto"):
        decided, Y, problems, notes, warnings = decide(labels, task)
        assert (decided, Y, problems) == ("classification", None, [])
        return notes, warnings

    def regression(labels, task="auto"):
        decided, Y, problems, notes, warnings = decide(labels, task)
        assert (decided, problems, warnings) == ("regression", [], [])
        assert Y.shape == (1, len(labels)) and Y.dtype == np.float64
        np.testing.assert_array_equal(Y[0], [float(label) for label in labels])
        return notes

    def near(n, fractional=""):
        return (f"d: the target 'y' holds {n} distinct numbers{fractional}; trained as {n} "
                f"classes by the rule of --task auto (--task regression predicts the numbers)")

    ten = [str(k) for k in range(10)] * 2
    assert classes(ten) == ([], [])  # 10 distinct: classes, far from the line
    eleven = [str(k) for k in range(11)] * 2
    assert classes(eleven) == ([near(11)], [])  # 11 whole numbers, 2 rows each, <= 20
    twenty_one = [str(k) for k in range(21)] * 2
    assert regression(twenty_one) == []  # more than 20 distinct
    assert classes([str(k) for k in range(20)] * 2) == ([near(20)], [])  # 20: not more
    assert regression(eleven[:11] + ["0"] * 9) == []  # 11 distinct in 20 rows: < 2 each
    assert classes(eleven[:11] + ["0"] * 11) == ([near(11)], [])  # 22 rows: 2 each
    fractional = [f"{k}.5" for k in range(11)] * 3
    assert regression(fractional) == []  # more than 10 distinct, some fractional
    assert classes([f"{k}.5" for k in range(10)] * 3) == ([near(10, ", some fractional")], [])
    assert classes(fractional, "classification") == ([], [
        "d: the target 'y' looks continuous (11 distinct numbers in 33 rows, some fractional); "
        "trained as 11 classes, as --task classification asks (without it, a regression)"])
    assert classes(twenty_one, "classification") == ([], [
        "d: the target 'y' looks continuous (21 distinct numbers in 42 rows); trained as 21 "
        "classes, as --task classification asks (without it, a regression)"])
    assert classes(ten, "classification") == ([], [])
    # Not all numbers: classes, and never "looks continuous", however many distinct numbers.
    assert classes([f"{k}.5" for k in range(39)] + ["many"], "classification") == ([], [])
    assert classes([f"t{k}" for k in range(30)]) == ([], [])  # text labels are classes
    assert classes([str(k) for k in range(39)] + ["many"]) == ([], [])  # one word: not numbers
    assert classes(eleven + ["inf", "inf"]) == ([], [])  # inf is no finite number
    assert regression(["0", "1", "1", "0"], "regression") == [
        "d: the target 'y' has 2 distinct numbers only; trained as a regression, as --task "
        "regression asks (without it, 2 classes)"]
    assert regression(fractional, "regression") == []


def test_target_problems_refuse_more_labels_than_max_classes():
    def problems(labels, max_classes=None):
        return train._target_problems("d", "y", np.array(labels, dtype=object), max_classes)

    [problem] = problems(["a", "b", "c", "a"], max_classes=2)
    assert problem.column is None
    assert problem.reason == (
        "the target 'y' holds 3 distinct labels in 4 rows, more than --max-classes 2: a class "
        "needs rows to learn from, and the output layer grows with the classes")
    assert problem.fixes == ("--max-classes 3",)
    assert problems(["a", "b", "c"], max_classes=3) == []
    assert problems([f"t{k}" for k in range(30)]) == []  # no --max-classes: any number
    fractional = [f"{k}.5" for k in range(11)] * 3  # classified by --task classification
    assert problems(fractional, max_classes=5)[0].fixes == ("--max-classes 11",)
    assert problems(fractional, max_classes=11) == []


def test_problems_are_gathered_into_one_refusal_with_a_command(tmp_path):
    rows = [[r[0], f"note {k}", r[1], f"{k}.5" if k % 2 else f"{k}.25"]
            for k, r in enumerate(ROWS)] * 2
    rows = [[f"{k:03d}", *r[1:]] for k, r in enumerate(rows)]
    for k, row in enumerate(rows):
        row[1] = f"free text {k}"
    data = write(tmp_path / "d.csv", table(["id", "text", "x", "y"], rows))
    model = tmp_path / "m.npz"
    err = refusal(["train", data, "--target", "y", "--out", model, "--max-classes", "5"])
    assert err.startswith(f"scratchnn: error: {data}: ")
    assert "--max-classes 10" in err and "(a warning) column 'text'" in err
    argv = train_argv(err)
    assert argv[:6] == ["train", str(data), "--target", "y", "--out", str(model)]
    assert "--max-classes" in argv[6:]


def test_suggested_command_takes_the_first_fix_of_each_problem_once():
    class Args:
        argv = ["train", "my data.csv", "--target", "y"]

    problems = [ColumnProblem("a", "r", ("--ignore a", "--categorical a")),
                ColumnProblem(None, "r", ()), ColumnProblem("b", "r", ("--ignore a",)),
                ColumnProblem("c", "r", ("--id c",))]
    assert train._suggested_command(Args, problems) == (
        "scratchnn train 'my data.csv' --target y --ignore a --id c")
    assert train._suggested_command(Args, [ColumnProblem(None, "r", ())]) is None
    Args.argv = None
    assert train._suggested_command(Args, problems) is None


def test_split_holds_out_the_ceiling_of_the_share():
    train_rows, val_rows = train._split(10, 0.32, 3, "d")
    assert len(val_rows) == 4 and len(train_rows) == 6
    assert sorted([*train_rows, *val_rows]) == list(range(10))
    assert list(train_rows) == sorted(train_rows) and list(val_rows) == sorted(val_rows)
    order = np.random.default_rng(3).permutation(10)
    assert set(val_rows) == set(order[:4].tolist())
    assert [len(part) for part in train._split(10, 0.0, 0, "d")] == [10, 0]
    assert [len(part) for part in train._split(1, 0.0, 0, "d")] == [1, 0]
    assert [len(part) for part in train._split(2, 0.5, 0, "d")] == [1, 1]
    with pytest.raises(ValueError) as excinfo:
        train._split(1, 0.2, 0, "d.csv")
    assert str(excinfo.value) == "d.csv has 1 rows: too few to hold out --val-split 0.2"


def test_keep_prob_drops_hidden_outputs_only():
    class Args:
        dropout, hidden = 0.0, [4, 3]

    assert train._keep_prob(Args) is None
    Args.dropout = 0.2
    assert train._keep_prob(Args) == [1.0, 0.8, 0.8]


def test_sort_warnings_keeps_problems_and_reissues_the_rest():
    from scratchnn.diagnostics import Problem, TrainingProblemWarning

    problem = Problem("vanishing gradients", "vanishing")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(problem, TrainingProblemWarning)
        warnings.warn("other", RuntimeWarning)
        warnings.warn("text", TrainingProblemWarning)
    with pytest.warns(RuntimeWarning, match="other") as again:
        assert train._sort_warnings(caught) == [problem.advice("cli"), "text"]
    assert len(again) == 1 and again[0].filename == caught[1].filename
    assert again[0].lineno == caught[1].lineno


def test_train_help_names_the_estimators_defaults(capsys):
    with pytest.raises(SystemExit):
        run_main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "usage: scratchnn train" in text and "--target COLUMN" in text
    for option in ("--hidden N [N ...]", "--lr X", "--batch-size N", "--epochs N",
                   "--val-split X", "--patience N", "--seed N", "--plot CURVES.png",
                   "--checkpoint CKPT.npz", "--max-classes N", "--id COLUMN"):
        assert option in text


def run_main(argv):
    from scratchnn.cli import main

    return main(argv)


def test_train_reads_ids_targets_and_categorical_columns_as_text(tmp_path, recorder):
    rows = [[f"00{k}", f"0{k % 3}", r[1], ["01", "1"][k % 2]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.csv", table(["id", "code", "x", "y"], rows))
    status, _, err, model = _train(data, tmp_path, "--id", "id", "--categorical", "code")
    assert status == 0, err
    _, _, bundle = load_model(model)
    assert bundle.label_names == ["01", "1"]
    code = next(c for c in bundle.columns if c.name == "code")
    assert code.kind == "text"
    assert "=00" in " ".join(bundle.describe()) or "00" in " ".join(bundle.describe())
    assert bundle.id_columns == ["id"]


def test_dates_are_noted_as_read(tmp_path, recorder):
    rows = [[f"2024-01-{k + 1:02d}", r[1], r[3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.csv", table(["day", "x", "y"], rows))
    status, _, err, model = _train(data, tmp_path)
    assert status == 0
    [column] = [c for c in load_model(model)[2].columns if c.name == "day"]
    assert (f"scratchnn: note: {data}: column 'day' holds dates ({column.format}); read as days "
            f"since 1970-01-01, month and weekday\n") in err


def test_table_refused_lists_problems_warnings_and_command():
    problems = [ColumnProblem("a", "too many categories", ("--ignore a",))]
    warned = [ColumnProblem("k", "looks like a row id", ("--id k",))]
    text = str(train.TableRefused("d.csv", problems, "scratchnn train d.csv --ignore a", warned))
    assert text == ("d.csv: 1 problem(s) to fix before training:\n"
                    "  - column 'a': too many categories (--ignore a)\n"
                    "  - (a warning) column 'k': looks like a row id (--id k)\n"
                    "run instead:\n  scratchnn train d.csv --ignore a")
    assert isinstance(train.TableRefused("d", problems, None), ValueError)


def _csv(text):
    return list(csv.reader(io.StringIO(text)))


# --------------------------------------------------------------------------- survivors of mutmut


def test_one_validation_row_is_a_validation_split(tmp_path, recorder):
    data = write(tmp_path / "d.csv", table(HEADER, ROWS[:5]))
    assert _train(data, tmp_path, "--id", "id")[0] == 0
    assert recorder.kwargs["validation_data"][0].shape == (3, 1)


def test_the_best_epochs_weights_are_kept(data, tmp_path, monkeypatch):
    def train(network, X, Y, **kwargs):
        for callback in kwargs["callbacks"]:
            callback.on_train_begin(network)
        logs = {}
        for epoch, val_loss in enumerate([0.9, 0.5, 0.7], start=1):
            network.theta[:] = epoch  # each epoch's weights, told apart
            logs = {"loss": 1.0, "val_loss": val_loss, "val_accuracy": 0.5}
            for callback in kwargs["callbacks"]:
                callback.on_epoch_end(epoch, logs)
        for callback in kwargs["callbacks"]:
            callback.on_train_end(logs)

    monkeypatch.setattr(scratchnn.network.ClassifierNN, "train", train)
    status, out, _, model = _train(data, tmp_path, "--epochs", "3", "--id", "id")
    assert status == 0 and "kept epoch 2 of 3" in out
    network, _, _ = load_model(model)
    assert np.all(network.theta == 2)


def test_the_progress_bar_counts_epochs_on_stderr(data, tmp_path, recorder):
    recorder.history = [(0.5, 0.5, 0.5)] * 2
    status, out, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                            "--epochs", "2", "--id", "id"])
    assert status == 0 and "training" not in out
    bar = err.replace("\r", "\n").strip().split("\n")[-1]
    assert bar.startswith("training: 100%") and "2/2" in bar and "epoch/s" in bar


def test_ctrl_c_hides_the_loops_own_warning_and_names_the_checkpoint(data, tmp_path, recorder):
    checkpoint = tmp_path / "ck.npz"
    recorder.history = [(0.5, 0.5, 0.5)] * 5

    class Interrupting(Recorder):
        def __call__(self, network, X, Y, **kwargs):
            warnings.warn("training interrupted by the user after 2 epochs", UserWarning)
            raise KeyboardInterrupt

    rec = Interrupting()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scratchnn.network.ClassifierNN, "train",
                      lambda network, X, Y, **kwargs: rec(network, X, Y, **kwargs))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status, _, err, model = _train(data, tmp_path, "--epochs", "5", "--checkpoint",
                                           checkpoint, "--checkpoint-every", "2", "--id", "id")
    assert status == 130 and caught == []
    assert err == (f"scratchnn: interrupted after 0 complete epoch(s); no model saved; no "
                   f"checkpoint was written yet to {checkpoint}\n")
    checkpoint.write_bytes(b"x")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scratchnn.network.ClassifierNN, "train",
                      lambda network, X, Y, **kwargs: rec(network, X, Y, **kwargs))
        status, _, err, _ = _train(data, tmp_path, "--epochs", "5", "--checkpoint",
                                   checkpoint, "--id", "id")
    assert status == 130 and err.endswith(f"no checkpoint was written yet to {checkpoint}\n")


def test_whole_numbers_written_with_a_point_beside_decimal_commas_are_fine(tmp_path, recorder):
    rows = [[r[1].replace(".", ","), f"{2 * k + 1}.0", r[3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.csv", table(["x", "z", "y"], rows, sep=";"))
    status, _, err, _ = _train(data, tmp_path, "--val-split", "0")
    assert status == 0 and "decimal comma; read so" in err


# --------------------------------------------------------------------------- mutmut's survivors


def test_train_refuses_outputs_that_overwrite_its_inputs_naming_both(data, tmp_path, recorder):
    model, checkpoint = tmp_path / "m.npz", tmp_path / "ck.npz"
    argv = ["train", data, "--target", "y"]
    assert one_line_error([*argv, "--out", data]) == (
        f"scratchnn: error: --out {data} is the same file as DATA {data}; refusing to overwrite "
        f"it\n")
    assert one_line_error([*argv, "--out", model, "--checkpoint", model]) == (
        f"scratchnn: error: --checkpoint {model} is the same file as --out {model}; refusing to "
        f"overwrite it\n")
    assert one_line_error([*argv, "--out", model, "--checkpoint", checkpoint, "--plot",
                           checkpoint]) == (
        f"scratchnn: error: --plot {checkpoint} is the same file as --checkpoint {checkpoint}; "
        f"refusing to overwrite it\n")
    assert not recorder.calls


def test_train_refuses_a_target_given_twice(data, tmp_path):
    assert one_line_error(["train", data, "--target", "y", "--target", "y", "--out",
                           tmp_path / "m.npz"]) == (
        "scratchnn: error: --target y is given more than once\n")


def test_several_targets_are_named_in_what_train_says_of_them(tmp_path, regression_recorder):
    rows = [[x, y, str(float(y) * 2)] for x, y in REGRESSION]
    only = write(tmp_path / "only.csv", table(["y", "z"], [r[1:] for r in rows]))
    argv = ["--target", "y", "--target", "z", "--out", tmp_path / "m.npz", "--quiet"]
    assert one_line_error(["train", only, *argv]) == (
        f"scratchnn: error: {only}: no feature columns besides the targets "
        f"{format_names(['y', 'z'])}\n")
    rows[3][2] = ""
    gap = write(tmp_path / "gap.csv", table(["x", "y", "z"], rows))
    err = refusal(["train", gap, *argv])
    assert (f"a target of {format_names(['y', 'z'])} is empty on 1 row(s) (the first on line "
            f"5)") in err
    status, _, err = run(["train", gap, *argv, "--drop-missing-target"])
    assert status == 0
    assert (f"{gap}: left out 1 row(s) where a target of {format_names(['y', 'z'])} is empty "
            f"(--drop-missing-target)") in err


def test_keep_na_strings_makes_na_a_label_of_the_target(tmp_path, recorder):
    rows = [[r[1], ["NA", "b"][k % 2]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.csv", table(["x", "y"], rows))
    status, _, err, model = _train(data, tmp_path, "--keep-na-strings")
    assert status == 0, err
    assert load_model(model)[2].label_names == ["NA", "b"]


def test_impute_and_date_format_reach_the_columns(tmp_path, recorder):
    xs = ["1", "2", "", "10", "3", "4", "50", "5", "6", "70"]
    # Days up to 12: day first (the first format tried) and month first both read every date.
    rows = [[x, f"01/{k + 1:02d}/2020", r[3]] for k, (x, r) in enumerate(zip(xs, ROWS))]
    data = write(tmp_path / "d.csv", table(["x", "when", "y"], rows))
    status, _, err, model = _train(data, tmp_path, "--impute", "mean", "--date-format",
                                   "%m/%d/%Y")
    assert status == 0, err
    columns = {c.name: c for c in load_model(model)[2].columns}
    train_rows, _ = train._split(10, 0.2, 0, "d")
    present = [float(xs[k]) for k in train_rows if xs[k]]
    assert columns["x"].fill == pytest.approx(np.mean(present))
    assert np.mean(present) != np.median(present)
    assert (columns["when"].kind, columns["when"].format) == ("date", "%m/%d/%Y")


def test_train_refuses_too_few_rows_for_the_validation_split_naming_the_file(tmp_path):
    data = write(tmp_path / "two.csv", table(["x", "y"], [["0.1", "a"], ["0.2", "b"]]))
    assert one_line_error(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                           "--val-split", "0.9"]) == (
        f"scratchnn: error: {data} has 2 rows: too few to hold out --val-split 0.9\n")


def test_decimal_commas_are_read_as_their_numbers(tmp_path, recorder):
    rows = [[r[1].replace(".", ","), r[2], r[3]] for r in ROWS]
    data = write(tmp_path / "d.csv", table(["x", "color", "y"], rows, sep=";"))
    status, _, err, model = _train(data, tmp_path)
    assert status == 0, err
    train_rows, _ = train._split(10, 0.2, 0, "d")
    x = next(c for c in load_model(model)[2].columns if c.name == "x")
    assert x.fill == np.median([float(ROWS[k][1]) for k in train_rows])
    # Beside a column with a decimal point, every decimal-comma column is named in the fix.
    rows = [[r[1].replace(".", ","), r[1].replace(".", ","), f"{float(r[1]) + 0.25}", r[3]]
            for r in ROWS]
    data = write(tmp_path / "e.csv", table(["x", "w", "z", "y"], rows, sep=";"))
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz"])
    assert err.rstrip("\n").endswith(" --ignore x --ignore w")


def test_a_regression_target_that_is_not_a_number_is_located(tmp_path):
    rows = [list(r) for r in REGRESSION]
    rows[2][1] = "lots"
    data = write(tmp_path / "r.csv", table(["x", "y"], rows))
    err = refusal(["train", data, "--target", "y", "--task", "regression", "--out",
                   tmp_path / "m.npz"])
    assert ("  - the target 'y' is 'lots' on line 4, not a finite number; a regression (--task "
            "regression) needs numbers\n") in err
    # Several targets make the regression; a decimal comma gets a hint.
    rows = [[x, y, str(float(y) * 2)] for x, y in REGRESSION]
    rows[4][2], rows[7][1] = "\"3,5\"", "lots"
    data = write(tmp_path / "r.csv", table(["x", "y", "z"], rows))
    err = refusal(["train", data, "--target", "y", "--target", "z", "--out", tmp_path / "m.npz"])
    assert ("  - the target 'y' is 'lots' on line 9, not a finite number; a regression (several "
            "--target) needs numbers\n"
            "  - the target 'z' is '3,5' on line 6, not a finite number; a regression (several "
            "--target) needs numbers (numbers written with a decimal comma need --decimal ,)\n"
            ) in err


def test_a_regression_target_with_one_value_is_refused(tmp_path):
    rows = [[x, "2.5"] for x, _ in REGRESSION]
    data = write(tmp_path / "r.csv", table(["x", "y"], rows))
    assert one_line_error(["train", data, "--target", "y", "--task", "regression", "--out",
                           tmp_path / "m.npz"]) == (
        f"scratchnn: error: {data}: the target 'y' holds one value only (2.5); a regression "
        f"needs at least two\n")


def test_decimal_given_reads_a_text_feature_column_with_it(tmp_path):
    # "abc" keeps x text for pandas; read with --decimal , the other cells are numbers, so the
    # column is a numeric one with one bad cell (read with ".", it would be all text).
    rows = [[r[1].replace(".", ","), r[3]] for r in ROWS]
    rows[4][0] = "abc"
    data = write(tmp_path / "d.csv", table(["x", "y"], rows, sep=";"))
    err = refusal(["train", data, "--target", "y", "--decimal", ",", "--out",
                   tmp_path / "m.npz"])
    assert ("column 'x': 1 cell(s) are not numbers ('abc'; first on line 6) among 9 numbers"
            in err)


def test_a_target_spelled_na_is_missing_unless_keep_na_strings(tmp_path, recorder):
    rows = [[r[1], r[3]] for r in ROWS]
    rows[3][1] = "NA"
    data = write(tmp_path / "d.csv", table(["x", "y"], rows))
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz"])
    assert "the target 'y' is empty on 1 row(s) (the first on line 5)" in err


def test_a_class_of_one_training_row_weighs_all_of_its_share(tmp_path, recorder):
    rows = [[r[1], r[2], "a" if k < 6 else "b"] for k, r in enumerate(ROWS)] + [
        ["0.5", "red", "c"]]
    data = write(tmp_path / "d.csv", table(["x", "color", "y"], rows))
    status, _, err, _ = _train(data, tmp_path, "--class-weight", "balanced", "--val-split", "0")
    assert status == 0, err
    # 11 rows, 3 classes of 6, 4 and 1 rows: 11/18, 11/12 and 11/3.
    assert recorder.kwargs["sample_weight"] == pytest.approx(
        [11 / 18] * 6 + [11 / 12] * 4 + [11 / 3])
    assert f"label(s) {format_names(['c'])} of 'y' have fewer than 2 training rows" in err
    rows.append(["0.6", "blue", "c"])  # two rows are enough
    data = write(tmp_path / "e.csv", table(["x", "color", "y"], rows))
    status, _, err, _ = _train(data, tmp_path, "--val-split", "0")
    assert status == 0 and "fewer than 2 training rows" not in err


def test_classifying_a_continuous_target_warns_beside_the_column_warnings(tmp_path, recorder):
    rows = [[k, x, y] for k, (x, y) in enumerate(REGRESSION)]
    data = write(tmp_path / "r.csv", table(["n", "x", "y"], rows))
    status, _, err, _ = _train(data, tmp_path, "--task", "classification", "--val-split", "0")
    assert status == 0, err
    assert "the target 'y' looks continuous" in err and "column 'n': looks like a row id" in err


def test_row_ids_are_looked_for_on_the_training_rows(tmp_path, recorder):
    # n is distinct on the 10 training rows, not on all 13: a row id all the same.
    train_rows, val_rows = train._split(13, 0.2, 0, "d")
    n = list(range(13))
    n[val_rows[0]] = n[train_rows[0]]
    rows = [[n[k], f"{k % 5 / 10}", "ab"[k % 2]] for k in range(13)]
    data = write(tmp_path / "d.csv", table(["n", "x", "y"], rows))
    status, _, err, _ = _train(data, tmp_path)
    assert status == 0
    assert ("column 'n': looks like a row id (its values are distinct whole numbers on every "
            "training row)") in err


def test_a_column_refused_is_not_also_warned_of_as_a_row_id(tmp_path):
    # 14 rows, 11 of them training: enough to look for row ids (10).
    rows = [[k, f"{k % 5 / 10}", "ab"[k % 2]] for k in range(13)] + [["abc", "0.5", "a"]]
    data = write(tmp_path / "d.csv", table(["n", "x", "y"], rows))
    err = refusal(["train", data, "--target", "y", "--out", tmp_path / "m.npz"])
    assert "column 'n': 1 cell(s) are not numbers" in err and "row id" not in err


def test_inputs_are_standardized_on_the_training_rows(data, tmp_path, recorder):
    status, _, err, model = _train(data, tmp_path, "--id", "id")
    assert status == 0, err
    bundle = load_model(model)[2]
    train_rows, _ = train._split(10, 0.2, 0, "d")
    x = np.array([float(ROWS[k][1]) for k in train_rows])
    assert bundle.mean[0] == pytest.approx(x.mean()) and bundle.scale[0] == pytest.approx(x.std())




def test_a_regression_hands_the_loop_its_network_and_records_its_settings(
        tmp_path, regression_recorder):
    rows = [[x, y, str(float(y) * 2 + 1)] for x, y in REGRESSION]
    data = write(tmp_path / "r.csv", table(["x", "y", "z"], rows))
    model = tmp_path / "m.npz"
    status, _, err = run(["train", data, "--target", "y", "--target", "z", "--out", model,
                          "--hidden", "4", "3", "--activation", "tanh", "--batch-norm", "--seed",
                          "5", "--dtype", "float64", "--quiet"])
    assert status == 0, err
    network, X, Y, kwargs = regression_recorder.calls[0]
    assert network.layer_dims == [1, 4, 3, 2]
    assert network.activations == ["tanh", "tanh", "linear"]
    assert network.batch_norm is True and network.seed == 5
    assert kwargs["loss"] == "MeanSquaredError" and kwargs["sample_weight"] is None
    # The targets standardized on the training rows, in float64 as asked.
    train_rows, val_rows = train._split(30, 0.2, 5, "d")
    targets = np.array([[float(r[1]), float(r[2])] for r in rows]).T
    mean = targets[:, train_rows].mean(axis=1, keepdims=True)
    scale = targets[:, train_rows].std(axis=1, keepdims=True)
    assert Y.dtype == np.float64
    np.testing.assert_allclose(Y, (targets[:, train_rows] - mean) / scale)
    np.testing.assert_allclose(kwargs["validation_data"][1],
                               (targets[:, val_rows] - mean) / scale)
    training = load_model(model)[2].training
    assert training["loss"] == "MeanSquaredError" and training["lr_schedule"] is None
    assert "class_weight" not in training and "label_smoothing" not in training


# --------------------------------------------------------------------------- a regression's scores


def _scores(bundle, rows, names, part):
    """``{target: (rmse, mae, r2)}`` of ``bundle`` on ``rows`` (cells of the columns ``names``:
    the inputs ``x``, then the targets), from NumPy's formulas; ``r2`` NaN for a constant
    target."""
    import pandas

    frame = pandas.DataFrame([[float(c) for c in r] for r in rows], columns=names)
    X, _, _ = bundle.inputs(frame[["x"]], part, str)
    P = bundle.predict_values(X)
    scores = {}
    for name, p in zip(bundle.targets, P):
        y = frame[name].to_numpy()
        spread = np.sum((y - y.mean()) ** 2)
        r2 = 1 - np.sum((y - p) ** 2) / spread if spread > 0 else np.nan
        scores[name] = (np.sqrt(np.mean((y - p) ** 2)), np.mean(np.abs(y - p)), r2)
    return scores


def _printed_scores(out):
    """``{(part, target): (rmse, mae, r2, rows)}`` from the lines train prints for a regression
    (``r2`` None for n/a), each line checked whole."""
    import re

    printed = {}
    for line in out.splitlines():
        match = re.fullmatch(r"(train|validation)( '(\w+)')?: RMSE (\S+), MAE (\S+), R2 (\S+) "
                             r"\((\d+) rows\)", line)
        if match:
            part, _, name, rmse, mae, r2, n = match.groups()
            assert r2 == "n/a" or len(r2.split(".")[1]) == 4, line  # R2 with 4 decimals
            printed[part, name] = (float(rmse), float(mae), None if r2 == "n/a" else float(r2),
                                   int(n))
    return printed


def test_a_regression_prints_and_keeps_rmse_mae_and_r2_of_both_parts(tmp_path,
                                                                     regression_recorder):
    data = write(tmp_path / "r.csv", table(["x", "y"], REGRESSION))
    model = tmp_path / "m.npz"
    status, out, err = run(["train", data, "--target", "y", "--out", model, "--quiet"])
    assert status == 0, err
    bundle = load_model(model)[2]
    train_rows, val_rows = train._split(30, 0.2, 0, "d")
    printed = _printed_scores(out)
    assert list(printed) == [("train", None), ("validation", None)]
    for part, rows in (("train", train_rows), ("validation", val_rows)):
        (rmse, mae, r2), = _scores(bundle, [REGRESSION[k] for k in rows], ["x", "y"],
                                   part).values()
        assert printed[part, None][3] == len(rows)
        np.testing.assert_allclose(printed[part, None][:2], [rmse, mae], rtol=5e-6)
        assert printed[part, None][2] == pytest.approx(r2, abs=5e-5)
        stored = [bundle.training[f"{part}_{metric}"] for metric in ("rmse", "mae", "r2")]
        assert all(isinstance(value, float) for value in stored)  # one target: numbers
        np.testing.assert_allclose(stored, [rmse, mae, r2], rtol=1e-6)
    assert "train accuracy" not in out
    status, out, err = run(["train", data, "--target", "y", "--out", model, "--quiet",
                            "--val-split", "0"])
    assert status == 0, err
    assert list(_printed_scores(out)) == [("train", None)]  # no validation rows, no line
    training = load_model(model)[2].training
    assert "train_rmse" in training and "validation_rmse" not in training


def test_a_regression_of_several_targets_scores_each_and_says_when_r2_is_undefined(
        tmp_path, regression_recorder):
    _, val_rows = train._split(30, 0.2, 0, "d")
    # z is constant on the validation rows: R2 undefined there, n/a.
    rows = [[x, y, "5" if k in val_rows else str(float(y) * 2 + k % 3)]
            for k, (x, y) in enumerate(REGRESSION)]
    data = write(tmp_path / "r.csv", table(["x", "y", "z"], rows))
    model = tmp_path / "m.npz"
    status, out, err = run(["train", data, "--target", "y", "--target", "z", "--out", model,
                            "--quiet"])
    assert status == 0, err
    bundle = load_model(model)[2]
    train_rows, val_rows = train._split(30, 0.2, 0, "d")
    printed = _printed_scores(out)
    assert list(printed) == [("train", "y"), ("train", "z"), ("validation", "y"),
                             ("validation", "z")]
    for part, part_rows in (("train", train_rows), ("validation", val_rows)):
        expected = _scores(bundle, [rows[k] for k in part_rows], ["x", "y", "z"], part)
        for k, name in enumerate("yz"):
            rmse, mae, r2 = expected[name]
            assert printed[part, name][3] == len(part_rows)
            np.testing.assert_allclose(printed[part, name][:2], [rmse, mae], rtol=5e-6)
            for metric, value in zip(("rmse", "mae"), (rmse, mae)):
                assert bundle.training[f"{part}_{metric}"][k] == pytest.approx(value, rel=1e-6)
            if np.isnan(r2):
                assert printed[part, name][2] is None
                assert bundle.training[f"{part}_r2"][k] is None
            else:
                assert printed[part, name][2] == pytest.approx(r2, abs=5e-5)
                assert bundle.training[f"{part}_r2"][k] == pytest.approx(r2, rel=1e-6)
    assert printed["validation", "z"][2] is None and printed["train", "z"][2] is not None


@pytest.mark.parametrize("options, why", [
    (["--task", "regression"], "train fits a regression (--task regression)"),
    (["--target", "z"], "train fits a regression (several --target)"),
    ([], "the target is continuous, so train fits a regression (--task classification "
         "classifies it)"),
])
def test_a_regression_refuses_the_classifier_options_saying_why(tmp_path, regression_recorder,
                                                                options, why):
    rows = [[x, y, str(float(y) * 2)] for x, y in REGRESSION]
    data = write(tmp_path / "r.csv", table(["x", "y", "z"], rows))
    argv = ["train", data, "--target", "y", "--out", tmp_path / "m.npz", "--quiet", *options]
    if options != ["--target", "z"]:
        argv += ["--ignore", "z"]
    for given, named in ((["--class-weight", "balanced"], "--class-weight"),
                         (["--label-smoothing", "0.1"], "--label-smoothing"),
                         (["--label-smoothing", "0.1", "--class-weight", "balanced"],
                          "--class-weight, --label-smoothing")):
        assert one_line_error([*argv, *given]) == (
            f"scratchnn: error: {named} is for classifiers only; {why}\n")
    # Their values that change nothing are no reason to refuse.
    status, _, err = run([*argv, "--class-weight", "none", "--label-smoothing", "0"])
    assert status == 0, err


def test_a_validation_value_beyond_the_inputs_dtype_once_standardized_is_refused(tmp_path,
                                                                                  recorder):
    # Standardized with the training rows' mean and spread (about 0.5 and 0.3), a validation
    # value of 1e39 is about 3e39, beyond float32's largest (3.4e38); as a training row it
    # makes the spread itself, and is about 3 spreads from the mean.
    train_rows, val_rows = train._split(10, 0.2, 0, "d")
    rows = [["1e39" if k == val_rows[0] else r[1], r[3]] for k, r in enumerate(ROWS)]
    data = write(tmp_path / "d.csv", table(["x", "y"], rows))
    assert one_line_error(["train", data, "--target", "y", "--out", tmp_path / "m.npz"]) == (
        f"scratchnn: error: {data}: column 'x' holds values too large to standardize (beyond "
        f"the float32 range once centred)\n")
    status, _, err, _ = _train(data, tmp_path, "--dtype", "float64")  # within float64's range
    assert status == 0, err
    status, _, err, _ = _train(data, tmp_path, "--val-split", "0")
    assert status == 0, err


def test_a_continuous_target_written_with_decimal_commas_is_refused_with_its_fixes(tmp_path,
                                                                                 recorder):
    # Twelve distinct fractional numbers, quoted "1,37": continuous when read with --decimal ,.
    rows = [[k % 7, f"\"{k * 0.37 + 1:.2f}\"".replace(".", ",")] for k in range(12)]
    data = write(tmp_path / "d.csv", table(["x", "y"], rows))
    model = tmp_path / "m.npz"
    err = refusal(["train", data, "--target", "y", "--out", model])
    assert err == (
        f"scratchnn: error: {data}: 1 problem(s) to fix before training:\n"
        f"  - the target 'y' holds numbers written with a decimal comma (12 distinct): read so, "
        f"they are continuous and train fits a regression; read as text, each is a class "
        f"(--decimal , or --task classification)\n"
        f"run instead:\n  scratchnn train {data} --target y --out {model} --decimal ,\n")
    # Not all numbers (1e999 is no finite number), or few distinct: text labels, no problem.
    for cells in ([*[r[1] for r in rows[:3]], "1e999", *[r[1] for r in rows[4:]]],
                  [f"\"{k % 5 + 0.5}\"".replace(".", ",") for k in range(12)]):
        data = write(tmp_path / "d.csv", table(["x", "y"], [[r[0], c] for r, c in
                                                            zip(rows, cells)]))
        status, _, err = run(["train", data, "--target", "y", "--out", model, "--quiet"])
        assert status == 0 and "decimal comma" not in err, err
        assert load_model(model)[2].task == "classification"


def test_a_target_empty_on_every_row_leaves_nothing_to_train_on(tmp_path):
    rows = [[f"{k / 10}", "", "1" if k % 2 else ""] for k in range(10)]
    data = write(tmp_path / "d.csv", table(["x", "y", "z"], rows))
    argv = ["train", data, "--target", "y", "--out", tmp_path / "m.npz"]
    for options in ([], ["--drop-missing-target"], ["--task", "regression"],
                    ["--task", "classification", "--drop-missing-target"]):
        assert one_line_error([*argv, "--ignore", "z", *options]) == (
            f"scratchnn: error: {data}: the target 'y' is empty on every row; there is nothing "
            f"to train on\n")
    assert one_line_error([*argv, "--target", "z", "--drop-missing-target"]) == (
        f"scratchnn: error: {data}: a target of {format_names(['y', 'z'])} is empty on every "
        f"row; there is nothing to train on\n")


def test_task_classification_refuses_several_targets(tmp_path):
    rows = [[x, y, str(float(y) * 2)] for x, y in REGRESSION]
    data = write(tmp_path / "r.csv", table(["x", "y", "z"], rows))
    assert one_line_error(["train", data, "--target", "y", "--target", "z", "--out",
                           tmp_path / "m.npz", "--task", "classification"]) == (
        f"scratchnn: error: --task classification takes one --target; several "
        f"({format_names(['y', 'z'])}) make a regression\n")


def test_target_numbers_reads_each_target_and_marks_what_is_no_finite_number():
    import pandas

    from scratchnn.cli.regression import target_numbers

    frame = pandas.DataFrame({"a": pandas.Series(["1,5", "x", "", "1e999", "-2"], dtype=object),
                              "b": [1.0, 2.0, 3.0, 4.0, 5.0]})
    Y, bad = target_numbers(frame, ["a", "b"], ",")
    np.testing.assert_array_equal(Y, [[1.5, np.nan, np.nan, np.inf, -2.0], [1, 2, 3, 4, 5]])
    # A word and an infinite number are bad; a missing cell is not (it is NaN).
    assert bad.tolist() == [[False, True, False, True, False], [False] * 5]
    Y, bad = target_numbers(frame, ["a"], ".")
    assert np.isnan(Y[0, 0]) and bad[0].tolist() == [True, True, False, True, False]
