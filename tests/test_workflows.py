"""The GitHub workflows and the refresh job's commit script, checked offline.

Schema (check-jsonschema), security lint (zizmor --offline), the hygiene the workflows promise
(pinned actions, least privilege, concurrency, timeouts), and the commit script run for real in a
throwaway git repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
ENRICH = WORKFLOWS / "enrich.yml"
TEST = WORKFLOWS / "test.yml"
PAGES = WORKFLOWS / "pages.yml"
COMMIT_SCRIPT = REPO / ".github" / "scripts" / "commit-refresh.sh"
BIN = Path(sys.executable).parent

BOT = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")

needs_git = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash"
)


def console_script(name: str) -> Path:
    """A dev tool installed in the same environment as the running interpreter."""
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed next to {sys.executable}")
    return path


def load(path: Path) -> dict[Any, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict), f"{path.name}: not a mapping"
    return workflow


def triggers(workflow: Mapping[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    assert isinstance(on, dict)
    return on


def jobs(workflow: Mapping[Any, Any]) -> dict[str, dict[str, Any]]:
    found = workflow["jobs"]
    assert isinstance(found, dict)
    assert found
    return found


def steps(workflow: Mapping[Any, Any]) -> Iterator[dict[str, Any]]:
    for job in jobs(workflow).values():
        yield from job.get("steps", [])


def uses(workflow: Mapping[Any, Any]) -> list[str]:
    refs = [str(job["uses"]) for job in jobs(workflow).values() if "uses" in job]
    return refs + [str(step["uses"]) for step in steps(workflow) if "uses" in step]


def only_job(workflow: Mapping[Any, Any]) -> dict[str, Any]:
    (job,) = jobs(workflow).values()
    return job


# --- validation and lint -------------------------------------------------------------------


@pytest.mark.parametrize("path", [ENRICH, TEST, PAGES], ids=lambda p: p.name)
def test_workflow_matches_the_github_schema(path: Path) -> None:
    result = subprocess.run(
        [
            str(console_script("check-jsonschema")),
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    # --offline: no GitHub API at all (online audits off, no remote inputs), so no hang here.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "ZIZMOR_"))}
    result = subprocess.run(
        [
            str(console_script("zizmor")),
            "--offline",
            "--no-online-audits",
            "--no-progress",
            "--color=never",
            str(WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


# --- hygiene common to both workflows --------------------------------------------------------


@pytest.mark.parametrize("path", [ENRICH, TEST, PAGES], ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_sha(path: Path) -> None:
    refs = uses(load(path))
    assert refs
    for ref in refs:
        assert SHA_PIN.match(ref), f"{path.name}: {ref} is not pinned to a 40-hex commit SHA"
    # ...and says which release the SHA is, for humans and for update bots.
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*(-\s+)?uses:", line):
            assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*$", line), line


@pytest.mark.parametrize("path", [ENRICH, TEST, PAGES], ids=lambda p: p.name)
def test_checkout_keeps_no_credentials(path: Path) -> None:
    checkouts = [s for s in steps(load(path)) if "actions/checkout@" in str(s.get("uses"))]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", [ENRICH, TEST, PAGES], ids=lambda p: p.name)
def test_no_expressions_inside_run_scripts(path: Path) -> None:
    # Values reach scripts through `env:` only: `${{ }}` in a script is template injection.
    for step in steps(load(path)):
        assert "${{" not in str(step.get("run", "")), step


@pytest.mark.parametrize("path", [ENRICH, TEST, PAGES], ids=lambda p: p.name)
def test_jobs_have_a_timeout(path: Path) -> None:
    for name, job in jobs(load(path)).items():
        timeout = job.get("timeout-minutes")
        assert isinstance(timeout, int), name
        assert 0 < timeout <= 120, name


@pytest.mark.parametrize("path", [ENRICH, TEST], ids=lambda p: p.name)
def test_pip_cache_is_keyed_on_pyproject(path: Path) -> None:
    (setup,) = [s for s in steps(load(path)) if "actions/setup-python@" in str(s.get("uses"))]
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"


# --- enrich.yml ---------------------------------------------------------------------------------


def test_enrich_runs_weekly_and_on_demand() -> None:
    on = triggers(load(ENRICH))
    assert set(on) == {"schedule", "workflow_dispatch"}
    (entry,) = on["schedule"]
    fields = entry["cron"].split()
    assert len(fields) == 5
    assert fields[2:4] == ["*", "*"]  # every month, any day of the month...
    assert fields[4] != "*"  # ...on one day of the week


def test_enrich_has_least_privilege() -> None:
    workflow = load(ENRICH)
    assert workflow["permissions"] in ({}, {"contents": "read"})
    assert only_job(workflow)["permissions"] == {"contents": "write"}


def test_enrich_runs_never_overlap_and_are_not_cancelled() -> None:
    workflow = load(ENRICH)
    concurrency = workflow.get("concurrency") or only_job(workflow).get("concurrency")
    assert isinstance(concurrency, dict)
    assert concurrency["group"]
    assert concurrency["cancel-in-progress"] is False


def test_enrich_refreshes_then_hands_status_and_summary_to_the_commit_script() -> None:
    job = only_job(load(ENRICH))
    names = [str(step.get("uses", step.get("run"))).split("@")[0] for step in job["steps"]]
    assert names[:2] == ["actions/checkout", "actions/setup-python"]
    (refresh,) = [s for s in job["steps"] if "enrich --refresh" in s.get("run", "")]
    (commit,) = [s for s in job["steps"] if "commit-refresh.sh" in s.get("run", "")]
    assert job["steps"].index(refresh) < job["steps"].index(commit)

    assert refresh["env"]["ARXIV_CONTACT"] == "${{ vars.ARXIV_CONTACT }}"
    summary = refresh["env"]["PIPELINE_SUMMARY"]
    assert "$GITHUB_OUTPUT" in refresh["run"]

    assert ".github/scripts/commit-refresh.sh" in commit["run"]
    assert commit["env"]["PIPELINE_SUMMARY"] == summary
    assert commit["env"]["REFRESH_STATUS"] == f"${{{{ steps.{refresh['id']}.outputs.status }}}}"
    assert commit["env"]["GITHUB_TOKEN"] in ("${{ github.token }}", "${{ secrets.GITHUB_TOKEN }}")
    assert "NO_PUSH" not in commit["env"]


def test_enrich_digests_after_the_refresh_commits_it_and_shows_it_on_the_run_page() -> None:
    job = only_job(load(ENRICH))
    runs = [s for s in job["steps"] if "run" in s]
    (refresh,) = [s for s in runs if "pipeline enrich --refresh" in s["run"]]
    (digest,) = [s for s in runs if "pipeline digest ||" in s["run"]]
    (commit,) = [s for s in runs if "commit-refresh.sh" in s["run"]]
    # After the refresh (new papers are compared with the refreshed list), before the commit
    # (the digest lands in the same commit), and never stopping the job before the commit.
    assert runs.index(refresh) < runs.index(digest) < runs.index(commit)
    assert digest["env"]["ARXIV_CONTACT"] == "${{ vars.ARXIV_CONTACT }}"
    # Its files join the refresh's summary, whose `written` the commit script commits.
    assert digest["env"]["PIPELINE_SUMMARY"] == refresh["env"]["PIPELINE_SUMMARY"]
    assert "|| status=$?" in digest["run"] and "$GITHUB_OUTPUT" in digest["run"]
    assert 'cat outputs/digest.md >> "$GITHUB_STEP_SUMMARY"' in digest["run"]
    # A failed digest fails the job last, after the refresh is committed.
    last = runs[-1]
    assert last["env"]["DIGEST_STATUS"] == f"${{{{ steps.{digest['id']}.outputs.status }}}}"
    assert "exit 1" in last["run"]
    assert "if" not in last  # runs only when the commit step succeeded


# --- test.yml -----------------------------------------------------------------------------------


def test_test_workflow_runs_make_test_on_three_pythons() -> None:
    workflow = load(TEST)
    assert {"push", "pull_request"} <= set(triggers(workflow))
    assert workflow["permissions"] == {"contents": "read"}
    job = only_job(workflow)
    assert job["strategy"]["matrix"] == {"python-version": ["3.11", "3.12", "3.13"]}
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == ["make test"]
    assert "permissions" not in job or job["permissions"] == {"contents": "read"}


def test_test_workflow_cancels_superseded_runs_of_the_same_ref() -> None:
    concurrency = load(TEST)["concurrency"]
    assert "github.ref" in concurrency["group"]
    assert concurrency["cancel-in-progress"] is True


# --- pages.yml ---------------------------------------------------------------------------------


def test_pages_follow_pushes_and_every_refresh() -> None:
    on = triggers(load(PAGES))
    assert on["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in on
    # The refresh pushes with GITHUB_TOKEN (no push event), so the page follows the workflow.
    assert on["workflow_run"]["workflows"] == [load(ENRICH)["name"]]
    assert on["workflow_run"]["types"] == ["completed"]


def test_pages_have_least_privilege() -> None:
    workflow = load(PAGES)
    assert workflow["permissions"] == {}
    build, deploy = jobs(workflow)["build"], jobs(workflow)["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}


def test_pages_build_the_site_from_the_default_branch_and_deploy_it() -> None:
    workflow = load(PAGES)
    build, deploy = jobs(workflow)["build"], jobs(workflow)["deploy"]
    names = [str(step.get("uses", step.get("run"))).split("@")[0] for step in build["steps"]]
    assert names[:2] == ["actions/checkout", "actions/setup-python"]
    assert names[-1] == "actions/upload-pages-artifact"
    assert build["steps"][0]["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    runs = [step["run"] for step in build["steps"] if "run" in step]
    # Runtime dependencies only (make install), then the page into the folder uploaded.
    assert runs == ["make install", "make site"]
    assert build["steps"][-1]["with"]["path"] == "site"
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^site: \$\(RUNTIME_STAMP\)", makefile, re.M)
    assert "$(PY) -m pipeline site" in makefile  # default --site is site/
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert [str(s["uses"]).split("@")[0] for s in deploy["steps"]] == [
        "actions/configure-pages",
        "actions/deploy-pages",
    ]
    assert deploy["environment"]["url"] == "${{ steps.deployment.outputs.page_url }}"


def test_pages_deployments_queue_instead_of_cancelling() -> None:
    concurrency = load(PAGES)["concurrency"]
    assert concurrency["cancel-in-progress"] is False


# --- commit-refresh.sh in a throwaway repository ---------------------------------------------


class Repo:
    """A git repository shaped like this one: the refresh's outputs plus an unrelated file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Only what the test sets: no global/system git config, no GitHub or git identity vars.
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GIT_", "GITHUB_", "NO_PUSH", "DEFAULT_BRANCH"))
        }
        self.env |= {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "NO_PUSH": "1",
        }
        files = {
            "README.md": "# Reading list\n",
            "catalog.csv": "arxiv_id,title\n",
            "data/arxiv-cache.jsonl": '{"id": "2401.00001"}\n',
            "outputs/papers.csv": "arxiv_id\n",
            "outputs/README.md": "# Outputs\n",
            "notes.txt": "not the pipeline's\n",
        }
        for name, text in files.items():
            self.write(name, text)
        self.git("init", "--quiet", "-b", "main")
        self.git("add", ".")
        self.git(
            "-c", "user.name=Someone", "-c", "user.email=s@example.org", "commit", "-qm", "init"
        )

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout

    def commits(self) -> int:
        return int(self.git("rev-list", "--count", "HEAD"))

    def summary(self, **values: object) -> Path:
        path = self.root.parent / "summary.json"
        path.write_text(json.dumps(values), encoding="utf-8")
        return path

    def commit_refresh(
        self, status: int | str, summary: Path, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(COMMIT_SCRIPT), str(status), str(summary)],
            cwd=self.root,
            env=self.env | env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def last_commit(self) -> tuple[str, str, set[str]]:
        """(author, message, paths) of HEAD."""
        author = self.git("log", "-1", "--format=%an <%ae>")
        message = self.git("log", "-1", "--format=%B")
        paths = self.git("show", "--name-only", "--format=", "HEAD").split()
        return author.strip(), message.strip(), set(paths)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    (tmp_path / "work").mkdir()
    return Repo(tmp_path / "work")


MESSAGE = "Weekly refresh: 3 papers updated, 1 new\n\n60 links, 52 to arXiv."
WRITTEN = ["README.md"]


@needs_git
def test_nothing_written_makes_no_commit(repo: Repo) -> None:
    repo.write("notes.txt", "edited, but not an output\n")
    result = repo.commit_refresh(0, repo.summary(written=[], commit_message=MESSAGE))
    assert result.returncode == 0, result.stderr
    assert repo.commits() == 1
    assert "nothing changed" in result.stdout


@needs_git
def test_written_files_are_committed_once_with_the_summary_message(repo: Repo) -> None:
    repo.write("README.md", "# Reading list\n\n- refreshed\n")
    repo.write("outputs/papers.csv", "arxiv_id\n2401.00001\n")
    repo.write("outputs/papers.parquet", "PAR1")  # new file
    repo.write("notes.txt", "someone else's edit\n")  # not the refresh's: stays out
    written = ["README.md", "outputs/papers.csv", "outputs/papers.parquet"]
    result = repo.commit_refresh(0, repo.summary(written=written, commit_message=MESSAGE))
    assert result.returncode == 0, result.stderr
    assert repo.commits() == 2
    author, message, paths = repo.last_commit()
    assert author == BOT
    assert message == MESSAGE
    assert paths == set(written)
    assert repo.git("status", "--porcelain").split() == ["M", "notes.txt"]


@needs_git
def test_missing_metadata_is_committed_then_fails(repo: Repo) -> None:
    repo.write("data/arxiv-cache.jsonl", '{"id": "2401.00001"}\n{"id": "2402.00002"}\n')
    summary = repo.summary(written=["data/arxiv-cache.jsonl"], commit_message=MESSAGE)
    result = repo.commit_refresh(1, summary)
    assert result.returncode == 1
    assert repo.commits() == 2
    assert repo.last_commit()[2] == {"data/arxiv-cache.jsonl"}
    assert "no fresh metadata" in result.stderr


@needs_git
def test_missing_metadata_fails_even_when_nothing_changed(repo: Repo) -> None:
    result = repo.commit_refresh(1, repo.summary(written=[], commit_message=MESSAGE))
    assert result.returncode == 1
    assert repo.commits() == 1


@needs_git
@pytest.mark.parametrize("status", [2, 3, 130])
def test_failed_refresh_commits_nothing(repo: Repo, status: int) -> None:
    repo.write("README.md", "# half-written?\n")
    result = repo.commit_refresh(status, repo.root.parent / "no-summary.json")
    assert result.returncode == status
    assert repo.commits() == 1
    assert repo.git("status", "--porcelain").split() == ["M", "README.md"]


@needs_git
@pytest.mark.parametrize("args", [["0"], []])
def test_bad_usage_exits_2(repo: Repo, args: list[str]) -> None:
    result = subprocess.run(
        ["bash", str(COMMIT_SCRIPT), *args],
        cwd=repo.root,
        env=repo.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "usage" in result.stderr


@needs_git
def test_push_without_credentials_fails_before_committing(repo: Repo) -> None:
    repo.write("README.md", "# changed\n")
    env = {k: v for k, v in repo.env.items() if k != "NO_PUSH"}
    result = subprocess.run(
        [
            "bash",
            str(COMMIT_SCRIPT),
            "0",
            str(repo.summary(written=WRITTEN, commit_message=MESSAGE)),
        ],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "GITHUB_TOKEN" in result.stderr
    assert repo.commits() == 1


@needs_git
def test_push_goes_to_the_default_branch(repo: Repo, tmp_path: Path) -> None:
    """The real push, offline: git rewrites the GitHub URL to a local bare repository."""
    remote = tmp_path / "remote.git"
    subprocess.run(
        ["git", "init", "--quiet", "--bare", str(remote)], env=repo.env, check=True, timeout=30
    )
    repo.git("push", "--quiet", str(remote), "HEAD:refs/heads/main")
    repo.write("README.md", "# changed\n")
    env = {k: v for k, v in repo.env.items() if k != "NO_PUSH"}
    env |= {
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_REPOSITORY": "owner/list",
        "DEFAULT_BRANCH": "main",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{remote.as_uri()}.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://x-access-token:t0ken@github.com/owner/list.git",
    }
    result = subprocess.run(
        [
            "bash",
            str(COMMIT_SCRIPT),
            "0",
            str(repo.summary(written=WRITTEN, commit_message=MESSAGE)),
        ],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    pushed = subprocess.run(
        ["git", "--git-dir", str(remote), "rev-parse", "refs/heads/main"],
        env=repo.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    assert pushed == repo.git("rev-parse", "HEAD").strip()
    assert "t0ken" not in repo.git("config", "--list")
