"""`python -m pipeline`: the command line (`pipeline.cli`), ended without Python's teardown."""

import contextlib
import logging
import os
import sys

from pipeline.cli import main

status = main()
# Python's teardown would free every object a run left and collect garbage once more
# (0.1 s after a 100 000-link run) in a process that is ending anyway; the files are
# written and closed by now, so flush what is buffered and end.
logging.shutdown()
for stream in (sys.stdout, sys.stderr):
    with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
        stream.flush()
os._exit(status)
