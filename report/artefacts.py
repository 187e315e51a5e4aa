"""The study's artefacts, each shaped from its mart into a display table: this run beside the study,
and the difference where one is meaningful.

Each artefact names the warehouse tables it needs and a function building its Section. The study's
artefacts are required (a warehouse without their marts is an error naming the mart); artefacts
beyond the study (issue 10's whole-frame estimates, the suggester's agreement, the trends per year)
are optional and skipped silently when their marts are absent.

Tables 7 and 8 keep the seeds' row order (the study's): DuckDB preserves insertion order, so a mart
selected without ORDER BY returns the seed's rows as transcribed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from analysis.report import trend_figure
from report.figures import SAMPLE_BANNER, closure_time_figure
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


# -- beyond the study (issue 10): whole-frame estimates, the suggester, trends -----------------
#
# The marts hold a row per quantity even before any suggestion exists, with estimate_status saying
# why there is no number; a section with no number at all shows that reason instead of a table.


def _suggestion_reason(warehouse: Warehouse, frame: str) -> str:
    """Why a frame has no suggestion (suggestion_status), for marts with no row to carry it."""
    status = warehouse.load("suggestion_status")
    row = status[status["frame"] == frame]
    if row.empty or not isinstance(row["suggester_status_reason"].iloc[0], str):
        return "the suggester computed nothing for this frame"
    return str(row["suggester_status_reason"].iloc[0])


def _listed(names: Iterable[object]) -> str:
    return ", ".join(str(name) for name in dict.fromkeys(names))


def _stale_notes(rows: pd.DataFrame) -> list[str]:
    stale = rows[rows["is_stale"].fillna(False).astype(bool)]
    if stale.empty:
        return []
    why = _listed(stale["stale_reason"].dropna()) or "the labels or the frame changed"
    return [
        f"STALE: {why}. These numbers come from the earlier labels until the job "
        "refresh_suggestions (started by its sensor after a build) computes them again."
    ]


def _missing_notes(rows: pd.DataFrame, *, where: str) -> list[str]:
    """One note per reason a row has no estimate (estimate_status), naming the rows' ``where``
    column unless every row shares the reason."""
    missing = rows[rows["estimate_status"].fillna("") != "ok"]
    notes = []
    for reason, group in missing.groupby(missing["estimate_status"].fillna("unknown"), sort=False):
        if len(group) == len(rows):
            notes.append(f"No estimate: {reason}.")
        else:
            notes.append(f"No estimate for {_listed(group[where])}: {reason}.")
    return notes


def _no_estimate_section(
    key: str, title: str, rows: pd.DataFrame, *, where: str, reason: Callable[[], str]
) -> Section:
    """A section whose marts hold no number yet: the reasons the rows carry (or, without a row,
    ``reason()``) instead of a table of dashes."""
    if rows.empty:
        return Section(key=key, title=title, notes=(f"No estimate: {reason()}.",))
    return Section(
        key=key, title=title, notes=(*_missing_notes(rows, where=where), *_stale_notes(rows))
    )


def _estimate_cells(r: object) -> list[str]:
    """Whole frame beside the sample: share, interval and width of each method, their ratio,
    the study's share. Widths are in percentage points."""
    return [
        percent(r.estimate),
        interval(r.ci_lower, r.ci_upper),
        percent(r.ci_width),
        percent(r.wilson_share),
        interval(r.wilson_ci_lower, r.wilson_ci_upper),
        percent(r.wilson_ci_width),
        number(r.width_ratio_to_wilson, 2),
        number(r.study_share_pct, 1),
    ]


def _estimate_headers(provenance: Provenance, table: str) -> list[str]:
    confidence = provenance.study_parameters.get("interval_confidence", 0.95)
    return [
        "Whole frame %",
        f"{confidence:.0%} CI (PPI)",
        "PPI width",
        f"Sample % ({table})",
        f"{confidence:.0%} CI (Wilson)",
        "Wilson width",
        "Width ratio",
        "Study %",
    ]


def _estimate_notes(rows: pd.DataFrame, *, items: str, frame: str, table: str) -> list[str]:
    estimated = rows[rows["estimate"].notna()].iloc[0]
    return [
        f"Whole frame: all {count(estimated.frame_items)} {items} of the {frame} frame, their "
        f"labels predicted by the suggester (trained on {count(estimated.training_items)} "
        f"adjudicated {items}) and corrected by the {count(estimated.labelled_items)} labelled "
        f"{items} of the design sample: prediction-powered inference (PPI++, ppi_py), "
        "cross-fitted by project and weighted by the stratified design. Shares are of label "
        f"occurrences among ML-related {items}, as in {table}.",
        f"Sample: {table}'s share of the labelled sample and its Wilson interval. Widths in "
        "percentage points; width ratio = PPI width / Wilson width (below 1, using the whole "
        "frame narrowed the interval). docs/method.md (Population estimates) says what these "
        "numbers do not mean.",
        f"Suggester: {estimated.model_version}.",
    ]


def activity_estimates(warehouse: Warehouse, provenance: Provenance) -> Section:
    key, title = "activity_estimates", "Beyond the study: activities over the whole frame (RQ1)"
    estimates = warehouse.load(
        "activity_estimates", order_by="study_share_pct desc nulls last, name"
    )
    if not estimates["estimate"].notna().any():
        return _no_estimate_section(
            key,
            title,
            estimates,
            where="name",
            reason=lambda: _suggestion_reason(warehouse, "commits"),
        )
    activities = estimates[estimates["level"] == "activity"]
    rows: list[list[str]] = []
    groups: list[int] = []
    for c in estimates[estimates["level"] == "category"].itertuples(index=False):
        groups.append(len(rows))
        rows.append([c.name, "", *_estimate_cells(c)])
        for a in activities[activities["category"] == c.name].itertuples(index=False):
            rows.append(["", a.name, *_estimate_cells(a)])
    for r in estimates[estimates["level"] == "ml_related"].itertuples(index=False):
        groups.append(len(rows))
        rows.append(["ML-related commits", "", *_estimate_cells(r)])
    return Section(
        key=key,
        title=title,
        table=_frame(["Category", "Activity", *_estimate_headers(provenance, "Table 5")], rows),
        label_columns=2,
        group_rows=tuple(groups),
        notes=(
            *_estimate_notes(estimates, items="model-file commits", frame="RQ1", table="Table 5"),
            "ML-related commits: the share of the frame's model-file commits that are ML-related "
            "(the review decisions keep/reject are its labels); the shares above are among them.",
            *_missing_notes(estimates, where="name"),
            *_stale_notes(estimates),
        ),
    )


def challenge_estimates(warehouse: Warehouse, provenance: Provenance) -> Section:
    key, title = "challenge_estimates", "Beyond the study: challenges over the whole frame (RQ2)"
    estimates = warehouse.load(
        "challenge_estimates",
        order_by="level = 'ml_related', name = 'Other', study_share_pct desc, name",
    )
    if not estimates["estimate"].notna().any():
        return _no_estimate_section(
            key,
            title,
            estimates,
            where="name",
            reason=lambda: _suggestion_reason(warehouse, "issues"),
        )
    rows = [
        ["ML-related issues" if r.level == "ml_related" else r.name, *_estimate_cells(r)]
        for r in estimates.itertuples(index=False)
    ]
    related = [i for i, level in enumerate(estimates["level"]) if level == "ml_related"]
    return Section(
        key=key,
        title=title,
        table=_frame(["Challenge", *_estimate_headers(provenance, "Table 6")], rows),
        group_rows=tuple(related),
        notes=(
            *_estimate_notes(estimates, items="closed issues", frame="RQ2", table="Table 6"),
            "ML-related issues: the share of the frame's closed issues that are ML-related; the "
            "shares above are among them.",
            *_missing_notes(estimates, where="name"),
            *_stale_notes(estimates),
        ),
    )


def suggester_agreement(warehouse: Warehouse, provenance: Provenance) -> Section:
    key = "suggester_agreement"
    title = "Beyond the study: the label suggester beside the raters (Cohen's kappa)"
    agreement = warehouse.load("suggester_agreement", order_by="frame")
    status = warehouse.load("suggestion_status", order_by="frame")
    study = dict(
        warehouse.load("study_rater_agreement")[["frame", "study_cohen_kappa"]].itertuples(
            index=False
        )
    )
    rows, notes = [], []
    for frame in status["frame"]:
        of_frame = agreement[agreement["frame"] == frame]
        overall = of_frame[of_frame["metric_scope"] == "all labels"]
        relevance = of_frame[of_frame["metric_scope"] == "not ML-related"]
        if overall.empty or overall["suggester_status"].iloc[0] != "ok":
            reason = (
                _suggestion_reason(warehouse, frame)
                if overall.empty
                else str(overall["suggester_status_reason"].iloc[0])
            )
            notes.append(f"{frame}: no agreement to report: {reason}.")
            continue
        r = overall.iloc[0]
        rows.append(
            [
                frame,
                count(r.evaluated_items),
                count(r.folds),
                number(r.cohen_kappa, 2),
                number(r.rater_kappa_mean, 2),
                _difference(r.cohen_kappa, r.rater_kappa_mean, 2),
                number(study.get(frame), 2),
                percent(r.exact_set_agreement),
                number(relevance["cohen_kappa"].iloc[0], 2) if len(relevance) else MISSING,
            ]
        )
        notes += _stale_notes(of_frame.head(1))
    if not rows:
        return Section(key=key, title=title, notes=tuple(notes))
    return Section(
        key=key,
        title=title,
        table=_frame(
            [
                "Frame",
                "Items",
                "Folds",
                "Suggester's kappa",
                "Raters' kappa",
                "Difference",
                "Study's kappa",
                "Exact label sets %",
                "ML-related kappa",
            ],
            rows,
        ),
        notes=(
            *notes,
            "Suggester's kappa: its labels against the adjudicated ones, each item predicted by a "
            "model trained on other projects' items (cross-validation by project), as the "
            "multi-instance kappa of the raters. Raters' kappa: rater_agreement, the mean over "
            "rater pairs; difference = suggester - raters. Exact label sets: items whose "
            "suggested set is the adjudicated set. ML-related kappa: the relevance suggestion "
            "against the review decisions (keep/reject), none without a rejected item.",
            "Per-label precision and recall: suggester_agreement where metric_scope = 'label'.",
        ),
    )


def _trend_cell(r: object) -> str:
    if not is_number(r.estimate):
        return MISSING
    return f"{percent(r.estimate)} ({interval(r.ci_lower, r.ci_upper)})"


def _trend_table(
    trends: pd.DataFrame, year_column: str, labels: list[tuple[str, str, list[str]]]
) -> tuple[list[str], list[list[str]]]:
    """Years as columns, the year's labelled / frame items first, then one row per (level, name,
    the row's label cells)."""
    years = sorted(int(y) for y in trends[year_column].unique())
    by_year = trends.groupby(year_column)
    items = [
        f"{count(g['labelled_items_in_year'].max())} / {count(g['frame_items_in_year'].max())}"
        for _, g in sorted(by_year, key=lambda pair: int(pair[0]))
    ]
    cells = {
        (r.level, r.name, int(getattr(r, year_column))): _trend_cell(r)
        for r in trends.itertuples(index=False)
    }
    rows = []
    for level, name, shown in labels:
        rows.append([*shown, *(cells.get((level, name, y), MISSING) for y in years)])
    return [str(y) for y in years], [items, *rows]


def _trend_figure(
    trends: pd.DataFrame, year_column: str, level: str, panel: str, provenance: Provenance
) -> bytes:
    rows = trends[trends["level"] == level].rename(columns={year_column: "domain_value"})
    return trend_figure(
        {panel: rows},
        provenance.is_sample_data,
        caption=provenance_summary(provenance),
        banner=SAMPLE_BANNER,
    )


def _trend_notes(trends: pd.DataFrame, year_column: str, items: str, drawn: str) -> list[str]:
    return [
        f"Each cell: the share over the whole frame of that year (prediction-powered, as in the "
        f"estimates above) and its interval, among the year's ML-related {items}; the first row "
        f"gives the year's labelled / frame {items}. The figure draws {drawn}.",
        *_missing_notes(trends.rename(columns={year_column: "year"}), where="year"),
        *_stale_notes(trends),
    ]


def activity_trends(warehouse: Warehouse, provenance: Provenance) -> Section:
    key, title = "activity_trends", "Beyond the study: activities per year of commit (RQ1)"
    trends = warehouse.load("activity_trends", order_by="commit_year, level, name")
    if not trends["estimate"].notna().any():
        return _no_estimate_section(
            key, title, trends.rename(columns={"commit_year": "year"}), where="year",
            reason=lambda: _suggestion_reason(warehouse, "commits"),
        )  # fmt: skip
    taxonomy = warehouse.load(
        "activity_taxonomy",
        order_by="study_category_share_pct desc, category, study_share_pct desc, activity",
    )
    labels, groups = [], []
    for category, members in taxonomy.groupby("category", sort=False):
        groups.append(len(labels) + 1)  # after the row of item counts
        labels.append(("category", category, [category, ""]))
        labels += [("activity", a, ["", a]) for a in members["activity"]]
    years, rows = _trend_table(trends, "commit_year", labels)
    rows[0] = ["Labelled / frame commits", "", *rows[0]]
    return Section(
        key=key,
        title=title,
        table=_frame(["Category", "Activity", *years], rows),
        label_columns=2,
        group_rows=tuple(groups),
        notes=tuple(_trend_notes(trends, "commit_year", "model-file commits", "the categories")),
        figure=Figure(
            file_name="activity_trends.png",
            png=_trend_figure(
                trends,
                "commit_year",
                "category",
                "RQ1: activity categories by year of commit",
                provenance,
            ),
            alt="Activity categories' shares over the whole frame per year of commit, with "
            "prediction-powered 95% intervals",
        ),
    )


def challenge_trends(warehouse: Warehouse, provenance: Provenance) -> Section:
    key, title = "challenge_trends", "Beyond the study: challenges per year of closure (RQ2)"
    trends = warehouse.load("challenge_trends", order_by="closed_year, level, name")
    if not trends["estimate"].notna().any():
        return _no_estimate_section(
            key, title, trends.rename(columns={"closed_year": "year"}), where="year",
            reason=lambda: _suggestion_reason(warehouse, "issues"),
        )  # fmt: skip
    taxonomy = warehouse.load(
        "challenge_taxonomy", order_by="challenge = 'Other', study_share_pct desc, challenge"
    )
    labels = [("challenge", c, [c]) for c in taxonomy["challenge"]]
    years, rows = _trend_table(trends, "closed_year", labels)
    rows[0] = ["Labelled / frame issues", *rows[0]]
    return Section(
        key=key,
        title=title,
        table=_frame(["Challenge", *years], rows),
        notes=tuple(
            _trend_notes(trends, "closed_year", "closed issues", "the six largest challenges")
        ),
        figure=Figure(
            file_name="challenge_trends.png",
            png=_trend_figure(
                trends,
                "closed_year",
                "challenge",
                "RQ2: challenges by year of closure",
                provenance,
            ),
            alt="The six largest challenges' shares over the whole frame per year of closure, "
            "with prediction-powered 95% intervals",
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

#: Sections beyond the study (issue 10): included when the warehouse holds their marts, skipped
#: silently otherwise (a warehouse built before the suggestion marts existed).
EXTRA_ARTEFACTS: tuple[Artefact, ...] = (
    Artefact(("activity_estimates", "suggestion_status"), activity_estimates, optional=True),
    Artefact(("challenge_estimates", "suggestion_status"), challenge_estimates, optional=True),
    Artefact(
        ("suggester_agreement", "suggestion_status", "study_rater_agreement"),
        suggester_agreement,
        optional=True,
    ),
    Artefact(
        ("activity_trends", "suggestion_status", "activity_taxonomy"),
        activity_trends,
        optional=True,
    ),
    Artefact(
        ("challenge_trends", "suggestion_status", "challenge_taxonomy"),
        challenge_trends,
        optional=True,
    ),
)
