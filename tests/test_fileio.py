"""Where a save lands: links followed, modes and hard links kept, special files never replaced.

Every file the project writes goes through ``scratchnn.fileio.atomic_write``; these tests use it
through ``ClassifierNN.save`` (and directly, for the failure paths), and never touch a system
file: the device node is made in a temporary folder, and only when running as root.
"""

import errno
import os
import stat
import traceback

import numpy as np
import pytest

from scratchnn import ClassifierNN
from scratchnn.fileio import atomic_write


def model(seed=0):
    return ClassifierNN([2, 3, 1], ["relu", "sigmoid"], seed=seed)


def same_model(path, nn):
    return np.array_equal(ClassifierNN.load(path).theta, nn.theta)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


# ---------------------------------------------------------------------------------- links
def test_a_symlink_is_followed_and_its_target_replaced(tmp_path):
    target = tmp_path / "real.npz"
    model(0).save(target)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    new = model(1)
    new.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert same_model(target, new)  # the target holds the new model, not the old one
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "sub-target.npz")
    nn = model(2)
    nn.save(link)
    assert link.is_symlink() and same_model(tmp_path / "sub-target.npz", nn)


def test_a_symlink_into_another_folder_writes_there(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    target = tmp_path / "b" / "model.npz"
    target.write_bytes(b"old")
    link = tmp_path / "a" / "model.npz"
    link.symlink_to(target)
    nn = model(3)
    nn.save(link)
    assert same_model(target, nn) and link.is_symlink()
    assert os.listdir(tmp_path / "a") == ["model.npz"]  # no temporary file left in either
    assert os.listdir(tmp_path / "b") == ["model.npz"]


def test_hard_links_are_kept_on_resave(tmp_path):
    first = tmp_path / "model.npz"
    model(0).save(first)
    second = tmp_path / "same-file.npz"
    os.link(first, second)
    nn = model(4)
    nn.save(first)
    assert os.path.samefile(first, second)  # still one file with two names
    assert same_model(second, nn)
    assert sorted(os.listdir(tmp_path)) == ["model.npz", "same-file.npz"]


# ---------------------------------------------------------------------------------- modes
def test_an_existing_files_mode_is_kept(tmp_path, umask_022):
    path = tmp_path / "model.npz"
    model(0).save(path)
    os.chmod(path, 0o600)
    model(1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o640)
    model(2).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_new_file_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        model(0).save(tmp_path / "model.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "model.npz").stat().st_mode) == 0o640


# ---------------------------------------------------------------------------------- special files
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="making a device node needs root")
def test_a_character_device_is_written_into_not_replaced(tmp_path):
    # Our own copy of /dev/null (major 1, minor 3), in a temporary folder: never the real one.
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    before = node.stat()
    model(0).save(node)
    after = node.stat()
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino
    assert os.listdir(tmp_path) == ["null"]


def test_a_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=f"cannot write to {fifo}: it is a FIFO"):
        model(0).save(fifo)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert os.listdir(tmp_path) == ["pipe.npz"]


def test_a_folder_is_refused_naming_it(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    with pytest.raises(ValueError, match=f"cannot write to {folder}: it is a folder"):
        model(0).save(folder)
    assert os.listdir(folder) == [] and os.listdir(tmp_path) == ["models"]


def test_a_name_ending_with_a_separator_is_refused(tmp_path):
    with pytest.raises(ValueError, match="ends with a path separator"):
        model(0).save(str(tmp_path / "newdir") + os.sep)
    assert os.listdir(tmp_path) == []


def test_a_symlink_to_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "link.npz"
    link.symlink_to(fifo)
    with pytest.raises(ValueError, match="FIFO"):
        model(0).save(link)
    assert link.is_symlink() and stat.S_ISFIFO(fifo.stat().st_mode)


# ---------------------------------------------------------------------------------- errors name the destination
def test_a_missing_folder_is_reported_with_the_destination(tmp_path):
    path = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        model(0).save(path)
    assert info.value.filename == str(path)
    assert ".tmp-" not in str(info.value)


def test_a_write_error_names_the_destination_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"previous")
    with pytest.raises(OSError) as info:
        with atomic_write(path) as f:
            f.write(b"half")
            raise OSError(errno.EFBIG, "File too large")  # what a write under ulimit -f raises
    assert info.value.errno == errno.EFBIG and info.value.filename == str(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == b"previous" and os.listdir(tmp_path) == ["out.bin"]


def test_other_errors_pass_through_unchanged(tmp_path):
    error = KeyError("not about the file")
    with pytest.raises(KeyError) as info:
        with atomic_write(tmp_path / "out.bin"):
            raise error
    assert info.value is error and os.listdir(tmp_path) == []


def test_a_symlink_loop_is_reported_with_the_destination(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OSError) as info:
        model(0).save(loop)
    assert info.value.filename == str(loop)
    assert loop.is_symlink()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="making a device node needs root")
def test_a_full_device_reports_the_destination(tmp_path):
    # Our own copy of /dev/full (major 1, minor 7): every write fails with ENOSPC.
    node = tmp_path / "full"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    with pytest.raises(OSError) as info:
        model(0).save(node)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(node)
    assert stat.S_ISCHR(node.stat().st_mode) and os.listdir(tmp_path) == ["full"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving a file to another owner needs root")
def test_root_resaving_a_users_file_keeps_its_owner(tmp_path):
    path = tmp_path / "model.npz"
    model(0).save(path)
    os.chown(path, 12345, 23456)
    model(1).save(path)
    assert (path.stat().st_uid, path.stat().st_gid) == (12345, 23456)


def _write_that_fails(f):
    f.write(b"half")
    raise OSError(errno.EFBIG, "File too large")


def test_a_renamed_error_keeps_its_message_and_where_it_happened(tmp_path):
    path = tmp_path / "missing" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        with atomic_write(path):
            pass
    assert info.value.strerror == os.strerror(errno.ENOENT)
    assert str(info.value) == f"[Errno {errno.ENOENT}] {os.strerror(errno.ENOENT)}: '{path}'"
    # An error raised by the writer is renamed, but its traceback still shows the writer's line.
    with pytest.raises(OSError) as info:
        with atomic_write(tmp_path / "out.bin") as f:
            _write_that_fails(f)
    assert info.value.filename == str(tmp_path / "out.bin")
    assert "_write_that_fails" in [frame.name for frame in traceback.extract_tb(info.tb)]
