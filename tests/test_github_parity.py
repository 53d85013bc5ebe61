"""Parity with GitHub: on realistic lists, the arXiv links we find are the ones GitHub renders,
and the regenerated README renders as the original plus each paper's metadata, nothing else.

The lists in tests/data/lists hold what popular awesome lists contain (bracketed groups,
badges, HTML tables, inline HTML, <details>, nested lists, GFM tables); the papers get titles
and author names with every kind of Markdown-special text, URLs, `www.`, e-mails, `arXiv:ID`
and non-ASCII letters. Each list goes through the real `enrich` job, offline, twice.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.cache import dump_cache
from pipeline.cli import main
from pipeline.models import Paper
from pipeline.parse import parse_links
from pipeline.render import author_line
from pipeline.resolve import resolve_arxiv
from tests.conftest import DATA
from tests.factories import make_paper
from tests.gfm import Page, github_page

LISTS = sorted((DATA / "lists").glob("*.md"))

# Real titles where lists write the title themselves; hostile ones elsewhere.
REAL_TITLES = {
    "1706.03762": "Attention Is All You Need",
    "1810.04805": "BERT: Pre-training of Deep Bidirectional Transformers for Language "
    "Understanding",
    "2005.14165": "Language Models are Few-Shot Learners",
    "2103.00020": "Learning Transferable Visual Models From Natural Language Supervision",
}
HOSTILE_TITLES = [
    "Code at https://github.com/x/y: a study",
    "Comment on arXiv:1706.03762",
    "See www.example.com, or write to authors@example.org",
    "mailto:a@b.co and xmpp:me@jabber.org",
    "A *bold* claim_with_underscores and __dunder__ names",
    "<script>alert(1)</script> & <b>HTML</b> &amp; entities &#42;",
    "Brackets [x](http://y.z) ![img](http://y.z/i.png) and `code`",
    "Pipes | in | tables ~~struck~~ # hash",
    "Backslash \\ at the end \\",
    "Ünïcödé: 大型语言模型 — naïve café",
    "//cdn.example.org/file and ftp://ftp.example.org/x",
    "1. Not a list; - not an item; > not a quote",
]
HOSTILE_NAMES = [
    "José Müller-Çelik",
    "王小明",
    "Łukasz Kaiser",
    "Jean-Luc O'Neil <jl@x.org>",
    "A. user@example.com",
    "Bob *Star* Smith",
    "www.example.com",
    "C_D E_F",
]


def papers_for(ids: list[str]) -> dict[str, Paper]:
    titles = itertools.cycle(HOSTILE_TITLES)
    names = itertools.cycle(HOSTILE_NAMES)
    papers = {}
    for number, arxiv_id in enumerate(ids):
        papers[arxiv_id] = make_paper(
            arxiv_id,
            REAL_TITLES.get(arxiv_id) or next(titles),
            [next(names) for _ in range(1 + number % 5)],
            latest_version=2,
            abstract="An abstract.",
            published=datetime(2020, 1 + number % 12, 3, tzinfo=UTC),
            abs_url=f"https://arxiv.org/abs/{arxiv_id}v2",
            pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v2",
            fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    return papers


def arxiv_ids_in(markdown: str) -> list[str]:
    ids = (resolve_arxiv(link.url) for link in parse_links(markdown))
    return list(dict.fromkeys(ref.arxiv_id for ref in ids if ref))


def our_arxiv_links(markdown: str) -> list[str]:
    """The arXiv links we find, but `arXiv:ID` text, which GitHub shows as text."""
    return [
        # A `www.` link is kept as written; GitHub's href adds the scheme.
        "http://" + link.url if link.url.lower().startswith("www.") else link.url
        for link in parse_links(markdown)
        if resolve_arxiv(link.url) and not link.url.lower().startswith("arxiv:")
    ]


def githubs_arxiv_links(page: Page) -> list[str]:
    return [a.href for a in page.anchors if not a.is_badge and resolve_arxiv(a.href)]


def run_enrich(project: Path) -> int:
    return main(
        [
            "enrich",
            "--offline",
            *("--readme", str(project / "README.md")),
            *("--catalog", str(project / "catalog.csv")),
            *("--outputs", str(project / "outputs")),
            *("--cache", str(project / "cache.jsonl")),
        ]
    )


def files_of(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in project.rglob("*") if p.is_file()}


@pytest.mark.parametrize("path", LISTS, ids=lambda p: p.name)
def test_the_arxiv_links_we_find_are_the_ones_github_renders(path: Path) -> None:
    markdown = path.read_text(encoding="utf-8")
    ours = our_arxiv_links(markdown)
    assert len(ours) >= 10  # the corpus list is not trivially empty
    assert ours == githubs_arxiv_links(github_page(markdown))


@pytest.mark.parametrize("path", LISTS, ids=lambda p: p.name)
def test_the_regenerated_list_renders_as_the_original_plus_metadata(
    path: Path, tmp_path: Path
) -> None:
    original = path.read_text(encoding="utf-8")
    papers = papers_for(arxiv_ids_in(original))
    (tmp_path / "README.md").write_text(original, encoding="utf-8")
    (tmp_path / "cache.jsonl").write_text(dump_cache(papers.values()), encoding="utf-8")

    assert run_enrich(tmp_path) == 0
    first = files_of(tmp_path)
    assert run_enrich(tmp_path) == 0
    assert files_of(tmp_path) == first  # fixpoint

    regenerated = first["README.md"].decode()
    assert regenerated != original
    before, after = github_page(original), github_page(regenerated)
    assert [a.href for a in after.anchors] == [a.href for a in before.anchors]
    assert after.images == before.images
    assert after.tables == before.tables
    added = Counter(after.tags) - Counter(before.tags)
    assert set(added) == {"em"}
    assert not Counter(before.tags) - Counter(after.tags)
    assert our_arxiv_links(regenerated) == our_arxiv_links(original)

    # Each paper's metadata renders as intended: its title in an <em> (unless the list
    # item says it already), then its authors and date, as plain text.
    shown_titles = Counter(" ".join(p.title.split()) for p in papers.values())
    new_ems = Counter(after.ems) - Counter(before.ems)
    assert new_ems and all(em in shown_titles for em in new_ems)
    text = " ".join(after.text.split())
    linked = {ref.arxiv_id for ref in map(resolve_arxiv, githubs_arxiv_links(before)) if ref}
    # A heading keeps its text: it names its section (see docs/ARCHITECTURE.md).
    lines = original.split("\n")
    linked &= {
        ref.arxiv_id
        for link in parse_links(original)
        if (ref := resolve_arxiv(link.url)) and not lines[link.line - 1].startswith("#")
    }
    for paper in papers.values():
        if paper.title in REAL_TITLES.values():
            continue
        date = f"{paper.published:%b %Y}" if paper.published else "undated"
        authors = " ".join(author_line([a.name for a in paper.authors]).split())
        if paper.arxiv_id in linked:
            title = " ".join(paper.title.split())
            assert f" — {title} · {authors} · {date}" in text, paper.arxiv_id
