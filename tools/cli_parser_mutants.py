"""Sort mutmut's mutants of the command line's parser declarations by what they change.

The ``add_*`` functions of ``scratchnn/cli/`` (and ``build_parser``, ``table_arguments``,
``quiet_argument``, ``_strict_argument``) only declare options. Run after ``mutmut run`` has
made its mutants (``mutants/``), this builds the parser once per mutant, in-process through
mutmut's trampolines, and compares it with the unmutated one:

- ``raises``: building the parser fails (every test that parses anything notices);
- ``parsing``: what an argument line parses to can differ: an option's flags, ``dest``,
  ``nargs``, ``const``, ``default``, ``type``, ``choices``, ``required``, action, a command's
  handler or the ``--version`` text;
- ``help``: parsing is the same; only the text ``--help`` prints (help sentences,
  descriptions, metavars, group titles) differs;
- ``same``: nothing the parser does or prints differs.

Prints one ``name<TAB>class<TAB>first changed help line`` per mutant. The ``parsing`` and
``raises`` ones are for mutmut to run (``mutmut run NAME ...``); the ``help`` ones change only
``--help``.

    cd mutants && python ../tools/cli_parser_mutants.py [FUNCTION_PATTERN ...]
"""

import argparse
import difflib
import fnmatch
import json
import os
import sys
from pathlib import Path

DECLARATIONS = ["x_add_*", "x_build_parser", "x_table_arguments", "x_quiet_argument",
                "x__strict_argument"]


def _mutants(patterns):
    for meta in sorted(Path("src/scratchnn/cli").glob("*.py.meta")):
        for name in json.loads(meta.read_text())["exit_code_by_key"]:
            function = name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
            if any(fnmatch.fnmatch(function, p) for p in patterns):
                yield name


def _parsers(parser, prefix=""):
    yield prefix or parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, name)


def _value(x):
    if callable(x):
        return getattr(x, "__qualname__", repr(x))
    return repr(x)


def _parsing(parser):
    """Everything argparse reads to parse a line, per command and option."""
    out = []
    for name, p in _parsers(parser):
        out.append((name, sorted((k, _value(v)) for k, v in p._defaults.items()),
                    p.prefix_chars, p.allow_abbrev, p.add_help))
        for a in p._actions:
            choices = (sorted(map(repr, a.choices)) if isinstance(a, argparse._SubParsersAction)
                       else _value(a.choices))
            out.append((name, type(a).__name__, tuple(a.option_strings), a.dest, a.nargs,
                        _value(a.const), _value(a.default), _value(a.type), choices, a.required,
                        getattr(a, "version", None)))
    return out


def _help(parser):
    return "\n".join(f"== {name}\n{p.format_help()}" for name, p in _parsers(parser))


def _build():
    from scratchnn.cli import build_parser

    return build_parser()


def main(patterns):
    os.environ["COLUMNS"] = "100"
    sys.path.insert(0, str(Path("src").resolve()))
    os.environ["MUTANT_UNDER_TEST"] = ""
    parser = _build()
    parsing, text = _parsing(parser), _help(parser)
    for name in _mutants(patterns or DECLARATIONS):
        os.environ["MUTANT_UNDER_TEST"] = name
        try:
            mutated = _build()
        except BaseException as exc:  # noqa: BLE001 - argparse raises all sorts
            print(f"{name}\traises\t{type(exc).__name__}: {exc}")
            continue
        if _parsing(mutated) != parsing:
            print(f"{name}\tparsing\t")
            continue
        new = _help(mutated)
        if new == text:
            print(f"{name}\tsame\t")
            continue
        changed = [line for line in difflib.unified_diff(text.split("\n"), new.split("\n"),
                                                         lineterm="", n=0)
                   if line.startswith("+") and not line.startswith("+++")]
        print(f"{name}\thelp\t{changed[0][1:].strip() if changed else ''}")
    os.environ["MUTANT_UNDER_TEST"] = ""


if __name__ == "__main__":
    main(sys.argv[1:])
