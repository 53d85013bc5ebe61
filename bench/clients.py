"""The approaches the pipeline is compared with, each run as a child process of the bench.

    python -m bench.clients one-per-id URL IDS_FILE
    python -m bench.clients arxiv-package URL IDS_FILE

`IDS_FILE` holds one arXiv ID per line. The child prints one JSON object on stdout:
`{"papers": <papers received>, "error": <why it stopped, or null>, "requests": <sent>,
"bytes": <response bytes received>}`. The bench counts requests and bytes at the fake
server, so every client is counted the same way; the client's own count is the fallback
for requests the server's HTTP layer refuses before its log sees them (a request line
over 64 KiB gets 414 from `http.server` itself).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import arxiv
import httpx
import requests

from pipeline.atom import MalformedFeed, parse_feed
from pipeline.fetch import user_agent


@dataclass
class Outcome:
    papers: int = 0
    error: str | None = None  # the first failure
    requests: int = 0  # as the client counted them
    bytes: int = 0  # response bodies, as the client received them


def one_request_per_id(url: str, ids: Sequence[str]) -> Outcome:
    """What most list-maintenance scripts do: one GET `?id_list=ID` per paper, in a loop.

    Answers are parsed with the pipeline's own Atom parser, so the comparison with the
    pipeline is about the request pattern, not about the parser.
    """
    outcome = Outcome()
    with httpx.Client(headers={"User-Agent": user_agent(None)}, timeout=60.0) as client:
        for arxiv_id in ids:
            reply = client.get(url, params={"id_list": arxiv_id})
            outcome.requests += 1
            outcome.bytes += len(reply.content)
            if reply.status_code != 200:
                outcome.error = outcome.error or f"HTTP {reply.status_code}"
                continue
            try:
                outcome.papers += len(parse_feed(reply.content, datetime.now(UTC)).papers)
            except MalformedFeed as error:
                outcome.error = outcome.error or f"malformed answer: {error}"
    return outcome


def arxiv_package(url: str, ids: Sequence[str]) -> Outcome:
    """The `arxiv` package as its README shows it: default `Client()`, `Search(id_list=...)`.

    Only the endpoint (the class attribute `query_url_format`) and the delay are changed:
    the delay is 0 so the bench takes seconds, and the bench adds the 3 s per request back
    when it computes the polite wall time. It sends GET requests, so a long `id_list`
    ends in HTTP 414 (after the client's 3 retries); that is recorded, not raised.
    """
    outcome = Outcome()
    send = requests.Session.send

    def counted(
        session: requests.Session, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        # Count on the client side too: see the module docstring.
        response = send(session, request, **kwargs)
        outcome.requests += 1
        outcome.bytes += len(response.content)
        return response

    # Patched on the class: the package builds its own Session inside Client().
    setattr(requests.Session, "send", counted)  # noqa: B010
    arxiv.Client.query_url_format = url + "?{}"
    client = arxiv.Client()
    client.delay_seconds = 0.0
    search = arxiv.Search(id_list=list(ids))
    try:
        for _ in client.results(search):
            outcome.papers += 1
    except arxiv.HTTPError as error:
        outcome.error = f"HTTP {error.status}"
    except arxiv.ArxivError as error:
        outcome.error = f"{type(error).__name__}: {error.message}"
    return outcome


_APPROACHES = {"one-per-id": one_request_per_id, "arxiv-package": arxiv_package}


def main(argv: Sequence[str]) -> int:
    """Run the approach named in `argv` and print its JSON result line."""
    if len(argv) != 3 or argv[0] not in _APPROACHES:
        print(__doc__, file=sys.stderr)
        return 2
    name, url, ids_file = argv
    ids = Path(ids_file).read_text(encoding="utf-8").split()
    print(json.dumps(asdict(_APPROACHES[name](url, ids))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
