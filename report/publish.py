"""Write the report's files so that readers never see half a report: everything goes into a new
directory beside the reports directory, which then takes its place by two renames on the same
file system. A reader sees the old report, the new one, or (for the instant between the renames)
none, never a mix. The old directory is kept, hidden beside the new one, for a grace period, so a
reader still listing or reading it is not cut short; a later publish removes it."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

#: Marks a directory the report wrote, so that it may be replaced whole.
MARKER = ".mms-report"
#: A directory holding only such files (reports written before the marker existed) is replaced too.
REPORT_SUFFIXES = (".md", ".png", ".html", ".json")
#: Seconds a replaced report stays readable (hidden, beside the new one) before it is removed.
RETIRED_GRACE_SECONDS = 300.0


class ReportDirectoryError(RuntimeError):
    """The reports directory holds something the report did not write (one line, naming it)."""


def _check_replaceable(target: Path) -> None:
    if not target.is_dir() or target.is_symlink():
        raise ReportDirectoryError(f"reports directory {target} is not a directory")
    if (target / MARKER).is_file():
        return
    for entry in sorted(target.iterdir()):
        if not entry.is_file() or entry.suffix not in REPORT_SUFFIXES:
            raise ReportDirectoryError(
                f"reports directory {target} holds {entry.name}, which the report did not write: "
                "point MMS_REPORTS_DIR at a directory of its own"
            )


def _retired_name(target: Path) -> Path:
    """A hidden sibling named by when it was retired (nanoseconds), unique per process and call."""
    return target.parent / f".{target.name}.old-{time.time_ns()}-{os.getpid()}"


def _remove_retired(target: Path, grace_seconds: float) -> None:
    cutoff = time.time_ns() - int(grace_seconds * 1e9)
    for entry in target.parent.glob(f".{target.name}.old-*"):
        try:
            retired_at = int(entry.name.rsplit(".old-", 1)[1].split("-")[0])
        except (IndexError, ValueError):
            continue
        if retired_at <= cutoff:
            shutil.rmtree(entry, ignore_errors=True)


def publish_directory(
    files: Mapping[str, bytes],
    target: Path,
    *,
    grace_seconds: float = RETIRED_GRACE_SECONDS,
) -> Path:
    """Replace ``target`` with a directory holding exactly ``files`` (name -> content); reports it
    replaced more than ``grace_seconds`` ago are removed."""
    target = target.absolute()
    if target.exists() or target.is_symlink():
        _check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for name, content in files.items():
            if Path(name).name != name:
                raise ValueError(f"report file name {name!r} is not a plain file name")
            (staging / name).write_bytes(content)
        (staging / MARKER).write_text(
            "Written by the report package (python -m report); the directory is replaced whole "
            "on every run.\n",
            encoding="utf-8",
        )
        staging.chmod(0o755)  # mkdtemp makes it private
        if not target.exists():
            os.rename(staging, target)
            return target
        retired = _retired_name(target)
        os.rename(target, retired)
        try:
            os.rename(staging, target)
        except OSError:
            os.rename(retired, target)  # put the old report back
            raise
        _remove_retired(target, grace_seconds)
        return target
    finally:
        if staging.exists():
            with contextlib.suppress(OSError):
                shutil.rmtree(staging)
