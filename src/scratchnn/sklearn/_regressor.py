r"""``NNRegressor``: the scikit-learn regressor over :class:`~scratchnn.RegressorNN`.

One linear output unit per target column, trained on the standardized targets; training, the
validation split, sample weights, streaming and memory-mapped data are
:class:`~scratchnn.sklearn._base.NNEstimator`'s, shared with the classifier.
"""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import _check_sample_weight, check_array, check_is_fitted

from ..losses import Huber, MeanSquaredError
from ..metrics import r2_from_sums
from ..presets import init_like_mlp_classifier
from ..regressor import RegressorNN
from ..table_inputs import regression_outputs
from ..validation import check_float
from ._base import NNEstimator
from ._data import naming, outputs_by_rows

LOSSES = {
    "squared_error": lambda estimator: MeanSquaredError,
    "huber": lambda estimator: Huber(float(estimator.huber_delta)),
}
"""The estimator's ``loss`` names (scikit-learn's spelling) and the engine's loss each makes."""


def standardization(y, weights):
    r"""The (weighted) mean and standard deviation of each column of ``y``.

    .. math:: \mu = \frac{\sum_i w_i y_i}{\sum_i w_i}, \qquad
              \sigma = \sqrt{\frac{\sum_i w_i (y_i - \mu)^2}{\sum_i w_i}}

    (:math:`w_i = 1` without weights). A column whose :math:`\sigma` is zero, or too small next
    to its mean to be told from rounding, gets :math:`\sigma = 1`, as in scikit-learn's
    ``StandardScaler``: a constant target is only centred. Too small is
    :math:`\sigma \le 10\,\epsilon \max(1, |\mu|)`, with :math:`\epsilon = 2^{-52}` float64's
    machine epsilon: a spread of a few units in the last place of :math:`\mu`.

    Parameters
    ----------
    y : array of shape (n_samples, k)
    weights : array of shape (n_samples,) or None
        Non-negative, with a positive sum.

    Returns
    -------
    mean, scale : arrays of shape (k,)
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.average(y, axis=0, weights=weights)
        scale = np.sqrt(np.average((y - mean) ** 2, axis=0, weights=weights))
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        raise ValueError("y holds values too large to standardize (their spread overflows "
                         "float64): rescale y")
    tiny = 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
    scale[scale <= tiny] = 1.0
    return mean, scale


def _no_missing(y, name):
    """``y`` (float64) unless it holds NaN: an object array's ``None`` becomes NaN only after
    scikit-learn's own check of finite values, so a missing target reaches this point."""
    missing = np.isnan(y.reshape(len(y), -1)).any(axis=1)
    if missing.any():
        raise ValueError(f"{name} holds a missing value (None or NaN) in {missing.sum()} row(s): "
                         "drop those rows or fill them in")
    return y


def weighted_r2(blocks, predict):
    r""":math:`R^2` of ``predict`` over ``blocks`` (weighted), averaged over the outputs.

    .. math:: R^2_k = 1 - \frac{\sum_i w_i (y_{ki} - \hat y_{ki})^2}
              {\sum_i w_i (y_{ki} - \bar y_k)^2}, \qquad \bar y_k = \frac{\sum_i w_i y_{ki}}
              {\sum_i w_i}

    as scikit-learn's ``r2_score`` with ``sample_weight`` (an output whose targets are constant
    counts 1 if predicted exactly, else 0). The weighted mean and spread are gathered block by
    block with Chan's update, so no block is held longer than it is used.

    Parameters
    ----------
    blocks : iterable of :class:`~scratchnn.training.Block`
        Dense rows ``X`` of shape (m, n_features), targets ``Y`` of shape (m, k) and weights
        (m, 1) or None.
    predict : callable
        ``predict(X.T)`` returns the outputs, shape (k, m).
    """
    total = mean = spread = squared_error = 0.0
    for block in blocks:
        Y = block.Y.astype(np.float64)
        w = (np.ones((Y.shape[0], 1)) if block.weights is None
             else block.weights.astype(np.float64))
        w_b = float(w.sum())
        if w_b <= 0:
            continue
        A = predict(block.X.T).T.astype(np.float64)
        squared_error = squared_error + np.sum(w * (Y - A) ** 2, axis=0)
        mean_b = np.sum(w * Y, axis=0) / w_b
        spread_b = np.sum(w * (Y - mean_b) ** 2, axis=0)
        joint = total + w_b
        step = mean_b - mean
        mean = mean + step * (w_b / joint)
        spread = spread + spread_b + step * step * (total * w_b / joint)
        total = joint
    if total <= 0:
        return 0.0
    return float(np.mean(r2_from_sums(squared_error, spread)))


class NNRegressor(RegressorMixin, NNEstimator):
    r"""A multilayer-perceptron regressor, scikit-learn style, trained by scratchnn's engine.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        Units of each hidden layer; ``()`` gives no hidden layer (linear regression).
    activation : {'relu', 'tanh', 'sigmoid', 'leaky_relu', 'linear', 'softmax'}, default 'relu'
        Activation of every hidden layer; scikit-learn's ``'logistic'`` and ``'identity'`` are
        accepted for ``'sigmoid'`` and ``'linear'``. The output layer is linear. Weights and
        biases start as in MLPRegressor (:func:`init_like_mlp_classifier`).
    loss : {'squared_error', 'huber'}, default 'squared_error'
        ``'squared_error'``: half the mean squared error,
        :class:`~scratchnn.losses.MeanSquaredError` (MLPRegressor's loss); ``'huber'``:
        :class:`~scratchnn.losses.Huber` with ``delta=huber_delta``, which lets outliers pull
        less. Both are averaged over examples and summed over outputs, on the standardized
        targets (see Notes).
    huber_delta : float > 0, default 1.0
        Where Huber's loss turns from quadratic to linear, in units of each target's standard
        deviation (the targets are standardized): 1.0 counts residuals beyond one standard
        deviation linearly. Used only with ``loss='huber'``.
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
        Drop rate of each hidden layer's output during training; one float for every hidden
        layer, or one per hidden layer. The input is never dropped.
    batch_norm : bool, default False
        Batch-normalize the net input of every hidden layer.
    early_stopping : bool, default False
        Stop when the validation :math:`R^2` has not improved by more than ``tol`` for
        ``n_iter_no_change`` epochs, and restore the weights of the best epoch. The validation
        set is ``validation_data`` passed to :meth:`fit`, or else a random
        ``validation_fraction`` of the training data.
    validation_fraction : float in (0, 1), default 0.1
    n_iter_no_change : int >= 1, default 10
        Consecutive epochs without improvement after which training stops. Without early
        stopping the training loss is watched instead, as in scikit-learn's MLPRegressor (which
        waits one epoch more); set it to ``max_epochs`` to always train ``max_epochs`` epochs.
    tol : float >= 0, default 1e-4
        Improvement that counts: the validation :math:`R^2` must rise by more than ``tol``, or
        the training loss (on the standardized targets) fall by more than ``tol``.
    random_state : int, RandomState instance or None, default None
        Seeds the initialization, the shuffling, dropout and the validation split. An int gives
        the same model on every fit. NumPy's global random state is never used.
    verbose : bool, default False
        Print the loss (and validation :math:`R^2`) of every epoch.
    warm_start : bool, default False
        Let :meth:`fit` continue from the current weights, optimizer state and target
        standardization instead of starting afresh.
    lr_schedule : Schedule, 'cosine' or None, default None
        Learning rate of each epoch (:mod:`scratchnn.schedules`); ``'cosine'`` decays it over
        ``max_epochs``.
    clipnorm : float > 0 or None, default None
        Rescale each step's gradient to a global L2 norm of at most ``clipnorm``.
    weight_decay : float >= 0 or None, default None
        Decoupled weight decay of the weights (default 0.01 for ``'adamw'``, else 0).
    callbacks : list of scratchnn.callback.Callback or None, default None
        More hooks for the training loop, run after the estimator's own bookkeeping (the
        validation :math:`R^2` is logged as ``val_r2``).
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

    Attributes
    ----------
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Only when ``X`` had string column names (a pandas DataFrame).
    preprocessing_ : scratchnn.table_inputs.TableInputs or None
        The preprocessing of a pandas DataFrame with a column that is not plain NumPy numbers
        (categories, text, booleans, dates; the command line's, learned on the training rows and
        then fixed, see "DataFrames of mixed columns" in the documentation); None after a fit
        on an array or a DataFrame of numbers only.
    n_outputs_ : int
        The number of targets (columns of a 2-D ``y``; 1 for a vector).
    y_mean_, y_scale_ : ndarray of shape (n_outputs,)
        The target standardization: the network learns :math:`(y - \mu) / \sigma` and
        :meth:`predict` returns :math:`\mu + \sigma \hat z` (see Notes).
    network_ : RegressorNN
        The trained network, on standardized targets (its ``predict`` takes ``(n_features, m)``
        input and returns standardized values).
    loss_curve_ : list of float
        Training loss of every epoch since the network was created, on the standardized targets
        (``fit`` with ``warm_start`` and :meth:`partial_fit` append to it).
    n_iter_ : int
        Epochs trained since the network was created, ``len(loss_curve_)``.
    validation_scores_ : list of float or None
        Validation :math:`R^2` after each epoch of the last :meth:`fit`, when it had a validation
        set (``early_stopping`` or ``validation_data``); on early stopping's held-out split it is
        weighted by ``sample_weight``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    validation_loss_curve_ : list of float or None
        Validation loss (no L2 term, no dropout, standardized targets) after each epoch of the
        last :meth:`fit`, when it had a validation set.

    Notes
    -----
    **Target scaling.** A network learns fastest when its targets are of order 1, whatever their
    unit, so the estimator standardizes them inside: the first :meth:`fit` (or the first
    :meth:`partial_fit` call) computes each target's mean :math:`\mu` and standard deviation
    :math:`\sigma` (weighted by ``sample_weight`` when given), the network is trained on
    :math:`z = (y - \mu)/\sigma`, and :meth:`predict` returns :math:`\mu + \sigma \hat z` in the
    units of ``y``. Scaling ``y`` by 1000 therefore scales the predictions by 1000 and leaves the
    training itself unchanged. Later :meth:`partial_fit` calls and ``warm_start`` fits keep the
    first statistics (the network was trained on them); a fit without ``warm_start`` computes
    them again. A target whose :math:`\sigma` is at most :math:`10\,\epsilon \max(1, |\mu|)`
    (:math:`\epsilon = 2^{-52}`, float64's machine epsilon), constant up to rounding, gets
    :math:`\sigma = 1`: it is only centred. The losses (``loss_curve_``, ``huber_delta``, ``tol``
    on the training loss) are in standardized units; :math:`R^2` is the same in both.

    ``sample_weight`` multiplies each example's loss. The weights are rescaled to average 1 over
    the training rows, so they change the examples' relative importance but not the effective
    learning rate, and integer weights train like repeated rows.

    A 1-D ``y`` gives 1-D predictions; a 2-D ``y`` (even of one column) gives predictions of
    shape ``(n_samples, n_outputs_)``, all outputs learned by one network.

    The defaults are :class:`sklearn.neural_network.MLPRegressor`'s, so that the estimator drops
    into code written for it.
    """

    _SCORE_KEY = "val_r2"
    _NUMERIC_TARGETS = True

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", loss="squared_error",
                 huber_delta=1.0, optimizer="adam", learning_rate=0.001, batch_size="auto",
                 max_epochs=200, l2=0.0, dropout=0.0, batch_norm=False, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, random_state=None,
                 verbose=False, warm_start=False, lr_schedule=None, clipnorm=None,
                 weight_decay=None, callbacks=None, n_threads=None, beta1=0.9, beta2=0.999,
                 epsilon=1e-8):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.huber_delta = huber_delta
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
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.lr_schedule = lr_schedule
        self.clipnorm = clipnorm
        self.weight_decay = weight_decay
        self.callbacks = callbacks
        self.n_threads = n_threads
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

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
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Finite target values.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each example's loss (and in the target standardization).
        validation_data : tuple (X_val, y_val), optional
            A validation set (``X_val`` may be sparse): its :math:`R^2` is recorded after every
            epoch (``validation_scores_``) and, with ``early_stopping=True``, used for early
            stopping instead of a split of ``X``.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, validation_data, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing the optimizer of earlier calls.

        The first call fixes the target standardization (see the class Notes): pass a first
        chunk that represents the targets' range.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weight of each example's loss; rescaled to average 1 over this call's
            rows.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, None, incremental=True)

    def predict(self, X):
        """Predicted values: shape (n_samples,) for a 1-D ``y``, else (n_samples, ``n_outputs_``).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            A sparse ``X`` is densified in chunks of rows, never whole.

        Returns
        -------
        ndarray of float64
        """
        check_is_fitted(self)
        X = self._network_input(X)
        Z = outputs_by_rows(X, self.network_.predict).astype(np.float64)
        y = Z * self.y_scale_ + self.y_mean_
        return y[:, 0] if self._vector_target else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    # ------------------------------------------------------------------ checks
    def _check_target_parameters(self):
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")
        check_float(self.huber_delta, "huber_delta", low=0.0, low_open=True)

    # ------------------------------------------------------------------ targets
    def _prepare_targets(self, y, sample_weight, X, first, incremental, classes):
        if hasattr(y, "toarray"):  # a sparse y (check_X_y lets CSR through): n_outputs columns
            y = y.toarray()
        if y.dtype.kind not in "biuf":
            raise ValueError(f"y must hold numbers (a regressor's targets), got dtype {y.dtype}")
        y = _no_missing(y.astype(np.float64, copy=False), "y")
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                           ensure_non_negative=True)
        if first:
            self.y_mean_, self.y_scale_ = standardization(y2, weights)
            self.n_outputs_, self._vector_target = y2.shape[1], y.ndim == 1
        elif y2.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y2.shape[1]} outputs (columns) but the network was fitted "
                             f"on {self.n_outputs_}")
        return self._standardized(y2), None, weights

    def _standardized(self, y2):
        """The engine's targets: ``(y - y_mean_) / y_scale_``, shape (n_outputs_, n_samples)."""
        with np.errstate(over="ignore"):
            Y = ((y2 - self.y_mean_) / self.y_scale_).T
        if not np.all(np.isfinite(Y)):
            raise ValueError("y holds values too large for the target standardization "
                             "fitted on the first data (their standardized values overflow)")
        return Y

    def _encode_validation(self, y_val):
        # As fit takes y: numbers, booleans, or objects that convert to finite floats; text and
        # bytes are refused even when they read as numbers.
        if y_val.dtype.kind not in "biufO":
            raise ValueError(f"validation_data: y_val must hold numbers (a regressor's targets), "
                             f"got dtype {y_val.dtype}")
        try:
            y_val = check_array(y_val, ensure_2d=False, dtype=np.float64, input_name="y_val")
        except (TypeError, ValueError) as exc:
            raise naming(exc, "validation_data") from exc
        y2 = y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val
        if y2.ndim != 2 or y2.shape[1] != self.n_outputs_:
            raise ValueError(f"validation_data: y_val must have {self.n_outputs_} output(s), got "
                             f"shape {y_val.shape}")
        return self._standardized(y2), None

    # ------------------------------------------------------------------ network
    def _new_network(self, settings, n_features, dtype, seed):
        sizes, activation = settings["sizes"], settings["activation"]
        network = RegressorNN(
            [n_features, *sizes, self.n_outputs_], [activation] * len(sizes) + ["linear"],
            "xavier", batch_norm=bool(self.batch_norm), seed=seed, dtype=dtype,
        )
        init_like_mlp_classifier(network, activation)
        return network

    def _onnx_outputs(self):
        return regression_outputs(self.y_mean_, self.y_scale_)

    def _loss(self):
        return LOSSES[self.loss](self)

    def _score_rows(self, rows):
        """(Weighted) :math:`R^2` on ``rows`` (a ``Rows``), averaged over the outputs."""
        return weighted_r2(rows.dense_blocks(), self.network_.predict)
