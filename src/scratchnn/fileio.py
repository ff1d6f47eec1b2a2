"""One way to write a file: atomically, beside its destination, then renamed over it.

Every file the project writes (models, checkpoints, ONNX graphs, predictions) goes through
:func:`atomic_write`, so a crash mid-write never leaves a half-written file under the final name,
and every destination is treated the same way:

- a symbolic link is followed: its target is replaced, the link stays a link;
- an existing file keeps its permission bits (and its owner and group, where the process may set
  them); a new file gets ``0o666`` less the umask, as ``open`` would give it;
- a file with more than one hard link is rewritten in place once the new content is complete
  beside it, so that every name of the file sees the new content (only that last copy is not
  atomic);
- a character device (``/dev/null``, a terminal) is written directly, never replaced;
- a folder, a FIFO, a socket or a block device is refused with a ``ValueError``;
- an ``OSError`` names the destination, never the temporary file.
"""

import contextlib
import os
import secrets
import shutil
import stat
import tempfile

__all__ = ["atomic_write"]

_REFUSED_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFBLK: "a block device",
}


def _naming(exc, destination, temporary=None):
    """``exc`` with ``destination`` as its file name, if it is an ``OSError`` about our file."""
    if (isinstance(exc, OSError) and exc.errno is not None
            and exc.filename in (None, temporary) and exc.filename2 is None):
        renamed = type(exc)(exc.errno, exc.strerror, destination)
        renamed.__traceback__ = exc.__traceback__
        return renamed
    return exc


@contextlib.contextmanager
def atomic_write(path, suffix=".tmp"):
    """Open a temporary file beside ``path`` for binary writing; rename it over ``path`` on success.

    Parameters
    ----------
    path : str, bytes or os.PathLike
        The destination. A symbolic link is followed; see the module's docstring for links,
        modes and files that are not regular files.
    suffix : str, default '.tmp'
        Ending of the temporary file's name (some writers choose a format from it).

    Yields
    ------
    file object
        Opened ``"wb"``. On leaving the block normally its data is flushed to disk and the file
        renamed over ``path``; on an exception the temporary file is removed and ``path`` is left
        as it was.

    Raises
    ------
    ValueError
        If ``path`` ends with a path separator, or is a folder, FIFO, socket or block device.
    OSError
        If the file cannot be written; its ``filename`` is ``path``.
    """
    name = os.fsdecode(os.fspath(path))
    if name.endswith(os.sep) or (os.altsep and name.endswith(os.altsep)):
        raise ValueError(f"cannot write to {name}: the name ends with a path separator, so it "
                         f"names a folder, not a file")
    target = os.path.realpath(name)  # a symbolic link's target is what gets replaced
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:  # a loop of symbolic links, a file used as a folder, ...
        raise _naming(exc, name) from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISCHR(info.st_mode):
            with _direct(target, name) as f:
                yield f
            return
        kind = _REFUSED_KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
        raise ValueError(f"cannot write to {name}: it is {kind}, not a regular file")
    folder = os.path.dirname(target)
    # Like mkstemp (a fresh name, O_EXCL), but with mode 0o666 so the umask decides the file's
    # permissions, as for any file open() would create (mkstemp always makes it 0o600).
    tmp = os.path.join(folder, f".tmp-{secrets.token_hex(8)}{suffix}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise _naming(exc, name, tmp) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if info is not None:  # an existing file keeps its mode and, where allowed, owner
                os.fchmod(f.fileno(), stat.S_IMODE(info.st_mode))
                with contextlib.suppress(OSError):
                    os.fchown(f.fileno(), info.st_uid, info.st_gid)
            yield f
            f.flush()
            os.fsync(f.fileno())
        if info is not None and info.st_nlink > 1:
            _copy_in_place(tmp, target)
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        renamed = _naming(exc, name, tmp)
        if renamed is exc:
            raise
        raise renamed from None


def _copy_in_place(source, target):
    """Overwrite ``target``'s content with ``source``'s, keeping ``target``'s inode (its links)."""
    with open(source, "rb") as src, open(target, "r+b") as dst:
        shutil.copyfileobj(src, dst)
        dst.truncate()
        dst.flush()
        os.fsync(dst.fileno())


@contextlib.contextmanager
def _direct(target, name):
    """Write into a character device: it is a device, not a file to replace.

    The writer gets an ordinary temporary file (a device's position cannot be trusted: ``tell``
    on ``/dev/null`` is always 0, which corrupts a zip archive's offsets); its content is copied
    into the device once complete.
    """
    with tempfile.TemporaryFile() as buffer:
        yield buffer
        buffer.flush()
        buffer.seek(0)
        try:
            with open(target, "wb", buffering=0) as device:
                shutil.copyfileobj(buffer, device)
        except OSError as exc:
            raise _naming(exc, name, target) from None
