"""The metadata cache: deterministic, human-readable, and stable when nothing changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.cache import (
    _load_as_written,
    _load_plainly,
    _Record,
    dump_cache,
    load_cache,
    merge_fetched,
    paper_to_record,
)
from pipeline.errors import CacheError
from pipeline.models import Author, Paper
from pipeline.snapshot import papers_from_snapshot
from tests.conftest import REPO, SNAPSHOT


def snapshot_papers() -> list[Paper]:
    return papers_from_snapshot(SNAPSHOT.read_text(encoding="utf-8"))


def test_snapshot_gives_31_records_marked_as_such() -> None:
    papers = snapshot_papers()
    assert len(papers) == 31
    assert {p.source for p in papers} == {"snapshot"}
    attention = next(p for p in papers if p.arxiv_id == "1706.03762")
    assert attention.title == "Attention Is All You Need"
    assert attention.published == datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC)
    assert attention.authors[0] == Author("Ashish Vaswani")
    # Unknown fields stay empty and are named as unverified.
    rlhf = next(p for p in papers if p.arxiv_id == "2305.18438")
    assert rlhf.primary_category is None and "primary_category" in rlhf.unverified


def test_dump_is_sorted_one_line_per_paper_and_round_trips() -> None:
    papers = snapshot_papers()
    text = dump_cache(reversed(papers))
    lines = text.splitlines()
    assert len(lines) == 31
    ids = [json.loads(line)["arxiv_id"] for line in lines]
    assert ids == sorted(ids)
    assert dump_cache(load_cache(text).values()) == text
    assert "Wübben" not in text  # sanity: ensure_ascii off is tested below
    assert (
        dump_cache([msgspec.structs.replace(papers[0], authors=(Author("Dirk Wübben"),))]).count(
            "Wübben"
        )
        == 1
    )


def test_committed_cache_holds_the_snapshot_for_every_seed_paper() -> None:
    cached = load_cache((REPO / "data" / "arxiv-cache.jsonl").read_text(encoding="utf-8"))
    assert set(cached) == {p.arxiv_id for p in snapshot_papers()}


def test_merge_keeps_unchanged_records_byte_for_byte() -> None:
    old = {p.arxiv_id: msgspec.structs.replace(p, source="arxiv-api") for p in snapshot_papers()}
    before = dump_cache(old.values())
    later = datetime(2030, 1, 1, tzinfo=UTC)
    refetched = [msgspec.structs.replace(p, fetched_at=later) for p in old.values()]
    merged = merge_fetched(old, refetched)
    assert dump_cache(merged.papers.values()) == before
    assert (len(merged.unchanged), merged.updated, merged.new) == (31, [], [])


def test_merge_reports_new_and_updated_papers() -> None:
    old = {p.arxiv_id: msgspec.structs.replace(p, source="arxiv-api") for p in snapshot_papers()}
    paper = old["1706.03762"]
    newer = msgspec.structs.replace(
        paper, latest_version=8, fetched_at=datetime(2030, 1, 1, tzinfo=UTC)
    )
    brand_new = msgspec.structs.replace(paper, arxiv_id="2601.00001")
    merged = merge_fetched(old, [newer, brand_new])
    assert merged.updated == ["1706.03762"]
    assert merged.new == ["2601.00001"]
    assert merged.papers["1706.03762"].latest_version == 8


def test_a_live_record_replaces_a_snapshot_record() -> None:
    snap = {p.arxiv_id: p for p in snapshot_papers()}
    live = msgspec.structs.replace(snap["1706.03762"], source="arxiv-api")
    merged = merge_fetched(snap, [live])
    assert merged.updated == ["1706.03762"]
    assert merged.papers["1706.03762"].source == "arxiv-api"


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_time = st.datetimes(
    min_value=datetime(1991, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
papers_strategy = st.builds(
    Paper,
    arxiv_id=st.from_regex(r"\A[0-9]{4}\.[0-9]{5}\Z"),
    latest_version=st.none() | st.integers(1, 99),
    title=_text,
    authors=st.lists(
        st.builds(Author, name=_text, affiliations=st.lists(_text, max_size=2).map(tuple)),
        max_size=4,
    ).map(tuple),
    abstract=st.none() | _text,
    published=st.none() | _time,
    updated=st.none() | _time,
    primary_category=st.none() | _text,
    categories=st.lists(_text, max_size=3).map(tuple),
    comment=st.none() | _text,
    journal_ref=st.none() | _text,
    doi=st.none() | _text,
    abs_url=_text.filter(bool),
    pdf_url=_text.filter(bool),
    source=st.sampled_from(["arxiv-api", "snapshot"]),
    fetched_at=st.none() | _time,
    unverified=st.lists(_text, max_size=2).map(tuple),
)


@given(st.lists(papers_strategy, max_size=5, unique_by=lambda p: p.arxiv_id))
def test_any_papers_round_trip_through_the_cache_file(papers: list[Paper]) -> None:
    text = dump_cache(papers)
    assert load_cache(text) == {p.arxiv_id: p for p in papers}
    assert _load_as_written(text) == {p.arxiv_id: p for p in papers}  # the fast path
    assert dump_cache(reversed(papers)) == text
    assert text.count("\n") == len(papers)


def test_a_timestamp_that_is_no_string_is_a_bad_line() -> None:
    record = paper_to_record(snapshot_papers()[0]) | {"published": 3}
    text = dump_cache(snapshot_papers()[1:2]) + json.dumps(record) + "\n"
    with pytest.raises(CacheError, match=r"cache.jsonl:2: not a valid cache record"):
        load_cache(text, Path("cache.jsonl"))


def test_a_snapshot_timestamp_that_is_no_string_is_a_bad_line() -> None:
    first, second = SNAPSHOT.read_text(encoding="utf-8").splitlines()[:2]
    text = first + "\n" + json.dumps(json.loads(second) | {"published": 3}) + "\n"
    with pytest.raises(CacheError, match=r"papers.jsonl:2: not a valid snapshot record"):
        papers_from_snapshot(text)


# Lines as dump_cache writes them take msgspec's fast path; every other line must be read
# exactly as the plain path (json + record_to_paper) reads it, error message included.
_TIMESTAMPS = [
    "2017-06-12T17:57:34Z",
    "2017-06-12T17:57:34+00:00",
    "2017-06-12T17:57:34-00:00",
    "2017-06-12 17:57:34Z",
    "2017-06-12t17:57:34Z",
    "2017-06-12T17:57:34z",  # RFC 3339 allows it; fromisoformat does not
    "2017-06-12T17:57:34",  # naive: UTC on the plain path
    "2017-06-12T19:57:34+02:00",  # converted to UTC on the plain path
    "2017-06-12T17:57:34.5Z",
    "2017-06-12T17:57:34.0Z",
    "2017-06-12T17:57:34.1234567Z",
    "2017-06-12",  # a bare date
    "2017-06-12T23:59:60Z",
    "yesterday",
    "",
]
_ODD_VALUES: st.SearchStrategy[object] = st.sampled_from(
    [None, "", "3", 3, 3.0, True, [], ["x"], {}, "other", "snapshot", *_TIMESTAMPS]
)
_ODD_AUTHORS = st.lists(
    st.sampled_from(
        [
            "A. Name",
            {"name": "A. Name"},
            {"name": "A. Name", "affiliations": []},
            {"name": "A. Name", "affiliations": ["Lab"]},
            {"name": 5, "affiliations": ["Lab"]},
            {"affiliations": ["Lab"]},
            7,
            None,
        ]
    ),
    max_size=3,
)


@st.composite
def _cache_line(draw: st.DrawFn) -> str:
    """A line of a cache file: mostly as written, often changed a little, sometimes broken."""
    paper = draw(papers_strategy)
    record = paper_to_record(paper)
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(sorted(record)))
        change = draw(st.sampled_from(["drop", "odd", "timestamp", "authors"]))
        if change == "drop":
            record.pop(key, None)
        elif change == "odd":
            record[key] = draw(_ODD_VALUES)
        elif change == "timestamp":
            record[draw(st.sampled_from(["published", "updated", "fetched_at"]))] = draw(
                st.sampled_from(_TIMESTAMPS)
            )
        else:
            record["authors"] = draw(_ODD_AUTHORS)
    line = json.dumps(record, ensure_ascii=False, separators=(", ", ": "))
    layout = draw(st.sampled_from(["line"] * 12 + ["split", "twice", "blank", "space", "nbsp"]))
    if layout == "split":  # one record over several lines
        return json.dumps(record, ensure_ascii=False, indent=1)
    if layout == "twice":  # two records on one line
        return f"{line} {line}"
    return {"blank": "", "space": "  \t", "nbsp": "\u00a0"}.get(layout, line)


def _load(load: Callable[[], dict[str, Paper]]) -> dict[str, Paper] | str:
    try:
        return load()
    except CacheError as error:
        return str(error)


@given(st.lists(_cache_line(), max_size=6), st.sampled_from(["\n", "\r\n"]))
def test_the_fast_path_reads_every_file_as_the_plain_path(lines: list[str], end: str) -> None:
    text = "".join(line + end for line in lines)
    path = Path("cache.jsonl")
    plain = _load(lambda: _load_plainly(text, path))
    assert _load(lambda: load_cache(text.encode(), path)) == plain
    assert _load(lambda: load_cache(text, path)) == plain


def test_a_record_has_the_fields_of_a_paper_in_its_order() -> None:
    # The fast path builds each Paper from its record's fields by position.
    assert _Record.__struct_fields__ == Paper.__struct_fields__
