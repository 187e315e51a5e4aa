"""Annotations from Label Studio back into the landing zone, through the CSV importer's path.

Each task's newest submitted (not skipped) annotation is the rater's answer: an annotation changed
in the tool replaces the old one at the next import. Its choices become a label row
(:func:`extract.annotations.files.land_labels`, the CSV import's validation and atomic landing);
``not ML-related`` becomes the rater's sample review ``reject``
(:func:`extract.annotations.files.land_sample_reviews`), so the next build replaces the item as the
study did. Re-importing unchanged annotations lands the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

import landing
from extract.annotations import files
from extract.annotations.files import AnnotationFileError, Source
from labelling.client import LabelStudio
from labelling.config import CHOICES, NOT_ML_RELATED
from labelling.rounds import project_title


@dataclass
class Answer:
    task_id: int
    item_key: str
    choices: list[str]


@dataclass
class ImportedRater:
    rater: str
    title: str
    tasks: int
    labelled: int
    not_ml_related: int
    landed: Path | None
    #: items the rater's previous import from this project had, whose task is gone from the tool
    deleted_tasks: list[str] = field(default_factory=list)
    #: labelled items that left the sample (rejected since): not landed as labels
    left_sample: list[str] = field(default_factory=list)

    @property
    def left(self) -> int:
        return self.tasks - self.labelled - self.not_ml_related - len(self.left_sample)

    def lines(self) -> list[str]:
        state = "partial" if self.left > 0 else "complete"
        out = [
            f"{self.title}: {self.labelled} labelled, {self.not_ml_related} not ML-related, "
            f"{self.left} left of {self.tasks} task(s) ({state})"
            + (f"; landed {self.landed}" if self.landed else "; nothing labelled, nothing landed")
        ]
        if self.deleted_tasks:
            out.append(
                f"warning: {len(self.deleted_tasks)} task(s) of {self.rater}'s previous import "
                f"were deleted in Label Studio; their labels are no longer landed: "
                f"{self.deleted_tasks[:5]}"
            )
        if self.left_sample:
            out.append(
                f"note: {len(self.left_sample)} labelled task(s) are no longer in the sample "
                f"(replaced): {self.left_sample[:5]}"
            )
        return out


def _choices(annotation: dict) -> list[str]:
    found: list[str] = []
    for result in annotation.get("result") or []:
        if result.get("from_name") == CHOICES:
            found += [c for c in result.get("value", {}).get("choices", []) if c not in found]
    return found


def answers(exported: list[dict]) -> tuple[list[Answer], set[str]]:
    """(the newest submitted annotation of every answered task, every task's item key)."""
    found = []
    for task in exported:
        submitted = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
        if not submitted:
            continue
        newest = max(submitted, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0))
        found.append(Answer(task["id"], task["data"].get("item_key", ""), _choices(newest)))
    return found, {str(task["data"].get("item_key", "")).lower() for task in exported}


def _previous_items(root: Path, table: str, stem: str, source: Source) -> set[str]:
    """Item keys of the person's landed import that came from this project."""
    path = landing.table_dir(root, table) / f"{stem}.parquet"
    if not path.exists():
        return set()
    rows = pq.read_table(path, columns=["item_key", "source_file"]).to_pylist()
    return {r["item_key"].lower() for r in rows if r["source_file"] == source.name}


def _split(source: Source, found: list[Answer], sample: set[str]):
    labels, rejects, left_sample = [], [], []
    for answer in found:
        if NOT_ML_RELATED in answer.choices:
            if len(answer.choices) > 1:
                raise AnnotationFileError(
                    f"{source.at(answer.task_id)}: item {answer.item_key!r} is both "
                    f"{NOT_ML_RELATED!r} and labelled {answer.choices}; choose one"
                )
            rejects.append(
                (answer.task_id, {"item_key": answer.item_key, "decision": "reject",
                                  "note": f"{NOT_ML_RELATED} (Label Studio)"})
            )  # fmt: skip
        elif answer.item_key.lower() not in sample:
            left_sample.append(answer.item_key)
        else:
            labels.append(
                (answer.task_id, {"item_key": answer.item_key, "labels": "; ".join(answer.choices)})
            )
    return labels, rejects, left_sample


def import_rater(
    client: LabelStudio,
    root: Path,
    warehouse: Path,
    frame: str,
    round_name: str,
    rater: str,
    adjudication: bool = False,
) -> ImportedRater:
    """Land one rater's (or, with ``adjudication``, the adjudicator's) answers of the round."""
    rater = files.validate_person(rater)
    title = project_title(frame, round_name, None if adjudication else rater)
    project = client.project_by_title(title)
    if project is None:
        raise AnnotationFileError(
            f"no Label Studio project {title!r} at {client.url}; run `mms-label export` first"
        )
    source = Source(f"label-studio:{client.project_link(project['id'])}", row_word="task")
    found, task_keys = answers(client.export_tasks(project["id"]))
    sample = files.sample_items(warehouse, frame)
    labels, rejects, left_sample = _split(source, found, sample)
    stem = f"{frame}__{rater}"
    before = _previous_items(root, "annotations/labels", stem, source)
    deleted = sorted(before - task_keys)
    landed = None
    if labels:
        landed = files.land_labels(
            root, labels, source, frame, rater, warehouse,
            adjudication=adjudication, partial=True,
        )  # fmt: skip
    elif before:  # every answer from this project withdrawn or turned not ML-related
        (landing.table_dir(root, "annotations/labels") / f"{stem}.parquet").unlink()
    _land_rejects(root, rejects, source, frame, rater, warehouse)
    return ImportedRater(
        rater, title, len(task_keys), len(labels), len(rejects), landed, deleted,
        sorted(left_sample),
    )  # fmt: skip


def _land_rejects(root, rejects, source: Source, frame: str, rater: str, warehouse: Path) -> None:
    """The rater's not-ML-related answers replace their previous review import; when they have
    none left and that import came from this project, it is withdrawn (an answer changed in the
    tool from not ML-related to labels un-rejects the item)."""
    if rejects:
        files.land_sample_reviews(root, rejects, source, frame, rater, warehouse)
        return
    stem = f"{frame}__{rater}"
    if _previous_items(root, "annotations/sample_reviews", stem, source):
        (landing.table_dir(root, "annotations/sample_reviews") / f"{stem}.parquet").unlink()
