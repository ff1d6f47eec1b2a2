r"""From a table's columns to the arrays a network takes: standardizing, encoding, imputing.

The ``scratchnn`` command line uses the standardizer and the encoders (it reads its tables with
pandas, in :mod:`scratchnn.tables`); all of them need NumPy only and are usable on their own:

:class:`Standardizer`
    per-feature :math:`(x - \mu) / \sigma`, fitted on training data;
:class:`LabelEncoder`
    class labels (strings) to class indices ``0, ..., C - 1`` and back;
:func:`fill_value`
    the value a numeric column's missing entries (NaN) are imputed with;
:class:`OneHotEncoder`
    a text column to one 0/1 column per category seen in training.

Arrays here follow scikit-learn's orientation, like :mod:`scratchnn.datasets`: ``X`` of shape
``(m, n_features)``, one example per row. :class:`scratchnn.ClassifierNN` takes ``X.T``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Standardizer", "LabelEncoder", "IMPUTE_STRATEGIES", "fill_value", "OneHotEncoder"]


# --------------------------------------------------------------------------- standardization


def _check_matrix(X, name, n_features=None):
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array of shape (m, n_features)") from None
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{name} must have shape (m, n_features) with m >= 1, got {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features (columns), expected {n_features}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


class Standardizer:
    r"""Scale each feature to mean 0 and standard deviation 1, with statistics of the training set.

    Notes
    -----
    For feature :math:`k` with training mean :math:`\mu_k` and (population) standard deviation
    :math:`\sigma_k`:

    .. math:: x'_k = \frac{x_k - \mu_k}{\sigma_k}

    A constant feature (:math:`\sigma_k = 0`) gets :math:`\sigma_k = 1`, so it becomes 0 instead of
    0/0, as in scikit-learn's ``StandardScaler``. Features on a common scale let one learning rate
    suit every weight; the same :math:`\mu, \sigma` must be applied to any data the model sees
    later, which is why the command line saves them with the model.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
        The :math:`\sigma_k`, all > 0.
    """

    def fit(self, X):
        """Learn the per-feature mean and standard deviation of ``X``, shape ``(m, n_features)``.

        Returns
        -------
        Standardizer
            ``self``.
        """
        X = _check_matrix(X, "X")
        # Divide each column by its largest magnitude first: values near the float range would
        # overflow the sums and squares of mean and std, and the division changes neither
        # statistic beyond rounding.
        peak = np.abs(X).max(axis=0)
        peak[peak == 0] = 1.0
        unit = X / peak
        self.mean_ = unit.mean(axis=0) * peak
        scale = unit.std(axis=0) * peak
        # Tiny relative to the feature's magnitude counts as constant: such a sigma is roundoff,
        # and dividing by it would blow roundoff up to order one.
        constant = scale <= 1e-12 * np.maximum(np.abs(self.mean_), 1.0)
        self.scale_ = np.where(constant, 1.0, scale)
        return self

    @classmethod
    def from_arrays(cls, mean, scale):
        """Rebuild a fitted standardizer from saved ``mean`` and ``scale`` arrays.

        Parameters
        ----------
        mean, scale : array_like of shape (n_features,)
            Finite; every entry of ``scale`` > 0.

        Raises
        ------
        ValueError
            If the shapes differ or are not 1-D, or a value is out of range.
        """
        mean = np.asarray(mean, dtype=np.float64)
        scale = np.asarray(scale, dtype=np.float64)
        if mean.ndim != 1 or scale.shape != mean.shape or mean.size == 0:
            raise ValueError(
                f"mean and scale must be 1-D of one length, got shapes {mean.shape} and "
                f"{scale.shape}"
            )
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError("mean must be finite and scale finite and > 0")
        self = cls()
        self.mean_, self.scale_ = mean, scale
        return self

    def transform(self, X):
        """Return ``(X - mean_) / scale_`` for ``X`` of shape ``(m, n_features)``."""
        if not hasattr(self, "mean_"):
            raise ValueError("this Standardizer is not fitted yet: call fit(X) first")
        X = _check_matrix(X, "X", self.mean_.size)
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, as bad input
            standardized = (X - self.mean_) / self.scale_
        if not np.all(np.isfinite(standardized)):
            raise ValueError("X holds values too large to standardize (beyond the float range "
                             "once centred)")
        return standardized

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)


# --------------------------------------------------------------------------- labels


def _sort_key(labels):
    """Numbers in numeric order ("2" before "10") when every label is one, else text order."""
    try:
        values = [float(label) for label in labels]
    except ValueError:
        return sorted(labels)
    if not all(math.isfinite(v) for v in values):
        return sorted(labels)
    return [label for _, label in sorted(zip(values, labels))]


class LabelEncoder:
    """Map class labels (strings) to class indices ``0, ..., C - 1`` and back.

    Classes are ordered numerically when every label reads as a number (so ``"2"`` comes before
    ``"10"``), and alphabetically otherwise. For two classes, index 1 is the "positive" class a
    single sigmoid output predicts.

    Attributes
    ----------
    classes_ : list of str, length C
        The label of each class index.
    """

    def fit(self, labels):
        """Learn the classes of ``labels``, a sequence of strings.

        Returns
        -------
        LabelEncoder
            ``self``.

        Raises
        ------
        TypeError
            If a label is not a string.
        ValueError
            If ``labels`` is empty.
        """
        labels = self._check(labels)
        self.classes_ = _sort_key(set(labels))
        self._index = {label: i for i, label in enumerate(self.classes_)}
        return self

    @classmethod
    def from_classes(cls, classes):
        """Rebuild a fitted encoder from a saved ``classes_`` list (kept in the given order)."""
        classes = cls._check(classes, "classes")
        if len(set(classes)) != len(classes):
            raise ValueError(f"classes must be distinct, got {classes}")
        self = cls()
        self.classes_ = list(classes)
        self._index = {label: i for i, label in enumerate(self.classes_)}
        return self

    @staticmethod
    def _check(labels, name="labels"):
        if isinstance(labels, (str, bytes)):
            raise TypeError(f"{name} must be a sequence of strings, got a single string")
        labels = list(labels)
        if not labels:
            raise ValueError(f"{name} is empty")
        for label in labels:
            if not isinstance(label, str):
                raise TypeError(f"{name} must hold strings, got {label!r}")
        return labels

    def transform(self, labels):
        """Class index of each label: an int64 array of shape ``(m,)``.

        Raises
        ------
        ValueError
            If a label is not one of ``classes_``, naming the unknown labels.
        """
        if not hasattr(self, "classes_"):
            raise ValueError("this LabelEncoder is not fitted yet: call fit(labels) first")
        labels = self._check(labels)
        unknown = sorted(set(labels) - set(self._index))
        if unknown:
            raise ValueError(f"labels {unknown} were not seen in training; known: {self.classes_}")
        return np.array([self._index[label] for label in labels], dtype=np.int64)

    def inverse_transform(self, indices):
        """The label of each class index: a list of ``m`` strings."""
        if not hasattr(self, "classes_"):
            raise ValueError("this LabelEncoder is not fitted yet: call fit(labels) first")
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            raise TypeError("indices must be a 1-D array of integers")
        if indices.size and (indices.min() < 0 or indices.max() >= len(self.classes_)):
            raise ValueError(f"indices must be in [0, {len(self.classes_) - 1}]")
        return [self.classes_[i] for i in indices]


# --------------------------------------------------------------------------- missing values


IMPUTE_STRATEGIES = ("median", "mean", "most_frequent", "error")


def fill_value(x, strategy):
    """The value that stands in for the missing entries (NaN) of a numeric column.

    Parameters
    ----------
    x : array_like of shape (m,)
        The column on the training rows, NaN where a value is missing.
    strategy : {'median', 'mean', 'most_frequent', 'error'}
        ``most_frequent`` takes the smallest of the most frequent values; ``error`` imputes
        nothing.

    Returns
    -------
    float or None
        None for ``error``, or when ``x`` holds no value at all.

    Raises
    ------
    ValueError
        For an unknown strategy, or an infinite value in ``x``.
    """
    if strategy not in IMPUTE_STRATEGIES:
        raise ValueError(f"strategy must be one of {IMPUTE_STRATEGIES}, got {strategy!r}")
    x = np.asarray(x, dtype=np.float64).ravel()
    if np.any(np.isinf(x)):
        raise ValueError("x holds infinite values")
    present = x[~np.isnan(x)]
    if strategy == "error" or present.size == 0:
        return None
    # Scaled like Standardizer.fit, so values near the float range do not overflow the sums
    # (the median of an even count is the mean of the two middle values).
    peak = float(np.abs(present).max()) or 1.0
    if strategy == "median":
        return float(np.median(present / peak) * peak)
    if strategy == "mean":
        return float(np.mean(present / peak) * peak)
    values, counts = np.unique(present, return_counts=True)
    return float(values[np.argmax(counts)])


# --------------------------------------------------------------------------- text columns


class OneHotEncoder:
    """One 0/1 column per category of a text column; missing or unseen values encode as all zeros.

    Attributes
    ----------
    categories_ : list of str
        The distinct values seen in :meth:`fit`, sorted.
    """

    def fit(self, values):
        """Learn the categories of ``values``: a sequence of str, None marking a missing value."""
        self.categories_ = sorted({v for v in self._check(values) if v is not None})
        return self

    @classmethod
    def from_categories(cls, categories):
        """Rebuild a fitted encoder from saved categories (kept in the given order)."""
        categories = list(categories)
        if not all(isinstance(c, str) for c in categories) or len(set(categories)) != len(
                categories):
            raise ValueError("categories must be distinct strings")
        self = cls()
        self.categories_ = categories
        return self

    @staticmethod
    def _check(values):
        if isinstance(values, (str, bytes)):
            raise TypeError("values must be a sequence of strings, got a single string")
        values = list(values)
        for value in values:
            if value is not None and not isinstance(value, str):
                raise TypeError(f"values must hold strings or None, got {value!r}")
        return values

    def transform(self, values):
        """Encode ``values``: return ``(X, n_unseen)``.

        ``X`` has shape ``(m, len(categories_))``, float64, one 1 per row at its category;
        ``n_unseen`` counts the rows whose (present) value is not a known category, encoded as
        all zeros like a missing value.
        """
        if not hasattr(self, "categories_"):
            raise ValueError("this OneHotEncoder is not fitted yet: call fit(values) first")
        values = self._check(values)
        index = {c: k for k, c in enumerate(self.categories_)}
        codes = np.array([index.get(v, -1) if v is not None else -2 for v in values],
                         dtype=np.int64)
        X = np.zeros((len(values), len(self.categories_)), dtype=np.float64)
        known = codes >= 0
        X[np.flatnonzero(known), codes[known]] = 1.0
        return X, int(np.sum(codes == -1))
