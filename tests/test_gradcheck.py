"""Whole-network gradients against central differences, over every configuration.

The grid is hidden activation x loss x L2 x dropout x batch norm. Each case is checked twice:
with the library's own ``gradient_check`` (frozen dropout masks) and, where no dropout is drawn,
against finite differences computed here from the public ``forward_propagation`` and
``compute_cost``, so the check does not rest on gradcheck.py alone.
"""

import numpy as np
import pytest

from scratchnn import ClassifierNN, activations, gradcheck
from scratchnn.gradcheck import gradient_check, numerical_gradient, relative_difference
from scratchnn.layers import dropout_mask

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


@pytest.mark.parametrize("grad, approx, expected", [
    ([1.0, 0.0], [0.0, 0.0], 1.0),  # denominator exactly 1: not mistaken for the 0/0 case
    ([3.0, 4.0], [3.0, 4.0], 0.0),
    ([2.0, 0.0], [0.0, 1.0], np.sqrt(5.0) / 3.0),
    ([0.0, 0.0], [0.0, 0.5], 1.0),
], ids=["one-sided", "equal", "orthogonal", "grad-zero"])
def test_relative_difference_values(grad, approx, expected):
    """``||g - a|| / (||g|| + ||a||)`` on vectors whose norms are worked out by hand."""
    value = relative_difference(np.array(grad), np.array(approx))
    assert isinstance(value, float)
    assert value == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("epsilon, tolerance", [(None, 1e-6), (0.1, 1e-12), (0.5, 1e-12)],
                         ids=["default", "0.1", "0.5"])
def test_numerical_gradient_is_the_central_difference(epsilon, tolerance):
    """For J = sum(theta^3), ((x+e)^3 - (x-e)^3) / (2e) = 3x^2 + e^2 exactly, so the step is
    visible in the result; the default step (1e-7) makes e^2 negligible. ``theta`` is restored
    bit for bit and J is evaluated twice per entry."""
    theta = np.array([0.3, -1.7, 2.9, 1e-3])
    original = theta.copy()
    calls = []

    def cost():
        calls.append(theta.copy())
        return float(np.sum(theta ** 3))

    if epsilon is None:
        approx = numerical_gradient(cost, theta)
        expected = 3 * original ** 2
    else:
        approx = numerical_gradient(cost, theta, epsilon)
        expected = 3 * original ** 2 + epsilon ** 2
    np.testing.assert_allclose(approx, expected, rtol=tolerance, atol=tolerance)
    np.testing.assert_array_equal(theta, original)
    assert len(calls) == 2 * theta.size
    step = 1e-7 if epsilon is None else epsilon
    for i in range(theta.size):  # entry i moved up then down, the others untouched
        for seen, sign in zip(calls[2 * i:2 * i + 2], (1, -1)):
            moved = original.copy()
            moved[i] = original[i] + sign * step
            np.testing.assert_array_equal(seen, moved)


def small_case():
    X, Y, n_out, out = make_case("BinaryCrossEntropy", 1, seed=11)
    nn = randomize(ClassifierNN([4, 3, n_out], ["tanh", out]), 11)
    return nn, X, Y


def test_gradient_check_function_defaults_are_the_methods():
    """Called without options, the module function checks what ``model.gradient_check`` does
    (binary cross-entropy, no L2, no dropout, step 1e-7, a single number)."""
    nn, X, Y = small_case()
    expected = nn.gradient_check(X, Y, loss="BinaryCrossEntropy", lambd=0, keep_prob=None,
                                 epsilon=1e-7, return_details=False, sample_weight=None,
                                 label_smoothing=0.0)
    assert isinstance(expected, float)
    assert gradient_check(nn, X, Y) == expected


@pytest.mark.parametrize("kwargs, error, match", [
    ({"lambd": -0.5}, ValueError, r"^lambd must be in \[0, inf\), got -0\.5$"),
    ({"epsilon": 0.0}, ValueError, r"^epsilon must be in \(0, inf\), got 0$"),
    ({"return_details": "yes"}, TypeError, r"^return_details must be True or False, got 'yes'$"),
    ({"keep_prob": [0.5]}, ValueError, r"^keep_prob must have 2 entries \(one per layer"),
], ids=["lambd", "epsilon", "return_details", "keep_prob-length"])
def test_gradient_check_names_the_bad_argument(kwargs, error, match):
    """Each bad option is refused with a message that starts with its name and its range."""
    nn, X, Y = small_case()
    with pytest.raises(error, match=match):
        gradient_check(nn, X, Y, **kwargs)


def test_gradient_check_accepts_the_boundary_values():
    """``lambd=0`` is allowed (closed at 0); any positive ``epsilon``; one keep probability
    per layer before the output, the input first."""
    nn, X, Y = small_case()
    assert gradient_check(nn, X, Y, lambd=0.0, epsilon=1e-6, keep_prob=[0.9, 0.7]) < 1e-7


def test_gradient_check_with_dropout_is_repeatable():
    """The frozen masks come from a fixed generator: the same call gives the same number."""
    nn, X, Y = small_case()
    first = gradient_check(nn, X, Y, keep_prob=[0.8, 0.6])
    assert first < 1e-7
    assert gradient_check(nn, X, Y, keep_prob=[0.8, 0.6]) == first


def test_gradient_check_details_point_at_the_wrong_layer(monkeypatch):
    """With a wrong hidden softmax derivative, the per-parameter differences are large for the
    first layer only (the output layer's gradient does not pass through it), and the overall
    number is the one returned without details."""
    X, Y, n_out, out = make_case("SparseCategoricalCrossEntropy")
    nn = ClassifierNN([4, 5, n_out], ["softmax", out], seed=3)
    monkeypatch.setattr(activations.Softmax, "backward",
                        staticmethod(lambda dA, A, out=None: dA * A * (1 - A)))
    loss = "SparseCategoricalCrossEntropy"
    overall, details = gradient_check(nn, X, Y, loss=loss, return_details=True)
    assert overall == gradient_check(nn, X, Y, loss=loss)
    assert set(details) == {"W1", "b1", "W2", "b2"}
    assert details["W1"] > 1e-3 and details["b1"] > 1e-3
    assert details["W2"] < 1e-7 and details["b2"] < 1e-7
    assert all(0.0 <= value <= 1.0 for value in details.values())


@pytest.mark.parametrize("kwargs, match", [
    ({"sample_weight": np.ones(3)}, r"^sample_weight must have shape \(7,\), one weight per"),
    ({"label_smoothing": 1.0}, r"^label_smoothing must be in \[0, 1\), got 1$"),
], ids=["sample_weight", "label_smoothing"])
def test_gradient_check_passes_its_options_to_the_cost(kwargs, match):
    """``sample_weight`` and ``label_smoothing`` reach the checked cost, which refuses bad ones
    by name (a dropped option would be silently ignored instead)."""
    nn, X, Y = small_case()
    with pytest.raises(ValueError, match=match):
        gradient_check(nn, X, Y, **kwargs)


def test_gradient_check_uses_its_step():
    """The central-difference error is O(epsilon^2): ten times the step, about a hundred times
    the difference (at steps large enough that rounding does not dominate)."""
    nn, X, Y = small_case()
    coarse = gradient_check(nn, X, Y, epsilon=0.1)
    fine = gradient_check(nn, X, Y, epsilon=0.01)
    assert coarse > 1e-5
    assert 50 < coarse / fine < 200


@pytest.mark.parametrize("keep_prob, expected", [
    ([1.0, 0.6], [(3, 7, 0.6)]),
    ([0.9, 1.0], [(4, 7, 0.9)]),
    ([0.9, 0.6], [(4, 7, 0.9), (3, 7, 0.6)]),
    ([1.0, 1.0], []),
], ids=["hidden", "input", "both", "none"])
def test_gradient_check_draws_masks_only_where_units_are_dropped(monkeypatch, keep_prob,
                                                                 expected):
    """One frozen mask per layer with keep probability below 1, shaped (units, examples), the
    input layer first; a layer that keeps every unit gets none."""
    drawn = []

    def spy(shape, p, rng, dtype, out=None):
        drawn.append((*shape, p))
        return dropout_mask(shape, p, rng, dtype, out)

    monkeypatch.setattr(gradcheck, "dropout_mask", spy)
    nn, X, Y = small_case()
    assert gradient_check(nn, X, Y, keep_prob=keep_prob) < 1e-7
    assert drawn == expected
