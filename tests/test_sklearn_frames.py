"""NNClassifier and NNRegressor on pandas DataFrames: the command line's table preprocessing
(:mod:`scratchnn.table_inputs`), fitted with the estimator, applied at predict, in ONNX."""

import pickle
import re
import sys

import numpy as np
import pytest

from tolerances import assert_float32_close

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

from scratchnn.bundle import Bundle  # noqa: E402
from scratchnn.cli import main  # noqa: E402
from scratchnn.sklearn import NNClassifier, NNRegressor  # noqa: E402
from scratchnn.table_inputs import fit_frame  # noqa: E402

SMALL = {"hidden_layer_sizes": (16,), "random_state": 0}


def mixed_frame(m=300, seed=0):
    """Numbers with NaN, a pandas Categorical, object strings with None, booleans and dates
    written as text; the label depends on the number, the category and the boolean."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=m)
    cat = rng.choice(["red", "green", "blue"], m)
    flag = rng.random(m) > 0.5
    frame = pd.DataFrame({
        "x": np.where(np.arange(m) % 9 == 0, np.nan, x),
        "colour": pd.Categorical(cat),
        "town": pd.Series(rng.choice(["Oslo", "Lima", None], m), dtype=object),
        "flag": flag,
        "when": pd.Series(pd.date_range("2021-01-01", periods=m, freq="D").strftime("%Y-%m-%d")),
    })
    y = np.where((x + (cat == "red") * 1.5 - flag * 0.8) > 0.3, "yes", "no")
    return frame, y


def onnx_feeds(frame):
    """The ONNX graph's inputs for ``frame``'s columns (see TableInputs.onnx_features)."""
    days = (pd.to_datetime(frame["when"]) - pd.Timestamp("1970-01-01")).dt.days
    return {
        "x": frame["x"].to_numpy(np.float32).reshape(-1, 1),
        "colour": frame["colour"].astype(str).to_numpy(object).reshape(-1, 1),
        "town": frame["town"].fillna("").to_numpy(object).reshape(-1, 1),
        "flag": frame["flag"].to_numpy(np.float32).reshape(-1, 1),
        "when": days.to_numpy(np.float64).reshape(-1, 1),
    }


def test_a_mixed_frame_fits_predicts_and_learns():
    frame, y = mixed_frame()
    model = NNClassifier(max_epochs=150, **SMALL).fit(frame, y)
    kinds = {column.name: column.kind for column in model.preprocessing_.columns}
    assert kinds == {"x": "numeric", "colour": "text", "town": "text", "flag": "numeric",
                     "when": "date"}
    assert model.n_features_in_ == 5
    assert model.feature_names_in_.dtype == object
    assert list(model.feature_names_in_) == list(frame.columns)
    assert model.network_.layer_dims[0] == len(model.preprocessing_.feature_names) == 10
    assert model.score(frame, y) > 0.9
    proba = model.predict_proba(frame)
    assert proba.shape == (len(frame), 2) and np.all(np.isfinite(proba))


def test_the_estimators_preprocessing_is_the_command_lines(tmp_path):
    """The same table through ``scratchnn train`` (every row a training row) and through the
    estimator: the same treatments, standardization and encoded matrix."""
    frame, y = mixed_frame(120)
    csv = tmp_path / "table.csv"
    frame.assign(label=y).to_csv(csv, index=False)
    out = tmp_path / "model.npz"
    assert main(["train", str(csv), "--target", "label", "--out", str(out), "--val-split", "0",
                 "--epochs", "1", "--dtype", "float64", "--quiet"]) == 0
    _, _, bundle = Bundle.load(str(out))
    model = NNClassifier(max_epochs=1, **SMALL).fit(frame, y)
    ours = model.preprocessing_
    assert ours.columns == bundle.columns
    np.testing.assert_allclose(ours.mean, bundle.mean, rtol=1e-12)
    np.testing.assert_allclose(ours.scale, bundle.scale, rtol=1e-12)
    read_back = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    X_cli, _, _ = bundle.inputs(read_back, "table.csv", str, np.float64)
    np.testing.assert_allclose(ours.transform(frame), X_cli.T, rtol=1e-12, atol=1e-12)


def test_preprocessing_is_learned_on_the_training_rows_only():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, np.nan, 100.0, 200.0],
                          "c": ["a", "b", "a", "b", "only_later", "a"]})
    preprocessing, X = fit_frame(frame, np.arange(4))
    x, c = preprocessing.columns
    assert x.fill == 2.0  # the median of 1, 2, 3
    assert c.categories == ("a", "b")
    inputs = np.array([1.0, 2.0, 3.0, 2.0])  # the missing one imputed
    np.testing.assert_allclose(preprocessing.mean[0], inputs.mean())
    np.testing.assert_allclose(preprocessing.scale[0], inputs.std())
    # every row encoded, in the frame's order; the unseen category all zeros
    np.testing.assert_allclose(X[4, 0], (100.0 - inputs.mean()) / inputs.std())
    np.testing.assert_allclose(X[4, 1:], -preprocessing.mean[1:] / preprocessing.scale[1:])


def test_unseen_and_missing_categories_are_all_zeros_as_in_the_bundle():
    frame, y = mixed_frame()
    model = NNClassifier(max_epochs=5, **SMALL).fit(frame, y)
    new = frame.head(3).copy()
    new["town"] = ["Paris", None, "Oslo"]
    with pytest.warns(UserWarning, match=r"not seen in training.*'town' \(1 rows\)"):
        X = model.preprocessing_.transform(new)
    town = [j for j, name in enumerate(model.preprocessing_.feature_names)
            if name.startswith("town=")]
    zeros = -model.preprocessing_.mean[town] / model.preprocessing_.scale[town]
    np.testing.assert_allclose(X[0, town], zeros)
    np.testing.assert_allclose(X[1, town], zeros)
    assert not np.allclose(X[2, town], zeros)
    with pytest.warns(UserWarning, match="not seen in training"):
        assert model.predict(new).shape == (3,)


def test_partial_fit_fits_the_preprocessing_on_the_first_call_only():
    frame, y = mixed_frame()
    model = NNClassifier(**SMALL).partial_fit(frame.iloc[:100], y[:100], classes=["no", "yes"])
    first = pickle.dumps(model.preprocessing_)
    shifted = frame.iloc[100:].assign(x=frame["x"].iloc[100:] + 50.0)
    model.partial_fit(shifted, y[100:])
    assert pickle.dumps(model.preprocessing_) == first


def test_the_preprocessing_survives_pickling():
    frame, y = mixed_frame()
    model = NNClassifier(max_epochs=5, **SMALL).fit(frame, y)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(frame), model.predict_proba(frame))


@pytest.mark.parametrize("labels", [["no", "yes"], ["a", "b", "c"]])
def test_onnx_gives_predict_proba(tmp_path, labels):
    ort = pytest.importorskip("onnxruntime")
    frame, y = mixed_frame()
    if len(labels) == 3:
        y = np.where(frame["colour"] == "red", "a", np.where(y == "yes", "b", "c"))
    model = NNClassifier(max_epochs=20, **SMALL).fit(frame, y)
    path = tmp_path / "model.onnx"
    model.to_onnx(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    label, proba = session.run(["label", "probabilities"], onnx_feeds(frame))
    assert_float32_close(proba, model.predict_proba(frame))
    agree = label == model.predict(frame).astype(str)
    assert np.mean(agree) > 0.99  # a near tie may round either way


def test_a_regressors_onnx_gives_predict(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    frame, _ = mixed_frame()
    y = np.nan_to_num(frame["x"].to_numpy()) * 3.0 + frame["flag"] * 10.0 + 100.0
    model = NNRegressor(max_epochs=100, **SMALL).fit(frame, y)
    assert model.score(frame, y) > 0.9
    path = tmp_path / "model.onnx"
    model.to_onnx(path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (predictions,) = session.run(["predictions"], onnx_feeds(frame))
    assert_float32_close(predictions[:, 0], model.predict(frame), atol=1e-4)


def test_onnx_of_an_array_fitted_estimator_takes_X(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    model = NNClassifier(max_epochs=10, **SMALL).fit(X, y)
    model.to_onnx(tmp_path / "model.onnx")
    session = ort.InferenceSession(str(tmp_path / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    label, proba = session.run(None, {"X": X.astype(np.float32)})
    assert_float32_close(proba, model.predict_proba(X))


def test_an_array_fit_has_no_preprocessing_and_feeds_X_to_the_network():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 4)) * 100.0 + 7.0  # not standardized: the network sees it raw
    y = (X[:, 1] > 7.0).astype(int)
    model = NNClassifier(max_epochs=5, **SMALL).fit(X, y)
    assert model.preprocessing_ is None
    p = model.network_.predict_proba(X.T)[0]
    np.testing.assert_array_equal(model.predict_proba(X), np.column_stack([1.0 - p, p]))


def test_columns_are_checked_as_scikit_learn_checks_them():
    frame, y = mixed_frame()
    model = NNClassifier(max_epochs=2, **SMALL).fit(frame, y)
    with pytest.raises(ValueError, match="seen at fit time, yet now missing:\n- town"):
        model.predict(frame.drop(columns="town"))
    with pytest.raises(ValueError, match="same order as they were in fit"):
        model.predict(frame[list(frame.columns)[::-1]])
    with pytest.raises(ValueError, match="unseen at fit time:\n- extra"):
        model.predict(frame.assign(extra=1.0))
    # an array is read as the columns in their order, with scikit-learn's warning
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = model.predict_proba(frame.to_numpy(dtype=object))
    assert_float32_close(from_array, model.predict_proba(frame))


def test_a_column_the_table_path_cannot_use_is_named():
    frame = pd.DataFrame({"x": np.arange(150.0),
                          "note": [f"free text {i}" for i in range(150)]})
    with pytest.raises(ValueError, match="X: cannot use 1 column.*'note'"):
        NNClassifier(max_epochs=1).fit(frame, np.arange(150) % 2)


def test_without_pandas_a_frame_fitted_estimator_names_the_extra(monkeypatch):
    frame, y = mixed_frame()
    model = NNClassifier(max_epochs=2, **SMALL).fit(frame, y)
    X = frame.to_numpy(dtype=object)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    with pytest.raises(ImportError, match=r"^this estimator was fitted on a pandas DataFrame, and "
                                          r"its preprocessing needs pandas: pip install "
                                          r"'scratchnn\[pandas\]'$"):
        model.predict(X)


def test_a_frame_of_numbers_only_is_read_as_an_array():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    from_frame = NNClassifier(max_epochs=5, **SMALL).fit(frame, y)
    from_array = NNClassifier(max_epochs=5, **SMALL).fit(X, y)
    assert from_frame.preprocessing_ is None
    assert list(from_frame.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(from_frame.predict_proba(frame), from_array.predict_proba(X))


def test_validation_data_and_early_stopping_take_frames():
    frame, y = mixed_frame(400)
    model = NNClassifier(max_epochs=100, learning_rate=0.01, early_stopping=True, **SMALL).fit(
        frame.iloc[:300], y[:300], validation_data=(frame.iloc[300:], y[300:]))
    assert len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_score_ > 0.8
    split = NNClassifier(max_epochs=5, early_stopping=True, **SMALL).fit(frame, y)
    # the held-out tenth is not among the rows the categories and statistics come from
    assert split.preprocessing_.columns[0].fill != fit_frame(frame)[0].columns[0].fill


def test_without_onnx_to_onnx_names_the_extra(monkeypatch, tmp_path):
    frame, y = mixed_frame()
    model = NNClassifier(max_epochs=2, **SMALL).fit(frame, y)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"^ONNX export needs the onnx package: pip install "
                                          r"'scratchnn\[onnx\]'$"):
        model.to_onnx(tmp_path / "model.onnx")


def test_the_onnx_graph_names_its_estimator_its_batch_and_its_columns(tmp_path):
    # What a reader of the .onnx file sees: the graph named after the estimator, the outputs in
    # its doc string, X's batch dimension named, and a DataFrame's columns in the metadata.
    import json

    pytest.importorskip("onnx")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 3))
    quick = {"hidden_layer_sizes": (2,), "max_epochs": 1, "random_state": 0}
    binary = NNClassifier(**quick).fit(X, (X[:, 0] > 0).astype(int))
    proto = binary.to_onnx(tmp_path / "binary.onnx")
    assert proto.graph.name == "scratchnn_NNClassifier"
    assert proto.doc_string == "NNClassifier -> label, probabilities"
    (x,) = proto.graph.input
    dims = x.type.tensor_type.shape.dim
    assert x.name == "X" and [(d.dim_param, d.dim_value) for d in dims] == [("batch", 0), ("", 3)]
    assert {p.key for p in proto.metadata_props} == set()  # an array has no columns
    # multilabel targets: the probability of each label, and no single label to give
    labels = NNClassifier(**quick).fit(X, np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int))
    proto = labels.to_onnx(tmp_path / "labels.onnx")
    assert [o.name for o in proto.graph.output] == ["probabilities"]
    assert proto.doc_string == "NNClassifier -> probabilities"
    frame, _ = mixed_frame(60)
    regressor = NNRegressor(**quick).fit(frame, np.arange(60.0))
    proto = regressor.to_onnx(tmp_path / "regressor.onnx")
    assert proto.graph.name == "scratchnn_NNRegressor"
    assert proto.doc_string == "NNRegressor -> predictions"
    assert {p.key: json.loads(p.value) for p in proto.metadata_props} == {
        "columns": [c.to_json() for c in regressor.preprocessing_.columns]}


def test_the_targets_of_a_frame_are_checked_and_named_as_scikit_learn_checks_them():
    # A DataFrame of mixed columns is not checked by check_X_y, so its y is checked apart, with
    # scikit-learn's messages, named: missing, of another length, not finite.
    from scipy import sparse

    frame, y = mixed_frame(60)
    quick = {"hidden_layer_sizes": (2,), "max_epochs": 1, "random_state": 0}

    def refused(message, y):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            NNRegressor(**quick).fit(frame, y)

    refused("y: this estimator requires y to be passed, but the target y is None", None)
    refused("y: Found input variables with inconsistent numbers of samples: [60, 59]",
            np.arange(59.0))
    refused("Input y contains NaN.", np.r_[np.nan, np.arange(59.0)])
    # object-dtype numbers are a regressor's numbers; object-dtype labels stay a classifier's
    values = np.arange(60.0)
    as_objects = NNRegressor(**quick).fit(frame, pd.Series(values, dtype=object))
    assert as_objects.y_mean_.tolist() == [np.mean(values)]
    labels = NNClassifier(**quick).fit(frame, pd.Series(y, dtype=object))
    assert sorted(labels.classes_) == ["no", "yes"]
    # and a sparse indicator matrix is multilabel targets, as with an array X
    indicator = np.c_[y == "yes", np.arange(60) % 2].astype(int)
    multilabel = NNClassifier(**quick).fit(frame, sparse.csr_matrix(indicator))
    assert multilabel.predict(frame).shape == (60, 2)


def test_column_names_that_are_the_same_as_strings_are_refused():
    # 0.1 and float32 0.1 are different numbers, both written "0.1"
    names = [0.1, np.float32(0.1), 2]
    frame = pd.DataFrame({0: np.arange(20.0), 1: np.arange(20.0), 2: ["a", "b"] * 10})
    frame.columns = pd.Index(names, dtype=object)
    with pytest.raises(ValueError, match="^" + re.escape(
            f"X: a DataFrame's column names must be distinct (as strings), got {names!r}")
            + "$"):
        NNClassifier(max_epochs=1).fit(frame, np.arange(20) % 2)


def test_an_array_a_frame_fitted_estimator_cannot_read_is_refused_naming_x():
    from scipy import sparse

    frame, y = mixed_frame(60)
    model = NNClassifier(max_epochs=1, **SMALL).fit(frame, y)
    with pytest.raises(ValueError, match="^" + re.escape(
            "X: Expected 2D array, got 1D array instead:\narray=[0. 1. 2. 3. 4.].\nReshape your "
            "data either using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample.") + "$"):
        model.predict(np.arange(5.0))
    with pytest.raises(TypeError, match="^" + re.escape(
            "Sparse data was passed for X, but dense data is required. Use '.toarray()' to "
            "convert to a dense numpy array.") + "$"):
        model.predict(sparse.csr_matrix(np.ones((3, 5))))


def test_a_frame_with_column_names_that_are_not_strings_predicts_by_position_as_at_fit():
    # Columns named 0..4 (no feature names for scikit-learn) are the preprocessing's "0".."4":
    # the same model, the same probabilities as the frame with those names as strings.
    frame, y = mixed_frame(60)
    by_number = frame.set_axis(range(5), axis=1)
    by_string = frame.set_axis([str(i) for i in range(5)], axis=1)
    numbered = NNClassifier(max_epochs=2, **SMALL).fit(by_number, y)
    named = NNClassifier(max_epochs=2, **SMALL).fit(by_string, y)
    assert numbered.preprocessing_.column_names == ["0", "1", "2", "3", "4"]
    np.testing.assert_array_equal(numbered.predict_proba(by_number), named.predict_proba(by_string))


def test_a_frame_is_told_by_its_class_and_only_plain_numpy_numbers_make_it_an_array():
    from scratchnn.sklearn._data import is_dataframe

    # A DataFrame (or a subclass) of any pandas, whose DataFrame class was defined in a
    # submodule before pandas named its module "pandas"; nothing else of pandas, no other
    # DataFrame.
    older = type("DataFrame", (), {"__module__": "pandas.core.frame"})
    assert is_dataframe(pd.DataFrame()) and is_dataframe(type("Sub", (pd.DataFrame,), {})())
    assert is_dataframe(older()) and is_dataframe(type("Sub", (older,), {})())
    assert not is_dataframe(pd.Series(dtype=float)) and not is_dataframe(pd.Index([1]))
    assert not is_dataframe(type("DataFrame", (), {"__module__": "polars.dataframe"})())
    # A Series X is refused as scikit-learn refuses it, not read as a frame.
    with pytest.raises(ValueError, match="^" + re.escape(
            "X: Expected a 2-dimensional container but got <class 'pandas.Series'> instead. "
            "Pass a DataFrame containing a single row (i.e. single sample) or a single column "
            "(i.e. single feature) instead.") + "$"):
        NNClassifier(max_epochs=1).fit(pd.Series(np.arange(6.0)), np.arange(6) % 2)
    # Booleans or text in NumPy dtypes (no pandas dtype) still make a table.
    y = np.arange(20) % 2
    for other in ([True, False] * 10, ["a", "b"] * 10):
        frame = pd.DataFrame({"x": np.arange(20.0), "other": other})
        model = NNClassifier(max_epochs=1, **SMALL).fit(frame, y)
        assert model.preprocessing_ is not None
        assert model.preprocessing_.column_names == ["x", "other"]


def test_a_frame_fitted_estimator_continues_on_an_array_of_its_columns():
    # After a fit on a DataFrame, partial_fit (or a warm fit) reads an array as the frame's
    # columns, in their order, through the same preprocessing, as predict does.
    frame, y = mixed_frame(60)
    on_frame = NNClassifier(max_epochs=2, **SMALL).fit(frame, y).partial_fit(frame, y)
    on_array = NNClassifier(max_epochs=2, **SMALL).fit(frame, y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        on_array.partial_fit(frame.to_numpy(dtype=object), y)
    assert len(on_array.loss_curve_) == 3
    assert on_array.loss_curve_ == on_frame.loss_curve_  # the same features, the same shapes
