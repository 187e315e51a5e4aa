"""The reference engine: PyDriller's per-commit path, as the study mined (slow, for comparison).

Rows come from ``Repository(...).traverse_commits()`` and each ``Commit``'s ``insertions``,
``deletions`` and ``modified_files``. Where PyDriller's data model differs from the fast engine
(docs/git-mining.md lists them): merge commits have no modified files; copies are reported as
additions (GitPython diffs with ``-M`` only, as the git-log engine does by default); messages are
stripped (``Commit.msg``); ``is_binary`` is inferred from the ``Binary files ... differ`` patch
that ``ModifiedFile.diff`` holds for a binary file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from extract.git.records import ChangeType, CommitRecord, GitMiningError, ModifiedFileRecord


def _offset_minutes(moment) -> int:
    return int(moment.utcoffset().total_seconds() // 60)


#: PyDriller's ModificationType -> ours. PyDriller says UNKNOWN when the blob did not change (a
#: mode-only change), which git reports as a modification (status M).
_KIND = {**{kind.name: kind for kind in ChangeType}, "UNKNOWN": ChangeType.MODIFY}


def _modified_file(mf) -> ModifiedFileRecord:
    kind = _KIND[mf.change_type.name]
    return ModifiedFileRecord(
        kind,
        # PyDriller documents old_path None for an addition (new_path None for a deletion) but
        # GitPython's patch parser fills both; keep the documented model.
        None if kind is ChangeType.ADD else mf.old_path,
        None if kind is ChangeType.DELETE else mf.new_path,
        mf.added_lines,
        mf.deleted_lines,
        mf.diff.startswith("Binary files"),
    )


def iter_commits_pydriller(
    git_dir: Path, head: str, *, only: list[str] | None = None, repo_id: str = "?"
) -> Iterator[CommitRecord]:
    from pydriller import Repository

    repository = Repository(
        str(git_dir), to_commit=head, only_commits=list(only) if only is not None else None
    )
    try:
        for commit in repository.traverse_commits():
            files = [_modified_file(mf) for mf in commit.modified_files]
            yield CommitRecord(
                commit.hash,
                list(commit.parents),
                commit.author.name,
                commit.author.email,
                commit.author_date,
                _offset_minutes(commit.author_date),
                commit.committer.name,
                commit.committer.email,
                commit.committer_date,
                _offset_minutes(commit.committer_date),
                commit.msg,
                # GitPython decodes with replacement and does not say so; U+FFFD is the trace left.
                "\ufffd" in commit.msg,
                commit.insertions,
                commit.deletions,
                files,
            )
    except GitMiningError:
        raise
    except Exception as exc:  # GitPython raises many unrelated types on a broken repository
        raise GitMiningError(f"{repo_id}: PyDriller failed on {git_dir}: {exc}") from exc
