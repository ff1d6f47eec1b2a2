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
from scratchnn.callbacks import EarlyStopping
from scratchnn.io import load_with_metadata, save
from scratchnn.training import restore_checkpoint

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
