"""Build, then publish: a build session prepares a private copy of the warehouse, the caller runs dbt
on it, and the session publishes it in one atomic rename when the caller says the build passed.

Publishing: the finished build file is hard-linked into ``<warehouse>.snapshots/<build id>.duckdb``
and a fresh hard link to it is renamed over the published path. ``rename`` replaces a directory
entry atomically, so a new connection opens the old snapshot or the new one, never a mix; a reader
already connected keeps the inode it opened. Snapshots beyond ``keep`` are unlinked (their space is
freed when the last reader closes). At most two copies of the warehouse exist while a build runs:
the published one and the build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from extract import landing, settings
from warehouse.files import WarehouseFiles
from warehouse.lock import writer_lock

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


@dataclass(frozen=True)
class PublicationStatus:
    """Which build analysts see, and the newest build that did not replace it (if any)."""

    published_build_id: str | None
    published_at: str | None
    last_failed: BuildRecord | None


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
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            cursor = con.execute("select * from build_info")
            names = [d[0] for d in cursor.description]
            row = cursor.fetchone()
    except duckdb.Error:
        return None
    return dict(zip(names, row, strict=True)) if row else None


def publication_status(files: WarehouseFiles) -> PublicationStatus:
    info = published_build_info(files.published) or {}
    published_id = info.get("build_id")
    last_failed = None
    for record in reversed(read_records(files)):
        if record.status == "published":
            break
        if record.status == "failed":
            last_failed = record
            break
    built_at = info.get("built_at")
    return PublicationStatus(
        published_build_id=published_id,
        published_at=built_at.isoformat() if hasattr(built_at, "isoformat") else built_at,
        last_failed=last_failed,
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
    if files.builds_dir.is_dir():
        for entry in files.builds_dir.iterdir():
            if entry.is_dir() and entry.name != "dev":
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
    passed: bool = False
    reason: str | None = None

    @property
    def build_id(self) -> str:
        return self.record.build_id

    def dbt_args(self, args: list[str]) -> list[str]:
        """``args`` plus ``--full-refresh`` when the build cannot reuse the published tables."""
        return [*args, "--full-refresh"] if self.full_refresh else list(args)

    def finish(self, *, passed: bool, reason: str | None = None) -> None:
        self.passed, self.reason = passed, reason


def _prepare(files: WarehouseFiles, build_id: str, fingerprint: str) -> tuple[Path, bool]:
    """The build starts from a copy of the published warehouse (a subset build replaces only its
    models); its incremental models continue from the published tables only when the published
    build came from the same dbt project, otherwise they are rebuilt whole (--full-refresh)."""
    build_path = files.build_path(build_id)
    build_path.parent.mkdir(parents=True, exist_ok=True)
    if not files.published.exists():
        return build_path, True
    shutil.copyfile(files.published, build_path)
    published = [r for r in read_records(files) if r.status == "published"]
    same_project = bool(published) and published[-1].project_fingerprint == fingerprint
    return build_path, not same_project


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
) -> Iterator[BuildSession]:
    """Hold the writer lock, quarantine unreadable landing files, prepare a build file; on exit
    publish it if the caller called ``finish(passed=True)``, else record why not and drop it."""
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
        landing.ensure_landing(landing_root)
        quarantined = landing.quarantine_unreadable(landing_root)
        for item in quarantined:
            log(f"quarantined {item.table} of {item.key}: {item.reason} (moved to {item.moved_to})")
        record.quarantined = [f"{q.table}:{q.key}" for q in quarantined]
        build_path, full_refresh = _prepare(files, build_id, fingerprint)
        record.full_refresh = full_refresh
        env = settings.subprocess_env()
        env.update(
            MMS_DBT_BUILD_PATH=str(build_path),
            MMS_BUILD_ID=build_id,
            MMS_CODE_VERSION=record.code_version,
            MMS_DBT_PROJECT_FINGERPRINT=fingerprint,
        )
        session = BuildSession(files, record, build_path, full_refresh, env, quarantined)
        try:
            yield session
        except BaseException as exc:
            session.finish(passed=False, reason=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            record.finished_at = _now()
            record.seconds = round(time.monotonic() - started, 1)
            if session.passed:
                publish(files, build_id, build_path, keep)
                record.status = "published"
                log(f"published build {build_id} as {files.published}")
            else:
                shutil.rmtree(build_path.parent, ignore_errors=True)
                record.status, record.reason = "failed", session.reason or "the build did not pass"
                log(f"build {build_id} not published: {record.reason}")
            append_record(files, record)


def _die_with_parent() -> None:
    """Linux: the kernel kills dbt when the build process dies, so no orphan keeps writing."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_dbt(args: list[str], env: Mapping[str, str]) -> int:
    """dbt from the interpreter's environment, output to this process's stdout."""
    dbt = Path(sys.executable).parent / "dbt"
    command = [str(dbt if dbt.exists() else "dbt"), *args]
    project = settings.dbt_project_dir(env)
    return subprocess.run(
        [*command, "--project-dir", str(project), "--profiles-dir", str(project)],
        env=dict(env),
        cwd=project,
        check=False,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    ).returncode
