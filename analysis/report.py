"""Display tables (pandas DataFrames of formatted cells) and the trend figure (PNG) of the
suggester's results.

The marts ``activity_estimates``, ``challenge_estimates``, ``activity_trends``,
``challenge_trends`` and ``suggester_agreement`` are what the study report (report/) shows; it draws
their trends with ``trend_figure``. The tables here are built from a fresh run (before dbt has
staged it) for the Dagster asset's metadata; whoever shows them renders them with pandas
(``DataFrame.to_markdown``), never by hand.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd

SAMPLE_DATA_BANNER = (
    "**SAMPLE DATA**: generated items and generated raters, not the study's labels; the agreement "
    "and the estimates below show the method, not findings."
)
#: drawn on a figure of sample data (and kept in its PNG metadata)
SAMPLE_FIGURE_BANNER = "SAMPLE DATA: generated items and raters, not research results"


def _pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{100 * float(value):.1f}%"


def _interval(lower, upper) -> str:
    if lower is None or (isinstance(lower, float) and math.isnan(lower)):
        return ""
    return f"[{_pct(lower)}, {_pct(upper)}]"


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
    trends: Mapping[str, pd.DataFrame],
    sample_data: bool,
    max_lines: int = 6,
    *,
    caption: str | None = None,
    banner: str = SAMPLE_FIGURE_BANNER,
) -> bytes:
    """One panel per frame: the largest shares per year with their PPI intervals as bands.

    ``trends``: panel title -> rows with year (domain_value), name, estimate, ci_lower, ci_upper.
    Sample data gets ``banner`` drawn above the panels and in the PNG's Warning text chunk, as the
    report's Figure 1 does; ``caption`` (the data's provenance) is drawn below them and kept as the
    PNG's Source.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator

    panels = list(trends.items())
    width = 6.5 * max(1, len(panels))
    # about 17 characters of 7-point text per inch
    caption_lines = textwrap.wrap(caption, int(17 * width)) if caption else []
    # inches kept for the banner above the title and for the caption below the panels
    above = 0.35 if sample_data else 0.0
    below = 0.15 * len(caption_lines) + (0.1 if caption_lines else 0)
    height = 4.8 + above + below
    figure, axes = plt.subplots(1, max(1, len(panels)), figsize=(width, height))
    axes = np.atleast_1d(axes)
    for ax, (title, rows) in zip(axes, panels, strict=False):
        rows = rows[rows["estimate"].notna()]
        if rows.empty:
            ax.text(0.5, 0.5, "no estimate yet", ha="center", va="center", transform=ax.transAxes)
        else:
            top = rows.groupby("name")["estimate"].mean().nlargest(max_lines).index
            years = sorted(rows["domain_value"].astype(int).unique())
            for position, name in enumerate(top):
                line = rows[rows["name"] == name].sort_values("domain_value")
                x = line["domain_value"].astype(int)
                share, low, high = (100 * line[c] for c in ("estimate", "ci_lower", "ci_upper"))
                if len(years) > 1:
                    (drawn,) = ax.plot(x, share, marker="o", label=name)
                    ax.fill_between(x, low, high, alpha=0.15, color=drawn.get_color())
                else:  # one year: intervals as bars, side by side
                    ax.errorbar(x + 0.08 * (position - (len(top) - 1) / 2), share, capsize=3,
                                yerr=[share - low, high - share], marker="o", label=name)  # fmt: skip
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
            ax.xaxis.set_major_locator(FixedLocator(years))
            ax.legend(fontsize=7, loc="upper left")
            ax.set_xlabel("year")
        ax.set_ylabel("share of label occurrences (%)")
        ax.set_title(title, fontsize=10)
    title = "Shares over the whole frame per year (prediction-powered, 95% intervals)"
    figure.suptitle(title, fontsize=11, y=1 - (above + 0.08) / height, va="top")
    if sample_data:
        figure.text(
            0.5,
            0.995,
            banner,
            ha="center",
            va="top",
            fontsize=11,
            fontweight="bold",
            color="white",
            bbox={"facecolor": "#b00020", "edgecolor": "none", "pad": 4},
        )
    if caption_lines:
        figure.text(0.01, 0.005, "\n".join(caption_lines), fontsize=7, color="#444", va="bottom")
    figure.tight_layout(rect=(0, below / height, 1, 1 - (above + 0.3) / height))
    metadata = {"Title": title}
    if caption:
        metadata["Source"] = caption
    if sample_data:
        metadata["Warning"] = banner
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata=metadata)
    plt.close(figure)
    return buffer.getvalue()
