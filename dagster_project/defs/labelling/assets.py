"""Labelling rounds in Label Studio as assets (labelling/ wraps the tool; docs/labelling.md).

``labelling/label_studio_projects`` creates or updates the round's projects from the published
sample; ``labelling/rater_annotations`` lands the raters' annotations through the CSV importer's
path and shows per rater what is labelled and left, and kappa so far. Neither is automated: a round
is started and collected when the team says so (launch with the round's config). Label Studio's
address and token come from the environment at run time (MMS_LABEL_STUDIO_URL,
MMS_LABEL_STUDIO_TOKEN), never from run config, so the token reaches neither the event log nor
the run's stored config.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from base import settings
from dagster_project.defs.annotations.sources import (
    LABELS,
    SAMPLE_REVIEWS,
    record_landed_annotations,
)
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.warehouse.dbt import model_key
from extract.annotations.files import AnnotationFileError
from labelling import rounds
from labelling.client import LabelStudioError, from_environment
from labelling.imports import import_rater

PROJECTS = dg.AssetKey(["labelling", "label_studio_projects"])
ANNOTATIONS = dg.AssetKey(["labelling", "rater_annotations"])


class LabellingRound(dg.Config):
    round: str = Field(default="round-1", description="The round's name (part of project titles).")
    raters: list[str] = Field(
        default=["rater-a", "rater-b"],
        description="The round's raters: one Label Studio project each, so none sees another's labels.",
    )
    frames: list[str] = Field(default=["commits", "issues"], description="commits and/or issues")
    adjudication: bool = Field(
        default=False,
        description="The adjudication project (disagreements only) instead of the raters' ones.",
    )
    adjudicator: str = Field(default="panel", description="Who adjudicated (import only).")


def _fail(exc: Exception) -> dg.Failure:
    return dg.Failure(description=str(exc))


def _export(context: dg.AssetExecutionContext, config: LabellingRound) -> dg.MaterializeResult:
    try:
        client = from_environment()
        lines = []
        for frame in config.frames:
            if config.adjudication:
                done = [rounds.export_adjudication(
                    client, settings.duckdb_path(), frame, config.round, settings.mirror_dir()
                )]  # fmt: skip
            else:
                done = rounds.export_round(
                    client, settings.duckdb_path(), frame, config.round, config.raters,
                    settings.mirror_dir(),
                )  # fmt: skip
            lines += [project.line() for project in done]
    except (LabelStudioError, AnnotationFileError) as exc:
        raise _fail(exc) from None
    for line in lines:
        context.log.info(line)
    return dg.MaterializeResult(
        metadata={"projects": dg.MetadataValue.md("\n".join(f"- {line}" for line in lines))}
    )


def _progress_table(progress) -> str:
    rows = ["| project | tasks | labelled | left |", "|---|---:|---:|---:|"]
    rows += [f"| {p.title} | {p.tasks} | {p.labelled} | {p.left} |" for p in progress.raters]
    for pair in progress.agreement:
        kappa = "n/a" if pair.cohen_kappa is None else f"{pair.cohen_kappa:.3f}"
        rows.append(
            f"\nkappa {pair.rater_a} vs {pair.rater_b} so far: {kappa} ({pair.items} items)"
        )
    return "\n".join(rows)


def _import(
    context: dg.AssetExecutionContext, config: LabellingRound, landing_root: Path
) -> dg.MaterializeResult:
    # The kappa so far needs scikit-learn: loaded in the run, not with the definitions.
    from labelling.progress import round_progress

    names = [config.adjudicator] if config.adjudication else config.raters
    metadata: dict[str, dg.MetadataValue] = {}
    try:
        client = from_environment()
        for frame in config.frames:
            for rater in names:
                imported = import_rater(
                    client, landing_root, settings.duckdb_path(), frame, config.round,
                    rater, adjudication=config.adjudication,
                )  # fmt: skip
                for line in imported.lines():
                    (context.log.warning if line.startswith("warning") else context.log.info)(line)
                metadata[f"{frame} {rater} labelled"] = dg.MetadataValue.int(imported.labelled)
                metadata[f"{frame} {rater} left"] = dg.MetadataValue.int(imported.left)
            if not config.adjudication:
                progress = round_progress(client, frame, config.round, config.raters)
                metadata[f"{frame} progress"] = dg.MetadataValue.md(_progress_table(progress))
    except (LabelStudioError, AnnotationFileError) as exc:
        raise _fail(exc) from None
    finally:
        # What landed (every rater's file, even if a later one failed) is known now: what reads
        # the labels and reviews is stale, and only that (docs/incremental-runs.md).
        record_landed_annotations(context, landing_root, [LABELS, SAMPLE_REVIEWS])
    return dg.MaterializeResult(metadata=metadata)


def labelling_assets() -> list[dg.AssetsDefinition]:
    """Built when the definitions load: the sample marts' keys come from the dbt manifest."""

    @dg.asset(
        key=PROJECTS,
        # the samples only: a dependency on label_suggestions would put this asset in
        # refresh_suggestions' selection (what follows the suggestions), run without a token
        deps=[model_key("commit_sample"), model_key("issue_sample")],
        group_name="labelling",
        kinds={"python"},
        description="One Label Studio project per frame, round and rater (or the round's "
        "adjudication project), tasks from the published sample with the suggester's labels "
        "pre-filled as suggestions.",
    )
    def label_studio_projects(context: dg.AssetExecutionContext, config: LabellingRound):
        return _export(context, config)

    @dg.asset(
        key=ANNOTATIONS,
        deps=[PROJECTS],
        group_name="labelling",
        kinds={"python", "parquet"},
        description="The round's annotations landed as annotations/labels (and not-ML-related "
        "answers as annotations/sample_reviews) through the CSV importer's validation; per rater "
        "labelled, left and kappa so far; the two annotation sources observed with what landed. "
        "Build the warehouse next.",
    )
    def rater_annotations(
        context: dg.AssetExecutionContext, config: LabellingRound, landing_zone: LandingResource
    ):
        return _import(context, config, landing_zone.path)

    return [label_studio_projects, rater_annotations]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=labelling_assets())
