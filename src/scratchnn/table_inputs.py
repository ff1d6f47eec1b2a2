"""A table's columns turned into a network's input: the one preprocessing of the command line and
the estimators.

:class:`TableInputs` holds what is learned from the training rows of a table: each feature
column's treatment (:class:`~scratchnn.columns.ColumnTreatment`: a numeric column imputed, a text
column one-hot encoded over its training categories, a date column turned into days, month and
weekday) and the standardization ``(x - mean) / scale`` of every network input. It encodes new
tables the same way, and builds the ONNX nodes that do the same inside a graph.

The command line's model bundle (:class:`scratchnn.bundle.Bundle`) is a :class:`TableInputs`
with a network and the rest of a model file; :class:`~scratchnn.sklearn.NNClassifier` and
:class:`~scratchnn.sklearn.NNRegressor` keep one (``preprocessing_``) when fitted on a pandas
DataFrame, made by :func:`fit_frame`. Neither imports the other: both import this module.
"""

from __future__ import annotations

import numpy as np

from .columns import (
    NA_STRINGS,
    ColumnSettings,
    fit_columns,
    format_names,
    input_collisions,
)
from .preprocessing import Standardizer

__all__ = ["TableInputs", "fit_frame", "classifier_outputs", "regression_outputs",
           "write_graph"]


class TableInputs:
    """The feature columns of a table and how each reaches the network.

    Parameters
    ----------
    columns : list of ColumnTreatment
        The feature columns, in the order their inputs reach the network.
    mean, scale : array_like of shape (n_inputs,)
        The standardization ``(x - mean) / scale`` of the network inputs.
    reading : dict, optional
        ``decimal`` (the decimal mark of numbers written as text, default ``"."``) and
        ``keep_na_strings`` (``NA`` and the other :data:`~scratchnn.columns.NA_STRINGS` are
        categories of text columns rather than missing; default False).

    Attributes
    ----------
    columns : list of ColumnTreatment
    mean, scale : ndarray of shape (n_inputs,)
    reading : dict
    """

    float32_advice = "the training data holds values beyond float32's range"
    """The end of :meth:`check_float32`'s message: where such statistics came from."""

    def __init__(self, columns, mean, scale, reading=None):
        self.columns = list(columns)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.reading = {"decimal": ".", "keep_na_strings": False, **(reading or {})}

    def __repr__(self):
        return (f"{type(self).__name__}({len(self.columns)} columns "
                f"{format_names(self.column_names, 5)}, {len(self.mean)} inputs)")

    @property
    def feature_names(self):
        """The network's input names: numeric columns, and ``column=category`` for text."""
        return [name for column in self.columns for name in column.input_names]

    @property
    def column_names(self):
        """The feature columns a table must have."""
        return [column.name for column in self.columns]

    def missing_columns(self, path, present):
        """Raise ValueError naming (at most 10 of) the feature columns ``present`` lacks."""
        names = set(present)
        missing = [name for name in self.column_names if name not in names]
        if missing:
            raise ValueError(
                f"{path}: missing feature column(s) {format_names(missing)}; the file has "
                f"{format_names(present)}, the model reads {len(self.column_names)} column(s) "
                f"{format_names(self.column_names)}")

    def column_inputs(self, column, series, path, locate):
        """The network inputs of one feature column before standardization.

        Returns ``(inputs, n_unseen, n_missing)``: ``inputs`` yields one float64 array ``(m,)``
        per network input of the column (a numeric column imputed, each of a date column's
        three numbers, or one category's 0/1 column); ``n_unseen`` counts the cells of a text
        column holding a category not seen in training, ``n_missing`` the missing cells.
        """
        if column.kind == "text":
            codes, n_unseen, n_missing = column.codes(series, self.na_strings)
            return ((codes == k).astype(np.float64) for k in range(len(column.categories))), \
                n_unseen, n_missing
        X, _, n_missing = column.encode(series, path, locate, decimal=self.reading["decimal"])
        return iter(X.T.copy()), 0, n_missing

    @property
    def na_strings(self):
        """The spellings that are missing in a text column (none with ``--keep-na-strings``)."""
        return frozenset() if self.reading["keep_na_strings"] else NA_STRINGS

    def encode(self, frame, path, locate):
        """The feature columns of a table imputed and encoded: ``(X, unseen)``.

        ``X`` has shape ``(m, n_inputs)``, not standardized; ``unseen`` maps each text column to
        the number of its cells that held a category not seen in training (encoded as all
        zeros). Other columns of ``frame`` are not read.
        """
        self.missing_columns(path, list(frame.columns))
        parts, unseen = [], {}
        for column in self.columns:
            inputs, n_unseen, _ = self.column_inputs(column, frame[column.name], path, locate)
            parts.extend(inputs)
            if n_unseen:
                unseen[column.name] = n_unseen
        return np.column_stack(parts), unseen

    def fit_inputs(self, table, order, n_fit, path, locate, dtype=np.float32):
        """The standardized network input of the rows ``order`` of a table, as rows, with the
        standardization learned on the first ``n_fit`` of them (it sets :attr:`mean` and
        :attr:`scale`).

        Made for tables as large as memory allows: each input (a numeric column imputed, one of
        a date's numbers, or one category's 0/1 column) is computed and standardized in float64
        on its own and written in ``dtype`` (float32 by default) into a contiguous row of an
        ``(n_inputs, m)`` array, and each feature column is **removed from** ``table`` (a dict of
        columns, the only holder of them) once encoded, so the table's memory goes as the input's
        grows. The result is then transposed
        once into rows.

        Returns
        -------
        X : ndarray of shape (len(order), n_inputs), C-contiguous, of ``dtype``
            ``X[:n_fit].T`` is the layout :meth:`ClassifierNN.train` uses without a copy.

        Raises
        ------
        ValueError
            As :meth:`encode`, or naming the file and column if a value is too large to
            standardize in ``dtype``.
        """
        from .tables import release_freed_memory

        self.missing_columns(path, list(table))
        order = np.asarray(order)
        fit_rows = order[:n_fit]
        n_inputs = len(self.feature_names)
        columns = np.empty((n_inputs, len(order)), dtype=dtype)
        mean, scale = np.empty(n_inputs), np.empty(n_inputs)
        j = 0
        for column in self.columns:
            # A dict, not a DataFrame: popping a column from a frame costs time that grows with
            # its number of columns, so popping them all grows with its square.
            series = table.pop(column.name)
            inputs, _, _ = self.column_inputs(column, series, path, locate)
            del series
            for x in inputs:
                standardizer = Standardizer().fit(x[fit_rows].reshape(-1, 1))
                mean[j], scale[j] = standardizer.mean_[0], standardizer.scale_[0]
                with np.errstate(over="ignore", invalid="ignore"):
                    columns[j] = (x[order] - mean[j]) / scale[j]
                if not np.all(np.isfinite(columns[j])):
                    raise ValueError(f"{path}: column {column.name!r} holds values too large to "
                                     f"standardize (beyond the {np.dtype(dtype).name} range once "
                                     f"centred)")
                j += 1
        self.mean, self.scale = mean, scale
        release_freed_memory()
        X = np.empty(columns.shape[::-1], dtype=dtype)
        X[...] = columns.T
        return X

    def inputs(self, frame, path, locate, dtype=np.float64):
        """The network input for a table: ``(X, unseen, missing)``, ``X`` ``(n_inputs, m)``.

        What :meth:`encode` gives, standardized, in ``dtype``: each input computed in
        float64 on its own and written into its row of ``X``, so that a chunk of a table needs
        one array the size of its input and a few columns. ``unseen`` maps each text column to
        its cells holding a category not seen in training, ``missing`` each feature column to
        its missing cells (imputed, or all zeros for text); columns with none are left out.
        """
        self.missing_columns(path, list(frame.columns))
        n_inputs = len(self.mean)
        X = np.empty((n_inputs, len(frame)), dtype=dtype)
        unseen, missing, j = {}, {}, 0
        for column in self.columns:
            inputs, n_unseen, n_missing = self.column_inputs(column, frame[column.name], path,
                                                             locate)
            if n_unseen:
                unseen[column.name] = n_unseen
            if n_missing:
                missing[column.name] = n_missing
            for x in inputs:
                with np.errstate(over="ignore", invalid="ignore"):
                    X[j] = (x - self.mean[j]) / self.scale[j]
                if not np.all(np.isfinite(X[j])):
                    raise ValueError(f"{path}: values too large to standardize (beyond the "
                                     f"float range once centred)")
                j += 1
        return X, unseen, missing

    def check_float32(self):
        """Refuse statistics that a float32 graph cannot hold: a numeric column's fill beyond
        float32's range, or a standardization whose mean overflows or whose scale's inverse does
        (a scale of 1e-300), naming the column. The graph would answer NaN on every row."""
        largest, tiny = float(np.finfo(np.float32).max), float(np.finfo(np.float32).tiny)
        j = 0
        for column in self.columns:
            n = len(column.input_names)
            fill_ok = column.kind == "text" or column.fill is None or abs(column.fill) <= largest
            mean, scale = self.mean[j:j + n], self.scale[j:j + n]
            j += n
            stats_ok = (np.all(np.abs(mean) <= largest) and np.all(scale >= tiny)
                        and np.all(scale <= largest))
            if not (fill_ok and stats_ok):
                raise ValueError(
                    f"column {column.name!r}: its imputed value or standardization (mean, scale) "
                    f"lies beyond float32's range, so the ONNX graph would give NaN on every row; "
                    f"{self.float32_advice}")

    def transform(self, frame, path="X"):
        """The standardized network input of a DataFrame as rows, float64 ``(m, n_inputs)``.

        A text cell holding a category not seen in training is all zeros, as a missing one,
        and a ``UserWarning`` says how many there were in which columns (what ``scratchnn
        predict`` does); a missing number or date is imputed.
        """
        X, unseen, _ = self.inputs(frame, path, _row_locator, np.float64)
        if unseen:
            import warnings

            shown = ", ".join(f"{name!r} ({n} rows)" for name, n in unseen.items())
            warnings.warn(f"{path}: categories not seen in training, encoded as no category: "
                          f"{shown}", UserWarning, stacklevel=3)
        return np.ascontiguousarray(X.T)

    # ----------------------------------------------------------------------- ONNX

    def onnx_features(self):
        """The graph's front: one input per feature column, the nodes that impute and encode
        them, concatenated into ``features``, float32 ``(batch, n_inputs)``, not standardized.

        A numeric column's input is float32 ``(batch, 1)`` (NaN when missing), a text column's
        string ``(batch, 1)`` (the value stripped of surrounding spaces; ``""`` when missing), a
        date column's float64 ``(batch, 1)`` (its days since 1970-01-01, NaN when missing: ONNX
        has no date parsing).

        Returns
        -------
        inputs : list of onnx.ValueInfoProto
        nodes : list of onnx.NodeProto
        initializers : list of onnx.TensorProto
        """
        from onnx import TensorProto, helper, numpy_helper

        node = helper.make_node
        nodes, initializers, inputs, parts = [], [], [], []
        for k, column in enumerate(self.columns):
            name = column.name
            if column.kind == "numeric":
                inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                            ["batch", 1]))
                if column.fill is None:  # trained with --impute error: NaN stays NaN
                    parts.append(name)
                    continue
                initializers.append(numpy_helper.from_array(
                    np.array([column.fill], dtype=np.float32), name=f"fill_{k}"))
                nodes += [node("IsNaN", [name], [f"missing_{k}"], name=f"isnan_{k}"),
                          node("Where", [f"missing_{k}", f"fill_{k}", name], [f"imputed_{k}"],
                               name=f"impute_{k}")]
                parts.append(f"imputed_{k}")
            elif column.kind == "date":
                inputs.append(helper.make_tensor_value_info(name, TensorProto.DOUBLE,
                                                            ["batch", 1]))
                date_nodes, date_initializers = _date_nodes(node, numpy_helper, name, k,
                                                            column.fill)
                nodes += date_nodes
                initializers += date_initializers
                parts.append(f"date_{k}")
            else:
                inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING,
                                                            ["batch", 1]))
                initializers.append(numpy_helper.from_array(
                    np.array([-1, len(column.categories)], dtype=np.int64), name=f"shape_{k}"))
                nodes += [node("OneHotEncoder", [name], [f"onehot3d_{k}"], name=f"onehot_{k}",
                               domain="ai.onnx.ml", cats_strings=list(column.categories),
                               zeros=1),
                          node("Reshape", [f"onehot3d_{k}", f"shape_{k}"], [f"onehot_{k}"],
                               name=f"reshape_{k}")]
                parts.append(f"onehot_{k}")
        nodes.append(node("Concat", parts, ["features"], name="concat", axis=1))
        return inputs, nodes, initializers


def _row_locator(index):
    return f"row {index!r}"


def fit_frame(frame, train_rows=None, categorical=(), path="X"):
    """Fit a :class:`TableInputs` on the rows ``train_rows`` of a DataFrame, and encode it whole.

    Each column is treated as ``scratchnn train`` treats it (:func:`scratchnn.columns.fit_columns`
    with its default settings: missing numbers and dates imputed with the training median, text
    one-hot encoded over the training categories), but a column of pandas's ``category`` dtype,
    or one named in ``categorical``, is always one-hot encoded (as scikit-learn's
    ``categorical_features="from_dtype"``); a boolean column is a number, 0 or 1.

    Parameters
    ----------
    frame : pandas.DataFrame
        Its column names must be distinct strings.
    train_rows : ndarray of int, optional
        The positions of the rows the treatments and the standardization are learned from
        (default: every row).
    categorical : iterable of str
    path : str
        What the messages call the table.

    Returns
    -------
    preprocessing : TableInputs
    X : ndarray of shape (len(frame), n_inputs), float64
        Every row of ``frame`` encoded and standardized, in its order.

    Raises
    ------
    ValueError
        Naming every column that cannot be used (free text, over
        :data:`~scratchnn.columns.MAX_CATEGORIES` categories, a word among numbers, infinite
        values, no value in the training rows), or a frame without rows or columns.
    """
    import pandas

    m = len(frame)
    names = list(frame.columns)
    if m == 0 or not names:
        raise ValueError(f"{path} must have at least one row and one column, got shape "
                         f"{frame.shape}")
    train_rows = np.arange(m) if train_rows is None else np.asarray(train_rows)
    categorical = set(categorical) | {
        name for name in names if isinstance(frame[name].dtype, pandas.CategoricalDtype)}
    settings = ColumnSettings(categorical=frozenset(categorical))
    treatments, problems, _ = fit_columns(frame, names, train_rows, settings, path, _row_locator)
    problems += input_collisions(treatments)
    if problems:
        lines = "; ".join(("" if p.column is None else f"column {p.column!r}: ") + p.reason
                          for p in problems)
        raise ValueError(f"{path}: cannot use {len(problems)} column(s): {lines}")
    preprocessing = TableInputs(treatments, [], [])
    table = {name: frame[name] for name in names}
    rest = np.setdiff1d(np.arange(m), train_rows)
    order = np.concatenate([train_rows, rest])
    X_rows = preprocessing.fit_inputs(table, order, len(train_rows), path, _row_locator,
                                      dtype=np.float64)
    X = np.empty_like(X_rows)
    X[order] = X_rows
    return preprocessing, X


def classifier_outputs(n_outputs, label_names):
    """A classifier's graph end, from ``network_output`` (``n_outputs`` columns) to
    ``probabilities`` and ``label``: ``(nodes, initializers, outputs)``.

    One sigmoid output gives two probability columns, ``1 - p`` and ``p``; ``label`` (string
    ``(batch,)``) is the name of the most probable class. With ``label_names`` None (a multilabel
    model) there is no ``label``, and ``probabilities`` is the network's output.
    """
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node
    nodes, initializers = [], []
    n_classes = 2 if n_outputs == 1 and label_names is not None else n_outputs
    if n_outputs == 1 and label_names is not None:  # one sigmoid: P(label 1); add P(label 0)
        initializers.append(numpy_helper.from_array(np.ones(1, np.float32), name="one"))
        nodes += [node("Sub", ["one", "network_output"], ["p_first"], name="complement"),
                  node("Concat", ["p_first", "network_output"], ["probabilities"],
                       name="both_classes", axis=1)]
    else:
        nodes.append(node("Identity", ["network_output"], ["probabilities"], name="proba"))
    outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                             ["batch", n_classes])]
    if label_names is None:
        return nodes, initializers, outputs
    initializers.append(helper.make_tensor("label_names", TensorProto.STRING,
                                           [len(label_names)],
                                           [name.encode() for name in label_names]))
    nodes += [node("ArgMax", ["probabilities"], ["class_index"], name="argmax", axis=1,
                   keepdims=0),
              node("Gather", ["label_names", "class_index"], ["label"], name="label", axis=0)]
    outputs.insert(0, helper.make_tensor_value_info("label", TensorProto.STRING, ["batch"]))
    return nodes, initializers, outputs


def regression_outputs(target_mean, target_scale):
    """A regression's graph end, from ``network_output`` to ``predictions``: the output
    de-standardized in float64, ``output * target_scale + target_mean``;
    ``(nodes, initializers, outputs)``."""
    from onnx import TensorProto, helper, numpy_helper

    node = helper.make_node
    target_mean = np.asarray(target_mean, dtype=np.float64)
    initializers = [
        numpy_helper.from_array(np.asarray(target_scale, dtype=np.float64), name="target_scale"),
        numpy_helper.from_array(target_mean, name="target_mean")]
    nodes = [node("Cast", ["network_output"], ["network_output_f64"], name="to_double",
                  to=TensorProto.DOUBLE),
             node("Mul", ["network_output_f64", "target_scale"], ["scaled_value"],
                  name="target_scale_mul"),
             node("Add", ["scaled_value", "target_mean"], ["predictions"],
                  name="target_mean_add")]
    return nodes, initializers, [helper.make_tensor_value_info(
        "predictions", TensorProto.DOUBLE, ["batch", len(target_mean)])]


def write_graph(path, name, inputs, nodes, initializers, outputs, doc_string, properties):
    """Check that no graph input is also a name inside the graph, then make the ONNX model
    (opsets ``""`` and ``ai.onnx.ml``) with ``properties`` stored as JSON and write it.

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    ValueError
        If an input (a column) has the name of a value inside the graph.
    """
    import json

    from onnx import helper

    from .export import IR_VERSION, OPSET, write_onnx
    from .version import __version__

    internal = {out for n in nodes for out in n.output} | {t.name for t in initializers}
    clash = sorted(internal & {value.name for value in inputs})
    if clash:
        raise ValueError(f"column(s) {format_names(clash)} have the name of a value inside "
                         f"the ONNX graph; rename them to export")
    graph = helper.make_graph(nodes, name, inputs, outputs, initializers)
    onnx_model = helper.make_model(
        graph, producer_name="scratchnn", producer_version=__version__,
        ir_version=IR_VERSION,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", 1)],
        doc_string=doc_string)
    helper.set_model_props(onnx_model, {k: json.dumps(v) for k, v in properties.items()})
    return write_onnx(onnx_model, path)


def _date_nodes(node, numpy_helper, name, k, fill):
    """ONNX nodes from a date column's input (float64 days since 1970-01-01, NaN where missing)
    to its three network inputs, float32 ``(batch, 3)`` named ``date_k``: the days (missing ones
    imputed), the month and the weekday, as :func:`scratchnn.columns.date_inputs` computes them.

    The month comes from Howard Hinnant's ``civil_from_days`` (days to a proleptic Gregorian
    date, exact in float64 for any date of the float range used here): shifted so that years start
    on 1 March, ``era = floor(z / 146097)`` 400-year cycles, the day of the era, the year of the
    era, the day of that year, then the month from ``floor((5 doy + 2) / 153)``. The weekday is
    ``x - 7 floor(x / 7)`` with ``x = floor(days) + 3`` (1970-01-01 was a Thursday), which stays in
    0..6 for dates before 1970 too.
    """
    constants = {}

    def const(value):
        key = f"c{value:g}_{k}".replace(".", "p").replace("-", "m")
        if key not in constants:
            constants[key] = numpy_helper.from_array(np.array([value], dtype=np.float64), key)
        return key

    nodes = []

    def op(kind, inputs, out, **attrs):
        nodes.append(node(kind, inputs, [f"{out}_{k}"], name=f"{out}_{k}", **attrs))
        return f"{out}_{k}"

    def floor_div(x, d, out):
        return op("Floor", [op("Div", [x, const(d)], f"{out}_q")], out)

    days = name
    if fill is not None:  # trained with --impute error: NaN stays NaN
        days = op("Where", [op("IsNaN", [name], "date_missing"), const(fill), name], "date_days")
    whole = op("Floor", [days], "date_whole")
    shifted = op("Add", [whole, const(3.0)], "date_x")
    weekday = op("Sub", [shifted, op("Mul", [floor_div(shifted, 7.0, "date_weeks"), const(7.0)],
                                     "date_week_days")], "date_weekday")
    z = op("Add", [whole, const(719468.0)], "date_z")
    era = floor_div(z, 146097.0, "date_era")
    doe = op("Sub", [z, op("Mul", [era, const(146097.0)], "date_era_days")], "date_doe")
    yoe_days = op("Sub", [op("Add", [op("Sub", [doe, floor_div(doe, 1460.0, "date_q4")],
                                         "date_y1"), floor_div(doe, 36524.0, "date_q100")],
                             "date_y2"), floor_div(doe, 146096.0, "date_q400")], "date_y3")
    yoe = floor_div(yoe_days, 365.0, "date_yoe")
    year_start = op("Sub", [op("Add", [op("Mul", [yoe, const(365.0)], "date_y365"),
                                       floor_div(yoe, 4.0, "date_leap4")], "date_ys1"),
                            floor_div(yoe, 100.0, "date_leap100")], "date_year_start")
    doy = op("Sub", [doe, year_start], "date_doy")
    mp = floor_div(op("Add", [op("Mul", [doy, const(5.0)], "date_doy5"), const(2.0)],
                      "date_doy5p2"), 153.0, "date_mp")
    month = op("Where", [op("Less", [mp, const(10.0)], "date_spring"),
                         op("Add", [mp, const(3.0)], "date_m_a"),
                         op("Sub", [mp, const(9.0)], "date_m_b")], "date_month")
    joined = op("Concat", [days, month, weekday], "date_joined", axis=1)
    op("Cast", [joined], "date", to=1)  # float32, as the other inputs
    return nodes, list(constants.values())

