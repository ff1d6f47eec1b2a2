r"""Gradient checking: backpropagation against central differences over the flat parameter vector.

For every parameter :math:`\theta_i`,

.. math:: \frac{\partial J}{\partial\theta_i} \approx
          \frac{J(\theta + \varepsilon e_i) - J(\theta - \varepsilon e_i)}{2\varepsilon}

whose error is :math:`O(\varepsilon^2)`. Backpropagation is correct when the two gradient vectors
agree, measured by the relative difference

.. math:: \frac{\lVert g - g_{approx}\rVert_2}{\lVert g\rVert_2 + \lVert g_{approx}\rVert_2}

which is around 1e-9 or below in float64 for a correct implementation, and ~1e-2 or worse for a
wrong formula. The check runs in float64 on a copy of the parameters, whatever the model's dtype.

Dropout draws random masks, which would make :math:`J` a different function at every evaluation,
so the masks are drawn once and frozen. Batch normalization is checked in training mode (batch
statistics), the mode in which its gradients are used.
"""

import numpy as np

from .layers import dropout_mask
from .parameters import views
from .validation import check_bool, check_float, check_keep_prob, check_X

__all__ = ["gradient_check", "numerical_gradient", "relative_difference"]


def numerical_gradient(cost, theta, epsilon=1e-7):
    """Central-difference gradient of ``cost()`` with respect to the 1-D array ``theta``.

    ``theta`` is perturbed in place, one entry at a time, and restored exactly afterwards.

    Parameters
    ----------
    cost : callable
        Takes no argument and returns the cost for the current contents of ``theta``.
    theta : ndarray of shape (n,)
    epsilon : float

    Returns
    -------
    ndarray of shape (n,)
    """
    approx = np.empty_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + epsilon
        cost_plus = cost()
        theta[i] = saved - epsilon
        cost_minus = cost()
        theta[i] = saved
        approx[i] = (cost_plus - cost_minus) / (2 * epsilon)
    return approx


def relative_difference(grad, approx):
    """``||grad - approx|| / (||grad|| + ||approx||)``, and 0.0 when both are zero."""
    denominator = np.linalg.norm(grad) + np.linalg.norm(approx)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(grad - approx) / denominator)


def gradient_check(model, X, Y, loss="BinaryCrossEntropy", lambd=0, keep_prob=None, epsilon=1e-7,
                   return_details=False, sample_weight=None, label_smoothing=0.0, *, l1=0.0):
    """Check ``model``'s backpropagation on ``(X, Y)`` against central differences.

    Parameters
    ----------
    model : ClassifierNN
    X : array of shape (n_features, m)
        A few examples suffice: the check costs two forward passes per parameter.
    Y : array
        Labels in the loss's format.
    loss : str, default 'BinaryCrossEntropy'
    lambd : float, default 0
        L2 strength.
    keep_prob : sequence of float, optional
        Dropout keep probabilities; the masks are drawn once (from a fixed local generator, so
        the model's own generator is not advanced) and frozen.
    epsilon : float, default 1e-7
        Step of the central differences.
    return_details : bool, default False
        Also return the relative difference of each named parameter.
    sample_weight : array of shape (m,), optional
        Per-example weights of the cost, as in ``train``.
    label_smoothing : float in [0, 1), default 0
        Smoothed targets, as in ``train``.
    l1 : float, default 0
        L1 strength (its subgradient, 0 at a weight of exactly 0, is what is checked).

    Returns
    -------
    float, or (float, dict of str to float)
        The relative difference over all parameters (and, with ``return_details``, per parameter).
    """
    X = check_X(X, model.n_features).astype(np.float64)
    lambd = check_float(lambd, "lambd", low=0.0)
    keep_prob = check_keep_prob(keep_prob, model.num_layers - 1)
    epsilon = check_float(epsilon, "epsilon", low=0.0, low_open=True)
    return_details = check_bool(return_details, "return_details")

    theta = model.theta.astype(np.float64)  # a copy: the model is never perturbed
    masks = None
    if keep_prob is not None:
        rng = np.random.default_rng(0)
        layer_sizes = [X.shape[0]] + model.layer_dims[1:-1]
        masks = {
            l: dropout_mask((layer_sizes[l], X.shape[1]), p, rng, theta.dtype)
            for l, p in enumerate(keep_prob)
            if p < 1.0
        }
    objective = model.objective(X, Y, loss, lambd, sample_weight, masks, label_smoothing,
                                l1=l1)
    _, grad = objective(theta)
    approx = numerical_gradient(lambda: objective.cost(theta), theta, epsilon)
    difference = relative_difference(grad, approx)
    if not return_details:
        return difference
    shapes = model.parameter_shapes
    grads, approx_views = views(grad, shapes), views(approx, shapes)
    details = {name: relative_difference(grads[name], approx_views[name]) for name in shapes}
    return difference, details
