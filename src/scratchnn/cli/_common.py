"""What the subcommands share: option types, messages, model files, output paths, and how to
read a table."""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata

import numpy as np

from ..activations import ACTIVATIONS
from ..optimizers import OPTIMIZERS
from ..validation import outside_interval, to_float

PROG = "scratchnn"

# The choices of the train options, read from the registries (a new activation or optimizer
# appears here by itself).
ACTIVATION_NAMES = tuple(ACTIVATIONS)
OPTIMIZER_NAMES = tuple(OPTIMIZERS)

# --------------------------------------------------------------------------- option types


def number_type(kind, name, low=None, high=None, low_open=False, high_open=False):
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


positive_int = number_type(int, "positive integer", low=1)
seed_int = number_type(int, "seed", low=0)
learning_rate_float = number_type(float, "learning rate", low=0.0, low_open=True)
non_negative_float = number_type(float, "non-negative number", low=0.0)
fraction_float = number_type(float, "fraction", low=0.0, high=1.0, high_open=True)
positive_float = number_type(float, "positive number", low=0.0, low_open=True)


def lr_schedule_type(text):
    """``--lr-schedule``: ``none``, ``cosine``, ``cosine:WARMUP``, ``step:SIZE[:GAMMA]`` or
    ``exponential:GAMMA``, as a :mod:`scratchnn.schedules` object (or None)."""
    from ..schedules import ExponentialDecay, StepDecay

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


lr_schedule_type.__name__ = "learning-rate schedule"


def quiet_argument(parser):
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


# --------------------------------------------------------------------------- messages


def printable(text):
    """``text`` with control characters (terminal escapes among them) shown as ``\\x1b`` etc.

    Names from a file (columns, labels) reach the terminal through ``info``, ``evaluate`` and
    error messages; a name holding ``\\x1b[...`` must not drive the terminal. Newlines stay.
    """
    return "".join(
        char if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf")
        else ascii(char)[1:-1]
        for char in str(text)
    )


def warn(message, kind="warning"):
    print(f"{PROG}: {kind}: {printable(message)}", file=sys.stderr)


def note(message):
    warn(message, "note")


# --------------------------------------------------------------------------- model files


def save_model(path, model):
    """Save a :class:`scratchnn.bundle.Bundle` as one model file (see :meth:`Bundle.save`)."""
    model.save(path)


def load_model(path, require_cli=True):
    """Load a model file; return ``(network, metadata, bundle)`` (see :meth:`Bundle.load`)."""
    from ..bundle import Bundle

    return Bundle.load(path, require_bundle=require_cli)


# --------------------------------------------------------------------------- paths


def check_output(path, option, inputs=()):
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


def check_plot(path, option, inputs):
    """Check a ``--plot`` path (folder, format) and that matplotlib is there, before any work."""
    if path is None:
        return
    from ..plotting import require_matplotlib

    check_output(path, option, inputs)
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


def table_arguments(parser, from_model=False):
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


def table_options(args, bundle=None):
    """How to read ``args.data``: the options given, else (``evaluate``, ``predict``) as the
    model's training table was read, else the defaults. Sets the model's reading to match."""
    from ..bundle import READING_DEFAULTS
    from ..tables import TableOptions

    reading = dict(READING_DEFAULTS if bundle is None else bundle.reading)
    given = {"sep": args.sep, "decimal": args.decimal, "header": args.header,
             "na_values": args.na_values, "keep_na_strings": args.keep_na_strings}
    reading.update({key: value for key, value in given.items() if value is not None})
    if bundle is not None:
        bundle.reading = reading
    return TableOptions(sep=reading["sep"], decimal=reading["decimal"], header=reading["header"],
                        na_values=tuple(reading["na_values"]))


def text_dtype(names):
    """Read these columns as text (ids keep leading zeros, labels their spelling)."""
    return {name: str for name in names}
