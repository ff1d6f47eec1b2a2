"""Property-based input validation: generated inputs thrown at every public entry point.

Each call either gives a correct result or raises ``ValueError``/``TypeError`` whose message names
an argument that was actually bad. Anything else fails the test: an ``IndexError``, ``KeyError``
or broadcasting error from inside NumPy, a NaN result, or a ``RuntimeWarning`` (the test suite
turns those into errors).

The number of examples per entry point comes from the Hypothesis profile: "ci" (300, the default)
or "slow" (3,000, with ``pytest --slow``); see conftest.py.
"""

import functools
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scratchnn import ClassifierNN
from scratchnn.activations import ACTIVATIONS
from scratchnn.losses import LOSSES
from scratchnn.optimizers import OPTIMIZERS

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

DTYPES = [np.bool_, np.int8, np.int64, np.uint16, np.float16, np.float32, np.float64,
          np.complex128]
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
NASTY = st.one_of(st.none(), st.text(max_size=3), st.booleans(), FLOATS,
                  st.integers(-5, 5), st.lists(st.integers(-2, 5), max_size=3))


def mostly(valid, invalid, one_in=10):
    """``valid`` nine times in ten, else ``invalid``: with a dozen arguments, a fair share of
    the generated calls is then entirely valid and exercises the success path too."""
    return st.integers(0, one_in - 1).flatmap(lambda i: invalid if i == 0 else valid)


def valid_X(n_features):
    return st.builds(lambda m, seed, scale: np.random.default_rng(seed).standard_normal(
        (n_features, m)) * scale, st.integers(1, 6), st.integers(0, 2 ** 32 - 1),
        st.sampled_from([1.0, 1e-3, 1e3]))


# The strategies are made once and drawn from many times (functools.cache): a strategy made
# afresh inside a test, or inside a flatmap, is validated afresh on every draw, and that took
# most of these tests' time. The examples drawn are the same either way.
@functools.cache
def _arrays(dtype, shapes):
    return hnp.arrays(dtype, shapes)


@functools.cache
def _object_arrays(shape):
    return st.builds(lambda values: np.array(values, dtype=object).reshape(shape),
                     st.lists(st.one_of(st.none(), st.text(max_size=2), FLOATS),
                              min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))


@functools.cache
def any_array(min_dims=0, max_dims=3, max_side=6):
    """Arrays of every dtype we must handle (or reject), any small shape, any values."""
    shapes = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=max_side)
    numeric = st.sampled_from(DTYPES).flatmap(lambda dt: _arrays(dt, shapes))
    strings = hnp.arrays(hnp.unicode_string_dtypes(max_len=2), shapes)
    objects = shapes.flatmap(_object_arrays)
    return st.one_of(numeric, numeric, numeric, strings, objects)


@functools.cache
def data_for(n_features, n_outputs, softmax):
    """Mostly well-formed (X, Y) for a network, sometimes broken in one way or another."""
    m = st.integers(1, 6)

    def build(m, rng_seed, kind):
        rng = np.random.default_rng(rng_seed)
        X = rng.standard_normal((n_features, m))
        if softmax:
            labels = rng.integers(0, n_outputs, m)
            Y = np.eye(n_outputs)[labels].T if kind == "onehot" else labels.reshape(1, -1)
        else:
            Y = (rng.random((n_outputs, m)) > 0.5).astype(float)
        return X, Y

    good = st.builds(build, m, st.integers(0, 2 ** 32 - 1), st.sampled_from(["sparse", "onehot"]))
    broken = st.one_of(st.tuples(any_array(), any_array()),
                       st.tuples(good.map(lambda d: d[0]), any_array()),
                       st.tuples(any_array(), good.map(lambda d: d[1])))
    return mostly(good, broken, one_in=3)


def names_in(message, names):
    """The names of ``names`` that ``message`` mentions as whole identifiers: "X" in "X must be
    2-D" or "layer_dims" in "(layer_dims[1] >= 2)", but not "X" inside "X_train" or "MAX", nor
    "activation" inside "activations"."""
    return [name for name in names
            if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", message)]


def test_names_in_matches_whole_identifiers_only():
    assert names_in("X must be 2-D", ["X", "Y"]) == ["X"]
    assert names_in("bad X_train or MAX or eXtra", ["X"]) == []
    assert names_in("a softmax needs (layer_dims[1] >= 2)", ["layer_dims"]) == ["layer_dims"]
    assert names_in("activations must be a list", ["activation"]) == []


def assert_names(exc, names):
    message = str(exc)
    event(f"rejected with {type(exc).__name__}")
    assert names_in(message, names), (
        f"{type(exc).__name__}: {message!r} names none of {sorted(names)}")


NETWORKS = [
    ([3, 4, 1], ["relu", "sigmoid"], False),
    ([3, 4, 3], ["tanh", "softmax"], False),
    ([3, 5, 4, 2], ["leaky_relu", "softmax", "sigmoid"], True),
    ([3, 4, 3], ["linear", "softmax"], True),
]


def network(index):
    dims, acts, bn = NETWORKS[index]
    return ClassifierNN(dims, acts, batch_norm=bn, seed=index)


def loss_for(index, kind):
    if NETWORKS[index][1][-1] == "sigmoid":
        return "BinaryCrossEntropy"
    return "CategoricalCrossEntropy" if kind == "onehot" else "SparseCategoricalCrossEntropy"


# ------------------------------------------------------------------------------ constructor
VALID_DIMS = st.lists(st.integers(1, 5), min_size=2, max_size=4)


@SETTINGS
@given(
    data=st.data(),
    layer_dims=mostly(VALID_DIMS, st.one_of(NASTY, st.lists(NASTY, max_size=4))),
    init=mostly(st.sampled_from(["he", "random", "xavier", "HE"]),
                st.one_of(st.just("glorot"), NASTY)),
    batch_norm=mostly(st.booleans(), NASTY),
    seed=mostly(st.one_of(st.none(), st.integers(0, 2 ** 40)), st.one_of(st.integers(-3, -1),
                                                                           NASTY)),
    dtype=mostly(st.sampled_from([None, "float32", "float64", np.float32]),
                 st.one_of(st.sampled_from(["int32", "float16", "x"]), NASTY)),
)
def test_constructor(data, layer_dims, init, batch_norm, seed, dtype):
    L = len(layer_dims) - 1 if isinstance(layer_dims, list) else 2
    hidden = st.sampled_from(sorted(ACTIVATIONS))
    output = mostly(st.sampled_from(["sigmoid", "softmax"]), hidden)
    activations = data.draw(mostly(
        st.builds(lambda h, o: h + [o], st.lists(hidden, min_size=max(L - 1, 0),
                                                 max_size=max(L - 1, 0)), output),
        st.one_of(st.lists(st.sampled_from(sorted(ACTIVATIONS) + ["swish", ""]), max_size=4),
                  NASTY)))
    try:
        nn = ClassifierNN(layer_dims, activations, init, batch_norm=batch_norm, seed=seed,
                          dtype=dtype)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["layer_dims", "activations", "activation", "initialization_method", "batch_norm",
                           "seed", "dtype", "output", "softmax"])
        return
    event("constructed")
    assert nn.layer_dims == [int(n) for n in layer_dims]
    assert all(np.all(np.isfinite(v)) for v in nn.parameters.values())
    assert nn.activations[-1] in ("sigmoid", "softmax")


# ------------------------------------------------------------------------------ train
@SETTINGS
@given(
    index=st.integers(0, len(NETWORKS) - 1),
    kind=st.sampled_from(["sparse", "onehot"]),
    data=st.data(),
    loss=mostly(st.none(), st.sampled_from(sorted(LOSSES) + ["MSE"])),
    num_epochs=mostly(st.integers(1, 3), st.one_of(st.integers(-1, 0), NASTY)),
    learning_rate=mostly(st.sampled_from([0.1, 0.01, 1e3]), NASTY),
    batch_size=mostly(st.one_of(st.none(), st.integers(1, 8)), st.one_of(st.integers(-1, 0),
                                                                         NASTY)),
    lambd=mostly(st.sampled_from([0, 0.1]), NASTY),
    keep_prob=mostly(st.one_of(st.none(), st.lists(st.floats(0.05, 1.0), min_size=2,
                                                   max_size=2)),
                     st.one_of(st.lists(st.floats(-0.5, 1.5), max_size=4), NASTY)),
    optimizer=mostly(st.sampled_from(sorted(OPTIMIZERS)), st.one_of(st.just("sgd"), NASTY)),
    beta1=mostly(st.floats(0.0, 0.99), NASTY),
    beta2=mostly(st.floats(0.0, 0.999), NASTY),
    epsilon=mostly(st.sampled_from([1e-8, 1e-3]), NASTY),
)
def test_train(index, kind, data, loss, num_epochs, learning_rate, batch_size, lambd, keep_prob,
               optimizer, beta1, beta2, epsilon):
    nn = network(index)
    X, Y = data.draw(data_for(3, nn.n_outputs, nn.activations[-1] == "softmax"))
    loss = loss if loss is not None else loss_for(index, kind)
    if isinstance(keep_prob, list) and len(keep_prob) == 2 and len(nn.layer_dims) == 4:
        keep_prob = keep_prob + [1.0]  # one entry per layer before the output
    try:
        params, costs = nn.train(X, Y, loss=loss, num_epochs=num_epochs,
                                 learning_rate=learning_rate, batch_size=batch_size, lambd=lambd,
                                 keep_prob=keep_prob, print_cost=False, optimizer=optimizer,
                                 beta1=beta1, beta2=beta2, epsilon=epsilon)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X", "Y", "loss", "num_epochs", "learning_rate", "batch_size", "lambd",
                           "keep_prob", "optimizer", "beta1", "beta2", "epsilon"])
        assert all(np.all(np.isfinite(v)) for v in nn.parameters.values())
        return
    event("trained")
    assert len(costs) == num_epochs and all(np.isfinite(costs))
    assert all(np.all(np.isfinite(v)) for v in params.values())


# ------------------------------------------------------------------------------ inference
@SETTINGS
@given(index=st.integers(0, len(NETWORKS) - 1), X=mostly(valid_X(3), any_array(), one_in=3))
def test_predict_and_predict_proba(index, X):
    nn = network(index)
    try:
        A = nn.predict_proba(X)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X"])
        with pytest.raises(type(exc)):
            nn.predict(X)
        return
    event("predicted")
    m = X.shape[1]
    assert A.shape == (nn.n_outputs, m) and np.all((A >= 0) & (A <= 1))
    if nn.activations[-1] == "softmax":
        np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-6)
    labels = nn.predict(X)
    assert labels.shape == (1, m) and labels.dtype.kind == "i"
    assert np.all((labels >= 0) & (labels < max(2, nn.n_outputs)))


@SETTINGS
@given(index=st.integers(0, len(NETWORKS) - 1), data=st.data(),
       Y=mostly(st.none(), any_array(), one_in=3))
def test_accuracy(index, data, Y):
    nn = network(index)
    X, good_Y = data.draw(data_for(3, nn.n_outputs, nn.activations[-1] == "softmax"))
    Y = good_Y if Y is None else Y
    try:
        value = nn.accuracy(X, Y)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X", "Y"])
        return
    event("scored")
    assert isinstance(value, float) and 0.0 <= value <= 1.0


@SETTINGS
@given(index=st.integers(0, len(NETWORKS) - 1), kind=st.sampled_from(["sparse", "onehot"]),
       data=st.data(), lambd=mostly(st.sampled_from([0.0, 0.3]), NASTY),
       keep_prob=mostly(st.none(), st.lists(st.floats(0.1, 1.0), min_size=0, max_size=3)),
       epsilon=mostly(st.just(1e-7), NASTY))
def test_gradient_check(index, kind, data, lambd, keep_prob, epsilon):
    nn = network(index)
    X, Y = data.draw(data_for(3, nn.n_outputs, nn.activations[-1] == "softmax"))
    try:
        difference = nn.gradient_check(X, Y, loss=loss_for(index, kind), lambd=lambd,
                                       keep_prob=keep_prob, epsilon=epsilon)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X", "Y", "lambd", "keep_prob", "epsilon"])
        return
    event("checked")
    assert np.isfinite(difference) and difference >= 0


@SETTINGS
@given(index=st.integers(0, len(NETWORKS) - 1), data=st.data(), training=st.booleans())
def test_forward_cost_backward(index, data, training):
    """The README's walk-through: forward, cost and backward agree on every valid input."""
    nn = network(index)
    X, Y = data.draw(data_for(3, nn.n_outputs, nn.activations[-1] == "softmax"))
    kind = "onehot" if np.ndim(Y) == 2 and np.shape(Y)[0] == nn.n_outputs > 1 else "sparse"
    loss = loss_for(index, kind)
    try:
        A, caches = nn.forward_propagation(X, training=training)
        cost = nn.compute_cost(A, Y, loss=loss)
        grads = nn.backward_propagation(A, Y, caches, loss=loss)
    except (ValueError, TypeError) as exc:
        assert_names(exc, ["X", "Y", "A"])
        return
    event("backpropagated")
    assert np.isfinite(cost) and cost >= 0
    assert all(np.all(np.isfinite(g)) for g in grads.values())


# ------------------------------------------------------------------------------ load
@SETTINGS
@given(content=st.binary(max_size=2048), mutate=st.booleans(), position=st.integers(0, 10 ** 6),
       byte=st.integers(0, 255))
def test_load_never_fails_badly(tmp_path_factory, content, mutate, position, byte):
    folder = tmp_path_factory.mktemp("load")
    path = folder / "model.npz"
    if mutate:  # a real model file with one byte changed, more often than pure noise
        original = ClassifierNN([2, 3, 2], ["relu", "softmax"], batch_norm=True, seed=0)
        original.save(path)
        raw = bytearray(path.read_bytes())
        raw[position % len(raw)] = byte
        path.write_bytes(bytes(raw))
    else:
        path.write_bytes(content)
    try:
        model = ClassifierNN.load(path)
    except ValueError as exc:
        assert re.search("is not a (valid )?scratchnn model file: ", str(exc))
        return
    event("loaded")
    X = np.random.default_rng(0).standard_normal((2, 5))
    A = model.predict_proba(X)
    assert np.all(np.isfinite(A))
    if mutate:
        np.testing.assert_array_equal(A, original.predict_proba(X))
