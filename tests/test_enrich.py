"""`enrich` end to end: files written, fixpoint, offline, fetching from the fake API, failures."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest

import pipeline.bibtex
import pipeline.enrich
import pipeline.outputs
from bench.lists import cache_text, reading_list
from pipeline.bibtex import bibtex_text
from pipeline.cache import load_cache
from pipeline.catalog import build_catalog, distinct_arxiv_ids
from pipeline.cli import main
from pipeline.parse import parse_links
from tests.conftest import REPO
from tests.fakearxiv import FakeArxiv

OUTPUTS = (
    "outputs/papers.parquet",
    "outputs/papers.csv",
    "outputs/papers.bib",
    "outputs/README.md",
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repo's data: README, committed cache, catalog and outputs."""
    for name in ("README.md", "catalog.csv", "data/arxiv-cache.jsonl", *OUTPUTS):
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, target)
    return tmp_path


def enrich(project: Path, *args: str) -> int:
    cwd = Path.cwd()
    os.chdir(project)
    try:
        return main(["enrich", "--delay", "0", *args])
    finally:
        os.chdir(cwd)


def snapshot_of(project: Path) -> dict[str, bytes]:
    return {str(p.relative_to(project)): p.read_bytes() for p in project.rglob("*") if p.is_file()}


def test_committed_files_are_current_offline(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot_of(project)
    assert enrich(project, "--offline") == 0
    assert snapshot_of(project) == before  # the committed outputs are what a run writes
    out = capsys.readouterr().out
    assert "links            47 (32 to arXiv, 15 other)" in out
    assert "distinct papers  31 (1 duplicate links)" in out
    assert "31 from cache, 0 fetched" in out
    assert "files written    none" in out


def test_the_command_line_makes_the_data_files_without_importing_pandas(project: Path) -> None:
    """pyarrow would import pandas (0.4 s) for nothing: a command-line run leaves it out and
    computes the same bytes as a run with pandas imported (the committed outputs)."""
    import pandas  # noqa: F401  # the in-process run below: pyarrow with pandas

    before = snapshot_of(project)
    assert enrich(project, "--offline") == 0
    assert snapshot_of(project) == before
    script = (
        "import sys\n"
        "from pipeline.cli import main\n"
        "status = main(['enrich', '--offline'])\n"
        "print(status, 'pandas' in sys.modules)\n"
        "import pandas\n"  # importable again once the run is over
        "print(len(pandas.DataFrame({'a': [1]})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.splitlines()[-2:] == ["0 False", "1"], done.stderr
    assert snapshot_of(project) == before


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (("--summary-json", "summary.json"), 0, "files written    none"),
        (("--readme", "missing.md"), 2, "missing.md"),
    ],
)
def test_python_m_pipeline_says_everything_before_it_ends(
    project: Path, args: tuple[str, ...], status: int, says: str
) -> None:
    """`python -m pipeline` skips Python's teardown: what it printed still arrives, through
    pipes, with its exit status."""
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "enrich", "--offline", *args],
        cwd=project,
        env={**buffered, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == status, done.stderr
    assert says in (done.stdout if status == 0 else done.stderr)
    if status == 0:
        assert json.loads((project / "summary.json").read_text())["exit_status"] == 0


def test_a_run_can_leave_its_data_to_the_caller(project: Path) -> None:
    """`python -m pipeline` ends the process right after the run: the run's objects are
    kept for it instead of being released one by one."""
    kept: list[object] = []
    cwd = Path.cwd()
    os.chdir(project)
    try:
        assert main(["enrich", "--offline"], keep=kept) == 0
    finally:
        os.chdir(cwd)
    (data,) = kept
    links, cache, papers, entries, final = cast(
        tuple[list[Any], dict[str, Any], dict[str, Any], list[Any], list[Any]], data
    )
    assert len(links) == len(entries) == len(final) == 47
    assert len(papers) == 31 and set(papers) <= set(cache)


def test_from_the_seed_list_all_four_files_then_a_fixpoint(
    project: Path, seed_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "README.md").write_text(seed_text, encoding="utf-8")
    for name in ("catalog.csv", *OUTPUTS):
        (project / name).unlink()
    assert enrich(project, "--offline") == 0
    first = snapshot_of(project)
    assert {"README.md", "catalog.csv", *OUTPUTS} <= set(first)
    assert first["README.md"] != seed_text.encode()
    assert enrich(project, "--offline") == 0
    assert snapshot_of(project) == first
    readme = first["README.md"].decode()
    entries, _ = build_catalog(parse_links(readme))
    seed_entries, _ = build_catalog(parse_links(seed_text))
    assert [e.link.url for e in entries] == [e.link.url for e in seed_entries]
    assert [e.link.label for e in entries] == [e.link.label for e in seed_entries]
    catalog_lines = first["catalog.csv"].decode().splitlines()
    distserve = next(line for line in catalog_lines if "2401.09670" in line)
    assert distserve.endswith(",80")  # lines of the README as written


def test_label_mismatch_is_reported_not_rewritten(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert enrich(project, "--offline") == 0
    out = capsys.readouterr().out
    assert "label mismatches 1" in out
    assert '"Sacling Laws of Synthetic Data for Lnguage Models" vs arXiv' in out
    assert "[Sacling Laws of Synthetic Data for Lnguage Models ]" in (
        project / "README.md"
    ).read_text(encoding="utf-8")


def test_cold_fetch_is_one_request_and_warm_is_none(
    project: Path, fake: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    assert enrich(project, "--api-url", fake.url) == 0
    assert len(fake.requests) == 1
    cache = load_cache((project / "data/arxiv-cache.jsonl").read_text(encoding="utf-8"))
    assert len(cache) == 31
    assert {p.source for p in cache.values()} == {"arxiv-api"}
    captured = capsys.readouterr()
    assert "0 from cache, 31 fetched in 1 requests (31 new" in captured.out
    # Off a terminal, progress is one line per settled batch (readable in CI logs).
    assert "fetching arXiv metadata of 31 papers\n  31/31 settled" in captured.err
    assert enrich(project, "--api-url", fake.url) == 0
    assert len(fake.requests) == 1


def test_offline_never_touches_the_network(project: Path, fake: FakeArxiv) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    assert enrich(project, "--offline", "--api-url", fake.url) == 1
    assert fake.requests == []


def test_missing_papers_exit_1_with_everything_else_written(
    project: Path, fake: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = project / "README.md"
    readme.write_text(
        readme.read_text(encoding="utf-8").replace(
            "1. [DPO paper]", "1. [Ghost](https://arxiv.org/abs/2601.99999)\n2. [DPO paper]"
        ),
        encoding="utf-8",
    )
    assert enrich(project, "--api-url", fake.url) == 1
    out = capsys.readouterr().out
    assert "not found on arXiv: 2601.99999" in out
    assert "1 arXiv papers have no metadata: exit status 1" in out
    catalog = (project / "catalog.csv").read_text(encoding="utf-8")
    assert "2601.99999" in catalog
    assert "[Ghost](https://arxiv.org/abs/2601.99999)\n" in readme.read_text(encoding="utf-8")


def test_refresh_that_fails_keeps_the_cached_records(
    project: Path, fake: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail_when(lambda ids: True, "503")
    before = snapshot_of(project)
    args = ("--refresh", "--api-url", fake.url, "--max-fetch-time", "1", "--timeout", "1")
    assert enrich(project, *args) == 1  # the weekly job must not pass silently
    assert "kept from cache: 31 papers could not be fetched again" in capsys.readouterr().out
    assert snapshot_of(project) == before


def test_refresh_with_a_new_version_changes_exactly_that_paper(
    project: Path, fake: FakeArxiv
) -> None:
    # First make the cache live (a refresh replaces the snapshot records).
    assert enrich(project, "--refresh", "--api-url", fake.url) == 0
    live = snapshot_of(project)
    assert enrich(project, "--refresh", "--api-url", fake.url) == 0
    assert snapshot_of(project) == live  # nothing new: no file changes
    fake.set_version("1706.03762", 8)
    assert enrich(project, "--refresh", "--api-url", fake.url) == 0
    after = snapshot_of(project)
    changed = sorted(name for name in after if after[name] != live.get(name))
    assert changed == ["data/arxiv-cache.jsonl", "outputs/papers.csv", "outputs/papers.parquet"]
    cache = load_cache(after["data/arxiv-cache.jsonl"].decode())
    assert cache["1706.03762"].latest_version == 8


def test_a_run_that_fails_midway_leaves_outputs_and_readme_intact(
    project: Path, fake: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    before = snapshot_of(project)

    def broken(table: object) -> bytes:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pipeline.outputs, "parquet_from", broken)
    assert enrich(project, "--api-url", fake.url) == 3
    after = snapshot_of(project)
    assert {k: v for k, v in after.items() if k != "data/arxiv-cache.jsonl"} == before
    # What was fetched is kept for the next run.
    assert len(load_cache(after["data/arxiv-cache.jsonl"].decode())) == 31


def test_a_killed_run_keeps_the_batches_it_finished(project: Path, fake: FakeArxiv) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    before = snapshot_of(project)
    readme = (project / "README.md").read_text(encoding="utf-8")
    third_batch_id = distinct_arxiv_ids(build_catalog(parse_links(readme))[0])[20]
    fake.fail_when(lambda ids: third_batch_id in ids, "hang")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline",
            "enrich",
            "--delay",
            "0",
            "--batch-size",
            "10",
            "--api-url",
            fake.url,
        ],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while len(fake.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    cache = load_cache((project / "data/arxiv-cache.jsonl").read_text(encoding="utf-8"))
    assert len(cache) == 20
    after = snapshot_of(project)
    assert {k: v for k, v in after.items() if k != "data/arxiv-cache.jsonl"} == before
    assert not list(project.rglob("*.tmp"))


def test_summary_json_for_the_scheduled_job(project: Path, fake: FakeArxiv) -> None:
    summary = project / "summary.json"
    assert enrich(project, "--refresh", "--api-url", fake.url, "--summary-json", str(summary)) == 0
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert (data["papers"], data["fetched"], data["updated"], data["new"]) == (31, 31, 31, 0)
    assert data["exit_status"] == 0


def test_arxiv_urls_without_a_paper_are_reported_with_their_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = project / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(
        text.replace("1. [DPO paper]", "1. [typo](https://arxiv.org/abs/garbage)\n2. [DPO paper]"),
        encoding="utf-8",
    )
    line = text.split("\n").index(next(x for x in text.split("\n") if "[DPO paper]" in x)) + 1
    assert enrich(project, "--offline") == 0
    captured = capsys.readouterr()
    assert (
        f"README.md:{line}: https://arxiv.org/abs/garbage points at arXiv but names no paper"
        in captured.out
    )
    assert "fetching" not in captured.err  # no progress bar off a terminal
    with (project / "catalog.csv").open(encoding="utf-8", newline="") as handle:
        typo = next(row for row in csv.DictReader(handle) if row["label"] == "typo")
    written = [typo[name] for name in ("url", "kind", "arxiv_id", "arxiv_version", "line")]
    assert written == ["https://arxiv.org/abs/garbage", "web", "", "", str(line)]


def test_an_interrupted_run_exits_130_and_writes_no_outputs(
    project: Path, fake: FakeArxiv, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "data/arxiv-cache.jsonl").unlink()
    before = snapshot_of(project)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline.enrich, "fetch_papers", interrupted)
    assert enrich(project, "--api-url", fake.url) == 130
    assert snapshot_of(project) == before


@pytest.mark.parametrize("first_render", [False, True], ids=["steady state", "first render"])
def test_the_second_process_changes_nothing_written_or_reported(
    project: Path,
    seed_text: str,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    first_render: bool,
    alone: None,
) -> None:
    """A forked copy makes papers.bib and checks labels for typos from the entries as parsed
    while the README is rendered; where the render moved lines (the seed's two-line DistServe
    link text is joined), this process does that again for the new lines."""
    if first_render:
        (project / "README.md").write_text(seed_text, encoding="utf-8")
    computed_here: list[int] = []  # calls made by this process (the copy's stay in the copy)

    def counted(*args: Any) -> str:
        computed_here.append(os.getpid())
        return bibtex_text(*args)

    monkeypatch.setattr(pipeline.bibtex, "bibtex_text", counted)
    results = []
    for mode in ("--serial", "--offline"):
        work = shutil.copytree(project, tmp_path_factory.mktemp("run") / "project")
        computed_here.clear()
        assert enrich(work, "--offline", mode) == 0
        results.append((snapshot_of(work), capsys.readouterr().out, len(computed_here)))
    (serial, serial_out, serial_here), (parallel, parallel_out, parallel_here) = results
    assert parallel == serial
    assert parallel_out == serial_out
    assert serial_here == 1
    assert parallel_here == (1 if first_render else 0)


@pytest.mark.parametrize("piece", [1, 2, 5])
def test_the_typo_check_in_pieces_reports_every_mismatch_once_in_line_order(
    project: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    piece: int,
    alone: None,
) -> None:
    """The seed's 47 entries in pieces of a few (the copy does the first, this process the
    last): each mismatch is reported once, in line order, by either mode."""
    readme = project / "README.md"
    text = readme.read_text(encoding="utf-8")
    for right, typo in (
        ("[BERT: Pre-training of", "[BERT: Pre-trainign of"),
        ("[Longformer: The Long-Document", "[Longformer: The Long-Docment"),
        ("[Proximal Policy Optimization Algorithms]", "[Proximal Policy Optimization Algorthms]"),
    ):
        assert text.count(right) == 1
        text = text.replace(right, typo)
    readme.write_text(text, encoding="utf-8")
    monkeypatch.setattr(pipeline.enrich, "TYPO_CHECK_PIECE", piece)
    reports = []
    for mode in ("--serial", "--offline"):
        work = shutil.copytree(project, tmp_path_factory.mktemp("run") / "project")
        assert enrich(work, "--offline", mode) == 0
        reports.append(capsys.readouterr().out)
    serial, parallel = reports
    assert parallel == serial
    assert "label mismatches 4" in serial
    reported = [line for line in serial.splitlines() if line.startswith("    README.md:")]
    assert [(line.split(":")[1], line.rsplit(" (", 1)[1]) for line in reported] == [
        ("11", "trainign -> training)"),
        ("18", "docment -> document)"),
        ("47", "algorthms -> algorithms)"),
        ("69", "sacling -> scaling, lnguage -> language)"),  # the seed's own
    ]


def test_ctrl_c_while_the_second_process_works_leaves_no_process_and_no_file(
    tmp_path: Path,
) -> None:
    with FakeArxiv() as fake:  # only to generate a long list and its cache, no HTTP
        ids = fake.add_synthetic(20_000)
        (tmp_path / "README.md").write_text(reading_list(ids, web_links=2000), encoding="utf-8")
        (tmp_path / "cache.jsonl").write_text(cache_text(fake, ids), encoding="utf-8")
    before = snapshot_of(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "enrich", "--offline", "--cache", "cache.jsonl"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 120
    copy = None
    while copy is None and process.poll() is None and time.monotonic() < deadline:
        copy = next((int(pid) for pid in children.read_text().split()), None)
        time.sleep(0.005)
    assert copy is not None, "the run never forked"
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: the whole group gets it
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr.decode()
    assert not Path(f"/proc/{copy}").exists()  # stopped and reaped by the run
    assert snapshot_of(tmp_path) == before
