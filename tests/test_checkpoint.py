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
from scratchnn.io import load_with_metadata, save

ROOT = Path(__file__).resolve().parents[1]


def problem(m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, m))
    return X, (X[0] * X[1] > 0).astype(int).reshape(1, -1)


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
