"""Every bad input to a public entry point of ``ClassifierNN`` raises a named, useful error.

A bad argument must raise ``TypeError`` (wrong kind) or ``ValueError`` (right kind, wrong value)
whose message names the argument: never a bare NumPy error from deep inside, never a silent NaN.
Training that diverges raises ``DivergenceError`` with the model left finite, and extreme but
finite inputs give finite probabilities and costs without a RuntimeWarning (the suite runs with
``-W error::RuntimeWarning``).
"""

import dataclasses
import re
import warnings

import numpy as np
import pytest

from scratchnn import ClassifierNN, DivergenceError
from scratchnn.network import LayerCache
from scratchnn.validation import check_X

N_FEATURES = 3
M = 12


# ---------------------------------------------------------------------------------- helpers
def make_X(m=M, n=N_FEATURES, seed=0):
    return np.random.default_rng(seed).standard_normal((n, m))


def binary_labels(X):
    return (X[0:1] + 0.5 * X[1:2] > 0).astype(np.float64)


def sparse_labels(X, n_classes=3):
    return (np.argmax(X[:n_classes], axis=0) % n_classes).reshape(1, -1)


def one_hot(y, n_classes=3):
    Y = np.zeros((n_classes, y.shape[1]))
    Y[y[0], np.arange(y.shape[1])] = 1.0
    return Y


def sigmoid_net(**kwargs):
    return ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"], seed=0, **kwargs)


def softmax_net(**kwargs):
    return ClassifierNN([N_FEATURES, 4, 3], ["tanh", "softmax"], seed=0, **kwargs)


def quiet_train(nn, X, Y, **kwargs):
    kwargs.setdefault("num_epochs", 2)
    kwargs.setdefault("print_cost", False)
    return nn.train(X, Y, **kwargs)


def all_finite(nn):
    return all(np.all(np.isfinite(v)) for v in nn.parameters.values()) and all(
        np.all(np.isfinite(v)) for v in nn.bn_state.values()
    )


# ---------------------------------------------------------------------------------- constructor
@pytest.mark.parametrize(
    "layer_dims, error, match",
    [
        (5, TypeError, "layer_dims"),
        ("3, 4, 1", TypeError, "layer_dims"),
        (None, TypeError, "layer_dims"),
        ([3], ValueError, "layer_dims must have at least 2"),
        ([], ValueError, "layer_dims must have at least 2"),
        ([3, 0, 1], ValueError, re.escape("layer_dims[1] must be >= 1")),
        ([0, 4, 1], ValueError, re.escape("layer_dims[0] must be >= 1")),
        ([3, -4, 1], ValueError, re.escape("layer_dims[1] must be >= 1")),
        ([3, 4.0, 1], TypeError, re.escape("layer_dims[1] must be an integer")),
        ([3, 4, 1.5], TypeError, re.escape("layer_dims[2] must be an integer")),
        ([3, True, 1], TypeError, re.escape("layer_dims[1] must be an integer")),
        ([3, 4, np.True_], TypeError, re.escape("layer_dims[2] must be an integer")),
        ([3, "4", 1], TypeError, re.escape("layer_dims[1] must be an integer")),
    ],
)
def test_constructor_rejects_bad_layer_dims(layer_dims, error, match):
    with pytest.raises(error, match=match):
        ClassifierNN(layer_dims, ["relu", "sigmoid"])


def test_constructor_accepts_numpy_integers():
    nn = ClassifierNN(np.array([3, 4, 1]), ["relu", "sigmoid"], seed=np.int64(3))
    assert nn.layer_dims == [3, 4, 1]
    assert all(type(n) is int for n in nn.layer_dims)


@pytest.mark.parametrize(
    "activations, error, match",
    [
        ("relu", TypeError, "activations must be a list"),
        (None, TypeError, "activations must be a list"),
        (["sigmoid"], ValueError, "activations must have one entry per layer"),
        (["relu", "relu", "sigmoid"], ValueError, "activations must have one entry per layer"),
        (["swish", "sigmoid"], ValueError, r"unknown activation 'swish'.*relu.*sigmoid.*tanh"),
        (["relu", "sigmod"], ValueError, r"unknown activation 'sigmod'.*softmax"),
        ([1, "sigmoid"], TypeError, "activation must be a string"),
        (["relu", None], TypeError, "activation must be a string"),
        (["relu", "relu"], ValueError, r"output activation must be one of \['sigmoid', 'softmax'\]"),
        (["relu", "tanh"], ValueError, "output activation must be one of"),
        (["relu", "linear"], ValueError, "output activation must be one of"),
        (["relu", "leaky_relu"], ValueError, "output activation must be one of"),
    ],
)
def test_constructor_rejects_bad_activations(activations, error, match):
    with pytest.raises(error, match=match):
        ClassifierNN([N_FEATURES, 4, 1], activations)


def test_unknown_activation_lists_every_valid_name():
    with pytest.raises(ValueError) as info:
        ClassifierNN([N_FEATURES, 4, 1], ["gelu", "sigmoid"])
    for name in ("sigmoid", "relu", "tanh", "softmax", "leaky_relu", "linear"):
        assert repr(name) in str(info.value)


def test_softmax_output_needs_two_units():
    with pytest.raises(ValueError, match=r"softmax output needs at least 2 units"):
        ClassifierNN([N_FEATURES, 4, 1], ["relu", "softmax"])


@pytest.mark.parametrize(
    "method, error, match",
    [
        ("glorot", ValueError, r"unknown initialization_method 'glorot'.*he.*random.*xavier"),
        ("", ValueError, "initialization_method"),
        (None, TypeError, "initialization_method must be a string"),
        (2, TypeError, "initialization_method must be a string"),
    ],
)
def test_constructor_rejects_bad_initialization_method(method, error, match):
    with pytest.raises(error, match=match):
        ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"], method)


@pytest.mark.parametrize("batch_norm", [1, 0, "yes", None, 1.0])
def test_constructor_rejects_non_bool_batch_norm(batch_norm):
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"], batch_norm=batch_norm)


@pytest.mark.parametrize(
    "seed, error, match",
    [
        (-1, ValueError, "seed must be >= 0"),
        (1.0, TypeError, "seed must be an integer"),
        (0.5, TypeError, "seed must be an integer"),
        ("0", TypeError, "seed must be an integer"),
        (True, TypeError, "seed must be an integer"),
    ],
)
def test_constructor_rejects_bad_seed(seed, error, match):
    with pytest.raises(error, match=match):
        ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"], seed=seed)


@pytest.mark.parametrize(
    "dtype, error",
    [
        ("int32", ValueError),
        ("float16", ValueError),
        (np.int64, ValueError),
        ("complex128", ValueError),
        (object, ValueError),
        ("garbage", TypeError),
        (5, TypeError),
        ([1, 2], TypeError),
    ],
)
def test_constructor_rejects_bad_dtype(dtype, error):
    with pytest.raises(error, match=r"dtype must be None, 'float32' or 'float64'"):
        ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"], dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", np.float64, np.dtype("float32"), None])
def test_constructor_accepts_float_dtypes(dtype):
    nn = ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"], dtype=dtype)
    expected = np.dtype(np.float64) if dtype is None else np.dtype(dtype)
    assert nn.compute_dtype == expected


# ---------------------------------------------------------------------------------- train: X
def bad_X_cases():
    X = make_X()
    nan_X = X.copy()
    nan_X[1, 4] = np.nan
    inf_X = X.copy()
    inf_X[0, 0] = -np.inf
    return [
        pytest.param(X[0], ValueError, "X must be a 2-D array", id="1-D"),
        pytest.param(X[None], ValueError, "X must be a 2-D array", id="3-D"),
        pytest.param(np.float64(1.0), ValueError, "X must be a 2-D array", id="scalar"),
        pytest.param(X[:2], ValueError, r"X has 2 rows \(features\) but the network expects 3",
                     id="too-few-features"),
        pytest.param(np.vstack([X, X]), ValueError, "X has 6 rows", id="too-many-features"),
        pytest.param(np.empty((N_FEATURES, 0)), ValueError, "X is empty", id="no-columns"),
        pytest.param(nan_X, ValueError, "X contains NaN or infinite values", id="nan"),
        pytest.param(inf_X, ValueError, "X contains NaN or infinite values", id="inf"),
        pytest.param(np.where(X > 0, np.inf, X), ValueError, "X contains NaN or infinite values",
                     id="plus-inf"),
        pytest.param(np.where(X > 0, np.inf, -np.inf), ValueError,
                     "X contains NaN or infinite values", id="both-infs"),
        pytest.param(np.where(X > 0, 3e38, np.inf).astype(np.float32), ValueError,
                     "X contains NaN or infinite values", id="inf-among-huge"),
        pytest.param(X + 1j, TypeError, "X must hold real numbers", id="complex"),
        pytest.param(X.astype(str), TypeError, "X must hold real numbers", id="strings"),
        pytest.param(np.full((N_FEATURES, M), "a"), TypeError, "X must hold real numbers",
                     id="letters"),
        pytest.param(np.full((N_FEATURES, M), None, dtype=object), ValueError,
                     "X contains NaN", id="object-None"),
        pytest.param(np.full((N_FEATURES, M), "abc", dtype=object), TypeError,
                     "X must hold numbers", id="object-strings"),
        pytest.param(np.full((N_FEATURES, M), {}, dtype=object), TypeError,
                     "X must hold numbers", id="object-dicts"),
        pytest.param([[1.0, 2.0], [3.0]], TypeError, "X must be a numeric array",
                     id="ragged-list"),
    ]


@pytest.mark.parametrize("X, error, match", bad_X_cases())
def test_train_rejects_bad_X(X, error, match):
    nn = sigmoid_net()
    before = nn.theta.copy()
    with pytest.raises(error, match=match):
        quiet_train(nn, X, np.zeros((1, M)))
    assert np.array_equal(nn.theta, before)


def test_check_X_accepts_finite_values_whose_sum_overflows():
    # The finiteness check sums X first; a sum that overflows must not make finite data bad.
    X = np.full((N_FEATURES, M), 3e38, dtype=np.float32)
    X[0, 0] = -3e38
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_X(X, N_FEATURES) is X


def test_train_hints_at_transposed_X():
    X = make_X()
    with pytest.raises(ValueError, match=re.escape("use X.T")):
        quiet_train(sigmoid_net(), X.T, binary_labels(X))


def test_no_transpose_hint_when_transposing_would_not_help():
    with pytest.raises(ValueError) as info:
        quiet_train(sigmoid_net(), make_X(n=5), np.zeros((1, M)))
    assert "X.T" not in str(info.value)


@pytest.mark.parametrize(
    "convert",
    [
        pytest.param(lambda X: X > 0, id="bool"),
        pytest.param(lambda X: np.round(3 * X).astype(np.int32), id="int32"),
        pytest.param(lambda X: np.round(3 * X).astype(np.int64), id="int64"),
        pytest.param(lambda X: (3 * X).astype(np.float16), id="float16"),
        pytest.param(lambda X: X.astype(object), id="object-of-floats"),
        pytest.param(lambda X: X.tolist(), id="nested-list"),
    ],
)
def test_train_accepts_bool_int_and_list_X(convert):
    X = make_X()
    nn = sigmoid_net()
    _, costs = quiet_train(nn, convert(X), binary_labels(X), num_epochs=3)
    assert len(costs) == 3 and np.all(np.isfinite(costs))
    assert nn.compute_dtype == np.float64
    assert all_finite(nn)
    proba = nn.predict_proba(convert(X))
    assert proba.dtype == np.float64 and np.all((proba >= 0) & (proba <= 1))


def test_train_passes_n_threads_on_to_be_checked():
    X = make_X()
    with pytest.raises(ValueError, match=r"^n_threads must be >= 1, got 0$"):
        quiet_train(sigmoid_net(), X, binary_labels(X), n_threads=0)


# ---------------------------------------------------------------------------------- train: Y
def test_train_rejects_Y_with_wrong_number_of_examples():
    X = make_X()
    with pytest.raises(ValueError, match=r"Y has 11 examples \(columns\) but X has 12"):
        quiet_train(sigmoid_net(), X, binary_labels(X)[:, :-1])


@pytest.mark.parametrize(
    "Y, error, match",
    [
        pytest.param(np.full((1, M), 2.0), ValueError, r"Y for BinaryCrossEntropy must hold values "
                     r"in \[0, 1\]", id="above-1"),
        pytest.param(np.full((1, M), -1), ValueError, r"values in \[0, 1\]", id="negative-int"),
        pytest.param(np.full((2, M), 1.0), ValueError,
                     r"Y for BinaryCrossEntropy must have shape \(1, m\)", id="two-rows"),
        pytest.param(np.ones((1, M, 1)), ValueError, "Y for BinaryCrossEntropy must have shape",
                     id="3-D"),
        pytest.param(np.full((1, M), np.nan), ValueError, "Y contains NaN or infinite values",
                     id="nan"),
        pytest.param(np.full((1, M), np.inf), ValueError, "Y contains NaN or infinite values",
                     id="inf"),
        pytest.param(np.full((1, M), "1"), TypeError, "Y must hold numbers", id="strings"),
        pytest.param(np.full((1, M), None, dtype=object), TypeError, "Y must hold numbers",
                     id="object"),
        pytest.param(np.ones((1, M)) + 0j, TypeError, "Y must hold numbers", id="complex"),
    ],
)
def test_train_rejects_bad_binary_labels(Y, error, match):
    with pytest.raises(error, match=match):
        quiet_train(sigmoid_net(), make_X(), Y)


@pytest.mark.parametrize(
    "Y",
    [
        pytest.param(lambda X: binary_labels(X)[0], id="1-D-row"),
        pytest.param(lambda X: binary_labels(X).astype(bool), id="bool"),
        pytest.param(lambda X: binary_labels(X).astype(np.int8), id="int8"),
        pytest.param(lambda X: binary_labels(X).tolist(), id="list"),
    ],
)
def test_train_accepts_binary_label_variants(Y):
    X = make_X()
    _, costs = quiet_train(sigmoid_net(), X, Y(X))
    assert np.all(np.isfinite(costs))


def test_train_rejects_non_one_hot_categorical_labels():
    X = make_X()
    Y = one_hot(sparse_labels(X))
    Y[:, 0] = [1.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="Y for CategoricalCrossEntropy must be one-hot"):
        quiet_train(softmax_net(), X, Y, loss="CategoricalCrossEntropy")


@pytest.mark.parametrize(
    "Y, match",
    [
        pytest.param(lambda X: sparse_labels(X), "Y for CategoricalCrossEntropy must be one-hot of "
                     r"shape \(3, m\).*SparseCategoricalCrossEntropy", id="sparse-labels"),
        pytest.param(lambda X: one_hot(sparse_labels(X)) * 2, "must be one-hot", id="twos"),
        pytest.param(lambda X: one_hot(sparse_labels(X)) - 0.5, "must be one-hot", id="negative"),
        pytest.param(lambda X: np.zeros((3, M)), "must be one-hot", id="zeros"),
        pytest.param(lambda X: one_hot(sparse_labels(X))[:2], r"shape \(3, m\)", id="two-rows"),
    ],
)
def test_train_rejects_bad_one_hot_labels(Y, match):
    X = make_X()
    with pytest.raises(ValueError, match=match):
        quiet_train(softmax_net(), X, Y(X), loss="CategoricalCrossEntropy")


@pytest.mark.parametrize(
    "Y, error, match",
    [
        pytest.param(np.full((1, M), 3), ValueError, r"class indices in \[0, 2\]", id="too-big"),
        pytest.param(np.full((1, M), -1), ValueError, r"class indices in \[0, 2\]",
                     id="negative"),
        pytest.param(np.full((1, M), 0.5), ValueError, "must hold integer class indices",
                     id="fraction"),
        pytest.param(np.full((1, M), np.nan), ValueError, "Y contains NaN", id="nan"),
        pytest.param(np.zeros((3, M)), ValueError,
                     r"row of class indices of shape \(1, m\).*CategoricalCrossEntropy",
                     id="one-hot-shaped"),
        pytest.param(np.full((1, M), "a"), TypeError, "Y must hold numbers", id="strings"),
    ],
)
def test_train_rejects_bad_sparse_labels(Y, error, match):
    with pytest.raises(error, match=match):
        quiet_train(softmax_net(), make_X(), Y, loss="SparseCategoricalCrossEntropy")


def test_train_accepts_integral_float_sparse_labels():
    X = make_X()
    _, costs = quiet_train(softmax_net(), X, sparse_labels(X).astype(np.float64),
                           loss="SparseCategoricalCrossEntropy")
    assert np.all(np.isfinite(costs))


# ---------------------------------------------------------------------------------- train: loss
@pytest.mark.parametrize(
    "net, loss, match",
    [
        (softmax_net, "BinaryCrossEntropy",
         "loss 'BinaryCrossEntropy' needs a 'sigmoid' output layer.*'softmax'"),
        (sigmoid_net, "CategoricalCrossEntropy",
         "loss 'CategoricalCrossEntropy' needs a 'softmax' output layer.*'sigmoid'"),
        (sigmoid_net, "SparseCategoricalCrossEntropy",
         "loss 'SparseCategoricalCrossEntropy' needs a 'softmax' output layer"),
    ],
)
def test_train_rejects_loss_that_does_not_fit_the_output(net, loss, match):
    X = make_X()
    with pytest.raises(ValueError, match=match):
        quiet_train(net(), X, binary_labels(X), loss=loss)


@pytest.mark.parametrize(
    "loss, error, match",
    [
        ("MSE", ValueError, r"unknown loss 'MSE'.*BinaryCrossEntropy.*CategoricalCrossEntropy"
                            r".*SparseCategoricalCrossEntropy"),
        (len, TypeError, "loss must be a string"),
    ],
)
def test_train_rejects_unknown_loss(loss, error, match):
    X = make_X()
    with pytest.raises(error, match=match):
        quiet_train(sigmoid_net(), X, binary_labels(X), loss=loss)


@pytest.mark.parametrize(
    "optimizer, error, match",
    [
        ("sgd", ValueError, r"unknown optimizer 'sgd'.*adam.*gd.*momentum.*rmsprop"),
        ("", ValueError, "unknown optimizer"),
        (None, TypeError, "optimizer must be a string"),
        (1, TypeError, "optimizer must be a string"),
    ],
)
def test_train_rejects_unknown_optimizer(optimizer, error, match):
    X = make_X()
    with pytest.raises(error, match=match):
        quiet_train(sigmoid_net(), X, binary_labels(X), optimizer=optimizer)


# ---------------------------------------------------------------------------------- train: hyper
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_epochs": 0}, ValueError, "num_epochs must be >= 1"),
        ({"num_epochs": -3}, ValueError, "num_epochs must be >= 1"),
        ({"num_epochs": 2.0}, TypeError, "num_epochs must be an integer"),
        ({"num_epochs": True}, TypeError, "num_epochs must be an integer"),
        ({"num_epochs": None}, TypeError, "num_epochs must be an integer"),
        ({"learning_rate": 0}, ValueError, "learning_rate must be in"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate must be in"),
        ({"learning_rate": -0.1}, ValueError, "learning_rate must be in"),
        ({"learning_rate": np.nan}, ValueError, "learning_rate must be finite"),
        ({"learning_rate": np.inf}, ValueError, "learning_rate must be finite"),
        ({"learning_rate": "0.1"}, TypeError, "learning_rate must be a real number"),
        ({"learning_rate": None}, TypeError, "learning_rate must be a real number"),
        ({"learning_rate": True}, TypeError, "learning_rate must be a real number"),
        ({"learning_rate": 0.1 + 0j}, TypeError, "learning_rate must be a real number"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": -8}, ValueError, "batch_size must be >= 1"),
        ({"batch_size": 4.0}, TypeError, "batch_size must be an integer"),
        ({"batch_size": "4"}, TypeError, "batch_size must be an integer"),
        ({"lambd": -0.1}, ValueError, "lambd must be in"),
        ({"lambd": np.nan}, ValueError, "lambd must be finite"),
        ({"lambd": np.inf}, ValueError, "lambd must be finite"),
        ({"lambd": "1"}, TypeError, "lambd must be a real number"),
        ({"keep_prob": [1.0]}, ValueError, "keep_prob must have 2 entries"),
        ({"keep_prob": [1.0, 1.0, 1.0]}, ValueError, "keep_prob must have 2 entries"),
        ({"keep_prob": [1.0, 0.0]}, ValueError, re.escape("keep_prob[1] must be in (0, 1]")),
        ({"keep_prob": [1.5, 0.5]}, ValueError, re.escape("keep_prob[0] must be in (0, 1]")),
        ({"keep_prob": [-0.5, 0.5]}, ValueError, re.escape("keep_prob[0] must be in (0, 1]")),
        ({"keep_prob": [np.nan, 0.5]}, ValueError, re.escape("keep_prob[0] must be finite")),
        ({"keep_prob": [0.8, "0.5"]}, TypeError, re.escape("keep_prob[1] must be a real number")),
        ({"keep_prob": 0.8}, TypeError, "keep_prob must be None or a sequence of 2"),
        ({"keep_prob": "0.8"}, TypeError, "keep_prob must be None or a sequence"),
        ({"beta1": 1}, ValueError, re.escape("beta1 must be in [0, 1)")),
        ({"beta1": 1.0}, ValueError, re.escape("beta1 must be in [0, 1)")),
        ({"beta1": -0.1}, ValueError, re.escape("beta1 must be in [0, 1)")),
        ({"beta1": 1.5}, ValueError, re.escape("beta1 must be in [0, 1)")),
        ({"beta1": np.nan}, ValueError, "beta1 must be finite"),
        ({"beta2": 1.0}, ValueError, re.escape("beta2 must be in [0, 1)")),
        ({"beta2": -0.5}, ValueError, re.escape("beta2 must be in [0, 1)")),
        ({"beta2": 1.5}, ValueError, re.escape("beta2 must be in [0, 1)")),
        ({"beta2": "0.9"}, TypeError, "beta2 must be a real number"),
        ({"epsilon": 0.0}, ValueError, re.escape("epsilon must be in (0, inf)")),
        ({"epsilon": -1e-8}, ValueError, re.escape("epsilon must be in (0, inf)")),
        ({"epsilon": np.inf}, ValueError, "epsilon must be finite"),
        ({"print_cost": 1}, TypeError, "print_cost must be True or False"),
        ({"print_cost": "no"}, TypeError, "print_cost must be True or False"),
        ({"print_cost": None}, TypeError, "print_cost must be True or False"),
    ],
)
def test_train_rejects_bad_hyperparameters(kwargs, error, match):
    X = make_X()
    nn = sigmoid_net()
    before = nn.theta.copy()
    with pytest.raises(error, match=match):
        quiet_train(nn, X, binary_labels(X), optimizer="adam", **kwargs)
    assert np.array_equal(nn.theta, before), "a rejected call must not train"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": None},
        {"batch_size": 10 * M},
        {"batch_size": np.int64(5)},
        {"learning_rate": np.float32(0.1)},
        {"keep_prob": np.array([1.0, 0.5])},
        {"keep_prob": (0.9, 1)},
        {"beta1": 0, "beta2": 0},
        {"print_cost": np.False_},
        {"optimizer": "ADAM"},
        {"num_epochs": np.int32(2)},
    ],
)
def test_train_accepts_edge_values(kwargs):
    X = make_X()
    kwargs = {"optimizer": "adam", **kwargs}
    _, costs = quiet_train(sigmoid_net(), X, binary_labels(X), **kwargs)
    assert len(costs) == kwargs.get("num_epochs", 2) and np.all(np.isfinite(costs))


# ---------------------------------------------------------------------------------- inference
@pytest.fixture(scope="module")
def trained():
    X = make_X()
    nn = sigmoid_net()
    quiet_train(nn, X, binary_labels(X), num_epochs=5, learning_rate=0.1)
    return nn


def inference_bad_X():
    X = make_X()
    nan_X = X.copy()
    nan_X[2, 3] = np.nan
    return [
        pytest.param(X[:2], ValueError, "X has 2 rows", id="wrong-features"),
        pytest.param(X.T, ValueError, re.escape("use X.T"), id="transposed"),
        pytest.param(nan_X, ValueError, "X contains NaN", id="nan"),
        pytest.param(np.empty((N_FEATURES, 0)), ValueError, "X is empty", id="empty"),
        pytest.param(X[0], ValueError, "X must be a 2-D array", id="1-D"),
        pytest.param(X.astype(str), TypeError, "X must hold real numbers", id="strings"),
    ]


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
@pytest.mark.parametrize("X, error, match", inference_bad_X())
def test_predict_rejects_bad_X(trained, method, X, error, match):
    with pytest.raises(error, match=match):
        getattr(trained, method)(X)


@pytest.mark.parametrize("X, error, match", inference_bad_X())
def test_accuracy_rejects_bad_X(trained, X, error, match):
    with pytest.raises(error, match=match):
        trained.accuracy(X, np.zeros((1, M)))


@pytest.mark.parametrize(
    "Y, error, match",
    [
        pytest.param(np.zeros((1, M - 1)), ValueError, r"Y must be a label row of shape \(1, 12\)",
                     id="short"),
        pytest.param(np.zeros(M + 1), ValueError, r"got \(1, 13\)", id="long-1-D"),
        pytest.param(np.zeros((2, M)), ValueError, "Y must be a label row", id="two-rows"),
        pytest.param(np.zeros((1, M, 1)), ValueError, "Y must be a label row", id="3-D"),
        pytest.param(np.full((1, M), "1"), TypeError, "Y must hold numeric labels",
                     id="strings"),
        pytest.param(np.full((1, M), None), TypeError, "Y must hold numeric labels",
                     id="object"),
        pytest.param(np.full((1, M), np.nan), ValueError, "Y contains NaN", id="nan"),
    ],
)
def test_accuracy_rejects_bad_Y(trained, Y, error, match):
    with pytest.raises(error, match=match):
        trained.accuracy(make_X(), Y)


def test_accuracy_checks_label_values_as_train_does(trained):
    X = make_X()
    Y = (X[0:1] > 0).astype(float)
    with pytest.raises(ValueError, match="labels 0 and 1"):
        trained.accuracy(X, 2 * Y - 1)  # -1/1 labels: refused, not scored as 50% right
    nn = softmax_net()
    with pytest.raises(ValueError, match=r"class indices in \[0, 2\]"):
        nn.accuracy(X, sparse_labels(X) + 1)


def test_accuracy_of_softmax_net_rejects_non_one_hot_and_wrong_rows():
    X = make_X()
    nn = softmax_net()
    with pytest.raises(ValueError, match=r"one-hot of shape \(3, m\)"):
        nn.accuracy(X, np.zeros((2, M)))
    with pytest.raises(ValueError, match=r"one-hot of shape \(3, m\)"):
        nn.accuracy(X, np.ones((3, M)))
    y = sparse_labels(X)
    assert nn.accuracy(X, y) == nn.accuracy(X, one_hot(y)) == nn.accuracy(X, y[0])


# ---------------------------------------------------------------------------------- low level
def test_forward_propagation_rejects_bad_parameters():
    X = make_X()
    nn = sigmoid_net()
    params = {k: v.copy() for k, v in nn.parameters.items()}
    missing = dict(params)
    del missing["b2"]
    with pytest.raises(ValueError, match="parameters is missing 'b2'"):
        nn.forward_propagation(X, parameters=missing)
    wrong = dict(params, W1=np.zeros((4, 2)))
    with pytest.raises(ValueError, match=re.escape("parameters['W1'] must have shape (4, 3)")):
        nn.forward_propagation(X, parameters=wrong)
    wrong = dict(params, b1=np.zeros(4))
    with pytest.raises(ValueError, match=re.escape("parameters['b1'] must have shape (4, 1)")):
        nn.forward_propagation(X, parameters=wrong)
    strings = dict(params, W2=params["W2"].astype(str))
    with pytest.raises(TypeError, match=r"parameters\['W2'\] must be numeric"):
        nn.forward_propagation(X, parameters=strings)
    nan = dict(params, W2=np.full_like(params["W2"], np.nan))
    with pytest.raises(ValueError, match=r"parameters\['W2'\] contains NaN"):
        nn.forward_propagation(X, parameters=nan)
    with pytest.raises(TypeError, match="parameters must be a dict"):
        nn.forward_propagation(X, parameters=list(params.values()))
    A, _ = nn.forward_propagation(X, parameters=params)
    assert np.array_equal(A, nn.predict_proba(X))


def test_forward_propagation_rejects_bad_options():
    X = make_X()
    nn = sigmoid_net()
    with pytest.raises(TypeError, match="training must be True or False"):
        nn.forward_propagation(X, training=1)
    with pytest.raises(ValueError, match="keep_prob must have 2 entries"):
        nn.forward_propagation(X, keep_prob=[0.5])
    with pytest.raises(ValueError, match="X has 2 rows"):
        nn.forward_propagation(X[:2])


def test_forward_propagation_rejects_batch_norm_parameters_on_plain_net():
    X = make_X()
    bn_params = ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"], batch_norm=True,
                             seed=0).parameters
    with pytest.raises(ValueError, match="parameters is missing 'b1'"):
        sigmoid_net().forward_propagation(X, parameters=bn_params)


@pytest.mark.parametrize(
    "A, error, match",
    [
        pytest.param(np.full((1, M), 1.5), ValueError, r"A must hold probabilities in \[0, 1\]",
                     id="above-1"),
        pytest.param(np.full((1, M), -0.1), ValueError, "A must hold probabilities", id="neg"),
        pytest.param(np.full((1, M), np.nan), ValueError, "A must hold probabilities", id="nan"),
        pytest.param(np.full((2, M), 0.5), ValueError, r"A must have shape \(1, m\)", id="rows"),
        pytest.param(np.full(M, 0.5), ValueError, r"A must have shape \(1, m\)", id="1-D"),
        pytest.param(np.empty((1, 0)), ValueError, "with m >= 1", id="empty"),
        pytest.param(np.ones((1, M), dtype=int), TypeError, "A must be a float array", id="int"),
        pytest.param(np.full((1, M), "0.5"), TypeError, "A must be a float array",
                     id="strings"),
    ],
)
def test_compute_cost_rejects_bad_A(A, error, match):
    X = make_X()
    with pytest.raises(error, match=match):
        sigmoid_net().compute_cost(A, binary_labels(X))


def test_compute_cost_rejects_bad_Y_and_options():
    X = make_X()
    nn = sigmoid_net()
    A = nn.predict_proba(X)
    with pytest.raises(ValueError, match="Y has 11 examples"):
        nn.compute_cost(A, binary_labels(X)[:, 1:])
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        nn.compute_cost(A, 2 * binary_labels(X))
    with pytest.raises(ValueError, match="lambd must be in"):
        nn.compute_cost(A, binary_labels(X), lambd=-1)
    with pytest.raises(ValueError, match="needs a 'softmax' output layer"):
        nn.compute_cost(A, binary_labels(X), loss="CategoricalCrossEntropy")
    with pytest.raises(ValueError, match="unknown loss"):
        nn.compute_cost(A, binary_labels(X), loss="hinge")


def test_backward_propagation_rejects_things_that_are_not_caches():
    X = make_X()
    Y = binary_labels(X)
    nn = sigmoid_net()
    A, caches = nn.forward_propagation(X)
    for not_caches in (None, [], (A, A), {"layers": []}, "caches"):
        with pytest.raises(TypeError, match="caches must be the second result"):
            nn.backward_propagation(A, Y, not_caches)
    for broken in (
        dataclasses.replace(caches, layers=5),
        dataclasses.replace(caches, layers=caches.layers[:-1]),
        dataclasses.replace(caches, layers=[None] * len(caches.layers)),
        dataclasses.replace(caches, layers=[LayerCache()] * len(caches.layers)),
        dataclasses.replace(caches, parameters={}),
    ):
        with pytest.raises(ValueError, match="A and caches must come from the same"):
            nn.backward_propagation(A, Y, broken)
    # caches of other examples (another m)
    A_other, caches_other = nn.forward_propagation(X[:, :5])
    with pytest.raises(ValueError, match="A and caches must come from the same"):
        nn.backward_propagation(A, Y, caches_other)


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(lambda: ClassifierNN([N_FEATURES, 5, 1], ["relu", "sigmoid"], seed=0),
                     id="other-hidden-size"),
        pytest.param(lambda: ClassifierNN([N_FEATURES, 4, 1], ["relu", "sigmoid"],
                                          batch_norm=True, seed=0), id="batch-norm"),
    ],
)
def test_backward_propagation_rejects_caches_of_another_network(other):
    X = make_X()
    Y = binary_labels(X)
    A, caches = other().forward_propagation(X, training=True)
    with pytest.raises(ValueError, match="A and caches must come from the same"):
        sigmoid_net().backward_propagation(A, Y, caches)


def test_backward_propagation_rejects_bad_arguments():
    X = make_X()
    Y = binary_labels(X)
    nn = sigmoid_net()
    A, caches = nn.forward_propagation(X, keep_prob=[1.0, 0.5])
    with pytest.raises(ValueError, match="A and caches must come from the same"):
        nn.backward_propagation(A[:, :5], Y[:, :5], caches)
    with pytest.raises(TypeError, match="A must be a float array"):
        nn.backward_propagation((A > 0.5).astype(int), Y, caches)
    with pytest.raises(ValueError, match="keep_prob differs"):
        nn.backward_propagation(A, Y, caches, keep_prob=[1.0, 0.9])
    with pytest.raises(ValueError, match="lambd must be finite"):
        nn.backward_propagation(A, Y, caches, lambd=np.nan)
    with pytest.raises(ValueError, match="Y has 11 examples"):
        nn.backward_propagation(A, Y[:, 1:], caches)
    with pytest.raises(ValueError, match="needs a 'softmax' output layer"):
        nn.backward_propagation(A, Y, caches, loss="SparseCategoricalCrossEntropy")
    grads = nn.backward_propagation(A, Y, caches, keep_prob=[1.0, 0.5])
    assert set(grads) == {"dW1", "db1", "dW2", "db2"}
    assert all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"epsilon": 0.0}, ValueError, "epsilon must be in"),
        ({"epsilon": -1e-7}, ValueError, "epsilon must be in"),
        ({"epsilon": np.nan}, ValueError, "epsilon must be finite"),
        ({"epsilon": "1e-7"}, TypeError, "epsilon must be a real number"),
        ({"loss": "MSE"}, ValueError, "unknown loss 'MSE'"),
        ({"loss": 3}, TypeError, "loss must be a string"),
        ({"loss": "CategoricalCrossEntropy"}, ValueError, "needs a 'softmax' output layer"),
        ({"lambd": -1.0}, ValueError, "lambd must be in"),
        ({"keep_prob": [0.5]}, ValueError, "keep_prob must have 2 entries"),
    ],
)
def test_gradient_check_rejects_bad_arguments(kwargs, error, match):
    X = make_X(m=4)
    with pytest.raises(error, match=match):
        sigmoid_net().gradient_check(X, binary_labels(X), **kwargs)


def test_gradient_check_rejects_bad_data():
    X = make_X(m=4)
    nn = sigmoid_net()
    with pytest.raises(ValueError, match="X has 2 rows"):
        nn.gradient_check(X[:2], binary_labels(X))
    with pytest.raises(ValueError, match="Y has 3 examples"):
        nn.gradient_check(X, binary_labels(X)[:, 1:])


# ---------------------------------------------------------------------------------- divergence
def diverging_setup(depth_activation="relu"):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 50)) * 1e3
    Y = (X[0:1] > 0).astype(np.float64)
    nn = ClassifierNN([2, 4, 1], [depth_activation, "sigmoid"], seed=0)
    return nn, X, Y


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
@pytest.mark.parametrize("learning_rate", [1e6, 1e100])
def test_huge_learning_rate_raises_divergence_error(optimizer, learning_rate):
    nn, X, Y = diverging_setup()
    with pytest.raises(DivergenceError, match="learning_rate") as info:
        nn.train(X, Y, num_epochs=100, learning_rate=learning_rate, batch_size=None,
                 optimizer=optimizer, print_cost=False)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert "diverged" in str(exc)
    assert all_finite(nn)
    assert isinstance(exc.costs, list) and len(exc.costs) < 100
    assert all(isinstance(c, float) and np.isfinite(c) for c in exc.costs)
    # The model is still usable: predictions on ordinary data are finite probabilities.
    proba = nn.predict_proba(X / 1e3)
    assert np.all((proba >= 0) & (proba <= 1))


def test_divergence_keeps_the_parameters_of_the_last_finite_step():
    nn, X, Y = diverging_setup()
    with pytest.raises(DivergenceError) as info:
        nn.train(X, Y, num_epochs=100, learning_rate=1e6, batch_size=None, print_cost=False)
    epochs_done = len(info.value.costs)
    assert epochs_done >= 1
    # Replaying the completed epochs from the same start reproduces the kept parameters.
    replay, _, _ = diverging_setup()
    _, costs = replay.train(X, Y, num_epochs=epochs_done, learning_rate=1e6, batch_size=None,
                            print_cost=False)
    assert costs == info.value.costs
    assert np.array_equal(replay.theta, nn.theta)


def test_step_that_overflows_the_parameters_is_undone():
    # A finite gradient times a learning rate near the float64 maximum overflows theta itself.
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 20)) * 1e3
    Y = (X[0:1] > 0).astype(np.float64)
    nn = ClassifierNN([2, 1], ["sigmoid"], seed=0)
    before = nn.theta.copy()
    with pytest.raises(DivergenceError, match="learning_rate") as info:
        nn.train(X, Y, num_epochs=5, learning_rate=1e308, batch_size=None, print_cost=False)
    assert info.value.costs == []
    assert np.array_equal(nn.theta, before)


def test_divergence_with_batch_norm_keeps_finite_state():
    nn = ClassifierNN([2, 4, 1], ["relu", "sigmoid"], batch_norm=True, seed=0)
    _, X, Y = diverging_setup()
    with pytest.raises(DivergenceError, match="learning_rate") as info:
        nn.train(X, Y, num_epochs=100, learning_rate=1e300, batch_size=16, print_cost=False)
    assert all_finite(nn)
    assert all(np.isfinite(c) for c in info.value.costs)


# ---------------------------------------------------------------------------------- stability
def huge_X(n, m=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice([-1e6, 1e6], size=(n, m)) * rng.uniform(0.5, 1.0, size=(n, m))


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize(
    "layer_dims, activations, labels, loss",
    [
        ([4, 8, 1], ["relu", "sigmoid"], "binary", "BinaryCrossEntropy"),
        ([4, 8, 3], ["tanh", "sigmoid"], "multi", "BinaryCrossEntropy"),
        ([4, 8, 3], ["leaky_relu", "softmax"], "one-hot", "CategoricalCrossEntropy"),
        ([4, 8, 8, 3], ["linear", "relu", "softmax"], "sparse", "SparseCategoricalCrossEntropy"),
    ],
)
def test_huge_inputs_give_finite_probabilities_and_costs(layer_dims, activations, labels, loss,
                                                         batch_norm):
    nn = ClassifierNN(layer_dims, activations, seed=0, batch_norm=batch_norm)
    for name, value in nn.parameters.items():
        if name.startswith("W"):
            value *= 1e3  # large weights: logits of order 1e9 and beyond
    X = huge_X(layer_dims[0])
    m = X.shape[1]
    rng = np.random.default_rng(2)
    C = layer_dims[-1]
    y = rng.integers(0, C, size=(1, m))
    Y = {
        "binary": rng.integers(0, 2, size=(1, m)).astype(np.float64),
        "multi": rng.integers(0, 2, size=(C, m)).astype(np.float64),
        "one-hot": one_hot(y, C),
        "sparse": y,
    }[labels]

    for training in (False, True):
        A, caches = nn.forward_propagation(X, training=training)
        assert np.all(np.isfinite(A)) and np.all((A >= 0) & (A <= 1))
        if activations[-1] == "softmax":
            np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-12)
        A_before = A.copy()
        cost = nn.compute_cost(A, Y, loss=loss, lambd=0.5)
        assert np.isfinite(cost) and cost >= 0
        assert np.array_equal(A, A_before), "compute_cost must not modify A"
        grads = nn.backward_propagation(A, Y, caches, loss=loss)
        assert all(np.all(np.isfinite(g)) for g in grads.values())
    proba = nn.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all((proba >= 0) & (proba <= 1))
    assert nn.predict(X).shape == (1, m)
    # Some probabilities saturate to exactly 0 or 1 with these logits: the cost stays finite.
    assert np.any((proba == 0) | (proba == 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compute_cost_of_exact_zeros_and_ones_is_finite(dtype):
    sig = ClassifierNN([2, 3, 2], ["relu", "sigmoid"], seed=0)
    A = np.array([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.5, 1.0]], dtype=dtype)
    worst = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
    A_before = A.copy()
    cost_worst = sig.compute_cost(A, worst)
    cost_best = sig.compute_cost(A, (A > 0.5).astype(np.float64))
    assert np.isfinite(cost_worst) and np.isfinite(cost_best)
    assert cost_worst > 10 * max(cost_best, 1e-3)
    assert np.array_equal(A, A_before) and A.dtype == dtype

    soft = ClassifierNN([2, 3, 2], ["relu", "softmax"], seed=0)
    A = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.5]], dtype=dtype)
    A_before = A.copy()
    for loss, Y in (("CategoricalCrossEntropy", np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])),
                    ("SparseCategoricalCrossEntropy", np.array([[0, 1, 0]]))):
        cost = soft.compute_cost(A, Y, loss=loss)
        assert np.isfinite(cost) and cost > 1.0
        assert np.array_equal(A, A_before)


def test_float32_model_on_huge_inputs_stays_finite():
    nn = ClassifierNN([4, 8, 3], ["relu", "softmax"], seed=0, dtype="float32")
    nn.parameters["W1"][...] *= 1e3
    X = huge_X(4)
    A = nn.predict_proba(X)
    assert A.dtype == np.float32
    assert np.all(np.isfinite(A)) and np.all((A >= 0) & (A <= 1))
    cost = nn.compute_cost(A, np.zeros((1, X.shape[1]), dtype=int),
                           loss="SparseCategoricalCrossEntropy")
    assert np.isfinite(cost)


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_predict_proba_reports_overflow_instead_of_returning_nan(output):
    # Logits beyond the float range: W A overflows to inf, and inf - inf would be a silent NaN.
    nn = ClassifierNN([2, 3, 2], ["linear", output], seed=0)
    nn.parameters["W1"][...] = [[1e300, 1e300], [-1e300, -1e300], [1.0, 1.0]]  # inf, -inf
    nn.parameters["W2"][...] = [[1e300, 1e300, 1.0], [1.0, 1.0, 1.0]]  # inf + -inf
    X = np.array([[1e10, 1.0], [1e10, 1.0]])
    with pytest.raises(ValueError, match="X is too large for this network"):
        nn.predict_proba(X)
    with pytest.raises(ValueError, match="X is too large for this network"):
        nn.predict(X)


# ------------------------------------------------------------- what the loop's callbacks hand it
def _callback(on_epoch_end=None, on_batch_end=None):
    from scratchnn.callbacks import Callback

    class Meddler(Callback):
        def on_train_begin(self, model):
            self.model = model

    if on_epoch_end is not None:
        Meddler.on_epoch_end = lambda self, epoch, logs: on_epoch_end(self.model, epoch)
    if on_batch_end is not None:
        Meddler.on_batch_end = lambda self, step: on_batch_end(step.model)
    return Meddler()


def _write_nan(model, *_):
    model.theta[0] = np.nan


def test_a_callback_that_puts_nan_into_theta_is_named():
    """NaN written into ``theta`` by a callback at the end of an epoch stops training at once,
    naming the callback, instead of surfacing later as a divergence blamed on the rate."""
    X = make_X(40)
    nn = ClassifierNN([N_FEATURES, 4, 1], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match=r"^callback Meddler left NaN or infinite values in the "
                                         r"model's parameters or running statistics at the end "
                                         r"of epoch 1"):
        nn.train(X, binary_labels(X), num_epochs=3, callbacks=[_callback(_write_nan)],
                 print_cost=False)


def test_divergence_after_a_callback_wrote_nan_says_what_the_model_holds():
    """A callback that writes NaN into ``theta`` after a step makes the next step diverge: the
    message must not claim that the last finite step was kept (it was not), and says what the
    model holds."""
    X = make_X(40)
    nn = ClassifierNN([N_FEATURES, 4, 1], ["tanh", "sigmoid"], seed=0)
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 1") as info:
        nn.train(X, binary_labels(X), num_epochs=3, batch_size=10,
                 callbacks=[_callback(on_batch_end=_write_nan)], print_cost=False)
    message = str(info.value)
    assert "last finite step were kept" not in message
    assert "now hold NaN or infinite values that no optimizer step wrote" in message


def test_divergence_names_the_rate_a_callback_set():
    """When a callback raised the rate, the hint names the rate in use, not only ``train``'s
    ``learning_rate`` (which was harmless)."""
    X = make_X(40)
    nn = ClassifierNN([N_FEATURES, 8, 1], ["leaky_relu", "sigmoid"], seed=0)

    def speed_up(model, epoch):
        model.optimizer.learning_rate = 1e300

    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 2: .*try a lower "
                                              r"learning_rate than 0.01 \(the rate in use was "
                                              r"1e\+300, set by a callback\)"):
        nn.train(X, binary_labels(X), num_epochs=3, callbacks=[_callback(speed_up)],
                 print_cost=False)
    assert np.all(np.isfinite(nn.theta))


HUGE = 10 ** 400


@pytest.mark.parametrize("call,name", [
    (lambda X, Y: ClassifierNN([N_FEATURES, 2, 1], ["relu", "sigmoid"]).train(
        X, Y, learning_rate=HUGE, print_cost=False), "learning_rate"),
    (lambda X, Y: ClassifierNN([N_FEATURES, 2, 1], ["relu", "sigmoid"]).train(
        X, Y, lambd=HUGE, print_cost=False), "lambd"),
    (lambda X, Y: ClassifierNN([N_FEATURES, 2, 1], ["relu", "sigmoid"]).train(
        X, Y, clipnorm=HUGE, print_cost=False), "clipnorm"),
    (lambda X, Y: ClassifierNN([N_FEATURES, 2, 1], ["relu", "sigmoid"]).train(
        X, Y, beta1=-HUGE, print_cost=False), "beta1"),
    (lambda X, Y: __import__("scratchnn.callbacks").callbacks.EarlyStopping(min_delta=HUGE),
     "min_delta"),
    (lambda X, Y: __import__("scratchnn.schedules").schedules.StepDecay(2, gamma=HUGE), "gamma"),
    (lambda X, Y: __import__("scratchnn.schedules").schedules.CosineDecay(5, min_lr=HUGE),
     "min_lr"),
])
def test_a_400_digit_integer_for_a_float_names_the_argument(call, name):
    """``float(10**400)`` raises a bare ``OverflowError`` naming nothing; every float argument
    gives a ``ValueError`` that starts with its name instead."""
    X = make_X()
    with pytest.raises(ValueError, match=rf"^{name} must be a finite number within the float "
                                         rf"range, got an integer of 401 digits$"):
        call(X, binary_labels(X))


@pytest.mark.parametrize("value,text,expected", [
    (0.5, False, 0.5), (3, False, 3.0), (np.float32(0.25), False, 0.25),
    (" 1e-3 ", True, 0.001), ("inf", True, float("inf")),
])
def test_to_float_reads_numbers_and_with_text_strings(value, text, expected):
    from scratchnn.validation import to_float

    result = to_float(value, "rate", text=text)
    assert type(result) is float and result == expected


@pytest.mark.parametrize("value,text,error,message", [
    pytest.param(10 ** 400, False, ValueError,
     r"^rate must be a finite number within the float range, got an integer of 401 digits$",
                 id="400-digits"),
    pytest.param(-10 ** 5000, False, ValueError,
     r"^rate must be a finite number within the float range, got an integer of 5001 digits$",
                 id="5000-digits"),
    ("0.1", False, TypeError, r"^rate must be a real number, got '0.1'$"),
    (True, True, TypeError, r"^rate must be a real number, got True$"),
    ("fast", True, ValueError, r"^rate must be a number, got 'fast'$"),
    (None, True, TypeError, r"^rate must be a real number, got None$"),
])
def test_to_float_names_the_argument_in_every_refusal(value, text, error, message):
    """The public check the command line and the playground share with the library."""
    from scratchnn.validation import to_float

    with pytest.raises(error, match=message):
        to_float(value, "rate", text=text)
