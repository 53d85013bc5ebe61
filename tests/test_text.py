"""The small text helpers."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pipeline.text import collapse_whitespace

_WHITESPACE = st.sampled_from([" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\xa0"])
_WHITESPACE |= st.sampled_from(["\u2000", "\u2028", "\u3000", "\u200b", "\ufeff"])


@given(st.lists(_WHITESPACE | st.characters(), max_size=40).map("".join))
def test_whitespace_collapses_as_the_regex_would(text: str) -> None:
    assert collapse_whitespace(text) == re.sub(r"\s+", " ", text).strip()
