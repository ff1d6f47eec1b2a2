"""Tests for scratchnn.plotting: stand-in models where the picture does not depend on training,
and a few short real trainings for the optimizer comparison."""

import subprocess
import sys

import numpy as np
import pytest

from scratchnn.datasets import make_moons, make_spiral
from scratchnn.plotting import (
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


def test_importing_scratchnn_does_not_import_matplotlib():
    code = (
        "import sys, scratchnn, scratchnn.plotting, scratchnn.optimizer_comparison, scratchnn.cli; "
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


# --------------------------------------------------------------------------- plot_diagnostics


def test_diagnostics_panels_draw_the_recorded_rows(tmp_path):
    from scratchnn import ClassifierNN
    from scratchnn.callbacks import Diagnostics
    from scratchnn.plotting import plot_diagnostics

    X, y = make_moons(n_samples=60, seed=0)
    nn = ClassifierNN([2, 5, 4, 1], ["relu", "tanh", "sigmoid"], seed=0)
    diagnostics = Diagnostics()
    nn.train(X.T, y.reshape(1, -1), num_epochs=4, print_cost=False, callbacks=[diagnostics])
    path = tmp_path / "diagnostics.png"
    fig = plot_diagnostics(diagnostics, path, title="moons run")
    _assert_png(path)
    axes = fig.axes
    assert fig.get_suptitle() == "moons run"
    assert [ax.get_title() for ax in axes][3:5] == ["dead units (relu)",
                                                   "saturated units (sigmoid, tanh)"]
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend == ["layer 1 (relu)", "layer 2 (tanh)", "layer 3 (sigmoid)"]
    for line, column in zip(axes[0].get_lines(), diagnostics.history["grad_norm"].T):
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_array_equal(line.get_ydata(), column)
    assert axes[0].get_yscale() == "log"
    # Only the relu layer has a dead share, only the tanh layer a saturated share.
    (dead,) = axes[3].get_lines()
    np.testing.assert_array_equal(dead.get_ydata(), diagnostics.history["dead_fraction"][:, 0])
    (saturated,) = axes[4].get_lines()
    np.testing.assert_array_equal(saturated.get_ydata(),
                                  diagnostics.history["saturated_fraction"][:, 1])
    # The mean of the activations, with a band of one standard deviation per layer.
    assert len(axes[5].get_lines()) == 3 and len(axes[5].collections) == 3


def test_diagnostics_panel_without_such_layers_says_so():
    from scratchnn import ClassifierNN
    from scratchnn.callbacks import Diagnostics
    from scratchnn.plotting import plot_diagnostics

    X, y = make_moons(n_samples=30, seed=0)
    diagnostics = Diagnostics()
    ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=0).train(
        X.T, y.reshape(1, -1), num_epochs=2, print_cost=False, callbacks=[diagnostics])
    saturated = plot_diagnostics(diagnostics).axes[4]
    assert saturated.get_lines() == [] and saturated.texts[0].get_text() == "no such layer"


def test_diagnostics_plot_rejects_what_is_not_a_record():
    from scratchnn.callbacks import Diagnostics
    from scratchnn.plotting import plot_diagnostics

    with pytest.raises(TypeError, match="Diagnostics"):
        plot_diagnostics({"grad_norm": []})
    with pytest.raises(ValueError, match="no epoch"):
        plot_diagnostics(Diagnostics())


# --------------------------------------------------------------------------- boundary legends


def _legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


def test_decision_boundary_names_the_classes_and_tells_train_from_test(tmp_path):
    X, y = make_moons(n_samples=40, seed=0)
    path = tmp_path / "boundary.png"
    fig = plot_decision_boundary(SigmoidModel(), X[:30], y[:30], path, resolution=20,
                                 X_test=X[30:] + 5.0, y_test=y[30:],
                                 class_names={0: "outer", 1: "inner"})
    _assert_png(path)
    ax = fig.axes[0]
    class_legend = [a for a in ax.artists if a.__class__.__name__ == "Legend"]
    assert [_legend_texts(legend) for legend in class_legend] == [["outer", "inner"]]
    assert _legend_texts(ax.get_legend()) == ["train", "test"]
    train, test = ax.collections[-2:]
    np.testing.assert_array_equal(train.get_offsets(), X[:30])
    np.testing.assert_array_equal(test.get_offsets(), X[30:] + 5.0)
    assert train.get_paths()[0] != test.get_paths()[0]  # circles and triangles
    # The view covers the test points too.
    assert ax.get_xlim()[1] > (X[30:, 0] + 5.0).max()


def test_decision_boundary_class_legend_alone_and_its_colours():
    X, y = make_spiral(n_samples=30, n_classes=3, seed=0)
    fig = plot_decision_boundary(SoftmaxModel(), X, y, resolution=10)
    legend = fig.axes[0].get_legend()
    assert _legend_texts(legend) == ["class 0", "class 1", "class 2"]
    # Each class's legend colour is the colour its points have.
    points = fig.axes[0].collections[-1]
    faces = points.to_rgba(points.get_array())
    for k, handle in enumerate(legend.legend_handles):
        np.testing.assert_allclose(handle.get_markerfacecolor(), faces[np.flatnonzero(y == k)[0]])
    assert len({tuple(face) for face in faces}) == 3


def test_decision_boundary_rejects_a_half_given_test_set():
    X, y = make_moons(n_samples=10, seed=0)
    with pytest.raises(ValueError, match="X_test and y_test"):
        plot_decision_boundary(SigmoidModel(), X, y, X_test=X)
    with pytest.raises(ValueError, match="y_test"):
        plot_decision_boundary(SigmoidModel(), X, y, X_test=X, y_test=y[:3])
    with pytest.raises(TypeError, match="class_names"):
        plot_decision_boundary(SigmoidModel(), X, y, class_names=["a", "b"])
