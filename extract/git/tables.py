"""Records to the Arrow tables of ``git/commits`` and ``git/modified_files``.

Rows are accumulated column by column and turned into Arrow record batches every
:data:`BATCH_COMMITS` commits, so Python holds one batch of objects at a time however long the
history is (Arrow's columns are a fraction of their size).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from extract.git.records import CommitRecord
from landing.schemas import GIT_SCHEMAS

COMMITS, FILES = "git/commits", "git/modified_files"
BATCH_COMMITS = 2000


class CommitTables:
    """Collects records of one repository; :meth:`tables` returns ``(commits, modified files)``."""

    def __init__(self, repo_id: str):
        self.repo_id = repo_id
        self._schemas = {table: GIT_SCHEMAS[table] for table in (COMMITS, FILES)}
        self._batches: dict[str, list[pa.RecordBatch]] = {COMMITS: [], FILES: []}
        self._reset()

    def _reset(self) -> None:
        self._columns: dict[str, dict[str, list]] = {
            t: {n: [] for n in s.names} for t, s in self._schemas.items()
        }
        self._pending = 0

    def add(self, record: CommitRecord) -> None:
        c, f = self._columns[COMMITS], self._columns[FILES]
        c["repo_id"].append(self.repo_id)
        c["commit_hash"].append(record.commit_hash)
        c["parent_hashes"].append(record.parent_hashes)
        c["author_name"].append(record.author_name)
        c["author_email"].append(record.author_email)
        c["authored_at"].append(record.authored_at)
        c["author_tz_offset_minutes"].append(record.author_tz_offset_minutes)
        c["committer_name"].append(record.committer_name)
        c["committer_email"].append(record.committer_email)
        c["committed_at"].append(record.committed_at)
        c["committer_tz_offset_minutes"].append(record.committer_tz_offset_minutes)
        c["message"].append(record.message)
        c["message_decoding_replaced"].append(record.message_decoding_replaced)
        c["insertions"].append(record.insertions)
        c["deletions"].append(record.deletions)
        c["files_modified"].append(len(record.modified_files))
        for index, mf in enumerate(record.modified_files):
            f["repo_id"].append(self.repo_id)
            f["commit_hash"].append(record.commit_hash)
            f["file_index"].append(index)
            f["change_type"].append(mf.change_type.value)
            f["old_path"].append(mf.old_path)
            f["new_path"].append(mf.new_path)
            f["added_lines"].append(mf.added_lines)
            f["deleted_lines"].append(mf.deleted_lines)
            f["is_binary"].append(mf.is_binary)
        self._pending += 1
        if self._pending >= BATCH_COMMITS:
            self._flush()

    def _flush(self) -> None:
        for table, schema in self._schemas.items():
            self._batches[table].append(
                pa.RecordBatch.from_pydict(self._columns[table], schema=schema)
            )
        self._reset()

    def tables(self) -> tuple[pa.Table, pa.Table]:
        self._flush()
        return tuple(
            pa.Table.from_batches(self._batches[table], schema=schema)
            for table, schema in self._schemas.items()
        )


def records_to_tables(repo_id: str, records: Iterable[CommitRecord]) -> tuple[pa.Table, pa.Table]:
    collected = CommitTables(repo_id)
    for record in records:
        collected.add(record)
    return collected.tables()
