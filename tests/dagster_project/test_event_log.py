"""The instance's event log (dagster_project/event_log.py) on real instances made from the project's
dagster.yaml: Dagster's own files, opened once per process instead of once per event."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import dagster as dg
import psutil
import pytest
import yaml
from sqlalchemy import event
from sqlalchemy.engine import Engine

from base import settings
from dagster_project.event_log import MAX_OPEN_FILES, PooledSqliteEventLogStorage


@dg.asset
def raw_commits() -> int:
    return 3


@dg.asset
def commit_frame(raw_commits: int) -> int:
    return raw_commits * 2


@dg.asset
def commit_sample(commit_frame: int) -> int:
    return commit_frame - 1


@dg.asset_check(asset=commit_sample)
def sample_is_not_empty(commit_sample: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=commit_sample > 0)


ASSETS = [raw_commits, commit_frame, commit_sample, sample_is_not_empty]


def _home(tmp_path: Path, *, dagsters_own: bool = False) -> Path:
    config = yaml.safe_load(
        (settings.project_dir() / "dagster_home" / "dagster.yaml").read_text(encoding="utf-8")
    )
    if dagsters_own:
        config.pop("event_log_storage")
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return tmp_path


@pytest.fixture
def connections():
    """The files of the new SQLite connections any engine of this process opens during the test."""
    opened: list[Path] = []

    def count(dbapi_connection, _record):
        main = dbapi_connection.execute("pragma database_list").fetchone()
        opened.append(Path(main[2]))

    event.listen(Engine, "connect", count)
    yield opened
    event.remove(Engine, "connect", count)


def test_the_history_is_dagsters_own_files_in_the_instance_folder(tmp_path):
    """Runs written through the project's storage read the same through Dagster's own, and back:
    an instance's history does not depend on which of the two wrote it."""
    home = _home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        ours = dg.materialize(ASSETS, instance=instance).run_id
        written = len(instance.all_logs(ours))
    runs = home / "history" / "runs"  # where Dagster's own storage keeps them
    assert (runs / "index.db").is_file() and (runs / f"{ours}.db").is_file()

    _home(home, dagsters_own=True)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert len(instance.all_logs(ours)) == written
        assert instance.get_latest_materialization_event(dg.AssetKey("commit_sample"))
        theirs = dg.materialize(ASSETS, instance=instance).run_id

    _home(home)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert {r.run_id for r in instance.get_runs()} == {ours, theirs}
        latest = instance.get_latest_materialization_event(dg.AssetKey("commit_sample"))
        assert latest is not None and latest.run_id == theirs


def test_a_run_opens_each_file_once_not_once_per_event(tmp_path, connections):
    for dagsters_own in (True, False):
        home = _home(tmp_path / str(dagsters_own), dagsters_own=dagsters_own)
        with dg.DagsterInstance.from_config(str(home)) as instance:
            connections.clear()
            run_id = dg.materialize(ASSETS, instance=instance).run_id
            events = len(instance.all_logs(run_id))
        # the run storage (history/runs.db) is Dagster's own either way
        opened = [p for p in connections if p.parent == home / "history" / "runs"]
        if dagsters_own:  # the measure tells the two apart
            assert len(opened) > events > 30
        else:  # the run's file and the index, each at most twice (its set-up, then its engine)
            assert {p.name for p in opened} == {f"{run_id}.db", "index.db"}
            assert max(Counter(p.name for p in opened).values()) <= 2, opened


def test_an_instance_that_sees_many_runs_keeps_few_files_open(tmp_path):
    home = _home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [
            dg.materialize(ASSETS[:1], instance=instance).run_id for _ in range(MAX_OPEN_FILES + 4)
        ]
        runs_folder = home / "history" / "runs"
        held = {  # a file in WAL mode holds its -wal and -shm beside it
            Path(f.path).name.split(".")[0]
            for f in psutil.Process().open_files()
            if Path(f.path).parent == runs_folder
        }
        assert len(held) <= MAX_OPEN_FILES, held
        # A file closed to make room opens again when read.
        assert all(instance.all_logs(run_id) for run_id in runs)


def _materialize_in_child(home: str, results) -> None:
    with dg.DagsterInstance.from_config(home) as instance:
        results.put(dg.materialize(ASSETS, instance=instance).run_id)


def _materialize_forked(instance: dg.DagsterInstance, results) -> None:
    """With the parent's instance object, inherited through fork with its open connections: the
    child must not write through the parent's connection (SQLite's rule), so it gets its own."""
    storage = instance.event_log_storage
    inherited = next(iter(storage._engines.values()))
    run_id = dg.materialize(ASSETS, instance=instance).run_id
    own_engines = inherited not in storage._engines.values()
    storage.dispose()  # as a child's instance does when it closes; the parent writes on after it
    results.put((run_id, own_engines))


def test_a_forked_process_writes_through_connections_of_its_own(tmp_path):
    home = _home(tmp_path / "home")
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        first = dg.materialize(ASSETS, instance=instance).run_id
        for target, args in ((_materialize_forked, instance), (_materialize_in_child, str(home))):
            child = fork.Process(target=target, args=(args, results))
            child.start()
            child.join(timeout=120)
            assert child.exitcode == 0
        last = dg.materialize(ASSETS, instance=instance).run_id
        forked, own_engines = results.get(timeout=5)
        assert own_engines
        runs = [first, forked, results.get(timeout=5), last]
        assert len(set(runs)) == 4
        assert all(instance.get_run_by_id(r).status == dg.DagsterRunStatus.SUCCESS for r in runs)
        materialized = instance.fetch_materializations(dg.AssetKey("commit_sample"), limit=10)
        assert {r.run_id for r in materialized.records} == set(runs)
    for path in (home / "history" / "runs").glob("*.db"):
        with sqlite3.connect(path) as db:
            assert db.execute("pragma integrity_check").fetchone() == ("ok",), path


def test_wiping_the_instance_closes_the_deleted_files_and_records_again(tmp_path):
    home = _home(tmp_path / "home")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        dg.materialize(ASSETS, instance=instance)
        instance.wipe()
        assert not list(instance.get_runs())
        again = dg.materialize(ASSETS, instance=instance).run_id
        assert len(instance.all_logs(again)) > 30
        assert (home / "history" / "runs" / f"{again}.db").is_file()


def test_a_base_dir_in_the_config_puts_the_files_there(tmp_path):
    home = _home(tmp_path / "home")
    config = yaml.safe_load((home / "dagster.yaml").read_text(encoding="utf-8"))
    config["event_log_storage"]["config"] = {"base_dir": str(tmp_path / "elsewhere")}
    (home / "dagster.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        run_id = dg.materialize(ASSETS, instance=instance).run_id
    assert (tmp_path / "elsewhere" / f"{run_id}.db").is_file()
    assert not (home / "history" / "runs" / f"{run_id}.db").exists()
    shutil.rmtree(tmp_path / "elsewhere")
