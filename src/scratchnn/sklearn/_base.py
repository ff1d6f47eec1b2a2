r"""What :class:`~scratchnn.sklearn.NNClassifier` and :class:`~scratchnn.sklearn.NNRegressor`
share: the hyperparameter checks, the network's initialization, and the one training path (the
validation split, sample weights, memory-mapped blocks, ``partial_fit`` and ``warm_start``, early
stopping as a callback of :func:`scratchnn.training.fit`).

:class:`NNEstimator` holds that path; a subclass says what its targets are through a few methods
(``_prepare_targets``, ``_encode_validation``, ``_new_network``, ``_loss``, ``_score_rows``) and
its ``__init__`` lists its parameters, as scikit-learn reads them from there.
"""

import numbers
from collections.abc import Iterable

import numpy as np
import scipy.sparse  # scikit-learn depends on SciPy, so it is there when scikit-learn is
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .. import training
from ..activations import ACTIVATIONS
from ..callback import Callback
from ..callbacks import EarlyStopping
from ..diagnostics import advice_for
from ..losses import smooth_labels
from ..optimizers import OPTIMIZERS
from ..presets import PRESETS, holdout
from ..presets import batch_size as presets_batch_size
from ..table_inputs import fit_frame
from ..threads import check_n_threads
from ..validation import check_float, check_int
from ._data import (
    Rows,
    check_targets,
    is_dataframe,
    is_memory_mapped,
    is_table,
    memmap_block_rows,
    naming,
    require_pandas,
    validate,
)

_ACTIVATION_ALIASES = {"logistic": "sigmoid", "identity": "linear"}  # MLPClassifier's names


def _named_columns(frame):
    """``frame`` with its column names as strings (the preprocessing's names), distinct."""
    names = [str(name) for name in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"X: a DataFrame's column names must be distinct (as strings), got "
                         f"{list(frame.columns)!r}")
    return frame.set_axis(names, axis=1)


class EpochRecord(Callback):
    """The estimator's per-epoch bookkeeping: ``loss_curve_``, the validation loss and score (added
    to the logs as ``val_loss`` and ``score_key`` for the callbacks) and the verbose messages."""

    def __init__(self, estimator, validation, score, validation_loss, score_key):
        self.estimator, self.validation, self.score = estimator, validation, score
        self.validation_loss, self.score_key = validation_loss, score_key
        self.scores, self.losses = [], []

    def on_epoch_end(self, epoch, logs):
        estimator = self.estimator
        estimator.loss_curve_.append(logs["loss"])
        estimator.n_iter_ += 1
        message = f"Epoch {estimator.n_iter_}, loss = {logs['loss']:.8f}"
        if self.validation is not None:
            logs["val_loss"] = val_loss = self.validation_loss(self.validation)
            logs[self.score_key] = score = self.score(self.validation)
            self.losses.append(val_loss)
            self.scores.append(score)
            message += f", validation score = {score:.6f}"
        if estimator.verbose:
            print(message)
        return False


class NNEstimator(BaseEstimator):
    """The training path of scratchnn's scikit-learn estimators (see the module docstring).

    A subclass provides ``_SCORE_KEY`` (the log key of its validation score, which early stopping
    maximizes) and the target-specific methods below that raise ``NotImplementedError`` here.
    """

    _SCORE_KEY = "val_score"
    _NUMERIC_TARGETS = False  # whether y must be numbers (scikit-learn's ``y_numeric``)

    # ------------------------------------------------------------------ what a subclass says
    def _prepare_targets(self, y, sample_weight, X, first, incremental, classes):
        """Check ``y`` and ``sample_weight``; return ``(Y, strata, weights)``: the engine's
        targets of shape ``(k, n_samples)``, what the validation split stratifies on (or None),
        and the per-example loss weights (or None)."""
        raise NotImplementedError

    def _encode_validation(self, y_val):
        """``(Y_val, weights)`` for a checked ``validation_data`` target."""
        raise NotImplementedError

    def _new_network(self, settings, n_features, dtype, seed):
        raise NotImplementedError

    def _loss(self):
        """The loss the targets are checked against and the validation loss is computed with."""
        raise NotImplementedError

    def _score_rows(self, rows):
        """The validation score (higher is better) on ``rows``, a :class:`~._data.Rows`."""
        raise NotImplementedError

    def _training_loss(self):
        """The loss the training loop minimizes (the classifier's may be a smoothed one)."""
        return self._loss()

    def _label_smoothing(self):
        return 0.0

    def _validation_minimum(self, strata):
        """The fewest rows a held-out validation split may have, and that number in words."""
        return 2, "2"

    def _check_target_parameters(self):
        """Check the parameters that only a subclass has."""

    def _preset(self):
        """The :class:`~scratchnn.presets.Preset` this estimator trains by (checked)."""
        return PRESETS["mlp"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ checks
    def _check_hyperparameters(self):
        """Validate the constructor arguments; return them in the form training needs."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, (bool, np.bool_)):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be an int or a sequence of ints, got "
                            f"{self.hidden_layer_sizes!r}") from None
        sizes = [check_int(size, f"hidden_layer_sizes[{i}]", minimum=1)
                 for i, size in enumerate(sizes)]
        activation = self.activation
        if not isinstance(activation, str):
            raise TypeError(f"activation must be a string, got {activation!r}")
        activation = _ACTIVATION_ALIASES.get(activation, activation)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} (or 'logistic', "
                             f"'identity'), got {self.activation!r}")
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got "
                             f"{self.optimizer!r}")
        check_float(self.clipnorm, "clipnorm", low=0.0, low_open=True, allow_none=True)
        check_float(self.weight_decay, "weight_decay", low=0.0, allow_none=True)
        betas = {name: check_float(getattr(self, name), name, low=0.0, high=1.0, high_open=True)
                 for name in ("beta1", "beta2")}
        epsilon = check_float(self.epsilon, "epsilon", low=0.0, low_open=True)
        self._check_target_parameters()
        training.check_callbacks(self.callbacks)
        check_n_threads(self.n_threads)
        check_float(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        if isinstance(self.batch_size, str):
            if self.batch_size != "auto":
                raise ValueError(f"batch_size must be an integer >= 1 or 'auto', got "
                                 f"{self.batch_size!r}")
        else:
            check_int(self.batch_size, "batch_size", minimum=1)
        check_int(self.max_epochs, "max_epochs", minimum=1)
        check_int(self.n_iter_no_change, "n_iter_no_change", minimum=1)
        check_float(self.l2, "l2", low=0.0)
        check_float(self.tol, "tol", low=0.0)
        check_float(self.validation_fraction, "validation_fraction", low=0.0, high=1.0,
                    low_open=True, high_open=True)
        for name in ("batch_norm", "early_stopping", "verbose", "warm_start"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if isinstance(self.dropout, numbers.Real):
            rates = [self.dropout] * len(sizes)
            check_float(self.dropout, "dropout", low=0.0, high=1.0, high_open=True)
        else:
            rates = list(self.dropout) if isinstance(self.dropout, Iterable) else None
            if rates is None or len(rates) != len(sizes):
                raise ValueError(f"dropout must be a float or one rate per hidden layer "
                                 f"({len(sizes)}), got {self.dropout!r}")
            for i, rate in enumerate(rates):
                check_float(rate, f"dropout[{i}]", low=0.0, high=1.0, high_open=True)
        keep_prob = None
        if any(rates):
            keep_prob = [1.0] + [1.0 - float(rate) for rate in rates]
        schedule = training.check_schedule(self.lr_schedule, int(self.max_epochs))
        return {"sizes": sizes, "activation": activation, "keep_prob": keep_prob,
                "lr_schedule": schedule, **betas, "epsilon": epsilon,
                "preset": self._preset()}

    def _random_state(self):
        """A RandomState for this fit; a fresh one (not NumPy's global state) for ``None``."""
        if self.random_state is None:
            return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
        try:
            return check_random_state(self.random_state)
        except ValueError:
            raise ValueError(f"random_state must be None, an int or a RandomState instance, got "
                             f"{self.random_state!r}") from None

    def _check_warm_network(self, settings):
        network = self.network_
        expected = [network.n_features, *settings["sizes"], network.n_outputs]
        if (network.layer_dims != expected or network.batch_norm != bool(self.batch_norm)
                or any(a != settings["activation"] for a in network.activations[:-1])):
            raise ValueError("warm_start and partial_fit continue the existing network, but "
                             "hidden_layer_sizes, activation or batch_norm changed since it was "
                             "created; set warm_start=False to train a new one")

    # ------------------------------------------------------------------ input
    def _network_input(self, X):
        """``X`` checked as at fit (the same columns, as scikit-learn checks them), as the
        network's rows: through ``preprocessing_`` when the estimator was fitted on a
        DataFrame (an array is then read as its columns, in their order)."""
        preprocessing = getattr(self, "preprocessing_", None)  # None: fitted on an array
        if preprocessing is None:
            return validate(self, X, reset=False, dtype=(np.float64, np.float32))
        pandas = require_pandas()
        if not is_dataframe(X):
            try:
                X = check_array(X, dtype=None, ensure_all_finite=False, input_name="X")
            except (TypeError, ValueError) as exc:
                raise naming(exc, "X") from exc
        validate_data(self, X, reset=False, skip_check_array=True)
        if is_dataframe(X):
            frame = X.set_axis(preprocessing.column_names, axis=1)
        else:
            frame = pandas.DataFrame(X, columns=preprocessing.column_names).infer_objects()
        return preprocessing.transform(frame)

    def to_onnx(self, path):
        """Write the fitted estimator as an ONNX graph (``onnx`` extra).

        Fitted on a pandas DataFrame, the graph takes one input per column, named like it, of
        shape ``(batch, 1)``, and does the preprocessing itself, as ``scratchnn export`` does
        for the command line's models (:meth:`scratchnn.table_inputs.TableInputs.onnx_features`:
        float32 for a numeric or boolean column, NaN where missing; string for a category
        column, ``""`` where missing; float64 days since 1970-01-01 for a date column). Fitted
        on an array, it takes ``X``, float32 ``(batch, n_features_in_)``. The outputs are a
        classifier's ``probabilities`` (as :meth:`predict_proba`, float32) and ``label`` (the
        class as a string; none for multilabel targets), or a regressor's ``predictions``
        (float64 ``(batch, n_outputs_)``, as :meth:`predict`). The graph computes in float32.

        Returns
        -------
        onnx.ModelProto
        """
        check_is_fitted(self)
        try:
            from onnx import TensorProto, helper
        except ImportError:
            raise ImportError("ONNX export needs the onnx package: pip install "
                              "'scratchnn[onnx]'") from None

        from ..export import network_nodes
        from ..table_inputs import write_graph

        preprocessing = getattr(self, "preprocessing_", None)
        if preprocessing is None:
            inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT,
                                                    ["batch", self.n_features_in_])]
            nodes, initializers, mean, scale = [], [], None, None
            features, properties = "X", {}
        else:
            preprocessing.check_float32()
            inputs, nodes, initializers = preprocessing.onnx_features()
            mean, scale, features = preprocessing.mean, preprocessing.scale, "features"
            properties = {"columns": [c.to_json() for c in preprocessing.columns]}
        net_nodes, net_initializers = network_nodes(self.network_, features, "network_output",
                                                    mean, scale)
        end_nodes, end_initializers, outputs = self._onnx_outputs()
        return write_graph(path, f"scratchnn_{type(self).__name__}", inputs,
                           nodes + net_nodes + end_nodes,
                           initializers + net_initializers + end_initializers, outputs,
                           f"{type(self).__name__} -> {', '.join(o.name for o in outputs)}",
                           properties)

    def _onnx_outputs(self):
        """The graph's end from ``network_output``: ``(nodes, initializers, outputs)``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ training
    def _fit(self, X, y, sample_weight, validation_data, incremental, classes=None):
        settings = self._check_hyperparameters()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        fitted = hasattr(self, "network_")
        first = not fitted or not (incremental or self.warm_start)
        # A DataFrame of mixed columns goes through the table preprocessing (fitted here on a
        # first fit, then fixed); so does any X once the estimator was fitted on one.
        table = is_table(X) if first else getattr(self, "preprocessing_", None) is not None
        mapped = not table and not scipy.sparse.issparse(X) and is_memory_mapped(X)
        if table:
            if first:
                require_pandas()
                validate_data(self, X, reset=True, skip_check_array=True)
            y = check_targets(X, y, self._NUMERIC_TARGETS)
        else:
            # A memory-mapped X is validated where it lies (dtype=None: no converted copy); its
            # blocks are converted one at a time during training.
            X, y = validate(self, X, y, reset=first, multi_output=True,
                            y_numeric=self._NUMERIC_TARGETS,
                            dtype=None if mapped else (np.float64, np.float32))
            if X.dtype.kind not in "biuf":
                raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        Y, strata, weights = self._prepare_targets(y, sample_weight, X, first, incremental,
                                                   classes)
        random_state = self._random_state()
        seed = int(random_state.randint(np.iinfo(np.int32).max))

        # The split comes before the network (which draws nothing from random_state), so that
        # a DataFrame's preprocessing is fitted on the training rows only.
        n_samples = X.shape[0]
        train_index = val_index = None
        # Whether the preset holds rows out and keeps the best epoch (by the number of rows).
        keep_best = settings["keep_best"] = (settings["preset"].keeps_best(n_samples)
                                             and not incremental)
        if keep_best and validation_data is None:
            # A preset that keeps the best epoch: the split every front end makes (presets).
            train_index, val_index = holdout(n_samples, self.validation_fraction, seed, strata)
        elif not incremental and self.early_stopping and validation_data is None:
            n_val = int(np.ceil(self.validation_fraction * n_samples))
            minimum, in_words = self._validation_minimum(strata)
            if n_val < minimum:
                raise ValueError(f"the validation set is too small ({n_val} samples, fewer than "
                                 f"{in_words}): increase validation_fraction or the "
                                 f"size of the data, or pass validation_data")
            # Stratified for classes, so that every class is in both parts in its proportion.
            train_index, val_index = train_test_split(
                np.arange(n_samples), test_size=n_val, random_state=random_state,
                stratify=strata)
            train_index.sort()  # blocks of a memory-mapped X are read in order
            val_index.sort()
        if table:
            if first:
                self.preprocessing_, X = fit_frame(_named_columns(X), train_index)
            else:
                X = self._network_input(X)
        elif first:
            self.preprocessing_ = None
        if first:
            dtype = np.float32 if X.dtype == np.float32 else np.float64
            self.network_ = self._new_network(settings, X.shape[1], dtype, seed)
            self.loss_curve_, self.n_iter_ = [], 0
            self.validation_scores_ = self.best_validation_score_ = None
            self.validation_loss_curve_ = None
        else:
            self._check_warm_network(settings)
        if not incremental:
            self.validation_scores_ = self.best_validation_score_ = None
            self.validation_loss_curve_ = None
        network = self.network_
        dtype = network.compute_dtype

        validation = None
        if val_index is not None:
            validation = (X, Y, weights, val_index)
        elif validation_data is not None:
            validation = self._validation_set(validation_data)
        if weights is not None:  # mean 1 over the training rows (see the class Notes)
            mean_weight = np.mean(weights if train_index is None else weights[train_index])
            if not mean_weight > 0:
                raise ValueError("sample_weight is 0 on every training row (all the weighted "
                                 "rows fell in early stopping's held-out part): weigh more "
                                 "rows, or pass validation_data")
            weights = weights / mean_weight

        n_train = X.shape[0] if train_index is None else train_index.size
        batch_size = (presets_batch_size(n_train) if self.batch_size == "auto"
                      else int(self.batch_size))
        block_rows = memmap_block_rows(X.shape[1], dtype, batch_size) if mapped else None
        train = Rows(X, Y, weights, train_index, network, self._loss(), block_rows,
                     self._label_smoothing())
        if validation is not None:
            validation = Rows(*validation, network, self._loss(), block_rows)
        self._train(train, validation, settings, batch_size, incremental)
        return self

    def _validation_set(self, validation_data):
        """Check ``validation_data = (X_val, y_val)``; return it as ``Rows`` arguments."""
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a tuple (X_val, y_val)")
        X_val, y_val = validation_data
        X_val = self._network_input(X_val)
        y_val = np.asarray(y_val)
        if y_val.ndim == 0:
            raise ValueError(f"validation_data: y_val must be an array of one target per row of "
                             f"X_val, got the scalar {y_val.item()!r}")
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(f"validation_data: X_val has {X_val.shape[0]} samples but y_val has "
                             f"{y_val.shape[0]}")
        Y_val, weights = self._encode_validation(y_val)
        return X_val, Y_val, weights, None

    def _train(self, train, validation, settings, batch_size, incremental):
        """Train through the training loop, with early stopping as its callback."""
        network = self.network_
        early_stopping = self.early_stopping and not incremental
        optimizer = OPTIMIZERS[self.optimizer]
        run = training.TrainingSettings(
            loss=self._training_loss(), num_epochs=1 if incremental else int(self.max_epochs),
            learning_rate=float(self.learning_rate), batch_size=batch_size,
            lambd=float(self.l2), keep_prob=settings["keep_prob"],
            optimizer=optimizer, beta1=settings["beta1"], beta2=settings["beta2"],
            epsilon=settings["epsilon"],
            resume=network.optimizer is not None and network.optimizer.name == self.optimizer,
            lr_schedule=settings["lr_schedule"],
            clipnorm=None if self.clipnorm is None else float(self.clipnorm),
            weight_decay=optimizer.default_weight_decay if self.weight_decay is None
            else float(self.weight_decay),
            n_threads=None if self.n_threads is None else int(self.n_threads))
        record = EpochRecord(self, validation, self._score_rows, self._loss_rows,
                             self._SCORE_KEY)
        callbacks = [record]
        if not incremental and settings["keep_best"]:
            # The preset's: the epoch of the lowest validation loss is kept, of the whole budget
            # (of the epochs until n_iter_no_change without a fall of more than tol, with
            # early_stopping), as ``scratchnn train --preset`` keeps it.
            stopper = EarlyStopping(
                "val_loss", patience=int(self.n_iter_no_change if early_stopping
                                         else self.max_epochs),
                min_delta=self.tol if early_stopping else 0.0, restore_best_weights=True,
                mode="min")
            callbacks.append(stopper)
        elif not incremental:
            # Without early stopping the training loss is watched, as in MLPClassifier.
            monitor, mode = (self._SCORE_KEY, "max") if early_stopping else ("loss", "min")
            stopper = EarlyStopping(monitor, patience=int(self.n_iter_no_change),
                                    min_delta=self.tol, restore_best_weights=early_stopping,
                                    mode=mode)
            callbacks.append(stopper)
        callbacks += training.check_callbacks(self.callbacks)
        training.check_combination(network, run, callbacks, train.n)
        training.check_monitors(callbacks, validation is not None, network.task)
        with advice_for("estimator"):  # what helps, in this estimator's parameters
            training.fit(network, train, run, callbacks)
        if not incremental and stopper.stopped_epoch is not None and self.verbose:
            watched = ("Validation loss" if settings["keep_best"] else
                       "Validation score" if early_stopping else "Training loss")
            print(f"{watched} did not improve by more than tol={self.tol} for "
                  f"{self.n_iter_no_change} consecutive epochs: stopping")
        if validation is not None and not incremental:
            self.validation_scores_ = record.scores
            self.best_validation_score_ = max(record.scores)
            self.validation_loss_curve_ = record.losses

    def _loss_rows(self, rows):
        """(Weighted) mean loss on ``rows``, without L2 or dropout, batch norm in inference mode."""
        network, total, weight = self.network_, 0.0, 0.0
        loss = self._loss()
        for block in rows.dense_blocks():
            A, caches = network.forward(block.X.T)
            Y = block.Y.T
            loss_s, Y = smooth_labels(loss, Y, self._label_smoothing(), network.n_outputs)
            w = None if block.weights is None else block.weights.T
            m = A.shape[1]
            total += m * loss_s.cost(A, Y.astype(A.dtype) if Y.dtype.kind == "f" else Y,
                                     Z=caches.layers[-1].Z, weights=w)
            weight += m if w is None else float(w.sum())
        return total / weight if weight > 0 else 0.0

