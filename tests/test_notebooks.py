"""The example notebooks run top to bottom on the installed package, so they never rot.

Each notebook in examples/ is executed in a fresh Jupyter kernel (nbclient) inside a temporary
folder, so the files it writes land there. A cell that raises fails the test with the cell's
traceback. The notebooks assert their own accuracy floors, so one that stops learning fails too.
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
                     "04_optimizers"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    # Outputs would make every re-run a diff and could show pictures the code no longer draws.
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
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
