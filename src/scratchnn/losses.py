r"""Losses: the cost, the label (target) check, and the fused output delta.

The cross-entropies train a classifier (:class:`~scratchnn.ClassifierNN`), the squared error and
Huber a regressor (:class:`~scratchnn.RegressorNN`); each loss names its ``task``. Each loss is a
class (Huber, which has a parameter, an instance) with

``check_labels(Y, n_outputs)``
    validate ``Y`` against the output layer and return it as a float (or, for sparse labels, an
    integer) array of shape ``(n_outputs, m)`` or ``(1, m)``;
``cost(A, Y, Z=None, weights=None)``
    the mean loss over the ``m`` examples (the columns); with ``weights`` (shape ``(1, m)``), the
    mean of the weighted losses :math:`\frac1m\sum_j w_j \mathcal L_j`, as Keras weighs samples. With the output layer's pre-activation
    ``Z`` the cost is evaluated from these logits (log-sum-exp form), exact even where ``A``
    rounds to 0 or 1; from ``A`` alone the probabilities are clipped into ``[tiny, 1 - eps]`` so
    ``log`` never sees 0;
``delta(A, Y, out=None, weights=None)``
    ``dZ = dJ/dZ`` of the output layer: the loss's derivative chained with the output activation's
    (written into ``out`` when given); each example's column is multiplied by its weight.

Why the delta is fused
----------------------
For sigmoid outputs with binary cross-entropy,

.. math:: \frac{\partial J}{\partial A} = -\frac{1}{m}\left(\frac{Y}{A} - \frac{1-Y}{1-A}\right),
          \qquad \frac{\partial A}{\partial Z} = A(1-A)
          \quad\Longrightarrow\quad \frac{\partial J}{\partial Z} = \frac{A - Y}{m}.

For softmax outputs with categorical cross-entropy :math:`J = -\frac1m\sum Y\log A`, chaining
:math:`\partial J/\partial A = -Y/(mA)` through the softmax Jacobian
:math:`\partial A_i/\partial Z_j = A_i(\delta_{ij} - A_j)` gives, because each column of ``Y`` sums
to one,

.. math:: \frac{\partial J}{\partial Z} = \frac{A - Y}{m}.

Computing ``A - Y`` directly avoids dividing by probabilities that may be 0 and is cheaper. The
pairing is therefore part of each loss: binary cross-entropy needs sigmoid outputs, the categorical
losses need a softmax output (``output_activation``).

For a linear output (:math:`A = Z`) with half the squared error
:math:`J = \frac{1}{2m}\sum (A - Y)^2`, :math:`\partial J/\partial A = (A - Y)/m` and
:math:`\partial A/\partial Z = 1`: the same :math:`(A - Y)/m` once more, with no cancellation
needed. Huber's delta is that one with :math:`A - Y` clipped to :math:`[-\delta, \delta]`. The
regression losses therefore need a ``'linear'`` output; any other output activation is refused
(:meth:`scratchnn.model.NeuralNetwork.check_loss`).
"""

import numpy as np

from .validation import check_float, lookup

__all__ = ["LOSSES", "BinaryCrossEntropy", "CategoricalCrossEntropy",
           "SparseCategoricalCrossEntropy", "MeanSquaredError", "Huber", "get", "fused_delta",
           "smooth_labels", "smoothed_loss"]


def _clip_probabilities(A):
    """Clip probabilities into ``[tiny, 1 - eps/2]`` of their dtype so both logs stay finite."""
    info = np.finfo(A.dtype)
    return np.clip(A, info.tiny, 1.0 - info.epsneg)


def _logsumexp(Z):
    """``log(sum(exp(Z), axis=0))`` per column, shifted by the column maximum so it cannot overflow."""
    Zmax = Z.max(axis=0)
    with np.errstate(over="ignore"):  # as in Softmax.forward: an -inf here gives exp = 0, exactly
        shifted = Z - Zmax
    return Zmax + np.log(np.exp(shifted).sum(axis=0))


def _mean(losses, weights):
    """Mean over the examples (last axis) of ``losses``; ``weights`` of shape (1, m) weigh them."""
    m = losses.shape[-1]
    # The array methods, not np.sum: the same sums without np.sum's Python dispatch (2 us a
    # call, a few per cent of a small network's step).
    if weights is None:
        return float(losses.sum()) / m
    return float((losses * weights.reshape(-1)).sum()) / m


def _weigh(dZ, weights):
    """Scale each example's column of ``dZ`` by its weight, in place."""
    if weights is not None:
        dZ *= weights
    return dZ


def fused_delta(A, Y, out=None, weights=None):
    r"""The output delta :math:`dZ = (A - Y)/m` of a sigmoid or softmax output with its cross-entropy.

    Shared by :class:`BinaryCrossEntropy` and :class:`CategoricalCrossEntropy` (see the module
    notes for why both come to the same formula); each example's column is then multiplied by its
    weight. Written into ``out`` when given.
    """
    dZ = np.subtract(A, Y, out=out)
    dZ /= A.shape[1]
    return _weigh(dZ, weights)


def _check_finite_numeric(Y):
    Y = np.asarray(Y)
    if Y.dtype.kind not in "biuf":
        raise TypeError(f"Y must hold numbers, got an array of dtype {Y.dtype}")
    if Y.dtype.kind == "f" and not np.all(np.isfinite(Y)):
        raise ValueError("Y contains NaN or infinite values")
    return Y


class BinaryCrossEntropy:
    r"""Binary cross-entropy over one or more independent sigmoid outputs.

    ``Y`` has shape ``(k, m)`` with values in [0, 1] (normally 0 or 1), one row per sigmoid unit.

    Notes
    -----
    .. math:: J = -\frac{1}{m}\sum_{i,j}\left(Y_{ij}\log A_{ij} + (1-Y_{ij})\log(1-A_{ij})\right)

    From the logits ``Z`` (``A = sigma(Z)``) the same value is
    :math:`\frac1m\sum \max(Z,0) - ZY + \log(1 + e^{-|Z|})`, which never takes the log of 0.
    """

    name = "BinaryCrossEntropy"
    output_activation = "sigmoid"
    task = "classification"

    @staticmethod
    def check_labels(Y, n_outputs):
        Y = _check_finite_numeric(Y)
        if Y.ndim == 1 and n_outputs == 1:
            Y = Y.reshape(1, -1)
        if Y.ndim != 2 or Y.shape[0] != n_outputs:
            raise ValueError(
                f"Y for BinaryCrossEntropy must have shape ({n_outputs}, m), one row per sigmoid "
                f"output, got shape {Y.shape}"
            )
        if Y.size and (Y.min() < 0 or Y.max() > 1):
            raise ValueError("Y for BinaryCrossEntropy must hold values in [0, 1] (labels 0 and 1)")
        return Y

    @staticmethod
    def cost(A, Y, Z=None, weights=None):
        if Z is not None:
            return _mean(np.maximum(Z, 0) - Z * Y + np.log1p(np.exp(-np.abs(Z))), weights)
        A = _clip_probabilities(A)
        return -_mean(Y * np.log(A) + (1 - Y) * np.log1p(-A), weights)

    @staticmethod
    def delta(A, Y, out=None, weights=None):
        r"""The output delta of sigmoid outputs with binary cross-entropy, fused.

        Parameters
        ----------
        A : ndarray of shape (k, m)
            The sigmoid outputs.
        Y : ndarray of shape (k, m)
            The labels, values in [0, 1].
        out : ndarray of shape (k, m), optional
            Where to write the result.
        weights : ndarray of shape (1, m), optional
            Each example's weight; its column of ``dZ`` is multiplied by it.

        Returns
        -------
        dZ : ndarray of shape (k, m)

        Notes
        -----
        The loss's derivative chained with the sigmoid's, :math:`\partial A/\partial Z = A(1-A)`:

        .. math:: dZ = \frac{\partial J}{\partial Z}
                  = -\frac{1}{m}\left(\frac{Y}{A} - \frac{1-Y}{1-A}\right) A(1-A)
                  = \frac{A - Y}{m}

        computed as :math:`(A - Y)/m` (:func:`fused_delta`), with no division by a probability.
        """
        return fused_delta(A, Y, out=out, weights=weights)


class CategoricalCrossEntropy:
    r"""Categorical cross-entropy over a softmax output, with one-hot labels.

    ``Y`` has shape ``(C, m)``: each column one-hot (more generally, a probability distribution).

    Notes
    -----
    .. math:: J = -\frac{1}{m}\sum_{j=1}^{m}\sum_{i=1}^{C} Y_{ij}\log A_{ij}

    From the logits, :math:`-\sum_i Y_{ij}\log A_{ij} = \operatorname{logsumexp}(Z_{:j})\sum_i Y_{ij}
    - \sum_i Y_{ij} Z_{ij}`.
    """

    name = "CategoricalCrossEntropy"
    output_activation = "softmax"
    task = "classification"

    @staticmethod
    def check_labels(Y, n_outputs):
        Y = _check_finite_numeric(Y)
        if Y.ndim != 2 or Y.shape[0] != n_outputs:
            raise ValueError(
                f"Y for CategoricalCrossEntropy must be one-hot of shape ({n_outputs}, m), got "
                f"shape {Y.shape}; for integer class labels use SparseCategoricalCrossEntropy"
            )
        if Y.size and (Y.min() < 0 or Y.max() > 1 or not np.allclose(Y.sum(axis=0), 1.0)):
            raise ValueError(
                "Y for CategoricalCrossEntropy must be one-hot: values in [0, 1], each column "
                "summing to 1"
            )
        return Y

    @staticmethod
    def cost(A, Y, Z=None, weights=None):
        if Z is not None:
            return _mean(_logsumexp(Z) * Y.sum(axis=0) - np.sum(Y * Z, axis=0), weights)
        return -_mean(np.sum(Y * np.log(_clip_probabilities(A)), axis=0), weights)

    @staticmethod
    def delta(A, Y, out=None, weights=None):
        r"""The output delta of a softmax output with categorical cross-entropy, fused.

        Parameters
        ----------
        A : ndarray of shape (C, m)
            The softmax output, one column per example.
        Y : ndarray of shape (C, m)
            The one-hot labels (each column sums to 1).
        out : ndarray of shape (C, m), optional
            Where to write the result.
        weights : ndarray of shape (1, m), optional
            Each example's weight; its column of ``dZ`` is multiplied by it.

        Returns
        -------
        dZ : ndarray of shape (C, m)

        Notes
        -----
        :math:`\partial J/\partial A = -Y/(mA)` chained through the softmax Jacobian
        :math:`\partial A_i/\partial Z_k = A_i(\delta_{ik} - A_k)`; because each column of ``Y``
        sums to 1,

        .. math:: dZ_k = \sum_i \left(-\frac{Y_i}{m A_i}\right) A_i (\delta_{ik} - A_k)
                  = -\frac{1}{m}\Big(Y_k - A_k \sum_i Y_i\Big) = \frac{A_k - Y_k}{m}

        computed as :math:`(A - Y)/m` (:func:`fused_delta`), with no division by a probability.
        """
        return fused_delta(A, Y, out=out, weights=weights)


class SparseCategoricalCrossEntropy:
    r"""Categorical cross-entropy over a softmax output, with integer class labels.

    ``Y`` has shape ``(1, m)`` (or ``(m,)``) and holds class indices ``0 .. C-1``.

    Notes
    -----
    .. math:: J = -\frac{1}{m}\sum_{j=1}^{m}\log A_{y_j, j}

    It equals :class:`CategoricalCrossEntropy` with the one-hot matrix of ``y``, but never builds
    that matrix: the delta is ``A`` with 1 subtracted at ``A[y_j, j]``, divided by ``m``.
    """

    name = "SparseCategoricalCrossEntropy"
    output_activation = "softmax"
    task = "classification"

    @staticmethod
    def check_labels(Y, n_outputs):
        Y = _check_finite_numeric(Y)
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        if Y.ndim != 2 or Y.shape[0] != 1:
            raise ValueError(
                "Y for SparseCategoricalCrossEntropy must be a row of class indices of shape "
                f"(1, m), got shape {Y.shape}; for one-hot labels use CategoricalCrossEntropy"
            )
        if Y.dtype.kind == "f" and not np.array_equal(Y, np.round(Y)):
            raise ValueError("Y for SparseCategoricalCrossEntropy must hold integer class indices")
        if Y.size and (Y.min() < 0 or Y.max() >= n_outputs):
            raise ValueError(
                f"Y for SparseCategoricalCrossEntropy must hold class indices in [0, {n_outputs - 1}]"
                f" for a softmax of {n_outputs} units, got values in [{Y.min()}, {Y.max()}]"
            )
        return Y.astype(np.intp)

    @staticmethod
    def cost(A, Y, Z=None, weights=None):
        y, columns = Y[0], np.arange(A.shape[1])
        if Z is not None:
            return _mean(_logsumexp(Z) - Z[y, columns], weights)
        return -_mean(np.log(_clip_probabilities(A[y, columns])), weights)

    @staticmethod
    def delta(A, Y, out=None, weights=None):
        r"""The output delta of a softmax output with integer labels, fused.

        Parameters
        ----------
        A : ndarray of shape (C, m)
            The softmax output, one column per example.
        Y : ndarray of shape (1, m)
            The class indices ``y_j`` in ``0 .. C-1`` (as :meth:`check_labels` returns them).
        out : ndarray of shape (C, m), optional
            Where to write the result.
        weights : ndarray of shape (1, m), optional
            Each example's weight; its column of ``dZ`` is multiplied by it.

        Returns
        -------
        dZ : ndarray of shape (C, m)

        Notes
        -----
        :meth:`CategoricalCrossEntropy.delta` with the one-hot matrix of ``y``, which is never
        built: 1 is subtracted where that matrix holds its 1,

        .. math:: dZ_{ij} = \frac{A_{ij} - [i = y_j]}{m}.
        """
        m = A.shape[1]
        if out is None:
            dZ = A.copy()
        else:
            dZ = out
            np.copyto(dZ, A)
        dZ[Y[0], np.arange(m)] -= 1.0
        dZ /= m
        return _weigh(dZ, weights)


def _check_targets(Y, n_outputs, loss_name):
    """Regression targets: finite numbers of shape ``(n_outputs, m)`` (a 1-D ``(m,)`` for one
    output), as floats."""
    Y = np.asarray(Y)
    if Y.dtype.kind not in "biuf":
        raise TypeError(f"Y for {loss_name} must hold numbers (continuous targets), got an array "
                        f"of dtype {Y.dtype}")
    if Y.ndim == 1 and n_outputs == 1:
        Y = Y.reshape(1, -1)
    if Y.ndim != 2 or Y.shape[0] != n_outputs:
        raise ValueError(
            f"Y for {loss_name} must have shape ({n_outputs}, m), one row per output (target), "
            f"got shape {Y.shape}"
        )
    if Y.dtype.kind == "f" and not np.all(np.isfinite(Y)):
        raise ValueError(f"Y for {loss_name} contains NaN or infinite values")
    return Y if Y.dtype.kind == "f" else Y.astype(np.float64)


class MeanSquaredError:
    r"""Half the squared error over one or more linear outputs: scikit-learn's ``squared_error``.

    ``Y`` has shape ``(k, m)``: one row per target, one column per example; any finite numbers.

    Notes
    -----
    .. math:: J = \frac{1}{2m}\sum_{i=1}^{m} w_i \sum_{k} \left(A_{ki} - Y_{ki}\right)^2

    (:math:`w_i = 1` without sample weights): half the mean over examples, summed over outputs:
    the cost whose gradient scikit-learn's ``MLPRegressor`` follows (its output delta is
    :math:`A - Y` for every output). The ``squared_loss`` it reports averages over the outputs
    as well, so with :math:`k` outputs it is :math:`J/k`; with one they agree. The half makes the
    derivative the plain residual; with one output :math:`J` is half of ``torch.nn.MSELoss()``.
    The L2 term is added by the model, as for every loss.
    """

    name = "MeanSquaredError"
    output_activation = "linear"
    task = "regression"

    @staticmethod
    def check_labels(Y, n_outputs):
        return _check_targets(Y, n_outputs, "MeanSquaredError")

    @staticmethod
    def cost(A, Y, Z=None, weights=None):
        residual = A - Y
        return 0.5 * _mean(residual * residual, weights)

    @staticmethod
    def delta(A, Y, out=None, weights=None):
        r"""The output delta of a linear output with half the squared error, fused.

        Parameters
        ----------
        A : ndarray of shape (k, m)
            The linear outputs (:math:`A = Z`).
        Y : ndarray of shape (k, m)
            The targets.
        out : ndarray of shape (k, m), optional
            Where to write the result.
        weights : ndarray of shape (1, m), optional
            Each example's weight; its column of ``dZ`` is multiplied by it.

        Returns
        -------
        dZ : ndarray of shape (k, m)

        Notes
        -----
        The loss's derivative, :math:`\partial J/\partial A = (A - Y)/m`, chained with the
        identity's, :math:`\partial A/\partial Z = 1`:

        .. math:: dZ = \frac{A - Y}{m}

        the same expression as sigmoid or softmax with cross-entropy (:func:`fused_delta`).
        """
        return fused_delta(A, Y, out=out, weights=weights)


class Huber:
    r"""The Huber loss over one or more linear outputs: quadratic near the target, linear beyond.

    Parameters
    ----------
    delta : float > 0, default 1.0
        Where the quadratic part ends: residuals larger than ``delta`` in magnitude count
        linearly, so that outliers pull less than with :class:`MeanSquaredError`.

    Attributes
    ----------
    threshold : float
        The ``delta`` given (the attribute ``delta`` is the output-delta method every loss has).

    Notes
    -----
    Per output and example, with the residual :math:`r = A_{ki} - Y_{ki}`,

    .. math:: h_\delta(r) = \begin{cases} \frac12 r^2 & |r| < \delta \\
              \delta\left(|r| - \frac12\delta\right) & |r| \ge \delta \end{cases}
              \qquad J = \frac1m \sum_{i=1}^{m} w_i \sum_k h_\delta(r_{ki})

    :math:`h_\delta` is ``torch.nn.HuberLoss(delta=delta, reduction='none')``; it is averaged over
    the examples and summed over the outputs as :class:`MeanSquaredError` (so with one output
    :math:`J` is ``torch.nn.HuberLoss(delta=delta)``, and for every :math:`|r| < \delta` it equals
    the squared error's). Both branches give :math:`\delta^2/2` at :math:`|r| = \delta`, and their
    slopes, :math:`r` and :math:`\delta\,\mathrm{sign}(r)`, agree there: :math:`h_\delta` is
    continuously differentiable.
    """

    name = "Huber"
    output_activation = "linear"
    task = "regression"

    def __init__(self, delta=1.0):
        self.threshold = check_float(delta, "delta", low=0.0, low_open=True)

    def __repr__(self):
        return f"Huber(delta={self.threshold!r})"

    def __eq__(self, other):
        return type(other) is Huber and other.threshold == self.threshold

    def __hash__(self):
        return hash((Huber, self.threshold))

    @staticmethod
    def check_labels(Y, n_outputs):
        return _check_targets(Y, n_outputs, "Huber")

    def cost(self, A, Y, Z=None, weights=None):
        delta = self.threshold
        size = np.abs(A - Y)
        inner = np.minimum(size, delta)
        # 0.5 q^2 + delta (|r| - q) with q = min(|r|, delta): 0.5 r^2 below delta and
        # delta (|r| - delta / 2) from it on, with no branch per element.
        return _mean(0.5 * inner * inner + delta * (size - inner), weights)

    def delta(self, A, Y, out=None, weights=None):
        r"""The output delta of a linear output with the Huber loss, fused.

        Parameters
        ----------
        A : ndarray of shape (k, m)
            The linear outputs (:math:`A = Z`).
        Y : ndarray of shape (k, m)
            The targets.
        out : ndarray of shape (k, m), optional
            Where to write the result.
        weights : ndarray of shape (1, m), optional
            Each example's weight; its column of ``dZ`` is multiplied by it.

        Returns
        -------
        dZ : ndarray of shape (k, m)

        Notes
        -----
        :math:`h_\delta'(r)` is :math:`r` inside :math:`[-\delta, \delta]` and
        :math:`\delta\,\mathrm{sign}(r)` outside: the residual clipped to that interval.
        Chained with the identity,

        .. math:: dZ = \frac{\operatorname{clip}(A - Y, -\delta, \delta)}{m}

        the squared error's :math:`(A - Y)/m` with each residual clipped.
        """
        m = A.shape[1]
        dZ = np.subtract(A, Y, out=out)
        np.clip(dZ, -self.threshold, self.threshold, out=dZ)
        dZ /= m
        return _weigh(dZ, weights)


LOSSES = {
    cls.name: cls
    for cls in (BinaryCrossEntropy, CategoricalCrossEntropy, SparseCategoricalCrossEntropy,
                MeanSquaredError, Huber)
}
"""All losses by name."""

_ALIASES = {
    # The seed README's spelling, kept so its examples run unchanged.
    "SpareCategoricalCrossEntropy": SparseCategoricalCrossEntropy,
}


def smooth_labels(loss, Y, epsilon, n_outputs):
    r"""Label smoothing: the targets ``loss`` trains toward, and the loss class that takes them.

    For the categorical losses (one-hot or class-index labels over :math:`C` classes) each target
    distribution moves a fraction :math:`\varepsilon` of its mass to the uniform one,

    .. math:: y' = (1 - \varepsilon)\, y + \frac{\varepsilon}{C},

    exactly as ``torch.nn.CrossEntropyLoss(label_smoothing=epsilon)``; for binary cross-entropy
    each 0/1 target becomes :math:`y(1 - \varepsilon) + \varepsilon / 2`, as Keras's
    ``BinaryCrossentropy(label_smoothing=epsilon)``. The fused delta :math:`A - y'` and the cost
    from the logits hold unchanged for such soft targets (each column still sums to 1), so
    smoothing is only this change of targets. Sparse labels become the smoothed one-hot matrix,
    trained with :class:`CategoricalCrossEntropy`.

    Parameters
    ----------
    loss : loss class
    Y : ndarray
        Labels already checked by ``loss.check_labels``.
    epsilon : float in [0, 1)
    n_outputs : int

    Returns
    -------
    loss : loss class
    Y : ndarray of floats

    Raises
    ------
    ValueError
        For ``epsilon > 0`` with a regression loss: smoothing is defined for classes only.
    """
    if not epsilon:
        return loss, Y
    if loss.task != "classification":
        raise ValueError(f"label_smoothing applies to classification losses only; {loss.name} "
                         f"trains on continuous targets (leave label_smoothing at 0)")
    if loss is SparseCategoricalCrossEntropy:
        one_hot = np.zeros((n_outputs, Y.shape[1]))
        one_hot[Y[0], np.arange(Y.shape[1])] = 1.0
        Y = one_hot
    loss = smoothed_loss(loss, epsilon)
    if loss is CategoricalCrossEntropy:
        return loss, (1.0 - epsilon) * Y + epsilon / n_outputs
    return loss, Y * (1.0 - epsilon) + epsilon / 2


def smoothed_loss(loss, epsilon):
    """The loss class that trains on :func:`smooth_labels`'s targets: the categorical one for
    sparse labels (they become a smoothed one-hot matrix), ``loss`` itself otherwise."""
    if epsilon and loss is SparseCategoricalCrossEntropy:
        return CategoricalCrossEntropy
    return loss


def get(identifier):
    """Return the loss registered under ``identifier`` (a name or alias, case-insensitive, or the
    class itself); see :func:`scratchnn.validation.lookup` for the errors.

    A loss with parameters comes back as an instance: ``"Huber"`` (or the class :class:`Huber`)
    gives ``Huber()`` with ``delta=1.0``, and a ``Huber(delta=...)`` instance is returned as it is.
    """
    if isinstance(identifier, Huber):
        return identifier
    loss = lookup(LOSSES, identifier, "loss", aliases=_ALIASES)
    return loss() if loss is Huber else loss
