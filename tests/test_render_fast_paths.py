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

from pipeline.render import (
    _DATE_END,
    _LINK_STARTS,
    _OWN_HTML_METADATA,
    _OWN_METADATA,
    _may_start_link,
    _opening_bracket,
    _quick_ratio,
    _words,
    label_names_title,
    opening_bracket_by_scan,
    surname,
    surname_by_rule,
)

# The patterns as first written: one alternation per character.
_INERT = r"(?:\\.|<!-- -->|[^<\\\n])"
PLAIN_OWN_METADATA = re.compile(r" — (?:\*(?:\\.|[^*\\\n])+\* · )?" + _INERT + "*?" + _DATE_END)
PLAIN_OWN_HTML_METADATA = re.compile(
    r" — (?:<em>" + _INERT + "+</em> · )?" + _INERT + "*?" + _DATE_END
)
PLAIN_LINK_STARTS = re.compile(r"(?<=\w):(?=\S)|(?<=www)\.|//", re.IGNORECASE)

# Pieces of this module's suffixes and of what surrounds them, and single characters
# that matter to the patterns.
SUFFIX_PIECES = [" — ", " · ", "*", "\\", "\n", "<", "<em>", "</em>", "<!-- -->", "<!--"]
SUFFIX_PIECES += [" · Jan 2021", " · undated", "Jan 2021", " · May 20", "x", " ", "é", "]("]
suffix_like = st.lists(st.sampled_from(SUFFIX_PIECES), max_size=14).map("".join)


PAIRS = [(_OWN_METADATA, PLAIN_OWN_METADATA), (_OWN_HTML_METADATA, PLAIN_OWN_HTML_METADATA)]


@given(suffix_like)
def test_own_metadata_patterns_match_as_their_plain_forms(text: str) -> None:
    for fast, plain in PAIRS:
        assert fast.sub(" ", text) == plain.sub(" ", text)
        for start in range(len(text) + 1):
            found, expected = fast.match(text, start), plain.match(text, start)
            assert (found and found.span()) == (expected and expected.span())


link_like = st.lists(
    st.sampled_from(["w", "W", "www", "WwW", ".", ":", "/", "//", " ", "a", "_", "1", "é", "\n"]),
    max_size=12,
).map("".join)


@given(link_like)
def test_link_starts_match_as_their_plain_form(text: str) -> None:
    assert [m.span() for m in _LINK_STARTS.finditer(text)] == [
        m.span() for m in PLAIN_LINK_STARTS.finditer(text)
    ]


@given(link_like)
def test_the_link_start_prefilter_passes_every_text_the_pattern_matches(text: str) -> None:
    assert _may_start_link(text) or _LINK_STARTS.search(text) is None


def plain_words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold())


@given(st.one_of(st.text(), st.text(st.characters(max_codepoint=127))))
def test_words_are_the_plain_regex_words(text: str) -> None:
    assert _words(text) == plain_words(text)


@given(st.text(alphabet="[]\\a(", min_size=1, max_size=14), st.data())
def test_opening_bracket_is_the_plain_backward_scan(text: str, data: st.DataObject) -> None:
    closing = data.draw(st.integers(0, len(text) - 1))
    assert _opening_bracket(text, closing) == opening_bracket_by_scan(text, closing)


word = st.text(alphabet="abcdefgh", max_size=9)


@given(word, word)
def test_quick_ratio_is_difflibs(first: str, second: str) -> None:
    assert _quick_ratio(first, second) == SequenceMatcher(None, first, second).quick_ratio()


name_part = st.sampled_from(
    ["Ada", "Le", "de", "van", "der", "Jr.", "JR", "III", "iv", ",", "x,", " ", "\t"]
)


@given(st.lists(name_part, max_size=6).map(" ".join))
def test_surname_is_the_plain_rule(name: str) -> None:
    assert surname(name) == surname_by_rule(name)


phrase = st.lists(st.sampled_from(["a", "ab", "b", "A-b", "c", "a b", ",", " "]), max_size=6).map(
    " ".join
)


@given(phrase, phrase)
def test_label_names_title_is_the_plain_substring_test(label: str, title: str) -> None:
    label_text, title_text = " ".join(plain_words(label)), " ".join(plain_words(title))
    expected = bool(title_text) and title_text in label_text
    assert label_names_title(label, title) == expected
