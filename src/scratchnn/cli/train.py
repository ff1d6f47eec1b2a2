"""``scratchnn train``: read a table, decide what each column is (or refuse it, every reason at
once) and whether the target is classified or regressed (:mod:`~scratchnn.cli.regression`),
train with a progress bar and early stopping, save the model bundle."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

from ..columns import format_names, shell_option
from ..preprocessing import IMPUTE_STRATEGIES
from ..presets import PRESETS
from ..threads import MAX_THREADS
from ._common import (
    ACTIVATION_NAMES,
    OPTIMIZER_NAMES,
    PROG,
    check_output,
    check_plot,
    fraction_float,
    learning_rate_float,
    lr_schedule_type,
    non_negative_float,
    note,
    number_type,
    positive_float,
    positive_int,
    quiet_argument,
    seed_int,
    table_arguments,
    table_options,
    text_dtype,
    warn,
)

# --------------------------------------------------------------------------- train
_thread_count = number_type(int, "thread count", low=1, high=MAX_THREADS)


def threads_type(text):
    """``--threads``: ``auto`` (None) or a count in ``[1, MAX_THREADS]``."""
    return None if text.strip().lower() == "auto" else _thread_count(text)




def add_train(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a classifier or a regression on a table and save it",
        description="Train a classifier on DATA (CSV-like text or Parquet; a target column that "
        "may hold any labels, numeric and text feature columns), or a regression when the target "
        "is continuous (see --task). Missing numbers are imputed, "
        "text columns one-hot encoded and every input standardized, all learned on the training "
        "rows; the model file holds the network and all of that. The defaults (hidden layers "
        "of 25 and 15 units, --lr 0.01, --batch-size 64, float32, early stopping on a 20% "
        "validation split) differ from NNClassifier's, which are MLPClassifier's ((100,), "
        "0.001, 'auto', float64, no early stopping below 5,000 rows); the documentation's "
        "Command line page says why. --preset trains as NNClassifier(preset=NAME) does.",
    )
    parser.add_argument("data", metavar="DATA", help="training data (.csv, .tsv, .parquet, ...)")
    parser.add_argument("--target", required=True, action="append", metavar="COLUMN",
                        dest="targets",
                        help="the column to predict; every other column is a feature unless "
                        "--id or --ignore names it. Repeat it to predict several numeric "
                        "columns with one regression")
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
    parser.add_argument("--max-classes", type=positive_int, default=1000, metavar="N",
                        help="refuse a target with more distinct labels than N (default: 1000)")
    parser.add_argument("--task", choices=("auto", "classification", "regression"),
                        default="auto",
                        help="'auto' (default): a regression when the target is continuous "
                        "(every present value a number, more than 10 distinct numbers, and "
                        "either one fractional, or more than 20 distinct, or more distinct than "
                        "half the rows) or when --target is given several times, else a "
                        "classifier; "
                        "'classification' takes every distinct value as a class; 'regression' "
                        "predicts the numbers (the target standardized, and inverted at predict)")
    parser.add_argument("--impute", choices=IMPUTE_STRATEGIES, default="median",
                        help="what a missing number becomes: the training rows' median (default), "
                        "mean or most frequent value, or 'error' to refuse missing values")
    parser.add_argument("--preset", choices=sorted(PRESETS), default=None,
                        help="train as NNClassifier(preset=NAME) does, the same model from the "
                        "same table and seed: its hidden layer, learning rate, batch size, epochs, "
                        "float64, validation split and kept epoch become the defaults of the "
                        "options below (see Presets in the documentation; classifiers only)")
    parser.add_argument("--hidden", type=positive_int, nargs="+", default=None, metavar="N",
                        help="units of each hidden layer (default: 25 15, or --preset's)")
    parser.add_argument("--activation", choices=ACTIVATION_NAMES, default="relu",
                        help="activation of the hidden layers (default: relu)")
    parser.add_argument("--optimizer", choices=OPTIMIZER_NAMES, default="adam",
                        help="(default: adam); lbfgs is full-batch L-BFGS (the scipy extra)")
    parser.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                        help="passes over the training rows (default: 100, or --preset's)")
    parser.add_argument("--batch-size", type=positive_int, default=None, metavar="N",
                        help="rows per mini-batch (default: 64, or --preset's)")
    parser.add_argument("--lr", type=learning_rate_float, default=None, metavar="X",
                        help="learning rate (default: 0.01, or --preset's)")
    parser.add_argument("--lr-schedule", type=lr_schedule_type, default=None, metavar="SCHEDULE",
                        help="the learning rate per epoch: none (default), cosine (down to 0 "
                        "over --epochs), cosine:W (after W warmup epochs), step:N[:GAMMA] "
                        "(times GAMMA, default 0.1, every N epochs) or exponential:GAMMA")
    parser.add_argument("--clipnorm", type=positive_float, default=None, metavar="X",
                        help="rescale each step's gradient to a global L2 norm of at most X")
    parser.add_argument("--weight-decay", type=non_negative_float, default=None, metavar="X",
                        help="decoupled weight decay of the weights (default: 0.01 with adamw, "
                        "else 0)")
    parser.add_argument("--label-smoothing", type=fraction_float, default=0.0, metavar="X",
                        help="train toward (1 - X) y + X / C instead of one-hot targets "
                        "(default: 0; classifiers only)")
    parser.add_argument("--l2", type=non_negative_float, default=0.0, metavar="X",
                        help="L2 regularization strength (default: 0)")
    parser.add_argument("--dropout", type=fraction_float, default=0.0, metavar="X",
                        help="fraction of each hidden layer's outputs dropped in training "
                        "(default: 0)")
    parser.add_argument("--batch-norm", action="store_true",
                        help="batch-normalize the hidden layers")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=None,
                        help="precision of the inputs and the network: float32 (default) needs "
                        "half the memory; float64 as the library computes by default, and under --preset")
    parser.add_argument("--class-weight", choices=("none", "balanced"), default="none",
                        help="'balanced' weighs each class's rows by m / (n_classes * its rows), "
                        "so rare classes count as much as common ones (default: none; "
                        "classifiers only)")
    parser.add_argument("--val-split", type=fraction_float, default=None, metavar="X",
                        help="fraction of the rows held out for validation and early stopping; 0 "
                        "trains on every row (default: 0.2, or --preset's)")
    parser.add_argument("--patience", type=positive_int, default=None, metavar="N",
                        help="with a validation split, stop after N epochs without a lower "
                        "validation cost and keep the best epoch's weights (default: 10, or --preset's)")
    parser.add_argument("--no-early-stopping", action="store_true",
                        help="train every epoch and keep the last weights")
    parser.add_argument("--seed", type=seed_int, default=0, metavar="N",
                        help="seed of the split, the weights, shuffling and dropout (default: 0)")
    parser.add_argument("--plot", metavar="CURVES.png",
                        help="also save the cost curves (training and validation) as an image")
    parser.add_argument("--checkpoint", metavar="CKPT.npz",
                        help="save a training checkpoint there every --checkpoint-every epochs "
                        "(ClassifierNN.load, or RegressorNN.load for a regression, reads it); it "
                        "survives Ctrl-C")
    parser.add_argument("--checkpoint-every", type=positive_int, default=1, metavar="N",
                        help="epochs between checkpoints (default: 1)")
    parser.add_argument("--threads", type=threads_type, default=None, metavar="N",
                        help="BLAS threads while training: a count, or auto (default): chosen "
                        "for the machine as it is (CPU affinity, container quota, and a tuner "
                        "that keeps the faster count when other work runs beside it)")
    table_arguments(parser)
    quiet_argument(parser)
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


def _target_problems(path, target, labels, max_classes=None):
    """Why the target cannot be a classifier's: one label only (an error at once), or more
    labels than ``max_classes`` (a problem). Whether it is classified at all is decided before
    (:func:`scratchnn.cli.regression.decide_task`)."""
    from ..columns import ColumnProblem

    levels = set(labels)
    if len(levels) < 2:
        raise ValueError(f"{path}: column {target!r} holds one label only "
                         f"({next(iter(levels), None)!r}); a classifier needs at least two")
    if max_classes is not None and len(levels) > max_classes:
        return [ColumnProblem(
            None, f"the target {target!r} holds {len(levels)} distinct labels in {len(labels)} "
            f"rows, more than --max-classes {max_classes}: a class needs rows to learn from, and "
            f"the output layer grows with the classes", (f"--max-classes {len(levels)}",))]
    return []


def _decimal_comma(frame, names, args, options, problems, notes):
    """Read numbers written with a decimal comma (``18,7``) as numbers, when nothing says
    otherwise: ``--decimal`` not given, the delimiter not ``,``, and no other column written with
    a decimal point. Converts those columns of ``frame`` in place; returns the options the
    table counts as read with (stored in the model)."""
    import dataclasses

    from ..columns import ColumnProblem, decimal_comma_columns, numbers
    from ..tables import detect_separator, require_pandas

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


_OWN_DEFAULTS = {"hidden": [25, 15], "epochs": 100, "batch_size": 64, "lr": 0.01,
                 "dtype": "float32", "val_split": 0.2, "patience": 10}
"""The defaults of ``train``'s options without ``--preset``."""


def _preset_defaults(preset, n_rows=None):
    """The defaults of ``train``'s options under ``preset`` (a :class:`~scratchnn.presets.Preset`):
    NNClassifier's. A batch size of None is ``'auto'`` (:func:`scratchnn.presets.batch_size`);
    a preset that keeps the best epoch waits the whole budget for a lower validation cost.
    Where that depends on the number of rows (``auto``), ``--val-split`` and ``--patience``
    are left out until ``n_rows`` is known."""
    defaults = {"hidden": list(preset.hidden_layer_sizes), "epochs": preset.max_epochs,
                "batch_size": None, "lr": preset.learning_rate, "dtype": "float64"}
    if n_rows is not None or not preset.min_rows_to_keep_best:
        keep_best = preset.keeps_best(n_rows or 0)
        defaults.update(val_split=preset.validation_fraction if keep_best else 0.0,
                        patience=preset.max_epochs if keep_best else preset.n_iter_no_change)
    return defaults


def _fill_defaults(args, n_rows=None):
    """Give each option left out its default: the command line's own, or ``--preset``'s (those
    that depend on the number of rows once ``n_rows`` is given)."""
    preset = getattr(args, "preset", None)
    args.preset_settings = None if preset is None else PRESETS[preset]
    defaults = (_OWN_DEFAULTS if preset is None else
                _preset_defaults(args.preset_settings, n_rows))
    for name, value in defaults.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)


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
        from ..schedules import CosineDecay

        warmup = args.lr_schedule[1]
        if not 0 <= warmup < args.epochs:
            raise ValueError(f"--lr-schedule cosine:{warmup} needs 0 <= warmup epochs < --epochs "
                             f"({args.epochs})")
        args.lr_schedule = CosineDecay(args.epochs, warmup_epochs=warmup)


def _run_train(args):
    import dataclasses

    from ..bundle import Bundle
    from ..columns import (
        ColumnProblem,
        ColumnSettings,
        column_warnings,
        fit_columns,
        input_collisions,
        text_values,
    )
    from ..network import ClassifierNN
    from ..preprocessing import LabelEncoder
    from ..presets import batch_size, holdout, init_like_mlp_classifier, network_seed
    from ..tables import read_table
    from .regression import (
        decide_task,
        refuse_classification_options,
        regression_results,
        standardized_targets,
    )

    _fill_defaults(args)
    _check_training_options(args)
    inputs = [(args.data, "DATA")]
    check_output(args.out, "--out", inputs)
    check_output(args.checkpoint, "--checkpoint", inputs + [(args.out, "--out")])
    check_plot(args.plot, "--plot", inputs + [(args.out, "--out"),
                                             (args.checkpoint, "--checkpoint")])

    options = table_options(args)
    frame = read_table(args.data, options,
                       dtype=text_dtype([*args.targets, *args.ids, *args.categorical]))
    columns = list(frame.columns)

    def locate(index):
        return options.locate(args.data, index)

    targets = args.targets
    args.target = targets[0]
    _check_named_columns(args.data, columns, targets, "--target")
    for option, names in (("--id", args.ids), ("--ignore", args.ignore),
                          ("--categorical", args.categorical)):
        _check_named_columns(args.data, columns, names, option)
    for name in targets:
        if targets.count(name) > 1:
            raise ValueError(f"--target {name} is given more than once")
        if name in args.ids or name in args.ignore:
            raise ValueError(f"--target {name} cannot also be an --id or --ignore column")
    feature_names = [name for name in columns
                     if name not in targets and name not in args.ids and name not in args.ignore]
    if not feature_names:
        which = (f"the target {args.target!r}" if len(targets) == 1
                 else f"the targets {format_names(targets)}")
        raise ValueError(f"{args.data}: no feature columns besides {which}"
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
    present = np.logical_and.reduce([
        text_values(frame[name], settings.na_strings) != None  # noqa: E711 - elementwise
        for name in targets])
    if not np.all(present):
        n_missing = int(np.count_nonzero(~present))
        which = (f"the target {args.target!r}" if len(targets) == 1
                 else f"a target of {format_names(targets)}")
        if args.drop_missing_target:
            whose = (f"whose target {args.target!r}" if len(targets) == 1
                     else f"where {which}")
            notes.append(f"{args.data}: left out {n_missing} row(s) {whose} is empty "
                         f"(--drop-missing-target)")
        else:
            problems.append(ColumnProblem(
                None, f"{which} is empty on {n_missing} row(s) (the first on "
                f"{locate(frame.index[np.argmin(present)])})", ("--drop-missing-target",)))
        # The other rows are looked at either way, so that one run reports every problem.
        frame, labels = frame[present], labels[present]
    decimal_problems = []
    options = _decimal_comma(frame, feature_names, args, options, decimal_problems, notes)
    task, Y, task_problems, task_notes, warned = decide_task(args, frame, options.decimal, locate)
    notes += task_notes
    problems += task_problems
    if task == "classification":
        problems += _target_problems(args.data, args.target, labels, args.max_classes)
        encoder = LabelEncoder().fit(list(labels))
        label_names = encoder.classes_
    else:
        refuse_classification_options(args)
        if args.preset is not None:
            raise ValueError(f"--preset {args.preset} is for classifiers only (NNClassifier's "
                             f"presets); train fits a regression here")
        label_names = []
    problems += decimal_problems
    settings = dataclasses.replace(settings, decimal=options.decimal)
    preset = args.preset_settings
    _fill_defaults(args, len(labels))  # the defaults that depend on the rows (--preset auto's)
    if preset is not None and preset.keeps_best(len(labels)) and args.val_split > 0:
        # NNClassifier(preset=...)'s split: stratified by the classes when they allow it.
        train_rows, val_rows = holdout(len(labels), args.val_split, network_seed(args.seed),
                                       encoder.transform(list(labels)))
    else:
        train_rows, val_rows = _split(len(labels), args.val_split, args.seed, args.data)
    treatments, column_problems, column_notes = fit_columns(
        frame, feature_names, train_rows, settings, args.data, locate)
    problems += column_problems + input_collisions(treatments)
    notes += [f"{args.data}: {note}" for note in column_notes]
    ids, column_warned = column_warnings(frame, treatments, train_rows, settings,
                                         {problem.column for problem in problems})
    if problems:
        raise TableRefused(args.data, problems, _suggested_command(args, problems + ids),
                           ids + column_warned)
    # The feature columns, one entry each: fit_inputs drops each once encoded.
    table = {treatment.name: frame[treatment.name] for treatment in treatments}
    del frame
    notes += [f"{args.data}: column {t.name!r} holds dates ({t.format}); read as days since "
              f"1970-01-01, month and weekday" for t in treatments if t.kind == "date"]
    warned += [f"{args.data}: {warning.line()}" for warning in ids + column_warned]
    if task == "classification":
        y = encoder.transform(list(labels))
        counts = np.bincount(y[train_rows], minlength=len(encoder.classes_))
        rare = [label for label, n in zip(encoder.classes_, counts) if n < 2]
        if rare:
            warned.append(f"{args.data}: label(s) {format_names(rare)} of {args.target!r} have "
                          f"fewer than 2 training rows; the model can hardly learn them")
    del labels  # a Python string per row
    reading = {"sep": args.sep, "decimal": options.decimal, "header": options.header,
               "na_values": list(options.na_values), "keep_na_strings": settings.keep_na_strings}
    bundle = Bundle(None, treatments, [], [], args.target, label_names, {},
                    id_columns=args.ids, reading=reading, task=task, targets=targets)
    # One float32 array of rows, the training rows first: X_rows[:n].T is the network's
    # (n_inputs, m) layout without a copy, for the training loop as for the validation.
    n_train = len(train_rows)
    X_rows = bundle.fit_inputs(table, np.concatenate([train_rows, val_rows]), n_train,
                               args.data, locate, dtype=args.dtype)
    X_train, X_val = X_rows[:n_train].T, X_rows[n_train:].T
    n_hidden = len(args.hidden)
    if task == "classification":
        Y_train, Y_val = y[train_rows].reshape(1, -1), y[val_rows].reshape(1, -1)
        n_classes = len(encoder.classes_)
        binary = n_classes == 2
        dims = [X_rows.shape[1], *args.hidden, 1 if binary else n_classes]
        activations = [args.activation] * n_hidden + ["sigmoid" if binary else "softmax"]
        if preset is None:
            network = ClassifierNN(dims, activations, batch_norm=args.batch_norm, seed=args.seed)
        else:  # built, seeded and initialized as NNClassifier builds it
            network = ClassifierNN(dims, activations, "xavier", batch_norm=args.batch_norm,
                                   seed=network_seed(args.seed), dtype=args.dtype)
            init_like_mlp_classifier(network, args.activation)
        loss = "BinaryCrossEntropy" if binary else "SparseCategoricalCrossEntropy"
        sample_weight = None
        if args.class_weight == "balanced":
            # scikit-learn's "balanced": m / (n_classes * rows of the class), so weights
            # average 1.
            weights = len(train_rows) / (np.count_nonzero(counts) * np.maximum(counts, 1))
            sample_weight = weights[y[train_rows]]
    else:
        from ..regressor import RegressorNN

        Y_train, Y_val = standardized_targets(bundle, Y, train_rows, val_rows, args.dtype)
        network = RegressorNN(
            [X_rows.shape[1], *args.hidden, len(targets)],
            [args.activation] * n_hidden + ["linear"],
            batch_norm=args.batch_norm, seed=args.seed,
        )
        loss, sample_weight = "MeanSquaredError", None
    bundle.network = network
    if args.batch_size is None:  # a preset's 'auto'
        args.batch_size = batch_size(len(train_rows))
    run = _train_with_progress(network, X_train, Y_train, X_val, Y_val, loss, sample_weight, args)

    costs = run.costs
    training = {
        "data": os.path.basename(args.data),
        "training_rows": int(len(train_rows)),
        "validation_rows": int(len(val_rows)),
        "impute": args.impute,
        "ignored_columns": list(args.ignore),
        "categorical_columns": list(args.categorical),
        "task": task,
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
        "preset": args.preset,
        "final_cost": float(costs[-1]),
    }
    if task == "classification":
        training["train_accuracy"] = network.accuracy(X_train, Y_train)
        training["validation_accuracy"] = (network.accuracy(X_val, Y_val) if len(val_rows)
                                           else None)
        lines = [f"train accuracy: {training['train_accuracy']:.4f} ({len(train_rows)} rows)"]
        if len(val_rows):
            lines.append(f"validation accuracy: {training['validation_accuracy']:.4f} "
                         f"({len(val_rows)} rows)")
    else:
        del training["class_weight"], training["label_smoothing"]  # refused, so nothing to say
        lines = regression_results(bundle, training, Y, X_train, X_val, train_rows, val_rows)
    bundle.training = training
    bundle.history = {"costs": np.asarray(costs, dtype=np.float64)}
    if len(val_rows):
        bundle.history.update({key: np.asarray(values, dtype=np.float64)
                               for key, values in run.history.items()})
    bundle.save(args.out)

    for message in notes:
        note(message)
    for message in warned + run.problems:
        warn(message)
    for line in lines:
        print(line)
    if run.stopped:
        print(f"early stopping: no lower validation cost for {run.patience} epochs; kept epoch "
              f"{run.best_epoch} of {len(costs)}")
    elif run.patience and run.best_epoch != len(costs):
        print(f"kept epoch {run.best_epoch} of {len(costs)}, the lowest validation cost")
    print(f"saved {args.out}")
    if args.plot is not None:
        from ..plotting import plot_costs

        plot_costs(costs, args.plot, val_costs=bundle.history.get("val_costs"),
                   title=f"{os.path.basename(args.data)}: cost per epoch")
        print(f"saved {args.plot}")
    return 0


class _Run:
    """The outcome of :func:`_train_with_progress`."""

    def __init__(self, patience):
        self.patience = patience  # None: no early stopping
        self.costs = []
        self.history = {"val_costs": []}  # and val_accuracy (a classifier) or val_r2
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

    from ..callback import Callback
    from ..callbacks import EarlyStopping
    from ..diagnostics import TrainingProblemWarning
    from ..training import DivergenceError

    has_val = X_val.shape[1] > 0
    run = _Run(args.patience if has_val and not args.no_early_stopping else None)

    class Progress(Callback):
        """Feeds the bar and the run's record from each epoch's history values."""

        def on_epoch_end(self, epoch, logs):
            run.costs.append(logs["loss"])
            postfix = {"cost": f"{logs['loss']:.4f}"}
            if has_val:
                run.history["val_costs"].append(logs["val_loss"])
                if "val_accuracy" in logs:  # a classifier's
                    run.history.setdefault("val_accuracy", []).append(logs["val_accuracy"])
                    postfix["val_acc"] = f"{logs['val_accuracy']:.3f}"
                else:  # a regression's R², the same in standardized units as in the target's
                    run.history.setdefault("val_r2", []).append(logs["val_r2"])
                    postfix["val_r2"] = f"{logs['val_r2']:.3f}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)

    callbacks = [Progress()]
    if run.patience is not None:
        stopper = EarlyStopping("val_loss", patience=run.patience, restore_best_weights=True)
        callbacks.append(stopper)
    elif getattr(args, "preset_settings", None) is not None and not args.no_early_stopping:
        # A preset without a validation split stops as NNClassifier does: when the training
        # loss has not fallen by more than tol for --patience epochs, keeping the last weights.
        callbacks.append(EarlyStopping("loss", patience=args.patience,
                                       min_delta=args.preset_settings.tol,
                                       restore_best_weights=False, mode="min"))
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
                        checkpoint_every=args.checkpoint_every, n_threads=args.threads,
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
            raise Interrupted(len(run.costs), args.checkpoint, args.checkpoint_every,
                              type(network).__name__) from None
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
    from ..diagnostics import Problem, TrainingProblemWarning

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


class Interrupted(Exception):
    """Ctrl-C during training: :func:`main` prints :meth:`message` and exits with 130."""

    def __init__(self, epochs, checkpoint, every, model="ClassifierNN"):
        super().__init__(epochs, checkpoint, every, model)
        self.epochs, self.checkpoint, self.every = epochs, checkpoint, every
        self.model = model  # the class whose load reads the checkpoint

    def message(self):
        text = f"interrupted after {self.epochs} complete epoch(s); no model saved"
        if self.checkpoint is not None:
            last = self.epochs // self.every * self.every
            if last and os.path.exists(self.checkpoint):
                text += (f"; the last checkpoint (epoch {last}) is {self.checkpoint}, "
                         f"{self.model}.load reads it")
            else:
                text += f"; no checkpoint was written yet to {self.checkpoint}"
        return text
