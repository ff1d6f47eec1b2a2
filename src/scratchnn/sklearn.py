r"""``NNClassifier``: a scikit-learn estimator over :class:`~scratchnn.ClassifierNN`.

scikit-learn is an optional dependency (``pip install scratchnn[sklearn]``): this module imports
it, and ``import scratchnn`` never imports this module.

The estimator follows scikit-learn's conventions: ``X`` has shape ``(n_samples, n_features)``, one
example per **row**, and ``y`` is a vector of labels of any type (or a 0/1 indicator matrix for
multilabel problems). Internally it transposes to the engine's ``(n_features, m)`` layout, which
for a C-ordered ``X`` is a free view, and chooses the output layer and loss from the target:

=========================  =======================  =================================
target                     output layer             loss
=========================  =======================  =================================
two classes                1 sigmoid unit           ``BinaryCrossEntropy``
``C >= 3`` classes         softmax of ``C`` units   ``SparseCategoricalCrossEntropy``
``k`` labels (indicator)   ``k`` sigmoid units      ``BinaryCrossEntropy``
=========================  =======================  =================================

Training runs through the same loop as :meth:`ClassifierNN.train`
(:func:`scratchnn.training.fit`), with early stopping as its
:class:`~scratchnn.callbacks.EarlyStopping` callback. The optimizer (Adam's moments and step
count) carries over across :meth:`partial_fit` calls and ``warm_start`` fits, so these train
exactly like one long ``train`` call. A memory-mapped ``X`` (``numpy.memmap``) is streamed to the
loop in blocks of rows, so it never has to fit in memory. A SciPy sparse ``X`` (converted to CSR
once) goes to the loop as it is, and only one mini-batch of it is densified at a time
(:func:`scratchnn.training.batch_rows`); prediction and validation densify it in chunks of
:data:`scratchnn.training.EVALUATION_CHUNK` rows.
"""

import mmap
import numbers
import re
from collections.abc import Iterable

import numpy as np

try:
    import sklearn  # noqa: F401  (only to give a clear message when it is missing)
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "NNClassifier needs scikit-learn: pip install 'scratchnn[sklearn]'"
    ) from exc
import scipy.sparse  # scikit-learn depends on SciPy, so it is there when scikit-learn is
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import training
from .activations import ACTIVATIONS
from .callback import Callback
from .callbacks import EarlyStopping
from .diagnostics import advice_for
from .initializers import glorot_uniform
from .losses import (
    BinaryCrossEntropy,
    SparseCategoricalCrossEntropy,
    smooth_labels,
    smoothed_loss,
)
from .network import ClassifierNN
from .optimizers import OPTIMIZERS
from .threads import check_n_threads
from .validation import check_float, check_int

__all__ = ["NNClassifier", "MEMMAP_BLOCK_BYTES"]

MEMMAP_BLOCK_BYTES = 64 * 2**20
"""Bytes of ``X`` (in the computation dtype) that one block of a memory-mapped ``X`` holds.

Each block is trained on as a whole (shuffled within itself), and the blocks are visited in a new
random order every epoch; a block is rounded down to a whole number of mini-batches.
"""

_ACTIVATION_ALIASES = {"logistic": "sigmoid", "identity": "linear"}  # MLPClassifier's names


def _is_memory_mapped(X):
    """Whether ``X`` is a NumPy array whose data lives in a memory-mapped file."""
    while isinstance(X, np.ndarray):
        if isinstance(X, np.memmap):
            return True
        X = X.base
    return isinstance(X, mmap.mmap)


def _naming(exc, name):
    """``exc`` again, its message prefixed with ``name`` unless it already names it.

    scikit-learn's checks say what is wrong ("could not convert string to float") but not always
    which argument it is; our errors always name it.
    """
    message = str(exc)
    if re.search(rf"\b{re.escape(name)}\b", message):
        return exc
    return type(exc)(f"{name}: {message}")


def _validate(estimator, X, y="no_validation", **kwargs):
    """``validate_data`` whose errors name ``X`` or ``y``: X is checked on its own first.

    A sparse ``X`` is accepted and converted to CSR here, once (``accept_sparse="csr"``).
    """
    kwargs["accept_sparse"] = "csr"
    try:
        checked = check_array(X, dtype=kwargs.get("dtype", "numeric"), accept_sparse="csr",
                              input_name="X")
    except (TypeError, ValueError) as exc:
        raise _naming(exc, "X") from exc
    if scipy.sparse.issparse(checked):
        X = checked  # no feature names to keep, and no second conversion
    try:
        return validate_data(estimator, X, y, **kwargs)
    except (TypeError, ValueError) as exc:
        # With X checked, the fault is y's, unless the message is about X ("X has 3 features")
        about_X = (isinstance(y, str) and y == "no_validation") or re.search(r"\bX\b", str(exc))
        raise _naming(exc, "X" if about_X else "y") from exc


def _dense_chunks(X):
    """``X`` itself if it is dense; else its rows as dense arrays, one chunk at a time.

    Chunks have :data:`scratchnn.training.EVALUATION_CHUNK` rows, so a sparse ``X`` is never
    densified whole.
    """
    if not scipy.sparse.issparse(X):
        yield X
        return
    for start in range(0, X.shape[0], training.EVALUATION_CHUNK):
        yield X[start:start + training.EVALUATION_CHUNK].toarray()


def _rows_in(index, start, stop):
    """The entries of the sorted ``index`` that fall in ``[start, stop)``."""
    lo, hi = np.searchsorted(index, [start, stop])
    return index[lo:hi]


def init_like_mlp_classifier(network, activation):
    r"""Draw ``network``'s weights and biases as scikit-learn's MLPClassifier does.

    Every ``W{l}`` and ``b{l}`` is drawn by :func:`scratchnn.initializers.glorot_uniform`, layer
    by layer, with ``factor`` 2 for sigmoid hidden layers and 6 otherwise, from the network's own
    generator; batch-norm ``gamma``/``beta`` keep 1 and 0. Starting from MLPClassifier's
    distribution makes the two estimators' results comparable; on the small datasets of
    ``benchmarks/accuracy.py`` it also trains better in 200 epochs than He initialization.
    """
    factor = 2.0 if activation == "sigmoid" else 6.0
    for l in range(1, network.num_layers):
        glorot_uniform(network.parameters[f"W{l}"], network.rng,
                       network.parameters.get(f"b{l}"), factor)
    return network


class _Rows:
    """Some rows of ``X`` with their labels and weights, served as the training loop's blocks.

    In memory the rows are gathered once into one C-ordered :class:`~scratchnn.training.Block`
    of the computation dtype (no copy when ``X`` already is one and every row is used). A sparse
    ``X`` stays sparse: one block holding a CSR matrix of the computation dtype, which the
    training loop densifies one mini-batch at a time. A memory-mapped ``X`` is read in blocks of
    ``block_rows`` consecutive rows instead, each converted when it is used, so only one block is
    ever in memory.

    Parameters
    ----------
    X : array or sparse CSR matrix of shape (n_samples, n_features)
    Y : array of shape (k, n_samples)
        Labels in the engine's format, one column per row of ``X``.
    weights : array of shape (n_samples,) or None
    index : sorted int array or None
        The rows to serve; ``None`` for all.
    network : ClassifierNN
        The network trained (its dtype and label checks).
    loss : type
        The loss class, whose label format ``Y`` is in.
    block_rows : int or None
        Rows of ``X`` per block; ``None`` serves everything as one block.
    """

    def __init__(self, X, Y, weights, index, network, loss, block_rows=None,
                 label_smoothing=0.0):
        self.Y, self.weights, self.index = Y, weights, index
        self.network, self.loss, self.label_smoothing = network, loss, label_smoothing
        self.n = X.shape[0] if index is None else index.size
        if block_rows is None or block_rows >= X.shape[0]:
            if scipy.sparse.issparse(X):
                X = (X if index is None else X[index]).astype(network.compute_dtype, copy=False)
            else:
                X = np.asarray(X if index is None else X[index], dtype=network.compute_dtype,
                               order="C")
            if index is not None:
                Y = Y[:, index]
                weights = None if weights is None else weights[index]
            self.block = self._block(X, Y, weights)
            self.starts = None
        else:
            self.X = X
            self.starts = [start for start in range(0, X.shape[0], block_rows)
                           if index is None or _rows_in(index, start, start + block_rows).size]
            self.block_rows = block_rows

    def _block(self, X_rows, Y, weights):
        dtype = self.network.compute_dtype
        Y = self.network.check_labels(Y, self.loss, X_rows.shape[0], dtype)
        if self.label_smoothing:
            _, Y = smooth_labels(self.loss, Y, self.label_smoothing, self.network.n_outputs)
            Y = Y.astype(dtype, copy=False)
        weights = None if weights is None else np.asarray(weights, dtype).reshape(-1, 1)
        return training.Block(X_rows, training.as_rows(Y, Y.dtype), weights)

    @property
    def n_blocks(self):
        return 1 if self.starts is None else len(self.starts)

    def blocks(self, rng=None):
        """Yield :class:`~scratchnn.training.Block` objects; ``rng`` shuffles their order."""
        if self.starts is None:
            yield self.block
            return
        shuffle = rng is not None and len(self.starts) > 1
        order = rng.permutation(len(self.starts)) if shuffle else range(len(self.starts))
        for position in order:
            start = self.starts[position]
            stop = min(start + self.block_rows, self.X.shape[0])
            if self.index is None:
                rows, X_block = slice(start, stop), self.X[start:stop]
            else:
                rows = _rows_in(self.index, start, stop)
                X_block = self.X[start:stop][rows - start]
            w = None if self.weights is None else self.weights[rows]
            X_block = np.asarray(X_block, dtype=self.network.compute_dtype, order="C")
            yield self._block(X_block, self.Y[:, rows], w)

    def dense_blocks(self):
        """The blocks of :meth:`blocks`, a sparse one cut into dense chunks (for scoring)."""
        for block in self.blocks():
            start = 0
            for X in _dense_chunks(block.X):
                rows = slice(start, start + X.shape[0])
                start = rows.stop
                weights = None if block.weights is None else block.weights[rows]
                yield training.Block(X, block.Y[rows], weights)


class _EpochRecord(Callback):
    """The estimator's per-epoch bookkeeping: ``loss_curve_``, the validation loss and score (added
    to the logs as ``val_loss`` and ``val_accuracy`` for the callbacks) and the verbose messages."""

    def __init__(self, estimator, validation, score, validation_loss):
        self.estimator, self.validation, self.score = estimator, validation, score
        self.validation_loss = validation_loss
        self.scores, self.losses = [], []

    def on_epoch_end(self, epoch, logs):
        estimator = self.estimator
        estimator.loss_curve_.append(logs["loss"])
        estimator.n_iter_ += 1
        message = f"Epoch {estimator.n_iter_}, loss = {logs['loss']:.8f}"
        if self.validation is not None:
            logs["val_loss"] = val_loss = self.validation_loss(self.validation)
            logs["val_accuracy"] = score = self.score(self.validation)
            self.losses.append(val_loss)
            self.scores.append(score)
            message += f", validation score = {score:.6f}"
        if estimator.verbose:
            print(message)
        return False


class NNClassifier(ClassifierMixin, BaseEstimator):
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

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel targets, the column indices ``0 .. k-1``).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names (a pandas DataFrame).
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
    into code written for it. ``scratchnn train`` defaults to other ones, chosen for a table and
    no tuning: hidden layers of 25 and 15 units, a learning rate of 0.01, mini-batches of 64,
    float32, and early stopping on a 20% validation split that keeps the epoch of the lowest
    validation cost (see "Defaults: the command line's and the estimator's" on the
    documentation's Command line page).
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", optimizer="adam",
                 learning_rate=0.001, batch_size="auto", max_epochs=200, l2=0.0, dropout=0.0,
                 batch_norm=False, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, class_weight=None, random_state=None,
                 verbose=False, warm_start=False, lr_schedule=None, clipnorm=None,
                 weight_decay=None, label_smoothing=0.0, callbacks=None, n_threads=None):
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

    # ------------------------------------------------------------------ public API
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Train a network on ``X`` and ``y`` for up to ``max_epochs`` epochs.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
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
        X = _validate(self, X, reset=False, dtype=(np.float64, np.float32))
        A = [self.network_.predict_proba(chunk.T).T for chunk in _dense_chunks(X)]
        A = A[0] if len(A) == 1 else np.concatenate(A)  # (n_samples, n_outputs)
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
        check_float(self.label_smoothing, "label_smoothing", low=0.0, high=1.0, high_open=True)
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
        cw = self.class_weight
        if not (cw is None or isinstance(cw, dict) or (isinstance(cw, str) and cw == "balanced")
                or isinstance(cw, list)):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {cw!r}")
        schedule = training.check_schedule(self.lr_schedule, int(self.max_epochs))
        return {"sizes": sizes, "activation": activation, "keep_prob": keep_prob,
                "lr_schedule": schedule}

    def _random_state(self):
        """A RandomState for this fit; a fresh one (not NumPy's global state) for ``None``."""
        if self.random_state is None:
            return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
        try:
            return check_random_state(self.random_state)
        except ValueError:
            raise ValueError(f"random_state must be None, an int or a RandomState instance, got "
                             f"{self.random_state!r}") from None

    # ------------------------------------------------------------------ targets
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
            raise ValueError(f"NNClassifier supports binary, multiclass and multilabel-indicator "
                             f"targets, got {kind!r}")
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

    def _check_warm_network(self, settings):
        network = self.network_
        expected = [network.n_features, *settings["sizes"], network.n_outputs]
        if (network.layer_dims != expected or network.batch_norm != bool(self.batch_norm)
                or any(a != settings["activation"] for a in network.activations[:-1])):
            raise ValueError("warm_start and partial_fit continue the existing network, but "
                             "hidden_layer_sizes, activation or batch_norm changed since it was "
                             "created; set warm_start=False to train a new one")

    # ------------------------------------------------------------------ training
    def _fit(self, X, y, sample_weight, validation_data, incremental, classes=None):
        settings = self._check_hyperparameters()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        fitted = hasattr(self, "network_")
        first = not fitted or not (incremental or self.warm_start)
        mapped = not scipy.sparse.issparse(X) and _is_memory_mapped(X)
        # A memory-mapped X is validated where it lies (dtype=None: no converted copy); its
        # blocks are converted one at a time during training.
        X, y = _validate(self, X, y, reset=first, multi_output=True,
                         dtype=None if mapped else (np.float64, np.float32))
        if X.dtype.kind not in "biuf":
            raise TypeError(f"X must hold real numbers, got dtype {X.dtype}")
        Y, index = self._encode_targets(y, first, incremental, classes)
        weights = self._weights(y, index, sample_weight, X, incremental)
        random_state = self._random_state()
        seed = int(random_state.randint(np.iinfo(np.int32).max))
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

        train_index = validation = None
        if not incremental and self.early_stopping and validation_data is None:
            n_val = int(np.ceil(self.validation_fraction * X.shape[0]))
            if n_val < max(2, 0 if index is None else len(self.classes_)):
                raise ValueError(f"the validation set is too small ({n_val} samples, fewer than "
                                 f"2 or than the classes): increase validation_fraction or the "
                                 f"size of the data, or pass validation_data")
            # Stratified, so that every class is in both parts in its proportion.
            train_index, val_index = train_test_split(
                np.arange(X.shape[0]), test_size=n_val, random_state=random_state,
                stratify=index)
            train_index.sort()  # blocks of a memory-mapped X are read in order
            val_index.sort()
            validation = (X, Y, weights, val_index)
        elif validation_data is not None:
            validation = self._validation_set(validation_data)
        if weights is not None:  # mean 1 over the training rows (see the class Notes)
            weights = weights / np.mean(weights if train_index is None else weights[train_index])

        n_train = X.shape[0] if train_index is None else train_index.size
        batch_size = min(200, n_train) if self.batch_size == "auto" else int(self.batch_size)
        block_rows = None
        if mapped:
            per_row = X.shape[1] * np.dtype(dtype).itemsize
            block_rows = max(1, MEMMAP_BLOCK_BYTES // per_row // batch_size) * batch_size
        train = _Rows(X, Y, weights, train_index, network, self._loss(), block_rows,
                      float(self.label_smoothing))
        if validation is not None:
            validation = _Rows(*validation, network, self._loss(), block_rows)
        self._train(train, validation, settings, batch_size, incremental)
        return self

    def _validation_set(self, validation_data):
        """Check ``validation_data = (X_val, y_val)``; return it as ``_Rows`` arguments."""
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a tuple (X_val, y_val)")
        X_val, y_val = validation_data
        X_val = _validate(self, X_val, reset=False, dtype=(np.float64, np.float32))
        y_val = np.asarray(y_val)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = column_or_1d(y_val)
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(f"validation_data: X_val has {X_val.shape[0]} samples but y_val has "
                             f"{y_val.shape[0]}")
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
        return X_val, Y_val, weights, None

    def _loss(self):
        return SparseCategoricalCrossEntropy if self._target == "multiclass" else (
            BinaryCrossEntropy)

    def _train(self, train, validation, settings, batch_size, incremental):
        """Train through the training loop, with early stopping as its callback."""
        network = self.network_
        early_stopping = self.early_stopping and not incremental
        optimizer = OPTIMIZERS[self.optimizer]
        loss = smoothed_loss(self._loss(), float(self.label_smoothing))
        run = training.TrainingSettings(
            loss=loss, num_epochs=1 if incremental else int(self.max_epochs),
            learning_rate=float(self.learning_rate), batch_size=batch_size,
            lambd=float(self.l2), keep_prob=settings["keep_prob"],
            optimizer=optimizer,
            resume=network.optimizer is not None and network.optimizer.name == self.optimizer,
            lr_schedule=settings["lr_schedule"],
            clipnorm=None if self.clipnorm is None else float(self.clipnorm),
            weight_decay=optimizer.default_weight_decay if self.weight_decay is None
            else float(self.weight_decay),
            n_threads=None if self.n_threads is None else int(self.n_threads))
        record = _EpochRecord(self, validation, self._score_rows, self._loss_rows)
        callbacks = [record]
        if not incremental:
            # Without early stopping the training loss is watched, as in MLPClassifier.
            stopper = EarlyStopping("val_accuracy" if early_stopping else "loss",
                                    patience=int(self.n_iter_no_change), min_delta=self.tol,
                                    restore_best_weights=early_stopping)
            callbacks.append(stopper)
        callbacks += training.check_callbacks(self.callbacks)
        training.check_combination(network, run, callbacks, train.n)
        training.check_monitors(callbacks, validation is not None)
        with advice_for("estimator"):  # what helps, in this estimator's parameters
            training.fit(network, train, run, callbacks)
        if not incremental and stopper.stopped_epoch is not None and self.verbose:
            watched = "Validation score" if early_stopping else "Training loss"
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
            loss_s, Y = smooth_labels(loss, Y, float(self.label_smoothing), network.n_outputs)
            w = None if block.weights is None else block.weights.T
            m = A.shape[1]
            total += m * loss_s.cost(A, Y.astype(A.dtype) if Y.dtype.kind == "f" else Y,
                                     Z=caches.layers[-1].Z, weights=w)
            weight += m if w is None else float(w.sum())
        return total / weight if weight > 0 else 0.0

    def _score_rows(self, rows):
        """(Weighted) accuracy on ``rows`` (a ``_Rows``); a multilabel row counts if all match."""
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

