"""Whole-network gradients against central differences, over every configuration.

The grid is hidden activation x loss x L2 x dropout x batch norm. Each case is checked twice:
with the library's own ``gradient_check`` (frozen dropout masks) and, where no dropout is drawn,
against finite differences computed here from the public ``forward_propagation`` and
``compute_cost``, so the check does not rest on gradcheck.py alone.
"""

import numpy as np
import pytest

from scratchnn import ClassifierNN, activations
from scratchnn.gradcheck import relative_difference

HIDDEN = sorted(activations.ACTIVATIONS)
M = 7


def make_case(loss, n_out_hint=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4, M))
    if loss == "BinaryCrossEntropy":
        n_out = 1 if n_out_hint == 1 else 2  # 2: independent sigmoid outputs
        Y = (rng.random((n_out, M)) > 0.5).astype(float)
        out = "sigmoid"
    else:
        n_out, out = 3, "softmax"
        y = rng.integers(0, n_out, size=M)
        Y = np.eye(n_out)[y].T if loss == "CategoricalCrossEntropy" else y.reshape(1, -1)
    return X, Y, n_out, out


def randomize(nn, seed):
    """Give every parameter (biases, gamma and beta too) a generic random value.

    Freshly initialized biases are exactly 0, so an input column zeroed by ReLU and dropout puts
    Z exactly on ReLU's kink, where no finite difference agrees with any derivative.
    """
    rng = np.random.default_rng(seed)
    for value in nn.parameters.values():
        value[...] = rng.normal(0.0, 0.7, size=value.shape)
    return nn


LOSSES = [("BinaryCrossEntropy", 1), ("BinaryCrossEntropy", 2),
          ("CategoricalCrossEntropy", 3), ("SparseCategoricalCrossEntropy", 3)]


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("keep_prob", [None, (0.9, 0.7, 0.8)], ids=["nodrop", "dropout"])
@pytest.mark.parametrize("lambd", [0.0, 0.7], ids=["nol2", "l2"])
@pytest.mark.parametrize("loss, n_out", LOSSES, ids=["bce1", "bce2", "cce", "scce"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_matches_central_differences(hidden, loss, n_out, lambd, keep_prob, batch_norm):
    X, Y, n_out, out = make_case(loss, n_out)
    nn = randomize(ClassifierNN([4, 5, 4, n_out], [hidden, hidden, out], batch_norm=batch_norm), 1)
    difference, details = nn.gradient_check(X, Y, loss=loss, lambd=lambd, keep_prob=keep_prob,
                                            return_details=True)
    assert difference < 1e-7, details


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("loss, n_out", LOSSES, ids=["bce1", "bce2", "cce", "scce"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_matches_differences_of_the_public_cost(hidden, loss, n_out, batch_norm):
    X, Y, n_out, out = make_case(loss, n_out, seed=5)
    nn = randomize(ClassifierNN([4, 5, 4, n_out], [hidden, hidden, out], batch_norm=batch_norm), 2)
    lambd = 0.3
    A, caches = nn.forward_propagation(X, training=True)
    grads = nn.backward_propagation(A, Y, caches, lambd=lambd, loss=loss)

    params = {k: v.copy() for k, v in nn.parameters.items()}

    def cost():
        A, _ = nn.forward_propagation(X, parameters=params, training=True)
        return nn.compute_cost(A, Y, lambd=lambd, loss=loss)  # L2 reads nn.parameters

    eps = 1e-6
    analytic, numerical = [], []
    for name, value in params.items():
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            saved = value[index]
            value[index] = saved + eps
            nn.parameters[name][index] = saved + eps
            plus = cost()
            value[index] = saved - eps
            nn.parameters[name][index] = saved - eps
            minus = cost()
            value[index] = saved
            nn.parameters[name][index] = saved
            numeric[index] = (plus - minus) / (2 * eps)
        analytic.append(grads["d" + name].ravel())
        numerical.append(numeric.ravel())
    # Over the whole vector, as gradient_check does: some entries are exactly 0 in theory (beta of
    # a batch-normalized layer feeding a linear region and another batch norm), and a relative
    # difference of two rounding errors means nothing.
    assert relative_difference(np.concatenate(analytic), np.concatenate(numerical)) < 1e-7


def test_gradient_check_detects_a_wrong_formula(monkeypatch):
    """The seed's diagonal-only softmax derivative must be caught in a hidden softmax layer."""
    X, Y, n_out, out = make_case("SparseCategoricalCrossEntropy")
    nn = ClassifierNN([4, 5, 4, n_out], ["softmax", "tanh", out], seed=3)
    assert nn.gradient_check(X, Y, loss="SparseCategoricalCrossEntropy") < 1e-7
    monkeypatch.setattr(activations.Softmax, "backward", staticmethod(lambda dA, A, out=None: dA * A * (1 - A)))
    assert nn.gradient_check(X, Y, loss="SparseCategoricalCrossEntropy") > 1e-3


def test_gradient_check_runs_in_float64_and_leaves_the_model_alone():
    X, Y, _, _ = make_case("BinaryCrossEntropy", 1)
    nn = randomize(ClassifierNN([4, 5, 4, 1], ["relu", "relu", "sigmoid"], seed=4,
                                dtype="float32"), 4)
    theta = nn.theta.copy()
    rng_state = nn.rng.bit_generator.state
    assert nn.gradient_check(X.astype(np.float32), Y, keep_prob=[1.0, 0.5, 0.5]) < 1e-7
    np.testing.assert_array_equal(nn.theta, theta)
    assert nn.theta.dtype == np.float32
    assert nn.rng.bit_generator.state == rng_state


def test_relative_difference_of_zero_gradients_is_zero():
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_difference(np.ones(3), -np.ones(3)) == 1.0


@pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "bn"])
@pytest.mark.parametrize("keep_prob", [None, (0.8, 0.9)], ids=["nodrop", "dropout"])
@pytest.mark.parametrize("loss, n_out", LOSSES, ids=["bce1", "bce2", "cce", "scce"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_sample_weights_enter_the_gradient_exactly(hidden, loss, n_out, keep_prob, batch_norm):
    """The whole grid of hidden activation x loss x dropout x batch norm, with weights that
    include exact zeros; and weights of one give bit for bit the unweighted cost and gradient."""
    X, Y, n_out, out = make_case(loss, n_out, seed=9)
    nn = randomize(ClassifierNN([4, 5, n_out], [hidden, out], batch_norm=batch_norm), 9)
    weights = np.random.default_rng(9).uniform(0.0, 3.0, size=M)
    weights[[1, 4]] = 0.0
    difference, details = nn.gradient_check(X, Y, loss=loss, lambd=0.2, keep_prob=keep_prob,
                                            sample_weight=weights, return_details=True)
    assert difference < 1e-7, details
    theta = nn.theta.copy()
    cost, grad = nn.cost_and_gradient(theta, X, Y, loss=loss, lambd=0.2)
    cost_ones, grad_ones = nn.cost_and_gradient(theta, X, Y, loss=loss, lambd=0.2,
                                                sample_weight=np.ones(M))
    assert cost_ones == cost
    np.testing.assert_array_equal(grad_ones, grad)
    cost_w, grad_w = nn.cost_and_gradient(theta, X, Y, loss=loss, lambd=0.2,
                                          sample_weight=weights)
    assert cost_w != cost and not np.array_equal(grad_w, grad)  # the weights do count
