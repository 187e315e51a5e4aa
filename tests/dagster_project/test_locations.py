"""The two code locations of workspace.yaml (dagster_project/definitions.py): together the whole
project, each definition in one of them, joined by asset key. (That the repositories location
loads no dbt is in test_definitions.py, with what the definitions leave unloaded.)"""

from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _contents(definitions: dg.Definitions) -> dict[str, set]:
    graph = definitions.resolve_asset_graph()
    return {
        "assets": set(graph.materializable_asset_keys),
        "checks": set(graph.asset_check_keys),
        "jobs": {job.name for job in definitions.resolve_all_job_defs()} - {"__ASSET_JOB"},
        "schedules": {schedule.name for schedule in definitions.schedules or ()},
        "sensors": {sensor.name for sensor in definitions.sensors or ()},
        "resources": set(definitions.resources or {}),
    }


def test_the_two_locations_hold_the_whole_project_each_definition_once():
    from dagster_project.definitions import defs, repositories_location, study_location

    whole, theirs, ours = (
        _contents(defs()),
        _contents(repositories_location()),
        _contents(study_location()),
    )
    for kind in ("assets", "checks", "jobs", "schedules", "sensors"):
        assert not theirs[kind] & ours[kind], kind
        assert theirs[kind] | ours[kind] == whole[kind], kind
    assert {key.to_user_string() for key in theirs["assets"]} == {
        "git/commits",
        "git/modified_files",
        "git/extractions",
        "git/commit_diffs",
        "github/closed_issues",
        "github/issue_crawls",
    }
    assert theirs["jobs"] == {"refresh_repository"}
    assert theirs["schedules"] == {"daily_repository_refresh"}
    assert theirs["sensors"] == {"repository_partitions_from_selection"}
    # Every resource the repositories' assets, schedule and sensor ask for, and no dbt.
    assert theirs["resources"] == {"git", "github", "duckdb", "landing_zone"}
    assert ours["resources"] == whole["resources"]


@pytest.mark.slow
def test_workspace_yaml_joins_the_locations_into_one_asset_graph(tmp_path, monkeypatch):
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    monkeypatch.chdir(ROOT)
    with (
        dg.instance_for_test(temp_dir=str(tmp_path)) as instance,
        WorkspaceProcessContext(
            instance, WorkspaceFileTarget([str(ROOT / "workspace.yaml")])
        ) as ctx,
    ):
        workspace = ctx.create_request_context()
        entries = workspace.get_code_location_entries()
        assert sorted(entries) == ["repositories", "study"]
        for name, entry in entries.items():
            assert entry.load_error is None, f"{name}: {entry.load_error}"
        graph = workspace.asset_graph
        commits = graph.get(dg.AssetKey(["git", "commits"]))
        # The repositories location's asset, materializable, feeding the study's dbt staging.
        assert commits.is_materializable and commits.partitions_def is not None
        assert dg.AssetKey("stg_git__commits") in commits.child_keys
        issues = graph.get(dg.AssetKey(["github", "closed_issues"]))
        assert issues.is_materializable
        assert dg.AssetKey("stg_github__issues") in issues.child_keys
        # The warehouse's automation waits on the repository assets across the locations.
        staging = graph.get(dg.AssetKey("stg_git__commits"))
        assert staging.automation_condition is not None
        assert dg.AssetKey(["git", "commits"]) in staging.parent_keys
