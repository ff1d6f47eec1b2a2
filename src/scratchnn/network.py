r"""``ClassifierNN``: the classifier. Probabilities out, labels predicted, accuracy scored.

Everything a network computes (parameters, forward, cost, backward, the training loop's entry,
saving, the gradient check) is the engine it shares with :class:`~scratchnn.RegressorNN`,
:class:`scratchnn.model.NeuralNetwork`; this module adds what only a classifier has: its output
rule (sigmoid or softmax), the cross-entropy losses (:mod:`scratchnn.losses`),
:meth:`~ClassifierNN.predict_proba`, :meth:`~ClassifierNN.predict` and
:meth:`~ClassifierNN.accuracy`.

The class keeps the seed README's public walk-through (``initialize_parameters``,
``forward_propagation``, ``compute_cost``, ``backward_propagation``, ``random_mini_batches``,
``train``, ``predict``, ``accuracy``), so each formula there maps to a method.
"""

import numpy as np

from . import activations as _activations
from . import io as _io
from . import losses as _losses
from .model import PREDICT_CHUNK, NeuralNetwork  # noqa: F401 (PREDICT_CHUNK: see below)

# PREDICT_CHUNK and these stay importable from here, as before the engine moved to scratchnn.model,
# scratchnn.objective and scratchnn.workspace; __all__ lists only what this module defines, so the
# API reference documents each class once.
from .objective import Objective  # noqa: F401
from .training import DivergenceError  # noqa: F401
from .workspace import ForwardCache, LayerBuffers, LayerCache, Workspace  # noqa: F401

__all__ = ["ClassifierNN"]


def _check_probabilities(A, n_outputs):
    """``A`` checked as output probabilities of shape ``(n_outputs, m)`` (for ``compute_cost``)."""
    A = np.asarray(A)
    if A.ndim != 2 or A.shape[0] != n_outputs or A.shape[1] == 0:
        raise ValueError(f"A must have shape ({n_outputs}, m) with m >= 1, got {A.shape}")
    if A.dtype.kind != "f":
        raise TypeError(f"A must be a float array of probabilities, got dtype {A.dtype}")
    if not np.all(np.isfinite(A)) or A.min() < 0 or A.max() > 1:
        raise ValueError("A must hold probabilities in [0, 1]")
    return A



def _hard_labels(model, Y, m):
    """``accuracy``'s labels checked (as ``train`` checks them) and made a row of class indices
    (or 0/1 for one sigmoid output)."""
    Y = np.asarray(Y)
    if Y.dtype.kind not in "biuf":
        raise TypeError(f"Y must hold numeric labels, got dtype {Y.dtype}")
    if Y.ndim == 1:
        Y = Y.reshape(1, -1)
    if Y.ndim != 2 or Y.shape[1] != m:
        raise ValueError(
            f"Y must be a label row of shape (1, {m}) or one-hot of shape "
            f"({model.n_outputs}, {m}), got {Y.shape}"
        )
    if not np.all(np.isfinite(Y)):
        raise ValueError("Y contains NaN or infinite values")
    if Y.shape[0] != 1:
        if Y.shape[0] != model.n_outputs or not (
            np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1)
        ):
            raise ValueError(
                f"Y must be a label row of shape (1, m) or one-hot of shape "
                f"({model.n_outputs}, m), got shape {Y.shape}"
            )
        Y = np.argmax(Y, axis=0).reshape(1, -1)
    elif model.n_outputs > 1:  # class indices, checked as for training
        model.check_labels(Y, _losses.SparseCategoricalCrossEntropy, m, np.float64)
    elif not np.all((Y == 0) | (Y == 1)):
        raise ValueError(f"Y must hold the labels 0 and 1 for a single sigmoid output, got "
                         f"values in [{Y.min():g}, {Y.max():g}]")
    return Y



class ClassifierNN(NeuralNetwork):
    r"""A fully connected neural-network classifier trained by backpropagation.

    Parameters
    ----------
    layer_dims : sequence of int, length L + 1
        ``[n_features, n_1, ..., n_L]``: the input size, then the units of each layer. The last
        entry is the number of outputs.
    activations : sequence of str, length L
        One activation per layer: ``'sigmoid'``, ``'relu'``, ``'tanh'``, ``'softmax'``,
        ``'leaky_relu'`` or ``'linear'`` for hidden layers. The output layer must be
        ``'sigmoid'`` (binary, or independent yes/no outputs) or ``'softmax'`` (one class out
        of ``n_L >= 2``).
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
    """


    task = "classification"
    default_loss = "BinaryCrossEntropy"

    @classmethod
    def check_output_activation(cls, names, layer_dims):
        """A classifier's output must be probabilities: sigmoid units or a softmax of 2 or more."""
        if names[-1] not in _activations.OUTPUT_ACTIVATIONS:
            raise ValueError(
                f"the output activation must be one of {list(_activations.OUTPUT_ACTIVATIONS)} "
                f"for a classifier, got {names[-1]!r}" + (
                    "; for continuous targets use RegressorNN" if names[-1] == "linear" else "")
            )
        if names[-1] == "softmax" and layer_dims[-1] < 2:
            raise ValueError(
                "a softmax output needs at least 2 units (layer_dims[-1] >= 2); for two classes "
                "use one sigmoid unit or a softmax of 2"
            )

    def check_output_values(self, A):
        """``A`` checked as output probabilities of shape ``(n_outputs, m)``."""
        return _check_probabilities(A, self.n_outputs)

    # ------------------------------------------------------------------ inference
    def predict_proba(self, X):
        """Output activations for ``X``: an array of shape ``(n_L, m)``.

        For a softmax output each column is a probability distribution over the classes; for
        sigmoid outputs each entry is the probability of a 1. No dropout, and batch normalization
        uses its running statistics. Large inputs are processed in chunks of
        ``PREDICT_CHUNK`` examples, so memory stays bounded whatever ``m`` is
        (:meth:`~scratchnn.model.NeuralNetwork.predict_output`).
        """
        return self.predict_output(X)

    def predict(self, X):
        """Predicted labels, an integer array of shape ``(1, m)``.

        A single sigmoid output gives 0/1 (``A > 0.5``); otherwise the index of the largest
        output (the argmax class). (The seed thresholded every output at 0.5, which is wrong for
        softmax.)
        """
        A = self.predict_proba(X)
        if self.n_outputs == 1:
            return (A > 0.5).astype(np.int64)
        return np.argmax(A, axis=0).reshape(1, -1).astype(np.int64)

    def accuracy(self, X, Y):
        """Fraction of examples of ``X`` whose predicted label equals the label in ``Y``.

        Parameters
        ----------
        X : array of shape (n_features, m)
        Y : array
            Labels as a row ``(1, m)`` (or ``(m,)``): 0/1 for one sigmoid output, class indices
            ``0 .. n_L - 1`` otherwise; or one-hot ``(n_L, m)`` for several outputs. They pass
            the same checks as in :meth:`train`.

        Returns
        -------
        float in [0, 1]
        """
        X = self._check_X(X)
        Y = _hard_labels(self, Y, X.shape[1])
        return float(np.mean(self.predict(X) == Y))


_io.register_model_class(ClassifierNN)
