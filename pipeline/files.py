"""The file-system edge: reading input with clear errors, writing output atomically."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pipeline.errors import InputError


def read_text(path: Path) -> str:
    """The UTF-8 text of `path`, or an InputError that names the file (and line for bad bytes)."""
    return decode_text(read_bytes(path), path)


def read_bytes(path: Path) -> bytes:
    """The bytes of `path`, or an InputError that names the file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None


def decode_text(data: bytes, path: Path) -> str:
    """`data`, read from `path`, as text: an InputError naming line and column if not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError(
            f"{path}:{line}:{column}: not UTF-8 (byte 0x{data[error.start]:02x}); "
            "save the file as UTF-8"
        ) from None
    nul = text.find("\0")
    if nul >= 0:  # no text format this project reads has one; it is a damaged file
        raise InputError(f"{path}:{_line_and_column(text, nul)}: NUL byte; is this a text file?")
    return text


def read_markdown(path: Path) -> str:
    r"""`read_text` of a Markdown file, refusing a carriage return without a line feed.

    cmark-gfm (GitHub's parser) ends a line at a lone "\r", as at "\n" and "\r\n", while
    the pipeline numbers and splits lines at "\n": past such a "\r" every line number would
    be off, so metadata would land nowhere or in the wrong place. "\r\n" is fine.
    """
    text = read_text(path)
    # `in` first: most files have no "\r" at all, and the search costs ~8 ms per 15 MB.
    if "\r" in text and (lone := _LONE_CARRIAGE_RETURN.search(text)):
        raise InputError(
            f"{path}:{_line_and_column(text, lone.start())}: a carriage return without a "
            "line feed (an old Mac line ending); save the file with \\n or \\r\\n line endings"
        )
    return text


_LONE_CARRIAGE_RETURN = re.compile(r"\r(?!\n)")


def _line_and_column(text: str, at: int) -> str:
    r"""`line:column` of `text[at]`, both from 1, lines counted at "\n" (as editors show
    them, "\r\n" being one line ending)."""
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return f"{line}:{column}"


def write_all(planned: Iterable[tuple[Path, str | bytes]]) -> tuple[list[Path], list[Path]]:
    """Write each (path, data) atomically; returns (paths written, paths already holding it)."""
    written: list[Path] = []
    unchanged: list[Path] = []
    for path, data in planned:
        (written if atomic_write(path, data) else unchanged).append(path)
    return written, unchanged


def atomic_write(path: Path, data: str | bytes) -> bool:
    """Replace `path` with `data` in one step; a crash leaves the old file or the new, never half.

    Returns False, touching nothing, when the file already holds exactly these bytes
    (so unchanged outputs keep their timestamps and git sees nothing).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if _holds(path, payload):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(payload)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


# Compared a piece at a time: reading a whole output to compare it (56 MB for papers.csv of
# the 100 000-link bench) would fault in fresh memory for a copy that is dropped at once.
_PIECE = 1 << 20


def _holds(path: Path, payload: bytes) -> bool:
    """Whether the file at `path` holds exactly `payload` (False if it cannot be read)."""
    piece = memoryview(bytearray(_PIECE))
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size != len(payload):
                return False
            at = 0
            while count := file.readinto(piece):
                if not payload.startswith(piece[:count], at):  # memcmp, no copy
                    return False
                at += count
            return at == len(payload)
    except OSError:
        return False
