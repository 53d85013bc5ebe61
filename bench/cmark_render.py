"""How long GitHub's renderer takes on a file (a child process of the bench).

    python -m bench.cmark_render FILE

Renders FILE with cmark-gfm (PyPI `cmarkgfm`), the engine GitHub renders READMEs with,
with GitHub's extensions (table, autolink, strikethrough, tagfilter, tasklist), footnotes and
raw HTML allowed, and prints the render time in seconds (reading the file and start-up excluded):
the yardstick for the pipeline's own time on the same file.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options


def render_seconds(path: Path) -> float:
    """Seconds cmark-gfm takes to render `path` to HTML as GitHub does."""
    text = path.read_text(encoding="utf-8")
    start = time.perf_counter()
    cmarkgfm.github_flavored_markdown_to_html(
        text, options=Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_FOOTNOTES
    )
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps({"render_s": render_seconds(Path(argv[0]))}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
