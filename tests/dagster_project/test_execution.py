"""A run's steps execute in the run's own process unless its run config asks for a process per
step; the dbt environment of a build is set and put back key by key."""

import multiprocessing
import os
import threading
from pathlib import Path

import pytest

from dagster_project.defs.warehouse.dbt import environment

MULTIPROCESS = {"execution": {"config": {"multiprocess": {}}}}


HERE = Path(__file__).resolve().parent


def _run_in_a_run_worker(run_config=None) -> tuple[int, dict]:
    """Runs ``steps_job.two_steps`` in a process started by multiprocessing (spawn), as the code
    server starts a run worker; returns (run process, the second step's report)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.syspath_prepend(str(HERE))  # the spawned process imports steps_job from here
        import steps_job

        context = multiprocessing.get_context("spawn")
        answers = context.Queue()
        worker = context.Process(target=steps_job.run_and_report, args=(run_config, answers))
        worker.start()
        worker.join()
    assert worker.exitcode == 0
    run_process, report = answers.get(timeout=5)
    assert report, "the run failed"
    return run_process, report


@pytest.fixture(scope="module")
def default_run() -> tuple[int, dict]:
    """One run with the job's default executor, for the tests that read it: a spawned process
    loads Dagster, ~4 s each."""
    return _run_in_a_run_worker()


def test_steps_run_in_the_run_process_by_default_and_apart_when_asked(default_run):
    run_process, steps = default_run
    assert steps["first"] == steps["second"] == run_process
    run_process, steps = _run_in_a_run_worker(MULTIPROCESS)
    assert len({run_process, steps["first"], steps["second"]}) == 3


def test_a_step_in_the_run_process_is_not_tied_to_the_code_server(default_run):
    """The run worker's parent is the code server: a build in the worker must not die with it
    (the parent-death request is for a step's own process, the multiprocess executor's child)."""
    _, steps = default_run
    assert steps["signal"] == 0


def test_every_project_job_runs_its_steps_in_the_run_process():
    from dagster_project.definitions import defs

    jobs = [job for job in defs().resolve_all_job_defs() if not job.name.startswith("__")]
    assert jobs and {job.executor_def.name for job in jobs} == {"local"}


def test_the_dbt_environment_is_put_back_key_by_key(monkeypatch):
    """Other threads of the run's process see the environment whole throughout, and a variable
    one of them sets meanwhile survives the build."""
    monkeypatch.setenv("MMS_DBT_BUILD_PATH", "before")
    monkeypatch.delenv("MMS_SET_MEANWHILE", raising=False)
    seen_empty = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if "PATH" not in os.environ:
                seen_empty.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(200):
            with environment({"MMS_DBT_BUILD_PATH": "build", "MMS_ONLY_FOR_DBT": "x"}):
                assert os.environ["MMS_DBT_BUILD_PATH"] == "build"
                os.environ["MMS_SET_MEANWHILE"] = "kept"
    finally:
        stop.set()
        watcher.join()
    assert os.environ["MMS_DBT_BUILD_PATH"] == "before"
    assert "MMS_ONLY_FOR_DBT" not in os.environ
    assert os.environ.pop("MMS_SET_MEANWHILE") == "kept"
    assert not seen_empty.is_set()
