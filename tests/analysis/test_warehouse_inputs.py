"""Bad inputs of analysis.warehouse and the suggester settings: one clear line naming the input."""

from __future__ import annotations

import duckdb
import pytest

from analysis.suggester import SuggesterSettings
from analysis.warehouse import WarehouseNotReady, run


def test_a_missing_warehouse_is_named(tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    with pytest.raises(WarehouseNotReady, match=f"warehouse {missing} does not exist"):
        run(missing, tmp_path / "landing")
    assert not (tmp_path / "landing").exists()  # nothing landed


def test_a_warehouse_without_the_marts_asks_for_dbt_build(tmp_path):
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(WarehouseNotReady, match="run `dbt build`"):
        run(path, tmp_path / "landing")
    assert not (tmp_path / "landing").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"folds": 1}, "folds=1: cross-fitting needs at least 2 folds"),
        ({"threshold": 0}, "threshold=0"),
        ({"regularisation_c": -1}, "regularisation_c=-1 must be positive"),
    ],
)
def test_settings_refuse_values_that_cannot_work(options, message):
    with pytest.raises(ValueError, match=message):
        SuggesterSettings(**options)


def test_labels_given_out_of_draw_order_never_reach_the_estimates():
    """An uncertainty-ordered batch labels later draws before earlier ones: the estimates use each
    project's draws up to its first one nobody has labelled; disputes wait for adjudication."""
    import pandas as pd

    from analysis import suggester
    from analysis.warehouse import design_sample

    rows = [
        # stratum, draw_rank, final labels, ML-related, label status
        ("a/x", 1, ["Bug Fix"], None, "labelled"),
        ("a/x", 2, None, False, "pending"),  # rejected by the reviewer: resolved
        ("a/x", 3, None, None, "disagreement"),  # left out, does not cut
        ("a/x", 4, ["Testing"], None, "labelled"),
        ("a/x", 5, None, None, "pending"),  # nobody labelled it yet: the cut
        ("a/x", 6, ["Refactoring"], None, "labelled"),  # labelled out of order: training only
        ("b/y", 1, None, None, "pending"),
        ("b/y", 2, ["Documentation"], None, "labelled"),  # out of order
        ("c/z", 1, ["Plumbing"], None, "labelled"),
    ]
    items = pd.DataFrame(rows, columns=["stratum", "draw_rank", "final_labels", "is_ml_related", "label_status"])  # fmt: skip
    items["item_key"] = items["stratum"] + "#" + items["draw_rank"].astype(str)
    items["in_design_sample"] = True
    items["year"] = 2020
    labels = ["Bug Fix", "Testing", "Refactoring", "Documentation", "Plumbing"]
    inputs = suggester.FrameInputs("commits", labels, items, None)
    probabilities = pd.DataFrame({"item_key": items["item_key"], "p_ml_related": 0.9})
    design = design_sample(inputs, probabilities)
    assert sorted(design["item_key"]) == ["a/x#1", "a/x#2", "a/x#4", "c/z#1"]


def test_the_frames_projects_and_commits_lend_nothing_to_the_warehouse_suggester(tmp_path):
    """The asset's path (read_inputs): a project of the frame, in another case, and a commit of
    the frame under another repository's name are left out of the lent real set."""
    import pandas as pd

    from analysis import training
    from analysis.warehouse import read_inputs

    real = pd.read_json(training.BUNDLED_REAL_SET, lines=True, dtype=False)
    umap = real[real["repo_id"] == "lmcinnes/umap"]
    elsewhere = real[real["repo_id"] != "lmcinnes/umap"].iloc[0]
    frame = pd.DataFrame(
        {
            "commit_key": [f"LMcInnes/UMAP@{umap['hash'].iloc[0]}", f"a/fork@{elsewhere['hash']}"],
            "repo_id": ["LMcInnes/UMAP", "a/fork"],
            "commit_year": [2020, 2021],
            "message": ["Fix the layout", "Add tests"],
            "changed_paths": [["umap/umap_.py"], ["tests/test_model.py"]],
            "insertions": [3, 4],
            "deletions": [1, 0],
            "final_labels": [None, None],
            "review_decision": [None, None],
            "in_design_sample": [False, False],
            "draw_rank": [1, 1],
            "label_status": ["pending", "pending"],
        }
    )
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("frame_rows", frame)
        con.execute("create table commit_label_frame as select * from frame_rows")
        con.execute(
            "create table activity_taxonomy as select * from (values "
            "('Bug Fix', 'Maintenance'), ('Testing', 'Maintenance')) t(activity, category)"
        )
        con.execute("alter table commit_label_frame add column build_id varchar")
        con.execute("alter table commit_label_frame add column built_at timestamp")
        con.execute("alter table commit_label_frame add column study_parameters json")
        inputs = read_inputs(con, "commits", SuggesterSettings(), None)
        # a team's own file (here umap's commits, the forked one and 20 more) obeys the same rules
        ours = pd.concat([umap, real[real["hash"] == elsewhere["hash"]], real.tail(20)])
        training.write(ours, tmp_path / "ours.jsonl")
        only_ours = SuggesterSettings(real_set=False, lent_files=(str(tmp_path / "ours.jsonl"),))
        theirs = read_inputs(con, "commits", only_ours, None)
    lent_labels = [set(labels or ["NOT_ML"]) for labels in inputs.lent.final_labels]
    expected = real[
        (real["repo_id"] != "lmcinnes/umap")
        & (real["hash"] != elsewhere["hash"])
        & real["labels"].str.split(";").map(lambda s: set(s) <= {"Bug Fix", "Testing", "NOT_ML"})
    ]
    assert len(inputs.lent) == len(expected) > 0
    assert all(labels <= {"Bug Fix", "Testing", "NOT_ML"} for labels in lent_labels)
    assert (
        inputs.features.shape[0] == 2 and inputs.lent.features.shape[1] == inputs.features.shape[1]
    )
    tail = real.tail(20)
    allowed = (
        tail["labels"].str.split(";").map(lambda s: set(s) <= {"Bug Fix", "Testing", "NOT_ML"})
    )
    assert len(theirs.lent) == int(allowed.sum()) > 0  # umap's and the forked commit left out
