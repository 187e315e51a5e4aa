"""The report built from a real warehouse (generated study, real dbt build, labels imported):
every artefact of the study, this run's values beside the study's, provenance from the warehouse.

Expected values are read from the seeds (the study) and recomputed from the marts' raw counts
(this run), never copied from the report."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from PIL import Image

from report import (
    STUDY_ARTEFACTS,
    Artefact,
    PublicationStatus,
    Section,
    Warehouse,
    WarehouseError,
    build_report,
    render_files,
    write_report,
)
from tests.report.labelled_study import DBT_DIR, ROOT, dbt, study_env

STUDY_ORDER = [
    "provenance", "study_parameters", "pipeline_counts", "table1_selected_projects",
    "table2_keywords", "table3_commit_sample", "table4_issue_sample", "rater_agreement",
    "table5_activities", "table6_challenges", "figure1_closure_times", "table7_survey_background",
    "table8_survey_solutions",
]  # fmt: skip


def _seed(name: str) -> list[dict[str, str]]:
    with open(DBT_DIR / "seeds" / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _rows(section: Section) -> list[dict[str, str]]:
    return section.table.to_dict("records")


def _fixed(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _trimmed(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@pytest.fixture(scope="module")
def report(warehouse_path):
    with Warehouse.open(warehouse_path) as warehouse:
        return build_report(warehouse, project_dir=ROOT)


def _query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


#: issue 10's sections, after the study's (tests/report/test_beyond_study.py)
EXTRA_ORDER = ["activity_estimates", "challenge_estimates", "ml_related_shares",
               "suggester_agreement", "suggester_real_set", "activity_trends",
               "challenge_trends"]  # fmt: skip
#: read from an `mms-suggest evaluate` directory, which these reports are not given
WITHOUT_EVALUATION = {"suggester_real_set"}


def test_every_artefact_of_the_study_in_its_order(report):
    assert [s.key for s in report.sections] == STUDY_ORDER + EXTRA_ORDER
    for section in report.sections:
        if section.key in WITHOUT_EVALUATION:
            assert section.table is None and "mms-suggest evaluate" in section.notes[0]
            continue
        assert section.table is not None and len(section.table) > 0, section.key
        hidden = {"measure_order", "total_occurrences", "category_occurrences", "build_id",
                  "built_at", "study_parameters", "definition"}  # fmt: skip
        assert not hidden & set(section.table.columns), section.key
    assert report.section("figure1_closure_times").figure.png.startswith(b"\x89PNG")


#: each descriptive table's statistics in the study's column order, with its headers
TABLE1_COLUMNS = (("mean", "Mean"), ("median", "Median"), ("std", "Std. Deviation"),
                  ("min", "Minimum"), ("max", "Maximum"))  # fmt: skip
SAMPLE_COLUMNS = (("mean", "Mean"), ("std", "Std. Deviation"), ("min", "Min"),
                  ("median", "Median"), ("max", "Max"))  # fmt: skip


def _table1_shown(column: str, value: float) -> str:
    # two decimals for means and deviations (8,500.80), at most two for the others (1,201)
    return _fixed(value, 2) if column in ("mean", "std") else _trimmed(value, 2)


def _sample_shown(column: str, value: float) -> str:
    return _trimmed(value, 1)  # Tables 3 and 4: at most one decimal everywhere (57, 1,808.6)


def _signed(text: str) -> str:
    if float(text.replace(",", "")) == 0:
        return text.lstrip("-")
    return text if text.startswith("-") else "+" + text


@pytest.mark.parametrize(("key", "mart", "table", "columns", "shown"), [
    ("table1_selected_projects", "project_statistics", "table_1", TABLE1_COLUMNS, _table1_shown),
    ("table3_commit_sample", "commit_sample_statistics", "table_3", SAMPLE_COLUMNS, _sample_shown),
    ("table4_issue_sample", "issue_sample_statistics", "table_4", SAMPLE_COLUMNS, _sample_shown),
])  # fmt: skip
def test_descriptive_tables_put_the_study_beside_this_run(
    report, warehouse_path, key, mart, table, columns, shown
):
    section = report.section(key)
    rows = _rows(section)
    names = [column for column, _ in columns]
    headers = [header for _, header in columns]
    assert list(section.table.columns) == ["Measure", "Values", *headers]
    run = {
        r[0]: r[1:]
        for r in _query(warehouse_path, f"select measure, n, {', '.join(names)} from {mart}")
    }
    seed = [row for row in _seed("study_descriptive_statistics") if row["study_table"] == table]
    assert [r["Measure"] for r in rows if r["Measure"]] == [row["label"] for row in seed]
    decimals = 2 if table == "table_1" else 1
    for row in seed:
        at = next(i for i, r in enumerate(rows) if r["Measure"] == row["label"])
        n, *values = run[row["measure"]]
        this, study = rows[at], rows[at + 1]
        assert this["Values"] == f"this run (n = {n:,})" and study["Values"] == "study"
        for header, column, value in zip(headers, names, values, strict=True):
            assert this[header] == shown(column, value)
            printed = row[f"study_{column}"]
            assert study[header] == (shown(column, float(printed)) if printed else "–")
        if row["study_mean"]:
            difference = rows[at + 2]
            assert difference["Values"] == "difference"
            for header, column, value in zip(headers, names, values, strict=True):
                delta = round(value, decimals) - round(float(row[f"study_{column}"]), decimals)
                assert difference[header] == _signed(shown(column, delta)), (row["label"], header)


#: the study's rows of Tables 1, 3 and 4 as its text prints them (STUDY-FACTS.md), in its columns
PRINTED_STATISTICS = {
    "table1_selected_projects": {
        "Nb Commits": ["2,898.04", "1,201", "4,944.04", "51", "32,384"],
        "Stars": ["5,204.94", "2,269", "8,500.80", "130", "64,628"],
        "Repo Age (months)": ["69.76", "62.53", "24.31", "32.73", "161.37"],
    },
    "table3_commit_sample": {
        "# Deleted Lines": ["1,808.6", "26,902.8", "0", "15", "516,978"],
        "# Added Lines": ["2,510.5", "27,026.7", "0", "33.5", "403,925"],
        "# Files": ["28.7", "267.2", "1", "4", "5,029"],
    },
    "table4_issue_sample": {
        "# Comments": ["3.1", "4.2", "0", "2", "34"],
        "# Assignees": ["1", "0.1", "1", "1", "2"],
        "# Labels": ["1.3", "0.6", "1", "1", "5"],
        "Age (days)": ["57", "175.1", "0", "2", "1,462"],
    },
}


@pytest.mark.parametrize("key", sorted(PRINTED_STATISTICS))
def test_the_study_rows_of_tables_1_3_4_read_as_the_study_prints_them(report, key):
    """Table 4 printed 57.0 for the study's 57 and Tables 3 and 4 put the median second; the
    study's rows now read as printed, in its column order."""
    rows = _rows(report.section(key))
    headers = list(report.section(key).table.columns)[2:]
    for label, printed in PRINTED_STATISTICS[key].items():
        at = next(i for i, r in enumerate(rows) if r["Measure"] == label)
        assert [rows[at + 1][h] for h in headers] == printed, label


#: Table 2 as the study prints it: its rows in order, each Variants cell as printed
TABLE_2 = [
    ("model", "models"), ("train", "training"), ("learn", "learning, learner"),
    ("regressor", "regressors, regression"), ("predict", "predictor, predictors"),
    ("linearregression", "linear_regression, linear-regression"),
    ("logisticregression", "logistic_regression, logisticregression"),
    ("randomforest", "random_forest, randomforest"),
    ("neuralnetwork", "neural_network, neuralnetwork"),
    ("supportvector", "support_vector, supportvector, svm"),
    ("naivebayes", "naive_bayes, naive-bayes"), ("knn", ""), ("kmeans", ""),
]  # fmt: skip


def test_table2_in_the_study_row_order_with_its_variants_as_printed(report, warehouse_path):
    section = report.section("table2_keywords")
    rows = _rows(section)
    assert list(section.table.columns)[:2] == ["Keyword", "Variants"]
    assert [(r["Keyword"], r["Variants"]) for r in rows] == TABLE_2
    counts = {
        keyword: (files, commits, set(searched))
        for keyword, files, commits, searched in _query(
            warehouse_path,
            "select keyword, model_files, model_file_commits, searched_variants "
            "from keyword_matches",
        )
    }
    assert any(files > 0 for files, _, _ in counts.values())
    for row in rows:
        files, commits, searched = counts[row["Keyword"]]
        assert (row["Model files"], row["Model-file commits"]) == (f"{files:,}", f"{commits:,}")
        also = searched - set(row["Variants"].split(", ")) - {row["Keyword"]}
        assert set(row["Also searched"].split(", ")) == (also or {"–"})


def test_table5_groups_activities_under_categories_in_the_study_order(report, warehouse_path):
    section = report.section("table5_activities")
    rows = _rows(section)
    assert list(section.table.columns) == ["Category", "Activity", "n", "%", "95% CI", "Study %",
                                           "Difference (pp)"]  # fmt: skip
    seed = _seed("activity_taxonomy")
    categories = sorted({(r["category"], float(r["study_category_share_pct"])) for r in seed},
                        key=lambda c: -c[1])  # fmt: skip
    occurrences = dict(
        _query(warehouse_path, "select activity, occurrences from activity_distribution")
    )
    total = sum(occurrences.values())
    assert total > 0
    expected_rows, expected_groups = [], []
    for category, study_pct in categories:
        members = sorted((r for r in seed if r["category"] == category),
                         key=lambda r: -float(r["study_share_pct"]))  # fmt: skip
        n = sum(occurrences[r["activity"]] for r in members)
        expected_groups.append(len(expected_rows))
        expected_rows.append((category, "", f"{n:,}", round(100 * n / total, 1), study_pct))
        for r in members:
            k = occurrences[r["activity"]]
            expected_rows.append(("", r["activity"], f"{k:,}", round(100 * k / total, 1),
                                  float(r["study_share_pct"])))  # fmt: skip
    assert len(rows) == len(expected_rows) + 1  # and the total
    for row, (category, activity, n, pct, study_pct) in zip(rows, expected_rows, strict=False):
        assert (row["Category"], row["Activity"], row["n"]) == (category, activity, n)
        assert row["%"] == _percent(pct) and row["Study %"] == _percent(study_pct)
        assert row["Difference (pp)"] == _signed(_trimmed(round(pct - study_pct, 1), 1))
        assert re.fullmatch(r"\d{1,2}(\.\d)?–\d{1,3}(\.\d)?%", row["95% CI"])
    assert rows[-1]["Category"] == "Total" and rows[-1]["n"] == f"{total:,}"
    assert section.group_rows == (*expected_groups, len(rows) - 1)


def _percent(value: float) -> str:
    """A percentage as the study prints it: one decimal, a trailing .0 dropped."""
    return _trimmed(value, 1) + "%"


def test_table6_in_the_study_order_with_other_last(report, warehouse_path):
    rows = _rows(report.section("table6_challenges"))
    seed = sorted(_seed("challenge_taxonomy"),
                  key=lambda r: (r["challenge"] == "Other", -float(r["study_share_pct"])))  # fmt: skip
    occurrences = dict(
        _query(warehouse_path, "select challenge, occurrences from challenge_distribution")
    )
    total = sum(occurrences.values())
    assert [r["Challenge"] for r in rows] == [r["challenge"] for r in seed] + ["Total"]
    for row, printed in zip(rows, seed, strict=False):
        assert row["n"] == f"{occurrences[printed['challenge']]:,}"
        assert row["%"] == _percent(round(100 * occurrences[printed["challenge"]] / total, 1))
        assert row["Study %"] == _percent(float(printed["study_share_pct"]))


def test_shares_print_the_study_percentages_as_it_does(report):
    """Table 5's Deployment (1%), Table 6's Model Performance (7%) and Table 8's 19% and 0%: the
    study drops a trailing .0, where the report printed 1.0, 7.0, 19.0 and 0.0."""
    table5 = {r["Category"] or r["Activity"]: r["Study %"] for r in _rows(report.section("table5_activities"))}  # fmt: skip
    assert (table5["Deployment"], table5["Maintenance"], table5["Model Porting"]) == ("1%", "57.9%", "0.4%")  # fmt: skip
    table6 = {r["Challenge"]: r["Study %"] for r in _rows(report.section("table6_challenges"))}
    assert (table6["Model Performance"], table6["Documentation Maintenance"]) == ("7%", "15.3%")
    table8 = {r["Solution"]: r["Study %"] for r in _rows(report.section("table8_survey_solutions"))}
    assert table8["Versioning documentation as you version models [20]"] == "19%"
    assert table8["Implement transfer learning [59]"] == "19%"
    assert table8["Creating a function mapping between code in different programming languages "
                  "to aid static code analysis tools in detecting bugs [19]"] == "0%"  # fmt: skip
    assert table8["Updating documentation with each release * [20]"] == "4.8%"


def test_kappa_beside_the_study_and_none_for_issues(report, warehouse_path):
    rows = {r["Frame"]: r for r in _rows(report.section("rater_agreement"))}
    kappas = dict(_query(warehouse_path, "select frame, cohen_kappa from rater_agreement"))
    assert rows["commits"]["Study's kappa"] == "0.61"
    assert rows["commits"]["Cohen's kappa"] == f"{kappas['commits']:.2f}"
    assert rows["commits"]["Difference"] == f"{round(kappas['commits'], 2) - 0.61:+.2f}"
    assert rows["issues"]["Cohen's kappa"] == f"{kappas['issues']:.2f}"
    assert rows["issues"]["Study's kappa"] == "–" and rows["issues"]["Difference"] == "–"


def test_figure1_marks_the_study_values(report, warehouse_path):
    section = report.section("figure1_closure_times")
    rows = {r["Challenge"]: r for r in _rows(section)}
    boxes = dict(_query(warehouse_path, "select challenge, n from closure_time_by_challenge"))
    assert {c: int(r["n"]) for c, r in rows.items()} == boxes
    assert rows["Model Performance"]["Study median"] == "13"
    assert any("908-day outlier for Resource Constraints" in note for note in section.notes)
    # sorted by median, as the study's figure
    medians = [m for (m,) in _query(warehouse_path,
               "select median_days from closure_time_by_challenge order by median_days desc")]  # fmt: skip
    assert [rows[c]["Median"] for c in rows] == [f"{m:,.0f}" for m in medians]


def test_figure1_table_prints_whole_days_as_the_study_gives_them(report):
    """The table mixed 2 and 2.5 in one column; the study gives days as whole numbers (13, 908,
    Table 4's 1,462)."""
    table = report.section("figure1_closure_times").table
    days = table[["Min", "Q1", "Median", "Q3", "Max", "Study median"]].to_numpy().ravel()
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*|–", cell) for cell in days), days
    assert all(re.fullmatch(r"[+-]?\d{1,3}(,\d{3})*|–", c) for c in table["Difference (median)"])


def test_tables_7_and_8_keep_the_study_rows_columns_and_order(report):
    section7 = report.section("table7_survey_background")
    assert list(section7.table.columns) == ["Dimension", "Answer", "Study %", "Respondents",
                                            "95% CI"]  # fmt: skip
    rows7 = _rows(section7)
    seed7 = _seed("survey_table7_background")
    assert [r["Answer"] for r in rows7 if r["Answer"]] == [r["answer"] for r in seed7]
    assert [r["Study %"] for r in rows7 if r["Answer"]] == [
        _percent(float(r["study_share_pct"])) for r in seed7
    ]
    assert (rows7[-1]["Dimension"], rows7[-1]["Respondents"]) == ("Total participants", "21")
    section8 = report.section("table8_survey_solutions")
    assert list(section8.table.columns) == ["Challenge", "Solution", "Study %", "Respondents",
                                            "95% CI"]  # fmt: skip
    rows8 = _rows(section8)
    seed8 = _seed("survey_table8_solutions")
    questions = list(dict.fromkeys(r["survey_question"] for r in seed8))
    assert [r["Challenge"] for r in rows8 if r["Challenge"]] == questions
    solutions = [r for r in rows8 if r["Solution"]]
    assert len(solutions) == len(seed8)
    for row, printed in zip(solutions, seed8, strict=True):
        mark = " *" if printed["is_participant_proposed"] == "true" else ""
        reference = f" {printed['study_reference']}" if printed["study_reference"] else ""
        assert row["Solution"] == printed["solution"] + mark + reference
        assert row["Study %"] == _percent(float(printed["study_share_pct"]))


def test_provenance_comes_from_the_warehouse(report, warehouse_path):
    ((build_id, built_at, parameters, version),) = _query(
        warehouse_path, "select build_id, built_at, study_parameters, code_version from build_info"
    )
    provenance = report.provenance
    assert provenance.build_id == build_id and provenance.built_at == built_at
    assert dict(provenance.study_parameters) == json.loads(parameters)
    assert provenance.study_parameters["issue_frame_filter"] == "all_closed"
    counts = dict(_query(warehouse_path, "select step, run_count from pipeline_counts"))
    assert dict(provenance.counts) == counts
    labelled = dict(_query(warehouse_path, "select 'commits', count(*) filter (where label_status = "
                           "'labelled') from commit_sample union all select 'issues', count(*) "
                           "filter (where label_status = 'labelled') from issue_sample"))  # fmt: skip
    assert counts["labelled_commits"] == labelled["commits"] > 0
    assert counts["labelled_issues"] == labelled["issues"] > 0
    # the build recorded no code version: git describe of the checkout, and the report says so
    assert version == "unknown"
    described = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--tags"],
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert provenance.code_version == described
    items = dict(report.section("provenance").table.itertuples(index=False))
    assert items["Code version"].startswith(described) and "git describe" in items["Code version"]
    assert items["Labelled items"] == (
        f"{labelled['commits']} of 385 sampled commits, {labelled['issues']} of 385 sampled issues"
    )
    assert build_id in items["Warehouse build"]
    shown = dict(report.section("study_parameters").table.itertuples(index=False))
    assert set(shown) == set(json.loads(parameters))
    assert not provenance.other_builds
    files = render_files(report)
    # not sample data: no banner anywhere
    assert not any(b"SAMPLE DATA" in content for content in files.values())
    # no path of this machine: the warehouse lies outside the project, so it is named by its name
    assert items["Warehouse file"] == "warehouse.duckdb"
    assert json.loads(files["provenance.json"])["warehouse"] == "warehouse.duckdb"
    for name, content in files.items():
        for machine_path in (str(warehouse_path.parent), str(ROOT)):
            assert machine_path.encode() not in content, (name, machine_path)


def test_table4_reports_the_frame_under_both_readings(report, warehouse_path):
    counts = dict(_query(warehouse_path, "select step, run_count from pipeline_counts"))
    note = report.section("table4_issue_sample").notes[1]
    assert f"all closed issues (its text) {counts['closed_issues']:,}" in note
    assert (
        f"one label (its Table 4's minima of 1) {counts['closed_issues_assigned_and_labelled']:,}"
        in note
    )
    assert "issue_frame_filter = all_closed" in note


@pytest.fixture(scope="module")
def rebuilt_build_info(warehouse_path, tmp_path_factory):
    """A copy of the warehouse whose build_info alone was rebuilt, with a code version and the
    sample flag recorded: every other mart is then from the earlier build."""
    root = tmp_path_factory.mktemp("rebuilt")
    shutil.copy(warehouse_path, root / "warehouse.duckdb")
    env = study_env(root, sample_data=True, code_version="v9.9-recorded")
    env["MMS_LANDING_DIR"] = str(warehouse_path.parent / "landing")
    dbt(env, "build", "--select", "build_info")
    return root / "warehouse.duckdb"


def test_code_version_and_sample_flag_come_from_the_build_not_the_render_environment(
    rebuilt_build_info, monkeypatch
):
    monkeypatch.setenv("MMS_CODE_VERSION", "from-the-render-environment")
    monkeypatch.delenv("MMS_SAMPLE_DATA", raising=False)
    with Warehouse.open(rebuilt_build_info) as warehouse:
        report = build_report(warehouse, project_dir=ROOT)
    assert report.provenance.code_version == "v9.9-recorded"
    assert report.provenance.code_version_source == "build"
    assert report.provenance.is_sample_data
    files = render_files(report)
    for name, content in files.items():
        if name.endswith((".md", ".html")):
            assert b"SAMPLE DATA" in content, name
        if name.endswith(".png"):  # drawn, and in the PNG's text chunks
            assert "SAMPLE DATA" in Image.open(io.BytesIO(content)).text["Warning"], name
    assert {"activity_trends.png", "challenge_trends.png"} <= set(files)
    # a partial build: the marts it did not rebuild are named, in one row, with their own build
    (earlier,) = report.provenance.other_builds
    assert {"activity_distribution", "pipeline_counts"} <= set(earlier.marts)
    assert "build_info" not in earlier.marts
    rows = report.section("provenance").table.to_numpy().tolist()
    assert [item for item, _ in rows if "build" in item.lower()] == ["Warehouse build",
                                                                     "Earlier build"]  # fmt: skip
    value = dict(rows)["Earlier build"]
    assert value.startswith(f"{earlier.build_id} of ") and "activity_distribution" in value
    assert f"which {report.provenance.build_id}, a dbt build of a selection, did not" in value


def test_publication_status_is_in_the_provenance(warehouse_path):
    failed_at = datetime(2024, 5, 1, 6, 30, tzinfo=UTC)
    with Warehouse.open(warehouse_path) as warehouse:
        build_id = warehouse.load("build_info")["build_id"][0]
        published = build_report(warehouse, publication=PublicationStatus(
            published_build_id=build_id, failed_build_id="b-next", failed_at=failed_at,
            failure_reason="dbt test unique_commit_sample_commit_key failed"))  # fmt: skip
        other = build_report(warehouse, publication=PublicationStatus(published_build_id="b-old"))
    items = dict(published.section("provenance").table.itertuples(index=False))
    assert items["Warehouse build"].startswith(build_id)
    assert items["Warehouse build"].endswith(", the build published last")
    assert "Published build" not in items  # one row names the build
    assert items["Newer build not published"] == (
        "b-next failed at 2024-05-01 06:30:00 UTC: dbt test unique_commit_sample_commit_key failed"
    )
    items = dict(other.section("provenance").table.itertuples(index=False))
    assert items["Published build"].startswith("b-old: NOT the build this report reads")
    assert "published" not in items["Warehouse build"]
    assert "Newer build not published" not in items


@pytest.fixture(scope="module")
def partially_rebuilt(warehouse_path, tmp_path_factory):
    """The published warehouse after a later build of a selection (as refresh_suggestions runs
    after build_warehouse): the estimate marts are the later build's, build_info and the rest the
    earlier one's; the builds log says both were published."""
    from warehouse import BuildRecord, WarehouseFiles
    from warehouse.publish import append_record

    root = tmp_path_factory.mktemp("partial")
    path = root / "warehouse.duckdb"
    shutil.copy(warehouse_path, path)
    env = study_env(root)
    env["MMS_LANDING_DIR"] = str(warehouse_path.parent / "landing")
    dbt(env, "build", "--select", "activity_estimates", "challenge_estimates")
    ((first,),) = _query(path, "select build_id from build_info")
    ((later,),) = _query(path, "select distinct build_id from activity_estimates")
    files = WarehouseFiles(path)
    for build_id, holder in ((first, "Dagster run 5a0bd253 (build_warehouse)"),
                             (later, "Dagster run 1b2c3d4e (refresh_suggestions)")):  # fmt: skip
        append_record(files, BuildRecord(build_id, holder, "2024-05-01T06:00:00+00:00",
                                         status="published"))  # fmt: skip
    return path, first, later


def test_a_later_partial_build_is_named_once_with_its_marts_and_why(partially_rebuilt, tmp_path):
    """The provenance named build_info's build as the published one and listed every mart of the
    later partial build as a row of its own; now one row names the warehouse's build, one the
    partial build (published last) with its marts and why."""
    path, first, later = partially_rebuilt
    written = write_report(path, tmp_path / "reports", project_dir=ROOT)
    provenance = written.report.provenance
    assert provenance.build_id == first and provenance.publication.published_build_id == later
    (partial,) = provenance.other_builds
    assert (partial.build_id, partial.marts) == (
        later,
        ("activity_estimates", "challenge_estimates"),
    )
    rows = written.report.section("provenance").table.to_numpy().tolist()
    assert [item for item, _ in rows if "build" in item.lower()] == ["Warehouse build",
                                                                     "Later partial build"]  # fmt: skip
    items = dict(rows)
    assert (
        items["Warehouse build"].startswith(first) and "published" not in items["Warehouse build"]
    )
    assert "Dagster run 5a0bd253 (build_warehouse)" in items["Warehouse build"]
    assert items["Later partial build"].startswith(f"{later} of ")
    assert (
        ", run by Dagster run 1b2c3d4e (refresh_suggestions), the build published last: it "
        "rebuilt 2 marts (activity_estimates, challenge_estimates); a dbt build of a selection "
        "rebuilds only the marts it selects" in items["Later partial build"]
    )
    assert f"every other table are still {first}'s" in items["Later partial build"]
    saved = json.loads((written.directory / "provenance.json").read_text(encoding="utf-8"))
    assert saved["other_builds"][0]["marts"] == ["activity_estimates", "challenge_estimates"]
    assert saved["other_builds"][0]["later"] is True
    summary = (written.directory / "activity_estimates.md").read_text(encoding="utf-8")
    assert f"build {first} of " in summary and f"(+ 2 marts of partial build {later})" in summary


def test_optional_artefacts_are_included_only_when_their_marts_exist(warehouse_path):
    def extra(title):
        return lambda warehouse, provenance: Section(key=title, title=title,
                                                     table=warehouse.load("keyword_matches"))  # fmt: skip

    artefacts = (
        *STUDY_ARTEFACTS,
        Artefact(("keyword_matches",), extra("present"), optional=True),
        Artefact(("population_estimates",), extra("absent"), optional=True),
    )
    with Warehouse.open(warehouse_path) as warehouse:
        report = build_report(warehouse, artefacts=artefacts)
    assert [s.key for s in report.sections][-1] == "present"
    assert "absent" not in [s.key for s in report.sections]


def test_a_warehouse_without_a_mart_is_an_error_naming_it(warehouse_path, tmp_path):
    copy = tmp_path / "old.duckdb"
    shutil.copy(warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop table keyword_matches")
    with (
        Warehouse.open(copy) as warehouse,
        pytest.raises(WarehouseError, match="no table keyword_matches"),
    ):
        build_report(warehouse)
    with pytest.raises(WarehouseError, match=re.escape(str(tmp_path / "absent.duckdb"))):
        Warehouse.open(tmp_path / "absent.duckdb")


def test_before_any_label_the_report_says_so_instead_of_inventing_shares(warehouse_path):
    with Warehouse.open(warehouse_path.parent / "unlabelled.duckdb") as warehouse:
        report = build_report(warehouse)
    assert [s.key for s in report.sections] == STUDY_ORDER + EXTRA_ORDER
    table5 = _rows(report.section("table5_activities"))
    assert {r["%"] for r in table5} == {"–"} and table5[-1]["n"] == "0"
    assert {r["Study %"] for r in table5 if r["Activity"] == "Refactoring"} == {"20.5%"}
    figure = _rows(report.section("figure1_closure_times"))
    assert {r["n"] for r in figure} == {"0"}
    assert {r["Study median"] for r in figure if r["Challenge"] == "Model Performance"} == {"13"}
    kappa = _rows(report.section("rater_agreement"))
    assert [(r["Frame"], r["Raters"], r["Study's kappa"]) for r in kappa] == [
        ("commits", "no two raters yet", "0.61"), ("issues", "no two raters yet", "–")]  # fmt: skip
    assert report.provenance.counts["labelled_commits"] == 0
