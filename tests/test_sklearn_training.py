"""NNClassifier's training path: the stopping callback, the per-epoch logs and the validation loss.

Written for the mutants of ``scratchnn/sklearn.py`` that ``make mutate`` found surviving the rest
of the suite (see "Mutation testing" in docs/development.md): the weights kept when training
stops (the last epoch's on the training loss, the best epoch's with early stopping), the verbose
stopping message, the ``val_loss`` and
``val_accuracy`` entries of the logs that the callbacks read, and the precision of a float32
model's label-smoothed validation loss. Small data, a few epochs: fast enough to run against
every mutant.
"""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import make_blobs  # noqa: E402
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
