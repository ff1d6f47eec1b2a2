"""Model files are data, never code: 500+ mutated files either load identically or are refused.

Every mutation of a real model file (a checkpoint with batch norm, optimizer moments and a
generator state, the richest file we write) must either load into a model that predicts
bit-identically, or raise the one ValueError that names the file. During all of it, nothing may
reach pickle: its entry points are replaced by recorders, and a file carrying a pickled object
whose unpickling would leave a mark is mutated too.
"""

import io
import json
import pickle
import re
import struct
import tracemalloc
import warnings
import zipfile
import zlib

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
            assert re.match(f"{re.escape(str(path))} is not a (valid )?scratchnn model file: ",
                            str(exc))
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
        with pytest.raises(ValueError, match="is not a (valid )?scratchnn model file"):
            ClassifierNN.load(trap)
    assert RAN == [] and pickle_recorder == []


# ---------------------------------------------------------------------------------- hostile layouts
# Files an attacker would craft rather than damage: zip layouts no writer produces, and headers
# made to exhaust the JSON parser. Each must be refused with the one ValueError naming the file,
# before any member's data is read.
def local_header(name, data):
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, zlib.crc32(data), len(data),
                       len(data), len(name), 0) + name


def central_entry(name, data, offset):
    return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, zlib.crc32(data),
                       len(data), len(data), len(name), 0, 0, 0, 0, 0, offset) + name


def end_record(entries, directory_size, directory_offset):
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, directory_size,
                       directory_offset, 0)


def overlapping_zip(n_members, kernel):
    """A stored zip whose member k's local header lies inside member k-1's data.

    Built back to front: each member's data is the next member's local header and data, so every
    member "holds" the whole kernel and the declared sizes add up to about n_members times the
    file. The CRCs are right: a reader that trusts the layout reads every member in full.
    """
    names = [f"m{k:05d}.npy".encode() for k in range(n_members)]
    body, members = kernel, []
    for name in reversed(names):
        members.append((name, body))
        body = local_header(name, body) + body
    members.reverse()
    offset, directory = 0, b""
    for name, data in members:
        directory += central_entry(name, data, offset)
        offset += 30 + len(name)
    return body + directory + end_record(n_members, len(directory), len(body))


def with_header_text(raw, text):
    """The model file ``raw`` with its JSON header replaced by ``text`` (re-zipped, CRCs right)."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    members = {info.filename: source.read(info) for info in source.infolist()}
    header = io.BytesIO()
    np.save(header, np.frombuffer(text.encode(), dtype=np.uint8))
    members["header.npy"] = header.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


def with_duplicate(raw, name):
    """The model file ``raw`` with a second member called ``name`` appended."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    members = [(info.filename, source.read(info)) for info in source.infolist()]
    members.append((name, dict(members)[name]))
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns "Duplicate name"
        with zipfile.ZipFile(out, "w") as target:
            for member, data in members:
                target.writestr(member, data)
    return out.getvalue()


def hostile_files(raw):
    """(label, bytes, expected reason) for each hostile variant of the model file ``raw``."""
    header = json.loads(np.load(io.BytesIO(raw))["header"].tobytes())
    text = json.dumps(header)
    yield ("overlapping members", overlapping_zip(200, b"\x00" * 4096), "declare")
    yield ("overlapping members, small sizes", overlapping_zip(2, b"\x00" * 8), "overlaps")
    yield ("duplicate theta", with_duplicate(raw, "theta.npy"), "duplicate members")
    yield ("duplicate header", with_duplicate(raw, "header.npy"), "duplicate members")
    yield ("header nested 5000 deep",
           with_header_text(raw, text[:-1] + ', "deep": ' + "[" * 5000 + "]" * 5000 + "}"),
           "nests more than")
    yield ("header nested 5000 deep, unclosed", with_header_text(raw, '{"a": ' * 5000),
           "nests more")
    yield ("unterminated string of escaped quotes",
           with_header_text(raw, '{"a": "' + '\\"' * 100_000), "not JSON")
    yield ("5000-digit integer",
           with_header_text(raw, text[:-1] + ', "big": ' + "7" * 5000 + "}"), "5000 digits")
    yield ("5000-digit layer size",
           with_header_text(raw, text.replace('"layer_dims": [', '"layer_dims": [' + "9" * 5000
                                              + ", ", 1)), "5000 digits")
    yield ("number beyond float", with_header_text(raw, text[:-1] + ', "x": 1e999}'),
           "too large for a float")
    moved = bytearray(raw)
    moved[-6:-2] = struct.pack("<L", len(raw) * 4)  # the directory said to lie beyond the end
    yield ("members outside the file", bytes(moved), "outside the file")


def test_hostile_layouts_and_headers_are_refused_naming_the_file(tmp_path, checkpoint_bytes,
                                                                 pickle_recorder):
    raw, _ = checkpoint_bytes
    path = tmp_path / "hostile.npz"
    labels = []
    for label, data, reason in hostile_files(raw):
        path.write_bytes(data)
        with pytest.raises(ValueError) as info:
            ClassifierNN.load(path)
        message = str(info.value)
        assert re.match(f"{re.escape(str(path))} is not a (valid )?scratchnn model file: ",
                        message), (label, message)
        assert reason in message, (label, message)
        labels.append(label)
    assert len(labels) == 11 and pickle_recorder == []


def test_overlapping_members_cost_no_more_memory_than_the_file(tmp_path):
    # 300 members "each" holding the same 256 KiB: a reader that trusts the layout allocates
    # about 75 MiB for a file of 285 KiB.
    path = tmp_path / "overlap.npz"
    path.write_bytes(overlapping_zip(300, b"\x00" * (256 << 10)))
    would_be = 300 * (256 << 10)
    assert path.stat().st_size < would_be // 250
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="declare"):
            ClassifierNN.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * path.stat().st_size  # not a fraction of the would-be 75 MiB
