"""Papers for tests: one record with plain defaults, each test changing what it is about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec

from pipeline.models import Author, Paper


def make_paper(
    arxiv_id: str = "1706.03762",
    title: str = "A Title",
    authors: Sequence[str] = ("Ada Lovelace",),
    **changes: Any,
) -> Paper:
    """A fetched paper of cs.CL, first submitted 12 June 2017, with `changes` applied."""
    base = Paper(
        arxiv_id=arxiv_id,
        latest_version=1,
        title=title,
        authors=tuple(Author(name) for name in authors),
        abstract=None,
        published=datetime(2017, 6, 12, tzinfo=UTC),
        updated=None,
        primary_category="cs.CL",
        categories=("cs.CL",),
        comment=None,
        journal_ref=None,
        doi=None,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        source="arxiv-api",
        fetched_at=None,
    )
    return msgspec.structs.replace(base, **changes)
