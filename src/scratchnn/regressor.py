r"""``RegressorNN``: the regressor. Continuous targets, values predicted, :math:`R^2` scored.

Everything a network computes (parameters, forward, cost, backward, the training loop's entry,
saving, the gradient check) is the engine it shares with :class:`~scratchnn.ClassifierNN`,
:class:`scratchnn.model.NeuralNetwork`; this module adds what only a regressor has: a linear
output (:math:`A^{[L]} = Z^{[L]}`), the regression losses (:class:`~scratchnn.losses.MeanSquaredError`
by default, :class:`~scratchnn.losses.Huber`), :meth:`~RegressorNN.predict` returning values and
:meth:`~RegressorNN.score` returning :math:`R^2`.

With a linear output and half the squared error the output delta is :math:`(A - Y)/m`, the same
fused form as softmax with cross-entropy (:mod:`scratchnn.losses`), so backpropagation is the
classifier's from the output layer down. A non-linear output activation is refused: the losses'
fused deltas hold for the identity only.

Classification-only features are refused with a message saying so: ``label_smoothing`` (by
``train``), ``predict_proba`` and ``accuracy`` (use :meth:`~RegressorNN.predict` and
:meth:`~RegressorNN.score`), and a callback monitoring an accuracy.
"""

import numpy as np

from . import io as _io
from . import losses as _losses
from .metrics import r2_score
from .model import NeuralNetwork

__all__ = ["RegressorNN"]

_CLASSIFIER_ONLY = {
    "predict_proba": "a regressor predicts values, not probabilities: use predict",
    "accuracy": "a regressor is scored by R^2, not accuracy: use score",
}


class RegressorNN(NeuralNetwork):
    r"""A fully connected neural-network regressor trained by backpropagation.

    Parameters
    ----------
    layer_dims : sequence of int, length L + 1
        ``[n_features, n_1, ..., n_L]``: the input size, then the units of each layer. The last
        entry is the number of targets ``k`` predicted together.
    activations : sequence of str, length L
        One activation per layer: ``'sigmoid'``, ``'relu'``, ``'tanh'``, ``'softmax'``,
        ``'leaky_relu'`` or ``'linear'`` for hidden layers. The output layer must be
        ``'linear'`` (the identity: values on the whole real line).
    initialization_method : {'he', 'random', 'xavier', 'glorot_uniform'}, default 'he'
        How weights are drawn (:mod:`scratchnn.initializers`). Biases start at 0, batch-norm
        ``gamma`` at 1 and ``beta`` at 0.
    batch_norm : bool, default False
        Normalize the net input ``Z`` of every hidden layer over the mini-batch
        (:func:`scratchnn.layers.batchnorm_forward`).
    seed : int or None, default None
        Seed of the model's own ``numpy.random.Generator``, used for initialization, shuffling and
        dropout. The same seed gives bit-identical results; NumPy's global random state is never
        used.
    dtype : {None, 'float32', 'float64'}, default None
        Computation dtype. ``None`` computes in float32 when the training ``X`` is float32 and in
        float64 otherwise; parameters, gradients and optimizer state all use it.

    Attributes
    ----------
    parameters : dict of str to ndarray
        ``W{l}``, ``b{l}`` (or ``gamma{l}``, ``beta{l}``): views into the flat buffer ``theta``.
    theta, grad : ndarray of shape (n_parameters,)
        The flat parameter buffer and the flat gradient buffer the views share.
    bn_state : dict of str to ndarray
        ``running_mean{l}`` and ``running_var{l}`` of shape ``(n_l, 1)`` for batch-normalized
        layers (state used at inference, not trained by gradients).
    optimizer : Optimizer or None
        The optimizer of the last ``train`` call, with its moments and step count.
    costs : list of float
        The per-epoch costs of the latest ``train`` call (or loaded checkpoint), kept up to date
        while it runs, so they survive an interruption.

    Notes
    -----
    ``train(X, Y)`` takes targets ``Y`` of shape ``(k, m)`` (``(m,)`` for one target) and
    minimizes, by default, :math:`J = \frac{1}{2m}\sum_i\sum_k (A_{ki} - Y_{ki})^2` plus the L2
    term (:class:`~scratchnn.losses.MeanSquaredError`); ``loss='Huber'`` or
    ``loss=Huber(delta=...)`` trains with the Huber loss. The network learns fastest when the
    targets are of order 1: standardize them (and invert on prediction) when they are not.

    Examples
    --------
    >>> import numpy as np
    >>> from scratchnn import RegressorNN
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(2, 200))
    >>> Y = np.sin(3 * X[:1]) + X[1:] ** 2
    >>> nn = RegressorNN([2, 16, 1], ["tanh", "linear"], seed=0)
    >>> _ = nn.train(X, Y, optimizer="adam", num_epochs=300, batch_size=32, print_cost=False)
    >>> nn.predict(X).shape
    (1, 200)
    >>> nn.score(X, Y) > 0.9
    True
    """

    task = "regression"
    default_loss = "MeanSquaredError"

    @classmethod
    def check_output_activation(cls, names, layer_dims):
        """A regressor's output must be ``'linear'``: the regression losses' fused delta
        :math:`(A - Y)/m` (or its clipped Huber form) holds for the identity only."""
        if names[-1] != "linear":
            raise ValueError(
                f"the output activation must be 'linear' for a regressor (its losses' output "
                f"delta holds for the identity only), got {names[-1]!r}"
                + ("; for classes use ClassifierNN" if names[-1] in ("sigmoid", "softmax")
                   else "")
            )

    def check_output_values(self, A):
        """``A`` checked as output values: finite floats of shape ``(n_outputs, m)``."""
        A = np.asarray(A)
        if A.ndim != 2 or A.shape[0] != self.n_outputs or A.shape[1] == 0:
            raise ValueError(f"A must have shape ({self.n_outputs}, m) with m >= 1, got "
                             f"{A.shape}")
        if A.dtype.kind != "f":
            raise TypeError(f"A must be floats, got dtype {A.dtype}")
        if not np.all(np.isfinite(A)):
            raise ValueError("A contains NaN or infinite values")
        return A

    # ------------------------------------------------------------------ inference
    def predict(self, X):
        """Predicted values, a float array of shape ``(k, m)`` in the model's dtype.

        The output layer's activations (:meth:`~scratchnn.model.NeuralNetwork.predict_output`):
        no dropout, batch normalization with its running statistics, in chunks of
        ``PREDICT_CHUNK`` examples.
        """
        return self.predict_output(X)

    def score(self, X, Y):
        r"""The coefficient of determination :math:`R^2` of :meth:`predict` on ``X`` against ``Y``.

        .. math:: R^2 = \frac1k\sum_{k} \left(1 - \frac{\sum_i (Y_{ki} - \hat Y_{ki})^2}
                  {\sum_i (Y_{ki} - \bar Y_k)^2}\right)

        averaged over the outputs, as scikit-learn's ``r2_score`` (and a constant target counts
        1 if predicted exactly, 0 otherwise); see :func:`scratchnn.metrics.r2_score`.

        Parameters
        ----------
        X : array of shape (n_features, m)
        Y : array of shape (k, m), or (m,) for one output
            Finite target values, checked as in :meth:`train`.

        Returns
        -------
        float
            At most 1: 1 for perfect predictions, 0 for predicting each target's mean.
        """
        X = self._check_X(X)
        Y = self.check_labels(Y, _losses.MeanSquaredError, X.shape[1], np.float64)
        return r2_score(Y, self.predict(X))

    def __getattr__(self, name):
        # Only reached for names the model does not have: the classifier's say why.
        if name in _CLASSIFIER_ONLY:
            raise AttributeError(f"RegressorNN has no {name}: {_CLASSIFIER_ONLY[name]}")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


_io.register_model_class(RegressorNN)
