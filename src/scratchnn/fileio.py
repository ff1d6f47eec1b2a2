"""One way to write a file: atomically, beside its destination, then renamed over it.

Every file the project writes (models, checkpoints, ONNX graphs, predictions) goes through
:func:`atomic_write`, so a crash mid-write never leaves a half-written file under the final name.
"""

import contextlib
import os
import secrets

__all__ = ["atomic_write"]


@contextlib.contextmanager
def atomic_write(path, suffix=".tmp"):
    """Open a temporary file beside ``path`` for binary writing; rename it over ``path`` on success.

    Parameters
    ----------
    path : str or os.PathLike
        The destination.
    suffix : str, default '.tmp'
        Ending of the temporary file's name (some writers choose a format from it).

    Yields
    ------
    file object
        Opened ``"wb"``. On leaving the block normally its data is flushed to disk and the file
        renamed over ``path``; on an exception the temporary file is removed and ``path`` is left
        as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    # Like mkstemp (a fresh name, O_EXCL), but with mode 0o666 so the umask decides the file's
    # permissions, as for any file open() would create (mkstemp always makes it 0o600).
    tmp = os.path.join(folder, f".tmp-{secrets.token_hex(8)}{suffix}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
