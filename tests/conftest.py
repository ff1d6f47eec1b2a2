"""Shared test configuration: Hypothesis profiles, the ``--slow`` option and the
``default_ctrl_c`` fixture."""

import signal
import threading

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
