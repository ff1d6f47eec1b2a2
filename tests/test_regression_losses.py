"""The regression losses: MeanSquaredError and Huber, against formulas written here.

The reference semantics (checked by hand against PyTorch 2.13, not in these tests): Huber's
per-element loss is ``torch.nn.HuberLoss(delta, reduction='none')``; both losses are averaged
over the examples and summed over the outputs, and MeanSquaredError is half the squared error
(scikit-learn's ``squared_error``).
"""

import numpy as np
import pytest

from scratchnn import losses
from scratchnn.losses import Huber, MeanSquaredError


def huber_elementwise(r, delta):
    """PyTorch's documented HuberLoss per element, written out by cases."""
    out = np.empty_like(r)
    for index, value in np.ndenumerate(r):
        if abs(value) < delta:
            out[index] = 0.5 * value * value
        else:
            out[index] = delta * (abs(value) - 0.5 * delta)
    return out


def case(k=3, m=8, seed=0, scale=2.0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, (k, m)), rng.normal(0, 1, (k, m)), rng.uniform(0.2, 3.0, m)


@pytest.mark.parametrize("k", [1, 3])
def test_mean_squared_error_is_half_the_weighted_mean_over_examples_summed_over_outputs(k):
    A, Y, w = case(k)
    m = A.shape[1]
    expected = sum((A[j, i] - Y[j, i]) ** 2 for i in range(m) for j in range(k)) / (2 * m)
    weighted = sum(w[i] * (A[j, i] - Y[j, i]) ** 2 for i in range(m) for j in range(k)) / (2 * m)
    assert MeanSquaredError.cost(A, Y) == pytest.approx(expected, rel=1e-13)
    assert MeanSquaredError.cost(A, Y, weights=w[None]) == pytest.approx(weighted, rel=1e-13)
    np.testing.assert_allclose(MeanSquaredError.delta(A, Y), (A - Y) / m, rtol=1e-13)
    np.testing.assert_allclose(MeanSquaredError.delta(A, Y, weights=w[None]),
                               (A - Y) * w / m, rtol=1e-13)


@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
@pytest.mark.parametrize("k", [1, 3])
def test_huber_cost_and_delta_match_the_formula_by_cases(delta, k):
    A, Y, w = case(k, m=40, seed=1)
    m = A.shape[1]
    loss = Huber(delta=delta)
    h = huber_elementwise(A - Y, delta)
    assert np.any(np.abs(A - Y) > delta) and np.any(np.abs(A - Y) < delta)  # both branches
    assert loss.cost(A, Y) == pytest.approx(h.sum() / m, rel=1e-13)
    assert loss.cost(A, Y, weights=w[None]) == pytest.approx((h * w).sum() / m, rel=1e-13)
    slope = np.where(np.abs(A - Y) < delta, A - Y, delta * np.sign(A - Y))
    np.testing.assert_allclose(loss.delta(A, Y), slope / m, rtol=1e-13)
    np.testing.assert_allclose(loss.delta(A, Y, weights=w[None]), slope * w / m, rtol=1e-13)


@pytest.mark.parametrize("delta", [1.0, 0.25])
@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["above", "below"])
def test_huber_at_the_delta_boundary_from_both_sides(delta, sign):
    """At |r| = delta both branches give delta^2 / 2 and slope +-delta; just inside and just
    outside the values and slopes are those of their own branch, and they meet continuously."""
    loss = Huber(delta)
    tiny = 1e-9
    for size, branch in ((delta - tiny, "quadratic"), (delta, "linear"), (delta + tiny, "linear")):
        r = sign * size
        A, Y = np.array([[r]]), np.zeros((1, 1))
        value = 0.5 * r * r if branch == "quadratic" else delta * (abs(r) - 0.5 * delta)
        assert loss.cost(A, Y) == pytest.approx(value, rel=1e-15, abs=1e-15)
        slope = r if branch == "quadratic" else sign * delta
        assert loss.delta(A, Y)[0, 0] == pytest.approx(slope, rel=1e-15)
        assert loss.cost(A, Y) == pytest.approx(0.5 * delta * delta, rel=1e-8)
        assert loss.delta(A, Y)[0, 0] == pytest.approx(sign * delta, rel=1e-8)
    # the slope is the derivative of the cost on both sides of the boundary
    for size in (delta - 1e-4, delta + 1e-4):
        r, h = sign * size, 1e-7
        numeric = (loss.cost(np.array([[r + h]]), np.zeros((1, 1)))
                   - loss.cost(np.array([[r - h]]), np.zeros((1, 1)))) / (2 * h)
        assert loss.delta(np.array([[r]]), np.zeros((1, 1)))[0, 0] == pytest.approx(numeric,
                                                                                    rel=1e-6)


def test_huber_with_a_large_delta_is_the_squared_error_and_caps_the_pull_of_outliers():
    A, Y, w = case(seed=2)
    big = Huber(delta=1e6)
    assert big.cost(A, Y, weights=w[None]) == pytest.approx(
        MeanSquaredError.cost(A, Y, weights=w[None]), rel=1e-13)
    np.testing.assert_array_equal(big.delta(A, Y), MeanSquaredError.delta(A, Y))
    outlier = np.array([[1000.0]])
    assert Huber(1.0).delta(outlier, np.zeros((1, 1)))[0, 0] == 1.0


def test_delta_writes_into_out_and_returns_it():
    A, Y, _ = case()
    for loss in (MeanSquaredError, Huber(0.5)):
        out = np.empty_like(A)
        assert loss.delta(A, Y, out=out) is out
        np.testing.assert_array_equal(out, loss.delta(A, Y))


def test_registry_names_and_huber_instances():
    assert losses.get("MeanSquaredError") is MeanSquaredError
    assert losses.get("meansquarederror") is MeanSquaredError
    default = losses.get("Huber")
    assert isinstance(default, Huber) and default.threshold == 1.0
    assert losses.get(Huber) == Huber(1.0)
    custom = Huber(delta=0.2)
    assert losses.get(custom) is custom
    assert repr(custom) == "Huber(delta=0.2)"
    assert {"MeanSquaredError", "Huber"} <= set(losses.LOSSES)
    assert MeanSquaredError.task == Huber.task == "regression"
    assert MeanSquaredError.output_activation == Huber.output_activation == "linear"
    assert losses.BinaryCrossEntropy.task == "classification"


@pytest.mark.parametrize("delta, error", [(0.0, ValueError), (-1.0, ValueError),
                                          (float("nan"), ValueError), ("1", TypeError)])
def test_huber_refuses_a_bad_delta(delta, error):
    with pytest.raises(error, match="delta"):
        Huber(delta)


@pytest.mark.parametrize("loss", [MeanSquaredError, Huber()], ids=["mse", "huber"])
def test_targets_are_checked(loss):
    name = loss.name
    np.testing.assert_array_equal(loss.check_labels(np.arange(4), 1), [[0.0, 1.0, 2.0, 3.0]])
    assert loss.check_labels(np.arange(4), 1).dtype == np.float64
    assert loss.check_labels(np.ones((2, 5), np.float32), 2).dtype == np.float32
    with pytest.raises(ValueError, match=rf"^Y for {name} must have shape \(2, m\), one row per "
                                         r"output \(target\), got shape \(3, 5\)$"):
        loss.check_labels(np.ones((3, 5)), 2)
    with pytest.raises(ValueError, match=r"must have shape \(2, m\).*got shape \(5,\)"):
        loss.check_labels(np.ones(5), 2)
    with pytest.raises(ValueError, match=rf"^Y for {name} contains NaN or infinite values$"):
        loss.check_labels(np.array([[1.0, np.nan]]), 1)
    with pytest.raises(ValueError, match="NaN or infinite"):
        loss.check_labels(np.array([[1.0, np.inf]]), 1)
    with pytest.raises(TypeError, match=rf"^Y for {name} must hold numbers"):
        loss.check_labels(np.array([["a", "b"]]), 1)


def test_label_smoothing_refuses_a_regression_loss():
    Y = np.zeros((1, 3))
    assert losses.smooth_labels(MeanSquaredError, Y, 0.0, 1) == (MeanSquaredError, Y)
    with pytest.raises(ValueError, match="label_smoothing applies to classification losses only"):
        losses.smooth_labels(MeanSquaredError, Y, 0.1, 1)
