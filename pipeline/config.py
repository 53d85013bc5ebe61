"""Configuration of the commands: every default in one place, each command's options built once.

The command line takes its defaults from these values (so `--help` shows them) and builds one
frozen value per run; the jobs read it and never change it. How to reach arXiv (URL, pacing,
timeouts, bounds) is `pipeline.fetch.FetchSettings`, held here by each job's options.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.fetch import FetchSettings

DEFAULT_RSS_URL = "https://rss.arxiv.org/rss/"  # env ARXIV_RSS_URL; BASE + "cs.CL+cs.LG"
# One feed is a few retries, not the API's half hour.
DIGEST_MAX_FETCH_TIME = 300.0


@dataclass(frozen=True)
class Paths:
    """Where the project's files are, relative to the working directory."""

    readme: Path = Path("README.md")  # the link list, regenerated in place
    catalog: Path = Path("catalog.csv")
    outputs: Path = Path("outputs")  # papers.parquet/.csv/.bib, digest.csv/.md, README.md
    cache: Path = Path("data/arxiv-cache.jsonl")  # committed: `make enrich` works offline
    site: Path = Path("site")  # the page for readers (not committed)


DEFAULT_PATHS = Paths()


@dataclass(frozen=True)
class Options:
    """One `enrich` run."""

    paths: Paths = DEFAULT_PATHS
    fetch: FetchSettings = field(default_factory=FetchSettings)
    offline: bool = False  # never touch the network; the cache only
    refresh: bool = False  # fetch every paper again; keep the cached record where that fails
    no_readme: bool = False  # do not rewrite the README
    # papers.bib and the label typo check in a second process beside the README render and
    # the dataset files (forked.py).
    parallel: bool = True


@dataclass(frozen=True)
class DigestOptions:
    """One `digest` run."""

    paths: Paths = DEFAULT_PATHS
    fetch: FetchSettings = field(
        default_factory=lambda: FetchSettings(max_fetch_time=DIGEST_MAX_FETCH_TIME)
    )
    rss_url: str = DEFAULT_RSS_URL  # base URL; with `offline`, the path of a saved feed
    categories: tuple[str, ...] = ()  # empty: the categories of the list's own papers
    top: int = 25  # most papers proposed
    offline: bool = False
