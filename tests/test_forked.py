"""The forked copy that computes half of a long run: a shortcut that never decides the result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

import pipeline.forked
from pipeline.forked import Forked, can_fork
from tests.conftest import REPO


@pytest.fixture(autouse=True)
def forking(alone: None) -> None:
    # CI and this machine: Linux with 2 cores. Without a copy every test below would pass
    # for the wrong reason: refuse that.
    assert sys.platform == "linux" and len(os.sched_getaffinity(0)) >= 2, "needs Linux, 2 cores"
    assert can_fork()


def test_the_copy_does_the_work_and_this_process_gets_its_result() -> None:
    here = os.getpid()
    with Forked([os.getpid]) as ahead:
        assert ahead.forked
        (copy,) = ahead.result()
    assert copy != here  # computed by the copy, not here
    assert not ahead.forked  # collected


def test_this_process_takes_the_last_pieces_the_copy_has_not_started() -> None:
    here = os.getpid()

    def own() -> int:
        if os.getpid() != here:
            time.sleep(2)  # the copy is still at its first piece when the result is asked for
        return os.getpid()

    with Forked([own, os.getpid, os.getpid, os.getpid]) as ahead:
        first, *shared = ahead.result()
    assert first != here  # the copy's own piece is never taken
    assert shared == [here, here, here]


def test_a_copy_done_first_has_done_every_piece() -> None:
    with Forked([os.getpid, os.getpid, os.getpid]) as ahead:
        assert ahead._pid is not None
        deadline = time.monotonic() + 30
        while _alive(ahead._pid) and time.monotonic() < deadline:
            time.sleep(0.01)  # this process is slow: the copy ends meanwhile
        done = ahead.result()
    assert len(set(done)) == 1 and done[0] != os.getpid()


def test_pieces_meet_in_the_middle_and_come_back_in_order(tmp_path: Path) -> None:
    here = os.getpid()
    runs = tmp_path / "runs"

    def piece(number: int) -> int:
        with runs.open("a") as log:  # O_APPEND: whole lines from both processes
            log.write(f"{number} {'here' if os.getpid() == here else 'copy'}\n")
        time.sleep(0.05)
        return number

    with Forked([partial(piece, n) for n in range(16)]) as ahead:
        time.sleep(0.2)  # the copy is a few pieces in
        assert ahead.result() == list(range(16))
    done = [line.split() for line in runs.read_text().splitlines()]
    by = {side: {int(n) for n, who in done if who == side} for side in ("here", "copy")}
    assert by["here"] and by["copy"]  # both worked on the pieces
    assert by["here"] | by["copy"] == set(range(16))
    # The copy from the first on, this process from the last back; at most the one where
    # they met done by both.
    assert max(by["copy"]) <= min(by["here"]) and len(by["here"] & by["copy"]) <= 1


def test_without_a_copy_the_work_is_done_here() -> None:
    with Forked([os.getpid], enabled=False) as ahead:
        assert not ahead.forked
        assert ahead.result() == [os.getpid()]


def test_a_copy_that_fails_leaves_the_work_here_where_its_error_is_raised() -> None:
    here = os.getpid()

    def work() -> int:
        if os.getpid() != here:
            raise ValueError("only in the copy")
        return here

    with Forked([work]) as ahead:
        assert ahead.result() == [here]

    def always_fails() -> int:
        raise ValueError("bad row 7")

    with Forked([always_fails]) as ahead, pytest.raises(ValueError, match="bad row 7"):
        ahead.result()  # the error a serial run would raise, raised here


def test_of_several_failing_pieces_the_first_error_is_raised_as_without_a_copy() -> None:
    here = os.getpid()

    def first() -> int:
        if os.getpid() != here:
            time.sleep(0.5)  # the copy is still here when this process takes the last pieces
        return 0

    def fails(row: int) -> int:
        raise ValueError(f"bad row {row}")

    pieces: list[Callable[[], int]] = [first, partial(fails, 7), partial(fails, 9)]
    with Forked(pieces, enabled=False) as serial, pytest.raises(ValueError, match="bad row 7"):
        serial.result()
    with Forked(pieces) as ahead, pytest.raises(ValueError, match="bad row 7"):
        assert ahead.forked
        ahead.result()  # not row 9's error, from the last piece, which this process does first


def test_a_copy_killed_midway_leaves_the_work_here() -> None:
    here = os.getpid()

    def work() -> int:
        if os.getpid() != here:
            os.kill(os.getpid(), signal.SIGKILL)
        return here

    with Forked([work]) as ahead:
        assert ahead.result() == [here]


def test_a_stuck_copy_is_stopped_and_the_work_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline.forked, "MIN_WAIT_S", 0.3)
    monkeypatch.setattr(pipeline.forked, "WAIT_FACTOR", 0.0)
    started = time.monotonic()
    with Forked([stuck_in_the_copy()]) as ahead:
        copy = ahead._pid
        assert ahead.result() == [os.getpid()]
    assert time.monotonic() - started < 30
    assert copy is not None and not _alive(copy)


def test_leaving_the_block_early_stops_the_copy() -> None:
    with pytest.raises(KeyboardInterrupt), Forked([lambda: time.sleep(3600)]) as ahead:
        copy = ahead._pid
        raise KeyboardInterrupt  # Ctrl-C while this process renders the README
    assert copy is not None and not _alive(copy)


def test_a_copy_ends_with_its_parent_however_the_parent_ends(tmp_path: Path) -> None:
    script = (
        "import os, time\n"
        "from pipeline.forked import Forked\n"
        "ahead = Forked([lambda: time.sleep(3600)])\n"
        "print(ahead._pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"  # no cleanup of any kind runs
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL
    copy = int(done.stdout)
    deadline = time.monotonic() + 10
    while _alive(copy) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(copy)


def stuck_in_the_copy() -> Callable[[], int]:
    """Work that hangs in a forked copy and returns this process's pid here."""
    here = os.getpid()

    def work() -> int:
        if os.getpid() != here:
            time.sleep(3600)
        return here

    return work


def _alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_no_room_for_the_result_means_no_copy_and_the_work_done_here(tmp_path: Path) -> None:
    with Forked([os.getpid], scratch=tmp_path / "missing") as ahead:
        assert not ahead.forked
        assert ahead.result() == [os.getpid()]
    with Forked([os.getpid], scratch=tmp_path) as ahead:  # the result's file is unnamed
        assert ahead.forked and not list(tmp_path.iterdir())
        assert ahead.result() != [os.getpid()]


def test_a_copy_reaped_elsewhere_leaves_the_work_here() -> None:
    # Whoever reaps it (a SIGCHLD handler, a waitpid(-1) elsewhere), its status is lost.
    with Forked([os.getpid]) as ahead:
        assert ahead._pid is not None
        os.waitpid(ahead._pid, 0)
        assert ahead.result() == [os.getpid()]
    with Forked([lambda: time.sleep(3600)]) as ahead:
        assert ahead._pid is not None
        os.kill(ahead._pid, signal.SIGKILL)
        os.waitpid(ahead._pid, 0)  # leaving the block must not fail on a copy already gone


def test_no_copy_where_children_are_reaped_by_the_kernel() -> None:
    # SIGCHLD ignored (inherited through exec from whatever started the run): the kernel
    # reaps every child at once, no exit status is ever seen.
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert not can_fork()
        with Forked([os.getpid]) as ahead:
            assert not ahead.forked
            assert ahead.result() == [os.getpid()]
    finally:
        signal.signal(signal.SIGCHLD, previous)


def test_a_stuck_copy_is_reported_with_the_time_it_ran(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pipeline.forked, "MIN_WAIT_S", 1.0)
    monkeypatch.setattr(pipeline.forked, "WAIT_FACTOR", 0.0)
    with Forked([stuck_in_the_copy()]) as ahead:
        assert ahead.result() == [os.getpid()]
    # Waited for 1 s after this process's own 0 s: "after 1 s", not "after 0 s".
    assert "still running after 1 s; stopped" in caplog.text


def test_ctrl_c_at_the_fork_reaches_this_process_only_and_stops_the_copy() -> None:
    # Ctrl-C reaches the whole process group; here at the worst moment, just as fork()
    # returns in both processes. The copy must not raise it into this process's code
    # (it would go on as the run itself), and this process must stop the copy.
    script = (
        "import os, signal, time\n"
        "from pipeline.forked import Forked\n"
        "here, fork = os.getpid(), os.fork\n"
        "def fork_then_ctrl_c():\n"
        "    pid = fork()\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return pid\n"
        "os.fork = fork_then_ctrl_c\n"
        "try:\n"
        "    with Forked([lambda: time.sleep(3600)]) as ahead:\n"
        "        ahead.result()\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', 'copy' if os.getpid() != here else 'run', flush=True)\n"
        "    if os.getpid() != here:\n"
        "        os._exit(0)\n"
        "print('children', open(f'/proc/{here}/task/{here}/children').read().split())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.splitlines() == ["interrupted run", "children []"], done.stderr
