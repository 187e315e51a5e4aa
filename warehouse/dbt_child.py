"""dbt as a child that dies with the process that started it (Linux): a killed build, or a killed
Dagster step, never leaves a dbt behind it writing on.

The kernel delivers a parent-death signal (``prctl(PR_SET_PDEATHSIG)``) to a process when its parent
exits, however it exits (kill -9 included), and the setting survives ``exec``. ``mms-warehouse
build`` sets it through ``subprocess``'s ``preexec_fn``; dagster-dbt's ``DbtCliResource`` starts dbt
itself with no such hook, so its ``dbt_executable`` is ``mms-dbt`` (:func:`main`): a console script
that sets the signal and then becomes dbt.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path

#: ``mms-dbt`` checks that this process (the one that started it) is still its parent
PARENT_PID = "MMS_DBT_PARENT_PID"
#: the folder dbt runs in, which the build file's path in dbt's profile is relative to
#: (WarehouseFiles.dbt_build_path). dagster-dbt starts dbt in the project folder (and names the
#: project by $DBT_PROJECT_DIR), so ``mms-dbt`` changes to this folder before it becomes dbt.
WORKDIR = "MMS_DBT_WORKDIR"
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> bool:
    """Ask the kernel to kill this process when its parent exits. False when ``parent`` (the
    expected parent) is already gone, i.e. exited before the request could take effect."""
    if sys.platform != "linux":
        return True
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        return True  # not granted (a seccomp filter, say): no worse than without
    return parent is None or os.getppid() == parent


def dbt_path() -> str:
    """dbt from this interpreter's environment, else from PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def main() -> None:
    parent = os.environ.get(PARENT_PID)
    if not die_with_parent(int(parent) if parent else None):
        sys.exit("mms-dbt: the process that started dbt is gone; dbt was not started")
    workdir = os.environ.get(WORKDIR)
    if workdir:
        os.chdir(workdir)
    dbt = dbt_path()
    os.execv(dbt, [dbt, *sys.argv[1:]])


if __name__ == "__main__":
    main()
