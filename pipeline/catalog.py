"""Resolve parsed links into catalog entries and serialise them as catalog.csv."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, fields

from pipeline.models import CatalogEntry, Link
from pipeline.resolve import points_at_arxiv, resolve_arxiv

CATALOG_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CatalogEntry))


@dataclass(frozen=True)
class InvalidArxivLink:
    """A link that points at arXiv but names no valid paper: kept as a web link, reported."""

    position: int
    line: int
    url: str


def build_catalog(links: Sequence[Link]) -> tuple[list[CatalogEntry], list[InvalidArxivLink]]:
    """Resolve each link to its arXiv ID (or "web") and mark repeated papers."""
    entries: list[CatalogEntry] = []
    invalid: list[InvalidArxivLink] = []
    first_position: dict[str, int] = {}
    for link in links:
        ref = resolve_arxiv(link.url)
        if ref is None and points_at_arxiv(link.url):
            invalid.append(InvalidArxivLink(link.position, link.line, link.url))
        duplicate_of = None
        if ref is not None:
            duplicate_of = first_position.setdefault(ref.arxiv_id, link.position)
            if duplicate_of == link.position:
                duplicate_of = None
        entries.append(
            CatalogEntry(
                position=link.position,
                section=link.section,
                subsection=link.subsection,
                label=link.label,
                url=link.url,
                kind="arxiv" if ref else "web",
                arxiv_id=ref.arxiv_id if ref else None,
                arxiv_version=ref.version if ref else None,
                duplicate_of=duplicate_of,
                line=link.line,
            )
        )
    return entries, invalid


def distinct_arxiv_ids(entries: Sequence[CatalogEntry]) -> list[str]:
    """The arXiv IDs of the catalog, each once, in order of first appearance."""
    return list(dict.fromkeys(e.arxiv_id for e in entries if e.arxiv_id))


def catalog_csv(entries: Sequence[CatalogEntry]) -> str:
    """catalog.csv as text: a header row, one row per link, empty cells for missing values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CATALOG_COLUMNS)
    for entry in entries:
        writer.writerow(
            "" if getattr(entry, name) is None else getattr(entry, name) for name in CATALOG_COLUMNS
        )
    return buffer.getvalue()
