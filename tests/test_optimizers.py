"""Optimizer steps against independently written formulas.

The reference below follows the README's per-parameter formulas literally (a dict of V and S per
``dW``/``db``, bias-corrected copies for Adam, epsilon outside the square root), sharing nothing
with :mod:`scratchnn.optimizers` except the gradients, which test_gradcheck.py checks separately.
"""

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.optimizers import OPTIMIZERS, Adam


def reference_training(nn, X, Y, loss, optimizer, steps, lr, beta1, beta2, eps, lambd=0.0):
    params = {k: v.astype(np.float64) for k, v in nn.parameters.items()}
    V = {k: np.zeros_like(v) for k, v in params.items()}
    S = {k: np.zeros_like(v) for k, v in params.items()}
    mu_product = 1.0
    for t in range(1, steps + 1):
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * 0.004))  # NAdam's momentum schedule
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * 0.004))
        mu_product *= mu
        A, caches = nn.forward_propagation(X, parameters=params, training=True)
        grads = nn.backward_propagation(A, Y, caches, lambd=lambd, loss=loss)
        for k in params:
            g = grads["d" + k]
            if optimizer == "gd":
                params[k] = params[k] - lr * g
            elif optimizer == "momentum":
                V[k] = beta1 * V[k] + (1 - beta1) * g
                params[k] = params[k] - lr * V[k]
            elif optimizer == "rmsprop":
                S[k] = beta1 * S[k] + (1 - beta1) * g ** 2
                params[k] = params[k] - lr * g / (np.sqrt(S[k]) + eps)
            elif optimizer == "nesterov":
                V[k] = beta1 * V[k] + (1 - beta1) * g
                params[k] = params[k] - lr * (beta1 * V[k] + (1 - beta1) * g)
            elif optimizer in ("adam", "adamw"):
                if optimizer == "adamw" and k.startswith("W"):  # decoupled decay, weights only
                    params[k] = params[k] - lr * 0.01 * params[k]
                V[k] = beta1 * V[k] + (1 - beta1) * g
                S[k] = beta2 * S[k] + (1 - beta2) * g ** 2
                V_corrected = V[k] / (1 - beta1 ** t)
                S_corrected = S[k] / (1 - beta2 ** t)
                params[k] = params[k] - lr * V_corrected / (np.sqrt(S_corrected) + eps)
            elif optimizer == "nadam":
                V[k] = beta1 * V[k] + (1 - beta1) * g
                S[k] = beta2 * S[k] + (1 - beta2) * g ** 2
                denominator = np.sqrt(S[k] / (1 - beta2 ** t)) + eps
                params[k] = (params[k] - lr * (1 - mu) / (1 - mu_product) * g / denominator
                             - lr * mu_next / (1 - mu_product * mu_next) * V[k] / denominator)
    return params


STEP_OPTIMIZERS = sorted(name for name, cls in OPTIMIZERS.items() if not cls.full_batch)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("optimizer", STEP_OPTIMIZERS)
def test_first_steps_match_the_textbook_formulas(optimizer, batch_norm):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 20))
    y = rng.integers(0, 3, size=(1, 20))
    nn = ClassifierNN([3, 6, 3], ["tanh", "softmax"], batch_norm=batch_norm, seed=0)
    hyper = dict(lr=0.05, beta1=0.8, beta2=0.95, eps=1e-3)  # non-defaults expose mix-ups
    expected = reference_training(nn, X, y, "SparseCategoricalCrossEntropy", optimizer, 4,
                                  lambd=0.1, **hyper)
    # Full batch, so no shuffling: 4 epochs are exactly 4 steps.
    nn.train(X, y, loss="SparseCategoricalCrossEntropy", num_epochs=4, batch_size=None,
             learning_rate=hyper["lr"], beta1=hyper["beta1"], beta2=hyper["beta2"],
             epsilon=hyper["eps"], lambd=0.1, optimizer=optimizer, print_cost=False)
    for k, value in expected.items():
        np.testing.assert_allclose(nn.parameters[k], value, rtol=1e-12, atol=1e-14, err_msg=k)
    assert nn.optimizer.t == 4


def test_one_sgd_step_by_hand():
    """[2, 1] sigmoid network, one example: the arithmetic written out."""
    nn = ClassifierNN([2, 1], ["sigmoid"], seed=0)
    nn.parameters["W1"][...] = [[0.1, 0.2]]
    nn.parameters["b1"][...] = 0.0
    X = np.array([[1.0], [2.0]])
    Y = np.array([[1.0]])
    # z = 0.1*1 + 0.2*2 = 0.5; a = sigmoid(0.5) = 0.6224593312018546
    # dZ = (a - y) / m = -0.3775406687981454
    # dW = dZ x^T = [-0.37754067, -0.75508134]; db = dZ
    # W <- W - 0.1 dW = [0.13775407, 0.27550813]; b <- 0.03775407
    _, costs = nn.train(X, Y, num_epochs=1, learning_rate=0.1, batch_size=None, print_cost=False)
    a = 1 / (1 + np.exp(-0.5))
    np.testing.assert_allclose(nn.parameters["W1"], [[0.1 + 0.1 * (1 - a), 0.2 + 0.2 * (1 - a)]])
    np.testing.assert_allclose(nn.parameters["b1"], [[0.1 * (1 - a)]])
    np.testing.assert_allclose(nn.parameters["W1"], [[0.13775407, 0.27550813]], atol=1e-8)
    assert costs == [pytest.approx(-np.log(a))]


def test_first_adam_step_moves_each_parameter_by_about_the_learning_rate():
    # With bias correction, V_c = g and S_c = g^2 at t = 1, so the step is lr * g / (|g| + eps).
    theta = np.zeros(4)
    grad = np.array([3.0, -0.5, 1e-3, 0.0])
    adam = Adam(4, np.float64, learning_rate=0.1, epsilon=1e-8)
    adam.step(theta, grad)
    np.testing.assert_allclose(theta, -0.1 * grad / (np.abs(grad) + 1e-8), rtol=1e-10)
    assert adam.t == 1


@pytest.mark.parametrize("optimizer", STEP_OPTIMIZERS)
def test_float32_state_stays_float32(optimizer):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 30)).astype(np.float32)
    y = (X[0:1] > 0).astype(np.float32)
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=1)
    nn.train(X, y, num_epochs=2, optimizer=optimizer, print_cost=False)
    assert nn.theta.dtype == np.float32
    assert all(v.dtype == np.float32 for v in nn.parameters.values())
    for value in nn.optimizer.state().values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


@pytest.mark.parametrize("optimizer", STEP_OPTIMIZERS)
def test_a_non_finite_update_is_refused(optimizer):
    cls = OPTIMIZERS[optimizer]
    theta = np.array([1.0, -2.0, 3.0])
    opt = cls(3, np.float64, learning_rate=0.1)
    assert opt.step(theta, np.array([0.5, 0.5, 0.5])) is True
    kept = theta.copy()
    assert opt.step(theta, np.array([np.nan, 0.0, 1.0])) is False
    np.testing.assert_array_equal(theta, kept)


def test_an_update_that_overflows_is_refused():
    theta = np.array([1.0, -2.0])
    gd = OPTIMIZERS["gd"](2, np.float64, learning_rate=1e308)
    with np.errstate(over="ignore"):  # the training loop runs its steps this way
        assert gd.step(theta, np.array([1e300, 1.0])) is False
    np.testing.assert_array_equal(theta, [1.0, -2.0])


def test_state_reports_the_textbook_moments():
    g1, g2 = np.array([0.2, -1.0]), np.array([0.4, 3.0])
    adam = Adam(2, np.float64, beta1=0.8, beta2=0.9)
    adam.step(np.zeros(2), g1)
    adam.step(np.zeros(2), g2)
    state = adam.state()
    assert state["t"] == 2
    np.testing.assert_allclose(state["v"], 0.8 * (0.2 * g1) + 0.2 * g2)
    np.testing.assert_allclose(state["s"], 0.9 * (0.1 * g1 ** 2) + 0.1 * g2 ** 2)
    momentum = OPTIMIZERS["momentum"](2, np.float64, beta1=0.8)
    momentum.step(np.zeros(2), g1)
    np.testing.assert_allclose(momentum.state()["v"], 0.2 * g1)
    rmsprop = OPTIMIZERS["rmsprop"](2, np.float64, beta1=0.8)
    rmsprop.step(np.zeros(2), g1)
    np.testing.assert_allclose(rmsprop.state()["s"], 0.2 * g1 ** 2)
