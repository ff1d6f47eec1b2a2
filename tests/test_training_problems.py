"""The check at the end of every training run: a mostly dead hidden layer or vanishing gradients
give a TrainingProblemWarning naming the layer and the numbers; a healthy run gives none, and the
check changes nothing the run computed."""

import warnings

import numpy as np
import pytest

from scratchnn import ClassifierNN, training
from scratchnn.callbacks import Diagnostics
from scratchnn.datasets import make_moons
from scratchnn.diagnostics import (
    ADVICE,
    MIN_SAMPLE_ROWS,
    SAMPLE_ROWS,
    TrainingProblemWarning,
    end_of_training_problems,
)


def moons(m=200):
    X, y = make_moons(n_samples=m, noise=0.1, seed=0)
    return X.T, y.reshape(1, -1)


def dead_network():
    """Layer 1's relu units all start far below zero on every example (the inputs lie in
    [-1.5, 2.5]), and a tiny learning rate cannot lift them in one epoch."""
    nn = ClassifierNN([2, 8, 8, 1], ["relu", "relu", "sigmoid"], seed=0)
    nn.parameters["b1"][...] = -50.0
    return nn


def problem_messages(nn, X, Y, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.train(X, Y, print_cost=False, **kwargs)
    return [str(w.message) for w in caught if w.category is TrainingProblemWarning]


def test_a_dead_layer_is_named_with_its_numbers_and_the_remedies():
    X, Y = moons()
    messages = problem_messages(dead_network(), X, Y, num_epochs=1, learning_rate=1e-6)
    dead = [m for m in messages if m.startswith("layer 1 (relu)")]
    assert len(dead) == 1
    assert "8 of 8 units ended the training dead" in dead[0]
    assert "first 200 training examples" in dead[0]
    for remedy in ("leaky_relu", "lower learning rate", "batch_norm=True", "another seed"):
        assert remedy in dead[0]
    # He initialization is advised only to a model that does not have it.
    assert "initialization" not in dead[0]
    nn = ClassifierNN([2, 8, 8, 1], ["relu", "relu", "sigmoid"], "random", seed=0)
    nn.parameters["b1"][...] = -50.0
    (other,) = [m for m in problem_messages(nn, X, Y, num_epochs=1, learning_rate=1e-6)
                if m.startswith("layer 1 (relu)")]
    assert other.endswith("He initialization (initialization_method='he'), batch_norm=True, or "
                          "another seed")


def test_the_advice_names_the_options_of_the_interface_in_use(tmp_path):
    """The command line's warning names its options, the estimator's its parameters: never
    initialization_method, which neither accepts."""
    from cli_run import run
    from scratchnn.sklearn import NNClassifier

    X, Y = moons()
    rows = "\n".join(f"{a:.4f},{b:.4f},{int(y)}" for (a, b), y in zip(X.T, Y[0]))
    data = tmp_path / "d.csv"
    data.write_text("a,b,label\n" + rows + "\n")
    # A tiny learning rate and 30 relu layers of 2 units: the first layers die or vanish.
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--hidden", *[2] * 12, "--activation", "sigmoid", "--epochs", 2,
                          "--lr", "1e-5", "--quiet", "--val-split", 0])
    assert status == 0, err
    lines = [line for line in err.splitlines() if "what helps" in line]
    assert lines and all(line.split("what helps: ")[1] in (
        ADVICE["cli"]["dead"], ADVICE["cli"]["vanishing"]) for line in lines), err
    assert "initialization_method" not in err and "batch_norm=True" not in err

    estimator = NNClassifier(hidden_layer_sizes=(2,) * 12, activation="sigmoid",
                             learning_rate=1e-5, max_epochs=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X.T, Y[0])
    advice = [str(w.message).split("what helps: ")[1] for w in caught
              if w.category is TrainingProblemWarning]
    assert advice and set(advice) <= {ADVICE["estimator"]["dead"],
                                      ADVICE["estimator"]["vanishing"]}


def test_half_dead_is_reported_and_less_is_not():
    X, Y = moons()
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    nn.parameters["b1"][:2] = -50.0  # two of four units dead
    (message,) = problem_messages(nn, X, Y, num_epochs=1, learning_rate=1e-6)
    assert message.startswith("layer 1 (relu): 2 of 4 units")
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], seed=0)
    nn.parameters["b1"][:1] = -50.0  # one of four: under the threshold
    assert problem_messages(nn, X, Y, num_epochs=1, learning_rate=1e-6) == []


def test_vanishing_gradients_of_a_deep_sigmoid_stack_are_reported():
    X, Y = moons(100)
    nn = ClassifierNN([2] + [8] * 6 + [1], ["sigmoid"] * 7, "random", seed=0)
    (message,) = problem_messages(nn, X, Y, num_epochs=2, learning_rate=0.01)
    assert message.startswith("vanishing gradients: the gradient norm of layer 1 (sigmoid)")
    assert "layer 7 (sigmoid)" in message and "in the last training step" in message
    # The numbers are those of the last step's gradients.
    first = float(np.linalg.norm(nn.grads["dW1"]))
    assert f"({first:.3g})" in message


def test_a_healthy_run_does_not_warn():
    X, Y = moons()
    nn = ClassifierNN([2, 8, 8, 1], ["relu", "relu", "sigmoid"], seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingProblemWarning)
        nn.train(X, Y, num_epochs=20, learning_rate=0.01, optimizer="adam", print_cost=False)
    assert nn.accuracy(X, Y) > 0.85


@pytest.mark.parametrize("make, kwargs", [
    (dead_network, {"num_epochs": 2, "learning_rate": 1e-6, "batch_size": 32}),
    (lambda: ClassifierNN([2, 8, 8, 1], ["relu", "relu", "sigmoid"], seed=3, batch_norm=True),
     {"num_epochs": 3, "learning_rate": 0.01, "batch_size": 32, "keep_prob": [1.0, 0.8, 0.8],
      "optimizer": "adam"}),
], ids=["dead", "batch-norm-dropout"])
def test_the_check_changes_no_parameter_and_draws_nothing(monkeypatch, make, kwargs):
    X, Y = moons()
    with_check = make()
    problem_messages(with_check, X, Y, **kwargs)
    monkeypatch.setattr(training, "warn_about_problems", lambda run: None)
    without = make()
    problem_messages(without, X, Y, **kwargs)
    assert with_check.theta.tobytes() == without.theta.tobytes()
    for name, value in without.bn_state.items() if without.batch_norm else ():
        assert with_check.bn_state[name].tobytes() == value.tobytes()
    # The generator is where it would be without the check.
    assert with_check.rng.bit_generator.state == without.rng.bit_generator.state


def test_a_diagnostics_callback_that_warns_is_not_doubled():
    X, Y = moons()
    diagnostics = Diagnostics(warn=True)
    messages = problem_messages(dead_network(), X, Y, num_epochs=1, learning_rate=1e-6,
                                callbacks=[diagnostics])
    assert messages == diagnostics.problems() and "in the last epoch" in messages[0]


def test_full_batch_lbfgs_checks_dead_units_only():
    pytest.importorskip("scipy")
    X, Y = moons()
    messages = problem_messages(dead_network(), X, Y, num_epochs=1, optimizer="lbfgs")
    assert any(m.startswith("layer 1 (relu): 8 of 8") for m in messages)
    assert not any(m.startswith("vanishing") for m in messages)


def test_the_sample_is_at_most_sample_rows_and_without_rows_nothing_is_counted():
    nn = dead_network()
    rows = np.ascontiguousarray(moons(2 * SAMPLE_ROWS)[0].T)
    (dead_1, dead_2, *_) = end_of_training_problems(nn, rows, grads=False)
    assert f"first {SAMPLE_ROWS} training examples" in dead_1
    assert end_of_training_problems(nn, None, grads=False) == []
    # On a handful of rows a healthy layer is often half silent by chance: not counted.
    assert end_of_training_problems(nn, rows[:MIN_SAMPLE_ROWS - 1], grads=False) == []
    assert end_of_training_problems(nn, rows[:MIN_SAMPLE_ROWS], grads=False)


def test_the_command_line_prints_each_problem_as_one_line(monkeypatch, tmp_path):
    import contextlib
    import io

    from scratchnn.cli import main

    data = tmp_path / "d.csv"
    X, Y = moons(60)
    data.write_text("a,b,y\n" + "".join(f"{float(a)!r},{float(b)!r},{int(c)}\n"
                                        for a, b, c in zip(X[0], X[1], Y[0])))
    monkeypatch.setattr(training, "end_of_training_problems",
                        lambda model, rows, grads: ["layer 1 (relu): 4 of 4 units dead"])
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(["train", str(data), "--target", "y", "--out", str(tmp_path / "m.npz"),
                       "--epochs", "2", "--quiet"])
    assert status == 0
    assert err.getvalue() == "scratchnn: warning: layer 1 (relu): 4 of 4 units dead\n"


def test_a_diagnostics_callback_that_does_not_warn_leaves_the_check_in_place():
    """Only a ``Diagnostics(warn=True)`` callback replaces the end-of-run check (it says what it
    found itself); one with ``warn=False`` leaves the check to warn."""
    X, Y = moons()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dead_network().train(X, Y, num_epochs=1, learning_rate=1e-6, print_cost=False,
                             callbacks=[Diagnostics(warn=False)])
    problems = [w for w in caught if w.category is TrainingProblemWarning]
    assert problems
    assert str(problems[0].message).startswith("layer 1 (relu): 8 of 8 units")
