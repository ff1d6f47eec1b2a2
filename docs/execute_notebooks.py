"""Run every notebook of examples/ top to bottom and store it with its outputs:
python docs/execute_notebooks.py [NAME.ipynb ...]

The notebooks are kept executed, figures embedded, so they render where people browse them;
tests/test_notebooks.py re-executes each one and checks that the stored outputs are there. Each
runs in a fresh kernel inside a temporary folder (the files it writes land there), with no
timing metadata, so a rerun changes the files only where an output changed.
"""

import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def execute(path, folder):
    """``path``'s notebook executed in ``folder``; raises on the first failing cell."""
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def main(names):
    paths = [EXAMPLES / name for name in names] or sorted(EXAMPLES.glob("*.ipynb"))
    for path in paths:
        with tempfile.TemporaryDirectory() as folder:
            notebook = execute(path, folder)
        nbformat.write(notebook, path)
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
