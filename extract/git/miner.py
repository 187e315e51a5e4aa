"""Mine one repository's commits and modified files into the landing zone (see docs/git-mining.md).

``mine_repository`` resolves the source (local path, or a URL cloned into a bare mirror and
refreshed with ``git fetch``), decides between a full, incremental or unchanged run from the
previous extraction, streams the commits not landed yet, and lands ``git/commits`` and
``git/modified_files`` as one commit of the repository (``extract.landing.commit_repository``): the
``git/extractions`` row written last names the new files, so a crash at any point leaves the previous
state whole and a reader never sees commits of one run beside files of another.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from extract import landing
from extract.git import gitcmd
from extract.git.gitlog import _LogFailed, _rev_list, iter_commits
from extract.git.records import CommitRecord, GitMiningError
from extract.repo_id import InvalidRepoId, validate_repo_id

__all__ = ["ENGINES", "GitExtraction", "GitMiningError", "iter_commits", "mine_repository"]

ENGINES = ("git-log", "pydriller")
COMMITS, FILES, EXTRACTIONS = "git/commits", "git/modified_files", "git/extractions"
METADATA_KEY = "mms.git.extraction"


@dataclass
class GitExtraction:
    repo_id: str
    source: str
    ref: str
    mined_head: str | None
    previous_head: str | None
    mode: str
    commits: int
    modified_files: int
    new_commits: int
    dropped_commits: int
    extracted_at: datetime
    engine: str
    tool_versions: dict[str, str]
    #: commits of the landed partition git could not diff (missing blobs), landed with unknown
    #: (NULL) line counts; kept commits from earlier runs included, in partition order
    undiffable_commits: list[str] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    def row(self) -> dict:
        row = asdict(self)
        row["tool_versions"] = json.dumps(self.tool_versions, sort_keys=True)
        del row["paths"]
        return row


def tool_versions(engine: str) -> dict[str, str]:
    versions = {
        "git": gitcmd.git_version(),
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
    }
    for dist in (
        ("model-management-miner", "pydriller")
        if engine == "pydriller"
        else ("model-management-miner",)
    ):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


class _Columns:
    """Column-wise accumulation: one list per column keeps memory flat on large repositories."""

    def __init__(self, table: str):
        self.schema = landing.SCHEMAS[table]
        self.data: dict[str, list] = {name: [] for name in self.schema.names}

    def table(self) -> pa.Table:
        return pa.table(self.data, schema=self.schema)


def records_to_tables(repo_id: str, records: Iterable[CommitRecord]) -> tuple[pa.Table, pa.Table]:
    commits, files = _Columns(COMMITS), _Columns(FILES)
    c, f = commits.data, files.data
    for record in records:
        c["repo_id"].append(repo_id)
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
            f["repo_id"].append(repo_id)
            f["commit_hash"].append(record.commit_hash)
            f["file_index"].append(index)
            f["change_type"].append(mf.change_type)
            f["old_path"].append(mf.old_path)
            f["new_path"].append(mf.new_path)
            f["added_lines"].append(mf.added_lines)
            f["deleted_lines"].append(mf.deleted_lines)
            f["is_binary"].append(mf.is_binary)
    return commits.table(), files.table()


def _progress(records: Iterator[CommitRecord], total: int, repo_id: str, log) -> Iterator:
    if log is None:
        yield from records
        return
    started = last = time.monotonic()
    done = 0
    for record in records:
        done += 1
        now = time.monotonic()
        if now - last >= 2.0:
            last = now
            rate = done / (now - started)
            eta = (total - done) / rate if rate else float("inf")
            log(f"{repo_id}: {done}/{total} commits, {rate:.0f} commits/s, ETA {eta:.0f}s")
        yield record
    elapsed = time.monotonic() - started
    log(f"{repo_id}: mined {done} commits in {elapsed:.1f}s")


def _read_previous(root: Path, repo_id: str, *, full_refresh: bool):
    """The previous extraction row and the landed commits and files it names.

    A full refresh reads none of the landed data, so an unreadable partition never blocks the
    re-mining that repairs it."""
    try:
        rows = landing.read_partition(root, EXTRACTIONS, repo_id)
        previous = rows.to_pylist()[0] if rows is not None and rows.num_rows else None
    except landing.LandingError:
        if not full_refresh:
            raise
        previous = None
    if full_refresh:
        return previous, None, None
    try:
        commits = landing.read_partition(root, COMMITS, repo_id)
        files = landing.read_partition(root, FILES, repo_id)
    except landing.LandingError as exc:
        raise GitMiningError(
            f"{repo_id}: the landed partition is unreadable ({exc}); re-mine with full_refresh=True "
            "(`mms-extract git mine --full`)"
        ) from exc
    return previous, commits, files


def mine_repository(
    repo_id: str,
    source,
    landing_root: Path,
    mirror_dir: Path | None = None,
    ref: str | None = None,
    engine: str = "git-log",
    full_refresh: bool = False,
    log: Callable[[str], None] | None = None,
    missing_objects: str = "fail",
    jobs: int | None = None,
) -> GitExtraction:
    """Land every commit reachable from ``ref`` (default branch) of ``source`` for ``repo_id``.

    ``jobs``: git processes mining this repository at once (default: one per core, at most 2; see
    :func:`extract.git.gitlog.iter_commits`). ``missing_objects``: ``"fail"`` or ``"record"``.
    """
    try:
        repo_id = validate_repo_id(repo_id)
    except InvalidRepoId as exc:
        raise GitMiningError(str(exc)) from exc
    if engine not in ENGINES:
        raise GitMiningError(f"{repo_id}: unknown engine {engine!r}; choose one of {ENGINES}")
    if missing_objects not in ("fail", "record"):
        raise GitMiningError(f"{repo_id}: missing_objects must be 'fail' or 'record'")
    root = Path(landing_root)
    repo = gitcmd.open_source(repo_id, source, mirror_dir)
    ref_name, head = gitcmd.resolve_head(repo, ref)
    previous, old_commits, old_files = _read_previous(root, repo_id, full_refresh=full_refresh)
    previous_head = previous["mined_head"] if previous else None
    landed = set(old_commits["commit_hash"].to_pylist()) if old_commits is not None else set()
    reusable = (
        not full_refresh
        and previous is not None
        and previous["engine"] == engine
        and old_commits is not None
        and old_files is not None
    )
    versions = tool_versions(engine)

    if reusable and head is not None and head == previous_head and head in landed:
        mode, new_commits, dropped = "unchanged", 0, 0
        commits_table, files_table = old_commits, old_files
        write_data = False
    else:
        write_data = True
        if head is None:
            reachable: list[str] = []
        else:
            try:
                reachable = _rev_list(repo.git_dir, head, [])
            except _LogFailed as exc:
                raise GitMiningError(
                    f"{repo_id}: git cannot walk the history of {head} in {repo.source!r}: "
                    f"{gitcmd.scrub(exc.detail.strip())}"
                ) from exc
        reachable_set = set(reachable)
        keep = landed & reachable_set if reusable else set()
        todo = [c for c in reachable if c not in keep]
        dropped = len(landed - reachable_set)
        mode = "incremental" if reusable and keep else "full"
        if log:
            log(f"{repo_id}: {mode} run at {head}: {len(todo)} commits to mine, {dropped} dropped")
        if not todo:
            records: Iterator[CommitRecord] = iter(())
        elif engine == "pydriller":
            from extract.git.reference import iter_commits_pydriller

            records = iter_commits_pydriller(
                repo.git_dir, head, only=None if mode == "full" else todo, repo_id=repo_id
            )
        else:
            # ``todo`` is in rev-list order (the whole history on a full run): no second walk.
            records = iter_commits(
                repo.git_dir,
                head,
                only=todo,
                repo_id=repo_id,
                missing_objects=missing_objects,
                jobs=jobs,
            )
        new_c, new_f = records_to_tables(repo_id, _progress(records, len(todo), repo_id, log))
        mined = set(new_c["commit_hash"].to_pylist())
        if mined != set(todo) or new_c.num_rows != len(todo):
            raise GitMiningError(
                f"{repo_id}: mined {new_c.num_rows} commits but {len(todo)} were expected at {head}; "
                "nothing was landed"
            )
        new_commits = new_c.num_rows
        if keep:
            keep_array = pa.array(sorted(keep))
            kept_c = old_commits.filter(pc.is_in(old_commits["commit_hash"], keep_array))
            kept_f = old_files.filter(pc.is_in(old_files["commit_hash"], keep_array))
            commits_table = pa.concat_tables([kept_c, new_c.cast(kept_c.schema)])
            files_table = pa.concat_tables([kept_f, new_f.cast(kept_f.schema)])
        else:
            commits_table, files_table = new_c, new_f

    # Only a commit landed from its --raw diff alone has NULL insertions (git-log engine), so the
    # partition itself says which commits are undiffable, those kept from earlier runs included.
    unknown = commits_table.filter(pc.is_null(commits_table["insertions"]))
    undiffable = unknown["commit_hash"].to_pylist()
    extraction = GitExtraction(
        repo_id=repo_id,
        source=repo.source,
        ref=ref_name,
        mined_head=head,
        previous_head=previous_head,
        mode=mode,
        commits=commits_table.num_rows,
        modified_files=files_table.num_rows,
        new_commits=new_commits,
        dropped_commits=dropped,
        extracted_at=datetime.now(UTC),
        engine=engine,
        tool_versions=versions,
        undiffable_commits=undiffable,
    )
    row = extraction.row()
    metadata = {METADATA_KEY: json.dumps({**row, "extracted_at": row["extracted_at"].isoformat()})}
    # Commits and modified files land together with the extraction row, which commits them: a
    # reader never sees files of one run beside commits of another.
    commit = landing.commit_repository(
        root,
        EXTRACTIONS,
        repo_id,
        row,
        {COMMITS: commits_table, FILES: files_table} if write_data else None,
        metadata,
    )
    paths = commit.paths
    extraction.paths = paths
    if log:
        log(
            f"{repo_id}: {mode}: {extraction.commits} commits, {extraction.modified_files} "
            f"modified files ({new_commits} new, {dropped} dropped)"
        )
    return extraction
