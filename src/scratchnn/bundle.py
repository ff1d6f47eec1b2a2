"""The command line's model bundle: a network and everything between a table and its input.

``scratchnn train`` saves one model file that holds everything ``evaluate``, ``predict``, ``info``
and ``export`` need (:class:`Bundle`):

- the **columns** the network reads and each one's treatment (:class:`ColumnTreatment`): a
  numeric column with the value its missing entries are imputed with, or a text column one-hot
  encoded over the categories seen in training;
- the **standardization** ``(x - mean) / scale`` of every network input (numeric columns and
  one-hot columns alike), with statistics of the training rows;
- the **task**: ``classification`` (the **target** column and the **label** of each class
  index) or ``regression`` (the target columns and their standardization
  ``(y - target_mean) / target_scale``, which the network learns and
  :meth:`Bundle.predict_values` inverts);
- the **id columns**, never features, copied first into ``predict``'s output;
- the training settings and per-epoch history, for ``info``.

All of it is stored in the model file as JSON and numeric arrays through
:func:`scratchnn.io.save`'s metadata: no pickle. Tables arrive as ``pandas.DataFrame`` chunks
(:mod:`scratchnn.tables`); this module turns one into the ``(n_inputs, m)`` array the network
takes, each column as :mod:`scratchnn.columns` decided.
"""

from __future__ import annotations

import numpy as np

from .columns import NA_STRINGS, ColumnTreatment, format_names, text_values

__all__ = ["Bundle", "BUNDLE_FORMAT", "READING_DEFAULTS", "TASKS"]

BUNDLE_FORMAT = 4
"""Version of what ``train`` stores in a model file's metadata (1: numeric columns only; 2: text
columns; 3: date columns and how the table was read; 4: the task, and a regression's targets and
their standardization). Files of every earlier format load, as classifiers."""

TASKS = ("classification", "regression")
"""What a bundle's network does with its target: class probabilities, or values."""

READING_DEFAULTS = {"sep": None, "decimal": ".", "header": True, "na_values": [],
                    "keep_na_strings": False}
"""How ``train`` read its table, as :attr:`Bundle.reading` stores it (``sep`` None: detected);
``evaluate`` and ``predict`` read new tables the same way unless told otherwise."""


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
        The column the network predicts (the first of :attr:`targets`).
    label_names : list of str
        The label of each class index (2 for a single sigmoid output); empty for a regression.
    training : dict
        The settings and results of training, for ``info``.
    history : dict of str to ndarray
        Per-epoch ``costs`` (and ``val_costs`` with ``val_accuracy`` or ``val_r2`` with a
        validation split).
    id_columns : list of str
        Columns copied first into ``predict``'s output, never features.
    reading : dict
        How the training table was read (the keys of :data:`READING_DEFAULTS`), which
        ``evaluate`` and ``predict`` follow unless told otherwise.
    task : {"classification", "regression"}
    targets : list of str
        The target columns, one per network output for a regression; ``[target]`` for a
        classification.
    target_mean, target_scale : ndarray of shape (len(targets),)
        A regression's target standardization: the network learns
        ``(y - target_mean) / target_scale``, with the mean and (population) standard deviation
        of the training rows; empty for a classification.
    """

    def __init__(self, network, columns, mean, scale, target, label_names, training,
                 history=None, id_columns=(), reading=None, task="classification", targets=None,
                 target_mean=(), target_scale=()):
        self.network = network
        self.columns = list(columns)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.target = target
        self.label_names = list(label_names)
        self.training = dict(training)
        self.history = dict(history or {})
        self.id_columns = list(id_columns)
        self.reading = {**READING_DEFAULTS, **(reading or {})}
        self.task = task
        self.targets = [target] if targets is None else list(targets)
        self.target_mean = np.asarray(target_mean, dtype=np.float64)
        self.target_scale = np.asarray(target_scale, dtype=np.float64)

    @property
    def regression(self):
        """Whether the network predicts values (``task == "regression"``)."""
        return self.task == "regression"

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
        standardization learned on the first ``n_fit`` of them (it sets :attr:`mean`, :attr:`scale`).

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
        from .preprocessing import Standardizer
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

    def inputs(self, frame, path, locate):
        """The network input for a table: ``(X, unseen, missing)``, ``X`` ``(n_inputs, m)``.

        What :meth:`encode` gives, standardized, in the network's dtype: each input computed in
        float64 on its own and written into its row of ``X``, so that a chunk of a table needs
        one array the size of its input and a few columns. ``unseen`` maps each text column to
        its cells holding a category not seen in training, ``missing`` each feature column to
        its missing cells (imputed, or all zeros for text); columns with none are left out.
        """
        self.missing_columns(path, list(frame.columns))
        n_inputs = len(self.mean)
        X = np.empty((n_inputs, len(frame)), dtype=self.network.compute_dtype)
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

    def labels(self, frame, target=None, unseen=None):
        """The class index of each row's label in column ``target`` (the trained one by default).

        Parameters
        ----------
        frame : pandas.DataFrame
        target : str, optional
        unseen : list of str, optional
            Labels not seen in training met so far (in earlier chunks); extended in place.

        Returns
        -------
        y : ndarray of int64 of shape (m,)
            The class index; ``n_classes + k`` for ``unseen[k]``, a label the model was not
            trained on; -1 where the label is missing.
        unseen : list of str
        """
        target = self.target if target is None else target
        unseen = [] if unseen is None else unseen
        index = {label: k for k, label in enumerate(self.label_names)}
        index.update({label: len(index) + k for k, label in enumerate(unseen)})
        y = np.empty(len(frame), dtype=np.int64)
        for i, label in enumerate(text_values(frame[target], self.na_strings)):
            if label is None:
                y[i] = -1
                continue
            if label not in index:
                index[label] = len(index)
                unseen.append(label)
            y[i] = index[label]
        return y, unseen

    def target_values(self, frame, path, locate, targets=None):
        """The numbers of a regression's target columns (the trained ones by default).

        Read with the table's decimal mark, as feature columns are.

        Returns
        -------
        Y : ndarray of float64 of shape (len(targets), m)
            NaN where a cell is missing.

        Raises
        ------
        ValueError
            Naming the file, line and column of the first cell that is not a number, or is
            infinite.
        """
        from .columns import numbers

        targets = self.targets if targets is None else targets
        Y = np.empty((len(targets), len(frame)))
        for k, name in enumerate(targets):
            Y[k], bad = numbers(frame[name], self.reading["decimal"])
            for mask, what in ((bad, "is {!r}, not a number"),
                               (np.isinf(Y[k]), "is {!r}; infinite values are not supported")):
                if np.any(mask):
                    i = int(np.argmax(mask))
                    raise ValueError(f"{path}, {locate(frame.index[i])}: the target {name!r} "
                                     + what.format(str(frame[name].iloc[i]).strip()))
        return Y

    def predict_values(self, X):
        """A regression's predicted target values ``(len(targets), m)``, float64: the network's
        output times :attr:`target_scale`, plus :attr:`target_mean`."""
        out = np.asarray(self.network.predict(X), dtype=np.float64)
        return out * self.target_scale[:, None] + self.target_mean[:, None]

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
        if self.regression:
            lines += [f"{name}: target, regression (standardized with mean {mean:.6g}, standard "
                      f"deviation {scale:.6g})"
                      for name, mean, scale in zip(self.targets, self.target_mean,
                                                   self.target_scale)]
        else:
            lines.append(f"{self.target}: target, {len(self.label_names)} labels")
        reading = self.reading
        sep = {None: "detected", "\t": "tab"}.get(reading["sep"], repr(reading["sep"]))
        na = "empty cells" + "".join(f", {v!r}" for v in reading["na_values"])
        na += ("; NA, None, ... are categories of text columns" if reading["keep_na_strings"]
               else ", NA, None, null, ...")
        lines.append(f"read with: delimiter {sep}, decimal mark {reading['decimal']!r}, "
                     f"{'a header row' if reading['header'] else 'no header row'}; missing: {na}")
        return lines

    # ----------------------------------------------------------------------- ONNX

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
                    f"this model file was not written by `scratchnn train` as it is")

    def to_onnx(self, path):
        """Write the whole bundle as one ONNX graph that takes the raw feature columns.

        The graph has one input per feature column, named like it, of shape ``(batch, 1)``:
        float32 for a numeric column (NaN for a missing value), string for a text column (the
        value as the file spells it, stripped of surrounding spaces; ``""`` when missing), float64
        for a date column (its days since 1970-01-01, fractional with a time of day; NaN when
        missing: ONNX has no date parsing). Inside, missing numbers and dates are imputed
        (``IsNaN``, ``Where``), a date's month and weekday computed (:func:`_date_nodes`), text
        columns one-hot encoded
        (``ai.onnx.ml`` ``OneHotEncoder``, an unseen or missing value all zeros), the inputs
        concatenated, standardized and fed to the network. Outputs of a classifier: ``label``,
        string ``(batch,)``, and ``probabilities``, float32 ``(batch, n_classes)``: one column
        per class, two for a binary model, like ``predict --proba``. Output of a regression:
        ``predictions``, float64 ``(batch, n_targets)`` (named as ``RegressorNN.to_onnx``
        names its output), the network's float32 output cast to float64 and de-standardized,
        ``output * target_scale + target_mean``, as ``predict`` computes it.

        Returns
        -------
        onnx.ModelProto

        Raises
        ------
        ImportError
            Without the ``onnx`` package, naming the extra.
        ValueError
            If a column's name is also a name inside the graph, or a statistic would not be
            finite in the graph's float32 (:meth:`check_float32`).
        """
        import json

        from .export import IR_VERSION, OPSET, network_nodes, write_onnx

        try:
            from onnx import TensorProto, helper, numpy_helper
        except ImportError:
            raise ImportError("ONNX export needs the onnx package: pip install "
                              "'scratchnn[onnx]'") from None
        self.check_float32()
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
        net_nodes, net_initializers = network_nodes(self.network, "features", "network_output",
                                                    self.mean, self.scale)
        nodes += net_nodes
        initializers += net_initializers
        end_nodes, end_initializers, outputs = (
            self._value_nodes() if self.regression else self._label_nodes())
        nodes += end_nodes
        initializers += end_initializers
        internal = {out for n in nodes for out in n.output} | {t.name for t in initializers}
        clash = sorted(internal & set(self.column_names))
        if clash:
            raise ValueError(f"column(s) {format_names(clash)} have the name of a value inside "
                             f"the ONNX graph; rename them to export")
        graph = helper.make_graph(nodes, "scratchnn_bundle", inputs, outputs, initializers)
        from .version import __version__

        onnx_model = helper.make_model(
            graph, producer_name="scratchnn", producer_version=__version__,
            ir_version=IR_VERSION,
            opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", 1)],
            doc_string=f"scratchnn train bundle: columns {self.column_names} -> "
                       + (f"predictions (batch, {len(self.targets)})" if self.regression else
                          f"label, probabilities (batch, {len(self.label_names)})"),
        )
        properties = {"columns": [c.to_json() for c in self.columns], "target": self.target,
                      "label_names": self.label_names, "id_columns": self.id_columns,
                      "task": self.task}
        if self.regression:
            properties.update(targets=self.targets, target_mean=self.target_mean.tolist(),
                              target_scale=self.target_scale.tolist())
        helper.set_model_props(onnx_model, {k: json.dumps(v) for k, v in properties.items()})
        return write_onnx(onnx_model, path)

    def _label_nodes(self):
        """A classifier's graph end, from ``network_output`` to ``probabilities`` and ``label``:
        ``(nodes, initializers, outputs)``."""
        from onnx import TensorProto, helper, numpy_helper

        node = helper.make_node
        nodes, initializers = [], []
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
        return nodes, initializers, [
            helper.make_tensor_value_info("label", TensorProto.STRING, ["batch"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                          ["batch", len(self.label_names)])]

    def _value_nodes(self):
        """A regression's graph end, from ``network_output`` to ``predictions``: the output
        de-standardized in float64 (``output * target_scale + target_mean``, as
        :meth:`predict_values`); ``(nodes, initializers, outputs)``."""
        from onnx import TensorProto, helper, numpy_helper

        node = helper.make_node
        initializers = [
            numpy_helper.from_array(self.target_scale.astype(np.float64), name="target_scale"),
            numpy_helper.from_array(self.target_mean.astype(np.float64), name="target_mean")]
        nodes = [node("Cast", ["network_output"], ["network_output_f64"], name="to_double",
                      to=TensorProto.DOUBLE),
                 node("Mul", ["network_output_f64", "target_scale"], ["scaled_value"],
                      name="target_scale_mul"),
                 node("Add", ["scaled_value", "target_mean"], ["predictions"],
                      name="target_mean_add")]
        return nodes, initializers, [helper.make_tensor_value_info(
            "predictions", TensorProto.DOUBLE, ["batch", len(self.targets)])]

    # ----------------------------------------------------------------------- files

    def save(self, path):
        """Save as one model file (:func:`scratchnn.io.save` with metadata).

        The JSON metadata holds ``cli_format``, ``task``, ``columns``, ``feature_names``,
        ``id_columns``, ``target``, ``label_names`` (a classifier's) or ``targets`` (a
        regression's), and ``training``; the arrays ``feature_mean`` and ``feature_scale`` hold
        the standardization, a regression's ``target_mean`` and ``target_scale`` that of its
        targets, and ``costs`` (and, with a validation split, ``val_costs`` and a classifier's
        ``val_accuracy`` or a regression's ``val_r2``) the history.
        """
        from .io import save

        metadata = {
            "cli_format": BUNDLE_FORMAT,
            "task": self.task,
            "columns": [column.to_json() for column in self.columns],
            "feature_names": self.feature_names,
            "id_columns": self.id_columns,
            "target": self.target,
            "training": self.training,
            "feature_mean": self.mean,
            "feature_scale": self.scale,
            "reading": self.reading,
        }
        if self.regression:
            metadata.update(targets=self.targets, target_mean=self.target_mean,
                            target_scale=self.target_scale)
        else:
            metadata["label_names"] = self.label_names
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
        if metadata["cli_format"] not in range(1, BUNDLE_FORMAT + 1) or isinstance(
                metadata["cli_format"], bool):
            raise _invalid(path, f"cli_format {metadata['cli_format']!r} is not one of 1 to "
                           f"{BUNDLE_FORMAT} (written by a newer scratchnn?)")
        n_features = network.layer_dims[0]
        task = metadata.get("task", "classification")  # formats 1 to 3: classifiers
        if task not in TASKS:
            raise _invalid(path, f"task must be one of {list(TASKS)}, got {task!r}")
        if network.task != task:
            raise _invalid(path, f"its task is {task!r} but its network a "
                           f"{type(network).__name__}")
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
        if not (isinstance(metadata.get("target"), str)
                and isinstance(metadata.get("training"), dict)):
            raise _invalid(path, "it has no target name or training settings")
        regression = {}
        if task == "regression":
            regression = {"targets": _regression_targets(path, network, metadata),
                          "target_mean": metadata["target_mean"],
                          "target_scale": metadata["target_scale"]}
            label_names = []
        else:
            n_classes = max(network.layer_dims[-1], 2)
            label_names = metadata.get("label_names")
            if not _string_list(label_names, n_classes):
                raise _invalid(path, f"label_names must be {n_classes} distinct names")
        mean, scale = metadata.get("feature_mean"), metadata.get("feature_scale")
        for name, value in (("feature_mean", mean), ("feature_scale", scale)):
            if not isinstance(value, np.ndarray) or value.shape != (n_features,) \
                    or value.dtype.kind != "f":
                raise _invalid(path, f"{name} must be a float array of shape ({n_features},)")
        if np.any(scale <= 0):
            raise _invalid(path, "feature_scale must be > 0")
        reading = metadata.get("reading", {})
        if not _valid_reading(reading):
            raise _invalid(path, f"reading must be a dict of {sorted(READING_DEFAULTS)} with "
                           f"valid values")
        history = {key: metadata[key] for key in ("costs", "val_costs", "val_accuracy", "val_r2")
                   if key in metadata}
        bundle = cls(network, columns, mean, scale, metadata["target"], label_names,
                     metadata["training"], history, id_columns, reading, task, **regression)
        return network, metadata, bundle


def _regression_targets(path, network, metadata):
    """A regression bundle's ``targets``, checked with its target standardization against the
    network's outputs."""
    n_outputs = network.layer_dims[-1]
    targets = metadata.get("targets")
    if not _string_list(targets, n_outputs) or targets[0] != metadata["target"]:
        raise _invalid(path, f"targets must be {n_outputs} distinct names, the first the target")
    for name in ("target_mean", "target_scale"):
        value = metadata.get(name)
        if not isinstance(value, np.ndarray) or value.shape != (n_outputs,) \
                or value.dtype.kind != "f" or not np.all(np.isfinite(value)):
            raise _invalid(path, f"{name} must be a finite float array of shape ({n_outputs},)")
    if np.any(metadata["target_scale"] <= 0):
        raise _invalid(path, "target_scale must be > 0")
    return targets


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


def _valid_reading(reading):
    if not isinstance(reading, dict) or not set(reading) <= set(READING_DEFAULTS):
        return False
    checks = {
        "sep": lambda v: v is None or isinstance(v, str) and len(v) == 1,
        "decimal": lambda v: v in (".", ","),
        "header": lambda v: isinstance(v, bool),
        "na_values": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "keep_na_strings": lambda v: isinstance(v, bool),
    }
    return all(checks[key](value) for key, value in reading.items())


def _invalid(path, why):
    return ValueError(f"{path} is not a model written by `scratchnn train`: {why}")


def _string_list(value, length):
    return (isinstance(value, list) and len(value) == length
            and all(isinstance(v, str) and v for v in value) and len(set(value)) == length)
