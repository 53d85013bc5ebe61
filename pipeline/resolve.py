"""Resolve a link, as written in the reading list, to the arXiv paper it names.

Every supported way of writing an arXiv link is one row of `_FORMS`: the hosts it lives
on, the part of those hosts that belongs to arXiv, and the path that names a paper. Adding
a form means adding a row; there is no per-host code.

Identifiers (https://info.arxiv.org/help/arxiv_identifier.html):
- new style `YYMM.NNNN` for April 2007 (0704) to December 2014 (1412), `YYMM.NNNNN` from
  January 2015 (1501) on; month 01-12; sequence number not all zeros;
- old style `archive(.SUBJECT)?/YYMMNNN` with an archive of arXiv's historical list,
  YY from 91 to 07, month 01-12, sequence number not all zeros;
- an optional version `vN`, N >= 1 without leading zeros.

Canonical form: the version is returned apart (`ArxivRef.version`), and for old-style IDs
the subject class is dropped (`math.GT/0309136` -> `math/0309136`): it is a category, not
part of the identifier, and arXiv itself redirects the long form to the short one, so both
spellings must count as the same paper.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.models import ArxivRef

__all__ = [
    "ARXIV_ID_PATTERN",
    "ARXIV_TEXT_MENTION",
    "OLD_STYLE_ARCHIVES",
    "canonical_id",
    "is_valid_arxiv_id",
    "points_at_arxiv",
    "resolve_arxiv",
]

# The archives that issued old-style identifiers; no other name ever did.
OLD_STYLE_ARCHIVES: tuple[str, ...] = (
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
    "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
    "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
    "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
    "solv-int", "supr-con",
)  # fmt: skip

# [0-9], not \d: \d also matches other scripts' digits, which no identifier contains.
_MONTH = r"(?:0[1-9]|1[0-2])"
_NEW_FOUR_DIGITS = rf"(?:07(?:0[4-9]|1[0-2])|(?:0[89]|1[0-4]){_MONTH})\.(?!0000)[0-9]{{4}}"
_NEW_FIVE_DIGITS = rf"(?:1[5-9]|[2-9][0-9]){_MONTH}\.(?!00000)[0-9]{{5}}"
# Longest names first, so that "math-ph" is not read as "math" followed by garbage.
_ARCHIVE = "|".join(re.escape(a) for a in sorted(OLD_STYLE_ARCHIVES, key=len, reverse=True))
_OLD = (
    rf"(?P<archive>{_ARCHIVE})"
    r"(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?"  # subject class: "GT", "CL", "stat-mech"
    rf"/(?P<number>(?:9[1-9]|0[0-7]){_MONTH}(?!000)[0-9]{{3}})"
)
_ID = rf"(?:(?P<new>{_NEW_FOUR_DIGITS}|{_NEW_FIVE_DIGITS})|{_OLD})"
# At most 9 digits: int() refuses very long digit strings, and no paper comes near that.
_VERSION = r"(?:v(?P<version>[1-9][0-9]{0,8}))?"
_VERSIONED_ID = _ID + _VERSION

ARXIV_ID_PATTERN: re.Pattern[str] = re.compile(_ID)
"""A bare arXiv identifier without version; use `fullmatch` to validate a whole string."""

_VERSIONED_ID_PATTERN = re.compile(_VERSIONED_ID)

ARXIV_TEXT_MENTION: re.Pattern[str] = re.compile(
    # The lookarounds keep a mention from starting or ending inside a longer word or number:
    # "arXiv:1706.037621" is no mention at all, while the full stop ending a sentence
    # ("... arXiv:1706.03762.") is not part of it.
    rf"(?<![\w-])(?i:arxiv):{_VERSIONED_ID}(?![\w-]|\.[0-9])"
)
"""An `arXiv:ID` or `arXiv:IDvN` mention in running text; each match resolves."""


@dataclass(frozen=True)
class _Form:
    """One way of writing an arXiv link."""

    hosts: frozenset[str]  # lower case; "" is the text form `arXiv:...`, which has no host
    scope: str  # path prefix of these hosts that is arXiv's: a link there "points at arXiv"
    path: re.Pattern[str]  # a path naming a paper, with the groups of `_ID` (and version)
    versioned: bool  # whether `path` has the version group


def _form(hosts: Iterable[str], scope: str, path: str) -> _Form:
    expanded = path.replace("{vid}", _VERSIONED_ID).replace("{id}", _ID)
    pattern = re.compile(expanded)
    return _Form(frozenset(hosts), scope, pattern, "version" in pattern.groupindex)


_ARXIV = ("arxiv.org", "www.arxiv.org", "export.arxiv.org")
_AR5IV = ("ar5iv.labs.arxiv.org", "ar5iv.org")
_ALPHAXIV = ("alphaxiv.org", "www.alphaxiv.org")
_HUGGINGFACE = ("huggingface.co", "www.huggingface.co")
_DOI = ("doi.org", "dx.doi.org", "www.doi.org")
_TEXT = ("",)

# Every supported form. Paths are matched whole (query and fragment are not part of them);
# a trailing slash is tolerated because browsers and people add one.
_FORMS: tuple[_Form, ...] = (
    _form(_ARXIV, "", r"/abs/{vid}/?"),
    # ".pdf" is optional and comes after the version: /pdf/1706.03762v5.pdf
    _form(_ARXIV, "", r"/pdf/{vid}(?:\.pdf)?/?"),
    _form(_ARXIV, "", r"/html/{vid}/?"),
    _form(_ARXIV, "", r"/format/{vid}/?"),
    # The file tree of new-style papers: /ftp/arxiv/papers/YYMM/YYMM.NNNNN(vN).pdf, the
    # folder being the month of the ID.
    _form(_ARXIV, "", r"/ftp/arxiv/papers/(?P<folder>[0-9]{4})/(?=(?P=folder)\.){vid}\.pdf"),
    # ar5iv.org/abs/ID redirects to ar5iv.labs.arxiv.org/html/ID; both hosts take both.
    _form(_AR5IV, "", r"/(?:abs|html)/{vid}/?"),
    _form(_ALPHAXIV, "", r"/abs/{vid}/?"),
    _form(_HUGGINGFACE, "/papers/", r"/papers/{vid}/?"),
    # DataCite DOIs name the paper, never a version; DOIs are case-insensitive.
    _form(_DOI, "/10.48550/", r"/10\.48550/(?i:arxiv)\.{id}/?"),
    _form(_TEXT, "", r"{vid}"),
)

# The forms of each host, in the order of `_FORMS`: a link is tried against its host's only.
_FORMS_OF_HOST: dict[str, tuple[_Form, ...]] = {
    host: tuple(form for form in _FORMS if host in form.hosts)
    for host in sorted(set().union(*(form.hosts for form in _FORMS)))
}

_TEXT_PREFIX = "arxiv:"


def is_text_mention(url: str) -> bool:
    """Whether a link is `arXiv:ID` written as text (parse.py reads it; GitHub shows text)."""
    return url[: len(_TEXT_PREFIX)].lower() == _TEXT_PREFIX


def _locate(url: str) -> tuple[str, str] | None:
    """(host, path) of a link, or None when it is neither an http(s) URL nor `arXiv:` text."""
    if simple := _SIMPLE_URL.match(url):  # what urlsplit would say, without its cost
        host, path = simple.group("host", "path")
        return host.lower(), path or ""
    if is_text_mention(url):
        return "", url[len(_TEXT_PREFIX) :]
    if url[:4].lower() == "www.":  # a `www.` link in text: GitHub makes it http://www.
        return _locate("http://" + url)
    return _split_http(url)


def _split_http(url: str) -> tuple[str, str] | None:
    """(host, path) of an http(s) URL as urlsplit reads it, or None."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    # urlsplit lowercases the scheme; hostname lowercases the host and drops port and
    # credentials, so "https://arxiv.org@evil.com/" is evil.com, as a browser reads it.
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname, parts.path


# An http(s) URL whose host is plain (no credentials, port, IPv6 or non-ASCII) and that
# holds nothing urlsplit would remove or refuse: most links. Its host and path are what
# urlsplit gives (a property test checks it); anything else goes through urlsplit.
_SIMPLE_URL = re.compile(
    r"(?i:https?)://(?P<host>[A-Za-z0-9.-]+)(?P<path>/[^?#\t\r\n]*)?(?:[?#][^\t\r\n]*)?\Z"
)


def _canonical(match: re.Match[str]) -> str:
    new = match.group("new")
    return new if new else f"{match.group('archive')}/{match.group('number')}"


def resolve_arxiv(url: str) -> ArxivRef | None:
    """The arXiv paper a link names, or None when it names none.

    `url` is a link target as written (already trimmed): an http(s) URL of one of the forms
    of `_FORMS` (abs/pdf/html/format pages and the /ftp/ file tree of arxiv.org, ar5iv,
    alphaxiv, Hugging Face papers, the 10.48550 DOI), or `arXiv:ID` text. Query strings and
    fragments are ignored.
    The ID comes back canonical (no version, no old-style subject class), the version apart.
    """
    located = _locate(url)
    if located is None:
        return None
    host, path = located
    for form in _FORMS_OF_HOST.get(host, ()):
        if match := form.path.fullmatch(path):
            return _ref(match, versioned=form.versioned)
    return None


def points_at_arxiv(url: str) -> bool:
    """True when the link goes to arXiv (or an arXiv mirror) or is `arXiv:` text.

    Whether it names a valid paper does not matter: `points_at_arxiv(url)` with
    `resolve_arxiv(url) is None` is a broken arXiv link (`https://arxiv.org/abs/garbage`)
    or an arXiv page that is no paper (`https://arxiv.org/list/cs.CL/recent`).
    """
    located = _locate(url)
    if located is None:
        return False
    host, path = located
    return any(path.startswith(form.scope) for form in _FORMS_OF_HOST.get(host, ()))


def is_valid_arxiv_id(text: str) -> bool:
    """True when `text` is exactly an arXiv identifier without version.

    Old-style IDs may carry their subject class (`math.GT/0309136`).
    """
    return ARXIV_ID_PATTERN.fullmatch(text) is not None


def canonical_id(text: str) -> str:
    """The canonical form of an arXiv identifier: version and old-style subject class removed.

    `1706.03762v5` -> `1706.03762`, `math.GT/0309136v2` -> `math/0309136`. The subject class
    goes because it is not part of the identifier (arXiv redirects the long form to the
    short one). Raises ValueError when `text` is not an identifier with optional version.
    """
    return versioned_id(text).arxiv_id


def versioned_id(text: str) -> ArxivRef:
    """`canonical_id(text)` with the version `text` names (`1706.03762v5`: 5; none: None)."""
    match = _VERSIONED_ID_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"not an arXiv identifier: {text!r}")
    return _ref(match)


def _ref(match: re.Match[str], versioned: bool = True) -> ArxivRef:
    """The identifier `match` found, canonical, and the version it names (if `versioned`)."""
    version = match["version"] if versioned else None
    return ArxivRef(_canonical(match), int(version) if version else None)
