"""Standardization, label encoding, imputation and one-hot encoding (scratchnn.preprocessing)."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from scratchnn.preprocessing import (
    LabelEncoder,
    OneHotEncoder,
    Standardizer,
    fill_value,
)


# ----------------------------------------------------------------------------- Standardizer
def test_standardizer_gives_mean_zero_and_unit_deviation():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3)) * [1.0, 10.0, 0.01] + [5.0, -3.0, 100.0]
    scaler = Standardizer().fit(X)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-9)  # 100 +- 0.01: roundoff
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-9)
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0))
    np.testing.assert_array_equal(scaler.fit_transform(X), Z)


def test_constant_feature_becomes_zero_not_nan():
    X = np.array([[1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    scaler = Standardizer().fit(X)
    assert scaler.scale_[1] == 1.0
    np.testing.assert_array_equal(scaler.transform(X)[:, 1], 0.0)


def test_from_arrays_round_trip_and_checks():
    scaler = Standardizer.from_arrays([1.0, 2.0], [0.5, 4.0])
    np.testing.assert_array_equal(scaler.transform([[2.0, 6.0]]), [[2.0, 1.0]])
    with pytest.raises(ValueError, match="1-D of one length"):
        Standardizer.from_arrays([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="scale finite and > 0"):
        Standardizer.from_arrays([1.0], [0.0])


@pytest.mark.parametrize(("X", "error", "match"), [
    (np.zeros(3), ValueError, r"shape \(m, n_features\)"),
    (np.zeros((0, 2)), ValueError, "m >= 1"),
    ([[1.0, np.nan]], ValueError, "NaN"),
    ([["a", "b"]], TypeError, "numeric"),
])
def test_standardizer_rejects_bad_X(X, error, match):
    with pytest.raises(error, match=match):
        Standardizer().fit(X)


def test_standardizer_transform_checks():
    with pytest.raises(ValueError, match="not fitted"):
        Standardizer().transform([[1.0]])
    scaler = Standardizer().fit([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="has 3 features"):
        scaler.transform([[1.0, 2.0, 3.0]])


# ----------------------------------------------------------------------------- LabelEncoder
def test_labels_sorted_alphabetically_and_round_trip():
    labels = ["virginica", "setosa", "versicolor", "setosa"]
    encoder = LabelEncoder().fit(labels)
    assert encoder.classes_ == ["setosa", "versicolor", "virginica"]
    y = encoder.transform(labels)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, [2, 0, 1, 0])
    assert encoder.inverse_transform(y) == labels


def test_numeric_labels_sorted_as_numbers():
    encoder = LabelEncoder().fit(["10", "2", "-1", "2.5"])
    assert encoder.classes_ == ["-1", "2", "2.5", "10"]
    assert LabelEncoder().fit(["10", "2", "x"]).classes_ == ["10", "2", "x"]  # text order


def test_unknown_labels_are_named():
    encoder = LabelEncoder().fit(["a", "b"])
    with pytest.raises(ValueError, match=r"labels \['c', 'd'\] were not seen"):
        encoder.transform(["a", "d", "c"])


def test_label_encoder_errors():
    with pytest.raises(ValueError, match="empty"):
        LabelEncoder().fit([])
    with pytest.raises(TypeError, match="single string"):
        LabelEncoder().fit("abc")
    with pytest.raises(TypeError, match="must hold strings"):
        LabelEncoder().fit([1, 2])
    with pytest.raises(ValueError, match="not fitted"):
        LabelEncoder().transform(["a"])
    encoder = LabelEncoder.from_classes(["b", "a"])
    assert encoder.classes_ == ["b", "a"]  # kept in the given order
    with pytest.raises(ValueError, match="distinct"):
        LabelEncoder.from_classes(["a", "a"])
    with pytest.raises(ValueError, match=r"indices must be in \[0, 1\]"):
        encoder.inverse_transform(np.array([2]))
    with pytest.raises(TypeError, match="integers"):
        encoder.inverse_transform(np.array([0.5]))


def test_standardizer_handles_values_near_the_float_range():
    X = np.array([[0.0, 1e154], [0.0, -1e154], [1.0, 1e308], [2.0, 0.0]])
    with np.errstate(all="raise"):  # nothing may overflow
        fitted = Standardizer().fit(X)
    assert np.all(np.isfinite(fitted.mean_)) and np.all(np.isfinite(fitted.scale_))
    np.testing.assert_allclose(fitted.mean_, X.mean(axis=0, dtype=np.longdouble), rtol=1e-12)
    with pytest.raises(ValueError, match="too large to standardize"):
        fitted.transform(np.array([[0.0, -1.7e308]]))


# ----------------------------------------------------------------------------- missing values
@pytest.mark.parametrize(("strategy", "expected"), [
    ("median", 2.0), ("mean", 13 / 5), ("most_frequent", 1.0), ("error", None),
])
def test_fill_value_strategies_ignore_missing_entries(strategy, expected):
    x = [1.0, np.nan, 1.0, 2.0, 3.0, 6.0, np.nan]
    assert fill_value(x, strategy) == (None if expected is None else pytest.approx(expected))


def test_fill_value_of_a_column_without_values_is_none():
    assert fill_value([np.nan, np.nan], "median") is None


def test_fill_value_checks():
    with pytest.raises(ValueError, match="strategy must be one of"):
        fill_value([1.0], "max")
    with pytest.raises(ValueError, match="infinite"):
        fill_value([1.0, np.inf], "mean")
    for strategy in ("mean", "median"):  # no overflow in the sums
        assert fill_value([1e308, 1e308], strategy) == 1e308


# ----------------------------------------------------------------------------- one-hot
def test_one_hot_sorted_categories_and_zeros_for_missing_or_unseen():
    encoder = OneHotEncoder().fit(["red", None, "blue", "red"])
    assert encoder.categories_ == ["blue", "red"]
    X, unseen = encoder.transform(["red", "blue", None, "green"])
    np.testing.assert_array_equal(X, [[0, 1], [1, 0], [0, 0], [0, 0]])
    assert unseen == 1  # green; the missing value is not counted
    again = OneHotEncoder.from_categories(encoder.categories_)
    np.testing.assert_array_equal(again.transform(["blue"])[0], [[1, 0]])


def test_one_hot_errors():
    with pytest.raises(ValueError, match="not fitted"):
        OneHotEncoder().transform(["a"])
    with pytest.raises(TypeError, match="single string"):
        OneHotEncoder().fit("abc")
    with pytest.raises(TypeError, match="strings or None"):
        OneHotEncoder().fit(["a", 3])
    with pytest.raises(ValueError, match="distinct strings"):
        OneHotEncoder.from_categories(["a", "a"])


# ----------------------------------------------------------------------------- edges and messages
def test_an_all_zero_feature_is_constant():
    X = np.array([[0.0, 1.0], [0.0, 3.0]])
    scaler = Standardizer().fit(X)
    np.testing.assert_array_equal(scaler.mean_, [0.0, 2.0])
    np.testing.assert_array_equal(scaler.scale_, [1.0, 1.0])
    np.testing.assert_array_equal(scaler.transform(X), [[0.0, -1.0], [0.0, 1.0]])


def test_a_spread_of_one_trillionth_of_the_magnitude_counts_as_constant():
    # The threshold: a standard deviation up to 1e-12 times max(|mean|, 1) is roundoff.
    at = Standardizer().fit([[1e-12], [-1e-12]])   # mean 0, std exactly 1e-12
    assert at.scale_.tolist() == [1.0]
    above = Standardizer().fit([[1.5e-12], [-1.5e-12]])   # std 1.5e-12 around a mean of 0
    assert above.scale_.tolist() == [1.5e-12]
    np.testing.assert_allclose(above.transform([[1.5e-12], [-1.5e-12]]), [[1.0], [-1.0]])


def test_from_arrays_keeps_float64_like_a_fitted_standardizer():
    scaler = Standardizer.from_arrays([1, 2], [2, 4])
    fitted = Standardizer().fit([[-1.0, -2.0], [3.0, 6.0]])
    for restored, original in ((scaler.mean_, fitted.mean_), (scaler.scale_, fitted.scale_)):
        assert restored.dtype == original.dtype == np.float64
        np.testing.assert_array_equal(restored, original)


def test_standardizer_messages_name_X():
    with pytest.raises(ValueError, match=r"^X contains NaN or infinite values$"):
        Standardizer().fit([[1.0, np.nan]])
    with pytest.raises(ValueError, match=r"^this Standardizer is not fitted yet: call fit\(X\) "
                                         r"first$"):
        Standardizer().transform([[1.0]])
    scaler = Standardizer().fit([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match=r"^X has 3 features \(columns\), expected 2$"):
        scaler.transform([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"^X holds values too large to standardize \(beyond "
                                         r"the float range once centred\)$"):
        Standardizer.from_arrays([1.7e308], [1.0]).transform([[-1.7e308]])
    with pytest.raises(ValueError, match=r"^mean must be finite and scale finite and > 0$"):
        Standardizer.from_arrays([np.inf], [1.0])


def test_labels_with_non_finite_numbers_sort_as_text():
    assert LabelEncoder().fit(["nan", "2", "10", "inf"]).classes_ == ["10", "2", "inf", "nan"]


def test_label_encoder_from_classes_encodes_and_names_its_argument():
    encoder = LabelEncoder.from_classes(["b", "a"])
    np.testing.assert_array_equal(encoder.transform(["a", "b", "a"]), [1, 0, 1])
    with pytest.raises(ValueError, match=r"^classes is empty$"):
        LabelEncoder.from_classes([])
    with pytest.raises(TypeError, match=r"^classes must hold strings, got 1$"):
        LabelEncoder.from_classes(["a", 1])
    with pytest.raises(ValueError, match=r"^labels is empty$"):
        LabelEncoder().fit([])


@pytest.mark.parametrize("indices", [np.array([0.0, 1.0]), np.array([[0, 1]])])
def test_inverse_transform_wants_a_1d_integer_array(indices):
    encoder = LabelEncoder().fit(["a", "b"])
    with pytest.raises(TypeError, match=r"^indices must be a 1-D array of integers$"):
        encoder.inverse_transform(indices)


@pytest.mark.parametrize("method", ["transform", "inverse_transform"])
def test_label_encoder_not_fitted_message(method):
    with pytest.raises(ValueError, match=r"^this LabelEncoder is not fitted yet: call "
                                         r"fit\(labels\) first$"):
        getattr(LabelEncoder(), method)(["a"] if method == "transform" else np.array([0]))


def test_fill_value_most_frequent_is_not_the_smallest_value():
    assert fill_value([1.0, 2.0, 2.0, np.nan, 3.0], "most_frequent") == 2.0
    with pytest.raises(ValueError, match=r"^x holds infinite values$"):
        fill_value([1.0, -np.inf], "median")


def test_fill_value_reads_any_sequence_of_numbers_as_floats():
    # None marks a missing entry here as in OneHotEncoder (NumPy reads it as NaN); exact numbers
    # such as Decimal and Fraction are read as floats.
    assert fill_value([1.0, None, 4.0, None], "mean") == 2.5
    assert fill_value([Decimal("0.5"), Fraction(3, 2), Fraction(3, 2)], "median") == 1.5


def test_one_hot_counts_unseen_values_not_missing_ones_nor_a_category():
    encoder = OneHotEncoder().fit(["a", "b"])
    X, unseen = encoder.transform(["b", "b", "c", None, None])
    np.testing.assert_array_equal(X, [[0, 1], [0, 1], [0, 0], [0, 0], [0, 0]])
    assert unseen == 1  # "c": not the two missing values, not the two rows of category 1


def test_one_hot_of_no_rows():
    X, unseen = OneHotEncoder().fit(["a", "b"]).transform([])
    assert X.shape == (0, 2) and X.dtype == np.float64 and unseen == 0


def test_one_hot_messages():
    with pytest.raises(ValueError, match=r"^this OneHotEncoder is not fitted yet: call "
                                         r"fit\(values\) first$"):
        OneHotEncoder().transform(["a"])
    with pytest.raises(TypeError, match=r"^values must be a sequence of strings, got a single "
                                        r"string$"):
        OneHotEncoder().fit("abc")
    with pytest.raises(ValueError, match=r"^categories must be distinct strings$"):
        OneHotEncoder.from_categories(["a", 1])
