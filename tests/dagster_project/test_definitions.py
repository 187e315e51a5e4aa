"""The one Definitions object: loads from the defs folder, with no work at import time."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_definitions_load_with_dbt_models_their_tests_as_checks_and_automation():
    from dagster_project.definitions import defs

    definitions = defs()
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "stg_git__commits",
        "stg_git__modified_files",
        "git/commits",
        "github/issue_links",
    } <= keys
    check_names = {check.name for check in graph.asset_check_keys}
    assert any(name.startswith("unique_stg_git__commits_commit_key") for name in check_names)
    # The warehouse builds when its inputs are fresh, not on a clock that guesses.
    assert graph.get(dg.AssetKey("activity_distribution")).automation_condition is not None
    assert {s.name for s in definitions.schedules} == {
        "daily_repository_refresh",
        "weekly_selection_refresh",
    }
    # Assets that read dbt models take their keys from the dbt manifest.
    links = graph.get(dg.AssetKey(["github", "issue_links"]))
    assert dg.AssetKey("issue_sample") in links.parent_keys


def test_importing_the_definitions_does_no_work():
    """Importing never changes the environment and never starts dbt."""
    code = (
        "import os, subprocess\n"
        "before = dict(os.environ)\n"
        "calls = []\n"
        "real = subprocess.Popen.__init__\n"
        "def spy(self, *a, **k):\n"
        "    calls.append(a[0] if a else k.get('args'))\n"
        "    return real(self, *a, **k)\n"
        "subprocess.Popen.__init__ = spy\n"
        "import dagster_project.definitions, dagster_project.defs.warehouse.dbt\n"
        "import dagster_project.defs.github.assets, dagster_project.defs.reports.assets\n"
        "assert dict(os.environ) == before, 'the environment changed'\n"
        "assert not [c for c in calls if 'dbt' in str(c)], calls\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("load", "unloaded"),
    [
        # Every run worker, the daemon and the webserver load the definitions: scikit-learn and
        # matplotlib, a second of imports, load in the steps that fit a model or draw a figure.
        (
            "from dagster_project.definitions import defs\ndefs().resolve_asset_graph()",
            {"sklearn", "matplotlib"},
        ),
        # What a `refresh_repository` run worker loads: its code location, without dbt.
        (
            "from dagster_project.definitions import repositories_location\n"
            "repositories_location().resolve_job_def('refresh_repository')",
            {"dbt", "dagster_dbt", "sklearn", "matplotlib"},
        ),
    ],
    ids=["whole project", "repositories location"],
)
def test_loading_the_definitions_leaves_heavy_libraries_unloaded(load, unloaded):
    code = f"import sys\n{load}\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & {unloaded!r}))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_dg_check_defs_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "check", "defs"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout + done.stderr
