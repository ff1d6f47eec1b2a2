"""Losses: pinned values, finiteness at probabilities 0 and 1, sparse == one-hot, fused deltas."""

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
