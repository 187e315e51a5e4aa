"""The study's method end to end: real `dbt build` runs over generated landing data.

Expected values are recomputed here in plain Python from the landed Parquet files (keyword
matches, selection, allocation, kappa with scikit-learn), never copied from the warehouse.
"""

from __future__ import annotations

import csv
import json
import random
import re
import statistics
import subprocess
import sys
from itertools import zip_longest
from pathlib import Path

import duckdb
import pytest
import yaml
from scipy.stats import norm
from sklearn.metrics import cohen_kappa_score

import landing as extract_landing
from extract.annotations.files import taxonomy
from extract.cli import main as mms_extract

from .conftest import DBT_DIR, ROOT, SMALL, copy_of_study, dbt, make_env, query


def _landed(landing: Path, table: str, columns: str) -> list[tuple]:
    files = [str(path) for path in extract_landing.current_files(landing, table)]
    return duckdb.sql(
        f"select {columns} from read_parquet({files}, union_by_name = true)"
    ).fetchall()


def test_every_unit_test_of_the_project_runs_once_and_passes(study_unit_tests_passed):
    """The other builds of the suite leave dbt's unit tests out (tests/dbt_cli.py): this one runs
    them all, so a unit test that no build ran would be a unit test the suite lost."""
    defined = [
        test["name"]
        for path in (DBT_DIR / "models").rglob("*.yml")
        for test in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("unit_tests", [])
    ]
    assert defined, "the project has unit tests"
    assert study_unit_tests_passed == len(defined), defined


def test_selection_applies_each_criterion_and_the_inspection(study):
    env, landing, _ = study
    assert query(env, "select count(*) from selected_projects") == [(SMALL.selected_projects,)]
    by_status = dict(
        query(env, "select selection_status, count(*) from project_selection group by 1")
    )
    assert by_status == {
        "selected": SMALL.selected_projects,
        "excluded_by_inspection": SMALL.excluded_by_inspection,
        "excluded_by_criteria": SMALL.failing_candidates,
    }
    # the generator breaks one criterion per failing project, in turn: each is named once
    reasons = query(
        env,
        "select exclusion_reason_text from project_selection "
        "where selection_status = 'excluded_by_criteria' order by 1",
    )
    assert len({r[0] for r in reasons}) == 5 and all(";" not in r[0] for r in reasons)


def test_table1_matches_python_statistics_over_the_selected_projects(study):
    env, landing, _ = study
    selected = {r[0] for r in query(env, "select repo_id from selected_projects")}
    repos = _landed(landing, "github/repositories", "repo_id, stargazers_count, forks_count")
    stars = [s for repo, s, _ in repos if repo in selected]
    rows = {
        r[0]: r[1:]
        for r in query(
            env, "select measure, n, mean, std, min, median, max from project_statistics"
        )
    }
    n, mean, std, low, median, high = rows["stars"]
    assert n == len(stars)
    assert mean == pytest.approx(statistics.mean(stars))
    assert std == pytest.approx(statistics.stdev(stars))
    assert (low, median, high) == (min(stars), statistics.median(stars), max(stars))
    # watchers_count is GitHub's alias of stars (the study's Watchers); subscribers are the real ones
    assert rows["watchers_count"] == rows["stars"]
    assert rows["subscribers_count"] != rows["stars"]


def test_keyword_matches_equal_a_python_substring_search_of_every_landed_path(study):
    env, landing, _ = study
    variants: dict[str, set[str]] = {}
    with open(Path(__file__).parents[2] / "dbt/seeds/model_file_keywords.csv") as handle:
        for row in csv.DictReader(handle):
            variants.setdefault(row["keyword"], set()).add(row["variant"].lower())
    files = _landed(
        landing,
        "git/modified_files",
        "repo_id || '@' || commit_hash || '#' || file_index, coalesce(new_path, old_path)",
    )
    expected = {
        (key, keyword)
        for key, path in files
        for keyword, forms in variants.items()
        if any(form in path.lower() for form in forms)
    }
    actual = set(
        query(env, "select modified_file_key, keyword from int_commits__model_file_matches")
    )
    assert expected and actual == expected


def test_model_file_commits_drop_empty_messages(study):
    env, _, counts = study
    assert counts["empty_message_commits"] > 0
    assert query(
        env, "select count(*) from int_commits__model_file_commits where trim(message) = ''"
    ) == [(0,)]


def _allocation(sizes: dict[str, int], target: int) -> dict[str, int]:
    """The documented rule, written independently: 1 each, then largest remainder on size - 1."""
    n, h = sum(sizes.values()), len(sizes)
    shared = target - h
    quota = {s: shared * (size - 1) / (n - h) for s, size in sizes.items()}
    alloc = {s: 1 + int(q) for s, q in quota.items()}
    leftover = target - sum(alloc.values())
    order = sorted(sizes, key=lambda s: (-(quota[s] - int(quota[s])), -sizes[s], s))
    for s in order[:leftover]:
        alloc[s] += 1
    return alloc


@pytest.mark.parametrize(("frame", "population"), [
    ("commit_sampling_frame", "select repo_id, count(*) from int_commits__model_file_commits group by 1"),
    ("issue_sampling_frame", "select i.repo_id, count(*) from stg_github__issues i join selected_projects using (repo_id) group by 1"),
])  # fmt: skip
def test_frames_reach_385_with_every_project_and_proportional_allocation(study, frame, population):
    env, _, _ = study
    sizes = dict(query(env, population))
    assert sum(sizes.values()) > 385
    sample = query(env, f"select repo_id, count(*) from {frame} where in_sample group by 1")
    assert sum(count for _, count in sample) == 385
    assert dict(sample) == _allocation(sizes, 385)


@pytest.fixture(scope="module")
def reviewed(study, tmp_path_factory):
    """A copy of the study after a reviewer rejects three sampled commits and dbt rebuilds the
    frames: (env, landing dir, the sample before, the rejected commits)."""
    tmp = tmp_path_factory.mktemp("review")
    env, landing = copy_of_study(study, tmp / "study")
    before = query(
        env, "select commit_key, repo_id, draw_rank from commit_sampling_frame where in_sample"
    )
    # the first-drawn commit of the three largest projects
    firsts = query(
        env,
        "select commit_key from commit_sampling_frame where in_sample and draw_rank = 1 "
        "order by stratum_size desc limit 3",
    )
    review = tmp / "review.csv"
    with open(review, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_key", "decision", "note"])
        for (key,) in firsts:
            writer.writerow([key, "reject", "web front-end, not ML"])
    argv = ["--landing-dir", str(landing), "annotations", "import-reviews", "--frame", "commits"]
    argv += ["--reviewer", "alice", "--warehouse", env["MMS_DUCKDB_PATH"], str(review)]
    assert mms_extract(argv) == 0
    dbt(env, "build", "--select", "stg_annotations__sample_reviews+")
    return env, landing, before, {key for (key,) in firsts}


def test_rejected_items_are_replaced_by_the_next_item_of_their_project(reviewed):
    env, _, before, rejected = reviewed
    after = query(
        env,
        "select commit_key, repo_id, draw_rank, sample_status from commit_sampling_frame where in_sample",
    )
    assert len(after) == 385
    kept_before = {(k, r) for k, r, _ in before if k not in rejected}
    assert kept_before <= {(k, r) for k, r, _, _ in after}  # nothing else moved
    replacements = [(k, r, d) for k, r, d, s in after if s == "replacement"]
    assert len(replacements) == len(rejected)
    rejected_projects = sorted(k.split("@")[0] for k in rejected)
    assert sorted(r for _, r, _ in replacements) == rejected_projects
    for _, repo, rank in replacements:
        # the next one: one past the project's allocation in the random order
        last = max(d for _, r, d in before if r == repo)
        assert rank == last + 1
    statuses = query(
        env, "select sample_status, count(*) from commit_sampling_frame group by 1 order by 1"
    )
    assert statuses == [("rejected", 3), ("replacement", 3), ("sampled", 382)]


def test_same_seed_gives_the_same_sample_and_another_seed_another(reviewed, tmp_path_factory):
    env, landing, _, _ = reviewed
    tmp = tmp_path_factory.mktemp("seeds")
    same = make_env(tmp, landing, "same")
    other = make_env(tmp, landing, "other")
    only = ["--select", "+int_sampling__commit_frame", "--indirect-selection", "cautious"]
    dbt(same, "build", *only, "--exclude", "test_type:unit")
    dbt(other, "build", *only, "--exclude", "test_type:unit",
        "--vars", "{sampling_seed: another-seed}")  # fmt: skip
    sql = "select item_key, draw_rank, sample_status from int_sampling__commit_frame order by 1"
    assert query(same, sql) == query(env, sql)
    assert {r[0] for r in query(other, sql)} != {r[0] for r in query(env, sql)}


def _rater_file(path: Path, items: list[str], labels: dict[str, list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_key", "labels", "note"])
        for item in items:
            writer.writerow([item, "; ".join(labels[item]), ""])


def test_label_round_trip_kappa_equals_scikit_learn_and_feeds_table5(reviewed, tmp_path_factory):
    env, landing, _, _ = reviewed
    tmp = tmp_path_factory.mktemp("labels")
    warehouse = env["MMS_DUCKDB_PATH"]
    export = tmp / "commits.csv"
    assert (
        mms_extract(["annotations", "export-commits", "--warehouse", warehouse, str(export)]) == 0
    )
    with open(export, encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    assert len(exported) == 385 and all(row["labels"] == "" for row in exported)
    assert all(
        row["link"] == f"https://github.com/{row['repo_id']}/commit/{row['item_key'].split('@')[1]}"
        for row in exported
    )

    activities = taxonomy("commits", warehouse)
    rng = random.Random(5)
    items = [row["item_key"] for row in exported]
    alice = {i: rng.sample(activities, rng.choice([1, 1, 1, 2])) for i in items}
    bob = {
        i: list(alice[i]) if rng.random() < 0.7 else rng.sample(activities, rng.choice([1, 2, 3]))
        for i in items
    }
    disagreements = [i for i in items if set(alice[i]) != set(bob[i])]
    judge = {i: [alice[i][0]] for i in disagreements}
    for name, labels, extra in (
        ("alice", alice, []),
        ("bob", bob, []),
        ("judge", judge, ["--adjudication"]),
    ):
        path = tmp / f"{name}.csv"
        _rater_file(path, list(labels), labels)
        argv = ["--landing-dir", str(landing), "annotations", "import-labels", "--frame", "commits",
                "--rater", name, "--warehouse", warehouse, *extra, str(path)]  # fmt: skip
        assert mms_extract(argv) == 0
    dbt(env, "build", "--select", "stg_annotations__labels+")

    # the documented pairing rule, written independently, then scikit-learn
    a, b = [], []
    for item in items:
        sa, sb = set(alice[item]), set(bob[item])
        pairs = [(x, x) for x in sorted(sa & sb)]
        pairs += list(zip_longest(sorted(sa - sb), sorted(sb - sa), fillvalue="(none)"))
        a += [p[0] for p in pairs]
        b += [p[1] for p in pairs]
    ((kappa, instances, count),) = query(
        env,
        "select cohen_kappa, instance_count, item_count from rater_agreement "
        "where frame = 'commits' and rater_a = 'alice' and rater_b = 'bob'",
    )
    assert (instances, count) == (len(a), 385)
    assert kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)

    final = {i: set(judge[i]) if i in judge else set(alice[i]) for i in items}
    expected = {act: sum(act in labels for labels in final.values()) for act in activities}
    table5 = dict(query(env, "select activity, occurrences from activity_distribution"))
    assert table5 == expected
    assert query(env, "select label_status, count(*) from commit_sample group by 1") == [
        ("labelled", 385)
    ]


def test_wilson_intervals_match_the_formula_with_scipy_quantile(study):
    """The z is scipy's to the last digits (the plugin's probit), not an approximation's (Acklam's
    rational approximation put the bounds 1e-10 off)."""
    env, _, _ = study
    z = norm.ppf(0.975)
    for k, n, low, high in query(
        env,
        "select respondents, total_respondents, share_ci_lower, share_ci_upper from survey_background",
    ):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
        assert (low, high) == (
            pytest.approx(centre - half, rel=1e-13, abs=1e-15),
            pytest.approx(centre + half, rel=1e-13, abs=1e-15),
        )


@pytest.mark.parametrize(
    ("bad_vars", "model"),
    [
        ({"sample_z_score": None, "sample_confidence": 1}, "int_sampling__commit_frame"),
        ({"sample_z_score": None, "sample_confidence": "high"}, "int_sampling__issue_frame"),
        ({"interval_confidence": 0}, "challenge_distribution"),
    ],
)
def test_a_confidence_outside_0_and_1_is_refused_naming_the_var(study, tmp_path, bad_vars, model):
    """A confidence of 1 has no z: the compile stops with one line naming the var, instead of a
    query failing on ln(0) or an infinite z reaching the sample size."""
    env, landing, _ = study
    other = make_env(tmp_path, landing, "bad-var")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--select", model,
         "--vars", json.dumps(bad_vars), "--project-dir", str(DBT_DIR), "--profiles-dir",
         str(DBT_DIR), "--target-path", other["MMS_DBT_TARGET"], "--log-path", other["MMS_DBT_TARGET"]],
        env=other, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    name = next(var for var in bad_vars if var.endswith("confidence"))
    assert done.returncode != 0
    assert f"var {name} must be a number between 0 and 1 (exclusive), got '{bad_vars[name]}'" in (
        done.stdout
    )


def test_figure1_and_table4_cover_the_issue_sample(study):
    env, _, _ = study
    ((n, low, median, high),) = query(
        env, "select n, min, median, max from issue_sample_statistics where measure = 'age_days'"
    )
    days = [r[0] for r in query(env, "select closure_days from issue_sample")]
    assert n == 385 and (low, high) == (min(days), max(days))
    assert median == pytest.approx(statistics.median(days))
    assert query(env, "select count(*) from closure_time_by_challenge") == [(13,)]


#: every documented study parameter, each set away from its default (docs/method.md, "Parameters")
OVERRIDDEN_VARS = {
    "snapshot_date": "2023-10-15",
    "min_age_years": 2,
    "min_commits": 20,
    "max_days_since_last_push": 150,
    "min_stars": 120,
    "contributors_more_than": 2,
    "keyword_match_mode": "token",
    "sample_confidence": 0.9,
    "sample_margin": 0.06,
    "sample_proportion": 0.4,
    "apply_finite_population_correction": True,
    "sample_z_score": None,
    "sampling_seed": "other-seed",
    "issue_frame_filter": "assigned_and_labelled",
    "interval_confidence": 0.9,
}


def test_every_documented_var_is_stamped_on_the_marts():
    """The macro that stamps the marts names exactly the vars dbt_project.yml documents."""
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    macro = (DBT_DIR / "macros" / "build_stamp.sql").read_text()
    listed = re.search(r"return\(\[(.*?)\]\)", macro, re.S).group(1)
    assert sorted(re.findall(r"'(\w+)'", listed)) == sorted(project["vars"])
    assert sorted(OVERRIDDEN_VARS) == sorted(project["vars"])


def test_overriding_every_var_builds_green_and_the_marts_say_so(study, tmp_path):
    """Unit tests pin their own vars, so another value of any var builds (and tests) green; every
    mart then carries the parameters and the build it was computed with."""
    env, landing, _ = study
    other = make_env(tmp_path, landing, "overridden")
    dbt(other, "build", "--vars", json.dumps(OVERRIDDEN_VARS))
    info = query(other, "select build_id, study_parameters from build_info")
    assert len(info) == 1
    build_id, parameters = info[0]
    assert json.loads(parameters) == OVERRIDDEN_VARS
    marts = [
        r[0]
        for r in query(
            other,
            "select table_name from information_schema.columns where column_name = 'build_id' "
            "and table_name <> 'build_info'",
        )
    ]
    assert {"activity_distribution", "commit_sample", "issue_sample", "project_selection"} <= set(
        marts
    )
    for mart in marts:
        stamps = query(other, f"select distinct build_id, study_parameters::varchar from {mart}")
        assert all(stamp == (build_id, parameters) for stamp in stamps), mart
    # The finite-population correction and the other margin change the sample size.
    default_n = query(env, "select distinct target_sample_size from commit_sampling_frame")
    other_n = query(other, "select distinct target_sample_size from commit_sampling_frame")
    assert default_n != other_n
    # The RQ2 frame under each reading of Table 4: all closed issues, or only the assigned and
    # labelled ones (then every sampled issue has both, as in the study's Table 4).
    frame_sql = (
        "select step, run_count from pipeline_counts where step in "
        "('closed_issues', 'closed_issues_assigned_and_labelled', 'issue_sampling_frame')"
    )
    default_counts, other_counts = dict(query(env, frame_sql)), dict(query(other, frame_sql))
    assert default_counts["issue_sampling_frame"] == default_counts["closed_issues"]
    assert (
        other_counts["issue_sampling_frame"]
        == other_counts["closed_issues_assigned_and_labelled"]
        < other_counts["closed_issues"]
    )
    assert query(
        other,
        "select min(assignee_count) >= 1, min(label_count) >= 1, count(*) from issue_sample",
    )[0][:2] == (True, True)


def test_the_warehouse_holds_no_view_over_live_landing_files(study):
    """Every model is a table: the warehouse is a snapshot, readable from any directory, that never
    reads landing files behind an analyst's back (views stored relative read_parquet paths)."""
    env, _, _ = study
    assert (
        query(env, "select table_name from information_schema.tables where table_type = 'VIEW'")
        == []
    )
    assert query(env, "select count(*) from duckdb_tables() where sql ilike '%read_parquet%'") == [
        (0,)
    ]


PROVENANCE = ("build_id", "built_at", "study_parameters")


def test_every_mart_carries_each_provenance_column_once_and_no_duplicated_column(study):
    """A `select *` over a join of two marts stamped twice (commit_sample, issue_sample) left
    DuckDB's deduplicated build_id_1, built_at_1, study_parameters_1 in the mart. Every mart
    (every model under models/marts) is read from the built warehouse's information_schema."""
    env, _, _ = study
    marts = sorted(path.stem for path in (DBT_DIR / "models" / "marts").rglob("*.sql"))
    columns: dict[str, list[str]] = {}
    for table, column in query(
        env, "select table_name, column_name from information_schema.columns order by all"
    ):
        columns.setdefault(table, []).append(column)
    assert set(marts) <= set(columns)
    for mart in marts:
        assert [c for c in columns[mart] if re.search(r"_\d+$", c)] == [], mart
        stamps = [c for c in columns[mart] if re.sub(r"_\d+$", "", c) in PROVENANCE]
        assert sorted(stamps) == sorted(PROVENANCE), mart
