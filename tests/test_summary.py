"""The summary's JSON contract and the weekly job's commit message, as functions of a Summary."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.summary import MESSAGE_ID_LIMIT, Summary, commit_message


def refreshed(**changes: object) -> Summary:
    summary = Summary(links=60, arxiv_links=52, papers=50, fetched=50, requests=1)
    summary.updated = [f"2401.{n:05d}" for n in range(3)]
    summary.new = ["2402.00001"]
    summary.unchanged = [f"2403.{n:05d}" for n in range(46)]
    for name, value in changes.items():
        setattr(summary, name, value)
    return summary


def test_message_says_what_changed_first() -> None:
    message = commit_message(refreshed())
    assert message.splitlines()[0] == "Weekly refresh: 3 papers updated, 1 new"
    assert "60 links, 52 to arXiv, 50 distinct papers; 50 fetched" in message
    assert "exited" not in message


def test_message_without_changes_says_outputs_regenerated() -> None:
    message = commit_message(refreshed(updated=[], new=[]))
    assert message.splitlines()[0] == "Weekly refresh: outputs regenerated"


def test_only_new_papers() -> None:
    assert commit_message(refreshed(updated=[], new=["1", "2"])).startswith(
        "Weekly refresh: 2 new papers"
    )


def test_papers_without_metadata_are_listed_and_the_status_is_named() -> None:
    summary = refreshed(not_found=["2499.99999"], unreachable={"2498.00001": "HTTP 429"})
    message = commit_message(summary)
    assert message.splitlines()[0] == "Weekly refresh: 3 papers updated, 1 new, 2 without metadata"
    assert "not found: 2499.99999" in message
    assert "unreachable: 2498.00001" in message
    assert message.endswith("The pipeline exited with status 1.")


def test_papers_kept_from_cache_are_not_counted_without_metadata() -> None:
    """The bug the shell version had: a failed refresh of a cached paper is not 'missing'."""
    summary = refreshed(unreachable={"2401.00007": "HTTP 429"}, kept_cached=["2401.00007"])
    message = commit_message(summary)
    assert "without metadata" not in message
    assert "1 kept from cache" in message.splitlines()[0]
    assert "kept from cache (refresh failed): 2401.00007" in message
    assert "unreachable:" not in message


def test_long_id_lists_are_cut() -> None:
    ids = [f"2499.{n:05d}" for n in range(MESSAGE_ID_LIMIT + 5)]
    message = commit_message(refreshed(not_found=ids))
    assert f"{ids[MESSAGE_ID_LIMIT - 1]} and 5 more" in message
    assert ids[MESSAGE_ID_LIMIT] not in message


def test_json_carries_the_message_the_written_files_and_the_status() -> None:
    summary = refreshed(not_found=["2499.99999"])
    summary.written = [Path("README.md"), Path("outputs") / "papers.csv"]
    data = json.loads(json.dumps(summary.to_json()))
    assert data["written"] == ["README.md", "outputs/papers.csv"]
    assert data["commit_message"] == commit_message(summary)
    assert (data["exit_status"], data["missing"], data["new"]) == (1, ["2499.99999"], 1)
