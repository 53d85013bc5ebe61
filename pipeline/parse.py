"""Parse the Markdown reading list into its links (CommonMark, via markdown-it-py).

What counts as an entry of the list:
- every link of the document up to the marker comment `<!-- end of reading list ... -->`
  (what follows it, such as the "Maintaining this list" section, is about the project);
- inline, reference-style, autolinks `<https://...>`, bare URLs and `www.` links (ending
  where GitHub ends them), raw HTML
  `<a href="...">`, links in nested lists and tables, and `arXiv:ID` mentions in text;
- not: images, badges (a link whose only content is an image, Markdown or HTML), `<meta>`
  and other HTML without `href`, in-page anchors (`#...`), `mailto:` links, anything in
  code spans/blocks, and `arXiv:ID` text written with an escape (`arXiv\\:ID`).

In an HTML block the "list item" of a link is its table row or `<li>` (`<tr>`...`</tr>`).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.models import Link
from pipeline.resolve import ARXIV_TEXT_MENTION
from pipeline.text import collapse_whitespace

END_OF_LIST_MARKER = "<!-- end of reading list"
SECTION_SEPARATOR = " > "
# A paragraph such as "DPO:" or "**PPO**:" that labels the list below it.
_LABEL_PARAGRAPH = re.compile(r"^[^\n:]{1,60}:$")


def markdown_parser() -> MarkdownIt:
    """The CommonMark parser used everywhere: GFM tables and bare-URL linking on."""
    md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "linkify"])
    # Bare URLs need a scheme or "www.": "e.g. Node.js" in a title is not a link.
    if md.linkify is not None:
        md.linkify.set({"fuzzy_link": False})
        md.linkify.test = _quick_rejecting(md.linkify.test)
    # Keep URLs as written: the catalog records what a person wrote, not its percent-encoding.
    md.normalizeLink = _as_written  # type: ignore[method-assign,assignment]
    md.normalizeLinkText = _as_written  # type: ignore[method-assign]
    return md


def _quick_rejecting(test: Callable[[str], bool]) -> Callable[[str], bool]:
    """linkify-it's `test`, skipped for text that cannot hold a link.

    With `fuzzy_link` off every link linkify-it finds has "//" (http:, https:, ftp:, //)
    or "@" (mailto: and bare e-mail addresses). Its own test runs big Unicode regexes on
    every text token, the titles this pipeline writes included: a third of the parse time.
    """

    def quick_test(text: str) -> bool:
        return ("//" in text or "@" in text) and test(text)

    return quick_test


@dataclass
class _Block:
    """Where an inline token sits: its lines, and the lines of its list item or table row."""

    first_line: int  # 1-based line of the inline content
    item_start: int
    item_end: int


def parse_links(markdown: str) -> list[Link]:
    """Every link of the reading list, in document order, with section and source lines."""
    with _gc_paused():
        return _links_of(markdown, *_block_tokens(markdown))


def _block_tokens(markdown: str) -> tuple[list[Token], Callable[[Token], list[Token]]]:
    """The block tokens of `markdown`, and how to get the inline tokens of one of them.

    `MarkdownIt.parse` builds the inline tokens of the whole document up front: on long
    lists most of the memory of a run. Parsing them one block at a time, with the same
    parser and the reference definitions of the document, gives the same tokens.
    """
    block_parser = markdown_parser()
    block_parser.core.ruler.enableOnly(["normalize", "block"])
    inline_parser = markdown_parser()
    # Escaped characters stay tokens of their own, so that `arXiv\:1706.03762` (how the
    # metadata this project writes spells arXiv IDs) is no `arXiv:ID` mention.
    inline_parser.core.ruler.disable("text_join")
    env: dict[str, Any] = {}
    blocks = block_parser.parse(markdown, env)

    def children(token: Token) -> list[Token]:
        return inline_parser.parseInline(token.content, env)[0].children or []

    return blocks, children


def _links_of(
    markdown: str, tokens: Sequence[Token], children_of: Callable[[Token], list[Token]]
) -> list[Link]:
    lines = markdown.split("\n")
    drop_title = sum(1 for t in tokens if t.type == "heading_open" and t.tag == "h1") == 1

    links: list[Link] = []
    headings: list[tuple[int, str]] = []
    subsection = ""
    containers: list[Token] = []  # open list items and table rows, innermost last
    pending_heading: int | None = None

    for index, token in enumerate(tokens):
        if token.type == "html_block" and token.content.lstrip().startswith(END_OF_LIST_MARKER):
            break
        children = children_of(token) if token.type == "inline" else []
        if token.type in ("list_item_open", "tr_open"):
            containers.append(token)
        elif token.type in ("list_item_close", "tr_close"):
            containers.pop()
        elif token.type == "heading_open":
            pending_heading = int(token.tag[1])
        elif token.type == "inline" and pending_heading is not None:
            headings = [h for h in headings if h[0] < pending_heading]
            headings.append((pending_heading, plain_text(children)))
            pending_heading = None
            subsection = ""
        elif token.type == "inline" and _is_label_paragraph(tokens, index, children, containers):
            subsection = plain_text(children).rstrip(":").strip()
        # Links in headings are entries too (GitHub renders them as links).
        if token.type in ("inline", "html_block") and token.map:
            block = _block_of(token, containers, lines)
            found = (
                _inline_links(children, block.first_line)
                if token.type == "inline"
                else _html_anchors(token.content, block.first_line)
            )
            section = SECTION_SEPARATOR.join(
                text for level, text in headings if not (drop_title and level == 1)
            )
            first_position = len(links) + 1
            links.extend(
                Link(
                    position=first_position + number,
                    section=section,
                    subsection=subsection,
                    label=label,
                    url=url,
                    line=line,
                    item_start=item[0] if item else block.item_start,
                    item_end=item[1] if item else block.item_end,
                    in_html_block=token.type == "html_block",
                )
                for number, (label, url, line, item) in enumerate(found)
            )
    return links


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the garbage collector while a document's tokens are alive.

    A long list makes millions of small token objects and no reference cycles; with the
    collector on, each full collection re-scans them all: half the time of `parse_links`.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _as_written(link: str) -> str:
    return link


def plain_text(children: Sequence[Token]) -> str:
    """The text of inline tokens with markup stripped and whitespace collapsed."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "text_special", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return collapse_whitespace("".join(parts))


def is_resource_url(url: str) -> bool:
    """False for URLs that point inside the page or at a person rather than a resource."""
    return bool(url) and not url.startswith("#") and not url.lower().startswith("mailto:")


def _is_label_paragraph(
    tokens: Sequence[Token], index: int, children: Sequence[Token], containers: list[Token]
) -> bool:
    """A top-level one-line paragraph ending in ':' with no link labels what follows."""
    if containers or index == 0 or tokens[index - 1].type != "paragraph_open":
        return False
    if any(c.type in ("link_open", "html_inline", "image") for c in children):
        return False
    return bool(_LABEL_PARAGRAPH.match(plain_text(children)))


def _block_of(token: Token, containers: list[Token], lines: list[str]) -> _Block:
    start, end = token.map or (0, 1)
    if containers and containers[-1].map:
        item_start, item_end = containers[-1].map
    else:
        item_start, item_end = start, end
    # markdown-it counts trailing blank lines into a list item; the item ends at its text.
    while item_end - 1 > item_start and not lines[item_end - 1].strip():
        item_end -= 1
    return _Block(first_line=start + 1, item_start=item_start + 1, item_end=item_end)


_Found = tuple[str, str, int, tuple[int, int] | None]  # label, url, line, item lines (or None)


def _inline_links(children: Sequence[Token], first_line: int) -> Iterator[_Found]:
    """(label, url, line) of each link among the children of one inline token."""
    line = first_line
    index = 0
    while index < len(children):
        child = children[index]
        if child.type == "link_open":
            close = _matching_close(children, index, "link_close")
            inner = children[index + 1 : close]
            url = str(child.attrs.get("href", "")).strip()
            if child.markup == "linkify":  # a bare URL: end it where GitHub ends it
                url = gfm_autolink_end(url)
            is_badge = not plain_text(inner) and any(c.type == "image" for c in inner)
            if is_resource_url(url) and not is_badge:
                yield (url if child.markup == "linkify" else plain_text(inner)), url, line, None
            line += sum(1 for c in inner if c.type in ("softbreak", "hardbreak"))
            index = close + 1
            continue
        if child.type == "html_inline" and _opens_anchor(child.content):
            close = next(
                (
                    i
                    for i in range(index + 1, len(children))
                    if children[i].type == "html_inline"
                    and children[i].content.lower().startswith("</a")
                ),
                len(children),
            )
            inner = children[index + 1 : close]
            has_image = any(c.type == "image" or _is_image_tag(c) for c in inner)
            for _label, url, _line, _item in _html_anchors(child.content + "</a>", line):
                if plain_text(inner) or not has_image:
                    yield plain_text(inner), url, line, None
            line += sum(1 for c in inner if c.type in ("softbreak", "hardbreak"))
            index = close + 1
            continue
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "text":
            for match in ARXIV_TEXT_MENTION.finditer(child.content):
                yield match.group(0), match.group(0), line, None
            if "www." in child.content:
                for match in _WWW_AUTOLINK.finditer(child.content):
                    if url := gfm_autolink_end(match.group(0)):
                        yield url, url, line, None
        index += 1


# GitHub (cmark-gfm's autolink extension) links `www.` + a domain in text, at the start of
# text or after whitespace or `*_~(`; linkify-it (fuzzy links off) does not.
_WWW_AUTOLINK = re.compile(r"(?<![^\s*_~(])www\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*[^\s<]*")
_GFM_TRAILING = "?!.,:*_~"
_ENTITY_AT_END = re.compile(r"&[A-Za-z0-9]+;$")


def gfm_autolink_end(url: str) -> str:
    """A bare URL without what GitHub leaves out of an autolink: trailing punctuation
    (`?!.,:*_~`), an unbalanced `)`, an entity-like `&name;`."""
    while url:
        unbalanced = url[-1] == ")" and url.count(")") > url.count("(")
        if url[-1] in _GFM_TRAILING or unbalanced:
            url = url[:-1]
        elif entity := _ENTITY_AT_END.search(url):
            url = url[: entity.start()]
        else:
            break
    return url


def _matching_close(children: Sequence[Token], open_index: int, close_type: str) -> int:
    for index in range(open_index + 1, len(children)):
        if children[index].type == close_type:
            return index
    return len(children)


def _opens_anchor(html: str) -> bool:
    return bool(re.match(r"<a\s", html, re.IGNORECASE))


def _is_image_tag(token: Token) -> bool:
    return token.type == "html_inline" and bool(re.match(r"<img\b", token.content, re.I))


class _AnchorCollector(HTMLParser):
    """Collects `<a href>` elements of a fragment of raw HTML with their text and line.

    Each anchor also gets the lines (0-based offsets) of the table row or list item it is
    in; None outside of one.
    """

    _ITEMS = ("tr", "li")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[str, str, int, tuple[int, int] | None]] = []
        self._open: tuple[str, int] | None = None
        self._text: list[str] = []
        self._has_image = False
        self._item_start: int | None = None
        self._in_item: list[int] = []  # indexes into anchors of the current row's anchors

    def _end_item(self, last_line: int) -> None:
        if self._item_start is not None:
            for index in self._in_item:
                label, url, line, _ = self.anchors[index]
                self.anchors[index] = (label, url, line, (self._item_start, last_line))
        self._item_start, self._in_item = None, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._ITEMS:
            self._end_item(self.getpos()[0] - 1)
            self._item_start = self.getpos()[0] - 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._open = (href.strip(), self.getpos()[0] - 1)
            self._text = []
            self._has_image = False
        elif tag == "img" and self._open:
            self._has_image = True

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._ITEMS:
            self._end_item(self.getpos()[0] - 1)
        elif tag == "a" and self._open:
            href, offset = self._open
            label = collapse_whitespace("".join(self._text))
            if is_resource_url(href) and (label or not self._has_image):
                if self._item_start is not None:
                    self._in_item.append(len(self.anchors))
                self.anchors.append((label, href, offset, None))
            self._open = None

    def close(self) -> None:
        super().close()
        self._end_item(self.getpos()[0] - 1)


def _html_anchors(html: str, first_line: int) -> list[_Found]:
    """(label, url, line, item lines) of every `<a href>` in raw HTML starting on `first_line`."""
    collector = _AnchorCollector()
    collector.feed(html)
    collector.close()
    return [
        (
            label,
            url,
            first_line + offset,
            (first_line + item[0], first_line + item[1]) if item else None,
        )
        for label, url, offset, item in collector.anchors
    ]
