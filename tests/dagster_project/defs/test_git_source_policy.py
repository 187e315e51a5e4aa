"""What the git sources lack is a setting (MMS_GIT_MISSING_OBJECTS), so runs that a sensor or a
schedule launches (no run config) mine snapshots that lack blobs; found by the dry run on real
repositories, where 21 of 36 snapshots lack some blob of 4 MiB or more."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

import landing
from dagster_project.defs.git.assets import git_history
from dagster_project.defs.git.resources import git_source_resource
from dagster_project.defs.landing.resources import landing_resource
from dagster_project.defs.partitions import repository_partitions

REPO_ID = "acme/snapshot"


def _git(cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="Ada", GIT_AUTHOR_EMAIL="ada@example.org", GIT_COMMITTER_NAME="Ada",
        GIT_COMMITTER_EMAIL="ada@example.org", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd),
    )  # fmt: skip
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _snapshot_lacking_a_blob(path: Path) -> str:
    """A repository whose second commit adds a file whose blob is gone, as in archived snapshots
    that leave out files of 4 MiB or more; returns that commit."""
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    (path / "keep.txt").write_text("k\n")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "first")
    (path / "weights.bin").write_text("a large model file\n")
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "adds the model")
    broken = _git(path, "rev-parse", "HEAD")
    blob = _git(path, "rev-parse", "HEAD:weights.bin")
    (path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    return broken


def _run_as_a_sensor_would(tmp_path: Path):
    """A partition run without run config, resources from the environment."""
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(repository_partitions.name, [REPO_ID])
    return dg.materialize(
        [git_history],
        partition_key=REPO_ID,
        instance=instance,
        resources={"git": git_source_resource(), "landing_zone": landing_resource()},
        raise_on_error=False,
    )


def test_runs_without_config_follow_the_sources_missing_objects_setting(
    tmp_path, warehouse_env, monkeypatch
):
    broken = _snapshot_lacking_a_blob(tmp_path / "sources" / "acme__snapshot")
    # A local path: git's file:// transport refuses to clone a repository that lacks objects.
    monkeypatch.setenv("MMS_GIT_URL_TEMPLATE", f"{tmp_path}/sources/{{slug}}")
    landing.ensure_landing(warehouse_env["MMS_LANDING_DIR"])

    monkeypatch.delenv("MMS_GIT_MISSING_OBJECTS", raising=False)
    failed = _run_as_a_sensor_would(tmp_path)
    assert not failed.success
    [failure] = [e for e in failed.all_events if e.is_step_failure]
    assert broken in failure.step_failure_data.error.message

    monkeypatch.setenv("MMS_GIT_MISSING_OBJECTS", "record")
    mined = _run_as_a_sensor_would(tmp_path)
    assert mined.success
    extraction = landing.read_partition(
        warehouse_env["MMS_LANDING_DIR"], "git/extractions", REPO_ID
    ).to_pylist()[0]
    assert extraction["undiffable_commits"] == [broken] and extraction["commits"] == 2


def test_a_bad_missing_objects_setting_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MMS_GIT_MISSING_OBJECTS", "ignore")
    with pytest.raises(ValueError, match=r"MMS_GIT_MISSING_OBJECTS='ignore' must be one of"):
        git_source_resource()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mms-extract"), "--landing-dir", str(tmp_path),
         "git", "mine", REPO_ID, "--source", str(tmp_path)],
        capture_output=True, text=True, env={**os.environ, "MMS_GIT_MISSING_OBJECTS": "ignore"},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: MMS_GIT_MISSING_OBJECTS='ignore' must be one of fail, record"
    ]
