"""Markdown through pandas/tabulate and HTML through pandas' Styler: alignment, grouping, escaping,
and one self-contained HTML file."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

from report import Section, Warehouse, build_report, render_files
from report.render import frame_markdown, html_table, markdown_table


@pytest.fixture(scope="module")
def files(warehouse_path):
    with Warehouse.open(warehouse_path) as warehouse:
        return render_files(build_report(warehouse))


def _section(**kwargs) -> Section:
    table = pd.DataFrame(
        [["Maintenance", "", "56", "22.5"], ["", "Bug <Fix> | patch", "18", "7.2"]],
        columns=["Category", "Activity", "n", "%"],
        dtype=object,
    )
    return Section(key="t", title="T", table=table, label_columns=2, group_rows=(0,), **kwargs)


def test_markdown_aligns_labels_left_numbers_right_and_bolds_group_rows():
    lines = markdown_table(_section()).splitlines()
    assert re.fullmatch(r"\|:-+\|:-+\|-+:\|-+:\|", lines[1])
    assert "**Maintenance**" in lines[2] and "**56**" in lines[2]
    assert r"Bug <Fix> \| patch" in lines[3]  # a pipe in a cell does not open a column


def test_any_display_frame_goes_through_pandas_with_cells_kept_as_text():
    frame = pd.DataFrame(
        {"label": ["a | b", "two\nlines", None], "n": ["0.50", "+0.4", "1,808.6"]}, dtype=object
    )
    lines = frame_markdown(frame).splitlines()
    assert len(lines) == 5  # header, rule, three rows: a newline does not end a row
    assert r"a \| b" in lines[2] and "two lines" in lines[3]
    # tabulate would print 0.5, 0.4 and 1808.6 if it parsed the numbers
    assert [line.rstrip(" |").rsplit(" ", 1)[-1] for line in lines[2:]] == [
        "0.50",
        "+0.4",
        "1,808.6",
    ]
    assert lines[4].startswith("|       ")  # None is an empty cell, not "None"


def test_html_escapes_cells_and_right_aligns_numbers():
    html = html_table(_section())
    assert "Bug &lt;Fix&gt; | patch" in html and "<Fix>" not in html
    for selector in ("td.col2", "th.col_heading.col2", "td.col3", "th.col_heading.col3"):
        assert re.search(rf"#T_t\s+{re.escape(selector)} \{{\s*text-align: right", html), selector
    assert "td.col1 {" not in html  # labels stay left
    assert "font-weight: 600" in html


def test_every_artefact_has_its_markdown_file_and_the_html_holds_them_all(files):
    expected = {"README.md", "report.html", "provenance.json", "figure1_closure_times.png",
                "activity_trends.png", "challenge_trends.png"}  # fmt: skip
    expected |= {f"{key}.md" for key in (
        "provenance", "study_parameters", "pipeline_counts", "table1_selected_projects",
        "table2_keywords", "table3_commit_sample", "table4_issue_sample", "rater_agreement",
        "table5_activities", "table6_challenges", "figure1_closure_times",
        "table7_survey_background", "table8_survey_solutions", "activity_estimates",
        "challenge_estimates", "ml_related_shares", "suggester_agreement", "suggester_real_set",
        "activity_trends", "challenge_trends")}  # fmt: skip
    assert set(files) == expected
    html = files["report.html"].decode()
    for title in re.findall(rb"^## (.+)$", files["README.md"], re.M):
        assert title.decode().replace("'", "&#x27;") in html
    for name, content in files.items():
        if name.endswith(".md") and name not in (
            "README.md",
            "provenance.md",
            "study_parameters.md",
        ):
            assert b"build " in content and b"Full provenance" in content, name
            assert (
                b"study parameters: " in content and b"issue_frame_filter = all_closed" in content
            )


def test_the_html_is_self_contained(files):
    html = files["report.html"].decode()
    assert not re.search(r"""(src|href)=["']?(https?:|//|file:)""", html)
    assert "<link" not in html and "<script" not in html
    encoded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    pngs = sorted(content for name, content in files.items() if name.endswith(".png"))
    assert sorted(base64.b64decode(e) for e in encoded) == pngs and len(pngs) == 3
