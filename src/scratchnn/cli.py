"""The ``scratchnn`` command line.

Each subcommand is one ``_add_<name>`` function that declares its arguments and one
``_run_<name>`` handler that does the work and returns an exit status; adding a
command (train, evaluate, predict, info, export, ...) means writing that pair and
listing the adder in ``_SUBCOMMANDS``.

Exit status: 0 on success, 1 when the command fails on its data or model (a one-line
``scratchnn: error: ...`` on stderr, no traceback), 2 on a usage error (argparse).
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .demo import run_moons_demo

__all__ = ["main", "build_parser"]

PROG = "scratchnn"

# Failures a user can cause and fix (a bad path, a bad argument value, a missing
# optional dependency) are reported in one line; anything else is a bug in
# scratchnn and keeps its traceback.
_USER_ERRORS = (ValueError, TypeError, OSError, ImportError)


# --------------------------------------------------------------------------- demo

_DEMOS = {"moons": run_moons_demo}


def _add_demo(subparsers):
    parser = subparsers.add_parser(
        "demo",
        help="train a small network on a generated dataset and save plots",
        description="Train the seed README's demo network and save its cost curve and "
        "decision boundary as PNG files.",
    )
    parser.add_argument(
        "name", nargs="?", default="moons", choices=sorted(_DEMOS),
        help="which demo (default: moons)",
    )
    parser.add_argument(
        "--out-dir", default="demo-output", help="folder for the PNG files (default: demo-output)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed for the data and the network (default: 0)"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not report the cost while training"
    )
    parser.set_defaults(handler=_run_demo)


def _run_demo(args):
    _DEMOS[args.name](out_dir=args.out_dir, seed=args.seed, print_cost=not args.quiet)
    return 0


# --------------------------------------------------------------------------- entry point

_SUBCOMMANDS = (_add_demo,)


def build_parser():
    """Return the ``scratchnn`` argument parser with every subcommand registered.

    Returns
    -------
    argparse.ArgumentParser
        Parsing sets ``handler``, a function of the parsed arguments that returns
        the exit status.
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="A from-scratch NumPy neural-network classifier."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None):
    """Run the ``scratchnn`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        Exit status: 0 success, 1 data or model error.

    Raises
    ------
    SystemExit
        With status 2 on a usage error, and 0 after ``--help`` or ``--version``
        (argparse's behaviour).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except _USER_ERRORS as exc:
        # One line, even when the message itself has several.
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1
