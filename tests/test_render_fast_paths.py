"""The faster forms render.py uses give exactly what their plain forms give.

Each fast path is checked against the plain algorithm it replaces, on generated inputs
made of the characters and pieces that matter to it.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from hypothesis import given
from hypothesis import strategies as st

from pipeline.render import _quick_ratio, _words


def plain_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


@given(st.one_of(st.text(), st.text(st.characters(max_codepoint=127))))
def test_words_are_the_plain_regex_words(text: str) -> None:
    assert _words(text) == plain_words(text)


word = st.text(alphabet="abcdefgh", max_size=9)


@given(word, word)
def test_quick_ratio_is_difflibs(first: str, second: str) -> None:
    letters = {letter: first.count(letter) for letter in set(first)}
    total = len(first) + len(second)
    assert (
        _quick_ratio(letters, second, total) == SequenceMatcher(None, first, second).quick_ratio()
    )
