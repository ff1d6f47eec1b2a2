"""``tools/mutmut_report.py``: how mutmut's statuses and the equivalents list become scores."""

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "mutmut_report.py"


@pytest.fixture
def report_tool(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("mutmut_report", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    statuses = {
        "scratchnn.losses.x_a__mutmut_1": "killed",
        "scratchnn.losses.x_a__mutmut_2": "timeout",
        "scratchnn.losses.x_a__mutmut_3": "survived",
        "scratchnn.losses.x_a__mutmut_4": "survived",      # listed as equivalent
        "scratchnn.io.x_b__mutmut_1": "no tests",
        "scratchnn.io.x_b__mutmut_2": "killed",            # listed, but killed
        "scratchnn.io.x_b__mutmut_3": "not checked",
    }
    monkeypatch.setattr(module, "results", lambda: iter(statuses.items()))
    listed = tmp_path / "equivalent.txt"
    listed.write_text("# comment line\n"
                      "scratchnn.losses.x_a__mutmut_4  # same result either way\n"
                      "scratchnn.io.x_b__mutmut_2  # wrongly listed\n"
                      "scratchnn.io.x_gone__mutmut_9  # the code changed\n", encoding="utf-8")
    monkeypatch.setattr(module, "EQUIVALENT", listed)
    return module


def test_scores_count_kills_and_timeouts_and_leave_equivalents_out(report_tool):
    text = report_tool.report()
    # losses: 2 killed of 3 scored (one equivalent left out); io: 1 killed of 2 scored.
    assert "Score: 3/5 mutants killed (60.0%)" in text
    assert "| losses.py | 2 | 3 | 66.7% | 1 | 0 |" in text
    assert "| io.py | 1 | 2 | 50.0% | 0 | 1 |" in text


def test_survivors_wrong_listings_and_stale_names_are_named(report_tool):
    text = report_tool.report()
    survivors = text.split("## Survivors")[1].split("##")[0]
    assert "`scratchnn.losses.x_a__mutmut_3`: survived" in survivors
    assert "`scratchnn.io.x_b__mutmut_1`: no tests" in survivors
    assert "x_a__mutmut_4" not in survivors
    assert "killed (remove them from the list)\n\n- `scratchnn.io.x_b__mutmut_2`: killed" in text
    assert "no longer made by mutmut (remove them)\n\n- `scratchnn.io.x_gone__mutmut_9`" in text
    equivalents = text.split("## Equivalent mutants")[1]
    assert equivalents.startswith(" (1, from equivalent.txt)")
    assert "- `scratchnn.losses.x_a__mutmut_4`: same result either way" in equivalents
    assert "x_b__mutmut_2" not in equivalents


@pytest.mark.parametrize("name, module", [
    ("scratchnn.losses.x_a__mutmut_1", "losses.py"),
    ("scratchnn.activations.xǁSigmoidǁforward__mutmut_24", "activations.py"),
    ("scratchnn.cli._common.x_number_type__mutmut_3", "cli/_common.py"),
    ("scratchnn.cli.predict.xǁ_Tallyǁadd__mutmut_2", "cli/predict.py"),
    ("scratchnn.cli.x__main__mutmut_1", "cli/__init__.py"),
])
def test_a_mutant_is_counted_in_its_file_subpackages_included(report_tool, name, module):
    assert report_tool.module_of(name) == module


def test_a_listed_survivor_that_is_not_equivalent_counts_against_the_score(report_tool):
    """A listed mutant whose reason begins "not equivalent" is a known survivor: scored, not
    killed, named apart from the equivalents."""
    listed = report_tool.EQUIVALENT
    listed.write_text(listed.read_text(encoding="utf-8")
                      + "scratchnn.losses.x_a__mutmut_3  # not equivalent, help text only\n",
                      encoding="utf-8")
    text = report_tool.report()
    assert "Score: 3/5 mutants killed (60.0%)" in text
    assert "| losses.py | 2 | 3 | 66.7% | 1 | 0 |" in text
    known = text.split("## Known survivors")[1].split("##")[0]
    assert known.startswith(" (1, listed in equivalent.txt")
    assert "- `scratchnn.losses.x_a__mutmut_3`: not equivalent, help text only" in known
    assert "x_a__mutmut_3" not in text.split("## Survivors")[1].split("##")[0]
    assert "x_a__mutmut_3" not in text.split("## Equivalent mutants")[1]
