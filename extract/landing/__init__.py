"""The landing zone: the written contract between extraction and dbt.

Every table is a directory of Parquet files, one file per repository (``<owner>__<name>.parquet``)
plus a zero-row ``_schema.parquet`` that pins the schema so dbt can read an empty table. Files are
written to a temporary name in the same directory and renamed, so a reader (dbt, DuckDB, another
process) sees either the old partition or the new one, never half of one, and a crash leaves the
previous partition intact. Re-landing a repository replaces its file: nothing is duplicated.

One writer per partition is the caller's job (Dagster runs one partition of an asset at a time);
different repositories land in parallel without locks because they never share a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from extract.landing.schemas import SCHEMAS
from extract.repo_id import repo_slug

SCHEMA_FILE = "_schema.parquet"


class LandingError(RuntimeError):
    """A landing file could not be read or written; names the file."""


def landing_root() -> Path:
    return Path(os.environ.get("MMS_LANDING_DIR", "data/landing")).resolve()


def table_dir(root: Path, table: str) -> Path:
    if table not in SCHEMAS:
        raise KeyError(f"unknown landing table {table!r}; known: {sorted(SCHEMAS)}")
    return Path(root) / table


def partition_path(root: Path, table: str, repo_id: str) -> Path:
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


def write_atomic(path: Path, table: pa.Table, metadata: Mapping[str, str] | None = None) -> None:
    """Write ``table`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({k.encode(): v.encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(merged)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_partition(
    root: Path,
    table: str,
    repo_id: str,
    rows: pa.Table,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Replace the repository's partition of ``table`` with ``rows`` (cast to the contract schema)."""
    ensure_landing(root, [table])
    schema = SCHEMAS[table]
    try:
        rows = rows.select(schema.names).cast(schema)
    except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LandingError(
            f"rows for {table} of {repo_id} do not fit the landing schema: {exc}"
        ) from exc
    path = partition_path(root, table, repo_id)
    write_atomic(path, rows, metadata)
    return path


def read_partition(root: Path, table: str, repo_id: str) -> pa.Table | None:
    """The repository's landed partition, or ``None`` if it has none yet."""
    path = partition_path(root, table, repo_id)
    if not path.exists():
        return None
    try:
        return pq.read_table(path, schema=SCHEMAS[table])
    except (OSError, pa.ArrowInvalid) as exc:
        raise LandingError(f"cannot read landed partition {path}: {exc}") from exc


def delete_partition(root: Path, table: str, repo_id: str) -> bool:
    path = partition_path(root, table, repo_id)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed
