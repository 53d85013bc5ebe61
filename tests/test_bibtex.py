"""papers.bib: parsed back with bibtexparser, on the seed list and on awkward metadata."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from bibtexparser.entrypoint import parse_string, write_string
from bibtexparser.library import Library
from bibtexparser.middlewares import AddEnclosingMiddleware, LatexDecodingMiddleware
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat
from hypothesis import given
from hypothesis import strategies as st

import pipeline.bibtex
from pipeline.bibtex import FIELD_ORDER, bibtex_text, citation_keys, latex
from pipeline.models import ArxivRef, CatalogEntry, Link, Paper
from tests.conftest import SeedCatalog
from tests.factories import make_paper


def paper(arxiv_id: str, title: str, authors: list[str], year: int = 2020, **more: object) -> Paper:
    return make_paper(
        arxiv_id,
        title,
        authors,
        abstract="An abstract.",
        published=datetime(year, 5, 1, tzinfo=UTC),
        abs_url=f"https://arxiv.org/abs/{arxiv_id}v1",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}v1",
        **more,
    )


def entry(position: int, arxiv_id: str) -> CatalogEntry:
    url = f"https://arxiv.org/abs/{arxiv_id}"
    link = Link(position, "Papers", "", "x", url, position, position, position)
    return CatalogEntry(link, ArxivRef(arxiv_id))


def as_tex_reads(text: str) -> str:
    """What TeX makes of ligatures arXiv authors type: `--` is an en dash, `''` a quote."""
    text = " ".join(text.split())
    for typed, printed in (("---", "—"), ("--", "–"), ("''", "”"), ("``", "“")):
        text = text.replace(typed, printed)
    return text


def parse(text: str) -> Library:
    library = parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def test_seed_list_has_one_entry_per_paper_in_arxiv_form(
    seed_catalog: SeedCatalog,
) -> None:
    entries, papers = seed_catalog
    library = parse(bibtex_text(entries, papers))
    ids = list(dict.fromkeys(e.arxiv_id for e in entries if e.arxiv_id))
    assert [e["eprint"] for e in library.entries] == ids  # list order, duplicates once
    keys = [e.key for e in library.entries]
    assert len(set(keys)) == len(keys)
    for bib in library.entries:
        source = papers[bib["eprint"]]
        assert bib.entry_type == "misc"
        # A snapshot record may not know the primary category: then there is no primaryClass.
        expected = [k for k in FIELD_ORDER if k != "doi"]
        if source.primary_category is None:
            expected.remove("primaryClass")
        assert [f.key for f in bib.fields] == expected
        assert bib["title"] == as_tex_reads(source.title)
        assert bib["author"].split(" and ") == [as_tex_reads(a.name) for a in source.authors]
        assert source.published is not None
        assert bib["year"] == str(source.published.year)
        assert bib["archivePrefix"] == "arXiv"
        if source.primary_category:
            assert bib["primaryClass"] == source.primary_category
        assert bib["url"] == f"https://arxiv.org/abs/{source.arxiv_id}"
        surname = re.sub(r"[^a-z]", "", source.authors[0].name.split()[-1].lower())
        assert re.fullmatch(rf"{surname}{source.published.year}[a-z0-9]+", bib.key), bib.key


def test_known_keys_of_the_seed(seed_catalog: SeedCatalog) -> None:
    keys = {e["eprint"]: e.key for e in parse(bibtex_text(*seed_catalog)).entries}
    assert keys["1706.03762"] == "vaswani2017attention"
    assert keys["1810.04805"] == "devlin2018bert"
    assert keys["2305.13245"] == "ainslie2023gqa"


def test_same_input_same_bytes(seed_catalog: SeedCatalog) -> None:
    entries, papers = seed_catalog
    assert bibtex_text(entries, papers) == bibtex_text(entries, dict(reversed(papers.items())))


def test_doi_is_written_when_the_paper_has_one() -> None:
    with_doi = paper("2001.00001", "Title", ["Ann Lee"], doi="10.1000/xyz_1")
    (bib,) = parse(bibtex_text([entry(1, "2001.00001")], {"2001.00001": with_doi})).entries
    assert bib["doi"] == "10.1000/xyz_1"
    assert [f.key for f in bib.fields] == list(FIELD_ORDER)


def test_papers_without_metadata_are_left_out() -> None:
    known = paper("2001.00001", "Known", ["Ann Lee"])
    text = bibtex_text([entry(1, "2001.00001"), entry(2, "2001.99999")], {"2001.00001": known})
    assert [e["eprint"] for e in parse(text).entries] == ["2001.00001"]


def test_shared_keys_get_suffixes_and_older_keys_do_not_move() -> None:
    first = paper("2001.00002", "On the Attention of Models", ["Ann Lee"])
    second = paper("2003.00001", "Attention, again", ["Bo Lee"])
    assert citation_keys([second, first]) == {
        "2001.00002": "lee2020attention",
        "2003.00001": "lee2020attentionb",
    }
    third = paper("2005.00001", "Attention at last", ["Cy Lee"])
    keys = citation_keys([third, first, second])
    assert keys["2001.00002"] == "lee2020attention"
    assert keys["2003.00001"] == "lee2020attentionb"
    assert keys["2005.00001"] == "lee2020attentionc"
    # An old-style ID from 1999 comes before every new-style ID.
    old = paper("cs/9912001", "Attention", ["Di Lee"])
    assert citation_keys([first, old])["cs/9912001"] == "lee2020attention"


def test_keys_are_ascii_and_skip_stop_words_and_tex() -> None:
    odd = paper("2001.00001", "The $\\alpha$-Élan of Things", ["Łucja Müller-Żółć Jr."])
    assert citation_keys([odd]) == {"2001.00001": "mullerzolc2020elan"}
    nameless = paper("2001.00002", "中文", ["李"])
    assert citation_keys([nameless]) == {"2001.00002": "anon2020"}


def test_tex_in_titles_is_kept_and_bare_specials_are_escaped() -> None:
    assert latex("$\\alpha$-tuning of {BERT} for 50% of Q&A_x #1") == (
        "$\\alpha$-tuning of {BERT} for 50{\\%} of Q{\\&}A{\\_}x {\\#}1"
    )
    assert latex("Caf\\'e  au\nlait") == "Caf\\'e au lait"
    assert latex("Federico Lebrón") == "Federico Lebr{\\'o}n"
    assert latex("costs 1$ and 2$") == "costs 1{\\$} and 2{\\$}"
    # Unbalanced braces would swallow the rest of the file: they are escaped.
    assert latex("a { b") == "a {\\textbraceleft} b"
    assert latex("a } b {") == "a {\\textbraceright} b {\\textbraceleft}"


# Text a title or a name may hold, without TeX of its own (`\\`, `$`, `^` decode back differently).
PLAIN = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 .,:;-'()&%#_~éÉüßøŁçñ中文—“”")),
    min_size=1,
    max_size=40,
).filter(str.strip)


@given(title=PLAIN, name=PLAIN)
def test_escaped_values_round_trip(title: str, name: str) -> None:
    name = name.replace(" and ", " ")
    record = paper("2001.00001", title, [name])
    (bib,) = parse(bibtex_text([entry(1, "2001.00001")], {"2001.00001": record})).entries
    assert bib["title"] == as_tex_reads(title)
    assert bib["author"] == as_tex_reads(name)


@given(title=st.text(alphabet=st.sampled_from(list("ab {}\\$&")), min_size=1, max_size=30))
def test_any_braces_and_backslashes_still_give_a_parsable_file(title: str) -> None:
    record = paper("2001.00001", title, ["Ann Lee"])
    text = bibtex_text([entry(1, "2001.00001")], {"2001.00001": record})
    library = parse_string(text)
    assert not library.failed_blocks
    (bib,) = library.entries
    assert bib["eprint"] == "2001.00001"  # the title did not swallow the fields after it


@given(text=st.from_regex(r"[A-Za-z0-9 .,:;!?()'/@+=*|\[\]-]{1,30}", fullmatch=True))
def test_plain_text_shortcut_gives_what_the_encoder_gives(text: str) -> None:
    from pipeline.bibtex import _BALANCED

    assert latex(text) == _BALANCED.unicode_to_latex(" ".join(text.split()))


def test_many_clashing_keys_stay_unique() -> None:
    clashing = [paper(f"2001.{n:05d}", "Same title", ["Ann Lee"]) for n in range(1, 800)]
    keys = citation_keys(clashing)
    assert len(set(keys.values())) == 799
    assert keys["2001.00001"] == "lee2020same"
    assert keys["2001.00002"] == "lee2020sameb"
    assert keys["2001.00027"] == "lee2020samebb"


def as_one_library(entries: list[CatalogEntry], papers: dict[str, Paper]) -> str:
    """papers.bib the plain way: one Library, values enclosed by bibtexparser's middleware."""
    ordered = [papers[e.arxiv_id] for e in entries if e.arxiv_id in papers]
    ordered = list({p.arxiv_id: p for p in ordered}.values())
    keys = citation_keys(ordered)
    library = Library()
    for record in ordered:
        values = {
            "title": latex(record.title),
            "author": " and ".join(latex(a.name) for a in record.authors),
            "year": str(record.published.year) if record.published else None,
            "eprint": record.arxiv_id,
            "archivePrefix": "arXiv",
            "primaryClass": record.primary_category,
            "url": f"https://arxiv.org/abs/{record.arxiv_id}",
            "doi": record.doi,
        }
        fields = [Field(name, values[name]) for name in FIELD_ORDER if values[name]]
        library.add(Entry("misc", keys[record.arxiv_id], fields))
    bibtex_format = BibtexFormat()  # type: ignore[no-untyped-call]
    bibtex_format.indent = "  "
    bibtex_format.block_separator = "\n"
    enclosing = AddEnclosingMiddleware(
        reuse_previous_enclosing=False, enclose_integers=True, default_enclosing="{"
    )
    return str(write_string(library, unparse_stack=[enclosing], bibtex_format=bibtex_format))


def test_seed_file_is_what_one_library_and_the_enclosing_middleware_write(
    seed_catalog: SeedCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries, papers = seed_catalog
    assert bibtex_text(entries, papers) == as_one_library(entries, papers)
    monkeypatch.setattr(pipeline.bibtex, "ENTRIES_PER_WRITE", 2)  # 31 papers: 16 slices
    assert bibtex_text(entries, papers) == as_one_library(entries, papers)


@given(
    titles=st.lists(PLAIN | st.text(max_size=12), min_size=0, max_size=7),
    per_write=st.integers(1, 3),
)
def test_sliced_writing_gives_what_one_library_gives(titles: list[str], per_write: int) -> None:
    papers = {
        f"2001.{n:05d}": paper(f"2001.{n:05d}", title, [title or "Ann Lee"], doi=title or None)
        for n, title in enumerate(titles, start=1)
    }
    entries = [entry(n, arxiv_id) for n, arxiv_id in enumerate(papers, start=1)]
    before = pipeline.bibtex.ENTRIES_PER_WRITE
    pipeline.bibtex.ENTRIES_PER_WRITE = per_write
    try:
        assert bibtex_text(entries, papers) == as_one_library(entries, papers)
    finally:
        pipeline.bibtex.ENTRIES_PER_WRITE = before


def ascii_words_plainly(text: str) -> list[str]:
    """The key's words the plain way: fold, drop what is not ASCII, lowercase, split."""
    folded = unicodedata.normalize("NFKD", text.translate(pipeline.bibtex._FOLD))
    return re.findall(r"[a-z0-9]+", folded.encode("ascii", "ignore").decode("ascii").lower())


@given(text=st.text() | st.text(alphabet=st.characters(max_codepoint=127)))
def test_key_words_shortcuts_give_what_the_plain_way_gives(text: str) -> None:
    assert pipeline.bibtex._ascii_words(text) == ascii_words_plainly(text)
    plain = re.sub(r"\\[A-Za-z]+", " ", re.sub(r"\$[^$]*\$", " ", text))
    assert pipeline.bibtex._without_tex(text) == plain
    words = [w for w in ascii_words_plainly(plain) if w not in pipeline.bibtex.STOP_WORDS]
    assert pipeline.bibtex._first_word(text) == (words[0] if words else "")
