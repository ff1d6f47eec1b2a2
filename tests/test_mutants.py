"""Tests written to kill the bugs a mutation audit planted and the rest of the suite let through.

Each test below fails on one planted bug and passes on the right code (``tools/mutate.py``
plants them again on demand, see "Running the tests" in the README):

- dropout without its ``1/keep_prob`` scaling;
- the command line standardizing with the validation rows' statistics, or with all rows';
- Ctrl-C not deferred during an optimizer step, and a second Ctrl-C deferred too;
- mini-batch sample weights not gathered with their examples;
- softmax without its max shift, which only shows as overflow inside training;

and, further down, the survivors of the first full run of ``tools/mutate.py``: a linear layer's
backward writing ``A`` into ``out``, batch norm's epsilon, Glorot's biases left at zero, a gradient
check that ignores ``keep_prob``, and mini-batches that are never reshuffled.

They go through public names only (the command line through ``main`` and its model file; the
Ctrl-C and reshuffling tests wrap ``model.optimizer.step`` of a model that ``train(...,
resume=True)`` then continues), so they survive a rewrite of the code they guard.
"""

import signal

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.activations import ACTIVATIONS
from scratchnn.layers import dropout_mask
from scratchnn.training import DivergenceError


def small_problem(seed=0, m=40):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, m))
    y = (X[0] + X[1] * X[2] > 0).astype(int).reshape(1, -1)
    return X, y


# --------------------------------------------------------------------------- dropout


@pytest.mark.parametrize("keep_prob", [0.5, 0.8])
def test_dropout_mask_keeps_units_scaled_by_the_inverse_keep_prob(keep_prob):
    D = dropout_mask((200, 500), keep_prob, np.random.default_rng(0), np.float64)
    assert set(np.unique(D).tolist()) == {0.0, 1.0 / keep_prob}
    assert np.mean(D > 0) == pytest.approx(keep_prob, abs=0.01)
    assert D.mean() == pytest.approx(1.0, abs=0.01)  # E[D] = 1: activations keep their mean


def test_forward_pass_under_dropout_is_the_masked_and_rescaled_activation():
    X, _ = small_problem(m=400)
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], seed=0)
    A, caches = nn.forward_propagation(X, keep_prob=[1.0, 0.5], training=True)
    hidden = caches.layers[1].A  # before dropout
    kept = caches.layers[1].D != 0
    assert 0.4 < kept.mean() < 0.6
    dropped = hidden * kept / 0.5  # inverted dropout, computed here independently
    np.testing.assert_allclose(caches.layers[2].A_prev, dropped, rtol=1e-15)
    W2, b2 = nn.parameters["W2"], nn.parameters["b2"]
    np.testing.assert_allclose(A, 1 / (1 + np.exp(-(W2 @ dropped + b2))), rtol=1e-12)
    # and on average over the examples the hidden layer keeps its size
    assert dropped.sum() == pytest.approx(hidden.sum(), rel=0.1)


# --------------------------------------------------------------------------- command line


def test_command_line_standardizes_with_the_training_rows_statistics(tmp_path):
    """Feature ``p`` of row ``i`` is ``2**i``, so the stored mean of ``p`` times the number of
    training rows is an integer whose bits name the training rows, whatever way the split is
    drawn. Every stored statistic must then be exactly that of those rows; the validation rows
    are far from them (feature ``shift`` is offset by 1000 on them)."""
    from scratchnn import io as model_io
    from scratchnn.cli import main

    m = 40
    rng = np.random.default_rng(3)
    p = 2.0 ** np.arange(m)
    noise = rng.standard_normal(m)
    label = np.where(rng.random(m) < 0.5, "yes", "no")
    label[:2] = ["yes", "no"]
    rows = [f"{int(p_i)},{float(n_i)!r},{float(n_i)!r},{l_i}" for p_i, n_i, l_i in zip(p, noise, label)]
    data = tmp_path / "rows.csv"
    data.write_text("p,noise,shift,label\n" + "\n".join(rows) + "\n")
    out = tmp_path / "model.npz"
    assert main(["train", str(data), "--target", "label", "--out", str(out), "--epochs", "1",
                 "--hidden", "3", "--val-split", "0.25", "--seed", "5", "--quiet"]) == 0
    _, metadata = model_io.load_with_metadata(out)
    mean, scale = metadata["feature_mean"], metadata["feature_scale"]

    # Which rows were used? Only one count n makes mean * n the sum of n distinct powers of two.
    candidates = []
    for n in range(1, m):
        total = round(float(mean[0]) * n)
        bits = [i for i in range(m) if total >> i & 1]
        if total < 2 ** m and len(bits) == n and abs(float(mean[0]) * n - total) < 1e-3:
            candidates.append(bits)
    assert len(candidates) == 1, "the stored mean of p is no mean of distinct rows"
    train = np.array(candidates[0])
    val = np.setdiff1d(np.arange(m), train)
    assert len(train) == 30 and len(val) == 10

    # Now make the validation rows very different and train again on the same split.
    shifted = [f"{int(p_i)},{float(n_i)!r},{float(n_i) + (1000.0 if i in val else 0.0)!r},{l_i}"
               for i, (p_i, n_i, l_i) in enumerate(zip(p, noise, label))]
    data.write_text("p,noise,shift,label\n" + "\n".join(shifted) + "\n")
    assert main(["train", str(data), "--target", "label", "--out", str(out), "--epochs", "1",
                 "--hidden", "3", "--val-split", "0.25", "--seed", "5", "--quiet"]) == 0
    _, metadata = model_io.load_with_metadata(out)
    mean, scale = metadata["feature_mean"], metadata["feature_scale"]
    X = np.column_stack([p, noise, noise])
    np.testing.assert_allclose(mean, X[train].mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(scale, X[train].std(axis=0), rtol=1e-12)
    # the statistics of all rows are far away: a mix-up cannot pass the check above
    X_shifted = X.copy()
    X_shifted[val, 2] += 1000.0
    assert abs(X_shifted[:, 2].mean() - mean[2]) > 100
    assert abs(X_shifted[val, 2].mean() - mean[2]) > 900


# --------------------------------------------------------------------------- Ctrl-C


def adam_model_with_steps(X, y, on_step):
    """A model trained one epoch with Adam, whose optimizer then calls ``on_step(t)`` at the
    start of every step (``t`` counts the step being taken) before doing the update."""
    nn = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=4)
    nn.train(X, y, num_epochs=1, batch_size=8, optimizer="adam", print_cost=False)
    optimizer = nn.optimizer
    update = optimizer.step

    def step(theta, grad):
        on_step(optimizer.t + 1)
        return update(theta, grad)

    optimizer.step = step  # kept by train(resume=True), which continues this optimizer
    return nn


def reference_steps(X, y):
    """``theta`` after each step of 3 resumed epochs of 5 steps (steps 6..20), uninterrupted."""
    thetas = {}
    nn = adam_model_with_steps(X, y, lambda t: None)
    original = nn.optimizer.step

    def recording(theta, grad):
        result = original(theta, grad)
        thetas[nn.optimizer.t] = theta.copy()
        return result

    nn.optimizer.step = recording
    _, costs = nn.train(X, y, num_epochs=3, batch_size=8, optimizer="adam", print_cost=False,
                        resume=True)
    return thetas, costs


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_during_an_optimizer_step(presses, default_ctrl_c):
    """One Ctrl-C inside step 13 lets that step finish, then stops; a second one in the same
    step stops at once, before the update."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    X, y = small_problem(m=40)  # 5 steps per epoch: step 13 is in the second resumed epoch
    thetas, costs = reference_steps(X, y)

    def press(t):
        if t == 13:
            for _ in range(presses):
                signal.raise_signal(signal.SIGINT)

    nn = adam_model_with_steps(X, y, press)
    with pytest.warns(UserWarning, match="interrupted after 1 complete epoch"):
        with pytest.raises(KeyboardInterrupt):
            nn.train(X, y, num_epochs=3, batch_size=8, optimizer="adam", print_cost=False,
                     resume=True)
    completed = 13 if presses == 1 else 12
    assert nn.optimizer.t == completed
    np.testing.assert_array_equal(nn.theta, thetas[completed])
    assert nn.costs == costs[:1]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    assert np.all(np.isfinite(nn.predict_proba(X)))


# --------------------------------------------------------------------------- sample weights


def test_mini_batch_weights_travel_with_their_examples():
    """Half the examples weigh 0: flipping their labels changes nothing, bit for bit, with
    shuffled mini-batches (so the weights are gathered with the examples at every step)."""
    X, y = small_problem(m=40)
    zero = np.random.default_rng(5).permutation(40)[:20]
    weights = np.ones(40)
    weights[zero] = 0.0
    flipped = y.copy()
    flipped[0, zero] = 1 - flipped[0, zero]

    def train(labels, sample_weight):
        nn = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=6)
        _, costs = nn.train(X, labels, num_epochs=4, batch_size=8, optimizer="adam",
                            learning_rate=0.05, print_cost=False, sample_weight=sample_weight)
        return nn.theta.copy(), costs

    theta, costs = train(y, weights)
    theta_flipped, costs_flipped = train(flipped, weights)
    np.testing.assert_array_equal(theta_flipped, theta)
    assert costs_flipped == costs
    # The flipped labels do matter as soon as they weigh something: the test has teeth.
    theta_unweighted, _ = train(y, None)
    theta_flipped_unweighted, _ = train(flipped, None)
    assert not np.allclose(theta_flipped_unweighted, theta_unweighted)


# --------------------------------------------------------------------------- overflow


def test_large_logits_train_without_divergence_and_predict_finite_probabilities():
    """Logits of about ±1000: a softmax without its max shift overflows (inf/inf = NaN), which
    training reports as divergence. The right softmax trains and predicts normally."""
    rng = np.random.default_rng(8)
    X = rng.standard_normal((2, 60))
    y = (X[0] > 0).astype(int).reshape(1, -1)
    nn = ClassifierNN([2, 4, 3], ["relu", "softmax"], seed=8)
    W1, b1, W2 = nn.parameters["W1"], nn.parameters["b1"], nn.parameters["W2"]
    W2 *= 1000.0 / np.abs(W2).max()
    Z = W2 @ np.maximum(W1 @ X + b1, 0.0) + nn.parameters["b2"]
    assert np.abs(Z).max() > 710  # beyond exp's float64 range
    # Training first: NumPy's warnings are silenced there, only the divergence check can see it.
    _, costs = nn.train(X, y, loss="SparseCategoricalCrossEntropy", num_epochs=3,
                        batch_size=20, learning_rate=1e-3, optimizer="adam", print_cost=False)
    assert all(np.isfinite(costs))
    assert np.all(np.isfinite(nn.theta))
    A = nn.predict_proba(X)
    assert np.all(np.isfinite(A)) and np.allclose(A.sum(axis=0), 1.0)
    with pytest.raises(DivergenceError):  # while a real overflow is still reported
        nn.train(X, y, loss="SparseCategoricalCrossEntropy", num_epochs=2, learning_rate=1e300,
                 optimizer="gd", print_cost=False)


# --------------------------------------------------------------------------- found by tools/mutate.py


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activations_write_the_same_result_into_out(name):
    """The training loop passes ``out`` arrays; the gradient check does not. Both paths must
    compute the same thing (a linear layer's backward once copied ``A`` into ``out``)."""
    activation = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    Z, dA = rng.standard_normal((4, 7)), rng.standard_normal((4, 7))
    A = activation.forward(Z)
    out = np.full_like(Z, np.nan)
    assert activation.forward(Z, out=out) is out
    np.testing.assert_array_equal(out, A)
    out = np.full_like(Z, np.nan)
    assert activation.backward(dA, A, out=out) is out
    np.testing.assert_array_equal(out, activation.backward(dA, A))


def test_linear_hidden_layer_trains_like_its_gradient_says():
    """One full-batch gradient-descent step of a network with a linear hidden layer moves
    ``theta`` by exactly ``-learning_rate`` times the gradient of ``cost_and_gradient``."""
    X, y = small_problem(m=20)
    nn = ClassifierNN([3, 4, 1], ["linear", "sigmoid"], seed=0)
    theta = nn.theta.copy()
    _, grad = nn.cost_and_gradient(theta, X, y)
    nn.train(X, y, num_epochs=1, batch_size=None, learning_rate=0.1, print_cost=False)
    np.testing.assert_allclose(nn.theta, theta - 0.1 * grad, rtol=1e-12, atol=1e-15)


def test_batch_norm_divides_by_the_root_of_the_variance_plus_1e_5():
    """Rows of small variance (1e-4) show the epsilon of the README: (Z - mu)/sqrt(var + 1e-5)."""
    from scratchnn.layers import batchnorm_forward

    Z = np.random.default_rng(2).standard_normal((3, 50)) * 0.01 + 5.0
    gamma, beta = np.full((3, 1), 2.0), np.full((3, 1), -1.0)
    Z_tilde, _ = batchnorm_forward(Z.copy(), gamma, beta, np.zeros((3, 1)), np.ones((3, 1)),
                                   training=True)
    mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    np.testing.assert_allclose(Z_tilde, 2.0 * (Z - mu) / np.sqrt(var + 1e-5) - 1.0, rtol=1e-10)


@pytest.mark.parametrize("factor", [6.0, 2.0])
def test_glorot_uniform_draws_weights_and_biases_within_its_bound(factor):
    from scratchnn.initializers import glorot_uniform

    W, b = np.zeros((300, 200)), np.zeros((300, 1))
    glorot_uniform(W, np.random.default_rng(0), b, factor=factor)
    bound = np.sqrt(factor / 500)
    for values in (W, b):
        assert np.abs(values).max() <= bound
        assert values.std() == pytest.approx(bound / np.sqrt(3), rel=0.15)  # uniform's std


def test_gradient_check_with_dropout_sees_a_backward_pass_that_forgets_the_mask(monkeypatch):
    """With ``keep_prob`` the check must run the dropout it was asked for: a backward pass
    that skips the mask (forward still applies it) is then off by far more than 1e-7."""
    import scratchnn.layers

    X, y = small_problem(m=6)
    nn = ClassifierNN([3, 5, 1], ["tanh", "sigmoid"], seed=0)
    assert nn.gradient_check(X, y, keep_prob=[1.0, 0.5]) < 1e-7
    apply = scratchnn.layers.dropout_apply
    # backward applies the mask in place (out is its input); forward writes elsewhere
    monkeypatch.setattr(scratchnn.layers, "dropout_apply",
                        lambda A, D, out=None: A if out is A else apply(A, D, out=out))
    assert nn.gradient_check(X, y) < 1e-7  # no dropout: nothing to forget
    assert nn.gradient_check(X, y, keep_prob=[1.0, 0.5]) > 1e-3


def test_every_epoch_reshuffles_the_mini_batches():
    """One-hot examples make each step's gradient show which examples its batch held (only
    their weights get one): every epoch covers each example once, in a new random order."""
    m = 24
    X, y = np.eye(m), (np.arange(m) % 2).reshape(1, -1)
    nn = ClassifierNN([m, 1], ["sigmoid"], seed=0)
    nn.train(X, y, num_epochs=1, batch_size=8, optimizer="gd", print_cost=False)
    batches = []
    update = nn.optimizer.step

    def step(theta, grad):
        batches.append(frozenset(np.flatnonzero(grad[:m])))  # dW1 comes first in the buffer
        return update(theta, grad)

    nn.optimizer.step = step  # kept by train(resume=True)
    nn.train(X, y, num_epochs=4, batch_size=8, optimizer="gd", print_cost=False, resume=True)
    epochs = [batches[i:i + 3] for i in range(0, 12, 3)]
    assert len(batches) == 12
    for epoch in epochs:
        assert [len(b) for b in epoch] == [8, 8, 8]
        assert frozenset().union(*epoch) == frozenset(range(m))
    assert len({frozenset(epoch) for epoch in epochs}) == 4  # a new split every epoch
    assert frozenset(range(8)) not in batches  # not the data's own order
