"""The candidate list: which repositories to mine, from a CSV the user gives (path or URL).

One landed row per data row of the list, valid or not, so nothing the user gave disappears silently.

- The repository column is the first of ``ProjectName``, ``repo_id``, ``repository``, ``full_name``,
  ``repo`` (any case); without a header row, the first column. Values are ``owner/name``.
- **URLs.** ``https://github.com/owner/name`` (also ``http://``, ``www.``, a trailing ``/`` or
  ``.git``) is accepted and normalised to ``owner/name``: it names exactly one repository. Any other
  URL (another host, a deeper path such as ``/tree/main``) is invalid.
- **Type filter.** With a type column (``ProjectType``, ``type``, ``candidate_type``), only rows whose
  type is in ``include_types`` are candidates; the default is the study's ML types ``Applied`` and
  ``Tool``, so the corpus's ``NonML`` rows are landed as not candidates. ``include_types=None`` takes
  every type. Without a type column every well-formed row is a candidate.
- **Duplicates.** GitHub names are case-insensitive: a later row naming the same repository as an
  earlier one (in any case) is invalid and its problem names the earlier line.
"""

from __future__ import annotations

import csv
import io
import re
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa

import landing
from base.repo_id import InvalidRepoId, validate_repo_id

TABLE = "github/candidates"
#: the study's ML project types (ml_projects_breadth_corpus.csv); NonML rows are not candidates
STUDY_TYPES = ("Applied", "Tool")
REPO_COLUMNS = ("projectname", "repo_id", "repository", "full_name", "repo")
TYPE_COLUMNS = ("projecttype", "type", "candidate_type", "project_type")
_GITHUB_URL = re.compile(
    r"https?://(?:www\.)?github\.com/(?P<path>[^?#]+?)/?(?:\.git)?/?$", re.IGNORECASE
)
_LIST_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class CandidateListError(ValueError):
    """The list itself cannot be read (missing file, unreachable URL, no repository column)."""


@dataclass
class CandidateLoad:
    list_name: str
    path: Path
    rows: int
    valid: int

    @property
    def invalid(self) -> int:
        return self.rows - self.valid


def _read_text(source: str | Path) -> str:
    text = str(source)
    if re.match(r"https?://", text):
        try:
            with urllib.request.urlopen(text, timeout=60) as response:
                return response.read().decode("utf-8-sig")
        except (OSError, ValueError) as exc:
            raise CandidateListError(f"cannot download candidate list {text}: {exc}") from exc
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CandidateListError(f"cannot read candidate list {path}: {exc}") from exc


def default_list_name(source: str | Path) -> str:
    text = str(source)
    stem = Path(urlsplit(text).path if re.match(r"https?://", text) else text).stem
    name = _LIST_NAME.sub("-", stem).strip("-._")
    return name or "candidates"


def normalise(value: str) -> str:
    """``owner/name`` from a cell (plain or github.com URL); raises InvalidRepoId naming it."""
    cell = value.strip()
    match = _GITHUB_URL.match(cell)
    if match:
        cell = match["path"]
    elif "://" in cell:
        raise InvalidRepoId(f"{value!r} is a URL but not of a github.com repository")
    return validate_repo_id(cell)


def load_candidates(
    source: str | Path,
    landing_root: Path,
    *,
    list_name: str | None = None,
    include_types: Collection[str] | None = STUDY_TYPES,
) -> CandidateLoad:
    """Read the list at ``source`` (path or http(s) URL) and land it as ``github/candidates``.

    The partition is ``<list_name>.parquet`` (default: the file name's stem), replaced atomically
    on a reload. A list that cannot be read, has no repository column or no row at all raises
    :class:`CandidateListError` naming it, and nothing landed changes.
    """
    name = list_name or default_list_name(source)
    if _LIST_NAME.search(name) or name.startswith(("_", ".")):
        raise CandidateListError(
            f"candidate list name {name!r} must be letters, digits, '.', '-' or '_' and not start "
            "with '_' or '.'"
        )
    layout = _layout(list(csv.reader(io.StringIO(_read_text(source)))), source)
    loaded_at = datetime.now(UTC)
    check = _Checker(None if include_types is None else tuple(include_types))
    rows = [
        {
            "candidate_list": name,
            "loaded_at": loaded_at,
            **check.row(layout.first_line + offset, *layout.cells(record)),
        }
        for offset, record in enumerate(layout.data)
    ]
    landing.ensure_landing(landing_root, [TABLE])
    path = landing.table_dir(landing_root, TABLE) / f"{name}.parquet"
    table = pa.Table.from_pylist(rows, schema=landing.SCHEMAS[TABLE])
    landing.write_atomic(path, table, {"source": str(source), "loaded_at": loaded_at.isoformat()})
    return CandidateLoad(name, path, len(rows), sum(r["is_valid"] for r in rows))


@dataclass
class _Layout:
    """Where the repositories and types are in a list's records."""

    repo_col: int
    type_col: int | None
    first_line: int  # file line of data[0]
    data: list[list[str]]

    def cells(self, record: list[str]) -> tuple[str, str | None]:
        raw = record[self.repo_col] if self.repo_col < len(record) else ""
        col = self.type_col
        return raw, (record[col].strip() if col is not None and col < len(record) else None)


def _layout(records: list[list[str]], source: str | Path) -> _Layout:
    if not records:
        raise CandidateListError(f"candidate list {source} is empty")
    header = [c.strip().lower() for c in records[0]]
    repo_col = next((header.index(c) for c in REPO_COLUMNS if c in header), None)
    if repo_col is not None:
        type_col = next((header.index(c) for c in TYPE_COLUMNS if c in header), None)
        layout = _Layout(repo_col, type_col, 2, records[1:])
    else:
        try:
            normalise(records[0][0] if records[0] else "")
        except InvalidRepoId:
            raise CandidateListError(
                f"candidate list {source} has no repository column (one of "
                f"{', '.join(REPO_COLUMNS)}) and its first row is not owner/name: {records[0]!r}"
            ) from None
        layout = _Layout(0, None, 1, records)
    if not any(cell.strip() for record in layout.data for cell in record):
        # Landing it would replace a same-named list with an empty one.
        raise CandidateListError(
            f"candidate list {source} has a header but no repository rows; nothing was landed"
        )
    return layout


class _Checker:
    """Judges each row in list order: well-formed, first of its repository, of a wanted type."""

    def __init__(self, include_types: tuple[str, ...] | None):
        self.include_types = include_types
        self.wanted = None if include_types is None else {t.lower() for t in include_types}
        self.seen: dict[str, int] = {}

    def row(self, line: int, raw: str, kind: str | None) -> dict:
        repo_id, problem = None, None
        if not raw.strip():
            problem = f"line {line}: blank repository"
        else:
            try:
                repo_id = normalise(raw)
            except InvalidRepoId as exc:
                problem = f"line {line}: {exc}"
        if repo_id is not None:
            problem = self._duplicate(line, raw, repo_id) or self._unwanted(line, kind)
        return {
            "line_number": line,
            "raw_value": raw,
            "repo_id": repo_id if problem is None else None,
            "candidate_type": kind,
            "is_valid": problem is None,
            "problem": problem,
        }

    def _duplicate(self, line: int, raw: str, repo_id: str) -> str | None:
        first = self.seen.setdefault(repo_id.lower(), line)
        if first == line:
            return None
        return (
            f"line {line}: {raw.strip()!r} duplicates line {first} "
            "(GitHub names are case-insensitive)"
        )

    def _unwanted(self, line: int, kind: str | None) -> str | None:
        if self.wanted is None or kind is None or kind.lower() in self.wanted:
            return None
        return (
            f"line {line}: type {kind!r} is not a candidate type "
            f"({', '.join(sorted(self.include_types or ()))})"
        )


def valid_candidates(landing_root: Path, list_name: str | None = None) -> list[str]:
    """The valid repository ids of one landed list (or of all lists), in list order."""
    import pyarrow.parquet as pq

    directory = landing.table_dir(landing_root, TABLE)
    files = (
        [directory / f"{list_name}.parquet"] if list_name else sorted(directory.glob("*.parquet"))
    )
    ids: dict[str, str] = {}
    for path in files:
        if path.name == landing.SCHEMA_FILE:
            continue
        if not path.exists():
            raise CandidateListError(f"no landed candidate list {list_name!r} ({path})")
        for row in pq.read_table(path).to_pylist():
            if row["is_valid"]:
                ids.setdefault(row["repo_id"].lower(), row["repo_id"])
    return list(ids.values())
