r"""What the command line does for a continuous target: the rule that decides the task, the
target's numbers, and the scores ``train`` and ``evaluate`` print (RMSE, MAE, R²).

The rule (``--task auto``, the default): a target is **continuous**, and ``train`` fits a
regression, when every present value is a number, there are more than 10 distinct numbers, and
either one of them has a fractional part, or there are more than 20 distinct, or fewer than 2 rows
each on average (more distinct numbers than half the rows). Anything else (text labels, or at most
10 distinct numbers, or 11 to 20 distinct whole numbers with at least 2 rows each on average) is
classified. Several ``--target`` columns always make a regression. ``--task regression`` or
``--task classification`` decides instead.
"""

from __future__ import annotations

import numpy as np

from ..columns import ColumnProblem, format_names, numbers

__all__ = ["MAX_CLASS_LEVELS", "MAX_WHOLE_LEVELS", "CLASSIFICATION_ONLY", "looks_continuous", "target_numbers", "decide_task",
           "refuse_classification_options", "standardized_targets", "regression_results",
           "RegressionScores", "regression_report"]

MAX_CLASS_LEVELS = 10
"""At most this many distinct numbers are always classes."""

MAX_WHOLE_LEVELS = 20
"""Whole numbers with more distinct values than this are continuous."""

CLASSIFICATION_ONLY = (
    ("--class-weight", lambda args: args.class_weight != "none"),
    ("--label-smoothing", lambda args: args.label_smoothing > 0),
)
"""``train`` options that only a classifier has: ``(option, given(args))``."""


def looks_continuous(x):
    """Whether numbers ``x`` (the present target values, shape ``(m,)``) follow the rule of
    continuity of the module docstring; returns ``(continuous, n_distinct, fractional)``."""
    levels = np.unique(x)
    fractional = bool(np.any(np.isfinite(levels) & (levels != np.round(levels))))
    n = len(levels)
    continuous = n > MAX_CLASS_LEVELS and (fractional or n > MAX_WHOLE_LEVELS or n > len(x) / 2)
    return continuous, n, fractional


def target_numbers(frame, targets, decimal):
    """Each target column as float64, NaN where missing: ``(Y, bad)``, both ``(k, m)``,
    ``bad`` True where a present cell is not a finite number."""
    Y = np.empty((len(targets), len(frame)))
    bad = np.zeros(Y.shape, dtype=bool)
    for k, name in enumerate(targets):
        Y[k], bad[k] = numbers(frame[name], decimal)
        bad[k] |= np.isinf(Y[k])
    return Y, bad


def decide_task(args, frame, decimal, locate):
    """The task of ``train`` and what goes with it.

    Parameters
    ----------
    args : argparse.Namespace
        ``task`` (auto, classification, regression), ``targets``, ``data``.
    frame : pandas.DataFrame
        The table, rows with a missing target left out.
    decimal : str
        The table's decimal mark.
    locate : callable
        Row index to ``"line n"``.

    Returns
    -------
    task : {"classification", "regression"}
    Y : ndarray of shape (k, m) or None
        A regression's target values.
    problems, notes, warnings : list
        What refuses the table (:class:`~scratchnn.columns.ColumnProblem`), and lines to print.

    Raises
    ------
    ValueError
        Several targets with ``--task classification``, no row left (every row's target is
        empty), or a regression target with one value.
    """
    targets, data = args.targets, args.data
    if args.task == "classification" and len(targets) > 1:
        raise ValueError(f"--task classification takes one --target; several "
                         f"({format_names(targets)}) make a regression")
    if len(frame) == 0:
        which = (f"the target {targets[0]!r} is empty" if len(targets) == 1
                 else f"a target of {format_names(targets)} is empty")
        raise ValueError(f"{data}: {which} on every row; there is nothing to train on")
    Y, bad = target_numbers(frame, targets, decimal)
    bad |= np.isnan(Y)  # the rows left are those with a target: NA kept as text is no number
    numeric = not np.any(bad)
    problems, notes, warnings = [], [], []
    if args.task == "auto" and len(targets) == 1:
        continuous, n, fractional = looks_continuous(Y[0]) if numeric else (False, 0, False)
        if not numeric and decimal == "." and args.decimal is None:
            problems += _decimal_comma_target(frame, targets[0])
        if not continuous:
            if numeric and (fractional or n > MAX_CLASS_LEVELS):  # numbers near the line
                notes.append(f"{data}: the target {targets[0]!r} holds {n} distinct numbers"
                             f"{', some fractional' if fractional else ''}; trained as {n} "
                             f"classes by the rule of --task auto (--task regression predicts "
                             f"the numbers)")
            return "classification", None, problems, notes, warnings
    elif args.task == "classification":
        continuous, n, fractional = looks_continuous(Y[0]) if numeric else (False, 0, False)
        if continuous:
            warnings.append(
                f"{data}: the target {targets[0]!r} looks continuous ({n} distinct numbers in "
                f"{Y.shape[1]} rows{', some fractional' if fractional else ''}); trained as "
                f"{n} classes, as --task classification asks (without it, a regression)")
        return "classification", None, problems, notes, warnings
    for k, name in enumerate(targets):
        if np.any(bad[k]):
            i = int(np.argmax(bad[k]))
            cell = str(frame[name].iloc[i]).strip()
            why = "--task regression" if args.task == "regression" else "several --target"
            hint = (" (numbers written with a decimal comma need --decimal ,)"
                    if decimal == "." and "," in cell else "")
            problems.append(ColumnProblem(
                None, f"the target {name!r} is {cell!r} on {locate(frame.index[i])}, not a "
                f"finite number; a regression ({why}) needs numbers{hint}"))
            continue
        levels = np.unique(Y[k])
        if len(levels) < 2:
            raise ValueError(f"{data}: the target {name!r} holds one value only "
                             f"({levels[0]:g}); a regression needs at least two")
        if args.task == "regression" and len(targets) == 1 and not looks_continuous(Y[k])[0]:
            notes.append(f"{data}: the target {name!r} has {len(levels)} distinct numbers only; "
                         f"trained as a regression, as --task regression asks (without it, "
                         f"{len(levels)} classes)")
    return "regression", Y, problems, notes, warnings


def _decimal_comma_target(frame, name):
    """A problem when the target's cells are continuous numbers written with a decimal comma
    (``12,5``) that no feature column showed: read as text they would be one class each."""
    Y, bad = target_numbers(frame, [name], ",")
    if np.any(bad | np.isnan(Y)) or not looks_continuous(Y[0])[0]:
        return []
    n = len(np.unique(Y[0]))
    return [ColumnProblem(
        None, f"the target {name!r} holds numbers written with a decimal comma ({n} distinct): "
        f"read so, they are continuous and train fits a regression; read as text, each is a "
        f"class", ("--decimal ,", "--task classification"))]


def refuse_classification_options(args):
    """Refuse the ``train`` options of :data:`CLASSIFICATION_ONLY` given for a regression,
    saying what made it one."""
    given = [option for option, is_given in CLASSIFICATION_ONLY if is_given(args)]
    if not given:
        return
    if args.task == "regression":
        why = "train fits a regression (--task regression)"
    elif len(args.targets) > 1:
        why = "train fits a regression (several --target)"
    else:
        why = ("the target is continuous, so train fits a regression (--task classification "
               "classifies it)")
    raise ValueError(f"{', '.join(given)} is for classifiers only; {why}")


def standardized_targets(bundle, Y, train_rows, val_rows, dtype):
    """The targets the network learns, ``(Y - mean) / std`` per target with the mean and
    (population) standard deviation of the training rows, which it sets on ``bundle``:
    ``(Y_train, Y_val)`` in ``dtype``, each ``(k, rows)``. A target constant on the training
    rows gets a scale of 1, as a constant feature does."""
    from ..preprocessing import Standardizer

    standardizer = Standardizer().fit(Y[:, train_rows].T)
    bundle.target_mean, bundle.target_scale = standardizer.mean_, standardizer.scale_
    Z = (Y - standardizer.mean_[:, None]) / standardizer.scale_[:, None]
    return Z[:, train_rows].astype(dtype), Z[:, val_rows].astype(dtype)


def regression_results(bundle, training, Y, X_train, X_val, train_rows, val_rows):
    """Score a trained regression on its training and validation rows, in the target's own
    units: adds ``train_rmse``, ``train_mae``, ``train_r2`` (and ``validation_...``) to
    ``training`` (numbers for one target, lists for several) and returns the lines ``train``
    prints."""
    lines = []
    for part, X, rows in (("train", X_train, train_rows), ("validation", X_val, val_rows)):
        if not len(rows):
            continue
        scores = RegressionScores(len(bundle.targets))
        scores.add(Y[:, rows], bundle.predict_values(X))
        for metric, values in (("rmse", scores.rmse()), ("mae", scores.mae()),
                               ("r2", scores.r2())):
            values = [None if np.isnan(v) else float(v) for v in values]
            training[f"{part}_{metric}"] = values[0] if len(values) == 1 else values
        for name, rmse, mae, r2 in zip(bundle.targets, scores.rmse(), scores.mae(),
                                       scores.r2()):
            of = f" {name!r}" if len(bundle.targets) > 1 else ""
            r2_text = "n/a" if np.isnan(r2) else f"{r2:.4f}"
            lines.append(f"{part}{of}: RMSE {rmse:.6g}, MAE {mae:.6g}, R2 {r2_text} "
                         f"({len(rows)} rows)")
    return lines


# --------------------------------------------------------------------------- scores


class RegressionScores:
    r"""RMSE, MAE and R² per target, accumulated over chunks of rows.

    .. math::
        \mathrm{RMSE} = \sqrt{\tfrac{1}{m} \textstyle\sum_i (y_i - \hat y_i)^2}, \quad
        \mathrm{MAE} = \tfrac{1}{m} \textstyle\sum_i |y_i - \hat y_i|, \quad
        R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2}

    The sum of squared deviations from the mean :math:`\bar y` of all rows is merged chunk by
    chunk (Chan, Golub and LeVeque's pairwise update), never from :math:`\sum y^2 - m \bar y^2`,
    which cancels catastrophically for a target far from 0. R² is undefined (NaN) when the target
    is constant on the rows scored.
    """

    def __init__(self, k):
        self.m = 0
        self.mean = np.zeros(k)
        self.squares = np.zeros(k)  # sum of squared deviations of y from its mean
        self.sse = np.zeros(k)
        self.sae = np.zeros(k)

    def add(self, Y, P):
        """Add rows: true values ``Y`` and predictions ``P``, both ``(k, m)``."""
        m = Y.shape[1]
        if m == 0:
            return
        mean = Y.mean(axis=1)
        squares = ((Y - mean[:, None]) ** 2).sum(axis=1)
        total = self.m + m
        delta = mean - self.mean
        self.squares += squares + delta ** 2 * self.m * m / total
        self.mean += delta * m / total
        self.m = total
        self.sse += ((Y - P) ** 2).sum(axis=1)
        self.sae += np.abs(Y - P).sum(axis=1)

    def rmse(self):
        return np.sqrt(self.sse / self.m)

    def mae(self):
        return self.sae / self.m

    def r2(self):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.squares > 0, 1.0 - self.sse / self.squares, np.nan)


def regression_report(scores, targets):
    """The lines ``evaluate`` prints: RMSE, MAE and R² per target, and their mean over several
    targets (R² averaged as scikit-learn's ``r2_score`` does by default)."""
    rows = [(name, rmse, mae, r2) for name, rmse, mae, r2 in
            zip(targets, scores.rmse(), scores.mae(), scores.r2())]
    if len(rows) > 1:
        rows.append(("mean", *(float(np.mean(v)) for v in
                               (scores.rmse(), scores.mae(), scores.r2()))))
    width = max(len("target"), *(len(str(name)) for name, *_ in rows))
    lines = [f"{'target'.ljust(width)}  {'RMSE':>12}  {'MAE':>12}  {'R2':>8}"]
    for name, rmse, mae, r2 in rows:
        r2_text = "n/a" if np.isnan(r2) else f"{r2:.4f}"
        lines.append(f"{str(name).ljust(width)}  {rmse:>12.6g}  {mae:>12.6g}  {r2_text:>8}")
    if np.any(np.isnan(scores.r2())):
        lines.append("(R2 n/a: the target is constant on these rows)")
    return lines
