"""A fake arXiv API (`/api/query`) on 127.0.0.1 for the tests and the benchmark.

It speaks real HTTP (stdlib `ThreadingHTTPServer` in a daemon thread) so the client under
test runs its real transport: connection handling, timeouts and retries are exercised, not
mocked. Its answers follow the recorded responses in `shared/arxiv-api/recorded/`:

- Atom feeds byte-for-byte in the recorded layout; entries loaded from the recordings are
  served exactly as recorded, generated entries are hard-wrapped like the classic API.
- `id_list` semantics: unknown well-formed IDs are silently absent, a malformed ID makes the
  whole request a 400 Error feed, `vN` selects a version, the default `max_results` of 10
  silently truncates, pages come from `start`, a GET with a very long URL gets 414.
- Faults on demand (`fail_next`, `fail_when`): 5xx/429/413, hangs, HTML pages, truncated or
  empty feeds, dropped connections, bodies trickling in, oversized bodies, DOCTYPEs with
  entities, duplicate entries.
- Rude servers on demand: `ignore_start` (every page is the first), `extra_total` (announce
  more results than exist).
- Every request is logged (`requests`) with its arrival time, for pacing assertions.

No pytest imports: the benchmark imports this module as `tests.fakearxiv`.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import EllipsisType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from tests.loopback import Loopback, LoopbackServer

__all__ = ["FakeArxiv", "RecordedRequest", "is_well_formed_id", "reference_data"]

API_PATH = "/api/query"
DEFAULT_MAX_RESULTS = 10  # the real API's default: longer id_lists are silently truncated
PAGE_CAP = 2000  # the real API never returns more than 2000 entries in one answer
DEFAULT_MAX_URL_LENGTH = 8000  # the real API fails GETs of ~700 IDs with 414
HANG_CAP_SECONDS = 60.0

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_FEED_OPEN = (
    b"<?xml version='1.0' encoding='UTF-8'?>\n"
    b'<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
    b' xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
)
_FEED_CLOSE = b"</feed>\n"
_ATOM_TYPE = "application/atom+xml; charset=UTF-8"
_HTML_TYPE = "text/html; charset=UTF-8"

# What the live API accepts as well-formed, per the recordings: it is looser than arXiv's
# real numbering. `0000.0000` (month 00) and `0808.05394` (five digits before 2015) both
# come back 200 with an empty feed, not 400, so only the shape is checked here.
_NEW_STYLE = re.compile(r"(?P<base>\d{4}\.\d{4,5})(?:v(?P<version>\d+))?")
_OLD_STYLE = re.compile(r"(?P<base>[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?")
_RECORDED_ENTRY = re.compile(rb"  <entry>\n.*?</entry>\n", re.DOTALL)
_RECORDED_ID = re.compile(r"https?://arxiv\.org/abs/(?P<base>.+?)v(?P<version>\d+)$")

_STATUS_PHRASES = {
    400: "Bad Request",
    404: "Not Found",
    414: "Request-URI Too Long",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_FAULT_KINDS = frozenset(
    {"hang", "html", "truncated", "empty", "drop", "trickle", "huge", "doctype", "duplicate"}
)
_HUGE_CHUNK = 1024 * 1024


def reference_data() -> Path:
    """The real reference data (recordings, snapshot), vendored in tests/data."""
    return Path(__file__).resolve().parent / "data"


def parse_id(arxiv_id: str) -> tuple[str, int | None] | None:
    """Split a well-formed ID into (ID without version, version or None); None if malformed."""
    match = _NEW_STYLE.fullmatch(arxiv_id) or _OLD_STYLE.fullmatch(arxiv_id)
    if match is None:
        return None
    version = match.group("version")
    return match.group("base"), int(version) if version is not None else None


def is_well_formed_id(arxiv_id: str) -> bool:
    """Whether the fake (like the live API) accepts `arxiv_id` rather than answering 400."""
    return parse_id(arxiv_id) is not None


def _timestamp(value: str) -> str:
    """Atom timestamp: a bare `YYYY-MM-DD` becomes midnight UTC."""
    return f"{value}T00:00:00Z" if len(value) == 10 else value


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def _fold(text: str) -> str:
    return " ".join(text.split())


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap (several times faster than textwrap: 10,000 entries must be quick)."""
    lines: list[str] = []
    line: list[str] = []
    length = -1
    for word in text.split():
        if line and length + 1 + len(word) > width:
            lines.append(" ".join(line))
            line, length = [], -1
        line.append(word)
        length += 1 + len(word)
    if line:
        lines.append(" ".join(line))
    return lines


def wrap_title(title: str) -> str:
    """Hard-wrap a title like the classic API: continuation lines start with two spaces.

    Short titles are broken too (at the last space before two thirds of the length), so
    every multi-word title arrives wrapped and a client that does not fold whitespace fails.
    """
    title = _fold(title)
    if len(title) > 60:
        return "\n  ".join(_wrap(title, 60))
    cut = title.rfind(" ", 0, len(title) * 2 // 3 + 1)
    if cut < 0:
        cut = title.find(" ")
    return title if cut < 0 else f"{title[:cut]}\n  {title[cut + 1 :]}"


def wrap_abstract(abstract: str) -> str:
    """Hard-wrap an abstract like the classic API: two leading spaces, a trailing newline."""
    return "  " + "\n  ".join(_wrap(abstract, 76)) + "\n"


@dataclass(frozen=True)
class PaperVersion:
    """One version of a paper as the fake serves it."""

    arxiv_id: str  # without version
    version: int
    title: str
    authors: tuple[str, ...]
    abstract: str
    published: str
    updated: str
    categories: tuple[str, ...]
    primary_category: str
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    affiliations: tuple[tuple[str, ...], ...] = ()  # parallel to `authors`; () means none
    raw_entry: bytes | None = None  # the recorded `<entry>` bytes, served verbatim

    def render(self, version: int) -> bytes:
        """This paper's `<entry>` (two-space indented, newline-terminated) as version N."""
        if self.raw_entry is not None:
            if version == self.version:
                return self.raw_entry
            # Same recorded metadata under another version number: only the links change.
            old, new = f"{self.arxiv_id}v{self.version}<", f"{self.arxiv_id}v{version}<"
            entry = self.raw_entry.decode().replace(old, new)
            old, new = f'{self.arxiv_id}v{self.version}"', f'{self.arxiv_id}v{version}"'
            return entry.replace(old, new).encode()
        vid = f"{self.arxiv_id}v{version}"
        parts = [
            "  <entry>\n",
            f"    <id>http://arxiv.org/abs/{vid}</id>\n",
            f"    <title>{escape(wrap_title(self.title))}</title>\n",
            f"    <updated>{self.updated}</updated>\n",
            f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>\n',
            f'    <link href="https://arxiv.org/pdf/{vid}" rel="related"'
            ' type="application/pdf" title="pdf"/>\n',
        ]
        if self.doi:
            parts.append(
                f'    <link href="https://doi.org/{_attr(self.doi)}" rel="related" title="doi"/>\n'
            )
        parts.append(f"    <summary>{escape(wrap_abstract(self.abstract))}</summary>\n")
        parts.extend(
            f'    <category term="{_attr(c)}" scheme="http://arxiv.org/schemas/atom"/>\n'
            for c in self.categories
        )
        parts.append(f"    <published>{self.published}</published>\n")
        if self.comment:
            parts.append(f"    <arxiv:comment>{escape(self.comment)}</arxiv:comment>\n")
        parts.append(f'    <arxiv:primary_category term="{_attr(self.primary_category)}"/>\n')
        if self.journal_ref:
            parts.append(f"    <arxiv:journal_ref>{escape(self.journal_ref)}</arxiv:journal_ref>\n")
        if self.doi:
            parts.append(f"    <arxiv:doi>{escape(self.doi)}</arxiv:doi>\n")
        for index, name in enumerate(self.authors):
            parts.append(f"    <author>\n      <name>{escape(name)}</name>\n")
            if index < len(self.affiliations):
                parts.extend(
                    f"      <arxiv:affiliation>{escape(a)}</arxiv:affiliation>\n"
                    for a in self.affiliations[index]
                )
            parts.append("    </author>\n")
        parts.append("  </entry>\n")
        return "".join(parts).encode()


@dataclass
class RecordedRequest:
    """One request the fake received (filled in before the answer is written)."""

    time: float  # time.monotonic() when the request (line and headers) had arrived
    method: str
    params: dict[str, str]  # query string and form body merged (the form wins)
    ids: list[str]  # id_list split at commas, as sent
    headers: dict[str, str]  # names in canonical case: headers["User-Agent"]
    path: str = API_PATH
    status: int | None = None  # None: no answer (hang, drop)
    bytes_sent: int = 0  # response body bytes written
    fault: str | None = None  # the injected fault, if any


@dataclass
class _Fault:
    kind: str
    retry_after: float | str | EllipsisType | None = ...
    total: int | None = None
    announce_full_length: bool = False
    size: int = 0  # "huge": bytes of the abstract
    interval: float = 1.0  # "trickle": seconds between two bytes


@dataclass
class _Rule:
    predicate: Callable[[list[str]], bool]
    fault: _Fault
    remaining: int | None  # None: for ever


@dataclass
class _Reply:
    status: int | None  # None: send nothing
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    hang: bool = False
    send_only: int | None = None  # announce the full length, send this many bytes, then close
    trickle: float | None = None  # send the body one byte per this many seconds
    chunks: Callable[[], Iterator[bytes]] | None = None  # a body made while it is sent
    length: int | None = None  # Content-Length of `chunks` (None: close-delimited)
    record: RecordedRequest | None = None


def _html_page(status: int, text: str) -> bytes:
    title = f"{status} {_STATUS_PHRASES.get(status, '')}".strip() if status else "arXiv"
    return (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n"
        f"<body><h1>{title}</h1><p>{text}</p></body></html>\n"
    ).encode()


def _error_feed(message: str) -> bytes:
    """The API's 400 answer, in the layout of the recorded `id_list=abc` response."""
    now = _now()
    anchor = escape(_attr("https://arxiv.org/api/errors#" + message.replace(" ", "_")))
    return b"".join(
        [
            _FEED_OPEN,
            (
                "  <id>https://arxiv.org/</id>\n"
                "  <title>arXiv Search Results</title>\n"
                f"  <updated>{now}</updated>\n"
                "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
                "  <opensearch:totalResults>1</opensearch:totalResults>\n"
                "  <opensearch:startIndex>0</opensearch:startIndex>\n"
                "  <entry>\n"
                f"    <id>{anchor}</id>\n"
                "    <title>Error</title>\n"
                f"    <updated>{now}</updated>\n"
                f'    <link href="{anchor}" rel="alternate" type="text/html"/>\n'
                f"    <summary>{escape(message)}</summary>\n"
                "    <author>\n"
                "      <name>arXiv api core</name>\n"
                "    </author>\n"
                "  </entry>\n"
            ).encode(),
            _FEED_CLOSE,
        ]
    )


def _feed_head(search_query: str, id_list: str, start: int, max_results: int, total: int) -> bytes:
    """Feed header echoing the query the way the live API does (see the recordings)."""
    sq, ids = escape(search_query), escape(id_list)
    echo = f"search_query={sq}&amp;id_list={ids}&amp;start={start}&amp;max_results={max_results}"
    digest = hashlib.sha1(echo.encode(), usedforsecurity=False).digest()
    feed_id = base64.b64encode(digest).decode().rstrip("=")
    link = (
        f"https://arxiv.org/api/query?search_query={sq}&amp;start={start}"
        f"&amp;max_results={max_results}&amp;id_list={ids}"
    )
    return (
        f"  <id>https://arxiv.org/api/{feed_id}</id>\n"
        f"  <title>arXiv Query: {echo}</title>\n"
        f"  <updated>{_now()}</updated>\n"
        f'  <link href="{link}" type="application/atom+xml"/>\n'
        f"  <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
    ).encode()


def _canonical_header(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _parse_recorded_entry(raw: bytes) -> PaperVersion | None:
    """Metadata of a recorded `<entry>` (None for Error entries), keeping its bytes."""
    wrapper = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        + raw
        + b"</feed>"
    )
    entry = ET.fromstring(wrapper).find(f"{_ATOM}entry")
    assert entry is not None
    match = _RECORDED_ID.match(entry.findtext(f"{_ATOM}id", "").strip())
    if match is None:
        return None
    authors = entry.findall(f"{_ATOM}author")
    categories = tuple(c.get("term", "") for c in entry.findall(f"{_ATOM}category"))
    primary = entry.find(f"{_ARXIV}primary_category")
    return PaperVersion(
        arxiv_id=match.group("base"),
        version=int(match.group("version")),
        title=entry.findtext(f"{_ATOM}title", ""),
        authors=tuple(a.findtext(f"{_ATOM}name", "") for a in authors),
        abstract=entry.findtext(f"{_ATOM}summary", ""),
        published=entry.findtext(f"{_ATOM}published", ""),
        updated=entry.findtext(f"{_ATOM}updated", ""),
        categories=categories,
        primary_category=primary.get("term", "") if primary is not None else categories[0],
        comment=entry.findtext(f"{_ARXIV}comment"),
        journal_ref=entry.findtext(f"{_ARXIV}journal_ref"),
        doi=entry.findtext(f"{_ARXIV}doi"),
        affiliations=tuple(
            tuple(x.text or "" for x in a.findall(f"{_ARXIV}affiliation")) for a in authors
        ),
        raw_entry=raw,
    )


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer[FakeArxiv]
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its proxy
    disable_nagle_algorithm = True  # headers and body are two writes: avoid 40 ms stalls
    timeout = 30  # an idle keep-alive connection ends eventually

    def do_GET(self) -> None:
        self._serve("GET", b"")

    def do_POST(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self._serve("POST", body, arrived)

    def _serve(self, method: str, body: bytes, arrived: float | None = None) -> None:
        headers = {_canonical_header(k): v for k, v in self.headers.items()}
        reply = self.server.fake._handle(
            arrived if arrived is not None else time.monotonic(), method, self.path, headers, body
        )
        if reply.hang:
            self.server.fake._hang()
        if reply.status is None:
            self.close_connection = True
            return
        if reply.chunks is not None or reply.trickle is not None:
            self._stream(reply)
            return
        self.send_response(reply.status, _STATUS_PHRASES.get(reply.status))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.send_only is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(
                reply.body if reply.send_only is None else reply.body[: reply.send_only]
            )
        except OSError:
            self.close_connection = True  # the client gave up first: nothing to do
        if reply.send_only is not None:
            self.close_connection = True

    def _stream(self, reply: _Reply) -> None:
        """A body sent piece by piece: trickling bytes, or a huge body made on the fly."""
        assert reply.status is not None
        fake = self.server.fake
        self.send_response(reply.status, _STATUS_PHRASES.get(reply.status))
        for name, value in reply.headers:
            self.send_header(name, value)
        length = len(reply.body) if reply.chunks is None else reply.length
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if reply.chunks is not None:
            pieces: Iterator[bytes] = reply.chunks()
        else:
            pieces = (reply.body[i : i + 1] for i in range(len(reply.body)))
        ends = time.monotonic() + fake.hang_cap
        record = reply.record or RecordedRequest(0.0, "", {}, [], {})
        with fake._lock:
            record.bytes_sent = 0  # counted as it goes out
        try:
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
                with fake._lock:
                    record.bytes_sent += len(piece)
                if reply.trickle is not None and (
                    fake._closing.wait(reply.trickle) or time.monotonic() > ends
                ):
                    break
        except OSError:
            pass  # the client gave up first: that is what these faults are for

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is `FakeArxiv.requests`."""


class FakeArxiv(Loopback):
    """A fake arXiv query API on 127.0.0.1; populate it, start it, point a client at `url`."""

    handler = _Handler
    thread_name = "fakearxiv"

    def __init__(
        self,
        *,
        response_delay: float = 0.0,
        max_url_length: int = DEFAULT_MAX_URL_LENGTH,
        page_cap: int = PAGE_CAP,
        hang_cap: float = HANG_CAP_SECONDS,
        ignore_start: bool = False,
        extra_total: int = 0,
    ) -> None:
        self.response_delay = response_delay  # seconds before every answer
        self.max_url_length = max_url_length  # longer GET URLs get 414; POST has no limit
        self.page_cap = page_cap  # most entries in one answer, whatever max_results says
        self.hang_cap = hang_cap  # a "hang" ends after this long even without close()
        self.ignore_start = ignore_start  # rude: every page is served from the first entry
        self.extra_total = extra_total  # rude: totalResults announces this many too many
        self.requests: list[RecordedRequest] = []
        self._papers: dict[str, dict[int, PaperVersion]] = {}
        self._cache: dict[tuple[str, int], bytes] = {}
        self._faults: deque[_Fault] = deque()
        self._rules: list[_Rule] = []
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._next_synthetic: tuple[int, int] = (2101, 1)  # (YYMM, number)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread; returns self."""
        self._closing.clear()
        return super().start()

    def close(self) -> None:
        """Stop serving; releases hanging requests and ends open connections at once."""
        self._closing.set()
        super().close()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT/api/query`."""
        return f"http://127.0.0.1:{self.port}{API_PATH}"

    # -- the paper store -----------------------------------------------------------------------

    def _store(self, paper: PaperVersion, *, replace: bool) -> None:
        with self._lock:
            versions = self._papers.get(paper.arxiv_id)
            if replace or versions is None:
                versions = self._papers[paper.arxiv_id] = {}
            versions[paper.version] = paper
            # Rendered entries of this paper may now be stale (other versions derive from it).
            for key in [k for k in self._cache if k[0] == paper.arxiv_id]:
                del self._cache[key]

    def add_recordings(self, path: Path | None = None) -> list[str]:
        """Load the entries of recorded API answers (`*.json`); they are served verbatim.

        `path` defaults to `reference_data()/arxiv-api/recorded`. Returns the IDs loaded.
        """
        folder = path or reference_data() / "arxiv-api" / "recorded"
        loaded: list[str] = []
        for file in sorted(folder.glob("*.json")):
            # The body was stored as the latin-1 decoding of the UTF-8 bytes on the wire.
            body = json.loads(file.read_text(encoding="utf-8"))["body"].encode("latin-1")
            for match in _RECORDED_ENTRY.finditer(body):
                paper = _parse_recorded_entry(match.group())
                if paper is not None:
                    self._store(paper, replace=False)
                    if paper.arxiv_id not in loaded:
                        loaded.append(paper.arxiv_id)
        return loaded

    def add_snapshot(self, path: Path | None = None) -> list[str]:
        """Generate entries from `arxiv-snapshot/papers.jsonl`; returns the IDs added.

        Nulls (fields no source confirmed) get the closest sensible value: a missing
        `updated` is `published`, a missing `latest_version` is 1, missing categories are
        the primary one and vice versa, a missing abstract is empty.
        """
        file = path or reference_data() / "arxiv-snapshot" / "papers.jsonl"
        added: list[str] = []
        for line in file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            primary = row.get("primary_category")
            categories = tuple(row.get("categories") or ([primary] if primary else ["cs.LG"]))
            published = _timestamp(row["published"])
            self.add_paper(
                row["arxiv_id"],
                title=row["title"],
                authors=row["authors"],
                abstract=row.get("abstract") or "",
                version=row.get("latest_version") or 1,
                published=published,
                updated=_timestamp(row.get("updated") or published),
                categories=categories,
                primary_category=primary or categories[0],
                comment=row.get("comment"),
                journal_ref=row.get("journal_ref"),
                doi=row.get("doi"),
            )
            added.append(row["arxiv_id"])
        return added

    def add_paper(
        self,
        arxiv_id: str,
        *,
        title: str,
        authors: Sequence[str],
        abstract: str = "An abstract of a paper that only exists in the fake arXiv API.",
        version: int = 1,
        published: str = "2020-01-02T03:04:05Z",
        updated: str | None = None,
        categories: Sequence[str] = ("cs.LG",),
        primary_category: str | None = None,
        comment: str | None = None,
        journal_ref: str | None = None,
        doi: str | None = None,
        affiliations: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Add (or replace) a paper whose latest version is `version`.

        Dates may be `YYYY-MM-DD` (served as midnight UTC); `updated` defaults to
        `published`; `affiliations` maps author names to their affiliations. Every version
        up to `version` is served with this metadata until `set_version` says otherwise.
        """
        parsed = parse_id(arxiv_id)
        if parsed is None or parsed[1] is not None:
            raise ValueError(f"not a well-formed arXiv ID without version: {arxiv_id!r}")
        affiliations = affiliations or {}
        published = _timestamp(published)
        paper = PaperVersion(
            arxiv_id=arxiv_id,
            version=version,
            title=title,
            authors=tuple(authors),
            abstract=abstract,
            published=published,
            updated=_timestamp(updated) if updated else published,
            categories=tuple(categories),
            primary_category=primary_category or categories[0],
            comment=comment,
            journal_ref=journal_ref,
            doi=doi,
            affiliations=tuple(tuple(affiliations.get(a, ())) for a in authors)
            if affiliations
            else (),
        )
        self._store(paper, replace=True)

    def set_version(self, arxiv_id: str, version: int, **changed_fields: Any) -> None:
        """Publish version `version` of a known paper: its latest metadata with changes.

        `changed_fields` are `PaperVersion` fields (title, abstract, authors, updated, ...);
        `updated` defaults to now. Earlier versions stay servable as `IDvN`.
        """
        with self._lock:
            versions = self._papers.get(arxiv_id)
            if not versions:
                raise KeyError(f"unknown paper {arxiv_id!r}")
            latest = versions[max(versions)]
        allowed = {f.name for f in dataclasses.fields(PaperVersion)} - {"arxiv_id", "version"}
        unknown = set(changed_fields) - allowed
        if unknown:
            raise TypeError(f"not a PaperVersion field: {sorted(unknown)}")
        for name in ("authors", "categories"):
            if name in changed_fields:
                changed_fields[name] = tuple(changed_fields[name])
        for name in ("published", "updated"):
            if name in changed_fields:
                changed_fields[name] = _timestamp(changed_fields[name])
        changed_fields.setdefault("updated", _now())
        # A new version is generated (hard-wrapped) even if the previous one was recorded.
        paper = dataclasses.replace(latest, version=version, raw_entry=None, **changed_fields)
        self._store(paper, replace=False)

    def add_synthetic(self, n: int, start: str | None = None) -> list[str]:
        """Add `n` deterministic synthetic papers with distinct new-style IDs; return the IDs.

        IDs run from `start` (default: after the previous synthetic batch, first 2101.00001)
        and skip IDs already known. Entries are rendered lazily, so 10,000 take milliseconds.
        """
        if start is not None:
            parsed = _NEW_STYLE.fullmatch(start)
            if parsed is None or parsed.group("version"):
                raise ValueError(f"start must be a new-style ID without version: {start!r}")
            yymm, number = (int(part) for part in parsed.group("base").split("."))
        else:
            yymm, number = self._next_synthetic
        ids: list[str] = []
        with self._lock:
            while len(ids) < n:
                if number > 99999:
                    yymm, number = (yymm + 89 if yymm % 100 == 12 else yymm + 1), 1
                arxiv_id = f"{yymm:04d}.{number:05d}"
                number += 1
                if arxiv_id in self._papers:
                    continue
                self._papers[arxiv_id] = {1: _synthetic_paper(arxiv_id, len(ids))}
                ids.append(arxiv_id)
            self._next_synthetic = (yymm, number)
        return ids

    def known_ids(self) -> list[str]:
        """IDs (without version) of every paper the fake knows."""
        with self._lock:
            return list(self._papers)

    def latest_version(self, arxiv_id: str) -> int | None:
        """The latest version the fake serves for `arxiv_id`, or None if unknown."""
        with self._lock:
            versions = self._papers.get(arxiv_id)
            return max(versions) if versions else None

    def entry(self, arxiv_id: str) -> bytes | None:
        """The `<entry>` bytes served for `arxiv_id` (with or without `vN`), or None."""
        parsed = parse_id(arxiv_id)
        if parsed is None:
            return None
        with self._lock:
            return self._entry(*parsed)

    def feed(self, arxiv_ids: Sequence[str]) -> bytes:
        """The whole answer the fake would give for `arxiv_ids` on one page, without HTTP."""
        entries = [e for e in (self.entry(i) for i in arxiv_ids) if e is not None]
        head = _feed_head("", ",".join(arxiv_ids), 0, len(entries), len(entries))
        return b"".join([_FEED_OPEN, head, *entries, _FEED_CLOSE])

    def _entry(self, base: str, version: int | None) -> bytes | None:
        versions = self._papers.get(base)
        if not versions:
            return None
        latest = max(versions)
        wanted = latest if version is None else version
        if not 1 <= wanted <= latest:
            return None
        key = (base, wanted)
        cached = self._cache.get(key)
        if cached is None:
            # A version without its own metadata is served with the nearest earlier one's.
            known = max((v for v in versions if v <= wanted), default=min(versions))
            cached = self._cache[key] = versions[known].render(wanted)
        return cached

    # -- faults --------------------------------------------------------------------------------

    def fail_next(
        self,
        kind: str,
        times: int = 1,
        *,
        retry_after: float | str | EllipsisType | None = ...,
        total: int | None = None,
        announce_full_length: bool = False,
        size: int = 64 * 1024 * 1024 + 1,
        interval: float = 1.0,
    ) -> None:
        """Queue a fault for each of the next `times` requests (after earlier queued ones).

        Kinds: a status code (`"503"`, `"429"`, `"500"`, ... with an HTML body), `"hang"`
        (no answer until the client gives up, `close()` or `hang_cap`), `"html"` (200 with a
        maintenance page), `"truncated"` (200 with the real feed cut inside an entry; with
        `announce_full_length` the Content-Length is the full size and the connection is
        closed early), `"empty"` (200 feed announcing `total` results, default the real
        count or 1, without entries), `"drop"` (connection closed without an answer).
        `retry_after`: the Retry-After header (default: 1 for 503, none otherwise; None omits).
        `"trickle"`: the real answer, one byte every `interval` seconds. `"huge"`: 200 with a
        feed whose one entry has an abstract of `size` bytes, made while it is sent (with
        `announce_full_length` a Content-Length, else close-delimited). `"doctype"`: the real
        feed with a DOCTYPE declaring nested entities (a small "billion laughs") used in its
        title. `"duplicate"`: every entry also served again as version 1, after the others.
        """
        fault = self._fault(kind, retry_after, total, announce_full_length, size, interval)
        with self._lock:
            self._faults.extend(dataclasses.replace(fault) for _ in range(times))

    def fail_when(
        self,
        predicate: Callable[[list[str]], bool],
        kind: str,
        *,
        times: int | None = None,
        retry_after: float | str | EllipsisType | None = ...,
        total: int | None = None,
        announce_full_length: bool = False,
        size: int = 64 * 1024 * 1024 + 1,
        interval: float = 1.0,
    ) -> None:
        """Apply a fault to every request whose ID list satisfies `predicate`.

        For "poisoned batch" tests, e.g. `fail_when(lambda ids: "2101.00007" in ids, "500")`.
        `times` limits how often (default: always). Queued `fail_next` faults come first.
        Kinds and options as for `fail_next`.
        """
        fault = self._fault(kind, retry_after, total, announce_full_length, size, interval)
        with self._lock:
            self._rules.append(_Rule(predicate, fault, times))

    def clear_faults(self) -> None:
        """Forget queued faults and predicates."""
        with self._lock:
            self._faults.clear()
            self._rules.clear()

    @staticmethod
    def _fault(
        kind: str,
        retry_after: float | str | EllipsisType | None,
        total: int | None,
        announce_full_length: bool,
        size: int = 0,
        interval: float = 1.0,
    ) -> _Fault:
        if kind not in _FAULT_KINDS and not (kind.isdigit() and len(kind) == 3):
            raise ValueError(f"unknown fault kind {kind!r}")
        return _Fault(kind, retry_after, total, announce_full_length, size, interval)

    def _take_fault(self, ids: list[str]) -> _Fault | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            for rule in self._rules:
                if rule.remaining != 0 and rule.predicate(ids):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.fault
        return None

    def _hang(self) -> None:
        self._closing.wait(self.hang_cap)

    # -- answering -----------------------------------------------------------------------------

    def _handle(
        self, arrived: float, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> _Reply:
        """Decide the answer to one request and log it (before anything is written)."""
        split = urlsplit(target)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        content_type = headers.get("Content-Type", "application/x-www-form-urlencoded")
        if method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        id_list = params.get("id_list", "")
        ids = [i.strip() for i in id_list.split(",") if i.strip()]
        record = RecordedRequest(arrived, method, params, ids, headers, split.path)
        with self._lock:
            self.requests.append(record)

        if self.response_delay > 0:
            self._closing.wait(self.response_delay)
        fault = self._take_fault(ids)
        if split.path != API_PATH:
            reply = _Reply(404, [("Content-Type", _HTML_TYPE)], _html_page(404, "Not found."))
        elif method == "GET" and len(target) > self.max_url_length:
            reply = _Reply(414, [("Content-Type", _HTML_TYPE)], _html_page(414, "URI too long."))
        else:
            reply = self._query(params, ids, fault)
        if fault is not None:
            reply = self._apply(fault, reply)
        with self._lock:
            record.fault = fault.kind if fault else None
            record.status = reply.status
            sent = len(reply.body) if reply.send_only is None else reply.send_only
            record.bytes_sent = sent if reply.status is not None else 0
        reply.record = record
        return reply

    def _query(self, params: Mapping[str, str], ids: list[str], fault: _Fault | None) -> _Reply:
        numbers: dict[str, int] = {}
        for name, default in (("start", 0), ("max_results", DEFAULT_MAX_RESULTS)):
            raw = params.get(name, "").strip()
            try:
                numbers[name] = int(raw) if raw else default
            except ValueError:
                return _atom(400, _error_feed(f"{name} must be an integer"))
            if numbers[name] < 0:
                return _atom(400, _error_feed(f"{name} must be non-negative"))
        start, max_results = numbers["start"], numbers["max_results"]
        parsed: list[tuple[str, int | None]] = []
        for arxiv_id in ids:
            one = parse_id(arxiv_id)
            if one is None:
                # The live API rejects the whole request for the first malformed ID.
                return _atom(400, _error_feed(f"incorrect id format for {arxiv_id}"))
            parsed.append(one)
        with self._lock:
            found = [e for e in (self._entry(b, v) for b, v in parsed) if e is not None]
            older = [e for e in (self._entry(b, 1) for b, _ in parsed) if e is not None]
        first = 0 if self.ignore_start else start
        page = found[first : first + min(max_results, self.page_cap)]
        if fault is not None and fault.kind == "empty":
            page = []
            total = fault.total if fault.total is not None else max(1, len(found))
        else:
            total = len(found) + self.extra_total
        if fault is not None and fault.kind == "duplicate":
            page = [*page, *older]
        head = _feed_head(
            params.get("search_query", ""), params.get("id_list", ""), start, max_results, total
        )
        return _atom(200, b"".join([_FEED_OPEN, head, *page, _FEED_CLOSE]))

    def _apply(self, fault: _Fault, reply: _Reply) -> _Reply:
        kind = fault.kind
        if kind == "drop":
            return _Reply(None)
        if kind == "hang":
            return _Reply(None, hang=True)
        if kind == "html":
            page = _html_page(0, "arXiv is undergoing maintenance. Please try again later.")
            return _Reply(200, [("Content-Type", _HTML_TYPE)], page)
        if kind in ("empty", "duplicate"):
            return reply  # built by _query
        if kind == "trickle":
            return dataclasses.replace(reply, trickle=fault.interval)
        if kind == "huge":
            return _huge_reply(fault.size, fault.announce_full_length)
        if kind == "doctype":
            doctype = (
                b"<!DOCTYPE feed [\n"
                b' <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">\n'
                b' <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
                b' <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n'
                b"]>\n"
            )
            body = reply.body.replace(b"?>\n", b"?>\n" + doctype, 1)
            body = body.replace(b"<title>", b"<title>&c;", 1)
            return dataclasses.replace(reply, body=body)
        if kind == "truncated":
            body = reply.body
            entry = body.find(b"<entry>")
            if entry >= 0:
                end = body.find(b"</entry>", entry)
                cut = entry + (end - entry) // 2
            else:
                cut = len(body) // 2
            if fault.announce_full_length:
                return dataclasses.replace(reply, send_only=cut)
            return dataclasses.replace(reply, body=body[:cut])
        status = int(kind)
        headers = [("Content-Type", _HTML_TYPE)]
        retry_after = fault.retry_after
        if retry_after is ... and status == 503:
            retry_after = 1
        if isinstance(retry_after, float | int) and not isinstance(retry_after, bool):
            value = float(retry_after)
            headers.append(("Retry-After", str(int(value)) if value.is_integer() else str(value)))
        elif isinstance(retry_after, str):
            headers.append(("Retry-After", retry_after))
        text = {
            503: "Service temporarily unavailable (maintenance).",
            429: "Rate exceeded.",
        }.get(status, "Something went wrong.")
        return _Reply(status, headers, _html_page(status, text))


def _atom(status: int, body: bytes) -> _Reply:
    return _Reply(status, [("Content-Type", _ATOM_TYPE)], body)


def _huge_reply(size: int, announce_length: bool) -> _Reply:
    """200 with a well-formed feed whose one entry has an abstract of `size` bytes."""
    head = _FEED_OPEN + _feed_head("", "2101.99999", 0, 1, 1)
    entry_open = (
        b"  <entry>\n    <id>http://arxiv.org/abs/2101.99999v1</id>\n"
        b"    <title>Huge</title>\n    <published>2021-01-01T00:00:00Z</published>\n"
        b"    <summary>"
    )
    tail = b"</summary>\n  </entry>\n" + _FEED_CLOSE

    def chunks() -> Iterator[bytes]:
        yield head + entry_open
        left = size
        block = b"a" * _HUGE_CHUNK
        while left > 0:
            yield block[: min(left, _HUGE_CHUNK)]
            left -= _HUGE_CHUNK
        yield tail

    length = len(head) + len(entry_open) + size + len(tail)
    return _Reply(
        200,
        [("Content-Type", _ATOM_TYPE)],
        chunks=chunks,
        length=length if announce_length else None,
    )


_SYNTHETIC_WORDS = (
    "Sparse",
    "Attention",
    "Gradient",
    "Transformer",
    "Retrieval",
    "Scaling",
    "Diffusion",
    "Alignment",
)
_SYNTHETIC_CATEGORIES = (("cs.LG",), ("cs.CL", "cs.LG"), ("stat.ML", "cs.AI"), ("cs.CV",))


def _synthetic_paper(arxiv_id: str, k: int) -> PaperVersion:
    """Deterministic metadata for the k-th synthetic paper (cheap: no rendering here)."""
    yymm = arxiv_id[:4]
    day = 1 + k % 28
    date = f"20{yymm[:2]}-{yymm[2:]}-{day:02d}T{k % 24:02d}:{k % 60:02d}:00Z"
    word = _SYNTHETIC_WORDS[k % len(_SYNTHETIC_WORDS)]
    categories = _SYNTHETIC_CATEGORIES[k % len(_SYNTHETIC_CATEGORIES)]
    return PaperVersion(
        arxiv_id=arxiv_id,
        version=1,
        title=f"Synthetic {word} Study {arxiv_id}: Deterministic Fixtures for Batch Fetching",
        authors=tuple(f"Author {k}-{j} Synthetic" for j in range(1 + k % 4)),
        abstract=(
            f"We study synthetic paper {arxiv_id} about {word.lower()} in a fake arXiv API. "
            "This abstract is long enough to be hard-wrapped over several lines, so clients "
            "must fold whitespace, and it contains an ampersand & a less-than sign < to "
            "exercise XML escaping."
        ),
        published=date,
        updated=date,
        categories=categories,
        primary_category=categories[0],
        comment=f"{k % 40 + 1} pages" if k % 3 == 0 else None,
        journal_ref=f"Journal of Fakes {k % 50} ({2000 + k % 25})" if k % 5 == 0 else None,
        doi=f"10.5555/fake.{k}" if k % 7 == 0 else None,
    )
