"""Tables (pandas DataFrames, Markdown) and the trend figure (PNG) of the suggester's results.

The marts ``activity_estimates``, ``challenge_estimates``, ``activity_trends``,
``challenge_trends`` and ``suggester_agreement`` are the tables a report includes; this module reads
them (``read_tables``) and renders them, and builds the same tables from a fresh run (before dbt has
staged it) for the Dagster asset's metadata.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

SAMPLE_DATA_BANNER = (
    "**SAMPLE DATA**: generated items and generated raters, not the study's labels; the agreement "
    "and the estimates below show the method, not findings."
)
MARTS = (
    "activity_estimates",
    "challenge_estimates",
    "activity_trends",
    "challenge_trends",
    "suggester_agreement",
)


def read_tables(con) -> dict[str, pd.DataFrame]:
    """The published marts of issue 10 as DataFrames (for reports)."""
    return {
        mart: con.execute(
            f"select * exclude (build_id, built_at, study_parameters) from {mart}"
        ).df()
        for mart in MARTS
    }


def _pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{100 * float(value):.1f}%"


def _interval(lower, upper) -> str:
    if lower is None or (isinstance(lower, float) and math.isnan(lower)):
        return ""
    return f"[{_pct(lower)}, {_pct(upper)}]"


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of a small DataFrame."""
    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in frame.itertuples(index=False):
        cells = ["" if v is None else str(v).replace("|", "\\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def estimates_beside_wilson(estimates: pd.DataFrame, wilson: pd.DataFrame) -> pd.DataFrame:
    """Overall rows of a run (analysis.population output) beside the Table 5/6 Wilson intervals.

    ``wilson``: columns level, name, wilson_share, wilson_ci_lower, wilson_ci_upper (from
    activity_distribution / challenge_distribution)."""
    overall = estimates[estimates["domain_value"].isna()].copy()
    merged = overall.merge(wilson, on=["level", "name"], how="left")
    wilson_width = merged["wilson_ci_upper"] - merged["wilson_ci_lower"]
    return pd.DataFrame(
        {
            "level": merged["level"],
            "name": merged["name"],
            "whole frame (PPI)": merged["estimate"].map(_pct),
            "PPI 95% CI": [
                _interval(lo, hi)
                for lo, hi in zip(merged["ci_lower"], merged["ci_upper"], strict=True)
            ],
            "PPI width": merged["ci_width"].map(_pct),
            "sample (Wilson)": merged["wilson_share"].map(_pct),
            "Wilson 95% CI": [
                _interval(lo, hi)
                for lo, hi in zip(merged["wilson_ci_lower"], merged["wilson_ci_upper"], strict=True)
            ],
            "Wilson width": wilson_width.map(_pct),
            "width ratio": (merged["ci_width"] / wilson_width).map(
                lambda v: "" if v is None or not np.isfinite(v) else f"{v:.2f}"
            ),
            "status": merged["status"],
        }
    )


def agreement_table(evaluation: pd.DataFrame, rater_kappa: float | None) -> pd.DataFrame:
    overall = evaluation[evaluation["metric_scope"] != "label"]
    rows = [
        {
            "what": row.metric_scope,
            "items": row.evaluated_items,
            "Cohen's kappa (suggester vs adjudicated, CV by project)": (
                "" if pd.isna(row.cohen_kappa) else f"{row.cohen_kappa:.2f}"
            ),
            "raters' kappa": (
                ""
                if row.metric_scope != "all labels" or rater_kappa is None
                else f"{rater_kappa:.2f}"
            ),
        }
        for row in overall.itertuples()
    ]
    return pd.DataFrame(rows)


def per_label_table(evaluation: pd.DataFrame) -> pd.DataFrame:
    labels = evaluation[evaluation["metric_scope"] == "label"]
    return pd.DataFrame(
        {
            "label": labels["label"],
            "support": labels["support"].astype(int),
            "suggested": labels["predicted"].astype(int),
            "precision": labels["precision"].map(lambda v: f"{v:.2f}"),
            "recall": labels["recall"].map(lambda v: f"{v:.2f}"),
        }
    )


def trend_figure(
    trends: Mapping[str, pd.DataFrame], sample_data: bool, max_lines: int = 6
) -> bytes:
    """One panel per frame: the largest shares per year with their PPI intervals as bands.

    ``trends``: panel title -> rows with year (domain_value), name, estimate, ci_lower, ci_upper.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(trends.items())
    figure, axes = plt.subplots(1, max(1, len(panels)), figsize=(6.5 * max(1, len(panels)), 4.6))
    axes = np.atleast_1d(axes)
    for ax, (title, rows) in zip(axes, panels, strict=False):
        rows = rows[rows["estimate"].notna()]
        if rows.empty:
            ax.text(0.5, 0.5, "no estimate yet", ha="center", va="center", transform=ax.transAxes)
        else:
            top = rows.groupby("name")["estimate"].mean().nlargest(max_lines).index
            for name in top:
                line = rows[rows["name"] == name].sort_values("domain_value")
                years = line["domain_value"].astype(int)
                ax.plot(years, 100 * line["estimate"], marker="o", label=name)
                ax.fill_between(years, 100 * line["ci_lower"], 100 * line["ci_upper"], alpha=0.15)
            ax.legend(fontsize=7, loc="upper left")
            ax.set_xlabel("year")
        ax.set_ylabel("share of label occurrences (%)")
        ax.set_title(title, fontsize=10)
    banner = "SAMPLE DATA - " if sample_data else ""
    figure.suptitle(
        f"{banner}Shares over the whole frame per year (prediction-powered, 95% intervals)",
        fontsize=11,
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()
