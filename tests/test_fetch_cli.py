"""The fetch as a user meets it: `python -m pipeline enrich` against a rude fake API."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from tests.fakearxiv import FakeArxiv
from tests.test_enrich import enrich, project, snapshot_of
from tests.test_fetch_rude import RATE_LIMITED

__all__ = ["project"]  # the fixture, shared with test_enrich


def test_a_429_storm_on_the_seed_list_stops_after_a_few_requests_and_loses_nothing(
    project: Path, fake: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    fake.fail_when(lambda ids: True, "429", retry_after=1)
    assert enrich(project, "--api-url", fake.url, "--no-readme") == 1
    assert len(fake.requests) <= 6
    assert not (project / "data/arxiv-cache.jsonl").exists()  # no cache was made up
    captured = capsys.readouterr()
    assert f"not fetched ({RATE_LIMITED}): " in captured.out
    assert "31 arXiv papers have no metadata: exit status 1" in captured.out
    # Each wait is one line on stderr: what arXiv answered, how long, attempt k of n.
    assert "arXiv: HTTP 429 (Retry-After 1 s); waiting 1.0 s before attempt 2 of 4" in (
        captured.err
    )


def test_a_refresh_in_a_429_storm_exits_1_and_keeps_the_cache_untouched(
    project: Path, fake: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_when(lambda ids: True, "429", retry_after=1)
    before = snapshot_of(project)
    assert enrich(project, "--refresh", "--api-url", fake.url) == 1
    assert len(fake.requests) <= 6
    assert snapshot_of(project) == before
    out = capsys.readouterr().out
    assert "kept from cache: 31 papers could not be fetched again" in out
    assert f"not fetched ({RATE_LIMITED})" in out
    assert "refresh incomplete: 31 papers kept from cache: exit status 1" in out


def test_two_429s_then_answers_is_three_requests_and_exit_0(project: Path, fake: FakeArxiv) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    fake.fail_next("429", times=2, retry_after=0.1)
    assert enrich(project, "--api-url", fake.url) == 0
    assert [r.status for r in fake.requests] == [429, 429, 200]


@pytest.mark.parametrize(
    "args",
    [
        ["--delay", "nan"],
        ["--delay", "inf"],
        ["--delay", "-1"],
        ["--delay", "soon"],
        ["--timeout", "0"],
        ["--timeout", "nan"],
        ["--request-time-limit", "0"],
        ["--max-fetch-time", "inf"],
        ["--max-fetch-time", "-5"],
        ["--batch-size", "many"],
        ["--batch-size", "0"],
        ["--api-url", "export.arxiv.org/api/query"],
        ["--api-url", "ftp://export.arxiv.org/api/query"],
        ["--api-url", "https:///api/query"],
        ["--api-url", "http://[::1/api"],
    ],
)
def test_bad_fetch_options_exit_2_at_once(
    args: list[str], fake: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["enrich", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {args[0]}" in err and "Traceback" not in err
    assert fake.requests == []


def test_a_bad_api_url_from_the_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARXIV_API_URL", "localhost:8080")
    with pytest.raises(SystemExit) as exit_:
        main(["enrich"])
    assert exit_.value.code == 2
    assert "must be an http:// or https:// URL with a host" in capsys.readouterr().err


def test_a_host_that_does_not_resolve_is_one_request_and_exit_1(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    assert enrich(project, "--api-url", "http://no-such-host.invalid/api/query") == 1
    out = capsys.readouterr().out
    assert "0 fetched in 1 requests" in out
    assert "not fetched (the API host no-such-host.invalid does not resolve" in out
