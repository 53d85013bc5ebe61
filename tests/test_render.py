"""Regenerating the README in place: metadata after arXiv links, nothing else touched."""

from __future__ import annotations

from difflib import SequenceMatcher

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.catalog import build_catalog
from pipeline.models import Author, CatalogEntry, Paper
from pipeline.parse import parse_links
from pipeline.render import (
    _nearest,
    author_line,
    escape_markdown,
    label_names_title,
    possible_typos,
    render_readme,
    surname,
)


def render(markdown: str, papers: dict[str, Paper]) -> str:
    entries, _ = build_catalog(parse_links(markdown))
    return render_readme(markdown, entries, papers).text


def test_the_issue_example(snapshot_papers: dict[str, Paper]) -> None:
    line = "1. [GPT3 paper](https://arxiv.org/abs/2005.14165)"
    assert render(line, snapshot_papers) == (
        "1. [GPT3 paper](https://arxiv.org/abs/2005.14165) — "
        "*Language Models are Few-Shot Learners* · Brown et al. · May 2020"
    )


def test_seed_only_arxiv_items_change_and_only_after_their_link(
    seed_text: str, snapshot_papers: dict[str, Paper]
) -> None:
    before = seed_text.split("\n")
    after = render(seed_text, snapshot_papers).split("\n")
    # DistServe's two-line link text becomes one line: everything after it moves up by one.
    assert len(after) == len(before) - 1
    distserve = before.index(
        "6. [DistServe: Disaggregating Prefill and Decoding for Goodput-optimized"
    )
    aligned = [*before[:distserve], None, *before[distserve + 2 :]]
    changed = 0
    for old, new in zip(aligned, after, strict=True):
        if old is None:
            assert new.startswith(
                "6. [DistServe: Disaggregating Prefill and Decoding for Goodput-optimized "
                "Large Language Model Serving](https://arxiv.org/pdf/2401.09670) — "
            )
        elif old != new:
            changed += 1
            assert new.startswith(old + " — ")  # the hand-written line is kept whole
            assert "arxiv.org" in old
    assert changed == 31  # 32 arXiv links, DistServe counted apart


def test_title_shown_only_where_the_label_is_not_the_title(
    snapshot_papers: dict[str, Paper],
) -> None:
    out = render(
        "- [Attention is all you need](https://arxiv.org/pdf/1706.03762)\n"
        "- [Byte-pair Encoding](https://arxiv.org/pdf/1508.07909)\n",
        snapshot_papers,
    )
    assert out.split("\n") == [
        "- [Attention is all you need](https://arxiv.org/pdf/1706.03762)"
        " — Vaswani et al. · Jun 2017",
        "- [Byte-pair Encoding](https://arxiv.org/pdf/1508.07909) — "
        "*Neural Machine Translation of Rare Words with Subword Units* · "
        "Sennrich, Haddow and Birch · Aug 2015",
        "",
    ]


def test_rendering_is_a_fixpoint_and_keeps_the_catalog(
    seed_text: str, snapshot_papers: dict[str, Paper]
) -> None:
    once = render(seed_text, snapshot_papers)
    assert render(once, snapshot_papers) == once
    original, _ = build_catalog(parse_links(seed_text))
    again, _ = build_catalog(parse_links(once))

    def seen(entry: CatalogEntry) -> tuple[str, str, str, str, str | None]:
        link = entry.link
        return (link.label, link.url, link.section, link.subsection, entry.arxiv_id)

    assert [seen(e) for e in again] == [seen(e) for e in original]


def test_changed_metadata_replaces_the_old_suffix(snapshot_papers: dict[str, Paper]) -> None:
    once = render("- [PPO](https://arxiv.org/pdf/1707.06347) and my note", snapshot_papers)
    renamed = dict(snapshot_papers)
    renamed["1707.06347"] = msgspec.structs.replace(
        snapshot_papers["1707.06347"], title="A *new* [title]", authors=(Author("Ada Lovelace"),)
    )
    twice = render(once, renamed)
    assert twice == (
        "- [PPO](https://arxiv.org/pdf/1707.06347) — *A \\*new\\* \\[title\\]* · Lovelace · "
        "Jul 2017 and my note"
    )
    assert render(twice, renamed) == twice


def test_other_link_forms_get_metadata_too(snapshot_papers: dict[str, Paper]) -> None:
    out = render(
        "- <https://arxiv.org/abs/1706.03762>\n- see arXiv:1508.07909 here\n", snapshot_papers
    )
    assert out.split("\n")[0].startswith("- <https://arxiv.org/abs/1706.03762> — *Attention")
    assert out.split("\n")[1].startswith("- see arXiv:1508.07909 — *Neural Machine")


def test_papers_without_metadata_are_left_alone(snapshot_papers: dict[str, Paper]) -> None:
    text = "- [unknown](https://arxiv.org/abs/2601.99999)\n- [web](https://example.org/)\n"
    assert render(text, snapshot_papers) == text


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Ashish Vaswani"], "Vaswani"),
        (["Lee Bereska", "Efstratios Gavves"], "Bereska and Gavves"),
        (["Rico Sennrich", "Barry Haddow", "Alexandra Birch"], "Sennrich, Haddow and Birch"),
        (["Tom B. Brown", "B", "C", "D"], "Brown et al."),
        (["Peter H. N. de With"], "de With"),
        (["Quoc V. Le"], "Le"),
        (["Martin Luther King Jr."], "King"),
        (["DeepSeek-AI", "Daya Guo", "X", "Y"], "DeepSeek-AI et al."),
    ],
)
def test_author_line(names: list[str], expected: str) -> None:
    assert author_line(names) == expected


def test_surname_of_one_word() -> None:
    assert surname("Plato") == "Plato"


def test_typos_on_the_seed_list_flag_only_the_misspelled_label(
    seed_text: str, snapshot_papers: dict[str, Paper]
) -> None:
    links = parse_links(seed_text)
    entries, _ = build_catalog(links)
    flagged = [
        (link.label, possible_typos(link.label, snapshot_papers[e.arxiv_id].title))
        for link, e in zip(links, entries, strict=True)
        if e.arxiv_id and possible_typos(link.label, snapshot_papers[e.arxiv_id].title)
    ]
    assert flagged == [
        (
            "Sacling Laws of Synthetic Data for Lnguage Models",
            [("sacling", "scaling"), ("lnguage", "language")],
        )
    ]


def test_label_title_comparison_ignores_typography() -> None:
    assert label_names_title("Attention is all you need", "Attention Is All You Need")
    assert label_names_title(
        "Language Models are Few-Shot Learners - GPT3", "Language Models are Few-Shot Learners"
    )
    assert not label_names_title("GPT3 paper", "Language Models are Few-Shot Learners")
    assert possible_typos("GPT3 paper", "Language Models are Few-Shot Learners") == []
    assert (
        possible_typos(
            "Scaling Law for Neural Language Model", "Scaling Laws for Neural Language Models"
        )
        == []
    )


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=60))
def test_escaped_titles_render_as_plain_text(title: str) -> None:
    from pipeline.parse import inline_tokens, plain_text

    # After other text, as the metadata is written: a title is never a block of its own.
    rendered = plain_text(inline_tokens("x " + escape_markdown(title.replace("\n", " "))))
    assert rendered == " ".join(["x", *title.replace("\n", " ").split()])


def test_windows_line_endings_are_kept(snapshot_papers: dict[str, Paper]) -> None:
    text = "- [DistServe\r\n  two lines](https://arxiv.org/pdf/2401.09670)\r\n- [web](https://a.example/)\r\n"
    out = render(text, snapshot_papers)
    assert out.startswith("- [DistServe two lines](https://arxiv.org/pdf/2401.09670) — ")
    assert out.endswith("2024\r\n- [web](https://a.example/)\r\n")


def test_links_with_a_title_or_angle_brackets_get_metadata(
    snapshot_papers: dict[str, Paper],
) -> None:
    text = (
        '- [PPO](https://arxiv.org/abs/1707.06347 "the paper") is good\n'
        "- [PPO again](<https://arxiv.org/abs/1707.06347>)\n"
    )
    first, second, _ = render(text, snapshot_papers).split("\n")
    suffix = " — *Proximal Policy Optimization Algorithms* · Schulman et al. · Jul 2017"
    assert first == f'- [PPO](https://arxiv.org/abs/1707.06347 "the paper"){suffix} is good'
    assert second == f"- [PPO again](<https://arxiv.org/abs/1707.06347>){suffix}"


word = st.text(alphabet="abcdefgh", min_size=1, max_size=9)


@given(word, st.lists(word, min_size=1, max_size=8))
def test_nearest_word_is_the_plain_difflib_maximum(label_word: str, title_words: list[str]) -> None:
    # The bounds _nearest uses to skip candidates must never change its answer.
    def ratio(candidate: str) -> float:
        return SequenceMatcher(None, label_word, candidate).ratio()

    best = max(title_words, key=ratio)
    assert _nearest(label_word, title_words, 0.8) == (best if ratio(best) >= 0.8 else None)
