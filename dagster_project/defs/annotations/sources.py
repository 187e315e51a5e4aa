"""The human decisions imported into the landing zone (`mms-extract annotations import-*`: manual
inspections, relevance reviews, labels) as observable sources: Dagster does not write them, it
looks at them. Each observation records a data version, a hash of the imported rows, so a label
file changed since the last build makes exactly its dependants stale, and the same file imported
again makes nothing stale (docs/incremental-runs.md)."""

import warnings
from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from dagster_project.staleness import observation
from landing.versions import table_version

PROJECT_INSPECTIONS = dg.AssetKey(["annotations", "project_inspections"])
SAMPLE_REVIEWS = dg.AssetKey(["annotations", "sample_reviews"])
LABELS = dg.AssetKey(["annotations", "labels"])
#: asset -> its landing table, and what its files hold
ANNOTATION_TABLES = {
    PROJECT_INSPECTIONS: ("annotations/project_inspections", "Manual inspection decisions, one "
                          "file per reviewer"),
    SAMPLE_REVIEWS: ("annotations/sample_reviews", "Relevance reviews of sampled items, one file "
                     "per frame and reviewer"),
    LABELS: ("annotations/labels", "Raters' labels, one file per frame and rater"),
}  # fmt: skip


def _observe_annotations(context: dg.AssetExecutionContext):
    root = context.resources.landing_zone.path
    for key, (table, _) in ANNOTATION_TABLES.items():
        yield dg.ObserveResult(
            asset_key=key, data_version=dg.DataVersion(table_version(root, table))
        )


def record_landed_annotations(
    context: dg.AssetExecutionContext, root: Path, keys: Iterable[dg.AssetKey]
) -> None:
    """Record the data version of annotation tables the running step has just landed, as
    ``observe_annotations`` would: what reads them is stale from now on, and nothing else."""
    for key in keys:
        table, _ = ANNOTATION_TABLES[key]
        context.log_event(observation(key, table_version(root, table)))


with warnings.catch_warnings():
    # Beta in this Dagster: the warning would reach the output of every command that loads us.
    warnings.simplefilter("ignore", dg.BetaWarning)
    landed_annotations = dg.multi_observable_source_asset(
        name="landed_annotations",
        required_resource_keys={"landing_zone"},
        specs=[
            dg.AssetSpec(
                key,
                description=f"{what} (landing: {table}).",
                group_name="annotations",
                kinds={"parquet"},
            )
            for key, (table, what) in ANNOTATION_TABLES.items()
        ],
    )(_observe_annotations)

observe_annotations_job = dg.define_asset_job(
    "observe_annotations",
    selection=dg.AssetSelection.keys(*ANNOTATION_TABLES),
    description="Record the data version of every imported annotation file (a hash of its rows).",
)


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[landed_annotations], jobs=[observe_annotations_job])
