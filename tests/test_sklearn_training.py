"""NNClassifier's training path: the stopping callback, the per-epoch logs and the validation loss.

Written for the mutants of ``scratchnn/sklearn.py`` that ``make mutate`` found surviving the rest
of the suite (see "Mutation testing" in docs/development.md): the weights kept when training
stops (the last epoch's on the training loss, the best epoch's with early stopping), the verbose
stopping message, the ``val_loss`` and
``val_accuracy`` entries of the logs that the callbacks read, and the precision of a float32
model's label-smoothed validation loss. Small data, a few epochs: fast enough to run against
every mutant.
"""

import re

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.exceptions import DataConversionWarning  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from scratchnn.callback import Callback  # noqa: E402
from scratchnn.sklearn import NNClassifier  # noqa: E402


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=120, centers=3, cluster_std=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y


FLAT = dict(hidden_layer_sizes=(8,), learning_rate=0.1, tol=0.0, n_iter_no_change=2,
            random_state=0)
"""A fit that stops on its training loss after a few epochs."""


class Weights(Callback):
    """Keeps a copy of the model's weights at the end of every epoch."""

    def on_train_begin(self, model):
        self.model, self.theta = model, []

    def on_epoch_end(self, epoch, logs):
        self.theta.append(self.model.theta.copy())
        return False


def test_stopping_on_the_training_loss_keeps_the_last_weights(blobs):
    # As MLPClassifier: without early stopping the weights are the last epoch's, not the best's.
    X, y = blobs
    weights = Weights()
    clf = NNClassifier(**FLAT, callbacks=[weights]).fit(X, y)
    losses = clf.loss_curve_
    assert clf.n_iter_ < 200 and len(weights.theta) == clf.n_iter_
    assert losses[-1] > min(losses)  # so the best epoch's weights are not the last ones
    assert not np.array_equal(weights.theta[int(np.argmin(losses))], weights.theta[-1])
    np.testing.assert_array_equal(clf.network_.theta, weights.theta[-1])


def test_early_stopping_puts_the_best_epochs_weights_back(blobs):
    X, y = blobs
    weights = Weights()
    clf = NNClassifier(**FLAT, early_stopping=True, callbacks=[weights]).fit(X, y)
    best = int(np.argmax(clf.validation_scores_))
    assert clf.n_iter_ < 200 and best < clf.n_iter_ - 1
    assert not np.array_equal(weights.theta[best], weights.theta[-1])
    np.testing.assert_array_equal(clf.network_.theta, weights.theta[best])


@pytest.mark.parametrize("early_stopping, watched", [
    (False, "Training loss"), (True, "Validation score")])
def test_verbose_says_why_training_stopped(blobs, capsys, early_stopping, watched):
    X, y = blobs
    clf = NNClassifier(**{**FLAT, "n_iter_no_change": 3, "tol": 0.5, "verbose": True},
                       early_stopping=early_stopping).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert clf.n_iter_ == 4  # tol=0.5 is never beaten: the first epoch and 3 without progress
    assert [line.split(",")[0] for line in lines[:-1]] == [f"Epoch {k}" for k in range(1, 5)]
    assert lines[-1] == (f"{watched} did not improve by more than tol=0.5 for 3 consecutive "
                         f"epochs: stopping")
    # Quiet when not verbose, stopping or not.
    NNClassifier(**{**FLAT, "n_iter_no_change": 3, "tol": 0.5},
                 early_stopping=early_stopping).fit(X, y)
    assert capsys.readouterr().out == ""


class Recorder(Callback):
    """Keeps a copy of the logs of every epoch."""

    def __init__(self):
        self.logs = []

    def on_epoch_end(self, epoch, logs):
        self.logs.append(dict(logs))
        return False


def cross_entropy(proba, y):
    """Mean categorical cross-entropy of class-index labels ``y`` under ``proba`` (rows)."""
    return float(np.mean(-np.log(proba[np.arange(len(y)), y])))


def test_the_callbacks_read_the_validation_loss_and_score_in_the_logs(blobs):
    X, y = blobs
    recorder = Recorder()
    clf = NNClassifier(hidden_layer_sizes=(8,), max_epochs=3, n_iter_no_change=3, random_state=0,
                       callbacks=[recorder]).fit(X[:80], y[:80], validation_data=(X[80:], y[80:]))
    assert [sorted(logs) for logs in recorder.logs] == [
        ["learning_rate", "loss", "val_accuracy", "val_loss"]] * 3
    proba = clf.predict_proba(X[80:])  # the last epoch's weights
    last = recorder.logs[-1]
    assert last["val_loss"] == pytest.approx(cross_entropy(proba, y[80:]), rel=1e-9)
    assert last["val_accuracy"] == np.mean(np.argmax(proba, axis=1) == y[80:])
    assert [logs["val_loss"] for logs in recorder.logs] == clf.validation_loss_curve_
    assert [logs["val_accuracy"] for logs in recorder.logs] == clf.validation_scores_


def test_a_user_callback_can_stop_on_the_validation_loss(blobs):
    # scratchnn's EarlyStopping watching val_loss, which only the estimator's records provide.
    from scratchnn.callbacks import EarlyStopping

    X, y = blobs
    stopper = EarlyStopping("val_loss", patience=1, min_delta=10.0)  # never improves by 10
    clf = NNClassifier(hidden_layer_sizes=(8,), n_iter_no_change=50, random_state=0,
                       callbacks=[stopper]).fit(X[:80], y[:80], validation_data=(X[80:], y[80:]))
    assert clf.n_iter_ == 2 and stopper.stopped_epoch is not None


def test_a_float32_models_smoothed_validation_loss_is_its_training_loss_on_the_same_rows(blobs):
    # The validation loss is the training loop's loss, computed alike: the smoothed targets in
    # the model's float32, from the logits. A step too small to move any float32 weight keeps
    # the network as it was, so the epoch's training loss (one full batch, before the step) and
    # the validation loss on the same rows after it are the same computation on the same shapes.
    X, y = blobs
    X = X.astype(np.float32)
    clf = NNClassifier(hidden_layer_sizes=(8,), optimizer="gd", learning_rate=1e-30,
                       batch_size=len(y), max_epochs=2, label_smoothing=0.2, random_state=0)
    clf.fit(X, y, validation_data=(X, y))
    assert clf.network_.compute_dtype == np.float32
    assert clf.loss_curve_[0] == clf.loss_curve_[1]  # the step moved nothing
    assert clf.validation_loss_curve_ == clf.loss_curve_


# ---------------------------------------------------------------------------- hyperparameters
def test_the_defaults_are_mlp_classifiers():
    # The class docstring's promise: MLPClassifier's defaults, under scratchnn's names.
    from sklearn.neural_network import MLPClassifier

    ours, theirs = NNClassifier().get_params(), MLPClassifier().get_params()
    for name, their_name in [("hidden_layer_sizes", "hidden_layer_sizes"),
                             ("activation", "activation"), ("learning_rate", "learning_rate_init"),
                             ("batch_size", "batch_size"), ("max_epochs", "max_iter"),
                             ("early_stopping", "early_stopping"),
                             ("validation_fraction", "validation_fraction"),
                             ("n_iter_no_change", "n_iter_no_change"), ("tol", "tol"),
                             ("random_state", "random_state"), ("verbose", "verbose"),
                             ("warm_start", "warm_start")]:
        assert ours[name] == theirs[their_name], name
    assert ours["optimizer"] == theirs["solver"] == "adam"
    # Except l2 (MLPClassifier's alpha, 1e-4 there): documented as 0, as the other engine-only
    # settings are off by default.
    assert {name: ours[name] for name in ("l2", "dropout", "batch_norm", "class_weight",
                                          "lr_schedule", "clipnorm", "weight_decay",
                                          "label_smoothing", "callbacks")} == {
        "l2": 0.0, "dropout": 0.0, "batch_norm": False, "class_weight": None, "lr_schedule": None,
        "clipnorm": None, "weight_decay": None, "label_smoothing": 0.0, "callbacks": None}


def test_every_hyperparameter_is_stored_as_given():
    given = dict(hidden_layer_sizes=(3, 2), activation="tanh", optimizer="rmsprop",
                 learning_rate=0.02, batch_size=7, max_epochs=9, l2=0.5, dropout=0.1,
                 batch_norm=True, early_stopping=True, validation_fraction=0.3,
                 n_iter_no_change=4, tol=0.01, class_weight="balanced", random_state=5,
                 verbose=True, warm_start=True, lr_schedule="cosine", clipnorm=1.5,
                 weight_decay=0.2, label_smoothing=0.1, callbacks=[Recorder()], n_threads=2,
                 beta1=0.8, beta2=0.95, epsilon=1e-6, preset="tabular")
    assert NNClassifier(**given).get_params() == given


INTERVALS = [  # (name, interval as the class docstring states it, values inside, outside)
    ("learning_rate", "(0, inf)", [1e-12, 0.5], [0.0, -1.0]),
    ("l2", "[0, inf)", [0.0, 0.5], [-0.5]),
    ("tol", "[0, inf)", [0.0, 0.5], [-0.5]),
    ("clipnorm", "(0, inf)", [None, 1e-12, 0.5], [0.0, -1.0]),
    ("weight_decay", "[0, inf)", [None, 0.0, 0.5], [-0.5]),
    ("label_smoothing", "[0, 1)", [0.0, 0.5], [1.0, 1.5, -0.5]),
    ("dropout", "[0, 1)", [0.0, 0.5], [1.0, 1.5, -0.5]),
    ("validation_fraction", "(0, 1)", [1e-9, 0.5, 0.999], [0.0, 1.0, 1.5]),
]


@pytest.mark.parametrize("name, interval, inside, outside", INTERVALS)
def test_each_float_hyperparameter_takes_its_interval_and_names_itself_outside(
        name, interval, inside, outside):
    for value in inside:
        NNClassifier(**{name: value})._check_hyperparameters()
    for value in outside:
        with pytest.raises(ValueError, match=rf"^{name} must be in {re.escape(interval)}, "
                                             rf"got {value:g}$"):
            NNClassifier(**{name: value})._check_hyperparameters()


@pytest.mark.parametrize("name", ["batch_size", "max_epochs", "n_iter_no_change"])
def test_each_count_hyperparameter_takes_1_and_names_itself_below(name):
    NNClassifier(**{name: 1})._check_hyperparameters()
    with pytest.raises(ValueError, match=rf"^{name} must be >= 1, got 0$"):
        NNClassifier(**{name: 0})._check_hyperparameters()
    with pytest.raises(TypeError, match=rf"^{name} must be an integer, got 2.5$"):
        NNClassifier(**{name: 2.5})._check_hyperparameters()


@pytest.mark.parametrize("params, error, message", [
    ({"hidden_layer_sizes": 2.5}, TypeError,
     "hidden_layer_sizes must be an int or a sequence of ints, got 2.5"),
    ({"hidden_layer_sizes": (4, 0)}, ValueError, "hidden_layer_sizes[1] must be >= 1, got 0"),
    ({"hidden_layer_sizes": True}, TypeError,
     "hidden_layer_sizes must be an int or a sequence of ints, got True"),
    ({"activation": 3}, TypeError, "activation must be a string, got 3"),
    ({"batch_size": "big"}, ValueError, "batch_size must be an integer >= 1 or 'auto', got 'big'"),
    ({"batch_size": "AUTO"}, ValueError,
     "batch_size must be an integer >= 1 or 'auto', got 'AUTO'"),
    ({"hidden_layer_sizes": (3, 2), "dropout": [0.1]}, ValueError,
     "dropout must be a float or one rate per hidden layer (2), got [0.1]"),
    ({"hidden_layer_sizes": (3, 2), "dropout": None}, ValueError,
     "dropout must be a float or one rate per hidden layer (2), got None"),
    ({"hidden_layer_sizes": (3, 2), "dropout": [0.5, 1.0]}, ValueError,
     "dropout[1] must be in [0, 1), got 1"),
    ({"hidden_layer_sizes": (3, 2), "dropout": [-0.5, 0.0]}, ValueError,
     "dropout[0] must be in [0, 1), got -0.5"),
    ({"class_weight": "even"}, ValueError,
     "class_weight must be None, 'balanced' or a dict, got 'even'"),
    ({"class_weight": "BALANCED"}, ValueError,
     "class_weight must be None, 'balanced' or a dict, got 'BALANCED'"),
    ({"class_weight": 2.0}, ValueError,
     "class_weight must be None, 'balanced' or a dict, got 2.0"),
    ({"callbacks": [1]}, TypeError, "callbacks[0] must be a scratchnn.callbacks.Callback, got 1"),
    ({"n_threads": 0}, ValueError, "n_threads must be >= 1, got 0"),
])
def test_each_refused_hyperparameter_gets_its_whole_message(params, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        NNClassifier(**params)._check_hyperparameters()


@pytest.mark.parametrize("name", ["batch_norm", "early_stopping", "verbose", "warm_start"])
def test_each_switch_must_be_a_bool(name):
    NNClassifier(**{name: np.True_})._check_hyperparameters()
    with pytest.raises(TypeError, match=rf"^{name} must be True or False, got 1$"):
        NNClassifier(**{name: 1})._check_hyperparameters()


def test_the_names_refused_name_the_choices():
    from scratchnn.activations import ACTIVATIONS
    from scratchnn.optimizers import OPTIMIZERS

    with pytest.raises(ValueError, match="^" + re.escape(
            f"activation must be one of {sorted(ACTIVATIONS)} (or 'logistic', 'identity'), "
            f"got 'swish'") + "$"):
        NNClassifier(activation="swish")._check_hyperparameters()
    with pytest.raises(ValueError, match="^" + re.escape(
            f"optimizer must be one of {sorted(OPTIMIZERS)}, got 'sgd'") + "$"):
        NNClassifier(optimizer="sgd")._check_hyperparameters()
    with pytest.raises(ValueError, match="^" + re.escape(
            f"optimizer must be one of {sorted(OPTIMIZERS)}, got 3") + "$"):
        NNClassifier(optimizer=3)._check_hyperparameters()


def test_the_settings_training_reads():
    settings = NNClassifier(hidden_layer_sizes=1, activation="logistic", dropout=0.25,
                            lr_schedule="cosine", max_epochs=8)._check_hyperparameters()
    assert settings["sizes"] == [1] and settings["activation"] == "sigmoid"
    assert settings["keep_prob"] == [1.0, 0.75]
    # cosine over the 8 epochs: (1 + cos(pi e / 8)) / 2 of the base rate at epoch e
    assert settings["lr_schedule"](2, 1.0) == pytest.approx((1 + np.cos(np.pi / 4)) / 2)
    assert NNClassifier(activation="identity")._check_hyperparameters()["activation"] == "linear"
    assert NNClassifier(activation="tanh")._check_hyperparameters()["activation"] == "tanh"


# ---------------------------------------------------------------------------- targets and weights
@pytest.fixture(scope="module")
def small():
    X = np.random.default_rng(0).normal(size=(20, 3))
    return X, np.arange(20) % 2


def two_labels(n=20):
    return np.column_stack([np.arange(n) % 2, (np.arange(n) // 2) % 2])


def refused(message, call, *args, error=ValueError, **kwargs):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call(*args, **kwargs)


def test_each_refused_target_gets_its_whole_message(small):
    X, y = small
    quick = NNClassifier(hidden_layer_sizes=(2,), max_epochs=1)
    refused("y as a multilabel indicator matrix must hold only 0 and 1", quick.fit, X,
            two_labels() * 2)
    refused("y: NNClassifier supports binary, multiclass and multilabel-indicator targets, got "
            "'multiclass-multioutput'", quick.fit, X, np.column_stack([np.arange(20) % 3, y]))
    refused(f"NNClassifier needs at least 2 classes, got 1 class: {np.str_('a')!r}", quick.fit, X,
            np.array(["a"] * 20))
    refused("classes must be passed on the first call to partial_fit", quick.partial_fit, X, y)
    refused("classes must have one entry per column of a multilabel y (2), got 3",
            clone_of(quick).partial_fit, X, two_labels(), classes=[0, 1, 2])
    fitted = clone_of(quick).partial_fit(X, y, classes=[0, 1])
    refused("classes=[0, 1, 2] is not the same as on the first call to partial_fit: "
            "array([0, 1])", fitted.partial_fit, X, y, classes=[0, 1, 2])
    refused("y must be the same kind of target as in the first fit (binary over 2 classes)",
            fitted.partial_fit, X, two_labels())
    refused("y contains labels not in classes_ array([0, 1]): array([2, 3])",
            fitted.partial_fit, X, np.arange(20) % 4)
    multilabel = clone_of(quick).partial_fit(X, two_labels(), classes=[0, 1])
    refused("y must be the same kind of target as in the first fit (multilabel over 2 "
            "classes)", multilabel.partial_fit, X, np.column_stack([two_labels(), y]))
    refused("y must be the same kind of target as in the first fit (multilabel over 2 "
            "classes)", multilabel.partial_fit, X, y)


def clone_of(estimator):
    return NNClassifier(**estimator.get_params())


def test_the_target_decides_the_output_and_the_labels_come_back(small):
    X, y = small
    quick = dict(hidden_layer_sizes=(2,), max_epochs=1, random_state=0)
    binary = NNClassifier(**quick).fit(X, np.where(y == 1, "yes", "no"))
    assert binary.network_.n_outputs == 1 and binary.predict(X).dtype.kind == "U"
    assert binary.network_.activations[-1] == "sigmoid"
    three = NNClassifier(**quick).fit(X, np.arange(20) % 3)
    assert three.network_.n_outputs == 3 and three.network_.activations[-1] == "softmax"
    labels = NNClassifier(**quick).fit(X, sparse_indicator(two_labels()))
    assert labels.network_.n_outputs == 2 and labels.network_.activations[-1] == "sigmoid"
    assert labels.predict(X).shape == (20, 2)
    with pytest.warns(DataConversionWarning):  # as scikit-learn's estimators warn
        column = NNClassifier(**quick).fit(X, y.reshape(-1, 1).astype(float))
    assert column.network_.n_outputs == 1 and list(column.classes_) == [0.0, 1.0]
    # A later partial_fit of the same kind goes on; its labels are mapped to classes_.
    grown = NNClassifier(**quick).partial_fit(X, y, classes=[1, 0])
    assert list(grown.classes_) == [0, 1]
    grown.partial_fit(X, y, classes=[0, 1])
    assert grown.n_iter_ == 2


def sparse_indicator(Y):
    from scipy import sparse

    return sparse.csr_matrix(Y)


def test_each_refused_weighting_gets_its_whole_message(small):
    X, y = small
    refused("class_weight='balanced' is not supported by partial_fit: one chunk's class "
            "frequencies are not the whole data's. Compute the weights once with "
            "sklearn.utils.class_weight.compute_class_weight and pass a dict",
            NNClassifier(class_weight="balanced").partial_fit, X, y, classes=[0, 1])
    refused("sample_weight and class_weight leave only one class with non-zero weight; "
            "NNClassifier needs at least 2 classes", NNClassifier(max_epochs=1).fit, X, y,
            sample_weight=y.astype(float))
    refused("sample_weight and class_weight leave only one class with non-zero weight; "
            "NNClassifier needs at least 2 classes",
            NNClassifier(max_epochs=1, class_weight={0: 0.0, 1: 1.0}).fit, X, y)
    refused("partial_fit does not support early_stopping=True",
            NNClassifier(early_stopping=True).partial_fit, X, y, classes=[0, 1])


def test_the_held_out_split_needs_two_rows_and_one_of_each_class(small):
    X, y = small
    quick = dict(hidden_layer_sizes=(2,), max_epochs=2, early_stopping=True, random_state=0)
    # 10% of 20 rows is 2: enough for two classes, and for two labels (no class count there)
    assert len(NNClassifier(**quick).fit(X, y).validation_scores_) == 2
    assert len(NNClassifier(**quick).fit(X, two_labels()).validation_scores_) == 2
    refused("the validation set is too small (2 samples, fewer than 2 or than the classes): "
            "increase validation_fraction or the size of the data, or pass validation_data",
            NNClassifier(**quick).fit, X, np.arange(20) % 3)
    refused("the validation set is too small (1 samples, fewer than 2 or than the classes): "
            "increase validation_fraction or the size of the data, or pass validation_data",
            NNClassifier(**quick, validation_fraction=0.05).fit, X, two_labels())


def test_a_bad_random_state_gets_its_whole_message(small):
    X, y = small
    refused("random_state must be None, an int or a RandomState instance, got 'seven'",
            NNClassifier(random_state="seven").fit, X, y)


def test_scikit_learn_reads_sparse_input_and_multilabel_targets_from_the_tags():
    # What makes scikit-learn's estimator checks run the sparse and multilabel cases.
    from sklearn.utils import get_tags

    tags = get_tags(NNClassifier())
    assert tags.input_tags.sparse is True and tags.classifier_tags.multi_label is True
    assert tags.estimator_type == "classifier"


def test_auto_batches_are_200_rows_or_all_of_them():
    X, y = make_blobs(n_samples=250, centers=2, random_state=1)
    quick = dict(hidden_layer_sizes=(2,), max_epochs=1, random_state=0)
    auto = NNClassifier(**quick).fit(X, y)
    np.testing.assert_array_equal(auto.network_.theta,
                                  NNClassifier(**quick, batch_size=200).fit(X, y).network_.theta)
    assert auto.loss_curve_ != NNClassifier(**quick, batch_size=201).fit(X, y).loss_curve_


def test_the_weights_are_scaled_by_the_training_rows_alone(monkeypatch):
    # Mean 1 over the rows trained on (the class Notes): the held-out rows' weights change
    # their score, not the training.
    from sklearn.model_selection import train_test_split

    import scratchnn.sklearn._base as nn_sklearn  # where the estimators' training path splits

    splits = []

    def recording_split(*args, **kwargs):
        splits.append(train_test_split(*args, **kwargs))
        return splits[-1]

    monkeypatch.setattr(nn_sklearn, "train_test_split", recording_split)
    X, y = make_blobs(n_samples=60, centers=2, cluster_std=4.0, random_state=2)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, 60)
    quick = dict(hidden_layer_sizes=(3,), max_epochs=3, early_stopping=True,
                 validation_fraction=0.25, n_iter_no_change=5, random_state=0)
    first = NNClassifier(**quick).fit(X, y, sample_weight=weights)
    (train_index, val_index), = splits
    heavier = weights.copy()
    heavier[val_index] *= 5.0
    again = NNClassifier(**quick).fit(X, y, sample_weight=heavier)
    assert again.loss_curve_ == first.loss_curve_
    # and the same weights times a constant train the same: only their ratios count
    scaled = NNClassifier(**quick).fit(X, y, sample_weight=weights * 3.0)
    np.testing.assert_allclose(scaled.loss_curve_, first.loss_curve_, rtol=1e-12)


def test_sample_weights_train_alike_in_any_float_dtype_and_scale(small):
    X, y = small
    quick = dict(hidden_layer_sizes=(3,), max_epochs=2, random_state=0)
    weights = np.linspace(0.5, 2.0, 20, dtype=np.float32)
    as32 = NNClassifier(**quick).fit(X, y, sample_weight=weights)
    as64 = NNClassifier(**quick).fit(X, y, sample_weight=weights.astype(np.float64))
    assert as32.loss_curve_ == as64.loss_curve_
    # Weights summing to less than 1 per class are weights all the same (2**-6 each: exact).
    tiny = NNClassifier(**quick).fit(X, y, sample_weight=np.full(20, 2.0 ** -6))
    plain = NNClassifier(**quick).fit(X, y)
    np.testing.assert_allclose(tiny.loss_curve_, plain.loss_curve_, rtol=1e-12)


def test_partial_fit_takes_a_weighted_chunk_of_one_class(small):
    # One chunk of a stream may hold a single class: only fit needs two weighted classes.
    X, y = small
    clf = NNClassifier(hidden_layer_sizes=(3,), random_state=0)
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1], sample_weight=np.ones(10))
    clf.partial_fit(X[y == 1], y[y == 1], sample_weight=np.full(10, 2.0))
    assert clf.n_iter_ == 2 and list(clf.classes_) == [0, 1]


# ---------------------------------------------------------------------------- errors name X or y
def test_the_errors_of_the_data_name_x_or_y(small):
    import pandas as pd

    X, y = small
    quick = dict(hidden_layer_sizes=(2,), max_epochs=1)
    with_nan = X.copy()
    with_nan[0, 0] = np.nan
    refused("Input X contains NaN.", NNClassifier(**quick).fit, with_nan, y)
    with pytest.raises(ValueError, match="^X: Complex data not supported"):
        NNClassifier(**quick).fit(X.astype(complex), y)
    with pytest.raises(ValueError, match="^X: could not convert string to float"):
        NNClassifier(**quick).fit(np.full((20, 3), "a"), y)  # X's fault, though y is checked too
    refused("y: Found input variables with inconsistent numbers of samples: [20, 19]",
            NNClassifier(**quick).fit, X, y[:-1])
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    fitted = NNClassifier(**quick).fit(frame, y)
    with pytest.raises(ValueError, match="^X: The feature names should match those that were "
                                         "passed during fit"):
        fitted.predict(frame.rename(columns={"a": "z"}))
    with pytest.raises(ValueError, match="^X: Complex data not supported"):
        fitted.predict(X.astype(complex))


def test_a_float32_binary_fit_is_the_float32_engines_train_bit_for_bit(blobs):
    # The labels too are float32 in a float32 model, as train makes float labels. (train keeps
    # integer 0/1 labels as integers, so it is given them as float32 here.)
    from scratchnn import ClassifierNN
    from scratchnn.sklearn import init_like_mlp_classifier

    X, y = blobs
    X, y = X.astype(np.float32), (y == 1).astype(int)
    clf = NNClassifier(hidden_layer_sizes=(6,), batch_size=32, max_epochs=3, n_iter_no_change=99,
                       random_state=3, learning_rate=0.01).fit(X, y)
    seed = int(np.random.RandomState(3).randint(np.iinfo(np.int32).max))  # the estimator's
    engine = ClassifierNN([2, 6, 1], ["relu", "sigmoid"], seed=seed, dtype=np.float32)
    init_like_mlp_classifier(engine, "relu")
    _, costs = engine.train(X.T, y.reshape(1, -1).astype(np.float32), loss="BinaryCrossEntropy",
                            num_epochs=3,
                            learning_rate=0.01, batch_size=32, print_cost=False,
                            optimizer="adam")
    assert clf.network_.compute_dtype == engine.compute_dtype == np.float32
    assert clf.loss_curve_ == costs
    np.testing.assert_array_equal(clf.network_.theta, engine.theta)


def test_the_validation_records_belong_to_the_last_fit(small):
    X, y = small
    quick = dict(hidden_layer_sizes=(2,), max_epochs=2, n_iter_no_change=5, random_state=0)
    clf = NNClassifier(**quick, warm_start=True).fit(X, y, validation_data=(X, y))
    scores, losses = clf.validation_scores_, clf.validation_loss_curve_
    assert len(scores) == len(losses) == 2 and clf.best_validation_score_ == max(scores)
    clf.partial_fit(X, y)  # not a fit: the last fit's records stay
    assert clf.validation_scores_ == scores and clf.validation_loss_curve_ == losses
    clf.fit(X, y)  # a fit (warm) without a validation set has none
    assert clf.n_iter_ == 5
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.validation_loss_curve_ is None
    fresh = NNClassifier(**quick).fit(X, y)
    assert fresh.validation_scores_ is None and fresh.best_validation_score_ is None
    assert fresh.validation_loss_curve_ is None and fresh.n_iter_ == 2


def test_a_float32_weighted_fit_is_the_float32_engines_weighted_train_bit_for_bit(blobs):
    # The weights too are float32 in a float32 model (full batches: no mini-batch buffer casts
    # them). These average exactly 1, so the estimator's rescaling (mean 1 over the training
    # rows) leaves them as they are.
    from scratchnn import ClassifierNN
    from scratchnn.sklearn import init_like_mlp_classifier

    X, y = blobs
    X, y = X.astype(np.float32), (y == 1).astype(int)
    weights = np.where(np.arange(len(y)) % 2 == 0, 0.5, 1.5)
    assert np.mean(weights) == 1.0
    clf = NNClassifier(hidden_layer_sizes=(6,), batch_size=len(y), max_epochs=3,
                       n_iter_no_change=99,
                       random_state=3, learning_rate=0.01).fit(X, y, sample_weight=weights)
    seed = int(np.random.RandomState(3).randint(np.iinfo(np.int32).max))  # the estimator's
    engine = ClassifierNN([2, 6, 1], ["relu", "sigmoid"], seed=seed, dtype=np.float32)
    init_like_mlp_classifier(engine, "relu")
    _, costs = engine.train(X.T, y.reshape(1, -1).astype(np.float32), loss="BinaryCrossEntropy",
                            num_epochs=3, learning_rate=0.01, batch_size=len(y),
                            print_cost=False, optimizer="adam", sample_weight=weights)
    assert clf.loss_curve_ == costs
    np.testing.assert_array_equal(clf.network_.theta, engine.theta)


def test_the_network_records_its_glorot_initialization(small):
    # init_like_mlp_classifier draws Glorot (Xavier) uniform weights; the network says so.
    X, y = small
    clf = NNClassifier(hidden_layer_sizes=(2,), max_epochs=1).fit(X, y)
    assert clf.network_.initialization_method == "xavier"


# ---------------------------------------------------------------------------- the split, memmaps
def test_a_multilabel_held_out_split_needs_2_rows_whatever_the_labels(small):
    # Rows are not stratified by label columns, so 3 labels need no 3 held-out rows.
    X, _ = small
    three = np.column_stack([two_labels(), np.arange(20) % 3 == 0]).astype(int)
    clf = NNClassifier(hidden_layer_sizes=(2,), max_epochs=1, early_stopping=True,
                       random_state=0).fit(X, three)  # 10% of 20 rows: 2 held out
    assert len(clf.validation_scores_) == 1


def test_the_held_out_split_keeps_each_class_in_its_proportion(monkeypatch):
    # The class docstring: "a stratified validation_fraction of the training data".
    from sklearn.model_selection import train_test_split

    import scratchnn.sklearn._base as nn_sklearn

    held_out = []

    def recording_split(*args, **kwargs):
        held_out.append(train_test_split(*args, **kwargs)[1])
        return held_out[-1], held_out[-1]  # train on the held-out rows alone: quick

    monkeypatch.setattr(nn_sklearn, "train_test_split", recording_split)
    X = np.random.default_rng(0).normal(size=(100, 2))
    y = (np.arange(100) % 10 == 0).astype(int)  # 90 of class 0, 10 of class 1
    for seed in range(5):
        NNClassifier(hidden_layer_sizes=(2,), max_epochs=1, early_stopping=True,
                     random_state=seed).fit(X, y)
    assert [np.bincount(y[rows]).tolist() for rows in held_out] == [[9, 1]] * 5


def test_a_first_partial_fit_has_no_validation_records(small):
    X, y = small
    clf = NNClassifier(hidden_layer_sizes=(2,)).partial_fit(X, y, classes=[0, 1])
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.validation_loss_curve_ is None


def test_memmap_blocks_hold_whole_mini_batches_of_the_models_dtype(monkeypatch):
    import scratchnn.sklearn as nn_sklearn
    from scratchnn.sklearn._data import memmap_block_rows

    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 1600)
    assert memmap_block_rows(4, np.float32, 10) == 100  # 1600 bytes of 16-byte rows
    assert memmap_block_rows(4, np.float64, 10) == 50
    assert memmap_block_rows(4, np.float64, 15) == 45  # rounded down to whole mini-batches
    assert memmap_block_rows(1000, np.float64, 10) == 10  # never less than one mini-batch


def open_memmap(path, X):
    mapped = np.lib.format.open_memmap(path, mode="w+", dtype=X.dtype, shape=X.shape)
    mapped[:] = X
    mapped.flush()
    return np.load(path, mmap_mode="r")


def test_a_float32_memmap_in_one_float32_block_trains_exactly_like_the_array(tmp_path,
                                                                              monkeypatch):
    # 100 rows of 4 float32 features are 1,600 bytes: one block, read as the array is. (As
    # float64 rows they would be two blocks, shuffled: another training.)
    import scratchnn.sklearn as nn_sklearn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 1600)
    # One BLAS thread: float32 products may round differently at other thread counts.
    params = dict(hidden_layer_sizes=(3,), batch_size=10, max_epochs=3, n_iter_no_change=99,
                  random_state=0, n_threads=1)
    mapped = NNClassifier(**params).fit(open_memmap(tmp_path / "X.npy", X), y)
    in_memory = NNClassifier(**params).fit(X, y)
    assert mapped.network_.compute_dtype == np.float32
    assert mapped.loss_curve_ == in_memory.loss_curve_


@pytest.mark.parametrize("params", [
    {"preset": "mlp"},
    # with rows held out, the blocks hold different numbers of rows, and each block ends on a
    # mini-batch of its own size: the loop keeps work arrays for two batch sizes, not each
    {"preset": "auto"},  # 10% of these 10,000 rows held out
    {"preset": "mlp", "early_stopping": True},
    # half the rows held out: they too are read block by block, not gathered into one array
    {"preset": "mlp", "early_stopping": True, "validation_fraction": 0.5},
    {"preset": "tabular", "validation_fraction": 0.5},
])
def test_a_memmap_of_bytes_is_streamed_not_converted_whole(tmp_path, monkeypatch, params):
    # A uint8 memmap (pixels, bits) is validated where it lies; only its blocks become float64.
    import tracemalloc

    import scratchnn.sklearn as nn_sklearn

    rng = np.random.default_rng(0)
    X = open_memmap(tmp_path / "X.npy", rng.integers(0, 2, (10_000, 50), dtype=np.uint8))
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 2**16)  # blocks of 200 rows
    clf = NNClassifier(hidden_layer_sizes=(2,), max_epochs=1, random_state=0, **params)
    clf.fit(X, X[:, 0])  # once before measuring: the modules that scoring imports, imported
    tracemalloc.start()
    try:
        clf.fit(X, X[:, 0])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert clf.network_.compute_dtype == np.float64
    assert peak < X.nbytes * 8 / 4, f"peak {peak / 2**20:.1f} MiB: X converted whole?"


def test_a_memmap_of_text_is_refused_by_its_dtype(tmp_path):
    X = open_memmap(tmp_path / "X.npy", np.full((20, 3), "ab"))
    refused("X must hold real numbers, got dtype <U2", NNClassifier(max_epochs=1).fit, X,
            np.arange(20) % 2, error=TypeError)


def test_auto_batches_count_the_training_rows_alone(tmp_path, monkeypatch):
    # With early stopping, 'auto' is min(200, the training rows): 189 of 210 here. A memmap's
    # blocks are whole mini-batches of X's rows, so a batch of 200 would cut other blocks.
    import scratchnn.sklearn as nn_sklearn

    rng = np.random.default_rng(0)
    X = open_memmap(tmp_path / "X.npy", rng.normal(size=(210, 2)))
    y = (X[:, 0] > 0).astype(int)
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 16 * 250)  # one batch per block
    params = dict(hidden_layer_sizes=(2,), max_epochs=2, early_stopping=True,
                  n_iter_no_change=99, random_state=0)
    auto = NNClassifier(**params).fit(X, y)
    assert auto.loss_curve_ == NNClassifier(**params, batch_size=189).fit(X, y).loss_curve_
    assert auto.loss_curve_ != NNClassifier(**params, batch_size=200).fit(X, y).loss_curve_


def test_the_network_is_built_from_the_hyperparameters(blobs):
    # batch_norm, and MLPClassifier's smaller range for sigmoid layers:
    # U(-sqrt(2 / (fan_in + fan_out)), +...) instead of sqrt(6 / ...).
    class FirstWeights(Callback):
        def on_train_begin(self, model):
            self.W1 = model.parameters["W1"].copy()

    X, y = blobs
    first = FirstWeights()
    clf = NNClassifier(hidden_layer_sizes=(50,), activation="logistic", batch_norm=True,
                       max_epochs=1, random_state=0, callbacks=[first]).fit(X, y)
    assert clf.network_.batch_norm is True and "gamma1" in clf.network_.parameters
    limit = np.sqrt(2.0 / (X.shape[1] + 50))
    assert 0.9 * limit < np.abs(first.W1).max() <= limit
    assert NNClassifier(max_epochs=1).fit(X, y).network_.batch_norm is False


def test_n_threads_reaches_the_training_loop(blobs):
    # The BLAS thread count seen from inside the loop (a callback, at each step) is n_threads,
    # here above the caller's limit of 1, which an automatic count never exceeds.
    from threadpoolctl import ThreadpoolController, threadpool_limits

    blas = ThreadpoolController().select(user_api="blas")

    class Counts(Callback):
        def __init__(self):
            self.counts = set()

        def on_batch_end(self, step):
            self.counts.add(max(info["num_threads"] for info in blas.info()))

    X, y = blobs
    if not blas.info():  # pragma: no cover - a NumPy whose BLAS threadpoolctl cannot see
        pytest.skip("threadpoolctl sees no BLAS")
    with threadpool_limits(1, user_api="blas"):
        for n_threads, expected in [(3, {3}), (None, {1})]:
            counts = Counts()
            NNClassifier(hidden_layer_sizes=(4,), max_epochs=2, batch_size=40, random_state=0,
                         n_threads=n_threads, callbacks=[counts]).fit(X, y)
            assert counts.counts == expected


def test_a_callback_monitoring_r2_is_refused_before_training_by_the_classification_task(blobs):
    from scratchnn.callbacks import EarlyStopping

    X, y = blobs
    stopper = EarlyStopping("val_r2")
    refused("EarlyStopping monitors 'val_r2', which a classification model does not report: "
            "monitor 'loss', 'val_loss' or 'val_accuracy'",
            NNClassifier(max_epochs=1, callbacks=[stopper]).fit, X, y,
            validation_data=(X[:20], y[:20]))
    assert not hasattr(stopper, "model")  # no training began


def test_predictions_of_a_sparse_x_of_two_chunks_are_all_its_rows(blobs, monkeypatch):
    from scipy import sparse

    from scratchnn import training

    X, y = blobs
    clf = NNClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0).fit(X, y)
    dense = clf.predict_proba(X)
    monkeypatch.setattr(training, "EVALUATION_CHUNK", 70)  # 120 rows: chunks of 70 and 50
    np.testing.assert_allclose(clf.predict_proba(sparse.csr_matrix(X)), dense, rtol=1e-10)


def test_rows_serves_c_ordered_blocks_of_the_models_dtype_and_keeps_a_sparse_x_as_it_is(
        tmp_path, monkeypatch):
    # The training loop takes mini-batches of rows: Rows serves C-ordered rows (an F-ordered X
    # in memory or in a memmap is rearranged), and a CSR X already of the model's dtype is
    # served itself, not copied.
    from scipy import sparse

    import scratchnn.sklearn as nn_sklearn
    from scratchnn import ClassifierNN
    from scratchnn.losses import BinaryCrossEntropy
    from scratchnn.sklearn._data import Rows, memmap_block_rows

    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.normal(size=(40, 3)))
    Y = (X[:, :1].T > 0).astype(np.float64)
    network = ClassifierNN([3, 2, 1], ["relu", "sigmoid"], seed=0)
    for index in (None, np.arange(0, 40, 3)):
        block, = Rows(X, Y, None, index, network, BinaryCrossEntropy).blocks()
        assert block.X.flags.c_contiguous and block.X.dtype == np.float64
        np.testing.assert_array_equal(block.X, X if index is None else X[index])
    X_csr = sparse.csr_matrix(np.ascontiguousarray(X))
    block, = Rows(X_csr, Y, None, None, network, BinaryCrossEntropy).blocks()
    assert block.X is X_csr
    np.save(tmp_path / "X.npy", X)  # np.save keeps Fortran order
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert mapped.flags.f_contiguous and not mapped.flags.c_contiguous
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 240)
    block_rows = memmap_block_rows(3, np.float64, 5)
    assert block_rows == 10  # 240 bytes of 24-byte rows
    for index in (None, np.arange(0, 40, 3)):
        rows = Rows(mapped, Y, None, index, network, BinaryCrossEntropy, block_rows)
        blocks = list(rows.blocks())
        assert len(blocks) == 4
        assert all(b.X.flags.c_contiguous and b.X.dtype == np.float64 for b in blocks)
        np.testing.assert_array_equal(np.concatenate([b.X for b in blocks]),
                                      X if index is None else X[index])


def test_the_memmap_block_size_cuts_only_a_memory_mapped_x(blobs, monkeypatch):
    # An array or a sparse matrix in memory is one block, however small MEMMAP_BLOCK_BYTES is
    # (160 bytes: blocks of one mini-batch of these 2-feature rows, were X cut in blocks).
    from scipy import sparse

    import scratchnn.sklearn as nn_sklearn

    X, y = blobs
    params = dict(hidden_layer_sizes=(4,), max_epochs=2, batch_size=10, random_state=0)
    reference = NNClassifier(**params).fit(X, y).loss_curve_
    sparse_reference = NNClassifier(**params).fit(sparse.csr_matrix(X), y).loss_curve_
    monkeypatch.setattr(nn_sklearn, "MEMMAP_BLOCK_BYTES", 160)
    assert NNClassifier(**params).fit(X, y).loss_curve_ == reference
    assert NNClassifier(**params).fit(sparse.csr_matrix(X), y).loss_curve_ == sparse_reference
