"""dbt models' code versions (StudyDbtTranslator): what decides a model's SQL is in its version, so
an edit makes stale exactly the models built with it (docs/incremental-runs.md). Each case edits a
copy of the real dbt project and lets the definitions parse it with dbt, as a run would."""

import shutil
from pathlib import Path

import pytest

from dagster_project.defs.warehouse import dbt

#: dbt parses the whole project five times (about 90 s on a busy 2-core machine)
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
#: the marts whose rows carry the build stamp (macros/build_stamp.sql), so every study parameter
STAMPED = {"build_info", "pipeline_counts", "project_selection", "selected_projects",
           "survey_background", "survey_solutions", "activity_distribution", "commit_sample",
           "issue_sample", "rater_agreement", "label_suggestions"}  # fmt: skip


@pytest.fixture
def project(tmp_path, monkeypatch, warehouse_env):
    """A copy of the dbt project that the definitions read, and a function returning every dbt
    node's code version as the definitions see it now."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "dbt", copy / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setenv("MMS_PROJECT_DIR", str(copy))
    warehouse_env["MMS_LANDING_DIR"].mkdir()

    def versions() -> dict[str, str]:
        dbt.dbt_project.cache_clear()
        dbt.warehouse_dbt_assets.cache_clear()
        assets = dbt.warehouse_dbt_assets()
        return {key.to_user_string(): v for key, v in assets.code_versions_by_key.items()}

    yield copy / "dbt", versions
    dbt.dbt_project.cache_clear()
    dbt.warehouse_dbt_assets.cache_clear()


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert before.keys() == after.keys()
    return {key for key in before if before[key] != after[key]}


def test_an_edited_frame_macro_changes_the_models_that_call_it_and_no_other(project):
    dbt_dir, versions = project
    before = versions()
    assert all(before.values()) and len(set(before.values())) == len(before)
    # label_frame (macros/frame_labels.sql) is called by the two label frames only.
    _edit(dbt_dir / "macros" / "frame_labels.sql", "with\n", "-- reviewed\nwith\n")
    after = versions()
    assert _changed(before, after) == {"commit_label_frame", "issue_label_frame"}
    # frame_spec (macros/frames.sql) is called, through the other frame macros, by every model
    # built from a frame; the staging and selection models call none of them.
    _edit(dbt_dir / "macros" / "frames.sql", "{%- set frames = {", "{#- x -#}{%- set frames = {")
    changed = _changed(after, versions())
    assert {"commit_sample", "issue_sample", "int_sampling__commit_frame", "commit_label_frame",
            "activity_estimates", "challenge_trends"} <= changed  # fmt: skip
    assert not [
        c for c in changed if c.startswith("stg_") or c in ("selected_projects", "build_info")
    ]
    assert changed < set(before)


def test_a_changed_var_changes_the_models_that_read_it_and_every_stamped_mart(project):
    dbt_dir, versions = project
    before = versions()
    _edit(dbt_dir / "dbt_project.yml", "  min_stars: 100\n", "  min_stars: 50\n")
    changed = _changed(before, versions())
    assert "int_selection__projects" in changed  # reads var('min_stars')
    assert changed >= STAMPED  # their rows say min_stars: 100 until they are built again
    assert not {c for c in changed if c.startswith("stg_")}
    assert "int_commits__model_file_commits" not in changed
