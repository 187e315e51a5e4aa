"""Real materializations of the suggestions asset on generated studies built with the real dbt."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from analysis.settings import SuggesterSettings
from analysis.training import BUNDLED_REAL_SET
from dagster_project.defs.landing.resources import landing_resource
from dagster_project.defs.suggestions.assets import (
    ESTIMATES,
    EVALUATIONS,
    LABEL_SUGGESTIONS,
    label_suggestions_asset,
    refresh_suggestions_job,
    suggestions_after_label_changes,
)
from dagster_project.defs.warehouse.dbt import dbt_resource, warehouse_dbt_assets
from dagster_project.defs.warehouse.resources import published_warehouse_resource
from demo.study_data import Scale, generate
from report import Warehouse, build_report
from report.banner import banner_markdown
from report.frame_sections import estimate_cells, estimate_headers
from report.frames import COMMIT_FRAME
from tests.dbt_cli import WITHOUT_TESTS

from ....conftest import run_dbt


def _point(monkeypatch, env: dict[str, str]) -> None:
    for name in ("MMS_DUCKDB_PATH", "MMS_LANDING_DIR", "MMS_REPORTS_DIR", "MMS_SAMPLE_DATA"):
        monkeypatch.setenv(name, env[name])


def _resources() -> dict:
    """The published warehouse and the landing zone, as the definitions configure them."""
    return {"duckdb": published_warehouse_resource(), "landing_zone": landing_resource()}


def _sensor_context() -> dg.SensorEvaluationContext:
    return dg.build_sensor_context(resources=_resources())


def _metadata(result: dg.ExecuteInProcessResult) -> dict[dg.AssetKey, dict]:
    return {
        event.asset_key: {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }


def _markdown_rows(text: str) -> list[dict[str, str]]:
    """The rows of the first GitHub-flavoured table in ``text``, by header."""
    block = []
    for line in text.splitlines():
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip("|").split("|")])
        elif block:
            break
    header, rule, *body = block
    assert all(set(cell) <= set(":-") for cell in rule), rule
    return [dict(zip(header, cells, strict=True)) for cells in body]


@pytest.mark.slow
def test_with_no_labels_the_asset_and_the_marts_say_why_they_are_empty(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    generate(
        landing,
        Scale(selected_projects=4, excluded_by_inspection=1, failing_candidates=5, commits=600,
              issues=400),
        seed=3,
    )  # fmt: skip
    env = {
        "MMS_LANDING_DIR": str(landing),
        "MMS_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "MMS_REPORTS_DIR": str(tmp_path / "reports"),
        "MMS_SAMPLE_DATA": "1",
    }
    import os

    # an unlabelled study's data tests run in the sample's first build (tests/demo)
    run_dbt({**os.environ, **env}, "build", *WITHOUT_TESTS)
    _point(monkeypatch, env)
    # Nothing computed yet: the sensor asks for a first run (which will explain the emptiness).
    request = suggestions_after_label_changes(_sensor_context())
    assert isinstance(request, dg.RunRequest)

    result = dg.materialize(
        [label_suggestions_asset()], instance=dg.DagsterInstance.ephemeral(), resources=_resources()
    )
    assert result.success
    metadata = _metadata(result)
    assert set(metadata) == {LABEL_SUGGESTIONS, EVALUATIONS, ESTIMATES}
    for key in metadata:
        assert "0 adjudicated commits item(s)" in metadata[key]["commits_status"]
    assert "nothing suggested or estimated" in metadata[ESTIMATES]["estimates"]
    assert "SAMPLE DATA" in metadata[ESTIMATES]["estimates"]

    # what reads the landed suggestions, with its tests: nothing else changed
    run_dbt({**os.environ, **env}, "build", "--select", "source:suggestions+")
    with duckdb.connect(env["MMS_DUCKDB_PATH"], read_only=True) as con:
        reasons = {
            r[0] for r in con.execute("select estimate_status from challenge_estimates").fetchall()
        }
        status = con.execute(
            "select suggester_status, is_stale from suggestion_status order by frame"
        ).fetchall()
    assert status == [("insufficient_labels", False), ("insufficient_labels", False)]
    assert len(reasons) == 1 and "0 adjudicated issues item(s)" in reasons.pop()
    # The study report says why instead of showing empty tables, in every section of issue 10.
    with Warehouse.open(Path(env["MMS_DUCKDB_PATH"])) as warehouse:
        study_report = build_report(warehouse)
    for key, frame in (("activity_estimates", "commits"), ("challenge_estimates", "issues"),
                       ("suggester_agreement", "issues"), ("activity_trends", "commits"),
                       ("challenge_trends", "issues")):  # fmt: skip
        section = study_report.section(key)
        assert section.table is None, key
        assert any(f"0 adjudicated {frame} item(s)" in note for note in section.notes), key
    # The same inputs: no new run.
    assert isinstance(suggestions_after_label_changes(_sensor_context()), dg.SkipReason)


def test_a_labelled_study_gets_tables_figure_and_staged_marts(
    labelled_study, tmp_path, monkeypatch
):
    env, landing, _ = labelled_study
    work = tmp_path / "landing"
    shutil.copytree(landing, work)
    shutil.copy(env["MMS_DUCKDB_PATH"], tmp_path / "warehouse.duckdb")
    env = {
        **env,
        "MMS_LANDING_DIR": str(work),
        "MMS_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
        "MMS_REPORTS_DIR": str(tmp_path / "reports"),
    }
    _point(monkeypatch, env)
    assert isinstance(suggestions_after_label_changes(_sensor_context()), dg.RunRequest)

    # The job the sensor launches: the asset, then dbt builds what reads its landed files.
    instance = dg.DagsterInstance.ephemeral()
    suggestions = label_suggestions_asset()
    result = dg.materialize(
        [suggestions, warehouse_dbt_assets()],
        selection=refresh_suggestions_job(suggestions).selection,
        instance=instance,
        resources={"dbt": dbt_resource(), **_resources()},
        run_config={"ops": {"label_suggestions": {"config": {"seed": 11, "folds": 4}}}},
    )
    assert result.success
    metadata = _metadata(result)
    # by default the commit suggester also trained on the bundled real set, and says so
    assert "commits also trained on the real set" in metadata[LABEL_SUGGESTIONS]["model_version"]
    summary = metadata[LABEL_SUGGESTIONS]["summary"]
    bundled = pd.read_json(BUNDLED_REAL_SET, lines=True, dtype=False)
    lent = f"{len(bundled):,} lent commits of {bundled['repo_id'].nunique()} other projects"
    assert re.search(rf"\*\*commits\*\*: .* adjudicated items and {lent}", summary)
    assert not re.search(r"\*\*issues\*\*: [^\n]* lent commits", summary)  # issues have none
    estimates = metadata[ESTIMATES]["estimates"]
    # the study report's banner, formatter and estimate columns (report/ renders both)
    assert estimates.startswith(banner_markdown())
    rows = _markdown_rows(estimates)
    refactoring = next(r for r in rows if r["Level"] == "activity" and r["Name"] == "Refactoring")
    assert "data:image/png;base64," in metadata[ESTIMATES]["trends_by_year"]
    # the reports directory is the study report's alone (replaced whole on each report)
    assert not Path(env["MMS_REPORTS_DIR"]).exists()
    agreement = _markdown_rows(metadata[EVALUATIONS]["agreement"])
    assert {"Suggester's kappa", "Raters' kappa"} <= set(agreement[0])
    staged = {event.asset_key.path[-1] for event in result.get_asset_materialization_events()}
    assert {"activity_estimates", "challenge_trends", "suggester_agreement"} <= staged
    with duckdb.connect(env["MMS_DUCKDB_PATH"], read_only=True) as con:
        folds, stale = con.execute(
            "select max(folds), bool_or(is_stale) from suggestion_status"
        ).fetchone()
        missing = con.execute(
            "select count(*) from activity_estimates where estimate is null"
        ).fetchone()[0]
        staged = (
            con.execute("select * from activity_estimates where name = 'Refactoring'").df().iloc[0]
        )
    assert folds == 4 and stale is False and missing == 0
    # the metadata's table shows what dbt staged, cell for cell as the study report shows it
    headers = estimate_headers(COMMIT_FRAME, 0.95)
    assert [refactoring[h] for h in headers] == estimate_cells(staged)
    assert refactoring["Study %"] == "20.5%"
    assert isinstance(suggestions_after_label_changes(_sensor_context()), dg.SkipReason)


def test_lent_files_come_from_the_config_or_else_from_mms_lent_commits(monkeypatch, tmp_path):
    from base import settings
    from dagster_project.defs.suggestions.assets import SuggestionConfig, suggester_settings

    monkeypatch.delenv("MMS_LENT_COMMITS", raising=False)
    assert suggester_settings(SuggestionConfig()).lent_files == ()
    monkeypatch.setenv("MMS_LENT_COMMITS", f"{tmp_path / 'a.jsonl'}:data/b.jsonl")
    from_env = suggester_settings(SuggestionConfig())
    assert from_env.lent_files == (
        str(tmp_path / "a.jsonl"),
        str(settings.project_dir() / "data" / "b.jsonl"),
    )
    assert suggester_settings(SuggestionConfig(lend=[])).lent_files == ()
    named = suggester_settings(SuggestionConfig(lend=[str(tmp_path / "c.jsonl")]))
    assert named.lent_files == (str(tmp_path / "c.jsonl"),) and named.real_set
    # the model version names each file by its content
    (tmp_path / "c.jsonl").write_text("{}\n")
    assert "c.jsonl (sha256 " in named.model_version


def test_the_message_encoder_is_a_choice_of_the_asset_config():
    from pydantic import ValidationError

    from dagster_project.defs.suggestions.assets import SuggestionConfig

    assert SuggestionConfig().message_encoder == "none"
    assert (
        SuggestionConfig().real_set is True and SuggestionConfig(real_set=False).real_set is False
    )
    # the second label's threshold is the one `mms-suggest evaluate` measured
    assert SuggestionConfig().threshold == SuggesterSettings().threshold == 0.6
    assert SuggestionConfig(message_encoder="minilm").message_encoder == "minilm"
    with pytest.raises(ValidationError, match="message_encoder"):
        SuggestionConfig(message_encoder="bert")
