"""Learning floors on seeded data, reproducibility, dtypes and the training loop's contract."""

import math

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.datasets import make_moons, train_test_split
from scratchnn.diagnostics import TrainingProblemWarning


def standardized_split(X, y, seed=0):
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0) + 1e-12
    return (X_train - mean) / std, (X_test - mean) / std, y_train, y_test


def test_moons_floor_with_the_seed_demo_settings():
    X, y = make_moons(n_samples=1000, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0)
    nn = ClassifierNN([2, 4, 3, 1], ["relu", "relu", "sigmoid"], seed=0)
    _, costs = nn.train(X_train.T, y_train.reshape(1, -1), loss="BinaryCrossEntropy",
                        num_epochs=200, learning_rate=0.01, batch_size=64, optimizer="adam",
                        print_cost=False)
    assert nn.accuracy(X_test.T, y_test.reshape(1, -1)) >= 0.97
    assert costs[-1] < costs[0] / 5


@pytest.mark.parametrize("loss", ["CategoricalCrossEntropy", "SparseCategoricalCrossEntropy",
                                  "SpareCategoricalCrossEntropy"])
@pytest.mark.parametrize("dataset, hidden, epochs, lambd, floor", [
    ("load_iris", [16], 200, 0.1, 0.92),  # 105 training examples: a little L2 curbs overfitting
    ("load_digits", [64], 40, 0.0, 0.96),
])
def test_multiclass_floors(dataset, hidden, epochs, lambd, floor, loss):
    # Only these floors need scikit-learn (for its data sets); the rest of the file runs without.
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X, y = getattr(sklearn_datasets, dataset)(return_X_y=True)
    X_train, X_test, y_train, y_test = standardized_split(X, y)
    C = int(y.max()) + 1
    Y = np.eye(C)[y_train].T if loss == "CategoricalCrossEntropy" else y_train.reshape(1, -1)
    nn = ClassifierNN([X.shape[1], *hidden, C], ["relu"] * len(hidden) + ["softmax"], seed=0)
    nn.train(X_train.T, Y, loss=loss, num_epochs=epochs, learning_rate=0.01, batch_size=32,
             lambd=lambd, optimizer="adam", print_cost=False)
    assert nn.accuracy(X_test.T, y_test.reshape(1, -1)) >= floor
    # accuracy takes one-hot labels as well, with the same answer
    one_hot = np.eye(C)[y_test].T
    assert nn.accuracy(X_test.T, one_hot) == nn.accuracy(X_test.T, y_test)


def test_every_feature_at_once_still_learns():
    X, y = make_moons(n_samples=600, noise=0.15, seed=3)
    X_train, X_test, y_train, y_test = train_test_split(X, y, seed=3)
    nn = ClassifierNN([2, 32, 16, 2], ["tanh", "leaky_relu", "softmax"], "xavier",
                      batch_norm=True, seed=3)
    nn.train(X_train.T, y_train, loss="SparseCategoricalCrossEntropy", num_epochs=60,
             learning_rate=0.01, batch_size=32, lambd=0.01, keep_prob=[1.0, 0.9, 0.9],
             optimizer="adam", print_cost=False)
    assert nn.accuracy(X_test.T, y_test) >= 0.95


def small_problem(seed=0, m=50, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, m)).astype(dtype)
    y = (X[0] + X[1] * X[2] > 0).astype(int).reshape(1, -1)
    return X, y


CONFIGS = [
    dict(optimizer="adam", keep_prob=[0.9, 0.8], batch_size=16),
    dict(optimizer="momentum", batch_size=7),
    dict(optimizer="rmsprop", lambd=0.1, batch_size=None),
]


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("config", CONFIGS)
def test_same_seed_is_bit_identical(config, batch_norm):
    X, y = small_problem()
    runs = []
    for _ in range(2):
        nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], batch_norm=batch_norm, seed=42)
        _, costs = nn.train(X, y, num_epochs=5, print_cost=False, **config)
        runs.append((nn.theta.copy(), costs, nn.predict_proba(X)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
    other = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], batch_norm=batch_norm, seed=43)
    assert not np.array_equal(other.theta, runs[0][0])


def test_global_random_state_is_never_touched():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    X, y = small_problem()
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=3, keep_prob=[0.8, 0.8], print_cost=False)
    nn.random_mini_batches(X, y, batch_size=8)
    nn.gradient_check(X[:, :5], y[:, :5], keep_prob=[0.8, 0.8])
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_float32_end_to_end_and_float64_by_default():
    X, y = small_problem(dtype=np.float32)
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    nn.train(X, y, num_epochs=3, optimizer="adam", print_cost=False)
    assert nn.compute_dtype == np.float32
    assert all(v.dtype == np.float32 for v in nn.bn_state.values())
    assert nn.predict_proba(X).dtype == np.float32
    X64, y64 = small_problem()
    nn64 = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], seed=0)
    nn64.train(X64, y64, num_epochs=1, print_cost=False)
    assert nn64.compute_dtype == np.float64
    forced = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], seed=0, dtype="float32")
    forced.train(X64, y64, num_epochs=1, print_cost=False)
    assert forced.compute_dtype == np.float32


def test_mini_batches_keep_the_last_partial_batch_and_cost_is_example_weighted():
    X, y = small_problem(m=50)
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    batches = nn.random_mini_batches(X, y, batch_size=16, seed=0)
    assert [b[0].shape[1] for b in batches] == [16, 16, 16, 2]
    # every example exactly once
    seen = np.sort(np.concatenate([b[0][0] for b in batches]))
    np.testing.assert_array_equal(seen, np.sort(X[0]))
    # same local seed, same batches; NumPy's global state plays no part
    again = nn.random_mini_batches(X, y, batch_size=16, seed=0)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
    assert len(nn.random_mini_batches(X, y, batch_size=None)) == 1

    nn.train(X, y, num_epochs=2, batch_size=16, optimizer="adam", print_cost=False)
    assert nn.optimizer.t == 2 * 4
    nn.train(X, y, num_epochs=2, batch_size=500, optimizer="adam", print_cost=False)
    assert nn.optimizer.t == 2


def test_epoch_cost_is_the_weighted_mean_of_batch_costs():
    X, y = small_problem(m=10)
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    theta = nn.theta.copy()
    _, costs = nn.train(X, y, num_epochs=1, batch_size=4, learning_rate=1e-12, lambd=0.5,
                        print_cost=False)
    # With a negligible learning rate every batch sees the initial parameters, so the weighted
    # mean of the batch costs equals the cost over all examples up to the L2 term's 1/m_batch.
    nn.theta[...] = theta
    A, _ = nn.forward_propagation(X)
    data_cost = nn.compute_cost(A, y)
    l2 = sum(float(np.sum(nn.parameters[f"W{l}"] ** 2)) for l in (1, 2))
    expected = data_cost + 0.5 / 2 * l2 * (4 * (1 / 4) + 4 * (1 / 4) + 2 * (1 / 2)) / 10
    assert costs[0] == pytest.approx(expected, rel=1e-9)


def test_dropout_is_never_applied_by_predict_and_keep_prob_one_is_off():
    X, y = small_problem()
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=3, keep_prob=[0.5, 0.5], print_cost=False)
    state = nn.rng.bit_generator.state
    proba = nn.predict_proba(X)
    assert nn.rng.bit_generator.state == state  # predict draws no dropout mask
    # predict is the plain forward pass, computed here by hand without any mask
    W1, b1, W2, b2 = (nn.parameters[name] for name in ("W1", "b1", "W2", "b2"))
    np.testing.assert_allclose(
        proba, 1 / (1 + np.exp(-(W2 @ np.maximum(W1 @ X + b1, 0) + b2))), rtol=1e-12)
    A, caches = nn.forward_propagation(X, keep_prob=[0.5, 0.5], training=True)
    assert not np.array_equal(A, nn.predict_proba(X))  # dropout changes the forward pass
    assert caches.layers[1].D is not None
    A1, caches1 = nn.forward_propagation(X, keep_prob=[1.0, 1.0])
    np.testing.assert_array_equal(A1, nn.predict_proba(X))
    assert caches1.layers[1].D is None


def test_batch_norm_predict_uses_running_statistics():
    X, y = small_problem(m=64)
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    assert "b1" not in nn.parameters and nn.parameters["gamma1"].shape == (8, 1)
    nn.train(X, y, num_epochs=20, batch_size=16, optimizer="adam", print_cost=False)
    assert not np.allclose(nn.bn_state["running_mean1"], 0.0)
    # One example at a time gives the same predictions as the whole set: no batch statistics.
    single = np.hstack([nn.predict_proba(X[:, j:j + 1]) for j in range(5)])
    np.testing.assert_allclose(single, nn.predict_proba(X)[:, :5], rtol=1e-12)
    # forward_propagation(training=True) uses the batch's statistics instead
    A_train, _ = nn.forward_propagation(X, training=True)
    assert not np.allclose(A_train, nn.predict_proba(X))


def test_running_statistics_follow_the_momentum_rule():
    X, y = small_problem(m=20)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    Z = nn.parameters["W1"] @ X
    nn.train(X, y, num_epochs=1, batch_size=None, learning_rate=0.1, print_cost=False)
    np.testing.assert_allclose(nn.bn_state["running_mean1"], 0.1 * Z.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.bn_state["running_var1"],
                               0.9 + 0.1 * Z.var(axis=1, keepdims=True))


def test_train_returns_the_live_parameters_and_continues_from_them():
    X, y = small_problem()
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], seed=0)
    params, costs = nn.train(X, y, num_epochs=30, learning_rate=0.5, print_cost=False)
    assert params is nn.parameters and len(costs) == 30
    assert np.shares_memory(params["W1"], nn.theta)
    _, more = nn.train(X, y, num_epochs=5, learning_rate=0.5, print_cost=False)
    assert more[0] < costs[0]  # picks up where it stopped


def test_predict_shapes_and_classes():
    X, y = small_problem()
    binary = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    pred = binary.predict(X)
    assert pred.shape == (1, 50) and pred.dtype.kind == "i" and set(np.unique(pred)) <= {0, 1}
    np.testing.assert_array_equal(pred, (binary.predict_proba(X) > 0.5).astype(int))
    multi = ClassifierNN([3, 4, 5], ["relu", "softmax"], seed=0)
    A = multi.predict_proba(X)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)
    np.testing.assert_array_equal(multi.predict(X), A.argmax(axis=0).reshape(1, -1))
    several = ClassifierNN([3, 4, 3], ["relu", "sigmoid"], seed=0)  # independent sigmoids
    np.testing.assert_array_equal(several.predict(X), several.predict_proba(X).argmax(axis=0)[None])


def test_progress_shows_epoch_and_cost(capsys):
    X, y = small_problem()
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=3)
    err = capsys.readouterr().err
    assert "3/3" in err and "cost=" in err
    nn.train(X, y, num_epochs=3, print_cost=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("init, std", [("random", lambda n: 0.01), ("he", lambda n: np.sqrt(2 / n)),
                                       ("xavier", lambda n: np.sqrt(1 / n))])
def test_initializers_have_the_documented_scale(init, std):
    nn = ClassifierNN([400, 300, 2], ["relu", "softmax"], init, seed=0)
    W1 = nn.parameters["W1"]
    assert W1.std() == pytest.approx(std(400), rel=0.02)
    assert abs(W1.mean()) < 0.05 * std(400)
    np.testing.assert_array_equal(nn.parameters["b1"], 0.0)


def test_callback_sees_every_epoch_and_can_stop_training():
    X, y = small_problem()
    seen = []
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    _, costs = nn.train(X, y, num_epochs=5, print_cost=False,
                        callback=lambda epoch, cost: seen.append((epoch, cost)))
    assert seen == list(zip(range(1, 6), costs))
    _, costs = nn.train(X, y, num_epochs=50, print_cost=False,
                        callback=lambda epoch, cost: epoch == 3)
    assert len(costs) == 3
    with pytest.raises(TypeError, match="callback"):
        nn.train(X, y, num_epochs=1, print_cost=False, callback=42)


def test_examples_given_as_rows_train_identically():
    """X of shape (n_features, m) as a transposed row-major array is used without a copy."""
    X, y = small_problem(m=40)
    rows = np.ascontiguousarray(X.T)
    results = []
    for data in (X, rows.T):
        nn = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=7)
        _, costs = nn.train(data, y, num_epochs=4, batch_size=8, optimizer="adam",
                            print_cost=False)
        results.append((costs, nn.theta.copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_chunked_prediction_equals_one_pass(monkeypatch):
    import scratchnn.model

    X, y = small_problem(m=50)
    nn = ClassifierNN([3, 6, 3], ["relu", "softmax"], batch_norm=True, seed=0)
    nn.train(X, y % 3, loss="SparseCategoricalCrossEntropy", num_epochs=3, print_cost=False)
    whole = nn.predict_proba(X)
    monkeypatch.setattr(scratchnn.model, "PREDICT_CHUNK", 7)  # 7 chunks of 7 and one of 1
    np.testing.assert_allclose(nn.predict_proba(X), whole, rtol=1e-12)
    np.testing.assert_array_equal(nn.predict(X), whole.argmax(axis=0)[None])


def test_sample_weights_of_one_change_nothing_and_integer_weights_repeat_examples():
    X, y = small_problem(m=30)
    runs = []
    for weights in (None, np.ones(30)):
        nn = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=1)
        _, costs = nn.train(X, y, num_epochs=3, batch_size=None, print_cost=False,
                            sample_weight=weights)
        runs.append((costs, nn.theta.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    # A weight of 2 counts an example twice in a full batch: the same as
    # training on the data set with those examples repeated (40 rows), once the weights are
    # scaled by 30/40 to turn our mean over 30 into a mean over 40.
    weights = np.where(np.arange(30) < 10, 2.0, 1.0)
    repeated_X = np.hstack([X, X[:, :10]])
    repeated_y = np.hstack([y, y[:, :10]])
    a = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=1)
    _, costs_a = a.train(X, y, num_epochs=1, batch_size=None, print_cost=False,
                         sample_weight=weights * 30 / 40)
    b = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=1)
    _, costs_b = b.train(repeated_X, repeated_y, num_epochs=1, batch_size=None, print_cost=False)
    assert costs_a[0] == pytest.approx(costs_b[0], rel=1e-12)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-12)


def test_zero_weights_remove_examples():
    X, y = small_problem(m=20)
    keep = np.arange(20) % 2 == 0
    a = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=2)
    a.train(X, y, num_epochs=2, batch_size=None, learning_rate=0.5, print_cost=False,
            sample_weight=keep * 2.0)  # weight 2 on half of the examples: the same mean
    b = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=2)
    b.train(X[:, keep], y[:, keep], num_epochs=2, batch_size=None, learning_rate=0.5,
            print_cost=False)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-12)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_resume_continues_exactly_where_training_stopped(optimizer, batch_norm):
    X, y = small_problem(m=45)
    whole = ClassifierNN([3, 6, 1], ["relu", "sigmoid"], batch_norm=batch_norm, seed=3)
    _, costs = whole.train(X, y, num_epochs=6, batch_size=10, optimizer=optimizer,
                           keep_prob=[1.0, 0.8], print_cost=False)
    split = ClassifierNN([3, 6, 1], ["relu", "sigmoid"], batch_norm=batch_norm, seed=3)
    _, first = split.train(X, y, num_epochs=4, batch_size=10, optimizer=optimizer,
                           keep_prob=[1.0, 0.8], print_cost=False)
    _, second = split.train(X, y, num_epochs=2, batch_size=10, optimizer=optimizer,
                            keep_prob=[1.0, 0.8], print_cost=False, resume=True)
    assert first + second == costs
    np.testing.assert_array_equal(split.theta, whole.theta)
    assert split.optimizer.t == whole.optimizer.t == 6 * 5


def test_resume_needs_the_same_optimizer():
    X, y = small_problem()
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match=r"^resume=True continues the 'gd' optimizer of an earlier "
                                         r"train call or loaded checkpoint, but the model has "
                                         r"none$"):
        nn.train(X, y, num_epochs=1, print_cost=False, resume=True)
    nn.train(X, y, num_epochs=1, optimizer="adam", print_cost=False)
    with pytest.raises(ValueError, match=r"^resume=True continues the 'momentum' optimizer of an "
                                         r"earlier train call or loaded checkpoint, but the model "
                                         r"has 'adam'$"):
        nn.train(X, y, num_epochs=1, optimizer="momentum", print_cost=False, resume=True)
    with pytest.raises(TypeError, match="resume"):
        nn.train(X, y, num_epochs=1, optimizer="adam", print_cost=False, resume="yes")


def test_resume_with_new_hyperparameters_keeps_the_moments():
    X, y = small_problem()
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=2, optimizer="adam", print_cost=False)
    state = nn.optimizer.state()
    nn.optimizer.configure(0.5, 0.7, 0.99, 1e-6)
    after = nn.optimizer.state()
    assert after["t"] == state["t"]
    np.testing.assert_allclose(after["v"], state["v"], rtol=1e-12)
    np.testing.assert_allclose(after["s"], state["s"], rtol=1e-12)


def test_ctrl_c_finishes_the_step_keeps_the_model_and_reraises(default_ctrl_c):
    import signal

    X, y = small_problem(m=40)
    reference = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=4)
    _, reference_costs = reference.train(X, y, num_epochs=3, batch_size=8, optimizer="adam",
                                         print_cost=False)

    def press_ctrl_c(epoch, cost):
        if epoch == 3:
            signal.raise_signal(signal.SIGINT)

    nn = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=4)
    with pytest.warns(UserWarning, match=r"^training interrupted after 3 complete epoch\(s\): "
                                         r"the model keeps the parameters of the last completed "
                                         r"step, and its costs attribute the costs of the "
                                         r"completed epochs$") as record:
        with pytest.raises(KeyboardInterrupt):
            nn.train(X, y, num_epochs=10, batch_size=8, optimizer="adam", print_cost=False,
                     callback=press_ctrl_c)
    assert len(record) == 1
    assert nn.costs == reference_costs
    np.testing.assert_array_equal(nn.theta, reference.theta)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    np.testing.assert_array_equal(nn.predict(X), reference.predict(X))  # a usable model


def test_sample_weight_errors():
    X, y = small_problem(m=10)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    for bad, error in [(np.ones(9), ValueError), (-np.ones(10), ValueError),
                       (np.zeros(10), ValueError), (np.full(10, np.nan), ValueError),
                       (np.array(["a"] * 10), TypeError)]:
        with pytest.raises(error, match="sample_weight"):
            nn.train(X, y, num_epochs=1, print_cost=False, sample_weight=bad)


@pytest.mark.parametrize("copy_model", [
    lambda nn: __import__("pickle").loads(__import__("pickle").dumps(nn)),
    lambda nn: __import__("copy").deepcopy(nn),
], ids=["pickle", "deepcopy"])
def test_a_copied_model_keeps_its_views_and_trains_like_the_original(copy_model):
    X, y = small_problem()
    nn = ClassifierNN([3, 5, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    nn.train(X, y, num_epochs=2, optimizer="adam", print_cost=False)
    twin = copy_model(nn)
    assert all(np.shares_memory(view, twin.theta) for view in twin.parameters.values())
    _, costs = nn.train(X, y, num_epochs=3, optimizer="adam", print_cost=False, resume=True)
    _, twin_costs = twin.train(X, y, num_epochs=3, optimizer="adam", print_cost=False,
                               resume=True)
    assert twin_costs == costs and costs[0] > costs[-1]
    np.testing.assert_array_equal(twin.theta, nn.theta)


# --------------------------------------------------------------------------- mini-batches, clipping
def labelled_columns(m):
    """``X`` whose first row numbers the examples, and two label layouts derived from it, so a
    batch can be checked column by column against the examples it claims to hold."""
    X, _ = small_problem(m=m)
    X[0] = np.arange(m)
    return X, {"1-D": 2 * np.arange(m), "(k, m)": np.vstack([np.arange(m), -np.arange(m),
                                                             10 * np.arange(m)])}


@pytest.mark.parametrize("layout", ["1-D", "(k, m)"])
@pytest.mark.parametrize("batch_size, sizes", [(1, [1] * 7), (3, [3, 3, 1]), (None, [7])],
                         ids=["one", "three", "all"])
def test_mini_batches_keep_each_example_with_its_labels(layout, batch_size, sizes):
    """Labels travel with their examples: a 1-D label vector is one row ``(1, m)``, a ``(k, m)``
    array keeps its k rows, and every batch's label columns belong to its X columns."""
    X, labels = labelled_columns(7)
    Y = labels[layout]
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    batches = nn.random_mini_batches(X, Y, batch_size=batch_size, seed=1)
    assert [b[0].shape[1] for b in batches] == sizes
    rows = Y.reshape(1, -1) if Y.ndim == 1 else Y
    for X_batch, Y_batch in batches:
        ids = X_batch[0].astype(int)
        np.testing.assert_array_equal(Y_batch, rows[:, ids])
    np.testing.assert_array_equal(np.sort(np.concatenate([b[0][0] for b in batches])),
                                  np.arange(7))


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(Y=np.zeros((1, 8))), ValueError, r"^Y must have shape \(k, 7\) to match X, got \(1, 8\)$"),
    (dict(Y=np.zeros((1, 7, 1))), ValueError,
     r"^Y must have shape \(k, 7\) to match X, got \(1, 7, 1\)$"),
    (dict(batch_size=0), ValueError, r"^batch_size must be >= 1, got 0$"),
    (dict(batch_size=2.0), TypeError, r"^batch_size must be an integer, got 2\.0$"),
    (dict(seed=-1), ValueError, r"^seed must be >= 0, got -1$"),
    (dict(seed=0.5), TypeError, r"^seed must be an integer, got 0\.5$"),
], ids=["Y-columns", "Y-3-D", "batch_size-0", "batch_size-float", "seed-negative", "seed-float"])
def test_mini_batch_arguments_are_refused_by_name(kwargs, error, message):
    X, labels = labelled_columns(7)
    arguments = dict(Y=labels["1-D"], batch_size=3, seed=0) | kwargs
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(error, match=message):
        nn.random_mini_batches(X, **arguments)


@pytest.mark.parametrize("clipnorm, factor", [(2.5, 2.5 / (5 + 1e-6)), (5.0, 5 / (5 + 1e-6)),
                                              (7.5, 1.0), (1e6, 1.0)],
                         ids=["half", "at-the-norm", "one-and-a-half", "far-above"])
def test_clip_gradient_rescales_only_a_gradient_longer_than_clipnorm(clipnorm, factor):
    """``g * min(1, c / (|g| + 1e-6))`` with ``|g| = 5``: a norm already within ``clipnorm``
    leaves every component as it was; the norm before clipping is returned either way."""
    from scratchnn.training import clip_gradient

    grad = np.array([3.0, -4.0, 0.0])
    assert clip_gradient(grad, clipnorm=clipnorm) == 5.0
    np.testing.assert_array_equal(grad, np.array([3.0, -4.0, 0.0]) * factor)


@pytest.mark.parametrize("grad, norm", [
    ([3.0, np.inf, 0.0], math.inf), ([3.0, -np.inf, 0.0], math.inf),
    ([3.0, np.nan, 0.0], math.nan), ([np.inf, np.nan, 0.0], math.nan),
], ids=["inf", "minus-inf", "nan", "inf-and-nan"])
def test_clip_gradient_reports_a_non_finite_norm_and_leaves_the_gradient(grad, norm):
    """An infinite gradient has norm inf (not NaN), a NaN one NaN; clipnorm leaves either as it
    was, and clipvalue still clamps the infinities and keeps the NaN."""
    from scratchnn.training import clip_gradient

    g = np.array(grad)
    returned = clip_gradient(g, clipnorm=1.0)
    if math.isnan(norm):
        assert math.isnan(returned)
    else:
        assert returned == norm
    np.testing.assert_array_equal(g, grad)
    returned = clip_gradient(g, clipnorm=1.0, clipvalue=2.0)
    assert returned == norm or (math.isnan(norm) and math.isnan(returned))
    np.testing.assert_array_equal(g, np.clip(grad, -2.0, 2.0))


def test_clip_gradient_by_value_alone_clamps_and_measures_no_norm():
    from scratchnn.training import clip_gradient

    grad = np.array([3.0, -4.0, 0.5])
    assert clip_gradient(grad, clipvalue=1.0) is None
    np.testing.assert_array_equal(grad, [1.0, -1.0, 0.5])
    assert clip_gradient(grad) is None
    np.testing.assert_array_equal(grad, [1.0, -1.0, 0.5])


def test_a_cost_that_overflows_is_reported_as_the_cost():
    """Inputs near the float64 maximum overflow the first forward pass (relu keeps the infinities,
    the output layer meets inf - inf): the error says the cost itself became NaN, at epoch 1,
    before any step, and the parameters are the initial ones."""
    from scratchnn import DivergenceError

    X = np.array([[1e308, -1e308, 1e308, -1e308], [1e308, 1e308, -1e308, -1e308]])
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    before = nn.theta.copy()
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 1: the cost became "
                                              r"nan; try a lower learning_rate than 0\.01\. The "
                                              r"parameters of the last finite step were kept\.$"
                       ) as info:
        nn.train(X, [[1, 0, 1, 0]], num_epochs=3, batch_size=None, print_cost=False)
    assert info.value.costs == []
    np.testing.assert_array_equal(nn.theta, before)


def test_lbfgs_batch_norm_statistics_of_float32_data_are_float32_statistics():
    """After L-BFGS the running statistics are the full batch's at the final parameters, computed
    as every float32 step computes them: bit for bit the batch statistics of a float32
    training-mode forward pass, and close to the float64 formula."""
    pytest.importorskip("scipy")
    X, y = small_problem(m=200, dtype=np.float32)
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    nn.train(X, y, num_epochs=5, optimizer="lbfgs", print_cost=False)
    assert nn.compute_dtype == np.float32
    _, caches = nn.forward_propagation(X, training=True)
    np.testing.assert_array_equal(nn.bn_state["running_mean1"], caches.layers[1].bn.mu)
    np.testing.assert_array_equal(nn.bn_state["running_var1"], caches.layers[1].bn.var)
    Z1 = nn.parameters["W1"].astype(np.float64) @ X.astype(np.float64)
    np.testing.assert_allclose(nn.bn_state["running_mean1"][:, 0], Z1.mean(axis=1), rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_allclose(nn.bn_state["running_var1"][:, 0], Z1.var(axis=1), rtol=1e-4)


# --------------------------------------------------------------------------- train's arguments
def early_stopping_on_val_loss():
    from scratchnn.callbacks import EarlyStopping

    return EarlyStopping(monitor="val_loss")


def plateau():
    from scratchnn.callbacks import ReduceLROnPlateau

    return ReduceLROnPlateau()


BAD_TRAIN_ARGUMENTS = [
    # (keyword arguments, error, the whole message)
    (dict(num_epochs=0), ValueError, r"num_epochs must be >= 1, got 0"),
    (dict(num_epochs=1.0), TypeError, r"num_epochs must be an integer, got 1\.0"),
    (dict(learning_rate=0.0), ValueError, r"learning_rate must be in \(0, inf\), got 0"),
    (dict(learning_rate="a"), TypeError, r"learning_rate must be a real number, got 'a'"),
    (dict(batch_size=0), ValueError, r"batch_size must be >= 1, got 0"),
    (dict(batch_size=1.0), TypeError, r"batch_size must be an integer, got 1\.0"),
    (dict(lambd=-1.0), ValueError, r"lambd must be in \[0, inf\), got -1"),
    (dict(print_cost="yes"), TypeError, r"print_cost must be True or False, got 'yes'"),
    (dict(beta1=1.0), ValueError, r"beta1 must be in \[0, 1\), got 1"),
    (dict(beta1=-0.5), ValueError, r"beta1 must be in \[0, 1\), got -0\.5"),
    (dict(beta2=1.0), ValueError, r"beta2 must be in \[0, 1\), got 1"),
    (dict(beta2=-0.5), ValueError, r"beta2 must be in \[0, 1\), got -0\.5"),
    (dict(epsilon=0.0), ValueError, r"epsilon must be in \(0, inf\), got 0"),
    (dict(resume="yes"), TypeError, r"resume must be True or False, got 'yes'"),
    (dict(checkpoint=42), TypeError, r"checkpoint must be a path or None, got 42"),
    (dict(checkpoint_every=0), ValueError, r"checkpoint_every must be >= 1, got 0"),
    (dict(checkpoint_every=1.0), TypeError, r"checkpoint_every must be an integer, got 1\.0"),
    (dict(clipnorm=0.0), ValueError, r"clipnorm must be in \(0, inf\), got 0"),
    (dict(clipvalue=0.0), ValueError, r"clipvalue must be in \(0, inf\), got 0"),
    (dict(weight_decay=-1.0), ValueError, r"weight_decay must be in \[0, inf\), got -1"),
    (dict(label_smoothing=1.0), ValueError, r"label_smoothing must be in \[0, 1\), got 1"),
    (dict(label_smoothing=-0.1), ValueError, r"label_smoothing must be in \[0, 1\), got -0\.1"),
    (dict(callbacks=42), TypeError,
     r"callbacks must be a list of scratchnn\.callbacks\.Callback objects, got 42"),
    (dict(callbacks=[plateau, "x"]), TypeError,
     r"callbacks\[1\] must be a scratchnn\.callbacks\.Callback, got 'x'"),
    (dict(callback=42), TypeError, r"callback must be callable or None, got 42"),
    (dict(callbacks=[early_stopping_on_val_loss]), ValueError,
     r"EarlyStopping monitors 'val_loss', but train has no validation_data: pass "
     r"validation_data=\(X_val, Y_val\) or monitor 'loss'"),
    (dict(lr_schedule="cosine", callbacks=[plateau]), ValueError,
     r"lr_schedule and ReduceLROnPlateau both set the learning rate: use one of them"),
    (dict(optimizer="lbfgs", keep_prob=[0.5, 1.0], clipnorm=1.0, clipvalue=1.0,
          weight_decay=0.1, lr_schedule="cosine"), ValueError,
     r"optimizer='lbfgs' minimizes one deterministic full-batch cost and cannot be combined with "
     r"keep_prob, lr_schedule, clipnorm, clipvalue, weight_decay"),
    (dict(optimizer="lbfgs", clipvalue=1.0), ValueError,
     r"optimizer='lbfgs' minimizes one deterministic full-batch cost and cannot be combined with "
     r"clipvalue"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_TRAIN_ARGUMENTS,
                         ids=[f"{i}-{'-'.join(case[0])}" for i, case in
                              enumerate(BAD_TRAIN_ARGUMENTS)])
def test_train_messages_start_with_the_argument_they_refuse(kwargs, error, message):
    """Each refused argument of ``train`` is named at the very start of the whole message (an
    unanchored search would also accept the name buried in other text), before anything is
    trained."""
    X, y = small_problem(m=10)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    before = nn.theta.copy()
    kwargs = {key: [item() if callable(item) else item for item in value]
              if key == "callbacks" and isinstance(value, list) else value
              for key, value in kwargs.items()}
    arguments = dict(num_epochs=1, print_cost=False) | kwargs
    with pytest.raises(error, match=f"^{message}$"):
        nn.train(X, y, **arguments)
    np.testing.assert_array_equal(nn.theta, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_as_rows_is_the_transpose_contiguous_in_the_dtype_without_needless_copies(layout, dtype):
    """``as_rows(M, dtype)`` is ``M.T`` as a C-contiguous array of ``dtype``; a Fortran-ordered
    float64 ``M`` already is that transposed, so it comes back as a view, not a copy."""
    from scratchnn.training import as_rows

    M = np.asarray(np.arange(12.0).reshape(3, 4), order=layout)
    rows = as_rows(M, dtype)
    assert rows.dtype == dtype and rows.flags.c_contiguous
    np.testing.assert_array_equal(rows, M.T.astype(dtype))
    assert np.shares_memory(rows, M) == (layout == "F" and dtype == np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_keep_prob_too_small_for_the_dtype_is_refused_naming_it(dtype):
    """A keep probability whose inverse (the inverted-dropout scale) overflows the model's dtype
    is refused up front, naming the entry, its value and the dtype; 1e-39 is fine in float64."""
    X, y = small_problem(m=10, dtype=dtype)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    p = {np.float32: 1e-39, np.float64: 1e-320}[dtype]
    name = np.dtype(dtype).name
    with pytest.raises(ValueError, match=rf"^keep_prob\[1\] = {p:g} is too small for {name}: its "
                                         rf"inverse, the dropout scale, overflows$"):
        nn.train(X, y, num_epochs=1, keep_prob=[1.0, p], print_cost=False)
    if dtype == np.float64:
        from scratchnn.training import check_dropout

        assert check_dropout([1.0, 1e-39], 2, np.float64) == (1.0, 1e-39)


def test_progress_bar_frames_show_each_epoch_count_with_that_epochs_cost(capsys):
    """The bar is labelled ``training``, counts epochs (``epoch/s``), and every frame it draws
    pairs an epoch count with the cost of that very epoch (6 decimals), never a cost ahead of
    its count."""
    import re

    X, y = small_problem()
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    _, costs = nn.train(X, y, num_epochs=3)
    frames = [f for f in re.split(r"[\r\n]", capsys.readouterr().err) if f.strip()]
    assert frames and all(f.startswith("training: ") for f in frames)
    assert re.search(r"\| 3/3 \[.*(epoch/s|s/epoch), cost=", frames[-1])
    shown = [re.search(r"\| (\d+)/3 .*cost=(\S+)\]", f) for f in frames]
    shown = [(int(s.group(1)), s.group(2)) for s in shown if s]
    assert shown and shown[-1] == (3, f"{costs[-1]:.6f}")
    for count, cost in shown:
        assert count >= 1 and cost == f"{costs[count - 1]:.6f}"


@pytest.mark.parametrize("m, batch_size, batch_norm, sizes", [
    (33, 32, True, [33]),           # two batches, the second of one: folded into the first
    (65, 32, True, [32, 33]),
    (66, 32, True, [32, 32, 2]),    # a trailing batch of two stays
    (33, 32, False, [32, 1]),       # without batch norm a batch of one is a batch
    (1, 1, True, [1]),              # a single example is the whole (only) batch
    (1, None, True, [1]),
], ids=["33-by-32-bn", "65-by-32-bn", "66-by-32-bn", "33-by-32", "one-by-1-bn", "one-whole-bn"])
def test_batch_sizes_of_one_epoch(m, batch_size, batch_norm, sizes):
    """The examples of one epoch split into batches of ``batch_size``, the last keeping the
    remainder; with batch norm a trailing batch of exactly one example joins the batch before it
    (one example has no variance), unless it is the only batch."""
    from scratchnn.callbacks import Callback

    seen = []

    class Sizes(Callback):
        def on_batch_end(self, step):
            seen.append(step.caches.layers[0].A.shape[1])

    X, y = small_problem(m=m)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], batch_norm=batch_norm, seed=0)
    _, costs = nn.train(X, y, num_epochs=1, batch_size=batch_size, callbacks=[Sizes()],
                        print_cost=False)
    assert seen == sizes and nn.optimizer.t == len(sizes)
    assert np.isfinite(costs[0]) and costs[0] > 0


def test_batch_norm_refuses_batches_of_one_from_two_examples_on():
    """A batch of one example has no variance: with batch norm ``batch_size=1`` is refused as
    soon as there are two examples (one example alone trains, see above)."""
    X, y = small_problem(m=2)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    with pytest.raises(ValueError, match=r"^batch_size=1 cannot train with batch_norm=True: a "
                                         r"batch of one example has no variance to normalize by "
                                         r"\(use batch_size >= 2\)$"):
        nn.train(X, y, num_epochs=1, batch_size=1, print_cost=False)


def test_lbfgs_accepts_the_neutral_values_of_the_settings_it_refuses():
    """L-BFGS refuses dropout, clipping, schedules and weight decay; ``keep_prob`` of all ones and
    ``weight_decay=0`` change nothing, so they are accepted."""
    pytest.importorskip("scipy")
    X, y = small_problem(m=30)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    _, costs = nn.train(X, y, num_epochs=3, optimizer="lbfgs", keep_prob=[1.0, 1.0],
                        weight_decay=0.0, print_cost=False)
    assert 1 <= len(costs) <= 3 and costs[-1] < costs[0]


def test_an_update_that_overflows_is_reported_with_its_epoch_and_the_finite_cost():
    """A learning rate of 1e100 on inputs of size 1e3: epoch 1 completes, and the first step of
    epoch 2 makes a non-finite update while its cost is still finite. The error names epoch 2,
    that cost, and the learning rate; the model keeps epoch 1's parameters."""
    from scratchnn import DivergenceError

    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 50)) * 1e3
    y = (X[0:1] > 0).astype(np.float64)
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 2: the update became "
                                              r"NaN or infinite \(the cost, \d\.\d+e\+\d+, was "
                                              r"still finite\); try a lower learning_rate than "
                                              r"1e\+100\. The parameters of the last finite step "
                                              r"were kept\.$") as info:
        nn.train(X, y, num_epochs=5, learning_rate=1e100, batch_size=None, print_cost=False)
    assert len(info.value.costs) == 1
    replay = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    replay.train(X, y, num_epochs=1, learning_rate=1e100, batch_size=None, print_cost=False)
    np.testing.assert_array_equal(nn.theta, replay.theta)


def test_work_arrays_are_made_once_per_batch_size_and_steps_stay_in_float32(monkeypatch):
    """Work arrays are made once per ``train`` call for each batch size seen (here 16 and the
    remainder 2), never per step or per epoch; with float32 data and sample weights every step
    computes in float32: the gathered batch, the output and the gradients."""
    from scratchnn.callbacks import Callback

    X, y = small_problem(m=50, dtype=np.float32)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    sizes = []
    make_workspace = nn.make_workspace

    def counting(m, *args, **kwargs):
        sizes.append(m)
        return make_workspace(m, *args, **kwargs)

    monkeypatch.setattr(nn, "make_workspace", counting)
    dtypes = set()

    class Dtypes(Callback):
        def on_batch_end(self, step):
            dtypes.update({step.caches.layers[0].A.dtype, step.caches.layers[-1].A.dtype,
                           step.grads["dW1"].dtype})

    nn.train(X, y, num_epochs=3, batch_size=16, print_cost=False, callbacks=[Dtypes()],
             sample_weight=np.linspace(0.5, 1.5, 50))
    assert sorted(sizes) == [2, 16]
    assert dtypes == {np.dtype(np.float32)}


class Blocks:
    """Training data as several blocks, the interface ``fit`` accepts besides ``ArrayData``:
    ``n``, ``n_blocks`` and ``blocks(rng)``, which records the generator it is given."""

    def __init__(self, blocks):
        self.list, self.n_blocks = blocks, len(blocks)
        self.n = sum(block.X.shape[0] for block in blocks)
        self.rngs = []

    def blocks(self, rng):
        self.rngs.append(rng)
        return iter(self.list)


def blocks_of(X, y, sizes, weights=None):
    from scratchnn.training import Block

    edges = np.cumsum([0, *sizes])
    return [Block(np.ascontiguousarray(X[:, a:b].T), np.ascontiguousarray(y[:, a:b].T, float),
                  None if weights is None else np.ascontiguousarray(weights[None, a:b].T))
            for a, b in zip(edges[:-1], edges[1:])]


def fit_blocks(data, num_epochs=1):
    from scratchnn import training

    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    theta = nn.theta.copy()
    settings = training.TrainingSettings(nn.check_loss("BinaryCrossEntropy"),
                                         num_epochs=num_epochs, learning_rate=1e-12)
    costs = training.fit(nn, data, settings)
    return nn, theta, costs


def test_an_epoch_over_blocks_is_the_example_weighted_mean_of_the_block_costs():
    """With a negligible learning rate every block's cost is the cost at the initial parameters
    (each block one full batch), so the epoch's cost is their mean weighted by block size. The
    blocks come from ``data.blocks(model.rng)``, once per epoch; each takes one step."""
    X, y = small_problem(m=50)
    data = Blocks(blocks_of(X, y, [30, 20]))
    nn, theta, costs = fit_blocks(data, num_epochs=2)
    nn.theta[...] = theta
    block_costs = [nn.compute_cost(nn.forward_propagation(X[:, a:b])[0], y[:, a:b])
                   for a, b in ((0, 30), (30, 50))]
    expected = (30 * block_costs[0] + 20 * block_costs[1]) / 50
    assert costs[0] == pytest.approx(expected, rel=1e-9)
    assert data.rngs == [nn.rng, nn.rng] and nn.optimizer.t == 4


def test_a_block_without_weight_is_skipped_and_a_run_without_steps_ends_quietly():
    """A block whose sample weights are all zero has nothing to learn: no step is taken on it
    (the optimizer counts the steps) and it adds nothing to the epoch's cost, whether it comes
    first or last. An epoch whose every block is skipped takes no step and costs 0, and the
    run still ends normally."""
    X, y = small_problem(m=50)
    weights = np.r_[np.zeros(30), np.linspace(0.5, 1.0, 20)]
    first = Blocks(blocks_of(X, y, [30, 20], weights))
    nn, theta, costs = fit_blocks(first)
    assert nn.optimizer.t == 1
    nn.theta[...] = theta
    A, _ = nn.forward_propagation(X[:, 30:])
    losses = -(y[:, 30:] * np.log(A) + (1 - y[:, 30:]) * np.log(1 - A))
    assert costs[0] == pytest.approx(np.sum(weights[30:] * losses) / 20 * 20 / 50, rel=1e-9)
    last = Blocks(blocks_of(X, y, [20, 30], weights[::-1]))
    assert fit_blocks(last)[0].optimizer.t == 1
    none = Blocks(blocks_of(X, y, [30], np.zeros(50)))
    nn, theta, costs = fit_blocks(none, num_epochs=2)
    assert costs == [0.0, 0.0] and nn.optimizer.t == 0
    np.testing.assert_array_equal(nn.theta, theta)


def test_array_data_is_one_block_of_rows_in_the_models_dtype():
    """``ArrayData.from_columns``: ``n`` examples in one block, ``X`` and the weights as rows of
    the model's dtype, the labels as rows of their own dtype (integer class indices stay
    integers), no weights when there are none; ``blocks`` yields that one block."""
    from scratchnn.training import ArrayData

    X, _ = small_problem(m=6)
    labels = np.array([[0, 2, 1, 1, 0, 2]])
    weights = np.linspace(0.5, 1.0, 6)[None]
    data = ArrayData.from_columns(X, labels, weights, np.float32)
    assert (data.n, data.n_blocks) == (6, 1)
    (block,) = data.blocks(None)
    np.testing.assert_array_equal(block.X, X.T.astype(np.float32))
    np.testing.assert_array_equal(block.Y, labels.T)
    np.testing.assert_array_equal(block.weights, weights.T.astype(np.float32))
    assert (block.X.dtype, block.Y.dtype, block.weights.dtype) == (np.float32, labels.dtype,
                                                                  np.float32)
    assert ArrayData.from_columns(X, labels, None, np.float64).block.weights is None


@pytest.mark.parametrize("batch_size, batches", [(8, [8] * 7 + [4]), (None, [60])])
def test_a_sparse_block_is_densified_one_batch_at_a_time_and_trains_like_a_dense_one(
        monkeypatch, batch_size, batches):
    """A block's ``X`` may be a SciPy CSR matrix (how NNClassifier trains on sparse input):
    ``batch_rows`` densifies the rows of one mini-batch at a time (and the end-of-run check the
    rows it samples), and the run is the dense block's: the same costs, parameters and
    warnings. Full-batch L-BFGS refuses a sparse block rather than densify it whole."""
    sparse = pytest.importorskip("scipy.sparse")
    from scratchnn import training
    from scratchnn.optimizers import OPTIMIZERS

    X, y = small_problem(m=60)
    X[np.abs(X) < 0.8] = 0.0  # mostly zeros
    dense = training.ArrayData.from_columns(X, y, np.linspace(0.5, 1.5, 60)[None], np.float64)
    csr = training.ArrayData(dense.block._replace(X=sparse.csr_matrix(dense.block.X)))
    densified = []
    toarray = sparse.csr_matrix.toarray

    def recording_toarray(self, *args, **kwargs):
        densified.append(self.shape[0])
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sparse.csr_matrix, "toarray", recording_toarray)
    runs = []
    for data in (dense, csr):
        nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
        nn.parameters["b1"][...] = -50.0  # every relu unit dead: the end-of-run check warns
        settings = training.TrainingSettings(
            nn.check_loss("BinaryCrossEntropy"), num_epochs=3, learning_rate=0.05,
            batch_size=batch_size, keep_prob=(1.0, 0.8), optimizer=OPTIMIZERS["adam"])
        with pytest.warns(TrainingProblemWarning) as caught:
            costs = training.fit(nn, data, settings)
        runs.append((costs, nn.theta.copy(), [str(w.message) for w in caught]))
    assert runs[1][0] == runs[0][0]
    np.testing.assert_array_equal(runs[1][1], runs[0][1])
    assert runs[1][2] == runs[0][2] and "dead" in runs[0][2][0]
    assert densified == batches * 3 + [60]  # 3 epochs of batches, then the end-of-run sample
    lbfgs = training.TrainingSettings(nn.check_loss("BinaryCrossEntropy"), num_epochs=3,
                                      learning_rate=1.0, optimizer=OPTIMIZERS["lbfgs"])
    with pytest.raises(ValueError, match="optimizer='lbfgs'.*sparse X"):
        training.fit(nn, csr, lbfgs)


def test_check_dropout_refuses_exactly_the_probabilities_whose_inverse_overflows():
    """In float32, ``p = 1 / max`` has an infinite inverse (``p`` itself rounds down), so it is
    refused; 1.5 times that has a finite inverse and is accepted."""
    from scratchnn.training import check_dropout

    tiny = 1.0 / float(np.finfo(np.float32).max)
    with np.errstate(over="ignore", divide="ignore"):
        assert np.isinf(np.float32(1.0) / np.float32(tiny))
        assert np.isfinite(np.float32(1.0) / np.float32(1.5 * tiny))
    with pytest.raises(ValueError, match=r"^keep_prob\[1\] = 2\.93874e-39 is too small for "
                                         r"float32"):
        check_dropout([1.0, tiny], 2, np.float32)
    assert check_dropout([1.0, 1.5 * tiny], 2, np.float32) == (1.0, 1.5 * tiny)


def test_steps_of_one_batch_size_reuse_the_same_work_arrays():
    """Work arrays are made once per batch size, never per step: every step of a batch size
    writes its forward pass into the same cache and the same activation arrays."""
    from scratchnn.callbacks import Callback

    X, y = small_problem(m=40)
    seen = []

    class Arrays(Callback):
        def on_batch_end(self, step):
            seen.append((step.caches, step.caches.layers[1].A, step.caches.layers[-1].Z))

    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=2, batch_size=10, keep_prob=[1.0, 0.8], print_cost=False,
             callbacks=[Arrays()])
    assert len(seen) == 8
    for caches, hidden, logits in seen[1:]:
        assert caches is seen[0][0] and hidden is seen[0][1] and logits is seen[0][2]


@pytest.mark.parametrize("batch_size", [None, 50, 64], ids=["None", "m", "more-than-m"])
def test_a_full_batch_is_the_examples_in_their_order_and_draws_nothing(batch_size):
    """A batch of all the examples is not shuffled: without dropout the epoch draws nothing from
    the model's generator, and its one gd step is exactly ``theta - lr * gradient`` of the cost
    over the examples in their given order (``cost_and_gradient``)."""
    X, y = small_problem(m=50)
    nn = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=1)
    theta = nn.theta.copy()
    cost, gradient = nn.cost_and_gradient(theta, X, y)
    state = nn.rng.bit_generator.state
    _, costs = nn.train(X, y, num_epochs=1, batch_size=batch_size, learning_rate=0.5,
                        print_cost=False)
    assert nn.rng.bit_generator.state == state
    assert costs == [cost]
    np.testing.assert_array_equal(nn.theta, theta - 0.5 * gradient)


def test_validation_loss_is_scored_with_the_same_label_smoothing_as_training():
    """``val_loss`` is the training loss on the held-out set, label smoothing included (as
    Keras computes it): binary targets ``y (1 - eps) + eps / 2`` against the predicted
    probabilities."""
    X, y = small_problem(m=60)
    X_val, y_val = X[:, :20], y[:, :20]
    eps = 0.2
    nn = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=2)
    nn.train(X[:, 20:], y[:, 20:], num_epochs=3, label_smoothing=eps, print_cost=False,
             validation_data=(X_val, y_val))
    A = nn.predict_proba(X_val)
    target = y_val * (1 - eps) + eps / 2
    expected = -np.mean(target * np.log(A) + (1 - target) * np.log(1 - A))
    assert nn.history["val_loss"][-1] == pytest.approx(expected, rel=1e-9)
    assert nn.history["val_accuracy"][-1] == nn.accuracy(X_val, y_val)


def test_float32_full_batch_with_float_labels_is_computed_in_float32():
    """On float32 data with float labels one full batch computes in float32: the batch it sees
    is float32, the labels are held in float32, and the epoch's cost (taken before the step) is,
    bit for bit, binary cross-entropy from the logits evaluated in float32,
    ``sum(max(Z, 0) - Z y + log1p(exp(-|Z|))) / m``. (Integer labels are kept as integers.)"""
    from scratchnn.callbacks import Callback

    X, y = small_problem(m=50, dtype=np.float32)
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0, dtype="float32")
    seen = []

    class Inputs(Callback):
        def on_batch_end(self, step):
            seen.append(step.caches.layers[0].A.dtype)

    _, caches = nn.forward_propagation(X)
    Z, Y = caches.layers[-1].Z, y.astype(np.float32)
    assert Z.dtype == np.float32
    expected = float(np.sum(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z))))) / 50
    _, costs = nn.train(X, y.astype(np.float64), num_epochs=1, batch_size=None,
                        learning_rate=0.01, print_cost=False, callbacks=[Inputs()])
    assert seen == [np.float32]
    assert costs == [expected]


def test_a_custom_ctrl_c_handler_is_left_in_place_while_training():
    """Ctrl-C is deferred only over Python's default handler: a handler of the program's own
    stays installed during training (training runs in the main thread here) and afterwards."""
    import signal

    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGINT, mine)
    try:
        seen = []
        X, y = small_problem(m=20)
        nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
        nn.train(X, y, num_epochs=2, batch_size=8, print_cost=False,
                 callback=lambda epoch, cost: seen.append(signal.getsignal(signal.SIGINT)))
        assert seen == [mine, mine]
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, previous)


def test_every_training_step_applies_inverted_dropout():
    """With ``keep_prob`` every step's forward pass drops units: its cache holds a mask of
    zeros and ``1/p`` for each layer whose ``p < 1`` (about ``1 - p`` of them zeros), and the
    next layer's input is the activation times that mask."""
    from scratchnn.callbacks import Callback

    X, y = small_problem(m=400)
    masks = []

    class Masks(Callback):
        def on_batch_end(self, step):
            layers = step.caches.layers
            assert layers[0].D is None  # keep_prob[0] = 1: the inputs are kept
            np.testing.assert_array_equal(layers[2].A_prev, layers[1].A * layers[1].D)
            masks.append(layers[1].D.copy())

    nn = ClassifierNN([3, 50, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=2, batch_size=200, keep_prob=[1.0, 0.5], print_cost=False,
             callbacks=[Masks()])
    assert len(masks) == 4
    for D in masks:
        assert set(np.unique(D).tolist()) == {0.0, 2.0}
        assert 0.45 < np.mean(D == 0) < 0.55


def test_lbfgs_iterations_move_the_progress_bar(capsys):
    """With L-BFGS each iteration is an epoch on the progress bar too: the last frame counts the
    iterations run and shows the last one's cost."""
    import re

    pytest.importorskip("scipy")
    X, y = small_problem(m=40)
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    _, costs = nn.train(X, y, num_epochs=3, optimizer="lbfgs")
    frames = [f for f in re.split(r"[\r\n]", capsys.readouterr().err) if f.strip()]
    assert len(costs) == 3
    assert re.search(rf"\| 3/3 \[.*cost={costs[-1]:.6f}\]", frames[-1])


# --------------------------------------------------------------------------- the loop's invariants
def loop_problem(m=40, seed=0):
    X = np.random.default_rng(seed).standard_normal((3, m))
    return X, (X[0] * X[1] > 0).astype(int).reshape(1, -1)


def test_a_callback_that_rebinds_a_parameter_keeps_the_layer_in_the_buffer(tmp_path):
    """The seed's update style, ``parameters["W1"] = parameters["W1"] - ...``, from a callback:
    the value is copied into the flat buffer, so training, prediction and ``save`` go on seeing
    one ``W1`` (a plain dict would detach the layer: the optimizer would update one copy and
    prediction read the other)."""
    from scratchnn.callbacks import Callback

    class Shrink(Callback):
        def on_epoch_end(self, epoch, logs):
            params = self.model.parameters
            params["W1"] = params["W1"] * 0.5

        def on_train_begin(self, model):
            self.model = model

    X, y = loop_problem()
    nn = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=1)
    nn.train(X, y, num_epochs=3, optimizer="adam", callbacks=[Shrink()], print_cost=False)
    assert np.shares_memory(nn.parameters["W1"], nn.theta)
    np.testing.assert_array_equal(nn.parameters["W1"].ravel(), nn.theta[:15])
    path = tmp_path / "model.npz"
    nn.save(path)
    np.testing.assert_array_equal(ClassifierNN.load(path).predict_proba(X), nn.predict_proba(X))


def test_train_refuses_to_start_inside_its_own_run():
    """``train`` called from a callback on the model being trained would replace the outer
    run's optimizer, costs and history: it is refused, and the outer run reports it."""
    from scratchnn.callbacks import Callback

    X, y = loop_problem()

    class Nested(Callback):
        def on_epoch_end(self, epoch, logs):
            self.model.train(X, y, num_epochs=1, print_cost=False)

        def on_train_begin(self, model):
            self.model = model

    nn = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=1)
    with pytest.raises(RuntimeError, match=r"^train is already running on this model"):
        nn.train(X, y, num_epochs=3, optimizer="adam", callbacks=[Nested()], print_cost=False)
    assert nn.optimizer.name == "adam" and len(nn.costs) == 1
    nn.train(X, y, num_epochs=1, print_cost=False)  # once the run has ended, train works again
    assert len(nn.costs) == 1


def test_a_learning_rate_a_callback_sets_is_checked():
    """A rate a callback hands the optimizer is checked as ``train``'s own, naming the
    callback: a negative rate would train uphill."""
    from scratchnn.callbacks import Callback

    class Uphill(Callback):
        def on_epoch_end(self, epoch, logs):
            self.model.optimizer.learning_rate = -0.5

        def on_train_begin(self, model):
            self.model = model

    X, y = loop_problem()
    nn = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=1)
    with pytest.raises(ValueError, match=r"^callback Uphill \(epoch 1\) must give a finite "
                                         r"learning rate > 0, got -0.5$"):
        nn.train(X, y, num_epochs=3, callbacks=[Uphill()], print_cost=False)
    assert len(nn.costs) == 1
