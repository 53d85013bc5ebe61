"""The Markdown parser on the real seed list and on every link form it must handle."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline import cmark, parse
from pipeline.parse import (
    _LINK_CLOSE,
    _inline_links,
    _lines_with_mention_starts,
    _links_among,
    parse_links,
)


def test_seed_list_has_47_links_in_document_order(seed_text: str) -> None:
    links = parse_links(seed_text)
    assert len(links) == 47
    assert [link.position for link in links] == list(range(1, 48))
    assert links[0].label.startswith("BERT: Pre-training")
    assert links[0].line == 11
    assert links[-1].url == "https://arxiv.org/pdf/2308.16369"
    assert [link.line for link in links] == sorted(link.line for link in links)


def test_seed_sections_are_heading_paths_without_the_document_title(seed_text: str) -> None:
    sections = list(dict.fromkeys(link.section for link in parse_links(seed_text)))
    assert sections == [
        "Some Fundamental Transformers",
        "Fundamental LLM & Transformer Papers/Blogs",
        "Reinforcement Learning for LLMs",
        "Mechanistic Interpretability",
        "Scaling Laws",
        "MLSys",
    ]


def test_seed_label_paragraphs_become_subsections(seed_text: str) -> None:
    links = parse_links(seed_text)
    by_subsection = {
        sub: [link.label for link in links if link.subsection == sub]
        for sub in ("DPO", "PPO", "GRPO")
    }
    assert by_subsection["DPO"] == ["DPO paper", "Blog - Math behind DPO"]
    assert len(by_subsection["PPO"]) == 3
    assert by_subsection["GRPO"] == ["DeepSeekMath", "Blog - GRPO Explained", "DeepSeek-R1"]
    # Before the first label paragraph, and after the next heading, there is none.
    assert {link.subsection for link in links if link.section == "Scaling Laws"} == {""}
    assert next(link for link in links if link.label == "InstructGPT").subsection == ""


def test_seed_two_line_label_is_one_label_with_its_item_lines(seed_text: str) -> None:
    distserve = next(link for link in parse_links(seed_text) if "DistServe" in link.label)
    assert distserve.label == (
        "DistServe: Disaggregating Prefill and Decoding for Goodput-optimized "
        "Large Language Model Serving"
    )
    assert (distserve.line, distserve.item_start, distserve.item_end) == (80, 80, 81)


def test_seed_urls_are_trimmed_and_labels_stripped(seed_text: str) -> None:
    links = parse_links(seed_text)
    r1 = next(link for link in links if link.label == "DeepSeek-R1")
    assert r1.url == "https://arxiv.org/pdf/2501.12948"  # written "( https://...)"
    assert next(link for link in links if link.url.endswith("2203.02155")).label == "InstructGPT"


def test_every_link_form() -> None:
    markdown = "\n".join(
        [
            "# Title",
            "## Papers",
            "- inline [One](https://one.example/a)",
            "- reference [Two][two] and collapsed [three]",
            "- autolink <https://four.example/x>",
            "- bare https://five.example/path, in text",
            '- html <a href="https://six.example/">Six <b>bold</b></a>',
            "- mention arXiv:1706.03762v2 in prose.",
            "  - nested [Seven](https://seven.example/)",
            "",
            "| name | link |",
            "| --- | --- |",
            "| Eight | [Eight](https://eight.example/) |",
            "",
            '<p>block <a href="https://nine.example/">Nine</a></p>',
            "",
            "[two]: https://two.example/",
            "[three]: https://three.example/",
        ]
    )
    links = parse_links(markdown)
    assert [(link.label, link.url, link.line) for link in links] == [
        ("One", "https://one.example/a", 3),
        ("Two", "https://two.example/", 4),
        ("three", "https://three.example/", 4),
        ("https://four.example/x", "https://four.example/x", 5),
        ("https://five.example/path", "https://five.example/path", 6),
        ("Six bold", "https://six.example/", 7),
        ("arXiv:1706.03762v2", "arXiv:1706.03762v2", 8),
        ("Seven", "https://seven.example/", 9),
        ("Eight", "https://eight.example/", 13),
        ("Nine", "https://nine.example/", 15),
    ]
    assert {link.section for link in links} == {"Papers"}
    assert [link.position for link in links] == list(range(1, 11))
    nested = links[7]
    assert (nested.item_start, nested.item_end) == (9, 9)


def test_things_that_are_not_resources() -> None:
    markdown = "\n".join(
        [
            '<meta name="google-site-verification" content="abc" />',
            "[![CI](https://img.shields.io/badge.svg)](https://ci.example/)",
            "![diagram](https://img.example/d.png)",
            '<a href="https://badge.example/"><img src="https://img.example/b.svg"></a>',
            "`[code](https://code.example/)` and `arXiv:1706.03762`",
            "",
            "```",
            "[fenced](https://fenced.example/) https://fenced.example/bare",
            "```",
            "",
            "    [indented](https://indented.example/)",
            "",
            "[anchor](#section) and [mail](mailto:a@b.example)",
            "- [Kept](https://kept.example/)",
        ]
    )
    assert [link.url for link in parse_links(markdown)] == ["https://kept.example/"]


def test_links_after_the_end_marker_are_not_part_of_the_list() -> None:
    markdown = (
        "- [Paper](https://arxiv.org/abs/1706.03762)\n\n"
        "<!-- end of reading list: the rest is about the project -->\n\n"
        "## Maintaining\n\nSee [the docs](https://docs.example/) and [arch](docs/A.md).\n"
    )
    assert [link.url for link in parse_links(markdown)] == ["https://arxiv.org/abs/1706.03762"]


def test_the_projects_own_readme_lists_exactly_the_seed_links(seed_text: str) -> None:
    from tests.conftest import REPO

    ours = parse_links((REPO / "README.md").read_text(encoding="utf-8"))
    assert [(link.label, link.url) for link in ours] == [
        (link.label, link.url) for link in parse_links(seed_text)
    ]


label_text = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" -:"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and not s.strip().endswith(":"))


@given(st.lists(st.tuples(label_text, st.integers(0, 10**6)), min_size=1, max_size=20))
def test_any_list_of_inline_links_comes_back_in_order(items: list[tuple[str, int]]) -> None:
    markdown = "## S\n\n" + "".join(
        f"{n}. [{label}](https://example.org/{slug})\n"
        for n, (label, slug) in enumerate(items, start=1)
    )
    links = parse_links(markdown)
    assert [(link.label, link.url) for link in links] == [
        (" ".join(label.split()), f"https://example.org/{slug}") for label, slug in items
    ]
    assert [link.line for link in links] == list(range(3, 3 + len(items)))


def test_line_numbers_count_only_newlines() -> None:
    # U+2028 and U+0085 are line breaks to str.splitlines(), not to Markdown.
    markdown = "# T\n\nintro\u2028still intro\x85same line\n\n- [a](https://a.example/)\n"
    (link,) = parse_links(markdown)
    assert (link.line, link.item_start, link.item_end) == (5, 5, 5)


# Where text can sit: cmark-gfm reports columns of continuation lines inside containers off
# by the container's indent, so escapes there are found on the line, not at the column.
CONTAINERS = ["", "- ", "1. ", "> ", "> - ", "- > ", "  - ", "- - "]
MENTIONED = ["1706.03762", "2401.09670v2", "hep-th/9901001"]


@given(
    st.sampled_from(CONTAINERS),
    st.booleans(),
    st.lists(st.sampled_from(["word ", "*em* ", "`c` ", "&amp; ", "\\* ", "[x](#a) ", "é "])),
    st.lists(
        st.tuples(
            st.sampled_from(["arXiv:", "arXiv\\:", "arXiv&#58;", "arxiv:"]),
            st.sampled_from(MENTIONED),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_arxiv_mentions_count_unless_escaped(
    container: str, continuation: bool, before: list[str], mentions: list[tuple[str, str]]
) -> None:
    text = "".join(before) + " ".join(prefix + arxiv_id for prefix, arxiv_id in mentions)
    markdown = container + ("intro\n" + text if continuation else text) + "\n"
    expected = [prefix + i for prefix, i in mentions if prefix.lower() == "arxiv:"]
    assert [link.url for link in parse_links(markdown)] == expected
    assert {link.line for link in parse_links(markdown)} <= {2 if continuation else 1}


def test_arxiv_mentions_in_table_cells_and_headings() -> None:
    markdown = (
        "## About arXiv:1706.03762\n\n"
        "| a | b |\n|---|---|\n| arXiv\\:2401.09670 | arXiv:2401.09670 |\n"
    )
    assert [(link.url, link.line) for link in parse_links(markdown)] == [
        ("arXiv:1706.03762", 1),
        ("arXiv:2401.09670", 5),
    ]


def test_an_escaped_mention_stays_escaped_whatever_the_text_around_it_decodes_to() -> None:
    # "&nGt;" decodes to more bytes than it is written with, making up for the escape.
    markdown = "- x\n  arXiv\\:1706.03762&nGt; and arXiv:2401.09670\n"
    assert [link.url for link in parse_links(markdown)] == ["arXiv:2401.09670"]


@given(
    st.text(
        alphabet=st.sampled_from(list("arxivARXIVıİ:v V\n")) | st.characters(),
        max_size=200,
    )
)
def test_mention_lines_are_the_lines_a_case_insensitive_search_finds(text: str) -> None:
    # The search for "arxiv:" looks for "v:"/"V:" first; it must find what re.I finds.
    lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer("arxiv:", text, re.I)]
    assert _lines_with_mention_starts(text) == list(dict.fromkeys(lines))


def test_a_task_list_item_is_the_item_of_its_links() -> None:
    links = parse_links("- [ ] [a](https://a.example/)\n\n  more\n- [b](https://b.example/)\n")
    assert [(link.line, link.item_start, link.item_end) for link in links] == [(1, 1, 3), (4, 4, 4)]


_CONTENT = st.sampled_from(
    [
        *("", " ", "Attention", "  two\n words ", "www.example.com", "http://www.example.com"),
        *("#top", "https://arxiv.org/abs/1706.03762", "mailto:a@b.c", " https://x.org/y "),
    ]
)
_TOKEN = st.one_of(
    st.tuples(st.sampled_from(["link_open", "text", "text_special", "code_inline"]), _CONTENT),
    st.sampled_from([("link_close", ""), ("image", ""), ("softbreak", ""), ("hardbreak", "")]),
)


# The fast path's own shape (a link around one text token), and any other token list.
_ONE_LINK = st.builds(
    lambda url, kind, text: [("link_open", url), (kind, text), _LINK_CLOSE],
    _CONTENT,
    st.sampled_from(["text", "text_special", "code_inline"]),
    _CONTENT,
)


@given(st.one_of(_ONE_LINK, st.lists(_TOKEN, max_size=4)), st.sampled_from(["", "www.e", "x"]))
def test_the_one_link_fast_path_finds_what_the_general_rule_finds(
    tokens: list[tuple[str, str]], source: str
) -> None:
    # Link-close tokens are one shared constant in real token lists; the fast path relies on it.
    tokens = [_LINK_CLOSE if t == ("link_close", "") else t for t in tokens]
    fast = list(_inline_links(tokens, 7, lambda: source))
    assert fast == list(_links_among(tokens, 7, lambda: source))


# One list item's line: a link with anything before and after it that could start another.
_LINE_LINK = st.sampled_from(
    [
        *("[Paper](https://arxiv.org/abs/1706.03762)", "[b](https://www.x.org/p)", "[c](rel)"),
        *("[d](https://x.org/q_(r))", "[e](<https://x.org/s t>)", '[f](https://x.org/t "T")'),
    ]
)
_LINE_PIECE = st.sampled_from(
    [
        *(" text ", " — ", "*em*", "**", "_", "[", "]", "(", ")", "![i](p.png)", "[^1]"),
        *("<b>", "<https://y.org>", " https://z.org/p", " HTTP://Z.ORG", " www.w.org", "www.u.org"),
        *(" WWW.W.ORG", " Www.v.org", " ftp://f.org", " a@b.co", "`c`", "\\[", ": ", "&amp;"),
        *("&lt;a href='u'>", "arXiv:1706.03762", "[g](https://x.org/g)", "<a href='rel'>r</a>"),
    ]
)
_LINE = st.builds(
    lambda before, link, after: "".join([*before, link, *after]),
    st.lists(_LINE_PIECE, max_size=2),
    _LINE_LINK,
    st.lists(_LINE_PIECE, max_size=3),
)


@settings(max_examples=400)
@given(st.lists(_LINE, min_size=1, max_size=3))
@example(["[Paper](https://arxiv.org/abs/1706.03762) www.w.org"])  # what each rule is for
@example(["[c](rel) https://z.org/p"])
@example(["[Paper](https://arxiv.org/abs/1706.03762) <a href='rel'>r</a>"])
@example(["[c](rel) [g](https://x.org/g)", "https://z.org/p [c](rel)", "[c](rel) [h](other)"])
@example(['[f](https://x.org/t "T") https://z.org/p'])
def test_stopping_after_a_lone_link_finds_what_the_whole_walk_finds(lines: list[str]) -> None:
    markdown = "\n".join("- " + line for line in lines) + "\n"
    walked = parse_links(markdown)
    everything = parse._only_link_on
    try:
        parse._only_link_on = lambda line, url: False  # the whole walk, every time
        assert walked == parse_links(markdown)
    finally:
        parse._only_link_on = everything


@pytest.mark.parametrize(
    "markdown",
    [
        "- [a](https://arxiv.org/abs/1706.03762) — *T* · A · Jan 2017\n",  # the lone link
        "- [a](https://x.org/a)\n  - [b](https://x.org/b)\n",  # a nested list after it
        "- [a](https://x.org/a)\n  more words\n",  # two lines
        "- [a](https://x.org/a)\n\n  [b](https://x.org/b)\n",  # two paragraphs
        "- [*a*](https://x.org/a)\n- [](https://x.org/e)\n- [`c`](https://x.org/c)\n",
        "- [a](https://x.org/a) see arXiv:1706.03762\n",  # a mention on its line
        "- see [a](https://x.org/a)\n- [ ] [t](https://x.org/t)\n-\n- # [h](https://x.org/h)\n",
        "1. [a &amp; b](https://x.org/a) [c](https://x.org/c)\n2. [www.x.org](http://www.x.org)\n",
        "- [a *b*](https://x.org/a)\n- [a `c`](https://x.org/c)\n",  # more after the text
    ],
)
def test_an_item_read_in_one_step_gives_what_the_whole_walk_gives(
    markdown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = parse_links(markdown)
    monkeypatch.setattr(parse._Walk, "_lone_link", lambda self, item: False)
    assert parse_links(markdown) == quick
    assert quick


def test_a_lone_link_item_is_read_in_one_step_and_no_other(
    seed_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The comparison above holds as well when the one step is never taken: this pins that
    # it is taken for the items it is for (most of the seed's), and only for those.
    taken: list[bool] = []
    lone_link = parse._Walk._lone_link

    def noted(self: parse._Walk, item: cmark.Fields) -> bool:
        taken.append(lone_link(self, item))
        return taken[-1]

    monkeypatch.setattr(parse._Walk, "_lone_link", noted)
    markdown = (
        "- [a](https://x.org/a) — *T* · A · Jan 2017\n"
        "- [a *b*](https://x.org/b)\n"
        "- see [c](https://x.org/c)\n"
        "- [d](https://x.org/d)\n"
    )
    assert [link.label for link in parse_links(markdown)] == ["a", "a b", "c", "d"]
    assert taken == [True, False, False, True]
    taken.clear()
    parse_links(seed_text)
    assert taken.count(True) > len(taken) / 2


def test_a_lone_link_is_what_most_list_items_hold() -> None:
    line = (
        "1. [Paper 1](https://arxiv.org/abs/2101.00001) — *T: a title* · Author et al. · Jan 2021"
    )
    assert parse._only_link_on(line, "https://arxiv.org/abs/2101.00001")
    for after in (" [x](y)", " <b>", " https://x.org", " www.x.org", " a@b.co", " ![i](p)"):
        assert not parse._only_link_on(line + after, "https://arxiv.org/abs/2101.00001")
