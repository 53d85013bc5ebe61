"""Shared fixtures: the real seed list and the real arXiv reference data.

The reference data (seed list, arXiv API recordings, metadata snapshot) is vendored in
tests/data so the suite runs anywhere, GitHub Actions included; test_reference_data.py
checks the copies against ../shared/ where that folder exists.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from pipeline.catalog import build_catalog
from pipeline.models import CatalogEntry, Paper
from pipeline.parse import parse_links
from pipeline.snapshot import papers_from_snapshot
from tests.fakearxiv import FakeArxiv

# No deadline on property tests: speed is measured in `make bench`, never in a test, and
# hypothesis' default 200 ms per example failed a resolve property on a loaded machine.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SEED_README = DATA / "seed-README.md"
SNAPSHOT = DATA / "arxiv-snapshot" / "papers.jsonl"
RECORDINGS = DATA / "arxiv-api" / "recorded"

# The seed list's catalog entries and the snapshot's papers (the `seed_catalog` fixture).
SeedCatalog = tuple[list[CatalogEntry], dict[str, Paper]]


def shared_dir() -> Path:
    """`shared/` beside the repo (the team's layout and CI's), or $SHARED_DIR."""
    return Path(os.environ.get("SHARED_DIR") or REPO.parent / "shared")


def serving_the_seed(server: FakeArxiv) -> Iterator[FakeArxiv]:
    """`server` started, knowing the recorded papers and the 31 seed papers (for fixtures)."""
    with server.start():
        server.add_recordings(RECORDINGS)
        server.add_snapshot(SNAPSHOT)
        yield server


@pytest.fixture
def fake() -> Iterator[FakeArxiv]:
    """A fake arXiv API on loopback that knows the recorded papers and the 31 seed papers."""
    yield from serving_the_seed(FakeArxiv())


@pytest.fixture
def seed_text() -> str:
    return SEED_README.read_text(encoding="utf-8")


@pytest.fixture
def snapshot_papers() -> dict[str, Paper]:
    """The 31 seed papers from the vendored snapshot, by arXiv ID."""
    return {p.arxiv_id: p for p in papers_from_snapshot(SNAPSHOT.read_text(encoding="utf-8"))}


@pytest.fixture
def seed_catalog(seed_text: str, snapshot_papers: dict[str, Paper]) -> SeedCatalog:
    """The seed list's catalog entries and the snapshot's papers: what the outputs are made of."""
    entries, _ = build_catalog(parse_links(seed_text))
    return entries, snapshot_papers


@pytest.fixture
def alone() -> None:
    """No thread but this one: enrich forks its second process only then (pipeline/forked.py).

    Waits (bounded) for threads an earlier test left finishing, such as a fake server's
    request thread still closing its connection.
    """
    deadline = time.monotonic() + 30
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    assert threading.active_count() == 1, f"threads alive: {threading.enumerate()}"
