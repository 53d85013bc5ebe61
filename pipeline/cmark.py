"""cmark-gfm's node tree, through the shared object of the `cmarkgfm` package (ctypes).

GitHub renders READMEs with cmark-gfm. The `cmarkgfm` package compiles it into its module
`cmarkgfm._cmark` (`_cmark.abi3.so`) but wraps only whole-document rendering; that shared
object exports the whole C API, so this module declares the few node functions the
parser needs and calls them with ctypes. `cmarkgfm` is pinned exactly (pyproject.toml) and
every symbol is looked up at import: a build without them fails here with one clear
error, not halfway through a run.

Nodes are plain addresses (int); `parsed` frees the tree when its block ends. A walk reads
a node with `read` (its neighbours, lines, type and text at once), from the node's struct
when that gives what the accessors give (checked at import), else through them.
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pipeline.bulk import give_back_freed_memory

T = TypeVar("T")
U = TypeVar("U")

# GitHub's extensions (tagfilter only changes rendering, tasklist only list items).
EXTENSIONS = (b"table", b"autolink", b"strikethrough", b"tagfilter", b"tasklist")

_P = ctypes.c_void_p
_INT = ctypes.c_int
_STR = ctypes.c_char_p
_SIGNATURES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "cmark_gfm_core_extensions_ensure_registered": (None, ()),
    "cmark_parser_new": (_P, (_INT,)),
    "cmark_find_syntax_extension": (_P, (_STR,)),
    "cmark_parser_attach_syntax_extension": (_INT, (_P, _P)),
    "cmark_parser_feed": (None, (_P, _STR, ctypes.c_size_t)),
    "cmark_parser_finish": (_P, (_P,)),
    "cmark_parser_free": (None, (_P,)),
    "cmark_node_free": (None, (_P,)),
    "cmark_node_first_child": (_P, (_P,)),
    "cmark_node_next": (_P, (_P,)),
    "cmark_node_get_type": (_INT, (_P,)),
    "cmark_node_get_type_string": (_STR, (_P,)),
    "cmark_node_get_literal": (_STR, (_P,)),
    "cmark_node_get_url": (_STR, (_P,)),
    "cmark_node_get_heading_level": (_INT, (_P,)),
    "cmark_node_get_fence_info": (_STR, (_P,)),
    "cmark_node_get_start_line": (_INT, (_P,)),
    "cmark_node_get_end_line": (_INT, (_P,)),
    "cmark_node_get_start_column": (_INT, (_P,)),
    "cmark_node_get_end_column": (_INT, (_P,)),
}


class CmarkUnavailable(ImportError):
    """The installed `cmarkgfm` does not export cmark-gfm's node API."""


def _load(
    signatures: dict[str, tuple[Any, tuple[Any, ...]]] = _SIGNATURES,
    extensions: tuple[bytes, ...] = EXTENSIONS,
    kind: type[ctypes.CDLL] = ctypes.CDLL,
) -> ctypes.CDLL:
    """cmarkgfm's shared object with `signatures` declared; CmarkUnavailable if it lacks any.

    `kind`: ctypes.CDLL lets go of the GIL during each call (the parse, so other threads
    run meanwhile); ctypes.PyDLL keeps it, which halves the cost of a short call.
    """
    try:
        path = Path(importlib.import_module("cmarkgfm._cmark").__file__ or "")
        library = kind(str(path))
        for name, (result, arguments) in signatures.items():
            function = getattr(library, name)
            function.restype = result
            function.argtypes = arguments
    except (ImportError, OSError, AttributeError) as error:
        raise CmarkUnavailable(
            f"cmark-gfm's node API is missing from cmarkgfm ({error}); "
            "install the cmarkgfm version pinned in pyproject.toml"
        ) from None
    library.cmark_gfm_core_extensions_ensure_registered()
    missing = [n.decode() for n in extensions if not library.cmark_find_syntax_extension(n)]
    if missing:
        raise CmarkUnavailable(f"cmark-gfm in {path} lacks the extensions {', '.join(missing)}")
    return library


_lib = _load()
# The node accessors, millions of calls of a few nanoseconds each in C: the GIL kept.
_nodes = _load(kind=ctypes.PyDLL)

first_child = _nodes.cmark_node_first_child
next_sibling = _nodes.cmark_node_next
literal = _nodes.cmark_node_get_literal
url = _nodes.cmark_node_get_url
heading_level = _nodes.cmark_node_get_heading_level
fence_info = _nodes.cmark_node_get_fence_info
start_line = _nodes.cmark_node_get_start_line
end_line = _nodes.cmark_node_get_end_line
start_column = _nodes.cmark_node_get_start_column
end_column = _nodes.cmark_node_get_end_column
node_type = _nodes.cmark_node_get_type
_type_string = _nodes.cmark_node_get_type_string
KINDS: dict[int, str] = {}
"""`node_type` -> `kind`, for the types seen so far (for callers that look it up inline)."""


def kind(node: int) -> str:
    """The node's type: "paragraph", "link", "text", "table_row" (header rows too), "item"
    (task list items too), ..."""
    number = node_type(node)
    name = KINDS.get(number)
    if name is None:
        name = _type_string(node).decode()
        # A task list item is an item (same number; the name depends on which comes first).
        name = KINDS[number] = _SAME_KIND.get(name, name)
    return name


_SAME_KIND = {"table_header": "table_row", "tasklist": "item"}


@contextmanager
def parsed(markdown: str) -> Iterator[int]:
    """The document node of `markdown` parsed as GitHub does; freed afterwards."""
    document = _parse(markdown)
    try:
        yield document
    finally:
        _free(document)


def walked_beside(
    markdown: str, work: Callable[[], T], walk: Callable[[int], None], then: Callable[[], U]
) -> tuple[U, T]:
    """Parse `markdown`, `walk(document)`, free it: `work()` runs while cmark-gfm parses and
    `then()` while it frees (each on another thread: ctypes lets go of the GIL during each
    C call, so the C work and the Python work here overlap). Returns what `then()` and
    `work()` returned; an error in any of them is raised here, and no thread is left.
    """
    document, result = _parsed_beside(markdown, work)
    try:
        walk(document)
    except BaseException:
        _free(document)
        raise
    freeing = threading.Thread(target=_free, args=(document,), name="cmark-gfm free", daemon=True)
    freeing.start()
    try:
        return then(), result
    finally:
        freeing.join()


def _parsed_beside(markdown: str, work: Callable[[], T]) -> tuple[int, T]:
    """The document of `markdown` and what `work()` returned, run here while cmark-gfm parses."""
    outcome: list[int | BaseException] = []

    def parse() -> None:
        try:
            outcome.append(_parse(markdown))
        except BaseException as error:  # raised again below, on the calling thread
            outcome.append(error)

    thread = threading.Thread(target=parse, name="cmark-gfm parse", daemon=True)
    thread.start()
    try:
        result = work()
    except BaseException as error:
        thread.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0] from error  # the parse failed too: its error, as before
        _free(outcome[0])  # not handed out: freed here
        raise
    thread.join()
    document = outcome[0]
    if isinstance(document, BaseException):
        raise document
    return document, result


def _free(document: int) -> None:
    _lib.cmark_node_free(document)
    give_back_freed_memory()


def _parse(markdown: str) -> int:
    parser = _lib.cmark_parser_new(_FOOTNOTES)
    try:
        for name in EXTENSIONS:
            _lib.cmark_parser_attach_syntax_extension(
                parser, _lib.cmark_find_syntax_extension(name)
            )
        # In pieces: a 50 MB README is never also held whole as UTF-8 bytes.
        for start in range(0, len(markdown), _PIECE):
            piece = markdown[start : start + _PIECE].encode("utf-8")
            _lib.cmark_parser_feed(parser, piece, len(piece))
        document: int = _lib.cmark_parser_finish(parser)
    finally:
        _lib.cmark_parser_free(parser)
    return document


_PIECE = 1 << 20  # characters fed to the parser at a time
_FOOTNOTES = 1 << 13  # CMARK_OPT_FOOTNOTES: GitHub renders footnotes


# The node types the parser tells apart (and the containers of those).
_EVERY_TYPE = frozenset({
    "heading", "paragraph", "text", "emph", "strong", "strikethrough", "code", "html_inline",
    "link", "image", "linebreak", "softbreak", "list", "item", "code_block", "html_block",
    "thematic_break", "table", "table_header", "table_row", "table_cell",
})  # fmt: skip


_EVERY_KIND = (
    "# h\n\np *e* **s** ~~d~~ `c` <b> [l](u) ![i](s)  \nx\ny\n\n- i\n\n```\nc\n```\n\n"
    "<div>\n\n---\n\n| a |\n| - |\n| b |\n"
)


def _type_numbers() -> dict[str, int]:
    """`node_type` of each type of node, by cmark-gfm's name, read from a document of them all.

    Extension types are numbered when the extensions register, so they are read, not
    assumed; a kind missing here is a build the parser cannot work with.
    """
    numbers: dict[str, int] = {}

    def walk(node: int) -> None:
        child = first_child(node)
        while child:
            numbers[_type_string(child).decode()] = node_type(child)
            walk(child)
            child = next_sibling(child)

    with parsed(_EVERY_KIND) as document:
        walk(document)
    missing = _EVERY_TYPE.difference(numbers)
    if missing:
        raise CmarkUnavailable(f"cmark-gfm did not parse {', '.join(sorted(missing))} nodes")
    return numbers


TYPES = _type_numbers()
"""cmark-gfm's type name ("text", "link", "table_header"...) -> `node_type`."""


# Reading a node. A walk over a long list reads about seven nodes per list item, and each
# accessor call through ctypes costs ~0.5 us here, five to seven calls a node: `read` gives
# what the walk uses of a node in one step instead, from the node's struct in memory.

Fields = tuple[int, int, int, int, int, int, int, int, int]
"""What `read` gives of a node, indexed by the names below; 0 for no node."""
NEXT, FIRST_CHILD, START_LINE, START_COLUMN, END_LINE, END_COLUMN, TYPE = range(7)
_TEXT_AT, _TEXT_LENGTH = 7, 8  # read through `text`

# The node types that have a text: a literal (text, code, HTML) or a URL (link, image).
_HAS_URL = frozenset({TYPES["link"], TYPES["image"]})
_HAS_TEXT = _HAS_URL | {TYPES[name] for name in ("text", "code", "html_inline", "html_block")}


def _read_by_calls(node: int) -> Fields:
    """A node's fields through cmark-gfm's accessors, a call each (the text: by `text`)."""
    return (
        next_sibling(node) or 0,
        first_child(node) or 0,
        start_line(node),
        start_column(node),
        end_line(node),
        end_column(node),
        node_type(node),
        node,
        -1,
    )


def _text_by_calls(fields: Fields) -> str:
    node = fields[_TEXT_AT]
    got = url(node) if fields[TYPE] in _HAS_URL else literal(node)
    return (got or b"").decode()


# cmark-gfm's `struct cmark_node` (src/node.h of the pinned version) up to its text: the
# next sibling at byte 24, the first child at 48, the source positions at 80, the type at
# 100, and the text (`as.literal`, or `as.link.url` in the same place: a pointer and a
# length) at 136.
_NODE = struct.Struct("@24xP16xP24xiiii4xH34xPi")
# The process's memory as one memoryview indexed by address: nothing is read but the
# nodes cmark-gfm gives and their texts.
try:
    _MEMORY = memoryview((ctypes.c_char * sys.maxsize).from_address(0))
except (OverflowError, ValueError, MemoryError):  # a platform where ctypes refuses it
    _MEMORY = memoryview(b"")  # then no layout holds (below)
_read_from_memory: Callable[[int], Fields] = functools.partial(_NODE.unpack_from, _MEMORY)


def _text_from_memory(fields: Fields) -> str:
    if fields[TYPE] not in _HAS_TEXT:  # else the "address" would be something else
        raise ValueError(f"a node of type {fields[TYPE]} has no text")
    start, length = fields[_TEXT_AT], fields[_TEXT_LENGTH]
    return str(_MEMORY[start : start + length], "utf-8") if length > 0 else ""


# The literal and URL accessors, giving the text's address: the first call of either makes
# the text a string of its own and stores its address in the node, for `read` to give.
_text_address = _load(
    {"cmark_node_get_literal": (_P, (_P,)), "cmark_node_get_url": (_P, (_P,))}, kind=ctypes.PyDLL
)


def _layout_holds(read_from_memory: Callable[[int], Fields], markdown: str) -> bool:
    """Whether `read_from_memory` gives what the accessors give, for every node of
    `markdown`. No address it gives is read through before an accessor has confirmed it."""

    def holds(parent: int) -> bool:
        node = first_child(parent)
        while node:
            by_calls = _read_by_calls(node)
            if read_from_memory(node)[:_TEXT_AT] != by_calls[:_TEXT_AT]:
                return False
            if by_calls[TYPE] in _HAS_TEXT:
                accessor = _text_address.cmark_node_get_literal
                if by_calls[TYPE] in _HAS_URL:
                    accessor = _text_address.cmark_node_get_url
                address, expected = accessor(node) or 0, _text_by_calls(by_calls)
                fields = read_from_memory(node)
                if fields[_TEXT_AT:] != (address, len(expected.encode())):
                    return False
                if _text_from_memory(fields) != expected:
                    return False
            if not holds(node):
                return False
            node = next_sibling(node)
        return True

    with parsed(markdown) as document:
        try:
            return holds(document)
        except (struct.error, ValueError, OverflowError):  # e.g. nothing to read at all
            return False


# Texts of every kind and origin: as written, unescaped, decoded from entities, non-ASCII,
# empty (a link without URL), across lines, in nested containers.
_LAYOUT_SAMPLE = _EVERY_KIND + (
    '\n> - [é \\* &amp; ü](<>) [t](https://x.org/a_(b) "T") <https://y.org> www.z.org\n'
    ">   1. `a\\b` <span>&#x41;</span> a@b.co\n\n[r]: https://r.org\n\n[r] ![][r]\n"
)
read: Callable[[int], Fields]
"""The fields of a node (never 0)."""
text: Callable[[Fields], str]
"""The literal or URL of a node of a type that has one (`_HAS_TEXT`), from its fields."""
if _layout_holds(_read_from_memory, _LAYOUT_SAMPLE):
    read, text = _read_from_memory, _text_from_memory
else:  # another build or platform: the accessors, slower, same fields
    read, text = _read_by_calls, _text_by_calls
