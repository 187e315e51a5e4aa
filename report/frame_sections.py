"""The sections that exist once per sampling frame, each one function of a FrameSpec: Table 5/6 (the
labelled sample's shares beside the study's), and beyond the study (issue 10) the shares over the
whole frame and per year.

The estimate marts hold a row per quantity even before any suggestion exists, with estimate_status
saying why there is no number; a section with no number at all shows that reason instead of a
table."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
    points,
    with_interval,
)
from report.frames import FrameSpec, StudyRow, study_rows
from report.model import Figure, Provenance, Section
from report.provenance import provenance_summary
from report.warehouse import Warehouse

#: a quantity of a frame: (level, name) as the marts write them
Quantity = tuple[str, str]


def display_frame(columns: Iterable[str], rows: list[list[str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns), dtype=object)


def _laid_out(
    rows: Sequence[StudyRow], cells: Callable[[StudyRow], list[str]]
) -> tuple[list[list[str]], list[int]]:
    """The study's rows with their cells, and the positions of the rows that head a group."""
    table = [[*row.cells, *cells(row)] for row in rows]
    return table, [i for i, row in enumerate(rows) if row.heads_group]


def _confidence(provenance: Provenance) -> float:
    value: Any = provenance.study_parameters.get("interval_confidence", 0.95)
    return float(value)


# -- Tables 5 and 6 ---------------------------------------------------------------------------


def _distribution_by_quantity(spec: FrameSpec, distribution: pd.DataFrame) -> dict[Quantity, tuple]:
    """(occurrences, share, interval, study %) of every label and group of the distribution mart."""
    columns = ("occurrences", "share", "share_ci_lower", "share_ci_upper", "study_share_pct")
    shares = {
        (spec.label, getattr(r, spec.label)): tuple(getattr(r, c) for c in columns)
        for r in distribution.itertuples(index=False)
    }
    if spec.group is not None:
        group_columns = tuple(f"{spec.group}_{c}" for c in columns[:4])
        for r in distribution.drop_duplicates(spec.group).itertuples(index=False):
            values = [getattr(r, c) for c in group_columns] + [
                getattr(r, f"study_{spec.group}_share_pct")
            ]
            shares[(spec.group, getattr(r, spec.group))] = tuple(values)
    return shares


def _share_cells(values: tuple) -> list[str]:
    n, share, low, high, study_pct = values
    shown = 100 * float(share) if is_number(share) else None
    return [
        count(n),
        percent(share),
        interval(low, high),
        percent(study_pct, of_100=True),
        difference(shown, study_pct, 1, trim=True),
    ]


def shares_section(spec: FrameSpec, warehouse: Warehouse, provenance: Provenance) -> Section:
    """Table 5 or 6: the labelled sample's share of each label (and category) beside the study's."""
    rows = study_rows(spec, warehouse.load(spec.taxonomy, order_by=spec.study_order))
    distribution = warehouse.load(spec.distribution)
    shares = _distribution_by_quantity(spec, distribution)
    table, groups = _laid_out(rows, lambda row: _share_cells(shares[(row.level, row.name)]))
    total = int(distribution["total_occurrences"].max()) if len(distribution) else 0
    table.append([*spec.label_cells("Total"), count(total), "100%" if total else MISSING, "",
                  "100%", ""])  # fmt: skip
    confidence = _confidence(provenance)
    labelled = provenance.counts.get(f"labelled_{spec.frame}", 0)
    sampled = provenance.counts.get(spec.sample, 0)
    return Section(
        key=spec.table_key,
        title=f"{spec.table}. Model management {spec.labels} ({spec.question})",
        table=display_frame(
            [
                *spec.label_headers,
                "n",
                "%",
                f"{percent(confidence)} CI",
                "Study %",
                "Difference (pp)",
            ],
            table,
        ),
        label_columns=len(spec.label_headers),
        group_rows=(*groups, len(table) - 1),
        notes=(
            f"{labelled:,} of {sampled:,} sampled {spec.frame} have final labels (agreed or "
            f"adjudicated); n counts label occurrences, so {spec.one_item} with two labels counts "
            "for both, and shares sum to 100% over occurrences, as the study's do.",
            f"CI: Wilson score interval at interval_confidence = {confidence}. Difference: this "
            "run's % minus the study's, in percentage points. Rows in the study's order; "
            "percentages with the study's rounding (one decimal, 19% for 19.0%).",
        ),
    )


# -- beyond the study: reasons a quantity has no number -----------------------------------------


def suggestion_reason(warehouse: Warehouse, frame: str) -> str:
    """Why a frame has no suggestion (suggestion_status), for marts with no row to carry it."""
    status = warehouse.load("suggestion_status")
    row = status[status["frame"] == frame]
    if row.empty or not isinstance(row["suggester_status_reason"].iloc[0], str):
        return "the suggester computed nothing for this frame"
    return str(row["suggester_status_reason"].iloc[0])


def _listed(names: Iterable[object]) -> str:
    return ", ".join(str(name) for name in dict.fromkeys(names))


def stale_notes(rows: pd.DataFrame) -> list[str]:
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


def _without_numbers(
    spec: FrameSpec, warehouse: Warehouse, key: str, title: str, rows: pd.DataFrame, where: str
) -> Section | None:
    """The section of marts that hold no number yet: the reasons their rows carry (or, without a
    row, suggestion_status's) instead of a table of dashes; None when there are numbers."""
    if rows["estimate"].notna().any():
        return None
    if rows.empty:
        reason = suggestion_reason(warehouse, spec.frame)
        return Section(key=key, title=title, notes=(f"No estimate: {reason}.",))
    notes = (*_missing_notes(rows, where=where), *stale_notes(rows))
    return Section(key=key, title=title, notes=notes)


# -- beyond the study: the whole frame --------------------------------------------------------


def estimate_headers(spec: FrameSpec, confidence: float) -> list[str]:
    return [
        "Whole frame %",
        f"{percent(confidence)} CI (PPI)",
        "PPI width (pp)",
        f"{percent(confidence)} CI (sample only)",
        "Sample-only width (pp)",
        "Width ratio",
        "Suggester",
        f"Sample % ({spec.table})",
        f"{percent(confidence)} CI (Wilson)",
        "Study %",
    ]


#: interval_method of the estimate marts (analysis.population) -> the Suggester column's words
NO_MODEL_METHODS = {
    "wilson (design-weighted estimate, effective n)": "not used (too few labelled)",
    "census (every frame item labelled)": "not needed (census)",
}
#: a power-tuning weight below this: the suggester's predictions did not narrow the interval
#: (analysis.population.NEGLIGIBLE_POWER_TUNING)
NEGLIGIBLE_POWER_TUNING = 0.05


def added_nothing(r: Any) -> bool:
    """The row's interval is the sample-only one: the suggester was not used or not trusted."""
    method = getattr(r, "interval_method", None)
    if isinstance(method, str) and method in NO_MODEL_METHODS:
        return True
    tuning = getattr(r, "power_tuning", None)
    return is_number(tuning) and float(tuning) < NEGLIGIBLE_POWER_TUNING  # type: ignore[arg-type]


def _suggester_cell(r: Any) -> str:
    method = getattr(r, "interval_method", None)
    if not is_number(r.estimate):
        return MISSING
    if isinstance(method, str) and method in NO_MODEL_METHODS:
        return NO_MODEL_METHODS[method]
    tuning = getattr(r, "power_tuning", None)
    if not is_number(tuning):
        return MISSING
    return (
        f"added nothing (λ {number(tuning, 2)})" if added_nothing(r) else f"λ {number(tuning, 2)}"
    )


def estimate_cells(r: Any) -> list[str]:
    """Whole frame beside the sample-only interval of the same estimator and design (their
    widths in percentage points and ratio: what the suggester gained), then the study-style
    Wilson interval of Table 5/6 and the study's share. ``r``: a row of activity_estimates or
    challenge_estimates (or of a fresh run shaped like one)."""
    return [
        *_model_cells(r),
        percent(r.wilson_share),
        interval(r.wilson_ci_lower, r.wilson_ci_upper),
        percent(r.study_share_pct, of_100=True),
    ]


def _model_cells(r: Any) -> list[str]:
    """The whole-frame share beside the sample-only one of the same estimator and design, and what
    the suggester did: the cells every estimate table shows first."""
    return [
        percent(r.estimate),
        interval(r.ci_lower, r.ci_upper),
        points(r.ci_width),
        interval(r.sample_ci_lower, r.sample_ci_upper),
        points(r.sample_ci_width),
        number(getattr(r, "width_ratio_to_sample", None), 2),
        _suggester_cell(r),
    ]


def model_notes(rows: pd.DataFrame, *, names: str = "name") -> list[str]:
    """A plain sentence when the suggester added nothing: to every quantity, or to which ones."""
    numbered = rows[rows["estimate"].notna()]
    nothing = [r for r in numbered.itertuples(index=False) if added_nothing(r)]
    if not nothing:
        return []
    if len(nothing) == len(numbered):
        return [
            "The suggester added nothing here: every interval is the sample-only one (too few "
            "labelled items, or predictions too weakly related to the labels to be trusted). "
            "These shares are the labelled sample's, weighted by the design."
        ]
    listed = _listed(getattr(r, names) for r in nothing)
    return [f"The suggester added nothing to {listed}: their intervals are the sample-only ones."]


def _estimate_notes(spec: FrameSpec, rows: pd.DataFrame) -> list[str]:
    estimated = rows[rows["estimate"].notna()].iloc[0]
    items = spec.items
    return [
        f"Whole frame: all {count(estimated.frame_items)} {items} of the {spec.question} frame, "
        f"their labels predicted by the suggester (trained on {count(estimated.training_items)} "
        f"adjudicated {items}) and corrected by the {count(estimated.labelled_items)} labelled "
        f"{items} of the design sample: prediction-powered inference (PPI++, ppi_py), "
        "cross-fitted by project and weighted by the stratified design. Shares are of label "
        f"occurrences among ML-related {items}, as in {spec.table}.",
        "Sample only: the same estimator and design from the labelled items alone; width ratio = "
        "PPI width / sample-only width (below 1, the suggester narrowed the interval). Suggester: "
        "its power-tuning weight λ (0: not trusted), or why it was not used (fewer than 10 "
        "labelled items with or without the label: Wilson's interval of the design-weighted "
        f"share, effective n). Sample % and Wilson: {spec.table}'s, shown as the study computes "
        "them (not weighted by the design). Widths in percentage points; docs/method.md "
        "(Population estimates) says what these numbers do not mean.",
        f"Suggester: {estimated.model_version}.",
    ]


def estimates_section(spec: FrameSpec, warehouse: Warehouse, provenance: Provenance) -> Section:
    """The share of every label (and category) over the whole frame, in the rows of Table 5/6;
    the ML-related share is its own table (ml_related_section)."""
    key, title = (
        spec.estimates,
        f"Beyond the study: {spec.labels} over the whole frame ({spec.question})",
    )
    estimates = warehouse.load(spec.estimates)
    labelled = estimates[estimates["level"] != "ml_related"]
    empty = _without_numbers(spec, warehouse, key, title, labelled, "name")
    if empty is not None:
        return empty
    by_quantity = {(r.level, r.name): r for r in labelled.itertuples(index=False)}
    rows = study_rows(spec, warehouse.load(spec.taxonomy, order_by=spec.study_order))
    table, groups = _laid_out(rows, lambda row: estimate_cells(by_quantity[(row.level, row.name)]))
    headers = [*spec.label_headers, *estimate_headers(spec, _confidence(provenance))]
    return Section(
        key=key,
        title=title,
        table=display_frame(headers, table),
        label_columns=len(spec.label_headers),
        group_rows=tuple(groups),
        notes=(
            *model_notes(labelled),
            *_estimate_notes(spec, labelled),
            *_missing_notes(labelled, where="name"),
            *stale_notes(labelled),
        ),
    )


ML_RELATED_HEADERS = ("Frame", "Frame items", "Labelled", "Whole frame %", "CI (PPI)",
                      "PPI width (pp)", "CI (sample only)", "Sample-only width (pp)",
                      "Width ratio", "Suggester")  # fmt: skip


def _ml_related_row(spec: FrameSpec, r: Any) -> list[str]:
    return [
        spec.ml_related,
        count(r.frame_items),
        count(r.labelled_items),
        *_model_cells(r),
    ]


def ml_related_section(
    specs: Sequence[FrameSpec], warehouse: Warehouse, provenance: Provenance
) -> Section:
    """The share of each frame's items that are ML-related (the reviewers' keep/reject decisions
    are its labels): a row per frame, its own table, not a row among the label shares."""
    rows, notes = [], []
    for spec in specs:
        if not warehouse.has(spec.estimates):
            continue
        estimates = warehouse.load(spec.estimates)
        found = estimates[estimates["level"] == "ml_related"]
        if found.empty or found["estimate"].isna().all():
            statuses = found["estimate_status"].dropna() if not found.empty else found
            reason = (str(statuses.iloc[0]) if len(statuses)
                      else suggestion_reason(warehouse, spec.frame))  # fmt: skip
            notes.append(f"{spec.frame}: no estimate: {reason}.")
            continue
        rows.append(_ml_related_row(spec, found.iloc[0]))
        notes += [f"{spec.frame}: {n}" for n in model_notes(found, names="name")]
        notes += stale_notes(found)
    confidence = percent(_confidence(provenance))
    headers = [h.replace("CI", f"{confidence} CI") for h in ML_RELATED_HEADERS]
    return Section(
        key="ml_related_shares",
        title="Beyond the study: the share of ML-related items in each frame",
        table=display_frame(headers, rows) if rows else None,
        notes=(
            *notes,
            "The study replaced items judged not ML-related and reports no share of them; here "
            "it is estimated over the whole frame from the design sample's review decisions "
            "(keep/reject), with and without the suggester's P(ML-related). The label shares of "
            "the estimates sections are among the ML-related items.",
        ),
    )


# -- beyond the study: per year ---------------------------------------------------------------


def _trend_cell(r: Any) -> str:
    if r is None or not is_number(r.estimate):
        return MISSING
    return with_interval(percent(r.estimate), interval(r.ci_lower, r.ci_upper))


def _year_items(trends: pd.DataFrame, years: list[int], year_column: str) -> list[str]:
    """Each year's labelled / frame items."""
    by_year = trends.groupby(year_column)
    labelled, frame = by_year["labelled_items_in_year"].max(), by_year["frame_items_in_year"].max()
    return [f"{count(labelled[y])} / {count(frame[y])}" for y in years]


def trends_section(spec: FrameSpec, warehouse: Warehouse, provenance: Provenance) -> Section:
    """Years as columns, the rows of Table 5/6, each cell a share over that year's frame and its
    interval; the figure draws ``spec.drawn_level``."""
    from report.figures import trend_figure  # matplotlib loads only to draw

    key, title = (
        spec.trends,
        f"Beyond the study: {spec.labels} per year of {spec.year_of} ({spec.question})",
    )
    trends = warehouse.load(spec.trends, order_by=f"{spec.year_column}, level, name")
    by_year = trends.rename(columns={spec.year_column: "year"})
    empty = _without_numbers(spec, warehouse, key, title, by_year, "year")
    if empty is not None:
        return empty
    years = sorted(int(y) for y in by_year["year"].unique())
    cells = {(r.level, r.name, int(r.year)): r for r in by_year.itertuples(index=False)}
    rows = [StudyRow("items", "", spec.label_cells(f"Labelled / frame {spec.frame}")),
            *study_rows(spec, warehouse.load(spec.taxonomy, order_by=spec.study_order))]  # fmt: skip
    table, groups = _laid_out(
        rows, lambda row: [_trend_cell(cells.get((row.level, row.name, y))) for y in years]
    )
    width = len(spec.label_headers)
    table[0][width:] = _year_items(trends, years, spec.year_column)
    drawn = by_year[by_year["level"] == spec.drawn_level].rename(columns={"year": "domain_value"})
    return Section(
        key=key,
        title=title,
        table=display_frame([*spec.label_headers, *map(str, years)], table),
        label_columns=width,
        group_rows=tuple(groups),
        notes=(
            f"Each cell: the share over the whole frame of that year (prediction-powered, as in "
            f"the estimates above) and its interval, among the year's ML-related {spec.items}; the "
            f"first row gives the year's labelled / frame {spec.items}. The figure draws "
            f"{spec.drawn}.",
            *_missing_notes(by_year, where="year"),
            *stale_notes(trends),
        ),
        figure=Figure(
            file_name=f"{spec.trends}.png",
            png=trend_figure(
                {f"{spec.question}: {spec.drawn_level} shares by year of {spec.year_of}": drawn},
                sample_data=provenance.is_sample_data,
                caption=provenance_summary(provenance),
            ),
            alt=f"{spec.question}: shares of {spec.drawn} over the whole frame per year of "
            f"{spec.year_of}, with prediction-powered 95% intervals",
        ),
    )
