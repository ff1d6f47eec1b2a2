"""RegressorNN: gradients, one training run against a NumPy loop written here, the training
features, saving, export, and the refusals of what only a classifier has."""

import json
import re
import warnings

import numpy as np
import pytest

from scratchnn import ClassifierNN, RegressorNN, activations
from scratchnn import io as scratch_io
from scratchnn.callbacks import EarlyStopping, ReduceLROnPlateau
from scratchnn.layers import dropout_mask
from scratchnn.losses import Huber
from scratchnn.model import NeuralNetwork
from scratchnn.summary import summary
from tolerances import assert_float32_close

HIDDEN = sorted(activations.ACTIVATIONS)


def nonlinear(m=300, k=1, seed=0, noise=0.05):
    """A smooth nonlinear problem with ``k`` targets of order 1."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(3, m))
    Y = np.sin(3 * X[:1]) + X[1:2] ** 2 - 0.5 * X[2:3]
    if k == 2:
        Y = np.vstack([Y, np.cos(2 * X[0:1] * X[1:2]) + X[2:3]])
    return X, Y + noise * rng.standard_normal(Y.shape)


def quiet(nn, X, Y, **kwargs):
    kwargs.setdefault("print_cost", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a training-problem warning is not what these check
        return nn.train(X, Y, **kwargs)


def randomize(nn, seed):
    """Generic parameter values (no bias exactly 0, so no relu input sits on its kink)."""
    rng = np.random.default_rng(seed)
    for value in nn.parameters.values():
        value[...] = rng.normal(0.0, 0.7, size=value.shape)
    return nn


def r2_by_hand(Y, P):
    """R^2 per output, averaged: 1 - SS_res / SS_tot, written out."""
    scores = []
    for y, p in zip(Y, P):
        ss_res = sum((a - b) ** 2 for a, b in zip(y, p))
        mean = sum(y) / len(y)
        ss_tot = sum((a - mean) ** 2 for a in y)
        scores.append(1 - ss_res / ss_tot)
    return sum(scores) / len(scores)


# --------------------------------------------------------------------------- gradients
CONFIGS = {
    "plain": dict(k=1),
    "l2-weights-2out": dict(k=2, lambd=0.7, weights=True),
    "bn-dropout-2out": dict(k=2, batch_norm=True, keep_prob=(0.9, 0.7, 0.8)),
    "all": dict(k=3, lambd=0.3, weights=True, batch_norm=True, keep_prob=(0.8, 0.9, 0.6)),
}


def central_differences(objective, theta, h=1e-6):
    """The gradient of ``objective.cost`` by central differences, one parameter at a time."""
    approx = np.empty_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += h
        minus[i] -= h
        approx[i] = (objective.cost(plus) - objective.cost(minus)) / (2 * h)
    return approx


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("loss", ["MeanSquaredError", "Huber"])
@pytest.mark.parametrize("hidden", HIDDEN)
def test_backprop_matches_central_differences(hidden, loss, config):
    c = CONFIGS[config]
    k, m = c["k"], 7
    rng = np.random.default_rng(3)
    X = rng.standard_normal((4, m))
    weights = rng.uniform(0.3, 2.0, m) if c.get("weights") else None
    loss = Huber(delta=0.5) if loss == "Huber" else loss
    nn = randomize(RegressorNN([4, 5, 4, k], [hidden, hidden, "linear"],
                               batch_norm=c.get("batch_norm", False)), 1)
    lambd, keep_prob = c.get("lambd", 0.0), c.get("keep_prob")
    masks = None
    if keep_prob is not None:
        mask_rng = np.random.default_rng(5)
        masks = {l: dropout_mask((size, m), p, mask_rng, np.float64)
                 for l, (size, p) in enumerate(zip([4, 5, 4], keep_prob))}
    # Targets at residuals of 0.1 to 0.3 and 1 to 2 from the outputs, either sign: both of
    # Huber's branches, none near its boundary (where the second derivative jumps).
    A, _ = nn.forward(X, training=True, masks=masks)
    sizes = np.where(rng.random((k, m)) < 0.5, rng.uniform(0.1, 0.3, (k, m)),
                     rng.uniform(1.0, 2.0, (k, m)))
    sizes[0, :2] = 0.2, 1.5
    Y = A - rng.choice([-1.0, 1.0], (k, m)) * sizes
    objective = nn.objective(X, Y, loss, lambd, weights, masks)
    _, grad = objective(nn.theta)
    approx = central_differences(objective, nn.theta.copy())
    assert np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx)) < 1e-7
    # And the library's own check, with the masks it draws.
    difference = nn.gradient_check(X, Y, loss=loss, lambd=lambd, keep_prob=keep_prob,
                                   sample_weight=weights)
    assert difference < 1e-7


def test_gradient_check_defaults_to_the_squared_error():
    X, Y = nonlinear(m=6)
    nn = randomize(RegressorNN([3, 4, 1], ["tanh", "linear"]), 0)
    assert nn.gradient_check(X, Y) < 1e-7
    _, grad = nn.cost_and_gradient(nn.theta, X, Y)
    _, grad_mse = nn.cost_and_gradient(nn.theta, X, Y, loss="MeanSquaredError")
    np.testing.assert_array_equal(grad, grad_mse)


# --------------------------------------------------------------------------- parity
def numpy_training_run(theta_shapes, params, X, Y, w, epochs, batch_size, lr, lambd, rng_state,
                       huber_delta=None):
    """One full run of mini-batch gradient descent on a [n, h, k] tanh/linear network, written
    from the formulas alone: returns the final parameters and the per-epoch costs."""
    W1, b1, W2, b2 = (params[name].copy() for name in ("W1", "b1", "W2", "b2"))
    rng = np.random.default_rng()
    rng.bit_generator.state = rng_state
    m = X.shape[1]
    costs = []
    for _ in range(epochs):
        order = rng.permutation(m) if batch_size < m else np.arange(m)
        total = 0.0
        for start in range(0, m, batch_size):
            idx = order[start:start + batch_size]
            Xb, Yb, wb = X[:, idx], Y[:, idx], w[idx]
            mb = idx.size
            Z1 = W1 @ Xb + b1
            A1 = np.tanh(Z1)
            A2 = W2 @ A1 + b2
            R = A2 - Yb
            if huber_delta is None:
                cost = np.sum(wb * np.sum(0.5 * R ** 2, axis=0)) / mb
                dA2 = R
            else:
                d = huber_delta
                h = np.where(np.abs(R) < d, 0.5 * R ** 2, d * (np.abs(R) - 0.5 * d))
                cost = np.sum(wb * np.sum(h, axis=0)) / mb
                dA2 = np.clip(R, -d, d)
            cost += lambd / (2 * mb) * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
            dZ2 = dA2 * wb / mb
            dW2 = dZ2 @ A1.T + lambd / mb * W2
            db2 = dZ2.sum(axis=1, keepdims=True)
            dZ1 = (W2.T @ dZ2) * (1 - A1 ** 2)
            dW1 = dZ1 @ Xb.T + lambd / mb * W1
            db1 = dZ1.sum(axis=1, keepdims=True)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
            total += cost * mb
        costs.append(total / m)
    return np.concatenate([W1.ravel(), b1.ravel(), W2.ravel(), b2.ravel()]), costs


@pytest.mark.parametrize("loss, batch_size", [("MeanSquaredError", 16), ("Huber", 64)],
                         ids=["mse-minibatch", "huber-fullbatch"])
def test_a_full_training_run_equals_an_independent_numpy_loop(loss, batch_size):
    X, Y = nonlinear(m=50, k=2, seed=4)
    Y = 3 * Y  # large residuals: Huber's linear branch is used
    w = np.random.default_rng(5).uniform(0.5, 1.5, 50)
    nn = RegressorNN([3, 6, 2], ["tanh", "linear"], seed=7)
    start = {name: value.copy() for name, value in nn.parameters.items()}
    state = nn.rng.bit_generator.state
    delta = 0.8 if loss == "Huber" else None
    theta, costs = numpy_training_run(None, start, X, Y, w, epochs=25, batch_size=batch_size,
                                      lr=0.05, lambd=0.2, rng_state=state, huber_delta=delta)
    _, trained_costs = quiet(nn, X, Y, loss=Huber(delta) if delta else loss, num_epochs=25,
                             batch_size=batch_size, learning_rate=0.05, lambd=0.2,
                             sample_weight=w)
    np.testing.assert_allclose(trained_costs, costs, rtol=1e-11)
    np.testing.assert_allclose(nn.theta, theta, rtol=1e-10, atol=1e-12)
    assert costs[-1] < 0.7 * costs[0]  # it did learn something


# --------------------------------------------------------------------------- learning
def test_learns_a_nonlinear_function_and_scores_r2_as_the_formula():
    X, Y = nonlinear(m=400, seed=0)
    Xt, Yt = nonlinear(m=200, seed=1)
    nn = RegressorNN([3, 32, 1], ["tanh", "linear"], seed=0)
    quiet(nn, X, Y, optimizer="adam", num_epochs=200, batch_size=32)
    P = nn.predict(Xt)
    assert P.shape == (1, 200) and P.dtype == np.float64
    assert nn.score(Xt, Yt) == pytest.approx(r2_by_hand(Yt, P), rel=1e-12)
    assert nn.score(Xt, Yt[0]) == nn.score(Xt, Yt)  # (m,) targets for one output
    assert nn.score(Xt, Yt) > 0.95


def test_several_outputs_with_huber_relu_and_float32():
    X, Y = nonlinear(m=400, k=2, seed=2)
    Xt, Yt = nonlinear(m=200, k=2, seed=3)
    nn = RegressorNN([3, 32, 32, 2], ["relu", "relu", "linear"], seed=1)
    quiet(nn, X.astype(np.float32), Y, loss=Huber(0.5), optimizer="adam", num_epochs=150,
          batch_size=32)
    P = nn.predict(Xt)
    assert P.shape == (2, 200) and P.dtype == np.float32
    assert nn.score(Xt, Yt) == pytest.approx(r2_by_hand(Yt, P.astype(np.float64)), rel=1e-6)
    assert nn.score(Xt, Yt) > 0.9


def test_lbfgs_and_batch_norm():
    X, Y = nonlinear(m=200, seed=5)
    nn = RegressorNN([3, 16, 1], ["tanh", "linear"], seed=0)
    _, costs = quiet(nn, X, Y, optimizer="lbfgs", num_epochs=200)
    assert nn.score(X, Y) > 0.97 and costs[-1] < costs[0]
    bn = RegressorNN([3, 16, 1], ["relu", "linear"], batch_norm=True, seed=0)
    quiet(bn, X, Y, optimizer="adam", num_epochs=100, batch_size=32)
    assert bn.score(X, Y) > 0.9


def test_constant_target_scores_one_when_exact_and_zero_otherwise():
    nn = RegressorNN([2, 1], ["linear"], seed=0)
    nn.parameters["W1"][...] = 0.0
    nn.parameters["b1"][...] = 3.0
    X = np.random.default_rng(0).normal(size=(2, 5))
    assert nn.score(X, np.full(5, 3.0)) == 1.0
    assert nn.score(X, np.full(5, 2.0)) == 0.0


# --------------------------------------------------------------------------- training features
def test_validation_data_report_val_loss_and_val_r2():
    X, Y = nonlinear(m=200, seed=6)
    Xv, Yv = nonlinear(m=60, seed=7)
    nn = RegressorNN([3, 16, 1], ["tanh", "linear"], seed=0)
    quiet(nn, X, Y, optimizer="adam", num_epochs=20, batch_size=32, lambd=0.5,
          validation_data=(Xv, Yv))
    assert set(nn.history) == {"loss", "learning_rate", "val_loss", "val_r2"}
    assert len(nn.history["val_r2"]) == 20
    P = nn.predict(Xv)
    assert nn.history["val_r2"][-1] == pytest.approx(r2_by_hand(Yv, P), rel=1e-10)
    # the loss without the L2 term
    assert nn.history["val_loss"][-1] == pytest.approx(np.sum((P - Yv) ** 2) / (2 * 60),
                                                       rel=1e-10)


def test_callbacks_maximize_r2_and_a_regressor_refuses_to_monitor_accuracy():
    assert EarlyStopping(monitor="val_r2").mode == "max"
    assert ReduceLROnPlateau(monitor="val_r2").mode == "max"
    assert EarlyStopping(monitor="val_loss").mode == "min"
    X, Y = nonlinear(m=100)
    nn = RegressorNN([3, 8, 1], ["tanh", "linear"], seed=0)
    stop = EarlyStopping(monitor="val_r2", patience=2)
    quiet(nn, X, Y, optimizer="adam", learning_rate=0.5, num_epochs=60,
          validation_data=(X, Y), callbacks=[stop])
    assert stop.best == max(nn.history["val_r2"])
    with pytest.raises(ValueError, match="monitors 'val_accuracy', which a regression model "
                                         "does not report"):
        quiet(nn, X, Y, validation_data=(X, Y), callbacks=[EarlyStopping("val_accuracy")])
    clf = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match="monitors 'val_r2', which a classification model"):
        quiet(clf, X, (Y > 0).astype(float), validation_data=(X, (Y > 0).astype(float)),
              callbacks=[EarlyStopping("val_r2")])


def test_schedules_clipping_and_weight_decay_train_a_regressor():
    X, Y = nonlinear(m=200, seed=8)
    nn = RegressorNN([3, 16, 1], ["tanh", "linear"], seed=0)
    _, costs = quiet(nn, X, Y, optimizer="adamw", learning_rate=0.03, num_epochs=80,
                     batch_size=32, lr_schedule="cosine", clipnorm=1.0, clipvalue=0.5,
                     weight_decay=1e-3, keep_prob=[1.0, 0.9])
    assert costs[-1] < 0.5 * costs[0]
    assert nn.score(X, Y) > 0.85


def test_checkpoint_and_resume_continue_exactly(tmp_path):
    X, Y = nonlinear(m=80, k=2)
    whole = RegressorNN([3, 8, 2], ["relu", "linear"], seed=3)
    _, costs = quiet(whole, X, Y, loss="Huber", optimizer="adam", num_epochs=6, batch_size=16)
    first = RegressorNN([3, 8, 2], ["relu", "linear"], seed=3)
    path = tmp_path / "ckpt.npz"
    quiet(first, X, Y, loss="Huber", optimizer="adam", num_epochs=3, batch_size=16,
          checkpoint=path)
    resumed = RegressorNN.load(path)
    assert type(resumed) is RegressorNN
    _, more = quiet(resumed, X, Y, loss="Huber", optimizer="adam", num_epochs=3,
                    batch_size=16, resume=True)
    assert first.costs + more == costs
    np.testing.assert_array_equal(resumed.theta, whole.theta)


# --------------------------------------------------------------------------- saving, export
def test_save_and_load_restore_a_regressor(tmp_path):
    X, Y = nonlinear(m=50, k=2)
    nn = RegressorNN([3, 6, 2], ["tanh", "linear"], batch_norm=True, seed=0)
    quiet(nn, X, Y, num_epochs=3, batch_size=16)
    path = tmp_path / "reg.npz"
    nn.save(path)
    loaded = RegressorNN.load(path)
    assert type(loaded) is RegressorNN and loaded.get_config() == nn.get_config()
    np.testing.assert_array_equal(loaded.predict(X), nn.predict(X))
    assert type(scratch_io.load(path)) is RegressorNN
    assert type(NeuralNetwork.load(path)) is RegressorNN
    with np.load(path) as archive:
        assert json.loads(archive["header"].tobytes())["model"] == "RegressorNN"
    with pytest.raises(ValueError, match=r"holds a RegressorNN, not a ClassifierNN: load it "
                                         r"with RegressorNN\.load"):
        ClassifierNN.load(path)
    clf = ClassifierNN([3, 2, 1], ["relu", "sigmoid"], seed=0)
    clf.save(tmp_path / "clf.npz")
    with np.load(tmp_path / "clf.npz") as archive:
        assert "model" not in json.loads(archive["header"].tobytes())  # as before regression
    with pytest.raises(ValueError, match="holds a ClassifierNN, not a RegressorNN"):
        RegressorNN.load(tmp_path / "clf.npz")


def test_summary_and_repr_name_the_class():
    nn = RegressorNN([3, 6, 2], ["tanh", "linear"])
    assert summary(nn).splitlines()[0] == "Model: RegressorNN"
    assert repr(nn) == ("RegressorNN(layer_dims=[3, 6, 2], activations=['tanh', 'linear'], "
                        "batch_norm=False)")


def test_onnx_graph_gives_predict(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    X, Y = nonlinear(m=40, k=2)
    nn = RegressorNN([3, 6, 5, 2], ["relu", "tanh", "linear"], batch_norm=True, seed=0)
    quiet(nn, X, Y, num_epochs=3, batch_size=8)
    path = tmp_path / "reg.onnx"
    nn.to_onnx(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["predictions"]
    (out,) = session.run(None, {"input": X.T.astype(np.float32)})
    assert_float32_close(out.T, nn.predict(X))


# --------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("output, hint", [("sigmoid", "; for classes use ClassifierNN"),
                                          ("softmax", "; for classes use ClassifierNN"),
                                          ("tanh", "")])
def test_a_non_linear_output_is_refused(output, hint):
    with pytest.raises(ValueError, match=r"^the output activation must be 'linear' for a "
                                         r"regressor \(its losses' output delta holds for the "
                                         rf"identity only\), got '{output}'{hint}$"):
        RegressorNN([3, 4, 1], ["relu", output])
    with pytest.raises(ValueError, match=rf"got '{output}'{hint}$"):  # the last layer's, named
        RegressorNN([3, 4, 4, 1], ["tanh", "relu", output])


def test_losses_of_the_other_task_are_refused():
    X, Y = nonlinear(m=10)
    nn = RegressorNN([3, 4, 1], ["relu", "linear"])
    with pytest.raises(ValueError, match=r"^loss 'BinaryCrossEntropy' is a classification loss, "
                                         r"but a RegressorNN trains with 'MeanSquaredError' or "
                                         r"'Huber'; for classification use ClassifierNN$"):
        quiet(nn, X, (Y > 0).astype(float), loss="BinaryCrossEntropy")
    clf = ClassifierNN([3, 4, 1], ["relu", "sigmoid"])
    with pytest.raises(ValueError, match=r"loss 'MeanSquaredError' is a regression loss, but a "
                                         r"ClassifierNN trains with .*; for regression use "
                                         r"RegressorNN$"):
        quiet(clf, X, Y, loss="MeanSquaredError")
    with pytest.raises(ValueError, match="is a regression loss"):
        clf.gradient_check(X, Y, loss=Huber())


def test_classification_only_features_are_refused_with_a_message():
    X, Y = nonlinear(m=10)
    nn = RegressorNN([3, 4, 1], ["relu", "linear"])
    with pytest.raises(ValueError, match="label_smoothing applies to classification losses"):
        quiet(nn, X, Y, label_smoothing=0.1)
    with pytest.raises(ValueError, match="label_smoothing applies to classification losses"):
        nn.gradient_check(X, Y, label_smoothing=0.1)
    with pytest.raises(AttributeError, match="^RegressorNN has no predict_proba: a regressor "
                                             "predicts values, not probabilities: use predict$"):
        nn.predict_proba(X)
    with pytest.raises(AttributeError, match="^RegressorNN has no accuracy: .* use score$"):
        nn.accuracy(X, Y)
    assert not hasattr(nn, "predict_proba") and not hasattr(nn, "accuracy")
    with pytest.raises(AttributeError, match="'RegressorNN' object has no attribute 'nothing'"):
        nn.nothing  # noqa: B018


def test_bad_targets_and_the_engine_itself_are_refused():
    X, Y = nonlinear(m=10, k=2)
    nn = RegressorNN([3, 4, 2], ["relu", "linear"])
    with pytest.raises(ValueError, match=r"^Y for MeanSquaredError must have shape \(2, m\)"):
        quiet(nn, X, Y[:1])
    bad = Y.copy()
    bad[1, 3] = np.nan
    with pytest.raises(ValueError, match="^Y for MeanSquaredError contains NaN or infinite"):
        quiet(nn, X, bad)
    with pytest.raises(ValueError, match="Y has 9 examples"):
        quiet(nn, X, Y[:, :9])
    with pytest.raises(ValueError, match=r"validation_data Y_val for Huber contains NaN"):
        quiet(nn, X, Y, loss="Huber", validation_data=(X, bad))
    with pytest.raises(ValueError, match="Y has 9 examples"):
        nn.score(X, Y[:, :9])
    with pytest.raises(ValueError, match="^A contains NaN or infinite values$"):
        nn.compute_cost(np.full((2, 10), np.nan), Y)
    with pytest.raises(TypeError, match="^NeuralNetwork is the engine the models share; build a "
                                        "ClassifierNN or a RegressorNN$"):
        NeuralNetwork([3, 1], ["linear"])


def test_seed_walkthrough_methods_work_for_a_regressor():
    X, Y = nonlinear(m=12, k=2)
    nn = randomize(RegressorNN([3, 4, 2], ["tanh", "linear"]), 2)
    A, caches = nn.forward_propagation(X)
    W1, W2 = nn.parameters["W1"], nn.parameters["W2"]
    expected = np.sum((A - Y) ** 2) / (2 * 12) + 0.3 / (2 * 12) * (np.sum(W1**2) + np.sum(W2**2))
    assert nn.compute_cost(A, Y, lambd=0.3) == pytest.approx(expected, rel=1e-12)
    grads = nn.backward_propagation(A, Y, caches, lambd=0.3)
    _, grad = nn.cost_and_gradient(nn.theta, X, Y, lambd=0.3)
    np.testing.assert_allclose(np.concatenate([g.ravel() for g in grads.values()]), grad,
                               rtol=1e-12)
    batches = nn.random_mini_batches(X, Y, batch_size=5, seed=0)
    assert [b[1].shape for b in batches] == [(2, 5), (2, 5), (2, 2)]


def test_compute_cost_checks_the_outputs_shape_and_dtype_with_whole_messages():
    nn = RegressorNN([3, 4, 2], ["relu", "linear"])
    Y = np.zeros((2, 5))
    for A in (np.zeros((3, 5)), np.zeros((2, 5, 1)), np.zeros((2, 0))):
        with pytest.raises(ValueError, match=rf"^A must have shape \(2, m\) with m >= 1, got "
                                             rf"{re.escape(str(A.shape))}$"):
            nn.compute_cost(A, Y if A.shape[1] else Y[:, :0])
    with pytest.raises(TypeError, match="^A must be floats, got dtype int64$"):
        nn.compute_cost(np.zeros((2, 5), dtype=np.int64), Y)
    # One example is an output like any other: its cost is half its squared error.
    A = np.array([[1.0], [-2.0]])
    assert nn.compute_cost(A, np.array([[0.5], [0.0]])) == pytest.approx((0.25 + 4.0) / 2)


def test_backward_propagation_refuses_integer_outputs_naming_what_each_model_expects():
    X, Y = nonlinear(m=6)
    for nn, what in ((RegressorNN([3, 4, 1], ["tanh", "linear"]), "floats"),
                     (ClassifierNN([3, 4, 1], ["tanh", "sigmoid"]),
                      "a float array of probabilities")):
        A, caches = nn.forward_propagation(X)
        labels = (Y > 0).astype(float) if nn.task == "classification" else Y
        with pytest.raises(TypeError, match=rf"^A must be {what}, got dtype int64$"):
            nn.backward_propagation(A.astype(np.int64), labels, caches)


def test_predict_reports_an_output_that_overflows_to_inf_on_some_examples_only():
    # A linear output can be +inf on one example and finite on the others (no NaN to spread):
    # the largest value alone shows the overflow.
    nn = RegressorNN([1, 1], ["linear"])
    nn.parameters["W1"][...] = 2.0
    nn.parameters["b1"][...] = 0.0
    np.testing.assert_array_equal(nn.predict(np.array([[1.0, -3.0]])), [[2.0, -6.0]])
    for X in (np.array([[1e308, 1.0]]), np.array([[1.0, -1e308]])):
        with pytest.raises(ValueError, match=r"^X is too large for this network: the forward "
                                             r"pass overflowed \(scale the features\)$"):
            nn.predict(X)
