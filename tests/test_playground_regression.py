"""The playground's regression problems: the data sets, a RegressorNN session that learns them,
the heat map of its prediction, its loss and R², the Learn panel's squared error and the Python
script that reproduces the session bit for bit."""

import base64
import runpy

import numpy as np
import pytest

from scratchnn import RegressorNN
from scratchnn.datasets import make_bumps, make_plane
from scratchnn.formulas import FORMULAS
from scratchnn.playground import PlaygroundConfig, Session, make_server
from scratchnn.playground.features import feature_matrix
from scratchnn.playground.learn import lesson
from scratchnn.playground.mathml import to_mathml
from scratchnn.playground.settings import REGRESSION_DATASETS, make_plan, options
from serving import serving
from test_playground import WAIT, call, frame_of, new_session, wait_until
from tolerances import assert_float32_close

FUNCTIONS = {"plane": (make_plane, 1.0, lambda X: (X[:, 0] + X[:, 1]) / 2),
             "bumps": (make_bumps, 3.0, lambda X: np.sin(X[:, 0]) * np.cos(X[:, 1]))}
"""Each regression set: its generator, the half-width of its square, its function (written
here from the docstrings, not taken from the code)."""


# --------------------------------------------------------------------------- the data sets
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_regression_sets_are_their_function_plus_seeded_target_noise(name):
    make, half, function = FUNCTIONS[name]
    X, y = make(2000, 0.0, seed=3)
    assert X.shape == (2000, 2) and y.shape == (2000,) and y.dtype == np.float64
    assert np.all(np.abs(X) <= half) and np.abs(X).max() > 0.95 * half  # fills its square
    np.testing.assert_allclose(y, function(X), rtol=1e-15, atol=1e-15)
    X_noisy, y_noisy = make(2000, 0.2, seed=3)
    np.testing.assert_array_equal(X_noisy, X)  # the noise is in the targets only
    residual = y_noisy - function(X)
    assert 0.18 < residual.std() < 0.22 and abs(residual.mean()) < 0.02
    again = make(2000, 0.2, seed=3)
    np.testing.assert_array_equal(again[1], y_noisy)  # the same seed, the same data
    assert not np.array_equal(make(2000, 0.2, seed=4)[1], y_noisy)


@pytest.mark.parametrize("make", [make_plane, make_bumps])
def test_regression_sets_refuse_bad_arguments_by_name(make):
    with pytest.raises(ValueError, match="n_samples"):
        make(0)
    with pytest.raises(ValueError, match="noise"):
        make(10, -0.1)
    with pytest.raises(TypeError, match="n_samples"):
        make("10")


# --------------------------------------------------------------------------- the session
def test_the_page_is_offered_the_regression_sets():
    offered = options()
    assert set(REGRESSION_DATASETS) <= set(offered["datasets"])
    assert offered["regression_datasets"] == list(REGRESSION_DATASETS)
    assert PlaygroundConfig.from_json({"dataset": "bumps"}).dataset == "bumps"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_regression_plan_has_one_linear_output_and_the_squared_error(name):
    config = PlaygroundConfig.from_json({"dataset": name})
    plan = make_plan(config, None)
    assert plan.regression and plan.layer_dims[-1] == 1 and plan.activations[-1] == "linear"
    assert plan.loss == plan.train_kwargs["loss"] == "MeanSquaredError"


def _trained(epochs=300, **settings):
    session = Session(PlaygroundConfig.from_json({"n_points": 500, "epochs": epochs,
                                                  **settings}))
    session.play()
    wait_until(lambda: session.status in ("finished", "error"), "the end of training")
    assert session.error is None
    return session


@pytest.fixture(scope="module")
def bumps():
    session = _trained(dataset="bumps", seed=1)
    yield session
    session.close()


def test_a_regression_session_trains_a_regressor_to_an_r2_floor(bumps):
    assert isinstance(bumps.model, RegressorNN)
    state = bumps.state()
    assert state["task"] == "regression" and state["n_classes"] is None
    metrics = state["frame"]["metrics"]
    assert set(metrics) == {"train_loss", "test_loss", "train_r2", "test_r2"}
    assert metrics["test_r2"] > 0.85 and metrics["train_r2"] > 0.85  # noise 0.1 caps it at ~0.95
    assert state["frame"]["history"]["test_r2"][-1] == pytest.approx(metrics["test_r2"],
                                                                     rel=1e-4)


def test_the_metrics_are_the_loss_and_r2_written_independently(bumps):
    metrics = bumps.frame["metrics"]
    for part, X, y in (("train", bumps.X_train, bumps.y_train),
                       ("test", bumps.X_test, bumps.y_test)):
        prediction = bumps.model.predict(X.T)[0]
        loss = 0.5 * np.mean((prediction - y) ** 2)
        r2 = 1 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2)
        assert metrics[f"{part}_loss"] == pytest.approx(loss, rel=1e-9)
        assert metrics[f"{part}_r2"] == pytest.approx(r2, rel=1e-9)


def test_the_heat_map_is_the_models_prediction_on_the_grid(bumps):
    boundary = bumps.frame["boundary"]
    size = boundary["size"]
    values = np.frombuffer(base64.b64decode(boundary["values"]), dtype="<f4")
    assert values.shape == (size * size,)
    x0, x1, y0, y1 = bumps.extent
    # The grid, written here: row after row from the top (x2 = its maximum), x1 to the right.
    gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y1, y0, size))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    expected = bumps.model.predict(feature_matrix(grid, bumps.config.features).T)[0]
    assert_float32_close(values, expected, atol=1e-5)
    # The scale the page colours it on: the largest target's magnitude.
    targets = np.concatenate([bumps.y_train, bumps.y_test])
    assert bumps.state()["value_scale"] == np.abs(targets).max()
    assert boundary["scale"] == bumps.state()["value_scale"]
    assert bumps.state()["train"]["y"] == pytest.approx(bumps.y_train.tolist(), rel=1e-3)


def test_diagnostics_and_unit_pictures_keep_working_for_a_regressor(bumps):
    frame = bumps.frame
    diagnostics = frame["diagnostics"]
    assert diagnostics is not None and len(diagnostics["layers"]) == 3
    assert all(len(values) == 3 for values in diagnostics["values"].values())
    layers = [base64.b64decode(text) for text in frame["units"]["layers"]]
    assert [len(layer) for layer in layers] == [8 * 20 * 20, 8 * 20 * 20]
    assert all(max(layer) > 200 or min(layer) < 54 for layer in layers)  # not a blank picture


def test_a_classification_set_after_a_regression_one_is_scored_by_accuracy(bumps):
    session = Session(PlaygroundConfig.from_json({"dataset": "bumps", "n_points": 100}))
    session.reset(PlaygroundConfig.from_json({"dataset": "moons", "n_points": 100}))
    state = session.state()
    assert state["task"] == "classification" and state["value_scale"] is None
    assert "test_accuracy" in state["frame"]["metrics"]
    assert "test_r2" not in state["frame"]["history"]


def test_the_model_file_of_a_regression_session_is_a_regressor(bumps, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(bumps.model_file())
    loaded = RegressorNN.load(str(path))
    X = bumps.X_test.T
    np.testing.assert_array_equal(loaded.predict(X), bumps.model.predict(X))


# --------------------------------------------------------------------------- the Learn panel
def test_the_learn_panel_shows_the_squared_error_and_its_fused_delta():
    config = PlaygroundConfig.from_json({"dataset": "plane"})
    sections = lesson(config, make_plan(config, None))
    by_title = {section["title"]: section for section in sections}
    assert by_title["Loss: half the squared error (MeanSquaredError)"]["math"] == [
        to_mathml(FORMULAS["loss.mse"])]
    delta = by_title["The fused output delta"]
    assert delta["math"] == [to_mathml(FORMULAS["delta.fused"])] and "A − Y" in delta["text"]
    assert by_title["Output: linear"]["math"] == [to_mathml("A = " + FORMULAS["activation.linear"])]


# --------------------------------------------------------------------------- the script
@pytest.fixture
def playground():
    # A session without an event stream lives unwatched_seconds past its last request (10 s by
    # default); these tests' steps (a script run, a training) can take longer on a busy machine.
    yield from serving(make_server("127.0.0.1", 0, unwatched_seconds=WAIT))


@pytest.mark.parametrize("config", [
    {"dataset": "bumps"},
    {"dataset": "plane", "noise": 0.3, "features": ["x1", "x2", "x1_x2"], "l2": 0.001},
])
def test_python_code_reproduces_a_regression_session_bit_for_bit(playground, tmp_path, config):
    session_id, _ = new_session(playground, n_points=200, **config)
    call(playground, "POST", f"/api/sessions/{session_id}/play")
    wait_until(lambda: frame_of(playground, session_id)["epoch"] >= 3, "three epochs")
    call(playground, "POST", f"/api/sessions/{session_id}/pause")
    wait_until(lambda: frame_of(playground, session_id)["status"] == "paused", "the pause")
    status, code = call(playground, "GET", f"/api/sessions/{session_id}/code")
    assert status == 200
    script = tmp_path / "session.py"
    script.write_bytes(code)
    namespace = runpy.run_path(str(script))
    session = playground.sessions[session_id]
    assert isinstance(namespace["model"], RegressorNN)
    assert f"num_epochs={session.epoch}" in code.decode() and "R²" in code.decode()
    np.testing.assert_array_equal(namespace["model"].theta, session.model.theta)
