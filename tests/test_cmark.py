"""The ctypes binding to cmark-gfm: GitHub's parser, or one clear error when it is missing."""

from __future__ import annotations

import ctypes
import threading
from typing import NamedTuple

import pytest

from pipeline import cmark
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
