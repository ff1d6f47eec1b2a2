"""Property-based input validation of RegressorNN, as tests/test_properties.py does for the
classifier: each call gives a finite result of the right shape or raises ``ValueError`` /
``TypeError`` naming an argument that was bad (a ``RuntimeWarning`` is an error in this suite)."""

import functools

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from scratchnn import RegressorNN
from scratchnn.losses import Huber
from scratchnn.optimizers import OPTIMIZERS
from test_properties import NASTY, SETTINGS, any_array, assert_names, mostly, valid_X

# A generated run may end with vanishing gradients; the warning saying so is not what is checked.
pytestmark = pytest.mark.filterwarnings("ignore::scratchnn.diagnostics.TrainingProblemWarning")

NETWORKS = [([3, 4, 1], ["relu", "linear"], False), ([3, 5, 4, 2], ["tanh", "sigmoid", "linear"],
                                                      True)]


def network(index):
    dims, acts, bn = NETWORKS[index]
    return RegressorNN(dims, acts, batch_norm=bn, seed=index)


@functools.cache  # made once, not afresh for every example (see test_properties.any_array)
def targets_for(n_outputs):
    """Mostly well-formed (X, Y), sometimes broken: Y any array, X any array."""
    def build(m, seed, scale):
        rng = np.random.default_rng(seed)
        return rng.standard_normal((3, m)), rng.standard_normal((n_outputs, m)) * scale

    good = st.builds(build, st.integers(1, 6), st.integers(0, 2 ** 32 - 1),
                     st.sampled_from([1.0, 1e-3, 1e3]))
    broken = st.one_of(st.tuples(good.map(lambda d: d[0]), any_array()),
                       st.tuples(any_array(), good.map(lambda d: d[1])))
    return mostly(good, broken, one_in=3)


@SETTINGS
@given(index=st.integers(0, len(NETWORKS) - 1), data=st.data(),
       loss=mostly(st.sampled_from(["MeanSquaredError", "Huber", Huber(0.3)]),
                   st.one_of(st.just("BinaryCrossEntropy"), NASTY)),
       num_epochs=mostly(st.integers(1, 3), st.one_of(st.integers(-1, 0), NASTY)),
       learning_rate=mostly(st.sampled_from([0.1, 0.01]), NASTY),
       batch_size=mostly(st.one_of(st.none(), st.integers(2, 8)), NASTY),
       lambd=mostly(st.sampled_from([0, 0.1]), NASTY),
       optimizer=mostly(st.sampled_from(sorted(OPTIMIZERS)), NASTY),
       label_smoothing=mostly(st.just(0.0), st.one_of(st.floats(0.0, 0.9), NASTY)))
def test_train(index, data, loss, num_epochs, learning_rate, batch_size, lambd, optimizer,
               label_smoothing):
    nn = network(index)
    X, Y = data.draw(targets_for(nn.n_outputs))
    try:
        _, costs = nn.train(X, Y, loss=loss, num_epochs=num_epochs, learning_rate=learning_rate,
                            batch_size=batch_size, lambd=lambd, optimizer=optimizer,
                            label_smoothing=label_smoothing, print_cost=False)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X", "Y", "loss", "num_epochs", "learning_rate", "batch_size",
                           "lambd", "optimizer", "label_smoothing", "scale", "batch_norm"])
        assert np.all(np.isfinite(nn.theta))
        return
    except FloatingPointError:  # DivergenceError: a rate too high for targets of 1e3
        assert np.all(np.isfinite(nn.theta))
        return
    event("trained")
    assert len(costs) == num_epochs and np.all(np.isfinite(costs))


@SETTINGS
@given(index=st.integers(0, len(NETWORKS) - 1), X=mostly(valid_X(3), any_array(), one_in=3),
       data=st.data())
def test_predict_and_score(index, X, data):
    nn = network(index)
    try:
        P = nn.predict(X)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X"])
        return
    assert P.shape == (nn.n_outputs, X.shape[1]) and np.all(np.isfinite(P))
    Y = data.draw(mostly(st.just(P + 1.0), any_array(), one_in=3))
    try:
        score = nn.score(X, Y)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X", "Y"])
        return
    event("scored")
    assert isinstance(score, float) and score <= 1.0 and np.isfinite(score)


def test_predicting_what_it_was_given_scores_one():
    nn = network(0)
    X = np.random.default_rng(0).standard_normal((3, 6))
    assert nn.score(X, nn.predict(X)) == pytest.approx(1.0)
