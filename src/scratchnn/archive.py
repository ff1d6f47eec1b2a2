"""Read ``.npz`` archives without trusting their layout: every member is checked before it is read.

A zip archive describes its members twice: in the central directory at its end (names, sizes,
offsets) and in a local header in front of each member's data. Nothing forces the two to agree,
nor the members to be disjoint: a 2 MB file can declare a thousand members that all point into
the same 2 MB, which a reader that trusts the layout decompresses into 2 GB. :class:`NpzArchive`
opens an archive by reading only its directory and the members' local headers, and refuses, before
any member's data is read:

- members that are compressed or encrypted (scratchnn never writes either),
- a name that appears twice, or a name that is not ``{name}.npy``,
- declared sizes whose sum is larger than the file,
- members whose bytes (local header and data) overlap another member's or run past the file's end.

What a member should hold (its size for a given dtype and shape) is the caller's knowledge:
:meth:`NpzArchive.size` gives the declared size so the caller can compare it with what it expects
before calling :meth:`NpzArchive.read_array`, which then reads one ``.npy`` member without pickle
and checks that its own header describes exactly the member's bytes.
"""

import collections
import math
import os
import struct
import zipfile

import numpy as np

__all__ = ["NotAnArchiveError", "NpzArchive", "MAX_NPY_HEADER_BYTES"]

MAX_NPY_HEADER_BYTES = 10_000 + 12
"""The most bytes an ``.npy`` header may take in front of its data: NumPy's own limit on the
header dictionary (10,000 bytes), plus the magic string, version and length fields."""

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x1


class NotAnArchiveError(ValueError):
    """The file is not a zip archive at all (as opposed to a damaged or hostile one)."""


class NpzArchive:
    """An ``.npz`` file whose layout has been checked; use as a context manager.

    Parameters
    ----------
    path : str or bytes
        A regular file.

    Raises
    ------
    NotAnArchiveError
        If the file is not a zip archive.
    ValueError
        If the layout is one a reader must not trust (see the module's docstring); the message
        says why, without the file's name (the caller adds it).
    OSError
        If the file cannot be read.
    """

    def __init__(self, path):
        self._file = open(path, "rb")
        try:
            self._members = self._check_layout()
        except BaseException:
            self._file.close()
            raise

    def _check_layout(self):
        file_size = os.fstat(self._file.fileno()).st_size
        try:
            self._zip = zipfile.ZipFile(self._file)
        except OSError:
            raise
        except Exception as exc:  # whatever a damaged directory makes zipfile raise
            raise NotAnArchiveError(f"it is not a zip (.npz) archive ({exc})") from None
        infos = self._zip.infolist()
        names = [info.filename for info in infos]
        duplicates = sorted(name for name, count in collections.Counter(names).items()
                            if count > 1)
        if duplicates:
            raise ValueError(f"it holds duplicate members {duplicates}")
        if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
            raise ValueError("it has compressed members, which scratchnn never writes")
        if any(info.flag_bits & _ENCRYPTED for info in infos):
            raise ValueError("it has encrypted members")
        bad_names = sorted(name for name in names
                           if not name.endswith(".npy") or "/" in name or "\\" in name)
        if bad_names:
            raise ValueError(f"{bad_names} are not .npy members")
        declared = sum(info.compress_size for info in infos)
        if declared > file_size:
            raise ValueError(f"its members declare {declared} bytes, more than the file's "
                             f"{file_size}")
        members = {}
        end_of_previous = 0
        for info in sorted(infos, key=lambda info: info.header_offset):
            start = info.header_offset
            if not end_of_previous <= start < file_size:
                raise ValueError(f"member {info.filename!r} overlaps another member or lies "
                                 f"outside the file")
            self._file.seek(start)
            local = self._file.read(_LOCAL_HEADER.size)
            if len(local) != _LOCAL_HEADER.size or local[:4] != _LOCAL_SIGNATURE:
                raise ValueError(f"member {info.filename!r} has no local header")
            name_length, extra_length = _LOCAL_HEADER.unpack(local)[-2:]
            data_start = start + _LOCAL_HEADER.size + name_length + extra_length
            data_end = data_start + info.compress_size
            if data_end > file_size:
                raise ValueError(f"member {info.filename!r} runs past the end of the file")
            end_of_previous = data_end
            members[info.filename[:-len(".npy")]] = info
        return members

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self._zip.close()
        self._file.close()

    @property
    def names(self):
        """The members' array names (``'theta'`` for ``theta.npy``), in the archive's order."""
        return list(self._members)

    def size(self, name):
        """The size the archive declares for member ``name``, in bytes (``.npy`` header included)."""
        return self._members[name].compress_size

    def read_array(self, name):
        """Read member ``name`` as an array; never unpickles.

        Raises
        ------
        ValueError
            If the member is not an ``.npy`` array of a non-object dtype whose header and data
            fill exactly the member's declared size, or if its CRC does not match.
        """
        info = self._members[name]
        try:
            with self._zip.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
                else:
                    raise ValueError(f"npy format version {version} is not supported")
                if dtype.hasobject:
                    raise ValueError("it holds Python objects (pickled data)")
                nbytes = math.prod(shape) * dtype.itemsize
                if member.tell() + nbytes != info.compress_size:
                    raise ValueError(f"its header describes {nbytes} bytes of data, the member "
                                     f"holds {info.compress_size - member.tell()}")
                data = member.read(nbytes)
                member.read()  # the end of the member: its CRC is checked now
            array = np.frombuffer(data, dtype=dtype).copy()
            return array.reshape(shape, order="F" if fortran else "C")
        except (ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise ValueError(f"member {name!r} is not a valid .npy array ({exc})") from None
