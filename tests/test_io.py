"""Model files: exact round trips, atomic saves, and loads that reject anything not ours.

``ClassifierNN.save`` writes an ``.npz`` (a JSON header plus the flat parameter buffer and the
batch-norm running statistics) through a temporary file that is renamed into place, and
``ClassifierNN.load`` reads it back with ``allow_pickle=False``, validating every array against the
header. Anything else must raise ``ValueError`` naming the file, never unpickle or build a broken
model.
"""

import json
import os
import re
import struct
import zipfile

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn import io as scratch_io
from scratchnn.archive import MAX_NPY_HEADER_BYTES

# A damaged model "is not a valid scratchnn model file"; something that is no model at all (not a
# zip archive, no header, another format) "is not a scratchnn model file". Both name the file.
INVALID = "is not a (valid )?scratchnn model file: "


# ---------------------------------------------------------------------------------- helpers
def make_data(n_features, m=40, seed=0):
    X = np.random.default_rng(seed).standard_normal((n_features, m))
    return X


def trained_model(kind="plain"):
    if kind == "plain":
        nn = ClassifierNN([3, 5, 1], ["relu", "sigmoid"], seed=0)
        X = make_data(3)
        nn.train(X, (X[0:1] > 0).astype(float), num_epochs=5, learning_rate=0.1,
                 print_cost=False)
    elif kind == "batch_norm":
        nn = ClassifierNN([3, 6, 4, 3], ["relu", "tanh", "softmax"], batch_norm=True, seed=1,
                          initialization_method="xavier")
        X = make_data(3) * 2.0 + 0.7  # shifted, so the running statistics move away from 0 and 1
        y = np.argmax(X, axis=0).reshape(1, -1)
        nn.train(X, y, loss="SparseCategoricalCrossEntropy", num_epochs=6, batch_size=8,
                 learning_rate=0.05, optimizer="adam", print_cost=False)
    elif kind == "float32":
        nn = ClassifierNN([3, 5, 2], ["leaky_relu", "sigmoid"], seed=2, dtype="float32")
        X = make_data(3).astype(np.float32)
        Y = np.vstack([X[0:1] > 0, X[1:2] > 0]).astype(np.float32)
        nn.train(X, Y, num_epochs=5, learning_rate=0.1, optimizer="momentum", print_cost=False)
    else:  # pragma: no cover
        raise AssertionError(kind)
    return nn


@pytest.fixture(scope="module")
def plain_file(tmp_path_factory):
    nn = trained_model("plain")
    path = tmp_path_factory.mktemp("plain") / "model.npz"
    nn.save(path)
    return nn, path


def read_arrays(path):
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def header_of(arrays):
    return json.loads(arrays["header"].tobytes().decode("utf-8"))


def encode_header(header):
    return np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)


def write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def assert_invalid(path):
    with pytest.raises(ValueError, match=INVALID) as info:
        ClassifierNN.load(path)
    assert os.fspath(path) in str(info.value)
    return info.value


# ---------------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("kind", ["plain", "batch_norm", "float32"])
@pytest.mark.parametrize("as_str", [False, True])
def test_round_trip_predicts_bit_identically(tmp_path, kind, as_str):
    nn = trained_model(kind)
    if kind == "batch_norm":
        # The running statistics were trained: they are far from their initial 0 and 1.
        assert any(np.abs(v).max() > 0.1 for k, v in nn.bn_state.items() if "mean" in k)
        assert any(np.abs(v - 1).max() > 0.1 for k, v in nn.bn_state.items() if "var" in k)
    path = tmp_path / "model.npz"
    nn.save(str(path) if as_str else path)
    loaded = ClassifierNN.load(str(path) if as_str else path)

    assert loaded.layer_dims == nn.layer_dims
    assert loaded.activations == nn.activations
    assert loaded.batch_norm == nn.batch_norm
    assert loaded.compute_dtype == nn.compute_dtype
    assert loaded.initialization_method == nn.initialization_method
    assert np.array_equal(loaded.theta, nn.theta) and loaded.theta.dtype == nn.theta.dtype
    assert set(loaded.parameters) == set(nn.parameters)
    assert set(loaded.bn_state) == set(nn.bn_state)
    for name, value in nn.bn_state.items():
        assert np.array_equal(loaded.bn_state[name], value)
        assert loaded.bn_state[name].dtype == value.dtype

    X = make_data(nn.n_features, m=25, seed=7)
    if kind == "float32":
        X = X.astype(np.float32)
    proba = nn.predict_proba(X)
    assert np.array_equal(loaded.predict_proba(X), proba)
    assert loaded.predict_proba(X).dtype == proba.dtype
    assert np.array_equal(loaded.predict(X), nn.predict(X))


def test_loaded_model_is_independent_and_trainable(plain_file):
    nn, path = plain_file
    loaded = ClassifierNN.load(path)
    X = make_data(3, seed=3)
    Y = (X[0:1] > 0).astype(float)
    before = nn.theta.copy()
    _, costs = loaded.train(X, Y, num_epochs=3, learning_rate=0.1, print_cost=False)
    assert np.all(np.isfinite(costs))
    assert not np.array_equal(loaded.theta, before)
    assert np.array_equal(nn.theta, before)  # training the copy leaves the original alone


def test_save_keeps_the_given_name_without_adding_a_suffix(tmp_path):
    nn = trained_model("plain")
    path = tmp_path / "model.bin"
    nn.save(path)
    assert sorted(os.listdir(tmp_path)) == ["model.bin"]
    X = make_data(3)
    assert np.array_equal(ClassifierNN.load(path).predict_proba(X), nn.predict_proba(X))


def test_saved_file_holds_no_pickled_objects(plain_file):
    _, path = plain_file
    arrays = read_arrays(path)  # allow_pickle=False: would raise on an object array
    assert all(a.dtype != object for a in arrays.values())
    header = header_of(arrays)
    assert header["format"] == scratch_io.FORMAT
    assert header["format_version"] == scratch_io.FORMAT_VERSION


# ---------------------------------------------------------------------------------- atomic save
def test_save_leaves_no_temporary_files(tmp_path):
    nn = trained_model("plain")
    path = tmp_path / "model.npz"
    nn.save(path)
    nn.save(path)  # overwriting goes through a temporary file too
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_overwrites_an_existing_file(tmp_path):
    path = tmp_path / "model.npz"
    first = trained_model("plain")
    first.save(path)
    second = trained_model("float32")
    second.save(path)
    loaded = ClassifierNN.load(path)
    assert loaded.layer_dims == second.layer_dims and loaded.compute_dtype == np.float32


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_failing_save_leaves_the_existing_file_untouched(tmp_path, monkeypatch, error):
    path = tmp_path / "model.npz"
    trained_model("plain").save(path)
    original = path.read_bytes()

    def broken_savez(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a zip")  # something was already written when it fails
        raise error

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(type(error)):
        trained_model("batch_norm").save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["model.npz"]


def test_failing_save_to_a_new_name_creates_nothing(tmp_path, monkeypatch):
    def broken_savez(file, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        trained_model("plain").save(tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_save_into_a_missing_folder_raises_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        trained_model("plain").save(tmp_path / "missing" / "model.npz")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------- bad files
def test_load_of_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        ClassifierNN.load(tmp_path / "nope.npz")


def test_load_rejects_a_text_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_text("layer_dims: [3, 5, 1]\nthis is not a model\n")
    assert_invalid(path)


def test_load_rejects_an_empty_file(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"")
    assert_invalid(path)


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.1])
def test_load_rejects_a_truncated_file(tmp_path, plain_file, fraction):
    data = plain_file[1].read_bytes()
    path = tmp_path / "truncated.npz"
    path.write_bytes(data[: int(len(data) * fraction)])
    assert_invalid(path)


def test_load_rejects_a_npy_file(tmp_path, plain_file):
    path = tmp_path / "theta.npy"
    np.save(path, read_arrays(plain_file[1])["theta"])
    error = assert_invalid(path)
    assert "not an .npz archive" in str(error)


class Trap:
    """Unpickling an instance of this class would record it in ``UNPICKLED``."""

    def __reduce__(self):
        return (_record_unpickling, ("trap",))


UNPICKLED = []


def _record_unpickling(tag):
    UNPICKLED.append(tag)
    return tag


def test_load_rejects_pickled_objects_without_unpickling(tmp_path, plain_file):
    arrays = read_arrays(plain_file[1])
    trap = np.empty(1, dtype=object)
    trap[0] = Trap()
    for name in ("theta", "header", "extra"):
        UNPICKLED.clear()
        path = tmp_path / f"pickled-{name}.npz"
        write_npz(path, **{**arrays, name: trap})  # np.savez pickles the object array
        # The file really does contain a pickle that would run the trap.
        with np.load(path, allow_pickle=True) as npz:
            npz[name]
        assert UNPICKLED == ["trap"]
        UNPICKLED.clear()
        assert_invalid(path)
        assert UNPICKLED == [], "load must never unpickle"


@pytest.mark.parametrize("missing", ["theta", "header"])
def test_load_rejects_a_file_missing_an_array(tmp_path, plain_file, missing):
    arrays = read_arrays(plain_file[1])
    del arrays[missing]
    assert_invalid(write_npz(tmp_path / "model.npz", **arrays))


def test_load_rejects_missing_or_extra_running_statistics(tmp_path):
    nn = trained_model("batch_norm")
    nn.save(tmp_path / "bn.npz")
    arrays = read_arrays(tmp_path / "bn.npz")
    missing = dict(arrays)
    del missing["running_var1"]
    assert_invalid(write_npz(tmp_path / "missing.npz", **missing))
    extra = dict(arrays, running_mean9=np.zeros((2, 1)))
    assert_invalid(write_npz(tmp_path / "extra.npz", **extra))
    negative = dict(arrays, running_var2=-arrays["running_var2"])
    assert "negative" in str(assert_invalid(write_npz(tmp_path / "negative.npz", **negative)))
    wrong_shape = dict(arrays, running_mean1=arrays["running_mean1"][:-1])
    assert_invalid(write_npz(tmp_path / "shape.npz", **wrong_shape))
    nan = dict(arrays, running_mean2=np.full_like(arrays["running_mean2"], np.nan))
    assert_invalid(write_npz(tmp_path / "nan.npz", **nan))


def bad_theta_cases():
    return [
        pytest.param(lambda t: t[:-1], id="too-short"),
        pytest.param(lambda t: np.concatenate([t, t[:1]]), id="too-long"),
        pytest.param(lambda t: t.reshape(1, -1), id="2-D"),
        pytest.param(lambda t: t.astype(np.float32), id="wrong-dtype"),
        pytest.param(lambda t: t.astype(np.int64), id="int"),
        pytest.param(lambda t: t.astype(np.complex128), id="complex"),
        pytest.param(lambda t: np.where(np.arange(t.size) == 3, np.nan, t), id="nan"),
        pytest.param(lambda t: np.where(np.arange(t.size) == 0, np.inf, t), id="inf"),
        pytest.param(lambda t: np.array(str(t.tolist())), id="string"),
    ]


@pytest.mark.parametrize("change", bad_theta_cases())
def test_load_rejects_a_bad_theta(tmp_path, plain_file, change):
    arrays = read_arrays(plain_file[1])
    arrays["theta"] = change(arrays["theta"])
    assert_invalid(write_npz(tmp_path / "model.npz", **arrays))


def bad_header_cases():
    def edit(**changes):
        def apply(header):
            header = dict(header)
            for key, value in changes.items():
                if value is KeyError:
                    del header[key]
                else:
                    header[key] = value
            return encode_header(header)

        return apply

    return [
        pytest.param(edit(format="somebody.else"), id="format-name"),
        pytest.param(edit(format=KeyError), id="no-format"),
        pytest.param(edit(format_version=2), id="version-2"),
        pytest.param(edit(format_version="1"), id="version-string"),
        pytest.param(edit(format_version=KeyError), id="no-version"),
        pytest.param(edit(layer_dims=[3, 6, 1]), id="layer-dims-disagree-with-theta"),
        pytest.param(edit(layer_dims=[3, 5, 1, 1]), id="layer-dims-too-long"),
        pytest.param(edit(layer_dims=[3, 0, 1]), id="layer-dims-zero"),
        pytest.param(edit(layer_dims="[3, 5, 1]"), id="layer-dims-string"),
        pytest.param(edit(layer_dims=KeyError), id="no-layer-dims"),
        pytest.param(edit(activations=["relu", "relu"]), id="output-activation"),
        pytest.param(edit(activations=["relu", "bogus"]), id="unknown-activation"),
        pytest.param(edit(activations=KeyError), id="no-activations"),
        pytest.param(edit(batch_norm=True), id="batch-norm-disagrees"),
        pytest.param(edit(batch_norm="false"), id="batch-norm-string"),
        pytest.param(edit(dtype="float32"), id="dtype-disagrees"),
        pytest.param(edit(dtype="int64"), id="dtype-int"),
        pytest.param(edit(dtype="not-a-dtype"), id="dtype-garbage"),
        pytest.param(edit(initialization_method="bogus"), id="init-method"),
        pytest.param(edit(parameters=[["W1", [5, 3]]]), id="parameter-list"),
        pytest.param(edit(parameters=KeyError), id="no-parameter-list"),
        pytest.param(lambda h: encode_header([h]), id="json-list"),
        pytest.param(lambda h: encode_header("scratchnn.ClassifierNN"), id="json-string"),
        pytest.param(lambda h: np.frombuffer(b"\xff\xfe\x00garbage", dtype=np.uint8),
                     id="not-utf8"),
        pytest.param(lambda h: np.frombuffer(b"{not json", dtype=np.uint8), id="not-json"),
        pytest.param(lambda h: np.zeros(0, dtype=np.uint8), id="empty"),
        pytest.param(lambda h: encode_header(h).astype(np.int64), id="wrong-dtype"),
        pytest.param(lambda h: encode_header(h).reshape(1, -1), id="2-D"),
        pytest.param(lambda h: np.array(json.dumps(h)), id="unicode-array"),
    ]


@pytest.mark.parametrize("change", bad_header_cases())
def test_load_rejects_a_bad_header(tmp_path, plain_file, change):
    arrays = read_arrays(plain_file[1])
    arrays["header"] = change(header_of(arrays))
    assert_invalid(write_npz(tmp_path / "model.npz", **arrays))


def test_load_rejects_a_zip_that_is_not_an_npz(tmp_path):
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.npy", b"not an npy file")
        archive.writestr("theta.npy", b"nor this")
    assert_invalid(path)


def test_load_of_a_directory_does_not_build_a_model(tmp_path):
    with pytest.raises((ValueError, OSError)):
        ClassifierNN.load(tmp_path)


# ---------------------------------------------------------------------------------- fuzzing
def test_single_byte_corruptions_are_rejected_or_harmless(tmp_path, plain_file):
    nn, source = plain_file
    data = source.read_bytes()
    X = make_data(3, m=16, seed=11)
    expected = nn.predict_proba(X)
    rng = np.random.default_rng(2024)
    path = tmp_path / "mutated.npz"
    outcomes = {"rejected": 0, "harmless": 0}
    for _ in range(200):
        mutated = bytearray(data)
        position = int(rng.integers(len(data)))
        mutated[position] = (mutated[position] + int(rng.integers(1, 256))) % 256
        path.write_bytes(bytes(mutated))
        try:
            loaded = ClassifierNN.load(path)
        except ValueError as exc:
            assert re.search(INVALID, str(exc))
            outcomes["rejected"] += 1
            continue
        assert np.array_equal(loaded.predict_proba(X), expected), f"byte {position} changed"
        outcomes["harmless"] += 1
    # Most of the file is array data guarded by the zip CRC: most corruptions are caught.
    assert outcomes["rejected"] > 100


def test_header_corruptions_are_rejected_or_harmless(tmp_path, plain_file):
    """Mutate bytes of the JSON header itself (re-zipped, so the CRC is right and only the checks
    of :func:`scratchnn.io.load` stand between the corruption and the model)."""
    nn, source = plain_file
    arrays = read_arrays(source)
    raw = arrays["header"].tobytes()
    X = make_data(3, m=16, seed=12)
    expected = nn.predict_proba(X)
    rng = np.random.default_rng(7)
    path = tmp_path / "mutated.npz"
    for _ in range(60):
        mutated = bytearray(raw)
        position = int(rng.integers(len(raw)))
        mutated[position] = int(rng.integers(32, 127))
        arrays["header"] = np.frombuffer(bytes(mutated), dtype=np.uint8)
        write_npz(path, **arrays)
        try:
            loaded = ClassifierNN.load(path)
        except ValueError as exc:
            assert re.search(INVALID, str(exc))
            continue
        assert np.array_equal(loaded.predict_proba(X), expected), bytes(mutated)


def test_load_accepts_str_pathlike_and_bytes_paths(plain_file):
    nn, path = plain_file
    X = make_data(3)
    for p in (path, str(path), os.fsencode(path)):
        assert np.array_equal(ClassifierNN.load(p).predict_proba(X), nn.predict_proba(X))


def test_model_file_does_not_depend_on_its_name(tmp_path, plain_file):
    nn, path = plain_file
    copy = tmp_path / "renamed-without-suffix"
    copy.write_bytes(path.read_bytes())
    X = make_data(3)
    assert np.array_equal(ClassifierNN.load(copy).predict_proba(X), nn.predict_proba(X))


def saved_arrays(path):
    """Save a small model to ``path`` and return its arrays, for tests that rewrite the file."""
    ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0).save(path)
    with np.load(path) as files:
        return {name: files[name] for name in files.files}


def test_a_header_cannot_make_load_allocate_a_huge_network(tmp_path):
    import json

    path = tmp_path / "bomb.npz"
    arrays = saved_arrays(path)
    header = json.loads(arrays["header"].tobytes())
    header["layer_dims"] = [100000, 100000, 1]  # 10 billion parameters, if it were believed
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="need 10000200001 parameters"):
        ClassifierNN.load(path)


def test_compressed_members_are_refused(tmp_path):
    path = tmp_path / "model.npz"
    arrays = saved_arrays(path)
    np.savez_compressed(path, **arrays)
    with pytest.raises(ValueError, match="compressed members"):
        ClassifierNN.load(path)


def test_saved_files_follow_the_umask(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        path = tmp_path / "model.npz"
        ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0).save(path)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize("dtype", [None, "float32"])
def test_load_keeps_whether_the_dtype_follows_the_data(tmp_path, dtype):
    rng = np.random.default_rng(0)
    X64 = rng.standard_normal((2, 20))
    y = (X64[0] > 0).astype(int).reshape(1, -1)
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0, dtype=dtype)
    nn.train(X64, y, num_epochs=1, print_cost=False)
    nn.save(tmp_path / "m.npz")
    loaded = ClassifierNN.load(tmp_path / "m.npz")
    assert loaded.dtype == nn.dtype and loaded.compute_dtype == nn.compute_dtype
    loaded.train(X64.astype(np.float32), y, num_epochs=1, print_cost=False)
    assert loaded.compute_dtype == np.float32  # dtype=None follows the data; float32 stays


# ---------------------------------------------------------------------------------- not a model at all
@pytest.mark.parametrize("content", [
    b"sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n",  # a CSV
    np.random.default_rng(5).integers(0, 256, 4096, dtype=np.uint8).tobytes(),  # noise
    b"",
])
def test_a_file_that_is_no_model_says_so_without_pickle_advice(tmp_path, content):
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError) as info:
        ClassifierNN.load(path)
    message = str(info.value)
    assert message.startswith(f"{path} is not a scratchnn model file: ")
    assert "pickle" not in message  # numpy's "allow_pickle=" advice contradicts our promise


def test_a_zip_without_a_header_is_not_a_model(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, weights=np.ones(3))
    with pytest.raises(ValueError, match="is not a scratchnn model file: it has no header member"):
        ClassifierNN.load(path)


def test_a_newer_format_version_is_named(tmp_path, plain_file):
    arrays = read_arrays(plain_file[1])
    header = header_of(arrays)
    header["format_version"] = scratch_io.FORMAT_VERSION + 1
    arrays["header"] = encode_header(header)
    path = write_npz(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValueError, match="is not a scratchnn model file: it is in a newer format"):
        ClassifierNN.load(path)


def test_a_folder_is_not_a_model(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path} is not a scratchnn model file: it is a folder"):
        ClassifierNN.load(tmp_path)


# ---------------------------------------------------------------------------------- header JSON
def with_metadata_json(tmp_path, plain_file, value_json):
    """The plain model's file with ``"metadata": {"x": <value_json>}`` spliced into its header."""
    arrays = read_arrays(plain_file[1])
    text = json.dumps(header_of(arrays))
    text = text[:-1] + ', "metadata": {"x": ' + value_json + '}, "metadata_arrays": {}}'
    arrays["header"] = np.frombuffer(text.encode(), dtype=np.uint8)
    return write_npz(tmp_path / "model.npz", **arrays)


def test_a_header_nested_5000_deep_is_refused_naming_the_file(tmp_path, plain_file):
    path = with_metadata_json(tmp_path, plain_file, "[" * 5000 + "]" * 5000)
    assert path.stat().st_size < 20_000
    with pytest.raises(ValueError, match=f"{path} is not a valid scratchnn model file: the "
                                         f"header nests more than 64 levels deep"):
        ClassifierNN.load(path)


def test_brackets_inside_strings_do_not_count_as_depth(tmp_path, plain_file):
    text = "[{" * 500 + '"[\\' * 100  # brackets, escaped quotes and backslashes in a string
    path = with_metadata_json(tmp_path, plain_file, json.dumps(text))
    _, metadata = scratch_io.load_with_metadata(path)
    assert metadata["x"] == text


@pytest.mark.parametrize(("value", "match"), [
    ("9" * 5000, "integer of 5000 digits"),
    ("-" + "1" * 101, "integer of 101 digits"),
    ("1e400", "too large for a float"),
    ("NaN", "NaN, which is not JSON"),
    ("-Infinity", "-Infinity, which is not JSON"),
])
def test_huge_numbers_in_the_header_are_refused_naming_the_file(tmp_path, plain_file, value,
                                                                match):
    path = with_metadata_json(tmp_path, plain_file, value)
    with pytest.raises(ValueError, match=match) as info:
        ClassifierNN.load(path)
    assert str(info.value).startswith(f"{path} is not a valid scratchnn model file: ")


def test_a_128_bit_integer_round_trips(tmp_path):
    path = tmp_path / "model.npz"
    big = 2**128 - 1
    model = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0)
    scratch_io.save(model, path, metadata={"state": {"n": big, "m": -big}})
    assert scratch_io.load_with_metadata(path)[1]["state"] == {"n": big, "m": -big}


def nested(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(("metadata", "match"), [
    ({"x": nested(990)}, r"metadata\['x'\] is nested more than 62 levels deep"),
    ({"x": {"a": nested(62)}}, r"metadata\['x'\] is nested more than 62 levels deep"),
    ({"x": [10**100]}, r"metadata\['x'\] holds an integer of more than 100 digits"),
])
def test_save_refuses_metadata_load_would_refuse(tmp_path, metadata, match):
    path = tmp_path / "model.npz"
    path.write_bytes(b"previous")
    with pytest.raises(ValueError, match=match):
        scratch_io.save(ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0), path, metadata)
    assert path.read_bytes() == b"previous" and os.listdir(tmp_path) == ["model.npz"]


def test_metadata_at_the_depth_limit_round_trips(tmp_path):
    path = tmp_path / "model.npz"
    value = nested(62)
    scratch_io.save(ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0), path, {"x": value})
    assert scratch_io.load_with_metadata(path)[1]["x"] == value


# ---------------------------------------------------------------------------------- save refuses what load refuses
@pytest.mark.parametrize(("damage", "match"), [
    (lambda nn: nn.theta.__setitem__(0, np.inf), "NaN or infinite"),
    (lambda nn: nn.theta.__setitem__(-1, np.nan), "NaN or infinite"),
    (lambda nn: nn.bn_state["running_mean1"].__setitem__(0, -np.inf), "NaN or infinite"),
    (lambda nn: nn.bn_state["running_var1"].__setitem__(1, -0.5),
     "running_var1 holds negative variances"),
])
def test_save_refuses_a_model_load_would_refuse_and_keeps_the_old_file(tmp_path, damage, match):
    path = tmp_path / "model.npz"
    good = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    good.save(path)
    original = path.read_bytes()
    bad = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], batch_norm=True, seed=1)
    damage(bad)
    with pytest.raises(ValueError, match=f"cannot save to {path}: .*{match}"):
        bad.save(path)
    assert path.read_bytes() == original and os.listdir(tmp_path) == ["model.npz"]


# ---------------------------------------------------------------------------------- sizes before data
def test_member_sizes_are_checked_against_the_header_before_any_array_is_read(
        tmp_path, plain_file, monkeypatch):
    from scratchnn.archive import NpzArchive

    arrays = read_arrays(plain_file[1])
    arrays["theta"] = np.zeros(arrays["theta"].size * 1000)  # far more than the header's layers
    path = write_npz(tmp_path / "padded.npz", **arrays)
    read = []
    original = NpzArchive.read_array

    def recording(self, name):
        read.append(name)
        return original(self, name)

    monkeypatch.setattr(NpzArchive, "read_array", recording)
    with pytest.raises(ValueError, match="the header's layers need 26 parameters"):
        ClassifierNN.load(path)
    assert read == ["header"]  # theta itself was never read


def test_an_npy_header_that_disagrees_with_its_member_size_is_refused(tmp_path, plain_file):
    arrays = read_arrays(plain_file[1])
    path = write_npz(tmp_path / "model.npz", **arrays)
    # theta's .npy header rewritten to claim a billion elements, keeping its length (the padding
    # spaces absorb the longer shape) and re-zipped so the CRC is right: only the member's size
    # contradicts it, and nothing of that size may be allocated.
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    raw = members["theta.npy"]
    claimed = raw.replace(b"(26,), }" + b" " * 7, b"(999999999,), }", 1)
    assert claimed != raw and len(claimed) == len(raw)
    members["theta.npy"] = claimed
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    error = assert_invalid(path)
    assert "member 'theta' is not a valid .npy array" in str(error)


def test_a_fifo_is_not_opened(tmp_path):
    fifo = tmp_path / "model.npz"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    with pytest.raises(ValueError, match=not_a_model_reason(fifo, "it is not a regular file") + r"\Z"):
        ClassifierNN.load(fifo)


def rezip(path, members):
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


def members_of(path):
    with zipfile.ZipFile(path) as source:
        return {info.filename: source.read(info) for info in source.infolist()}


def test_npy_format_versions(tmp_path, plain_file):
    import io

    nn, source = plain_file
    members = members_of(source)
    for version, loads in [((2, 0), True), ((3, 0), False)]:
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, read_arrays(source)["theta"], version=version)
        members["theta.npy"] = buffer.getvalue()
        path = rezip(tmp_path / f"v{version[0]}.npz", members)
        if loads:
            assert np.array_equal(ClassifierNN.load(path).theta, nn.theta)
        else:
            assert "npy format version (3, 0)" in str(assert_invalid(path))


def test_encrypted_members_are_refused(tmp_path, plain_file):
    raw = bytearray(plain_file[1].read_bytes())
    entry = raw.find(b"PK\x01\x02")  # the first central directory entry; its flags at +8
    raw[entry + 8] |= 0x1  # "encrypted"
    path = tmp_path / "model.npz"
    path.write_bytes(bytes(raw))
    assert "encrypted" in str(assert_invalid(path))


def test_a_member_named_outside_npy_is_refused(tmp_path, plain_file):
    members = members_of(plain_file[1])
    members["../evil.npy"] = members.pop("theta.npy")
    assert "are not .npy members" in str(assert_invalid(rezip(tmp_path / "model.npz", members)))


def test_an_oversized_header_member_is_refused_before_it_is_read(tmp_path, plain_file):
    arrays = read_arrays(plain_file[1])
    arrays["header"] = np.zeros(scratch_io.MAX_HEADER_BYTES + 20_000, dtype=np.uint8)
    path = write_npz(tmp_path / "model.npz", **arrays)
    with pytest.raises(ValueError, match=invalid_reason(
            path, "the header is not a JSON byte string of at most 1 MiB")):
        ClassifierNN.load(path)


def test_running_statistics_of_the_wrong_size_are_refused_before_reading(tmp_path):
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    nn.save(tmp_path / "model.npz")
    arrays = read_arrays(tmp_path / "model.npz")
    arrays["running_var1"] = np.ones(30_000)  # 240 KB where 24 bytes are expected
    error = assert_invalid(write_npz(tmp_path / "model.npz", **arrays))
    assert "member 'running_var1' declares" in str(error)


# ---------------------------------------------------------------------------------- exact reasons and boundaries
def invalid_reason(path, reason):
    """The whole message of a damaged file at ``path``: the file's name, then ``reason``."""
    return "^" + re.escape(f"{path} is not a valid scratchnn model file: {reason}") + r"\Z"


def with_header_changes(path, plain_file, **changes):
    """The plain model's file, written to ``path`` with ``changes`` made to its header."""
    arrays = read_arrays(plain_file[1])
    arrays["header"] = encode_header({**header_of(arrays), **changes})
    return write_npz(path, **arrays)


def test_load_rebuilds_the_registered_model_class(plain_file):
    """``register_model_class`` decides which class ``load`` builds; ``ClassifierNN`` is back after."""
    nn, path = plain_file

    class Custom(ClassifierNN):
        pass

    try:
        assert scratch_io.register_model_class(Custom) is Custom
        loaded = scratch_io.load(path)
        assert type(loaded) is Custom
        np.testing.assert_array_equal(loaded.theta, nn.theta)
    finally:
        scratch_io.register_model_class(ClassifierNN)
    assert type(scratch_io.load(path)) is ClassifierNN


@pytest.mark.parametrize("layer_dims", [
    pytest.param([3, 0, 1], id="zero"),
    pytest.param([3, -5, 1], id="negative"),
    pytest.param([3, True, 1], id="bool"),
    pytest.param([3, 5.0, 1], id="float"),
    pytest.param([3], id="one-entry"),
    pytest.param([], id="empty"),
    pytest.param("[3, 5, 1]", id="string"),
])
def test_bad_layer_dims_are_refused_by_name(tmp_path, plain_file, layer_dims):
    """Layer sizes must be at least two positive integers (not bools, not floats); the message
    says so rather than whatever building such a network would fail with."""
    path = with_header_changes(tmp_path / "model.npz", plain_file, layer_dims=layer_dims)
    with pytest.raises(ValueError, match=invalid_reason(
            path, "the header's layer_dims are not a list of positive integers")):
        ClassifierNN.load(path)


@pytest.mark.parametrize("dtype", [
    pytest.param("int64", id="int64"),
    pytest.param("complex128", id="complex"),
    pytest.param("float", id="alias-float"),
    pytest.param("f8", id="alias-f8"),
    pytest.param("<f8", id="byte-order"),
    pytest.param("not-a-dtype", id="garbage"),
    pytest.param(None, id="null"),
    pytest.param(64, id="number"),
])
def test_a_dtype_that_is_not_a_float_dtype_name_is_refused_by_name(tmp_path, plain_file, dtype):
    """The header's dtype must be the canonical name of a float dtype (what ``save`` writes):
    an alias NumPy would understand is refused too, and the message quotes the value."""
    path = with_header_changes(tmp_path / "model.npz", plain_file, dtype=dtype)
    with pytest.raises(ValueError, match=invalid_reason(
            path, f"the header's dtype {dtype!r} is not a float dtype")):
        ClassifierNN.load(path)


@pytest.mark.parametrize(("layer_dims", "activations", "batch_norm", "dtype"), [
    pytest.param([3, 1], ["sigmoid"], False, None, id="no-hidden-layer"),
    pytest.param([2, 2000, 1], ["relu", "sigmoid"], True, None, id="wide-batch-norm"),
    pytest.param([2, 2000, 3], ["tanh", "softmax"], False, "float32", id="wide-float32"),
])
def test_unusual_sizes_round_trip(tmp_path, layer_dims, activations, batch_norm, dtype):
    """A network without hidden layers, and arrays much larger than an .npy header (where a size
    check off by the item size or by the batch-norm parameters would stand out), load exactly."""
    nn = ClassifierNN(layer_dims, activations, batch_norm=batch_norm, seed=0, dtype=dtype)
    for value in nn.bn_state.values():  # running statistics away from their initial 0 and 1
        value[...] = np.random.default_rng(1).uniform(0.5, 2.0, value.shape)
    path = tmp_path / "model.npz"
    nn.save(path)
    loaded = ClassifierNN.load(path)
    assert loaded.layer_dims == layer_dims and loaded.batch_norm == batch_norm
    assert loaded.theta.dtype == nn.theta.dtype
    np.testing.assert_array_equal(loaded.theta, nn.theta)
    assert loaded.bn_state.keys() == nn.bn_state.keys()
    for name, value in nn.bn_state.items():
        np.testing.assert_array_equal(loaded.bn_state[name], value)


def test_a_zero_running_variance_is_saved_and_loaded(tmp_path):
    """Only negative variances are refused: a unit whose inputs never varied has variance 0."""
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    nn.bn_state["running_var1"][...] = [[0.0], [1.5], [0.0]]
    path = tmp_path / "model.npz"
    nn.save(path)
    np.testing.assert_array_equal(ClassifierNN.load(path).bn_state["running_var1"],
                                  [[0.0], [1.5], [0.0]])


def npy_member(array, header_bytes):
    """``array`` as an .npy (format 2.0) member whose header takes exactly ``header_bytes``
    bytes in front of the data: magic string, version, 4-byte length, then the padded dict."""
    text = f"{{'descr': '{array.dtype.str}', 'fortran_order': False, 'shape': {array.shape}, }}"
    text = text.ljust(header_bytes - 12 - 1) + "\n"
    return (b"\x93NUMPY\x02\x00" + struct.pack("<I", len(text)) + text.encode("latin1")
            + array.tobytes())


@pytest.mark.parametrize("header_bytes", [
    pytest.param(None, id="no-header"),
    pytest.param(MAX_NPY_HEADER_BYTES, id="largest-header"),
    pytest.param(MAX_NPY_HEADER_BYTES + 1, id="one-byte-more"),
])
@pytest.mark.parametrize("member", ["theta", "running_var1"])
def test_member_sizes_admit_exactly_the_largest_npy_header(tmp_path, member, header_bytes):
    """A member may be larger than its data by at most the largest .npy header NumPy reads
    (a 10,000-byte dict plus 12 bytes of magic, version and length), and must be larger than
    its data; outside that window it is refused, naming its size, before it is read."""
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    source = tmp_path / "source.npz"
    nn.save(source)
    array = read_arrays(source)[member]
    members = members_of(source)
    members[f"{member}.npy"] = (array.tobytes() if header_bytes is None
                                else npy_member(array, header_bytes))
    declared = len(members[f"{member}.npy"])
    path = rezip(tmp_path / "model.npz", members)
    if header_bytes == MAX_NPY_HEADER_BYTES:
        loaded = ClassifierNN.load(path)
        np.testing.assert_array_equal(loaded.theta, nn.theta)
        np.testing.assert_array_equal(loaded.bn_state["running_var1"], nn.bn_state["running_var1"])
        return
    if member == "theta":  # W1 (3, 2), gamma1 and beta1 (3, 1), W2 (1, 3), b2 (1, 1)
        reason = (f"the header's layers need 16 parameters (128 bytes of float64), the file's "
                  f"theta holds {declared} bytes")
    else:
        reason = (f"its member 'running_var1' declares {declared} bytes, but float64 of shape "
                  f"(3, 1) needs 24 bytes of data")
    with pytest.raises(ValueError, match=invalid_reason(path, reason)):
        ClassifierNN.load(path)


def test_a_missing_theta_is_named(tmp_path, plain_file):
    """Without a theta member the size check says the file holds none (W1 5x3, b1 5, W2 1x5, b2 1)."""
    arrays = read_arrays(plain_file[1])
    del arrays["theta"]
    path = write_npz(tmp_path / "model.npz", **arrays)
    with pytest.raises(ValueError, match=invalid_reason(
            path, "the header's layers need 26 parameters (208 bytes of float64), the file's "
                  "theta holds none")):
        ClassifierNN.load(path)


@pytest.mark.parametrize("extra", [0, 1], ids=["1-MiB", "1-MiB-plus-1"])
def test_a_header_of_exactly_1_mib_is_read(tmp_path, plain_file, extra):
    """The header may take 1 MiB (here padded with JSON whitespace); one byte more is refused."""
    nn, source = plain_file
    arrays = read_arrays(source)
    text = json.dumps(header_of(arrays))
    text = text[:-1].ljust(scratch_io.MAX_HEADER_BYTES + extra - 1) + "}"
    arrays["header"] = np.frombuffer(text.encode(), dtype=np.uint8)
    assert arrays["header"].size == (1 << 20) + extra
    path = write_npz(tmp_path / "model.npz", **arrays)
    if extra == 0:
        np.testing.assert_array_equal(ClassifierNN.load(path).theta, nn.theta)
    else:
        with pytest.raises(ValueError, match=invalid_reason(
                path, "the header is not a JSON byte string of at most 1 MiB")):
            ClassifierNN.load(path)


def nested_json(kind, levels):
    """JSON text of ``levels`` nested lists or objects around the number 1."""
    if kind == "list":
        return "[" * levels + "1" + "]" * levels
    return '{"a": ' * levels + "1" + "}" * levels


@pytest.mark.parametrize("kind", ["list", "object"])
@pytest.mark.parametrize("levels", [62, 63], ids=["64-deep", "65-deep"])
def test_header_depth_limit_is_exact_for_lists_and_objects(tmp_path, plain_file, kind, levels):
    """A metadata value starts 3 levels deep (header, "metadata", the value), so 62 nested
    levels make a header 64 deep, which loads; 63 levels (65 deep) are refused, whether the
    nesting is made of lists or of objects."""
    text = nested_json(kind, levels)
    path = with_metadata_json(tmp_path, plain_file, text)
    if levels == 62:
        assert scratch_io.load_with_metadata(path)[1]["x"] == json.loads(text)
    else:
        with pytest.raises(ValueError, match=invalid_reason(
                path, "the header nests more than 64 levels deep")):
            scratch_io.load_with_metadata(path)


@pytest.mark.parametrize("digits", ["9" * 100, "-" + "9" * 100], ids=["100-digits", "minus-100"])
def test_integers_of_100_digits_are_read(tmp_path, plain_file, digits):
    """100 digits is the limit, inclusive (a minus sign does not count as a digit)."""
    path = with_metadata_json(tmp_path, plain_file, digits)
    assert scratch_io.load_with_metadata(path)[1]["x"] == int(digits)


@pytest.mark.parametrize(("value", "reason"), [
    ("1234567890" * 11, "the header holds an integer of 110 digits (12345678901234567890...), "
                        "more than 100"),
    ("1234567890" * 4 + "e400", "the header holds the number 123456789012345678901234567890, "
                                "too large for a float"),
])
def test_refused_numbers_are_quoted_by_their_first_characters(tmp_path, plain_file, value,
                                                              reason):
    """An integer is quoted by its first 20 characters, a float by its first 30: enough to
    find it, not the whole number."""
    path = with_metadata_json(tmp_path, plain_file, value)
    with pytest.raises(ValueError, match=invalid_reason(path, reason)):
        scratch_io.load_with_metadata(path)


def not_a_model_reason(path, reason):
    """The start of the message for something that is no model at all: the name, then ``reason``."""
    return "^" + re.escape(f"{path} is not a scratchnn model file: {reason}")


def damaged_file_cases():
    def header_edit(**changes):
        def apply(arrays):
            arrays["header"] = encode_header({**header_of(arrays), **changes})
        return apply

    def put(name, value):
        return lambda arrays: arrays.__setitem__(name, value(arrays))

    def literally(reason):
        return re.escape(reason) + r"\Z"

    return [
        pytest.param(header_edit(format_version="1"), literally("format_version '1' is not 1"),
                     id="version-string"),
        pytest.param(header_edit(format_version=0), literally("format_version 0 is not 1"),
                     id="version-0"),
        pytest.param(header_edit(format_version=True), literally("format_version True is not 1"),
                     id="version-true"),
        pytest.param(header_edit(format_version=1.0), literally("format_version 1.0 is not 1"),
                     id="version-float"),
        pytest.param(header_edit(format_version=None), literally("format_version None is not 1"),
                     id="version-null"),
        pytest.param(header_edit(parameters=[["W1", [5, 3]]]),
                     literally("the header's parameter list does not match its layers"),
                     id="parameter-list"),
        pytest.param(header_edit(parameters=None),
                     literally("the header's parameter list does not match its layers"),
                     id="no-parameter-list"),
        pytest.param(put("extra", lambda a: np.zeros(2)),
                     literally("it holds arrays ['extra', 'header', 'theta'], expected "
                               "['header', 'theta']"), id="extra-array"),
        pytest.param(put("running_mean1", lambda a: np.zeros((5, 1))),
                     literally("it holds arrays ['header', 'running_mean1', 'theta'], expected "
                               "['header', 'theta']"), id="stray-running-mean"),
        pytest.param(put("theta", lambda a: a["theta"].astype(np.float32)),
                     literally("theta must be float64 of shape (26,), got float32 of shape (26,)"),
                     id="theta-float32"),
        pytest.param(put("theta", lambda a: a["theta"].reshape(2, 13)),
                     literally("theta must be float64 of shape (26,), got float64 of shape (2, 13)"),
                     id="theta-2-D"),
        pytest.param(put("theta", lambda a: np.where(np.arange(26) == 5, -np.inf, a["theta"])),
                     literally("it holds NaN or infinite values"), id="theta-inf"),
        pytest.param(header_edit(activations=["relu", "bogus"]),
                     re.escape("the header describes no valid network (") + r".*bogus.*\)\Z",
                     id="unknown-activation"),
        pytest.param(put("header", lambda a: np.frombuffer(b"\xff{}", dtype=np.uint8)),
                     re.escape("the header is not JSON ('utf-8' codec can't decode byte 0xff ")
                     + r".*\)\Z", id="not-utf8"),
        pytest.param(put("header", lambda a: np.frombuffer(b"{not json", dtype=np.uint8)),
                     re.escape("the header is not JSON (Expecting property name") + r".*\)\Z",
                     id="not-json"),
    ]


@pytest.mark.parametrize(("change", "reason"), damaged_file_cases())
def test_damaged_files_are_refused_with_their_reason(tmp_path, plain_file, change, reason):
    """Each damage gets the message that names the file and then says what is wrong with it."""
    arrays = read_arrays(plain_file[1])
    change(arrays)
    path = write_npz(tmp_path / "model.npz", **arrays)
    with pytest.raises(ValueError, match="^" + re.escape(
            f"{path} is not a valid scratchnn model file: ") + reason):
        ClassifierNN.load(path)


@pytest.mark.parametrize("name", ["running_var1", "running_mean1"])
def test_bad_running_statistics_are_refused_with_their_name(tmp_path, name):
    """A negative variance, or a statistic of the wrong shape, is named in the message."""
    nn = ClassifierNN([2, 3, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    nn.save(tmp_path / "source.npz")
    arrays = read_arrays(tmp_path / "source.npz")
    wrong_shape = dict(arrays, **{name: np.ones((1, 3))})
    path = write_npz(tmp_path / "shape.npz", **wrong_shape)
    with pytest.raises(ValueError, match=invalid_reason(
            path, f"{name} must be float64 of shape (3, 1), got float64 of shape (1, 3)")):
        ClassifierNN.load(path)
    if name == "running_var1":
        negative = dict(arrays, running_var1=np.array([[1.0], [-1e-12], [2.0]]))
        path = write_npz(tmp_path / "negative.npz", **negative)
        with pytest.raises(ValueError, match=invalid_reason(
                path, "running_var1 holds negative variances")):
            ClassifierNN.load(path)


def test_a_header_without_initialization_method_reads_as_he(tmp_path, plain_file):
    """``initialization_method`` defaults to He when a header does not name it; the parameters
    are the saved ones either way."""
    nn, source = plain_file
    arrays = read_arrays(source)
    header = header_of(arrays)
    del header["initialization_method"]
    arrays["header"] = encode_header(header)
    loaded = ClassifierNN.load(write_npz(tmp_path / "model.npz", **arrays))
    assert loaded.initialization_method == "he"
    np.testing.assert_array_equal(loaded.theta, nn.theta)


def test_a_header_member_up_to_1_mib_plus_the_largest_npy_header_is_read(tmp_path, plain_file):
    """The header member's size is checked before it is read: 1 MiB of JSON behind the largest
    .npy header NumPy reads is the most it may declare, and such a header loads."""
    nn, source = plain_file
    arrays = read_arrays(source)
    text = json.dumps(header_of(arrays))
    header = np.frombuffer((text[:-1].ljust(scratch_io.MAX_HEADER_BYTES - 1) + "}").encode(),
                           dtype=np.uint8)
    members = members_of(write_npz(tmp_path / "source.npz", **arrays))
    members["header.npy"] = npy_member(header, MAX_NPY_HEADER_BYTES)
    assert len(members["header.npy"]) == scratch_io.MAX_HEADER_BYTES + MAX_NPY_HEADER_BYTES
    path = rezip(tmp_path / "model.npz", members)
    np.testing.assert_array_equal(ClassifierNN.load(path).theta, nn.theta)


def test_a_header_of_another_format_is_no_model(tmp_path, plain_file):
    """A header that names another format is not ours; the message names the format we read."""
    arrays = read_arrays(plain_file[1])
    other = write_npz(tmp_path / "other.npz", **dict(
        arrays, header=encode_header({**header_of(arrays), "format": "somebody.Else"})))
    with pytest.raises(ValueError, match=not_a_model_reason(
            other, "its header does not name the format 'scratchnn.ClassifierNN'") + r"\Z"):
        ClassifierNN.load(other)


def test_no_model_files_say_what_they_are(tmp_path, plain_file):
    """A text file is not a zip archive, an .npy file is not an .npz archive: each says so."""
    text = tmp_path / "notes.txt"
    text.write_text("not a model\n")
    with pytest.raises(ValueError, match=not_a_model_reason(
            text, "it is not a zip (.npz) archive (")):
        ClassifierNN.load(text)
    npy = tmp_path / "theta.npy"
    np.save(npy, read_arrays(plain_file[1])["theta"])
    with pytest.raises(ValueError, match=not_a_model_reason(
            npy, "it is an .npy array, not an .npz archive") + r"\Z"):
        ClassifierNN.load(npy)
