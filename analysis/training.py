"""The real set as training items every study borrows (docs/method.md, "Training on the real set").

A new study starts with few labels of its own: on the real set's commits, a suggester trained on
the other 5 projects of a 6-project study agreed with the raters on 37% of label sets, and on 44%
once the 47 projects outside the study lent their labelled commits too. So the suggester trains on
the study's own adjudicated items *and* on `real_commits.jsonl`: the 1,681 commits of 53 real
projects of benchmarks/real_labels, with what the suggester reads of them (message, sizes,
modified paths, diff summary), built by benchmarks/real_labels/build_training_items.py.

Lent items only train. They are never suggested for, evaluated, sampled or estimated, and a
project the study holds lends nothing (its labels are the study's own to judge), so leave-one-
project-out evaluations and the estimates' cross-fitting stay out of fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.commit_features import CONTENT_COLUMNS, DIFF_COLUMNS

BUNDLED_REAL_SET = Path(__file__).with_name("data") / "real_commits.jsonl"
#: each identifier and import list of the bundle keeps its first this many distinct entries (the
#: diff summary keeps 300): the file stays text, under 5 MB
BUNDLE_MAX_TOKENS = 100
NOT_ML = "NOT_ML"
COLUMNS = (
    "repo_id",
    "hash",
    "labels",
    "message",
    "insertions",
    "deletions",
    "changed_paths",
    *DIFF_COLUMNS,
    *CONTENT_COLUMNS,
)


class TrainingItemsError(ValueError):
    """The bundled training items cannot be used (named file, what is wrong)."""


@dataclass
class LentItems:
    """Labelled items of other projects, in the frame's feature space: they join every training
    set and nothing else. ``final_labels`` is None for a NOT_ML item (it trains relevance only)."""

    features: sp.csr_matrix
    final_labels: list[list[str] | None]
    is_ml_related: np.ndarray
    relevance_score: np.ndarray | None
    projects: int

    def __len__(self) -> int:
        return len(self.final_labels)


def load(
    labels: list[str],
    *,
    exclude_projects: set[str],
    with_diffs: bool,
    exclude_commits: set[str] | None = None,
    path: Path | None = None,
) -> pd.DataFrame:
    """The bundled commits as frame-shaped items (``repo_id``, ``item_id``, ``final_labels``, the
    feature columns), without the projects in ``exclude_projects`` (GitHub names, any case),
    without the commits in ``exclude_commits`` (hashes: the same commit under another name, a
    fork or a renamed repository, is the frame's too) and without the items one of whose labels is
    outside ``labels`` (a study with its own taxonomy); diff columns only when the frame has them
    too, so that both sides are featurised alike."""
    path = path or BUNDLED_REAL_SET
    try:
        # dtype=False: a hash of digits and one "e" is a string, not a float
        table = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
    except (OSError, ValueError) as error:
        raise TrainingItemsError(
            f"{path}: cannot read the bundled training items: {error}"
        ) from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise TrainingItemsError(f"{path}: no column {', '.join(missing)}")
    known = set(labels) | {NOT_ML}
    sets = table["labels"].str.split(";")
    projects = {project.lower() for project in exclude_projects}
    keep = (
        ~table["repo_id"].str.lower().isin(projects)
        & ~table["hash"].isin(exclude_commits or set())
        & sets.map(lambda s: set(s) <= known)
    )
    items = table[keep].rename(columns={"hash": "item_id"}).reset_index(drop=True)
    items["final_labels"] = sets[keep].map(lambda s: None if s == [NOT_ML] else list(s)).tolist()
    if not with_diffs:
        items = items.drop(columns=[*DIFF_COLUMNS, *CONTENT_COLUMNS])
    for column in ("changed_paths", *DIFF_COLUMNS, *CONTENT_COLUMNS):
        if column in items:
            items[column] = items[column].map(lambda v: list(v) if v is not None else [])
    return items.drop(columns="labels")


def write(items: pd.DataFrame, path: Path) -> None:
    """The bundle as JSON Lines (text: reviewable, diffable), one labelled commit a line, its
    identifier and import lists cut to :data:`BUNDLE_MAX_TOKENS`; written beside and renamed."""
    import json

    lists = ("changed_paths", *DIFF_COLUMNS, *CONTENT_COLUMNS)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for row in items[list(COLUMNS)].to_dict("records"):
            for column in lists:
                values = [] if row[column] is None else list(row[column])
                row[column] = values if column == "changed_paths" else values[:BUNDLE_MAX_TOKENS]
            for column in ("insertions", "deletions"):  # unknown where a blob was missing
                row[column] = None if pd.isna(row[column]) else int(row[column])
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    partial.replace(path)


def lent(items: pd.DataFrame, features: sp.csr_matrix, score: np.ndarray | None) -> LentItems:
    """LentItems of ``load``'s items, given their rows of the features built with the frame's."""
    return LentItems(
        features=features,
        final_labels=list(items["final_labels"]),
        is_ml_related=items["final_labels"].notna().to_numpy(),
        relevance_score=score,
        projects=int(items["repo_id"].nunique()),
    )


def featurise(
    items: pd.DataFrame, lent_items: pd.DataFrame, matrix
) -> tuple[sp.csr_matrix, np.ndarray | None, LentItems]:
    """``matrix(commits) -> (features, content score)`` of the frame's items and the lent ones
    together (one vocabulary, one IDF), split into the frame's rows and the lent items."""
    both = pd.concat([items, lent_items.drop(columns="final_labels")], ignore_index=True)
    features, score = matrix(both)
    n = len(items)
    lent_score = None if score is None else score[n:]
    return (
        features[:n],
        None if score is None else score[:n],
        lent(lent_items, features[n:], lent_score),
    )
