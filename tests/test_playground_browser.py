"""The playground in a real browser: Playwright driving Debian's Chromium.

Skipped, with one line saying why, where Playwright or Chromium is missing (``.ci/run`` installs
Chromium where it can). Screenshots go to ``$PLAYGROUND_SCREENSHOTS`` when set, else to the
test's temporary folder.
"""

import re
import shutil
import subprocess
import sys
import threading

import pytest

pytest.importorskip("playwright.sync_api",
                    reason="Playwright is not installed (pip install playwright)")
if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from scratchnn.formulas import FORMULAS  # noqa: E402
from scratchnn.playground import make_server  # noqa: E402

TIMEOUT_MS = 60_000  # a bound for a busy machine, not a timing assertion


@pytest.fixture(scope="module")
def url():
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{43}", server.url), server.url
    yield server.url  # the address the command prints and opens, with the token
    server.close_all()
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"the page raised JavaScript errors: {errors}"


def _pictures(page):
    return page.evaluate(
        "() => [...document.querySelectorAll('#boundary, #units canvas')]"
        ".map((c) => c.toDataURL())")


def _test_accuracy(page):
    text = page.get_by_text(re.compile(r"test accuracy [0-9.]+")).inner_text()
    return float(text.split()[-1])


def test_train_moons_and_take_the_code_home(page, url, shots, tmp_path):
    page.goto(url)
    page.get_by_text("test accuracy 0.").wait_for()  # the session's first frame is drawn
    page.select_option("#dataset", "moons")
    page.wait_for_function("() => document.querySelector('#status').textContent === 'ready'")
    before = _pictures(page)
    page.screenshot(path=str(shots / "playground-start.png"))

    page.get_by_role("button", name=re.compile("Train")).click()
    page.wait_for_function(
        "() => parseFloat(document.querySelector('#test-accuracy').textContent.split(' ')[2])"
        " >= 0.95")
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'paused'")
    page.screenshot(path=str(shots / "playground-moons.png"))
    after = _pictures(page)
    assert len(after) == len(before) == 1 + 16  # the boundary and 2 x 8 hidden units
    assert after[0] != before[0], "the decision boundary did not change"
    assert sum(a != b for a, b in zip(after[1:], before[1:])) >= 8, "the units did not change"
    accuracy = _test_accuracy(page)
    assert accuracy >= 0.95

    with page.expect_download() as download:
        page.get_by_role("link", name="Python script").click()
    script = tmp_path / "playground_session.py"
    download.value.save_as(script)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=TIMEOUT_MS / 1000)
    assert result.returncode == 0, result.stderr
    script_accuracy = float(re.search(r"test accuracy ([0-9.]+)", result.stdout).group(1))
    assert round(script_accuracy, 3) == accuracy


def test_network_controls_and_a_clear_message(page, url):
    page.goto(url)
    page.get_by_text("test accuracy 0.").wait_for()
    page.get_by_role("button", name="+ hidden layer").click()
    page.wait_for_function("() => document.querySelectorAll('#units .unit-layer').length === 3")
    page.get_by_role("button", name="remove layer 1").click()
    page.wait_for_function("() => document.querySelectorAll('#units .unit-layer').length === 2")
    page.get_by_label("units of layer 1").fill("99")
    page.get_by_label("units of layer 1").dispatch_event("change")
    page.get_by_role("alert").filter(has_text="at most 16").wait_for()


def test_multiclass_step_and_csv_upload(page, url, tmp_path):
    page.goto(url)
    page.get_by_text("test accuracy 0.").wait_for()
    page.select_option("#dataset", "spiral")
    page.get_by_label("Classes").fill("4")
    page.get_by_label("Classes").dispatch_event("change")
    page.wait_for_function("() => document.querySelector('#learn').textContent"
                           ".includes('SparseCategoricalCrossEntropy')")
    page.get_by_role("button", name="Step one epoch").click()
    page.get_by_text("epoch 1", exact=True).wait_for()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'paused'")

    rows = "".join(f"{k % 7 / 7},{k % 5 / 5},{k % 3}\n" for k in range(60))
    csv_file = tmp_path / "points.csv"
    csv_file.write_text("x1,x2,label\n" + rows)
    page.set_input_files("#csv", str(csv_file))
    page.wait_for_function("() => document.querySelector('#dataset').value === 'csv'")
    page.get_by_text("epoch 0", exact=True).wait_for()


def test_without_the_token_the_page_says_which_address_to_open(page, url):
    page.goto(url.split("?")[0])
    page.get_by_role("alert").filter(has_text="no token").wait_for()
    assert "?token=" in page.get_by_role("alert").inner_text()
    page.goto(url.replace("?token=", "?token=x"))
    page.get_by_role("alert").filter(has_text="wrong token").wait_for()


def _server_config(page):
    """The settings the server holds for the page's session (asked by the page itself)."""
    return page.evaluate("async () => (await api('GET', `/api/sessions/${session}`)).config")


def _change(page, selector, value):
    """Type ``value`` and leave the field, as a learner does (one change event)."""
    page.fill(selector, str(value))
    page.press(selector, "Tab")


def test_a_refused_setting_never_stays_in_its_field(page, url):
    page.goto(url)
    page.get_by_text("test accuracy 0.").wait_for()
    accepted = _server_config(page)["learning_rate"]
    _change(page, "#learning_rate", 50)
    page.get_by_role("alert").filter(has_text="learning_rate").wait_for()
    assert page.input_value("#learning_rate") == str(accepted)  # what the server runs
    # A later change is judged on its own, not refused with the old message.
    _change(page, "#epochs", 123)
    page.wait_for_function("() => document.querySelector('#message').textContent === ''")
    config = _server_config(page)
    assert config["epochs"] == 123 and config["learning_rate"] == accepted
    assert page.input_value("#epochs") == "123"
    # A refused layer size goes back too.
    _change(page, "#layers .units >> nth=0", 99)
    page.get_by_role("alert").filter(has_text="at most 16").wait_for()
    assert page.get_by_label("units of layer 1").input_value() == "8"
    assert _server_config(page)["hidden"][0]["units"] == 8


RAW_MARKUP = (r"\frac", r"\sum", "$$", ".. math::", ":mod:", ":class:", "``")


def _lesson_titles(page):
    return page.eval_on_selector_all("#learn h3", "(hs) => hs.map((h) => h.textContent)")


def test_learn_panel_renders_the_math_of_the_network_on_screen(page, url, shots):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(url)
    page.get_by_text("test accuracy 0.").wait_for()
    text = page.inner_text("body")
    assert not [raw for raw in RAW_MARKUP if raw in text], "TeX or reST shown as text"
    # MathML the browser lays out itself (MathML Core: display 'block math').
    displays = page.eval_on_selector_all(
        "#learn math", "(ms) => ms.map((m) => getComputedStyle(m).display)")
    assert len(displays) >= 8 and set(displays) == {"block math"}
    assert page.eval_on_selector_all(
        "#learn mfrac", "(fs) => fs.filter((f) => f.getBoundingClientRect().height > 0).length") > 0
    titles = _lesson_titles(page)
    assert "Layers 1–2: tanh (8, 8 units)" in titles and "Update: adam" in titles
    assert not any("Batch normalization" in title for title in titles)

    page.check("#batch_norm")
    page.dispatch_event("#batch_norm", "change")
    page.wait_for_function("() => [...document.querySelectorAll('#learn h3')]"
                           ".some((h) => h.textContent.startsWith('Batch normalization'))")
    section = page.locator("#learn section", has_text="Batch normalization (every hidden layer)")
    pieces = [piece for name in ("batch_norm.forward", "batch_norm.running")
              for piece in FORMULAS[name].split(r"\qquad")]  # one line each on the page
    assert section.locator("math").count() == len(pieces) == 6
    assert "γ" in section.inner_text() and "μ" in section.inner_text()
    page.select_option("#optimizer", "momentum")
    page.wait_for_function("() => [...document.querySelectorAll('#learn h3')]"
                           ".some((h) => h.textContent === 'Update: momentum')")
    text = page.inner_text("body")
    assert not [raw for raw in RAW_MARKUP if raw in text]
    page.select_option("#optimizer", "adam")
    page.wait_for_function("() => [...document.querySelectorAll('#learn h3')]"
                           ".some((h) => h.textContent === 'Update: adam')")
    page.locator("#learn").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "learn-batch-norm.png"), full_page=True)
    page.locator("#side").screenshot(path=str(shots / "learn-batch-norm-panel.png"))


def test_keep_training_continues_from_the_current_epoch(page, url):
    page.goto(url)
    page.get_by_text("test accuracy 0.").wait_for()
    _change(page, "#epochs", 4)
    page.wait_for_function("() => document.querySelector('#status').textContent === 'ready'")
    assert page.is_hidden("#keep")
    page.get_by_role("button", name=re.compile("Train")).click()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'finished'")
    page.get_by_text("epoch 4", exact=True).wait_for()
    page.get_by_role("button", name="Keep training").click()
    page.get_by_text("epoch 8", exact=True).wait_for()
    page.wait_for_function("() => document.querySelector('#status').textContent === 'finished'")
    assert _server_config(page)["epochs"] == 8 and page.input_value("#epochs") == "8"
    history = page.evaluate("() => frame.history.epoch")
    assert history == sorted(set(history)) and history[-1] == 8  # one run, never back to 0
