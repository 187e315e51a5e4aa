"""Suggested labels for every frame item and whole-frame estimates (issue 10), a thin wrapper of
analysis/: read the published warehouse, run the suggester and the estimates, land suggestions/*.

The results are computed from the previous published build; the next dbt build stages them
(marts_estimates, marts_suggestions). The sensor below asks for that pair of steps whenever the
labels, reviews or frame changed since the last computation (suggestion_status.is_stale).
"""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

import dagster as dg
import duckdb
from pydantic import Field

from analysis.settings import MODEL_VERSION, SuggesterSettings
from base import settings
from dagster_project.defs.landing.resources import LandingResource
from dagster_project.defs.warehouse.dbt import model_key
from dagster_project.defs.warehouse.resources import PublishedWarehouseResource
from dagster_project.staleness import source_code_version
from report.suggestions import SuggestionMarkdown, suggestion_markdown
from warehouse.published import WarehouseUnavailable

if TYPE_CHECKING:
    from analysis import warehouse as analysis_warehouse

LABEL_SUGGESTIONS = dg.AssetKey(["suggestions", "label_suggestions"])
EVALUATIONS = dg.AssetKey(["suggestions", "suggester_evaluations"])
ESTIMATES = dg.AssetKey(["suggestions", "population_estimates"])
#: The marts analysis/ reads (it never reads intermediate models).
INPUT_MARTS = (
    "commit_label_frame",
    "issue_label_frame",
    "label_frame_fingerprints",
    "build_info",
    "activity_distribution",
    "challenge_distribution",
    "rater_agreement",
)


class SuggestionConfig(dg.Config):
    seed: int = Field(
        default=2023,
        description="Seed of the fold assignment (same seed and labels, same results).",
    )
    folds: int = Field(
        default=5,
        ge=2,
        description="Cross-fitting folds; projects are dealt into them, so a project's items never "
        "train the model that predicts them.",
    )
    threshold: float = Field(
        # the threshold `mms-suggest evaluate` measured (docs/method.md), not a second default
        default=SuggesterSettings().threshold,
        gt=0,
        le=1,
        description="A label is suggested at or above this probability (the most probable always is).",
    )
    message_encoder: Literal["none", "minilm"] = Field(
        default="none",
        description="minilm: the commit suggester also reads a pretrained sentence encoder's "
        "embedding of each message (+2.3 points of exact label sets on 2,132 real commits of 69 "
        "projects, ~10 ms of CPU a message; docs/method.md).",
    )
    real_set: bool = Field(
        default=True,
        description="The commit suggester also trains on the bundled real set's labelled commits "
        "of projects the study does not hold (2,132 commits of 69 projects; with 53 of them lent, a "
        "6-project study's held-out projects reached 43.8% exact label sets against 37.4% "
        "without; docs/method.md).",
    )
    lend: list[str] | None = Field(
        default=None,
        description="Files of your own labelled commits (`mms-suggest lend`) the commit suggester "
        "also trains on, beside the real set; their projects' items in the frame lend nothing. "
        "Relative paths are under the project directory. Unset: the files MMS_LENT_COMMITS "
        "names; []: none.",
    )


def suggester_settings(config: SuggestionConfig) -> SuggesterSettings:
    """The run's config as the suggester's settings; lent files from MMS_LENT_COMMITS unless the
    config names them, read when the run starts (never at import)."""
    lent = (
        settings.lent_commits()
        if config.lend is None
        else tuple(settings.project_path(value) for value in config.lend)
    )
    return SuggesterSettings(
        seed=config.seed,
        folds=config.folds,
        threshold=config.threshold,
        message_encoder=config.message_encoder,
        real_set=config.real_set,
        lent_files=tuple(str(path) for path in lent),
    )


def _deps() -> list[dg.AssetKey]:
    return [model_key(mart) for mart in INPUT_MARTS]


def _specs(code_version: str) -> list[dg.AssetSpec]:
    """The three landed tables the suggestions asset materializes, each after the marts it reads,
    with the suggester's code version."""
    return [
        dg.AssetSpec(
            LABEL_SUGGESTIONS,
            deps=_deps(),
            code_version=code_version,
            description="Suggested labels (with probabilities, and P(ML-related)) for every "
            "model-file commit and closed issue; never a rater's label (landing: "
            "suggestions/label_suggestions).",
            kinds={"python", "scikit-learn", "parquet"},
        ),
        dg.AssetSpec(
            EVALUATIONS,
            deps=_deps(),
            code_version=code_version,
            description="Cross-validated (by project) agreement of the suggester with the "
            "adjudicated labels, or why there is none (landing: suggestions/suggester_evaluations).",
            kinds={"python", "parquet"},
        ),
        dg.AssetSpec(
            ESTIMATES,
            deps=_deps(),
            code_version=code_version,
            description="Shares of every activity, category and challenge over the whole frame "
            "and per year, prediction-powered (ppi_py) beside sample-only (landing: "
            "suggestions/population_estimates).",
            kinds={"python", "parquet", "png"},
        ),
    ]


def label_suggestions_asset() -> dg.AssetsDefinition:
    """Built when the definitions load: its inputs' keys come from the dbt manifest. It reads the
    published warehouse read-only, so it never waits for a build. Its code version is the
    suggester's: the same marts and the same code are no reason to refit."""
    code_version = source_code_version("analysis", extra=MODEL_VERSION)

    @dg.multi_asset(specs=_specs(code_version), group_name="suggestions")
    def label_suggestions(
        context: dg.AssetExecutionContext,
        config: SuggestionConfig,
        duckdb: PublishedWarehouseResource,
        landing_zone: LandingResource,
    ):
        """Train on the adjudicated labels, suggest for the whole frame, estimate population shares."""
        # scikit-learn and the estimators load here, in the run, not in every process that loads
        # the definitions (each run worker, the daemon, the webserver).
        from analysis import warehouse as analysis_warehouse
        from analysis.message_encoder import EncoderUnavailable
        from analysis.training import TrainingItemsError

        options = suggester_settings(config)
        warehouse_path = duckdb.path
        try:
            facts, results = analysis_warehouse.run(warehouse_path, landing_zone.path, options)
        except (
            analysis_warehouse.WarehouseNotReady,
            EncoderUnavailable,
            TrainingItemsError,
        ) as exc:
            raise dg.Failure(description=str(exc)) from None
        with analysis_warehouse.connect(warehouse_path) as con:
            wilson = {
                r.frame: analysis_warehouse.sample_only_intervals(con, r.frame) for r in results
            }
            kappas = {r.frame: analysis_warehouse.rater_kappa(con, r.frame) for r in results}

        for result in results:
            if result.status != "ok":
                context.log.warning(f"{result.frame}: {result.reason}")
        markdown = suggestion_markdown(
            results, kappas=kappas, wilson=wilson, facts=facts, model_version=options.model_version
        )
        yield from _materializations(facts, results, markdown, options.model_version)

    return label_suggestions


def _materializations(
    facts: "analysis_warehouse.BuildFacts",
    results: "list[analysis_warehouse.FrameResult]",
    markdown: SuggestionMarkdown,
    model_version: str,
) -> Iterator[dg.MaterializeResult]:
    """One materialization per landed table, each with the build and model it came from."""
    common = {
        "model_version": dg.MetadataValue.text(model_version),
        "source_build_id": dg.MetadataValue.text(facts.build_id),
        "is_sample_data": dg.MetadataValue.bool(facts.is_sample_data),
        **{f"{r.frame}_status": dg.MetadataValue.text(r.reason or "ok") for r in results},
    }
    yield dg.MaterializeResult(
        asset_key=LABEL_SUGGESTIONS,
        metadata={
            **common,
            "summary": dg.MetadataValue.md(markdown.summary),
            **{f"{r.frame}_items": dg.MetadataValue.int(len(r.suggestions)) for r in results},
        },
    )
    yield dg.MaterializeResult(
        asset_key=EVALUATIONS,
        metadata={**common, "agreement": dg.MetadataValue.md(markdown.agreement)},
    )
    yield dg.MaterializeResult(
        asset_key=ESTIMATES,
        metadata={
            **common,
            "estimates": dg.MetadataValue.md(markdown.estimates),
            "trends_by_year": dg.MetadataValue.md(markdown.trends),
        },
    )


def stale_frames(warehouse: PublishedWarehouseResource) -> tuple[list[str], str] | str:
    """Frames whose suggestions are missing or stale, and a key naming the inputs; or why the
    published warehouse cannot say yet (not built, or built before suggestion_status)."""
    try:
        with warehouse.get_connection() as con:
            rows = con.execute(
                """
                select frame, has_suggestions, is_stale, labels_fingerprint
                from suggestion_status order by frame
                """
            ).fetchall()
    except WarehouseUnavailable as exc:
        return str(exc)
    except duckdb.CatalogException:
        return f"warehouse {warehouse.database} has no suggestion_status mart yet"
    stale = [frame for frame, has, is_stale, _ in rows if not has or is_stale]
    return stale, "|".join(f"{frame}:{fingerprint}" for frame, _, _, fingerprint in rows)


def refresh_suggestions_job(suggestions: dg.AssetsDefinition):
    return dg.define_asset_job(
        "refresh_suggestions",
        selection=dg.AssetSelection.assets(suggestions).downstream(),
        description="Suggest labels and estimate shares from the published warehouse, then dbt "
        "builds (and publishes) the suggestion and estimate marts from them, and the study report "
        "is written again with them.",
    )


@dg.sensor(
    job_name="refresh_suggestions",
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a warehouse build whose labels, reviews or frame changed (suggestion_status "
    "is stale or empty), recomputes the suggestions and rebuilds the estimate marts.",
)
def suggestions_after_label_changes(
    context: dg.SensorEvaluationContext, duckdb: PublishedWarehouseResource
):
    found = stale_frames(duckdb)
    if isinstance(found, str):
        return dg.SkipReason(found)
    stale, inputs_key = found
    if not stale:
        return dg.SkipReason("the suggestions match the published labels and frames")
    # One run per set of inputs: the run key dedupes ticks until a build changes the labels again.
    return dg.RunRequest(
        run_key=f"suggestions:{inputs_key}", tags={"stale_frames": ",".join(stale)}
    )


@dg.definitions
def defs() -> dg.Definitions:
    suggestions = label_suggestions_asset()
    return dg.Definitions(
        assets=[suggestions],
        jobs=[refresh_suggestions_job(suggestions)],
        sensors=[suggestions_after_label_changes],
    )
