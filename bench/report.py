"""Turn the measurements into bench/results/: results.md, results.json and the PNG plot."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.measure import POLITE_DELAY_S
from bench.profiling import SAMPLE_RATE, ProfileSummary

TARGET_LOCAL_S = 10.0
TARGET_LOCAL_RSS_MIB = 1024.0
TARGET_TIMES_CMARK = 10.0  # the whole command within this many times cmark-gfm's render
BATCH = 2000  # what the API returns at most per request, hence the request targets


@dataclass
class NetworkRow:
    """One approach at one list size, against the fake API."""

    ids: int  # distinct arXiv IDs of the list
    approach: str
    requests: int  # as the fake server logged them, retries included
    bytes_received: int  # response bodies
    papers: int  # papers with metadata at the end
    wall_s: float  # local: at zero delay, start-up included
    cpu_s: float
    peak_rss_mib: float
    polite_s: float  # wall_s + (requests - 1) x 3 s
    failure: str | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    target_requests: int | None = None
    remarks: list[str] = field(default_factory=list)


@dataclass
class StageRow:
    stage: str
    wall_s: float
    cpu_s: float
    rss_start_mib: float
    peak_rss_mib: float


@dataclass
class LocalRun:
    """The local stages on the big list, once per README state."""

    name: str
    links: int
    papers: int
    readme_changed: bool
    total_s: float
    other_s: float
    peak_rss_mib: float
    rss_per_stage: bool
    stages: list[StageRow]


@dataclass
class Results:
    machine: dict[str, str]
    network: list[NetworkRow]
    local_links: int
    local_runs: list[LocalRun]
    # The whole CLI on the big list: wall_s, cpu_s (best of run.TIMED_RUNS), peak_rss_mib
    # (memory: the larger of biggest_process_rss_mib and tree_pss_mib), readme_mib, and
    # cmark_render_s (best of as many), the time GitHub's renderer takes on the same README;
    # slowest_wall_s and slowest_cmark_render_s say how far the runs spread.
    cli_local: dict[str, float]
    # The same on a README grown with prose (readme_mib): empty when not measured.
    big_readme: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def machine_info() -> dict[str, str]:
    """CPU, Python and the versions that matter, for the header of the results."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("cmarkgfm", "httpx", "arxiv", "pyarrow", "pandas")
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
    }


def target_requests(approach: str, ids: int, new: int) -> int | None:
    """The issue's request targets: cold ceil(N/2000), warm 0, incremental ceil(new/2000)."""
    if approach == "pipeline, cold":
        return math.ceil(ids / BATCH)
    if approach == "pipeline, warm":
        return 0
    if approach.startswith("pipeline, +"):
        return math.ceil(new / BATCH)
    return None


# -- formatting ---------------------------------------------------------------------------------


def _bytes(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def network_table(rows: Sequence[NetworkRow]) -> list[str]:
    """The Markdown table of the network scenarios."""
    lines = [
        "| IDs | approach | requests | received | papers | peak RSS | CPU | local wall"
        " | polite wall time | note |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        notes = []
        if r.failure:
            notes.append(f"**fails: {r.failure}**")
        if r.target_requests is not None:
            notes.append(
                f"target {r.target_requests} request(s): {_mark(r.requests <= r.target_requests)}"
            )
        notes += r.remarks
        lines.append(
            f"| {r.ids:,} | {r.approach} | {r.requests:,} | {_bytes(r.bytes_received)}"
            f" | {r.papers:,} | {r.peak_rss_mib:.0f} MiB | {r.cpu_s:.2f} s | {_duration(r.wall_s)}"
            f" | {_duration(r.polite_s)} | {'; '.join(notes)} |"
        )
    return lines


def stage_table(run: LocalRun) -> list[str]:
    """The Markdown table of one local-stage run."""
    kind = "peak RSS in stage" if run.rss_per_stage else "peak RSS so far"
    lines = [
        f"| stage | wall | CPU | RSS at start | {kind} |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for s in run.stages:
        lines.append(
            f"| {s.stage} | {s.wall_s:.2f} s | {s.cpu_s:.2f} s | {s.rss_start_mib:.0f} MiB"
            f" | {s.peak_rss_mib:.0f} MiB |"
        )
    lines.append(f"| other code in `enrich` | {run.other_s:.2f} s | | | |")
    lines.append(
        f"| **total in `enrich`** | **{run.total_s:.2f} s** | | | **{run.peak_rss_mib:.0f} MiB** |"
    )
    return lines


def profile_lines(summary: ProfileSummary, limit: int = 20) -> list[str]:
    """The functions that dominate: time on the stack, and own time (where the CPU is)."""
    if summary.text:
        return ["```", *summary.text.splitlines()[:80], "```"]

    def interesting(frame: str, count: int) -> bool:
        # The bench's own frames and the run's outermost frames are ~100% and say nothing.
        outer = frame.startswith(("bench/", "<frozen")) or frame == "pipeline/enrich.py:enrich"
        return not outer and summary.share(count) < 0.99

    stacked = [(f, n) for f, n in summary.inclusive.most_common() if interesting(f, n)]
    lines = [
        f"{summary.samples} samples ({summary.tool}, {SAMPLE_RATE} Hz,"
        f" {summary.samples / SAMPLE_RATE:.0f} s).",
        "Time spent in the garbage collector is counted where it was triggered, mostly in",
        "allocations (`__create_fn__.<locals>.__init__` is a dataclass constructor).",
        "",
        "| function (time on the stack) | share | seconds |",
        "| --- | ---: | ---: |",
    ]
    lines += [
        f"| `{f}` | {summary.share(n):.0%} | {n / SAMPLE_RATE:.1f} |" for f, n in stacked[:limit]
    ]
    lines += ["", "| function (own time) | share | seconds |", "| --- | ---: | ---: |"]
    lines += [
        f"| `{f}` | {summary.share(n):.0%} | {n / SAMPLE_RATE:.1f} |"
        for f, n in summary.top("", limit // 2, own=True)
    ]
    return lines


HOW_TO_READ = """\
## How to read this

- **What runs.** Every row is a separate child process (interpreter start-up and imports
  included) against a fake arXiv API on 127.0.0.1 (`tests/fakearxiv.py`) that answers at
  once. The pipeline rows run `python -m pipeline enrich --delay 0` on a generated list;
  *cold* starts with an empty cache, *warm* runs again with the cache it filled, *+10 new*
  adds a section with 10 new arXiv links to the README the warm run wrote.
  *one request per ID* is a plain httpx loop, `GET ?id_list=ID` per paper (what most
  list-maintenance scripts do); *arxiv package* is `arxiv.Client()` with its defaults
  (page size 100, 3 retries) and `arxiv.Search(id_list=ids)`, pointed at the fake.
- **requests** and **received** are counted by the fake server, so every client is
  counted the same way, retries included; *received* is response bodies (HTTP headers
  not counted). A request line over 64 KiB is refused by Python's HTTP server before the
  fake logs it; such rows use the client's own count and say so. **papers** is how many
  of the list's papers have metadata at the end.
- **peak RSS** and **CPU** (user + system) are the child's own, from `wait4`; the fake
  server runs in the parent and is not included. **local wall** is the child's wall time
  at zero delay.
- **polite wall time** = local wall + (requests - 1) x 3 s: the least time arXiv's terms
  ("no more than one request every three seconds") allow. It is computed, not waited
  for, so the bench takes minutes rather than hours. Real arXiv also takes seconds to
  answer a large batch, which the fake does not; read polite time as a lower bound whose
  size is set by the request count.
- **fails** means the approach stops without the metadata: a GET whose URL is over 8000
  characters gets HTTP 414 (as the live API does from about 700 IDs on).
- **Local stages**: `enrich --offline` on a generated list with a full cache, every stage
  function timed in place (`bench/stages.py`); peak RSS per stage is the high-water mark
  after resetting it at the start of the stage. *First render* is a list without any
  metadata yet; *steady state* is the list as the pipeline leaves it (every arXiv link
  already followed by its metadata), i.e. every later run. The target is checked on the
  whole command, `python -m pipeline enrich --offline`, start-up included: its time and
  cmark-gfm's are each the best of three runs, taken alternately (a shared machine moves
  single runs by tens of percent). Its **peak memory** is the larger of the biggest
  process's peak RSS and the peak PSS summed over the process tree (enrich forks a second
  process for the dataset files; PSS counts the pages the two share once), sampled every
  20 ms in a separate run so that sampling costs the timed runs nothing.
- Timings vary by a few percent between runs; requests, bytes and papers do not.
"""


def render_markdown(results: Results, profile: ProfileSummary | None) -> str:
    """results.md: machine, tables, targets, profile, how to read."""
    m = results.machine
    out = [
        "# Benchmark: requests, time and memory",
        "",
        "Generated by `make bench` (`bench/run.py`); do not edit by hand. See"
        " [How to read this](#how-to-read-this) and [bench/README.md](../README.md).",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, {m['platform']};"
        f" {m['date']}. Packages: {m['packages']}.",
        "",
        "## Fetching metadata, against the fake arXiv API",
        "",
        f"Polite wall time assumes {POLITE_DELAY_S:g} s between requests.",
        "",
        *network_table(results.network),
        "",
        f"## Local stages, {results.local_links:,} links",
        "",
    ]
    for run in results.local_runs:
        changed = "README rewritten" if run.readme_changed else "README unchanged (fixpoint)"
        out += [
            f"### {run.name}: {run.links:,} links, {run.papers:,} papers; {changed}",
            "",
            *stage_table(run),
            "",
        ]
    cli = results.cli_local
    out += [
        f"Whole command (`python -m pipeline enrich --offline`, steady state, start-up"
        f" included): **{cli['wall_s']:.1f} s** wall, {cli['cpu_s']:.1f} s CPU,"
        f" **{cli['peak_rss_mib']:.0f} MiB** peak memory.",
        "",
        *_cmark_lines(results),
        "",
        "## Targets",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
    ]
    for r in results.network:
        if r.target_requests is not None:
            out.append(
                f"| {r.approach}, {r.ids:,} IDs: {r.target_requests} request(s)"
                f" | {r.requests} | {_mark(r.requests <= r.target_requests)} |"
            )
    out += [
        f"| {results.local_links:,} links, local stages: under {TARGET_LOCAL_S:g} s"
        f" | {cli['wall_s']:.1f} s | {_mark(cli['wall_s'] < TARGET_LOCAL_S)} |",
        f"| {results.local_links:,} links, local stages: under 1 GiB"
        f" | {cli['peak_rss_mib']:.0f} MiB | {_mark(cli['peak_rss_mib'] < TARGET_LOCAL_RSS_MIB)} |",
        *_cmark_targets(results),
        "",
    ]
    if results.notes:
        out += ["## Notes", "", *[f"- {note}" for note in results.notes], ""]
    if profile is not None:
        out += [
            "## Profile of the local stages (steady state)",
            "",
            "Taken because a local-stage target was missed. What dominates, why, and the"
            " fixes: [bench/README.md, Findings](../README.md#findings)."
            " Raw samples are not committed (`bench/run.py --keep` keeps them).",
            "",
            *profile_lines(profile),
            "",
        ]
    out.append(HOW_TO_READ)
    return "\n".join(out)


def _cmark_lines(results: Results) -> list[str]:
    """The whole command beside GitHub's renderer (cmark-gfm) on the same README."""
    cli, big = results.cli_local, results.big_readme
    lines = ["| README | `enrich --offline` | cmark-gfm render | ratio | peak memory |"]
    lines.append("| --- | --- | --- | --- | --- |")
    for name, run in (("steady-state list", cli), ("list + prose", big)):
        if run.get("cmark_render_s"):
            lines.append(
                f"| {name}, {run['readme_mib']:.1f} MiB | {run['wall_s']:.1f} s"
                f" | {run['cmark_render_s']:.2f} s"
                f" | {run['wall_s'] / run['cmark_render_s']:.1f}x | {run['peak_rss_mib']:.0f} MiB |"
            )
    if len(lines) == 2:
        return []
    slowest, slowest_cmark = cli.get("slowest_wall_s"), cli.get("slowest_cmark_render_s")
    if slowest and slowest_cmark:
        lines += [
            "",
            f"Each time is the best of its runs; the slowest {results.local_links:,}-link runs"
            f" took {slowest:.1f} s and cmark-gfm {slowest_cmark:.2f} s"
            " (this machine's load moves both).",
        ]
    return lines


def _cmark_targets(results: Results) -> list[str]:
    cli, big = results.cli_local, results.big_readme
    out = []
    if cli.get("cmark_render_s"):
        ratio = cli["wall_s"] / cli["cmark_render_s"]
        out.append(
            f"| {results.local_links:,} links: within {TARGET_TIMES_CMARK:g}x of cmark-gfm"
            f" | {ratio:.1f}x | {_mark(ratio <= TARGET_TIMES_CMARK)} |"
        )
    if big:
        met = big["peak_rss_mib"] < TARGET_LOCAL_RSS_MIB
        out.append(
            f"| {big['readme_mib']:.0f} MiB README: under 1 GiB"
            f" | {big['peak_rss_mib']:.0f} MiB | {_mark(met)} |"
        )
    return out


def write_json(results: Results, path: Path) -> None:
    """results.json: every number of results.md, for scripts and comparisons."""
    path.write_text(json.dumps(asdict(results), indent=2) + "\n", encoding="utf-8")


def write_plot(rows: Sequence[NetworkRow], path: Path) -> None:
    """Two panels per list size: HTTP requests and polite wall time, log scale, per approach."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    import matplotlib.pyplot as plt

    sizes = sorted({r.ids for r in rows})
    approaches = list(dict.fromkeys(r.approach for r in rows))
    by_key = {(r.ids, r.approach): r for r in rows}
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    width = 0.8 / len(approaches)
    colours = plt.get_cmap("tab10")
    for index, approach in enumerate(approaches):
        xs, requests, polite, failed = [], [], [], []
        for position, size in enumerate(sizes):
            row = by_key.get((size, approach))
            if row is None:
                continue
            xs.append(position + (index - (len(approaches) - 1) / 2) * width)
            requests.append(row.requests)
            polite.append(row.polite_s)
            failed.append(row.failure is not None)
        colour = colours(index)
        for axis, values, text in (
            (left, requests, [f"{v:,}" for v in requests]),
            (right, polite, [_duration(v) for v in polite]),
        ):
            bars = axis.bar(xs, values, width, label=approach, color=colour, edgecolor="black")
            for bar, label, fail in zip(bars, text, failed, strict=True):
                if fail:
                    bar.set_hatch("//")
                axis.annotate(
                    f"{label} (fails)" if fail else label,
                    (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    rotation=90,
                )
    for axis, title in (
        (left, "HTTP requests (0 shown at the bottom)"),
        (right, "polite wall time = local + (requests - 1) x 3 s"),
    ):
        axis.set_xticks(range(len(sizes)), [f"{s:,} IDs" for s in sizes])
        axis.set_title(title)
        axis.grid(axis="y", which="major", alpha=0.3)
    left.set_yscale("symlog", linthresh=1)
    left.set_ylim(0, max(r.requests for r in rows) * 30)  # room for the labels
    right.set_yscale("log")
    right.set_ylim(top=max(r.polite_s for r in rows) * 30)
    for seconds, label in ((60, "1 min"), (3600, "1 h"), (8 * 3600, "8 h")):
        right.axhline(seconds, color="grey", linewidth=0.6, linestyle=":")
        right.annotate(label, (len(sizes) - 0.5, seconds), fontsize=7, va="bottom", ha="right")
    right.set_ylabel("seconds")
    handles, labels = left.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=len(approaches), fontsize=8)
    figure.suptitle("Fetching arXiv metadata for a reading list (hatched: the approach fails)")
    figure.tight_layout(rect=(0, 0.06, 1, 1))  # leave the bottom strip to the legend
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_all(results: Results, profile: ProfileSummary | None, folder: Path) -> list[Path]:
    """Write results.md, results.json and the plot into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / "results.md", folder / "results.json", folder / "requests_and_time.png"]
    paths[0].write_text(render_markdown(results, profile), encoding="utf-8")
    write_json(results, paths[1])
    write_plot(results.network, paths[2])
    return paths
