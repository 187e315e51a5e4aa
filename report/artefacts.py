"""The study's artefacts, each shaped from its mart into a display table: this run beside the study,
and the difference where one is meaningful, in the study's row order, column order and rounding.

Each artefact names the warehouse tables it needs and a function building its Section. The study's
artefacts are required (a warehouse without their marts is an error naming the mart); artefacts
beyond the study (issue 10's whole-frame estimates, the suggester's agreement, the trends per year)
are optional and skipped silently when their marts are absent. The sections that exist once per
frame (Table 5/6, estimates, trends) are in report.frame_sections.

Tables 7 and 8 keep the seeds' row order (the study's): DuckDB preserves insertion order, so a mart
selected without ORDER BY returns the seed's rows as transcribed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from report.formatting import (
    MISSING,
    count,
    difference,
    interval,
    is_number,
    number,
    percent,
    trimmed,
)
from report.frame_sections import (
    display_frame,
    estimates_section,
    ml_related_section,
    shares_section,
    stale_notes,
    suggestion_reason,
    trends_section,
)
from report.frames import COMMIT_FRAME, ISSUE_FRAME, FrameSpec
from report.model import Figure, Provenance, Section
from report.provenance import provenance_summary
from report.warehouse import Warehouse


@dataclass(frozen=True)
class Artefact:
    requires: tuple[str, ...]
    build: Callable[[Warehouse, Provenance], Section]
    optional: bool = False


# -- pipeline counts --------------------------------------------------------------------------


def pipeline_counts(warehouse: Warehouse, provenance: Provenance) -> Section:
    counts = warehouse.load("pipeline_counts", order_by="step_order")
    rows = [
        [
            r.description,
            count(r.run_count),
            count(r.study_count),
            difference(r.run_count, r.study_count, 0),
        ]
        for r in counts.itertuples(index=False)
    ]
    frame_filter = provenance.study_parameters.get("issue_frame_filter", "all_closed")
    notes = (
        "Commits, files and closed issues are those of the selected projects.",
        f"The RQ2 sampling frame is chosen by the dbt var issue_frame_filter = {frame_filter}; "
        "both readings are counted above (see Table 4).",
    )
    return Section(
        key="pipeline_counts",
        title="Pipeline counts (sections 2.1-2.3): this run beside the study",
        table=display_frame(["Step", "This run", "Study", "Difference"], rows),
        notes=notes,
    )


# -- Tables 1, 3, 4 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Statistics:
    """How a descriptive table prints its statistics: the study's column order and headers, and
    its rounding. Table 1 prints means and deviations with two decimals (8,500.80) and the others
    with at most two (1,201, 62.53); Tables 3 and 4 print every statistic with at most one
    (1,808.6, 33.5, 57)."""

    columns: tuple[str, ...]
    headers: tuple[str, ...]
    decimals: int
    fixed: frozenset[str] = frozenset()

    def shown(self, statistic: str, value: object) -> str:
        if statistic in self.fixed:
            return number(value, self.decimals)
        return trimmed(value, self.decimals)

    def difference(self, statistic: str, run: object, study: object) -> str:
        return difference(run, study, self.decimals, trim=statistic not in self.fixed)


TABLE1_STATISTICS = Statistics(
    columns=("mean", "median", "std", "min", "max"),
    headers=("Mean", "Median", "Std. Deviation", "Minimum", "Maximum"),
    decimals=2,
    fixed=frozenset({"mean", "std"}),
)
ITEM_SAMPLE_STATISTICS = Statistics(
    columns=("mean", "std", "min", "median", "max"),
    headers=("Mean", "Std. Deviation", "Min", "Median", "Max"),
    decimals=1,
)


def _descriptive(warehouse: Warehouse, mart: str, statistics: Statistics) -> pd.DataFrame:
    rows: list[list[str]] = []
    for r in warehouse.load(mart, order_by="measure_order").itertuples(index=False):
        label = r.label if isinstance(r.label, str) else r.measure
        run = {s: getattr(r, s) for s in statistics.columns}
        study = {s: getattr(r, f"study_{s}") for s in statistics.columns}
        rows.append([label, f"this run (n = {r.n:,})"]
                    + [statistics.shown(s, v) for s, v in run.items()])  # fmt: skip
        rows.append(["", "study"] + [statistics.shown(s, v) for s, v in study.items()])
        if any(is_number(v) for v in study.values()):
            rows.append(["", "difference"]
                        + [statistics.difference(s, run[s], study[s]) for s in statistics.columns])  # fmt: skip
    return display_frame(["Measure", "Values", *statistics.headers], rows)


def table1(warehouse: Warehouse, provenance: Provenance) -> Section:
    table = _descriptive(warehouse, "project_statistics", TABLE1_STATISTICS)
    p = provenance.study_parameters
    return Section(
        key="table1_selected_projects",
        title="Table 1. Descriptive statistics of the selected projects",
        table=table,
        label_columns=2,
        notes=(
            "Watchers is GitHub's watchers_count, which is the star count: that is why the study's "
            "Watchers row equals its Stars row. Subscribers, the real number of watchers, is not in "
            "the study.",
            f"Contributors: the study's minimum of 3 contradicts its rule of more than 3 "
            f"contributors; this run applies the rule (contributors_more_than = "
            f"{p.get('contributors_more_than')}).",
            "Std. Deviation is the sample standard deviation (n - 1); medians are interpolated. "
            "Differences are this run minus the study.",
        ),
    )


def table3(warehouse: Warehouse, provenance: Provenance) -> Section:
    return Section(
        key="table3_commit_sample",
        title="Table 3. Descriptive statistics of the commit sample",
        table=_descriptive(warehouse, "commit_sample_statistics", ITEM_SAMPLE_STATISTICS),
        label_columns=2,
        notes=("Over every commit in the RQ1 sample, labelled or not.",),
    )


def table4(warehouse: Warehouse, provenance: Provenance) -> Section:
    counts = provenance.counts
    frame_filter = provenance.study_parameters.get("issue_frame_filter", "all_closed")
    everything = counts.get("closed_issues", 0)
    assigned = counts.get("closed_issues_assigned_and_labelled", 0)
    share = f" ({percent(assigned / everything)})" if everything else ""
    return Section(
        key="table4_issue_sample",
        title="Table 4. Descriptive statistics of the issue sample",
        table=_descriptive(warehouse, "issue_sample_statistics", ITEM_SAMPLE_STATISTICS),
        label_columns=2,
        notes=(
            "Over every issue in the RQ2 sample, labelled or not; age is closed_at - created_at "
            "in days.",
            "Sampling frame under each reading of the study: all closed issues (its text) "
            f"{everything:,}; only closed issues with at least one assignee and one label (its "
            f"Table 4's minima of 1) {assigned:,}{share}. This run: issue_frame_filter = "
            f"{frame_filter}, a frame of {counts.get('issue_sampling_frame', 0):,} issues.",
        ),
    )


# -- Table 2 ----------------------------------------------------------------------------------


def _words(values: object) -> list[str]:
    return [] if values is None else [str(v) for v in values]  # type: ignore[attr-defined]


def table2(warehouse: Warehouse, provenance: Provenance) -> Section:
    keywords = warehouse.load("keyword_matches", order_by="table_2_row nulls last, keyword")
    rows = []
    for r in keywords.itertuples(index=False):
        printed = _words(r.printed_variants)
        added = [v for v in _words(r.searched_variants) if v not in printed and v != r.keyword]
        rows.append([r.keyword, ", ".join(printed), ", ".join(added) or MISSING,
                     count(r.model_files), count(r.model_file_commits)])  # fmt: skip
    mode = provenance.study_parameters.get("keyword_match_mode", "substring")
    return Section(
        key="table2_keywords",
        title="Table 2. Keywords searched in the paths of modified files",
        table=display_frame(
            ["Keyword", "Variants", "Also searched", "Model files", "Model-file commits"], rows
        ),
        label_columns=3,
        notes=(
            f"keyword_match_mode = {mode}. The study gives no count per keyword; a file or commit "
            "matching several keywords counts for each.",
            "Keyword and Variants: the 13 rows of the study's Table 2 in its order, the variants "
            "as it prints them (its text says 14 keywords). Also searched: the separator forms "
            "added for multi-word keywords (docs/method.md); keywords added to the seed "
            "model_file_keywords follow the study's.",
        ),
    )


# -- agreement --------------------------------------------------------------------------------


RATER_HEADERS = ("Frame", "Raters", "Items", "Instances", "Observed agreement",
                 "Expected agreement", "Cohen's kappa", "Study's kappa", "Difference")  # fmt: skip


def _rater_rows(pairs: pd.DataFrame, study: Any) -> list[list[str]]:
    """A row per rater pair of the frame (``study``: its study_rater_agreement row)."""
    kappa = study.study_cohen_kappa
    if pairs.empty:
        return [[study.frame, "no two raters yet", *[MISSING] * 5, number(kappa, 2), MISSING]]
    return [
        [
            r.frame,
            f"{r.rater_a} / {r.rater_b}",
            count(r.item_count),
            count(r.instance_count),
            number(r.observed_agreement, 2),
            number(r.expected_agreement, 2),
            number(r.cohen_kappa, 2),
            number(kappa, 2),
            difference(r.cohen_kappa, kappa, 2),
        ]  # fmt: skip
        for r in pairs.itertuples(index=False)
    ]


def rater_agreement(warehouse: Warehouse, provenance: Provenance) -> Section:
    pairs = warehouse.load("rater_agreement", order_by="frame, rater_a, rater_b")
    study = list(warehouse.load("study_rater_agreement", order_by="frame").itertuples(index=False))
    rows = [row for s in study for row in _rater_rows(pairs[pairs["frame"] == s.frame], s)]
    return Section(
        key="rater_agreement",
        title="Inter-rater agreement (Cohen's kappa)",
        table=display_frame(RATER_HEADERS, rows),
        label_columns=2,
        notes=(
            *(f"{s.frame}: {s.study_note}." for s in study),
            "Kappa over the multi-instance form of the labels (docs/method.md, Labels), as "
            "scikit-learn's cohen_kappa_score computes it.",
        ),
    )


# -- Figure 1 ---------------------------------------------------------------------------------

#: Figure 1's statistics, in days: whole days, as the study's text gives them (a median of 13, an
#: outlier of 908, Table 4's ages 0 to 1,462)
DAY_STATISTICS = ("min", "q1", "median", "q3", "max")


def _days(value: object) -> str:
    return number(value, 0)


def _outlier_note(r: Any) -> str:
    longest = f"{_days(r.max_days)} days" if r.n else "no labelled issue yet"
    outliers = f"{r.outlier_count} {'outlier' if r.outlier_count == 1 else 'outliers'}"
    return (
        f"The study's text names a {_days(r.study_outlier_days)}-day outlier for {r.challenge}; "
        f"this run's longest {r.challenge} issue: {longest} ({outliers} in this run)."
    )


def figure1(warehouse: Warehouse, provenance: Provenance) -> Section:
    from report.figures import closure_time_figure  # matplotlib loads only to draw

    boxes = warehouse.load(
        "closure_time_by_challenge", order_by="median_days desc nulls last, challenge"
    )
    points = warehouse.load("labelled_issue_closure_times", order_by="challenge, closure_days")
    png = closure_time_figure(
        boxes,
        points[points["is_outlier"]],
        sample_data=provenance.is_sample_data,
        caption=provenance_summary(provenance),
    )
    rows = [
        [r.challenge, count(r.n)]
        + [_days(getattr(r, f"{s}_days")) for s in DAY_STATISTICS]
        + [
            count(r.outlier_count),
            _days(r.study_median_days),
            difference(r.median_days, r.study_median_days, 0),
        ]  # fmt: skip
        for r in boxes.itertuples(index=False)
    ]
    notes = [
        _outlier_note(r) for r in boxes.itertuples(index=False) if is_number(r.study_outlier_days)
    ]
    notes += [
        "Boxes: quartiles and median; whiskers reach the farthest issue within 1.5 interquartile "
        "ranges; issues beyond are drawn as points (labelled_issue_closure_times.is_outlier). An "
        "issue with two challenges is in both boxes. Days rounded to whole days, as the study "
        "gives them.",
        "The study prints Figure 1 without numbers; its text gives only the marked values.",
    ]
    return Section(
        key="figure1_closure_times",
        title="Figure 1. Time to close GitHub issues by challenge (days)",
        table=display_frame(
            [
                "Challenge",
                "n",
                "Min",
                "Q1",
                "Median",
                "Q3",
                "Max",
                "Outliers",
                "Study median",
                "Difference (median)",
            ],
            rows,
        ),  # fmt: skip
        notes=tuple(notes),
        figure=Figure(
            file_name="figure1_closure_times.png",
            png=png,
            alt="Figure 1: box plot of days to close the labelled issues per challenge, sorted by "
            "median, outliers as points, the study's values marked",
        ),
    )


# -- Tables 7 and 8 ---------------------------------------------------------------------------


def _survey_rows(
    answers: pd.DataFrame, group: str, label: Callable[[Any], str]
) -> tuple[list[list[str]], list[int]]:
    """The seed's rows under their group (a dimension, a question), in the study's order: the
    study's share, then the respondents it stands for and their interval."""
    rows: list[list[str]] = []
    groups: list[int] = []
    for name, members in answers.groupby(group, sort=False):
        groups.append(len(rows))
        rows.append([str(name), "", "", "", ""])
        rows += [
            [
                "",
                label(r),
                percent(r.study_share_pct, of_100=True),
                f"{r.respondents} of {r.total_respondents}",
                interval(r.share_ci_lower, r.share_ci_upper),
            ]  # fmt: skip
            for r in members.itertuples(index=False)
        ]
    return rows, groups


def table7(warehouse: Warehouse, provenance: Provenance) -> Section:
    background = warehouse.load("survey_background")
    rows, groups = _survey_rows(background, "dimension", lambda r: r.answer)
    total = int(background["total_respondents"].max()) if len(background) else 0
    rows.append(["Total participants", "", "", count(total), ""])
    return Section(
        key="table7_survey_background",
        title="Table 7. Background of the survey respondents (RQ3)",
        table=display_frame(["Dimension", "Answer", "Study %", "Respondents", "95% CI"], rows),
        label_columns=2,
        group_rows=(*groups, len(rows) - 1),
        notes=(
            "The survey is the study's own (21 respondents); this project has no survey data. "
            "Respondents are the printed percentages x 21, rounded; the intervals are Wilson 95% "
            "intervals of those counts.",
        ),
    )


def _solution(r: Any) -> str:
    """As the study prints it: the solution, * when a respondent proposed it, its references."""
    mark = " *" if r.is_participant_proposed else ""
    reference = f" {r.study_reference}" if isinstance(r.study_reference, str) else ""
    return f"{r.solution}{mark}{reference}"


def table8(warehouse: Warehouse, provenance: Provenance) -> Section:
    rows, groups = _survey_rows(warehouse.load("survey_solutions"), "survey_question", _solution)
    return Section(
        key="table8_survey_solutions",
        title="Table 8. Solutions to the challenges chosen by the survey respondents (RQ3)",
        table=display_frame(["Challenge", "Solution", "Study %", "Respondents", "95% CI"], rows),
        label_columns=2,
        group_rows=tuple(groups),
        notes=(
            "* proposed by a respondent; [n]: the study's references. Several answers were "
            "allowed, so shares do not sum to 100%. The Testing question's 'Does not apply' row is "
            "cut off in the study's text.",
            "The survey is the study's own; respondents are the printed percentages x 21, rounded.",
        ),
    )


# -- beyond the study (issue 10) --------------------------------------------------------------


SUGGESTER_HEADERS = ("Frame", "Items", "Folds", "Suggester's kappa", "Raters' kappa",
                     "Difference", "Study's kappa", "Kappa, paired with none",
                     "Exact label sets %", "ML-related kappa")  # fmt: skip


def _suggester_row(frame: str, scopes: pd.DataFrame, study_kappa: object) -> list[str]:
    r = scopes[scopes["metric_scope"] == "all labels"].iloc[0]
    relevance = scopes.loc[scopes["metric_scope"] == "not ML-related", "cohen_kappa"]
    return [frame, count(r.evaluated_items), count(r.folds), number(r.cohen_kappa, 2),
            number(r.rater_kappa_mean, 2), difference(r.cohen_kappa, r.rater_kappa_mean, 2),
            number(study_kappa, 2), number(getattr(r, "cohen_kappa_none_pairs", None), 2),
            percent(r.exact_set_agreement),
            number(relevance.iloc[0], 2) if len(relevance) else MISSING]  # fmt: skip


def suggester_agreement(warehouse: Warehouse, provenance: Provenance) -> Section:
    key = "suggester_agreement"
    title = "Beyond the study: the label suggester beside the raters (Cohen's kappa)"
    agreement = warehouse.load("suggester_agreement", order_by="frame")
    study = warehouse.load("study_rater_agreement").set_index("frame")["study_cohen_kappa"]
    rows, notes = [], []
    for frame in warehouse.load("suggestion_status", order_by="frame")["frame"]:
        scopes = agreement[agreement["frame"] == frame]
        overall = scopes[scopes["metric_scope"] == "all labels"]
        if overall.empty or overall["suggester_status"].iloc[0] != "ok":
            reason = (suggestion_reason(warehouse, frame) if overall.empty
                      else str(overall["suggester_status_reason"].iloc[0]))  # fmt: skip
            notes.append(f"{frame}: no agreement to report: {reason}.")
            continue
        rows.append(_suggester_row(frame, scopes, study.get(frame)))
        notes += stale_notes(scopes.head(1))
    if not rows:
        return Section(key=key, title=title, notes=tuple(notes))
    return Section(
        key=key,
        title=title,
        table=display_frame(SUGGESTER_HEADERS, rows),
        notes=(
            *notes,
            "Suggester's kappa: its labels against the adjudicated ones, each item predicted by a "
            "model trained on other projects' items (cross-validation by project), as the "
            "multi-instance kappa of the raters. Raters' kappa: rater_agreement, the mean over "
            "rater pairs; difference = suggester - raters. Exact label sets: items whose "
            "suggested set is the adjudicated set. ML-related kappa: the relevance suggestion "
            "against the review decisions (keep/reject), none without a rejected item. Kappa, "
            "paired with none: each label only one side gave is paired with none, so a wrong "
            "label beside a missed one counts twice (stricter than the study's pairs).",
            "Per-label precision and recall: suggester_agreement where metric_scope = 'label'.",
        ),
    )


def _frame_artefact(
    spec: FrameSpec, build: Callable[[FrameSpec, Warehouse, Provenance], Section], *tables: str
) -> Artefact:
    optional = build is not shares_section
    return Artefact((*tables, spec.taxonomy), partial(build, spec), optional=optional)


STUDY_ARTEFACTS: tuple[Artefact, ...] = (
    Artefact(("pipeline_counts",), pipeline_counts),
    Artefact(("project_statistics",), table1),
    Artefact(("keyword_matches",), table2),
    Artefact(("commit_sample_statistics",), table3),
    Artefact(("issue_sample_statistics",), table4),
    Artefact(("rater_agreement", "study_rater_agreement"), rater_agreement),
    _frame_artefact(COMMIT_FRAME, shares_section, COMMIT_FRAME.distribution),
    _frame_artefact(ISSUE_FRAME, shares_section, ISSUE_FRAME.distribution),
    Artefact(("closure_time_by_challenge", "labelled_issue_closure_times"), figure1),
    Artefact(("survey_background",), table7),
    Artefact(("survey_solutions",), table8),
)

#: Sections beyond the study (issue 10): included when the warehouse holds their marts, skipped
#: silently otherwise (a warehouse built before the suggestion marts existed).
EXTRA_ARTEFACTS: tuple[Artefact, ...] = (
    *(
        _frame_artefact(spec, estimates_section, spec.estimates, "suggestion_status")
        for spec in (COMMIT_FRAME, ISSUE_FRAME)
    ),  # fmt: skip
    Artefact(
        (COMMIT_FRAME.estimates, ISSUE_FRAME.estimates, "suggestion_status"),
        partial(ml_related_section, (COMMIT_FRAME, ISSUE_FRAME)),
        optional=True,
    ),
    Artefact(
        ("suggester_agreement", "suggestion_status", "study_rater_agreement"),
        suggester_agreement,
        optional=True,
    ),
    *(
        _frame_artefact(spec, trends_section, spec.trends, "suggestion_status")
        for spec in (COMMIT_FRAME, ISSUE_FRAME)
    ),  # fmt: skip
)
