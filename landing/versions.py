"""What is landed now, as a short version string: equal versions mean the warehouse would read the
same rows, so nothing downstream needs rebuilding (Dagster's data versions, docs/incremental-runs.md).

- A repository commit (:data:`landing.COMMIT_TABLES`) is versioned by its *generation*: its data
  files are immutable, and a refresh that finds nothing new keeps the generation.
- A single-file table (a candidate list, repository metadata, issue links, an annotation import) is
  versioned by a hash of its rows, without the columns that only say when or at what cost the
  rows were landed: re-importing the same labels or re-fetching the same metadata is no change.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from landing import COMMIT_TABLES, DATA_TABLES, SCHEMA_FILE, current_path, read_partition, table_dir

#: columns that record when or how a row was landed, not what it says
LANDING_PROVENANCE = frozenset(
    {"loaded_at", "fetched_at", "values_fetched_at", "imported_at", "extracted_at", "requests_made"}
)
#: what a commit row says beyond its generation that the warehouse reports (a partial crawl)
_COMMIT_STATE = {"github/issue_crawls": ("status", "is_complete")}
NOTHING_LANDED = "nothing-landed"


def _digest(chunks) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()[:16]


def _rows_bytes(path: Path) -> bytes:
    table = pq.read_table(path)
    table = table.drop_columns([c for c in table.column_names if c in LANDING_PROVENANCE])
    # Parquet key-value metadata carries provenance (tool versions, times): not the rows.
    table = table.replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def commit_version(root: Path, commit_table: str, repo_id: str) -> str:
    """The landed generation of one repository's commit (and its state, where the warehouse
    reports it), or :data:`NOTHING_LANDED`."""
    if commit_table not in COMMIT_TABLES:
        raise KeyError(f"{commit_table} is not a commit table; known: {sorted(COMMIT_TABLES)}")
    table = read_partition(root, commit_table, repo_id)
    if table is None or table.num_rows == 0:
        return NOTHING_LANDED
    row = table.to_pylist()[0]
    parts = [row.get("generation") or NOTHING_LANDED]
    parts += [f"{name}={row.get(name)}" for name in _COMMIT_STATE.get(commit_table, ())]
    return ":".join(parts)


def table_version(root: Path, table: str, key: str | None = None) -> str:
    """A hash of a single-file table's rows (every file, or the one of ``key``), provenance
    columns left out."""
    if table in DATA_TABLES or table in COMMIT_TABLES:
        raise KeyError(f"{table} is landed in commits: version it with commit_version()")
    if key is not None:
        path = current_path(root, table, key)
        paths = [path] if path is not None else []
    else:
        paths = sorted(p for p in table_dir(root, table).glob("*.parquet") if p.name != SCHEMA_FILE)
    if not paths:
        return NOTHING_LANDED
    return _digest(chunk for path in paths for chunk in (path.name.encode(), _rows_bytes(path)))
