"""scratchnn.bundle directly: a Bundle built by hand (no training), its column treatments applied
to tables, standardization, describe, save/load of its metadata and the whole-bundle ONNX graph.

Every expectation is worked out here from the column values (NumPy's mean and std, the calendar of
``numpy.datetime64``), not read from the bundle's own output; errors are matched whole, from their
first word."""

import json

import numpy as np
import pytest

from scratchnn import io
from scratchnn.bundle import BUNDLE_FORMAT, READING_DEFAULTS, Bundle
from scratchnn.columns import ColumnTreatment
from scratchnn.network import ClassifierNN

pandas = pytest.importorskip("pandas")


def locate(index):
    return f"line {index + 2}"


def numeric(name, fill=0.0):
    return ColumnTreatment(name, "numeric", fill)


def text(name, *categories):
    return ColumnTreatment(name, "text", categories=tuple(categories))


def date(name, fill=None, fmt="ISO8601"):
    return ColumnTreatment(name, "date", fill, format=fmt)


def network(n_inputs, n_outputs, dtype="float64", seed=0):
    output = "sigmoid" if n_outputs == 1 else "softmax"
    return ClassifierNN([n_inputs, 4, n_outputs], ["tanh", output], seed=seed, dtype=dtype)


def days_of(strings):
    """Days since 1970-01-01 of ISO dates, by NumPy's calendar."""
    return np.array([np.datetime64(s, "D").astype(np.int64) for s in strings], dtype=np.float64)


# --------------------------------------------------------------------------- construction


def test_the_constructor_copies_its_arguments_and_fills_the_defaults():
    columns, training, history = [numeric("x")], {"epochs": 3}, {"costs": np.ones(2)}
    labels, ids = ["a", "b"], ("id",)
    bundle = Bundle(None, columns, [1, 2], [3, 4], "y", labels, training, history, ids,
                    {"decimal": ","})
    assert bundle.mean.dtype == np.float64 and bundle.scale.dtype == np.float64
    assert bundle.mean.tolist() == [1.0, 2.0] and bundle.scale.tolist() == [3.0, 4.0]
    columns.append(numeric("z"))
    labels.append("c")
    training["more"] = 1
    history["val_costs"] = np.ones(2)
    assert bundle.column_names == ["x"] and bundle.label_names == ["a", "b"]
    assert bundle.training == {"epochs": 3} and list(bundle.history) == ["costs"]
    assert bundle.id_columns == ["id"] and isinstance(bundle.id_columns, list)
    assert bundle.reading == {"sep": None, "decimal": ",", "header": True, "na_values": [],
                              "keep_na_strings": False}
    assert bundle.target == "y" and bundle.network is None

    plain = Bundle(None, [], [], [], "y", ["a", "b"], {})
    assert plain.history == {} and plain.id_columns == []
    assert plain.reading == READING_DEFAULTS and plain.reading is not READING_DEFAULTS
    assert plain.mean.dtype == np.float64 and plain.scale.dtype == np.float64


def test_feature_names_and_column_names():
    bundle = Bundle(None, [numeric("x"), text("c", "p", "q"), date("d")], [], [], "y",
                    ["a", "b"], {})
    assert bundle.column_names == ["x", "c", "d"]
    assert bundle.feature_names == ["x", "c=p", "c=q", "d:days", "d:month", "d:weekday"]


def test_missing_columns_names_them_the_file_and_the_model():
    bundle = Bundle(None, [numeric("x"), numeric("z"), text("c", "p")], [], [], "y", ["a", "b"],
                    {})
    bundle.missing_columns("f.csv", ["z", "c", "x", "other"])  # nothing missing: no error
    with pytest.raises(ValueError) as info:
        bundle.missing_columns("f.csv", ["z", "other"])
    assert str(info.value) == (
        "f.csv: missing feature column(s) ['x', 'c']; the file has ['z', 'other'], the model "
        "reads 3 column(s) ['x', 'z', 'c']")


# --------------------------------------------------------------------------- encoding


def messy_frame():
    return pandas.DataFrame({
        "x": pandas.Series(["1.5", "", "-2", "NA"], dtype=object),
        "c": pandas.Series(["q", "zz", None, " p "], dtype=object),
        "d": pandas.Series(["2000-02-29", "1969-12-31", None, "2024-07-04"], dtype=object),
        "other": ["u", "v", "w", "x"],
    })


def messy_bundle(**kw):
    columns = [numeric("x", 7.0), text("c", "p", "q"), date("d", 3.0)]
    return Bundle(None, columns, np.zeros(6), np.ones(6), "y", ["a", "b"], {}, **kw)


def expected_messy_inputs():
    days = np.concatenate([days_of(["2000-02-29", "1969-12-31"]), [3.0],
                           days_of(["2024-07-04"])])
    # 2000-02-29 a Tuesday (1), 1969-12-31 a Wednesday (2), 1970-01-04 a Sunday (6), 2024-07-04
    # a Thursday (3)
    month, weekday = [2.0, 12.0, 1.0, 7.0], [1.0, 2.0, 6.0, 3.0]
    return np.column_stack([[1.5, 7.0, -2.0, 7.0], [0, 0, 0, 1], [1, 0, 0, 0], days, month,
                            weekday]).astype(np.float64)


def test_encode_imputes_one_hots_and_dates_and_counts_unseen_categories():
    bundle = messy_bundle()
    X, unseen = bundle.encode(messy_frame(), "f", locate)
    assert X.dtype == np.float64 and X.shape == (4, 6)
    np.testing.assert_array_equal(X, expected_messy_inputs())
    assert unseen == {"c": 1}
    X, unseen = bundle.encode(messy_frame().iloc[[0, 3]], "f", locate)
    assert unseen == {}  # a column with no unseen category is left out
    np.testing.assert_array_equal(X, expected_messy_inputs()[[0, 3]])


def test_column_inputs_yields_one_array_per_input_with_the_counts():
    bundle = messy_bundle()
    frame = messy_frame()
    inputs, n_unseen, n_missing = bundle.column_inputs(bundle.columns[1], frame["c"], "f",
                                                       locate)
    inputs = list(inputs)
    assert (n_unseen, n_missing) == (1, 1) and len(inputs) == 2
    assert all(x.dtype == np.float64 for x in inputs)
    assert [x.tolist() for x in inputs] == [[0, 0, 0, 1], [1, 0, 0, 0]]
    inputs, n_unseen, n_missing = bundle.column_inputs(bundle.columns[0], frame["x"], "f",
                                                       locate)
    inputs = list(inputs)
    assert (n_unseen, n_missing) == (0, 2) and len(inputs) == 1
    assert inputs[0].tolist() == [1.5, 7.0, -2.0, 7.0] and inputs[0].flags.c_contiguous
    inputs, n_unseen, n_missing = bundle.column_inputs(bundle.columns[2], frame["d"], "f",
                                                       locate)
    inputs = list(inputs)
    assert (n_unseen, n_missing) == (0, 1) and len(inputs) == 3
    assert all(x.flags.c_contiguous for x in inputs)  # each its own contiguous copy
    inputs[1][:] = -1  # writing one does not write another
    assert inputs[0][0] == days_of(["2000-02-29"])[0] and inputs[2][0] == 1.0


def test_the_reading_settings_reach_the_columns():
    frame = pandas.DataFrame({"x": pandas.Series(["1,5", "NA"], dtype=object),
                              "c": pandas.Series(["NA", "p"], dtype=object)})
    columns = [numeric("x", 0.25), text("c", "NA", "p")]
    default = Bundle(None, columns, [], [], "y", ["a", "b"], {})
    assert default.na_strings and "NA" in default.na_strings
    with pytest.raises(ValueError) as info:
        default.encode(frame, "f", locate)
    assert str(info.value).startswith("f, line 2: column 'x' is '1,5', not a number")
    comma = Bundle(None, columns, [], [], "y", ["a", "b"], {},
                   reading={"decimal": ",", "keep_na_strings": True})
    assert comma.na_strings == frozenset()
    X, unseen = comma.encode(frame[["c"]].assign(x=["1,5", ""]), "f", locate)
    np.testing.assert_array_equal(X, [[1.5, 1, 0], [0.25, 0, 1]])
    assert unseen == {}
    X, _ = Bundle(None, columns, [], [], "y", ["a", "b"], {},
                  reading={"decimal": ","}).encode(frame, "f", locate)
    np.testing.assert_array_equal(X, [[1.5, 0, 0], [0.25, 0, 1]])  # NA missing, not a category


# --------------------------------------------------------------------------- standardization


def test_inputs_standardizes_in_the_networks_dtype_and_counts_unseen_and_missing():
    mean = np.array([1.0, 0.5, 0.25, 10.0, 6.0, 3.0])
    scale = np.array([2.0, 0.5, 0.25, 4.0, 3.0, 2.0])
    columns = [numeric("x", 7.0), text("c", "p", "q"), date("d", 3.0)]
    for dtype in ("float32", "float64"):
        bundle = Bundle(network(6, 2, dtype), columns, mean, scale, "y", ["a", "b"], {})
        X, unseen, missing = bundle.inputs(messy_frame(), "f", locate)
        assert X.dtype == np.dtype(dtype) and X.shape == (6, 4)
        expected = (expected_messy_inputs() - mean) / scale
        np.testing.assert_allclose(X, expected.T.astype(dtype), rtol=1e-7)
        assert unseen == {"c": 1} and missing == {"x": 2, "c": 1, "d": 1}
    X, unseen, missing = bundle.inputs(messy_frame().iloc[[0]], "f", locate)
    assert unseen == {} and missing == {}


def test_inputs_refuses_values_beyond_the_float_range_once_standardized():
    bundle = Bundle(network(1, 2, "float32"), [numeric("x")], [0.0], [1.0], "y", ["a", "b"], {})
    frame = pandas.DataFrame({"x": [1.0, 1e300]})
    with pytest.raises(ValueError) as info:
        bundle.inputs(frame, "f", locate)
    assert str(info.value) == ("f: values too large to standardize (beyond the float range once "
                               "centred)")
    float64 = Bundle(network(1, 2, "float64"), [numeric("x")], [0.0], [1.0], "y", ["a", "b"], {})
    X, _, _ = float64.inputs(frame, "f", locate)
    assert X.tolist() == [[1.0, 1e300]]
    float64.scale[0] = 1e-10  # 1e300 / 1e-10 overflows float64 too
    with pytest.raises(ValueError, match="^f: values too large"):
        float64.inputs(frame, "f", locate)


def test_fit_inputs_learns_the_statistics_on_the_first_rows_of_the_order():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0, np.nan])
    t = ["p", "q", "q", "p", "q", "q"]
    frame = {"x": pandas.Series(x), "t": pandas.Series(t, dtype=object),
             "keep": pandas.Series(range(6))}
    bundle = Bundle(None, [numeric("x", 5.0), text("t", "p", "q")], [], [], "y", ["a", "b"], {})
    order = np.array([4, 1, 0, 5, 2, 3])
    X = bundle.fit_inputs(frame, order.tolist(), 3, "f", locate)
    filled = np.where(np.isnan(x), 5.0, x)
    onehot = np.array([[v == "p", v == "q"] for v in t], dtype=np.float64)
    raw = np.column_stack([filled, onehot])
    fit = raw[order[:3]]  # rows 4, 1, 0: x 16, 2, 1; t q, q, p
    mean, scale = fit.mean(axis=0), fit.std(axis=0)
    np.testing.assert_allclose(bundle.mean, mean, rtol=1e-14)
    np.testing.assert_allclose(bundle.scale, scale, rtol=1e-14)
    assert X.dtype == np.float32 and X.shape == (6, 3) and X.flags.c_contiguous
    np.testing.assert_allclose(X, ((raw[order] - mean) / scale).astype(np.float32), rtol=1e-6)
    assert list(frame) == ["keep"]  # the feature columns left the table

    frame = {"x": pandas.Series(x), "t": pandas.Series(t, dtype=object)}
    X = bundle.fit_inputs(frame, order, 6, "f", locate, dtype=np.float64)
    assert X.dtype == np.float64
    np.testing.assert_allclose(X, (raw[order] - raw.mean(axis=0)) / raw.std(axis=0), rtol=1e-13)


def test_inputs_names_the_file_line_and_column_of_a_bad_cell():
    bundle = Bundle(network(1, 2), [numeric("x")], [0.0], [1.0], "y", ["a", "b"], {})
    frame = pandas.DataFrame({"x": pandas.Series(["1", "abc"], dtype=object)})
    with pytest.raises(ValueError) as info:
        bundle.inputs(frame, "f.csv", locate)
    assert str(info.value) == "f.csv, line 3: column 'x' is 'abc', not a number"


def test_fit_inputs_names_the_file_line_and_column_of_a_bad_cell():
    frame = {"x": pandas.Series(["1", "2", "abc"], dtype=object)}
    bundle = Bundle(None, [numeric("x")], [], [], "y", ["a", "b"], {})
    with pytest.raises(ValueError) as info:
        bundle.fit_inputs(frame, np.arange(3), 2, "f.csv", locate)
    assert str(info.value) == "f.csv, line 4: column 'x' is 'abc', not a number"


def test_fit_inputs_names_the_column_too_large_and_the_dtype():
    frame = {"a": pandas.Series([0.0, 1.0, 2.0]), "b": pandas.Series([0.0, 0.0, 1e300])}
    bundle = Bundle(None, [numeric("a"), numeric("b")], [], [], "y", ["a", "b"], {})
    with pytest.raises(ValueError) as info:
        bundle.fit_inputs(frame, np.arange(3), 2, "f", locate)
    assert str(info.value) == ("f: column 'b' holds values too large to standardize (beyond the "
                               "float32 range once centred)")
    frame = {"a": pandas.Series([0.0, 1.0, 2.0]), "b": pandas.Series([0.0, 0.0, 1e300])}
    X = bundle.fit_inputs(frame, np.arange(3), 2, "f", locate, dtype=np.float64)
    assert X[2, 1] == 1e300  # the fit rows are constant: scale 1, mean 0


def test_a_missing_column_is_refused_by_every_encoder():
    bundle = Bundle(network(1, 2), [numeric("x")], [0.0], [1.0], "y", ["a", "b"], {})
    frame = pandas.DataFrame({"z": [1.0]})
    message = "f: missing feature column(s) ['x']; the file has ['z'], the model reads 1 " \
              "column(s) ['x']"
    for call in (lambda: bundle.encode(frame, "f", locate),
                 lambda: bundle.inputs(frame, "f", locate),
                 lambda: bundle.fit_inputs({"z": frame["z"]}, [0], 1, "f", locate)):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


# --------------------------------------------------------------------------- labels


def test_labels_index_the_trained_labels_then_unseen_ones_in_order_met():
    bundle = Bundle(None, [], [], [], "y", ["a", "b"], {})
    frame = pandas.DataFrame({"y": ["b", " a", None, "z", "NA", "b", "w", "z"],
                              "other": ["a"] * 8})
    y, unseen = bundle.labels(frame)
    assert y.dtype == np.int64 and y.tolist() == [1, 0, -1, 2, -1, 1, 3, 2]
    assert unseen == ["z", "w"]
    before = ["v", "w"]  # met in earlier chunks: indices 2 and 3
    y, unseen = bundle.labels(frame, unseen=before)
    assert unseen is before and before == ["v", "w", "z"]
    assert y.tolist() == [1, 0, -1, 4, -1, 1, 3, 4]
    y, unseen = bundle.labels(frame, target="other")
    assert y.tolist() == [0] * 8 and unseen == []
    keep = Bundle(None, [], [], [], "y", ["a", "b"], {}, reading={"keep_na_strings": True})
    y, unseen = keep.labels(frame)
    assert y.tolist() == [1, 0, -1, 2, 3, 1, 4, 2] and unseen == ["z", "NA", "w"]
    y, unseen = bundle.labels(frame.iloc[:0])
    assert y.shape == (0,) and unseen == []


def test_predict_proba_gives_two_rows_for_a_sigmoid_output():
    X = np.array([[0.5, -1.0, 2.0]])
    binary = Bundle(network(1, 1), [numeric("x")], [0.0], [1.0], "y", ["a", "b"], {})
    p = binary.network.predict_proba(X)[0]
    np.testing.assert_array_equal(binary.predict_proba(X), [1.0 - p, p])
    three = Bundle(network(1, 3), [numeric("x")], [0.0], [1.0], "y", ["a", "b", "c"], {})
    np.testing.assert_array_equal(three.predict_proba(X), three.network.predict_proba(X))


# --------------------------------------------------------------------------- describe


def test_describe_lists_each_columns_role_and_how_the_table_was_read():
    columns = [numeric("x", 1.5), text("c", "p", "q")]
    bundle = Bundle(None, columns, [], [], "label", ["a", "b", "c"], {}, id_columns=["id", "n"])
    assert bundle.describe() == [
        "x: numeric, missing -> 1.5",
        "c: text, one-hot over 2 categories: p, q",
        "id: id, copied to predictions",
        "n: id, copied to predictions",
        "label: target, 3 labels",
        "read with: delimiter detected, decimal mark '.', a header row; missing: empty cells, "
        "NA, None, null, ...",
    ]
    bundle = Bundle(None, [], [], [], "label", ["a", "b"], {},
                    reading={"sep": "\t", "decimal": ",", "header": False,
                             "na_values": ["?", "-"], "keep_na_strings": True})
    assert bundle.describe() == [
        "label: target, 2 labels",
        "read with: delimiter tab, decimal mark ',', no header row; missing: empty cells, '?', "
        "'-'; NA, None, ... are categories of text columns",
    ]
    bundle = Bundle(None, [], [], [], "label", ["a", "b"], {}, reading={"sep": ";"})
    assert bundle.describe()[-1] == ("read with: delimiter ';', decimal mark '.', a header row; "
                                     "missing: empty cells, NA, None, null, ...")


# --------------------------------------------------------------------------- float32 checks


F32_MAX = float(np.finfo(np.float32).max)
F32_TINY = float(np.finfo(np.float32).tiny)


def float32_bundle(fill=0.0, mean=0.0, scale=1.0, position=4):
    """Columns text (3 inputs), numeric 'a', numeric 'b'; the fill is b's, and the mean and
    scale given are the statistics of input ``position`` (4: b's)."""
    means, scales = np.zeros(5), np.ones(5)
    means[position], scales[position] = mean, scale
    columns = [text("t", "p", "q", "r"), numeric("a", None), numeric("b", fill)]
    return Bundle(None, columns, means, scales, "y", ["a", "b"], {})


def float32_message(name):
    return (f"column {name!r}: its imputed value or standardization (mean, scale) lies beyond "
            f"float32's range, so the ONNX graph would give NaN on every row; this model file "
            f"was not written by `scratchnn train` as it is")


@pytest.mark.parametrize("kw", [
    {}, {"fill": F32_MAX}, {"fill": -F32_MAX}, {"mean": F32_MAX}, {"mean": -F32_MAX},
    {"scale": F32_TINY}, {"scale": F32_MAX},
])
def test_check_float32_accepts_statistics_up_to_float32s_limits(kw):
    float32_bundle(**kw).check_float32()


@pytest.mark.parametrize("kw, name", [
    ({"fill": 1e39}, "b"), ({"fill": -1e39}, "b"), ({"mean": 1e39}, "b"), ({"mean": -1e39}, "b"),
    ({"scale": F32_TINY / 2}, "b"), ({"scale": 1e39}, "b"),
    ({"mean": 1e39, "position": 3}, "a"), ({"scale": 1e-300, "position": 2}, "t"),
    ({"mean": -1e39, "position": 0}, "t"),
])
def test_check_float32_names_the_column_beyond_float32(kw, name):
    with pytest.raises(ValueError) as info:
        float32_bundle(**kw).check_float32()
    assert str(info.value) == float32_message(name)


def test_check_float32_reads_a_dates_three_inputs_and_fill():
    columns = [date("d", 1e39), numeric("x")]
    with pytest.raises(ValueError) as info:
        Bundle(None, columns, np.zeros(4), np.ones(4), "y", ["a", "b"], {}).check_float32()
    assert str(info.value) == float32_message("d")
    columns = [date("d", 5.0), numeric("x")]
    Bundle(None, columns, np.zeros(4), np.ones(4), "y", ["a", "b"], {}).check_float32()
    scale = np.array([1.0, 1.0, 1e39, 1.0])
    with pytest.raises(ValueError) as info:
        Bundle(None, columns, np.zeros(4), scale, "y", ["a", "b"], {}).check_float32()
    assert str(info.value) == float32_message("d")


# --------------------------------------------------------------------------- ONNX


def onnx_session(model):
    ort = pytest.importorskip("onnxruntime")
    return ort.InferenceSession(model.SerializeToString())


def onnx_feed(frame, bundle):
    """The graph's inputs from a table, as its docstring says: numbers float32 (NaN missing),
    strings stripped ('' missing), dates as float64 days (NaN missing)."""
    feed = {}
    for column in bundle.columns:
        series = frame[column.name]
        if column.kind == "numeric":
            values = pandas.to_numeric(series.replace({"NA": None}), errors="coerce")
            feed[column.name] = values.to_numpy(np.float32).reshape(-1, 1)
        elif column.kind == "text":
            values = ["" if v is None else str(v).strip() for v in series]
            feed[column.name] = np.array(values, dtype=object).reshape(-1, 1)
        else:
            days = [np.nan if v is None else days_of([v])[0] for v in series]
            feed[column.name] = np.array(days, dtype=np.float64).reshape(-1, 1)
    return feed


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_the_onnx_graph_predicts_a_messy_table_as_the_bundle_does(tmp_path, n_outputs):
    pytest.importorskip("onnx")
    labels = ["no", "yes"] if n_outputs == 1 else ["r", "s", "t"]
    # A column trained with --impute error first: the graph goes on to the columns after it.
    columns = [numeric("n", None), numeric("x", 7.0), text("c", "p", "q"), date("d", 3.0)]
    rng = np.random.default_rng(5)
    mean, scale = rng.normal(size=7), rng.uniform(0.5, 2.0, 7)
    bundle = Bundle(network(7, n_outputs, seed=3), columns, mean, scale, "y", labels, {},
                    id_columns=["other"])
    frame = messy_frame().assign(n=[0.5, -1.0, 2.0, 3.0])
    model = bundle.to_onnx(tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").read_bytes() == model.SerializeToString()
    label, proba = onnx_session(model).run(None, onnx_feed(frame, bundle))
    X, _, _ = bundle.inputs(frame, "f", locate)
    expected = bundle.predict_proba(X).T
    assert proba.dtype == np.float32 and proba.shape == (4, len(labels))
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)
    assert label.tolist() == [labels[k] for k in np.argmax(expected, axis=1)]
    assert len(set(label.tolist())) > 1 or n_outputs == 1

    # A missing number in a column trained with --impute error stays NaN.
    feed = onnx_feed(frame, bundle)
    feed["n"][1, 0] = np.nan
    _, proba = onnx_session(model).run(None, feed)
    assert np.isnan(proba[1]).all() and np.isfinite(proba[[0, 2, 3]]).all()


def test_the_onnx_graphs_inputs_outputs_and_properties(tmp_path):
    pytest.importorskip("onnx")
    from onnx import TensorProto

    from scratchnn.export import IR_VERSION, OPSET
    from scratchnn.version import __version__

    columns = [numeric("x", 7.0), text("c", "p", "q"), date("d", 3.0)]
    bundle = Bundle(network(6, 3), columns, np.zeros(6), np.ones(6), "y", ["r", "s", "t"], {},
                    id_columns=["id"])
    model = bundle.to_onnx(tmp_path / "m.onnx")
    graph = model.graph

    def shape(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    assert [(i.name, i.type.tensor_type.elem_type, shape(i)) for i in graph.input] == [
        ("x", TensorProto.FLOAT, ["batch", 1]), ("c", TensorProto.STRING, ["batch", 1]),
        ("d", TensorProto.DOUBLE, ["batch", 1])]
    assert [(o.name, o.type.tensor_type.elem_type, shape(o)) for o in graph.output] == [
        ("label", TensorProto.STRING, ["batch"]), ("probabilities", TensorProto.FLOAT,
                                                   ["batch", 3])]
    assert graph.name == "scratchnn_bundle"
    assert model.producer_name == "scratchnn" and model.producer_version == __version__
    assert model.ir_version == IR_VERSION
    assert {(o.domain, o.version) for o in model.opset_import} == {("", OPSET),
                                                                   ("ai.onnx.ml", 1)}
    assert model.doc_string == ("scratchnn train bundle: columns ['x', 'c', 'd'] -> label, "
                                "probabilities (batch, 3)")
    props = {p.key: json.loads(p.value) for p in model.metadata_props}
    assert props == {
        "columns": [{"name": "x", "kind": "numeric", "fill": 7.0},
                    {"name": "c", "kind": "text", "categories": ["p", "q"]},
                    {"name": "d", "kind": "date", "format": "ISO8601", "fill": 3.0}],
        "target": "y", "label_names": ["r", "s", "t"], "id_columns": ["id"],
        "task": "classification"}
    assert len({node.name for node in graph.node}) == len(graph.node)  # names are unique


def test_the_onnx_graph_of_a_binary_model_gives_both_probabilities(tmp_path):
    pytest.importorskip("onnx")
    bundle = Bundle(network(1, 1, seed=2), [numeric("x", 0.0)], [0.5], [2.0], "y",
                    ["neg", "pos"], {})
    model = bundle.to_onnx(tmp_path / "m.onnx")
    x = np.array([[-40.0], [0.5], [np.nan], [40.0]], dtype=np.float32)
    label, proba = onnx_session(model).run(None, {"x": x})
    p = bundle.network.predict_proba(((np.nan_to_num(x, nan=0.0) - 0.5) / 2.0).T)[0]
    np.testing.assert_allclose(proba, np.column_stack([1 - p, p]), rtol=1e-5, atol=1e-6)
    assert model.graph.output[1].type.tensor_type.shape.dim[1].dim_value == 2
    assert label.tolist() == [["neg", "pos"][int(q > 0.5)] for q in p]


def test_the_onnx_graph_computes_a_dates_days_month_and_weekday(tmp_path):
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from scratchnn.columns import date_inputs

    # From 1601 (a 400-year cycle before 2001) to 2400, leap years of every kind, times of day,
    # and the end of February and 1 March of every century year from 1600 to 2400.
    centuries = [np.datetime64(f"{year}-03-01") + shift for year in range(1600, 2500, 100)
                 for shift in (-2, -1, 0, 1)]
    days = np.concatenate([np.arange(-134774.0, 157000.0, 97.3), [11016.0, 11017.0, -0.25,
                                                                  -1.0, 0.0, 59.0, 60.0],
                           np.array(centuries).astype(np.int64).astype(np.float64)])
    whole = np.floor(days).astype("datetime64[D]")
    month = (whole.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.float64)
    weekday = ((whole.astype(np.int64) + 3) % 7).astype(np.float64)
    # 1970-01-01 a Thursday; day 59 1 March
    assert weekday[days == 0.0][0] == 3.0 and month[days == 59.0][0] == 3.0
    for fill in (None, 11016.5, 11016):  # an int fill too: its constant is float64 all the same
        bundle = Bundle(network(3, 2), [date("when", fill)], np.zeros(3), np.ones(3), "y",
                        ["a", "b"], {})
        model = bundle.to_onnx(tmp_path / "m.onnx")
        model.graph.output.append(helper.make_tensor_value_info("date_0", TensorProto.FLOAT,
                                                                None))
        feed = np.concatenate([days, [np.nan]]).reshape(-1, 1)
        _, _, inputs = onnx_session(model).run(None, {"when": feed})
        np.testing.assert_array_equal(inputs[:-1, 1], month)
        np.testing.assert_array_equal(inputs[:-1, 2], weekday)
        np.testing.assert_allclose(inputs[:-1, 0], days, rtol=2**-23)
        if fill is None:
            assert np.isnan(inputs[-1]).all()
        elif fill == 11016:
            np.testing.assert_array_equal(inputs[-1], np.float32([11016.0, 2.0, 1.0]))
        else:
            # 2000-02-29 12:00, a Tuesday
            np.testing.assert_array_equal(inputs[-1], np.float32([11016.5, 2.0, 1.0]))
            np.testing.assert_array_equal(inputs[-1], date_inputs(np.array([11016.5]))[0])


@pytest.mark.parametrize("name, n_outputs", [
    ("features", 3), ("probabilities", 3), ("label", 3), ("label_names", 3), ("one", 1),
    ("network_output", 3), ("class_index", 3), ("p_first", 1), ("fill_1", 3), ("missing_1", 3),
    ("imputed_1", 3), ("onehot_0", 3), ("shape_0", 3),
])
def test_a_column_named_like_a_value_inside_the_graph_is_refused(tmp_path, name, n_outputs):
    pytest.importorskip("onnx")
    columns = [text("t", "p", "q"), numeric(name, 1.0)]
    bundle = Bundle(network(3, n_outputs), columns, np.zeros(3), np.ones(3), "y", ["a", "b", "c"]
                    if n_outputs == 3 else ["a", "b"], {})
    with pytest.raises(ValueError) as info:
        bundle.to_onnx(tmp_path / "m.onnx")
    assert str(info.value) == (f"column(s) [{name!r}] have the name of a value inside the ONNX "
                               f"graph; rename them to export")
    assert not (tmp_path / "m.onnx").exists()


def test_a_column_named_like_the_binary_graphs_values_is_fine_in_a_multiclass_graph(tmp_path):
    pytest.importorskip("onnx")
    columns = [numeric("one", 1.0), numeric("p_first", None)]
    bundle = Bundle(network(2, 3), columns, np.zeros(2), np.ones(2), "y", ["a", "b", "c"], {})
    model = bundle.to_onnx(tmp_path / "m.onnx")
    x = np.float32([[1.0], [np.nan]])
    _, proba = onnx_session(model).run(None, {"one": x, "p_first": np.float32([[2.0], [3.0]])})
    expected = bundle.predict_proba(np.array([[1.0, 1.0], [2.0, 3.0]])).T
    np.testing.assert_allclose(proba, expected, rtol=1e-5, atol=1e-6)


def test_to_onnx_refuses_statistics_beyond_float32_before_writing(tmp_path):
    pytest.importorskip("onnx")
    bundle = float32_bundle(mean=1e39)
    bundle.network = network(5, 3)
    bundle.label_names = ["a", "b", "c"]
    with pytest.raises(ValueError) as info:
        bundle.to_onnx(tmp_path / "m.onnx")
    assert str(info.value) == float32_message("b")
    assert not (tmp_path / "m.onnx").exists()


def test_to_onnx_without_onnx_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    bundle = Bundle(network(1, 3), [numeric("x")], [0.0], [1.0], "y", ["a", "b", "c"], {})
    with pytest.raises(ImportError) as info:
        bundle.to_onnx(tmp_path / "m.onnx")
    assert str(info.value) == "ONNX export needs the onnx package: pip install 'scratchnn[onnx]'"
    assert info.value.__cause__ is None and info.value.__suppress_context__


# --------------------------------------------------------------------------- files


def saved_bundle(tmp_path, n_outputs=3, **kw):
    columns = [numeric("x", 1.5), text("c", "p", "q"), date("d", None, "%d/%m/%Y")]
    labels = ["r", "s", "t"] if n_outputs == 3 else ["no", "yes"]
    bundle = Bundle(network(6, n_outputs), columns, np.arange(6) / 4, np.arange(1, 7) / 2, "y",
                    labels, {"epochs": 2, "lr": 0.5}, **kw)
    path = tmp_path / "m.npz"
    bundle.save(path)
    return bundle, path


def test_save_writes_the_documented_metadata_and_load_reads_it_back(tmp_path):
    history = {"costs": np.array([0.9, 0.5]), "val_costs": np.array([1.0, 0.7]),
               "val_accuracy": np.array([0.5, 0.75])}
    reading = {"sep": ";", "decimal": ",", "header": False, "na_values": ["?"],
               "keep_na_strings": True}
    bundle, path = saved_bundle(tmp_path, history=history, id_columns=["id"], reading=reading)
    _, metadata = io.load_with_metadata(path)
    assert metadata["cli_format"] == BUNDLE_FORMAT == 4
    assert metadata["task"] == "classification" and "targets" not in metadata
    assert metadata["columns"] == [
        {"name": "x", "kind": "numeric", "fill": 1.5},
        {"name": "c", "kind": "text", "categories": ["p", "q"]},
        {"name": "d", "kind": "date", "format": "%d/%m/%Y", "fill": None}]
    assert metadata["feature_names"] == ["x", "c=p", "c=q", "d:days", "d:month", "d:weekday"]
    assert metadata["id_columns"] == ["id"] and metadata["target"] == "y"
    assert metadata["label_names"] == ["r", "s", "t"]
    assert metadata["training"] == {"epochs": 2, "lr": 0.5}
    assert metadata["reading"] == reading
    np.testing.assert_array_equal(metadata["feature_mean"], np.arange(6) / 4)
    np.testing.assert_array_equal(metadata["feature_scale"], np.arange(1, 7) / 2)
    for key, value in history.items():
        np.testing.assert_array_equal(metadata[key], value)

    net, metadata2, loaded = Bundle.load(str(path))
    assert metadata2.keys() == metadata.keys()
    assert loaded.network is net and isinstance(loaded, Bundle)
    assert loaded.columns == bundle.columns and loaded.target == "y"
    assert loaded.label_names == ["r", "s", "t"] and loaded.id_columns == ["id"]
    assert loaded.training == {"epochs": 2, "lr": 0.5} and loaded.reading == reading
    np.testing.assert_array_equal(loaded.mean, bundle.mean)
    np.testing.assert_array_equal(loaded.scale, bundle.scale)
    assert sorted(loaded.history) == ["costs", "val_accuracy", "val_costs"]
    for key, value in history.items():
        np.testing.assert_array_equal(loaded.history[key], value)
    X = np.random.default_rng(0).normal(size=(6, 5))
    np.testing.assert_array_equal(net.predict_proba(X), bundle.network.predict_proba(X))


def test_load_fills_the_defaults_of_an_older_bundle(tmp_path):
    bundle, path = saved_bundle(tmp_path, n_outputs=1)
    _, metadata = io.load_with_metadata(path)
    for key in ("reading", "id_columns", "costs"):
        metadata.pop(key, None)
    io.save(bundle.network, tmp_path / "old.npz", metadata=metadata)
    _, _, loaded = Bundle.load(tmp_path / "old.npz")
    assert loaded.reading == READING_DEFAULTS and loaded.id_columns == [] and loaded.history == {}
    assert loaded.label_names == ["no", "yes"]  # two names for one sigmoid output


def test_format_1_reads_every_feature_as_a_numeric_column_with_no_fill(tmp_path):
    net = network(2, 1)
    metadata = {"cli_format": 1, "feature_names": ["a", "b"], "target": "y",
                "label_names": ["n", "p"], "training": {}, "feature_mean": np.zeros(2),
                "feature_scale": np.ones(2), "columns": "ignored"}
    io.save(net, tmp_path / "m.npz", metadata=metadata)
    _, _, bundle = Bundle.load(tmp_path / "m.npz")
    assert bundle.columns == [ColumnTreatment("a", "numeric"), ColumnTreatment("b", "numeric")]
    assert bundle.columns[0].fill is None


def test_a_plain_model_file_is_refused_unless_allowed(tmp_path):
    net = network(2, 3)
    io.save(net, tmp_path / "plain.npz", metadata={"note": "hi"})
    with pytest.raises(ValueError) as info:
        Bundle.load(tmp_path / "plain.npz")
    assert str(info.value) == (
        f"{tmp_path / 'plain.npz'} is not a model written by `scratchnn train`: it holds a "
        f"network but no feature names, standardization or label names (save a model with "
        f"`scratchnn train` to use it on tables)")
    loaded, metadata, bundle = Bundle.load(tmp_path / "plain.npz", require_bundle=False)
    assert bundle is None and metadata == {"note": "hi"} and loaded.layer_dims == [2, 4, 3]
    with pytest.raises(ValueError, match="^.* is not a model written by"):
        Bundle.load(tmp_path / "plain.npz", True)


def resaved(tmp_path, change, n_outputs=3):
    bundle, path = saved_bundle(tmp_path, n_outputs)
    _, metadata = io.load_with_metadata(path)
    change(metadata)
    io.save(bundle.network, tmp_path / "bad.npz", metadata=metadata)
    return tmp_path / "bad.npz"


def refusal(tmp_path, change, n_outputs=3):
    path = resaved(tmp_path, change, n_outputs)
    with pytest.raises(ValueError) as info:
        Bundle.load(path)
    prefix = f"{path} is not a model written by `scratchnn train`: "
    assert str(info.value).startswith(prefix)
    return str(info.value)[len(prefix):]


def setter(key, value):
    return lambda metadata: metadata.__setitem__(key, value)


@pytest.mark.parametrize("value", [0, 5, True, False, "3", 2.5, None])
def test_an_unknown_cli_format_is_refused(tmp_path, value):
    assert refusal(tmp_path, setter("cli_format", value)) == (
        f"cli_format {value!r} is not one of 1 to 4 (written by a newer scratchnn?)")


@pytest.mark.parametrize("value", [2, 3, 3.0, 4])
def test_formats_2_to_4_are_read(tmp_path, value):
    _, _, bundle = Bundle.load(resaved(tmp_path, setter("cli_format", value)))
    assert bundle.column_names == ["x", "c", "d"]


def test_a_bundle_without_a_task_is_a_classifier(tmp_path):
    """Formats 1 to 3 had no task: they load as classifiers."""
    _, _, bundle = Bundle.load(resaved(tmp_path, lambda metadata: (
        metadata.pop("task"), metadata.__setitem__("cli_format", 3))))
    assert bundle.task == "classification" and not bundle.regression
    assert bundle.targets == ["y"] and bundle.label_names == ["r", "s", "t"]


@pytest.mark.parametrize("value", [
    None, "x", ["x", "c=p", "c=q", "d:days", "d:month"], ["x", "c=p", "c=q", "d:days", "d:month",
                                                          "d:month"],
    ["x", "c=p", "c=q", "d:days", "d:month", ""], ["x", "c=p", "c=q", "d:days", "d:month", 5],
    ("x", "c=p", "c=q", "d:days", "d:month", "d:weekday", "z"),
])
def test_feature_names_must_be_the_networks_inputs(tmp_path, value):
    assert refusal(tmp_path, setter("feature_names", value)) == \
        "feature_names must be 6 distinct names"


@pytest.mark.parametrize("value, why", [
    (None, "'NoneType' object is not iterable"),
    ([{"name": "x", "kind": "numeric", "fill": 1.5}, {"name": "c", "kind": "bad"},
      {"name": "d", "kind": "date", "format": "%d/%m/%Y"}],
     "column 'c': kind must be 'numeric', 'text' or 'date'"),
    ([{"name": "x", "kind": "numeric", "fill": 1.5}, 5], "a column must be a dict with a name"),
])
def test_invalid_columns_are_refused_with_why(tmp_path, value, why):
    assert refusal(tmp_path, setter("columns", value)) == f"its columns are not valid: {why}"


def test_columns_that_disagree_with_the_feature_names_are_refused(tmp_path):
    def swap(metadata):
        metadata["columns"][1]["categories"] = ["q", "p"]
    assert refusal(tmp_path, swap) == "its columns do not match its feature_names"


@pytest.mark.parametrize("value", ["id", ["id", 3], {"id": 1}])
def test_id_columns_must_be_a_list_of_names(tmp_path, value):
    assert refusal(tmp_path, setter("id_columns", value)) == "id_columns must be a list of names"


@pytest.mark.parametrize("n_outputs, value, n", [
    (3, ["r", "s"], 3), (3, ["r", "s", "r"], 3), (3, None, 3), (1, ["a"], 2),
    (1, ["a", "b", "c"], 2), (3, ["r", "s", ""], 3),
])
def test_label_names_must_name_every_class(tmp_path, n_outputs, value, n):
    assert refusal(tmp_path, setter("label_names", value), n_outputs) == \
        f"label_names must be {n} distinct names"


@pytest.mark.parametrize("key, value", [
    ("target", None), ("target", 3), ("training", None), ("training", [1])])
def test_a_target_name_and_training_settings_are_required(tmp_path, key, value):
    assert refusal(tmp_path, setter(key, value)) == "it has no target name or training settings"


@pytest.mark.parametrize("key", ["target", "training"])
def test_a_missing_target_or_training_is_refused(tmp_path, key):
    assert refusal(tmp_path, lambda metadata: metadata.pop(key)) == \
        "it has no target name or training settings"


@pytest.mark.parametrize("key", ["feature_mean", "feature_scale"])
@pytest.mark.parametrize("value", [
    [0.5] * 6, np.ones(5), np.ones((6, 1)), np.ones(6, dtype=np.int64), None,
    np.ones(6, dtype=bool),
])
def test_the_standardization_must_be_float_arrays_of_one_per_input(tmp_path, key, value):
    assert refusal(tmp_path, setter(key, value)) == \
        f"{key} must be a float array of shape (6,)"


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_a_scale_must_be_positive(tmp_path, bad):
    def change(metadata):
        metadata["feature_scale"][3] = bad
    assert refusal(tmp_path, change) == "feature_scale must be > 0"


def test_a_float32_standardization_is_accepted(tmp_path):
    def change(metadata):
        metadata["feature_scale"] = metadata["feature_scale"].astype(np.float32)
    _, _, bundle = Bundle.load(resaved(tmp_path, change))
    assert bundle.scale.dtype == np.float64 and bundle.scale.tolist() == [0.5, 1, 1.5, 2, 2.5, 3]


READING_MESSAGE = ("reading must be a dict of ['decimal', 'header', 'keep_na_strings', "
                   "'na_values', 'sep'] with valid values")


@pytest.mark.parametrize("reading", [
    None, [], {"sep": ",", "other": 1}, {"sep": ",,"}, {"sep": ""}, {"sep": 5}, {"decimal": ";"},
    {"header": 1}, {"header": None}, {"na_values": "?"}, {"na_values": ["?", 1]},
    {"keep_na_strings": 0}, {"keep_na_strings": "yes"},
])
def test_invalid_reading_settings_are_refused(tmp_path, reading):
    assert refusal(tmp_path, setter("reading", reading)) == READING_MESSAGE


@pytest.mark.parametrize("reading", [
    {}, {"sep": None}, {"sep": "\t"}, {"decimal": ","}, {"decimal": "."}, {"header": False},
    {"na_values": []}, {"na_values": ["?", "-"]}, {"keep_na_strings": True},
    dict(READING_DEFAULTS),
])
def test_valid_reading_settings_are_read(tmp_path, reading):
    _, _, bundle = Bundle.load(resaved(tmp_path, setter("reading", reading)))
    assert bundle.reading == {**READING_DEFAULTS, **reading}
