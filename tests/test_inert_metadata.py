"""Metadata from arXiv renders as written on GitHub and adds no link, for any title or name."""

from __future__ import annotations

from html.parser import HTMLParser

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from pipeline.models import Paper
from pipeline.parse import parse_links
from pipeline.render import author_line, metadata_suffix
from tests.factories import make_paper
from tests.gfm import github_html, github_page

URL = "https://arxiv.org/abs/1706.03762"
LABEL = "🔗"  # no words: the title is always written

# What real titles and names hold that a renderer may read as markup or as a link.
TRAPS = [
    "https://github.com/x/y",
    "http://example.org/a_b_(c)",
    "ftp://ftp.example.org/x",
    "www.example.com",
    "WWW.EXAMPLE.COM",
    "user@example.com",
    "a.b+c@sub.example.co.uk",
    "mailto:a@b.co",
    "xmpp:me@jabber.org",
    "arXiv:1706.03762",
    "arxiv:hep-th/9901001v2",
    "//cdn.example.org/x",
    "<b>bold</b>",
    "<script>x</script>",
    "<!-- c -->",
    "*em* _em_ **strong** __strong__",
    "~~gone~~",
    "`code`",
    "[x](http://y.z)",
    "![i](http://y.z/i.png)",
    "&amp; &#42; &copy;",
    "a | b",
    "\\*",
    "# not a heading",
    "1. not a list",
    "Müller, Çelik, 王小明, Łukasz, José",
]
text = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=40)
trap_text = st.lists(st.one_of(text, st.sampled_from(TRAPS)), min_size=1, max_size=4).map(" ".join)


def paper(title: str, names: list[str]) -> Paper:
    return make_paper(
        "1706.03762", title, names, primary_category=None, categories=(), abs_url=URL, pdf_url=URL
    )


def documents(suffix_of: dict[str, str]) -> dict[str, str]:
    """The same link and metadata as Markdown, inline HTML and inside an HTML table."""
    return {
        "markdown": f"- [{LABEL}]({URL}){suffix_of['markdown']}\n",
        "inline html": f'- <a href="{URL}">{LABEL}</a>{suffix_of["inline html"]}\n',
        "html block": (
            f'<table>\n<tr><td><a href="{URL}">{LABEL}</a>{suffix_of["html block"]}</td>'
            "</tr>\n</table>\n"
        ),
    }


@settings(max_examples=150)
@given(trap_text, st.lists(trap_text, min_size=1, max_size=5))
@example("Code at https://github.com/x/y: a study", ["Ada Lovelace"])
@example("Comment on arXiv:1706.03762", ["A. user@example.com"])
@example("See www.example.com and mailto:a@b.co", ["Jean-Luc O'Neil <jl@x.org>"])
def test_metadata_renders_as_written_and_links_nothing(title: str, names: list[str]) -> None:
    assume(title.strip())
    record = paper(title, names)
    suffix_of = {
        "markdown": metadata_suffix(record),
        "inline html": metadata_suffix(record, html=True),
        "html block": metadata_suffix(record, html=True, html_block=True),
    }
    shown_title = " ".join(title.split())
    shown_authors = " ".join(author_line(names).split())
    for context, document in documents(suffix_of).items():
        page = github_page(document)
        assert [a.href for a in page.anchors] == [URL], context
        assert page.ems == [shown_title], context
        assert page.tags.count("em") == 1 and "strong" not in page.tags, context
        expected = f" — {shown_title} · {shown_authors} · Jun 2017"
        assert _text_after_link(document) == expected, context
        assert [(link.label, link.url) for link in parse_links(document)] == [(LABEL, URL)], context


def _text_after_link(document: str) -> str:
    """The visible text of the list item or cell after the link, as GitHub shows it."""

    class After(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.after_link = False
            self.parts: list[str] = []

        def handle_endtag(self, tag: str) -> None:
            if tag == "a":
                self.after_link = True
            elif tag in ("li", "td"):
                self.after_link = False

        def handle_data(self, data: str) -> None:
            if self.after_link:
                self.parts.append(data)

    reader = After()
    reader.feed(github_html(document))
    return "".join(reader.parts).rstrip("\n")


@settings(max_examples=100)
@given(trap_text, st.lists(trap_text, min_size=1, max_size=5), trap_text)
@example("A title · Jan 2020", ["Ada · Lovelace"], "New · Feb 2021 *x*")
@example("\\", [""], "0")
def test_metadata_is_replaced_not_added_to_whatever_it_says(
    title: str, names: list[str], new_title: str
) -> None:
    from pipeline.catalog import build_catalog
    from pipeline.render import render_readme

    assume(title.strip() and new_title.strip())
    document = "\n".join(documents({"markdown": "", "inline html": "", "html block": ""}).values())
    links = parse_links(document)
    entries, _ = build_catalog(links)
    once = render_readme(document, entries, {"1706.03762": paper(title, names)}).text
    again_links = parse_links(once)
    assert [(link.label, link.url) for link in again_links] == [(LABEL, URL)] * 3
    entries, _ = build_catalog(again_links)
    assert render_readme(once, entries, {"1706.03762": paper(title, names)}).text == once
    # New metadata replaces the old, whatever the old said.
    changed = {"1706.03762": paper(new_title, names[:1])}
    replaced = render_readme(once, entries, changed).text
    expected = render_readme(document, build_catalog(links)[0], changed).text
    assert replaced == expected
