"""Shared fixtures: the real seed list, the shared reference data, and the repo itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """`shared/` beside the repo (the session's and CI's layout), or $SHARED_DIR."""
    return Path(os.environ.get("SHARED_DIR") or REPO.parent / "shared")


SEED_README = shared_dir() / "seed" / "README.md"
SNAPSHOT = shared_dir() / "arxiv-snapshot" / "papers.jsonl"
RECORDINGS = shared_dir() / "arxiv-api" / "recorded"


@pytest.fixture
def seed_text() -> str:
    return SEED_README.read_text(encoding="utf-8")
