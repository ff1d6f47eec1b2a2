"""Tests for scratchnn.datasets: shapes, balance, determinism, geometry, bad arguments."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchnn.datasets import (
    make_blobs,
    make_circles,
    make_moons,
    make_spiral,
    make_xor,
    train_test_split,
)

GENERATORS = [make_moons, make_circles, make_spiral, make_xor, make_blobs]


def _sorted_rows(X):
    """Rows of X in lexicographic order, to compare point sets regardless of shuffling."""
    return X[np.lexsort(X.T[::-1])]


# --------------------------------------------------------------------------- shapes and balance


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("n_samples", [3, 10, 301, 1000])
def test_shapes_and_dtypes(make, n_samples):
    X, y = make(n_samples=n_samples, seed=0)
    assert X.shape == (n_samples, 2)
    assert y.shape == (n_samples,)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make", [make_moons, make_circles])
@pytest.mark.parametrize("n_samples", [1, 2, 7, 1000])
def test_two_class_label_balance(make, n_samples):
    _, y = make(n_samples=n_samples, seed=0)
    # The outer shape gets n // 2 points, the inner one the rest (scikit-learn's split).
    assert np.count_nonzero(y == 0) == n_samples // 2
    assert np.count_nonzero(y == 1) == n_samples - n_samples // 2
    assert set(np.unique(y)) <= {0, 1}


@pytest.mark.parametrize(("n_samples", "n_classes", "expected"), [
    (900, 3, [300, 300, 300]),
    (10, 3, [4, 3, 3]),
    (11, 4, [3, 3, 3, 2]),
    (2, 2, [1, 1]),
])
def test_spiral_class_sizes(n_samples, n_classes, expected):
    _, y = make_spiral(n_samples=n_samples, n_classes=n_classes, seed=0)
    assert np.bincount(y, minlength=n_classes).tolist() == expected


@settings(max_examples=30, deadline=None, database=None)
@given(n_samples=st.integers(1, 400), noise=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_moons_counts_property(n_samples, noise, seed):
    X, y = make_moons(n_samples=n_samples, noise=noise, seed=seed)
    assert X.shape == (n_samples, 2)
    assert int(y.sum()) == n_samples - n_samples // 2


def test_data_is_shuffled():
    # Unshuffled data would have all of class 0 first; a seeded shuffle of 1000
    # points leaves it in blocks with negligible probability.
    for make in GENERATORS:
        _, y = make(seed=0)
        assert np.any(np.diff(y) < 0)


# --------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("make", GENERATORS)
def test_same_seed_same_data(make):
    X1, y1 = make(seed=7)
    X2, y2 = make(seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("make", GENERATORS)
def test_different_seed_different_data(make):
    X1, _ = make(seed=0)
    X2, _ = make(seed=1)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize("make", GENERATORS)
def test_global_random_state_untouched(make):
    # The next global draws are the same whether or not a dataset was made in between.
    np.random.seed(1234)
    expected = np.random.random(5)
    np.random.seed(1234)
    make(seed=0)
    np.testing.assert_array_equal(np.random.random(5), expected)


def test_generator_accepted_as_seed():
    X1, _ = make_moons(seed=np.random.default_rng(3))
    X2, _ = make_moons(seed=3)
    np.testing.assert_array_equal(X1, X2)


# --------------------------------------------------------------------------- geometry


def test_moons_noiseless_points_lie_on_their_unit_circles():
    X, y = make_moons(n_samples=200, noise=0.0, seed=0)
    outer, inner = X[y == 0], X[y == 1]
    # Outer moon: upper half of the unit circle around (0, 0).
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-12)
    assert np.all(outer[:, 1] >= -1e-12)
    # Inner moon: lower half of the unit circle around (1, 0.5).
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1.0, inner[:, 1] - 0.5), 1.0, atol=1e-12)
    assert np.all(inner[:, 1] <= 0.5 + 1e-12)
    # The arcs are complete: both ends of each half circle are present.
    np.testing.assert_allclose([outer[:, 0].min(), outer[:, 0].max()], [-1.0, 1.0], atol=1e-12)
    np.testing.assert_allclose([inner[:, 0].min(), inner[:, 0].max()], [0.0, 2.0], atol=1e-12)


def test_moons_noise_scales_the_spread():
    X0, y0 = make_moons(n_samples=2000, noise=0.0, seed=0)
    X1, y1 = make_moons(n_samples=2000, noise=0.1, seed=0)
    # Same shuffle, then noise added on top: the difference is the noise itself.
    np.testing.assert_array_equal(y0, y1)
    assert np.std(X1 - X0) == pytest.approx(0.1, rel=0.05)


def test_moons_matches_scikit_learn_geometry():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X_ref, y_ref = sklearn_datasets.make_moons(n_samples=101, noise=None, shuffle=False)
    X, y = make_moons(n_samples=101, noise=0.0, seed=0)
    for label in (0, 1):
        np.testing.assert_allclose(
            _sorted_rows(X[y == label]), _sorted_rows(X_ref[y_ref == label]), atol=1e-12
        )


def test_circles_noiseless_radii():
    X, y = make_circles(n_samples=100, noise=0.0, factor=0.3, seed=0)
    radii = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radii[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(radii[y == 1], 0.3, atol=1e-12)


def test_spiral_noiseless_angle_follows_radius():
    X, y = make_spiral(n_samples=300, n_classes=3, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r <= 1.0 + 1e-12)
    # Arm k: x = r sin(theta), y = r cos(theta) with theta = 4k + 4r.
    theta = np.arctan2(X[:, 0], X[:, 1])
    expected = 4.0 * y + 4.0 * r
    wrapped = np.angle(np.exp(1j * (theta - expected)))
    on_arm = r > 1e-9  # the angle of the origin is undefined
    np.testing.assert_allclose(wrapped[on_arm], 0.0, atol=1e-9)


# --------------------------------------------------------------------------- train_test_split


def test_split_sizes_and_partition():
    X = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.arange(10)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, seed=0)
    assert X_train.shape == (7, 2) and X_test.shape == (3, 2)
    assert y_train.shape == (7,) and y_test.shape == (3,)
    # Every example lands in exactly one part, with its own label.
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_train[:, 0], 2 * y_train)
    np.testing.assert_array_equal(X_test[:, 0], 2 * y_test)


def test_split_test_size_rounds_up():
    X, y = make_moons(n_samples=1000, seed=0)
    X_train, X_test, _, _ = train_test_split(X, y, test_size=0.3, seed=0)
    assert (len(X_train), len(X_test)) == (700, 300)
    X_train, X_test, _, _ = train_test_split(X[:11], y[:11], test_size=0.25, seed=0)
    assert (len(X_train), len(X_test)) == (8, 3)  # ceil(2.75) = 3


@pytest.mark.parametrize(("test_size", "n_test"), [
    (0.32, 4),  # 3.2: rounding to the nearest would give 3
    (0.31, 4),  # 3.1
    (0.35, 4),  # 3.5: round-half-to-even would also give 4, half-down 3
    (0.25, 3),  # 2.5: round-half-to-even would give 2
    (0.05, 1),  # 0.5: never an empty test part
])
def test_split_rounds_the_test_part_up_not_to_the_nearest(test_size, n_test):
    X = np.arange(10, dtype=np.float64).reshape(10, 1)
    X_train, X_test, y_train, y_test = train_test_split(X, np.arange(10), test_size=test_size)
    assert (len(X_test), len(y_test)) == (n_test, n_test)
    assert (len(X_train), len(y_train)) == (10 - n_test, 10 - n_test)


def test_split_is_seeded():
    X, y = make_moons(n_samples=50, seed=0)
    a = train_test_split(X, y, seed=4)
    b = train_test_split(X, y, seed=4)
    c = train_test_split(X, y, seed=5)
    for part_a, part_b in zip(a, b):
        np.testing.assert_array_equal(part_a, part_b)
    assert not np.array_equal(a[1], c[1])


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize(("kwargs", "error", "name"), [
    ({"n_samples": 0}, ValueError, "n_samples"),
    ({"n_samples": -5}, ValueError, "n_samples"),
    ({"n_samples": 10.0}, TypeError, "n_samples"),
    ({"n_samples": True}, TypeError, "n_samples"),
    ({"n_samples": "100"}, TypeError, "n_samples"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"noise": float("nan")}, ValueError, "noise"),
    ({"noise": float("inf")}, ValueError, "noise"),
    ({"noise": "0.1"}, TypeError, "noise"),
])
def test_generators_reject_bad_arguments(make, kwargs, error, name):
    with pytest.raises(error, match=name):
        make(**kwargs)


def test_xor_labels_are_the_quadrants_and_keep_a_margin():
    X, y = make_xor(n_samples=400, noise=0.0, seed=2)
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) == np.sign(X[:, 1])).astype(np.int64))
    assert np.abs(X).min() >= 0.1 and np.abs(X).max() <= 1.0
    assert 150 < y.sum() < 250  # about half the points in each class


@pytest.mark.parametrize(("n_samples", "n_classes", "expected"), [
    (10, 3, [4, 3, 3]),
    (8, 4, [2, 2, 2, 2]),
])
def test_blobs_class_sizes(n_samples, n_classes, expected):
    _, y = make_blobs(n_samples=n_samples, n_classes=n_classes, seed=0)
    assert np.bincount(y, minlength=n_classes).tolist() == expected


def test_blobs_sit_on_the_unit_circle():
    X, y = make_blobs(n_samples=5000, n_classes=5, noise=0.1, seed=1)
    for k in range(5):
        angle = 2 * np.pi * k / 5
        centre = X[y == k].mean(axis=0)
        np.testing.assert_allclose(centre, [np.cos(angle), np.sin(angle)], atol=0.02)
        assert abs(X[y == k].std(axis=0) - 0.1).max() < 0.01


@pytest.mark.parametrize("make", [make_spiral, make_blobs])
def test_class_count_checks(make):
    with pytest.raises(ValueError, match="n_classes"):
        make(n_samples=10, n_classes=1)
    with pytest.raises(ValueError, match="n_samples must be >= n_classes"):
        make(n_samples=2, n_classes=3)


@pytest.mark.parametrize("factor", [-0.1, 1.0, 2.0])
def test_circles_rejects_bad_factor(factor):
    with pytest.raises(ValueError, match="factor"):
        make_circles(factor=factor)


def test_spiral_rejects_bad_class_counts():
    with pytest.raises(ValueError, match="n_classes"):
        make_spiral(n_classes=1)
    with pytest.raises(TypeError, match="n_classes"):
        make_spiral(n_classes=2.0)
    with pytest.raises(ValueError, match="n_samples"):
        make_spiral(n_samples=2, n_classes=3)


@pytest.mark.parametrize(("test_size", "error"), [
    (0.0, ValueError),
    (1.0, ValueError),
    (-0.2, ValueError),
    (1.5, ValueError),
    (float("nan"), ValueError),
    ("0.3", TypeError),
    (None, TypeError),
])
def test_split_rejects_bad_test_size(test_size, error):
    X, y = make_moons(n_samples=20, seed=0)
    with pytest.raises(error, match="test_size"):
        train_test_split(X, y, test_size=test_size)


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same number of rows"):
        train_test_split(np.zeros((5, 2)), np.zeros(4))


def test_split_rejects_empty_part():
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(np.zeros((2, 2)), np.zeros(2), test_size=0.9)


def test_split_rejects_scalars():
    with pytest.raises(ValueError, match="X"):
        train_test_split(np.float64(1.0), np.zeros(1))


# --------------------------------------------------------------------------- defaults, exact draws


@pytest.mark.parametrize(("make", "defaults"), [
    (make_moons, {"n_samples": 1000, "noise": 0.1, "seed": 0}),
    (make_circles, {"n_samples": 1000, "noise": 0.05, "factor": 0.5, "seed": 0}),
    (make_spiral, {"n_samples": 900, "n_classes": 3, "noise": 0.2, "seed": 0}),
    (make_xor, {"n_samples": 1000, "noise": 0.1, "seed": 0}),
    (make_blobs, {"n_samples": 1000, "n_classes": 3, "noise": 0.3, "seed": 0}),
])
def test_documented_defaults(make, defaults):
    X, y = make()
    X_explicit, y_explicit = make(**defaults)
    np.testing.assert_array_equal(X, X_explicit)
    np.testing.assert_array_equal(y, y_explicit)


def test_split_default_test_size_and_seed():
    X, y = make_moons(n_samples=20, seed=0)
    for part, explicit in zip(train_test_split(X, y), train_test_split(X, y, 0.3, seed=0)):
        np.testing.assert_array_equal(part, explicit)


def test_moons_are_the_documented_points_shuffled_then_noised():
    # The docstring's formulas with t evenly spaced in [0, pi], outer moon first; then the rows
    # permuted by the seed's generator, and N(0, noise^2) drawn from it after the permutation.
    n, noise, seed = 9, 0.3, 5
    t_outer, t_inner = np.linspace(0.0, np.pi, 4), np.linspace(0.0, np.pi, 5)
    points = np.concatenate([np.column_stack([np.cos(t_outer), np.sin(t_outer)]),
                             np.column_stack([1 - np.cos(t_inner), 1 - np.sin(t_inner) - 0.5])])
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    expected = points[order] + rng.normal(scale=noise, size=(n, 2))
    X, y = make_moons(n_samples=n, noise=noise, seed=seed)
    np.testing.assert_array_equal(y, labels[order])
    np.testing.assert_allclose(X, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("n_samples", [7, 40])
def test_circles_noiseless_points_are_evenly_spaced_from_angle_zero(n_samples):
    # Each circle's n points at the angles 2 pi i / n, i = 0 .. n - 1 (scikit-learn's geometry):
    # the full circle, and never two points on one spot.
    X, y = make_circles(n_samples=n_samples, noise=0.0, factor=0.3, seed=0)
    for label in (0, 1):
        points = X[y == label]
        angles = np.sort(np.mod(np.arctan2(points[:, 1], points[:, 0]), 2 * np.pi))
        expected = 2 * np.pi * np.arange(len(points)) / len(points)
        np.testing.assert_allclose(np.angle(np.exp(1j * (angles - expected))), 0.0, atol=1e-12)


def test_spiral_noise_jitters_each_arms_angles_in_class_order():
    # The docstring's formula: arm k's N points at r = i / (N - 1), theta = 4k + 4i / (N - 1) plus
    # N(0, noise^2) drawn arm by arm from the seed's generator; the rows are then shuffled.
    n_samples, n_classes, noise, seed = 11, 3, 0.5, 2
    rng = np.random.default_rng(seed)
    points = []
    for k, n_k in enumerate([4, 4, 3]):
        r = np.arange(n_k) / (n_k - 1)
        theta = 4 * k + 4 * np.arange(n_k) / (n_k - 1) + rng.normal(scale=noise, size=n_k)
        points.append(np.column_stack([r * np.sin(theta), r * np.cos(theta), np.full(n_k, k)]))
    expected = np.concatenate(points)
    X, y = make_spiral(n_samples=n_samples, n_classes=n_classes, noise=noise, seed=seed)
    got = np.column_stack([X, y])
    np.testing.assert_allclose(_sorted_rows(got), _sorted_rows(expected), atol=1e-12)


def test_xor_magnitudes_are_spread_over_the_interval():
    X, _ = make_xor(n_samples=500, noise=0.0, seed=0)
    magnitudes = np.abs(X).ravel()
    assert magnitudes.min() >= 0.1 and magnitudes.max() < 1.0
    assert len(np.unique(magnitudes)) == magnitudes.size  # drawn one by one, not one shared value
    assert magnitudes.min() < 0.15 and magnitudes.max() > 0.95


def test_a_single_point_is_enough_where_no_class_needs_two():
    for make in (make_moons, make_circles, make_xor):
        X, y = make(n_samples=1, seed=0)
        assert X.shape == (1, 2) and y.shape == (1,)
    X_train, X_test, _, _ = train_test_split(np.zeros((2, 3)), np.zeros(2), test_size=0.5)
    assert (len(X_train), len(X_test)) == (1, 1)


@pytest.mark.parametrize(("make", "kwargs", "message"), [
    (make_moons, {"n_samples": 0}, "n_samples must be >= 1, got 0"),
    (make_circles, {"n_samples": 0}, "n_samples must be >= 1, got 0"),
    (make_xor, {"n_samples": 0}, "n_samples must be >= 1, got 0"),
    (make_spiral, {"n_samples": 0}, "n_samples must be >= 1, got 0"),
    (make_blobs, {"n_samples": 0}, "n_samples must be >= 1, got 0"),
    (make_spiral, {"n_samples": 1, "n_classes": 2},
     "n_samples must be >= n_classes (2) so every class has a point, got 1"),
    (make_blobs, {"n_classes": 1}, "n_classes must be >= 2, got 1"),
    (make_moons, {"noise": -1.0}, "noise must be in [0, inf), got -1"),
    (make_circles, {"noise": -1.0}, "noise must be in [0, inf), got -1"),
    (make_spiral, {"noise": -1.0}, "noise must be in [0, inf), got -1"),
    (make_xor, {"noise": -1.0}, "noise must be in [0, inf), got -1"),
    (make_blobs, {"noise": -1.0}, "noise must be in [0, inf), got -1"),
    (make_circles, {"factor": 1.0}, "factor must be in [0, 1), got 1"),
])
def test_generator_errors_name_the_argument_first(make, kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make(**kwargs)


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.5, 1.5, 2.0])
def test_split_test_size_outside_the_open_unit_interval(test_size):
    X, y = make_moons(n_samples=20, seed=0)
    with pytest.raises(ValueError, match=re.escape(
            f"test_size must be in (0, 1), got {test_size:g}") + "$"):
        train_test_split(X, y, test_size=test_size)


def test_split_errors_say_which_argument():
    with pytest.raises(ValueError, match=r"^X must have at least one dimension \(one example"):
        train_test_split(np.float64(1.0), np.zeros(1))
    with pytest.raises(ValueError, match=r"^y must have at least one dimension \(one target"):
        train_test_split(np.zeros((1, 2)), np.float64(1.0))
    with pytest.raises(ValueError, match=r"^X and y must have the same number of rows, got 5 and "
                                         r"4$"):
        train_test_split(np.zeros((5, 3)), np.zeros(4))
