"""NNRegressor: scikit-learn's own estimator checks, and what it promises beyond them."""

import os
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import scratchnn.sklearn as nn_sklearn
from scratchnn import RegressorNN
from scratchnn.losses import MeanSquaredError
from scratchnn.sklearn import NNRegressor
from scratchnn.sklearn import _base as sklearn_base  # where the training path lives
from scratchnn.sklearn import _data as sklearn_data  # where rows and blocks are served
from scratchnn.sklearn import _regressor as sklearn_regressor
from tolerances import assert_float32_close


@parametrize_with_checks([NNRegressor()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def friedman():
    """A seeded nonlinear problem: Friedman #1 (sin of a product, a square, two linear terms)."""
    X, y = make_friedman1(n_samples=600, noise=0.5, random_state=0)
    return train_test_split(StandardScaler().fit_transform(X), y, random_state=0)


def small(**params):
    return NNRegressor(**{"hidden_layer_sizes": (16,), "learning_rate": 0.01, "max_epochs": 30,
                          "n_iter_no_change": 99, "random_state": 0, **params})


def test_nnregressor_is_exported_lazily():
    code = ("import sys, scratchnn; assert 'sklearn' not in sys.modules; "
            "from scratchnn.sklearn import NNRegressor; assert scratchnn.NNRegressor is NNRegressor; "
            "assert 'NNRegressor' in dir(scratchnn) and 'NNRegressor' not in scratchnn.__all__")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- learning
def test_r2_floor_on_a_seeded_nonlinear_problem(friedman):
    X_train, X_test, y_train, y_test = friedman
    model = NNRegressor(hidden_layer_sizes=(64,), learning_rate=0.003, max_epochs=150,
                        random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) > 0.85  # a linear model gets 0.77 here
    linear = NNRegressor(hidden_layer_sizes=(), learning_rate=0.01, max_epochs=150,
                         random_state=0).fit(X_train, y_train)
    assert linear.score(X_test, y_test) < model.score(X_test, y_test) - 0.05


def test_pipeline_and_cross_val_score(friedman):
    X, _, y, _ = friedman
    pipeline = make_pipeline(StandardScaler(), small(max_epochs=60))
    scores = cross_val_score(pipeline, X, y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and np.all(scores > 0.7)
    # The scorer is R², the same as the pipeline's own score on each fold
    train, test = next(KFold(3, shuffle=True, random_state=0).split(X))
    fitted = clone(pipeline).fit(X[train], y[train])
    assert scores[0] == pytest.approx(r2_score(y[test], fitted.predict(X[test])), rel=1e-12)


def test_the_network_has_a_linear_output_unit_per_target(friedman):
    X, _, y, _ = friedman
    one = small(max_epochs=2).fit(X, y)
    assert isinstance(one.network_, RegressorNN) and one.n_outputs_ == 1
    assert one.network_.layer_dims == [10, 16, 1]
    assert one.network_.activations == ["relu", "linear"]
    assert one.predict(X).shape == (len(y),)
    Y = np.column_stack([y, -2 * y, np.sin(X[:, 0])])
    three = small(max_epochs=2).fit(X, Y)
    assert three.network_.layer_dims == [10, 16, 3] and three.predict(X).shape == (len(y), 3)
    column = small(max_epochs=2).fit(X, y[:, None])  # a 2-D y of one column stays 2-D
    assert column.predict(X).shape == (len(y), 1)
    np.testing.assert_array_equal(column.predict(X)[:, 0], one.predict(X))


def test_multi_output_learns_every_output(friedman):
    X_train, X_test, y_train, y_test = friedman
    Y_train = np.column_stack([y_train, 1000 * np.sin(X_train[:, 0]), -y_train / 100])
    Y_test = np.column_stack([y_test, 1000 * np.sin(X_test[:, 0]), -y_test / 100])
    model = small(hidden_layer_sizes=(64,), max_epochs=100, learning_rate=0.003)
    predicted = model.fit(X_train, Y_train).predict(X_test)
    for k in range(3):  # outputs of very different scales are each learned
        assert r2_score(Y_test[:, k], predicted[:, k]) > 0.8, k
    assert model.score(X_test, Y_test) == pytest.approx(r2_score(Y_test, predicted), rel=1e-12)


# ---------------------------------------------------------------------------- target scaling
def test_the_targets_are_standardized_inside(friedman):
    X, _, y, _ = friedman
    model = small(max_epochs=3).fit(X, y)
    np.testing.assert_allclose(model.y_mean_, [y.mean()], rtol=1e-12)
    np.testing.assert_allclose(model.y_scale_, [y.std()], rtol=1e-12)
    # The network itself predicts the standardized values
    raw = model.network_.predict(X.T)[0]
    np.testing.assert_allclose(model.predict(X), raw * y.std() + y.mean(), rtol=1e-12)


def test_scaling_y_by_1000_scales_the_predictions_by_1000(friedman):
    X, X_test, y, _ = friedman
    params = dict(hidden_layer_sizes=(16,), learning_rate=0.01, max_epochs=20, random_state=0)
    plain = NNRegressor(**params).fit(X, y)
    scaled = NNRegressor(**params).fit(X, 1000 * y + 5e4)
    np.testing.assert_allclose(scaled.predict(X_test), 1000 * plain.predict(X_test) + 5e4,
                               rtol=1e-6)
    assert scaled.n_iter_ == plain.n_iter_
    np.testing.assert_allclose(scaled.loss_curve_, plain.loss_curve_, rtol=1e-6)


def test_weighted_target_statistics_are_the_weighted_mean_and_deviation():
    rng = np.random.default_rng(0)
    y = rng.normal(3.0, 2.0, (50, 2))
    w = rng.uniform(0.0, 3.0, 50)
    mean, scale = sklearn_regressor.standardization(y, w)
    for k in range(2):
        expected_mean = sum(w[i] * y[i, k] for i in range(50)) / sum(w)
        expected_var = sum(w[i] * (y[i, k] - expected_mean) ** 2 for i in range(50)) / sum(w)
        assert mean[k] == pytest.approx(expected_mean, rel=1e-12)
        assert scale[k] == pytest.approx(expected_var ** 0.5, rel=1e-12)
    # A constant target is only centred, not divided by zero
    mean, scale = sklearn_regressor.standardization(np.full((5, 1), 7.0), None)
    assert mean.tolist() == [7.0] and scale.tolist() == [1.0]


def test_sample_weights_enter_the_target_standardization(friedman):
    X, _, y, _ = friedman
    w = np.where(y > np.median(y), 3.0, 1.0)
    model = small(max_epochs=2).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.y_mean_, [np.average(y, weights=w)], rtol=1e-12)


# ---------------------------------------------------------------------------- sample weights
def test_integer_sample_weights_train_like_repeated_rows(friedman):
    X, _, y, _ = friedman
    X, y = X[:100], y[:100]
    w = np.random.default_rng(1).integers(0, 3, len(y))
    params = dict(hidden_layer_sizes=(8,), batch_size=len(y), max_epochs=15,
                  n_iter_no_change=99, random_state=0)
    weighted = NNRegressor(**params).fit(X, y, sample_weight=w)
    repeated = NNRegressor(**{**params, "batch_size": int(w.sum())}).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9)


def test_sample_weight_pulls_the_fit_toward_the_weighted_rows():
    # Two groups with the same X and different targets: the prediction follows the weights.
    X = np.zeros((200, 2))
    y = np.r_[np.zeros(100), np.full(100, 10.0)]
    for heavy, expected in ((0, 2.0), (1, 8.0)):
        w = np.where(np.arange(200) // 100 == heavy, 4.0, 1.0)
        model = NNRegressor(hidden_layer_sizes=(), learning_rate=0.05, max_epochs=200,
                            n_iter_no_change=200, random_state=0).fit(X, y, sample_weight=w)
        assert model.predict(X[:1])[0] == pytest.approx(expected, abs=0.05)


def test_zero_weights_leave_rows_out(friedman):
    X, _, y, _ = friedman
    w = np.r_[np.ones(200), np.zeros(len(y) - 200)]
    noisy = y.copy()
    noisy[200:] = 1e3  # rows of weight 0 would ruin the fit and its scaling if they counted
    params = dict(hidden_layer_sizes=(8,), batch_size=len(y), max_epochs=10, random_state=0,
                  n_iter_no_change=99)
    zero = NNRegressor(**params).fit(X, noisy, sample_weight=w)
    np.testing.assert_allclose(zero.y_mean_, [y[:200].mean()], rtol=1e-12)
    assert zero.score(X[:200], y[:200]) > small().set_params(**params).fit(
        X, noisy).score(X[:200], y[:200])


# ---------------------------------------------------------------------------- partial_fit
def test_partial_fit_continues_the_optimizer_like_one_long_run(friedman):
    X, _, y, _ = friedman
    params = dict(hidden_layer_sizes=(8,), batch_size=50, n_iter_no_change=99, random_state=0)
    long_run = NNRegressor(max_epochs=5, **params).fit(X, y)
    streamed = NNRegressor(**params)
    for _ in range(5):
        streamed.partial_fit(X, y)
    assert streamed.n_iter_ == 5 and streamed.loss_curve_ == long_run.loss_curve_
    assert streamed.network_.optimizer.t == long_run.network_.optimizer.t == 5 * 9
    np.testing.assert_array_equal(streamed.network_.theta, long_run.network_.theta)


def test_partial_fit_keeps_the_first_chunks_standardization_and_learns(friedman):
    X_train, X_test, y_train, y_test = friedman
    model = small(learning_rate=0.003, hidden_layer_sizes=(32,))
    chunks = np.array_split(np.arange(len(y_train)), 3)
    model.partial_fit(X_train[chunks[0]], y_train[chunks[0]])
    mean, scale = model.y_mean_.copy(), model.y_scale_.copy()
    before = model.score(X_test, y_test)
    for _ in range(40):
        for chunk in chunks:
            model.partial_fit(X_train[chunk], y_train[chunk])
    assert model.y_mean_ == mean and model.y_scale_ == scale
    assert model.n_iter_ == 1 + 40 * 3
    assert model.score(X_test, y_test) > max(0.8, before + 0.3)


def test_partial_fit_sample_weight_changes_the_step(friedman):
    X, _, y, _ = friedman
    w = np.random.default_rng(0).uniform(0.1, 3.0, len(y))
    plain = small().partial_fit(X, y)
    weighted = small().partial_fit(X, y, sample_weight=w)
    twice = small().partial_fit(X, y, sample_weight=2 * w)  # rescaled to mean 1: the same
    assert not np.allclose(plain.network_.theta, weighted.network_.theta)
    np.testing.assert_allclose(twice.network_.theta, weighted.network_.theta, rtol=1e-12)


def test_warm_start_continues_like_one_long_run(friedman):
    X, _, y, _ = friedman
    params = dict(hidden_layer_sizes=(8,), n_iter_no_change=99, random_state=0)
    long_run = NNRegressor(max_epochs=10, **params).fit(X, y)
    warm = NNRegressor(max_epochs=4, warm_start=True, **params).fit(X, y)
    warm.set_params(max_epochs=6).fit(X, y)
    assert warm.n_iter_ == 10 and warm.loss_curve_ == long_run.loss_curve_
    np.testing.assert_array_equal(warm.network_.theta, long_run.network_.theta)
    # A warm fit on other targets keeps the first standardization (the network learned it)
    mean = warm.y_mean_.copy()
    warm.set_params(max_epochs=1).fit(X, y + 100)
    assert warm.y_mean_ == mean
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        warm.set_params(hidden_layer_sizes=(9,)).fit(X, y)


def test_pickled_estimator_keeps_training(friedman):
    X, _, y, _ = friedman
    model = small(max_epochs=3, warm_start=True).fit(X, y)
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(copy.predict(X), model.predict(X))
    model.fit(X, y)
    copy.fit(X, y)
    np.testing.assert_array_equal(copy.predict(X), model.predict(X))


# ---------------------------------------------------------------------------- early stopping
def weighted_r2(y, predicted, weights=None):
    """R² written out: one minus the weighted residual over the weighted spread, per output."""
    y, predicted = np.asarray(y, float).reshape(len(y), -1), predicted.reshape(len(y), -1)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, float)
    values = []
    for k in range(y.shape[1]):
        mean = np.sum(w * y[:, k]) / np.sum(w)
        values.append(1 - np.sum(w * (y[:, k] - predicted[:, k]) ** 2)
                      / np.sum(w * (y[:, k] - mean) ** 2))
    return float(np.mean(values))


def test_early_stopping_on_validation_data_restores_the_best_weights(friedman):
    X_train, X_val, y_train, y_val = friedman
    model = NNRegressor(hidden_layer_sizes=(64,), learning_rate=0.03, early_stopping=True,
                        n_iter_no_change=5, max_epochs=300, random_state=0)
    model.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert model.n_iter_ < 300 and len(model.validation_scores_) == model.n_iter_
    best = int(np.argmax(model.validation_scores_))
    assert model.n_iter_ == best + 1 + 5
    assert model.best_validation_score_ == model.validation_scores_[best]
    # The restored weights are the best epoch's: their R² on the validation set is the best one
    assert model.score(X_val, y_val) == pytest.approx(model.best_validation_score_, rel=1e-10)
    assert weighted_r2(y_val, model.predict(X_val)) == pytest.approx(
        model.best_validation_score_, rel=1e-10)


def test_early_stopping_holds_out_a_fraction_weighted_by_sample_weight(monkeypatch, friedman):
    X, _, y, _ = friedman
    w = np.random.default_rng(0).uniform(0.1, 4.0, len(y))
    splits = []

    def recording_split(*args, **kwargs):
        splits.append((kwargs.get("stratify"), *train_test_split(*args, **kwargs)))
        return splits[-1][1:]

    monkeypatch.setattr(sklearn_base, "train_test_split", recording_split)
    model = small(early_stopping=True, validation_fraction=0.25, n_iter_no_change=3,
                  max_epochs=50).fit(X, y, sample_weight=w)
    (stratify, _, val_index), = splits
    assert stratify is None and val_index.size == int(np.ceil(0.25 * len(y)))
    score = weighted_r2(y[val_index], model.predict(X[val_index]), w[val_index])
    assert model.best_validation_score_ == pytest.approx(score, rel=1e-10)
    assert abs(weighted_r2(y[val_index], model.predict(X[val_index])) - score) > 1e-4


def test_validation_loss_is_the_standardized_loss(friedman):
    X_train, X_val, y_train, y_val = friedman
    for loss in ("squared_error", "huber"):
        model = small(max_epochs=3, loss=loss, huber_delta=0.5).fit(
            X_train, y_train, validation_data=(X_val, y_val))
        z = (y_val - model.y_mean_) / model.y_scale_
        residual = model.network_.predict(X_val.T)[0] - z
        expected = (np.mean(0.5 * residual ** 2) if loss == "squared_error" else np.mean(
            np.where(np.abs(residual) < 0.5, 0.5 * residual ** 2,
                     0.5 * (np.abs(residual) - 0.25))))
        assert model.validation_loss_curve_[-1] == pytest.approx(expected, rel=1e-10)


def test_huber_resists_outliers_better_than_the_squared_error(friedman):
    X_train, X_test, y_train, y_test = friedman
    corrupted = y_train.copy()
    rng = np.random.default_rng(0)
    bad = rng.choice(len(y_train), len(y_train) // 10, replace=False)
    corrupted[bad] += rng.choice([-1, 1], bad.size) * 60.0  # 10% of the targets far off
    scores = {}
    for loss in ("squared_error", "huber"):
        model = NNRegressor(hidden_layer_sizes=(32,), learning_rate=0.003, max_epochs=120,
                            loss=loss, huber_delta=0.3, random_state=0)
        scores[loss] = model.fit(X_train, corrupted).score(X_test, y_test)
    assert scores["huber"] > scores["squared_error"] + 0.05


# ---------------------------------------------------------------------------- data
def test_sparse_x_trains_like_its_dense_array(friedman):
    X, _, y, _ = friedman
    X = np.where(np.abs(X) < 0.5, 0.0, X)
    dense = small(max_epochs=5).fit(X, y)
    sparse_fit = small(max_epochs=5).fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse_fit.predict(sparse.csc_matrix(X)), dense.predict(X),
                               rtol=1e-9)


def test_float32_x_trains_in_float32(friedman):
    X, _, y, _ = friedman
    model = small(max_epochs=3).fit(X.astype(np.float32), y)
    assert model.network_.compute_dtype == np.float32
    predicted = model.predict(X.astype(np.float32))
    assert predicted.dtype == np.float64
    raw = model.network_.predict(X.astype(np.float32).T)[0]
    assert_float32_close(predicted, raw.astype(np.float64) * model.y_scale_ + model.y_mean_,
                         atol=1e-5 * model.y_scale_[0])


def write_memmap(path, X):
    mapped = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=X.shape)
    mapped[:] = X
    mapped.flush()
    del mapped
    return np.load(path, mmap_mode="r")


def test_memmap_in_one_block_trains_exactly_like_an_array(tmp_path, friedman):
    X, _, y, _ = friedman
    mapped = write_memmap(tmp_path / "X.npy", X)
    params = dict(max_epochs=4, early_stopping=True)
    a = small(**params).fit(mapped, y)
    b = small(**params).fit(np.array(X), y)
    assert a.loss_curve_ == b.loss_curve_ and a.validation_scores_ == b.validation_scores_
    np.testing.assert_array_equal(a.network_.theta, b.network_.theta)


def test_memmap_is_served_in_blocks_and_learns(tmp_path, monkeypatch, friedman):
    X_train, X_test, y_train, y_test = friedman
    mapped = write_memmap(tmp_path / "X.npy", X_train)
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 10 * 8 * 120)  # 120 rows -> 100
    served = []
    original = sklearn_data.Rows.blocks

    def counting(self, rng=None):
        for block in original(self, rng):
            served.append(block.X.shape[0])
            yield block

    monkeypatch.setattr(sklearn_data.Rows, "blocks", counting)
    model = small(batch_size=50, learning_rate=0.003, hidden_layer_sizes=(32,), max_epochs=60)
    model.fit(mapped, y_train, sample_weight=np.ones(len(y_train)))
    assert max(served) == 100 and len(served) == 60 * 5  # 450 rows: blocks of 100, last of 50
    assert model.network_.optimizer.t == 60 * 9  # whole mini-batches of 50 in every block
    assert model.score(X_test, y_test) > 0.8


# ---------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("params, error, match", [
    ({"loss": "absolute_error"}, ValueError, "loss must be one of"),
    ({"loss": MeanSquaredError}, ValueError, "loss must be one of"),
    ({"huber_delta": 0.0}, ValueError, "huber_delta"),
    ({"huber_delta": "1"}, TypeError, "huber_delta"),
    ({"hidden_layer_sizes": (0,)}, ValueError, "hidden_layer_sizes"),
    ({"learning_rate": -1.0}, ValueError, "learning_rate"),
])
def test_bad_hyperparameters_are_refused_at_fit(friedman, params, error, match):
    X, _, y, _ = friedman
    with pytest.raises(error, match=match):
        NNRegressor(**params).fit(X, y)


def test_bad_targets_are_named(friedman):
    X, _, y, _ = friedman
    with pytest.raises(ValueError, match=r"\by\b"):
        NNRegressor().fit(X, np.array(["a"] * len(y)))
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match=r"\by\b.*NaN|NaN.*\by\b"):
        NNRegressor().fit(X, bad)
    with pytest.raises(ValueError, match="overflow"):
        NNRegressor(max_epochs=1).fit(X, np.r_[1e308, -1e308, y[2:]])
    model = small(max_epochs=1).fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="y has 1 outputs .* fitted on 2"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError, match="y_val must have 2 output"):
        small(max_epochs=1).fit(X, np.column_stack([y, y]), validation_data=(X, y))
    with pytest.raises(ValueError, match="validation_data.*y_val"):
        small(max_epochs=1).fit(X, y, validation_data=(X, np.full(len(y), np.inf)))
    with pytest.raises(ValueError, match="validation set is too small"):
        NNRegressor(early_stopping=True, validation_fraction=0.1).fit(X[:10], y[:10])


def test_classification_only_parameters_are_not_offered():
    params = NNRegressor().get_params()
    assert "class_weight" not in params and "label_smoothing" not in params
    assert {"loss", "huber_delta", "early_stopping", "warm_start"} <= set(params)


# ---------------------------------------------------------------------------- benchmarks
def test_accuracy_benchmark_prints_its_regression_table():
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "src")]),
               OMP_NUM_THREADS="1")  # the boosted trees' threads, on a shared machine
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.accuracy", "--seeds", "2", "--epochs", "3",
         "--datasets", "diabetes"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| regressor | diabetes | fit time (s) |" in lines
    assert not any(line.startswith("| classifier") for line in lines)
    rows = [line for line in lines if line.startswith(("| NNRegressor", "| MLPRegressor",
                                                       "| HistGradient"))]
    assert [row.split(" | ")[0] for row in rows] == [
        "| MLPRegressor (scikit-learn)", "| MLPRegressor, standardized y", "| NNRegressor",
        "| NNRegressor, Huber loss", "| HistGradientBoostingRegressor (reference)",
        "| NNRegressor − MLPRegressor, standardized y, paired (± standard error)"]
    assert all(row.count("±") == 1 for row in rows[:-1]) and rows[-1].count("±") == 2


def test_callbacks_see_the_validation_r2_and_may_not_monitor_an_accuracy(friedman):
    from scratchnn.callback import Callback
    from scratchnn.callbacks import EarlyStopping

    X_train, X_val, y_train, y_val = friedman

    class Keys(Callback):
        def __init__(self):
            self.logs = []

        def on_epoch_end(self, epoch, logs):
            self.logs.append(dict(logs))

    keys = Keys()
    model = small(max_epochs=3, callbacks=[keys]).fit(X_train, y_train,
                                                      validation_data=(X_val, y_val))
    assert [logs["val_r2"] for logs in keys.logs] == model.validation_scores_
    assert [logs["val_loss"] for logs in keys.logs] == model.validation_loss_curve_
    # refused before training, by the regression model's own task
    with pytest.raises(ValueError, match="^" + re.escape(
            "EarlyStopping monitors 'val_accuracy', which a regression model does not report: "
            "monitor 'loss', 'val_loss' or 'val_r2'") + "$"):
        small(callbacks=[EarlyStopping("val_accuracy")]).fit(
            X_train, y_train, validation_data=(X_val, y_val))


def test_the_optimizer_hyperparameters_reach_the_optimizer(friedman):
    """``beta1``, ``beta2`` and ``epsilon`` come from the shared base: checked, then handed to
    the optimizer (the Adam step itself is checked against the formula in test_sklearn.py)."""
    X, _, y, _ = friedman
    reg = NNRegressor(hidden_layer_sizes=(4,), max_epochs=1, beta1=0.5, beta2=0.95,
                      epsilon=1e-7, random_state=0).fit(X, y)
    optimizer = reg.network_.optimizer
    assert (optimizer.beta1, optimizer.beta2, optimizer.epsilon) == (0.5, 0.95, 1e-7)
    for params in ({"beta1": -0.1}, {"beta2": 1.0}, {"epsilon": -1.0}):
        with pytest.raises(ValueError, match=next(iter(params))):
            NNRegressor(**params).fit(X, y)


@pytest.mark.parametrize("estimator", ["regressor", "classifier"])
def test_a_training_split_of_no_weight_is_refused(monkeypatch, estimator):
    # Every weighted row falls in early stopping's held-out part: the training rows' weights
    # sum to 0, so they cannot be rescaled to mean 1 (0/0 would train on NaN weights).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X[:, 0] if estimator == "regressor" else np.arange(20) % 2
    w = np.zeros(20)
    w[:2] = 1.0

    def weighted_rows_held_out(indices, **kwargs):
        return indices[10:], indices[:10]

    monkeypatch.setattr(sklearn_base, "train_test_split", weighted_rows_held_out)
    cls = NNRegressor if estimator == "regressor" else nn_sklearn.NNClassifier
    model = cls(hidden_layer_sizes=(4,), max_epochs=2, early_stopping=True,
                validation_fraction=0.5, random_state=0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, y, sample_weight=w)


@pytest.mark.parametrize("estimator", ["regressor", "classifier"])
def test_a_scalar_y_val_is_refused_by_name(estimator):
    X = np.random.default_rng(0).normal(size=(20, 3))
    y = X[:, 0] if estimator == "regressor" else np.arange(20) % 2
    cls = NNRegressor if estimator == "regressor" else nn_sklearn.NNClassifier
    model = cls(hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match="validation_data: y_val must be an array"):
        model.fit(X, y, validation_data=(X[:5], 1.0))


def test_a_sparse_y_trains_as_its_dense_copy():
    # check_X_y(multi_output=True) lets a CSR y through, as NNClassifier's indicator matrices.
    X = np.random.default_rng(0).normal(size=(30, 3))
    y = np.c_[X[:, 0], np.where(X[:, 1] > 0, X[:, 1], 0.0)]
    params = {"hidden_layer_sizes": (4,), "max_epochs": 3, "random_state": 0}
    dense = NNRegressor(**params).fit(X, y)
    from_sparse = NNRegressor(**params).fit(X, sparse.csr_matrix(y))
    np.testing.assert_array_equal(from_sparse.y_mean_, dense.y_mean_)
    np.testing.assert_array_equal(from_sparse.predict(X), dense.predict(X))


# ---------------------------------------------------------------------------- written for mutmut
# Small and fast: the survivors of `make mutate` in the package's _regressor.py and _base.py.
def test_the_validation_r2_gathers_weighted_blocks_of_several_outputs():
    # The validation R² is gathered block by block (a memory-mapped or sparse X is scored so):
    # blocks of any weight, none at all included, give scikit-learn's r2_score of all the rows.
    from scratchnn.training import Block

    rng = np.random.default_rng(0)
    X, coef = rng.normal(size=(30, 2)), rng.normal(size=(2, 2))
    Y = X @ coef + rng.normal(scale=0.5, size=(30, 2)) + [3.0, -1.0]
    w = rng.uniform(0.5, 2.0, 30)
    w[10:15] = 0.0  # a block of no weight before the others
    w[15:18] = 0.2  # a block of total weight 0.6, below 1
    cuts = [(0, 10), (10, 15), (15, 18), (18, 30)]

    def predict(XT):  # a prediction that is not the truth, so that R² is neither 0 nor 1
        return (XT.T @ (coef * 0.8)).T + np.array([[3.2], [-0.9]])

    def blocks(weights):
        return [Block(X[a:b], Y[a:b], None if weights is None else weights[a:b, None])
                for a, b in cuts]

    predicted = predict(X.T).T
    weighted = sklearn_regressor.weighted_r2(blocks(w), predict)
    assert weighted == pytest.approx(r2_score(Y, predicted, sample_weight=w), rel=1e-12)
    assert sklearn_regressor.weighted_r2(blocks(None), predict) == pytest.approx(
        r2_score(Y, predicted), rel=1e-12)
    light = np.full(30, 0.01)  # all the rows weigh 0.3 together
    assert sklearn_regressor.weighted_r2(blocks(light), predict) == pytest.approx(
        r2_score(Y, predicted), rel=1e-12)
    # No weight at all, or no rows: a score of 0, not NaN.
    assert sklearn_regressor.weighted_r2(blocks(np.zeros(30)), predict) == 0.0
    assert sklearn_regressor.weighted_r2([], predict) == 0.0


def test_a_held_out_split_of_fewer_than_2_rows_is_refused_with_its_size():
    X = np.random.default_rng(0).normal(size=(10, 2))
    quick = dict(hidden_layer_sizes=(2,), max_epochs=1, early_stopping=True, random_state=0)
    # 20% of 10 rows is 2: enough for a regressor (no classes to hold out)
    assert len(NNRegressor(**quick, validation_fraction=0.2).fit(X, X[:, 0])
               .validation_scores_) == 1
    with pytest.raises(ValueError, match="^" + re.escape(
            "the validation set is too small (1 samples, fewer than 2): increase "
            "validation_fraction or the size of the data, or pass validation_data") + "$"):
        NNRegressor(**quick).fit(X, X[:, 0])


def test_a_missing_y_val_is_refused_by_name():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y_val = np.array([1.0, None, 2.0, 0.5, 1.5], dtype=object)
    with pytest.raises(ValueError, match=r"^validation_data: Input y_val contains NaN\.$"):
        NNRegressor(hidden_layer_sizes=(2,), max_epochs=1).fit(
            X, X[:, 0], validation_data=(X[:5], y_val))


def test_validation_data_of_several_outputs_is_scored_on_each():
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.c_[X[:, 0] + X[:, 1], X[:, 2] ** 2]
    model = NNRegressor(hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    model.fit(X[:30], y[:30], validation_data=(X[30:], y[30:]))
    assert model.validation_scores_ == [pytest.approx(
        r2_score(y[30:], model.predict(X[30:])), rel=1e-10)]


def test_targets_too_large_are_refused_whole_and_without_numpy_warnings():
    X = np.random.default_rng(0).normal(size=(20, 2))
    quick = dict(hidden_layer_sizes=(2,), max_epochs=1, random_state=0)
    huge = np.r_[1e308, -1e308, np.zeros(18)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the refusal, not NumPy's overflow or 0/0 warnings
        with pytest.raises(ValueError, match="^" + re.escape(
                "y holds values too large to standardize (their spread overflows float64): "
                "rescale y") + "$"):
            NNRegressor(**quick).fit(X, huge, sample_weight=np.full(20, 2.0))  # sums overflow
        model = NNRegressor(**quick).partial_fit(X, np.linspace(-1e-10, 1e-10, 20))
        with pytest.raises(ValueError, match="^" + re.escape(
                "y holds values too large for the target standardization fitted on the first "
                "data (their standardized values overflow)") + "$"):
            model.partial_fit(X, np.full(20, 1e300))


def test_a_target_constant_up_to_rounding_is_only_centred():
    ulp = np.spacing(1e6)  # the spread of these targets is rounding, not information
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # quietly: no NumPy warning either
        mean, scale = sklearn_regressor.standardization(
            1e6 + ulp * np.array([[0.0], [1.0]] * 4), None)
    assert scale.tolist() == [1.0] and mean[0] == pytest.approx(1e6, rel=1e-15)


def test_sample_weights_are_checked_and_read_in_float64():
    X = np.random.default_rng(0).normal(size=(20, 2))
    quick = dict(hidden_layer_sizes=(3,), max_epochs=2, random_state=0)
    weights = np.linspace(0.5, 2.0, 20, dtype=np.float32)
    as32 = NNRegressor(**quick).fit(X, X[:, 0], sample_weight=weights)
    as64 = NNRegressor(**quick).fit(X, X[:, 0], sample_weight=weights.astype(np.float64))
    assert as32.loss_curve_ == as64.loss_curve_
    with pytest.raises(ValueError, match=r"^Negative values in data passed to `sample_weight`\.$"):
        NNRegressor(**quick).fit(X, X[:, 0], sample_weight=np.r_[-1.0, np.ones(19)])


def test_the_network_is_built_from_the_hyperparameters(friedman):
    # batch_norm, the Glorot initialization it records, and MLPRegressor's smaller range for
    # sigmoid layers: U(-sqrt(2 / (fan_in + fan_out)), +...) instead of sqrt(6 / ...).
    from scratchnn.callback import Callback

    class FirstWeights(Callback):
        def on_train_begin(self, model):
            self.W1 = model.parameters["W1"].copy()

    X, _, y, _ = friedman
    first = FirstWeights()
    model = NNRegressor(hidden_layer_sizes=(50,), activation="logistic", batch_norm=True,
                        max_epochs=1, random_state=0, callbacks=[first]).fit(X[:50], y[:50])
    assert model.network_.batch_norm is True and "gamma1" in model.network_.parameters
    assert model.network_.initialization_method == "xavier"
    limit = np.sqrt(2.0 / (X.shape[1] + 50))
    assert 0.9 * limit < np.abs(first.W1).max() <= limit
    assert NNRegressor(max_epochs=1).fit(X[:50], y[:50]).network_.batch_norm is False


def test_every_hyperparameter_is_stored_as_given():
    from scratchnn.callback import Callback

    given = dict(hidden_layer_sizes=(3, 2), activation="tanh", loss="huber", huber_delta=0.5,
                 optimizer="rmsprop", learning_rate=0.02, batch_size=7, max_epochs=9, l2=0.5,
                 dropout=0.1, batch_norm=True, early_stopping=True, validation_fraction=0.3,
                 n_iter_no_change=4, tol=0.01, random_state=5, verbose=True, warm_start=True,
                 lr_schedule="cosine", clipnorm=1.5, weight_decay=0.2, callbacks=[Callback()],
                 n_threads=2, beta1=0.8, beta2=0.95, epsilon=1e-6)
    assert NNRegressor(**given).get_params() == given


@pytest.mark.parametrize("params, error, message", [
    ({"huber_delta": 0.0}, ValueError, "huber_delta must be in (0, inf), got 0"),
    ({"loss": "absolute_error"}, ValueError,
     "loss must be one of ['huber', 'squared_error'], got 'absolute_error'"),
])
def test_each_refused_regression_hyperparameter_gets_its_whole_message(params, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        NNRegressor(**params)._check_hyperparameters()


@pytest.mark.parametrize("mean, above", [(0.0, 10.5), (0.5, 10.5), (4.0, 44.0), (-4.0, 44.0)])
def test_a_spread_of_10_epsilons_times_max_1_and_the_mean_is_rounding_and_above_it_is_kept(
        mean, above):
    # The documented threshold: sigma <= 10 eps max(1, |mu|), eps = 2**-52 (float64's machine
    # epsilon), is rounding (sigma = 1, only centred); a larger sigma is the target's own. The
    # targets mean -/+ d are exact in float64 for these d (at the threshold, and `above` epsilons:
    # the next such spread, a unit in the last place of mean + d further), so their mean is
    # `mean` and their standard deviation d exactly.
    eps = 2.0 ** -52
    threshold = 10 * eps * max(1.0, abs(mean))
    X = np.array([[0.0], [1.0]])
    for d, rounding in [(threshold, True), (above * eps, False)]:
        y = np.array([mean - d, mean + d])
        assert y.mean() == mean and y.std() == d  # the construction is exact
        model = NNRegressor(hidden_layer_sizes=(), max_epochs=1, random_state=0).fit(X, y)
        assert model.y_mean_.tolist() == [mean]
        assert model.y_scale_.tolist() == [1.0 if rounding else d]


@pytest.mark.parametrize("y_val", [np.array(["1.5", "2", "0.5", "1", "3"]),
                                   np.array([b"1", b"2", b"0", b"1", b"3"])], ids=["text", "bytes"])
def test_y_val_of_numbers_written_as_text_is_refused_as_fit_refuses_such_a_y(y_val):
    X = np.random.default_rng(0).normal(size=(20, 2))
    quick = dict(hidden_layer_sizes=(2,), max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match="^" + re.escape(
            f"y must hold numbers (a regressor's targets), got dtype {y_val.dtype}") + "$"):
        NNRegressor(**quick).fit(X[:5], y_val)
    with pytest.raises(ValueError, match="^" + re.escape(
            f"validation_data: y_val must hold numbers (a regressor's targets), got dtype "
            f"{y_val.dtype}") + "$"):
        NNRegressor(**quick).fit(X, X[:, 0], validation_data=(X[:5], y_val))


def test_y_val_is_read_as_fit_reads_y():
    X = np.random.default_rng(0).normal(size=(20, 2))
    y_val = np.array([1.5, 2.0, -0.5, 1.0, 3.0])

    def curves(y, validation_target):
        model = NNRegressor(hidden_layer_sizes=(2,), max_epochs=2, random_state=0)
        model.fit(X, y, validation_data=(X[:5], validation_target))
        return model.loss_curve_, model.validation_loss_curve_

    # Objects holding numbers, or numbers written as text, are floats to fit (scikit-learn's
    # y_numeric), and so they are in y_val; so are integers and booleans.
    reference = curves(X[:, 0], y_val)
    for same in (y_val.astype(object), y_val.astype(str).astype(object)):
        assert curves(X[:, 0], same) == reference
    assert curves(X[:, 0], np.array([1, 0, 1, 1, 0])) == curves(
        X[:, 0], np.array([True, False, True, True, False]))
    assert curves(X[:, 0].astype(str).astype(object), y_val) == reference
    if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps:
        # Long doubles are rounded to float64 first, as fit rounds y: about 1e16, where float64
        # has even integers only, 1e16 + 1 and + 3 are 1e16 and 1e16 + 4.
        big = np.array([1e16 - 2, 1e16 + 2] * 10)  # mean 1e16, spread taken for rounding: scale 1
        tail = np.array([1, 3], dtype=np.longdouble)
        y_long = np.longdouble(1e16) + np.r_[tail, tail, np.longdouble(0)]
        assert np.array_equal(y_long.astype(np.float64), 1e16 + np.array([0, 4, 0, 4, 0.0]))
        assert curves(big.astype(np.longdouble), y_long) == curves(big, y_long.astype(np.float64))


@pytest.mark.parametrize("shape", [(20,), (20, 2)])
def test_a_missing_target_is_refused_as_missing_not_as_too_large(shape):
    # scikit-learn turns an object y's None into NaN after its own check of finite values.
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.ones(shape).astype(object)
    y[3] = None
    y[7] = None
    with pytest.raises(ValueError, match=r"^y holds a missing value \(None or NaN\) in 2 "
                                         r"row\(s\): drop those rows or fill them in$"):
        NNRegressor(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="^validation_data: Input y_val contains NaN"):
        NNRegressor(max_epochs=1).fit(X, X[:, 0], validation_data=(X[:3], [1.0, None, 2.0]))


def test_weights_left_only_on_the_held_out_rows_are_refused_whole():
    # One weighted row of 20, and 18 held out by early stopping: with random_state=1 the
    # weighted row is among them, and no training row carries any weight.
    X = np.random.default_rng(0).normal(size=(20, 2))
    weights = np.r_[1.0, np.zeros(19)]
    params = dict(hidden_layer_sizes=(2,), max_epochs=1, validation_fraction=0.9, random_state=1)
    NNRegressor(**params).fit(X, X[:, 0], sample_weight=weights)  # without the split: trains
    with pytest.raises(ValueError, match="^" + re.escape(
            "sample_weight is 0 on every training row (all the weighted rows fell in early "
            "stopping's held-out part): weigh more rows, or pass validation_data") + "$"):
        NNRegressor(early_stopping=True, **params).fit(X, X[:, 0], sample_weight=weights)
