r"""``NNClassifier``: the scikit-learn classifier over :class:`~scratchnn.ClassifierNN`.

The output layer and the loss follow the target (see :mod:`scratchnn.sklearn`); training, the
validation split, sample weights, streaming and memory-mapped data are
:class:`~scratchnn.sklearn._base.NNEstimator`'s, shared with the regressor.
"""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d

from ..losses import BinaryCrossEntropy, SparseCategoricalCrossEntropy, smoothed_loss
from ..network import ClassifierNN
from ..presets import DEFAULT_PRESET, get_preset, init_like_mlp_classifier
from ..table_inputs import classifier_outputs
from ..validation import check_float
from ._base import NNEstimator
from ._data import outputs_by_rows


class NNClassifier(ClassifierMixin, NNEstimator):
    r"""A multilayer-perceptron classifier, scikit-learn style, trained by scratchnn's engine.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Units of each hidden layer; ``()`` gives no hidden layer (logistic regression).
    activation : {'relu', 'tanh', 'sigmoid', 'leaky_relu', 'linear', 'softmax'}, default 'relu'
        Activation of every hidden layer; scikit-learn's ``'logistic'`` and ``'identity'`` are
        accepted for ``'sigmoid'`` and ``'linear'``. Weights and biases start as in
        MLPClassifier (:func:`init_like_mlp_classifier`).
    optimizer : str, default 'adam'
        One of :data:`scratchnn.optimizers.OPTIMIZERS`: ``'adam'``, ``'adamw'``, ``'nadam'``,
        ``'gd'``, ``'momentum'``, ``'nesterov'``, ``'rmsprop'`` or ``'lbfgs'`` (full batch,
        in-memory data only; ``max_epochs`` is its iteration limit).
    learning_rate : float > 0, default 0.001
    batch_size : int >= 1 or 'auto', default 'auto'
        Examples per mini-batch; ``'auto'`` is ``min(200, n_samples)``.
    max_epochs : int >= 1, default 200
        The most passes over the training data in one :meth:`fit` call; ``n_iter_`` says how
        many ran.
    l2 : float >= 0, default 0.0
        L2 penalty :math:`\frac{\lambda}{2m}\sum_l \lVert W^{[l]}\rVert_F^2` per mini-batch of
        :math:`m` examples (scikit-learn's ``alpha``, the engine's ``lambd``).
    dropout : float in [0, 1) or sequence of them, default 0.0
        Drop rate of each hidden layer's output during training (as in Keras and PyTorch: 0.2
        drops 20%); one float for every hidden layer, or one per hidden layer. The input is never
        dropped.
    batch_norm : bool, default False
        Batch-normalize the net input of every hidden layer.
    early_stopping : bool, default False
        Stop when the validation score has not improved by more than ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the best epoch. The validation
        set is ``validation_data`` passed to :meth:`fit`, or else a stratified
        ``validation_fraction`` of the training data.
    validation_fraction : float in (0, 1), default 0.1
    n_iter_no_change : int >= 1, default 10
        Consecutive epochs without improvement after which training stops. Without early
        stopping the training loss is watched instead, as in scikit-learn's MLPClassifier (which
        waits one epoch more); set it to ``max_epochs`` to always train ``max_epochs`` epochs.
    tol : float >= 0, default 1e-4
        Improvement that counts: the validation accuracy must rise by more than ``tol``, or the
        training loss fall by more than ``tol``.
    class_weight : dict, 'balanced' or None, default None
        Weight of each class in the loss (multiplies ``sample_weight``); ``'balanced'`` weighs
        classes inversely to their frequency.
    random_state : int, RandomState instance or None, default None
        Seeds the initialization, the shuffling, dropout and the validation split. An int gives
        the same model on every fit. NumPy's global random state is never used.
    verbose : bool, default False
        Print the loss (and validation score) of every epoch.
    warm_start : bool, default False
        Let :meth:`fit` continue from the current weights and optimizer state instead of starting
        afresh.
    lr_schedule : Schedule, 'cosine' or None, default None
        Learning rate of each epoch (:mod:`scratchnn.schedules`); ``'cosine'`` decays it over
        ``max_epochs``.
    clipnorm : float > 0 or None, default None
        Rescale each step's gradient to a global L2 norm of at most ``clipnorm``.
    weight_decay : float >= 0 or None, default None
        Decoupled weight decay of the weights (default 0.01 for ``'adamw'``, else 0).
    label_smoothing : float in [0, 1), default 0.0
        Train toward smoothed targets (:func:`scratchnn.losses.smooth_labels`).
    callbacks : list of scratchnn.callback.Callback or None, default None
        More hooks for the training loop, run after the estimator's own bookkeeping.
    n_threads : int >= 1 or None, default None
        BLAS threads while fitting, restored afterwards; ``None`` chooses for the machine as it
        is (CPU affinity, container quota, one thread in a dask worker or joblib child, and a
        tuner that keeps the faster count: :mod:`scratchnn.threads`).
    beta1 : float in [0, 1), default 0.9
        Decay rate of the optimizer's first moment (Adam, AdamW, Nadam; the momentum of
        ``'momentum'`` and ``'nesterov'``; the squared-gradient decay of ``'rmsprop'``), as in
        :class:`scratchnn.optimizers.Optimizer`. scikit-learn's ``beta_1``.
    beta2 : float in [0, 1), default 0.999
        Decay rate of Adam's, AdamW's and Nadam's second moment (scikit-learn's ``beta_2``);
        0.95 is RealMLP's choice for tables.
    epsilon : float > 0, default 1e-8
        Added to the square root in the adaptive optimizers' denominators.
    preset : {'auto', 'mlp', 'tabular'}, default 'auto'
        How the epoch that is kept is chosen (:mod:`scratchnn.presets`; ``scratchnn train
        --preset`` trains the same model from the same table and seed). ``'mlp'``,
        MLPClassifier's: every row is trained on, until the training loss stalls (above).
        ``'tabular'``: a stratified ``validation_fraction`` of the rows is held out
        (:func:`scratchnn.presets.holdout`), all ``max_epochs`` epochs are trained on the rest
        (with ``early_stopping``, until the validation loss has not fallen by more than ``tol``
        for ``n_iter_no_change`` epochs), and the weights of the epoch of the lowest validation
        loss are kept; ``validation_data``, if given, is the held-out part. ``'auto'``:
        ``'tabular'`` when ``fit`` is given 5,000 rows or more, ``'mlp'`` below (chosen on
        the tabular benchmark; before 2026-12-07 the default was ``'mlp'``, which gives the
        results of earlier versions).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel targets, the column indices ``0 .. k-1``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names (a pandas DataFrame).
    preprocessing_ : scratchnn.table_inputs.TableInputs or None
        The preprocessing of a pandas DataFrame with a column that is not plain NumPy numbers
        (categories, text, booleans, dates; the command line's, learned on the training rows and
        then fixed, see "DataFrames of mixed columns" in the documentation); None after a fit
        on an array or a DataFrame of numbers only.
    network_ : ClassifierNN
        The trained network (its ``predict_proba`` takes ``(n_features, m)`` input).
    loss_curve_ : list of float
        Training loss of every epoch since the network was created (``fit`` with
        ``warm_start`` and :meth:`partial_fit` append to it).
    n_iter_ : int
        Epochs trained since the network was created, ``len(loss_curve_)``.
    validation_scores_ : list of float or None
        Validation accuracy after each epoch of the last :meth:`fit`, when it had a validation
        set (``early_stopping`` or ``validation_data``). Weighted like the training loss: by
        ``class_weight``, and on early stopping's held-out split also by ``sample_weight``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    validation_loss_curve_ : list of float or None
        Validation loss (no L2 term, no dropout) after each epoch of the last :meth:`fit`, when
        it had a validation set; weighted as ``validation_scores_``.

    Notes
    -----
    ``sample_weight`` and ``class_weight`` multiply each example's loss. The weights are rescaled
    to average 1 over the training rows, so they change the examples' relative importance but not
    the effective learning rate, and integer weights train like repeated rows.

    The defaults are :class:`sklearn.neural_network.MLPClassifier`'s, so that the estimator drops
    into code written for it; on 5,000 rows or more the default preset ``'auto'`` then holds out
    10% of them and keeps the epoch of the lowest validation loss of all 200 (``preset='mlp'``
    trains as MLPClassifier does there too). ``scratchnn train`` defaults to other ones, chosen
    for a table and no tuning: hidden layers of 25 and 15 units, a learning rate of 0.01,
    mini-batches of 64, float32, and early stopping on a 20% validation split that keeps the
    epoch of the lowest validation cost (see "Defaults: the command line's and the estimator's"
    on the documentation's Command line page).
    """

    _SCORE_KEY = "val_accuracy"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 learning_rate=0.001, batch_size="auto", max_epochs=200, l2=0.0, dropout=0.0,
                 batch_norm=False, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, class_weight=None, random_state=None,
                 verbose=False, warm_start=False, lr_schedule=None, clipnorm=None,
                 weight_decay=None, label_smoothing=0.0, callbacks=None, n_threads=None,
                 beta1=0.9, beta2=0.999, epsilon=1e-8, preset=DEFAULT_PRESET):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.l2 = l2
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.class_weight = class_weight
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.lr_schedule = lr_schedule
        self.clipnorm = clipnorm
        self.weight_decay = weight_decay
        self.label_smoothing = label_smoothing
        self.callbacks = callbacks
        self.n_threads = n_threads
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.preset = preset

    # ------------------------------------------------------------------ public API
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Train a network on ``X`` and ``y`` for up to ``max_epochs`` epochs.

        Parameters
        ----------
        X : array-like, sparse matrix or pandas DataFrame of shape (n_samples, n_features)
            A DataFrame of mixed columns is preprocessed (``preprocessing_``): missing
            numbers imputed, categories and text one-hot encoded, dates read, every input
            standardized.
            A ``numpy.memmap`` is streamed in blocks of rows, never read into memory whole; a
            SciPy sparse matrix is densified one mini-batch at a time, never whole (full-batch
            ``optimizer='lbfgs'`` refuses it).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels of any type, or a 0/1 indicator matrix (multilabel).
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each example's loss.
        validation_data : tuple (X_val, y_val), optional
            A validation set (``X_val`` may be sparse): its accuracy, weighted by
            ``class_weight``, is recorded after every epoch (``validation_scores_``) and, with
            ``early_stopping=True``, used for early stopping instead of a split of ``X``.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing the optimizer of earlier calls.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), optional
            Every class of the whole data; required on the first call (for multilabel targets:
            one entry per column of ``y``). On later calls it may be omitted, and must equal
            ``classes_`` if given.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each example's loss, times ``class_weight``; rescaled to
            average 1 over this call's rows (see the class Notes).

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, None, incremental=True, classes=classes)

    def predict_proba(self, X):
        """Class probabilities, an array of shape (n_samples, n_classes).

        For multilabel targets, the probability of each label (columns need not sum to 1).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            A sparse ``X`` is densified in chunks of rows, never whole.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        X = self._network_input(X)
        A = outputs_by_rows(X, self.network_.predict_proba)  # (n_samples, n_outputs)
        if self._target == "binary":
            A = np.column_stack([1.0 - A[:, 0], A[:, 0]])
        return np.ascontiguousarray(A)

    def predict_log_proba(self, X):
        """Natural logarithm of :meth:`predict_proba` (``-inf`` where a probability is 0)."""
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def predict(self, X):
        """Predicted labels: shape (n_samples,), or (n_samples, n_labels) for multilabel targets."""
        proba = self.predict_proba(X)
        if self._target == "multilabel":
            return (proba > 0.5).astype(self._label_dtype)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------------ checks
    def _check_target_parameters(self):
        check_float(self.label_smoothing, "label_smoothing", low=0.0, high=1.0, high_open=True)
        cw = self.class_weight
        if not (cw is None or isinstance(cw, dict) or (isinstance(cw, str) and cw == "balanced")
                or isinstance(cw, list)):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")

    def _label_smoothing(self):
        return float(self.label_smoothing)

    def _preset(self):
        return get_preset(self.preset)

    def _validation_minimum(self, strata):
        # a stratified split needs a row of every class on each side
        return max(2, 0 if strata is None else len(self.classes_)), "2 or than the classes"

    # ------------------------------------------------------------------ targets
    def _prepare_targets(self, y, sample_weight, X, first, incremental, classes):
        Y, index = self._encode_targets(y, first, incremental, classes)
        return Y, index, self._weights(y, index, sample_weight, X, incremental)

    def _encode_targets(self, y, first, incremental, classes):
        """Check ``y``, set ``classes_`` on a first fit, and return the engine's labels.

        Returns
        -------
        Y : array of shape (k, n_samples)
            0/1 floats (binary, multilabel) or class indices (multiclass).
        index : int array of shape (n_samples,) or None
            Class index of each example (None for multilabel).
        """
        if hasattr(y, "toarray"):  # a sparse indicator matrix
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"y: NNClassifier supports binary, multiclass and "
                             f"multilabel-indicator targets, got {kind!r}")
        multilabel = kind == "multilabel-indicator"
        if multilabel and not np.all((y == 0) | (y == 1)):
            raise ValueError("y as a multilabel indicator matrix must hold only 0 and 1")
        if first:
            if incremental and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            if multilabel:
                self.classes_ = np.arange(y.shape[1])
                if incremental and len(classes) != y.shape[1]:
                    raise ValueError(f"classes must have one entry per column of a multilabel "
                                     f"y ({y.shape[1]}), got {len(classes)}")
                self._target, self._label_dtype = "multilabel", y.dtype
            else:
                self.classes_ = unique_labels(y if classes is None else classes)
                if len(self.classes_) < 2:
                    raise ValueError(f"NNClassifier needs at least 2 classes, got 1 class: "
                                     f"{self.classes_[0]!r}")
                self._target = "binary" if len(self.classes_) == 2 else "multiclass"
        else:
            if classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(f"classes={classes!r} is not the same as on the first call "
                                 f"to partial_fit: {self.classes_!r}")
            if multilabel != (self._target == "multilabel") or (
                    multilabel and y.shape[1] != len(self.classes_)):
                raise ValueError("y must be the same kind of target as in the first fit "
                                 f"({self._target} over {len(self.classes_)} classes)")
        if multilabel:
            return y.T, None
        index = self._class_index(y)
        if self._target == "binary":
            return index.reshape(1, -1).astype(np.float64), index
        return index.reshape(1, -1), index

    def _class_index(self, y):
        """The position of each label of ``y`` in ``classes_``; unknown labels raise."""
        y = np.asarray(y)
        unknown = ~np.isin(y, self.classes_)
        if np.any(unknown):
            raise ValueError(f"y contains labels not in classes_ {self.classes_!r}: "
                             f"{np.unique(y[unknown])!r}")
        return np.searchsorted(self.classes_, y)

    def _weights(self, y, index, sample_weight, X, incremental):
        """Per-example loss weights (sample_weight times class weight), or None."""
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                           ensure_non_negative=True)
        if self.class_weight is not None:
            if incremental and isinstance(self.class_weight, str):
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit: one chunk's "
                    "class frequencies are not the whole data's. Compute the weights once "
                    "with sklearn.utils.class_weight.compute_class_weight and pass a dict"
                )
            class_weights = self._class_weights(y, index)
            weights = class_weights if weights is None else weights * class_weights
        if weights is not None and index is not None and not incremental:
            weighted = np.bincount(index, weights=weights, minlength=len(self.classes_)) > 0
            if weighted.sum() < 2:
                raise ValueError("sample_weight and class_weight leave only one class with "
                                 "non-zero weight; NNClassifier needs at least 2 classes")
        return weights

    def _class_weights(self, y, index):
        """The weight of each example's class (``index``: class positions; None: multilabel)."""
        if index is None:  # multilabel: scikit-learn's per-output convention
            return compute_sample_weight(self.class_weight, y)
        # 'balanced' over the classes these rows hold: a validation set may lack one
        classes = np.unique(index) if isinstance(self.class_weight, str) else np.arange(
            len(self.classes_))
        per_class = np.zeros(len(self.classes_))
        per_class[classes] = compute_class_weight(self.class_weight, classes=self.classes_[classes],
                                                  y=self.classes_[index])
        return per_class[index]

    # ------------------------------------------------------------------ network
    def _new_network(self, settings, n_features, dtype, seed):
        sizes, activation = settings["sizes"], settings["activation"]
        n_outputs = 1 if self._target == "binary" else len(self.classes_)
        output = "softmax" if self._target == "multiclass" else "sigmoid"
        network = ClassifierNN(
            [n_features, *sizes, n_outputs], [activation] * len(sizes) + [output], "xavier",
            batch_norm=bool(self.batch_norm), seed=seed, dtype=dtype,
        )
        init_like_mlp_classifier(network, activation)
        return network

    def _encode_validation(self, y_val):
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val)
        if self._target == "multilabel":
            if y_val.ndim != 2 or y_val.shape[1] != len(self.classes_):
                raise ValueError(f"validation_data: y_val must be an indicator matrix of "
                                 f"{len(self.classes_)} columns, got shape {y_val.shape}")
            Y_val = y_val.T
            weights = None if self.class_weight is None else self._class_weights(y_val, None)
        else:
            index = self._class_index(y_val)
            Y_val = index.reshape(1, -1)
            weights = None if self.class_weight is None else self._class_weights(y_val, index)
        return Y_val, weights

    def _onnx_outputs(self):
        labels = None if self._target == "multilabel" else [str(c) for c in self.classes_]
        return classifier_outputs(self.network_.n_outputs, labels)

    def _loss(self):
        return SparseCategoricalCrossEntropy if self._target == "multiclass" else (
            BinaryCrossEntropy)

    def _training_loss(self):
        return smoothed_loss(self._loss(), float(self.label_smoothing))

    def _score_rows(self, rows):
        """(Weighted) accuracy on ``rows`` (a ``Rows``); a multilabel row counts if all match."""
        correct = total = 0.0
        for block in rows.dense_blocks():
            A = self.network_.predict_proba(block.X.T)
            if self._target == "multiclass":
                hit = np.argmax(A, axis=0) == block.Y[:, 0]
            else:
                hit = np.all((A > 0.5) == (block.Y.T > 0.5), axis=0)
            if block.weights is None:
                correct, total = correct + hit.sum(), total + hit.size
            else:
                w = block.weights[:, 0]
                correct, total = correct + w[hit].sum(), total + w.sum()
        return float(correct / total) if total > 0 else 0.0

