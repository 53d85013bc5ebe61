"""The enriched dataset: one row per catalog link, as Parquet (typed) and CSV (for spreadsheets)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from operator import attrgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from pyarrow.pandas_compat import get_logical_type

from pipeline.bulk import gc_paused
from pipeline.errors import OutputError
from pipeline.models import CatalogEntry, Paper

LIST_SEPARATOR = "; "


# The dataset held column by column: one list per column of COLUMNS, one cell per link, in
# list order. Columns, not a dict per row: each column is computed in one pass and goes
# to Arrow and to CSV as it is (100 000 links: 26 lists rather than 100 000 dicts).
Dataset = dict[str, list[Any]]


@dataclass(frozen=True)
class Column:
    """One column of the dataset: everything about it is said here and derived from here.

    A cell comes from the link itself (`of_entry`) or from its paper's metadata (`of_paper`,
    empty for web links and papers without metadata); exactly one of the two is given.
    """

    name: str
    type: pa.DataType
    nullable: bool
    description: str
    of_entry: Callable[[CatalogEntry], Any] | None = None
    of_paper: Callable[[Paper], Any] | None = None
    in_catalog: bool = False  # also a column of catalog.csv

    def __post_init__(self) -> None:
        if (self.of_entry is None) == (self.of_paper is None):
            raise ValueError(f"column {self.name}: give exactly one of of_entry and of_paper")

    def cells(self, entries: Sequence[CatalogEntry], papers: Sequence[Paper | None]) -> list[Any]:
        """This column of the dataset: one cell per entry (`papers`: each entry's paper)."""
        if self.of_entry is not None:
            return list(map(self.of_entry, entries))
        assert self.of_paper is not None, self.name
        read = self.of_paper
        return [None if paper is None else read(paper) for paper in papers]

    @property
    def pandas_dtype(self) -> str | None:
        """The dtype pandas must give the column (None: pandas' own choice is right)."""
        if pa.types.is_integer(self.type):
            return "Int64" if self.nullable else "int64"
        if isinstance(self.type, pa.TimestampType):
            return f"datetime64[{self.type.unit}, {self.type.tz}]"
        return None


def _authors(paper: Paper) -> list[str]:
    return [author.name for author in paper.authors]


_TIMESTAMP = pa.timestamp("us", tz="UTC")
_INT, _TEXT, _TEXTS = pa.int64(), pa.string(), pa.list_(pa.string())
# Cells are read with attrgetter where they can be: a C call per cell, not a Python one.
COLUMNS: tuple[Column, ...] = (
    # The columns of a link as written and resolved: these are also catalog.csv.
    *(
        Column(name, kind, nullable, description, of_entry=attrgetter(read), in_catalog=True)
        for name, kind, nullable, description, read in (
            ("position", _INT, False, "Order of the link in the README, from 1.", "link.position"),
            (
                "section",
                _TEXT,
                False,
                "Heading path of the link (below the title).",
                "link.section",
            ),
            (
                "subsection",
                _TEXT,
                False,
                'Label paragraph inside the section ("DPO").',
                "link.subsection",
            ),
            ("label", _TEXT, False, "Link text as written, markup stripped.", "link.label"),
            ("url", _TEXT, False, "Link target as written.", "link.url"),
            ("kind", _TEXT, False, '"arxiv" for a link to an arXiv paper, else "web".', "kind"),
            ("arxiv_id", _TEXT, True, "arXiv identifier without version.", "arxiv_id"),
            (
                "arxiv_version",
                _INT,
                True,
                "Version named in the link (v2 -> 2), if any.",
                "arxiv_version",
            ),
            (
                "duplicate_of",
                _INT,
                True,
                "Position of the first link to the same paper.",
                "duplicate_of",
            ),
            ("line", _INT, False, "Line of the README on which the link starts.", "link.line"),
        )
    ),
    # The paper's metadata from arXiv: empty for web links and papers without metadata.
    Column("title", _TEXT, True, "Title on arXiv.", of_paper=attrgetter("title")),
    Column("authors", _TEXTS, True, "Authors in arXiv's order.", of_paper=_authors),
    Column(
        "first_author",
        _TEXT,
        True,
        "First author.",
        of_paper=lambda p: p.authors[0].name if p.authors else None,
    ),
    Column("abstract", _TEXT, True, "Abstract, single-spaced.", of_paper=attrgetter("abstract")),
    Column(
        "published",
        _TIMESTAMP,
        True,
        "First version submitted (UTC).",
        of_paper=attrgetter("published"),
    ),
    Column(
        "updated",
        _TIMESTAMP,
        True,
        "Latest version submitted (UTC).",
        of_paper=attrgetter("updated"),
    ),
    Column(
        "year",
        _INT,
        True,
        "Year of the first version.",
        of_paper=lambda p: p.published.year if p.published else None,
    ),
    Column(
        "latest_version",
        _INT,
        True,
        "Highest version number on arXiv.",
        of_paper=attrgetter("latest_version"),
    ),
    Column(
        "primary_category",
        _TEXT,
        True,
        "Primary arXiv category (cs.CL).",
        of_paper=attrgetter("primary_category"),
    ),
    Column(
        "categories",
        _TEXTS,
        True,
        "All categories, primary first.",
        of_paper=lambda p: list(p.categories),
    ),
    Column("comment", _TEXT, True, "Authors' comment on arXiv.", of_paper=attrgetter("comment")),
    Column(
        "journal_ref",
        _TEXT,
        True,
        "Journal reference on arXiv.",
        of_paper=attrgetter("journal_ref"),
    ),
    Column("doi", _TEXT, True, "Publisher DOI on arXiv.", of_paper=attrgetter("doi")),
    Column("abs_url", _TEXT, True, "Abstract page on arXiv.", of_paper=attrgetter("abs_url")),
    Column(
        "pdf_url",
        _TEXT,
        True,
        "PDF on arXiv (latest version).",
        of_paper=attrgetter("pdf_url"),
    ),
    Column(
        "metadata_source",
        _TEXT,
        True,
        '"arxiv-api" (fetched live) or "snapshot" (offline records of the arXiv listing).',
        of_paper=attrgetter("source"),
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


def build_rows(entries: Sequence[CatalogEntry], papers: Mapping[str, Paper]) -> Dataset:
    """One row per catalog link, held column by column; metadata columns stay empty for web
    links and unknown papers."""
    with gc_paused():  # a list per row for authors and categories, no cycles
        papers_of_rows = [papers.get(entry.arxiv_id or "") for entry in entries]
        return {column.name: column.cells(entries, papers_of_rows) for column in COLUMNS}


def entry_cells(entries: Sequence[CatalogEntry]) -> list[tuple[Any, ...]]:
    """Each entry's cells of the dataset taken from the link (not the paper): all the
    outputs read of an entry, so equal cells give equal outputs."""
    return list(zip(*(c.cells(entries, ()) for c in COLUMNS if c.of_entry), strict=True))


def validate_rows(rows: Dataset, columns: Sequence[Column] = COLUMNS) -> None:
    """Raise OutputError on missing columns, duplicate positions, missing required fields, or
    bad kinds; a bad row is named by its position (the first one, in list order)."""
    absent = [c.name for c in columns if c.name not in rows]
    if absent:
        raise OutputError(f"missing columns: {', '.join(absent)}")
    count = len(rows["position"])
    for column in columns:
        if len(rows[column.name]) != count:
            raise OutputError(f"column {column.name}: {len(rows[column.name])} cells, {count} rows")
    positions = rows["position"]
    if len(set(positions)) != count:
        raise OutputError("positions are not unique")
    # Whole columns are checked at C speed; the first bad row is then described on its own.
    bad = [cells.index(None) for c in columns if not c.nullable and None in (cells := rows[c.name])]
    for i, (kind, arxiv_id) in enumerate(zip(rows["kind"], rows["arxiv_id"], strict=True)):
        if not (kind == "web" or (kind == "arxiv" and arxiv_id)):
            bad.append(i)
            break
    if bad:
        raise OutputError(_row_problem(rows, columns, min(bad)))


def _row_problem(rows: Dataset, columns: Sequence[Column], index: int) -> str:
    """What is wrong with this row (one that `validate_rows` found bad)."""
    position, kind = rows["position"][index], rows["kind"][index]
    missing = [c.name for c in columns if not c.nullable and rows[c.name][index] is None]
    if missing:
        return f"row {position}: missing {', '.join(missing)}"
    if kind not in ("arxiv", "web"):
        return f"row {position}: unknown kind {kind!r}"
    return f"row {position}: arXiv link without an ID"


# What Arrow raises for cells that do not fit a column's type.
_DOES_NOT_FIT = (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError, OverflowError)


def dataset_table(rows: Dataset, columns: Sequence[Column] = COLUMNS) -> pa.Table:
    """The rows as one Arrow table (explicit schema, column descriptions) that every data
    file is written from; with all COLUMNS, the metadata through which
    `pandas.read_parquet` restores nullable integers as Int64 (not float) as is."""
    validate_rows(rows, columns)
    try:
        arrays = [pa.array(rows[c.name], type=c.type) for c in columns]
    except _DOES_NOT_FIT as error:
        raise OutputError(f"rows do not fit the schema: {error}") from None
    schema = pa.schema([SCHEMA.field(c.name) for c in columns])
    if columns is COLUMNS:
        schema = SCHEMA.with_metadata({"pandas": pandas_metadata(rows)})
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_from(table: pa.Table) -> bytes:
    """The Parquet file of the dataset table (zstd)."""
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def parquet_bytes(rows: Dataset) -> bytes:
    """The Parquet file: explicit Arrow schema with column descriptions, pandas dtypes kept."""
    return _written(rows, COLUMNS, parquet_from)


def _written(rows: Dataset, columns: Sequence[Column], write: Callable[[pa.Table], bytes]) -> bytes:
    """`write` of a table of `rows` made for it alone, its memory given back afterwards."""
    table = dataset_table(rows, columns)
    try:
        return write(table)
    finally:
        del table  # the only reference: Arrow has the pages back before they are released
        release_arrow_memory()


def release_arrow_memory() -> None:
    """Give Arrow's freed pages back: its allocator keeps them for reuse (120 MB after the
    50 MB bench README's dataset), where nothing after the data files would reuse them."""
    pa.default_memory_pool().release_unused()


def pandas_metadata(rows: Dataset) -> bytes:
    """The "pandas" schema metadata that `pa.Table.from_pandas` gives the DataFrame of these
    columns (`pandas.DataFrame(rows).astype(PANDAS_DTYPES)`), byte for byte.

    It is pandas' documented format ("Storing pandas DataFrame objects in Apache Parquet
    format") and only names each column's dtype; it is written here rather than by pandas
    so that enrich neither imports pandas (0.4 s) nor converts 100 000 rows through it.
    A test compares it with what pandas and pyarrow write, on generated columns.
    """
    described = []
    for c in COLUMNS:
        cells, extra = rows[c.name], None
        if isinstance(c.type, pa.TimestampType):
            dtype, extra = f"datetime64[{c.type.unit}]", {"timezone": c.type.tz}
        elif c.pandas_dtype:
            dtype = c.pandas_dtype
        elif pa.types.is_string(c.type) and cells.count(None) < len(cells):
            dtype = "str"  # pandas' string dtype, for text with at least one value
        else:
            dtype = "object"  # lists, and columns of None only
        described.append(
            {
                "name": c.name,
                "field_name": c.name,
                "pandas_type": get_logical_type(c.type),
                "numpy_type": dtype,
                "metadata": extra,
            }
        )
    metadata = {
        "index_columns": [],
        "column_indexes": [],
        "columns": described,
        "attributes": {},
        "creator": {"library": "pyarrow", "version": pa.__version__},
        "pandas_version": version("pandas"),
    }
    return json.dumps(metadata).encode("utf-8")


def csv_bytes(rows: Dataset) -> bytes:
    """The CSV file: lists joined with "; ", timestamps in ISO 8601 (UTC), UTF-8, a header."""
    return _written(rows, COLUMNS, csv_from)


def catalog_csv(rows: Dataset) -> bytes:
    """catalog.csv: the link columns of the dataset (`in_catalog`), one row per link."""
    return _written(rows, CATALOG_COLUMNS, csv_from)


def csv_from(table: pa.Table, columns: Sequence[Column] | None = None) -> bytes:
    """The table's `columns` (default: all) as CSV in UTF-8, written by Arrow's CSV writer
    (RFC 4180, "\n" line ends); lists joined with "; ", timestamps as `2017-06-12T17:57:34Z`.

    Arrow quotes every text cell and leaves numbers and empty cells bare: a spreadsheet,
    pandas or the csv module read the same cells as from minimal quoting, and a stray "\r"
    in a text can never split a row. It writes the 100 000-link bench dataset in a fifth of
    the time the csv module takes, whose writer looks up the line terminator per character,
    and the text of list and timestamp cells is made by Arrow too.
    """
    if columns is not None:
        table = table.select([c.name for c in columns])
    text = pa.Table.from_arrays([_as_text(column) for column in table.columns], table.column_names)
    buffer = io.BytesIO()
    pa_csv.write_csv(text, buffer, write_options=_CSV_OPTIONS)
    return buffer.getvalue()


# Column names are plain words: the header is written unquoted.
_CSV_OPTIONS = pa_csv.WriteOptions(quoting_header="none")


def _as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A list or timestamp column as the CSV writes it (text); other columns as they are."""
    if pa.types.is_list(column.type):
        return pc.binary_join(column, LIST_SEPARATOR)
    if isinstance(column.type, pa.TimestampType):
        assert column.type.tz == "UTC", column.type  # hence the "Z"
        # Arrow writes a timestamp without a zone ("2017-06-12 17:57:34") 8x faster than it
        # formats one with a zone (strftime or cast), which looks the zone up per value
        # (0.3 s for the bench's two date columns). The same instants, the zone left off:
        naive = column.cast(pa.int64()).cast(pa.timestamp(column.type.unit))
        # Whole seconds first, or the seconds are written with the unit's fractions.
        seconds = pc.floor_temporal(naive, unit="second").cast(pa.timestamp("s"))
        text = pc.replace_substring(seconds.cast(pa.string()), " ", "T", max_replacements=1)
        return pc.binary_join_element_wise(text, "Z", "")
    return column


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
