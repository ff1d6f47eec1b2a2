"""The command line's model bundle: a network and everything between a table and its input.

``scratchnn train`` saves one model file that holds everything ``evaluate``, ``predict``, ``info``
and ``export`` need (:class:`Bundle`):

- the **columns** the network reads and each one's treatment (:class:`ColumnTreatment`): a
  numeric column with the value its missing entries are imputed with, or a text column one-hot
  encoded over the categories seen in training;
- the **standardization** ``(x - mean) / scale`` of every network input (numeric columns and
  one-hot columns alike), with statistics of the training rows;
- the **target** column and the **label** of each class index;
- the **id columns**, never features, copied first into ``predict``'s output;
- the training settings and per-epoch history, for ``info``.

All of it is stored in the model file as JSON and numeric arrays through
:func:`scratchnn.io.save`'s metadata: no pickle. Tables arrive as ``pandas.DataFrame`` chunks
(:mod:`scratchnn.tables`); this module turns one into the ``(n_inputs, m)`` array the network
takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .preprocessing import OneHotEncoder, fill_value
from .tables import require_pandas

__all__ = ["Bundle", "ColumnTreatment", "fit_columns", "looks_like_id", "text_values",
           "BUNDLE_FORMAT", "MAX_CATEGORIES", "format_names"]

BUNDLE_FORMAT = 2
"""Version of what ``train`` stores in a model file's metadata (1: numeric columns only)."""

MAX_CATEGORIES = 100
"""A text column with more distinct values is refused: one-hot encoding it would not generalize."""


def format_names(names, limit=10):
    """``['a', 'b', ...]`` with at most ``limit`` names, then how many more there are."""
    names = list(names)
    shown = ", ".join(repr(name) for name in names[:limit])
    more = f", ... and {len(names) - limit} more" if len(names) > limit else ""
    return f"[{shown}{more}]"


# --------------------------------------------------------------------------- cells


def text_values(series):
    """The cells of a column as stripped strings, None where missing (NA or blank)."""
    present = series.notna().to_numpy()
    values = np.array(series.astype(str).str.strip(), dtype=object)  # a writable copy
    values[~present] = None
    values[values == ""] = None
    return values


def _numbers(series):
    """``(x, bad)``: the column as float64 with NaN where missing, and where a cell is not one."""
    pandas = require_pandas()
    if pandas.api.types.is_numeric_dtype(series.dtype):
        x = series.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        return x, np.zeros(len(x), dtype=bool)
    present = text_values(series) != None  # noqa: E711 - elementwise on an object array
    x = pandas.to_numeric(series, errors="coerce").astype("float64").to_numpy(
        dtype=np.float64, na_value=np.nan, copy=True)
    return x, present & np.isnan(x)


@dataclass(frozen=True)
class ColumnTreatment:
    """What happens to one feature column before the network sees it.

    Attributes
    ----------
    name : str
    kind : {'numeric', 'text'}
    fill : float or None
        Numeric columns: the value a missing entry becomes; None makes a missing entry an error.
    categories : tuple of str
        Text columns: one network input per category, 1 for the row's category; a missing or
        unseen value is all zeros.
    """

    name: str
    kind: str
    fill: float | None = None
    categories: tuple = ()

    @property
    def input_names(self):
        """The names of the network inputs this column becomes."""
        if self.kind == "numeric":
            return [self.name]
        return [f"{self.name}={category}" for category in self.categories]

    def to_json(self):
        if self.kind == "numeric":
            return {"name": self.name, "kind": "numeric", "fill": self.fill}
        return {"name": self.name, "kind": "text", "categories": list(self.categories)}

    @classmethod
    def from_json(cls, value):
        """Rebuild from :meth:`to_json`; ValueError if ``value`` is not such a dict."""
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise ValueError("a column must be a dict with a name")
        if value.get("kind") == "numeric":
            fill = value.get("fill")
            if fill is not None and (isinstance(fill, bool) or not isinstance(fill, (int, float))
                                     or not np.isfinite(fill)):
                raise ValueError(f"column {value['name']!r}: fill must be a finite number or null")
            return cls(value["name"], "numeric", None if fill is None else float(fill))
        if value.get("kind") == "text":
            categories = value.get("categories")
            if not (isinstance(categories, list) and categories
                    and all(isinstance(c, str) for c in categories)
                    and len(set(categories)) == len(categories)):
                raise ValueError(f"column {value['name']!r}: categories must be distinct strings")
            return cls(value["name"], "text", categories=tuple(categories))
        raise ValueError(f"column {value['name']!r}: kind must be 'numeric' or 'text'")

    def describe(self):
        """One line for ``info``."""
        if self.kind == "text":
            shown = ", ".join(self.categories[:10])
            more = f", ... ({len(self.categories)} in all)" if len(self.categories) > 10 else ""
            return f"text, one-hot over {len(self.categories)} categories: {shown}{more}"
        missing = "missing is an error" if self.fill is None else f"missing -> {self.fill:.6g}"
        return f"numeric, {missing}"

    def encode(self, series, path, locate):
        """The network inputs of this column: ``(X, n_unseen)``, ``X`` of shape ``(m, k)``.

        Raises
        ------
        ValueError
            Naming the file, line and column of the first cell that is not a number, is infinite,
            or is missing when :attr:`fill` is None.
        """
        if self.kind == "text":
            return OneHotEncoder.from_categories(self.categories).transform(text_values(series))
        return self.numbers(series, path, locate).reshape(-1, 1), 0

    def numbers(self, series, path, locate):
        """A numeric column as float64 ``(m,)``, missing values imputed; raises as :meth:`encode`."""
        x, bad = _numbers(series)
        for mask, what in ((bad, "is {!r}, not a number"),
                           (np.isinf(x), "is {!r}; infinite values are not supported")):
            if np.any(mask):
                k = int(np.argmax(mask))
                cell = str(series.iloc[k]).strip()
                raise ValueError(f"{path}, {locate(series.index[k])}: column {self.name!r} "
                                 + what.format(cell))
        missing = np.isnan(x)
        if np.any(missing):
            if self.fill is None:
                k = int(np.argmax(missing))
                raise ValueError(
                    f"{path}, {locate(series.index[k])}: column {self.name!r} is missing (empty "
                    f"or NA) and the model was trained with --impute error")
            x[missing] = self.fill
        return x

    def codes(self, series):
        """A text column as category indices: ``(codes, n_unseen)``.

        ``codes`` ``(m,)`` holds each cell's index in :attr:`categories`, -1 where the cell is
        missing or holds a category not seen in training; ``n_unseen`` counts the latter.
        """
        pandas = require_pandas()
        if isinstance(series.dtype, pandas.StringDtype):  # no Python string per cell
            stripped = series.str.strip()
            codes = pandas.Index(list(self.categories), dtype=series.dtype).get_indexer(stripped)
            present = (stripped.notna() & (stripped != "")).to_numpy(dtype=bool)
            return codes.astype(np.int64), int(np.count_nonzero(present & (codes == -1)))
        index = {category: k for k, category in enumerate(self.categories)}
        codes = np.array([-2 if value is None else index.get(value, -1)
                          for value in text_values(series)], dtype=np.int64)
        n_unseen = int(np.count_nonzero(codes == -1))
        codes[codes == -2] = -1
        return codes, n_unseen


def fit_columns(frame, names, train_rows, impute, path, locate):
    """Choose and fit the treatment of each feature column on the training rows.

    A column pandas read as numbers is numeric; a column of text is one-hot encoded, unless most
    of its cells are numbers (a stray word in a numeric column is an error naming its line).

    Parameters
    ----------
    frame : pandas.DataFrame
        The whole table.
    names : list of str
        The feature columns.
    train_rows : ndarray of int
        The rows the imputed values and the categories are learned from.
    impute : {'median', 'mean', 'most_frequent', 'error'}
    path : str
        The file, for messages.
    locate : callable
        Row index to ``"line N"``.

    Returns
    -------
    list of ColumnTreatment

    Raises
    ------
    ValueError
        For a column mixing numbers and text, an infinite value, a column without any value in
        the training rows, or a text column with more than :data:`MAX_CATEGORIES` categories.
    """
    treatments = []
    for name in names:
        series = frame[name]
        x, bad = _numbers(series)
        n_present = int(np.sum(~np.isnan(x)) + np.sum(bad))
        if np.any(bad) and np.sum(~np.isnan(x)) < n_present / 2:
            categories = OneHotEncoder().fit(text_values(series.iloc[train_rows])).categories_
            if not categories:
                raise ValueError(f"{path}: column {name!r} has no value in the training rows; "
                                 f"leave it out with --ignore {name}")
            if len(categories) > MAX_CATEGORIES:
                raise ValueError(
                    f"{path}: column {name!r} is text with {len(categories)} distinct values, too "
                    f"many to one-hot encode (at most {MAX_CATEGORIES}); leave it out with "
                    f"--ignore {name} (or --id {name} if it identifies rows)")
            treatments.append(ColumnTreatment(name, "text", categories=tuple(categories)))
            continue
        if np.any(bad):
            k = int(np.argmax(bad))
            raise ValueError(
                f"{path}, {locate(series.index[k])}: column {name!r} is "
                f"{str(series.iloc[k]).strip()!r}, not a number (the column's other values are "
                f"numbers; fix the cell, or leave the column out with --ignore {name})")
        if np.any(np.isinf(x)):
            k = int(np.argmax(np.isinf(x)))
            raise ValueError(f"{path}, {locate(series.index[k])}: column {name!r} is "
                             f"{str(series.iloc[k]).strip()!r}; infinite values are not supported")
        fill = fill_value(x[train_rows], impute)
        if fill is None and impute != "error":
            raise ValueError(f"{path}: column {name!r} has no value in the training rows; leave "
                             f"it out with --ignore {name}")
        if impute == "error" and np.any(np.isnan(x)):
            k = int(np.argmax(np.isnan(x)))
            raise ValueError(
                f"{path}, {locate(series.index[k])}: column {name!r} is missing (empty or NA); "
                f"--impute median, mean or most_frequent fills it, --ignore {name} leaves the "
                f"column out")
        treatments.append(ColumnTreatment(name, "numeric", fill))
    return treatments


_ID_NAMES = {"id", "index", "unnamed: 0", "row", "rowid", "row_id", "row id", "idx"}


def looks_like_id(name, series):
    """Why column ``name`` looks like a row id rather than a feature, or None.

    A name like ``id``, ``ID``, ``index`` or ``Unnamed: 0`` (a saved pandas index), or at least 10
    values that are distinct integers in increasing order, or (for text) distinct on every row.
    """
    lowered = name.strip().lower()
    if lowered in _ID_NAMES or lowered.endswith("_id"):
        return f"its name, {name!r}, is that of a row id"
    if len(series) < 10:
        return None
    x, bad = _numbers(series)
    if not np.any(bad):
        if (np.all(np.isfinite(x)) and np.all(x == np.round(x))
                and np.all(np.diff(x) > 0)):
            return "its values are distinct integers in increasing order"
        return None
    values = text_values(series)
    if all(v is not None for v in values) and len(set(values)) == len(values):
        return "its values are distinct text on every row"
    return None


# --------------------------------------------------------------------------- the bundle


class Bundle:
    """A network with what the command line keeps beside it.

    Attributes
    ----------
    network : ClassifierNN
    columns : list of ColumnTreatment
        The feature columns, in the order their inputs reach the network.
    mean, scale : ndarray of shape (n_inputs,)
        The standardization ``(x - mean) / scale`` applied before the network.
    target : str
        The column the network predicts.
    label_names : list of str
        The label of each class index (2 for a single sigmoid output).
    training : dict
        The settings and results of training, for ``info``.
    history : dict of str to ndarray
        Per-epoch ``costs`` (and ``val_costs``, ``val_accuracy`` with a validation split).
    id_columns : list of str
        Columns copied first into ``predict``'s output, never features.
    """

    def __init__(self, network, columns, mean, scale, target, label_names, training,
                 history=None, id_columns=()):
        self.network = network
        self.columns = list(columns)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.target = target
        self.label_names = list(label_names)
        self.training = dict(training)
        self.history = dict(history or {})
        self.id_columns = list(id_columns)

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
        missing = [name for name in self.column_names if name not in present]
        if missing:
            raise ValueError(
                f"{path}: missing feature column(s) {format_names(missing)}; the file has "
                f"{format_names(present)}, the model reads {len(self.column_names)} column(s) "
                f"{format_names(self.column_names)}")

    def encode(self, frame, path, locate):
        """The feature columns of a table imputed and encoded: ``(X, unseen)``.

        ``X`` has shape ``(m, n_inputs)``, not standardized; ``unseen`` maps each text column to
        the number of its cells that held a category not seen in training (encoded as all
        zeros). Other columns of ``frame`` are not read.
        """
        self.missing_columns(path, list(frame.columns))
        parts, unseen = [], {}
        for column in self.columns:
            X, n_unseen = column.encode(frame[column.name], path, locate)
            parts.append(X)
            if n_unseen:
                unseen[column.name] = n_unseen
        return np.hstack(parts), unseen

    def fit_inputs(self, frame, order, n_fit, path, locate, dtype=np.float32):
        """The standardized network input of the rows ``order`` of a table, as rows, with the
        standardization learned on the first ``n_fit`` of them (it sets :attr:`mean`, :attr:`scale`).

        Made for tables as large as memory allows: each input (a numeric column imputed, or one
        category's 0/1 column) is computed and standardized in float64 on its own and written in
        ``dtype`` (float32 by default) into a contiguous row of an ``(n_inputs, m)`` array, and
        each feature column is **removed from** ``frame`` once encoded, so the table's memory goes
        as the input's grows. The result is then transposed once into rows.

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
        from .preprocessing import Standardizer
        from .tables import release_freed_memory

        self.missing_columns(path, list(frame.columns))
        order = np.asarray(order)
        fit_rows = order[:n_fit]
        n_inputs = len(self.feature_names)
        columns = np.empty((n_inputs, len(order)), dtype=dtype)
        mean, scale = np.empty(n_inputs), np.empty(n_inputs)
        j = 0
        for column in self.columns:
            series = frame.pop(column.name)
            if column.kind == "numeric":
                inputs = [column.numbers(series, path, locate)]
            else:
                codes, _ = column.codes(series)
                inputs = ((codes == k).astype(np.float64) for k in range(len(column.categories)))
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

    def inputs(self, frame, path, locate):
        """The network input for a table: ``(X, unseen)``, ``X`` of shape ``(n_inputs, m)``.

        What :meth:`encode` gives, standardized, in the network's dtype: each input computed in
        float64 on its own and written into its row of ``X``, so that a chunk of a table needs
        one array the size of its input and a few columns.
        """
        self.missing_columns(path, list(frame.columns))
        n_inputs = len(self.mean)
        X = np.empty((n_inputs, len(frame)), dtype=self.network.compute_dtype)
        unseen, j = {}, 0
        for column in self.columns:
            series = frame[column.name]
            if column.kind == "numeric":
                inputs = [column.numbers(series, path, locate)]
            else:
                codes, n_unseen = column.codes(series)
                if n_unseen:
                    unseen[column.name] = n_unseen
                inputs = ((codes == k).astype(np.float64) for k in range(len(column.categories)))
            for x in inputs:
                with np.errstate(over="ignore", invalid="ignore"):
                    X[j] = (x - self.mean[j]) / self.scale[j]
                if not np.all(np.isfinite(X[j])):
                    raise ValueError(f"{path}: values too large to standardize (beyond the "
                                     f"float range once centred)")
                j += 1
        return X, unseen

    def labels(self, frame, path, locate, target=None):
        """The class index of each row's label in column ``target`` (the trained one by default).

        Raises
        ------
        ValueError
            Naming the line of a missing label or of one the model was not trained on.
        """
        target = self.target if target is None else target
        values = text_values(frame[target])
        known = {label: k for k, label in enumerate(self.label_names)}
        y = np.empty(len(values), dtype=np.int64)
        for i, label in enumerate(values):
            k = known.get(label)
            if k is None:
                where = f"{path}, {locate(frame.index[i])}: column {target!r}"
                if label is None:
                    raise ValueError(f"{where} is empty")
                raise ValueError(f"{where} holds {label!r}, a label the model was not trained "
                                 f"on; it knows {format_names(self.label_names)}")
            y[i] = k
        return y

    def predict_proba(self, X):
        """Class probabilities ``(n_classes, m)``, two rows for a single sigmoid output."""
        proba = self.network.predict_proba(X)
        if proba.shape[0] == 1:
            proba = np.vstack([1.0 - proba, proba])
        return proba

    def describe(self):
        """Lines for ``info``: each column's role and treatment."""
        lines = [f"{column.name}: {column.describe()}" for column in self.columns]
        lines += [f"{name}: id, copied to predictions" for name in self.id_columns]
        lines.append(f"{self.target}: target, {len(self.label_names)} labels")
        return lines

    # ----------------------------------------------------------------------- ONNX

    def to_onnx(self, path):
        """Write the whole bundle as one ONNX graph that takes the raw feature columns.

        The graph has one input per feature column, named like it, of shape ``(batch, 1)``:
        float32 for a numeric column (NaN for a missing value), string for a text column (the
        value as the file spells it, stripped of surrounding spaces; ``""`` when missing). Inside,
        missing numbers are imputed (``IsNaN``, ``Where``), text columns one-hot encoded
        (``ai.onnx.ml`` ``OneHotEncoder``, an unseen or missing value all zeros), the inputs
        concatenated, standardized and fed to the network. Outputs: ``label``, string
        ``(batch,)``, and ``probabilities``, float32 ``(batch, n_classes)``: one column per
        class, two for a binary model, like ``predict --proba``.

        Returns
        -------
        onnx.ModelProto

        Raises
        ------
        ImportError
            Without the ``onnx`` package, naming the extra.
        ValueError
            If a column's name is also a name inside the graph.
        """
        import json

        from .export import IR_VERSION, OPSET, network_nodes, write_onnx

        try:
            from onnx import TensorProto, helper, numpy_helper
        except ImportError:
            raise ImportError("ONNX export needs the onnx package: pip install "
                              "'scratchnn[onnx]'") from None
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
        net_nodes, net_initializers = network_nodes(self.network, "features", "network_output",
                                                    self.mean, self.scale)
        nodes += net_nodes
        initializers += net_initializers
        if self.network.layer_dims[-1] == 1:  # one sigmoid output: P(label 1); add P(label 0)
            initializers.append(numpy_helper.from_array(np.ones(1, np.float32), name="one"))
            nodes += [node("Sub", ["one", "network_output"], ["p_first"], name="complement"),
                      node("Concat", ["p_first", "network_output"], ["probabilities"],
                           name="both_classes", axis=1)]
        else:
            nodes.append(node("Identity", ["network_output"], ["probabilities"], name="proba"))
        initializers.append(helper.make_tensor("label_names", TensorProto.STRING,
                                               [len(self.label_names)],
                                               [name.encode() for name in self.label_names]))
        nodes += [node("ArgMax", ["probabilities"], ["class_index"], name="argmax", axis=1,
                       keepdims=0),
                  node("Gather", ["label_names", "class_index"], ["label"], name="label",
                       axis=0)]
        internal = {out for n in nodes for out in n.output} | {t.name for t in initializers}
        clash = sorted(internal & set(self.column_names))
        if clash:
            raise ValueError(f"column(s) {format_names(clash)} have the name of a value inside "
                             f"the ONNX graph; rename them to export")
        n_classes = len(self.label_names)
        graph = helper.make_graph(
            nodes, "scratchnn_bundle", inputs,
            [helper.make_tensor_value_info("label", TensorProto.STRING, ["batch"]),
             helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                           ["batch", n_classes])],
            initializers,
        )
        from .version import __version__

        onnx_model = helper.make_model(
            graph, producer_name="scratchnn", producer_version=__version__,
            ir_version=IR_VERSION,
            opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", 1)],
            doc_string=f"scratchnn train bundle: columns {self.column_names} -> label, "
                       f"probabilities (batch, {n_classes})",
        )
        properties = {"columns": [c.to_json() for c in self.columns], "target": self.target,
                      "label_names": self.label_names, "id_columns": self.id_columns}
        helper.set_model_props(onnx_model, {k: json.dumps(v) for k, v in properties.items()})
        return write_onnx(onnx_model, path)

    # ----------------------------------------------------------------------- files

    def save(self, path):
        """Save as one model file (:func:`scratchnn.io.save` with metadata).

        The JSON metadata holds ``cli_format``, ``columns``, ``feature_names``, ``id_columns``,
        ``target``, ``label_names`` and ``training``; the arrays ``feature_mean`` and
        ``feature_scale`` hold the standardization, and ``costs`` (and, with a validation split,
        ``val_costs`` and ``val_accuracy``) the history.
        """
        from .io import save

        metadata = {
            "cli_format": BUNDLE_FORMAT,
            "columns": [column.to_json() for column in self.columns],
            "feature_names": self.feature_names,
            "id_columns": self.id_columns,
            "target": self.target,
            "label_names": self.label_names,
            "training": self.training,
            "feature_mean": self.mean,
            "feature_scale": self.scale,
        }
        metadata.update(self.history)
        save(self.network, path, metadata=metadata)

    @classmethod
    def load(cls, path, require_bundle=True):
        """Load a model file; return ``(network, metadata, bundle)``.

        Parameters
        ----------
        path : str
        require_bundle : bool, default True
            Raise unless the file was written by ``scratchnn train``. With False, a plain
            :meth:`ClassifierNN.save` file is accepted and ``bundle`` is None.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        ValueError
            If the file is not a model file, or (with ``require_bundle``) has no valid
            command-line metadata.
        """
        from .io import load_with_metadata

        network, metadata = load_with_metadata(path)
        if "cli_format" not in metadata:
            if require_bundle:
                raise _invalid(
                    path, "it holds a network but no feature names, standardization or label "
                    "names (save a model with `scratchnn train` to use it on tables)")
            return network, metadata, None
        if metadata["cli_format"] not in (1, BUNDLE_FORMAT):
            raise _invalid(path, f"cli_format {metadata['cli_format']!r} is not 1 or "
                           f"{BUNDLE_FORMAT} (written by a newer scratchnn?)")
        n_features = network.layer_dims[0]
        n_classes = max(network.layer_dims[-1], 2)
        if not _string_list(metadata.get("feature_names"), n_features):
            raise _invalid(path, f"feature_names must be {n_features} distinct names")
        if metadata["cli_format"] == 1:
            # Format 1: every feature a numeric column, a missing value an error.
            columns = [ColumnTreatment(name, "numeric") for name in metadata["feature_names"]]
        else:
            try:
                columns = [ColumnTreatment.from_json(c) for c in metadata.get("columns")]
            except (TypeError, ValueError) as exc:
                raise _invalid(path, f"its columns are not valid: {exc}") from None
            if [n for c in columns for n in c.input_names] != metadata["feature_names"]:
                raise _invalid(path, "its columns do not match its feature_names")
        id_columns = metadata.get("id_columns", [])
        if not (isinstance(id_columns, list) and all(isinstance(n, str) for n in id_columns)):
            raise _invalid(path, "id_columns must be a list of names")
        if not _string_list(metadata.get("label_names"), n_classes):
            raise _invalid(path, f"label_names must be {n_classes} distinct names")
        if not (isinstance(metadata.get("target"), str)
                and isinstance(metadata.get("training"), dict)):
            raise _invalid(path, "it has no target name or training settings")
        mean, scale = metadata.get("feature_mean"), metadata.get("feature_scale")
        for name, value in (("feature_mean", mean), ("feature_scale", scale)):
            if not isinstance(value, np.ndarray) or value.shape != (n_features,) \
                    or value.dtype.kind != "f":
                raise _invalid(path, f"{name} must be a float array of shape ({n_features},)")
        if np.any(scale <= 0):
            raise _invalid(path, "feature_scale must be > 0")
        history = {key: metadata[key] for key in ("costs", "val_costs", "val_accuracy")
                   if key in metadata}
        bundle = cls(network, columns, mean, scale, metadata["target"], metadata["label_names"],
                     metadata["training"], history, id_columns)
        return network, metadata, bundle


def _invalid(path, why):
    return ValueError(f"{path} is not a model written by `scratchnn train`: {why}")


def _string_list(value, length):
    return (isinstance(value, list) and len(value) == length
            and all(isinstance(v, str) and v for v in value) and len(set(value)) == length)
