"""`python -m pipeline site` without a browser: the HTML it writes, escaping, errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.bibtex import bibtex_text
from pipeline.cli import main
from pipeline.files import atomic_write
from pipeline.models import ArxivRef, CatalogEntry, Link, Paper
from pipeline.outputs import build_rows, parquet_bytes
from pipeline.site import load_entries, render_page
from tests.conftest import REPO, SeedCatalog
from tests.factories import make_paper


class Page(HTMLParser):
    """What a browser would see: elements with their attributes, and the text of each entry."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def attr_values(self, tag: str, name: str) -> list[str]:
        return [str(a[name]) for t, a in self.tags if t == tag and a.get(name) is not None]


def write_outputs(folder: Path, entries: list[CatalogEntry], papers: dict[str, Paper]) -> None:
    atomic_write(folder / "papers.parquet", parquet_bytes(build_rows(entries, papers)))
    atomic_write(folder / "papers.bib", bibtex_text(entries, papers))


def site(outputs: Path, target: Path) -> int:
    return main(["site", "--outputs", str(outputs), "--site", str(target)])


@pytest.fixture
def seed_outputs(tmp_path: Path, seed_catalog: SeedCatalog) -> Path:
    write_outputs(tmp_path / "outputs", *seed_catalog)
    return tmp_path / "outputs"


def test_seed_page_lists_every_entry_and_loads_only_its_own_files(
    seed_outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site(seed_outputs, tmp_path / "site") == 0
    assert "47 links, 31 papers" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "site").iterdir()) == [
        "app.js",
        "index.html",
        "style.css",
    ]
    page = Page((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    items = [a for t, a in page.tags if t == "li" and "entry" in str(a.get("class"))]
    assert [int(str(a["data-position"])) for a in items] == list(range(1, 48))
    # Only relative files are loaded; the CSP forbids anything else.
    assert page.attr_values("script", "src") == ["app.js"]
    assert page.attr_values("link", "href") == ["style.css"]
    assert not page.attr_values("img", "src") and not page.attr_values("iframe", "src")
    (csp,) = [a["content"] for t, a in page.tags if a.get("http-equiv")]
    assert "default-src 'none'" in str(csp)
    text = "".join(page.texts)
    for entry in load_entries(seed_outputs / "papers.parquet"):
        assert (entry.title or entry.label) in text


def test_same_outputs_same_bytes_and_nothing_rewritten(
    seed_outputs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert site(seed_outputs, tmp_path / "a") == 0
    assert site(seed_outputs, tmp_path / "b") == 0
    for name in ("index.html", "app.js", "style.css"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    capsys.readouterr()
    assert site(seed_outputs, tmp_path / "a") == 0
    assert "(0 files written)" in capsys.readouterr().out


NASTY = '<script>alert("x")</script> & "quotes" \'single\' </li></ol> <!-- {{x}}'


def test_data_is_escaped_everywhere(tmp_path: Path) -> None:
    entries = [
        CatalogEntry(
            Link(1, NASTY, NASTY, NASTY, "https://arxiv.org/abs/2001.00001", 3, 3, 3),
            ArxivRef("2001.00001"),
        ),
        CatalogEntry(Link(2, NASTY, "", NASTY, "javascript:alert(1)", 4, 4, 4), None),
        CatalogEntry(Link(3, NASTY, "", "ok", 'https://e.org/?a=1&b="2"><x', 5, 5, 5), None),
    ]
    paper = make_paper(
        "2001.00001",
        NASTY,
        [NASTY],
        abstract=NASTY,
        published=datetime(2020, 1, 2, tzinfo=UTC),
        categories=("cs.CL", NASTY),
    )
    write_outputs(tmp_path / "out", entries, {"2001.00001": paper})
    assert site(tmp_path / "out", tmp_path / "site") == 0
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    page = Page(html)
    assert "<script>alert" not in html
    assert [t for t, _ in page.tags].count("script") == 1  # app.js only
    # Every nasty string comes back intact as text: escaped, not interpreted, not mangled.
    text = "".join(page.texts)
    assert text.count(NASTY) >= 5
    hrefs = page.attr_values("a", "href")
    assert "javascript:alert(1)" not in hrefs  # not a link, shown as text
    assert 'https://e.org/?a=1&b="2"><x' in hrefs
    options = page.attr_values("option", "value")
    assert NASTY in options  # the section and category filters


def test_a_paper_without_metadata_is_still_listed(seed_outputs: Path, tmp_path: Path) -> None:
    link = Link(1, "S", "", "Lost paper", "https://arxiv.org/abs/2001.99999", 1, 1, 1)
    entry = CatalogEntry(link, ArxivRef("2001.99999"))
    write_outputs(tmp_path / "out", [entry], {})
    assert site(tmp_path / "out", tmp_path / "site") == 0
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="https://arxiv.org/abs/2001.99999"' in html
    assert "Lost paper" in html


@pytest.mark.parametrize(
    ("remove", "corrupt", "message"),
    [
        ("papers.parquet", None, "papers.parquet: no such file; run `make enrich` first"),
        ("papers.bib", None, "papers.bib: no such file"),
        (None, ("papers.parquet", b"not parquet"), "papers.parquet: not a readable Parquet file"),
        (None, ("papers.bib", b"@misc{a, title = {open\n"), "papers.bib:1: not valid BibTeX"),
    ],
)
def test_unusable_outputs_exit_2_in_one_line(
    seed_outputs: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    remove: str | None,
    corrupt: tuple[str, bytes] | None,
    message: str,
) -> None:
    if remove:
        (seed_outputs / remove).unlink()
    if corrupt:
        (seed_outputs / corrupt[0]).write_bytes(corrupt[1])
    assert site(seed_outputs, tmp_path / "site") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err
    assert not (tmp_path / "site").exists()


def test_render_page_needs_no_files(seed_outputs: Path) -> None:
    entries = load_entries(seed_outputs / "papers.parquet")
    later = replace(entries[0], position=99, section="Another")
    page = render_page([*entries, later], {})
    assert page.count('class="entry') == 48
    assert "copy-bibtex" not in page  # no BibTeX known, no button


def test_committed_outputs_build(tmp_path: Path) -> None:
    assert site(REPO / "outputs", tmp_path / "site") == 0
