"""Parse an arXiv API response (Atom XML) into papers.

ElementTree (namespace-aware) rather than feedparser: feedparser flattens
`<arxiv:affiliation>` to one value per entry, losing which author it belongs to
(checked against the recorded astro-ph/0601001 response), and the cache keeps
affiliations per author.

Only what the API format needs is parsed: a body with a DOCTYPE is refused before any
declaration in it is read, so no entity from the network is ever expanded. One entry that
cannot be trusted (bad date, no title, a field beyond the limits below) is reported in
`FeedPage.invalid` and the rest of the page is kept.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pipeline.fetch_errors import InvalidEntry, MalformedFeed
from pipeline.models import Author, Paper
from pipeline.text import collapse_whitespace

# Limits of one entry, far beyond anything arXiv holds, so that a broken or hostile answer
# cannot fill the cache (and the committed files: GitHub refuses files over 100 MB).
MAX_TITLE_CHARS = 1_000  # arXiv titles are a line or two
MAX_ABSTRACT_CHARS = 10_000  # arXiv's submission form caps abstracts at 1,920 characters
MAX_AUTHORS = 10_000  # the longest author lists on arXiv have about 5,100 names
MAX_FIELD_CHARS = 5_000  # any other text: an author name, affiliation, comment, journal ref

__all__ = ["FeedPage", "InvalidEntry", "MalformedFeed", "parse_feed"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_ENTRY_ID = re.compile(r"arxiv\.org/abs/(?P<id>.+?)(?:v(?P<version>\d+))?$")


@dataclass(frozen=True)
class FeedPage:
    """One page of an API answer."""

    total_results: int
    start_index: int
    papers: list[Paper]
    errors: list[str]  # summaries of the API's `Error` entries ("incorrect id format for abc")
    invalid: dict[str, str] = field(default_factory=dict)  # arXiv ID -> why its entry is bad
    unidentified: int = 0  # entries without a usable arXiv ID (cannot be told apart)

    @property
    def entries(self) -> int:
        """How many entries the page held, good or bad: the offset of the next page."""
        return len(self.papers) + len(self.invalid) + self.unidentified


class _NoDoctype(ET.TreeBuilder):
    """Refuses a DOCTYPE as soon as the parser meets it, before its declarations."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise MalformedFeed("the answer declares a DOCTYPE; the arXiv API never does")


def parse_feed(body: bytes, fetched_at: datetime) -> FeedPage:
    """Parse a response body; raise MalformedFeed when it is not an arXiv Atom feed.

    Entries that cannot be trusted are listed in `invalid`, never raised.
    """
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(body)
        root = parser.close()
    except ET.ParseError as error:
        raise MalformedFeed(f"not well-formed XML ({error})") from None
    if root.tag != f"{_ATOM}feed":
        raise MalformedFeed(f"not an Atom feed (root element {root.tag!r})")
    total = _int(root.findtext(f"{_OPENSEARCH}totalResults"), "totalResults")
    start = _int(root.findtext(f"{_OPENSEARCH}startIndex") or "0", "startIndex")
    papers: list[Paper] = []
    errors: list[str] = []
    invalid: dict[str, str] = {}
    unidentified = 0
    for entry in root.iterfind(f"{_ATOM}entry"):
        entry_id = (entry.findtext(f"{_ATOM}id") or "").strip()
        if "/api/errors" in entry_id or (entry.findtext(f"{_ATOM}title") or "").strip() == "Error":
            summary = collapse_whitespace(entry.findtext(f"{_ATOM}summary") or "")
            errors.append(summary[:MAX_FIELD_CHARS] or entry_id[:MAX_FIELD_CHARS])
            continue
        match = _ENTRY_ID.search(entry_id)
        if not match or len(entry_id) > MAX_FIELD_CHARS:
            unidentified += 1
            continue
        try:
            papers.append(_paper(entry, match, fetched_at))
        except InvalidEntry as error:
            invalid[match["id"]] = str(error)
    return FeedPage(total, start, papers, errors, invalid, unidentified)


def _paper(entry: ET.Element, match: re.Match[str], fetched_at: datetime) -> Paper:
    """The entry as a Paper; raise InvalidEntry when a field is missing, wrong or too long."""
    arxiv_id = match["id"]
    title = _text(entry, f"{_ATOM}title", MAX_TITLE_CHARS)
    if not title:
        raise InvalidEntry("entry without a title")
    published = _timestamp(entry, "published")
    if published is None:
        raise InvalidEntry("entry without a <published> date")
    author_elements = entry.findall(f"{_ATOM}author")
    if len(author_elements) > MAX_AUTHORS:
        raise InvalidEntry(f"{len(author_elements)} authors, more than the {MAX_AUTHORS} allowed")
    primary = entry.find(f"{_ARXIV}primary_category")
    primary_term = primary.get("term") if primary is not None else None
    if primary_term is not None:
        primary_term = _fold(primary_term, "a category")
    terms = [_fold(c.get("term") or "", "a category") for c in entry.iterfind(f"{_ATOM}category")]
    categories = tuple(dict.fromkeys(t for t in [primary_term, *terms] if t))
    authors = tuple(
        Author(
            name=_fold(a.findtext(f"{_ATOM}name") or "", "an author name"),
            affiliations=tuple(
                _fold(x.text or "", "an affiliation") for x in a.iterfind(f"{_ARXIV}affiliation")
            ),
        )
        for a in author_elements
    )
    return Paper(
        arxiv_id=arxiv_id,
        latest_version=int(match["version"]) if match["version"] else None,
        title=title,
        authors=authors,
        abstract=_text(entry, f"{_ATOM}summary", MAX_ABSTRACT_CHARS),
        published=published,
        updated=_timestamp(entry, "updated"),
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


def _timestamp(entry: ET.Element, name: str) -> datetime | None:
    text = _text(entry, f"{_ATOM}{name}")
    try:
        return parse_timestamp(text)
    except ValueError:
        raise InvalidEntry(f"<{name}> is not a date: {text!r}") from None


def _text(element: ET.Element, tag: str, limit: int = MAX_FIELD_CHARS) -> str | None:
    """The element's text with the API's hard wrapping folded to single spaces."""
    found = element.find(tag)
    if found is None or found.text is None:
        return None
    return _fold(found.text, f"<{tag.rpartition('}')[2]}>", limit) or None


def _fold(text: str, what: str, limit: int = MAX_FIELD_CHARS) -> str:
    """Whitespace folded; raise InvalidEntry when longer than `limit` characters."""
    folded = collapse_whitespace(text)
    if len(folded) > limit:
        raise InvalidEntry(f"{what} of {len(folded)} characters, more than the {limit} allowed")
    return folded


def _int(text: str | None, name: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        raise MalformedFeed(f"feed without a valid {name}") from None
