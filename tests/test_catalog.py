"""Resolving the parsed list into catalog.csv."""

from __future__ import annotations

import csv
import io

from pipeline.catalog import build_catalog, distinct_arxiv_ids
from pipeline.outputs import CATALOG_COLUMNS, build_rows, catalog_csv
from pipeline.parse import parse_links


def test_seed_catalog_counts(seed_text: str) -> None:
    entries, invalid = build_catalog(parse_links(seed_text))
    assert len(entries) == 47
    assert sum(1 for e in entries if e.kind == "arxiv") == 32
    assert len(distinct_arxiv_ids(entries)) == 31
    assert invalid == []


def test_seed_duplicate_points_at_the_first_link(seed_text: str) -> None:
    entries, _ = build_catalog(parse_links(seed_text))
    twice = [e for e in entries if e.arxiv_id == "2203.02155"]
    assert [(e.link.label, e.duplicate_of) for e in twice] == [
        ("InstructGPT", None),
        ("Training language models to follow instructions with human feedback", 20),
    ]
    assert twice[0].link.position == 20
    assert sum(1 for e in entries if e.duplicate_of is not None) == 1


def test_versions_are_kept_apart_from_the_id() -> None:
    markdown = (
        "- [a](https://arxiv.org/pdf/1706.03762v5.pdf)\n"
        "- [b](https://arxiv.org/abs/math.GT/0309136v2)\n"
        "- [c](https://huggingface.co/papers/2501.12948)\n"
    )
    entries, _ = build_catalog(parse_links(markdown))
    assert [(e.arxiv_id, e.arxiv_version) for e in entries] == [
        ("1706.03762", 5),
        ("math/0309136", 2),
        ("2501.12948", None),
    ]


def test_arxiv_urls_without_a_valid_id_are_reported_and_kept_as_web_links() -> None:
    markdown = (
        "# T\n\n"
        "- [ok](https://arxiv.org/abs/1706.03762)\n"
        "- [typo](https://arxiv.org/abs/garbage)\n"
        "- [listing](https://arxiv.org/list/cs.CL/recent)\n"
    )
    entries, invalid = build_catalog(parse_links(markdown))
    assert [e.kind for e in entries] == ["arxiv", "web", "web"]
    assert [(bad.line, bad.url) for bad in invalid] == [
        (4, "https://arxiv.org/abs/garbage"),
        (5, "https://arxiv.org/list/cs.CL/recent"),
    ]


def test_catalog_csv_is_deterministic_and_reads_back(seed_text: str) -> None:
    entries, _ = build_catalog(parse_links(seed_text))
    data = catalog_csv(build_rows(entries, {}))
    assert data == catalog_csv(build_rows(build_catalog(parse_links(seed_text))[0], {}))
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert tuple(rows[0]) == tuple(c.name for c in CATALOG_COLUMNS)
    assert len(rows) == 47
    distserve = next(r for r in rows if r["arxiv_id"] == "2401.09670")
    assert "\n" not in distserve["label"]
    assert rows[20]["duplicate_of"] == "20"
    assert rows[1] | {} == {
        "position": "2",
        "section": "Some Fundamental Transformers",
        "subsection": "",
        "label": "GPT1",
        "url": "https://cdn.openai.com/research-covers/language-unsupervised/"
        "language_understanding_paper.pdf",
        "kind": "web",
        "arxiv_id": "",
        "arxiv_version": "",
        "duplicate_of": "",
        "line": "12",
    }
