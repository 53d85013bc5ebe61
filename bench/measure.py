"""Run one approach in its own process and measure it from outside.

A separate process per measurement makes peak RSS and CPU time belong to that approach
alone (imports and interpreter start-up included, as a user would pay them), and lets
the same code measure the pipeline's CLI, a hand-written loop and the `arxiv` package.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

POLITE_DELAY_S = 3.0  # arXiv's terms: no more than one request every three seconds


@dataclass(frozen=True)
class ProcessStats:
    """What one child process cost, as the kernel accounted it."""

    wall_s: float  # from spawn to exit, measured by the parent
    cpu_s: float  # user + system time of the child
    peak_rss_mib: float  # the child's resident-set high-water mark
    exit_code: int
    stdout: str
    stderr: str


def _maxrss_mib(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run_measured(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 900.0,
) -> ProcessStats:
    """Run `argv` to completion and return its wall time, CPU time and peak RSS.

    `os.wait4` returns the rusage of exactly this child, unlike RUSAGE_CHILDREN, whose
    ru_maxrss is the maximum over every child ever waited for. Output goes to temporary
    files, not pipes, so a chatty child can never block on a full pipe while we wait.
    A child still running after `timeout_s` is killed (exit code -9).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env) if env is not None else None, stdout=out, stderr=err
        )
        timer = threading.Timer(timeout_s, process.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        # Tell Popen the child is reaped, so it never waits for it again.
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcessStats(
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            peak_rss_mib=_maxrss_mib(usage.ru_maxrss),
            exit_code=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def polite_wall_s(local_s: float, requests: int) -> float:
    """The least wall time arXiv's terms allow: local time plus 3 s between requests."""
    return local_s + max(0, requests - 1) * POLITE_DELAY_S
