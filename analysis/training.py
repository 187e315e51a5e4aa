"""The real set as training items every study borrows (docs/method.md, "Training on the real set").

A new study starts with few labels of its own: on the real set's commits, a suggester trained on
the other 5 projects of a 6-project study agreed with the raters on 37% of label sets, and on 44%
once the 47 projects outside the study lent their labelled commits too. So the suggester trains on
the study's own adjudicated items *and* on `real_commits.jsonl.gz`: the 2,132 commits of 69 real
projects of benchmarks/real_labels, with what the suggester reads of them (message, sizes,
modified paths, diff summary), built by benchmarks/real_labels/build_training_items.py.

Lent items only train. They are never suggested for, evaluated, sampled or estimated, and a
project the study holds lends nothing (its labels are the study's own to judge), so leave-one-
project-out evaluations and the estimates' cross-fitting stay out of fold.

A team can lend its own labelled projects the same way: ``mms-suggest lend LABELS.csv --out FILE``
writes a file of this format (:func:`build`), and the suggester's ``lent_files`` (``mms-suggest
evaluate --lend FILE``, the asset's config ``lend`` or ``MMS_LENT_COMMITS``) add it to what the
bundled real set lends: on the real set, each doubling of the projects lent to a 6-project study
added 1.4 to 2.2 points of exact label sets (docs/method.md).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.commit_features import CONTENT_COLUMNS, DIFF_COLUMNS

#: JSON Lines, gzip-compressed: as text, the 2,132 commits take 5.5 MB, over the repository's 5 MB
#: limit per file (1.1 MB compressed); commits.csv is the reviewable source (a test checks that the
#: two agree)
BUNDLED_REAL_SET = Path(__file__).with_name("data") / "real_commits.jsonl.gz"
#: each identifier and import list of the bundle keeps its first this many distinct entries (the
#: diff summary keeps 300)
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
    """A file of training items cannot be used or built (named file, what is wrong)."""


def lent_paths(real_set: bool, lent_files: Sequence[str | Path] = ()) -> list[Path]:
    """The files whose items a suggester with these settings borrows: the bundled real set first
    (when on), then the researcher's own, in the order given."""
    return [*([BUNDLED_REAL_SET] if real_set else []), *(Path(f) for f in lent_files)]


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
        raise TrainingItemsError(f"{path}: cannot read the training items: {error}") from None
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


def load_all(
    labels: list[str],
    paths: Sequence[Path],
    *,
    exclude_projects: set[str],
    with_diffs: bool,
    exclude_commits: set[str] | None = None,
) -> pd.DataFrame:
    """:func:`load` of each file, one table: a commit in two files is lent once, and a commit two
    files label differently is an error naming both (which label would train is not ours to
    choose)."""
    if not paths:
        raise TrainingItemsError("no file of training items to lend")
    tables = []
    for path in paths:
        table = load(
            labels,
            exclude_projects=exclude_projects,
            with_diffs=with_diffs,
            exclude_commits=exclude_commits,
            path=path,
        )
        tables.append(table.assign(source_file=str(path)))
    items = pd.concat(tables, ignore_index=True)
    first = items.drop_duplicates("item_id")
    kept = {
        row.item_id: (row.final_labels, row.source_file) for row in first.itertuples(index=False)
    }
    for row in items[items.duplicated("item_id")].itertuples(index=False):
        labels_there, file_there = kept[row.item_id]
        if _labels_text(labels_there) != _labels_text(row.final_labels):
            raise TrainingItemsError(
                f"{row.source_file} and {file_there} label commit {row.item_id} differently "
                f"({_labels_text(row.final_labels)} / {_labels_text(labels_there)}): "
                "keep it in one file"
            )
    return first.drop(columns="source_file").reset_index(drop=True)


def _labels_text(labels: list[str] | None) -> str:
    return NOT_ML if labels is None else ";".join(sorted(labels))


def build(labels_path: Path, landing_dir: Path) -> pd.DataFrame:
    """The labelled commits of ``labels_path`` (``repo_id, hash, labels``, as ``mms-suggest
    evaluate`` reads it) with what the suggester reads of each, from the landing directory, where
    they must be mined and their diffs summarised: the rows :func:`write` takes."""
    from analysis import commit_features, evaluation

    labelled = evaluation.read_labels(
        labels_path, "commits", evaluation.taxonomy("commits"), min_projects=1
    )
    items = evaluation.commit_items(landing_dir, labelled)
    if not commit_features.has_diffs(items):
        raise TrainingItemsError(
            f"{landing_dir}: no diff summaries of the commits of {labels_path}: run "
            "`mms-extract git diffs` on their repositories first"
        )
    given = {(r.repo_id, r.item_id): ";".join(r.labels) for r in labelled.rows.itertuples()}
    keys = list(zip(items["repo_id"], items["item_id"], strict=True))
    items = items[[key in given for key in keys]].copy()
    items["labels"] = [given[key] for key in zip(items["repo_id"], items["item_id"], strict=True)]
    items = items.rename(columns={"item_id": "hash"})
    return items.sort_values(["repo_id", "hash"])[list(COLUMNS)].reset_index(drop=True)


def write(items: pd.DataFrame, path: Path) -> None:
    """The bundle as JSON Lines, one labelled commit a line, its identifier and import lists cut
    to :data:`BUNDLE_MAX_TOKENS`; gzip-compressed when ``path`` ends in ``.gz`` (without a
    timestamp: the same items give the same bytes); written beside and renamed."""
    import gzip

    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as raw:
        compressed = path.suffix == ".gz"
        stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") if compressed else raw
        with io.TextIOWrapper(stream, encoding="utf-8") as handle:
            _write_rows(items, handle)
    partial.replace(path)


def _write_rows(items: pd.DataFrame, handle) -> None:
    import json

    lists = ("changed_paths", *DIFF_COLUMNS, *CONTENT_COLUMNS)
    for row in items[list(COLUMNS)].to_dict("records"):
        for column in lists:
            values = [] if row[column] is None else list(row[column])
            row[column] = values if column == "changed_paths" else values[:BUNDLE_MAX_TOKENS]
        for column in ("insertions", "deletions"):  # unknown where a blob was missing
            row[column] = None if pd.isna(row[column]) else int(row[column])
        handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")


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
