"""Activations: closed-form values, derivatives against central differences, stability."""

import numpy as np
import pytest

from scratchnn import activations

Z = np.array([[-3.0, -0.5, 0.0], [0.25, 1.0, 4.0]])


def test_closed_form_values():
    np.testing.assert_allclose(activations.get("sigmoid").forward(Z), 1 / (1 + np.exp(-Z)))
    np.testing.assert_allclose(activations.get("tanh").forward(Z), np.tanh(Z))
    np.testing.assert_array_equal(activations.get("relu").forward(Z), np.maximum(Z, 0))
    np.testing.assert_allclose(activations.get("leaky_relu").forward(Z), np.where(Z > 0, Z, 0.01 * Z))
    np.testing.assert_array_equal(activations.get("linear").forward(Z), Z)
    expected = np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(activations.get("softmax").forward(Z), expected)
    # sigmoid(0) = 1/2, softmax of equal logits is uniform
    assert activations.get("sigmoid").forward(np.zeros((1, 1)))[0, 0] == 0.5
    np.testing.assert_allclose(activations.get("softmax").forward(np.zeros((4, 2))), 0.25)


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_backward_is_the_vector_jacobian_product(name):
    """dZ = backward(dA, A) must equal the gradient of sum(dA * g(Z)) by central differences."""
    rng = np.random.default_rng(0)
    act = activations.get(name)
    Zr = rng.standard_normal((4, 3))
    Zr[np.abs(Zr) < 1e-3] = 0.5  # keep away from the kink of relu / leaky relu
    dA = rng.standard_normal(Zr.shape)
    dZ = act.backward(dA, act.forward(Zr))
    eps = 1e-6
    numeric = np.zeros_like(Zr)
    for index in np.ndindex(Zr.shape):
        plus, minus = Zr.copy(), Zr.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = np.sum(dA * (act.forward(plus) - act.forward(minus))) / (2 * eps)
    np.testing.assert_allclose(dZ, numeric, rtol=1e-6, atol=1e-9)


def test_softmax_backward_is_not_the_diagonal_only():
    """The seed's A(1 - A) misses the off-diagonal terms of the Jacobian."""
    act = activations.get("softmax")
    A = act.forward(Z)
    dA = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, -1.0]])
    assert not np.allclose(act.backward(dA, A), dA * A * (1 - A))


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_extreme_inputs_stay_finite_without_warnings(name):
    big = np.array([[-1e308, -800.0, 0.0, 800.0, 1e308], [1e308, 5.0, -5.0, -1e308, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # any overflow or invalid operation raises
        A = activations.get(name).forward(big)
    if name != "linear" and name not in ("relu", "leaky_relu"):
        assert np.all(np.isfinite(A))
    if name == "sigmoid":
        assert A[0, 0] == 0.0 and A[0, 4] == 1.0
        assert A[0, 1] < 1e-300  # exp(-800) underflows gracefully to (almost) 0
    if name == "softmax":
        np.testing.assert_allclose(A.sum(axis=0), 1.0)


def test_sigmoid_keeps_relative_precision_in_the_lower_tail():
    A = activations.get("sigmoid").forward(np.array([[-40.0, -700.0]]))
    np.testing.assert_allclose(A, np.exp([[-40.0, -700.0]]) / (1 + np.exp([[-40.0, -700.0]])),
                               rtol=1e-12)


def test_float32_stays_float32():
    Z32 = Z.astype(np.float32)
    for name, act in activations.ACTIVATIONS.items():
        A = act.forward(Z32)
        assert A.dtype == np.float32, name
        assert act.backward(np.ones_like(Z32), A).dtype == np.float32, name


def test_get_errors_and_case():
    assert activations.get("ReLU") is activations.get("relu")
    with pytest.raises(ValueError, match="unknown activation 'swish'.*relu"):
        activations.get("swish")
    with pytest.raises(TypeError, match="activation must be a string"):
        activations.get(3)


@pytest.mark.parametrize("name, slope", [("relu", 0.0), ("leaky_relu", 0.01)])
def test_derivative_at_zero_is_the_documented_subgradient(name, slope):
    """At Z = 0 (so A = 0) ReLU's derivative is taken as 0 and LeakyReLU's as alpha: both use the
    slope of the negative side, ``[A > 0]``, not ``[A >= 0]``."""
    act = activations.get(name)
    A = act.forward(np.zeros((2, 3)))
    dA = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
    np.testing.assert_array_equal(act.backward(dA, A), slope * dA)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_into_out_gives_the_same_bits(dtype):
    """ReLU into a work array (the training loop's case; float32 takes another NumPy route)
    writes exactly max(Z, 0), signed zeros, infinities, NaN and subnormals included, and so does
    ReLU in place or without ``out``."""
    rng = np.random.default_rng(3)
    Zs = rng.standard_normal((37, 29)).astype(dtype)
    specials = [-0.0, 0.0, np.nan, -np.inf, np.inf, np.finfo(dtype).smallest_subnormal,
                -np.finfo(dtype).smallest_subnormal, -np.nan]
    Zs.flat[:len(specials)] = specials
    # Reference: the maximum written element by element, independently of the array routes.
    expected = np.array([z if z > 0 or np.isnan(z) else dtype(0.0) for z in Zs.flat],
                        dtype=dtype).reshape(Zs.shape)
    relu = activations.get("relu")
    out = np.full_like(Zs, 7.0)
    assert relu.forward(Zs, out=out) is out
    in_place = Zs.copy()
    relu.forward(in_place, out=in_place)
    for result in (out, in_place, relu.forward(Zs)):
        assert result.dtype == dtype
        np.testing.assert_array_equal(np.isnan(result), np.isnan(expected))
        finite = ~np.isnan(expected)
        np.testing.assert_array_equal(result[finite].view(f"u{Zs.itemsize}"),
                                      expected[finite].view(f"u{Zs.itemsize}"))
