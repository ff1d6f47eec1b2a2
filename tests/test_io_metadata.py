"""Model files with metadata: exact round trips, and the same refusal of anything not ours.

``scratchnn.io.save(model, path, metadata=...)`` keeps JSON values in the header and numeric
arrays as ``meta.{key}`` arrays described in the header; ``load_with_metadata`` returns them, and
``load`` (and ``ClassifierNN.load``) still reads such files, checking the metadata all the same.
"""

import json
import re

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn import io as scratch_io

INVALID = "is not a (valid )?scratchnn model file: "


def small_model():
    nn = ClassifierNN([3, 4, 2], ["tanh", "softmax"], seed=0)
    X = np.random.default_rng(0).standard_normal((3, 30))
    nn.train(X, (X[0:1] > 0).astype(int), loss="SparseCategoricalCrossEntropy", num_epochs=3,
             print_cost=False)
    return nn, X


METADATA = {
    "feature_names": ["a", "b", "c"],
    "target": "label",
    "nested": {"epochs": 3, "rate": 0.5, "flag": True, "nothing": None},
    "mean": np.array([1.5, -2.0, 3.25]),
    "counts": np.arange(6, dtype=np.int32).reshape(2, 3),
    "mask": np.array([True, False]),
    "empty": np.zeros(0),
}


def read_arrays(path):
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def write_npz(path, arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return path


def header_of(arrays):
    return json.loads(arrays["header"].tobytes().decode("utf-8"))


def with_header(arrays, header):
    return dict(arrays, header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))


@pytest.fixture
def saved(tmp_path):
    nn, X = small_model()
    path = tmp_path / "model.npz"
    scratch_io.save(nn, path, metadata=METADATA)
    return nn, X, path


# ----------------------------------------------------------------------------- round trip
def test_metadata_round_trips_exactly(saved):
    nn, X, path = saved
    loaded, metadata = scratch_io.load_with_metadata(path)
    assert set(metadata) == set(METADATA)
    for key, value in METADATA.items():
        if isinstance(value, np.ndarray):
            assert metadata[key].dtype == value.dtype and metadata[key].shape == value.shape
            assert np.array_equal(metadata[key], value)
        else:
            assert metadata[key] == value
    assert np.array_equal(loaded.predict_proba(X), nn.predict_proba(X))


def test_plain_load_reads_a_file_with_metadata(saved):
    nn, X, path = saved
    assert np.array_equal(ClassifierNN.load(path).predict_proba(X), nn.predict_proba(X))
    assert np.array_equal(scratch_io.load(path).predict_proba(X), nn.predict_proba(X))


def test_file_without_metadata_has_empty_metadata(tmp_path):
    nn, _ = small_model()
    nn.save(tmp_path / "plain.npz")
    _, metadata = scratch_io.load_with_metadata(tmp_path / "plain.npz")
    assert metadata == {}
    assert "metadata" not in header_of(read_arrays(tmp_path / "plain.npz"))


def test_metadata_arrays_are_stored_as_arrays_not_json(saved):
    _, _, path = saved
    arrays = read_arrays(path)
    assert {"meta.mean", "meta.counts", "meta.mask", "meta.empty"} <= set(arrays)
    header = header_of(arrays)
    assert "mean" not in header["metadata"]
    assert header["metadata_arrays"]["counts"] == {"dtype": "int32", "shape": [2, 3]}


def test_tuples_come_back_as_lists(tmp_path):
    nn, _ = small_model()
    scratch_io.save(nn, tmp_path / "m.npz", metadata={"hidden": (25, 15)})
    assert scratch_io.load_with_metadata(tmp_path / "m.npz")[1] == {"hidden": [25, 15]}


# ----------------------------------------------------------------------------- bad metadata
KEYS_MESSAGE = r"^metadata keys must be identifiers of at most 64 characters \(letters, digits, underscores\), got "
JSON_MESSAGE = r"^metadata\['a'\] must be a NumPy array or JSON-serializable \(str, int, float, bool, None, "


@pytest.mark.parametrize(("metadata", "error", "match"), [
    ([("a", 1)], TypeError, r"^metadata must be a dict or None, got list\Z"),
    ("a=1", TypeError, r"^metadata must be a dict or None, got str\Z"),
    ({"bad key": 1}, ValueError, KEYS_MESSAGE + r"'bad key'\Z"),
    ({"../escape": 1}, ValueError, KEYS_MESSAGE + r"'\.\./escape'\Z"),
    ({"x" * 65: 1}, ValueError, KEYS_MESSAGE + "'x{65}'\\Z"),
    ({1: 1}, ValueError, KEYS_MESSAGE + r"1\Z"),
    ({"a": {1, 2}}, TypeError, JSON_MESSAGE),
    ({"a": float("nan")}, TypeError, JSON_MESSAGE),
    ({"a": [1.0, float("-inf")]}, TypeError, JSON_MESSAGE),
    ({"a": np.int64(3)}, TypeError, JSON_MESSAGE),
    ({"a": np.array(["x", "y"])}, TypeError,
     r"^metadata\['a'\] must be an array of numbers, got dtype <U1\Z"),
    ({"a": np.array([1.0, np.inf])}, ValueError,
     r"^metadata\['a'\] contains NaN or infinite values\Z"),
    ({"a": np.array([np.nan], dtype=np.float16)}, ValueError,
     r"^metadata\['a'\] contains NaN or infinite values\Z"),
])
def test_save_rejects_bad_metadata_and_writes_nothing(tmp_path, metadata, error, match):
    nn, _ = small_model()
    with pytest.raises(error, match=match):
        scratch_io.save(nn, tmp_path / "m.npz", metadata=metadata)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- bad files
def assert_invalid(path):
    for load in (scratch_io.load, scratch_io.load_with_metadata):
        with pytest.raises(ValueError, match=INVALID):
            load(path)


def edited(arrays, change):
    arrays = dict(arrays)
    change(arrays)
    return arrays


def bad_file_cases():
    def drop(name):
        return lambda a: a.pop(name)

    def put(name, value):
        return lambda a: a.__setitem__(name, value)

    def edit_header(edit):
        def apply(a):
            header = header_of(a)
            edit(header)
            a.update(with_header(a, header))
        return apply

    def spec(key, value):
        return edit_header(lambda h: h["metadata_arrays"]["mean"].__setitem__(key, value))

    def literally(reason):
        return re.escape(reason) + r"\Z"

    mean_must_be = "metadata array 'mean' must be float64 of shape (3,), got "
    holds_arrays = r"it holds arrays \[.*\], expected \[.*\]\Z"
    no_dtype = literally("metadata array 'mean' has no valid dtype")
    no_shape = literally("metadata array 'mean' has no valid shape")
    not_described = literally("metadata array 'mean' is not described by a dtype and shape")
    not_object = literally("its metadata is not a JSON object")
    return [
        pytest.param(drop("meta.mean"), holds_arrays, id="missing-array"),
        pytest.param(put("meta.extra", np.zeros(2)), holds_arrays, id="undescribed-array"),
        pytest.param(put("meta.mean", np.zeros(4)), literally(mean_must_be + "float64 of shape (4,)"),
                     id="wrong-shape"),
        pytest.param(put("meta.mean", np.zeros(3, np.float32)),
                     literally(mean_must_be + "float32 of shape (3,)"), id="wrong-dtype"),
        pytest.param(put("meta.mean", np.array([0.0, np.nan, 1.0])),
                     literally("it holds NaN or infinite values"), id="nan"),
        pytest.param(put("meta.mean", np.array(["a", "b", "c"])),
                     literally(mean_must_be + "<U1 of shape (3,)"), id="strings"),
        pytest.param(edit_header(lambda h: h.__setitem__("metadata", [1])), not_object,
                     id="values-not-dict"),
        pytest.param(edit_header(lambda h: h.__setitem__("metadata_arrays", "x")), not_object,
                     id="specs-not-dict"),
        pytest.param(edit_header(lambda h: h.__setitem__("metadata_arrays", ["mean"])),
                     not_object, id="specs-list"),
        pytest.param(spec("dtype", "object"), no_dtype, id="object-dtype"),
        pytest.param(spec("dtype", "bogus"), no_dtype, id="bogus-dtype"),
        pytest.param(spec("dtype", "complex128"), no_dtype, id="complex-dtype"),
        pytest.param(spec("dtype", "float"), no_dtype, id="alias-float"),
        pytest.param(spec("dtype", "f8"), no_dtype, id="alias-f8"),
        pytest.param(spec("dtype", 8), no_dtype, id="number-dtype"),
        pytest.param(spec("shape", [-3]), no_shape, id="negative-shape"),
        pytest.param(spec("shape", "3"), no_shape, id="string-shape"),
        pytest.param(spec("shape", ""), no_shape, id="empty-string-shape"),
        pytest.param(spec("shape", {}), no_shape, id="object-shape"),
        pytest.param(spec("shape", [3.0]), no_shape, id="float-shape"),
        pytest.param(spec("shape", [True, 3]), no_shape, id="bool-shape"),
        pytest.param(edit_header(lambda h: h["metadata_arrays"]["mean"].pop("shape")),
                     not_described, id="no-shape"),
        pytest.param(spec("order", "C"), not_described, id="extra-field"),
        pytest.param(edit_header(lambda h: h["metadata_arrays"].__setitem__(
            "mean", ["float64", [3]])), not_described, id="spec-list"),
        pytest.param(edit_header(lambda h: h["metadata_arrays"].__setitem__(
            "mean", "float64")), not_described, id="spec-string"),
        pytest.param(edit_header(lambda h: h["metadata_arrays"].__setitem__(
            "../x", {"dtype": "float64", "shape": [1]})),
            literally("metadata array name '../x' is not valid"), id="path-name"),
        pytest.param(edit_header(lambda h: h["metadata"].__setitem__("mean", 1)),
                     literally("metadata array name 'mean' is not valid"), id="name-in-both"),
        pytest.param(edit_header(lambda h: h["metadata"].__setitem__("bad key", 1)),
                     literally("its metadata has a key that is not an identifier"),
                     id="bad-value-key"),
    ]


@pytest.mark.parametrize(("change", "reason"), bad_file_cases())
def test_load_rejects_damaged_metadata(tmp_path, saved, change, reason):
    """Each damage is refused with the message that names the file and says what is wrong."""
    _, _, path = saved
    arrays = edited(read_arrays(path), change)
    damaged = write_npz(tmp_path / "damaged.npz", arrays)
    for load in (scratch_io.load, scratch_io.load_with_metadata):
        with pytest.raises(ValueError, match="^" + re.escape(
                f"{damaged} is not a valid scratchnn model file: ") + reason):
            load(damaged)


def test_load_never_unpickles_a_metadata_array(tmp_path, saved):
    _, _, path = saved
    trap = np.empty(1, dtype=object)
    trap[0] = {"pickled": True}
    arrays = dict(read_arrays(path), **{"meta.mean": trap})
    assert_invalid(write_npz(tmp_path / "pickled.npz", arrays))


def test_big_endian_arrays_round_trip(tmp_path):
    nn, _ = small_model()
    value = np.array([1.5, -2.0], dtype=">f8")
    scratch_io.save(nn, tmp_path / "m.npz", metadata={"v": value})
    loaded = scratch_io.load_with_metadata(tmp_path / "m.npz")[1]["v"]
    assert loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded, value)
