"""The enriched dataset: dtypes in pandas, CSV round trip, validation, determinism."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.catalog import build_catalog
from pipeline.errors import OutputError
from pipeline.outputs import (
    COLUMNS,
    build_rows,
    csv_text,
    outputs_readme,
    parquet_bytes,
)
from pipeline.parse import parse_links
from pipeline.snapshot import papers_from_snapshot
from tests.conftest import SNAPSHOT


@pytest.fixture
def rows(seed_text: str) -> list[dict[str, object]]:
    entries, _ = build_catalog(parse_links(seed_text))
    papers = {p.arxiv_id: p for p in papers_from_snapshot(SNAPSHOT.read_text(encoding="utf-8"))}
    return build_rows(entries, papers)


def test_read_parquet_gives_real_dtypes(rows: list[dict[str, object]]) -> None:
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


def test_arrow_schema_types_and_descriptions(rows: list[dict[str, object]]) -> None:
    schema = pq.read_schema(io.BytesIO(parquet_bytes(rows)))
    assert str(schema.field("authors").type) == "list<element: string>"
    assert str(schema.field("categories").type) == "list<element: string>"
    assert str(schema.field("published").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("position").type) == "int64"
    for column in COLUMNS:
        metadata = schema.field(column.name).metadata or {}
        assert metadata[b"description"].decode() == column.description


def test_web_links_have_empty_metadata(rows: list[dict[str, object]]) -> None:
    frame = pd.read_parquet(io.BytesIO(parquet_bytes(rows)))
    web = frame[frame.kind == "web"]
    assert len(web) == 15
    assert web[["title", "abstract", "published", "metadata_source"]].isna().all().all()


def test_csv_round_trip(rows: list[dict[str, object]]) -> None:
    text = csv_text(rows)
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


def test_same_rows_give_identical_bytes(rows: list[dict[str, object]]) -> None:
    assert parquet_bytes(rows) == parquet_bytes([dict(r) for r in rows])
    assert csv_text(rows) == csv_text(list(rows))


def test_validation_rejects_bad_rows(rows: list[dict[str, object]]) -> None:
    with pytest.raises(OutputError, match="positions are not unique"):
        parquet_bytes([*rows, rows[0]])
    with pytest.raises(OutputError, match="row 1: missing url"):
        csv_text([{**rows[0], "url": None}, *rows[1:]])
    with pytest.raises(OutputError, match=r"do not fit the schema"):
        parquet_bytes([{**rows[0], "year": "two thousand"}, *rows[1:]])


def test_unknown_papers_are_rows_without_metadata(seed_text: str) -> None:
    entries, _ = build_catalog(parse_links(seed_text))
    frame = pd.read_parquet(io.BytesIO(parquet_bytes(build_rows(entries, {}))))
    assert len(frame) == 47
    assert frame.title.isna().all()


def test_outputs_readme_documents_every_column() -> None:
    text = outputs_readme()
    for column in COLUMNS:
        assert f"| `{column.name}` |" in text
