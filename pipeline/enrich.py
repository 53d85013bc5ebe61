"""The `enrich` job: the stages wired together, with the file system and network at the edges.

Nothing but the cache is written until every output has been computed and validated,
so a run that fails midway leaves the previous catalog, outputs and README intact.
The cache is saved after every batch, so a run killed while fetching keeps what it got.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from pathlib import Path
from typing import NamedTuple

from pipeline.bulk import gc_paused, give_back_freed_memory
from pipeline.cache import dump_cache, load_cache, merge_fetched
from pipeline.catalog import build_catalog, distinct_arxiv_ids
from pipeline.config import Options
from pipeline.errors import InputError
from pipeline.fetch import ArxivClient, Transport, fetch_papers
from pipeline.files import atomic_write, read_bytes, read_markdown, write_all
from pipeline.forked import Forked
from pipeline.models import CatalogEntry, Link, Paper
from pipeline.parse import parse_links, parse_links_beside
from pipeline.render import possible_typos, render_readme
from pipeline.summary import LabelMismatch, Summary

# pipeline.outputs (pyarrow, 0.15-0.2 s to import) and pipeline.bibtex (bibtexparser and
# pylatexenc, 0.05-0.07 s) are imported where they are used, not when the command starts:
# pyarrow while cmark-gfm parses (read_list_and_cache), the BibTeX libraries by the second
# process only.

Progress = Callable[[int], None]
# Entered around each stage of the job with the stage's name; `make bench` times them.
Stage = Callable[[str], AbstractContextManager[object]]


def _untimed(name: str) -> AbstractContextManager[object]:
    return nullcontext()


def enrich(
    options: Options,
    transport: Callable[[], Transport],
    progress: Callable[[int], Progress] | None = None,
    stage: Stage = _untimed,
    keep: list[object] | None = None,
) -> Summary:
    """Run the whole job; raise InputError for unreadable input (nothing written then).

    `transport` is called only if something must be fetched; `progress(total)` returns
    a callback told how many IDs were settled; `stage(name)` is entered around each stage.
    `keep`: a list the run's data (links, cache, papers, entries) is put in instead of
    being released on return, for a caller that ends the process next (`python -m pipeline`):
    releasing a long list's millions of objects one by one takes 0.1-0.15 s there.
    """
    # Here rather than in the CLI, so that every caller (and `make bench`) runs as the CLI
    # does: a run builds millions of small objects and next to no reference cycles (8 left
    # to collect after a 100 000-link run), and with the collector on, each full collection
    # re-scans all of them (a third of such a run).
    with gc_paused():
        return _enrich(options, transport, progress, stage, keep)


def _enrich(
    options: Options,
    transport: Callable[[], Transport],
    progress: Callable[[int], Progress] | None,
    stage: Stage,
    keep: list[object] | None,
) -> Summary:
    summary = Summary()
    paths = options.paths
    if options.parallel:
        with stage("read and parse the list, load cache"):
            text, links, cache = read_list_and_cache(paths.readme, paths.cache)
    else:
        with stage("read and parse the list"):
            text, links = read_list(paths.readme)
        with stage("load cache"):
            cache = read_cache(paths.cache)
    # Imported by now where the cache loaded beside the parse (read_list_and_cache).
    from pipeline.outputs import entry_cells, outputs_readme

    with stage("resolve arXiv IDs"):
        entries, summary.invalid_links = build_catalog(links)
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
    # papers.bib and the label typo check depend on the list only through its entries, and
    # the README render keeps those (only a joined link text moves the lines below it): a
    # second process does them from the entries as parsed while this one renders the README
    # and makes the dataset files, then takes the pieces of the typo check the second has
    # not started. Its result is spilled beside the README: on disk, where /tmp may be RAM.
    with Forked(
        _bibtex_and_typos(entries, papers, stage), options.parallel, paths.readme.parent
    ) as copy:
        new_readme, final = text, entries
        if not options.no_readme:
            new_readme, final = _render_safely(text, entries, papers, summary, stage)
        dataset = _dataset_files(final, papers, stage, beside=copy.forked)
        made = None
        if copy.forked and (final is entries or entry_cells(final) == entry_cells(entries)):
            made = copy.result()
    if made is None:  # no copy, or its work was for other lines: done here
        made = [piece() for piece in _bibtex_and_typos(final, papers, stage)]
    bibtex = "".join(part for part, _ in made)
    summary.mismatches = [mismatch for _, mismatches in made for mismatch in mismatches]
    planned: list[tuple[Path, str | bytes]] = [
        (paths.outputs / "papers.parquet", dataset.parquet),
        (paths.outputs / "papers.csv", dataset.csv),
        (paths.outputs / "papers.bib", bibtex),
        (paths.outputs / "README.md", outputs_readme()),
        (paths.catalog, dataset.catalog),
    ]
    if not options.no_readme:
        planned.append((paths.readme, new_readme))
    with stage("write files"):
        written, summary.unchanged_files = write_all(planned)
    summary.written += written  # after the cache, written while fetching
    if keep is not None:
        keep.append((links, cache, papers, entries, final))
    return summary


def read_list(readme: Path) -> tuple[str, list[Link]]:
    """The README's text and its links; InputError when it has none (not the reading list)."""
    text = read_markdown(readme)
    links = parse_links(text)
    _check_links(readme, links)
    return text, links


def read_list_and_cache(readme: Path, cache: Path) -> tuple[str, list[Link], dict[str, Paper]]:
    """`read_list` and `read_cache` at once: the cache loads while cmark-gfm parses (in C),
    and the data files' module (pyarrow) is imported then too."""
    text = read_markdown(readme)
    links, papers = parse_links_beside(text, lambda: _cache_and_data_files_module(cache))
    _check_links(readme, links)
    return text, links, papers


def _cache_and_data_files_module(cache: Path) -> dict[str, Paper]:
    papers = read_cache(cache)
    # This thread would wait for cmark-gfm's parse otherwise (0.1-0.4 s, by the minute).
    importlib.import_module("pipeline.outputs")
    return papers


def _check_links(readme: Path, links: Sequence[Link]) -> None:
    if not links:
        raise InputError(f"{readme}: no links found; is this the reading list?")


def read_cache(path: Path) -> dict[str, Paper]:
    """The cache file's papers by arXiv ID; empty when there is no cache yet."""
    if not path.exists():
        return {}
    papers = load_cache(read_bytes(path), path)
    # The records and lines read, and the file's bytes, dropped only now (glibc keeps
    # 65 MB of the 100 000-link bench's otherwise).
    give_back_freed_memory()
    return papers


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
        cache_changed = found and atomic_write(options.paths.cache, dump_cache(current.values()))
        if cache_changed and options.paths.cache not in summary.written:
            summary.written.append(options.paths.cache)
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


class DatasetFiles(NamedTuple):
    """What `enrich` makes of the entries and papers as data: Parquet, CSV and catalog.csv."""

    parquet: bytes
    csv: bytes
    catalog: bytes


def _dataset_files(
    entries: Sequence[CatalogEntry],
    papers: Mapping[str, Paper],
    stage: Stage,
    beside: bool = False,
) -> DatasetFiles:
    """The data files; `beside`: papers.csv is written on a thread while Parquet and
    catalog.csv are (Arrow lets go of the GIL while it writes), for a second core that
    is idle by then."""
    from pipeline.outputs import (
        CATALOG_COLUMNS,
        build_rows,
        csv_from,
        dataset_table,
        parquet_from,
        release_arrow_memory,
    )

    with stage("outputs: rows"):
        rows = build_rows(entries, papers)
    with stage("outputs: Arrow table"):
        table = dataset_table(rows)
    try:
        with ThreadPoolExecutor(1, "papers.csv") if beside else nullcontext() as pool:
            if pool is not None:
                later = pool.submit(csv_from, table)
            with stage("outputs: Parquet"):
                parquet = parquet_from(table)
            with stage("catalog.csv"):
                catalog = csv_from(table, CATALOG_COLUMNS)
            with stage("outputs: CSV"):
                csv = later.result() if pool is not None else csv_from(table)
    finally:
        del table
        release_arrow_memory()
    return DatasetFiles(parquet, csv, catalog)


# Entries per piece of the label typo check (0.03 s each on the bench list), which
# either process may do (forked.py).
TYPO_CHECK_PIECE = 5000
_Made = tuple[str, list[LabelMismatch]]  # a piece of papers.bib, and of the typo check


def _bibtex_and_typos(
    entries: Sequence[CatalogEntry], papers: Mapping[str, Paper], stage: Stage
) -> list[Callable[[], _Made]]:
    """papers.bib, then the label typo check in pieces: the second process's half of the
    work, in the pieces that `Forked` shares between the processes."""

    def bibtex() -> _Made:
        from pipeline.bibtex import bibtex_text

        with stage("outputs: BibTeX"):
            return bibtex_text(entries, papers), []

    def typos(start: int) -> _Made:
        with stage("label typo check"):
            return "", _label_mismatches(entries[start : start + TYPO_CHECK_PIECE], papers)

    starts = range(0, len(entries), TYPO_CHECK_PIECE)
    return [bibtex, *(partial(typos, start) for start in starts)]


# How many unsafe suffixes one run leaves out one by one before it leaves the README alone.
_MAX_UNSAFE = 20


def _render_safely(
    text: str,
    entries: list[CatalogEntry],
    papers: Mapping[str, Paper],
    summary: Summary,
    stage: Stage = _untimed,
) -> tuple[str, list[CatalogEntry]]:
    """The regenerated README and its catalog; the last guard that metadata breaks nothing.

    The regenerated README must give the same links as the original. Where it does not, the
    suffix written just before the first difference is left out (and reported with its line
    and link), and the README rendered again; everything else is still written, and the
    exit status depends on metadata only, so one bad title never blocks later runs.
    """
    skip: set[int] = set()
    link_at = {entry.link.position: entry.link for entry in entries}
    before: list[tuple[str, str, str, str]] | None = None  # made once the README changes
    while True:
        with stage("render README"):
            rendered = render_readme(text, entries, papers, skip)
        summary.unplaced = rendered.unplaced
        summary.unsafe = [(rendered.line_of[p], link_at[p].url) for p in sorted(skip)]
        if rendered.text == text:
            return text, entries
        if before is None:
            before = _link_keys(entries)
        with stage("check: parse the rendered README"):
            after, invalid = build_catalog(parse_links(rendered.text))
        now = _link_keys(after)
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


def _link_keys(entries: Sequence[CatalogEntry]) -> list[tuple[str, str, str, str]]:
    """What a rewrite must keep of each link: its text, target, section and subsection."""
    return [(e.link.label, e.link.url, e.link.section, e.link.subsection) for e in entries]


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
