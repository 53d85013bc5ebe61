"""The documentation says what the code does: exit statuses in the README and in --help."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline import errors
from pipeline.cli import build_parser

REPO = Path(__file__).resolve().parents[1]


def documented_statuses_in_readme() -> dict[int, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", text, flags=re.MULTILINE)
    return {int(status): meaning for status, meaning in rows}


def test_every_exit_status_is_documented_in_readme_and_help_alike() -> None:
    defined = {v for k, v in vars(errors).items() if k.startswith("EXIT_")}
    readme = documented_statuses_in_readme()
    assert set(readme) == defined
    help_text = " ".join(build_parser().format_help().split())
    paragraph = help_text[help_text.index("Exit status:") :]
    in_help = {int(n) for n in re.findall(r"(?:: |; )(\d+) ", paragraph.split(".")[0] + ".")}
    assert in_help == defined
    for status, meaning in readme.items():
        # The same words start each meaning in both places.
        first_words = " ".join(meaning.replace("`", "").split()[:3])
        assert f"{status} {first_words}" in paragraph.replace("`", ""), status
    assert "make" in paragraph


def test_architecture_names_every_module_and_only_modules_that_exist() -> None:
    """docs/ARCHITECTURE.md's table of stages stays true as modules come and go."""
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"^\| [^|]+ \| `(\w+\.py)` \|", text, flags=re.MULTILINE))
    modules = {
        path.name
        for path in (REPO / "pipeline").glob("*.py")
        if path.name not in {"__init__.py", "__main__.py"}
    }
    assert named == modules
