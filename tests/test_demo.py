"""The demos say what happened to a run: a stuck moons seed is told apart from a healthy one,
and the optimizer comparison states its learning rates."""

import contextlib
import io
import re

import pytest

from scratchnn import demo

pytest.importorskip("matplotlib")


def quiet(function, print_cost=False, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = function(print_cost=print_cost, **kwargs)
    return result, out.getvalue()


@pytest.mark.parametrize(("seed", "stuck"), [(0, False), (10, True)])
def test_moons_demo_says_when_a_run_is_stuck(tmp_path, seed, stuck):
    result, out = quiet(demo.run_moons_demo, out_dir=tmp_path, seed=seed)
    assert result["stuck"] is stuck
    assert ("stuck:" in out) is stuck
    if stuck:
        # No better than the straight boundary, and the numbers are the ones it printed.
        assert result["final_cost"] > demo.STUCK_SHARE * result["straight_line_cost"]
        assert f"({result['final_cost']:.3f})" in out
        assert f"({result['straight_line_cost']:.3f})" in out
        assert "wider hidden layers" in out and result["test_accuracy"] < 0.95
        # Seed 10 also ends with half of the first layer dead, and the diagnostics say so.
        assert "warning: layer 1 (relu): 2 of 4 units ended the training dead" in out
        assert out.count("2 of 4 units") == 1  # said once, not again by train()'s warning
    else:
        assert result["final_cost"] < 0.1 * result["straight_line_cost"]
        assert result["test_accuracy"] >= 0.97
    assert result["diagnostics_path"].read_bytes()[:4] == b"\x89PNG"
    assert str(result["diagnostics_path"]) in out


def test_a_straight_boundary_cannot_fit_the_moons():
    cfg = demo.MOONS_CONFIG
    from scratchnn.datasets import make_moons

    X, y = make_moons(n_samples=300, noise=0.1, seed=0)
    # Logistic regression on two moons: a clearly non-zero cost.
    assert demo.straight_line_cost(cfg, X, y, seed=0) > 0.15


def test_optimizers_demo_states_each_rate(tmp_path):
    result, out = quiet(demo.run_optimizers_demo, print_cost=True, out_dir=tmp_path)
    line = re.search(r"^learning rates: each optimizer at its best learning rate.*$", out, re.M)
    assert line
    for name, rate in result["learning_rates"].items():
        assert f"{name} {rate:g}" in line.group(0)
