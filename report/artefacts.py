"""The study's artefacts, each shaped from its mart into a display table: this run beside the study,
and the difference where one is meaningful.

Each artefact names the warehouse tables it needs and a function building its Section. The study's
artefacts are required (a warehouse without their marts is an error naming the mart); artefacts
beyond the study are optional and skipped silently when their marts are absent, so another package
(issue 10's population estimates) adds its tables with one ``Artefact(...)`` in EXTRA_ARTEFACTS.

Tables 7 and 8 keep the seeds' row order (the study's): DuckDB preserves insertion order, so a mart
selected without ORDER BY returns the seed's rows as transcribed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from report.figures import closure_time_figure
from report.formatting import (
    MISSING,
    count,
    interval,
    is_number,
    number,
    percent,
    signed,
    trimmed,
)
from report.model import Figure, Provenance, Section
from report.provenance import provenance_summary
from report.warehouse import Warehouse

STATISTICS = ("mean", "median", "std", "min", "max")
STATISTIC_HEADERS = ("Mean", "Median", "SD", "Min", "Max")


@dataclass(frozen=True)
class Artefact:
    requires: tuple[str, ...]
    build: Callable[[Warehouse, Provenance], Section]
    optional: bool = False


def _frame(columns: Iterable[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


def _difference(run: object, study: object, decimals: int, *, trim: bool = False) -> str:
    """run - study, both rounded as printed first, so the difference shown is the one a reader
    computes from the two numbers beside it."""
    if not (is_number(run) and is_number(study)):
        return MISSING
    difference = round(float(run), decimals) - round(float(study), decimals)
    return signed(difference, decimals, trim=trim)


# -- pipeline counts --------------------------------------------------------------------------


def pipeline_counts(warehouse: Warehouse, provenance: Provenance) -> Section:
    counts = warehouse.load("pipeline_counts", order_by="step_order")
    rows = [
        [
            r.description,
            count(r.run_count),
            count(r.study_count),
            _difference(r.run_count, r.study_count, 0) if is_number(r.study_count) else MISSING,
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
        table=_frame(["Step", "This run", "Study", "Difference"], rows),
        notes=notes,
    )


# -- Tables 1, 3, 4 ---------------------------------------------------------------------------


def _descriptive(warehouse: Warehouse, *, mart: str, decimals: int) -> pd.DataFrame:
    statistics = warehouse.load(mart, order_by="measure_order")
    rows: list[list[str]] = []

    def shown(statistic: str, value: object) -> str:
        # Means and deviations with the study's decimals; medians and extremes as printed (33.5, 1,201).
        return number(value, decimals) if statistic in ("mean", "std") else trimmed(value, decimals)

    for r in statistics.itertuples(index=False):
        label = r.label if isinstance(r.label, str) else r.measure
        rows.append(
            [label, f"this run (n = {r.n:,})"] + [shown(s, getattr(r, s)) for s in STATISTICS]
        )
        study = [getattr(r, f"study_{s}") for s in STATISTICS]
        rows.append(["", "study"] + [shown(s, v) for s, v in zip(STATISTICS, study, strict=True)])
        if any(is_number(v) for v in study):
            rows.append(
                ["", "difference"]
                + [
                    _difference(getattr(r, s), v, decimals, trim=s not in ("mean", "std"))
                    for s, v in zip(STATISTICS, study, strict=True)
                ]
            )
    return _frame(["Measure", "Values", *STATISTIC_HEADERS], rows)


def table1(warehouse: Warehouse, provenance: Provenance) -> Section:
    table = _descriptive(warehouse, mart="project_statistics", decimals=2)
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
            "SD is the sample standard deviation (n - 1); medians are interpolated. Differences "
            "are this run minus the study.",
        ),
    )


def table3(warehouse: Warehouse, provenance: Provenance) -> Section:
    table = _descriptive(warehouse, mart="commit_sample_statistics", decimals=1)
    return Section(
        key="table3_commit_sample",
        title="Table 3. Descriptive statistics of the commit sample",
        table=table,
        label_columns=2,
        notes=("Over every commit in the RQ1 sample, labelled or not.",),
    )


def table4(warehouse: Warehouse, provenance: Provenance) -> Section:
    table = _descriptive(warehouse, mart="issue_sample_statistics", decimals=1)
    counts = provenance.counts
    frame_filter = provenance.study_parameters.get("issue_frame_filter", "all_closed")
    everything = counts.get("closed_issues", 0)
    assigned = counts.get("closed_issues_assigned_and_labelled", 0)
    share = f" ({percent(assigned / everything)}%)" if everything else ""
    return Section(
        key="table4_issue_sample",
        title="Table 4. Descriptive statistics of the issue sample",
        table=table,
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
    keywords = warehouse.load("keyword_matches", order_by="model_files desc, keyword")
    rows = []
    for r in keywords.itertuples(index=False):
        printed = _words(r.printed_variants)
        added = [v for v in _words(r.searched_variants) if v not in printed and v != r.keyword]
        rows.append(
            [
                r.keyword,
                ", ".join(printed) or MISSING,
                ", ".join(added) or MISSING,
                count(r.model_files),
                count(r.model_file_commits),
            ]
        )
    mode = provenance.study_parameters.get("keyword_match_mode", "substring")
    return Section(
        key="table2_keywords",
        title="Table 2. Keywords searched in the paths of modified files",
        table=_frame(
            [
                "Keyword",
                "Variants in Table 2",
                "Also searched",
                "Model files",
                "Model-file commits",
            ],
            rows,
        ),
        label_columns=3,
        notes=(
            f"keyword_match_mode = {mode}. The study gives no count per keyword; a file or commit "
            "matching several keywords counts for each.",
            "The 13 rows of the study's Table 2 (its text says 14 keywords); 'Also searched' are the "
            "separator forms added for multi-word keywords (docs/method.md).",
        ),
    )


# -- agreement --------------------------------------------------------------------------------


def rater_agreement(warehouse: Warehouse, provenance: Provenance) -> Section:
    pairs = warehouse.load("rater_agreement", order_by="frame, rater_a, rater_b")
    study = warehouse.load("study_rater_agreement", order_by="frame")
    rows, notes = [], []
    for s in study.itertuples(index=False):
        frame_pairs = pairs[pairs["frame"] == s.frame]
        study_kappa = number(s.study_cohen_kappa, 2)
        if frame_pairs.empty:
            rows.append(
                [
                    s.frame,
                    "no two raters yet",
                    MISSING,
                    MISSING,
                    MISSING,
                    MISSING,
                    MISSING,
                    study_kappa,
                    MISSING,
                ]
            )
        for r in frame_pairs.itertuples(index=False):
            rows.append(
                [
                    r.frame,
                    f"{r.rater_a} / {r.rater_b}",
                    count(r.item_count),
                    count(r.instance_count),
                    number(r.observed_agreement, 2),
                    number(r.expected_agreement, 2),
                    number(r.cohen_kappa, 2),
                    study_kappa,
                    _difference(r.cohen_kappa, s.study_cohen_kappa, 2),
                ]
            )
        notes.append(f"{s.frame}: {s.study_note}.")
    notes.append(
        "Kappa over the multi-instance form of the labels (docs/method.md, Labels), as "
        "scikit-learn's cohen_kappa_score computes it."
    )
    return Section(
        key="rater_agreement",
        title="Inter-rater agreement (Cohen's kappa)",
        table=_frame(
            [
                "Frame",
                "Raters",
                "Items",
                "Instances",
                "Observed agreement",
                "Expected agreement",
                "Cohen's kappa",
                "Study's kappa",
                "Difference",
            ],
            rows,
        ),
        label_columns=2,
        notes=tuple(notes),
    )


# -- Tables 5 and 6 ---------------------------------------------------------------------------


def _share_row(
    label: list[str], n: object, share: object, low: object, high: object, study_pct: object
) -> list[str]:
    shown = round(100 * float(share), 1) if is_number(share) else None
    return label + [
        count(n),
        percent(share),
        interval(low, high),
        number(study_pct, 1),
        _difference(shown, study_pct, 1),
    ]


def _labelled_note(provenance: Provenance, frame: str, unit: str) -> str:
    """``unit`` with its article: 'a commit', 'an issue'."""
    labelled = provenance.counts.get(f"labelled_{frame}", 0)
    sampled = provenance.counts.get(f"{frame[:-1]}_sample", 0)
    return (
        f"{labelled:,} of {sampled:,} sampled {frame} have final labels (agreed or adjudicated); "
        f"n counts label occurrences, so {unit} with two labels counts for both, and shares sum "
        "to 100% over occurrences, as the study's do."
    )


def table5(warehouse: Warehouse, provenance: Provenance) -> Section:
    activities = warehouse.load(
        "activity_distribution",
        order_by="study_category_share_pct desc, category, study_share_pct desc, activity",
    )
    rows: list[list[str]] = []
    groups: list[int] = []
    for category, members in activities.groupby("category", sort=False):
        first = members.iloc[0]
        groups.append(len(rows))
        rows.append(
            _share_row(
                [str(category), ""],
                first.category_occurrences,
                first.category_share,
                first.category_share_ci_lower,
                first.category_share_ci_upper,
                first.study_category_share_pct,
            )
        )
        for r in members.itertuples(index=False):
            rows.append(
                _share_row(
                    ["", r.activity],
                    r.occurrences,
                    r.share,
                    r.share_ci_lower,
                    r.share_ci_upper,
                    r.study_share_pct,
                )
            )
    total = int(activities["total_occurrences"].max()) if len(activities) else 0
    groups.append(len(rows))
    rows.append(["Total", "", count(total), "100.0" if total else MISSING, "", "100.0", ""])
    confidence = provenance.study_parameters.get("interval_confidence", 0.95)
    return Section(
        key="table5_activities",
        title="Table 5. Model management activities (RQ1)",
        table=_frame(
            [
                "Category",
                "Activity",
                "n",
                "%",
                f"{confidence:.0%} CI",
                "Study %",
                "Difference (pp)",
            ],
            rows,
        ),
        label_columns=2,
        group_rows=tuple(groups),
        notes=(
            _labelled_note(provenance, "commits", "a commit"),
            f"CI: Wilson score interval at interval_confidence = {confidence}. Difference: this "
            "run's % minus the study's, in percentage points. Rows in the study's order.",
        ),
    )


def table6(warehouse: Warehouse, provenance: Provenance) -> Section:
    challenges = warehouse.load(
        "challenge_distribution",
        order_by="challenge = 'Other', study_share_pct desc, challenge",
    )
    rows = [
        _share_row(
            [r.challenge],
            r.occurrences,
            r.share,
            r.share_ci_lower,
            r.share_ci_upper,
            r.study_share_pct,
        )
        for r in challenges.itertuples(index=False)
    ]
    total = int(challenges["total_occurrences"].max()) if len(challenges) else 0
    rows.append(["Total", count(total), "100.0" if total else MISSING, "", "100.0", ""])
    confidence = provenance.study_parameters.get("interval_confidence", 0.95)
    return Section(
        key="table6_challenges",
        title="Table 6. Model management challenges (RQ2)",
        table=_frame(
            ["Challenge", "n", "%", f"{confidence:.0%} CI", "Study %", "Difference (pp)"], rows
        ),
        group_rows=(len(rows) - 1,),
        notes=(
            _labelled_note(provenance, "issues", "an issue"),
            f"CI: Wilson score interval at interval_confidence = {confidence}. Difference: this "
            "run's % minus the study's, in percentage points. Rows in the study's order.",
        ),
    )


# -- Figure 1 ---------------------------------------------------------------------------------


def figure1(warehouse: Warehouse, provenance: Provenance) -> Section:
    boxes = warehouse.load(
        "closure_time_by_challenge", order_by="median_days desc nulls last, challenge"
    )
    points = warehouse.load("labelled_issue_closure_times", order_by="challenge, closure_days")
    outliers = points[points["is_outlier"]]
    png = closure_time_figure(
        boxes,
        outliers,
        sample_data=provenance.is_sample_data,
        caption=provenance_summary(provenance),
    )
    rows, notes = [], []
    for r in boxes.itertuples(index=False):
        rows.append(
            [r.challenge, count(r.n)]
            + [trimmed(getattr(r, f"{s}_days"), 1) for s in ("min", "q1", "median", "q3", "max")]
            + [
                count(r.outlier_count),
                trimmed(r.study_median_days, 1),
                _difference(r.median_days, r.study_median_days, 1),
            ]
        )
        if is_number(r.study_outlier_days):
            longest = f"{trimmed(r.max_days, 1)} days" if r.n else "no labelled issue yet"
            notes.append(
                f"The study's text names a {trimmed(r.study_outlier_days, 1)}-day outlier for "
                f"{r.challenge}; this run's longest {r.challenge} issue: {longest} "
                f"({r.outlier_count} {'outlier' if r.outlier_count == 1 else 'outliers'} in this run)."
            )
    notes += [
        "Boxes: quartiles and median; whiskers reach the farthest issue within 1.5 interquartile "
        "ranges; issues beyond are drawn as points (labelled_issue_closure_times.is_outlier). An "
        "issue with two challenges is in both boxes.",
        "The study prints Figure 1 without numbers; its text gives only the marked values.",
    ]
    return Section(
        key="figure1_closure_times",
        title="Figure 1. Time to close GitHub issues by challenge (days)",
        table=_frame(
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
        ),
        notes=tuple(notes),
        figure=Figure(
            file_name="figure1_closure_times.png",
            png=png,
            alt="Figure 1: box plot of days to close the labelled issues per challenge, sorted by "
            "median, outliers as points, the study's values marked",
        ),
    )


# -- Tables 7 and 8 ---------------------------------------------------------------------------


def table7(warehouse: Warehouse, provenance: Provenance) -> Section:
    background = warehouse.load("survey_background")
    rows: list[list[str]] = []
    groups: list[int] = []
    for dimension, members in background.groupby("dimension", sort=False):
        groups.append(len(rows))
        rows.append([str(dimension), "", "", "", ""])
        for r in members.itertuples(index=False):
            rows.append(
                [
                    "",
                    r.answer,
                    f"{r.respondents} of {r.total_respondents}",
                    number(r.study_share_pct, 1),
                    interval(r.share_ci_lower, r.share_ci_upper),
                ]
            )
    return Section(
        key="table7_survey_background",
        title="Table 7. Background of the survey respondents (RQ3)",
        table=_frame(["Dimension", "Answer", "Respondents", "Study %", "95% CI"], rows),
        label_columns=2,
        group_rows=tuple(groups),
        notes=(
            "The survey is the study's own (21 respondents); this project has no survey data. "
            "Respondents are the printed percentages x 21, rounded; the intervals are Wilson 95% "
            "intervals of those counts.",
        ),
    )


def table8(warehouse: Warehouse, provenance: Provenance) -> Section:
    solutions = warehouse.load("survey_solutions")
    rows: list[list[str]] = []
    groups: list[int] = []
    for question, members in solutions.groupby("survey_question", sort=False):
        groups.append(len(rows))
        rows.append([str(question), "", "", "", "", ""])
        for r in members.itertuples(index=False):
            mark = " *" if r.is_participant_proposed else ""
            reference = r.study_reference if isinstance(r.study_reference, str) else ""
            rows.append(
                [
                    "",
                    f"{r.solution}{mark}",
                    reference,
                    f"{r.respondents} of {r.total_respondents}",
                    number(r.study_share_pct, 1),
                    interval(r.share_ci_lower, r.share_ci_upper),
                ]
            )
    return Section(
        key="table8_survey_solutions",
        title="Table 8. Solutions to the challenges chosen by the survey respondents (RQ3)",
        table=_frame(
            ["Question", "Solution", "Reference", "Respondents", "Study %", "95% CI"], rows
        ),
        label_columns=3,
        group_rows=tuple(groups),
        notes=(
            "* proposed by a respondent. Several answers were allowed, so shares do not sum to "
            "100%. The Testing question's 'Does not apply' row is cut off in the study's text.",
            "The survey is the study's own; respondents are the printed percentages x 21, rounded.",
        ),
    )


STUDY_ARTEFACTS: tuple[Artefact, ...] = (
    Artefact(("pipeline_counts",), pipeline_counts),
    Artefact(("project_statistics",), table1),
    Artefact(("keyword_matches",), table2),
    Artefact(("commit_sample_statistics",), table3),
    Artefact(("issue_sample_statistics",), table4),
    Artefact(("rater_agreement", "study_rater_agreement"), rater_agreement),
    Artefact(("activity_distribution",), table5),
    Artefact(("challenge_distribution",), table6),
    Artefact(("closure_time_by_challenge", "labelled_issue_closure_times"), figure1),
    Artefact(("survey_background",), table7),
    Artefact(("survey_solutions",), table8),
)

#: Sections beyond the study, e.g. issue 10's population estimates and trend figure:
#: ``Artefact(("activity_estimates",), analysis_section, optional=True)``. Included when the
#: warehouse holds their marts, skipped silently otherwise.
EXTRA_ARTEFACTS: tuple[Artefact, ...] = ()
