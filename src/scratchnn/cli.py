"""The ``scratchnn`` command line.

Each subcommand is one ``_add_<name>`` function that declares its arguments and one
``_run_<name>`` handler that does the work and returns an exit status; adding a
command means writing that pair and listing the adder in ``_SUBCOMMANDS``.

``train`` saves one model file that holds everything ``evaluate``, ``predict``, ``info`` and
``export`` need: the network, the feature names (columns are matched by name), the
standardization (mean and standard deviation of each feature on the training rows) and the label
names (so predictions come back as the CSV's own labels). See :func:`save_model`.

Exit status: 0 on success; 2 on a usage error (unknown command or option, a missing argument,
an option value of the wrong kind or out of range), reported by argparse with the usage line; 1
when the command fails on its data or model, with a one-line ``scratchnn: error: ...`` on stderr
naming the file, column or argument at fault, and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import unicodedata
import warnings

import numpy as np

from .activations import ACTIVATIONS
from .columns import format_names, shell_option
from .optimizers import OPTIMIZERS
from .preprocessing import IMPUTE_STRATEGIES
from .validation import outside_interval, to_float
from .version import __version__

__all__ = ["main", "build_parser", "save_model", "load_model"]

PROG = "scratchnn"

# Failures a user can cause and fix (a bad path, a bad argument value, a missing
# optional dependency) are reported in one line; anything else is a bug in
# scratchnn and keeps its traceback.
_USER_ERRORS = (ValueError, TypeError, OSError, ImportError)

# The choices of the train options, read from the registries (a new activation or optimizer
# appears here by itself).
_ACTIVATIONS = tuple(ACTIVATIONS)
_OPTIMIZERS = tuple(OPTIMIZERS)

# --------------------------------------------------------------------------- option types


def _number_type(kind, name, low=None, high=None, low_open=False, high_open=False):
    """An argparse ``type`` parsing ``kind`` and checking the range; errors are usage errors."""

    def parse(text):
        try:
            # Floats go through the library's one rule for numbers from anywhere.
            value = int(text) if kind is int else to_float(text, name, text=True)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
            ) from None
        if kind is float and not np.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        interval = outside_interval(value, low, high, low_open, high_open)
        if interval:
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {text}")
        return value

    parse.__name__ = name  # argparse names the type in some messages
    return parse


_positive_int = _number_type(int, "positive integer", low=1)
_seed = _number_type(int, "seed", low=0)
_learning_rate = _number_type(float, "learning rate", low=0.0, low_open=True)
_non_negative = _number_type(float, "non-negative number", low=0.0)
_fraction = _number_type(float, "fraction", low=0.0, high=1.0, high_open=True)
_positive = _number_type(float, "positive number", low=0.0, low_open=True)


def _lr_schedule(text):
    """``--lr-schedule``: ``none``, ``cosine``, ``cosine:WARMUP``, ``step:SIZE[:GAMMA]`` or
    ``exponential:GAMMA``, as a :mod:`scratchnn.schedules` object (or None)."""
    from .schedules import ExponentialDecay, StepDecay

    name, _, rest = text.partition(":")
    fields = rest.split(":") if rest else []
    try:
        if name == "none" and not fields:
            return None
        if name == "cosine" and len(fields) <= 1:
            return ("cosine", int(fields[0]) if fields else 0)  # total epochs known later
        if name == "step" and len(fields) in (1, 2):
            return StepDecay(int(fields[0]), *(float(f) for f in fields[1:]))
        if name == "exponential" and len(fields) == 1:
            return ExponentialDecay(float(fields[0]))
    except (TypeError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    raise argparse.ArgumentTypeError(
        f"expected none, cosine, cosine:WARMUP_EPOCHS, step:STEP_SIZE[:GAMMA] or "
        f"exponential:GAMMA, got {text!r}")


_lr_schedule.__name__ = "learning-rate schedule"


def _quiet_argument(parser):
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


# --------------------------------------------------------------------------- messages


def _printable(text):
    """``text`` with control characters (terminal escapes among them) shown as ``\\x1b`` etc.

    Names from a file (columns, labels) reach the terminal through ``info``, ``evaluate`` and
    error messages; a name holding ``\\x1b[...`` must not drive the terminal. Newlines stay.
    """
    return "".join(
        char if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf")
        else ascii(char)[1:-1]
        for char in str(text)
    )


def _warn(message, kind="warning"):
    print(f"{PROG}: {kind}: {_printable(message)}", file=sys.stderr)


def _note(message):
    _warn(message, "note")


# --------------------------------------------------------------------------- model files


def save_model(path, model):
    """Save a :class:`scratchnn.bundle.Bundle` as one model file (see :meth:`Bundle.save`)."""
    model.save(path)


def load_model(path, require_cli=True):
    """Load a model file; return ``(network, metadata, bundle)`` (see :meth:`Bundle.load`)."""
    from .bundle import Bundle

    return Bundle.load(path, require_bundle=require_cli)


# --------------------------------------------------------------------------- paths


def _check_output(path, option, inputs=()):
    """Fail before any work if ``path`` cannot be written, or is one of the ``inputs``.

    ``inputs`` are ``(path, what)`` pairs; the same file under another spelling (``./``, a link)
    counts, through :func:`os.path.samefile`.
    """
    if path is None:
        return
    text = os.fspath(path)
    if text.endswith(("/", os.sep)) or os.path.isdir(text):
        raise ValueError(f"{option} {text} is a folder; give the name of a file to write")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise ValueError(f"{option} {text}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):  # pragma: no cover - root (the tests' user) may write
        raise ValueError(f"{option} {text}: the folder {folder} is not writable")
    for other, what in inputs:
        if other is None:
            continue
        try:
            same = os.path.samefile(text, other)
        except OSError:  # one of them does not exist (yet): the same file if the same path
            same = os.path.realpath(text) == os.path.realpath(os.fspath(other))
        if same:
            raise ValueError(f"{option} {text} is the same file as {what} {other}; refusing to "
                             f"overwrite it")


def _check_plot(path, option, inputs):
    """Check a ``--plot`` path (folder, format) and that matplotlib is there, before any work."""
    if path is None:
        return
    from .plotting import require_matplotlib

    _check_output(path, option, inputs)
    require_matplotlib()  # a missing matplotlib is reported now, not after training
    from matplotlib.backend_bases import FigureCanvasBase

    ext = os.path.splitext(path)[1].lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if ext and ext not in formats:
        raise ValueError(f"{option} {path}: matplotlib cannot write {ext!r} images; use one of "
                         f"{', '.join(sorted(formats))}")


# --------------------------------------------------------------------------- tables


def _separator(text):
    sep = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(text, text)
    if len(sep) != 1 or sep in "\r\n\"" or sep.isalnum():
        raise argparse.ArgumentTypeError(
            f"expected one character such as ',', ';', '|' or 'tab', got {text!r}")
    return sep


def _table_arguments(parser, from_model=False):
    """The options that say how to read a table; ``from_model`` (evaluate, predict): their
    defaults are how the model's training table was read, and ``--header`` undoes
    ``--no-header``."""
    saved = "; default: as the model's training table was read" if from_model else ""
    group = parser.add_argument_group(
        "reading the table", "CSV-like text (optionally .gz, .bz2, .xz, .zip) or Parquet")
    group.add_argument("--sep", type=_separator, metavar="CHAR",
                       help="the delimiter: ',', ';', '|' or 'tab' (default: detected from the "
                       "first lines; tab for .tsv)")
    group.add_argument("--decimal", choices=(".", ","), default=None,
                       help="the decimal mark of numbers (default: '.', or ',' where a column's "
                       "numbers are all written so and the delimiter is not ','" + saved + ")")
    group.add_argument("--no-header", action="store_false", dest="header", default=None,
                       help="the first line is data; columns are named by position: 1, 2, ...")
    if from_model:
        group.add_argument("--header", action="store_true", dest="header",
                           help="the first line names the columns (the default, unless the "
                           "model was trained with --no-header)")
    group.add_argument("--na-values", action="append", default=None, metavar="TEXT",
                       help="a cell spelled TEXT is missing, besides empty cells (repeatable)"
                       + saved)
    group.add_argument("--keep-na-strings", action="store_true", default=None,
                       help="NA, None, null and the other spellings pandas reads as missing are "
                       "categories of text columns (a region coded NA), not missing" + saved)


def _table_options(args, bundle=None):
    """How to read ``args.data``: the options given, else (``evaluate``, ``predict``) as the
    model's training table was read, else the defaults. Sets the model's reading to match."""
    from .bundle import READING_DEFAULTS
    from .tables import TableOptions

    reading = dict(READING_DEFAULTS if bundle is None else bundle.reading)
    given = {"sep": args.sep, "decimal": args.decimal, "header": args.header,
             "na_values": args.na_values, "keep_na_strings": args.keep_na_strings}
    reading.update({key: value for key, value in given.items() if value is not None})
    if bundle is not None:
        bundle.reading = reading
    return TableOptions(sep=reading["sep"], decimal=reading["decimal"], header=reading["header"],
                        na_values=tuple(reading["na_values"]))


def _text_dtype(names):
    """Read these columns as text (ids keep leading zeros, labels their spelling)."""
    return {name: str for name in names}


# --------------------------------------------------------------------------- train


def _add_train(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a classifier on a table and save it",
        description="Train a classifier on DATA (CSV-like text or Parquet; a target column that "
        "may hold any labels, numeric and text feature columns). Missing numbers are imputed, "
        "text columns one-hot encoded and every input standardized, all learned on the training "
        "rows; the model file holds the network and all of that. The defaults (hidden layers "
        "of 25 and 15 units, --lr 0.01, --batch-size 64, float32, early stopping on a 20% "
        "validation split) differ from NNClassifier's, which are MLPClassifier's ((100,), "
        "0.001, 'auto', float64, no early stopping); the README says why.",
    )
    parser.add_argument("data", metavar="DATA", help="training data (.csv, .tsv, .parquet, ...)")
    parser.add_argument("--target", required=True, metavar="COLUMN",
                        help="the column to predict; every other column is a feature unless "
                        "--id or --ignore names it")
    parser.add_argument("--out", required=True, metavar="MODEL.npz", help="where to save the model")
    parser.add_argument("--id", action="append", default=[], metavar="COLUMN", dest="ids",
                        help="a column identifying rows: never a feature, copied first into "
                        "predict's output (repeatable)")
    parser.add_argument("--ignore", action="append", default=[], metavar="COLUMN",
                        help="a column to leave out (repeatable)")
    parser.add_argument("--categorical", action="append", default=[], metavar="COLUMN",
                        help="one-hot encode this column's values as categories even if they "
                        "are numbers, such as a code (repeatable)")
    parser.add_argument("--date-format", metavar="FORMAT",
                        help="read date columns in this strftime format first, e.g. %%d/%%m/%%Y "
                        "(default: ISO 8601 and common day/month forms, detected)")
    parser.add_argument("--drop-missing-target", action="store_true",
                        help="leave out the rows whose target is empty (default: refuse them)")
    parser.add_argument("--max-classes", type=_positive_int, default=1000, metavar="N",
                        help="refuse a target with more distinct labels than N (default: 1000)")
    parser.add_argument("--task", choices=("auto", "classification"), default="auto",
                        help="'auto' (default) refuses a target that looks continuous (more "
                        "than 10 distinct numbers, and fractional, or more than 20 distinct, or "
                        "fewer than 2 rows each); 'classification' takes every distinct value "
                        "as a class")
    parser.add_argument("--impute", choices=IMPUTE_STRATEGIES, default="median",
                        help="what a missing number becomes: the training rows' median (default), "
                        "mean or most frequent value, or 'error' to refuse missing values")
    parser.add_argument("--hidden", type=_positive_int, nargs="+", default=[25, 15], metavar="N",
                        help="units of each hidden layer (default: 25 15)")
    parser.add_argument("--activation", choices=_ACTIVATIONS, default="relu",
                        help="activation of the hidden layers (default: relu)")
    parser.add_argument("--optimizer", choices=_OPTIMIZERS, default="adam",
                        help="(default: adam); lbfgs is full-batch L-BFGS (the scipy extra)")
    parser.add_argument("--epochs", type=_positive_int, default=100, metavar="N",
                        help="passes over the training rows (default: 100)")
    parser.add_argument("--batch-size", type=_positive_int, default=64, metavar="N",
                        help="rows per mini-batch (default: 64)")
    parser.add_argument("--lr", type=_learning_rate, default=0.01, metavar="X",
                        help="learning rate (default: 0.01)")
    parser.add_argument("--lr-schedule", type=_lr_schedule, default=None, metavar="SCHEDULE",
                        help="the learning rate per epoch: none (default), cosine (down to 0 "
                        "over --epochs), cosine:W (after W warmup epochs), step:N[:GAMMA] "
                        "(times GAMMA, default 0.1, every N epochs) or exponential:GAMMA")
    parser.add_argument("--clipnorm", type=_positive, default=None, metavar="X",
                        help="rescale each step's gradient to a global L2 norm of at most X")
    parser.add_argument("--weight-decay", type=_non_negative, default=None, metavar="X",
                        help="decoupled weight decay of the weights (default: 0.01 with adamw, "
                        "else 0)")
    parser.add_argument("--label-smoothing", type=_fraction, default=0.0, metavar="X",
                        help="train toward (1 - X) y + X / C instead of one-hot targets "
                        "(default: 0)")
    parser.add_argument("--l2", type=_non_negative, default=0.0, metavar="X",
                        help="L2 regularization strength (default: 0)")
    parser.add_argument("--dropout", type=_fraction, default=0.0, metavar="X",
                        help="fraction of each hidden layer's outputs dropped in training "
                        "(default: 0)")
    parser.add_argument("--batch-norm", action="store_true",
                        help="batch-normalize the hidden layers")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32",
                        help="precision of the inputs and the network: float32 (default) needs "
                        "half the memory; float64 as the library computes by default")
    parser.add_argument("--class-weight", choices=("none", "balanced"), default="none",
                        help="'balanced' weighs each class's rows by m / (n_classes * its rows), "
                        "so rare classes count as much as common ones (default: none)")
    parser.add_argument("--val-split", type=_fraction, default=0.2, metavar="X",
                        help="fraction of the rows held out for validation and early stopping; 0 "
                        "trains on every row (default: 0.2)")
    parser.add_argument("--patience", type=_positive_int, default=10, metavar="N",
                        help="with a validation split, stop after N epochs without a lower "
                        "validation cost and keep the best epoch's weights (default: 10)")
    parser.add_argument("--no-early-stopping", action="store_true",
                        help="train every epoch and keep the last weights")
    parser.add_argument("--seed", type=_seed, default=0, metavar="N",
                        help="seed of the split, the weights, shuffling and dropout (default: 0)")
    parser.add_argument("--plot", metavar="CURVES.png",
                        help="also save the cost curves (training and validation) as an image")
    parser.add_argument("--checkpoint", metavar="CKPT.npz",
                        help="save a training checkpoint there every --checkpoint-every epochs "
                        "(ClassifierNN.load reads it); it survives Ctrl-C")
    parser.add_argument("--checkpoint-every", type=_positive_int, default=1, metavar="N",
                        help="epochs between checkpoints (default: 1)")
    _table_arguments(parser)
    _quiet_argument(parser)
    parser.set_defaults(handler=_run_train)


def _split(m, val_split, seed, path):
    """Row indices of the training and validation parts."""
    order = np.random.default_rng(seed).permutation(m)
    n_val = int(np.ceil(val_split * m)) if val_split > 0 else 0
    if n_val and m - n_val < 1:
        raise ValueError(f"{path} has {m} rows: too few to hold out --val-split {val_split:g}")
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _check_named_columns(path, columns, names, option):
    for name in names:
        if name not in columns:
            raise ValueError(f"{path}: no column {name!r} ({option}); the columns are "
                             f"{format_names(columns)}")


class TableRefused(ValueError):
    """``train`` cannot use the table as it is: every reason at once, with the options that fix
    each and one command line to paste. :func:`main` prints it on several lines."""

    def __init__(self, path, problems, command, warnings=()):
        lines = [f"{path}: {len(problems)} problem(s) to fix before training:"]
        lines += [f"  - {problem.line()}" for problem in problems]
        lines += [f"  - (a warning) {warning.line()}" for warning in warnings]
        if command:
            lines += ["run instead:", f"  {command}"]
        super().__init__("\n".join(lines))


def _suggested_command(args, problems):
    """The command line as the user gave it, plus the first fix of each problem (and of each
    row-id warning among them)."""
    import shlex

    fixes = list(dict.fromkeys(problem.fixes[0] for problem in problems if problem.fixes))
    if not fixes or args.argv is None:
        return None
    return " ".join([shlex.join([PROG, *args.argv]), *fixes])


def _target_problems(path, target, labels, task, max_classes=None):
    """Why the target cannot be a classifier's: one label only (an error at once), or numbers
    that look continuous (a problem) when ``task`` is ``auto``.

    Continuous: every label is a number, there are more than 10 distinct ones, and either one
    has a fractional part, or there are more than 20 distinct, or fewer than 2 rows each on
    average.
    """
    from .columns import ColumnProblem

    levels = set(labels)
    if len(levels) < 2:
        raise ValueError(f"{path}: column {target!r} holds one label only "
                         f"({next(iter(levels), None)!r}); a classifier needs at least two")
    if max_classes is not None and len(levels) > max_classes:
        return [ColumnProblem(
            None, f"the target {target!r} holds {len(levels)} distinct labels in {len(labels)} "
            f"rows, more than --max-classes {max_classes}: a class needs rows to learn from, and "
            f"the output layer grows with the classes", (f"--max-classes {len(levels)}",))]
    if task == "classification" or len(levels) <= 10:
        return []
    try:
        values = np.array([float(label) for label in levels])
    except ValueError:
        return []  # text labels: classes whatever their number
    fractional = np.any(np.isfinite(values) & (values != np.round(values)))
    if fractional or len(levels) > 20 or len(levels) > len(labels) / 2:
        return [ColumnProblem(
            None, f"the target {target!r} looks continuous ({len(levels)} distinct numbers in "
            f"{len(labels)} rows{', some fractional' if fractional else ''}); scratchnn "
            f"classifies: choose a column of classes, bin this one into a few levels, or take "
            f"every distinct value as a class", ("--task classification",))]
    return []


def _decimal_comma(frame, names, args, options, problems, notes):
    """Read numbers written with a decimal comma (``18,7``) as numbers, when nothing says
    otherwise: ``--decimal`` not given, the delimiter not ``,``, and no other column written with
    a decimal point. Converts those columns of ``frame`` in place; returns the options the
    table counts as read with (stored in the model)."""
    import dataclasses

    from .columns import ColumnProblem, decimal_comma_columns, numbers
    from .tables import detect_separator, require_pandas

    if args.decimal is not None:
        return options
    sep = options.sep if options.sep is not None else detect_separator(args.data)
    found = decimal_comma_columns(frame, names) if sep != "," else []
    if not found:
        return options
    is_float = require_pandas().api.types.is_float_dtype
    pointed = [name for name in names if name not in found and is_float(frame[name].dtype)
               and np.any(np.mod(frame[name].dropna().to_numpy(), 1) != 0)]
    if pointed:
        problems.append(ColumnProblem(
            None, f"column(s) {format_names(found)} hold numbers written with a decimal comma "
            f"and {format_names(pointed)} with a decimal point; write them all one way, or "
            f"read one kind as text", (" ".join(shell_option("--ignore", n) for n in found),)))
        return options
    for name in found:
        frame[name] = numbers(frame[name], ",")[0]
    notes.append(f"{args.data}: column(s) {format_names(found)} hold numbers written with a "
                 f"decimal comma; read so (as --decimal , does; the model reads new tables the "
                 f"same way)")
    return dataclasses.replace(options, decimal=",")


def _check_training_options(args):
    """Combinations of training options that cannot work, refused before any reading."""
    if args.optimizer == "lbfgs":
        refused = [flag for flag, value in (
            ("--dropout", args.dropout), ("--lr-schedule", args.lr_schedule),
            ("--clipnorm", args.clipnorm), ("--weight-decay", args.weight_decay)) if value]
        if refused:
            raise ValueError(f"--optimizer lbfgs minimizes one deterministic full-batch cost and "
                             f"cannot be combined with {', '.join(refused)}")
    if isinstance(args.lr_schedule, tuple):  # cosine over --epochs, after W warmup epochs
        from .schedules import CosineDecay

        warmup = args.lr_schedule[1]
        if not 0 <= warmup < args.epochs:
            raise ValueError(f"--lr-schedule cosine:{warmup} needs 0 <= warmup epochs < --epochs "
                             f"({args.epochs})")
        args.lr_schedule = CosineDecay(args.epochs, warmup_epochs=warmup)


def _run_train(args):
    import dataclasses

    from .bundle import Bundle
    from .columns import (
        ColumnProblem,
        ColumnSettings,
        column_warnings,
        fit_columns,
        input_collisions,
        text_values,
    )
    from .network import ClassifierNN
    from .preprocessing import LabelEncoder
    from .tables import read_table

    _check_training_options(args)
    inputs = [(args.data, "DATA")]
    _check_output(args.out, "--out", inputs)
    _check_output(args.checkpoint, "--checkpoint", inputs + [(args.out, "--out")])
    _check_plot(args.plot, "--plot", inputs + [(args.out, "--out"),
                                              (args.checkpoint, "--checkpoint")])

    options = _table_options(args)
    frame = read_table(args.data, options,
                       dtype=_text_dtype([args.target, *args.ids, *args.categorical]))
    columns = list(frame.columns)

    def locate(index):
        return options.locate(args.data, index)

    _check_named_columns(args.data, columns, [args.target], "--target")
    for option, names in (("--id", args.ids), ("--ignore", args.ignore),
                          ("--categorical", args.categorical)):
        _check_named_columns(args.data, columns, names, option)
    if args.target in args.ids or args.target in args.ignore:
        raise ValueError(f"--target {args.target} cannot also be an --id or --ignore column")
    feature_names = [name for name in columns
                     if name != args.target and name not in args.ids and name not in args.ignore]
    if not feature_names:
        raise ValueError(f"{args.data}: no feature columns besides the target {args.target!r}"
                         + (" and the --id/--ignore columns" if args.ids or args.ignore else ""))
    not_features = [name for name in args.categorical if name not in feature_names]
    if not_features:
        raise ValueError(f"--categorical {not_features[0]} is not a feature column (it is the "
                         f"target, an --id or an --ignore column)")

    # Everything that stops training is gathered first and reported at once (TableRefused);
    # notes and warnings come once the model is saved.
    problems, notes = [], []
    settings = ColumnSettings(impute=args.impute, categorical=frozenset(args.categorical),
                              keep_na_strings=bool(args.keep_na_strings),
                              date_format=args.date_format)
    labels = text_values(frame[args.target], settings.na_strings)
    present = labels != None  # noqa: E711 - elementwise on an object array
    if not np.all(present):
        n_missing = int(np.count_nonzero(~present))
        if args.drop_missing_target:
            notes.append(f"{args.data}: left out {n_missing} row(s) whose target "
                         f"{args.target!r} is empty (--drop-missing-target)")
        else:
            problems.append(ColumnProblem(
                None, f"the target {args.target!r} is empty on {n_missing} row(s) (the first on "
                f"{locate(frame.index[np.argmin(present)])})", ("--drop-missing-target",)))
        # The other rows are looked at either way, so that one run reports every problem.
        frame, labels = frame[present], labels[present]
    problems += _target_problems(args.data, args.target, labels, args.task, args.max_classes)
    encoder = LabelEncoder().fit(list(labels))
    options = _decimal_comma(frame, feature_names, args, options, problems, notes)
    settings = dataclasses.replace(settings, decimal=options.decimal)
    train_rows, val_rows = _split(len(labels), args.val_split, args.seed, args.data)
    treatments, column_problems, column_notes = fit_columns(
        frame, feature_names, train_rows, settings, args.data, locate)
    problems += column_problems + input_collisions(treatments)
    notes += [f"{args.data}: {note}" for note in column_notes]
    ids, warned = column_warnings(frame, treatments, train_rows, settings,
                                  {problem.column for problem in problems})
    if problems:
        raise TableRefused(args.data, problems, _suggested_command(args, problems + ids),
                           ids + warned)
    # The feature columns, one entry each: fit_inputs drops each once encoded.
    table = {treatment.name: frame[treatment.name] for treatment in treatments}
    del frame
    y = encoder.transform(list(labels))
    del labels  # a Python string per row
    counts = np.bincount(y[train_rows], minlength=len(encoder.classes_))
    rare = [label for label, n in zip(encoder.classes_, counts) if n < 2]
    notes += [f"{args.data}: column {t.name!r} holds dates ({t.format}); read as days since "
              f"1970-01-01, month and weekday" for t in treatments if t.kind == "date"]
    warned = [f"{args.data}: {warning.line()}" for warning in ids + warned]
    if rare:
        warned.append(f"{args.data}: label(s) {format_names(rare)} of {args.target!r} have fewer "
                      f"than 2 training rows; the model can hardly learn them")
    reading = {"sep": args.sep, "decimal": options.decimal, "header": options.header,
               "na_values": list(options.na_values), "keep_na_strings": settings.keep_na_strings}
    bundle = Bundle(None, treatments, [], [], args.target, encoder.classes_, {},
                    id_columns=args.ids, reading=reading)
    # One float32 array of rows, the training rows first: X_rows[:n].T is the network's
    # (n_inputs, m) layout without a copy, for the training loop as for the validation.
    n_train = len(train_rows)
    X_rows = bundle.fit_inputs(table, np.concatenate([train_rows, val_rows]), n_train,
                               args.data, locate, dtype=args.dtype)
    X_train, Y_train = X_rows[:n_train].T, y[train_rows].reshape(1, -1)
    X_val, Y_val = X_rows[n_train:].T, y[val_rows].reshape(1, -1)

    n_classes = len(encoder.classes_)
    binary = n_classes == 2
    n_hidden = len(args.hidden)
    network = ClassifierNN(
        [X_rows.shape[1], *args.hidden, 1 if binary else n_classes],
        [args.activation] * n_hidden + ["sigmoid" if binary else "softmax"],
        batch_norm=args.batch_norm, seed=args.seed,
    )
    bundle.network = network
    loss = "BinaryCrossEntropy" if binary else "SparseCategoricalCrossEntropy"
    sample_weight = None
    if args.class_weight == "balanced":
        # scikit-learn's "balanced": m / (n_classes * rows of the class), so weights average 1.
        weights = len(train_rows) / (np.count_nonzero(counts) * np.maximum(counts, 1))
        sample_weight = weights[y[train_rows]]
    run = _train_with_progress(network, X_train, Y_train, X_val, Y_val, loss, sample_weight, args)

    costs = run.costs
    training = {
        "data": os.path.basename(args.data),
        "training_rows": int(len(train_rows)),
        "validation_rows": int(len(val_rows)),
        "impute": args.impute,
        "ignored_columns": list(args.ignore),
        "categorical_columns": list(args.categorical),
        "task": args.task,
        "dropped_rows_missing_target": int(np.count_nonzero(~present)),
        "loss": loss,
        "class_weight": args.class_weight,
        "optimizer": args.optimizer,
        "lr_schedule": None if args.lr_schedule is None else repr(args.lr_schedule),
        "clipnorm": args.clipnorm,
        "weight_decay": args.weight_decay,
        "label_smoothing": args.label_smoothing,
        "epochs": args.epochs,
        "epochs_run": len(costs),
        "early_stopping": run.patience,
        "best_epoch": run.best_epoch,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "l2": args.l2,
        "dropout": args.dropout,
        "batch_norm": args.batch_norm,
        "dtype": args.dtype,
        "seed": args.seed,
        "final_cost": float(costs[-1]),
        "train_accuracy": network.accuracy(X_train, Y_train),
        "validation_accuracy": (network.accuracy(X_val, Y_val) if len(val_rows) else None),
    }
    bundle.training = training
    bundle.history = {"costs": np.asarray(costs, dtype=np.float64)}
    if len(val_rows):
        bundle.history.update({key: np.asarray(values, dtype=np.float64)
                               for key, values in run.history.items()})
    bundle.save(args.out)

    for message in notes:
        _note(message)
    for message in warned + run.problems:
        _warn(message)
    print(f"train accuracy: {training['train_accuracy']:.4f} ({len(train_rows)} rows)")
    if len(val_rows):
        print(f"validation accuracy: {training['validation_accuracy']:.4f} "
              f"({len(val_rows)} rows)")
    if run.stopped:
        print(f"early stopping: no lower validation cost for {run.patience} epochs; kept epoch "
              f"{run.best_epoch} of {len(costs)}")
    elif run.patience and run.best_epoch != len(costs):
        print(f"kept epoch {run.best_epoch} of {len(costs)}, the lowest validation cost")
    print(f"saved {args.out}")
    if args.plot is not None:
        from .plotting import plot_costs

        plot_costs(costs, args.plot, val_costs=bundle.history.get("val_costs"),
                   title=f"{os.path.basename(args.data)}: cost per epoch")
        print(f"saved {args.plot}")
    return 0


class _Run:
    """The outcome of :func:`_train_with_progress`."""

    def __init__(self, patience):
        self.patience = patience  # None: no early stopping
        self.costs = []
        self.history = {"val_costs": [], "val_accuracy": []}
        self.best_epoch = None
        self.stopped = False
        self.problems = []  # TrainingProblemWarning messages of the run


def _train_with_progress(network, X_train, Y_train, X_val, Y_val, loss, sample_weight, args):
    """Train with a progress bar (epoch, cost, validation accuracy) and early stopping.

    The validation rows are the training loop's ``validation_data``; with early stopping on, the
    loop's :class:`~scratchnn.callbacks.EarlyStopping` stops after ``--patience`` epochs without
    a lower validation cost and puts back the weights (and batch-norm statistics) of the best
    epoch. Ctrl-C ends the command with status 130 and saves nothing (see :func:`main`).

    Returns
    -------
    _Run
    """
    from tqdm import tqdm

    from .callback import Callback
    from .callbacks import EarlyStopping
    from .diagnostics import TrainingProblemWarning
    from .training import DivergenceError

    has_val = X_val.shape[1] > 0
    run = _Run(args.patience if has_val and not args.no_early_stopping else None)

    class Progress(Callback):
        """Feeds the bar and the run's record from each epoch's history values."""

        def on_epoch_end(self, epoch, logs):
            run.costs.append(logs["loss"])
            postfix = {"cost": f"{logs['loss']:.4f}"}
            if has_val:
                run.history["val_costs"].append(logs["val_loss"])
                run.history["val_accuracy"].append(logs["val_accuracy"])
                postfix["val_acc"] = f"{logs['val_accuracy']:.3f}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)

    callbacks = [Progress()]
    if run.patience is not None:
        stopper = EarlyStopping("val_loss", patience=run.patience, restore_best_weights=True)
        callbacks.append(stopper)
    # train()'s own bar knows only the cost, so it is off and this one shows the validation
    # accuracy too.
    with tqdm(total=args.epochs, desc="training", unit="epoch", disable=args.quiet,
              file=sys.stderr) as bar:
        try:
            caught = []
            try:
                with warnings.catch_warnings(record=True) as caught:
                    # Ctrl-C is reported in one line by main(), not by train()'s warning.
                    warnings.filterwarnings("ignore", message="training interrupted")
                    warnings.simplefilter("always", TrainingProblemWarning)
                    network.train(
                        X_train, Y_train, loss=loss, num_epochs=args.epochs, learning_rate=args.lr,
                        batch_size=args.batch_size, lambd=args.l2, keep_prob=_keep_prob(args),
                        optimizer=args.optimizer, print_cost=False, callbacks=callbacks,
                        validation_data=(X_val, Y_val) if has_val else None,
                        lr_schedule=args.lr_schedule, clipnorm=args.clipnorm,
                        weight_decay=args.weight_decay, label_smoothing=args.label_smoothing,
                        sample_weight=sample_weight, checkpoint=args.checkpoint,
                        checkpoint_every=args.checkpoint_every,
                    )
            finally:
                # Outside the recording, so that other warnings are issued as they came.
                problems = _sort_warnings(caught)
        except DivergenceError:
            raise ValueError(
                f"training diverged in epoch {len(run.costs) + 1}: the numbers overflowed to NaN "
                f"or infinity. The features are already standardized, so try a lower --lr than "
                f"{args.lr:g} (e.g. {args.lr / 10:g})") from None
        except KeyboardInterrupt:
            raise _Interrupted(len(run.costs), args.checkpoint, args.checkpoint_every) from None
    # What the loop's end-of-run check found (a mostly dead layer, vanishing gradients), printed
    # one line each once the model is saved.
    run.problems = problems
    if run.patience is None:
        run.best_epoch = len(run.costs)
    else:
        run.best_epoch, run.stopped = stopper.best_epoch, stopper.stopped_epoch is not None
    return run


def _sort_warnings(caught):
    """The messages of the :class:`TrainingProblemWarning` among ``caught``; any other warning
    is issued again as it came."""
    from .diagnostics import Problem, TrainingProblemWarning

    problems = []
    for caught_warning in caught:
        if issubclass(caught_warning.category, TrainingProblemWarning):
            text = caught_warning.message.args[0]
            problems.append(text.advice("cli") if isinstance(text, Problem) else str(text))
        else:
            warnings.warn_explicit(caught_warning.message, caught_warning.category,
                                   caught_warning.filename, caught_warning.lineno)
    return problems


def _keep_prob(args):
    # Dropout on the hidden layers' outputs only: dropping raw input features rarely helps.
    return None if args.dropout == 0 else [1.0] + [1.0 - args.dropout] * len(args.hidden)


class _Interrupted(Exception):
    """Ctrl-C during training: :func:`main` prints :meth:`message` and exits with 130."""

    def __init__(self, epochs, checkpoint, every):
        super().__init__(epochs, checkpoint, every)
        self.epochs, self.checkpoint, self.every = epochs, checkpoint, every

    def message(self):
        text = f"interrupted after {self.epochs} complete epoch(s); no model saved"
        if self.checkpoint is not None:
            last = self.epochs // self.every * self.every
            if last and os.path.exists(self.checkpoint):
                text += (f"; the last checkpoint (epoch {last}) is {self.checkpoint}, "
                         f"ClassifierNN.load reads it")
            else:
                text += f"; no checkpoint was written yet to {self.checkpoint}"
        return text


# --------------------------------------------------------------------------- evaluate and predict


def _data_columns(bundle, columns, path, notes, also=()):
    """Check the feature columns are there; add a note on the columns that will be ignored.

    Notes and warnings are printed once the whole file has been read, so that a command that
    fails prints one line.
    """
    bundle.missing_columns(path, columns)
    known = set(bundle.column_names) | set(bundle.id_columns) | {bundle.target} | set(also)
    extra = [name for name in columns if name not in known]
    if extra:
        notes.append(f"{path}: ignoring column(s) {format_names(extra)}, which the model does "
                     f"not read")


class _Tally:
    """What ``evaluate`` and ``predict`` count over the chunks of a table: rows, cells holding
    a category not seen in training, and missing cells, per feature column."""

    def __init__(self):
        self.rows, self.unseen, self.missing = 0, {}, {}

    def add(self, n_rows, unseen, missing):
        self.rows += n_rows
        for counts, new in ((self.unseen, unseen), (self.missing, missing)):
            for name, n in new.items():
                counts[name] = counts.get(name, 0) + n

    def empty_columns(self):
        """The feature columns missing on every row."""
        return [name for name, n in self.missing.items() if n == self.rows]

    def check(self, path, strict):
        """With ``--strict``, refuse a feature column that is missing on every row."""
        empty = self.empty_columns()
        if strict and empty:
            raise ValueError(f"{path}: feature column(s) {format_names(empty)} are empty on "
                             f"every row (--strict); the model needs their values")

    def report(self, bundle, path):
        """Warn of unseen categories, of missing values (imputed as in training) and of
        columns empty on every row."""
        if self.unseen:
            counts = ", ".join(f"{name!r}: {n}" for name, n in self.unseen.items())
            _warn(f"{path}: cells holding a category not seen in training were encoded as all "
                  f"zeros ({counts})")
        empty = self.empty_columns()
        partly = {name: n for name, n in self.missing.items() if name not in empty}
        if partly:
            counts = ", ".join(f"{name!r}: {n} of {self.rows}" for name, n in partly.items())
            _warn(f"{path}: missing cells were filled as in training (numbers and dates with the "
                  f"training value, text as no category): {counts}")
        kinds = {column.name: column for column in bundle.columns}
        for name in empty:
            column = kinds[name]
            filled = ("encoded as no category" if column.kind == "text"
                      else f"filled with the training value {column.fill:.6g}")
            _warn(f"{path}: feature column {name!r} is empty on every row ({filled}), so the "
                  f"predictions rest on the other columns alone; pass --strict to refuse such a "
                  f"table")


def _read_dtype(bundle, also=()):
    text = [c.name for c in bundle.columns if c.kind != "numeric"]
    return _text_dtype([*text, *bundle.id_columns, bundle.target, *also])


def _strict_argument(parser):
    parser.add_argument("--strict", action="store_true",
                        help="refuse a table with a feature column empty on every row (by "
                        "default a warning)")


def _add_evaluate(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="accuracy, per-class precision/recall/F1 and the confusion matrix on a table",
        description="Evaluate a model saved by `scratchnn train` on a labelled table. The file "
        "is read in chunks, so its size is not limited by memory. A label the model was not "
        "trained on counts as a wrong prediction and gets its own row in the report.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("data", metavar="DATA", help="the feature columns and the target")
    parser.add_argument("--target", metavar="COLUMN",
                        help="the column with the true labels (default: the one the model was "
                        "trained on)")
    parser.add_argument("--drop-missing-target", action="store_true",
                        help="leave out the rows whose label is empty (default: refuse them)")
    parser.add_argument("--plot", metavar="CONFUSION.png",
                        help="also save the confusion matrix as an image")
    _strict_argument(parser)
    _table_arguments(parser, from_model=True)
    parser.set_defaults(handler=_run_evaluate)


def _run_evaluate(args):
    from .metrics import classification_report, confusion_matrix
    from .tables import iter_table

    _check_plot(args.plot, "--plot", [(args.model, "MODEL"), (args.data, "DATA")])
    _, _, bundle = load_model(args.model)
    target = bundle.target if args.target is None else args.target
    options = _table_options(args, bundle)
    n_classes = len(bundle.label_names)
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    tally, notes, unseen_labels = _Tally(), [], []
    n_no_label, first_no_label = 0, None
    for k, chunk in enumerate(iter_table(args.data, options, _read_dtype(bundle, [target]))):
        if k == 0:
            if target not in chunk.columns:
                raise ValueError(f"{args.data}: no target column {target!r} (--target); the "
                                 f"columns are {format_names(chunk.columns)}")
            _data_columns(bundle, list(chunk.columns), args.data, notes, also=[target])

        def locate(index):
            return options.locate(args.data, index)

        X, unseen, missing = bundle.inputs(chunk, args.data, locate)
        tally.add(len(chunk), unseen, missing)
        y, _ = bundle.labels(chunk, target, unseen_labels)
        labelled = y >= 0
        if not np.all(labelled):
            n_no_label += int(np.count_nonzero(~labelled))
            if first_no_label is None:
                first_no_label = locate(chunk.index[np.argmin(labelled)])
        y_pred = np.argmax(bundle.predict_proba(X), axis=0)
        size = n_classes + len(unseen_labels)
        if matrix.shape[0] < size:
            matrix = np.pad(matrix, (0, size - matrix.shape[0]))
        matrix += confusion_matrix(y[labelled], y_pred[labelled], size)
    if n_no_label and not args.drop_missing_target:
        raise ValueError(f"{args.data}: the label column {target!r} is empty on {n_no_label} "
                         f"row(s) (the first on {first_no_label}); fill them, or leave those rows "
                         f"out with --drop-missing-target")
    tally.check(args.data, args.strict)
    for note in notes:
        _note(note)
    if n_no_label:
        _note(f"{args.data}: left out {n_no_label} row(s) whose label is empty "
              f"(--drop-missing-target)")
    if unseen_labels:
        counts = ", ".join(f"{label!r}: {matrix[n_classes + k].sum()}"
                           for k, label in enumerate(unseen_labels))
        _warn(f"{args.data}: label(s) the model was not trained on, each counted as a wrong "
              f"prediction ({counts} rows)")
    tally.report(bundle, args.data)
    labels = bundle.label_names + unseen_labels
    print(_printable(f"{args.model} on {args.data} ({matrix.sum()} rows, target {target!r})"))
    print(_printable(classification_report(matrix, labels)))
    if args.plot is not None:
        from .plotting import plot_confusion_matrix

        accuracy = np.trace(matrix) / matrix.sum()
        plot_confusion_matrix(matrix, labels, args.plot,
                              title=f"{os.path.basename(args.data)}: accuracy {accuracy:.3f}")
        print(f"saved {args.plot}")
    return 0


def _add_predict(subparsers):
    parser = subparsers.add_parser(
        "predict",
        help="predict the label of every row of a table",
        description="Predict with a model saved by `scratchnn train`. Columns are matched by "
        "name; a missing feature column is an error, other columns are ignored. Writes one row "
        "per input row, in order: the id columns, predicted_<target>, and with --proba one "
        "proba_<label> column per class, in the order of the model's labels. Id and kept "
        "columns are copied as the file spells them. The file is read in chunks, so its size "
        "is not limited by memory.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("data", metavar="DATA")
    parser.add_argument("--proba", action="store_true",
                        help="add one column per class with its probability")
    parser.add_argument("--keep-columns", action="store_true",
                        help="copy every input column, as the file spells it, before the "
                        "predictions")
    parser.add_argument("--out", metavar="PRED.csv",
                        help="write here (.csv, .tsv or .parquet) instead of CSV to stdout")
    parser.add_argument("--escape-formulas", action="store_true",
                        help="for files opened in a spreadsheet: a text cell that starts with "
                        "=, +, -, @, tab or carriage return and is not a number gets a leading "
                        "' so that it is not run as a formula (OWASP's CSV injection advice; "
                        "by default cells are copied verbatim)")
    _strict_argument(parser)
    _table_arguments(parser, from_model=True)
    parser.set_defaults(handler=_run_predict)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _map_text(frame, function):
    """``frame`` with ``function`` applied to its column names and to every text cell."""
    from .tables import require_pandas

    types = require_pandas().api.types
    frame = frame.rename(columns=lambda name: function(str(name)))
    for name in frame.columns:
        if not (types.is_numeric_dtype(frame[name].dtype)
                or types.is_bool_dtype(frame[name].dtype)):
            frame[name] = frame[name].map(
                lambda cell: function(cell) if isinstance(cell, str) else cell)
    return frame


def _escape_formula(cell):
    """OWASP's neutralization of a spreadsheet formula: a leading ``'`` before a cell that
    starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return, unless it is a number."""
    if not cell.startswith(_FORMULA_STARTS):
        return cell
    try:
        float(cell)
        return cell
    except ValueError:
        return "'" + cell


def _escape_formulas(frame):
    return _map_text(frame, _escape_formula)


def _verbatim_chunks(path, options, chunks):
    """Pair each chunk of ``chunks`` with the same rows read verbatim (every cell the exact
    string in the file), for the columns ``predict`` copies."""
    from .tables import iter_table

    copies = iter_table(path, options, verbatim=True)
    for chunk in chunks:
        copy = next(copies, None)
        if copy is None or len(copy) != len(chunk):
            raise ValueError(f"{path}: the rows could not be read the same way twice to copy "
                             f"them verbatim (a quoted field after a space?); run without "
                             f"--keep-columns and --id")
        yield chunk, copy


def _run_predict(args):
    from .fileio import atomic_write
    from .tables import check_output_format, iter_table, require_pandas, write_table

    fmt = None
    if args.out is not None:
        _check_output(args.out, "--out", [(args.model, "MODEL"), (args.data, "DATA")])
        fmt = check_output_format(args.out, "--out")
    _, _, bundle = load_model(args.model)
    options = _table_options(args, bundle)
    tally, notes = _Tally(), []
    dtype = _read_dtype(bundle)
    labels = np.asarray(bundle.label_names, dtype=object)
    # The probability columns in the order of the model's labels (label order, not text order:
    # proba_2 before proba_10).
    proba_names = [f"proba_{label}" for label in bundle.label_names]

    pandas = require_pandas()

    def predictions():
        chunks = iter_table(args.data, options, dtype)
        copying = args.keep_columns or bundle.id_columns
        pairs = _verbatim_chunks(args.data, options, chunks) if copying else (
            (chunk, chunk) for chunk in chunks)
        for k, (chunk, copy) in enumerate(pairs):
            columns = list(chunk.columns)
            if k == 0:
                _data_columns(bundle, columns, args.data, notes)
                absent = [name for name in bundle.id_columns if name not in columns]
                if absent:
                    notes.append(f"{args.data}: no id column(s) {format_names(absent)} to copy")

            def locate(index):
                return options.locate(args.data, index)

            X, unseen, missing = bundle.inputs(chunk, args.data, locate)
            tally.add(len(chunk), unseen, missing)
            proba = bundle.predict_proba(X)
            kept = columns if args.keep_columns else [n for n in bundle.id_columns
                                                      if n in columns]
            new = {f"predicted_{bundle.target}": labels[np.argmax(proba, axis=0)]}
            if args.proba:
                new.update(zip(proba_names, proba))
            yield pandas.concat([copy[kept].set_axis(chunk.index),
                                 pandas.DataFrame(new, index=chunk.index)], axis=1)
        tally.check(args.data, args.strict)

    frames = predictions()
    if args.escape_formulas:
        frames = map(_escape_formulas, frames)
    if args.out is None:
        terminal = sys.stdout.isatty()
        for k, frame in enumerate(frames):
            if terminal:  # a cell from someone else's file must not drive the terminal
                frame = _map_text(frame, _printable)
            frame.to_csv(sys.stdout, index=False, header=k == 0, lineterminator="\n")
    else:
        try:
            with atomic_write(args.out, suffix=fmt) as f:
                rows = write_table(frames, f, fmt)
        except OSError as exc:
            if exc.filename is not None and os.path.abspath(exc.filename) == os.path.abspath(
                    args.data):
                raise  # reading the data failed, not writing
            raise ValueError(f"--out {args.out}: could not write it ({exc.strerror or exc}); "
                             f"nothing was written there") from None
    for note in notes:
        _note(note)
    tally.report(bundle, args.data)
    if args.out is not None:
        print(f"saved {args.out} ({rows} rows)")
    return 0


# --------------------------------------------------------------------------- info


def _add_info(subparsers):
    parser = subparsers.add_parser(
        "info",
        help="summarize a model file: layers, shapes, parameters, columns, training settings",
        description="Print a summary of a model file, like Keras's model.summary(), and for a "
        "model made by `scratchnn train` how each column is treated.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.set_defaults(handler=_run_info)


def _run_info(args):
    from .summary import summary

    network, metadata, bundle = load_model(args.model, require_cli=False)
    text = summary(network, metadata, title=f"Model: ClassifierNN ({args.model})")
    if bundle is not None:
        text += "\n\nColumns:\n" + "\n".join(f"  {line}" for line in bundle.describe())
    print(_printable(text))
    return 0


# --------------------------------------------------------------------------- export


def _add_export(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="export a model file as ONNX",
        description="Write MODEL.npz as an ONNX graph. For a model made by `scratchnn train` "
        "the graph takes the raw feature columns, one input of shape (batch, 1) each (float32 "
        "with NaN for a missing number; strings for a text column), and applies imputation, "
        "one-hot encoding, standardization and the network inside; it outputs the label "
        "(batch,) and the probabilities (batch, n_classes). A file written by "
        "ClassifierNN.save becomes a graph from float32 (batch, n_features) to the network's "
        "outputs. Needs the onnx package: pip install 'scratchnn[onnx]'.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("onnx", metavar="MODEL.onnx")
    parser.set_defaults(handler=_run_export)


def _run_export(args):
    from .export import to_onnx

    _check_output(args.onnx, "MODEL.onnx", [(args.model, "MODEL.npz")])
    network, _, bundle = load_model(args.model, require_cli=False)
    if bundle is None:
        to_onnx(network, args.onnx)
    else:
        bundle.to_onnx(args.onnx)
    print(f"saved {args.onnx}")
    return 0


# --------------------------------------------------------------------------- demo


def _demos():
    from . import demo

    return {
        "moons": demo.run_moons_demo,
        "circles": demo.run_circles_demo,
        "spiral": demo.run_spiral_demo,
        "iris": demo.run_iris_demo,
        "optimizers": demo.run_optimizers_demo,
    }


_DEMO_NAMES = ("moons", "circles", "spiral", "iris", "optimizers")


def _add_demo(subparsers):
    parser = subparsers.add_parser(
        "demo",
        help="train a small network on a built-in dataset and save plots",
        description="Run a built-in demo and save its pictures: moons (the seed README's demo), "
        "circles, spiral (three classes), iris (multiclass on four measured features; needs "
        "scikit-learn for the data) or optimizers (gd, momentum, RMSprop and Adam from the same "
        "weights, as a PNG and an animated GIF).",
    )
    parser.add_argument(
        "name", nargs="?", default="moons", choices=_DEMO_NAMES,
        help="which demo (default: moons)",
    )
    parser.add_argument(
        "--out-dir", default="demo-output", help="folder for the images (default: demo-output)"
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="seed for the data and the network (default: 0)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not report the cost while training"
    )
    parser.set_defaults(handler=_run_demo)


def _run_demo(args):
    _demos()[args.name](out_dir=args.out_dir, seed=args.seed, print_cost=not args.quiet)
    return 0


# --------------------------------------------------------------------------- datasets


def _add_datasets(subparsers):
    from .example_tables import EXAMPLE_TABLES

    parser = subparsers.add_parser(
        "datasets",
        help="write an example table (iris, moons, circles, spiral) as CSV",
        description="Write an example dataset as a CSV file with a header row, the label column "
        "last: the tables the README's command-line examples use. iris needs scikit-learn.",
    )
    parser.add_argument("name", choices=EXAMPLE_TABLES, help="which dataset")
    parser.add_argument("out", help="the CSV file (with --test or --new: its training rows)")
    parser.add_argument("--test", metavar="FILE",
                        help="also hold out rows into FILE, labels included (for evaluate)")
    parser.add_argument("--new", metavar="FILE",
                        help="also write the held-out rows without labels to FILE (for predict)")
    parser.add_argument("--test-size", type=_number_type(float, "test size", 0.0, 1.0, True, True),
                        default=0.3, help="share of rows held out (default: 0.3)")
    parser.add_argument("--seed", type=_seed, default=0,
                        help="seed of the data and the split (default: 0)")
    parser.set_defaults(handler=_run_datasets)


def _run_datasets(args):
    from .example_tables import write_example_tables

    written = write_example_tables(args.name, args.out, test=args.test, new=args.new,
                                   test_size=args.test_size, seed=args.seed)
    for path, rows in written.items():
        print(f"saved {path} ({rows} rows)")
    return 0


# --------------------------------------------------------------------------- split


def _test_size(text):
    """``--test-size``: an integer is a count of rows (>= 1), anything else a fraction in (0, 1)."""
    try:
        count = int(text)
    except ValueError:
        pass
    else:
        if count < 1:
            raise argparse.ArgumentTypeError(f"a count of rows must be >= 1, got {text}")
        return count
    try:
        return _number_type(float, "test size", 0.0, 1.0, True, True)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a fraction in (0, 1) such as 0.2, or a whole number of rows such as 30, "
            f"got {text!r}") from None


_test_size.__name__ = "test size"


def _add_split(subparsers):
    parser = subparsers.add_parser(
        "split",
        help="hold out a test set from a table: two files, every cell copied as it is",
        description="Split the rows of DATA at random into a training file and a test file, "
        "each keeping the rows in the order of DATA, every cell copied as written (007 stays "
        "007, NA stays NA). --test-size 0.2 holds out ceil(0.2 x rows) rows (rounded up, as "
        "scikit-learn's train_test_split); --test-size 30 holds out 30 rows. With --stratify, "
        "each class of that column is split in the same proportion (largest remainders, every "
        "class in both parts). Each output's format follows its extension: .csv, .tsv or "
        ".parquet.",
    )
    parser.add_argument("data", metavar="DATA")
    parser.add_argument("--test-size", type=_test_size, required=True, metavar="SIZE",
                        help="the share of rows held out, in (0, 1), or their number (>= 1)")
    parser.add_argument("--out-train", required=True, metavar="FILE",
                        help="where to write the training rows (.csv, .tsv or .parquet)")
    parser.add_argument("--out-test", required=True, metavar="FILE",
                        help="where to write the held-out rows (.csv, .tsv or .parquet)")
    parser.add_argument("--stratify", metavar="COLUMN",
                        help="keep the class proportions of this column in both parts (refused "
                        "if a cell is missing or a class has one row)")
    parser.add_argument("--seed", type=_seed, default=0,
                        help="seed of the random split (default: 0)")
    _table_arguments(parser)
    parser.set_defaults(handler=_run_split)


def _run_split(args):
    from .splitting import class_column, read_cells, split_indices, write_part
    from .tables import check_output_format

    inputs = [(args.data, "DATA")]
    _check_output(args.out_train, "--out-train", inputs)
    _check_output(args.out_test, "--out-test", inputs + [(args.out_train, "--out-train")])
    outputs = [(args.out_train, check_output_format(args.out_train, "--out-train")),
               (args.out_test, check_output_format(args.out_test, "--out-test"))]
    options = _table_options(args)
    frame = read_cells(args.data, options)  # a header naming a column twice is refused
    classes = None
    if args.stratify is not None:
        classes = class_column(frame, args.stratify, args.data, options, "--stratify")
    parts = split_indices(len(frame), args.test_size, args.seed, classes,
                          test_size_name="--test-size",
                          classes_name=f"column {args.stratify!r} (--stratify)")
    for (path, fmt), rows in zip(outputs, parts):
        try:
            written = write_part(frame.iloc[rows], path, fmt, header=options.header)
        except OSError as exc:
            raise ValueError(f"{path}: could not write it ({exc.strerror or exc})") from None
        print(f"saved {path} ({written} rows)")
    return 0


def _add_playground(subparsers):
    parser = subparsers.add_parser(
        "playground", help="watch the network learn in the browser (a local web server)",
        description="Serve the playground on this machine, print its URL and open it; Ctrl-C "
        "stops it. See the README's Playground section.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only; "
                        "::1 for IPv6 loopback)")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.set_defaults(handler=_run_playground)


def _run_playground(args):
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535 (0: a free port), got {args.port}")
    from .playground import serve

    return serve(args.host, args.port, open_browser=not args.no_browser)


# --------------------------------------------------------------------------- entry point

_SUBCOMMANDS = (_add_train, _add_evaluate, _add_predict, _add_info, _add_export, _add_demo,
                _add_datasets, _add_split, _add_playground)


def build_parser():
    """Return the ``scratchnn`` argument parser with every subcommand registered.

    Returns
    -------
    argparse.ArgumentParser
        Parsing sets ``handler``, a function of the parsed arguments that returns
        the exit status.
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="A from-scratch NumPy neural-network classifier."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None):
    """Run the ``scratchnn`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit status: 0 success, 1 data or model error, 130 after Ctrl-C (nothing half-done
        is saved).

    Raises
    ------
    SystemExit
        With status 2 on a usage error, and 0 after ``--help`` or ``--version``
        (argparse's behaviour).
    """
    with _terminating_signals():
        return _main(argv)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP during a command: unwinds like Ctrl-C, so that temporary files are
    removed and nothing half-written is left."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _terminating_signals():
    """Turn SIGTERM and SIGHUP into :class:`_Terminated` while a command runs (in the main
    thread only; elsewhere, or where a signal does not exist, nothing changes)."""
    import signal
    import threading

    def terminated(signum, frame):
        raise _Terminated(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None and signal.getsignal(signum) in (signal.SIG_DFL, None):
                previous[signum] = signal.signal(signum, terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the command lines suggested
    try:
        return args.handler(args)
    except _Interrupted as exc:
        print(f"{PROG}: {_printable(exc.message())}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except _Terminated as exc:
        import signal

        name = signal.Signals(exc.signum).name
        print(f"{PROG}: stopped by {name}; nothing half-written was left", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        # The reader of stdout went away (`scratchnn predict ... | head`): stop quietly, and point
        # stdout at devnull so Python's own flush at exit does not fail on the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except _USER_ERRORS as exc:
        # One line, even when the message itself has several; a table refused for several
        # reasons keeps a line for each.
        if isinstance(exc, TableRefused):
            message = str(exc)
        else:
            message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{PROG}: error: {_printable(message)}", file=sys.stderr)
        return 1
