"""Diagnostics: each recorded quantity against an independent computation on tiny networks whose
dead and saturated units are built in, and the warnings it gives at the end of a run."""

import warnings
from pathlib import Path

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.callbacks import Callback, Diagnostics
from scratchnn.datasets import make_moons
from scratchnn.diagnostics import QUANTITIES, TrainingProblemWarning


def positive_data(m=40, seed=0):
    """Inputs in [0.5, 1.5]^2, so a unit with negative weights and bias is never positive."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.5, 1.5, size=(2, m))
    Y = (X[0] > X[1]).astype(np.float64).reshape(1, -1)
    return X, Y


def relu_net_with_a_dead_unit():
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)
    nn.parameters["W1"][...] = [[0.8, -0.3], [-1.0, -1.0], [0.2, 0.9]]
    nn.parameters["b1"][...] = [[0.1], [-0.5], [0.0]]  # unit 2: Z < -1.5 on every example
    nn.parameters["W2"][...] = [[0.7, -0.4, 0.5]]
    return nn


def test_callbacks_module_exports_it():
    import scratchnn.diagnostics

    assert Diagnostics is scratchnn.diagnostics.Diagnostics
    assert issubclass(Diagnostics, Callback)


def test_one_full_batch_step_matches_a_hand_computation():
    X, Y = positive_data()
    nn = relu_net_with_a_dead_unit()
    theta0 = nn.theta.copy()
    W1, b1 = theta0[:6].reshape(3, 2), theta0[6:9].reshape(3, 1)
    W2 = theta0[9:12].reshape(1, 3)
    # Independent pieces: the gradient from the model's objective, activations by hand.
    _, gradient = nn.cost_and_gradient(theta0, X, Y)
    dW1, dW2 = gradient[:6], gradient[9:12]
    A1 = np.maximum(W1 @ X + b1, 0.0)
    A2 = 1.0 / (1.0 + np.exp(-(W2 @ A1 + theta0[12])))
    lr = 0.1
    diagnostics = Diagnostics()
    nn.train(X, Y, num_epochs=1, learning_rate=lr, batch_size=None, optimizer="gd",
             print_cost=False, callbacks=[diagnostics])
    history = diagnostics.history
    assert set(history) == set(QUANTITIES)
    assert all(values.shape == (1, 2) for values in history.values())
    assert diagnostics.layer_names == ["layer 1 (relu)", "layer 2 (sigmoid)"]
    np.testing.assert_allclose(history["grad_norm"][0],
                               [np.linalg.norm(dW1), np.linalg.norm(dW2)], rtol=1e-12)
    # Plain gradient descent moves W by lr * dW.
    np.testing.assert_allclose(history["update_ratio"][0],
                               [lr * np.linalg.norm(dW1) / np.linalg.norm(W1),
                                lr * np.linalg.norm(dW2) / np.linalg.norm(W2)], rtol=1e-9)
    np.testing.assert_allclose(history["weight_norm"][0],
                               [np.linalg.norm(nn.parameters["W1"]),
                                np.linalg.norm(nn.parameters["W2"])], rtol=1e-12)
    assert history["weight_norm"][0][0] != pytest.approx(np.linalg.norm(W1))  # after the step
    np.testing.assert_allclose(history["activation_mean"][0], [A1.mean(), A2.mean()],
                               rtol=1e-12)
    np.testing.assert_allclose(history["activation_std"][0], [A1.std(), A2.std()], rtol=1e-9)
    assert history["dead_fraction"][0][0] == pytest.approx(1 / 3)
    # Not applicable: saturation of a relu layer, anything unit-wise of the output layer.
    assert np.isnan(history["saturated_fraction"][0]).all()
    assert np.isnan(history["dead_fraction"][0][1])


def test_mini_batches_average_over_steps_and_count_every_example():
    X, Y = positive_data(m=40)
    nn = relu_net_with_a_dead_unit()
    # Unit 3 is positive on only one example; in mini-batches it is still alive in the epoch.
    nn.parameters["W1"][2] = [1.0, 1.0]
    nn.parameters["b1"][2] = -(X.sum(axis=0).max() - 1e-6)
    steps = []

    class Recorder(Callback):
        def on_batch_end(self, step):
            steps.append(np.linalg.norm(step.grads["dW1"]))

    diagnostics = Diagnostics()
    nn.train(X, Y, num_epochs=2, learning_rate=0.01, batch_size=8, optimizer="adam",
             print_cost=False, callbacks=[Recorder(), diagnostics])
    assert diagnostics.n_epochs == 2 and len(steps) == 10
    np.testing.assert_allclose(diagnostics.history["grad_norm"][:, 0],
                               [np.mean(steps[:5]), np.mean(steps[5:])], rtol=1e-12)
    assert diagnostics.history["dead_fraction"][0, 0] == pytest.approx(1 / 3)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturated_units_are_those_pinned_to_a_bound(activation):
    X, Y = positive_data()
    nn = ClassifierNN([2, 4, 1], [activation, "sigmoid"], seed=0)
    # Unit 1 pinned at the top, unit 2 at the bottom on every example; units 3, 4 moderate.
    nn.parameters["W1"][...] = [[40.0, 40.0], [-40.0, -40.0], [0.3, -0.2], [-0.1, 0.4]]
    diagnostics = Diagnostics()
    nn.train(X, Y, num_epochs=1, learning_rate=1e-6, batch_size=None, print_cost=False,
             callbacks=[diagnostics])
    assert diagnostics.last("saturated_fraction")[0] == pytest.approx(0.5)
    assert np.isnan(diagnostics.last("dead_fraction")[0])
    assert diagnostics.problems() and "2 of 4 units" in diagnostics.problems()[0]


def test_a_mostly_dead_layer_is_reported_and_warned_about():
    X, Y = positive_data()
    nn = relu_net_with_a_dead_unit()
    nn.parameters["W1"][0] = [-2.0, -2.0]  # two of three units dead now
    diagnostics = Diagnostics(warn=True)
    with pytest.warns(TrainingProblemWarning, match=r"layer 1 \(relu\): 2 of 3 units") as caught:
        nn.train(X, Y, num_epochs=3, learning_rate=0.01, batch_size=None, print_cost=False,
                 callbacks=[diagnostics])
    assert "leaky_relu" in str(caught[0].message)


def test_vanishing_gradients_of_a_deep_sigmoid_stack_are_reported():
    X, y = make_moons(n_samples=100, seed=0)
    nn = ClassifierNN([2] + [8] * 6 + [1], ["sigmoid"] * 7, "random", seed=0)
    diagnostics = Diagnostics()
    # The check at the end of every run sees it too (from the last step's gradients).
    with pytest.warns(TrainingProblemWarning, match="vanishing gradients"):
        nn.train(X.T, y.reshape(1, -1), num_epochs=2, learning_rate=0.01, print_cost=False,
                 callbacks=[diagnostics])
    grad = diagnostics.last("grad_norm")
    assert grad[0] < 1e-4 * grad[-1]
    (message,) = diagnostics.problems()
    assert message.startswith("vanishing gradients") and "layer 1 (sigmoid)" in message


def test_a_healthy_run_reports_nothing():
    X, y = make_moons(n_samples=200, noise=0.1, seed=0)
    nn = ClassifierNN([2, 8, 8, 1], ["relu", "relu", "sigmoid"], seed=0)
    diagnostics = Diagnostics(warn=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingProblemWarning)
        nn.train(X.T, y.reshape(1, -1), num_epochs=20, learning_rate=0.01, optimizer="adam",
                 print_cost=False, callbacks=[diagnostics])
    assert diagnostics.problems() == []
    assert diagnostics.n_epochs == 20
    assert np.all(np.isfinite(diagnostics.history["grad_norm"]))


def test_reading_before_training_and_bad_arguments():
    diagnostics = Diagnostics()
    assert diagnostics.n_epochs == 0 and diagnostics.problems() == []
    with pytest.raises(ValueError, match="no epoch recorded"):
        diagnostics.last("grad_norm")
    with pytest.raises(ValueError, match="name must be one of"):
        diagnostics.last("gradient")
    with pytest.raises(TypeError, match="warn"):
        Diagnostics(warn="yes")


@pytest.mark.parametrize(("batch_norm", "keep_prob", "dtype"), [
    (True, None, "float64"), (False, (1.0, 0.8), "float64"), (False, None, "float32"),
])
def test_batch_norm_dropout_and_float32_runs_are_recorded(batch_norm, keep_prob, dtype):
    X, y = make_moons(n_samples=80, seed=0)
    nn = ClassifierNN([2, 6, 1], ["relu", "sigmoid"], batch_norm=batch_norm, seed=0, dtype=dtype)
    diagnostics = Diagnostics()
    nn.train(X.T.astype(dtype), y.reshape(1, -1), num_epochs=3, batch_size=16, keep_prob=keep_prob,
             print_cost=False, callbacks=[diagnostics])
    for name in ("grad_norm", "weight_norm", "update_ratio", "activation_mean",
                 "activation_std"):
        values = diagnostics.history[name]
        assert values.shape == (3, 2) and values.dtype == np.float64
        assert np.all(np.isfinite(values)) and np.all(values[:, :1] >= 0)
    assert 0.0 <= diagnostics.last("dead_fraction")[0] <= 1.0


def _in_mutmut_copy():
    # mutmut runs the tests on a copy under mutants/, where its trampolines add stack frames to
    # every mutated function: which line a warning names is then not the caller's.
    return "mutants" in Path(__file__).resolve().parts


@pytest.mark.skipif(_in_mutmut_copy(), reason="mutmut's trampolines add stack frames")
def test_the_end_of_training_warning_names_the_line_that_called_train():
    X, y = make_moons(n_samples=100, seed=0)
    nn = ClassifierNN([2] + [8] * 6 + [1], ["sigmoid"] * 7, "random", seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.train(X.T, y.reshape(1, -1), num_epochs=2, learning_rate=0.01, print_cost=False)
    problems = [w for w in caught if issubclass(w.category, TrainingProblemWarning)]
    assert problems, "the deep sigmoid stack's vanishing gradients were not reported"
    assert {(w.filename, w.lineno) for w in problems} == {(__file__, problems[0].lineno)}
    assert "nn.train(" in Path(__file__).read_text().splitlines()[problems[0].lineno - 1]


@pytest.mark.skipif(_in_mutmut_copy(), reason="mutmut's trampolines add stack frames")
def test_the_interrupted_training_warning_names_the_line_that_called_train():
    X, y = make_moons(n_samples=40, seed=0)
    nn = ClassifierNN([2, 4, 1], ["tanh", "sigmoid"], seed=0)

    def interrupt(epoch, cost):
        if epoch == 2:
            raise KeyboardInterrupt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(KeyboardInterrupt):
            nn.train(X.T, y.reshape(1, -1), num_epochs=5, print_cost=False, callback=interrupt)
    (warning,) = [w for w in caught if "training interrupted" in str(w.message)]
    assert warning.filename == __file__
    assert "nn.train(" in Path(__file__).read_text().splitlines()[warning.lineno - 1]
