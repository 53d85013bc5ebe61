"""What an `enrich` run did: the human report, the JSON for machines, the weekly commit message.

`Summary` is filled in by the job (`pipeline.enrich`); everything said about a run is
derived from it here, in one place, so the terminal, the summary JSON and the scheduled
job's commit message cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.catalog import InvalidArxivLink
from pipeline.errors import EXIT_MISSING_METADATA, EXIT_OK
from pipeline.models import CatalogEntry, Link

# Commit messages list at most this many IDs per kind of failure.
MESSAGE_ID_LIMIT = 20


@dataclass(frozen=True)
class LabelMismatch:
    """A link label that looks like the paper's title with typos."""

    entry: CatalogEntry
    title: str
    typos: list[tuple[str, str]]


@dataclass
class Summary:
    """What a run did; printed at the end and available as JSON for the scheduled job."""

    links: int = 0
    arxiv_links: int = 0
    papers: int = 0
    duplicates: int = 0
    from_cache: int = 0
    fetched: int = 0
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)
    kept_cached: list[str] = field(default_factory=list)  # --refresh failed, cache kept
    offline_missing: list[str] = field(default_factory=list)
    invalid_links: list[InvalidArxivLink] = field(default_factory=list)
    mismatches: list[LabelMismatch] = field(default_factory=list)
    unplaced: list[Link] = field(default_factory=list)
    # Metadata left out because the README would have read differently with it:
    # (line in the README as written, link URL). Reported; not a failure of the run.
    unsafe: list[tuple[int, str]] = field(default_factory=list)
    readme_kept: bool = False  # the README was left as it was: no suffix could be blamed
    requests: int = 0
    written: list[Path] = field(default_factory=list)
    unchanged_files: list[Path] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """arXiv IDs of the list that end the run without metadata."""
        kept = set(self.kept_cached)
        gone = [*self.not_found, *self.invalid, *self.unreachable, *self.offline_missing]
        return [i for i in dict.fromkeys(gone) if i not in kept]

    @property
    def exit_status(self) -> int:
        """0 when every arXiv link has metadata and a refresh re-fetched every paper, else 1
        (a refresh that kept cached records must not pass silently in the weekly job)."""
        return EXIT_MISSING_METADATA if self.missing or self.kept_cached else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        """The summary for machines; the scheduled job commits `written` with `commit_message`."""
        return {
            "links": self.links,
            "arxiv_links": self.arxiv_links,
            "papers": self.papers,
            "duplicates": self.duplicates,
            "from_cache": self.from_cache,
            "fetched": self.fetched,
            "requests": self.requests,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "not_found": self.not_found,
            "invalid": sorted(self.invalid),
            "unreachable": sorted(self.unreachable),
            "kept_cached": self.kept_cached,
            "missing": self.missing,
            "label_mismatches": len(self.mismatches),
            "metadata_left_out": [{"line": line, "url": url} for line, url in self.unsafe],
            "written": [path.as_posix() for path in self.written],
            "exit_status": self.exit_status,
            "commit_message": commit_message(self),
        }

    def report(self, readme: Path) -> str:
        """The human summary printed at the end of a run; README lines are named in it."""
        web = self.links - self.arxiv_links
        lines = [
            "Summary",
            f"  links            {self.links} ({self.arxiv_links} to arXiv, {web} other)",
            f"  distinct papers  {self.papers} ({self.duplicates} duplicate links)",
            f"  metadata         {self.from_cache} from cache, {self.fetched} fetched "
            f"in {self.requests} requests ({len(self.new)} new, {len(self.updated)} "
            f"updated), {len(self.not_found)} not found, {len(self.invalid)} invalid, "
            f"{len(self.unreachable)} unreachable",
        ]
        for arxiv_id in self.not_found:
            lines.append(f"    not found on arXiv: {arxiv_id}")
        for arxiv_id, reason in sorted(self.invalid.items()):
            lines.append(f"    invalid:            {arxiv_id} ({reason})")
        by_reason: dict[str, list[str]] = {}
        for arxiv_id, reason in sorted(self.unreachable.items()):
            by_reason.setdefault(reason, []).append(arxiv_id)
        for reason, ids in by_reason.items():
            lines.append(f"    not fetched ({reason}): {', '.join(ids)}")
        if self.kept_cached:
            lines.append(
                f"    kept from cache: {len(self.kept_cached)} papers could not be fetched "
                f"again, their cached records stay: {', '.join(sorted(self.kept_cached))}"
            )
        if self.offline_missing:
            lines.append(f"    offline, not in the cache: {', '.join(self.offline_missing)}")
        for bad in self.invalid_links:
            lines.append(
                f"  {readme}:{bad.line}: {bad.url} points at arXiv but names no paper; "
                "kept as a web link"
            )
        lines.append(f"  label mismatches {len(self.mismatches)} (possible typos, not rewritten)")
        for mismatch in self.mismatches:
            words = ", ".join(f"{a} -> {b}" for a, b in mismatch.typos)
            lines.append(
                f'    {readme}:{mismatch.entry.link.line}: "{mismatch.entry.link.label}" vs arXiv '
                f'"{mismatch.title}" ({words})'
            )
        for link in self.unplaced:
            lines.append(f"  {readme}:{link.line}: could not place metadata after {link.url}")
        for line, url in self.unsafe:
            lines.append(
                f"  {readme}:{line}: metadata after {url} left out: it would change how the "
                "README reads (please report this with the README)"
            )
        if self.readme_kept:
            lines.append(f"  {readme} left as it was; every other file is written")
        written = ", ".join(str(p) for p in self.written) or "none"
        lines.append(f"  files written    {written}")
        if self.unchanged_files:
            lines.append(f"  files unchanged  {', '.join(str(p) for p in self.unchanged_files)}")
        if self.missing:
            lines.append(f"  {len(self.missing)} arXiv papers have no metadata: exit status 1")
        if self.kept_cached:
            lines.append(
                f"  refresh incomplete: {len(self.kept_cached)} papers kept from cache: "
                "exit status 1"
            )
        return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def commit_message(summary: Summary) -> str:
    """The scheduled refresh's commit message: what changed first, then what is missing.

    Papers whose refresh failed but whose cached record was kept are "kept from cache",
    not "without metadata": their metadata is still in every output.
    """
    parts = []
    if summary.updated:
        parts.append(_plural(len(summary.updated), "paper") + " updated")
    if summary.new:
        parts.append(f"{len(summary.new)} new" if parts else _plural(len(summary.new), "new paper"))
    if summary.missing:
        parts.append(f"{len(summary.missing)} without metadata")
    if summary.kept_cached:
        parts.append(f"{len(summary.kept_cached)} kept from cache")
    lines = [
        "Weekly refresh: " + (", ".join(parts) if parts else "outputs regenerated"),
        "",
        f"{summary.links} links, {summary.arxiv_links} to arXiv, {summary.papers} distinct "
        f"papers; {summary.fetched} fetched, {summary.from_cache} from cache; "
        f"{len(summary.new)} new, {len(summary.updated)} updated, "
        f"{len(summary.unchanged)} unchanged.",
    ]
    kept = set(summary.kept_cached)
    failures = {
        "not found": summary.not_found,
        "invalid": sorted(summary.invalid),
        "unreachable": sorted(summary.unreachable),
        "offline, not in the cache": summary.offline_missing,
    }
    for kind, ids in failures.items():
        if without := [i for i in ids if i not in kept]:
            lines.append(f"{kind}: {_id_list(without)}")
    if summary.kept_cached:
        lines.append(f"kept from cache (refresh failed): {_id_list(sorted(summary.kept_cached))}")
    if summary.exit_status:
        lines.append(f"The pipeline exited with status {summary.exit_status}.")
    return "\n".join(lines)


def _id_list(ids: list[str]) -> str:
    more = len(ids) - MESSAGE_ID_LIMIT
    return ", ".join(ids[:MESSAGE_ID_LIMIT]) + (f" and {more} more" if more > 0 else "")
