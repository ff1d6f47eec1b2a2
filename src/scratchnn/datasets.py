"""Small generated 2-D datasets, NumPy only: classification (moons, circles, spiral, xor,
blobs) and regression (a plane, sine bumps).

Every generator draws from its own ``np.random.default_rng(seed)``, never from the
global ``np.random`` state, so the same ``seed`` always gives the same data and
calling a generator does not disturb anyone else's random numbers.

The data come back in scikit-learn orientation, one example per row:
``X`` of shape ``(n_samples, 2)`` and ``y`` of shape ``(n_samples,)``.
:class:`scratchnn.ClassifierNN` wants features in rows, so transpose before
training: ``nn.train(X.T, y.reshape(1, -1), ...)``.
"""

from __future__ import annotations

import math

import numpy as np

from .validation import check_float, check_int

__all__ = ["make_moons", "make_circles", "make_spiral", "make_xor", "make_blobs",
           "make_plane", "make_bumps", "train_test_split"]


# --------------------------------------------------------------------------- helpers


def _shuffle_and_add_noise(X, y, noise, rng):
    """Shuffle the rows of ``(X, y)`` together, then add N(0, noise^2) to ``X``.

    The order (shuffle first, then noise) is the one scikit-learn uses.
    """
    order = rng.permutation(X.shape[0])
    X, y = X[order], y[order]
    if noise > 0:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


# --------------------------------------------------------------------------- generators


def _class_sizes(n_samples, n_classes):
    """``n_samples`` split as evenly as possible over ``n_classes`` (the first classes get the
    remainder), after checking both; every class gets at least one point."""
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    if n_samples < n_classes:
        raise ValueError(
            f"n_samples must be >= n_classes ({n_classes}) so every class has a point, "
            f"got {n_samples}"
        )
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    return sizes


def make_moons(n_samples=1000, noise=0.1, seed=0):
    r"""Two interleaving half circles.

    The geometry is scikit-learn's ``make_moons``: the outer moon (label 0) is the
    upper half of the unit circle centred at the origin, the inner moon (label 1) the
    lower half of the unit circle centred at ``(1, 0.5)``.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1. The outer moon gets ``n_samples // 2`` of them,
        the inner moon the rest.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each coordinate, >= 0.
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
        Point coordinates, one point per row, in shuffled order.
    y : ndarray of shape (n_samples,), int64
        Label of each row of ``X``: 0 outer moon, 1 inner moon.

    Raises
    ------
    TypeError
        If ``n_samples`` is not an integer or ``noise`` is not a real number.
    ValueError
        If ``n_samples < 1`` or ``noise`` is negative or not finite.

    Notes
    -----
    With :math:`t` evenly spaced in :math:`[0, \pi]`:

    .. math::

        \text{outer: } (\cos t,\ \sin t) \qquad
        \text{inner: } (1 - \cos t,\ 1 - \sin t - 0.5)
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    noise = check_float(noise, "noise", low=0.0)
    rng = np.random.default_rng(seed)

    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t_outer), np.sin(t_outer)]),
            np.column_stack([1.0 - np.cos(t_inner), 1.0 - np.sin(t_inner) - 0.5]),
        ]
    ).astype(np.float64, copy=False)
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _shuffle_and_add_noise(X, y, noise, rng)


def make_circles(n_samples=1000, noise=0.05, factor=0.5, seed=0):
    """A small circle inside a large one.

    Same geometry as scikit-learn's ``make_circles``: the outer circle (label 0) has
    radius 1, the inner circle (label 1) radius ``factor``, both centred at the origin.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1. The outer circle gets ``n_samples // 2`` of them,
        the inner circle the rest.
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to each coordinate, >= 0.
    factor : float, default=0.5
        Radius of the inner circle relative to the outer one, in ``[0, 1)``.
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
        Point coordinates, one point per row, in shuffled order.
    y : ndarray of shape (n_samples,), int64
        Label of each row of ``X``: 0 outer circle, 1 inner circle.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_samples < 1``, ``noise < 0`` or ``factor`` is outside ``[0, 1)``.
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    noise = check_float(noise, "noise", low=0.0)
    factor = check_float(factor, "factor", low=0.0, high=1.0, high_open=True)
    rng = np.random.default_rng(seed)

    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    # endpoint=False: angle 2*pi is angle 0, which would put two points on one spot.
    t_outer = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * np.pi, n_inner, endpoint=False)
    X = np.concatenate(
        [
            np.column_stack([np.cos(t_outer), np.sin(t_outer)]),
            factor * np.column_stack([np.cos(t_inner), np.sin(t_inner)]),
        ]
    ).astype(np.float64, copy=False)
    y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n_inner, np.int64)])
    return _shuffle_and_add_noise(X, y, noise, rng)


def make_spiral(n_samples=900, n_classes=3, noise=0.2, seed=0):
    r"""Interleaved spiral arms, one per class (the CS231n spiral).

    Arm ``k`` runs from the origin out to radius 1 while its angle sweeps
    ``[4k, 4(k + 1)]`` radians; the noise jitters the angle, as in CS231n's
    "Neural Networks Case Study". No straight line separates two arms, which makes
    this a quick test that hidden layers are doing their job.

    Parameters
    ----------
    n_samples : int, default=900
        Total number of points, >= ``n_classes``. Each class gets
        ``n_samples // n_classes`` points; the first ``n_samples % n_classes``
        classes get one more.
    n_classes : int, default=3
        Number of spiral arms (classes), >= 2.
    noise : float, default=0.2
        Standard deviation (radians) of the Gaussian noise added to each angle, >= 0.
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
        Point coordinates, one point per row, in shuffled order.
    y : ndarray of shape (n_samples,), int64
        Class of each row of ``X``, in ``0 .. n_classes - 1``.

    Raises
    ------
    TypeError
        If an argument has the wrong type.
    ValueError
        If ``n_classes < 2``, ``n_samples < n_classes`` or ``noise < 0``.

    Notes
    -----
    For the :math:`i`-th of the :math:`N` points of class :math:`k`:

    .. math::

        r = \frac{i}{N - 1}, \qquad
        \theta = 4k + \frac{4 i}{N - 1} + \varepsilon,\ \varepsilon \sim
        \mathcal{N}(0, \text{noise}^2), \qquad
        x = (r \sin\theta,\ r \cos\theta)
    """
    sizes = _class_sizes(n_samples, n_classes)
    noise = check_float(noise, "noise", low=0.0)
    rng = np.random.default_rng(seed)
    X_parts, y_parts = [], []
    for k, n_k in enumerate(sizes):
        r = np.linspace(0.0, 1.0, n_k)
        theta = np.linspace(4.0 * k, 4.0 * (k + 1), n_k) + rng.normal(scale=noise, size=n_k)
        X_parts.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        y_parts.append(np.full(n_k, k, dtype=np.int64))
    X = np.concatenate(X_parts).astype(np.float64, copy=False)
    y = np.concatenate(y_parts)
    # The noise is already in the angles; shuffle only, so classes are not in blocks.
    return _shuffle_and_add_noise(X, y, 0.0, rng)


def make_xor(n_samples=1000, noise=0.1, seed=0):
    r"""Four square patches in the corners of :math:`[-1, 1]^2`, labelled by quadrant (XOR).

    Label 1 where the two coordinates have the same sign, 0 where they differ: the classic
    problem no single straight line separates.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= 1.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each coordinate, >= 0. The labels are
        those of the points before the noise, so a large noise blurs the quadrants.
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        1 where :math:`x_1 x_2 > 0`, else 0 (before the noise).

    Notes
    -----
    Each coordinate is drawn as :math:`\pm u` with :math:`u \sim U(0.1, 1)` and an even sign, so
    points keep a margin of 0.1 from the axes before the noise is added.
    """
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    noise = check_float(noise, "noise", low=0.0)
    rng = np.random.default_rng(seed)
    X = rng.uniform(0.1, 1.0, size=(n_samples, 2)) * rng.choice([-1.0, 1.0], size=(n_samples, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return _shuffle_and_add_noise(X, y, noise, rng)


def make_blobs(n_samples=1000, n_classes=3, noise=0.3, seed=0):
    r"""Gaussian blobs, one per class, centred evenly on the unit circle.

    Parameters
    ----------
    n_samples : int, default=1000
        Total number of points, >= ``n_classes``. Each class gets ``n_samples // n_classes``
        points; the first ``n_samples % n_classes`` classes get one more.
    n_classes : int, default=3
        Number of blobs (classes), >= 2.
    noise : float, default=0.3
        Standard deviation of each blob in both coordinates, >= 0.
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
    y : ndarray of shape (n_samples,), int64
        Class of each row, in ``0 .. n_classes - 1``.

    Notes
    -----
    Class :math:`k` of :math:`K` is centred at :math:`(\cos(2\pi k/K), \sin(2\pi k/K))`.
    """
    sizes = _class_sizes(n_samples, n_classes)
    noise = check_float(noise, "noise", low=0.0)
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    angles = 2.0 * np.pi * y / sizes.size
    X = np.column_stack([np.cos(angles), np.sin(angles)])
    return _shuffle_and_add_noise(X, y, noise, rng)


# --------------------------------------------------------------------------- regression


def _regression_points(n_samples, noise, seed, half_width):
    """``n_samples`` points uniform on ``[-half_width, half_width]^2``, the noise checked, and
    the generator that drew them (it draws the targets' noise next)."""
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    noise = check_float(noise, "noise", low=0.0)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-half_width, half_width, size=(n_samples, 2))
    return X, noise, rng


def _add_target_noise(y, noise, rng):
    if noise > 0:
        y = y + rng.normal(scale=noise, size=y.shape)
    return y


def make_plane(n_samples=1000, noise=0.1, seed=0):
    r"""A tilted plane to fit: a linear function of two coordinates, plus noise.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of points, >= 1.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each target, >= 0 (the points
        themselves are exact, as in the TensorFlow Playground's regression sets).
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
        Uniform on :math:`[-1, 1]^2`.
    y : ndarray of shape (n_samples,), float64
        :math:`(x_1 + x_2) / 2` plus the noise: targets in about :math:`[-1, 1]`.
    """
    X, noise, rng = _regression_points(n_samples, noise, seed, 1.0)
    return X, _add_target_noise((X[:, 0] + X[:, 1]) / 2, noise, rng)


def make_bumps(n_samples=1000, noise=0.1, seed=0):
    r"""Sine bumps to fit: :math:`\sin x_1 \cos x_2` on :math:`[-3, 3]^2`, plus noise.

    Two hills and two valleys (and the edges of four more): a function no straight plane fits,
    which a small network with curved activations learns.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of points, >= 1.
    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to each target, >= 0.
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same data.

    Returns
    -------
    X : ndarray of shape (n_samples, 2), float64
        Uniform on :math:`[-3, 3]^2`.
    y : ndarray of shape (n_samples,), float64
        :math:`\sin x_1 \cos x_2` plus the noise: targets in about :math:`[-1, 1]`.
    """
    X, noise, rng = _regression_points(n_samples, noise, seed, 3.0)
    return X, _add_target_noise(np.sin(X[:, 0]) * np.cos(X[:, 1]), noise, rng)


# --------------------------------------------------------------------------- splitting


def train_test_split(X, y, test_size=0.3, seed=0):
    """Split ``(X, y)`` into random train and test parts.

    Parameters
    ----------
    X : array_like of shape (n_samples, ...)
        Examples, one per row (scikit-learn orientation).
    y : array_like of shape (n_samples,) or (n_samples, ...)
        Targets, one per row of ``X``.
    test_size : float, default=0.3
        Fraction of the examples that go to the test part, in ``(0, 1)``. The test
        part gets ``ceil(test_size * n_samples)`` rows, as in scikit-learn.
    seed : int, numpy.random.Generator or None, default=0
        Seed for ``np.random.default_rng``; the same seed gives the same split.

    Returns
    -------
    X_train : ndarray of shape (n_train, ...)
    X_test : ndarray of shape (n_test, ...)
    y_train : ndarray of shape (n_train, ...)
    y_test : ndarray of shape (n_test, ...)
        With ``n_test = ceil(test_size * n_samples)`` and ``n_train = n_samples - n_test``.

    Raises
    ------
    TypeError
        If ``test_size`` is not a real number.
    ValueError
        If ``X`` or ``y`` is 0-d, their lengths differ, ``test_size`` is outside
        ``(0, 1)``, or either part would be empty.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0:
        raise ValueError("X must have at least one dimension (one example per row)")
    if y.ndim == 0:
        raise ValueError("y must have at least one dimension (one target per row)")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y must have the same number of rows, got {X.shape[0]} and {y.shape[0]}"
        )
    test_size = check_float(
        test_size, "test_size", low=0.0, high=1.0, low_open=True, high_open=True
    )

    n_samples = X.shape[0]
    n_test = math.ceil(test_size * n_samples)
    n_train = n_samples - n_test
    if n_train < 1 or n_test < 1:
        raise ValueError(
            f"test_size={test_size} with {n_samples} samples leaves {n_train} for training "
            f"and {n_test} for testing; both need at least one"
        )
    # Permute indices rather than the arrays themselves: one small int array,
    # and X and y are each copied exactly once by the fancy indexing below.
    order = np.random.default_rng(seed).permutation(n_samples)
    test_idx, train_idx = order[:n_test], order[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]
