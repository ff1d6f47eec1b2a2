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
import csv
import os
import sys

import numpy as np

from .validation import outside_interval
from .version import __version__

__all__ = ["main", "build_parser", "save_model", "load_model", "CLIModel"]

PROG = "scratchnn"

# Failures a user can cause and fix (a bad path, a bad argument value, a missing
# optional dependency) are reported in one line; anything else is a bug in
# scratchnn and keeps its traceback.
_USER_ERRORS = (ValueError, TypeError, OSError, ImportError)

# The choices of the train options. They mirror the registries in scratchnn.activations and
# scratchnn.optimizers; a name missing here would only be unreachable from the command line.
_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear", "softmax")
_OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")

CLI_FORMAT = 1
"""Version of what ``train`` stores in a model file's metadata."""


# --------------------------------------------------------------------------- option types


def _number_type(kind, name, low=None, high=None, low_open=False, high_open=False):
    """An argparse ``type`` parsing ``kind`` and checking the range; errors are usage errors."""

    def parse(text):
        try:
            value = kind(text)
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


def _quiet_argument(parser):
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


# --------------------------------------------------------------------------- model files


class CLIModel:
    """A network with what the command line keeps beside it.

    Attributes
    ----------
    network : ClassifierNN
    feature_names : list of str, length n_features
        The CSV columns the network reads, in its input order.
    mean, scale : ndarray of shape (n_features,)
        The standardization ``(x - mean) / scale`` applied before the network.
    target : str
        The CSV column the network predicts.
    label_names : list of str
        The label of each class index (2 for a single sigmoid output).
    training : dict
        The settings and results of training, for ``info``.
    history : dict of str to ndarray
        Per-epoch ``costs`` (and ``val_costs``, ``val_accuracy`` with a validation split).
    """

    def __init__(self, network, feature_names, mean, scale, target, label_names, training,
                 history=None):
        self.network = network
        self.feature_names = list(feature_names)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.target = target
        self.label_names = list(label_names)
        self.training = dict(training)
        self.history = dict(history or {})

    def features(self, table, ignore=()):
        """The network input for a CSV table: ``(n_features, m)``, standardized.

        Columns are matched by name; the target column and the columns in ``ignore``, if
        present, are skipped.

        Raises
        ------
        ValueError
            If a feature column is missing, there are columns the model does not know, or a value
            is not a finite number (naming file, line and column).
        """
        from .preprocessing import numeric_columns

        missing = [name for name in self.feature_names if name not in table.columns]
        if missing:
            raise ValueError(f"{table.path}: missing feature column(s) {missing}; the model was "
                             f"trained on {self.feature_names}")
        extra = [name for name in table.columns
                 if name not in self.feature_names and name != self.target and name not in ignore]
        if extra:
            raise ValueError(f"{table.path}: unexpected column(s) {extra}; the model reads "
                             f"{self.feature_names} (and ignores the target {self.target!r})")
        X = numeric_columns(table, self.feature_names)
        return ((X - self.mean) / self.scale).T

    def labels(self, table):
        """The class index of each row's target label: an int64 array of shape ``(m,)``."""
        raw = _target_labels(table, self.target)
        known = {label: k for k, label in enumerate(self.label_names)}
        for label, line in zip(raw, table.line_numbers):
            if label not in known:
                raise ValueError(
                    f"{table.path}, line {line}: column {self.target!r} holds {label!r}, a label "
                    f"the model was not trained on; it knows {self.label_names}"
                )
        return np.array([known[label] for label in raw], dtype=np.int64)

    def predict_proba(self, X):
        """Class probabilities ``(n_classes, m)``, two rows for a single sigmoid output."""
        proba = self.network.predict_proba(X)
        if proba.shape[0] == 1:
            proba = np.vstack([1.0 - proba, proba])
        return proba


def save_model(path, model):
    """Save a :class:`CLIModel` as one model file (:func:`scratchnn.io.save` with metadata).

    The JSON metadata holds ``cli_format``, ``feature_names``, ``target``, ``label_names`` and
    ``training``; the arrays ``feature_mean`` and ``feature_scale`` hold the standardization, and
    ``costs`` (and, with a validation split, ``val_costs`` and ``val_accuracy``) the history.
    """
    from .io import save

    metadata = {
        "cli_format": CLI_FORMAT,
        "feature_names": model.feature_names,
        "target": model.target,
        "label_names": model.label_names,
        "training": model.training,
        "feature_mean": model.mean,
        "feature_scale": model.scale,
    }
    metadata.update(model.history)
    save(model.network, path, metadata=metadata)


def _invalid_cli_model(path, why):
    return ValueError(f"{path} is not a model written by `scratchnn train`: {why}")


def _string_list(value, length):
    return (isinstance(value, list) and len(value) == length
            and all(isinstance(v, str) and v for v in value) and len(set(value)) == length)


def load_model(path, require_cli=True):
    """Load a model file; return ``(network, metadata, cli_model)``.

    Parameters
    ----------
    path : str
    require_cli : bool, default True
        Raise unless the file was written by ``scratchnn train``. With False, a plain
        :meth:`ClassifierNN.save` file is accepted and ``cli_model`` is None.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a model file, or (with ``require_cli``) has no valid command-line
        metadata.
    """
    from .io import load_with_metadata

    network, metadata = load_with_metadata(path)
    if "cli_format" not in metadata:
        if require_cli:
            raise _invalid_cli_model(
                path, "it holds a network but no feature names, standardization or label names "
                "(save a model with `scratchnn train` to use it on CSV files)")
        return network, metadata, None
    if metadata["cli_format"] != CLI_FORMAT:
        raise _invalid_cli_model(path, f"cli_format {metadata['cli_format']!r} is not {CLI_FORMAT}")
    n_features = network.layer_dims[0]
    n_classes = max(network.layer_dims[-1], 2)
    if not _string_list(metadata.get("feature_names"), n_features):
        raise _invalid_cli_model(path, f"feature_names must be {n_features} distinct names")
    if not _string_list(metadata.get("label_names"), n_classes):
        raise _invalid_cli_model(path, f"label_names must be {n_classes} distinct names")
    if not (isinstance(metadata.get("target"), str)
            and isinstance(metadata.get("training"), dict)):
        raise _invalid_cli_model(path, "it has no target name or training settings")
    mean, scale = metadata.get("feature_mean"), metadata.get("feature_scale")
    for name, value in (("feature_mean", mean), ("feature_scale", scale)):
        if not isinstance(value, np.ndarray) or value.shape != (n_features,) \
                or value.dtype.kind != "f":
            raise _invalid_cli_model(path, f"{name} must be a float array of shape ({n_features},)")
    if np.any(scale <= 0):
        raise _invalid_cli_model(path, "feature_scale must be > 0")
    history = {key: metadata[key] for key in ("costs", "val_costs", "val_accuracy")
               if key in metadata}
    cli_model = CLIModel(network, metadata["feature_names"], mean, scale, metadata["target"],
                         metadata["label_names"], metadata["training"], history)
    return network, metadata, cli_model


def _target_labels(table, target):
    """The stripped text of the target column; an empty label is an error naming its line."""
    labels = [label.strip() for label in table.column(target)]
    for label, line in zip(labels, table.line_numbers):
        if not label:
            raise ValueError(f"{table.path}, line {line}: column {target!r} is empty")
    return labels


# --------------------------------------------------------------------------- train


def _add_train(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a classifier on a CSV file and save it",
        description="Train a classifier on DATA.csv (a header row, numeric feature columns and "
        "a target column that may hold any labels). Features are standardized with the mean and "
        "standard deviation of the training rows; the model file holds the network, the feature "
        "names, the standardization and the label names.",
    )
    parser.add_argument("data", metavar="DATA.csv", help="training data with a header row")
    parser.add_argument("--target", required=True, metavar="COLUMN",
                        help="the column to predict; every other column is a feature")
    parser.add_argument("--out", required=True, metavar="MODEL.npz", help="where to save the model")
    parser.add_argument("--hidden", type=_positive_int, nargs="+", default=[25, 15], metavar="N",
                        help="units of each hidden layer (default: 25 15)")
    parser.add_argument("--activation", choices=_ACTIVATIONS, default="relu",
                        help="activation of the hidden layers (default: relu)")
    parser.add_argument("--optimizer", choices=_OPTIMIZERS, default="adam",
                        help="(default: adam)")
    parser.add_argument("--epochs", type=_positive_int, default=100, metavar="N",
                        help="passes over the training rows (default: 100)")
    parser.add_argument("--batch-size", type=_positive_int, default=64, metavar="N",
                        help="rows per mini-batch (default: 64)")
    parser.add_argument("--lr", type=_learning_rate, default=0.01, metavar="X",
                        help="learning rate (default: 0.01)")
    parser.add_argument("--l2", type=_non_negative, default=0.0, metavar="X",
                        help="L2 regularization strength (default: 0)")
    parser.add_argument("--dropout", type=_fraction, default=0.0, metavar="X",
                        help="fraction of each hidden layer's outputs dropped in training "
                        "(default: 0)")
    parser.add_argument("--batch-norm", action="store_true",
                        help="batch-normalize the hidden layers")
    parser.add_argument("--val-split", type=_fraction, default=0.2, metavar="X",
                        help="fraction of the rows held out to report validation accuracy; 0 "
                        "trains on every row (default: 0.2)")
    parser.add_argument("--seed", type=_seed, default=0, metavar="N",
                        help="seed of the split, the weights, shuffling and dropout (default: 0)")
    parser.add_argument("--plot", metavar="CURVES.png",
                        help="also save the cost curves (training and validation) as an image")
    _quiet_argument(parser)
    parser.set_defaults(handler=_run_train)


def _split(m, val_split, seed, path):
    """Row indices of the training and validation parts."""
    order = np.random.default_rng(seed).permutation(m)
    n_val = int(np.ceil(val_split * m)) if val_split > 0 else 0
    if n_val and m - n_val < 1:
        raise ValueError(f"{path} has {m} rows: too few to hold out --val-split {val_split:g}")
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _run_train(args):
    from .network import ClassifierNN
    from .preprocessing import LabelEncoder, Standardizer, numeric_columns, read_csv

    if args.plot is not None:
        from .plotting import require_matplotlib

        _check_writable(args.plot, "--plot")
        require_matplotlib()  # a missing matplotlib is reported now, not after training
    _check_writable(args.out, "--out")
    table = read_csv(args.data)
    if args.target not in table.columns:
        raise ValueError(f"{args.data}: no column {args.target!r} (--target); the columns are "
                         f"{table.columns}")
    feature_names = [name for name in table.columns if name != args.target]
    if not feature_names:
        raise ValueError(f"{args.data}: no feature columns besides the target {args.target!r}")
    X = numeric_columns(table, feature_names)
    encoder = LabelEncoder().fit(_target_labels(table, args.target))
    if len(encoder.classes_) < 2:
        raise ValueError(f"{args.data}: column {args.target!r} holds one label only "
                         f"({encoder.classes_[0]!r}); a classifier needs at least two")
    y = encoder.transform(_target_labels(table, args.target))

    train_rows, val_rows = _split(len(y), args.val_split, args.seed, args.data)
    standardizer = Standardizer().fit(X[train_rows])
    X_all = standardizer.transform(X).T  # (n_features, m): one example per column
    X_train, Y_train = X_all[:, train_rows], y[train_rows].reshape(1, -1)
    X_val, Y_val = X_all[:, val_rows], y[val_rows].reshape(1, -1)

    n_classes = len(encoder.classes_)
    binary = n_classes == 2
    n_hidden = len(args.hidden)
    network = ClassifierNN(
        [len(feature_names), *args.hidden, 1 if binary else n_classes],
        [args.activation] * n_hidden + ["sigmoid" if binary else "softmax"],
        batch_norm=args.batch_norm, seed=args.seed,
    )
    loss = "BinaryCrossEntropy" if binary else "SparseCategoricalCrossEntropy"
    # Dropout on the hidden layers' outputs only: dropping raw input features rarely helps.
    keep_prob = None if args.dropout == 0 else [1.0] + [1.0 - args.dropout] * n_hidden
    history = {"val_costs": [], "val_accuracy": []}
    costs = _train_with_progress(network, X_train, Y_train, X_val, Y_val, loss, keep_prob, args,
                                 history)

    training = {
        "data": os.path.basename(args.data),
        "training_rows": int(len(train_rows)),
        "validation_rows": int(len(val_rows)),
        "loss": loss,
        "optimizer": args.optimizer,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.lr,
        "l2": args.l2,
        "dropout": args.dropout,
        "batch_norm": args.batch_norm,
        "seed": args.seed,
        "final_cost": float(costs[-1]),
        "train_accuracy": network.accuracy(X_train, Y_train),
        "validation_accuracy": history["val_accuracy"][-1] if len(val_rows) else None,
    }
    saved_history = {"costs": np.asarray(costs, dtype=np.float64)}
    if len(val_rows):
        saved_history.update({key: np.asarray(values, dtype=np.float64)
                              for key, values in history.items()})
    model = CLIModel(network, feature_names, standardizer.mean_, standardizer.scale_,
                     args.target, encoder.classes_, training, saved_history)
    save_model(args.out, model)

    print(f"train accuracy: {model.training['train_accuracy']:.4f} ({len(train_rows)} rows)")
    if len(val_rows):
        print(f"validation accuracy: {model.training['validation_accuracy']:.4f} "
              f"({len(val_rows)} rows)")
    print(f"saved {args.out}")
    if args.plot is not None:
        from .plotting import plot_costs

        plot_costs(costs, args.plot, val_costs=model.history.get("val_costs"),
                   title=f"{os.path.basename(args.data)}: cost per epoch")
        print(f"saved {args.plot}")
    return 0


def _train_with_progress(network, X_train, Y_train, X_val, Y_val, loss, keep_prob, args, history):
    """Train, showing a progress bar with the epoch, the cost and the validation accuracy.

    The validation cost and accuracy of every epoch are appended to ``history``.

    Returns
    -------
    list of float
        The training cost of each epoch.
    """
    from tqdm import tqdm

    has_val = X_val.shape[1] > 0
    # train()'s own bar knows only the cost, so it is off and this bar, fed by the per-epoch
    # callback, shows the validation accuracy too.
    with tqdm(total=args.epochs, desc="training", unit="epoch", disable=args.quiet,
              file=sys.stderr) as bar:
        def on_epoch_end(epoch, cost):
            postfix = {"cost": f"{cost:.4f}"}
            if has_val:
                # The validation cost is the plain cross-entropy: no L2 term, no dropout.
                A = network.predict_proba(X_val)
                history["val_costs"].append(network.compute_cost(A, Y_val, loss=loss))
                history["val_accuracy"].append(network.accuracy(X_val, Y_val))
                postfix["val_acc"] = f"{history['val_accuracy'][-1]:.3f}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)
            return False  # never stop early

        _, costs = network.train(
            X_train, Y_train, loss=loss, num_epochs=args.epochs, learning_rate=args.lr,
            batch_size=args.batch_size, lambd=args.l2, keep_prob=keep_prob,
            optimizer=args.optimizer, print_cost=False, callback=on_epoch_end,
        )
    return costs


def _check_writable(path, option):
    """Fail before the work if the folder of an output file does not exist."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{option} {path}: the folder {folder} does not exist")


# --------------------------------------------------------------------------- evaluate


def _add_evaluate(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="accuracy, per-class precision/recall/F1 and the confusion matrix on a CSV file",
        description="Evaluate a model saved by `scratchnn train` on a labelled CSV file.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("data", metavar="DATA.csv", help="the feature columns and the target")
    parser.add_argument("--target", metavar="COLUMN",
                        help="the column with the true labels (default: the one the model was "
                        "trained on)")
    parser.add_argument("--plot", metavar="CONFUSION.png",
                        help="also save the confusion matrix as an image")
    parser.set_defaults(handler=_run_evaluate)


def _run_evaluate(args):
    from .metrics import classification_report, confusion_matrix
    from .preprocessing import read_csv

    _, _, model = load_model(args.model)
    trained_target = model.target
    if args.target is not None:
        model.target = args.target  # the true labels are in this column of DATA.csv
    if args.plot is not None:
        from .plotting import require_matplotlib

        _check_writable(args.plot, "--plot")
        require_matplotlib()
    table = read_csv(args.data)
    if model.target not in table.columns:
        raise ValueError(f"{args.data}: no target column {model.target!r} (--target); the "
                         f"columns are {table.columns}")
    X = model.features(table, ignore={trained_target})
    y = model.labels(table)
    y_pred = np.argmax(model.predict_proba(X), axis=0)
    matrix = confusion_matrix(y, y_pred, len(model.label_names))
    print(f"{args.model} on {args.data} ({len(y)} rows, target {model.target!r})")
    print(classification_report(matrix, model.label_names))
    if args.plot is not None:
        from .plotting import plot_confusion_matrix

        accuracy = np.trace(matrix) / matrix.sum()
        plot_confusion_matrix(matrix, model.label_names, args.plot,
                              title=f"{os.path.basename(args.data)}: accuracy {accuracy:.3f}")
        print(f"saved {args.plot}")
    return 0


# --------------------------------------------------------------------------- predict


def _add_predict(subparsers):
    parser = subparsers.add_parser(
        "predict",
        help="predict the label of every row of a CSV file",
        description="Predict with a model saved by `scratchnn train`. Columns are matched by "
        "name; a missing or unknown column is an error (the target column, if present, is "
        "ignored). Writes one row per input row, in order, with the predicted label.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("data", metavar="DATA.csv")
    parser.add_argument("--proba", action="store_true",
                        help="add one column per class with its probability")
    parser.add_argument("--out", metavar="PRED.csv", help="write here instead of to stdout")
    parser.set_defaults(handler=_run_predict)


def _run_predict(args):
    from .preprocessing import read_csv

    _, _, model = load_model(args.model)
    if args.out is not None:
        _check_writable(args.out, "--out")
    table = read_csv(args.data)
    proba = model.predict_proba(model.features(table))
    predicted = np.argmax(proba, axis=0)
    header = [model.target]
    if args.proba:
        header += [f"proba_{label}" for label in model.label_names]
    rows = []
    for k, column in zip(predicted, proba.T):
        row = [model.label_names[k]]
        if args.proba:
            row += [f"{p:.6g}" for p in column]
        rows.append(row)

    def write(f):
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)

    if args.out is None:
        write(sys.stdout)
    else:
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            write(f)
        print(f"saved {args.out} ({len(rows)} rows)")
    return 0


# --------------------------------------------------------------------------- info


def _add_info(subparsers):
    parser = subparsers.add_parser(
        "info",
        help="summarize a model file: layers, shapes, parameters, training settings",
        description="Print a summary of a model file, like Keras's model.summary().",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.set_defaults(handler=_run_info)


def _run_info(args):
    from .summary import summary

    network, metadata, _ = load_model(args.model, require_cli=False)
    print(summary(network, metadata, title=f"Model: ClassifierNN ({args.model})"))
    return 0


# --------------------------------------------------------------------------- export


def _add_export(subparsers):
    parser = subparsers.add_parser(
        "export",
        help="export a model file as ONNX",
        description="Write MODEL.npz as an ONNX graph that takes float32 (batch, n_features) "
        "raw features (the standardization is part of the graph) and outputs the class "
        "probabilities (batch, n_outputs). Needs the onnx package: pip install "
        "'scratchnn[onnx]'.",
    )
    parser.add_argument("model", metavar="MODEL.npz")
    parser.add_argument("onnx", metavar="MODEL.onnx")
    parser.set_defaults(handler=_run_export)


def _run_export(args):
    from .export import to_onnx

    network, _, model = load_model(args.model, require_cli=False)
    _check_writable(args.onnx, "MODEL.onnx")
    if model is None:
        to_onnx(network, args.onnx)
    else:
        # A single sigmoid output is P(label_names[1]); label_names still lists both classes.
        to_onnx(network, args.onnx, mean=model.mean, scale=model.scale,
                feature_names=model.feature_names, label_names=model.label_names)
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


def _add_playground(subparsers):
    parser = subparsers.add_parser(
        "playground", help="watch the network learn in the browser (a local web server)",
        description="Serve the playground on this machine, print its URL and open it; Ctrl-C "
        "stops it. See the README's Playground section.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: 127.0.0.1, this machine only)")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.set_defaults(handler=_run_playground)


def _run_playground(args):
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in 0..65535 (0: a free port), got {args.port}")
    from .playground import serve

    return serve(args.host, args.port, open_browser=not args.no_browser)


# --------------------------------------------------------------------------- entry point

_SUBCOMMANDS = (_add_train, _add_evaluate, _add_predict, _add_info, _add_export, _add_demo,
                _add_playground)


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
        Exit status: 0 success, 1 data or model error.

    Raises
    ------
    SystemExit
        With status 2 on a usage error, and 0 after ``--help`` or ``--version``
        (argparse's behaviour).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        # The reader of stdout went away (`scratchnn predict ... | head`): stop quietly, and point
        # stdout at devnull so Python's own flush at exit does not fail on the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except _USER_ERRORS as exc:
        # One line, even when the message itself has several.
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1
