"""dbt models' code versions (StudyDbtTranslator): what decides a model's SQL is in its version, so
an edit makes stale exactly the models built with it (docs/incremental-runs.md). Each case edits a
copy of the real dbt project and lets the definitions parse it with dbt, as a run would."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.warehouse import dbt

#: dbt parses the whole project three times (and part of it once)
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]
#: the marts whose rows carry the build stamp (macros/build_stamp.sql), so every study parameter
STAMPED = {"build_info", "pipeline_counts", "project_selection", "selected_projects",
           "survey_background", "survey_solutions", "activity_distribution", "commit_sample",
           "issue_sample", "rater_agreement", "label_suggestions"}  # fmt: skip


def _point_at(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMS_PROJECT_DIR", str(work / "project"))
    for name, value in (("MMS_DUCKDB_PATH", "warehouse.duckdb"), ("MMS_LANDING_DIR", "landing"),
                        ("MMS_MIRROR_DIR", "mirrors"), ("MMS_REPORTS_DIR", "reports")):  # fmt: skip
        monkeypatch.setenv(name, str(work / value))


def _versions() -> dict[str, str]:
    """Every dbt node's code version as the definitions see the project now."""
    dbt.dbt_project.cache_clear()
    dbt.warehouse_dbt_assets.cache_clear()
    assets = dbt.warehouse_dbt_assets()
    return {key.to_user_string(): v for key, v in assets.code_versions_by_key.items()}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A copy of the dbt project, parsed once by the definitions, and its code versions: each test
    starts from it in the same folder (dbt's saved parse holds the paths), so its first parse is
    this one, and its edits are parsed from it, not from nothing."""
    work = tmp_path_factory.getbasetemp() / "code-versions-work"
    shutil.copytree(ROOT / "dbt", work / "project" / "dbt",
                    ignore=shutil.ignore_patterns("target", "logs"))  # fmt: skip
    (work / "landing").mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch, dg.DagsterInstance.ephemeral():
        _point_at(work, monkeypatch)
        before = _versions()
    dbt.dbt_project.cache_clear()
    dbt.warehouse_dbt_assets.cache_clear()
    saved = tmp_path_factory.mktemp("code-versions-pristine")
    shutil.copytree(work, saved, dirs_exist_ok=True)
    return work, saved, before


@pytest.fixture
def project(pristine, monkeypatch):
    """The pristine project, parsed, in the module's folder; the code versions before any edit;
    and a function returning them as the definitions see the project now."""
    work, saved, before = pristine
    shutil.rmtree(work)
    shutil.copytree(saved, work)  # with each file's time: the saved parse is current
    _point_at(work, monkeypatch)
    manifest = work / "project" / "dbt" / dbt.DAGSTER_TARGET_PATH / "manifest.json"
    parsed_at = manifest.stat().st_mtime_ns
    assert _versions() == before
    assert manifest.stat().st_mtime_ns == parsed_at  # read from the saved manifest: no parse
    yield work / "project" / "dbt", _versions, before
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
    dbt_dir, versions, before = project
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
    dbt_dir, versions, before = project
    _edit(dbt_dir / "dbt_project.yml", "  min_stars: 100\n", "  min_stars: 50\n")
    changed = _changed(before, versions())
    assert "int_selection__projects" in changed  # reads var('min_stars')
    assert changed >= STAMPED  # their rows say min_stars: 100 until they are built again
    assert not {c for c in changed if c.startswith("stg_")}
    assert "int_commits__model_file_commits" not in changed
