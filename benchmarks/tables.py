"""``python -m benchmarks.tables``: the command line on a big generated table.

Writes a CSV of ``--rows`` rows (default 1,000,000) and 50 columns: 46 numeric features with 1%
missing cells, 3 text columns (5 to 20 categories) and a 3-class label. Then it reports, each in a
fresh process:

- the wall time and peak memory of ``pandas.read_csv`` alone on the file, and of
  :func:`scratchnn.tables.read_table`, the reader of ``train`` (in chunks, joined column by
  column);
- ``scratchnn train`` for 1 epoch (reading, encoding, standardizing, one pass): wall time and
  peak memory, beside the size of the float32 feature matrix;
- ``scratchnn predict``: wall time and peak memory on the file and on its first fifth
  (``predict_small_*``), to show that memory stays flat in the number of rows (the file is read
  in chunks);
- ``scratchnn train`` for 1 epoch on a wide table of ``--wide-columns`` numeric columns (default
  16,000) and 30 rows (``wide_train_s``): the columns are handled in time linear in their number.

Peak memory is the child's own high-water mark (``VmHWM``, Linux; elsewhere ``ru_maxrss``,
which can include memory shared with this process before the child started). Figures depend on
the machine; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

N_NUMERIC, TEXT_LEVELS = 46, (5, 12, 20)


def write_table(path, rows, seed=0, chunk=100_000):
    """Write the generated table in chunks, so that making it needs little memory."""
    rng = np.random.default_rng(seed)
    names = [f"x{k}" for k in range(N_NUMERIC)] + [f"t{k}" for k in range(len(TEXT_LEVELS))]
    with open(path, "w") as f:
        f.write(",".join(names + ["label"]) + "\n")
        for start in range(0, rows, chunk):
            m = min(chunk, rows - start)
            X = rng.standard_normal((m, N_NUMERIC))
            codes = [rng.integers(0, n, m) for n in TEXT_LEVELS]
            label = (X[:, 0] + X[:, 1] > 0).astype(int) + (codes[0] == 0)
            text = np.char.mod("%.4f", X).astype(object)
            text[rng.random(X.shape) < 0.01] = ""
            columns = [text[:, k] for k in range(N_NUMERIC)]
            columns += [np.char.add("level", code.astype(str)).astype(object) for code in codes]
            columns.append(label.astype(str).astype(object))
            lines = [",".join(row) for row in zip(*columns)]
            f.write("\n".join(lines) + "\n")


# The child's own high-water mark, read from /proc at exit. The ru_maxrss that wait4 reports
# also counts the pages the child shared with this process between fork and exec, so it can
# never be below this process's own size (which writing the table makes large).
_PEAK = """import atexit, sys
_peak_file = sys.argv.pop(1)
def _peak():
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open(_peak_file, "w") as f:
        f.write(str(kb))
atexit.register(_peak)
"""


def _child(code, argv):
    """Run ``code`` in a fresh Python; return (seconds, peak MB of that child alone)."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = os.path.join(folder, "peak")
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", _PEAK + code, peak_file, *argv],
                                   stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"{argv[:1]} exited with {process.returncode}")
        if os.path.exists(peak_file):  # Linux
            with open(peak_file) as f:
                return seconds, int(f.read()) / 1024
    return seconds, usage.ru_maxrss / 1024  # elsewhere: may count memory shared before exec


_READ = "import sys, pandas; pandas.read_csv(sys.argv[1])"
_READ_TABLE = "import sys; from scratchnn.tables import read_table; read_table(sys.argv[1])"
_CLI = "import sys; from scratchnn.cli import main; sys.exit(main(sys.argv[1:]))"


def run(rows, folder, wide_columns=16_000):
    data = os.path.join(folder, "big.csv")
    model = os.path.join(folder, "big.npz")
    write_table(data, rows)
    results = {"rows": rows, "file_mb": os.path.getsize(data) / 2**20,
               "float32_matrix_mb": rows * (N_NUMERIC + sum(TEXT_LEVELS)) * 4 / 2**20}
    results["pandas_read_s"], results["pandas_read_peak_mb"] = _child(_READ, [data])
    results["read_table_s"], results["read_table_peak_mb"] = _child(_READ_TABLE, [data])
    results["train_s"], results["train_peak_mb"] = _child(
        _CLI, ["train", data, "--target", "label", "--out", model, "--epochs", "1",
               "--batch-size", "512", "--quiet"])
    results["predict_s"], results["predict_peak_mb"] = _child(
        _CLI, ["predict", model, data, "--out", os.path.join(folder, "pred.csv")])
    # The same model on the first fifth of the rows (the generator makes the same rows).
    small = os.path.join(folder, "small.csv")
    results["predict_small_rows"] = max(rows // 5, 10)
    write_table(small, results["predict_small_rows"])
    results["predict_small_s"], results["predict_small_peak_mb"] = _child(
        _CLI, ["predict", model, small, "--out", os.path.join(folder, "pred_small.csv")])
    wide = os.path.join(folder, "wide.csv")
    write_wide_table(wide, wide_columns)
    results["wide_columns"] = wide_columns
    results["wide_train_s"], results["wide_train_peak_mb"] = _child(
        _CLI, ["train", wide, "--target", "label", "--out", os.path.join(folder, "wide.npz"),
               "--epochs", "1", "--quiet"])
    return results


def write_wide_table(path, columns, rows=30, seed=0):
    """A table of ``columns`` numeric columns and ``rows`` rows, with a 2-class label."""
    X = np.random.default_rng(seed).standard_normal((rows, columns)).round(3)
    with open(path, "w") as f:
        f.write(",".join([f"c{j}" for j in range(columns)] + ["label"]) + "\n")
        for i in range(rows):
            f.write(",".join(map(str, X[i])) + f",{i % 2}\n")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tables", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--wide-columns", type=int, default=16_000)
    parser.add_argument("--json", help="also write the figures there")
    args = parser.parse_args(argv)
    if args.rows < 10:
        parser.error("--rows must be at least 10")
    if args.wide_columns < 1:
        parser.error("--wide-columns must be at least 1")
    with tempfile.TemporaryDirectory() as folder:
        results = run(args.rows, folder, args.wide_columns)
    for key, value in results.items():
        print(f"{key:24s} {value:12.2f}" if isinstance(value, float) else f"{key:24s} {value:12d}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
