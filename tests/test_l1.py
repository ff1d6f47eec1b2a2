"""L1 regularization: its cost term against the formula, its gradient against central
differences, and its effect in training (small weights pulled to exactly 0)."""

import tracemalloc

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.datasets import make_moons
from scratchnn.gradcheck import gradient_check


@pytest.fixture
def data():
    X, y = make_moons(60, 0.2, seed=3)
    return X.T, y.reshape(1, -1)


def model(batch_norm=False, seed=1):
    return ClassifierNN([2, 5, 4, 1], ["tanh", "relu", "sigmoid"], "he", batch_norm=batch_norm,
                        seed=seed)


def test_the_cost_gains_l1_over_m_times_the_absolute_weights(data):
    X, Y = data
    nn = model()
    A, _ = nn.forward_propagation(X)
    plain = nn.compute_cost(A, Y)
    objective = nn.objective(X, Y, l1=0.3)
    # Written from the formula: lambda_1 / m * sum over layers of sum |W|, weights only.
    penalty = 0.3 / X.shape[1] * sum(np.abs(nn.parameters[f"W{l}"]).sum() for l in (1, 2, 3))
    training_cost = nn.objective(X, Y).cost(nn.theta)
    assert objective.cost(nn.theta) == pytest.approx(training_cost + penalty, rel=1e-12)
    assert training_cost == pytest.approx(plain, rel=1e-9)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize(("lambd", "l1"), [(0.0, 0.5), (0.2, 0.5)])
def test_the_l1_gradient_matches_central_differences(data, batch_norm, lambd, l1):
    X, Y = data
    assert gradient_check(model(batch_norm), X, Y, lambd=lambd, l1=l1) < 1e-7


def test_the_models_gradient_check_method_checks_l1_too(data):
    X, Y = data
    nn = model()
    # The method and the function check the same objective: with l1 both see its gradient.
    difference = nn.gradient_check(X, Y, lambd=0.2, l1=0.5)
    assert difference < 1e-7
    assert difference == pytest.approx(gradient_check(model(), X, Y, lambd=0.2, l1=0.5),
                                       rel=1e-9)


def test_the_l1_gradient_is_sign_w_times_l1_over_m(data):
    X, Y = data
    nn = model()
    _, plain = nn.cost_and_gradient(nn.theta, X, Y)
    _, with_l1 = nn.cost_and_gradient(nn.theta, X, Y, l1=0.6)
    expected = np.zeros_like(plain)
    offset = 0
    for name, shape in nn.parameter_shapes.items():
        size = int(np.prod(shape))
        if name.startswith("W"):
            expected[offset:offset + size] = np.sign(nn.parameters[name]).ravel() * 0.6 / 60
        offset += size
    np.testing.assert_allclose(with_l1 - plain, expected, rtol=0, atol=1e-15)


def test_training_with_l1_makes_weights_sparse(data):
    X, Y = data
    plain, sparse = model(seed=4), model(seed=4)
    plain.train(X, Y, num_epochs=300, learning_rate=0.01, optimizer="adam", print_cost=False)
    sparse.train(X, Y, num_epochs=300, learning_rate=0.01, optimizer="adam", print_cost=False,
                 l1=2.0)
    small = [np.mean(np.abs(m.parameters["W1"]) < 1e-2) for m in (plain, sparse)]
    assert small[1] > small[0] + 0.2
    assert sparse.accuracy(X, Y[0]) >= 0.8


@pytest.mark.parametrize(("l1", "error"), [(-0.1, ValueError), ("big", (TypeError, ValueError))])
def test_a_bad_l1_is_refused_by_name(data, l1, error):
    X, Y = data
    with pytest.raises(error, match="l1"):
        model().train(X, Y, num_epochs=1, print_cost=False, l1=l1)


def test_the_objective_refuses_a_negative_l1_with_its_whole_message(data):
    X, Y = data
    with pytest.raises(ValueError, match=r"^l1 must be in \[0, inf\), got -0.1$"):
        model().objective(X, Y, l1=-0.1)
    assert model().objective(X, Y, l1=0.0).l1 == 0.0  # the bound itself is allowed


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_l1_gradient_allocates_no_array_in_a_workspace(dtype):
    """A training step's backward pass writes into its workspace (training's promise: work
    arrays once per fit, never per step); the L1 term too, through the L2 term's scratch."""
    rng = np.random.default_rng(0)
    nn = ClassifierNN([300, 300, 1], ["relu", "sigmoid"], seed=0, dtype=dtype)
    X = rng.normal(size=(300, 8)).astype(dtype)
    Y = (rng.uniform(size=(1, 8)) > 0.5).astype(dtype)
    workspace = nn.make_workspace(8)
    loss = nn.check_loss(None)
    A, caches = nn.forward(X, training=True, workspace=workspace)
    nn.backward(A, Y, caches, loss, 0.1, workspace=workspace, l1=0.2)
    expected = {name: grad.copy() for name, grad in nn.grads.items()}
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        nn.backward(A, Y, caches, loss, 0.1, workspace=workspace, l1=0.2)
        allocated = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert allocated < nn.parameters["W1"].nbytes // 10
    for name, grad in nn.grads.items():  # the same gradient as before, still sign(W) l1 / m
        np.testing.assert_array_equal(grad, expected[name], err_msg=name)
