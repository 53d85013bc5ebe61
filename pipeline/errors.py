"""The errors a user can see, and the exit status of each: the one place that maps them.

    PipelineError           something stopped the run; exit 3 unless a subclass says otherwise
    ├── InputError          bad usage or unreadable input (README, cache, snapshot, arguments):
    │   │                   one line naming the file and line, exit 2, nothing written
    │   └── CacheError      a cache or snapshot file that does not hold valid records
    ├── OutputError         the computed outputs failed validation: exit 3, nothing written
    └── FeedError           digest: the RSS feed could not be had or is no RSS: exit 1,
                            nothing written

Metadata that would change the README's links is no error: that suffix is left out and
reported, everything else written (`enrich._render_safely`).

An `OSError` while writing (permissions, a full disk) also exits 3; every write is atomic,
so the files already written stay complete. Ctrl-C exits 130. Papers without metadata are
not errors: the run finishes, and its `Summary` makes the exit status 1.

Fetch failures never reach the user as exceptions: `pipeline.fetch` turns them into papers
reported as not fetched (see its own tree).
"""

from __future__ import annotations

# Exit statuses, documented in the README and in `--help` (cli.py's docstring).
EXIT_OK = 0
EXIT_MISSING_METADATA = 1
EXIT_FEED_FAILED = 1  # digest: the RSS feed could not be had (like papers left unfetched)
EXIT_USAGE = 2
EXIT_FAILED = 3
EXIT_INTERRUPTED = 130


class PipelineError(Exception):
    """Base of the errors the command line reports in one line instead of a traceback."""

    exit_status = EXIT_FAILED


class InputError(PipelineError):
    """Bad usage or unreadable input: reported in one line, exit status 2, nothing written."""

    exit_status = EXIT_USAGE


class CacheError(InputError):
    """A cache or snapshot file whose records cannot be read (the message names file and line)."""


class OutputError(PipelineError):
    """The rows failed validation; nothing is written."""


class FeedError(PipelineError):
    """The digest's RSS feed could not be had or is no RSS feed; nothing is written."""

    exit_status = EXIT_FEED_FAILED


def exit_status(error: BaseException) -> int:
    """The exit status for an error that ended a command."""
    if isinstance(error, PipelineError):
        return error.exit_status
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_FAILED
