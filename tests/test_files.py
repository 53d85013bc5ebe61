"""atomic_write: an output that already holds the bytes is left alone, any other is replaced."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline import files
from pipeline.files import atomic_write

# More than one piece of the comparison, and not a whole number of them.
DATA = bytes(range(256)) * (3 * files._PIECE // 256 + 7)


def test_the_same_bytes_are_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "out.bin"
    assert atomic_write(path, DATA)
    os.utime(path, (1, 1))
    assert not atomic_write(path, DATA)
    assert path.stat().st_mtime == 1  # untouched: git and make see nothing
    empty = tmp_path / "empty"
    assert atomic_write(empty, b"")
    assert not atomic_write(empty, b"")


@pytest.mark.parametrize(
    "on_disk",
    [
        DATA[:-1],  # shorter
        DATA + b"\0",  # longer
        DATA[: 2 * files._PIECE + 5] + b"\xff" + DATA[2 * files._PIECE + 6 :],  # a later piece
        b"\xff" + DATA[1:],  # the first byte
    ],
    ids=["shorter", "longer", "later-piece", "first-byte"],
)
def test_any_difference_is_written(tmp_path: Path, on_disk: bytes) -> None:
    path = tmp_path / "out.bin"
    path.write_bytes(on_disk)
    assert atomic_write(path, DATA)
    assert path.read_bytes() == DATA


def test_text_is_written_as_utf8_and_a_missing_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "new" / "README.md"
    assert atomic_write(path, "Zoë — π\n")
    assert path.read_bytes() == "Zoë — π\n".encode()
    assert not atomic_write(path, "Zoë — π\n")


def test_a_directory_in_the_way_is_an_error_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "outputs"
    path.mkdir()
    with pytest.raises(IsADirectoryError):
        atomic_write(path, b"")  # even empty: a directory does not hold b""
    assert [p.name for p in tmp_path.iterdir()] == ["outputs"]
    assert not any(path.iterdir())
