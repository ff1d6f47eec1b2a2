"""Losses: pinned values, finiteness at probabilities 0 and 1, sparse == one-hot, fused deltas."""

import re

import numpy as np
import pytest

from scratchnn import activations, losses

BCE = losses.get("BinaryCrossEntropy")
CCE = losses.get("CategoricalCrossEntropy")
SCCE = losses.get("SparseCategoricalCrossEntropy")


def test_pinned_values():
    A = np.array([[0.9, 0.2, 0.6]])
    Y = np.array([[1.0, 0.0, 1.0]])
    # -(log .9 + log .8 + log .6) / 3
    assert BCE.cost(A, Y) == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.6)) / 3)
    A = np.array([[0.7, 0.1], [0.2, 0.3], [0.1, 0.6]])
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    assert CCE.cost(A, Y) == pytest.approx(-(np.log(0.7) + np.log(0.6)) / 2)
    assert SCCE.cost(A, np.array([[0, 2]])) == pytest.approx(-(np.log(0.7) + np.log(0.6)) / 2)


def test_sparse_equals_one_hot():
    rng = np.random.default_rng(1)
    Zs = rng.standard_normal((4, 10)) * 3
    A = activations.get("softmax").forward(Zs)
    y = rng.integers(0, 4, size=(1, 10))
    Y = np.eye(4)[y[0]].T
    assert SCCE.cost(A, y) == pytest.approx(CCE.cost(A, Y), rel=1e-12)
    assert SCCE.cost(A, y, Zs) == pytest.approx(CCE.cost(A, Y, Zs), rel=1e-12)
    np.testing.assert_allclose(SCCE.delta(A, y), CCE.delta(A, Y), atol=1e-15)


@pytest.mark.parametrize("loss, act, Y", [
    (BCE, "sigmoid", np.array([[1.0, 0.0, 1.0, 0.0]])),
    (CCE, "softmax", np.eye(3)[[0, 2, 1, 1]].T),
    (SCCE, "softmax", np.array([[0, 2, 1, 1]])),
])
def test_logit_form_matches_probability_form(loss, act, Y):
    rng = np.random.default_rng(2)
    Zs = rng.standard_normal((1 if loss is BCE else 3, 4))
    A = activations.get(act).forward(Zs)
    assert loss.cost(A, Y, Zs) == pytest.approx(loss.cost(A, Y), rel=1e-12)


@pytest.mark.parametrize("loss, act, Y", [
    (BCE, "sigmoid", np.array([[1.0, 0.0, 1.0, 0.0]])),
    (CCE, "softmax", np.eye(3)[[0, 2, 1, 1]].T),
    (SCCE, "softmax", np.array([[0, 2, 1, 1]])),
])
def test_fused_delta_is_the_gradient_of_the_cost_wrt_logits(loss, act, Y):
    rng = np.random.default_rng(3)
    Zs = rng.standard_normal((1 if loss is BCE else 3, 4))
    g = activations.get(act)
    delta = loss.delta(g.forward(Zs), Y)
    numeric = np.zeros_like(Zs)
    for index in np.ndindex(Zs.shape):
        plus, minus = Zs.copy(), Zs.copy()
        plus[index] += 1e-6
        minus[index] -= 1e-6
        numeric[index] = (loss.cost(g.forward(plus), Y, plus)
                          - loss.cost(g.forward(minus), Y, minus)) / 2e-6
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("loss", [BCE, CCE, SCCE])
def test_each_loss_defines_its_own_documented_delta(loss):
    # A reader looking for the output delta finds it on the loss class itself, with its formula.
    assert "delta" in vars(loss)
    assert loss.delta.__qualname__ == f"{loss.__name__}.delta"
    assert ".. math::" in loss.delta.__doc__ and "dZ" in loss.delta.__doc__


@pytest.mark.parametrize("loss, act, rows", [(BCE, "sigmoid", 2), (CCE, "softmax", 3)])
def test_delta_is_fused_delta_bit_for_bit(loss, act, rows):
    rng = np.random.default_rng(4)
    A = activations.get(act).forward(rng.standard_normal((rows, 7)) * 4)
    Y = (np.eye(rows)[rng.integers(0, rows, size=7)].T if loss is CCE
         else rng.integers(0, 2, size=(rows, 7)).astype(float))
    weights = rng.uniform(0.0, 2.0, size=(1, 7))
    for w in (None, weights):
        expected = (A - Y) / 7 if w is None else (A - Y) / 7 * w
        out = np.empty_like(A)
        assert loss.delta(A, Y, out=out, weights=w) is out
        np.testing.assert_array_equal(out, losses.fused_delta(A, Y, weights=w))
        np.testing.assert_array_equal(out, expected)


def test_finite_at_probabilities_zero_and_one():
    A = np.array([[0.0, 1.0, 0.0, 1.0]])
    Y = np.array([[1.0, 0.0, 0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        cost = BCE.cost(A, Y)
    assert np.isfinite(cost) and cost > 10  # confidently wrong costs a lot
    A3 = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(CCE.cost(A3, np.eye(3)[[2, 2]].T))
        assert np.isfinite(SCCE.cost(A3, np.array([[2, 2]])))
    # A correct prediction with probability exactly 1 costs (almost) nothing
    assert BCE.cost(np.array([[1.0]]), np.array([[1.0]])) < 1e-12


def test_logit_form_is_exact_where_probabilities_saturate():
    Zs = np.array([[-1000.0, 50.0]])
    Y = np.array([[1.0, 1.0]])
    A = activations.get("sigmoid").forward(Zs)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        cost = BCE.cost(A, Y, Zs)
    # -log sigmoid(-1000) = 1000 (+ e^-1000); -log sigmoid(50) = e^-50
    assert cost == pytest.approx((1000.0 + np.exp(-50.0)) / 2)


def test_cost_does_not_mutate_inputs():
    A = np.array([[0.0, 1.0, 0.5]])
    Y = np.array([[1.0, 0.0, 1.0]])
    A0, Y0 = A.copy(), Y.copy()
    BCE.cost(A, Y)
    BCE.delta(A, Y)
    np.testing.assert_array_equal(A, A0)
    np.testing.assert_array_equal(Y, Y0)


def test_registry_alias_and_errors():
    assert losses.get("SpareCategoricalCrossEntropy") is SCCE  # the seed's spelling
    assert losses.get("binarycrossentropy") is BCE  # names are case-insensitive, as elsewhere
    assert losses.get(BCE) is BCE
    with pytest.raises(ValueError, match="unknown loss 'MSE'.*BinaryCrossEntropy"):
        losses.get("MSE")
    with pytest.raises(TypeError, match="loss must be a string"):
        losses.get(None)


def test_label_checks():
    with pytest.raises(ValueError, match=r"shape \(2, m\)"):
        BCE.check_labels(np.zeros((1, 3)), 2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BCE.check_labels(np.array([[2.0, 0.0]]), 1)
    with pytest.raises(ValueError, match="one-hot"):
        CCE.check_labels(np.array([[1.0, 1.0], [1.0, 0.0]]), 2)
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\]"):
        SCCE.check_labels(np.array([[0, 3]]), 3)
    with pytest.raises(ValueError, match="integer class indices"):
        SCCE.check_labels(np.array([[0.5, 1.0]]), 3)
    np.testing.assert_array_equal(SCCE.check_labels(np.array([0.0, 2.0]), 3), [[0, 2]])


def test_float32_probabilities_are_clipped_to_float32_limits():
    """Probabilities are clipped into ``[tiny, 1 - epsneg]`` of *their own* dtype: a confidently
    wrong float32 prediction costs -log(tiny) and -log(epsneg) of float32, not of float64."""
    info = np.finfo(np.float32)
    expected = (-np.log(float(info.tiny)) - np.log(float(info.epsneg))) / 2
    A = np.array([[0.0, 1.0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert BCE.cost(A, np.array([[1.0, 0.0]])) == pytest.approx(expected, rel=1e-6)
        A2 = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
        assert CCE.cost(A2, np.eye(2)) == pytest.approx(-np.log(float(info.tiny)), rel=1e-6)
        assert SCCE.cost(A2, np.array([[0, 1]])) == pytest.approx(-np.log(float(info.tiny)),
                                                                   rel=1e-6)


def per_example_losses(loss, A, Y):
    """Each example's (column's) loss, written from the formulas in the class docstrings."""
    if loss is BCE:
        return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=0)
    if loss is CCE:
        return -np.sum(Y * np.log(A), axis=0)
    return -np.log(A[Y[0], np.arange(A.shape[1])])


@pytest.mark.parametrize("from_logits", [False, True], ids=["probabilities", "logits"])
@pytest.mark.parametrize("loss, act, Y", [
    (BCE, "sigmoid", np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]])),
    (CCE, "softmax", np.eye(3)[[0, 2, 1, 1]].T),
    (SCCE, "softmax", np.array([[0, 2, 1, 1]])),
], ids=["binary", "categorical", "sparse"])
def test_weighted_cost_is_the_mean_of_the_weighted_losses(loss, act, Y, from_logits):
    """With ``weights`` (shape (1, m)) the cost is (1/m) sum_j w_j L_j, from ``A`` as from ``Z``."""
    rng = np.random.default_rng(4)
    Zs = rng.standard_normal((Y.shape[0] if loss is not SCCE else 3, 4))
    A = activations.get(act).forward(Zs)
    weights = np.array([[0.0, 2.5, 1.0, 0.25]])
    expected = np.sum(weights[0] * per_example_losses(loss, A, Y)) / 4
    cost = loss.cost(A, Y, Zs if from_logits else None, weights=weights)
    assert cost == pytest.approx(expected, rel=1e-12)


def test_categorical_logit_form_holds_for_soft_labels_summing_to_one_within_tolerance():
    """Soft labels that ``check_labels`` accepts (columns summing to 1 up to np.allclose) cost
    the same from the logits as from the probabilities: logsumexp(Z) sum_i Y_i - sum_i Y_i Z_i
    equals -sum_i Y_i log A_i for every column, whatever its sum."""
    Y = CCE.check_labels(np.array([[0.5, 0.2, 0.0], [0.500004, 0.8, 0.999996]]), 2)
    Zs = np.array([[1.5, -2.0, 0.3], [-0.5, 0.7, 4.0]])
    A = activations.get("softmax").forward(Zs)
    assert CCE.cost(A, Y, Zs) == pytest.approx(np.sum(per_example_losses(CCE, A, Y)) / 3,
                                               rel=1e-12)


ONE_HOT_MESSAGE = ("Y for CategoricalCrossEntropy must be one-hot: values in [0, 1], each column "
                   "summing to 1")


@pytest.mark.parametrize("Y", [
    [[1.000005, 1.0], [0.0, 0.0]],     # above 1, yet the column sums to 1 within np.allclose
    [[-0.5], [0.75], [0.75]],          # below 0, the column summing to exactly 1
    [[0.5, 1.0], [0.4, 0.0]],          # in [0, 1] but summing to 0.9
], ids=["above-one", "below-zero", "sum-0.9"])
def test_categorical_labels_outside_zero_one_are_rejected_even_summing_to_one(Y):
    """Each of the three conditions (min >= 0, max <= 1, columns summing to 1) is checked on its
    own, and the message is the documented one, whole."""
    Y = np.array(Y)
    with pytest.raises(ValueError, match=f"^{re.escape(ONE_HOT_MESSAGE)}$"):
        CCE.check_labels(Y, Y.shape[0])


def test_categorical_labels_on_the_boundary_are_accepted():
    """0 and 1 themselves, and soft labels, are valid targets."""
    Y = np.array([[0.0, 1.0, 0.25], [1.0, 0.0, 0.75]])
    np.testing.assert_array_equal(CCE.check_labels(Y, 2), Y)


@pytest.mark.parametrize("loss, Y, n_outputs, error, message", [
    (BCE, [[np.nan, 1.0]], 1, ValueError, "Y contains NaN or infinite values"),
    (CCE, [[np.inf], [0.0]], 2, ValueError, "Y contains NaN or infinite values"),
    (BCE, [["a", "b"]], 1, TypeError, "Y must hold numbers, got an array of dtype <U1"),
    (BCE, [[2.0, 0.0]], 1, ValueError,
     "Y for BinaryCrossEntropy must hold values in [0, 1] (labels 0 and 1)"),
    (BCE, [[0.0, 0.0, 1.0]], 2, ValueError, "Y for BinaryCrossEntropy must have shape (2, m), "
                                            "one row per sigmoid output, got shape (1, 3)"),
    (CCE, [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], 2, ValueError,
     "Y for CategoricalCrossEntropy must be one-hot of shape (2, m), got shape (3, 2); for "
     "integer class labels use SparseCategoricalCrossEntropy"),
    (SCCE, [[0, 1, 2], [0, 1, 2]], 3, ValueError,
     "Y for SparseCategoricalCrossEntropy must be a row of class indices of shape (1, m), got "
     "shape (2, 3); for one-hot labels use CategoricalCrossEntropy"),
    (SCCE, [[0.5, 1.0]], 3, ValueError,
     "Y for SparseCategoricalCrossEntropy must hold integer class indices"),
    (SCCE, [[0, 3]], 3, ValueError, "Y for SparseCategoricalCrossEntropy must hold class indices "
                                    "in [0, 2] for a softmax of 3 units, got values in [0, 3]"),
], ids=["nan", "inf", "strings", "binary-range", "binary-shape", "categorical-shape",
        "sparse-shape", "sparse-fractional", "sparse-range"])
def test_label_errors_are_the_documented_messages(loss, Y, n_outputs, error, message):
    """Each bad label array gets its own message, whole (case and all)."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        loss.check_labels(np.array(Y), n_outputs)


def test_logit_cost_of_a_column_spanning_the_float_range_raises_no_floating_point_error():
    """Z - max(Z) overflows to -inf for a column holding 1e308 and -1e308; exp(-inf) = 0 is then
    exact, so the cost is computed without an overflow error even where overflow raises."""
    Zs = np.array([[1e308, -5.0], [-1e308, 5.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        A = activations.get("softmax").forward(Zs)
        cost = CCE.cost(A, Y, Zs)
        sparse_cost = SCCE.cost(A, np.array([[0, 1]]), Zs)
    expected = np.log1p(np.exp(-10.0)) / 2  # column 1: 0; column 2: log(1 + e^-10)
    assert cost == pytest.approx(expected, rel=1e-12)
    assert sparse_cost == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("loss, Y", [(BCE, np.array([[1.0, 0.0, 1.0]])),
                                     (CCE, np.eye(2)[[0, 1, 1]].T),
                                     (SCCE, np.array([[0, 1, 1]]))],
                         ids=["binary", "categorical", "sparse"])
def test_delta_is_written_into_out(loss, Y):
    """``delta(A, Y, out=...)`` fills ``out`` with (A - Y) / m (one-hot Y) and returns it."""
    A = np.array([[0.8, 0.3, 0.4], [0.2, 0.7, 0.6]])[:Y.shape[0] if loss is not SCCE else 2]
    one_hot = np.eye(2)[Y[0]].T if loss is SCCE else Y
    out = np.full(A.shape, np.nan)
    assert loss.delta(A, Y, out=out) is out
    np.testing.assert_allclose(out, (A - one_hot) / 3, rtol=1e-15)
