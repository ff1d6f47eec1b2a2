"""Tests for scratchnn.plotting, with stand-in models so they do not depend on training."""

import subprocess
import sys

import numpy as np
import pytest

from scratchnn.datasets import make_moons, make_spiral
from scratchnn.plotting import plot_costs, plot_decision_boundary

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


def test_importing_scratchnn_does_not_import_matplotlib():
    code = (
        "import sys, scratchnn, scratchnn.plotting, scratchnn.cli; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
