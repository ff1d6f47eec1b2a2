"""``python -m benchmarks.tabular``: every model at its defaults on real tables (issue 25).

For each table of :mod:`benchmarks.tabular_suite`, ``--splits`` stratified 80/20 splits (split
``i`` also seeds every model with ``i``); prints per table the mean test accuracy and log loss of
each model, the mean rank over the tables (by accuracy, 1 = best, ties averaged), and the mean
fit time in CPU seconds (``time.process_time``: all of the process's threads, and less disturbed
than the wall clock by other jobs on a shared machine).

Models (``--models``; the default is every one of ``MODELS`` that is installed):

- ``nn``: :class:`scratchnn.sklearn.NNClassifier` at its defaults (the ``auto`` preset since
  2026-12-07; ``nn-mlp`` is the ``mlp`` preset, the defaults before), after the shared
  preprocessing of the NumPy models: scikit-learn's ``ColumnTransformer`` with median
  imputation and standardization of numeric columns, one-hot encoding of categorical ones (a
  missing category is a category of its own; one unseen in training is all zeros).
- ``cli``: the command line's path, ``scratchnn train`` and ``scratchnn predict --proba`` run
  in-process on CSV files of the split, with the model bundle's own preprocessing.
- ``mlp``: scikit-learn's ``MLPClassifier`` at its defaults, same preprocessing as ``nn``.
- ``hgb``: ``HistGradientBoostingClassifier(categorical_features="from_dtype")`` on the table
  itself (categorical columns have pandas' category dtype).
- ``realmlp-td``, ``realmlp-td-s``: pytabkit's RealMLP (not a dependency; skipped with a note
  when pytabkit is not installed) on the table itself, as pytabkit preprocesses it, after
  each numeric column's missing values are filled with its training median (RealMLP refuses
  them).

``VARIANTS`` are ``nn`` with one change (or all of them), for choosing tabular defaults:
``--models nn nn-best-loss nn-cosine ...``. The second round (:class:`BestValidationLoss`'s
options, :class:`Seeds`) tries to keep the best-epoch gain without losing on small tables: a
10% validation share (``-10``), a refit on every row for the kept number of epochs
(``nn-refit``, ``-scaled``: that number divided by 0.8), k-fold cross-fit ensembles
(``nn-cv3``, ``nn-cv5``: one network per fold, each keeping its own best epoch, probabilities
averaged), the validation accuracy with ties broken toward the later epoch or the lower loss
(``nn-acc-last``, ``nn-acc-loss``), ensembles of 3 or 5 seeds of ``nn`` (``nn-seeds3``,
``nn-seeds5``), each also with the cosine schedule (``-cosine``); ``nn-tabular`` is
``NNClassifier(preset="tabular")``. Before the default became the ``auto`` preset, ``nn`` was
what ``nn-mlp`` is now, and every variant above was measured against it: they are ``nn-mlp``
with one change. ``nn-robust-clip`` is ``nn`` (the ``auto`` preset) with RealMLP's robust
scaling and smooth clipping of the numbers in place of standardization
(:func:`shared_preprocessing`).

``--baseline NAME`` reports every other model's accuracy minus that model's (default ``nn``).
"""

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np

from scratchnn.callback import Callback

from .tabular_suite import SUITES, TABLES


# ---------------------------------------------------------------------------- preprocessing
def smooth_clip(Z):
    r"""RealMLP's smooth clipping of robustly scaled numbers, :math:`z / \sqrt{1 + (z/3)^2}`:
    close to :math:`z` near 0, never beyond :math:`\pm 3`."""
    return Z / np.sqrt(1.0 + (Z / 3.0) ** 2)


def shared_preprocessing(X, scaling="standard"):
    """The NumPy models' preprocessing, a scikit-learn ``ColumnTransformer`` for frame ``X``
    (non-numeric columns are the categorical ones). ``scaling="robust-clip"`` scales numbers as
    RealMLP does instead of standardizing them: minus the median, over the interquartile range
    (scikit-learn's ``RobustScaler``: 1 where that range is 0), then :func:`smooth_clip`."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        RobustScaler,
        StandardScaler,
    )

    categorical = [name for name in X.columns if X[name].dtype.kind not in "biuf"]
    numeric = [name for name in X.columns if name not in categorical]
    scalers = (StandardScaler(),) if scaling == "standard" else (
        RobustScaler(), FunctionTransformer(smooth_clip))
    return ColumnTransformer([
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), *scalers), numeric),
        ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
         categorical),
    ])


def _as_objects(X):
    """Categorical columns as object arrays of strings, ``"(missing)"`` for a missing value: what
    OneHotEncoder reads (a missing category becomes a category of its own)."""
    X = X.copy()
    for name in X.columns:
        if X[name].dtype.name == "category":
            values = X[name].astype(object).to_numpy().copy()
            values[X[name].isna().to_numpy()] = "(missing)"
            X[name] = values
    return X


# ---------------------------------------------------------------------------- models
class NumpyModel:
    """A scikit-learn classifier after :func:`shared_preprocessing`."""

    def __init__(self, make, scaling="standard"):
        self.make, self.scaling = make, scaling

    def fit(self, X, y, seed):
        from sklearn.pipeline import make_pipeline

        X = _as_objects(X)
        self.pipeline = make_pipeline(shared_preprocessing(X, self.scaling), self.make(seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLPClassifier's ConvergenceWarning at 200 epochs
            self.pipeline.fit(X, y)
        return self

    def predict_proba(self, X):
        return self.pipeline.predict_proba(_as_objects(X)), self.pipeline.classes_


class FrameModel:
    """A classifier that takes the table itself (categories as pandas' category dtype)."""

    def __init__(self, make):
        self.make = make

    def fit(self, X, y, seed):
        self.model = self.make(seed).fit(X, y)
        return self

    def predict_proba(self, X):
        return np.asarray(self.model.predict_proba(X)), np.asarray(self.model.classes_)


class ImputedFrameModel(FrameModel):
    """:class:`FrameModel` with each numeric column's missing values filled with its median on
    the training rows first (pytabkit's RealMLP refuses missing numbers; its categories may be
    missing)."""

    def fit(self, X, y, seed):
        numeric = [name for name in X.columns if X[name].dtype.name != "category"]
        self.medians = X[numeric].median()
        return super().fit(self._filled(X), y, seed)

    def predict_proba(self, X):
        return super().predict_proba(self._filled(X))

    def _filled(self, X):
        return X.fillna(self.medians.to_dict())


class CommandLineModel:
    """``scratchnn train`` then ``scratchnn predict --proba`` on CSV files, in-process."""

    TARGET = "target_column"

    def fit(self, X, y, seed):
        self.directory = tempfile.TemporaryDirectory(prefix="scratchnn-tabular-")
        train = os.path.join(self.directory.name, "train.csv")
        self.model = os.path.join(self.directory.name, "model.npz")
        X.assign(**{self.TARGET: y}).to_csv(train, index=False)
        self._run(["train", train, "--target", self.TARGET, "--out", self.model,
                   "--seed", str(seed)])
        return self

    def predict_proba(self, X):
        import pandas as pd

        data = os.path.join(self.directory.name, "test.csv")
        out = os.path.join(self.directory.name, "pred.csv")
        try:
            X.to_csv(data, index=False)
            self._run(["predict", self.model, data, "--proba", "--out", out])
            pred = pd.read_csv(out, dtype=str, keep_default_na=False)
        finally:
            self.directory.cleanup()
        names = [name for name in pred.columns if name.startswith("proba_")]
        return (pred[names].to_numpy(dtype=np.float64),
                np.array([name[len("proba_"):] for name in names]))

    @staticmethod
    def _run(argv):
        from scratchnn.cli import main

        messages = io.StringIO()
        with contextlib.redirect_stdout(messages), contextlib.redirect_stderr(messages):
            status = main(argv)
        if status != 0:
            raise RuntimeError(f"scratchnn {argv[0]} failed ({status}):\n{messages.getvalue()}")


def _nn(scaling="standard", **params):
    def make(seed):
        from scratchnn.sklearn import NNClassifier
        return NNClassifier(random_state=seed, **params)
    return lambda: NumpyModel(make, scaling)


def _mlp():
    def make(seed):
        from sklearn.neural_network import MLPClassifier
        return MLPClassifier(random_state=seed)
    return NumpyModel(make)


def _hgb():
    def make(seed):
        from sklearn.ensemble import HistGradientBoostingClassifier
        return HistGradientBoostingClassifier(categorical_features="from_dtype",
                                              random_state=seed)
    return FrameModel(make)


def _realmlp(name):
    def model():
        import pytabkit

        def make(seed):
            return getattr(pytabkit, name)(random_state=seed, n_threads=1)
        return ImputedFrameModel(make)
    return model


class StopAfter(Callback):
    """A training-loop callback that stops after ``epochs`` epochs (the schedule still spans
    ``max_epochs``: a refit retraces the selected run's learning rates up to its kept epoch)."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs):  # epochs count from 1
        return epoch >= self.epochs


class TieBreak(Callback):
    """Adds ``logs['val_key']``: the validation accuracy with ties broken toward the later epoch
    (``"acc-last"``, pytabkit's choice) or toward the lower validation loss (``"acc-loss"``), for
    an ``EarlyStopping('val_key', mode='max')`` after it."""

    def __init__(self, rule):
        self.rule = rule

    def on_epoch_end(self, epoch, logs):
        tie = epoch * 1e-9 if self.rule == "acc-last" else -1e-6 * logs["val_loss"]
        logs["val_key"] = logs["val_accuracy"] + tie
        return False


class BestValidationLoss:
    """``nn`` trained a fixed budget of ``max_epochs`` on ``1 - val_share`` of its training
    rows, keeping the epoch of the lowest loss on the other ``val_share`` (``EarlyStopping(
    'val_loss', patience=max_epochs, restore_best_weights=True)`` with ``validation_data``).

    ``refit``: then train a new network on all the training rows for the kept number of epochs
    (``"same"``) or that number divided by ``1 - val_share`` (``"scaled"``), and use it alone.
    ``folds``: instead of one split, ``folds`` stratified folds, one network per fold (trained
    on the others, keeping its own best validation-loss epoch), probabilities averaged.
    """

    def __init__(self, val_share=0.2, refit=None, folds=None, rule="loss", **params):
        self.val_share, self.refit, self.folds, self.params = val_share, refit, folds, params
        self.rule = rule  # "loss", or the validation accuracy with a TieBreak rule

    def __call__(self):
        return BestValidationLoss(self.val_share, self.refit, self.folds, self.rule,
                                  **self.params)

    def _member(self, X_fit, y_fit, X_val, y_val, seed):
        from scratchnn.callbacks import EarlyStopping
        from scratchnn.sklearn import NNClassifier

        budget = self.params.get("max_epochs", 200)
        preprocessing = shared_preprocessing(X_fit).fit(X_fit)
        callbacks = [EarlyStopping("val_loss", patience=budget, restore_best_weights=True)]
        if self.rule != "loss":
            callbacks = [TieBreak(self.rule), EarlyStopping(
                "val_key", patience=budget, restore_best_weights=True, mode="max")]
        model = NNClassifier(random_state=seed, n_iter_no_change=budget, callbacks=callbacks,
                             **self.params)
        model.fit(preprocessing.transform(X_fit), y_fit,
                  validation_data=(preprocessing.transform(X_val), y_val))
        model.best_epoch = callbacks[-1].best_epoch
        return preprocessing, model

    def fit(self, X, y, seed):
        from sklearn.model_selection import StratifiedKFold, train_test_split

        from scratchnn.sklearn import NNClassifier

        X = _as_objects(X)
        y = np.asarray(y)
        if self.folds:
            folds = StratifiedKFold(self.folds, shuffle=True, random_state=seed)
            self.members = [self._member(X.iloc[fit], y[fit], X.iloc[val], y[val],
                                         seed * self.folds + k)
                            for k, (fit, val) in enumerate(folds.split(X, y))]
            self.best_epochs = [m.best_epoch for _, m in self.members]
            return self
        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=self.val_share,
                                                      stratify=y, random_state=seed)
        self.members = [self._member(X_fit, y_fit, X_val, y_val, seed)]
        best = self.members[0][1].best_epoch
        self.best_epochs = [best]
        if self.refit:
            budget = self.params.get("max_epochs", 200)
            epochs = best if self.refit == "same" else round(best / (1 - self.val_share))
            epochs = min(max(epochs, 1), budget)
            preprocessing = shared_preprocessing(X).fit(X)
            model = NNClassifier(random_state=seed, n_iter_no_change=budget,
                                 callbacks=[StopAfter(epochs)], **self.params)
            model.fit(preprocessing.transform(X), y)
            self.members = [(preprocessing, model)]
        return self

    def predict_proba(self, X):
        X = _as_objects(X)
        proba = np.mean([model.predict_proba(preprocessing.transform(X))
                         for preprocessing, model in self.members], axis=0)
        return proba, self.members[0][1].classes_


class Seeds:
    """``n`` of ``nn`` (all the training rows each, seeds ``n * seed + k``), probabilities
    averaged."""

    def __init__(self, n, **params):
        self.n, self.params = n, params

    def fit(self, X, y, seed):
        self.members = [_nn(**self.params)().fit(X, y, self.n * seed + k)
                        for k in range(self.n)]
        return self

    def predict_proba(self, X):
        outputs = [member.predict_proba(X) for member in self.members]
        return np.mean([proba for proba, _ in outputs], axis=0), outputs[0][1]


@dataclass(frozen=True)
class Model:
    make: object  # () -> an object with fit(X, y, seed) and predict_proba(X) -> (P, classes)
    requires: str = None  # the module it needs, when that is optional


MODELS = {
    "nn": Model(_nn()),
    "cli": Model(CommandLineModel),
    "mlp": Model(_mlp),
    "hgb": Model(_hgb),
    "realmlp-td": Model(_realmlp("RealMLP_TD_Classifier"), requires="pytabkit"),
    "realmlp-td-s": Model(_realmlp("RealMLP_TD_S_Classifier"), requires="pytabkit"),
}

_ALL_CHANGES = {"lr_schedule": "cosine", "label_smoothing": 0.1, "optimizer": "adamw",
                "beta2": 0.95}
VARIANTS = {
    "nn-best-loss": Model(BestValidationLoss()),
    "nn-cosine": Model(_nn(lr_schedule="cosine")),
    "nn-smooth": Model(_nn(label_smoothing=0.1)),
    "nn-adamw": Model(_nn(optimizer="adamw")),
    "nn-beta2": Model(_nn(beta2=0.95)),
    "nn-best-cosine": Model(BestValidationLoss(lr_schedule="cosine")),
    "nn-all": Model(BestValidationLoss(**_ALL_CHANGES)),
    # Keeping the best-loss epoch without giving up rows (issue 25, second round):
    "nn-best-loss-10": Model(BestValidationLoss(val_share=0.1)),
    "nn-refit": Model(BestValidationLoss(refit="same")),
    "nn-refit-scaled": Model(BestValidationLoss(refit="scaled")),
    "nn-refit-10": Model(BestValidationLoss(val_share=0.1, refit="same")),
    "nn-cv3": Model(BestValidationLoss(folds=3)),
    "nn-cv5": Model(BestValidationLoss(folds=5)),
    "nn-best-cosine-10": Model(BestValidationLoss(val_share=0.1, lr_schedule="cosine")),
    "nn-refit-cosine": Model(BestValidationLoss(refit="same", lr_schedule="cosine")),
    "nn-refit-scaled-cosine": Model(BestValidationLoss(refit="scaled", lr_schedule="cosine")),
    "nn-cv3-cosine": Model(BestValidationLoss(folds=3, lr_schedule="cosine")),
    "nn-cv5-cosine": Model(BestValidationLoss(folds=5, lr_schedule="cosine")),
    "nn-acc-last": Model(BestValidationLoss(rule="acc-last")),
    "nn-acc-loss": Model(BestValidationLoss(rule="acc-loss")),
    "nn-refit-acc-last": Model(BestValidationLoss(rule="acc-last", refit="same")),
    "nn-refit-acc-loss": Model(BestValidationLoss(rule="acc-loss", refit="same")),
    "nn-cv5-acc-loss": Model(BestValidationLoss(folds=5, rule="acc-loss")),
    "nn-seeds3": Model(lambda: Seeds(3)),
    "nn-seeds5": Model(lambda: Seeds(5)),
    "nn-seeds3-cosine": Model(lambda: Seeds(3, lr_schedule="cosine")),
    "nn-seeds5-cosine": Model(lambda: Seeds(5, lr_schedule="cosine")),
    # The preset that the second round's best single network became (scratchnn.presets).
    "nn-tabular": Model(_nn(preset="tabular")),
    # NNClassifier()'s defaults until its preset became 'auto' (MLPClassifier's).
    "nn-mlp": Model(_nn(preset="mlp")),
    # RealMLP's robust scaling and smooth clipping of the numbers, on the auto preset.
    "nn-robust-clip": Model(_nn(scaling="robust-clip")),
}
ALL_MODELS = {**MODELS, **VARIANTS}


def installed(name):
    requires = ALL_MODELS[name].requires
    if requires is None:
        return True
    try:
        __import__(requires)
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------- running
def scores(proba, classes, y, labels):
    """Accuracy and log loss of ``proba`` (columns ``classes``) against ``y`` over ``labels``."""
    from sklearn.metrics import log_loss

    full = np.zeros((len(y), len(labels)))
    index = {label: k for k, label in enumerate(labels)}
    for j, label in enumerate(classes):
        full[:, index[str(label)]] = proba[:, j]
    full = np.clip(full, 1e-15, None)
    full /= full.sum(axis=1, keepdims=True)
    predicted = labels[np.argmax(full, axis=1)]
    return float(np.mean(predicted == y)), float(log_loss(y, full, labels=labels))


def run(table_names, model_names, n_splits, progress=print):
    """``{table: {model: {"accuracy": [...], "log_loss": [...], "fit_s": [...]}}}``."""
    from sklearn.model_selection import StratifiedShuffleSplit

    results = {}
    for table_name in table_names:
        X, y = TABLES[table_name].load()
        labels = np.unique(y)
        splits = StratifiedShuffleSplit(n_splits=n_splits, test_size=0.2, random_state=0)
        results[table_name] = {name: {"accuracy": [], "log_loss": [], "fit_s": []}
                               for name in model_names}
        for seed, (train, test) in enumerate(splits.split(X, y)):
            X_train, X_test = X.iloc[train].reset_index(drop=True), X.iloc[test]
            X_test = X_test.reset_index(drop=True)
            for name in model_names:
                model = ALL_MODELS[name].make()
                start = time.process_time()
                model.fit(X_train, y[train], seed)
                fit_s = time.process_time() - start
                accuracy, loss = scores(*model.predict_proba(X_test), y[test], labels)
                record = results[table_name][name]
                record["accuracy"].append(accuracy)
                record["log_loss"].append(loss)
                record["fit_s"].append(fit_s)
                progress(f"{table_name} split {seed} {name}: accuracy {accuracy:.4f}, "
                         f"log loss {loss:.4f}, fit {fit_s:.1f} s")
    return results


def mean_ranks(results, model_names):
    """Each model's rank by mean accuracy on each table (1 = best, ties averaged), averaged."""
    from scipy.stats import rankdata

    ranks = []
    for by_model in results.values():
        accuracy = [np.mean(by_model[name]["accuracy"]) for name in model_names]
        ranks.append(rankdata([-a for a in accuracy]))
    return dict(zip(model_names, np.mean(ranks, axis=0)))


def report(results, model_names, baseline="nn"):
    """Markdown tables: accuracy (with each model's average and mean rank), log loss, fit time,
    and with ``baseline`` among several models each other model's accuracy gain over it."""
    lines = []
    header = "| table | " + " | ".join(model_names) + " |"
    rule = "|---|" + "---|" * len(model_names)
    for key, title, fmt in [("accuracy", "Mean test accuracy", "{:.4f}"),
                            ("log_loss", "Mean test log loss", "{:.4f}"),
                            ("fit_s", "Mean fit time (CPU seconds)", "{:.1f}")]:
        lines += ["", f"{title}:", "", header, rule]
        for table, by_model in results.items():
            cells = [fmt.format(np.mean(by_model[name][key])) for name in model_names]
            lines.append(f"| {table} | " + " | ".join(cells) + " |")
        average = [fmt.format(np.mean([np.mean(r[name][key]) for r in results.values()]))
                   for name in model_names]
        lines.append("| **average** | " + " | ".join(average) + " |")
        if key == "accuracy":
            ranks = mean_ranks(results, model_names)
            lines.append("| **mean rank** | " + " | ".join(f"{ranks[name]:.2f}"
                                                           for name in model_names) + " |")
    if baseline in model_names and len(model_names) > 1:
        others = [name for name in model_names if name != baseline]
        lines += ["", f"Accuracy minus {baseline}'s, in points (worst table in the last row):",
                  "",
                  "| table | " + " | ".join(others) + " |", "|---|" + "---|" * len(others)]
        gains = {name: [100 * (np.mean(r[name]["accuracy"]) - np.mean(r[baseline]["accuracy"]))
                        for r in results.values()] for name in others}
        for k, table in enumerate(results):
            lines.append(f"| {table} | " + " | ".join(f"{gains[name][k]:+.2f}"
                                                      for name in others) + " |")
        lines.append("| **average** | " + " | ".join(f"{np.mean(gains[name]):+.2f}"
                                                      for name in others) + " |")
        lines.append("| **worst** | " + " | ".join(f"{min(gains[name]):+.2f}"
                                                    for name in others) + " |")
    return "\n".join(lines)


def merge(paths):
    """``(results, model_names)`` of several ``--json`` files (runs of other tables or models)."""
    results, names = {}, []
    for path in paths:
        with open(path) as f:
            for table, by_model in json.load(f)["results"].items():
                results.setdefault(table, {}).update(by_model)
                names += [name for name in by_model if name not in names]
    names = [name for name in names if all(name in r for r in results.values())]
    return results, names


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tabular",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=sorted(SUITES), default="development",
                        help="which tables (default: the development part)")
    parser.add_argument("--tables", nargs="+", choices=sorted(TABLES), metavar="TABLE",
                        help=f"these tables instead of a suite: {', '.join(TABLES)}")
    parser.add_argument("--models", nargs="+", choices=sorted(ALL_MODELS), metavar="MODEL",
                        help=f"default: {', '.join(MODELS)}; variants: {', '.join(VARIANTS)}")
    parser.add_argument("--splits", type=int, default=5, help="stratified 80/20 splits per table")
    parser.add_argument("--json", metavar="PATH", help="also write the raw results here")
    parser.add_argument("--quiet", action="store_true", help="no line per fit")
    parser.add_argument("--baseline", choices=sorted(ALL_MODELS), default="nn", metavar="MODEL",
                        help="report the others' accuracy minus this model's (default: nn)")
    parser.add_argument("--merge", nargs="+", metavar="JSON",
                        help="print the report of earlier --json results, merged (of --models only, "
                        "if given), and run nothing")
    args = parser.parse_args(argv)
    if args.splits < 1:
        parser.error(f"--splits must be at least 1, got {args.splits}")
    if args.merge:
        results, names = merge(args.merge)
        if args.models:
            names = [name for name in args.models if name in names]
            results = {table: {name: r[name] for name in names} for table, r in results.items()}
        print(report(results, names, args.baseline))
        return 0
    tables = args.tables or SUITES[args.suite]
    requested = args.models or list(MODELS)
    models = [name for name in requested if installed(name)]
    for name in requested:
        if name not in models:
            print(f"note: {name} skipped: {ALL_MODELS[name].requires} is not installed "
                  f"(pip install {ALL_MODELS[name].requires})")
    if not models:
        parser.error("none of the requested models is installed")
    results = run(tables, models, args.splits,
                  progress=(lambda message: None) if args.quiet else
                  (lambda message: print(message, flush=True)))
    print(f"\n{args.splits} stratified 80/20 split(s) per table; load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(report(results, models, args.baseline))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"splits": args.splits, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
