"""`python -m pipeline`: the command line (`pipeline.cli`), ended without Python's teardown."""

import contextlib
import logging
import os
import sys

from pipeline.cli import main

# The run's data is kept, not released object by object, and Python's teardown (which
# would free every object left and collect garbage once more) is skipped: 0.2-0.3 s after
# a 100 000-link run, in a process that is ending anyway. The files are written and
# closed by now: flush what is buffered and end.
kept: list[object] = []
status = main(keep=kept)
logging.shutdown()
for stream in (sys.stdout, sys.stderr):
    with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
        stream.flush()
os._exit(status)
