"""The metadata cache: one JSON record per arXiv ID, one line each, sorted by ID.

JSON Lines keeps the committed file human-readable and its git diffs one line per
changed paper; fixed key order and sorting make the same papers give the same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.atom import abs_url, parse_timestamp, pdf_url
from pipeline.bulk import gc_paused, give_back_freed_memory
from pipeline.errors import CacheError
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


def record_to_paper(record: Mapping[str, Any]) -> Paper:
    """A paper from its record; missing optional fields are empty. KeyError/TypeError if bad."""
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


def load_cache(text: str, path: Path = DEFAULT_CACHE_PATH) -> dict[str, Paper]:
    """Parse the cache file's text; a bad line raises CacheError naming file and line."""
    # Split on "\n" only: str.splitlines() also breaks at U+0085 and U+2028, which JSON
    # strings (ensure_ascii off) may hold.
    papers: dict[str, Paper] = {}
    with gc_paused():
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                paper = record_to_paper(json.loads(line))
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise CacheError(f"{path}:{number}: not a valid cache record ({error})") from None
            papers[paper.arxiv_id] = paper
    give_back_freed_memory()  # the records, read and dropped
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
            papers[paper.arxiv_id] = replace(paper)
    return MergeResult(papers, new, updated, unchanged)
