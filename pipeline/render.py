"""Regenerate the README in place: each arXiv link carries its paper's metadata.

Only the text right after an arXiv link changes (and a link text that spans lines is
joined onto one line); every other byte of the document stays as it was. The metadata
has a fixed shape, `` — *Title* · Authors · Mon YYYY``, so a later run recognises and
replaces its own earlier output instead of adding to it (fixpoint).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.models import CatalogEntry, Link, Paper

SEPARATOR = " · "
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# What this module writes after a link; matched only right after the link it belongs to.
_OWN_METADATA = re.compile(
    r" — (?:\*(?:\\.|[^*\\\n])+\* · )?(?:\\.|[^\\\n])*? · (?:(?:"
    + "|".join(_MONTHS)
    + r") \d{4}|undated)"
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_PARTICLES = {"de", "van", "der", "von", "den", "du", "da", "di", "del", "della", "la", "le", "ter"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_NEAR = 0.8  # difflib similarity from which a label word reads as a misspelt title word


@dataclass(frozen=True)
class Rendered:
    text: str
    unplaced: list[Link]  # arXiv links whose source could not be located (left untouched)


def render_readme(
    markdown: str,
    links: Sequence[Link],
    entries: Sequence[CatalogEntry],
    papers: Mapping[str, Paper],
) -> Rendered:
    """The README with metadata after every arXiv link that has a paper in `papers`."""
    lines = markdown.split("\n")
    unplaced: list[Link] = []
    # Bottom-up, so that joining a two-line link text never shifts a link still to edit.
    for link, entry in sorted(zip(links, entries, strict=True), key=lambda p: -p[0].position):
        paper = papers.get(entry.arxiv_id or "")
        if paper is None:
            continue
        first, last = link.line - 1, max(link.item_end, link.line)
        block = "\n".join(lines[first:last])
        edited = _annotate(block, link, metadata_suffix(link.label, paper))
        if edited is None:
            unplaced.append(link)
            continue
        lines[first:last] = edited.split("\n")
    return Rendered("\n".join(lines), sorted(unplaced, key=lambda link: link.position))


def metadata_suffix(label: str, paper: Paper) -> str:
    """`` — *Title* · Authors · Mon YYYY`` (the title only where the label is not it)."""
    parts = []
    if not label_names_title(label, paper.title):
        parts.append(f"*{escape_markdown(paper.title)}*")
    parts.append(escape_markdown(author_line([a.name for a in paper.authors])))
    date = paper.published
    parts.append(f"{_MONTHS[date.month - 1]} {date.year}" if date else "undated")
    return " — " + SEPARATOR.join(parts)


def _annotate(block: str, link: Link, suffix: str) -> str | None:
    """Insert `suffix` after the link's source in `block` (which starts on the link's line)."""
    span = _link_span(block, link.url)
    if span is None:
        return None
    start, end = span
    # A link text wrapped over lines becomes one line; nothing else in it changes.
    source = re.sub(r"[ \t\r]*\n[ \t]*", " ", block[start:end])
    rest = block[end:]
    previous = _OWN_METADATA.match(rest)
    if previous:
        rest = rest[previous.end() :]
    return block[:start] + source + suffix + rest


def _link_span(block: str, url: str) -> tuple[int, int] | None:
    """Where the link to `url` is written: `[text](url)`, `<url>`, or the bare URL."""
    # The common `[text](url)` first: a pattern built per URL would be compiled afresh for
    # almost every link (the re module caches only a few hundred), which dominated big lists.
    plain = block.find(f"]({url})")
    inline_span = (plain, plain + len(url) + 3) if plain >= 0 else None
    if inline_span is None and "](" in block:
        inline = re.search(
            r"\]\([ \t\n]*<?" + re.escape(url) + r">?(?:[ \t\n]+(?:\"[^\"]*\"|'[^']*'))?[ \t\n]*\)",
            block,
        )
        inline_span = inline.span() if inline else None
    if inline_span:
        opening = _opening_bracket(block, inline_span[0])
        return (opening, inline_span[1]) if opening is not None else None
    for pattern in (f"<{url}>", url):
        found = block.find(pattern)
        if found >= 0:
            return found, found + len(pattern)
    return None


def _opening_bracket(text: str, closing: int) -> int | None:
    """The `[` that the `]` at `closing` closes, skipping nested and escaped brackets."""
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
    surnames = [surname(n) for n in names]
    if not surnames:
        return "unknown authors"
    if len(surnames) > 3:
        return f"{surnames[0]} et al."
    if len(surnames) == 1:
        return surnames[0]
    return ", ".join(surnames[:-1]) + " and " + surnames[-1]


def surname(name: str) -> str:
    """The family name of "Peter H. N. de With" is "de With"; of "Quoc V. Le", "Le"."""
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
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.findall(r"[^\W_]+", folded)


def label_names_title(label: str, title: str) -> bool:
    """True when the label already is the title, up to case, punctuation and spacing."""
    label_words, title_words = " ".join(_words(label)), " ".join(_words(title))
    return bool(title_words) and title_words in label_words


def possible_typos(label: str, title: str) -> list[tuple[str, str]]:
    """(label word, title word) pairs where a label about this title misspells one of its words.

    A label counts as "about the title" when most of its words are the title's; other
    labels ("GPT3 paper") are nicknames, not typos. Plurals and prefixes are not typos.
    """
    label_words, title_words = _words(label), _words(title)
    if not label_words or label_names_title(label, title):
        return []
    shared = sum(1 for w in label_words if w in title_words)
    if shared * 2 < len(label_words):
        return []
    typos = []
    for word in label_words:
        if word in title_words or len(word) < 4:
            continue
        best = _nearest(word, title_words, _NEAR)
        if best and not (best.startswith(word) or word.startswith(best)):
            typos.append((word, best))
    return typos


def _nearest(word: str, candidates: Sequence[str], cutoff: float) -> str | None:
    """The first of the most similar `candidates` to `word`, if it is at least `cutoff` similar.

    The length bound and `quick_ratio` bound `ratio` from above, so candidates below the
    cutoff are skipped without the costly full comparison (it dominated long lists).
    """
    best, best_ratio = None, -1.0
    for candidate in candidates:
        # What `real_quick_ratio` computes, without building a matcher.
        if 2 * min(len(word), len(candidate)) < cutoff * (len(word) + len(candidate)):
            continue
        matcher = SequenceMatcher(None, word, candidate)
        if matcher.quick_ratio() < cutoff:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = candidate, ratio
    return best if best_ratio >= cutoff else None
