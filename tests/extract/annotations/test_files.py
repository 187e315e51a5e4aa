"""Import and export of reviewer and rater files: every bad file is refused with its file, row and
value named, and whatever was imported before stays as it was."""

from __future__ import annotations

import csv
import errno
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import landing
from extract.annotations import files
from extract.annotations.files import AnnotationFileError
from extract.cli import main as mms_extract

ITEMS = ["o/r@" + c * 40 for c in "abc"]
SEEDS = Path(__file__).resolve().parents[3] / "dbt" / "seeds"


@pytest.fixture
def warehouse(tmp_path):
    """A real DuckDB file with the two frame marts the importer checks against."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table commit_sampling_frame as select * from (values "
            f"('{ITEMS[0]}', true), ('{ITEMS[1]}', true), ('{ITEMS[2]}', true), ('o/r@{'d' * 40}', false)"
            ") t(commit_key, in_sample)"
        )
        con.execute(
            "create table commit_sample as select commit_key, 'o/r' as repo_id, "
            "'https://github.com/o/r/commit/' || split_part(commit_key, '@', 2) as commit_url, "
            "'fix model' as message, ['model'] as matched_keywords, row_number() over () as draw_rank "
            "from commit_sampling_frame where in_sample"
        )
        # The taxonomies as dbt seeds them into the warehouse.
        for seed in ("activity_taxonomy", "challenge_taxonomy"):
            con.execute(f"create table {seed} as select * from read_csv('{SEEDS / seed}.csv')")
    return path


def _write(path, rows, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows(rows)
    return path


def _labels(root, rater="alice"):
    rater = rater.lower()
    path = landing.table_dir(root, "annotations/labels") / f"commits__{rater}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else None


def _good(tmp_path, name="good.csv"):
    return _write(
        tmp_path / name,
        [
            ["item_key", "labels"],
            [ITEMS[0], "Refactoring"],
            [ITEMS[1], "bug fix; Testing"],
            [ITEMS[2], " Documentation "],
        ],
    )


def test_import_lands_one_row_per_label_with_the_taxonomy_spelling(tmp_path, warehouse):
    files.import_labels(tmp_path / "landing", _good(tmp_path), "commits", "alice", warehouse)
    rows = _labels(tmp_path / "landing")
    assert [(r["item_key"], r["label"], r["label_position"], r["row_number"]) for r in rows] == [
        (ITEMS[0], "Refactoring", 1, 2),
        (ITEMS[1], "Bug Fix", 1, 3),
        (ITEMS[1], "Testing", 2, 3),
        (ITEMS[2], "Documentation", 1, 4),
    ]


@pytest.mark.parametrize(
    ("rows", "encoding", "expected"),
    [
        ([["item_key", "labels"], [ITEMS[0], "Refactoring"], [ITEMS[1], "Model Tuning"], [ITEMS[2], "Testing"]],
         "utf-8", r"row 3: unknown label 'Model Tuning'"),
        ([["item_key", "label"], [ITEMS[0], "Refactoring"]], "utf-8", r"row 1: missing column\(s\) \['labels'\]"),
        ([["item_key", "labels"], [ITEMS[0], "Refactoring"], [ITEMS[1], "Testing"], [ITEMS[0], "Testing"], [ITEMS[2], "Testing"]],
         "utf-8", r"row 4: duplicate item_key '.*' \(first on row 2 as"),
        ([["item_key", "labels"], [ITEMS[0], "Refactoring"], [ITEMS[1], "Testing"]], "utf-8", r"missing 1 item\(s\)"),
        ([["item_key", "labels"], [ITEMS[0], "Refactoring"], [ITEMS[1], ""], [ITEMS[2], "Testing"]], "utf-8", r"row 3: item .* has no label"),
        ([["item_key", "labels"], [ITEMS[0], "Testing; testing"], [ITEMS[1], "Testing"], [ITEMS[2], "Testing"]],
         "utf-8", r"row 2: label 'Testing' given twice"),
        ([["item_key", "labels"], ["o/r@" + "d" * 40, "Testing"]], "utf-8", r"row 2: item_key .* is not in the commits sample"),
        ([["item_key", "labels", "note"], [ITEMS[0], "Refactoring", "café"], [ITEMS[1], "Testing", ""], [ITEMS[2], "Testing", ""]],
         "latin-1", r"row 2: byte b'\\xe9' at offset \d+ is not UTF-8"),
        ([["item_key", "labels"], [ITEMS[0], "Refactoring"]], "utf-16", r"is not UTF-8"),
    ],
    ids=["unknown-label", "missing-column", "duplicate-row", "rater-missing-items", "empty-cell",
         "label-twice", "item-not-in-sample", "latin-1", "utf-16"],
)  # fmt: skip
def test_bad_file_is_refused_naming_file_row_value_and_keeps_the_previous_import(
    tmp_path, warehouse, rows, encoding, expected
):
    root = tmp_path / "landing"
    files.import_labels(root, _good(tmp_path), "commits", "alice", warehouse)
    before = _labels(root)
    bad = _write(tmp_path / "bad.csv", rows, encoding)
    with pytest.raises(AnnotationFileError, match=expected) as error:
        files.import_labels(root, bad, "commits", "alice", warehouse)
    assert str(bad) in str(error.value)
    assert _labels(root) == before
    assert not [
        p for p in landing.table_dir(root, "annotations/labels").iterdir() if p.name.startswith(".")
    ]


def test_reimport_replaces_the_raters_rows_only(tmp_path, warehouse):
    root = tmp_path / "landing"
    files.import_labels(root, _good(tmp_path), "commits", "alice", warehouse)
    files.import_labels(root, _good(tmp_path), "commits", "bob", warehouse)
    files.import_labels(root, _good(tmp_path), "commits", "alice", warehouse)
    rows = duckdb.sql(
        f"select rater, count(*) from read_parquet('{root}/annotations/labels/*.parquet') group by 1 order by 1"
    ).fetchall()
    assert rows == [("alice", 4), ("bob", 4)]


def test_bom_is_accepted_and_adjudication_may_cover_some_items(tmp_path, warehouse):
    path = _write(
        tmp_path / "judge.csv", [["item_key", "labels"], [ITEMS[1], "Testing"]], "utf-8-sig"
    )
    files.import_labels(
        tmp_path / "landing", path, "commits", "judge", warehouse, adjudication=True
    )
    (row,) = _labels(tmp_path / "landing", "judge")
    assert (row["item_key"], row["label"], row["is_adjudication"]) == (ITEMS[1], "Testing", True)


def test_rater_name_that_would_escape_the_landing_dir_is_refused(tmp_path, warehouse):
    with pytest.raises(AnnotationFileError, match=r"invalid rater name '\.\./x'"):
        files.import_labels(tmp_path / "landing", _good(tmp_path), "commits", "../x", warehouse)


def test_missing_warehouse_is_a_clear_error(tmp_path):
    with pytest.raises(AnnotationFileError, match="does not exist: build it first"):
        files.import_labels(tmp_path, _good(tmp_path), "commits", "alice", tmp_path / "none.duckdb")


def test_inspection_file_validates_repository_ids_and_decisions(tmp_path):
    root = tmp_path / "landing"
    bad_id = _write(
        tmp_path / "a.csv", [["repo_id", "decision"], ["o/r", "include"], ["../x", "exclude"]]
    )
    with pytest.raises(AnnotationFileError, match=r"a\.csv, row 3: invalid repository id '\.\./x'"):
        files.import_inspections(root, bad_id, "alice")
    bad_decision = _write(tmp_path / "b.csv", [["repo_id", "decision"], ["o/r", "maybe"]])
    with pytest.raises(
        AnnotationFileError, match=r"row 2: decision 'maybe' is not include or exclude"
    ):
        files.import_inspections(root, bad_decision, "alice")
    good = _write(
        tmp_path / "c.csv", [["repo_id", "decision", "note"], ["o/r", "Include", "train.py"]]
    )
    files.import_inspections(root, good, "alice")
    rows = pq.read_table(
        landing.table_dir(root, "annotations/project_inspections") / "alice.parquet"
    ).to_pylist()
    assert [(r["repo_id"], r["decision"], r["note"]) for r in rows] == [
        ("o/r", "include", "train.py")
    ]


def test_review_of_an_item_outside_the_frame_is_refused(tmp_path, warehouse):
    path = _write(tmp_path / "r.csv", [["item_key", "decision"], ["o/r@" + "e" * 40, "reject"]])
    with pytest.raises(
        AnnotationFileError, match=r"row 2: item_key .* is not in the commits sampling frame"
    ):
        files.import_sample_reviews(tmp_path / "landing", path, "commits", "alice", warehouse)


def test_cli_export_writes_text_link_and_empty_labels_and_reports_errors(
    tmp_path, warehouse, capsys
):
    out = tmp_path / "out.csv"
    assert (
        mms_extract(["annotations", "export-commits", "--warehouse", str(warehouse), str(out)]) == 0
    )
    with open(out, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["item_key"] for r in rows] == ITEMS
    assert rows[0]["link"] == f"https://github.com/o/r/commit/{'a' * 40}"
    assert rows[0]["text"] == "fix model" and rows[0]["labels"] == ""
    bad = _write(tmp_path / "bad.csv", [["item_key"]])
    argv = ["--landing-dir", str(tmp_path / "l"), "annotations", "import-labels", "--frame", "commits",
            "--rater", "alice", "--warehouse", str(warehouse), str(bad)]  # fmt: skip
    assert mms_extract(argv) == 2
    assert "missing column(s) ['labels']" in capsys.readouterr().err


def test_rater_names_are_case_insensitive(tmp_path, warehouse):
    """`Alice` and `alice` are one person: the second import replaces the first."""
    root = tmp_path / "landing"
    files.import_labels(root, _good(tmp_path), "commits", "Alice", warehouse)
    files.import_labels(root, _good(tmp_path), "commits", "alice", warehouse)
    assert [p.name for p in landing.current_files(root, "annotations/labels")] == [
        "commits__alice.parquet"
    ]
    assert {r["rater"] for r in _labels(root)} == {"alice"}


def test_an_inspection_naming_one_repository_in_two_cases_is_refused(tmp_path):
    path = _write(
        tmp_path / "i.csv",
        [
            ["repo_id", "decision"],
            ["sample-ml/vision-classifier", "include"],
            ["Sample-ML/Vision-Classifier", "exclude"],
        ],
    )
    with pytest.raises(AnnotationFileError) as error:
        files.import_inspections(tmp_path / "landing", path, "alice")
    assert str(error.value) == (
        f"{path}, row 3: duplicate repo_id 'Sample-ML/Vision-Classifier' "
        "(first on row 2 as 'sample-ml/vision-classifier')"
    )


def test_item_keys_compare_case_insensitively(tmp_path, warehouse):
    rows = [["item_key", "labels"], [ITEMS[0].upper().replace("@", "@"), "Testing"]]
    rows += [[ITEMS[1], "Testing"], [ITEMS[2], "Testing"]]
    files.import_labels(
        tmp_path / "landing", _write(tmp_path / "u.csv", rows), "commits", "al", warehouse
    )
    assert len(_labels(tmp_path / "landing", "al")) == 3


def test_a_50_mb_label_file_with_long_notes_imports(tmp_path, warehouse):
    note = "x" * (17 * 1024 * 1024)  # far above csv's default 128 KiB field limit
    rows = [["item_key", "labels", "note"]] + [[item, "Testing", note] for item in ITEMS]
    big = _write(tmp_path / "big.csv", rows)
    assert big.stat().st_size > 50_000_000
    files.import_labels(tmp_path / "landing", big, "commits", "alice", warehouse)
    assert len(_labels(tmp_path / "landing")) == 3


def test_a_full_disk_is_one_line_naming_the_file(tmp_path, warehouse, monkeypatch, capsys):
    landing.ensure_landing(tmp_path / "l")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(landing.pq, "write_table", disk_full)
    argv = ["--landing-dir", str(tmp_path / "l"), "annotations", "import-labels", "--frame",
            "commits", "--rater", "alice", "--warehouse", str(warehouse), str(_good(tmp_path))]  # fmt: skip
    assert mms_extract(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: cannot write {tmp_path}/l/annotations/labels/commits__alice.parquet: "
        "the disk is full\n"
    )


def test_export_neutralises_cells_a_spreadsheet_would_run_and_says_so(tmp_path, warehouse):
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update commit_sample set message = case commit_key "
            f"when '{ITEMS[0]}' then '=HYPERLINK(\"http://x\")' "
            f"when '{ITEMS[1]}' then '-1+2' else '@SUM(A1)' end"
        )
    out = tmp_path / "out.csv"
    files.export_frame(warehouse, "commits", out)
    with open(out, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["text"] for r in rows] == ['\'=HYPERLINK("http://x")', "'-1+2", "'@SUM(A1)"]
    assert [r["neutralised_cells"] for r in rows] == ["text"] * 3
    # The file goes back in as exported once labelled.
    for row in rows:
        row["labels"] = "Testing"
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    files.import_labels(tmp_path / "landing", out, "commits", "alice", warehouse)


@pytest.mark.parametrize("blank_rows", [0, 2], ids=["header-only", "header-and-blank-rows"])
@pytest.mark.parametrize("kind", ["inspections", "reviews", "adjudication"])
def test_a_file_with_a_header_and_no_rows_is_refused_and_keeps_the_earlier_import(
    tmp_path, warehouse, capsys, kind, blank_rows
):
    """It would replace the person's earlier decisions with nothing (as an empty candidate list
    would replace the list, which is refused too)."""
    root = tmp_path / "landing"
    header, row, table, stem, command = {
        "inspections": (["repo_id", "decision"], ["o/r", "include"],
                        "annotations/project_inspections", "alice", ["import-inspections"]),
        "reviews": (["item_key", "decision"], [ITEMS[0], "keep"], "annotations/sample_reviews",
                    "commits__alice", ["import-reviews", "--frame", "commits"]),
        "adjudication": (["item_key", "labels"], [ITEMS[0], "Testing"], "annotations/labels",
                         "commits__alice", ["import-labels", "--frame", "commits", "--adjudication"]),
    }[kind]  # fmt: skip
    person = ["--rater" if kind == "adjudication" else "--reviewer", "alice"]
    where = [] if kind == "inspections" else ["--warehouse", str(warehouse)]
    argv = ["--landing-dir", str(root), "annotations", *command, *person, *where]
    assert mms_extract([*argv, str(_write(tmp_path / "good.csv", [header, row]))]) == 0
    landed = landing.table_dir(root, table) / f"{stem}.parquet"
    before = pq.read_table(landed).to_pylist()
    capsys.readouterr()
    empty = _write(tmp_path / "empty.csv", [header] + [[""] * len(header)] * blank_rows)
    assert mms_extract([*argv, str(empty)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {empty}: a header and no rows; nothing was imported, and alice's earlier "
        "import is kept (an empty file would replace it with nothing)"
    ]
    assert pq.read_table(landed).to_pylist() == before
