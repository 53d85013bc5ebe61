"""The ctypes binding to cmark-gfm: GitHub's parser, or one clear error when it is missing."""

from __future__ import annotations

import ctypes
import functools
import struct
import threading
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import cmark, parse
from pipeline.parse import parse_links, parse_links_beside


def test_a_missing_symbol_is_one_clear_error() -> None:
    signatures = {"cmark_node_get_no_such_thing": (ctypes.c_int, (ctypes.c_void_p,))}
    with pytest.raises(cmark.CmarkUnavailable) as raised:
        cmark._load(signatures)
    message = str(raised.value)
    assert "cmark_node_get_no_such_thing" in message
    assert "install the cmarkgfm version pinned in pyproject.toml" in message


def test_a_missing_extension_is_one_clear_error() -> None:
    with pytest.raises(cmark.CmarkUnavailable, match="lacks the extensions footnotes2"):
        cmark._load(extensions=(b"table", b"footnotes2"))


def kinds(markdown: str) -> list[str]:
    found: list[str] = []

    def walk(node: int) -> None:
        child = cmark.first_child(node)
        while child:
            found.append(cmark.kind(child))
            walk(child)
            child = cmark.next_sibling(child)

    with cmark.parsed(markdown) as document:
        walk(document)
    return found


def test_the_tree_has_githubs_extensions() -> None:
    assert kinds("| a |\n| - |\n| b |\n") == [
        "table", "table_row", "table_cell", "text", "table_row", "table_cell", "text",
    ]  # fmt: skip
    assert kinds("see www.example.com ~~x~~") == [
        "paragraph", "text", "link", "text", "text", "strikethrough", "text",
    ]  # fmt: skip


def test_long_documents_are_fed_in_pieces() -> None:
    # A piece ends inside the link: the parser reads on across pieces.
    text = "é" * (cmark._PIECE - 5) + "\n\n[x](https://a.example/)\n"
    with cmark.parsed(text) as document:
        paragraph = cmark.next_sibling(cmark.first_child(document))
        assert paragraph is not None and cmark.start_line(paragraph) == 3
        link = cmark.first_child(paragraph)
        assert link is not None and cmark.url(link) == b"https://a.example/"


def test_type_numbers_are_the_node_types_of_those_names() -> None:
    seen: dict[str, int] = {}

    def walk(node: int) -> None:
        child = cmark.first_child(node)
        while child:
            seen[cmark._type_string(child).decode()] = cmark.node_type(child)
            walk(child)
            child = cmark.next_sibling(child)

    with cmark.parsed("# t\n\n- [a](u) *b* `c`\n\n| h |\n| - |\n| ~~d~~ |\n") as document:
        walk(document)
    assert len(seen) == 13  # heading, list, item, paragraph, link, text, emph, code, table...
    assert {name: cmark.TYPES[name] for name in seen} == seen


def test_a_task_list_item_is_an_item_whatever_came_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # cmark-gfm names a task list item "tasklist" with the number of "item": the name
    # cached for that number must not depend on which of the two the process saw first.
    monkeypatch.setattr(cmark, "KINDS", {})
    assert kinds("- [ ] a\n- b\n") == [
        "list",
        "item",
        "paragraph",
        "text",
        "item",
        "paragraph",
        "text",
    ]


def test_work_beside_the_parse_returns_and_raises_here(seed_text: str) -> None:
    links, value = parse_links_beside(seed_text, lambda: 42)
    assert value == 42
    assert links == parse_links(seed_text)

    def failing() -> None:
        raise ValueError("cache line 3")

    with pytest.raises(ValueError, match="cache line 3"):
        parse_links_beside(seed_text, failing)
    assert threading.active_count() == 1  # the parsing thread is over either way


class Noted(NamedTuple):
    parsed: list[int]
    freed: list[int]


@pytest.fixture
def noted(monkeypatch: pytest.MonkeyPatch) -> Noted:
    """The documents cmark-gfm parses and frees from here on."""
    found = Noted([], [])
    parse, free = cmark._parse, cmark._free

    def parse_noted(text: str) -> int:
        found.parsed.append(parse(text))
        return found.parsed[-1]

    def free_noted(document: int) -> None:
        found.freed.append(document)
        free(document)

    monkeypatch.setattr(cmark, "_parse", parse_noted)
    monkeypatch.setattr(cmark, "_free", free_noted)
    return found


def test_the_document_is_freed_when_the_work_beside_the_parse_fails(
    seed_text: str, noted: Noted
) -> None:
    def failing() -> None:
        raise ValueError("cache line 3")

    with pytest.raises(ValueError, match="cache line 3"):
        parse_links_beside(seed_text, failing)
    assert noted.freed == noted.parsed  # cmark-gfm's tree (10x the README) is not left behind


@pytest.mark.parametrize("failing_step", ["walk", "then"])
def test_the_document_is_freed_once_and_no_thread_left_when_a_step_fails(
    seed_text: str, noted: Noted, failing_step: str
) -> None:
    kinds_seen: list[str] = []

    def walk(document: int) -> None:
        kinds_seen.append(cmark.kind(cmark.first_child(document)))
        if failing_step == "walk":
            raise ValueError("walk failed")

    def then() -> None:
        raise ValueError("then failed")

    with pytest.raises(ValueError, match=f"{failing_step} failed"):
        cmark.walked_beside(seed_text, lambda: None, walk, then)
    assert kinds_seen == ["heading"]
    assert noted.freed == noted.parsed and len(noted.parsed) == 1
    assert threading.active_count() == 1


# Reading nodes from their struct (cmark.read): what the accessors give, or not used at all.

LISTS = sorted((Path(__file__).parent / "data" / "lists").glob("*.md"))


def every_node(document: int) -> list[int]:
    nodes: list[int] = []
    child = cmark.first_child(document)
    while child:
        nodes.append(child)
        nodes.extend(every_node(child))
        child = cmark.next_sibling(child)
    return nodes


def assert_read_as_the_accessors_give(markdown: str) -> int:
    """Every node of `markdown` read from memory against its accessors; the count of nodes."""
    with cmark.parsed(markdown) as document:
        nodes = every_node(document)
        for node in nodes:
            fields = cmark._read_from_memory(node)
            # From memory first: an accessor makes the text a string of its own.
            text = cmark._text_from_memory(fields) if fields[6] in cmark._HAS_TEXT else None
            by_calls = cmark._read_by_calls(node)
            assert fields[:7] == by_calls[:7]
            if text is not None:
                assert text == cmark._text_by_calls(by_calls)
    return len(nodes)


def test_nodes_are_read_from_memory_with_the_pinned_cmarkgfm() -> None:
    # The fast reader is the one the suite runs; a cmarkgfm whose struct differs fails here
    # rather than making every walk slower without a word.
    assert cmark.read is cmark._read_from_memory
    assert cmark.text is cmark._text_from_memory


def test_reading_from_memory_gives_what_the_accessors_give(seed_text: str) -> None:
    # The seed, this project's README (metadata written, escaped), the realistic lists.
    readme = Path(__file__).parents[1] / "README.md"
    texts = [seed_text, readme.read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in LISTS]
    assert [assert_read_as_the_accessors_give(text) > 40 for text in texts] == [True] * 5


@settings(max_examples=200)
@given(st.text(st.sampled_from("ab é*_`[]()<>!\\&#;:/.@|-~\n\t1x"), max_size=80))
def test_reading_any_document_from_memory_gives_what_the_accessors_give(markdown: str) -> None:
    assert_read_as_the_accessors_give(markdown)


@pytest.mark.parametrize(
    "layout",
    [
        "@32xP8xP24xiiii4xH34xPi",  # the siblings in each other's place
        "@24xP16xP28xiiiiH34xPi",  # the positions one field off
        "@24xP16xP24xiiii4xH26xPi",  # the text one pointer early
        "@24xP16xP24xiiii4xH42xPi",  # the text one pointer late
    ],
)
def test_a_struct_layout_that_does_not_hold_is_not_used(layout: str) -> None:
    read = functools.partial(struct.Struct(layout).unpack_from, cmark._MEMORY)
    assert not cmark._layout_holds(read, cmark._LAYOUT_SAMPLE)
    assert cmark._layout_holds(cmark._read_from_memory, cmark._LAYOUT_SAMPLE)


def test_no_memory_to_read_is_a_layout_that_does_not_hold() -> None:
    # Where ctypes cannot make the view of the process's memory, the accessors are used.
    read = functools.partial(cmark._NODE.unpack_from, memoryview(b""))
    assert not cmark._layout_holds(read, cmark._LAYOUT_SAMPLE)


def test_the_walk_through_the_accessors_finds_the_same_links(
    seed_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [seed_text, *(path.read_text(encoding="utf-8") for path in LISTS)]
    from_memory = [parse_links(text) for text in texts]
    monkeypatch.setattr(parse, "_read", cmark._read_by_calls)
    monkeypatch.setattr(parse, "_text", cmark._text_by_calls)
    assert [parse_links(text) for text in texts] == from_memory
    assert sum(map(len, from_memory)) > 100


def test_a_node_without_text_has_none_to_read() -> None:
    with cmark.parsed("# Title\n") as document:
        heading = cmark._read_from_memory(cmark.first_child(document))
        with pytest.raises(ValueError, match="has no text"):
            cmark._text_from_memory(heading)  # its "text" is the level, not an address
