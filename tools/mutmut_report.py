"""Per-module mutation scores from mutmut's results: ``make mutate`` writes them to
``mutation-report.md``.

Reads ``mutmut results --all true`` (one ``name: status`` line per mutant) and
``tools/mutmut_equivalent.txt`` (one mutant name per line, ``#`` and a reason after it: mutants
that cannot change any result, left out of the score). A mutant counts as killed when mutmut
says ``killed`` or ``timeout`` (the tests noticed); ``survived`` and ``no tests`` count against
the score unless listed as equivalent; anything else (``not checked``, ``suspicious``,
``skipped``) is counted apart as "other". A listed mutant whose reason begins with ``not
equivalent`` is a known survivor, kept in the list for its explanation: it counts against the
score like any survivor and is named in a section of its own. The report also names listed mutants that the tests
kill after all, and listed names mutmut no longer makes (the code changed under them).
"""

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "tools" / "mutmut_equivalent.txt"
PACKAGE = ROOT / "src" / "scratchnn"
KILLED, AGAINST = {"killed", "timeout"}, {"survived", "no tests"}
NOT_EQUIVALENT = "not equivalent"
"""How a listed mutant's reason begins when it is a known survivor, not an equivalent."""


def results():
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            yield name, status


def equivalents():
    if not EQUIVALENT.exists():
        return {}
    listed = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            listed[name.strip()] = reason.strip()
    return listed


def module_of(name):
    """The file a mutant is in, from its name: ``scratchnn.losses.x_f__mutmut_1`` is in
    ``losses.py``, ``scratchnn.cli._common.xǁCǁm__mutmut_2`` in ``cli/_common.py`` and
    ``scratchnn.cli.x_main__mutmut_3`` in ``cli/__init__.py`` (a package's own code)."""
    match = re.match(r"scratchnn\.((?:\w+\.)*?)x[_ǁ]", name)
    if not match or not match.group(1):
        return "?"
    module = match.group(1)[:-1].replace(".", "/")
    return f"{module}/__init__.py" if (PACKAGE / module).is_dir() else f"{module}.py"


def report():
    listed = equivalents()
    counts = collections.defaultdict(collections.Counter)
    survivors, known, seen, wrongly_listed = [], [], set(), []
    for name, status in results():
        seen.add(name)
        module = module_of(name)
        if status in KILLED:
            counts[module]["killed"] += 1
            if name in listed:
                wrongly_listed.append(f"- `{name}`: {status}")
        elif name in listed and listed[name].startswith(NOT_EQUIVALENT):
            counts[module]["against"] += 1
            known.append(f"- `{name}`: {listed[name]}")
        elif name in listed:
            counts[module]["equivalent"] += 1
        elif status in AGAINST:
            counts[module]["against"] += 1
            survivors.append(f"- `{name}`: {status}")
        else:
            counts[module]["other"] += 1
    total_killed = sum(c["killed"] for c in counts.values())
    total = total_killed + sum(c["against"] for c in counts.values())
    lines = ["# Mutation report (mutmut)", "",
             f"Score: {total_killed}/{total} mutants killed "
             f"({100 * total_killed / max(total, 1):.1f}%); equivalent ones left out.", "",
             "| module | killed | scored | score | equivalent | other |", "|---|---:|---:|---:|---:|---:|"]
    for module in sorted(counts):
        c = counts[module]
        scored = c["killed"] + c["against"]
        lines.append(f"| {module} | {c['killed']} | {scored} | "
                     f"{100 * c['killed'] / max(scored, 1):.1f}% | {c['equivalent']} | "
                     f"{c['other']} |")
    lines += ["", "## Survivors (kill them with a test, or list them as equivalent)", ""]
    lines += survivors or ["none"]
    if known:
        lines += ["", f"## Known survivors ({len(known)}, listed in {EQUIVALENT.name} with why "
                  "they live; counted against the score)", ""]
        lines += known
    if wrongly_listed:
        lines += ["", "## Listed as equivalent but killed (remove them from the list)", ""]
        lines += wrongly_listed
    stale = sorted(set(listed) - seen)
    if stale:
        lines += ["", "## Listed as equivalent but no longer made by mutmut (remove them)", ""]
        lines += [f"- `{name}`" for name in stale]
    kept = sorted(set(listed) & seen - {line.split("`")[1] for line in wrongly_listed + known})
    lines += ["", f"## Equivalent mutants ({len(kept)}, from {EQUIVALENT.name})", ""]
    lines += [f"- `{name}`: {listed[name]}" for name in kept] or ["none"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / "mutation-report.md"))
    args = parser.parse_args(argv)
    text = report()
    Path(args.out).write_text(text, encoding="utf-8")
    print("\n".join(text.splitlines()[:20]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
