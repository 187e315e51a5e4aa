"""The suggestions asset's metadata (dagster_project/defs/suggestions): a fresh run of the label
suggester and the whole-frame estimates, before dbt stages them, as Markdown with the study report's
formatter, banner, estimate columns and trend figure.

analysis/ returns the run as data (analysis.warehouse.FrameResult); nothing here computes."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from report.banner import banner_markdown
from report.formatting import MISSING, count, number, percent
from report.frame_sections import display_frame, estimate_cells, estimate_headers, model_notes
from report.frames import FRAMES, FrameSpec
from report.render import frame_markdown


class FrameRun(Protocol):
    """What the suggester returns for a frame (analysis.warehouse.FrameResult)."""

    frame: str
    status: str
    reason: str | None
    suggestions: pd.DataFrame
    evaluation: pd.DataFrame
    estimates: pd.DataFrame
    provenance: dict


@dataclass(frozen=True)
class SuggestionMarkdown:
    """The three assets' Markdown: suggestions, agreement, estimates, and the trend figure."""

    summary: str
    agreement: str
    estimates: str
    trends: str


def _title(spec: FrameSpec) -> str:
    return f"{spec.question} {spec.frame} ({spec.labels})"


def _summary(result: FrameRun) -> str:
    several = (result.suggestions["suggested_labels"].map(len) > 1).mean()
    relevance = result.suggestions["ml_related_probability"].median()
    lent, projects = (result.provenance.get(k, 0) for k in ("lent_items", "lent_projects"))
    also = f" and {count(lent)} lent commits of {count(projects)} other projects" if lent else ""
    return (
        f"**{result.frame}**: {len(result.suggestions):,} items suggested by a model trained on "
        f"{count(result.provenance['training_items'])} adjudicated items{also}; "
        f"{percent(several)} get several labels; median P(ML-related) {number(relevance, 2)}."
    )


def agreement_table(evaluation: pd.DataFrame, rater_kappa: float | None) -> pd.DataFrame:
    """The suggester's kappa against the adjudicated labels (cross-validated by project) beside
    the raters' own, for all labels and for ML-related."""
    rows = [
        [
            r.metric_scope,
            count(r.evaluated_items),
            number(r.cohen_kappa, 2),
            number(getattr(r, "cohen_kappa_none_pairs", None), 2),
            number(rater_kappa, 2) if r.metric_scope == "all labels" else MISSING,
        ]
        for r in evaluation[evaluation["metric_scope"] != "label"].itertuples(index=False)
    ]
    headers = ["Scope", "Items", "Suggester's kappa", "Kappa, paired with none", "Raters' kappa"]
    return display_frame(headers, rows)


def per_label_table(evaluation: pd.DataFrame) -> pd.DataFrame:
    rows = [
        [
            r.label,
            count(r.support),
            count(r.predicted),
            number(r.precision, 2),
            number(r.recall, 2),
        ]  # fmt: skip
        for r in evaluation[evaluation["metric_scope"] == "label"].itertuples(index=False)
    ]
    return display_frame(["Label", "Support", "Suggested", "Precision", "Recall"], rows)


def beside_wilson(estimates: pd.DataFrame, wilson: pd.DataFrame) -> pd.DataFrame:
    """The run's whole-frame rows beside Table 5/6's Wilson intervals, in the columns of the
    estimate marts (activity_estimates, challenge_estimates) that dbt stages from them.

    ``wilson``: level, name, wilson_share, wilson_ci_lower, wilson_ci_upper, study_share_pct
    (analysis.warehouse.sample_only_intervals)."""
    merged = estimates[estimates["domain_value"].isna()].merge(
        wilson, on=["level", "name"], how="left"
    )
    merged["wilson_ci_width"] = merged["wilson_ci_upper"] - merged["wilson_ci_lower"]
    width = merged["wilson_ci_width"].where(merged["wilson_ci_width"] != 0)
    merged["width_ratio_to_wilson"] = merged["ci_width"] / width
    sample_width = merged["sample_ci_width"].where(merged["sample_ci_width"] != 0)
    merged["width_ratio_to_sample"] = merged["ci_width"] / sample_width
    if "study_share_pct" not in merged:
        merged["study_share_pct"] = None
    return merged


def estimates_table(spec: FrameSpec, rows: pd.DataFrame, confidence: float) -> pd.DataFrame:
    table = [[r.level, r.name, *estimate_cells(r), r.status] for r in rows.itertuples(index=False)]
    return display_frame(["Level", "Name", *estimate_headers(spec, confidence), "Status"], table)


def _trend_markdown(trends: Mapping[str, pd.DataFrame], *, build_id: str, model_version: str,
                    sample_data: bool) -> str:  # fmt: skip
    """The trend figure embedded in Markdown only: the reports directory belongs to the study
    report, which draws these trends from the marts once dbt staged them."""
    from report.figures import trend_figure  # matplotlib loads only to draw

    data = "SAMPLE DATA · " if sample_data else ""
    caption = f"{data}computed from warehouse build {build_id} by {model_version}"
    png = trend_figure(trends, sample_data=sample_data, caption=caption)
    return f"![trends](data:image/png;base64,{base64.b64encode(png).decode()})"


def suggestion_markdown(
    results: Sequence[FrameRun],
    *,
    kappas: Mapping[str, float | None],
    wilson: Mapping[str, pd.DataFrame],
    facts: Any,
    model_version: str,
) -> SuggestionMarkdown:
    """Every entry headed by the SAMPLE DATA banner when ``facts.is_sample_data``; a frame the
    suggester could not run on says why in each. ``facts``: build_id, is_sample_data, confidence
    (analysis.warehouse.BuildFacts)."""
    parts: dict[str, list[str]] = {name: [] for name in ("summary", "agreement", "estimates")}
    trends = {}
    for result in results:
        spec = FRAMES[result.frame]
        if result.status != "ok":
            for part in parts.values():
                part.append(f"**{result.frame}: nothing suggested or estimated.** {result.reason}")
            continue
        parts["summary"].append(_summary(result))
        parts["agreement"] += [
            f"### {_title(spec)}",
            frame_markdown(agreement_table(result.evaluation, kappas[result.frame])),
            frame_markdown(per_label_table(result.evaluation)),
        ]
        rows = beside_wilson(result.estimates, wilson[result.frame])
        table = estimates_table(spec, rows, facts.confidence)
        parts["estimates"] += [
            f"### {_title(spec)}",
            frame_markdown(table, label_columns=2),
            *model_notes(rows),
        ]
        yearly = result.estimates[
            result.estimates["domain_value"].notna()
            & (result.estimates["level"] == spec.drawn_level)
        ]
        trends[f"{spec.question}: {spec.drawn_level} shares by year of {spec.year_of}"] = yearly
    banner = [banner_markdown()] if facts.is_sample_data else []
    figure = _trend_markdown(trends, build_id=facts.build_id, model_version=model_version,
                             sample_data=facts.is_sample_data)  # fmt: skip
    return SuggestionMarkdown(
        **{name: "\n\n".join(banner + part) for name, part in parts.items()},
        trends="\n\n".join([*banner, figure]),
    )
