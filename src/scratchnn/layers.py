r"""The computations of one layer: dense, batch normalization and dropout, forward and backward.

These functions only compute. Backward functions write parameter gradients into the arrays they
are given (views of the flat gradient buffer) and return the gradient for the layer below; they
never update a weight, so the same code serves training and gradient checking.

Shapes follow the documentation's: one example per column, ``A_prev`` is ``(n_{l-1}, m)``, ``W`` is
``(n_l, n_{l-1})``, ``Z`` and ``A`` are ``(n_l, m)``. The ``1/m`` of the mean cost is already
inside the ``dZ`` that reaches a layer (see :mod:`scratchnn.losses`), so no layer divides by ``m``.

Optional ``out`` arguments take preallocated result arrays: the training loop passes the same
arrays at every step instead of allocating new ones (see :meth:`ClassifierNN.make_workspace`).
"""

from typing import NamedTuple

import numpy as np

__all__ = [
    "BN_EPSILON",
    "BatchNormCache",
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


class BatchNormCache(NamedTuple):
    r"""What :func:`batchnorm_forward` keeps for the backward pass and the running statistics.

    Attributes
    ----------
    Z_hat : ndarray of shape (n_l, m)
        The normalized net input.
    inv_std : ndarray of shape (n_l, 1)
        :math:`1/\sqrt{\sigma^2 + \varepsilon}`.
    mu, var : ndarray of shape (n_l, 1)
        The statistics used: the batch's in training, the running ones otherwise.
    """

    Z_hat: np.ndarray
    inv_std: np.ndarray
    mu: np.ndarray
    var: np.ndarray


def dense_forward(A_prev, W, b=None, out=None):
    r"""Net input of a dense layer.

    .. math:: Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}

    ``b`` is ``None`` for a batch-normalized layer, whose bias is replaced by ``beta``.
    """
    Z = np.matmul(W, A_prev, out=out)
    if b is not None:
        Z += b
    return Z


def dense_backward(dZ, A_prev, W, dW, db=None, need_dA_prev=True, out=None, ones=None):
    r"""Gradients of a dense layer, written into ``dW`` (and ``db``).

    .. math:: dW^{[l]} = dZ^{[l]} A^{[l-1]T}, \qquad db^{[l]} = \sum_{j} dZ^{[l]}_{:,j}
              = dZ^{[l]} \mathbf 1,
              \qquad dA^{[l-1]} = W^{[l]T} dZ^{[l]}

    Returns ``dA_prev`` (in ``out`` if given), or ``None`` when ``need_dA_prev`` is false (the
    first layer: nothing below it learns, so the product would be wasted). ``ones``, a column
    of ``m`` ones in ``dZ``'s dtype, is made when not given (the training loop keeps one).
    """
    np.matmul(dZ, A_prev.T, out=dW)
    if db is not None:
        # The sum over the batch as a product with a column of ones: BLAS's matrix-vector
        # product is several times faster than NumPy's row sums on a mini-batch's rows.
        if ones is None:
            ones = np.ones((dZ.shape[1], 1), dZ.dtype)
        np.matmul(dZ, ones, out=db)
    return np.matmul(W.T, dZ, out=out) if need_dA_prev else None


def batchnorm_forward(Z, gamma, beta, running_mean, running_var, training, out=None,
                      Z_hat=None):
    r"""Batch normalization of a hidden layer's net input, per unit (row).

    .. math:: \mu = \frac1m\sum_j Z_{:,j}, \quad \sigma^2 = \frac1m\sum_j (Z_{:,j}-\mu)^2, \quad
              \hat Z = \frac{Z - \mu}{\sqrt{\sigma^2 + \varepsilon}}, \quad
              \tilde Z = \gamma \hat Z + \beta

    In training the batch's own mean and (biased) variance are used; otherwise the running
    estimates. Returns ``(Z_tilde, cache)``, where ``cache`` (a :class:`BatchNormCache`) holds
    what backward needs (``Z_hat``, ``inv_std``) and the batch statistics (``mu``, ``var``) for
    :func:`update_running_stats`. Running statistics are not touched here, so a forward pass has
    no side effects (gradient checking relies on that). ``out`` and ``Z_hat`` optionally receive
    :math:`\tilde Z` and :math:`\hat Z`.
    """
    m = Z.shape[1]
    if training:
        mu = Z.sum(axis=1, keepdims=True)
        mu /= m
        Zc = np.subtract(Z, mu, out=Z_hat)
        var = np.einsum("ij,ij->i", Zc, Zc).reshape(-1, 1)  # row sums of squares, no temporary
        var /= m
    else:
        mu, var = running_mean, running_var
        Zc = np.subtract(Z, mu, out=Z_hat)
    inv_std = var + BN_EPSILON
    np.sqrt(inv_std, out=inv_std)
    np.divide(1.0, inv_std, out=inv_std)
    Z_hat = np.multiply(Zc, inv_std, out=Zc)
    Z_tilde = np.multiply(Z_hat, gamma, out=out)
    Z_tilde += beta
    return Z_tilde, BatchNormCache(Z_hat, inv_std, mu, var)


def batchnorm_backward(dZ_tilde, cache, gamma, dgamma, dbeta, out=None):
    r"""Backward through batch normalization (training mode), writing ``dgamma`` and ``dbeta``.

    .. math:: d\gamma = \sum_j d\tilde Z_{:,j} \hat Z_{:,j}, \qquad
              d\beta = \sum_j d\tilde Z_{:,j}, \qquad d\hat Z = \gamma\, d\tilde Z

    and, since :math:`\mu` and :math:`\sigma^2` depend on every column of ``Z``,

    .. math:: dZ = \frac{1}{m\sqrt{\sigma^2+\varepsilon}}\left(m\, d\hat Z - \sum_j d\hat Z_{:,j}
              - \hat Z \sum_j d\hat Z_{:,j}\hat Z_{:,j}\right)

    (the two sums are the paths through the mean and the variance; the path through the mean of
    the variance vanishes because :math:`\sum_j (Z_{:,j}-\mu) = 0`). With
    :math:`d\hat Z = \gamma\, d\tilde Z`, the sums are :math:`\gamma\, d\beta` and
    :math:`\gamma\, d\gamma`, which the code reuses.
    """
    Z_hat, inv_std = cache.Z_hat, cache.inv_std
    m = dZ_tilde.shape[1]
    dgamma[:, 0] = np.einsum("ij,ij->i", dZ_tilde, Z_hat)
    np.sum(dZ_tilde, axis=1, keepdims=True, out=dbeta)
    # dZ = gamma inv_std / m (m dZ_tilde - dbeta - Z_hat dgamma), arranged to need no temporary
    # of the batch's size: -gamma inv_std ((Z_hat dgamma + dbeta) / m - dZ_tilde).
    dZ = np.multiply(Z_hat, dgamma / m, out=out)
    dZ += dbeta / m
    dZ -= dZ_tilde
    dZ *= -(gamma * inv_std)
    return dZ


def update_running_stats(running_mean, running_var, cache):
    """Move the running estimates toward a batch's statistics, in place.

    ``running = BN_MOMENTUM * running + (1 - BN_MOMENTUM) * batch``; inference uses the result.
    """
    running_mean *= BN_MOMENTUM
    running_mean += (1.0 - BN_MOMENTUM) * cache.mu
    running_var *= BN_MOMENTUM
    running_var += (1.0 - BN_MOMENTUM) * cache.var


def dropout_mask(shape, keep_prob, rng, dtype, out=None):
    r"""Inverted-dropout mask: each unit kept with probability ``keep_prob`` and scaled by its inverse.

    .. math:: D = \frac{[U < p]}{p}, \quad U \sim \mathcal U(0, 1)

    Scaling the kept units by ``1/p`` at training time keeps :math:`E[A \odot D] = A`, so
    prediction uses the network unchanged. The same ``D`` multiplies the gradient in backward:
    ``dA = dA * D`` (the seed's "multiply by the mask, divide by keep_prob", in one factor).
    The uniforms are drawn in ``dtype`` straight into ``out``, which then becomes the mask.
    """
    D = rng.random(shape, dtype=dtype, out=out)
    np.less(D, keep_prob, out=D)  # 1.0 where kept, 0.0 where dropped
    D *= 1.0 / keep_prob
    return D


def dropout_apply(A, D, out=None):
    """Apply a dropout mask ``D`` (from :func:`dropout_mask`) to ``A`` or to its gradient."""
    return np.multiply(A, D, out=out)
