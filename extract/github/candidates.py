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

from extract import landing
from extract.repo_id import InvalidRepoId, validate_repo_id

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
    on a reload.
    """
    name = list_name or default_list_name(source)
    if _LIST_NAME.search(name) or name.startswith(("_", ".")):
        raise CandidateListError(
            f"candidate list name {name!r} must be letters, digits, '.', '-' or '_' and not start "
            "with '_' or '.'"
        )
    records = list(csv.reader(io.StringIO(_read_text(source))))
    if not records:
        raise CandidateListError(f"candidate list {source} is empty")
    header = [c.strip().lower() for c in records[0]]
    repo_col = next((header.index(c) for c in REPO_COLUMNS if c in header), None)
    type_col = next((header.index(c) for c in TYPE_COLUMNS if c in header), None)
    first_line = 2
    if repo_col is None:
        try:
            normalise(records[0][0] if records[0] else "")
        except InvalidRepoId:
            raise CandidateListError(
                f"candidate list {source} has no repository column (one of "
                f"{', '.join(REPO_COLUMNS)}) and its first row is not owner/name: {records[0]!r}"
            ) from None
        repo_col, type_col, first_line, header = 0, None, 1, []
        data = records
    else:
        data = records[1:]
    wanted = None if include_types is None else {t.lower() for t in include_types}
    loaded_at = datetime.now(UTC)
    seen: dict[str, int] = {}
    rows = []
    for offset, record in enumerate(data):
        line = first_line + offset
        raw = record[repo_col] if repo_col < len(record) else ""
        kind = record[type_col].strip() if type_col is not None and type_col < len(record) else None
        repo_id, problem = None, None
        if not raw.strip():
            problem = f"line {line}: blank repository"
        else:
            try:
                repo_id = normalise(raw)
            except InvalidRepoId as exc:
                problem = f"line {line}: {exc}"
        if repo_id is not None:
            first = seen.get(repo_id.lower())
            if first is not None:
                problem = (
                    f"line {line}: {raw.strip()!r} duplicates line {first} "
                    "(GitHub names are case-insensitive)"
                )
            else:
                seen[repo_id.lower()] = line
            if (
                problem is None
                and wanted is not None
                and kind is not None
                and (kind.lower() not in wanted)
            ):
                problem = (
                    f"line {line}: type {kind!r} is not a candidate type "
                    f"({', '.join(sorted(include_types or ()))})"
                )
        rows.append(
            {
                "candidate_list": name,
                "line_number": line,
                "raw_value": raw,
                "repo_id": repo_id if problem is None else None,
                "candidate_type": kind,
                "is_valid": problem is None,
                "problem": problem,
                "loaded_at": loaded_at,
            }
        )
    landing.ensure_landing(landing_root, [TABLE])
    path = landing.table_dir(landing_root, TABLE) / f"{name}.parquet"
    table = pa.Table.from_pylist(rows, schema=landing.SCHEMAS[TABLE])
    landing.write_atomic(path, table, {"source": str(source), "loaded_at": loaded_at.isoformat()})
    return CandidateLoad(name, path, len(rows), sum(r["is_valid"] for r in rows))


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
