"""Build, then publish: a build session prepares a private copy of the warehouse, the caller runs dbt
on it, and the session publishes it in one atomic rename when the caller says the build passed and
the build loses no data against the published one (warehouse.shrink; ``allow_shrink`` overrides).
Every outcome, a copy or publish that failed (a full disk) included, is a line of the builds log.

Publishing: the finished build file is hard-linked into ``<warehouse>.snapshots/<build id>.duckdb``
and a fresh hard link to it is renamed over the published path. ``rename`` replaces a directory
entry atomically, so a new connection opens the old snapshot or the new one, never a mix; a reader
already connected keeps the inode it opened. Snapshots beyond ``keep`` are unlinked (their space is
freed when the last reader closes). At most two copies of the warehouse exist while a build runs:
the published one and the build.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

import duckdb

import landing
from base import settings
from warehouse.dbt_child import WORKDIR, dbt_path, die_with_parent
from warehouse.files import DEFINITIONS_TARGET, WarehouseFiles
from warehouse.lock import writer_lock
from warehouse.published import WarehouseUnavailable, open_published
from warehouse.shrink import Shrink, unexplained_shrinks

#: published snapshots kept (the current one included); MMS_WAREHOUSE_SNAPSHOTS overrides
DEFAULT_KEEP = 1
#: the dbt project's files whose content decides whether an incremental build may reuse the
#: published warehouse (a changed model may change a staging table's columns)
FINGERPRINTED = ("dbt_project.yml", "models", "macros", "seeds", "tests")


@dataclass
class BuildRecord:
    """One line of the builds log."""

    build_id: str
    holder: str
    started_at: str
    finished_at: str | None = None
    status: str = "running"  # published | failed
    reason: str | None = None
    full_refresh: bool = False
    code_version: str = "unknown"
    project_fingerprint: str | None = None
    seconds: float | None = None
    quarantined: list[str] = field(default_factory=list)
    #: repositories whose data the build lost against the published build, unexplained
    #: (warehouse.shrink); published anyway only when ``allowed_shrink``
    shrinks: list[str] = field(default_factory=list)
    allowed_shrink: bool = False


class BuildFailed(RuntimeError):
    """The build could not be prepared or published (one line naming the file and why); the
    failure is recorded in the builds log and nothing was published."""


@dataclass(frozen=True)
class PublicationStatus:
    """Which build analysts see, and the newest build that did not replace it (if any)."""

    published_build_id: str | None
    published_at: str | None
    last_failed: BuildRecord | None
    #: the published build's own record (None for a warehouse built before the builds log)
    published: BuildRecord | None = None


def keep_snapshots() -> int:
    raw = os.environ.get("MMS_WAREHOUSE_SNAPSHOTS", "")
    try:
        return max(1, int(raw)) if raw else DEFAULT_KEEP
    except ValueError:
        raise ValueError(f"MMS_WAREHOUSE_SNAPSHOTS={raw!r} is not a whole number") from None


def project_fingerprint(dbt_dir: Path | None = None) -> str:
    digest = hashlib.sha256()
    root = Path(dbt_dir or settings.dbt_project_dir())
    for name in FINGERPRINTED:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def code_version() -> str:
    """``git describe`` of the project checkout, else the installed package's version."""
    try:
        done = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=settings.project_dir(),
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("model-management-miner")
    except PackageNotFoundError:
        return "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def append_record(files: WarehouseFiles, record: BuildRecord) -> None:
    files.builds_dir.mkdir(parents=True, exist_ok=True)
    line = json.dumps(asdict(record), sort_keys=True) + "\n"
    with open(files.log, "a", encoding="utf-8") as handle:
        handle.write(line)


def read_records(files: WarehouseFiles) -> list[BuildRecord]:
    if not files.log.exists():
        return []
    records = []
    for line in files.log.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(ValueError, TypeError):
            records.append(BuildRecord(**json.loads(line)))
    return records


def published_build_info(path: Path) -> dict | None:
    """The published warehouse's build_info row, or None (no warehouse, or built before it)."""
    try:
        with open_published(path) as con:
            cursor = con.execute("select * from build_info")
            names = [d[0] for d in cursor.description]
            row = cursor.fetchone()
    except (WarehouseUnavailable, duckdb.Error):
        return None
    return dict(zip(names, row, strict=True)) if row else None


def publication_status(files: WarehouseFiles) -> PublicationStatus:
    info = published_build_info(files.published) or {}
    published_id = info.get("build_id")
    records = read_records(files)
    last_failed = None
    for record in reversed(records):
        if record.status == "published":
            break
        if record.status == "failed":
            last_failed = record
            break
    built_at = info.get("built_at")
    return PublicationStatus(
        published_build_id=published_id,
        published_at=built_at.isoformat() if isinstance(built_at, date) else built_at,
        last_failed=last_failed,
        published=next((r for r in reversed(records) if r.build_id == published_id), None),
    )


def _checkpoint(path: Path) -> None:
    """Fold a write-ahead log into the file: a published file must hold everything by itself."""
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        with duckdb.connect(str(path)) as con:
            con.execute("checkpoint")
    if wal.exists():
        raise RuntimeError(f"{path} still has a write-ahead log after a checkpoint")


def publish(files: WarehouseFiles, build_id: str, build_path: Path, keep: int) -> Path:
    """Make the finished build the published warehouse, atomically; returns its snapshot."""
    _checkpoint(build_path)
    files.snapshots_dir.mkdir(parents=True, exist_ok=True)
    snapshot = files.snapshot_path(build_id)
    if not snapshot.exists():
        os.link(build_path, snapshot)
    staged = files.published.with_name(f".{files.published.name}.{build_id}.tmp")
    staged.unlink(missing_ok=True)
    os.link(snapshot, staged)
    os.replace(staged, files.published)
    _fsync_dir(files.published.parent)
    shutil.rmtree(build_path.parent, ignore_errors=True)
    _prune_snapshots(files, keep, current=snapshot)
    return snapshot


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune_snapshots(files: WarehouseFiles, keep: int, current: Path) -> None:
    snapshots = sorted(files.snapshots_dir.glob("*.duckdb"), key=lambda p: p.stat().st_mtime)
    older = [p for p in snapshots if p != current]
    for stale in older[: max(0, len(older) - (keep - 1))]:
        stale.unlink(missing_ok=True)


def _clean_stale(files: WarehouseFiles) -> None:
    """Left by builds that died (the caller holds the writer lock, so none is running)."""
    kept = {files.dev_build_path.parent, files.dbt_target}
    if files.builds_dir.is_dir():
        for entry in files.builds_dir.iterdir():
            # rmtree removes the landing link inside a build's folder, never what it points at
            if entry.is_dir() and entry not in kept:
                shutil.rmtree(entry, ignore_errors=True)
    for staged in files.published.parent.glob(f".{files.published.name}.*.tmp"):
        staged.unlink(missing_ok=True)


@dataclass
class BuildSession:
    """What a caller needs to run dbt on a build, and how it reports the outcome."""

    files: WarehouseFiles
    record: BuildRecord
    build_path: Path
    full_refresh: bool
    env: dict[str, str]
    quarantined: list[landing.Quarantined]
    #: publish even when the build loses data against the published one (warehouse.shrink)
    allow_shrink: bool = False
    passed: bool = False
    reason: str | None = None
    #: set when the session ends: the build replaced the published warehouse
    published: bool = False

    @property
    def build_id(self) -> str:
        return self.record.build_id

    def dbt_args(self, args: list[str]) -> list[str]:
        """``args`` plus ``--full-refresh`` when the build cannot reuse the published tables;
        without dbt's unit tests unless ``args`` choose resource types: they test the SQL against
        fixed inputs, not the data, and dbt's docs keep them to development and CI (`dbt build` by
        hand, the test suite), out of production builds; and without dbt's ``manifest.json`` and
        ``run_results.json`` unless ``args`` ask (``--write-json``): nothing reads
        them (a failed build's nodes come from dbt's error lines), and writing them cost 1.4 of a
        small study's 16.2 build CPU seconds, 0.7 of a one-model build's 5.9
        (benchmarks/dbt_write_json.py). The saved parse, which the next build starts from, is
        written either way."""
        chosen = {"--resource-type", "--resource-types", "--exclude-resource-type",
                  "--exclude-resource-types"}  # fmt: skip
        if not any(arg.split("=")[0] in chosen for arg in args):
            args = [*args, "--exclude-resource-type", "unit_test"]
        if not {"--write-json", "--no-write-json"} & set(args):
            args = [*args, "--no-write-json"]
        return [*args, "--full-refresh"] if self.full_refresh else list(args)

    def finish(self, *, passed: bool, reason: str | None = None) -> None:
        self.passed, self.reason = passed, reason


def _prepare(files: WarehouseFiles, fingerprint: str) -> tuple[Path, bool]:
    """The build starts from a copy of the published warehouse (a subset build replaces only its
    models); its incremental models continue from the published tables only when the published
    build came from the same dbt project, otherwise they are rebuilt whole (--full-refresh)."""
    build_path = files.build_path
    build_path.parent.mkdir(parents=True, exist_ok=True)
    if not files.published.exists():
        return build_path, True
    shutil.copyfile(files.published, build_path)
    published = [r for r in read_records(files) if r.status == "published"]
    same_project = bool(published) and published[-1].project_fingerprint == fingerprint
    return build_path, not same_project


def _link_landing(files: WarehouseFiles, landing_root: Path) -> None:
    """The build's folder gets a link to the landing directory dbt reads
    (``files.dbt_landing_dir``); the folder, and the link with it, goes when the build ends."""
    files.landing_link.symlink_to(Path(landing_root).absolute(), target_is_directory=True)


def _os_reason(exc: OSError) -> str:
    return "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _copy_failed(files: WarehouseFiles, exc: OSError) -> str:
    """One line on a copy that failed, once its partial file is gone (so the free space shown is
    what a retry would have)."""
    directory = files.build_path.parent
    shutil.rmtree(directory, ignore_errors=True)
    line = f"cannot copy the published warehouse to {directory}: {_os_reason(exc)}"
    if exc.errno == errno.ENOSPC:
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(directory.parent).free
            needed = files.published.stat().st_size
            line += f" ({_megabytes(free)} free there, a build needs {_megabytes(needed)})"
    return line


def _shrink_reason(shrinks: list[Shrink]) -> str:
    count = f"{len(shrinks)} repositor{'y' if len(shrinks) == 1 else 'ies'}"
    more = f"; and {len(shrinks) - 1} more" if len(shrinks) > 1 else ""
    return (
        f"its landed data shrank against the published build in {count} without a recorded "
        f"reason ({shrinks[0]}{more}); publish it anyway with --allow-shrink (Dagster: config "
        "allow_shrink)"
    )


def _publish_if_whole(session: BuildSession, keep: int) -> None:
    """Publish a build that passed, unless it loses data against the published build and the
    caller did not allow it (warehouse.shrink)."""
    files, record = session.files, session.record
    _checkpoint(session.build_path)
    shrinks = unexplained_shrinks(files.published, session.build_path)
    record.shrinks = [str(s) for s in shrinks]
    if shrinks and not session.allow_shrink:
        session.reason = _shrink_reason(shrinks)
        return
    record.allowed_shrink = bool(shrinks)
    publish(files, session.build_id, session.build_path, keep)
    session.published = True


def _conclude(session: BuildSession, keep: int, started: float, log) -> None:
    """Publish the build or drop it, and record which and why; raises :class:`BuildFailed` when
    publishing itself failed (after recording it)."""
    files, record = session.files, session.record
    failure = None
    if session.passed:
        try:
            _publish_if_whole(session, keep)
        except (OSError, duckdb.Error) as exc:
            reason = _os_reason(exc) if isinstance(exc, OSError) else str(exc).splitlines()[0]
            session.reason = failure = f"cannot publish {session.build_path}: {reason}"
    record.finished_at = _now()
    record.seconds = round(time.monotonic() - started, 1)
    if session.published:
        record.status = "published"
        for shrink in record.shrinks:
            log(f"published although it lost data (--allow-shrink): {shrink}")
        log(f"published build {session.build_id} as {files.published}")
    else:
        shutil.rmtree(session.build_path.parent, ignore_errors=True)
        record.status, record.reason = "failed", session.reason or "the build did not pass"
        log(f"build {session.build_id} not published: {record.reason}")
    append_record(files, record)
    if failure is not None:
        raise BuildFailed(failure)


def _dbt_environment(
    files: WarehouseFiles, landing_root: Path, record: BuildRecord
) -> dict[str, str]:
    env = settings.subprocess_env()
    # dbt reads the landing zone and names the catalog after the files this session was given,
    # not whatever the environment says.
    env.update(
        # through the link beside the build file, relative to the folder dbt runs in like the
        # build file's path: the same for every landing zone (WarehouseFiles.dbt_landing_dir)
        MMS_LANDING_DIR=str(files.dbt_landing_dir),
        MMS_DUCKDB_PATH=str(files.published.absolute()),
        # relative to the folder dbt runs in: the same profile for every warehouse of this file
        # name, so a new warehouse starts from the project's saved parse (WarehouseFiles)
        MMS_DBT_BUILD_PATH=str(files.dbt_build_path),
        **{WORKDIR: str(files.builds_dir.absolute())},
        MMS_BUILD_ID=record.build_id,
        MMS_CODE_VERSION=record.code_version,
        MMS_DBT_PROJECT_FINGERPRINT=record.project_fingerprint or "unknown",
        # dbt's artefacts and saved parse stay with the warehouse they describe, one folder for
        # all its builds (dagster-dbt passes the same folder, dagster_project/defs/warehouse)
        DBT_TARGET_PATH=str(files.dbt_target.absolute()),
        DBT_LOG_PATH=str(files.dbt_target.absolute()),
    )
    # dbt's log file at info (each node's start and result, every warning and error with its
    # compiled SQL's path), not debug: the debug lines (each statement, connection and timing) were
    # 6% of a build's CPU on the sample and 1.3 MB per build
    # (benchmarks/dbt_log_level.py). DBT_LOG_LEVEL_FILE=debug brings them.
    env.setdefault("DBT_LOG_LEVEL_FILE", "info")
    return env


@contextlib.contextmanager
def build_session(
    files: WarehouseFiles,
    *,
    holder: str,
    landing_root: Path,
    wait_seconds: float = 0.0,
    keep: int | None = None,
    on_wait=None,
    log=print,
    allow_shrink: bool = False,
) -> Iterator[BuildSession]:
    """Hold the writer lock, quarantine unusable landing files, prepare a build file; on exit
    publish it if the caller called ``finish(passed=True)`` and it loses no data against the
    published build (or ``allow_shrink``), else record why not and drop it. A build that cannot be
    copied or published raises :class:`BuildFailed` once the failure is recorded."""
    keep = keep_snapshots() if keep is None else keep
    started = time.monotonic()
    with writer_lock(files, holder, wait_seconds=wait_seconds, on_wait=on_wait):
        _clean_stale(files)
        build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        fingerprint = project_fingerprint()
        record = BuildRecord(
            build_id, holder, _now(), code_version=code_version(), project_fingerprint=fingerprint
        )
        # The schema files follow this code's contract, so files landed before a column was added
        # read with the column empty instead of failing the build.
        landing.refresh_schemas(landing_root)
        quarantined = landing.quarantine_unreadable(landing_root)
        for item in quarantined:
            log(item.describe())
        record.quarantined = [f"{q.table}:{q.key}" for q in quarantined]
        try:
            build_path, full_refresh = _prepare(files, fingerprint)
        except OSError as exc:
            _failed_before_dbt(files, record, started, _copy_failed(files, exc), exc)
        try:
            _link_landing(files, landing_root)
        except OSError as exc:
            shutil.rmtree(build_path.parent, ignore_errors=True)
            reason = f"cannot link {files.landing_link} to the landing directory {landing_root}: "
            _failed_before_dbt(files, record, started, reason + _os_reason(exc), exc)
        record.full_refresh = full_refresh
        env = _dbt_environment(files, landing_root, record)
        _start_from_the_projects_parse(files)
        session = BuildSession(
            files, record, build_path, full_refresh, env, quarantined, allow_shrink=allow_shrink
        )
        try:
            yield session
        except BaseException as exc:
            session.finish(passed=False, reason=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            _conclude(session, keep, started, log)


def _failed_before_dbt(
    files: WarehouseFiles, record: BuildRecord, started: float, reason: str, exc: OSError
) -> NoReturn:
    record.status, record.reason = "failed", reason
    record.finished_at, record.seconds = _now(), round(time.monotonic() - started, 1)
    append_record(files, record)
    raise BuildFailed(reason) from exc


def _start_from_the_projects_parse(files: WarehouseFiles) -> None:
    """A warehouse's first build starts from the parse the Dagster definitions keep (the same
    profile: WarehouseFiles.dbt_build_path), later ones from their own; dbt checks a saved parse
    before it uses it, and re-parses only files that differ (none, for an unchanged project)."""
    saved = settings.dbt_project_dir() / DEFINITIONS_TARGET / "partial_parse.msgpack"
    target = files.dbt_target / saved.name
    if saved.exists() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target)


def run_dbt(args: list[str], env: Mapping[str, str]) -> int:
    """dbt from the interpreter's environment, output to this process's stdout, run in the folder
    the build's environment names (the build file's path is relative to it)."""
    project = settings.dbt_project_dir(env)
    parent = os.getpid()

    def die_with_this_process() -> None:  # in the child, between fork and exec
        if not die_with_parent(parent):
            os._exit(1)

    return subprocess.run(
        [dbt_path(), *args, "--project-dir", str(project), "--profiles-dir", str(project)],
        env=dict(env),
        cwd=env.get(WORKDIR) or project,
        check=False,
        preexec_fn=die_with_this_process if sys.platform == "linux" else None,
    ).returncode
