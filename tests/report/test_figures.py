"""Figure 1 drawn from the marts: boxes equal matplotlib's own statistics of the labelled issues,
outliers are points (a 908-day issue is not hidden in a whisker), the study's values are marked."""

from __future__ import annotations

import io

import duckdb
import numpy as np
import pandas as pd
import pytest
from matplotlib.cbook import boxplot_stats
from PIL import Image

from report.figures import SAMPLE_BANNER, closure_time_figure, draw_closure_time_figure


def test_mart_boxes_equal_matplotlib_boxplot_stats_of_the_labelled_issues(warehouse_path):
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        points = con.execute(
            "select challenge, closure_days, is_outlier from labelled_issue_closure_times"
        ).df()
        boxes = con.execute("select * from closure_time_by_challenge where n > 0").df()
    assert len(boxes) == 13 and points["is_outlier"].any()
    for box in boxes.itertuples(index=False):
        days = points.loc[points["challenge"] == box.challenge, "closure_days"].to_numpy()
        (stats,) = boxplot_stats(days, whis=1.5)
        assert (box.q1_days, box.median_days, box.q3_days) == pytest.approx(
            (stats["q1"], stats["med"], stats["q3"])
        )
        assert (box.lower_whisker_days, box.upper_whisker_days) == pytest.approx(
            (stats["whislo"], stats["whishi"])
        )
        flagged = points.loc[
            (points["challenge"] == box.challenge) & points["is_outlier"], "closure_days"
        ]
        assert sorted(flagged) == pytest.approx(sorted(stats["fliers"]))
        assert box.outlier_count == len(stats["fliers"])


def _study_like() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resource Constraints with the study's 908-day issue among short ones: 1, 2, 3, 4, 5, 908
    days (q1 2.25, q3 4.75, upper fence 8.5, whisker at 5); Model Performance without outliers."""
    boxes = pd.DataFrame([
        {"challenge": "Resource Constraints", "n": 6, "q1_days": 2.25, "median_days": 3.5,
         "q3_days": 4.75, "lower_whisker_days": 1.0, "upper_whisker_days": 5.0, "max_days": 908.0,
         "study_median_days": np.nan, "study_outlier_days": 908.0},
        {"challenge": "Model Performance", "n": 3, "q1_days": 10.0, "median_days": 12.0,
         "q3_days": 15.0, "lower_whisker_days": 8.0, "upper_whisker_days": 18.0, "max_days": 18.0,
         "study_median_days": 13.0, "study_outlier_days": np.nan},
        {"challenge": "Testing", "n": 0, "q1_days": np.nan, "median_days": np.nan,
         "q3_days": np.nan, "lower_whisker_days": np.nan, "upper_whisker_days": np.nan,
         "max_days": np.nan, "study_median_days": np.nan, "study_outlier_days": np.nan},
    ])  # fmt: skip
    outliers = pd.DataFrame({"challenge": ["Resource Constraints"], "closure_days": [908.0]})
    return boxes, outliers


def _marks(figure, marker):
    axes = figure.axes[0]
    return [(x, y) for line in axes.get_lines() if line.get_marker() == marker
            for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)]  # fmt: skip


def test_a_908_day_issue_is_a_point_beyond_its_whisker_and_the_study_values_are_marked():
    boxes, outliers = _study_like()
    figure = draw_closure_time_figure(boxes, outliers, sample_data=False, caption="c")
    axes = figure.axes[0]
    labels = [t.get_text() for t in axes.get_yticklabels()]
    positions = dict(zip(labels, axes.get_yticks(), strict=True))
    # sorted by median, highest at the top; the challenge without labelled issues last
    assert sorted(labels, key=lambda label: -positions[label]) == [
        "Model Performance (n=3)", "Resource Constraints (n=6)", "Testing (n=0)"]  # fmt: skip
    assert _marks(figure, "o") == [(908.0, positions["Resource Constraints (n=6)"])]
    whisker_ends = [
        max(line.get_xdata()) for line in axes.get_lines() if line.get_marker() in ("None", "")
    ]
    assert max(whisker_ends) < 908  # no box or whisker reaches it: only the point does
    assert _marks(figure, "D") == [(13.0, positions["Model Performance (n=3)"])]
    assert _marks(figure, "X") == [(908.0, positions["Resource Constraints (n=6)"])]
    assert axes.get_xlim()[1] > 908
    assert not any("SAMPLE DATA" in t.get_text() for t in figure.texts)


def test_sample_data_is_on_the_figure_and_in_the_png_metadata():
    boxes, outliers = _study_like()
    figure = draw_closure_time_figure(boxes, outliers, sample_data=True, caption="build b1")
    assert SAMPLE_BANNER in [t.get_text() for t in figure.texts]
    png = closure_time_figure(boxes, outliers, sample_data=True, caption="build b1")
    info = Image.open(io.BytesIO(png)).info
    assert info["Warning"] == SAMPLE_BANNER and info["Source"] == "build b1"
    plain = Image.open(
        io.BytesIO(closure_time_figure(boxes, outliers, sample_data=False, caption="c"))
    )
    assert "Warning" not in plain.info
