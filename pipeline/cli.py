"""Command line: `python -m pipeline enrich [options]`, `digest`, `import-snapshot` and `site`.

Exit status: 0 every arXiv link has metadata; 1 the run finished, but some arXiv papers have
no metadata, or a --refresh kept cached records it could not re-fetch (outputs still
written), or for `digest` the RSS feed could not be had or is no RSS (nothing written); 2 bad
usage or unreadable input (nothing written); 3 an output could not be written, or an internal
error (files already written stay complete); 130 interrupted (Ctrl-C; fetched metadata stays
cached).
`make` reports any non-zero status as 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from pipeline.bulk import pandas_unimported
from pipeline.cache import dump_cache
from pipeline.config import DEFAULT_PATHS, DigestOptions, Options, Paths
from pipeline.enrich import enrich, read_cache
from pipeline.errors import EXIT_OK, InputError, PipelineError, exit_status
from pipeline.fetch import (
    DEFAULT_API_URL,
    MAX_BATCH_SIZE,
    FetchSettings,
    HttpxTransport,
    user_agent,
)
from pipeline.files import atomic_write, read_text


def _seconds(text: str) -> float:
    """A duration that must be finite and more than 0 (a timeout, a time bound)."""
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _delay(text: str) -> float:
    """A pause that may be 0 (a local mirror) but must be finite."""
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text}")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, not {text}")
    return value


def _api_url(text: str) -> str:
    """An http(s) URL with a host (a bare host or a typo would be retried like an outage)."""
    try:
        parts = urlsplit(text.strip())
        host = parts.hostname
    except ValueError:
        host = None
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not host:
        raise argparse.ArgumentTypeError(
            f"must be an http:// or https:// URL with a host, like {DEFAULT_API_URL}; got {text!r}"
        )
    return text.strip()


def _batch_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_BATCH_SIZE:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_BATCH_SIZE}")
    return value


def _top(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _categories(text: str) -> list[str]:
    # Imported where used, like tqdm and the snapshot below: start-up is part of every
    # enrich run, and an offline one needs none of them (feedparser, tqdm: 50 ms).
    from pipeline.rss import CATEGORY_PATTERN

    names = [n for n in re.split(r"[\s,+]+", text) if n]
    bad = [n for n in names if not CATEGORY_PATTERN.fullmatch(n)]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"not an arXiv category: {', '.join(bad) or repr(text)} (e.g. cs.CL,cs.LG)"
        )
    return list(dict.fromkeys(names))


DIGEST_HELP = """\
Read arXiv's RSS listing of the list's categories (one request), keep the new and
cross-listed papers that are not in the list yet, rank them by TF-IDF similarity to the
list's papers, and write outputs/digest.csv and outputs/digest.md (best first).

--offline reads a feed saved earlier from the file --rss-url names, and touches no network.

Exit status: 0 digest written (an empty feed gives an empty digest); 1 the feed is
unreachable or no RSS (nothing written); 2 bad usage or unreadable input (nothing
written); 3 an output could not be written; 130 interrupted.
"""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Descriptions as written, and every option's default (from `pipeline.config`) shown."""


def build_parser() -> argparse.ArgumentParser:
    """The command line; every default comes from `pipeline.config`."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline", description=__doc__, formatter_class=_HelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = Options().fetch

    run = commands.add_parser(
        "enrich",
        help="parse the list, fetch metadata, write everything",
        description=__doc__,
        formatter_class=_HelpFormatter,
    )
    _path_options(run, "readme", "catalog", "outputs", "cache")
    run.add_argument(
        "--api-url",
        type=_api_url,
        default=os.environ.get("ARXIV_API_URL") or fetch.api_url,
        help="arXiv API endpoint (env ARXIV_API_URL)",
    )
    run.add_argument(
        "--delay",
        type=_delay,
        default=fetch.delay,
        help="least seconds between requests (arXiv asks for 3); a Retry-After holds longer",
    )
    run.add_argument(
        "--batch-size", type=_batch_size, default=fetch.batch_size, help="arXiv IDs per request"
    )
    _time_options(run, fetch, "give up fetching after this many seconds; what is left is reported")
    run.add_argument(
        "--request-time-limit",
        type=_seconds,
        default=fetch.request_time_limit,
        help="longest time for one request, start to last byte (s)",
    )
    run.add_argument("--offline", action="store_true", help="never touch the network")
    run.add_argument("--refresh", action="store_true", help="fetch every paper again")
    run.add_argument("--no-readme", action="store_true", help="do not rewrite the README")
    run.add_argument(
        "--serial",
        action="store_true",
        help="one process only (by default, on Linux with 2+ cores, a second process "
        "writes papers.bib and checks labels while this one makes the README and data files)",
    )
    _summary_option(run, "also write the summary as JSON here (env PIPELINE_SUMMARY)")

    digest_defaults = DigestOptions()
    digest = commands.add_parser(
        "digest",
        help="rank the papers of arXiv's latest announcement by how well they fit the list",
        description=DIGEST_HELP,
        formatter_class=_HelpFormatter,
    )
    _path_options(digest, "readme", "cache", "outputs")
    digest.add_argument(
        "--rss-url",
        default=os.environ.get("ARXIV_RSS_URL") or digest_defaults.rss_url,
        help="base of arXiv's RSS feeds (env ARXIV_RSS_URL); with --offline, a saved feed file",
    )
    digest.add_argument(
        "--categories",
        type=_categories,
        default=digest_defaults.categories,
        help="e.g. cs.CL,cs.LG (empty: the categories of the list's own papers, at most 5)",
    )
    digest.add_argument(
        "--top", type=_top, default=digest_defaults.top, help="most papers proposed"
    )
    digest.add_argument(
        "--offline", action="store_true", help="read the feed from the file --rss-url names"
    )
    _time_options(
        digest,
        digest_defaults.fetch,
        "give up on the feed after this many seconds, retries included",
    )
    _summary_option(
        digest,
        "add the files written and a commit-message line to this summary JSON (the weekly "
        "job's, from enrich; created if missing; env PIPELINE_SUMMARY)",
    )

    imp = commands.add_parser(
        "import-snapshot",
        help="add snapshot records to the cache for papers it lacks",
        formatter_class=_HelpFormatter,
    )
    imp.add_argument("snapshot", type=Path, help="papers.jsonl of shared/arxiv-snapshot")
    _path_options(imp, "cache")

    site = commands.add_parser(
        "site",
        help="build the page for readers (site/index.html) from the outputs",
        formatter_class=_HelpFormatter,
    )
    _path_options(site, "outputs", "site")
    return parser


_PATH_HELP = {
    "readme": "the link list (regenerated in place by enrich)",
    "catalog": "where catalog.csv is written",
    "outputs": "the folder of papers.* and digest.*",
    "cache": "the arXiv metadata cache (JSON Lines)",
    "site": "where the page for readers is built",
}


def _path_options(command: argparse.ArgumentParser, *names: str) -> None:
    for name in names:
        default = getattr(DEFAULT_PATHS, name)
        command.add_argument(f"--{name}", type=Path, default=default, help=_PATH_HELP[name])


def _time_options(command: argparse.ArgumentParser, fetch: FetchSettings, bound: str) -> None:
    command.add_argument(
        "--timeout",
        type=_seconds,
        default=fetch.read_timeout,
        help="longest silence while waiting for an answer (s)",
    )
    command.add_argument(
        "--max-fetch-time", type=_seconds, default=fetch.max_fetch_time, help=bound
    )


def _summary_option(command: argparse.ArgumentParser, text: str) -> None:
    command.add_argument(
        "--summary-json", type=Path, default=os.environ.get("PIPELINE_SUMMARY") or None, help=text
    )


def _paths(args: argparse.Namespace) -> Paths:
    """The paths a command was given; the others keep their defaults."""
    given = {name: getattr(args, name) for name in _PATH_HELP if hasattr(args, name)}
    return replace(DEFAULT_PATHS, **given)


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    keep: list[object] | None = None,
) -> int:
    """Run the command line; returns the exit status. `keep`: see `enrich`."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    _log_to_stderr()
    try:
        if args.command == "import-snapshot":
            return _import_snapshot(args.snapshot, args.cache, out)
        if args.command == "site":
            return _site(args.outputs, args.site, out)
        if args.command == "digest":
            return _digest(args, out)
        return _enrich(args, out, keep)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_status(error)
    except KeyboardInterrupt as error:
        print("interrupted: outputs left as they were; fetched metadata is cached", file=sys.stderr)
        return exit_status(error)
    except OSError as error:
        # A file that cannot be written (permissions, full disk): name it, no traceback.
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return exit_status(error)
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_status(error)
    except Exception as error:
        # A bug: still one line, and the files already written are complete (atomic writes).
        name = type(error).__name__
        print(f"internal error ({name}): {error}; please report it", file=sys.stderr)
        return exit_status(error)


class _StderrHandler(logging.Handler):
    """Log lines to whatever `sys.stderr` is when they are emitted (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


def _log_to_stderr() -> None:
    """Retries, waits and why a fetch stopped: one line each on stderr, so CI logs say
    why a run took long."""
    logger = logging.getLogger("pipeline")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)


def _enrich(args: argparse.Namespace, out: TextIO, keep: list[object] | None) -> int:
    options = Options(
        paths=_paths(args),
        fetch=FetchSettings(
            api_url=args.api_url,
            delay=args.delay,
            batch_size=args.batch_size,
            read_timeout=args.timeout,
            request_time_limit=args.request_time_limit,
            max_fetch_time=args.max_fetch_time,
        ),
        offline=args.offline,
        refresh=args.refresh,
        no_readme=args.no_readme,
        parallel=not args.serial,
    )
    # This process ends after the run: pyarrow may make the data files without pandas.
    with pandas_unimported():
        summary = enrich(
            options, lambda: _http_transport(options.fetch), progress=_progress_bar, keep=keep
        )
    print(summary.report(options.paths.readme), file=out)
    if args.summary_json:
        atomic_write(args.summary_json, json.dumps(summary.to_json(), indent=2) + "\n")
    return summary.exit_status


def _digest(args: argparse.Namespace, out: TextIO) -> int:
    defaults = DigestOptions()
    options = DigestOptions(
        paths=_paths(args),
        fetch=replace(
            defaults.fetch, read_timeout=args.timeout, max_fetch_time=args.max_fetch_time
        ),
        rss_url=args.rss_url,
        categories=tuple(args.categories),
        top=args.top,
        offline=args.offline,
    )
    # Imported here: the digest brings scikit-learn (2 s and 80 MB), which enrich never needs.
    from pipeline.digest import load_job_summary, make_digest, with_digest

    job = load_job_summary(args.summary_json) if args.summary_json else None
    summary = make_digest(options, lambda: _http_transport(options.fetch))
    print(summary.report(), file=out)
    if args.summary_json and job is not None:
        atomic_write(args.summary_json, json.dumps(with_digest(job, summary), indent=2) + "\n")
    return EXIT_OK


def _http_transport(settings: FetchSettings) -> HttpxTransport:
    """The one HTTP client of both commands: identified as arXiv asks, with its bounds."""
    contact = os.environ.get("ARXIV_CONTACT")
    if not contact:
        print(
            "note: set ARXIV_CONTACT (e.g. mailto:you@example.org) so arXiv can reach you",
            file=sys.stderr,
        )
    return HttpxTransport(settings, user_agent=user_agent(contact))


def _progress_bar(total: int) -> Callable[[int], None]:
    """A progress bar on a terminal; in logs (CI) one line per settled batch instead."""
    print(f"fetching arXiv metadata of {total} papers", file=sys.stderr)
    from tqdm import tqdm

    on_terminal = sys.stderr.isatty()
    # No monitor thread (it only nudges stalled bars): enrich forks a second process after
    # fetching, which it does only where no other thread runs (pipeline/forked.py).
    tqdm.monitor_interval = 0
    bar = tqdm(total=total, unit="paper", disable=not on_terminal, leave=False)
    settled = 0

    def advance(done: int) -> None:
        nonlocal settled
        settled += done
        bar.update(done)
        if not on_terminal:
            print(f"  {settled}/{total} settled", file=sys.stderr)
        if settled >= total:
            bar.close()

    return advance


def _import_snapshot(snapshot: Path, cache_path: Path, out: TextIO) -> int:
    from pipeline.snapshot import import_snapshot, papers_from_snapshot

    snapshot_papers = papers_from_snapshot(read_text(snapshot), str(snapshot))
    cache = read_cache(cache_path)
    merged = import_snapshot(cache, snapshot_papers)
    atomic_write(cache_path, dump_cache(merged.papers.values()))
    print(
        f"{cache_path}: {len(merged.new)} papers added from {snapshot}, "
        f"{len(snapshot_papers) - len(merged.new)} already cached",
        file=out,
    )
    return EXIT_OK


def _site(outputs: Path, site: Path, out: TextIO) -> int:
    from pipeline.site import build_site

    built = build_site(outputs, site)
    print(
        f"{built.index}: {built.entries} links, {built.papers} papers, "
        f"{built.bytes / 1024:.0f} KiB with its assets "
        f"({len(built.written)} files written); open {built.index.resolve().as_uri()}",
        file=out,
    )
    return EXIT_OK
