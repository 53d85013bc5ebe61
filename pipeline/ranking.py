"""Which papers of an arXiv announcement belong in the list, best first: plain functions.

The list's papers (text and place) and the feed's announcements in, the selection and the
ranked proposals out; `digest.py` wires them to the files and the network.

Ranking: every text (a list paper's title and abstract, a candidate's title and abstract)
is a TF-IDF vector (scikit-learn; English stop words dropped) fitted on the list's papers
and the candidates together, so that words a candidate shares with no list paper weigh
against it. A candidate's score is its cosine similarity to its nearest list paper; the
section suggested is that paper's section. One nearest paper (rather than a section
centroid) keeps the suggestion explainable: the digest names the paper, and the maintainer
can judge the pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from pipeline.models import CatalogEntry, Paper
from pipeline.rss import Announcement

MAX_DEFAULT_CATEGORIES = 5
KEPT_TYPES = ("new", "cross")  # first versions; replace and replace-cross are new versions
SCORE_DECIMALS = 4


@dataclass(frozen=True)
class ListPaper:
    """A paper of the list as the ranking sees it: its text and where it sits."""

    arxiv_id: str
    title: str
    text: str
    section: str
    subsection: str


@dataclass(frozen=True)
class Proposal:
    """A candidate paper, scored, with the place in the list it seems to belong."""

    paper: Announcement
    score: float  # rounded to SCORE_DECIMALS
    nearest: ListPaper


@dataclass
class Selection:
    """The candidates of a feed, and what was left out and why."""

    candidates: list[Announcement] = field(default_factory=list)
    replacements: list[str] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)  # already in the list
    duplicates: list[str] = field(default_factory=list)  # seen in another category
    other_types: list[str] = field(default_factory=list)  # announce types we do not know


def list_papers(entries: Sequence[CatalogEntry], papers: Mapping[str, Paper]) -> list[ListPaper]:
    """One ListPaper per distinct arXiv ID of the catalog, at its first link's place.

    A paper without metadata is represented by its link text, so its section still counts.
    """
    found: dict[str, ListPaper] = {}
    for entry in entries:
        if entry.arxiv_id is None or entry.arxiv_id in found:
            continue
        paper = papers.get(entry.arxiv_id)
        title = paper.title if paper else entry.link.label
        text = f"{title}. {paper.abstract or ''}" if paper else entry.link.label
        found[entry.arxiv_id] = ListPaper(
            entry.arxiv_id, title, text, entry.link.section, entry.link.subsection
        )
    return list(found.values())


def list_categories(papers: Iterable[Paper], limit: int = MAX_DEFAULT_CATEGORIES) -> list[str]:
    """The categories the list's papers are filed under (primary and cross lists), most first.

    Ties go alphabetically, so the same list always gives the same feed URL.
    """
    counts = Counter(c for paper in papers for c in dict.fromkeys(paper.categories))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [category for category, _ in ranked[:limit]]


def select_candidates(items: Sequence[Announcement], listed_ids: Iterable[str]) -> Selection:
    """Keep each new or cross-listed paper once; leave out replacements and listed papers.

    A paper listed under two categories of a combined feed keeps its `new` item (the one of
    its primary category) and the union of the categories.
    """
    listed = set(listed_ids)
    selection = Selection()
    kept: dict[str, Announcement] = {}
    for item in items:
        if item.announce_type not in KEPT_TYPES:
            if item.announce_type.startswith("replace"):
                selection.replacements.append(item.arxiv_id)
            else:
                selection.other_types.append(item.arxiv_id)
        elif item.arxiv_id in listed:
            selection.listed.append(item.arxiv_id)
        elif item.arxiv_id in kept:
            selection.duplicates.append(item.arxiv_id)
            first = kept[item.arxiv_id]
            better = item if first.announce_type != "new" and item.announce_type == "new" else first
            categories = (*better.categories, *item.categories, *first.categories)
            kept[item.arxiv_id] = replace(better, categories=tuple(dict.fromkeys(categories)))
        else:
            kept[item.arxiv_id] = item
    selection.candidates = list(kept.values())
    return selection


def rank(candidates: Sequence[Announcement], papers: Sequence[ListPaper]) -> list[Proposal]:
    """Candidates scored by cosine similarity to their nearest list paper, best first.

    Candidates that share no word with any list paper (score 0) are left out. Ties go by
    arXiv ID, so the order is the same on every run.
    """
    if not candidates or not papers:
        return []
    # scikit-learn's defaults (words, raw term counts, smoothed IDF, L2 norm) with English
    # stop words dropped: on the test feeds word pairs and sublinear counts only narrowed the
    # gap between on- and off-topic papers (docs/ARCHITECTURE.md has the figures).
    vectorizer = TfidfVectorizer(stop_words="english", strip_accents="unicode")
    texts = [p.text for p in papers] + [f"{c.title}. {c.abstract}" for c in candidates]
    try:
        vectors = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words everywhere: nothing to compare
        return []
    similarity = cosine_similarity(vectors[len(papers) :], vectors[: len(papers)])
    proposals = []
    for candidate, row in zip(candidates, similarity, strict=True):
        # The first list paper among equals: list order decides, never float noise.
        best = max(range(len(papers)), key=lambda i: (round(float(row[i]), 9), -i))
        score = round(float(row[best]), SCORE_DECIMALS)
        if score > 0:
            proposals.append(Proposal(candidate, score, papers[best]))
    proposals.sort(key=lambda p: (-p.score, p.paper.arxiv_id))
    return proposals
