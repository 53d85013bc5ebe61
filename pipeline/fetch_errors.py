"""The one exception tree of the fetch (`fetch.py` describes how each is handled).

    FetchError                 root: anything that went wrong fetching
    ├── TransientError         the server, for now: retried on the same batch
    │   └── MalformedFeed      an answer that is not a usable arXiv feed
    ├── FetchAborted           fatal for the fetch: every ID still waiting is reported
    ├── BatchRejected          bad for the batch: split it to find the culprits
    └── InvalidEntry           bad for one entry: that ID is invalid, the page is kept

A module of its own so the parser (`atom.py`) and the client (`fetch.py`) share it
without importing each other.
"""

from __future__ import annotations


class FetchError(Exception):
    """Root of every error the fetch raises."""


class TransientError(FetchError):
    """The server's trouble, not the request's: 429, 5xx, 406, timeouts, dropped
    connections, HTML pages, unexpectedly empty pages. Retried on the same batch, never
    split for. `retry_after` is the server's Retry-After in seconds, if it sent one."""

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.status = status
        self.retry_after = retry_after


class MalformedFeed(TransientError):
    """The body is not a well-formed arXiv Atom feed (HTML, truncated or oversized XML,
    a DTD); the API sometimes sends such bodies for a moment, so it is retried."""


class FetchAborted(FetchError):
    """Asking again will not help now: the host does not resolve, the URL answers 404, the
    time bound is spent, or arXiv kept refusing through every retry (circuit breaker).
    The message says why in words; it is what the summary shows for every unfetched ID."""


class BatchRejected(FetchError):
    """The request itself is at fault: HTTP 400 (a bad ID in the batch; bisected to find
    it) or 413/414 (too large for the server; halved). `status` says which."""

    def __init__(self, reason: str, *, status: int):
        super().__init__(reason)
        self.status = status


class InvalidEntry(FetchError):
    """One entry of an answer cannot be trusted (bad date, no title, a field beyond arXiv's
    own limits); its ID is reported invalid and the rest of the page is kept."""
