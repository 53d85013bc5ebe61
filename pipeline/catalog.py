"""Resolve parsed links into catalog entries (catalog.csv is written by `outputs`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.models import CatalogEntry, Link
from pipeline.resolve import points_at_arxiv, resolve_arxiv


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
        entries.append(CatalogEntry(link, ref, duplicate_of))
    return entries, invalid


def distinct_arxiv_ids(entries: Sequence[CatalogEntry]) -> list[str]:
    """The arXiv IDs of the catalog, each once, in order of first appearance."""
    return list(dict.fromkeys(e.arxiv_id for e in entries if e.arxiv_id))
