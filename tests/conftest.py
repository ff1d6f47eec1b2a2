"""Shared test configuration: Hypothesis profiles, the ``--slow`` option, the
``default_ctrl_c`` fixture, and the browser tests' ``browser`` and ``shots`` fixtures."""

import os
import shutil
import signal
import threading
from pathlib import Path

import pytest
import tqdm
from hypothesis import settings

# tqdm guards its bars with a lock shared between processes (a multiprocessing semaphore). A test
# runner that forks a child per test run and kills it on a timeout (mutmut does both) can leave
# that lock held forever, and every later child then hangs on its first progress bar: give each
# process a lock of its own.
tqdm.tqdm.set_lock(threading.RLock())

settings.register_profile("ci", max_examples=300, derandomize=True, database=None)
settings.register_profile("slow", max_examples=3000, database=None)


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true",
                     help="run the property-based tests with 3,000 examples each (default 300)")


def pytest_configure(config):
    settings.load_profile("slow" if config.getoption("--slow") else "ci")


@pytest.fixture
def default_ctrl_c():
    """Python's own SIGINT handler for the test's duration: a test runner (mutmut, for one) may
    have put its own in place, a shell that starts the tests in the background makes them ignore
    SIGINT, and training defers Ctrl-C only over Python's default handler."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="module")
def browser():
    """Chromium driven by Playwright, one per test module; the test is skipped, saying why,
    where either is missing (the browser test modules skip themselves whole first)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed (pip install playwright)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path):
    """The folder the browser tests' screenshots go to: ``$PLAYGROUND_SCREENSHOTS`` when set,
    else the test's temporary folder."""
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
