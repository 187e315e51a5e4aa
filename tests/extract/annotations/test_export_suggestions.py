"""The suggester's labels in the labellers' round trip: a column of hints and an order, never a
label: the import still demands every rater's own labels."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import landing
from extract.annotations import files
from extract.annotations.files import AnnotationFileError
from extract.cli import main as mms_extract

ITEMS = ["o/r@" + c * 40 for c in "abcd"]


@pytest.fixture
def warehouse(tmp_path):
    """A real DuckDB file with the sample marts and the label_suggestions mart (two suggested)."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        values = ", ".join(f"('{item}', true)" for item in ITEMS)
        con.execute(
            f"create table commit_sampling_frame as select * from (values {values}) t(commit_key, in_sample)"
        )
        con.execute(
            "create table commit_sample as select commit_key, 'o/r' as repo_id, "
            "'https://github.com/o/r/commit/x' as commit_url, 'fix model' as message, "
            "['model'] as matched_keywords, row_number() over (order by commit_key) as draw_rank "
            "from commit_sampling_frame"
        )
        con.execute(
            "create table label_suggestions as select * from (values "
            f"('commits', '{ITEMS[1]}', 'Bug Fix; Testing', 0.2), "
            f"('commits', '{ITEMS[2]}', 'Refactoring', 0.9), "
            f"('issues', '{ITEMS[0]}', 'Compatibility', 1.0)"
            ") t(frame, item_key, suggested_labels_text, uncertainty)"
        )
        # The taxonomy as dbt seeds it into the warehouse (the importer checks labels against it).
        seeds = Path(__file__).resolve().parents[3] / "dbt" / "seeds"
        con.execute(
            f"create table activity_taxonomy as select * from read_csv('{seeds}/activity_taxonomy.csv')"
        )
    return path


def _export(tmp_path, warehouse, *options):
    out = tmp_path / "export.csv"
    argv = ["annotations", "export-commits", *options, "--warehouse", str(warehouse), str(out)]
    assert mms_extract(argv) == 0
    with open(out, encoding="utf-8", newline="") as handle:
        return out, list(csv.DictReader(handle))


def test_export_carries_suggestions_beside_an_empty_labels_column(tmp_path, warehouse):
    _, rows = _export(tmp_path, warehouse)
    assert [r["item_key"] for r in rows] == ITEMS  # the draw order
    assert [r["suggested_labels"] for r in rows] == ["", "Bug Fix; Testing", "Refactoring", ""]
    assert all(r["labels"] == "" for r in rows)


def test_a_new_batch_can_start_with_the_least_certain_items(tmp_path, warehouse):
    _, rows = _export(tmp_path, warehouse, "--order", "uncertain")
    # most uncertain first; items the suggester has not seen last, in draw order
    assert [r["item_key"] for r in rows] == [ITEMS[2], ITEMS[1], ITEMS[0], ITEMS[3]]


def test_a_suggestion_never_counts_as_a_raters_label(tmp_path, warehouse):
    out, rows = _export(tmp_path, warehouse)
    root = tmp_path / "landing"
    # Sent back untouched: the suggestions are there, the rater's labels are not.
    with pytest.raises(AnnotationFileError, match=r"row 2: item .* has no label"):
        files.import_labels(root, out, "commits", "alice", warehouse)
    assert not (landing.table_dir(root, "annotations/labels") / "commits__alice.parquet").exists()
    # Filled in by the rater (who disagrees with one suggestion): only the labels column lands.
    for row in rows:
        row["labels"] = "Documentation"
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    path = files.import_labels(root, out, "commits", "alice", warehouse)
    assert {r["label"] for r in pq.read_table(path).to_pylist()} == {"Documentation"}


def test_an_unknown_order_is_refused(tmp_path, warehouse):
    with pytest.raises(AnnotationFileError, match="unknown order 'random'"):
        files.export_frame(warehouse, "commits", tmp_path / "x.csv", order="random")
