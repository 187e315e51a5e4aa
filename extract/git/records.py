"""Typed rows of the git domain, shared by both engines, and the domain's error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: change_type values as landed (upper case; dbt staging lower-cases them).
CHANGE_TYPES = ("ADD", "DELETE", "MODIFY", "RENAME", "COPY", "TYPE_CHANGE")


class GitMiningError(RuntimeError):
    """Mining one repository failed; the message names the repository and the bad input."""


@dataclass(slots=True)
class ModifiedFileRecord:
    change_type: str
    old_path: str | None
    new_path: str | None
    added_lines: int
    deleted_lines: int
    is_binary: bool


@dataclass(slots=True)
class CommitRecord:
    commit_hash: str
    parent_hashes: list[str]
    author_name: str
    author_email: str
    #: timezone-aware, in the author's own offset (compare as instants; offset kept separately)
    authored_at: datetime
    author_tz_offset_minutes: int
    committer_name: str
    committer_email: str
    committed_at: datetime
    committer_tz_offset_minutes: int
    message: str
    message_decoding_replaced: bool
    insertions: int
    deletions: int
    modified_files: list[ModifiedFileRecord] = field(default_factory=list)

    @property
    def is_merge(self) -> bool:
        return len(self.parent_hashes) > 1
