"""Tests for scratchnn.plotting: stand-in models where the picture does not depend on training,
and a few short real trainings for the optimizer comparison."""

import subprocess
import sys

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.datasets import make_moons, make_spiral
from scratchnn.plotting import (
    compare_optimizers,
    plot_activations,
    plot_confusion_matrix,
    plot_costs,
    plot_decision_boundary,
)

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SigmoidModel:
    """One sigmoid output, P(class 1) = sigmoid(x1 - x2): a straight boundary."""

    def predict_proba(self, X):
        z = X[0] - X[1]
        return (0.5 * (1.0 + np.tanh(0.5 * z))).reshape(1, -1)


class SoftmaxModel:
    """Three softmax outputs whose scores are the distance to three centres."""

    centres = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])

    def predict_proba(self, X):
        scores = -((X[None, :, :] - self.centres[:, :, None]) ** 2).sum(axis=1)
        scores -= scores.max(axis=0)
        e = np.exp(scores)
        return e / e.sum(axis=0)


class FlatModel:
    """Returns (m,) instead of (n_outputs, m)."""

    def predict_proba(self, X):
        return np.full(X.shape[1], 0.5)


def _assert_png(path):
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC


def _pyplot_figure_count():
    import matplotlib.pyplot as plt

    return len(plt.get_fignums())


# --------------------------------------------------------------------------- plot_costs


def test_plot_costs_draws_one_point_per_epoch(tmp_path):
    costs = [0.7, 0.5, 0.3, 0.25]
    path = tmp_path / "costs.png"
    fig = plot_costs(costs, path, title="my run")
    _assert_png(path)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(line.get_ydata(), costs)
    assert ax.get_title() == "my run"


def test_plot_costs_with_validation_curve(tmp_path):
    fig = plot_costs(np.linspace(1, 0.1, 10), val_costs=np.linspace(1.2, 0.3, 10))
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]


def test_plot_costs_without_path_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plot_costs([1.0, 0.5])
    assert list(tmp_path.iterdir()) == []


def test_figures_are_not_left_open_in_pyplot(tmp_path):
    before = _pyplot_figure_count()
    for i in range(3):
        plot_costs([1.0, 0.5], tmp_path / f"c{i}.png")
        X, y = make_moons(n_samples=30, seed=i)
        plot_decision_boundary(SigmoidModel(), X, y, tmp_path / f"d{i}.png", resolution=20)
    assert _pyplot_figure_count() == before


@pytest.mark.parametrize(("costs", "error"), [
    ([], ValueError),
    ([[1.0, 2.0], [3.0, 4.0]], ValueError),
    (3.0, ValueError),
    (["a", "b"], TypeError),
])
def test_plot_costs_rejects_bad_costs(costs, error):
    with pytest.raises(error, match="costs"):
        plot_costs(costs)


def test_plot_costs_rejects_bad_val_costs_and_path():
    with pytest.raises(ValueError, match="val_costs"):
        plot_costs([1.0], val_costs=[])
    with pytest.raises(TypeError, match="path"):
        plot_costs([1.0], path=42)


# --------------------------------------------------------------------------- plot_decision_boundary


def test_decision_boundary_sigmoid_model(tmp_path):
    X, y = make_moons(n_samples=100, seed=0)
    path = tmp_path / "boundary.png"
    fig = plot_decision_boundary(SigmoidModel(), X, y, path, title="moons")
    _assert_png(path)
    ax = fig.axes[0]
    assert ax.get_title() == "moons"
    # The view covers every point, with a margin.
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    assert x_lo < X[:, 0].min() and x_hi > X[:, 0].max()
    assert y_lo < X[:, 1].min() and y_hi > X[:, 1].max()
    # A single output gets a colour bar for P(class 1).
    assert len(fig.axes) == 2


def test_decision_boundary_softmax_model(tmp_path):
    X, y = make_spiral(n_samples=90, n_classes=3, seed=0)
    path = tmp_path / "spiral.png"
    fig = plot_decision_boundary(SoftmaxModel(), X, y, path, resolution=50)
    _assert_png(path)
    assert len(fig.axes) == 1  # classes are regions, no probability colour bar


def test_decision_boundary_passes_features_in_rows():
    seen = []

    class Recorder(SigmoidModel):
        def predict_proba(self, X):
            seen.append(X.shape)
            return super().predict_proba(X)

    X, y = make_moons(n_samples=20, seed=0)
    plot_decision_boundary(Recorder(), X, y, resolution=30)
    assert seen == [(2, 30 * 30)]


def test_decision_boundary_handles_a_single_point():
    # Zero spread in both coordinates must still give a non-degenerate view.
    fig = plot_decision_boundary(SigmoidModel(), [[0.5, 0.5]], [1], resolution=10)
    x_lo, x_hi = fig.axes[0].get_xlim()
    assert x_lo < 0.5 < x_hi


@pytest.mark.parametrize(("X", "y", "match"), [
    (np.zeros((10, 3)), np.zeros(10), "X"),
    (np.zeros((2, 10)), np.zeros(10), "X"),
    (np.zeros(10), np.zeros(10), "X"),
    (np.zeros((0, 2)), np.zeros(0), "X"),
    (np.array([[0.0, np.nan]]), np.zeros(1), "X"),
    (np.zeros((10, 2)), np.zeros(9), "y"),
    (np.zeros((10, 2)), np.zeros((10, 1)), "y"),
])
def test_decision_boundary_rejects_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(SigmoidModel(), X, y)


def test_decision_boundary_rejects_bad_model_and_options():
    X, y = make_moons(n_samples=10, seed=0)
    with pytest.raises(TypeError, match="predict_proba"):
        plot_decision_boundary(object(), X, y)
    with pytest.raises(ValueError, match="predict_proba"):
        plot_decision_boundary(FlatModel(), X, y, resolution=5)
    with pytest.raises(ValueError, match="resolution"):
        plot_decision_boundary(SigmoidModel(), X, y, resolution=1)
    with pytest.raises(TypeError, match="resolution"):
        plot_decision_boundary(SigmoidModel(), X, y, resolution=2.5)
    with pytest.raises(TypeError, match="path"):
        plot_decision_boundary(SigmoidModel(), X, y, path=3)


# --------------------------------------------------------------------------- matplotlib is optional


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(ImportError, match=r"scratchnn\[plot\]"):
        plot_costs([1.0, 0.5])
    X, y = make_moons(n_samples=10, seed=0)
    with pytest.raises(ImportError, match=r"scratchnn\[plot\]"):
        plot_decision_boundary(SigmoidModel(), X, y)
    with pytest.raises(ImportError, match=r"scratchnn\[plot\]"):
        plot_confusion_matrix(np.eye(2, dtype=int))
    with pytest.raises(ImportError, match=r"scratchnn\[plot\]"):
        plot_activations()
    with pytest.raises(ImportError, match=r"scratchnn\[plot\]"):
        compare_optimizers(X.T, y.reshape(1, -1), [2, 1], ["sigmoid"], num_epochs=1)


def test_importing_scratchnn_does_not_import_matplotlib():
    code = (
        "import sys, scratchnn, scratchnn.plotting, scratchnn.cli; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- plot_costs: runs


def test_plot_costs_draws_one_labelled_curve_per_run():
    fig = plot_costs({"plain": [1.0, 0.5, 0.2], "dropout": [1.0, 0.7]}, title="runs")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["plain", "dropout"]
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2])
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.0, 0.7])


def test_plot_costs_rejects_an_empty_or_bad_run():
    with pytest.raises(ValueError, match="at least one run"):
        plot_costs({})
    with pytest.raises(ValueError, match=r"costs\['b'\]"):
        plot_costs({"a": [1.0], "b": []})


# --------------------------------------------------------------------------- plot_confusion_matrix


def _cell_texts(ax):
    return {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
            for t in ax.texts}


def test_confusion_matrix_numbers_every_cell(tmp_path):
    matrix = np.array([[5, 1, 0], [2, 12, 3], [0, 0, 7]])
    path = tmp_path / "cm.png"
    fig = plot_confusion_matrix(matrix, ["cat", "dog", "emu"], path, title="animals")
    _assert_png(path)
    ax = fig.axes[0]
    texts = _cell_texts(ax)
    assert texts == {(i, j): str(matrix[i, j]) for i in range(3) for j in range(3)}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "emu"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "emu"]
    assert ax.get_ylabel() == "true class" and ax.get_xlabel() == "predicted class"
    # The darkest cell holds the largest count, with white text on it.
    (big,) = [t for t in ax.texts if t.get_text() == "12"]
    assert big.get_color() == "white"


def test_confusion_matrix_normalized_rows_are_recalls():
    matrix = np.array([[3, 1], [0, 0]])  # an empty row stays 0 instead of 0/0
    fig = plot_confusion_matrix(matrix, normalize=True)
    texts = _cell_texts(fig.axes[0])
    assert texts == {(0, 0): "0.75", (0, 1): "0.25", (1, 0): "0.00", (1, 1): "0.00"}


@pytest.mark.parametrize(("matrix", "labels", "error", "match"), [
    (np.zeros((2, 3), dtype=int), None, ValueError, "square"),
    (np.zeros((0, 0), dtype=int), None, ValueError, "square"),
    (np.array([[1.5, 0], [0, 1]]), None, ValueError, "integer counts"),
    (np.array([[1, -1], [0, 1]]), None, ValueError, "integer counts"),
    (np.eye(2, dtype=int), ["a"], ValueError, "labels"),
    (np.eye(2, dtype=int), "ab", ValueError, "labels"),
])
def test_confusion_matrix_rejects_bad_input(matrix, labels, error, match):
    with pytest.raises(error, match=match):
        plot_confusion_matrix(matrix, labels)


def test_confusion_matrix_rejects_bad_options():
    with pytest.raises(TypeError, match="normalize"):
        plot_confusion_matrix(np.eye(2, dtype=int), normalize="yes")
    with pytest.raises(TypeError, match="path"):
        plot_confusion_matrix(np.eye(2, dtype=int), path=1)


# --------------------------------------------------------------------------- plot_activations


def test_activations_panel_per_function_with_its_derivative(tmp_path):
    path = tmp_path / "act.png"
    fig = plot_activations(path)
    _assert_png(path)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["sigmoid", "tanh", "relu", "leaky_relu",
                                                  "linear"]
    for ax in visible:
        g, derivative = ax.get_lines()[:2]
        z = g.get_xdata()
        assert z[0] == -4.0 and z[-1] == 4.0
        # The plotted derivative is the slope of the plotted function (away from relu's kink).
        slope = np.gradient(g.get_ydata(), z)
        away = np.abs(z) > 0.1
        np.testing.assert_allclose(derivative.get_ydata()[away], slope[away], atol=2e-3)
    sigmoid_derivative = visible[0].get_lines()[1].get_ydata()
    assert sigmoid_derivative.max() == pytest.approx(0.25)


def test_activations_subset_and_range():
    fig = plot_activations(names=["tanh"], z_range=(-1, 2))
    (ax,) = fig.axes
    z = ax.get_lines()[0].get_xdata()
    assert (z[0], z[-1]) == (-1.0, 2.0)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"names": ["softmax"]}, ValueError, "softmax"),
    ({"names": ["swish"]}, ValueError, "unknown activation"),
    ({"names": "relu"}, TypeError, "names"),
    ({"names": []}, ValueError, "names"),
    ({"z_range": (2, 1)}, ValueError, "z_range"),
    ({"z_range": (0, np.inf)}, ValueError, "z_range"),
    ({"z_range": "ab"}, TypeError, "z_range"),
])
def test_activations_reject_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_activations(**kwargs)


# --------------------------------------------------------------------------- compare_optimizers


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimizers")
    X, y = make_moons(n_samples=60, noise=0.2, seed=0)
    result = compare_optimizers(X.T, y.reshape(1, -1), [2, 3, 1], ["tanh", "sigmoid"],
                                num_epochs=12, resolution=10, path=folder / "opt.png",
                                gif_path=folder / "opt.gif", seed=4)
    return result, folder, X, y


def test_every_optimizer_starts_from_the_same_weights(comparison):
    result, _, _, _ = comparison
    assert list(result.costs) == ["gd", "momentum", "rmsprop", "adam"]
    # Full batch: the first epoch's cost is measured before any step, at the common start.
    first = {costs[0] for costs in result.costs.values()}
    assert len(first) == 1
    for name, path in result.trajectories.items():
        assert path.shape == (13, 2)
        np.testing.assert_array_equal(path[0], [0.0, 0.0])
        assert len(result.costs[name]) == 12


def test_trajectories_are_the_runs_projected_on_the_slice(comparison):
    result, _, X, y = comparison
    u_v = result.directions
    np.testing.assert_allclose(u_v @ u_v.T, np.eye(2), atol=1e-12)  # orthonormal
    assert 0.5 < result.explained <= 1.0 + 1e-12
    # Train Adam independently for 5 epochs: its displacement, projected, is the 5th point.
    start = ClassifierNN([2, 3, 1], ["tanh", "sigmoid"], seed=4)
    theta0 = np.concatenate([v.ravel() for v in start.parameters.values()])
    start.train(X.T, y.reshape(1, -1), optimizer="adam", learning_rate=0.01, num_epochs=5,
                batch_size=None, print_cost=False)
    theta5 = np.concatenate([v.ravel() for v in start.parameters.values()])
    np.testing.assert_allclose((theta5 - theta0) @ u_v.T, result.trajectories["adam"][5],
                               atol=1e-10)


def test_surface_is_the_cost_on_the_slice(comparison):
    result, _, X, y = comparison
    a, b, cost = result.surface
    assert a.shape == b.shape == (10,) and cost.shape == (10, 10)
    assert np.all(np.isfinite(cost)) and np.all(cost > 0)
    # Check one grid point by building that network by hand.
    nn = ClassifierNN([2, 3, 1], ["tanh", "sigmoid"], seed=4)
    theta0 = np.concatenate([v.ravel() for v in nn.parameters.values()])
    theta = theta0 + a[7] * result.directions[0] + b[2] * result.directions[1]
    start = 0
    for value in nn.parameters.values():
        value[...] = theta[start:start + value.size].reshape(value.shape)
        start += value.size
    A = nn.predict_proba(X.T)
    assert cost[2, 7] == pytest.approx(nn.compute_cost(A, y.reshape(1, -1)), rel=1e-10)
    # The grid covers every path.
    points = np.concatenate(list(result.trajectories.values()))
    assert a[0] < points[:, 0].min() and points[:, 0].max() < a[-1]
    assert b[0] < points[:, 1].min() and points[:, 1].max() < b[-1]


def test_comparison_saves_png_and_animated_gif(comparison):
    from PIL import Image

    result, folder, _, _ = comparison
    _assert_png(folder / "opt.png")
    with Image.open(folder / "opt.gif") as gif:
        assert gif.is_animated
        assert gif.n_frames == 13  # epochs 0..12, one frame each
        assert gif.info["loop"] == 0
    cost_ax, surface_ax = result.figure.axes[:2]
    # The returned figure shows the full runs, even after the GIF drew partial frames.
    assert len(cost_ax.get_lines()[0].get_xdata()) == 12
    assert surface_ax.get_title().startswith("Paths on a 2-parameter slice")


def test_comparison_accepts_one_rate_and_a_subset():
    X, y = make_moons(n_samples=20, seed=0)
    result = compare_optimizers(X.T, y.reshape(1, -1), [2, 1], ["sigmoid"],
                                optimizers=["adam", "gd"], learning_rate=0.1, num_epochs=3,
                                resolution=3, batch_size=8)
    assert list(result.costs) == ["adam", "gd"]


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"optimizers": []}, ValueError, "optimizers"),
    ({"optimizers": ["adam", "adam"]}, ValueError, "optimizers"),
    ({"optimizers": "adam"}, TypeError, "optimizers"),
    ({"optimizers": ["adam", "lion"]}, ValueError, "lion"),
    ({"learning_rate": {"adam": 0.1}}, ValueError, r"learning_rate has no entry for \['gd'"),
    ({"learning_rate": -1.0}, ValueError, "learning_rate"),
    ({"num_epochs": 0}, ValueError, "num_epochs"),
    ({"resolution": 1}, ValueError, "resolution"),
    ({"fps": 0}, ValueError, "fps"),
    ({"path": 3}, TypeError, "path"),
    ({"gif_path": 3}, TypeError, "path"),
])
def test_comparison_rejects_bad_arguments(kwargs, error, match):
    X, y = make_moons(n_samples=10, seed=0)
    with pytest.raises(error, match=match):
        compare_optimizers(X.T, y.reshape(1, -1), [2, 1], ["sigmoid"],
                           **{"num_epochs": 2, "resolution": 3, **kwargs})
