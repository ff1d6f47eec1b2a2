"""The flat parameter buffer: shapes in buffer order, views that share memory, the dtype kept."""

import numpy as np
import pytest

from scratchnn.parameters import allocate, parameter_shapes, slices, views


def test_parameter_shapes_default_to_biases_without_batch_norm():
    """``batch_norm`` defaults to False: every layer has ``W{l}`` and ``b{l}``, no gamma/beta."""
    assert list(parameter_shapes([3, 4, 2]).items()) == [
        ("W1", (4, 3)), ("b1", (4, 1)), ("W2", (2, 4)), ("b2", (2, 1))]
    assert list(parameter_shapes([3, 4, 2], batch_norm=True).items()) == [
        ("W1", (4, 3)), ("gamma1", (4, 1)), ("beta1", (4, 1)), ("W2", (2, 4)), ("b2", (2, 1))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_allocate_keeps_the_dtype_and_returns_views_of_one_zeroed_buffer(dtype):
    shapes = parameter_shapes([3, 4, 2])
    flat, named = allocate(shapes, dtype, prefix="d")
    assert flat.dtype == dtype and flat.shape == (4 * 3 + 4 + 2 * 4 + 2,)
    assert not flat.any()
    assert list(named) == ["dW1", "db1", "dW2", "db2"]
    for name, view in named.items():
        assert view.dtype == dtype and view.shape == shapes[name[1:]]
        assert np.shares_memory(view, flat)
    flat[slices(shapes)["W2"]] = np.arange(8)
    np.testing.assert_array_equal(named["dW2"], np.arange(8).reshape(2, 4))


def test_views_reject_a_buffer_of_the_wrong_size():
    shapes = parameter_shapes([2, 3, 1])  # 6 + 3 + 3 + 1 = 13 parameters
    with pytest.raises(ValueError, match=r"^buffer of size 14 does not hold parameters of size 13$"):
        views(np.zeros(14), shapes)
