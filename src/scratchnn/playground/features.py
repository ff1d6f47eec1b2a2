"""The input features a page may feed the network: x1 and x2, and crosses of them.

As in the TensorFlow Playground, the network's inputs may be x1, x2, x1², x2², x1·x2, sin x1
and sin x2 of each point (any non-empty choice). Each feature is one NumPy expression over the
points ``X`` of shape ``(m, 2)``, kept here as its source text: the session computes it with that
code and the exported script writes the same code out, so both compute the same numbers bit for
bit.
"""

import numpy as np

__all__ = ["DEFAULT_FEATURES", "FEATURES", "feature_code", "feature_matrix"]

FEATURES = {
    "x1": ("x1", "X[:, 0]"),
    "x2": ("x2", "X[:, 1]"),
    "x1_sq": ("x1²", "X[:, 0] ** 2"),
    "x2_sq": ("x2²", "X[:, 1] ** 2"),
    "x1_x2": ("x1·x2", "X[:, 0] * X[:, 1]"),
    "sin_x1": ("sin x1", "np.sin(X[:, 0])"),
    "sin_x2": ("sin x2", "np.sin(X[:, 1])"),
}
"""Each feature's name: (its label on the page, its NumPy expression over ``X``)."""

DEFAULT_FEATURES = ("x1", "x2")
"""The plain inputs: the points as they are."""


def feature_code(names):
    """The expression of ``np.column_stack`` over the features ``names`` (source text)."""
    return "np.column_stack([" + ", ".join(FEATURES[name][1] for name in names) + "])"


def feature_matrix(X, names):
    """The features ``names`` of the points ``X`` (shape ``(m, 2)``): shape ``(m, len(names))``.

    The plain inputs are ``X`` itself; any other choice is :func:`feature_code` evaluated.
    """
    if tuple(names) == DEFAULT_FEATURES:
        return X
    return eval(feature_code(names), {"np": np, "__builtins__": {}}, {"X": X})  # noqa: S307
