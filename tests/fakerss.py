"""A fake of arXiv's RSS listing feeds (`/rss/CATEGORY+CATEGORY`) on 127.0.0.1.

Feeds are written in the published format, element for element like
`shared/arxiv-rss/sample-cs.CL.xml`: the channel with its announcement date and skipDays,
one `item` per announced paper with the `arXiv:IDvN Announce Type: TYPE \\nAbstract: ...`
description, repeated `category`, `arxiv:announce_type` and one `dc:creator` string. A
combined feed holds the listing of each category in the order asked, so a paper announced in
two of them appears twice (once `new`, once `cross`), as in the real combined feeds.

Faults on demand (`fail_next`): an HTTP status (with Retry-After), an HTML page, a truncated
feed, a dropped connection. Every request is logged with its path and headers.

`weekly_announcement()` is the test week: papers planted on the list's topics, off-topic
ones, replacements, cross-list duplicates and papers already in the list.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from tests.loopback import Loopback, LoopbackServer

__all__ = ["FakeRss", "FeedItem", "Planted", "render_feed", "weekly_announcement"]

RSS_PATH = "/rss/"
DEFAULT_ANNOUNCED = "Tue, 24 Nov 2026 00:00:00 -0500"
_RSS_TYPE = "application/rss+xml; charset=UTF-8"
_HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>arXiv</title></head><body>Busy</body></html>\n"


@dataclass(frozen=True)
class FeedItem:
    """One announced paper, as one category's listing shows it."""

    arxiv_id: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]  # primary first
    announce_type: str = "new"  # new, cross, replace, replace-cross
    version: int = 1

    def render(self, announced: str) -> str:
        vid = f"{self.arxiv_id}v{self.version}"
        lines = [
            "    <item>",
            f"      <title>{escape(self.title)}</title>",
            f"      <link>https://arxiv.org/abs/{self.arxiv_id}</link>",
            f"      <description>arXiv:{vid} Announce Type: {self.announce_type} ",
            f"Abstract: {escape(self.abstract)}</description>",
            f'      <guid isPermaLink="false">oai:arXiv.org:{vid}</guid>',
            *(f"      <category>{escape(c)}</category>" for c in self.categories),
            f"      <pubDate>{announced}</pubDate>",
            f"      <arxiv:announce_type>{self.announce_type}</arxiv:announce_type>",
            "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>",
            f"      <dc:creator>{escape(', '.join(self.authors))}</dc:creator>",
            "    </item>",
        ]
        return "\n".join(lines) + "\n"


def render_feed(
    categories: Sequence[str], items: Iterable[FeedItem], announced: str = DEFAULT_ANNOUNCED
) -> bytes:
    """A whole feed in arXiv's format (the channel of `sample-cs.CL.xml` around `items`)."""
    name = "+".join(categories)
    head = f"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" \
version="2.0">
  <channel>
    <title>{escape(name)} updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/{escape(name)}</link>
    <description>{escape(name)} updates on the arXiv.org e-print archive.</description>
    <atom:link href="http://rss.arxiv.org/rss/{escape(name)}" rel="self" \
type="application/rss+xml"/>
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>{announced[:17]}05:00:11 +0000</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>{announced}</pubDate>
    <skipDays>
      <day>Saturday</day>
      <day>Sunday</day>
    </skipDays>
"""
    body = "".join(item.render(announced) for item in items)
    return (head + body + "  </channel>\n</rss>\n").encode("utf-8")


@dataclass
class RssRequest:
    path: str
    categories: list[str]
    headers: dict[str, str]
    status: int | None = None  # None: the connection was dropped


@dataclass
class _Fault:
    kind: str  # "status", "html", "truncated", "drop"
    status: int = 503
    retry_after: str | None = None


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer[FakeRss]
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 30

    def do_GET(self) -> None:
        status, headers, body = self.server.fake._answer(self.path, dict(self.headers.items()))
        if status is None:
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is `FakeRss.requests`."""


class FakeRss(Loopback):
    """arXiv's RSS feeds on 127.0.0.1: fill the categories' listings, point a client at `url`."""

    handler = _Handler
    thread_name = "fakerss"

    def __init__(self, announced: str = DEFAULT_ANNOUNCED) -> None:
        self.announced = announced
        self.listings: dict[str, list[FeedItem]] = {}
        self.requests: list[RssRequest] = []
        self._faults: deque[_Fault] = deque()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The feeds' base, like `https://rss.arxiv.org/rss/`."""
        return f"http://127.0.0.1:{self.port}{RSS_PATH}"

    def publish(self, listings: Mapping[str, Sequence[FeedItem]]) -> None:
        """Replace every category's listing (an announcement; categories not named are empty)."""
        with self._lock:
            self.listings = {c: list(items) for c, items in listings.items()}

    def feed(self, categories: Sequence[str]) -> bytes:
        """The combined feed of `categories`, as served."""
        with self._lock:
            items = [item for c in categories for item in self.listings.get(c, [])]
        return render_feed(categories, items, self.announced)

    def fail_next(
        self, kind: str = "status", *, status: int = 503, retry_after: str | None = None
    ) -> None:
        """The next request gets this fault instead of its feed."""
        if kind not in {"status", "html", "truncated", "drop"}:
            raise ValueError(f"unknown fault {kind!r}")
        self._faults.append(_Fault(kind, status, retry_after))

    def _answer(
        self, path: str, headers: dict[str, str]
    ) -> tuple[int | None, list[tuple[str, str]], bytes]:
        names = unquote(path.split("?")[0])
        categories = names[len(RSS_PATH) :].split("+") if names.startswith(RSS_PATH) else []
        request = RssRequest(path, categories, headers)
        self.requests.append(request)
        fault = self._faults.popleft() if self._faults else None
        if not names.startswith(RSS_PATH) or not all(categories):
            request.status = 404
            return 404, [("Content-Type", "text/html")], b"<html><body>Not Found</body></html>\n"
        if fault is None or fault.kind == "truncated":
            body = self.feed(categories)
            if fault is not None:
                body = body[: len(body) // 2]
            request.status = 200
            return 200, [("Content-Type", _RSS_TYPE)], body
        if fault.kind == "drop":
            return None, [], b""
        if fault.kind == "html":
            request.status = 200
            return 200, [("Content-Type", "text/html; charset=UTF-8")], _HTML_PAGE
        extra = [("Retry-After", fault.retry_after)] if fault.retry_after else []
        request.status = fault.status
        return fault.status, [("Content-Type", "text/html"), *extra], b"<html>busy</html>\n"


# --- the test week ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    """The test week's listings and what a digest of it must say."""

    listings: dict[str, list[FeedItem]]
    on_topic: dict[str, str]  # arXiv ID -> the section of the list it belongs in
    off_topic: list[str]
    replacements: list[str]
    listed: list[str]  # already in the list
    duplicated: list[str]  # announced in two categories
    titles: dict[str, str] = field(default_factory=dict)


def _item(
    arxiv_id: str, title: str, abstract: str, categories: Sequence[str], **kw: Any
) -> FeedItem:
    authors = kw.pop("authors", ("Ada Example", "Bo Sample"))
    return FeedItem(arxiv_id, title, abstract, tuple(authors), tuple(categories), **kw)


RL = "Reinforcement Learning for LLMs"
FUNDAMENTAL_LLM = "Fundamental LLM & Transformer Papers/Blogs"
FUNDAMENTAL_TRANSFORMERS = "Some Fundamental Transformers"
INTERPRETABILITY = "Mechanistic Interpretability"
SCALING = "Scaling Laws"
MLSYS = "MLSys"


def weekly_announcement() -> Planted:
    """One made-up announcement for the list's categories (its papers are invented)."""
    dpo = _item(
        "2611.00201",
        "Preference Optimization Without a Reward Model: Revisiting Direct Preference Learning",
        "We revisit direct preference optimization for aligning language models with human "
        "preferences. Instead of fitting a reward model and running reinforcement learning "
        "from human feedback, the policy is trained directly on preference pairs with a "
        "classification loss. We show that the implicit reward of the policy is well "
        "calibrated and that instruction following improves on three benchmarks.",
        ["cs.CL", "cs.LG"],
        authors=("Ada Example", "Bo Sample", "Cy Placeholder"),
    )
    grpo = _item(
        "2611.00202",
        "Group Relative Policy Optimization for Mathematical Reasoning in Small Language Models",
        "Reinforcement learning with verifiable rewards has improved the mathematical "
        "reasoning of large language models. We apply group relative policy optimization to "
        "open models of one billion parameters and find that reasoning ability emerges "
        "without supervised fine-tuning on chain-of-thought data.",
        ["cs.LG", "cs.AI"],
    )
    scaling = _item(
        "2611.00203",
        "Scaling Laws for Language Models Trained on Repeated and Synthetic Data",
        "We measure how the cross-entropy loss of language models scales with model size, "
        "dataset size and the amount of compute used for training when data is repeated or "
        "synthetic. The loss follows a power law in each factor over six orders of "
        "magnitude, and we fit a scaling law that predicts the compute-optimal model size.",
        ["cs.LG", "cs.CL"],
    )
    serving = _item(
        "2611.00204",
        "Chunked Prefill Scheduling for Disaggregated Large Language Model Serving",
        "Serving large language models splits inference into a compute-bound prefill phase "
        "and a memory-bound decoding phase. We disaggregate prefill and decoding onto "
        "different GPUs and schedule chunked prefills to improve goodput under latency "
        "constraints, raising throughput by 2.1 times on production traces.",
        ["cs.DC", "cs.LG"],
        announce_type="cross",
    )
    circuits = _item(
        "2611.00205",
        "Mechanistic Interpretability of Safety Refusals: A Review of Circuits and Features",
        "Mechanistic interpretability aims to reverse engineer the computations of neural "
        "networks into human-understandable circuits and features. We review how sparse "
        "features and circuits explain refusals in language models and discuss what "
        "mechanistic interpretability can offer AI safety.",
        ["cs.AI", "cs.LG"],
        announce_type="cross",
    )
    attention = _item(
        "2611.00206",
        "Shared Key-Value Heads: Multi-Query and Grouped-Query Attention for Fast Decoding",
        "Incremental decoding in transformer models is limited by the memory bandwidth of "
        "loading the attention keys and values. Multi-query attention shares one key and "
        "value head across all query heads, and grouped-query attention interpolates "
        "between the two. We uptrain existing multi-head checkpoints and study the quality "
        "and speed of each variant.",
        ["cs.CL", "cs.LG"],
    )
    encoder = _item(
        "2611.00207",
        "A Lite Bidirectional Encoder: Parameter Sharing for Masked Language Model Pre-training",
        "Pre-training bidirectional transformer encoders with a masked language model "
        "objective gives strong representations for language understanding. We reduce the "
        "parameters of such a model with cross-layer parameter sharing and factorized "
        "embeddings and report results on GLUE, SQuAD and RACE.",
        ["cs.CL"],
    )
    off_topic = [
        _item(
            "2611.00301",
            "Graph Neural Networks for Protein-Ligand Binding Affinity",
            "We predict protein-ligand binding affinity with an equivariant graph neural "
            "network over atoms and residues, improving docking scores on three benchmarks.",
            ["q-bio.BM", "cs.LG"],
            announce_type="cross",
        ),
        _item(
            "2611.00302",
            "Classifying Galaxy Morphologies in Wide-Field Surveys",
            "Convolutional networks classify the morphologies of two million galaxies from "
            "wide-field survey images, with uncertainty estimates for rare classes.",
            ["astro-ph.GA", "cs.LG"],
            announce_type="cross",
        ),
        _item(
            "2611.00303",
            "Fair Credit Scoring with Counterfactual Constraints",
            "We train credit scoring classifiers under counterfactual fairness constraints "
            "and audit the trade-off between default prediction and group parity.",
            ["cs.LG", "stat.ML"],
        ),
        _item(
            "2611.00304",
            "Robust Control of Quadrotor Swarms Under Wind Disturbances",
            "A model predictive controller keeps quadrotor swarms in formation under gusty "
            "wind, learned from flight logs of twelve outdoor experiments.",
            ["cs.RO", "cs.LG"],
            announce_type="cross",
        ),
    ]
    replacements = [
        # On the list's topics: ranked high if the replacement filter failed.
        _item(
            "2609.01234",
            "Scaling Laws for Neural Language Models, Revisited",
            "Version 2: the loss of language models scales as a power law with model size, "
            "dataset size and compute; we add results for larger models.",
            ["cs.LG"],
            announce_type="replace",
            version=2,
        ),
        _item(
            "2610.05555",
            "Direct Preference Optimization with Human Feedback at Scale",
            "Version 3 adds experiments on direct preference optimization of language models "
            "with human feedback.",
            ["stat.ML", "cs.CL"],
            announce_type="replace-cross",
            version=3,
        ),
    ]
    # In the list already (DeepSeek-R1, cross-listed again in this made-up week).
    listed = _item(
        "2501.12948",
        "DeepSeek-R1: Incentivizing Reasoning Capability in LLMs via Reinforcement Learning",
        "We introduce our first-generation reasoning models, DeepSeek-R1-Zero and DeepSeek-R1, "
        "trained via large-scale reinforcement learning without supervised fine-tuning.",
        ["cs.CL", "cs.AI", "cs.LG"],
        announce_type="cross",
    )

    def cross(item: FeedItem) -> FeedItem:
        return FeedItem(
            item.arxiv_id, item.title, item.abstract, item.authors, item.categories, "cross"
        )

    listings = {
        "cs.CL": [dpo, attention, encoder, replacements[1]],
        "cs.LG": [
            grpo,
            scaling,
            cross(dpo),  # cs.CL's paper again in cs.LG: a cross-list duplicate
            serving,
            off_topic[2],
            off_topic[0],
            off_topic[1],
            off_topic[3],
            replacements[0],
            listed,
        ],
        "cs.AI": [circuits, cross(grpo)],
        "stat.ML": [cross(off_topic[2])],
    }
    on_topic = {
        dpo.arxiv_id: RL,
        grpo.arxiv_id: RL,
        scaling.arxiv_id: SCALING,
        serving.arxiv_id: MLSYS,
        circuits.arxiv_id: INTERPRETABILITY,
        attention.arxiv_id: FUNDAMENTAL_LLM,
        encoder.arxiv_id: FUNDAMENTAL_TRANSFORMERS,
    }
    everything = [i for items in listings.values() for i in items]
    return Planted(
        listings=listings,
        on_topic=on_topic,
        off_topic=[i.arxiv_id for i in off_topic],
        replacements=[i.arxiv_id for i in replacements],
        listed=[listed.arxiv_id],
        duplicated=[dpo.arxiv_id, grpo.arxiv_id, off_topic[2].arxiv_id],
        titles={i.arxiv_id: i.title for i in everything},
    )
