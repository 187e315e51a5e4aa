"""Labelling rounds in Label Studio: export the sample to one project per rater, import it back.

A round is a name (``round-1``); each rater of a round gets a project of their own, titled
``<frame> <round> <rater>``, so raters never see each other's labels; the adjudication project
``<frame> <round> adjudication`` holds only the items the raters disagree on, with every rater's
labels shown. The import lands through the CSV importer's validation and landing
(:func:`extract.annotations.files.land_labels`): the same errors, one atomic file per rater that
replaces their previous import, nothing landed when anything is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from extract.annotations import files
from extract.annotations.files import AnnotationFileError
from labelling import tasks as task_data
from labelling.client import MAX_TITLE, LabelStudio
from labelling.config import label_config

ADJUDICATION = "adjudication"
_ROUND = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}")


def project_title(frame: str, round_name: str, rater: str | None) -> str:
    """``commits round-1 alice`` (``adjudication`` for the adjudication project)."""
    files._check_frame(frame)
    if not _ROUND.fullmatch(round_name or ""):
        raise AnnotationFileError(
            f"invalid round name {round_name!r}: use 1-32 letters, digits or '-'"
        )
    who = ADJUDICATION if rater is None else files.validate_person(rater)
    title = f"{frame} {round_name} {who}"
    if len(title) > MAX_TITLE:
        raise AnnotationFileError(
            f"project title {title!r} is longer than Label Studio's {MAX_TITLE} characters; "
            "use a shorter round or rater name"
        )
    return title


@dataclass
class ExportedProject:
    title: str
    project_id: int
    link: str
    added: int
    kept: int
    #: item keys of tasks whose item is no longer in the sample (rejected and replaced)
    left_sample: list[str] = field(default_factory=list)

    def line(self) -> str:
        gone = f", {len(self.left_sample)} no longer in the sample" if self.left_sample else ""
        return f"{self.title}: {self.added} task(s) added, {self.kept} kept{gone} ({self.link})"


def _ensure_project(client: LabelStudio, title: str, description: str, config: str) -> dict:
    fields = {
        "title": title,
        "description": description,
        "label_config": config,
        # predictions pre-fill a rater's annotation; one annotation per task and rater
        "show_collab_predictions": True,
        "maximum_annotations": 1,
        "sampling": "Sequential sampling",
    }
    project = client.project_by_title(title)
    if project is None:
        return client.create_project(fields)
    return client.update_project(project["id"], fields)


def _sync_tasks(
    client: LabelStudio, project: dict, title: str, wanted: list[dict], sample: set[str]
) -> ExportedProject:
    """Add the tasks of items the project lacks; tasks already there keep their annotations."""
    existing = {t["data"].get("item_key", "").lower() for t in client.export_tasks(project["id"])}
    new = [t for t in wanted if t["data"]["item_key"].lower() not in existing]
    if new:
        client.import_tasks(project["id"], new)
    versions = {p["model_version"] for t in wanted for p in t.get("predictions", [])}
    if versions:
        client.update_project(project["id"], {"model_version": sorted(versions)[-1]})
    return ExportedProject(
        title=title,
        project_id=project["id"],
        link=client.project_link(project["id"]),
        added=len(new),
        kept=len(existing) - len(existing - sample),
        left_sample=sorted(existing - sample),
    )


def rater_tasks(warehouse: Path, frame: str, mirror_dir: Path) -> tuple[dict[str, str], list]:
    """(taxonomy name -> definition, the frame's tasks with their predictions)."""
    with task_data.connect(warehouse) as con:
        definitions = task_data.taxonomy_definitions(con, frame)
        if frame == "commits":
            rows = task_data.commit_rows(con)
            data = [task_data.commit_task(row, mirror_dir) for row in rows]
        else:
            rows = task_data.issue_rows(con)
            data = [task_data.issue_task(row) for row in rows]
    return definitions, [
        {"data": item, "predictions": task_data.prediction(frame, row)}
        for item, row in zip(data, rows, strict=True)
    ]


def export_round(
    client: LabelStudio,
    warehouse: Path,
    frame: str,
    round_name: str,
    raters: list[str],
    mirror_dir: Path,
) -> list[ExportedProject]:
    """Create or update one project per rater of the round with every item of the sample."""
    titles = [project_title(frame, round_name, rater) for rater in raters]
    if len(set(titles)) != len(titles):
        raise AnnotationFileError(f"a rater is named twice in {raters}")
    client.check()
    definitions, wanted = rater_tasks(warehouse, frame, mirror_dir)
    sample = {t["data"]["item_key"].lower() for t in wanted}
    config = label_config(frame, definitions)
    done = []
    for rater, title in zip(raters, titles, strict=True):
        description = (
            f"{rater}'s labels of the {frame} sample, {round_name}. Pre-filled choices are the "
            "label suggester's suggestions, not another rater's labels."
        )
        project = _ensure_project(client, title, description, config)
        done.append(_sync_tasks(client, project, title, wanted, sample))
    return done


def disagreement_tasks(warehouse: Path, frame: str, mirror_dir: Path) -> tuple[dict, list]:
    """The sample items whose raters disagree, each with every rater's labels beside it."""
    definitions, tasks = rater_tasks(warehouse, frame, mirror_dir)
    model = "commit_sample" if frame == "commits" else "issue_sample"
    key = "commit_key" if frame == "commits" else "issue_key"
    with task_data.connect(warehouse) as con:
        given = con.execute(
            f"""
            select lower(sample.{key}), labels.rater,
                   string_agg(labels.label, '; ' order by labels.label) as labels
            from {model} as sample
            join stg_annotations__labels as labels
                on labels.frame = '{frame}' and lower(labels.item_key) = lower(sample.{key})
                and not labels.is_adjudication
            where sample.label_status = 'disagreement'
            group by all order by 1, 2
            """
        ).fetchall()
    by_item: dict[str, list[str]] = {}
    for item, rater, labels in given:
        by_item.setdefault(item, []).append(f"{rater}: {labels}")
    chosen = []
    for task in tasks:
        item = task["data"]["item_key"].lower()
        if item in by_item:
            data = {k: v for k, v in task["data"].items() if k != "suggestion"}
            chosen.append({"data": {**data, "rater_labels": "\n".join(by_item[item])}})
    return definitions, chosen


def export_adjudication(
    client: LabelStudio, warehouse: Path, frame: str, round_name: str, mirror_dir: Path
) -> ExportedProject:
    """Create or update the round's adjudication project with the disagreements only."""
    title = project_title(frame, round_name, None)
    client.check()
    definitions, wanted = disagreement_tasks(warehouse, frame, mirror_dir)
    if not wanted:
        raise AnnotationFileError(
            f"no {frame} item is in disagreement in {warehouse}: import both raters' labels and "
            "rebuild the warehouse first"
        )
    description = f"Adjudication of the {frame} items the raters of {round_name} disagree on."
    project = _ensure_project(
        client, title, description, label_config(frame, definitions, adjudication=True)
    )
    return _sync_tasks(
        client, project, title, wanted, {t["data"]["item_key"].lower() for t in wanted}
    )
