"""The page is checked for correctness, not change (issue 22's planted bugs): every control of
the form reaches the server, the accuracies shown are the server's, the regions are painted in
their class's colour, the address holds the whole state. In Chromium, with no timing assumed."""

import json
import time

import numpy as np
import pytest

from scratchnn import ClassifierNN
from test_playground_browser import TIMEOUT_MS, page, url  # noqa: F401

WAIT = TIMEOUT_MS / 1000


def server_config(tab):
    return tab.evaluate("async () => (await api('GET', `/api/sessions/${session}`)).config")


def until(what, check):
    """``check()`` until it is true; the deadline is a bound for a busy machine only."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


def ready(tab, address):
    tab.goto(address)
    tab.get_by_text("test accuracy 0.").wait_for()


# The form's controls, read from the page itself: a control added later is covered without
# changing this test (only a file input, the CSV upload, is left to its own test).
CONTROLS = """() => [...document.querySelectorAll('#settings input, #settings select')]
  .filter((e) => e.type !== 'file' && e.offsetParent !== null)  // shown, not the upload
  .map((e, i) => (e.dataset.probe = i, {
    index: i, id: e.id, tag: e.tagName, type: e.type, value: e.value, checked: e.checked,
    min: e.min, max: e.max, step: e.step, feature: e.dataset.feature || null,
    layer: e.closest('.layer') ? [...document.querySelectorAll('#layers .layer')]
      .indexOf(e.closest('.layer')) : null,
    part: e.classList.contains('units') ? 'units' : e.classList.contains('activation')
      ? 'activation' : null,
    options: e.tagName === 'SELECT' ? [...e.options].map((o) => o.value) : null,
  }))"""


def another_value(control):
    """A valid value of ``control`` other than its current one."""
    if control["tag"] == "SELECT":
        choices = [v for v in control["options"] if v not in (control["value"], "csv")]
        return choices[-1]
    if control["type"] == "checkbox":
        return not control["checked"]
    value = float(control["value"])
    step = float(control["step"]) if control["step"] not in ("", "any") else 0.5
    high = float(control["max"]) if control["max"] else None
    new = value + step
    if high is not None and new > high:
        new = value - step
    return round(new, 6)


def expected(config, control, new):
    """Whether the server's ``config`` holds ``new`` for ``control``, or None if no setting of
    the server's answers to the control (a control that reaches nothing)."""
    if control["feature"]:
        return (control["feature"] in config["features"]) == new
    if control["part"]:
        layer = config["hidden"][control["layer"]][control["part"]]
        return layer == (int(new) if control["part"] == "units" else new)
    if control["id"] not in config:
        return None
    value = config[control["id"]]
    if control["tag"] == "SELECT":
        return value == (None if new == "none" else new)
    if control["type"] == "checkbox":
        return value is new
    return value == pytest.approx(new)


def change(tab, control, new):
    element = tab.locator(f"#{control['id']}" if "index" not in control
                          else f"[data-probe='{control['index']}']")
    if control["tag"] == "SELECT":
        element.select_option(new)
    elif control["type"] == "checkbox":
        element.set_checked(new)
    elif control["type"] == "range":
        element.evaluate("(e, v) => { e.value = v; e.dispatchEvent(new Event('change')); }",
                         str(new))
    else:
        element.fill(str(new))
        element.press("Tab")


def test_every_control_of_the_form_reaches_the_server(page, url):  # noqa: F811
    ready(page, url)
    page.select_option("#dataset", "blobs")  # shows the classes control too
    until("the blobs", lambda: server_config(page)["dataset"] == "blobs")
    controls = page.evaluate(CONTROLS)
    assert len(controls) >= 20  # data, network (inputs, layers), training, picture
    unreached = []
    # Inputs that are on are turned off last, when the others are on: never none at all.
    controls.sort(key=lambda control: bool(control["feature"] and control["checked"]))
    for control in controls:
        current = page.evaluate(CONTROLS)[control["index"]]  # the form after earlier changes
        if current["id"] == "dataset":
            continue  # changed above
        new = another_value(current)
        change(page, current, new)
        if expected(server_config(page), current, new) is None:
            unreached.append(current["id"] or current)
            continue
        until(f"{current['id'] or current} = {new!r} on the server",
              lambda c=current, n=new: expected(server_config(page), c, n))
    assert unreached == [], f"controls that reach no setting of the server: {unreached}"


def test_shown_accuracies_are_the_servers_test_and_train_accuracies(page, url):  # noqa: F811
    ready(page, url)
    page.fill("#n_points", "100")
    page.press("#n_points", "Tab")
    until("100 points", lambda: server_config(page)["n_points"] == 100)
    page.get_by_role("button", name="Step one epoch").click()
    page.get_by_text("epoch 1", exact=True).wait_for()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'paused'")
    metrics = page.evaluate(
        "async () => (await api('GET', `/api/sessions/${session}`)).frame.metrics")
    assert round(metrics["test_accuracy"], 3) != round(metrics["train_accuracy"], 3)  # telling
    shown_test = page.inner_text("#test-accuracy")
    shown_train = page.inner_text("#train-accuracy")
    assert shown_test == f"test accuracy {metrics['test_accuracy']:.3f}"
    assert shown_train == f"train accuracy {metrics['train_accuracy']:.3f}"


# The pixels of the boundary's canvas at the centres of cells far from every point, with the
# cell's plane coordinates, and the page's class colours.
PIXELS = """() => {
  // The picture fills the canvas's plot area (data-plot: x, y, width, height), inside the ticks.
  const canvas = document.querySelector('#boundary'), ctx = canvas.getContext('2d');
  const [x0, x1, y0, y1] = state.extent;
  const [ax, ay, w, h] = canvas.dataset.plot.split(',').map(Number);
  const points = [...state.train.X, ...state.test.X].map(([x, y]) =>
    [ax + (x - x0) / (x1 - x0) * w, ay + (y1 - y) / (y1 - y0) * h]);
  const out = [];
  for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
    const px = ax + i * w / 20, py = ay + j * h / 20;
    if (points.some(([qx, qy]) => Math.hypot(qx - px, qy - py) < 10)) continue;
    const [r, g, b] = ctx.getImageData(Math.round(px), Math.round(py), 1, 1).data;
    out.push({ x: x0 + (px - ax) / w * (x1 - x0), y: y1 - (py - ay) / h * (y1 - y0),
               rgb: [r, g, b] });
  }
  return { pixels: out, colors: COLORS };
}"""


def nearest_class(rgb, colors):
    """The class whose colour, faded toward white by any amount, comes nearest ``rgb``."""
    rgb, white = np.array(rgb, float), np.array([255.0, 255.0, 255.0])
    best = []
    for color in np.array(colors, float):
        direction = color - white
        alpha = np.clip(np.dot(rgb - white, direction) / np.dot(direction, direction), 0, 1)
        best.append(np.linalg.norm(white + alpha * direction - rgb) + 60 * (alpha < 0.2))
    return int(np.argmin(best))


def test_regions_are_painted_in_their_classs_colour(page, url, tmp_path):  # noqa: F811
    ready(page, url)
    page.select_option("#dataset", "blobs")
    until("the blobs", lambda: server_config(page)["dataset"] == "blobs")
    page.fill("#classes", "3")
    page.press("#classes", "Tab")
    page.check("#discretize")
    until("3 classes, discretized", lambda: server_config(page)["classes"] == 3
          and server_config(page)["discretize"])
    for _ in range(5):
        page.get_by_role("button", name="Step one epoch").click()
    page.get_by_text("epoch 5", exact=True).wait_for()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'paused'")
    seen = page.evaluate(PIXELS)
    # The classes of those places, asked of the session's own model (its model file) in Python.
    body = page.evaluate("""async () => {
        const reply = await fetch(`/api/sessions/${session}/model`,
                                  { headers: { Authorization: `token ${TOKEN}` } });
        return Array.from(new Uint8Array(await reply.arrayBuffer())); }""")
    path = tmp_path / "model.npz"
    path.write_bytes(bytes(body))
    model = ClassifierNN.load(path)
    places = np.array([[p["x"], p["y"]] for p in seen["pixels"]])
    classes = model.predict(places.T).ravel()
    painted = [nearest_class(p["rgb"], seen["colors"]) for p in seen["pixels"]]
    assert len(set(classes.tolist())) == 3 and len(places) > 50
    agree = np.mean(np.array(painted) == classes)
    assert agree >= 0.9, f"only {agree:.0%} of the places are painted in their class's colour"


def test_the_address_holds_the_whole_state(page, url, browser):  # noqa: F811
    ready(page, url)
    changes = {"dataset": "circles", "noise": 0.2, "seed": 5, "l1": 0.001, "epochs": 123,
               "features": ["x1", "x2", "x1_x2", "sin_x2"], "discretize": True,
               "show_test": False, "batch_norm": True, "optimizer": "momentum"}
    page.evaluate("(changes) => sendConfig(changes)", changes)
    until("the changes", lambda: server_config(page)["seed"] == 5)
    config = server_config(page)
    address = page.url
    assert "config=" in address
    other = browser.new_context().new_page()
    other.goto(address)
    other.get_by_text("test accuracy 0.").wait_for()
    assert server_config(other) == config  # every setting
    assert other.is_checked("#discretize") and not other.is_checked("#show_test")
    code = "async () => (await fetch(`/api/sessions/${session}/code`, { headers: " \
           "{ Authorization: `token ${TOKEN}` } })).text()"
    assert other.evaluate(code) == page.evaluate(code)  # the same script
    assert "np.sin(X[:, 1])" in page.evaluate(code)  # the features reach the script
    other.context.close()
    # An address whose settings the server refuses opens the defaults, saying why.
    bad = address.split("&config=")[0] + "&config=" + json.dumps({"epochs": -1})
    third = browser.new_context().new_page()
    third.goto(bad)
    third.get_by_role("alert").filter(has_text="epochs").wait_for()
    assert server_config(third)["epochs"] == 2000
    third.context.close()
