"""scratchnn.archive.NpzArchive on hand-made and hand-damaged zip files.

The model-file tests (test_io.py) reach the archive through ``ClassifierNN.load``; these open
archives directly, each damaged in one field of its zip layout, and check which refusal it gets.
Offsets in a zip file (APPNOTE.TXT): a local header is ``PK\\x03\\x04`` followed by 26 bytes, the
name's length at +26 and the extra field's at +28; a central-directory entry is ``PK\\x01\\x02``
with the flags at +8, the compressed size at +20 and the local header's offset at +42.
"""

import io
import re
import struct
import warnings
import zipfile

import numpy as np
import pytest

from scratchnn.archive import NpzArchive

LOCAL_HEADER_SIZE = 30


def npy(array, **kwargs):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, **kwargs)
    return buffer.getvalue()


def zip_bytes(members, compression=zipfile.ZIP_STORED):
    """A zip file holding ``members``, a list of (name, bytes); names may repeat."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name"
        with zipfile.ZipFile(buffer, "w", compression) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return buffer.getvalue()


def patch(data, offset, fmt, value):
    data = bytearray(data)
    struct.pack_into(fmt, data, offset, value)
    return bytes(data)


def central(data, k=0):
    """Offset of the ``k``-th central-directory entry."""
    return [m.start() for m in re.finditer(re.escape(b"PK\x01\x02"), data)][k]


def refusal(tmp_path, data):
    path = tmp_path / "damaged.npz"
    path.write_bytes(data)
    with pytest.raises(ValueError) as info:
        NpzArchive(path).close()
    return str(info.value)


def opened(tmp_path, data):
    path = tmp_path / "archive.npz"
    path.write_bytes(data)
    return NpzArchive(path)


A = npy(np.arange(3.0))


# ---------------------------------------------------------------------------------- a good archive
def test_a_plain_archive_reads_back_c_and_fortran_arrays(tmp_path):
    c_order = np.arange(6.0).reshape(2, 3)
    fortran = np.asfortranarray(np.arange(12, dtype=np.int32).reshape(3, 4))
    assert np.isfortran(fortran) and b"'fortran_order': True" in npy(fortran)
    data = zip_bytes([("c.npy", npy(c_order)), ("f.npy", npy(fortran))])
    with opened(tmp_path, data) as archive:
        assert archive.names == ["c", "f"]
        assert archive.size("c") == len(npy(c_order))
        np.testing.assert_array_equal(archive.read_array("c"), c_order)
        np.testing.assert_array_equal(archive.read_array("f"), fortran)
        assert archive.read_array("f").dtype == np.int32


# ---------------------------------------------------------------------------------- directory checks
def test_duplicate_members_are_named(tmp_path):
    data = zip_bytes([("a.npy", A), ("b.npy", A), ("a.npy", A)])
    assert refusal(tmp_path, data) == "it holds duplicate members ['a.npy']"


def test_compressed_members_are_refused(tmp_path):
    data = zip_bytes([("a.npy", A)], zipfile.ZIP_DEFLATED)
    assert refusal(tmp_path, data) == "it has compressed members, which scratchnn never writes"


def test_encrypted_members_are_refused(tmp_path):
    data = zip_bytes([("a.npy", A)])
    data = patch(data, central(data) + 8, "<H", 0x1)  # general-purpose flag bit 0: encrypted
    assert refusal(tmp_path, data) == "it has encrypted members"


@pytest.mark.parametrize("name", ["a.txt", "dir/a.npy", "dir\\a.npy"])
def test_names_that_are_not_plain_npy_members_are_refused(tmp_path, name):
    data = zip_bytes([("ok.npy", A), (name, A)])
    assert refusal(tmp_path, data) == f"{[name]} are not .npy members"


def test_declared_sizes_larger_than_the_file_are_refused(tmp_path):
    data = zip_bytes([("a.npy", A)])
    data = patch(data, central(data) + 20, "<L", 10**6)
    assert refusal(tmp_path, data) == (
        f"its members declare 1000000 bytes, more than the file's {len(data)}")


def test_a_member_declaring_the_whole_file_runs_past_its_end(tmp_path):
    # Declared sizes that add up to exactly the file's size are not more than the file; the
    # member, behind its local header, still runs past the end.
    data = zip_bytes([("a.npy", A)])
    data = patch(data, central(data) + 20, "<L", len(data))
    assert refusal(tmp_path, data) == "member 'a.npy' runs past the end of the file"


# ---------------------------------------------------------------------------------- layout checks
def test_a_member_starting_at_the_end_of_the_file_lies_outside_it(tmp_path):
    data = zip_bytes([("a.npy", A)])
    data = patch(data, central(data) + 42, "<L", len(data))
    assert refusal(tmp_path, data) == (
        "member 'a.npy' overlaps another member or lies outside the file")


def test_overlapping_members_are_refused(tmp_path):
    data = zip_bytes([("a.npy", A), ("b.npy", A)])
    data = patch(data, central(data, 1) + 42, "<L", 10)  # b's header inside a's bytes
    assert refusal(tmp_path, data) == (
        "member 'b.npy' overlaps another member or lies outside the file")


def test_a_member_without_its_local_header_signature_is_refused(tmp_path):
    data = zip_bytes([("a.npy", A)])
    assert data[:4] == b"PK\x03\x04"
    data = b"XX" + data[2:]
    assert refusal(tmp_path, data) == "member 'a.npy' has no local header"


def _member_end(data):
    """Where the only member's data ends, by the local header's own fields."""
    name_length, extra_length = struct.unpack_from("<2H", data, 26)
    return LOCAL_HEADER_SIZE + name_length + extra_length + len(A)


@pytest.mark.parametrize("field", [26, 28])  # the local name's length, the extra field's length
def test_a_local_header_pushing_the_data_past_the_end_is_refused(tmp_path, field):
    data = zip_bytes([("a.npy", A)])
    (length,) = struct.unpack_from("<H", data, field)
    past = len(data) - _member_end(data) + 10  # the data now ends 10 bytes after the file
    data = patch(data, field, "<H", length + past)
    assert refusal(tmp_path, data) == "member 'a.npy' runs past the end of the file"


def test_a_member_may_end_at_the_last_byte_of_the_file(tmp_path):
    data = zip_bytes([("a.npy", A)])
    (extra,) = struct.unpack_from("<H", data, 28)
    data = patch(data, 28, "<H", extra + len(data) - _member_end(data))
    assert _member_end(data) == len(data)
    with opened(tmp_path, data) as archive:
        assert archive.names == ["a"]


# ---------------------------------------------------------------------------------- member checks
def test_a_pickled_member_is_refused_unread(tmp_path):
    data = zip_bytes([("obj.npy", npy(np.array([{"a": 1}], dtype=object), allow_pickle=True))])
    with opened(tmp_path, data) as archive, pytest.raises(ValueError) as info:
        archive.read_array("obj")
    assert str(info.value) == (
        "member 'obj' is not a valid .npy array (it holds Python objects (pickled data))")


def test_a_member_shorter_than_its_npy_header_says_is_refused(tmp_path):
    data = zip_bytes([("a.npy", A[:-8])])  # the header describes 3 float64, 24 bytes; 16 remain
    with opened(tmp_path, data) as archive, pytest.raises(ValueError) as info:
        archive.read_array("a")
    assert str(info.value) == ("member 'a' is not a valid .npy array (its header describes 24 "
                               "bytes of data, the member holds 16)")
