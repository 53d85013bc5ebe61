"""resolve.py: every form of arXiv link, by real example and by property."""

from __future__ import annotations

import re
import string
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.models import ArxivRef
from pipeline.resolve import (
    ARXIV_ID_PATTERN,
    ARXIV_TEXT_MENTION,
    OLD_STYLE_ARCHIVES,
    canonical_id,
    is_valid_arxiv_id,
    points_at_arxiv,
    resolve_arxiv,
    versioned_id,
)

# --- Real examples -------------------------------------------------------------------------

# The 32 arXiv links of the seed list, in document order, as written (trimmed).
SEED_ARXIV_LINKS: list[tuple[str, str]] = [
    ("https://arxiv.org/abs/1810.04805", "1810.04805"),
    ("https://arxiv.org/abs/1910.10683", "1910.10683"),
    ("https://arxiv.org/abs/1906.08237", "1906.08237"),
    ("https://arxiv.org/abs/1907.11692", "1907.11692"),
    ("https://arxiv.org/abs/1909.11942", "1909.11942"),
    ("https://arxiv.org/abs/2004.05150", "2004.05150"),
    ("https://arxiv.org/pdf/2104.09864", "2104.09864"),
    ("https://arxiv.org/abs/2005.14165", "2005.14165"),
    ("https://arxiv.org/pdf/1706.03762", "1706.03762"),
    ("https://arxiv.org/pdf/2406.08413", "2406.08413"),
    ("https://arxiv.org/pdf/1508.07909", "1508.07909"),
    ("https://arxiv.org/abs/1701.06538", "1701.06538"),
    ("https://arxiv.org/pdf/1911.02150", "1911.02150"),
    ("https://arxiv.org/pdf/2305.13245", "2305.13245"),
    ("https://arxiv.org/abs/2305.18438", "2305.18438"),
    ("https://arxiv.org/abs/2203.02155", "2203.02155"),
    ("https://arxiv.org/pdf/2203.02155", "2203.02155"),
    ("https://arxiv.org/pdf/1706.03741", "1706.03741"),
    ("https://arxiv.org/pdf/2305.18290", "2305.18290"),
    ("https://arxiv.org/pdf/1707.06347", "1707.06347"),
    ("https://arxiv.org/abs/2402.03300", "2402.03300"),
    ("https://arxiv.org/pdf/2501.12948", "2501.12948"),
    ("https://arxiv.org/abs/2404.14082", "2404.14082"),
    ("https://arxiv.org/pdf/2001.08361", "2001.08361"),
    ("https://arxiv.org/pdf/2010.14701", "2010.14701"),
    ("https://arxiv.org/pdf/2503.19551", "2503.19551"),
    ("https://arxiv.org/abs/2102.01293", "2102.01293"),
    ("https://arxiv.org/abs/2202.01169", "2202.01169"),
    ("https://arxiv.org/pdf/1710.03740", "1710.03740"),
    ("https://arxiv.org/pdf/2211.05102", "2211.05102"),
    ("https://arxiv.org/pdf/2401.09670", "2401.09670"),
    ("https://arxiv.org/pdf/2308.16369", "2308.16369"),
]

RESOLVING: list[tuple[str, str, int | None]] = [
    # arxiv.org pages
    ("https://arxiv.org/abs/1706.03762", "1706.03762", None),
    ("https://arxiv.org/abs/1706.03762v5", "1706.03762", 5),
    ("https://arxiv.org/pdf/1706.03762v5", "1706.03762", 5),
    ("https://arxiv.org/pdf/2104.09864.pdf", "2104.09864", None),
    ("https://arxiv.org/pdf/1706.03762v5.pdf", "1706.03762", 5),
    ("https://arxiv.org/html/2401.09670", "2401.09670", None),
    ("https://arxiv.org/html/2401.09670v2", "2401.09670", 2),
    ("https://arxiv.org/format/1706.03762", "1706.03762", None),
    ("https://arxiv.org/abs/1706.03762v12", "1706.03762", 12),
    # hosts, schemes, case, query strings, fragments, trailing slash
    ("http://arxiv.org/abs/1706.03762", "1706.03762", None),
    ("https://www.arxiv.org/abs/1706.03762", "1706.03762", None),
    ("http://export.arxiv.org/abs/1706.03762", "1706.03762", None),
    ("HTTPS://ArXiv.ORG/abs/1706.03762", "1706.03762", None),
    ("https://ArXiv.org/abs/1706.03762", "1706.03762", None),
    ("HTTP://WWW.ARXIV.ORG/pdf/1706.03762v5.pdf", "1706.03762", 5),
    ("HTTPS://ARXIV.ORG:443/abs/1706.03762", "1706.03762", None),  # through urlsplit
    ("https://arxiv.org/abs/1706.03762?context=cs", "1706.03762", None),
    ("https://arxiv.org/pdf/1706.03762v5.pdf#page=3", "1706.03762", 5),
    ("https://arxiv.org/abs/1706.03762/", "1706.03762", None),
    ("https://arxiv.org:443/abs/1706.03762", "1706.03762", None),
    # mirrors and other sites that name an arXiv paper
    ("https://ar5iv.labs.arxiv.org/html/1706.03762", "1706.03762", None),
    ("https://ar5iv.org/abs/1706.03762", "1706.03762", None),
    ("https://ar5iv.org/html/1706.03762v3", "1706.03762", 3),
    ("https://alphaxiv.org/abs/2501.12948", "2501.12948", None),
    ("https://www.alphaxiv.org/abs/2501.12948v2", "2501.12948", 2),
    ("https://huggingface.co/papers/2501.12948", "2501.12948", None),
    ("https://doi.org/10.48550/arXiv.1706.03762", "1706.03762", None),
    ("https://dx.doi.org/10.48550/ARXIV.1706.03762", "1706.03762", None),
    ("https://doi.org/10.48550/arxiv.hep-th/9901001", "hep-th/9901001", None),
    # text
    ("arXiv:1706.03762", "1706.03762", None),
    ("arXiv:1706.03762v2", "1706.03762", 2),
    ("arxiv:hep-th/9901001", "hep-th/9901001", None),
    ("ARXIV:math.GT/0309136v1", "math/0309136", 1),
    # old style, with and without subject class (dropped: arXiv redirects to the short form)
    ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
    ("https://arxiv.org/abs/math.GT/0309136", "math/0309136", None),
    ("https://arxiv.org/abs/math.GT/0309136v2", "math/0309136", 2),
    ("https://arxiv.org/pdf/cs/0112017v1.pdf", "cs/0112017", 1),
    ("https://arxiv.org/abs/cs.CL/0112017", "cs/0112017", None),
    ("https://arxiv.org/abs/cond-mat.stat-mech/0101001", "cond-mat/0101001", None),
    ("https://arxiv.org/abs/math-ph/0001001", "math-ph/0001001", None),
    ("https://arxiv.org/abs/astro-ph/9112999", "astro-ph/9112999", None),
    # the edges of the two new-style eras
    ("https://arxiv.org/abs/0704.0001", "0704.0001", None),
    ("https://arxiv.org/abs/1412.9999", "1412.9999", None),
    ("https://arxiv.org/abs/1501.00001", "1501.00001", None),
    ("https://arxiv.org/abs/9912.99999", "9912.99999", None),
]


@pytest.mark.parametrize(("url", "arxiv_id", "version"), RESOLVING)
def test_resolves(url: str, arxiv_id: str, version: int | None) -> None:
    assert resolve_arxiv(url) == ArxivRef(arxiv_id, version)
    assert points_at_arxiv(url)


@pytest.mark.parametrize(("url", "arxiv_id"), SEED_ARXIV_LINKS)
def test_seed_links_resolve(url: str, arxiv_id: str) -> None:
    assert resolve_arxiv(url) == ArxivRef(arxiv_id, None)


def test_seed_list_has_exactly_these_arxiv_links(seed_text: str) -> None:
    targets = [t.strip() for t in re.findall(r"\]\(([^)]*)\)", seed_text)]
    arxiv = [t for t in targets if points_at_arxiv(t)]
    assert [(t, ref.arxiv_id) for t in arxiv if (ref := resolve_arxiv(t))] == SEED_ARXIV_LINKS
    assert len(arxiv) == 32
    assert all(resolve_arxiv(t) is None for t in targets if t not in arxiv)


# (url, points_at_arxiv): none of these resolves.
NOT_RESOLVING: list[tuple[str, bool]] = [
    # not valid IDs, on arXiv: reported as broken arXiv links
    ("https://arxiv.org/abs/1706.0376", True),  # 2017 needs 5 digits
    ("https://arxiv.org/abs/1501.1234", True),
    ("https://arxiv.org/abs/0801.12345", True),  # 2008 has 4 digits
    ("https://arxiv.org/abs/1413.1234", True),
    ("https://arxiv.org/abs/2313.12345", True),
    ("https://arxiv.org/abs/2300.12345", True),
    ("https://arxiv.org/abs/0001.0001", True),  # before 0704
    ("https://arxiv.org/abs/0703.0001", True),
    ("https://arxiv.org/abs/1706.00000", True),  # sequence numbers start at 1
    ("https://arxiv.org/abs/1706.037621", True),
    ("https://arxiv.org/abs/11706.03762", True),
    ("https://arxiv.org/abs/1706.03762v0", True),
    ("https://arxiv.org/abs/1706.03762v", True),
    ("https://arxiv.org/abs/1706.03762v05", True),
    ("https://arxiv.org/abs/1706.03762.pdf", True),  # ".pdf" only on /pdf/
    ("https://arxiv.org/pdf/1706.03762.pdfv5", True),
    ("https://arxiv.org/pdf/1706.03762.pdf.pdf", True),
    ("https://arxiv.org/abs/1706.03762/extra", True),
    ("https://arxiv.org/abs/abc", True),
    ("https://arxiv.org/abs/garbage", True),
    ("https://arxiv.org/abs/", True),
    ("https://arxiv.org/list/cs.CL/recent", True),
    ("https://arxiv.org/", True),
    ("https://arxiv.org", True),
    ("https://arxiv.org/abs/xyz/9901001", True),  # not an archive
    ("https://arxiv.org/abs/HEP-TH/9901001", True),
    # the path is case-sensitive (RFC 3986): /ABS/ is no arXiv page, whatever GitHub links
    ("https://arxiv.org/ABS/1706.03762", True),
    ("HTTPS://ARXIV.ORG/Pdf/1706.03762", True),
    ("https://arxiv.org/abs/hep-th/0801001", True),  # old style ended in 2007
    ("https://arxiv.org/abs/hep-th/9001001", True),  # and began in 1991
    ("https://arxiv.org/abs/hep-th/9913001", True),
    ("https://arxiv.org/abs/hep-th/9901000", True),
    ("https://arxiv.org/abs/hep-th/990100", True),
    ("https://arxiv.org/abs/hep-th/99010011", True),
    ("https://arxiv.org/abs/math.GT.x/0309136", True),
    ("https://doi.org/10.48550/arXiv.1706.03762v2", True),  # DOIs name no version
    ("https://doi.org/10.48550/arXiv.garbage", True),
    ("https://huggingface.co/papers/garbage", True),
    ("arXiv:", True),
    ("arXiv:garbage", True),
    ("arXiv: 1706.03762", True),
    ("arXiv:1706.03762.", True),
    ("arXiv:1706.0376", True),
    # not arXiv at all: ordinary web links
    ("1706.03762", False),
    ("arxiv.org/abs/1706.03762", False),  # no scheme: a relative link
    ("ftp://arxiv.org/abs/1706.03762", False),
    ("https://notarxiv.org/abs/1706.03762", False),
    ("https://arxiv.org.evil.com/abs/1706.03762", False),
    ("https://arxiv.org@evil.com/abs/1706.03762", False),
    ("https://arxiv.com/abs/1706.03762", False),
    ("https://info.arxiv.org/help/api/index.html", False),
    ("https://huggingface.co/datasets/some/thing", False),
    ("https://doi.org/10.1145/3292500.3330701", False),
    ("https://jalammar.github.io/illustrated-transformer/", False),
    ("https://cdn.openai.com/research-covers/language-unsupervised/x.pdf", False),
    ("mailto:someone@arxiv.org", False),
    ("#section", False),
    ("https://[broken/abs/1706.03762", False),
    ("", False),
]


@pytest.mark.parametrize(("url", "on_arxiv"), NOT_RESOLVING)
def test_does_not_resolve(url: str, on_arxiv: bool) -> None:
    assert resolve_arxiv(url) is None
    assert points_at_arxiv(url) is on_arxiv


def test_seed_web_links_are_not_arxiv(seed_text: str) -> None:
    targets = [t.strip() for t in re.findall(r"\]\(([^)]*)\)", seed_text)]
    web = [t for t in targets if "arxiv" not in t.lower()]
    assert len(web) == 15
    assert not any(points_at_arxiv(t) for t in web)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1706.03762", "1706.03762"),
        ("1706.03762v5", "1706.03762"),
        ("math.GT/0309136", "math/0309136"),
        ("math.GT/0309136v2", "math/0309136"),
        ("cond-mat.stat-mech/0101001", "cond-mat/0101001"),
        ("hep-th/9901001", "hep-th/9901001"),
    ],
)
def test_canonical_id(text: str, canonical: str) -> None:
    assert canonical_id(text) == canonical


@pytest.mark.parametrize("text", ["", "abc", "1706.0376", "arXiv:1706.03762", "1706.03762v0"])
def test_canonical_id_refuses_non_identifiers(text: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv identifier"):
        canonical_id(text)
    with pytest.raises(ValueError, match="not an arXiv identifier"):
        versioned_id(text)


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("1706.03762", ArxivRef("1706.03762")),
        ("1706.03762v5", ArxivRef("1706.03762", 5)),
        ("math.GT/0309136v12", ArxivRef("math/0309136", 12)),
    ],
)
def test_versioned_id_keeps_the_version_apart(text: str, ref: ArxivRef) -> None:
    assert versioned_id(text) == ref


def test_is_valid_arxiv_id_takes_no_version() -> None:
    assert is_valid_arxiv_id("1706.03762")
    assert is_valid_arxiv_id("math.GT/0309136")
    assert not is_valid_arxiv_id("1706.03762v5")
    assert not is_valid_arxiv_id(" 1706.03762")


@pytest.mark.parametrize(
    ("prose", "mentions"),
    [
        ("as shown in arXiv:1706.03762.", ["arXiv:1706.03762"]),
        (
            "(arXiv:1706.03762v2), and ARXIV:hep-th/9901001;",
            ["arXiv:1706.03762v2", "ARXIV:hep-th/9901001"],
        ),
        ("see arXiv:math.GT/0309136v1, p. 3", ["arXiv:math.GT/0309136v1"]),
        ("arXiv:1706.037621 has one digit too many", []),
        ("arXiv:1706.03762v0 is no version", []),
        ("arXiv:1706.0376 is too short", []),
        ("myarXiv:1706.03762 is another word", []),
        ("arXiv:1706.03762.5 is a longer number", []),
        ("arXiv: 1706.03762 has a space", []),
    ],
)
def test_text_mentions(prose: str, mentions: list[str]) -> None:
    assert [m.group(0) for m in ARXIV_TEXT_MENTION.finditer(prose)] == mentions


# --- Properties ----------------------------------------------------------------------------

# Written independently of resolve.py, from arXiv's documentation of its identifiers.
ARCHIVES = [
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
    "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
    "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
    "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
    "solv-int", "supr-con",
]  # fmt: skip
MONTHS = [f"{m:02d}" for m in range(1, 13)]
FOUR_DIGIT_MONTHS = [f"{y:02d}{m}" for y in range(7, 15) for m in MONTHS if f"{y:02d}{m}" >= "0704"]
FIVE_DIGIT_MONTHS = [f"{y:02d}{m}" for y in range(15, 100) for m in MONTHS]
OLD_YEARS = [f"{y:02d}" for y in [*range(91, 100), *range(8)]]


def test_archive_lists_agree() -> None:
    assert sorted(OLD_STYLE_ARCHIVES) == sorted(ARCHIVES)


class WrittenId(NamedTuple):
    text: str  # as a person might write it: "math.GT/0309136"
    canonical: str  # "math/0309136"


def digit_strings(length: int, *, nonzero: bool = True) -> st.SearchStrategy[str]:
    low = 1 if nonzero else 0
    return st.integers(low, 10**length - 1).map(lambda n: f"{n:0{length}d}")


def joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


def digit_counts(counts: list[int]) -> st.SearchStrategy[str]:
    return st.sampled_from(counts).flatmap(digit_strings)


new_style_ids = st.one_of(
    st.tuples(st.sampled_from(FOUR_DIGIT_MONTHS), digit_strings(4)),
    st.tuples(st.sampled_from(FIVE_DIGIT_MONTHS), digit_strings(5)),
).map(lambda parts: WrittenId(f"{parts[0]}.{parts[1]}", f"{parts[0]}.{parts[1]}"))

subject_classes = st.one_of(
    st.sampled_from(["GT", "AG", "CL", "LG", "stat-mech", "mes-hall", "str-el", "soft"]),
    # any letters, with or without one hyphen: the pattern must not depend on a subject list
    joined(
        st.text(string.ascii_letters, min_size=1, max_size=8),
        st.just("-") | st.just(""),
        st.text(string.ascii_letters, min_size=1, max_size=8),
    ),
)


@st.composite
def old_style_ids(draw: st.DrawFn) -> WrittenId:
    archive = draw(st.sampled_from(ARCHIVES))
    subject = draw(st.none() | subject_classes)
    number = (
        draw(st.sampled_from(OLD_YEARS)) + draw(st.sampled_from(MONTHS)) + draw(digit_strings(3))
    )
    written = f"{archive}.{subject}/{number}" if subject else f"{archive}/{number}"
    return WrittenId(written, f"{archive}/{number}")


valid_ids = new_style_ids | old_style_ids()
versions = st.none() | st.integers(1, 999_999_999)


def with_version(written: str, version: int | None) -> str:
    return written if version is None else f"{written}v{version}"


LETTERS = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6)
PRE_2007_MONTHS = [f"{y:02d}{m}" for y in range(8) for m in MONTHS if f"{y:02d}{m}" < "0704"]
BAD_MONTHS = ["00", *(f"{m}" for m in range(13, 100))]
DOT = st.just(".")
SLASH = st.just("/")

near_miss_ids = st.one_of(
    # new style: month out of range
    joined(digit_strings(2, nonzero=False), st.sampled_from(BAD_MONTHS), DOT, digit_counts([4, 5])),
    # new style: the wrong number of digits for the era
    joined(st.sampled_from(FOUR_DIGIT_MONTHS), DOT, digit_counts([1, 2, 3, 5, 6])),
    joined(st.sampled_from(FIVE_DIGIT_MONTHS), DOT, digit_counts([1, 2, 3, 4, 6])),
    # new style before April 2007
    joined(st.sampled_from(PRE_2007_MONTHS), DOT, digit_counts([4, 5])),
    # old style: unknown archive, year outside 1991-2007, bad month, wrong digit count
    joined(
        st.one_of(LETTERS, joined(LETTERS, st.just("-"), LETTERS)).filter(
            lambda a: a not in ARCHIVES
        ),
        SLASH,
        st.sampled_from(OLD_YEARS),
        st.just("01001"),
    ),
    joined(
        st.sampled_from(ARCHIVES),
        SLASH,
        st.sampled_from([f"{y:02d}" for y in range(8, 91)]),
        st.sampled_from(MONTHS),
        digit_strings(3),
    ),
    joined(
        st.sampled_from(ARCHIVES),
        SLASH,
        st.sampled_from(OLD_YEARS),
        st.sampled_from(BAD_MONTHS),
        digit_strings(3),
    ),
    joined(
        st.sampled_from(ARCHIVES),
        SLASH,
        st.sampled_from(OLD_YEARS),
        st.sampled_from(MONTHS),
        digit_counts([1, 2, 4, 5]),
    ),
    # a valid ID run into more digits
    joined(valid_ids.map(lambda w: w.text), digit_strings(1, nonzero=False)),
    joined(digit_strings(1, nonzero=False), new_style_ids.map(lambda w: w.text)),
)

# Strings that are not an arXiv identifier, with or without a version.
invalid_ids: st.SearchStrategy[str] = st.one_of(
    near_miss_ids,
    joined(near_miss_ids, st.just("v"), st.integers(1, 99).map(str)),
    # a valid ID with a version that is none
    joined(valid_ids.map(lambda w: w.text), st.sampled_from(["v0", "v", "v01", "v00"])),
    # no digit in it, so no identifier either, whatever else it holds
    st.text(st.characters(exclude_categories=["Nd", "Cs"]), max_size=20),
)


class UrlForm(NamedTuple):
    hosts: tuple[str, ...]
    path: str  # "{ref}": the ID, with the version when the form takes one
    takes_version: bool


ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org")
URL_FORMS: list[UrlForm] = [
    UrlForm(ARXIV_HOSTS, "/abs/{ref}", True),
    UrlForm(ARXIV_HOSTS, "/pdf/{ref}", True),
    UrlForm(ARXIV_HOSTS, "/pdf/{ref}.pdf", True),
    UrlForm(ARXIV_HOSTS, "/html/{ref}", True),
    UrlForm(ARXIV_HOSTS, "/format/{ref}", True),
    UrlForm(("ar5iv.labs.arxiv.org",), "/html/{ref}", True),
    UrlForm(("ar5iv.org",), "/abs/{ref}", True),
    UrlForm(("ar5iv.org",), "/html/{ref}", True),
    UrlForm(("alphaxiv.org", "www.alphaxiv.org"), "/abs/{ref}", True),
    UrlForm(("huggingface.co",), "/papers/{ref}", True),
    UrlForm(("doi.org", "dx.doi.org"), "/10.48550/arXiv.{ref}", False),
    UrlForm(("doi.org", "dx.doi.org"), "/10.48550/arxiv.{ref}", False),
    UrlForm(("",), "arXiv:{ref}", True),  # text, no host
]
TAILS = ["", "/", "?context=cs", "#page=3", "?a=1&b=2#x", "/?v=2", "#"]


def random_case(data: st.DataObject, text: str) -> str:
    # One draw for the whole word: a bit per letter says whether it is upper case.
    mask = data.draw(st.integers(0, 2 ** len(text) - 1))
    return "".join(c.upper() if mask >> i & 1 else c for i, c in enumerate(text))


def embed(data: st.DataObject, form: UrlForm, ref: str) -> str:
    """`ref` written in `form`, with random scheme, host, letter case and query/fragment."""
    path = form.path.replace("{ref}", ref)
    if form.hosts == ("",):
        return random_case(data, "arxiv") + path.removeprefix("arXiv")
    scheme = random_case(data, data.draw(st.sampled_from(["http", "https"])))
    host = random_case(data, data.draw(st.sampled_from(form.hosts)))
    return f"{scheme}://{host}{path}{data.draw(st.sampled_from(TAILS))}"


def form_id(form: UrlForm) -> str:
    return (form.hosts[0] or "text") + form.path


@pytest.mark.parametrize("form", URL_FORMS, ids=form_id)
@settings(max_examples=40)
@given(data=st.data(), written=valid_ids, version=versions)
def test_valid_ids_resolve_in_every_form(
    form: UrlForm, data: st.DataObject, written: WrittenId, version: int | None
) -> None:
    version = version if form.takes_version else None
    url = embed(data, form, with_version(written.text, version))
    assert resolve_arxiv(url) == ArxivRef(written.canonical, version)
    assert points_at_arxiv(url)


@pytest.mark.parametrize("form", URL_FORMS, ids=form_id)
@settings(max_examples=40)
@given(data=st.data(), text=invalid_ids)
def test_invalid_ids_never_resolve(form: UrlForm, data: st.DataObject, text: str) -> None:
    url = embed(data, form, text)
    assert resolve_arxiv(url) is None
    # Still a link to arXiv, only a broken one: the catalog reports it.
    assert points_at_arxiv(url)


@settings(max_examples=100)
@given(written=valid_ids, version=st.integers(1, 99))
def test_versioned_doi_does_not_resolve(written: WrittenId, version: int) -> None:
    assert resolve_arxiv(f"https://doi.org/10.48550/arXiv.{written.text}v{version}") is None


LOOKALIKE_HOSTS = [
    "notarxiv.org",
    "arxiv.org.evil.com",
    "evil.com",
    "arxiv.com",
    "xarxiv.org",
    "arxiv.org@evil.com",
    "ar5iv.evil.org",
    "huggingface.co.evil.com",
    "doi.org.evil.com",
]
ANY_PATH = ["/abs/{ref}", "/pdf/{ref}.pdf", "/html/{ref}", "/papers/{ref}", "/10.48550/arXiv.{ref}"]


@settings(max_examples=200)
@given(
    written=valid_ids,
    scheme=st.sampled_from(["http", "https"]),
    host=st.sampled_from(LOOKALIKE_HOSTS),
    path=st.sampled_from(ANY_PATH),
)
def test_other_hosts_never_resolve(written: WrittenId, scheme: str, host: str, path: str) -> None:
    url = f"{scheme}://{host}{path.replace('{ref}', written.text)}"
    assert resolve_arxiv(url) is None
    assert not points_at_arxiv(url)


@settings(max_examples=100)
@given(
    written=valid_ids,
    scheme=st.sampled_from(["ftp", "file", "ws", "javascript", "data"]),
    host=st.sampled_from([*ARXIV_HOSTS, "huggingface.co", "doi.org"]),
    path=st.sampled_from(ANY_PATH),
)
def test_other_schemes_never_resolve(written: WrittenId, scheme: str, host: str, path: str) -> None:
    url = f"{scheme}://{host}{path.replace('{ref}', written.text)}"
    assert resolve_arxiv(url) is None
    assert not points_at_arxiv(url)


# Every http(s) example above, resolving or not: through the quick split and through urlsplit
# (ports, credentials, a broken host).
HTTP_EXAMPLES = [
    url for url in [*(r[0] for r in RESOLVING), *(n[0] for n in NOT_RESOLVING)] if "://" in url
]


@settings(max_examples=300)
@given(data=st.data(), url=st.sampled_from(HTTP_EXAMPLES))
def test_scheme_and_host_match_in_any_case(data: st.DataObject, url: str) -> None:
    # RFC 3986: scheme and host are case-insensitive; GitHub links `HTTPS://ARXIV.ORG/abs/...`
    # and arXiv serves it. The path is left as written.
    scheme, rest = url.split("://", 1)
    host, slash, path = rest.partition("/")
    lower = f"{scheme.lower()}://{host.lower()}{slash}{path}"
    cased = f"{random_case(data, scheme.lower())}://{random_case(data, host.lower())}{slash}{path}"
    assert resolve_arxiv(cased) == resolve_arxiv(lower) == resolve_arxiv(url)
    assert points_at_arxiv(cased) == points_at_arxiv(lower) == points_at_arxiv(url)


ARXIV_PAGES = [
    "/abs/1706.03762",
    "/pdf/1706.03762v5.pdf",
    "/html/2401.09670v2",
    "/format/1706.03762",
    "/ftp/arxiv/papers/1706/1706.03762.pdf",
]


@settings(max_examples=200)
@given(data=st.data(), page=st.sampled_from(ARXIV_PAGES), host=st.sampled_from(ARXIV_HOSTS))
def test_the_path_is_case_sensitive(data: st.DataObject, page: str, host: str) -> None:
    # `/ABS/1706.03762` is no page of arXiv's: a broken arXiv link (reported), not a paper.
    word, rest = page[1:].split("/", 1)
    cased = random_case(data, word)
    assert resolve_arxiv(f"https://{host}{page}") is not None
    if cased != word:
        url = f"https://{host.upper()}/{cased}/{rest}"
        assert resolve_arxiv(url) is None
        assert points_at_arxiv(url)


@settings(max_examples=300)
@given(written=valid_ids, version=versions)
def test_canonical_id_is_idempotent_and_round_trips(
    written: WrittenId, version: int | None
) -> None:
    versioned = with_version(written.text, version)
    canonical = canonical_id(versioned)
    assert canonical == written.canonical
    assert canonical_id(canonical) == canonical
    assert is_valid_arxiv_id(canonical)
    assert is_valid_arxiv_id(written.text)
    assert ARXIV_ID_PATTERN.fullmatch(written.text)
    assert is_valid_arxiv_id(versioned) is (version is None)
    assert resolve_arxiv(f"arXiv:{canonical}") == ArxivRef(canonical, None)
    assert resolve_arxiv(f"arXiv:{with_version(canonical, version)}") == ArxivRef(
        canonical, version
    )


@settings(max_examples=200)
@given(text=invalid_ids)
def test_invalid_ids_are_not_valid(text: str) -> None:
    assert not is_valid_arxiv_id(text)
    with pytest.raises(ValueError):
        canonical_id(text)
    assert ARXIV_TEXT_MENTION.search(f"see arXiv:{text} here") is None


@settings(max_examples=200)
@given(
    written=valid_ids,
    version=versions,
    before=st.sampled_from(["", "see ", "(", "as in "]),
    after=st.sampled_from(["", ".", ",", ")", "; more", ". Next sentence.", " and more"]),
)
def test_mentions_in_prose_resolve(
    written: WrittenId, version: int | None, before: str, after: str
) -> None:
    mention = f"arXiv:{with_version(written.text, version)}"
    matches = [m.group(0) for m in ARXIV_TEXT_MENTION.finditer(f"{before}{mention}{after}")]
    assert matches == [mention]
    assert resolve_arxiv(matches[0]) == ArxivRef(written.canonical, version)


url_parts = st.lists(
    st.sampled_from(
        ["http", "https", "HTTPS", "://", "arxiv.org", "ArXiv.ORG", "/abs/", "1706.03762",
         "@", ":", "80", "[", "]", "?", "#", "/", ".", "-", "%", " ", "\t", "\n", "é", "x", ""]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@given(url_parts)
def test_the_quick_url_split_agrees_with_urlsplit(url: str) -> None:
    from pipeline.resolve import _locate, _split_http

    if url[:6].lower() != "arxiv:" and url[:4].lower() != "www.":
        assert _locate(url) == _split_http(url)


def resolved_form_by_form(url: str) -> tuple[ArxivRef | None, bool]:
    """resolve_arxiv and points_at_arxiv as the rule says: every form of `_FORMS` in order."""
    from pipeline.resolve import _FORMS, _canonical, _locate

    located = _locate(url)
    if located is None:
        return None, False
    host, path = located
    ref = None
    for form in _FORMS:
        if host in form.hosts and (match := form.path.fullmatch(path)):
            version = match.groupdict().get("version")
            ref = ArxivRef(_canonical(match), int(version) if version else None)
            break
    return ref, any(host in form.hosts and path.startswith(form.scope) for form in _FORMS)


@settings(max_examples=300)
@given(
    data=st.data(),
    form=st.sampled_from(URL_FORMS),
    text=valid_ids.map(lambda w: w.text) | invalid_ids,
    version=versions,
    host=st.none() | st.sampled_from(LOOKALIKE_HOSTS),
)
def test_forms_looked_up_by_host_resolve_as_every_form_in_order(
    data: st.DataObject, form: UrlForm, text: str, version: int | None, host: str | None
) -> None:
    url = embed(data, form, with_version(text, version))
    if host is not None and form.hosts != ("",):
        url = url.replace(url.split("/")[2], host, 1)
    assert (resolve_arxiv(url), points_at_arxiv(url)) == resolved_form_by_form(url)
