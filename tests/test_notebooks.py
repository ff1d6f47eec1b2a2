"""The example notebooks run top to bottom on the installed package, so they never rot, and they
are stored with their outputs, so they show their pictures where people browse them.

Each notebook in examples/ is executed in a fresh Jupyter kernel (nbclient) inside a temporary
folder, so the files it writes land there. A cell that raises fails the test with the cell's
traceback. The notebooks assert their own accuracy floors, so one that stops learning fails too.
The stored file must hold the outputs of a complete run in order, and each cell's stored outputs
must be of the kinds the fresh run produces (a picture where it draws one), so a notebook edited
without being re-run (``python docs/execute_notebooks.py``) fails.
"""

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
TIMEOUT = 120  # seconds per cell; each whole notebook takes a few seconds


def test_the_examples_are_there():
    names = [path.stem for path in NOTEBOOKS]
    assert names == ["01_moons", "02_iris_multiclass", "03_digits_dropout_batchnorm",
                     "04_optimizers", "05_diagnosing_training", "06_command_line",
                     "07_diabetes_regression"]


def _kinds(cell):
    """What a code cell's outputs are: (output type, sorted MIME types) per output."""
    return [(o["output_type"], sorted(o.get("data", {}))) for o in cell["outputs"]
            if o["output_type"] != "stream"]  # stream text (warnings, logs) may vary


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_executed_with_its_pictures(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    # One complete run, top to bottom, in a fresh kernel.
    assert [cell["execution_count"] for cell in code] == list(range(1, len(code) + 1))
    outputs = [o for cell in code for o in cell["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    pictures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert pictures
    # Modest pictures, so the file stays small where people browse it.
    assert path.stat().st_size < 800 * 1024


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    stored = json.loads(path.read_text(encoding="utf-8"))
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=TIMEOUT, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    outputs = [output for cell in notebook.cells if cell.cell_type == "code"
               for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # Every notebook shows at least one picture, rendered as an image, not a text repr.
    assert any("image/png" in o.get("data", {}) for o in outputs)
    # The stored outputs are those of this code: the same kinds, cell by cell.
    fresh = [cell for cell in notebook.cells if cell.cell_type == "code"]
    kept = [cell for cell in stored["cells"] if cell["cell_type"] == "code"]
    assert [_kinds(cell) for cell in kept] == [_kinds(cell) for cell in fresh]
