"""The landing zone: the written contract between extraction and dbt (docs/landing-contract.md).

Every table is a directory of Parquet files plus a zero-row ``_schema.parquet`` that pins the schema,
so dbt can read an empty table. Two kinds of table:

- **Single-file tables** (``github/repositories``, ``github/issue_links``, candidate lists,
  annotation imports): one file per key (``<owner>__<name>.parquet``, a list name or a person),
  written to a temporary file and renamed over the old one.
- **Repository commits** (:data:`COMMIT_TABLES`): the tables one extraction of a repository writes
  together, e.g. ``git/commits`` and ``git/modified_files``, change together. Their data files are
  immutable and carry a *generation* in their name (``<owner>__<name>@<generation>.parquet``); the
  repository's row in the domain's commit table (``git/extractions``, ``github/issue_crawls``) names
  the generation and lists the files (``landed_files``). Replacing that one row atomically is the
  commit: a reader that resolves files through it sees the previous state of the repository or the
  new one, never a mix, and a crash before it leaves the previous state whole. Superseded
  generations are kept for a while (:data:`GENERATION_GRACE_SECONDS`) so a reader that resolved
  them just before a commit can still read them.

Repository keys are case-insensitive, as GitHub's names are: ``A/B`` and ``a/b`` share one file.
Files are created readable by group and others as the umask allows (a dbt or Dagster service
account may run as another user). Temporary files a crashed writer left behind are removed by the
next write of the same key; one writer per key is the caller's job (Dagster runs one partition of an
asset at a time), different keys never share a file, so they land in parallel without locks.
"""

from __future__ import annotations

import errno
import os
import secrets
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from base.repo_id import repo_slug
from landing.schemas import COLUMNS_ADDED_LATER, SCHEMAS

SCHEMA_FILE = "_schema.parquet"
QUARANTINE_DIR = "_quarantine"
#: commit table -> the data tables one commit of a repository replaces together
COMMIT_TABLES: dict[str, tuple[str, ...]] = {
    "git/extractions": ("git/commits", "git/modified_files"),
    "github/issue_crawls": ("github/issues",),
}
#: data table -> its commit table
DATA_TABLES: dict[str, str] = {
    data: commit for commit, tables in COMMIT_TABLES.items() for data in tables
}
#: superseded generations younger than this are kept for readers that resolved them just before
GENERATION_GRACE_SECONDS = 15 * 60


class LandingError(RuntimeError):
    """A landing file could not be read or written; names the file."""


def table_dir(root: Path, table: str) -> Path:
    if table not in SCHEMAS:
        raise KeyError(f"unknown landing table {table!r}; known: {sorted(SCHEMAS)}")
    return Path(root) / table


def partition_path(root: Path, table: str, repo_id: str) -> Path:
    """The file of a single-file table (or a commit table) for one repository."""
    if table in DATA_TABLES:
        raise KeyError(f"{table} is written in generations; resolve it with current_path()")
    return table_dir(root, table) / f"{repo_slug(repo_id)}.parquet"


def ensure_landing(root: Path, tables: Iterable[str] | None = None) -> None:
    """Create each table directory with its zero-row schema file (idempotent)."""
    for table in tables or SCHEMAS:
        directory = table_dir(root, table)
        directory.mkdir(parents=True, exist_ok=True)
        schema_path = directory / SCHEMA_FILE
        schema = SCHEMAS[table]
        if schema_path.exists():
            try:
                if pq.read_schema(schema_path).equals(schema, check_metadata=False):
                    continue
            except (OSError, pa.ArrowInvalid):
                pass
        write_atomic(schema_path, schema.empty_table())


def refresh_schemas(root: Path) -> None:
    """Bring an initialised landing's schema files to this code's contract (a table added or a
    column added since it was initialised). A directory holding no table at all is refused: it is
    almost always a mistyped MMS_LANDING_DIR, and a build over it would replace a good warehouse
    with an empty one."""
    if not any(table_dir(root, table).joinpath(SCHEMA_FILE).is_file() for table in SCHEMAS):
        raise LandingError(
            f"landing directory {root} holds no landed table: run `uv run mms-extract init` there, "
            "or point MMS_LANDING_DIR at the landing directory"
        )
    ensure_landing(root)


@cache
def _file_mode() -> int:
    """0666 minus the process umask: what ``open()`` would have created (mkstemp makes 0600)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # not Linux: read the umask by setting it back at once
    os.umask(mask)
    return 0o666 & ~mask


def _io_error(path: Path, exc: OSError) -> LandingError:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return LandingError(f"cannot write {path}: {reason}")


def write_atomic(path: Path, table: pa.Table, metadata: Mapping[str, str] | None = None) -> None:
    """Write ``table`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _io_error(path, exc) from exc
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({k.encode(): v.encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(merged)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _io_error(path, exc) from exc
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _io_error(path, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fit(table: str, rows: pa.Table, key: str) -> pa.Table:
    schema = SCHEMAS[table]
    try:
        return rows.select(schema.names).cast(schema)
    except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LandingError(
            f"rows for {table} of {key} do not fit the landing schema: {exc}"
        ) from exc


def _remove_stale_temporaries(directory: Path, stem: str) -> None:
    """Temporary files of this key that a killed writer left (the caller is the key's only writer)."""
    for pattern in (f".{stem}.parquet.*.tmp", f".{stem}@*.tmp"):
        for leftover in directory.glob(pattern):
            leftover.unlink(missing_ok=True)


def write_partition(
    root: Path,
    table: str,
    repo_id: str,
    rows: pa.Table,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Replace the repository's file of a single-file table with ``rows``."""
    ensure_landing(root, [table])
    path = partition_path(root, table, repo_id)
    _remove_stale_temporaries(path.parent, path.stem)
    write_atomic(path, _fit(table, rows, repo_id), metadata)
    return path


def write_keyed(root: Path, table: str, stem: str, rows: pa.Table) -> Path:
    """Replace the file ``<stem>.parquet`` of a table keyed by something else than a repository
    (a candidate list, a person's annotation import)."""
    ensure_landing(root, [table])
    path = table_dir(root, table) / f"{stem}.parquet"
    _remove_stale_temporaries(path.parent, stem)
    write_atomic(path, _fit(table, rows, stem))
    return path


def new_generation() -> str:
    """Sortable and unique: the UTC time of the commit and a random suffix."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Commit:
    """What :func:`commit_repository` landed."""

    generation: str | None
    #: table -> file, the commit table's row included
    paths: dict[str, Path]


def _commit_row(root: Path, commit_table: str, repo_id: str) -> dict | None:
    table = read_partition(root, commit_table, repo_id)
    if table is None or table.num_rows == 0:
        return None
    return table.to_pylist()[0]


def commit_repository(
    root: Path,
    commit_table: str,
    repo_id: str,
    commit_row: Mapping,
    data: Mapping[str, pa.Table] | None,
    metadata: Mapping[str, str] | None = None,
) -> Commit:
    """Land one repository's tables of a domain together.

    ``data`` holds a table for every data table of ``commit_table`` (a new generation), or is
    ``None`` to keep the current generation and only replace the commit row (e.g. provenance of a
    run that found nothing new). The data files are written first, the commit row last: the commit.
    """
    tables = COMMIT_TABLES[commit_table]
    ensure_landing(root, [commit_table, *tables])
    slug = repo_slug(repo_id)
    for table in (commit_table, *tables):
        _remove_stale_temporaries(table_dir(root, table), slug)
    previous = _commit_row(root, commit_table, repo_id)
    previous_generation = previous.get("generation") if previous else None
    paths: dict[str, Path] = {}
    row = dict(commit_row)
    if data is None:
        # Keep what is landed (if anything): only the commit row's provenance changes.
        row["generation"] = previous_generation
        row["landed_files"] = (previous or {}).get("landed_files") or []
    else:
        missing = sorted(set(tables) - set(data))
        if missing or set(data) - set(tables):
            raise LandingError(
                f"{repo_id}: a commit of {commit_table} lands exactly {list(tables)}; got {sorted(data)}"
            )
        generation = new_generation()
        files = []
        for table in tables:
            path = table_dir(root, table) / f"{slug}@{generation}.parquet"
            write_atomic(path, _fit(table, data[table], repo_id), metadata)
            paths[table] = path
            files.append(f"{table}/{path.name}")
        row["generation"] = generation
        row["landed_files"] = files
    commit_path = partition_path(root, commit_table, repo_id)
    try:
        commit_rows = pa.Table.from_pylist([row], schema=SCHEMAS[commit_table])
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LandingError(f"row for {commit_table} of {repo_id} does not fit: {exc}") from exc
    write_atomic(commit_path, commit_rows, metadata)
    paths[commit_table] = commit_path
    if data is not None:
        _collect_old_generations(root, tables, slug, keep={row["generation"], previous_generation})
    else:
        for table in tables:
            if (current := current_path(root, table, repo_id)) is not None:
                paths[table] = current
    return Commit(row["generation"], paths)


def _collect_old_generations(
    root: Path, tables: Iterable[str], slug: str, keep: set[str | None]
) -> None:
    """Delete superseded generations (and files of commits that never happened) once they are
    older than the grace period; the current and the previous generation always stay."""
    cutoff = time.time() - GENERATION_GRACE_SECONDS
    for table in tables:
        directory = table_dir(root, table)
        legacy = directory / f"{slug}.parquet"  # written before generations existed
        if legacy.exists():
            legacy.unlink(missing_ok=True)
        for path in directory.glob(f"{slug}@*.parquet"):
            generation = path.stem.partition("@")[2]
            if generation in keep:
                continue
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass


def current_path(root: Path, table: str, repo_id: str) -> Path | None:
    """The file holding the repository's current rows of ``table`` (``None``: nothing landed)."""
    if table not in DATA_TABLES:
        path = partition_path(root, table, repo_id)
        return path if path.exists() else None
    row = _commit_row(root, DATA_TABLES[table], repo_id)
    if row is None:
        return None
    for name in row.get("landed_files") or []:
        if name.startswith(f"{table}/"):
            return Path(root) / name
    return None


def read_partition(root: Path, table: str, repo_id: str) -> pa.Table | None:
    """The repository's current rows of ``table``, or ``None`` if it has none yet."""
    path = current_path(root, table, repo_id)
    if path is None:
        return None
    try:
        return pq.read_table(path, schema=SCHEMAS[table])
    except FileNotFoundError as exc:
        raise LandingError(
            f"landed file {path} of {repo_id} is missing (moved to {QUARANTINE_DIR}/?)"
        ) from exc
    except (OSError, pa.ArrowInvalid) as exc:
        raise LandingError(f"cannot read landed partition {path}: {exc}") from exc


def current_files(root: Path, table: str) -> list[Path]:
    """Every current file of ``table`` (one per repository or key), for readers outside dbt."""
    directory = table_dir(root, table)
    if table not in DATA_TABLES:
        return sorted(p for p in directory.glob("*.parquet") if p.name != SCHEMA_FILE)
    files = []
    for commit_file in sorted(table_dir(root, DATA_TABLES[table]).glob("*.parquet")):
        if commit_file.name == SCHEMA_FILE:
            continue
        for name in (
            pq.read_table(commit_file, columns=["landed_files"])["landed_files"][0].as_py() or []
        ):
            if name.startswith(f"{table}/"):
                files.append(Path(root) / name)
    return files


def delete_partition(root: Path, table: str, repo_id: str) -> bool:
    path = current_path(root, table, repo_id)
    if path is None:
        return False
    path.unlink(missing_ok=True)
    return True


@dataclass(frozen=True)
class Quarantined:
    """A landing file the warehouse build could not use, moved aside with its reason (``moved_to``
    is ``None`` for a file its commit row lists but that is not on disk: nothing to move)."""

    table: str
    key: str
    reason: str
    moved_to: Path | None

    def describe(self) -> str:
        where = f"moved to {self.moved_to}" if self.moved_to else "nothing to move"
        return f"quarantined {self.table} of {self.key}: {self.reason} ({where})"


def schema_problem(table: str, schema: pa.Schema) -> str | None:
    """Why a landed file's schema is not ``table``'s contract, or ``None`` if it is. Columns the
    contract gained later (:data:`COLUMNS_ADDED_LATER`) may be absent; nothing else may differ."""
    contract = SCHEMAS[table]
    problems = []
    for field in schema:
        if contract.get_field_index(field.name) < 0:
            problems.append(f"column {field.name} is not in the contract")
        elif not field.type.equals(expected := contract.field(field.name).type):
            problems.append(f"column {field.name} is {field.type}, the contract says {expected}")
    optional = COLUMNS_ADDED_LATER.get(table, frozenset())
    absent = [n for n in contract.names if n not in schema.names and n not in optional]
    if absent:
        problems.append(f"column{'s' if len(absent) > 1 else ''} {', '.join(absent)} missing")
    return "does not fit the landing contract: " + "; ".join(problems) if problems else None


def _problem(path: Path, table: str) -> str | None:
    """Why the build cannot use a landed file (unreadable, or of another schema), or ``None``."""
    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        return "missing"
    except (OSError, pa.ArrowException) as exc:
        return f"{type(exc).__name__}: {exc}"
    return schema_problem(table, schema)


def _moved_earlier(root: Path, name: str) -> Path | None:
    """Where an earlier build moved a listed file (``name`` relative to the root), if it did."""
    stamps = sorted((root / QUARANTINE_DIR).glob("*"), reverse=True)
    return next((s / name for s in stamps if (s / name).exists()), None)


def _move_aside(root: Path, stamp: str, path: Path, reason: str) -> Path:
    target = Path(root) / QUARANTINE_DIR / stamp / path.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def _listed_files(path: Path) -> list[str]:
    if "landed_files" not in pq.read_schema(path).names:  # landed before generations existed
        return []
    return pq.read_table(path, columns=["landed_files"])["landed_files"][0].as_py() or []


def _commit_problem(root: Path, commit_table: str, listed: list[str]) -> str | None:
    """The first problem of a repository commit's data files, naming the file."""
    for name in listed:
        problem = _problem(root / name, name.rpartition("/")[0])
        if problem == "missing":
            earlier = _moved_earlier(root, name)
            return f"{name} is listed by its {commit_table} row but missing " + (
                f"(moved to {earlier} by an earlier build)" if earlier else "(deleted?)"
            )
        if problem is not None:
            return f"{name}: {problem}"
    return None


def _quarantine_commit(root: Path, stamp: str, commit_file: Path, table: str) -> list[Quarantined]:
    """All data files of a repository commit go aside when one is unusable (its commit row stays,
    so staging reports the repository as unreadable instead of building half of it)."""
    listed = _listed_files(commit_file)
    reason = _commit_problem(root, table, listed)
    if reason is None:
        return []
    moved = []
    for name in listed:
        file = root / name
        data_table = name.rpartition("/")[0]
        target = _move_aside(root, stamp, file, reason) if file.exists() else None
        moved.append(Quarantined(data_table, commit_file.stem, reason, target))
    return moved


def quarantine_unreadable(root: Path) -> list[Quarantined]:
    """Move every current landing file the build cannot use into ``_quarantine/<time>/``: a file
    that cannot be read, or whose schema is not the contract's (:func:`schema_problem`); and name
    every file a repository's commit row lists that is not on disk.

    One bad file must cost only its repository, never the whole warehouse: for a repository commit,
    all of that commit's data files go; a bad single file goes alone. The next extraction of the
    repository re-lands it. Only footers are read, so this is quick at study scale, and every build
    (full or incremental) checks every current file, not only the ones dbt reads this time.
    """
    root = Path(root)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    moved: list[Quarantined] = []
    for table in SCHEMAS:
        if table in DATA_TABLES or not table_dir(root, table).is_dir():
            continue
        for path in sorted(table_dir(root, table).glob("*.parquet")):
            if path.name == SCHEMA_FILE:
                continue
            reason = _problem(path, table)
            if reason == "missing":  # replaced or removed since the glob: nothing to check
                continue
            if reason is not None:
                target = _move_aside(root, stamp, path, reason)
                moved.append(Quarantined(table, path.stem, reason, target))
            elif table in COMMIT_TABLES:
                moved += _quarantine_commit(root, stamp, path, table)
    return moved
