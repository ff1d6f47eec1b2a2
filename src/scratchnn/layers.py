r"""The computations of one layer: dense, batch normalization and dropout, forward and backward.

These functions only compute. Backward functions write parameter gradients into the arrays they
are given (views of the flat gradient buffer) and return the gradient for the layer below; they
never update a weight, so the same code serves training and gradient checking.

Shapes follow the README: one example per column, ``A_prev`` is ``(n_{l-1}, m)``, ``W`` is
``(n_l, n_{l-1})``, ``Z`` and ``A`` are ``(n_l, m)``. The ``1/m`` of the mean cost is already
inside the ``dZ`` that reaches a layer (see :mod:`scratchnn.losses`), so no layer divides by ``m``.
"""

import numpy as np

__all__ = [
    "BN_EPSILON",
    "BN_MOMENTUM",
    "dense_forward",
    "dense_backward",
    "batchnorm_forward",
    "batchnorm_backward",
    "update_running_stats",
    "dropout_mask",
    "dropout_apply",
]

BN_EPSILON = 1e-5
"""Added to the variance before the square root in batch normalization."""

BN_MOMENTUM = 0.9
"""Running statistics follow ``running = 0.9 running + 0.1 batch``."""


def dense_forward(A_prev, W, b=None):
    r"""Net input of a dense layer.

    .. math:: Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}

    ``b`` is ``None`` for a batch-normalized layer, whose bias is replaced by ``beta``.
    """
    Z = W @ A_prev
    if b is not None:
        Z += b
    return Z


def dense_backward(dZ, A_prev, W, dW, db=None, need_dA_prev=True):
    r"""Gradients of a dense layer, written into ``dW`` (and ``db``).

    .. math:: dW^{[l]} = dZ^{[l]} A^{[l-1]T}, \qquad db^{[l]} = \sum_{j} dZ^{[l]}_{:,j},
              \qquad dA^{[l-1]} = W^{[l]T} dZ^{[l]}

    Returns ``dA_prev``, or ``None`` when ``need_dA_prev`` is false (the first layer: nothing
    below it learns, so the product would be wasted).
    """
    np.matmul(dZ, A_prev.T, out=dW)
    if db is not None:
        np.sum(dZ, axis=1, keepdims=True, out=db)
    return W.T @ dZ if need_dA_prev else None


def batchnorm_forward(Z, gamma, beta, running_mean, running_var, training):
    r"""Batch normalization of a hidden layer's net input, per unit (row).

    .. math:: \mu = \frac1m\sum_j Z_{:,j}, \quad \sigma^2 = \frac1m\sum_j (Z_{:,j}-\mu)^2, \quad
              \hat Z = \frac{Z - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \quad
              \tilde Z = \gamma \hat Z + \beta

    In training the batch's own mean and (biased) variance are used; otherwise the running
    estimates. Returns ``(Z_tilde, cache)``, where ``cache`` holds what backward needs
    (``Z_hat``, ``inv_std``) and the batch statistics (``mu``, ``var``) for
    :func:`update_running_stats`. Running statistics are not touched here, so a forward pass has
    no side effects (gradient checking relies on that).
    """
    if training:
        mu = Z.mean(axis=1, keepdims=True)
        Zc = Z - mu
        var = np.mean(Zc * Zc, axis=1, keepdims=True)
    else:
        mu, var = running_mean, running_var
        Zc = Z - mu
    inv_std = 1.0 / np.sqrt(var + BN_EPSILON)
    Z_hat = Zc * inv_std
    Z_tilde = gamma * Z_hat + beta
    return Z_tilde, {"Z_hat": Z_hat, "inv_std": inv_std, "mu": mu, "var": var}


def batchnorm_backward(dZ_tilde, cache, gamma, dgamma, dbeta):
    r"""Backward through batch normalization (training mode), writing ``dgamma`` and ``dbeta``.

    .. math:: d\gamma = \sum_j d\tilde Z_{:,j} \hat Z_{:,j}, \qquad
              d\beta = \sum_j d\tilde Z_{:,j}, \qquad d\hat Z = \gamma\, d\tilde Z

    and, since :math:`\mu` and :math:`\sigma^2` depend on every column of ``Z``,

    .. math:: dZ = \frac{1}{m\sqrt{\sigma^2+\varepsilon}}\left(m\, d\hat Z - \sum_j d\hat Z_{:,j}
              - \hat Z \sum_j d\hat Z_{:,j}\hat Z_{:,j}\right)

    (the two sums are the paths through the mean and the variance; the path through the mean of
    the variance vanishes because :math:`\sum_j (Z_{:,j}-\mu) = 0`).
    """
    Z_hat, inv_std = cache["Z_hat"], cache["inv_std"]
    m = dZ_tilde.shape[1]
    np.sum(dZ_tilde * Z_hat, axis=1, keepdims=True, out=dgamma)
    np.sum(dZ_tilde, axis=1, keepdims=True, out=dbeta)
    dZ_hat = dZ_tilde * gamma
    return (inv_std / m) * (
        m * dZ_hat
        - dZ_hat.sum(axis=1, keepdims=True)
        - Z_hat * np.sum(dZ_hat * Z_hat, axis=1, keepdims=True)
    )


def update_running_stats(running_mean, running_var, cache):
    """Move the running estimates toward a batch's statistics, in place.

    ``running = BN_MOMENTUM * running + (1 - BN_MOMENTUM) * batch``; inference uses the result.
    """
    running_mean *= BN_MOMENTUM
    running_mean += (1.0 - BN_MOMENTUM) * cache["mu"]
    running_var *= BN_MOMENTUM
    running_var += (1.0 - BN_MOMENTUM) * cache["var"]


def dropout_mask(shape, keep_prob, rng, dtype):
    r"""Inverted-dropout mask: each unit kept with probability ``keep_prob`` and scaled by its inverse.

    .. math:: D = \frac{[U < p]}{p}, \quad U \sim \mathcal U(0, 1)

    Scaling the kept units by ``1/p`` at training time keeps :math:`E[A \odot D] = A`, so
    prediction uses the network unchanged. The same ``D`` multiplies the gradient in backward:
    ``dA = dA * D`` (the seed's "multiply by the mask, divide by keep_prob", in one factor).
    """
    mask = rng.random(shape) < keep_prob
    return mask.astype(dtype) / dtype.type(keep_prob)


def dropout_apply(A, D):
    """Apply a dropout mask ``D`` (from :func:`dropout_mask`) to ``A`` or to its gradient."""
    return A * D
