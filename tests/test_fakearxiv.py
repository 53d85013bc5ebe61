"""The fake arXiv API (tests/fakearxiv.py) behaves like the recorded real one.

Every claim the rest of the suite relies on is checked here over real HTTP with httpx:
the recorded answers are reproduced (status, entries, bytes), plus the documented behaviour
that was not recorded (default max_results, paging, 414 on long GETs) and every fault.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import tests.fakearxiv
from tests.fakearxiv import FakeArxiv, is_well_formed_id, reference_data

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
RECORDED = reference_data() / "arxiv-api" / "recorded"
SNAPSHOT = reference_data() / "arxiv-snapshot" / "papers.jsonl"
RECORDINGS = sorted(RECORDED.glob("*.json"))


@pytest.fixture
def fake() -> Iterator[FakeArxiv]:
    with FakeArxiv().start() as server:
        server.add_recordings(RECORDED)
        server.add_snapshot(SNAPSHOT)
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=httpx.Timeout(5.0, connect=1.0)) as client:
        yield client


def entries(body: bytes) -> list[tuple[str, str]]:
    """(entry id, title with whitespace folded) of every entry in a feed."""
    root = ET.fromstring(body)
    return [
        (
            (entry.findtext(f"{ATOM}id") or "").strip(),
            " ".join((entry.findtext(f"{ATOM}title") or "").split()),
        )
        for entry in root.iterfind(f"{ATOM}entry")
    ]


def opensearch(body: bytes) -> tuple[int, int, int]:
    """(totalResults, startIndex, itemsPerPage) of a feed."""
    root = ET.fromstring(body)
    total, start, per_page = (
        int(root.findtext(f"{OPENSEARCH}{name}") or "-1")
        for name in ("totalResults", "startIndex", "itemsPerPage")
    )
    return total, start, per_page


def load_recording(path: Path) -> tuple[str, int, bytes]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["url"], data["status_code"], data["body"].encode("latin-1")


def without_volatile_parts(body: bytes) -> bytes:
    """The feed minus what differs between two identical queries: its id and timestamp."""
    body = re.sub(rb"<id>https://arxiv\.org/api/[^<]*</id>", b"<id>FEED</id>", body, count=1)
    stamp = re.search(rb"<updated>([^<]*)</updated>", body)
    assert stamp is not None
    return body.replace(stamp.group(1), b"NOW")


# -- the recordings, reproduced ----------------------------------------------------------------


@pytest.mark.parametrize("recording", RECORDINGS, ids=lambda p: p.name.split("_s0_")[0])
def test_each_recorded_request_gets_the_recorded_answer(
    fake: FakeArxiv, http: httpx.Client, recording: Path
) -> None:
    url, status, recorded = load_recording(recording)
    reply = http.get(f"{fake.url}?{urlsplit(url).query}")
    assert reply.status_code == status
    assert entries(reply.content) == entries(recorded)
    assert opensearch(reply.content) == opensearch(recorded)
    # Byte for byte, once the feed's own id and timestamp are set aside.
    assert without_volatile_parts(reply.content) == without_volatile_parts(recorded)
    assert reply.headers["Content-Type"] == "application/atom+xml; charset=UTF-8"


def test_a_malformed_id_is_a_400_error_feed(fake: FakeArxiv, http: httpx.Client) -> None:
    reply = http.get(fake.url, params={"id_list": "abc"})
    assert reply.status_code == 400
    root = ET.fromstring(reply.content)
    (entry,) = root.iterfind(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Error"
    assert entry.findtext(f"{ATOM}summary") == "incorrect id format for abc"
    assert entry.findtext(f"{ATOM}id") == "https://arxiv.org/api/errors#incorrect_id_format_for_abc"


def test_a_missing_id_is_simply_absent_from_the_batch(fake: FakeArxiv, http: httpx.Client) -> None:
    reply = http.get(fake.url, params={"id_list": "0808.05394,1707.08567"})
    assert reply.status_code == 200
    assert [i for i, _ in entries(reply.content)] == ["http://arxiv.org/abs/1707.08567v1"]
    assert opensearch(reply.content)[0] == 1


def test_a_versioned_id_returns_that_version(fake: FakeArxiv, http: httpx.Client) -> None:
    reply = http.get(fake.url, params={"id_list": "2104.12255v1"})
    assert entries(reply.content) == [("http://arxiv.org/abs/2104.12255v1", "0")]


def test_utf8_names_survive_byte_exact(fake: FakeArxiv, http: httpx.Client) -> None:
    reply = http.post(fake.url, data={"id_list": "1707.08567"})
    assert b"<name>Dirk W\xc3\xbcbben</name>" in reply.content
    assert "Dirk Wübben" in reply.text


def test_affiliations_and_journal_ref_of_the_old_style_recording(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    root = ET.fromstring(http.get(fake.url, params={"id_list": "astro-ph/0601001"}).content)
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    first = entry.find(f"{ATOM}author")
    assert first is not None
    assert first.findtext(f"{ARXIV}affiliation") == "Ohio State"
    assert entry.findtext(f"{ARXIV}journal_ref") == "ActaAstron.56:1-50,2006"


# -- ID validation -----------------------------------------------------------------------------

WELL_FORMED = [
    "0000.0000",  # recorded: 200 and an empty feed, so the live API checks only the shape
    "0808.05394",  # recorded: five digits before 2015 are accepted too
    "1706.03762",
    "1706.03762v3",
    "2501.12948",
    "astro-ph/0601001",
    "quant-ph/0201082v1",
    "math.GT/0309136",
    "hep-th/9901001v2",
]
MALFORMED = [
    "abc",
    "1706.037",
    "1706.037621",
    "1706.03762v",
    "arXiv:1706.03762",
    "https://arxiv.org/abs/1706.03762",
    "astro-ph/060100",
    "ASTRO-PH/0601001",
    "astro-ph0601001",
]


@pytest.mark.parametrize("arxiv_id", WELL_FORMED)
def test_well_formed_ids_are_accepted(fake: FakeArxiv, http: httpx.Client, arxiv_id: str) -> None:
    assert is_well_formed_id(arxiv_id)
    assert http.get(fake.url, params={"id_list": arxiv_id}).status_code == 200


@pytest.mark.parametrize("arxiv_id", MALFORMED)
def test_malformed_ids_are_rejected(fake: FakeArxiv, http: httpx.Client, arxiv_id: str) -> None:
    assert not is_well_formed_id(arxiv_id)
    reply = http.post(fake.url, data={"id_list": f"1706.03762,{arxiv_id},also-bad"})
    assert reply.status_code == 400
    # The whole request fails, naming the first malformed ID.
    assert f"<summary>incorrect id format for {arxiv_id}</summary>".encode() in reply.content
    assert entries(reply.content)[0][0].endswith(f"#incorrect_id_format_for_{arxiv_id}")


def test_bad_paging_parameters_are_a_400(fake: FakeArxiv, http: httpx.Client) -> None:
    reply = http.get(fake.url, params={"id_list": "1706.03762", "start": "x"})
    assert reply.status_code == 400
    assert b"start must be an integer" in reply.content
    reply = http.get(fake.url, params={"id_list": "1706.03762", "max_results": "-1"})
    assert reply.status_code == 400
    assert b"max_results must be non-negative" in reply.content


# -- paging, truncation, URL length ------------------------------------------------------------


def test_default_max_results_truncates_silently(fake: FakeArxiv, http: httpx.Client) -> None:
    ids = fake.add_synthetic(15)
    reply = http.get(fake.url, params={"id_list": ",".join(ids)})
    assert len(entries(reply.content)) == 10
    assert opensearch(reply.content) == (15, 0, 10)


def test_pages_follow_start_in_id_list_order(fake: FakeArxiv, http: httpx.Client) -> None:
    ids = list(reversed(fake.add_synthetic(15)))
    pages = [
        http.post(fake.url, data={"id_list": ",".join(ids), "start": s, "max_results": "6"})
        for s in ("0", "6", "12")
    ]
    got = [i.removeprefix("http://arxiv.org/abs/") for p in pages for i, _ in entries(p.content)]
    assert got == [f"{i}v1" for i in ids]
    assert [opensearch(p.content) for p in pages] == [(15, 0, 6), (15, 6, 6), (15, 12, 6)]


def test_missing_ids_do_not_count_in_total_results(fake: FakeArxiv, http: httpx.Client) -> None:
    reply = http.get(fake.url, params={"id_list": "1706.03762,0000.0000,1810.04805"})
    assert opensearch(reply.content)[0] == 2


def test_no_more_than_2000_entries_per_answer(fake: FakeArxiv, http: httpx.Client) -> None:
    ids = fake.add_synthetic(2500)
    reply = http.post(fake.url, data={"id_list": ",".join(ids), "max_results": "2500"})
    assert len(entries(reply.content)) == 2000
    assert opensearch(reply.content) == (2500, 0, 2500)


def test_long_get_is_414_but_the_same_post_works(fake: FakeArxiv, http: httpx.Client) -> None:
    ids = fake.add_synthetic(700)
    params = {"id_list": ",".join(ids), "max_results": "700"}
    assert http.get(fake.url, params=params).status_code == 414
    reply = http.post(fake.url, data=params)
    assert reply.status_code == 200
    assert len(entries(reply.content)) == 700
    assert [(r.method, r.status, len(r.ids)) for r in fake.requests] == [
        ("GET", 414, 700),
        ("POST", 200, 700),
    ]


def test_the_url_limit_is_configurable(http: httpx.Client) -> None:
    with FakeArxiv(max_url_length=100) as small:
        small.add_paper("2001.00001", title="T", authors=["A"])
        assert http.get(small.url, params={"id_list": "2001.00001"}).status_code == 200
        assert http.get(small.url, params={"id_list": "2001.00001," * 10}).status_code == 414


def test_other_paths_are_404(fake: FakeArxiv, http: httpx.Client) -> None:
    assert http.get(fake.url.replace("/api/query", "/api/other")).status_code == 404


# -- generated entries -------------------------------------------------------------------------


def test_generated_titles_and_abstracts_are_hard_wrapped(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    reply = http.get(fake.url, params={"id_list": "1706.03762"})
    assert b"<title>Attention Is All\n  You Need</title>" in reply.content
    assert b"<summary>  The dominant sequence transduction models" in reply.content
    summary = re.search(rb"<summary>(.*?)</summary>", reply.content, re.DOTALL)
    assert summary is not None and summary.group(1).count(b"\n  ") >= 5
    assert entries(reply.content) == [
        ("http://arxiv.org/abs/1706.03762v7", "Attention Is All You Need")
    ]


def test_every_snapshot_paper_is_served_like_the_snapshot(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    rows = [json.loads(line) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]
    reply = http.post(
        fake.url, data={"id_list": ",".join(r["arxiv_id"] for r in rows), "max_results": "100"}
    )
    root = ET.fromstring(reply.content)
    served = list(root.iterfind(f"{ATOM}entry"))
    assert len(served) == len(rows) == 31
    for row, entry in zip(rows, served, strict=True):
        version = row["latest_version"] or 1
        assert entry.findtext(f"{ATOM}id") == f"http://arxiv.org/abs/{row['arxiv_id']}v{version}"
        assert " ".join((entry.findtext(f"{ATOM}title") or "").split()) == row["title"]
        names = [a.findtext(f"{ATOM}name") for a in entry.iterfind(f"{ATOM}author")]
        assert names == row["authors"]
        published = entry.findtext(f"{ATOM}published") or ""
        assert published.startswith(row["published"]) and published.endswith("Z")
        if row["abstract"]:
            summary = entry.findtext(f"{ATOM}summary") or ""
            assert " ".join(summary.split()) == " ".join(row["abstract"].split())


def test_snapshot_gaps_get_sensible_values(fake: FakeArxiv, http: httpx.Client) -> None:
    # 2503.19551 has neither latest_version nor updated; 1508.07909 has dates only.
    root = ET.fromstring(http.get(fake.url, params={"id_list": "2503.19551,1508.07909"}).content)
    first, second = root.iterfind(f"{ATOM}entry")
    assert first.findtext(f"{ATOM}id") == "http://arxiv.org/abs/2503.19551v1"
    assert first.findtext(f"{ATOM}updated") == first.findtext(f"{ATOM}published")
    assert second.findtext(f"{ATOM}published") == "2015-08-31T00:00:00Z"
    assert second.findtext(f"{ATOM}updated") == "2016-06-10T00:00:00Z"


def test_add_paper_renders_every_field_escaped(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.add_paper(
        "2001.12345",
        title="Less <than> & more",
        authors=["Ann Ö", "Bob"],
        abstract="x < y & z",
        version=2,
        published="2020-01-30",
        categories=("cs.LG", "stat.ML"),
        comment="3 pages",
        journal_ref="J. Fake 1 (2020)",
        doi="10.1000/xyz",
        affiliations={"Ann Ö": ["Uni A", "Lab B"]},
    )
    root = ET.fromstring(http.get(fake.url, params={"id_list": "2001.12345"}).content)
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    assert entries(ET.tostring(root)) == [
        ("http://arxiv.org/abs/2001.12345v2", "Less <than> & more")
    ]
    assert (entry.findtext(f"{ATOM}summary") or "").split() == ["x", "<", "y", "&", "z"]
    assert entry.findtext(f"{ATOM}published") == "2020-01-30T00:00:00Z"
    assert entry.findtext(f"{ATOM}updated") == "2020-01-30T00:00:00Z"
    assert [c.get("term") for c in entry.iterfind(f"{ATOM}category")] == ["cs.LG", "stat.ML"]
    primary = entry.find(f"{ARXIV}primary_category")
    assert primary is not None and primary.get("term") == "cs.LG"
    assert entry.findtext(f"{ARXIV}comment") == "3 pages"
    assert entry.findtext(f"{ARXIV}journal_ref") == "J. Fake 1 (2020)"
    assert entry.findtext(f"{ARXIV}doi") == "10.1000/xyz"
    authors = list(entry.iterfind(f"{ATOM}author"))
    assert [a.findtext(f"{ATOM}name") for a in authors] == ["Ann Ö", "Bob"]
    assert [x.text for x in authors[0].iterfind(f"{ARXIV}affiliation")] == ["Uni A", "Lab B"]
    assert authors[1].find(f"{ARXIV}affiliation") is None


def test_versions_and_set_version(fake: FakeArxiv, http: httpx.Client) -> None:
    def ask(id_list: str) -> list[tuple[str, str]]:
        return entries(http.get(fake.url, params={"id_list": id_list}).content)

    assert ask("1706.03762v3") == [
        ("http://arxiv.org/abs/1706.03762v3", "Attention Is All You Need")
    ]
    assert ask("1706.03762v8") == []  # beyond the latest version
    assert ask("1605.08386v2") == []  # a recorded paper knows only its recorded version
    fake.set_version("1706.03762", 8, title="Attention Is Still All You Need", updated="2030-01-01")
    assert ask("1706.03762") == [
        ("http://arxiv.org/abs/1706.03762v8", "Attention Is Still All You Need")
    ]
    assert ask("1706.03762v7") == [
        ("http://arxiv.org/abs/1706.03762v7", "Attention Is All You Need")
    ]
    assert fake.latest_version("1706.03762") == 8
    updated = ET.fromstring(http.get(fake.url, params={"id_list": "1706.03762"}).content)
    assert updated.findtext(f"{ATOM}entry/{ATOM}updated") == "2030-01-01T00:00:00Z"
    # A recorded paper gets a new, generated version; the recorded one is kept verbatim.
    fake.set_version("2104.12255", 2, title="Zero")
    assert ask("2104.12255,2104.12255v1") == [
        ("http://arxiv.org/abs/2104.12255v2", "Zero"),
        ("http://arxiv.org/abs/2104.12255v1", "0"),
    ]
    with pytest.raises(KeyError):
        fake.set_version("2101.99999", 2)


def test_synthetic_papers_are_many_distinct_fast_and_served(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    started = time.perf_counter()
    ids = fake.add_synthetic(10_000)
    assert time.perf_counter() - started < 1.0
    more = fake.add_synthetic(5)
    assert len(set(ids + more)) == 10_005 and ids[0] == "2101.00001"
    assert all(is_well_formed_id(i) for i in ids + more)
    assert more[0] == "2101.10001"  # continues after the previous batch
    started = time.perf_counter()
    total = 0
    for offset in range(0, 10_000, 2000):
        batch = ids[offset : offset + 2000]
        reply = http.post(fake.url, data={"id_list": ",".join(batch), "max_results": "2000"})
        found = [i for i, _ in entries(reply.content)]
        assert found == [f"http://arxiv.org/abs/{i}v1" for i in batch]
        total += len(found)
    assert total == 10_000
    assert time.perf_counter() - started < 5.0
    assert fake.add_synthetic(2, start="2412.99999") == ["2412.99999", "2501.00001"]


# -- faults ------------------------------------------------------------------------------------


def ok(fake: FakeArxiv, http: httpx.Client) -> httpx.Response:
    return http.post(fake.url, data={"id_list": "1706.03762,1810.04805", "max_results": "2"})


def test_503_with_retry_after_then_normal(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("503", times=2)
    first, second, third = ok(fake, http), ok(fake, http), ok(fake, http)
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.headers["Retry-After"] == "1"
    assert first.headers["Content-Type"].startswith("text/html")
    assert [r.status for r in fake.requests] == [503, 503, 200]
    assert [r.fault for r in fake.requests] == ["503", "503", None]


def test_retry_after_options(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("429")
    fake.fail_next("429", retry_after=2)
    fake.fail_next("503", retry_after=None)
    fake.fail_next("503", retry_after=0.5)
    replies = [ok(fake, http) for _ in range(4)]
    assert [r.status_code for r in replies] == [429, 429, 503, 503]
    assert [r.headers.get("Retry-After") for r in replies] == [None, "2", None, "0.5"]


def test_500(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("500")
    assert ok(fake, http).status_code == 500
    assert ok(fake, http).status_code == 200


def test_hang_until_the_client_gives_up(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("hang")
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        http.post(fake.url, data={"id_list": "1706.03762"}, timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    assert ok(fake, http).status_code == 200
    assert [r.status for r in fake.requests] == [None, 200]


def test_close_releases_a_hanging_request_at_once() -> None:
    fake = FakeArxiv().start()
    fake.fail_next("hang")
    outcome: list[BaseException | int] = []

    def call() -> None:
        try:
            outcome.append(httpx.get(fake.url, params={"id_list": "1"}, timeout=10).status_code)
        except httpx.HTTPError as error:
            outcome.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    while not fake.requests:
        time.sleep(0.01)
    started = time.monotonic()
    fake.close()
    thread.join(timeout=5)
    assert time.monotonic() - started < 1.5
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.RemoteProtocolError)


def test_html_maintenance_page(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("html")
    reply = ok(fake, http)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert b"<feed" not in reply.content


def test_truncated_feed(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("truncated")
    reply = ok(fake, http)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("application/atom+xml")
    assert b"<entry>" in reply.content and b"</entry>" not in reply.content
    with pytest.raises(ET.ParseError):
        ET.fromstring(reply.content)
    assert fake.requests[0].bytes_sent == len(reply.content)


def test_truncated_with_full_content_length_breaks_the_connection(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    fake.fail_next("truncated", announce_full_length=True)
    with pytest.raises(httpx.RemoteProtocolError):
        ok(fake, http)
    assert ok(fake, http).status_code == 200


def test_empty_page_that_announces_results(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("empty")
    fake.fail_next("empty", total=7)
    first, second = ok(fake, http), ok(fake, http)
    assert (entries(first.content), opensearch(first.content)[0]) == ([], 2)
    assert (entries(second.content), opensearch(second.content)[0]) == ([], 7)
    assert len(entries(ok(fake, http).content)) == 2


def test_dropped_connection(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        ok(fake, http)
    assert ok(fake, http).status_code == 200
    assert (fake.requests[0].status, fake.requests[0].bytes_sent) == (None, 0)


def test_a_poisoned_id_fails_every_batch_that_contains_it(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    ids = fake.add_synthetic(8)
    poison = ids[5]
    fake.fail_when(lambda request_ids: poison in request_ids, "500")
    for batch, status in ((ids, 500), (ids[:4], 200), (ids[4:6], 500), ([poison], 500)):
        assert http.post(fake.url, data={"id_list": ",".join(batch)}).status_code == status
    fake.clear_faults()
    assert http.post(fake.url, data={"id_list": poison}).status_code == 200


def test_fail_when_can_be_limited(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_when(lambda request_ids: True, "502", times=1)
    assert [ok(fake, http).status_code for _ in range(2)] == [502, 200]


def test_trickle_sends_the_real_answer_one_byte_at_a_time(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    fake.fail_next("trickle", interval=0.05)
    started = time.monotonic()
    with http.stream("POST", fake.url, data={"id_list": "1706.03762"}) as reply:
        pieces = list(itertools.islice(reply.iter_bytes(), 5))
        assert b"".join(pieces) == b"<?xml"
    assert time.monotonic() - started >= 4 * 0.05
    assert int(reply.headers["Content-Length"]) > 1000  # the whole answer is announced
    assert fake.requests[0].bytes_sent < 1000  # and only what was read got out


def test_huge_announces_its_length_or_sends_until_closed(
    fake: FakeArxiv, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The feed says when it was made, to the second: two answers must not straddle one.
    monkeypatch.setattr(tests.fakearxiv, "_now", lambda: "2026-11-29T01:50:51Z")
    fake.fail_next("huge", size=3 * 1024 * 1024, announce_full_length=True)
    fake.fail_next("huge", size=3 * 1024 * 1024)
    announced, unannounced = ok(fake, http), ok(fake, http)
    assert int(announced.headers["Content-Length"]) == len(announced.content) > 3 * 1024 * 1024
    assert "Content-Length" not in unannounced.headers
    assert unannounced.content == announced.content
    (entry,) = ET.fromstring(announced.content).iter("{http://www.w3.org/2005/Atom}summary")
    assert len(entry.text or "") == 3 * 1024 * 1024


def test_doctype_declares_entities_used_in_the_title(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.fail_next("doctype")
    body = ok(fake, http).content
    assert b"<!DOCTYPE feed [" in body and b"<title>&c;" in body
    # Expanded, the first title would be 60 x 16 x 16 characters longer.
    title = ET.fromstring(body).findtext("{http://www.w3.org/2005/Atom}title") or ""
    assert title.startswith("a" * 15360)


def test_duplicate_serves_version_1_again_after_the_entries(
    fake: FakeArxiv, http: httpx.Client
) -> None:
    fake.set_version("1706.03762", 7)
    fake.fail_next("duplicate")
    ids = [entry_id for entry_id, _ in entries(ok(fake, http).content)]
    assert ids[2:] == [
        "http://arxiv.org/abs/1706.03762v1",
        "http://arxiv.org/abs/1810.04805v1",
    ]
    assert ids[0] == "http://arxiv.org/abs/1706.03762v7"


def test_a_server_that_ignores_start_and_inflates_the_total(http: httpx.Client) -> None:
    with FakeArxiv(ignore_start=True, extra_total=5) as server:
        ids = server.add_synthetic(4)
        data = {"id_list": ",".join(ids), "max_results": "2"}
        first = http.post(server.url, data={**data, "start": "0"}).content
        second = http.post(server.url, data={**data, "start": "2"}).content
    assert entries(first) == entries(second)
    assert opensearch(first)[0] == 4 + 5


def test_unknown_fault_kinds_are_refused(fake: FakeArxiv) -> None:
    with pytest.raises(ValueError):
        fake.fail_next("slow")


# -- the request log ---------------------------------------------------------------------------


def test_the_log_records_what_was_asked_and_answered(fake: FakeArxiv, http: httpx.Client) -> None:
    before = time.monotonic()
    get = http.get(
        fake.url, params={"id_list": "1706.03762"}, headers={"user-agent": "probe (mailto:x@y)"}
    )
    time.sleep(0.2)
    post = http.post(
        f"{fake.url}?start=0&max_results=1",
        data={"id_list": "1810.04805,0000.0000", "max_results": "5"},
    )
    first, second = fake.requests
    assert before <= first.time and second.time - first.time >= 0.2
    assert (first.method, first.params, first.ids) == (
        "GET",
        {"id_list": "1706.03762"},
        ["1706.03762"],
    )
    assert first.headers["User-Agent"] == "probe (mailto:x@y)"
    assert (first.status, first.bytes_sent) == (200, len(get.content))
    # Query string and form are merged; the form wins.
    assert second.params == {"start": "0", "max_results": "5", "id_list": "1810.04805,0000.0000"}
    assert second.ids == ["1810.04805", "0000.0000"]
    assert second.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (second.status, second.bytes_sent) == (200, len(post.content))


def test_response_delay(fake: FakeArxiv, http: httpx.Client) -> None:
    fake.response_delay = 0.2
    started = time.monotonic()
    assert ok(fake, http).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_concurrent_requests_are_all_logged(fake: FakeArxiv) -> None:
    def call() -> None:
        httpx.post(fake.url, data={"id_list": "1706.03762"}, timeout=5)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status for r in fake.requests] == [200] * 8


# -- plumbing ----------------------------------------------------------------------------------


def test_url_and_lifecycle() -> None:
    fake = FakeArxiv()
    with pytest.raises(RuntimeError):
        _ = fake.url
    with fake as running:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/query", running.url)
    fake.close()  # closing twice is harmless
