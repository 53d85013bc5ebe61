"""Work done by a forked copy of this process while this one goes on (Linux, 2+ cores).

A long `enrich` run has two independent halves after the list and cache are read: the
README render (with the dataset files) and papers.bib (with the label typo check). A copy
of the process made with fork() already holds the list and the papers (nothing is sent to
it), computes one half on the second core and leaves its result in an unnamed file.

That half comes in pieces, which the copy does from the first on. When this process is done
with its own half it takes the last pieces the copy has not started and does them itself,
so that whichever side is slower (this VM's cores run at different speeds from minute to
minute) is helped by the other.

The copy is only ever a shortcut. When it cannot be made (another OS, one core, other
Python threads), fails, dies, or runs far longer than this process took meanwhile, `result()`
does the work here instead, so what a run writes or reports never depends on it: an
error in the work is raised here, by the same code, as if there had been no copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Generic, NoReturn, TypeVar, cast

T = TypeVar("T")

log = logging.getLogger(__name__)

# The copy's work is about as long as what this process does meanwhile; one that is still
# running WAIT_FACTOR times as long (and at least MIN_WAIT_S) is taken to be stuck.
WAIT_FACTOR = 4.0
MIN_WAIT_S = 30.0
_POLL_S = 0.005
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_UNKNOWN = -256  # the exit status of a copy reaped elsewhere: not known to be a success


def can_fork() -> bool:
    """Whether a forked copy can help here: Linux, 2+ usable cores, no other Python thread,
    and the copy's exit status can be known.

    fork() copies only the calling thread: a lock another thread holds at that moment
    stays locked in the copy forever, so a process running Python threads never forks.
    Native pool threads do run (OpenBLAS's, loaded with numpy by pyarrow, and an allocator's
    background thread); they idle on their own locks, which the copy never takes (it does
    no linear algebra; the allocators reset theirs at fork), and the wait bound covers a
    hang. Python 3.12+ counts them and warns at os.fork() (a DeprecationWarning, shown by
    default only in __main__). With
    SIGCHLD ignored (a disposition inherited through exec from whatever started the run)
    the kernel reaps the copy at once and its status is never seen.
    """
    return (
        sys.platform == "linux"
        and len(os.sched_getaffinity(0)) >= 2
        and threading.active_count() == 1
        and signal.getsignal(signal.SIGCHLD) is not signal.SIG_IGN
    )


class Forked(Generic[T]):
    """`pieces` of work started in a forked copy of this process; `result()` gives what each
    returned, in order.

    The copy does the pieces from the first on; `result()` first does here the last ones
    the copy has not started (never the first, which the copy starts with), then collects
    the copy's. Use as a context manager: leaving the block stops a copy still running (an
    error or Ctrl-C here), so no copy outlives the run. The pieces must not write files or
    print; their results must pickle.
    """

    def __init__(
        self,
        pieces: Sequence[Callable[[], T]],
        enabled: bool = True,
        scratch: Path | None = None,
    ) -> None:
        """Start the copy when `enabled` and `can_fork()`; its result goes to an unnamed
        file in `scratch` (default: the system's temporary directory, which may be RAM)."""
        self._pieces = list(pieces)
        self._started = time.monotonic()
        self._pid: int | None = None
        self._file: IO[bytes] | None = None
        # Shared with the copy: byte i is set when the copy starts piece i, byte n + i when
        # this process takes piece i. The copy starts only pieces not taken; this process
        # does each piece it takes unless the copy had started it. A piece is done by one
        # side, or by both when they meet on it at once (harmless); `result()` does any
        # piece still missing.
        self._claims = mmap.mmap(-1, 2 * len(self._pieces) or 1)
        if enabled and can_fork():
            try:
                self._start(scratch)
            except OSError as error:  # no room for the file, no process left: no copy
                log.debug("no second process (%s); its work is done here", error)
                self._close_file()
            except BaseException:  # Ctrl-C as the copy was made: it ends with this block
                self._stop()
                raise

    def _start(self, scratch: Path | None) -> None:
        # Closed by _collect or _stop (or with the block): outlives this call.
        self._file = tempfile.TemporaryFile(dir=scratch)  # noqa: SIM115
        parent = os.getpid()
        # Ctrl-C held back until both sides are ready for it: the copy ignores it before it
        # could raise KeyboardInterrupt into this process's code (and go on as the run),
        # and this process knows the copy to stop before it raises it.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pid = os.fork()
            if pid == 0:
                self._run_as_copy(parent, self._file, mask)
            self._pid = pid
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    @property
    def forked(self) -> bool:
        """Whether a copy was made (and not yet collected)."""
        return self._pid is not None

    def _run_as_copy(
        self, parent: int, file: IO[bytes], mask: set[int | signal.Signals]
    ) -> NoReturn:
        status = 1
        try:
            # Ctrl-C reaches the whole process group: this process stops the copy then.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            _die_with(parent)
            pickle.dump(self._run_pieces_as_copy(), file, protocol=pickle.HIGHEST_PROTOCOL)
            file.flush()
            status = 0
        except BaseException:  # the work is done again in the parent, which reports it
            pass
        finally:
            os._exit(status)  # no atexit handlers, no buffers of the parent flushed twice

    def _run_pieces_as_copy(self) -> dict[int, T]:
        done: dict[int, T] = {}
        count = len(self._pieces)
        for index, piece in enumerate(self._pieces):
            if self._claims[count + index]:  # taken, and every piece after it
                break
            self._claims[index] = 1
            done[index] = piece()
        return done

    def result(self) -> list[T]:
        """What each piece returned: the copy's results where it did them, the others done
        here (all of them, when there is no copy or it failed)."""
        done: dict[int, T] = {}
        if self._pid is not None:
            count = len(self._pieces)
            for index in reversed(range(1, count)):  # the first is the copy's own
                self._claims[count + index] = 1
                if self._claims[index]:  # the copy has this one, and every one before it
                    break
                try:
                    done[index] = self._pieces[index]()
                except Exception:
                    # Done again below, in order once the copy's are in: the error raised
                    # is then that of the first piece to fail, as without a copy.
                    break
            ok, value = self._collect()
            if ok:
                done = {**cast(dict[int, T], value), **done}
        return [done[i] if i in done else piece() for i, piece in enumerate(self._pieces)]

    def _collect(self) -> tuple[bool, object]:
        assert self._pid is not None and self._file is not None
        waited = time.monotonic() - self._started
        status = self._wait(time.monotonic() + max(MIN_WAIT_S, WAIT_FACTOR * waited))
        if status is None:
            ran = time.monotonic() - self._started
            log.warning("the second process is still running after %.0f s; stopped", ran)
            self._stop()
            return False, None
        if status != 0:
            log.debug("the second process ended with status %d; its work is done here", status)
            return False, None
        try:
            self._file.seek(0)
            return True, pickle.load(self._file)
        except Exception as error:  # a copy killed while writing leaves a cut-off file
            log.debug("the second process left no readable result (%s)", error)
            return False, None
        finally:
            self._close_file()

    def _wait(self, deadline: float) -> int | None:
        """The copy's exit status once it ends; None if it is still running at `deadline`."""
        assert self._pid is not None
        while True:
            try:
                pid, status = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: ended, how is not known
                self._pid = None
                return _UNKNOWN
            if pid:
                self._pid = None
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() >= deadline:
                return None
            time.sleep(_POLL_S)

    def _stop(self) -> None:
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):  # reaped elsewhere
                os.waitpid(self._pid, 0)
            self._pid = None
        self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Forked[T]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()
        self._claims.close()


def _die_with(parent: int) -> None:
    """Have the kernel end this copy when its parent ends, however the parent ends."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before prctl took effect
        os._exit(1)
