"""Profile a child process and boil the samples down to the functions that dominate.

py-spy samples the process from outside, so the code runs at full speed and the shares
are those of the unprofiled run; `-F` keys frames by function (not line), `-f raw` gives
collapsed stacks (`frame;frame;... count`), which `summarize` aggregates. Where py-spy
cannot attach (macOS without sudo, ptrace denied), pyinstrument runs inside the child
instead; its per-call hook inflates call-heavy code (markdown-it) about 2-3x, so only
the ranking is meaningful then.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_RATE = 100  # samples per second: enough for a run of tens of seconds


@dataclass
class ProfileSummary:
    """Sample counts per function: `inclusive` (on the stack) and `own` (at the top)."""

    tool: str
    samples: int = 0
    inclusive: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)
    text: str = ""  # the profiler's own report, when it is not collapsed stacks

    def share(self, count: int) -> float:
        """`count` samples as a fraction of all samples."""
        return count / self.samples if self.samples else 0.0

    def top(self, prefix: str = "", limit: int = 15, own: bool = False) -> list[tuple[str, int]]:
        """The `limit` functions with most samples whose frame starts with `prefix`."""
        counter = self.own if own else self.inclusive
        return [(f, n) for f, n in counter.most_common() if f.startswith(prefix)][:limit]


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def summarize(raw: str, tool: str = "py-spy") -> ProfileSummary:
    """Aggregate collapsed stacks into inclusive and own sample counts per function."""
    summary = ProfileSummary(tool)
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        summary.samples += count
        for frame in set(frames):  # recursion counts once per sample
            summary.inclusive[frame] += count
        summary.own[frames[-1]] += count
    return summary


def _short(frame: str) -> str:
    """`parse_links (pipeline/parse.py:53)` -> `pipeline/parse.py:parse_links`."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path}:{name}" if path else name


def profile(argv: Sequence[str], cwd: Path, raw_out: Path) -> ProfileSummary | None:
    """Run `argv` (a Python command) under py-spy, else pyinstrument; None if neither works."""
    spy = _py_spy()
    if spy:
        command = [
            spy,
            "record",
            "-r",
            str(SAMPLE_RATE),
            "-F",
            "-f",
            "raw",
            "-o",
            str(raw_out),
            "--",
        ]
        done = subprocess.run([*command, *argv], cwd=cwd, capture_output=True, check=False)
        if done.returncode == 0 and raw_out.exists():
            return summarize(raw_out.read_text(encoding="utf-8"))
    # pyinstrument wants `python -m pyinstrument ... -m module args`, i.e. argv minus python.
    if len(argv) >= 3 and argv[1] == "-m":
        text_out = raw_out.with_suffix(".pyinstrument.txt")
        command = [argv[0], "-m", "pyinstrument", "-r", "text", "-o", str(text_out), *argv[1:]]
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        if done.returncode == 0 and text_out.exists():
            return ProfileSummary("pyinstrument", text=text_out.read_text(encoding="utf-8"))
    return None
