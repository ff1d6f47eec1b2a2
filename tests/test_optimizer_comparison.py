"""The optimizer-comparison experiment: common start, stated learning rates (a sweep, one shared
rate or one per optimizer), trajectories, the loss surface and the pictures."""

import math
import sys

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.datasets import make_moons
from scratchnn.optimizer_comparison import RATE_SWEEP, compare_optimizers

pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def train_alone(X, y, name, rate, epochs, seed=4, dims=(2, 3, 1), acts=("tanh", "sigmoid")):
    nn = ClassifierNN(list(dims), list(acts), seed=seed)
    theta0 = nn.theta.copy()
    optimizer, _, schedule = name.partition("+")  # "adam+cosine": adam on the cosine schedule
    _, costs = nn.train(X.T, y.reshape(1, -1), optimizer=optimizer, learning_rate=rate,
                        num_epochs=epochs, batch_size=None, print_cost=False,
                        lr_schedule=schedule or None)
    return theta0, nn.theta.copy(), costs


def _assert_png(path):
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("optimizers")
    X, y = make_moons(n_samples=60, noise=0.2, seed=0)
    result = compare_optimizers(X.T, y.reshape(1, -1), [2, 3, 1], ["tanh", "sigmoid"],
                                num_epochs=12, resolution=10, path=folder / "opt.png",
                                gif_path=folder / "opt.gif", seed=4, gif_dpi=40)
    return result, folder, X, y


def test_every_optimizer_starts_from_the_same_weights(comparison):
    result, _, _, _ = comparison
    # Every per-step optimizer of the registry (not the full-batch lbfgs), and a schedule.
    assert list(result.costs) == ["gd", "momentum", "nesterov", "rmsprop", "adam", "adamw",
                                  "nadam", "adam+cosine"]
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
    # Train Adam independently for 5 epochs at its rate: its displacement, projected, is the
    # 5th point.
    theta0, theta5, _ = train_alone(X, y, "adam", result.learning_rates["adam"], 5)
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
    # By hand: binary cross-entropy of the network at that point.
    p, t = A.ravel(), y.astype(float)
    expected = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert cost[2, 7] == pytest.approx(expected, rel=1e-10)
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
        assert gif.size == (440, 196)  # the 11 x 4.9 inch figure at gif_dpi=40
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
    assert result.learning_rates == {"adam": 0.1, "gd": 0.1} and result.sweep_costs is None
    assert result.figure.texts[0].get_text() == "Learning rates: every optimizer at learning rate 0.1"
    legend = [t.get_text() for t in result.figure.axes[0].get_legend().get_texts()]
    assert legend == ["adam (lr 0.1)", "gd (lr 0.1)"]


def test_comparison_states_per_optimizer_rates():
    X, y = make_moons(n_samples=20, seed=0)
    result = compare_optimizers(X.T, y.reshape(1, -1), [2, 1], ["sigmoid"],
                                optimizers=["gd", "adam"], learning_rate={"gd": 0.5, "adam": 0.02},
                                num_epochs=3, resolution=3)
    legend = [t.get_text() for t in result.figure.axes[0].get_legend().get_texts()]
    assert legend == ["gd (lr 0.5)", "adam (lr 0.02)"]
    assert "set per optimizer" in result.rate_rule


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"optimizers": []}, ValueError, "optimizers"),
    ({"optimizers": ["adam", "adam"]}, ValueError, "optimizers"),
    ({"optimizers": "adam"}, TypeError, "optimizers"),
    ({"optimizers": ["adam", "lion"]}, ValueError, "lion"),
    ({"learning_rate": {"adam": 0.1}}, ValueError, r"learning_rate has no entry for \['gd'"),
    ({"learning_rate": -1.0}, ValueError, "learning_rate"),
    ({"learning_rate": "best"}, ValueError, "'sweep'"),
    ({"optimizers": ["gd", "adam"], "learning_rate": {"adam": 0.1, "gd": 0.0}}, ValueError, r"learning_rate\['gd'\]"),
    ({"optimizers": ["adam", 3]}, TypeError, "optimizers"),
    ({"optimizers": ["adam+linear"]}, ValueError, "lr_schedule 'linear'"),
    ({"num_epochs": 0}, ValueError, "num_epochs"),
    ({"resolution": 1}, ValueError, "resolution"),
    ({"fps": 0}, ValueError, "fps"),
    ({"gif_dpi": 5}, ValueError, "gif_dpi"),
    ({"path": 3}, TypeError, "path"),
    ({"gif_path": 3}, TypeError, "path"),
])
def test_comparison_rejects_bad_arguments(kwargs, error, match):
    X, y = make_moons(n_samples=10, seed=0)
    with pytest.raises(error, match=match):
        compare_optimizers(X.T, y.reshape(1, -1), [2, 1], ["sigmoid"],
                           **{"num_epochs": 2, "resolution": 3, **kwargs})


def test_sweep_shows_each_optimizer_at_its_best_rate(comparison):
    result, _, X, y = comparison
    assert set(result.sweep_costs) == set(result.costs)
    for name, finals in result.sweep_costs.items():
        assert list(finals) == list(RATE_SWEEP)
        best = min(finals, key=finals.get)
        assert result.learning_rates[name] == best
        # The shown run is that rate's run: trained alone, it ends at the same cost.
        _, _, costs = train_alone(X, y, name, best, 12)
        assert result.costs[name] == costs
        assert finals[best] == costs[-1]
        assert all(math.isinf(c) or c >= costs[-1] for c in finals.values())
    legend = [t.get_text() for t in result.figure.axes[0].get_legend().get_texts()]
    assert legend == [f"{name} (lr {rate:g})" for name, rate in result.learning_rates.items()]
    assert result.figure.texts[0].get_text().startswith(
        "Learning rates: each optimizer at its best learning rate")


def test_the_schedule_entry_decays_the_rate_it_is_shown_at(comparison):
    """adam+cosine is Adam from the same weights whose rate follows the cosine schedule: its
    first epoch equals plain Adam's at the same rate, later ones do not."""
    result, _, X, y = comparison
    rate = result.learning_rates["adam+cosine"]
    _, _, plain = train_alone(X, y, "adam", rate, 12)
    scheduled = result.costs["adam+cosine"]
    assert scheduled[:2] == plain[:2]  # full batch: cost 1 before any step, 2 after one step
    assert scheduled[-1] != plain[-1]


def test_a_sweep_skips_diverging_rates_and_fails_when_all_do(monkeypatch):
    import scratchnn.optimizer_comparison as module

    X, y = make_moons(n_samples=40, seed=0)
    monkeypatch.setattr(module, "RATE_SWEEP", (0.1, 1e250))
    result = compare_optimizers(X.T, y.reshape(1, -1), [2, 4, 1], ["relu", "sigmoid"],
                                optimizers=["gd"], num_epochs=20, resolution=3)
    assert result.learning_rates == {"gd": 0.1}
    assert math.isinf(result.sweep_costs["gd"][1e250])
    monkeypatch.setattr(module, "RATE_SWEEP", (1e250,))
    with pytest.raises(ValueError, match="diverged at every learning rate"):
        compare_optimizers(X.T, y.reshape(1, -1), [2, 4, 1], ["relu", "sigmoid"],
                           optimizers=["gd"], num_epochs=20, resolution=3)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    X, y = make_moons(n_samples=10, seed=0)
    with pytest.raises(ImportError, match=r"scratchnn\[plot\]"):
        compare_optimizers(X.T, y.reshape(1, -1), [2, 1], ["sigmoid"], num_epochs=1)
