"""Fast, in-process tests of what the command line's subcommands share (``scratchnn.cli._common``)
and of its entry point (``scratchnn.cli.main``): option types and their messages, output-path
checks, how a table is read, warnings, exit statuses. No subprocess and no training, so that
``make mutate`` can run them for every mutant of these modules."""

import argparse
import io
import os
import signal
import sys

import pytest

from scratchnn import cli
from scratchnn.cli import _common
from scratchnn.schedules import ExponentialDecay, StepDecay
from scratchnn.tables import TableOptions

# --------------------------------------------------------------------------- number types


def _refusal(parse, text):
    with pytest.raises(argparse.ArgumentTypeError) as excinfo:
        parse(text)
    return str(excinfo.value)


@pytest.mark.parametrize("parse, text, value", [
    (_common.positive_int, "1", 1),
    (_common.positive_int, "12", 12),
    (_common.seed_int, "0", 0),
    (_common.learning_rate_float, "1e-3", 0.001),
    (_common.non_negative_float, "0", 0.0),
    (_common.fraction_float, "0", 0.0),
    (_common.fraction_float, "0.99", 0.99),
    (_common.positive_float, "2.5", 2.5),
])
def test_number_types_return_the_number(parse, text, value):
    result = parse(text)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("parse, text, message", [
    (_common.positive_int, "0", "must be in [1, inf), got 0"),
    (_common.positive_int, "-3", "must be in [1, inf), got -3"),
    (_common.positive_int, "1.5", "expected an integer, got '1.5'"),
    (_common.positive_int, "x", "expected an integer, got 'x'"),
    (_common.seed_int, "-1", "must be in [0, inf), got -1"),
    (_common.learning_rate_float, "0", "must be in (0, inf), got 0"),
    (_common.learning_rate_float, "abc", "expected a number, got 'abc'"),
    (_common.learning_rate_float, "inf", "expected a finite number, got 'inf'"),
    (_common.learning_rate_float, "nan", "expected a finite number, got 'nan'"),
    (_common.non_negative_float, "-0.5", "must be in [0, inf), got -0.5"),
    (_common.fraction_float, "1", "must be in [0, 1), got 1"),
    (_common.fraction_float, "-0.1", "must be in [0, 1), got -0.1"),
    (_common.positive_float, "0", "must be in (0, inf), got 0"),
])
def test_number_types_refuse_with_the_reason(parse, text, message):
    assert _refusal(parse, text) == message


def test_number_type_bounds_are_open_or_closed_as_asked():
    closed = _common.number_type(float, "x", low=0.0, high=1.0)
    assert closed("0") == 0.0 and closed("1") == 1.0
    both_open = _common.number_type(float, "x", 0.0, 1.0, True, True)
    assert _refusal(both_open, "0") == "must be in (0, 1), got 0"
    assert _refusal(both_open, "1") == "must be in (0, 1), got 1"
    assert both_open("0.5") == 0.5
    assert _common.number_type(int, "n")("-7") == -7  # no bounds: any integer
    assert _common.number_type(float, "n")("-7") == -7.0


def test_number_types_are_named_for_argparse():
    assert _common.positive_int.__name__ == "positive integer"
    assert _common.learning_rate_float.__name__ == "learning rate"
    assert _common.number_type(float, "test size").__name__ == "test size"


def test_a_bad_number_is_a_usage_error_naming_the_option(capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["train", "d.csv", "--target", "y", "--out", "m.npz", "--epochs", "0"])
    assert excinfo.value.code == 2
    assert ("argument --epochs: must be in [1, inf), got 0"
            in capsys.readouterr().err)


# --------------------------------------------------------------------------- --lr-schedule


def test_lr_schedule_none_and_cosine():
    assert _common.lr_schedule_type("none") is None
    assert _common.lr_schedule_type("cosine") == ("cosine", 0)
    assert _common.lr_schedule_type("cosine:3") == ("cosine", 3)


def test_lr_schedule_step_and_exponential():
    step = _common.lr_schedule_type("step:5")
    assert isinstance(step, StepDecay) and repr(step) == repr(StepDecay(5))
    step = _common.lr_schedule_type("step:4:0.5")
    assert repr(step) == repr(StepDecay(4, 0.5)) != repr(StepDecay(4))
    exponential = _common.lr_schedule_type("exponential:0.9")
    assert isinstance(exponential, ExponentialDecay)
    assert repr(exponential) == repr(ExponentialDecay(0.9))


@pytest.mark.parametrize("text", ["none:1", "cosine:1:2", "step", "step:1:2:3", "exponential",
                                  "exponential:1:2", "linear", "", "Cosine", ":3"])
def test_lr_schedule_refuses_other_shapes_naming_every_form(text):
    assert _refusal(_common.lr_schedule_type, text) == (
        "expected none, cosine, cosine:WARMUP_EPOCHS, step:STEP_SIZE[:GAMMA] or "
        f"exponential:GAMMA, got {text!r}")


@pytest.mark.parametrize("text", ["cosine:x", "step:x", "step:2:y", "exponential:z"])
def test_lr_schedule_refuses_bad_numbers_quoting_the_value(text):
    message = _refusal(_common.lr_schedule_type, text)
    assert message.startswith(f"{text!r}: ")
    assert len(message) > len(repr(text)) + 2  # the reason follows


def test_lr_schedule_passes_on_the_schedules_own_refusal():
    with pytest.raises(ValueError) as excinfo:
        StepDecay(0)
    assert _refusal(_common.lr_schedule_type, "step:0") == f"'step:0': {excinfo.value}"
    assert _common.lr_schedule_type.__name__ == "learning-rate schedule"


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize("text, shown", [
    ("plain text, é ü 中", "plain text, é ü 中"),
    ("a\nb", "a\nb"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("tab\there", "tab\\there"),
    ("cr\r", "cr\\r"),
    ("bidi\u202eevil", "bidi\\u202eevil"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    (12, "12"),
])
def test_printable_shows_control_and_format_characters_escaped(text, shown):
    assert _common.printable(text) == shown


def test_warn_and_note_write_one_line_to_stderr(capsys):
    _common.warn("column \x1b[1m")
    _common.note("two\nlines")
    _common.warn("odd", "info")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ("scratchnn: warning: column \\x1b[1m\n"
                            "scratchnn: note: two\nlines\n"
                            "scratchnn: info: odd\n")


# --------------------------------------------------------------------------- output paths


def _check_output_error(*args, **kwargs):
    with pytest.raises(ValueError) as excinfo:
        _common.check_output(*args, **kwargs)
    return str(excinfo.value)


def test_check_output_accepts_a_new_file_and_nothing(tmp_path):
    assert _common.check_output(None, "--out") is None
    assert _common.check_output(tmp_path / "new.csv", "--out",
                                [(None, "DATA"), (tmp_path / "other.csv", "DATA")]) is None
    assert not (tmp_path / "new.csv").exists()  # checked, not created


def test_check_output_refuses_a_folder(tmp_path):
    assert _check_output_error(str(tmp_path), "--out") == (
        f"--out {tmp_path} is a folder; give the name of a file to write")
    text = str(tmp_path / "not-yet") + "/"
    assert _check_output_error(text, "--plot") == (
        f"--plot {text} is a folder; give the name of a file to write")


def test_check_output_refuses_a_missing_folder(tmp_path):
    path = tmp_path / "nope" / "m.npz"
    assert _check_output_error(path, "--out") == (
        f"--out {path}: the folder {tmp_path / 'nope'} does not exist")
    relative = os.path.join("no-such-folder-here", "m.npz")
    assert _check_output_error(relative, "MODEL.onnx") == (
        f"MODEL.onnx {relative}: the folder {os.path.abspath('no-such-folder-here')} does not "
        f"exist")


def test_check_output_refuses_an_input_under_any_spelling(tmp_path, monkeypatch):
    data = tmp_path / "d.csv"
    data.write_text("a\n1\n")
    monkeypatch.chdir(tmp_path)
    message = _check_output_error("./d.csv", "--out", [(None, "X"), (str(data), "DATA")])
    assert message == (f"--out ./d.csv is the same file as DATA {data}; refusing to overwrite it")
    os.symlink(data, tmp_path / "link.csv")
    assert "same file as MODEL" in _check_output_error(
        tmp_path / "link.csv", "--out", [(tmp_path / "x.csv", "DATA"), (data, "MODEL")])


def test_check_output_refuses_an_input_that_does_not_exist_yet(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # Neither file exists: the same path is the same file (two outputs named alike).
    assert _check_output_error("out.csv", "--out-test", [(tmp_path / "out.csv", "--out-train")]) \
        == f"--out-test out.csv is the same file as --out-train {tmp_path / 'out.csv'}; " \
           f"refusing to overwrite it"
    _common.check_output("a.csv", "--out-test", [(tmp_path / "b.csv", "--out-train")])


def test_check_plot_checks_the_path_and_the_format(tmp_path):
    pytest.importorskip("matplotlib")
    assert _common.check_plot(None, "--plot", []) is None
    _common.check_plot(str(tmp_path / "c.png"), "--plot", [])
    _common.check_plot(str(tmp_path / "c.PDF"), "--plot", [])  # case of the extension ignored
    _common.check_plot(str(tmp_path / "no-extension"), "--plot", [])
    with pytest.raises(ValueError) as excinfo:
        _common.check_plot(str(tmp_path / "c.docx"), "--plot", [])
    message = str(excinfo.value)
    assert message.startswith(f"--plot {tmp_path / 'c.docx'}: matplotlib cannot write 'docx' "
                              f"images; use one of ")
    formats = message.split("use one of ")[1].split(", ")
    assert "png" in formats and "svg" in formats and formats == sorted(formats)
    data = tmp_path / "d.csv"
    data.write_text("a\n")
    with pytest.raises(ValueError, match="same file as DATA"):
        _common.check_plot(str(data), "--plot", [(data, "DATA")])
    with pytest.raises(ValueError, match="does not exist"):
        _common.check_plot(str(tmp_path / "no" / "c.png"), "--plot", [])


# --------------------------------------------------------------------------- reading a table


@pytest.mark.parametrize("text, sep", [
    ("tab", "\t"), ("\\t", "\t"), ("comma", ","), ("semicolon", ";"), ("pipe", "|"),
    (",", ","), (";", ";"), ("|", "|"), ("\t", "\t"), (" ", " "), (":", ":"),
])
def test_separator_names_and_characters(text, sep):
    assert _common._separator(text) == sep


@pytest.mark.parametrize("text", ["", ";;", "Tab", "\n", "\r", '"', "a", "Z", "7", "\\n"])
def test_separator_refuses_others(text):
    assert _refusal(_common._separator, text) == (
        f"expected one character such as ',', ';', '|' or 'tab', got {text!r}")


def _parse(argv, from_model=False):
    parser = argparse.ArgumentParser()
    _common.table_arguments(parser, from_model)
    return parser.parse_args(argv)


def test_table_arguments_default_to_nothing_given():
    args = _parse([])
    assert (args.sep, args.decimal, args.header, args.na_values, args.keep_na_strings) == (
        None, None, None, None, None)
    args = _parse(["--sep", "tab", "--decimal", ",", "--no-header", "--na-values", "-",
                   "--na-values", "?", "--keep-na-strings"])
    assert (args.sep, args.decimal, args.header, args.na_values, args.keep_na_strings) == (
        "\t", ",", False, ["-", "?"], True)
    with pytest.raises(SystemExit):
        _parse(["--header"])  # only where a model's reading can be undone
    assert _parse(["--header"], from_model=True).header is True
    assert _parse(["--no-header", "--header"], from_model=True).header is True


def test_table_arguments_help_says_where_the_defaults_come_from():
    def help_of(from_model):
        parser = argparse.ArgumentParser()
        _common.table_arguments(parser, from_model)
        return " ".join(parser.format_help().split())

    assert "as the model's training table was read" in help_of(True)
    assert "as the model's training table was read" not in help_of(False)
    assert "reading the table: CSV-like text (optionally .gz, .bz2, .xz, .zip) or Parquet" \
        in help_of(False)


def test_table_options_without_a_model_are_the_defaults_or_the_options():
    assert _common.table_options(_parse([])) == TableOptions(
        sep=None, decimal=".", header=True, na_values=())
    assert _common.table_options(_parse(["--sep", ";", "--decimal", ",", "--no-header",
                                         "--na-values", "?"])) == TableOptions(
        sep=";", decimal=",", header=False, na_values=("?",))


class _Model:
    def __init__(self, reading):
        self.reading = reading


def test_table_options_follow_the_model_unless_told_otherwise():
    saved = {"sep": ";", "decimal": ",", "header": False, "na_values": ["?"],
             "keep_na_strings": True}
    model = _Model(dict(saved))
    assert _common.table_options(_parse([], True), model) == TableOptions(
        sep=";", decimal=",", header=False, na_values=("?",))
    assert model.reading == saved
    model = _Model(dict(saved))
    options = _common.table_options(_parse(["--sep", "|", "--decimal", ".", "--header",
                                            "--na-values", "-"], True), model)
    assert options == TableOptions(sep="|", decimal=".", header=True, na_values=("-",))
    # The model's reading is updated to what was used.
    assert model.reading == {"sep": "|", "decimal": ".", "header": True, "na_values": ["-"],
                             "keep_na_strings": True}


def test_text_dtype_reads_the_named_columns_as_text():
    assert _common.text_dtype(["a", "b"]) == {"a": str, "b": str}
    assert _common.text_dtype([]) == {}


# --------------------------------------------------------------------------- main


def test_parser_lists_every_command_and_the_version(capsys):
    parser = cli.build_parser()
    assert parser.prog == "scratchnn"
    text = parser.format_help()
    for command in ("train", "evaluate", "predict", "info", "export", "demo", "datasets",
                    "split", "playground"):
        assert f"\n    {command}" in text
    assert ("A from-scratch NumPy neural network: a classifier, or a regression of a "
            "continuous target." in " ".join(text.split()))  # however wide the terminal
    with pytest.raises(SystemExit) as excinfo:
        cli.main(["--version"])
    assert excinfo.value.code == 0
    from scratchnn import __version__
    assert capsys.readouterr().out == f"scratchnn {__version__}\n"


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as excinfo:
        cli.main([])
    assert excinfo.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def _main_raising(monkeypatch, exc, argv=("info", "m.npz")):
    """Run main() with the info command's handler replaced by one that raises ``exc``."""
    from scratchnn.cli import model

    def handler(args):
        handler.args = args
        raise exc

    monkeypatch.setattr(model, "_run_info", handler)
    return cli.main(list(argv)), handler


@pytest.mark.parametrize("exc", [ValueError("bad\n  value  here"), TypeError("t"),
                                 FileNotFoundError("gone"), ImportError("no pandas")])
def test_user_errors_are_one_line(monkeypatch, capsys, exc):
    status, _ = _main_raising(monkeypatch, exc)
    assert status == 1
    message = " ".join(str(exc).split())
    assert capsys.readouterr() == ("", f"scratchnn: error: {message}\n")


def test_an_empty_user_error_names_its_kind(monkeypatch, capsys):
    assert _main_raising(monkeypatch, ValueError())[0] == 1
    assert capsys.readouterr().err == "scratchnn: error: ValueError\n"


def test_an_error_message_cannot_drive_the_terminal(monkeypatch, capsys):
    assert _main_raising(monkeypatch, ValueError("column '\x1b[2J'"))[0] == 1
    assert capsys.readouterr().err == "scratchnn: error: column '\\x1b[2J'\n"


def test_a_refused_table_keeps_its_lines(monkeypatch, capsys):
    from scratchnn.cli.train import TableRefused

    class Problem:
        def __init__(self, text):
            self.text = text

        def line(self):
            return self.text

    exc = TableRefused("d.csv", [Problem("one"), Problem("two")], "scratchnn train x",
                       [Problem("careful")])
    assert _main_raising(monkeypatch, exc)[0] == 1
    assert capsys.readouterr().err == (
        "scratchnn: error: d.csv: 2 problem(s) to fix before training:\n"
        "  - one\n  - two\n  - (a warning) careful\nrun instead:\n  scratchnn train x\n")
    assert str(TableRefused("d.csv", [Problem("one")], None)) == (
        "d.csv: 1 problem(s) to fix before training:\n  - one")


def test_bugs_keep_their_traceback(monkeypatch):
    with pytest.raises(KeyError):
        _main_raising(monkeypatch, KeyError("a bug"))


def test_ctrl_c_exits_130_saying_nothing_was_written(monkeypatch, capsys):
    assert _main_raising(monkeypatch, KeyboardInterrupt())[0] == 130
    assert capsys.readouterr().err == "scratchnn: interrupted; nothing was written\n"


def test_an_interrupted_training_exits_130_with_its_message(monkeypatch, capsys):
    from scratchnn.cli.train import Interrupted

    assert _main_raising(monkeypatch, Interrupted(3, None, 1))[0] == 130
    assert capsys.readouterr().err == (
        "scratchnn: interrupted after 3 complete epoch(s); no model saved\n")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_terminating_signal_exits_128_plus_its_number(monkeypatch, capsys, signum):
    def handler(args):
        # To this thread, whose handler runs before raise_signal returns: os.kill to the process
        # may be taken by another thread (a test's leftover), and the handler run too late.
        signal.raise_signal(signum)
        raise AssertionError("the signal did not stop the command")

    from scratchnn.cli import model

    # The default disposition, as in a terminal (under nohup SIGHUP is ignored, and stays so:
    # the next test).
    before = signal.signal(signum, signal.SIG_DFL)
    try:
        monkeypatch.setattr(model, "_run_info", handler)
        assert cli.main(["info", "m.npz"]) == 128 + signum
        name = signal.Signals(signum).name
        assert capsys.readouterr().err == (
            f"scratchnn: stopped by {name}; nothing half-written was left\n")
        assert signal.getsignal(signum) is signal.SIG_DFL  # put back afterwards
    finally:
        signal.signal(signum, before)


def test_an_ignored_sighup_stays_ignored_as_under_nohup(monkeypatch):
    def handler(args):
        signal.raise_signal(signal.SIGHUP)
        return 0

    from scratchnn.cli import model

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        monkeypatch.setattr(model, "_run_info", handler)
        assert cli.main(["info", "m.npz"]) == 0
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def test_a_signal_handler_of_someone_else_is_left_alone(monkeypatch):
    seen = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    try:
        def handler(args):
            signal.raise_signal(signal.SIGTERM)
            return 0

        from scratchnn.cli import model

        monkeypatch.setattr(model, "_run_info", handler)
        assert cli.main(["info", "m.npz"]) == 0
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_closed_stdout_ends_quietly_with_status_1(monkeypatch, tmp_path):
    out = open(tmp_path / "stdout", "w")  # noqa: SIM115 - replaced under sys.stdout
    monkeypatch.setattr(sys, "stdout", out)
    try:
        assert _main_raising(monkeypatch, BrokenPipeError())[0] == 1
        os.write(out.fileno(), b"after")  # stdout now goes to devnull
    finally:
        out.close()
    assert (tmp_path / "stdout").read_bytes() == b""


def test_the_handler_gets_the_arguments_as_given(monkeypatch):
    _, handler = _main_raising(monkeypatch, ValueError("x"), ["info", "m.npz"])
    assert handler.args.argv == ["info", "m.npz"]
    assert handler.args.model == "m.npz" and handler.args.command == "info"
    monkeypatch.setattr(sys, "argv", ["scratchnn", "info", "other.npz"])
    from scratchnn.cli import model

    monkeypatch.setattr(model, "_run_info", handler)
    assert cli.main() == 1
    assert handler.args.argv == ["info", "other.npz"] and handler.args.model == "other.npz"


def test_stdin_and_stdout_untouched_by_a_failing_command(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert _main_raising(monkeypatch, OSError("disk"))[0] == 1
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------- made afresh
# The option types above were made when the package was imported; these make them again, so
# that what number_type builds is checked as well as what it built.


def test_number_type_made_afresh_parses_and_refuses_as_declared():
    count = _common.number_type(int, "positive integer", low=1)
    assert count("3") == 3 and type(count("3")) is int
    assert _refusal(count, "1.5") == "expected an integer, got '1.5'"
    assert _refusal(count, "0") == "must be in [1, inf), got 0"
    rate = _common.number_type(float, "learning rate", low=0.0, low_open=True)
    assert rate("0.5") == 0.5 and type(rate("1")) is float
    assert _refusal(rate, "x") == "expected a number, got 'x'"
    assert _refusal(rate, "inf") == "expected a finite number, got 'inf'"
    assert _refusal(rate, "-inf") == "expected a finite number, got '-inf'"
    assert _refusal(rate, "0") == "must be in (0, inf), got 0"
    # An integer type takes any integer text, even one too large for a float to hold exactly.
    assert _common.number_type(int, "n")("9007199254740993") == 9007199254740993


def test_quiet_argument_is_an_off_by_default_flag():
    parser = argparse.ArgumentParser()
    _common.quiet_argument(parser)
    assert parser.parse_args([]).quiet is False
    assert parser.parse_args(["--quiet"]).quiet is True
    assert "--quiet no progress bar" in " ".join(parser.format_help().split())


def test_check_output_refuses_a_folder_it_cannot_write(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    path = tmp_path / "m.npz"
    assert _check_output_error(path, "--out") == (
        f"--out {path}: the folder {tmp_path} is not writable")


def test_check_plot_names_its_option(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError) as excinfo:
        _common.check_plot(str(tmp_path), "--plot", [])
    assert str(excinfo.value) == f"--plot {tmp_path} is a folder; give the name of a file to write"


def test_table_arguments_are_those_of_train_unless_asked():
    parser = argparse.ArgumentParser()
    _common.table_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--header"])
    assert "as the model's training table was read" not in parser.format_help()


def test_table_options_keep_na_strings_given_overrides_the_model():
    model = _Model({"sep": None, "decimal": ".", "header": True, "na_values": [],
                    "keep_na_strings": False})
    _common.table_options(_parse(["--keep-na-strings"], True), model)
    assert model.reading == {"sep": None, "decimal": ".", "header": True, "na_values": [],
                             "keep_na_strings": True}
