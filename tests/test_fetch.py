"""The arXiv client against a fake arXiv API on 127.0.0.1 (tests/fakearxiv.py)."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from pipeline.fetch import (
    ArxivClient,
    FetchSettings,
    HttpxTransport,
    fetch_papers,
    user_agent,
)
from tests.conftest import SNAPSHOT
from tests.fakearxiv import FakeArxiv


def client(fake: FakeArxiv | str, **settings: Any) -> ArxivClient:
    """A client of `fake` (or of a URL) with tiny waits, so rude servers cost little time."""
    options = {"delay": 0.0, "read_timeout": 5.0, "backoff": 0.01, "max_backoff": 0.05}
    url = fake if isinstance(fake, str) else fake.url
    fetch = FetchSettings(api_url=url, connect_timeout=1.0, **{**options, **settings})
    transport = HttpxTransport(fetch, user_agent=user_agent("mailto:test@example.org"))
    return ArxivClient(transport, fetch)


SEED_IDS = [line.split('"')[3] for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]


def test_31_seed_ids_in_one_polite_post(fake: FakeArxiv) -> None:
    result = fetch_papers(SEED_IDS, client(fake))
    assert len(result.papers) == 31
    assert result.not_found == [] and result.invalid == {} and result.unreachable == {}
    (request,) = fake.requests
    assert request.method == "POST"
    assert request.params["max_results"] == "31"
    assert request.params["start"] == "0"
    assert request.ids == SEED_IDS
    assert "mailto:test@example.org" in request.headers["User-Agent"]
    assert request.headers["Accept"] == "application/atom+xml"
    # The fake hard-wraps titles like the API; the client folds them back.
    assert result.papers["1706.03762"].title == "Attention Is All You Need"


def test_2500_ids_take_two_requests(fake: FakeArxiv) -> None:
    ids = fake.add_synthetic(2500)
    result = fetch_papers(ids, client(fake))
    assert len(result.papers) == 2500
    assert [len(r.ids) for r in fake.requests] == [2000, 500]
    assert [r.params["max_results"] for r in fake.requests] == ["2000", "500"]


def test_batches_are_spaced_by_the_delay(fake: FakeArxiv) -> None:
    ids = fake.add_synthetic(30)
    result = fetch_papers(ids, client(fake, delay=0.3, batch_size=10))
    assert len(result.papers) == 30
    times = [r.time for r in fake.requests]
    assert len(times) == 3
    assert all(b - a >= 0.3 for a, b in itertools.pairwise(times))


def test_a_malformed_id_in_a_batch_of_100_is_isolated(fake: FakeArxiv) -> None:
    ids = fake.add_synthetic(99)
    batch = [*ids[:40], "abc", *ids[40:]]
    result = fetch_papers(batch, client(fake))
    assert sorted(result.papers) == sorted(ids)
    assert result.invalid == {"abc": "incorrect id format for abc"}
    # Bisection: about 2 x log2(100) requests, never one per ID.
    assert len(fake.requests) <= 16
    assert sum(1 for r in fake.requests if r.status == 400) <= 8


def test_a_400_is_not_retried(fake: FakeArxiv) -> None:
    result = fetch_papers(["abc"], client(fake))
    assert result.invalid == {"abc": "incorrect id format for abc"}
    assert len(fake.requests) == 1


def test_nonexistent_ids_come_back_empty_and_are_not_retried(fake: FakeArxiv) -> None:
    result = fetch_papers(["0808.05394", "1707.08567"], client(fake))
    assert result.not_found == ["0808.05394"]
    assert list(result.papers) == ["1707.08567"]
    assert "Dirk Wübben" in [a.name for a in result.papers["1707.08567"].authors]
    assert len(fake.requests) == 1
    fake.requests.clear()
    result = fetch_papers(["0000.0000"], client(fake))
    assert (result.not_found, len(fake.requests)) == (["0000.0000"], 1)


def test_503_twice_then_success_after_three_spaced_requests(fake: FakeArxiv) -> None:
    fake.fail_next("503", times=2, retry_after=0)
    result = fetch_papers(SEED_IDS[:5], client(fake, delay=0.25))
    assert len(result.papers) == 5
    assert [r.status for r in fake.requests] == [503, 503, 200]
    times = [r.time for r in fake.requests]
    assert all(b - a >= 0.25 for a, b in itertools.pairwise(times))


def test_retry_after_is_honoured(fake: FakeArxiv) -> None:
    fake.fail_next("429", retry_after=1)
    result = fetch_papers(SEED_IDS[:3], client(fake))
    assert len(result.papers) == 3
    first, second = fake.requests
    assert second.time - first.time >= 1.0


@pytest.mark.parametrize("fault", ["html", "truncated", "empty", "500", "drop"])
def test_transient_answers_are_retried(fake: FakeArxiv, fault: str) -> None:
    fake.fail_next(fault)
    result = fetch_papers(SEED_IDS[:3], client(fake))
    assert len(result.papers) == 3
    assert len(fake.requests) == 2


def test_a_timeout_is_retried(fake: FakeArxiv) -> None:
    fake.fail_next("hang")
    result = fetch_papers(SEED_IDS[:3], client(fake, read_timeout=0.3))
    assert len(result.papers) == 3
    assert len(fake.requests) == 2


def test_a_server_that_never_answers_ends_within_the_time_bound(fake: FakeArxiv) -> None:
    fake.fail_when(lambda request_ids: True, "hang")
    started = time.monotonic()
    result = fetch_papers(SEED_IDS, client(fake, read_timeout=0.2, max_fetch_time=1.0))
    # Bound: max-fetch-time plus one request's limit (here the read timeout), with slack.
    assert time.monotonic() - started < 1.0 + 0.2 + 1.0
    assert set(result.unreachable) == set(SEED_IDS)
    assert result.papers == {}


def test_no_server_at_all_is_retried_then_reported() -> None:
    result = fetch_papers(SEED_IDS, client("http://127.0.0.1:9/api/query"))
    assert set(result.unreachable) == set(SEED_IDS)
    assert "connection to 127.0.0.1 failed" in result.unreachable[SEED_IDS[0]]
    assert result.requests == 4


def test_every_batch_is_handed_over_as_soon_as_it_is_done(fake: FakeArxiv) -> None:
    ids = fake.add_synthetic(25)
    seen: list[int] = []
    fetch_papers(
        ids, client(fake, batch_size=10), on_settled=lambda b, found: seen.append(len(found))
    )
    assert seen == [10, 10, 5]
