"""The ``scratchnn`` command line.

Each subcommand is one ``add_<name>`` function that declares its arguments and one
``_run_<name>`` handler that does the work and returns an exit status, in a module of this
package by what they work on (as pip's ``commands/`` and Sphinx's ``cmd/``):
:mod:`~scratchnn.cli.train`; :mod:`~scratchnn.cli.predict` (``evaluate`` and ``predict``);
:mod:`~scratchnn.cli.model` (``info``, ``export``); :mod:`~scratchnn.cli.data` (``datasets``,
``split``); :mod:`~scratchnn.cli.demos` (``demo``, ``playground``). What they share (option
types, messages, output paths, how to read a table) is in :mod:`~scratchnn.cli._common`.
Adding a command means writing that pair and listing the adder in ``_SUBCOMMANDS``.

``train`` saves one model file that holds everything ``evaluate``, ``predict``, ``info`` and
``export`` need: the network, the feature names (columns are matched by name), the
standardization (mean and standard deviation of each feature on the training rows) and the label
names (so predictions come back as the CSV's own labels), or for a regression of a continuous
target (:mod:`~scratchnn.cli.regression`) the target's standardization (so values come back in
its units). See :func:`save_model`.

Exit status: 0 on success; 2 on a usage error (unknown command or option, a missing argument,
an option value of the wrong kind or out of range), reported by argparse with the usage line; 1
when the command fails on its data or model, with a one-line ``scratchnn: error: ...`` on stderr
naming the file, column or argument at fault, and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from ..version import __version__
from ._common import PROG, load_model, printable, save_model
from .data import add_datasets, add_split
from .demos import add_demo, add_playground
from .model import add_export, add_info
from .predict import add_evaluate, add_predict
from .train import Interrupted, TableRefused, add_train

__all__ = ["main", "build_parser", "save_model", "load_model"]

# Failures a user can cause and fix (a bad path, a bad argument value, a missing
# optional dependency) are reported in one line; anything else is a bug in
# scratchnn and keeps its traceback.
_USER_ERRORS = (ValueError, TypeError, OSError, ImportError)


# --------------------------------------------------------------------------- entry point

_SUBCOMMANDS = (add_train, add_evaluate, add_predict, add_info, add_export, add_demo,
                add_datasets, add_split, add_playground)


def build_parser():
    """Return the ``scratchnn`` argument parser with every subcommand registered.

    Returns
    -------
    argparse.ArgumentParser
        Parsing sets ``handler``, a function of the parsed arguments that returns
        the exit status.
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="A from-scratch NumPy neural network: a classifier, or a regression "
        "of a continuous target."
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
        Exit status: 0 success, 1 data or model error, 130 after Ctrl-C (nothing half-done
        is saved).

    Raises
    ------
    SystemExit
        With status 2 on a usage error, and 0 after ``--help`` or ``--version``
        (argparse's behaviour).
    """
    with _terminating_signals():
        return _main(argv)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP during a command: unwinds like Ctrl-C, so that temporary files are
    removed and nothing half-written is left."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _terminating_signals():
    """Turn SIGTERM and SIGHUP into :class:`_Terminated` while a command runs (in the main
    thread only; elsewhere, or where a signal does not exist, nothing changes)."""
    import signal
    import threading

    def terminated(signum, frame):
        raise _Terminated(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            signum = getattr(signal, name, None)
            if signum is not None and signal.getsignal(signum) in (signal.SIG_DFL, None):
                previous[signum] = signal.signal(signum, terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _main(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for the command lines suggested
    try:
        return args.handler(args)
    except Interrupted as exc:
        print(f"{PROG}: {printable(exc.message())}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except _Terminated as exc:
        import signal

        name = signal.Signals(exc.signum).name
        print(f"{PROG}: stopped by {name}; nothing half-written was left", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        # The reader of stdout went away (`scratchnn predict ... | head`): stop quietly, and point
        # stdout at devnull so Python's own flush at exit does not fail on the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except _USER_ERRORS as exc:
        # One line, even when the message itself has several; a table refused for several
        # reasons keeps a line for each.
        if isinstance(exc, TableRefused):
            message = str(exc)
        else:
            message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{PROG}: error: {printable(message)}", file=sys.stderr)
        return 1
