"""Small text helpers shared by the stages."""

from __future__ import annotations

import re

_WHITESPACE = re.compile(r"\s+")


def collapse_whitespace(text: str) -> str:
    """Fold runs of whitespace (newlines included) to single spaces and trim."""
    return _WHITESPACE.sub(" ", text).strip()
