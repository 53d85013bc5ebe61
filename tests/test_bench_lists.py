"""The benchmark's generated inputs are what it claims: a parseable list and a full cache."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.lists import cache_text, reading_list, with_added_links
from bench.site import _synthetic
from pipeline.cache import load_cache
from pipeline.catalog import build_catalog, distinct_arxiv_ids
from pipeline.parse import parse_links
from tests.fakearxiv import FakeArxiv

REPO = Path(__file__).resolve().parents[1]


def test_generated_list_links_every_id_once_plus_the_web_links() -> None:
    with FakeArxiv() as fake:
        ids = fake.add_synthetic(120)
        added = fake.add_synthetic(10)
        markdown = reading_list(ids, web_links=30)
        entries, invalid = build_catalog(parse_links(markdown))
        assert invalid == []
        assert len(entries) == 150
        assert sum(1 for e in entries if e.kind == "web") == 30
        assert distinct_arxiv_ids(entries) == ids
        # The project section after the end-of-list marker is not part of the list.
        assert all("example.org/pipeline" not in e.link.url for e in entries)

        grown, _ = build_catalog(parse_links(with_added_links(markdown, added)))
        assert distinct_arxiv_ids(grown) == [*ids, *added]

        cache = load_cache(cache_text(fake, ids), Path("arxiv-cache.jsonl"))
    assert sorted(cache) == sorted(ids)
    assert all(p.title and p.authors for p in cache.values())
    assert {p.fetched_at for p in cache.values()} == {datetime(2026, 1, 1, tzinfo=UTC)}


def test_the_site_bench_list_carries_the_seed_abstracts(tmp_path: Path) -> None:
    seed = load_cache((REPO / "data" / "arxiv-cache.jsonl").read_text(encoding="utf-8"))
    _synthetic(tmp_path, 12)
    cache = load_cache((tmp_path / "cache.jsonl").read_text(encoding="utf-8"))
    entries, _ = build_catalog(parse_links((tmp_path / "README.md").read_text(encoding="utf-8")))
    assert sorted(distinct_arxiv_ids(entries)) == sorted(cache)
    assert len(cache) == 12
    assert {p.abstract for p in cache.values()} <= {p.abstract for p in seed.values()}
