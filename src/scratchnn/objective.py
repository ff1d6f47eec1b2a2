"""The cost and flat gradient of a model on fixed data, as a function of flat parameters.

scikit-learn gives every solver one ``_loss_grad_lbfgs(packed, X, y, ...)``; here that function is
an :class:`Objective`, made by :meth:`scratchnn.model.NeuralNetwork.objective`, and used by the
gradient check, L-BFGS and the loss-surface plots. It sees the model only through its public
surface (``check_loss``, ``check_labels``, ``forward``, ``cost``, ``backward``).
"""

import numpy as np

from . import losses as _losses
from .parameters import allocate, views
from .validation import check_float, check_sample_weight, check_X

__all__ = ["Objective"]


class Objective:
    """The cost and flat gradient of one model on fixed data, as a function of flat parameters.

    Made by :meth:`scratchnn.model.NeuralNetwork.objective`; the data are checked once, so
    L-BFGS and the gradient check can call it many times cheaply.
    """

    def __init__(self, model, X, Y, loss, lambd, sample_weight, dropout_masks,
                 label_smoothing=0.0, *, l1=0.0):
        self.model = model
        self.loss = model.check_loss(loss)
        self.X = check_X(X, model.n_features)
        self.Y = model.check_labels(Y, self.loss, self.X.shape[1], np.float64)
        epsilon = check_float(label_smoothing, "label_smoothing", low=0.0, high=1.0,
                              high_open=True)
        self.loss, self.Y = _losses.smooth_labels(self.loss, self.Y, epsilon, model.n_outputs)
        self.lambd = check_float(lambd, "lambd", low=0.0)
        self.l1 = check_float(l1, "l1", low=0.0)
        self.weights = check_sample_weight(sample_weight, self.X.shape[1], np.float64)
        self.masks = dropout_masks or None
        self._converted = {}  # dtype -> (X, Y, weights) in it (see _data)
        if dropout_masks is not None:
            if not isinstance(dropout_masks, dict):
                raise TypeError("dropout_masks must be a dict of layer index to mask, or None")
            sizes = model.layer_dims[:-1]
            for l, D in dropout_masks.items():
                if l not in range(len(sizes)) or np.shape(D) != (sizes[l], self.X.shape[1]):
                    raise ValueError(f"dropout_masks[{l!r}] must be a layer index below "
                                     f"{len(sizes)} with a mask of shape (n_l, m)")

    def _parameters(self, theta):
        theta = np.asarray(theta)
        if theta.shape != (self.model.n_parameters,):
            raise ValueError(f"theta must have shape ({self.model.n_parameters},), got "
                             f"{theta.shape}")
        if theta.dtype not in (np.float32, np.float64):
            theta = theta.astype(np.float64)
        return theta, views(theta, self.model.parameter_shapes)

    def _data(self, dtype):
        """``(X, Y, weights)`` in ``dtype``, converted once per dtype: L-BFGS calls a float32
        model's objective at float64 parameters every iteration."""
        data = self._converted.get(dtype)
        if data is None:
            Y = self.Y if self.Y.dtype.kind == "i" else self.Y.astype(dtype, copy=False)
            weights = None if self.weights is None else self.weights.astype(dtype, copy=False)
            data = self._converted[dtype] = (self.X.astype(dtype, copy=False), Y, weights)
        return data

    def _forward(self, theta):
        theta, parameters = self._parameters(theta)
        X, Y, weights = self._data(theta.dtype)
        A, caches = self.model.forward(X, parameters, training=True, masks=self.masks)
        cost = self.model.cost(A, Y, self.loss, self.lambd, parameters,
                               Z=caches.layers[-1].Z, weights=weights, l1=self.l1)
        return theta, A, Y, caches, weights, cost

    def cost(self, theta):
        """The cost at ``theta``."""
        return self._forward(theta)[-1]

    def __call__(self, theta):
        theta, A, Y, caches, weights, cost = self._forward(theta)
        grad, grads = allocate(self.model.parameter_shapes, theta.dtype, prefix="d")
        self.model.backward(A, Y, caches, self.loss, self.lambd, grads, weights=weights,
                            l1=self.l1)
        return cost, grad
