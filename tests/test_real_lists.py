"""The constructs of real awesome lists, each through the real `enrich` job (issue 10).

Every case: exit 0, the metadata where GitHub shows it next to the link, and a second run
that changes nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

import pipeline.render
from pipeline.cache import dump_cache
from pipeline.catalog import build_catalog
from pipeline.cli import main
from pipeline.models import Paper
from pipeline.parse import parse_links
from tests.conftest import SEED_README
from tests.factories import make_paper
from tests.gfm import github_page

ATTENTION = "https://arxiv.org/abs/1706.03762"
BERT = "https://arxiv.org/abs/1810.04805"


def paper(arxiv_id: str, title: str, *names: str) -> Paper:
    return make_paper(
        arxiv_id, title, names or ("Ada Lovelace",), fetched_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


ATTENTION_PAPER = paper("1706.03762", "Attention Is All You Need", "Ashish Vaswani")
BERT_PAPER = paper(
    "1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers", "Jacob Devlin"
)


def enrich_twice(
    tmp_path: Path, readme: str, papers: list[Paper], capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    """Run `enrich --offline` twice; the README written and what the first run printed."""
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    (tmp_path / "cache.jsonl").write_text(dump_cache(papers), encoding="utf-8")
    args = [
        "enrich",
        "--offline",
        *("--readme", str(tmp_path / "README.md")),
        *("--catalog", str(tmp_path / "catalog.csv")),
        *("--outputs", str(tmp_path / "outputs")),
        *("--cache", str(tmp_path / "cache.jsonl")),
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert main(args) == 0
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == files
    return (tmp_path / "README.md").read_text(encoding="utf-8"), printed


@pytest.mark.parametrize(
    "title",
    [
        "Code at https://github.com/x/y: a study",
        "Comment on arXiv:1706.03762",
        "Mirrors at www.example.com",
        "Write to authors@example.org",
    ],
)
def test_1_titles_with_links_in_them_stay_text(
    title: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = paper("1810.04805", title, "Jacob Devlin")
    readme, _ = enrich_twice(tmp_path, f"- [BERT]({BERT})\n", [record], capsys)
    page = github_page(readme)
    assert [a.href for a in page.anchors] == [BERT]
    assert page.ems == [title]
    assert [link.url for link in parse_links(readme)] == [BERT]


def test_2_raw_html_links_get_html_metadata_after_the_anchor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (
        f'- <a href="{ATTENTION}">Attention</a>\n\n'
        f'<table>\n<tr><td><a href="{BERT}">BERT</a></td><td>2018</td></tr>\n</table>\n'
    )
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    assert out == (
        f'- <a href="{ATTENTION}">Attention</a> — <em>Attention Is All You Need</em> · '
        "Vaswani · Jun 2017\n\n"
        f'<table>\n<tr><td><a href="{BERT}">BERT</a> — <em>BERT: Pre-training of Deep '
        "Bidirectional Transformers</em> · Devlin · Jun 2017</td><td>2018</td></tr>\n</table>\n"
    )
    assert github_page(out).tables == github_page(readme).tables == [[2]]


def test_3_inline_html_badges_are_not_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    badge = (
        f'<a href="{ATTENTION}"><img src="https://img.shields.io/badge/arXiv-1706.03762-b31b1b.svg">'
        "</a>"
    )
    readme = f"- {badge} [BERT]({BERT})\n"
    assert [link.url for link in parse_links(readme)] == [BERT]
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    assert out.startswith(f"- {badge} [BERT]({BERT}) — *BERT")


def test_3_a_badge_to_the_same_paper_does_not_take_its_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    badge = f"[![arXiv](https://img.shields.io/badge/arXiv-1810.04805-b31b1b.svg)]({BERT})"
    out, _ = enrich_twice(tmp_path, f"- {badge} **BERT** [[Paper]({BERT})]\n", [BERT_PAPER], capsys)
    assert out.startswith(f"- {badge} **BERT** [[Paper]({BERT})] — *BERT: Pre-training")


def test_4_metadata_goes_after_the_bracket_of_a_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (
        f"- BERT [[Paper]({BERT})] [[Code](https://github.com/google-research/bert)]\n"
        f"- Transformer ([pdf]({ATTENTION})) ([blog](https://example.org/))\n"
    )
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    first, second, _ = out.split("\n")
    assert first == (
        f"- BERT [[Paper]({BERT})] — *BERT: Pre-training of Deep Bidirectional Transformers* · "
        "Devlin · Jun 2017 [[Code](https://github.com/google-research/bert)]"
    )
    assert second == (
        f"- Transformer ([pdf]({ATTENTION})) — *Attention Is All You Need* · Vaswani · Jun 2017 "
        "([blog](https://example.org/))"
    )


def test_5_the_arxiv_file_tree_url_names_its_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://arxiv.org/ftp/arxiv/papers/2205/2205.02302.pdf"
    record = paper("2205.02302", "A Data Paper")
    out, printed = enrich_twice(tmp_path, f"- [PDF]({url})\n", [record], capsys)
    assert out == f"- [PDF]({url}) — *A Data Paper* · Lovelace · Jun 2017\n"
    assert "names no paper" not in printed


def test_6_an_unsafe_suffix_is_left_out_and_named_the_rest_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last guard: were the escaping to miss a case, a title would become a link.
    monkeypatch.setattr(pipeline.render, "inert_markdown", pipeline.render.escape_markdown)
    record = paper("1810.04805", "See https://example.org/ for code", "Jacob Devlin")
    readme = f"# List\n\n- [Attention]({ATTENTION})\n- [BERT]({BERT})\n"
    out, printed = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, record], capsys)
    assert out == (
        f"# List\n\n- [Attention]({ATTENTION}) — *Attention Is All You Need* · Vaswani · "
        f"Jun 2017\n- [BERT]({BERT})\n"
    )
    assert f"README.md:4: metadata after {BERT} left out" in printed
    assert "nothing was written" not in printed
    assert "Summary" in printed
    entries, _ = build_catalog(parse_links(out))
    assert (tmp_path / "catalog.csv").read_text(encoding="utf-8").count("\n") == len(entries) + 1


def test_7_an_item_that_says_the_title_does_not_get_it_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (
        f"- **Attention is all you need**, Vaswani et al. [[Paper]({ATTENTION})]\n\n"
        "<table><tr><td>BERT: pre-training of deep bidirectional transformers</td>"
        f'<td><a href="{BERT}">arXiv</a></td></tr></table>\n'
    )
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    assert out.split("\n")[0].endswith(f"[[Paper]({ATTENTION})] — Vaswani · Jun 2017")
    assert f'<a href="{BERT}">arXiv</a> — Devlin · Jun 2017</td>' in out


def test_7_several_links_to_one_paper_in_one_item_get_one_suffix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf = "https://arxiv.org/pdf/1706.03762v5"
    readme = f"- [Transformer]({ATTENTION}) [pdf]({pdf})\n- [again]({pdf})\n"
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER], capsys)
    suffix = " — *Attention Is All You Need* · Vaswani · Jun 2017"
    assert out == f"- [Transformer]({ATTENTION}){suffix} [pdf]({pdf})\n- [again]({pdf}){suffix}\n"


def test_a_nul_byte_is_bad_input_with_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "README.md").write_text(f"# List\n\n- [x]({BERT}) a\0b\n", encoding="utf-8")
    status = main(["enrich", "--offline", "--readme", str(tmp_path / "README.md")])
    assert status == 2
    assert f"{tmp_path / 'README.md'}:3:" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_a_crlf_list_is_enriched_as_the_lf_one_and_keeps_its_line_endings(
    tmp_path: Path, snapshot_papers: dict[str, Paper], capsys: pytest.CaptureFixture[str]
) -> None:
    # "\r\n" is one line ending (only a lone "\r" is refused): the seed list with either
    # gets the same metadata in the same places and the same other files, and stays a fixpoint.
    seed = SEED_README.read_text(encoding="utf-8")
    results = {}
    for name, newline in (("lf", "\n"), ("crlf", "\r\n")):
        (tmp_path / name).mkdir()
        enrich_twice(
            tmp_path / name, seed.replace("\n", newline), [*snapshot_papers.values()], capsys
        )
        results[name] = {
            p.relative_to(tmp_path / name): p.read_bytes()
            for p in (tmp_path / name).rglob("*")
            if p.is_file()
        }
    lf, crlf = results["lf"], results["crlf"]
    readme = Path("README.md")
    assert lf[readme] != seed.encode() and b"\r" not in lf[readme]  # metadata was placed
    assert crlf[readme] == lf[readme].replace(b"\n", b"\r\n")
    assert {p: b for p, b in crlf.items() if p != readme} == {
        p: b for p, b in lf.items() if p != readme
    }


def test_upper_case_scheme_and_host_are_arxiv_links_and_an_upper_case_path_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every form GitHub links (inline, bare URL, autolink, HTML, reference), scheme and host in
    # any case; `/ABS/` is no arXiv page: reported, left without metadata.
    upper = ATTENTION.replace("https://arxiv.org", "HTTPS://ARXIV.ORG")
    mixed = BERT.replace("https://arxiv.org", "HttP://WWW.ArXiv.org")
    path = ATTENTION.replace("/abs/", "/ABS/")
    readme = (
        f"- [A]({upper})\n- {upper}\n- <{mixed}>\n"
        f'- <a href="{upper}">H</a>\n- [R][r]\n- [P]({path})\n\n[r]: {mixed}\n'
    )
    hrefs = [a.href for a in github_page(readme).anchors]
    assert hrefs == [upper, upper, mixed, upper, mixed, path]
    assert [link.url for link in parse_links(readme)] == hrefs
    out, printed = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    attention = " — *Attention Is All You Need* · Vaswani · Jun 2017"
    bert = " — *BERT: Pre-training of Deep Bidirectional Transformers* · Devlin · Jun 2017"
    assert out == (
        f"- [A]({upper}){attention}\n- {upper}{attention}\n- <{mixed}>{bert}\n"
        f'- <a href="{upper}">H</a> — <em>Attention Is All You Need</em> · Vaswani · Jun 2017\n'
        f"- [R][r]{bert}\n- [P]({path})\n\n[r]: {mixed}\n"
    )
    assert f"{path} points at arXiv but names no paper" in printed


def test_links_in_headings_are_entries_and_emphasis_stays_around_its_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = f"# List\n\n### [Attention]({ATTENTION})\n\nRead **[BERT]({BERT})** first.\n"
    assert [link.url for link in parse_links(readme)] == [ATTENTION, BERT]
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    assert out == (
        f"# List\n\n### [Attention]({ATTENTION})\n\nRead **[BERT]({BERT})** — *BERT: "
        "Pre-training of Deep Bidirectional Transformers* · Devlin · Jun 2017 first.\n"
    )


@pytest.mark.parametrize(
    "heading",
    [
        f"[Attention]({ATTENTION})\n===",  # setext, level 1
        f"Models:\n[Attention]({ATTENTION})\n---",  # setext over two lines
        f"> ## Quoted [Attention]({ATTENTION})",  # ATX inside a block quote
        f"- ## In an item [Attention]({ATTENTION})",  # ATX inside a list item
    ],
    ids=["setext", "setext two lines", "in a quote", "in an item"],
)
def test_a_heading_in_any_form_keeps_its_text_and_nothing_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], heading: str
) -> None:
    # Metadata there would rename the section; the safety check then left it out with a
    # "please report this" line on every run (setext and nested headings were not seen).
    readme = f"# List\n\n{heading}\n\n- [BERT]({BERT})\n"
    links = parse_links(readme)
    assert [(link.url, link.in_heading) for link in links] == [(ATTENTION, True), (BERT, False)]
    out, printed = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    assert out.startswith(f"# List\n\n{heading}\n\n- [BERT]({BERT}) — *BERT: ")
    assert "left out" not in printed


# Found in the field (2026-11-29): real lists' constructs, cut down to the line that broke.

BERT_SUFFIX = " — *BERT: Pre-training of Deep Bidirectional Transformers* · Devlin · Jun 2017"
ATTENTION_HTML_SUFFIX = " — <em>Attention Is All You Need</em> · Vaswani · Jun 2017"


def assert_shows_the_original_plus_metadata(original: str, regenerated: str) -> None:
    """What GitHub shows: the same links, images and elements, plus <em> titles only."""
    before, after = github_page(original), github_page(regenerated)
    assert [a.href for a in after.anchors] == [a.href for a in before.anchors]
    assert after.images == before.images
    added = Counter(after.tags) - Counter(before.tags)
    assert set(added) <= {"em"}
    assert not Counter(before.tags) - Counter(after.tags)


# Each case: the README up to where its metadata goes, and the rest of it.
@pytest.mark.parametrize(
    ("head", "tail"),
    [
        # The URL in a code span first: the metadata went into the code span.
        (f"- `{BERT}` {BERT}", "\n"),
        (f"- `[L]({BERT})` [L]({BERT})", "\n"),
        (f"- ``a ` [L]({BERT})`` [L]({BERT})", "\n"),
        # The URL inside another link's destination first: no bare link starts there.
        (f"- [x](https://github.com/a?u={BERT}) {BERT}", "\n"),
        # A destination written with an escape or an entity names the URL cmark-gfm reads.
        ("- [Esc](https://arxiv.org/abs/1810\\.04805)", "\n"),
        ("- [Amp](https://arxiv.org/abs/1810.04805?a=1&amp;b=2)", "\n"),
        # An HTML comment before the link holds the same URL: the metadata went in there.
        (f"- Paper <!-- [old]({BERT}) --> [A]({BERT})", "\n"),
        (f"- See <!-- {BERT} --> {BERT}", "\n"),
        # A reference definition inside a block quote still defines the reference.
        (f"> [q]: {BERT}\n\nSee [q]", ".\n"),
        # The URL in another link's title, link text or an image's alt text first.
        (f'- [code](https://github.com/x "{BERT}") {BERT}', "\n"),
        (f"- [see {BERT}](https://github.com/x) {BERT}", "\n"),
        (f"- ![see {BERT}](https://img.example/x.png) {BERT}", "\n"),
        # A reference link in a code span first.
        ("- `[x][r]` then [Paper][r]", f"\n\n  [r]: {BERT}\n"),
        # A definition in the link's own item: its URL is no bare link.
        ("- b [A][r]", f"\n\n  [r]: {BERT}\n"),
    ],
    ids=[
        "URL in a code span",
        "link in a code span",
        "link in a double-backtick code span",
        "URL in another destination",
        "escaped destination",
        "entity in destination",
        "link in a comment",
        "URL in a comment",
        "definition in a quote",
        "URL in a title",
        "URL in link text",
        "URL in alt text",
        "reference in a code span",
        "definition in the item",
    ],
)
def test_the_metadata_goes_after_the_link_github_shows_not_a_copy_of_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], head: str, tail: str
) -> None:
    readme = head + tail
    out, printed = enrich_twice(tmp_path, readme, [BERT_PAPER], capsys)
    assert out == head + BERT_SUFFIX + tail
    assert "could not place" not in printed and "left out" not in printed
    assert_shows_the_original_plus_metadata(readme, out)


def assert_enriched_as(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], readme: str, expected: str
) -> None:
    """`readme` enriched (twice) is `expected`, all placed, and shows only metadata more."""
    out, printed = enrich_twice(tmp_path, readme, [ATTENTION_PAPER, BERT_PAPER], capsys)
    assert out == expected
    assert "could not place" not in printed and "left out" not in printed
    assert_shows_the_original_plus_metadata(readme, out)


@pytest.mark.parametrize(
    ("readme", "expected"),
    [
        # An anchor tag alone on its line starts an HTML block: joined, it became a paragraph.
        (
            f'<a href="{ATTENTION}">\n  <strong>Transformer</strong>\n</a>\n',
            f'<a href="{ATTENTION}">\n  <strong>Transformer</strong>\n</a>'
            f"{ATTENTION_HTML_SUFFIX}\n",
        ),
        (
            f'1. <a href="{ATTENTION}">\n   Multi-line anchor\n   </a>\n',
            f'1. <a href="{ATTENTION}">\n   Multi-line anchor\n   </a>{ATTENTION_HTML_SUFFIX}\n',
        ),
        # Joined, the quote's `>` became part of the link text.
        (
            f"> [Attention is all\n> you need]({ATTENTION})\n",
            f"> [Attention is all\n> you need]({ATTENTION}) — Vaswani · Jun 2017\n",
        ),
        # Joined, a hard line break (two spaces, or a backslash) in the link text was lost.
        (
            f"- [BERT, first line  \n  second line]({BERT})\n",
            f"- [BERT, first line  \n  second line]({BERT}){BERT_SUFFIX}\n",
        ),
        (
            f"- [BERT, first line\\\n  second line]({BERT})\n",
            f"- [BERT, first line\\\n  second line]({BERT}){BERT_SUFFIX}\n",
        ),
    ],
    ids=["HTML block", "HTML block in an item", "quote", "hard break", "backslash break"],
)
def test_a_link_over_several_lines_is_joined_only_where_that_reads_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], readme: str, expected: str
) -> None:
    assert_enriched_as(tmp_path, capsys, readme, expected)


def test_a_link_over_soft_wrapped_lines_is_still_joined(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = f"- [BERT, on\n  two lines]({BERT})\n"
    out, _ = enrich_twice(tmp_path, readme, [BERT_PAPER], capsys)
    assert out == f"- [BERT, on two lines]({BERT}){BERT_SUFFIX}\n"
    assert_shows_the_original_plus_metadata(readme, out)


ATTENTION_SUFFIX = " — *Attention Is All You Need* · Vaswani · Jun 2017"


@pytest.mark.parametrize(
    "readme",
    [
        # floodsung/Deep-Learning-Papers-Reading-Roadmap writes every entry this way: the
        # suffix went after the text, mid-citation ("... · Jun 2017 (2017). [[pdf]]").
        f'- Vaswani, et al. "Attention." arXiv preprint arXiv:1706.03762 (2017). '
        f"[[pdf]]({ATTENTION})\n",
        # What the earlier rule wrote there moves to the link.
        f"- Vaswani, et al. arXiv:1706.03762{ATTENTION_SUFFIX} (2017). [[pdf]]({ATTENTION})\n",
    ],
    ids=["first run", "written by the earlier rule"],
)
def test_a_link_takes_the_metadata_from_its_arxiv_id_written_as_text_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], readme: str
) -> None:
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER], capsys)
    text_before_link = readme.split(" [[pdf]]")[0].replace(ATTENTION_SUFFIX, "")
    assert out == f"{text_before_link} [[pdf]]({ATTENTION}){ATTENTION_SUFFIX}\n"


def test_an_arxiv_id_written_as_text_alone_keeps_the_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = "- Vaswani, et al. arXiv:1706.03762 (2017). [[code]](https://github.com/x/y)\n"
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER], capsys)
    assert out == (
        f"- Vaswani, et al. arXiv:1706.03762{ATTENTION_SUFFIX} (2017). "
        "[[code]](https://github.com/x/y)\n"
    )


@pytest.mark.parametrize(
    "readme",
    [
        # CJK text right after bold: the `**` are literal on GitHub (no space or punctuation
        # after them), so the link is no bold group; the date's digit before the second
        # `**` would make it close one, which an empty comment prevents.
        f"- **[论文]({ATTENTION})**发表于 NeurIPS\n",
        f"- **[Transformer]({ATTENTION})**2017\n",
        f"- ~~[Transformer]({ATTENTION})~~x\n",
    ],
    ids=["CJK after bold", "year after bold", "letter after strikethrough"],
)
def test_literal_emphasis_marks_around_a_link_stay_literal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], readme: str
) -> None:
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER], capsys)
    link_end = readme.index(")") + 1
    assert out == readme[:link_end] + ATTENTION_SUFFIX + "<!-- -->" + readme[link_end:]
    assert_shows_the_original_plus_metadata(readme, out)


def test_an_empty_title_shows_as_nothing_and_is_a_fixpoint_in_html_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # atom.py refuses an empty title; a cache written by hand or by an old version may not.
    readme = f'- [Paper]({ATTENTION})\n- <a href="{BERT}">BERT</a>\n'
    untitled = [paper("1706.03762", "", "Ashish Vaswani"), paper("1810.04805", " ", "J Devlin")]
    out, _ = enrich_twice(tmp_path, readme, untitled, capsys)
    assert out == (
        f"- [Paper]({ATTENTION}) — Vaswani · Jun 2017\n"
        f'- <a href="{BERT}">BERT</a> — Devlin · Jun 2017\n'
    )


@pytest.mark.parametrize(
    "item",
    [
        # A CVF file name holds the title's words; GitHub shows only "[CVF]".
        "[[CVF]](http://openaccess.thecvf.com/content_cvpr_2017/papers/"
        f"Attention_Is_All_You_Need_CVPR_2017_paper.pdf) [[arXiv]]({ATTENTION})",
        f"Paper [pdf]({ATTENTION}) <!-- Attention Is All You Need -->",
        f"![Attention Is All You Need](fig.png) [pdf]({ATTENTION})",
        f'<a href="{ATTENTION}" title="Attention Is All You Need">pdf</a>',
    ],
    ids=["in a URL", "in a comment", "in alt text", "in a tag"],
)
def test_the_title_is_shown_when_the_item_says_it_only_where_github_shows_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], item: str
) -> None:
    out, _ = enrich_twice(tmp_path, f"- {item}\n", [ATTENTION_PAPER], capsys)
    assert github_page(out).ems == ["Attention Is All You Need"]


@pytest.mark.parametrize(
    ("readme", "expected"),
    [
        # GitHub renders footnotes: `[^1]:` defines one (a reference definition before).
        (
            f"Transformers[^1].\n\n[^1]: {ATTENTION}\n",
            f"Transformers[^1].\n\n[^1]: {ATTENTION}{ATTENTION_SUFFIX}\n",
        ),
        # A link in a footnote's indented second paragraph (read as code before).
        (
            f"- BERT[^b]\n\n[^b]: Devlin et al.\n\n    [BERT]({BERT})\n",
            f"- BERT[^b]\n\n[^b]: Devlin et al.\n\n    [BERT]({BERT}){BERT_SUFFIX}\n",
        ),
        # Footnotes come last in cmark-gfm's tree: edits below one still land right.
        (
            f"Intro[^1] and [BERT on\ntwo lines]({BERT}).\n\n[^1]: {ATTENTION}\n\n"
            f"- [again]({BERT})\n",
            f"Intro[^1] and [BERT on two lines]({BERT}){BERT_SUFFIX}.\n\n"
            f"[^1]: {ATTENTION}{ATTENTION_SUFFIX}\n\n- [again]({BERT}){BERT_SUFFIX}\n",
        ),
    ],
    ids=["definition", "second paragraph", "before and after a join"],
)
def test_links_in_footnotes_are_entries_as_github_shows_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], readme: str, expected: str
) -> None:
    assert_enriched_as(tmp_path, capsys, readme, expected)


def test_lines_after_a_joined_link_in_a_footnote_are_counted_in_line_order() -> None:
    # cmark-gfm puts footnotes last; the lines a join removes shift what is below it.
    readme = f"Intro[^1].\n\n[^1]: [Attention on\n  two lines]({ATTENTION})\n\n- [again]({BERT})\n"
    entries, _ = build_catalog(parse_links(readme))
    assert [entry.link.line for entry in entries] == [6, 3]  # document order: footnote last
    papers = {"1706.03762": ATTENTION_PAPER, "1810.04805": BERT_PAPER}
    rendered = pipeline.render.render_readme(readme, entries, papers)
    lines = rendered.text.split("\n")
    for entry in entries:
        assert entry.link.url in lines[rendered.line_of[entry.link.position] - 1]


@pytest.mark.parametrize(
    "badge",
    [
        f"[![arXiv [2017]](https://img.shields.io/a.svg)]({ATTENTION})",  # brackets in alt
        f'[![arXiv](https://img.shields.io/a.svg "arXiv (2017)")]({ATTENTION})',  # a title
        f'<a href="{ATTENTION}"><picture><source srcset="a.svg"><img src="a.svg"></picture></a>',
        f"[![arXiv][b]]({ATTENTION})",  # a reference image
        f"![figure]({ATTENTION})",  # an image, not a link
    ],
    ids=["alt with brackets", "image title", "picture", "reference image", "image"],
)
def test_the_metadata_goes_after_the_paper_link_not_a_badge_or_image_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], badge: str
) -> None:
    readme = f"- {badge} [Paper]({ATTENTION})\n\n[b]: https://img.shields.io/badge/arXiv-red\n"
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER], capsys)
    assert out == readme.replace(f"[Paper]({ATTENTION})", f"[Paper]({ATTENTION}){ATTENTION_SUFFIX}")


def test_the_metadata_goes_after_the_paper_reference_not_a_badge_before_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = f"- [![arXiv](https://img.shields.io/a.svg)][r] [Paper][r]\n\n[r]: {ATTENTION}\n"
    out, _ = enrich_twice(tmp_path, readme, [ATTENTION_PAPER], capsys)
    assert out == readme.replace("[Paper][r]", f"[Paper][r]{ATTENTION_SUFFIX}")
