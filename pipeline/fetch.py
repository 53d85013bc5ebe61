"""Fetch arXiv metadata: batched, paced, retried, every wait bounded, nothing good thrown away.

Layers, outermost first:
- `fetch_papers`   batches of IDs, each paged with `start`; results are handed over batch by
                   batch (`on_settled`) so the caller can save them at once.
- `ArxivClient`    one page of one batch: paced by the `Pacer`, retried on the same batch.
- `Transport`      one HTTP POST; `HttpxTransport` is the only code that touches the network.

The errors form one tree (`pipeline/fetch_errors.py`); what each costs:

- `TransientError` (the server's trouble, for now: 429, 5xx, 406, 408, timeouts, dropped
  connections, HTML pages, `MalformedFeed` bodies, an empty page the feed says should have
  entries): the same request is retried, never split. Retry-After is a promise: the `Pacer`
  holds every later request, whichever batch it belongs to, until it has passed (and always
  `delay` seconds after the previous request ended); without Retry-After the wait grows
  exponentially, with jitter. Each wait is one `logging` line: what arXiv answered, how long
  the wait, attempt k of n.
- `FetchAborted` (fatal for the fetch): the host does not resolve (after one try), the URL
  answers 404 or another status retrying cannot change, the time bound (`max_fetch_time`,
  checked before every request, pages and retries included) is spent, or a request used up
  its attempts on a `TransientError` (circuit breaker: when arXiv says stop, stop asking).
  Every ID still waiting is reported unreachable with the reason in words; what arrived
  before is kept.
- `BatchRejected` (bad for the batch): HTTP 400 bisects the batch down to the bad IDs
  (reported invalid with the API's reason); 413/414 halve it. The only reasons to split.
- `InvalidEntry` (bad for one entry: a bad date, no title, a field beyond arXiv's limits):
  that ID is reported invalid with the reason, the rest of the page is kept.

Every wait is bounded: each request has connect and read timeouts and a wall-clock limit that
also ends a body trickling in; an answer over `MAX_RESPONSE_BYTES` is refused unread past the
bound; a page that brings no new ID ends the paging of its batch.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

from pipeline.atom import FeedPage, parse_feed
from pipeline.fetch_errors import BatchRejected, FetchAborted, MalformedFeed, TransientError
from pipeline.models import Paper

log = logging.getLogger(__name__)

# The defaults of a fetch, in one place (the command line shows them in --help).
DEFAULT_API_URL = "https://export.arxiv.org/api/query"
MAX_BATCH_SIZE = 2000  # the API returns at most 2000 results per request
DEFAULT_DELAY = 3.0  # arXiv's terms: no more than one request every three seconds
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 60.0  # longest silence while waiting for bytes of an answer
DEFAULT_REQUEST_TIME_LIMIT = 180.0  # one request, start to last byte (a 2000-entry page is ~2 MB)
DEFAULT_MAX_FETCH_TIME = 1800.0  # the whole fetch; what is left then is reported unreachable
DEFAULT_ATTEMPTS = 4  # per request; then the circuit breaker ends the fetch
DEFAULT_BACKOFF = 3.0  # first wait after a failure without Retry-After; doubles each time
MAX_BACKOFF = 60.0
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a full 2000-entry page is about 5 MB

PROJECT_AGENT = "learning-resources-arxiv-enricher/0.1"
ATOM_MEDIA_TYPE = "application/atom+xml"
# Statuses that say "not now" rather than "not this request": retried on the same batch.
# 406: the live API answers it in throttling windows (and without an Accept header).
_TRANSIENT_STATUSES = frozenset({406, 408, 425, 429})


@dataclass(frozen=True)
class FetchSettings:
    """Everything one fetch needs; built once (from the command line) and never changed."""

    api_url: str = DEFAULT_API_URL
    delay: float = DEFAULT_DELAY  # least seconds between the end of one request and the next
    batch_size: int = MAX_BATCH_SIZE
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    request_time_limit: float = DEFAULT_REQUEST_TIME_LIMIT
    max_fetch_time: float = DEFAULT_MAX_FETCH_TIME
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF
    max_backoff: float = MAX_BACKOFF
    max_response_bytes: int = MAX_RESPONSE_BYTES


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class Transport(Protocol):
    """One form-encoded POST at a time; closed with `close()` or by `with transport:`."""

    def post(self, url: str, form: Mapping[str, str], *, time_limit: float) -> Response:
        """Send one POST and read the whole answer within `time_limit` seconds.

        Raise TransientError (timeouts, dropped connections, the time limit),
        MalformedFeed (an answer over the size bound) or FetchAborted (host not found).
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def user_agent(contact: str | None) -> str:
    """Identify the client and a contact, as arXiv asks (generic agents are throttled)."""
    return f"{PROJECT_AGENT} ({contact})" if contact else PROJECT_AGENT


class HttpxTransport(Transport):
    """The network edge: one connection, timeouts, a wall-clock limit and a size bound."""

    def __init__(self, settings: FetchSettings, *, user_agent: str) -> None:
        # Imported here: an offline run (every `make enrich` from the cache) never needs it,
        # and it is 50 ms of every start-up otherwise.
        import httpx

        self._max_bytes = settings.max_response_bytes
        self._connect_timeout = settings.connect_timeout
        self._read_timeout = settings.read_timeout
        self._client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept": ATOM_MEDIA_TYPE},
            limits=httpx.Limits(max_connections=1),
            follow_redirects=True,
        )

    def post(self, url: str, form: Mapping[str, str], *, time_limit: float) -> Response:
        return self._send("POST", url, time_limit, "the API host", "--api-url", data=dict(form))

    def get(self, url: str, *, time_limit: float, accept: str) -> Response:
        """One GET (arXiv's RSS listing feeds), bounded and mapped to errors like `post`."""
        headers = {"Accept": accept}
        return self._send("GET", url, time_limit, "the host", "--rss-url", headers=headers)

    def _send(
        self, method: str, url: str, time_limit: float, what: str, option: str, **request: Any
    ) -> Response:
        import httpx

        ends = time.monotonic() + time_limit
        timeout = httpx.Timeout(
            min(self._read_timeout, time_limit), connect=min(self._connect_timeout, time_limit)
        )
        try:
            with self._client.stream(method, url, timeout=timeout, **request) as reply:
                headers = {k.lower(): v for k, v in reply.headers.items()}
                body = self._read(reply, headers, ends, time_limit)
        except httpx.TimeoutException as error:
            raise TransientError(f"no answer in time ({type(error).__name__})") from None
        except httpx.TransportError as error:
            host = urlsplit(url).hostname
            not_found = _cause(error, socket.gaierror)
            if not_found is not None:
                raise FetchAborted(
                    f"{what} {host} does not resolve ({not_found.strerror}); "
                    f"check {option} and the network"
                ) from None
            raise TransientError(f"connection to {host} failed ({type(error).__name__})") from None
        return Response(reply.status_code, headers, body)

    def _read(
        self, reply: httpx.Response, headers: Mapping[str, str], ends: float, limit: float
    ) -> bytes:
        """The body, streamed: never past the size bound, never past the wall-clock limit."""
        announced = headers.get("content-length", "")
        if announced.isdigit() and int(announced) > self._max_bytes:
            raise MalformedFeed(f"an answer of {announced} bytes, over {_bound(self._max_bytes)}")
        chunks: list[bytes] = []
        size = 0
        for chunk in reply.iter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise MalformedFeed(f"an answer over {_bound(self._max_bytes)}")
            if time.monotonic() > ends:
                raise TransientError(f"answer took longer than {limit:.3g} s (request limit)")
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self._client.close()


_E = TypeVar("_E", bound=BaseException)
_T = TypeVar("_T")


def _bound(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    return f"the bound of {megabytes:g} MB" if megabytes >= 1 else f"the bound of {limit} bytes"


def _cause(error: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of type `kind` in the chain that led to `error`."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class Pacer:
    """Holds requests back: `delay` after the previous one ended, and past any Retry-After.

    One pacer serves the whole fetch, so a wait arXiv asked for also holds the next batch.
    """

    def __init__(
        self,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._not_before = -math.inf

    def hold(self, seconds: float) -> None:
        """No request before `seconds` from now (a longer hold already set stays)."""
        self._not_before = max(self._not_before, self._clock() + seconds)

    def pending(self) -> float:
        """Seconds until the next request may go."""
        return max(0.0, self._not_before - self._clock())

    def wait(self) -> None:
        if (seconds := self.pending()) > 0:
            self._sleep(seconds)

    def done(self) -> None:
        """A request just ended."""
        self.hold(self.delay)


class ArxivClient:
    """Asks for one page of one batch at a time, paced and retried; one client per fetch.

    The fetch's time bound starts when the client is made.
    """

    def __init__(
        self,
        transport: Transport,
        settings: FetchSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.transport = transport
        self.settings = settings
        self.pacer = Pacer(settings.delay, clock, sleep)
        self._clock = clock
        self._now = now
        self._jitter = jitter
        self.deadline = clock() + settings.max_fetch_time
        self.requests_sent = 0
        self._last_trouble: TransientError | None = None

    def page(self, ids: Sequence[str], start: int) -> FeedPage:
        """The page of the answer for `ids` that begins at `start`, retried while transient.

        Raise FetchAborted when the attempts are used up (circuit breaker) or time is out.
        """
        return self.retried(lambda: self._request(ids, start), f"{len(ids)} IDs, start {start}")

    def retried(self, request: Callable[[], _T], what: str) -> _T:
        """`request()`, retried while it raises TransientError (the API and the RSS feeds).

        Raise FetchAborted when the attempts are used up (circuit breaker) or time is out.
        """
        attempts = self.settings.attempts
        attempt = 1
        while True:
            try:
                result = request()
            except TransientError as error:
                self._last_trouble = error
                if attempt >= attempts:
                    raise FetchAborted(_gave_up(error, attempts)) from None
                if error.retry_after is None:
                    self.pacer.hold(self._backoff(attempt))
                attempt += 1
                log.warning(
                    "arXiv: %s; waiting %.1f s before attempt %d of %d (%s)",
                    _answer(error),
                    self.pacer.pending(),
                    attempt,
                    attempts,
                    what,
                )
                continue
            self._last_trouble = None
            return result

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter (half to all of the doubled wait)."""
        base = min(self.settings.max_backoff, self.settings.backoff * 2.0 ** (attempt - 1))
        return base * (0.5 + self._jitter() / 2)

    def _request(self, ids: Sequence[str], start: int) -> FeedPage:
        form = {
            "id_list": ",".join(ids),
            "start": str(start),
            # Always explicit: the API's default of 10 silently truncates longer id_lists.
            "max_results": str(len(ids)),
        }
        url = self.settings.api_url
        response = self.send(lambda limit: self.transport.post(url, form, time_limit=limit))
        return self._page(response, start)

    def send(self, request: Callable[[float], Response]) -> Response:
        """One request, paced and within the time bound: `request(time_limit)` sends it.

        A Retry-After in the answer holds every later request (of any kind) until it passed.
        """
        left = self.deadline - self._clock()
        if self.pacer.pending() >= left:
            raise FetchAborted(self._out_of_time())
        self.pacer.wait()
        limit = min(self.settings.request_time_limit, max(self.deadline - self._clock(), 0.001))
        self.requests_sent += 1
        try:
            response = request(limit)
        finally:
            self.pacer.done()
        retry_after = _retry_after(response.headers.get("retry-after"))
        if retry_after is not None:
            self.pacer.hold(retry_after)  # a promise, whatever the status and the next batch
        return response

    def _page(self, response: Response, start: int) -> FeedPage:
        status = response.status
        if status == 400:
            raise BatchRejected(_error_summary(response.body) or "HTTP 400", status=400)
        if status in (413, 414):
            raise BatchRejected(f"HTTP {status}: the request is too large for arXiv", status=status)
        check_status(response, f"{self.settings.api_url}; is --api-url right?")
        if "html" in response.headers.get("content-type", ""):
            raise MalformedFeed("an HTML page instead of the Atom feed", status=200)
        page = parse_feed(response.body, self._now())
        # An empty page is a hiccup only if the feed itself says entries should be here;
        # a batch of nonexistent IDs legitimately comes back empty.
        if page.entries == 0 and page.total_results > start:
            raise TransientError(
                f"an empty page although the feed announces {page.total_results} results",
                status=200,
            )
        return page

    def _out_of_time(self) -> str:
        reason = f"the fetch ran out of its time bound ({self.settings.max_fetch_time:g} s)"
        if self._last_trouble is not None:
            reason += f"; arXiv's last trouble: {_answer(self._last_trouble)}"
        return reason


def check_status(response: Response, where: str) -> None:
    """TransientError for statuses that say "not now" (429, 5xx...), FetchAborted for other
    non-200 ones (404 at a wrong URL: retrying cannot help). `where` ends the message."""
    status = response.status
    if status in _TRANSIENT_STATUSES or status >= 500:
        retry_after = _retry_after(response.headers.get("retry-after"))
        raise TransientError(f"HTTP {status}", status=status, retry_after=retry_after)
    if status != 200:
        raise FetchAborted(f"HTTP {status} from {where}")


def _answer(error: TransientError) -> str:
    if error.retry_after is not None:
        return f"{error} (Retry-After {error.retry_after:g} s)"
    return str(error)


def _gave_up(error: TransientError, attempts: int) -> str:
    """Why the fetch stopped, in words for the summary."""
    if error.status == 429:
        return "arXiv is rate limiting this machine (HTTP 429); nothing lost, run again later"
    if error.status is not None and error.status >= 500:
        return (
            f"arXiv is unavailable (HTTP {error.status}, {attempts} attempts); "
            "nothing lost, run again later"
        )
    return f"arXiv kept failing ({error}, {attempts} attempts); nothing lost, run again later"


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date; None if absent or nonsense."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, float((when - datetime.now(UTC)).total_seconds()))
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _error_summary(body: bytes) -> str | None:
    try:
        errors = parse_feed(body, datetime.now(UTC)).errors
    except MalformedFeed:
        return None
    return "; ".join(errors) or None


@dataclass
class FetchResult:
    papers: dict[str, Paper] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)  # ID -> why (the API's or ours)
    unreachable: dict[str, str] = field(default_factory=dict)  # ID -> why it was not fetched
    requests: int = 0


@dataclass
class _Batch:
    """What arrived for one batch so far."""

    ids: list[str]
    papers: dict[str, Paper] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)

    def waiting(self) -> list[str]:
        return [i for i in self.ids if i not in self.papers and i not in self.invalid]

    def add(self, page: FeedPage) -> int:
        """Take a page's entries for this batch; returns how many IDs arrived for the first time."""
        wanted = set(self.ids)
        before = len(self.papers) + len(self.invalid)
        for paper in _highest_versions(page.papers):
            if paper.arxiv_id not in wanted:
                continue
            known = self.papers.get(paper.arxiv_id)
            if known is not None:  # a page repeated by a server that ignores `start`
                paper = max(known, paper, key=_version)
            self.papers[paper.arxiv_id] = paper
            self.invalid.pop(paper.arxiv_id, None)
        for arxiv_id, reason in page.invalid.items():
            if arxiv_id in wanted and arxiv_id not in self.papers:
                self.invalid[arxiv_id] = f"arXiv sent an entry that cannot be used: {reason}"
        if page.unidentified:
            log.warning("arXiv sent %d entries without a usable arXiv ID", page.unidentified)
        return len(self.papers) + len(self.invalid) - before


def _version(paper: Paper) -> int:
    return paper.latest_version or 0


def _highest_versions(papers: Sequence[Paper]) -> list[Paper]:
    """One paper per ID: two entries for one ID in one answer keep the highest version."""
    kept: dict[str, Paper] = {}
    for paper in papers:
        known = kept.get(paper.arxiv_id)
        if known is not None:
            winner = max(known, paper, key=_version)
            log.warning(
                "arXiv sent %s twice in one answer (v%s and v%s); kept v%s",
                paper.arxiv_id,
                known.latest_version,
                paper.latest_version,
                winner.latest_version,
            )
            paper = winner
        kept[paper.arxiv_id] = paper
    return list(kept.values())


def fetch_papers(
    ids: Sequence[str],
    client: ArxivClient,
    on_settled: Callable[[Sequence[str], dict[str, Paper]], None] = lambda ids, papers: None,
) -> FetchResult:
    """Fetch metadata of `ids`; never fatal for one bad or missing ID, never throws away
    what arrived.

    `on_settled` receives each set of IDs as soon as it is settled (found, missing, invalid
    or given up) with the papers found, so a caller can save every batch at once: a run
    that is killed later keeps what it already fetched.
    """
    size = max(1, min(client.settings.batch_size, MAX_BATCH_SIZE))
    queue = deque(list(ids[i : i + size]) for i in range(0, len(ids), size))
    result = FetchResult()
    while queue:
        batch = _Batch(queue.popleft())
        try:
            short = _fetch_batch(client, batch)
        except BatchRejected as error:
            rest = batch.waiting()
            if len(rest) > 1:
                queue.extendleft(reversed(_halves(rest)))  # settled when the halves are
            elif rest and error.status == 400:
                batch.invalid[rest[0]] = str(error)
            elif rest:
                result.unreachable[rest[0]] = str(error)
            settled = [i for i in batch.ids if len(rest) == 1 or i not in rest]
            _settle(result, batch, settled, on_settled)
            continue
        except FetchAborted as error:
            log.error("fetch stopped: %s", error)
            waiting = [*batch.waiting(), *(i for b in queue for i in b)]
            result.unreachable.update(dict.fromkeys(waiting, str(error)))
            _settle(result, batch, batch.ids, on_settled)
            break
        if short is None:
            result.not_found.extend(batch.waiting())
        else:
            result.unreachable.update(dict.fromkeys(batch.waiting(), short))
        _settle(result, batch, batch.ids, on_settled)
    result.requests = client.requests_sent
    return result


def _fetch_batch(client: ArxivClient, batch: _Batch) -> str | None:
    """Page through the answer for one batch into `batch`.

    Returns None when the answer is complete, or why the paging stopped short.
    """
    start = 0
    while True:
        page = client.page(batch.ids, start)
        arrived = batch.add(page)
        start += page.entries
        if not batch.waiting() or start >= page.total_results:
            return None
        if arrived == 0:
            # A server that ignores `start` (or announces more than it has) would be asked
            # for ever: a page with nothing new ends the batch.
            return (
                f"arXiv announced {page.total_results} results but its page at start "
                f"{start - page.entries} brought no new paper"
            )


def _settle(
    result: FetchResult,
    batch: _Batch,
    ids: Sequence[str],
    on_settled: Callable[[Sequence[str], dict[str, Paper]], None],
) -> None:
    """Record what arrived for `ids` and hand it over."""
    settled = set(ids)
    found = {i: p for i, p in batch.papers.items() if i in settled}
    result.papers.update(found)
    result.invalid.update({i: r for i, r in batch.invalid.items() if i in settled})
    if ids:
        on_settled(ids, found)


def _halves(batch: list[str]) -> list[list[str]]:
    middle = len(batch) // 2
    return [batch[:middle], batch[middle:]]
