"""Layer functions: the documented ``out`` arguments really receive the results."""

import numpy as np
import pytest

from scratchnn.layers import dropout_apply, dropout_mask


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
