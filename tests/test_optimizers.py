"""Optimizer steps against independently written formulas.

The reference below follows the README's per-parameter formulas literally (a dict of V and S per
``dW``/``db``, bias-corrected copies for Adam, epsilon outside the square root), sharing nothing
with :mod:`scratchnn.optimizers` except the gradients, which test_gradcheck.py checks separately.
"""

import inspect
import tracemalloc

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


def reference_mu_product(beta1, t):
    """NAdam's :math:`\\Pi_t = \\prod_{i \\le t} \\beta_1 (1 - 0.5 \\cdot 0.96^{0.004 i})`."""
    product = 1.0
    for i in range(1, t + 1):
        product *= beta1 * (1 - 0.5 * 0.96 ** (i * 0.004))
    return product


@pytest.mark.parametrize("order", [[5, 2, 7], [3, 3, 1, 4], [1, 0, 6]],
                         ids=["back-then-on", "repeat-then-back", "to-zero"])
def test_nadam_mu_product_in_any_call_order(order):
    """The cached product is right whatever the order of the calls, including an earlier ``t``
    (a checkpoint of fewer steps loaded into the same optimizer)."""
    nadam = OPTIMIZERS["nadam"](2, np.float64, beta1=0.8)
    for t in order:
        assert nadam.mu_product(t) == pytest.approx(reference_mu_product(0.8, t), rel=1e-14)


def test_nadam_configure_changes_hyperparameters_and_the_momentum_schedule():
    """``resume=True`` with new hyperparameters: every one is taken, the textbook moments are
    kept, and the momentum product follows the *new* beta1 (it is cached per beta1)."""
    rng = np.random.default_rng(3)
    nadam = OPTIMIZERS["nadam"](4, np.float64, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                epsilon=1e-8)
    for _ in range(3):
        nadam.step(np.zeros(4), rng.standard_normal(4))
    before = nadam.state()
    assert nadam.mu_product(3) == pytest.approx(reference_mu_product(0.9, 3), rel=1e-14)
    nadam.configure(0.05, 0.7, 0.95, 1e-3)
    assert (nadam.learning_rate, nadam.beta1, nadam.beta2, nadam.epsilon) == (0.05, 0.7, 0.95,
                                                                                1e-3)
    after = nadam.state()
    assert after["t"] == 3
    for name in ("v", "s"):
        np.testing.assert_allclose(after[name], before[name], rtol=1e-14, err_msg=name)
    for t in (3, 4, 1):
        assert nadam.mu_product(t) == pytest.approx(reference_mu_product(0.7, t), rel=1e-14)


@pytest.mark.parametrize("optimizer", STEP_OPTIMIZERS)
def test_configure_with_unchanged_betas_keeps_the_moments_bit_for_bit(optimizer):
    """A resume that changes only the learning rate or epsilon must not round the stored
    moments through the textbook form and back (a resumed run continues bit for bit)."""
    rng = np.random.default_rng(4)
    opt = OPTIMIZERS[optimizer](1000, np.float64, learning_rate=0.01, beta1=0.9, beta2=0.999)
    for _ in range(3):
        opt.step(np.zeros(1000), rng.standard_normal(1000))
    stored = {name: value.copy() for name, value in opt.stored_moments.items()}
    opt.configure(0.02, 0.9, 0.999, 1e-6)
    assert (opt.learning_rate, opt.epsilon) == (0.02, 1e-6)
    for name, value in stored.items():
        np.testing.assert_array_equal(opt.stored_moments[name], value, err_msg=name)


@pytest.mark.parametrize("optimizer", STEP_OPTIMIZERS)
def test_hyperparameters_given_by_keyword_are_used(optimizer):
    """Each optimizer passes keyword hyperparameters on to the shared constructor."""
    opt = OPTIMIZERS[optimizer](3, np.float64, learning_rate=0.3, beta1=0.6, beta2=0.7,
                                epsilon=0.2)
    assert (opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon) == (0.3, 0.6, 0.7, 0.2)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_constructor_defaults_are_trains_defaults(optimizer):
    """An optimizer built without hyperparameters starts as ``train`` would start it: step 0,
    zero moments, no weight decay until :meth:`set_weight_decay`, no callback state."""
    defaults = inspect.signature(ClassifierNN.train).parameters
    opt = OPTIMIZERS[optimizer](3, np.float64)
    for name in ("learning_rate", "beta1", "beta2", "epsilon"):
        assert getattr(opt, name) == defaults[name].default, name
    assert opt.t == 0 and opt.epoch == 0
    assert opt.state()["t"] == 0
    assert opt.weight_decay == 0.0 and opt.decayed == ()
    assert opt.callback_states == {}
    for name, value in opt.stored_moments.items():
        np.testing.assert_array_equal(value, np.zeros(3), err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer", STEP_OPTIMIZERS)
def test_memory_is_a_few_arrays_of_theta_and_a_step_allocates_nothing(optimizer, dtype):
    """The module's promise: the moments and one or two scratch arrays, all the size and dtype of
    ``theta``, are made once; a step then allocates no array (in place, even at the last op)."""
    n = 100_000
    cls = OPTIMIZERS[optimizer]
    theta, grad = np.ones(n, dtype=dtype), np.full(n, 0.5, dtype=dtype)
    tracemalloc.start()
    try:
        opt = cls(n, dtype, learning_rate=0.1)
        built = tracemalloc.get_traced_memory()[0]
        opt.step(theta, grad)
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        assert opt.step(theta, grad) is True
        allocated = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    small = theta.nbytes // 10  # room for Python objects, far below one more array
    assert built <= (len(cls.moment_decays) + 2) * theta.nbytes + small
    assert allocated < small


def test_lbfgs_refuses_a_single_step():
    """L-BFGS runs whole through SciPy; a per-step call says so instead of doing anything."""
    theta = np.array([1.0, 2.0])
    lbfgs = OPTIMIZERS["lbfgs"](2, np.float64)
    with pytest.raises(TypeError, match=r"^L-BFGS does not take single steps; "
                                        r"scratchnn\.training\.fit runs it whole$"):
        lbfgs.step(theta, np.array([0.1, 0.2]))
    np.testing.assert_array_equal(theta, [1.0, 2.0])
