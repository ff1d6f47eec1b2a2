"""ReduceLROnPlateau, ModelCheckpoint, CSVLogger and the get_state/set_state protocol.

The callbacks are driven directly with sequences of monitored values. ReduceLROnPlateau's
decisions are compared with ``TorchPlateau`` below, a transcription of PyTorch's
``ReduceLROnPlateau.step`` (mode 'min'/'max', threshold_mode 'rel') written here, not imported.
"""

import csv
import json
import os
import types

import numpy as np
import pytest

from scratchnn import ClassifierNN, training
from scratchnn.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    ReduceLROnPlateau,
)


class TorchPlateau:
    """PyTorch's ReduceLROnPlateau bookkeeping over one param group, as in torch 2.13."""

    def __init__(self, lr, mode="min", factor=0.1, patience=10, threshold=1e-4, cooldown=0,
                 min_lr=0.0, eps=1e-8):
        self.lr, self.mode, self.factor, self.patience = lr, mode, factor, patience
        self.threshold, self.cooldown, self.min_lr, self.eps = threshold, cooldown, min_lr, eps
        self.best = float("inf") if mode == "min" else float("-inf")
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def is_better(self, a, best):
        if self.mode == "min":
            return a < best * (1.0 - self.threshold)
        return a > best * (self.threshold + 1.0)

    def step(self, metric):
        current = float(metric)
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0


def fake_model(learning_rate=0.1):
    """A real small model whose optimizer is a bare object with a learning rate."""
    model = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)
    model.optimizer = types.SimpleNamespace(learning_rate=learning_rate)
    return model


def plateau_rates(callback, values, model, start=1):
    """Feed ``values``; the learning rate after each epoch."""
    rates = []
    for epoch, value in enumerate(values, start=start):
        assert callback.on_epoch_end(epoch, {"loss": 1.0, callback.monitor: value}) is False
        rates.append(model.optimizer.learning_rate)
    return rates


def noisy_plateaus(seed, n=80):
    """Values that fall, stall and wiggle: decreasing steps with flat stretches and noise."""
    rng = np.random.default_rng(seed)
    steps = rng.choice([0.0, 0.0, -0.05, 1e-6, 0.02], size=n)
    return list(2.0 + np.cumsum(steps) + rng.normal(0, 1e-5, size=n))


# --------------------------------------------------------------------------- ReduceLROnPlateau
def test_reduce_lr_on_plateau_worked_example():
    # patience 2: epoch 1 sets best = 1.0; epochs 2, 3, 4 are bad (1.0 is not < 1.0 * 0.9999);
    # at the third (> patience) the rate goes 0.1 -> 0.01. Cooldown 1 then ignores epoch 5;
    # epochs 6, 7, 8 are bad again and epoch 8 reduces to max(0.001, min_lr 0.005) = 0.005.
    model = fake_model(0.1)
    callback = ReduceLROnPlateau(patience=2, cooldown=1, min_lr=0.005)
    callback.on_train_begin(model)
    rates = plateau_rates(callback, [1.0] * 9, model)
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.005, 0.005])


def test_reduce_lr_on_plateau_relative_threshold():
    # 1.0 then 0.99995: an improvement of 5e-5 < threshold 1e-4 relative, so a bad epoch.
    model = fake_model(1.0)
    callback = ReduceLROnPlateau(monitor="loss", patience=0, threshold=1e-4)
    callback.on_train_begin(model)
    assert plateau_rates(callback, [1.0, 0.99995, 0.9], model) == pytest.approx([1.0, 0.1, 0.1])
    assert callback.best == 0.9


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kwargs", [
    {},
    {"patience": 0},
    {"patience": 3, "cooldown": 2, "factor": 0.5},
    {"patience": 1, "threshold": 0.01, "min_lr": 0.004},
    {"patience": 2, "threshold": 0.0, "cooldown": 5, "factor": 0.3, "min_lr": 1e-3},
])
def test_reduce_lr_on_plateau_makes_torchs_decisions(seed, kwargs):
    values = noisy_plateaus(seed)
    model = fake_model(0.1)
    callback = ReduceLROnPlateau(**kwargs)
    callback.on_train_begin(model)
    reference = TorchPlateau(0.1, **kwargs)
    expected = []
    for value in values:
        reference.step(value)
        expected.append(reference.lr)
    rates = plateau_rates(callback, values, model)
    assert rates == expected
    assert len(set(rates)) > 1  # the sequences do trigger reductions
    assert (callback.best, callback.num_bad_epochs, callback.cooldown_counter) == (
        reference.best, reference.num_bad_epochs, reference.cooldown_counter)


@pytest.mark.parametrize("seed", range(3))
def test_reduce_lr_on_plateau_max_mode_for_accuracies(seed):
    values = [1.0 - v / 3 for v in noisy_plateaus(seed)]  # rising accuracies with plateaus
    model = fake_model(0.05)
    callback = ReduceLROnPlateau(monitor="val_accuracy", patience=2, cooldown=1)
    assert callback.mode == "max"
    callback.on_train_begin(model)
    reference = TorchPlateau(0.05, mode="max", patience=2, cooldown=1)
    expected = []
    for value in values:
        reference.step(value)
        expected.append(reference.lr)
    assert plateau_rates(callback, values, model) == expected
    assert len(set(expected)) > 1


def test_reduce_lr_on_plateau_does_not_apply_changes_below_eps():
    model = fake_model(1.5e-8)
    callback = ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5)
    callback.on_train_begin(model)
    # 1.5e-8 -> 7.5e-9 is a change of 7.5e-9 < 1e-8: PyTorch keeps the rate.
    assert plateau_rates(callback, [1.0, 1.0, 1.0], model) == [1.5e-8] * 3


def test_reduce_lr_on_plateau_nan_is_a_bad_epoch():
    model = fake_model(0.1)
    callback = ReduceLROnPlateau(monitor="loss", patience=1)
    callback.on_train_begin(model)
    assert plateau_rates(callback, [1.0, float("nan"), float("nan")], model) == pytest.approx(
        [0.1, 0.1, 0.01])
    assert callback.best == 1.0


def sign_problem():
    """40 examples of 2 features, labelled by the sign of the first."""
    X = np.random.default_rng(0).normal(size=(2, 40))
    return X, (X[0] > 0).astype(float).reshape(1, -1)


def test_reduce_lr_on_plateau_changes_the_rate_of_the_next_epochs_steps():
    # Through the training loop: the rate each step used, as the loop reports it.
    X, y = sign_problem()
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)

    class StepRates(Callback):
        rates = []

        def on_batch_end(self, step):
            self.rates.append(step.learning_rate)

    recorder, plateau = StepRates(), ReduceLROnPlateau(monitor="loss", patience=0,
                                                       threshold=0.9, factor=0.5)
    settings = training.TrainingSettings(nn.check_loss("BinaryCrossEntropy"), num_epochs=4,
                                         learning_rate=0.1, batch_size=20)
    training.fit(nn, training.ArrayData.from_columns(X, y, None, np.float64), settings,
                 [recorder, plateau])
    # Threshold 0.9: epoch 1 sets the best; no later epoch improves on it by 90%, so epochs 2
    # and 3 are bad, and each halves the rate for the following epoch (two steps per epoch).
    assert recorder.rates == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    assert nn.optimizer.learning_rate == pytest.approx(0.0125)


# --------------------------------------------------------------------------- state for resume
def json_round_trip(state):
    """A state as a checkpoint keeps it: arrays as arrays, the rest through JSON."""
    arrays = {k: v for k, v in state.items() if isinstance(v, np.ndarray)}
    rest = json.loads(json.dumps({k: v for k, v in state.items() if k not in arrays},
                                 allow_nan=False))
    return {**rest, **{k: v.copy() for k, v in arrays.items()}}


def run_in_two_halves(make, values, key, epoch_effect):
    """The callbacks' decisions over ``values`` in one run and in 10 + rest with a resume."""
    def run(callback, model, epochs, start):
        decisions = []
        for epoch in epochs:
            epoch_effect(model, epoch)
            stop = callback.on_epoch_end(epoch, {"loss": 0.5, key: values[epoch - 1]})
            decisions.append((epoch, stop, model.optimizer.learning_rate))
            if stop:
                break
        return decisions

    n = len(values)
    whole_model, whole = fake_model(), make()
    whole.on_train_begin(whole_model)
    decisions_whole = run(whole, whole_model, range(1, n + 1), 1)
    whole.on_train_end({})

    first_model, first = fake_model(), make()
    first.on_train_begin(first_model)
    decisions = run(first, first_model, range(1, 11), 1)
    state = json_round_trip(first.get_state())
    # The resumed run: a new model (as loaded from the checkpoint) and a new callback.
    second_model, second = fake_model(), make()
    second_model.theta = first_model.theta
    second_model.optimizer.learning_rate = 123.0  # overwritten by set_state where it matters
    if not isinstance(second, ReduceLROnPlateau):
        second_model.optimizer.learning_rate = first_model.optimizer.learning_rate
    second.on_train_begin(second_model)
    second.set_state(state)
    decisions += run(second, second_model, range(11, n + 1), 11)
    second.on_train_end({})
    return decisions_whole, decisions, whole_model, second_model, whole, second


def set_theta_to_epoch(model, epoch):
    model.theta = np.full(model.theta.shape, float(epoch))


@pytest.mark.parametrize("seed", range(3))
def test_reduce_lr_on_plateau_20_epochs_equal_10_plus_10(seed):
    values = noisy_plateaus(seed, n=20)
    whole, halves, _, _, a, b = run_in_two_halves(
        lambda: ReduceLROnPlateau(monitor="val_loss", patience=1, cooldown=2, factor=0.5),
        values, "val_loss", lambda model, epoch: None)
    assert halves == whole
    assert len({rate for _, _, rate in whole}) > 1
    assert a.get_state() == b.get_state()


def test_early_stopping_20_epochs_equal_10_plus_10_with_the_best_weights():
    # Best at epoch 7 (before the resume), no improvement after it: the resumed run must both
    # count its patience across the break and restore epoch 7's weights.
    values = [5.0 - 0.5 * e for e in range(7)] + [2.5 + 0.01 * e for e in range(13)]
    whole, halves, whole_model, second_model, a, b = run_in_two_halves(
        lambda: EarlyStopping(patience=8), values, "val_loss", set_theta_to_epoch)
    assert halves == whole
    assert whole[-1][:2] == (15, True)  # epochs 8..15 without improvement
    assert np.all(whole_model.theta == 7.0) and np.all(second_model.theta == 7.0)
    assert (a.best, a.best_epoch, a.wait) == (b.best, b.best_epoch, b.wait)


def test_early_stopping_state_keeps_batch_norm_statistics():
    model = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0, batch_norm=True)
    callback = EarlyStopping(monitor="loss")
    callback.on_train_begin(model)
    model.bn_state["running_mean1"][:] = 4.0
    callback.on_epoch_end(1, {"loss": 1.0})
    state = callback.get_state()
    assert set(state) == {"best", "best_epoch", "wait", "best_theta", *(
        f"best_{key}" for key in model.bn_state)}
    resumed_model = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=1, batch_norm=True)
    resumed = EarlyStopping(monitor="loss")
    resumed.on_train_begin(resumed_model)
    resumed.set_state(json_round_trip(state))
    resumed.on_epoch_end(2, {"loss": 2.0})
    resumed.on_train_end({})
    assert np.array_equal(resumed_model.theta, model.theta)
    assert np.all(resumed_model.bn_state["running_mean1"] == 4.0)


def test_states_before_any_epoch_are_json_and_restore_the_starting_point():
    for make in (lambda: EarlyStopping(), lambda: ReduceLROnPlateau(),
                 lambda: ModelCheckpoint("x.npz"), lambda: CSVLogger("x.csv")):
        callback = make()
        callback.on_train_begin(fake_model())
        state = callback.get_state()
        json.dumps(state, allow_nan=False)
        fresh = make()
        fresh.on_train_begin(fake_model())
        fresh.set_state(state)
        assert fresh.get_state() == state
    assert Callback().get_state() is None
    assert Callback().set_state(None) is None


# --------------------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_saves_only_on_improvements(tmp_path):
    model = fake_model()
    callback = ModelCheckpoint(tmp_path / "model-{epoch:02d}.npz")
    callback.on_train_begin(model)
    values = [1.0, 0.8, 0.9, 0.8, 0.5, float("nan"), 0.7]
    for epoch, value in enumerate(values, start=1):
        set_theta_to_epoch(model, epoch)
        callback.on_epoch_end(epoch, {"loss": 3.0, "val_loss": value})
    # 0.8 at epoch 4 only equals the best: not an improvement.
    assert sorted(os.listdir(tmp_path)) == ["model-01.npz", "model-02.npz", "model-05.npz"]
    assert callback.last_saved == str(tmp_path / "model-05.npz")
    assert np.all(ClassifierNN.load(tmp_path / "model-02.npz").theta == 2.0)
    assert callback.best == 0.5


def test_model_checkpoint_overwrites_one_file_with_the_best_model(tmp_path):
    path = tmp_path / "best.npz"
    model = fake_model()
    callback = ModelCheckpoint(str(path), monitor="val_accuracy")
    callback.on_train_begin(model)
    for epoch, accuracy in enumerate([0.5, 0.7, 0.6, 0.65, 0.9, 0.2], start=1):
        set_theta_to_epoch(model, epoch)
        callback.on_epoch_end(epoch, {"val_accuracy": accuracy})
        assert np.all(ClassifierNN.load(path).theta == (2.0 if epoch in (2, 3, 4) else
                                                        1.0 if epoch == 1 else 5.0))


def test_model_checkpoint_every_epoch_and_history_fields(tmp_path):
    model = fake_model()
    callback = ModelCheckpoint(os.path.join(tmp_path, "m{epoch}-{loss:.2f}.npz"),
                               monitor="missing", save_best_only=False)
    callback.on_train_begin(model)
    for epoch, loss in enumerate([0.5, 0.75, 0.5], start=1):
        callback.on_epoch_end(epoch, {"loss": loss})
    assert sorted(os.listdir(tmp_path)) == ["m1-0.50.npz", "m2-0.75.npz", "m3-0.50.npz"]


def test_model_checkpoint_unknown_field_or_monitor_is_a_clear_error(tmp_path):
    callback = ModelCheckpoint(tmp_path / "m{val_los}.npz", save_best_only=False)
    callback.on_train_begin(fake_model())
    with pytest.raises(ValueError, match="path .* names 'val_los'"):
        callback.on_epoch_end(1, {"loss": 1.0, "val_loss": 1.0})
    callback = ModelCheckpoint(tmp_path / "m{val_los}.npz")
    callback.on_train_begin(fake_model())
    with pytest.raises(ValueError, match="names 'val_los'"):
        callback.on_epoch_end(1, {"loss": 1.0, "val_loss": 1.0})
    assert callback.best == float("inf")  # nothing was saved, so nothing is the best yet
    callback = ModelCheckpoint(tmp_path / "m.npz")
    callback.on_train_begin(fake_model())
    with pytest.raises(ValueError, match="ModelCheckpoint monitors 'val_loss'"):
        callback.on_epoch_end(1, {"loss": 1.0})
    assert os.listdir(tmp_path) == []


def test_model_checkpoint_resume_keeps_the_best_value(tmp_path):
    first = ModelCheckpoint(tmp_path / "m{epoch}.npz")
    first.on_train_begin(fake_model())
    first.on_epoch_end(1, {"val_loss": 0.3})
    second = ModelCheckpoint(tmp_path / "m{epoch}.npz")
    second.on_train_begin(fake_model())
    second.set_state(json_round_trip(first.get_state()))
    second.on_epoch_end(2, {"val_loss": 0.4})
    second.on_epoch_end(3, {"val_loss": 0.2})
    assert sorted(os.listdir(tmp_path)) == ["m1.npz", "m3.npz"]


# --------------------------------------------------------------------------- CSVLogger
def read_rows(path, separator=","):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.reader(file, delimiter=separator))


def log_epochs(callback, epochs, model=None):
    callback.on_train_begin(model or fake_model())
    for epoch in epochs:
        callback.on_epoch_end(epoch, {"loss": 1.0 / epoch, "val_loss": np.float32(2.0 / epoch),
                                      "learning_rate": 0.1})


def test_csv_logger_writes_one_flushed_row_per_epoch(tmp_path):
    path = tmp_path / "history.csv"
    callback = CSVLogger(path)
    callback.on_train_begin(fake_model())
    for epoch in (1, 2, 3):
        callback.on_epoch_end(epoch, {"loss": 1.0 / epoch, "val_loss": np.float64(0.5),
                                      "learning_rate": 0.1})
        # On disk at once, before training ends (nothing stays buffered).
        assert len(read_rows(path)) == 1 + epoch
    callback.on_train_end({})
    rows = read_rows(path)
    assert rows[0] == ["epoch", "loss", "val_loss", "learning_rate"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    assert [float(row[1]) for row in rows[1:]] == [1.0, 0.5, 1.0 / 3]  # round-trips exactly
    assert rows[1][2:] == ["0.5", "0.1"]


def test_csv_logger_starts_anew_or_appends(tmp_path):
    path = tmp_path / "h.csv"
    log_epochs(CSVLogger(path), [1, 2])
    log_epochs(CSVLogger(path), [1])
    assert len(read_rows(path)) == 2
    log_epochs(CSVLogger(path, append=True), [2, 3])
    rows = read_rows(path)
    assert [row[0] for row in rows] == ["epoch", "1", "2", "3"]
    log_epochs(CSVLogger(tmp_path / "new.csv", append=True), [1])
    assert read_rows(tmp_path / "new.csv")[0][0] == "epoch"


def test_csv_logger_separator_and_missing_keys(tmp_path):
    path = tmp_path / "h.tsv"
    callback = CSVLogger(str(path), separator="\t")
    callback.on_train_begin(fake_model())
    callback.on_epoch_end(1, {"loss": 0.25, "val_loss": 0.5})
    callback.on_epoch_end(2, {"loss": 0.125, "extra": 9})
    assert read_rows(path, "\t") == [["epoch", "loss", "val_loss"], ["1", "0.25", "0.5"],
                                     ["2", "0.125", ""]]


def test_csv_logger_resume_keeps_the_checkpointed_rows_only(tmp_path):
    whole_path, path = tmp_path / "whole.csv", tmp_path / "h.csv"
    log_epochs(CSVLogger(whole_path), range(1, 21))
    first = CSVLogger(path)
    log_epochs(first, range(1, 11))
    state = json_round_trip(first.get_state())
    first.on_epoch_end(11, {"loss": 9.0, "val_loss": 9.0, "learning_rate": 9.0})  # lost epoch
    second = CSVLogger(path)
    second.on_train_begin(fake_model())
    second.set_state(state)
    for epoch in range(11, 21):
        second.on_epoch_end(epoch, {"loss": 1.0 / epoch, "val_loss": np.float32(2.0 / epoch),
                                    "learning_rate": 0.1})
    assert read_rows(path) == read_rows(whole_path)
    assert second.get_state() == {"rows": 20}


def test_csv_logger_resume_without_the_file_writes_a_header(tmp_path):
    callback = CSVLogger(tmp_path / "gone.csv")
    callback.on_train_begin(fake_model())
    callback.set_state({"rows": 4})
    callback.on_epoch_end(5, {"loss": 1.0})
    assert read_rows(tmp_path / "gone.csv") == [["epoch", "loss"], ["5", "1.0"]]


# --------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("make, error, argument", [
    (lambda: ReduceLROnPlateau(monitor=1), TypeError, "monitor"),
    (lambda: ReduceLROnPlateau(factor=1.0), ValueError, "factor"),
    (lambda: ReduceLROnPlateau(factor=0.0), ValueError, "factor"),
    (lambda: ReduceLROnPlateau(factor="0.1"), TypeError, "factor"),
    (lambda: ReduceLROnPlateau(patience=-1), ValueError, "patience"),
    (lambda: ReduceLROnPlateau(patience=2.5), TypeError, "patience"),
    (lambda: ReduceLROnPlateau(threshold=-1e-4), ValueError, "threshold"),
    (lambda: ReduceLROnPlateau(threshold=float("nan")), ValueError, "threshold"),
    (lambda: ReduceLROnPlateau(cooldown=-1), ValueError, "cooldown"),
    (lambda: ReduceLROnPlateau(cooldown=None), TypeError, "cooldown"),
    (lambda: ReduceLROnPlateau(min_lr=-0.1), ValueError, "min_lr"),
    (lambda: ReduceLROnPlateau(mode="lowest"), ValueError, "mode"),
    (lambda: ModelCheckpoint(3), TypeError, "path"),
    (lambda: ModelCheckpoint(b"m.npz"), TypeError, "path"),
    (lambda: ModelCheckpoint("m{epoch.npz"), ValueError, "path"),
    (lambda: ModelCheckpoint("m.npz", monitor=None), TypeError, "monitor"),
    (lambda: ModelCheckpoint("m.npz", save_best_only=1), TypeError, "save_best_only"),
    (lambda: ModelCheckpoint("m.npz", mode="best"), ValueError, "mode"),
    (lambda: CSVLogger(None), TypeError, "path"),
    (lambda: CSVLogger("h.csv", separator=",,"), ValueError, "separator"),
    (lambda: CSVLogger("h.csv", separator=9), TypeError, "separator"),
    (lambda: CSVLogger("h.csv", append="yes"), TypeError, "append"),
])
def test_bad_arguments_name_themselves(make, error, argument):
    with pytest.raises(error, match=argument):
        make()


def test_reduce_lr_on_plateau_missing_monitor_is_a_clear_error():
    callback = ReduceLROnPlateau()
    callback.on_train_begin(fake_model())
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau monitors 'val_loss'.*\['loss'\]"):
        callback.on_epoch_end(1, {"loss": 1.0})


def test_every_monitoring_callback_names_its_monitor():
    for callback in (EarlyStopping("loss"), ReduceLROnPlateau("loss"),
                     ModelCheckpoint("m.npz", monitor="loss")):
        assert callback.monitor == "loss"
        assert callback.mode == "min"
    assert ModelCheckpoint("m.npz", monitor="val_accuracy").mode == "max"
    assert ReduceLROnPlateau("val_accuracy", mode="min").mode == "min"


def test_each_callbacks_state_is_kept_under_its_class_name_and_count():
    """Two callbacks of one class keep separate states, ``EarlyStopping`` and
    ``EarlyStopping_1`` in the order given, and ``resume=True`` hands each its own back (a
    callback without a state is left out)."""
    X, y = sign_problem()
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)

    def make():
        # the first never improves by min_delta after epoch 1; the second improves every epoch
        return [EarlyStopping(monitor="loss", patience=50, min_delta=10.0),
                ReduceLROnPlateau(monitor="loss", patience=50), Callback(),
                EarlyStopping(monitor="loss", patience=50)]

    nn.train(X, y, num_epochs=3, learning_rate=0.1, print_cost=False, callbacks=make())
    states = nn.optimizer.callback_states
    assert sorted(states) == ["EarlyStopping", "EarlyStopping_1", "ReduceLROnPlateau"]
    assert (states["EarlyStopping"]["wait"], states["EarlyStopping_1"]["wait"]) == (2, 0)
    resumed = make()
    nn.train(X, y, num_epochs=1, learning_rate=0.1, print_cost=False, callbacks=resumed,
             resume=True)
    assert (resumed[0].wait, resumed[3].wait) == (3, 0)


def test_the_loop_calls_each_hook_with_the_documented_arguments():
    """``on_train_begin(model)`` once, ``on_epoch_end(epoch, logs)`` from epoch 1 with that epoch's
    ``loss`` and ``learning_rate``, and after a stop ``on_train_end`` with the last epoch's logs;
    ``model.history`` holds the same values."""
    X, y = sign_problem()
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)
    events = []

    class Recorder(Callback):
        def on_train_begin(self, model):
            events.append(("begin", model is nn))

        def on_epoch_end(self, epoch, logs):
            events.append(("epoch", epoch, dict(logs)))
            return epoch == 2

        def on_train_end(self, logs):
            events.append(("end", dict(logs)))

    _, costs = nn.train(X, y, num_epochs=5, learning_rate=0.25, print_cost=False,
                        callbacks=[Recorder()])
    assert len(costs) == 2
    logs = [{"loss": cost, "learning_rate": 0.25} for cost in costs]
    assert events == [("begin", True), ("epoch", 1, logs[0]), ("epoch", 2, logs[1]),
                      ("end", logs[1])]
    assert nn.history == {"loss": costs, "learning_rate": [0.25, 0.25]}


def test_lbfgs_ends_with_the_last_iterations_logs():
    """Full-batch L-BFGS reports each iteration as an epoch; ``on_train_end`` receives the last
    iteration's logs, as after the epochs of the other optimizers."""
    pytest.importorskip("scipy")
    X, y = sign_problem()
    nn = ClassifierNN([2, 3, 1], ["tanh", "sigmoid"], seed=0)
    ends = []

    class End(Callback):
        def on_train_end(self, logs):
            ends.append(dict(logs))

    _, costs = nn.train(X, y, num_epochs=4, optimizer="lbfgs", print_cost=False,
                        callbacks=[End()])
    assert len(costs) == 4
    assert ends == [{"loss": costs[-1]}]
