"""Checkpoints: resuming is exact, and a crash while saving never loses the previous one."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from scratchnn.io import load_with_metadata, save
from scratchnn.training import restore_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def problem(m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, m))
    return X, (X[0] * X[1] > 0).astype(int).reshape(1, -1)


@pytest.fixture(scope="module")
def larger_problem():
    return problem(m=300, seed=3)


SETTINGS = dict(batch_size=8, keep_prob=[1.0, 0.8], print_cost=False, learning_rate=0.05)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_ten_epochs_then_resume_ten_equals_twenty(tmp_path, optimizer, dtype):
    X, y = problem()
    X = X.astype(dtype)
    path = tmp_path / "checkpoint.npz"
    straight = ClassifierNN([3, 6, 1], ["relu", "sigmoid"], batch_norm=True, seed=5)
    _, costs = straight.train(X, y, num_epochs=20, optimizer=optimizer, **SETTINGS)

    first = ClassifierNN([3, 6, 1], ["relu", "sigmoid"], batch_norm=True, seed=5)
    first.train(X, y, num_epochs=10, optimizer=optimizer, checkpoint=path, checkpoint_every=5,
                **SETTINGS)
    del first  # nothing survives but the file
    resumed = ClassifierNN.load(path)
    assert resumed.costs == costs[:10] and resumed.optimizer.t == 10 * 8
    _, more = resumed.train(X, y, num_epochs=10, optimizer=optimizer, resume=True, **SETTINGS)
    assert more == costs[10:]
    np.testing.assert_array_equal(resumed.theta, straight.theta)
    for name, value in straight.bn_state.items():
        np.testing.assert_array_equal(resumed.bn_state[name], value)


def test_checkpoints_are_written_every_n_epochs(tmp_path):
    X, y = problem()
    path = tmp_path / "every3.npz"
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=7, optimizer="adam", checkpoint=path, checkpoint_every=3,
             **SETTINGS)
    assert len(ClassifierNN.load(path).costs) == 6
    assert [p.name for p in tmp_path.iterdir()] == ["every3.npz"]  # no temporary files left
    plain = tmp_path / "plain.npz"
    nn.save(plain)
    assert ClassifierNN.load(plain).optimizer is None  # a plain save holds no training state


def test_checkpoint_arguments_are_checked(tmp_path):
    X, y = problem()
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match="checkpoint_every"):
        nn.train(X, y, num_epochs=1, checkpoint=tmp_path / "c.npz", checkpoint_every=0,
                 print_cost=False)
    with pytest.raises(TypeError, match="checkpoint"):
        nn.train(X, y, num_epochs=1, checkpoint=3, print_cost=False)


@pytest.mark.parametrize("damage", [
    lambda state: state.update(optimizer="no such optimizer"),
    lambda state: state.update(t=-1),
    lambda state: state.update(t=2 ** 60),  # beyond the 2**53 steps a checkpoint may count
    lambda state: state.update(epoch=-3),
    lambda state: state.update(callbacks=["not", "an", "object"]),
    lambda state: state.update(rng={"bit_generator": "Nope"}),
    lambda state: state.update(costs="many"),
    lambda state: state.pop("beta2"),
    lambda state: state.update(learning_rate=-1.0),
])
def test_a_damaged_training_state_is_refused(tmp_path, damage):
    X, y = problem()
    path = tmp_path / "c.npz"
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=1, optimizer="adam", checkpoint=path, **SETTINGS)
    model, metadata = load_with_metadata(path)
    damage(metadata["training_state"])
    save(model, path, metadata=metadata)
    with pytest.raises(ValueError, match="is not a (valid )?scratchnn model file"):
        ClassifierNN.load(path)


@pytest.mark.parametrize("name,value", [("optimizer_s", -1.0)])
def test_impossible_moments_are_refused_at_load(tmp_path, name, value):
    X, y = problem()
    path = tmp_path / "c.npz"
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=1, optimizer="adam", checkpoint=path, **SETTINGS)
    model, metadata = load_with_metadata(path)
    metadata[name] = metadata[name].copy()
    metadata[name][3] = value
    save(model, path, metadata=metadata)
    with pytest.raises(ValueError, match=f"not a valid scratchnn model file.*{name}"):
        ClassifierNN.load(path)


def test_moments_of_the_wrong_shape_are_refused(tmp_path):
    X, y = problem()
    path = tmp_path / "c.npz"
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=1, optimizer="adam", checkpoint=path, **SETTINGS)
    model, metadata = load_with_metadata(path)
    metadata["optimizer_v"] = metadata["optimizer_v"][:-1]
    save(model, path, metadata=metadata)
    with pytest.raises(ValueError, match="training state is damaged"):
        ClassifierNN.load(path)


CHILD = textwrap.dedent("""
    import io, os, sys, time
    import numpy as np
    from scratchnn import ClassifierNN

    path, phase = sys.argv[1], sys.argv[2]
    saves = {"n": 0}
    real_savez, real_replace = np.savez, os.replace

    def slow_savez(f, **arrays):  # the second checkpoint stalls halfway through its bytes
        saves["n"] += 1
        buffer = io.BytesIO()
        real_savez(buffer, **arrays)
        data = buffer.getvalue()
        if saves["n"] == 2 and phase == "write":
            f.write(data[: len(data) // 2])
            f.flush()
            print("STALLED", flush=True)
            time.sleep(120)
        f.write(data)

    def slow_replace(src, dst):  # ... or between writing its file and renaming it
        if saves["n"] == 2 and phase == "rename":
            print("STALLED", flush=True)
            time.sleep(120)
        real_replace(src, dst)

    np.savez, os.replace = slow_savez, slow_replace
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 64))
    y = (X[0] > 0).astype(int).reshape(1, -1)
    nn = ClassifierNN([3, 8, 1], ["relu", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=5, optimizer="adam", checkpoint=path, print_cost=False)
""")


@pytest.mark.parametrize("phase", ["write", "rename"])
def test_sigkill_mid_checkpoint_leaves_the_previous_one_loadable(tmp_path, phase):
    path = tmp_path / "checkpoint.npz"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path), phase], env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "STALLED"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    model = ClassifierNN.load(path)  # the first checkpoint, whole
    assert len(model.costs) == 1 and model.optimizer.t == 1  # 64 examples: one batch per epoch
    X = np.random.default_rng(1).standard_normal((3, 4))
    assert np.all(np.isfinite(model.predict_proba(X)))


# --------------------------------------------------------------------------- restore_checkpoint
@pytest.fixture(scope="module")
def adam_checkpoint(tmp_path_factory):
    """A checkpoint after one epoch of Adam (moments ``v`` and ``s``, the sum of squares)."""
    X, y = problem()
    path = tmp_path_factory.mktemp("adam") / "c.npz"
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=1, optimizer="adam", checkpoint=path, **SETTINGS)
    return path


def checkpoint_parts(path):
    """The model (no training state yet) and the metadata of the checkpoint at ``path``."""
    model, metadata = load_with_metadata(path)
    assert model.optimizer is None
    return model, metadata


def edit_state(**changes):
    def damage(metadata):
        metadata["training_state"].update(changes)
    return damage


def edit_moment(name, change):
    def damage(metadata):
        metadata[name] = change(metadata[name].copy())
    return damage


def set_first(value):
    def change(moment):
        moment[0] = value
        return moment
    return change


@pytest.mark.parametrize("damage,error,message", [
    pytest.param(lambda metadata: metadata.update(training_state=[1, 2]),
                 TypeError, r"^training_state is not an object$", id="state-not-a-dict"),
    pytest.param(edit_state(learning_rate=0.0), ValueError,
                 r"^learning_rate must be in \(0, inf\), got 0$", id="learning_rate-0"),
    pytest.param(edit_state(beta1=1.0), ValueError, r"^beta1 must be in \[0, 1\), got 1$",
                 id="beta1-1"),
    pytest.param(edit_state(beta1=-0.5), ValueError, r"^beta1 must be in \[0, 1\), got -0.5$",
                 id="beta1-negative"),
    pytest.param(edit_state(beta2=1.0), ValueError, r"^beta2 must be in \[0, 1\), got 1$",
                 id="beta2-1"),
    pytest.param(edit_state(beta2=-0.5), ValueError, r"^beta2 must be in \[0, 1\), got -0.5$",
                 id="beta2-negative"),
    pytest.param(edit_state(epsilon=0.0), ValueError,
                 r"^epsilon must be in \(0, inf\), got 0$", id="epsilon-0"),
    pytest.param(edit_state(t=-1), ValueError, r"^t must be >= 0, got -1$", id="t-negative"),
    pytest.param(edit_state(t=2 ** 53 + 1), ValueError,
                 r"^t must be <= 9007199254740992, got 9007199254740993$", id="t-too-large"),
    pytest.param(edit_state(epoch=-1), ValueError, r"^epoch must be >= 0, got -1$",
                 id="epoch-negative"),
    pytest.param(edit_state(epoch=2 ** 53 + 1), ValueError,
                 r"^epoch must be <= 9007199254740992, got 9007199254740993$",
                 id="epoch-too-large"),
    pytest.param(edit_moment("optimizer_v", lambda v: v.astype(np.float32)), ValueError,
                 r"^optimizer_v must be float64 of shape \(\d+,\)$", id="moment-dtype"),
    pytest.param(edit_moment("optimizer_v", set_first(np.nan)), ValueError,
                 r"^optimizer_v holds NaN or infinite values$", id="moment-nan"),
    pytest.param(edit_moment("optimizer_s", set_first(-1e-12)), ValueError,
                 r"^optimizer_s \(a sum of squared gradients\) holds negative values$",
                 id="sum-of-squares-negative"),
    pytest.param(edit_state(callbacks=["not", "an", "object"]), TypeError,
                 r"^callbacks is not an object of objects$", id="callbacks-a-list"),
    pytest.param(edit_state(costs=""), TypeError, r"^costs is not a list of numbers$",
                 id="costs-a-string"),
    pytest.param(edit_state(costs=[0.5, True]), TypeError, r"^costs is not a list of numbers$",
                 id="costs-holding-a-bool"),
])
def test_restore_names_what_is_damaged_and_leaves_the_model_alone(adam_checkpoint, damage,
                                                                  error, message):
    """``restore_checkpoint`` refuses each damaged part of a training state with an error whose
    message starts with that part's name (``load`` quotes it), and changes nothing."""
    model, metadata = checkpoint_parts(adam_checkpoint)
    damage(metadata)
    with pytest.raises(error, match=message):
        restore_checkpoint(model, metadata)
    assert model.optimizer is None and model.costs == []


def test_restore_accepts_the_edges_of_a_valid_state(adam_checkpoint):
    """Values on the closed edges (``beta = 0``, step and epoch 0, a sum of squares holding 0)
    and a state written before epochs and callbacks were saved are restored as they are, with
    the stored hyperparameters, not the optimizer's defaults."""
    model, metadata = checkpoint_parts(adam_checkpoint)
    state = metadata["training_state"]
    state.update(learning_rate=0.125, beta1=0.0, beta2=0.0, epsilon=0.5, t=0)
    del state["epoch"], state["callbacks"]
    metadata["optimizer_s"] = metadata["optimizer_s"].copy()
    metadata["optimizer_s"][0] = 0.0
    restore_checkpoint(model, metadata)
    optimizer = model.optimizer
    assert (optimizer.learning_rate, optimizer.beta1, optimizer.beta2, optimizer.epsilon) == (
        0.125, 0.0, 0.0, 0.5)
    assert optimizer.t == 0 and optimizer.epoch == 0 and optimizer.callback_states == {}
    np.testing.assert_array_equal(optimizer.stored_moments["s"], metadata["optimizer_s"])
    assert model.costs == state["costs"]


def test_a_callbacks_kept_weights_travel_through_a_checkpoint(larger_problem, tmp_path):
    """EarlyStopping's state holds the best epoch's weights (an array): a run of 10 epochs,
    checkpointed, loaded and resumed for 10 more ends exactly like one run of 20, with the weights
    of the best epoch (in the first half) put back."""
    X, y = larger_problem
    common = dict(optimizer="adam", learning_rate=0.05, batch_size=64, print_cost=False,
                  validation_data=(X[:, :80], 1 - y[:, :80]))  # flipped: val_loss soon rises
    whole = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=2)
    stopper = EarlyStopping("val_loss", patience=100)
    whole.train(X, y, num_epochs=20, callbacks=[stopper], **common)
    assert stopper.best_epoch <= 10 and stopper.stopped_epoch is None

    path = tmp_path / "checkpoint.npz"
    first = ClassifierNN([3, 6, 1], ["tanh", "sigmoid"], seed=2)
    first.train(X, y, num_epochs=10, callbacks=[EarlyStopping("val_loss", patience=100)],
                checkpoint=path, **common)
    saved = first.optimizer.callback_states["EarlyStopping"]["best_theta"]
    resumed = ClassifierNN.load(path)
    np.testing.assert_array_equal(
        resumed.optimizer.callback_states["EarlyStopping"]["best_theta"], saved)
    resumed.train(X, y, num_epochs=10, resume=True,
                  callbacks=[EarlyStopping("val_loss", patience=100)], **common)
    np.testing.assert_array_equal(resumed.theta, whole.theta)


# --------------------------------------------------------------------------- callback states
@pytest.fixture(scope="module")
def callback_checkpoint(tmp_path_factory):
    """A checkpoint after 4 epochs of Adam with every callback that keeps a state."""
    X, y = problem()
    folder = tmp_path_factory.mktemp("callbacks")
    path = folder / "c.npz"
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], batch_norm=True, seed=0)
    nn.train(X, y, num_epochs=4, optimizer="adam", checkpoint=path,
             callbacks=[EarlyStopping("loss", patience=50), ReduceLROnPlateau("loss"),
                        CSVLogger(folder / "log.csv"), ModelCheckpoint(folder / "best.npz",
                                                                       monitor="loss")],
             **SETTINGS)
    return path


def callback_state(key, **changes):
    """Change fields of the stored state of callback ``key`` (arrays: the members that hold
    them)."""
    def damage(metadata):
        saved = metadata["training_state"]["callbacks"][key]
        for name, value in changes.items():
            if isinstance(saved.get(name), dict) and "array" in saved[name]:
                metadata[saved[name]["array"]] = value(metadata[saved[name]["array"]])
            else:
                saved[name] = value
    return damage


@pytest.mark.parametrize("damage,error,message", [
    pytest.param(callback_state("EarlyStopping", best_theta=lambda theta: np.full(1, 0.25)),
                 ValueError, r"^EarlyStopping state best_theta must be float64 of shape \(\d+,\) "
                             r"\(the model's\), got float64 of shape \(1,\)$",
                 id="best-weights-of-one-value"),
    pytest.param(callback_state("EarlyStopping",
                                best_theta=lambda theta: np.concatenate([theta, theta])),
                 ValueError, r"^EarlyStopping state best_theta must be float64 of shape",
                 id="best-weights-too-long"),
    pytest.param(callback_state("EarlyStopping", best_running_var1=lambda v: -v),
                 ValueError, r"^EarlyStopping state best_running_var1 holds negative variances$",
                 id="best-running-variance-negative"),
    pytest.param(callback_state("EarlyStopping", wait=-10 ** 9), ValueError,
                 r"^EarlyStopping state wait must be >= 0, got -1000000000$", id="wait-negative"),
    pytest.param(callback_state("EarlyStopping", wait=5), ValueError,
                 r"^EarlyStopping state wait must be <= 4, got 5$", id="wait-beyond-the-epochs"),
    pytest.param(callback_state("EarlyStopping", wait=1.5), TypeError,
                 r"^EarlyStopping state wait must be an integer, got 1.5$", id="wait-a-float"),
    pytest.param(callback_state("EarlyStopping", best_epoch=0), ValueError,
                 r"^EarlyStopping state best_epoch must be >= 1, got 0$", id="best-epoch-0"),
    pytest.param(callback_state("EarlyStopping", best="low"), TypeError,
                 r"^EarlyStopping state best must be a real number, got 'low'$",
                 id="best-a-string"),
    pytest.param(callback_state("EarlyStopping", best_epoch=None), ValueError,
                 r"^EarlyStopping state best_epoch must name the epoch of best", id="best-epoch-lost"),
    pytest.param(callback_state("ReduceLROnPlateau", learning_rate=-0.5), ValueError,
                 r"^ReduceLROnPlateau state learning_rate must be in \(0, inf\), got -0.5$",
                 id="rate-negative"),
    pytest.param(callback_state("ReduceLROnPlateau", learning_rate="fast"), TypeError,
                 r"^ReduceLROnPlateau state learning_rate must be a real number, got 'fast'$",
                 id="rate-a-string"),
    pytest.param(callback_state("ReduceLROnPlateau", learning_rate=1e300), ValueError,
                 r"^ReduceLROnPlateau state learning_rate 1e\+300 is above the checkpoint's "
                 r"learning_rate 0.05", id="rate-above-the-checkpoints"),
    pytest.param(callback_state("ReduceLROnPlateau", num_bad_epochs=-1), ValueError,
                 r"^ReduceLROnPlateau state num_bad_epochs must be >= 0, got -1$",
                 id="bad-epochs-negative"),
    pytest.param(callback_state("ReduceLROnPlateau", cooldown_counter=2 ** 60), ValueError,
                 r"^ReduceLROnPlateau state cooldown_counter must be <= 9007199254740992",
                 id="cooldown-absurd"),
    pytest.param(callback_state("ReduceLROnPlateau", best=True), TypeError,
                 r"^ReduceLROnPlateau state best must be a real number, got True$",
                 id="plateau-best-a-bool"),
    pytest.param(callback_state("CSVLogger", rows=-3), ValueError,
                 r"^CSVLogger state rows must be >= 0, got -3$", id="rows-negative"),
    pytest.param(callback_state("CSVLogger", rows=10 ** 6), ValueError,
                 r"^CSVLogger state rows must be <= 4, got 1000000$", id="rows-beyond-the-epochs"),
    pytest.param(callback_state("ModelCheckpoint", best=[0.5]), TypeError,
                 r"^ModelCheckpoint state best must be a real number, got \[0.5\]$",
                 id="checkpoint-best-a-list"),
    pytest.param(callback_state("CSVLogger", extra=1), ValueError,
                 r"^CSVLogger state has an unknown field 'extra'$", id="unknown-field"),
])
def test_callback_states_are_checked_whole_at_load(callback_checkpoint, tmp_path, damage, error,
                                                   message):
    """Every field of a callback's saved state is checked by the class that owns it, against the
    model (shapes, dtype) and the checkpoint (epochs, learning rate), when the checkpoint is
    loaded: ``restore_checkpoint`` names the callback and the field and leaves the model alone,
    and ``load`` refuses the file, before any training."""
    model, metadata = checkpoint_parts(callback_checkpoint)
    damage(metadata)
    with pytest.raises(error, match=message):
        restore_checkpoint(model, metadata)
    assert model.optimizer is None and model.costs == []
    path = tmp_path / "damaged.npz"
    save(model, path, metadata=metadata)
    with pytest.raises(ValueError, match=r"training state is damaged \((EarlyStopping|"
                                         r"ReduceLROnPlateau|CSVLogger|ModelCheckpoint) state"):
        ClassifierNN.load(path)


def test_a_valid_callback_checkpoint_loads_and_resumes(callback_checkpoint):
    """The undamaged checkpoint of the test above loads, with each state as it was saved."""
    model = ClassifierNN.load(callback_checkpoint)
    states = model.optimizer.callback_states
    assert sorted(states) == ["CSVLogger", "EarlyStopping", "ModelCheckpoint",
                              "ReduceLROnPlateau"]
    assert states["CSVLogger"] == {"rows": 4}
    assert states["EarlyStopping"]["best_theta"].shape == model.theta.shape


def test_set_state_checks_the_state_as_load_does():
    """A state handed to ``set_state`` in memory is checked as a loaded one is: a ``(1,)``
    array would otherwise be broadcast into every parameter at the end of ``train``."""
    model = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    stopper = EarlyStopping("loss")
    stopper.on_train_begin(model)
    with pytest.raises(ValueError, match=r"^EarlyStopping state best_theta must be float64 of "
                                         r"shape \(21,\)"):
        stopper.set_state({"best": 0.5, "best_epoch": 1, "wait": 0,
                           "best_theta": np.full(1, 0.25)})
    plateau = ReduceLROnPlateau("loss")
    plateau.on_train_begin(model)
    with pytest.raises(ValueError, match=r"^ReduceLROnPlateau state learning_rate must be in "):
        plateau.set_state({"best": None, "num_bad_epochs": 0, "cooldown_counter": 0,
                           "learning_rate": -0.5})


def test_a_checkpoint_at_the_largest_epoch_count_loads_but_cannot_train_on(adam_checkpoint,
                                                                          tmp_path):
    """An epoch count of exactly 2**53 is the largest a checkpoint may hold: it loads, but a
    resumed run (whose checkpoints would count past it) is refused before its first epoch, and
    ``save_checkpoint`` refuses a count that ``load`` would refuse."""
    model, metadata = checkpoint_parts(adam_checkpoint)
    metadata["training_state"]["epoch"] = 2 ** 53
    path = tmp_path / "edge.npz"
    save(model, path, metadata=metadata)
    edge = ClassifierNN.load(path)
    assert edge.optimizer.epoch == 2 ** 53
    theta = edge.theta.copy()
    X, y = problem()
    with pytest.raises(ValueError, match=r"^resume=True cannot train 1 more epochs: the epoch "
                                         r"count is already 9007199254740992"):
        edge.train(X, y, num_epochs=1, optimizer="adam", resume=True, **SETTINGS)
    np.testing.assert_array_equal(edge.theta, theta)
    edge.optimizer.epoch = 2 ** 53 + 1
    with pytest.raises(ValueError, match=r"^cannot save a checkpoint to .*: epoch must be <= "
                                         r"9007199254740992"):
        save_checkpoint(edge, tmp_path / "beyond.npz", edge.costs)
    assert not (tmp_path / "beyond.npz").exists()


def test_a_checkpoint_is_not_written_with_a_state_load_would_refuse(tmp_path):
    """``save_checkpoint`` checks the callbacks' states as ``load`` will."""
    X, y = problem()
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    nn.train(X, y, num_epochs=2, optimizer="adam", callbacks=[CSVLogger(tmp_path / "log.csv")],
             **SETTINGS)
    nn.optimizer.callback_states["CSVLogger"]["rows"] = -3
    with pytest.raises(ValueError, match=r"^cannot save a checkpoint to .*: CSVLogger state rows "
                                         r"must be >= 0, got -3$"):
        save_checkpoint(nn, tmp_path / "c.npz", nn.costs)
    assert not (tmp_path / "c.npz").exists()
