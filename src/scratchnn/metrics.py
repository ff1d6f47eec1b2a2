r"""Classification metrics: the confusion matrix, and precision, recall and F1 per class.

For class :math:`k`, with :math:`TP_k` the examples of class :math:`k` predicted as :math:`k`,
:math:`FP_k` the examples of other classes predicted as :math:`k` and :math:`FN_k` the examples
of class :math:`k` predicted as something else:

.. math::

    \text{precision}_k = \frac{TP_k}{TP_k + FP_k}, \qquad
    \text{recall}_k = \frac{TP_k}{TP_k + FN_k}, \qquad
    F_1 = \frac{2\, \text{precision} \cdot \text{recall}}{\text{precision} + \text{recall}}

A ratio whose denominator is 0 (a class never predicted, or never present) is reported as 0, as
scikit-learn does with ``zero_division=0``.
"""

from __future__ import annotations

import numpy as np

from .validation import check_int

__all__ = ["confusion_matrix", "precision_recall_f1", "classification_report"]


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
