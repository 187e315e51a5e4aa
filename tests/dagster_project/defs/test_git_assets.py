"""Real Dagster materializations of the git assets on repositories built by the test, then dbt."""

import re
import subprocess
import sys

import dagster as dg
import duckdb
import pyarrow as pa
import pytest

import landing
from dagster_project.defs.git.assets import git_history
from dagster_project.defs.git.resources import GitSourceResource
from dagster_project.defs.landing.resources import landing_resource
from dagster_project.defs.partitions import repository_partitions
from dagster_project.defs.warehouse.dbt import (
    StudyDbtCliResource,
    dbt_project,
    dbt_resource,
    warehouse_dbt_assets,
)
from dagster_project.defs.warehouse.resources import published_warehouse_resource
from demo.git_repos import SAMPLE_REPOS, build_sample_repos
from extract.git.options import Engine, MissingObjects
from warehouse.dbt_child import dbt_path
from warehouse.files import WarehouseFiles
from warehouse.publish import publication_status, read_records


def _git_truth(git_dir):
    out = subprocess.run(
        [
            "git",
            "-C",
            str(git_dir),
            "log",
            "--format=%H",
            "--numstat",
            "--diff-merges=first-parent",
            "-M",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commits, files = 0, 0
    for line in out.splitlines():
        if len(line) == 40 and "\t" not in line:
            commits += 1
        elif "\t" in line:
            files += 1
    return commits, files


@pytest.mark.slow
def test_git_history_partitions_land_and_dbt_staging_reads_them(tmp_path, warehouse_env):
    repos = build_sample_repos(tmp_path / "remotes")
    landing.ensure_landing(warehouse_env["MMS_LANDING_DIR"])
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(repository_partitions.name, list(repos))
    resources = {
        "git": GitSourceResource(
            url_template=f"file://{tmp_path}/remotes/{{slug}}.git",
            mirror_dir=str(warehouse_env["MMS_MIRROR_DIR"]),
        ),
        "dbt": dbt_resource(),
        "duckdb": published_warehouse_resource(),
        "landing_zone": landing_resource(),
    }
    for repo_id in repos:
        result = dg.materialize(
            [git_history], partition_key=repo_id, instance=instance, resources=resources
        )
        assert result.success
        checks = result.get_asset_check_evaluations()
        assert [c.passed for c in checks] == [True]

    # Refreshing an unchanged repository mines nothing and keeps the rows.
    again = dg.materialize(
        [git_history], partition_key=SAMPLE_REPOS[0].repo_id, instance=instance, resources=resources
    )
    [commits_event] = [
        m
        for m in again.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey(["git", "commits"])
    ]
    assert commits_event.materialization.metadata["mode"].value == "unchanged"
    # An option that changes rows, set in the launch form, re-mines the repository.
    copies = dg.materialize(
        [git_history],
        partition_key=SAMPLE_REPOS[0].repo_id,
        instance=instance,
        resources=resources,
        run_config=dg.RunConfig({"git_history": {"config": {"detect_copies": True}}}),
    )
    [event] = [
        m
        for m in copies.get_asset_materialization_events()
        if m.asset_key == dg.AssetKey(["git", "commits"])
    ]
    metadata = event.materialization.metadata
    assert (metadata["mode"].value, metadata["detect_copies"].value) == ("full", True)
    assert [c.passed for c in copies.get_asset_check_evaluations()] == [True]

    built = dg.materialize(
        [warehouse_dbt_assets()],
        selection=dg.AssetSelection.groups("staging_git"),
        instance=instance,
        resources=resources,
    )
    assert built.success
    dbt_checks = built.get_asset_check_evaluations()
    assert dbt_checks and all(c.passed for c in dbt_checks)

    with duckdb.connect(str(warehouse_env["MMS_DUCKDB_PATH"]), read_only=True) as con:
        for repo_id, git_dir in repos.items():
            commits, files = _git_truth(git_dir)
            landed = con.execute(
                "select count(*), sum(files_modified) from stg_git__commits where repo_id = ?",
                [repo_id],
            ).fetchone()
            assert landed == (commits, files)
            assert con.execute(
                "select count(*) from stg_git__modified_files where repo_id = ?", [repo_id]
            ).fetchone() == (files,)
        empty = con.execute(
            "select count(*) from stg_git__commits where has_empty_message"
        ).fetchone()[0]
        assert empty > 0
    files = WarehouseFiles(warehouse_env["MMS_DUCKDB_PATH"])
    target = files.dbt_target
    # dbt's saved parse for the next build, not the JSON artefacts nothing reads
    assert (target / "partial_parse.msgpack").exists()
    assert not (target / "manifest.json").exists() and not (target / "run_results.json").exists()

    # Plain dbt (no mms-dbt beside the interpreter) stays in the project folder, where the build
    # file's and the landing link's relative paths would point elsewhere: it gets them absolute,
    # and the build it publishes is the one it wrote.
    published = [r.build_id for r in read_records(files) if r.status == "published"]
    shipped, calls = dbt_resource(), tmp_path / "dbt-calls.txt"
    plain = StudyDbtCliResource(
        project_dir=shipped.project_dir,
        profiles_dir=shipped.profiles_dir,
        dbt_executable=_plain_dbt(tmp_path / "bin" / "dbt", calls),
    )
    rebuilt = dg.materialize(
        [warehouse_dbt_assets()],
        selection=dg.AssetSelection.groups("staging_git"),
        instance=instance,
        resources={**resources, "dbt": plain},
    )
    assert rebuilt.success
    records = read_records(files)
    assert records[-1].status == "published" and records[-1].build_id not in published
    with duckdb.connect(str(warehouse_env["MMS_DUCKDB_PATH"]), read_only=True) as con:
        assert con.execute("select count(*) from stg_git__commits").fetchone()[0] == sum(
            _git_truth(git_dir)[0] for git_dir in repos.values()
        )
    assert calls.read_text(encoding="utf-8").splitlines() == [f"build in {shipped.project_dir}"]
    project = dbt_project().project_dir
    assert not (project / "building").exists() and not list(project.glob("*.duckdb"))

    # A build that fails a data test says which, from dbt's error lines (there is no
    # run_results.json to read), in the build's record and so in `mms-warehouse status`.
    _land_a_duplicate_commit(warehouse_env["MMS_LANDING_DIR"], SAMPLE_REPOS[0].repo_id)
    failed = dg.materialize(
        [warehouse_dbt_assets()],
        selection=dg.AssetSelection.groups("staging_git"),
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not failed.success
    reason = publication_status(WarehouseFiles(warehouse_env["MMS_DUCKDB_PATH"])).last_failed.reason
    assert re.fullmatch(r"\d+ dbt node\(s\) failed: .*", reason), reason
    assert "unique_stg_git__commits_commit_key" in reason, reason


def _plain_dbt(path, calls) -> str:
    """A dbt executable named ``dbt`` that records its command and working folder, then is dbt:
    what the definitions fall back to where no ``mms-dbt`` is installed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        f"open({str(calls)!r}, 'a').write(f'{{sys.argv[1]}} in {{os.getcwd()}}\\n')\n"
        f"os.execv({dbt_path()!r}, [{dbt_path()!r}, *sys.argv[1:]])\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return str(path)


def _land_a_duplicate_commit(root, repo_id: str) -> None:
    """A new generation of the repository's git tables whose first commit is there twice."""
    commits = landing.read_partition(root, "git/commits", repo_id)
    files = landing.read_partition(root, "git/modified_files", repo_id)
    row = landing.read_partition(root, "git/extractions", repo_id).to_pylist()[0]
    row.pop("generation", None)
    row.pop("landed_files", None)
    landing.commit_repository(
        root,
        "git/extractions",
        repo_id,
        row,
        {"git/commits": pa.concat_tables([commits, commits.slice(0, 1)]),
         "git/modified_files": files},
    )  # fmt: skip


def test_mining_options_show_in_the_launch_form_with_their_choices():
    fields = git_history.op.config_schema.config_type.fields
    assert set(fields) == {"full_refresh", "engine", "detect_copies", "missing_objects", "jobs"}
    assert all(field.description for field in fields.values())
    choices = {
        name: [value.config_value for value in fields[name].config_type.enum_values]
        for name in ("engine", "missing_objects")
    }
    # "source": the git source's policy (MMS_GIT_MISSING_OBJECTS), what sensor-launched runs use.
    assert choices == {"engine": list(Engine), "missing_objects": ["source", *MissingObjects]}
    assert fields["missing_objects"].default_value == "source"
    assert (fields["engine"].default_value, fields["detect_copies"].default_value) == (
        "git-log",
        False,
    )
    # one git process per run: the run queue mines several repositories at once (git-mining.md)
    assert fields["jobs"].default_value == 1


def test_commit_diffs_are_an_opt_in_partition_after_mining(tmp_path, warehouse_env):
    from dagster_project.defs.git.assets import COMMIT_DIFFS, git_commit_diffs
    from dagster_project.defs.refresh.jobs import REPOSITORY_ASSETS
    from extract.git.diffs import TABLE

    repos = build_sample_repos(tmp_path / "remotes")
    repo_id = SAMPLE_REPOS[0].repo_id
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(repository_partitions.name, [repo_id])
    resources = {
        "git": GitSourceResource(
            url_template=f"file://{tmp_path}/remotes/{{slug}}.git",
            mirror_dir=str(warehouse_env["MMS_MIRROR_DIR"]),
        ),
        "landing_zone": landing_resource(),
    }
    assert repos
    mined = dg.materialize(
        [git_history], partition_key=repo_id, instance=instance, resources=resources
    )
    assert mined.success
    result = dg.materialize(
        [git_commit_diffs], partition_key=repo_id, instance=instance, resources=resources
    )
    assert result.success
    [event] = result.get_asset_materialization_events()
    rows = landing.read_partition(warehouse_env["MMS_LANDING_DIR"], TABLE, repo_id)
    assert rows.num_rows == event.materialization.metadata["dagster/row_count"].value > 0
    # the refresh cycle mines repositories without it
    assert dg.AssetKey(["git", "commits"]) in REPOSITORY_ASSETS.selected_keys
    assert COMMIT_DIFFS not in REPOSITORY_ASSETS.selected_keys
