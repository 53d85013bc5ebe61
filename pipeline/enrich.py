"""The `enrich` job: the stages wired together, with the file system and network at the edges.

Nothing but the cache is written until every output has been computed and validated,
so a run that fails midway leaves the previous catalog, outputs and README intact.
The cache is saved after every batch, so a run killed while fetching keeps what it got.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.bibtex import bibtex_text
from pipeline.cache import dump_cache, load_cache, merge_fetched
from pipeline.catalog import build_catalog, distinct_arxiv_ids
from pipeline.errors import InputError
from pipeline.fetch import ArxivClient, FetchSettings, Transport, fetch_papers
from pipeline.files import atomic_write, read_text
from pipeline.models import CatalogEntry, Paper
from pipeline.outputs import build_rows, catalog_csv, csv_text, outputs_readme, parquet_bytes
from pipeline.parse import parse_links
from pipeline.render import possible_typos, render_readme
from pipeline.summary import LabelMismatch, Summary


@dataclass
class Options:
    readme: Path = Path("README.md")
    catalog: Path = Path("catalog.csv")
    outputs: Path = Path("outputs")
    cache: Path = Path("data/arxiv-cache.jsonl")
    fetch: FetchSettings = field(default_factory=FetchSettings)
    offline: bool = False
    refresh: bool = False
    no_readme: bool = False


Progress = Callable[[int], None]


def enrich(
    options: Options,
    transport: Callable[[], Transport],
    progress: Callable[[int], Progress] | None = None,
) -> Summary:
    """Run the whole job; raise InputError for unreadable input (nothing written then).

    `transport` is called only if something must be fetched; `progress(total)` returns
    a callback told how many IDs were settled.
    """
    summary = Summary()
    text = read_text(options.readme)
    links = parse_links(text)
    if not links:
        raise InputError(f"{options.readme}: no links found; is this the reading list?")
    entries, summary.invalid_links = build_catalog(links)
    cache = _load_cache(options.cache)
    ids = distinct_arxiv_ids(entries)
    summary.links = len(entries)
    summary.arxiv_links = sum(1 for e in entries if e.kind == "arxiv")
    summary.papers = len(ids)
    summary.duplicates = sum(1 for e in entries if e.duplicate_of is not None)

    wanted = ids if options.refresh else [i for i in ids if i not in cache]
    summary.from_cache = len(ids) - len(wanted) if not options.refresh else 0
    if wanted and options.offline:
        summary.offline_missing = [i for i in wanted if i not in cache]
        summary.from_cache = len(ids) - len(summary.offline_missing)
    elif wanted:
        cache = _fetch(wanted, cache, options, transport, progress, summary)

    papers = {i: cache[i] for i in ids if i in cache}
    new_readme = text
    if not options.no_readme:
        new_readme, entries = _render_safely(text, entries, papers, summary)
    summary.mismatches = _label_mismatches(entries, papers)

    rows = build_rows(entries, papers)
    planned: list[tuple[Path, str | bytes]] = [
        (options.outputs / "papers.parquet", parquet_bytes(rows)),
        (options.outputs / "papers.csv", csv_text(rows)),
        (options.outputs / "papers.bib", bibtex_text(entries, papers)),
        (options.outputs / "README.md", outputs_readme()),
        (options.catalog, catalog_csv(entries)),
    ]
    if not options.no_readme:
        planned.append((options.readme, new_readme))
    for path, data in planned:
        (summary.written if atomic_write(path, data) else summary.unchanged_files).append(path)
    return summary


def _load_cache(path: Path) -> dict[str, Paper]:
    if not path.exists():
        return {}
    return load_cache(read_text(path), path)


def _fetch(
    wanted: Sequence[str],
    cache: dict[str, Paper],
    options: Options,
    transport: Callable[[], Transport],
    progress: Callable[[int], Progress] | None,
    summary: Summary,
) -> dict[str, Paper]:
    connection = transport()
    advance = progress(len(wanted)) if progress else None
    current = dict(cache)

    def save(ids: Sequence[str], found: dict[str, Paper]) -> None:
        nonlocal current
        merged = merge_fetched(current, found.values())
        current = merged.papers
        summary.new += merged.new
        summary.updated += merged.updated
        summary.unchanged += merged.unchanged
        cache_changed = found and atomic_write(options.cache, dump_cache(current.values()))
        if cache_changed and options.cache not in summary.written:
            summary.written.append(options.cache)
        if advance:
            advance(len(ids))

    with connection:
        result = fetch_papers(wanted, ArxivClient(connection, options.fetch), on_settled=save)
    summary.fetched = len(result.papers)
    summary.not_found = result.not_found
    summary.invalid = result.invalid
    summary.unreachable = result.unreachable
    summary.requests = result.requests
    failed = [*result.not_found, *result.invalid, *result.unreachable]
    summary.kept_cached = [i for i in failed if i in cache]
    return current


def _label_mismatches(
    entries: Sequence[CatalogEntry], papers: Mapping[str, Paper]
) -> list[LabelMismatch]:
    mismatches = []
    for entry in entries:
        paper = papers.get(entry.arxiv_id or "")
        if paper and (typos := possible_typos(entry.link.label, paper.title)):
            mismatches.append(LabelMismatch(entry, paper.title, typos))
    return mismatches


# How many unsafe suffixes one run leaves out one by one before it leaves the README alone.
_MAX_UNSAFE = 20


def _render_safely(
    text: str,
    entries: list[CatalogEntry],
    papers: Mapping[str, Paper],
    summary: Summary,
) -> tuple[str, list[CatalogEntry]]:
    """The regenerated README and its catalog; the last guard that metadata breaks nothing.

    The regenerated README must give the same links as the original. Where it does not, the
    suffix written just before the first difference is left out (and reported with its line
    and link), and the README rendered again; everything else is still written, and the
    exit status depends on metadata only, so one bad title never blocks later runs.
    """
    skip: set[int] = set()
    link_at = {entry.link.position: entry.link for entry in entries}
    before = [(e.link.label, e.link.url, e.link.section, e.link.subsection) for e in entries]
    while True:
        rendered = render_readme(text, entries, papers, skip)
        summary.unplaced = rendered.unplaced
        summary.unsafe = [(rendered.line_of[p], link_at[p].url) for p in sorted(skip)]
        if rendered.text == text:
            return text, entries
        after, invalid = build_catalog(parse_links(rendered.text))
        now = [(e.link.label, e.link.url, e.link.section, e.link.subsection) for e in after]
        if now == before:
            # Lines as they are in the README that is written (a joined link text moves
            # the lines below it).
            summary.invalid_links = invalid
            return rendered.text, after
        culprit = _suffix_before_difference(before, now, after, rendered.placed)
        if culprit is None or len(skip) >= _MAX_UNSAFE:
            # Not one suffix to blame: leave the README as it is, write everything else.
            summary.unsafe = [(link_at[p].line, link_at[p].url) for p in sorted(rendered.placed)]
            summary.readme_kept = True
            return text, entries
        skip.add(culprit)


def _suffix_before_difference(
    before: Sequence[tuple[str, str, str, str]],
    now: Sequence[tuple[str, str, str, str]],
    after: Sequence[CatalogEntry],
    placed: Mapping[int, int],
) -> int | None:
    """Position of the link whose suffix is the last one written before the first change."""
    first = next(
        (i for i, (a, b) in enumerate(zip(before, now, strict=False)) if a != b),
        min(len(before), len(now)),
    )
    line = after[first].link.line if first < len(after) else float("inf")
    candidates = [(at, position) for position, at in placed.items() if at <= line]
    return max(candidates)[1] if candidates else None
