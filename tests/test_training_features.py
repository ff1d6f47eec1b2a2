"""Training like Keras and PyTorch: validation data, history, callbacks, clipping, weight decay,
label smoothing, the new optimizers and L-BFGS.

Every update is compared with an independently written formula (the documented math), never
with the library's own code path.
"""

import math
import sys
import warnings

import numpy as np
import pytest

from scratchnn import ClassifierNN, losses
from scratchnn import optimizers as O
from scratchnn.callbacks import Callback, EarlyStopping
from scratchnn.datasets import make_moons
from scratchnn.parameters import slices
from scratchnn.training import EVALUATION_CHUNK, ValidationData


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(300, noise=0.2, seed=0)
    return X.T, y.reshape(1, -1)


def three_classes(X, y):
    return (y + (X[0:1] > 1.0)).astype(int)


# --------------------------------------------------------------------------- optimizer formulas
N = 10
DECAYED = slice(0, 6)  # the "weights" of the flat vector; the rest are "biases"


def gradient_sequence(seed=0, steps=30):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(N), [rng.standard_normal(N) for _ in range(steps)]


def run_ours(cls, learning_rate, weight_decay=0.0, beta1=0.9, beta2=0.999, epsilon=1e-8):
    theta0, grads = gradient_sequence()
    optimizer = cls(N, np.float64, learning_rate, beta1, beta2, epsilon)
    optimizer.set_weight_decay(weight_decay, [DECAYED])
    theta = theta0.copy()
    for g in grads:
        assert optimizer.step(theta, g.copy())
    return theta


def decay(theta, lr, wd):
    theta = theta.copy()
    theta[DECAYED] -= lr * wd * theta[DECAYED]
    return theta


def test_nesterov_matches_its_formula():
    theta, grads = gradient_sequence()
    lr, b1 = 0.05, 0.9
    v = np.zeros(N)
    for g in grads:
        v = b1 * v + (1 - b1) * g
        theta = theta - lr * (b1 * v + (1 - b1) * g)
    np.testing.assert_allclose(run_ours(O.Nesterov, lr, beta1=b1), theta, rtol=1e-12)


def test_adamw_matches_decoupled_weight_decay_on_the_weights_only():
    theta, grads = gradient_sequence()
    lr, wd, b1, b2, eps = 0.01, 0.05, 0.9, 0.999, 1e-8
    m = v = np.zeros(N)
    for t, g in enumerate(grads, start=1):
        theta = decay(theta, lr, wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    np.testing.assert_allclose(run_ours(O.AdamW, lr, wd), theta, rtol=1e-12)
    # the undecayed part moves exactly as plain Adam's
    np.testing.assert_array_equal(run_ours(O.AdamW, lr, wd)[6:], run_ours(O.Adam, lr)[6:])
    assert not np.allclose(run_ours(O.AdamW, lr, wd)[:6], run_ours(O.Adam, lr)[:6])


def test_nadam_matches_its_formula():
    theta, grads = gradient_sequence()
    lr, b1, b2, eps, psi = 0.01, 0.9, 0.999, 1e-8, 0.004
    m = v = np.zeros(N)
    product = 1.0
    for t, g in enumerate(grads, start=1):
        mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        product *= mu
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        theta = (theta - lr * (1 - mu) / (1 - product) * g / denom
                 - lr * mu_next / (1 - product * mu_next) * m / denom)
    np.testing.assert_allclose(run_ours(O.NAdam, lr), theta, rtol=1e-12)


def test_weight_decay_works_with_every_step_optimizer():
    for cls in (O.GradientDescent, O.Momentum, O.RMSprop, O.Adam, O.NAdam, O.Nesterov):
        with_decay, without = run_ours(cls, 0.01, 0.5), run_ours(cls, 0.01)
        np.testing.assert_array_equal(with_decay[6:], without[6:])
        assert np.all(np.abs(with_decay[:6] - without[:6]) > 0)


def test_new_optimizers_are_in_the_registry():
    for name in ("nesterov", "adamw", "nadam", "lbfgs"):
        assert O.get(name).name == name
    assert O.AdamW.default_weight_decay == 0.01 and O.Adam.default_weight_decay == 0.0


# --------------------------------------------------------------------------- one training step
def one_full_batch_step(moons, **kwargs):
    """The parameters before and after one full-batch gd step, and the gradient at the start."""
    X, Y = moons
    nn = ClassifierNN([2, 5, 1], ["tanh", "sigmoid"], seed=3)
    theta0 = nn.theta.copy()
    _, grad = nn.cost_and_gradient(theta0, X, Y, lambd=kwargs.get("lambd", 0))
    nn.train(X, Y, num_epochs=1, batch_size=None, print_cost=False, **kwargs)
    return nn, theta0, grad


def test_clipnorm_rescales_the_whole_gradient(moons):
    lr, c = 0.5, 0.01
    nn, theta0, g = one_full_batch_step(moons, learning_rate=lr, clipnorm=c, lambd=0.3)
    norm = np.sqrt(np.sum(g ** 2))
    assert norm > c  # the clip is active
    np.testing.assert_allclose(nn.theta, theta0 - lr * g * c / (norm + 1e-6), rtol=1e-12)
    nn, theta0, g = one_full_batch_step(moons, learning_rate=lr, clipnorm=1e6)
    np.testing.assert_allclose(nn.theta, theta0 - lr * g, rtol=1e-12)  # inactive: unchanged


def test_clipvalue_clamps_each_component(moons):
    lr, c = 0.5, 0.005
    nn, theta0, g = one_full_batch_step(moons, learning_rate=lr, clipvalue=c)
    assert np.any(np.abs(g) > c) and np.any(np.abs(g) < c)
    np.testing.assert_allclose(nn.theta, theta0 - lr * np.minimum(np.maximum(g, -c), c),
                               rtol=1e-12)


def test_weight_decay_in_train_shrinks_only_the_weights(moons):
    lr, wd = 0.5, 0.2
    nn, theta0, g = one_full_batch_step(moons, learning_rate=lr, weight_decay=wd)
    expected = theta0 - lr * g
    for name, part in slices(nn.parameter_shapes).items():
        if name.startswith("W"):
            expected[part] -= lr * wd * theta0[part]
    np.testing.assert_allclose(nn.theta, expected, rtol=1e-12)


def test_adamw_defaults_to_weight_decay_0_01(moons):
    X, Y = moons
    a = ClassifierNN([2, 5, 1], ["tanh", "sigmoid"], seed=3)
    b = ClassifierNN([2, 5, 1], ["tanh", "sigmoid"], seed=3)
    a.train(X, Y, optimizer="adamw", num_epochs=2, print_cost=False)
    b.train(X, Y, optimizer="adam", weight_decay=0.01, num_epochs=2, print_cost=False)
    np.testing.assert_array_equal(a.theta, b.theta)


# --------------------------------------------------------------------------- label smoothing
def softmax(Z):
    E = np.exp(Z - Z.max(axis=0))
    return E / E.sum(axis=0)


def test_label_smoothing_cost_matches_the_smoothed_cross_entropy(moons):
    X, y = moons
    Y3 = three_classes(X, y)
    nn = ClassifierNN([2, 6, 3], ["relu", "softmax"], seed=1)
    eps = 0.2
    cost, _ = nn.cost_and_gradient(nn.theta, X, Y3, "SparseCategoricalCrossEntropy",
                                   label_smoothing=eps)
    A = nn.predict_proba(X)
    one_hot = np.eye(3)[Y3[0]].T
    target = (1 - eps) * one_hot + eps / 3
    assert cost == pytest.approx(-np.mean(np.sum(target * np.log(A), axis=0)), rel=1e-10)
    # the one-hot loss gives the same smoothed cost
    cost_one_hot, _ = nn.cost_and_gradient(nn.theta, X, one_hot, "CategoricalCrossEntropy",
                                           label_smoothing=eps)
    assert cost_one_hot == pytest.approx(cost, rel=1e-12)


def test_binary_label_smoothing_follows_keras(moons):
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=2)
    eps = 0.3
    cost, _ = nn.cost_and_gradient(nn.theta, X, Y, label_smoothing=eps)
    a = nn.predict_proba(X)
    t = Y * (1 - eps) + eps / 2
    assert cost == pytest.approx(-np.mean(t * np.log(a) + (1 - t) * np.log(1 - a)), rel=1e-10)


@pytest.mark.parametrize("loss,outputs,activation", [
    ("SparseCategoricalCrossEntropy", 3, "softmax"),
    ("CategoricalCrossEntropy", 3, "softmax"),
    ("BinaryCrossEntropy", 1, "sigmoid"),
])
def test_gradient_check_with_label_smoothing(moons, loss, outputs, activation):
    X, y = moons
    X = X[:, :20]
    Y3 = three_classes(X, y[:, :20])
    Y = {"SparseCategoricalCrossEntropy": Y3, "CategoricalCrossEntropy": np.eye(3)[Y3[0]].T,
         "BinaryCrossEntropy": y[:, :20]}[loss]
    nn = ClassifierNN([2, 5, outputs], ["tanh", activation], seed=4, batch_norm=True,
                      dtype="float64")
    difference = nn.gradient_check(X, Y, loss=loss, lambd=0.1, label_smoothing=0.15)
    assert difference < 1e-7


def test_label_smoothing_changes_training_but_still_learns(moons):
    X, y = moons
    Y3 = three_classes(X, y)
    plain = ClassifierNN([2, 16, 3], ["relu", "softmax"], seed=0)
    smooth = ClassifierNN([2, 16, 3], ["relu", "softmax"], seed=0)
    kwargs = dict(loss="SparseCategoricalCrossEntropy", optimizer="adam", learning_rate=0.02,
                  num_epochs=60, print_cost=False)
    plain.train(X, Y3, **kwargs)
    smooth.train(X, Y3, label_smoothing=0.2, **kwargs)
    assert not np.array_equal(plain.theta, smooth.theta)
    assert smooth.accuracy(X, Y3) > 0.85
    # smoothed targets keep the confidence away from 1
    assert smooth.predict_proba(X).max() < plain.predict_proba(X).max()


# --------------------------------------------------------------------------- validation, history
def test_history_and_validation_values(moons):
    X, Y = moons
    X_val, Y_val = X[:, :90], Y[:, :90]
    nn = ClassifierNN([2, 8, 8, 1], ["relu", "relu", "sigmoid"], seed=5, batch_norm=True)
    _, costs = nn.train(X, Y, optimizer="adam", learning_rate=0.01, num_epochs=7,
                        keep_prob=[1.0, 0.8, 0.8], lambd=0.5, batch_size=50,
                        validation_data=(X_val, Y_val), print_cost=False)
    history = nn.history
    assert set(history) == {"loss", "learning_rate", "val_loss", "val_accuracy"}
    assert history["loss"] == costs and len(costs) == 7
    assert history["learning_rate"] == [0.01] * 7
    # The last epoch's values: no dropout, batch norm on running statistics, no L2 term.
    A = nn.predict_proba(X_val)
    expected = -np.mean(Y_val * np.log(A) + (1 - Y_val) * np.log(1 - A))
    assert history["val_loss"][-1] == pytest.approx(expected, rel=1e-9)
    assert history["val_accuracy"][-1] == nn.accuracy(X_val, Y_val)


def test_validation_accuracy_for_sparse_and_one_hot_labels(moons):
    X, y = moons
    Y3 = three_classes(X, y)
    for loss, labels in (("SparseCategoricalCrossEntropy", Y3),
                         ("CategoricalCrossEntropy", np.eye(3)[Y3[0]].T)):
        nn = ClassifierNN([2, 8, 3], ["relu", "softmax"], seed=6)
        nn.train(X, labels, loss=loss, num_epochs=3, optimizer="adam", print_cost=False,
                 validation_data=(X[:, :50], labels[:, :50]))
        assert nn.history["val_accuracy"][-1] == nn.accuracy(X[:, :50], Y3[:, :50])


def test_validation_data_is_checked_and_named(moons):
    """Each bad part of ``validation_data`` is an error whose message starts with its name."""
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(TypeError, match=r"^validation_data must be a tuple \(X_val, Y_val\), "
                                        r"got ndarray$"):
        nn.train(X, Y, num_epochs=1, validation_data=X, print_cost=False)
    with pytest.raises(ValueError, match=r"^validation_data X_val has 1 rows \(features\) but "
                                         r"the network expects 2"):
        nn.train(X, Y, num_epochs=1, validation_data=(X[:1], Y), print_cost=False)
    with pytest.raises(ValueError, match=r"^validation_data Y_val for BinaryCrossEntropy must "
                                         r"hold values in \[0, 1\]"):
        nn.train(X, Y, num_epochs=1, validation_data=(X, Y * 2), print_cost=False)
    with pytest.raises(ValueError, match=r"^validation_data Y_val has 5 examples \(columns\) "
                                         r"but validation_data X_val has 300$"):
        nn.train(X, Y, num_epochs=1, validation_data=(X, Y[:, :5]), print_cost=False)


def single_layer(outputs, activation, W, b, dtype=np.float64):
    """A network of one dense layer with the given weights: its logits are ``W @ X + b``."""
    nn = ClassifierNN([W.shape[1], outputs], [activation], seed=0, dtype=dtype)
    nn.parameters["W1"][...] = W
    nn.parameters["b1"][...] = b
    return nn


def log_softmax(Z):
    return Z - np.logaddexp.reduce(Z, axis=0)


@pytest.mark.parametrize("activation,loss", [
    ("sigmoid", losses.BinaryCrossEntropy),
    ("softmax", losses.SparseCategoricalCrossEntropy),
], ids=["sigmoid", "softmax"])
def test_validation_scores_of_a_set_larger_than_one_chunk(activation, loss):
    """A set of more than ``EVALUATION_CHUNK`` examples is scored in chunks; ``val_loss`` and
    ``val_accuracy`` are still the means over the whole set, and the loss is the exact one from
    the logits even where a probability rounds to 0 or 1 (logits in the hundreds)."""
    rng = np.random.default_rng(0)
    m = EVALUATION_CHUNK + 904
    outputs = 1 if activation == "sigmoid" else 3
    X = rng.standard_normal((2, m))
    W, b = 300.0 * rng.standard_normal((outputs, 2)), rng.standard_normal((outputs, 1))
    Z = W @ X + b
    if activation == "sigmoid":
        y = rng.integers(0, 2, (1, m))
        expected_loss = np.mean(np.logaddexp(0.0, Z) - Z * y)
        expected_accuracy = np.count_nonzero((Z > 0) == (y == 1)) / m
    else:
        y = rng.integers(0, 3, (1, m))
        expected_loss = -np.mean(log_softmax(Z)[y[0], np.arange(m)])
        expected_accuracy = np.count_nonzero(np.argmax(Z, axis=0) == y[0]) / m
    assert expected_loss > 50  # confidently wrong predictions dominate: clipped logs would not
    nn = single_layer(outputs, activation, W, b)
    validation = ValidationData.from_arguments(nn, (X, y), loss, 0.0, np.float64)
    scores = validation.evaluate(nn)
    assert scores["val_loss"] == pytest.approx(expected_loss, rel=1e-12)
    assert scores["val_accuracy"] == expected_accuracy


def test_validation_accuracy_of_sigmoid_outputs_thresholds_above_one_half():
    """Sigmoid outputs count as 1 only above 0.5 (Keras's ``binary_accuracy``), and a target
    of exactly 0.5 as 0, by the same rule; with several outputs the accuracy is the mean
    agreement over outputs and examples (not the argmax of a softmax)."""
    X = np.array([[1.0, -1.0, 2.0, -2.0]])
    # All parameters zero: every probability is exactly 1/2, so every prediction is 0.
    flat = single_layer(1, "sigmoid", np.zeros((1, 1)), np.zeros((1, 1)))
    targets = np.array([[0.0, 0.5, 1.0, 0.0]])
    scores = ValidationData.from_arguments(flat, (X, targets), losses.BinaryCrossEntropy, 0.0,
                                           np.float64).evaluate(flat)
    assert scores["val_accuracy"] == 3 / 4
    # Two outputs: Z = (x, -x + 1.5), predicted (x > 0, x < 1.5).
    two = single_layer(2, "sigmoid", np.array([[1.0], [-1.0]]), np.array([[0.0], [1.5]]))
    Y = np.array([[1, 1, 1, 0], [1, 0, 0, 1]])
    predicted = np.array([[1, 0, 1, 0], [1, 1, 0, 1]])
    expected = np.mean(predicted == Y)  # 6 of 8
    scores = ValidationData.from_arguments(two, (X, Y), losses.BinaryCrossEntropy, 0.0,
                                           np.float64).evaluate(two)
    assert expected == 6 / 8 and scores["val_accuracy"] == expected


def test_validation_labels_are_smoothed_and_kept_in_the_models_dtype():
    """With label smoothing the validation targets are smoothed as the training targets are
    (``y' = (1 - eps) y + eps / C``), while accuracy still compares with the hard labels; inputs
    and targets are held in the model's dtype (here float32, from float64 arguments)."""
    eps, C = 0.1, 3
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 12))
    y = np.array([[0, 1, 2] * 4])
    W, b = rng.standard_normal((C, 2)), rng.standard_normal((C, 1))
    nn = single_layer(C, "softmax", W, b, dtype=np.float32)
    validation = ValidationData.from_arguments(nn, (X, y), losses.SparseCategoricalCrossEntropy,
                                               eps, np.float32)
    assert validation.X.dtype == np.float32 and validation.Y.dtype == np.float32
    smoothed = (1 - eps) * np.eye(C)[y[0]].T + eps / C
    np.testing.assert_allclose(validation.Y, smoothed, rtol=1e-6)
    scores = validation.evaluate(nn)
    Z = W.astype(np.float32).astype(np.float64) @ X + b.astype(np.float32)
    expected_loss = -np.mean(np.sum(smoothed * log_softmax(Z), axis=0))
    assert scores["val_loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert scores["val_accuracy"] == np.mean(np.argmax(Z, axis=0) == y[0])


# --------------------------------------------------------------------------- callbacks
class Recorder(Callback):
    def __init__(self, stop_at=None):
        self.events, self.stop_at = [], stop_at

    def on_train_begin(self, model):
        self.events.append(("begin", model))

    def on_epoch_end(self, epoch, logs):
        self.events.append(("epoch", epoch, dict(logs)))
        return epoch == self.stop_at

    def on_train_end(self, logs):
        self.events.append(("end", dict(logs)))


def test_callbacks_see_each_epoch_and_can_stop(moons):
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    recorder, legacy = Recorder(stop_at=3), []
    _, costs = nn.train(X, Y, num_epochs=10, callbacks=[recorder], print_cost=False,
                        callback=lambda epoch, cost: legacy.append((epoch, cost)),
                        validation_data=(X, Y))
    assert len(costs) == 3
    assert recorder.events[0] == ("begin", nn)
    epochs = [e for e in recorder.events if e[0] == "epoch"]
    assert [e[1] for e in epochs] == [1, 2, 3]
    assert [e[2]["loss"] for e in epochs] == costs == [c for _, c in legacy]
    assert epochs[-1][2]["val_loss"] == nn.history["val_loss"][-1]
    assert recorder.events[-1][0] == "end" and recorder.events[-1][1]["loss"] == costs[-1]


def test_monitoring_validation_without_validation_data_fails_before_training(moons):
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    before = nn.theta.copy()
    with pytest.raises(ValueError, match="validation_data"):
        nn.train(X, Y, num_epochs=3, callbacks=[EarlyStopping("val_loss")], print_cost=False)
    np.testing.assert_array_equal(nn.theta, before)
    nn.train(X, Y, num_epochs=3, callbacks=[EarlyStopping("loss")], print_cost=False)


class Snapshots(Callback):
    """Keeps a copy of the parameters after every epoch."""

    def __init__(self):
        self.thetas = []

    def on_train_begin(self, model):
        self.model = model

    def on_epoch_end(self, epoch, logs):
        self.thetas.append(self.model.theta.copy())


def test_early_stopping_restores_the_best_epoch_even_at_the_last_epoch(moons):
    X, Y = moons
    snap = Snapshots()
    snapshots = snap.thetas
    nn = ClassifierNN([2, 8, 1], ["relu", "sigmoid"], seed=0)
    stopper = EarlyStopping("val_loss", patience=100)
    # Validation labels flipped: the better the model learns, the worse its val_loss.
    nn.train(X, Y, optimizer="adam", learning_rate=0.01, num_epochs=15, print_cost=False,
             validation_data=(X, 1 - Y), callbacks=[snap, stopper])
    losses = nn.history["val_loss"]
    best = int(np.argmin(losses))
    assert stopper.stopped_epoch is None and best < 10 and losses[-1] > losses[best]
    np.testing.assert_array_equal(nn.theta, snapshots[best])


def test_callbacks_argument_is_checked(moons):
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(TypeError, match=r"callbacks\[1\]"):
        nn.train(X, Y, num_epochs=1, callbacks=[Recorder(), print], print_cost=False)
    with pytest.raises(TypeError, match="callbacks must be a list"):
        nn.train(X, Y, num_epochs=1, callbacks=Recorder(), print_cost=False)


# --------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("name,value,error", [
    ("clipnorm", 0.0, ValueError), ("clipnorm", -1.0, ValueError), ("clipnorm", "1", TypeError),
    ("clipvalue", 0.0, ValueError), ("clipvalue", math.inf, ValueError),
    ("weight_decay", -0.1, ValueError), ("weight_decay", "x", TypeError),
    ("label_smoothing", 1.0, ValueError), ("label_smoothing", -0.1, ValueError),
    ("label_smoothing", None, TypeError),
    ("lr_schedule", 3, TypeError), ("lr_schedule", "sometimes", ValueError),
])
def test_bad_new_arguments_name_themselves(moons, name, value, error):
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(error, match=name):
        nn.train(X, Y, num_epochs=1, print_cost=False, **{name: value})


# --------------------------------------------------------------------------- L-BFGS
def test_lbfgs_equals_scipy_on_cost_and_gradient(moons):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    X, Y = moons
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7)
    theta0 = nn.theta.copy()
    fun = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7).objective(X, Y, lambd=0.1)
    reference = []

    def record(intermediate_result):
        reference.append(intermediate_result.fun)

    result = scipy_optimize.minimize(fun, theta0, jac=True, method="L-BFGS-B", callback=record,
                                     options={"maxiter": 25})
    _, costs = nn.train(X, Y, optimizer="lbfgs", num_epochs=25, lambd=0.1, print_cost=False)
    np.testing.assert_array_equal(nn.theta, result.x)
    assert costs == reference and len(costs) <= 25
    assert costs[-1] < costs[0] and nn.accuracy(X, Y) > 0.9


def test_lbfgs_refuses_what_would_make_its_cost_random_or_changing(moons):
    X, Y = moons
    nn = ClassifierNN([2, 4, 4, 1], ["relu", "relu", "sigmoid"], seed=0)
    for kwargs in (dict(keep_prob=[1.0, 0.5, 1.0]), dict(clipnorm=1.0),
                   dict(weight_decay=0.1), dict(lr_schedule="cosine")):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            nn.train(X, Y, optimizer="lbfgs", num_epochs=2, print_cost=False, **kwargs)


def test_lbfgs_with_batch_norm_sets_full_batch_statistics(moons):
    pytest.importorskip("scipy")
    X, Y = moons
    nn = ClassifierNN([2, 6, 1], ["relu", "sigmoid"], seed=1, batch_norm=True)
    nn.train(X, Y, optimizer="lbfgs", num_epochs=30, print_cost=False)
    Z1 = nn.parameters["W1"] @ X
    np.testing.assert_allclose(nn.bn_state["running_mean1"][:, 0], Z1.mean(axis=1), rtol=1e-10)
    np.testing.assert_allclose(nn.bn_state["running_var1"][:, 0], Z1.var(axis=1), rtol=1e-10)
    assert nn.accuracy(X, Y) > 0.9


def test_lbfgs_stops_on_a_callback(moons):
    pytest.importorskip("scipy")
    X, Y = moons
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7)
    _, costs = nn.train(X, Y, optimizer="lbfgs", num_epochs=50, print_cost=False,
                        callbacks=[Recorder(stop_at=4)])
    assert len(costs) == 4


def test_lbfgs_counts_each_iteration_as_a_step_and_an_epoch(moons):
    """``optimizer.t`` and ``optimizer.epoch``, which checkpoints and ``resume`` carry, advance by
    one per L-BFGS iteration."""
    pytest.importorskip("scipy")
    X, Y = moons
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7)
    _, costs = nn.train(X, Y, optimizer="lbfgs", num_epochs=6, print_cost=False)
    assert len(costs) == 6
    assert nn.optimizer.t == nn.optimizer.epoch == 6


def test_lbfgs_weighs_the_examples(moons):
    """``sample_weight`` enters L-BFGS's objective, ``(1/m) sum_j w_j L_j``: weight 2 on every
    other example and 0 on the rest is the run on those examples alone."""
    pytest.importorskip("scipy")
    X, Y = moons
    keep = np.arange(X.shape[1]) % 2 == 0
    weighted = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7)
    _, weighted_costs = weighted.train(X, Y, optimizer="lbfgs", num_epochs=10, print_cost=False,
                                       sample_weight=2.0 * keep)
    alone = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7)
    _, alone_costs = alone.train(X[:, keep], Y[:, keep], optimizer="lbfgs", num_epochs=10,
                                 print_cost=False)
    assert len(alone_costs) == 10
    np.testing.assert_allclose(weighted_costs, alone_costs, rtol=1e-9)
    np.testing.assert_allclose(weighted.theta, alone.theta, rtol=1e-7, atol=1e-12)


class TrainEnd(Callback):
    """Keeps the logs ``on_train_end`` receives."""

    def on_train_end(self, logs):
        self.logs = dict(logs)


def test_lbfgs_that_starts_at_a_stationary_point_keeps_its_parameters():
    """With all parameters zero every probability is 1/2, and for these symmetric examples the
    gradient, ``(X (A - Y)^T / m, mean(A - Y))``, is exactly 0: L-BFGS-B stops before its first
    iteration. The parameters stay, no epoch is recorded, and the callbacks' ``on_train_end``
    gets the starting cost, ``log 2``."""
    pytest.importorskip("scipy")
    X = np.array([[1.0, 1.0, -1.0, -1.0]])
    Y = np.array([[1, 0, 1, 0]])
    nn = single_layer(1, "sigmoid", np.zeros((1, 1)), np.zeros((1, 1)))
    end = TrainEnd()
    _, costs = nn.train(X, Y, optimizer="lbfgs", num_epochs=5, print_cost=False,
                        callbacks=[end])
    assert costs == [] and nn.history == {}
    np.testing.assert_array_equal(nn.theta, 0.0)
    assert set(end.logs) == {"loss"} and end.logs["loss"] == pytest.approx(math.log(2),
                                                                              rel=1e-15)


def test_lbfgs_without_scipy_says_how_to_install_it(moons, monkeypatch):
    X, Y = moons
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # an import of it now fails
    nn = ClassifierNN([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(ImportError, match=r"^optimizer='lbfgs' needs SciPy: "
                                          r"pip install 'scratchnn\[scipy\]'$"):
        nn.train(X, Y, optimizer="lbfgs", num_epochs=2, print_cost=False)


def test_lbfgs_refuses_data_in_several_blocks(moons):
    """Full-batch L-BFGS needs every example at once: data served as blocks (a memory-mapped
    file) is refused with a message that says so."""
    from scratchnn.training import ArrayData, TrainingSettings, fit

    X, Y = moons
    halves = [ArrayData.from_columns(X[:, part], Y[:, part], None, np.float64).block
              for part in (slice(0, 150), slice(150, 300))]

    class TwoBlocks:
        n, n_blocks = X.shape[1], 2

        def blocks(self, rng):
            return iter(halves)

    nn = ClassifierNN([2, 4, 1], ["tanh", "sigmoid"], seed=0, dtype=np.float64)
    settings = TrainingSettings(loss=losses.BinaryCrossEntropy, num_epochs=2,
                                learning_rate=0.1, optimizer=O.get("lbfgs"))
    with pytest.raises(ValueError, match=r"^optimizer='lbfgs' trains on in-memory data only "
                                         r"\(one block\)$"):
        fit(nn, TwoBlocks(), settings)


def test_lbfgs_from_a_start_whose_cost_overflows_reports_divergence(moons):
    """Parameters so large that the first cost overflows (to NaN): a ``DivergenceError`` naming
    epoch 1 and the cost, and no NumPy floating-point error, even where the caller makes NumPy
    raise on every one."""
    from scratchnn import DivergenceError

    pytest.importorskip("scipy")
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    nn.theta = nn.theta * 1e300
    with np.errstate(all="raise"), pytest.raises(
            DivergenceError, match=r"^training diverged at epoch 1: the cost became nan;"):
        nn.train(X, Y, optimizer="lbfgs", num_epochs=3, print_cost=False)


def test_lbfgs_progress_bar_counts_the_iterations(moons, capsys):
    pytest.importorskip("scipy")
    pytest.importorskip("tqdm")
    X, Y = moons
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7)
    nn.train(X, Y, optimizer="lbfgs", num_epochs=4, print_cost=True)
    assert "4/4" in capsys.readouterr().err


def test_lbfgs_passes_scipy_only_options_it_knows(moons):
    """An option SciPy does not know is an ``OptimizeWarning``, and the limit it was meant to set
    silently stays SciPy's default."""
    scipy_optimize = pytest.importorskip("scipy.optimize")
    X, Y = moons
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error", scipy_optimize.OptimizeWarning)
        nn.train(X, Y, optimizer="lbfgs", num_epochs=3, print_cost=False)


def test_lbfgs_may_run_more_iterations_than_scipys_default_evaluation_budget(moons):
    """``num_epochs`` beyond SciPy's default 15000 function evaluations: the budget grows with
    it, so such a run still iterates (here until it converges)."""
    pytest.importorskip("scipy")
    X, Y = moons
    nn = ClassifierNN([2, 1], ["sigmoid"], seed=7)
    _, costs = nn.train(X, Y, optimizer="lbfgs", num_epochs=15000, print_cost=False)
    assert 5 < len(costs) < 15000 and costs[-1] < costs[0]


# --------------------------------------------------------------------------- batch norm batches
def test_batch_norm_refuses_batches_of_one(moons):
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0, batch_norm=True)
    with pytest.raises(ValueError, match="batch_size=1.*batch_norm"):
        nn.train(X, Y, num_epochs=1, batch_size=1, print_cost=False)


def test_batch_norm_folds_a_trailing_batch_of_one(moons):
    X, Y = moons
    X, Y = X[:, :65], Y[:, :65]
    sizes = []

    class Sizes(Callback):
        def on_batch_end(self, step):
            sizes.append(step.caches.layers[0].A.shape[1])

    ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0, batch_norm=True).train(
        X, Y, num_epochs=2, batch_size=32, callbacks=[Sizes()], print_cost=False)
    assert sizes == [32, 33, 32, 33]
    sizes.clear()
    ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0).train(
        X, Y, num_epochs=1, batch_size=32, callbacks=[Sizes()], print_cost=False)
    assert sizes == [32, 32, 1]  # without batch norm the remainder stays a batch of its own


def test_a_keep_prob_whose_inverse_overflows_is_refused(moons):
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match=r"keep_prob\[0\].*float32"):
        nn.train(X.astype(np.float32), Y, keep_prob=[1e-39, 1.0], num_epochs=1,
                 print_cost=False)


# --------------------------------------------------------------------------- schedules, resume
def test_history_learning_rate_follows_the_schedule(moons):
    from scratchnn.schedules import CosineDecay, StepDecay

    X, Y = moons
    for schedule, expected in (
            ("cosine", [0.1 * (1 + math.cos(math.pi * e / 8)) / 2 for e in range(8)]),
            (StepDecay(3, gamma=0.5), [0.1 * 0.5 ** (e // 3) for e in range(8)]),
            (CosineDecay(8, min_lr=0.01, warmup_epochs=2),
             [0.1 / 3, 0.2 / 3] + [0.01 + 0.09 * (1 + math.cos(math.pi * e / 6)) / 2
                                   for e in range(6)])):
        nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
        nn.train(X, Y, optimizer="momentum", learning_rate=0.1, num_epochs=8,
                 lr_schedule=schedule, print_cost=False)
        np.testing.assert_allclose(nn.history["learning_rate"], expected, rtol=1e-12)


class FlatLoss(Callback):
    """Steps the learning rate each optimizer step sees into a list."""

    def __init__(self, seen):
        self.seen = seen

    def on_batch_end(self, step):
        self.seen.append(step.learning_rate)


def train_split(moons, tmp_path, split, make_callbacks, via_checkpoint, **kwargs):
    X, Y = moons
    seen = []
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=2)
    common = dict(optimizer="adam", learning_rate=0.05, batch_size=64, print_cost=False,
                  validation_data=(X[:, :80], 1 - Y[:, :80]), **kwargs)
    if not split:
        nn.train(X, Y, num_epochs=20, callbacks=make_callbacks() + [FlatLoss(seen)], **common)
        return nn, seen
    path = tmp_path / "checkpoint.npz"
    nn.train(X, Y, num_epochs=10, callbacks=make_callbacks() + [FlatLoss(seen)],
             checkpoint=path, **common)
    if via_checkpoint:
        nn = ClassifierNN.load(path)
    nn.train(X, Y, num_epochs=10, resume=True, callbacks=make_callbacks() + [FlatLoss(seen)],
             **common)
    return nn, seen


@pytest.mark.parametrize("via_checkpoint", [False, True])
def test_resume_with_reduce_lr_on_plateau_equals_one_run(moons, tmp_path, via_checkpoint):
    from scratchnn.callbacks import ReduceLROnPlateau

    def make():
        return [ReduceLROnPlateau("val_loss", factor=0.5, patience=2)]

    whole, rates = train_split(moons, tmp_path, False, make, False)
    split, split_rates = train_split(moons, tmp_path, True, make, via_checkpoint)
    np.testing.assert_array_equal(split.theta, whole.theta)
    assert split_rates == rates
    # the validation loss (flipped labels) rises, so the rate was cut, also in the second half
    per_epoch = rates[::len(rates) // 20]
    assert per_epoch[0] == 0.05 and per_epoch[9] < 0.05 and per_epoch[-1] < per_epoch[10]


@pytest.mark.parametrize("via_checkpoint", [False, True])
def test_resume_with_a_schedule_equals_one_run(moons, tmp_path, via_checkpoint):
    from scratchnn.schedules import CosineDecay

    whole, rates = train_split(moons, tmp_path, False, list, False,
                               lr_schedule=CosineDecay(20, warmup_epochs=3))
    split, split_rates = train_split(moons, tmp_path, True, list, via_checkpoint,
                                     lr_schedule=CosineDecay(20, warmup_epochs=3))
    np.testing.assert_array_equal(split.theta, whole.theta)
    assert split_rates == rates and len(set(rates)) == 20


def test_a_schedule_and_reduce_lr_on_plateau_are_not_combined(moons):
    from scratchnn.callbacks import ReduceLROnPlateau

    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match="lr_schedule and ReduceLROnPlateau"):
        nn.train(X, Y, num_epochs=2, lr_schedule="cosine", print_cost=False,
                 callbacks=[ReduceLROnPlateau("loss")])


def test_model_checkpoint_keeps_the_best_epoch(moons, tmp_path):
    from scratchnn.callbacks import ModelCheckpoint

    X, Y = moons
    path = tmp_path / "best.npz"
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=2)
    snap = Snapshots()
    snapshots = snap.thetas
    nn.train(X, Y, optimizer="adam", learning_rate=0.05, num_epochs=12, print_cost=False,
             validation_data=(X, 1 - Y), callbacks=[snap, ModelCheckpoint(path)])
    best = int(np.argmin(nn.history["val_loss"]))
    np.testing.assert_array_equal(ClassifierNN.load(path).theta, snapshots[best])


def test_csv_logger_writes_the_history(moons, tmp_path):
    import csv

    from scratchnn.callbacks import CSVLogger

    X, Y = moons
    path = tmp_path / "log.csv"
    nn = ClassifierNN([2, 6, 1], ["tanh", "sigmoid"], seed=2)
    nn.train(X, Y, optimizer="adam", num_epochs=4, print_cost=False,
             validation_data=(X, Y), callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    for key, values in nn.history.items():
        np.testing.assert_allclose([float(r[key]) for r in rows], values, rtol=1e-12)


# --------------------------------------------------------------------------- the estimator
def test_estimator_takes_the_new_training_parameters():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits

    from scratchnn.callbacks import ReduceLROnPlateau
    from scratchnn.sklearn import NNClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16
    seen = []

    class Rates(Callback):
        def on_batch_end(self, step):
            seen.append(step.learning_rate)

    clf = NNClassifier(hidden_layer_sizes=(32,), optimizer="adamw", max_epochs=12,
                       early_stopping=True, n_iter_no_change=50, random_state=0,
                       clipnorm=5.0, label_smoothing=0.1, learning_rate=0.01,
                       callbacks=[ReduceLROnPlateau("val_loss", patience=1, threshold=0.5), Rates()])
    clf.fit(X, y)
    assert len(clf.validation_loss_curve_) == len(clf.validation_scores_) == clf.n_iter_ == 12
    assert all(np.isfinite(clf.validation_loss_curve_))
    assert clf.score(X, y) > 0.9
    assert seen[0] == 0.01 and len(set(seen)) > 1  # the plateau callback cut the rate
    lbfgs = NNClassifier(hidden_layer_sizes=(32,), optimizer="lbfgs", max_epochs=40,
                         random_state=0).fit(X, y)
    assert lbfgs.score(X, y) > 0.95 and lbfgs.n_iter_ <= 40
    cosine = NNClassifier(hidden_layer_sizes=(16,), lr_schedule="cosine", max_epochs=5,
                          n_iter_no_change=5, random_state=0).fit(X, y)
    np.testing.assert_allclose(cosine.network_.history["learning_rate"],
                               [0.001 * (1 + math.cos(math.pi * e / 5)) / 2 for e in range(5)])


@pytest.mark.parametrize("name,value,error", [
    ("clipnorm", 0.0, ValueError), ("weight_decay", -1.0, ValueError),
    ("label_smoothing", 1.5, ValueError), ("lr_schedule", "sometimes", ValueError),
    ("callbacks", [print], TypeError), ("optimizer", "adamax", ValueError),
])
def test_estimator_new_parameters_are_checked(name, value, error):
    pytest.importorskip("sklearn")
    from scratchnn.sklearn import NNClassifier

    X = np.random.default_rng(0).standard_normal((20, 2))
    y = (X[:, 0] > 0).astype(int)
    with pytest.raises(error, match=name):
        NNClassifier(**{name: value}).fit(X, y)


def test_divergence_says_which_number_was_not_finite(moons):
    from scratchnn import DivergenceError

    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    before = nn.theta.copy()
    with pytest.raises(DivergenceError, match=r"the update became NaN or infinite \(the cost, "
                                              r"0\.\d+, was still finite\)"):
        nn.train(X, Y, learning_rate=1e308, num_epochs=1, batch_size=None, print_cost=False)
    np.testing.assert_array_equal(nn.theta, before)  # the last finite parameters are kept


def test_a_callback_can_skip_the_steps_of_epochs_it_does_not_watch(moons):
    X, Y = moons
    seen = []

    class EveryOtherEpoch(Callback):
        epoch = 0

        @property
        def wants_batches(self):
            return self.epoch % 2 == 0

        def on_batch_end(self, step):
            seen.append(self.epoch)

        def on_epoch_end(self, epoch, logs):
            self.epoch = epoch

    ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0).train(
        X, Y, num_epochs=4, batch_size=100, callbacks=[EveryOtherEpoch()], print_cost=False)
    assert seen == [0, 0, 0, 2, 2, 2]  # epochs 1 and 3 (after 0 and 2 ended): 3 steps each
