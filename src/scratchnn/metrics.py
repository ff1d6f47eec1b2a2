r"""Metrics: for classes the confusion matrix, and precision, recall and F1 per class; for
continuous targets the coefficient of determination :math:`R^2`, the mean squared and the mean
absolute error.

For class :math:`k`, with :math:`TP_k` the examples of class :math:`k` predicted as :math:`k`,
:math:`FP_k` the examples of other classes predicted as :math:`k` and :math:`FN_k` the examples
of class :math:`k` predicted as something else:

.. math::

    \text{precision}_k = \frac{TP_k}{TP_k + FP_k}, \qquad
    \text{recall}_k = \frac{TP_k}{TP_k + FN_k}, \qquad
    F_1 = \frac{2\, \text{precision} \cdot \text{recall}}{\text{precision} + \text{recall}}

A ratio whose denominator is 0 (a class never predicted, or never present) is reported as 0, as
scikit-learn does with ``zero_division=0``.

For continuous targets, per output :math:`k` over the :math:`m` examples,

.. math::

    R^2_k = 1 - \frac{\sum_i (y_{ki} - \hat y_{ki})^2}{\sum_i (y_{ki} - \bar y_k)^2}, \qquad
    \text{MSE}_k = \frac1m\sum_i (y_{ki} - \hat y_{ki})^2, \qquad
    \text{MAE}_k = \frac1m\sum_i |y_{ki} - \hat y_{ki}|

averaged over the outputs (``multioutput='uniform_average'``) or one per output
(``'raw_values'``), as scikit-learn's ``r2_score``, ``mean_squared_error`` and
``mean_absolute_error``. A constant target (zero denominator) has :math:`R^2 = 1` if it is
predicted exactly and 0 otherwise, as scikit-learn's default ``force_finite=True``. The arrays
are in the engine's layout, one example per column: shape ``(k, m)``, or ``(m,)`` for one output.
"""

from __future__ import annotations

import numpy as np

from .validation import check_int

__all__ = ["confusion_matrix", "precision_recall_f1", "classification_report", "r2_score",
           "r2_from_sums", "mean_squared_error", "mean_absolute_error"]


def _check_labels(y, name, n_classes):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[0] == 1:
        y = y[0]  # a label row (1, m), as ClassifierNN.predict returns
    if y.ndim != 1:
        raise ValueError(f"{name} must have shape (m,) or (1, m), got {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class indices, got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{name} must hold class indices in [0, {n_classes - 1}]")
    return y


def confusion_matrix(y_true, y_pred, n_classes):
    """Count the examples of each true class predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array_like of int, shape (m,) or (1, m)
        True and predicted class indices in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes ``C`` (>= 1), so that a class absent from both still gets its row.

    Returns
    -------
    ndarray of shape (C, C), int64
        Entry ``[i, j]`` counts examples of true class ``i`` predicted as ``j``; the diagonal holds
        the correct predictions.
    """
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    y_true = _check_labels(y_true, "y_true", n_classes)
    y_pred = _check_labels(y_pred, "y_pred", n_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {y_true.size} and {y_pred.size}"
        )
    # One bincount over the flat index i * C + j instead of a Python loop over examples.
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def _safe_divide(numerator, denominator):
    out = np.zeros(numerator.shape, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def precision_recall_f1(matrix):
    """Per-class precision, recall, F1 and support from a confusion matrix.

    Parameters
    ----------
    matrix : array_like of shape (C, C)
        As returned by :func:`confusion_matrix` (rows: true class, columns: prediction).

    Returns
    -------
    precision, recall, f1 : ndarray of shape (C,), float64
    support : ndarray of shape (C,), int64
        Examples of each true class.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"matrix must be a square (C, C) array, got shape {matrix.shape}")
    if matrix.dtype.kind not in "iu" or np.any(matrix < 0):
        raise ValueError("matrix must hold non-negative integer counts")
    true_positive = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    precision = _safe_divide(true_positive, matrix.sum(axis=0).astype(np.float64))
    recall = _safe_divide(true_positive, support.astype(np.float64))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return precision, recall, f1, support.astype(np.int64)


def classification_report(matrix, labels=None, digits=3):
    """A readable table of the accuracy, per-class precision/recall/F1 and the confusion matrix.

    Parameters
    ----------
    matrix : array_like of shape (C, C)
        A confusion matrix (rows: true class, columns: prediction).
    labels : sequence of str, length C, optional
        Class names; ``0 .. C - 1`` when omitted.
    digits : int, default 3
        Decimals of the scores.

    Returns
    -------
    str
        The accuracy; a table with one row per class plus the macro average (the plain mean over
        classes) and the weighted average (weighted by support); then the confusion matrix with
        true classes down and predictions across. Ends without a newline.
    """
    precision, recall, f1, support = precision_recall_f1(matrix)
    matrix = np.asarray(matrix)
    C = matrix.shape[0]
    labels = [str(i) for i in range(C)] if labels is None else [str(label) for label in labels]
    if len(labels) != C:
        raise ValueError(f"labels must have {C} entries, one per class, got {len(labels)}")
    digits = check_int(digits, "digits", minimum=0)
    total = int(support.sum())
    accuracy = np.trace(matrix) / total if total else 0.0

    width = max(12, *(len(label) for label in labels)) + 2
    score = f"{{:>10.{digits}f}}"
    lines = [f"accuracy: {accuracy:.{digits}f} ({int(np.trace(matrix))} of {total})", ""]
    lines.append(f"{'class':<{width}}" + "".join(f"{h:>10}" for h in
                                                    ("precision", "recall", "f1-score", "support")))
    for k, label in enumerate(labels):
        lines.append(f"{label:<{width}}" + score.format(precision[k]) + score.format(recall[k])
                     + score.format(f1[k]) + f"{support[k]:>10d}")
    weights = support / total if total else np.zeros(C)
    for name, average in (("macro avg", np.mean), ("weighted avg", lambda v: np.sum(v * weights))):
        lines.append(f"{name:<{width}}" + score.format(average(precision))
                     + score.format(average(recall)) + score.format(average(f1))
                     + f"{total:>10d}")

    lines += ["", "confusion matrix (rows: true class, columns: predicted class)"]
    cell = max(6, *(len(label) for label in labels), len(str(int(matrix.max(initial=0))))) + 2
    lines.append(" " * width + "".join(f"{label:>{cell}}" for label in labels))
    for k, label in enumerate(labels):
        lines.append(f"{label:<{width}}" + "".join(f"{int(n):>{cell}d}" for n in matrix[k]))
    return "\n".join(lines)


def _check_targets(Y_true, Y_pred):
    """Both arrays as float64 of one shape ``(k, m)``, finite, with ``m >= 1``."""
    arrays = []
    for name, Y in (("Y_true", Y_true), ("Y_pred", Y_pred)):
        Y = np.asarray(Y)
        if Y.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold numbers, got dtype {Y.dtype}")
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        if Y.ndim != 2 or Y.shape[1] == 0:
            raise ValueError(f"{name} must have shape (k, m) or (m,) with m >= 1, got "
                             f"{np.shape(Y)}")
        Y = Y.astype(np.float64)
        if not np.all(np.isfinite(Y)):
            raise ValueError(f"{name} contains NaN or infinite values")
        arrays.append(Y)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"Y_true and Y_pred must have the same shape, got {arrays[0].shape} "
                         f"and {arrays[1].shape}")
    return arrays


def _average(values, multioutput):
    if multioutput == "raw_values":
        return values
    if multioutput != "uniform_average":
        raise ValueError(f"multioutput must be 'uniform_average' or 'raw_values', got "
                         f"{multioutput!r}")
    return float(np.mean(values))


def r2_from_sums(ss_res, ss_tot):
    """Per-output :math:`R^2 = 1 - SS_{res}/SS_{tot}` from the two sums of squares.

    Parameters
    ----------
    ss_res, ss_tot : ndarray of shape (k,)
        The residual sum of squares and the total one (about each output's mean).

    Returns
    -------
    ndarray of shape (k,)
        Where ``ss_tot`` is 0 (a constant target): 1 if ``ss_res`` is 0 too, else 0.

    Raises
    ------
    ValueError
        For sums of different shapes or not 1-D, or a negative or NaN sum.
    """
    ss_res = np.asarray(ss_res, dtype=np.float64)
    ss_tot = np.asarray(ss_tot, dtype=np.float64)
    if ss_res.ndim != 1 or ss_res.shape != ss_tot.shape:
        raise ValueError(f"ss_res and ss_tot must be 1-D arrays of one shape (k,), got shapes "
                         f"{ss_res.shape} and {ss_tot.shape}")
    for name, sums in (("ss_res", ss_res), ("ss_tot", ss_tot)):
        if not np.all(sums >= 0):  # NaN fails too; +inf (an overflowed residual) is kept
            raise ValueError(f"{name} must hold sums of squares (>= 0, not NaN)")
    r2 = np.where(ss_res == 0, 1.0, 0.0)
    np.subtract(1.0, ss_res / np.where(ss_tot > 0, ss_tot, 1.0), out=r2, where=ss_tot > 0)
    return r2


def r2_score(Y_true, Y_pred, multioutput="uniform_average"):
    """The coefficient of determination :math:`R^2` (see the module notes).

    Parameters
    ----------
    Y_true, Y_pred : array_like of shape (k, m) or (m,)
        Targets and predictions, one example per column.
    multioutput : {'uniform_average', 'raw_values'}, default 'uniform_average'

    Returns
    -------
    float, or ndarray of shape (k,) for ``'raw_values'``
        1 for perfect predictions, 0 for predicting each output's mean, negative for worse.
    """
    Y_true, Y_pred = _check_targets(Y_true, Y_pred)
    ss_res = np.sum((Y_true - Y_pred) ** 2, axis=1)
    ss_tot = np.sum((Y_true - Y_true.mean(axis=1, keepdims=True)) ** 2, axis=1)
    return _average(r2_from_sums(ss_res, ss_tot), multioutput)


def mean_squared_error(Y_true, Y_pred, multioutput="uniform_average"):
    """The mean squared error over the examples (see the module notes); its square root is the
    RMSE. Parameters and result as :func:`r2_score`."""
    Y_true, Y_pred = _check_targets(Y_true, Y_pred)
    return _average(np.mean((Y_true - Y_pred) ** 2, axis=1), multioutput)


def mean_absolute_error(Y_true, Y_pred, multioutput="uniform_average"):
    """The mean absolute error over the examples (see the module notes). Parameters and result
    as :func:`r2_score`."""
    Y_true, Y_pred = _check_targets(Y_true, Y_pred)
    return _average(np.mean(np.abs(Y_true - Y_pred), axis=1), multioutput)
