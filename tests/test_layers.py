"""Layer functions against their docstring formulas; the ``out`` arguments receive the results."""

import numpy as np
import pytest

from scratchnn.layers import (
    batchnorm_backward,
    batchnorm_forward,
    dense_backward,
    dense_forward,
    dropout_apply,
    dropout_mask,
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_mask_is_drawn_into_out(dtype):
    """The uniforms are drawn in ``dtype`` straight into ``out``, which becomes the mask:
    ``[U < p] / p`` with ``U`` the generator's next uniforms."""
    keep_prob, shape = 0.6, (4, 50)
    out = np.full(shape, -1.0, dtype=dtype)
    D = dropout_mask(shape, keep_prob, np.random.default_rng(7), dtype, out=out)
    assert D is out
    U = np.random.default_rng(7).random(shape, dtype=dtype)
    np.testing.assert_allclose(out, (U < keep_prob) / dtype(keep_prob), rtol=1e-6)


def test_dropout_apply_writes_into_out():
    A = np.arange(6.0).reshape(2, 3)
    D = np.array([[2.0, 0.0, 2.0], [0.0, 2.0, 2.0]])
    out = np.full((2, 3), np.nan)
    result = dropout_apply(A, D, out=out)
    assert result is out
    np.testing.assert_array_equal(out, A * D)
    np.testing.assert_array_equal(dropout_apply(A, D), A * D)  # a new array without out


RNG = np.random.default_rng(11)
A_PREV, W, B = RNG.standard_normal((3, 5)), RNG.standard_normal((4, 3)), RNG.standard_normal((4, 1))
DZ = RNG.standard_normal((4, 5))


def test_dense_forward_writes_into_out():
    out = np.full((4, 5), np.nan)
    assert dense_forward(A_PREV, W, B, out=out) is out
    np.testing.assert_allclose(out, W @ A_PREV + B, rtol=1e-14)


def test_dense_backward_gradients_and_dA_prev_into_out():
    """dW = dZ A_prev^T, db = row sums of dZ, and dA_prev = W^T dZ (by default, into ``out``)."""
    dW, db, out = np.zeros((4, 3)), np.zeros((4, 1)), np.full((3, 5), np.nan)
    assert dense_backward(DZ, A_PREV, W, dW, db, out=out) is out
    np.testing.assert_allclose(dW, DZ @ A_PREV.T, rtol=1e-14)
    np.testing.assert_allclose(db, DZ.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(out, W.T @ DZ, rtol=1e-14)
    np.testing.assert_allclose(dense_backward(DZ, A_PREV, W, dW), W.T @ DZ, rtol=1e-14)


def test_dense_backward_takes_the_bias_gradient_with_a_given_column_of_ones():
    """db = dZ 1: with the caller's column of ones (the training workspace keeps one), the same
    row sums as with the column it makes itself."""
    db_given, db_made = np.full((4, 1), np.nan), np.full((4, 1), np.nan)
    dense_backward(DZ, A_PREV, W, np.zeros((4, 3)), db_given, ones=np.ones((5, 1)))
    dense_backward(DZ, A_PREV, W, np.zeros((4, 3)), db_made)
    np.testing.assert_array_equal(db_given, db_made)
    np.testing.assert_allclose(db_given[:, 0], [sum(row) for row in DZ], rtol=1e-14)


def test_dense_backward_without_dA_prev_returns_none_and_leaves_out_alone():
    """The first layer asks for no dA_prev (``need_dA_prev=False``): None, and ``out`` untouched."""
    dW, out = np.zeros((4, 3)), np.full((3, 5), 7.0)
    assert dense_backward(DZ, A_PREV, W, dW, need_dA_prev=False, out=out) is None
    np.testing.assert_array_equal(out, 7.0)
    np.testing.assert_allclose(dW, DZ @ A_PREV.T, rtol=1e-14)


GAMMA, BETA = RNG.uniform(0.5, 2.0, (4, 1)), RNG.standard_normal((4, 1))
RUNNING_MEAN, RUNNING_VAR = RNG.standard_normal((4, 1)), RNG.uniform(0.5, 2.0, (4, 1))


@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_batchnorm_forward_writes_z_hat_and_z_tilde_into_the_given_arrays(training):
    """``Z_hat`` receives (Z - mu) / sqrt(var + 1e-5) and ``out`` gamma Z_hat + beta, with the
    batch's (biased) statistics in training and the running ones otherwise; the cache holds
    those very arrays."""
    Z = DZ * 3.0 + 1.0
    if training:
        mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
    else:
        mu, var = RUNNING_MEAN, RUNNING_VAR
    z_hat, out = np.full(Z.shape, np.nan), np.full(Z.shape, np.nan)
    Z_tilde, cache = batchnorm_forward(Z.copy(), GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR,
                                       training, out=out, Z_hat=z_hat)
    assert Z_tilde is out and cache.Z_hat is z_hat
    expected_hat = (Z - mu) / np.sqrt(var + 1e-5)
    np.testing.assert_allclose(z_hat, expected_hat, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(out, GAMMA * expected_hat + BETA, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.inv_std, 1 / np.sqrt(var + 1e-5), rtol=1e-14)


def test_batchnorm_backward_writes_into_out():
    """dZ = (m dZ_hat - sum dZ_hat - Z_hat sum(dZ_hat Z_hat)) / (m sqrt(var + eps)) with
    dZ_hat = gamma dZ_tilde (the docstring's formula), written into ``out``."""
    Z, m = DZ * 2.0 - 0.5, DZ.shape[1]
    _, cache = batchnorm_forward(Z.copy(), GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR, True)
    dZ_tilde = RNG.standard_normal(Z.shape)
    dgamma, dbeta, out = np.zeros((4, 1)), np.zeros((4, 1)), np.full(Z.shape, np.nan)
    assert batchnorm_backward(dZ_tilde, cache, GAMMA, dgamma, dbeta, out=out) is out
    Z_hat = (Z - Z.mean(axis=1, keepdims=True)) / np.sqrt(Z.var(axis=1, keepdims=True) + 1e-5)
    dZ_hat = GAMMA * dZ_tilde
    expected = (m * dZ_hat - dZ_hat.sum(axis=1, keepdims=True)
                - Z_hat * (dZ_hat * Z_hat).sum(axis=1, keepdims=True)) / (
                    m * np.sqrt(Z.var(axis=1, keepdims=True) + 1e-5))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma, (dZ_tilde * Z_hat).sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(dbeta, dZ_tilde.sum(axis=1, keepdims=True), rtol=1e-12)
