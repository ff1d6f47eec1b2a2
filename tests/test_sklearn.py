"""NNClassifier: scikit-learn's own estimator checks, and what it promises beyond them."""

import copy
import os
import pickle
import re
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy import sparse
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_blobs, make_classification
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import scratchnn.sklearn as nn_sklearn
from scratchnn import ClassifierNN, training
from scratchnn.callback import Callback
from scratchnn.diagnostics import SAMPLE_ROWS
from scratchnn.sklearn import NNClassifier, init_like_mlp_classifier
from scratchnn.sklearn import _base as sklearn_base  # where the training path lives
from scratchnn.sklearn import _data as sklearn_data  # where rows and blocks are served


@parametrize_with_checks([NNClassifier()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=300, centers=3, cluster_std=1.0, random_state=0)
    return train_test_split(StandardScaler().fit_transform(X), y, random_state=0, stratify=y)


def seed_of(random_state):
    """The ClassifierNN seed that NNClassifier derives from an int random_state."""
    return int(np.random.RandomState(random_state).randint(np.iinfo(np.int32).max))


def test_import_scratchnn_does_not_import_scikit_learn():
    code = "import sys, scratchnn; assert not any(m.startswith('sklearn') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nnclassifier_is_exported_lazily():
    import scratchnn

    assert scratchnn.NNClassifier is NNClassifier
    assert "NNClassifier" in dir(scratchnn) and "NNClassifier" not in scratchnn.__all__
    with pytest.raises(AttributeError, match="NotAThing"):
        scratchnn.NotAThing  # noqa: B018 (the attribute access is what raises)


def test_missing_scikit_learn_names_the_extra():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "try:\n    from scratchnn import NNClassifier\n"
            "except ImportError as exc:\n    print(exc)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert "pip install 'scratchnn[sklearn]'" in out


# ---------------------------------------------------------------------------- the network
def test_output_layer_follows_the_target(blobs):
    X, _, y, _ = blobs
    binary = NNClassifier(hidden_layer_sizes=(8,), max_epochs=2).fit(X, y == 0)
    multiclass = NNClassifier(hidden_layer_sizes=(8, 4), max_epochs=2).fit(X, y)
    multilabel = NNClassifier(hidden_layer_sizes=(), max_epochs=2).fit(X, np.eye(3)[y][:, :2])
    assert binary.network_.layer_dims == [2, 8, 1]
    assert binary.network_.activations == ["relu", "sigmoid"]
    assert multiclass.network_.layer_dims == [2, 8, 4, 3]
    assert multiclass.network_.activations == ["relu", "relu", "softmax"]
    assert multilabel.network_.layer_dims == [2, 2]
    assert multilabel.network_.activations == ["sigmoid"]


def test_training_is_the_engines_train_bit_for_bit(blobs):
    X, _, y, _ = blobs
    clf = NNClassifier(hidden_layer_sizes=(16,), batch_size=32, max_epochs=7, n_iter_no_change=99,
                       random_state=3, learning_rate=0.01, l2=0.01, dropout=0.1, batch_norm=True)
    clf.fit(X, y)
    engine = ClassifierNN([2, 16, 3], ["relu", "softmax"], batch_norm=True, seed=seed_of(3))
    init_like_mlp_classifier(engine, "relu")  # the initialization of scikit-learn's MLPClassifier
    _, costs = engine.train(X.T, y.reshape(1, -1), loss="SparseCategoricalCrossEntropy",
                            num_epochs=7, learning_rate=0.01, batch_size=32, lambd=0.01,
                            keep_prob=[1.0, 0.9], print_cost=False, optimizer="adam")
    assert clf.loss_curve_ == costs and clf.n_iter_ == 7
    np.testing.assert_array_equal(clf.network_.theta, engine.theta)
    # 225 = 7 * 32 + 1: with batch norm the trailing example joins the last batch, 7 steps/epoch
    assert engine.optimizer.t == clf.network_.optimizer.t == 7 * 7


def test_beta1_beta2_and_epsilon_reach_adam(blobs):
    """Two full-batch Adam steps with beta1=0.8, beta2=0.95, epsilon=1e-6 land where the
    textbook formula, written out here, puts them (the first step alone does not depend on the
    betas: it is lr * g / (|g| + eps))."""
    X, _, y, _ = blobs
    hyper = {"beta1": 0.8, "beta2": 0.95, "epsilon": 1e-6}
    lr = 0.05
    clf = NNClassifier(hidden_layer_sizes=(16,), batch_size=X.shape[0], max_epochs=2,
                       n_iter_no_change=99, learning_rate=lr, random_state=3, **hyper).fit(X, y)
    engine = ClassifierNN([2, 16, 3], ["relu", "softmax"], seed=seed_of(3))
    init_like_mlp_classifier(engine, "relu")
    theta = engine.theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    b1, b2, eps = hyper["beta1"], hyper["beta2"], hyper["epsilon"]
    for t in (1, 2):
        _, g = engine.cost_and_gradient(theta, X.T, y.reshape(1, -1),
                                        loss="SparseCategoricalCrossEntropy")
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    optimizer = clf.network_.optimizer
    assert (optimizer.beta1, optimizer.beta2, optimizer.epsilon) == (0.8, 0.95, 1e-6)
    # Full batch, but the rows are shuffled: sums in another order, float64 rounding apart.
    np.testing.assert_allclose(clf.network_.theta, theta, rtol=1e-9, atol=1e-12)
    default = NNClassifier(hidden_layer_sizes=(16,), batch_size=X.shape[0], max_epochs=2,
                           n_iter_no_change=99, learning_rate=lr, random_state=3).fit(X, y)
    assert not np.allclose(default.network_.theta, theta, rtol=1e-6, atol=0)


@pytest.mark.parametrize("dropout, keep_prob", [
    (0.0, None), (0.25, [1.0, 0.75, 0.75]), ([0.0, 0.5], [1.0, 1.0, 0.5]), ([0.0, 0.0], None),
])
def test_dropout_is_a_drop_rate_per_hidden_layer(dropout, keep_prob):
    settings = NNClassifier(hidden_layer_sizes=(4, 4), dropout=dropout)._check_hyperparameters()
    assert settings["keep_prob"] == keep_prob


@pytest.mark.parametrize("params, error", [
    ({"hidden_layer_sizes": (4, 0)}, ValueError),
    ({"hidden_layer_sizes": "4"}, TypeError),
    ({"activation": "swish"}, ValueError),
    ({"optimizer": "sgd"}, ValueError),
    ({"learning_rate": 0}, ValueError),
    ({"batch_size": 0}, ValueError),
    ({"batch_size": "big"}, ValueError),
    ({"max_epochs": 0}, ValueError),
    ({"l2": -1.0}, ValueError),
    ({"dropout": 1.0}, ValueError),
    ({"dropout": [0.1, 0.2]}, ValueError),
    ({"validation_fraction": 1.0}, ValueError),
    ({"n_iter_no_change": 0}, ValueError),
    ({"tol": -1e-3}, ValueError),
    ({"class_weight": "even"}, ValueError),
    ({"batch_norm": 1}, TypeError),
    ({"learning_rate": "fast"}, TypeError),
    ({"beta1": 1.0}, ValueError),
    ({"beta2": -0.1}, ValueError),
    ({"epsilon": 0.0}, ValueError),
    ({"beta2": "0.95"}, TypeError),
])
def test_bad_hyperparameters_are_refused_at_fit(blobs, params, error):
    X, _, y, _ = blobs
    clf = NNClassifier(**params)  # __init__ only stores them
    with pytest.raises(error, match=next(iter(params))):
        clf.fit(X, y)


@pytest.mark.parametrize("name", ["learning_rate", "l2", "tol", "clipnorm", "weight_decay",
                                  "dropout", "label_smoothing", "validation_fraction", "epsilon"])
def test_a_400_digit_integer_hyperparameter_is_named_at_fit(blobs, name):
    """A float hyperparameter given as a 400-digit integer is refused at ``fit`` with the
    project's message naming it, not ``float()``'s bare ``OverflowError``."""
    X, _, y, _ = blobs
    with pytest.raises(ValueError, match=rf"^{name} must be a finite number within the float "
                                         rf"range, got an integer of 401 digits$"):
        NNClassifier(**{name: 10 ** 400}).fit(X, y)


@pytest.mark.parametrize("activation, factor", [("logistic", 2.0), ("tanh", 6.0)])
def test_activation_aliases_and_initialization(activation, factor):
    X, y = make_blobs(n_samples=2000, n_features=300, centers=3, random_state=0)
    # A step too small to move the weights; a fixed seed, so the spread checked below is of one
    # known draw (unseeded, a 5% band on 600 draws failed about one run in a hundred).
    clf = NNClassifier(hidden_layer_sizes=(200,), activation=activation, max_epochs=1,
                       learning_rate=1e-9, random_state=0).fit(X, y)
    network = clf.network_
    expected = "sigmoid" if activation == "logistic" else activation
    assert network.activations == [expected, "softmax"]
    for name, fan in [("W1", 500), ("b1", 500), ("W2", 203), ("b2", 203)]:
        bound = np.sqrt(factor / fan)
        values = network.parameters[name]
        assert np.abs(values).max() <= bound + 1e-6
        if values.size > 500:  # uniform on [-bound, bound]: standard deviation bound / sqrt(3)
            assert np.std(values) == pytest.approx(bound / np.sqrt(3), rel=0.05)


# ---------------------------------------------------------------------------- labels and data
@pytest.mark.parametrize("labels", [
    np.array(["cat", "dog", "emu"]), np.array([-1, 7, 30]), np.array([1.0, 2.0, 4.0]),
])
def test_labels_come_back_as_given(blobs, labels):
    X, X_test, y, _ = blobs
    clf = NNClassifier(hidden_layer_sizes=(8,), max_epochs=30, random_state=0)
    clf.fit(X, labels[y])
    np.testing.assert_array_equal(clf.classes_, labels)
    predicted = clf.predict(X_test)
    assert predicted.dtype == labels.dtype and set(predicted) <= set(labels)
    proba = clf.predict_proba(X_test)
    np.testing.assert_array_equal(predicted, labels[proba.argmax(axis=1)])


def test_boolean_labels_and_a_single_sigmoid(blobs):
    X, X_test, y, y_test = blobs
    clf = NNClassifier(hidden_layer_sizes=(8,), max_epochs=50, learning_rate=0.01,
                       random_state=0).fit(X, y == 2)
    np.testing.assert_array_equal(clf.classes_, [False, True])
    assert clf.predict(X_test).dtype == bool
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    p1 = clf.network_.predict_proba(X_test.T)[0]
    np.testing.assert_array_equal(proba[:, 1], p1)
    assert clf.score(X_test, y_test == 2) > 0.9
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(clf.predict_log_proba(X_test), np.log(proba))


def test_multilabel_indicator_targets(blobs):
    X, X_test, y, y_test = blobs
    Y = np.column_stack([y == 0, y != 1, X[:, 0] > 0]).astype(np.int64)
    clf = NNClassifier(hidden_layer_sizes=(16,), max_epochs=150, learning_rate=0.01,
                       random_state=0).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    predicted = clf.predict(X_test)
    Y_test = np.column_stack([y_test == 0, y_test != 1, X_test[:, 0] > 0]).astype(np.int64)
    assert predicted.shape == Y_test.shape and predicted.dtype == Y_test.dtype
    assert np.mean(predicted == Y_test) > 0.9
    assert clf.predict_proba(X_test).shape == (len(X_test), 3)


def test_one_class_and_multioutput_targets_are_refused(blobs):
    X, _, y, _ = blobs
    with pytest.raises(ValueError, match="at least 2 classes"):
        NNClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="multiclass-multioutput"):
        NNClassifier().fit(X, np.column_stack([y, y]))
    with pytest.raises(ValueError, match="Unknown label type"):
        NNClassifier().fit(X, X[:, 0])


def test_pandas_dataframe_keeps_feature_names(blobs):
    pd = pytest.importorskip("pandas")
    X, X_test, y, _ = blobs
    frame = pd.DataFrame(X, columns=["width", "height"])
    clf = NNClassifier(hidden_layer_sizes=(4,), max_epochs=2).fit(frame, pd.Series(y))
    np.testing.assert_array_equal(clf.feature_names_in_, ["width", "height"])
    assert clf.predict(pd.DataFrame(X_test, columns=["width", "height"])).shape == (len(X_test),)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X_test)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(pd.DataFrame(X_test, columns=["height", "width"]))


def test_float32_data_trains_in_float32(blobs):
    X, X_test, y, _ = blobs
    clf = NNClassifier(hidden_layer_sizes=(4,), max_epochs=2).fit(X.astype(np.float32), y)
    assert clf.network_.compute_dtype == np.float32
    assert clf.predict_proba(X_test).dtype == np.float32


# ---------------------------------------------------------------------------- scikit-learn tools
def test_pipeline_grid_search_and_cross_validation():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), NNClassifier(max_epochs=60, learning_rate=0.01,
                                                        random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.85
    search = GridSearchCV(pipe, {"nnclassifier__hidden_layer_sizes": [(4,), (16,)],
                                 "nnclassifier__l2": [0.0, 0.1]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.85
    assert search.best_estimator_[-1].network_.layer_dims[1] in (4, 16)


# ---------------------------------------------------------------------------- reproducibility
def test_int_random_state_is_deterministic_and_global_state_untouched(blobs):
    X, X_test, y, _ = blobs
    before = np.random.get_state()[1].copy()
    params = dict(hidden_layer_sizes=(8,), max_epochs=5, dropout=0.2, early_stopping=True)
    a = NNClassifier(random_state=7, **params).fit(X, y)
    b = NNClassifier(random_state=7, **params).fit(X, y)
    NNClassifier(random_state=None, **params).fit(X, y)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    assert a.loss_curve_ == b.loss_curve_ and a.validation_scores_ == b.validation_scores_
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    c = NNClassifier(random_state=8, **params).fit(X, y)
    assert c.loss_curve_ != a.loss_curve_


# ---------------------------------------------------------------------------- early stopping
def test_early_stopping_on_validation_data_restores_the_best_weights():
    X, y = make_classification(n_samples=400, n_features=20, n_informative=4, flip_y=0.2,
                               random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.5, random_state=0)
    clf = NNClassifier(hidden_layer_sizes=(64, 64), learning_rate=0.01, batch_size=20,
                       early_stopping=True, n_iter_no_change=5, random_state=0)
    clf.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert clf.n_iter_ < 200  # it overfits quickly, so it stopped
    assert len(clf.validation_scores_) == len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    best = int(np.argmax(clf.validation_scores_))
    assert clf.n_iter_ - 1 - best >= 5  # the patience ran out after the best epoch
    assert clf.score(X_val, y_val) == clf.best_validation_score_  # its weights are back


def test_validation_data_without_early_stopping_is_only_recorded(blobs):
    X, X_val, y, y_val = blobs
    clf = NNClassifier(hidden_layer_sizes=(8,), max_epochs=12, n_iter_no_change=99,
                       random_state=0).fit(X, y, validation_data=(X_val, y_val))
    assert clf.n_iter_ == 12 and len(clf.validation_scores_) == 12
    assert clf.score(X_val, y_val) == clf.validation_scores_[-1]  # last, not best, weights


def test_early_stopping_holds_out_a_fraction_and_stops(blobs):
    X, _, y, _ = blobs
    clf = NNClassifier(hidden_layer_sizes=(8,), learning_rate=0.05, early_stopping=True,
                       validation_fraction=0.2, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_iter_ < 200 and len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ > 0.8
    with pytest.raises(ValueError, match="validation set is too small"):
        NNClassifier(early_stopping=True, validation_fraction=0.01).fit(X[:60], y[:60])


def test_without_early_stopping_a_flat_training_loss_stops_training(blobs):
    X, _, y, _ = blobs
    clf = NNClassifier(hidden_layer_sizes=(8,), learning_rate=0.05, tol=0.05,
                       n_iter_no_change=2, random_state=0).fit(X, y)
    assert clf.n_iter_ < 200 and clf.validation_scores_ is None
    losses, n = clf.loss_curve_, clf.n_iter_
    for k in (n - 2, n - 1):  # neither of the last 2 epochs beat the best before it by > tol
        assert losses[k] >= min(losses[:k]) - 0.05
    assert losses[n - 3] < min(losses[:n - 3]) - 0.05  # but the one before them did


def test_validation_data_is_checked(blobs):
    X, X_val, y, y_val = blobs
    clf = NNClassifier(max_epochs=1)
    with pytest.raises(ValueError, match="tuple"):
        clf.fit(X, y, validation_data=X_val)
    with pytest.raises(ValueError, match="features"):
        clf.fit(X, y, validation_data=(X_val[:, :1], y_val))
    with pytest.raises(ValueError, match="not in classes_"):
        clf.fit(X, y, validation_data=(X_val, y_val + 10))


# ---------------------------------------------------------------------------- weights
def test_class_weight_balanced_favours_the_rare_class():
    X, y = make_classification(n_samples=600, n_features=5, weights=[0.9, 0.1], flip_y=0.05,
                               class_sep=0.5, random_state=0)
    params = dict(hidden_layer_sizes=(16,), max_epochs=100, learning_rate=0.01, random_state=0)
    plain = NNClassifier(**params).fit(X, y)
    balanced = NNClassifier(class_weight="balanced", **params).fit(X, y)
    as_dict = NNClassifier(class_weight={0: 1.0, 1: 9.0}, **params).fit(X, y)
    recall = {name: np.mean(clf.predict(X)[y == 1] == 1)
              for name, clf in [("plain", plain), ("balanced", balanced), ("dict", as_dict)]}
    assert recall["balanced"] > recall["plain"] + 0.2
    assert recall["dict"] > recall["plain"] + 0.2


def test_sample_weight_is_class_weight_when_equal(blobs):
    X, _, y, _ = blobs
    params = dict(hidden_layer_sizes=(8,), max_epochs=5, batch_size=50, random_state=0)
    by_class = NNClassifier(class_weight={0: 1.0, 1: 2.0, 2: 4.0}, **params).fit(X, y)
    by_sample = NNClassifier(**params).fit(X, y, sample_weight=np.array([1.0, 2.0, 4.0])[y])
    np.testing.assert_allclose(by_class.loss_curve_, by_sample.loss_curve_, rtol=1e-12)
    # rescaled to average 1: the same loss as weights 10x larger
    heavier = NNClassifier(**params).fit(X, y, sample_weight=np.array([10.0, 20.0, 40.0])[y])
    np.testing.assert_allclose(heavier.loss_curve_, by_sample.loss_curve_, rtol=1e-12)


def test_sample_weights_are_checked_and_not_modified(blobs):
    X, _, y, _ = blobs
    weights = np.ones(len(y))
    NNClassifier(max_epochs=1).fit(X, y, sample_weight=weights)
    assert np.all(weights == 1.0)
    with pytest.raises(ValueError, match="(?i)negative"):
        NNClassifier(max_epochs=1).fit(X, y, sample_weight=-weights)
    with pytest.raises(ValueError, match="one class"):
        NNClassifier(max_epochs=1).fit(X, y, sample_weight=(y == 1).astype(float))


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_partial_fit_weighs_examples_as_documented(blobs, target):
    """partial_fit's sample_weight (rescaled to average 1 over the call's rows, as in fit): a
    weight of 0 leaves an example out, so calls with weights that are 0 on half the rows train
    like calls on the other half alone with their weights, and weights 10 times larger train
    the same. One mini-batch per call and no L2 term, so each step sees the same batch mean."""
    X, _, y, _ = blobs
    if target == "binary":
        y = y == 2
    elif target == "multilabel":
        y = np.column_stack([y == 0, y != 1]).astype(int)
    classes = [0, 1] if target == "multilabel" else np.unique(y)
    keep = np.arange(len(X)) % 2 == 0
    weights = np.where(keep, np.random.default_rng(0).uniform(0.2, 3.0, len(X)), 0.0)
    params = dict(hidden_layer_sizes=(8,), batch_size=len(X), learning_rate=0.01,
                  random_state=0)
    weighted, heavier, alone, unweighted = (NNClassifier(**params) for _ in range(4))
    for _ in range(3):
        weighted.partial_fit(X, y, classes=classes, sample_weight=weights)
        heavier.partial_fit(X, y, classes=classes, sample_weight=10 * weights)
        alone.partial_fit(X[keep], y[keep], classes=classes, sample_weight=weights[keep])
        unweighted.partial_fit(X[keep], y[keep], classes=classes)
    np.testing.assert_allclose(weighted.loss_curve_, alone.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(weighted.network_.theta, alone.network_.theta, rtol=1e-10,
                               atol=1e-13)
    np.testing.assert_allclose(weighted.predict_proba(X), alone.predict_proba(X), rtol=1e-10)
    np.testing.assert_allclose(heavier.network_.theta, weighted.network_.theta, rtol=1e-10,
                               atol=1e-13)
    # the weights of the kept rows matter too: without them the network is another one
    assert not np.allclose(unweighted.network_.theta, alone.network_.theta, rtol=1e-6)


def test_partial_fit_class_weight_multiplies_sample_weight(blobs):
    X, _, y, _ = blobs
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, len(X))
    params = dict(hidden_layer_sizes=(8,), batch_size=50, random_state=0)
    by_class = NNClassifier(class_weight={0: 1.0, 1: 3.0, 2: 9.0}, **params)
    by_sample = NNClassifier(**params)
    plain = NNClassifier(**params)
    for chunk in (slice(0, 120), slice(120, None)):
        by_class.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2],
                             sample_weight=sample_weight[chunk])
        by_sample.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2],
                              sample_weight=sample_weight[chunk] * np.array([1.0, 3.0, 9.0])[
                                  y[chunk]])
        plain.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2],
                          sample_weight=sample_weight[chunk])
    np.testing.assert_allclose(by_class.loss_curve_, by_sample.loss_curve_, rtol=1e-12)
    np.testing.assert_allclose(by_class.network_.theta, by_sample.network_.theta, rtol=1e-10,
                               atol=1e-13)
    assert not np.allclose(plain.network_.theta, by_class.network_.theta, rtol=1e-6)


def weighted_validation(clf, X_val, y_val, weights):
    """The weighted accuracy and the weighted mean cross-entropy of ``clf`` on a validation set,
    from its predict_proba: what validation_scores_ and validation_loss_curve_ should hold."""
    proba = clf.predict_proba(X_val)
    index = np.searchsorted(clf.classes_, y_val)
    hit = np.argmax(proba, axis=1) == index
    loss = -np.log(proba[np.arange(len(index)), index])
    return np.sum(weights * hit) / np.sum(weights), np.sum(weights * loss) / np.sum(weights)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_validation_data_is_scored_with_the_class_weights(n_classes):
    X, y = make_classification(n_samples=400, n_features=6, n_informative=3, n_classes=n_classes,
                               flip_y=0.2, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.5, random_state=0)
    class_weight = {0: 1.0, 1: 5.0, 2: 0.2}
    clf = NNClassifier(hidden_layer_sizes=(8,), max_epochs=4, n_iter_no_change=99,
                       class_weight=dict(list(class_weight.items())[:n_classes]),
                       random_state=0).fit(X_train, y_train, validation_data=(X_val, y_val))
    weights = np.array([class_weight[label] for label in y_val])
    score, loss = weighted_validation(clf, X_val, y_val, weights)  # the last epoch's weights
    assert clf.validation_scores_[-1] == pytest.approx(score, rel=1e-12)
    assert clf.validation_loss_curve_[-1] == pytest.approx(loss, rel=1e-9)
    unweighted, unweighted_loss = weighted_validation(clf, X_val, y_val, np.ones(len(y_val)))
    assert abs(score - unweighted) > 0.01 and abs(loss - unweighted_loss) > 0.01


def test_the_held_out_split_is_scored_with_the_sample_and_class_weights(monkeypatch):
    """Early stopping's own split: the best validation score is the accuracy of the restored
    (best) weights on the held-out rows, weighted by sample_weight times class_weight. The rows
    are the ones the estimator's train_test_split call returned."""
    X, y = make_classification(n_samples=600, n_features=6, n_informative=3, n_classes=3,
                               flip_y=0.2, random_state=1)
    sample_weight = np.random.default_rng(0).uniform(0.1, 4.0, len(y))
    class_weight = {0: 1.0, 1: 4.0, 2: 0.5}
    splits = []

    def recording_split(*args, **kwargs):
        splits.append(train_test_split(*args, **kwargs))
        return splits[-1]

    monkeypatch.setattr(sklearn_base, "train_test_split", recording_split)
    clf = NNClassifier(hidden_layer_sizes=(8,), learning_rate=0.01, early_stopping=True,
                       validation_fraction=0.3, n_iter_no_change=3, class_weight=class_weight,
                       random_state=0).fit(X, y, sample_weight=sample_weight)
    (_, val_index), = splits
    assert val_index.size == 180
    weights = sample_weight[val_index] * np.array([class_weight[label] for label in y[val_index]])
    score, _ = weighted_validation(clf, X[val_index], y[val_index], weights)
    assert clf.best_validation_score_ == pytest.approx(score, rel=1e-12)
    for other in (np.ones(val_index.size), sample_weight[val_index],
                  np.array([class_weight[c] for c in y[val_index]])):
        assert abs(weighted_validation(clf, X[val_index], y[val_index], other)[0] - score) > 1e-3


# ------------------------------------------------------------------------ partial_fit, warm_start
def test_partial_fit_continues_the_optimizer_like_one_long_run(blobs):
    X, _, y, _ = blobs
    params = dict(hidden_layer_sizes=(8,), batch_size=40, n_iter_no_change=99, random_state=0)
    long_run = NNClassifier(max_epochs=6, **params).fit(X, y)
    streamed = NNClassifier(**params)
    for _ in range(6):
        streamed.partial_fit(X, y, classes=[0, 1, 2])
    assert streamed.n_iter_ == 6 and streamed.loss_curve_ == long_run.loss_curve_
    assert streamed.validation_scores_ is None and streamed.best_validation_score_ is None
    assert streamed.network_.optimizer.t == long_run.network_.optimizer.t == 6 * 6
    np.testing.assert_array_equal(streamed.network_.theta, long_run.network_.theta)


def test_partial_fit_classes(blobs):
    X, _, y, _ = blobs
    with pytest.raises(ValueError, match="classes must be passed"):
        NNClassifier().partial_fit(X, y)
    clf = NNClassifier(max_epochs=1).partial_fit(X[y < 2], y[y < 2], classes=["a", 0, 1, 2][1:])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.network_.n_outputs == 3  # a class absent from the first chunk still has a unit
    with pytest.raises(ValueError, match="not the same"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :1], y)
    with pytest.raises(ValueError, match="early_stopping"):
        NNClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="balanced"):
        NNClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_warm_start_continues_like_one_long_run(blobs):
    X, _, y, _ = blobs
    params = dict(hidden_layer_sizes=(8,), n_iter_no_change=99, random_state=0)
    long_run = NNClassifier(max_epochs=10, **params).fit(X, y)
    warm = NNClassifier(max_epochs=4, warm_start=True, **params).fit(X, y)
    warm.set_params(max_epochs=6).fit(X, y)
    assert warm.n_iter_ == 10 and warm.loss_curve_ == long_run.loss_curve_
    np.testing.assert_array_equal(warm.network_.theta, long_run.network_.theta)
    cold = NNClassifier(max_epochs=4, **params).fit(X, y)
    first = cold.network_
    cold.fit(X, y)
    assert cold.network_ is not first and cold.n_iter_ == 4
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        warm.set_params(hidden_layer_sizes=(9,)).fit(X, y)


def test_pickled_estimator_keeps_training(blobs):
    X, _, y, _ = blobs
    params = dict(hidden_layer_sizes=(8,), random_state=0)
    reference = NNClassifier(**params).partial_fit(X, y, classes=[0, 1, 2])
    for restored in (pickle.loads(pickle.dumps(reference)), copy.deepcopy(reference)):
        restored.partial_fit(X, y)
        assert restored.loss_curve_[1] < restored.loss_curve_[0]
    reference.partial_fit(X, y)
    assert restored.loss_curve_ == reference.loss_curve_
    np.testing.assert_array_equal(restored.network_.theta, reference.network_.theta)


def test_clone_gives_an_unfitted_copy(blobs):
    X, _, y, _ = blobs
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=1).fit(X, y)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and not hasattr(twin, "network_")


def test_verbose_prints_each_epoch(blobs, capsys):
    X, X_val, y, y_val = blobs
    NNClassifier(hidden_layer_sizes=(3,), max_epochs=2, verbose=True).fit(
        X, y, validation_data=(X_val, y_val))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2, loss = ")
    assert "validation score" in lines[1]


# ---------------------------------------------------------------------------- sparse X
def one_hot_problem(n=600, seed=0):
    """Wide sparse ``X`` as ColumnTransformer + OneHotEncoder make it (CSR), and 3 classes.

    Three categorical columns of 40 categories each, one-hot encoded (120 columns), beside two
    standardized numeric columns; the class follows both kinds."""
    rng = np.random.default_rng(seed)
    codes, numbers = rng.integers(0, 40, (n, 3)), rng.standard_normal((n, 2))
    score = np.sum(codes % 3 == 0, axis=1) + numbers[:, 0]
    y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    encode = ColumnTransformer([("one_hot", OneHotEncoder(), [0, 1, 2]),
                                ("numbers", StandardScaler(), [3, 4])], sparse_threshold=1.0)
    X = encode.fit_transform(np.column_stack([codes, numbers]))
    assert sparse.issparse(X) and X.format == "csr" and X.shape[0] == n
    return X, y


TARGETS = {  # y from the 3 classes, the fit's hyperparameters and fit arguments
    "multiclass": (lambda y: y, dict(batch_norm=True, dropout=0.2, l2=0.01), {}),
    "binary": (lambda y: y == 2, dict(early_stopping=True, class_weight="balanced"), {}),
    "multilabel": (lambda y: np.column_stack([y == 0, y != 1]).astype(int),
                   dict(batch_size=64), {"sample_weight": np.arange(600) % 3 + 1.0}),
}


@pytest.mark.parametrize("to_format", [sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix,
                                       sparse.csr_array, sparse.lil_array])
@pytest.mark.parametrize("target", TARGETS)
def test_sparse_x_trains_and_predicts_like_its_dense_array(target, to_format):
    X, y = one_hot_problem()
    make_y, params, fit_args = TARGETS[target]
    y = make_y(y)
    X_sparse, X_dense = to_format(X), X.toarray()
    params = {**dict(hidden_layer_sizes=(16,), batch_size=50, max_epochs=8, n_iter_no_change=99,
                     learning_rate=0.01, random_state=0), **params}
    if target == "multiclass":  # a validation set, sparse too
        fit_args = {"validation_data": (to_format(X[:100]), y[:100])}
    on_sparse = NNClassifier(**params).fit(X_sparse, y, **fit_args)
    if target == "multiclass":
        fit_args = {"validation_data": (X_dense[:100], y[:100])}
    on_dense = NNClassifier(**params).fit(X_dense, y, **fit_args)
    assert on_sparse.n_iter_ == on_dense.n_iter_ == 8
    np.testing.assert_allclose(on_sparse.loss_curve_, on_dense.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(on_sparse.network_.theta, on_dense.network_.theta, rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_array_equal(on_sparse.predict(X_sparse), on_dense.predict(X_dense))
    np.testing.assert_allclose(on_sparse.predict_proba(X_sparse),
                               on_dense.predict_proba(X_dense), rtol=1e-10)
    if on_dense.validation_scores_ is not None:
        assert on_dense.validation_scores_[-1] < 1.0  # not trivially equal
        np.testing.assert_allclose(on_sparse.validation_scores_, on_dense.validation_scores_,
                                   rtol=1e-10)
        np.testing.assert_allclose(on_sparse.validation_loss_curve_,
                                   on_dense.validation_loss_curve_, rtol=1e-10)
    else:
        assert target == "multilabel"
    # the predictions of one model: sparse and dense input agree
    np.testing.assert_allclose(on_dense.predict_proba(X_sparse), on_dense.predict_proba(X_dense),
                               rtol=1e-10)
    assert on_dense.score(X_sparse, y) == on_dense.score(X_dense, y)


def test_sparse_float32_trains_in_float32_like_its_dense_array():
    X, y = one_hot_problem()
    X = X.astype(np.float32)
    params = dict(hidden_layer_sizes=(16,), batch_size=50, max_epochs=5, random_state=0)
    on_sparse = NNClassifier(**params).fit(X, y)
    on_dense = NNClassifier(**params).fit(X.toarray(), y)
    assert on_sparse.network_.compute_dtype == np.float32
    proba = on_sparse.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba, on_dense.predict_proba(X.toarray()), rtol=1e-5)
    np.testing.assert_array_equal(on_sparse.predict(X), on_dense.predict(X.toarray()))


def test_sparse_partial_fit_continues_like_dense():
    X, y = one_hot_problem()
    params = dict(hidden_layer_sizes=(8,), batch_size=40, random_state=0)
    on_sparse, on_dense = NNClassifier(**params), NNClassifier(**params)
    for chunk in (slice(0, 300), slice(300, 600)):
        on_sparse.partial_fit(X[chunk].tocsc(), y[chunk], classes=[0, 1, 2])
        on_dense.partial_fit(X[chunk].toarray(), y[chunk], classes=[0, 1, 2])
    np.testing.assert_allclose(on_sparse.loss_curve_, on_dense.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(on_sparse.predict_proba(X), on_dense.predict_proba(X.toarray()),
                               rtol=1e-10)


def test_sparse_x_is_never_densified_whole(monkeypatch):
    """Every densification of a sparse matrix is recorded (its rows): training densifies one
    mini-batch at a time, validation and prediction one chunk of rows at a time, and the
    end-of-run check at most the rows it samples; never all the rows at once."""
    X, y = one_hot_problem(n=1500)
    monkeypatch.setattr(training, "EVALUATION_CHUNK", 100)
    densified = []

    def recording(toarray):
        def wrapper(self, *args, **kwargs):
            densified.append(self.shape[0])
            return toarray(self, *args, **kwargs)
        return wrapper

    for cls in (sparse.csr_matrix, sparse.csc_matrix, sparse.coo_matrix, sparse.csr_array,
                sparse.csc_array, sparse.coo_array):
        monkeypatch.setattr(cls, "toarray", recording(cls.toarray))
    clf = NNClassifier(hidden_layer_sizes=(8,), batch_size=50, max_epochs=3, n_iter_no_change=99,
                       early_stopping=True, validation_fraction=0.2, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3
    n_train = 1200
    assert densified.count(50) == 3 * n_train // 50  # each epoch's mini-batches, one by one
    training_and_validation = len(densified)
    clf.predict_proba(X)
    assert densified[training_and_validation:] == [100] * 15
    assert max(densified) <= SAMPLE_ROWS < n_train


@pytest.mark.parametrize("call", [
    lambda A, X, y, fitted: NNClassifier(max_epochs=1).fit(A(np.where(X > 1, np.nan, X)), y),
    lambda A, X, y, fitted: fitted.predict(A(np.where(X > 1, np.inf, X))),
    lambda A, X, y, fitted: fitted.predict(A(X[:, :3])),
    lambda A, X, y, fitted: fitted.partial_fit(A(np.hstack([X, X])), y),
    lambda A, X, y, fitted: NNClassifier(max_epochs=1).fit(X, y,
                                                           validation_data=(A(X[:, :3]), y)),
    lambda A, X, y, fitted: NNClassifier(max_epochs=1).fit(A(X[:15]), y),
    lambda A, X, y, fitted: fitted.predict_proba(A(X + 1j)),
    lambda A, X, y, fitted: fitted.predict(A(X[:0])),
    lambda A, X, y, fitted: NNClassifier(max_epochs=1).fit(A(X[:, :0]), y),
    lambda A, X, y, fitted: NNClassifier(max_epochs=1).fit(A(X), y, sample_weight=np.ones(3)),
], ids=["nan", "inf", "features", "partial_fit features", "validation features", "rows",
        "complex", "no rows", "no features", "sample_weight"])
@pytest.mark.parametrize("to_format", [sparse.coo_matrix, sparse.csr_array])
def test_bad_sparse_x_gets_the_error_of_dense_x(call, to_format):
    rng = np.random.default_rng(0)
    X = np.where(rng.random((20, 4)) < 0.6, 0.0, rng.standard_normal((20, 4)))
    y = np.arange(20) % 2
    fitted = NNClassifier(hidden_layer_sizes=(3,), max_epochs=1).fit(X, y)
    errors = []
    for A in (np.asarray, to_format):
        with pytest.raises((ValueError, TypeError)) as excinfo:
            call(A, X, y, fitted)
        errors.append((type(excinfo.value), str(excinfo.value).splitlines()[0]))
    assert errors[1] == errors[0]
    assert re.search(r"\b(X|y|sample_weight)\b", errors[0][1]), errors[0][1]


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_a_feature_count_error_names_x_alone(blobs, method):
    X, _, y, _ = blobs
    fitted = NNClassifier(hidden_layer_sizes=(3,), max_epochs=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"^X has 4 features, but NNClassifier is expecting 2"):
        getattr(fitted, method)(np.hstack([X, X]), y)


def test_one_dimensional_sparse_x_and_lbfgs_on_sparse_x_are_refused():
    X, y = one_hot_problem(n=60)
    fitted = NNClassifier(hidden_layer_sizes=(3,), max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"^X: Expected 2D"):
        fitted.predict(sparse.coo_array(X.toarray()[0]))
    with pytest.raises(ValueError, match="optimizer='lbfgs'.*sparse X"):
        NNClassifier(optimizer="lbfgs", max_epochs=2).fit(X, y)


# ---------------------------------------------------------------------------- memory-mapped X
def write_memmap(path, n, n_features, seed=0):
    """A (n, n_features) float64 .npy file, two Gaussian blobs, written in chunks; returns y."""
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, n_features))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    for start in range(0, n, 10_000):
        stop = min(start + 10_000, n)
        X[start:stop] = rng.standard_normal((stop - start, n_features)) + y[start:stop, None]
    X.flush()
    del X
    return y


def test_memmap_is_streamed_in_blocks_without_loading_it(tmp_path, monkeypatch):
    n, n_features = 100_000, 64  # a 51 MB file
    y = write_memmap(tmp_path / "X.npy", n, n_features)
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 2**20)  # blocks of 2,000 rows
    clf = NNClassifier(hidden_layer_sizes=(16,), max_epochs=2, early_stopping=True,
                       random_state=0)
    tracemalloc.start()
    try:
        clf.fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # What remains is per-example bookkeeping (labels, the stratified split: O(n), not O(n x d))
    assert peak < X.nbytes / 4, f"peak {peak / 2**20:.1f} MiB for a {X.nbytes / 2**20:.0f} MiB X"
    assert clf.n_iter_ == 2 and clf.best_validation_score_ > 0.95
    X_test, y_test = np.asarray(X[:5000]), y[:5000]
    assert clf.score(X_test, y_test) > 0.95


def test_memmap_in_one_block_trains_exactly_like_an_array(tmp_path):
    y = write_memmap(tmp_path / "X.npy", 3000, 5)
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    params = dict(hidden_layer_sizes=(8,), max_epochs=3, early_stopping=True, random_state=0)
    mapped = NNClassifier(**params).fit(X, y)
    in_memory = NNClassifier(**params).fit(np.array(X), y)
    assert mapped.loss_curve_ == in_memory.loss_curve_
    assert mapped.validation_scores_ == in_memory.validation_scores_
    np.testing.assert_array_equal(mapped.network_.theta, in_memory.network_.theta)


def test_memmap_blocks_keep_whole_mini_batches(tmp_path, monkeypatch):
    y = write_memmap(tmp_path / "X.npy", 3000, 5)
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 5 * 8 * 450)  # 450 rows -> 400
    clf = NNClassifier(hidden_layer_sizes=(8,), batch_size=100, max_epochs=2, learning_rate=0.01,
                       random_state=0)
    clf.fit(X, y, sample_weight=np.ones(len(y)))
    assert clf.network_.optimizer.t == 2 * 30  # 3000 / 100 steps per epoch: no partial batches
    assert clf.score(np.asarray(X), y) > 0.8


# ------------------------------------------------------------------------ benchmarks/accuracy.py
def test_accuracy_benchmark_prints_its_table():
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "src")]))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.accuracy", "--seeds", "2", "--epochs", "3",
         "--datasets", "iris", "wine"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "| classifier | iris | wine | fit time (s) |" in lines
    rows = [line for line in lines if line.startswith(("| NNClassifier", "| MLPClassifier"))]
    assert len(rows) == 6 and all(row.count("±") == 2 for row in rows[:-1])
    assert rows[0].startswith("| MLPClassifier (scikit-learn) | ")
    assert rows[-1].startswith("| NNClassifier − MLPClassifier, paired")


# ------------------------------------------------------------------------ mutmut survivors
# Direct tests of what the tests above reach only in passing, each error matched whole.
WARM_MESSAGE = ("warm_start and partial_fit continue the existing network, but "
                "hidden_layer_sizes, activation or batch_norm changed since it was created; set "
                "warm_start=False to train a new one")


@pytest.mark.parametrize("sizes, change", [
    ((4,), {"activation": "tanh"}), ((4, 3), {"activation": "tanh"}), ((4,), {"batch_norm": True}),
    ((4,), {"hidden_layer_sizes": (5,)}), ((), {"hidden_layer_sizes": (2,)}),
])
def test_a_warm_start_refuses_a_changed_architecture(sizes, change):
    X, y = make_blobs(n_samples=30, centers=3, random_state=0)
    clf = NNClassifier(hidden_layer_sizes=sizes, max_epochs=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError) as info:
        clf.set_params(**change).fit(X, y)
    assert str(info.value) == WARM_MESSAGE
    with pytest.raises(ValueError) as info:
        clf.partial_fit(X, y)
    assert str(info.value) == WARM_MESSAGE


@pytest.mark.parametrize("params", [
    {"hidden_layer_sizes": (4,), "batch_norm": True},
    {"hidden_layer_sizes": (), "activation": "relu"},  # the output's activation is not checked
    {"hidden_layer_sizes": (4, 3), "activation": "logistic"},
])
def test_a_warm_start_continues_an_unchanged_architecture(params):
    X, y = make_blobs(n_samples=30, centers=3, random_state=0)
    clf = NNClassifier(max_epochs=1, warm_start=True, **params).fit(X, y)
    network = clf.network_
    clf.fit(X, y)
    clf.set_params(activation="tanh" if not params["hidden_layer_sizes"] else clf.activation)
    clf.partial_fit(X, y)
    assert clf.network_ is network and clf.n_iter_ == 3


def small_problem(n=60, seed=0):
    X, y = make_blobs(n_samples=n, centers=3, random_state=seed)
    return StandardScaler().fit_transform(X), y


def fit_error(clf, *args, **kwargs):
    with pytest.raises((ValueError, TypeError)) as info:
        clf.fit(*args, **kwargs)
    return str(info.value)


def test_validation_data_errors_are_named_whole():
    X, y = small_problem()
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=1)
    message = "validation_data must be a tuple (X_val, y_val)"
    assert fit_error(clf, X, y, validation_data=X[:5]) == message
    assert fit_error(clf, X, y, validation_data=(X[:5], y[:5], None)) == message
    assert fit_error(clf, X, y, validation_data=[X[:5]]) == message
    assert fit_error(clf, X, y, validation_data=(X[:5], y[:4])) == \
        "validation_data: X_val has 5 samples but y_val has 4"
    letters = np.array([["a", "b"]] * 5)
    assert fit_error(clf, X, y, validation_data=(letters, y[:5])).startswith(
        "X: could not convert string to float: ")


def test_a_column_y_val_is_read_as_a_vector_without_a_warning():
    from sklearn.exceptions import DataConversionWarning

    X, y = small_problem()
    params = dict(hidden_layer_sizes=(3,), max_epochs=3, n_iter_no_change=99, random_state=0,
                  class_weight="balanced")  # a 2-D y would warn in compute_class_weight
    flat = NNClassifier(**params).fit(X[:40], y[:40], validation_data=(X[40:], y[40:]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataConversionWarning)
        column = NNClassifier(**params).fit(X[:40], y[:40],
                                            validation_data=(X[40:], y[40:].reshape(-1, 1)))
    assert column.validation_scores_ == flat.validation_scores_
    assert column.validation_loss_curve_ == flat.validation_loss_curve_


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_multilabel_validation_data_is_scored_whole_rows_and_weighted(class_weight):
    X, y = small_problem(90)
    Y = np.column_stack([y == 0, y != 1]).astype(int)  # 1/3 and 2/3 of the rows positive
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=3, n_iter_no_change=99,
                       learning_rate=0.01, class_weight=class_weight, random_state=0)
    clf.fit(X[:50], Y[:50], validation_data=(X[50:], Y[50:]))
    Y_val, proba = Y[50:], clf.predict_proba(X[50:])
    weights = np.ones(len(Y_val))
    if class_weight == "balanced":  # per label n / (2 count), multiplied over the labels
        for k in range(2):
            counts = np.bincount(Y_val[:, k], minlength=2)
            weights = weights * (len(Y_val) / (2 * counts))[Y_val[:, k]]
    hit = np.all((proba > 0.5) == (Y_val == 1), axis=1)
    losses = -(Y_val * np.log(proba) + (1 - Y_val) * np.log1p(-proba)).sum(axis=1)
    score = np.sum(weights * hit) / np.sum(weights)
    loss = np.sum(weights * losses) / np.sum(weights)
    assert clf.validation_scores_[-1] == pytest.approx(score, rel=1e-12)
    assert clf.validation_loss_curve_[-1] == pytest.approx(loss, rel=1e-9)
    if class_weight:
        assert abs(loss - np.mean(losses)) > 1e-3
    for bad in (Y[50:, 0], np.column_stack([Y[50:], Y[50:, :1]])):
        assert fit_error(clf, X[:50], Y[:50], validation_data=(X[50:], bad)) == (
            f"validation_data: y_val must be an indicator matrix of 2 columns, got shape "
            f"{bad.shape}")


def test_balanced_validation_weights_need_not_see_every_class():
    """A validation set without some class is scored with 'balanced' weights over the classes it
    holds: n / (k n_c) for its k classes (it used to raise scikit-learn's "classes should have
    valid labels that are in y")."""
    X, y = small_problem(90)
    X_val, y_val = X[60:][y[60:] != 2], y[60:][y[60:] != 2]
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=2, n_iter_no_change=99,
                       class_weight="balanced", random_state=0)
    clf.fit(X[:60], y[:60], validation_data=(X_val, y_val))
    counts = np.bincount(y_val)
    weights = (len(y_val) / (2 * counts))[y_val]
    score, loss = weighted_validation(clf, X_val, y_val, weights)
    assert clf.validation_scores_[-1] == pytest.approx(score, rel=1e-12)
    assert clf.validation_loss_curve_[-1] == pytest.approx(loss, rel=1e-9)


def test_predict_log_proba_of_a_certain_prediction_is_minus_infinity_without_a_warning():
    X, y = small_problem()
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=1, random_state=0).fit(X, y == 0)
    clf.network_.parameters["W2"][...] = 1e6 * np.sign(clf.network_.parameters["W2"] + 0.5)
    proba = clf.predict_proba(X)
    assert np.any(proba == 0.0)  # sigmoid rounds to exactly 1: P(False) = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        log_proba = clf.predict_log_proba(X)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(log_proba, np.log(proba))
    assert np.isneginf(log_proba).any()


@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_validation_loss_is_the_smoothed_cross_entropy(n_classes):
    X, y = small_problem(90)
    y = y if n_classes == 3 else (y == 0).astype(int)
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=2, n_iter_no_change=99,
                       label_smoothing=0.2, random_state=0)
    clf.fit(X[:60], y[:60], validation_data=(X[60:], y[60:]))
    proba, y_val = clf.predict_proba(X[60:]), y[60:]
    targets = 0.8 * np.eye(n_classes)[y_val] + 0.2 / n_classes  # y(1 - e) + e / C, e/2 binary
    if n_classes == 2:  # binary cross-entropy of P(class 1) is the cross-entropy of both columns
        losses = -(targets[:, 1] * np.log(proba[:, 1]) + targets[:, 0] * np.log1p(-proba[:, 1]))
    else:
        losses = -np.sum(targets * np.log(proba), axis=1)
    assert clf.validation_loss_curve_[-1] == pytest.approx(np.mean(losses), rel=1e-9)


def test_the_validation_loss_and_score_add_up_over_chunks_of_a_sparse_x(monkeypatch):
    monkeypatch.setattr(training, "EVALUATION_CHUNK", 7)  # 30 rows: chunks of 7, 7, 7, 7, 2
    X, y = small_problem(90)
    class_weight = {0: 1.0, 1: 4.0, 2: 0.5}
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=2, n_iter_no_change=99,
                       class_weight=class_weight, random_state=0)
    clf.fit(X[:60], y[:60], validation_data=(sparse.csr_matrix(X[60:]), y[60:]))
    weights = np.array([class_weight[c] for c in y[60:]])
    score, loss = weighted_validation(clf, X[60:], y[60:], weights)
    assert clf.validation_scores_[-1] == pytest.approx(score, rel=1e-12)
    assert clf.validation_loss_curve_[-1] == pytest.approx(loss, rel=1e-9)


def test_a_validation_set_of_no_weight_scores_zero_and_a_light_one_is_averaged():
    X, y = small_problem(90)
    params = dict(hidden_layer_sizes=(3,), max_epochs=2, n_iter_no_change=99, random_state=0)
    zeros = X[60:][y[60:] == 0], y[60:][y[60:] == 0]
    clf = NNClassifier(class_weight={0: 0.0, 1: 1.0, 2: 1.0}, **params)
    clf.fit(X[:60], y[:60], validation_data=zeros)
    assert clf.validation_loss_curve_ == [0.0, 0.0] and clf.validation_scores_ == [0.0, 0.0]
    one = X[60:][y[60:] == 1][:1], y[60:][y[60:] == 1][:1]
    clf = NNClassifier(class_weight={0: 1.0, 1: 0.5, 2: 1.0}, **params)
    clf.fit(X[:60], y[:60], validation_data=one)
    p = clf.predict_proba(one[0])[0, 1]
    assert clf.validation_loss_curve_[-1] == pytest.approx(-np.log(p), rel=1e-9)
    assert clf.validation_scores_[-1] == float(clf.predict(one[0])[0] == 1)


class SetParameters(Callback):
    """Overwrite parameters after every mini-batch, so the epoch ends scored with them."""

    def __init__(self, **values):
        self.values = values

    def on_train_begin(self, model):
        self.model = model

    def on_batch_end(self, step):
        for name, value in self.values.items():
            self.model.parameters[name][...] = value


def test_the_validation_loss_of_saturated_outputs_comes_from_the_logits():
    """Logits of +-1000: the probabilities round to exactly 0 and 1, and only the logits give
    the loss (about 1000 for a wrong row), not probabilities clipped away from 0."""
    X, y = small_problem(90)
    y = (y == 0).astype(int)
    W, b = np.array([[1000.0, -700.0]]), np.array([[3.0]])
    clf = NNClassifier(hidden_layer_sizes=(), max_epochs=1, batch_size=60, random_state=0,
                       callbacks=[SetParameters(W1=W, b1=b)])
    clf.fit(X[:60], y[:60], validation_data=(X[60:], y[60:]))
    z = X[60:] @ W[0] + b[0, 0]
    losses = np.maximum(z, 0) - z * y[60:] + np.log1p(np.exp(-np.abs(z)))
    assert np.max(losses) > 100  # a confident mistake
    assert clf.validation_loss_curve_[-1] == pytest.approx(np.mean(losses), rel=1e-9)


@pytest.mark.parametrize("target", ["binary", "multilabel"])
def test_a_probability_of_one_half_is_scored_as_predict_reads_it(target):
    """Zero weights: every probability is exactly 0.5, which predict reads as the first class
    (binary) or label 0 (multilabel); the validation score agrees."""
    X, y = small_problem(90)
    y = (y == 0).astype(int) if target == "binary" else np.column_stack([y == 0, y == 0]) * 1
    clf = NNClassifier(hidden_layer_sizes=(), max_epochs=1, batch_size=60, random_state=0,
                       callbacks=[SetParameters(W1=0.0, b1=0.0)])
    clf.fit(X[:60], y[:60], validation_data=(X[60:], y[60:]))
    assert np.all(clf.predict_proba(X[60:]) == 0.5)
    predicted = clf.predict(X[60:])
    assert np.all(predicted == 0)
    expected = np.mean(np.all((predicted == y[60:]).reshape(30, -1), axis=1))
    assert 0 < expected < 1 and clf.validation_scores_[-1] == expected


def test_memory_mapped_means_a_memmap_or_an_array_on_one(tmp_path):
    import mmap

    np.save(tmp_path / "X.npy", np.arange(12.0).reshape(4, 3))
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    with open(tmp_path / "X.npy", "rb") as f:
        buffer = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    assert sklearn_data.is_memory_mapped(mapped)
    assert sklearn_data.is_memory_mapped(np.asarray(mapped))  # a plain view of a memmap
    assert sklearn_data.is_memory_mapped(np.asarray(mapped)[1:].T)
    assert sklearn_data.is_memory_mapped(buffer)
    assert not sklearn_data.is_memory_mapped(np.array(mapped))
    assert not sklearn_data.is_memory_mapped(np.arange(3.0)[1:])
    buffer.close()


def test_batch_norm_with_batches_of_one_is_refused_by_the_number_of_rows():
    X, y = small_problem(6)
    X = X[:, :1]  # one feature, six rows: the rows count, not the features
    with pytest.raises(ValueError, match="^batch_size=1 cannot train with batch_norm=True"):
        NNClassifier(hidden_layer_sizes=(2,), batch_norm=True, batch_size=1).fit(X, y)


def test_labels_not_in_classes_are_named_whole():
    X, y = small_problem()
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=1).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError) as info:
        clf.partial_fit(X[:3], np.array([1, 7, 9]))
    assert str(info.value) == "y contains labels not in classes_ array([0, 1, 2]): array([7, 9])"


def test_predict_proba_of_a_sparse_x_joins_its_chunks_and_names_string_x(monkeypatch):
    X, y = small_problem()
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=2, random_state=0).fit(X, y)
    dense = clf.predict_proba(X)
    monkeypatch.setattr(training, "EVALUATION_CHUNK", 7)  # 60 rows: 8 chunks of 7, one of 4
    np.testing.assert_array_equal(clf.predict_proba(sparse.csr_matrix(X)), dense)
    np.testing.assert_array_equal(clf.predict_proba(sparse.csr_matrix(X[:7])), dense[:7])
    with pytest.raises(ValueError) as info:
        clf.predict_proba(np.array([["a", "b"]] * 3))
    assert str(info.value).startswith("X: could not convert string to float: ")


def test_a_float32_network_trains_on_float64_chunks_as_on_float32_ones():
    X, y = small_problem()
    params = dict(hidden_layer_sizes=(3,), random_state=0)
    as_float64 = NNClassifier(**params).partial_fit(X.astype(np.float32), y, classes=[0, 1, 2])
    as_float32 = NNClassifier(**params).partial_fit(X.astype(np.float32), y, classes=[0, 1, 2])
    as_float64.partial_fit(X, y)  # converted to the network's float32
    as_float32.partial_fit(X.astype(np.float32), y)
    assert as_float64.network_.compute_dtype == np.float32
    assert as_float64.loss_curve_ == as_float32.loss_curve_
    np.testing.assert_array_equal(as_float64.network_.theta, as_float32.network_.theta)


def test_a_class_weight_dict_need_not_list_every_class_nor_see_it_in_a_chunk():
    """class_weight {0: 2, 2: 3} leaves class 1 at 1; a partial_fit chunk without class 2 is
    weighted like the same sample_weight."""
    X, y = small_problem(90)
    chunk = y < 2
    params = dict(hidden_layer_sizes=(3,), batch_size=20, random_state=0)
    by_class = NNClassifier(class_weight={0: 2.0, 2: 3.0}, **params)
    by_class.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    by_sample = NNClassifier(**params)
    by_sample.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2],
                          sample_weight=np.where(y[chunk] == 0, 2.0, 1.0))
    np.testing.assert_array_equal(by_class.loss_curve_, by_sample.loss_curve_)
    np.testing.assert_array_equal(by_class.network_.theta, by_sample.network_.theta)


def test_a_validation_set_weighing_less_than_one_is_scored():
    """One validation row of weight 0.5, predicted right (a bias of +5 says class 1 for every
    row): its score is 1, however small its weight."""
    X, y = small_problem(90)
    y = (y == 0).astype(int)
    clf = NNClassifier(hidden_layer_sizes=(), max_epochs=1, batch_size=60, random_state=0,
                       class_weight={0: 1.0, 1: 0.5},
                       callbacks=[SetParameters(W1=0.0, b1=5.0)])
    row = np.flatnonzero(y[60:] == 1)[:1] + 60
    clf.fit(X[:60], y[:60], validation_data=(X[row], y[row]))
    assert clf.predict(X[row]).tolist() == [1] and clf.validation_scores_ == [1.0]


def test_a_class_weight_dict_that_omits_a_class_weighs_a_validation_set_without_another():
    X, y = small_problem(90)
    X_val, y_val = X[60:][y[60:] != 2], y[60:][y[60:] != 2]
    clf = NNClassifier(hidden_layer_sizes=(3,), max_epochs=2, n_iter_no_change=99,
                       class_weight={0: 2.0, 2: 3.0}, random_state=0)
    clf.fit(X[:60], y[:60], validation_data=(X_val, y_val))
    score, loss = weighted_validation(clf, X_val, y_val, np.where(y_val == 0, 2.0, 1.0))
    assert clf.validation_scores_[-1] == pytest.approx(score, rel=1e-12)
    assert clf.validation_loss_curve_[-1] == pytest.approx(loss, rel=1e-9)


def test_memmap_blocks_serve_every_chosen_row_once_and_skip_empty_blocks(tmp_path):
    from scratchnn.losses import BinaryCrossEntropy

    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float64, shape=(7, 2))
    X[:] = np.arange(14.0).reshape(7, 2)
    Y = (np.arange(7) % 2).reshape(1, 7).astype(float)
    network = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0, dtype="float32")
    rows = sklearn_data.Rows(X, Y, None, None, network, BinaryCrossEntropy, block_rows=3)
    blocks = list(rows.blocks())
    assert rows.n == 7 and rows.n_blocks == 3 and [len(b.X) for b in blocks] == [3, 3, 1]
    np.testing.assert_array_equal(np.vstack([b.X for b in blocks]), X)
    assert all(b.X.dtype == np.float32 and b.X.flags.c_contiguous for b in blocks)
    np.testing.assert_array_equal(np.concatenate([b.Y[:, 0] for b in blocks]), Y[0])
    index = np.array([0, 2, 3, 6])
    rows = sklearn_data.Rows(X, Y, np.arange(7.0), index, network, BinaryCrossEntropy,
                            block_rows=3)
    blocks = list(rows.blocks())
    assert rows.n == 4 and rows.n_blocks == 3
    np.testing.assert_array_equal(np.vstack([b.X for b in blocks]), X[index])
    np.testing.assert_array_equal(np.concatenate([b.weights[:, 0] for b in blocks]), index)
    skipping = sklearn_data.Rows(X, Y, None, np.array([4, 5]), network, BinaryCrossEntropy,
                                block_rows=3)
    assert skipping.n_blocks == 1
    np.testing.assert_array_equal(np.vstack([b.X for b in skipping.blocks()]), X[[4, 5]])


@pytest.mark.parametrize("optimizer", ["lbfgs", "gd"])
def test_a_warm_float32_network_trains_on_float64_x_as_on_float32(optimizer):
    """Full batches (L-BFGS, or one mini-batch of all the rows) too: X becomes float32."""
    X, y = small_problem()
    params = dict(hidden_layer_sizes=(3,), max_epochs=3, batch_size=60, optimizer=optimizer,
                  warm_start=True, n_iter_no_change=99, random_state=0)
    as_float64 = NNClassifier(**params).fit(X.astype(np.float32), y)
    as_float32 = NNClassifier(**params).fit(X.astype(np.float32), y)
    as_float64.fit(X, y)
    as_float32.fit(X.astype(np.float32), y)
    assert as_float64.loss_curve_ == as_float32.loss_curve_
    np.testing.assert_array_equal(as_float64.network_.theta, as_float32.network_.theta)
    assert as_float64.network_.theta.dtype == np.float32


def test_memmap_blocks_come_in_the_generators_order_and_one_block_draws_nothing(tmp_path):
    from scratchnn.losses import BinaryCrossEntropy

    X = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float64, shape=(6, 1))
    X[:, 0] = np.arange(6.0)
    Y = (np.arange(6) % 2).reshape(1, 6).astype(float)
    network = ClassifierNN([1, 2, 1], ["relu", "sigmoid"], seed=0)
    for block_rows in (3, 2):  # two blocks, three blocks
        rows = sklearn_data.Rows(X, Y, None, None, network, BinaryCrossEntropy, block_rows)
        n_blocks = 6 // block_rows
        for seed in range(4):
            order = np.random.RandomState(seed).permutation(n_blocks)
            firsts = [b.X[0, 0] for b in rows.blocks(np.random.RandomState(seed))]
            assert firsts == [block_rows * k for k in order]
    one = sklearn_data.Rows(X, Y, None, np.array([1, 2]), network, BinaryCrossEntropy, 3)
    rng = np.random.RandomState(0)
    assert [b.X[:, 0].tolist() for b in one.blocks(rng)] == [[1.0, 2.0]]
    assert rng.randint(1000) == np.random.RandomState(0).randint(1000)  # nothing drawn


@pytest.mark.parametrize("extra", [{"clipnorm": 0.05}, {"weight_decay": 0.3},
                                   {"lr_schedule": "cosine"}, {"optimizer": "adamw"}])
def test_the_step_settings_reach_the_training_loop_as_in_the_engines_train(extra):
    X, y = small_problem(90)
    params = dict(hidden_layer_sizes=(4,), batch_size=30, max_epochs=4, n_iter_no_change=99,
                  learning_rate=0.05, random_state=3, **extra)
    clf = NNClassifier(**params).fit(X, y)
    engine = ClassifierNN([2, 4, 3], ["relu", "softmax"], seed=seed_of(3))
    init_like_mlp_classifier(engine, "relu")
    engine_extra = {k: v for k, v in extra.items() if k != "optimizer"}
    _, costs = engine.train(X.T, y.reshape(1, -1), loss="SparseCategoricalCrossEntropy",
                            num_epochs=4, learning_rate=0.05, batch_size=30, print_cost=False,
                            optimizer=extra.get("optimizer", "adam"), **engine_extra)
    assert clf.loss_curve_ == costs
    np.testing.assert_array_equal(clf.network_.theta, engine.theta)
    plain = NNClassifier(**{**params, **{k: None for k in extra if k != "optimizer"}})
    if "optimizer" not in extra:
        assert plain.fit(X, y).loss_curve_ != costs  # the setting changed the training
