"""Model files are data, never code: 500+ mutated files either load identically or are refused.

Every mutation of a real model file (a checkpoint with batch norm, optimizer moments and a
generator state, the richest file we write) must either load into a model that predicts
bit-identically, or raise the one ValueError that names the file. During all of it, nothing may
reach pickle: its entry points are replaced by recorders, and a file carrying a pickled object
whose unpickling would leave a mark is mutated too.
"""

import pickle

import numpy as np
import pytest

from scratchnn import ClassifierNN

N_MUTATIONS = 520
X_PROBE = np.random.default_rng(99).standard_normal((3, 6))


RAN = []


def leave_mark(text):
    RAN.append(text)


class Mark:
    """Unpickling this object calls :func:`leave_mark`: code ran."""

    def __reduce__(self):
        return (leave_mark, ("unpickled",))


@pytest.fixture(scope="module")
def checkpoint_bytes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 40))
    y = rng.integers(0, 3, (1, 40))
    nn = ClassifierNN([3, 5, 3], ["tanh", "softmax"], batch_norm=True, seed=0)
    path = folder / "model.npz"
    nn.train(X, y, loss="SparseCategoricalCrossEntropy", num_epochs=2, optimizer="adam",
             batch_size=16, print_cost=False, checkpoint=path)
    return path.read_bytes(), nn


def assert_same_model(model, expected):
    """Everything a checkpoint restores is equal, bit for bit: the configuration, parameters,
    batch-norm statistics, optimizer (kind, step count, hyperparameters, moments), generator
    state and costs, and so the predictions."""
    assert model.get_config() == expected.get_config()
    np.testing.assert_array_equal(model.theta, expected.theta)
    assert model.theta.dtype == expected.theta.dtype
    assert model.bn_state.keys() == expected.bn_state.keys()
    for name, value in expected.bn_state.items():
        np.testing.assert_array_equal(model.bn_state[name], value)
    optimizer, reference = model.optimizer, expected.optimizer
    assert (optimizer.name, optimizer.t) == (reference.name, reference.t)
    assert [optimizer.learning_rate, optimizer.beta1, optimizer.beta2, optimizer.epsilon] == [
        reference.learning_rate, reference.beta1, reference.beta2, reference.epsilon]
    assert optimizer.stored_moments.keys() == reference.stored_moments.keys()
    for name, value in reference.stored_moments.items():
        np.testing.assert_array_equal(optimizer.stored_moments[name], value)
        assert optimizer.stored_moments[name].dtype == value.dtype
    assert model.rng.bit_generator.state == expected.rng.bit_generator.state
    assert model.costs == expected.costs
    np.testing.assert_array_equal(model.predict_proba(X_PROBE), expected.predict_proba(X_PROBE))


def mutate(raw, rng):
    raw = bytearray(raw)
    kind = rng.integers(4)
    position = int(rng.integers(len(raw)))
    if kind == 0:  # flip one bit
        raw[position] ^= 1 << int(rng.integers(8))
    elif kind == 1:  # overwrite a run of bytes
        length = int(rng.integers(1, 16))
        raw[position:position + length] = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
    elif kind == 2:  # truncate
        del raw[position:]
    else:  # insert bytes
        raw[position:position] = rng.integers(0, 256, int(rng.integers(1, 8)),
                                              dtype=np.uint8).tobytes()
    return bytes(raw)


@pytest.fixture
def pickle_recorder(monkeypatch):
    calls = []
    for name in ("load", "loads", "Unpickler"):
        original = getattr(pickle, name)

        def record(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(pickle, name, record)
    return calls


def test_mutated_model_files_load_identically_or_are_refused(tmp_path, checkpoint_bytes,
                                                             pickle_recorder):
    raw, expected = checkpoint_bytes
    path = tmp_path / "mutated.npz"
    path.write_bytes(raw)
    assert_same_model(ClassifierNN.load(path), expected)  # the unmutated file: all of it
    rng = np.random.default_rng(2026)
    outcomes = {"identical": 0, "refused": 0}
    for _ in range(N_MUTATIONS):
        path.write_bytes(mutate(raw, rng))
        try:
            model = ClassifierNN.load(path)
        except ValueError as exc:
            assert str(exc).startswith(f"{path} is not a valid scratchnn model file")
            outcomes["refused"] += 1
            continue
        assert_same_model(model, expected)
        outcomes["identical"] += 1
    assert sum(outcomes.values()) == N_MUTATIONS
    assert outcomes["refused"] > N_MUTATIONS // 2  # the mutations really do damage
    assert pickle_recorder == []


def test_a_pickle_inside_a_model_file_never_runs(tmp_path, checkpoint_bytes, pickle_recorder):
    import zipfile

    raw, _ = checkpoint_bytes
    base = tmp_path / "base.npz"
    base.write_bytes(raw)
    trap = tmp_path / "trap.npz"
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(trap, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        with target.open("trap.npy", "w") as member:  # an extra, pickled member ...
            np.save(member, np.array([Mark()], dtype=object), allow_pickle=True)
    trap_bytes = trap.read_bytes()
    # ... which does run when NumPy is allowed to unpickle, so the trap is real:
    with np.load(trap, allow_pickle=True) as files:
        files["trap"]
    assert RAN == ["unpickled"]
    RAN.clear()
    pickle_recorder.clear()

    rng = np.random.default_rng(7)
    for attempt in range(200):
        data = trap_bytes if attempt == 0 else mutate(trap_bytes, rng)
        trap.write_bytes(data)
        with pytest.raises(ValueError, match="not a valid scratchnn model file"):
            ClassifierNN.load(trap)
    assert RAN == [] and pickle_recorder == []
