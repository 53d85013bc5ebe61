"""Parse the Markdown reading list into its links, with cmark-gfm: GitHub's own parser.

What counts as an entry of the list:
- every link of the document up to the marker comment `<!-- end of reading list ... -->`
  (what follows it, such as the "Maintaining this list" section, is about the project);
- inline, reference-style, autolinks `<https://...>`, bare URLs and `www.` links (GitHub's
  autolink extension: they end where GitHub ends them), raw HTML `<a href="...">`, links
  in nested lists and tables, and `arXiv:ID` mentions in text;
- not: images, badges (a link whose only content is an image, Markdown or HTML), `<meta>`
  and other HTML without `href`, in-page anchors (`#...`), `mailto:` links (e-mail
  addresses included), anything in code spans/blocks, and `arXiv:ID` text written with an
  escape or entity (`arXiv\\:ID`, how the metadata this project writes spells IDs).

The document is parsed by cmark-gfm with GitHub's extensions (`pipeline/cmark.py`), so
what is a link here is what GitHub renders as one. The walk reads each block's inline
nodes as a flat list of tokens (emphasis opens and closes around its content), which is
what the link rules below work on.

In an HTML block the "list item" of a link is its table row or `<li>` (`<tr>`...`</tr>`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from html.parser import HTMLParser
from typing import TypeVar

from pipeline import cmark
from pipeline.bulk import gc_paused
from pipeline.models import Link
from pipeline.resolve import ARXIV_TEXT_MENTION
from pipeline.text import ESCAPE_OR_ENTITY, collapse_whitespace, unescaped_character

T = TypeVar("T")

END_OF_LIST_MARKER = "<!-- end of reading list"
SECTION_SEPARATOR = " > "
# A paragraph such as "DPO:" or "**PPO**:" that labels the list below it.
_LABEL_PARAGRAPH = re.compile(r"^[^\n:]{1,60}:$")
# Where an `arXiv:ID` mention may be: a line holding "arxiv:" as written.
_MENTION_START = re.compile(r"arxiv:", re.IGNORECASE)

Token = tuple[str, str]
"""One inline token: (type, content). Types: text, text_special (text no `arXiv:ID`
mention can be in: an escape, an entity, or text of a block without "arxiv:" as written),
code_inline, softbreak, hardbreak, html_inline, link_open (content: the URL), link_close,
image."""

# Where a link is written (Link.in_html_block, Link.in_heading).
_IN_TEXT, _IN_HTML, _IN_HEADING = "text", "html block", "heading"
# How far cmark-gfm's column of a text node can be from its source (container indents).
_COLUMN_SLACK = 200
_SOFTBREAK: Token = ("softbreak", "")
_HARDBREAK: Token = ("hardbreak", "")
_LINK_CLOSE: Token = ("link_close", "")
_IMAGE: Token = ("image", "")
# The node functions the walk calls most, bound once, and the fields of a node it reads.
_read = cmark.read
_text = cmark.text
_NEXT, _FIRST_CHILD, _TYPE = cmark.NEXT, cmark.FIRST_CHILD, cmark.TYPE
_START_LINE, _START_COLUMN = cmark.START_LINE, cmark.START_COLUMN
_END_LINE, _END_COLUMN = cmark.END_LINE, cmark.END_COLUMN
# Node types as numbers: the walk compares one per node.
_PARAGRAPH, _TABLE_CELL, _ITEM, _TABLE_ROW, _TABLE_HEADER, _HEADING, _HTML_BLOCK = (
    cmark.TYPES[name]
    for name in (
        "paragraph", "table_cell", "item", "table_row", "table_header", "heading", "html_block"
    )
)  # fmt: skip
_INLINE_BLOCKS = frozenset({_PARAGRAPH, _TABLE_CELL})
_CONTAINERS = frozenset({_ITEM, _TABLE_ROW, _TABLE_HEADER})  # what a link's "item" is
_BLOCKS_WITHOUT_LINKS = frozenset({cmark.TYPES["code_block"], cmark.TYPES["thematic_break"]})
_TEXT, _LINK, _SOFTBREAK_NODE, _HTML_INLINE, _LINEBREAK, _CODE, _IMAGE_NODE = (
    cmark.TYPES[name]
    for name in ("text", "link", "softbreak", "html_inline", "linebreak", "code", "image")
)


def parse_links(markdown: str) -> list[Link]:
    """Every link of the reading list, in document order, with section and source lines."""
    walk = _Walk(markdown)
    with gc_paused():
        with cmark.parsed(markdown) as document:
            walk.blocks(document)
        return walk.links()


def parse_links_beside(markdown: str, work: Callable[[], T]) -> tuple[list[Link], T]:
    """`parse_links(markdown)`, and what `work()` returns, run while cmark-gfm parses in C
    (the Links are made while it frees its tree)."""
    walk = _Walk(markdown)
    with gc_paused():
        return cmark.walked_beside(markdown, work, walk.blocks, walk.links)


def inline_tokens(markdown: str) -> list[Token]:
    """The inline tokens of the first paragraph or heading of `markdown` (escapes apart)."""
    walk = _Walk(markdown)
    with cmark.parsed(markdown) as document:
        node = cmark.first_child(document)
        while node and cmark.kind(node) not in ("paragraph", "heading"):
            node = cmark.next_sibling(node)
        return walk.tokens(cmark.read(node), scan=True, all_text=True) if node else []


def fenced_code(markdown: str, language: str) -> list[str]:
    """The content of each top-level fenced code block of `markdown` in `language`."""
    blocks: list[str] = []
    with cmark.parsed(markdown) as document:
        node = cmark.first_child(document)
        while node:
            if cmark.kind(node) == "code_block":
                info = (cmark.fence_info(node) or b"").decode().strip()
                if info == language:
                    blocks.append((cmark.literal(node) or b"").decode())
            node = cmark.next_sibling(node)
    return blocks


class _Walk:
    """One walk over a document's blocks, collecting links and the headings above them."""

    def __init__(self, markdown: str) -> None:
        self.lines = markdown.split("\n")
        self.mention_lines = _lines_with_mention_starts(markdown)
        # headings, subsection, label, url, line, item lines, where (_IN_TEXT, ...)
        self.found: list[
            tuple[tuple[tuple[int, str], ...], str, str, str, int, tuple[int, int], str]
        ] = []
        self.headings: tuple[tuple[int, str], ...] = ()
        self.subsection = ""
        self.containers: list[tuple[int, int]] = []  # lines of open items/table rows
        self.title_count = 0  # level-1 headings, in the whole document
        self.ended = False
        self.saw_html = False  # `tokens` met inline HTML since this was last reset

    def links(self) -> list[Link]:
        drop_title = self.title_count == 1
        sections: dict[tuple[tuple[int, str], ...], str] = {}
        links = []
        for position, (headings, subsection, label, url, line, item, where) in enumerate(
            self.found, 1
        ):
            section = sections.get(headings)
            if section is None:
                section = sections[headings] = SECTION_SEPARATOR.join(
                    text for level, text in headings if not (drop_title and level == 1)
                )
            # Positional: a Link per link of a long list, and keywords cost a third more.
            links.append(
                Link(
                    position,
                    section,
                    subsection,
                    label,
                    url,
                    line,
                    item[0],
                    item[1],
                    where == _IN_HTML,
                    where == _IN_HEADING,
                )
            )
        return links

    def blocks(self, parent: int) -> None:
        """Walk the blocks under `parent` in document order."""
        node = _read(parent)[_FIRST_CHILD]
        while node:
            fields = _read(node)
            kind = fields[_TYPE]
            if self.ended:
                self._count_titles(node, cmark.kind(node))
            elif kind in _INLINE_BLOCKS:
                self._inline_block(fields, kind == _PARAGRAPH)
            elif kind == _ITEM and self._lone_link(fields):
                pass
            elif kind in _CONTAINERS:
                self.containers.append((fields[_START_LINE], fields[_END_LINE]))
                self.blocks(node)
                self.containers.pop()
            elif kind == _HEADING:
                self._heading(node, fields)
            elif kind == _HTML_BLOCK:
                self._html_block(fields)
            elif kind not in _BLOCKS_WITHOUT_LINKS:
                self.blocks(node)
            node = fields[_NEXT]

    def _lone_link(self, item: cmark.Fields) -> bool:
        """The link of a list item whose only block is one line holding a link around plain
        text that `_only_link_on` that line, with no "arxiv:": added, and True. False (and
        nothing added) for any other item, which the whole walk then reads.

        What the whole walk finds in such an item, in fewer steps (most items of a long list).
        """
        if not item[_FIRST_CHILD]:
            return False
        paragraph = _read(item[_FIRST_CHILD])
        if paragraph[_TYPE] != _PARAGRAPH or paragraph[_NEXT] or not paragraph[_FIRST_CHILD]:
            return False
        line = paragraph[_START_LINE]
        link = _read(paragraph[_FIRST_CHILD])
        if paragraph[_END_LINE] != line or link[_TYPE] != _LINK or not link[_FIRST_CHILD]:
            return False
        label = _read(link[_FIRST_CHILD])
        if label[_TYPE] != _TEXT or label[_NEXT] or self._may_mention(paragraph):
            return False
        url = _text(link)
        if not _only_link_on(self.lines[line - 1], url):
            return False
        self.containers.append((item[_START_LINE], item[_END_LINE]))
        found = _link(
            url, collapse_whitespace(_text(label)), (), line, lambda: self._source_of(paragraph)
        )
        self._add(paragraph, iter(found))
        self.containers.pop()
        return True

    def _count_titles(self, node: int, kind: str) -> None:
        if kind == "heading":
            self.title_count += cmark.heading_level(node) == 1
        elif kind not in ("paragraph", "table_cell", "html_block", "code_block"):
            child = cmark.first_child(node)
            while child:
                self._count_titles(child, cmark.kind(child))
                child = cmark.next_sibling(child)

    def _heading(self, node: int, fields: cmark.Fields) -> None:
        level = cmark.heading_level(node)
        self.title_count += level == 1
        tokens = self.tokens(fields, self._may_mention(fields), True)
        self.headings = (*(h for h in self.headings if h[0] < level), (level, plain_text(tokens)))
        self.subsection = ""
        self._add(
            fields,
            _inline_links(tokens, fields[_START_LINE], lambda: self._source_of(fields)),
            _IN_HEADING,
        )

    def _inline_block(self, fields: cmark.Fields, is_paragraph: bool) -> None:
        may_label = is_paragraph and not self.containers
        scan = self._may_mention(fields)
        self.saw_html = False
        line = fields[_START_LINE]
        # A one-line paragraph whose text no rule reads: the walk may stop after its link.
        alone_on = None
        if not (may_label or scan) and fields[_END_LINE] == line:
            alone_on = self.lines[line - 1]
        tokens = self.tokens(fields, scan, may_label, alone_on=alone_on)
        if not may_label and self.saw_html:
            tokens = self.tokens(fields, scan, True)  # an HTML anchor's label is its text
        if may_label and _is_label(tokens):
            self.subsection = plain_text(tokens).rstrip(":").strip()
        self._add(fields, _inline_links(tokens, line, lambda: self._source_of(fields)))

    def _html_block(self, fields: cmark.Fields) -> None:
        content = _text(fields)
        if content.lstrip().startswith(END_OF_LIST_MARKER):
            self.ended = True
            return
        self._add(fields, iter(_html_anchors(content, fields[_START_LINE])), _IN_HTML)

    def _add(self, fields: cmark.Fields, found: Iterator[_Found], where: str = _IN_TEXT) -> None:
        item: tuple[int, int] | None = None
        for label, url, line, own_item in found:
            if own_item is None:
                own_item = item = item or self._item_of(fields)
            self.found.append((self.headings, self.subsection, label, url, line, own_item, where))

    def _item_of(self, fields: cmark.Fields) -> tuple[int, int]:
        """The lines of the list item or table row around a block (or of the block itself)."""
        if self.containers:
            item_start, item_end = self.containers[-1]
        else:
            item_start, item_end = fields[_START_LINE], fields[_END_LINE]
        # cmark-gfm counts trailing blank lines into a list item; the item ends at its text.
        item_end = min(item_end, len(self.lines))
        while item_end > item_start and not self.lines[item_end - 1].strip():
            item_end -= 1
        return item_start, item_end

    def _may_mention(self, fields: cmark.Fields) -> bool:
        """Whether a line of a block holds "arxiv:" as written (else no mention can be there)."""
        lines = self.mention_lines
        if not lines:
            return False
        at = bisect.bisect_left(lines, fields[_START_LINE])
        return at < len(lines) and lines[at] <= fields[_END_LINE]

    def _source_of(self, fields: cmark.Fields) -> str:
        return "\n".join(self.lines[fields[_START_LINE] - 1 : fields[_END_LINE]])

    def tokens(
        self,
        parent: cmark.Fields,
        scan: bool,
        all_text: bool,
        into: list[Token] | None = None,
        alone_on: str | None = None,
    ) -> list[Token]:
        """The inline nodes under `parent` as flat tokens (markdown-it's inline tokens).

        With `scan`, text is split where the source has an escape or entity, so that
        mentions can be looked for in the text tokens; without, all text is text_special.
        Without `all_text`, text and code outside links (which only labels read) are left
        out, and emphasis only gives its content. `alone_on`: the block's one line, when
        nothing but links is read from it; the tokens end after a link that `_only_link_on`
        it (what follows gives no token: most list items of a long list, 0.2 s of 100 000).
        """
        out: list[Token] = [] if into is None else into
        node = parent[_FIRST_CHILD]
        while node:
            fields = _read(node)
            kind = fields[_TYPE]  # numbers, most frequent first: this runs for every node
            if kind == _TEXT:
                if scan:
                    self._split_text(fields, _text(fields), out)
                elif all_text:  # the block has no "arxiv:" as written: no mention in its text
                    out.append(("text_special", _text(fields)))
            elif kind == _LINK:
                url = _text(fields)
                out.append(("link_open", url))
                self.tokens(fields, scan, True, out)
                out.append(_LINK_CLOSE)
                if alone_on is not None and _only_link_on(alone_on, url):
                    return out
            elif kind == _SOFTBREAK_NODE:
                out.append(_SOFTBREAK)
            elif kind == _HTML_INLINE:
                out.append(("html_inline", _text(fields)))
                self.saw_html = True
            elif kind == _LINEBREAK:
                out.append(_HARDBREAK)
            elif kind == _CODE:
                if all_text:
                    out.append(("code_inline", _text(fields)))
            elif kind == _IMAGE_NODE:
                out.append(_IMAGE)
            else:  # emph, strong, strikethrough
                self.tokens(fields, scan, all_text, out)
            node = fields[_NEXT]
        return out

    def _split_text(self, fields: cmark.Fields, text: str, out: list[Token]) -> None:
        """`text` as text and text_special tokens, as its source spells it.

        cmark-gfm merges escapes and entities into the text around them; the node's source
        (its columns can be off by the container's indent on continuation lines, so the
        span is looked for on its line) tells them apart.
        """
        raw = text.encode()
        row, reported = fields[_START_LINE], fields[_START_COLUMN] - 1
        length = fields[_END_COLUMN] - reported
        line = self.lines[row - 1].encode() if 0 < row <= len(self.lines) else b""
        # Nearest the reported column first; an indent is never far from it.
        window = range(max(0, reported - _COLUMN_SLACK), reported + _COLUMN_SLACK + 1)
        for start in sorted(window, key=lambda s: abs(s - reported)):
            source = line[start : start + length]
            if source == raw:  # written as it reads: no escape, no entity
                _append_text(out, text)
                return
            if len(source) < length or source[:1] not in (raw[:1], b"\\", b"&"):
                continue
            pieces = _unescaped_pieces(source.decode(errors="replace"))
            if "".join(content for _, content in pieces) == text:
                for kind, content in pieces:
                    if kind == "text":
                        _append_text(out, content)
                    else:
                        out.append((kind, content))
                return
        out.append(("text_special", text))  # not found as written: no mention in it


def _only_link_on(line: str, url: str) -> bool:
    """Whether `[text](url)`, written on `line`, is all that cmark-gfm can read as a link or
    HTML there: no other bracket (links, images, footnotes), no `<` (autolinks, HTML), and
    no bare URL, `www.` or e-mail address (GitHub's extended autolinks, which match these
    lower-case prefixes only) besides the URL."""
    if line.count("[") != 1 or "<" in line or "@" in line or f"]({url})" not in line:
        return False
    return line.count("://") == url.count("://") and line.count("www.") == url.count("www.")


def _append_text(out: list[Token], text: str) -> None:
    if out and out[-1][0] == "text":
        out[-1] = ("text", out[-1][1] + text)
    else:
        out.append(("text", text))


def _unescaped_pieces(source: str) -> list[Token]:
    """Source text split into text and text_special (escape, entity) tokens, unescaped."""
    pieces: list[Token] = []
    at = 0
    # A mention never runs across an escape or entity.
    for match in ESCAPE_OR_ENTITY.finditer(source):
        if match.start() > at:
            pieces.append(("text", source[at : match.start()]))
        pieces.append(("text_special", unescaped_character(match.group(0))))
        at = match.end()
    if at < len(source):
        pieces.append(("text", source[at:]))
    return pieces


def _lines_with_mention_starts(markdown: str) -> list[int]:
    """The (1-based, sorted) lines where "arxiv:" is written."""
    # A case-insensitive search runs through the text character by character (0.12 s on
    # 15 MB); "v:" and "V:" are found at memory speed, and "arxiv:" (any case, six
    # characters) ends in one of them.
    starts = []
    for end in ("v:", "V:"):
        at = markdown.find(end)
        while at >= 0:
            if _MENTION_START.match(markdown, at - 4, at + 2):
                starts.append(at - 4)
            at = markdown.find(end, at + 2)
    starts.sort()
    lines: list[int] = []
    line, at = 1, 0
    for start in starts:
        line += markdown.count("\n", at, start)
        at = start
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


_TEXT_KINDS = frozenset({"text", "text_special", "code_inline"})


def plain_text(tokens: Sequence[Token]) -> str:
    """The text of inline tokens with markup stripped and whitespace collapsed."""
    if len(tokens) == 1 and tokens[0][0] in _TEXT_KINDS:  # most labels: one piece of text
        return collapse_whitespace(tokens[0][1])
    parts: list[str] = []
    for kind, content in tokens:
        if kind in _TEXT_KINDS:
            parts.append(content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(" ")
    return collapse_whitespace("".join(parts))


def is_resource_url(url: str) -> bool:
    """False for URLs that point inside the page or at a person rather than a resource."""
    return bool(url) and not url.startswith("#") and url[:7].lower() != "mailto:"


def _is_label(tokens: Sequence[Token]) -> bool:
    """A one-line paragraph ending in ':' with no link labels what follows."""
    if any(kind in ("link_open", "html_inline", "image") for kind, _ in tokens):
        return False
    return bool(_LABEL_PARAGRAPH.match(plain_text(tokens)))


_Found = tuple[str, str, int, tuple[int, int] | None]  # label, url, line, item lines (or None)


def _inline_links(
    tokens: Sequence[Token], first_line: int, source: Callable[[], str]
) -> Iterator[_Found]:
    """(label, url, line) of each link among the inline tokens of one block.

    `source` gives the block's Markdown, to tell a `www.` autolink from a written link.
    """
    if len(tokens) == 3:  # most list items: one link with plain text, nothing else that counts
        (opens, url), (kind, label), closes = tokens
        if opens == "link_open" and closes is _LINK_CLOSE and kind in _PLAIN_TEXT:
            return iter(_link(url, collapse_whitespace(label), (), first_line, source))
    return _links_among(tokens, first_line, source)


_PLAIN_TEXT = frozenset({"text", "text_special"})


def _link(
    url: str, label: str, inner: Sequence[Token], line: int, source: Callable[[], str]
) -> list[_Found]:
    """The entry a link written with this URL, label and content is: none or one."""
    url = url.strip()
    # GitHub links `www.example.com` to http://www.example.com; the list wrote it bare.
    if label.startswith("www.") and url == "http://" + label and url not in source():
        url = label
    is_badge = not label and any(k == "image" for k, _ in inner)
    return [(label, url, line, None)] if is_resource_url(url) and not is_badge else []


def _links_among(
    tokens: Sequence[Token], first_line: int, source: Callable[[], str]
) -> Iterator[_Found]:
    line = first_line
    index = 0
    while index < len(tokens):
        kind, content = tokens[index]
        if kind == "link_open":
            close = _matching_close(tokens, index, "link_close")
            inner = tokens[index + 1 : close]
            yield from _link(content, plain_text(inner), inner, line, source)
            line += sum(1 for k, _ in inner if k in ("softbreak", "hardbreak"))
            index = close + 1
            continue
        if kind == "html_inline" and _opens_anchor(content):
            close = next(
                (
                    i
                    for i in range(index + 1, len(tokens))
                    if tokens[i][0] == "html_inline" and tokens[i][1].lower().startswith("</a")
                ),
                len(tokens),
            )
            inner = tokens[index + 1 : close]
            has_image = any(k == "image" or _is_image_tag(k, c) for k, c in inner)
            for _label, url, _line, _item in _html_anchors(content + "</a>", line):
                if plain_text(inner) or not has_image:
                    yield plain_text(inner), url, line, None
            line += sum(1 for k, _ in inner if k in ("softbreak", "hardbreak"))
            index = close + 1
            continue
        if kind in ("softbreak", "hardbreak"):
            line += 1
        elif kind == "text" and _MENTION_START.search(content):
            for match in ARXIV_TEXT_MENTION.finditer(content):
                yield match.group(0), match.group(0), line, None
        index += 1


def _matching_close(tokens: Sequence[Token], open_index: int, close_type: str) -> int:
    for index in range(open_index + 1, len(tokens)):
        if tokens[index][0] == close_type:
            return index
    return len(tokens)


def _opens_anchor(html: str) -> bool:
    return bool(re.match(r"<a\s", html, re.IGNORECASE))


def _is_image_tag(kind: str, content: str) -> bool:
    return kind == "html_inline" and bool(re.match(r"<img\b", content, re.I))


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
