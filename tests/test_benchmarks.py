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
