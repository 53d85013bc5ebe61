"""The `digest` job: new arXiv papers for the list, as outputs/digest.csv and digest.md.

It reads the list (README + cache) and one RSS feed of the list's categories, ranks the new
papers (`ranking.py`), and writes both files atomically once everything is computed; a feed
that cannot be had raises FeedError before anything is written.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.atom import abs_url
from pipeline.catalog import build_catalog, distinct_arxiv_ids
from pipeline.config import DigestOptions
from pipeline.enrich import read_cache, read_list
from pipeline.errors import FeedError, InputError
from pipeline.files import read_text, write_all
from pipeline.outputs import LIST_SEPARATOR
from pipeline.ranking import (
    SCORE_DECIMALS,
    Proposal,
    Selection,
    list_categories,
    list_papers,
    rank,
    select_candidates,
)
from pipeline.rss import (
    FeedTransport,
    Listing,
    feed_url,
    fetch_listing,
    parse_listing,
)

CSV_COLUMNS = (
    "rank",
    "arxiv_id",
    "title",
    "authors",
    "announced",
    "announce_type",
    "categories",
    "score",
    "suggested_section",
    "suggested_subsection",
    "nearest_arxiv_id",
    "nearest_title",
    "abs_url",
)
RANKING_EXPLAINED = (
    "Each new paper's title and abstract is compared with the title and abstract of every "
    "arXiv paper in the list: both become TF-IDF vectors (word counts, English stop words left "
    "out, words that few papers use weighing more), and the score is the cosine similarity to the "
    "closest list paper, from 0 (no word in common) to 1 (the same text). The suggested "
    "section is the section of that closest paper, which is named so you can judge the pair. "
    "Replacements (new versions of older papers), papers already in the list and papers "
    "sharing no word with it are left out; a paper announced in several categories appears "
    "once."
)


@dataclass
class DigestSummary:
    """What a digest run did."""

    source: str  # the feed URL, or the file read with --offline
    feed: str  # the categories asked for ("cs.CL+cs.LG"), or the file's name offline
    list_papers: int
    listing: Listing
    selection: Selection
    proposals: list[Proposal]  # as written (after --top)
    ranked: int  # before --top
    written: list[Path] = field(default_factory=list)
    unchanged_files: list[Path] = field(default_factory=list)

    def report(self) -> str:
        """The human summary printed at the end of a run."""
        selection, listing = self.selection, self.listing
        lines = [
            "Digest",
            f"  feed             {self.source} (announcement of {listing.announced or '?'})",
            f"  announcements    {len(listing.items)}: {len(selection.candidates)} new to the "
            f"list, {len(selection.replacements)} replacements, {len(selection.listed)} already "
            f"listed, {len(selection.duplicates)} duplicates across categories",
            f"  proposed         {len(self.proposals)} of {self.ranked} that share words "
            f"with the list's {self.list_papers} papers",
        ]
        if listing.unreadable:
            lines.append(f"  items without an arXiv ID (skipped): {len(listing.unreadable)}")
        if selection.other_types:
            lines.append(f"  unknown announce types (skipped): {', '.join(selection.other_types)}")
        if not listing.items:
            lines.append("  the feed is empty (arXiv announces nothing on weekends and holidays)")
        lines.append(f"  files written    {', '.join(map(str, self.written)) or 'none'}")
        if self.unchanged_files:
            lines.append(f"  files unchanged  {', '.join(map(str, self.unchanged_files))}")
        return "\n".join(lines)


def load_job_summary(path: Path) -> dict[str, Any]:
    """The scheduled job's summary JSON (written by `enrich`), {} when there is none yet.

    Read before the digest is made, so that a broken file stops the run with nothing written.
    """
    if not path.exists():
        return {}
    try:
        loaded = json.loads(read_text(path))
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}: not a summary JSON: {error.msg}") from None
    if not isinstance(loaded, dict) or not isinstance(loaded.get("written", []), list):
        raise InputError(f"{path}: not a summary JSON object with a `written` list")
    return loaded


def with_digest(job: dict[str, Any], summary: DigestSummary) -> dict[str, Any]:
    """The job's summary with the digest added.

    The job commits the summary's `written` files with its `commit_message`; the digest's
    files join them, and its line joins the message (as the subject when the refresh itself
    changed nothing).
    """
    earlier = [str(p) for p in job.get("written", [])]
    written = [p.as_posix() for p in summary.written]
    message = str(job.get("commit_message", "")).strip()
    if written:
        line = digest_message(summary)
        message = f"{message}\n\n{line}" if earlier else f"{line}\n\n{message}"
    return job | {
        "written": [*earlier, *(p for p in written if p not in earlier)],
        "commit_message": message.strip(),
        "exit_status": job.get("exit_status", 0),
    }


def digest_message(summary: DigestSummary) -> str:
    """One line for the weekly commit: what the digest proposes."""
    day = summary.listing.announced or "the latest announcement"
    count = len(summary.proposals)
    papers = f"{count} new paper{'' if count == 1 else 's'}"
    return f"Digest of arXiv {day}: {papers} proposed for the list (outputs/digest.md)"


def make_digest(
    options: DigestOptions,
    transport: Callable[[], FeedTransport],
) -> DigestSummary:
    """Read the list and one feed, rank the new papers, write digest.csv and digest.md.

    Raises InputError for unreadable input (exit 2) and FeedError when the feed cannot be
    had (exit 1); in both cases nothing is written. `transport` is called only online.
    """
    _, links = read_list(options.paths.readme)
    entries, _ = build_catalog(links)
    cache = read_cache(options.paths.cache)
    ids = distinct_arxiv_ids(entries)
    papers = list_papers(entries, cache)
    if options.offline:
        source = options.rss_url.removeprefix("file://")
        feed = Path(source).name
        listing = _saved_listing(Path(source))
    else:
        categories = list(options.categories) or list_categories(
            cache[i] for i in ids if i in cache
        )
        if not categories:
            raise InputError(
                f"{options.paths.cache}: no paper of the list has categories; pass --categories"
            )
        feed = "+".join(categories)
        source = feed_url(options.rss_url, categories)
        try:
            with transport() as client:
                listing = fetch_listing(source, client, options.fetch)
        except FeedError as error:
            raise FeedError(f"{error}; nothing written") from None
    selection = select_candidates(listing.items, ids)
    ranked = rank(selection.candidates, papers)
    shown = ranked[: options.top]
    context = DigestContext(feed, listing, selection, len(shown), len(ranked))
    summary = DigestSummary(source, feed, len(papers), listing, selection, shown, len(ranked))
    planned = [
        (options.paths.outputs / "digest.csv", digest_csv(shown)),
        (options.paths.outputs / "digest.md", digest_markdown(shown, context)),
    ]
    summary.written, summary.unchanged_files = write_all(planned)
    return summary


def _saved_listing(path: Path) -> Listing:
    try:
        body = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the saved feed: {error.strerror}") from None
    try:
        return parse_listing(body)
    except FeedError as error:
        raise InputError(f"{path}: {error}") from None


def digest_csv(proposals: Sequence[Proposal]) -> str:
    """digest.csv: one row per proposal, best first; lists joined with "; "."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rank_number, proposal in enumerate(proposals, start=1):
        paper, nearest = proposal.paper, proposal.nearest
        writer.writerow(
            [
                rank_number,
                paper.arxiv_id,
                paper.title,
                LIST_SEPARATOR.join(paper.authors),
                paper.announced,
                paper.announce_type,
                LIST_SEPARATOR.join(paper.categories),
                f"{proposal.score:.{SCORE_DECIMALS}f}",
                nearest.section,
                nearest.subsection,
                nearest.arxiv_id,
                nearest.title,
                abs_url(paper.arxiv_id),
            ]
        )
    return buffer.getvalue()


@dataclass(frozen=True)
class DigestContext:
    """What the Markdown page says about where its papers came from."""

    feed: str  # the categories, "cs.CL+cs.LG"
    listing: Listing
    selection: Selection
    shown: int  # proposals on the page (after --top)
    ranked: int  # proposals before --top


def digest_markdown(proposals: Sequence[Proposal], context: DigestContext) -> str:
    """digest.md: the proposals as a short page a maintainer reads on the job's summary."""
    listing, selection = context.listing, context.selection
    day = listing.announced or "unknown date"
    lines = [f"# New on arXiv ({day}): papers that may belong in the list", ""]
    dropped = [
        (len(selection.replacements), "replacements"),
        (len(selection.listed), "already in the list"),
        (len(selection.duplicates), "duplicates across categories"),
        (len(selection.other_types), "of other announce types"),
        (len(listing.unreadable), "without an arXiv ID"),
    ]
    left_out = ", ".join(f"{n} {why}" for n, why in dropped if n)
    lines.append(
        f"Feed `{context.feed}`: {len(listing.items) + len(listing.unreadable)} announcements, "
        f"{len(selection.candidates)} new to the list"
        + (f" (left out: {left_out})" if left_out else "")
        + f"; {context.ranked} share words with the list"
        + (f", the best {context.shown} shown." if context.shown < context.ranked else ".")
    )
    lines.append("")
    if not listing.items and not listing.unreadable:
        lines += ["The feed is empty: arXiv announces nothing on weekends and holidays.", ""]
    elif not proposals:
        lines += ["No new paper in this announcement fits the list.", ""]
    lines += [f"*How the ranking works.* {RANKING_EXPLAINED}", ""]
    for number, proposal in enumerate(proposals, start=1):
        paper, nearest = proposal.paper, proposal.nearest
        place = nearest.section + (f" › {nearest.subsection}" if nearest.subsection else "")
        lines += [
            f"## {number}. [{_escape(paper.title)}]({abs_url(paper.arxiv_id)})",
            "",
            f"{_escape(_authors(paper.authors))} · {', '.join(paper.categories)} · "
            f"{paper.announce_type} · score {proposal.score:.{SCORE_DECIMALS}f}",
            "",
            f"Suggested section: **{_escape(place)}**; nearest paper of the list: "
            f"[{_escape(nearest.title)}]({abs_url(nearest.arxiv_id)})",
            "",
        ]
        if sentence := first_sentence(paper.abstract):
            lines += [f"> {_escape(sentence)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# A sentence ends at . ! or ? before a capital, but not after an abbreviation abstracts use.
_ABBREVIATIONS = ("e.g", "i.e", "et al", "cf", "vs", "Fig", "Eq", "Sec", "resp", "approx")
_SENTENCE_END = re.compile(
    "".join(rf"(?<!\b{re.escape(a)})" for a in _ABBREVIATIONS) + r"[.!?](?=\s+[A-Z(\"'])"
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
MAX_SENTENCE = 300


def first_sentence(abstract: str) -> str:
    """The abstract's first sentence (cut at MAX_SENTENCE characters)."""
    text = abstract.strip()
    match = _SENTENCE_END.search(text)
    sentence = text[: match.end()] if match else text
    if len(sentence) > MAX_SENTENCE:
        sentence = sentence[:MAX_SENTENCE].rsplit(" ", 1)[0] + " …"
    return sentence


def _authors(authors: Sequence[str]) -> str:
    if len(authors) > 5:
        return f"{', '.join(authors[:5])} et al."
    return ", ".join(authors) or "unknown authors"


def _escape(text: str) -> str:
    """Markdown-inert text: titles with `*`, `_`, `[` or `<` show as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
