"""End to end on a small generated study with known truth: the real `dbt build`, the suggester
reading the published marts, its landed files staged by the next build, staleness."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from analysis.population import PPI, WILSON
from analysis.warehouse import run
from demo.truth import truth_by_key
from extract.annotations.files import import_labels

from ..conftest import run_dbt


def _df(env, sql: str) -> pd.DataFrame:
    with duckdb.connect(env["MMS_DUCKDB_PATH"], read_only=True) as con:
        return con.execute(sql).df()


def _true_shares(env, truth_dir: Path) -> dict[tuple[str, str], float]:
    """The shares the estimates aim at, from the truth of every frame item."""
    shares = {}
    for frame, mart, key, level in (
        ("commits", "commit_label_frame", "commit_key", "activity"),
        ("issues", "issue_label_frame", "issue_key", "challenge"),
    ):
        truth = truth_by_key(truth_dir, frame)
        keys = _df(env, f"select {key} as k from {mart}")["k"]
        counts: dict[str, int] = {}
        relevant = 0
        for k in keys:
            is_ml, labels = truth[k]
            relevant += bool(is_ml)
            for label in labels if is_ml else []:
                counts[label] = counts.get(label, 0) + 1
        total = sum(counts.values())
        for label, count in counts.items():
            shares[(level, label)] = count / total
        shares[(frame, "ML-related")] = relevant / len(keys)
    categories = _df(env, "select activity, category from activity_taxonomy")
    for category, group in categories.groupby("category"):
        shares[("category", category)] = sum(
            shares.get(("activity", a), 0.0) for a in group["activity"]
        )
    return shares


def test_suggestions_and_estimates_through_the_real_dbt_build(labelled_study, tmp_path):
    env, landing, truth_dir = labelled_study
    # Work on a copy: other tests share the session's study.
    work_landing = tmp_path / "landing"
    shutil.copytree(landing, work_landing)
    shutil.copy(env["MMS_DUCKDB_PATH"], tmp_path / "warehouse.duckdb")
    env = {**env, "MMS_LANDING_DIR": str(work_landing)}
    env["MMS_DUCKDB_PATH"] = str(tmp_path / "warehouse.duckdb")

    # Before any suggestion: the estimate marts exist, empty, and say why.
    before = _df(env, "select estimate, estimate_status from activity_estimates")
    assert before["estimate"].isna().all()
    assert before["estimate_status"].str.contains("no suggestions computed yet").all()

    facts, results = run(Path(env["MMS_DUCKDB_PATH"]), work_landing)
    assert facts.is_sample_data
    assert [(r.frame, r.status) for r in results] == [("commits", "ok"), ("issues", "ok")]
    landed = pq.read_table(work_landing / "suggestions/label_suggestions/commits.parquet")
    frame_size = _df(env, "select count(*) as n from commit_label_frame")["n"].item()
    assert landed.num_rows == frame_size
    first = landed.slice(0, 1).to_pylist()[0]
    assert len(first["label_probabilities"]) == 16 and first["suggested_labels"]
    assert first["model_version"].startswith("mms-suggester") and first["training_items"] >= 385
    # What reads the landed suggestions, with its tests; the rest of the project was built and
    # tested with the study and reads nothing new.
    run_dbt(env, "build", "--select", "source:suggestions+")

    status = _df(env, "select * from suggestion_status order by frame")
    assert status["has_suggestions"].all() and not status["is_stale"].any()
    assert status["is_sample_data"].all()

    estimates = pd.concat(
        [
            _df(env, "select * from activity_estimates"),
            _df(env, "select * from challenge_estimates"),
        ]
    )
    assert (estimates["estimate_status"] == "ok").all()
    shares = _true_shares(env, truth_dir)
    estimates["truth"] = [
        shares.get((frame if level == "ml_related" else level, name))
        for level, name, frame in zip(
            estimates["level"],
            estimates["name"],
            ["commits"] * 23 + ["issues"] * (len(estimates) - 23),
            strict=True,
        )
    ]
    known = estimates[estimates["truth"].notna()]
    covered = (known["ci_lower"] <= known["truth"]) & (known["truth"] <= known["ci_upper"])
    # One study, ~36 intervals at 95%: nominal coverage over many seeds is test_population's job.
    assert covered.mean() >= 0.8, known[~covered][["name", "estimate", "truth"]]
    # Like with like: where PPI ran, its interval against the sample-only one of the same design;
    # the marts say which method gave each interval, and what the model did, in words.
    assert (estimates["ci_width"] > 0).all()
    assert set(estimates["interval_method"]) <= {PPI, WILSON}
    ppi_rows = estimates[estimates["interval_method"] == PPI]
    assert (ppi_rows["width_ratio_to_sample"] <= 1 + 1e-9).mean() > 0.9
    assert estimates["model_note"].str.len().gt(20).all()

    agreement = _df(env, "select * from suggester_agreement where metric_scope = 'all labels'")
    assert agreement["cohen_kappa"].between(0.2, 1).all()
    # the stricter form (each disagreeing label paired with none) is lower on this data
    assert (agreement["cohen_kappa_none_pairs"] < agreement["cohen_kappa"]).all()
    assert agreement["rater_kappa_mean"].notna().all()

    trends = _df(env, "select * from challenge_trends")
    assert trends["closed_year"].nunique() >= 2
    thin = trends[trends["labelled_items_in_year"] < 20]
    assert thin["estimate"].isna().all()

    # A new adjudication changes the labels: the build marks every estimate stale, with a reason ...
    item = _df(env, "select commit_key from commit_sample order by 1 limit 1")["commit_key"].item()
    consensus = tmp_path / "consensus.csv"
    consensus.write_text(f"item_key,labels\n{item},Model Porting\n", encoding="utf-8")
    import_labels(
        work_landing,
        consensus,
        "commits",
        "second-panel",
        Path(env["MMS_DUCKDB_PATH"]),
        adjudication=True,
    )
    # The models that read the labels or the suggestions suffice here; the tests ran above.
    run_dbt(env, "run", "--select", "source:annotations+", "source:suggestions+")
    stale = _df(env, "select frame, is_stale, stale_reason from suggestion_status order by frame")
    assert stale["is_stale"].tolist() == [True, False]
    assert "labels or reviews changed" in stale["stale_reason"][0]
    assert _df(env, "select bool_and(is_stale) as s from activity_estimates")["s"].item()
    # ... until the suggestions are computed again from the published build.
    run(Path(env["MMS_DUCKDB_PATH"]), work_landing)
    run_dbt(env, "run", "--select", "source:suggestions+")
    assert not _df(env, "select bool_or(is_stale) as s from suggestion_status")["s"].item()
