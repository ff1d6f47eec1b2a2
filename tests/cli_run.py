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


def refusal(argv):
    """Run ``train`` on a table it refuses; return its stderr: a first line counting the
    problems, a line per problem (and per warning), then the command line to run instead."""
    status, _, err = run(argv)
    assert status == 1, err
    assert "Traceback" not in err
    lines = err.rstrip("\n").split("\n")
    assert lines[0].startswith("scratchnn: error: ") and lines[0].endswith(
        "problem(s) to fix before training:"), err
    assert all(line.startswith(("  - ", "run instead:", "  scratchnn ")) for line in lines[1:]), err
    return err


def suggested_command(err):
    """The arguments of the command line a refusal suggests, without the program name."""
    import shlex

    lines = err.rstrip("\n").split("\n")
    assert lines[-2] == "run instead:", err
    return shlex.split(lines[-1])[1:]


def one_line_error(argv, status=1):
    """Run a command that fails; check it says so in one ``scratchnn: error:`` line, no
    traceback, and return that line."""
    code, _, err = run(argv)
    assert code == status, err
    assert err.startswith("scratchnn: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def write(path, text, newline="\n"):
    """Write ``text`` as UTF-8 bytes, its line ends as ``newline``; return ``path``."""
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def table(header, rows, sep=","):
    """The text of a table: the header and the rows, cells joined by ``sep``."""
    return "\n".join(sep.join(str(c) for c in row) for row in [header, *rows]) + "\n"
