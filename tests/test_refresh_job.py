"""The scheduled refresh job, run for real: the `run:` steps of enrich.yml against the fakes.

The refresh talks to the fake arXiv API, the digest to the fake RSS feeds (`tests.fakerss`).

The steps are read from the workflow, not re-typed here, and run in order the way a GitHub
runner runs them (`bash -e` on the script, `GITHUB_OUTPUT`, the step's `env:` with its
`${{ }}` expressions filled in) in a throwaway git repository holding a copy of the project.
The `uses:` steps are the test's setup instead: checkout is the copy, setup-python is the
running interpreter (handed to `make` as `PY`, with `STAMP` an up-to-date stamp so it installs
nothing). Nothing is pushed: the commit script's `NO_PUSH=1`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline.cache import load_cache
from tests.fakearxiv import FakeArxiv
from tests.fakerss import FakeRss, weekly_announcement

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "enrich.yml"
# What the job needs from a checkout (the working tree's copy, so uncommitted edits are tested).
PROJECT = (
    ".github",
    ".gitignore",
    "Makefile",
    "README.md",
    "catalog.csv",
    "data",
    "outputs",
    "pipeline",
    "pyproject.toml",
)
PATHS_WITH_A_NEW_VERSION = {
    "data/arxiv-cache.jsonl",
    "outputs/papers.csv",
    "outputs/papers.parquet",
}
NEW_VERSION_OF = "1706.03762"
UNKNOWN_ID = "2601.99999"  # well formed, but the fake API does not have it
END_OF_LIST = "\n\n<!-- end of reading list"
DIGEST = ("outputs/digest.csv", "outputs/digest.md")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
STEP_OUTPUT = re.compile(r"steps\.([\w-]+)\.outputs\.([\w-]+)")


def run_steps() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The refresh job (env, `run:` steps in order) as enrich.yml has it."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    runs = [step for step in job["steps"] if "run" in step]
    for step in runs:
        # Anything else (`if:`, `shell:`, `working-directory:`...) this runner does not emulate.
        assert set(step) <= {"name", "id", "env", "run"}, f"teach the test about {set(step)}"
    assert [s for s in job["steps"] if "run" not in s] == job["steps"][:2]  # uses: steps first
    return job, runs


@dataclass
class StepResult:
    name: str
    returncode: int
    stdout: str
    stderr: str


@dataclass
class JobResult:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def returncode(self) -> int:
        return self.steps[-1].returncode

    @property
    def log(self) -> str:
        return "\n".join(
            f"--- {s.name} (exit {s.returncode})\n{s.stdout}{s.stderr}" for s in self.steps
        )


class Checkout:
    """A git repository with a copy of the project, where the refresh job runs."""

    def __init__(self, tmp_path: Path, api_url: str, rss_url: str) -> None:
        self.root = tmp_path / "checkout"
        self.runner_temp = tmp_path / "runner-temp"
        self.runner_temp.mkdir()
        self.step_summary = self.runner_temp / "step-summary.md"
        for name in PROJECT:
            source, target = REPO / name, self.root / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        # setup-python's stand-in: `make install` uses this interpreter and installs nothing (the
        # stamp is no older than pyproject.toml), `.venv/bin/python` runs it; PYTHONPATH makes
        # the copy's pipeline the one run.
        stamp = tmp_path / "installed-stamp"
        stamp.touch()
        mtime = (self.root / "pyproject.toml").stat().st_mtime_ns
        os.utime(stamp, ns=(mtime, mtime))
        venv_bin = Path(sys.executable).parent
        python = self.root / ".venv" / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        python.chmod(0o755)
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GIT_", "GITHUB_", "RUNNER_", "ARXIV_", "PIPELINE_", "MAKE"))
            and k not in {"NO_PUSH", "DEFAULT_BRANCH", "ARGS", "MFLAGS", "PYTHON", "PYTHONPATH"}
        }
        self.env |= {
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "MAKEFLAGS": f"PY={sys.executable} RUNTIME_STAMP={stamp}",
            "PYTHONPATH": str(self.root),
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.root),
            "RUNNER_TEMP": str(self.runner_temp),
            "ARXIV_API_URL": api_url,
            "ARXIV_RSS_URL": rss_url,
            "GITHUB_STEP_SUMMARY": str(self.step_summary),
            "NO_PUSH": "1",
        }
        self.git("init", "--quiet", "--initial-branch=main")
        self.commit_all("The project as checked out")

    def git(self, *args: str) -> str:
        result = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def commit_all(self, message: str) -> None:
        self.git("add", "--all")
        self.git(
            "-c", "user.name=Someone", "-c", "user.email=s@example.org", "commit", "-qm", message
        )

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def changed_by(self, commit: str) -> set[str]:
        return set(self.git("show", "--name-only", "--format=", commit).split())

    def message(self, commit: str) -> str:
        return self.git("log", "-1", "--format=%B", commit).strip()

    def status(self) -> str:
        return self.git("status", "--porcelain", "--untracked-files=all")

    def run_job(self) -> JobResult:
        """Run the job's `run:` steps in order, stopping at the first that fails (like GitHub)."""
        job, runs = run_steps()
        outputs: dict[str, dict[str, str]] = {}
        contexts = {
            "github.event.repository.default_branch": "main",
            "github.ref_name": "main",
            "github.token": "unused",
            "vars.ARXIV_CONTACT": "mailto:test@example.org",
            "runner.temp": str(self.runner_temp),
        }
        job_env = {k: evaluate(str(v), contexts, outputs) for k, v in job.get("env", {}).items()}
        contexts |= {f"env.{k}": v for k, v in job_env.items()}
        result = JobResult()
        for index, step in enumerate(runs):
            output = self.runner_temp / f"output-{index}"
            output.touch()
            script = self.runner_temp / f"step-{index}.sh"
            script.write_text(step["run"], encoding="utf-8")
            step_env = {
                k: evaluate(str(v), contexts, outputs) for k, v in step.get("env", {}).items()
            }
            env = self.env | job_env | step_env | {"GITHUB_OUTPUT": str(output)}
            # A `run:` step without `shell:` on Linux: `bash -e {0}`.
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-e", str(script)],
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            name = str(step.get("name", step["run"]))
            result.steps.append(StepResult(name, done.returncode, done.stdout, done.stderr))
            if "id" in step:
                outputs[str(step["id"])] = read_outputs(output)
            if done.returncode != 0:
                break
        return result


def evaluate(
    value: str, contexts: Mapping[str, str], outputs: Mapping[str, Mapping[str, str]]
) -> str:
    """Fill in `${{ a || b }}` from the contexts the test provides (unknown names fail)."""

    def one(name: str) -> str:
        if match := STEP_OUTPUT.fullmatch(name):
            return outputs.get(match[1], {}).get(match[2], "")
        assert name in contexts, f"the test does not provide ${{{{ {name} }}}}"
        return contexts[name]

    def substitute(match: re.Match[str]) -> str:
        values = [one(part.strip()) for part in match[1].split("||")]
        return next((v for v in values if v), "")

    return EXPRESSION.sub(substitute, value)


def read_outputs(path: Path) -> dict[str, str]:
    """The `name=value` and `name<<DELIMITER` lines a step appended to $GITHUB_OUTPUT."""
    found: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value: list[str] = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            found[name] = "\n".join(value)
        elif line:
            name, _, rest = line.partition("=")
            found[name] = rest
    return found


@pytest.fixture
def rss() -> Iterator[FakeRss]:
    with FakeRss() as server:
        server.publish(weekly_announcement().listings)
        yield server


@pytest.fixture
def checkout(tmp_path: Path, fake: FakeArxiv, rss: FakeRss) -> Checkout:
    return Checkout(tmp_path, fake.url, rss.url)


def test_job_steps_are_what_this_test_expects() -> None:
    _, runs = run_steps()
    assert [step["run"].strip() for step in runs[:1]] == ["make install"]
    assert "python -m pipeline enrich --refresh" in runs[1]["run"]
    assert "python -m pipeline digest ||" in runs[2]["run"]
    assert "commit-refresh.sh" in runs[3]["run"]
    assert "steps.digest.outputs.status" in str(runs[4]["env"])
    assert len(runs) == 5


def test_refresh_then_nothing_changed_commits_nothing(checkout: Checkout) -> None:
    start = checkout.head()
    # The committed cache holds `source: snapshot` records: the first live refresh replaces them.
    first = checkout.run_job()
    assert first.returncode == 0, first.log
    assert len(first.steps) == 5
    live = checkout.head()
    assert checkout.git("rev-list", "--count", f"{start}..{live}").strip() == "1"
    # The digest is committed with the refresh, in the same commit.
    assert {"data/arxiv-cache.jsonl", *DIGEST} <= checkout.changed_by(live)
    assert checkout.changed_by(live) <= {
        "README.md",
        "catalog.csv",
        "data/arxiv-cache.jsonl",
        "outputs/papers.csv",
        "outputs/papers.parquet",
        "outputs/papers.bib",  # e.g. a primaryClass the snapshot did not know
        "outputs/README.md",
        *DIGEST,
    }
    # ...and shown on the run's page.
    digest_md = (checkout.root / "outputs" / "digest.md").read_text(encoding="utf-8")
    assert digest_md.startswith("# New on arXiv (2026-11-24)")
    assert checkout.step_summary.read_text(encoding="utf-8") == digest_md
    assert checkout.message(live).startswith("Weekly refresh: 31 papers updated\n")
    assert checkout.message(live).endswith(
        "\n\nDigest of arXiv 2026-11-24: 11 new papers proposed for the list (outputs/digest.md)"
    )
    assert checkout.status() == ""

    second = checkout.run_job()
    assert second.returncode == 0, second.log
    # The same feed gives the same digest bytes: nothing to commit.
    assert "nothing changed" in second.steps[3].stdout
    assert checkout.head() == live
    assert checkout.status() == ""


def test_a_new_version_changes_exactly_its_files(checkout: Checkout, fake: FakeArxiv) -> None:
    assert checkout.run_job().returncode == 0
    live = checkout.head()

    fake.set_version(NEW_VERSION_OF, 8)
    job = checkout.run_job()
    assert job.returncode == 0, job.log
    head = checkout.head()
    assert checkout.git("rev-list", "--count", f"{live}..{head}").strip() == "1"
    # The README shows the first version's date, so neither it nor the catalog changes.
    assert checkout.changed_by(head) == PATHS_WITH_A_NEW_VERSION
    assert checkout.message(head).splitlines()[0] == "Weekly refresh: 1 paper updated"
    assert checkout.git("log", "-1", "--format=%an", head).strip() == "github-actions[bot]"
    cache = load_cache((checkout.root / "data" / "arxiv-cache.jsonl").read_text(encoding="utf-8"))
    assert cache[NEW_VERSION_OF].latest_version == 8
    assert checkout.status() == ""


def test_a_paper_without_metadata_is_committed_then_fails_the_job(checkout: Checkout) -> None:
    readme = checkout.root / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert text.count(END_OF_LIST) == 1
    link = f"\n- [A paper arXiv does not have](https://arxiv.org/abs/{UNKNOWN_ID})"
    readme.write_text(text.replace(END_OF_LIST, link + END_OF_LIST), encoding="utf-8")
    checkout.commit_all("Add a link")
    start = checkout.head()

    job = checkout.run_job()
    # The refresh step records status 1 and succeeds; the commit step commits, then fails.
    assert [s.returncode for s in job.steps] == [0, 0, 0, 1], job.log
    head = checkout.head()
    assert checkout.git("rev-list", "--count", f"{start}..{head}").strip() == "1"
    assert {"data/arxiv-cache.jsonl", "catalog.csv"} <= checkout.changed_by(head)
    message = checkout.message(head)
    assert message.splitlines()[0] == "Weekly refresh: 31 papers updated, 1 without metadata"
    assert f"not found: {UNKNOWN_ID}" in message
    assert "The pipeline exited with status 1." in message
    assert "no fresh metadata" in job.steps[3].stderr
    assert checkout.status() == ""


def test_a_failed_digest_commits_the_refresh_then_fails_the_job(
    checkout: Checkout, rss: FakeRss
) -> None:
    start = checkout.head()
    # A feed that answers 404 fails at once (an unreachable one fails the same way, after
    # the retries' backoff, which this test does not wait for).
    checkout.env["ARXIV_RSS_URL"] = rss.url.replace("/rss/", "/moved/")
    job = checkout.run_job()
    assert [s.returncode for s in job.steps] == [0, 0, 0, 0, 1], job.log
    head = checkout.head()
    assert checkout.git("rev-list", "--count", f"{start}..{head}").strip() == "1"
    assert "data/arxiv-cache.jsonl" in checkout.changed_by(head)
    assert not set(DIGEST) & checkout.changed_by(head)
    assert not (checkout.root / "outputs" / "digest.md").exists()
    assert "digest of new arXiv papers failed" in checkout.step_summary.read_text(encoding="utf-8")
    assert "the digest failed" in job.steps[4].stderr
    assert checkout.status() == ""
