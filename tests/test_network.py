"""The model's own checks and defaults (``scratchnn.network``), pinned down one by one.

- the seed-style entry points (``forward_propagation``, ``compute_cost``,
  ``backward_propagation``, ``random_mini_batches``, ``predict``, ``accuracy``): their documented
  defaults, and each refusal's message, which starts with the argument it names;
- a forward cache handed back to ``backward_propagation`` must be one pass of this network: any
  one layer's entry out of place is refused;
- float32 outputs are scored and differentiated in float32 (labels follow ``A``'s dtype);
- ``from_config``'s defaults, the pickled state (each buffer once), and ``to_onnx``.
"""

import copy
import pickle
import tracemalloc

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.losses import BinaryCrossEntropy
from scratchnn.parameters import allocate, views


def data(n_features=3, m=30, seed=0, loc=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(loc, scale, size=(n_features, m))
    y = (X[0] + X[1] > 2 * loc).astype(float).reshape(1, -1)
    return X, y


def bn_network(seed=0, dtype=None):
    """Two hidden layers with batch normalization, one sigmoid output."""
    return ClassifierNN([3, 4, 3, 1], ["relu", "tanh", "sigmoid"], batch_norm=True, seed=seed,
                        dtype=dtype)


# --------------------------------------------------------------------------- forward_propagation
def test_forward_propagation_defaults_to_inference_mode():
    """``training`` defaults to False: batch normalization uses its running statistics, exactly as
    ``predict_proba`` does, and not the batch's own (which would give other outputs here)."""
    nn = bn_network()
    X, _ = data(loc=3.0, scale=2.0)  # far from the running statistics' mean 0, variance 1
    A, _ = nn.forward_propagation(X)
    np.testing.assert_allclose(A, nn.predict_proba(X), rtol=1e-12)
    A_batch, _ = nn.forward_propagation(X, training=True)
    assert np.max(np.abs(A - A_batch)) > 1e-3


def test_forward_propagation_refuses_parameters_that_are_not_a_dict():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, _ = data()
    with pytest.raises(TypeError, match=r"^parameters must be a dict, got list$"):
        nn.forward_propagation(X, parameters=[nn.parameters["W1"]])


# --------------------------------------------------------------------------- compute_cost
@pytest.mark.parametrize("bad", [1.5, -0.25], ids=["above-1", "below-0"])
def test_compute_cost_refuses_values_that_are_not_probabilities(bad):
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data()
    A, _ = nn.forward_propagation(X)
    A[0, 3] = bad
    with pytest.raises(ValueError, match=r"^A must hold probabilities in \[0, 1\]$"):
        nn.compute_cost(A, y)


def test_float32_outputs_are_scored_and_differentiated_in_float32():
    """Labels are cast to ``A``'s dtype, so a float32 model's cost and gradients come from float32
    arithmetic: exactly those of the unchecked ``cost``/``backward`` on float32 labels (float64
    labels would promote every product). The gradients land in a new float32 buffer, not in the
    model's own ``grad``."""
    nn = ClassifierNN([3, 5, 4, 1], ["tanh", "relu", "sigmoid"], seed=1, dtype="float32")
    X, y = data(m=57, seed=1)
    A, caches = nn.forward_propagation(X.astype(np.float32), training=True)
    assert A.dtype == np.float32
    y32 = y.astype(np.float32)

    assert nn.compute_cost(A, y) == nn.cost(A, y32, BinaryCrossEntropy, 0.0)

    grads = nn.backward_propagation(A, y, caches)
    _, expected = allocate(nn.parameter_shapes, np.float32, prefix="d")
    nn.backward(A, y32, caches, BinaryCrossEntropy, 0.0, expected)
    assert list(grads) == list(expected)
    for name, g in grads.items():
        assert g.dtype == np.float32, name
        np.testing.assert_array_equal(g, expected[name], err_msg=name)
        assert not np.shares_memory(g, nn.grad), name
    np.testing.assert_array_equal(nn.grad, 0.0)  # the model's own gradient is left alone


# --------------------------------------------------------------------------- backward_propagation
def test_backward_propagation_defaults_to_no_l2_term():
    """``lambd`` defaults to 0: the default gradients are the unregularized ones, which differ from
    those with any positive ``lambd`` (all weights are non-zero)."""
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data()
    A, caches = nn.forward_propagation(X)
    default = nn.backward_propagation(A, y, caches)
    plain = nn.backward_propagation(A, y, caches, lambd=0)
    l2 = nn.backward_propagation(A, y, caches, lambd=0.5)
    for name in default:
        np.testing.assert_array_equal(default[name], plain[name])
    m = X.shape[1]
    np.testing.assert_allclose(l2["dW1"] - default["dW1"], 0.5 / m * nn.parameters["W1"],
                               rtol=1e-10, atol=1e-15)


def test_backward_propagation_refuses_a_negative_lambd():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data()
    A, caches = nn.forward_propagation(X)
    with pytest.raises(ValueError, match=r"^lambd must be in \[0, inf\), got -0\.5$"):
        nn.backward_propagation(A, y, caches, lambd=-0.5)


def _corrupt(field, l):
    """Change one entry of layer ``l``'s cache to a shape (or kind) a forward pass never makes."""
    def corrupt(nn, caches):
        layer = caches.layers[l]
        if field == "bn":  # a hidden layer without its batch-norm cache, or an output with one
            layer.bn = None if layer.bn is not None else caches.layers[1].bn
        else:
            value = getattr(layer, field)
            setattr(layer, field, value[:-1] if field == "A_prev" else value[:, :-1])
    return corrupt


def _replace_layers(make):
    def corrupt(nn, caches):
        caches.layers = make(caches.layers)
    return corrupt


def _drop_parameter(nn, caches):
    caches.parameters = {k: v for k, v in caches.parameters.items() if k != "gamma2"}


CORRUPTIONS = {
    **{f"layer{l}-{field}": _corrupt(field, l) for l in (1, 2, 3) for field in ("Z", "A_prev", "bn")},
    **{f"layer{l}-A": _corrupt("A", l) for l in (0, 1, 2)},
    "a-layer-missing": _replace_layers(lambda layers: layers[:-1]),
    "layers-not-a-list": _replace_layers(lambda layers: {i: c for i, c in enumerate(layers)}),
    "a-layer-not-a-LayerCache": _replace_layers(lambda layers: [layers[0], vars(layers[1])]
                                                + layers[2:]),
    "a-parameter-missing": _drop_parameter,
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_backward_propagation_refuses_a_cache_that_is_not_this_networks_pass(corrupt):
    """Every shape the cache records (each layer's ``A``, ``Z``, ``A_prev``), whether a layer has
    a batch-norm cache, and the parameters are checked against the network: one entry out of
    place is refused before any gradient is computed."""
    nn = bn_network()
    X, y = data()
    A, caches = nn.forward_propagation(X, training=True)
    nn.backward_propagation(A, y, caches)  # the untouched cache is accepted
    corrupt(nn, caches)
    with pytest.raises(ValueError, match=r"^A and caches must come from the same "
                                         r"forward_propagation call of this network$"):
        nn.backward_propagation(A, y, caches)


def test_backward_propagation_refuses_an_output_that_is_not_2d():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data()
    A, caches = nn.forward_propagation(X)
    with pytest.raises(ValueError, match=r"^A and caches must come from the same "):
        nn.backward_propagation(A.ravel(), y, caches)


def test_backward_propagation_refuses_caches_of_another_kind():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data()
    A, caches = nn.forward_propagation(X)
    with pytest.raises(TypeError,
                       match=r"^caches must be the second result of forward_propagation$"):
        nn.backward_propagation(A, y, caches.layers)


def test_backward_propagation_refuses_another_keep_prob():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data()
    A, caches = nn.forward_propagation(X, keep_prob=[0.9, 0.8], training=True)
    nn.backward_propagation(A, y, caches, keep_prob=[0.9, 0.8])  # the same one is accepted
    with pytest.raises(ValueError,
                       match=r"^keep_prob differs from the one used in forward_propagation$"):
        nn.backward_propagation(A, y, caches, keep_prob=[0.9, 0.7])


# --------------------------------------------------------------------------- random_mini_batches
def _expected_batches(X, Y, permutation, size):
    return [(X[:, permutation[k:k + size]], Y[:, permutation[k:k + size]])
            for k in range(0, X.shape[1], size)]


def _assert_batches_equal(batches, expected):
    assert len(batches) == len(expected)
    for (Xb, Yb), (Xe, Ye) in zip(batches, expected):
        np.testing.assert_array_equal(Xb, Xe)
        np.testing.assert_array_equal(Yb, Ye)


def test_random_mini_batches_defaults_to_batches_of_64_shuffled_with_seed_0():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data(m=130)
    batches = nn.random_mini_batches(X, y)
    assert [Xb.shape[1] for Xb, _ in batches] == [64, 64, 2]
    permutation = np.random.default_rng(0).permutation(130)
    _assert_batches_equal(batches, _expected_batches(X, y, permutation, 64))


def test_random_mini_batches_with_seed_none_draws_from_the_models_generator():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=5)
    X, y = data(m=20)
    rng = copy.deepcopy(nn.rng)
    batches = nn.random_mini_batches(X, y, batch_size=8, seed=None)
    _assert_batches_equal(batches, _expected_batches(X, y, rng.permutation(20), 8))
    assert nn.rng.bit_generator.state == rng.bit_generator.state  # the model's generator moved on


# --------------------------------------------------------------------------- predict / accuracy
@pytest.mark.parametrize("layer_dims, activations", [
    ([3, 4, 1], ["relu", "sigmoid"]),
    ([3, 4, 3], ["relu", "softmax"]),
], ids=["sigmoid", "softmax"])
def test_predict_gives_int64_labels_and_a_probability_of_one_half_is_class_0(layer_dims,
                                                                             activations):
    """With every parameter 0 the sigmoid output is exactly 0.5, which is not ``> 0.5``: class 0
    (and a softmax's tie goes to the first class); the labels are int64 whatever the output."""
    nn = ClassifierNN(layer_dims, activations, seed=0)
    nn.theta = np.zeros(nn.n_parameters)
    X, _ = data(m=7)
    n_outputs = layer_dims[-1]
    np.testing.assert_array_equal(nn.predict_proba(X), 0.5 if n_outputs == 1 else 1 / n_outputs)
    labels = nn.predict(X)
    assert labels.dtype == np.int64 and labels.shape == (1, 7)
    np.testing.assert_array_equal(labels, 0)


def test_accuracy_of_one_hot_labels_is_the_fraction_of_correct_columns():
    """Half the labels agree with the predicted class, half name another one: 0.5, whether the
    labels are given as indices, as a flat vector or one-hot."""
    nn = ClassifierNN([3, 6, 3], ["tanh", "softmax"], seed=2)
    X, _ = data(m=40, seed=2)
    predicted = np.argmax(nn.predict_proba(X), axis=0)
    assert len(set(predicted)) > 1  # the check below would be weak for a constant prediction
    labels = np.where(np.arange(40) % 2 == 0, predicted, (predicted + 1) % 3)
    one_hot = np.eye(3)[:, labels]
    assert nn.accuracy(X, one_hot) == 0.5
    assert nn.accuracy(X, labels) == 0.5
    assert nn.accuracy(X, labels.reshape(1, -1)) == 0.5


@pytest.mark.parametrize("labels, match", [
    ([0, 1, 2, 1], r"^Y for SparseCategoricalCrossEntropy must hold class indices in \[0, 1\] "),
    ([0, 1, 0.5, 1], r"^Y for SparseCategoricalCrossEntropy must hold integer class indices$"),
], ids=["index-too-large", "not-an-integer"])
def test_accuracy_checks_class_indices_of_a_two_unit_softmax_as_training_does(labels, match):
    nn = ClassifierNN([3, 4, 2], ["relu", "softmax"], seed=0)
    X, _ = data(m=4)
    with pytest.raises(ValueError, match=match):
        nn.accuracy(X, labels)


def test_accuracy_refuses_nan_labels():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, y = data(m=4)
    y[0, 2] = np.nan
    with pytest.raises(ValueError, match=r"^Y contains NaN or infinite values$"):
        nn.accuracy(X, y)


# --------------------------------------------------------------------------- config and pickle
def test_from_config_defaults_are_the_constructors():
    """Only ``layer_dims`` and ``activations`` are required; the rest default as in the
    constructor (He initialization, no batch normalization, dtype from the data)."""
    config = {"layer_dims": [3, 4, 2], "activations": ["relu", "softmax"]}
    nn = ClassifierNN.from_config(config)
    assert nn.get_config() == {**config, "initialization_method": "he", "batch_norm": False,
                               "dtype": None}


def test_pickle_holds_each_parameter_once_and_no_gradient_buffer():
    """The named parameters and gradients are views of the flat buffers: the pickle keeps only
    ``theta`` (not a second copy of every weight, nor the gradient), and the views come back
    attached to it."""
    nn = ClassifierNN([40, 120, 100, 5], ["relu", "relu", "softmax"], seed=0)
    size = len(pickle.dumps(nn))
    assert nn.theta.nbytes < size < 1.2 * nn.theta.nbytes
    copy_ = pickle.loads(pickle.dumps(nn))
    np.testing.assert_array_equal(copy_.theta, nn.theta)
    assert copy_.parameters["W2"].base is copy_.theta
    assert copy_.grads["dW2"].base is copy_.grad


# --------------------------------------------------------------------------- ONNX
def test_to_onnx_writes_the_model_to_the_path(tmp_path):
    """``to_onnx`` exports this model to ``path``; the graph there gives ``predict_proba``."""
    ort = pytest.importorskip("onnxruntime")
    nn = ClassifierNN([3, 5, 3], ["tanh", "softmax"], seed=0)
    path = tmp_path / "model.onnx"
    proto = nn.to_onnx(path)
    assert [node.name for node in proto.graph.input] == ["input"]
    X, _ = data(m=9)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(None, {"input": X.T.astype(np.float32)})  # one row per example
    np.testing.assert_allclose(probabilities.T, nn.predict_proba(X), atol=1e-5)


# --------------------------------------------------------------------------- the constructor
@pytest.mark.parametrize("layer_dims, activations, kwargs, error, match", [
    ([3, 4, 1], "relu", {}, TypeError, r"^activations must be a list of 2 names, got 'relu'$"),
    ([3, 4, 1], ["relu"], {}, ValueError,
     r"^activations must have one entry per layer after the input: 2 for layer_dims "
     r"\[3, 4, 1\], got 1$"),
    ([3, 4, 4, 1], ["relu", "tanh", "linear"], {}, ValueError,
     r"^the output activation must be one of \['sigmoid', 'softmax'\] for a classifier, "
     r"got 'linear'; for continuous targets use RegressorNN$"),
    ([3, 4, 1], ["relu", "tanh"], {}, ValueError,
     r"^the output activation must be one of \['sigmoid', 'softmax'\] for a classifier, "
     r"got 'tanh'$"),
    ([3, 4, 1], ["relu", "softmax"], {}, ValueError,
     r"^a softmax output needs at least 2 units \(layer_dims\[-1\] >= 2\); for two classes use "
     r"one sigmoid unit or a softmax of 2$"),
    ([3, 4, 1], ["relu", "sigmoid"], {"batch_norm": 1}, TypeError,
     r"^batch_norm must be True or False, got 1$"),
    ([3, 4, 1], ["relu", "sigmoid"], {"seed": -1}, ValueError, r"^seed must be >= 0, got -1$"),
    ([3, 4, 1], ["relu", "sigmoid"], {"seed": 1.5}, TypeError,
     r"^seed must be an integer, got 1\.5$"),
], ids=["activations-a-string", "activations-too-few", "hidden-output", "tanh-output",
        "softmax-of-1",
        "batch_norm-not-bool", "seed-negative", "seed-not-int"])
def test_constructor_refusals_name_the_argument(layer_dims, activations, kwargs, error, match):
    with pytest.raises(error, match=match):
        ClassifierNN(layer_dims, activations, **kwargs)


@pytest.mark.parametrize("layer_dims, activations, seed", [
    ([3, 2], ["softmax"], 0),  # the smallest softmax, and the smallest seed
    ([3, 1], ["sigmoid"], 0),
    ([2, 4, 3, 2], ["relu", "tanh", "softmax"], None),
], ids=["softmax-of-2", "one-sigmoid", "deeper"])
def test_constructor_accepts_the_boundaries(layer_dims, activations, seed):
    nn = ClassifierNN(layer_dims, activations, seed=seed)
    assert nn.layer_dims == layer_dims and nn.activations == activations
    assert nn.seed == seed


def test_a_new_model_starts_as_documented():
    """No optimizer and no costs yet; weights drawn, biases and ``beta`` 0, ``gamma`` 1, running
    means 0 and variances 1, all in the model's dtype."""
    nn = ClassifierNN([3, 5, 4, 2], ["relu", "tanh", "softmax"], batch_norm=True, seed=3,
                      dtype="float32")
    assert nn.optimizer is None and nn.costs == [] and nn.seed == 3
    assert nn.theta.dtype == nn.grad.dtype == np.float32
    assert nn.grads["dW1"].dtype == np.float32
    for l in (1, 2):
        np.testing.assert_array_equal(nn.parameters[f"gamma{l}"], np.ones((nn.layer_dims[l], 1)))
        np.testing.assert_array_equal(nn.parameters[f"beta{l}"], np.zeros((nn.layer_dims[l], 1)))
        for name, value in (("running_mean", 0.0), ("running_var", 1.0)):
            state = nn.bn_state[f"{name}{l}"]
            assert state.dtype == np.float32 and state.shape == (nn.layer_dims[l], 1)
            np.testing.assert_array_equal(state, value)
    assert sorted(nn.bn_state) == ["running_mean1", "running_mean2", "running_var1",
                                   "running_var2"]
    np.testing.assert_array_equal(nn.parameters["b3"], np.zeros((2, 1)))
    for l in (1, 2, 3):
        assert np.all(nn.parameters[f"W{l}"] != 0)


def test_same_seed_same_model_and_no_seed_a_fresh_draw():
    a, b = (ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=7) for _ in range(2))
    np.testing.assert_array_equal(a.theta, b.theta)
    c, d = (ClassifierNN([3, 4, 1], ["relu", "sigmoid"]) for _ in range(2))
    assert not np.array_equal(c.theta, d.theta)


def test_initialize_parameters_defaults_to_he_and_forgets_the_optimizer():
    nn = ClassifierNN([30, 20, 1], ["relu", "sigmoid"], "xavier", seed=0)
    X, y = data(n_features=30, m=16)
    nn.train(X, y, num_epochs=1, print_cost=False)
    assert nn.optimizer is not None
    before = nn.theta.copy()
    assert nn.initialize_parameters() is nn.parameters
    assert nn.initialization_method == "he" and nn.optimizer is None
    assert not np.array_equal(nn.theta, before)
    # He's standard deviation sqrt(2 / fan_in) (xavier's would be sqrt(1 / fan_in)) over 600 draws
    assert np.std(nn.parameters["W1"]) == pytest.approx(np.sqrt(2 / 30), rel=0.15)
    with pytest.raises(ValueError, match=r"^resume=True continues the 'gd' optimizer of an "
                                         r"earlier train call or loaded checkpoint, but the model "
                                         r"has none$"):
        nn.train(X, y, num_epochs=1, print_cost=False, resume=True)


def test_a_new_compute_dtype_converts_the_state_and_starts_a_new_optimizer():
    """``dtype=None`` follows the training data: float64 training, then float32 data, converts
    the parameters and running statistics, and the float64 optimizer cannot be resumed."""
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], batch_norm=False, seed=0)
    nn_bn = bn_network()
    X, y = data(m=16)
    for model in (nn, nn_bn):
        model.train(X, y, num_epochs=1, print_cost=False, optimizer="adam")
        assert model.compute_dtype == np.float64
        with pytest.raises(ValueError, match=r"^resume=True continues the 'adam' optimizer of an "
                                             r"earlier train call or loaded checkpoint, but the "
                                             r"model has none$"):
            model.train(X.astype(np.float32), y, num_epochs=1, print_cost=False,
                         optimizer="adam", resume=True)
        assert model.compute_dtype == np.float32 and model.optimizer is None
        assert model.grad.dtype == np.float32
    assert {state.dtype for state in nn_bn.bn_state.values()} == {np.dtype(np.float32)}


# --------------------------------------------------------------------------- labels and losses
@pytest.mark.parametrize("call, error, match", [
    (lambda nn, X, A, y: nn.compute_cost(A, y, loss="CategoricalCrossEntropy"), ValueError,
     r"^loss 'CategoricalCrossEntropy' needs a 'softmax' output layer, but this network's output "
     r"activation is 'sigmoid'$"),
    (lambda nn, X, A, y: nn.compute_cost(A, np.hstack([y, y[:, :1]])), ValueError,
     r"^Y has 5 examples \(columns\) but X has 4$"),
    (lambda nn, X, A, y: nn.compute_cost(A, 2 * y), ValueError,
     r"^Y for BinaryCrossEntropy must hold values in \[0, 1\] \(labels 0 and 1\)$"),
    (lambda nn, X, A, y: nn.compute_cost(A, y.astype(str)), TypeError,
     r"^Y must hold numbers, got an array of dtype <U32$"),
    (lambda nn, X, A, y: nn.train(X, y, num_epochs=1, print_cost=False,
                                  validation_data=(X, 2 * y)), ValueError,
     r"^validation_data Y_val for BinaryCrossEntropy must hold values in \[0, 1\] "
     r"\(labels 0 and 1\)$"),
    (lambda nn, X, A, y: nn.train(X, y, num_epochs=1, print_cost=False,
                                  validation_data=(X, y.astype(str))), TypeError,
     r"^validation_data Y_val must hold numbers, got an array of dtype <U32$"),
    (lambda nn, X, A, y: nn.train(X, y, num_epochs=1, print_cost=False,
                                  validation_data=(X, np.hstack([y, y[:, :1]]))), ValueError,
     r"^validation_data Y_val has 5 examples \(columns\) but "
     r"validation_data X_val has 4$"),
], ids=["loss-for-another-output", "Y-columns", "Y-values", "Y-not-numeric", "Y_val-values",
        "Y_val-not-numeric", "Y_val-columns"])
def test_label_refusals_name_the_labels_argument(call, error, match):
    """Label errors start with the argument they are about: ``Y``, or ``validation_data Y_val``
    for the validation labels (the loss's own message, renamed), with the error's own type."""
    nn = ClassifierNN([3, 4, 4, 1], ["relu", "tanh", "sigmoid"], seed=0)  # the output is last
    X, _ = data(m=4)
    y = np.array([[0.0, 1.0, 0.0, 1.0]])
    A, _ = nn.forward_propagation(X)
    with pytest.raises(error, match=match):
        call(nn, X, A, y)


# --------------------------------------------------------------------------- predict_proba
def test_predict_proba_reports_an_overflowing_forward_pass():
    """Logits beyond the float range: ``W A`` overflows to inf and -inf, and their sum, NaN, is
    reported as bad input (the message starts with the argument) instead of being returned."""
    nn = ClassifierNN([2, 3, 2], ["linear", "softmax"], seed=0)
    nn.parameters["W1"][...] = [[1e300, 1e300], [-1e300, -1e300], [1.0, 1.0]]  # inf, -inf
    nn.parameters["W2"][...] = [[1e300, 1e300, 1.0], [1.0, 1.0, 1.0]]  # inf + -inf
    X = np.array([[1e10, 1.0], [1e10, 1.0]])
    with pytest.raises(ValueError, match=r"^X is too large for this network: the forward pass "
                                         r"overflowed \(scale the features\)$"):
        nn.predict_proba(X)


def test_predict_proba_in_chunks_equals_one_pass():
    """More examples than one chunk (and a remainder): every column is the one-pass result."""
    from scratchnn.network import PREDICT_CHUNK

    nn = ClassifierNN([3, 5, 3], ["tanh", "softmax"], seed=0)
    X, _ = data(m=2 * PREDICT_CHUNK + 3)
    A, _ = nn.forward(X)
    P = nn.predict_proba(X)
    assert P.shape == A.shape
    np.testing.assert_allclose(P, A, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- cost_and_gradient
@pytest.mark.parametrize("kwargs, error, match", [
    ({"theta": "short"}, ValueError, r"^theta must have shape \(21,\), got \(20,\)$"),
    ({"dropout_masks": [np.ones((3, 4))]}, TypeError,
     r"^dropout_masks must be a dict of layer index to mask, or None$"),
    ({"dropout_masks": {0: np.ones((3, 3))}}, ValueError,
     r"^dropout_masks\[0\] must be a layer index below 2 with a mask of shape \(n_l, m\)$"),
    ({"dropout_masks": {2: np.ones((1, 4))}}, ValueError,
     r"^dropout_masks\[2\] must be a layer index below 2 with a mask of shape \(n_l, m\)$"),
    ({"label_smoothing": 1.0}, ValueError, r"^label_smoothing must be in \[0, 1\), got 1$"),
    ({"label_smoothing": -0.1}, ValueError, r"^label_smoothing must be in \[0, 1\), got -0\.1$"),
    ({"lambd": -1}, ValueError, r"^lambd must be in \[0, inf\), got -1$"),
], ids=["theta-shape", "masks-not-a-dict", "mask-shape", "mask-of-the-output",
        "smoothing-1", "smoothing-negative", "lambd-negative"])
def test_cost_and_gradient_refusals_name_the_argument(kwargs, error, match):
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    X, _ = data(m=4)
    y = np.array([[0.0, 1.0, 0.0, 1.0]])
    kwargs = dict(kwargs)  # the parameter set is shared by reruns: leave it as it is
    theta = nn.theta[:-1] if kwargs.pop("theta", None) else nn.theta
    with pytest.raises(error, match=match):
        nn.cost_and_gradient(theta, X, y, **kwargs)


# --------------------------------------------------------------------------- dropout switches
def test_keep_prob_of_one_switches_dropout_off_without_drawing():
    """Entries of 1.0 switch a layer's dropout off: no mask, no random draw (the model's
    generator is untouched), and the output of the pass without ``keep_prob``."""
    nn = ClassifierNN([3, 4, 4, 1], ["relu", "tanh", "sigmoid"], seed=0)
    X, _ = data()
    state = copy.deepcopy(nn.rng.bit_generator.state)
    A, caches = nn.forward_propagation(X, keep_prob=[1.0, 1.0, 1.0], training=True)
    assert [layer.D for layer in caches.layers] == [None] * 4
    assert nn.rng.bit_generator.state == state
    np.testing.assert_array_equal(A, nn.forward_propagation(X)[0])


def test_dropout_masks_of_a_float32_model_are_float32():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0, dtype="float32")
    X, _ = data()
    A, caches = nn.forward_propagation(X.astype(np.float32), keep_prob=[0.8, 0.5], training=True)
    assert A.dtype == np.float32
    assert caches.layers[0].D.dtype == caches.layers[1].D.dtype == np.float32
    assert set(np.unique(caches.layers[1].D)) <= {0.0, 2.0}  # inverted dropout: kept / 0.5


# --------------------------------------------------------------------------- workspaces
def _buffer_names(workspace):
    return [sorted(name for name, value in vars(buffers).items() if value is not None)
            for buffers in workspace.layers]


@pytest.mark.parametrize("training, expected", [
    (True, [["A_dropped", "D"],
            ["A", "Z", "Z_hat", "Z_lin", "dA", "dZ", "dZ_lin"],
            ["A", "A_dropped", "D", "Z", "Z_hat", "Z_lin", "dA", "dZ", "dZ_lin"],
            ["A", "Z", "dZ"]]),
    (False, [[], ["A", "Z", "Z_hat", "Z_lin"], ["A", "Z", "Z_hat", "Z_lin"], ["A", "Z"]]),
], ids=["training", "inference"])
def test_a_workspace_holds_exactly_the_arrays_each_layer_needs(training, expected):
    """Per layer, as :meth:`make_workspace` lists them: ``Z``, ``A`` above the input;
    ``Z_lin``/``Z_hat`` for batch-normalized hidden layers; for training also ``dZ`` (and
    ``dZ_lin``), ``dA`` for hidden layers, and ``D``/``A_dropped`` where ``keep_prob < 1``
    (layer 1's 1.0 needs none). Each of shape ``(n_l, m)`` in the model's dtype."""
    nn = ClassifierNN([3, 5, 4, 2], ["relu", "tanh", "softmax"], batch_norm=True, seed=0,
                      dtype="float32")
    workspace = nn.make_workspace(7, keep_prob=(0.9, 1.0, 0.8), training=training)
    assert _buffer_names(workspace) == expected
    for l, buffers in enumerate(workspace.layers):
        for name in expected[l]:
            array = getattr(buffers, name)
            assert array.shape == (nn.layer_dims[l], 7) and array.dtype == np.float32, (l, name)
    assert len(workspace.caches.layers) == 4
    assert (workspace.l2 is not None) == training
    if training:
        assert {k: v.shape for k, v in workspace.l2.items()} == nn.parameter_shapes
        # the column of ones the bias gradients are taken with (db = dZ 1)
        assert workspace.ones.shape == (7, 1) and workspace.ones.dtype == np.float32
        assert np.all(workspace.ones == 1.0)
    else:
        assert workspace.ones is None


def test_make_workspace_defaults_to_training_without_dropout():
    nn = ClassifierNN([3, 5, 2], ["relu", "softmax"], seed=0)
    assert _buffer_names(nn.make_workspace(4)) == [[], ["A", "Z", "dA", "dZ"], ["A", "Z", "dZ"]]


def test_passes_through_a_workspace_fill_its_arrays_and_match_fresh_ones():
    """A forward and a backward pass through a workspace give the results of passes that
    allocate afresh, and every intermediate is in the workspace's own arrays: the cache's ``Z``,
    ``A``, ``Z_hat`` and masks are them, ``Z_lin = W A_prev``, ``dZ`` of the output is
    ``(A - Y)/m``, ``dA`` of a hidden layer is ``W^T dZ`` from above (times its mask), each
    ``dZ`` is the activation's derivative times ``dA``, ``dW = dZ_lin A_prev^T`` for normalized
    layers, and the L2 scratch holds ``lambd / m * W``."""
    from scratchnn.losses import SparseCategoricalCrossEntropy as loss

    def model():
        return ClassifierNN([3, 5, 4, 2], ["relu", "tanh", "softmax"], batch_norm=True, seed=0)

    nn, fresh = model(), model()  # the same parameters and the same generator state
    X, _ = data(m=12)
    Y = nn.check_labels(np.arange(12) % 2, loss, 12, np.float64)
    m, keep_prob = 12, (0.9, 1.0, 0.8)
    ws = nn.make_workspace(m, keep_prob)
    A, caches = nn.forward(X, keep_prob=keep_prob, training=True, workspace=ws)
    A_fresh, caches_fresh = fresh.forward(X, keep_prob=keep_prob, training=True)
    np.testing.assert_allclose(A, A_fresh, rtol=1e-12, atol=1e-15)
    assert caches is ws.caches
    _, grads = allocate(nn.parameter_shapes, np.float64, prefix="d")
    _, grads_fresh = allocate(nn.parameter_shapes, np.float64, prefix="d")
    assert nn.backward(A, Y, caches, loss, grads=grads, workspace=ws) is grads  # lambd: 0
    fresh.backward(A_fresh, Y, caches_fresh, loss, 0.0, grads_fresh)
    for name in grads:
        np.testing.assert_allclose(grads[name], grads_fresh[name], rtol=1e-10, atol=1e-14,
                                   err_msg=name)

    W, layers, buffers = nn.parameters, caches.layers, ws.layers
    for l in (1, 2, 3):
        assert layers[l].Z is buffers[l].Z and layers[l].A is buffers[l].A, l
    for l in (1, 2):
        assert layers[l].bn.Z_hat is buffers[l].Z_hat, l
        np.testing.assert_allclose(buffers[l].Z_lin, W[f"W{l}"] @ layers[l].A_prev, rtol=1e-12)
    for l in (0, 2):  # the layers with dropout
        assert layers[l].D is buffers[l].D and layers[l + 1].A_prev is buffers[l].A_dropped, l
    assert layers[1].D is None and layers[2].A_prev is buffers[1].A

    one_hot = np.eye(2)[:, np.arange(12) % 2]
    np.testing.assert_allclose(buffers[3].dZ, (A - one_hot) / m, rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(buffers[2].dA, (W["W3"].T @ buffers[3].dZ) * layers[2].D,
                               rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(buffers[2].dZ, buffers[2].dA * (1 - layers[2].A ** 2),
                               rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(buffers[1].dA, W["W2"].T @ buffers[2].dZ_lin, rtol=1e-10,
                               atol=1e-16)
    np.testing.assert_allclose(buffers[1].dZ, buffers[1].dA * (layers[1].A > 0), rtol=1e-10,
                               atol=1e-16)
    for l in (1, 2):
        np.testing.assert_allclose(grads[f"dW{l}"], buffers[l].dZ_lin @ layers[l].A_prev.T,
                                   rtol=1e-10, atol=1e-16)
    np.testing.assert_allclose(grads["dW3"], buffers[3].dZ @ layers[3].A_prev.T, rtol=1e-10,
                               atol=1e-16)

    nn.backward(A, Y, caches, loss, 0.5, grads, workspace=ws)
    for l in (1, 2, 3):
        np.testing.assert_allclose(ws.l2[f"W{l}"], 0.5 / m * W[f"W{l}"], rtol=1e-12)


# --------------------------------------------------------------------------- train
def test_train_defaults_are_the_documented_ones(capsys):
    """``train(X, Y)`` is binary cross-entropy, 100 epochs of plain gradient descent at 0.01 on
    batches of 64, no L2, no dropout, no smoothing, with a progress bar: exactly the run with
    these values spelled out (150 examples: three batches, the last one partial)."""
    X, y = data(m=150)
    a = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    b = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    _, costs = a.train(X, y)
    assert "training" in capsys.readouterr().err  # tqdm's bar
    _, costs_b = b.train(X, y, loss="BinaryCrossEntropy", num_epochs=100, learning_rate=0.01,
                         batch_size=64, lambd=0, keep_prob=None, print_cost=False, optimizer="gd",
                         label_smoothing=0.0, weight_decay=0.0)
    assert capsys.readouterr().err == ""
    assert len(costs) == 100 and costs == costs_b
    np.testing.assert_array_equal(a.theta, b.theta)


def test_train_adam_defaults_are_the_documented_ones():
    X, y = data(m=40)
    a = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    b = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    a.train(X, y, num_epochs=5, optimizer="adam", print_cost=False)
    b.train(X, y, num_epochs=5, optimizer="adam", print_cost=False, beta1=0.9, beta2=0.999,
            epsilon=1e-8)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_train_checkpoints_every_epoch_by_default(tmp_path):
    """With ``checkpoint`` alone the file is rewritten after every epoch: after 3 epochs it holds
    all three costs (every other epoch would stop at two)."""
    X, y = data(m=20)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    path = tmp_path / "run.npz"
    _, costs = nn.train(X, y, num_epochs=3, print_cost=False, checkpoint=path)
    assert ClassifierNN.load(path).costs == costs and len(costs) == 3


# --------------------------------------------------------------------------- flat parameters
@pytest.mark.parametrize("theta_dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64),
], ids=["float32", "float64", "int-computed-in-float64"])
def test_cost_and_gradient_compute_in_thetas_dtype(theta_dtype, expected):
    """The computation runs in ``theta``'s dtype (float32 or float64, anything else in
    float64): labels and sample weights are cast to it, so the cost and gradient are exactly
    those of a forward and backward pass with everything in that dtype."""
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0, dtype="float32")
    X, y = data(m=21)
    weights = np.linspace(0.5, 2.0, 21)
    theta = (nn.theta * 4).astype(theta_dtype)
    cost, grad = nn.cost_and_gradient(theta, X, y, lambd=0.2, sample_weight=weights)
    assert grad.dtype == expected and grad.shape == (nn.n_parameters,)

    parameters = views(theta.astype(expected), nn.parameter_shapes)
    A, caches = nn.forward(X.astype(expected), parameters, training=True)
    y_, w_ = y.astype(expected), weights.astype(expected).reshape(1, -1)
    assert cost == nn.cost(A, y_, BinaryCrossEntropy, 0.2, parameters, Z=caches.layers[-1].Z,
                           weights=w_)
    flat, grads = allocate(nn.parameter_shapes, expected, prefix="d")
    nn.backward(A, y_, caches, BinaryCrossEntropy, 0.2, grads, weights=w_)
    np.testing.assert_array_equal(grad, flat)


def test_objective_defaults_are_cost_and_gradients():
    """``objective(X, Y)`` defaults to binary cross-entropy without L2, weights, masks or
    smoothing: the function ``cost_and_gradient`` evaluates with those spelled out."""
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    X, y = data(m=10)
    f = nn.objective(X, y)
    cost, grad = f(nn.theta)
    cost_ref, grad_ref = nn.cost_and_gradient(nn.theta, X, y, loss="BinaryCrossEntropy", lambd=0,
                                              sample_weight=None, dropout_masks=None,
                                              label_smoothing=0.0)
    assert cost == cost_ref == f.cost(nn.theta)
    np.testing.assert_array_equal(grad, grad_ref)


@pytest.mark.parametrize("kwargs", [
    {},
    {"lambd": 0.3, "keep_prob": [0.8, 1.0], "epsilon": 1e-6, "return_details": True,
     "sample_weight": np.linspace(0.5, 2.0, 8), "label_smoothing": 0.1},
], ids=["defaults", "every-argument"])
def test_gradient_check_method_is_the_gradcheck_function(kwargs):
    """``model.gradient_check`` hands every argument (and the same defaults) to
    :func:`scratchnn.gradcheck.gradient_check`, which is deterministic: the results are equal."""
    from scratchnn.gradcheck import gradient_check

    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    X, y = data(m=8)
    assert nn.gradient_check(X, y, **kwargs) == gradient_check(nn, X, y, **kwargs)
    if kwargs:  # each argument changes the result, so none can have gone missing
        for name in ("lambd", "keep_prob", "sample_weight", "label_smoothing"):
            partial = {k: v for k, v in kwargs.items() if k != name}
            assert gradient_check(nn, X, y, **partial) != gradient_check(nn, X, y, **kwargs), name


# --------------------------------------------------------------------------- inputs and costs
def test_input_refusals_name_X():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match=r"^X has 2 rows \(features\) but the network expects 3: "
                                         r"shape must be \(3, m\)$"):
        nn.forward_propagation(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"^X contains NaN or infinite values$"):
        nn.random_mini_batches(np.full((3, 5), np.nan), np.zeros((1, 5)))


def test_a_float32_model_predicts_in_float32():
    nn = ClassifierNN([3, 4, 2], ["relu", "softmax"], seed=0, dtype="float32")
    X, _ = data(m=6)
    P = nn.predict_proba(X)
    assert P.dtype == np.float32
    np.testing.assert_array_equal(P, nn.forward(X.astype(np.float32))[0])


def test_the_l2_term_of_the_cost():
    """``compute_cost`` adds ``lambd / (2 m) * sum of every squared weight`` (all layers, no
    biases), and the unchecked ``cost`` has no L2 term by default."""
    nn = ClassifierNN([3, 4, 3, 1], ["relu", "tanh", "sigmoid"], seed=0)
    X, y = data(m=9)
    A, _ = nn.forward_propagation(X)
    squares = sum(np.sum(nn.parameters[f"W{l}"] ** 2) for l in (1, 2, 3))
    plain = nn.compute_cost(A, y)
    assert nn.compute_cost(A, y, lambd=0.7) == pytest.approx(plain + 0.7 / 18 * squares,
                                                             rel=1e-12)
    assert nn.cost(A, y, BinaryCrossEntropy) == plain


def test_cost_and_gradient_score_saturated_outputs_from_the_logits():
    """Logits of +-40 round the sigmoid to exactly 1 or 0; the cost is still exact, from the
    logits: the mean of ``log(1 + e^z) - z y`` (the probabilities would clip at 1 - eps)."""
    nn = ClassifierNN([2, 1], ["sigmoid"], seed=0)
    nn.parameters["W1"][...] = [[40.0, 0.0]]
    X = np.array([[1.0, -1.0, 1.0, -1.0], [0.0, 0.0, 0.0, 0.0]])
    y = np.array([[0.0, 1.0, 1.0, 0.0]])  # two confident mistakes, two confident hits
    z = 40.0 * X[0]
    exact = np.mean(np.logaddexp(0.0, z) - z * y)
    cost, _ = nn.cost_and_gradient(nn.theta, X, y)
    assert cost == pytest.approx(exact, rel=1e-12)
    assert cost == pytest.approx(20.0, rel=1e-12)


def test_backward_writes_into_the_models_own_gradient_by_default():
    """Without ``grads`` the backward pass fills the model's :attr:`grads` (views of
    :attr:`grad`, which the optimizers step with) and returns them."""
    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    X, y = data(m=10)
    A, caches = nn.forward_propagation(X, training=True)
    grads = nn.backward(A, y, caches, BinaryCrossEntropy)
    assert grads is nn.grads
    np.testing.assert_allclose(grads["dW2"], (A - y) @ caches.layers[2].A_prev.T / 10,
                               rtol=1e-12)
    expected = nn.backward_propagation(A, y, caches)
    np.testing.assert_array_equal(nn.grad, np.concatenate([g.ravel() for g in expected.values()]))


def test_predict_proba_runs_chunks_of_predict_chunk_examples_through_inference_workspaces(
        monkeypatch):
    """``m`` examples go through the network ``PREDICT_CHUNK`` at a time (the last chunk keeps
    the remainder), each chunk once; chunks of one size share one workspace, made for inference
    (no gradient arrays), so memory stays bounded whatever ``m`` is."""
    from scratchnn import model

    monkeypatch.setattr(model, "PREDICT_CHUNK", 5)
    nn = ClassifierNN([3, 4, 2], ["relu", "softmax"], seed=0)
    calls, forward = [], nn.forward

    def spy(X, *args, workspace=None, **kwargs):
        calls.append((X.shape[1], workspace))
        return forward(X, *args, workspace=workspace, **kwargs)

    monkeypatch.setattr(nn, "forward", spy)
    X, _ = data(m=12)
    P = nn.predict_proba(X)
    np.testing.assert_allclose(P, forward(X)[0], rtol=1e-12)
    assert [size for size, _ in calls] == [5, 5, 2]
    workspaces = [workspace for _, workspace in calls]
    assert workspaces[0] is workspaces[1] and workspaces[2] is not workspaces[0]
    for workspace in workspaces:
        assert workspace.l2 is None
        assert all(buffers.dZ is None and buffers.dA is None for buffers in workspace.layers)


def test_objective_defaults_to_no_label_smoothing():
    from scratchnn.network import Objective

    nn = ClassifierNN([3, 4, 1], ["tanh", "sigmoid"], seed=0)
    X, y = data(m=10)
    cost, grad = Objective(nn, X, y, "BinaryCrossEntropy", 0.0, None, None)(nn.theta)
    cost_ref, grad_ref = nn.cost_and_gradient(nn.theta, X, y, label_smoothing=0.0)
    assert cost == cost_ref
    np.testing.assert_array_equal(grad, grad_ref)


def test_an_objective_converts_its_data_once_per_dtype():
    """L-BFGS calls a float32 model's objective at float64 parameters every iteration: the
    data are converted to float64 once, not copied whole at each call."""
    rng = np.random.default_rng(0)
    nn = ClassifierNN([400, 2, 1], ["tanh", "sigmoid"], seed=0, dtype="float32")
    X = rng.normal(size=(400, 60)).astype(np.float32)
    y = (rng.uniform(size=(1, 60)) > 0.5).astype(np.float32)
    f = nn.objective(X, y, sample_weight=rng.uniform(0.5, 2.0, 60))
    theta = nn.theta.astype(np.float64)
    first = f(theta)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        again = f(theta)
        allocated = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    X64_bytes = X.size * 8
    assert allocated < X64_bytes // 2  # the gradient and a few (2, 60) arrays, not X again
    assert again[0] == first[0]
    np.testing.assert_array_equal(again[1], first[1])
