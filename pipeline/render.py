"""Regenerate the README in place: each arXiv link carries its paper's metadata.

Only the text right after an arXiv link changes (and a link text soft-wrapped over lines is
joined onto one line); every other byte of the document stays as it was. The metadata
has a fixed shape, `` — *Title* · Authors · Mon YYYY`` after a Markdown link and
`` — <em>Title</em> · Authors · Mon YYYY`` after an HTML `<a href>`, so a later run
recognises and replaces its own earlier output instead of adding to it (fixpoint).

Text from arXiv is made inert for GitHub's renderer (cmark-gfm) and for `parse.py`: it
can add no link (URL, `www.`, e-mail, `arXiv:ID`), no emphasis and no HTML.
"""

from __future__ import annotations

import bisect
import html
import re
import string
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from pipeline.models import CatalogEntry, Link, Paper
from pipeline.resolve import is_text_mention
from pipeline.text import commonmark_unescaped

SEPARATOR = " · "
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DATE = r" · (?:(?:" + "|".join(_MONTHS) + r") \d{4}|undated)"
# What this module writes after a link; matched only right after the link it belongs to.
# Text written between the separators: escaped characters, the comment before an e-mail's
# `@`, anything else but markup (so that the Markdown form never reads into the HTML one):
# `(?:\\.|<!-- -->|[^<\\\n])`. The patterns are, plainly written,
#   " — (?:\*(?:\\.|[^*\\\n])+\* · )?" + inert + "*?" + _DATE              (Markdown)
#   " — (?:<em>" + inert + "+</em> · )?" + inert + "*?" + _DATE                (HTML)
# and are written below so that a run of plain characters is one repeat of a character
# class, several times faster in `re` (a README has one suffix per paper):
# `(?:x|y)+` as `(?!empty)x*(?:yx*)*` and `(?:x|y)*?` as `(?:x*?y)*?x*?`. Each position
# starts at most one of the alternatives, so both forms try the same positions in the
# same order; tests/test_render_fast_paths.py checks them against the plain forms.
_PLAIN = r"[^<\\\n]"
_MARKUP = r"(?:\\.|<!-- -->)"
_INERT_LAZY = "(?:" + _PLAIN + "*?" + _MARKUP + ")*?" + _PLAIN + "*?"
_INERT_RUN = _PLAIN + "*(?:" + _MARKUP + _PLAIN + "*)*"
# Written after the date where a literal `*` or `~` run follows (see `_annotate`).
_EMPTY_COMMENT = "<!-- -->"
_DATE_END = _DATE + "(?:" + _EMPTY_COMMENT + ")?"
_OWN_METADATA = re.compile(
    r" — (?:\*(?!\*)[^*\\\n]*(?:\\.[^*\\\n]*)*\* · )?" + _INERT_LAZY + _DATE_END
)
_OWN_HTML_METADATA = re.compile(
    r" — (?:<em>(?!</em>)" + _INERT_RUN + "</em> · )?" + _INERT_LAZY + _DATE_END
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
# GitHub links `scheme:...` (the `:` starts it), `www.` and e-mail addresses; parse.py
# reads `arXiv:ID` as an entry and `//host` as a link. Each is broken where it starts.
# Each alternative starts with its character (the look-behind after it), so that `re`
# skips to the candidates instead of trying every position (the same matches as
# `(?<=\w):(?=\S)|(?<=www)\.|//`).
_LINK_STARTS = re.compile(r":(?<=\w:)(?=\S)|\.(?<=www\.)|//", re.IGNORECASE)
# cmark-gfm finds e-mail addresses in the text after escapes are resolved, so an escape
# cannot break one; an empty HTML comment before the `@` does (and renders as nothing).
_EMAIL_AT = re.compile(r"(?<=[\w.+-])@")
_PARTICLES = {"de", "van", "der", "von", "den", "du", "da", "di", "del", "della", "la", "le", "ter"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_NEAR = 0.8  # difflib similarity from which a label word reads as a misspelt title word
_ANCHOR_CLOSE = re.compile(r"</a\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class Rendered:
    text: str
    unplaced: list[Link]  # arXiv links whose source could not be located (left untouched)
    # Position of each link that got metadata -> the line it is on in `text`.
    placed: dict[int, int] = field(default_factory=dict)
    # Position of each arXiv link with a paper -> its line in `text`.
    line_of: dict[int, int] = field(default_factory=dict)


def render_readme(
    markdown: str,
    entries: Sequence[CatalogEntry],
    papers: Mapping[str, Paper],
    skip: Collection[int] = (),
) -> Rendered:
    """The README with metadata after every arXiv link that has a paper in `papers`.

    One suffix per paper and list item, after its first link (a link rather than `arXiv:ID`
    text before it); the title is left out where the item already says it. Links whose
    position is in `skip` are left as they are.
    """
    lines = markdown.split("\n")
    references = _reference_labels(markdown)
    plans = _plan(lines, entries, papers)
    unplaced: list[Link] = []
    joined: dict[int, int] = {}  # position -> lines removed by joining its link text
    # Lines from this index on may have been edited; a block above it is as planned, so
    # the place of the link found when planning still holds there.
    edited_from = len(lines)
    # In line order: footnote definitions come last in document order (GitHub shows them
    # at the end) wherever they are written.
    in_line_order = sorted(plans, key=lambda plan: plan[0].line)  # stable: positions kept
    # Bottom-up, so that joining a two-line link text never shifts a link still to edit.
    for link, suffix, planned_span in reversed(in_line_order):
        if link.position in skip:
            continue
        first, last = link.line - 1, max(link.item_end, link.line)
        block = _block(lines, link)
        span = planned_span if last <= edited_from else _link_span(block, link.url)
        span = span or _reference_span(block, references.get(link.url, ()))
        if span is None:
            if suffix:
                unplaced.append(link)
            continue
        edited = _annotate(block, span, suffix)
        if edited == block:  # the steady state: the suffix is already there
            joined[link.position] = 0
            continue
        new_lines = edited.split("\n")
        joined[link.position] = (last - first) - len(new_lines)
        lines[first:last] = new_lines
        edited_from = min(edited_from, first)
    placed, line_of = {}, {}
    shift = 0
    for link, suffix, _ in in_line_order:
        line_of[link.position] = link.line - shift
        if link.position in joined:
            if suffix:
                placed[link.position] = link.line - shift
            shift += joined[link.position]
    unplaced.sort(key=lambda link: link.position)
    # Unedited (every later run): the README itself, not a second copy of it.
    text = markdown if edited_from == len(lines) else "\n".join(lines)
    return Rendered(text, unplaced, placed, line_of)


_Span = tuple[int, int, bool]  # start, end, written as an HTML `<a href>`


def _plan(
    lines: Sequence[str],
    entries: Sequence[CatalogEntry],
    papers: Mapping[str, Paper],
) -> list[tuple[Link, str, _Span | None]]:
    """(link, suffix to write after it, where `_link_span` finds the link in its block) for
    each arXiv link with a paper, in document order.

    A later link to a paper already annotated in the same item gets "" (its old suffix goes),
    except that a link takes the metadata from an `arXiv:ID` text before it: such text is
    often mid-citation ("arXiv:1508.06615 (2015). [[pdf]](url)"), the link is the entry.
    """
    plans: list[tuple[Link, str, _Span | None]] = []
    # (item lines, arXiv ID) -> index in `plans` of the one carrying the metadata
    carriers: dict[tuple[int, int, str], int] = {}
    item_words: dict[tuple[int, int], str] = {}
    for entry in entries:
        paper = papers.get(entry.arxiv_id or "")
        if paper is None:
            continue
        link = entry.link
        if link.in_heading:
            continue  # a heading names its section; metadata there would rename it
        span = _link_span(_block(lines, link), link.url)
        key = (link.item_start, link.item_end, paper.arxiv_id)
        carrier = carriers.get(key)
        if carrier is not None:
            held, _, held_span = plans[carrier]
            if not (is_text_mention(held.url) and not is_text_mention(link.url)):
                plans.append((link, "", span))
                continue
            plans[carrier] = (held, "", held_span)
        carriers[key] = len(plans)
        item = (link.item_start, link.item_end)
        item_lines = lines[link.item_start - 1 : link.item_end]
        words = item_words.get(item)
        if words is None:
            words = item_words[item] = _item_words(item_lines)
        # In the item's source (cheap, and false for most items), then in what it shows.
        says_title = _contains_title(words, paper.title) and _contains_title(
            _item_words(item_lines, shown_only=True), paper.title
        )
        # The item holds the link's label, so this also covers a label that is the title.
        suffix = metadata_suffix(
            paper,
            html=span is not None and span[2],  # after an `<a href>`, the metadata is HTML
            html_block=link.in_html_block,
            title=not says_title,
        )
        plans.append((link, suffix, span))
    return plans


def _block(lines: Sequence[str], link: Link) -> str:
    """The lines from the link's to the end of its item (where its suffix goes), joined."""
    return "\n".join(lines[link.line - 1 : max(link.item_end, link.line)])


def _item_words(item_lines: Sequence[str], shown_only: bool = False) -> str:
    """The words of a list item as a person wrote it (this module's suffixes removed);
    `shown_only`: only those GitHub shows as text (no URLs, tags, comments, alt texts)."""
    text = "\n".join(item_lines)
    if " — " in text:  # where each of this module's suffixes starts
        text = _OWN_METADATA.sub(" ", text)
        if " — " in text:
            text = _OWN_HTML_METADATA.sub(" ", text)
    if shown_only:
        text = _NOT_SHOWN.sub(" ", text)
    return " " + " ".join(_words(html.unescape(text))) + " "


# What GitHub does not show as text: link destinations and titles, an image's alt text,
# HTML tags and comments, URLs (a CVF file name often holds the paper's title).
_NOT_SHOWN = re.compile(
    r"\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
    r"|!\[(?:[^\[\]\\]|\\.)*\]|<!--.*?-->|<[A-Za-z/][^<>]*>|(?:https?://|www\.)\S+",
    re.DOTALL | re.IGNORECASE,
)


def _contains_title(item_words: str, title: str) -> bool:
    title_words = " ".join(_words(title))
    return bool(title_words) and f" {title_words} " in item_words


def metadata_suffix(
    paper: Paper, *, html: bool = False, html_block: bool = False, title: bool = True
) -> str:
    """`` — *Title* · Authors · Mon YYYY``.

    `html`: after an `<a href>`, `` — <em>Title</em> · ...``; `html_block`: inside an HTML
    block, where text is HTML (escaped as HTML) instead of Markdown (made inert Markdown).
    `title=False` leaves the title out (the list item already says it).
    """
    inert = escape_html if html_block else inert_markdown
    parts = []
    if title and paper.title.strip():  # an empty title (an old cache) shows as nothing
        shown = inert(paper.title)
        parts.append(f"<em>{shown}</em>" if html else f"*{shown}*")
    # author_line names at most three: four names tell it all (a paper may have thousands).
    parts.append(inert(author_line([a.name for a in paper.authors[:4]])))
    date = paper.published
    parts.append(f"{_MONTHS[date.month - 1]} {date.year}" if date else "undated")
    return " — " + SEPARATOR.join(parts)


_LINE_BREAK = re.compile(r"[ \t\r]*\n[ \t]*")
# Line breaks that joining would change: a hard break (two spaces or a backslash before
# it) or a block quote's `>` after it. An `<a href>` keeps its lines too: an anchor tag
# alone on its line starts an HTML block, which joined would become a paragraph.
_KEEPS_ITS_LINES = re.compile(r"(?:  |\\)\r?\n|\n[ \t]*>")


def _annotate(block: str, span: _Span, suffix: str) -> str:
    """Insert `suffix` after the link written at `span` in `block`.

    A link inside literal brackets or parentheses (`[[Paper](url)]`, `([pdf](url))`) gets
    it after the closing one. An empty suffix removes this module's earlier one.
    """
    start, end, is_html = span
    end = _group_end(block, start, end)
    previous = _OWN_METADATA.match(block, end) or _OWN_HTML_METADATA.match(block, end)
    rest = previous.end() if previous else end
    if (
        suffix
        and rest < len(block)
        and block[rest] in "*~"
        and not _run_edge(block, _run_end(block, rest))
    ):
        # A literal `**` right after (`**[x](u)**2019`, CJK text after it) would close
        # emphasis after the date's last digit; an empty comment keeps it literal.
        suffix += _EMPTY_COMMENT
    source = block[start:end]
    if "\n" in source and not is_html and not _KEEPS_ITS_LINES.search(source):
        # A link text wrapped over lines becomes one line; nothing else in it changes.
        source = _LINE_BREAK.sub(" ", source)
    elif rest - end == len(suffix) and block.startswith(suffix, end):
        return block  # already written exactly
    return block[:start] + source + suffix + block[rest:]


# Emphasis around a link: the metadata goes after it, not inside the bold.
_WRAPPERS = ("**", "__", "~~", "*", "_")


def _group_end(block: str, start: int, end: int) -> int:
    """Where the group around the link at `start:end` ends: past the `]` or `)` of literal
    brackets right around it, and past emphasis wrapped right around it; else `end`."""
    while True:
        wrapper = None
        if start and block[start - 1] in "*_~":  # else none of _WRAPPERS ends at `start`
            wrapper = next(
                (
                    w
                    for w in _WRAPPERS
                    if block[start - len(w) : start] == w == block[end : end + len(w)]
                ),
                None,
            )
        if (
            wrapper
            and start >= len(wrapper)
            and _run_edge(block, start - len(wrapper) - 1)
            and _run_edge(block, end + len(wrapper))
        ):
            start, end = start - len(wrapper), end + len(wrapper)
            continue
        closing = _closing_bracket(block, start, end)
        if closing is None:
            return end
        start, end = start - 1, closing


def _run_end(block: str, index: int) -> int:
    """The end of the run of the character at `index` (`**` in `**2019`: before the 2)."""
    end = index
    while end < len(block) and block[end] == block[index]:
        end += 1
    return end


def _run_edge(block: str, index: int) -> bool:
    """Whether the character at `index`, next to a `*`/`_`/`~` run around a link, lets the
    run be emphasis: none, a space or punctuation. Before or after a letter (`**[x](u)**2019`,
    CJK text after it) the run is literal (CommonMark's flanking rules; the link's own ends,
    `[` and `)`, are punctuation)."""
    if index < 0 or index >= len(block):
        return True
    char = block[index]
    return char.isspace() or char in _ASCII_PUNCTUATION or unicodedata.category(char)[0] == "P"


_ASCII_PUNCTUATION = frozenset(string.punctuation)


def _closing_bracket(block: str, start: int, end: int) -> int | None:
    """Past the `]`/`)` that closes the literal `[`/`(` right before `start`, on its line."""
    if start == 0 or block[start - 1] not in "[(" or block[start - 2 : start - 1] == "\\":
        return None
    opener = block[start - 1]
    closer = "]" if opener == "[" else ")"
    depth = 0
    index = end
    while index < len(block) and block[index] != "\n":
        char = block[index]
        if char == "\\":
            index += 2
            continue
        if char == opener:
            depth += 1
        elif char == closer:
            if depth == 0:
                return index + 1
            depth -= 1
        index += 1
    return None


def _link_span(block: str, url: str) -> tuple[int, int, bool] | None:
    """Where the link to `url` is written, and whether as HTML.

    `[text](url)` or `<a href="url">...</a>` (whichever comes first), else `<url>` or the
    bare URL; never in a code span, and a bare URL not inside other markup.
    """
    code = _code_spans(block)
    markdown, anchor = _markdown_span(block, url, code), _anchor_span(block, url, code)
    if markdown and anchor:
        return min(markdown, anchor)
    if markdown or anchor:
        return markdown or anchor
    found = _find_outside(block, f"<{url}>", code)
    if found >= 0:
        return found, found + len(url) + 2, False
    found = _find_outside(block, url, code)
    while found >= 0 and _inside_markup(block, found):
        found = _find_outside(block, url, code, found + 1)
    return (found, found + len(url), False) if found >= 0 else None


_BACKTICKS = re.compile(r"`+")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def _code_spans(block: str) -> list[tuple[int, int]]:
    """Where `block` holds text that links nothing: its code spans (a run of backticks to
    the next run as long) and HTML comments, as sorted, disjoint (start, end) pairs.

    Linear in the block (a paragraph may hold thousands of links and code spans).
    """
    if "`" not in block and "<!--" not in block:
        return []  # most blocks
    comments = [match.span() for match in _HTML_COMMENT.finditer(block)]
    runs = [match.span() for match in _BACKTICKS.finditer(block)]
    runs = [run for run in runs if not _in_code(comments, run[0])]
    by_length: dict[int, list[int]] = {}  # run length -> indices of the runs that long
    for number, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(number)
    spans = list(comments)
    number = 0
    while number < len(runs):
        start, end = runs[number]
        if _escaped(block, start):  # a literal backtick; the rest of the run may open one
            start += 1
        same = by_length.get(end - start, [])
        later = bisect.bisect_right(same, number)
        if start == end or later == len(same):
            number += 1
            continue
        closer = same[later]
        spans.append((start, runs[closer][1]))
        number = closer + 1
    spans.sort()
    disjoint: list[tuple[int, int]] = []
    for start, end in spans:  # a comment and a code span may overlap: one span then
        if disjoint and start < disjoint[-1][1]:
            disjoint[-1] = (disjoint[-1][0], max(end, disjoint[-1][1]))
        else:
            disjoint.append((start, end))
    return disjoint


def _escaped(text: str, index: int) -> bool:
    """Whether the character at `index` follows an odd number of backslashes."""
    before = index
    while before > 0 and text[before - 1] == "\\":
        before -= 1
    return (index - before) % 2 == 1


def _span_start(span: tuple[int, int]) -> int:
    return span[0]


def _in_code(code: Sequence[tuple[int, int]], index: int) -> bool:
    """Whether `index` is inside one of `code`'s sorted, disjoint spans."""
    if not code:
        return False
    at = bisect.bisect_right(code, index, key=_span_start) - 1
    return at >= 0 and code[at][0] <= index < code[at][1]


def _find_outside(block: str, text: str, code: Sequence[tuple[int, int]], start: int = 0) -> int:
    """`block.find(text, start)`, skipping what starts inside a code span."""
    found = block.find(text, start)
    while found >= 0 and _in_code(code, found):
        found = block.find(text, found + 1)
    return found


def _inside_markup(block: str, index: int) -> bool:
    """Whether `index` is inside another link's destination or title (`](...`), link or
    alt text (`[...](`), an HTML tag (`<a href="...`) or a reference definition
    (`[label]: `) on its line, where no bare link starts."""
    line_start = block.rfind("\n", 0, index) + 1
    before = block[line_start:index]
    destination = before.rfind("](")
    if destination >= 0 and ")" not in before[destination + 2 :]:
        return True  # in a destination or the title after it: `[a](u "https://...")`
    opening = before.rfind("[")
    if opening >= 0 and "]" not in before[opening:]:
        # In a link's text or an image's alt text (`[see https://...](u)`), where
        # GitHub links nothing.
        closing = block.find("]", index)
        line_end = block.find("\n", index)
        on_line = closing >= 0 and (line_end < 0 or closing < line_end)
        if on_line and block[closing + 1 : closing + 2] in ("(", "["):
            return True
    return bool(_OPEN_TAG.search(before) or _DEFINITION_START.fullmatch(before))


_OPEN_TAG = re.compile(r"<[A-Za-z/!?][^<>]*\Z")  # an HTML tag begun, not ended


# At the start of a line or after the markers of the block quotes and list items it is in.
_CONTAINER_MARKERS = r"(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t])))*[ \t]*"
# `[^label]:` defines a footnote (GitHub renders them), not a reference.
_REFERENCE_DEFINITION = re.compile(
    "^" + _CONTAINER_MARKERS + r"\[(?!\^)((?:[^\[\]\\]|\\.)+)\]:[ \t]*\n?[ \t]*<?([^\s>]+)>?",
    re.MULTILINE,
)
_DEFINITION_START = re.compile(_CONTAINER_MARKERS + r"\[(?!\^)(?:[^\[\]\\]|\\.)+\]:[ \t]*<?")


def _reference_labels(markdown: str) -> dict[str, list[str]]:
    """URL -> the labels of the reference definitions (`[label]: url`) that name it."""
    labels: dict[str, list[str]] = {}
    if "]:" in markdown:
        for match in _REFERENCE_DEFINITION.finditer(markdown):
            labels.setdefault(match.group(2), []).append(match.group(1))
    return labels


def _reference_span(block: str, labels: Sequence[str]) -> tuple[int, int, bool] | None:
    """`[text][label]`, `[label][]` or `[label]` for one of `labels` (case-insensitive), not
    in a code span."""
    code = _code_spans(block)
    spans = []
    for label in labels:
        name = r"\s+".join(re.escape(word) for word in label.split())
        for full in re.finditer(r"\]\[" + name + r"\]", block, re.IGNORECASE):
            opening = _opening_bracket(block, full.start())
            if opening is None or _in_code(code, opening):
                continue
            if _is_link(block, opening, full.start()):
                spans.append((opening, full.end(), False))
                break
        short_form = r"(?<!\])\[" + name + r"\](?:\[\])?(?![(:\[])"
        for short in re.finditer(short_form, block, re.IGNORECASE):
            if not _in_code(code, short.start()) and not _is_image(block, short.start()):
                spans.append((short.start(), short.end(), False))
                break
    return min(spans) if spans else None


def _markdown_span(
    block: str, url: str, code: Sequence[tuple[int, int]] = ()
) -> tuple[int, int, bool] | None:
    """The first `[text](url)` whose text is not only an image (a badge is no entry) and
    that is not in a code span (`code`)."""
    # The common `[text](url)` first: a pattern built per URL would be compiled afresh for
    # almost every link (the re module caches only a few hundred), which dominated big lists.
    target = f"]({url})"
    found = block.find(target)
    while found >= 0:
        if not (code and _in_code(code, found)):
            opening = _opening_bracket(block, found)
            if opening is not None and _is_link(block, opening, found):
                return opening, found + len(target), False
        found = block.find(target, found + 1)
    if "](" not in block:
        return None
    # Then a destination in <...>, with a title or spaces, or written with escapes or
    # entities (`2102\.00005`, `&amp;`): cmark-gfm's URL is the destination decoded.
    for inline in _INLINE_DESTINATION.finditer(block):
        bracketed, bare = inline.groups()
        destination = bracketed if bracketed is not None else bare
        if _in_code(code, inline.start()) or commonmark_unescaped(destination) != url:
            continue
        opening = _opening_bracket(block, inline.start())
        if opening is not None and _is_link(block, opening, inline.start()):
            return opening, inline.end(), False
    return None


# `](` destination (in <...> or bare, balanced parentheses one deep) optional title `)`.
_INLINE_DESTINATION = re.compile(
    r"\]\([ \t\n]*(?:<((?:\\.|[^<>\n\\])*)>|((?:\\.|[^\s()\\]|\((?:\\.|[^\s()\\])*\))+))"
    r"(?:[ \t\n]+(?:\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|\((?:\\.|[^()\\])*\)))?[ \t\n]*\)"
)


# `![alt](src "title")` (brackets in the alt, parentheses in the title), `![alt][ref]`,
# `![ref]`, `<img>`, `<picture>`.
_IMAGE = re.compile(
    r"!\[(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*\]"
    r"(?:\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)|\[(?:[^\[\]\\]|\\.)*\])?"
    r"|<img\b[^>]*>|<picture\b.*?</picture>",
    re.IGNORECASE | re.DOTALL,
)


def _is_link(block: str, opening: int, closing: int) -> bool:
    """Whether `[` at `opening` to `]` at `closing` is a link's text: no image's alt text,
    and no badge (a link around images only is no entry)."""
    return not _is_image(block, opening) and not _only_images(block[opening + 1 : closing])


def _is_image(block: str, opening: int) -> bool:
    """Whether the `[` at `opening` begins an image's alt text (`![`), not a link's text."""
    return opening > 0 and block[opening - 1] == "!" and not _escaped(block, opening - 1)


def _only_images(link_text: str) -> bool:
    """True for the text of a badge: one or more images and nothing else."""
    if "!" not in link_text and "<" not in link_text:
        return False  # each image starts with one of them
    return bool(_IMAGE.search(link_text)) and not _IMAGE.sub("", link_text).strip()


_ANCHOR_OPEN = re.compile(
    r"<a\s[^>]*?\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+))[^>]*>", re.IGNORECASE
)


def _anchor_span(
    block: str, url: str, code: Sequence[tuple[int, int]] = ()
) -> tuple[int, int, bool] | None:
    """The first `<a ... href="url" ...>...</a>` that is no badge (`&` may be `&amp;`) and
    not in a code span (`code`)."""
    if "<a" not in block and "<A" not in block:
        return None
    for opening in _ANCHOR_OPEN.finditer(block):
        if _in_code(code, opening.start()):
            continue
        href = next(group for group in opening.groups() if group is not None).strip()
        if href != url and html.unescape(href) != url:
            continue
        closing = _ANCHOR_CLOSE.search(block, opening.end())
        if closing is None:
            return None
        if not _only_images(block[opening.end() : closing.start()]):
            return opening.start(), closing.end(), True
    return None


def _opening_bracket(text: str, closing: int) -> int | None:
    """The `[` that the `]` at `closing` closes, skipping nested and escaped brackets."""
    # The common case in one search: no other bracket in between, none escaped.
    opening = text.rfind("[", 0, closing)
    if (
        opening >= 0
        and text[closing] == "]"
        and text[closing - 1] != "\\"
        and (opening == 0 or text[opening - 1] != "\\")
        and text.find("]", opening, closing) < 0
    ):
        return opening
    return opening_bracket_by_scan(text, closing)


def opening_bracket_by_scan(text: str, closing: int) -> int | None:
    """`_opening_bracket` character by character, backwards, counting nesting depth."""
    depth = 0
    for index in range(closing, -1, -1):
        char = text[index]
        escaped = index > 0 and text[index - 1] == "\\"
        if escaped:
            continue
        if char == "]":
            depth += 1
        elif char == "[":
            depth -= 1
            if depth == 0:
                return index
    return None


def author_line(names: Sequence[str]) -> str:
    """ "Vaswani et al." for more than three authors, else their surnames joined."""
    if not names:
        return "unknown authors"
    if len(names) > 3:
        return f"{surname(names[0])} et al."
    surnames = [surname(n) for n in names]
    if len(surnames) == 1:
        return surnames[0]
    return ", ".join(surnames[:-1]) + " and " + surnames[-1]


def surname(name: str) -> str:
    """The family name of "Peter H. N. de With" is "de With"; of "Quoc V. Le", "Le"."""
    last_two = name.rsplit(None, 2)[-2:]
    if len(last_two) == 2 and last_two[0] not in _PARTICLES:
        family = last_two[1].rstrip(",")
        if family.lower() not in _SUFFIXES:  # the common case, in two splits fewer
            return family
    return surname_by_rule(name)


def surname_by_rule(name: str) -> str:
    """`surname` word by word: trailing suffixes (Jr., III) dropped, particles (de, van) kept."""
    words = name.split()
    while len(words) > 1 and words[-1].lower().rstrip(",") in _SUFFIXES:
        words.pop()
    if not words:
        return name.strip()
    index = len(words) - 1
    while index > 0 and words[index - 1] in _PARTICLES:
        index -= 1
    return " ".join(words[index:]).rstrip(",")


def escape_markdown(text: str) -> str:
    """Backslash-escape what Markdown would read as markup, so the text renders as written."""
    if _MARKDOWN_SPECIAL.search(text) is None:
        return text  # most titles and names: a search is cheaper than a substitution
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def inert_markdown(text: str) -> str:
    """`text` as Markdown that renders as the text itself, on one line, and links nothing.

    Besides markup, what would start a link (GitHub's autolinks, `arXiv:ID`) is broken
    with an escape, or before an e-mail's `@` with an empty HTML comment.
    """
    escaped = escape_markdown(" ".join(text.split()))
    if _may_start_link(escaped):
        escaped = _LINK_STARTS.sub(_escape_each, escaped)
    return _EMAIL_AT.sub(_EMPTY_COMMENT + "@", escaped) if "@" in escaped else escaped


def _may_start_link(text: str) -> bool:
    """False when `_LINK_STARTS` cannot match `text` (one-line): no `//`, no `www.` in any
    case, and every `:` followed by a space. Most titles ("X: Y") and author lines
    ("Vaswani et al.") then skip the search (0.1 s of a 100 000-link render)."""
    return "//" in text or text.count(":") != text.count(": ") or "www." in text.lower()


def _escape_each(match: re.Match[str]) -> str:
    return "".join("\\" + char for char in match.group(0))


def escape_html(text: str) -> str:
    """`text` as HTML text on one line (inside an HTML block, where Markdown is not read)."""
    # A backslash is no escape in HTML; as an entity it cannot read as one on the next run.
    return html.escape(" ".join(text.split()), quote=False).replace("\\", "&#92;")


_WORD = re.compile(r"[^\W_]+")
# ASCII letters and digits are word characters; every other ASCII byte separates words.
_ASCII_SEPARATORS = bytes(c for c in range(128) if not chr(c).isalnum())
_ASCII_TO_SPACES = bytes.maketrans(_ASCII_SEPARATORS, b" " * len(_ASCII_SEPARATORS))


def _words(text: str) -> list[str]:
    """The words of `text`, compatibility-normalised (NFKC) and case-folded."""
    if text.isascii():
        # NFKC leaves ASCII as it is and casefold is lower() there; a byte translation
        # finds the same words several times faster than the regex (long lists spent
        # seconds here).
        return text.lower().encode("ascii").translate(_ASCII_TO_SPACES).decode("ascii").split()
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def label_names_title(label: str, title: str) -> bool:
    """True when the label already is the title, up to case, punctuation and spacing."""
    return _names_title(_words(label), _words(title))


def _names_title(label_words: Sequence[str], title_words: Sequence[str]) -> bool:
    if not title_words or len(title_words) > len(label_words):
        return False  # the joined title would hold more spaces than the joined label
    return " ".join(title_words) in " ".join(label_words)


def possible_typos(label: str, title: str) -> list[tuple[str, str]]:
    """(label word, title word) pairs where a label about this title misspells one of its words.

    A label counts as "about the title" when most of its words are the title's; other
    labels ("GPT3 paper") are nicknames, not typos. Plurals and prefixes are not typos.
    """
    label_words, title_words = _words(label), _words(title)
    if not label_words or _names_title(label_words, title_words):
        return []
    in_title = set(title_words)
    shared = sum(map(in_title.__contains__, label_words))
    if shared * 2 < len(label_words):
        return []
    typos = []
    for word in label_words:
        if word in in_title or len(word) < 4:
            continue
        best = _nearest(word, title_words, _NEAR)
        if best and not (best.startswith(word) or word.startswith(best)):
            typos.append((word, best))
    return typos


def _nearest(word: str, candidates: Sequence[str], cutoff: float) -> str | None:
    """The first of the most similar `candidates` to `word`, if it is at least `cutoff` similar.

    Upper bounds of difflib's `ratio` skip candidates below the cutoff without the costly
    full comparison (it dominated long lists): the length bound `real_quick_ratio` computes
    and the letters-in-common bound `quick_ratio` computes (first a cruder, cheaper form of
    it), all without building a matcher.
    """
    in_word = set(word).__contains__
    length = len(word)
    best, best_ratio = None, -1.0
    for candidate in candidates:
        total = length + len(candidate)
        if 2 * (length if length < len(candidate) else len(candidate)) < cutoff * total:
            continue
        # The letters in common are at most the candidate's letters that occur in `word`.
        if total and 2.0 * sum(map(in_word, candidate)) / total < cutoff:
            continue
        if _quick_ratio(word, candidate) < cutoff:
            continue
        ratio = SequenceMatcher(None, word, candidate).ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best if best_ratio >= cutoff else None


def _quick_ratio(word: str, candidate: str) -> float:
    """`SequenceMatcher(None, word, candidate).quick_ratio()` without building a matcher:
    twice the letters in common (with multiplicity) over the total length."""
    common = sum(min(word.count(letter), candidate.count(letter)) for letter in set(word))
    total = len(word) + len(candidate)
    return 2.0 * common / total if total else 1.0
