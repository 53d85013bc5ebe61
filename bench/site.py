"""How big the page for readers gets and how long `python -m pipeline site` takes.

`python -m bench.site [N ...]` (default: the seed list, then 10 000 papers) prints one row per
list: links, papers, the size of site/ and of papers.bib, and the wall time, CPU time and
peak memory of `enrich --offline` (which writes papers.bib) and of `site`, each in its own
process. Synthetic papers carry the seed's real abstracts in turn, so the page weighs what a
real list of that size would.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import msgspec

from bench.lists import papers_from_fake, reading_list
from bench.measure import ProcessStats, run_measured
from pipeline.cache import dump_cache, load_cache
from tests.fakearxiv import FakeArxiv

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
WEB_SHARE = 0.1  # one link in ten is a blog post, about the seed's share


def _seed(workdir: Path) -> None:
    shutil.copyfile(ROOT / "README.md", workdir / "README.md")
    shutil.copyfile(ROOT / "data" / "arxiv-cache.jsonl", workdir / "cache.jsonl")


def _synthetic(workdir: Path, papers: int) -> None:
    seed = load_cache((ROOT / "data" / "arxiv-cache.jsonl").read_text(encoding="utf-8"))
    abstracts = [p.abstract for p in seed.values() if p.abstract]
    fake = FakeArxiv()
    ids = fake.add_synthetic(papers)
    records = [
        msgspec.structs.replace(p, abstract=abstracts[k % len(abstracts)])
        for k, p in enumerate(papers_from_fake(fake, ids))
    ]
    web = round(papers * WEB_SHARE / (1 - WEB_SHARE))
    (workdir / "README.md").write_text(reading_list(ids, web), encoding="utf-8")
    (workdir / "cache.jsonl").write_text(dump_cache(records), encoding="utf-8")


def _run(workdir: Path, *args: str) -> ProcessStats:
    stats = run_measured([PY, "-m", "pipeline", *args], cwd=workdir)
    if stats.exit_code != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed: {stats.stderr.strip()[-300:]}")
    return stats


def measure(workdir: Path) -> dict[str, float]:
    """enrich --offline (README untouched) then site, in `workdir`; sizes and times."""
    enrich = _run(
        workdir,
        *("enrich", "--offline", "--no-readme", "--delay", "0", "--cache", "cache.jsonl"),
    )
    site = _run(workdir, "site")
    catalog_rows = (workdir / "catalog.csv").read_text(encoding="utf-8").count("\n") - 1
    return {
        "links": catalog_rows,
        "papers": (workdir / "outputs" / "papers.bib").read_text(encoding="utf-8").count("@misc{"),
        "index_kib": (workdir / "site" / "index.html").stat().st_size / 1024,
        "site_kib": sum(p.stat().st_size for p in (workdir / "site").iterdir()) / 1024,
        "bib_kib": (workdir / "outputs" / "papers.bib").stat().st_size / 1024,
        "enrich_s": enrich.wall_s,
        "site_s": site.wall_s,
        "site_cpu_s": site.cpu_s,
        "site_rss_mib": site.peak_rss_mib,
    }


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [0, 10_000]
    print(
        "| list | links | papers | index.html | site/ | papers.bib | enrich --offline "
        "| site (wall) | site (CPU) | site peak RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
            workdir = Path(tmp)
            _seed(workdir) if size == 0 else _synthetic(workdir, size)
            row = measure(workdir)
        name = "seed" if size == 0 else f"{size:,} papers"
        print(
            f"| {name} | {row['links']:,.0f} | {row['papers']:,.0f} "
            f"| {row['index_kib']:,.0f} KiB | {row['site_kib']:,.0f} KiB "
            f"| {row['bib_kib']:,.0f} KiB | {row['enrich_s']:.1f} s | {row['site_s']:.1f} s "
            f"| {row['site_cpu_s']:.1f} s | {row['site_rss_mib']:.0f} MiB |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
