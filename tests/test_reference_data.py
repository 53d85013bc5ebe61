"""The vendored reference data is an exact copy of the team's shared/ folder."""

from __future__ import annotations

import pytest

from tests.conftest import DATA, shared_dir

PAIRS = [
    ("seed/README.md", "seed-README.md"),
    ("arxiv-snapshot/papers.jsonl", "arxiv-snapshot/papers.jsonl"),
    ("arxiv-snapshot/README.md", "arxiv-snapshot/README.md"),
    ("arxiv-api/README.md", "arxiv-api/README.md"),
    ("arxiv-rss/README.md", "arxiv-rss/README.md"),
    ("arxiv-rss/sample-cs.CL.xml", "arxiv-rss/sample-cs.CL.xml"),
]


@pytest.mark.skipif(not shared_dir().is_dir(), reason="no shared/ folder beside the repo")
def test_vendored_copies_match_shared() -> None:
    shared = shared_dir()
    recordings = sorted((shared / "arxiv-api" / "recorded").glob("*.json"))
    assert len(recordings) == 9
    pairs = PAIRS + [
        (f"arxiv-api/recorded/{p.name}", f"arxiv-api/recorded/{p.name}") for p in recordings
    ]
    for source, copy in pairs:
        assert (DATA / copy).read_bytes() == (shared / source).read_bytes(), copy
    assert sorted(p.name for p in (DATA / "arxiv-api" / "recorded").glob("*.json")) == [
        p.name for p in recordings
    ]
