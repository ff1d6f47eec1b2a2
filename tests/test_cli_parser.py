"""The command line's options as declared: each command's defaults (those of
docs/command-line.md's tables), what each option parses to, the required ones, the handler each
command runs, and that every option has help. Parsing only: no command runs."""

import argparse
import re

import pytest

from cli_run import run
from scratchnn.cli import build_parser, data, demos, model, predict, train


def _parse(argv):
    args = vars(build_parser().parse_args(argv))
    return args.pop("handler"), args


READING = {"sep": None, "decimal": None, "header": None, "na_values": None,
           "keep_na_strings": None}


def test_train_defaults():
    handler, args = _parse(["train", "d.csv", "--target", "y", "--out", "m.npz"])
    assert handler is train._run_train
    assert args == {
        "command": "train", "data": "d.csv", "targets": ["y"], "out": "m.npz", "ids": [],
        "ignore": [], "categorical": [], "date_format": None, "drop_missing_target": False,
        "max_classes": 1000, "task": "auto", "impute": "median", "preset": None,
        "hidden": None, "activation": "relu", "optimizer": "adam", "epochs": None,
        "batch_size": None, "lr": None, "lr_schedule": None, "clipnorm": None,
        "weight_decay": None, "label_smoothing": 0.0, "l2": 0.0, "dropout": 0.0,
        "batch_norm": False, "dtype": None, "class_weight": "none", "val_split": None,
        "patience": None, "no_early_stopping": False, "seed": 0, "plot": None,
        "checkpoint": None, "checkpoint_every": 1, "threads": None, **READING, "quiet": False}
    # Left out, the options a preset decides get the command line's own defaults when training.
    filled = argparse.Namespace(**args)
    train._fill_defaults(filled)
    assert {name: getattr(filled, name) for name in train._OWN_DEFAULTS} == {
        "hidden": [25, 15], "epochs": 100, "batch_size": 64, "lr": 0.01, "dtype": "float32",
        "val_split": 0.2, "patience": 10}


@pytest.mark.parametrize("preset", ["mlp", "tabular", "auto"])
def test_train_preset_defaults_are_the_estimators(preset):
    """``--preset NAME`` makes the options it decides default to NNClassifier's values under
    that preset; an option given keeps its value."""
    from scratchnn.presets import PRESETS

    _, args = _parse(["train", "d.csv", "--target", "y", "--out", "m.npz", "--preset", preset,
                      "--lr", "0.5"])
    filled = argparse.Namespace(**args)
    train._fill_defaults(filled)
    keep_best = preset == "tabular"
    assert filled.preset_settings is PRESETS[preset]
    # auto's split and patience wait for the number of rows (train decides them once read)
    assert (filled.hidden, filled.epochs, filled.batch_size, filled.lr, filled.dtype,
            filled.val_split, filled.patience) == (
        [100], 200, None, 0.5, "float64", *((None, None) if preset == "auto" else
                                            (0.1, 200) if keep_best else (0.0, 10)))
    if preset == "auto":
        assert train._preset_defaults(PRESETS["auto"], 4999)["val_split"] == 0.0
        assert train._preset_defaults(PRESETS["auto"], 5000)["patience"] == 200


def test_train_options_parse_to_their_values():
    _, args = _parse([
        "train", "d.csv", "--target", "y", "--target", "z", "--out", "m.npz", "--id", "a",
        "--id", "b",
        "--ignore", "c", "--categorical", "e", "--date-format", "%d/%m/%Y",
        "--drop-missing-target", "--max-classes", "5", "--task", "classification",
        "--impute", "mean", "--preset", "tabular", "--hidden", "4", "3", "--activation",
        "tanh", "--optimizer", "rmsprop", "--epochs", "7", "--batch-size", "8", "--lr", "0.5",
        "--lr-schedule", "cosine:2", "--clipnorm", "1.5", "--weight-decay", "0.1",
        "--label-smoothing", "0.2", "--l2", "0.3", "--dropout", "0.4", "--batch-norm",
        "--dtype", "float64", "--class-weight", "balanced", "--val-split", "0",
        "--patience", "3", "--no-early-stopping", "--seed", "9", "--plot", "c.png",
        "--checkpoint", "ck.npz", "--checkpoint-every", "2", "--threads", "3", "--sep", "tab",
        "--decimal", ",", "--no-header", "--na-values", "?", "--keep-na-strings", "--quiet"])
    assert args == {
        "command": "train", "data": "d.csv", "targets": ["y", "z"], "out": "m.npz",
        "ids": ["a", "b"],
        "ignore": ["c"], "categorical": ["e"], "date_format": "%d/%m/%Y",
        "drop_missing_target": True, "max_classes": 5, "task": "classification",
        "impute": "mean", "preset": "tabular", "hidden": [4, 3], "activation": "tanh",
        "optimizer": "rmsprop",
        "epochs": 7, "batch_size": 8, "lr": 0.5, "lr_schedule": ("cosine", 2),
        "clipnorm": 1.5, "weight_decay": 0.1, "label_smoothing": 0.2, "l2": 0.3,
        "dropout": 0.4, "batch_norm": True, "dtype": "float64", "class_weight": "balanced",
        "val_split": 0.0, "patience": 3, "no_early_stopping": True, "seed": 9,
        "plot": "c.png", "checkpoint": "ck.npz", "checkpoint_every": 2, "threads": 3,
        "sep": "\t",
        "decimal": ",", "header": False, "na_values": ["?"], "keep_na_strings": True,
        "quiet": True}
    for option in ("--max-classes", "--epochs", "--batch-size", "--patience",
                   "--checkpoint-every", "--threads"):
        assert type(_parse(["train", "d", "--target", "y", "--out", "m", option, "3"])[1][
            option[2:].replace("-", "_")]) is int


@pytest.mark.parametrize("argv, dest, value", [
    (["--task", "auto"], "task", "auto"),
    (["--task", "classification"], "task", "classification"),
    (["--task", "regression"], "task", "regression"),
    (["--threads", "1"], "threads", 1),
    (["--threads", "4096"], "threads", 4096),  # scratchnn.threads.MAX_THREADS
    (["--threads", "auto"], "threads", None),  # automatic, as without the option
    (["--threads", "AUTO"], "threads", None),
    (["--target", "z"], "targets", ["y", "z"]),  # repeated: one regression of both, in order
    (["--target", "y"], "targets", ["y", "y"]),  # a repeated name is train's to refuse
])
def test_train_task_threads_and_repeated_target_parse_to_their_values(argv, dest, value):
    args = _parse(["train", "d", "--target", "y", "--out", "m", *argv])[1]
    assert args[dest] == value and type(args[dest]) is type(value)


@pytest.mark.parametrize("option, value", [
    ("--task", "other"), ("--task", "Regression"), ("--impute", "zero"), ("--activation", "gelu"),
    ("--optimizer", "sgd"), ("--dtype", "float16"), ("--class-weight", "auto"),
    ("--hidden", "0"), ("--epochs", "0"), ("--batch-size", "0"), ("--lr", "0"),
    ("--max-classes", "0"), ("--patience", "0"), ("--checkpoint-every", "0"),
    ("--clipnorm", "0"), ("--weight-decay", "-1"), ("--label-smoothing", "1"), ("--l2", "-1"),
    ("--dropout", "1"), ("--val-split", "1"), ("--seed", "-1"), ("--lr-schedule", "linear"),
    ("--decimal", ";"), ("--sep", "ab"), ("--threads", "0"),
])
def test_train_refuses_bad_option_values(option, value, capsys):
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(["train", "d", "--target", "y", "--out", "m", option, value])
    assert excinfo.value.code == 2
    assert f"argument {option}" in capsys.readouterr().err


@pytest.mark.parametrize("value, message", [
    ("0", "must be in [1, 4096], got 0"), ("4097", "must be in [1, 4096], got 4097"),
    ("-2", "must be in [1, 4096], got -2"), ("1.5", "expected an integer, got '1.5'"),
    ("many", "expected an integer, got 'many'"),
])
def test_train_refuses_a_bad_thread_count_saying_why(value, message, capsys):
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(["train", "d", "--target", "y", "--out", "m", "--threads",
                                   value])
    assert excinfo.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"\nscratchnn train: error: argument --threads: {message}\n")


def test_train_needs_data_target_and_out(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train"])
    assert ("the following arguments are required: DATA, --target, --out"
            in capsys.readouterr().err)


def test_evaluate_and_predict_defaults_and_values():
    handler, args = _parse(["evaluate", "m.npz", "d.csv"])
    assert handler is predict._run_evaluate
    assert args == {"command": "evaluate", "model": "m.npz", "data": "d.csv", "targets": None,
                    "drop_missing_target": False, "plot": None, "strict": False, **READING}
    _, args = _parse(["evaluate", "m.npz", "d.csv", "--target", "t", "--drop-missing-target",
                      "--plot", "c.png", "--strict", "--header"])
    assert (args["targets"], args["drop_missing_target"], args["plot"], args["strict"],
            args["header"]) == (["t"], True, "c.png", True, True)
    _, args = _parse(["evaluate", "m.npz", "d.csv", "--target", "t", "--target", "u"])
    assert args["targets"] == ["t", "u"]  # a regression of several targets, in their order
    handler, args = _parse(["predict", "m.npz", "d.csv"])
    assert handler is predict._run_predict
    assert args == {"command": "predict", "model": "m.npz", "data": "d.csv", "proba": False,
                    "keep_columns": False, "out": None, "escape_formulas": False,
                    "strict": False, **READING}
    _, args = _parse(["predict", "m.npz", "d.csv", "--proba", "--keep-columns", "--out",
                      "p.csv", "--escape-formulas", "--strict", "--no-header"])
    assert (args["proba"], args["keep_columns"], args["out"], args["escape_formulas"],
            args["strict"], args["header"]) == (True, True, "p.csv", True, True, False)


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_evaluate_and_predict_need_a_model_and_data(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command])
    assert "the following arguments are required: MODEL.npz, DATA" in capsys.readouterr().err


def test_info_export_demo_datasets_split_playground_defaults():
    assert _parse(["info", "m.npz"]) == (model._run_info, {"command": "info", "model": "m.npz"})
    assert _parse(["export", "m.npz", "m.onnx"]) == (
        model._run_export, {"command": "export", "model": "m.npz", "onnx": "m.onnx"})
    assert _parse(["demo"]) == (demos._run_demo, {"command": "demo", "name": "moons",
                                                  "out_dir": "demo-output", "seed": 0,
                                                  "quiet": False})
    assert _parse(["demo", "iris", "--out-dir", "o", "--seed", "2", "--quiet"])[1] == {
        "command": "demo", "name": "iris", "out_dir": "o", "seed": 2, "quiet": True}
    assert _parse(["datasets", "moons", "o.csv"]) == (
        data._run_datasets, {"command": "datasets", "name": "moons", "out": "o.csv",
                             "test": None, "new": None, "test_size": 0.3, "seed": 0})
    assert _parse(["datasets", "iris", "o.csv", "--test", "t.csv", "--new", "n.csv",
                   "--test-size", "0.5", "--seed", "3"])[1] == {
        "command": "datasets", "name": "iris", "out": "o.csv", "test": "t.csv",
        "new": "n.csv", "test_size": 0.5, "seed": 3}
    assert _parse(["split", "d.csv", "--test-size", "0.2", "--out-train", "a.csv",
                   "--out-test", "b.csv"]) == (
        data._run_split, {"command": "split", "data": "d.csv", "test_size": 0.2,
                          "out_train": "a.csv", "out_test": "b.csv", "stratify": None,
                          "seed": 0, **READING})
    assert _parse(["split", "d.csv", "--test-size", "3", "--out-train", "a.csv", "--out-test",
                   "b.csv", "--stratify", "y", "--seed", "4", "--sep", ";"])[1] == {
        "command": "split", "data": "d.csv", "test_size": 3, "out_train": "a.csv",
        "out_test": "b.csv", "stratify": "y", "seed": 4, **READING, "sep": ";"}
    assert _parse(["playground"]) == (demos._run_playground, {
        "command": "playground", "port": 0, "host": "127.0.0.1", "no_browser": False})
    assert _parse(["playground", "--port", "80", "--host", "::1", "--no-browser"])[1] == {
        "command": "playground", "port": 80, "host": "::1", "no_browser": True}


@pytest.mark.parametrize("argv, required", [
    (["info"], "MODEL.npz"), (["export", "m.npz"], "MODEL.onnx"), (["datasets"], "name, out"),
    (["split"], "DATA, --test-size, --out-train, --out-test"),
])
def test_required_arguments_are_named(argv, required, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
    assert f"the following arguments are required: {required}" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["datasets", "wine", "o"], ["demo", "wine"],
                                  ["datasets", "moons", "o", "--test-size", "1"],
                                  ["playground", "--port", "http"]])
def test_other_refusals_of_the_parser(argv):
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(argv)
    assert excinfo.value.code == 2


def _subparsers():
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action


def test_every_command_and_option_has_help():
    """Each command and each of its options has help text (its wording is not tested)."""
    action = _subparsers()
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    assert set(helps) == {"train", "evaluate", "predict", "info", "export", "demo", "datasets",
                          "split", "playground"}
    assert all(helps.values())
    for name, parser in action.choices.items():
        assert parser.description, name
        assert parser.prog == f"scratchnn {name}"
        for option in parser._actions:
            if option.option_strings:  # the options; positional arguments are in the usage
                assert option.help, (name, option.dest)


def test_the_commands_are_listed_under_their_title(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps the description to the terminal
    text = build_parser().format_help()
    assert "\ncommands:\n  COMMAND\n" in text
    assert ("\n\nA from-scratch NumPy neural network: a classifier, or a regression of a\n"
            "continuous target.\n\n" in text)


COMMANDS = ["train", "evaluate", "predict", "info", "export", "demo", "playground", "datasets",
            "split"]


def _docs_table(text, prog):
    """``(argument as shown, help as written)`` per row of the docs' table headed "what
    `PROG --help` says"; the Markdown undone (code marks, ``\\|``, ``—`` for no help) and
    spaces collapsed."""
    header = re.search(rf"\n\|[a-z |]+ \| what `{prog} --help` says \|\n\|[-|]+\|\n", text)
    assert header and text.count(f"what `{prog} --help` says |") == 1
    rows = text[header.end():].split("\n\n", 1)[0].split("\n")
    table = []
    for row in rows:
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert len(cells) in (2, 3) and re.fullmatch(r"`[^`]+`", cells[0]), row
        sentence = "" if cells[-1] == "—" else " ".join(cells[-1].replace("`", "").split())
        table.append((cells[0][1:-1], sentence))
    return table


def _command_line_page():
    from pathlib import Path

    return (Path(__file__).resolve().parent.parent / "docs" / "command-line.md").read_text(
        encoding="utf-8")


def _command_docs(command):
    """docs/command-line.md on ``command``: the description it quotes (quote marks and ``\\<``
    undone, spaces collapsed), and the rows of its table of the command's arguments."""
    text = _command_line_page()
    start = f"`scratchnn {command} --help` describes the command so:\n\n"
    assert text.count(start) == 1
    quote = text.split(start, 1)[1].split("\n\n", 1)[0]
    assert all(line.startswith("> ") for line in quote.split("\n"))
    lines = (line[2:].replace("\\<", "<") for line in quote.split("\n"))
    description = " ".join(" ".join(lines).split())
    return description, _docs_table(text, f"scratchnn {command}")


def test_the_docs_list_every_command_as_scratchnn_help_does(monkeypatch):
    """The docs' table of commands has each command's one-line help, in full, as ``scratchnn
    --help`` prints it, and a row for every command, in its order."""
    monkeypatch.setenv("COLUMNS", "1000")
    status, out, _ = run(["--help"])
    assert status == 0
    printed = " ".join(out.split())
    table = _docs_table(_command_line_page(), "scratchnn")
    assert [command for command, _ in table] == list(_subparsers().choices)
    for command, sentence in table:
        assert re.search(re.escape(f" {command} {sentence}") + r"(?= [a-z]+ |$)", printed), command


def _shown(action):
    """An argument as ``--help`` lists it: its last flag, or a positional's metavar, choices
    or name."""
    if action.option_strings:
        return action.option_strings[-1]
    if action.metavar is not None:
        return action.metavar
    if action.choices is not None:
        return "{" + ",".join(action.choices) + "}"
    return action.dest


@pytest.mark.parametrize("command", COMMANDS)
def test_the_docs_on_each_command_show_what_its_help_prints(command, monkeypatch):
    """The description the docs quote, and each row's argument (its metavar or its choices)
    and help sentence, in full, are what ``scratchnn COMMAND --help`` prints; every argument
    has its row, in the order ``--help`` lists them."""
    monkeypatch.setenv("COLUMNS", "1000")  # no line breaks inside a word such as Ctrl-C
    status, out, _ = run([command, "--help"])
    assert status == 0
    printed = " ".join(out.split())
    description, table = _command_docs(command)
    assert f" {description} positional arguments: " in printed or (
        f" {description} options: " in printed)
    # A sentence ends where the next argument, the next heading or the text ends.
    ends = "|".join(re.escape(shown.split()[0]) for shown, _ in table)
    for shown, sentence in table:
        pattern = re.escape(f" {shown} {sentence}".rstrip()) + rf"(?= -| (?:{ends}) | [a-z ]+:|$)"
        assert re.search(pattern, printed), (shown, sentence)
    parser = _subparsers().choices[command]
    arguments = [_shown(a) for a in parser._actions if "--help" not in a.option_strings]
    assert [shown.split()[0] for shown, _ in table] == arguments


def test_predict_and_evaluate_can_undo_the_models_no_header():
    for command in ("predict", "evaluate"):
        assert _parse([command, "m.npz", "d.csv", "--header"])[1]["header"] is True


@pytest.mark.parametrize("value", ["0", "1", "1.5", "-0.5"])
def test_datasets_test_size_is_a_fraction_strictly_between_0_and_1(value, capsys):
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(["datasets", "moons", "o.csv", "--test-size", value])
    assert excinfo.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"error: argument --test-size: must be in (0, 1), got {value}\n")


def test_datasets_test_size_takes_any_fraction_inside():
    for value in (1e-9, 0.5, 0.999):
        args = _parse(["datasets", "moons", "o.csv", "--test-size", str(value)])[1]
        assert args["test_size"] == value and type(args["test_size"]) is float


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_datasets_test_size_must_be_finite(value, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["datasets", "moons", "o.csv", "--test-size", value])
    assert capsys.readouterr().err.endswith(
        f"error: argument --test-size: expected a finite number, got '{value}'\n")
