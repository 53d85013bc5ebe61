"""The pandas snippet in the README runs against the committed outputs."""

from __future__ import annotations

import contextlib
import io
import os

from pipeline.parse import fenced_code
from tests.conftest import REPO


def python_blocks(markdown: str) -> list[str]:
    return fenced_code(markdown, "python")


def test_the_readme_pandas_snippet_runs_on_the_committed_outputs() -> None:
    (snippet,) = python_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    assert 'pd.read_parquet("outputs/papers.parquet")' in snippet
    printed = io.StringIO()
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with contextlib.redirect_stdout(printed):
            exec(compile(snippet, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    output = printed.getvalue()
    per_year = dict(line.split() for line in output.splitlines() if line[:2] in ("19", "20"))
    assert sum(int(n) for n in per_year.values()) == 31
    assert per_year["2022"] == "3"  # 2203.02155 is linked twice but counted once
    assert "Neural Machine Translation of Rare Words with Subword Units by Rico Sennrich" in output


def test_the_make_commands_are_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make enrich" in readme and "make test" in readme


def test_the_outputs_readme_snippet_loads_both_files() -> None:
    (snippet,) = python_blocks((REPO / "outputs" / "README.md").read_text(encoding="utf-8"))
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        exec(compile(snippet, "outputs/README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    papers, same = namespace["papers"], namespace["same"]
    assert papers.shape == same.shape == (47, 26)  # type: ignore[attr-defined]
    assert list(same.arxiv_id.dropna()) == list(papers.arxiv_id.dropna())  # type: ignore[attr-defined]
    assert str(same.published.dtype).startswith("datetime64")  # type: ignore[attr-defined]
