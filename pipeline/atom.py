"""Parse an arXiv API response (Atom XML) into papers.

ElementTree (namespace-aware) rather than feedparser: feedparser flattens
`<arxiv:affiliation>` to one value per entry, losing which author it belongs to
(checked against the recorded astro-ph/0601001 response), and the cache keeps
affiliations per author.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from pipeline.models import Author, Paper
from pipeline.text import collapse_whitespace

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_ENTRY_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v(?P<version>\d+))?$")


class MalformedFeed(ValueError):
    """The body is not a well-formed arXiv Atom feed (an HTML page, truncated XML, ...)."""


@dataclass(frozen=True)
class FeedPage:
    """One page of an API answer."""

    total_results: int
    start_index: int
    papers: list[Paper]
    errors: list[str]  # summaries of the API's `Error` entries ("incorrect id format for abc")


def parse_feed(body: bytes, fetched_at: datetime) -> FeedPage:
    """Parse a response body; raise MalformedFeed when it is not an arXiv Atom feed."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise MalformedFeed(f"not well-formed XML ({error})") from None
    if root.tag != f"{_ATOM}feed":
        raise MalformedFeed(f"not an Atom feed (root element {root.tag!r})")
    total = _int(root.findtext(f"{_OPENSEARCH}totalResults"), "totalResults")
    start = _int(root.findtext(f"{_OPENSEARCH}startIndex") or "0", "startIndex")
    papers: list[Paper] = []
    errors: list[str] = []
    for entry in root.iterfind(f"{_ATOM}entry"):
        entry_id = _text(entry, f"{_ATOM}id") or ""
        if "/api/errors" in entry_id or _text(entry, f"{_ATOM}title") == "Error":
            errors.append(_text(entry, f"{_ATOM}summary") or entry_id)
        else:
            papers.append(_paper(entry, fetched_at))
    return FeedPage(total_results=total, start_index=start, papers=papers, errors=errors)


def _paper(entry: ET.Element, fetched_at: datetime) -> Paper:
    raw_id = _text(entry, f"{_ATOM}id") or ""
    match = _ENTRY_ID.search(raw_id)
    if not match:
        raise MalformedFeed(f"entry without an arXiv id: {raw_id!r}")
    arxiv_id = match["id"]
    primary = entry.find(f"{_ARXIV}primary_category")
    primary_term = primary.get("term") if primary is not None else None
    terms = [c.get("term") or "" for c in entry.iterfind(f"{_ATOM}category")]
    categories = tuple(dict.fromkeys(t for t in [primary_term, *terms] if t))
    authors = tuple(
        Author(
            name=collapse_whitespace(a.findtext(f"{_ATOM}name") or ""),
            affiliations=tuple(
                collapse_whitespace(x.text or "") for x in a.iterfind(f"{_ARXIV}affiliation")
            ),
        )
        for a in entry.iterfind(f"{_ATOM}author")
    )
    return Paper(
        arxiv_id=arxiv_id,
        latest_version=int(match["version"]) if match["version"] else None,
        title=_text(entry, f"{_ATOM}title") or "",
        authors=authors,
        abstract=_text(entry, f"{_ATOM}summary"),
        published=parse_timestamp(_text(entry, f"{_ATOM}published")),
        updated=parse_timestamp(_text(entry, f"{_ATOM}updated")),
        primary_category=primary_term,
        categories=categories,
        comment=_text(entry, f"{_ARXIV}comment"),
        journal_ref=_text(entry, f"{_ARXIV}journal_ref"),
        doi=_text(entry, f"{_ARXIV}doi"),
        abs_url=abs_url(arxiv_id),
        pdf_url=pdf_url(arxiv_id),
        source="arxiv-api",
        fetched_at=fetched_at,
    )


def abs_url(arxiv_id: str) -> str:
    """The version-less abstract page: stable across new versions of the paper."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    """The version-less PDF, which always serves the latest version."""
    return f"https://arxiv.org/pdf/{arxiv_id}"


def parse_timestamp(text: str | None) -> datetime | None:
    """`2017-06-12T17:57:34Z` or a bare date `2017-06-12` as a UTC datetime."""
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _text(element: ET.Element, tag: str) -> str | None:
    """The element's text with the API's hard wrapping folded to single spaces."""
    found = element.find(tag)
    if found is None or found.text is None:
        return None
    return collapse_whitespace(found.text) or None


def _int(text: str | None, name: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise MalformedFeed(f"feed without a valid {name}") from None
