"""The selection sensor keeps the repository partitions equal to the selection; the schedules ask
for one incremental run per repository."""

import subprocess
import sys
from datetime import UTC, datetime

import dagster as dg
import duckdb

from dagster_project.defs.git.resources import GitSourceResource
from dagster_project.defs.github.resources import GitHubResource
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.partitions import repository_partitions
from dagster_project.defs.refresh.schedules import daily_repository_refresh
from dagster_project.defs.refresh.sensors import repository_partitions_from_selection
from dagster_project.defs.warehouse.resources import PublishedWarehouseResource


def _warehouse_with_selection(path, repo_ids):
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table selected_projects (repo_id varchar)")
        con.executemany("insert into selected_projects values (?)", [[r] for r in repo_ids])


def _evaluate(instance, path):
    context = dg.build_sensor_context(
        instance=instance, resources={"duckdb": PublishedWarehouseResource(database=str(path))}
    )
    return repository_partitions_from_selection(context)


def test_sensor_adds_new_selected_projects_and_removes_dropped_ones(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(repository_partitions.name, ["a/kept", "a/dropped"])
    _warehouse_with_selection(warehouse, ["a/kept", "b/new", "c/new"])

    result = _evaluate(instance, warehouse)

    [added, removed] = result.dynamic_partitions_requests
    assert isinstance(added, dg.AddDynamicPartitionsRequest)
    assert sorted(added.partition_keys) == ["b/new", "c/new"]
    assert isinstance(removed, dg.DeleteDynamicPartitionsRequest)
    assert list(removed.partition_keys) == ["a/dropped"]
    assert sorted(r.partition_key for r in result.run_requests) == ["b/new", "c/new"]


def test_sensor_skips_when_partitions_match_or_the_warehouse_is_not_built(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    not_built = _evaluate(instance, warehouse)
    assert isinstance(not_built, dg.SkipReason)
    assert (
        not_built.skip_message == f"warehouse {warehouse} does not exist: build it first (make run)"
    )
    assert not warehouse.exists()  # the sensor never creates an empty warehouse
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table build_info (build_id varchar)")
    before_selection = _evaluate(instance, warehouse)
    assert (
        before_selection.skip_message == f"warehouse {warehouse} has no selected_projects table yet"
    )
    _warehouse_with_selection(warehouse, ["a/b"])
    instance.add_dynamic_partitions(repository_partitions.name, ["a/b"])
    assert isinstance(_evaluate(instance, warehouse), dg.SkipReason)


def test_sensor_skips_and_says_why_while_a_process_holds_the_warehouse_for_writing(tmp_path):
    """No build opens the published file for writing (they publish a new one); a person who opens it
    with a writing DuckDB by hand holds DuckDB's file lock, and the sensor skips saying so."""
    warehouse = tmp_path / "warehouse.duckdb"
    _warehouse_with_selection(warehouse, ["a/b"])
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); "
            "time.sleep(600)",  # far longer than a skip takes: the sensor must not wait it out
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        result = _evaluate(dg.DagsterInstance.ephemeral(), warehouse)
        assert isinstance(result, dg.SkipReason)
        assert result.skip_message.startswith(f"warehouse {warehouse} cannot be opened read-only: ")
        assert writer.poll() is None  # a skip while the writer still writes, not a wait for it
    finally:
        writer.kill()


def test_daily_refresh_requests_one_run_per_repository_never_mined(tmp_path):
    instance = dg.DagsterInstance.local_temp(str(tmp_path))
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 11, 26, 3, tzinfo=UTC),
        resources={
            "git": GitSourceResource(mirror_dir=str(tmp_path / "mirrors")),
            "github": GitHubResource(),
            "landing_zone": LandingResource(root=str(tmp_path / "landing")),
        },
    )
    assert isinstance(daily_repository_refresh(context), dg.SkipReason)
    instance.add_dynamic_partitions(repository_partitions.name, ["a/b", "c/d"])
    requests = daily_repository_refresh(context)
    assert sorted((r.partition_key, r.run_key) for r in requests) == [
        ("a/b", "2026-11-26:a/b"),
        ("c/d", "2026-11-26:c/d"),
    ]
