"""Tests for the scratchnn command line: the demo end to end, exit statuses, entry points."""

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scratchnn.cli import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run `scratchnn demo --quiet` once (it trains for 200 epochs) for the tests below."""
    pytest.importorskip("matplotlib")
    out_dir = tmp_path_factory.mktemp("demo") / "nested" / "out"  # parents are created too
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["demo", "--out-dir", str(out_dir), "--quiet"])
    return status, stdout.getvalue(), out_dir


def _printed_accuracy(stdout, which):
    match = re.search(rf"^{which} accuracy: ([0-9.]+)$", stdout, re.MULTILINE)
    assert match, f"no '{which} accuracy' line in the demo output"
    return float(match.group(1))


# --------------------------------------------------------------------------- demo


def test_demo_succeeds(demo_run):
    status, _, _ = demo_run
    assert status == 0


@pytest.mark.parametrize("name", ["moons_costs.png", "moons_decision_boundary.png"])
def test_demo_saves_png_files(demo_run, name):
    _, stdout, out_dir = demo_run
    path = out_dir / name
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert str(path) in stdout  # the user is told where it went


def test_demo_reaches_the_accuracy_floor(demo_run):
    _, stdout, _ = demo_run
    assert _printed_accuracy(stdout, "test") >= 0.97
    assert _printed_accuracy(stdout, "train") >= 0.97


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("argv", [
    ["bogus"],
    [],
    ["demo", "spirals"],
    ["demo", "--seed", "abc"],
    ["demo", "--no-such-option"],
])
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    assert "usage: scratchnn" in capsys.readouterr().err


def test_unusable_out_dir_is_a_one_line_error(tmp_path, capsys):
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("in the way")
    status = main(["demo", "--out-dir", str(not_a_dir / "out"), "--quiet"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("scratchnn: error: ")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_seed_value_is_a_one_line_error(tmp_path, capsys):
    status = main(["demo", "--out-dir", str(tmp_path), "--seed", "-1", "--quiet"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("scratchnn: error: ")
    assert err.count("\n") == 1


# --------------------------------------------------------------------------- entry points


def test_help_exits_0(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--help"])
    assert excinfo.value.code == 0
    assert "demo" in capsys.readouterr().out


def test_version(capsys):
    from scratchnn import __version__

    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out.strip() == f"scratchnn {__version__}"


def test_python_dash_m_help():
    result = subprocess.run(
        [sys.executable, "-m", "scratchnn", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "usage: scratchnn" in result.stdout
    assert "demo" in result.stdout


def test_console_script_help():
    script = Path(sys.executable).parent / "scratchnn"
    if not script.exists():
        pytest.skip("scratchnn console script not installed next to this Python")
    result = subprocess.run([str(script), "demo", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "--out-dir" in result.stdout


def test_seed_import_path_still_works():
    from classifier_nn import ClassifierNN
    from scratchnn import ClassifierNN as Canonical

    assert ClassifierNN is Canonical
