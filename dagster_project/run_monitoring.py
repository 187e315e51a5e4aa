"""Dead runs are failed within minutes, whoever launched them.

Dagster's run monitoring (``run_monitoring`` in ``dagster.yaml``, run by the daemon) asks the run
launcher whether each STARTED run's worker is alive, and fails the run when it is not. The
``DefaultRunLauncher`` cannot answer (``supports_check_run_worker_health`` is False), so monitoring
only enforced ``max_runtime``: a run killed with -9 under ``dagster job execute`` stayed STARTED for
hours. (A run the code server launched is failed by the code server when its process dies, but
only that kind.)

:class:`LocalRunLauncher` is the default launcher plus that answer: the process that started the
run (the pid of its RUN_START event; the run worker of a launched run, the ``dagster job execute``
or ``execute_in_process`` process otherwise) is alive, and is the same process (started before
the event: a pid reused by a later process does not count). The answer needs the process to be on
this machine: it is given for runs of an instance whose run storage is SQLite (one machine by
construction), or tagged with this host (``mms/host``); any other run is left to ``max_runtime``.
"""

from __future__ import annotations

import socket

import dagster as dg
import psutil
from dagster._core.events import DagsterEventType
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage

#: run tag naming the machine whose process started the run (set by `make run`)
HOST_TAG = "mms/host"
#: create_time is derived from clock ticks since boot; allow for its rounding
_CLOCK_SLACK_SECONDS = 2.0


def _process_on_this_machine(instance: dg.DagsterInstance, run: dg.DagsterRun) -> bool:
    host = run.tags.get(HOST_TAG)
    if host is not None:
        return host == socket.gethostname()
    return isinstance(instance.run_storage, SqliteRunStorage)


def _alive_since(pid: int, started_by: float) -> bool:
    """The process ``pid`` exists, is not a zombie and was created by ``started_by``."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return process.create_time() <= started_by + _CLOCK_SLACK_SECONDS
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # another user's process: it exists
        return True


def dead_run_reason(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str | None:
    """Why a STARTED run is dead (its process is gone), or None: alive, or not knowable here."""
    if not _process_on_this_machine(instance, run):
        return None
    starts = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_START)
    event = starts[-1].dagster_event if starts else None
    pid = event.pid if event is not None else None
    if pid is None:
        return None
    if _alive_since(pid, starts[-1].timestamp):
        return None
    return f"the process that ran it (pid {pid} on {socket.gethostname()}) is gone"


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail every STARTED run whose process is gone, now (what run monitoring does at its next
    poll); returns their run ids."""
    failed = []
    records = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    for record in records:
        reason = dead_run_reason(instance, record.dagster_run)
        if reason is None:
            continue
        instance.report_run_failed(record.dagster_run, f"Marked failed: {reason}.")
        instance.event_log_storage.free_concurrency_slots_for_run(record.dagster_run.run_id)
        failed.append(record.dagster_run.run_id)
    return failed


class LocalRunLauncher(dg.DefaultRunLauncher):
    """The default run launcher, able to tell run monitoring that a run's process is gone."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        reason = dead_run_reason(self._instance, run)
        if reason is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.NOT_FOUND, reason)
