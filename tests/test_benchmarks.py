"""The benchmark runner works end to end (it reports; it asserts no timings)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_runner_reports_a_table_and_json(tmp_path):
    out = tmp_path / "w1.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--only", "W1", "--repeats", "1", "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "| W1: make_moons demo" in result.stdout
    assert "| scratchnn | " in result.stdout and "| 1.00 |" in result.stdout
    data = json.loads(out.read_text())
    assert len(data["times"]["W1"]["scratchnn"]) == 1
    assert data["times"]["W1"]["scratchnn"][0] > 0


def test_runner_rejects_bad_arguments():
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--repeats", "0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--repeats" in result.stderr


def test_tables_benchmark_runs_on_a_small_table(tmp_path):
    """`python -m benchmarks.tables` end to end on 2,000 rows (it reports; nothing timed)."""
    import pytest

    pytest.importorskip("pandas")
    out = tmp_path / "tables.json"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.tables", "--rows", "2000", "--wide-columns", "300",
         "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["rows"] == 2000 and data["wide_columns"] == 300
    for key in ("pandas_read_s", "train_s", "predict_s", "train_peak_mb", "predict_peak_mb",
                "wide_train_s"):
        assert data[key] > 0


def test_training_check_benchmark_reports_a_ratio():
    """`python -m benchmarks.training_check` end to end on a few rows (nothing timed)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.training_check", "--rows", "300", "--repeats", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "one epoch (300 x 784" in result.stdout
    assert "% of the epoch" in result.stdout


def test_contention_benchmark_starts_and_stops_its_competitors():
    """The CONT workload's mechanics on 600 rows, without PyTorch and dask (nothing timed)."""
    import pytest

    psutil = pytest.importorskip("psutil")
    from benchmarks import contention

    if contention.CORES < 2:
        pytest.skip("one core: no competitor to start")
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    notes = []
    results = contention.bench_contention(1, notes, scenarios=("quiet", "busy"), rows=600,
                                          torch=False)
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before
    assert list(results) == ["quiet", "busy"]
    lines = contention.table(results, 1)
    assert len([line for line in lines if line.startswith("| quiet") or
                line.startswith("| busy")]) == 2
    for _, medians in results.values():
        assert len(medians) == 3 and all(seconds > 0 for seconds in medians.values())
    assert any("load" in title for title, _ in results.values())
