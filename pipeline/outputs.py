"""The enriched dataset: one row per catalog link, as Parquet (typed) and CSV (for spreadsheets)."""

from __future__ import annotations

import csv
import io
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.cache import format_timestamp
from pipeline.errors import OutputError
from pipeline.models import CatalogEntry, Paper

LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    """One column of the dataset: everything about it is said here and derived from here."""

    name: str
    type: pa.DataType
    nullable: bool
    description: str
    value: Callable[[CatalogEntry, Paper | None], Any]  # the cell of one link's row
    in_catalog: bool = False  # also a column of catalog.csv

    @property
    def pandas_dtype(self) -> str | None:
        """The dtype pandas must give the column (None: pandas' own choice is right)."""
        if pa.types.is_integer(self.type):
            return "Int64" if self.nullable else "int64"
        if isinstance(self.type, pa.TimestampType):
            return f"datetime64[{self.type.unit}, {self.type.tz}]"
        return None


def _of_entry(read: Callable[[CatalogEntry], Any]) -> Callable[[CatalogEntry, Paper | None], Any]:
    """A cell of the link itself, whatever the paper."""
    return lambda entry, _paper: read(entry)


def _of_paper(read: Callable[[Paper], Any]) -> Callable[[CatalogEntry, Paper | None], Any]:
    """A metadata cell: empty for web links and papers without metadata."""
    return lambda _entry, paper: read(paper) if paper else None


def _authors(paper: Paper) -> list[str]:
    return [author.name for author in paper.authors]


_TIMESTAMP = pa.timestamp("us", tz="UTC")
_INT, _TEXT, _TEXTS = pa.int64(), pa.string(), pa.list_(pa.string())
COLUMNS: tuple[Column, ...] = (
    # The columns of a link as written and resolved: these are also catalog.csv.
    *(
        Column(name, kind, nullable, description, _of_entry(read), in_catalog=True)
        for name, kind, nullable, description, read in (
            (
                "position",
                _INT,
                False,
                "Order of the link in the README, from 1.",
                lambda e: e.link.position,
            ),
            (
                "section",
                _TEXT,
                False,
                "Heading path of the link (below the title).",
                lambda e: e.link.section,
            ),
            (
                "subsection",
                _TEXT,
                False,
                'Label paragraph inside the section ("DPO").',
                lambda e: e.link.subsection,
            ),
            (
                "label",
                _TEXT,
                False,
                "Link text as written, markup stripped.",
                lambda e: e.link.label,
            ),
            ("url", _TEXT, False, "Link target as written.", lambda e: e.link.url),
            (
                "kind",
                _TEXT,
                False,
                '"arxiv" for a link to an arXiv paper, else "web".',
                lambda e: e.kind,
            ),
            ("arxiv_id", _TEXT, True, "arXiv identifier without version.", lambda e: e.arxiv_id),
            (
                "arxiv_version",
                _INT,
                True,
                "Version named in the link (v2 -> 2), if any.",
                lambda e: e.arxiv_version,
            ),
            (
                "duplicate_of",
                _INT,
                True,
                "Position of the first link to the same paper.",
                lambda e: e.duplicate_of,
            ),
            (
                "line",
                _INT,
                False,
                "Line of the README on which the link starts.",
                lambda e: e.link.line,
            ),
        )
    ),
    # The paper's metadata from arXiv: empty for web links and papers without metadata.
    Column("title", _TEXT, True, "Title on arXiv.", _of_paper(lambda p: p.title)),
    Column("authors", _TEXTS, True, "Authors in arXiv's order.", _of_paper(_authors)),
    Column(
        "first_author",
        _TEXT,
        True,
        "First author.",
        _of_paper(lambda p: p.authors[0].name if p.authors else None),
    ),
    Column("abstract", _TEXT, True, "Abstract, single-spaced.", _of_paper(lambda p: p.abstract)),
    Column(
        "published",
        _TIMESTAMP,
        True,
        "First version submitted (UTC).",
        _of_paper(lambda p: p.published),
    ),
    Column(
        "updated",
        _TIMESTAMP,
        True,
        "Latest version submitted (UTC).",
        _of_paper(lambda p: p.updated),
    ),
    Column(
        "year",
        _INT,
        True,
        "Year of the first version.",
        _of_paper(lambda p: p.published.year if p.published else None),
    ),
    Column(
        "latest_version",
        _INT,
        True,
        "Highest version number on arXiv.",
        _of_paper(lambda p: p.latest_version),
    ),
    Column(
        "primary_category",
        _TEXT,
        True,
        "Primary arXiv category (cs.CL).",
        _of_paper(lambda p: p.primary_category),
    ),
    Column(
        "categories",
        _TEXTS,
        True,
        "All categories, primary first.",
        _of_paper(lambda p: list(p.categories)),
    ),
    Column("comment", _TEXT, True, "Authors' comment on arXiv.", _of_paper(lambda p: p.comment)),
    Column(
        "journal_ref",
        _TEXT,
        True,
        "Journal reference on arXiv.",
        _of_paper(lambda p: p.journal_ref),
    ),
    Column("doi", _TEXT, True, "Publisher DOI on arXiv.", _of_paper(lambda p: p.doi)),
    Column("abs_url", _TEXT, True, "Abstract page on arXiv.", _of_paper(lambda p: p.abs_url)),
    Column(
        "pdf_url", _TEXT, True, "PDF on arXiv (latest version).", _of_paper(lambda p: p.pdf_url)
    ),
    Column(
        "metadata_source",
        _TEXT,
        True,
        '"arxiv-api" (fetched live) or "snapshot" (offline records of the arXiv listing).',
        _of_paper(lambda p: p.source),
    ),
)
CATALOG_COLUMNS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.in_catalog)
SCHEMA = pa.schema(
    [
        pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.description})
        for c in COLUMNS
    ]
)
PANDAS_DTYPES: dict[str, str] = {c.name: c.pandas_dtype for c in COLUMNS if c.pandas_dtype}


def build_rows(
    entries: Sequence[CatalogEntry], papers: Mapping[str, Paper]
) -> list[dict[str, Any]]:
    """One row per catalog link; metadata columns stay empty for web links and unknown papers."""
    rows = []
    for entry in entries:
        paper = papers.get(entry.arxiv_id or "")
        rows.append({column.name: column.value(entry, paper) for column in COLUMNS})
    return rows


def validate_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    """Raise OutputError on duplicate positions, missing required fields, or bad kinds."""
    positions = [row["position"] for row in rows]
    if len(set(positions)) != len(positions):
        raise OutputError("positions are not unique")
    required = [c.name for c in COLUMNS if not c.nullable]
    for row in rows:
        missing = [name for name in required if row.get(name) is None]
        if missing:
            raise OutputError(f"row {row.get('position')}: missing {', '.join(missing)}")
        if row["kind"] not in ("arxiv", "web"):
            raise OutputError(f"row {row['position']}: unknown kind {row['kind']!r}")
        if row["kind"] == "arxiv" and not row["arxiv_id"]:
            raise OutputError(f"row {row['position']}: arXiv link without an ID")


def parquet_bytes(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The Parquet file: explicit Arrow schema with column descriptions, pandas dtypes kept.

    The table goes through pandas so that its metadata tells `pandas.read_parquet` to
    restore nullable integers as Int64 (not float) without any post-processing.
    """
    validate_rows(rows)
    frame = pd.DataFrame({c.name: [row[c.name] for row in rows] for c in COLUMNS})
    try:
        frame = frame.astype(PANDAS_DTYPES)
        table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError) as error:
        raise OutputError(f"rows do not fit the schema: {error}") from None
    # from_pandas drops field metadata; put the descriptions back beside pandas' metadata.
    table = table.cast(SCHEMA.with_metadata(table.schema.metadata))
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The CSV file: lists joined with "; ", timestamps in ISO 8601 (UTC), UTF-8, a header."""
    validate_rows(rows)
    return _csv(rows, COLUMNS)


def catalog_csv(entries: Sequence[CatalogEntry]) -> str:
    """catalog.csv: the link columns of the dataset (`in_catalog`), one row per link."""
    rows = [{c.name: c.value(entry, None) for c in CATALOG_COLUMNS} for entry in entries]
    validate_rows(rows)
    return _csv(rows, CATALOG_COLUMNS)


def _csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """CSV text; the csv module writes None as "" and numbers and text as they are, so only
    list and timestamp cells are converted (per column, not per cell: 100 000 rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(c.name for c in columns)
    cells = operator.itemgetter(*(c.name for c in columns))
    converted = [(i, convert) for i, c in enumerate(columns) if (convert := _csv_converter(c.type))]
    for row in rows:
        values = list(cells(row))
        for i, convert in converted:
            if values[i] is not None:
                values[i] = convert(values[i])
        writer.writerow(values)
    return buffer.getvalue()


def _csv_converter(kind: pa.DataType) -> Callable[[Any], str] | None:
    """How a non-empty cell of this Arrow type is written in CSV (None: as it is)."""
    if pa.types.is_list(kind):
        return LIST_SEPARATOR.join
    if pa.types.is_timestamp(kind):
        return lambda value: format_timestamp(value) or ""
    return None


def outputs_readme() -> str:
    """outputs/README.md: what the files are and what each column means."""
    lines = [
        "# The enriched reading list",
        "",
        "Generated by `make enrich` from the README's links and the arXiv metadata cache;",
        "do not edit by hand. One row per link of the list, in list order.",
        "",
        "- `papers.parquet`: typed (lists as `list<string>`, dates as UTC timestamps,",
        "  nullable integers); `pandas.read_parquet` gives the right dtypes as is.",
        f"- `papers.csv`: the same rows for spreadsheets; lists joined with `{LIST_SEPARATOR}`,",
        "  dates in ISO 8601, UTF-8.",
        "- `papers.bib`: one BibTeX entry per arXiv paper of the list (duplicates once), in",
        "  list order, in the form arXiv exports: `@misc` with `title`, `author`, `year` (of",
        "  the first version), `eprint`, `archivePrefix`, `primaryClass`, `url`, and `doi`",
        "  when the paper has a journal DOI. Keys are surname + year + first title word",
        "  (`vaswani2017attention`); papers sharing one take `b`, `c`, ... in arXiv ID order.",
        "  TeX in arXiv's titles (`$math$`, macros) is kept; accents and `& % # _` are escaped.",
        "",
        "```python",
        "import pandas as pd",
        "",
        'papers = pd.read_parquet("outputs/papers.parquet")  # dtypes as below, nothing to fix',
        "# From the CSV, read arxiv_id as text (1810.04805 is no number) and parse the dates:",
        "same = pd.read_csv(",
        '    "outputs/papers.csv",',
        '    dtype={"arxiv_id": "string"},',
        '    parse_dates=["published", "updated"],',
        ")",
        "```",
        "",
        "| column | type | description |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{c.name}` | `{c.type}` | {c.description} |" for c in COLUMNS]
    return "\n".join(lines) + "\n"
