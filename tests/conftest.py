"""Shared test configuration: Hypothesis profiles and the ``--slow`` option."""

from hypothesis import settings

settings.register_profile("ci", max_examples=300, derandomize=True, database=None)
settings.register_profile("slow", max_examples=3000, database=None)


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true",
                     help="run the property-based tests with 3,000 examples each (default 300)")


def pytest_configure(config):
    settings.load_profile("slow" if config.getoption("--slow") else "ci")
