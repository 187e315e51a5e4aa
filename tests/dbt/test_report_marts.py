"""The marts the report reads beside the study: pipeline counts, Table 2's matches and the study's
values joined in, recomputed here from the landed files and the seeds (never copied from the
warehouse)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from .conftest import DBT_DIR, query


def _landed(landing: Path, table: str, columns: str) -> list[tuple]:
    return duckdb.sql(
        f"select {columns} from read_parquet('{landing}/{table}/*.parquet', union_by_name = true)"
    ).fetchall()


def _seed(name: str) -> list[dict[str, str]]:
    with open(DBT_DIR / "seeds" / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_pipeline_counts_equal_the_landed_data_of_the_selected_projects(study):
    env, landing, _ = study
    selected = {r[0] for r in query(env, "select repo_id from selected_projects")}
    commits = [
        (key, message)
        for key, repo, message in _landed(
            landing, "git/commits", "repo_id || '@' || commit_hash, repo_id, message"
        )
        if repo in selected
    ]
    empty = {key for key, message in commits if message.strip(" \t\n\r") == ""}
    files = [
        commit
        for commit, repo in _landed(
            landing, "git/modified_files", "repo_id || '@' || commit_hash, repo_id"
        )
        if repo in selected
    ]
    issues = [
        (assignees, labels)
        for repo, is_pr, assignees, labels in _landed(
            landing, "github/issues", "repo_id, is_pull_request, len(assignees), len(labels)"
        )
        if repo in selected and not is_pr
    ]
    expected = {
        "selected_projects": len(selected),
        "commits_mined": len(commits),
        "commits_with_message": len(commits) - len(empty),
        "modified_files_mined": len(files),
        "modified_files_with_message": sum(commit not in empty for commit in files),
        "closed_issues": len(issues),
        "closed_issues_assigned_and_labelled": sum(a >= 1 and b >= 1 for a, b in issues),
        "issue_sampling_frame": len(issues),
        "commit_sample": 385,
        "issue_sample": 385,
    }
    rows = {
        r[0]: r[1:] for r in query(env, "select step, run_count, study_count from pipeline_counts")
    }
    assert {step: rows[step][0] for step in expected} == expected
    assert expected["closed_issues_assigned_and_labelled"] < expected["closed_issues"]
    # every step of the seed has a count, and the study's counts are the seed's
    study = {row["step"]: int(row["study_count"]) if row["study_count"] else None
             for row in _seed("study_pipeline_counts")}  # fmt: skip
    assert {step: values[1] for step, values in rows.items()} == study
    assert study["candidate_projects"] == 4031 and study["model_file_commits"] == 95765


def test_keyword_matches_count_the_model_files_of_model_file_commits(study):
    env, landing, _ = study
    variants: dict[str, set[str]] = defaultdict(set)
    printed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    rows_of_table_2: dict[str, int] = {}
    for row in _seed("model_file_keywords"):
        variants[row["keyword"]].add(row["variant"].lower())
        rows_of_table_2[row["keyword"]] = int(row["table_2_row"])
        if row["table_2_position"]:
            printed[row["keyword"]].append((int(row["table_2_position"]), row["variant"]))
    model_file_commits = {
        r[0] for r in query(env, "select commit_key from int_commits__model_file_commits")
    }
    files = _landed(
        landing,
        "git/modified_files",
        "repo_id || '@' || commit_hash, repo_id || '@' || commit_hash || '#' || file_index, "
        "coalesce(new_path, old_path)",
    )
    matched_files, matched_commits = defaultdict(set), defaultdict(set)
    for commit, file_key, path in files:
        if commit not in model_file_commits:
            continue
        for keyword, forms in variants.items():
            if any(form in path.lower() for form in forms):
                matched_files[keyword].add(file_key)
                matched_commits[keyword].add(commit)
    rows = query(
        env,
        "select keyword, table_2_row, printed_variants, model_files, model_file_commits "
        "from keyword_matches",
    )
    # Table 2's Variants cells as printed: in the cell's order, a repeated keyword included
    assert {r[0]: (r[1], r[2], r[3], r[4]) for r in rows} == {
        keyword: (rows_of_table_2[keyword], [v for _, v in sorted(printed[keyword])],
                  len(matched_files[keyword]), len(matched_commits[keyword]))
        for keyword in variants
    }  # fmt: skip
    assert any(r[3] > 0 for r in rows)


@pytest.mark.parametrize(("mart", "table"), [
    ("project_statistics", "table_1"),
    ("commit_sample_statistics", "table_3"),
    ("issue_sample_statistics", "table_4"),
])  # fmt: skip
def test_statistics_marts_carry_the_study_values_of_their_table(study, mart, table):
    env, _, _ = study
    seed = {row["measure"]: row for row in _seed("study_descriptive_statistics")
            if row["study_table"] == table}  # fmt: skip
    rows = query(
        env,
        f"select measure, label, study_mean, study_median, study_std, study_min, study_max from {mart}",
    )
    assert {r[0] for r in rows} == set(seed)
    for measure, label, *values in rows:
        printed = seed[measure]
        assert label == printed["label"]
        assert values == [
            float(printed[c]) if printed[c] else None
            for c in ("study_mean", "study_median", "study_std", "study_min", "study_max")
        ]
