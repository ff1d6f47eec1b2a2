"""The public surface outside the model uses, and the structure rules the package keeps.

- ``theta`` / ``grad`` / ``grads``, ``get_config`` / ``from_config``, ``cost_and_gradient``;
- the training loop's callbacks (``Callback``, ``EarlyStopping``), and work arrays made once per
  fit;
- no module reaches into another object's ``_private`` members (checked on the source).
"""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.callbacks import Callback, EarlyStopping
from scratchnn.gradcheck import numerical_gradient, relative_difference
from scratchnn.layers import dropout_mask

SRC = Path(__file__).resolve().parents[1] / "src" / "scratchnn"


def problem(m=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, m))
    y = (X[0] + X[1] * X[2] > 0).astype(float).reshape(1, -1)
    return X, y


# --------------------------------------------------------------------------- theta and config
def test_theta_is_the_live_buffer_of_the_named_parameters():
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    assert nn.theta.shape == (nn.n_parameters,) == (3 * 4 + 4 + 4 + 1,)
    nn.theta = np.arange(nn.n_parameters, dtype=float)
    np.testing.assert_array_equal(nn.parameters["W1"].ravel(), np.arange(12.0))
    np.testing.assert_array_equal(nn.parameters["b2"], [[20.0]])
    nn.parameters["W2"][0, 1] = -7.0
    assert nn.theta[17] == -7.0
    assert list(nn.grads) == ["dW1", "db1", "dW2", "db2"]
    assert nn.grads["dW1"].base is nn.grad


@pytest.mark.parametrize("value, error, match", [
    (np.zeros(3), ValueError, r"theta must have shape \(21,\)"),
    (np.full(21, np.nan), ValueError, "theta contains NaN"),
    (np.array(["a"] * 21), TypeError, "theta must be numeric"),
])
def test_theta_refuses_bad_values(value, error, match):
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    before = nn.theta.copy()
    with pytest.raises(error, match=match):
        nn.theta = value
    np.testing.assert_array_equal(nn.theta, before)


def test_config_rebuilds_the_architecture_and_is_json():
    nn = ClassifierNN([3, 5, 4, 2], ["tanh", "relu", "softmax"], "xavier", batch_norm=True,
                      dtype="float32")
    config = nn.get_config()
    assert json.loads(json.dumps(config)) == config
    other = ClassifierNN.from_config(config)
    assert other.get_config() == config
    assert other.parameter_shapes == nn.parameter_shapes
    assert other.compute_dtype == np.float32
    assert ClassifierNN.from_config(ClassifierNN([2, 1], ["sigmoid"]).get_config()).dtype is None


# --------------------------------------------------------------------------- cost_and_gradient
@pytest.mark.parametrize("batch_norm, lambd, dropout", [
    (False, 0.0, False), (True, 0.3, False), (False, 0.1, True), (True, 0.0, True),
])
def test_cost_and_gradient_is_the_derivative_of_the_cost(batch_norm, lambd, dropout):
    X, y = problem(m=9)
    nn = ClassifierNN([3, 5, 4, 1], ["tanh", "relu", "sigmoid"], batch_norm=batch_norm, seed=1)
    weights = np.random.default_rng(2).uniform(0.5, 2.0, 9)
    masks = None
    if dropout:
        rng = np.random.default_rng(3)
        masks = {0: dropout_mask((3, 9), 0.8, rng, np.float64),
                 2: dropout_mask((4, 9), 0.5, rng, np.float64)}
    theta = nn.theta + np.random.default_rng(4).normal(0, 0.1, nn.n_parameters)
    before, rng_state = nn.theta.copy(), nn.rng.bit_generator.state
    cost, grad = nn.cost_and_gradient(theta, X, y, lambd=lambd, sample_weight=weights,
                                      dropout_masks=masks)
    objective = nn.objective(X, y, lambd=lambd, sample_weight=weights, dropout_masks=masks)
    probe = theta.copy()
    approx = numerical_gradient(lambda: objective.cost(probe), probe)
    assert relative_difference(grad, approx) < 1e-7
    assert cost == objective.cost(theta)
    # the model itself is untouched: its parameters and its generator
    np.testing.assert_array_equal(nn.theta, before)
    assert nn.rng.bit_generator.state == rng_state


def test_cost_and_gradient_at_the_models_theta_matches_backpropagation():
    X, y = problem(m=12)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    cost, grad = nn.cost_and_gradient(nn.theta, X, y, lambd=0.2)
    A, caches = nn.forward_propagation(X)
    assert cost == pytest.approx(nn.compute_cost(A, y, lambd=0.2), rel=1e-12)
    grads = nn.backward_propagation(A, y, caches, lambd=0.2)
    np.testing.assert_allclose(grad, np.concatenate([g.ravel() for g in grads.values()]),
                               rtol=1e-12)


def test_cost_and_gradient_refuses_bad_arguments():
    X, y = problem()
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    with pytest.raises(ValueError, match="theta must have shape"):
        nn.cost_and_gradient(np.zeros(5), X, y)
    with pytest.raises(ValueError, match="X has 2 rows"):
        nn.cost_and_gradient(nn.theta, X[:2], y)
    with pytest.raises(ValueError, match=r"dropout_masks\[1\] must be"):
        nn.cost_and_gradient(nn.theta, X, y, dropout_masks={1: np.ones((3, 30))})
    with pytest.raises(TypeError, match="dropout_masks must be a dict"):
        nn.cost_and_gradient(nn.theta, X, y, dropout_masks=[np.ones((3, 30))])


# --------------------------------------------------------------------------- callbacks
class Recorder(Callback):
    def __init__(self, stop_at=None):
        self.events, self.steps, self.stop_at = [], 0, stop_at

    def on_train_begin(self, model):
        self.events.append(("begin", model))

    def on_batch_end(self, step):
        self.steps += 1
        assert step.grads["dW1"].base is step.model.grad
        assert step.caches.layers[1].A.shape[0] == 4

    def on_epoch_end(self, epoch, logs):
        self.events.append(("epoch", epoch, logs["loss"]))
        return epoch == self.stop_at

    def on_train_end(self, logs):
        self.events.append(("end", logs["loss"]))


def test_the_loop_calls_each_hook_in_order():
    X, y = problem(m=30)
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    recorder = Recorder(stop_at=3)
    from scratchnn import training

    costs = training.fit(nn, training.ArrayData.from_columns(X, y, None, np.float64),
                         training.TrainingSettings(nn.check_loss("BinaryCrossEntropy"),
                                                   num_epochs=10, learning_rate=0.1,
                                                   batch_size=8),
                         [recorder])
    assert len(costs) == 3 and recorder.steps == 3 * 4  # ceil(30 / 8) steps per epoch
    assert recorder.events[0] == ("begin", nn)
    assert [e[:2] for e in recorder.events[1:4]] == [("epoch", 1), ("epoch", 2), ("epoch", 3)]
    assert [e[2] for e in recorder.events[1:4]] == costs
    assert recorder.events[4] == ("end", costs[-1])


def test_train_with_a_callback_function_still_counts_epochs_from_one():
    X, y = problem()
    nn = ClassifierNN([3, 4, 1], ["relu", "sigmoid"], seed=0)
    seen = []
    _, costs = nn.train(X, y, num_epochs=5, print_cost=False,
                        callback=lambda epoch, cost: seen.append((epoch, cost)) or epoch == 2)
    assert seen == [(1, costs[0]), (2, costs[1])] and len(costs) == 2


class FakeModel:
    def __init__(self):
        self.theta = np.zeros(2)
        self.bn_state = {"running_mean1": np.zeros((1, 1))}


def run_early_stopping(callback, values, key="val_loss"):
    """Feed ``values`` as the monitored key; the model's theta is set to the epoch number."""
    model = FakeModel()
    callback.on_train_begin(model)
    stopped = None
    for epoch, value in enumerate(values, start=1):
        model.theta[:] = epoch
        model.bn_state["running_mean1"][:] = epoch
        if callback.on_epoch_end(epoch, {key: value, "loss": 0.0}):
            stopped = epoch
            break
    callback.on_train_end({})
    return model, stopped


def test_early_stopping_waits_patience_epochs_and_restores_the_best():
    model, stopped = run_early_stopping(EarlyStopping(patience=2), [3.0, 2.0, 2.5, 2.4, 1.0])
    assert stopped == 4  # epochs 3 and 4 did not beat 2.0
    assert model.theta.tolist() == [2.0, 2.0] and model.bn_state["running_mean1"][0, 0] == 2.0


def test_early_stopping_restores_the_best_when_training_runs_to_the_end():
    callback = EarlyStopping(patience=10)
    model, stopped = run_early_stopping(callback, [3.0, 1.0, 2.0, 2.5])
    assert stopped is None and model.theta.tolist() == [2.0, 2.0]
    assert callback.best == 1.0 and callback.best_epoch == 2


def test_early_stopping_min_delta_counts_only_real_improvements():
    # 1.0 -> 0.95 -> 0.91: each beats the best, by less than min_delta 0.1: the count goes on,
    # while the best (and the weights kept) follow every strict improvement.
    callback = EarlyStopping(patience=2, min_delta=0.1)
    model, stopped = run_early_stopping(callback, [1.0, 0.95, 0.91, 0.5])
    assert stopped == 3 and model.theta.tolist() == [3.0, 3.0]


def test_early_stopping_maximizes_accuracy_and_may_keep_the_last_weights():
    callback = EarlyStopping("val_accuracy", patience=1, restore_best_weights=False)
    assert callback.mode == "max"
    model, stopped = run_early_stopping(callback, [0.5, 0.9, 0.8], key="val_accuracy")
    assert stopped == 3 and model.theta.tolist() == [3.0, 3.0]


def test_early_stopping_names_a_missing_key_and_bad_arguments():
    with pytest.raises(ValueError, match="monitors 'val_loss'"):
        run_early_stopping(EarlyStopping(), [1.0], key="loss")
    with pytest.raises(ValueError, match="patience must be >= 1"):
        EarlyStopping(patience=0)
    with pytest.raises(TypeError, match="monitor must be"):
        EarlyStopping(monitor=3)
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(mode="up")


def test_the_estimator_makes_its_work_arrays_once_per_fit(monkeypatch):
    pytest.importorskip("sklearn")
    from scratchnn import NNClassifier

    made = []
    original = ClassifierNN.make_workspace

    def counting(self, m, keep_prob=None, training=True):
        if training:
            made.append(m)
        return original(self, m, keep_prob, training)

    monkeypatch.setattr(ClassifierNN, "make_workspace", counting)
    X, y = problem(m=90)
    NNClassifier(hidden_layer_sizes=(4,), batch_size=40, max_epochs=6, n_iter_no_change=99,
                 random_state=0).fit(X.T, y[0])
    assert sorted(made) == [10, 40]  # one full batch size and the remainder, not per epoch


# --------------------------------------------------------------------------- structure
def private_accesses(path):
    """``obj._name`` in ``path`` where ``obj`` is not ``self``/``cls`` (dunders excepted)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            found += [f"{path.name}:{node.lineno} import {alias.name}" for alias in node.names
                      if alias.name.startswith("_") and not alias.name.startswith("__")]
    return found


def test_no_module_touches_another_objects_private_members():
    offenders = [hit for path in sorted(SRC.rglob("*.py")) for hit in private_accesses(path)]
    assert offenders == []


# --------------------------------------------------------------------------- one home per name
def _modules():
    """Every module of the package that is not a package itself (those gather public names)."""
    import importlib
    import pkgutil

    import scratchnn

    for info in pkgutil.walk_packages(scratchnn.__path__, "scratchnn."):
        if not info.ispkg:
            yield importlib.import_module(info.name)


def test_each_public_class_and_function_is_listed_by_the_module_that_defines_it():
    """A module's ``__all__`` names only what it defines, so the API reference (which documents
    ``__all__``) shows each class once, under its own module."""
    import inspect

    elsewhere = [f"{module.__name__}.{name} (defined in {obj.__module__})"
                 for module in _modules() for name in getattr(module, "__all__", ())
                 for obj in [getattr(module, name)]
                 if (inspect.isclass(obj) or inspect.isfunction(obj))
                 and obj.__module__ != module.__name__]
    assert elsewhere == []


def test_callback_names_keep_working_from_scratchnn_callbacks():
    """The base class moved to ``scratchnn.callback`` (no import circle with diagnostics); the
    names people import from ``scratchnn.callbacks`` are the same objects."""
    from scratchnn import callback, callbacks, diagnostics, network, training

    assert callbacks.Callback is callback.Callback is Callback
    assert callbacks.StateLimits is callback.StateLimits
    assert callbacks.Diagnostics is diagnostics.Diagnostics
    assert diagnostics.Diagnostics.__module__ == "scratchnn.diagnostics"
    assert issubclass(diagnostics.Diagnostics, callback.Callback)
    assert issubclass(EarlyStopping, callback.Callback)
    assert network.DivergenceError is training.DivergenceError
    assert not {"Callback", "StateLimits", "Diagnostics"} & set(callbacks.__all__)
