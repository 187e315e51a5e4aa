"""The report's figures, drawn with matplotlib: Figure 1 as the study draws it (days to close per
challenge, one box per challenge, sorted by median), from the marts' box statistics with this run's
outliers as points and the values the study's text gives marked beside them; and the shares per
year beyond the study (trend_figure). Each PNG carries its title, its source (the provenance line)
and, for sample data, the banner drawn and in its Warning text chunk."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")  # headless: reports are rendered in runs, never shown
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure as MatplotlibFigure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter  # noqa: E402

from report.banner import SAMPLE_BANNER, draw_banner  # noqa: E402

STUDY_COLOUR = "#c0392b"
#: readable ticks on the symmetric log scale (days)
DAY_TICKS = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
FIGURE1_TITLE = "Figure 1. Time to close GitHub issues by challenge"
TRENDS_TITLE = "Shares over the whole frame per year (prediction-powered, 95% intervals)"


def png(figure: MatplotlibFigure, *, title: str, caption: str | None, sample_data: bool,
        dpi: int) -> bytes:  # fmt: skip
    """The figure as PNG bytes, closed; its title, source and any SAMPLE DATA warning also in the
    PNG's text chunks."""
    metadata = {"Title": title}
    if caption:
        metadata["Source"] = caption
    if sample_data:
        metadata["Warning"] = SAMPLE_BANNER
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata=metadata)
    plt.close(figure)
    return buffer.getvalue()


def closure_time_figure(
    boxes: pd.DataFrame,
    outliers: pd.DataFrame,
    *,
    sample_data: bool,
    caption: str,
) -> bytes:
    """PNG of Figure 1 (see draw_closure_time_figure), its title, source and any SAMPLE DATA
    warning also in the PNG's text chunks."""
    figure = draw_closure_time_figure(boxes, outliers, sample_data=sample_data, caption=caption)
    return png(figure, title=FIGURE1_TITLE, caption=caption, sample_data=sample_data, dpi=110)


def draw_closure_time_figure(
    boxes: pd.DataFrame,
    outliers: pd.DataFrame,
    *,
    sample_data: bool,
    caption: str,
) -> MatplotlibFigure:
    """Figure 1.

    ``boxes`` is closure_time_by_challenge (one row per challenge: n, quartiles, whisker ends and
    the study's median or outlier where its text gives one); ``outliers`` holds the labelled issues
    beyond the whiskers (labelled_issue_closure_times where is_outlier)."""
    ordered = boxes.sort_values(
        ["median_days", "challenge"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)
    # The highest median at the top, as the study sorts its boxes.
    positions = list(range(len(ordered), 0, -1))
    figure, axes = plt.subplots(figsize=(10, 0.5 * len(ordered) + 2.6))
    _draw_boxes(axes, ordered, outliers, positions)
    legend = _mark_study_values(axes, ordered, positions)
    _lay_out_axes(axes, ordered, positions, legend)
    figure.text(
        0.01, 0.005, "\n".join(textwrap.wrap(caption, 170)), fontsize=7, color="#444", va="bottom"
    )
    if sample_data:
        draw_banner(figure)
    figure.tight_layout(rect=(0, 0.04, 1, 0.965 if sample_data else 1))
    return figure


def _draw_boxes(axes, ordered: pd.DataFrame, outliers: pd.DataFrame, positions: list[int]) -> None:
    """This run's boxes from the mart's quartiles and whiskers, its outliers as points (bxp: the
    statistics are computed in dbt, not by matplotlib)."""
    stats, box_positions = [], []
    for position, row in zip(positions, ordered.itertuples(index=False), strict=True):
        if row.n > 0:
            fliers = outliers.loc[outliers["challenge"] == row.challenge, "closure_days"]
            stats.append(
                {
                    "whislo": row.lower_whisker_days,
                    "q1": row.q1_days,
                    "med": row.median_days,
                    "q3": row.q3_days,
                    "whishi": row.upper_whisker_days,
                    "fliers": fliers.to_numpy(),
                }
            )
            box_positions.append(position)
    if not stats:
        axes.text(
            0.5, 0.5, "no labelled issues yet", ha="center", va="center", transform=axes.transAxes
        )
        return
    axes.bxp(
        stats,
        positions=box_positions,
        orientation="horizontal",
        showfliers=True,
        manage_ticks=False,
        flierprops={"marker": "o", "markersize": 4, "markerfacecolor": "#555", "alpha": 0.7},
        medianprops={"color": "#1f4e79", "linewidth": 2},
    )


#: the study's values the figure marks: column -> (marker, size, what the legend and label say)
_STUDY_MARKS = {
    "study_median_days": ("D", 8, "median"),
    "study_outlier_days": ("X", 9, "outlier"),
}


def _mark_study_values(axes, ordered: pd.DataFrame, positions: list[int]) -> list[Line2D]:
    """The study's medians and outliers where its text gives them; returns the legend entries."""
    legend = [
        Line2D([], [], color="#1f4e79", linewidth=2, label="this run: median"),
        Line2D([], [], marker="o", linestyle="", color="#555", markersize=4,
               label="this run: outlier (beyond 1.5 IQR)"),
    ]  # fmt: skip
    for column, (marker, size, what) in _STUDY_MARKS.items():
        for position, days in zip(positions, ordered[column], strict=True):
            if pd.isna(days):
                continue
            axes.plot(days, position, marker=marker, color=STUDY_COLOUR, markersize=size,
                      linestyle="", zorder=5)  # fmt: skip
            axes.annotate(
                f"study {what} {days:g} d",
                (days, position),
                xytext=(6, 7),
                textcoords="offset points",
                color=STUDY_COLOUR,
                fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            )
        if ordered[column].notna().any():
            legend.append(Line2D([], [], marker=marker, linestyle="", color=STUDY_COLOUR,
                                 label=f"study's text: {what}"))  # fmt: skip
    return legend


def _lay_out_axes(axes, ordered: pd.DataFrame, positions: list[int], legend: list) -> None:
    """Challenges with their n, days on a symmetric log scale wide enough for every mark."""
    axes.set_yticks(
        positions, [f"{c} (n={n})" for c, n in zip(ordered["challenge"], ordered["n"], strict=True)]
    )
    axes.set_ylim(0.3, len(ordered) + 0.7)
    axes.set_xscale("symlog", linthresh=1)
    columns = ("max_days", "study_outlier_days", "study_median_days")
    largest = max([1.0] + [float(v) for c in columns for v in ordered[c].dropna()])
    axes.set_xlim(0, largest * 2.5)  # room for the labels of the rightmost marks
    axes.xaxis.set_major_locator(FixedLocator([t for t in DAY_TICKS if t <= largest * 2.5]))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes.xaxis.set_minor_locator(FixedLocator([]))
    axes.grid(axis="x", color="#ddd", linewidth=0.6)
    axes.set_xlabel("days to close (closed_at - created_at), symmetric log scale")
    axes.set_title("Figure 1. Time to close GitHub issues by challenge, sorted by median")
    axes.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, -0.09),
                ncol=min(4, len(legend)), fontsize=8, frameon=False)  # fmt: skip


# -- beyond the study: shares per year ----------------------------------------------------------


def trend_figure(
    trends: Mapping[str, pd.DataFrame],
    *,
    sample_data: bool,
    caption: str | None = None,
    max_lines: int = 6,
) -> bytes:
    """One panel per frame: the largest shares per year with their PPI intervals as bands.

    ``trends``: panel title -> rows with year (domain_value), name, estimate, ci_lower, ci_upper.
    ``caption`` (the data's provenance) is drawn below the panels and kept as the PNG's Source.
    """
    panels = list(trends.items())
    width = 6.5 * max(1, len(panels))
    # about 17 characters of 7-point text per inch
    caption_lines = textwrap.wrap(caption, int(17 * width)) if caption else []
    # inches kept for the banner above the title and for the caption below the panels
    above = 0.35 if sample_data else 0.0
    below = 0.15 * len(caption_lines) + (0.1 if caption_lines else 0)
    height = 4.8 + above + below
    figure, axes = plt.subplots(1, max(1, len(panels)), figsize=(width, height))
    for ax, (title, rows) in zip(np.atleast_1d(axes), panels, strict=False):
        _draw_trend_panel(ax, rows[rows["estimate"].notna()], max_lines)
        ax.set_ylabel("share of label occurrences (%)")
        ax.set_title(title, fontsize=10)
    figure.suptitle(TRENDS_TITLE, fontsize=11, y=1 - (above + 0.08) / height, va="top")
    if sample_data:
        draw_banner(figure)
    if caption_lines:
        figure.text(0.01, 0.005, "\n".join(caption_lines), fontsize=7, color="#444", va="bottom")
    figure.tight_layout(rect=(0, below / height, 1, 1 - (above + 0.3) / height))
    return png(figure, title=TRENDS_TITLE, caption=caption, sample_data=sample_data, dpi=100)


def _draw_trend_panel(ax, rows: pd.DataFrame, max_lines: int) -> None:
    """The ``max_lines`` largest shares on average, a line and band each (bars for one year)."""
    if rows.empty:
        ax.text(0.5, 0.5, "no estimate yet", ha="center", va="center", transform=ax.transAxes)
        return
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
