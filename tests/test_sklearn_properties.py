"""NNClassifier and NNRegressor on generated inputs: a correct fit and prediction, or an error naming the input.

As in test_properties.py: any dtype, shape, NaN/inf, empty arrays, mismatched sizes, labels of
any kind, SciPy sparse matrices of any of these, and out-of-range hyperparameters; ``ValueError``/``TypeError`` whose message names the
argument at fault, or a correct result, and nothing else (no NumPy internals, no NaN output, no
RuntimeWarning).
"""

import functools
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

pytest.importorskip("sklearn")
from scipy import sparse  # noqa: E402  (scikit-learn depends on SciPy)

from scratchnn.sklearn import NNClassifier, NNRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
NASTY = st.one_of(st.none(), st.text(max_size=2), st.floats(allow_nan=True), st.integers(-3, 0),
                  st.booleans(), st.lists(st.integers(-1, 3), max_size=2))


def mostly(valid, invalid, one_in=10):
    return st.integers(0, one_in - 1).flatmap(lambda i: invalid if i == 0 else valid)


# The array strategies are made once and drawn from many times (functools.cache): a strategy
# made afresh inside a composite or a flatmap is validated afresh on every draw, which took much
# of these tests' time. The examples drawn are the same either way.
@functools.cache
def _arrays(dtype, shapes):
    return hnp.arrays(dtype, shapes)


@functools.cache
def any_array(max_dims=3):
    shapes = hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=5)
    dtypes = st.sampled_from([np.bool_, np.int8, np.int64, np.float16, np.float32, np.float64,
                              np.complex128])
    return st.one_of(dtypes.flatmap(lambda dt: _arrays(dt, shapes)),
                     hnp.arrays(hnp.unicode_string_dtypes(max_len=2), shapes))


@st.composite
def maybe_sparse(draw, arrays):
    """An array of ``arrays`` or, now and then, a sparse matrix of it in CSR, CSC or COO format
    (for the shapes and dtypes SciPy's sparse formats hold: 2-D, not float16 or strings)."""
    X = draw(arrays)
    to_format = draw(st.sampled_from([None, None, "csr", "csc", "coo"]))
    if to_format is None or X.ndim != 2 or X.dtype.kind not in "biufc" or X.dtype == np.float16:
        return X
    return sparse.coo_matrix(X).asformat(to_format)


@st.composite
def data(draw):
    n = draw(st.integers(2, 12))
    d = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    kind = draw(st.sampled_from(["int", "str", "bool", "float", "multilabel"]))
    n_classes = draw(st.integers(2, 3))
    codes = np.arange(n) % n_classes  # every class present
    rng.shuffle(codes)
    y = {"int": codes * 7 - 3, "str": np.array(["ant", "bee", "cat"])[codes],
         "bool": codes % 2 == 0, "float": codes * 0.5,
         "multilabel": np.stack([codes % 2, (codes + 1) % 2], axis=1)}[kind]
    return draw(mostly(st.tuples(maybe_sparse(st.just(X)), st.just(y)),
                       st.one_of(st.tuples(maybe_sparse(any_array()), st.just(y)),
                                 st.tuples(st.just(X), any_array()),
                                 st.tuples(any_array(), any_array())), one_in=3))


PARAMS = st.fixed_dictionaries({
    "hidden_layer_sizes": mostly(st.sampled_from([(4,), (3, 2), ()]),
                                 st.one_of(st.just((0,)), st.just((-1,)), NASTY)),
    "activation": mostly(st.sampled_from(["relu", "tanh", "logistic"]), st.just("swish")),
    "optimizer": mostly(st.sampled_from(["adam", "gd", "momentum", "rmsprop"]), NASTY),
    "learning_rate": mostly(st.sampled_from([0.01, 0.1]), NASTY),
    "batch_size": mostly(st.sampled_from(["auto", 2, 5]), NASTY),
    "max_epochs": mostly(st.integers(1, 2), NASTY),
    "l2": mostly(st.sampled_from([0.0, 0.1]), NASTY),
    "dropout": mostly(st.sampled_from([0.0, 0.2]), st.one_of(st.just(1.0), NASTY)),
    "batch_norm": mostly(st.booleans(), NASTY),
    "early_stopping": st.just(False),
    "class_weight": mostly(st.sampled_from([None, "balanced"]), st.just("heavy")),
    "random_state": mostly(st.sampled_from([None, 0, 3]), st.just("seed")),
})

NAMES = ["X", "y", "hidden_layer_sizes", "activation", "optimizer", "learning_rate",
         "batch_size", "max_epochs", "l2", "dropout", "batch_norm", "class_weight",
         "random_state", "classes", "sample_weight"]


def assert_names(exc, names=NAMES):
    event(f"rejected with {type(exc).__name__}")
    message = str(exc)
    # a whole identifier, so that "X" inside "X_train" or "MAX" does not count
    assert any(re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message) for name in names), (
        f"{type(exc).__name__}: {message!r} names none of {names}")


def check_fitted(clf, X):
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    labels = clf.predict(X)
    assert len(labels) == X.shape[0]
    if sparse.issparse(X):  # sparse input predicts what its dense array does
        event("predicted sparse X")
        rtol = 1e-5 if clf.network_.compute_dtype == np.float32 else 1e-10
        np.testing.assert_allclose(proba, clf.predict_proba(X.toarray()), rtol=rtol)
    if np.ndim(labels) == 1:
        assert set(labels.tolist()) <= set(clf.classes_.tolist())


@SETTINGS
@given(xy=data(), params=PARAMS)
def test_fit_and_predict(xy, params):
    X, y = xy
    clf = NNClassifier(**params)
    try:
        clf.fit(X, y)
    except (ValueError, TypeError) as exc:
        assert_names(exc)
        return
    event("fitted")
    check_fitted(clf, X if sparse.issparse(X) else np.asarray(X))


@SETTINGS
@given(xy=data(), params=PARAMS, X_new=mostly(st.none(), maybe_sparse(any_array()), one_in=2))
def test_partial_fit_and_predict(xy, params, X_new):
    X, y = xy
    clf = NNClassifier(**{**params, "class_weight": None})
    try:
        y_arr = np.asarray(y)
        classes = np.unique(y_arr) if y_arr.ndim == 1 and y_arr.size else None
        clf.partial_fit(X, y, classes=classes)
        clf.partial_fit(X, y)
    except (ValueError, TypeError) as exc:
        assert_names(exc)
        return
    event("partially fitted")
    if X_new is None:
        check_fitted(clf, X if sparse.issparse(X) else np.asarray(X))
        return
    try:
        clf.predict(X_new)
    except (ValueError, TypeError) as exc:
        assert_names(exc)
        return
    event("predicted on new data")
    check_fitted(clf, X_new)


@pytest.mark.parametrize("params, name", [({"dropout": None}, "dropout"),
                                          ({"random_state": "seed"}, "random_state")])
def test_found_by_the_whole_word_check(params, name):
    """Two errors that passed the old substring check only through the "y" of "numpy" and
    "NoneType": neither named the argument."""
    X, y = np.random.default_rng(0).standard_normal((6, 2)), np.arange(6) % 2
    with pytest.raises((ValueError, TypeError)) as excinfo:
        NNClassifier(hidden_layer_sizes=(3,), max_epochs=1, **params).fit(X, y)
    assert re.match(rf"{name}\b", str(excinfo.value)), str(excinfo.value)


# ---------------------------------------------------------------------------- NNRegressor
@st.composite
def regression_data(draw):
    """Finite targets of any scale (1-D, or 2-D of one or two columns), or bad inputs."""
    n = draw(st.integers(2, 12))
    d = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    X = rng.standard_normal((n, d))
    scale = draw(st.sampled_from([1e-6, 1.0, 1e6]))
    shape = draw(st.sampled_from([(n,), (n, 1), (n, 2)]))
    y = rng.standard_normal(shape) * scale + draw(st.sampled_from([0.0, 1e3]))
    if draw(st.booleans()):
        y = np.round(y).astype(np.int64)  # integer targets, possibly constant
    return draw(mostly(st.tuples(maybe_sparse(st.just(X)), st.just(y)),
                       st.one_of(st.tuples(maybe_sparse(any_array()), st.just(y)),
                                 st.tuples(st.just(X), any_array()),
                                 st.tuples(any_array(), any_array())), one_in=3))


def regression_params():
    """NNClassifier's generated parameters, less class_weight, plus loss and huber_delta."""
    return st.tuples(PARAMS, mostly(st.sampled_from(["squared_error", "huber"]), NASTY),
                     mostly(st.sampled_from([0.5, 1.0]), NASTY)).map(
        lambda t: {**{k: v for k, v in t[0].items() if k != "class_weight"},
                   "loss": t[1], "huber_delta": t[2]})


REGRESSION_NAMES = [name for name in NAMES if name not in ("class_weight", "classes")] + [
    "loss", "huber_delta"]


def check_regression(model, X, y_shape):
    predicted = model.predict(X)
    assert predicted.dtype == np.float64 and np.all(np.isfinite(predicted))
    expected = (X.shape[0],) if len(y_shape) == 1 else (X.shape[0], y_shape[1])
    assert predicted.shape == expected
    if sparse.issparse(X):
        rtol = 1e-5 if model.network_.compute_dtype == np.float32 else 1e-10
        np.testing.assert_allclose(predicted, model.predict(X.toarray()), rtol=rtol,
                                   atol=rtol * float(np.max(model.y_scale_)))


@SETTINGS
@given(xy=regression_data(), params=regression_params())
def test_regressor_fit_and_predict(xy, params):
    X, y = xy
    model = NNRegressor(**params)
    try:
        model.fit(X, y)
    except (ValueError, TypeError) as exc:
        assert_names(exc, REGRESSION_NAMES)
        return
    event("fitted")
    check_regression(model, X if sparse.issparse(X) else np.asarray(X), np.shape(y))


@SETTINGS
@given(xy=regression_data(), params=regression_params(),
       X_new=mostly(st.none(), maybe_sparse(any_array()), one_in=2))
def test_regressor_partial_fit_and_predict(xy, params, X_new):
    X, y = xy
    model = NNRegressor(**params)
    try:
        model.partial_fit(X, y)
        model.partial_fit(X, y)
    except (ValueError, TypeError) as exc:
        assert_names(exc, REGRESSION_NAMES)
        return
    event("partially fitted")
    if X_new is None:
        check_regression(model, X if sparse.issparse(X) else np.asarray(X), np.shape(y))
        return
    try:
        model.predict(X_new)
    except (ValueError, TypeError) as exc:
        assert_names(exc, REGRESSION_NAMES)
        return
    event("predicted on new data")
    check_regression(model, X_new, np.shape(y))
