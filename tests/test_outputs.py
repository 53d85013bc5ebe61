"""The enriched dataset: dtypes in pandas, CSV round trip, validation, determinism."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import outputs
from pipeline.catalog import build_catalog
from pipeline.errors import OutputError
from pipeline.outputs import (
    COLUMNS,
    LIST_SEPARATOR,
    PANDAS_DTYPES,
    SCHEMA,
    Dataset,
    build_rows,
    csv_bytes,
    outputs_readme,
    pandas_metadata,
    parquet_bytes,
)
from pipeline.parse import parse_links
from tests.conftest import SeedCatalog


@pytest.fixture
def rows(seed_catalog: SeedCatalog) -> Dataset:
    return build_rows(*seed_catalog)


def test_read_parquet_gives_real_dtypes(rows: Dataset) -> None:
    frame = pd.read_parquet(io.BytesIO(parquet_bytes(rows)))
    assert list(frame.columns) == [c.name for c in COLUMNS]
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert dtypes["position"] == "int64"
    assert dtypes["line"] == "int64"
    for name in ("arxiv_version", "duplicate_of", "year", "latest_version"):
        assert dtypes[name] == "Int64", name
    for name in ("published", "updated"):
        assert dtypes[name] == "datetime64[us, UTC]", name
    for name in ("label", "url", "title", "arxiv_id", "abstract"):
        assert pd.api.types.is_string_dtype(frame[name]), name
    assert list(frame["authors"].iloc[0]) == [
        "Jacob Devlin",
        "Ming-Wei Chang",
        "Kenton Lee",
        "Kristina Toutanova",
    ]
    assert frame["year"].isna().sum() == 15  # the web links
    assert frame.loc[frame.arxiv_id == "2203.02155", "duplicate_of"].tolist() == [pd.NA, 20]


def test_arrow_schema_types_and_descriptions(rows: Dataset) -> None:
    schema = pq.read_schema(io.BytesIO(parquet_bytes(rows)))
    assert str(schema.field("authors").type) == "list<element: string>"
    assert str(schema.field("categories").type) == "list<element: string>"
    assert str(schema.field("published").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("position").type) == "int64"
    for column in COLUMNS:
        metadata = schema.field(column.name).metadata or {}
        assert metadata[b"description"].decode() == column.description


def test_web_links_have_empty_metadata(rows: Dataset) -> None:
    frame = pd.read_parquet(io.BytesIO(parquet_bytes(rows)))
    web = frame[frame.kind == "web"]
    assert len(web) == 15
    assert web[["title", "abstract", "published", "metadata_source"]].isna().all().all()


def test_csv_round_trip(rows: Dataset) -> None:
    text = csv_bytes(rows).decode()
    frame = pd.read_csv(
        io.StringIO(text),
        dtype={"arxiv_id": "string"},
        parse_dates=["published", "updated"],
        keep_default_na=False,
        na_values=[""],
    )
    typed = pd.read_parquet(io.BytesIO(parquet_bytes(rows)))
    assert len(frame) == 47
    assert frame.arxiv_id.dropna().tolist() == typed.arxiv_id.dropna().tolist()
    assert (frame.published.dropna() == typed.published.dropna()).all()
    first = frame.iloc[0]
    assert first.authors == "Jacob Devlin; Ming-Wei Chang; Kenton Lee; Kristina Toutanova"
    assert first.published.isoformat() == "2018-10-11T00:50:01+00:00"
    assert text.splitlines()[0].startswith("position,section,subsection,label,url,kind")


def test_same_rows_give_identical_bytes(rows: Dataset, seed_text: str) -> None:
    copy = {name: list(cells) for name, cells in rows.items()}
    assert parquet_bytes(rows) == parquet_bytes(copy)
    assert csv_bytes(rows) == csv_bytes(copy)


def changed(rows: Dataset, name: str, index: int, value: object) -> Dataset:
    cells = list(rows[name])
    cells[index] = value
    return {**rows, name: cells}


def test_validation_rejects_bad_rows(rows: Dataset) -> None:
    with pytest.raises(OutputError, match="positions are not unique"):
        parquet_bytes({name: [*cells, cells[0]] for name, cells in rows.items()})
    with pytest.raises(OutputError, match="row 1: missing url"):
        csv_bytes(changed(rows, "url", 0, None))
    with pytest.raises(OutputError, match="row 3: missing section, label"):
        csv_bytes(changed(changed(rows, "label", 2, None), "section", 2, None))
    with pytest.raises(OutputError, match="row 2: unknown kind 'paper'"):
        csv_bytes(changed(rows, "kind", 1, "paper"))
    with pytest.raises(OutputError, match="row 1: arXiv link without an ID"):
        csv_bytes(changed(rows, "arxiv_id", 0, None))
    with pytest.raises(OutputError, match="column year: 46 cells, 47 rows"):
        csv_bytes({**rows, "year": rows["year"][1:]})
    with pytest.raises(OutputError, match="missing columns: doi"):
        parquet_bytes({name: cells for name, cells in rows.items() if name != "doi"})
    with pytest.raises(OutputError, match=r"do not fit the schema"):
        parquet_bytes(changed(rows, "year", 0, "two thousand"))
    with pytest.raises(OutputError, match=r"do not fit the schema"):
        csv_bytes(changed(rows, "year", 0, "two thousand"))


def through_pandas(rows: Dataset) -> bytes:
    """papers.parquet as pandas and pyarrow write it: the plain way, to compare against."""
    frame = pd.DataFrame({c.name: rows[c.name] for c in COLUMNS}).astype(PANDAS_DTYPES)
    table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
    table = table.cast(SCHEMA.with_metadata(table.schema.metadata))
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


def plain_csv_cells(rows: Dataset) -> list[list[str]]:
    """papers.csv's header and cells as text, made row by row: the plain way, to compare with
    what a CSV reader reads back."""
    lines = [[c.name for c in COLUMNS]]
    for i in range(len(rows["position"])):
        row: list[str] = []
        for c in COLUMNS:
            cell = rows[c.name][i]
            if isinstance(cell, list):
                cell = LIST_SEPARATOR.join(cell)
            elif isinstance(cell, datetime):  # ISO 8601: four-digit years, whole seconds
                cell = cell.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            row.append("" if cell is None else str(cell))
        lines.append(row)
    return lines


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_seed_files_are_what_pandas_writes_and_the_csv_module_reads(rows: Dataset) -> None:
    assert parquet_bytes(rows) == through_pandas(rows)
    assert read_back(csv_bytes(rows)) == plain_csv_cells(rows)


def test_csv_quotes_text_and_leaves_numbers_and_empty_cells_bare(rows: Dataset) -> None:
    header, first, web = csv_bytes(rows).decode().splitlines()[:3]
    assert header == ",".join(c.name for c in COLUMNS)
    assert first.startswith('1,"Some Fundamental Transformers","","BERT: Pre-training')
    gpt1 = "https://cdn.openai.com/research-covers/language-unsupervised/language_understanding_paper.pdf"
    # A web link: its label and URL quoted, no ID, version or duplicate, line 12, no metadata.
    assert web == f'2,"Some Fundamental Transformers","","GPT1","{gpt1}","web",,,,12' + "," * 16


TEXT = st.text(max_size=8)
TIMES = st.datetimes(timezones=st.just(UTC))


def cells_of(column_type: pa.DataType, nullable: bool) -> st.SearchStrategy[Any]:
    if pa.types.is_list(column_type):
        value: st.SearchStrategy[Any] = st.lists(TEXT, max_size=3)
    elif pa.types.is_timestamp(column_type):
        value = TIMES
    elif pa.types.is_integer(column_type):
        value = st.integers(-(2**40), 2**40)
    else:
        value = TEXT
    return st.none() | value if nullable else value


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    """Any valid dataset of 1-4 rows (the list has links), nullable columns sometimes empty
    all the way down."""
    count = draw(st.integers(1, 4))
    rows: Dataset = {}
    for column in COLUMNS:
        cells = st.lists(cells_of(column.type, column.nullable), min_size=count, max_size=count)
        rows[column.name] = draw(st.just([None] * count) | cells if column.nullable else cells)
    rows["position"] = list(range(1, count + 1))
    rows["arxiv_id"] = [arxiv_id or None for arxiv_id in rows["arxiv_id"]]
    rows["kind"] = ["web" if arxiv_id is None else "arxiv" for arxiv_id in rows["arxiv_id"]]
    return rows


@settings(max_examples=60)
@given(rows=datasets())
def test_any_dataset_is_written_as_pandas_writes_and_the_csv_module_reads(rows: Dataset) -> None:
    assert (
        pandas_metadata(rows)
        == pq.read_schema(io.BytesIO(through_pandas(rows))).metadata[b"pandas"]
    )
    assert parquet_bytes(rows) == through_pandas(rows)
    assert read_back(csv_bytes(rows)) == plain_csv_cells(rows)


def test_unknown_papers_are_rows_without_metadata(seed_text: str) -> None:
    entries, _ = build_catalog(parse_links(seed_text))
    frame = pd.read_parquet(io.BytesIO(parquet_bytes(build_rows(entries, {}))))
    assert len(frame) == 47
    assert frame.title.isna().all()


def test_outputs_readme_documents_every_column() -> None:
    text = outputs_readme()
    for column in COLUMNS:
        assert f"| `{column.name}` |" in text


def test_arrow_memory_is_given_back_after_the_table_is_gone(
    rows: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    allocated: list[int] = []
    give_back = outputs.release_arrow_memory

    def noted() -> None:
        allocated.append(pa.total_allocated_bytes())
        give_back()

    monkeypatch.setattr(outputs, "release_arrow_memory", noted)
    before = pa.total_allocated_bytes()  # what earlier tests may still hold
    csv_bytes(rows)
    parquet_bytes(rows)
    assert allocated == [before, before]  # nothing of the table left for the allocator to keep
