"""The one atomic writer (letters' PDF cache, the mail outbox and the secret key use it)."""

from __future__ import annotations

import os
import stat

import pytest

from foia.core.files import atomic_write


def test_writes_whole_file_with_private_mode_and_replaces(tmp_path) -> None:
    target = tmp_path / "deep" / "er" / "file.bin"
    atomic_write(target, b"first")
    assert target.read_bytes() == b"first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(os.listdir(target.parent)) == ["file.bin"]  # no temporary file left


def test_create_once_keeps_the_first_writer(tmp_path) -> None:
    target = tmp_path / "secret_key"
    atomic_write(target, b"winner", overwrite=False)
    with pytest.raises(FileExistsError):
        atomic_write(target, b"loser", overwrite=False)
    assert target.read_bytes() == b"winner"
    assert sorted(os.listdir(tmp_path)) == ["secret_key"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    target = tmp_path / "out.eml"
    atomic_write(target, b"old")
    with pytest.raises(TypeError):
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["out.eml"]
