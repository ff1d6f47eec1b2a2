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

from .columns import ColumnTreatment, text_values
from .table_inputs import TableInputs, classifier_outputs, regression_outputs, write_graph

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


class Bundle(TableInputs):
    """A network with what the command line keeps beside it: a
    :class:`~scratchnn.table_inputs.TableInputs` (the columns, their treatment and the
    standardization) with the network and the rest.

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
        super().__init__(columns, mean, scale)
        self.network = network
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

    float32_advice = "this model file was not written by `scratchnn train` as it is"

    def inputs(self, frame, path, locate, dtype=None):
        """:meth:`~scratchnn.table_inputs.TableInputs.inputs`, in the network's dtype by
        default."""
        return super().inputs(frame, path, locate,
                              self.network.compute_dtype if dtype is None else dtype)

    @property
    def regression(self):
        """Whether the network predicts values (``task == "regression"``)."""
        return self.task == "regression"

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

    def to_onnx(self, path):
        """Write the whole bundle as one ONNX graph that takes the raw feature columns.

        The graph has one input per feature column, named like it, of shape ``(batch, 1)``
        (:meth:`~scratchnn.table_inputs.TableInputs.onnx_features`: float32 for a numeric
        column, NaN for a missing value; string for a text column, the value as the file spells it,
        stripped of surrounding spaces, ``""`` when missing; float64 for a date column, its days
        since 1970-01-01, fractional with a time of day, NaN when missing). Inside, missing numbers
        and dates are imputed (``IsNaN``, ``Where``), a date's month and weekday computed, text
        columns one-hot encoded (``ai.onnx.ml`` ``OneHotEncoder``, an unseen or missing value all
        zeros), the inputs concatenated, standardized and fed to the network. Outputs of a
        classifier: ``label``, string ``(batch,)``, and ``probabilities``, float32 ``(batch,
        n_classes)``: one column per class, two for a binary model, like ``predict --proba``.
        Output of a regression: ``predictions``, float64 ``(batch, n_targets)`` (named as
        ``RegressorNN.to_onnx`` names its output), the network's float32 output cast to float64 and
        de-standardized, ``output * target_scale + target_mean``, as ``predict`` computes it.

        Returns
        -------
        onnx.ModelProto

        Raises
        ------
        ImportError
            Without the ``onnx`` package, naming the extra.
        ValueError
            If a column's name is also a name inside the graph, or a statistic would not be
            finite in the graph's float32
            (:meth:`~scratchnn.table_inputs.TableInputs.check_float32`).
        """
        from .export import network_nodes

        try:
            import onnx  # noqa: F401
        except ImportError:
            raise ImportError("ONNX export needs the onnx package: pip install "
                              "'scratchnn[onnx]'") from None
        self.check_float32()
        inputs, nodes, initializers = self.onnx_features()
        net_nodes, net_initializers = network_nodes(self.network, "features", "network_output",
                                                    self.mean, self.scale)
        end_nodes, end_initializers, outputs = (
            regression_outputs(self.target_mean, self.target_scale) if self.regression
            else classifier_outputs(self.network.layer_dims[-1], self.label_names))
        properties = {"columns": [c.to_json() for c in self.columns], "target": self.target,
                      "label_names": self.label_names, "id_columns": self.id_columns,
                      "task": self.task}
        if self.regression:
            properties.update(targets=self.targets, target_mean=self.target_mean.tolist(),
                              target_scale=self.target_scale.tolist())
        return write_graph(
            path, "scratchnn_bundle", inputs, nodes + net_nodes + end_nodes,
            initializers + net_initializers + end_initializers, outputs,
            f"scratchnn train bundle: columns {self.column_names} -> "
            + (f"predictions (batch, {len(self.targets)})" if self.regression else
               f"label, probabilities (batch, {len(self.label_names)})"),
            properties)

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
