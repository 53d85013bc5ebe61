"""Cache records from the offline metadata snapshot (`shared/arxiv-snapshot/papers.jsonl`).

The snapshot was assembled from public copies of arXiv listings because these machines
cannot reach arXiv; its records enter the cache marked `source: snapshot`, and a live
fetch replaces each of them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pipeline.cache import BAD_RECORD_ERRORS, MergeResult, merge_fetched, record_to_paper
from pipeline.errors import CacheError
from pipeline.models import Paper


def papers_from_snapshot(text: str, name: str = "papers.jsonl") -> list[Paper]:
    """Every paper of the snapshot as a cache record; fields the snapshot lacks stay empty."""
    papers: list[Paper] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            record = {**record, "source": "snapshot", "fetched_at": None}
            papers.append(record_to_paper(record))
        except BAD_RECORD_ERRORS as error:
            raise CacheError(f"{name}:{number}: not a valid snapshot record ({error})") from None
    return papers


def import_snapshot(cache: Mapping[str, Paper], snapshot: Sequence[Paper]) -> MergeResult:
    """The cache with the snapshot's records of papers it lacks.

    Live records are better than the snapshot's, so a paper already cached keeps its record.
    """
    return merge_fetched(cache, [p for p in snapshot if p.arxiv_id not in cache])
