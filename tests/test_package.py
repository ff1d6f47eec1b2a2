"""A stranger's install: the sdist and the wheel are built, the wheel is installed into a fresh
virtual environment outside the checkout, and used there as the README says.

The build runs without build isolation (`python -m build --no-isolation`), with the setuptools of
the test environment (the ``test`` extra names ``build`` and ``setuptools``), so the test needs no
network. The fresh environment gets the wheel alone (``--no-deps --no-index``); its dependencies
(NumPy, tqdm, and matplotlib for the demo's pictures) come from the test environment through a
``.pth`` file naming the folders they are installed in. That adds those folders to ``sys.path``
without running their own ``.pth`` files, so an editable install of scratchnn there stays out, and
every check below first proves that the code it runs is the wheel's.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "src" / "scratchnn" / "playground" / "static"
VERSION = re.search(r'__version__ = "([^"]+)"',
                    (ROOT / "src" / "scratchnn" / "version.py").read_text()).group(1)

# What a checkout may hold besides its sources: environments, build outputs, test-run files.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache",
    ".hypothesis", ".coverage", ".coverage.*", "mutants", "mutation-report.md", "demo-output",
    ".whl", ".gl",
)


def stranger_env(**extra):
    """The environment of a shell outside the checkout: no PYTHONPATH, no user site, no coverage
    hooks of the test run; plots go to files."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
           and not key.startswith(("COV_CORE_", "COVERAGE_"))}
    return env | {"PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg"} | extra


def run(command, cwd, timeout=300):
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=stranger_env(),
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{command} exited with {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def dependency_folders():
    """The folders of the test environment that hold the installed wheel's dependencies."""
    import matplotlib
    import numpy
    import tqdm

    return sorted({str(Path(module.__file__).resolve().parents[1])
                   for module in (numpy, tqdm, matplotlib)})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(sdist, wheel) built from a copy of the checkout, so the build writes nothing into it."""
    work = tmp_path_factory.mktemp("build")
    tree, dist = work / "scratchnn", work / "dist"
    shutil.copytree(ROOT, tree, ignore=NOT_SOURCES)
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, tree], cwd=work)
    sdists, wheels = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))
    assert [p.name for p in sdists] == [f"scratchnn-{VERSION}.tar.gz"]
    assert [p.name for p in wheels] == [f"scratchnn-{VERSION}-py3-none-any.whl"]
    return sdists[0], wheels[0]


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """(bin folder of a fresh virtual environment holding the wheel, a folder to work in)."""
    home = tmp_path_factory.mktemp("stranger")
    venv = home / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=home)
    python = venv / "bin" / "python"
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=home).strip())
    (site / "test_environment_dependencies.pth").write_text("\n".join(dependency_folders()) + "\n")
    run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps",
         "--no-index", "--disable-pip-version-check", built[1]], cwd=home)
    work = home / "work"
    work.mkdir()
    return venv / "bin", work


def test_the_wheel_and_the_sdist_hold_the_license_and_the_package_data(built):
    sdist, wheel = built
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"scratchnn-{VERSION}.dist-info/METADATA").decode()
    assert f"scratchnn-{VERSION}.dist-info/licenses/LICENSE" in names
    assert "License-Expression: BSD-3-Clause" in metadata.splitlines()
    assert "classifier_nn.py" in names
    static = sorted(p.name for p in STATIC.iterdir() if p.is_file())
    assert {"index.html", "app.js", "learn.js", "style.css"} <= set(static)
    assert {f"scratchnn/playground/static/{name}" for name in static} <= names
    # The formulas the docs and the playground's Learn panel share, and the panel's converter.
    assert {"scratchnn/formulas.py", "scratchnn/playground/mathml.py",
            "scratchnn/playground/learn.py"} <= names
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= members
    # The suite can run from the sdist: its helpers and conftest come with it.
    helpers = {f"tests/{p.name}" for p in (ROOT / "tests").glob("*.py")}
    assert {"tests/conftest.py", "tests/cli_run.py"} <= helpers <= members
    assert {f"src/scratchnn/playground/static/{name}" for name in static} <= members


def test_scratchnn_version_from_the_installed_command(installed):
    bin_dir, work = installed
    assert run([bin_dir / "scratchnn", "--version"], cwd=work).strip() == f"scratchnn {VERSION}"


SEED_SCRIPT = """\
from classifier_nn import ClassifierNN
from scratchnn.datasets import make_moons
X, y = make_moons(n_samples=200, noise=0.1, seed=0)
nn = ClassifierNN([2, 8, 1], ['relu', 'sigmoid'], seed=0)
nn.train(X.T, y, num_epochs=200, optimizer='adam', print_cost=False)
result = (nn.accuracy(X.T, y), nn.costs[-1])
"""


def test_the_seeds_import_trains_from_the_installed_wheel(installed):
    bin_dir, work = installed
    script = ("import classifier_nn, scratchnn\n" + SEED_SCRIPT
              + "print(classifier_nn.__file__, scratchnn.__file__, repr(result))\n")
    shim, package, result = run([bin_dir / "python", "-c", script], cwd=work).split(maxsplit=2)
    venv = bin_dir.parent.resolve()
    for path in (shim, package):
        assert Path(path).resolve().is_relative_to(venv), path
        assert not Path(path).resolve().is_relative_to(ROOT), path
    # The same run in this process (the checkout's code) gives the same numbers to the last bit.
    here = {}
    exec(SEED_SCRIPT, here)
    assert result.strip() == repr(here["result"])
    assert here["result"][0] > 0.8


def test_the_demo_runs_from_the_installed_wheel(installed):
    bin_dir, work = installed
    out = run([bin_dir / "scratchnn", "demo", "--quiet", "--out-dir", work / "demo"], cwd=work)
    assert "test accuracy" in out
    pictures = sorted(p.name for p in (work / "demo").iterdir())
    assert pictures == ["moons_costs.png", "moons_decision_boundary.png", "moons_diagnostics.png"]
    assert all((work / "demo" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pictures)


def test_the_installed_playground_serves_its_page_files(installed):
    bin_dir, work = installed
    script = (
        "from importlib.resources import files\n"
        "import scratchnn.playground\n"
        "print(scratchnn.playground.__file__)\n"
        "static = files('scratchnn.playground') / 'static'\n"
        "for name in sorted(p.name for p in static.iterdir()):\n"
        "    print(name, len((static / name).read_bytes()))\n"
    )
    lines = run([bin_dir / "python", "-c", script], cwd=work).splitlines()
    assert Path(lines[0]).resolve().is_relative_to(bin_dir.parent.resolve())
    assert lines[1:] == [f"{p.name} {p.stat().st_size}"
                         for p in sorted(STATIC.iterdir()) if p.is_file()]


def test_the_installed_playground_teaches_with_the_shared_formulas(installed):
    """The Learn panel's MathML is made, in the installed package, from the formula source the
    docs include."""
    bin_dir, work = installed
    script = (
        "import scratchnn.formulas\n"
        "from scratchnn.playground import PlaygroundConfig, Session\n"
        "print(scratchnn.formulas.__file__)\n"
        "lesson = Session(PlaygroundConfig(n_points=20, batch_norm=True)).state()['lesson']\n"
        "print(len(scratchnn.formulas.FORMULAS), sum(len(s['math']) for s in lesson))\n"
        "print(any(s['title'].startswith('Batch normalization') for s in lesson))\n"
    )
    lines = run([bin_dir / "python", "-c", script], cwd=work).splitlines()
    assert Path(lines[0]).resolve().is_relative_to(bin_dir.parent.resolve())
    n_formulas, n_math = map(int, lines[1].split())
    assert n_formulas >= 30 and n_math >= 10
    assert lines[2] == "True"
