"""The playground's views in a real browser (Playwright driving Debian's Chromium): the layout
at a desktop and a phone size, the icon and a clean console, the network diagram against the
model's weights, editing a weight, the charts' scales, and the decision regions' colours against
the classes the model predicts.

Skipped, with one line saying why, where Playwright or Chromium is missing. No test depends on
timing: each waits for a state of the page, with a generous bound for a busy machine.
Screenshots go to ``$PLAYGROUND_SCREENSHOTS`` when set, else to the test's temporary folder.
"""

import base64
import re
import shutil

import numpy as np
import pytest

pytest.importorskip("playwright.sync_api",
                    reason="Playwright is not installed (pip install playwright)")
if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from scratchnn.playground import make_server  # noqa: E402
from serving import serving  # noqa: E402

TIMEOUT_MS = 60_000  # a bound for a busy machine, not a timing assertion
COLORS = [(245, 147, 34), (8, 119, 189), (44, 160, 44), (214, 39, 40), (148, 103, 189)]
"""The classes' colours, as the page's style defines them (blue positive, orange negative)."""
VIEWPORTS = {"desktop": (1400, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def server():
    yield from serving(make_server("127.0.0.1", 0))


class Page:
    """A page of the playground with what went wrong on it: console errors, JavaScript errors,
    failed requests and replies of 400 or more."""

    def __init__(self, browser, server, viewport):
        width, height = viewport
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.server = server
        self.problems = []
        self.page.on("console", lambda message: message.type == "error"
                     and self.problems.append(f"console: {message.text}"))
        self.page.on("pageerror", lambda error: self.problems.append(f"error: {error}"))
        self.page.on("requestfailed", lambda request: self.problems.append(
            f"failed: {request.url}"))
        self.page.on("response", lambda response: response.status >= 400
                     and self.problems.append(f"{response.status}: {response.url}"))

    def open(self):
        self.page.goto(self.server.url)
        self.page.get_by_text("test accuracy 0.").wait_for()
        self.wait_status("ready")
        return self

    def wait_status(self, status):
        self.page.wait_for_function(
            f"() => document.querySelector('#status').textContent === '{status}'")

    @property
    def session(self):
        return self.server.sessions[self.page.evaluate("() => session")]

    def hidden_layers(self, count):
        while self.page.locator("#layers .layer").count() < count:
            before = self.page.locator("#layers .layer").count()
            self.page.get_by_role("button", name="+ hidden layer").click()
            self.page.wait_for_function(
                f"() => document.querySelectorAll('#layers .layer').length === {before + 1}")
        self.wait_status("ready")

    def step(self):
        epoch = self.session.epoch
        self.page.get_by_role("button", name="Step one epoch").click()
        self.page.get_by_text(f"epoch {epoch + 1}", exact=True).wait_for()
        self.wait_status("paused")

    def box(self, selector):
        return self.page.locator(selector).bounding_box()

    def close(self):
        self.context.close()


@pytest.fixture
def open_page(browser, server):
    pages = []

    def opened(viewport="desktop"):
        page = Page(browser, server, VIEWPORTS[viewport]).open()
        pages.append(page)
        return page

    yield opened
    for page in pages:
        page.close()
        assert page.problems == [], f"the page had problems: {page.problems}"


# --------------------------------------------------------------------------- layout
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("layers", [3, 6])
def test_no_sideways_scroll_and_the_picture_near_the_train_button(open_page, shots, viewport,
                                                                  layers):
    view = open_page(viewport)
    page = view.page
    view.hidden_layers(layers)
    view.step()  # the diagnostics table, one column per layer, is shown from the first epoch
    page.wait_for_function(
        f"() => document.querySelectorAll('#diagnostics tr:first-child td').length === "
        f"{layers + 2}")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
    side, table = view.box("#side"), view.box("#diagnostics-box .table-scroll")
    assert table["x"] >= side["x"] and table["x"] + table["width"] <= side["x"] + side["width"]
    for panel in ("#settings", "#views", "#side"):
        box = view.box(panel)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width[1], panel
    train, picture = view.box("#train"), view.box("#boundary")
    height = VIEWPORTS[viewport][1]
    assert picture["y"] + picture["height"] - train["y"] <= height, \
        "the decision boundary is not within one screen of the Train button"
    assert picture["x"] >= 0 and picture["x"] + picture["width"] <= width[1]
    # The diagram's column headings side by side, none over the next, each naming its column.
    headings = page.locator("#diagram .diagram-heading")
    assert headings.count() == layers + 2
    texts = page.evaluate("() => [...document.querySelectorAll('#diagram .diagram-heading')]"
                          ".map((h) => { const r = document.createRange(); r.selectNodeContents(h);"
                          " const b = r.getBoundingClientRect(); return [h.textContent, b.left,"
                          " b.right, h.title]; })")
    for (_, _, right, _), (text, left, _, _) in zip(texts, texts[1:]):
        assert right <= left, f"the diagram's heading {text!r} overlaps the one before it"
    assert [title for *_, title in texts] == (
        ["inputs", *(f"layer {l}" for l in range(1, layers + 1)), "output"])
    page.screenshot(path=str(shots / f"playground-{viewport}-{layers}-layers.png"))


def test_the_page_loads_with_its_icon_and_a_clean_console(open_page):
    view = open_page()
    icon = view.page.evaluate("() => fetch('/favicon.ico').then((r) => [r.status, "
                              "r.headers.get('Content-Type')])")
    assert icon == [200, "image/svg+xml"]
    # open_page checks, on closing, that nothing went wrong: no console error, no 404


# --------------------------------------------------------------------------- the diagram
def _edges(page):
    return page.evaluate("""() => [...document.querySelectorAll('#diagram g.weight')].map((g) => {
        const ink = g.querySelector('line.ink');
        return [Number(g.dataset.layer), Number(g.dataset.row), Number(g.dataset.column),
                Number(g.dataset.value), ink.getAttribute('stroke'),
                Number(ink.getAttribute('stroke-width'))];
    })""")


def _rgb(color):
    return "rgb(" + ",".join(str(c) for c in color) + ")"


def test_diagram_lines_match_the_models_weights(open_page, shots):
    view = open_page()
    view.step()
    model = view.session.model
    dims = model.layer_dims
    edges = _edges(view.page)
    assert len(edges) == sum(a * b for a, b in zip(dims[:-1], dims[1:]))
    assert {(l, r, c) for l, r, c, *_ in edges} == {
        (l, r, c) for l in range(1, len(dims)) for r in range(dims[l]) for c in range(dims[l - 1])}
    widths = []
    for layer, row, column, value, stroke, width in edges:
        w = model.parameters[f"W{layer}"][row, column]
        assert value == pytest.approx(w, rel=1e-6, abs=1e-30)  # float32 on the page
        assert stroke == _rgb(COLORS[1] if w >= 0 else COLORS[0])
        widths.append((abs(w), width))
    widths.sort()
    assert all(a[1] <= b[1] for a, b in zip(widths, widths[1:])), "thicker is not larger"
    assert widths[-1][1] > 3 * widths[0][1]
    units = view.page.locator("#diagram canvas.node")
    assert units.count() == sum(dims)
    view.page.locator("#diagram").screenshot(path=str(shots / "playground-diagram.png"))


def test_hover_reads_a_weight_and_click_sets_it(open_page):
    view = open_page()
    page = view.page
    before = page.evaluate("() => document.querySelector('#boundary').toDataURL()")
    # The last line drawn lies on top of the others: point at the middle of it.
    last = page.locator("#diagram g.weight").last
    layer, row, column = (int(last.get_attribute(f"data-{key}"))
                          for key in ("layer", "row", "column"))
    page.locator("#diagram").scroll_into_view_if_needed()
    box = last.locator("line.hit").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    w = view.session.model.parameters[f"W{layer}"][row, column]
    readout = page.locator("#weight-readout")
    readout.filter(has_text=f"W{layer}[{row}, {column}] = ").wait_for()
    shown = float(re.search(r"= (\S+):", readout.inner_text()).group(1))
    assert shown == pytest.approx(w, rel=1e-3)

    page.mouse.click(x, y)
    page.get_by_label("new weight").fill("-4.25")
    page.get_by_label("new weight").press("Enter")
    page.wait_for_function(
        "() => Number(document.querySelector('#diagram g.weight:last-of-type').dataset.value)"
        " === -4.25")
    assert view.session.model.parameters[f"W{layer}"][row, column] == -4.25
    assert page.locator("#weight-editor").is_hidden()
    after = page.evaluate("() => document.querySelector('#boundary').toDataURL()")
    assert after != before, "the boundary was not redrawn with the new weight"
    page.get_by_label("new weight").evaluate("(input) => input.form.hidden = false")
    page.get_by_label("new weight").fill("1e9")  # refused by the server, with its message
    page.get_by_label("new weight").press("Enter")
    page.get_by_role("alert").filter(has_text="value must be").wait_for()
    view.problems = [p for p in view.problems if "400" not in p]  # that refusal, expected
    assert view.session.model.parameters[f"W{layer}"][row, column] == -4.25


# --------------------------------------------------------------------------- charts
def test_the_loss_chart_toggles_between_log_and_linear(open_page):
    view = open_page()
    view.step()
    chart = view.page.locator("#loss-chart")
    assert chart.get_attribute("data-scale") == "log"
    log_picture = chart.evaluate("(c) => c.toDataURL()")
    view.page.get_by_label("log scale").uncheck()
    view.page.wait_for_function(
        "() => document.querySelector('#loss-chart').dataset.scale === 'linear'")
    assert chart.evaluate("(c) => c.toDataURL()") != log_picture
    # The ticks: round steps on a linear axis, powers of ten on a log one (a loss from 0.44
    # down to 6e-10, the "L" on a linear axis, spans nine decades).
    page = view.page
    assert page.evaluate("() => Charts.ticks(0, 1, 4)") == pytest.approx([0, 0.2, 0.4, 0.6,
                                                                          0.8, 1.0])
    assert page.evaluate("() => Charts.ticks(0, 7, 4, true)") == [0, 2, 4, 6]
    assert page.evaluate("() => Charts.ticks(0, 1, 4, true)") == [0, 1]  # epochs: whole
    decades = page.evaluate("() => Charts.logTicks(6e-10, 0.44)")
    assert decades == pytest.approx([1e-9, 1e-7, 1e-5, 1e-3, 1e-1], rel=1e-12)


# --------------------------------------------------------------------------- correctness
def _painted(page):
    """The boundary canvas's pixels (height, width, 4) and its plot area (x, y, w, h).

    The page sends the pixels' bytes as one base64 string: Playwright checks a list element by
    element, and a canvas holds over a million of them (tens of seconds on a busy machine)."""
    data = page.evaluate("""() => {
        const c = document.querySelector('#boundary');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let bytes = '';
        for (let i = 0; i < d.length; i += 0x8000) {
            bytes += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
        }
        return [c.width, c.height, c.dataset.plot, btoa(bytes)];
    }""")
    width, height, plot, pixels = data
    return (np.frombuffer(base64.b64decode(pixels), dtype=np.uint8).reshape(height, width, 4),
            [float(v) for v in plot.split(",")])


@pytest.mark.parametrize("settings", [{"dataset": "moons"},
                                      {"dataset": "blobs", "classes": "3"}])
def test_decision_regions_are_painted_in_their_classes_colours(open_page, settings):
    view = open_page()
    page = view.page
    page.select_option("#dataset", settings["dataset"])
    if "classes" in settings:
        view.wait_status("ready")
        page.get_by_label("Classes").fill(settings["classes"])
        page.get_by_label("Classes").dispatch_event("change")
        page.wait_for_function("() => document.querySelector('#learn').textContent"
                               ".includes('SparseCategoricalCrossEntropy')")
    view.wait_status("ready")
    for _ in range(5):
        view.step()
    session = view.session
    n = session.frame["boundary"]["size"]
    pixels, (ax, ay, aw, ah) = _painted(page)
    # The class at each grid point, from the model itself (float64, not the frame's bytes).
    x0, x1, y0, y1 = session.extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y1, y0, n))
    proba = session.model.predict_proba(np.vstack([gx.ravel(), gy.ravel()]))
    K = session.n_classes
    if K == 2:
        proba = np.vstack([1 - proba[0], proba[0]])
    cls, confidence = proba.argmax(axis=0).reshape(n, n), proba.max(axis=0).reshape(n, n)
    points = np.vstack([session.X_train, session.X_test])
    px = ax + (points[:, 0] - x0) / (x1 - x0) * aw
    py = ay + (y1 - points[:, 1]) / (y1 - y0) * ah
    checked = {k: 0 for k in range(K)}
    for i in range(1, n - 1):
        for j in range(1, n - 1):
            # Well inside a region (its 3 x 3 neighbours agree, the network is sure), away
            # from every dot drawn on top.
            if (cls[i - 1:i + 2, j - 1:j + 2] != cls[i, j]).any() or confidence[i, j] < 0.8:
                continue
            cx, cy = ax + (j + 0.5) * aw / n, ay + (i + 0.5) * ah / n
            if np.min(np.hypot(px - cx, py - cy)) < 8:
                continue
            rgb = pixels[int(cy), int(cx), :3].astype(float)
            # Which class's colour, from white to full, is the pixel on?
            distances = []
            for color in COLORS[:K]:
                direction = np.array(color, float) - 255.0
                t = np.clip(np.dot(rgb - 255.0, direction) / np.dot(direction, direction), 0, 1)
                distances.append(np.linalg.norm(rgb - 255.0 - t * direction))
            assert int(np.argmin(distances)) == cls[i, j], \
                f"grid point ({i}, {j}) of class {cls[i, j]} is painted {rgb}"
            checked[int(cls[i, j])] += 1
    assert all(count >= 5 for count in checked.values()), checked
