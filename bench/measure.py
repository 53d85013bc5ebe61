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


def peak_tree_pss_mib(
    argv: Sequence[str], *, cwd: Path, interval_s: float = 0.02, timeout_s: float = 900.0
) -> tuple[float, int]:
    """Peak memory of `argv`'s process and every process it starts, together (Linux).

    `wait4`'s peak RSS is one process's, so a run that forks a second process would look
    smaller than it is; summing RSS would count the pages the two share twice. PSS (each
    shared page split between its sharers) summed over the process tree is what the run
    really holds. Reading it costs ~10 ms per GB of process, so it is sampled in a run of
    its own (every `interval_s`), never in the timed one. 0.0 where /proc has no PSS.
    Returns (peak MiB, exit code of the run).
    """
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=out)
        deadline = time.monotonic() + timeout_s
        peak = 0
        while process.poll() is None and time.monotonic() < deadline:
            peak = max(peak, sum(_pss_kib(pid) for pid in _process_tree(process.pid)))
            time.sleep(interval_s)
        if process.poll() is None:
            process.kill()
        code = process.wait()
    return peak / 1024, code


def _process_tree(pid: int) -> list[int]:
    tree = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            for child in children:
                tree += _process_tree(int(child))
    except OSError:  # the process ended meanwhile
        pass
    return tree


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
