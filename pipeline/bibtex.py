"""outputs/papers.bib: one BibTeX entry per arXiv paper of the list, in arXiv's export form.

Entries are `@misc` with the fields arXiv's own "Export BibTeX citation" gives (title, author,
year, eprint, archivePrefix, primaryClass, url) plus `doi` when the paper has a journal DOI.
bibtexparser 2 writes them; pylatexenc (the encoder behind bibtexparser's LaTeX-encoding
middleware, used directly because the rules differ per value) escapes what arXiv leaves bare.

arXiv titles and names are TeX-flavoured text typed by authors: `$...$` math, macros such
as `\\"u` or `\\emph{..}` and balanced braces are meant as TeX and are kept; everything else
is encoded (`&` -> `\\&`, `_` -> `\\_`, `ó` -> `{\\'o}`, ...). A title with unbalanced braces
has its braces escaped, so one bad title never breaks the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from bibtexparser import model
from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.writer import BibtexFormat
from pylatexenc.latexencode import (
    RULE_REGEX,
    UnicodeToLatexConversionRule,
    UnicodeToLatexEncoder,
)

from pipeline.atom import abs_url
from pipeline.bulk import gc_paused
from pipeline.catalog import distinct_arxiv_ids
from pipeline.models import CatalogEntry, Paper

FIELD_ORDER = ("title", "author", "year", "eprint", "archivePrefix", "primaryClass", "url", "doi")

# Words skipped when the key takes the first word of the title.
STOP_WORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "from", "by", "at", "as"}
    | {"is", "are", "be", "do", "does", "can", "via", "what", "why", "how", "toward", "towards"}
    | {"beyond", "into"}
)
NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# Letters NFKD does not decompose into ASCII.
_FOLD = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D"}
    | {"ı": "i", "œ": "oe", "Œ": "OE", "þ": "th", "ð": "d"}
)

# Math as pandoc reads it: `$` + non-space ... non-space + `$` not followed by a digit, so
# prices ("1$ and 2$") are not mistaken for math.
_KEEP_MATH = (re.compile(r"(?<!\\)(\$(?=\S)[^$]*?(?<=[^\s\\])\$(?!\d))"), r"\1")
# Control words (`\emph`) and control symbols (`\'`), but not `\\`, whose second backslash
# would escape the brace that closes the field for some readers.
_KEEP_MACROS = (re.compile(r"(\\(?:[A-Za-z]+|[^A-Za-z\s\\]))"), r"\1")
_KEEP_MACROS_NO_BRACES = (re.compile(r"(\\(?:[A-Za-z]+|[^A-Za-z\s\\{}]))"), r"\1")
_KEEP_BRACES = (re.compile(r"([{}])"), r"\1")
# BibTeX counts every brace, escaped or not, so a literal brace must be a macro without one.
_BRACES_AS_TEXT = [
    (re.compile(r"\{"), r"{\\textbraceleft}"),
    (re.compile(r"\}"), r"{\\textbraceright}"),
]


def _encoder(keep_braces: bool) -> UnicodeToLatexEncoder:
    if keep_braces:
        keep, braces = [_KEEP_MATH, _KEEP_MACROS, _KEEP_BRACES], []
    else:
        keep, braces = [_KEEP_MACROS_NO_BRACES], _BRACES_AS_TEXT
    return UnicodeToLatexEncoder(
        conversion_rules=[
            # What is kept is TeX already: no extra braces around it (they would break `\'e`).
            UnicodeToLatexConversionRule(
                rule_type=RULE_REGEX, rule=keep + braces, replacement_latex_protection="none"
            ),
            "defaults",
        ],
        # {\'o} rather than \'o: BibTeX sorts, abbreviates and counts braced accents right.
        replacement_latex_protection="braces-all",
        # Scripts LaTeX has no macro for (CJK, ...) stay UTF-8, which biber and XeLaTeX read.
        unknown_char_policy="keep",
        unknown_char_warning=False,
    )


# Text the encoder would return unchanged (checked by a test), so it can skip the encoder.
_PLAIN = re.compile(r"[A-Za-z0-9 .,:;!?()'/@+=*|\[\]-]*")
_BALANCED = _encoder(keep_braces=True)
_UNBALANCED = _encoder(keep_braces=False)


# Entries per bibtexparser Library written at a time: its model holds a Field object per
# value (~1.5 KB an entry), 125 MB for 80 000 papers at once; slices keep it to a few MB.
ENTRIES_PER_WRITE = 2000


def bibtex_text(entries: Sequence[CatalogEntry], papers: Mapping[str, Paper]) -> str:
    """papers.bib: one entry per distinct arXiv paper with metadata, in list order."""
    ordered = [papers[i] for i in distinct_arxiv_ids(entries) if i in papers]
    keys = citation_keys(ordered)
    bibtex_format = BibtexFormat()  # type: ignore[no-untyped-call]  # untyped __init__
    bibtex_format.indent = "  "
    bibtex_format.block_separator = "\n"
    texts = []
    with gc_paused():  # half a million Field objects, no cycles
        for start in range(0, len(ordered), ENTRIES_PER_WRITE):
            part = ordered[start : start + ENTRIES_PER_WRITE]
            library = Library([_entry(paper, keys[paper.arxiv_id]) for paper in part])
            # No middleware: values are enclosed in braces as the entries are built (_entry).
            texts.append(write_string(library, unparse_stack=[], bibtex_format=bibtex_format))
    # The writer puts the separator between blocks: between the slices too, then.
    return str(bibtex_format.block_separator.join(texts))


def _entry(paper: Paper, key: str) -> model.Entry:
    values = (  # in FIELD_ORDER
        latex(paper.title),
        " and ".join([latex(author.name) for author in paper.authors]),
        str(paper.published.year) if paper.published else None,
        paper.arxiv_id,
        "arXiv",
        paper.primary_category,
        abs_url(paper.arxiv_id),
        paper.doi,
    )
    # Every value in braces, as bibtexparser's AddEnclosingMiddleware(default_enclosing="{",
    # enclose_integers=True) would write it; done here because that middleware is a second
    # pass over every field (0.8 s for 80 000 entries). latex() keeps braces balanced.
    fields = [
        model.Field(name, f"{{{value}}}")
        for name, value in zip(FIELD_ORDER, values, strict=True)
        if value
    ]
    return model.Entry("misc", key, fields)


def latex(text: str) -> str:
    """`text` (arXiv's TeX-flavoured metadata) as a BibTeX field value; see the module doc."""
    text = " ".join(text.split())
    if _PLAIN.fullmatch(text):  # most titles and names: nothing to encode (and 100x faster)
        return text
    encoder = _BALANCED if _braces_balanced(text) else _UNBALANCED
    return str(encoder.unicode_to_latex(text))


def _braces_balanced(text: str) -> bool:
    """Balanced both for BibTeX (every brace counts) and for TeX (`\\{` is no group)."""
    return _balanced(text) and _balanced(re.sub(r"\\[{}]", "", text))


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def citation_keys(papers: Sequence[Paper]) -> dict[str, str]:
    """Readable unique keys: surname + year + first title word (`vaswani2017attention`).

    Papers sharing a key are taken in arXiv ID order: the first keeps the plain key and the
    others get `b`, `c`, ... so adding a newer paper never renames the keys people cite.
    """
    by_base: dict[str, list[str]] = {}
    for paper in sorted(papers, key=lambda p: _id_order(p.arxiv_id)):
        by_base.setdefault(base_key(paper), []).append(paper.arxiv_id)
    taken = set(by_base)
    keys: dict[str, str] = {}
    for base, ids in sorted(by_base.items()):
        keys[ids[0]] = base
        candidates = _suffixed(base)  # one pass per base: linear even when hundreds clash
        for arxiv_id in ids[1:]:
            key = next(k for k in candidates if k not in taken)
            taken.add(key)
            keys[arxiv_id] = key
    return keys


def _suffixed(base: str) -> Iterable[str]:
    letters = "bcdefghijklmnopqrstuvwxyz"
    yield from (base + c for c in letters)
    yield from (base + a + b for a in letters for b in letters)
    number = 1
    while True:
        yield f"{base}-{number}"
        number += 1


def _id_order(arxiv_id: str) -> tuple[str, str]:
    """Submission order: YYMM of either ID style (old ones began in 1991, new ones in 2007)."""
    yymm = arxiv_id.split("/", 1)[1][:4] if "/" in arxiv_id else arxiv_id[:4]
    century = "19" if "/" in arxiv_id and yymm >= "91" else "20"
    return (century + yymm, arxiv_id)


def base_key(paper: Paper) -> str:
    """surname + year + first title word, ASCII, lowercase."""
    surname = _surname(paper.authors[0].name) if paper.authors else ""
    year = str(paper.published.year) if paper.published else ""
    return (surname or "anon") + year + _first_word(paper.title)


def _first_word(title: str) -> str:
    """The title's first word that is no stop word, TeX left out (ASCII, lowercase)."""
    for match in _WORD.finditer(_ascii_lower(_without_tex(title))):  # stops at that word
        if (word := match.group()) not in STOP_WORDS:
            return word
    return ""


def _surname(name: str) -> str:
    parts = [p for p in name.replace(",", " ").split() if p.lower() not in NAME_SUFFIXES]
    for part in reversed(parts):
        if words := _ascii_words(part):
            return "".join(words)
    return ""


_MATH, _MACRO, _WORD = re.compile(r"\$[^$]*\$"), re.compile(r"\\[A-Za-z]+"), re.compile("[a-z0-9]+")


def _without_tex(text: str) -> str:
    if "$" not in text and "\\" not in text:  # most titles: nothing to take out
        return text
    return _MACRO.sub(" ", _MATH.sub(" ", text))


def _ascii_words(text: str) -> list[str]:
    return _WORD.findall(_ascii_lower(text))


def _ascii_lower(text: str) -> str:
    # Folding only changes non-ASCII text (most titles and names are ASCII already).
    if not text.isascii():
        folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
        text = folded.encode("ascii", "ignore").decode("ascii")
    return text.lower()
