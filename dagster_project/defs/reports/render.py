"""Renders the study's tables as markdown and Figure 1 as a PNG, from the marts."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # headless: reports are rendered in runs, never shown
import matplotlib.pyplot as plt  # noqa: E402


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float | Decimal):
        value = float(value)
        if math.isnan(value):
            return ""
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.4f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.1f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table (tabulate would do it too; not worth a dependency)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def closure_time_figure(rows: Sequence[dict]) -> bytes:
    """Figure 1: one box per challenge from the mart's n, min, q1, median, q3, max (days)."""
    boxes = [
        {
            "label": f"{r['challenge']} (n={r['n']})",
            "whislo": r["min_days"],
            "q1": r["q1_days"],
            "med": r["median_days"],
            "q3": r["q3_days"],
            "whishi": r["max_days"],
            "fliers": [],
        }
        for r in rows
        if r["n"]
    ]
    figure, axes = plt.subplots(figsize=(9, max(3.0, 0.45 * len(boxes) + 1.5)))
    if boxes:
        axes.bxp(boxes, vert=False, showfliers=False)
        axes.set_xscale("symlog", linthresh=1)
    else:
        axes.text(
            0.5, 0.5, "no labelled issues yet", ha="center", va="center", transform=axes.transAxes
        )
    axes.set_xlabel("days to close (closed_at - created_at), symmetric log scale")
    axes.set_title("Figure 1. Time to close GitHub issues by challenge")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()
