"""The dbt resource of the warehouse assets (dagster_project/defs/warehouse/dbt.py): dagster-dbt's,
without the `dbt --version` process and the in-process adapter it would start before every build."""

import functools
import inspect
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from dagster_project.defs.warehouse.dbt import (
    StudyDbtCliResource,
    dbt_executable,
    dbt_project,
    dbt_resource,
)

ROOT = Path(__file__).resolve().parents[3]


def _recording_dbt(tmp_path):
    """A dbt executable that writes each command line it gets to a file, then runs dbt."""
    calls = tmp_path / "calls.txt"
    script = tmp_path / "dbt"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"os.execv({dbt_executable()!r}, [{dbt_executable()!r}, *sys.argv[1:]])\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, calls


def test_a_dbt_command_starts_one_dbt_process_not_a_version_probe_first(tmp_path):
    script, calls = _recording_dbt(tmp_path)
    resource = StudyDbtCliResource(project_dir=dbt_project(), dbt_executable=str(script))
    resource.cli(["--version"], target_path=tmp_path / "target").wait()
    assert calls.read_text().splitlines() == ["--version"]


def test_the_version_it_assumes_is_the_one_dbt_prints():
    printed = subprocess.run(
        [dbt_executable(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assumed = dbt_resource()._cli_version
    assert f"installed: {assumed}" in printed


def test_dagster_dbt_still_has_the_two_steps_it_replaces():
    """A dagster-dbt that renamed them would silently run both before every build again."""
    assert isinstance(
        inspect.getattr_static(DbtCliResource, "_cli_version"), functools.cached_property
    )
    source = inspect.getsource(DbtCliResource.cli)
    assert "self._cli_version" in source and "self._initialize_dbt_core_adapter(" in source


@pytest.fixture
def project_copy(tmp_path, monkeypatch, warehouse_env):
    """A copy of the dbt project, unparsed, that the definitions read (MMS_PROJECT_DIR)."""
    from dagster_project.defs.warehouse import dbt

    copy = tmp_path / "project"
    shutil.copytree(ROOT / "dbt", copy / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("MMS_PROJECT_DIR", str(copy))
    dbt.dbt_project.cache_clear()
    yield copy / "dbt"
    dbt.dbt_project.cache_clear()


def test_the_definitions_parse_a_changed_project_in_one_dbt_process(
    project_copy, tmp_path, monkeypatch
):
    """A first load of the definitions (a fresh clone, an edited model) parses the project: with
    dagster-dbt's own resource that was a `dbt --version` process and an adapter first (~2.5 s).
    The parse gives dbt the landing directory as builds do (a link beside the build file), so it
    names no machine's path (a deployment may make it once and ship it), and loading the
    definitions for another landing zone parses nothing."""
    from dagster_project.defs.warehouse import dbt

    script, calls = _recording_dbt(tmp_path)
    monkeypatch.setattr(dbt, "dbt_executable", lambda: str(script))
    project = dbt.dbt_project()
    (command,) = calls.read_text().splitlines()
    assert " parse " in f" {command} "
    manifest = json.loads(project.manifest_path.read_text(encoding="utf-8"))
    locations = [s["meta"]["external_location"] for s in manifest["sources"].values()]
    assert locations and all(loc.startswith("read_parquet('building/landing/") for loc in locations)
    monkeypatch.setenv("MMS_LANDING_DIR", str(tmp_path / "another-landing"))
    dbt.dbt_project.cache_clear()
    dbt.dbt_project()
    assert len(calls.read_text().splitlines()) == 1
    # a parse made when the definitions gave dbt the landing directory's own path is made again
    text = project.manifest_path.read_text(encoding="utf-8")
    project.manifest_path.write_text(
        text.replace("read_parquet('building/landing/", "read_parquet('/old/landing/")
    )
    assert not dbt._manifest_is_current(project)


def test_a_dbt_project_file_that_is_not_yaml_is_named_with_its_line(project_copy):
    from dagster_project.defs.warehouse import dbt

    project_file = project_copy / "dbt_project.yml"
    lines = project_file.read_text(encoding="utf-8").count("\n")
    with project_file.open("a", encoding="utf-8") as handle:
        handle.write("vars:\n  min_stars: [100\n")
    with pytest.raises(ValueError) as raised:
        dbt.dbt_project()
    message = str(raised.value)
    assert message.startswith(f"{project_file} is not valid YAML (line {lines + 3}, "), message
    assert "expected ',' or ']'" in message
