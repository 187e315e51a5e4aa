"""The real set every study borrows (analysis/training.py): the bundled file is the labelled real
set, a study's own projects lend nothing, and a broken file is one error naming it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import evaluation, training
from analysis.commit_features import CONTENT_COLUMNS, DIFF_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
ACTIVITIES = evaluation.taxonomy("commits")


def test_the_bundled_file_holds_the_real_sets_labels_and_what_the_suggester_reads():
    bundled = pd.read_json(training.BUNDLED_REAL_SET, lines=True, dtype=False)
    labelled = pd.read_csv(ROOT / "benchmarks" / "real_labels" / "commits.csv")
    # built from commits.csv (build_training_items.py): the same commits, the same labels
    assert sorted(
        zip(bundled["repo_id"], bundled["hash"], bundled["labels"], strict=True)
    ) == sorted(zip(labelled["repo_id"], labelled["hash"], labelled["labels"], strict=True))
    assert bundled["message"].str.strip().ne("").all()
    assert bundled["changed_paths"].map(len).gt(0).all()
    # the diff summary was mined for every repository
    assert bundled["model_added_identifiers"].map(len).gt(0).mean() > 0.5


def test_a_project_of_the_study_lends_nothing_and_not_ml_items_train_relevance_only():
    everything = training.load(ACTIVITIES, exclude_projects=set(), with_diffs=True)
    labelled = pd.read_csv(ROOT / "benchmarks" / "real_labels" / "commits.csv")
    assert len(everything) == len(labelled)
    assert everything["repo_id"].nunique() == labelled["repo_id"].nunique()
    items = training.load(
        ACTIVITIES, exclude_projects={"lmcinnes/umap", "jupyterhub/jupyterhub"}, with_diffs=False
    )
    assert not {"lmcinnes/umap", "jupyterhub/jupyterhub"} & set(items["repo_id"])
    assert len(items) == len(everything) - (everything["repo_id"].isin(
        {"lmcinnes/umap", "jupyterhub/jupyterhub"})).sum()  # fmt: skip
    # a frame without diff summaries: the lent items are featurised without them too
    assert not {*DIFF_COLUMNS, *CONTENT_COLUMNS} & set(items.columns)
    not_ml = labelled[labelled["labels"].eq("NOT_ML") & labelled["repo_id"].isin(items["repo_id"])]
    assert items["final_labels"].isna().sum() == len(not_ml) > 0


def test_the_same_project_in_another_case_or_the_same_commit_elsewhere_lends_nothing():
    everything = training.load(ACTIVITIES, exclude_projects=set(), with_diffs=False)
    umap = everything[everything["repo_id"] == "lmcinnes/umap"]
    # GitHub names are case-insensitive
    items = training.load(ACTIVITIES, exclude_projects={"LMcInnes/UMAP"}, with_diffs=False)
    assert len(items) == len(everything) - len(umap)
    # a fork or a renamed repository: its commits are the frame's under another name
    forked = set(umap["item_id"][:5])
    items = training.load(
        ACTIVITIES, exclude_projects={"someone/umap-fork"}, exclude_commits=forked, with_diffs=False
    )
    assert len(items) == len(everything) - 5 and not forked & set(items["item_id"])


def test_items_with_a_label_outside_the_studys_taxonomy_are_left_out():
    items = training.load(["Bug Fix", "Testing"], exclude_projects=set(), with_diffs=False)
    assert len(items) > 0
    for labels in items["final_labels"].dropna():
        assert set(labels) <= {"Bug Fix", "Testing"}


def test_an_unreadable_or_incomplete_file_is_one_error_naming_it(tmp_path):
    broken = tmp_path / "real_commits.jsonl"
    broken.write_text("not json\n")
    with pytest.raises(training.TrainingItemsError, match=str(broken)):
        training.load(ACTIVITIES, exclude_projects=set(), with_diffs=False, path=broken)
    everything = training.load(ACTIVITIES, exclude_projects=set(), with_diffs=True)
    written = everything.rename(columns={"item_id": "hash"}).assign(labels="Testing")
    written.drop(columns=["message", "final_labels"]).to_json(broken, orient="records", lines=True)
    with pytest.raises(training.TrainingItemsError, match="no column message"):
        training.load(ACTIVITIES, exclude_projects=set(), with_diffs=False, path=broken)


def test_the_file_stays_under_5_mb_and_round_trips_to_the_same_bytes(tmp_path):
    """Tracked files over 5 MB are refused; a hash of digits and one "e" stays a string; the
    compressed file carries no timestamp, so rebuilding it from the same labels changes nothing
    in git, and a plain .jsonl (what `mms-suggest lend` may write) holds the same items."""
    assert training.BUNDLED_REAL_SET.stat().st_size < 5_000_000
    items = training.load(ACTIVITIES, exclude_projects=set(), with_diffs=True)
    assert items["item_id"].map(type).eq(str).all() and items["item_id"].str.len().eq(40).all()
    longest = items["other_added_identifiers"].map(len).max()
    assert 0 < longest <= training.BUNDLE_MAX_TOKENS
    again = _written(items, tmp_path / "again.jsonl.gz")
    assert again.read_bytes() == training.BUNDLED_REAL_SET.read_bytes()
    plain = _written(items, tmp_path / "plain.jsonl")
    assert plain.read_bytes().startswith(b'{"repo_id":')
    reread = training.load(ACTIVITIES, exclude_projects=set(), with_diffs=True, path=plain)
    pd.testing.assert_frame_equal(reread, items)


def _written(items: pd.DataFrame, path: Path) -> Path:
    """``load``'s items written back as a file of training items."""
    rows = items.rename(columns={"item_id": "hash"})
    rows["labels"] = rows["final_labels"].map(lambda s: ";".join(s) if s else training.NOT_ML)
    training.write(rows, path)
    return path


def test_several_files_lend_a_commit_once_and_a_disagreement_is_an_error_naming_both(tmp_path):
    everything = training.load(ACTIVITIES, exclude_projects=set(), with_diffs=True)
    ours = _written(everything.head(30), tmp_path / "ours.jsonl")
    paths = training.lent_paths(True, [ours])
    assert paths == [training.BUNDLED_REAL_SET, ours]
    assert training.lent_paths(False, []) == []
    with pytest.raises(training.TrainingItemsError, match="no file"):
        training.load_all(ACTIVITIES, [], exclude_projects=set(), with_diffs=False)
    # the same 30 commits in both files: lent once
    both = training.load_all(ACTIVITIES, paths, exclude_projects=set(), with_diffs=False)
    assert len(both) == len(everything)
    assert both["item_id"].is_unique
    # a project excluded is excluded from every file
    project = everything["repo_id"].iloc[0]
    without = training.load_all(ACTIVITIES, paths, exclude_projects={project}, with_diffs=False)
    assert project not in set(without["repo_id"])
    # the same labels in another order are the same labels
    reordered = everything.head(30).copy()
    reordered["final_labels"] = reordered["final_labels"].map(lambda s: s[::-1] if s else s)
    same = _written(reordered, tmp_path / "same.jsonl")
    assert (
        len(training.load_all(ACTIVITIES, [ours, same], exclude_projects=set(), with_diffs=False))
        == 30
    )
    # one of them labelled otherwise: which label trains is not the suggester's to choose
    relabelled = everything.head(30).copy()
    relabelled.loc[relabelled.index[3], "final_labels"] = ["Model Porting"]
    theirs = _written(relabelled, tmp_path / "theirs.jsonl")
    with pytest.raises(training.TrainingItemsError) as error:
        training.load_all(ACTIVITIES, [ours, theirs], exclude_projects=set(), with_diffs=False)
    message = str(error.value)
    assert str(ours) in message and str(theirs) in message
    assert everything["item_id"].iloc[3] in message and "Model Porting" in message
