"""Training like Keras and PyTorch: validation data, history, callbacks, clipping, weight decay,
label smoothing, the new optimizers and L-BFGS.

Every update is compared with an independently written formula (the documented math), never
with the library's own code path.
"""

import math

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn import optimizers as O
from scratchnn.callbacks import Callback, EarlyStopping
from scratchnn.datasets import make_moons
from scratchnn.parameters import slices


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
    X, Y = moons
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(TypeError, match="validation_data"):
        nn.train(X, Y, num_epochs=1, validation_data=X, print_cost=False)
    with pytest.raises(ValueError, match="validation_data X_val"):
        nn.train(X, Y, num_epochs=1, validation_data=(X[:1], Y), print_cost=False)
    with pytest.raises(ValueError, match="validation_data Y_val"):
        nn.train(X, Y, num_epochs=1, validation_data=(X, Y * 2), print_cost=False)
    with pytest.raises(ValueError, match="validation_data Y_val"):
        nn.train(X, Y, num_epochs=1, validation_data=(X, Y[:, :5]), print_cost=False)


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
