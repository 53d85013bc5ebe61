"""The metadata cache: one JSON record per arXiv ID, one line each, sorted by ID.

JSON Lines keeps the committed file human-readable and its git diffs one line per
changed paper; fixed key order and sorting make the same papers give the same bytes.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from pipeline.atom import abs_url, parse_timestamp, pdf_url
from pipeline.bulk import gc_paused
from pipeline.errors import CacheError
from pipeline.files import decode_text
from pipeline.models import Author, Paper

DEFAULT_CACHE_PATH = Path("data/arxiv-cache.jsonl")


def format_timestamp(value: datetime | None) -> str | None:
    """UTC timestamps as `2017-06-12T17:57:34Z` (the API's own form)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def paper_to_record(paper: Paper) -> dict[str, Any]:
    """The JSON-ready record of a paper, keys in a fixed order."""
    return {
        "arxiv_id": paper.arxiv_id,
        "latest_version": paper.latest_version,
        "title": paper.title,
        "authors": [
            {"name": a.name, "affiliations": list(a.affiliations)} if a.affiliations else a.name
            for a in paper.authors
        ],
        "abstract": paper.abstract,
        "published": format_timestamp(paper.published),
        "updated": format_timestamp(paper.updated),
        "primary_category": paper.primary_category,
        "categories": list(paper.categories),
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "abs_url": paper.abs_url,
        "pdf_url": paper.pdf_url,
        "source": paper.source,
        "fetched_at": format_timestamp(paper.fetched_at),
        "unverified": list(paper.unverified),
    }


# What `record_to_paper` (with `json.loads` before it) raises for a line that is no valid
# record: a timestamp that is no string gives AttributeError. Every reader catches these.
BAD_RECORD_ERRORS = (ValueError, KeyError, TypeError, AttributeError)


def record_to_paper(record: Mapping[str, Any]) -> Paper:
    """A paper from its record; missing optional fields are empty. BAD_RECORD_ERRORS if bad."""
    arxiv_id = str(record["arxiv_id"])
    authors = tuple(
        [
            Author(a) if isinstance(a, str) else Author(a["name"], tuple(a["affiliations"]))
            for a in record.get("authors") or ()
        ]
    )
    source = record.get("source", "arxiv-api")
    if source not in ("arxiv-api", "snapshot"):
        raise ValueError(f"unknown source {source!r}")
    version = record.get("latest_version")
    return Paper(
        arxiv_id=arxiv_id,
        latest_version=int(version) if version is not None else None,
        title=str(record["title"]),
        authors=authors,
        abstract=record.get("abstract"),
        published=_timestamp(record.get("published")),
        updated=_timestamp(record.get("updated")),
        primary_category=record.get("primary_category"),
        categories=tuple(record.get("categories") or ()),
        comment=record.get("comment"),
        journal_ref=record.get("journal_ref"),
        doi=record.get("doi"),
        abs_url=record.get("abs_url") or abs_url(arxiv_id),
        pdf_url=record.get("pdf_url") or pdf_url(arxiv_id),
        source=source,
        fetched_at=_timestamp(record.get("fetched_at")),
        unverified=tuple(record.get("unverified") or ()),
    )


# Records share timestamps (a batch's fetched_at, papers of one day): each is parsed once.
_timestamp = functools.lru_cache(maxsize=4096)(parse_timestamp)


def load_cache(data: str | bytes, path: Path = DEFAULT_CACHE_PATH) -> dict[str, Paper]:
    """Parse the cache file (its bytes or text); a bad line raises CacheError naming file and line.

    Lines as `dump_cache` writes them take a fast path; a file with any other line (bad, or
    only written differently) is read again the plain way, which gives its error or its papers.
    """
    with gc_paused():
        papers = _load_as_written(data)
        if papers is None:
            text = data if isinstance(data, str) else decode_text(data, path)
            papers = _load_plainly(text, path)
    return papers


def _load_plainly(text: str, path: Path) -> dict[str, Paper]:
    # Split on "\n" only: str.splitlines() also breaks at U+0085 and U+2028, which JSON
    # strings (ensure_ascii off) may hold.
    papers: dict[str, Paper] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            paper = record_to_paper(json.loads(line))
        except BAD_RECORD_ERRORS as error:
            raise CacheError(f"{path}:{number}: not a valid cache record ({error})") from None
        papers[paper.arxiv_id] = paper
    return papers


# The fast path: msgspec decodes and type-checks each line in C into a record whose fields
# are a Paper's, in order; Python makes the Authors and the timestamps and builds the
# Paper from the record. Where a line is not as `dump_cache` writes it, the types below
# refuse it, for the plain path to read (which may still accept it: a missing optional
# field, a bare date, an author object without affiliations...).
class _AuthorRecord(msgspec.Struct, gc=False):
    name: str
    affiliations: Annotated[tuple[str, ...], msgspec.Meta(min_length=1)]


_Url = Annotated[str, msgspec.Meta(min_length=1)]


class _Record(msgspec.Struct, gc=False):
    arxiv_id: str
    latest_version: int | None
    title: str
    authors: tuple[str | _AuthorRecord, ...]
    abstract: str | None
    published: str | None
    updated: str | None
    primary_category: str | None
    categories: tuple[str, ...]
    comment: str | None
    journal_ref: str | None
    doi: str | None
    abs_url: _Url
    pdf_url: _Url
    source: Literal["arxiv-api", "snapshot"]
    fetched_at: str | None
    unverified: tuple[str, ...]


_decode_record = msgspec.json.Decoder(_Record).decode


class _NotAsWritten(Exception):
    """A line the fast path leaves to the plain one."""


def _load_as_written(data: str | bytes) -> dict[str, Paper] | None:
    """The papers, if every line is a record as `dump_cache` writes it; None otherwise."""
    if isinstance(data, str):  # (a lone surrogate makes bad UTF-8: the plain path's to judge)
        data = data.encode("utf-8", "surrogatepass")
    # Timestamps repeat (a batch's fetched_at, a first version's published and updated):
    # each distinct one is parsed once, and the papers share it.
    moments: dict[str | None, datetime | None] = {None: None}

    def moment(text: str | None) -> datetime | None:
        value = moments.get(text)
        if value is None and text is not None:
            value = datetime.fromisoformat(text)
            # dump_cache writes whole seconds in UTC ("Z"); the plain path reads a naive
            # time as UTC, converts an offset and keeps fractions: left to it.
            if value.tzinfo is not UTC or value.microsecond:
                raise _NotAsWritten
            moments[text] = value
        return value

    papers: dict[str, Paper] = {}
    # Line by line, as the plain path reads them (in UTF-8 a "\n" byte is only ever a
    # newline); each record is dropped before the next is made, so they leave no holes.
    for line in io.BytesIO(data):
        if not line.strip():
            continue
        try:
            record = _decode_record(line)
            published, updated = moment(record.published), moment(record.updated)
            fetched_at = moment(record.fetched_at)
        except (ValueError, _NotAsWritten):  # msgspec.DecodeError is a ValueError
            return None
        authors = tuple(
            [
                Author(a) if isinstance(a, str) else Author(a.name, a.affiliations)
                for a in record.authors
            ]
        )
        # Positional, in Paper's field order (which a test checks _Record keeps, and the
        # fast-path property test checks this call against): a third of the load's time
        # less than msgspec.convert or keywords.
        r = record
        papers[r.arxiv_id] = Paper(
            r.arxiv_id,
            r.latest_version,
            r.title,
            authors,
            r.abstract,
            published,
            updated,
            r.primary_category,
            r.categories,
            r.comment,
            r.journal_ref,
            r.doi,
            r.abs_url,
            r.pdf_url,
            r.source,
            fetched_at,
            r.unverified,
        )
    return papers


def dump_cache(papers: Iterable[Paper]) -> str:
    """The cache file's text: one record per line, sorted by arXiv ID."""
    lines = [
        json.dumps(paper_to_record(p), ensure_ascii=False, separators=(", ", ": "))
        for p in sorted(papers, key=lambda p: p.arxiv_id)
    ]
    return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class MergeResult:
    papers: dict[str, Paper]
    new: list[str]
    updated: list[str]
    unchanged: list[str]


def merge_fetched(cached: Mapping[str, Paper], fetched: Iterable[Paper]) -> MergeResult:
    """Fold freshly fetched papers into the cache.

    A paper whose metadata did not change keeps its cached record as it was (same
    bytes, old fetched_at), so a refresh with nothing new leaves the file untouched.
    A live record replaces a snapshot record even when the metadata agrees.
    """
    papers = dict(cached)
    new: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for paper in fetched:
        old = cached.get(paper.arxiv_id)
        if old is None:
            new.append(paper.arxiv_id)
            papers[paper.arxiv_id] = paper
        elif old.source == paper.source and old.same_metadata(paper):
            unchanged.append(paper.arxiv_id)
        else:
            updated.append(paper.arxiv_id)
            papers[paper.arxiv_id] = msgspec.structs.replace(paper)
    return MergeResult(papers, new, updated, unchanged)
