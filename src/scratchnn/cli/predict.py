"""``scratchnn evaluate`` and ``scratchnn predict``: a model bundle on a table read in chunks.

A classifier's bundle predicts labels (and probabilities), scored by accuracy, per-class
precision, recall and F1 and the confusion matrix; a regression's predicts values, scored by RMSE,
MAE and R² per target (:mod:`~scratchnn.cli.regression`)."""

from __future__ import annotations

import os
import sys

import numpy as np

from ..columns import format_names
from ._common import (
    check_output,
    check_plot,
    load_model,
    note,
    printable,
    table_arguments,
    table_options,
    text_dtype,
    warn,
)

# --------------------------------------------------------------------------- evaluate and predict


def _data_columns(bundle, columns, path, notes, also=()):
    """Check the feature columns are there; add a note on the columns that will be ignored.

    Notes and warnings are printed once the whole file has been read, so that a command that
    fails prints one line.
    """
    bundle.missing_columns(path, columns)
    known = set(bundle.column_names) | set(bundle.id_columns) | set(bundle.targets) | set(also)
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
            warn(f"{path}: cells holding a category not seen in training were encoded as all "
                 f"zeros ({counts})")
        empty = self.empty_columns()
        partly = {name: n for name, n in self.missing.items() if name not in empty}
        if partly:
            counts = ", ".join(f"{name!r}: {n} of {self.rows}" for name, n in partly.items())
            warn(f"{path}: missing cells were filled as in training (numbers and dates with the "
                 f"training value, text as no category): {counts}")
        kinds = {column.name: column for column in bundle.columns}
        for name in empty:
            column = kinds[name]
            filled = ("encoded as no category" if column.kind == "text"
                      else f"filled with the training value {column.fill_value()}")
            warn(f"{path}: feature column {name!r} is empty on every row ({filled}), so the "
                 f"predictions rest on the other columns alone; pass --strict to refuse such a "
                 f"table")


def _read_dtype(bundle, also=()):
    text = [c.name for c in bundle.columns if c.kind != "numeric"]
    return text_dtype([*text, *bundle.id_columns, *bundle.targets, *also])


def _strict_argument(parser):
    parser.add_argument("--strict", action="store_true",
                        help="refuse a table with a feature column empty on every row (by "
                        "default a warning)")


def add_evaluate(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="accuracy, per-class precision/recall/F1 and the confusion matrix on a table; "
        "RMSE, MAE and R2 for a regression",
        description="Evaluate a model saved by `scratchnn train` on a labelled table. The file "
        "is read in chunks, so its size is not limited by memory. A classifier gets its "
        "accuracy, each class's precision, recall and F1 and the confusion matrix; a label the "
        "model was not trained on counts as a wrong prediction and gets its own row in the "
        "report. A regression gets the RMSE, MAE and R2 of each target, in the target's units "
        "(and their mean over several targets).",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("data", metavar="DATA", help="the feature columns and the target")
    parser.add_argument("--target", metavar="COLUMN", action="append", dest="targets",
                        help="the column with the true labels or values (default: the one the "
                        "model was trained on); for a regression of several targets, repeat it "
                        "once per target, in the order of training")
    parser.add_argument("--drop-missing-target", action="store_true",
                        help="leave out the rows whose label is empty (default: refuse them)")
    parser.add_argument("--plot", metavar="CONFUSION.png",
                        help="also save the confusion matrix as an image (classifiers only)")
    _strict_argument(parser)
    table_arguments(parser, from_model=True)
    parser.set_defaults(handler=_run_evaluate)


def _run_evaluate(args):
    from ..metrics import classification_report, confusion_matrix
    from ..tables import iter_table

    check_plot(args.plot, "--plot", [(args.model, "MODEL"), (args.data, "DATA")])
    _, _, bundle = load_model(args.model)
    if bundle.regression:
        return _evaluate_regression(args, bundle)
    if args.targets is not None and len(args.targets) > 1:
        raise ValueError(f"--target is given {len(args.targets)} times; {args.model} is a "
                         f"classifier of one target ({bundle.target!r})")
    target = bundle.target if args.targets is None else args.targets[0]
    options = table_options(args, bundle)
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
    for message in notes:
        note(message)
    if n_no_label:
        note(f"{args.data}: left out {n_no_label} row(s) whose label is empty "
             f"(--drop-missing-target)")
    if unseen_labels:
        counts = ", ".join(f"{label!r}: {matrix[n_classes + k].sum()}"
                           for k, label in enumerate(unseen_labels))
        warn(f"{args.data}: label(s) the model was not trained on, each counted as a wrong "
             f"prediction ({counts} rows)")
    tally.report(bundle, args.data)
    labels = bundle.label_names + unseen_labels
    print(printable(f"{args.model} on {args.data} ({matrix.sum()} rows, target {target!r})"))
    print(printable(classification_report(matrix, labels)))
    if args.plot is not None:
        from ..plotting import plot_confusion_matrix

        accuracy = np.trace(matrix) / matrix.sum()
        plot_confusion_matrix(matrix, labels, args.plot,
                              title=f"{os.path.basename(args.data)}: accuracy {accuracy:.3f}")
        print(f"saved {args.plot}")
    return 0


def _evaluate_regression(args, bundle):
    """``evaluate`` of a regression: RMSE, MAE and R² of each target over the table's rows."""
    from ..tables import iter_table
    from .regression import RegressionScores, regression_report

    if args.plot is not None:
        raise ValueError(f"--plot draws a confusion matrix, which only a classifier has; "
                         f"{args.model} is a regression of {format_names(bundle.targets)}")
    targets = bundle.targets if args.targets is None else args.targets
    if len(targets) != len(bundle.targets):
        raise ValueError(f"--target is given {len(targets)} time(s); {args.model} predicts "
                         f"{len(bundle.targets)} target(s) {format_names(bundle.targets)}, one "
                         f"--target each, in that order")
    options = table_options(args, bundle)
    scores, tally, notes = RegressionScores(len(targets)), _Tally(), []
    n_no_value, first_no_value = 0, None
    for k, chunk in enumerate(iter_table(args.data, options, _read_dtype(bundle, targets))):
        if k == 0:
            absent = [name for name in targets if name not in chunk.columns]
            if absent:
                raise ValueError(f"{args.data}: no target column(s) {format_names(absent)} "
                                 f"(--target); the columns are {format_names(chunk.columns)}")
            _data_columns(bundle, list(chunk.columns), args.data, notes, also=targets)

        def locate(index):
            return options.locate(args.data, index)

        X, unseen, missing = bundle.inputs(chunk, args.data, locate)
        tally.add(len(chunk), unseen, missing)
        Y = bundle.target_values(chunk, args.data, locate, targets)
        valued = ~np.any(np.isnan(Y), axis=0)
        if not np.all(valued):
            n_no_value += int(np.count_nonzero(~valued))
            if first_no_value is None:
                first_no_value = locate(chunk.index[np.argmin(valued)])
        scores.add(Y[:, valued], bundle.predict_values(X)[:, valued])
    if n_no_value and not args.drop_missing_target:
        raise ValueError(f"{args.data}: the target {format_names(targets)} is empty on "
                         f"{n_no_value} row(s) (the first on {first_no_value}); fill them, or "
                         f"leave those rows out with --drop-missing-target")
    if scores.m == 0:
        raise ValueError(f"{args.data}: no row with a target value to evaluate on")
    tally.check(args.data, args.strict)
    for message in notes:
        note(message)
    if n_no_value:
        note(f"{args.data}: left out {n_no_value} row(s) whose target is empty "
             f"(--drop-missing-target)")
    tally.report(bundle, args.data)
    shown = f"target {targets[0]!r}" if len(targets) == 1 else f"targets {format_names(targets)}"
    print(printable(f"{args.model} on {args.data} ({scores.m} rows, {shown})"))
    print(printable("\n".join(regression_report(scores, targets))))
    return 0


def add_predict(subparsers):
    parser = subparsers.add_parser(
        "predict",
        help="predict the label (or a regression's value) of every row of a table",
        description="Predict with a model saved by `scratchnn train`. Columns are matched by "
        "name; a missing feature column is an error, other columns are ignored. Writes one row "
        "per input row, in order: the id columns, predicted_<target> (a regression's value, "
        "one column per target), and with --proba one proba_<label> column per class, in the "
        "order of the model's labels. Id and kept "
        "columns are copied as the file spells them. The file is read in chunks, so its size "
        "is not limited by memory.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("data", metavar="DATA")
    parser.add_argument("--proba", action="store_true",
                        help="add one column per class with its probability (classifiers only)")
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
    table_arguments(parser, from_model=True)
    parser.set_defaults(handler=_run_predict)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _map_text(frame, function):
    """``frame`` with ``function`` applied to its column names and to every text cell."""
    from ..tables import require_pandas

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
    from ..tables import iter_table

    copies = iter_table(path, options, verbatim=True)
    for chunk in chunks:
        copy = next(copies, None)
        if copy is None or len(copy) != len(chunk):
            raise ValueError(f"{path}: the rows could not be read the same way twice to copy "
                             f"them verbatim (a quoted field after a space?); run without "
                             f"--keep-columns and --id")
        yield chunk, copy


def _run_predict(args):
    from ..fileio import atomic_write
    from ..tables import check_output_format, iter_table, require_pandas, write_table

    fmt = None
    if args.out is not None:
        check_output(args.out, "--out", [(args.model, "MODEL"), (args.data, "DATA")])
        fmt = check_output_format(args.out, "--out")
    _, _, bundle = load_model(args.model)
    if args.proba and bundle.regression:
        raise ValueError(f"--proba: {args.model} is a regression of "
                         f"{format_names(bundle.targets)}, which predicts values, not class "
                         f"probabilities")
    options = table_options(args, bundle)
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
            kept = columns if args.keep_columns else [n for n in bundle.id_columns
                                                      if n in columns]
            if bundle.regression:
                new = {f"predicted_{name}": values
                       for name, values in zip(bundle.targets, bundle.predict_values(X))}
            else:
                proba = bundle.predict_proba(X)
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
                frame = _map_text(frame, printable)
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
    for message in notes:
        note(message)
    tally.report(bundle, args.data)
    if args.out is not None:
        print(f"saved {args.out} ({rows} rows)")
    return 0
