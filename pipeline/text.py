"""Small text helpers shared by the stages."""

from __future__ import annotations


def collapse_whitespace(text: str) -> str:
    """Fold runs of whitespace (newlines included) to single spaces and trim."""
    # str.split() splits at what the regex `\s+` matches (Unicode whitespace), at a
    # third of its cost; the parser calls this for every link label.
    return " ".join(text.split())
