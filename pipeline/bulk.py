"""Building many objects at once: the garbage collector paused meanwhile, memory given back,
pyarrow kept from importing pandas."""

from __future__ import annotations

import ctypes
import gc
import importlib.abc
import sys
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


class _PandasRefused(importlib.abc.MetaPathFinder):
    """An import finder that refuses pandas (see `pandas_unimported`)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """Raise ImportError for pandas; leave every other module to the next finder."""
        if name == "pandas":
            raise ImportError("pandas is not imported while the data files are made")


@contextmanager
def pandas_unimported() -> Iterator[None]:
    """Make the data files without pyarrow importing pandas: for a process that will not
    hand pandas objects to pyarrow afterwards (the command line).

    pyarrow imports pandas the first time it converts Python objects (`pa.array`, and
    each compute call with a Python argument): 0.4 s of a 100 000-link run, only to
    recognise pandas' own objects and null values, which the rows never hold. While this
    is entered, importing pandas fails and pyarrow goes on without it (the files are
    byte for byte the same; a test compares them). Afterwards pyarrow takes pandas to be
    absent until a pandas conversion (`Table.to_pandas`, `Table.from_pandas`) imports it,
    which is why the library's own functions do not do this. Where pandas is imported
    already there is nothing to save, and nothing is changed.
    """
    if "pandas" in sys.modules:
        yield
        return
    refuse = _PandasRefused()
    sys.meta_path.insert(0, refuse)
    try:
        yield
    finally:
        sys.meta_path.remove(refuse)
