"""arXiv's RSS listing feeds: one GET (retried like the API), read with feedparser.

The format is arXiv's 2024 RSS (`shared/arxiv-rss/README.md`): one `item` per announced
paper, its ID and announce type at the start of the description, all categories as
`category` elements, the authors as one `dc:creator` string.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import feedparser

from pipeline.errors import FeedError
from pipeline.fetch import (
    ArxivClient,
    FetchSettings,
    Response,
    Transport,
    check_status,
)
from pipeline.fetch_errors import FetchError, MalformedFeed
from pipeline.resolve import resolve_arxiv, versioned_id
from pipeline.text import collapse_whitespace

RSS_MEDIA_TYPE = "application/rss+xml"
# arXiv category names: `cs.CL`, `stat.ML`, `hep-th`, `q-bio.NC`, `math.AP`.
CATEGORY_PATTERN = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[A-Za-z]+)?)?")
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>\S+)\s*(?:Abstract:\s*)?", re.IGNORECASE
)


@dataclass(frozen=True)
class Announcement:
    """One item of a listing feed: a paper announced (or re-announced) in a category."""

    arxiv_id: str  # canonical, without version
    version: int | None
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]  # as the item lists them (the primary first)
    announced: str  # YYYY-MM-DD, the date of the listing
    announce_type: str  # new, cross, replace, replace-cross


@dataclass(frozen=True)
class Listing:
    """A whole feed: its announcement date and its items in feed order."""

    title: str
    announced: str  # YYYY-MM-DD, "" when the feed gives no date
    items: list[Announcement] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # items without an arXiv ID


class FeedTransport(Transport, Protocol):
    def get(self, url: str, *, time_limit: float, accept: str) -> Response:
        """One GET, bounded like `Transport.post` (HttpxTransport has both)."""
        ...


def feed_url(base: str, categories: Sequence[str]) -> str:
    """The one URL of the combined feed of `categories`: `BASE + "cs.CL+cs.LG"`."""
    return (base if base.endswith("/") else base + "/") + "+".join(categories)


def fetch_listing(
    url: str,
    transport: FeedTransport,
    settings: FetchSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Listing:
    """The parsed feed at `url`: one GET, paced, timed and retried like the API's requests.

    HTML pages and bodies that are no RSS are retried as the API's malformed answers are;
    a feed that cannot be had raises FeedError (its message says why in words).
    """
    client = ArxivClient(transport, settings, sleep=sleep)

    def request() -> Listing:
        response = client.send(
            lambda limit: transport.get(url, time_limit=limit, accept=RSS_MEDIA_TYPE)
        )
        check_status(response, f"{url}; is --rss-url right?")
        try:
            return parse_listing(response.body)
        except FeedError as error:
            raise MalformedFeed(str(error), status=response.status) from None

    try:
        return client.retried(request, "the RSS feed")
    except FetchError as error:
        raise FeedError(f"{url}: the feed could not be had: {error}") from None


def parse_listing(body: bytes) -> Listing:
    """The items of an arXiv RSS feed; FeedError when the bytes are no well-formed RSS."""
    # Bytes, never a str: feedparser would take a str that looks like a URL and fetch it.
    # No HTML sanitizing: arXiv sends plain text, and the sanitizer would eat "$p<q$ ... $r>s$"
    # as a tag.
    parsed: Any = feedparser.parse(bytes(body), sanitize_html=False, resolve_relative_uris=False)
    if not str(parsed.get("version", "")).startswith("rss"):
        reason = _first_line(parsed.get("bozo_exception")) or "no <rss> channel"
        raise FeedError(f"not an RSS feed ({reason})")
    if parsed.get("bozo"):
        raise FeedError(f"malformed RSS feed ({_first_line(parsed.get('bozo_exception'))})")
    channel = parsed.feed
    announced = _date(channel.get("published", ""))
    listing = Listing(title=collapse_whitespace(channel.get("title", "")), announced=announced)
    for entry in parsed.entries:
        item = _announcement(entry, announced)
        if item is None:
            listing.unreadable.append(collapse_whitespace(entry.get("title", "")) or "(untitled)")
        else:
            listing.items.append(item)
    return listing


def _announcement(entry: Any, channel_date: str) -> Announcement | None:
    description = str(entry.get("summary", ""))
    match = _DESCRIPTION.match(description)
    ref = resolve_arxiv(str(entry.get("link", "")).strip())
    if match:
        try:
            named = versioned_id(match["id"])
        except ValueError:
            return None
        arxiv_id, version = named.arxiv_id, named.version
    elif ref is not None:
        arxiv_id, version = ref.arxiv_id, None
    else:
        return None
    abstract = description[match.end() :] if match else description
    announce_type = str(entry.get("arxiv_announce_type") or (match["type"] if match else ""))
    creators = str(entry.get("author", ""))
    return Announcement(
        arxiv_id=arxiv_id,
        version=version,
        title=collapse_whitespace(str(entry.get("title", ""))),
        authors=tuple(a for a in (collapse_whitespace(n) for n in creators.split(",")) if a),
        abstract=collapse_whitespace(abstract),
        categories=tuple(
            dict.fromkeys(str(t.get("term", "")) for t in entry.get("tags", []) if t.get("term"))
        ),
        announced=_date(str(entry.get("published", ""))) or channel_date,
        announce_type=announce_type.strip().lower(),
    )


def _date(value: str) -> str:
    """`Tue, 24 Nov 2026 00:00:00 -0500` -> `2026-11-24` (the listing's own calendar day)."""
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return ""


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if error and str(error).strip() else ""
