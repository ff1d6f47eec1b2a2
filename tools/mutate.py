"""Mutation testing without dependencies: plant each bug of ``tools/mutants.py``, run its tests.

Usage (from the repository root, inside the project's virtual environment)::

    python tools/mutate.py                  # every mutant; report in mutation-report.md
    python tools/mutate.py --module layers.py --module losses.py
    python tools/mutate.py --only dropout-no-rescale --verbose
    python tools/mutate.py --list           # the mutants, nothing run

``make mutate`` runs the first form. The source tree is never edited: the package is copied to a
temporary folder, each mutant is written into the copy, and the tests run with that copy first
on ``PYTHONPATH`` (the runner checks that the copy is what they import). A mutant is *killed*
when its tests fail or time out, *survives* when they pass, and is *stale* when its snippet is no
longer in the module exactly once (update the list). Mutants marked equivalent are run too but
left out of the score. The exit status is 1 when a mutant survives or is stale, 0 otherwise.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "scratchnn"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutants import MUTANTS  # noqa: E402


def run_tests(copy_root, tests, timeout):
    """Run ``tests`` against the package copy; return ("pass" | "fail" | "timeout", seconds)."""
    env = dict(os.environ, PYTHONPATH=str(copy_root), PYTHONDONTWRITEBYTECODE="1",
               MPLBACKEND="Agg")
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
               *[str(ROOT / "tests" / name) for name in tests]]
    start = time.monotonic()
    try:
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, ""
    outcome = "pass" if result.returncode == 0 else "fail"
    return outcome, time.monotonic() - start, result.stdout[-3000:] + result.stderr[-2000:]


def check_import_location(copy_root):
    env = dict(os.environ, PYTHONPATH=str(copy_root), PYTHONDONTWRITEBYTECODE="1")
    found = subprocess.run([sys.executable, "-c", "import scratchnn; print(scratchnn.__file__)"],
                           env=env, capture_output=True, text=True, check=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(Path(copy_root).resolve()):
        sys.exit(f"mutate: the tests would import {found}, not the mutated copy in {copy_root}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="only mutants of this file (repeat)")
    parser.add_argument("--only", action="append", help="only the mutant of this name (repeat)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--report", default=str(ROOT / "mutation-report.md"),
                        help="where to write the report (default: mutation-report.md)")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds before a mutant's test run counts as killed (timeout)")
    parser.add_argument("--verbose", action="store_true", help="show the tests' output tail")
    args = parser.parse_args(argv)

    mutants = [m for m in MUTANTS
               if (not args.module or m.module in args.module)
               and (not args.only or m.name in args.only)]
    if args.list:
        for m in mutants:
            note = f"  [equivalent: {m.equivalent}]" if m.equivalent else ""
            print(f"{m.module:16} {m.name:40} {', '.join(m.tests)}{note}")
        return 0
    if not mutants:
        sys.exit("mutate: no mutant matches --module/--only")

    results = []
    with tempfile.TemporaryDirectory(prefix="scratchnn-mutants-") as tmp:
        copy = Path(tmp) / "scratchnn"
        shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
        check_import_location(tmp)
        baseline = {}
        for tests in sorted({m.tests for m in mutants}):
            outcome, seconds, output = run_tests(tmp, tests, args.timeout)
            if outcome != "pass":
                sys.exit(f"mutate: the unmutated code fails {', '.join(tests)}; fix that "
                         f"first\n{output}")
            baseline[tests] = seconds
        for i, m in enumerate(mutants, 1):
            path = copy / m.module
            original = path.read_text()
            count = original.count(m.find)
            if count != 1:
                outcome, seconds = "stale", 0.0
            else:
                path.write_text(original.replace(m.find, m.replace))
                try:
                    timeout = min(args.timeout, max(60.0, 5 * baseline[m.tests]))
                    outcome, seconds, output = run_tests(tmp, m.tests, timeout)
                finally:
                    path.write_text(original)
            status = {"fail": "killed", "timeout": "killed (timeout)", "pass": "survived",
                      "stale": f"stale (snippet found {count} times)"}[outcome]
            if m.equivalent:
                status += " [equivalent]"
            print(f"[{i:3}/{len(mutants)}] {m.module:16} {m.name:40} {status} ({seconds:.0f} s)",
                  flush=True)
            if args.verbose and outcome in ("pass", "fail"):
                print(output)
            results.append((m, outcome))

    report, failed = write_report(results)
    Path(args.report).write_text(report)
    print(report)
    return 1 if failed else 0


def write_report(results):
    """The report as Markdown, and whether any counted mutant survived or went stale."""
    per_module = defaultdict(lambda: [0, 0])
    survivors, stale, equivalents = [], [], []
    for m, outcome in results:
        if outcome == "stale":
            stale.append(m)
            continue
        if m.equivalent:
            equivalents.append((m, outcome))
            continue
        per_module[m.module][1] += 1
        if outcome in ("fail", "timeout"):
            per_module[m.module][0] += 1
        else:
            survivors.append(m)
    killed = sum(k for k, _ in per_module.values())
    total = sum(n for _, n in per_module.values())
    lines = ["# Mutation report", "",
             f"Score: {killed}/{total} mutants killed"
             + (f" ({100 * killed / total:.0f}%)" if total else ""), "",
             "| module | killed | score |", "| --- | --- | --- |"]
    for module, (k, n) in sorted(per_module.items()):
        lines.append(f"| {module} | {k}/{n} | {100 * k / n:.0f}% |")
    lines += ["", "## Survivors", ""]
    lines += [f"- {m.module}: {m.name}: `{m.find.strip()}` -> `{m.replace.strip()}`"
              for m in survivors] or ["none"]
    lines += ["", "## Stale (snippet not found exactly once: update tools/mutants.py)", ""]
    lines += [f"- {m.module}: {m.name}" for m in stale] or ["none"]
    lines += ["", "## Equivalent (not scored)", ""]
    lines += [f"- {m.module}: {m.name} ({'killed' if o != 'pass' else 'survived'}): "
              f"{m.equivalent}" for m, o in equivalents] or ["none"]
    return "\n".join(lines) + "\n", bool(survivors or stale)


if __name__ == "__main__":
    sys.exit(main())
