"""Bad input: one line naming the file (and line), exit status 2, nothing written."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pipeline.cache import dump_cache
from pipeline.cli import main
from pipeline.enrich import read_list, read_list_and_cache
from pipeline.errors import InputError
from pipeline.snapshot import papers_from_snapshot
from tests.conftest import SEED_README, SNAPSHOT

LONE_CR = "a carriage return without a line feed"


def run(tmp_path: Path, readme: Path, *extra: str) -> int:
    return main(
        [
            "enrich",
            "--offline",
            "--readme",
            str(readme),
            "--catalog",
            str(tmp_path / "catalog.csv"),
            "--outputs",
            str(tmp_path / "outputs"),
            "--cache",
            str(tmp_path / "cache.jsonl"),
            *extra,
        ]
    )


def written(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.rglob("*") if p.name != "README.md")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "README.md: no such file"),
        (b"# Just a title\n\nNo links here.\n", "README.md: no links found"),
        (b"# List\n\n- [a](https://a.example/)\n- caf\xe9 latin-1\n", "README.md:4:6: not UTF-8"),
        # A carriage return without a line feed: cmark-gfm ends a line there, the pipeline's
        # line numbers would not; a stray one (metadata placed nowhere after it), old Mac
        # line endings only (an IndexError, exit 3, before), one among "\r\n" line endings.
        (b"x\ry\n- [A](https://arxiv.org/abs/1706.03762)\n", f"README.md:1:2: {LONE_CR}"),
        (b"# T\r\r- [A](https://arxiv.org/abs/1706.03762)\r", f"README.md:1:4: {LONE_CR}"),
        (b"# L\r\n\r\n- [a](https://a.example/)\r\n- b\rc\r\n", f"README.md:4:4: {LONE_CR}"),
    ],
)
def test_bad_readme_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, expected: str
) -> None:
    readme = tmp_path / "README.md"
    if content is not None:
        readme.write_bytes(content)
    assert run(tmp_path, readme, "--no-readme") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert expected in err
    assert written(tmp_path) == []


def test_a_lone_carriage_return_leaves_the_readme_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    seed = SEED_README.read_bytes()
    assert seed.startswith(b"# Learning")
    stray = seed.replace(b"# ", b"#\r ", 1)
    readme.write_bytes(stray)
    assert run(tmp_path, readme) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        f"error: {readme}:1:2: {LONE_CR} (an old Mac line ending); "
        "save the file with \\n or \\r\\n line endings"
    ]
    assert readme.read_bytes() == stray
    assert written(tmp_path) == []


def _read_list_and_cache(readme: Path) -> object:
    return read_list_and_cache(readme, readme.with_name("no-cache.jsonl"))


@given(at=st.integers(min_value=0), newline=st.sampled_from(["\n", "\r\n"]))
@pytest.mark.parametrize("reader", [read_list, _read_list_and_cache])
def test_a_lone_carriage_return_is_named_where_an_editor_shows_it(
    reader: Callable[[Path], object], at: int, newline: str
) -> None:
    # Both readers of the list (enrich, serial or not, and digest), the seed list with "\n"
    # or "\r\n" line endings, one "\r" put anywhere but before a "\n" (where it would be a
    # "\r\n" line ending, which is fine).
    text = SEED_README.read_text(encoding="utf-8").replace("\n", newline)
    at %= len(text) + 1
    assume(text[at : at + 1] != "\n")
    lines_before = text[:at].split(newline)
    with tempfile.TemporaryDirectory() as folder:
        readme = Path(folder) / "README.md"
        readme.write_bytes((text[:at] + "\r" + text[at:]).encode())
        with pytest.raises(InputError) as raised:
            reader(readme)
    assert str(raised.value).startswith(
        f"{readme}:{len(lines_before)}:{len(lines_before[-1]) + 1}: {LONE_CR} "
    )


@pytest.mark.parametrize("reader", [read_list, _read_list_and_cache])
def test_line_feeds_with_or_without_carriage_returns_are_read_as_they_are(
    tmp_path: Path, reader: Callable[[Path], object]
) -> None:
    seed = SEED_README.read_text(encoding="utf-8")
    for text in (seed, seed.replace("\n", "\r\n")):
        (tmp_path / "README.md").write_bytes(text.encode())
        result = reader(tmp_path / "README.md")
        assert isinstance(result, tuple) and result[0] == text


def test_a_directory_is_not_a_readme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "list").mkdir()
    assert run(tmp_path, tmp_path / "list") == 2
    assert "is a directory" in capsys.readouterr().err


def test_corrupt_cache_line_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("- [a](https://arxiv.org/abs/1706.03762)\n", encoding="utf-8")
    (tmp_path / "cache.jsonl").write_text('{"arxiv_id": "1"}\n{not json\n', encoding="utf-8")
    assert run(tmp_path, readme) == 2
    assert "cache.jsonl:1: not a valid cache record" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        (b"caf\xe9 latin-1\n", "cache.jsonl:2:4: not UTF-8"),
        (b'{"arxiv_id": "1"}\x00\n', "cache.jsonl:2:18: NUL byte"),
        (b'{"arxiv_id": "1", "authors": [3]}\n', "cache.jsonl:2: not a valid cache record"),
    ],
)
def test_a_bad_line_after_good_ones_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad_line: bytes, expected: str
) -> None:
    # The cache is read as bytes; a good first line takes the fast path, the bad one must
    # still be named as the plain reading names it.
    readme = tmp_path / "README.md"
    readme.write_text("- [a](https://arxiv.org/abs/1706.03762)\n", encoding="utf-8")
    good = dump_cache(papers_from_snapshot(SNAPSHOT.read_text(encoding="utf-8"))[:1])
    (tmp_path / "cache.jsonl").write_bytes(good.encode() + bad_line)
    assert run(tmp_path, readme) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert expected in err


def test_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["enrich", "--batch-size", "5000"])
    assert exit_info.value.code == 2


def test_offline_no_readme_writes_the_catalog_of_the_seed(
    tmp_path: Path, seed_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(seed_text, encoding="utf-8")
    # No cache: every paper is missing metadata, so the run finishes with status 1.
    assert run(tmp_path, readme, "--no-readme") == 1
    assert readme.read_text(encoding="utf-8") == seed_text
    with (tmp_path / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 47
    assert sum(1 for r in rows if r["kind"] == "arxiv") == 32
    assert "31 arXiv papers have no metadata" in capsys.readouterr().out


def test_an_unwritable_output_is_named_without_a_traceback(
    tmp_path: Path, seed_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(seed_text, encoding="utf-8")
    (tmp_path / "outputs").write_text("a file where a folder should be", encoding="utf-8")
    assert run(tmp_path, readme, "--no-readme") == 3
    err = capsys.readouterr().err
    assert "outputs" in err and "Traceback" not in err
