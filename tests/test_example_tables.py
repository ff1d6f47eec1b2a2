"""`scratchnn datasets` writes the example tables, and the command-line page's block runs as
written with them."""

import contextlib
import csv
import io
import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest

from scratchnn.cli import main
from scratchnn.datasets import make_moons
from scratchnn.example_tables import example_table, write_example_tables

ROOT = Path(__file__).resolve().parents[1]


def run(argv):
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main([str(a) for a in argv])
    return status, stdout.getvalue(), stderr.getvalue()


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_moons_table_holds_the_generated_points(tmp_path):
    status, out, _ = run(["datasets", "moons", tmp_path / "moons.csv", "--seed", "3"])
    assert status == 0 and f"saved {tmp_path / 'moons.csv'} (1000 rows)" in out
    header, *rows = read(tmp_path / "moons.csv")
    X, y = make_moons(seed=3)
    assert header == ["x1", "x2", "label"]
    np.testing.assert_allclose([[float(a), float(b)] for a, b, _ in rows], X, rtol=1e-5)
    assert [int(k) for _, _, k in rows] == y.tolist()


def test_split_into_train_test_and_unlabelled_rows(tmp_path):
    written = write_example_tables("spiral", tmp_path / "a.csv", test=tmp_path / "b.csv",
                                   new=tmp_path / "c.csv", test_size=0.2, seed=1)
    assert list(written.values()) == [720, 180, 180]
    train, test, new = (read(tmp_path / name) for name in ("a.csv", "b.csv", "c.csv"))
    assert train[0] == test[0] == ["x1", "x2", "label"] and new[0] == ["x1", "x2"]
    assert [row[:2] for row in test[1:]] == new[1:]  # the same rows, without the label
    every = sorted(map(tuple, train[1:] + test[1:]))
    assert every == sorted(tuple(r) for r in read_all("spiral", seed=1))


def test_datasets_test_size_rounds_the_held_out_rows_up(tmp_path):
    # 1000 moons at 0.3201: 320.1 rows, rounded up as train_test_split and `scratchnn split` do.
    status, out, err = run(["datasets", "moons", tmp_path / "a.csv", "--test", tmp_path / "b.csv",
                            "--test-size", "0.3201"])
    assert status == 0, err
    assert out.splitlines() == [f"saved {tmp_path / 'a.csv'} (679 rows)",
                                f"saved {tmp_path / 'b.csv'} (321 rows)"]
    assert len(read(tmp_path / "b.csv")) == 1 + 321


def read_all(name, seed):
    header, rows = example_table(name, seed)
    return [[f"{v:.6g}" if isinstance(v, float) else str(v) for v in row] for row in rows]


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="name must be one of"):
        example_table("mnist")
    with pytest.raises(TypeError, match="test must be a path"):
        write_example_tables("moons", tmp_path / "a.csv", test=3)
    with pytest.raises(ValueError, match="test_size"):
        write_example_tables("moons", tmp_path / "a.csv", new=tmp_path / "b.csv", test_size=1.0)
    with pytest.raises(SystemExit) as exit_info, contextlib.redirect_stderr(io.StringIO()):
        main(["datasets", "moons", str(tmp_path / "a.csv"), "--test-size", "0"])
    assert exit_info.value.code == 2
    status, _, err = run(["datasets", "moons", tmp_path / "missing" / "a.csv"])
    assert status == 1 and err.startswith("scratchnn: error: ")


def test_iris_without_scikit_learn_names_the_extra(tmp_path, monkeypatch):
    # None in sys.modules makes the import fail, even where an earlier test imported it already
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    status, _, err = run(["datasets", "iris", tmp_path / "iris.csv"])
    assert status == 1 and "scratchnn[sklearn]" in err
    assert not (tmp_path / "iris.csv").exists()


def test_the_command_line_pages_datasets_block_runs_as_written(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    text = (ROOT / "docs" / "command-line.md").read_text(encoding="utf-8")
    section = text[text.index("## Examples"):]
    block = next(b for b in re.findall(r"^```bash\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
                 if b.startswith("scratchnn datasets"))
    monkeypatch.chdir(tmp_path)
    commands = [shlex.split(line, comments=True) for line in block.splitlines()]
    assert commands[0][:2] == ["scratchnn", "datasets"]
    for command in commands:
        assert command[0] == "scratchnn"
        if command[1] == "demo":
            continue  # the demos have tests of their own
        if command[1] == "export":
            pytest.importorskip("onnx")
        status, out, err = run(command[1:])
        assert status == 0, f"{' '.join(command)} failed: {err}"
    header, *rows = read(tmp_path / "iris-predictions.csv")
    assert header[0] == "predicted_species" and len(rows) == 45
