"""Typed rows of the git domain, shared by both engines, and the domain's error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ChangeType(StrEnum):
    """How a commit changed a file, as landed in ``change_type`` (dbt staging lower-cases it)."""

    ADD = "ADD"
    DELETE = "DELETE"
    MODIFY = "MODIFY"
    RENAME = "RENAME"
    #: only with copy detection on (``MiningOptions.detect_copies``); otherwise an ``ADD``
    COPY = "COPY"
    TYPE_CHANGE = "TYPE_CHANGE"


CHANGE_TYPES = tuple(ChangeType)


class GitMiningError(RuntimeError):
    """Mining one repository failed; the message names the repository and the bad input."""


@dataclass(slots=True)
class ModifiedFileRecord:
    change_type: ChangeType
    old_path: str | None
    new_path: str | None
    #: ``None``: unknown (git could not diff the commit: a snapshot lacking the blob)
    added_lines: int | None
    deleted_lines: int | None
    is_binary: bool | None


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
    #: sums over the modified files; ``None`` when git could not diff the commit
    insertions: int | None
    deletions: int | None
    modified_files: list[ModifiedFileRecord] = field(default_factory=list)

    @property
    def is_merge(self) -> bool:
        return len(self.parent_hashes) > 1
