"""Time and memory of the pipeline's local stages, stage by stage (a child process of the bench).

    python -m bench.stages WORKDIR

WORKDIR holds `README.md` and `arxiv-cache.jsonl`; the run writes `catalog.csv`,
`outputs/` and the README there, exactly as `make enrich ARGS=--offline` would.

The stages are not re-implemented here: `pipeline.enrich.enrich` runs as it is, with a
stopwatch as its `stage` hook, so the breakdown is the stages `enrich` itself names (a
renamed function cannot silently drop one). Peak memory per stage comes from resetting the
kernel's RSS high-water mark before each stage (`/proc/self/clear_refs`, Linux); where
that is not possible the column is the running peak of the process instead.

Prints one JSON object on stdout: the stages in call order, the total and the RSS kind.
"""

from __future__ import annotations

import contextlib
import json
import re
import resource
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pipeline.bulk import pandas_unimported
from pipeline.config import Options, Paths
from pipeline.enrich import Stage, enrich
from pipeline.fetch import Transport

_STATUS_FIELD = re.compile(r"^(VmHWM|VmRSS):\s+(\d+) kB$", re.MULTILINE)


@dataclass
class StageTiming:
    stage: str
    calls: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    rss_start_mib: float = 0.0  # resident memory when the stage (first) started
    peak_rss_mib: float = 0.0  # highest resident memory while it ran


class _Memory:
    """Resident memory now and its high-water mark, resettable where the kernel allows it."""

    def __init__(self) -> None:
        self.per_stage = self._reset()

    @staticmethod
    def _reset() -> bool:
        try:
            # "5" resets the peak RSS (VmHWM) of this process (Linux >= 4.0).
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def start(self) -> float:
        """Reset the peak (if possible) and return the current RSS in MiB."""
        if self.per_stage:
            self._reset()
        return self._status().get("VmRSS", 0.0)

    def peak(self) -> float:
        """Peak RSS in MiB since the last `start` (or of the whole process, as a fallback)."""
        status = self._status()
        if "VmHWM" in status:
            return status["VmHWM"]
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    @staticmethod
    def _status() -> dict[str, float]:
        try:
            text = Path("/proc/self/status").read_text()
        except OSError:
            return {}
        return {m[1]: int(m[2]) / 1024 for m in _STATUS_FIELD.finditer(text)}


def stopwatch(timings: dict[str, StageTiming], memory: _Memory) -> Stage:
    """The `stage` hook of `enrich`: times each named stage it is entered for."""

    @contextlib.contextmanager
    def timed(name: str) -> Iterator[None]:
        timing = timings.setdefault(name, StageTiming(name))
        rss = memory.start()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            timing.wall_s += time.perf_counter() - wall
            timing.cpu_s += time.process_time() - cpu
            if not timing.calls:
                timing.rss_start_mib = rss
            timing.peak_rss_mib = max(timing.peak_rss_mib, memory.peak())
            timing.calls += 1

    return timed


def _no_network() -> Transport:
    raise RuntimeError("the local-stage benchmark must not fetch: the cache should be full")


def run_stages(workdir: Path) -> dict[str, Any]:
    """Run `enrich` offline on WORKDIR and return the per-stage timings and totals."""
    memory = _Memory()
    timings: dict[str, StageTiming] = {}
    readme = workdir / "README.md"
    before = readme.read_bytes()
    paths = Paths(
        readme=readme,
        catalog=workdir / "catalog.csv",
        outputs=workdir / "outputs",
        cache=workdir / "arxiv-cache.jsonl",
    )
    start = time.perf_counter()
    with pandas_unimported():  # as the command line runs it
        summary = enrich(
            # One process: stages are timed one after the other, each with its own memory.
            Options(paths=paths, offline=True, parallel=False),
            _no_network,
            stage=stopwatch(timings, memory),
        )
    total = time.perf_counter() - start
    stages = list(timings.values())
    other = total - sum(t.wall_s for t in stages)
    # Resetting the high-water mark also resets ru_maxrss, so the process peak is the
    # highest stage peak (or the peak since the last stage began, which covers the rest).
    peak = max([memory.peak(), *(t.peak_rss_mib for t in stages)])
    return {
        "links": summary.links,
        "papers": summary.papers,
        "missing": len(summary.missing),
        "readme_changed": readme.read_bytes() != before,
        "total_s": total,
        "other_s": other,  # time inside enrich outside the wrapped stage functions
        "rss_per_stage": memory.per_stage,
        "peak_rss_mib": peak,
        "stages": [asdict(t) for t in stages],
    }


def main(argv: list[str]) -> int:
    """`python -m bench.stages WORKDIR`: print the stage timings as JSON."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(run_stages(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
