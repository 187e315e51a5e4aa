"""Dead runs are failed within minutes whoever launched them, and a killed run's children die with
it: real processes, a real Dagster daemon, a real `dagster job execute` killed with -9."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.events.log import EventLogEntry

from base import settings
from dagster_project.run_monitoring import HOST_TAG, dead_run_reason, fail_dead_runs
from demo.study_data import Scale, generate
from tests.patience import patience

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def _started_run(instance, pid: int | None, *, started_at: float, tags=None) -> str:
    """A run STARTED by the process ``pid`` at ``started_at``, as its RUN_START event says."""
    job = dg.define_asset_job("j", selection="*").resolve(
        asset_graph=dg.Definitions(assets=[dg.asset(lambda: None, name="a")]).resolve_asset_graph()
    )
    run = instance.create_run_for_job(job, tags=tags or {})
    event = DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name, pid=pid)
    instance.handle_new_event(
        EventLogEntry(
            error_info=None,
            level=logging.DEBUG,
            user_message="started",
            run_id=run.run_id,
            timestamp=started_at,
            dagster_event=event,
        )
    )
    return run.run_id


def test_a_run_is_dead_when_the_process_that_started_it_is_gone_whoever_it_was(tmp_path):
    """No tag needed (`make run` used to fail only runs it had tagged itself): the RUN_START
    event's process decides. A pid reused by a later process is no sign of life; a run of
    another machine, or one whose process is unknown, is left to max_runtime."""
    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    now = time.time()
    later_process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        runs = {
            "exited": _started_run(instance, exited.pid, started_at=now),
            "alive": _started_run(instance, os.getpid(), started_at=now),
            "pid reused": _started_run(instance, later_process.pid, started_at=now - 60),
            "unknown": _started_run(instance, None, started_at=now),
            "elsewhere": _started_run(
                instance, exited.pid, started_at=now, tags={HOST_TAG: "another-machine"}
            ),
        }
        failed = fail_dead_runs(instance)
    finally:
        later_process.kill()
        later_process.wait()
    assert sorted(failed) == sorted([runs["exited"], runs["pid reused"]])
    for name, run_id in runs.items():
        status = instance.get_run_by_id(run_id).status
        expected = "FAILURE" if run_id in failed else "STARTED"
        assert status.value == expected, name
    alive = instance.get_run_by_id(runs["alive"])
    assert dead_run_reason(instance, alive) is None
    messages = [e.message for e in instance.all_logs(runs["exited"])]
    assert any(
        f"the process that ran it (pid {exited.pid} on {socket.gethostname()}) is gone" in (m or "")
        for m in messages
    )


def _dagster_home(tmp: Path, poll_seconds: int) -> Path:
    """The project's dagster.yaml, polling faster so the test does not wait a minute."""
    home = tmp / "dagster_home"
    home.mkdir()
    text = (settings.project_dir() / "dagster_home" / "dagster.yaml").read_text()
    assert "poll_interval_seconds: 60" in text
    (home / "dagster.yaml").write_text(
        text.replace("poll_interval_seconds: 60", f"poll_interval_seconds: {poll_seconds}")
    )
    return home


def _runs(home: Path) -> dict[str, dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return {r.run_id: r for r in instance.get_runs()}


def _wait(
    condition,
    what: str,
    process: subprocess.Popen | None = None,
    seconds: float = 600,
    log: Path | None = None,
):
    """Poll until ``condition()`` is truthy; the deadline is only there so a broken run ends."""
    deadline = time.monotonic() + patience(seconds)
    while not (value := condition()):
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:] if log else ""
            raise AssertionError(f"{what}: the process ended ({process.returncode})\n{tail}")
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(1)
    return value


@pytest.mark.slow
def test_the_daemon_fails_a_run_killed_under_dagster_job_execute(tmp_path):
    """The issue's case: a run executed by `dagster job execute`, killed with -9, stayed STARTED
    until its max_runtime. With the project's dagster.yaml the daemon's run monitoring fails it at
    its next poll, and leaves the live run beside it alone."""
    home = _dagster_home(tmp_path, poll_seconds=2)
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    env.pop("DAGSTER_IS_DEV_CLI", None)
    job_file = str(HERE / "sleeping_job.py")
    # The storage exists before three processes open it at once: racing to create the SQLite
    # schema of a fresh home can end the daemon.
    _runs(home)
    daemon_log = tmp_path / "daemon.log"
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-f", job_file],
        env=env,
        stdout=daemon_log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    executions = [
        subprocess.Popen(
            [str(BIN / "dagster"), "job", "execute", "-f", job_file, "-j", "sleeping"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:
        started = _wait(
            lambda: (
                len(r := [x for x in _runs(home).values() if x.status.value == "STARTED"]) == 2
                and r
            ),
            "two STARTED runs",
        )
        by_pid = {}
        with dg.DagsterInstance.from_config(str(home)) as instance:
            for run in started:
                start = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_START)[-1]
                by_pid[start.dagster_event.pid] = run.run_id
        killed, alive = executions
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        _wait(
            lambda: _runs(home)[by_pid[killed.pid]].status.value == "FAILURE",
            "the killed run failed by the daemon",
            daemon,
            log=daemon_log,
        )
        assert _runs(home)[by_pid[alive.pid]].status.value == "STARTED"
        with dg.DagsterInstance.from_config(str(home)) as instance:
            messages = [e.message or "" for e in instance.all_logs(by_pid[killed.pid])]
        assert any(f"the process that ran it (pid {killed.pid}" in m for m in messages), messages
    finally:
        for process in (*executions, daemon):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _dbt_build(processes: list[psutil.Process]) -> psutil.Process | None:
    for process in processes:
        try:
            command = process.cmdline()
        except psutil.Error:
            continue
        if any(Path(part).name == "dbt" for part in command[:2]) and "build" in command:
            return process
    return None


@pytest.fixture(scope="module")
def first_build(tmp_path_factory) -> Path:
    """A generated landing zone and its first published build (of a few models: the killed run
    must leave it as it was, whatever it holds), shared by the tests as copies."""
    root = tmp_path_factory.mktemp("first-build")
    tiny = Scale(
        selected_projects=3, excluded_by_inspection=1, failing_candidates=2, commits=400, issues=150
    )
    generate(root / "landing", tiny, seed=3)
    env = {**os.environ, "MMS_LANDING_DIR": str(root / "landing"),
           "MMS_DUCKDB_PATH": str(root / "warehouse.duckdb")}  # fmt: skip
    first = subprocess.run(
        [str(BIN / "mms-warehouse"), "build", "--indirect-selection", "cautious"]
        + ["--select", "+selected_projects", "build_info"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return root


def _published_warehouse(first_build: Path, tmp_path: Path) -> tuple[dict[str, str], str]:
    """A copy of the first build's landing zone, published warehouse and builds log: the
    environment, the build id."""
    shutil.copytree(first_build / "landing", tmp_path / "landing")
    shutil.copy(first_build / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    shutil.copytree(first_build / "warehouse.duckdb.builds", tmp_path / "warehouse.duckdb.builds")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(_dagster_home(tmp_path, poll_seconds=60)),
        "MMS_LANDING_DIR": str(tmp_path / "landing"),
        "MMS_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "MMS_REPORTS_DIR": str(tmp_path / "reports"),
    }
    env.pop("DAGSTER_IS_DEV_CLI", None)
    return env, _published_build(tmp_path)


def _published_build(tmp_path: Path) -> str:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select build_id from build_info").fetchone()[0]


@pytest.mark.slow
@pytest.mark.parametrize("steps", ["in the run's process", "a process per step"])
def test_a_killed_build_run_takes_its_step_and_dbt_with_it(first_build, tmp_path, steps):
    """kill -9 of the process running the warehouse job (`dagster job execute`) while dbt builds:
    the step (in that process by default, or the multiprocess executor's child when the run config
    asks for one) and the step's dbt die with it at once, instead of building on, publishing for a
    run that is over, and hanging (as they did)."""
    env, published = _published_warehouse(first_build, tmp_path)
    config = tmp_path / "run_config.yaml"
    config.write_text("execution: {config: {multiprocess: {}}}\n", encoding="utf-8")
    separate = steps == "a process per step"
    run = subprocess.Popen(
        [str(BIN / "dagster"), "job", "execute", "-m", "dagster_project.definitions"]
        + ["-j", "build_warehouse"]
        + (["-c", str(config)] if separate else []),
        cwd=settings.project_dir(),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        dbt = _wait(lambda: _dbt_build(_descendants(run.pid)), "dbt build under the run", run)
        children = _descendants(run.pid)
        step = dbt.parent()
        assert step is not None and (step.pid != run.pid) == separate
        assert step.pid == run.pid or step in children
        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        _, still = psutil.wait_procs([step, dbt] if separate else [dbt], timeout=patience(60))
        assert still == [], [p.cmdline() for p in still]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
    assert _published_build(tmp_path) == published


@pytest.fixture(autouse=True)
def _no_leftover_processes():
    """A test that fails half-way must not leave its daemon or runs behind for the next one."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    yield
    for process in psutil.Process().children(recursive=True):
        if process.pid not in before:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
