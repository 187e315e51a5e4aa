"""Import and export of the human annotation files: project inspection, sample review and labels.

Every import validates the whole file first (encoding, columns, values, duplicates, coverage of the
frame) and raises :class:`AnnotationFileError` naming the file, the row and the value at the first
problem; only a fully valid file is landed, atomically, as one partition that replaces the same
person's previous import. A bad file therefore never loses or duplicates what was imported before.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from extract import landing
from extract.repo_id import InvalidRepoId, validate_repo_id

FRAMES = ("commits", "issues")
SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt" / "seeds"
#: The taxonomy each frame is labelled with (dbt seeds, the one place they are defined).
TAXONOMY_SEEDS = {
    "commits": ("activity_taxonomy.csv", "activity"),
    "issues": ("challenge_taxonomy.csv", "challenge"),
}
#: Separator of several labels in one cell (multi-label items).
LABEL_SEPARATOR = ";"
_PERSON = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")


class AnnotationFileError(ValueError):
    """An annotation file that cannot be imported; the message names the file, row and value."""


def validate_person(name: str, role: str = "rater") -> str:
    if not isinstance(name, str) or not _PERSON.fullmatch(name):
        raise AnnotationFileError(
            f"invalid {role} name {name!r}: use 1-64 letters, digits or '-' (it names a landing file)"
        )
    return name


def taxonomy(frame: str, seeds_dir: Path = SEEDS_DIR) -> list[str]:
    """The label names allowed for ``frame``, read from its taxonomy seed."""
    if frame not in FRAMES:
        raise AnnotationFileError(f"unknown frame {frame!r}; expected one of {FRAMES}")
    file_name, column = TAXONOMY_SEEDS[frame]
    with open(Path(seeds_dir) / file_name, newline="", encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def _read_rows(path: Path, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a UTF-8 CSV file with the required columns."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnnotationFileError(f"{path}: cannot read the file: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise AnnotationFileError(
            f"{path}, row {line}: byte {raw[exc.start : exc.start + 1]!r} at offset {exc.start} is not "
            "UTF-8; save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)"
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in required if name not in header]
    if missing:
        raise AnnotationFileError(
            f"{path}, row 1: missing column(s) {missing}; the header is {header}"
        )
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise AnnotationFileError(
                f"{path}, row {reader.line_num}: more values than columns: {row[None]!r}"
            )
        values = {key: (value or "").strip() for key, value in row.items()}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return rows


def _check_unique(path: Path, rows: list[tuple[int, dict[str, str]]], column: str) -> None:
    seen: dict[str, int] = {}
    for line, row in rows:
        key = row[column]
        if not key:
            raise AnnotationFileError(f"{path}, row {line}: empty {column}")
        if key in seen:
            raise AnnotationFileError(
                f"{path}, row {line}: duplicate {column} {key!r} (first on row {seen[key]})"
            )
        seen[key] = line


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _land(root: Path, table: str, stem: str, columns: dict[str, list]) -> Path:
    landing.ensure_landing(root, [table])
    rows = pa.table(columns).cast(landing.SCHEMAS[table])
    path = landing.table_dir(root, table) / f"{stem}.parquet"
    landing.write_atomic(path, rows)
    return path


def import_inspections(root: Path, path: Path, reviewer: str) -> Path:
    """Land a reviewer's manual inspection of projects: columns repo_id, decision (include/exclude), note."""
    validate_person(reviewer, "reviewer")
    rows = _read_rows(path, ["repo_id", "decision"])
    _check_unique(path, rows, "repo_id")
    for line, row in rows:
        try:
            row["repo_id"] = validate_repo_id(row["repo_id"])
        except InvalidRepoId as exc:
            raise AnnotationFileError(f"{path}, row {line}: {exc}") from exc
        row["decision"] = row["decision"].lower()
        if row["decision"] not in ("include", "exclude"):
            raise AnnotationFileError(
                f"{path}, row {line}: decision {row['decision']!r} is not include or exclude"
            )
    now = _now()
    return _land(
        root,
        "annotations/project_inspections",
        reviewer,
        {
            "repo_id": [r["repo_id"] for _, r in rows],
            "reviewer": [reviewer] * len(rows),
            "decision": [r["decision"] for _, r in rows],
            "note": [r.get("note") or None for _, r in rows],
            "source_file": [str(path)] * len(rows),
            "row_number": [line for line, _ in rows],
            "imported_at": [now] * len(rows),
        },
    )


def _frame_items(warehouse: Path, frame: str, in_sample_only: bool) -> set[str]:
    if frame not in FRAMES:
        raise AnnotationFileError(f"unknown frame {frame!r}; expected one of {FRAMES}")
    model, key = (
        ("commit_sampling_frame", "commit_key")
        if frame == "commits"
        else (
            "issue_sampling_frame",
            "issue_key",
        )
    )
    if not Path(warehouse).exists():
        raise AnnotationFileError(f"warehouse {warehouse} does not exist; run `dbt build` first")
    where = "where in_sample" if in_sample_only else ""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            return {r[0] for r in con.execute(f"select {key} from {model} {where}").fetchall()}
        except duckdb.CatalogException as exc:
            raise AnnotationFileError(
                f"warehouse {warehouse} has no {model}; run `dbt build` first"
            ) from exc


def import_sample_reviews(
    root: Path, path: Path, frame: str, reviewer: str, warehouse: Path
) -> Path:
    """Land a relevance review of a frame's drawn items: columns item_key, decision (keep/reject), note."""
    validate_person(reviewer, "reviewer")
    drawn = _frame_items(warehouse, frame, in_sample_only=False)
    rows = _read_rows(path, ["item_key", "decision"])
    _check_unique(path, rows, "item_key")
    for line, row in rows:
        if row["item_key"] not in drawn:
            raise AnnotationFileError(
                f"{path}, row {line}: item_key {row['item_key']!r} is not in the {frame} sampling frame"
            )
        row["decision"] = row["decision"].lower()
        if row["decision"] not in ("keep", "reject"):
            raise AnnotationFileError(
                f"{path}, row {line}: decision {row['decision']!r} is not keep or reject"
            )
    now = _now()
    return _land(
        root,
        "annotations/sample_reviews",
        f"{frame}__{reviewer}",
        {
            "frame": [frame] * len(rows),
            "item_key": [r["item_key"] for _, r in rows],
            "reviewer": [reviewer] * len(rows),
            "decision": [r["decision"] for _, r in rows],
            "note": [r.get("note") or None for _, r in rows],
            "source_file": [str(path)] * len(rows),
            "row_number": [line for line, _ in rows],
            "imported_at": [now] * len(rows),
        },
    )


def import_labels(
    root: Path,
    path: Path,
    frame: str,
    rater: str,
    warehouse: Path,
    adjudication: bool = False,
    seeds_dir: Path = SEEDS_DIR,
) -> Path:
    """Land a rater's labels of a frame's sample: columns item_key and labels ('a; b' for several).

    Every item of the sample must be labelled, exactly once, with names from the frame's taxonomy
    (case and surrounding spaces are forgiven; the stored name is the taxonomy's). An adjudication
    file may cover only the items it resolves.
    """
    validate_person(rater, "rater")
    allowed = {name.lower(): name for name in taxonomy(frame, seeds_dir)}
    sample = _frame_items(warehouse, frame, in_sample_only=True)
    rows = _read_rows(path, ["item_key", "labels"])
    _check_unique(path, rows, "item_key")
    out: dict[str, list] = {name: [] for name in landing.SCHEMAS["annotations/labels"].names}
    now = _now()
    for line, row in rows:
        item = row["item_key"]
        if item not in sample:
            raise AnnotationFileError(
                f"{path}, row {line}: item_key {item!r} is not in the {frame} sample"
            )
        cells = [cell.strip() for cell in row["labels"].split(LABEL_SEPARATOR)]
        cells = [cell for cell in cells if cell]
        if not cells:
            raise AnnotationFileError(f"{path}, row {line}: item {item!r} has no label")
        seen: set[str] = set()
        for position, cell in enumerate(cells, start=1):
            label = allowed.get(cell.lower())
            if label is None:
                raise AnnotationFileError(
                    f"{path}, row {line}: unknown label {cell!r} for item {item!r}; the {frame} "
                    f"taxonomy has {sorted(allowed.values())}"
                )
            if label in seen:
                raise AnnotationFileError(
                    f"{path}, row {line}: label {label!r} given twice for item {item!r}"
                )
            seen.add(label)
            for name, value in (
                ("frame", frame),
                ("item_key", item),
                ("rater", rater),
                ("is_adjudication", adjudication),
                ("label", label),
                ("label_position", position),
                ("source_file", str(path)),
                ("row_number", line),
                ("imported_at", now),
            ):
                out[name].append(value)
    if not adjudication:
        missing = sorted(sample - {row["item_key"] for _, row in rows})
        if missing:
            raise AnnotationFileError(
                f"{path}: rater {rater} is missing {len(missing)} item(s) of the {frame} sample, "
                f"e.g. {missing[:3]}"
            )
    return _land(root, "annotations/labels", f"{frame}__{rater}", out)


#: Orders of an export: the sample's draw order, or the suggester's least certain items first.
EXPORT_ORDERS = {
    "draw": "sample.repo_id, sample.draw_rank",
    "uncertain": "suggestion.uncertainty desc nulls last, sample.repo_id, sample.draw_rank",
}


def export_frame(warehouse: Path, frame: str, out: Path, order: str = "draw") -> int:
    """Write the frame's sample as a CSV for raters: the item's text, its link, the suggester's
    labels (a hint in its own column, never a label) and an empty labels column."""
    if frame not in FRAMES:
        raise AnnotationFileError(f"unknown frame {frame!r}; expected one of {FRAMES}")
    if order not in EXPORT_ORDERS:
        raise AnnotationFileError(
            f"unknown order {order!r}; expected one of {sorted(EXPORT_ORDERS)}"
        )
    if frame == "commits":
        query = """
            select sample.commit_key as item_key, sample.repo_id, sample.commit_url as link,
                   sample.message as text,
                   array_to_string(sample.matched_keywords, '; ') as matched_keywords,
                   coalesce(suggestion.suggested_labels_text, '') as suggested_labels,
                   '' as labels, '' as note
            from commit_sample as sample
        """
    else:
        query = """
            select sample.issue_key as item_key, sample.repo_id, sample.html_url as link,
                   sample.title, sample.body as text,
                   coalesce(suggestion.suggested_labels_text, '') as suggested_labels,
                   '' as labels, '' as note
            from issue_sample as sample
        """
    key = "commit_key" if frame == "commits" else "issue_key"
    if not Path(warehouse).exists():
        raise AnnotationFileError(f"warehouse {warehouse} does not exist; run `dbt build` first")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # A warehouse built before the suggester existed exports with an empty suggestions column.
        has_suggestions = con.execute(
            "select count(*) from information_schema.tables where table_name = 'label_suggestions'"
        ).fetchone()[0]
        suggestions = (
            "label_suggestions"
            if has_suggestions
            else "(select null::varchar as frame, null::varchar as item_key, "
            "null::varchar as suggested_labels_text, null::double as uncertainty)"
        )
        result = con.execute(
            query
            + f"""
            left join {suggestions} as suggestion
                on suggestion.frame = '{frame}' and suggestion.item_key = sample.{key}
            order by {EXPORT_ORDERS[order]}
            """
        )
        header = [d[0] for d in result.description]
        rows = result.fetchall()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    os.replace(tmp, out)
    return len(rows)
