"""The enriched dataset: one row per catalog link, as Parquet (typed) and CSV (for spreadsheets)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
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
    name: str
    type: pa.DataType
    nullable: bool
    description: str


_TIMESTAMP = pa.timestamp("us", tz="UTC")
COLUMNS: tuple[Column, ...] = (
    Column("position", pa.int64(), False, "Order of the link in the README, from 1."),
    Column("section", pa.string(), False, "Heading path of the link (below the title)."),
    Column("subsection", pa.string(), False, 'Label paragraph inside the section ("DPO").'),
    Column("label", pa.string(), False, "Link text as written, markup stripped."),
    Column("url", pa.string(), False, "Link target as written."),
    Column("kind", pa.string(), False, '"arxiv" for a link to an arXiv paper, else "web".'),
    Column("arxiv_id", pa.string(), True, "arXiv identifier without version."),
    Column("arxiv_version", pa.int64(), True, "Version named in the link (v2 -> 2), if any."),
    Column("duplicate_of", pa.int64(), True, "Position of the first link to the same paper."),
    Column("line", pa.int64(), False, "Line of the README on which the link starts."),
    Column("title", pa.string(), True, "Title on arXiv."),
    Column("authors", pa.list_(pa.string()), True, "Authors in arXiv's order."),
    Column("first_author", pa.string(), True, "First author."),
    Column("abstract", pa.string(), True, "Abstract, single-spaced."),
    Column("published", _TIMESTAMP, True, "First version submitted (UTC)."),
    Column("updated", _TIMESTAMP, True, "Latest version submitted (UTC)."),
    Column("year", pa.int64(), True, "Year of the first version."),
    Column("latest_version", pa.int64(), True, "Highest version number on arXiv."),
    Column("primary_category", pa.string(), True, "Primary arXiv category (cs.CL)."),
    Column("categories", pa.list_(pa.string()), True, "All categories, primary first."),
    Column("comment", pa.string(), True, "Authors' comment on arXiv."),
    Column("journal_ref", pa.string(), True, "Journal reference on arXiv."),
    Column("doi", pa.string(), True, "Publisher DOI on arXiv."),
    Column("abs_url", pa.string(), True, "Abstract page on arXiv."),
    Column("pdf_url", pa.string(), True, "PDF on arXiv (latest version)."),
    Column(
        "metadata_source",
        pa.string(),
        True,
        '"arxiv-api" (fetched live) or "snapshot" (offline records of the arXiv listing).',
    ),
)
SCHEMA = pa.schema(
    [
        pa.field(c.name, c.type, nullable=c.nullable, metadata={"description": c.description})
        for c in COLUMNS
    ]
)
_PANDAS_DTYPES: dict[str, Any] = {
    "position": "int64",
    "line": "int64",
    "arxiv_version": "Int64",
    "duplicate_of": "Int64",
    "year": "Int64",
    "latest_version": "Int64",
    "published": "datetime64[us, UTC]",
    "updated": "datetime64[us, UTC]",
}


def build_rows(
    entries: Sequence[CatalogEntry], papers: Mapping[str, Paper]
) -> list[dict[str, Any]]:
    """One row per catalog link; metadata columns stay empty for web links and unknown papers."""
    rows = []
    for entry in entries:
        paper = papers.get(entry.arxiv_id or "")
        authors = [a.name for a in paper.authors] if paper else None
        row: dict[str, Any] = {
            "position": entry.position,
            "section": entry.section,
            "subsection": entry.subsection,
            "label": entry.label,
            "url": entry.url,
            "kind": entry.kind,
            "arxiv_id": entry.arxiv_id,
            "arxiv_version": entry.arxiv_version,
            "duplicate_of": entry.duplicate_of,
            "line": entry.line,
            "title": paper.title if paper else None,
            "authors": authors,
            "first_author": authors[0] if authors else None,
            "abstract": paper.abstract if paper else None,
            "published": paper.published if paper else None,
            "updated": paper.updated if paper else None,
            "year": paper.published.year if paper and paper.published else None,
            "latest_version": paper.latest_version if paper else None,
            "primary_category": paper.primary_category if paper else None,
            "categories": list(paper.categories) if paper else None,
            "comment": paper.comment if paper else None,
            "journal_ref": paper.journal_ref if paper else None,
            "doi": paper.doi if paper else None,
            "abs_url": paper.abs_url if paper else None,
            "pdf_url": paper.pdf_url if paper else None,
            "metadata_source": paper.source if paper else None,
        }
        rows.append(row)
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
        frame = frame.astype(_PANDAS_DTYPES)
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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(c.name for c in COLUMNS)
    for row in rows:
        writer.writerow(_csv_cell(row[c.name]) for c in COLUMNS)
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEPARATOR.join(value)
    if isinstance(value, datetime):
        return format_timestamp(value) or ""
    return str(value)


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
