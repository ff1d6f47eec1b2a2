"""Confusion matrix, precision/recall/F1 and the text report; R², MSE and MAE; checked against
scikit-learn and the formulas."""

import numpy as np
import pytest

from scratchnn import metrics
from scratchnn.metrics import classification_report, confusion_matrix, precision_recall_f1


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_scikit_learn(seed):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    C = 4
    y_true = rng.integers(0, C, 60)
    # Mostly right, with class 3 never predicted: a zero denominator for its precision.
    y_pred = np.where(rng.random(60) < 0.7, y_true, rng.integers(0, C - 1, 60))
    y_pred[y_pred == 3] = 2
    matrix = confusion_matrix(y_true, y_pred, C)
    np.testing.assert_array_equal(
        matrix, sklearn_metrics.confusion_matrix(y_true, y_pred, labels=range(C)))
    precision, recall, f1, support = precision_recall_f1(matrix)
    expected = sklearn_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=range(C), zero_division=0)
    for got, want in zip((precision, recall, f1, support), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert precision[3] == 0.0


def test_rows_are_true_classes_and_absent_classes_get_rows():
    matrix = confusion_matrix(np.array([[0, 0, 1]]), np.array([[0, 1, 1]]), n_classes=3)
    np.testing.assert_array_equal(matrix, [[1, 1, 0], [0, 1, 0], [0, 0, 0]])
    assert matrix.dtype == np.int64


def test_report_lists_every_class_the_averages_and_the_matrix():
    matrix = np.array([[5, 1], [2, 12]])
    report = classification_report(matrix, ["cat", "dog"])
    lines = report.splitlines()
    assert lines[0] == "accuracy: 0.850 (17 of 20)"
    cat = next(line for line in lines if line.startswith("cat "))
    # precision 5/7, recall 5/6, support 6
    assert cat.split()[1:] == ["0.714", "0.833", "0.769", "6"]
    macro = next(line for line in lines if line.startswith("macro avg"))
    assert macro.split()[-1] == "20"
    assert lines[-2].split() == ["cat", "5", "1"] and lines[-1].split() == ["dog", "2", "12"]
    assert not report.endswith("\n")


def test_report_averages_weigh_classes_by_support_or_not_at_all():
    # Supports 10, 5 and 20 (rows); predicted 10, 9 and 16 times (columns). The worse class has
    # the fewest rows, so the average weighted by support and the plain mean differ.
    matrix = np.array([[8, 1, 1],
                       [2, 3, 0],
                       [0, 5, 15]])
    tp = np.array([8.0, 3.0, 15.0])
    support = np.array([10.0, 5.0, 20.0])
    precision = tp / np.array([10.0, 9.0, 16.0])   # 0.8, 1/3, 0.9375
    recall = tp / support                           # 0.8, 0.6, 0.75
    f1 = 2 * precision * recall / (precision + recall)
    weighted = [np.dot(support, v) / 35.0 for v in (precision, recall, f1)]
    macro = [(v[0] + v[1] + v[2]) / 3.0 for v in (precision, recall, f1)]
    # By hand: weighted precision (8 + 5/3 + 18.75) / 35 = 0.811905, recall 26/35 = 0.742857;
    # plain means 0.690278 and 0.716667.
    assert f"{weighted[0]:.6f}" == "0.811905" and f"{weighted[1]:.6f}" == "0.742857"
    assert f"{macro[0]:.6f}" == "0.690278" and f"{macro[1]:.6f}" == "0.716667"

    lines = classification_report(matrix, ["a", "b", "c"], digits=6).splitlines()
    rows = {name: next(line for line in lines if line.startswith(name))[len(name):].split()
            for name in ("weighted avg", "macro avg")}
    assert rows["weighted avg"] == [f"{v:.6f}" for v in weighted] + ["35"]
    assert rows["macro avg"] == [f"{v:.6f}" for v in macro] + ["35"]


def test_report_default_labels_and_digits():
    report = classification_report(np.array([[1, 0], [0, 1]]), digits=1)
    assert "accuracy: 1.0" in report
    assert any(line.startswith("0 ") for line in report.splitlines())


@pytest.mark.parametrize(("y_true", "y_pred", "n_classes", "error", "match"), [
    ([0, 1], [0], 2, ValueError, "same length"),
    ([0, 2], [0, 1], 2, ValueError, r"y_true must hold class indices in \[0, 1\]"),
    ([0, 1], [0, -1], 2, ValueError, "y_pred must hold class indices"),
    ([0.0, 1.0], [0, 1], 2, TypeError, "y_true must hold integer"),
    ([[0, 1], [1, 0]], [0, 1], 2, ValueError, "y_true must have shape"),
    ([0], [0], 0, ValueError, "n_classes"),
])
def test_confusion_matrix_errors(y_true, y_pred, n_classes, error, match):
    with pytest.raises(error, match=match):
        confusion_matrix(y_true, y_pred, n_classes)


def test_report_errors():
    with pytest.raises(ValueError, match="square"):
        precision_recall_f1(np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="non-negative integer"):
        precision_recall_f1(np.array([[1, -1], [0, 1]]))
    with pytest.raises(ValueError, match="labels must have 2 entries"):
        classification_report(np.eye(2, dtype=int), ["a"])


def test_report_layout_by_hand():
    # cat: precision 5/7, recall 5/6, F1 10/13; dog: 12/13, 12/14, 24/27. Macro averages
    # (0.714286 + 0.923077) / 2 = 0.818681, (0.833333 + 0.857143) / 2 = 0.845238,
    # (0.769231 + 0.888889) / 2 = 0.829060; weighted by 6 and 14 rows: 17.208791 / 20 = 0.860440,
    # 17 / 20 = 0.85, 17.059829 / 20 = 0.852991. Label column: 12 characters plus 2; scores 10 wide;
    # matrix cells 6 wide plus 2.
    expected = "\n".join([
        "accuracy: 0.850 (17 of 20)",
        "",
        "class          precision    recall  f1-score   support",
        "cat                0.714     0.833     0.769         6",
        "dog                0.923     0.857     0.889        14",
        "macro avg          0.819     0.845     0.829        20",
        "weighted avg       0.860     0.850     0.853        20",
        "",
        "confusion matrix (rows: true class, columns: predicted class)",
        "                   cat     dog",
        "cat                  5       1",
        "dog                  2      12",
    ])
    assert classification_report(np.array([[5, 1], [2, 12]]), ["cat", "dog"]) == expected


def _right_ends(line):
    """Where each whitespace-separated field of ``line`` ends."""
    ends, inside = [], False
    for i, char in enumerate(line + " "):
        if char != " " and not inside:
            inside = True
        elif char == " " and inside:
            inside = False
            ends.append(i)
    return ends


@pytest.mark.parametrize(("matrix", "labels"), [
    (np.array([[3, 1], [0, 2]]), ["a-rather-long-class-name", "b"]),   # a label wider than 12
    (np.array([[123456789, 1], [0, 2]]), ["a", "b"]),                   # a count wider than 6
])
def test_report_columns_stay_aligned_for_long_labels_and_large_counts(matrix, labels):
    lines = classification_report(matrix, labels).splitlines()
    table = lines[2:7]
    # Every row of the score table: its label, then at least two spaces before the first score.
    for line, label in zip(table[1:], labels + ["macro avg", "weighted avg"]):
        assert line.startswith(label + "  ")
    assert len({len(line) for line in table}) == 1
    assert len({tuple(_right_ends(line)[-4:]) for line in table}) == 1
    # The confusion matrix: each count right-aligned under its predicted class's label, and
    # every label and count set off by at least two spaces.
    header, *rows = lines[-3:]
    for k, row in enumerate(rows):
        assert row.startswith(labels[k] + "  ")
        assert _right_ends(row)[-2:] == _right_ends(header)
    for line in [header, *rows]:
        assert all(f"  {cell}" in line for cell in line.split()[-2:])


def test_report_of_an_empty_matrix_says_zero_not_nan():
    with np.errstate(all="raise"):
        report = classification_report(np.zeros((2, 2), dtype=np.int64))
    lines = report.splitlines()
    assert lines[0] == "accuracy: 0.000 (0 of 0)"
    for name in ("macro avg", "weighted avg"):
        row = next(line for line in lines if line.startswith(name))
        assert row[len(name):].split() == ["0.000", "0.000", "0.000", "0"]


def test_report_digits_zero_and_negative():
    assert classification_report(np.array([[1, 0], [0, 1]]), digits=0).splitlines()[0] == (
        "accuracy: 1 (2 of 2)")
    with pytest.raises(ValueError, match=r"^digits must be >= 0, got -1\Z"):
        classification_report(np.eye(2, dtype=int), digits=-1)


def test_one_class_matrix():
    np.testing.assert_array_equal(confusion_matrix([0, 0, 0], [0, 0, 0], n_classes=1), [[3]])
    precision, recall, f1, support = precision_recall_f1(np.array([[3]]))
    assert (precision.tolist(), recall.tolist(), f1.tolist(), support.tolist()) == (
        [1.0], [1.0], [1.0], [3])


def test_metric_errors_start_with_the_argument_name():
    with pytest.raises(ValueError, match=r"^n_classes must be >= 1, got 0\Z"):
        confusion_matrix([0], [0], 0)
    with pytest.raises(ValueError, match=r"^matrix must hold non-negative integer counts\Z"):
        precision_recall_f1(np.array([[1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"^matrix must be a square \(C, C\) array"):
        precision_recall_f1(np.zeros((0, 0), dtype=int))


# --------------------------------------------------------------------------- regression metrics
def regression_case(k=3, m=20, seed=0):
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(k, m))
    return Y, Y + rng.normal(0, 0.5, size=(k, m))


@pytest.mark.parametrize("k", [1, 3])
def test_regression_metrics_match_scikit_learn(k):
    sk = pytest.importorskip("sklearn.metrics")
    Y, P = regression_case(k)
    for ours, theirs in ((metrics.r2_score, sk.r2_score),
                         (metrics.mean_squared_error, sk.mean_squared_error),
                         (metrics.mean_absolute_error, sk.mean_absolute_error)):
        assert ours(Y, P) == pytest.approx(theirs(Y.T, P.T), rel=1e-12)
        np.testing.assert_allclose(ours(Y, P, multioutput="raw_values"),
                                   theirs(Y.T, P.T, multioutput="raw_values"), rtol=1e-12)


def test_r2_by_the_formula_and_for_constant_targets():
    Y, P = regression_case(k=1, m=6)
    y, p = Y[0], P[0]
    expected = 1 - sum((a - b) ** 2 for a, b in zip(y, p)) / sum((a - y.mean()) ** 2 for a in y)
    assert metrics.r2_score(y, p) == pytest.approx(expected, rel=1e-12)
    assert metrics.r2_score(np.ones(4), np.ones(4)) == 1.0
    assert metrics.r2_score(np.ones(4), np.zeros(4)) == 0.0
    np.testing.assert_array_equal(metrics.r2_from_sums([0.0, 2.0, 1.0], [0.0, 0.0, 4.0]),
                                  [1.0, 0.0, 0.75])


@pytest.mark.parametrize("Y_true, Y_pred, error, match", [
    (np.ones((2, 3)), np.ones((3, 2)), ValueError, "must have the same shape"),
    (np.ones(3), np.array([1.0, np.nan, 1.0]), ValueError, "Y_pred contains NaN"),
    (np.array(["a", "b"]), np.ones(2), TypeError, "Y_true must hold numbers"),
    (np.ones((2, 0)), np.ones((2, 0)), ValueError, r"must have shape \(k, m\) or \(m,\)"),
])
def test_regression_metrics_refuse_bad_input(Y_true, Y_pred, error, match):
    with pytest.raises(error, match=match):
        metrics.r2_score(Y_true, Y_pred)


def test_multioutput_must_be_known():
    with pytest.raises(ValueError, match="multioutput must be 'uniform_average' or 'raw_values'"):
        metrics.mean_squared_error(np.ones(3), np.ones(3), multioutput="variance_weighted")


@pytest.mark.parametrize("ss_res, ss_tot, match", [
    ([1.0, 2.0], [1.0], r"ss_res and ss_tot must be 1-D arrays of one shape"),
    ([[1.0]], [[1.0]], r"ss_res and ss_tot must be 1-D arrays of one shape"),
    ([-1.0], [1.0], "ss_res must hold sums of squares"),
    ([1.0], [np.nan], "ss_tot must hold sums of squares"),
])
def test_r2_from_sums_refuses_sums_that_are_not_sums_of_squares(ss_res, ss_tot, match):
    with pytest.raises(ValueError, match=match):
        metrics.r2_from_sums(ss_res, ss_tot)
