"""Mine one repository's commits and modified files into the landing zone (see docs/git-mining.md).

:func:`mine_repository` resolves the source (local path, or a URL cloned into a bare mirror and
refreshed with ``git fetch``), lets :func:`extract.git.plan.plan` decide between a full, incremental
or unchanged run from the previous extraction, mines the commits not landed yet, and lands
``git/commits`` and ``git/modified_files`` as one commit of the repository
(``landing.commit_repository``): the ``git/extractions`` row written last names the new
files, so a crash at any point leaves the previous state whole and a reader never sees commits of
one run beside files of another.

pyarrow (and the landing module that needs it) is imported inside the functions that use it, once
the git processes are running: the 0.3 s it takes to load runs beside git instead of before it.
"""

from __future__ import annotations

import importlib.metadata
import json
import platform
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from base.repo_id import InvalidRepoId, validate_repo_id
from extract.git import gitcmd
from extract.git.gitlog import DiffTreePool, iter_commits
from extract.git.options import Engine, MiningOptions, MissingObjects, RunMode
from extract.git.plan import LandedState, Plan, plan
from extract.git.records import CommitRecord, GitMiningError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["GitExtraction", "GitMiningError", "MiningOptions", "iter_commits", "mine_repository"]

COMMITS, FILES, EXTRACTIONS = "git/commits", "git/modified_files", "git/extractions"
METADATA_KEY = "mms.git.extraction"
Log = Callable[[str], None]


@dataclass
class GitExtraction:
    """One run's row of ``git/extractions`` (and what the run landed)."""

    repo_id: str
    source: str
    ref: str
    mined_head: str | None
    previous_head: str | None
    mode: RunMode
    commits: int
    modified_files: int
    new_commits: int
    dropped_commits: int
    extracted_at: datetime
    engine: Engine
    detect_copies: bool
    missing_objects: MissingObjects
    tool_versions: dict[str, str]
    #: commits of the landed partition git could not diff (missing blobs), landed with unknown
    #: (NULL) line counts; kept commits from earlier runs included, in partition order
    undiffable_commits: list[str] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    def row(self) -> dict:
        row = asdict(self)
        del row["paths"]
        row.update(mode=self.mode.value, engine=self.engine.value)
        row["missing_objects"] = self.missing_objects.value
        row["tool_versions"] = json.dumps(self.tool_versions, sort_keys=True)
        return row


def _in_background(function, *args) -> Future:
    pool = ThreadPoolExecutor(1, thread_name_prefix="git-miner")
    try:
        return pool.submit(function, *args)
    finally:
        pool.shutdown(wait=False)


def tool_versions(engine: Engine) -> dict[str, str]:
    import pyarrow as pa

    versions = {
        "git": gitcmd.git_version(),
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
    }
    dists = ["model-management-miner"] + (["pydriller"] if engine is Engine.PYDRILLER else [])
    for dist in dists:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return versions


@dataclass
class _Previous:
    """The repository's current extraction row and, unless a full refresh, its landed rows."""

    row: dict | None = None
    commits: pa.Table | None = None
    files: pa.Table | None = None

    def state(self, repo: gitcmd.LocalRepository) -> LandedState | None:
        if self.row is None:
            return None
        if self.commits is None:
            return LandedState.from_landing(self.row, [])
        return LandedState.from_landing(
            self.row, self.commits["commit_hash"].to_pylist(), self._grafted_roots(repo)
        )

    def _grafted_roots(self, repo: gitcmd.LocalRepository) -> list[str]:
        """Landed root commits that have parents in the repository (one git call, on the few
        roots): the trace of rows mined from a shallow clone that has been completed since."""
        import pyarrow.compute as pc

        if self.commits is None:
            return []
        parents = self.commits["parent_hashes"]
        roots = self.commits.filter(pc.equal(pc.list_value_length(parents), 0))
        now = gitcmd.parents_of(
            repo.git_dir, roots["commit_hash"].to_pylist(), repo_id=repo.repo_id
        )
        return [commit for commit, parents in now.items() if parents]


def _read_previous(root: Path, repo_id: str, *, full_refresh: bool) -> _Previous:
    """A full refresh reads only the extraction row, and tolerates an unreadable one: an
    unreadable partition never blocks the re-mining that repairs it."""
    import landing

    try:
        rows = landing.read_partition(root, EXTRACTIONS, repo_id)
        previous = _Previous(rows.to_pylist()[0] if rows is not None and rows.num_rows else None)
        if not full_refresh:
            previous.commits = landing.read_partition(root, COMMITS, repo_id)
            previous.files = landing.read_partition(root, FILES, repo_id)
        return previous
    except landing.LandingError as exc:
        if full_refresh:
            return _Previous()
        raise GitMiningError(
            f"{repo_id}: the landed partition is unreadable ({exc}); re-mine with full_refresh=True "
            "(`mms-extract git mine --full`)"
        ) from exc


def _progress(records: Iterator[CommitRecord], total: int, repo_id: str, log: Log | None):
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
    log(f"{repo_id}: mined {done} commits in {time.monotonic() - started:.1f}s")


def _records(repo: gitcmd.LocalRepository, head: str | None, work: Plan, options: MiningOptions):
    """The records of ``work.to_mine``, from the chosen engine; git starts at once."""
    if not work.to_mine or head is None:  # no head, nothing to mine
        return iter(())
    if options.engine is Engine.PYDRILLER:
        from extract.git.reference import iter_commits_pydriller

        only = None if work.mode is RunMode.FULL else work.to_mine
        return iter_commits_pydriller(repo.git_dir, head, only=only, repo_id=repo.repo_id)
    # ``to_mine`` is in rev-list order (the whole history on a full run): no second walk.
    return DiffTreePool(repo.git_dir, work.to_mine, repo_id=repo.repo_id, options=options).start()


def _mine(records, work: Plan, previous: _Previous, repo_id: str, log: Log | None):
    """New rows from ``records``, plus the kept landed rows: ``(commits, modified files)``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from extract.git.tables import CommitTables

    collected = CommitTables(repo_id)
    for record in _progress(records, len(work.to_mine), repo_id, log):
        collected.add(record)
    new_c, new_f = collected.tables()
    mined = set(new_c["commit_hash"].to_pylist())
    if mined != set(work.to_mine) or new_c.num_rows != len(work.to_mine):
        raise GitMiningError(
            f"{repo_id}: mined {new_c.num_rows} commits but {len(work.to_mine)} were expected; "
            "nothing was landed"
        )
    if not work.keep:
        return new_c, new_f
    # Commits are kept only from landed rows, so the landed tables were read.
    assert previous.commits is not None and previous.files is not None
    keep = pa.array(sorted(work.keep))
    kept_c = previous.commits.filter(pc.is_in(previous.commits["commit_hash"], keep))
    kept_f = previous.files.filter(pc.is_in(previous.files["commit_hash"], keep))
    return (
        pa.concat_tables([kept_c, new_c.cast(kept_c.schema)]),
        pa.concat_tables([kept_f, new_f.cast(kept_f.schema)]),
    )


def _land(root: Path, extraction: GitExtraction, data: dict | None) -> GitExtraction:
    """Commit the repository's tables (``data``; ``None`` keeps them) with the extraction row."""
    import landing

    row = extraction.row()
    metadata = {METADATA_KEY: json.dumps({**row, "extracted_at": row["extracted_at"].isoformat()})}
    commit = landing.commit_repository(root, EXTRACTIONS, extraction.repo_id, row, data, metadata)
    extraction.paths = commit.paths
    return extraction


@dataclass
class _Run:
    """What one run of :func:`mine_repository` works on."""

    repo: gitcmd.LocalRepository
    ref_name: str
    head: str | None
    options: MiningOptions
    previous: _Previous
    work: Plan
    #: looked up while git runs (importlib.metadata scans every installed package: ~0.1 s)
    versions: Future[dict[str, str]] = field(init=False)


def mine_repository(
    repo_id: str,
    source,
    landing_root: Path,
    options: MiningOptions | None = None,
    *,
    mirror_dir: Path | None = None,
    log: Log | None = None,
) -> GitExtraction:
    """Land every commit reachable from ``options.ref`` (default branch) of ``source``."""
    try:
        repo_id = validate_repo_id(repo_id)
    except InvalidRepoId as exc:
        raise GitMiningError(str(exc)) from exc
    options = options or MiningOptions()
    root = Path(landing_root)
    repo = gitcmd.open_source(repo_id, source, mirror_dir)
    ref_name, head = gitcmd.resolve_head(repo, options.ref)
    # A full refresh needs nothing landed to plan, so git starts before pyarrow is loaded.
    full = options.full_refresh
    previous = _Previous() if full else _read_previous(root, repo_id, full_refresh=False)
    work = plan(
        previous.state(repo),
        head,
        lambda: gitcmd.rev_list(repo.git_dir, head, repo_id=repo_id) if head else [],
        options,
    )
    if log:
        log(
            f"{repo_id}: {work.mode} run at {head}: {len(work.to_mine)} commits to mine, "
            f"{work.dropped} dropped ({work.reason})"
        )
    run = _Run(repo, ref_name, head, options, previous, work)
    run.versions = _in_background(tool_versions, options.engine)
    if work.mode is RunMode.UNCHANGED:
        data, commits, files = None, previous.commits, previous.files
    else:
        records = _records(repo, head, work, options)
        if full:
            run.previous = _read_previous(root, repo_id, full_refresh=True)
        commits, files = _mine(records, work, run.previous, repo_id, log)
        data = {COMMITS: commits, FILES: files}
    extraction = _land(root, _extraction(run, commits, files), data)
    if log:
        log(
            f"{repo_id}: {work.mode}: {extraction.commits} commits, {extraction.modified_files} "
            f"modified files ({extraction.new_commits} new, {work.dropped} dropped)"
        )
    return extraction


def _extraction(run: _Run, commits: pa.Table, files: pa.Table) -> GitExtraction:
    import pyarrow.compute as pc

    # Only a commit landed from its --raw diff alone has NULL insertions (git-log engine), so the
    # partition itself says which commits are undiffable, those kept from earlier runs included.
    undiffable = commits.filter(pc.is_null(commits["insertions"]))["commit_hash"].to_pylist()
    previous = run.previous.row
    return GitExtraction(
        repo_id=run.repo.repo_id,
        source=run.repo.source,
        ref=run.ref_name,
        mined_head=run.head,
        previous_head=previous["mined_head"] if previous else None,
        mode=run.work.mode,
        commits=commits.num_rows,
        modified_files=files.num_rows,
        new_commits=len(run.work.to_mine),
        dropped_commits=run.work.dropped,
        extracted_at=datetime.now(UTC),
        engine=run.options.engine,
        detect_copies=run.options.detect_copies,
        missing_objects=run.options.missing_objects,
        tool_versions=run.versions.result(),
        undiffable_commits=undiffable,
    )
