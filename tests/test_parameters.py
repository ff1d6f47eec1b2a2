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


def model_parameters():
    from scratchnn import ClassifierNN

    return ClassifierNN([3, 4, 2], ["relu", "softmax"], seed=0)


def test_assigning_a_parameter_copies_it_into_the_flat_buffer():
    """``parameters[name] = array`` writes into the existing view: ``theta`` changes with it."""
    nn = model_parameters()
    view = nn.parameters["W1"]
    nn.parameters["W1"] = np.arange(12.0).reshape(4, 3)
    assert nn.parameters["W1"] is view
    np.testing.assert_array_equal(nn.theta[:12], np.arange(12.0))
    nn.parameters = {"b2": np.ones((2, 1))}
    np.testing.assert_array_equal(nn.theta[-2:], [1.0, 1.0])


@pytest.mark.parametrize("assign,error,message", [
    (lambda p: p.__setitem__("W1", np.zeros((3, 4))), ValueError,
     r"^parameters\['W1'\] must have shape \(4, 3\), got \(3, 4\)$"),
    (lambda p: p.__setitem__("W1", np.full((4, 3), np.nan)), ValueError,
     r"^parameters\['W1'\] contains NaN or infinite values$"),
    (lambda p: p.__setitem__("W1", np.full((4, 3), "a")), TypeError,
     r"^parameters\['W1'\] must hold real numbers, got dtype <U1$"),
    (lambda p: p.__setitem__("W9", np.zeros((4, 3))), ValueError,
     r"^parameters has no entry 'W9'"),
    (lambda p: p.pop("W1"), TypeError, r"^parameters has one fixed entry per layer parameter"),
])
def test_a_bad_assignment_is_refused_and_changes_nothing(assign, error, message):
    nn = model_parameters()
    theta = nn.theta.copy()
    with pytest.raises(error, match=message):
        assign(nn.parameters)
    np.testing.assert_array_equal(nn.theta, theta)
    assert list(nn.parameters) == ["W1", "b1", "W2", "b2"]


def test_assigning_the_whole_mapping_checks_every_entry_first():
    nn = model_parameters()
    theta = nn.theta.copy()
    with pytest.raises(ValueError, match=r"^parameters\['b1'\] must have shape \(4, 1\)"):
        nn.parameters = {"W1": np.zeros((4, 3)), "b1": np.zeros(4)}
    np.testing.assert_array_equal(nn.theta, theta)  # W1 was not copied in either


def test_copies_of_the_parameters_are_plain_independent_dicts():
    import copy
    import pickle

    nn = model_parameters()
    for other in (copy.deepcopy(nn.parameters), pickle.loads(pickle.dumps(nn.parameters))):
        assert type(other) is dict and not np.shares_memory(other["W1"], nn.theta)
        np.testing.assert_array_equal(other["W1"], nn.parameters["W1"])
