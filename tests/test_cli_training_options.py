"""The training options of the training issue on the command line: --optimizer (every registered
name), --lr-schedule, --clipnorm, --weight-decay, --label-smoothing."""


import numpy as np
import pytest

from cli_run import run
from scratchnn.cli import load_model
from scratchnn.datasets import make_moons
from scratchnn.network import ClassifierNN
from scratchnn.optimizers import OPTIMIZERS
from scratchnn.schedules import CosineDecay, ExponentialDecay, StepDecay

pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("options")
    X, y = make_moons(n_samples=200, noise=0.15, seed=1)
    lines = ["u,v,label"] + [f"{a:.5f},{b:.5f},{k}" for (a, b), k in zip(X, y)]
    path = folder / "moons.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def recorded(monkeypatch):
    """The keyword arguments of every ClassifierNN.train call the command line makes."""
    calls = []
    original = ClassifierNN.train

    def train(self, *args, **kwargs):
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ClassifierNN, "train", train)
    return calls


@pytest.mark.parametrize("options,expected", [
    (["--optimizer", "adamw"], dict(optimizer="adamw", weight_decay=None, lr_schedule=None)),
    (["--optimizer", "nadam", "--clipnorm", "0.5", "--label-smoothing", "0.1"],
     dict(optimizer="nadam", clipnorm=0.5, label_smoothing=0.1)),
    (["--optimizer", "nesterov", "--weight-decay", "0.02", "--lr-schedule", "step:5:0.5"],
     dict(optimizer="nesterov", weight_decay=0.02, lr_schedule=StepDecay(5, 0.5))),
    (["--lr-schedule", "cosine"], dict(lr_schedule=CosineDecay(12))),
    (["--lr-schedule", "cosine:3"], dict(lr_schedule=CosineDecay(12, warmup_epochs=3))),
    (["--lr-schedule", "exponential:0.9"], dict(lr_schedule=ExponentialDecay(0.9))),
    (["--optimizer", "lbfgs"], dict(optimizer="lbfgs")),
])
def test_options_reach_train_and_the_model_file(data, tmp_path, recorded, options, expected):
    model = tmp_path / "m.npz"
    status, out, err = run(["train", data, "--target", "label", "--out", model, "--epochs", 12,
                            "--quiet", "--no-early-stopping", *options])
    assert status == 0, err
    (kwargs,) = recorded
    for key, value in expected.items():
        assert kwargs[key] == value, key
    _, _, bundle = load_model(model)
    assert bundle.training["optimizer"] == expected.get("optimizer", "adam")
    if "lr_schedule" in expected and expected["lr_schedule"] is not None:
        assert bundle.training["lr_schedule"] == repr(expected["lr_schedule"])
    assert bundle.training["train_accuracy"] > 0.7  # it learned (chance is 0.5)


def test_every_registered_optimizer_is_a_choice():
    status, out, _ = run(["train", "--help"])
    assert status == 0
    for name in OPTIMIZERS:
        assert name in out


@pytest.mark.parametrize("options,flag", [
    (["--clipnorm", "0"], "--clipnorm"),
    (["--weight-decay", "-1"], "--weight-decay"),
    (["--label-smoothing", "1"], "--label-smoothing"),
    (["--lr-schedule", "sometimes"], "--lr-schedule"),
    (["--lr-schedule", "step:0"], "--lr-schedule"),
    (["--lr-schedule", "exponential:2"], "--lr-schedule"),
])
def test_bad_option_values_are_usage_errors_naming_the_flag(data, tmp_path, options, flag):
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          *options])
    assert status == 2 and flag in err
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize("options,flag", [
    (["--optimizer", "lbfgs", "--dropout", "0.2"], "--dropout"),
    (["--optimizer", "lbfgs", "--clipnorm", "1"], "--clipnorm"),
    (["--lr-schedule", "cosine:12"], "--lr-schedule cosine:12"),
])
def test_impossible_combinations_fail_before_reading(data, tmp_path, options, flag):
    status, _, err = run(["train", data, "--target", "label", "--out", tmp_path / "m.npz",
                          "--epochs", 12, *options])
    assert status == 1 and flag in err and err.count("\n") == 1
    assert not (tmp_path / "m.npz").exists()


def test_a_schedule_changes_training(data, tmp_path):
    thetas = []
    for options in ([], ["--lr-schedule", "cosine"]):
        model = tmp_path / f"m{len(thetas)}.npz"
        status, _, err = run(["train", data, "--target", "label", "--out", model, "--epochs", 8,
                              "--quiet", "--no-early-stopping", *options])
        assert status == 0, err
        thetas.append(load_model(model)[0].theta)
    assert not np.array_equal(*thetas)
