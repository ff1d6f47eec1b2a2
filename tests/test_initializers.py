"""Initializers: each draws exactly its documented distribution from the generator it is given."""

import numpy as np
import pytest

from scratchnn import initializers

SHAPE = (7, 5)  # (n_l, n_{l-1}): fan-out 7, fan-in 5


@pytest.mark.parametrize("name, draw", [
    ("random", lambda rng: rng.standard_normal(SHAPE) * 0.01),
    ("he", lambda rng: rng.standard_normal(SHAPE) * np.sqrt(2.0 / 5)),
    ("xavier", lambda rng: rng.standard_normal(SHAPE) * np.sqrt(1.0 / 5)),
    ("glorot_uniform", lambda rng: rng.uniform(-np.sqrt(6.0 / 12), np.sqrt(6.0 / 12), SHAPE)),
])
def test_each_initializer_draws_its_documented_distribution(name, draw):
    """The same seed gives the same draws as the module docstring's formula, scale included
    (glorot_uniform's default factor is 6: r = sqrt(6 / (n_{l-1} + n_l)))."""
    W = np.full(SHAPE, np.nan)
    initializers.get(name)(W, np.random.default_rng(3))
    np.testing.assert_allclose(W, draw(np.random.default_rng(3)), rtol=1e-15)


def test_glorot_uniform_draws_the_weights_first_then_the_biases_with_the_same_bound():
    W, b = np.zeros(SHAPE), np.zeros((7, 1))
    initializers.glorot_uniform(W, np.random.default_rng(5), b, factor=2.0)
    rng, bound = np.random.default_rng(5), np.sqrt(2.0 / 12)
    np.testing.assert_allclose(W, rng.uniform(-bound, bound, SHAPE), rtol=1e-15)
    np.testing.assert_allclose(b, rng.uniform(-bound, bound, (7, 1)), rtol=1e-15)
