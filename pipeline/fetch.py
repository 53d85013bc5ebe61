"""Fetch arXiv metadata: batched, paced, retried, and split around failures.

Layers, outermost first:
- `fetch_papers`   batches of IDs; a batch the API rejects (400) is bisected to isolate
                   the bad IDs, a batch that keeps failing (timeouts, 5xx) is halved
                   down to single IDs; results are handed over batch by batch.
- `ArxivClient`    one batch: POST requests paged with `start`, each retried with
                   tenacity (exponential backoff with jitter, Retry-After honoured).
- `Transport`      one HTTP POST; `HttpxTransport` is the only code that touches the network.
"""

from __future__ import annotations

import email.utils
import functools
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_any,
    stop_before_delay,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from pipeline.atom import FeedPage, MalformedFeed, parse_feed
from pipeline.models import Paper

DEFAULT_API_URL = "https://export.arxiv.org/api/query"
MAX_BATCH_SIZE = 2000  # the API returns at most 2000 results per request
PROJECT_AGENT = "learning-resources-arxiv-enricher/0.1"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class TransportTimeout(Exception):
    """The server did not answer within the connect or read timeout."""


class TransportUnreachable(Exception):
    """The connection could not be made or was dropped."""


class Transport(Protocol):
    def post(self, url: str, form: Mapping[str, str]) -> Response:
        """Send one form-encoded POST; raise TransportTimeout or TransportUnreachable."""
        ...


def user_agent(contact: str | None) -> str:
    """Identify the client and a contact, as arXiv asks (generic agents are throttled)."""
    return f"{PROJECT_AGENT} ({contact})" if contact else PROJECT_AGENT


class HttpxTransport:
    """The network edge: one connection, explicit connect and read timeouts."""

    def __init__(self, *, user_agent: str, connect_timeout: float, read_timeout: float) -> None:
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            limits=httpx.Limits(max_connections=1),
            follow_redirects=True,
        )

    def post(self, url: str, form: Mapping[str, str]) -> Response:
        try:
            reply = self._client.post(url, data=dict(form))
        except httpx.TimeoutException as error:
            raise TransportTimeout(f"no answer in time ({type(error).__name__})") from None
        except httpx.TransportError as error:
            raise TransportUnreachable(f"{type(error).__name__}: {error}") from None
        headers = {k.lower(): v for k, v in reply.headers.items()}
        return Response(reply.status_code, headers, reply.content)

    def close(self) -> None:
        self._client.close()


@dataclass
class FetchSettings:
    api_url: str = DEFAULT_API_URL
    delay: float = 3.0  # least seconds between the end of one request and the next
    batch_size: int = MAX_BATCH_SIZE
    max_attempts: int = 4  # per request
    max_retry_seconds: float = 120.0  # per request, waits included
    backoff_initial: float = 3.0
    backoff_max: float = 60.0
    deadline_seconds: float = 1800.0  # the whole fetch; what is left then is "unreachable"


class Pacer:
    """Keeps at least `delay` seconds between requests, retries included (arXiv's terms)."""

    def __init__(
        self,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._last_end: float | None = None

    def wait(self) -> None:
        if self._last_end is not None:
            remaining = self._last_end + self.delay - self._clock()
            if remaining > 0:
                self._sleep(remaining)

    def done(self) -> None:
        self._last_end = self._clock()


class TransientError(Exception):
    """Worth retrying: timeouts, 429, 5xx, HTML or malformed bodies, unexpected empty pages."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ServerUnreachable(TransientError):
    """No connection could be made (or it was dropped)."""


class BadRequest(Exception):
    """HTTP 400: the API rejected some ID of the request."""


class PermanentError(Exception):
    """An answer that retrying will not change (e.g. 404 at a wrong --api-url)."""


class ArxivClient:
    """Fetches one batch of IDs, page by page, each request paced and retried."""

    def __init__(
        self,
        transport: Transport,
        settings: FetchSettings,
        pacer: Pacer | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC).replace(microsecond=0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.settings = settings
        self.pacer = pacer or Pacer(settings.delay)
        self._sleep = sleep
        self._now = now
        self.clock = clock
        self.requests_sent = 0
        self.deadline: float | None = None  # monotonic time after which retries stop

    def fetch_batch(self, ids: Sequence[str]) -> list[Paper]:
        """All papers the API returns for `ids` (absent ones are simply not in the list)."""
        papers: list[Paper] = []
        start = 0
        page_size = len(ids)
        while True:
            page = self._retrying(functools.partial(self._request, ids, start, page_size))
            papers.extend(page.papers)
            start += len(page.papers)
            # The API may cut a page short of max_results; ask for the rest with `start`.
            if not page.papers or start >= page.total_results:
                return papers

    def _retrying(self, request: Callable[[], FeedPage]) -> FeedPage:
        backoff = wait_exponential_jitter(
            multiplier=self.settings.backoff_initial, max=self.settings.backoff_max
        )

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            retry_after = error.retry_after if isinstance(error, TransientError) else None
            return max(backoff(state), retry_after or 0.0)

        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=stop_any(
                stop_after_attempt(self.settings.max_attempts),
                stop_before_delay(self.settings.max_retry_seconds),
                _StopAtDeadline(self),
            ),
            wait=wait,
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(request)

    def _request(self, ids: Sequence[str], start: int, max_results: int) -> FeedPage:
        form = {
            "id_list": ",".join(ids),
            "start": str(start),
            # Always explicit: the API's default of 10 silently truncates longer id_lists.
            "max_results": str(max_results),
        }
        self.pacer.wait()
        try:
            self.requests_sent += 1
            response = self.transport.post(self.settings.api_url, form)
        except TransportTimeout as error:
            raise TransientError(str(error)) from None
        except TransportUnreachable as error:
            raise ServerUnreachable(str(error)) from None
        finally:
            self.pacer.done()
        return self._page(response, start)

    def _page(self, response: Response, start: int) -> FeedPage:
        status = response.status
        if status == 400:
            raise BadRequest(_error_summary(response.body) or "HTTP 400")
        if status == 429 or status >= 500:
            retry_after = _retry_after(response.headers.get("retry-after"))
            raise TransientError(f"HTTP {status}", retry_after)
        if status != 200:
            raise PermanentError(f"HTTP {status} from {self.settings.api_url}")
        try:
            page = parse_feed(response.body, self._now())
        except MalformedFeed as error:
            raise TransientError(f"malformed answer: {error}") from None
        # An empty page is a hiccup only if the feed itself says entries should be here;
        # a batch of nonexistent IDs legitimately comes back empty.
        if not page.papers and page.total_results > start:
            raise TransientError("empty page although the feed announces results")
        return page


class _StopAtDeadline(stop_base):
    """Never sleep past the whole fetch's deadline waiting for a retry."""

    def __init__(self, client: ArxivClient) -> None:
        self.client = client

    def __call__(self, retry_state: RetryCallState) -> bool:
        deadline = self.client.deadline
        upcoming = retry_state.upcoming_sleep or 0.0
        return deadline is not None and self.client.clock() + upcoming >= deadline


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


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
    invalid: dict[str, str] = field(default_factory=dict)  # ID -> the API's reason
    unreachable: dict[str, str] = field(default_factory=dict)  # ID -> last error
    requests: int = 0


def fetch_papers(
    ids: Sequence[str],
    client: ArxivClient,
    on_settled: Callable[[Sequence[str], dict[str, Paper]], None] = lambda ids, papers: None,
    clock: Callable[[], float] = time.monotonic,
) -> FetchResult:
    """Fetch metadata of `ids`; never fatal for one bad or missing ID.

    `on_settled` receives each set of IDs as soon as it is settled (found, missing,
    invalid or given up) with the papers found, so a caller can save every batch at once:
    a run that is killed later keeps what it already fetched.
    """
    settings = client.settings
    deadline = clock() + settings.deadline_seconds
    client.deadline = deadline
    size = max(1, min(settings.batch_size, MAX_BATCH_SIZE))
    queue = deque(list(ids[i : i + size]) for i in range(0, len(ids), size))
    result = FetchResult()
    while queue:
        batch = queue.popleft()
        if clock() >= deadline:
            _give_up(result, [batch, *queue], "the fetch ran out of its time bound")
            break
        try:
            papers = client.fetch_batch(batch)
        except BadRequest as error:
            if len(batch) == 1:
                result.invalid[batch[0]] = str(error)
                on_settled(batch, {})
            else:
                queue.extendleft(reversed(_halves(batch)))
            continue
        except ServerUnreachable as error:
            _give_up(result, [batch, *queue], f"arXiv API unreachable: {error}")
            break
        except TransientError as error:
            if len(batch) == 1:
                result.unreachable[batch[0]] = f"gave up after retries: {error}"
                on_settled(batch, {})
            else:
                queue.extendleft(reversed(_halves(batch)))
            continue
        except PermanentError as error:
            _give_up(result, [batch, *queue], str(error))
            break
        wanted = set(batch)
        found = {p.arxiv_id: p for p in papers if p.arxiv_id in wanted}
        result.papers.update(found)
        result.not_found.extend(i for i in batch if i not in found)
        on_settled(batch, found)
    result.requests = client.requests_sent
    return result


def _halves(batch: list[str]) -> list[list[str]]:
    middle = len(batch) // 2
    return [batch[:middle], batch[middle:]]


def _give_up(result: FetchResult, batches: list[list[str]], reason: str) -> None:
    for batch in batches:
        for arxiv_id in batch:
            result.unreachable[arxiv_id] = reason
