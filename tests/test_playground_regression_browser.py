"""The playground's regression problems in a real browser (Playwright driving Debian's Chromium):
choosing one shows R² and says so, the heat map's colours are the colours of the model's own
predictions (and of the rounded ones with "discretize output"), the points are coloured by their
targets on the same scale, and the address carries the choice.

Skipped, with one line saying why, where Playwright or Chromium is missing. No test depends on
timing: each waits for a state of the page.
"""

import json
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from scratchnn.playground.features import feature_matrix
from test_playground_view_browser import COLORS, Page, _painted, open_page, server  # noqa: F401


def _value_color(value, scale):
    """The page's diverging scale, written here: white at 0, full blue (positive) or orange
    (negative) at +-scale and beyond."""
    share = min(1.0, abs(value) / scale)
    color = COLORS[1] if value >= 0 else COLORS[0]
    return np.array([round(255 + (c - 255) * share) for c in color], dtype=float)


def _choose_bumps(view):
    page = view.page
    page.select_option("#dataset", "bumps")
    page.get_by_text("test R² ").wait_for()
    view.wait_status("ready")
    for _ in range(3):
        view.step()
    return view.session


def test_choosing_a_regression_set_shows_r2_and_the_prediction(open_page):  # noqa: F811
    view = open_page()
    session = _choose_bumps(view)
    page = view.page
    metrics = session.frame["metrics"]
    assert page.locator("#test-accuracy").text_content() == f"test R² {metrics['test_r2']:.3f}"
    assert page.locator("#train-accuracy").text_content() == \
        f"train R² {metrics['train_r2']:.3f}"
    assert page.locator("#score-title").text_content() == "R²"
    assert page.locator("#boundary-title").text_content() == "Prediction"
    assert page.locator("#value-legend").is_visible()
    assert page.locator("#model-class").text_content() == "RegressorNN"
    assert page.locator("#learn").text_content().count("MeanSquaredError") == 1
    # The address carries the choice: a page opened at it starts on the same data set.
    config = json.loads(parse_qs(urlparse(page.url).query)["config"][0])
    assert config["dataset"] == "bumps"
    other = Page(view.context.browser, view.server, (1400, 900))
    try:
        other.page.goto(page.url)
        other.page.get_by_text("test R² ").wait_for()
        assert other.page.locator("#dataset").input_value() == "bumps"
        assert other.session.state()["task"] == "regression"
    finally:
        other.close()
    assert other.problems == []


def _checked_pixels(view, discretize):
    """(painted, expected) colours at grid points well inside the plot, away from the dots,
    where the expected colour hardly changes between neighbours (so the picture's smoothing
    cannot move it): the colour of the model's own prediction (float64, not the frame's)."""
    session = view.session
    n = session.frame["boundary"]["size"]
    scale = session.state()["value_scale"]
    pixels, (ax, ay, aw, ah) = _painted(view.page)
    x0, x1, y0, y1 = session.extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y1, y0, n))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    values = session.model.predict(feature_matrix(grid, session.config.features).T)[0]
    if discretize:  # five levels: the nearest multiple of half the scale, within +-scale
        values = np.clip(np.round(values / (scale / 2)), -2, 2) * (scale / 2)
    expected = np.array([_value_color(v, scale) for v in values]).reshape(n, n, 3)
    points = np.vstack([session.X_train, session.X_test])
    px = ax + (points[:, 0] - x0) / (x1 - x0) * aw
    py = ay + (y1 - points[:, 1]) / (y1 - y0) * ah
    found = []
    for i in range(1, n - 1):
        for j in range(1, n - 1):
            near = expected[i - 1:i + 2, j - 1:j + 2]
            if np.abs(near - expected[i, j]).max() > 4:
                continue
            cx, cy = ax + (j + 0.5) * aw / n, ay + (i + 0.5) * ah / n
            if np.min(np.hypot(px - cx, py - cy)) < 8:
                continue
            found.append((pixels[int(cy), int(cx), :3].astype(float), expected[i, j]))
    return found


@pytest.mark.parametrize("discretize", [False, True])
def test_the_heat_map_paints_each_predicted_values_colour(open_page, discretize):  # noqa: F811
    view = open_page()
    _choose_bumps(view)
    if discretize:
        view.page.get_by_label("Discretize output").check()
        view.page.wait_for_function("() => state.config.discretize === true")
    found = _checked_pixels(view, discretize)
    assert len(found) >= 20, len(found)
    blue = orange = 0
    for painted, expected in found:
        assert np.abs(painted - expected).max() <= 3, f"painted {painted}, expected {expected}"
        blue += expected[2] < 250 and expected[0] < expected[2]
        orange += expected[0] > expected[2]
    assert blue >= 5 and orange >= 5, (blue, orange)  # both signs of the scale were checked


def test_the_points_are_coloured_by_their_targets_on_the_same_scale(open_page):  # noqa: F811
    view = open_page()
    session = _choose_bumps(view)
    scale = session.state()["value_scale"]
    pixels, (ax, ay, aw, ah) = _painted(view.page)
    x0, x1, y0, y1 = session.extent
    points, targets = session.X_train, session.y_train
    everything = np.vstack([session.X_train, session.X_test])
    px = ax + (everything[:, 0] - x0) / (x1 - x0) * aw
    py = ay + (y1 - everything[:, 1]) / (y1 - y0) * ah
    checked = 0
    for k in range(len(points)):
        cx, cy = px[k], py[k]
        others = np.hypot(px - cx, py - cy)
        others[k] = np.inf
        if others.min() < 9:  # another dot overlaps this one
            continue
        painted = pixels[int(round(cy)), int(round(cx)), :3].astype(float)
        assert np.abs(painted - _value_color(targets[k], scale)).max() <= 3, (k, painted)
        checked += 1
    assert checked >= 20, checked
