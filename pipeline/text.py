"""Small text helpers shared by the stages."""

from __future__ import annotations

import html
import re

# What CommonMark reads as one character of text (markdown-it's "text_special"): a
# backslash escape or an entity.
ESCAPE_OR_ENTITY = re.compile(
    r"\\[!-/:-@\[-`{-~]|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)


def collapse_whitespace(text: str) -> str:
    """Fold runs of whitespace (newlines included) to single spaces and trim."""
    # str.split() splits at what the regex `\s+` matches (Unicode whitespace), at a
    # third of its cost; the parser calls this for every link label.
    return " ".join(text.split())


def unescaped_character(written: str) -> str:
    """What a match of ESCAPE_OR_ENTITY stands for: the escaped character, or the entity's."""
    return written[1] if written[0] == "\\" else html.unescape(written)


def commonmark_unescaped(text: str) -> str:
    """`text` with its backslash escapes and entities resolved, as CommonMark reads them
    (in link destinations, for one)."""
    if "\\" not in text and "&" not in text:
        return text
    return ESCAPE_OR_ENTITY.sub(lambda match: unescaped_character(match.group(0)), text)
