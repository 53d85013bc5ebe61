"""The fetch against rude servers (tests/fakearxiv.py on loopback): 429 storms, lies, trickles.

Waits are tiny here (delays and Retry-After of a fraction of a second): the rules are the
same at any scale, and the bounds asserted are correctness bounds with generous slack.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator

import pytest

from pipeline.atom import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS
from pipeline.fetch import fetch_papers
from tests.conftest import serving_the_seed
from tests.fakearxiv import FakeArxiv
from tests.test_fetch import SEED_IDS, client

RATE_LIMITED = "arXiv is rate limiting this machine (HTTP 429); nothing lost, run again later"


def gaps(fake: FakeArxiv) -> list[float]:
    """Seconds between the arrivals of consecutive requests."""
    return [b.time - a.time for a, b in itertools.pairwise(fake.requests)]


# -- server-side failures: retried on the same batch, never split, then the fetch stops --


def test_a_429_storm_costs_the_attempts_of_one_request_then_stops(fake: FakeArxiv) -> None:
    fake.fail_when(lambda ids: True, "429", retry_after=0.1)
    ids = fake.add_synthetic(30)
    result = fetch_papers(ids, client(fake, batch_size=10))
    assert len(fake.requests) == 4  # one request's attempts; the two other batches never asked
    assert all(r.ids == ids[:10] for r in fake.requests)  # never split
    assert result.unreachable == dict.fromkeys(ids, RATE_LIMITED)
    assert result.papers == {} and result.not_found == []


@pytest.mark.parametrize("fault", ["503", "500", "html", "hang", "drop", "empty", "406"])
def test_server_failures_are_retried_on_the_same_batch_never_split(
    fake: FakeArxiv, fault: str
) -> None:
    fake.fail_when(lambda ids: True, fault, retry_after=None)
    result = fetch_papers(SEED_IDS, client(fake, read_timeout=0.2, attempts=3))
    assert [len(r.ids) for r in fake.requests] == [31, 31, 31]
    assert set(result.unreachable) == set(SEED_IDS)
    assert "nothing lost, run again later" in result.unreachable[SEED_IDS[0]]


def test_two_429s_then_answers_take_three_requests(fake: FakeArxiv) -> None:
    fake.fail_next("429", times=2, retry_after=0.2)
    result = fetch_papers(SEED_IDS, client(fake, delay=0.05))
    assert len(result.papers) == 31 and result.unreachable == {}
    assert [r.status for r in fake.requests] == [429, 429, 200]
    assert all(gap >= 0.2 for gap in gaps(fake))


def test_retry_after_holds_the_next_batch_too(fake: FakeArxiv) -> None:
    # A 413 splits the batch; the halves are other requests, and Retry-After still holds.
    ids = fake.add_synthetic(8)
    fake.fail_next("413", retry_after=0.4)
    result = fetch_papers(ids, client(fake, delay=0.05))
    assert len(result.papers) == 8
    assert [len(r.ids) for r in fake.requests] == [8, 4, 4]
    first, second = gaps(fake)
    assert first >= 0.4
    assert 0.05 <= second < 0.4  # after that, only --delay


def test_the_delay_holds_when_retry_after_is_shorter(fake: FakeArxiv) -> None:
    fake.fail_next("429", retry_after=0.05)
    fetch_papers(SEED_IDS[:3], client(fake, delay=0.3))
    assert gaps(fake)[0] >= 0.3


def test_each_retry_is_one_log_line_with_the_answer_the_wait_and_the_attempt(
    fake: FakeArxiv, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("429", times=2, retry_after=0.1)
    with caplog.at_level(logging.INFO, logger="pipeline"):
        fetch_papers(SEED_IDS[:3], client(fake))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "arXiv: HTTP 429 (Retry-After 0.1 s); waiting 0.1 s before attempt 2 of 4 (3 IDs, start 0)",
        "arXiv: HTTP 429 (Retry-After 0.1 s); waiting 0.1 s before attempt 3 of 4 (3 IDs, start 0)",
    ]


def test_backoff_grows_without_retry_after(fake: FakeArxiv) -> None:
    fake.fail_next("503", times=3, retry_after=None)
    fetch_papers(SEED_IDS[:3], client(fake, backoff=0.1, max_backoff=10.0))
    # Backoff with jitter: between half and all of 0.1, 0.2, 0.4 seconds.
    first, second, third = gaps(fake)
    assert first >= 0.05 and second >= 0.1 and third >= 0.2


def test_a_retry_after_past_the_time_bound_ends_the_fetch_at_once(fake: FakeArxiv) -> None:
    fake.fail_when(lambda ids: True, "429", retry_after=3600)
    started = time.monotonic()
    result = fetch_papers(SEED_IDS, client(fake, max_fetch_time=5.0))
    assert time.monotonic() - started < 2
    assert len(fake.requests) == 1
    assert "time bound (5 s); arXiv's last trouble: HTTP 429" in result.unreachable[SEED_IDS[0]]


def test_the_time_bound_is_checked_before_every_request(fake: FakeArxiv) -> None:
    fake.fail_when(lambda ids: True, "503", retry_after=0.3)
    started = time.monotonic()
    result = fetch_papers(SEED_IDS, client(fake, max_fetch_time=0.5, attempts=100))
    assert time.monotonic() - started < 0.5 + 1.0
    assert len(fake.requests) == 2  # at 0 s and 0.3 s; the next would start after the bound
    assert "time bound" in result.unreachable[SEED_IDS[0]]


# -- what a batch causes: split --


def test_413_halves_the_batch_until_the_server_takes_it(fake: FakeArxiv) -> None:
    ids = fake.add_synthetic(20)
    fake.fail_when(lambda request_ids: len(request_ids) > 5, "413")
    result = fetch_papers(ids, client(fake))
    assert sorted(result.papers) == sorted(ids)
    assert [len(r.ids) for r in fake.requests] == [20, 10, 5, 5, 10, 5, 5]


# -- every wait bounded --


def test_a_trickling_body_is_ended_by_the_request_limit_and_retried(fake: FakeArxiv) -> None:
    fake.fail_next("trickle", interval=0.05)
    started = time.monotonic()
    result = fetch_papers(SEED_IDS, client(fake, request_time_limit=0.5))
    assert len(result.papers) == 31
    assert len(fake.requests) == 2
    assert fake.requests[1].time - started < 0.5 + 1.0


def test_a_server_trickling_for_ever_ends_within_the_time_bound(fake: FakeArxiv) -> None:
    fake.fail_when(lambda ids: True, "trickle", interval=0.05)
    started = time.monotonic()
    result = fetch_papers(SEED_IDS, client(fake, request_time_limit=0.4, max_fetch_time=1.0))
    assert time.monotonic() - started < 1.0 + 0.4 + 1.0
    assert set(result.unreachable) == set(SEED_IDS)


@pytest.fixture
def ignores_start() -> Iterator[FakeArxiv]:
    yield from serving_the_seed(FakeArxiv(page_cap=10, ignore_start=True, extra_total=100))


def test_a_server_that_ignores_start_is_asked_once_more_not_for_ever(
    ignores_start: FakeArxiv,
) -> None:
    result = fetch_papers(SEED_IDS, client(ignores_start))
    assert len(ignores_start.requests) == 2
    assert sorted(result.papers) == sorted(SEED_IDS[:10])
    assert set(result.unreachable) == set(SEED_IDS[10:])
    assert "brought no new paper" in result.unreachable[SEED_IDS[10]]


@pytest.fixture
def announces_too_much() -> Iterator[FakeArxiv]:
    yield from serving_the_seed(FakeArxiv(page_cap=10, extra_total=5))


def test_entries_of_a_short_answer_are_kept(announces_too_much: FakeArxiv) -> None:
    ghosts = ["2601.99991", "2601.99992", "2601.99993"]
    saved: list[str] = []
    result = fetch_papers(
        [*SEED_IDS[:20], *ghosts],
        client(announces_too_much, attempts=2),
        on_settled=lambda ids, found: saved.extend(found),
    )
    assert sorted(result.papers) == sorted(SEED_IDS[:20]) == sorted(saved)
    assert sorted(result.unreachable) == ghosts
    assert [len(r.ids) for r in announces_too_much.requests] == [23, 23, 23, 23]


# -- keep what arrived --


def test_one_malformed_entry_is_isolated(fake: FakeArxiv) -> None:
    fake.add_paper("2101.00101", title="Bad date", authors=["A. Author"], published="yesterday")
    fake.add_paper("2101.00102", title="", authors=["A. Author"])
    fake.add_paper("2101.00103", title="Long", authors=["B"], abstract="x " * MAX_ABSTRACT_CHARS)
    fake.add_paper("2101.00104", title="T" * (MAX_TITLE_CHARS + 1), authors=["C"])
    bad = ["2101.00101", "2101.00102", "2101.00103", "2101.00104"]
    result = fetch_papers([*SEED_IDS, *bad], client(fake))
    assert sorted(result.papers) == sorted(SEED_IDS)
    assert sorted(result.invalid) == bad
    assert "<published> is not a date: 'yesterday'" in result.invalid["2101.00101"]
    assert "without a title" in result.invalid["2101.00102"]
    assert f"more than the {MAX_ABSTRACT_CHARS} allowed" in result.invalid["2101.00103"]
    assert f"more than the {MAX_TITLE_CHARS} allowed" in result.invalid["2101.00104"]
    assert len(fake.requests) == 1


def test_two_entries_for_one_id_keep_the_highest_version(
    fake: FakeArxiv, caplog: pytest.LogCaptureFixture
) -> None:
    fake.set_version("1706.03762", 7, title="Attention Is All You Need, Again")
    fake.fail_next("duplicate")
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        result = fetch_papers(["1706.03762", "1810.04805"], client(fake))
    paper = result.papers["1706.03762"]
    assert (paper.latest_version, paper.title) == (7, "Attention Is All You Need, Again")
    assert "arXiv sent 1706.03762 twice in one answer (v7 and v1); kept v7" in caplog.text


# -- size limits and no DTDs --


def test_an_oversized_answer_is_refused_without_reading_it_and_retried(fake: FakeArxiv) -> None:
    fake.fail_next("huge", size=80 * 1024 * 1024, announce_full_length=True)
    result = fetch_papers(SEED_IDS, client(fake))
    assert len(result.papers) == 31
    assert len(fake.requests) == 2


def test_an_oversized_body_without_length_is_read_only_up_to_the_bound(fake: FakeArxiv) -> None:
    fake.fail_when(lambda ids: True, "huge", size=200 * 1024 * 1024)
    result = fetch_papers(SEED_IDS, client(fake, attempts=1, max_response_bytes=1024 * 1024))
    assert "over the bound of 1 MB" in result.unreachable[SEED_IDS[0]]
    (request,) = fake.requests
    assert request.bytes_sent < 50 * 1024 * 1024  # the client stopped reading


def test_a_doctype_with_entities_is_refused_then_retried(fake: FakeArxiv) -> None:
    fake.fail_next("doctype")
    result = fetch_papers(SEED_IDS[:3], client(fake))
    assert len(result.papers) == 3
    assert len(fake.requests) == 2


# -- fatal for the fetch: one try --


def test_a_host_that_does_not_resolve_is_reported_after_one_try() -> None:
    fetcher = client("http://no-such-host.invalid/api/query")
    result = fetch_papers(SEED_IDS, fetcher)
    assert result.requests == 1
    reason = result.unreachable[SEED_IDS[0]]
    assert reason.startswith("the API host no-such-host.invalid does not resolve")


def test_a_wrong_path_is_reported_after_one_try(fake: FakeArxiv) -> None:
    result = fetch_papers(SEED_IDS, client(fake.url.replace("/api/query", "/api/qurey")))
    assert result.requests == 1
    assert "HTTP 404" in result.unreachable[SEED_IDS[0]]
