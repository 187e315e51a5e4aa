"""Read the published warehouse (read-only), run the suggester and the estimates, land the results.

Inputs come from marts only (``commit_label_frame``, ``issue_label_frame``,
``label_frame_fingerprints``, the taxonomy seeds, ``build_info``); outputs are the landing tables
``suggestions/*`` (landing/schemas.py), one file per frame, which the next ``dbt build``
stages. Nothing here writes to the warehouse: DuckDB has one writer and it is dbt.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

import landing
from analysis import population, suggester
from warehouse.published import WarehouseUnavailable, open_published

FRAMES = ("commits", "issues")
#: frame -> (mart, key column, year column, taxonomy seed, label column, group column)
FRAME_SOURCES = {
    "commits": (
        "commit_label_frame",
        "commit_key",
        "commit_year",
        "activity_taxonomy",
        "activity",
        "category",
    ),
    "issues": (
        "issue_label_frame",
        "issue_key",
        "closed_year",
        "challenge_taxonomy",
        "challenge",
        None,
    ),
}
#: the estimate levels' names in the study's words, per frame
LEVEL_NAMES = {
    "commits": {"label": "activity", "group": "category", "ml_related": "ml_related"},
    "issues": {"label": "challenge", "group": "group", "ml_related": "ml_related"},
}
TABLES = (
    "suggestions/label_suggestions",
    "suggestions/suggester_evaluations",
    "suggestions/population_estimates",
)


class WarehouseNotReady(RuntimeError):
    """The published warehouse lacks what the suggester reads; the message says what to run."""


@dataclass
class FrameResult:
    frame: str
    status: str  # ok | insufficient_labels
    reason: str | None
    suggestions: pd.DataFrame
    evaluation: pd.DataFrame
    estimates: pd.DataFrame
    provenance: dict
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class BuildFacts:
    build_id: str
    is_sample_data: bool
    confidence: float


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        return open_published(warehouse)
    except WarehouseUnavailable as exc:
        raise WarehouseNotReady(str(exc)) from None


def _query(con, sql: str) -> pd.DataFrame:
    try:
        table = con.execute(sql).fetch_arrow_table()
    except duckdb.CatalogException as exc:
        raise WarehouseNotReady(
            f"the warehouse has no {str(exc).split(':')[-1].strip()}; run `dbt build` (it builds "
            "the suggestion marts) first"
        ) from exc
    frame = table.drop_columns(
        [f.name for f in table.schema if pa.types.is_list(f.type)]
    ).to_pandas()
    for schema_field in table.schema:
        if pa.types.is_list(schema_field.type):  # Python lists (None when null), not numpy arrays
            frame[schema_field.name] = table[schema_field.name].to_pylist()
    return frame[table.column_names]


def build_facts(con) -> BuildFacts:
    row = _query(con, "select build_id, is_sample_data, study_parameters from build_info")
    parameters = json.loads(row["study_parameters"][0])
    return BuildFacts(
        build_id=str(row["build_id"][0]),
        is_sample_data=bool(row["is_sample_data"][0]),
        confidence=float(parameters.get("interval_confidence", 0.95)),
    )


def taxonomy(con, frame: str) -> tuple[list[str], dict[str, str]]:
    _, _, _, seed, label_column, group_column = FRAME_SOURCES[frame]
    columns = label_column + (f", {group_column}" if group_column else "")
    rows = _query(con, f"select {columns} from {seed}")
    labels = rows[label_column].tolist()
    groups = dict(zip(rows[label_column], rows[group_column], strict=True)) if group_column else {}
    return labels, groups


def fingerprints(con) -> dict[str, dict]:
    rows = _query(
        con, "select * exclude (build_id, built_at, study_parameters) from label_frame_fingerprints"
    )
    return {row["frame"]: row for row in rows.to_dict("records")}


def read_inputs(
    con, frame: str, settings: suggester.SuggesterSettings, landing_root: Path | None = None
) -> suggester.FrameInputs:
    """The frame's items and features; the message embeddings (opt-in encoder) are kept in the
    landing zone's cache between runs when ``landing_root`` is given."""
    mart, key, year, *_ = FRAME_SOURCES[frame]
    items = _query(
        con, f"select * exclude (build_id, built_at, study_parameters) from {mart} order by {key}"
    )
    labels, groups = taxonomy(con, frame)
    score, lent = None, None
    if frame == "commits":
        # The mart carries no diff summary (git/commit_diffs is opt-in and not staged): the
        # suggester reads message, paths and rules, and the content score sees paths only.
        from analysis import commit_features, embedding_cache, keyword_rules, training
        from extract.git.diffs import model_file_variants

        def matrix(commits: pd.DataFrame):
            return commit_features.commit_matrix(
                commits,
                keyword_rules.load_rules(),
                commit_features.load_lexicon(),
                model_file_variants(),
                settings.message_encoder,
                None if landing_root is None else embedding_cache.cache_root(landing_root),
            )

        lent_paths = training.lent_paths(settings.real_set, settings.lent_files)
        if lent_paths:
            # The study's own projects lend nothing: their items are the frame, and a commit in
            # both would train the model that its own label then corrects (the estimates).
            lent_items = training.load_all(
                labels,
                lent_paths,
                exclude_projects=set(items["repo_id"]),
                exclude_commits=set(items[key].str.split("@", n=1).str[1]),
                with_diffs=False,
            )
            features, score, lent = training.featurise(items, lent_items, matrix)
        else:
            features, score = matrix(items)
    else:
        blocks, numbers = suggester.issue_blocks(items), suggester.issue_numbers(items)
        features = suggester.featurize(blocks, numbers, settings.hash_features)
    frame_items = pd.DataFrame(
        {
            "item_key": items[key].to_numpy(),
            "stratum": items["repo_id"].to_numpy(),
            "year": items[year].to_numpy(),
            "final_labels": items["final_labels"].to_numpy(),
            "is_ml_related": items["review_decision"].map({"keep": True, "reject": False}),
            "in_design_sample": items["in_design_sample"].astype(bool).to_numpy(),
            "draw_rank": items["draw_rank"].to_numpy(),
            "label_status": items["label_status"].to_numpy(),
        }
    )
    return suggester.FrameInputs(frame, labels, frame_items, features, groups, score, lent)


def random_prefix(items: pd.DataFrame) -> pd.Series:
    """Design draws that stay a random sample however the labelling was ordered: in each project,
    the draws before its first draw no rater has finished (neither rejected, nor labelled, nor in
    dispute between two raters). An export ordered by uncertainty (`--order uncertain`) labels the
    hard items first; were those used while easier draws wait, the estimates would rest on a
    non-random subset. Later draws labelled out of order train the suggester only. Items in
    dispute are left out until adjudicated, as before (the study adjudicated every one)."""
    rejected = items["is_ml_related"].eq(False)
    resolved = rejected | items["final_labels"].notna()
    design = items["in_design_sample"].astype(bool)
    if "draw_rank" not in items:
        return design & resolved
    status = items.get("label_status", pd.Series("pending", index=items.index))
    waiting = design & ~resolved & status.fillna("pending").eq("pending")
    rank = pd.to_numeric(items["draw_rank"], errors="coerce")
    first_waiting = rank.where(waiting).groupby(items["stratum"]).transform("min")
    return design & resolved & (first_waiting.isna() | (rank < first_waiting))


def design_sample(inputs: suggester.FrameInputs, probabilities: pd.DataFrame) -> pd.DataFrame:
    """The labelled items the estimates are corrected with: the first `allocation` draws of each
    project (the stratified sample before replacements), where relevance and labels are known,
    cut at each project's first unresolved draw (:func:`random_prefix`)."""
    items = inputs.items.join(probabilities.drop(columns="item_key"))
    design = items[random_prefix(items)].copy()
    design["is_ml_related"] = ~design["is_ml_related"].eq(False)
    for label in inputs.labels:
        design[f"truth_{label}"] = design["final_labels"].map(
            lambda labels, label=label: float(labels is not None and label in labels)
        )
    return design


def estimates_for(inputs, crossfit, confidence: float) -> pd.DataFrame:
    frame_rows = inputs.items[["item_key", "stratum", "year"]].join(
        crossfit.frame_probabilities.drop(columns="item_key")
    )
    design = design_sample(inputs, crossfit.frame_probabilities)
    try:
        out = population.estimate_frame(
            labels=inputs.labels,
            labelled=design,
            frame=frame_rows,
            groups=inputs.groups or None,
            domain_column="year",
            confidence=confidence,
        )
    except population.EstimationError as exc:
        return pd.DataFrame(
            [
                {
                    "level": "ml_related",
                    "name": "ML-related",
                    "status": str(exc),
                    "domain_value": None,
                }
            ]
        )
    out["level"] = out["level"].map(LEVEL_NAMES[inputs.frame])
    return out


def compute_frame(
    inputs: suggester.FrameInputs, settings: suggester.SuggesterSettings, confidence: float
) -> FrameResult:
    seconds: dict[str, float] = {}
    labelled = int(inputs.items["final_labels"].notna().sum())
    reason = suggester.check_enough_labels(inputs, settings)
    if reason:
        evaluation = pd.DataFrame(
            [{"metric_scope": "all labels", "label": None, "evaluated_items": labelled}]
        )
        return FrameResult(
            inputs.frame,
            "insufficient_labels",
            reason,
            pd.DataFrame(),
            evaluation,
            pd.DataFrame(),
            {"training_items": labelled, "folds": 0},
            seconds,
        )
    started = time.perf_counter()
    crossfit = suggester.cross_fit(inputs, settings)
    seconds["cross_fit"] = time.perf_counter() - started
    started = time.perf_counter()
    evaluation = suggester.evaluate(inputs, crossfit, settings)
    suggestions = suggester.suggest(inputs, settings)
    seconds["suggest"] = time.perf_counter() - started
    started = time.perf_counter()
    estimates = estimates_for(inputs, crossfit, confidence)
    seconds["estimate"] = time.perf_counter() - started
    return FrameResult(
        inputs.frame,
        "ok",
        None,
        suggestions,
        evaluation,
        estimates,
        {
            "training_items": labelled,
            # the lent items that trained every model too (not landed: the model version names
            # the files they came from)
            "lent_items": len(inputs.lent) if inputs.lent is not None else 0,
            "lent_projects": inputs.lent.projects if inputs.lent is not None else 0,
            "folds": crossfit.folds,
        },
        seconds,
    )


def _table(rows: pd.DataFrame, name: str, constants: dict) -> pa.Table:
    schema = landing.SCHEMAS[name]
    n = len(rows)
    columns = {}
    for schema_field in schema:
        if schema_field.name in constants:
            columns[schema_field.name] = pa.array(
                [constants[schema_field.name]] * n, schema_field.type
            )
        elif schema_field.name in rows:
            values = (
                rows[schema_field.name].astype(object).where(rows[schema_field.name].notna(), None)
            )
            columns[schema_field.name] = pa.array(values.tolist(), schema_field.type)
        else:
            columns[schema_field.name] = pa.nulls(n, schema_field.type)
    return pa.table(columns, schema=schema)


def probability_lists(suggestions: pd.DataFrame, labels: list[str]) -> pa.Array:
    """The p_<label> columns as Arrow list<struct<label, probability>>, built without a Python
    object per value."""
    p = suggestions[[f"p_{label}" for label in labels]].to_numpy(float).round(6)
    n, k = p.shape
    structs = pa.StructArray.from_arrays(
        [pa.array(np.tile(np.array(labels, dtype=object), n), pa.string()), pa.array(p.ravel())],
        names=["label", "probability"],
    )
    return pa.ListArray.from_arrays(pa.array(np.arange(0, n * k + 1, k, dtype=np.int32)), structs)


def _frame_tables(
    result: FrameResult, estimates: pd.DataFrame, constants: dict
) -> dict[str, pa.Table]:
    """The frame's three landing tables; the run's status is the evaluations' alone."""
    per_item = {k: v for k, v in constants.items() if k not in ("status", "status_reason")}
    suggestions = _table(result.suggestions, "suggestions/label_suggestions", per_item)
    if len(result.suggestions):
        labels = [c[2:] for c in result.suggestions.columns if c.startswith("p_")]
        column = suggestions.schema.get_field_index("label_probabilities")
        suggestions = suggestions.set_column(
            column,
            suggestions.schema.field(column),
            probability_lists(result.suggestions, labels),
        )
    return {
        "suggestions/label_suggestions": suggestions,
        "suggestions/suggester_evaluations": _table(
            result.evaluation, "suggestions/suggester_evaluations", constants
        ),
        "suggestions/population_estimates": _table(
            estimates, "suggestions/population_estimates", per_item
        ),
    }


def land(
    root: Path, result: FrameResult, facts: BuildFacts, frame_fingerprints: dict, settings
) -> dict[str, Path]:
    """Write the frame's three files atomically (each replaces the frame's previous one)."""
    landing.ensure_landing(root, TABLES)
    constants = {
        "frame": result.frame,
        "status": result.status,
        "status_reason": result.reason,
        "model_version": settings.model_version,
        "training_items": result.provenance["training_items"],
        "seed": settings.seed,
        "folds": result.provenance["folds"],
        "labels_fingerprint": frame_fingerprints["labels_fingerprint"],
        "frame_fingerprint": frame_fingerprints["frame_fingerprint"],
        "source_build_id": facts.build_id,
        "computed_at": dt.datetime.now(dt.UTC),
    }
    estimates = result.estimates.copy()
    if not estimates.empty:
        estimates["year"] = estimates["domain_value"].map(
            lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v)
        )
    tables = _frame_tables(result, estimates, constants)
    paths = {}
    # The evaluations go last: suggestion_status reads the run's fingerprints from them, so a crash
    # between two files leaves the status of the previous run, never a newer one than the files.
    for name in (
        "suggestions/label_suggestions",
        "suggestions/population_estimates",
        "suggestions/suggester_evaluations",
    ):
        table = tables[name]
        path = landing.table_dir(root, name) / f"{result.frame}.parquet"
        landing.write_atomic(path, table)
        paths[name] = path
    return paths


def run(
    warehouse: Path,
    landing_root: Path,
    settings: suggester.SuggesterSettings | None = None,
    frames=FRAMES,
) -> tuple[BuildFacts, list[FrameResult]]:
    """Suggest, evaluate and estimate every frame from the published warehouse; land the results."""
    settings = settings or suggester.SuggesterSettings()
    results = []
    with connect(warehouse) as con:
        facts = build_facts(con)
        prints = fingerprints(con)
        inputs = {}
        for frame in frames:
            started = time.perf_counter()
            inputs[frame] = read_inputs(con, frame, settings, landing_root)
            inputs[frame].items.attrs["read_seconds"] = time.perf_counter() - started
    for frame in frames:
        result = compute_frame(inputs[frame], settings, facts.confidence)
        result.seconds["read_and_featurize"] = inputs[frame].items.attrs["read_seconds"]
        land(landing_root, result, facts, prints[frame], settings)
        results.append(result)
    return facts, results


def sample_only_intervals(con, frame: str) -> pd.DataFrame:
    """Table 5 / 6 Wilson intervals (the study's sample-only shares) and the study's shares, in
    the estimates' levels."""
    if frame == "commits":
        sql = """
            select 'activity' as level, activity as name, share as wilson_share,
                   share_ci_lower as wilson_ci_lower, share_ci_upper as wilson_ci_upper,
                   study_share_pct
            from activity_distribution
            union all
            select distinct 'category', category, category_share,
                   category_share_ci_lower, category_share_ci_upper, study_category_share_pct
            from activity_distribution
        """
    else:
        sql = """
            select 'challenge' as level, challenge as name, share as wilson_share,
                   share_ci_lower as wilson_ci_lower, share_ci_upper as wilson_ci_upper,
                   study_share_pct
            from challenge_distribution
        """
    return _query(con, sql)


def rater_kappa(con, frame: str) -> float | None:
    """The raters' own Cohen's kappa (mean over rater pairs), None without two raters."""
    rows = _query(
        con, f"select avg(cohen_kappa) as kappa from rater_agreement where frame = '{frame}'"
    )
    value = rows["kappa"][0]
    return None if pd.isna(value) else float(value)
