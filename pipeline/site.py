"""The page for readers: site/index.html (+ style.css, app.js) built from outputs/.

Every entry of the list is written into the HTML, in its section, so the page is complete
without JavaScript and opens from disk; `app.js` (plain JavaScript, no library) only filters,
sorts and copies BibTeX. Nothing is loaded from the network. Everything taken from the data is
HTML-escaped, and only http(s) links become links.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
from bibtexparser.entrypoint import parse_string

from pipeline.errors import InputError
from pipeline.files import atomic_write, read_text

ASSETS = ("style.css", "app.js")
NEEDED_COLUMNS = (
    "position",
    "section",
    "subsection",
    "label",
    "url",
    "kind",
    "arxiv_id",
    "title",
    "authors",
    "abstract",
    "published",
    "year",
    "categories",
    "abs_url",
    "pdf_url",
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class SiteEntry:
    """One link of the list as the page shows it."""

    position: int
    section: str
    subsection: str
    label: str
    url: str
    kind: str
    arxiv_id: str | None
    title: str | None
    authors: tuple[str, ...]
    abstract: str | None
    published: datetime | None
    categories: tuple[str, ...]
    abs_url: str | None
    pdf_url: str | None


@dataclass(frozen=True)
class BuiltSite:
    index: Path
    entries: int
    papers: int
    bytes: int
    written: list[Path]


def build_site(outputs: Path, site: Path) -> BuiltSite:
    """Read outputs/papers.parquet and papers.bib, write site/; InputError if they are unusable."""
    entries = load_entries(outputs / "papers.parquet")
    bibtex = load_bibtex(outputs / "papers.bib")
    page = render_page(entries, bibtex)
    files: list[tuple[Path, str]] = [(site / "index.html", page)]
    files += [(site / name, asset_text(name)) for name in ASSETS]
    written = [path for path, text in files if atomic_write(path, text)]
    size = sum(len(text.encode("utf-8")) for _, text in files)
    return BuiltSite(site / "index.html", len(entries), paper_count(entries), size, written)


def paper_count(entries: Iterable[SiteEntry]) -> int:
    """The distinct arXiv papers with metadata among the entries."""
    return len({e.arxiv_id for e in entries if e.arxiv_id and e.title})


def load_entries(path: Path) -> list[SiteEntry]:
    """The rows of papers.parquet, in list order."""
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; run `make enrich` first") from None
    except (OSError, pa.ArrowException) as error:
        raise InputError(f"{path}: not a readable Parquet file ({error})") from None
    missing = [c for c in NEEDED_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"{path}: missing columns {', '.join(missing)}; run `make enrich` again")
    rows = table.select(list(NEEDED_COLUMNS)).to_pylist()
    return [_entry(row) for row in sorted(rows, key=lambda r: r["position"])]


def _entry(row: Mapping[str, Any]) -> SiteEntry:
    return SiteEntry(
        position=int(row["position"]),
        section=row["section"] or "",
        subsection=row["subsection"] or "",
        label=row["label"] or "",
        url=row["url"] or "",
        kind=row["kind"],
        arxiv_id=row["arxiv_id"],
        title=row["title"],
        authors=tuple(row["authors"] or ()),
        abstract=row["abstract"],
        published=row["published"],
        categories=tuple(row["categories"] or ()),
        abs_url=row["abs_url"],
        pdf_url=row["pdf_url"],
    )


def load_bibtex(path: Path) -> dict[str, str]:
    """arXiv ID -> its entry of papers.bib, as written there."""
    text = read_text(path)
    library = parse_string(text)
    if library.failed_blocks:
        line = (library.failed_blocks[0].start_line or 0) + 1
        raise InputError(f"{path}:{line}: not valid BibTeX; run `make enrich` again")
    return {
        str(entry["eprint"]): str(entry.raw).strip()
        for entry in library.entries
        if "eprint" in entry.fields_dict and entry.raw
    }


def asset_text(name: str) -> str:
    """A static file shipped with the package (pipeline/site_assets/)."""
    return resources.files("pipeline").joinpath("site_assets", name).read_text(encoding="utf-8")


# --- the page ---------------------------------------------------------------------------------


def render_page(entries: Sequence[SiteEntry], bibtex: Mapping[str, str]) -> str:
    """index.html: filters, then every entry in its section, in list order."""
    by_section: dict[str, list[SiteEntry]] = {}  # in order of first appearance
    for entry in entries:
        by_section.setdefault(entry.section, []).append(entry)
    sections = list(by_section)
    years = sorted({e.published.year for e in entries if e.published}, reverse=True)
    categories = sorted({c for e in entries for c in e.categories})
    body = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light dark">',
        # Nothing but local files: no fetch, frame or form target elsewhere. (`file:` because
        # some browsers give each file:// page its own origin, which 'self' would not match.)
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "script-src 'self' file:; style-src 'self' file:; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'\">",
        "<title>Learning-Resources: the reading list</title>",
        '<link rel="stylesheet" href="style.css">',
        '<script src="app.js" defer></script>',
        "</head>",
        "<body>",
        '<header class="top">',
        "<h1>The reading list</h1>",
        f"<p>{len(entries)} links, {paper_count(entries)} arXiv papers. "
        "Type to filter; press <kbd>/</kbd> to search.</p>",
        '<form class="controls" role="search">',
        _control(
            "search",
            "Search",
            '<input type="search" id="search" autocomplete="off" '
            'placeholder="title, author, abstract…">',
        ),
        _control("section", "Section", _select("section", "All sections", sections)),
        _control("year", "Year", _select("year", "All years", [str(y) for y in years])),
        _control("category", "Category", _select("category", "All categories", categories)),
        _control(
            "sort",
            "Sort",
            '<select id="sort"><option value="list">List order</option>'
            '<option value="new">Newest first</option>'
            '<option value="old">Oldest first</option></select>',
        ),
        "</form>",
        f'<p id="count" aria-live="polite">{len(entries)} of {len(entries)} entries</p>',
        "</header>",
        '<main id="list">',
    ]
    for section, members in by_section.items():
        body.append(_section(section, members, bibtex))
    body += [
        '<ul id="sorted" class="entries" hidden></ul>',
        '<p id="empty" hidden>No entry matches.</p>',
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(body) + "\n"


def _control(name: str, label: str, widget: str) -> str:
    return f'<label class="control {name}" for="{name}"><span>{label}</span>{widget}</label>'


def _select(name: str, everything: str, values: Iterable[str]) -> str:
    options = [f'<option value="">{everything}</option>']
    options += [f'<option value="{_attr(v)}">{_text(v or "(no section)")}</option>' for v in values]
    return f'<select id="{name}">{"".join(options)}</select>'


def _section(name: str, entries: Sequence[SiteEntry], bibtex: Mapping[str, str]) -> str:
    title = _text(name or "(no section)")
    items = "\n".join(_item(e, bibtex.get(e.arxiv_id or "")) for e in entries)
    return (
        f'<section class="group" data-section="{_attr(name)}">\n'
        f"<h2>{title}</h2>\n"
        f'<ul class="entries">\n{items}\n</ul>\n'
        "</section>"
    )


def _item(entry: SiteEntry, bibtex: str | None) -> str:
    paper = entry.kind == "arxiv" and entry.title is not None
    attrs = {
        "class": "entry paper" if paper else "entry link",
        "id": f"e{entry.position}",
        "data-position": str(entry.position),
        "data-section": entry.section,
        "data-year": str(entry.published.year) if entry.published else "",
        "data-date": entry.published.strftime("%Y-%m-%d") if entry.published else "",
        "data-categories": " ".join(entry.categories),
    }
    opening = "<li " + " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items()) + ">"
    tags = [f'<span class="tag section-tag">{_text(entry.section or "(no section)")}</span>']
    if entry.subsection:
        tags.append(f'<span class="tag">{_text(entry.subsection)}</span>')
    if not paper:
        return "".join(
            [
                opening,
                f'<p class="title">{_link(entry.url, entry.label or entry.url)}</p>',
                f'<p class="meta"><span class="host">{_text(_host(entry.url))}</span>',
                *tags,
                "</p></li>",
            ]
        )
    parts = [
        opening,
        f'<p class="title">{_link(entry.abs_url or entry.url, entry.title or entry.label)}</p>',
    ]
    if entry.label and entry.label != entry.title:
        parts.append(f'<p class="label">listed as “{_text(entry.label)}”</p>')
    if entry.authors:
        parts.append(f'<p class="authors">{_text(", ".join(entry.authors))}</p>')
    meta = []
    if entry.published:
        meta.append(f'<time datetime="{entry.published:%Y-%m-%d}">{_date(entry.published)}</time>')
    meta += [f'<span class="cat">{_text(c)}</span>' for c in entry.categories]
    meta += tags
    parts.append(f'<p class="meta">{"".join(meta)}</p>')
    if entry.abstract:
        parts.append(
            '<details class="abstract"><summary>Abstract</summary>'
            f"<p>{_text(entry.abstract)}</p></details>"
        )
    actions = [
        _link(entry.abs_url or entry.url, f"arXiv:{entry.arxiv_id}"),
        _link(entry.pdf_url, "PDF") if entry.pdf_url else "",
    ]
    if bibtex:
        actions.append('<button type="button" class="copy-bibtex">BibTeX</button>')
    parts.append(f'<p class="actions">{"".join(a for a in actions if a)}</p>')
    if bibtex:
        parts.append(f'<pre class="bibtex" hidden>{_text(bibtex)}</pre>')
    parts.append("</li>")
    return "".join(parts)


def _date(moment: datetime | None) -> str:
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}" if moment else ""


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _link(url: str, text: str) -> str:
    """An <a> for http(s) URLs; any other scheme (javascript:, data:) is shown as text only."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        return f"<span>{_text(text)}</span>"
    return f'<a href="{_attr(url)}" rel="noopener noreferrer">{_text(text)}</a>'


def _text(value: str) -> str:
    return html.escape(value, quote=False)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)
