"""Import and export of the human annotation files: project inspection, sample review and labels.

Every import validates the whole file first (encoding, columns, values, duplicates, coverage of the
frame) and raises :class:`AnnotationFileError` naming the file, the row and the value at the first
problem; only a fully valid file is landed, atomically, as one partition that replaces the same
person's previous import. A bad file therefore never loses or duplicates what was imported before.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

import landing
from base.repo_id import InvalidRepoId, repo_key, validate_repo_id
from warehouse.published import WarehouseUnavailable, open_published

FRAMES = ("commits", "issues")
#: The taxonomy each frame is labelled with: a dbt seed (the one place it is defined), read from the
#: warehouse the labels are checked against, so files and warehouse always agree.
TAXONOMIES = {
    "commits": ("activity_taxonomy", "activity"),
    "issues": ("challenge_taxonomy", "challenge"),
}
#: Separator of several labels in one cell (multi-label items).
LABEL_SEPARATOR = ";"
_PERSON = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,63}")
#: A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A notes cell may be long; the csv module's default limit (128 KiB) is not a limit of the format.
csv.field_size_limit(1 << 30)


class AnnotationFileError(ValueError):
    """An annotation file that cannot be imported; the message names the file, row and value."""


def validate_person(name: str, role: str = "rater") -> str:
    """The person's canonical name: ``Alice`` and ``alice`` are one rater (and one landing file)."""
    if not isinstance(name, str) or not _PERSON.fullmatch(name):
        raise AnnotationFileError(
            f"invalid {role} name {name!r}: use 1-64 letters, digits or '-' (it names a landing file)"
        )
    return name.lower()


def _check_frame(frame: str) -> None:
    if frame not in FRAMES:
        raise AnnotationFileError(f"unknown frame {frame!r}; expected one of {FRAMES}")


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        return open_published(warehouse)
    except WarehouseUnavailable as exc:
        raise AnnotationFileError(str(exc)) from None


def taxonomy(frame: str, warehouse: Path) -> list[str]:
    """The label names allowed for ``frame``: its taxonomy seed, as built into the warehouse."""
    _check_frame(frame)
    seed, column = TAXONOMIES[frame]
    with _connect(warehouse) as con:
        try:
            return [r[0] for r in con.execute(f"select {column} from {seed} order by 1").fetchall()]
        except duckdb.CatalogException as exc:
            raise AnnotationFileError(
                f"warehouse {warehouse} has no {seed}; run `dbt build` first"
            ) from exc


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
    try:
        for row in reader:
            if None in row:
                raise AnnotationFileError(
                    f"{path}, row {reader.line_num}: more values than columns: {row[None]!r}"
                )
            values = {key: (value or "").strip() for key, value in row.items()}
            if any(values.values()):
                rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise AnnotationFileError(f"{path}, row {reader.line_num}: not valid CSV: {exc}") from exc
    return rows


def _require_rows(path: Path | str, rows: list, person: str) -> None:
    """An import replaces the person's previous one whole, so a file with a header and no rows
    would silently replace their decisions with nothing (as an empty candidate list would the list)."""
    if not rows:
        raise AnnotationFileError(
            f"{path}: a header and no rows; nothing was imported, and {person}'s earlier import is "
            "kept (an empty file would replace it with nothing)"
        )


def _check_unique(
    path: Path | Source,
    rows: list[tuple[int, dict[str, str]]],
    column: str,
    same: Callable[[str], str] = str.lower,
) -> None:
    """No key twice, compared as ``same`` says: item keys and repository ids are case-insensitive
    (GitHub's names are), so ``A/B`` and ``a/b`` on two rows are one item given twice."""
    source = path if isinstance(path, Source) else _file_source(path)
    seen: dict[str, tuple[int, str]] = {}
    for line, row in rows:
        key = row[column]
        if not key:
            raise AnnotationFileError(f"{source.at(line)}: empty {column}")
        try:
            folded = same(key)
        except InvalidRepoId as exc:
            raise AnnotationFileError(f"{source.at(line)}: {exc}") from exc
        if folded in seen:
            first, spelled = seen[folded]
            raise AnnotationFileError(
                f"{source.at(line)}: duplicate {column} {key!r} (first on {source.row_word} {first} as {spelled!r})"
            )
        seen[folded] = (line, key)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _land(root: Path, table: str, stem: str, columns: dict[str, list]) -> Path:
    try:
        return landing.write_keyed(root, table, stem, pa.table(columns))
    except landing.LandingError as exc:
        raise AnnotationFileError(str(exc)) from exc


def import_inspections(root: Path, path: Path, reviewer: str) -> Path:
    """Land a reviewer's manual inspection of projects: columns repo_id, decision (include/exclude), note."""
    reviewer = validate_person(reviewer, "reviewer")
    rows = _read_rows(path, ["repo_id", "decision"])
    _require_rows(path, rows, reviewer)
    _check_unique(path, rows, "repo_id", same=repo_key)
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
    """The frame's item keys, lower-cased (keys compare case-insensitively)."""
    _check_frame(frame)
    model, key = (
        ("commit_sampling_frame", "commit_key")
        if frame == "commits"
        else (
            "issue_sampling_frame",
            "issue_key",
        )
    )
    where = "where in_sample" if in_sample_only else ""
    with _connect(warehouse) as con:
        try:
            rows = con.execute(f"select lower({key}) from {model} {where}").fetchall()
            return {r[0] for r in rows}
        except duckdb.CatalogException as exc:
            raise AnnotationFileError(
                f"warehouse {warehouse} has no {model}; run `dbt build` first"
            ) from exc


@dataclass(frozen=True)
class Source:
    """Where imported rows came from, as errors and the landed ``source_file`` name it: a CSV file
    (rows are its lines) or a labelling tool's project (rows are its task ids)."""

    name: str
    row_word: str = "row"

    def at(self, row: int) -> str:
        return f"{self.name}, {self.row_word} {row}"


def _file_source(path: Path) -> Source:
    return Source(str(path))


def sample_items(warehouse: Path, frame: str) -> set[str]:
    """The lower-cased keys of the frame's current sample (what a rater's labels must cover)."""
    return _frame_items(warehouse, frame, in_sample_only=True)


def import_sample_reviews(
    root: Path, path: Path, frame: str, reviewer: str, warehouse: Path
) -> Path:
    """Land a relevance review of a frame's drawn items: columns item_key, decision (keep/reject), note."""
    rows = _read_rows(path, ["item_key", "decision"])
    return land_sample_reviews(root, rows, _file_source(path), frame, reviewer, warehouse)


def land_sample_reviews(
    root: Path,
    rows: list[tuple[int, dict[str, str]]],
    source: Source,
    frame: str,
    reviewer: str,
    warehouse: Path,
) -> Path:
    """Validate review rows ((row number, {item_key, decision, note})) whole, then land them as the
    reviewer's import, replacing their previous one."""
    reviewer = validate_person(reviewer, "reviewer")
    drawn = _frame_items(warehouse, frame, in_sample_only=False)
    _require_rows(source.name, rows, reviewer)
    _check_unique(source, rows, "item_key")
    for line, row in rows:
        if row["item_key"].lower() not in drawn:
            raise AnnotationFileError(
                f"{source.at(line)}: item_key {row['item_key']!r} is not in the {frame} sampling frame"
            )
        row["decision"] = row["decision"].lower()
        if row["decision"] not in ("keep", "reject"):
            raise AnnotationFileError(
                f"{source.at(line)}: decision {row['decision']!r} is not keep or reject"
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
            "source_file": [source.name] * len(rows),
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
) -> Path:
    """Land a rater's labels of a frame's sample: columns item_key and labels ('a; b' for several).

    Every item of the sample must be labelled, exactly once, with names from the frame's taxonomy
    (case and surrounding spaces are forgiven; the stored name is the taxonomy's). An adjudication
    file may cover only the items it resolves.
    """
    rows = _read_rows(path, ["item_key", "labels"])
    return land_labels(
        root, rows, _file_source(path), frame, rater, warehouse, adjudication=adjudication
    )


def land_labels(
    root: Path,
    rows: list[tuple[int, dict[str, str]]],
    source: Source,
    frame: str,
    rater: str,
    warehouse: Path,
    *,
    adjudication: bool = False,
    partial: bool = False,
) -> Path:
    """Validate label rows ((row number, {item_key, labels})) whole, then land them as the rater's
    import, replacing their previous one. ``partial`` lets a rater's import leave sample items out
    (a labelling tool's round in progress: those items stay pending); a CSV import may not."""
    rater = validate_person(rater, "rater")
    allowed = {name.lower(): name for name in taxonomy(frame, warehouse)}
    sample = _frame_items(warehouse, frame, in_sample_only=True)
    _require_rows(source.name, rows, rater)
    _check_unique(source, rows, "item_key")
    out: dict[str, list] = {name: [] for name in landing.SCHEMAS["annotations/labels"].names}
    now = _now()
    for line, row in rows:
        item = row["item_key"]
        if item.lower() not in sample:
            raise AnnotationFileError(
                f"{source.at(line)}: item_key {item!r} is not in the {frame} sample"
            )
        for position, label in enumerate(_labels_of(source, line, row, frame, allowed), start=1):
            for name, value in (
                ("frame", frame),
                ("item_key", item),
                ("rater", rater),
                ("is_adjudication", adjudication),
                ("label", label),
                ("label_position", position),
                ("source_file", source.name),
                ("row_number", line),
                ("imported_at", now),
            ):
                out[name].append(value)
    if not adjudication and not partial:
        missing = sorted(sample - {row["item_key"].lower() for _, row in rows})
        if missing:
            raise AnnotationFileError(
                f"{source.name}: rater {rater} is missing {len(missing)} item(s) of the {frame} "
                f"sample, e.g. {missing[:3]}"
            )
    return _land(root, "annotations/labels", f"{frame}__{rater}", out)


def _labels_of(
    source: Source, line: int, row: dict[str, str], frame: str, allowed: dict[str, str]
) -> list[str]:
    """The row's labels in the taxonomy's spelling: at least one, each known, none twice."""
    item = row["item_key"]
    cells = [cell.strip() for cell in row["labels"].split(LABEL_SEPARATOR)]
    cells = [cell for cell in cells if cell]
    if not cells:
        raise AnnotationFileError(f"{source.at(line)}: item {item!r} has no label")
    labels: list[str] = []
    for cell in cells:
        label = allowed.get(cell.lower())
        if label is None:
            raise AnnotationFileError(
                f"{source.at(line)}: unknown label {cell!r} for item {item!r}; the {frame} "
                f"taxonomy has {sorted(allowed.values())}"
            )
        if label in labels:
            raise AnnotationFileError(
                f"{source.at(line)}: label {label!r} given twice for item {item!r}"
            )
        labels.append(label)
    return labels


def neutralise(value: object) -> tuple[str, bool]:
    """A cell a spreadsheet shows as text: text from public repositories starting with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return would run as a formula (CSV injection), so it gets a
    leading ``'``. Returns the cell and whether it was changed."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text, True
    return text, False


#: The export's last column: which cells of the row were neutralised.
ESCAPED_COLUMN = "neutralised_cells"


#: Orders of an export: the sample's draw order, or the suggester's least certain items first.
EXPORT_ORDERS = {
    "draw": "sample.repo_id, sample.draw_rank",
    "uncertain": "suggestion.uncertainty desc nulls last, sample.repo_id, sample.draw_rank",
}


def export_frame(warehouse: Path, frame: str, out: Path, order: str = "draw") -> int:
    """Write the frame's sample as a CSV for raters: the item's text, its link, the suggester's
    labels (a hint in its own column, never a label) and an empty labels column. Cells a
    spreadsheet would run as formulas are neutralised (see :func:`neutralise`) and named in the
    row's ``neutralised_cells`` column; the importer reads only item_key, labels and note, so the
    file goes back in unchanged."""
    _check_frame(frame)
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
    with _connect(warehouse) as con:
        # A warehouse built before the suggester existed exports with an empty suggestions column.
        has_suggestions = con.execute(
            "select count(*) from information_schema.tables where table_name = 'label_suggestions'"
        ).fetchall()[0][0]
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
    _write_export(Path(out), header, rows)
    return len(rows)


def _write_export(out: Path, header: list[str], rows: list[tuple]) -> None:
    """The CSV, neutralised cell by cell, written whole or not at all."""
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([*header, ESCAPED_COLUMN])
            for row in rows:
                cells, escaped = [], []
                for name, value in zip(header, row, strict=True):
                    cell, changed = neutralise(value)
                    cells.append(cell)
                    if changed:
                        escaped.append(name)
                writer.writerow([*cells, "; ".join(escaped)])
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise AnnotationFileError(f"cannot write {out}: {reason}") from exc
