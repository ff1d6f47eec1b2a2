"""Run the ``scratchnn`` command line in-process, for the command-line tests."""

import contextlib
import io

from scratchnn.cli import main


def run(argv):
    """Run the command line on ``argv`` (anything ``str`` turns into an argument); return
    ``(status, stdout, stderr)``. argparse's usage errors give their exit status (2), not an
    exception."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exc:
            status = exc.code
    return status, stdout.getvalue(), stderr.getvalue()
