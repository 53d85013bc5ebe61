"""Parsing real arXiv API responses (shared/arxiv-api/recorded)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.atom import MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS, MalformedFeed, parse_feed
from tests.conftest import RECORDINGS

NOW = datetime(2026, 11, 28, tzinfo=UTC)


def recorded(prefix: str) -> tuple[int, bytes]:
    (path,) = RECORDINGS.glob(f"{prefix}_s0_*.json")
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    return int(record["status_code"]), record["body"].encode("latin-1")


def test_one_entry_with_version_categories_and_dates() -> None:
    _, body = recorded("id_1605.08386")
    page = parse_feed(body, NOW)
    assert page.total_results == 1
    (paper,) = page.papers
    assert (paper.arxiv_id, paper.latest_version) == ("1605.08386", 1)
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert [a.name for a in paper.authors] == ["Caprice Stanley", "Tobias Windisch"]
    assert paper.categories == ("math.CO", "math.ST")
    assert paper.primary_category == "math.CO"
    assert paper.published == datetime(2016, 5, 26, 17, 59, 46, tzinfo=UTC)
    assert paper.comment == "20 pages, 3 figures"
    assert paper.abs_url == "https://arxiv.org/abs/1605.08386"
    assert paper.source == "arxiv-api"
    assert paper.fetched_at == NOW


def test_old_style_id_with_affiliations_per_author_and_journal_ref() -> None:
    _, body = recorded("id_astro-ph_0601001")
    (paper,) = parse_feed(body, NOW).papers
    assert paper.arxiv_id == "astro-ph/0601001"
    assert [(a.name, a.affiliations) for a in paper.authors] == [
        ("Andrew Gould", ("Ohio State",)),
        ("Susan Dorsher", ("Ohio State",)),
        ("B. Scott Gaudi", ("CfA",)),
        ("Andrzej Udalski", ("Warsaw University Observatory",)),
    ]
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.abstract is not None and paper.abstract.startswith("We derive")


def test_encoding_survives_and_missing_ids_are_absent() -> None:
    _, body = recorded("id_0808.05394_1707.08567")
    page = parse_feed(body, NOW)
    assert [p.arxiv_id for p in page.papers] == ["1707.08567"]
    assert "Dirk Wübben" in [a.name for a in page.papers[0].authors]


def test_versioned_request_and_a_title_that_is_zero() -> None:
    _, body = recorded("id_2104.12255v1")
    (paper,) = parse_feed(body, NOW).papers
    assert (paper.title, paper.latest_version) == ("0", 1)


@pytest.mark.parametrize("prefix", ["id_0808.05394", "id_0000.0000"])
def test_nonexistent_ids_give_an_empty_page_with_total_zero(prefix: str) -> None:
    status, body = recorded(prefix)
    page = parse_feed(body, NOW)
    assert (status, page.total_results, page.papers) == (200, 0, [])


def test_error_feed_of_a_malformed_id() -> None:
    status, body = recorded("id_abc")
    page = parse_feed(body, NOW)
    assert status == 400
    assert page.papers == []
    assert page.errors == ["incorrect id format for abc"]


def test_hard_wrapped_fields_are_folded() -> None:
    _, body = recorded("id_1605.08386")
    wrapped = body.replace(
        b"<title>Heat-bath random walks with Markov bases</title>",
        b"<title>Heat-bath random walks\n  with   Markov bases</title>",
    )
    assert parse_feed(wrapped, NOW).papers[0].title == "Heat-bath random walks with Markov bases"


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><h1>arXiv is down for maintenance</h1></body></html>",
        b"<!DOCTYPE html><html><head><title>503</title></head><body><p>x<br></body></html>",
        b"",
    ],
)
def test_html_and_empty_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedFeed):
        parse_feed(body, NOW)


def test_truncated_xml_is_malformed() -> None:
    _, body = recorded("id_astro-ph_0601001")
    with pytest.raises(MalformedFeed):
        parse_feed(body[: len(body) // 2], NOW)


def test_a_doctype_is_refused_before_any_entity_is_read() -> None:
    _, body = recorded("id_1605.08386")
    hostile = body.replace(
        b"?>\n",
        b'?>\n<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/hostname">]>\n',
        1,
    ).replace(b"<title>Heat-bath", b"<title>&secret;Heat-bath", 1)
    assert hostile != body
    with pytest.raises(MalformedFeed, match="DOCTYPE"):
        parse_feed(hostile, NOW)


@settings(max_examples=30)
@given(
    title=st.integers(min_value=1, max_value=MAX_TITLE_CHARS + 50),
    abstract=st.integers(min_value=0, max_value=MAX_ABSTRACT_CHARS + 50),
    published=st.sampled_from(["2016-05-26T17:59:46Z", "2016-05-26", "26/05/2016", ""]),
)
def test_an_entry_is_kept_exactly_when_its_fields_are_within_the_limits(
    title: int, abstract: int, published: str
) -> None:
    _, body = recorded("id_1605.08386")
    root = body.decode()
    start = root.index("<title>Heat-bath")
    end = root.index("</title>", start)
    root = root[:start] + "<title>" + "T" * title + root[end:]
    start = root.index("<summary>")
    end = root.index("</summary>", start)
    root = root[:start] + "<summary>" + "a" * abstract + root[end:]
    root = root.replace("<published>2016-05-26T17:59:46Z", f"<published>{published}", 1)
    page = parse_feed(root.encode(), NOW)
    fine = (
        title <= MAX_TITLE_CHARS
        and abstract <= MAX_ABSTRACT_CHARS
        and published.startswith("2016-")
    )
    assert (len(page.papers), len(page.invalid)) == ((1, 0) if fine else (0, 1))
    if not fine:
        assert list(page.invalid) == ["1605.08386"]
