"""The training presets that NNClassifier (``preset=``) and ``scratchnn train --preset`` share
(issue 25): the held-out split, the kept epoch, and the same model from both front ends for the
same table and seed."""

import copy
import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest

from cli_run import run
from scratchnn import ClassifierNN
from scratchnn.cli import load_model
from scratchnn.presets import (
    PRESETS,
    batch_size,
    get_preset,
    holdout,
    init_like_mlp_classifier,
    network_seed,
)
from scratchnn.sklearn import NNClassifier
from scratchnn.splitting import split_indices


def _table(n=240, seed=0):
    """A small table of two numbers and a text category, three classes (strings)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n).round(3), "x2": rng.normal(size=n).round(3),
                          "colour": rng.choice(["red", "green", "blue"], n)})
    signal = frame["x1"] + (frame["colour"] == "red") + rng.normal(scale=0.5, size=n)
    frame["y"] = np.where(signal > 0.5, "yes", np.where(frame["x2"] > 0, "maybe", "no"))
    return frame


def _cli_model(tmp_path, frame, preset, seed, options=()):
    """``scratchnn train`` on ``frame`` written as CSV; the loaded model's probabilities on the
    same file, in the estimator's class order, and the bundle."""
    data = tmp_path / "t.csv"
    frame.to_csv(data, index=False)
    model = tmp_path / f"{preset}-{seed}.npz"
    status, _, err = run(["train", data, "--target", "y", "--out", model, "--seed", seed,
                          "--preset", preset, "--quiet", *options])
    assert status == 0, err
    out = tmp_path / "p.csv"
    status, _, err = run(["predict", model, data, "--proba", "--out", out])
    assert status == 0, err
    _, _, bundle = load_model(model)
    return pd.read_csv(out), bundle


@pytest.mark.parametrize("preset, options, params", [
    ("tabular", [], {}),
    ("mlp", [], {}),
    # a larger step, so that the training loss stalls and both stop early (after 117 epochs)
    ("mlp", ["--lr", "0.03"], {"learning_rate": 0.03}),
])
def test_the_command_line_and_the_estimator_train_the_same_model(tmp_path, preset, options,
                                                                 params):
    frame = _table()
    predicted, bundle = _cli_model(tmp_path, frame, preset, 3, options)
    X, y = frame.drop(columns="y"), frame["y"]
    estimator = NNClassifier(preset=preset, random_state=3, **params).fit(X, y)
    if options:
        assert estimator.n_iter_ < estimator.max_epochs
    proba = estimator.predict_proba(X)
    cli = predicted[[f"proba_{label}" for label in estimator.classes_]].to_numpy()
    # float64 on both sides, through other code paths: equal to float64's rounding
    np.testing.assert_allclose(cli, proba, rtol=1e-9, atol=1e-12)
    for name, value in estimator.network_.parameters.items():
        np.testing.assert_allclose(bundle.network.parameters[name], value, rtol=1e-9,
                                   atol=1e-12, err_msg=name)
    assert bundle.training["epochs_run"] == estimator.n_iter_
    assert bundle.training["validation_rows"] == (
        int(np.ceil(0.1 * len(frame))) if PRESETS[preset].keep_best else 0)
    # ... and a model of its own for another seed (the comparison can fail)
    other = NNClassifier(preset=preset, random_state=4, **params).fit(X, y).predict_proba(X)
    assert np.max(np.abs(other - proba)) > 1e-3


def test_the_estimators_defaults_are_the_presets_and_its_preset_is_auto():
    defaults = {name: p.default
                for name, p in inspect.signature(NNClassifier).parameters.items()}
    for preset in PRESETS.values():  # the presets differ only in how the kept epoch is chosen
        assert tuple(defaults["hidden_layer_sizes"]) == preset.hidden_layer_sizes
        assert defaults["learning_rate"] == preset.learning_rate
        assert defaults["max_epochs"] == preset.max_epochs
        assert defaults["validation_fraction"] == preset.validation_fraction
        assert defaults["n_iter_no_change"] == preset.n_iter_no_change
        assert defaults["tol"] == preset.tol
    assert defaults["preset"] == "auto" and not PRESETS["mlp"].keep_best
    assert defaults["batch_size"] == "auto" and batch_size(1000) == 200 and batch_size(37) == 37


def test_the_auto_preset_keeps_the_best_epoch_from_5000_rows():
    auto, tabular = PRESETS["auto"], PRESETS["tabular"]
    assert not auto.keeps_best(4999) and auto.keeps_best(5000) and auto.keeps_best(10**6)
    assert tabular.keeps_best(1) and not PRESETS["mlp"].keeps_best(10**6)
    # Through the estimator, at the bound (two epochs: only the split and the curve matter).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 2))
    y = (X[:, 0] > 0).astype(int)
    at = NNClassifier(max_epochs=2, random_state=0).fit(X, y)
    below = NNClassifier(max_epochs=2, random_state=0).fit(X[:4999], y[:4999])
    assert len(at.validation_loss_curve_) == 2 and below.validation_loss_curve_ is None
    # The 500 held-out rows are holdout()'s: the kept weights' loss on them is the curve's minimum.
    _, held_out = holdout(5000, 0.1, network_seed(0), y)
    p = at.predict_proba(X[held_out])[np.arange(held_out.size), y[held_out]]
    assert held_out.size == 500
    assert -np.mean(np.log(p)) == pytest.approx(min(at.validation_loss_curve_), rel=1e-9)


@pytest.mark.parametrize("n_rows, as_preset", [(239, "mlp"), (240, "tabular")])
def test_the_auto_preset_trains_as_mlp_below_its_bound_and_as_tabular_from_it(
        tmp_path, monkeypatch, n_rows, as_preset):
    """Both front ends, with the bound lowered to 240 rows so that the test is quick: the same
    model as ``as_preset`` gives, bit for bit."""
    monkeypatch.setitem(PRESETS, "auto", dataclasses.replace(PRESETS["auto"],
                                                             min_rows_to_keep_best=240))
    frame = _table(n_rows, seed=2)
    X, y = frame.drop(columns="y"), frame["y"]
    auto = NNClassifier(random_state=1, max_epochs=40).fit(X, y)
    same = NNClassifier(preset=as_preset, random_state=1, max_epochs=40).fit(X, y)
    for name, value in same.network_.parameters.items():
        np.testing.assert_array_equal(auto.network_.parameters[name], value, err_msg=name)
    assert (auto.validation_loss_curve_ is None) == (as_preset == "mlp")
    predicted, bundle = _cli_model(tmp_path, frame, "auto", 1, ["--epochs", "40"])
    cli = predicted[[f"proba_{label}" for label in auto.classes_]].to_numpy()
    np.testing.assert_allclose(cli, auto.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert bundle.training["validation_rows"] == (24 if as_preset == "tabular" else 0)
    assert bundle.training["epochs_run"] == auto.n_iter_


def test_the_tabular_preset_keeps_the_epoch_of_the_lowest_held_out_loss():
    frame = _table(300, seed=1)
    X, y = frame.drop(columns="y"), frame["y"].to_numpy()
    estimator = NNClassifier(preset="tabular", random_state=5, max_epochs=60,
                             learning_rate=0.05).fit(X, y)
    assert estimator.n_iter_ == 60 and len(estimator.validation_loss_curve_) == 60
    # The held-out rows are holdout()'s, from the seed NNClassifier draws from random_state=5.
    classes = np.searchsorted(estimator.classes_, y)
    train, held_out = holdout(len(y), 0.1, network_seed(5), classes)
    assert held_out.size == 30 and np.intersect1d(train, held_out).size == 0
    # The weights kept are those of the curve's minimum: their loss on those rows is it.
    proba = estimator.predict_proba(X.iloc[held_out])
    loss = -np.mean(np.log(proba[np.arange(held_out.size), classes[held_out]]))
    assert loss == pytest.approx(min(estimator.validation_loss_curve_), rel=1e-9)
    assert int(np.argmin(estimator.validation_loss_curve_)) < 59  # not simply the last epoch


def test_the_tabular_preset_with_early_stopping_stops_on_the_validation_loss():
    frame = _table(300, seed=1)
    X, y = frame.drop(columns="y"), frame["y"]
    estimator = NNClassifier(preset="tabular", early_stopping=True, n_iter_no_change=5,
                             random_state=5, max_epochs=200).fit(X, y)
    curve = np.array(estimator.validation_loss_curve_)
    best = int(np.argmin(curve))
    assert estimator.n_iter_ == best + 1 + 5 < 200  # five epochs without a fall, then stop
    assert np.all(curve[best + 1:] > curve[best] - estimator.tol)


def test_partial_fit_ignores_the_preset():
    frame = _table(100)
    X, y = frame[["x1", "x2"]].to_numpy(), frame["y"].to_numpy()
    a = NNClassifier(preset="tabular", random_state=0).partial_fit(X, y, np.unique(y))
    b = NNClassifier(preset="mlp", random_state=0).partial_fit(X, y, np.unique(y))
    assert a.n_iter_ == 1 and a.validation_loss_curve_ is None
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_holdout_is_stratified_when_the_classes_allow_it():
    classes = np.repeat([0, 1, 2], [50, 30, 20])
    train, held_out = holdout(100, 0.1, 7, classes)
    assert np.bincount(classes[held_out]).tolist() == [5, 3, 2]
    assert np.all(np.diff(train) > 0) and np.all(np.diff(held_out) > 0)
    assert np.union1d(train, held_out).tolist() == list(range(100))
    again = holdout(100, 0.1, 7, classes)
    np.testing.assert_array_equal(again[1], held_out)
    assert not np.array_equal(holdout(100, 0.1, 8, classes)[1], held_out)


def test_holdout_falls_back_to_a_plain_split_for_a_lone_class():
    classes = np.array([0] * 10 + [1] * 9 + [2])  # class 2 cannot be on both sides
    train, held_out = holdout(20, 0.1, 0, classes)
    plain = holdout(20, 0.1, 0)
    np.testing.assert_array_equal(held_out, plain[1])
    assert held_out.size == 2 and train.size == 18


@pytest.mark.parametrize("classes, fraction, stratified", [
    # a lone row of class 2, but 10 rows held out (room for every class): plain
    ([0] * 50 + [1] * 49 + [2], 0.1, False),
    # two rows of class 2 are enough: stratified
    ([0] * 60 + [1] * 38 + [2] * 2, 0.1, True),
    # 3 rows held out for 3 classes: exactly room for one of each, stratified
    ([0] * 10 + [1] * 10 + [2] * 10, 0.1, True),
    # 18 of 20 rows held out leave 2 to train on, too few for 3 classes: plain
    ([0] * 7 + [1] * 7 + [2] * 6, 0.9, False),
])
def test_holdout_stratifies_exactly_when_each_part_can_hold_every_class(classes, fraction,
                                                                         stratified):
    classes = np.array(classes)
    n = classes.size
    held_out = holdout(n, fraction, 5, classes)[1]
    assert held_out.size == int(np.ceil(fraction * n))
    # The expected split, drawn by split_indices itself, stratified or not; the two differ for
    # this seed, so that the comparison can fail.
    with_classes = split_indices(n, fraction, 5, classes)[1] if stratified else None
    plain = split_indices(n, fraction, 5)[1]
    if stratified:
        assert not np.array_equal(with_classes, plain)
        np.testing.assert_array_equal(held_out, with_classes)
        counts = np.bincount(classes[held_out], minlength=3)
        assert counts.min() >= 1  # every class is held out
    else:
        np.testing.assert_array_equal(held_out, plain)


def test_holdout_names_the_validation_fraction_in_its_refusal():
    with pytest.raises(ValueError, match=r"^the validation fraction must be"):
        holdout(10, 1.5, 0)


@pytest.mark.parametrize("activation, factor", [("sigmoid", 2.0), ("relu", 6.0), ("tanh", 6.0)])
def test_init_like_mlp_classifier_draws_every_layer_as_mlp_classifier(activation, factor):
    """scikit-learn's MLPClassifier._init_coef, written out: each layer's weights, then its
    biases, uniform in +-sqrt(factor / (fan_in + fan_out)), from the network's generator."""
    network = ClassifierNN([30, 20, 10, 3], [activation, activation, "softmax"], "xavier",
                           seed=0)
    rng = copy.deepcopy(network.rng)
    before = {name: value.copy() for name, value in network.parameters.items()}
    assert init_like_mlp_classifier(network, activation) is network
    for l, (fan_in, fan_out) in enumerate([(30, 20), (20, 10), (10, 3)], start=1):
        bound = np.sqrt(factor / (fan_in + fan_out))
        W = rng.uniform(-bound, bound, (fan_out, fan_in))
        b = rng.uniform(-bound, bound, (fan_out, 1))
        np.testing.assert_allclose(network.parameters[f"W{l}"], W, rtol=1e-15, err_msg=l)
        np.testing.assert_allclose(network.parameters[f"b{l}"].reshape(b.shape), b, rtol=1e-15,
                                   err_msg=l)
        assert not np.array_equal(before[f"W{l}"], W)  # the layer was drawn anew


def test_network_seed_is_the_estimators_draw():
    assert network_seed(3) == int(np.random.RandomState(3).randint(2**31 - 1))
    assert network_seed(3) != network_seed(4)


def test_a_bad_preset_is_refused_by_name():
    with pytest.raises(ValueError, match=r"preset must be one of \['auto', 'mlp', 'tabular'\], got 'x'"):
        get_preset("x")
    with pytest.raises(TypeError, match="preset must be a string"):
        get_preset(None)
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(ValueError, match="preset must be one of"):
        NNClassifier(preset="fast").fit(X, y)


def test_the_command_line_refuses_a_preset_for_a_regression(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=50), "y": rng.normal(size=50)})
    data = tmp_path / "r.csv"
    frame.to_csv(data, index=False)
    status, _, err = run(["train", data, "--target", "y", "--out", tmp_path / "m.npz",
                          "--preset", "tabular", "--quiet"])
    assert status == 1
    assert "--preset tabular is for classifiers only" in err


def test_a_keep_best_preset_with_val_split_0_trains_on_every_row(tmp_path):
    """``--val-split 0`` under a preset that keeps the best epoch: nothing is held out (no split
    of a fraction 0 is drawn), and every epoch of the budget is trained on all the rows."""
    frame = _table(120, seed=3)
    _, bundle = _cli_model(tmp_path, frame, "tabular", 0, ["--val-split", "0", "--epochs", "3"])
    assert bundle.training["validation_rows"] == 0
    assert bundle.training["epochs_run"] == 3
