"""The documentation runs: README.md's python and command-line blocks, the command-line page's
examples, and the seed README's usage steps. (The other pages' python blocks run in
tests/test_docs.py.)"""

import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 1
    monkeypatch.chdir(tmp_path)  # the save/load example writes a file
    namespace = {"__name__": "readme"}
    for number, block in enumerate(blocks, 1):
        try:
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message says which block failed
            pytest.fail(f"README.md python block {number} raised {exc!r}:\n{block}")


def test_seed_readme_usage_steps_run_as_written():
    """Steps 2-7 of the seed README's Usage section, with data shaped as step 3 asks."""
    from classifier_nn import ClassifierNN  # step 2, unchanged

    rng = np.random.default_rng(0)
    n_features, m = 4, 300
    X = rng.standard_normal((n_features, m))  # step 3: (number of features, number of examples)
    labels = (X[0] > 0).astype(int) + (X[1] > 0.5).astype(int)
    Y = np.eye(3)[labels].T

    # step 4: the README's [n_features, 3, 4, 3, 3] relu/softmax network
    layer_dims = [n_features, 3, 4, 3, 3]
    activations = ["relu", "relu", "relu", "softmax"]
    nn = ClassifierNN(layer_dims, activations)

    # step 5, with the categorical loss that a softmax output needs ...
    parameters, costs = nn.train(X, Y, loss="CategoricalCrossEntropy", print_cost=False)
    assert len(costs) == 100 and set(parameters) == {f"{p}{l}" for p in "Wb" for l in range(1, 5)}
    # ... while the README's literal binary call is refused with a message saying why
    with pytest.raises(ValueError, match="'sigmoid' output layer"):
        nn.train(X, Y, loss="BinaryCrossEntropy")

    # the same literal call works as written on a binary (sigmoid) network
    binary = ClassifierNN([n_features, 3, 4, 3, 1], ["relu", "relu", "relu", "sigmoid"])
    parameters, costs = binary.train(X, Y[:1], loss="BinaryCrossEntropy", print_cost=False)
    assert np.all(np.isfinite(costs))

    predictions = nn.predict(X)  # step 6
    assert predictions.shape == (1, m)
    acc = nn.accuracy(X, Y)  # step 7
    assert 0.0 <= acc <= 1.0
    assert acc == pytest.approx(float(np.mean(predictions == labels)))


def scratchnn_lines(text):
    """The ``scratchnn ...`` lines of the bash blocks of ``text``, split as a shell would."""
    import shlex

    return [shlex.split(line, comments=True)
            for block in re.findall(r"^```bash\n(.*?)^```", text, re.S | re.M)
            for line in block.splitlines() if line.startswith("scratchnn ")]


def run_lines(commands):
    """Run each command line in process (the demos, and export without onnx, left out)."""
    from scratchnn.cli import main

    ran = 0
    for argv in commands:
        if argv[1] == "demo" or (argv[1] == "export" and not _has("onnx")):
            continue  # the demos have tests of their own
        assert main(argv[1:]) == 0, argv
        ran += 1
    return ran


def test_readme_command_lines_run_as_written(tmp_path, monkeypatch):
    pytest.importorskip("pandas")
    commands = scratchnn_lines((ROOT / "README.md").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    assert run_lines(commands) == 4
    header = (tmp_path / "predictions.csv").read_text().splitlines()[0]
    assert header == "predicted_label,proba_0,proba_1"


def test_command_line_page_examples_run_as_written(tmp_path, monkeypatch):
    """The page's Python block makes the example files; then each `scratchnn` line runs."""
    pytest.importorskip("pandas")
    text = (ROOT / "docs" / "command-line.md").read_text(encoding="utf-8")
    section = text[text.index("## Examples\n"):text.index("## Big tables\n")]
    (make_files,) = python_blocks(section)
    monkeypatch.chdir(tmp_path)
    exec(compile(make_files, "docs/command-line.md python block", "exec"), {"__name__": "page"})
    assert run_lines(scratchnn_lines(section)) >= 4
    header, first = (tmp_path / "predictions.csv").read_text().splitlines()[:2]
    assert header == "customer,predicted_answer,proba_no,proba_yes"
    assert first.startswith("C00500,")


def _has(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None
