"""Building many objects at once: the garbage collector paused meanwhile, memory given back."""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the garbage collector while a stage (or a whole enrich run) builds many objects.

    Parsing a long list or loading its cache makes millions of small objects and no
    reference cycles; with the collector on, each full collection re-scans every live
    object: about half the time of either stage on the 100 000-link bench list.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc
        return None
    return trim


_trim = _malloc_trim()


def give_back_freed_memory() -> None:
    """Return memory freed by a stage to the system (glibc keeps it otherwise).

    cmark-gfm's tree of a long list and the cache file's lines are millions of small C
    allocations and large strings; once freed, glibc keeps most of their pages in the
    process (500 MB after parsing a 50 MB README), where later stages cannot all reuse
    them, so each stage's peak would stack on the ones before.
    """
    if _trim is not None:
        _trim(0)
